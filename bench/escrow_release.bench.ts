// Escrow release at scale (issue 12, part 4): 100 000 due holds released by the escrow run,
// audited, with their outbox events and the payout schedules of the released money, against a
// bare UPDATE of the same rows, in the same run on the same cluster.
//
//   npm run bench -- --only escrow          (BENCH_ESCROW_N: holds, default 100 000)
//
// Setup (bench/escrow_release_fixture.ts): N due guarantee holds, one per payout, bulk-loaded as
// the model leaves them, and the same hold rows in bench_escrow.bare (same columns, constraints
// and indexes, no trigger). VACUUM ANALYZE + CHECKPOINT before measuring.
//
// Baseline: ONE statement, `update bench_escrow.bare set status = 'released', released_at,
// updated_at where status = 'active' and release_scheduled_date <= <date>`: what releasing the
// holds costs with nothing else (no audit, no events, no buckets, no schedules, no checks).
//
// Ours: the real process-escrow-releases Edge Function, rung as the doorbell does (the next ring
// once the previous invocation finished, while due holds remain): batches of ESCROW_BATCH_SIZE
// (1 000) holds, each `private.run_escrow_releases` in its own transaction (hold released,
// payout held -> payable, a pending schedule, three audited rows, two events, the deferred
// consistency check). Target: ours <= 3x the bare UPDATE (cluster CPU and wall clock, reported;
// the check is on CPU, which other processes on the shared box do not inflate).
// Also reported: the longest batch transaction (how long a batch holds its payouts' locks, i.e.
// the longest the payout run can wait for it), and the function's CPU per invocation (the hosted
// limit is 2 s per isolate: the run must never be killed by it).
import postgres from "postgres";
import type { WorkerRecord } from "../local/stack/functions.ts";
import { LOCAL_PAYOUT_JOB_SECRET } from "../local/stack/payout_jobs.ts";
import { clusterCpuClock } from "./payout_claim_db_cpu.ts";
import { createEscrowFixture, RELEASE_DATE } from "./escrow_release_fixture.ts";
import type { BenchCheck, BenchEntry } from "./types.ts";

const FN = "process-escrow-releases";
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const intEnv = (name: string, dflt: number) => {
  const v = Deno.env.get(name);
  return v && /^\d+$/.test(v) ? Number(v) : dflt;
};

