/**
 * payout_run/paid_recorder.ts: batches at maxItems, after the oldest outcome's delay (virtual time, no real
 * timers), on flush(); one batch at a time; a failed batch recorded one by one; each outcome
 * settled exactly once, after its recording.
 */
import assert from "node:assert/strict";
import { createPaidRecorder, type PaidOutcome, type PaidSettlement } from "../_shared/payout_run/paid_recorder.ts";
import { VirtualClock } from "./virtual_clock.ts";

const item = (n: number, adopted = false): PaidOutcome => ({
  transferId: `t${n}`,
  stripeTransferId: `tr_${n}`,
  adopted,
});

/** A recorder over a fake database that logs what happens, in order. */
function setup(
  over: { maxItems?: number; maxDelayMs?: number; retryOneByOne?: (e: unknown) => boolean } = {},
) {
  const vt = new VirtualClock(1_000);
  const log: string[] = [];
  const badIds = new Set<string>();
  const settled = new Map<string, PaidSettlement[]>();
  let gate: Promise<void> | null = null;
  /** When set, every batch fails with this error (e.g. the database stayed unreachable). */
  let batchDown: unknown = null;
  const rec = createPaidRecorder<PaidOutcome>({
    maxItems: over.maxItems ?? 3,
    maxDelayMs: over.maxDelayMs ?? 250,
    timers: vt,
    async recordMany(items) {
      log.push(`many ${items.map((i) => i.transferId).join(",")}`);
      if (gate) await gate;
      if (batchDown) throw batchDown;
      if (items.some((i) => badIds.has(i.transferId))) {
        throw Object.assign(new Error(`bad element among ${items.length}`), { code: "PT409" });
      }
      log.push(`committed ${items.map((i) => i.transferId).join(",")}`);
    },
    recordOne(i) {
      log.push(`one ${i.transferId}`);
      if (badIds.has(i.transferId)) return Promise.reject(new Error(`cannot record ${i.transferId}`));
      return Promise.resolve();
    },
    settled(i, r) {
      log.push(`settled ${i.transferId} ${r.ok ? "ok" : "failed"}`);
      settled.set(i.transferId, [...(settled.get(i.transferId) ?? []), r]);
    },
    batchFailed(_e, items) {
      log.push(`batch failed ${items.length}`);
    },
    ...(over.retryOneByOne ? { retryOneByOne: over.retryOneByOne } : {}),
  });
  return {
    vt,
    log,
    badIds,
    settled,
    rec,
    hold() {
      let release!: () => void;
      gate = new Promise<void>((r) => (release = r));
      return () => {
        gate = null;
        release();
      };
    },
    /** The batch calls so far. */
    many: (): string[] => log.filter((l) => l.startsWith("many")),
    batchesFailWith(e: unknown) {
      batchDown = e;
    },
  };
}

/** Lets resolved promises run (no timers). */
const settle = async () => {
  for (let i = 0; i < 50; i++) await Promise.resolve();
};

Deno.test("paid recorder: records a batch when maxItems outcomes are buffered, not before", async () => {
  const s = setup({ maxItems: 3 });
  s.rec.add(item(1));
  s.rec.add(item(2));
  await settle();
  assert.equal(s.log.length, 0, "two of three: nothing recorded yet");
  assert.equal(s.rec.size, 2);
  s.rec.add(item(3));
  await settle();
  assert.deepEqual(s.log, [
    "many t1,t2,t3",
    "committed t1,t2,t3",
    "settled t1 ok",
    "settled t2 ok",
    "settled t3 ok",
  ]);
  assert.ok(s.rec.idle());
  assert.equal(s.vt.pending, 0, "no timer left behind");
});

Deno.test("paid recorder: records what waits once the oldest outcome has waited maxDelayMs", async () => {
  const s = setup({ maxItems: 10, maxDelayMs: 250 });
  s.rec.add(item(1));
  await s.vt.advance(100);
  s.rec.add(item(2));
  await s.vt.advance(149);
  assert.equal(s.log.length, 0, "the oldest has waited 249 ms");
  await s.vt.advance(1);
  assert.deepEqual(s.many(), ["many t1,t2"], "both, when the oldest is due");
  // a new outcome starts a new delay
  s.rec.add(item(3));
  await s.vt.advance(249);
  assert.equal(s.many().length, 1);
  await s.vt.advance(1);
  assert.deepEqual(s.many(), ["many t1,t2", "many t3"]);
  assert.equal(s.vt.pending, 0);
});

Deno.test("paid recorder: a batch recorded at maxItems cancels the delay; what stays keeps its own age", async () => {
  const s = setup({ maxItems: 2, maxDelayMs: 250 });
  s.rec.add(item(1));
  await s.vt.advance(200);
  const release = s.hold();
  s.rec.add(item(2)); // full: recorded now (held in the database)
  s.rec.add(item(3)); // waits: one batch at a time
  await settle();
  assert.deepEqual(s.log, ["many t1,t2"]);
  await s.vt.advance(249);
  release();
  await settle();
  assert.deepEqual(s.many(), ["many t1,t2"], "t3 has waited 249 ms");
  await s.vt.advance(1);
  assert.deepEqual(s.many(), ["many t1,t2", "many t3"]);
});

