-- Operator safety, part 2: velocity caps, daily limits on the money transferred, per currency.
--
--   private.payout_caps         settings, one row per currency: platform_daily_max (all recruiters
--                               together) and recruiter_daily_max (each recruiter), minor units;
--                               null = unlimited, no row = no cap. Set as postgres over SQL; audited
--                               (payout_cap).
--   private.payout_cap_lifts    a cap lifted for one UTC day (currency, recruiter or null = the
--                               platform cap), only through a four-eyes request (action
--                               lift_payout_cap, always approved by a second admin or break glass);
--                               audited (payout_cap_lift).
--   private.payout_cap_usage    counters per UTC day, currency and scope (recruiter_id null =
--                               platform): money claimed that day and not failed, and whether a
--                               tranche did not fit (reached_at: the scope is closed for the day).
--   private.payout_cap_charges  which tranche counted toward which day (to give it back on failure).
--
-- The day is the UTC date of the claim's p_now. A tranche (a payout's whole payable amount, its
-- idempotency key stored at claim) counts toward the day it was claimed from its claim on: in flight,
-- unknown or succeeded. A failed tranche moved no money: its charge is given back
-- (private.fail_payout_transfer). A reclaimed tranche (expired lease) is the same tranche and is
-- not counted again.
--
-- The claim (private.claim_due_payout_schedules, 20261127100400) pays whole tranches in due order
-- while the next one fits: a tranche fits its recruiter's scope when the recruiter's claimed money
-- of the day plus the tranches before it in the batch stay within recruiter_daily_max, then the
-- platform's the same way among the tranches that fit their recruiter. The first tranche that does
-- not fit closes its scope for the day (reached_at): later claims that day defer every tranche of
-- that scope, so due order holds across batches. What does not fit is skipped with skip_reason
-- cap_reached and falls due at the next payout due time after the day ends (02:00 UTC the next
-- day); public.payout_alerts shows kind cap_reached. Caps are enforced under a transaction-level
-- advisory lock per currency (taken in currency order, after the claim's row locks), so concurrent
-- claims never overshoot a cap. When no cap row exists, the claim does one EXISTS on this empty
-- table and nothing else.
--
-- SQLSTATEs: PT400 bad input, PT404 unknown recruiter / no such cap, PT409 already lifted or day
-- past, PT428 approval required (lift_payout_cap always).

-- Fail fast rather than queue behind (and in front of) live traffic; the CLI runs each
-- migration file in one transaction, so these last for this file only.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- ---------------------------------------------------------------------------------------------
-- Settings
-- ---------------------------------------------------------------------------------------------
create table private.payout_caps (
  id uuid primary key default pg_catalog.gen_random_uuid(),
  currency text not null unique
    constraint payout_caps_currency_supported check (private.currency_minor_unit_exponent(currency) is not null),
  -- minor units per UTC day; null = unlimited; 0 = nothing is transferred
  platform_daily_max bigint check (platform_daily_max >= 0),
  recruiter_daily_max bigint check (recruiter_daily_max >= 0),
  updated_at timestamptz not null default pg_catalog.now()
);
comment on table private.payout_caps is
  'Velocity caps per currency (minor units per UTC day): platform_daily_max (all transfers of the currency) and recruiter_daily_max (each recruiter); null = unlimited, no row = no cap. Set as postgres (SQL); audited as payout_cap.';
alter table private.payout_caps enable row level security;
revoke all on table private.payout_caps from public, anon, authenticated, service_role;
select private.enable_audit('private.payout_caps'::regclass, 'payout_cap');

create table private.payout_cap_lifts (
  id uuid primary key default pg_catalog.gen_random_uuid(),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  -- null: the platform cap
  recruiter_id uuid references public.recruiters (id),
  day date not null,
  reason text not null check (pg_catalog.btrim(reason) <> '' and pg_catalog.length(reason) <= 2000),
  -- the approving admin (null: break glass as postgres)
  lifted_by uuid,
  lifted_at timestamptz not null,
  unique nulls not distinct (currency, recruiter_id, day)
);
comment on table private.payout_cap_lifts is
  'A velocity cap lifted for one UTC day: the platform cap of currency (recruiter_id null) or one recruiter''s. Written only by an approved four-eyes request (lift_payout_cap); audited as payout_cap_lift.';
create index payout_cap_lifts_recruiter_id_idx on private.payout_cap_lifts (recruiter_id);
alter table private.payout_cap_lifts enable row level security;
revoke all on table private.payout_cap_lifts from public, anon, authenticated, service_role;
select private.enable_audit('private.payout_cap_lifts'::regclass, 'payout_cap_lift');

-- Counters, written by the claim under the currency's advisory lock (and lowered by a failed
-- tranche). Not audited: each change follows from an audited tranche (created at claim, failed),
-- and payout_cap_charges says which; private.payout_cap_problems() checks they agree.
create table private.payout_cap_usage (
  id uuid primary key default pg_catalog.gen_random_uuid(),
  currency text not null,
  day date not null,
  -- null: the platform counter of the currency
  recruiter_id uuid,
  used_amount bigint not null default 0 check (used_amount >= 0),
  -- the first time a tranche did not fit: the scope is closed for the rest of the day
  reached_at timestamptz,
  deferred_count bigint not null default 0 check (deferred_count >= 0),
  deferred_amount bigint not null default 0 check (deferred_amount >= 0),
  updated_at timestamptz not null default pg_catalog.now(),
  unique nulls not distinct (currency, day, recruiter_id)
);
comment on table private.payout_cap_usage is
  'Velocity cap counters per UTC day, currency and scope (recruiter_id null = platform): money claimed that day and not failed (used_amount), first time a tranche did not fit (reached_at: closed for the day), tranches deferred. Kept for currencies with a cap.';
