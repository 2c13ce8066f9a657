// Fixture of bench/escrow_release.bench.ts: N due guarantee holds, one per payout, made through
// the model's own functions (create_placement, splits, record_placement_invoice, the invoice paid),
// so every row has its audit trail and events. N holds are N / SPLITS placements of SPLITS
// splits (1 bps each): record_placement_invoice creates a placement's payouts and holds
// set-based, and setup stays minutes, not hours. (Not more splits per placement: today's audit
// chain takes one advisory lock per audited entity, and one transaction of 10 000 payouts and
// holds overflows the lock table, max_locks_per_transaction.)
//
// Scenario clock (UTC, year 2002: apart from the other entries): hired 2002-01-01 10:00,
// guarantee 30 days, holdback 100 % (everything held), invoice paid 2002-01-02: the holds are due
// at 2002-01-31 03:00 (release date = the guarantee's end, at the escrow release time).
// The release runs at RELEASE_NOW.
import type postgres from "postgres";

export const RELEASE_NOW = "2002-02-01T04:00:00Z";
export const SPLITS = 1_000;
const ROLES = ["candidate_recruiter", "company_recruiter", "job_owner", "candidate_sourcer", "company_sourcer"];

export const ESCROW_FIXTURE_DDL = `
create schema bench_escrow;
comment on schema bench_escrow is 'bench/escrow_release.bench.ts: fixture and the bare-UPDATE baseline table.';
create table bench_escrow.placements (id uuid primary key);

create function bench_escrow.make_recruiters(p_count integer) returns integer
language plpgsql as $$
begin
  insert into auth.users (id, email, aud, role, raw_app_meta_data)
  select gen_random_uuid(), 'bench-escrow-' || g || '@bench.invalid', 'authenticated', 'authenticated',
         '{"provider":"email"}'
  from generate_series(1, p_count) g;
  insert into public.recruiters (user_id, display_name)
  select u.id, 'bench-escrow ' || u.email from auth.users u where u.email like 'bench-escrow-%@bench.invalid';
  insert into public.companies (name) values ('bench-escrow company');
  return p_count;
end $$;

-- One placement of p_splits splits (1 bps each: fee / 10000 per payout), holdback 100 %, its
-- invoice recorded and paid: p_splits payouts, each with one active guarantee hold.
create function bench_escrow.make_placement(p_splits integer) returns uuid
language plpgsql as $$
declare
  v_company uuid := (select c.id from public.companies c where c.name = 'bench-escrow company' limit 1);
  v_r uuid[] := array(select r.id from public.recruiters r where r.display_name like 'bench-escrow %' order by r.id);
  v_roles text[] := array['${ROLES.join("','")}'];
  v_pl uuid;
  v_inv uuid;
begin
  v_pl := (private.create_placement(v_company, 100000000, 'USD', '2002-01-01 10:00Z', 30, 10000, 'bench escrow')).id;
  insert into bench_escrow.placements values (v_pl);
  insert into public.placement_splits (placement_id, recruiter_id, role, share_bps)
  select v_pl, v_r[1 + (j / 5)], v_roles[1 + j % 5], 1
  from generate_series(0, p_splits - 1) j;
  v_inv := (private.record_placement_invoice(v_pl, null, null, 'open', '2002-01-02')).id;
  perform private.transition_placement_invoice(v_inv, 'paid', null, '2002-01-02 12:00Z');
  return v_pl;
end $$;
`;

/** Creates n due holds (n a multiple of SPLITS, or less than SPLITS). */
export async function createEscrowFixture(admin: postgres.Sql, n: number): Promise<void> {
  const perPlacement = Math.min(n, SPLITS);
  await admin.unsafe(ESCROW_FIXTURE_DDL);
  await admin`select bench_escrow.make_recruiters(${Math.ceil(perPlacement / ROLES.length)}::integer)`;
  for (let made = 0; made < n; made += perPlacement) {
    await admin`select bench_escrow.make_placement(${Math.min(perPlacement, n - made)}::integer)`;
  }
}
