/**
 * Reversals and clawback: the worker's decisions (unit, fakes), then against the real stack:
 * reverse_payout (admin RPC) → reverse-payouts → transfers.createReversal exactly once, also when
 * the function is killed mid-call; a partial reversal (low connected balance) → the shortfall owed
 * by the recruiter and netted against their next payout.
 */
import assert from "node:assert/strict";
import { createBudget, createCpuMeter } from "../_shared/platform/budget.ts";
import { createLogger } from "../_shared/platform/log.ts";
import {
  type ClaimedReversal,
  processReversal,
  REVERSAL_CPU_MS,
  type ReversalDb,
  type ReversalStripe,
  runReversals,
} from "../_shared/stripe_sync/reversals.ts";
import type { ReversalInfo } from "../_shared/stripe_sync/events.ts";
import {
  adminSql,
  claimOnly,
  eventually,
  functionWorkerPids,
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
  standin,
  stripeClient,
  userJwt,
} from "./stripe_sync_test_support.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const quiet = createLogger({}, { sink: () => {} });

// ---------------------------------------------------------------------------------------------
// Unit: the worker's decisions
// ---------------------------------------------------------------------------------------------
function fakes(over: { existing?: ReversalInfo[]; create?: ReversalStripe["createReversal"]; available?: number } = {}) {
  const calls: string[] = [];
  let plan: number | null = null;
  const row: ClaimedReversal = {
    id: "r1",
    payout_id: "p1",
    transfer_id: "t1",
    stripe_transfer_id: "tr_1",
    destination_account_id: "acct_1",
    currency: "USD",
    amount: "1000",
    idempotency_key: "payout_reversal:r1",
    partial_amount: null,
    partial_idempotency_key: null,
    attempts: 1,
  };
  const db: ReversalDb = {
    claim: () => Promise.resolve([]),
    planPartial: (_id, available) => {
      plan ??= Math.min(available, 1000);
      calls.push(`plan ${plan}`);
      return Promise.resolve({ ...row, partial_amount: String(plan), partial_idempotency_key: "payout_reversal:r1:partial" });
    },
    complete: (_id, reversals) => {
      const sum = reversals.reduce((n, r) => n + r.amount, 0);
      calls.push(`complete ${reversals.map((r) => r.id).join(",")}`);
      return Promise.resolve({
        status: sum >= 1000 ? "succeeded" : "partial",
        reversed_amount: String(sum),
        shortfall_amount: String(1000 - sum),
      });
    },
    fail: (_id, code) => {
      calls.push(`fail ${code}`);
      return Promise.resolve();
    },
    noteError: (_id, e) => {
      calls.push(`defer ${e.code}`);
      return Promise.resolve();
    },
    release: () => Promise.resolve(0),
    handover: () => Promise.resolve(null),
  };
  const stripe: ReversalStripe = {
    listReversals: () => Promise.resolve(over.existing ?? []),
    createReversal: over.create ?? ((_t, amount, metadata, key) => {
      calls.push(`create ${amount} ${key}`);
      return Promise.resolve({ kind: "ok", attempts: 1, value: { id: `trr_${amount}`, amount, currency: "usd", created: 1, metadata } });
    }),
    availableBalance: () => Promise.resolve(over.available ?? 0),
  };
  return { row, db, stripe, calls };
}

Deno.test("processReversal: full reversal under the stored key", async () => {
  const f = fakes();
  assert.equal(await processReversal(f.row, { ...f, log: quiet }), "succeeded");
  assert.deepEqual(f.calls, ["create 1000 payout_reversal:r1", "complete trr_1000"]);
});

Deno.test("processReversal: a reversal made before a crash is adopted, not made again", async () => {
  const mine = { id: "trr_old", amount: 1000, currency: "usd", created: 1, metadata: { payout_reversal_id: "r1", phase: "full" } };
  const other = { id: "trr_x", amount: 5, currency: "usd", created: 1, metadata: {} };
  const f = fakes({ existing: [other, mine] });
  assert.equal(await processReversal(f.row, { ...f, log: quiet }), "succeeded");
  assert.deepEqual(f.calls, ["complete trr_old"]);
});

