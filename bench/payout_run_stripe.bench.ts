// The payout run end to end against the Stripe stand-in (the benchmark): N due tranches,
// the stand-in at 100 ms latency on POST /v1/transfers and a 25 requests/s limit (429 beyond),
// the function's client rate STRIPE_MAX_RPS = 25:
//   achieved >= 0.9 x 25 transfers/s, zero double pays, no invocation past its budget; function RSS.
//
//   npm run bench -- --only stripe                                # N = 10 000 (~400 s + setup)
//   BENCH_STRIPE_TRANCHES=500 npm run bench -- --only stripe      # quick iteration
//   BENCH_STRIPE_FN_ENV='PAYOUT_BATCH_SIZE=100,PAYOUT_CONCURRENCY=8'  # investigation only: more
//     function env (the committed target uses the defaults besides STRIPE_MAX_RPS = 25)
//
// Setup (not timed): N due payouts (one pending schedule each) through the model's own functions
// (bench/payout_run_stripe_fixture.ts = bench/payout_claim_db_fixture.ts in schema bench_stripe);
// the recruiters' connected accounts created in the stand-in with capabilities.transfers = active
// (what local/stack/payout_jobs.ts mirrorIntoStandIn does for the seed); the stand-in's latency
// fault (every request, 100 ms) and rate limit (25/s).
//
// Function env: `stack.functions.setEnv({ STRIPE_MAX_RPS: "25", ... })` (local/stack/functions.ts)
// sets it on top of the stack's env and restarts the function workers (they read env at start);
// afterwards the same call with `undefined` values removes it again. `ctx.env` is not touched.
//
// Drive: like the per-minute doorbell, but without the minute: ring
// POST /functions/v1/process-payout-schedules (x-job-secret) -> 202 {invocation_id}; poll
// private.payout_run_invocations until that invocation finished; ring again until every
// bench schedule is processed.
//
// Measure:
// - achieved rate: successful (non-replayed 200) POST /v1/transfers in the stand-in's request log,
//   (count - 1) / (last arrival - first arrival); fallback to the ledger's `created` (seconds) when
//   the request log (newest 20 000) no longer holds them all. Also end to end (first ring ->
//   all processed).
// - double pays: stand-in ledger transfers per payout (metadata.payout_id) = 1 = succeeded
//   tranches per payout, ids and amounts equal; Σ paid = Σ amounts.
// - budget: every invocation's finished_at - started_at <= PAYOUT_RUN_BUDGET_MS (default 110 s).
// - function RSS: /proc/<pid>/status VmRSS / VmHWM of the worker pid (GET /_local/functions),
//   sampled every 500 ms during the run and once after.
import postgres from "postgres";
import {
  createStripeFixture,
  foreignDue,
  scheduleProgress,
  succeededTranches,
  verifyPaid,
} from "./payout_run_stripe_fixture.ts";
import type { BenchCheck, BenchEntry } from "./types.ts";

const FN = "process-payout-schedules";
const RATE = 25;
const LATENCY_MS = 100;
const DEFAULT_BUDGET_MS = 110_000;

const intEnv = (name: string, dflt: number) => {
  const v = Deno.env.get(name);
  return v && /^\d+$/.test(v) ? Number(v) : dflt;
};
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface RequestLogEntry {
  method: string;
  path: string;
  status: number | null;
  replayed: boolean;
  started_at_ms: number;
  duration_ms: number;
  object_id: string | null;
  error_code: string | null;
}
interface LedgerTransfer {
  id: string;
  amount: number;
  created: number;
  destination: string;
  metadata?: Record<string, string>;
}

async function json<T>(res: Promise<Response>): Promise<T> {
  const r = await res;
  if (!r.ok) throw new Error(`${r.url}: ${r.status} ${await r.text()}`);
  return await r.json() as T;
}

function procMem(pid: number): { rss: number; hwm: number } | null {
  try {
    const s = Deno.readTextFileSync(`/proc/${pid}/status`);
    const kb = (k: string) => Number(s.match(new RegExp(`^${k}:\\s+(\\d+) kB`, "m"))?.[1] ?? NaN);
    return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024 };
  } catch {
    return null;
  }
}

