// DB-only claim -> paid of the payout run (audit log, hash chain, outbox and the deferred
// consistency check included; Stripe stubbed), against, in the same run on the same cluster:
//   (a) the same `for update skip locked` claim / per-row complete loop on a plain table with no
//       triggers (reported), and
//   (b) pg-boss 10 working the same number of no-op jobs in batch mode. Targets (issue 12): DB CPU
//       per claimed and paid tranche <= 6x pg-boss batch's DB CPU per job, throughput >= 0.15x.
//
//   npm run bench -- --only claim
//
// Setup (timed separately, not part of any throughput): N due payout schedules made through the
// model's functions (bench/payout_claim_db_fixture.ts; 2 connections, slices of 50 placements
// per transaction), N rows in the baseline table, N jobs in each pg-boss queue, then VACUUM
// ANALYZE + CHECKPOINT so no run pays for the others' load (planner statistics, autovacuum, dirty
// buffers). Then, one after the other on the same cluster: (a), (c), (b) batch, (b) per-job, ours.
//
// Ours: K connections, each looping
//   tx: set_config('role', 'payout_jobs', true) (= SET LOCAL ROLE), set_config('payouts.actor_role', 'job', true);
//       select * from private.claim_due_payout_schedules(run, B, lease, now)
//   then the whole claimed batch in ONE tx: same role/actor;
//       select * from private.complete_payout_transfers(transfer_ids[], 'tr_bench<transfer id hex>'[], now)
//   until a claim returns nothing. Ours completes per claimed batch, like pg-boss's batch mode (b),
//   because that is the product's shape: the payout run records paid outcomes in batches
//   (`private.record_payout_transfers_paid` over complete_payout_transfers, up to PAYOUT_BATCH_SIZE
//   outcomes per transaction; supabase/functions/_shared/payout_run/paid_recorder.ts). (The brief's
//   'tr_bench_<hex>' would fail the model's ^tr_[A-Za-z0-9]+$ check: no underscore after tr_.)
//   Throughput = tranches paid / s, wall clock from the first claim to the last completion.
// (a) K connections, B per claim: `update ... where id in (select ... order by next_attempt_at, id
//   limit B for update skip locked) returning id`, then one tx per row `update ... set status =
//   'done'`. Same driver (postgres.js), same explicit transactions.
// (b) see bench/payout_claim_db_pgboss.ts (batch mode is the target; per-job mode is reported).
// (c) reported, not a target: the loop of (a) on bench_claim.audited_jobs, which carries the
//   product's audit trigger (private.enable_audit), run as payout_jobs with the job actor. Each job
//   is two audited row changes, fewer than any tranche has; so (c) is the floor of what an audited
//   claim/complete can cost, and audited_floor_ratio_vs_skip_locked says how far target (a) is
//   reachable at all with the audit trail the money model requires. The same on
//   bench_claim.audited_batch_jobs, completing each claimed batch with one statement (pg-boss's
//   batch mode): audited_floor_batch_ratio_vs_pgboss, the same for target (b).
//   (docs/payout-runs.md, "DB-only benchmark").
//
// Afterwards: every schedule processed, every payout paid exactly once (one succeeded tranche
// per payout, Σ paid = Σ amounts = Σ succeeded tranches), audit rows and outbox events of the run
// counted (and written as role `job`), public.verify_payout_audit_chain() over the whole log,
// private.payout_problems() for the bench payouts.
//
// Besides wall-clock throughput (the targets), each contender's CPU time of the whole cluster per
// job is reported (db_cpu_*; bench/payout_claim_db_cpu.ts): the box is shared, and that number
// does not move with other processes' load the way wall clock does.
//
// Profile (unmeasured, after the checks): a separate small set of schedules is claimed and
// completed (per claimed batch, as ours) serially on one connection with track_functions = 'all';
// pg_stat_user_functions' self time per tranche says what the DB time is spent on (metric
// profile_top).
//
// Knobs for investigation only (the committed targets use the defaults): BENCH_CLAIM_N (payouts,
// default 5000), BENCH_CLAIM_WORKERS (4), BENCH_CLAIM_BATCH (25 = PAYOUT_BATCH_SIZE's default).
import postgres from "postgres";
import {
  createFixture,
  LEASE,
  PROFILE_NOW,
  RUN_NOW,
  SPLITS_PER_PLACEMENT,
  verifyMain,
} from "./payout_claim_db_fixture.ts";
import { clusterCpuClock } from "./payout_claim_db_cpu.ts";
import { PgBossBaseline } from "./payout_claim_db_pgboss.ts";
import { type BenchCheck, type BenchEntry, medianMs } from "./types.ts";

