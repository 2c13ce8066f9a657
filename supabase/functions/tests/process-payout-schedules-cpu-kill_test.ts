/**
 * The CPU hard limit terminates a payout worker while transfers are in flight (the local functions
 * server enforces edge-runtime's 2 s, as the platform does). The function is configured to overrun
 * on purpose (stop line 1 900 ms, hand-back line 1 990 ms, batches of 100, 16 calls in flight against
 * a 400 ms stand-in): the kill catches it mid-batch, with transfers Stripe accepted and never
 * recorded. Afterwards, with the doorbell rung once a minute as pg_cron rings it, every tranche is paid exactly once:
 * the in-flight ones adopted by reconciliation, none re-sent under a new key.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { createStripeFixture, SPLITS_PER_PLACEMENT } from "../../../bench/payout_run_stripe_fixture.ts";
import { addFault, adminSql, eventually, invoke, removeFault, sleep, standin, SUPABASE_URL } from "./payout_run_test_support.ts";

const FN = "process-payout-schedules";
// Enough work that the run needs well over 2 s of CPU, even on a fast core: 1 000 payouts took
// 1.6 s of CPU on a 2026 Xeon, so that many ended before the kill.
const PAYOUTS = 400 * SPLITS_PER_PLACEMENT;

interface WorkerRecord {
  fn: string;
  pid: number;
  startedAt: number;
  endedAt: number | null;
  endReason: string | null;
  cpuMs: number;
  overshootMs: number | null;
}

async function setFunctionEnv(vars: Record<string, string | null>) {
  const res = await fetch(`${SUPABASE_URL()}/_local/functions/env`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ vars }),
  });
  const text = await res.text();
  assert.equal(res.status, 200, text);
}

async function workers(): Promise<WorkerRecord[]> {
  return (await (await fetch(`${SUPABASE_URL()}/_local/functions/workers`)).json() as WorkerRecord[])
    .filter((w) => w.fn === FN);
}

const OVERRUN = {
  EDGE_CPU_STOP_MS: "1900",
  EDGE_CPU_HAND_BACK_MS: "1990",
  PAYOUT_BATCH_SIZE: "100",
  PAYOUT_CONCURRENCY: "16",
  STRIPE_MAX_RPS: "40",
};

Deno.test("the CPU hard limit kills a worker mid-batch: every tranche is paid exactly once, in-flight ones adopted", async () => {
  const sql = adminSql();
  const connect = () => postgres(Deno.env.get("SUPABASE_DB_URL")!, { max: 1, onnotice: () => {} });
  let fault: string | undefined;
  try {
    const accounts = await createStripeFixture(sql, connect, { recruiters: 20, payouts: PAYOUTS, slice: 25, parallel: 2 });
    for (const id of accounts) {
      await standin("POST", "/_standin/accounts", { id, capabilities: { transfers: "active" } });
    }
    const payoutIds = (await sql<{ id: string }[]>`
      select po.id from public.payouts po join bench_stripe.placements pl on pl.id = po.placement_id`).map((r) => r.id);
    assert.equal(payoutIds.length, PAYOUTS);

    fault = await addFault({ kind: "latency", method: "POST", path: "/v1/transfers", every_nth: 1, latency_ms: 400 });
    await setFunctionEnv(OVERRUN);
    const since = Date.now();
    await invoke();
    const killed = await eventually(async () => {
      const ws = (await workers()).filter((w) => w.startedAt >= since && w.endedAt !== null);
      const k = ws.find((w) => w.endReason === "CPUTime");
      if (k) return k;
      assert.ok(ws.every((w) => w.endReason !== "Idle"), `a worker finished without being killed: ${JSON.stringify(ws)}`);
      return null;
    }, "the CPU hard limit to terminate a payout worker", 120_000);
    const killedAt = killed.endedAt!;
    // read at once: the run the killed one handed over to (it rang at its stop line) takes the
    // orphans back once the killed invocation's heartbeat is stale, and stopping the workers below
    // waits for it
    const [atKill] = await sql<{ pending: number }[]>`
      select count(*)::int as pending from public.payout_transfers t
       where t.payout_id = any(${payoutIds}::uuid[]) and t.status = 'pending'`;
    assert.ok(atKill.pending > 0, "the kill left tranches in flight");
    // the test's own knobs off again (running workers are stopped gracefully), Stripe answers fast
    await setFunctionEnv(Object.fromEntries(Object.keys(OVERRUN).map((k) => [k, null])));
    await removeFault(fault);
    fault = undefined;

    // cron's doorbell, as pg_cron rings it: once at the start of every minute
    let rungMinute = Math.floor(Date.now() / 60_000); // this minute's tick is past
    const healed = await eventually(async () => {
      const minute = Math.floor(Date.now() / 60_000);
      if (minute !== rungMinute) {
        rungMinute = minute;
        await sql`select private.payout_doorbell()`;
      }
      const [p] = await sql<{ open: number }[]>`
        select count(*)::int as open from public.payouts
         where id = any(${payoutIds}::uuid[]) and not (status = 'paid' and paid_amount = amount)`;
      if (p.open === 0) return Date.now();
      await sleep(1_000);
      return null;
    }, "every payout to be paid after the kill", 240_000);
    console.log(
      `CPU kill at ${killed.cpuMs} ms (overshoot ${killed.overshootMs} ms) left ${atKill.pending} tranches in flight; ` +
        `healed ${((healed - killedAt) / 1000).toFixed(1)} s after the kill (doorbell once a minute, as pg_cron)`,
    );

    // exactly once: one Stripe transfer per payout, the one the database recorded
    const ledger = (await standin<{ transfers: { id: string; amount: number; metadata?: Record<string, string> }[] }>(
      "GET",
      "/_standin/ledger",
    )).transfers.filter((t) => payoutIds.includes(t.metadata?.payout_id ?? ""));
    const perPayout = new Map<string, number>();
    for (const t of ledger) perPayout.set(t.metadata!.payout_id, (perPayout.get(t.metadata!.payout_id) ?? 0) + 1);
    assert.equal(ledger.length, PAYOUTS, "one Stripe transfer per payout");
    assert.ok([...perPayout.values()].every((n) => n === 1), "never two for one payout");
    const tranches = await sql<{ payout_id: string; stripe_transfer_id: string; attempt_number: number }[]>`
      select payout_id, stripe_transfer_id, attempt_number from public.payout_transfers
       where payout_id = any(${payoutIds}::uuid[]) and status = 'succeeded'`;
    assert.equal(tranches.length, PAYOUTS);
    const byPayout = new Map(ledger.map((t) => [t.metadata!.payout_id, t.id]));
    assert.ok(tranches.every((t) => byPayout.get(t.payout_id) === t.stripe_transfer_id), "the recorded transfer is Stripe's");
    assert.ok(tranches.every((t) => t.attempt_number === 1), "never re-sent under a new key (no second attempt)");
    const [{ adopted }] = await sql<{ adopted: number }[]>`
      select coalesce(sum(adopted), 0)::int as adopted from private.payout_run_invocations
       where kind = 'payout_schedules' and started_at >= to_timestamp(${since / 1000})`;
    assert.ok(adopted > 0, "transfers Stripe made for the killed worker were adopted by reconciliation");
  } finally {
    if (fault) await removeFault(fault).catch(() => {});
    await setFunctionEnv(Object.fromEntries(Object.keys(OVERRUN).map((k) => [k, null]))).catch(() => {});
    await sql.end();
  }
});
