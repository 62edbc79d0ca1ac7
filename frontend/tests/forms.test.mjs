// What the forms read and say (forms.js): `node --test frontend/tests/`.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ApiError, OfflineError } from "../src/api.js";
import {
  actionFailure,
  adjustmentWording,
  parseAdjustment,
  parseRefund,
  readAdjustment,
  readName,
  readNewCustomer,
  readRefund,
  refundWording,
  sessionLost,
  sessionLostMessage,
  signInFailure,
  signInProblem,
} from "../src/forms.js";

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

test("the dialogs' fields: the points first, then the reason; blanks are null", () => {
  assert.deepEqual(readAdjustment({ points: "x", reason: "" }), parseAdjustment("x"));
  assert.deepEqual(readAdjustment({ points: "5", reason: "  " }), { error: "Give a reason for the adjustment." });
  assert.deepEqual(readAdjustment({ points: "-5", reason: " typo " }), { points: -5, reason: "typo" });
  assert.deepEqual(readRefund({ points: "3", reason: " " }, 5), { points: 3, reason: null });
  assert.deepEqual(readRefund({ points: "9", reason: "x" }, 5), parseRefund("9", 5));
  assert.deepEqual(readNewCustomer({ phone: " ", name: "A" }), { error: "Enter the customer's phone number." });
  assert.deepEqual(readNewCustomer({ phone: " 07306 506797 ", name: " " }), {
    customer: { phone: "07306 506797", name: null },
  });
  assert.equal(readName({ name: "  " }), null);
  assert.equal(readName({ name: " Alex " }), "Alex");
});

test("sign-in and action failures read as the owner would say them", () => {
  const refused = new ApiError(401, { code: "unauthorized" });
  const expired = new ApiError(401, { code: "unauthorized", expired: true });
  const conflict = new ApiError(409, { detail: "Only 5 points left." });
  const offline = new OfflineError("Failed to fetch");
  assert.equal(signInProblem({ tenant: "demo", email: "", password: "x" }), "Fill in tenant, email and password.");
  assert.equal(signInProblem({ tenant: "demo", email: "a@b", password: "x" }), "");
  assert.equal(signInFailure(refused), "Wrong tenant, email or password.");
  assert.equal(signInFailure(offline), "Cannot reach the server. Check your connection and try again.");
  assert.equal(signInFailure(new ApiError(429, { detail: "Too many tries." })), "Too many tries.");
  assert.deepEqual([sessionLost(refused), sessionLost(conflict), sessionLost(offline)], [true, false, false]);
  assert.equal(sessionLostMessage(refused), "Please sign in again.");
  assert.equal(sessionLostMessage(expired), "Your session has expired. Please sign in again.");
  assert.equal(actionFailure(refused), "Your session ended.");
  assert.equal(actionFailure(offline), "Cannot reach the server; nothing was sent. Try again.");
  assert.equal(actionFailure(conflict), "Only 5 points left.");
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
