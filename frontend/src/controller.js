// The controller: what each route, tick and gesture does. It holds the state (changed only
// through state.js), asks api.js, remembers through store.js, moves through the router, and
// shows everything through view.js: it never touches the DOM itself. The ticker, the Refresh
// button and the browser's online/focus signals all call the same refresh().

import {
  actionFailure,
  adjustmentWording,
  readAdjustment,
  readName,
  readNewCustomer,
  readRefund,
  refundWording,
  SESSION_EXPIRED,
  SIGNED_OUT,
  sessionLost,
  sessionLostMessage,
  signInFailure,
  signInProblem,
} from "./forms.js";
import { ApiError, OfflineError } from "./api.js";
import { homeRoute, resolveRoute, signInRoute } from "./router.js";
import * as S from "./state.js";

const TICK_MS = 1000;

/**
 * @param {{api: ReturnType<typeof import("./api.js").createApi>, view: typeof import("./view.js"),
 *   store: typeof import("./store.js"), router: ReturnType<typeof import("./router.js").createRouter>}} deps
 */
export function createController({ api, view, store, router }) {
  let state = S.initialState({ intervalMs: store.loadIntervalMs(), session: store.loadSession() });
  let ticker = null; // the one-second interval while the customers screen is on show
  let pollTimer = null; // the poll due before the next tick

  /** The only assignment of `state`: every next state comes from a state.js function. */
  const update = (next) => {
    state = next;
  };

  // ---- screens and routes -----------------------------------------------------------------

  /** The show function of each screen in router.js's SCREENS, by name. */
  const screens = {
    customers: showCustomers,
    "sign-in": (tenant) => showSignIn(tenant, ""),
  };

  /** @param {string} hash the location's hash */
  function route(hash) {
    const next = resolveRoute(hash, state.session, Date.now());
    if (next.expired) return endSession(SESSION_EXPIRED);
    if (next.redirect) return router.redirect(next.redirect);
    return screens[next.screen](next.tenant);
  }

  function showCustomers() {
    update(S.screenShown(state, "customers"));
    view.showCustomersScreen(state.session.tenantName || state.session.tenant, state.live.intervalMs);
    renderLive();
    startTicker();
    refresh();
  }

  function showSignIn(tenant, message) {
    stopTicker();
    update(S.screenShown(state, "sign-in"));
    view.showSignIn(tenant, message);
  }

  function endSession(message) {
    const tenant = state.session?.tenant || "";
    update(S.signedOut(state));
    view.hideDetail();
    stopTicker();
    store.forgetSession();
    router.record(signInRoute(tenant));
    showSignIn(tenant, message);
  }

  async function signIn(fields) {
    const problem = signInProblem(fields);
    if (problem) {
      view.showSignInMessage(problem);
      return;
    }
    try {
      update(S.signedIn(state, await api.signIn(fields.tenant, fields.email, fields.password)));
      store.saveSession(state.session);
      router.go(homeRoute(state.session.tenant));
    } catch (error) {
      view.showSignInMessage(signInFailure(error));
    }
  }

  function signOut() {
    api.signOut(); // reads the token for its revocation before endSession forgets it
    endSession(SIGNED_OUT);
  }

  function loseSession(error) {
    update(S.pollEnded(state));
    endSession(sessionLostMessage(error));
  }

  // ---- live sync: one ticker a second decides when to poll ----------------------------------

  function startTicker() {
    stopTicker();
    ticker = setInterval(tick, TICK_MS);
  }

  function stopTicker() {
    if (ticker !== null) clearInterval(ticker);
    ticker = null;
    clearTimeout(pollTimer);
  }

  function tick() {
    const now = Date.now();
    const next = S.highlightsExpired(state, now);
    if (next !== state) {
      update(next);
      view.showHighlights(state.highlights);
    }
    if (state.live.offline) renderLive();
    if (S.shouldPoll(state.live, now)) refresh();
  }

  /** Poll exactly when the next one is due (the interval, or the backoff when offline), not
   * at the next whole-second tick. */
  function scheduleNextPoll() {
    clearTimeout(pollTimer);
    if (ticker === null) return;
    const due = state.live.offline ? state.live.retryAt : state.live.nextPollAt;
    pollTimer = setTimeout(tick, Math.max(0, due - Date.now()));
  }

  function renderLive() {
    const { live } = state;
    view.showLive(S.liveStatus(live), {
      paused: live.paused,
      retry: S.retryCountdown(live, Date.now()),
      lastUpdated: live.lastUpdated,
    });
  }

  /** Fetch the list and the open panel now; one request at a time. */
  async function refresh() {
    if (!state.session) return;
    if (state.live.inFlight) {
      update(S.rerunWanted(state)); // a manual refresh or a new search while a poll is out
      return;
    }
    update(S.pollStarted(state));
    renderLive();
    try {
      await refreshList();
      if (state.detail) await refreshDetail();
      update(S.cameOnline(state, new Date()));
      view.showListMessage("");
    } catch (error) {
      refreshFailed(error);
    } finally {
      update(S.pollEnded(state));
      if (state.session) renderLive();
      scheduleNextPoll();
    }
    if (state.live.rerun && state.session) {
      update(S.rerunTaken(state));
      refresh();
    }
  }

  async function refreshList() {
    const { query } = state;
    const result = await api.listCustomers(query, state.list.etag);
    if (!S.sameQuery(query, state.query)) {
      update(S.rerunWanted(state)); // the search changed while this was out: the answer is stale
      return;
    }
    if (result.notModified) return;
    update(S.listArrived(state, result.data, result.etag, Date.now()));
    showList();
    const synced = S.cardSynced(state);
    if (synced !== state) {
      update(synced);
      showDetail();
    }
  }

  function showList() {
    view.showCustomers(state.list.items, state.highlights, {
      onOpen: openDetail,
      onSeen: (id) => {
        update(S.rowSeen(state, id));
        view.showHighlights(state.highlights);
      },
    });
    const { page, perPage } = state.query;
    const { total, totalIsExact, nextCursor } = state.list;
    view.showPager(S.pagerText(page, perPage, total, totalIsExact), {
      previous: page > 1,
      next: nextCursor !== null,
    });
  }

  function refreshFailed(error) {
    if (error instanceof OfflineError) update(S.wentOffline(state, Date.now()));
    else if (sessionLost(error)) loseSession(error);
    else view.showListMessage(error.message);
  }

  // ---- the detail panel ------------------------------------------------------------------

  function openDetail(customer) {
    update(S.detailOpened(state, customer));
    showDetail();
    view.focusDetail();
    refreshDetail().catch((error) => view.showDetailMessage(error.message));
  }

  function showDetail() {
    const { detail } = state;
    const complete = detail.total !== null && detail.items.length >= detail.total;
    view.showDetail(
      detail,
      { left: S.refundable(detail.items), moves: S.balanceMoves(detail.items, complete) },
      openRefund,
    );
  }

  /** The panel's newest page, merged with the older entries already shown. */
  async function refreshDetail() {
    const { opening, customerId, etag } = state.detail;
    try {
      const result = await api.customerTransactions(customerId, etag, 1, S.LEDGER_PAGE_SIZE);
      if (!S.detailStillOpen(state, opening) || result.notModified) return;
      update(S.ledgerArrived(state, opening, result.data, result.etag));
      showDetail();
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) closeDetail();
      else throw error;
    }
  }

  async function showOlder() {
    const { opening, customerId, items } = state.detail;
    try {
      const page = S.olderPage(items.length, S.LEDGER_PAGE_SIZE);
      const result = await api.customerTransactions(customerId, null, page, S.LEDGER_PAGE_SIZE);
      if (!S.detailStillOpen(state, opening)) return;
      update(S.olderArrived(state, opening, result.data));
      showDetail();
    } catch (error) {
      view.showDetailMessage(actionError(error).error);
    }
  }

  function closeDetail() {
    update(S.detailClosed(state));
    view.hideDetail();
  }

  // ---- actions: each shows the API's problem on failure and the result at once --------------

  function reference(kind) {
    return `${kind}-${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`;
  }

  /** What an action's failure tells the user, for its dialog; a lost session signs out. */
  function actionError(error) {
    if (sessionLost(error)) loseSession(error);
    return { error: actionFailure(error) };
  }

  /** After an action: the list and the panel now, not at the next poll (the dialog closes
   * meanwhile). */
  function afterAction() {
    update(S.etagsDropped(state));
    return refresh();
  }

  function detailName() {
    return state.detail.name || view.formatPhone(state.detail.phone);
  }

  /**
   * Run a dialog's API call; on success show its effect at once (and `then` its answer), else
   * return why not for the dialog to show.
   */
  async function act(call, then = () => {}) {
    try {
      const answer = await call();
      afterAction();
      then(answer);
      return undefined;
    } catch (error) {
      return actionError(error);
    }
  }

  function openAddCustomer() {
    view.openFormDialog("add-dialog", {
      async submit(fields) {
        const read = readNewCustomer(fields);
        if (read.error) return read;
        // The panel opens once the dialog has closed and given the focus back.
        return act(() => api.addCustomer(read.customer), (card) => setTimeout(() => openDetail(card)));
      },
    });
  }

  function openRename() {
    const { customerId } = state.detail;
    view.openFormDialog("name-dialog", {
      values: { name: state.detail.name || "" },
      submit: (fields) => act(() => api.renameCustomer(customerId, readName(fields))),
    });
  }

  function openAdjust() {
    const { customerId, pointsBalance } = state.detail;
    const who = detailName();
    const transactionReference = reference("adj"); // one per dialog: a double submit replays
    view.openFormDialog("adjust-dialog", {
      context: adjustmentWording(who, pointsBalance, 0, "").context,
      async submit(fields) {
        const read = readAdjustment(fields);
        if (read.error) return read;
        const { points, reason } = read;
        const wording = adjustmentWording(who, pointsBalance, points, reason);
        if (!(await view.confirmAction(wording.question, wording.confirm))) return { error: "" };
        return act(() =>
          api.adjustPoints(customerId, { points, reason, transaction_reference: transactionReference }),
        );
      },
    });
  }

  function openRefund(redemption, left) {
    const { customerId } = state.detail;
    const who = detailName();
    const transactionReference = reference("ref");
    view.openFormDialog("refund-dialog", {
      context: refundWording(who, redemption, left, left).context,
      values: { points: String(left) },
      async submit(fields) {
        const read = readRefund(fields, left);
        if (read.error) return read;
        const { points, reason } = read;
        const wording = refundWording(who, redemption, left, points);
        if (!(await view.confirmAction(wording.question, wording.confirm))) return { error: "" };
        const refund = { points, reason, transaction_reference: transactionReference };
        return act(() => api.refund(customerId, redemption.transaction_id, refund));
      },
    });
  }

  async function exportCsv() {
    view.showExporting(true);
    try {
      const { blob, filename } = await api.exportCustomers(view.searchText());
      view.saveFile(blob, filename);
      view.showListMessage("");
    } catch (error) {
      view.showListMessage(actionError(error).error);
    } finally {
      view.showExporting(false);
    }
  }

  // ---- controls ----------------------------------------------------------------------------

  function newQuery(query) {
    update(S.queryChanged(state, query));
    refresh();
  }

  function togglePause() {
    update(S.pauseToggled(state));
    if (!state.live.paused) refresh();
    renderLive();
  }

  function changeInterval(intervalMs) {
    update(S.intervalChosen(state, intervalMs, Date.now()));
    store.saveIntervalMs(intervalMs);
    scheduleNextPoll();
    renderLive();
  }

  /** Online again, or the admin came back to the window: look now, whatever the backoff said. */
  function lookNow() {
    const { live } = state;
    if (state.session && state.screen === "customers" && !live.paused && !live.hidden) refresh();
  }

  return {
    route,
    /** The session's token for api.js, or null. */
    token: () => state.session?.token ?? null,
    signIn,
    signOut,
    refresh: () => refresh(),
    togglePause,
    changeInterval,
    previousPage: () => newQuery(S.turnPage(state.query, "previous", null)),
    nextPage: () => newQuery(S.turnPage(state.query, "next", state.list.nextCursor)),
    search: (q) => newQuery(S.searchQuery(state.query, q)),
    closeDetail,
    showOlder,
    openAddCustomer,
    openRename,
    openAdjust,
    exportCsv,
    lookNow,
    /** @param {boolean} hidden */
    visibilityChanged(hidden) {
      update(S.visibilityChanged(state, hidden)); // no polls while nobody is looking
      if (!hidden) lookNow();
    },
  };
}
