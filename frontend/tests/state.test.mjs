// Pure live-sync rules: `node --test frontend/tests/` (run by tests/test_frontend_logic.py).
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  HIGHLIGHT_MS,
  appendOlder,
  backoffDelay,
  balanceMoves,
  cameOnline,
  cardSynced,
  changedBalances,
  changesAnnouncement,
  countOf,
  detailClosed,
  detailOpened,
  etagsDropped,
  expireHighlights,
  highlightsExpired,
  holdHighlights,
  initialState,
  intervalChosen,
  ledgerArrived,
  listArrived,
  liveStatus,
  markOffline,
  markOnline,
  mergeNewest,
  olderArrived,
  olderPage,
  operationLabel,
  pagerText,
  pauseToggled,
  pollEnded,
  pollStarted,
  queryChanged,
  refundable,
  rerunTaken,
  rerunWanted,
  retryCountdown,
  rowSeen,
  screenShown,
  searchQuery,
  shouldPoll,
  signedIn,
  signedOut,
  signedPoints,
  turnPage,
  visibilityChanged,
  wentOffline,
  customerErased,
  rewardsLoaded,
  toastIdentifierArrived,
  toastOutcomesLoaded,
} from "../src/state.js";

test("only customers whose balance moved are changed", () => {
  const before = [
    { customer_id: 1, points_balance: 200 },
    { customer_id: 2, points_balance: 50 },
  ];
  const after = [
    { customer_id: 1, points_balance: 180 },
    { customer_id: 2, points_balance: 50 },
    { customer_id: 3, points_balance: 10 },
  ];
  assert.deepEqual([...changedBalances(before, after)], [1]);
});

test("backoff doubles per failure and never waits more than 15 s", () => {
  assert.equal(backoffDelay(5000, 0), 5000);
  assert.equal(backoffDelay(5000, 1), 10000);
  assert.equal(backoffDelay(5000, 2), 15000);
  assert.equal(backoffDelay(5000, 10), 15000);
  assert.equal(backoffDelay(30000, 0), 15000);
});

test("no poll while paused, hidden or already in flight", () => {
  const { live } = initialState();
  assert.equal(shouldPoll(live, 0), true);
  for (const flag of ["paused", "hidden", "inFlight"]) {
    assert.equal(shouldPoll({ ...live, [flag]: true }, 0), false, flag);
  }
});

test("offline polls wait for the backoff, then recover", () => {
  const { live: start } = initialState({ intervalMs: 5000 });
  const live = markOffline(start, 1000);
  assert.equal(retryCountdown(live, 1000), "Retrying in 5 s");
  assert.equal(retryCountdown(live, 5001), "Retrying in 1 s");
  assert.equal(liveStatus(live).kind, "offline");
  assert.equal(shouldPoll(live, 1000 + 4999), false);
  assert.equal(shouldPoll(live, 1000 + 5000), true);
  const again = markOffline(live, 10000);
  assert.equal(again.retryAt, 20000);
  const back = markOnline(again, new Date(30000));
  assert.deepEqual(liveStatus(back), { text: "● Live (Auto-refresh: 5s)", kind: "live" });
  assert.equal(back.failures, 0);
  assert.equal(retryCountdown(back, 30000), "");
});

test("online, the next poll is one interval after the last answer", () => {
  const { live } = initialState({ intervalMs: 10000 });
  assert.equal(shouldPoll(live, 0), true);
  const answered = markOnline(live, new Date(1000));
  assert.equal(shouldPoll(answered, 10999), false);
  assert.equal(shouldPoll(answered, 11000), true);
});

test("counts read as English", () => {
  assert.equal(countOf(1, "customer"), "1 customer");
  assert.equal(countOf(0, "customer"), "0 customers");
  assert.equal(countOf(1234, "entry", "entries"), "1,234 entries");
  assert.equal(changesAnnouncement(0), "");
  assert.equal(changesAnnouncement(1), "1 customer changed");
  assert.equal(changesAnnouncement(3), "3 customers changed");
});

test("a changed row stays marked for HIGHLIGHT_MS, and again when it changes again", () => {
  const marks = holdHighlights(new Map(), [1, 2], 0);
  assert.equal(expireHighlights(marks, HIGHLIGHT_MS - 1), marks); // nothing dropped: the same
  assert.deepEqual([...marks.keys()], [1, 2]);
  const again = holdHighlights(marks, [2], 5000);
  const later = expireHighlights(again, HIGHLIGHT_MS);
  assert.deepEqual([...later.keys()], [2]);
  assert.equal(expireHighlights(later, 5000 + HIGHLIGHT_MS).size, 0);
});

const entry = (id, operation_type, points_amount, operation_details = null) => ({
  transaction_id: id, operation_type, points_amount, operation_details,
});

test("ledger points are signed from the customer's point of view", () => {
  assert.equal(signedPoints(entry(1, "redeem_points", 20)), -20);
  assert.equal(signedPoints(entry(1, "earn_points", 20)), 20);
  assert.equal(signedPoints(entry(1, "reverse_redemption", 5)), 5);
  assert.equal(signedPoints(entry(1, "adjust_points", -10)), -10);
  assert.equal(signedPoints(entry(1, "open_account", 0)), 0);
});

