// The DOM, and the only module that touches it: screens, the list, the panel, dialogs and status
// lines (`show*`), and the user's gestures handed to the controller (`bind*`). Text only ever
// reaches the page through textContent, so names, references and details typed at a till can
// never become markup.

import {
  SERIES,
  bucketLabel,
  chartLayout,
  labelledBuckets,
} from "./report.js";
import { EARN, REDEEM, changesAnnouncement, countOf, isErased, operationLabel } from "./state.js";

const SVG = "http://www.w3.org/2000/svg";

const $ = (id) => document.getElementById(id);

/**
 * E.164 as people read it: "+44 7306 506797", "+1 415-555-0123", else "+cc rest".
 * @param {string} e164
 */
export function formatPhone(e164) {
  const uk = /^\+44(\d{4})(\d{6})$/.exec(e164);
  if (uk) return `+44 ${uk[1]} ${uk[2]}`;
  const nanp = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(e164);
  if (nanp) return `+1 ${nanp[1]}-${nanp[2]}-${nanp[3]}`;
  const other = /^\+(\d{1,3})(\d+)$/.exec(e164);
  return other ? `+${other[1]} ${other[2]}` : e164;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  day: "numeric",
  month: "short",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hour12: false,
});
const number = new Intl.NumberFormat();

/** @param {string} iso an ISO 8601 time from the API */
export function formatDateTime(iso) {
  return dateTimeFormat.format(new Date(iso));
}

/** @param {Date} date */
export function formatClock(date) {
  return timeFormat.format(date);
}

/** "+50", "−20", "0": a typographic minus, so a negative number reads as one. @param {number} n */
export function formatSigned(n) {
  if (n > 0) return `+${number.format(n)}`;
  if (n < 0) return `−${number.format(-n)}`;
  return "0";
}

function cell(text, label, className) {
  const td = document.createElement("td");
  td.textContent = text;
  td.dataset.label = label; // the card layout on phones shows it before the value
  if (className) td.className = className;
  return td;
}

function button(text, className, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  if (className) b.className = className;
  b.addEventListener("click", onClick);
  return b;
}

/** A ledger entry's points: signed by how it moved the balance, or plain when not known. */
function pointsCell(move, amount) {
  if (move === null) return cell(number.format(amount), "Points", "num");
  return cell(formatSigned(move), "Points", `num ${move < 0 ? "minus" : "plus"}`);
}

/** How an erased customer is named everywhere (their name and phone are gone). */
export const ERASED = "Erased customer";

// ---- screens ----------------------------------------------------------------------------

/** Show the screen `name` (its section is #NAME-screen) and hide the others. */
function showScreen(name) {
  for (const section of document.querySelectorAll("main > section")) {
    section.hidden = section.id !== `${name}-screen`;
  }
}

/** The sign-in screen, with `message` and the tenant filled in when known. */
export function showSignIn(tenant, message) {
  for (const dialog of document.querySelectorAll("dialog[open]")) dialog.close();
  showScreen("sign-in");
  $("sign-out").hidden = true;
  $("screens-nav").hidden = true;
  $("shop-name").textContent = "Loyalty admin";
  $("sign-in-message").textContent = message;
  if (tenant) $("tenant").value = tenant;
  (tenant ? $("email") : $("tenant")).focus();
}

/** @param {string} message why signing in failed */
export function showSignInMessage(message) {
  $("sign-in-message").textContent = message;
}

/** A screen of a signed-in shop: its section, the shop's name, sign-out. */
function showShopScreen(name, shopName) {
  for (const dialog of document.querySelectorAll("dialog[open]")) dialog.close();
  showScreen(name);
  $("sign-out").hidden = false;
  $("shop-name").textContent = shopName;
  $("password").value = "";
}

/** The customers screen of a signed-in shop. */
export function showCustomersScreen(shopName, intervalMs) {
  showShopScreen("customers", shopName);
  $("interval").value = String(intervalMs);
}

/** The programme screen (its fields come with showProgramme). */
export function showProgrammeScreen(shopName) {
  showShopScreen("programme", shopName);
  fillTimeZones();
}

/** The report screen (its figures come with showReport). */
export function showReportScreen(shopName) {
  showShopScreen("report", shopName);
}

/**
 * The navigation between screens; the current one is marked (aria-current).
 * @param {Array<{name: string, label: string, href: string, current: boolean}>} links
 */
