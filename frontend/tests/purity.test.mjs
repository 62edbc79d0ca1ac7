// Issue 15's findings about state.js: its rules must leave their arguments as they were, and a
// ledger operation type the app does not know must never be taken for a gain.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  expireHighlights,
  holdHighlights,
  initialState,
  markOffline,
  markOnline,
  signedPoints,
} from "../src/state.js";

/** Freeze `value` and everything in it, so that a write throws (modules are strict). */
function deepFreeze(value) {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

test("markOffline and markOnline return the next live status and leave theirs as it was", () => {
  const live = deepFreeze(initialState({ intervalMs: 5000 }).live);
  const offline = markOffline(live, 1000);
  assert.deepEqual([offline.offline, offline.failures, offline.retryAt], [true, 1, 6000]);
  assert.equal(live.offline, false);
  const online = markOnline(deepFreeze(offline), new Date(7000));
  assert.deepEqual([online.offline, online.failures, online.nextPollAt], [false, 0, 12000]);
  assert.equal(offline.offline, true);
});

test("holdHighlights and expireHighlights return the next marks and leave theirs as they were", () => {
  const none = new Map();
  const marked = holdHighlights(none, [1, 2], 0);
  assert.equal(none.size, 0);
  assert.deepEqual([...marked.keys()], [1, 2]);
  const later = holdHighlights(marked, [2], 5000);
  const expired = expireHighlights(later, 10000);
  assert.deepEqual([...later.keys()], [1, 2]);
  assert.deepEqual([...expired.keys()], [2]);
});

test("an operation type the app does not know is never counted as a gain", () => {
  for (const type of ["expire_points", "reverse_earn"]) {
    const entry = { transaction_id: 9, operation_type: type, points_amount: 30 };
    assert.notEqual(signedPoints(entry), 30, type);
  }
});
