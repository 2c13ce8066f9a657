// The payout run end to end against the Stripe stand-in, within hosted Edge Function limits (the
// local functions server enforces them: CPU retire 1 s / kill 2 s per worker process, memory
// 256 MB, wall clock): N due tranches, the stand-in at 100 ms latency on POST /v1/transfers and a
// 25 requests/s limit (429 beyond), the function's client rate STRIPE_MAX_RPS = 25.
//
//   npm run bench -- --only stripe                                # N = 10 000 per phase (~15 min)
//   BENCH_STRIPE_TRANCHES=1000 npm run bench -- --only stripe     # quick iteration
//   BENCH_STRIPE_BARE=2000                                        # transfers of the baseline loop
//   BENCH_STRIPE_FN_ENV='PAYOUT_BATCH_SIZE=100,PAYOUT_CONCURRENCY=8'  # investigation only
//
// Baseline (same run, same stand-in, same latency and rate): the `stripe` SDK in a bare loop
// (bench/stripe_bare_loop.ts, the client configured as the function configures it, 4 at once,
// paced at 25/s), BENCH_STRIPE_BARE transfers; CPU of its whole process (module load included).
//
// Phases, each with N fresh due tranches: the paid plan (wall clock 400 s), then the free plan
// (wall clock 150 s, `stack.functions.setLimits`). Drive: as production does. The bench rings the
// doorbell once (`private.payout_doorbell`, pg_net -> gateway -> function) and then only every 60 s,
// like pg_cron; in between, each invocation that stops for its CPU budget hands over
// (`private.ring_payout_handover`) and a fresh worker continues.
//
// Measured per phase:
// - achieved rate: successful (non-replayed 200) POST /v1/transfers in the stand-in's request log,
//   (count - 1) / (last arrival - first arrival), hand-over gaps included; the gaps over 150 ms;
// - function CPU: Σ cpu_ms of the phase's process-payout-schedules workers (the functions
//   server's records: whole process, module load included) / transfers; per worker and per
//   invocation; workers ended by CPUTime / Memory / WallClockTime; peak RSS; overshoot past limits;
// - double pays: stand-in transfers per payout (metadata.payout_id) = succeeded tranches per payout =
//   1, ids and amounts equal; Σ paid = Σ amounts (over every phase).
import postgres from "postgres";
import { ROOT } from "../local/stack/config.ts";
import { join } from "../local/stack/paths.ts";
import type { WorkerRecord } from "../local/stack/functions.ts";
import type { RunningStack } from "../local/stack/stack.ts";
import {
  createStripeFixture,
  scheduleProgress,
  succeededTranches,
  verifyPaid,
} from "./payout_run_stripe_fixture.ts";
import type { BenchCheck, BenchEntry } from "./types.ts";

const FN = "process-payout-schedules";
const RATE = 25;
const LATENCY_MS = 100;
const CONCURRENCY = 4;
const CPU_RATIO_TARGET = 2.0;
const RSS_TARGET_MB = 150;