Deno.test("processReversal: low balance -> partial plan stored first, then the smaller reversal", async () => {
  const seen: string[] = [];
  const f = fakes({
    available: 300,
    create: (_t, amount, metadata, key) => {
      seen.push(`${amount} ${key}`);
      return Promise.resolve(
        amount === 1000
          ? {
            kind: "definitive_failure",
            code: "balance_insufficient",
            message: "low",
            stopRun: false,
            mayHaveExecuted: false,
            attempts: 1,
            error: null,
          }
          : { kind: "ok", attempts: 1, value: { id: "trr_p", amount, currency: "usd", created: 1, metadata } },
      );
    },
  });
  assert.equal(await processReversal(f.row, { ...f, log: quiet }), "partial");
  assert.deepEqual(seen, ["1000 payout_reversal:r1", "300 payout_reversal:r1:partial"]);
  assert.deepEqual(f.calls, ["plan 300", "complete trr_p"]);
  // nothing available: no second call, all of it owed
  const g = fakes({
    available: 0,
    create: () =>
      Promise.resolve({
        kind: "definitive_failure",
        code: "balance_insufficient",
        message: "low",
        stopRun: false,
        mayHaveExecuted: false,
        attempts: 1,
        error: null,
      }),
  });
  assert.equal(await processReversal(g.row, { ...g, log: quiet }), "partial");
  assert.deepEqual(g.calls, ["plan 0", "complete "]);
});

Deno.test("processReversal: other refusals fail, unknown outcomes are retried later", async () => {
  const f = fakes({
    create: () =>
      Promise.resolve({
        kind: "definitive_failure",
        code: "transfer_already_reversed",
        message: "x",
        stopRun: false,
        mayHaveExecuted: false,
        attempts: 1,
        error: null,
      }),
  });
  assert.equal(await processReversal(f.row, { ...f, log: quiet }), "failed");
  assert.deepEqual(f.calls, ["fail transfer_already_reversed"]);
  const g = fakes({
    create: () => Promise.resolve({ kind: "unknown_outcome", reason: "stripe_500", mayHaveExecuted: true, attempts: 1, error: null }),
  });
  assert.equal(await processReversal(g.row, { ...g, log: quiet }), "deferred");
  assert.deepEqual(g.calls, ["defer unknown_outcome"]);
});

// ---------------------------------------------------------------------------------------------
// Unit: the run within the isolate's budget (virtual clock, injected CPU meter)
// ---------------------------------------------------------------------------------------------
/**
 * A worker over `pending` requests: each one processed costs `cpuPerRequest` ms of (injected) CPU.
 * `measured: false` = a runtime that reports no CPU: only what the run charges counts.
 */
