import assert from "node:assert/strict";
import { createPacer } from "../_shared/platform/pacer.ts";
import { VirtualClock } from "./virtual_clock.ts";

/**
 * Max number of timestamps in any half-open window [t, t + windowMs). With spacing 1000/rate ms the
 * bound is ceil(rate · window): exactly `rate` for integer rates, e.g. 20 per second at 20/s.
 */
function maxInWindow(times: number[], windowMs: number): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  let j = 0;
  for (let i = 0; i < t.length; i++) {
    while (t[i] - t[j] >= windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

async function acquireAll(vt: VirtualClock, pacer: ReturnType<typeof createPacer>, n: number): Promise<number[]> {
  const times: number[] = [];
  const all = Promise.all(Array.from({ length: n }, () => pacer.acquire().then(() => times.push(vt.now()))));
  await vt.run();
  await all;
  return times;
}

Deno.test("pacer: 200 concurrent acquisitions at 20/s never exceed 20 in any 1 s window", async () => {
  const vt = new VirtualClock(1_000_000);
  const pacer = createPacer({ ratePerSec: 20, now: vt.now, sleep: vt.sleep });
  const times = await acquireAll(vt, pacer, 200);
  assert.equal(times.length, 200);
  assert.equal(maxInWindow(times, 1000), 20);
  // strict spacing: consecutive grants >= 50 ms apart; total ≈ 199 × 50 ms
  const sorted = [...times].sort((a, b) => a - b);
  for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i] - sorted[i - 1] >= 50 - 1e-9);
  assert.equal(sorted[sorted.length - 1] - sorted[0], 199 * 50);
  assert.equal(vt.pending, 0);
});

Deno.test("pacer: fractional and odd rates, sequential callers, epoch-sized clock: the rate is never exceeded", async () => {
  for (const rate of [7, 3.3, 20, 25, 30, 99]) {
    const vt = new VirtualClock(1_764_000_000_000);
    const pacer = createPacer({ ratePerSec: rate, now: vt.now, sleep: vt.sleep });
    const times: number[] = [];
    const n = Math.ceil(rate * 12);
    const run = (async () => {
      for (let i = 0; i < n; i++) {
        await pacer.acquire();
        times.push(vt.now());
      }
    })();
    await vt.run();
    await run;
    assert.equal(times.length, n);
    assert.ok(maxInWindow(times, 1000) <= Math.ceil(rate), `rate ${rate}: ${maxInWindow(times, 1000)} in 1 s`);
    assert.ok(maxInWindow(times, 10_000) <= Math.ceil(rate * 10), `rate ${rate}: 10 s window`);
    // and it is not needlessly slow: within 1 % of the rate
    const span = times[times.length - 1] - times[0];
    assert.ok(span <= ((n - 1) / rate) * 1000 * 1.01, `rate ${rate}: span ${span}`);
  }
});

Deno.test("pacer: burst allows a few back to back, then the rate holds", async () => {
  const vt = new VirtualClock();
  const pacer = createPacer({ ratePerSec: 10, burst: 5, now: vt.now, sleep: vt.sleep });
  const times = await acquireAll(vt, pacer, 50);
  assert.equal(times.filter((t) => t === 0).length, 5);
  // any window of T ms holds at most burst + T·rate
  assert.ok(maxInWindow(times, 1000) <= 5 + 10);
  assert.ok(maxInWindow(times, 3000) <= 5 + 30);
});

Deno.test("pacer: after a 429, pause() holds everyone (including waiters) until Retry-After", async () => {
  const vt = new VirtualClock();
  const pacer = createPacer({ ratePerSec: 20, now: vt.now, sleep: vt.sleep });
  const times: number[] = [];
  const all = Promise.all(Array.from({ length: 10 }, () => pacer.acquire().then(() => times.push(vt.now()))));
  await vt.advance(100); // slots at 0, 50, 100 granted
  assert.deepEqual(times, [0, 50, 100]);
  pacer.pause(1000); // a 429 with Retry-After: 1 arrived at t=100
  assert.equal(pacer.pausedUntil, 1100);
  await vt.run();
  await all;
  assert.equal(times.length, 10);
  const after = times.slice(3);
  assert.ok(after.every((t) => t >= 1100), JSON.stringify(times));
  assert.equal(after[0], 1100);
  for (let i = 1; i < after.length; i++) assert.ok(after[i] - after[i - 1] >= 50);
  // a shorter pause never shortens a running one
  pacer.pause(10);
  assert.ok(pacer.pausedUntil >= 1100);
});

Deno.test("pacer: an idle pacer grants at once; invalid options throw", async () => {
  const vt = new VirtualClock();
  const pacer = createPacer({ ratePerSec: 20, now: vt.now, sleep: vt.sleep });
  await pacer.acquire();
  await vt.advance(5_000);
  const t0 = vt.now();
  await pacer.acquire();
  assert.equal(vt.now(), t0);
  assert.throws(() => createPacer({ ratePerSec: 0 }), RangeError);
  assert.throws(() => createPacer({ ratePerSec: 10, burst: 0 }), RangeError);
});

Deno.test("pacer: real clock default (short)", async () => {
  const pacer = createPacer({ ratePerSec: 200 });
  const t0 = performance.now();
  for (let i = 0; i < 5; i++) await pacer.acquire();
  assert.ok(performance.now() - t0 >= 4 * 5 - 2);
});
