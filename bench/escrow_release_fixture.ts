// Fixture of bench/escrow_release.bench.ts: N due guarantee holds, one per payout.
//
// Bulk-loaded, not made through the model's functions: one placement of 1 000 splits costs the
// model ~10 s of audited writes on this box, so 100 000 holds would take longer than every other
// entry together. The rows are written the way the model leaves them after
// record_placement_invoice + the invoice paid (the same columns, buckets and statuses: holdback
// 100 %, so each payout's whole amount is held by one active guarantee_period hold), with the
// triggers off (session_replication_role = replica, superuser) in one transaction, so they have
// no audit rows or events of their own. What the bench measures, the release, is written through
// the model and fully audited: its audit rows start these entities' chains. The fixture is
// checked with private.payout_problems before the run (buckets = holds, status derived).
//
// Scenario clock (UTC, year 2002: apart from the other entries): hired 2002-01-01 10:00,
// guarantee 30 days, invoice paid 2002-01-02 12:00; the holds' release date is 2002-01-31 (due at
// 03:00 UTC that day). RELEASE_NOW is after that.
import type postgres from "postgres";

export const RELEASE_NOW = "2002-02-01T04:00:00Z";
export const RELEASE_DATE = "2002-01-31";
/** Splits (payouts, holds) per placement: 1 bps each of a 100 000 000 fee. */
export const SPLITS = 1_000;
const ROLES = ["candidate_recruiter", "company_recruiter", "job_owner", "candidate_sourcer", "company_sourcer"];

/** Loads n due holds (rounded up to whole placements of SPLITS) and the bare-UPDATE copy of them. */
export async function createEscrowFixture(admin: postgres.Sql, n: number): Promise<number> {
  const placements = Math.max(1, Math.ceil(n / SPLITS));
  const recruiters = Math.ceil(SPLITS / ROLES.length);
  await admin.begin(async (tx) => {
    await tx`set local session_replication_role = replica`;
    await tx.unsafe(`
      create schema bench_escrow;
      comment on schema bench_escrow is 'bench/escrow_release.bench.ts: fixture ids and the bare-UPDATE baseline table.';
      create table bench_escrow.placements (id uuid primary key);
      -- the baseline: the same hold rows in a table with the same columns, constraints and
      -- indexes, and no trigger at all
      create table bench_escrow.bare (like public.escrow_holds including all);
      -- the audited floor: the same rows with the product's audit trigger and nothing else (what
      -- any audited release costs, whatever its logic; reported, not a target)
      create table bench_escrow.audited (like public.escrow_holds including all);
      select private.enable_audit('bench_escrow.audited', 'bench_escrow_hold');`);
    await tx`
      with u as (
        insert into auth.users (id, email, aud, role, raw_app_meta_data)
        select gen_random_uuid(), 'bench-escrow-' || g || '@bench.invalid', 'authenticated', 'authenticated',
               '{"provider":"email"}'
        from generate_series(1, ${recruiters}::integer) g
        returning id, email)
      insert into public.recruiters (user_id, display_name) select u.id, 'bench-escrow ' || u.email from u`;
    await tx`insert into public.companies (name) values ('bench-escrow company')`;
    await tx`
      with pl as (
        insert into public.placements (company_id, title, fee_amount, currency, holdback_bps, hired_at, guarantee_days,
                                       guarantee_expires_at, status, splits_locked_at, platform_amount)
        select (select id from public.companies where name = 'bench-escrow company'), 'bench escrow ' || g,
               100000000, 'USD', 10000, '2002-01-01 10:00Z', 30, '2002-01-31 10:00Z', 'hired', '2002-01-02 00:00Z',
               100000000 - ${SPLITS}::bigint * 10000
        from generate_series(1, ${placements}::integer) g
        returning id)
      insert into bench_escrow.placements select id from pl`;
    await tx`
      insert into public.placement_invoices (placement_id, currency, amount_due, status, paid_at, collectible_at)
      select id, 'USD', 100000000, 'paid', '2002-01-02 12:00Z', '2002-01-09 12:00Z' from bench_escrow.placements`;
    await tx`
      insert into public.placement_splits (placement_id, recruiter_id, role, share_bps)
      select p.id, r.ids[1 + j / 5], (${ROLES}::text[])[1 + j % 5], 1
      from bench_escrow.placements p
      cross join (select array_agg(id order by id) as ids from public.recruiters
                  where display_name like 'bench-escrow %') r
      cross join generate_series(0, ${SPLITS - 1}::integer) j`;
    await tx`
      insert into public.payouts (placement_id, split_id, recruiter_id, currency, amount, held_amount, status)
      select s.placement_id, s.id, s.recruiter_id, 'USD', 10000, 10000, 'pending'
      from public.placement_splits s join bench_escrow.placements p on p.id = s.placement_id`;
    await tx`
      insert into public.escrow_holds (placement_id, payout_id, recruiter_id, currency, hold_amount, hold_reason,
                                       held_at, release_scheduled_date, status)
      select po.placement_id, po.id, po.recruiter_id, 'USD', 10000, 'guarantee_period', '2002-01-02 12:00Z',
             ${RELEASE_DATE}::date, 'active'
      from public.payouts po join bench_escrow.placements p on p.id = po.placement_id`;
    await tx`
      insert into bench_escrow.bare
      select h.* from public.escrow_holds h join bench_escrow.placements p on p.id = h.placement_id`;
    await tx`insert into bench_escrow.audited select * from bench_escrow.bare`;
  });
  return placements * SPLITS;
}