const intEnv = (name: string, dflt: number) => {
  const v = Deno.env.get(name);
  return v && /^\d+$/.test(v) ? Number(v) : dflt;
};

const PROFILE_PLACEMENTS = 40; // 200 schedules for the profile pass
const RECRUITERS = 500;
const SETUP_SLICE = 50; // placements per setup transaction

interface ClaimRow {
  schedule_id: string;
  transfer_id: string | null;
  outcome: string;
}

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const secs = (ms: number) => round(ms / 1000, 2);

function connect(url: string, max = 1) {
  return postgres(url, { max, onnotice: () => {}, idle_timeout: 30, connection: { application_name: "bench-claim" } });
}

/**
 * Completes a claimed batch in one tx as payout_jobs (Stripe stubbed: fake transfer ids with the
 * given prefix); checks that every tranche came back succeeded with its id.
 */
/** What the payout run's login does in each transaction: role payout_jobs, the job actor. */
const asJob = (tx: postgres.TransactionSql) =>
  tx`select set_config('role', 'payout_jobs', true), set_config('payouts.actor_role', 'job', true)`;

/** One claim transaction of our path. */
function claimOurs(sql: postgres.Sql, runId: string, batch: number, now: string): Promise<ClaimRow[]> {
  return sql.begin(async (tx) => {
    await asJob(tx);
    return await tx<ClaimRow[]>`
      select schedule_id, transfer_id, outcome
      from private.claim_due_payout_schedules(${runId}::uuid, ${batch}::integer, ${LEASE}::interval, ${now}::timestamptz)`;
  });
}

async function completeBatch(sql: postgres.Sql, ids: string[], prefix: string, now: string): Promise<void> {
  const stripeIds = ids.map((id) => prefix + id.replaceAll("-", ""));
  const done = await sql.begin(async (tx) => {
    await asJob(tx);
    return await tx<{ id: string; status: string; stripe_transfer_id: string }[]>`
      select id, status, stripe_transfer_id
      from private.complete_payout_transfers(${ids}::uuid[], ${stripeIds}::text[], ${now}::timestamptz)`;
  });
  const byId = new Map(done.map((r) => [r.id, r]));
  ids.forEach((id, i) => {
    const r = byId.get(id);
    if (r?.status !== "succeeded" || r.stripe_transfer_id !== stripeIds[i]) {
      throw new Error(`complete_payout_transfers: tranche ${id} came back ${r?.status ?? "missing"}`);
    }
  });
}

/** Our path: one claim tx per batch, then one complete tx for the whole claimed batch, as payout_jobs. */
async function ourWorker(sql: postgres.Sql, runId: string, batch: number, now: string, onPaid: (id: string) => void) {
  let skipped = 0;
  for (;;) {
    const rows = await claimOurs(sql, runId, batch, now);
    if (rows.length === 0) return skipped;
    const ids: string[] = [];
    for (const r of rows) {
      if (r.outcome !== "claimed" || !r.transfer_id) skipped++;
      else ids.push(r.transfer_id);
    }
    if (ids.length === 0) continue;
    await completeBatch(sql, ids, "tr_bench", now);
    for (const id of ids) onPaid(id);
  }
}

/**
 * Baseline (a) on bench_claim.bench_jobs (no triggers) and floor (c) on bench_claim.audited_jobs
 * (the product's audit trigger): the same skip-locked claim / per-row complete loop. (c) runs as
 * payout_jobs with the job actor, like ours, so its audit rows are written as ours are.
 */
