// Pure live-sync rules: `node --test frontend/tests/` (run by tests/test_frontend_logic.py).
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  HIGHLIGHT_MS,
  adjustmentWording,
  refundWording,
  appendOlder,
  backoffDelay,
  changedBalances,
  changesAnnouncement,
  countOf,
  customersRoute,
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
  refundable,
  retryCountdown,
  shouldPoll,
  signedPoints,
  turnPage,
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
  const { live } = initialState({ intervalMs: 5000 });
  markOffline(live, 1000);
  assert.equal(retryCountdown(live, 1000), "Retrying in 5 s");
  assert.equal(retryCountdown(live, 5001), "Retrying in 1 s");
  assert.equal(liveStatus(live).kind, "offline");
  assert.equal(shouldPoll(live, 1000 + 4999), false);
  assert.equal(shouldPoll(live, 1000 + 5000), true);
  markOffline(live, 10000);
  assert.equal(live.retryAt, 20000);
  markOnline(live, new Date(30000));
  assert.deepEqual(liveStatus(live), { text: "● Live (Auto-refresh: 5s)", kind: "live" });
  assert.equal(live.failures, 0);
  assert.equal(retryCountdown(live, 30000), "");
});

test("online, the next poll is one interval after the last answer", () => {
  const { live } = initialState({ intervalMs: 10000 });
  assert.equal(shouldPoll(live, 0), true);
  markOnline(live, new Date(1000));
  assert.equal(shouldPoll(live, 10999), false);
  assert.equal(shouldPoll(live, 11000), true);
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
  const marks = new Map();
  holdHighlights(marks, [1, 2], 0);
  assert.equal(expireHighlights(marks, HIGHLIGHT_MS - 1), false);
  assert.deepEqual([...marks.keys()], [1, 2]);
  holdHighlights(marks, [2], 5000);
  assert.equal(expireHighlights(marks, HIGHLIGHT_MS), true);
  assert.deepEqual([...marks.keys()], [2]);
  expireHighlights(marks, 5000 + HIGHLIGHT_MS);
  assert.equal(marks.size, 0);
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

test("adjustment and refund amounts are read strictly", () => {
  assert.deepEqual(parseAdjustment("+50"), { points: 50 });
  assert.deepEqual(parseAdjustment("−10"), { points: -10 });
  assert.deepEqual(parseAdjustment(" -1,000 "), { points: -1000 });
  for (const bad of ["", "0", "1.5", "ten", "--3", "2000000"]) {
    assert.ok(parseAdjustment(bad).error, bad);
  }
  assert.deepEqual(parseRefund("5", 5), { points: 5 });
  assert.match(parseRefund("6", 5).error, /Only 5 points/);
  assert.ok(parseRefund("0", 5).error);
  assert.ok(parseRefund("-1", 5).error);
});

test("status reads Paused when paused and shows the chosen interval", () => {
  const { live } = initialState({ intervalMs: 30000 });
  assert.equal(liveStatus(live).text, "● Live (Auto-refresh: 30s)");
  assert.equal(liveStatus({ ...live, paused: true }).text, "Paused");
  assert.equal(initialState({ intervalMs: 1234 }).live.intervalMs, 5000);
});

test("routes are deep-linkable per tenant", () => {
  assert.deepEqual(parseRoute("#/demo/admin/customers"), { screen: "customers", tenant: "demo" });
  assert.deepEqual(parseRoute("#/sign-in/demo"), { screen: "sign-in", tenant: "demo" });
  assert.deepEqual(parseRoute(""), { screen: "sign-in", tenant: "" });
  assert.deepEqual(parseRoute("#/<script>/admin/customers"), { screen: "sign-in", tenant: "" });
  assert.equal(customersRoute("demo"), "#/demo/admin/customers");
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

test("confirmations say what will happen, in words", () => {
  const add = adjustmentWording("Alex", 200, 1, "birthday");
  assert.equal(add.question, "Add 1 point to Alex? The balance goes from 200 to 201. Reason: birthday");
  assert.equal(add.confirm, "Add 1 point");
  assert.equal(adjustmentWording("Alex", 200, -10, "typo").confirm, "Remove 10 points");
  assert.equal(adjustmentWording("Alex", 200, 0, "").context, "Alex has 200 points.");
  const redemption = { transaction_reference: "A-1", points_amount: 20 };
  const all = refundWording("Alex", redemption, 15, 15);
  assert.equal(all.context, "Redemption A-1 took 20 points; 15 points can still be given back.");
  assert.equal(all.question, "Give 15 points back to Alex for A-1 (all that is left)?");
  assert.equal(refundWording("Alex", redemption, 15, 1).confirm, "Refund 1 point");
});
