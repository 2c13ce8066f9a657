-- Access, part 6: read RPCs.
--   placement_escrow_total(p_placement_id)  the placement's parties: escrow totals
--   payout_run_preview(p_now)               admins: what the next run would pay, and why not
--   admin_companies / admin_placements / admin_placement_invoices / admin_payout_audit_log
--                                           admins: the full rows, with the columns that are
--                                           not granted to `authenticated` (20261128090100)
-- Same shape as the admin RPCs: a one-line public wrapper over private.require_platform_admin()
-- -> private security definer body (the wrapper of placement_escrow_total has no admin gate: its
-- body decides per party).

-- Fail fast rather than queue behind (and in front of) live traffic; the CLI runs each
-- migration file in one transaction, so these last for this file only.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- ---------------------------------------------------------------------------------------------
-- placement_escrow_total
-- ---------------------------------------------------------------------------------------------
-- scope 'placement' (platform admins): every hold of the placement, with amounts.
-- scope 'company' (members of the placement's company): every hold of the placement, counts and
-- dates only: the amounts are null. Company members see no recruiter amounts (docs/access.md),
-- and a placement total is one (one recruiter on the placement, or holds released one by one).
-- scope 'own' (a recruiter with a split on it): only the recruiter's own holds, with amounts,
-- since a placement-wide total minus their own would reveal co-recruiters' amounts.
-- Anyone else gets 42501, whether or not the placement exists (no existence oracle, no input
-- error before the refusal); admins get PT400 for a null id and PT404 for an unknown one.
create function private.rpc_placement_escrow_total(p_placement_id uuid)
returns table (
  placement_id uuid,
  currency char(3),
  scope text,
  held_amount bigint,
  released_amount bigint,
  cancelled_amount bigint,
  active_hold_count integer,
  next_release_date date)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_placement public.placements;
  v_scope text;
begin
  select * into v_placement from public.placements p where p.id = p_placement_id;

  if private.is_platform_admin() then
    if p_placement_id is null then
      raise exception 'p_placement_id is required' using errcode = 'PT400';
    end if;
    if v_placement.id is null then
      raise exception 'placement % not found', p_placement_id using errcode = 'PT404';
    end if;
    v_scope := 'placement';
  elsif v_placement.id is not null
        and v_placement.company_id in (select c.id from private.my_company_ids() c(id)) then
    v_scope := 'company';
  elsif v_placement.id is not null
        and exists (select 1 from public.placement_splits s
                    where s.placement_id = v_placement.id and s.recruiter_id = private.my_recruiter_id()) then
    v_scope := 'own';
  else
    raise exception 'permission denied: not a party to placement %', p_placement_id using errcode = '42501';
  end if;

  return query
  select v_placement.id, v_placement.currency, v_scope,
         case when v_scope <> 'company' then coalesce(sum(h.hold_amount) filter (where h.status = 'active'), 0)::bigint end,
         case when v_scope <> 'company' then coalesce(sum(h.hold_amount) filter (where h.status = 'released'), 0)::bigint end,
         case when v_scope <> 'company' then coalesce(sum(h.hold_amount) filter (where h.status = 'cancelled'), 0)::bigint end,
         (count(*) filter (where h.status = 'active'))::integer,
         min(h.release_scheduled_date) filter (where h.status = 'active')
  from public.escrow_holds h
  where h.placement_id = v_placement.id
    and (v_scope <> 'own' or h.payout_id in (select m.id from private.my_payout_ids() m(id)));
end
$$;
comment on function private.rpc_placement_escrow_total(uuid) is
  'Body of public.placement_escrow_total: decides the caller''s scope (placement / company / own) or raises 42501.';

create function public.placement_escrow_total(p_placement_id uuid default null)
returns table (
  placement_id uuid,
  currency char(3),
  scope text,
  held_amount bigint,
  released_amount bigint,
  cancelled_amount bigint,
  active_hold_count integer,
  next_release_date date)
language sql
stable
security invoker
set search_path = ''
as $$
  select t.placement_id, t.currency, t.scope, t.held_amount, t.released_amount, t.cancelled_amount,
         t.active_hold_count, t.next_release_date
  from private.rpc_placement_escrow_total(p_placement_id) t
$$;
comment on function public.placement_escrow_total(uuid) is
  'Escrow totals of a placement, one row: held (active), released and cancelled (forfeited) amounts in minor units, number of active holds, next release date. scope = placement for platform admins (all holds); scope = company for members of the placement''s company (all holds, counts and dates only: the amounts are null, company members see no recruiter amounts); scope = own for a recruiter with a split on it (their own holds only: co-recruiters'' amounts are never revealed). 42501 for anyone else (also for an unknown placement or a null id); admins: PT400 null id, PT404 unknown placement.';

-- ---------------------------------------------------------------------------------------------
-- payout_run_preview
-- ---------------------------------------------------------------------------------------------
create function private.rpc_payout_run_preview(p_now timestamptz)
returns table (
  payout_id uuid,
  placement_id uuid,
  recruiter_id uuid,
  currency char(3),
  payout_status text,
  payable_amount bigint,
  held_amount bigint,
  in_flight_amount bigint,
  schedule_id uuid,
  schedule_status text,
  next_attempt_at timestamptz,
  would_pay boolean,
  amount bigint,
  reason text)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform private.require_platform_admin();
  if p_now is null or not pg_catalog.isfinite(p_now) then
    raise exception 'p_now must be a finite time (got %)', coalesce(p_now::text, 'nothing (null)') using errcode = 'PT400';
  end if;
  return query
  with b as (
    select po.id, po.placement_id, po.recruiter_id, po.currency, po.status, po.payable_amount, po.held_amount,
           po.in_flight_amount, s.id as sid, s.status as sstatus, s.next_attempt_at, g.why
    from public.payouts po
    join private.payout_eligibility(p_now, null) e on e.payout_id = po.id
    left join public.payout_schedules s on s.payout_id = po.id and s.status in ('pending', 'processing', 'failed')
    cross join lateral (
      select coalesce(e.reason, case
        when s.id is null then 'no_schedule'
        when s.status = 'processing' then 'in_flight'
        when s.status = 'failed' and s.retry_count >= s.max_attempts then 'schedule_exhausted'
        when s.next_attempt_at > p_now then 'not_due'
      end) as why
    ) g
    where po.status in ('pending', 'partially_paid')
  ), capped as (
    -- velocity caps (20261202140000_velocity_caps): what would pay, in the claim's due order,
    -- through the claim's own rule for the UTC day of p_now
    select f.id
    from (select pg_catalog.array_agg(b.sid order by b.next_attempt_at, b.sid) as ids,
                 pg_catalog.array_agg(b.currency::text order by b.next_attempt_at, b.sid) as curs,
                 pg_catalog.array_agg(b.recruiter_id order by b.next_attempt_at, b.sid) as rids,
                 pg_catalog.array_agg(b.payable_amount order by b.next_attempt_at, b.sid) as amts
          from b where b.why is null and b.currency in (select k.currency from private.payout_caps k)) a
    cross join lateral private.payout_cap_overflow((p_now at time zone 'UTC')::date, a.ids, a.curs, a.rids, a.amts) f
  )
  select b.id, b.placement_id, b.recruiter_id, b.currency, b.status, b.payable_amount, b.held_amount,
         b.in_flight_amount, b.sid, b.sstatus, b.next_attempt_at, w.why is null,
         case when w.why is null then b.payable_amount else 0::bigint end, w.why
  from b
  cross join lateral (
    select coalesce(b.why, case when b.sid in (select capped.id from capped) then 'cap_reached' end) as why
  ) w
  order by (w.why is null) desc, b.id;
end
$$;
comment on function private.rpc_payout_run_preview(timestamptz) is
  'Body of public.payout_run_preview (platform admins only, 42501).';

create function public.payout_run_preview(p_now timestamptz default pg_catalog.now())
returns table (
  payout_id uuid,
  placement_id uuid,
  recruiter_id uuid,
  currency char(3),
  payout_status text,
  payable_amount bigint,
  held_amount bigint,
  in_flight_amount bigint,
  schedule_id uuid,
  schedule_status text,
  next_attempt_at timestamptz,
  would_pay boolean,
  amount bigint,
  reason text)
language sql
stable
security invoker
set search_path = ''
as $$
  select private.rpc_payout_run_preview(p_now) from private.require_platform_admin()
$$;
comment on function public.payout_run_preview(timestamptz) is
  'Admin: one row per payout with money outstanding (status pending or partially_paid) as a claim at p_now (default now) would see it: would_pay and amount (its payable amount), or the reason it would not be paid - the first failing eligibility gate (platform_paused, placement_failed, invoice_not_collectible, recruiter_cannot_receive_transfers, recruiter_paused, nothing_payable), else no_schedule, in_flight, schedule_exhausted or not_due, or cap_reached when it would not fit a velocity cap of the UTC day of p_now (private.payout_cap_overflow, in due order). Changes nothing. 42501; PT400 null p_now.';

-- The totals of the preview in the database: a console summing the preview's rows would read every
-- payout, a page at a time, and each page computes the whole preview again.
create function private.rpc_payout_run_totals(p_now timestamptz)
returns table (currency char(3), payouts bigint, amount bigint)
language sql
stable
security definer
set search_path = ''
as $$
  select p.currency, pg_catalog.count(*), pg_catalog.sum(p.amount)::bigint
  from private.rpc_payout_run_preview(p_now) p
  where p.would_pay
  group by p.currency
  order by p.currency
$$;
comment on function private.rpc_payout_run_totals(timestamptz) is
  'Body of public.payout_run_totals (platform admins only, 42501: the preview''s body checks).';

create function public.payout_run_totals(p_now timestamptz default pg_catalog.now())
returns table (currency char(3), payouts bigint, amount bigint)
language sql
stable
security invoker
set search_path = ''
as $$
  select private.rpc_payout_run_totals(p_now) from private.require_platform_admin()
$$;
comment on function public.payout_run_totals(timestamptz) is
  'Admin: per currency, the payouts a claim at p_now (default now) would pay and their amount in minor units: the would_pay rows of payout_run_preview, summed. Changes nothing. 42501; PT400 null p_now.';

-- ---------------------------------------------------------------------------------------------
-- Admin reads of the columns authenticated is not granted
-- ---------------------------------------------------------------------------------------------
create function private.rpc_admin_companies(p_company_ids uuid[])
returns setof public.companies
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform private.require_platform_admin();
  return query
  select c.* from public.companies c
  where p_company_ids is null or c.id = any (p_company_ids)
  order by c.name, c.id;
end
$$;
comment on function private.rpc_admin_companies(uuid[]) is
  'Body of public.admin_companies (platform admins only, 42501).';

create function private.rpc_admin_placements(p_placement_ids uuid[])
returns setof public.placements
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform private.require_platform_admin();
  return query
  select p.* from public.placements p
  where p_placement_ids is null or p.id = any (p_placement_ids)
  order by p.created_at desc, p.id;
end
$$;
comment on function private.rpc_admin_placements(uuid[]) is
  'Body of public.admin_placements (platform admins only, 42501).';

create function private.rpc_admin_placement_invoices(p_placement_ids uuid[])
returns setof public.placement_invoices
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform private.require_platform_admin();
  return query
  select i.* from public.placement_invoices i
  where p_placement_ids is null or i.placement_id = any (p_placement_ids)
  order by i.created_at desc, i.id;
end
$$;
comment on function private.rpc_admin_placement_invoices(uuid[]) is
  'Body of public.admin_placement_invoices (platform admins only, 42501).';

create function private.rpc_admin_payout_audit_log(
  p_entity_type text, p_entity_id uuid, p_placement_id uuid, p_payout_id uuid, p_after_id bigint, p_limit integer)
returns setof public.payout_audit_log
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform private.require_platform_admin();
  if p_limit is null or p_limit not between 1 and 1000 then
    raise exception 'p_limit must be between 1 and 1000 (got %)', p_limit using errcode = 'PT400';
  end if;
  return query
  select a.* from public.payout_audit_log a
  where (p_entity_type is null or a.entity_type = p_entity_type)
    and (p_entity_id is null or a.entity_id = p_entity_id)
    and (p_placement_id is null or a.placement_id = p_placement_id)
    and (p_payout_id is null or a.payout_id = p_payout_id)
    and a.id > coalesce(p_after_id, 0)
  order by a.id
  limit p_limit;
end
$$;
comment on function private.rpc_admin_payout_audit_log(text, uuid, uuid, uuid, bigint, integer) is
  'Body of public.admin_payout_audit_log (platform admins only, 42501).';

-- Verifying one audit chain (an entity's rows and its anchor) through the API: the verifier itself
-- (public.verify_payout_audit_chain, 20261127090500) is executable by no API role, because a walk of
-- the whole log is a job for the database owner, not an HTTP request.
create function private.rpc_verify_audit_chain(p_entity_type text, p_entity_id uuid)
returns table (entity_type text, entity_id uuid, entity_seq bigint, audit_id bigint, problem text)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform private.require_platform_admin();
  if p_entity_type is null or p_entity_id is null then
    raise exception 'p_entity_type and p_entity_id are required: one chain at a time (the whole log is verified by the database owner with public.verify_payout_audit_chain())'
      using errcode = 'PT400';
  end if;
  return query
  select v.entity_type, v.entity_id, v.entity_seq, v.audit_id, v.problem
    from public.verify_payout_audit_chain(p_entity_type, p_entity_id) v;
end
$$;
comment on function private.rpc_verify_audit_chain(text, uuid) is
  'Body of public.verify_audit_chain (platform admins only, 42501; PT400 without an entity).';

-- The day's anchor digest (20261127090500), for the operator to store where the database owner
-- cannot write (object-locked storage, a ticket, a signed email): see docs/audit-and-outbox.md.
create function private.rpc_payout_audit_anchor(p_day date)
returns table (day date, verification_id bigint, through_txid text, through_id bigint,
               rows_total bigint, digest text, verified_at timestamptz)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform private.require_platform_admin();
  return query
  select a.day, a.verification_id, a.through_txid::text, a.through_id, a.rows_total, a.digest, a.verified_at
    from private.payout_audit_anchor(p_day) a;
end
$$;
comment on function private.rpc_payout_audit_anchor(date) is
  'Body of public.payout_audit_anchor (platform admins only, 42501; PT400 bad day, PT404 no verification by then).';

revoke execute on function
  private.rpc_placement_escrow_total(uuid),
  private.rpc_payout_run_preview(timestamptz),
  private.rpc_payout_run_totals(timestamptz),
  private.rpc_admin_companies(uuid[]),
  private.rpc_admin_placements(uuid[]),
  private.rpc_admin_placement_invoices(uuid[]),
  private.rpc_admin_payout_audit_log(text, uuid, uuid, uuid, bigint, integer),
  private.rpc_verify_audit_chain(text, uuid),
  private.rpc_payout_audit_anchor(date)
from public, anon, authenticated, service_role;
grant execute on function private.rpc_placement_escrow_total(uuid) to authenticated;
grant execute on function private.rpc_payout_run_preview(timestamptz) to authenticated;
grant execute on function private.rpc_payout_run_totals(timestamptz) to authenticated;
grant execute on function private.rpc_admin_companies(uuid[]) to authenticated;
grant execute on function private.rpc_admin_placements(uuid[]) to authenticated;
grant execute on function private.rpc_admin_placement_invoices(uuid[]) to authenticated;
grant execute on function private.rpc_admin_payout_audit_log(text, uuid, uuid, uuid, bigint, integer) to authenticated;
grant execute on function private.rpc_verify_audit_chain(text, uuid) to authenticated;
grant execute on function private.rpc_payout_audit_anchor(date) to authenticated;

create function public.admin_companies(p_company_ids uuid[] default null)
returns setof public.companies
language sql
stable
security invoker
set search_path = ''
as $$
  select private.rpc_admin_companies(p_company_ids) from private.require_platform_admin()
$$;
comment on function public.admin_companies(uuid[]) is
  'Admin: full company rows (stripe_customer_id included), all or those in p_company_ids, by name. 42501.';

create function public.admin_placements(p_placement_ids uuid[] default null)
returns setof public.placements
language sql
stable
security invoker
set search_path = ''
as $$
  select private.rpc_admin_placements(p_placement_ids) from private.require_platform_admin()
$$;
comment on function public.admin_placements(uuid[]) is
  'Admin: full placement rows (platform_amount included), all or those in p_placement_ids, newest first. 42501.';

create function public.admin_placement_invoices(p_placement_ids uuid[] default null)
returns setof public.placement_invoices
language sql
stable
security invoker
set search_path = ''
as $$
  select private.rpc_admin_placement_invoices(p_placement_ids) from private.require_platform_admin()
$$;
comment on function public.admin_placement_invoices(uuid[]) is
  'Admin: full invoice rows (Stripe invoice and payment intent ids included), all or those of p_placement_ids, newest first. 42501.';

create function public.admin_payout_audit_log(
  p_entity_type text default null, p_entity_id uuid default null, p_placement_id uuid default null,
  p_payout_id uuid default null, p_after_id bigint default 0, p_limit integer default 100)
returns setof public.payout_audit_log
language sql
stable
security invoker
set search_path = ''
as $$
  select private.rpc_admin_payout_audit_log(p_entity_type, p_entity_id, p_placement_id, p_payout_id, p_after_id, p_limit) from private.require_platform_admin()
$$;
comment on function public.admin_payout_audit_log(text, uuid, uuid, uuid, bigint, integer) is
  'Admin: full audit rows (old_values, new_values, hashes included) filtered by entity type/id, placement, payout (null = any), in id order after p_after_id (keyset paging: pass the last id received), at most p_limit (1..1000). 42501; PT400 bad limit.';

create function public.verify_audit_chain(p_entity_type text default null, p_entity_id uuid default null)
returns table (entity_type text, entity_id uuid, entity_seq bigint, audit_id bigint, problem text)
language sql
stable
security invoker
set search_path = ''
as $$
  select private.rpc_verify_audit_chain(p_entity_type, p_entity_id) from private.require_platform_admin()
$$;
comment on function public.verify_audit_chain(text, uuid) is
  'Admin: verifies one audit chain (p_entity_type, p_entity_id: its rows'' hashes, links and sequence, and its anchor); one row per problem (row_hash_mismatch, prev_hash_mismatch, seq_gap, head_mismatch, head_missing, head_orphan), none when intact. 42501; PT400 without an entity.';

create function public.payout_audit_anchor(p_day date default null)
returns table (day date, verification_id bigint, through_txid text, through_id bigint,
               rows_total bigint, digest text, verified_at timestamptz)
language sql
stable
security invoker
set search_path = ''
as $$
  select private.rpc_payout_audit_anchor(p_day) from private.require_platform_admin()
$$;
comment on function public.payout_audit_anchor(date) is
  'Admin: the anchor digest of the UTC day p_day: sha256 hex of the last incremental audit verification run on or before that day, which commits to every audit row verified up to its (txid, id) cursor; with the run id, the cursor, the number of rows and when it ran. Store it where the database owner cannot write. 42501; PT400 bad day; PT404 no verification by then.';

revoke execute on function
  public.placement_escrow_total(uuid),
  public.payout_run_preview(timestamptz),
  public.payout_run_totals(timestamptz),
  public.admin_companies(uuid[]),
  public.admin_placements(uuid[]),
  public.admin_placement_invoices(uuid[]),
  public.admin_payout_audit_log(text, uuid, uuid, uuid, bigint, integer),
  public.verify_audit_chain(text, uuid),
  public.payout_audit_anchor(date)
from public, anon, authenticated, service_role;
grant execute on function public.placement_escrow_total(uuid) to authenticated;
grant execute on function public.payout_run_preview(timestamptz) to authenticated;
grant execute on function public.payout_run_totals(timestamptz) to authenticated;
grant execute on function public.admin_companies(uuid[]) to authenticated;
grant execute on function public.admin_placements(uuid[]) to authenticated;
grant execute on function public.admin_placement_invoices(uuid[]) to authenticated;
grant execute on function public.admin_payout_audit_log(text, uuid, uuid, uuid, bigint, integer) to authenticated;
grant execute on function public.verify_audit_chain(text, uuid) to authenticated;
grant execute on function public.payout_audit_anchor(date) to authenticated;