export function showNav(links) {
  const items = links.map((link) => {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = link.href;
    a.textContent = link.label;
    if (link.current) a.setAttribute("aria-current", "page");
    li.append(a);
    return li;
  });
  $("screens-links").replaceChildren(...items);
  $("screens-nav").hidden = false;
}

// ---- live status --------------------------------------------------------------------------

/**
 * @param {{text: string, kind: string}} status the live line (role="status")
 * @param {{paused: boolean, retry: string, lastUpdated: Date | null}} extra
 */
export function showLive(status, { paused, retry, lastUpdated }) {
  const line = $("live-status");
  if (line.textContent !== status.text) line.textContent = status.text;
  line.className = `status ${status.kind}`;
  // The countdown ticks every second: outside the live region, so it is not read out each time.
  if ($("retry-info").textContent !== retry) $("retry-info").textContent = retry;
  const pause = $("pause");
  pause.textContent = paused ? "Resume" : "Pause";
  pause.setAttribute("aria-pressed", String(paused));
  if (lastUpdated) $("last-updated").textContent = `Last updated ${formatClock(lastUpdated)}`;
}

/** @param {string} text an error about the list ("" clears it) */
export function showListMessage(text) {
  $("list-message").textContent = text;
}

// ---- the customer list ----------------------------------------------------------------------

/**
 * Replace the customer rows.
 * @param {Array<object>} items customers from the API
 * @param {Set<number> | Map<number, number>} marked rows still marked as changed
 * @param {{onOpen: (customer: object) => void, onSeen: (id: number) => void}} handlers
 */
export function showCustomers(items, marked, { onOpen, onSeen }) {
  const table = $("customers");
  const rows = items.map((customer) => {
    const tr = document.createElement("tr");
    const id = customer.customer_id;
    tr.dataset.customerId = String(id);
    tr.tabIndex = 0;
    const erased = isErased(customer);
    tr.setAttribute("aria-label", `${erased ? ERASED : customer.name || formatPhone(customer.phone)}: show ledger`);
    tr.append(
      cell(erased ? ERASED : customer.name || "—", "Name", "name"),
      cell(erased ? "—" : formatPhone(customer.phone), "Phone", "phone"),
      cell(number.format(customer.points_balance), "Points", "num points"),
      cell(number.format(customer.total_points_redeemed), "Redeemed", "num"),
      cell(number.format(customer.total_points_earned), "Earned", "num"),
      cell(formatDateTime(customer.updated_at), "Updated", "time"),
    );
    if (marked.has(id)) tr.classList.add("changed");
    tr.addEventListener("click", () => onOpen(customer));
    tr.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        onOpen(customer);
      }
    });
    const seen = () => tr.classList.contains("changed") && onSeen(id);
    tr.addEventListener("mouseenter", seen);
    tr.addEventListener("focus", seen);
    return tr;
  });
  if (rows.length === 0) {
    const tr = document.createElement("tr");
    const td = cell("No customers match.", "");
    td.colSpan = 6;
    tr.append(td);
    rows.push(tr);
  }
  table.tBodies[0].replaceChildren(...rows);
  showChangeCount(marked.size);
  // Lets people and tests see whether a poll re-rendered anything.
  table.dataset.renderCount = String(Number(table.dataset.renderCount || 0) + 1);
}

/**
 * Mark exactly the rows in `marked` as changed, without re-rendering the list.
 * @param {Set<number> | Map<number, number>} marked
 */
export function showHighlights(marked) {
  for (const tr of $("customers").tBodies[0].rows) {
    tr.classList.toggle("changed", marked.has(Number(tr.dataset.customerId)));
  }
  showChangeCount(marked.size);
}

function showChangeCount(count) {
  const text = changesAnnouncement(count);
  if ($("changes").textContent !== text) $("changes").textContent = text;
}

/**
 * The pager line ("Page 1 of 2 · 37 customers") and its buttons, enabled as they apply.
 * @param {string} text @param {{previous: boolean, next: boolean}} can
 */
export function showPager(text, can) {
  $("page-info").textContent = text;
  $("prev-page").disabled = !can.previous;
  $("next-page").disabled = !can.next;
}

// ---- the detail panel -----------------------------------------------------------------------

