/**
 * reconcile-payouts and public.payout_alerts against the real stack: each seeded discrepancy is
 * found (transfer missing in Stripe, unknown to us, mismatching; tranche stuck past its lease,
 * schedule exhausted, webhook processing failure, hold past its release date, outstanding
 * clawback), a clean ledger gives nothing, only admins read the view. The stack is shared with
 * other tests: alerts are filtered to this test's own ids.
 */
import assert from "node:assert/strict";
import { createBudget, createCpuMeter } from "../_shared/platform/budget.ts";
import { createLogger } from "../_shared/platform/log.ts";
import type { TransferInfo } from "../_shared/platform/stripe.ts";
import { reconcile, type ReconcileDb, type ReconcileRun, type ReconcileStripe } from "../_shared/stripe_sync/reconciliation.ts";
import {
  adminSql,
  claimOnly,
  makeAdmin,
  makePlacement,
  makeRecruiter,
  markInvoicePaid,
  paidPlacement,
  payoutsOf,
  recordInvoice,
  rest,
  ringFunction,
  seedStripeInvoice,
  sendEvents,
  standin,
  stripeClient,
  stripeId,
  useWebhookEndpoint,
  userJwt,
} from "./stripe_sync_test_support.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const HOUR = 3600_000;

type Alert = { kind: string; subject_id: string; placement_id: string | null; payout_id: string | null; details: any };

// ---------------------------------------------------------------------------------------------
// Unit: a run in parts within the isolate's budget (virtual clock, injected CPU meter)
// ---------------------------------------------------------------------------------------------
const quiet = createLogger({}, { sink: () => {} });
const T0 = Date.parse("2026-11-30T00:00:00Z");
const S0 = T0 / 1000;

/**
 * Stripe with `transfers` (created = S0 + seconds), listed newest first in pages of `pageSize`;
 * each page costs `cpuPerPage` of (injected) CPU. Our tranches: `tranches` (succeeded at S0 + s,
 * id `tr_<s>`). The run's window: [S0, S0 + 1000 s].
 */
function reconcileWorld(o: {
  transfers: number[];
  tranches?: number[];
  pageSize?: number;
  cpuAtStart: number;
  cpuPerPage: number;
  coveredFrom?: number;
}) {
  let cpu = o.cpuAtStart;
  const calls: string[] = [];
  const info = (s: number, i: number): TransferInfo => ({
    id: `tr_${s}_${i}`,
    amount: 1,
    currency: "usd",
    destination: "acct_1",
    created: S0 + s,
    transfer_group: null,
    source_transaction: null,
    metadata: {},
  });
  const all = o.transfers.map(info).sort((a, b) => b.created - a.created || (a.id < b.id ? 1 : -1));
  const records: Array<{ ids: string[]; missing: string[]; coveredFrom: number | null }> = [];
  const run: ReconcileRun = {
    since: new Date(T0),
    window_end: new Date(T0 + 1_000_000),
    covered_from: o.coveredFrom === undefined ? null : new Date(T0 + o.coveredFrom * 1000),
    status: "running",
  };
  const db: ReconcileDb = {
    begin: () => Promise.resolve(run),
    tranches: (since, until) => {
      calls.push(`tranches ${(since.getTime() - T0) / 1000}..${(until.getTime() - T0) / 1000}`);
      return Promise.resolve(
        (o.tranches ?? []).filter((s) => T0 + s * 1000 >= since.getTime() && T0 + s * 1000 <= until.getTime()).sort((
          a,
          b,
        ) => a - b).map((s) => ({ stripe_transfer_id: `tr_t${s}`, succeeded_at: new Date(T0 + s * 1000 + 400) })),
      );
    },
    record: (_id, transfers, missing, coveredFrom) => {
      records.push({
        ids: transfers.map((t) => t.id),
        missing,
        coveredFrom: coveredFrom ? (coveredFrom.getTime() - T0) / 1000 : null,
      });
      return Promise.resolve({ status: coveredFrom ? "running" : "finished" });
    },
    fail: () => Promise.resolve(),
    applyOffsets: () => {
      calls.push("offsets");
      return Promise.resolve(0);
    },
    handover: () => {
      calls.push("handover");
      return Promise.resolve(7);
    },
  };
  const stripe: ReconcileStripe = {
    listTransfers: (since, until, after) => {
      const inWindow = all.filter((t) => t.created >= since && t.created <= until);
      const start = after ? inWindow.findIndex((t) => t.id === after) + 1 : 0;
      const data = inWindow.slice(start, start + (o.pageSize ?? 100));
      calls.push(`page ${until - S0}${after ? " after" : ""}`);
      cpu += o.cpuPerPage;
      return Promise.resolve({ kind: "ok", attempts: 1, value: { data, has_more: start + data.length < inWindow.length } });
    },
    retrieveTransfer: (id) => {
      calls.push(`read ${id}`);
      cpu += 5;
      return Promise.resolve(null);
    },
  };
  const meter = createCpuMeter({ measured: () => cpu, startMs: 0, cacheMs: 0 });
  const budget = createBudget(100_000, { now: () => 0, cpu: { meter, stopAtMs: 1_500 } });
  return {
    calls,
    records,
    go: (retry?: (stop: () => boolean) => Promise<{ retried: number; failed: number }>) =>
      reconcile({ db, stripe, log: quiet, budget, retryWebhooks: retry }, { runId: "run", overlapS: 0 }),
  };
}

