-- Statements (issue 15, section 3): what a recruiter was owed, held, paid, reversed and clawed
-- back in a period, reconciling to the cent with the payout buckets (docs/statements.md).
--   my_statement(p_from, p_to, p_currency)                    a recruiter: their own statement
--   admin_recruiter_statement(p_recruiter_id, p_from, p_to, p_currency)   admins: anyone's
--   admin_statement_summary(p_from, p_to)                     admins: platform-wide, per currency
--   my_yearly_totals(p_year) / admin_yearly_totals(p_year, p_recruiter_id)   tax reporting
-- Same shape as the read RPCs (20261128090500): an invoker public wrapper over a private
-- security definer body that decides whose rows the caller gets (their own recruiter id, or a
-- platform admin's choice) - the bodies read private.stripe_transfer_reversals and
-- private.payment_disputes, which no API role may read.
--
-- The ledger (private.statement_events): every movement of a recruiter's money, each dated by the
-- domain time its transition was given (p_now), never by the transaction's clock:
--   earned           payout amount becomes owed           placements.splits_locked_at
--   hold_placed      owed -> held                          escrow_holds.held_at
--   hold_released    held -> owed                          escrow_holds.released_at
--   hold_cancelled   held -> forfeited                     escrow_holds.cancelled_at
--   transfer_paid    owed -> paid (Stripe transfer id)     payout_transfers.succeeded_at
--   forfeited        owed -> forfeited (placement failed,  placements.failed_at, else the lost
--                    dispute lost, failed in-flight        dispute's closed_at, else the
--                    tranche of a failed placement)        payout's updated_at
--   clawback_offset  owed -> forfeited, debt -> settled    clawback_offsets.created_at (= p_now)
--   reversed         of paid, given back at Stripe         stripe_transfer_reversals.recorded_at
--   clawback_created debt (reversal shortfall)             payout_reversals.completed_at
-- "Owed" is payable + in flight (a claimed tranche is still owed until Stripe says paid; a failed
-- one goes back to payable: neither is a movement of the statement). "forfeited" is what is left
-- of forfeited_amount after cancelled holds and offsets, so the sum of the lines equals the
-- buckets by construction; the pgTAP tests check it against the buckets scenario by scenario.

set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- Keys sort the lines in time: 20 digits of epoch microseconds, 2 of kind, the source id's 32 hex
-- digits. Only [0-9a-f] of one length: every collation orders them alike, so the export pages
-- through them with a plain `line_key > cursor` filter.
create function private.statement_time_key(p_at timestamptz)
returns text
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
begin
  return pg_catalog.lpad(
    greatest(0, pg_catalog.floor(extract(epoch from p_at) * 1000000))::bigint::text, 20, '0');
end
$$;
comment on function private.statement_time_key(timestamptz) is
  'Statement line keys: the time part (20 digits of epoch microseconds, 0 before 1970).';

-- Every movement of the money of one recruiter (p_recruiter_id; null: every recruiter, for the
-- platform summary) in one currency, before p_until. Off the hot path: the OR filter on the
-- parameter is accepted here (docs/money-model.md, "Performance").
create function private.statement_events(p_recruiter_id uuid, p_currency char(3), p_until timestamptz)
returns table (
  recruiter_id uuid,
  occurred_at timestamptz,
  kind text,
  kind_rank integer,
  source_id uuid,
  placement_id uuid,
  payout_id uuid,
  stripe_id text,
  amount bigint,
  owed_change bigint,
  held_change bigint,
  clawback_change bigint,
  paid_change bigint,
  reversed_change bigint,
  forfeited_change bigint)
language sql
stable
security definer
set search_path = ''
as $$
  with po as (
    select po.*, pl.splits_locked_at, pl.failed_at,
           (select min(d.closed_at) from private.payment_disputes d
             where d.placement_id = po.placement_id and d.status = 'lost') as lost_at
      from public.payouts po
      join public.placements pl on pl.id = po.placement_id
     where (p_recruiter_id is null or po.recruiter_id = p_recruiter_id) and po.currency = p_currency
  ), ev as (
    select po.recruiter_id, po.splits_locked_at as at, 'earned' as kind, 1 as rnk, po.id as src, po.placement_id,
           po.id as payout_id, null::text as stripe_id, po.amount,
           po.amount as owed, 0::bigint as held, 0::bigint as claw, 0::bigint as paid, 0::bigint as rev, 0::bigint as forf
      from po where po.amount > 0
    union all
    select po.recruiter_id, h.held_at, 'hold_placed', 2, h.id, h.placement_id, h.payout_id, null, h.hold_amount,
           -h.hold_amount, h.hold_amount, 0, 0, 0, 0
      from po join public.escrow_holds h on h.payout_id = po.id
    union all
    select po.recruiter_id, h.released_at, 'hold_released', 3, h.id, h.placement_id, h.payout_id, null, h.hold_amount,
           h.hold_amount, -h.hold_amount, 0, 0, 0, 0
      from po join public.escrow_holds h on h.payout_id = po.id where h.status = 'released'
    union all
    select po.recruiter_id, h.cancelled_at, 'hold_cancelled', 4, h.id, h.placement_id, h.payout_id, null, h.hold_amount,
           0, -h.hold_amount, 0, 0, 0, h.hold_amount
      from po join public.escrow_holds h on h.payout_id = po.id where h.status = 'cancelled'
    union all
    select po.recruiter_id, t.succeeded_at, 'transfer_paid', 5, t.id, t.placement_id, t.payout_id, t.stripe_transfer_id,
           t.amount, -t.amount, 0, 0, t.amount, 0, 0
      from po join public.payout_transfers t on t.payout_id = po.id where t.status = 'succeeded'
    union all
    select po.recruiter_id, coalesce(po.failed_at, po.lost_at, po.updated_at), 'forfeited', 6, po.id, po.placement_id,
           po.id, null, f.amount, -f.amount, 0, 0, 0, 0, f.amount
      from po
      cross join lateral (
        select po.forfeited_amount
               - coalesce((select sum(h.hold_amount) from public.escrow_holds h
                            where h.payout_id = po.id and h.status = 'cancelled'), 0)
               - coalesce((select sum(o.amount) from public.clawback_offsets o where o.payout_id = po.id), 0)
               as amount) f
     where f.amount > 0
    union all
    select po.recruiter_id, o.created_at, 'clawback_offset', 7, o.id, o.placement_id, o.payout_id, null, o.amount,
           -o.amount, 0, -o.amount, 0, 0, o.amount
      from po join public.clawback_offsets o on o.payout_id = po.id
    union all
    select c.recruiter_id, r.completed_at, 'clawback_created', 9, c.id, r.placement_id, c.payout_id, r.stripe_transfer_id,
           c.amount, 0, 0, c.amount, 0, 0, 0
      from public.recruiter_clawbacks c
      join public.payout_reversals r on r.id = c.payout_reversal_id
     where (p_recruiter_id is null or c.recruiter_id = p_recruiter_id) and c.currency = p_currency
    union all
    select po.recruiter_id, s.recorded_at, 'reversed', 8, s.id, s.placement_id, s.payout_id, s.stripe_reversal_id,
           s.amount, 0, 0, 0, 0, s.amount, 0
      from po join private.stripe_transfer_reversals s on s.payout_id = po.id
  )
  select ev.recruiter_id, ev.at, ev.kind, ev.rnk, ev.src, ev.placement_id, ev.payout_id, ev.stripe_id, ev.amount::bigint,
         ev.owed::bigint, ev.held::bigint, ev.claw::bigint, ev.paid::bigint, ev.rev::bigint, ev.forf::bigint
    from ev
   where ev.at < p_until
$$;
comment on function private.statement_events(uuid, char, timestamptz) is
  'The statement ledger: every movement of a recruiter''s (null: every recruiter''s) money in p_currency before p_until, with its effect on owed (payable + in flight), held, clawback debt, paid, reversed and forfeited. Internal (docs/statements.md).';

-- PT400 unless [p_from, p_to) is a finite, non-empty period and p_currency is supported.
create function private.check_statement_period(p_from timestamptz, p_to timestamptz, p_currency text)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  if p_from is null or p_to is null or not pg_catalog.isfinite(p_from) or not pg_catalog.isfinite(p_to) then
    raise exception 'p_from and p_to must be finite times (got % and %)',
      coalesce(p_from::text, 'null'), coalesce(p_to::text, 'null') using errcode = 'PT400';
  end if;
  if p_from >= p_to then
    raise exception 'p_from (%) must be before p_to (%)', p_from, p_to using errcode = 'PT400';
  end if;
  if p_currency is null or private.currency_minor_unit_exponent(p_currency) is null then
    raise exception 'p_currency % is not a supported currency', coalesce(p_currency, 'null') using errcode = 'PT400';
  end if;
end
$$;
comment on function private.check_statement_period(timestamptz, timestamptz, text) is
  'PT400 unless p_from < p_to are finite and p_currency is a supported currency (upper-case ISO code).';

-- One recruiter's statement: an opening_balance line at p_from, the period's movements in time
-- order with running balances, a closing_balance line at p_to.
create function private.statement(p_recruiter_id uuid, p_from timestamptz, p_to timestamptz, p_currency text)
returns table (
  line_key text,
  occurred_at timestamptz,
  kind text,
  recruiter_id uuid,
  currency char(3),
  placement_id uuid,
  payout_id uuid,
  source_id uuid,
  stripe_id text,
  amount bigint,
  owed_change bigint,
  held_change bigint,
  clawback_change bigint,
  owed_balance bigint,
  held_balance bigint,
  clawback_balance bigint)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform private.check_statement_period(p_from, p_to, p_currency);
  return query
  with ev as (
    select * from private.statement_events(p_recruiter_id, p_currency::char(3), p_to)
  ), opening as (
    select coalesce(sum(ev.owed_change) filter (where ev.occurred_at < p_from), 0)::bigint as owed,
           coalesce(sum(ev.held_change) filter (where ev.occurred_at < p_from), 0)::bigint as held,
           coalesce(sum(ev.clawback_change) filter (where ev.occurred_at < p_from), 0)::bigint as claw,
           coalesce(sum(ev.owed_change), 0)::bigint as owed_end,
           coalesce(sum(ev.held_change), 0)::bigint as held_end,
           coalesce(sum(ev.clawback_change), 0)::bigint as claw_end
      from ev
  ), lines as (
    select private.statement_time_key(ev.occurred_at) || pg_catalog.lpad(ev.kind_rank::text, 2, '0')
             || pg_catalog.replace(ev.source_id::text, '-', '') as k,
           ev.*
      from ev where ev.occurred_at >= p_from
  )
  select private.statement_time_key(p_from) || '00' || pg_catalog.repeat('0', 32), p_from, 'opening_balance',
         p_recruiter_id, p_currency::char(3), null::uuid, null::uuid, null::uuid, null::text, null::bigint,
         null::bigint, null::bigint, null::bigint, o.owed, o.held, o.claw
    from opening o
  union all
  select l.k, l.occurred_at, l.kind, l.recruiter_id, p_currency::char(3), l.placement_id, l.payout_id, l.source_id,
         l.stripe_id, l.amount, l.owed_change, l.held_change, l.clawback_change,
         (o.owed + sum(l.owed_change) over w)::bigint,
         (o.held + sum(l.held_change) over w)::bigint,
         (o.claw + sum(l.clawback_change) over w)::bigint
    from lines l cross join opening o
  window w as (order by l.k rows between unbounded preceding and current row)
  union all
  select private.statement_time_key(p_to) || '99' || pg_catalog.repeat('f', 32), p_to, 'closing_balance',
         p_recruiter_id, p_currency::char(3), null, null, null, null, null, null, null, null,
         o.owed_end, o.held_end, o.claw_end
    from opening o
  order by 1;
end
$$;
comment on function private.statement(uuid, timestamptz, timestamptz, text) is
  'Body of the statements: opening_balance, the movements in [p_from, p_to) with running owed / held / clawback balances, closing_balance. PT400 bad period or currency. Internal: callers decide whose statement it is.';

-- ---------------------------------------------------------------------------------------------
-- Recruiter and admin statements
-- ---------------------------------------------------------------------------------------------
create function private.rpc_my_statement(p_from timestamptz, p_to timestamptz, p_currency text)
returns table (
  line_key text,
  occurred_at timestamptz,
  kind text,
  recruiter_id uuid,
  currency char(3),
  placement_id uuid,
  payout_id uuid,
  source_id uuid,
  stripe_id text,
  amount bigint,
  owed_change bigint,
  held_change bigint,
  clawback_change bigint,
  owed_balance bigint,
  held_balance bigint,
  clawback_balance bigint)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_recruiter uuid := private.my_recruiter_id();
begin
  -- the refusal first: a caller who is no recruiter learns nothing, not even about their input
  if v_recruiter is null then
    raise exception 'permission denied: only a recruiter has a statement' using errcode = '42501';
  end if;
  return query select s.line_key, s.occurred_at, s.kind, s.recruiter_id, s.currency, s.placement_id, s.payout_id, s.source_id, s.stripe_id, s.amount, s.owed_change, s.held_change, s.clawback_change, s.owed_balance, s.held_balance, s.clawback_balance from private.statement(v_recruiter, p_from, p_to, p_currency) s;
end
$$;
comment on function private.rpc_my_statement(timestamptz, timestamptz, text) is
  'Body of public.my_statement: the caller''s own recruiter id, or 42501.';

create function private.rpc_admin_recruiter_statement(
  p_recruiter_id uuid, p_from timestamptz, p_to timestamptz, p_currency text)
returns table (
  line_key text,
  occurred_at timestamptz,
  kind text,
  recruiter_id uuid,
  currency char(3),
  placement_id uuid,
  payout_id uuid,
  source_id uuid,
  stripe_id text,
  amount bigint,
  owed_change bigint,
  held_change bigint,
  clawback_change bigint,
  owed_balance bigint,
  held_balance bigint,
  clawback_balance bigint)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform private.require_platform_admin();
  if p_recruiter_id is null then
    raise exception 'p_recruiter_id is required' using errcode = 'PT400';
  end if;
  perform private.check_statement_period(p_from, p_to, p_currency);
  if not exists (select 1 from public.recruiters r where r.id = p_recruiter_id) then
    raise exception 'recruiter % not found', p_recruiter_id using errcode = 'PT404';
  end if;
  return query select s.line_key, s.occurred_at, s.kind, s.recruiter_id, s.currency, s.placement_id, s.payout_id, s.source_id, s.stripe_id, s.amount, s.owed_change, s.held_change, s.clawback_change, s.owed_balance, s.held_balance, s.clawback_balance from private.statement(p_recruiter_id, p_from, p_to, p_currency) s;
end
$$;
comment on function private.rpc_admin_recruiter_statement(uuid, timestamptz, timestamptz, text) is
  'Body of public.admin_recruiter_statement (platform admins only, 42501).';

-- Platform-wide: one row per currency with money in it; the opening and closing balances are the
-- sums of every recruiter's, the movements the period's totals per kind.
create function private.rpc_admin_statement_summary(p_from timestamptz, p_to timestamptz)
returns table (
  currency char(3),
  recruiter_count integer,
  opening_owed bigint,
  opening_held bigint,
  opening_clawback bigint,
  earned bigint,
  held_placed bigint,
  held_released bigint,
  held_cancelled bigint,
  paid bigint,
  forfeited bigint,
  clawback_created bigint,
  clawback_offset bigint,
  reversed bigint,
  closing_owed bigint,
  closing_held bigint,
  closing_clawback bigint)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform private.require_platform_admin();
  perform private.check_statement_period(p_from, p_to, 'USD');
  return query
  select c.code::char(3),
         (count(distinct e.recruiter_id) filter (where e.occurred_at >= p_from))::integer,
         coalesce(sum(e.owed_change) filter (where e.occurred_at < p_from), 0)::bigint,
         coalesce(sum(e.held_change) filter (where e.occurred_at < p_from), 0)::bigint,
         coalesce(sum(e.clawback_change) filter (where e.occurred_at < p_from), 0)::bigint,
         coalesce(sum(e.amount) filter (where e.occurred_at >= p_from and e.kind = 'earned'), 0)::bigint,
         coalesce(sum(e.amount) filter (where e.occurred_at >= p_from and e.kind = 'hold_placed'), 0)::bigint,
         coalesce(sum(e.amount) filter (where e.occurred_at >= p_from and e.kind = 'hold_released'), 0)::bigint,
         coalesce(sum(e.amount) filter (where e.occurred_at >= p_from and e.kind = 'hold_cancelled'), 0)::bigint,
         coalesce(sum(e.amount) filter (where e.occurred_at >= p_from and e.kind = 'transfer_paid'), 0)::bigint,
         coalesce(sum(e.amount) filter (where e.occurred_at >= p_from and e.kind = 'forfeited'), 0)::bigint,
         coalesce(sum(e.amount) filter (where e.occurred_at >= p_from and e.kind = 'clawback_created'), 0)::bigint,
         coalesce(sum(e.amount) filter (where e.occurred_at >= p_from and e.kind = 'clawback_offset'), 0)::bigint,
         coalesce(sum(e.amount) filter (where e.occurred_at >= p_from and e.kind = 'reversed'), 0)::bigint,
         coalesce(sum(e.owed_change), 0)::bigint,
         coalesce(sum(e.held_change), 0)::bigint,
         coalesce(sum(e.clawback_change), 0)::bigint
    from (select distinct po.currency::text as code from public.payouts po) c
    cross join lateral private.statement_events(null, c.code::char(3), p_to) e
   group by c.code
   order by c.code;
end
$$;
comment on function private.rpc_admin_statement_summary(timestamptz, timestamptz) is
  'Body of public.admin_statement_summary (platform admins only, 42501).';

-- Yearly totals (UTC calendar year) per recruiter and currency, for tax reporting.
-- net_paid = paid - reversed - clawback_offset: what the recruiter kept of the transfers.
create function private.yearly_totals(p_year integer, p_recruiter_id uuid)
returns table (
  recruiter_id uuid,
  currency char(3),
  year integer,
  earned bigint,
  paid bigint,
  reversed bigint,
  clawback_offset bigint,
  forfeited bigint,
  net_paid bigint)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_from timestamptz;
  v_to timestamptz;
begin
  if p_year is null or p_year not between 1970 and 9998 then
    raise exception 'p_year must be a year between 1970 and 9998 (got %)', coalesce(p_year::text, 'null')
      using errcode = 'PT400';
  end if;
  v_from := pg_catalog.make_timestamptz(p_year, 1, 1, 0, 0, 0, 'UTC');
  v_to := pg_catalog.make_timestamptz(p_year + 1, 1, 1, 0, 0, 0, 'UTC');
  return query
  select e.recruiter_id, c.code::char(3), p_year,
         coalesce(sum(e.amount) filter (where e.kind = 'earned'), 0)::bigint,
         coalesce(sum(e.paid_change), 0)::bigint,
         coalesce(sum(e.reversed_change), 0)::bigint,
         coalesce(sum(e.amount) filter (where e.kind = 'clawback_offset'), 0)::bigint,
         coalesce(sum(e.forfeited_change), 0)::bigint,
         (coalesce(sum(e.paid_change), 0) - coalesce(sum(e.reversed_change), 0)
          - coalesce(sum(e.amount) filter (where e.kind = 'clawback_offset'), 0))::bigint
    from (select distinct po.currency::text as code from public.payouts po
           where p_recruiter_id is null or po.recruiter_id = p_recruiter_id) c
    cross join lateral private.statement_events(p_recruiter_id, c.code::char(3), v_to) e
   where e.occurred_at >= v_from
   group by e.recruiter_id, c.code
   order by e.recruiter_id, c.code;
end
$$;
comment on function private.yearly_totals(integer, uuid) is
  'Yearly totals of one recruiter (null: all) per currency. PT400 bad year. Internal.';

create function private.rpc_my_yearly_totals(p_year integer)
returns table (
  recruiter_id uuid,
  currency char(3),
  year integer,
  earned bigint,
  paid bigint,
  reversed bigint,
  clawback_offset bigint,
  forfeited bigint,
  net_paid bigint)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_recruiter uuid := private.my_recruiter_id();
begin
  if v_recruiter is null then
    raise exception 'permission denied: only a recruiter has yearly totals' using errcode = '42501';
  end if;
  return query select y.* from private.yearly_totals(p_year, v_recruiter) y;
end
$$;
comment on function private.rpc_my_yearly_totals(integer) is
  'Body of public.my_yearly_totals: the caller''s own recruiter id, or 42501.';

create function private.rpc_admin_yearly_totals(p_year integer, p_recruiter_id uuid)
returns table (
  recruiter_id uuid,
  currency char(3),
  year integer,
  earned bigint,
  paid bigint,
  reversed bigint,
  clawback_offset bigint,
  forfeited bigint,
  net_paid bigint)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform private.require_platform_admin();
  return query select y.* from private.yearly_totals(p_year, p_recruiter_id) y;
end
$$;
comment on function private.rpc_admin_yearly_totals(integer, uuid) is
  'Body of public.admin_yearly_totals (platform admins only, 42501).';

revoke execute on function
  private.statement_time_key(timestamptz),
  private.statement_events(uuid, char, timestamptz),
  private.check_statement_period(timestamptz, timestamptz, text),
  private.statement(uuid, timestamptz, timestamptz, text),
  private.yearly_totals(integer, uuid),
  private.rpc_my_statement(timestamptz, timestamptz, text),
  private.rpc_admin_recruiter_statement(uuid, timestamptz, timestamptz, text),
  private.rpc_admin_statement_summary(timestamptz, timestamptz),
  private.rpc_my_yearly_totals(integer),
  private.rpc_admin_yearly_totals(integer, uuid)
from public, anon, authenticated, service_role;
grant execute on function private.rpc_my_statement(timestamptz, timestamptz, text) to authenticated;
grant execute on function private.rpc_admin_recruiter_statement(uuid, timestamptz, timestamptz, text) to authenticated;
grant execute on function private.rpc_admin_statement_summary(timestamptz, timestamptz) to authenticated;
grant execute on function private.rpc_my_yearly_totals(integer) to authenticated;
grant execute on function private.rpc_admin_yearly_totals(integer, uuid) to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Public wrappers (invoker; PostgREST filters, orders and limits their rows: the export pages
-- with line_key=gt.<cursor>&order=line_key&limit=n)
-- ---------------------------------------------------------------------------------------------
create function public.my_statement(p_from timestamptz default null, p_to timestamptz default null,
                                    p_currency text default null)
returns table (
  line_key text,
  occurred_at timestamptz,
  kind text,
  recruiter_id uuid,
  currency char(3),
  placement_id uuid,
  payout_id uuid,
  source_id uuid,
  stripe_id text,
  amount bigint,
  owed_change bigint,
  held_change bigint,
  clawback_change bigint,
  owed_balance bigint,
  held_balance bigint,
  clawback_balance bigint)
language sql
stable
security invoker
set search_path = ''
as $$
  select s.line_key, s.occurred_at, s.kind, s.recruiter_id, s.currency, s.placement_id, s.payout_id, s.source_id, s.stripe_id, s.amount, s.owed_change, s.held_change, s.clawback_change, s.owed_balance, s.held_balance, s.clawback_balance from private.rpc_my_statement(p_from, p_to, p_currency) s
$$;
comment on function public.my_statement(timestamptz, timestamptz, text) is
  'Recruiter: their statement of [p_from, p_to) in p_currency: an opening_balance line (owed = payable + in flight, held in escrow, clawback = what they owe), every movement (earned, hold_placed, hold_released, hold_cancelled, transfer_paid with the Stripe transfer id, forfeited, clawback_offset, clawback_created, reversed with the Stripe reversal id) with running balances, a closing_balance line. Amounts in minor units. Ordered by line_key (time, then kind). 42501 for anyone who is no recruiter; PT400 bad period or currency.';

create function public.admin_recruiter_statement(p_recruiter_id uuid default null, p_from timestamptz default null,
                                                 p_to timestamptz default null, p_currency text default null)
returns table (
  line_key text,
  occurred_at timestamptz,
  kind text,
  recruiter_id uuid,
  currency char(3),
  placement_id uuid,
  payout_id uuid,
  source_id uuid,
  stripe_id text,
  amount bigint,
  owed_change bigint,
  held_change bigint,
  clawback_change bigint,
  owed_balance bigint,
  held_balance bigint,
  clawback_balance bigint)
language sql
stable
security invoker
set search_path = ''
as $$
  select private.rpc_admin_recruiter_statement(p_recruiter_id, p_from, p_to, p_currency) from private.require_platform_admin()
$$;
comment on function public.admin_recruiter_statement(uuid, timestamptz, timestamptz, text) is
  'Admin: the statement of any recruiter (as public.my_statement). 42501; PT400 bad input; PT404 unknown recruiter.';

create function public.admin_statement_summary(p_from timestamptz default null, p_to timestamptz default null)
returns table (
  currency char(3),
  recruiter_count integer,
  opening_owed bigint,
  opening_held bigint,
  opening_clawback bigint,
  earned bigint,
  held_placed bigint,
  held_released bigint,
  held_cancelled bigint,
  paid bigint,
  forfeited bigint,
  clawback_created bigint,
  clawback_offset bigint,
  reversed bigint,
  closing_owed bigint,
  closing_held bigint,
  closing_clawback bigint)
language sql
stable
security invoker
set search_path = ''
as $$
  select private.rpc_admin_statement_summary(p_from, p_to) from private.require_platform_admin()
$$;
comment on function public.admin_statement_summary(timestamptz, timestamptz) is
  'Admin: platform-wide statement of [p_from, p_to) per currency: opening and closing owed / held / clawback balances of all recruiters and the period''s totals per movement kind, in minor units. closing = opening + movements. 42501; PT400 bad period.';

create function public.my_yearly_totals(p_year integer default null)
returns table (
  recruiter_id uuid,
  currency char(3),
  year integer,
  earned bigint,
  paid bigint,
  reversed bigint,
  clawback_offset bigint,
  forfeited bigint,
  net_paid bigint)
language sql
stable
security invoker
set search_path = ''
as $$
  select y.* from private.rpc_my_yearly_totals(p_year) y
$$;
comment on function public.my_yearly_totals(integer) is
  'Recruiter: their totals of the UTC calendar year p_year per currency (tax reporting): earned, paid (transferred), reversed, clawback_offset, forfeited, net_paid = paid - reversed - clawback_offset. Minor units. 42501 for anyone who is no recruiter; PT400 bad year.';

create function public.admin_yearly_totals(p_year integer default null, p_recruiter_id uuid default null)
returns table (
  recruiter_id uuid,
  currency char(3),
  year integer,
  earned bigint,
  paid bigint,
  reversed bigint,
  clawback_offset bigint,
  forfeited bigint,
  net_paid bigint)
language sql
stable
security invoker
set search_path = ''
as $$
  select private.rpc_admin_yearly_totals(p_year, p_recruiter_id) from private.require_platform_admin()
$$;
comment on function public.admin_yearly_totals(integer, uuid) is
  'Admin: yearly totals (as public.my_yearly_totals) of one recruiter, or of every recruiter (p_recruiter_id null). 42501; PT400 bad year.';

revoke execute on function
  public.my_statement(timestamptz, timestamptz, text),
  public.admin_recruiter_statement(uuid, timestamptz, timestamptz, text),
  public.admin_statement_summary(timestamptz, timestamptz),
  public.my_yearly_totals(integer),
  public.admin_yearly_totals(integer, uuid)
from public, anon, authenticated, service_role;
grant execute on function public.my_statement(timestamptz, timestamptz, text) to authenticated;
grant execute on function public.admin_recruiter_statement(uuid, timestamptz, timestamptz, text) to authenticated;
grant execute on function public.admin_statement_summary(timestamptz, timestamptz) to authenticated;
grant execute on function public.my_yearly_totals(integer) to authenticated;
grant execute on function public.admin_yearly_totals(integer, uuid) to authenticated;
