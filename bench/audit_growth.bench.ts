// How the cost of the audit trail grows with its history (issue 12, "Growth"). Opt-in: it loads
// 10 M audit rows and 5 M events, which takes minutes and gigabytes, so it never runs in CI nor in
// a plain `npm run bench`:
//
//   npm run bench -- --only growth --growth
//   (BENCH_GROWTH_ROWS=10000000 BENCH_GROWTH_EVENTS=5000000 BENCH_GROWTH_TRANCHES=2000 by default)
//
// 1. Tranches, empty history: N due tranches (the claim bench's fixture, bench/payout_claim_db_
//    fixture.ts, under its own schema and names) claimed and paid serially, 25 per claim and one
//    completion per claimed batch, as payout_jobs. The cluster's CPU per tranche is the baseline.
// 2. History of 1 M rows: chains of 5 rows (an insert and four updates) for 200 000 entities of an
//    audited table, bulk-loaded with valid hashes and heads, in past months (created_at 2025-01 to
//    2026-08), each pass verified by the real incremental verification. Then 50 000 new audit rows
//    (5 statements of 10 000 updates to chains that have history) and one incremental
//    verification, timed; three times, the median.
// 3. History grown to BENCH_GROWTH_ROWS, plus BENCH_GROWTH_EVENTS outbox events: the same 50 000
//    rows verification, timed again. Target: within 1.2x of step 2.
// 4. Tranches with the history present: N more due tranches, as in step 1. Target: DB CPU per
//    tranche within 1.2x of step 1.
// Reported: load time and the disk the log and the outbox use.
import postgres from "postgres";
import { clusterCpuClock } from "./payout_claim_db_cpu.ts";
import { FIXTURE_DDL, LEASE, MAIN_PAID_AT, PROFILE_NOW, PROFILE_PAID_AT, RUN_NOW, SPLITS_PER_PLACEMENT } from "./payout_claim_db_fixture.ts";
import type { BenchEntry } from "./types.ts";

const intEnv = (name: string, dflt: number) => {
  const v = Deno.env.get(name);
  return v ? Number(v) : dflt;
};
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const CHAIN = 5; // rows per bulk-loaded entity
const NEW_ROWS_ITEMS = 10_000; // entities updated 5 times = 50 000 new rows per measurement
const CHUNK = 250_000; // entities per bulk transaction

const DDL = FIXTURE_DDL.replaceAll("bench_claim", "bench_growth").replaceAll("bench-claim", "bench-growth") + `
create function bench_growth.eid(g bigint) returns uuid language sql immutable parallel safe
as $$ select ('00000000-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid $$;

-- An audited table whose first rows have bulk-loaded history: updating them appends to it.
create table bench_growth.items (id uuid primary key, amount bigint not null);
select private.enable_audit('bench_growth.items', 'bench_item');

-- Position p_seq of the chains of entities p_first .. p_first + p_count - 1, hashed like the
-- writer hashes (private.payout_audit_hash), linked to their heads, heads moved.
create function bench_growth.load_chain_rows(p_first bigint, p_count bigint, p_seq integer) returns bigint
language plpgsql as $$
declare
  v_n bigint;
begin
  perform set_config('payouts.audit_writer', 'on', true);
  with src as (
    select pg_catalog.nextval('public.payout_audit_log_id_seq'::regclass) as id, bench_growth.eid(g) as eid,
           case when p_seq = 1 then 'INSERT' else 'UPDATE' end as op,
           case when p_seq = 1 then null else jsonb_build_object('id', bench_growth.eid(g), 'amount', p_seq - 1) end as oldv,
           jsonb_build_object('id', bench_growth.eid(g), 'amount', p_seq) as newv,
           timestamptz '2025-01-01 00:00Z' + (g % 600) * interval '1 day' + p_seq * interval '1 hour' as ts,
           h.head_hash as prev
      from generate_series(p_first, p_first + p_count - 1) g
      left join private.payout_audit_chain_heads h on h.entity_type = 'bench_item' and h.entity_id = bench_growth.eid(g)
  ),
  hashed as (
    select s.*, private.payout_audit_hash(s.id, 'bench_item', s.eid, p_seq, null, null, s.op, lower(s.op), s.oldv,
                                          s.newv, null, 'system', null, pg_current_xact_id(), s.ts, s.prev) as h
      from src s
  ),
  logged as (
    insert into public.payout_audit_log (id, entity_type, entity_id, operation, action, old_values, new_values,
                                         changed_by_role, txid, created_at, entity_seq, prev_hash, row_hash)
    overriding system value
    select x.id, 'bench_item', x.eid, x.op, lower(x.op), x.oldv, x.newv, 'system', pg_current_xact_id(), x.ts,
           p_seq, x.prev, x.h
      from hashed x
    returning entity_id, row_hash
  ),
  moved as (
    insert into private.payout_audit_chain_heads as hd (entity_type, entity_id, row_count, head_hash, updated_at)
    select 'bench_item', l.entity_id, p_seq, l.row_hash, now() from logged l
    on conflict (entity_type, entity_id) do update
      set row_count = excluded.row_count, head_hash = excluded.head_hash, updated_at = excluded.updated_at
    returning 1
  )
  select count(*) into v_n from moved;
  return v_n;
end $$;
`;