/**
 * Fill the panel with a customer's ledger entries.
 * @param {{name: string | null, phone: string, pointsBalance: number | null, items: Array<object>,
 *   total: number | null}} detail
 * @param {{left: Map<number, number>, moves: Array<number | null>,
 *   returns?: Map<number, {pointsLeft: number}>, details?: Array<string[]>, expiring?: string}} ledger
 *   the points still refundable per redemption id, how much each entry moved the balance (null:
 *   not known), what is left to return per earn id, each entry's lines of details, and the
 *   expiring line
 * @param {(entry: object, left: number) => void} onRefund
 * @param {(entry: object) => void} [onReturn]
 */
export function showDetail(detail, { left, moves, returns = new Map(), details = [], expiring = "",
  notices = [] }, onRefund, onReturn = () => {}) {
  const panel = $("detail");
  const erased = isErased(detail);
  $("detail-title").textContent = erased ? ERASED : detail.name || formatPhone(detail.phone);
  $("detail-summary").textContent = erased
    ? "Their name and phone number were erased; their points history stays, without them."
    : detail.name ? formatPhone(detail.phone) : "No name";
  for (const id of ["adjust-points", "edit-name", "erase-customer"]) $(id).hidden = erased;
  $("detail-toast").textContent = detail.toastIdentifier
    ? `Toast loyalty identifier: ${detail.toastIdentifier}`
    : "";
  showOutcomeNotices(notices, onRefund);
  $("detail-balance").textContent =
    detail.pointsBalance === null ? "" : `Balance: ${countOf(detail.pointsBalance, "point")}`;
  $("detail-expiring").textContent = expiring;
  const rows = detail.items.map((entry, i) => {
    const tr = document.createElement("tr");
    tr.dataset.transactionId = String(entry.transaction_id);
    const actions = cell("", "");
    actions.className = "actions";
    if (entry.operation_type === REDEEM) {
      const remaining = left.get(entry.transaction_id) ?? 0;
      if (remaining > 0) {
        const refund = button("Refund points", "small", () => onRefund(entry, remaining));
        refund.setAttribute("aria-label", `Refund points of ${entry.transaction_reference}`);
        actions.append(refund);
      } else {
        actions.textContent = "Refunded";
        actions.classList.add("muted");
      }
    }
    if (entry.operation_type === EARN && returns.has(entry.transaction_id)) {
      if (returns.get(entry.transaction_id).pointsLeft > 0) {
        const back = button("Return purchase", "small", () => onReturn(entry));
        back.setAttribute("aria-label", `Return purchase ${entry.transaction_reference}`);
        actions.append(back);
      } else if (entry.points_amount > 0) {
        actions.textContent = "Returned";
        actions.classList.add("muted");
      }
    }
    const about = cell("", "Details", "details");
    for (const line of details[i] || []) {
      const span = document.createElement("span");
      span.textContent = line;
      about.append(span);
    }
    tr.append(
      cell(operationLabel(entry.operation_type), "Operation", "op"),
      pointsCell(moves[i], entry.points_amount),
      cell(number.format(entry.balance_after), "Balance after", "num"),
      cell(entry.transaction_reference, "Reference", "ref"),
      cell(formatDateTime(entry.created_at), "Time", "time"),
      actions,
      about,
    );
    return tr;
  });
  panel.querySelector("tbody").replaceChildren(...rows);
  const total = detail.total ?? detail.items.length;
  $("ledger-info").textContent = detail.total === null
    ? "Loading…"
    : `${countOf(detail.items.length, "entry", "entries")} of ${number.format(total)} shown`;
  $("show-older").hidden = detail.items.length >= total;
  panel.hidden = false;
}

/**
 * The notices about Toast redemptions whose outcome was lost, each with a button per ledger
 * row whose points can still be given back.
 * @param {Array<{id: number, title: string, lines: string[], reversals: Array<{transactionId:
 *   number, entry: object | null, left: number}>}>} notices
 * @param {(entry: object, left: number) => void} onRefund
 */
function showOutcomeNotices(notices, onRefund) {
  const boxes = notices.map((notice) => {
    const box = document.createElement("div");
    box.className = "outcome";
    box.setAttribute("role", "group");
    const title = document.createElement("p");
    title.className = "outcome-title";
    title.id = `outcome-${notice.id}`;
    title.textContent = notice.title;
    box.setAttribute("aria-labelledby", title.id);
    box.append(title);
    for (const line of notice.lines) {
      const p = document.createElement("p");
      p.textContent = line;
      box.append(p);
    }
    for (const { transactionId, entry, left } of notice.reversals) {
      if (entry && left > 0) {
        const back = button(`Give back ${countOf(left, "point")}`, "small", () => onRefund(entry, left));
        back.setAttribute("aria-label", `Give back ${countOf(left, "point")} of ${entry.transaction_reference}`);
        box.append(back);
      } else {
        const p = document.createElement("p");
        p.className = "muted";
        p.textContent = entry
          ? `${entry.transaction_reference}: the points were given back.`
          : `Ledger entry ${transactionId} is further down the ledger: press Show older to give its points back.`;
        box.append(p);
      }
    }
    return box;
  });
  $("detail-outcomes").replaceChildren(...boxes);
}

