// What the forms read and say: sign-in and dialog fields checked, the confirmations asked and
// the errors shown, in the shop owner's words (pure: no DOM, no network, `node --test` runs it).

import { ApiError, OfflineError } from "./api.js";
import { formatMoney, isCurrencyCode, minorDigits, minorToDecimal, parseMoney } from "./money.js";
import { countOf } from "./state.js";

export const SESSION_EXPIRED = "Your session has expired. Please sign in again.";
export const SIGNED_OUT = "You have signed out.";

const MAX_POINTS = 1_000_000;

const isUnauthorized = (error) => error instanceof ApiError && error.status === 401;

// ---- sign-in and the session -------------------------------------------------------------

/**
 * Why the sign-in form cannot be sent yet ("" when it can).
 * @param {{tenant: string, email: string, password: string}} fields
 */
export function signInProblem({ tenant, email, password }) {
  return !tenant || !email || !password ? "Fill in tenant, email and password." : "";
}

/** What the sign-in screen says when signing in failed. @param {Error} error */
export function signInFailure(error) {
  if (isUnauthorized(error)) return "Wrong tenant, email or password.";
  if (error instanceof OfflineError) return "Cannot reach the server. Check your connection and try again.";
  return error.message;
}

/** Whether the API's answer means the session is no longer valid. @param {Error} error */
export function sessionLost(error) {
  return isUnauthorized(error);
}

/** What the sign-in screen says after the API refused the session. @param {ApiError} error */
export function sessionLostMessage(error) {
  return error.problem?.expired ? SESSION_EXPIRED : "Please sign in again.";
}

/**
 * What an action's failure tells the user (a lost session also signs out: the caller does).
 * @param {Error} error
 */
export function actionFailure(error) {
  if (isUnauthorized(error)) return "Your session ended.";
  if (error instanceof OfflineError) return "Cannot reach the server; nothing was sent. Try again.";
  return error.problem?.detail || error.message;
}

// ---- dialogs ------------------------------------------------------------------------------

/**
 * The add-customer dialog's customer, or why not.
 * @param {{phone: string, name: string}} fields
 * @returns {{customer: {phone: string, name: string | null}} | {error: string}}
 */
export function readNewCustomer({ phone, name }) {
  if (!phone.trim()) return { error: "Enter the customer's phone number." };
  return { customer: { phone: phone.trim(), name: name.trim() || null } };
}

/** The edit-name dialog's name (null removes it). @param {{name: string}} fields */
export function readName({ name }) {
  return name.trim() || null;
}

/**
 * Read "+50", "-10", "−10" or "25" as a non-zero whole number of points.
 * @param {string} text @returns {{points: number} | {error: string}}
 */
export function parseAdjustment(text) {
  const cleaned = String(text).trim().replace(/^\u2212/, "-").replace(/[\s,]/g, "");
  if (!/^[+-]?\d+$/.test(cleaned)) {
    return { error: "Enter a whole number of points, e.g. 50 to add or -10 to remove." };
  }
  const points = Number(cleaned);
  if (points === 0) return { error: "Enter a number other than zero." };
  if (Math.abs(points) > MAX_POINTS) return { error: "At most 1,000,000 points at a time." };
  return { points };
}

/**
 * The adjustment dialog's points and reason, or why not (the points are checked first).
 * @param {{points: string, reason: string}} fields
 * @returns {{points: number, reason: string} | {error: string}}
 */
export function readAdjustment(fields) {
  const parsed = parseAdjustment(fields.points);
  if (parsed.error) return parsed;
  const reason = fields.reason.trim();
  if (!reason) return { error: "Give a reason for the adjustment." };
  return { points: parsed.points, reason };
}

/**
 * Read the points of a refund: 1 up to what is left of the redemption.
 * @param {string} text @param {number} left @returns {{points: number} | {error: string}}
 */
export function parseRefund(text, left) {
  const cleaned = String(text).trim().replace(/[\s,]/g, "");
  if (!/^\d+$/.test(cleaned) || Number(cleaned) < 1) {
    return { error: "Enter a whole number of points, at least 1." };
  }
  const points = Number(cleaned);
  if (points > left) return { error: `Only ${countOf(left, "point")} can still be refunded.` };
  return { points };
}