Deno.test("paid recorder: one batch at a time; what arrives meanwhile is recorded next, at most maxItems per call", async () => {
  const s = setup({ maxItems: 2 });
  const release = s.hold();
  for (let n = 1; n <= 7; n++) s.rec.add(item(n));
  await settle();
  assert.deepEqual(s.log, ["many t1,t2"]);
  assert.equal(s.rec.size, 7);
  release();
  await settle();
  assert.deepEqual(s.many(), ["many t1,t2", "many t3,t4", "many t5,t6"]);
  assert.equal(s.rec.size, 1, "t7 waits for its delay");
  await s.rec.flush();
  assert.deepEqual(s.many(), ["many t1,t2", "many t3,t4", "many t5,t6", "many t7"]);
  assert.ok(s.rec.idle());
});

Deno.test("paid recorder: flush records everything now and resolves once every outcome is settled", async () => {
  const s = setup({ maxItems: 3 });
  await s.rec.flush(); // nothing buffered: resolves at once
  for (let n = 1; n <= 4; n++) s.rec.add(item(n));
  await s.rec.flush();
  assert.deepEqual(s.many(), ["many t1,t2,t3", "many t4"]);
  assert.deepEqual([...s.settled.keys()], ["t1", "t2", "t3", "t4"]);
  assert.ok(s.rec.idle());
  assert.equal(s.vt.pending, 0, "the delay timer is cleared");
});

Deno.test("paid recorder: flush waits for the batch being recorded", async () => {
  const s = setup({ maxItems: 2 });
  const release = s.hold();
  s.rec.add(item(1));
  s.rec.add(item(2));
  let flushed = false;
  const f = s.rec.flush().then(() => (flushed = true));
  await settle();
  assert.equal(flushed, false);
  release();
  await f;
  assert.deepEqual(s.log.slice(-2), ["settled t1 ok", "settled t2 ok"]);
});

Deno.test("paid recorder: a failed batch is recorded one by one; only the bad outcome fails, each settled once", async () => {
  const s = setup({ maxItems: 3 });
  s.badIds.add("t2");
  s.rec.add(item(1));
  s.rec.add(item(2, true));
  s.rec.add(item(3));
  await s.rec.flush();
  assert.deepEqual(s.log, [
    "many t1,t2,t3",
    "batch failed 3",
    "one t1",
    "settled t1 ok",
    "one t2",
    "settled t2 failed",
    "one t3",
    "settled t3 ok",
  ]);
  for (const id of ["t1", "t2", "t3"]) assert.equal(s.settled.get(id)?.length, 1);
  const bad = s.settled.get("t2")![0];
  assert.ok(!bad.ok && String(bad.error).includes("cannot record t2"));
});

Deno.test("paid recorder: a batch that failed transiently is recorded one by one by default", async () => {
  const s = setup({ maxItems: 2 });
  s.batchesFailWith(Object.assign(new Error("terminating connection"), { code: "57P01" }));
  s.rec.add(item(1));
  s.rec.add(item(2));
  await s.rec.flush();
  assert.deepEqual(s.log, ["many t1,t2", "batch failed 2", "one t1", "settled t1 ok", "one t2", "settled t2 ok"]);
});

Deno.test("paid recorder: retryOneByOne false (an outage, not a refusal): the whole batch settles failed at once", async () => {
  const refusal = (e: unknown) => /^PT\d{3}$/.test(String((e as { code?: unknown }).code));
  const s = setup({ maxItems: 2, retryOneByOne: refusal });
  s.batchesFailWith(Object.assign(new Error("terminating connection"), { code: "57P01" }));
  s.rec.add(item(1));
  s.rec.add(item(2));
  await s.rec.flush();
  assert.deepEqual(s.log, ["many t1,t2", "batch failed 2", "settled t1 failed", "settled t2 failed"]);
  assert.ok(s.rec.idle());

  // a refusal is still recorded one by one
  s.batchesFailWith(null);
  s.badIds.add("t4");
  s.log.length = 0;
  s.rec.add(item(3));
  s.rec.add(item(4));
  await s.rec.flush();
  assert.deepEqual(s.log, ["many t3,t4", "batch failed 2", "one t3", "settled t3 ok", "one t4", "settled t4 failed"]);
});

Deno.test("paid recorder: settled outcomes are never settled again; later adds start over", async () => {
  const s = setup({ maxItems: 2 });
  s.rec.add(item(1));
  s.rec.add(item(2));
  await s.rec.flush();
  s.rec.add(item(3));
  s.rec.add(item(4));
  await s.rec.flush();
  assert.deepEqual([...s.settled.entries()].map(([k, v]) => `${k}:${v.length}`), ["t1:1", "t2:1", "t3:1", "t4:1"]);
});
