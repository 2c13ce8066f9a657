import assert from "node:assert/strict";
import { transfersPerSecond } from "./rate.ts";

Deno.test("transfers per second: one bucket per second, empty seconds included", () => {
  const r = transfersPerSecond([
    "2026-12-01T02:00:00.100Z",
    "2026-12-01T02:00:00.900Z",
    null, // still pending: not completed
    "2026-12-01T02:00:02.000Z",
    "2026-12-01T02:00:00.500Z",
  ]);
  assert.equal(r.width, 1);
  assert.deepEqual(r.buckets.map((b) => [b.start, b.count, b.perSecond]), [[0, 3, 3], [1, 0, 0], [2, 1, 1]]);
  assert.equal(r.peak, 3);
  assert.equal(r.total, 4);
});

Deno.test("transfers per second: a long run gets wider buckets, the rate divides by the width", () => {
  const start = Date.parse("2026-12-01T02:00:00Z");
  const times = [0, 1, 2, 3, 299].map((s) => new Date(start + s * 1000).toISOString());
  const r = transfersPerSecond(times, 100);
  assert.equal(r.width, 3); // 300 s in at most 100 bars
  assert.equal(r.buckets.length, 100);
  assert.deepEqual([r.buckets[0].count, r.buckets[1].count, r.buckets[99].count], [3, 1, 1]);
  assert.equal(r.buckets[0].perSecond, 1);
  assert.equal(r.total, 5);
});

Deno.test("transfers per second: nothing completed", () => {
  assert.deepEqual(transfersPerSecond([null]), { width: 1, buckets: [], peak: 0, total: 0 });
});
