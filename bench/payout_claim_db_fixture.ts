// Fixture and verification SQL of bench/payout_claim_db.bench.ts (see its header).
//
// Everything money-related is created through the model's own functions, exactly as
// supabase/tests/money/_fixtures.psql does it (create_placement, splits, record_placement_invoice,
// transition_placement_invoice -> paid, set_recruiter_connect_account), so every row has its
// audit trail, chain links and outbox events, and the deferred consistency triggers ran. Only the
// loop is set-based: bench_claim.make_placements() calls those functions for a slice of
// placements inside one transaction per call.
//
// Scenario clock (UTC), far from seed data and from other bench entries (year 2001):
//   hired 2001-01-01 10:00, guarantee 90 days, holdback 0 (everything payable), invoice recorded
//   2001-01-02, paid 2001-01-05 12:00 -> collectible 2001-01-12 12:00 -> due 2001-01-13 02:00.
//   The measured run claims and completes at RUN_NOW = 2001-02-01.
//   The profile set is paid 2001-02-10 12:00 -> due 2001-02-18 02:00: not due at RUN_NOW, claimed
//   by the (separate, serial, unmeasured) profile pass at PROFILE_NOW = 2001-03-01.
import type postgres from "postgres";

export const SPLITS_PER_PLACEMENT = 5;
export const RUN_NOW = "2001-02-01T00:00:00Z";
export const PROFILE_NOW = "2001-03-01T00:00:00Z";
export const MAIN_PAID_AT = "2001-01-05T12:00:00Z";
export const PROFILE_PAID_AT = "2001-02-10T12:00:00Z";
export const LEASE = "15 minutes";

export const FIXTURE_DDL = `
create schema bench_claim;
comment on schema bench_claim is 'bench/payout_claim_db.bench.ts: fixture ids and the no-trigger baseline table.';
create table bench_claim.placements (id uuid primary key, kind text not null check (kind in ('main', 'profile')));

-- Recruiters with a user and a transfer-capable connected account (capabilities.transfers active).
create function bench_claim.make_recruiters(p_count integer) returns integer
language plpgsql as $$
begin
  insert into auth.users (id, email, aud, role, raw_app_meta_data)
  select gen_random_uuid(), 'bench-claim-' || g || '@bench.invalid', 'authenticated', 'authenticated',
         '{"provider":"email"}'
  from generate_series(1, p_count) g;
  insert into public.recruiters (user_id, display_name)
  select u.id, 'bench-claim ' || u.email from auth.users u where u.email like 'bench-claim-%@bench.invalid';
  perform private.set_recruiter_connect_account(r.id, 'acct_bench' || replace(r.id::text, '-', ''), 'active',
                                                '2001-01-01')
  from public.recruiters r where r.display_name like 'bench-claim %';
  insert into public.companies (name) values ('bench-claim company');
  return p_count;
end $$;

-- p_count hired placements, each with ${SPLITS_PER_PLACEMENT} splits (one per role, 2000 bps each: the
-- platform keeps nothing), holdback 0; invoice recorded and paid at p_paid_at: every payout gets a
-- pending schedule of its whole amount (trigger invoice.collectible).
create function bench_claim.make_placements(p_count integer, p_offset integer, p_kind text, p_paid_at timestamptz)
returns integer
language plpgsql as $$
declare
  v_company uuid := (select c.id from public.companies c where c.name = 'bench-claim company' limit 1);
  v_r uuid[] := array(select r.id from public.recruiters r where r.display_name like 'bench-claim %' order by r.id);
  v_n integer := array_length(v_r, 1);
  v_roles text[] := array['candidate_recruiter', 'company_recruiter', 'job_owner', 'candidate_sourcer',
                          'company_sourcer'];
  v_pl uuid;
  v_inv uuid;
  k integer;
begin
  for k in p_offset + 1 .. p_offset + p_count loop
    v_pl := (private.create_placement(v_company, 100000 + k * 7, 'USD', '2001-01-01 10:00Z', 90, 0,
                                      'bench claim ' || k)).id;
    insert into bench_claim.placements values (v_pl, p_kind);
    insert into public.placement_splits (placement_id, recruiter_id, role, share_bps)
    select v_pl, v_r[1 + (k * ${SPLITS_PER_PLACEMENT} + j) % v_n], v_roles[1 + j], 2000
    from generate_series(0, ${SPLITS_PER_PLACEMENT - 1}) j;
    v_inv := (private.record_placement_invoice(v_pl, null, null, 'open', '2001-01-02')).id;
    perform private.transition_placement_invoice(v_inv, 'paid', null, p_paid_at);
  end loop;
  return p_count;
end $$;

-- Baseline (a): the same skip-locked claim / complete loop on a plain table, no triggers.
-- Same due index shape as payout_schedules_due_idx.
create table bench_claim.bench_jobs (
  id bigserial primary key,
  status text not null default 'pending' check (status in ('pending', 'processing', 'done')),
  amount bigint not null,
  next_attempt_at timestamptz not null,
  claimed_by_run uuid,
  claimed_at timestamptz,
  lease_expires_at timestamptz,
  result text,
  completed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index bench_jobs_due_idx on bench_claim.bench_jobs (next_attempt_at) where status = 'pending';

-- Floor (c): the same table and loop with the product's audit trigger attached
-- (private.enable_audit: whole old/new row as jsonb, actor, sha256 chain link per entity, the audit
-- log's indexes). Every job is two audited row changes (claim, complete): the least audit a tranche
-- can have, fewer than the payout run's (tranche, schedule and payout rows at claim and at
-- completion). What (c) costs next to (a) is what any audited claim/complete costs, whatever
-- its logic.
create table bench_claim.audited_jobs (
  id uuid primary key default gen_random_uuid(),
  status text not null default 'pending' check (status in ('pending', 'processing', 'done')),
  amount bigint not null,
  next_attempt_at timestamptz not null,
  claimed_by_run uuid,
  claimed_at timestamptz,
  lease_expires_at timestamptz,
  result text,
  completed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index audited_jobs_due_idx on bench_claim.audited_jobs (next_attempt_at) where status = 'pending';
select private.enable_audit('bench_claim.audited_jobs', 'bench_job');
-- The same, worked like pg-boss's batch mode (one complete per claimed batch).
create table bench_claim.audited_batch_jobs (like bench_claim.audited_jobs including all);
select private.enable_audit('bench_claim.audited_batch_jobs', 'bench_batch_job');
grant usage on schema bench_claim to payout_jobs;
grant select, update on bench_claim.audited_jobs, bench_claim.audited_batch_jobs to payout_jobs;
`;