/**
 * The refund dialog's points and reason (optional: null), or why not.
 * @param {{points: string, reason: string}} fields @param {number} left
 * @returns {{points: number, reason: string | null} | {error: string}}
 */
export function readRefund(fields, left) {
  const parsed = parseRefund(fields.points, left);
  if (parsed.error) return parsed;
  return { points: parsed.points, reason: fields.reason.trim() || null };
}

/**
 * What the adjustment dialog says, and asks before points move.
 * @param {string} who @param {number} balance @param {number} points signed @param {string} reason
 */
export function adjustmentWording(who, balance, points, reason) {
  const amount = countOf(Math.abs(points), "point");
  return {
    context: `${who} has ${countOf(balance, "point")}.`,
    question:
      `${points > 0 ? `Add ${amount} to` : `Remove ${amount} from`} ${who}? ` +
      `The balance goes from ${balance} to ${balance + points}. Reason: ${reason}`,
    confirm: `${points > 0 ? "Add" : "Remove"} ${amount}`,
  };
}

/**
 * What the refund dialog says about a redemption, and asks before points move.
 * @param {string} who @param {{transaction_reference: string, points_amount: number}} redemption
 * @param {number} left still refundable @param {number} points to give back
 */
export function refundWording(who, redemption, left, points) {
  const reference = redemption.transaction_reference;
  return {
    context:
      `Redemption ${reference} took ${countOf(redemption.points_amount, "point")}; ` +
      `${countOf(left, "point")} can still be given back.`,
    question:
      `Give ${countOf(points, "point")} back to ${who} for ${reference}` +
      `${points === left ? " (all that is left)" : ""}?`,
    confirm: `Refund ${countOf(points, "point")}`,
  };
}

// ---- the programme ------------------------------------------------------------------------

/** The programme form's fields, by the API field each one sets (422 `errors` are keyed so). */
export const PROGRAMME_FIELDS = {
  currency: "currency",
  timezone: "timezone",
  spend_rule: "spend_points",
  "spend_rule.points": "spend_points",
  "spend_rule.per_amount_minor": "spend_per",
  "visit_rule.points": "visit_points",
  "visit_rule.min_spend_minor": "visit_min",
  expiry_months: "expiry_months",
  point_value_minor: "point_value",
  "purchase.total_minor": "preview_total",
};

const WHOLE = /^\d+$/;

/**
 * The programme as the form shows it: amounts as the owner types them ("1.00").
 * @param {object} programme the API's programme
 * @returns {Record<string, string | boolean>}
 */
export function programmeFields(programme) {
  const { currency } = programme;
  const digits = minorDigits(currency);
  const money = (minor) => minorToDecimal(minor, digits);
  const spend = programme.spend_rule;
  return {
    currency,
    timezone: programme.timezone,
    spend_on: spend !== null,
    spend_points: spend ? String(spend.points) : "1",
    spend_per: money(spend ? spend.per_amount_minor : 10 ** digits),
    visit_points: String(programme.visit_rule.points),
    visit_min: money(programme.visit_rule.min_spend_minor),
    expiry_months: programme.expiry_months === null ? "" : String(programme.expiry_months),
    point_value: money(programme.point_value_minor),
  };
}

/**
 * The programme form's draft as the API takes it (PUT and the preview's calculate), or what is
 * wrong, field by field (form field name -> message).
 * @param {Record<string, string | boolean>} fields the form's values; `spend_on` a boolean
 * @returns {{programme: object} | {errors: Record<string, string>}}
 */