async function plainWorker(
  sql: postgres.Sql,
  table: "bench_jobs" | "audited_jobs" | "audited_batch_jobs",
  runId: string,
  batch: number,
  now: string,
): Promise<number> {
  const t = sql(table);
  const audited = table !== "bench_jobs";
  let done = 0;
  for (;;) {
    const rows = await sql.begin(async (tx) => {
      if (audited) await asJob(tx);
      return await tx<{ id: string }[]>`
        update bench_claim.${t} j
           set status = 'processing', claimed_by_run = ${runId}::uuid, claimed_at = ${now}::timestamptz,
               lease_expires_at = ${now}::timestamptz + ${LEASE}::interval, updated_at = now()
         where j.id in (select q.id from bench_claim.${t} q
                         where q.status = 'pending' and q.next_attempt_at <= ${now}::timestamptz
                         order by q.next_attempt_at, q.id
                         limit ${batch}::integer
                         for update skip locked)
        returning j.id`;
    });
    if (rows.length === 0) return done;
    if (table === "audited_batch_jobs") {
      // pg-boss's batch mode: the whole claimed batch completed by one statement
      await sql.begin(async (tx) => {
        await asJob(tx);
        await tx`
          update bench_claim.${t}
             set status = 'done', result = 'tr_bench' || replace(id::text, '-', ''),
                 completed_at = ${now}::timestamptz, updated_at = now()
           where id = any (${rows.map((r) => r.id)}::uuid[]) and status = 'processing'`;
      });
      done += rows.length;
      continue;
    }
    for (const r of rows) {
      const result = "tr_bench" + String(r.id).replaceAll("-", "");
      await sql.begin(async (tx) => {
        if (audited) await asJob(tx);
        await tx`
          update bench_claim.${t}
             set status = 'done', result = ${result}, completed_at = ${now}::timestamptz, updated_at = now()
           where id = ${r.id} and status = 'processing'`;
      });
      done++;
    }
  }
}

type CpuClock = (() => Promise<number>) | null;

/**
 * Runs fn on k fresh connections at once; wall clock from the start to the last worker's end.
 * The cluster CPU is read while those backends are alive (after connecting, before closing):
 * a backend that has exited but is not reaped yet would be missing from both ends.
 */
async function runWorkers<T>(url: string, k: number, cpuClock: CpuClock, fn: (sql: postgres.Sql) => Promise<T>) {
  const conns = Array.from({ length: k }, () => connect(url));
  try {
    await Promise.all(conns.map((c) => c`select 1`)); // connected before the clock starts
    const c0 = cpuClock ? await cpuClock() : 0;
    const t0 = performance.now();
    const results = await Promise.all(conns.map(fn));
    const ms = performance.now() - t0;
    return { ms, results, cpuMs: cpuClock ? (await cpuClock()) - c0 : NaN };
  } finally {
    await Promise.all(conns.map((c) => c.end()));
  }
}

