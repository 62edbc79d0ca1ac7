// The app's state and its only writer: pure functions that return the next state and never
// change their arguments (no DOM, no network, no storage, no clock: `node --test` runs them).

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
    screen: null, // the name of the screen on show (router.js's SCREENS)
    // Keyset pages: `cursor` starts the page (null: the first), `before` the cursors of the
    // pages before it, for Previous.
    query: { q: "", page: 1, perPage: 25, cursor: null, before: [] },
    list: emptyList(),
    highlights: new Map(), // customer id -> epoch ms until which its row stays marked
    // {opening, customerId, name, phone, pointsBalance, items, total, etag} while open;
    // `opening` tells an answer for this opening of the panel from one for an earlier one.
    detail: null,
    openings: 0,
    programme: null, // the programme in force (GET /api/admin/programme), once loaded
    rewards: null, // the shop's rewards, once loaded
    toastOutcomes: [], // Toast REDEEMs whose outcome was lost, as last read (the panel's notices)
    locations: null, // the shop's locations, once loaded
    previews: 0, // previews of the programme's draft asked for
    // The report's picker: which period, its dates when custom, which location (null: all).
    report: { choice: "this-month", from: "", to: "", location: null, asked: 0 },
    live: {
      paused: false,
      hidden: false,
      intervalMs: INTERVALS_MS.includes(intervalMs) ? intervalMs : 5000,
      inFlight: false,
      rerun: false, // asked for while a poll was out (or its answer went stale): poll once more
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

// ---- session and screens ------------------------------------------------------------------

/**
 * Signed in with the API's answer.
 * @param {{token: string, tenant: string, tenant_name: string, expires_at: string}} answer
 */
export function signedIn(state, answer) {
  const session = {
    token: answer.token,
    tenant: answer.tenant,
    tenantName: answer.tenant_name,
    expiresAt: answer.expires_at,
  };
  return { ...state, session };
}

/** Signed out (or the session was lost): nothing of the shop is kept. */
export function signedOut(state) {
  return {
    ...state,
    session: null,
    list: emptyList(),
    highlights: new Map(),
    detail: null,
    programme: null,
    locations: null,
    rewards: null,
    toastOutcomes: [],
  };
}

/** @param {string} screen the name of the screen now on show */
export function screenShown(state, screen) {
  return state.screen === screen ? state : { ...state, screen };
}

// ---- live sync ----------------------------------------------------------------------------

const withLive = (state, live) => ({ ...state, live: { ...state.live, ...live } });

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
 * The live status after a failed poll: offline, with the next retry pushed back.
 * @param {ReturnType<typeof initialState>["live"]} live @param {number} now epoch ms
 */
export function markOffline(live, now) {
  const failures = live.failures + 1;
  return { ...live, failures, offline: true, retryAt: now + backoffDelay(live.intervalMs, failures - 1) };
}

/**
 * The live status after a successful poll (200 or 304).
 * @param {ReturnType<typeof initialState>["live"]} live @param {Date} now
 */
export function markOnline(live, now) {
  return {
    ...live,
    failures: 0,
    offline: false,
    retryAt: 0,
    nextPollAt: now.getTime() + live.intervalMs,
    lastUpdated: now,
  };
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

/** A poll went out. */
export const pollStarted = (state) => withLive(state, { inFlight: true });
/** The poll answered, failed or was given up. */
export const pollEnded = (state) => withLive(state, { inFlight: false });
/** Another poll is wanted as soon as the one out has answered. */
export const rerunWanted = (state) => withLive(state, { rerun: true });
/** That other poll is going out. */
export const rerunTaken = (state) => withLive(state, { rerun: false });
/** @param {number} now epoch ms */
export const wentOffline = (state, now) => ({ ...state, live: markOffline(state.live, now) });
/** @param {Date} now */
export const cameOnline = (state, now) => ({ ...state, live: markOnline(state.live, now) });
export const pauseToggled = (state) => withLive(state, { paused: !state.live.paused });
/** @param {boolean} hidden whether the tab is hidden (no polls while nobody is looking) */
export const visibilityChanged = (state, hidden) => withLive(state, { hidden });

/**
 * Another refresh interval; a poll due later than one new interval from now comes sooner.
 * @param {number} intervalMs @param {number} now epoch ms
 */
export function intervalChosen(state, intervalMs, now) {
  return withLive(state, { intervalMs, nextPollAt: Math.min(state.live.nextPollAt, now + intervalMs) });
}

// ---- the customer list --------------------------------------------------------------------

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

/** The first page of a new search. @param {string} q */
export function searchQuery(query, q) {
  return { ...query, q, page: 1, cursor: null, before: [] };
}

/** Whether two queries ask for the same page. */
export function sameQuery(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Another query: its list starts empty (nothing to compare with). */
export function queryChanged(state, query) {
  return { ...state, query, list: emptyList() };
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
 * A page of the list arrived: it replaces the list, and the rows whose balance moved are
 * marked until `now + HIGHLIGHT_MS`.
 * @param {{items: Array<object>, total: number, total_is_exact: boolean,
 *   next_cursor: string | null}} data the API's page @param {string | null} etag
 * @param {number} now epoch ms
 */
export function listArrived(state, data, etag, now) {
  const highlights = holdHighlights(state.highlights, changedBalances(state.list.items, data.items), now);
  const { items, total, total_is_exact: totalIsExact, next_cursor: nextCursor } = data;
  return { ...state, highlights, list: { items, total, totalIsExact, nextCursor, etag } };
}

/** After a change of ours: the next list and panel answers are taken whole, not as a 304. */
export function etagsDropped(state) {
  return {
    ...state,
    list: { ...state.list, etag: null },
    detail: state.detail && { ...state.detail, etag: null },
  };
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
 * The marks with `ids` marked as changed until `now + HIGHLIGHT_MS` (a row changed again is
 * marked anew); the same map when there is nothing to mark.
 * @param {Map<number, number>} highlights @param {Iterable<number>} ids @param {number} now
 */
export function holdHighlights(highlights, ids, now) {
  const marked = [...ids];
  if (marked.length === 0) return highlights;
  return new Map([...highlights, ...marked.map((id) => [id, now + HIGHLIGHT_MS])]);
}

/**
 * The marks whose time is not over; the same map when none was dropped.
 * @param {Map<number, number>} highlights @param {number} now
 */
export function expireHighlights(highlights, now) {
  const kept = [...highlights].filter(([, until]) => until > now);
  return kept.length === highlights.size ? highlights : new Map(kept);
}

/** The state with the expired marks dropped; the same state when none was. @param {number} now */
export function highlightsExpired(state, now) {
  const highlights = expireHighlights(state.highlights, now);
  return highlights === state.highlights ? state : { ...state, highlights };
}

/** The admin saw the row of customer `id`: it is no longer marked. */
export function rowSeen(state, id) {
  const highlights = new Map(state.highlights);
  highlights.delete(id);
  return { ...state, highlights };
}

/** What the polite live region says about the marked rows ("" when none). @param {number} n */
export function changesAnnouncement(n) {
  return n === 0 ? "" : `${countOf(n, "customer")} changed`;
}

// ---- the ledger panel -----------------------------------------------------------------

export const EARN = "earn_points";
export const REDEEM = "redeem_points";
export const REVERSE_REDEMPTION = "reverse_redemption";
export const REVERSE_EARN = "reverse_earn";

/**
 * The ledger's operation types, the app's one list of them: the shop owner's word for each,
 * and how it moves the balance per point of points_amount. A type missing here (a new one the
 * API has and this app not yet) is named from its own name and moves the balance by what the
 * entries' balances say, never by a guess (see balanceMoves).
 */
export const OPERATIONS = {
  [EARN]: { label: "Earned", effect: 1 },
  [REDEEM]: { label: "Redeemed", effect: -1 },
  [REVERSE_REDEMPTION]: { label: "Refunded", effect: 1 },
  adjust_points: { label: "Adjusted", effect: 1 }, // carries its own sign
  open_account: { label: "Account opened", effect: 1 },
  [REVERSE_EARN]: { label: "Returned", effect: -1 }, // a return takes back what a purchase earned
  expire_points: { label: "Expired", effect: -1 },
  import_points: { label: "Imported", effect: 1 }, // the opening balance from the old system
  forfeit_points: { label: "Forfeited (erased)", effect: -1 }, // the balance of an erasure
};

/**
 * Whether a customer card is of an erased customer: its phone is then the pseudonym, never an
 * E.164 number (the server's own test, customer_data.is_pseudonym: no leading "+").
 * @param {{phone: string}} card
 */
export function isErased(card) {
  return !String(card?.phone ?? "+").startsWith("+");
}

/** "Earned", or "Expire points" for a type the app does not know yet. @param {string} type */
export function operationLabel(type) {
  const known = OPERATIONS[type]?.label;
  if (known) return known;
  const words = String(type).replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * The entry's points from the customer's point of view by its type: −20 for a redemption of
 * 20; null for a type not in OPERATIONS (which way it moved the balance is not known).
 * @param {{operation_type: string, points_amount: number}} entry
 * @returns {number | null}
 */
export function signedPoints(entry) {
  const effect = OPERATIONS[entry.operation_type]?.effect;
  return effect === undefined ? null : effect * entry.points_amount;
}

/**
 * How much each entry moved the balance, in the order of `entries` (newest first, without
 * gaps): its `points_change` when the API gives it, else its balance_after less the one of the entry before it, as the API computed them, so
 * a new operation type is signed right too. The oldest entry shown has none before it on show:
 * when it is the customer's first (`complete`: every entry is shown) it moved the balance from
 * 0, else its type says (null when the type is unknown).
 * @param {Array<{balance_after: number}>} entries @param {boolean} complete
 * @returns {Array<number | null>}
 */
export function balanceMoves(entries, complete) {
  return entries.map((entry, i) => {
    if (Number.isInteger(entry.points_change)) return entry.points_change; // the API's own sign
    const older = entries[i + 1];
    if (older) return entry.balance_after - older.balance_after;
    return complete ? entry.balance_after : signedPoints(entry);
  });
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
    const target = entry.operation_type === REVERSE_REDEMPTION
      ? entry.operation_details?.reverses_transaction_id
      : undefined;
    if (target !== undefined) reversed.set(target, (reversed.get(target) || 0) + entry.points_amount);
  }
  const left = new Map();
  for (const entry of entries) {
    if (entry.operation_type === REDEEM) {
      left.set(entry.transaction_id, entry.points_amount - (reversed.get(entry.transaction_id) || 0));
    }
  }
  return left;
}

/**
 * For each earn among `entries`, what a return can still take back: the points left and, for
 * an earn from a bill, the money left of its eligible amount (null: an earn of points with no
 * bill, returned only whole) and its currency. Exact when the entries run without gaps from
 * the newest one, as for refundable().
 * @param {Array<object>} entries ledger entries, newest first
 * @returns {Map<number, {pointsLeft: number, moneyLeft: number | null, currency: string | null}>}
 */
export function returnable(entries) {
  const taken = new Map();
  const moneyBack = new Map();
  for (const entry of entries) {
    if (entry.operation_type !== REVERSE_EARN) continue;
    const details = entry.operation_details || {};
    const target = details.reverses_transaction_id;
    if (target === undefined) continue;
    const points = entry.points_amount + (details.points_unrecovered || 0);
    taken.set(target, (taken.get(target) || 0) + points);
    const money = details.programme?.returned_minor ?? details.returned_minor ?? 0;
    moneyBack.set(target, (moneyBack.get(target) || 0) + money);
  }
  const left = new Map();
  for (const entry of entries) {
    if (entry.operation_type !== EARN) continue;
    const details = entry.operation_details || {};
    const eligible = details.programme?.eligible_minor;
    const bill = details.purchase && Number.isInteger(eligible);
    left.set(entry.transaction_id, {
      pointsLeft: Math.max(0, entry.points_amount - (taken.get(entry.transaction_id) || 0)),
      moneyLeft: bill ? Math.max(0, eligible - (moneyBack.get(entry.transaction_id) || 0)) : null,
      currency: bill ? details.purchase.currency : null,
    });
  }
  return left;
}

/**
 * Who made an entry, as the owner reads it: "by owner@cafe.example", "till 1 · High Street",
 * "expiry job"; "—" for an entry from before actors were recorded.
 * @param {{kind: string, label: string, location: string | null} | null | undefined} actor
 * @param {Map<string, string>} locationNames code -> name
 */
export function actorWording(actor, locationNames) {
  if (!actor) return "—";
  if (actor.kind === "admin") return `by ${actor.label}`;
  if (!actor.location) return actor.label;
  return `${actor.label} · ${locationNames.get(actor.location) ?? actor.location}`;
}

/**
 * What the panel says about an entry: the bill it came from ("£23.50 → 23 points") or the
 * purchase a return was of, who made it and the reason given ("by owner@cafe.example ·
 * double-counted visit"), and what could not be taken back.
 * @param {object} entry a ledger entry
 * @param {(minor: number, currency: string) => string} money formats an amount
 * @param {Map<string, string>} locationNames code -> name
 * @returns {string[]} lines
 */
export function entryDetails(entry, money, locationNames = new Map()) {
  const details = entry.operation_details || {};
  const lines = [];
  const purchase = details.purchase;
  if (entry.operation_type === EARN && purchase) {
    let bill = money(purchase.total_minor, purchase.currency);
    if (purchase.excluded_minor) {
      bill += ` (${money(purchase.excluded_minor, purchase.currency)} earns nothing)`;
    }
    lines.push(`${bill} → ${countOf(entry.points_amount, "point")}`);
  }
  if (entry.operation_type === REVERSE_EARN) {
    const target = details.reverses_reference || "the purchase";
    lines.push(details.returned_minor ? `Part of ${target} returned` : `${target} returned whole`);
  }
  const who = actorWording(entry.actor, locationNames);
  lines.push(details.reason ? `${who} · ${details.reason}` : who);
  if (details.points_unrecovered) {
    lines.push(`${countOf(details.points_unrecovered, "point")} could not be taken back: already spent`);
  }
  return lines;
}

/**
 * "40 points expire on 31 Dec 2027" ("" when nothing is due).
 * @param {{points: number, expires_at: string} | null} expiring
 * @param {(iso: string) => string} day formats the date in the shop's time zone
 */
export function expiringWording(expiring, day) {
  if (!expiring || !expiring.points) return "";
  const verb = expiring.points === 1 ? "expires" : "expire";
  return `${countOf(expiring.points, "point")} ${verb} on ${day(expiring.expires_at)}`;
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

/**
 * The panel opens on a customer of the list (or one just added), entries still to come.
 * @param {{customer_id: number, name: string | null, phone: string, points_balance: number}} customer
 */
export function detailOpened(state, customer) {
  const opening = state.openings + 1;
  const detail = {
    opening,
    customerId: customer.customer_id,
    name: customer.name,
    phone: customer.phone,
    pointsBalance: customer.points_balance,
    expiring: customer.expiring ?? null,
    toastIdentifier: null, // the customer's Toast loyaltyIdentifier, once known to be one
    erasure: null, // the erasure done from this panel (its answer), for the notice
    items: [],
    total: null,
    etag: null,
  };
  return { ...state, openings: opening, detail };
}

export function detailClosed(state) {
  return { ...state, detail: null };
}

/** Whether the panel still shows the opening `opening` (an answer for another is dropped). */
export function detailStillOpen(state, opening) {
  return state.detail !== null && state.detail.opening === opening;
}

/**
 * The ledger's newest page arrived for the panel's `opening`: merged with the older entries
 * already shown. The same state when the panel was closed or opened anew meanwhile.
 * @param {number} opening @param {{items: Array<object>, total: number}} data @param {string | null} etag
 */
export function ledgerArrived(state, opening, data, etag) {
  if (!detailStillOpen(state, opening)) return state;
  const { detail } = state;
  const items = mergeNewest(detail.items, data.items);
  return { ...state, detail: { ...detail, items, total: data.total, etag } };
}

/**
 * An older page arrived for the panel's `opening`: appended (the same state when the panel
 * was closed or opened anew meanwhile).
 * @param {number} opening @param {{items: Array<object>, total: number}} data
 */
export function olderArrived(state, opening, data) {
  if (!detailStillOpen(state, opening)) return state;
  const { detail } = state;
  return { ...state, detail: { ...detail, items: appendOlder(detail.items, data.items), total: data.total } };
}

/**
 * The panel's name and balance in step with the list's row of the same customer; the same
 * state when the panel is closed or its customer is not on the list's page.
 */
export function cardSynced(state) {
  const card = state.detail && state.list.items.find((c) => c.customer_id === state.detail.customerId);
  if (!card) return state;
  const { name, phone, points_balance: pointsBalance, expiring = null } = card;
  return { ...state, detail: { ...state.detail, name, phone, pointsBalance, expiring } };
}

/**
 * The customer's Toast loyaltyIdentifier arrived for the panel's `opening` (null: none).
 * @param {number} opening @param {string | null} identifier
 */
export function toastIdentifierArrived(state, opening, identifier) {
  if (!detailStillOpen(state, opening)) return state;
  return { ...state, detail: { ...state.detail, toastIdentifier: identifier } };
}

/** The Toast REDEEMs whose outcome was lost, read now. @param {Array<object>} items */
export function toastOutcomesLoaded(state, items) {
  return { ...state, toastOutcomes: items };
}

/** The panel's customer was erased from it. @param {object} erasure the API's answer */
export function customerErased(state, erasure) {
  if (!state.detail || state.detail.customerId !== erasure.customer_id) return state;
  return { ...state, detail: { ...state.detail, erasure } };
}

/**
 * The panel's notices about Toast REDEEMs of its customer whose outcome was lost: what
 * happened, and for each ledger row it wrote whether its points can still be given back.
 * @param {Array<object>} outcomes the shop's (GET /api/admin/toast/unknown-outcomes)
 * @param {number} customerId @param {Array<object>} entries the panel's ledger entries
 * @param {(iso: string) => string} day formats a date as the shop reads it
 * @param {Map<string, string>} rewardNames reward id -> name
 * @returns {Array<{id: number, title: string, lines: string[],
 *   reversals: Array<{transactionId: number, entry: object | null, left: number}>}>}
 *   `entry` null when the row is not among the entries shown; `left` the points still
 *   refundable
 */
export function toastOutcomeNotices(outcomes, customerId, entries, day, rewardNames = new Map()) {
  const left = refundable(entries);
  return outcomes.filter((item) => item.customer_id === customerId).map((item) => {
    const rewards = (item.redemptions || []).map((r) => rewardNames.get(r.identifier) ?? r.identifier ?? "?");
    const lines = [];
    if (rewards.length) lines.push(`Rewards asked for: ${rewards.join(", ")}.`);
    const reversals = [];
    if (!item.committed) {
      lines.push("It did not go through: no points were taken. Nothing to do.");
    } else {
      const shown = (item.transaction_ids || []).map((id) => entries.find((e) => e.transaction_id === id) ?? null);
      const points = shown.every(Boolean) ? shown.reduce((sum, e) => sum + e.points_amount, 0) : null;
      lines.push(points === null
        ? "It went through: points were taken."
        : `It went through: ${countOf(points, "point")} ${points === 1 ? "was" : "were"} taken.`);
      lines.push("If the guest did not get the discount, give the points back.");
      (item.transaction_ids || []).forEach((transactionId, i) => {
        reversals.push({ transactionId, entry: shown[i], left: left.get(transactionId) ?? 0 });
      });
    }
    return {
      id: item.id,
      title: `A Toast redemption on ${day(item.received_at)} may or may not have gone through`,
      lines,
      reversals,
    };
  });
}

// ---- the shop's programme and locations ---------------------------------------------------

/** The programme in force arrived (its currency and time zone serve every screen). */
export function programmeLoaded(state, programme) {
  return { ...state, programme };
}

/** The shop's rewards arrived (or were saved). @param {Array<object>} rewards */
export function rewardsLoaded(state, rewards) {
  return { ...state, rewards };
}

/** The rewards' names by id. */
export function rewardNames(state) {
  return new Map((state.rewards || []).map((reward) => [reward.id, reward.name]));
}

/** The shop's locations arrived. @param {Array<{code: string, name: string}>} items */
export function locationsLoaded(state, items) {
  return { ...state, locations: items };
}

/** The locations' names by code. */
export function locationNames(state) {
  return new Map((state.locations || []).map((location) => [location.code, location.name]));
}

/** A preview of the draft went out; its number tells its answer from an older one's. */
export function previewAsked(state) {
  return { ...state, previews: state.previews + 1 };
}

// ---- the points report ----------------------------------------------------------------------

/**
 * The report's picker changed: `choice` ("this-month", "last-month", "custom"), the custom
 * dates and the location (null: all of them).
 * @param {{choice?: string, from?: string, to?: string, location?: string | null}} picked
 */
export function reportPicked(state, picked) {
  return { ...state, report: { ...state.report, ...picked } };
}

/** A report went out; the number tells its answer from an older one's. */
export function reportAsked(state) {
  return { ...state, report: { ...state.report, asked: state.report.asked + 1 } };
}