test("what is left to refund of each redemption", () => {
  const entries = [
    entry(5, "reverse_redemption", 5, { reverses_transaction_id: 3 }),
    entry(4, "reverse_redemption", 10, { reverses_transaction_id: 3 }),
    entry(3, "redeem_points", 20),
    entry(2, "redeem_points", 7),
    entry(1, "earn_points", 100),
  ];
  assert.deepEqual([...refundable(entries)], [[3, 5], [2, 7]]);
});

test("the panel merges a fresh first page with older entries, without gaps or twins", () => {
  const ids = (list) => list.map((e) => e.transaction_id);
  const shown = [30, 29, 28, 27].map((id) => entry(id, "earn_points", 1));
  const fresh = [31, 30, 29].map((id) => entry(id, "earn_points", 1));
  assert.deepEqual(ids(mergeNewest(shown, fresh)), [31, 30, 29, 28, 27]);
  const farAhead = [50, 49, 48].map((id) => entry(id, "earn_points", 1));
  assert.deepEqual(ids(mergeNewest(shown, farAhead)), [50, 49, 48]);
  const older = [28, 27, 26, 25].map((id) => entry(id, "earn_points", 1));
  assert.deepEqual(ids(appendOlder(shown, older)), [30, 29, 28, 27, 26, 25]);
  assert.equal(olderPage(20, 20), 2);
  assert.equal(olderPage(21, 20), 2);
  assert.equal(olderPage(40, 20), 3);
});

test("status reads Paused when paused and shows the chosen interval", () => {
  const { live } = initialState({ intervalMs: 30000 });
  assert.equal(liveStatus(live).text, "● Live (Auto-refresh: 30s)");
  assert.equal(liveStatus({ ...live, paused: true }).text, "Paused");
  assert.equal(initialState({ intervalMs: 1234 }).live.intervalMs, 5000);
});

test("keyset pages: Next follows next_cursor, Previous goes back the same way", () => {
  const first = initialState().query;
  assert.equal(turnPage(first, "next", null), first); // the last page: nowhere to go
  const second = turnPage(first, "next", "c2");
  const third = turnPage(second, "next", "c3");
  assert.deepEqual([third.page, third.cursor, third.before], [3, "c3", [null, "c2"]]);
  const back = turnPage(third, "previous", null);
  assert.deepEqual([back.page, back.cursor, back.before], [2, "c2", [null]]);
  const start = turnPage(back, "previous", null);
  assert.deepEqual([start.page, start.cursor, start.before], [1, null, []]);
  assert.equal(turnPage(start, "previous", null), start);
});

test("the pager says how many, and when the count stopped", () => {
  assert.equal(pagerText(1, 25, 37, true), "Page 1 of 2 · 37 customers");
  assert.equal(pagerText(1, 25, 1, true), "Page 1 of 1 · 1 customer");
  assert.equal(pagerText(1, 25, 0, true), "Page 1 of 1 · 0 customers");
  assert.equal(pagerText(3, 25, 10000, false), "Page 3 · 10,000+ customers");
});

const ledger = (id, operation_type, points_amount, balance_after) => ({
  ...entry(id, operation_type, points_amount), balance_after,
});

test("each entry's move is read from the balances, so a new operation type is signed right", () => {
  const entries = [
    ledger(4, "merge_points", 30, 75), // a type this app does not know yet
    ledger(3, "redeem_points", 20, 105),
    ledger(2, "earn_points", 25, 125),
    ledger(1, "open_account", 100, 100),
  ];
  assert.deepEqual(balanceMoves(entries, true), [-30, -20, 25, 100]);
  // The oldest one shown has none before it on show: its type says, or nobody knows.
  assert.deepEqual(balanceMoves(entries.slice(0, 2), false), [-30, -20]);
  assert.deepEqual(balanceMoves(entries.slice(0, 1), false), [null]);
  assert.deepEqual(balanceMoves([], true), []);
});

test("operation types have the owner's words, and a new one is named from its own", () => {
  assert.equal(operationLabel("earn_points"), "Earned");
  assert.equal(operationLabel("reverse_redemption"), "Refunded");
  assert.equal(operationLabel("reverse_earn"), "Returned");
  assert.equal(operationLabel("expire_points"), "Expired");
  assert.equal(operationLabel("merge_points"), "Merge points");
  assert.equal(operationLabel("forfeit_points"), "Forfeited (erased)");
  assert.equal(operationLabel("import_points"), "Imported");
  assert.equal(signedPoints(entry(1, "reverse_earn", 10)), -10);
  assert.equal(signedPoints(entry(1, "expire_points", 10)), -10);
  assert.equal(signedPoints(entry(1, "merge_points", 10)), null);
  assert.equal(signedPoints(entry(1, "forfeit_points", 10)), -10);
  assert.equal(signedPoints(entry(1, "import_points", 10)), 10);
  const entries = [entry(2, "reverse_earn", 5, { reverses_transaction_id: 1 }), entry(1, "redeem_points", 20)];
  assert.deepEqual([...refundable(entries)], [[1, 20]]); // only a refund gives a redemption back
});