const entry: BenchEntry = {
  name: "escrow release at scale",
  description: "100 000 due holds released by process-escrow-releases (batches, audited, events, schedules) " +
    "vs a bare UPDATE of the same rows (<= 3x)",
  async run(ctx) {
    const url = ctx.env.SUPABASE_DB_URL;
    const admin = postgres(url, { max: 2, onnotice: () => {}, connection: { application_name: "bench-escrow" } });
    try {
      const s0 = performance.now();
      const n = await createEscrowFixture(admin, intEnv("BENCH_ESCROW_N", 100_000));
      await admin`vacuum analyze`;
      const [{ problems }] = await admin<{ problems: number }[]>`
        select count(*)::int as problems from private.payout_problems(array(
          select po.id from public.payouts po join bench_escrow.placements p on p.id = po.placement_id))`;
      if (problems !== 0) throw new Error(`fixture: ${problems} payout problems`);
      await admin`vacuum analyze`;
      await admin`checkpoint`;
      const setupS = (performance.now() - s0) / 1000;
      const cpu = await clusterCpuClock(admin);
      const cpuNow = async () => (cpu ? await cpu() : NaN);

      // ---- baseline: one bare UPDATE of the same rows ----
      let c0 = await cpuNow();
      let t0 = performance.now();
      const bare = await admin`
        update bench_escrow.bare set status = 'released', released_at = now(), updated_at = now()
        where status = 'active' and release_scheduled_date <= ${RELEASE_DATE}::date`;
      const bareMs = performance.now() - t0;
      const bareCpu = (await cpuNow()) - c0;
      await admin`checkpoint`;

      // ---- reported: the audited floor, the same UPDATE in batches of 1 000 with the audit trigger ----
      c0 = await cpuNow();
      t0 = performance.now();
      let floorRows = 0;
      for (;;) {
        const r = await admin`
          update bench_escrow.audited set status = 'released', released_at = now(), updated_at = now()
          where id in (select id from bench_escrow.audited where status = 'active'
                         and release_scheduled_date <= ${RELEASE_DATE}::date order by id limit 1000)`;
        floorRows += r.count;
        if (r.count < 1000) break;
      }
      const floorMs = performance.now() - t0;
      const floorCpu = (await cpuNow()) - c0;
      await admin`checkpoint`;

      // ---- ours: the Edge Function, rung until nothing is due ----
      const [{ t: dbStart }] = await admin<{ t: Date }[]>`select now() as t`;
      const fnStart = Date.now();
      const ring = async () => {
        const res = await fetch(`${ctx.env.SUPABASE_URL}/functions/v1/${FN}`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-job-secret": ctx.env.PAYOUT_JOB_SECRET ?? LOCAL_PAYOUT_JOB_SECRET,
          },
          body: JSON.stringify({ trigger: "manual" }),
        });
        const body = await res.json();
        if (res.status !== 202) throw new Error(`${FN}: ${res.status} ${JSON.stringify(body)}`);
        return body.invocation_id as string;
      };
      const due = async () =>
        (await admin<{ n: number }[]>`
          select count(*)::int as n from public.escrow_holds h join bench_escrow.placements p on p.id = h.placement_id
          where h.status = 'active'`)[0].n;
      c0 = await cpuNow();
      t0 = performance.now();
      let invocations = 0;
      const outcomes: string[] = [];
      const deadline = performance.now() + 60 * 60_000;
      while ((await due()) > 0 && performance.now() < deadline) {
        const id = await ring();
        invocations++;
        for (;;) {
          const [r] = await admin<{ outcome: string | null }[]>`
            select outcome from private.payout_run_invocations where id = ${id}::uuid and finished_at is not null`;
          if (r) {
            outcomes.push(r.outcome ?? "?");
            break;
          }
          await sleep(250);
        }
      }
      const oursMs = performance.now() - t0;
      const oursCpu = (await cpuNow()) - c0;
      await sleep(3_000); // the workers' last samples

      const [v] = await admin<
        { released: number; schedules: number; audit: number; events: number; not_job: number; problems: number }[]
      >`
        with pl as (select id from bench_escrow.placements)
        select (select count(*) from public.escrow_holds h join pl on pl.id = h.placement_id where h.status = 'released')::int as released,
               (select count(*) from public.payout_schedules s join pl on pl.id = s.placement_id
                 where s.status = 'pending' and s.trigger_event = 'escrow_hold.released')::int as schedules,
               (select count(*) from public.payout_audit_log a join pl on pl.id = a.placement_id
                 where a.created_at >= ${dbStart})::int as audit,
               (select count(*) from public.payout_events e join pl on pl.id = e.placement_id
                 where e.created_at >= ${dbStart})::int as events,
               (select count(*) from public.payout_audit_log a join pl on pl.id = a.placement_id
                 where a.created_at >= ${dbStart} and a.changed_by_role <> 'job')::int as not_job,
               (select count(*) from private.payout_problems(array(
                  select po.id from public.payouts po join pl on pl.id = po.placement_id)))::int as problems`;
      const [chain] = await admin<{ problems: number }[]>`
        select count(*)::int as problems from public.verify_payout_audit_chain('escrow_hold')`;
      // each batch's transaction, from the invocations' counters: released per invocation / time
      const inv = await admin<{ released: number; ms: number }[]>`
        select released::int, extract(epoch from (finished_at - started_at)) * 1000 as ms
        from private.payout_run_invocations where kind = 'escrow_releases' and started_at >= ${dbStart}`;
      const workers = ctx.stack.functions.workers().filter((w: WorkerRecord) => w.fn === FN && w.startedAt >= fnStart);
      const killed = workers.filter((w) => w.endReason === "CPUTime" || w.endReason === "Memory").length;
      const fnCpuMax = Math.max(0, ...workers.map((w) => w.cpuMs));

      const cpuRatio = oursCpu / bareCpu;
      const wallRatio = oursMs / bareMs;
      const checks: BenchCheck[] = [
        {
          name: "DB CPU: release of the due holds / bare UPDATE of the same rows",
          value: round(cpuRatio, 2),
          target: "<= 3",
          ok: cpuRatio <= 3,
        },
        {
          name: "every due hold released, its payout scheduled, audited as job, with events",
          value: `${v.released}/${n} released, ${v.schedules} schedules, ${v.audit} audit rows (${v.not_job} not job), ${v.events} events`,
          target: `${n}/${n}, ${n} schedules, 3 audit rows and 2 events per hold`,
          ok: v.released === n && v.schedules === n && v.audit === 3 * n && v.events === 2 * n && v.not_job === 0 &&
            bare.count === n,
        },
        { name: "payouts consistent, hold chains verified", value: `${v.problems} / ${chain.problems}`, target: "0 / 0", ok: v.problems === 0 && chain.problems === 0 },
        {
          name: "no function worker killed (CPU 2 s, memory)",
          value: `${killed} of ${workers.length} (max CPU ${round(fnCpuMax, 0)} ms)`,
          target: "0",
          ok: killed === 0,
        },
      ];
      return {
        metrics: {
          holds: n,
          setup_s: round(setupS, 1),
          bare_update_s: round(bareMs / 1000, 2),
          bare_update_db_cpu_s: round(bareCpu / 1000, 2),
          ours_s: round(oursMs / 1000, 1),
          ours_db_cpu_s: round(oursCpu / 1000, 1),
          ours_holds_per_s: round(n / (oursMs / 1000), 0),
          db_cpu_ms_per_hold_ours: round(oursCpu / n, 3),
          db_cpu_ms_per_hold_bare: round(bareCpu / n, 4),
          audited_floor_s: round(floorMs / 1000, 2),
          db_cpu_ms_per_hold_audited_floor: round(floorCpu / Math.max(1, floorRows), 4),
          audited_floor_ratio_vs_bare: round(floorCpu / bareCpu, 1),
          ratio_vs_audited_floor: round(oursCpu / floorCpu, 1),
          wall_ratio_vs_bare: round(wallRatio, 1),
          invocations,
          ms_per_batch_of_1000_avg: round(oursMs / Math.ceil(n / 1000), 0),
          outcomes: outcomes.join(","),
          invocation_s: inv.map((i) => `${i.released}/${round(i.ms / 1000, 0)}s`).join(", "),
          function_workers: workers.length,
          function_cpu_ms_max: round(fnCpuMax, 0),
          function_cpu_ms_per_1000_holds: round((workers.reduce((a, w) => a + w.cpuMs, 0) / n) * 1000, 1),
        },
        checks,
      };
    } finally {
      await admin.end();
    }
  },
};

export default entry;