/** Bring the panel into view and put the keyboard on its heading. */
export function focusDetail() {
  $("detail").scrollIntoView({ block: "nearest" });
  $("detail-title").focus();
}

export function hideDetail() {
  $("detail").hidden = true;
  $("detail-message").textContent = "";
  $("detail-notice").textContent = "";
}

/** @param {string} text what an action did, e.g. a return's points ("" clears it) */
export function showDetailNotice(text) {
  $("detail-notice").textContent = text;
}

/** @param {string} text an error about the panel ("" clears it) */
export function showDetailMessage(text) {
  $("detail-message").textContent = text;
}

// ---- dialogs ----------------------------------------------------------------------------

/**
 * Ask a yes/no question in the confirmation dialog.
 * @param {string} text what will happen @param {string} confirmLabel e.g. "Remove 10 points"
 * @returns {Promise<boolean>}
 */
export function confirmAction(text, confirmLabel) {
  const dialog = $("confirm-dialog");
  $("confirm-text").textContent = text;
  $("confirm-button").textContent = confirmLabel;
  dialog.returnValue = "";
  dialog.showModal();
  $("confirm-button").focus();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm"), {
      once: true,
    });
  });
}

/**
 * Open a form dialog and run `submit(values)` when it is sent; the dialog stays open showing
 * the error's message when `submit` throws (or returns {error}), and closes when it succeeds.
 * @param {string} id the dialog's id
 * @param {{context?: string, values?: Record<string, string>, show?: Record<string, boolean>,
 *   submit: (values: Record<string, string>) => Promise<{error?: string} | void>}} options
 */
export function openFormDialog(id, { context = "", values = {}, show = {}, submit }) {
  const dialog = $(id);
  const form = dialog.querySelector("form");
  form.reset();
  for (const [part, shown] of Object.entries(show)) $(part).hidden = !shown;
  for (const [name, value] of Object.entries(values)) form.elements[name].value = value;
  const contextLine = dialog.querySelector(".dialog-context");
  if (contextLine) contextLine.textContent = context;
  const message = dialog.querySelector(".message");
  message.textContent = "";
  dialogSubmit.set(dialog, async () => {
    const sendButton = form.querySelector("button[type=submit]");
    sendButton.disabled = true;
    message.textContent = "";
    try {
      const fields = Object.fromEntries(new FormData(form).entries()); // hidden parts' too
      const outcome = await submit(fields);
      if (outcome && "error" in outcome) message.textContent = outcome.error; // stays open
      else dialog.close();
    } catch (error) {
      message.textContent = error.message;
    } finally {
      sendButton.disabled = false;
    }
  });
  dialog.showModal();
  [...form.querySelectorAll("input")].find((input) => !input.closest("[hidden]"))?.focus();
}

const dialogSubmit = new WeakMap();

function wireDialogs() {
  for (const dialog of document.querySelectorAll("dialog")) {
    const form = dialog.querySelector("form");
    if (form.method === "dialog") continue;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      dialogSubmit.get(dialog)?.();
    });
    form.querySelector("[data-cancel]").addEventListener("click", () => dialog.close());
  }
}

/**
 * The Import dialog: a CSV file is picked and checked (`onCheck(file)`: the preview), then
 * confirmed (`onConfirm()`); the controller fills in the preview, the progress and the errors.
 * @param {{onCheck: (file: File | null) => void, onConfirm: () => void}} handlers
 */
export function openImportDialog({ onCheck, onConfirm }) {
  const dialog = $("import-dialog");
  dialog.querySelector("form").reset();
  showImportPreview(null);
  showImportMessage("");
  showImportProgress("");
  importHandlers = { onCheck, onConfirm };
  dialog.showModal();
  $("import-file").focus();
}

let importHandlers = null;

function wireImport() {
  const form = $("import-dialog").querySelector("form");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    importHandlers?.onCheck($("import-file").files[0] ?? null);
  });
  $("import-file").addEventListener("change", () => showImportPreview(null));
  $("import-confirm").addEventListener("click", () => importHandlers?.onConfirm());
}

