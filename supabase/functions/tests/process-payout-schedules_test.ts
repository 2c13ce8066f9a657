/**
 * process-payout-schedules against the real local stack (gateway → function worker → database as
 * payout_worker → Stripe stand-in). Each test builds its own placements (unique ids), filters its
 * assertions by them, resets the stand-in faults it set, and ends with the invariant
 * (assertInvariants: Σ stand-in transfers per payout = Σ paid tranches, tranche invariant, every
 * change audited).
 */
import { createClient } from "@supabase/supabase-js";
import assert from "node:assert/strict";
import { createUser } from "../../../local/tests/support.ts";
import {
  addFault,
  adminSql,
  allPaid,
  assertInvariants,
  callFunction,
  claimFree,
  createPlacement,
  events,
  eventually,
  finished,
  invoke,
  JOB_SECRET,
  ledgerTransfers,
  noInvocationRunning,
  removeFault,
  runOnce,
  schedule,
  stackEnv,
  standin,
  standinRequests,
  SUPABASE_URL,
  tranches,
  transferFault,
  transferPosts,
} from "./payout_run_test_support.ts";
import type { PlacementFixture } from "./payout_run_test_support.ts";

const FN = "process-payout-schedules";

/**
 * A placement with one payout whose transfers meet a stand-in fault (`kind`, `more`); the fault is
 * removed and the connection closed afterwards.
 */
async function withTransferFault(
  kind: string,
  more: Record<string, unknown>,
  fn: (sql: ReturnType<typeof adminSql>, p: PlacementFixture["payouts"][number]) => Promise<void>,
) {
  const sql = adminSql();
  let fault: string | undefined;
  try {
    const p = (await createPlacement(sql, { shares: [10000] })).payouts[0];
    fault = await transferFault(kind, p.id, more);
    await fn(sql, p);
  } finally {
    if (fault) await removeFault(fault);
    await sql.end();
  }
}

Deno.test("unauthenticated or wrong-secret calls: 401, nothing claimed; the right secret pays", async () => {
  const sql = adminSql();
  try {
    const f = await createPlacement(sql, { shares: [10000] });
    const ids = f.payouts.map((p) => p.id);
    const [{ n: before }] = await sql<{ n: number }[]>`select count(*)::int as n from private.payout_run_invocations`;

    const refused = [
      await callFunction(FN, { secret: null }),
      await callFunction(FN, { secret: JOB_SECRET() + "x" }),
      await callFunction(FN, { secret: "short" }),
      await callFunction(FN, { secret: null, headers: { authorization: `Bearer ${stackEnv("SUPABASE_ANON_KEY")}` } }),
      await callFunction(FN, {
        secret: null,
        headers: { authorization: `Bearer ${stackEnv("SUPABASE_SERVICE_ROLE_KEY")}` },
      }),
      await callFunction(FN, { secret: null, headers: { authorization: "Basic abc" } }),
      await callFunction(FN, { secret: null, method: "GET" }),
    ];
    for (const r of refused) {
      assert.equal(r.status, 401, JSON.stringify(r.body));
      assert.equal(r.body.error, "unauthorized");
    }
    assert.deepEqual(refused.map((r) => r.body.reason), [
      "missing_secret",
      "secret_mismatch",
      "secret_mismatch",
      "secret_mismatch",
      "secret_mismatch",
      "malformed_authorization",
      "missing_secret",
    ]);
    // the secret also works as a bearer token; a GET with it is 405, still nothing runs
    const get = await callFunction(FN, { method: "GET" });
    assert.equal(get.status, 405);

    const [{ n: after }] = await sql<{ n: number }[]>`select count(*)::int as n from private.payout_run_invocations`;
    assert.equal(after, before, "no invocation started");
    assert.equal((await schedule(sql, f.payouts[0].scheduleId!)).status, "pending", "nothing claimed");
    assert.deepEqual(await tranches(sql, ids), []);

    const ok = await callFunction(FN, { secret: null, headers: { authorization: `Bearer ${JOB_SECRET()}` } });
    assert.equal(ok.status, 202);
    await finished(sql, ok.body.invocation_id as string);
    await allPaid(sql, ids);
    await assertInvariants(sql, ids);
  } finally {
    await sql.end();
  }
});