export function readProgramme(fields) {
  const errors = {};
  const currency = String(fields.currency || "").trim().toUpperCase();
  const timezone = String(fields.timezone || "").trim();
  if (!isCurrencyCode(currency)) errors.currency = "Enter a three-letter currency code, e.g. GBP.";
  if (!timezone) errors.timezone = "Enter the shop's time zone, e.g. Europe/London.";
  const money = (name, minimum = 0) => {
    if (errors.currency) return null;
    const read = parseMoney(fields[name], currency);
    if (read.error) errors[name] = read.error;
    else if (read.minor < minimum) errors[name] = "Enter an amount above zero.";
    return read.minor ?? null;
  };
  const whole = (name, label) => {
    const text = String(fields[name] ?? "").trim();
    if (!WHOLE.test(text)) errors[name] = `Enter ${label} as a whole number, 0 or more.`;
    else if (Number(text) > 1_000_000) errors[name] = "At most 1,000,000 points.";
    return Number(text);
  };
  let spendRule = null;
  if (fields.spend_on) {
    const points = whole("spend_points", "the points");
    spendRule = { points, per_amount_minor: money("spend_per", 1) };
  }
  const visitRule = { points: whole("visit_points", "the points"), min_spend_minor: money("visit_min") };
  const months = String(fields.expiry_months ?? "").trim();
  let expiryMonths = null;
  if (months) {
    expiryMonths = Number(months);
    if (!WHOLE.test(months) || expiryMonths < 1 || expiryMonths > 120) {
      errors.expiry_months = "Enter 1 to 120 months, or leave it empty: points never expire.";
    }
  }
  const pointValue = money("point_value");
  if (Object.keys(errors).length) return { errors };
  return {
    programme: {
      currency,
      timezone,
      spend_rule: spendRule,
      visit_rule: visitRule,
      expiry_months: expiryMonths,
      point_value_minor: pointValue,
    },
  };
}

/**
 * The API's 422 `errors` (keyed by field path, each a list of messages) by form field; what
 * belongs to no field is keyed "".
 * @param {Record<string, string[] | string>} [apiErrors]
 */
export function programmeErrors(apiErrors = {}) {
  const byField = {};
  for (const [path, messages] of Object.entries(apiErrors)) {
    const field = PROGRAMME_FIELDS[path.replace(/^programme\./, "")] ?? "";
    const text = Array.isArray(messages) ? messages.join(" ") : String(messages);
    byField[field] = byField[field] ? `${byField[field]} ${text}` : text;
  }
  return byField;
}

/**
 * The live preview's sentence: "A £23.50 bill earns 23 points (23 for spending, 0 for the
 * visit)."
 * @param {{points: number, spend_points: number, visit_points: number}} calculation
 * @param {number} totalMinor @param {string} currency @param {string} [locale]
 */
export function previewWording(calculation, totalMinor, currency, locale) {
  const { points, spend_points: spend, visit_points: visit } = calculation;
  const bill = formatMoney(totalMinor, currency, locale);
  const how = spend && visit ? ` (${countOf(spend, "point")} for spending, ${visit} for the visit)` : "";
  return `A ${bill} bill earns ${countOf(points, "point")}${how}.`;
}

/** What the preview says when the server could not compute it. @param {Error} error */
export function previewFailure(error) {
  if (error.problem?.code === "no_earn_rule") return "With these settings a bill earns no points.";
  if (error.problem?.code === "validation_error") return "Correct the fields marked above to see a preview.";
  return actionFailure(error);
}

/**
 * Which version of the programme is in force: "Version 4, set by owner@cafe.example on 6 Dec
 * 2026", or that it was never set.
 * @param {{version: number, set_by?: string | null, updated_at?: string | null}} programme
 * @param {(iso: string) => string} day formats a date as the shop reads it
 */
export function programmeVersionWording(programme, day) {
  if (!programme.version) return "Not set yet: customers earn what the till sends.";
  const who = programme.set_by ? `, set by ${programme.set_by}` : "";
  const when = programme.updated_at ? ` on ${day(programme.updated_at)}` : "";
  return `Version ${programme.version}${who}${when}`;
}

/**
 * What the page says once the programme is saved.
 * @param {{version: number, set_by: string | null}} saved
 */
export function savedWording(saved) {
  return `Saved as version ${saved.version}${saved.set_by ? ` by ${saved.set_by}` : ""}.`;
}

// ---- returns ------------------------------------------------------------------------------

/**
 * The return dialog's money and reason: `returned_minor` null = the whole purchase (what is
 * left of it); an earn without a bill (`moneyLeft` null) is only ever returned whole.
 * @param {{amount?: string, reason: string}} fields
 * @param {{currency: string | null, moneyLeft: number | null}} earn
 * @returns {{returned_minor: number | null, reason: string | null} | {error: string}}
 */