/** Serial claim/complete of the profile set with track_functions = 'all' (not a throughput). */
async function profilePass(url: string, admin: postgres.Sql, batch: number) {
  type F = { f: string; calls: string; self: number; total: number };
  const snap = async () => {
    await admin`select pg_stat_clear_snapshot()`;
    const rows = await admin<F[]>`
      select schemaname || '.' || funcname as f, calls::text, self_time as self, total_time as total
      from pg_stat_user_functions`;
    return new Map(rows.map((r) => [r.f, r]));
  };
  const before = await snap();
  const sql = connect(url);
  let claimMs = 0, completeMs = 0, n = 0;
  // Row versions each stage writes (every table: money rows, audit rows, chain heads, events,
  // the consistency queue), read inside its transaction from pg_stat_xact_user_tables; WAL bytes
  // of the whole serial pass (nothing else runs meanwhile).
  const written = new Map<string, number>();
  type W = { t: string; n: number };
  const writes = (tx: postgres.TransactionSql) =>
    tx<W[]>`select schemaname || '.' || relname as t, (n_tup_ins + n_tup_upd + n_tup_del)::int as n
            from pg_stat_xact_user_tables`;
  const counted = <T>(fn: (tx: postgres.TransactionSql) => Promise<T>) =>
    sql.begin(async (tx) => {
      const w0 = new Map((await writes(tx)).map((w) => [w.t, w.n]));
      await asJob(tx);
      const r = await fn(tx);
      await tx`reset role`;
      for (const w of await writes(tx)) {
        const d = w.n - (w0.get(w.t) ?? 0);
        if (d > 0) written.set(w.t, (written.get(w.t) ?? 0) + d);
      }
      return r;
    });
  const [{ lsn }] = await admin<{ lsn: string }[]>`select pg_current_wal_insert_lsn()::text as lsn`;
  try {
    await sql`set track_functions = 'all'`;
    const runId = crypto.randomUUID();
    for (;;) {
      let t = performance.now();
      const rows = await counted((tx) =>
        tx<ClaimRow[]>`
          select schedule_id, transfer_id, outcome
          from private.claim_due_payout_schedules(${runId}::uuid, ${batch}::integer, ${LEASE}::interval,
                                                  ${PROFILE_NOW}::timestamptz)`
      );
      claimMs += performance.now() - t;
      if (rows.length === 0) break;
      const ids = rows.flatMap((r) => (r.outcome === "claimed" && r.transfer_id ? [r.transfer_id] : []));
      if (ids.length === 0) continue;
      t = performance.now();
      const stripeIds = ids.map((id) => "tr_benchprof" + id.replaceAll("-", ""));
      const done = await counted((tx) =>
        tx<{ status: string }[]>`
          select status from private.complete_payout_transfers(${ids}::uuid[], ${stripeIds}::text[],
                                                               ${PROFILE_NOW}::timestamptz)`
      );
      if (done.some((d) => d.status !== "succeeded")) throw new Error("profile: a tranche did not succeed");
      completeMs += performance.now() - t;
      n += ids.length;
    }
  } finally {
    await sql.end(); // backend exit flushes its function statistics
  }
  let after = await snap();
  for (
    let i = 0;
    i < 20 &&
    (after.get("private.complete_payout_transfers")?.calls ?? "0") ===
      (before.get("private.complete_payout_transfers")?.calls ?? "0");
    i++
  ) {
    await new Promise((r) => setTimeout(r, 250));
    after = await snap();
  }
  const perTrancheMs = (claimMs + completeMs) / Math.max(n, 1);
  const diffs = [...after.values()].map((a) => {
    const b = before.get(a.f);
    return {
      f: a.f.replace(/^private\./, ""),
      calls: Number(a.calls) - Number(b?.calls ?? 0),
      self: a.self - (b?.self ?? 0),
    };
  }).filter((d) => d.calls > 0).sort((x, y) => y.self - x.self);
  const top = diffs.slice(0, 6).map((d) =>
    `${d.f} ${round((100 * d.self / Math.max(n, 1)) / perTrancheMs, 0)}% ` +
    `(${round(d.calls / Math.max(n, 1), 2)}/tranche, ${round(d.self / d.calls, 3)} ms/call)`
  );
  const [{ wal }] = await admin<{ wal: number }[]>`
    select pg_wal_lsn_diff(pg_current_wal_insert_lsn(), ${lsn}::pg_lsn)::float8 as wal`;
  const per = (x: number) => round(x / Math.max(n, 1), 2);
  const rows = [...written.values()].reduce((a, b) => a + b, 0);
  return {
    n,
    claimMsPerTranche: claimMs / Math.max(n, 1),
    completeMsPerTranche: completeMs / Math.max(n, 1),
    top,
    rowsPerTranche: per(rows),
    rowsByTable: [...written.entries()].sort((a, b) => b[1] - a[1]).map(([t, k]) => `${t} ${per(k)}`).join(", "),
    walBytesPerTranche: Math.round(wal / Math.max(n, 1)),
  };
}