Deno.test("reconcile: a window listed within the budget is recorded whole; then netting and webhook retries", async () => {
  const w = reconcileWorld({ transfers: [10, 20, 30], tranches: [20, 25], cpuAtStart: 300, cpuPerPage: 5 });
  const out = await w.go(() => Promise.resolve({ retried: 1, failed: 0 }));
  assert.equal(w.records.length, 1);
  assert.equal(w.records[0].coveredFrom, null, "the run is done");
  assert.deepEqual(w.records[0].missing, ["tr_t25", "tr_t20"], "our tranches Stripe did not list: read (newest first)");
  assert.ok(w.calls.includes("offsets") && !w.calls.includes("handover"));
  assert.deepEqual(out.webhooks, { retried: 1, failed: 0 });
});

Deno.test("reconcile: stopped for CPU between pages: the part down to that page's oldest second is recorded, then it hands over", async () => {
  // 250 transfers, one per second 751..1000 (pages: 1000..901, 900..801, 800..751); 700 ms a page
  const seconds = Array.from({ length: 250 }, (_, i) => 1000 - i);
  const w = reconcileWorld({ transfers: seconds, tranches: [600], cpuAtStart: 200, cpuPerPage: 700 });
  const out = await w.go(() => Promise.reject(new Error("no retries before the run is done")));
  // after page 2 (900..801) the meter reads 1 600 (past 1 500): everything created from second 802 on
  // is listed (more of second 801 may follow on the next page)
  assert.deepEqual(w.records.map((r) => [r.ids.length, r.coveredFrom]), [[200, 802]]);
  assert.deepEqual(w.calls.filter((c) => c.startsWith("tranches")), ["tranches 802..1000"], "only this part's tranches");
  assert.deepEqual(w.records[0].missing, [], "tranche 600 is below this part");
  assert.equal(w.calls.at(-1), "handover");
  assert.ok(!w.calls.includes("offsets"), "netting and retries wait for the last part");
  assert.deepEqual([out.stopped, out.handover], ["cpu", 7]);
});

Deno.test("reconcile: a continuation lists below where the last part ended and finishes the run", async () => {
  const seconds = Array.from({ length: 250 }, (_, i) => 1000 - i);
  const w = reconcileWorld({ transfers: seconds, tranches: [600], cpuAtStart: 200, cpuPerPage: 5, coveredFrom: 801 });
  await w.go();
  assert.equal(w.calls[0], "page 801", "the part's top: the boundary second is listed again");
  assert.deepEqual(w.calls.filter((c) => c.startsWith("tranches")), ["tranches 0..801"]);
  assert.deepEqual(w.records.map((r) => [r.ids.length, r.coveredFrom]), [[51, null]]);
  assert.deepEqual(w.records[0].missing, ["tr_t600"]);
  assert.ok(w.calls.includes("offsets") && !w.calls.includes("handover"));
});

