// What the forms read and say: sign-in and dialog fields checked, the confirmations asked and
// the errors shown, in the shop owner's words (pure: no DOM, no network, `node --test` runs it).

import { ApiError, OfflineError } from "./api.js";
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
