// The controller's import and erasure flows with a fake view and API (no DOM here): the
// preview writes nothing, Confirm sends the file again until the import is complete, and an
// erasure is sent only with a reason and the typed confirmation.
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { ApiError } from "../src/api.js";
import { createController } from "../src/controller.js";

const SESSION = { token: "tok", tenant: "demo", tenantName: "Demo", expiresAt: "2999-01-01T00:00:00Z" };
const EVE = { customer_id: 7, name: "Eve", phone: "+447306506797", points_balance: 800 };
const PAGE = { items: [EVE], total: 1, total_is_exact: true, next_cursor: null };

function fakeView() {
  const calls = [];
  const view = new Proxy({}, {
    get: (_, name) => name === "calls"
      ? (wanted) => calls.filter(([called]) => called === wanted).map(([, ...args]) => args)
      : (...args) => {
        calls.push([name, ...args]);
        return name === "formatPhone" ? args[0] : undefined;
      },
  });
  return view;
}

const running = [];
afterEach(() => {
  for (const controller of running.splice(0)) controller.signOut();
});

function harness(api) {
  const view = fakeView();
  const store = {
    loadSession: () => SESSION, loadIntervalMs: () => 30000, saveSession() {}, forgetSession() {},
    saveIntervalMs() {},
  };
  const router = { go() {}, redirect() {}, record() {} };
  const controller = createController({
    api: {
      signOut: async () => {},
      listCustomers: async () => ({ notModified: false, etag: null, data: PAGE }),
      customerTransactions: async () => ({ notModified: false, etag: null, data: { items: [], total: 0 } }),
      ...api,
    },
    view, store, router,
  });
  running.push(controller);
  controller.route("#/demo/admin/customers");
  return { controller, view };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

const REPORT = {
  rows: 3, valid: 3, to_import: 3, already_enrolled: 0, already_imported: 0, points_imported: 0,
  imported: 0, refused: [], refused_count: 0, complete: true, written: false,
};

test("the preview writes nothing; Confirm sends the file until the import is complete", async () => {
  const sent = [];
  const answers = [
    REPORT, // the preview
    { ...REPORT, to_import: 0, imported: 2, complete: false, written: true },
    { ...REPORT, to_import: 0, already_imported: 2, imported: 1, complete: true, written: true },
  ];
  const { controller, view } = harness({
    importCustomers: async (file, how) => {
      sent.push([file, how]);
      return answers.shift();
    },
  });
  controller.openImport();
  const [{ onCheck, onConfirm }] = view.calls("openImportDialog")[0];
  await onCheck({ name: "big.csv", size: 600 * 1024 });
  assert.deepEqual(sent, []); // too big for the dialog: said, not sent
  assert.match(view.calls("showImportMessage").at(-1)[0], /loyalty customers import/);
  const file = { name: "m.csv", size: 40 };
  await onCheck(file);
  assert.deepEqual(sent, [[file, { dryRun: true, skipInvalid: false }]]);
  assert.equal(view.calls("showImportPreview").at(-1)[0].confirm, "Import 3 customers");
  await onConfirm();
  assert.deepEqual(sent.slice(1), [[file, { dryRun: false, skipInvalid: false }], [file, { dryRun: false, skipInvalid: false }]]);
  assert.deepEqual(view.calls("showImportProgress").slice(-3).map(([text]) => text), [
    "Importing… 0 of 3 customers", "Importing… 2 of 3 customers", "Importing… 3 of 3 customers",
  ]);
  assert.equal(view.calls("closeImportDialog").length, 1);
  assert.equal(view.calls("showListNotice").at(-1)[0], "Imported 3 customers.");
});

test("a file the API refuses as a whole keeps the dialog open with the API's words", async () => {
  const refused = new ApiError(422, { code: "import_file_refused", detail: "Unknown column: email." });
  const { controller, view } = harness({ importCustomers: async () => { throw refused; } });
  controller.openImport();
  const [{ onCheck, onConfirm }] = view.calls("openImportDialog")[0];
  await onCheck({ name: "m.csv", size: 10 });
  assert.equal(view.calls("showImportMessage").at(-1)[0], "Unknown column: email.");
  await onConfirm(); // nothing was previewed: nothing to confirm
  assert.equal(view.calls("closeImportDialog").length, 0);
});

test("an erasure is sent only with a reason and the typed confirmation", async () => {
  const erased = [];
  const { controller, view } = harness({
    eraseCustomer: async (id, reason) => {
      erased.push([id, reason]);
      return { customer_id: id, points_forfeited: 800, reason };
    },
  });
  await settle();
  const [, , { onOpen }] = view.calls("showCustomers")[0];
  onOpen(EVE);
  controller.openErase();
  const [id, { context, submit }] = view.calls("openFormDialog").at(-1);
  assert.equal(id, "erase-dialog");
  assert.match(context, /balance of 800 points is forfeited/);
  assert.deepEqual(await submit({ reason: "asked", confirmation: "Eve" }), {
    error: "Type the customer's phone number or the word ERASE to confirm.",
  });
  assert.deepEqual(erased, []);
  assert.equal(await submit({ reason: "asked", confirmation: "07306 506797" }), undefined);
  assert.deepEqual(erased, [[7, "asked"]]);
  assert.equal(view.calls("showDetailNotice").at(-1)[0], "Erased: the name and phone are gone. 800 points forfeited.");
});