create index payout_cap_usage_reached_idx on private.payout_cap_usage (day) where reached_at is not null;
alter table private.payout_cap_usage enable row level security;
revoke all on table private.payout_cap_usage from public, anon, authenticated, service_role;

create table private.payout_cap_charges (
  transfer_id uuid primary key references public.payout_transfers (id),
  currency text not null,
  day date not null,
  recruiter_id uuid not null,
  amount bigint not null check (amount > 0)
);
comment on table private.payout_cap_charges is
  'The tranches counted in private.payout_cap_usage (day of their claim); a failed tranche''s charge is deleted and its amount given back.';
alter table private.payout_cap_charges enable row level security;
revoke all on table private.payout_cap_charges from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- The rule
-- ---------------------------------------------------------------------------------------------
-- Two-int4 advisory key space: 1885436280 is the velocity caps' (one key per currency). Taken by
-- the claim and by a lift, in currency order, held to commit.
create function private.lock_payout_caps(p_currencies text[])
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  perform pg_catalog.pg_advisory_xact_lock(1885436280, pg_catalog.hashtext(c.cur))
  from (select distinct u.cur from pg_catalog.unnest(p_currencies) u(cur) where u.cur is not null order by 1) c;
end
$$;
comment on function private.lock_payout_caps(text[]) is
  'Velocity caps: the transaction-level advisory lock of each currency, in currency order (no deadlock between claims).';

