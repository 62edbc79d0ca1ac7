// Issues 18 and 20 in the admin app, the pure parts: the rewards editor's rows <-> the API's
// list and its checks, the erasure's typed confirmation, the import's words, the panel's
// notices about Toast redemptions whose outcome was lost, and erased customers.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  erasedWording,
  erasureConfirmed,
  erasureWording,
  importDoneWording,
  importFileProblem,
  importPreviewWording,
  importProgressWording,
  readErasure,
  readRewards,
  rewardCode,
  rewardErrors,
  rewardRows,
  rewardsSavedWording,
} from "../src/forms.js";
import { currencySymbol } from "../src/money.js";
import {
  cardSynced,
  customerErased,
  detailOpened,
  initialState,
  isErased,
  listArrived,
  rewardNames,
  rewardsLoaded,
  toastIdentifierArrived,
  toastOutcomeNotices,
  toastOutcomesLoaded,
} from "../src/state.js";

// ---- rewards -------------------------------------------------------------------------------

const REWARDS = [
  { id: "off5", name: "£5 off", points: 500, amount_minor: 500 },
  { id: "coffee", name: "Free coffee", points: 120, amount_minor: 275 },
];

test("the API's rewards become the editor's rows and back, money in the programme's currency", () => {
  const rows = rewardRows(REWARDS, "GBP");
  assert.deepEqual(rows, [
    { id: "off5", name: "£5 off", points: "500", amount: "5.00" },
    { id: "coffee", name: "Free coffee", points: "120", amount: "2.75" },
  ]);
  assert.deepEqual(readRewards(rows, "GBP"), { rewards: REWARDS });
  // A currency without minor units: whole amounts both ways.
  const yen = rewardRows([{ id: "y", name: "¥500 off", points: 50, amount_minor: 500 }], "JPY");
  assert.equal(yen[0].amount, "500");
  assert.equal(readRewards(yen, "JPY").rewards[0].amount_minor, 500);
  assert.deepEqual(readRewards([], "GBP"), { rewards: [] }); // no rewards at all is a list too
});

test("a new reward's code is made from its name, unique in the list", () => {
  assert.equal(rewardCode("£5 off", new Set()), "5-off");
  assert.equal(rewardCode("£5 off", new Set(["5-off"])), "5-off-2");
  assert.equal(rewardCode("Café crème", new Set()), "cafe-creme");
  assert.equal(rewardCode("££", new Set()), "reward");
  const read = readRewards([
    { id: "", name: "£5 off", points: "500", amount: "5" },
    { id: "5-off", name: "Other", points: "1", amount: "0.01" },
  ], "GBP");
  assert.deepEqual(read.rewards.map((r) => r.id), ["5-off-2", "5-off"]); // a typed code is kept
});

test("each wrong cell is named by the key the API's 422 uses", () => {
  const read = readRewards([
    { id: "off5", name: "", points: "0", amount: "5.001" },
    { id: "Off 5!", name: "x".repeat(101), points: "2,000,000", amount: "-1" },
    { id: "off5", name: "ok", points: "10", amount: "0" },
    { id: "fine", name: "Fine", points: "1,000", amount: "£1.50" },
  ], "GBP");
  assert.deepEqual(Object.keys(read.errors).sort(), [
    "rewards.0.amount_minor", "rewards.0.name", "rewards.0.points",
    "rewards.1.amount_minor", "rewards.1.id", "rewards.1.name", "rewards.1.points",
    "rewards.2.amount_minor", "rewards.2.id",
  ]);
  assert.equal(read.errors["rewards.0.points"], "Enter the points it takes, at least 1.");
  assert.match(read.errors["rewards.0.amount_minor"], /At most 2 digits/);
  assert.equal(read.errors["rewards.2.id"], "Another reward has this code.");
  const many = Array.from({ length: 51 }, (_, i) => ({ id: `r${i}`, name: "R", points: "1", amount: "1" }));
  assert.equal(readRewards(many, "GBP").errors[""], "At most 50 rewards.");
});

test("the API's errors land beside their cells; what fits no cell is said for the list", () => {
  assert.deepEqual(rewardErrors({
    "rewards.2.points": ["Must be greater than or equal to 1."],
    "rewards.0.id": ["Another reward has this id.", "Bad."],
    rewards: ["Longer than maximum length 50."],
  }), {
    "rewards.2.points": "Must be greater than or equal to 1.",
    "rewards.0.id": "Another reward has this id. Bad.",
    "": "Longer than maximum length 50.",
  });
  assert.equal(rewardsSavedWording(REWARDS), "Saved 2 rewards.");
  assert.equal(rewardsSavedWording([]), "Saved: no rewards.");
  assert.equal(currencySymbol("GBP", "en-GB"), "£");
});

