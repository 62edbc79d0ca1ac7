// The points report's rules (report.js): periods, the chart's buckets and scale, the words.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  addDays,
  bucketLabel,
  chartBuckets,
  chartLayout,
  daysIn,
  labelledBuckets,
  niceCeiling,
  periodFor,
  periodLabel,
  reportWording,
} from "../src/report.js";

test("this month, last month and a custom period, from the shop's today", () => {
  assert.deepEqual(periodFor("this-month", "2026-12-06"), { from: "2026-12-01", to: "2026-12-06" });
  assert.deepEqual(periodFor("last-month", "2026-12-06"), { from: "2026-11-01", to: "2026-11-30" });
  assert.deepEqual(periodFor("last-month", "2026-01-15"), { from: "2025-12-01", to: "2025-12-31" });
  assert.deepEqual(periodFor("last-month", "2028-03-01"), { from: "2028-02-01", to: "2028-02-29" });
  assert.deepEqual(periodFor("custom", "2026-12-06", { from: "2026-01-01", to: "2026-12-31" }), {
    from: "2026-01-01",
    to: "2026-12-31",
  });
  assert.match(periodFor("custom", "x", { from: "2026-02-01", to: "2026-01-01" }).error, /start before/);
  assert.match(periodFor("custom", "x", { from: "2025-01-01", to: "2026-01-02" }).error, /366 days/);
  assert.ok(periodFor("custom", "x", { from: "2028-01-01", to: "2028-12-31" }).from); // 366 days
  assert.match(periodFor("custom", "x", { from: "2026-02-30", to: "2026-03-01" }).error, /both dates/);
  assert.match(periodFor("custom", "x", {}).error, /both dates/);
});

test("calendar arithmetic on the shop's days", () => {
  assert.equal(addDays("2026-03-28", 5), "2026-04-02");
  assert.equal(addDays("2026-03-01", -1), "2026-02-28");
  assert.equal(daysIn("2026-12-01", "2026-12-31"), 31);
  assert.equal(daysIn("2026-03-29", "2026-03-29"), 1); // the day the clocks change is one day
});

test("a month is charted per day, days the API left out count 0", () => {
  const { unit, buckets } = chartBuckets(
    [{ date: "2026-12-02", earned: 10, redeemed: 3, expired: 1, adjusted_up: 4 }],
    "2026-12-01",
    "2026-12-03",
  );
  assert.equal(unit, "day");
  assert.deepEqual(buckets, [
    { key: "2026-12-01", earned: 0, redeemed: 0, expired: 0 },
    { key: "2026-12-02", earned: 10, redeemed: 3, expired: 1 },
    { key: "2026-12-03", earned: 0, redeemed: 0, expired: 0 },
  ]);
});

test("a long period is charted per month, the days summed", () => {
  const { unit, buckets } = chartBuckets(
    [
      { date: "2026-01-31", earned: 5, redeemed: 0, expired: 0 },
      { date: "2026-02-01", earned: 7, redeemed: 2, expired: 0 },
      { date: "2026-02-28", earned: 1, redeemed: 0, expired: 9 },
    ],
    "2026-01-15",
    "2026-04-10",
  );
  assert.equal(unit, "month");
  assert.deepEqual(buckets.map((b) => [b.key, b.earned, b.redeemed, b.expired]), [
    ["2026-01", 5, 0, 0],
    ["2026-02", 8, 2, 9],
    ["2026-03", 0, 0, 0],
    ["2026-04", 0, 0, 0],
  ]);
});

test("the axis tops are round numbers", () => {
  assert.deepEqual([0, 1, 3, 10, 11, 23, 480, 48210].map(niceCeiling), [1, 1, 5, 10, 20, 50, 500, 50000]);
});