Deno.test("a run: 202 at once, tranches paid in the stand-in, run history, audit and outbox", async () => {
  const sql = adminSql();
  try {
    const f = await createPlacement(sql, { shares: [5000, 3000, 2000], stripeInvoice: true });
    const ids = f.payouts.map((p) => p.id);
    const started = Date.now();
    const r = await callFunction(FN, { body: { trigger: "manual", reasons: ["test"] } });
    assert.equal(r.status, 202);
    assert.ok(Date.now() - started < 5_000, "answered at once");
    assert.equal(r.body.kind, "payout_schedules");
    const inv = await finished(sql, r.body.invocation_id as string);
    assert.equal(inv.outcome, "done");
    assert.equal(inv.trigger, "manual");

    const rows = await tranches(sql, ids);
    assert.equal(rows.length, 3);
    assert.ok(rows.every((t) => t.status === "succeeded"));
    const atStripe = await ledgerTransfers(ids);
    assert.equal(atStripe.length, 3);
    for (const t of atStripe) {
      assert.equal(t.transfer_group, `placement_${f.placementId}`);
      assert.equal(t.source_transaction, f.chargeId, "source_transaction = the invoice's charge");
      assert.equal(t.currency, "usd");
      const row = rows.find((x) => x.id === t.metadata.payout_transfer_id)!;
      assert.equal(t.metadata.attempt_number, "1");
      assert.equal(t.metadata.schedule_id, row.schedule_id);
      assert.equal(t.metadata.placement_id, f.placementId);
    }
    // one idempotency key per tranche, the one stored with it
    const posts = (await standinRequests({ method: "POST", path: "/v1/transfers" }))
      .filter((q) => rows.some((t) => t.idempotency_key === q.idempotency_key));
    assert.equal(posts.length, 3);

    const [run] = await sql`select * from private.payout_runs where id = ${inv.run_id}`;
    assert.ok(run.started_at);
    assert.ok(Number(run.paid) >= 3 && Number(run.claimed) >= 3 && Number(run.invocations) >= 1);
    const audit = await sql<{ changed_by_role: string; action: string }[]>`
      select distinct changed_by_role, action from public.payout_audit_log
      where entity_type = 'payout_transfer' and entity_id = any (${rows.map((t) => t.id)}::uuid[])`;
    assert.deepEqual(audit.map((a) => `${a.changed_by_role} ${a.action}`).sort(), [
      "job payout_schedule.claim",
      "job payout_transfer.complete",
    ]);
    const ev = (await events(sql, ids)).map((e) => e.event_type);
    for (
      const e of ["payout_schedule.processing", "payout_transfer.created", "payout_transfer.succeeded", "payout.paid"]
    ) {
      assert.equal(ev.filter((x) => x === e).length, 3, `${e} once per payout`);
    }
    await assertInvariants(sql, ids);
  } finally {
    await sql.end();
  }
});

Deno.test("an admin's process_due_payout_schedules() rings the function through pg_net; the run pays", async () => {
  const sql = adminSql();
  try {
    await noInvocationRunning(sql);
    const testStart = new Date(Date.now() - 1000);
    const f = await createPlacement(sql, { shares: [7000] });
    const ids = f.payouts.map((p) => p.id);
    const email = `admin-${crypto.randomUUID()}@test.invalid`;
    const admin = await createUser(sql, email);
    await sql`select private.bootstrap_platform_admin(${email})`;
    const client = createClient(SUPABASE_URL(), stackEnv("SUPABASE_ANON_KEY"), {
      global: { headers: { Authorization: `Bearer ${admin.jwt}` } },
      auth: { persistSession: false },
    });
    const { data, error } = await client.rpc("process_due_payout_schedules");
    assert.equal(error, null, JSON.stringify(error));
    assert.ok((data.due_schedule_ids as string[]).includes(f.payouts[0].scheduleId!));
    assert.ok(data.doorbell_request_id, `the doorbell rang: ${JSON.stringify(data)}`);
    await allPaid(sql, ids, 30_000);
    const [resp] = await eventually(
      () =>
        sql`select status_code from net._http_response where id = ${data.doorbell_request_id}`.then((r) =>
          r.length ? r : null
        ),
      "the pg_net response",
    );
    assert.equal(resp.status_code, 202);
    const [{ n }] = await sql<{ n: number }[]>`
      select count(*)::int as n from private.payout_run_invocations where trigger = 'admin' and started_at >= ${testStart}`;
    assert.ok(n >= 1, "an invocation rung by the admin request");
    await assertInvariants(sql, ids);
  } finally {
    await sql.end();
  }
});

