// The controller: what each route, tick and gesture does. It holds the state (changed only
// through state.js), asks api.js, remembers through store.js, moves through the router, and
// shows everything through view.js: it never touches the DOM itself. The ticker, the Refresh
// button and the browser's online/focus signals all call the same refresh().

import {
  actionFailure,
  adjustmentWording,
  erasedWording,
  erasureWording,
  importDoneWording,
  importFileProblem,
  importPreviewWording,
  importProgressWording,
  readErasure,
  readRewards,
  rewardErrors,
  rewardRows,
  rewardsSavedWording,
  previewFailure,
  previewWording,
  programmeErrors,
  programmeFields,
  programmeVersionWording,
  readAdjustment,
  readName,
  readNewCustomer,
  readProgramme,
  readRefund,
  readReturn,
  refundWording,
  returnedWording,
  returnWording,
  SESSION_EXPIRED,
  SIGNED_OUT,
  savedWording,
  sessionLost,
  sessionLostMessage,
  signInFailure,
  signInProblem,
} from "./forms.js";
import { ApiError, OfflineError } from "./api.js";
import { currencySymbol, formatMoney, formatShopDate, parseMoney, shopToday } from "./money.js";
import { chartBuckets, periodFor, periodLabel, reportWording } from "./report.js";
import { homeRoute, navLinks, resolveRoute, signInRoute } from "./router.js";
import * as S from "./state.js";