// ---- erasure -------------------------------------------------------------------------------

const PHONE = "+447306506797";

test("erasure is confirmed only by the customer's phone, however written, or ERASE", () => {
  for (const typed of ["ERASE", " erase ", "+44 7306 506797", "07306 506797", "447306506797", "7306506797"]) {
    assert.equal(erasureConfirmed(typed, PHONE), true, typed);
  }
  for (const typed of ["", "ERASED", "yes", "506797", "07306 506798", "+1 7306506797x", "00447306506797 1"]) {
    assert.equal(erasureConfirmed(typed, PHONE), false, typed);
  }
  assert.equal(erasureConfirmed("+1 415-555-0123", "+14155550123"), true);
  assert.equal(erasureConfirmed("415 555 0123", "+14155550123"), true);
  assert.equal(erasureConfirmed("555 0123", "+14155550123"), false);
});

test("the erasure needs a reason and the typed confirmation, and says what is lost", () => {
  assert.deepEqual(readErasure({ reason: " ", confirmation: "ERASE" }, PHONE), {
    error: "Give a reason, e.g. the customer asked on 6 Dec 2026.",
  });
  assert.deepEqual(readErasure({ reason: "asked", confirmation: "07306 506700" }, PHONE), {
    error: "Type the customer's phone number or the word ERASE to confirm.",
  });
  assert.deepEqual(readErasure({ reason: " asked in the shop ", confirmation: "07306506797" }, PHONE), {
    reason: "asked in the shop",
  });
  const warning = erasureWording("Ola", 120);
  assert.match(warning, /cannot be undone/);
  assert.match(warning, /balance of 120 points is forfeited/);
  assert.match(erasureWording("Ola", 0), /no points to lose/);
  assert.equal(erasedWording({ points_forfeited: 120 }), "Erased: the name and phone are gone. 120 points forfeited.");
  assert.equal(erasedWording({ points_forfeited: 0 }), "Erased: the name and phone are gone.");
});

test("an erased customer is told by its pseudonym, never by a phone", () => {
  assert.equal(isErased({ phone: "erased-12" }), true);
  assert.equal(isErased({ phone: "erased:abc" }), true);
  assert.equal(isErased({ phone: "x:zz" }), true);
  assert.equal(isErased({ phone: PHONE }), false);
  // The panel follows the list's card, phone included: an erasure shows without reopening.
  let state = detailOpened(initialState(), { customer_id: 12, name: "Ola", phone: PHONE, points_balance: 120 });
  const page = { items: [{ customer_id: 12, name: null, phone: "erased-12", points_balance: 0 }], total: 1,
    total_is_exact: true, next_cursor: null };
  state = cardSynced(listArrived(state, page, null, 0));
  assert.equal(isErased(state.detail), true);
  state = customerErased(state, { customer_id: 12, points_forfeited: 120 });
  assert.equal(state.detail.erasure.points_forfeited, 120);
  assert.equal(customerErased(state, { customer_id: 13 }), state); // another's: nothing
});

// ---- import --------------------------------------------------------------------------------

const PREVIEW = {
  rows: 6, to_import: 3, already_enrolled: 1, already_imported: 0, points_imported: 450,
  refused: ["line 3: the phone 12 is not a phone number", "line 5: points must be 0 or more"],
  refused_count: 2, imported: 0, valid: 4, written: false, complete: true,
};

test("the preview says what would happen, lists the refused lines and words the confirm", () => {
  const wording = importPreviewWording(PREVIEW);
  assert.deepEqual(wording.lines, [
    "6 lines of members read.",
    "3 new customers to import, with 450 points between them.",
    "1 phone already enrolled: skipped, left as they are.",
    "2 lines refused (below): fix the file and check it again, or import the rest without them.",
  ]);
  assert.deepEqual(wording.refused, PREVIEW.refused);
  assert.equal(wording.confirm, "Import 3 customers, skip 2 refused lines");
  assert.equal(wording.skipInvalid, true);
  const clean = importPreviewWording({ ...PREVIEW, refused: [], refused_count: 0, already_enrolled: 0 });
  assert.equal(clean.confirm, "Import 3 customers");
  assert.equal(clean.skipInvalid, false);
  // Nothing new (the same file again): nothing to confirm.
  const again = importPreviewWording({ ...PREVIEW, to_import: 0, already_imported: 4, refused: [], refused_count: 0 });
  assert.equal(again.confirm, null);
  assert.ok(again.lines.includes("4 lines imported from this file before: not imported twice."));
  // More refused lines than the report lists: said, not hidden.
  const cut = importPreviewWording({ ...PREVIEW, refused_count: 1500 });
  assert.equal(cut.more, "…and 1,498 more refused lines.");
});