Deno.test("reconcile: a stop that would not move the part's bottom is ignored (hand-overs always progress)", async () => {
  // 150 transfers all created in the window's last second: the first page cannot end a part
  const w = reconcileWorld({ transfers: Array(150).fill(1000), cpuAtStart: 1_490, cpuPerPage: 50 });
  await w.go();
  assert.deepEqual(w.records.map((r) => [r.ids.length, r.coveredFrom]), [[150, null]]);
  assert.ok(!w.calls.includes("handover"));
});

Deno.test("reconcile: stopped among the tranche reads (newest first): the part ends above the next one's second", async () => {
  const w = reconcileWorld({ transfers: [999], tranches: [900, 700, 500], cpuAtStart: 1_490, cpuPerPage: 0 });
  // 1 490 + 5 (read of 900) = 1 495; + 5 (read of 700) = 1 500: the line, before 500 is read
  await w.go();
  assert.deepEqual(w.calls.filter((c) => c.startsWith("read")), ["read tr_t900", "read tr_t700"]);
  assert.deepEqual(w.records.map((r) => [r.missing, r.coveredFrom]), [[["tr_t900", "tr_t700"], 501]]);
  assert.equal(w.calls.at(-1), "handover");
});

Deno.test("reconcile: webhook retries stop when the budget says so", async () => {
  const w = reconcileWorld({ transfers: [1], cpuAtStart: 1_400, cpuPerPage: 0 });
  let checks = 0;
  await w.go((stop) => {
    const seen = [stop(), stop()];
    checks = seen.length;
    return Promise.resolve({ retried: seen.filter((x) => !x).length, failed: 0 });
  });
  assert.equal(checks, 2);
});