test("bars scale to the chart: earned above the line, redeemed then expired below", () => {
  const buckets = [
    { key: "a", earned: 100, redeemed: 20, expired: 30 },
    { key: "b", earned: 50, redeemed: 0, expired: 0 },
  ];
  const size = { width: 244, height: 230, labelWidth: () => 28, bottom: 20, top: 10 };
  const layout = chartLayout(buckets, size);
  assert.equal(layout.up, 100);
  assert.equal(layout.down, 50);
  // The plot is 200 high for 150 points: earned 100 -> 133.3 above the line.
  const earned = layout.bars.find((b) => b.series === "earned" && b.index === 0);
  assert.ok(Math.abs(earned.height - 133.333) < 0.01);
  assert.ok(Math.abs(earned.y + earned.height - layout.zeroY) < 1e-9);
  const redeemed = layout.bars.find((b) => b.series === "redeemed");
  const expired = layout.bars.find((b) => b.series === "expired");
  assert.equal(redeemed.y, layout.zeroY);
  assert.ok(Math.abs(expired.y - (redeemed.y + redeemed.height)) < 1e-9);
  assert.ok(Math.abs(expired.y + expired.height - (size.top + 200)) < 1e-9);
  // Nothing wider than the chart; no bar for a zero.
  for (const bar of layout.bars) assert.ok(bar.x >= 40 && bar.x + bar.width <= size.width);
  assert.equal(layout.bars.length, 4);
});

test("the plot starts right of the widest axis label; labels never overlap the zero's", () => {
  const buckets = [{ key: "a", earned: 48000, redeemed: 100, expired: 0 }];
  const layout = chartLayout(buckets, { width: 400, height: 220, labelWidth: (v) => String(v).length * 7 });
  assert.equal(layout.plot.x, 12 + 5 * 7); // "50000"
  assert.deepEqual(layout.ticks.map((t) => t.value), [50000, 0]); // -100 would sit on the 0
});

test("a period with nothing in it draws no bars and divides by nothing", () => {
  const layout = chartLayout([{ key: "a", earned: 0, redeemed: 0, expired: 0 }], { width: 300, height: 200 });
  assert.equal(layout.bars.length, 0);
  assert.ok(Number.isFinite(layout.zeroY));
});

test("at most a handful of labels under the axis", () => {
  assert.deepEqual(labelledBuckets(31, 8), [0, 4, 8, 12, 16, 20, 24, 28]);
  assert.deepEqual(labelledBuckets(3, 8), [0, 1, 2]);
  assert.equal(bucketLabel("2026-12-06", "en-GB"), "6");
  assert.equal(bucketLabel("2026-12-06", "en-GB", true), "6 Dec 2026");
  assert.equal(bucketLabel("2026-12", "en-GB"), "Dec");
  assert.match(periodLabel("2026-12-01", "2026-12-06", "en-GB"), /^1\s*–\s*6 Dec 2026$/);
});

const REPORT = {
  from: "2026-12-01", to: "2026-12-06", currency: "GBP", point_value_minor: 1,
  opening_balance: 47000, earned: 2000, earn_reversed: 40, redeemed: 700,
  redemptions_reversed: 0, adjusted_up: 0, adjusted_down: 0, expired: 50, imported: 0,
  forfeited: 0, closing_balance: 48210, liability_minor: 48210, redemption_rate: 0.35,
  breakage_rate: 0.025, by_location: [], by_day: [],
};

test("the report in the owner's words", () => {
  const { headline, lines } = reportWording(REPORT, { locale: "en-GB" });
  assert.equal(headline, "You owe your customers 48,210 points, worth £482.10.");
  assert.ok(lines.includes("In this period customers earned 2,000 points, redeemed 700 and 50 expired."));
  assert.ok(lines.includes("Also returns took back 40."));
  assert.ok(lines.includes("35% of the points earned were redeemed and 2.5% expired."));
  assert.match(lines[0], /47,000 points at the start.*worth £0\.01/);
});

test("one location's report says its flows, and that balances are not a place's", () => {
  const { headline, lines } = reportWording(
    { ...REPORT, opening_balance: null, closing_balance: null, liability_minor: null },
    { locale: "en-GB", locationName: "High Street" },
  );
  assert.equal(headline, "At High Street: 2,000 points earned, 700 redeemed.");
  assert.match(lines[0], /choose All locations/);
});

test("nothing earned: no rate, said so", () => {
  const { lines } = reportWording(
    { ...REPORT, earned: 0, redemption_rate: null, breakage_rate: null },
    { locale: "en-GB" },
  );
  assert.ok(lines.includes("No points were earned, so there is no redemption or expiry rate yet."));
});