/** A state with something in every part: a list, marks, an open panel, a poll out. */
function busyState() {
  let state = initialState({ session: { token: "t", tenant: "demo", tenantName: "Demo", expiresAt: "" } });
  const page = { items: [{ customer_id: 1, name: "Alex", phone: "+1", points_balance: 10 }], total: 1,
    total_is_exact: true, next_cursor: null };
  state = listArrived(state, page, '"e1"', 0);
  state = listArrived(state, { ...page, items: [{ ...page.items[0], points_balance: 5 }] }, '"e2"', 0);
  state = detailOpened(state, state.list.items[0]);
  state = ledgerArrived(state, state.detail.opening, { items: [ledger(3, "earn_points", 5, 5)], total: 1 }, '"l1"');
  return pollStarted(state);
}

test("every transition returns the next state and leaves the one it was given as it was", () => {
  const state = busyState();
  const before = structuredClone(state);
  const { opening } = state.detail;
  const older = { items: [ledger(2, "earn_points", 1, 0)], total: 2 };
  const transitions = [
    (s) => signedIn(s, { token: "u", tenant: "demo", tenant_name: "Demo", expires_at: "" }),
    signedOut,
    (s) => screenShown(s, "sign-in"),
    pollStarted, pollEnded, rerunWanted, rerunTaken, pauseToggled,
    (s) => wentOffline(s, 1000),
    (s) => cameOnline(s, new Date(1000)),
    (s) => visibilityChanged(s, true),
    (s) => intervalChosen(s, 30000, 0),
    (s) => queryChanged(s, searchQuery(s.query, "alex")),
    (s) => listArrived(s, { items: [], total: 0, total_is_exact: true, next_cursor: null }, null, 5),
    etagsDropped,
    (s) => highlightsExpired(s, HIGHLIGHT_MS),
    (s) => rowSeen(s, 1),
    (s) => detailOpened(s, { customer_id: 2, name: null, phone: "+2", points_balance: 0 }),
    detailClosed,
    (s) => ledgerArrived(s, opening, { items: [ledger(4, "expire_points", 5, 0)], total: 2 }, '"l2"'),
    (s) => olderArrived(s, opening, older),
    cardSynced,
    (s) => toastIdentifierArrived(s, opening, "lid-1"),
    (s) => toastOutcomesLoaded(s, [{ id: 1, customer_id: 1 }]),
    (s) => rewardsLoaded(s, [{ id: "off5", name: "£5 off", points: 500, amount_minor: 500 }]),
    (s) => customerErased(s, { customer_id: 1, points_forfeited: 5 }),
  ];
  for (const transition of transitions) {
    const next = transition(state);
    assert.deepEqual(state, before, String(transition));
    assert.ok(next && typeof next === "object", String(transition));
  }
});

test("a poll's page marks the rows whose balance moved, and the panel follows its card", () => {
  const state = busyState();
  assert.deepEqual([...state.highlights.keys()], [1]);
  assert.equal(state.list.etag, '"e2"');
  const renamed = listArrived(state, { items: [{ ...state.list.items[0], name: "Alex M" }], total: 1,
    total_is_exact: true, next_cursor: null }, '"e3"', 1);
  const synced = cardSynced(renamed);
  assert.deepEqual([synced.detail.name, synced.detail.pointsBalance], ["Alex M", 5]);
  assert.equal(cardSynced(detailClosed(renamed)).detail, null);
  assert.equal(highlightsExpired(state, HIGHLIGHT_MS - 1), state); // nothing over: the same
  assert.equal(highlightsExpired(state, HIGHLIGHT_MS).highlights.size, 0);
});

test("a ledger answer for an earlier opening of the panel is dropped", () => {
  const state = busyState();
  const first = state.detail.opening;
  const reopened = detailOpened(detailClosed(state), state.list.items[0]);
  assert.notEqual(reopened.detail.opening, first);
  const page = { items: [ledger(9, "earn_points", 1, 6)], total: 9 };
  assert.equal(ledgerArrived(reopened, first, page, null), reopened);
  assert.equal(olderArrived(reopened, first, page), reopened);
  assert.equal(ledgerArrived(detailClosed(state), first, page, null).detail, null);
  const fresh = ledgerArrived(reopened, reopened.detail.opening, page, '"l9"');
  assert.deepEqual([fresh.detail.items.length, fresh.detail.total, fresh.detail.etag], [1, 9, '"l9"']);
});

test("after a change of ours the next answers are taken whole", () => {
  const dropped = etagsDropped(busyState());
  assert.deepEqual([dropped.list.etag, dropped.detail.etag], [null, null]);
  assert.equal(etagsDropped(detailClosed(busyState())).detail, null);
});