const entry: BenchEntry = {
  name: "payout_run_stripe (function -> stand-in, 100 ms, 25/s)",
  description:
    "N due tranches paid by process-payout-schedules against the Stripe stand-in at 100 ms latency, limit and client rate 25/s",
  async run({ env, stack }) {
    const n = intEnv("BENCH_STRIPE_TRANCHES", 10_000);
    const budgetMs = Number(env.PAYOUT_RUN_BUDGET_MS ?? DEFAULT_BUDGET_MS);
    const standIn = env.STRIPE_API_BASE;
    const fnUrl = `${env.SUPABASE_URL}/functions/v1/${FN}`;
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
    // The function's env for this entry (the client rate; investigation knobs on top).
    const fnEnv: Record<string, string> = { STRIPE_MAX_RPS: String(RATE), ...extraFnEnv };
    try {
      // --- setup -------------------------------------------------------------------------------
      const t0 = performance.now();
      const accounts = await createStripeFixture(sql, connect, {
        recruiters: 50,
        payouts: n,
        slice: 50,
        parallel: 2,
      });
      const setupDbS = (performance.now() - t0) / 1000;
      const prog0 = await scheduleProgress(sql);
      const foreign = await foreignDue(sql);
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
      await fetch(`${standIn}/_standin/requests`, { method: "DELETE" }).then((r) => r.body?.cancel());
      // The function's env: workers restart with it (see the header).
      await stack.functions.setEnv(fnEnv);
      console.log(`  setup: ${prog0.schedules} schedules in ${round(setupDbS, 1)} s, ${accounts.length} accounts`);

      // --- drive -------------------------------------------------------------------------------
      let rssMax = 0, hwmMax = 0, samples = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const pid = stack.functions.pids()[FN];
          const m = pid ? procMem(pid) : null;
          if (m) {
            samples++;
            rssMax = Math.max(rssMax, m.rss);
            hwmMax = Math.max(hwmMax, m.hwm);
          }
          await sleep(500);
        }
      })();
      const invocations: string[] = [];
      const maxWallMs = (n / RATE) * 3_000 + 300_000;
      const tRun0 = performance.now();
      let ringToFinishMax = 0;
      let processed = 0;
      let lastLog = 0;
      while (true) {
        const prog = await scheduleProgress(sql);
        processed = prog.processed;
        if (processed >= prog.schedules) break;
        if (performance.now() - tRun0 > maxWallMs) break;
        const tRing = performance.now();
        const res = await fetch(fnUrl, { method: "POST", headers: { "x-job-secret": env.PAYOUT_JOB_SECRET } });
        const body = await res.json().catch(() => ({})) as { invocation_id?: string };
        if (res.status !== 202 || !body.invocation_id) {
          throw new Error(`ring: ${res.status} ${JSON.stringify(body)}`);
        }
        invocations.push(body.invocation_id);
        while (true) {
          const [row] = await sql<{ finished: boolean }[]>`
            select finished_at is not null as finished from private.payout_run_invocations where id = ${body.invocation_id}`;
          if (row?.finished) break;
          if (performance.now() - tRun0 > maxWallMs) break;
          if (performance.now() - lastLog > 30_000) {
            lastLog = performance.now();
            const p = await scheduleProgress(sql);
            console.log(`  ... ${p.processed}/${p.schedules} processed after ${round((lastLog - tRun0) / 1000, 0)} s`);
          }
          await sleep(100);
        }
        ringToFinishMax = Math.max(ringToFinishMax, performance.now() - tRing);
      }
      const runS = (performance.now() - tRun0) / 1000;
      await sleep(1000);
      sampling = false;
      await sampler;
      const pidAfter = stack.functions.pids()[FN];
      const after = pidAfter ? procMem(pidAfter) : null;
      if (after) {
        rssMax = Math.max(rssMax, after.rss);
        hwmMax = Math.max(hwmMax, after.hwm);
      }

      // --- measure -----------------------------------------------------------------------------
      const inv = await sql<
        { id: string; ms: number; outcome: string; paid: number; claimed: number; error_count: number; deferred: number }[]
      >`
        select id::text, extract(epoch from (finished_at - started_at)) * 1000 as ms, outcome,
               paid::int, claimed::int, error_count::int, deferred::int
          from private.payout_run_invocations where id = any(${invocations}::uuid[]) order by started_at`;
      const invMaxMs = Math.max(0, ...inv.map((i) => Number(i.ms)));
      const overBudget = inv.filter((i) => Number(i.ms) > budgetMs).length;
      const unfinished = invocations.length - inv.filter((i) => i.outcome !== null).length;

      const log = await json<{ data?: RequestLogEntry[] } | RequestLogEntry[]>(
        control("requests?method=POST&path=/v1/transfers"),
      );
      const reqs = Array.isArray(log) ? log : (log.data ?? []);
      const ok = reqs.filter((r) => r.status === 200 && !r.replayed).sort((a, b) => a.started_at_ms - b.started_at_ms);
      const r429 = reqs.filter((r) => r.status === 429).length;
      const other = reqs.filter((r) => r.status !== 200 && r.status !== 429).length;
      const ledger = await json<{ transfers: LedgerTransfer[] }>(control("ledger"));
      const transfers = ledger.transfers ?? [];
      let rate: number, rateSource: string;
      // Diagnostics: inter-arrival gaps longer than 150 ms (pacing alone at 25/s gives 40 ms).
      let gapsOver150 = 0, gapsOver150Ms = 0;
      if (ok.length === transfers.length && ok.length > 1) {
        rate = (ok.length - 1) / ((ok[ok.length - 1].started_at_ms - ok[0].started_at_ms) / 1000);
        rateSource = "request log";
        for (let i = 1; i < ok.length; i++) {
          const g = ok[i].started_at_ms - ok[i - 1].started_at_ms;
          if (g > 150) {
            gapsOver150++;
            gapsOver150Ms += g;
          }
        }
      } else {
        const cs = transfers.map((t) => t.created).sort((a, b) => a - b);
        rate = cs.length > 1 ? (cs.length - 1) / Math.max(1, cs[cs.length - 1] - cs[0]) : 0;
        rateSource = "ledger created (1 s resolution)";
      }

      // zero double pays: stand-in transfers per payout = succeeded tranches per payout = 1
      const db = await verifyPaid(sql);
      const tranches = await succeededTranches(sql);
      const standInByPayout = new Map<string, LedgerTransfer[]>();
      for (const t of transfers) {
        const p = t.metadata?.payout_id;
        if (!p) continue;
        const l = standInByPayout.get(p) ?? [];
        l.push(t);
        standInByPayout.set(p, l);
      }
      let mismatched = 0, doubleStandIn = 0;
      for (const [p, l] of standInByPayout) {
        if (l.length > 1) doubleStandIn++;
        const mine = tranches.get(p) ?? [];
        if (mine.length !== l.length || !l.every((t) => mine.some((m) => m.tr === t.id && m.amount === t.amount))) {
          mismatched++;
        }
      }
      for (const [p, l] of tranches) if (!standInByPayout.has(p) || l.length !== 1) mismatched++;
      const noMetadata = transfers.filter((t) => !t.metadata?.payout_id).length;
      const doublePays = doubleStandIn + db.double_paid_db;

      const prog = await scheduleProgress(sql);
      const checks: BenchCheck[] = [
        {
          name: `achieved transfers/s (${rateSource})`,
          value: round(rate, 2),
          target: `>= ${0.9 * RATE}`,
          ok: rate >= 0.9 * RATE,
        },
        {
          name: "zero double pays (stand-in transfers per payout > 1, succeeded tranches per payout > 1)",
          value: doublePays,
          target: "0",
          ok: doublePays === 0,
        },
        {
          name: "stand-in transfers = succeeded tranches (per payout, ids and amounts); Σ paid = Σ amounts",
          value: `${transfers.length} transfers, ${db.tranches_succeeded} succeeded, ${mismatched} mismatched, ` +
            `${noMetadata} without payout_id, paid ${db.sum_paid}/${db.sum_amount}`,
          target: `${n} / ${n} / 0 / 0, Σ equal`,
          ok: transfers.length === prog.schedules && db.tranches_succeeded === prog.schedules && mismatched === 0 &&
            noMetadata === 0 && db.sum_paid === db.sum_amount && db.sum_succeeded === db.sum_amount,
        },
        {
          name: "every schedule processed",
          value: `${prog.processed}/${prog.schedules}`,
          target: `${n}/${n}`,
          ok: prog.processed === prog.schedules && prog.schedules === n,
        },
        {
          name: `no invocation past its budget (finished - started <= ${budgetMs} ms)`,
          value: `${overBudget} over, ${unfinished} unfinished, max ${Math.round(invMaxMs)} ms`,
          target: "0 over, 0 unfinished",
          ok: overBudget === 0 && unfinished === 0,
        },
      ];
      return {
        metrics: {
          tranches: n,
          achieved_rate_per_s: round(rate, 2),
          end_to_end_rate_per_s: round(prog.processed / runS, 2),
          run_s: round(runS, 1),
          setup_db_s: round(setupDbS, 1),
          invocations: invocations.length,
          invocation_outcomes: inv.map((i) => `${i.outcome}:${i.paid}/${i.claimed}:${Math.round(Number(i.ms))}ms`)
            .join(" "),
          invocation_max_ms: Math.round(invMaxMs),
          ring_to_finish_max_ms: Math.round(ringToFinishMax),
          invocation_errors: inv.reduce((a, i) => a + i.error_count, 0),
          invocation_deferred: inv.reduce((a, i) => a + i.deferred, 0),
          arrival_gaps_over_150ms: `${gapsOver150} gaps, ${round(gapsOver150Ms / 1000, 1)} s in total`,
          stand_in_429: r429,
          stand_in_other_non_200: other,
          foreign_due_schedules_before: foreign,
          function_rss_max_mb: round(rssMax, 1),
          function_vmhwm_mb: round(hwmMax, 1),
          function_rss_after_mb: after ? round(after.rss, 1) : "n/a",
          rss_samples: samples,
          function_env: Object.entries(stack.functions.envOverrides()).map(([k, v]) => `${k}=${v}`).join(" "),
        },
        checks,
      };
    } finally {
      // Give the next entry the stack as it was: the stack's function env, stand-in without faults.
      await stack.functions.setEnv(Object.fromEntries(Object.keys(fnEnv).map((k) => [k, undefined])))
        .catch(() => {});
      await control("faults", undefined, "DELETE").then((r) => r.body?.cancel()).catch(() => {});
      await control("rate_limit", { rps: null }).then((r) => r.body?.cancel()).catch(() => {});
      await sql.end();
    }
  },
};
export default entry;