-- Which candidate tranches do not fit. Candidates in due order (the arrays' order); returns each
-- one that does not fit with the scope that stopped it ('recruiter' or 'platform'). Reads the
-- day's counters, closures and lifts; the caller holds the currencies' locks (the claim), or only
-- previews (payout_run_preview). Currencies without a cap row: every candidate fits.
create function private.payout_cap_overflow(
  p_day date, p_ids uuid[], p_currencies text[], p_recruiter_ids uuid[], p_amounts bigint[])
returns table (id uuid, scope text)
language sql
stable
security definer
set search_path = ''
as $$
  with c as (
    select u.id, u.cur, u.rid, u.amt, u.ord, k.platform_daily_max as pmax, k.recruiter_daily_max as rmax
    from rows from (pg_catalog.unnest(p_ids), pg_catalog.unnest(p_currencies), pg_catalog.unnest(p_recruiter_ids),
                   pg_catalog.unnest(p_amounts)) with ordinality u(id, cur, rid, amt, ord)
    join private.payout_caps k on k.currency = u.cur
  ), r as (
    -- the recruiter scope: unlimited (no cap, or lifted today), closed today, or what is left
    select c.*,
           case when c.rmax is null or lr.id is not null then true
                when ur.reached_at is not null then false
                else pg_catalog.sum(c.amt) over (partition by c.cur, c.rid order by c.ord)
                     <= c.rmax - coalesce(ur.used_amount, 0) end as r_fits
    from c
    left join private.payout_cap_usage ur on ur.currency = c.cur and ur.day = p_day and ur.recruiter_id = c.rid
    left join private.payout_cap_lifts lr on lr.currency = c.cur and lr.day = p_day and lr.recruiter_id = c.rid
  ), p as (
    -- the platform scope, among the tranches that fit their recruiter
    select r.id, r.ord,
           case when r.pmax is null or lp.id is not null then true
                when up.reached_at is not null then false
                else pg_catalog.sum(r.amt) over (partition by r.cur order by r.ord)
                     <= r.pmax - coalesce(up.used_amount, 0) end as p_fits
    from r
    left join private.payout_cap_usage up on up.currency = r.cur and up.day = p_day and up.recruiter_id is null
    left join private.payout_cap_lifts lp on lp.currency = r.cur and lp.day = p_day and lp.recruiter_id is null
    where r.r_fits
  )
  select r.id, 'recruiter' from r where not r.r_fits
  union all
  select p.id, 'platform' from p where not p.p_fits
$$;
comment on function private.payout_cap_overflow(date, uuid[], text[], uuid[], bigint[]) is
  'THE velocity cap rule: of candidate tranches in due order (parallel arrays: id, currency, recruiter, amount), those that do not fit on UTC day p_day, with the scope that stops them (recruiter first, then platform among those that fit their recruiter). A scope fits while its running sum stays within cap - used; closed (reached) today = nothing fits; lifted today or no cap = unlimited.';

-- After the claim's writes, under the currencies' locks: counts the claimed tranches of capped
-- currencies toward the day (charges + counters) and records the scopes closed by skipped ones.
create function private.record_payout_cap_usage(
  p_day date, p_now timestamptz, p_claimed_schedule_ids uuid[], p_currencies text[],
  p_skipped_ids uuid[], p_skipped_scopes text[])
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  if p_claimed_schedule_ids is not null then
    with ch as (
      insert into private.payout_cap_charges (transfer_id, currency, day, recruiter_id, amount)
      select t.id, t.currency, p_day, t.recruiter_id, t.amount
      from public.payout_transfers t
      where t.schedule_id = any (p_claimed_schedule_ids) and t.status = 'pending'
        and t.currency = any (p_currencies)
      returning currency, recruiter_id, amount
    )
    insert into private.payout_cap_usage (currency, day, recruiter_id, used_amount)
    select ch.currency, p_day, ch.recruiter_id, pg_catalog.sum(ch.amount)::bigint
    from ch
    group by grouping sets ((ch.currency), (ch.currency, ch.recruiter_id))
    order by 1, 3 nulls first
    on conflict (currency, day, recruiter_id) do update
      set used_amount = private.payout_cap_usage.used_amount + excluded.used_amount, updated_at = p_now;
  end if;

  if p_skipped_ids is not null then
    insert into private.payout_cap_usage (currency, day, recruiter_id, reached_at, deferred_count, deferred_amount)
    select po.currency, p_day, case when k.scope = 'recruiter' then po.recruiter_id end, p_now,
           pg_catalog.count(*), pg_catalog.sum(po.payable_amount)::bigint
    from rows from (pg_catalog.unnest(p_skipped_ids), pg_catalog.unnest(p_skipped_scopes)) k(sid, scope)
    join public.payout_schedules s on s.id = k.sid and s.skip_reason = 'cap_reached' and s.skipped_at = p_now
    join public.payouts po on po.id = s.payout_id
    group by 1, 3
    order by 1, 3 nulls first
    on conflict (currency, day, recruiter_id) do update
      set reached_at = coalesce(private.payout_cap_usage.reached_at, excluded.reached_at),
          deferred_count = private.payout_cap_usage.deferred_count + excluded.deferred_count,
          deferred_amount = private.payout_cap_usage.deferred_amount + excluded.deferred_amount,
          updated_at = p_now;
  end if;
end
$$;
comment on function private.record_payout_cap_usage(date, timestamptz, uuid[], text[], uuid[], text[]) is
  'Velocity caps, inside the claim (currencies locked): charges the claimed tranches of capped currencies to p_day (payout_cap_charges, platform and recruiter counters) and closes the scopes of the tranches skipped with cap_reached (reached_at, deferred count and amount).';

-- A failed tranche moved no money: its charge is given back (called by private.fail_payout_transfer).
create function private.release_payout_cap_charge(p_transfer_id uuid, p_now timestamptz)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  with c as (
    delete from private.payout_cap_charges ch where ch.transfer_id = p_transfer_id
    returning ch.currency, ch.day, ch.recruiter_id, ch.amount
  )
  update private.payout_cap_usage u
     set used_amount = u.used_amount - c.amount, updated_at = p_now
    from c
   where u.currency = c.currency and u.day = c.day and (u.recruiter_id is null or u.recruiter_id = c.recruiter_id);
end
$$;
comment on function private.release_payout_cap_charge(uuid, timestamptz) is
  'Velocity caps: gives a failed tranche''s charge back to the counters of the day it was claimed (no-op when it was not charged).';

-- Counters and charges agree (the invariant the tests check): each counter = Σ its charges.
create function private.payout_cap_problems()
returns table (currency text, day date, recruiter_id uuid, used_amount bigint, charged_amount bigint)
language sql
stable
security definer
set search_path = ''
as $$
  with ch as (
    select c.currency, c.day, s.rid, pg_catalog.sum(c.amount)::bigint as amount
    from private.payout_cap_charges c
    cross join lateral (values (null::uuid), (c.recruiter_id)) s(rid)
    group by 1, 2, 3
  )
  select coalesce(u.currency, ch.currency), coalesce(u.day, ch.day), coalesce(u.recruiter_id, ch.rid),
         coalesce(u.used_amount, 0), coalesce(ch.amount, 0)
  from private.payout_cap_usage u
  full join ch on ch.currency = u.currency and ch.day = u.day and ch.rid is not distinct from u.recruiter_id
  where coalesce(u.used_amount, 0) <> coalesce(ch.amount, 0)
$$;
comment on function private.payout_cap_problems() is
  'Velocity caps invariant: every counter of private.payout_cap_usage equals the sum of its charges (platform: all of the currency''s). Healthy = empty.';

-- ---------------------------------------------------------------------------------------------
-- Lifting a cap for one day (through a four-eyes request only)
-- ---------------------------------------------------------------------------------------------
-- Validates a lift as the request and the execution do; returns the cap being lifted.
create function private.payout_cap_lift_plan(
  p_currency text, p_recruiter_id text, p_day text, p_reason text, p_now timestamptz)
returns table (amount bigint, currency text)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_day date;
  v_today date := (p_now at time zone 'UTC')::date;
  v_rid uuid;
  v_cap bigint;
begin
  if p_currency is null or private.currency_minor_unit_exponent(p_currency) is null then
    raise exception 'p_currency must be a supported currency code in upper case, e.g. USD (got %)',
      coalesce(p_currency, 'nothing (null)') using errcode = 'PT400';
  end if;
  if p_recruiter_id is not null then
    if p_recruiter_id !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
      raise exception 'p_recruiter_id must be a uuid, or null for the platform cap (got %)', p_recruiter_id
        using errcode = 'PT400';
    end if;
    v_rid := p_recruiter_id::uuid;
  end if;
  if p_day is null or p_day !~ '^\d{4}-\d{2}-\d{2}$' then
    raise exception 'p_day must be a date YYYY-MM-DD (UTC day; got %)', coalesce(p_day, 'nothing (null)')
      using errcode = 'PT400';
  end if;
  begin
    v_day := p_day::date;
  exception when others then
    raise exception 'p_day must be a date YYYY-MM-DD (UTC day; got %)', p_day using errcode = 'PT400';
  end;
  if v_day < v_today or v_day > v_today + 30 then
    raise exception 'p_day must be a UTC day from today (%) to 30 days ahead (got %)', v_today, v_day
      using errcode = 'PT400';
  end if;
  if v_rid is not null and not exists (select 1 from public.recruiters r where r.id = v_rid) then
    raise exception 'recruiter % not found', v_rid using errcode = 'PT404';
  end if;
  select case when v_rid is null then k.platform_daily_max else k.recruiter_daily_max end into v_cap
  from private.payout_caps k where k.currency = p_currency;
  if v_cap is null then
    raise exception 'no % cap for %: nothing to lift', case when v_rid is null then 'platform' else 'recruiter' end,
      p_currency using errcode = 'PT404';
  end if;
  if exists (select 1 from private.payout_cap_lifts l
             where l.currency = p_currency and l.recruiter_id is not distinct from v_rid and l.day = v_day) then
    raise exception 'the % cap for % is already lifted on %', coalesce('recruiter ' || v_rid::text, 'platform'),
      p_currency, v_day using errcode = 'PT409';
  end if;
  if pg_catalog.btrim(coalesce(p_reason, '')) = '' then
    raise exception 'p_reason is required to lift a cap' using errcode = 'PT400';
  end if;
  return query select v_cap, p_currency;
end
$$;
comment on function private.payout_cap_lift_plan(text, text, text, text, timestamptz) is
  'Checks a cap lift (currency supported, recruiter uuid or null = platform, UTC day today..+30, reason) and returns the cap lifted: PT400 bad input, PT404 unknown recruiter or no such cap, PT409 already lifted that day.';

-- The lift itself (run by an approved request or break glass; the caller set the actor): the
-- cap is gone for that day, and if the day is today, the scope's tranches deferred by it fall due
-- now (the doorbell rings for them).
create function private.lift_payout_cap(
  p_currency text, p_recruiter_id uuid, p_day date, p_reason text, p_now timestamptz default pg_catalog.now())
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row private.payout_cap_lifts;
  v_prev jsonb;
  v_rescheduled integer := 0;
begin
  -- serialized with the claims of this currency: they see the lift, or their deferrals are rescheduled here
  perform private.lock_payout_caps(array[p_currency]);
  perform private.payout_cap_lift_plan(p_currency, p_recruiter_id::text, p_day::text, p_reason, p_now);

  v_prev := private.enter_transition('payout_cap.lift', p_reason);
  insert into private.payout_cap_lifts (currency, recruiter_id, day, reason, lifted_by, lifted_at)
  values (p_currency, p_recruiter_id, p_day, p_reason, private.actor_id(), p_now)
  returning * into v_row;
  if p_day = (p_now at time zone 'UTC')::date then
    update public.payout_schedules s
       set next_attempt_at = p_now
      from public.payouts po
     where po.id = s.payout_id and po.currency = p_currency
       and (p_recruiter_id is null or s.recruiter_id = p_recruiter_id)
       and s.status in ('pending', 'failed') and s.skip_reason = 'cap_reached' and s.next_attempt_at > p_now;
    get diagnostics v_rescheduled = row_count;
  end if;
  perform private.emit_event('payout_cap.lifted', 'payout_cap_lift', v_row.id, null, null,
    pg_catalog.jsonb_build_object('currency', v_row.currency, 'recruiter_id', v_row.recruiter_id, 'day', v_row.day,
      'rescheduled', v_rescheduled, 'reason', p_reason));
  perform private.leave_transition(v_prev);
  return pg_catalog.to_jsonb(v_row) || pg_catalog.jsonb_build_object('rescheduled', v_rescheduled);
end
$$;
comment on function private.lift_payout_cap(text, uuid, date, text, timestamptz) is
  'Lifts the platform (p_recruiter_id null) or a recruiter''s velocity cap of a currency for one UTC day (audited payout_cap_lift, event payout_cap.lifted); on today, the schedules it deferred (cap_reached) fall due at p_now. Run by an approved four-eyes request only. Returns the lift and rescheduled (count). PT400/PT404/PT409 as private.payout_cap_lift_plan.';

-- ---------------------------------------------------------------------------------------------
-- RPC bodies
-- ---------------------------------------------------------------------------------------------
create function private.rpc_lift_payout_cap(p_currency text, p_recruiter_id uuid, p_day date, p_reason text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  perform private.begin_admin_action();
  -- always a second admin (20261202120000_admin_approvals): PT428, or the plan's PT400/PT404/PT409
  perform private.require_four_eyes('lift_payout_cap', pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
    'p_currency', p_currency, 'p_recruiter_id', p_recruiter_id, 'p_day', p_day::text, 'p_reason', p_reason)));
  return private.lift_payout_cap(p_currency, p_recruiter_id, p_day, p_reason, pg_catalog.now());
