// Wiring: routes, the live-sync timer, and the controls. The timer and the Refresh button
// call the same refresh().

import { API_BASE_URL } from "./config.js";
import { ApiError, OfflineError, createApi } from "./api.js";
import {
  changedBalances,
  customersRoute,
  initialState,
  liveStatus,
  markOffline,
  markOnline,
  parseRoute,
  shouldPoll,
} from "./state.js";
import {
  formatClock,
  renderCustomers,
  renderDetail,
  renderPager,
  renderStatus,
} from "./view.js";

const SESSION_KEY = "loyalty.session";
const INTERVAL_KEY = "loyalty.refreshIntervalMs";
const SEARCH_DEBOUNCE_MS = 300;

const $ = (id) => document.getElementById(id);

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
let timer = null;
let refreshAgain = false;
let searchTimer = null;

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
    showSignIn(target.tenant || session?.tenant || "", "");
  }
}

function showSignIn(tenant, message) {
  stopTimer();
  $("customers-screen").hidden = true;
  $("sign-out").hidden = true;
  $("shop-name").textContent = "Loyalty admin";
  $("sign-in-screen").hidden = false;
  $("sign-in-message").textContent = message;
  if (tenant) $("tenant").value = tenant;
  (tenant ? $("email") : $("tenant")).focus();
}

function showCustomers() {
  $("sign-in-screen").hidden = true;
  $("customers-screen").hidden = false;
  $("sign-out").hidden = false;
  $("shop-name").textContent = state.session.tenantName || state.session.tenant;
  $("interval").value = String(state.live.intervalMs);
  renderLive();
  if (!state.live.paused) startTimer();
  refresh();
}

function endSession(message) {
  const tenant = state.session?.tenant || "";
  state.session = null;
  state.list = { items: [], total: 0, etag: null };
  closeDetail();
  sessionStorage.removeItem(SESSION_KEY);
  history.replaceState(null, "", `#/sign-in${tenant ? `/${tenant}` : ""}`);
  showSignIn(tenant, message);
}

// ---- live sync ---------------------------------------------------------------------

function startTimer() {
  stopTimer();
  timer = setInterval(() => {
    if (shouldPoll(state.live, Date.now())) refresh();
  }, state.live.intervalMs);
}

function stopTimer() {
  if (timer !== null) clearInterval(timer);
  timer = null;
}

function renderLive() {
  renderStatus($("live-status"), liveStatus(state.live));
  const pause = $("pause");
  pause.textContent = state.live.paused ? "Resume" : "Pause";
  pause.setAttribute("aria-pressed", String(state.live.paused));
  if (state.live.lastUpdated) {
    $("last-updated").textContent = `Last updated ${formatClock(state.live.lastUpdated)}`;
  }
}

/** Fetch the list (and the open detail) now; one request at a time. */
async function refresh() {
  if (!state.session) return;
  if (state.live.inFlight) {
    refreshAgain = true; // a manual refresh or a new search while a poll is out: run once more
    return;
  }
  state.live.inFlight = true;
  const query = { ...state.query };
  try {
    const result = await api.listCustomers(query, state.list.etag);
    const stillWanted = JSON.stringify(query) === JSON.stringify(state.query);
    if (stillWanted && !result.notModified) {
      state.changedIds = changedBalances(state.list.items, result.data.items);
      state.list = { items: result.data.items, total: result.data.total, etag: result.etag };
      renderCustomers($("customers"), state.list.items, state.changedIds, openDetail);
      renderPager($("page-info"), query.page, query.perPage, state.list.total, $("prev-page"), $("next-page"));
    }
    if (!stillWanted) refreshAgain = true;
    if (state.detail) await refreshDetail();
    markOnline(state.live, new Date());
    $("list-message").textContent = "";
  } catch (error) {
    if (error instanceof OfflineError) {
      markOffline(state.live, Date.now());
    } else if (error instanceof ApiError && error.status === 401) {
      state.live.inFlight = false;
      endSession(
        error.problem.expired
          ? "Your session has expired. Please sign in again."
          : "Please sign in again.",
      );
      return;
    } else {
      $("list-message").textContent = error.message;
    }
  } finally {
    state.live.inFlight = false;
    if (state.session) renderLive();
  }
  if (refreshAgain) {
    refreshAgain = false;
    refresh();
  }
}

// ---- the detail panel ----------------------------------------------------------------

function openDetail(customer) {
  state.detail = {
    customerId: customer.customer_id,
    name: customer.name,
    phone: customer.phone,
    items: [],
    etag: null,
  };
  const panel = $("detail");
  renderDetail(panel, state.detail);
  panel.hidden = false;
  refreshDetail().then(
    () => $("close-detail").focus(),
    (error) => {
      $("list-message").textContent = error.message;
    },
  );
}

async function refreshDetail() {
  const detail = state.detail;
  try {
    const result = await api.customerTransactions(detail.customerId, detail.etag);
    if (state.detail !== detail || result.notModified) return;
    detail.items = result.data.items;
    detail.etag = result.etag;
    renderDetail($("detail"), detail);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) closeDetail();
    else throw error;
  }
}

function closeDetail() {
  state.detail = null;
  $("detail").hidden = true;
}

// ---- controls ----------------------------------------------------------------------

function newQuery(change) {
  Object.assign(state.query, change);
  state.list = { items: [], total: 0, etag: null }; // another list: nothing to compare with
  refresh();
}

$("sign-in-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const tenant = $("tenant").value.trim().toLowerCase();
  const email = $("email").value.trim();
  const password = $("password").value;
  if (!tenant || !email || !password) {
    $("sign-in-message").textContent = "Fill in tenant, email and password.";
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
    $("password").value = "";
    const target = customersRoute(session.tenant);
    if (location.hash === target) route();
    else location.hash = target;
  } catch (error) {
    $("sign-in-message").textContent =
      error instanceof ApiError && error.status === 401
        ? "Wrong tenant, email or password."
        : error instanceof OfflineError
          ? "Cannot reach the server. Check your connection and try again."
          : error.message;
  }
});

$("sign-out").addEventListener("click", () => endSession("You have signed out.", api.signOut()));
$("refresh").addEventListener("click", () => refresh());
$("pause").addEventListener("click", () => {
  state.live.paused = !state.live.paused;
  if (state.live.paused) {
    stopTimer();
  } else {
    startTimer();
    refresh();
  }
  renderLive();
});
$("interval").addEventListener("change", (event) => {
  state.live.intervalMs = Number(event.target.value);
  localStorage.setItem(INTERVAL_KEY, String(state.live.intervalMs));
  if (timer !== null) startTimer();
  renderLive();
});
$("search").addEventListener("input", (event) => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => newQuery({ q: event.target.value.trim(), page: 1 }), SEARCH_DEBOUNCE_MS);
});
$("prev-page").addEventListener("click", () => newQuery({ page: Math.max(1, state.query.page - 1) }));
$("next-page").addEventListener("click", () => newQuery({ page: state.query.page + 1 }));
$("close-detail").addEventListener("click", closeDetail);

document.addEventListener("visibilitychange", () => {
  state.live.hidden = document.hidden;
  if (!state.session || $("customers-screen").hidden) return;
  if (document.hidden) {
    stopTimer(); // nobody is looking: no polls until the tab is back
  } else if (!state.live.paused) {
    startTimer();
    refresh();
  }
});

window.addEventListener("hashchange", route);
route();