const TICK_MS = 1000;
const IMPORT_ROUNDS = 200; // an import whose time ran out is sent again, at most this often

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
    programme: showProgramme,
    report: showReport,
    "sign-in": (tenant) => showSignIn(tenant, ""),
  };

  /** @param {string} hash the location's hash */
  function route(hash) {
    const next = resolveRoute(hash, state.session, Date.now());
    if (next.expired) return endSession(SESSION_EXPIRED);
    if (next.redirect) return router.redirect(next.redirect);
    return screens[next.screen](next.tenant);
  }

  const shopName = () => state.session.tenantName || state.session.tenant;

  /** A signed-in screen comes on show: the navigation marks it. */
  function screenShown(name) {
    update(S.screenShown(state, name));
    view.showNav(navLinks(state.session.tenant, name));
  }

  function showCustomers() {
    screenShown("customers");
    view.showCustomersScreen(shopName(), state.live.intervalMs);
    renderLive();
    startTicker();
    refresh();
    // The programme's time zone dates the expiring line; the locations name the tills'.
    loadShop().then(() => state.detail && showDetail());
  }

  /** The programme and the locations, once per session (the screens work without them). */
  async function loadShop() {
    try {
      // Each answer is awaited before the state is read: a state read before an await would
      // undo whatever changed meanwhile (a poll's end, say).
      if (!state.programme) {
        const programme = await api.getProgramme();
        update(S.programmeLoaded(state, programme));
      }
      if (!state.locations) {
        const locations = await api.listLocations();
        update(S.locationsLoaded(state, locations));
      }
    } catch (error) {
      if (sessionLost(error)) loseSession(error);
    }
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
      const answer = await api.signIn(fields.tenant, fields.email, fields.password);
      update(S.signedIn(state, answer));
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
    view.showDetailNotice("");
    showDetail();
    view.focusDetail();
    refreshDetail().catch((error) => view.showDetailMessage(error.message));
    loadToast(state.detail.opening);
  }

  /**
   * What Toast adds to the panel: the customer's loyaltyIdentifier and the REDEEMs whose
   * outcome was lost. Optional: the panel works without them (a shop without Toast).
   */
  async function loadToast(opening) {
    try {
      const identifier = await api.toastIdentifier(state.detail.customerId);
      update(S.toastIdentifierArrived(state, opening, identifier));
      const outcomes = await api.toastUnknownOutcomes();
      update(S.toastOutcomesLoaded(state, outcomes));
      if (!state.rewards) update(S.rewardsLoaded(state, await api.getRewards()));
    } catch (error) {
      if (sessionLost(error)) loseSession(error);
    }
    if (S.detailStillOpen(state, opening)) showDetail();
  }

  function showDetail() {
    const { detail } = state;
    const complete = detail.total !== null && detail.items.length >= detail.total;
    const names = S.locationNames(state);
    const money = (minor, currency) => formatMoney(minor, currency);
    const timeZone = state.programme?.timezone;
    view.showDetail(
      detail,
      {
        left: S.refundable(detail.items),
        moves: S.balanceMoves(detail.items, complete),
        returns: S.returnable(detail.items),
        details: detail.items.map((entry) => S.entryDetails(entry, money, names)),
        expiring: S.expiringWording(detail.expiring, (iso) => formatShopDate(iso, timeZone)),
        notices: S.toastOutcomeNotices(
          state.toastOutcomes,
          detail.customerId,
          detail.items,
          (iso) => formatShopDate(iso, timeZone),
          S.rewardNames(state),
        ),
      },
      openRefund,
      openReturn,
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
        return act(() => api.reverse(customerId, redemption.transaction_id, refund));
      },
    });
  }

  function openReturn(earn) {
    const { customerId } = state.detail;
    const left = S.returnable(state.detail.items).get(earn.transaction_id);
    const who = detailName();
    const transactionReference = reference("ret");
    view.openFormDialog("return-dialog", {
      context: returnWording(who, earn, left, null).context,
      show: { "return-amount-field": left.moneyLeft !== null },
      async submit(fields) {
        const read = readReturn(fields, left);
        if (read.error) return read;
        const wording = returnWording(who, earn, left, read.returned_minor);
        if (!(await view.confirmAction(wording.question, wording.confirm))) return { error: "" };
        const reversal = { reason: read.reason, transaction_reference: transactionReference };
        if (read.returned_minor !== null) reversal.returned_minor = read.returned_minor;
        return act(
          () => api.reverse(customerId, earn.transaction_id, reversal),
          (answer) => view.showDetailNotice(returnedWording(answer)),
        );
      },
    });
  }

  /** The customer's data, as one JSON file (a data subject's request). */
  async function downloadCustomerData() {
    const { customerId } = state.detail;
    view.showDownloadingData(true);
    try {
      const { blob, filename } = await api.customerData(customerId);
      view.saveFile(blob, filename);
      view.showDetailMessage("");
    } catch (error) {
      view.showDetailMessage(actionError(error).error);
    } finally {
      view.showDownloadingData(false);
    }
  }

  /** Erase the customer's name and phone, behind a typed confirmation. */
  function openErase() {
    const { customerId, phone, pointsBalance } = state.detail;
    view.openFormDialog("erase-dialog", {
      context: erasureWording(detailName(), pointsBalance ?? 0),
      async submit(fields) {
        const read = readErasure(fields, phone);
        if (read.error) return read;
        return act(
          () => api.eraseCustomer(customerId, read.reason),
          (erasure) => {
            update(S.customerErased(state, erasure));
            view.showDetailNotice(erasedWording(erasure));
          },
        );
      },
    });
  }

  /** The Import dialog: pick a CSV file, check it (a dry run: the preview), then confirm. */
  function openImport() {
    let file = null; // the file checked, sent again as it was when confirmed
    let preview = null; // its dry run's report
    view.showListNotice("");
    view.openImportDialog({
      async onCheck(picked) {
        file = null;
        preview = null;
        view.showImportPreview(null);
        view.showImportProgress("");
        const problem = importFileProblem(picked);
        view.showImportMessage(problem);
        if (problem) return;
        view.showImportBusy(true);
        view.showImportProgress("Checking the file…");
        try {
          preview = await api.importCustomers(picked, { dryRun: true, skipInvalid: false });
          file = picked;
          view.showImportProgress("");
          view.showImportPreview(importPreviewWording(preview));
        } catch (error) {
          view.showImportProgress("");
          view.showImportMessage(actionError(error).error);
        } finally {
          view.showImportBusy(false);
        }
      },
      async onConfirm() {
        if (!file || !preview) return;
        const { skipInvalid } = importPreviewWording(preview);
        const total = preview.to_import;
        view.showImportBusy(true);
        view.showImportMessage("");
        view.showImportProgress(importProgressWording(0, total));
        try {
          let report = null;
          for (let round = 0; round < IMPORT_ROUNDS; round += 1) {
            report = await api.importCustomers(file, { dryRun: false, skipInvalid });
            // Rows imported by earlier rounds of this import count as imported before.
            const done = report.already_imported - preview.already_imported + report.imported;
            view.showImportProgress(importProgressWording(Math.min(done, total), total));
            if (report.complete) break;
          }
          if (!report.complete) {
            view.showImportMessage("The import is taking longer than expected: press Import again to carry on.");
            return;
          }
          const done = report.already_imported - preview.already_imported + report.imported;
          view.closeImportDialog();
          view.showListNotice(importDoneWording(done, report));
          afterAction();
        } catch (error) {
          view.showImportMessage(actionError(error).error);
        } finally {
          view.showImportBusy(false);
        }
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

  // ---- the programme ---------------------------------------------------------------------

  async function showProgramme() {
    stopTicker();
    screenShown("programme");
    view.showProgrammeScreen(shopName());
    view.showProgrammeSaved("");
    view.showProgrammeErrors({});
    try {
      const programme = await api.getProgramme();
      update(S.programmeLoaded(state, programme));
      if (state.screen !== "programme") return;
      showProgrammeForm(state.programme);
      previewDraft(view.programmeDraft());
    } catch (error) {
      view.showProgrammeErrors({ "": actionError(error).error });
      return;
    }
    loadRewards();
  }

  /** The rewards editor, its money in the programme's currency. */
  async function loadRewards() {
    view.showRewardsSaved("");
    try {
      const rewards = await api.getRewards();
      update(S.rewardsLoaded(state, rewards));
      if (state.screen !== "programme") return;
      showRewardsEditor(rewards);
    } catch (error) {
      view.showRewards([], rewardCurrencyLabel());
      view.showRewardErrors({ "": actionError(error).error });
    }
  }

  function rewardCurrencyLabel() {
    return currencySymbol(state.programme.currency);
  }

  function showRewardsEditor(rewards) {
    view.showRewards(rewardRows(rewards, state.programme.currency), rewardCurrencyLabel());
    view.showRewardErrors({});
  }

  /** Save the whole list of rewards; each wrong cell is named beside it. */
  async function saveRewards(rows) {
    view.showRewardsSaved("");
    const read = readRewards(rows, state.programme.currency);
    if (read.errors) {
      view.showRewardErrors(read.errors);
      return;
    }
    view.showRewardsSaving(true);
    try {
      const saved = await api.saveRewards(read.rewards);
      update(S.rewardsLoaded(state, saved));
      showRewardsEditor(saved);
      view.showRewardsSaved(rewardsSavedWording(saved));
    } catch (error) {
      const { errors } = error.problem || {};
      view.showRewardErrors(errors ? rewardErrors(errors) : { "": actionError(error).error });
    } finally {
      view.showRewardsSaving(false);
    }
  }

  function showProgrammeForm(programme) {
    const when = (iso) => formatShopDate(iso, programme.timezone);
    view.showProgramme(programmeFields(programme), programmeVersionWording(programme, when));
  }

  /** The live preview: what a bill earns under the unsaved draft, by the server's rule. */
  async function previewDraft(values) {
    view.showProgrammeSaved("");
    const read = readProgramme(values);
    const errors = { ...read.errors };
    let total = null;
    if (!read.errors) {
      total = parseMoney(values.preview_total, read.programme.currency);
      if (total.error) errors.preview_total = total.error;
    }
    view.showProgrammeErrors(errors);
    update(S.previewAsked(state));
    const asked = state.previews;
    if (Object.keys(errors).length) {
      view.showPreview("Correct the fields marked above to see a preview.");
      return;
    }
    const { currency } = read.programme;
    const purchase = { total_minor: total.minor, currency, excluded_minor: 0 };
    try {
      const calculation = await api.calculateDraft(read.programme, purchase);
      if (asked === state.previews) view.showPreview(previewWording(calculation, total.minor, currency));
    } catch (error) {
      if (asked !== state.previews) return; // a newer draft's preview is on its way
      if (error.problem?.errors) view.showProgrammeErrors(programmeErrors(error.problem.errors));
      view.showPreview(sessionLost(error) ? actionError(error).error : previewFailure(error));
    }
  }

  async function saveProgramme(values) {
    const read = readProgramme(values);
    if (read.errors) {
      view.showProgrammeErrors(read.errors);
      return;
    }
    view.showSaving(true);
    try {
      const saved = await api.saveProgramme(read.programme);
      update(S.programmeLoaded(state, saved));
      view.showProgrammeErrors({});
      showProgrammeForm(saved);
      view.showProgrammeSaved(savedWording(saved));
      if (state.rewards) showRewardsEditor(state.rewards); // the money column's currency may have changed
    } catch (error) {
      const { errors } = error.problem || {};
      view.showProgrammeErrors(errors ? programmeErrors(errors) : { "": actionError(error).error });
    } finally {
      view.showSaving(false);
    }
  }

  // ---- the points report -----------------------------------------------------------------

  const shopTodayNow = () => shopToday(Date.now(), state.programme?.timezone);

  async function showReport() {
    stopTicker();
    screenShown("report");
    view.showReportScreen(shopName());
    await loadShop();
    if (state.screen !== "report") return;
    view.showReportPicker(state.report, state.locations || []);
    loadReport();
  }

  /** The picker changed: a custom period starts from the one on show. */
  function pickReport(picked) {
    let next = picked;
    if (picked.choice === "custom" && (!picked.from || !picked.to)) {
      const shown = periodFor(state.report.choice === "custom" ? "this-month" : state.report.choice, shopTodayNow());
      next = { ...picked, from: picked.from || shown.from, to: picked.to || shown.to };
    }
    update(S.reportPicked(state, next));
    view.showReportPicker(state.report, state.locations || []);
    loadReport();
  }

  function reportQuery() {
    const { choice, from, to, location } = state.report;
    const period = periodFor(choice, shopTodayNow(), { from, to });
    return period.error ? period : { ...period, location };
  }

  async function loadReport() {
    const query = reportQuery();
    if (query.error) {
      view.showReportMessage(query.error);
      return;
    }
    update(S.reportAsked(state));
    const asked = state.report.asked;
    try {
      const data = await api.pointsReport(query);
      if (asked !== state.report.asked || state.screen !== "report") return;
      view.showReportMessage("");
      const names = S.locationNames(state);
      const nameOf = (code) => (code === null ? "No location (admin, system)" : names.get(code) ?? code);
      const { headline, lines } = reportWording(data, {
        locationName: query.location ? nameOf(query.location) : null,
      });
      const { unit, buckets } = chartBuckets(data.by_day || [], query.from, query.to);
      view.showReport({
        period: periodLabel(query.from, query.to),
        headline,
        lines,
        unit,
        buckets,
        byLocation: (data.by_location || []).map((row) => ({ ...row, name: nameOf(row.location) })),
      });
    } catch (error) {
      if (asked === state.report.asked) view.showReportMessage(actionError(error).error);
    }
  }

  async function downloadReportCsv() {
    const query = reportQuery();
    if (query.error) {
      view.showReportMessage(query.error);
      return;
    }
    view.showReportDownloading(true);
    try {
      const { blob, filename } = await api.pointsReportCsv(query);
      view.saveFile(blob, filename);
    } catch (error) {
      view.showReportMessage(actionError(error).error);
    } finally {
      view.showReportDownloading(false);
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
    openErase,
    openImport,
    downloadCustomerData,
    saveRewards,
    exportCsv,
    lookNow,
    previewDraft,
    saveProgramme,
    pickReport,
    downloadReportCsv,
    /** @param {boolean} hidden */
    visibilityChanged(hidden) {
      update(S.visibilityChanged(state, hidden)); // no polls while nobody is looking
      if (!hidden) lookNow();
    },
  };
}
