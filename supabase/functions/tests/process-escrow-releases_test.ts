/**
 * process-escrow-releases against the real local stack: due holds released set-based through the
 * money model (audited, outbox events), recorded as an escrow_releases run, the released money
 * scheduled for the next payout due time (02:00 UTC), where the payout run pays it.
 */
import assert from "node:assert/strict";
import {
  adminSql,
  allPaid,
  assertInvariants,
  callFunction,
  createPlacement,
  events,
  finished,
  invoke,
  runOnce,
} from "./payout_run_test_support.ts";

Deno.test("escrow release run: due holds released (audited, events), the money scheduled for the next payout due time", async () => {
  const sql = adminSql();
  try {
    // guarantee over 30 days ago, everything held until then: the holds are due
    const due = await createPlacement(sql, {
      shares: [6000, 4000],
      holdbackBps: 10000,
      guaranteeDays: 30,
      hiredDaysAgo: 60,
    });
    // guarantee still running: its holds stay
    const notDue = await createPlacement(sql, {
      shares: [10000],
      holdbackBps: 10000,
      guaranteeDays: 90,
      hiredDaysAgo: 20,
      paidDaysAgo: 10,
    });
    const dueIds = due.payouts.map((p) => p.id);
    const holdsBefore = await sql<{ id: string; payout_id: string; status: string }[]>`
      select id, payout_id, status from public.escrow_holds
      where payout_id = any (${[...dueIds, notDue.payouts[0].id]}::uuid[])`;
    assert.equal(holdsBefore.length, 3);
    assert.ok(holdsBefore.every((h) => h.status === "active"));
    assert.equal(due.payouts.every((p) => p.scheduleId === null), true, "nothing payable before the release");

    assert.equal((await callFunction("process-escrow-releases", { secret: null })).status, 401);

    const inv = await finished(sql, await invoke("process-escrow-releases"));
    assert.equal(inv.outcome, "done");
    assert.ok(Number(inv.released) >= 2);
    const [run] = await sql`select * from private.payout_runs where id = ${inv.run_id}`;
    assert.equal(run.kind, "escrow_releases");
    assert.equal(run.status, "finished");

    const holds = await sql<{ id: string; payout_id: string; status: string }[]>`
      select id, payout_id, status from public.escrow_holds where id = any (${holdsBefore.map((h) => h.id)}::uuid[])`;
    for (const h of holds) {
      assert.equal(h.status, dueIds.includes(h.payout_id) ? "released" : "active", `hold of ${h.payout_id}`);
    }
    const audit = await sql<{ action: string; changed_by_role: string }[]>`
      select distinct action, changed_by_role from public.payout_audit_log
      where entity_type = 'escrow_hold' and entity_id = any (${
      holds.filter((h) => h.status === "released").map((h) => h.id)
    }::uuid[])
        and operation = 'UPDATE'`;
    assert.deepEqual(audit.map((a) => `${a.changed_by_role} ${a.action}`), ["job escrow_hold.auto_release"]);
    const ev = (await events(sql, dueIds)).map((e) => e.event_type);
    assert.equal(ev.filter((e) => e === "escrow_hold.auto_released").length, 2);
    assert.equal(ev.filter((e) => e === "payout_schedule.created").length, 2);

    const schedules = await sql<
      { id: string; trigger_event: string; next_attempt_at: Date; due_time: string; in_future: boolean }[]
    >`
      select s.id, s.trigger_event, s.next_attempt_at, to_char(s.next_attempt_at at time zone 'UTC', 'HH24:MI') as due_time,
             s.next_attempt_at > now() and s.next_attempt_at <= now() + interval '1 day' as in_future
      from public.payout_schedules s where s.payout_id = any (${dueIds}::uuid[])`;
    assert.equal(schedules.length, 2);
    for (const s of schedules) {
      assert.equal(s.trigger_event, "escrow_hold.released");
      assert.equal(s.due_time, "02:00", "released money falls due at the next payout due time");
      assert.ok(s.in_future);
      const [{ reasons }] = await sql`select private.payout_work_due(${s.next_attempt_at}) as reasons`;
      assert.ok((reasons as string[]).includes("due_schedules"), "the payout doorbell rings for it then");
    }

    // a second run finds nothing new
    const again = await finished(sql, await invoke("process-escrow-releases"));
    assert.equal(again.outcome, "done");

    // pay it now (an admin makes the schedules due now) and end with the invariant
    for (const s of schedules) {
      await sql`select private.trigger_payout_schedule(${s.id}, 'escrow test: pay now', now())`;
    }
    await runOnce(sql);
    await allPaid(sql, dueIds);
    await assertInvariants(sql, [...dueIds, notDue.payouts[0].id]);
  } finally {
    await sql.end();
  }
});
