// Pure live-sync rules: `node --test frontend/tests/` (run by tests/test_frontend_logic.py).
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  backoffDelay,
  changedBalances,
  customersRoute,
  initialState,
  liveStatus,
  markOffline,
  markOnline,
  parseRoute,
  shouldPoll,
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

test("backoff doubles per failure and stops at a minute", () => {
  assert.equal(backoffDelay(5000, 0), 5000);
  assert.equal(backoffDelay(5000, 1), 10000);
  assert.equal(backoffDelay(5000, 3), 40000);
  assert.equal(backoffDelay(5000, 10), 60000);
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
  assert.equal(liveStatus(live).kind, "offline");
  assert.equal(shouldPoll(live, 1000 + 4999), false);
  assert.equal(shouldPoll(live, 1000 + 5000), true);
  markOffline(live, 10000);
  assert.equal(live.retryAt, 20000);
  markOnline(live, new Date(30000));
  assert.deepEqual(liveStatus(live), { text: "● Live (Auto-refresh: 5s)", kind: "live" });
  assert.equal(live.failures, 0);
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