Deno.test("reconciliation finds each seeded discrepancy, and nothing on a clean ledger", opts, async () => {
  const sql = adminSql();
  const stripe = stripeClient();
  const restore = await useWebhookEndpoint();
  try {
    const r = await makeRecruiter(sql);
    const admin = await makeAdmin(sql);

    // a clean placement: paid, transferred, recorded
    const clean = await paidPlacement(sql, stripe, { recruiters: [r.id], shares: [5000], fee: 10000 });
    const cleanPayouts = (await payoutsOf(sql, clean.placementId)).map((p) => p.id);

    // placements whose payouts are due (invoice paid 10 days ago), not claimed yet
    async function duePayouts(n: number) {
      const recruiters = [];
      for (let i = 0; i < n; i++) recruiters.push((await makeRecruiter(sql)).id);
      const placementId = await makePlacement(sql, { recruiters, shares: recruiters.map(() => 2000), fee: 50000 });
      const inv = await seedStripeInvoice({ amount: 50000 });
      await recordInvoice(sql, placementId, inv.invoice.id);
      await markInvoicePaid(sql, inv, 50000);
      return (await payoutsOf(sql, placementId)).map((p) => p.id as string);
    }
    const [missingP, mismatchP, stuckP, exhaustedP] = await duePayouts(4);

    // 1. missing in Stripe: a tranche recorded as succeeded with a transfer Stripe never made
    const [c1] = await claimOnly(sql, [missingP], new Date(Date.now() + 60_000));
    const ghost = stripeId("tr");
    await sql`select private.complete_payout_transfer(${c1.transfer_id}, ${ghost}, now())`;

    // 2. mismatch: Stripe's transfer for the tranche is 1 cent short
    const [c2] = await claimOnly(sql, [mismatchP], new Date(Date.now() + 60_000));
    const short = await stripe.transfers.create({
      amount: Number(c2.amount) - 1,
      currency: "usd",
      destination: c2.destination_account_id,
      metadata: { payout_transfer_id: c2.transfer_id, payout_id: c2.payout_id },
    });
    await sql`select private.complete_payout_transfer(${c2.transfer_id}, ${short.id}, now())`;

    // 3. unknown to us: a transfer made at Stripe outside the system
    const stray = await stripe.transfers.create({ amount: 777, currency: "usd", destination: r.account });

    // 4. stuck: claimed two hours ago (lease 15 min), never resolved
    const [c4] = await claimOnly(sql, [stuckP], new Date(Date.now() - 2 * HOUR));
    assert.equal(c4.outcome, "claimed");

    // 5. exhausted: three failed attempts
    let t = Date.now() - 10 * HOUR;
    for (let i = 0; i < 3; i++) {
      const [c] = await claimOnly(sql, [exhaustedP], new Date(t));
      assert.equal(c.outcome, "claimed", `attempt ${i + 1}`);
      const [s] = await sql`select private.fail_payout_transfer(${c.transfer_id}, 'declined', ${new Date(t + 60_000)})`;
      assert.ok(s);
      const [sch] = await sql`select next_attempt_at from public.payout_schedules where payout_id = ${exhaustedP}
        and status = 'failed'`;
      t = sch.next_attempt_at ? new Date(sch.next_attempt_at).getTime() : t;
    }
    const [ex] = await sql`select id, is_exhausted from public.payout_schedules where payout_id = ${exhaustedP}`;
    assert.equal(ex.is_exhausted, true);

    // 6. webhook processing failure: a dispute on a charge nobody knows
    const failed = await sendEvents({
      type: "charge.dispute.created",
      data: { object: { id: stripeId("dp"), object: "dispute", amount: 5, currency: "usd", charge: stripeId("ch") } },
    });
    assert.equal(failed.deliveries[0].status, 500);

    // 7. a hold past its release date: guarantee 0 days, hired 5 days ago, the release job never ran
    const holdR = await makeRecruiter(sql);
    const holdPl = await makePlacement(sql, { recruiters: [holdR.id], shares: [5000], fee: 8000, holdbackBps: 10000,
      guaranteeDays: 0, hiredDaysAgo: 5 });
    await recordInvoice(sql, holdPl, stripeId("in"));
    const [hold] = await sql`select id from public.escrow_holds where placement_id = ${holdPl}`;

    // 8. an outstanding clawback: a reversal the connected account could not cover at all
    const owedR = await makeRecruiter(sql);
    const owed = await paidPlacement(sql, stripe, { recruiters: [owedR.id], shares: [5000], fee: 4000 });
    const [owedPayout] = await payoutsOf(sql, owed.placementId);
    const [req] = await sql`select * from private.request_payout_reversal(${owedPayout.id}, 'placement failed', now())`;
    await sql`select 1 from private.claim_payout_reversals(gen_random_uuid(), 100, '1 minute', now())
      where id = ${req.id}`;
    await sql`select private.plan_partial_payout_reversal(${req.id}, 0)`;
    await sql`select private.complete_payout_reversal(${req.id}, '[]'::jsonb)`;
    const [claw] = await sql`select id from public.recruiter_clawbacks where payout_reversal_id = ${req.id}`;

    // reconcile (the cron rings it the same way)
    const run = await ringFunction("reconcile-payouts", { window_start: new Date(Date.now() - 3 * HOUR).toISOString() });
    assert.equal(run.status, 200, JSON.stringify(run.body));
    assert.equal(run.body.status, "finished");

    const alerts = (await rest(admin.jwt, "GET", "payout_alerts?select=*")).body as Alert[];
    const has = (kind: string, subject: string) => alerts.some((a) => a.kind === kind && a.subject_id === subject);
    assert.ok(has("transfer_missing_in_stripe", c1.transfer_id), "missing in Stripe");
    const mm = alerts.find((a) => a.kind === "transfer_mismatch" && a.subject_id === short.id);
    assert.deepEqual(mm?.details.fields, ["amount"], "mismatch: the amount");
    const unknown = alerts.find((a) => a.kind === "transfer_unknown_to_us" && a.subject_id === stray.id);
    assert.equal(unknown?.details.reason, "no_metadata", "unknown to us");
    assert.ok(has("tranche_stuck", c4.transfer_id), "stuck past its lease");
    assert.ok(has("schedule_exhausted", ex.id), "exhausted after 3 attempts");
    assert.ok(has("webhook_processing_failed", failed.events[0].id), "webhook failure");
    assert.ok(has("hold_past_release_date", hold.id), "hold past its release date");
    assert.ok(has("clawback_outstanding", claw.id), "outstanding clawback");
    assert.ok(has("payout_flagged_for_reversal", owedPayout.id) === false, "a reversal was requested: not listed as flagged");

    // the clean placement: nothing about it
    const cleanIds = new Set([clean.placementId, ...cleanPayouts, ...Object.values(clean.transfers)]);
    assert.deepEqual(
      alerts.filter((a) => cleanIds.has(a.placement_id ?? "") || cleanIds.has(a.payout_id ?? "") || cleanIds.has(a.subject_id)),
      [],
      "a clean ledger has no alert",
    );

    // another run: the same findings, not twice; only admins read the view
    const run2 = await ringFunction("reconcile-payouts", { window_start: new Date(Date.now() - 3 * HOUR).toISOString() });
    assert.equal(run2.status, 200);
    const findings = await sql`select kind, count(*)::int as n from private.reconciliation_findings
      where resolved_at is null and subject in (${c1.transfer_id}, ${short.id}, ${stray.id}) group by kind order by kind`;
    assert.deepEqual(findings.map((f) => [f.kind, f.n]).sort(), [
      ["transfer_mismatch", 1],
      ["transfer_missing_in_stripe", 1],
      ["transfer_unknown_to_us", 1],
    ]);
    const asRecruiter = await rest(await userJwt(r.userId), "GET", "payout_alerts?select=kind");
    assert.equal(asRecruiter.status, 200);
    assert.deepEqual(asRecruiter.body, [], "a recruiter reads no alert");
    const anon = await fetch(`${Deno.env.get("SUPABASE_URL")}/rest/v1/payout_alerts`, {
      headers: { apikey: Deno.env.get("SUPABASE_ANON_KEY") ?? "" },
    });
    assert.equal(anon.status, 401);
    await anon.body?.cancel();
  } finally {
    await restore();
    await sql.end();
  }
});

