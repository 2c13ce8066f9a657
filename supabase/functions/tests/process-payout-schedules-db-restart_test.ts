/**
 * The database crashes and restarts in the middle of a run: Stripe has made a transfer and holds
 * its answer (the stand-in's latency_after fault) while Postgres is stopped with `-m immediate`
 * (every backend killed, no checkpoint: crash recovery from WAL on the next start) and started
 * again. The run's record calls are retried across the outage (payout_run/db.ts); whichever of
 * the run or a later reconciliation records the transfer, it is recorded once and never sent
 * again under another key.
 *
 * The test cluster runs with synchronous_commit = off for speed, under which a crash may lose the
 * last commits (a production database runs it on); this test turns it on for its duration so
 * that what the run committed before the crash is what recovery brings back, as in production.
 */
import assert from "node:assert/strict";
import {
  adminSql,
  allPaid,
  assertInvariants,
  claimFree,
  createPlacement,
  eventually,
  finished,
  invoke,
  ledgerTransfers,
  removeFault,
  standinRequests,
  tranches,
  transferFault,
} from "./payout_run_test_support.ts";

const PG_CTL = "/usr/lib/postgresql/15/bin/pg_ctl";

async function pgCtl(args: string[]): Promise<void> {
  const out = await new Deno.Command("runuser", {
    args: ["-u", "postgres", "--", PG_CTL, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`pg_ctl ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

/** Crash (immediate stop) and start the stack's cluster, as local/stack/postgres.ts starts it. */
async function crashAndRestart(dataDir: string): Promise<void> {
  const log = dataDir.replace(/\/db$/, "/logs/postgres.log");
  await pgCtl(["-D", dataDir, "-m", "immediate", "-w", "-t", "60", "stop"]);
  await pgCtl(["-D", dataDir, "-l", log, "-w", "-t", "60", "start"]);
}

Deno.test("the database crashes and restarts while Stripe holds the answer of a transfer it made: recorded once, never re-sent", async () => {
  let sql = adminSql();
  const faults: string[] = [];
  try {
    await sql`alter system set synchronous_commit = on`;
    await sql`select pg_reload_conf()`;
    const [{ dir, started }] = await sql<{ dir: string; started: Date }[]>`
      select current_setting('data_directory') as dir, pg_postmaster_start_time() as started`;
    const f = await createPlacement(sql, { shares: [6000, 4000] });
    const p = f.payouts[0];
    faults.push(
      await transferFault("latency_after", p.id, { latency_ms: 6_000 }),
    );

    const inv = await invoke();
    const made = await eventually(async () => (await ledgerTransfers([p.id]))[0], "Stripe to make the transfer");
    const [t] = await tranches(sql, [p.id]);
    assert.equal(t.status, "pending", "Stripe made the transfer, our commit has not happened");
    await sql.end();

    await crashAndRestart(dir);
    sql = adminSql();
    const [{ restarted }] = await sql<{ restarted: Date }[]>`select pg_postmaster_start_time() as restarted`;
    assert.ok(restarted.getTime() > started.getTime(), "the database really restarted");

    const first = await finished(sql, inv, 90_000);
    const [after] = await tranches(sql, [p.id]);
    if (after.status !== "succeeded") {
      // The run gave up before the database was back: its lease brings the tranche to the next
      // run, which reconciles (lists the transfer_group) before anything else.
      assert.notEqual(first.outcome, "done", "a run that finished cleanly recorded its tranches");
      await claimFree(sql, p.scheduleId!);
      await finished(sql, await invoke(), 60_000);
    }
    await allPaid(sql, f.payouts.map((x) => x.id));

    const [done] = await tranches(sql, [p.id]);
    assert.equal(done.id, t.id, "the tranche committed before the crash");
    assert.equal(done.stripe_transfer_id, made.id, "recorded with the transfer Stripe made");
    assert.equal((await ledgerTransfers([p.id])).length, 1, "exactly one transfer");
    const posts = (await standinRequests({ method: "POST", path: "/v1/transfers" }))
      .filter((q) => (q.params?.metadata as Record<string, string> | undefined)?.payout_id === p.id);
    assert.ok(posts.length >= 1);
    assert.deepEqual(
      [...new Set(posts.map((q) => q.idempotency_key))],
      [t.idempotency_key],
      "never sent under another key",
    );
    await assertInvariants(sql, f.payouts.map((x) => x.id));
  } finally {
    for (const id of faults) await removeFault(id);
    await sql`alter system reset synchronous_commit`.catch(() => {});
    await sql`select pg_reload_conf()`.catch(() => {});
    await sql.end();
  }
});
