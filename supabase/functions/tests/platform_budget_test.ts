import assert from "node:assert/strict";
import { createBudget, createCpuMeter } from "../_shared/platform/budget.ts";

Deno.test("budget: deadline, remaining, shouldStop with margin, expiry", () => {
  let now = 10_000;
  const b = createBudget(120_000, { now: () => now, defaultMarginMs: 20_000 });
  assert.equal(b.startedAt, 10_000);
  assert.equal(b.deadline, 130_000);
  assert.equal(b.remainingMs(), 120_000);
  assert.equal(b.shouldStop(), false);
  now += 99_999;
  assert.equal(b.elapsedMs(), 99_999);
  assert.equal(b.shouldStop(), false);
  now += 1;
  assert.equal(b.remainingMs(), 20_000);
  assert.equal(b.shouldStop(), true);
  assert.equal(b.shouldStop(5_000), false);
  assert.equal(b.expired(), false);
  now += 30_000;
  assert.equal(b.remainingMs(), 0);
  assert.equal(b.expired(), true);
  assert.equal(b.shouldStop(0), true);
});

Deno.test("budget: a batch loop stops claiming when the budget runs low", () => {
  let now = 0;
  const b = createBudget(60_000, { now: () => now });
  let batches = 0;
  while (!b.shouldStop(15_000)) {
    batches++;
    now += 10_000; // each batch takes 10 s
  }
  assert.equal(batches, 5); // 0,10,20,30,40 s started; at 50 s only 10 s are left
  assert.throws(() => createBudget(-1), RangeError);
});

Deno.test("cpu meter: the runtime's measurement wins over the charged estimate; the estimate counts only without one", () => {
  let measured: number | null = 300;
  const meter = createCpuMeter({ measured: () => measured, startMs: 250, cacheMs: 0 });
  meter.charge(1_800); // estimates ahead of the real count (a fast core): a warm isolate must not read as spent
  assert.equal(meter.usedMs(), 300);
  measured = null; // a runtime that reports nothing: module load plus charges
  assert.equal(meter.usedMs(), 2_050);
});
