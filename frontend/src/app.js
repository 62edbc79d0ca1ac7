// Wiring: routes, the live-sync ticker, and the gestures that view.js reports. The ticker,
// the Refresh button and the browser's online/focus signals all call the same refresh().

import { API_BASE_URL } from "./config.js";
import { ApiError, OfflineError, createApi } from "./api.js";
import {
  LEDGER_PAGE_SIZE,
  appendOlder,
  adjustmentWording,
  changedBalances,
  customersRoute,
  emptyList,
  expireHighlights,
  holdHighlights,
  initialState,
  liveStatus,
  markOffline,
  markOnline,
  mergeNewest,
  olderPage,
  pagerText,
  parseAdjustment,
  parseRefund,
  parseRoute,
  refundWording,
  refundable,
  retryCountdown,
  shouldPoll,
  turnPage,
} from "./state.js";
import * as view from "./view.js";

const SESSION_KEY = "loyalty.session";
const INTERVAL_KEY = "loyalty.refreshIntervalMs";
const TICK_MS = 1000;

function loadSession() {
  try {
    return JSON.parse(sessionStorage.getItem(SESSION_KEY));
  } catch {
    return null;
  }
}

const state = initialState({
  intervalMs: Number(localStorage.getItem(INTERVAL_KEY)),
  session: loadSession(),
});
const api = createApi(API_BASE_URL, () => state.session?.token ?? null);
let ticker = null;
let pollTimer = null;
let refreshAgain = false;

// ---- screens and routes -------------------------------------------------------------

function route() {
  const target = parseRoute(location.hash);
  const session = state.session;
  const expired = session && Date.parse(session.expiresAt) <= Date.now();
  if (expired) {
    endSession("Your session has expired. Please sign in again.");
  } else if (session && target.screen === "customers" && target.tenant === session.tenant) {
    showCustomers();
  } else if (session && target.screen !== "customers" && !target.tenant) {
    location.replace(customersRoute(session.tenant));
  } else {
    stopTicker();
    view.showSignIn(target.tenant || session?.tenant || "", "");
  }
}

function showCustomers() {
  view.showCustomersScreen(state.session.tenantName || state.session.tenant, state.live.intervalMs);
  renderLive();
  startTicker();
  refresh();
}

function endSession(message) {
  const tenant = state.session?.tenant || "";
  state.session = null;
  state.list = emptyList();
  state.highlights.clear();
  closeDetail();
  stopTicker();
  sessionStorage.removeItem(SESSION_KEY);
  history.replaceState(null, "", `#/sign-in${tenant ? `/${tenant}` : ""}`);
  view.showSignIn(tenant, message);
}

async function signIn({ tenant, email, password }) {
  if (!tenant || !email || !password) {
    view.showSignInMessage("Fill in tenant, email and password.");
    return;
  }
  try {
    const session = await api.signIn(tenant, email, password);
    state.session = {
      token: session.token,
      tenant: session.tenant,
      tenantName: session.tenant_name,
      expiresAt: session.expires_at,
    };
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(state.session));
    const target = customersRoute(session.tenant);
    if (location.hash === target) route();
    else location.hash = target;
  } catch (error) {
    view.showSignInMessage(
      error instanceof ApiError && error.status === 401
        ? "Wrong tenant, email or password."
        : error instanceof OfflineError
          ? "Cannot reach the server. Check your connection and try again."
          : error.message,
    );
  }
}

// ---- live sync: one ticker a second decides when to poll ------------------------------

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
  if (expireHighlights(state.highlights, now)) view.showHighlights(state.highlights);
  if (state.live.offline) renderLive();
  if (shouldPoll(state.live, now)) refresh();
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
  view.showLive(liveStatus(state.live), {
    paused: state.live.paused,
    retry: retryCountdown(state.live, Date.now()),
    lastUpdated: state.live.lastUpdated,
  });
}

/** Fetch the list and the open panel now; one request at a time. */
async function refresh() {
  if (!state.session) return;
  if (state.live.inFlight) {
    refreshAgain = true; // a manual refresh or a new search while a poll is out: run once more
    return;
  }
  state.live.inFlight = true;
  renderLive();
  try {
    await refreshList();
    if (state.detail) await refreshDetail();
    markOnline(state.live, new Date());
    view.showListMessage("");
  } catch (error) {
    handleRefreshError(error);
  } finally {
    state.live.inFlight = false;
    if (state.session) renderLive();
    scheduleNextPoll();
  }
  if (refreshAgain && state.session) {
    refreshAgain = false;
    refresh();
  }
}