/**
 * The preview of the file (null: none yet, the file is to be checked).
 * @param {{lines: string[], refused: string[], more: string, confirm: string | null} | null} preview
 */
export function showImportPreview(preview) {
  $("import-preview").hidden = preview === null;
  $("import-check").hidden = false;
  $("import-confirm").hidden = !preview?.confirm;
  $("import-confirm").textContent = preview?.confirm || "Import";
  $("import-check").textContent = preview ? "Check again" : "Check file";
  if (!preview) return;
  const item = (text) => {
    const li = document.createElement("li");
    li.textContent = text;
    return li;
  };
  $("import-summary").replaceChildren(...preview.lines.map(item));
  $("import-refused").replaceChildren(...preview.refused.map(item));
  $("import-refused-box").hidden = preview.refused.length === 0;
  $("import-more").textContent = preview.more;
}

/** @param {string} text why the file cannot be checked or imported ("" clears it) */
export function showImportMessage(text) {
  $("import-dialog").querySelector(".message").textContent = text;
}

/** @param {string} text the progress line ("" clears it) */
export function showImportProgress(text) {
  $("import-progress").textContent = text;
}

/** @param {boolean} busy whether the file is being checked or imported (buttons wait) */
export function showImportBusy(busy) {
  for (const id of ["import-check", "import-confirm", "import-file"]) $(id).disabled = busy;
}

export function closeImportDialog() {
  $("import-dialog").close();
}

/** @param {string} text what the Customers screen says after an import ("" clears it) */
export function showListNotice(text) {
  $("list-notice").textContent = text;
}

/** Hand a file to the browser as a download. @param {Blob} blob @param {string} filename */
export function saveFile(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** @param {boolean} busy whether the customer's data is being fetched */
export function showDownloadingData(busy) {
  $("download-data").disabled = busy;
  $("download-data").textContent = busy ? "Downloading…" : "Download data";
}

/** @param {boolean} busy whether an export is under way */
export function showExporting(busy) {
  $("export-csv").disabled = busy;
  $("export-csv").textContent = busy ? "Exporting…" : "Export CSV";
}

// ---- the programme screen ---------------------------------------------------------------

const PROGRAMME_ERRORS = [
  "currency", "timezone", "spend_points", "spend_per", "visit_points", "visit_min",
  "expiry_months", "point_value", "preview_total",
];

/** The time zones the browser knows, for the time zone field's suggestions (filled once). */
function fillTimeZones() {
  const list = $("timezones");
  if (list.childElementCount || !Intl.supportedValuesOf) return;
  list.append(...Intl.supportedValuesOf("timeZone").map((zone) => {
    const option = document.createElement("option");
    option.value = zone;
    return option;
  }));
}

function spendInputs() {
  $("prog-spend-points").disabled = !$("prog-spend-on").checked;
  $("prog-spend-per").disabled = !$("prog-spend-on").checked;
}

/** @returns {Record<string, string | boolean>} the programme form's values */
function programmeValues() {
  const form = $("programme-form");
  return {
    ...Object.fromEntries(new FormData(form).entries()),
    spend_on: $("prog-spend-on").checked,
    spend_points: $("prog-spend-points").value,
    spend_per: $("prog-spend-per").value,
  };
}

/**
 * Fill the programme form (the preview's bill is kept).
 * @param {Record<string, string | boolean>} fields as forms.programmeFields gives them
 * @param {string} version "Version 4, set by … on …"
 */
export function showProgramme(fields, version) {
  const form = $("programme-form");
  for (const [name, value] of Object.entries(fields)) {
    const input = form.elements[name];
    if (input.type === "checkbox") input.checked = Boolean(value);
    else input.value = value;
  }
  spendInputs();
  $("programme-version").textContent = version;
}

/**
 * Mark the fields that are wrong (form field name -> message; "" for what belongs to none).
 * @param {Record<string, string>} errors
 */
export function showProgrammeErrors(errors) {
  for (const name of PROGRAMME_ERRORS) {
    const text = errors[name] || "";
    const line = $(`prog-${name}-error`);
    if (line.textContent !== text) line.textContent = text;
    const input = $("programme-form").elements[name];
    if (text) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }
  $("programme-message").textContent = errors[""] || "";
}

/** @param {string} text the live preview's sentence */
export function showPreview(text) {
  if ($("programme-preview").textContent !== text) $("programme-preview").textContent = text;
}

/** @param {string} text what saving did ("" clears it) */
export function showProgrammeSaved(text) {
  $("programme-saved").textContent = text;
}

/** @param {boolean} busy whether a save is under way */
export function showSaving(busy) {
  $("save-programme").disabled = busy;
  $("save-programme").textContent = busy ? "Saving…" : "Save programme";
}

const PREVIEW_DEBOUNCE_MS = 300;

/**
 * The programme form's gestures: `onDraft(values)` once typing pauses (the live preview),
 * `onSave(values)` when it is sent.
 * @param {{onDraft: (values: object) => void, onSave: (values: object) => void}} handlers
 */
export function bindProgramme({ onDraft, onSave }) {
  const form = $("programme-form");
  let timer = null;
  const changed = () => {
    spendInputs();
    clearTimeout(timer);
    timer = setTimeout(() => onDraft(programmeValues()), PREVIEW_DEBOUNCE_MS);
  };
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(timer);
    onSave(programmeValues());
  });
}