export function readReturn(fields, { currency, moneyLeft }) {
  const reason = String(fields.reason || "").trim() || null;
  const text = String(fields.amount || "").trim();
  if (!text || moneyLeft === null) return { returned_minor: null, reason };
  const read = parseMoney(text, currency);
  if (read.error) return read;
  if (read.minor < 1) return { error: "Enter the amount returned, above zero." };
  if (read.minor > moneyLeft) {
    return { error: `Only ${formatMoney(moneyLeft, currency)} of this purchase is left to return.` };
  }
  return { returned_minor: read.minor === moneyLeft ? null : read.minor, reason };
}

/**
 * What the return dialog says about an earn, and asks before points are taken back.
 * @param {string} who
 * @param {{transaction_reference: string, points_amount: number}} earn
 * @param {{currency: string | null, moneyLeft: number | null, pointsLeft: number}} left
 * @param {number | null} returnedMinor null: all that is left
 * @param {string} [locale]
 */
export function returnWording(who, earn, left, returnedMinor, locale) {
  const reference = earn.transaction_reference;
  const { currency, moneyLeft, pointsLeft } = left;
  const money = (minor) => formatMoney(minor, currency, locale);
  const context = moneyLeft === null
    ? `${reference} earned ${countOf(earn.points_amount, "point")} with no bill: it can only be ` +
      `returned whole (${countOf(pointsLeft, "point")} left).`
    : `${reference} earned ${countOf(earn.points_amount, "point")}; ${money(moneyLeft)} of it ` +
      `can still be returned (leave the amount empty for all of it).`;
  const what = returnedMinor === null
    ? moneyLeft === null ? "the whole purchase" : `all that is left (${money(moneyLeft)})`
    : money(returnedMinor);
  return {
    context,
    question: `Return ${what} of ${reference} for ${who}? The points it earned are taken back.`,
    confirm: "Return purchase",
  };
}

/**
 * What the panel says after a return: "Took back 11 points." and what could not be.
 * @param {{points_reversed: number, points_unrecovered: number}} answer
 */
export function returnedWording(answer) {
  const took = `Took back ${countOf(answer.points_reversed, "point")}.`;
  if (!answer.points_unrecovered) return took;
  return `${took} ${countOf(answer.points_unrecovered, "point")} could not be taken back: already spent.`;
}

// ---- rewards ------------------------------------------------------------------------------

export const MAX_REWARDS = 50;
const REWARD_ID = /^[a-z0-9][a-z0-9_-]{0,31}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * The rewards as the editor shows them: amounts as the owner types them ("5.00").
 * @param {Array<{id: string, name: string, points: number, amount_minor: number}>} rewards
 * @param {string} currency the programme's
 * @returns {Array<{id: string, name: string, points: string, amount: string}>}
 */
export function rewardRows(rewards, currency) {
  const digits = minorDigits(currency);
  return rewards.map((reward) => ({
    id: reward.id,
    name: reward.name,
    points: String(reward.points),
    amount: minorToDecimal(reward.amount_minor, digits),
  }));
}

/**
 * A reward's code from its name when the owner left it empty: "£5 off" -> "5-off", unique
 * among `taken` ("5-off-2"); "reward" when the name has no letters or digits.
 * @param {string} name @param {Set<string>} taken
 */
export function rewardCode(name, taken) {
  const base = String(name).normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "").slice(0, 24).replace(/-+$/, "") || "reward";
  let code = base;
  for (let n = 2; taken.has(code); n += 1) code = `${base}-${n}`;
  return code;
}

/**
 * The editor's rows as PUT /api/admin/rewards takes them, or what is wrong, keyed as the API
 * keys its 422 (`rewards.2.points`; "" for the list as a whole). An empty code is made from
 * the name.
 * @param {Array<{id: string, name: string, points: string, amount: string}>} rows
 * @param {string} currency the programme's
 * @returns {{rewards: object[]} | {errors: Record<string, string>}}
 */