end
$$;
comment on function private.rpc_lift_payout_cap(text, uuid, date, text) is
  'Body of public.lift_payout_cap (platform admins only, 42501).';

create function private.rpc_payout_caps(p_day date)
returns table (
  currency text,
  recruiter_id uuid,
  day date,
  cap bigint,
  used_amount bigint,
  remaining bigint,
  reached_at timestamptz,
  deferred_count bigint,
  deferred_amount bigint,
  lifted boolean)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_day date := coalesce(p_day, (pg_catalog.now() at time zone 'UTC')::date);
begin
  perform private.require_platform_admin();
  if not pg_catalog.isfinite(v_day) then
    raise exception 'p_day must be a date (UTC day), or null for today (got %)', v_day using errcode = 'PT400';
  end if;
  return query
  with scope as (
    -- the platform scope of every capped currency, and every recruiter counted that day
    select k.currency, null::uuid as rid, k.platform_daily_max as cap from private.payout_caps k
    union all
    select u.currency, u.recruiter_id, k.recruiter_daily_max
    from private.payout_cap_usage u join private.payout_caps k on k.currency = u.currency
    where u.day = v_day and u.recruiter_id is not null
  )
  select sc.currency, sc.rid, v_day, sc.cap, coalesce(u.used_amount, 0::bigint),
         case when sc.cap is null or l.id is not null then null
              else greatest(sc.cap - coalesce(u.used_amount, 0), 0) end,
         u.reached_at, coalesce(u.deferred_count, 0::bigint), coalesce(u.deferred_amount, 0::bigint), l.id is not null
  from scope sc
  left join private.payout_cap_usage u on u.currency = sc.currency and u.day = v_day
                                      and u.recruiter_id is not distinct from sc.rid
  left join private.payout_cap_lifts l on l.currency = sc.currency and l.day = v_day
                                      and l.recruiter_id is not distinct from sc.rid
  order by sc.currency, sc.rid nulls first;