/** The programme form's values now (the preview right after the form is filled). */
export function programmeDraft() {
  return programmeValues();
}

// ---- the rewards editor (on the programme screen) ----------------------------------------

const REWARD_FIELDS = [
  ["name", "Name", "name", "text"],
  ["points", "Points", "points", "numeric"],
  ["amount", "Money off", "amount_minor", "decimal"],
  ["id", "Code", "id", "text"],
];
let rewardSerial = 0; // ids of the rows' inputs, unique for the page's life
let rewardCurrency = "";

/** One reward's fieldset: its four labelled fields, their error lines and Remove. */
function rewardRow(values) {
  rewardSerial += 1;
  const row = document.createElement("fieldset");
  row.className = "reward-row";
  row.dataset.serial = String(rewardSerial);
  const legend = document.createElement("legend");
  row.append(legend);
  const fields = document.createElement("div");
  fields.className = "reward-fields";
  for (const [name, label, , mode] of REWARD_FIELDS) {
    const id = `reward-${rewardSerial}-${name}`;
    const wrap = document.createElement("div");
    wrap.className = `reward-field ${name}`;
    const labelElement = document.createElement("label");
    labelElement.htmlFor = id;
    labelElement.textContent = name === "amount" && rewardCurrency ? `${label} (${rewardCurrency})` : label;
    const input = document.createElement("input");
    input.id = id;
    input.name = name;
    input.autocomplete = "off";
    input.inputMode = mode;
    input.value = values[name] ?? "";
    if (name === "id") input.placeholder = "made from the name";
    const error = document.createElement("p");
    error.className = "field-error";
    error.id = `${id}-error`;
    input.setAttribute("aria-describedby", error.id);
    wrap.append(labelElement, input, error);
    fields.append(wrap);
  }
  const remove = button("Remove", "secondary small", () => {
    const next = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    numberRewardRows();
    (next?.querySelector("input") || $("add-reward")).focus();
  });
  remove.className = "secondary small remove-reward";
  row.append(fields, remove);
  return row;
}

/** Legends "Reward 1", "Reward 2"… in order, and the Remove buttons named after them. */
function numberRewardRows() {
  const rows = [...$("reward-rows").children];
  rows.forEach((row, i) => {
    row.querySelector("legend").textContent = `Reward ${i + 1}`;
    row.querySelector(".remove-reward").setAttribute("aria-label", `Remove reward ${i + 1}`);
  });
  $("rewards-empty").hidden = rows.length > 0;
}

/**
 * Fill the rewards editor.
 * @param {Array<{id: string, name: string, points: string, amount: string}>} rows
 * @param {string} currencyLabel how the money column names the currency ("£")
 */
export function showRewards(rows, currencyLabel) {
  rewardCurrency = currencyLabel;
  $("reward-rows").replaceChildren(...rows.map(rewardRow));
  numberRewardRows();
  $("rewards-form").hidden = false;
}

/** @returns {Array<{id: string, name: string, points: string, amount: string}>} the rows now */
function rewardValues() {
  return [...$("reward-rows").children].map((row) =>
    Object.fromEntries(REWARD_FIELDS.map(([name]) => [name, row.querySelector(`input[name=${name}]`).value])));
}

/**
 * Mark the cells that are wrong (`rewards.2.points` -> message, as forms.readRewards and the
 * API key them; "" for the list as a whole).
 * @param {Record<string, string>} errors
 */