async function tranches(sql: postgres.Sql, now: string): Promise<number> {
  const run = crypto.randomUUID();
  let paid = 0;
  for (;;) {
    const ids = await sql.begin(async (tx) => {
      await tx`select set_config('role', 'payout_jobs', true), set_config('payouts.actor_role', 'job', true)`;
      const rows = await tx<{ transfer_id: string | null }[]>`
        select transfer_id from private.claim_due_payout_schedules(${run}::uuid, 25, ${LEASE}::interval, ${now}::timestamptz)`;
      return rows.map((r) => r.transfer_id).filter((x): x is string => !!x);
    });
    if (ids.length === 0) return paid;
    await sql.begin(async (tx) => {
      await tx`select set_config('role', 'payout_jobs', true), set_config('payouts.actor_role', 'job', true)`;
      await tx`select count(*) from private.complete_payout_transfers(${ids}::uuid[],
                 ${ids.map((i) => "tr_growth" + i.replaceAll("-", ""))}::text[], ${now}::timestamptz)`;
    });
    paid += ids.length;
  }
}

const entry: BenchEntry = {
  name: "audit_growth",
  optIn: "growth",
  description:
    "audit trail at 10 M rows / 5 M events (bulk-loaded, valid chains): per-tranche DB CPU <= 1.2x empty; incremental verification of 50 000 new rows at 10 M <= 1.2x at 1 M",
  async run(ctx) {
    const totalRows = intEnv("BENCH_GROWTH_ROWS", 10_000_000);
    const totalEvents = intEnv("BENCH_GROWTH_EVENTS", 5_000_000);
    const n = intEnv("BENCH_GROWTH_TRANCHES", 2000);
    const placements = Math.max(1, Math.round(n / SPLITS_PER_PLACEMENT));
    const sql = postgres(ctx.env.SUPABASE_DB_URL, { max: 1, onnotice: () => {}, idle_timeout: 30 });
    try {
      await sql.unsafe(DDL);
      await sql`select bench_growth.make_recruiters(20)`;
      for (let off = 0; off < placements; off += 50) {
        await sql`select bench_growth.make_placements(${Math.min(50, placements - off)}, ${off}, 'main', ${MAIN_PAID_AT})`;
        await sql`select bench_growth.make_placements(${Math.min(50, placements - off)}, ${placements + off}, 'profile', ${PROFILE_PAID_AT})`;
      }
      await sql`select private.ensure_monthly_partitions(t, '2025-01-01', 21)
                from unnest(array['public.payout_audit_log', 'public.payout_events']::regclass[]) t`;
      // The items' history is the bulk-loaded chains: their rows are written without an audit row.
      await sql.begin(async (tx) => {
        await tx`set local session_replication_role = replica`;
        await tx`insert into bench_growth.items select bench_growth.eid(g), ${CHAIN} from generate_series(1, ${NEW_ROWS_ITEMS}) g`;
      });
      await sql`vacuum analyze`;
      const cpu = await clusterCpuClock(sql);
      if (!cpu) throw new Error("audit_growth needs the local cluster's /proc");

      // 1. tranches, empty history
      let c0 = await cpu();
      const paidEmpty = await tranches(sql, RUN_NOW);
      const cpuEmpty = ((await cpu()) - c0) / paidEmpty;
      await sql`select count(*) from private.verify_new_payout_audit_rows(now(), 10000000)`;

      // bulk history up to `rows` rows (entities from..to), each pass verified for real
      let loadedEntities = 0;
      let loadMs = 0;
      const grow = async (rows: number) => {
        const target = Math.floor(rows / CHAIN);
        const t0 = performance.now();
        for (let seq = 1; seq <= CHAIN; seq++) {
          for (let first = loadedEntities + 1; first <= target; first += CHUNK) {
            await sql`select bench_growth.load_chain_rows(${first}, ${Math.min(CHUNK, target - first + 1)}, ${seq})`;
            await sql`select count(*) from private.verify_new_payout_audit_rows(now(), 10000000)`;
          }
        }
        loadedEntities = target;
        loadMs += performance.now() - t0;
      };
      // the 50 000 new rows of a day, then their incremental verification (median of 3)
      const verifyNew = async () => {
        const samples: number[] = [];
        for (let i = 0; i < 3; i++) {
          for (let k = 0; k < 5; k++) await sql`update bench_growth.items set amount = amount + 1`;
          const t0 = performance.now();
          const [r] = await sql<{ rows_verified: string; problems: unknown[] }[]>`
            select rows_verified, problems from private.verify_new_payout_audit_rows(now(), 10000000)`;
          samples.push(performance.now() - t0);
          if (Number(r.rows_verified) !== 5 * NEW_ROWS_ITEMS || r.problems.length) {
            throw new Error(`verification: ${r.rows_verified} rows, ${JSON.stringify(r.problems).slice(0, 300)}`);
          }
        }
        return samples.sort((a, b) => a - b)[1];
      };

      // 2. 1 M rows of history
      await grow(Math.min(1_000_000, totalRows));
      await sql`vacuum analyze public.payout_audit_log, private.payout_audit_chain_heads, private.payout_audit_checkpoints`;
      const verify1M = await verifyNew();

      // 3. grown to totalRows, plus the events
      await grow(totalRows);
      const e0 = performance.now();
      for (let done = 0; done < totalEvents; done += 1_000_000) {
        await sql`insert into public.payout_events (event_type, entity_type, entity_id, actor_role, created_at)
                  select 'bench_item.changed', 'bench_item', bench_growth.eid(g % ${loadedEntities} + 1), 'system',
                         timestamptz '2025-01-01 00:00Z' + (g % 600) * interval '1 day'
                    from generate_series(${done + 1}::bigint, ${Math.min(done + 1_000_000, totalEvents)}::bigint) g`;
      }
      loadMs += performance.now() - e0;
      await sql`vacuum analyze`;
      const verifyBig = await verifyNew();

      // 4. tranches with the history present
      c0 = await cpu();
      const paidBig = await tranches(sql, PROFILE_NOW);
      const cpuBig = ((await cpu()) - c0) / paidBig;

      const [size] = await sql<{ log_rows: string; events: string; log_bytes: string; events_bytes: string }[]>`
        select (select count(*) from public.payout_audit_log) as log_rows,
               (select count(*) from public.payout_events) as events,
               (select sum(pg_total_relation_size(i.inhrelid)) from pg_inherits i
                 where i.inhparent = 'public.payout_audit_log'::regclass) as log_bytes,
               (select sum(pg_total_relation_size(i.inhrelid)) from pg_inherits i
                 where i.inhparent = 'public.payout_events'::regclass) as events_bytes`;
      const cpuRatio = cpuBig / cpuEmpty;
      const verifyRatio = verifyBig / verify1M;
      return {
        metrics: {
          tranches_empty: paidEmpty,
          tranches_with_history: paidBig,
          db_cpu_ms_per_tranche_empty: round(cpuEmpty, 3),
          db_cpu_ms_per_tranche_with_history: round(cpuBig, 3),
          audit_rows: Number(size.log_rows),
          events: Number(size.events),
          load_s: round(loadMs / 1000, 1),
          audit_log_gb: round(Number(size.log_bytes) / 2 ** 30, 2),
          events_gb: round(Number(size.events_bytes) / 2 ** 30, 2),
          incremental_verify_50k_ms_at_1m: round(verify1M, 1),
          incremental_verify_50k_ms_at_full: round(verifyBig, 1),
        },
        checks: [
          { name: "per-tranche DB CPU with history / empty", value: round(cpuRatio, 3), target: "<= 1.2", ok: cpuRatio <= 1.2 },
          {
            name: "incremental verification of 50 000 rows, full history / 1 M",
            value: round(verifyRatio, 3),
            target: "<= 1.2",
            ok: verifyRatio <= 1.2,
          },
          { name: "tranches paid in both phases", value: `${paidEmpty} + ${paidBig}`, target: `${n} each`, ok: paidEmpty === placements * SPLITS_PER_PLACEMENT && paidBig === paidEmpty },
        ],
      };
    } finally {
      await sql.end();
    }
  },
};

export default entry;
