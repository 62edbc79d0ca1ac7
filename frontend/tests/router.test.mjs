// The hash routes (router.js): `node --test frontend/tests/`.
import assert from "node:assert/strict";
import { test } from "node:test";

import { SCREENS, homeRoute, parseRoute, resolveRoute, routeTo, signInRoute } from "../src/router.js";

test("routes are deep-linkable per tenant", () => {
  assert.deepEqual(parseRoute("#/demo/admin/customers"), { screen: "customers", tenant: "demo" });
  assert.deepEqual(parseRoute("#/demo/admin/customers/"), { screen: "customers", tenant: "demo" });
  assert.deepEqual(parseRoute("#/sign-in/demo"), { screen: "sign-in", tenant: "demo" });
  assert.deepEqual(parseRoute("#/sign-in"), { screen: "sign-in", tenant: "" });
  assert.deepEqual(parseRoute(""), { screen: "sign-in", tenant: "" });
  assert.deepEqual(parseRoute("#/nowhere"), { screen: "sign-in", tenant: "" });
  assert.deepEqual(parseRoute("#/<script>/admin/customers"), { screen: "sign-in", tenant: "" });
  assert.equal(homeRoute("demo"), "#/demo/admin/customers");
  assert.equal(signInRoute("demo"), "#/sign-in/demo");
  assert.equal(signInRoute(""), "#/sign-in");
});

test("every screen of the table is reached by its own route", () => {
  for (const { name } of SCREENS) {
    assert.deepEqual(parseRoute(routeTo(name, "demo")), { screen: name, tenant: "demo" }, name);
  }
});

test("a hash and the session decide the screen", () => {
  const session = { tenant: "demo", expiresAt: "2030-01-01T00:00:00Z" };
  const now = Date.parse("2029-01-01T00:00:00Z");
  const customers = "#/demo/admin/customers";
  assert.deepEqual(resolveRoute(customers, session, now), { screen: "customers", tenant: "demo" });
  assert.deepEqual(resolveRoute(customers, null, now), { screen: "sign-in", tenant: "demo" });
  assert.deepEqual(resolveRoute("#/other/admin/customers", session, now), { screen: "sign-in", tenant: "other" });
  assert.deepEqual(resolveRoute("", session, now), { redirect: customers });
  assert.deepEqual(resolveRoute("#/sign-in", session, now), { redirect: customers });
  assert.deepEqual(resolveRoute("#/sign-in/demo", session, now), { screen: "sign-in", tenant: "demo" });
  assert.deepEqual(resolveRoute("", null, now), { screen: "sign-in", tenant: "" });
  assert.deepEqual(resolveRoute(customers, session, Date.parse(session.expiresAt)), { expired: true });
});
