// Money and the shop's calendar, exactly: amounts are integers in minor units with an ISO 4217
// currency, formatted by Intl.NumberFormat (never a table of our own) and read from the owner's
// "1.00" by string arithmetic (never a float); days are the shop's (an IANA time zone). Pure:
// no DOM, no network, no clock (`node --test` runs it).

/**
 * How many minor digits `currency` has (GBP 2, JPY 0, KWD 3), as Intl knows it.
 * @param {string} currency ISO 4217 code
 */
export function minorDigits(currency) {
  return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions()
    .maximumFractionDigits;
}

/**
 * Whether Intl takes `currency` as a currency code (three letters; the server checks it is a
 * real one).
 * @param {string} currency
 */
export function isCurrencyCode(currency) {
  if (!/^[A-Z]{3}$/.test(currency)) return false;
  try {
    minorDigits(currency);
    return true;
  } catch {
    return false;
  }
}

/**
 * An integer of minor units as a plain decimal string: (2350, 2) -> "23.50", (-5, 2) -> "-0.05",
 * (500, 0) -> "500".
 * @param {number} minor @param {number} digits
 */
export function minorToDecimal(minor, digits) {
  const sign = minor < 0 ? "-" : "";
  const units = String(Math.abs(minor)).padStart(digits + 1, "0");
  if (digits === 0) return sign + units;
  return `${sign}${units.slice(0, -digits)}.${units.slice(-digits)}`;
}

/**
 * "£23.50" for (2350, "GBP"). The decimal goes to Intl as a string, so no float is involved.
 * @param {number} minor @param {string} currency @param {string} [locale]
 */
export function formatMoney(minor, currency, locale) {
  const format = new Intl.NumberFormat(locale, { style: "currency", currency });
  return format.format(minorToDecimal(minor, format.resolvedOptions().maximumFractionDigits));
}

/**
 * Read an amount as the owner types it ("1", "1.00", "£1,250.5", "0.01") into minor units of
 * `currency`; refuses more decimals than the currency has, negatives and anything else.
 * @param {string} text @param {string} currency
 * @returns {{minor: number} | {error: string}}
 */
export function parseMoney(text, currency) {
  const digits = minorDigits(currency);
  // Spaces, thousands commas and the currency's own symbol or code (whatever it is) go.
  const cleaned = String(text).trim().replace(/[\s,]/g, "").replace(/^[^\d.]+/, "");
  const example = digits === 0 ? "e.g. 500" : `e.g. 1.${"0".repeat(digits)}`;
  if (/[-\u2212]/.test(text)) return { error: `Enter an amount of 0 or more, ${example}.` };
  const match = /^(\d*)(?:\.(\d*))?$/.exec(cleaned);
  if (!match || (!match[1] && !match[2])) return { error: `Enter an amount, ${example}.` };
  const fraction = match[2] || "";
  if (fraction.length > digits) {
    return {
      error: digits === 0
        ? `${currency} has no smaller unit: enter whole amounts, ${example}.`
        : `At most ${digits} digits after the point, ${example}.`,
    };
  }
  const minorText = `${match[1] || "0"}${fraction.padEnd(digits, "0")}`.replace(/^0+(?=\d)/, "");
  if (minorText.length > 15) return { error: "That amount is too large." };
  return { minor: Number(minorText) };
}

// ---- the shop's calendar ----------------------------------------------------------------

/**
 * "31 Dec 2027" (as `locale` writes it): the day an instant falls on in the shop's time zone.
 * @param {string} iso an instant from the API @param {string} [timeZone] IANA name
 * @param {string} [locale]
 */
export function formatShopDate(iso, timeZone, locale) {
  return new Intl.DateTimeFormat(locale, {
    day: "numeric",
    month: "short",
    year: "numeric",
    timeZone: timeZone || undefined,
  }).format(new Date(iso));
}

/**
 * The shop's date ("YYYY-MM-DD") at instant `now`.
 * @param {number | Date} now @param {string} [timeZone]
 */
export function shopToday(now, timeZone) {
  const parts = new Intl.DateTimeFormat("en-CA", {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    timeZone: timeZone || undefined,
  }).formatToParts(new Date(now));
  const part = (type) => parts.find((p) => p.type === type).value;
  return `${part("year")}-${part("month")}-${part("day")}`;
}

/**
 * How `locale` writes the currency's sign: "£" for GBP, "€" for EUR, "US$" or "$" for USD.
 * @param {string} currency ISO 4217 code @param {string} [locale]
 */
export function currencySymbol(currency, locale) {
  const parts = new Intl.NumberFormat(locale, { style: "currency", currency }).formatToParts(0);
  return parts.find((part) => part.type === "currency")?.value ?? currency;
}
