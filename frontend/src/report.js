// The points report's rules: which period a choice means, the days or months the chart shows,
// how the bars scale, and what the figures say in a shop owner's words. Pure: no DOM, no
// network, no clock (the caller passes the shop's today); `node --test` runs it.

import { formatMoney } from "./money.js";

export const MAX_DAYS = 366; // the API's longest period
export const MAX_DAILY_BARS = 62; // longer periods are charted per month
export const SERIES = [
  { key: "earned", label: "Earned", direction: 1 },
  { key: "redeemed", label: "Redeemed", direction: -1 },
  { key: "expired", label: "Expired", direction: -1 },
];

// ---- calendar dates ("YYYY-MM-DD", the shop's days: plain civil dates, no time zone) ------

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The civil date as a UTC midnight in ms, or NaN when it is no real date. @param {string} date */
function dayNumber(date) {
  const match = DATE.exec(date || "");
  if (!match) return NaN;
  const [year, month, day] = match.slice(1).map(Number);
  const ms = Date.UTC(year, month - 1, day);
  const back = new Date(ms);
  return back.getUTCMonth() === month - 1 && back.getUTCDate() === day ? ms : NaN;
}

const DAY_MS = 86_400_000;
const iso = (ms) => new Date(ms).toISOString().slice(0, 10);

/** @param {string} date @param {number} days @returns {string} the date `days` later */
export function addDays(date, days) {
  return iso(dayNumber(date) + days * DAY_MS);
}

/** Days from `from` to `to`, both included (1 for the same day). */
export function daysIn(from, to) {
  return Math.round((dayNumber(to) - dayNumber(from)) / DAY_MS) + 1;
}

/** The first day of `date`'s month. */
export function monthStart(date) {
  return `${date.slice(0, 8)}01`;
}

/**
 * The period a choice of the picker means, `today` being the shop's today.
 * @param {"this-month" | "last-month" | "custom"} choice
 * @param {string} today @param {{from?: string, to?: string}} [custom]
 * @returns {{from: string, to: string} | {error: string}}
 */
export function periodFor(choice, today, custom = {}) {
  if (choice === "this-month") return { from: monthStart(today), to: today };
  if (choice === "last-month") {
    const to = addDays(monthStart(today), -1);
    return { from: monthStart(to), to };
  }
  const { from = "", to = "" } = custom;
  if (Number.isNaN(dayNumber(from)) || Number.isNaN(dayNumber(to))) {
    return { error: "Choose both dates of the period." };
  }
  if (from > to) return { error: "The period must start before it ends." };
  if (daysIn(from, to) > MAX_DAYS) return { error: `A period can cover at most ${MAX_DAYS} days.` };
  return { from, to };
}

// ---- the chart ------------------------------------------------------------------------------

/**
 * The chart's columns: one per day of the period (days the API left out count 0), or one per
 * month when the period is longer than MAX_DAILY_BARS days.
 * @param {Array<{date: string, earned?: number, redeemed?: number, expired?: number}>} byDay
 * @param {string} from @param {string} to
 * @returns {{unit: "day" | "month", buckets: Array<{key: string, earned: number,
 *   redeemed: number, expired: number}>}}
 */
export function chartBuckets(byDay, from, to) {
  const unit = daysIn(from, to) > MAX_DAILY_BARS ? "month" : "day";
  const keyOf = (date) => (unit === "day" ? date : date.slice(0, 7));
  const buckets = new Map();
  for (let date = from; date <= to; date = addDays(date, 1)) {
    const key = keyOf(date);
    if (!buckets.has(key)) buckets.set(key, { key, earned: 0, redeemed: 0, expired: 0 });
  }
  for (const day of byDay) {
    const bucket = buckets.get(keyOf(day.date));
    if (!bucket) continue;
    for (const { key } of SERIES) bucket[key] += day[key] || 0;
  }
  return { unit, buckets: [...buckets.values()] };
}

/**
 * The smallest 1, 2 or 5 × 10^k at or above `n` (1 for 0): the top of a readable axis.
 * @param {number} n
 */
export function niceCeiling(n) {
  if (n <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(n));
  for (const step of [1, 2, 5, 10]) if (step * power >= n) return step * power;
  return 10 * power;
}

/**
 * Where everything goes in a chart `width` × `height`: earned rises above the zero line,
 * redeemed and then expired hang below it (what leaves the balance), one column per bucket.
 * @param {Array<{key: string, earned: number, redeemed: number, expired: number}>} buckets
 * @param {{width: number, height: number, bottom?: number, top?: number,
 *   labelWidth?: (value: number) => number}} size `labelWidth`: how wide an axis label is
 *   (the plot starts right of the widest)
 * @returns {{zeroY: number, up: number, down: number, plot: {x: number, y: number,
 *   width: number, height: number}, bars: Array<{series: string, index: number, x: number,
 *   y: number, width: number, height: number, value: number}>, ticks: Array<{value: number,
 *   y: number}>}}
 */