async function refreshList() {
  const query = { ...state.query };
  const result = await api.listCustomers(query, state.list.etag);
  if (JSON.stringify(query) !== JSON.stringify(state.query)) {
    refreshAgain = true; // the search changed while this was out: the answer is stale
    return;
  }
  if (result.notModified) return;
  const changed = changedBalances(state.list.items, result.data.items);
  holdHighlights(state.highlights, changed, Date.now());
  const { items, total, total_is_exact: totalIsExact, next_cursor: nextCursor } = result.data;
  state.list = { items, total, totalIsExact, nextCursor, etag: result.etag };
  showList();
  syncDetailCard();
}

function showList() {
  view.showCustomers(state.list.items, state.highlights, {
    onOpen: openDetail,
    onSeen: (id) => {
      state.highlights.delete(id);
      view.showHighlights(state.highlights);
    },
  });
  const { page, perPage } = state.query;
  view.showPager(pagerText(page, perPage, state.list.total, state.list.totalIsExact), {
    previous: page > 1,
    next: state.list.nextCursor !== null,
  });
}

function handleRefreshError(error) {
  if (error instanceof OfflineError) {
    markOffline(state.live, Date.now());
  } else if (error instanceof ApiError && error.status === 401) {
    sessionLost(error);
  } else {
    view.showListMessage(error.message);
  }
}

function sessionLost(error) {
  state.live.inFlight = false;
  endSession(
    error.problem.expired
      ? "Your session has expired. Please sign in again."
      : "Please sign in again.",
  );
}

// ---- the detail panel ----------------------------------------------------------------

function openDetail(customer) {
  state.detail = {
    customerId: customer.customer_id,
    name: customer.name,
    phone: customer.phone,
    pointsBalance: customer.points_balance,
    items: [],
    total: null,
    etag: null,
  };
  showDetail();
  view.focusDetail();
  refreshDetail().catch((error) => view.showDetailMessage(error.message));
}

function showDetail() {
  view.showDetail(state.detail, refundable(state.detail.items), openRefund);
}

/** The panel's newest page, merged with the older entries already shown. */
async function refreshDetail() {
  const detail = state.detail;
  try {
    const result = await api.customerTransactions(detail.customerId, detail.etag, 1, LEDGER_PAGE_SIZE);
    if (state.detail !== detail || result.notModified) return;
    detail.items = mergeNewest(detail.items, result.data.items);
    detail.total = result.data.total;
    detail.etag = result.etag;
    showDetail();
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) closeDetail();
    else throw error;
  }
}

/** Keep the panel's name and balance in step with the list's row of the same customer. */
function syncDetailCard() {
  const card = state.detail && state.list.items.find((c) => c.customer_id === state.detail.customerId);
  if (!card) return;
  Object.assign(state.detail, { name: card.name, pointsBalance: card.points_balance });
  showDetail();
}

async function showOlder() {
  const detail = state.detail;
  try {
    const page = olderPage(detail.items.length, LEDGER_PAGE_SIZE);
    const result = await api.customerTransactions(detail.customerId, null, page, LEDGER_PAGE_SIZE);
    if (state.detail !== detail) return;
    detail.items = appendOlder(detail.items, result.data.items);
    detail.total = result.data.total;
    showDetail();
  } catch (error) {
    actionFailed(error, view.showDetailMessage);
  }
}

function closeDetail() {
  state.detail = null;
  view.hideDetail();
}

// ---- actions: each shows the API's problem on failure and the result at once ------------

function reference(kind) {
  return `${kind}-${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`;
}

/** What an action's failure tells the user; a lost session signs out. */
function actionError(error) {
  if (error instanceof ApiError && error.status === 401) {
    sessionLost(error);
    return { error: "Your session ended." };
  }
  if (error instanceof OfflineError) return { error: "Cannot reach the server; nothing was sent. Try again." };
  return { error: error.problem?.detail || error.message };
}

function actionFailed(error, show) {
  show(actionError(error).error);
}

/** After an action: the list and the panel now, not at the next poll (the dialog closes
 * meanwhile). */
function afterAction() {
  state.list.etag = null;
  if (state.detail) state.detail.etag = null;
  return refresh();
}

function detailName() {
  return state.detail.name || view.formatPhone(state.detail.phone);
}