const intEnv = (name: string, dflt: number) => {
  const v = Deno.env.get(name);
  return v && /^\d+$/.test(v) ? Number(v) : dflt;
};
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quantile = (xs: number[], q: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

interface RequestLogEntry {
  method: string;
  path: string;
  status: number | null;
  replayed: boolean;
  started_at_ms: number;
}
interface LedgerTransfer {
  id: string;
  amount: number;
  metadata?: Record<string, string>;
}

async function json<T>(res: Promise<Response>): Promise<T> {
  const r = await res;
  if (!r.ok) throw new Error(`${r.url}: ${r.status} ${await r.text()}`);
  return await r.json() as T;
}

interface Phase {
  label: string;
  key: string;
  wallClockMs: number;
  rateTarget: number;
}

const entry: BenchEntry = {
  name: "payout_run_stripe (function -> stand-in, 100 ms, 25/s, hosted limits)",
  description:
    "N due tranches paid by process-payout-schedules within the hosted Edge Function limits (CPU 1 s / 2 s, 256 MB, " +
    "wall clock 400 s then 150 s) against the Stripe stand-in at 100 ms latency, limit and client rate 25/s; " +
    "CPU per transfer against the stripe SDK in a bare loop",
  async run({ env, stack }) {
    const n = intEnv("BENCH_STRIPE_TRANCHES", 10_000);
    const bareN = intEnv("BENCH_STRIPE_BARE", 2_000);
    const standIn = env.STRIPE_API_BASE;
    const sql = postgres(env.SUPABASE_DB_URL, { max: 2, onnotice: () => {}, connection: { application_name: "bench-stripe" } });
    const connect = () =>
      postgres(env.SUPABASE_DB_URL, { max: 1, onnotice: () => {}, connection: { application_name: "bench-stripe" } });
    const control = (path: string, body?: unknown, method = body === undefined ? "GET" : "POST") =>
      fetch(`${standIn}/_standin/${path}`, {
        method,
        headers: { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const extraFnEnv = Object.fromEntries(
      (Deno.env.get("BENCH_STRIPE_FN_ENV") ?? "").split(",").filter((kv) => kv.includes("="))
        .map((kv) => [kv.slice(0, kv.indexOf("=")).trim(), kv.slice(kv.indexOf("=") + 1).trim()]),
    );
    const fnEnv: Record<string, string> = { STRIPE_MAX_RPS: String(RATE), ...extraFnEnv };
    const metrics: Record<string, number | string> = { tranches_per_phase: n };
    const checks: BenchCheck[] = [];
    try {
      // --- setup: the stand-in and the recruiters' accounts -------------------------------------
      const t0 = performance.now();
      const accounts = await createStripeFixture(sql, connect, { recruiters: 50, payouts: n, slice: 50, parallel: 2 });
      metrics.setup_db_s = round((performance.now() - t0) / 1000, 1);
      const standInReady = async () => {
        await json(control("reset", {}));
        for (const id of accounts) await json(control("accounts", { id, capabilities: { transfers: "active" } }));
        await json(control("faults", {
          kind: "latency",
          method: "POST",
          path: "/v1/transfers",
          every_nth: 1,
          latency_ms: LATENCY_MS,
        }));
        await json(control("rate_limit", { rps: RATE }));
      };

      // --- baseline: the SDK in a bare loop ------------------------------------------------------
      await standInReady();
      const bare = await bareLoop(env, accounts[0], bareN);
      metrics.bare_transfers = bare.transfers;
      metrics.bare_cpu_per_transfer_ms = round(bare.cpu_per_transfer_ms, 3);
      metrics.bare_rate_per_s = round(bare.transfers / bare.wall_s, 2);
      await standInReady(); // the ledger holds only the run's transfers from here on

      const phases: Phase[] = [
        { label: "paid plan, wall clock 400 s", key: "paid", wallClockMs: 400_000, rateTarget: 0.96 * RATE },
        { label: "free plan, wall clock 150 s", key: "free", wallClockMs: 150_000, rateTarget: 0.9 * RATE },
      ];
      for (const [i, ph] of phases.entries()) {
        if (i > 0) {
          await createStripeFixture(sql, connect, {
            recruiters: 50,
            payouts: n,
            slice: 50,
            parallel: 2,
            placementOffset: 1_000_000 * i,
          });
        }
        await stack.functions.setLimits({ wallClockMs: ph.wallClockMs });
        await stack.functions.setEnv(fnEnv);
        const r = await runPhase(stack, sql, control, ph);
        for (const [k, v] of Object.entries(r.metrics)) metrics[`${ph.key}_${k}`] = v;
        checks.push(...r.checks.map((c) => ({ ...c, name: `${ph.label}: ${c.name}` })));
        if (i === 0) {
          const ratio = r.cpuPerTransfer / bare.cpu_per_transfer_ms;
          metrics.cpu_ratio_to_bare_sdk_loop = round(ratio, 2);
          checks.push({
            name: `function CPU per transfer / bare stripe-node loop (${round(r.cpuPerTransfer, 3)} / ${
              round(bare.cpu_per_transfer_ms, 3)
            } ms)`,
            value: round(ratio, 2),
            target: `<= ${CPU_RATIO_TARGET}`,
            ok: ratio <= CPU_RATIO_TARGET,
          });
        }
      }

      // --- zero double pays over every phase -----------------------------------------------------
      const ledger = await json<{ transfers: LedgerTransfer[] }>(control("ledger"));
      const transfers = ledger.transfers ?? [];
      const db = await verifyPaid(sql);
      const tranches = await succeededTranches(sql);
      const byPayout = new Map<string, LedgerTransfer[]>();
      for (const t of transfers) {
        const p = t.metadata?.payout_id;
        if (!p) continue;
        byPayout.set(p, [...(byPayout.get(p) ?? []), t]);
      }
      let mismatched = 0, doubleStandIn = 0;
      for (const [p, l] of byPayout) {
        if (l.length > 1) doubleStandIn++;
        const mine = tranches.get(p) ?? [];
        if (mine.length !== l.length || !l.every((t) => mine.some((m) => m.tr === t.id && m.amount === t.amount))) {
          mismatched++;
        }
      }
      for (const [p, l] of tranches) if (!byPayout.has(p) || l.length !== 1) mismatched++;
      const noMetadata = transfers.filter((t) => !t.metadata?.payout_id).length;
      const prog = await scheduleProgress(sql);
      checks.push({
        name: "zero double pays (stand-in transfers per payout > 1, succeeded tranches per payout > 1)",
        value: doubleStandIn + db.double_paid_db,
        target: "0",
        ok: doubleStandIn + db.double_paid_db === 0,
      }, {
        name: "stand-in transfers = succeeded tranches (per payout, ids and amounts); Σ paid = Σ amounts",
        value: `${transfers.length} transfers, ${db.tranches_succeeded} succeeded, ${mismatched} mismatched, ` +
          `${noMetadata} without payout_id, paid ${db.sum_paid}/${db.sum_amount}`,
        target: `${prog.schedules} / ${prog.schedules} / 0 / 0, Σ equal`,
        ok: transfers.length === prog.schedules && db.tranches_succeeded === prog.schedules && mismatched === 0 &&
          noMetadata === 0 && db.sum_paid === db.sum_amount && db.sum_succeeded === db.sum_amount,
      });
      return { metrics, checks };
    } finally {
      await stack.functions.setLimits({ wallClockMs: undefined }).catch(() => {});
      await stack.functions.setEnv(Object.fromEntries(Object.keys(fnEnv).map((k) => [k, undefined]))).catch(() => {});
      await control("faults", undefined, "DELETE").then((r) => r.body?.cancel()).catch(() => {});
      await control("rate_limit", { rps: null }).then((r) => r.body?.cancel()).catch(() => {});
      await sql.end();
    }
  },
};
export default entry;

/** The baseline: bench/stripe_bare_loop.ts in its own process. */
async function bareLoop(env: Record<string, string>, dest: string, n: number) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", join(ROOT, "bench", "stripe_bare_loop.ts")],
    env: {
      STRIPE_SECRET_KEY: env.STRIPE_SECRET_KEY,
      STRIPE_API_BASE: env.STRIPE_API_BASE,
      DEST: dest,
      N: String(n),
      RATE: String(RATE),
      CONC: String(CONCURRENCY),
    },
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error("the bare stripe loop failed");
  return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!) as {
    transfers: number;
    cpu_per_transfer_ms: number;
    wall_s: number;
  };
}

/** One phase: ring as cron does, wait until every schedule is processed, measure. */
async function runPhase(
  stack: RunningStack,
  sql: postgres.Sql,
  control: (path: string, body?: unknown, method?: string) => Promise<Response>,
  ph: Phase,
): Promise<{ metrics: Record<string, number | string>; checks: BenchCheck[]; cpuPerTransfer: number }> {
  await control("requests", undefined, "DELETE").then((r) => r.body?.cancel());
  const phaseStart = Date.now();
  const [{ t: dbStart }] = await sql<{ t: Date }[]>`select now() as t`;
  const start = await scheduleProgress(sql);
  const total = start.schedules - start.processed;
  const maxWallMs = (total / RATE) * 3_000 + 300_000;
  let lastCron = -Infinity, cronRings = 0, lastLog = performance.now();
  const t0 = performance.now();
  let prog = start;
  while (prog.processed < prog.schedules && performance.now() - t0 < maxWallMs) {
    // pg_cron's doorbell, once a minute (quiet while an invocation works or a ring is on its way)
    if (performance.now() - lastCron >= 60_000) {
      lastCron = performance.now();
      const [{ id }] = await sql<{ id: string | null }[]>`select private.payout_doorbell() as id`;
      if (id !== null) cronRings++;
    }
    await sleep(500);
    prog = await scheduleProgress(sql);
    if (performance.now() - lastLog > 30_000) {
      lastLog = performance.now();
      console.log(`  [${ph.key}] ${prog.processed - start.processed}/${total} after ${round((lastLog - t0) / 1000, 0)} s`);
    }
  }
  const runS = (performance.now() - t0) / 1000;
  // let the last workers retire and exit, so their records are final
  await sleep(3_000);

  const workers = stack.functions.workers().filter((w: WorkerRecord) => w.fn === FN && w.startedAt >= phaseStart);
  const cpuTotal = workers.reduce((a, w) => a + w.cpuMs, 0);
  const ended = (r: string) => workers.filter((w) => w.endReason === r).length;
  const inv = await sql<{ paid: number; outcome: string | null; trigger: string; ms: number }[]>`
    select paid::int, outcome, trigger, extract(epoch from (coalesce(finished_at, now()) - started_at)) * 1000 as ms
      from private.payout_run_invocations
     where kind = 'payout_schedules' and started_at >= ${dbStart}
     order by started_at`;
  const rings = await sql<{ reasons: string[] }[]>`
    select reasons from private.payout_doorbell_rings where kind = 'payout_schedules' and rung_at >= ${dbStart}`;
  const handovers = rings.filter((r) => r.reasons.includes("handover")).length;

  const log = await json<{ data?: RequestLogEntry[] } | RequestLogEntry[]>(
    control("requests?method=POST&path=/v1/transfers"),
  );
  const reqs = Array.isArray(log) ? log : (log.data ?? []);
  const ok = reqs.filter((r) => r.status === 200 && !r.replayed).sort((a, b) => a.started_at_ms - b.started_at_ms);
  const r429 = reqs.filter((r) => r.status === 429).length;
  const gaps: number[] = [];
  for (let i = 1; i < ok.length; i++) {
    const g = ok[i].started_at_ms - ok[i - 1].started_at_ms;
    if (g > 150) gaps.push(g);
  }
  const rate = ok.length > 1 ? (ok.length - 1) / ((ok[ok.length - 1].started_at_ms - ok[0].started_at_ms) / 1000) : 0;
  const transfers = ok.length;
  const cpuPerTransfer = cpuTotal / Math.max(1, transfers);
  const paidPerInv = inv.map((i) => i.paid);
  const overshoots = workers.filter((w) => w.overshootMs !== null).map((w) => w.overshootMs as number);

  const metrics: Record<string, number | string> = {
    transfers,
    achieved_rate_per_s: round(rate, 2),
    end_to_end_rate_per_s: round((prog.processed - start.processed) / runS, 2),
    run_s: round(runS, 1),
    cpu_per_transfer_ms: round(cpuPerTransfer, 3),
    workers: workers.length,
    cpu_per_worker_ms: `median ${round(quantile(workers.map((w) => w.cpuMs), 0.5), 0)}, max ${
      round(Math.max(0, ...workers.map((w) => w.cpuMs)), 0)
    }`,
    cpu_at_retire_ms_max: round(Math.max(0, ...workers.map((w) => w.cpuMsAtRetire ?? 0)), 0),
    workers_ended: ["Idle", "Exited", "CPUTime", "Memory", "WallClockTime", "Stopped"]
      .map((r) => `${r} ${ended(r)}`).join(", ") + `, running ${workers.filter((w) => w.endReason === null).length}`,
    overshoot_past_limits_ms: overshoots.length ? `max ${Math.max(...overshoots)}` : "none",
    invocations: inv.length,
    transfers_per_invocation: `median ${quantile(paidPerInv, 0.5)}, min ${Math.min(...paidPerInv)}, max ${
      Math.max(...paidPerInv)
    }`,
    invocation_outcomes: Object.entries(
      inv.reduce((a, i) => ({ ...a, [i.outcome ?? "open"]: (a[i.outcome ?? "open"] ?? 0) + 1 }), {} as Record<string, number>),
    ).map(([k, v]) => `${k} ${v}`).join(", "),
    handover_rings: handovers,
    cron_rings: cronRings,
    arrival_gaps_over_150ms: `${gaps.length} gaps, ${round(gaps.reduce((a, g) => a + g, 0) / 1000, 1)} s in total, max ${
      Math.max(0, ...gaps)
    } ms`,
    stand_in_429: r429,
    peak_rss_mb: round(Math.max(0, ...workers.map((w) => w.peakRssMb)), 1),
  };
  const checks: BenchCheck[] = [
    {
      name: "achieved transfers/s (request log, hand-over gaps included)",
      value: round(rate, 2),
      target: `>= ${ph.rateTarget}`,
      ok: rate >= ph.rateTarget,
    },
    {
      name: "every schedule processed",
      value: `${prog.processed - start.processed}/${total}`,
      target: `${total}/${total}`,
      ok: prog.processed === prog.schedules,
    },
    {
      name: "workers terminated by the CPU hard limit or memory (retire only)",
      value: `${ended("CPUTime")} CPUTime, ${ended("Memory")} Memory, ${ended("WallClockTime")} WallClockTime`,
      target: "0, 0, 0",
      ok: ended("CPUTime") + ended("Memory") + ended("WallClockTime") === 0,
    },
    {
      name: "peak worker RSS (MB)",
      value: metrics.peak_rss_mb,
      target: `<= ${RSS_TARGET_MB}`,
      ok: (metrics.peak_rss_mb as number) <= RSS_TARGET_MB,
    },
  ];
  return { metrics, checks, cpuPerTransfer };
}
