/**
 * The whole chain with real pg_cron (minute ticks): private.setup_payout_cron() → the doorbell jobs
 * → net.http_post (URL and job secret from Vault) → pg_net worker → gateway → the functions →
 * Stripe stand-in. Waits for one real minute tick (polling, no fixed sleeps). The test stack has no
 * cron jobs by default; this test schedules them and removes them again.
 */
import assert from "node:assert/strict";
import {
  adminSql,
  allPaid,
  assertInvariants,
  createPlacement,
  eventually,
  ledgerTransfers,
  noInvocationRunning,
} from "./payout_run_test_support.ts";

Deno.test("cron doorbell → pg_net → functions: a due tranche is paid and due holds are released", async () => {
  const sql = adminSql();
  try {
    await noInvocationRunning(sql);
    await noInvocationRunning(sql, "escrow_releases");
    const testStart = new Date(Date.now() - 1000);
    const pay = await createPlacement(sql, { shares: [10000] });
    const held = await createPlacement(sql, {
      shares: [10000],
      holdbackBps: 10000,
      guaranteeDays: 30,
      hiredDaysAgo: 60,
    });

    const jobs = await sql<{ jobname: string; schedule: string; command: string; active: boolean }[]>`
      select * from private.setup_payout_cron()`;
    const again = await sql`select * from private.setup_payout_cron()`;
    assert.deepEqual(jobs.map((j) => j.jobname), ["payouts-audit", "payouts-cleanup", "payouts-doorbell", "payouts-escrow-doorbell"]);
    assert.equal(again.length, 4, "idempotent: the same four jobs");
    assert.deepEqual(jobs.map((j) => j.command), [
      "select private.maintain_payout_audit()",
      "select private.cleanup_payout_job_history()",
      "select private.payout_doorbell()",
      "select private.escrow_release_doorbell()",
    ], "no URL, key or secret literal in any job");
    assert.equal(jobs.find((j) => j.jobname === "payouts-doorbell")!.schedule, "* * * * *");

    await allPaid(sql, [pay.payouts[0].id], 90_000);
    const [ring] = await eventually(
      () =>
        sql<{ request_id: number; reasons: string[] }[]>`
          select request_id, reasons from private.payout_doorbell_rings
          where kind = 'payout_schedules' and rung_at >= ${testStart} order by rung_at limit 1`.then((r) =>
          r.length ? r : null
        ),
      "a doorbell ring",
    );
    assert.ok(ring.reasons.includes("due_schedules"));
    const [resp] = await eventually(
      () =>
        sql`select status_code from net._http_response where id = ${ring.request_id}`.then((r) => r.length ? r : null),
      "the pg_net response of the ring",
    );
    assert.equal(resp.status_code, 202);
    const [{ n }] = await sql<{ n: number }[]>`
      select count(*)::int as n from private.payout_run_invocations
      where kind = 'payout_schedules' and trigger = 'doorbell' and started_at >= ${testStart}`;
    assert.ok(n >= 1, "an invocation rung by the doorbell");
    const [cronRun] = await sql`
      select d.status from cron.job_run_details d join cron.job j using (jobid)
      where j.jobname = 'payouts-doorbell' and d.start_time >= ${testStart} order by d.start_time limit 1`;
    assert.equal(cronRun.status, "succeeded");
    assert.equal((await ledgerTransfers([pay.payouts[0].id])).length, 1);

    await eventually(
      async () => {
        const [h] = await sql`select status from public.escrow_holds where payout_id = ${held.payouts[0].id}`;
        return h.status === "released";
      },
      "the escrow doorbell to release the due hold",
      90_000,
    );
    await assertInvariants(sql, [pay.payouts[0].id, held.payouts[0].id]);
  } finally {
    await sql`select * from private.setup_payout_cron(false)`;
    await sql.end();
  }
});