Deno.test("paused platform (kill switch) or paused recruiter: nothing claimed", async () => {
  const sql = adminSql();
  const fPlatform = await createPlacement(sql, { shares: [10000] });
  const fRecruiter = await createPlacement(sql, { shares: [6000, 4000], recruiters: [{ paused: true }, {}] });
  try {
    await sql`select private.set_payouts_paused(true, 'payout-run test: kill switch', now())`;
    const inv = await runOnce(sql);
    assert.equal(inv.outcome, "paused");
    assert.equal(inv.claimed, "0");
    for (const p of [...fPlatform.payouts, ...fRecruiter.payouts]) {
      const s = await schedule(sql, p.scheduleId!);
      assert.equal(s.status, "pending", "platform paused: untouched");
      assert.equal(s.skip_reason, null, "not even skipped: the run did not claim");
    }
    const [{ rang }] = await sql`select private.payout_doorbell() is not null as rang`;
    assert.equal(rang, false, "the doorbell stays quiet while paused");
  } finally {
    await sql`select private.set_payouts_paused(false, null, now())`;
  }
  try {
    await runOnce(sql);
    const paused = fRecruiter.payouts.find((p) => p.recruiterId === fRecruiter.recruiterIds[0])!;
    const s = await schedule(sql, paused.scheduleId!);
    assert.equal(s.status, "pending");
    assert.equal(s.skip_reason, "recruiter_paused");
    assert.deepEqual(await tranches(sql, [paused.id]), [], "the paused recruiter's payout: nothing claimed");
    const others = [fPlatform.payouts[0].id, ...fRecruiter.payouts.filter((p) => p !== paused).map((p) => p.id)];
    await allPaid(sql, others);
    await assertInvariants(sql, [...others, paused.id]);
  } finally {
    await sql.end();
  }
});

for (const n of [2, 8]) {
  Deno.test(`${n} concurrent invocations on the same due set: each tranche transferred once`, async () => {
    const sql = adminSql();
    const faults: string[] = [];
    try {
      const fs = [];
      for (let i = 0; i < 6; i++) fs.push(await createPlacement(sql, { shares: [3000, 3000, 2000, 2000] }));
      const ids = fs.flatMap((f) => f.payouts.map((p) => p.id));
      // some transfers are slow at Stripe (longer than the 5 s test lease): other invocations
      // reclaim them meanwhile, list, find nothing yet, and send again under the same key
      for (const f of fs.slice(0, 2)) {
        faults.push(
          await transferFault("latency", f.payouts[0].id, { latency_ms: 7_000 }),
        );
      }
      const invs = await Promise.all(Array.from({ length: n }, () => invoke()));
      assert.equal(new Set(invs).size, n);
      await allPaid(sql, ids, 60_000);
      for (const id of invs) await finished(sql, id, 60_000);
      await eventually(async () => {
        const [r] = await sql<{ n: number }[]>`
          select count(*)::int as n from public.payout_transfers where payout_id = any (${ids}::uuid[]) and status <> 'succeeded'`;
        return r.n === 0;
      }, "every tranche settled");
      const rows = await tranches(sql, ids);
      assert.equal(rows.length, ids.length, "one tranche per payout");
      assert.equal((await ledgerTransfers(ids)).length, ids.length, "one Stripe transfer per tranche");
      await assertInvariants(sql, ids);
    } finally {
      for (const id of faults) await removeFault(id);
      await sql.end();
    }
  });
}