export function chartLayout(
  buckets,
  { width, height, bottom = 22, top = 8, labelWidth = (value) => String(value).length * 7 },
) {
  const up = niceCeiling(Math.max(0, ...buckets.map((b) => b.earned)));
  const rawDown = Math.max(0, ...buckets.map((b) => b.redeemed + b.expired));
  const down = rawDown === 0 ? 0 : niceCeiling(rawDown);
  const left = 12 + Math.max(labelWidth(up), labelWidth(-down));
  const plot = { x: left, y: top, width: width - left - 4, height: height - top - bottom };
  const scale = plot.height / (up + down);
  const zeroY = plot.y + up * scale;
  const slot = plot.width / Math.max(1, buckets.length);
  const barWidth = Math.max(1, slot * 0.7);
  const bars = [];
  buckets.forEach((bucket, index) => {
    const x = plot.x + index * slot + (slot - barWidth) / 2;
    let below = zeroY;
    for (const { key, direction } of SERIES) {
      const value = bucket[key];
      if (!value) continue;
      const h = value * scale;
      if (direction > 0) bars.push({ series: key, index, x, y: zeroY - h, width: barWidth, height: h, value });
      else {
        bars.push({ series: key, index, x, y: below, width: barWidth, height: h, value });
        below += h;
      }
    }
  });
  // Axis labels closer than a line of text to the zero line's are left out (bars still scale).
  const apart = (y) => Math.abs(y - zeroY) >= 14;
  const ticks = [{ value: 0, y: zeroY }];
  if (apart(plot.y)) ticks.unshift({ value: up, y: plot.y });
  if (down && apart(plot.y + plot.height)) ticks.push({ value: -down, y: plot.y + plot.height });
  return { zeroY, up, down, plot, bars, ticks, slot };
}

/**
 * Which buckets get a label under the axis: at most `most`, evenly spaced, the first always.
 * @param {number} count @param {number} [most]
 * @returns {number[]} bucket indexes
 */
export function labelledBuckets(count, most = 8) {
  const every = Math.max(1, Math.ceil(count / most));
  return Array.from({ length: count }, (_, i) => i).filter((i) => i % every === 0);
}

/**
 * A bucket's label: the day of the month ("6") or the month ("Dec"); `long` for the table
 * ("6 Dec 2026", "Dec 2026").
 * @param {string} key "YYYY-MM-DD" or "YYYY-MM" @param {string} [locale] @param {boolean} [long]
 */
export function bucketLabel(key, locale, long = false) {
  const date = new Date(`${key.length === 7 ? `${key}-01` : key}T00:00:00Z`);
  const options = key.length === 7
    ? { month: "short", ...(long && { year: "numeric" }) }
    : long ? { day: "numeric", month: "short", year: "numeric" } : { day: "numeric" };
  return new Intl.DateTimeFormat(locale, { ...options, timeZone: "UTC" }).format(date);
}

// ---- the words ------------------------------------------------------------------------------

/**
 * "1 Dec – 6 Dec 2026", as `locale` writes a range of the shop's days.
 * @param {string} from @param {string} to @param {string} [locale]
 */
export function periodLabel(from, to, locale) {
  const format = new Intl.DateTimeFormat(locale, {
    day: "numeric",
    month: "short",
    year: "numeric",
    timeZone: "UTC",
  });
  return format.formatRange(new Date(`${from}T00:00:00Z`), new Date(`${to}T00:00:00Z`));
}

/**
 * What the report says, sentence by sentence, in the owner's words.
 * @param {object} report the API's points report
 * @param {{locale?: string, locationName?: string | null}} [options] `locationName` when the
 *   report is of one location
 * @returns {{headline: string, lines: string[]}}
 */
export function reportWording(report, { locale, locationName = null } = {}) {
  const n = new Intl.NumberFormat(locale);
  const points = (count) => `${n.format(count)} ${count === 1 ? "point" : "points"}`;
  const percent = (rate) =>
    new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 }).format(rate);
  const lines = [];
  let headline;
  if (locationName === null) {
    const worth = formatMoney(report.liability_minor, report.currency, locale);
    headline = `You owe your customers ${points(report.closing_balance)}, worth ${worth}.`;
    lines.push(
      `They had ${points(report.opening_balance)} at the start of the period ` +
        `(a point is worth ${formatMoney(report.point_value_minor, report.currency, locale)}).`,
    );
  } else {
    headline = `At ${locationName}: ${points(report.earned)} earned, ${n.format(report.redeemed)} redeemed.`;
    lines.push("Balances belong to customers, not places: choose All locations to see what you owe.");
  }
  lines.push(
    `In this period customers earned ${points(report.earned)}, redeemed ${n.format(report.redeemed)} ` +
      `and ${n.format(report.expired)} expired.`,
  );
  const more = [];
  if (report.earn_reversed) more.push(`returns took back ${n.format(report.earn_reversed)}`);
  if (report.redemptions_reversed) more.push(`refunds gave back ${n.format(report.redemptions_reversed)}`);
  if (report.adjusted_up) more.push(`adjustments added ${n.format(report.adjusted_up)}`);
  if (report.adjusted_down) more.push(`adjustments removed ${n.format(report.adjusted_down)}`);
  if (report.imported) more.push(`${n.format(report.imported)} were imported`);
  if (report.forfeited) more.push(`${n.format(report.forfeited)} were forfeited`);
  if (more.length) lines.push(`Also ${more.join(", ")}.`);
  if (report.redemption_rate === null || report.redemption_rate === undefined) {
    lines.push("No points were earned, so there is no redemption or expiry rate yet.");
  } else {
    lines.push(
      `${percent(report.redemption_rate)} of the points earned were redeemed` +
        (report.breakage_rate === null ? "." : ` and ${percent(report.breakage_rate)} expired.`),
    );
  }
  return { headline, lines };
}