export function showRewardErrors(errors) {
  [...$("reward-rows").children].forEach((row, i) => {
    for (const [name, , apiName] of REWARD_FIELDS) {
      const text = errors[`rewards.${i}.${apiName}`] || "";
      const input = row.querySelector(`input[name=${name}]`);
      $(`${input.id}-error`).textContent = text;
      if (text) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    }
  });
  $("rewards-message").textContent = errors[""] || "";
}

/** @param {string} text what saving the rewards did ("" clears it) */
export function showRewardsSaved(text) {
  $("rewards-saved").textContent = text;
}

/** @param {boolean} busy whether the rewards are being saved */
export function showRewardsSaving(busy) {
  $("save-rewards").disabled = busy;
  $("save-rewards").textContent = busy ? "Saving…" : "Save rewards";
}

/**
 * The rewards editor's gestures: rows are added and removed here; `onSave(rows)` when sent.
 * @param {{onSave: (rows: object[]) => void}} handlers
 */
export function bindRewards({ onSave }) {
  $("add-reward").addEventListener("click", () => {
    const row = rewardRow({});
    $("reward-rows").append(row);
    numberRewardRows();
    showRewardsSaved("");
    row.querySelector("input").focus();
  });
  $("rewards-form").addEventListener("submit", (event) => {
    event.preventDefault();
    onSave(rewardValues());
  });
}

// ---- the report screen ----------------------------------------------------------------

const CHART_HEIGHT = 220;
let lastChart = null; // redrawn at the new width when the window is resized

/**
 * Set the report's picker: the period choice, the custom dates, the locations.
 * @param {{choice: string, from: string, to: string, location: string | null}} picked
 * @param {Array<{code: string, name: string}>} locations
 */
export function showReportPicker(picked, locations) {
  $("report-period").value = picked.choice;
  $("report-dates").hidden = picked.choice !== "custom";
  $("report-from").value = picked.from;
  $("report-to").value = picked.to;
  const select = $("report-location");
  const options = [["", "All locations"], ...locations.map((l) => [l.code, l.name])].map(
    ([value, label]) => {
      const option = document.createElement("option");
      option.value = value;
      option.textContent = label;
      return option;
    },
  );
  select.replaceChildren(...options);
  select.value = picked.location || "";
}

/**
 * The report's gestures: `onPick(picked)` when the period, its dates or the location change;
 * `onCsv()` for the download.
 * @param {{onPick: (picked: object) => void, onCsv: () => void}} handlers
 */
export function bindReport({ onPick, onCsv }) {
  const picked = () => ({
    choice: $("report-period").value,
    from: $("report-from").value,
    to: $("report-to").value,
    location: $("report-location").value || null,
  });
  for (const id of ["report-period", "report-from", "report-to", "report-location"]) {
    $(id).addEventListener("change", () => {
      $("report-dates").hidden = $("report-period").value !== "custom";
      onPick(picked());
    });
  }
  $("report-csv").addEventListener("click", () => onCsv());
  window.addEventListener("resize", () => {
    if (lastChart && !$("report-screen").hidden) drawChart(lastChart);
  });
}

/** @param {string} text an error about the report ("" clears it) */
export function showReportMessage(text) {
  $("report-message").textContent = text;
}

/** @param {boolean} busy whether the CSV is being fetched */
export function showReportDownloading(busy) {
  $("report-csv").disabled = busy;
  $("report-csv").textContent = busy ? "Downloading…" : "Download CSV";
}

/**
 * Show a report: its words, its chart and the same figures as a table, by location too.
 * @param {{period: string, headline: string, lines: string[], unit: "day" | "month",
 *   buckets: Array<{key: string, earned: number, redeemed: number, expired: number}>,
 *   byLocation: Array<{name: string, earned: number, redeemed: number, expired: number}>,
 *   locale?: string}} report
 */
