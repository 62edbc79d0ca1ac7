// The controller's Programme and Report screens, with a fake view, API, store and router (no
// DOM here at all): the preview comes from the API's calculate, a stale preview is dropped,
// a save shows the new version, and loading the programme never undoes a poll's end.
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { ApiError } from "../src/api.js";
import { createController } from "../src/controller.js";

const SESSION = { token: "t", tenant: "demo", tenantName: "Demo", expiresAt: "2999-01-01T00:00:00Z" };
const PROGRAMME = {
  currency: "GBP", timezone: "Europe/London", spend_rule: null,
  visit_rule: { points: 0, min_spend_minor: 0 }, expiry_months: null, point_value_minor: 1,
  version: 3, updated_at: "2026-12-01T10:00:00Z", set_by: "owner@cafe.example",
};
const DRAFT = {
  currency: "GBP", timezone: "Europe/London", spend_on: true, spend_points: "1", spend_per: "1.00",
  visit_points: "0", visit_min: "0.00", expiry_months: "", point_value: "0.01", preview_total: "23.50",
};

function fakeView() {
  const calls = [];
  const answers = { formatPhone: (p) => p, searchText: () => "", programmeDraft: () => DRAFT };
  const recorded = (name) => calls.filter(([called]) => called === name).map(([, ...args]) => args);
  return new Proxy({}, {
    get: (_, name) => name === "calls" ? recorded : (...args) => {
      calls.push([name, ...args]);
      return answers[name]?.(...args);
    },
  });
}

const running = [];
afterEach(() => {
  for (const controller of running.splice(0)) controller.signOut();
});

function harness(api) {
  const router = { go() {}, redirect() {}, record() {} };
  const store = {
    loadSession: () => SESSION, loadIntervalMs: () => 5000, saveSession() {}, forgetSession() {},
    saveIntervalMs() {},
  };
  const view = fakeView();
  const controller = createController({
    api: { signOut: async () => {}, getProgramme: async () => PROGRAMME, listLocations: async () => [], ...api },
    view, store, router,
  });
  running.push(controller);
  return { controller, view };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

test("the preview of the unsaved draft is the API's calculation, and nothing is saved", async () => {
  const sent = [];
  const { controller, view } = harness({
    calculateDraft: async (programme, purchase) => {
      sent.push({ programme, purchase });
      return { points: 23, spend_points: 23, visit_points: 0, eligible_minor: 2350, programme_version: 0 };
    },
    saveProgramme: async () => assert.fail("a preview must not save"),
  });
  controller.route("#/demo/admin/programme");
  await settle();
  await settle();
  assert.deepEqual(sent[0].purchase, { total_minor: 2350, currency: "GBP", excluded_minor: 0 });
  assert.deepEqual(sent[0].programme.spend_rule, { points: 1, per_amount_minor: 100 });
  assert.equal(view.calls("showPreview").at(-1)[0], "A £23.50 bill earns 23 points.");
  assert.match(view.calls("showProgramme")[0][1], /^Version 3, set by owner@cafe\.example on .*2026$/);
});

test("an older preview answering late does not overwrite a newer one", async () => {
  const answers = [];
  const { controller, view } = harness({
    calculateDraft: (programme, purchase) => new Promise((resolve) => answers.push(() =>
      resolve({ points: purchase.total_minor / 100, spend_points: purchase.total_minor / 100, visit_points: 0 })),
    ),
  });
  controller.previewDraft({ ...DRAFT, preview_total: "10.00" });
  controller.previewDraft({ ...DRAFT, preview_total: "20.00" });
  answers[1]();
  await settle();
  answers[0]();
  await settle();
  assert.equal(view.calls("showPreview").at(-1)[0], "A £20.00 bill earns 20 points.");
});

test("a draft with a wrong field is not sent; the server's 422 lands on its field", async () => {
  let sent = 0;
  const refused = new ApiError(422, {
    code: "validation_error", errors: { timezone: ["Not a time zone."] },
  });
  const { controller, view } = harness({
    calculateDraft: async () => { sent += 1; return {}; },
    saveProgramme: async () => { throw refused; },
  });
  await controller.previewDraft({ ...DRAFT, spend_per: "0.001" });
  assert.equal(sent, 0);
  assert.match(view.calls("showProgrammeErrors").at(-1)[0].spend_per, /At most 2 digits/);
  await controller.saveProgramme({ ...DRAFT, timezone: "Mars/Olympus" });
  assert.deepEqual(view.calls("showProgrammeErrors").at(-1)[0], { timezone: "Not a time zone." });
});

test("a save shows the new version", async () => {
  const { controller, view } = harness({
    saveProgramme: async (programme) => ({ ...PROGRAMME, ...programme, version: 4 }),
  });
  await controller.saveProgramme(DRAFT);
  assert.deepEqual(view.calls("showProgrammeSaved").at(-1), ["Saved as version 4 by owner@cafe.example."]);
});

test("the programme arriving after a poll ended does not leave the poll 'out' for ever", async () => {
  let lists = 0;
  let programme;
  const { controller } = harness({
    listCustomers: async () => {
      lists += 1;
      return { notModified: true, etag: null };
    },
    getProgramme: () => new Promise((resolve) => { programme = resolve; }),
  });
  controller.route("#/demo/admin/customers"); // a poll goes out; the programme is asked for
  await settle(); // the poll has answered
  programme(PROGRAMME); // then the programme answers
  await settle();
  controller.refresh();
  await settle();
  assert.equal(lists, 2);
});

test("the report asks for this month in the shop's time zone and words what is owed", async () => {
  const asked = [];
  const { controller, view } = harness({
    pointsReport: async (query) => {
      asked.push(query);
      return {
        currency: "GBP", point_value_minor: 1, opening_balance: 0, earned: 0, earn_reversed: 0,
        redeemed: 0, redemptions_reversed: 0, adjusted_up: 0, adjusted_down: 0, expired: 0,
        imported: 0, forfeited: 0, closing_balance: 48210, liability_minor: 48210,
        redemption_rate: null, breakage_rate: null, by_location: [], by_day: [],
      };
    },
  });
  controller.route("#/demo/admin/report");
  await settle();
  await settle();
  await settle();
  assert.equal(asked.length, 1);
  assert.match(asked[0].from, /^\d{4}-\d{2}-01$/);
  assert.equal(asked[0].location, null);
  const shown = view.calls("showReport").at(-1)[0];
  assert.match(shown.headline, /^You owe your customers 48,210 points, worth £482\.10\.$/);
  assert.equal(shown.unit, "day");
});
