// Application state and the pure rules of live sync (no DOM, no network: `node --test` runs them).

export const INTERVALS_MS = [5000, 10000, 30000];
export const MAX_BACKOFF_MS = 15000; // offline: try again at least this often
export const HIGHLIGHT_MS = 10000; // a changed row stays marked this long unless seen sooner
export const LEDGER_PAGE_SIZE = 20;

/**
 * The initial state.
 * @param {{intervalMs?: number, session?: object | null}} saved what the browser remembered
 */
export function initialState({ intervalMs = 5000, session = null } = {}) {
  return {
    session, // {token, tenant, tenantName, expiresAt} or null
    // Keyset pages: `cursor` starts the page (null: the first), `before` the cursors of the
    // pages before it, for Previous.
    query: { q: "", page: 1, perPage: 25, cursor: null, before: [] },
    list: emptyList(),
    highlights: new Map(), // customer id -> epoch ms until which its row stays marked
    detail: null, // {customerId, name, phone, pointsBalance, items, total, etag} while open
    live: {
      paused: false,
      hidden: false,
      intervalMs: INTERVALS_MS.includes(intervalMs) ? intervalMs : 5000,
      inFlight: false,
      offline: false,
      failures: 0,
      retryAt: 0,
      nextPollAt: 0,
      lastUpdated: null,
    },
  };
}

/** A list with nothing in it yet (another search, another page: nothing to compare with). */
export function emptyList() {
  return { items: [], total: 0, totalIsExact: true, nextCursor: null, etag: null };
}

/**
 * The query for the next page (`nextCursor` from the current one) or the previous one.
 * @param {ReturnType<typeof initialState>["query"]} query
 * @param {"next" | "previous"} direction @param {string | null} nextCursor
 */
export function turnPage(query, direction, nextCursor) {
  if (direction === "next") {
    if (!nextCursor) return query;
    return { ...query, page: query.page + 1, cursor: nextCursor, before: [...query.before, query.cursor] };
  }
  if (query.page <= 1) return query;
  const before = query.before.slice(0, -1);
  return { ...query, page: query.page - 1, cursor: query.before.at(-1) ?? null, before };
}

/**
 * "Page 1 of 2 · 37 customers", or "Page 3 · 10,000+ customers" when the count stopped.
 * @param {number} page @param {number} perPage @param {number} total @param {boolean} exact
 */
export function pagerText(page, perPage, total, exact) {
  if (!exact) return `Page ${page} · ${total.toLocaleString("en")}+ customers`;
  const pages = Math.max(1, Math.ceil(total / perPage));
  return `Page ${page} of ${pages} · ${countOf(total, "customer")}`;
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
 * failure, capped at MAX_BACKOFF_MS (so the page recovers within that after the API returns).
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
  return now >= (live.offline ? live.retryAt : live.nextPollAt);
}

/**
 * The live-status line.
 * @param {ReturnType<typeof initialState>["live"]} live
 * @returns {{text: string, kind: "live" | "paused" | "offline"}}
 */
export function liveStatus(live) {
  if (live.offline) return { text: "Offline: cannot reach the server.", kind: "offline" };
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
  live.nextPollAt = now.getTime() + live.intervalMs;
  live.lastUpdated = now;
}

/**
 * "Retrying in N s" while offline (whole seconds, rounded up), else "".
 * @param {ReturnType<typeof initialState>["live"]} live @param {number} now epoch ms
 */
export function retryCountdown(live, now) {
  if (!live.offline) return "";
  if (live.inFlight) return "Retrying now…";
  if (live.paused) return "Press Refresh or Resume to retry.";
  return `Retrying in ${Math.max(1, Math.ceil((live.retryAt - now) / 1000))} s`;
}

/**
 * "1 customer", "2 customers", "1,024 customers".
 * @param {number} count @param {string} word singular @param {string} [plural]
 */
export function countOf(count, word, plural = `${word}s`) {
  return `${count.toLocaleString("en")} ${count === 1 ? word : plural}`;
}

// ---- changed rows ---------------------------------------------------------------------

/**
 * Mark `ids` as changed until `now + HIGHLIGHT_MS` (a row changed again is marked anew).
 * @param {Map<number, number>} highlights @param {Iterable<number>} ids @param {number} now
 */
export function holdHighlights(highlights, ids, now) {
  for (const id of ids) highlights.set(id, now + HIGHLIGHT_MS);
}

/**
 * Drop the marks whose time is over; returns whether any was dropped.
 * @param {Map<number, number>} highlights @param {number} now
 */
export function expireHighlights(highlights, now) {
  let dropped = false;
  for (const [id, until] of highlights) {
    if (until <= now) {
      highlights.delete(id);
      dropped = true;
    }
  }
  return dropped;
}

/** What the polite live region says about the marked rows ("" when none). @param {number} n */
export function changesAnnouncement(n) {
  return n === 0 ? "" : `${countOf(n, "customer")} changed`;
}

// ---- the ledger panel -----------------------------------------------------------------

/** How each operation moves the customer's balance, per point of points_amount. */
const BALANCE_EFFECT = {
  earn_points: 1,
  redeem_points: -1,
  reverse_redemption: 1,
  adjust_points: 1, // carries its own sign
  open_account: 1,
};

