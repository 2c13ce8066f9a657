/**
 * payout_run/work_pool.ts without timers: each item's work is a promise the test resolves, so what runs when
 * is decided by the test, not by the clock.
 */
import assert from "node:assert/strict";
import { createWorkPool } from "../_shared/payout_run/work_pool.ts";

/** Work whose items finish when the test says so. */
function controlled() {
  const started: number[] = [];
  const finish = new Map<number, () => void>();
  const work = (i: number) =>
    new Promise<void>((resolve) => {
      started.push(i);
      finish.set(i, resolve);
    });
  const done = async (i: number) => {
    finish.get(i)!();
    await tick();
  };
  return { started, work, done };
}

/** Lets pending continuations run (the pool's bookkeeping runs in the work promise's continuation). */
async function tick() {
  for (let k = 0; k < 5; k++) await Promise.resolve();
}

Deno.test("work pool: at most `limit` at once, started in order, fed while running", async () => {
  const c = controlled();
  const pool = createWorkPool(2, c.work, () => assert.fail("no error expected"));
  pool.push([1, 2, 3]);
  assert.deepEqual(c.started, [1, 2]);
  assert.equal(pool.running, 2);
  assert.equal(pool.backlog, 1);
  pool.push([4]);
  assert.deepEqual(c.started, [1, 2], "nothing beyond the limit");
  await c.done(2);
  assert.deepEqual(c.started, [1, 2, 3]);
  await c.done(1);
  assert.deepEqual(c.started, [1, 2, 3, 4]);
  assert.equal(pool.backlog, 0);
  await c.done(3);
  await c.done(4);
  assert.equal(pool.idle(), true);
  await pool.drain();
});

Deno.test("work pool: backlogBelow and drain resolve only once their state holds", async () => {
  const c = controlled();
  const pool = createWorkPool(1, c.work, () => {});
  const seen: string[] = [];
  pool.push([1, 2, 3]);
  pool.backlogBelow(2).then(() => seen.push("backlog<2"));
  pool.backlogBelow(3).then(() => seen.push("backlog<3"));
  pool.drain().then(() => seen.push("drained"));
  await tick();
  assert.deepEqual(seen, ["backlog<3"], "2 queued: below 3, not below 2");
  await c.done(1);
  assert.deepEqual(seen, ["backlog<3", "backlog<2"]);
  await c.done(2);
  await c.done(3);
  assert.deepEqual(seen, ["backlog<3", "backlog<2", "drained"]);
});

Deno.test("work pool: takeBacklog returns what was not started, and none of it starts later", async () => {
  const c = controlled();
  const pool = createWorkPool(1, c.work, () => {});
  pool.push([1, 2, 3]);
  assert.deepEqual(pool.takeBacklog(), [2, 3]);
  await c.done(1);
  await pool.drain();
  assert.deepEqual(c.started, [1], "taken items are never started");
  assert.deepEqual(pool.takeBacklog(), []);
});

Deno.test("work pool: a rejected item goes to onError and the others go on", async () => {
  const errors: unknown[] = [];
  const done: number[] = [];
  const pool = createWorkPool(2, async (i: number) => {
    await Promise.resolve();
    if (i === 2) throw new Error("boom");
    done.push(i);
  }, (e, i) => errors.push([(e as Error).message, i]));
  pool.push([1, 2, 3, 4]);
  await pool.drain();
  assert.deepEqual(errors, [["boom", 2]]);
  assert.deepEqual(done.sort(), [1, 3, 4]);
});