function budgetedRun(o: { pending: number; cpuAtStart: number; cpuPerRequest: number; measured?: boolean; wallMs?: number }) {
  let cpu = o.cpuAtStart;
  let clock = 0;
  const calls: string[] = [];
  const queue = Array.from({ length: o.pending }, (_, i) => `r${i + 1}`);
  const row = (id: string): ClaimedReversal => ({
    id,
    payout_id: `p_${id}`,
    transfer_id: `t_${id}`,
    stripe_transfer_id: `tr_${id}`,
    destination_account_id: "acct_1",
    currency: "USD",
    amount: "100",
    idempotency_key: `payout_reversal:${id}`,
    partial_amount: null,
    partial_idempotency_key: null,
    attempts: 1,
  });
  const db: ReversalDb = {
    claim: (limit) => {
      const ids = queue.splice(0, limit);
      calls.push(`claim ${ids.length}`);
      return Promise.resolve(ids.map(row));
    },
    planPartial: () => Promise.reject(new Error("not in this test")),
    complete: (id) => {
      calls.push(`complete ${id}`);
      return Promise.resolve({ status: "succeeded", reversed_amount: "100", shortfall_amount: "0" });
    },
    fail: () => Promise.resolve(),
    noteError: () => Promise.resolve(),
    release: (ids) => {
      calls.push(`release ${ids.join(",")}`);
      queue.unshift(...ids);
      return Promise.resolve(ids.length);
    },
    handover: () => {
      calls.push("handover");
      return Promise.resolve(queue.length > 0 ? 42 : null);
    },
  };
  const stripe: ReversalStripe = {
    listReversals: () => Promise.resolve([]),
    createReversal: (_t, amount, metadata) => {
      cpu += o.cpuPerRequest;
      clock += 50;
      return Promise.resolve({ kind: "ok", attempts: 1, value: { id: "trr", amount, currency: "usd", created: 1, metadata } });
    },
    availableBalance: () => Promise.resolve(0),
  };
  const meter = createCpuMeter({ measured: () => (o.measured === false ? null : cpu), startMs: 0, cacheMs: 0 });
  const budget = createBudget(o.wallMs ?? 100_000, { now: () => clock, cpu: { meter, stopAtMs: 1_500 } });
  return {
    calls,
    queue,
    meter,
    run: (limit = 10) => runReversals({ db, stripe, log: quiet, budget }, { limit, leaseS: 120, stopMarginMs: 5_000 }),
  };
}

Deno.test("runReversals: all done within the budget: no stop, no hand-over", async () => {
  const w = budgetedRun({ pending: 12, cpuAtStart: 200, cpuPerRequest: 10 });
  const out = await w.run();
  assert.deepEqual([out.claimed, out.succeeded, out.stopped, out.handover], [12, 12, null, null]);
  assert.ok(!w.calls.includes("handover"));
});

Deno.test("runReversals: the CPU stop line ends claiming; the batch in hand is finished, then it hands over", async () => {
  // 1 300 ms at the start, 30 ms a request: the line (1 500 ms) is crossed in the first batch of 10
  const w = budgetedRun({ pending: 25, cpuAtStart: 1_300, cpuPerRequest: 30 });
  const out = await w.run();
  assert.deepEqual([out.claimed, out.succeeded, out.handed_back, out.stopped], [10, 10, 0, "cpu"]);
  assert.equal(w.calls.filter((c) => c.startsWith("claim")).length, 1, "no second claim past the line");
  assert.equal(w.calls.at(-1), "handover", "rung now: the retired isolate's successor continues");
  assert.equal(out.handover, 42);
  assert.equal(w.queue.length, 15);
});

Deno.test("runReversals: past the hand-back line, the rest of the claimed batch is released unstarted", async () => {
  // stop line 1 500, hand-back line 1 800 (60 % of the way to the 2 000 kill); 80 ms a request
  const w = budgetedRun({ pending: 10, cpuAtStart: 1_450, cpuPerRequest: 80 });
  const out = await w.run(10);
  // 1 450 → 1 530 → … → 1 850: five started (the fifth crossed 1 800), five handed back
  assert.deepEqual([out.claimed, out.handed_back, out.stopped], [5, 5, "cpu"]);
  assert.ok(w.calls.includes("release r6,r7,r8,r9,r10"));
  assert.equal(w.calls.at(-1), "handover");
  assert.deepEqual(w.queue, ["r6", "r7", "r8", "r9", "r10"], "claimable again at once");
});