end
$$;
comment on function private.rpc_payout_caps(date) is
  'Body of public.payout_caps (platform admins only, 42501).';

revoke execute on function
  private.lock_payout_caps(text[]),
  private.payout_cap_overflow(date, uuid[], text[], uuid[], bigint[]),
  private.record_payout_cap_usage(date, timestamptz, uuid[], text[], uuid[], text[]),
  private.release_payout_cap_charge(uuid, timestamptz),
  private.payout_cap_problems(),
  private.payout_cap_lift_plan(text, text, text, text, timestamptz),
  private.lift_payout_cap(text, uuid, date, text, timestamptz),
  private.rpc_lift_payout_cap(text, uuid, date, text),
  private.rpc_payout_caps(date)
from public, anon, authenticated, service_role;
grant execute on function private.rpc_lift_payout_cap(text, uuid, date, text) to authenticated;
grant execute on function private.rpc_payout_caps(date) to authenticated;

-- ---------------------------------------------------------------------------------------------
-- The RPCs (public, security invoker)
-- ---------------------------------------------------------------------------------------------
create function public.lift_payout_cap(
  p_currency text default null, p_recruiter_id uuid default null, p_day date default null, p_reason text default null)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.rpc_lift_payout_cap(p_currency, p_recruiter_id, p_day, p_reason) from private.require_platform_admin()
