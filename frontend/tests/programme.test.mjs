// The programme form (forms.js): the draft as the API takes it, the API's errors by field, the
// preview's words; and the panel's new lines (state.js): returns left, bills, actors, expiry.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  previewFailure,
  previewWording,
  programmeErrors,
  programmeFields,
  programmeVersionWording,
  readProgramme,
  readReturn,
  returnedWording,
  returnWording,
  savedWording,
} from "../src/forms.js";
import { ApiError } from "../src/api.js";
import { navLinks } from "../src/router.js";
import { actorWording, balanceMoves, entryDetails, expiringWording, returnable } from "../src/state.js";
import { formatMoney } from "../src/money.js";

const PROGRAMME = {
  currency: "GBP", timezone: "Europe/London", spend_rule: null,
  visit_rule: { points: 0, min_spend_minor: 0 }, expiry_months: null, point_value_minor: 1,
  version: 0, updated_at: null, set_by: null,
};

test("a programme never set shows as a form with 1 point per £1.00 ready to switch on", () => {
  assert.deepEqual(programmeFields(PROGRAMME), {
    currency: "GBP", timezone: "Europe/London", spend_on: false, spend_points: "1",
    spend_per: "1.00", visit_points: "0", visit_min: "0.00", expiry_months: "", point_value: "0.01",
  });
  assert.equal(programmeVersionWording(PROGRAMME, String), "Not set yet: customers earn what the till sends.");
  assert.equal(
    programmeVersionWording({ ...PROGRAMME, version: 5, set_by: "owner@cafe.example", updated_at: "x" }, () => "6 Dec 2026"),
    "Version 5, set by owner@cafe.example on 6 Dec 2026",
  );
  assert.equal(savedWording({ version: 5, set_by: "owner@cafe.example" }), "Saved as version 5 by owner@cafe.example.");
});

test("1 point per £1 with a year's expiry is the request the API takes, in minor units", () => {
  const fields = { ...programmeFields(PROGRAMME), spend_on: true, expiry_months: "12", visit_min: "5" };
  assert.deepEqual(readProgramme(fields), {
    programme: {
      currency: "GBP", timezone: "Europe/London",
      spend_rule: { points: 1, per_amount_minor: 100 },
      visit_rule: { points: 0, min_spend_minor: 500 },
      expiry_months: 12, point_value_minor: 1,
    },
  });
  // No spend rule: null, whatever its fields hold; no months: never expire.
  const off = readProgramme({ ...fields, spend_on: false, spend_points: "x", expiry_months: " " });
  assert.equal(off.programme.spend_rule, null);
  assert.equal(off.programme.expiry_months, null);
  // A currency without minor units reads whole amounts.
  const yen = readProgramme({ ...fields, currency: "jpy", spend_per: "100", visit_min: "0", point_value: "1" });
  assert.deepEqual(yen.programme.spend_rule, { points: 1, per_amount_minor: 100 });
  assert.equal(yen.programme.currency, "JPY");
});

test("each wrong field is named, and nothing is sent", () => {
  const fields = {
    ...programmeFields(PROGRAMME), spend_on: true, spend_points: "1.5", spend_per: "0",
    expiry_months: "121", point_value: "0.001", currency: "GBP",
  };
  assert.deepEqual(Object.keys(readProgramme(fields).errors).sort(), [
    "expiry_months", "point_value", "spend_per", "spend_points",
  ]);
  assert.deepEqual(Object.keys(readProgramme({ ...fields, currency: "pounds" }).errors).sort(), [
    "currency", "expiry_months", "spend_points",
  ]);
});

test("the API's 422 errors land on the form's fields", () => {
  assert.deepEqual(
    programmeErrors({
      "spend_rule.per_amount_minor": ["Must be greater than or equal to 1."],
      "programme.timezone": ["Unknown time zone."],
      "purchase.total_minor": ["Too large."],
      other: ["Unknown field."],
    }),
    {
      spend_per: "Must be greater than or equal to 1.",
      timezone: "Unknown time zone.",
      preview_total: "Too large.",
      "": "Unknown field.",
    },
  );
});

test("the preview says what the server computed", () => {
  const calculation = { points: 23, spend_points: 23, visit_points: 0, eligible_minor: 2350 };
  assert.equal(previewWording(calculation, 2350, "GBP", "en-GB"), "A £23.50 bill earns 23 points.");
  assert.equal(
    previewWording({ points: 28, spend_points: 23, visit_points: 5 }, 2350, "GBP", "en-GB"),
    "A £23.50 bill earns 28 points (23 points for spending, 5 for the visit).",
  );
  assert.equal(
    previewFailure(new ApiError(422, { code: "no_earn_rule", detail: "x" })),
    "With these settings a bill earns no points.",
  );
});

// ---- returns and the panel ----------------------------------------------------------------