export function showReport(report) {
  $("report-period-label").textContent = report.period;
  $("report-headline").textContent = report.headline;
  $("report-lines").replaceChildren(...report.lines.map((line) => {
    const li = document.createElement("li");
    li.textContent = line;
    return li;
  }));
  const per = report.unit === "day" ? "day" : "month";
  $("report-chart-title").textContent =
    `Points per ${per}: earned above the line; redeemed and expired below it`;
  $("report-table-caption").textContent = `Points per ${per}`;
  $("report-table-unit").textContent = report.unit === "day" ? "Day" : "Month";
  const figures = (label, row) => {
    const tr = document.createElement("tr");
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = label;
    tr.append(th, ...SERIES.map(({ key, label: name }) => cell(number.format(row[key] || 0), name, "num")));
    return tr;
  };
  $("report-table").tBodies[0].replaceChildren(
    ...report.buckets.map((b) => figures(bucketLabel(b.key, report.locale, true), b)),
  );
  $("report-locations").tBodies[0].replaceChildren(...report.byLocation.map((l) => figures(l.name, l)));
  $("report-locations").hidden = report.byLocation.length === 0;
  lastChart = report;
  drawChart(report);
}

function svg(name, attributes = {}) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  return element;
}

function svgText(text, attributes) {
  const element = svg("text", attributes);
  element.textContent = text;
  return element;
}

/** Draw the bars at the chart box's width now (so its text stays readable on a phone). */
function drawChart({ buckets, unit, locale }) {
  const box = $("report-chart");
  const width = Math.max(280, Math.round(box.clientWidth || 600));
  const layout = chartLayout(buckets, {
    width,
    height: CHART_HEIGHT,
    labelWidth: (value) => number.format(value).length * 7.5, // 12 px text
  });
  const chart = svg("svg", {
    viewBox: `0 0 ${width} ${CHART_HEIGHT}`,
    width: "100%",
    height: CHART_HEIGHT,
    role: "img",
    "aria-labelledby": "report-chart-title",
    "data-bars": layout.bars.length,
  });
  const { plot } = layout;
  for (const tick of layout.ticks) {
    chart.append(
      svg("line", { x1: plot.x, x2: plot.x + plot.width, y1: tick.y, y2: tick.y, class: tick.value ? "grid" : "axis" }),
      svgText(number.format(tick.value), { x: plot.x - 6, y: tick.y + 4, "text-anchor": "end", class: "tick" }),
    );
  }
  for (const bar of layout.bars) {
    const rect = svg("rect", { x: bar.x, y: bar.y, width: bar.width, height: Math.max(bar.height, 0.5), class: `bar ${bar.series}` });
    const title = svg("title");
    title.textContent = `${bucketLabel(buckets[bar.index].key, locale, true)}: ${number.format(bar.value)} ${bar.series}`;
    rect.append(title);
    chart.append(rect);
  }
  for (const index of labelledBuckets(buckets.length, Math.floor(plot.width / 40))) {
    const x = plot.x + (index + 0.5) * layout.slot;
    chart.append(svgText(bucketLabel(buckets[index].key, locale), {
      x, y: CHART_HEIGHT - 6, "text-anchor": "middle", class: "tick",
    }));
  }
  chart.dataset.unit = unit;
  box.replaceChildren(chart);
}

// ---- gestures ---------------------------------------------------------------------------

const SEARCH_DEBOUNCE_MS = 300;

/** @param {(form: {tenant: string, email: string, password: string}) => void} handler */
export function bindSignIn(handler) {
  $("sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    handler({
      tenant: $("tenant").value.trim().toLowerCase(),
      email: $("email").value.trim(),
      password: $("password").value,
    });
  });
}

/** @param {Record<string, () => void>} handlers by button id */
export function bindButtons(handlers) {
  for (const [id, handler] of Object.entries(handlers)) {
    $(id).addEventListener("click", () => handler());
  }
}

/** @param {(intervalMs: number) => void} handler */
export function bindInterval(handler) {
  $("interval").addEventListener("change", (event) => handler(Number(event.target.value)));
}

/** @param {(q: string) => void} handler called once typing pauses */
export function bindSearch(handler) {
  let timer = null;
  $("search").addEventListener("input", (event) => {
    clearTimeout(timer);
    timer = setTimeout(() => handler(event.target.value.trim()), SEARCH_DEBOUNCE_MS);
  });
}

/** @returns {string} the search box's text */
export function searchText() {
  return $("search").value.trim();
}

/**
 * The browser's signals that the page deserves a fresh look: back online, focus regained,
 * tab visible again (and hidden).
 * @param {{onOnline: () => void, onFocus: () => void, onVisibility: (hidden: boolean) => void}} h
 */
export function bindPageSignals({ onOnline, onFocus, onVisibility }) {
  window.addEventListener("online", onOnline);
  window.addEventListener("focus", onFocus);
  document.addEventListener("visibilitychange", () => onVisibility(document.hidden));
}

wireDialogs();
wireImport();