/**
 * Creates the fixture: recruiters, `placements` main placements (slices of `slice` per
 * transaction, on `parallel` connections) and `profilePlacements` for the profile pass.
 * Money tables are analyzed as they grow, as autovacuum would on a live database.
 */
export async function createFixture(
  admin: postgres.Sql,
  connect: () => postgres.Sql,
  o: { recruiters: number; placements: number; profilePlacements: number; slice: number; parallel: number },
): Promise<void> {
  const analyze = () =>
    admin`analyze public.placements, public.placement_splits, public.placement_invoices, public.payouts,
                  public.payout_schedules, public.payout_transfers, public.escrow_holds, public.payout_audit_log,
                  private.payout_audit_chain_heads, public.payout_events`;
  await admin.unsafe(FIXTURE_DDL);
  await admin`select bench_claim.make_recruiters(${o.recruiters}::integer)`;
  const slices: { count: number; offset: number; kind: string; paidAt: string }[] = [];
  for (let off = 0; off < o.placements; off += o.slice) {
    slices.push({ count: Math.min(o.slice, o.placements - off), offset: off, kind: "main", paidAt: MAIN_PAID_AT });
  }
  slices.push({ count: o.profilePlacements, offset: o.placements, kind: "profile", paidAt: PROFILE_PAID_AT });
  let done = 0, nextAnalyze = 1;
  const conns = Array.from({ length: o.parallel }, connect);
  try {
    await Promise.all(conns.map(async (c) => {
      for (let s = slices.shift(); s; s = slices.shift()) {
        await c`select bench_claim.make_placements(${s.count}::integer, ${s.offset}::integer, ${s.kind}, ${s.paidAt}::timestamptz)`;
        if (++done >= nextAnalyze) {
          nextAnalyze *= 2;
          await analyze();
        }
      }
    }));
  } finally {
    await Promise.all(conns.map((c) => c.end()));
  }
}

/** The payouts/schedules/transfers of the main set (what the measured run must have paid). */
export async function verifyMain(sql: postgres.Sql) {
  const [r] = await sql<{
    payouts: string;
    payouts_paid: string;
    sum_amount: string;
    sum_paid: string;
    sum_succeeded: string;
    schedules: string;
    schedules_processed: string;
    schedules_other: string;
    transfers: string;
    transfers_succeeded: string;
    double_paid: string;
    not_job: string;
  }[]>`
    with pl as (select id from bench_claim.placements where kind = 'main'),
    po as (select po.* from public.payouts po join pl on pl.id = po.placement_id),
    sc as (select s.* from public.payout_schedules s join pl on pl.id = s.placement_id),
    tr as (select t.* from public.payout_transfers t join pl on pl.id = t.placement_id)
    select (select count(*) from po) as payouts,
           (select count(*) from po where po.status = 'paid' and po.paid_amount = po.amount) as payouts_paid,
           (select coalesce(sum(amount), 0) from po) as sum_amount,
           (select coalesce(sum(paid_amount), 0) from po) as sum_paid,
           (select coalesce(sum(amount), 0) from tr where tr.status = 'succeeded') as sum_succeeded,
           (select count(*) from sc) as schedules,
           (select count(*) from sc where sc.status = 'processed') as schedules_processed,
           (select count(*) from sc where sc.status <> 'processed') as schedules_other,
           (select count(*) from tr) as transfers,
           (select count(*) from tr where tr.status = 'succeeded') as transfers_succeeded,
           (select count(*) from (select payout_id from tr where tr.status = 'succeeded'
                                  group by payout_id having count(*) > 1) d) as double_paid,
           (select count(*) from public.payout_audit_log a join pl on pl.id = a.placement_id
             where a.action in ('payout_schedule.claim', 'payout_transfer.complete')
               and a.changed_by_role <> 'job') as not_job`;
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v)])) as Record<keyof typeof r, number>;
}