export function readRewards(rows, currency) {
  const errors = {};
  if (rows.length > MAX_REWARDS) errors[""] = `At most ${MAX_REWARDS} rewards.`;
  const typed = new Set(rows.map((row) => String(row.id || "").trim()).filter(Boolean));
  const seen = new Set();
  const rewards = rows.map((row, i) => {
    const at = (field, message) => {
      errors[`rewards.${i}.${field}`] = message;
    };
    const name = String(row.name || "").trim();
    if (!name) at("name", "Enter the reward's name, e.g. £5 off.");
    else if (name.length > 100) at("name", "At most 100 characters.");
    else if (CONTROL.test(name)) at("name", "Use letters, digits and punctuation only.");
    let id = String(row.id || "").trim().toLowerCase();
    if (!id) {
      id = rewardCode(name, new Set([...typed, ...seen]));
    } else if (!REWARD_ID.test(id)) {
      at("id", "Use up to 32 lower-case letters, digits, - or _ (e.g. off5).");
    } else if (seen.has(id)) {
      at("id", "Another reward has this code.");
    }
    seen.add(id);
    const pointsText = String(row.points || "").trim().replace(/[\s,]/g, "");
    const points = Number(pointsText);
    if (!WHOLE.test(pointsText) || points < 1) at("points", "Enter the points it takes, at least 1.");
    else if (points > MAX_POINTS) at("points", "At most 1,000,000 points.");
    const money = parseMoney(row.amount ?? "", currency);
    if (money.error) at("amount_minor", money.error);
    else if (money.minor < 1) at("amount_minor", "Enter the money off, above zero.");
    return { id, name, points, amount_minor: money.minor ?? null };
  });
  return Object.keys(errors).length ? { errors } : { rewards };
}

/**
 * The API's 422 `errors` for the rewards, keyed as readRewards keys them ("" for what belongs
 * to no cell).
 * @param {Record<string, string[] | string>} [apiErrors]
 */
export function rewardErrors(apiErrors = {}) {
  const byCell = {};
  for (const [path, messages] of Object.entries(apiErrors)) {
    const match = /^rewards\.(\d+)\.(id|name|points|amount_minor)$/.exec(path);
    const key = match ? `rewards.${match[1]}.${match[2]}` : "";
    const text = Array.isArray(messages) ? messages.join(" ") : String(messages);
    byCell[key] = byCell[key] ? `${byCell[key]} ${text}` : text;
  }
  return byCell;
}

/**
 * What the editor says once the rewards are saved.
 * @param {object[]} saved the list as stored
 */
export function rewardsSavedWording(saved) {
  return saved.length ? `Saved ${countOf(saved.length, "reward")}.` : "Saved: no rewards.";
}

// ---- erasure ------------------------------------------------------------------------------

export const ERASE_WORD = "ERASE";

/**
 * Whether the typed confirmation names this customer: the word ERASE, or their phone as it is
 * written anywhere ("+44 7306 506797", "07306 506797", "447306506797"): the typed digits, less
 * a leading 0, end the E.164 number and leave at most a country code (3 digits) before them.
 * @param {string} typed @param {string} phone E.164
 */
export function erasureConfirmed(typed, phone) {
  const text = String(typed || "").trim();
  if (text.toUpperCase() === ERASE_WORD) return true;
  if (/[^\d\s+().-]/.test(text)) return false;
  const digits = text.replace(/\D/g, "");
  const full = String(phone || "").replace(/\D/g, "");
  if (!digits || !full) return false;
  if (digits === full) return true;
  const national = digits.replace(/^0/, "");
  return national.length >= 6 && full.endsWith(national) && full.length - national.length <= 3;
}

/**
 * The erasure dialog's reason, or why it cannot be sent.
 * @param {{reason: string, confirmation: string}} fields @param {string} phone E.164
 * @returns {{reason: string} | {error: string}}
 */
export function readErasure(fields, phone) {
  const reason = String(fields.reason || "").trim();
  if (!reason) return { error: "Give a reason, e.g. the customer asked on 6 Dec 2026." };
  if (!erasureConfirmed(fields.confirmation, phone)) {
    return { error: `Type the customer's phone number or the word ${ERASE_WORD} to confirm.` };
  }
  return { reason };
}