const entry: BenchEntry = {
  name: "payout claim->paid (DB only)",
  description:
    "claim_due_payout_schedules + complete_payout_transfers per claimed batch (audit, chain, outbox, consistency triggers; Stripe stubbed) " +
    "vs pg-boss batch no-op jobs: DB CPU per tranche <= 6x per job, throughput >= 0.15x (skip-locked loop and audited floors reported)",
  async run(ctx) {
    const url = ctx.env.SUPABASE_DB_URL;
    const placements = Math.max(1, Math.round(intEnv("BENCH_CLAIM_N", 5000) / SPLITS_PER_PLACEMENT));
    const n = placements * SPLITS_PER_PLACEMENT;
    const workers = Math.max(1, intEnv("BENCH_CLAIM_WORKERS", 4));
    const batch = Math.max(1, intEnv("BENCH_CLAIM_BATCH", 25));
    const admin = connect(url, 2);
    const boss = new PgBossBaseline(url, workers, batch);
    try {
      // ---- setup (timed, not measured as throughput) ----
      const s0 = performance.now();
      await createFixture(admin, () => connect(url), {
        recruiters: RECRUITERS,
        placements,
        profilePlacements: PROFILE_PLACEMENTS,
        slice: SETUP_SLICE,
        parallel: 2,
      });
      const modelSetupMs = performance.now() - s0;
      const [due] = await admin<{ n: number }[]>`
        select count(*)::int as n from public.payout_schedules
        where status = 'pending' and next_attempt_at <= ${RUN_NOW}::timestamptz`;
      if (due.n !== n) throw new Error(`setup: ${due.n} due schedules at ${RUN_NOW}, expected ${n}`);
      await admin`
        insert into bench_claim.bench_jobs (amount, next_attempt_at)
        select 100000 + g, '2001-01-13 02:00Z' from generate_series(1, ${n}::integer) g`;
      await admin`
        insert into bench_claim.audited_jobs (amount, next_attempt_at)
        select 100000 + g, '2001-01-13 02:00Z' from generate_series(1, ${n}::integer) g`;
      await admin`
        insert into bench_claim.audited_batch_jobs (amount, next_attempt_at)
        select 100000 + g, '2001-01-13 02:00Z' from generate_series(1, ${n}::integer) g`;
      await boss.setup(n);
      await admin`vacuum analyze`;
      await admin`checkpoint`;
      const setupMs = performance.now() - s0;

      // Each contender: wall clock (the targets) and the cluster's CPU time (reported).
      const cpuClock = await clusterCpuClock(admin);
      const measure = async <T>(fn: () => Promise<T>) => { // pg-boss: its pool stays open meanwhile
        const c0 = cpuClock ? await cpuClock() : 0;
        const r = await fn();
        return { r, cpuMs: cpuClock ? (await cpuClock()) - c0 : NaN };
      };

      // ---- (a) plain skip-locked loop, no triggers ----
      const a = await runWorkers(url, workers, cpuClock, (c) => plainWorker(c, "bench_jobs", crypto.randomUUID(), batch, RUN_NOW));
      const aDone = a.results.reduce((x, y) => x + y, 0);
      const aPerS = aDone / (a.ms / 1000);

      // ---- (c) the same loop with the audit trigger: the floor of any audited claim/complete ----
      const c = await runWorkers(
        url,
        workers,
        cpuClock,
        (conn) => plainWorker(conn, "audited_jobs", crypto.randomUUID(), batch, RUN_NOW),
      );
      const cDone = c.results.reduce((x, y) => x + y, 0);
      const cPerS = cDone / (c.ms / 1000);
      const cb = await runWorkers(
        url,
        workers,
        cpuClock,
        (conn) => plainWorker(conn, "audited_batch_jobs", crypto.randomUUID(), batch, RUN_NOW),
      );
      const cbDone = cb.results.reduce((x, y) => x + y, 0);
      const cbPerS = cbDone / (cb.ms / 1000);

      // ---- (b) pg-boss ----
      await boss.warm();
      const bBatch = await measure(() => boss.run("batch"));
      const bPerJob = await measure(() => boss.run("per-job"));
      const bPerS = bBatch.r.completed / (bBatch.r.ms / 1000);
      const bPerJobPerS = bPerJob.r.completed / (bPerJob.r.ms / 1000);

      // ---- ours ----
      const [mark] = await admin<{ audit: string; events: string }[]>`
        select (select coalesce(max(id), 0) from public.payout_audit_log)::text as audit,
               (select coalesce(max(id), 0) from public.payout_events)::text as events`;
      const paidIds: string[] = [];
      const runId = crypto.randomUUID();
      const ours = await runWorkers(
        url,
        workers,
        cpuClock,
        (c) => ourWorker(c, runId, batch, RUN_NOW, (id) => paidIds.push(id)),
      );
      const oursPerS = paidIds.length / (ours.ms / 1000);
      const skipped = ours.results.reduce((x, y) => x + y, 0);

      // ---- verification ----
      const v = await verifyMain(admin);
      const [written] = await admin<{ audit: number; events: number; audit_not_job: number }[]>`
        select (select count(*) from public.payout_audit_log where id > ${mark.audit}::bigint)::int as audit,
               (select count(*) from public.payout_events where id > ${mark.events}::bigint)::int as events,
               (select count(*) from public.payout_audit_log where id > ${mark.audit}::bigint
                  and changed_by_role <> 'job')::int as audit_not_job`;
      const t0 = performance.now();
      const [chain] = await admin<{ problems: number; rows: number }[]>`
        select (select count(*) from public.verify_payout_audit_chain())::int as problems,
               (select count(*) from public.payout_audit_log)::int as rows`;
      const chainMs = performance.now() - t0;
      const [cons] = await admin<{ problems: number }[]>`
        select count(*)::int as problems from private.payout_problems() p
        join public.payouts po on po.id = p.payout_id
        join bench_claim.placements pl on pl.id = po.placement_id`;
      const bossDb = await boss.completedInDb();
      const [aDb] = await admin<
        { done: number }[]
      >`select count(*)::int as done from bench_claim.bench_jobs where status = 'done'`;
      const [cDb] = await admin<
        { done: number }[]
      >`select count(*)::int as done from bench_claim.audited_jobs where status = 'done'`;
      const [cbDb] = await admin<
        { done: number }[]
      >`select count(*)::int as done from bench_claim.audited_batch_jobs where status = 'done'`;
      // One payout's deferred consistency check (what payout_consistent runs per row event), N payouts in the table.
      const [probe] = await admin<{ id: string }[]>`select id from public.payouts order by id limit 1`;
      const oneProblemsMs = await medianMs(
        21,
        () => admin`select count(*) from private.payout_problems(array[${probe.id}::uuid])`,
      );

      // ---- profile (unmeasured) ----
      const prof = await profilePass(url, admin, batch);

      const ratioA = oursPerS / aPerS;
      const ratioB = oursPerS / bPerS;
      const cpuPerJob = (cpuMs: number, jobs: number) => round(cpuMs / Math.max(jobs, 1), 3);
      // issue 12's targets: DB CPU per claimed and paid tranche <= 6x pg-boss batch's DB CPU per
      // job; throughput >= 0.15x pg-boss batch (the skip-locked loop is reported, not a target)
      const cpuVsBoss = (ours.cpuMs / Math.max(paidIds.length, 1)) / (bBatch.cpuMs / Math.max(bBatch.r.completed, 1));
      const uniquePaid = new Set(paidIds).size;
      const checks: BenchCheck[] = [
        ...(cpuClock
          ? [{
            name: "db_cpu_per_tranche_vs_pgboss_batch_job",
            value: round(cpuVsBoss, 2),
            target: "<= 6",
            ok: cpuVsBoss <= 6,
          }]
          : []),
        { name: "throughput_vs_pgboss_batch", value: round(ratioB, 3), target: ">= 0.15", ok: ratioB >= 0.15 },
        {
          name: "zero double pays (one succeeded tranche per payout, Σ paid = Σ amounts)",
          value: `${v.double_paid} double, ${v.transfers_succeeded}/${v.payouts} paid, Σ ${v.sum_paid}/${v.sum_amount}`,
          target: `0 double, ${n}/${n} paid, Σ paid = Σ amounts = Σ succeeded`,
          ok: v.double_paid === 0 && v.transfers === n && v.transfers_succeeded === n && v.payouts === n &&
            v.payouts_paid === n && v.sum_paid === v.sum_amount && v.sum_succeeded === v.sum_amount &&
            uniquePaid === n && paidIds.length === n,
        },
        {
          name: "every schedule processed",
          value: `${v.schedules_processed}/${v.schedules} (${skipped} skipped claims)`,
          target: `${n}/${n}`,
          ok: v.schedules === n && v.schedules_processed === n && v.schedules_other === 0 && skipped === 0,
        },
        {
          name: "audit chain verified",
          value: `${chain.problems} problems in ${chain.rows} rows`,
          target: "0 problems",
          ok: chain.problems === 0,
        },
        {
          name: "audit rows and outbox events written by the run (as job)",
          value: `${written.audit} audit (${written.audit_not_job + v.not_job} not job), ${written.events} events`,
          target: "> 0, all as job",
          ok: written.audit > 0 && written.events > 0 && written.audit_not_job === 0 && v.not_job === 0,
        },
        { name: "payouts consistent (payout_problems)", value: cons.problems, target: "0", ok: cons.problems === 0 },
        {
          name: "baselines did all their jobs",
          value:
            `a ${aDone}/${aDb.done}, c ${cDone}/${cDb.done} + ${cbDone}/${cbDb.done}, pg-boss ${bBatch.r.completed}/${bossDb.batch} + ${bPerJob.r.completed}/${bossDb.perJob}`,
          target: `${n} each`,
          ok: aDone === n && aDb.done === n && cDone === n && cDb.done === n && cbDone === n && cbDb.done === n && bBatch.r.completed === n && bossDb.batch === n &&
            bPerJob.r.completed === n && bossDb.perJob === n,
        },
      ];
      return {
        metrics: {
          n,
          workers,
          batch_size: batch,
          setup_s: secs(setupMs),
          setup_model_s: secs(modelSetupMs),
          ours_tranches_per_s: round(oursPerS),
          ours_s: secs(ours.ms),
          skip_locked_jobs_per_s: round(aPerS),
          skip_locked_s: secs(a.ms),
          audited_floor_jobs_per_s: round(cPerS),
          audited_floor_s: secs(c.ms),
          // what the audit trail alone allows: (c) against the targets' baselines
          audited_floor_ratio_vs_skip_locked: round(cPerS / aPerS, 3),
          audited_floor_batch_jobs_per_s: round(cbPerS),
          audited_floor_batch_s: secs(cb.ms),
          audited_floor_batch_ratio_vs_pgboss: round(cbPerS / bPerS, 3),
          ratio_vs_audited_floor: round(oursPerS / cPerS, 3),
          ratio_vs_skip_locked: round(ratioA, 3),
          pgboss_batch_jobs_per_s: round(bPerS),
          pgboss_batch_s: secs(bBatch.r.ms),
          pgboss_per_job_jobs_per_s: round(bPerJobPerS),
          pgboss_per_job_s: secs(bPerJob.r.ms),
          ratio_vs_pgboss_per_job: round(oursPerS / bPerJobPerS, 3),
          ...(cpuClock
            ? {
              db_cpu_ms_per_tranche_ours: cpuPerJob(ours.cpuMs, paidIds.length),
              db_cpu_ms_per_job_skip_locked: cpuPerJob(a.cpuMs, aDone),
              db_cpu_ms_per_job_pgboss_batch: cpuPerJob(bBatch.cpuMs, bBatch.r.completed),
              db_cpu_ms_per_job_pgboss_per_job: cpuPerJob(bPerJob.cpuMs, bPerJob.r.completed),
              db_cpu_ms_per_job_audited_floor: cpuPerJob(c.cpuMs, cDone),
              db_cpu_ms_per_job_audited_floor_batch: cpuPerJob(cb.cpuMs, cbDone),
              db_cpu_ratio_vs_skip_locked: round((a.cpuMs / aDone) / (ours.cpuMs / paidIds.length), 3),
              db_cpu_ratio_vs_pgboss: round((bBatch.cpuMs / bBatch.r.completed) / (ours.cpuMs / paidIds.length), 3),
            }
            : {}),
          audit_rows_per_tranche: round(written.audit / n, 2),
          events_per_tranche: round(written.events / n, 2),
          verify_chain_s: secs(chainMs),
          payout_problems_one_payout_ms: round(oneProblemsMs, 3),
          profile_tranches: prof.n,
          profile_claim_ms_per_tranche: round(prof.claimMsPerTranche, 3),
          profile_complete_ms_per_tranche: round(prof.completeMsPerTranche, 3),
          profile_top: prof.top.join("; "),
          // what one tranche writes, claim + completion (serial profile pass)
          rows_written_per_tranche: prof.rowsPerTranche,
          rows_written_per_tranche_by_table: prof.rowsByTable,
          wal_bytes_per_tranche: prof.walBytesPerTranche,
        },
        checks,
      };
    } finally {
      await boss.stop().catch(() => {});
      await admin.end();
    }
  },
};

export default entry;