function openAddCustomer() {
  view.openFormDialog("add-dialog", {
    async submit({ phone, name }) {
      if (!phone.trim()) return { error: "Enter the customer's phone number." };
      const customer = { phone: phone.trim(), name: name.trim() || null };
      // The panel opens once the dialog has closed and given the focus back.
      return act(() => api.addCustomer(customer), (card) => setTimeout(() => openDetail(card)));
    },
  });
}

function openRename() {
  const customerId = state.detail.customerId;
  view.openFormDialog("name-dialog", {
    values: { name: state.detail.name || "" },
    submit: ({ name }) => act(() => api.renameCustomer(customerId, name.trim() || null)),
  });
}

function openAdjust() {
  const { customerId, pointsBalance } = state.detail;
  const who = detailName();
  const transactionReference = reference("adj"); // one per dialog: a double submit replays
  view.openFormDialog("adjust-dialog", {
    context: adjustmentWording(who, pointsBalance, 0, "").context,
    async submit(fields) {
      const parsed = parseAdjustment(fields.points);
      if (parsed.error) return parsed;
      const reason = fields.reason.trim();
      if (!reason) return { error: "Give a reason for the adjustment." };
      const { points } = parsed;
      const wording = adjustmentWording(who, pointsBalance, points, reason);
      if (!(await view.confirmAction(wording.question, wording.confirm))) return { error: "" };
      return act(() =>
        api.adjustPoints(customerId, { points, reason, transaction_reference: transactionReference }),
      );
    },
  });
}

function openRefund(redemption, left) {
  const customerId = state.detail.customerId;
  const who = detailName();
  const transactionReference = reference("ref");
  view.openFormDialog("refund-dialog", {
    context: refundWording(who, redemption, left, left).context,
    values: { points: String(left) },
    async submit(fields) {
      const parsed = parseRefund(fields.points, left);
      if (parsed.error) return parsed;
      const { points } = parsed;
      const wording = refundWording(who, redemption, left, points);
      if (!(await view.confirmAction(wording.question, wording.confirm))) return { error: "" };
      const refund = { points, reason: fields.reason.trim() || null, transaction_reference: transactionReference };
      return act(() => api.refund(customerId, redemption.transaction_id, refund));
    },
  });
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

async function exportCsv() {
  view.showExporting(true);
  try {
    const { blob, filename } = await api.exportCustomers(view.searchText());
    view.saveFile(blob, filename);
    view.showListMessage("");
  } catch (error) {
    actionFailed(error, view.showListMessage);
  } finally {
    view.showExporting(false);
  }
}

// ---- controls ----------------------------------------------------------------------

function newQuery(query) {
  state.query = query;
  state.list = emptyList(); // another list: nothing to compare with
  refresh();
}

function togglePause() {
  state.live.paused = !state.live.paused;
  if (!state.live.paused) refresh();
  renderLive();
}

function changeInterval(intervalMs) {
  state.live.intervalMs = intervalMs;
  state.live.nextPollAt = Math.min(state.live.nextPollAt, Date.now() + intervalMs);
  localStorage.setItem(INTERVAL_KEY, String(intervalMs));
  scheduleNextPoll();
  renderLive();
}

/** Online again, or the admin came back to the window: look now, whatever the backoff said. */
function lookNow() {
  if (state.session && view.customersScreenShown() && !state.live.paused && !state.live.hidden) {
    refresh();
  }
}

view.bindSignIn(signIn);
view.bindButtons({
  // The token is sent for revocation before endSession forgets it.
  "sign-out": () => endSession("You have signed out.", api.signOut()),
  refresh: () => refresh(),
  pause: togglePause,
  "prev-page": () => newQuery(turnPage(state.query, "previous", null)),
  "next-page": () => newQuery(turnPage(state.query, "next", state.list.nextCursor)),
  "close-detail": closeDetail,
  "show-older": showOlder,
  "add-customer": openAddCustomer,
  "export-csv": exportCsv,
  "adjust-points": openAdjust,
  "edit-name": openRename,
});
view.bindInterval(changeInterval);
view.bindSearch((q) => newQuery({ ...state.query, q, page: 1, cursor: null, before: [] }));
view.bindPageSignals({
  onOnline: lookNow,
  onFocus: lookNow,
  onVisibility(hidden) {
    state.live.hidden = hidden; // no polls while nobody is looking
    if (!hidden) lookNow();
  },
});

window.addEventListener("hashchange", route);
route();