Deno.test("reconciliation on a window with only clean transfers: no finding, the run finishes", opts, async () => {
  const sql = adminSql();
  const stripe = stripeClient();
  try {
    const r = await makeRecruiter(sql);
    const clean = await paidPlacement(sql, stripe, { recruiters: [r.id], shares: [4000], fee: 6000 });
    const since = new Date(Date.now() - 60_000).toISOString();
    const run = await ringFunction("reconcile-payouts", { window_start: since, overlap_seconds: 0, retry_webhooks: false });
    assert.equal(run.status, 200);
    const [row] = await sql`select * from private.stripe_reconciliation_runs where id = ${run.body.run_id}`;
    assert.equal(row.status, "finished");
    assert.ok(row.stripe_transfers >= 1);
    const mine = await sql`select * from private.reconciliation_findings where placement_id = ${clean.placementId}
      or stripe_transfer_id = any(${Object.values(clean.transfers)}::text[])`;
    assert.equal(mine.length, 0);
    const alerts = await sql`select * from public.payout_alerts where placement_id = ${clean.placementId}
      or subject_id = any(${Object.values(clean.transfers)}::text[])`;
    assert.equal(alerts.length, 0);
    const bad = await ringFunction("reconcile-payouts", { overlap_seconds: -1 });
    assert.equal(bad.status, 400);
  } finally {
    await sql.end();
  }
});

Deno.test(
  "reconciliation while Stripe's transfer listing keeps failing: 502 stripe_unavailable, the run recorded failed",
  opts,
  async () => {
    const sql = adminSql();
    try {
      const since = new Date(Date.now() - 60_000).toISOString();
      const body = { window_start: since, overlap_seconds: 0, retry_webhooks: false };
      // every attempt's connection dropped before Stripe saw it (more drops than the call makes attempts)
      await standin("POST", "/_standin/faults", { kind: "drop_before", method: "GET", path: "/v1/transfers", times: 20 });
      const runId = crypto.randomUUID();
      let res;
      try {
        res = await ringFunction("reconcile-payouts", { ...body, run_id: runId });
      } finally {
        await standin("DELETE", "/_standin/faults");
      }
      assert.deepEqual([res.status, res.body], [502, { error: "bad_gateway", reason: "stripe_unavailable" }]);
      const [failed] = await sql`select status, error from private.stripe_reconciliation_runs where id = ${runId}`;
      assert.equal(failed.status, "failed");
      assert.match(failed.error.message, /^transfers\.list: retry_same_key/);
      // Stripe is back: the next run covers the same window and finishes
      const again = await ringFunction("reconcile-payouts", body);
      assert.equal(again.status, 200, JSON.stringify(again.body));
      const [row] = await sql`select status from private.stripe_reconciliation_runs where id = ${again.body.run_id}`;
      assert.equal(row.status, "finished");
    } finally {
      await sql.end();
    }
  },
);