/**
 * The entry's points from the customer's point of view: −20 for a redemption of 20.
 * @param {{operation_type: string, points_amount: number}} entry
 */
export function signedPoints(entry) {
  return (BALANCE_EFFECT[entry.operation_type] ?? 1) * entry.points_amount;
}

/**
 * For each redemption among `entries`, the points that can still be refunded. Exact when the
 * entries run without gaps from the newest one: reversals always come after their redemption.
 * @param {Array<object>} entries ledger entries, newest first
 * @returns {Map<number, number>} redemption transaction id -> points left
 */
export function refundable(entries) {
  const reversed = new Map();
  for (const entry of entries) {
    const target = entry.operation_type === "reverse_redemption"
      ? entry.operation_details?.reverses_transaction_id
      : undefined;
    if (target !== undefined) reversed.set(target, (reversed.get(target) || 0) + entry.points_amount);
  }
  const left = new Map();
  for (const entry of entries) {
    if (entry.operation_type === "redeem_points") {
      left.set(entry.transaction_id, entry.points_amount - (reversed.get(entry.transaction_id) || 0));
    }
  }
  return left;
}

/**
 * The panel's entries after a fresh first page arrived: the fresh ones, then the older ones
 * already shown. When the fresh page does not reach the ones shown (many new entries), only
 * the fresh page is kept, so the list never has a gap.
 * @param {Array<object>} shown newest first @param {Array<object>} fresh newest first
 */
export function mergeNewest(shown, fresh) {
  if (fresh.length === 0) return [];
  const oldestFresh = fresh[fresh.length - 1].transaction_id;
  if (shown.length > 0 && shown[0].transaction_id < oldestFresh) return fresh;
  return [...fresh, ...shown.filter((entry) => entry.transaction_id < oldestFresh)];
}

/**
 * The shown entries with an older page appended (pages shift as new entries arrive, so an
 * entry may come twice: it is kept once).
 * @param {Array<object>} shown newest first @param {Array<object>} older
 */
export function appendOlder(shown, older) {
  const oldest = shown.length ? shown[shown.length - 1].transaction_id : Infinity;
  return [...shown, ...older.filter((entry) => entry.transaction_id < oldest)];
}

/**
 * The page number ("page" parameter) holding the entry right after the `shown` newest ones.
 * @param {number} shown @param {number} [perPage]
 */
export function olderPage(shown, perPage = LEDGER_PAGE_SIZE) {
  return Math.floor(shown / perPage) + 1;
}

// ---- forms --------------------------------------------------------------------------------

/**
 * What the adjustment dialog says, and asks before points move.
 * @param {string} who @param {number} balance @param {number} points signed @param {string} reason
 */
export function adjustmentWording(who, balance, points, reason) {
  const amount = countOf(Math.abs(points), "point");
  return {
    context: `${who} has ${countOf(balance, "point")}.`,
    question:
      `${points > 0 ? `Add ${amount} to` : `Remove ${amount} from`} ${who}? ` +
      `The balance goes from ${balance} to ${balance + points}. Reason: ${reason}`,
    confirm: `${points > 0 ? "Add" : "Remove"} ${amount}`,
  };
}

/**
 * What the refund dialog says about a redemption, and asks before points move.
 * @param {string} who @param {{transaction_reference: string, points_amount: number}} redemption
 * @param {number} left still refundable @param {number} points to give back
 */
export function refundWording(who, redemption, left, points) {
  const reference = redemption.transaction_reference;
  return {
    context:
      `Redemption ${reference} took ${countOf(redemption.points_amount, "point")}; ` +
      `${countOf(left, "point")} can still be given back.`,
    question:
      `Give ${countOf(points, "point")} back to ${who} for ${reference}` +
      `${points === left ? " (all that is left)" : ""}?`,
    confirm: `Refund ${countOf(points, "point")}`,
  };
}

const MAX_POINTS = 1_000_000;

/**
 * Read "+50", "-10", "−10" or "25" as a non-zero whole number of points.
 * @param {string} text @returns {{points: number} | {error: string}}
 */
export function parseAdjustment(text) {
  const cleaned = String(text).trim().replace(/^\u2212/, "-").replace(/[\s,]/g, "");
  if (!/^[+-]?\d+$/.test(cleaned)) {
    return { error: "Enter a whole number of points, e.g. 50 to add or -10 to remove." };
  }
  const points = Number(cleaned);
  if (points === 0) return { error: "Enter a number other than zero." };
  if (Math.abs(points) > MAX_POINTS) return { error: "At most 1,000,000 points at a time." };
  return { points };
}

/**
 * Read the points of a refund: 1 up to what is left of the redemption.
 * @param {string} text @param {number} left @returns {{points: number} | {error: string}}
 */
export function parseRefund(text, left) {
  const cleaned = String(text).trim().replace(/[\s,]/g, "");
  if (!/^\d+$/.test(cleaned) || Number(cleaned) < 1) {
    return { error: "Enter a whole number of points, at least 1." };
  }
  const points = Number(cleaned);
  if (points > left) return { error: `Only ${countOf(left, "point")} can still be refunded.` };
  return { points };
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