Deno.test("runReversals: no hand-over without progress, for the wall clock, or when nothing is left", async () => {
  // already past the line at the start (no work done): no ring, so no busy loop
  const idle = budgetedRun({ pending: 3, cpuAtStart: 1_600, cpuPerRequest: 10 });
  const a = await idle.run();
  assert.deepEqual([a.claimed, a.stopped, a.handover], [0, "cpu", null]);
  assert.ok(!idle.calls.includes("handover"));
  // the wall clock: the next minute's doorbell continues (the isolate is not retired for CPU)
  const slow = budgetedRun({ pending: 30, cpuAtStart: 100, cpuPerRequest: 1, wallMs: 5_600 });
  const b = await slow.run();
  assert.equal(b.stopped, "wall_clock");
  assert.ok(!slow.calls.includes("handover"));
  // everything done exactly at the line: stopped for CPU, nothing due, the ring finds nothing to do
  const exact = budgetedRun({ pending: 5, cpuAtStart: 1_450, cpuPerRequest: 10 });
  const c = await exact.run();
  assert.deepEqual([c.claimed, c.stopped, c.handover], [5, "cpu", null]);
});

Deno.test("runReversals: where the runtime reports no CPU, the charged estimate reaches the stop line", async () => {
  const w = budgetedRun({ pending: 400, cpuAtStart: 0, cpuPerRequest: 0, measured: false });
  w.meter.charge(250); // the module load (budget.ts charges MODULE_LOAD_CPU_MS up front)
  const out = await w.run(10);
  assert.equal(out.stopped, "cpu");
  assert.equal(out.claimed, Math.ceil((1_500 - 250) / REVERSAL_CPU_MS / 10) * 10, "whole batches until the line");
  assert.equal(w.calls.at(-1), "handover");
});

// ---------------------------------------------------------------------------------------------
// Against the stack
// ---------------------------------------------------------------------------------------------
async function reversalsAtStripe(transferId: string): Promise<Array<Record<string, any>>> {
  const ledger = await standin("GET", "/_standin/ledger");
  return ledger.reversals.filter((r: any) => r.transfer === transferId);
}

Deno.test("reverse_payout: admins only; the worker reverses the transfer once, audited", opts, async () => {
  const sql = adminSql();
  const stripe = stripeClient();
  try {
    const r = await makeRecruiter(sql);
    const { placementId, transfers } = await paidPlacement(sql, stripe, { recruiters: [r.id], shares: [5000], fee: 12000 });
    const [p] = await payoutsOf(sql, placementId);
    const admin = await makeAdmin(sql);

    const denied = await rest(await userJwt(r.userId), "POST", "rpc/reverse_payout", { p_payout_id: p.id, p_reason: "x" });
    assert.equal(denied.status, 403, "a recruiter cannot reverse");
    const noReason = await rest(admin.jwt, "POST", "rpc/reverse_payout", { p_payout_id: p.id, p_reason: " " });
    assert.equal(noReason.status, 400);

    const res = await rest(admin.jwt, "POST", "rpc/reverse_payout", { p_payout_id: p.id, p_reason: "placement fell through" });
    assert.equal(res.status, 200);
    assert.equal(res.body.length, 1);
    const req = res.body[0];
    assert.equal(req.amount, 6000);
    assert.equal(req.idempotency_key, `payout_reversal:${req.id}`);
    // the RPC rang reverse-payouts (pg_net); it completes without anyone else calling
    const done = await eventually(async () => {
      const [row] = await sql`select * from public.payout_reversals where id = ${req.id}`;
      return row.status === "succeeded" ? row : null;
    }, "the reversal to succeed", 20000);
    assert.equal(Number(done.reversed_amount), 6000);
    const atStripe = await reversalsAtStripe(transfers[p.id]);
    assert.equal(atStripe.length, 1);
    assert.equal(atStripe[0].metadata.payout_reversal_id, req.id);
    const [t] = await sql`select reversed_amount from public.payout_transfers where stripe_transfer_id = ${transfers[p.id]}`;
    assert.equal(Number(t.reversed_amount), 6000);
    const [p2] = await payoutsOf(sql, placementId);
    assert.equal(Number(p2.reversed_amount), 6000);
    // audited with the admin as actor; asked again: nothing left to reverse
    const [audit] = await sql`select changed_by, changed_by_role, action from public.payout_audit_log
      where entity_type = 'payout_reversal' and entity_id = ${req.id} and operation = 'INSERT'`;
    assert.deepEqual([audit.changed_by, audit.changed_by_role, audit.action], [admin.id, "platform_admin", "payout_reversal.request"]);
    const again = await rest(admin.jwt, "POST", "rpc/reverse_payout", { p_payout_id: p.id, p_reason: "again" });
    assert.equal(again.status, 409);
    const more = await ringFunction("reverse-payouts");
    assert.equal(more.status, 200);
    assert.equal((await reversalsAtStripe(transfers[p.id])).length, 1, "still one reversal at Stripe");
    const unauthorized = await fetch(`${Deno.env.get("SUPABASE_URL")}/functions/v1/reverse-payouts`, { method: "POST" });
    assert.equal(unauthorized.status, 401);
    await unauthorized.body?.cancel();
  } finally {
    await sql.end();
  }
});

