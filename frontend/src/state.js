// Application state and the pure rules of live sync (no DOM, no network: `node --test` runs them).

export const INTERVALS_MS = [5000, 10000, 30000];
export const MAX_BACKOFF_MS = 60000;

/**
 * The initial state.
 * @param {{intervalMs?: number, session?: object | null}} saved what the browser remembered
 */
export function initialState({ intervalMs = 5000, session = null } = {}) {
  return {
    session, // {token, tenant, tenantName, expiresAt} or null
    query: { q: "", page: 1, perPage: 25 },
    list: { items: [], total: 0, etag: null },
    changedIds: new Set(),
    detail: null, // {customerId, name, phone, items, etag} while the panel is open
    live: {
      paused: false,
      hidden: false,
      intervalMs: INTERVALS_MS.includes(intervalMs) ? intervalMs : 5000,
      inFlight: false,
      offline: false,
      failures: 0,
      retryAt: 0,
      lastUpdated: null,
    },
  };
}

/**
 * Ids of customers whose balance differs from the previous list (new rows are not "changed").
 * @param {Array<{customer_id: number, points_balance: number}>} before
 * @param {Array<{customer_id: number, points_balance: number}>} after
 * @returns {Set<number>}
 */
export function changedBalances(before, after) {
  const previous = new Map(before.map((c) => [c.customer_id, c.points_balance]));
  const changed = new Set();
  for (const customer of after) {
    const old = previous.get(customer.customer_id);
    if (old !== undefined && old !== customer.points_balance) changed.add(customer.customer_id);
  }
  return changed;
}

/**
 * How long to wait after `failures` consecutive failed polls: the interval, doubled per
 * failure, capped at a minute.
 * @param {number} intervalMs @param {number} failures
 */
export function backoffDelay(intervalMs, failures) {
  return Math.min(intervalMs * 2 ** Math.max(0, failures), MAX_BACKOFF_MS);
}

/**
 * Whether a timer tick should poll now.
 * @param {ReturnType<typeof initialState>["live"]} live @param {number} now epoch ms
 */
export function shouldPoll(live, now) {
  if (live.paused || live.hidden || live.inFlight) return false;
  return !live.offline || now >= live.retryAt;
}

/**
 * The live-status line.
 * @param {ReturnType<typeof initialState>["live"]} live
 * @returns {{text: string, kind: "live" | "paused" | "offline"}}
 */
export function liveStatus(live) {
  if (live.offline) {
    return { text: "Offline: cannot reach the server. Retrying automatically…", kind: "offline" };
  }
  if (live.paused) return { text: "Paused", kind: "paused" };
  return { text: `● Live (Auto-refresh: ${live.intervalMs / 1000}s)`, kind: "live" };
}

/**
 * Record a failed poll: offline, with the next retry pushed back.
 * @param {ReturnType<typeof initialState>["live"]} live @param {number} now epoch ms
 */
export function markOffline(live, now) {
  live.failures += 1;
  live.offline = true;
  live.retryAt = now + backoffDelay(live.intervalMs, live.failures - 1);
}

/**
 * Record a successful poll (200 or 304).
 * @param {ReturnType<typeof initialState>["live"]} live @param {Date} now
 */
export function markOnline(live, now) {
  live.failures = 0;
  live.offline = false;
  live.retryAt = 0;
  live.lastUpdated = now;
}

/**
 * Parse a location hash such as "#/demo/admin/customers".
 * @param {string} hash
 * @returns {{screen: "customers", tenant: string} | {screen: "sign-in", tenant: string}}
 */
export function parseRoute(hash) {
  const match = /^#\/([a-z0-9][a-z0-9-]*)\/admin\/customers\/?$/.exec(hash || "");
  if (match) return { screen: "customers", tenant: match[1] };
  const signIn = /^#\/sign-in(?:\/([a-z0-9][a-z0-9-]*))?$/.exec(hash || "");
  return { screen: "sign-in", tenant: signIn && signIn[1] ? signIn[1] : "" };
}

/** @param {string} tenant */
export function customersRoute(tenant) {
  return `#/${tenant}/admin/customers`;
}