Deno.test("429 storm: all paid, Retry-After honoured, none failed or exhausted", async () => {
  const sql = adminSql();
  let fault: string | undefined;
  try {
    const f = await createPlacement(sql, { shares: [2000, 2000, 1500, 1500, 1000, 1000, 500, 500] });
    const ids = f.payouts.map((p) => p.id);
    fault = await addFault({
      kind: "rate_limit",
      params: { transfer_group: `placement_${f.placementId}` },
      every_nth: 2,
      times: 6,
      retry_after: 1,
    });
    const inv = await runOnce(sql, 90_000);
    assert.equal(inv.outcome, "done");
    await allPaid(sql, ids);
    const rows = await tranches(sql, ids);
    assert.ok(rows.every((t) => t.status === "succeeded" && t.attempt_number === 1), "no failed attempt");
    for (const p of f.payouts) {
      const s = await schedule(sql, p.scheduleId!);
      assert.equal(s.retry_count, 0);
      assert.equal(s.is_exhausted, false);
    }
    const reqs = (await standinRequests()).filter((q) => q.params?.transfer_group === `placement_${f.placementId}`);
    const limited = reqs.filter((q) => q.status === 429);
    assert.equal(limited.length, 6, "the storm happened");
    // Retry-After: 1 pauses the client's pacer: once a 429 has arrived, nothing is sent for a second
    for (const q of limited) {
      const answered = q.started_at_ms + q.duration_ms;
      const early = reqs.filter((x) => x.started_at_ms > answered + 50 && x.started_at_ms < answered + 900);
      assert.deepEqual(early.map((x) => x.id), [], "no request within the Retry-After second");
    }
    await assertInvariants(sql, ids);
  } finally {
    if (fault) await removeFault(fault);
    await sql.end();
  }
});

Deno.test("balance_insufficient: failed attempt with backoff, exhausted after 3, the admin's trigger pays it", () =>
  withTransferFault("balance_insufficient", { times: 3 }, async (sql, p) => {
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      if (attempt > 1) {
        // the backoff is hours: an admin moves the retry to now (audited), the claim does the rest
        await sql`select private.reschedule_payout_schedule(${p.scheduleId}, now(), 'payout-run test: retry now')`;
      }
      await runOnce(sql);
      const s = await schedule(sql, p.scheduleId!);
      assert.equal(s.status, "failed");
      assert.equal(s.retry_count, attempt);
      assert.match(s.failure_reason!, /balance_insufficient/);
      const [t] = (await tranches(sql, [p.id])).filter((x) => x.attempt_number === attempt);
      assert.equal(t.status, "failed");
      if (attempt < 3) {
        const [{ d }] = await sql<{ d: number }[]>`
        select extract(epoch from s.next_attempt_at - t.failed_at)::int as d
        from public.payout_schedules s join public.payout_transfers t on t.schedule_id = s.id
        where s.id = ${p.scheduleId} and t.attempt_number = ${attempt}`;
        delays.push(d);
      } else {
        assert.equal(s.is_exhausted, true);
        assert.equal(s.next_attempt_at, null);
      }
    }
    assert.deepEqual(delays, [3600, 7200], "backoff 1 h, then 2 h");
    // exhausted: nothing claims it any more
    await runOnce(sql);
    assert.equal((await tranches(sql, [p.id])).length, 3);
    assert.deepEqual(await ledgerTransfers([p.id]), []);

    // the admin's trigger (through PostgREST, as a platform admin): one more attempt, now
    const email = `admin-${crypto.randomUUID()}@test.invalid`;
    const admin = await createUser(sql, email);
    await sql`select private.bootstrap_platform_admin(${email})`;
    const client = createClient(SUPABASE_URL(), stackEnv("SUPABASE_ANON_KEY"), {
      global: { headers: { Authorization: `Bearer ${admin.jwt}` } },
      auth: { persistSession: false },
    });
    const { error } = await client.rpc("trigger_payout_schedule", {
      p_schedule_id: p.scheduleId,
      p_reason: "balance topped up",
    });
    assert.equal(error, null, JSON.stringify(error));
    await runOnce(sql);
    await allPaid(sql, [p.id]);
    const rows = await tranches(sql, [p.id]);
    assert.deepEqual(rows.map((t) => `${t.attempt_number} ${t.status}`), [
      "1 failed",
      "2 failed",
      "3 failed",
      "4 succeeded",
    ]);
    assert.equal(new Set(rows.map((t) => t.idempotency_key)).size, 4, "a new key per attempt");
    await assertInvariants(sql, [p.id]);
  }));