Deno.test("reversal exactly once when the function is killed during the Stripe call", opts, async () => {
  const sql = adminSql();
  const stripe = stripeClient();
  try {
    const r = await makeRecruiter(sql);
    const { placementId, transfers } = await paidPlacement(sql, stripe, { recruiters: [r.id], shares: [5000], fee: 14000 });
    const [p] = await payoutsOf(sql, placementId);
    const trId = transfers[p.id];
    // the request, without ringing the worker (this test rings it itself)
    const [req] = await sql`select * from private.request_payout_reversal(${p.id}, 'guarantee failed', now())`;
    await standin("POST", "/_standin/faults", {
      kind: "latency",
      method: "POST",
      path: `/v1/transfers/${trId}/reversals`,
      latency_ms: 2500,
    });
    try {
      const call = ringFunction("reverse-payouts", { lease_seconds: 2 }).catch((e) => e);
      await eventually(async () => {
        const log = await standin("GET", `/_standin/requests?method=POST&path=/v1/transfers/${trId}/reversals`);
        return log.data.length > 0 ? true : null;
      }, "the reversal call to start", 10000);
      // Stripe is executing the reversal; the function dies before it hears back
      const pids = await functionWorkerPids("reverse-payouts");
      assert.ok(pids.length > 0, "the function's process");
      for (const pid of pids) Deno.kill(pid, "SIGKILL");
      await call;
      const [mid] = await sql`select * from public.payout_reversals where id = ${req.id}`;
      assert.equal(mid.status, "processing", "left in flight by the killed function");
      // Stripe finishes the reversal it started (its answer has nobody to go to) ...
      await eventually(async () => {
        const log = await standin("GET", `/_standin/requests?method=POST&path=/v1/transfers/${trId}/reversals`);
        return log.data.every((d: any) => d.status !== null || d.dropped) ? true : null;
      }, "Stripe to finish the first call", 15000);
      // ... and the killed holder's lease (2 s) expires
      await eventually(async () => {
        const [x] = await sql`select lease_expires_at < now() as expired from public.payout_reversals where id = ${req.id}`;
        return x.expired ? true : null;
      }, "the lease to expire", 10000);
      const again = await ringFunction("reverse-payouts", { lease_seconds: 30 });
      assert.equal(again.status, 200);
      assert.equal(again.body.succeeded, 1);
    } finally {
      await standin("DELETE", "/_standin/faults");
    }
    const [row] = await sql`select * from public.payout_reversals where id = ${req.id}`;
    assert.equal(row.status, "succeeded");
    assert.equal(row.attempts, 2);
    const atStripe = await reversalsAtStripe(trId);
    assert.equal(atStripe.length, 1, "exactly one reversal at Stripe");
    assert.equal(atStripe[0].amount, 7000);
    const mirror = await sql`select * from private.stripe_transfer_reversals where stripe_transfer_id = ${trId}`;
    assert.equal(mirror.length, 1);
    const [t] = await sql`select reversed_amount from public.payout_transfers where stripe_transfer_id = ${trId}`;
    assert.equal(Number(t.reversed_amount), 7000);
    const completions = await sql`select count(*)::int as n from public.payout_events
      where entity_id = ${req.id} and event_type = 'payout_reversal.succeeded'`;
    assert.equal(completions[0].n, 1);
  } finally {
    await sql.end();
  }
});