/**
 * What the erasure dialog says before anything is done.
 * @param {string} who @param {number} balance
 */
export function erasureWording(who, balance) {
  const forfeit = balance > 0
    ? `Their balance of ${countOf(balance, "point")} is forfeited: it is gone, not given back.`
    : "They have no points to lose.";
  return (
    `This removes ${who}'s name and phone number from everything we keep, for good: ` +
    `it cannot be undone. ${forfeit} Their past points stay in your figures under a number ` +
    "instead of a name, and the phone can join again later as a new customer."
  );
}

/** What the panel says after an erasure. @param {{points_forfeited: number}} erasure */
export function erasedWording(erasure) {
  const lost = erasure.points_forfeited
    ? ` ${countOf(erasure.points_forfeited, "point")} forfeited.`
    : "";
  return `Erased: the name and phone are gone.${lost}`;
}

// ---- import -------------------------------------------------------------------------------

export const IMPORT_MAX_BYTES = 512 * 1024;

/**
 * Why a picked file cannot be sent ("" when it can).
 * @param {{name: string, size: number} | null} file
 */
export function importFileProblem(file) {
  if (!file) return "Choose a CSV file first.";
  if (file.size === 0) return "This file is empty.";
  if (file.size > IMPORT_MAX_BYTES) {
    return "This file is over 512 KB (about 5,000 members). Import it with the command " +
      "`loyalty customers import`, or split it.";
  }
  return "";
}

/**
 * What the preview (a dry run) says: what would happen, the refused lines, and the confirm
 * button's words (null: nothing to import).
 * @param {{rows: number, to_import: number, already_enrolled: number, already_imported: number,
 *   points_imported: number, refused: string[], refused_count: number}} report
 * @returns {{lines: string[], refused: string[], more: string, confirm: string | null,
 *   skipInvalid: boolean}}
 */
export function importPreviewWording(report) {
  const lines = [`${countOf(report.rows, "line")} of members read.`];
  if (report.to_import) {
    lines.push(`${countOf(report.to_import, "new customer")} to import` +
      (report.points_imported ? `, with ${countOf(report.points_imported, "point")} between them.` : "."));
  } else {
    lines.push("No new customers to import.");
  }
  if (report.already_enrolled) {
    lines.push(`${countOf(report.already_enrolled, "phone")} already enrolled: skipped, left as they are.`);
  }
  if (report.already_imported) {
    lines.push(`${countOf(report.already_imported, "line")} imported from this file before: not imported twice.`);
  }
  const refusedCount = report.refused_count ?? report.refused.length;
  if (refusedCount) {
    lines.push(`${countOf(refusedCount, "line")} refused (below): fix the file and check it again, ` +
      "or import the rest without them.");
  }
  const more = refusedCount > report.refused.length
    ? `…and ${countOf(refusedCount - report.refused.length, "more refused line")}.`
    : "";
  let confirm = null;
  if (report.to_import) {
    confirm = `Import ${countOf(report.to_import, "customer")}`;
    if (refusedCount) confirm += `, skip ${countOf(refusedCount, "refused line")}`;
  }
  return { lines, refused: report.refused, more, confirm, skipInvalid: refusedCount > 0 };
}

/**
 * The progress line while the import runs: "Importing… 120 of 300 customers".
 * @param {number} done @param {number} total
 */
export function importProgressWording(done, total) {
  return `Importing… ${done.toLocaleString("en")} of ${countOf(total, "customer")}`;
}

/**
 * What the Customers screen says once the import is done.
 * @param {number} imported customers imported by this import (all its rounds)
 * @param {{points_imported: number, already_enrolled: number, refused_count: number}} report
 *   the last round's report
 */
export function importDoneWording(imported, report) {
  let text = `Imported ${countOf(imported, "customer")}.`;
  if (report.already_enrolled) text += ` ${countOf(report.already_enrolled, "phone")} already enrolled, skipped.`;
  if (report.refused_count) text += ` ${countOf(report.refused_count, "refused line")} left out.`;
  return text;
}