Deno.test("account without the transfers capability: one payout.connect_required, paid once enabled", async () => {
  const sql = adminSql();
  try {
    // the platform believes the account is active; Stripe knows better
    const f = await createPlacement(sql, {
      shares: [10000],
      recruiters: [{ capability: "active", standinCapability: "inactive" }],
    });
    const p = f.payouts[0];
    await runOnce(sql);
    let s = await schedule(sql, p.scheduleId!);
    assert.equal(s.status, "failed");
    assert.equal(s.retry_count, 1, "counts toward the attempts");
    assert.match(s.failure_reason!, /insufficient_capabilities_for_transfer/);
    const [r] =
      await sql`select stripe_transfers_capability, can_receive_transfers from public.recruiters where id = ${p.recruiterId}`;
    assert.deepEqual([r.stripe_transfers_capability, r.can_receive_transfers], ["inactive", false], "mirror corrected");

    // retried while the account still cannot receive: skipped by the claim, no second notification
    await sql`select private.reschedule_payout_schedule(${p.scheduleId}, now(), 'payout-run test: retry now')`;
    await runOnce(sql);
    s = await schedule(sql, p.scheduleId!);
    assert.equal(s.skip_reason, "recruiter_cannot_receive_transfers");
    assert.equal(s.retry_count, 1, "a skip is not an attempt");
    const connect = (await events(sql, [p.id])).filter((e) => e.event_type === "payout.connect_required");
    assert.equal(connect.length, 1, "exactly one payout.connect_required");

    // onboarding done: Stripe and the mirror (the webhook's job) say active; the payout is paid
    await standin("POST", "/_standin/accounts", { id: p.account, capabilities: { transfers: "active" } });
    await sql`select private.set_recruiter_connect_account(${p.recruiterId}, ${p.account}, 'active', now())`;
    await sql`select private.trigger_payout_schedule(${p.scheduleId}, 'account enabled', now())`;
    await runOnce(sql);
    await allPaid(sql, [p.id]);
    assert.equal((await ledgerTransfers([p.id])).length, 1);
    assert.equal((await events(sql, [p.id])).filter((e) => e.event_type === "payout.connect_required").length, 1);
    await assertInvariants(sql, [p.id]);
  } finally {
    await sql.end();
  }
});

Deno.test("500 after the transfer was made: unknown, reconciled by listing the transfer_group, adopted: one transfer", () =>
  withTransferFault("error_500_after", {}, async (sql, p) => {
    const first = await runOnce(sql);
    assert.ok(Number(first.unknown) >= 1);
    const [t] = await tranches(sql, [p.id]);
    assert.equal(t.status, "unknown");
    assert.equal((await ledgerTransfers([p.id])).length, 1, "the money moved at Stripe");
    await claimFree(sql, p.scheduleId!); // the settle delay
    const second = await runOnce(sql);
    assert.ok(Number(second.adopted) >= 1);
    await allPaid(sql, [p.id]);
    const [done] = await tranches(sql, [p.id]);
    assert.equal(done.stripe_transfer_id, (await ledgerTransfers([p.id]))[0].id);
    const posts = await transferPosts(t.idempotency_key);
    assert.equal(posts.length, 1, "never sent again: the stored 500 would only replay");
    await assertInvariants(sql, [p.id]);
  }));

Deno.test("500 before anything moved: unknown, nothing found after the settle delay, a new attempt with a new key", () =>
  withTransferFault("error_500_before", {}, async (sql, p) => {
    await runOnce(sql);
    assert.equal((await tranches(sql, [p.id]))[0].status, "unknown");
    await claimFree(sql, p.scheduleId!);
    await runOnce(sql);
    const s = await schedule(sql, p.scheduleId!);
    assert.equal(s.status, "failed");
    assert.match(s.failure_reason!, /no transfer/);
    await sql`select private.reschedule_payout_schedule(${p.scheduleId}, now(), 'payout-run test: retry now')`;
    await runOnce(sql);
    await allPaid(sql, [p.id]);
    const rows = await tranches(sql, [p.id]);
    assert.deepEqual(rows.map((t) => `${t.attempt_number} ${t.status}`), ["1 failed", "2 succeeded"]);
    assert.notEqual(rows[0].idempotency_key, rows[1].idempotency_key);
    assert.equal((await ledgerTransfers([p.id])).length, 1);
    await assertInvariants(sql, [p.id]);
  }));

Deno.test("dropped connection after Stripe made the transfer: retried with the same key, replayed: one transfer", () =>
  withTransferFault("drop_after", {}, async (sql, p) => {
    await runOnce(sql);
    await allPaid(sql, [p.id]);
    const [t] = await tranches(sql, [p.id]);
    const posts = await transferPosts(t.idempotency_key);
    assert.equal(posts.length, 2, "sent twice under one key");
    assert.equal(posts.filter((q) => q.status === 200).length, 1, "the second got the replay");
    assert.equal((await ledgerTransfers([p.id])).length, 1);
    await assertInvariants(sql, [p.id]);
  }));