$$;
comment on function public.lift_payout_cap(text, uuid, date, text) is
  'Admin: lifts the platform velocity cap of a currency (p_recruiter_id null) or one recruiter''s for one UTC day (today up to 30 days ahead). Always needs a second platform admin: answers PT428 (detail: the request''s action and args) and changes nothing; ask with request_admin_action(''lift_payout_cap'', args). 42501; PT400 bad currency/day/reason; PT404 unknown recruiter or no such cap; PT409 already lifted.';

create function public.payout_caps(p_day date default null)
returns table (
  currency text,
  recruiter_id uuid,
  day date,
  cap bigint,
  used_amount bigint,
  remaining bigint,
  reached_at timestamptz,
  deferred_count bigint,
  deferred_amount bigint,
  lifted boolean)
language sql
stable
security invoker
set search_path = ''
as $$
  select private.rpc_payout_caps(p_day) from private.require_platform_admin()
$$;
comment on function public.payout_caps(date) is
  'Admin: the velocity caps on a UTC day (default today): one row per capped currency''s platform scope (recruiter_id null) and per recruiter counted that day; cap (null = unlimited), used_amount (claimed and not failed, minor units), remaining (null = unlimited or lifted), reached_at (a tranche did not fit: closed for the day), deferred count and amount, lifted. 42501; PT400 an infinite day.';

revoke execute on function public.lift_payout_cap(text, uuid, date, text), public.payout_caps(date)
from public, anon, authenticated, service_role;
grant execute on function public.lift_payout_cap(text, uuid, date, text) to authenticated;
grant execute on function public.payout_caps(date) to authenticated;