const earn = (id, points, details = null) => ({
  transaction_id: id, operation_type: "earn_points", points_amount: points,
  transaction_reference: `E-${id}`, operation_details: details,
});
const BILL = {
  purchase: { total_minor: 2350, currency: "GBP", excluded_minor: 0 },
  programme: { version: 3, eligible_minor: 2350, spend_points: 23, visit_points: 0 },
};

test("what is left to return of each earn: points and, for a bill, money", () => {
  const entries = [
    { transaction_id: 5, operation_type: "reverse_earn", points_amount: 3,
      operation_details: { reverses_transaction_id: 1, returned_minor: 500,
        programme: { returned_minor: 500 }, points_unrecovered: 2 } },
    earn(2, 40),
    earn(1, 23, BILL),
  ];
  assert.deepEqual(returnable(entries).get(1), { pointsLeft: 18, moneyLeft: 1850, currency: "GBP" });
  assert.deepEqual(returnable(entries).get(2), { pointsLeft: 40, moneyLeft: null, currency: null });
});

test("a return reads the owner's money and is checked against what is left", () => {
  const left = { currency: "GBP", moneyLeft: 1850, pointsLeft: 18 };
  assert.deepEqual(readReturn({ amount: "10", reason: " wrong size " }, left), {
    returned_minor: 1000, reason: "wrong size",
  });
  assert.deepEqual(readReturn({ amount: "", reason: "" }, left), { returned_minor: null, reason: null });
  assert.deepEqual(readReturn({ amount: "18.50", reason: "" }, left), { returned_minor: null, reason: null });
  assert.match(readReturn({ amount: "18.51", reason: "" }, left).error, /Only £18.50/);
  assert.ok(readReturn({ amount: "0", reason: "" }, left).error);
  // An earn of points with no bill: only whole.
  const whole = { currency: null, moneyLeft: null, pointsLeft: 40 };
  assert.deepEqual(readReturn({ amount: "5", reason: "" }, whole), { returned_minor: null, reason: null });
  assert.match(returnWording("Alex", earn(2, 40), whole, null).context, /no bill: it can only be returned whole/);
  assert.equal(
    returnWording("Alex", earn(1, 23, BILL), left, 1000, "en-GB").question,
    "Return £10.00 of E-1 for Alex? The points it earned are taken back.",
  );
  assert.equal(
    returnedWording({ points_reversed: 11, points_unrecovered: 12 }),
    "Took back 11 points. 12 points could not be taken back: already spent.",
  );
});

const money = (minor, currency) => formatMoney(minor, currency, "en-GB");
const names = new Map([["hs", "High Street"]]);

test("an entry says its bill, who made it, why, and what could not be taken back", () => {
  const till = { kind: "pos_key", label: "till 1", location: "hs" };
  assert.deepEqual(entryDetails({ ...earn(1, 23, BILL), actor: till }, money, names), [
    "£23.50 → 23 points",
    "till 1 · High Street",
  ]);
  const adjustment = {
    operation_type: "adjust_points", points_amount: -5,
    operation_details: { reason: "double-counted visit" },
    actor: { kind: "admin", label: "owner@cafe.example", location: null },
  };
  assert.deepEqual(entryDetails(adjustment, money, names), ["by owner@cafe.example · double-counted visit"]);
  const back = {
    operation_type: "reverse_earn", points_amount: 11, actor: null,
    operation_details: { reverses_reference: "E-1", points_unrecovered: 12 },
  };
  assert.deepEqual(entryDetails(back, money, names), [
    "E-1 returned whole",
    "—",
    "12 points could not be taken back: already spent",
  ]);
  assert.equal(actorWording({ kind: "system", label: "expiry job", location: null }, names), "expiry job");
  assert.equal(actorWording({ kind: "pos_key", label: "till 9", location: "zz" }, names), "till 9 · zz");
});

test("the balance's move is the API's points_change where it gives one", () => {
  const entries = [
    { operation_type: "expire_points", points_amount: 40, points_change: -40, balance_after: 0 },
    { operation_type: "mystery", points_amount: 40, points_change: 40, balance_after: 40 },
  ];
  assert.deepEqual(balanceMoves(entries, false), [-40, 40]);
});

test("the expiring line, dated by the caller in the shop's time zone", () => {
  const day = () => "31 Dec 2027";
  assert.equal(expiringWording({ points: 40, expires_at: "x" }, day), "40 points expire on 31 Dec 2027");
  assert.equal(expiringWording({ points: 1, expires_at: "x" }, day), "1 point expires on 31 Dec 2027");
  assert.equal(expiringWording(null, day), "");
});

test("the navigation has one link per screen, the current one marked", () => {
  assert.deepEqual(navLinks("demo", "report"), [
    { name: "customers", label: "Customers", href: "#/demo/admin/customers", current: false },
    { name: "programme", label: "Programme", href: "#/demo/admin/programme", current: false },
    { name: "report", label: "Report", href: "#/demo/admin/report", current: true },
  ]);
});