test("the import's file checks, progress line and result", () => {
  assert.equal(importFileProblem(null), "Choose a CSV file first.");
  assert.equal(importFileProblem({ name: "a.csv", size: 0 }), "This file is empty.");
  assert.match(importFileProblem({ name: "a.csv", size: 600 * 1024 }), /loyalty customers import/);
  assert.equal(importFileProblem({ name: "a.csv", size: 100 }), "");
  assert.equal(importProgressWording(1200, 3000), "Importing… 1,200 of 3,000 customers");
  assert.equal(
    importDoneWording(3, { already_enrolled: 1, refused_count: 2 }),
    "Imported 3 customers. 1 phone already enrolled, skipped. 2 refused lines left out.",
  );
});

// ---- Toast in the panel ---------------------------------------------------------------------

const day = (iso) => iso.slice(0, 10);

test("a lost Toast redemption is a notice on its customer's panel, reversible when it went through", () => {
  const outcomes = [
    { id: 2, customer_id: 7, received_at: "2026-12-05T20:00:00Z", committed: true, transaction_ids: [31, 30],
      redemptions: [{ identifier: "off5" }, { identifier: "gone" }] },
    { id: 1, customer_id: 7, received_at: "2026-12-04T20:00:00Z", committed: false, transaction_ids: [],
      redemptions: [{ identifier: "off5" }] },
    { id: 3, customer_id: 8, received_at: "2026-12-04T20:00:00Z", committed: false, transaction_ids: [], redemptions: [] },
  ];
  const entries = [
    { transaction_id: 32, operation_type: "reverse_redemption", points_amount: 200,
      operation_details: { reverses_transaction_id: 31 } },
    { transaction_id: 31, operation_type: "redeem_points", points_amount: 200, transaction_reference: "toast:a:1" },
    { transaction_id: 30, operation_type: "redeem_points", points_amount: 500, transaction_reference: "toast:a:2" },
  ];
  const notices = toastOutcomeNotices(outcomes, 7, entries, day, new Map([["off5", "£5 off"]]));
  assert.deepEqual(notices.map((n) => n.title), [
    "A Toast redemption on 2026-12-05 may or may not have gone through",
    "A Toast redemption on 2026-12-04 may or may not have gone through",
  ]);
  assert.deepEqual(notices[0].lines, [
    "Rewards asked for: £5 off, gone.",
    "It went through: 700 points were taken.",
    "If the guest did not get the discount, give the points back.",
  ]);
  assert.deepEqual(notices[0].reversals.map((r) => [r.transactionId, r.left]), [[31, 0], [30, 500]]);
  assert.equal(notices[0].reversals[1].entry.transaction_reference, "toast:a:2");
  assert.deepEqual(notices[1].lines, ["Rewards asked for: £5 off.", "It did not go through: no points were taken. Nothing to do."]);
  assert.deepEqual(notices[1].reversals, []);
  // A ledger row further down than the entries shown: no entry, nothing to guess.
  const unseen = toastOutcomeNotices(outcomes, 7, [], day);
  assert.equal(unseen[0].lines[1], "It went through: points were taken.");
  assert.deepEqual(unseen[0].reversals.map((r) => r.entry), [null, null]);
});

test("the panel's Toast identifier is kept only for the opening it was asked for", () => {
  let state = detailOpened(initialState(), { customer_id: 7, name: "A", phone: PHONE, points_balance: 0 });
  const opening = state.detail.opening;
  state = toastIdentifierArrived(state, opening, "lid-123");
  assert.equal(state.detail.toastIdentifier, "lid-123");
  assert.equal(toastIdentifierArrived(state, opening + 1, "other"), state);
  state = toastOutcomesLoaded(rewardsLoaded(state, REWARDS), [{ id: 1 }]);
  assert.deepEqual(state.toastOutcomes, [{ id: 1 }]);
  assert.equal(rewardNames(state).get("coffee"), "Free coffee");
});
