// Money in minor units and the shop's calendar (money.js): `node --test frontend/tests/`.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  formatMoney,
  formatShopDate,
  isCurrencyCode,
  minorDigits,
  minorToDecimal,
  parseMoney,
  shopToday,
} from "../src/money.js";

test("minor digits come from Intl, not a table of our own", () => {
  assert.deepEqual(["GBP", "JPY", "KWD", "EUR"].map(minorDigits), [2, 0, 3, 2]);
  assert.equal(isCurrencyCode("GBP"), true);
  assert.equal(isCurrencyCode("gbp"), false);
  assert.equal(isCurrencyCode("£"), false);
});

test("an owner's amount is read into minor units without floats", () => {
  assert.deepEqual(parseMoney("1.00", "GBP"), { minor: 100 });
  assert.deepEqual(parseMoney("1", "GBP"), { minor: 100 });
  assert.deepEqual(parseMoney("23.5", "GBP"), { minor: 2350 });
  assert.deepEqual(parseMoney("£1,250.05", "GBP"), { minor: 125005 });
  assert.deepEqual(parseMoney(" 0.01 ", "GBP"), { minor: 1 });
  assert.deepEqual(parseMoney(".5", "GBP"), { minor: 50 });
  // 0.29 * 100 is 28.999999999999996 in floating point: string arithmetic gives 29.
  assert.deepEqual(parseMoney("0.29", "GBP"), { minor: 29 });
  assert.deepEqual(parseMoney("1.15", "GBP"), { minor: 115 });
  assert.deepEqual(parseMoney("100000000.00", "GBP"), { minor: 10_000_000_000 });
  assert.deepEqual(parseMoney("500", "JPY"), { minor: 500 });
  assert.deepEqual(parseMoney("1.250", "KWD"), { minor: 1250 });
});

test("an amount that is not one is refused with the reason", () => {
  assert.match(parseMoney("1.005", "GBP").error, /At most 2 digits/);
  assert.match(parseMoney("5.5", "JPY").error, /no smaller unit/);
  for (const text of ["", "abc", "-1", "1.2.3", "1e3", "."]) {
    assert.ok(parseMoney(text, "GBP").error, JSON.stringify(text));
  }
});

test("minor units print as the currency's decimal and as money", () => {
  assert.equal(minorToDecimal(2350, 2), "23.50");
  assert.equal(minorToDecimal(5, 2), "0.05");
  assert.equal(minorToDecimal(-5, 2), "-0.05");
  assert.equal(minorToDecimal(500, 0), "500");
  assert.equal(minorToDecimal(1, 3), "0.001");
  assert.equal(formatMoney(2350, "GBP", "en-GB"), "£23.50");
  assert.equal(formatMoney(48210, "GBP", "en-GB"), "£482.10");
  assert.equal(formatMoney(500, "JPY", "en-GB"), "JP¥500");
  assert.equal(formatMoney(1, "GBP", "en-GB"), "£0.01");
  assert.equal(formatMoney(1_000_000_000_001, "GBP", "en-GB"), "£10,000,000,000.01");
});

test("dates are the shop's: the day an instant falls on in its time zone", () => {
  assert.equal(formatShopDate("2027-12-31T23:59:59+00:00", "Europe/London", "en-GB"), "31 Dec 2027");
  // 23:30 UTC in summer is already the next day in London.
  assert.equal(formatShopDate("2026-07-31T23:30:00Z", "Europe/London", "en-GB"), "1 Aug 2026");
  assert.equal(formatShopDate("2026-07-31T23:30:00Z", "UTC", "en-GB"), "31 Jul 2026");
  assert.equal(shopToday(Date.parse("2026-07-31T23:30:00Z"), "Europe/London"), "2026-08-01");
  assert.equal(shopToday(Date.parse("2026-12-06T06:00:00Z"), "America/New_York"), "2026-12-06");
  assert.equal(shopToday(Date.parse("2026-12-06T03:00:00Z"), "America/New_York"), "2026-12-05");
});
