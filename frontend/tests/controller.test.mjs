// The controller (controller.js) with a fake view, API, store and router: it runs here, where
// there is no DOM at all, so it cannot be touching it. `node --test frontend/tests/`.
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { ApiError } from "../src/api.js";
import { createController } from "../src/controller.js";

const SESSION = { token: "tok", tenant: "demo", tenant_name: "Demo shop", expires_at: "2999-01-01T00:00:00Z" };
const ALEX = { customer_id: 1, name: "Alex", phone: "+447306506797", points_balance: 75 };
const PAGE = { items: [ALEX], total: 1, total_is_exact: true, next_cursor: null };

/** A view that records every call by name; `confirmAction` says yes. */
function fakeView() {
  const calls = [];
  const answers = { formatPhone: (phone) => phone, searchText: () => "", confirmAction: async () => true };
  const recorded = (name) => calls.filter(([called]) => called === name).map(([, ...args]) => args);
  return new Proxy({}, {
    get: (_, name) => name === "calls" ? recorded : (...args) => {
      calls.push([name, ...args]);
      return answers[name]?.(...args);
    },
  });
}

/** The app's parts around a controller; `api` answers as `overrides` say. */
function harness(overrides = {}, saved = {}) {
  const events = [];
  const api = {
    signIn: async () => SESSION,
    signOut: async () => events.push(["signOut", controller.token()]),
    listCustomers: async () => ({ notModified: false, etag: '"e1"', data: PAGE }),
    customerTransactions: async () => ({ notModified: false, etag: '"l1"', data: { items: [], total: 0 } }),
    ...overrides,
  };
  const store = {
    loadSession: () => saved.session ?? null,
    loadIntervalMs: () => saved.intervalMs ?? 0,
    saveSession: (session) => events.push(["saveSession", session]),
    forgetSession: () => events.push(["forgetSession"]),
    saveIntervalMs: (ms) => events.push(["saveIntervalMs", ms]),
  };
  const router = {
    hash: "",
    go(hash) {
      events.push(["go", hash]);
      router.hash = hash;
      controller.route(hash);
    },
    redirect: (hash) => router.go(hash),
    record: (hash) => events.push(["record", hash]),
  };
  const view = fakeView();
  const controller = createController({ api, view, store, router });
  running.push(controller);
  return { api, controller, events, router, view };
}

// Each test's controller signs out at its end, which stops its ticker even when the test failed.
const running = [];
afterEach(() => {
  for (const controller of running.splice(0)) controller.signOut();
});

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

test("sign in, see the shop's customers, sign out", async () => {
  const { controller, events, view } = harness();
  controller.route("#/demo/admin/customers");
  assert.deepEqual(view.calls("showSignIn"), [["demo", ""]]);
  await controller.signIn({ tenant: "demo", email: "owner@example.com", password: "pw" });
  await settle();
  assert.deepEqual(events.slice(0, 2).map(([name]) => name), ["saveSession", "go"]);
  assert.deepEqual(events[1], ["go", "#/demo/admin/customers"]);
  assert.deepEqual(view.calls("showCustomersScreen"), [["Demo shop", 5000]]);
  assert.deepEqual(view.calls("showCustomers")[0][0], [ALEX]);
  assert.deepEqual(view.calls("showPager"), [["Page 1 of 1 · 1 customer", { previous: false, next: false }]]);
  assert.equal(view.calls("showLive").at(-1)[0].text, "● Live (Auto-refresh: 5s)");
  controller.signOut();
  assert.deepEqual(events.slice(-3), [["signOut", "tok"], ["forgetSession"], ["record", "#/sign-in/demo"]]);
  assert.deepEqual(view.calls("showSignIn").at(-1), ["demo", "You have signed out."]);
  assert.equal(controller.token(), null);
});

test("an incomplete sign-in form is not sent", async () => {
  let sent = false;
  const { controller, view } = harness({ signIn: async () => { sent = true; } });
  await controller.signIn({ tenant: "demo", email: "", password: "pw" });
  assert.equal(sent, false);
  assert.deepEqual(view.calls("showSignInMessage"), [["Fill in tenant, email and password."]]);
});

test("a session the API refuses returns to sign-in, and the app forgets it", async () => {
  const refused = new ApiError(401, { code: "unauthorized" });
  const saved = { session: { token: "old", tenant: "demo", tenantName: "Demo", expiresAt: SESSION.expires_at } };
  const { controller, events, view } = harness({ listCustomers: async () => { throw refused; } }, saved);
  controller.route("#/demo/admin/customers");
  await settle();
  assert.deepEqual(view.calls("showSignIn").at(-1), ["demo", "Please sign in again."]);
  assert.ok(events.some(([name]) => name === "forgetSession"));
  assert.equal(controller.token(), null);
});

test("a refresh asked for while a poll is out runs once that poll has answered", async () => {
  let polls = 0;
  let answer;
  const { controller } = harness({
    listCustomers: () => {
      polls += 1;
      return new Promise((resolve) => { answer = resolve; });
    },
  }, { session: { token: "t", tenant: "demo", tenantName: "Demo", expiresAt: SESSION.expires_at } });
  controller.route("#/demo/admin/customers");
  controller.refresh();
  controller.refresh();
  assert.equal(polls, 1);
  answer({ notModified: true, etag: null });
  await settle();
  assert.equal(polls, 2);
  answer({ notModified: true, etag: null });
  await settle();
  assert.equal(polls, 2);
});

test("the panel signs a new operation type by the balances, not as a gain", async () => {
  const entries = [
    { transaction_id: 3, operation_type: "expire_points", points_amount: 25, balance_after: 75,
      transaction_reference: "exp-1", created_at: "2025-01-01T00:00:00Z" },
    { transaction_id: 2, operation_type: "earn_points", points_amount: 100, balance_after: 100,
      transaction_reference: "till-1", created_at: "2025-01-01T00:00:00Z" },
  ];
  const { controller, view } = harness({
    customerTransactions: async () => ({ notModified: false, etag: '"l1"', data: { items: entries, total: 2 } }),
  }, { session: { token: "t", tenant: "demo", tenantName: "Demo", expiresAt: SESSION.expires_at } });
  controller.route("#/demo/admin/customers");
  await settle();
  view.calls("showCustomers")[0][2].onOpen(ALEX);
  await settle();
  const [detail, { moves }] = view.calls("showDetail").at(-1);
  assert.equal(detail.items.length, 2);
  assert.deepEqual(moves, [-25, 100]);
});