Deno.test("partial reversal (low connected balance): the shortfall is owed and netted from the next payout", opts, async () => {
  const sql = adminSql();
  const stripe = stripeClient();
  try {
    const r = await makeRecruiter(sql);
    const other = await makeRecruiter(sql);
    const first = await paidPlacement(sql, stripe, { recruiters: [r.id], shares: [5000], fee: 20000 });
    const [p] = await payoutsOf(sql, first.placementId);
    // the recruiter has paid most of it out to their bank: 3000 left on the connected account
    await standin("POST", "/_standin/accounts", { id: r.account, balance: { usd: 3000 } });
    const [req] = await sql`select * from private.request_payout_reversal(${p.id}, 'placement failed', now())`;
    const run = await ringFunction("reverse-payouts");
    assert.equal(run.status, 200);
    const [row] = await sql`select * from public.payout_reversals where id = ${req.id}`;
    assert.equal(row.status, "partial");
    assert.deepEqual([Number(row.reversed_amount), Number(row.shortfall_amount)], [3000, 7000]);
    const atStripe = await reversalsAtStripe(first.transfers[p.id]);
    assert.deepEqual(atStripe.map((x: any) => x.amount), [3000]);
    const [owed] = await sql`select * from public.recruiter_clawbacks where payout_reversal_id = ${req.id}`;
    assert.deepEqual([Number(owed.amount), Number(owed.outstanding_amount), owed.status], [7000, 7000, "open"]);

    // visible to the recruiter (own) and admins, not to another recruiter
    const mine = await rest(await userJwt(r.userId), "GET", `recruiter_clawbacks?select=id,outstanding_amount`);
    assert.deepEqual(mine.body, [{ id: owed.id, outstanding_amount: 7000 }]);
    const theirs = await rest(await userJwt(other.userId), "GET", `recruiter_clawbacks?select=id&id=eq.${owed.id}`);
    assert.deepEqual(theirs.body, []);

    // the next payout of the same recruiter: 10000 payable; netting keeps 7000 of it
    const placement2 = await makePlacement(sql, { recruiters: [r.id], shares: [5000], fee: 20000, hiredDaysAgo: 20 });
    const inv = await seedStripeInvoice({ amount: 20000 });
    await recordInvoice(sql, placement2, inv.invoice.id);
    await markInvoicePaid(sql, inv, 20000);
    const [next] = await payoutsOf(sql, placement2);
    const offsets = await sql`select * from private.apply_clawback_offsets(now())`;
    assert.deepEqual(offsets.filter((o) => o.payout_id === next.id).map((o) => [o.clawback_id, Number(o.amount)]), [[
      owed.id,
      7000,
    ]]);
    const [netted] = await payoutsOf(sql, placement2);
    assert.deepEqual([Number(netted.payable_amount), Number(netted.forfeited_amount)], [3000, 7000]);
    const [settled] = await sql`select * from public.recruiter_clawbacks where id = ${owed.id}`;
    assert.deepEqual([Number(settled.outstanding_amount), settled.status], [0, "settled"]);
    assert.equal((await sql`select * from private.apply_clawback_offsets(now())`).filter((o) => o.clawback_id === owed.id)
      .length, 0, "netted once");
    // the run then transfers only what is left
    const claims = await claimOnly(sql, [next.id], new Date(Date.now() + 60_000));
    assert.deepEqual(claims.map((c) => [c.outcome, Number(c.amount)]), [["claimed", 3000]]);
    const seen = await rest(await userJwt(r.userId), "GET", `clawback_offsets?select=payout_id,amount`);
    assert.deepEqual(seen.body, [{ payout_id: next.id, amount: 7000 }]);
    assert.equal((await sql`select count(*)::int as n from private.payout_problems()`)[0].n, 0);
  } finally {
    await sql.end();
  }
});
