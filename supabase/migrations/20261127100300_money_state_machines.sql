-- squawk-ignore-file require-lock-timeout,require-statement-timeout
-- Squawk rules ignored in this file, and why: it only creates functions and grants (no table
-- is rewritten or locked for long).
-- Money model, part 4: the state machines of placements, invoices, payouts, escrow holds and
-- payout schedules, and the functions that create their rows.
--
-- Every function here: security definer, search_path '', schema-qualified names, time passed
-- in as p_now. Each one:
--   1. locks the row(s) it changes (FOR UPDATE; lock order placement -> schedule -> hold ->
--      transfer -> payout, payouts in id order),
--   2. returns the row unchanged when the requested transition is already done (no-op),
--   3. checks the edge against private.state_transitions (PT409, terminal states sticky),
--   4. enters a transition (private.enter_transition: token for the guard triggers + audit
--      action/reason), writes set-based, emits one outbox event per changed entity
--      (private.emit_event), and leaves the transition (token reset).
-- Nobody is granted EXECUTE here: the admin RPCs of the access layer (20261128090200..) wrap
-- these functions in security definer bodies.

-- ---------------------------------------------------------------------------------------------
-- Internal helpers (not transitions by themselves; called inside one)
-- ---------------------------------------------------------------------------------------------

-- Gives each listed payout a pending schedule when it has payable money, its placement has
-- not failed and it has no live schedule yet (at most one live schedule per payout).
create function private.ensure_payout_schedules(
  p_payout_ids uuid[], p_trigger_event text, p_due_at timestamptz)
returns setof public.payout_schedules
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_ids uuid[];
  v_actor_id uuid := private.actor_id();
  v_actor_role text := private.actor_role();
begin
  with ins as (
    insert into public.payout_schedules (
      payout_id, placement_id, status, trigger_event, scheduled_date, guarantee_completion_date,
      next_attempt_at, max_attempts)
    select po.id, po.placement_id, 'pending', p_trigger_event, (p_due_at at time zone 'UTC')::date,
           (pl.guarantee_expires_at at time zone 'UTC')::date, p_due_at, s.max_failed_attempts
    from public.payouts po
    join public.placements pl on pl.id = po.placement_id
    cross join private.settings() s
    where po.id = any (p_payout_ids)
      and po.payable_amount > 0
      and pl.status <> 'failed'
      and not exists (
        select 1 from public.payout_schedules x
        where x.payout_id = po.id and x.status in ('pending', 'processing', 'failed'))
    order by po.id
    on conflict (payout_id) where status in ('pending', 'processing', 'failed') do nothing
    returning id
  )
  select pg_catalog.array_agg(ins.id) into v_ids from ins;

  -- one set-based insert: what private.emit_event writes per schedule
  insert into public.payout_events (
    event_type, entity_type, entity_id, placement_id, payout_id, payload, actor_id, actor_role)
  select 'payout_schedule.created', 'payout_schedule', s.id, s.placement_id, s.payout_id,
         pg_catalog.jsonb_build_object('to_status', s.status, 'trigger_event', s.trigger_event,
           'scheduled_date', s.scheduled_date, 'next_attempt_at', s.next_attempt_at),
         v_actor_id, v_actor_role
  from public.payout_schedules s where s.id = any (v_ids) order by s.id;

  return query select s.* from public.payout_schedules s where s.id = any (v_ids) order by s.id;
end
$$;
comment on function private.ensure_payout_schedules(uuid[], text, timestamptz) is
  'Internal (inside a transition): creates a pending schedule due at p_due_at for each listed payout that has payable money, a live placement and no live schedule; emits payout_schedule.created.';

-- Moves the payouts whose buckets changed to their derived status (one transition each).
create function private.sync_payout_status(p_payout_ids uuid[], p_reason text, p_now timestamptz)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row record;
begin
  for v_row in
    select po.id, private.derive_payout_status(po.amount, po.paid_amount, po.in_flight_amount,
             po.payable_amount, po.held_amount, po.reversed_amount, pl.status = 'failed') as to_status
    from public.payouts po
    join public.placements pl on pl.id = po.placement_id
    where po.id = any (p_payout_ids)
    order by po.id
  loop
    perform private.transition_payout(v_row.id, v_row.to_status, p_reason, p_now);
  end loop;
end
$$;

-- Holds money of payouts (payable -> held). p_amounts[i] belongs to p_payout_ids[i].
create function private.hold_payout_amounts(
  p_payout_ids uuid[], p_amounts bigint[], p_hold_reason text, p_release_scheduled_date date,
  p_now timestamptz)
returns setof public.escrow_holds
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_ids uuid[];
  v_bad record;
begin
  if p_hold_reason is null or p_hold_reason not in ('guarantee_period', 'dispute', 'verification', 'other') then
    raise exception 'unknown hold reason "%"', p_hold_reason using errcode = 'PT400';
  end if;

  select x.payout_id, x.amount, po.payable_amount into v_bad
  from rows from (pg_catalog.unnest(p_payout_ids), pg_catalog.unnest(p_amounts)) as x(payout_id, amount)
  join public.payouts po on po.id = x.payout_id
  where x.amount > po.payable_amount
  limit 1;
  if found then
    raise exception 'hold of % exceeds the unpaid, unheld remainder % of payout %',
      v_bad.amount, v_bad.payable_amount, v_bad.payout_id
      using errcode = 'PT422';
  end if;

  with x as (
    select x.payout_id, x.amount
    from rows from (pg_catalog.unnest(p_payout_ids), pg_catalog.unnest(p_amounts)) as x(payout_id, amount)
    where x.amount > 0
  ), ins as (
    insert into public.escrow_holds (
      placement_id, payout_id, currency, hold_amount, hold_reason, held_at, release_scheduled_date, status)
    select po.placement_id, po.id, po.currency, x.amount, p_hold_reason, p_now, p_release_scheduled_date, 'active'
    from x join public.payouts po on po.id = x.payout_id
    order by po.id
    returning id
  ), upd as (
    update public.payouts po
       set payable_amount = po.payable_amount - x.amount,
           held_amount = po.held_amount + x.amount
      from x
     where po.id = x.payout_id
    returning po.id
  )
  select pg_catalog.array_agg(ins.id) into v_ids from ins;

  perform private.emit_event('escrow_hold.created', 'escrow_hold', h.id, h.placement_id, h.payout_id,
    pg_catalog.jsonb_build_object('to_status', h.status, 'hold_amount', h.hold_amount, 'currency', h.currency,
      'hold_reason', h.hold_reason, 'release_scheduled_date', h.release_scheduled_date))
  from public.escrow_holds h where h.id = any (v_ids) order by h.id;

  return query select h.* from public.escrow_holds h where h.id = any (v_ids) order by h.id;
end
$$;
comment on function private.hold_payout_amounts(uuid[], bigint[], text, date, timestamptz) is
  'Internal (inside a transition): creates active holds (payable -> held), PT422 if a hold exceeds the payout''s unpaid, unheld remainder; emits escrow_hold.created.';

-- Releases active holds (held -> payable) and schedules the affected payouts.
create function private.release_holds(p_hold_ids uuid[], p_event_type text, p_reason text, p_now timestamptz)
returns setof public.escrow_holds
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_ids uuid[];
  v_payout_ids uuid[];
  v_actor_id uuid := private.actor_id();
  v_actor_role text := private.actor_role();
begin
  perform 1 from public.payouts po
  where po.id in (select h.payout_id from public.escrow_holds h where h.id = any (p_hold_ids))
  order by po.id
  for update;

  with rel as (
    update public.escrow_holds h
       set status = 'released', released_at = p_now, released_by = v_actor_id
     where h.id = any (p_hold_ids) and h.status = 'active'
    returning h.id, h.payout_id, h.hold_amount
  ), agg as (
    select rel.payout_id, sum(rel.hold_amount)::bigint as amount from rel group by rel.payout_id
  ), upd as (
    update public.payouts po
       set held_amount = po.held_amount - agg.amount,
           payable_amount = po.payable_amount + agg.amount
      from agg
     where po.id = agg.payout_id
    returning po.id
  )
  select (select pg_catalog.array_agg(rel.id) from rel), (select pg_catalog.array_agg(upd.id) from upd)
    into v_ids, v_payout_ids;

  -- one set-based insert: what private.emit_event writes per hold
  insert into public.payout_events (
    event_type, entity_type, entity_id, placement_id, payout_id, payload, actor_id, actor_role)
  select p_event_type, 'escrow_hold', h.id, h.placement_id, h.payout_id,
         pg_catalog.jsonb_build_object('from_status', 'active', 'to_status', h.status, 'hold_amount', h.hold_amount,
           'currency', h.currency, 'hold_reason', h.hold_reason, 'reason', p_reason),
         v_actor_id, v_actor_role
  from public.escrow_holds h where h.id = any (v_ids) order by h.id;

  perform private.ensure_payout_schedules(v_payout_ids, 'escrow_hold.released',
    private.next_due_at(p_now, (private.settings()).payout_due_time));

  return query select h.* from public.escrow_holds h where h.id = any (v_ids) order by h.id;
end
$$;
comment on function private.release_holds(uuid[], text, text, timestamptz) is
  'Internal (inside a transition): releases active holds (held -> payable), emits p_event_type per hold and gives each affected payout a schedule (trigger escrow_hold.released) due at the next payout due time.';

-- Cancels active holds: their money is forfeited to the platform.
create function private.cancel_holds(p_hold_ids uuid[], p_reason text, p_now timestamptz)
returns setof public.escrow_holds
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_ids uuid[];
  v_payout_ids uuid[];
begin
  perform 1 from public.payouts po
  where po.id in (select h.payout_id from public.escrow_holds h where h.id = any (p_hold_ids))
  order by po.id
  for update;

  with can as (
    update public.escrow_holds h
       set status = 'cancelled', cancelled_at = p_now, cancelled_by = private.actor_id(),
           cancellation_reason = p_reason
     where h.id = any (p_hold_ids) and h.status = 'active'
    returning h.id, h.payout_id, h.hold_amount
  ), agg as (
    select can.payout_id, sum(can.hold_amount)::bigint as amount from can group by can.payout_id
  ), upd as (
    update public.payouts po
       set held_amount = po.held_amount - agg.amount,
           forfeited_amount = po.forfeited_amount + agg.amount
      from agg
     where po.id = agg.payout_id
    returning po.id
  )
  select (select pg_catalog.array_agg(can.id) from can), (select pg_catalog.array_agg(upd.id) from upd)
    into v_ids, v_payout_ids;

  perform private.emit_event('escrow_hold.cancelled', 'escrow_hold', h.id, h.placement_id, h.payout_id,
    pg_catalog.jsonb_build_object('from_status', 'active', 'to_status', h.status, 'forfeited_amount', h.hold_amount,
      'currency', h.currency, 'hold_reason', h.hold_reason, 'reason', p_reason))
  from public.escrow_holds h where h.id = any (v_ids) order by h.id;

  perform private.sync_payout_status(v_payout_ids, p_reason, p_now);

  return query select h.* from public.escrow_holds h where h.id = any (v_ids) order by h.id;
end
$$;
comment on function private.cancel_holds(uuid[], text, timestamptz) is
  'Internal (inside a transition): cancels active holds (held -> forfeited), emits escrow_hold.cancelled and moves the payouts to their derived status.';

-- ---------------------------------------------------------------------------------------------
-- Payouts
-- ---------------------------------------------------------------------------------------------
create function private.transition_payout(
  p_payout_id uuid, p_to_status text, p_reason text default null, p_now timestamptz default pg_catalog.now())
returns public.payouts
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row public.payouts;
  v_derived text;
  v_from text;
  v_prev jsonb;
begin
  select * into v_row from public.payouts where id = p_payout_id for update;
  if not found then
    raise exception 'payout % not found', p_payout_id using errcode = 'PT404';
  end if;
  if v_row.status = p_to_status then
    return v_row;
  end if;
  perform private.assert_transition('payout', v_row.id, v_row.status, p_to_status);

  select private.derive_payout_status(v_row.amount, v_row.paid_amount, v_row.in_flight_amount,
           v_row.payable_amount, v_row.held_amount, v_row.reversed_amount, pl.status = 'failed')
    into v_derived
  from public.placements pl where pl.id = v_row.placement_id;
  if v_derived <> p_to_status then
    raise exception 'payout % cannot be %: its buckets make it %', v_row.id, p_to_status, v_derived
      using errcode = 'PT422';
  end if;

  v_from := v_row.status;
  v_prev := private.enter_transition('payout.' || p_to_status, p_reason);
  update public.payouts
     set status = p_to_status,
         flagged_for_reversal_at = case when p_to_status = 'flagged_for_reversal' then p_now
                                        else flagged_for_reversal_at end
   where id = v_row.id
  returning * into v_row;
  perform private.emit_event('payout.' || p_to_status, 'payout', v_row.id, v_row.placement_id, v_row.id,
    pg_catalog.jsonb_build_object('from_status', v_from, 'to_status', v_row.status, 'amount', v_row.amount,
      'currency', v_row.currency, 'paid_amount', v_row.paid_amount, 'forfeited_amount', v_row.forfeited_amount,
      'reversed_amount', v_row.reversed_amount, 'reason', p_reason));
  perform private.leave_transition(v_prev);
  return v_row;
end
$$;
comment on function private.transition_payout(uuid, text, text, timestamptz) is
  'State machine of payouts (pending -> partially_paid -> paid; forfeited; flagged_for_reversal -> reversed). The target must be the status its buckets imply (PT422), the edge allowed (PT409); same status = no-op. Emits payout.<to_status>.';

-- ---------------------------------------------------------------------------------------------
-- Placements
-- ---------------------------------------------------------------------------------------------
create function private.create_placement(
  p_company_id uuid,
  p_fee_amount bigint,
  p_currency text,
  p_hired_at timestamptz,
  p_guarantee_days integer,
  p_holdback_bps integer default 10000,
  p_title text default '')
returns public.placements
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row public.placements;
  v_prev jsonb;
begin
  if p_company_id is null then
    raise exception 'p_company_id is required' using errcode = 'PT400';
  end if;
  if not exists (select 1 from public.companies c where c.id = p_company_id) then
    raise exception 'company % not found', p_company_id using errcode = 'PT404';
  end if;
  if p_fee_amount is null then
    raise exception 'p_fee_amount is required (integer minor units, 0..2147483647)' using errcode = 'PT400';
  end if;
  if p_fee_amount < 0 or p_fee_amount > 2147483647 then
    raise exception 'p_fee_amount must be an integer amount of minor units between 0 and 2147483647 (got %)',
      p_fee_amount using errcode = 'PT400';
  end if;
  if p_currency is null or private.currency_minor_unit_exponent(p_currency) is null then
    raise exception 'p_currency must be a supported currency: an upper-case ISO 4217 code, one of % (got %)',
      (select pg_catalog.string_agg(c.code, ', ' order by c.code) from private.supported_currencies() c),
      coalesce('"' || p_currency || '"', 'nothing (null)')
      using errcode = 'PT400',
            hint = 'Placements are paid out through Stripe Connect transfers from the platform balance: '
                   || 'the currencies are the settlement currencies of Connect platforms (private.supported_currencies()).';
  end if;
  if p_hired_at is null then
    raise exception 'p_hired_at is required' using errcode = 'PT400';
  end if;
  if not pg_catalog.isfinite(p_hired_at) then
    raise exception 'p_hired_at must be a finite time (got %)', p_hired_at using errcode = 'PT400';
  end if;
  if p_guarantee_days is null then
    raise exception 'p_guarantee_days is required (0..3650)' using errcode = 'PT400';
  end if;
  if p_guarantee_days not between 0 and 3650 then
    raise exception 'p_guarantee_days must be between 0 and 3650 (got %)', p_guarantee_days using errcode = 'PT400';
  end if;
  if p_holdback_bps is null or p_holdback_bps not between 0 and 10000 then
    raise exception 'p_holdback_bps must be between 0 and 10000 (got %)', p_holdback_bps using errcode = 'PT400';
  end if;

  v_prev := private.enter_transition('placement.create', null);
  insert into public.placements (company_id, title, fee_amount, currency, holdback_bps, hired_at,
                                 guarantee_days, guarantee_expires_at, status)
  values (p_company_id, coalesce(p_title, ''), p_fee_amount, p_currency, p_holdback_bps, p_hired_at, p_guarantee_days,
          -- whole UTC days, independent of the session's TimeZone
          ((p_hired_at at time zone 'UTC') + pg_catalog.make_interval(days => p_guarantee_days)) at time zone 'UTC',
          'hired')
  returning * into v_row;
  perform private.emit_event('placement.created', 'placement', v_row.id, v_row.id, null,
    pg_catalog.jsonb_build_object('to_status', v_row.status, 'fee_amount', v_row.fee_amount,
      'currency', v_row.currency, 'holdback_bps', v_row.holdback_bps,
      'guarantee_expires_at', v_row.guarantee_expires_at));
  perform private.leave_transition(v_prev);
  return v_row;
end
$$;
comment on function private.create_placement(uuid, bigint, text, timestamptz, integer, integer, text) is
  'Creates a placement in status hired; guarantee_expires_at = hired_at + guarantee_days (UTC days). PT400 bad input (a missing parameter, a currency not in private.supported_currencies(), an infinite hired_at), PT404 unknown company. Emits placement.created.';

create function private.transition_placement(
  p_placement_id uuid, p_to_status text, p_reason text default null, p_now timestamptz default pg_catalog.now())
returns public.placements
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row public.placements;
  v_from text;
  v_prev jsonb;
  v_ids uuid[];
  v_payout_ids uuid[];
  v_forfeited bigint;
  v_to_reverse bigint;
begin
  select * into v_row from public.placements where id = p_placement_id for update;
  if not found then
    raise exception 'placement % not found', p_placement_id using errcode = 'PT404';
  end if;
  if v_row.status = p_to_status then
    return v_row;
  end if;
  perform private.assert_transition('placement', v_row.id, v_row.status, p_to_status);

  if p_to_status = 'completed' and p_now < v_row.guarantee_expires_at then
    raise exception 'placement % cannot complete before its guarantee expires at %', v_row.id, v_row.guarantee_expires_at
      using errcode = 'PT409';
  end if;
  if p_to_status = 'failed' then
    if pg_catalog.btrim(coalesce(p_reason, '')) = '' then
      raise exception 'p_reason is required to fail a placement' using errcode = 'PT400';
    end if;
    if p_now >= v_row.guarantee_expires_at then
      raise exception 'placement % can only fail during its guarantee (expired at %)', v_row.id, v_row.guarantee_expires_at
        using errcode = 'PT409';
    end if;
  end if;

  v_from := v_row.status;
  v_prev := private.enter_transition(case p_to_status when 'active' then 'placement.activate'
                                                      when 'completed' then 'placement.complete'
                                                      else 'placement.fail' end, p_reason);
  update public.placements
     set status = p_to_status,
         activated_at = case when p_to_status = 'active' then p_now else activated_at end,
         completed_at = case when p_to_status = 'completed' then p_now else completed_at end,
         failed_at = case when p_to_status = 'failed' then p_now else failed_at end,
         failure_reason = case when p_to_status = 'failed' then p_reason else failure_reason end
   where id = v_row.id
  returning * into v_row;

  if p_to_status = 'completed' then
    -- the guarantee is over: its holds are released now (not waiting for the release job)
    perform private.release_holds(
      array(select h.id from public.escrow_holds h
            where h.placement_id = v_row.id and h.status = 'active' and h.hold_reason = 'guarantee_period'
            order by h.id for update),
      'escrow_hold.released', 'guarantee completed', p_now);
  elsif p_to_status = 'failed' then
    -- 1. live schedules cancelled (a processing one keeps its in-flight tranche: its outcome
    --    still lands on the payout, as paid -> reversal or failed -> forfeited)
    with can as (
      update public.payout_schedules s
         set status = 'cancelled', cancelled_at = p_now, cancel_reason = 'placement failed: ' || p_reason,
             next_attempt_at = null, lease_expires_at = null
       where s.placement_id = v_row.id and s.status in ('pending', 'processing', 'failed')
      returning s.id
    )
    select pg_catalog.array_agg(can.id) into v_ids from can;
    perform private.emit_event('payout_schedule.cancelled', 'payout_schedule', s.id, s.placement_id, s.payout_id,
      pg_catalog.jsonb_build_object('to_status', s.status, 'reason', s.cancel_reason))
    from public.payout_schedules s where s.id = any (v_ids) order by s.id;

    -- 2. active holds cancelled: held -> forfeited
    perform private.cancel_holds(
      array(select h.id from public.escrow_holds h
            where h.placement_id = v_row.id and h.status = 'active' order by h.id for update),
      'placement failed: ' || p_reason, p_now);

    -- 3. unpaid money forfeited: payable -> forfeited
    with upd as (
      update public.payouts po
         set forfeited_amount = po.forfeited_amount + po.payable_amount, payable_amount = 0
       where po.placement_id = v_row.id
      returning po.id
    )
    select pg_catalog.array_agg(upd.id order by upd.id) into v_payout_ids from upd;

    -- 4. payouts to their derived status: forfeited, or flagged_for_reversal when paid
    perform private.sync_payout_status(v_payout_ids, 'placement failed: ' || p_reason, p_now);

    select coalesce(sum(po.forfeited_amount), 0)::bigint, coalesce(sum(po.paid_amount - po.reversed_amount), 0)::bigint
      into v_forfeited, v_to_reverse
    from public.payouts po where po.placement_id = v_row.id;
  end if;

  perform private.emit_event('placement.' || case p_to_status when 'active' then 'activated' else p_to_status end,
    'placement', v_row.id, v_row.id, null,
    pg_catalog.jsonb_build_object('from_status', v_from, 'to_status', v_row.status, 'reason', p_reason)
    || case when p_to_status = 'failed'
            then pg_catalog.jsonb_build_object('forfeited_amount', v_forfeited, 'amount_to_reverse', v_to_reverse,
                                               'currency', v_row.currency)
            else '{}'::jsonb end);
  perform private.leave_transition(v_prev);
  return v_row;
end
$$;
comment on function private.transition_placement(uuid, text, text, timestamptz) is
  'State machine of placements: hired -> active -> completed (not before guarantee_expires_at; releases its guarantee holds), hired|active -> failed (reason required, only during the guarantee): in one transaction live schedules cancelled, active holds and unpaid money forfeited, paid payouts flagged for reversal. PT404/PT400/PT409; same status = no-op.';

create function private.record_platform_refund_decision(
  p_placement_id uuid, p_refund_amount bigint, p_reason text, p_now timestamptz default pg_catalog.now())
returns public.placements
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row public.placements;
  v_prev jsonb;
  v_paid bigint;
begin
  select * into v_row from public.placements where id = p_placement_id for update;
  if not found then
    raise exception 'placement % not found', p_placement_id using errcode = 'PT404';
  end if;
  if v_row.refund_decided_at is not null then
    if v_row.refund_amount = p_refund_amount then
      return v_row;
    end if;
    raise exception 'refund of placement % already decided (%)', v_row.id, v_row.refund_amount using errcode = 'PT409';
  end if;
  if v_row.status <> 'failed' then
    raise exception 'refunds are decided for failed placements only (placement % is %)', v_row.id, v_row.status
      using errcode = 'PT409';
  end if;
  if pg_catalog.btrim(coalesce(p_reason, '')) = '' then
    raise exception 'p_reason is required' using errcode = 'PT400';
  end if;
  select coalesce(sum(i.amount_due) filter (where i.status = 'paid'), 0)::bigint into v_paid
  from public.placement_invoices i where i.placement_id = v_row.id;
  if p_refund_amount is null or p_refund_amount < 0 or p_refund_amount > v_paid then
    raise exception 'refund must be between 0 and the paid invoice amount % (got %)', v_paid, p_refund_amount
      using errcode = 'PT422';
  end if;

  v_prev := private.enter_transition('platform.refund_decision', p_reason);
  update public.placements set refund_amount = p_refund_amount, refund_decided_at = p_now
   where id = v_row.id returning * into v_row;
  perform private.emit_event('platform.refund_decision', 'placement', v_row.id, v_row.id, null,
    pg_catalog.jsonb_build_object('refund_amount', p_refund_amount, 'currency', v_row.currency,
      'paid_invoice_amount', v_paid, 'reason', p_reason));
  perform private.leave_transition(v_prev);
  return v_row;
end
$$;
comment on function private.record_platform_refund_decision(uuid, bigint, text, timestamptz) is
  'Records what the company of a failed placement gets back (0..paid invoice amount; forfeited and reversed money returns to the platform first). Once; same amount again = no-op, another = PT409. Emits platform.refund_decision.';

-- ---------------------------------------------------------------------------------------------
-- Invoices: recording one locks the splits, creates the payouts and the guarantee holds
-- ---------------------------------------------------------------------------------------------
create function private.record_placement_invoice(
  p_placement_id uuid,
  p_stripe_invoice_id text default null,
  p_amount_due bigint default null,
  p_status text default 'open',
  p_now timestamptz default pg_catalog.now())
returns public.placement_invoices
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_placement public.placements;
  v_invoice public.placement_invoices;
  v_prev jsonb;
  v_payout_ids uuid[];
  v_total bigint;
  v_hold_total bigint;
  v_settings private.payout_settings := private.settings();
begin
  select * into v_placement from public.placements where id = p_placement_id for update;
  if not found then
    raise exception 'placement % not found', p_placement_id using errcode = 'PT404';
  end if;

  select * into v_invoice from public.placement_invoices where placement_id = p_placement_id;
  if found then
    if v_invoice.stripe_invoice_id is not distinct from p_stripe_invoice_id
       and v_invoice.amount_due = coalesce(p_amount_due, v_placement.fee_amount) then
      return v_invoice;
    end if;
    raise exception 'placement % already has invoice %', p_placement_id, v_invoice.id using errcode = 'PT409';
  end if;
  if v_placement.status = 'failed' then
    raise exception 'placement % has failed: no invoice is recorded', p_placement_id using errcode = 'PT409';
  end if;
  if p_status is null or p_status not in ('draft', 'open') then
    raise exception 'an invoice is recorded as draft or open (got %)', p_status using errcode = 'PT400';
  end if;
  if coalesce(p_amount_due, v_placement.fee_amount) not between 0 and 2147483647 then
    raise exception 'amount_due must be between 0 and 2147483647 (got %)', p_amount_due using errcode = 'PT400';
  end if;

  v_prev := private.enter_transition('placement_invoice.record', null);

  insert into public.placement_invoices (placement_id, currency, amount_due, status, stripe_invoice_id)
  values (v_placement.id, v_placement.currency, coalesce(p_amount_due, v_placement.fee_amount), p_status,
          p_stripe_invoice_id)
  returning * into v_invoice;
  perform private.emit_event('placement_invoice.recorded', 'placement_invoice', v_invoice.id, v_placement.id, null,
    pg_catalog.jsonb_build_object('to_status', v_invoice.status, 'amount_due', v_invoice.amount_due,
      'currency', v_invoice.currency, 'stripe_invoice_id', v_invoice.stripe_invoice_id));

  -- Payouts: the fee split by largest remainder over the shares, the platform's share
  -- (10000 - sum of shares) last; ties go to the lower split id, then to the platform. Split ids
  -- written by the admin RPCs increase in the order the splits were given
  -- (private.write_placement_splits), so the odd cent goes to the split listed first.
  with sp as (
    select s.id, s.recruiter_id, s.share_bps,
           pg_catalog.row_number() over (order by s.id) as ord
    from public.placement_splits s where s.placement_id = v_placement.id
  ), alloc as (
    select a.ord, a.amount
    from private.largest_remainder(
      v_placement.fee_amount,
      array(select sp.share_bps::bigint from sp order by sp.ord)
        || (10000 - coalesce((select sum(sp.share_bps) from sp), 0))::bigint) a
  ), ins as (
    insert into public.payouts (placement_id, split_id, recruiter_id, currency, amount, payable_amount, status)
    select v_placement.id, sp.id, sp.recruiter_id, v_placement.currency, alloc.amount, alloc.amount,
           case when alloc.amount = 0 then 'paid' else 'pending' end
    from sp join alloc on alloc.ord = sp.ord
    order by sp.id
    returning id, amount
  )
  select pg_catalog.array_agg(ins.id order by ins.id), coalesce(sum(ins.amount), 0)::bigint
    into v_payout_ids, v_total
  from ins;

  update public.placements
     set splits_locked_at = p_now, platform_amount = fee_amount - v_total
   where id = v_placement.id
  returning * into v_placement;

  perform private.emit_event('payout.created', 'payout', po.id, po.placement_id, po.id,
    pg_catalog.jsonb_build_object('to_status', po.status, 'amount', po.amount, 'currency', po.currency,
      'recruiter_id', po.recruiter_id, 'split_id', po.split_id))
  from public.payouts po where po.id = any (v_payout_ids) order by po.id;

  -- Guarantee holdback: ceil(sum * holdback_bps / 10000) spread over the payouts pro rata by
  -- amount (largest remainder), released at the escrow release time on or after expiry.
  v_hold_total := (v_total * v_placement.holdback_bps + 9999) / 10000;
  if v_hold_total > 0 then
    -- in split order, like the payouts: the odd cent of the holdback follows the same tie-break
    perform private.hold_payout_amounts(
      array(select po.id from public.payouts po where po.id = any (v_payout_ids) order by po.split_id),
      array(select a.amount from private.largest_remainder(v_hold_total,
              array(select po.amount from public.payouts po where po.id = any (v_payout_ids) order by po.split_id)) a
            order by a.ord),
      'guarantee_period',
      (private.next_due_at(v_placement.guarantee_expires_at, v_settings.escrow_release_time) at time zone 'UTC')::date,
      p_now);
  end if;

  perform private.leave_transition(v_prev);
  return v_invoice;
end
$$;
comment on function private.record_placement_invoice(uuid, text, bigint, text, timestamptz) is
  'Records the placement''s one invoice (draft/open; amount_due defaults to the fee): locks the splits, creates one payout per split (largest remainder, exact to the cent, platform keeps fee - sum), and a guarantee_period hold of holdback_bps of the payouts. Same invoice again = no-op, another = PT409.';

create function private.transition_placement_invoice(
  p_invoice_id uuid,
  p_to_status text,
  p_reason text default null,
  p_now timestamptz default pg_catalog.now(),
  p_paid_at timestamptz default null)
returns public.placement_invoices
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row public.placement_invoices;
  v_from text;
  v_prev jsonb;
  v_settings private.payout_settings := private.settings();
begin
  select * into v_row from public.placement_invoices where id = p_invoice_id for update;
  if not found then
    raise exception 'invoice % not found', p_invoice_id using errcode = 'PT404';
  end if;
  if v_row.status = p_to_status then
    return v_row;
  end if;
  perform private.assert_transition('placement_invoice', v_row.id, v_row.status, p_to_status);
  if p_to_status = 'paid' and coalesce(p_paid_at, p_now) > p_now then
    raise exception 'paid_at % is in the future', p_paid_at using errcode = 'PT400';
  end if;

  v_from := v_row.status;
  v_prev := private.enter_transition('placement_invoice.' || p_to_status, p_reason);
  update public.placement_invoices
     set status = p_to_status,
         paid_at = case when p_to_status = 'paid' then coalesce(p_paid_at, p_now) else paid_at end,
         collectible_at = case when p_to_status = 'paid'
                               then coalesce(p_paid_at, p_now) + v_settings.settlement_buffer
                               else collectible_at end,
         voided_at = case when p_to_status = 'void' then p_now else voided_at end
   where id = v_row.id
  returning * into v_row;
  perform private.emit_event('placement_invoice.' || p_to_status, 'placement_invoice', v_row.id, v_row.placement_id, null,
    pg_catalog.jsonb_build_object('from_status', v_from, 'to_status', v_row.status, 'amount_due', v_row.amount_due,
      'currency', v_row.currency, 'paid_at', v_row.paid_at, 'collectible_at', v_row.collectible_at, 'reason', p_reason));

  if p_to_status = 'paid' then
    -- the unheld money of each payout falls due at the first payout due time once collectible
    perform private.ensure_payout_schedules(
      array(select po.id from public.payouts po where po.placement_id = v_row.placement_id order by po.id),
      'invoice.collectible', private.next_due_at(v_row.collectible_at, v_settings.payout_due_time));
  end if;

  perform private.leave_transition(v_prev);
  return v_row;
end
$$;
comment on function private.transition_placement_invoice(uuid, text, text, timestamptz, timestamptz) is
  'State machine of invoices: draft -> open|void, open -> paid|void|uncollectible, uncollectible -> paid|void. Paid sets paid_at (p_paid_at, default p_now), collectible_at = paid_at + settlement buffer, and schedules the payouts with payable money (trigger invoice.collectible). PT404/PT409; same status = no-op.';

-- ---------------------------------------------------------------------------------------------
-- Escrow holds
-- ---------------------------------------------------------------------------------------------
create function private.create_escrow_hold(
  p_payout_id uuid,
  p_hold_amount bigint,
  p_hold_reason text,
  p_release_scheduled_date date default null,
  p_reason text default null,
  p_now timestamptz default pg_catalog.now())
returns public.escrow_holds
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_payout public.payouts;
  v_hold public.escrow_holds;
  v_prev jsonb;
begin
  -- null: until released by hand; 'infinity' would be a release date that never comes
  if p_release_scheduled_date is not null and not pg_catalog.isfinite(p_release_scheduled_date) then
    raise exception 'p_release_scheduled_date must be a date, or null to hold until released by hand (got %)',
      p_release_scheduled_date using errcode = 'PT400';
  end if;
  select * into v_payout from public.payouts where id = p_payout_id for update;
  if not found then
    raise exception 'payout % not found', p_payout_id using errcode = 'PT404';
  end if;
  if exists (select 1 from public.placements pl where pl.id = v_payout.placement_id and pl.status = 'failed') then
    raise exception 'placement of payout % has failed', p_payout_id using errcode = 'PT409';
  end if;
  if p_hold_amount is null or p_hold_amount <= 0 then
    raise exception 'p_hold_amount must be > 0 (got %)', p_hold_amount using errcode = 'PT400';
  end if;

  v_prev := private.enter_transition('escrow_hold.create', p_reason);
  select * into v_hold
  from private.hold_payout_amounts(array[v_payout.id], array[p_hold_amount], p_hold_reason,
                                   p_release_scheduled_date, p_now);
  perform private.leave_transition(v_prev);
  return v_hold;
end
$$;
comment on function private.create_escrow_hold(uuid, bigint, text, date, text, timestamptz) is
  'Holds p_hold_amount of one payout (payable -> held) until release_scheduled_date (null: until released by hand). PT422 if it exceeds the unpaid, unheld remainder. Emits escrow_hold.created.';

create function private.create_placement_escrow_hold(
  p_placement_id uuid,
  p_total_amount bigint,
  p_hold_reason text,
  p_release_scheduled_date date default null,
  p_reason text default null,
  p_now timestamptz default pg_catalog.now())
returns setof public.escrow_holds
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_placement public.placements;
  v_prev jsonb;
  v_ids uuid[];
  v_amounts bigint[];
begin
  select * into v_placement from public.placements where id = p_placement_id for update;
  if not found then
    raise exception 'placement % not found', p_placement_id using errcode = 'PT404';
  end if;
  if v_placement.status = 'failed' then
    raise exception 'placement % has failed', p_placement_id using errcode = 'PT409';
  end if;
  if p_total_amount is null or p_total_amount <= 0 then
    raise exception 'hold amount must be > 0 (got %)', p_total_amount using errcode = 'PT400';
  end if;
  select pg_catalog.array_agg(po.id order by po.id), pg_catalog.array_agg(po.amount order by po.id)
    into v_ids, v_amounts
  from (select po.id, po.amount from public.payouts po where po.placement_id = p_placement_id
        order by po.id for update) po;
  if v_ids is null or p_total_amount > (select sum(a) from pg_catalog.unnest(v_amounts) a) then
    raise exception 'hold of % exceeds the payouts of placement %', p_total_amount, p_placement_id
      using errcode = 'PT422';
  end if;

  v_prev := private.enter_transition('escrow_hold.create', p_reason);
  return query
  select h.* from private.hold_payout_amounts(
    v_ids,
    array(select a.amount from private.largest_remainder(p_total_amount, v_amounts) a order by a.ord),
    p_hold_reason, p_release_scheduled_date, p_now) h;
  perform private.leave_transition(v_prev);
end
$$;
comment on function private.create_placement_escrow_hold(uuid, bigint, text, date, text, timestamptz) is
  'Placement-level hold: one hold per payout, p_total_amount split pro rata by payout amount (largest remainder, ties to the lower payout id). PT422 when a payout''s share exceeds its unpaid, unheld remainder.';

create function private.transition_escrow_hold(
  p_hold_id uuid, p_to_status text, p_reason text default null, p_now timestamptz default pg_catalog.now())
returns public.escrow_holds
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row public.escrow_holds;
  v_prev jsonb;
begin
  select * into v_row from public.escrow_holds where id = p_hold_id for update;
  if not found then
    raise exception 'escrow hold % not found', p_hold_id using errcode = 'PT404';
  end if;
  if v_row.status = p_to_status then
    return v_row;
  end if;
  perform private.assert_transition('escrow_hold', v_row.id, v_row.status, p_to_status);
  if p_to_status = 'cancelled' and pg_catalog.btrim(coalesce(p_reason, '')) = '' then
    raise exception 'p_reason is required to cancel a hold' using errcode = 'PT400';
  end if;

  v_prev := private.enter_transition(case p_to_status when 'released' then 'escrow_hold.release'
                                                      else 'escrow_hold.cancel' end, p_reason);
  if p_to_status = 'released' then
    perform private.release_holds(array[v_row.id], 'escrow_hold.released', p_reason, p_now);
  else
    perform private.cancel_holds(array[v_row.id], p_reason, p_now);
  end if;
  perform private.leave_transition(v_prev);

  select * into v_row from public.escrow_holds where id = p_hold_id;
  return v_row;
end
$$;
comment on function private.transition_escrow_hold(uuid, text, text, timestamptz) is
  'State machine of escrow holds: active -> released (held -> payable, the payout gets a schedule) | cancelled (reason required; held -> forfeited). PT404/PT400/PT409; same status = no-op.';

-- ---------------------------------------------------------------------------------------------
-- Payout schedules (admin side; the run side is in 20261127100400)
-- ---------------------------------------------------------------------------------------------
create function private.create_payout_schedule(
  p_payout_id uuid, p_reason text default null, p_due_at timestamptz default null,
  p_now timestamptz default pg_catalog.now())
returns public.payout_schedules
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_payout public.payouts;
  v_row public.payout_schedules;
  v_prev jsonb;
begin
  -- null: now; 'infinity' / '-infinity' would be a schedule that never (or always) falls due
  if p_due_at is not null and not pg_catalog.isfinite(p_due_at) then
    raise exception 'p_due_at must be a finite time, or null for now (got %)', p_due_at using errcode = 'PT400';
  end if;
  select * into v_payout from public.payouts where id = p_payout_id for update;
  if not found then
    raise exception 'payout % not found', p_payout_id using errcode = 'PT404';
  end if;
  select * into v_row from public.payout_schedules s
  where s.payout_id = p_payout_id and s.status in ('pending', 'processing', 'failed');
  if found then
    return v_row;  -- at most one live schedule: the existing one is the answer
  end if;
  if exists (select 1 from public.placements pl where pl.id = v_payout.placement_id and pl.status = 'failed') then
    raise exception 'placement of payout % has failed', p_payout_id using errcode = 'PT409';
  end if;
  if v_payout.payable_amount = 0 then
    raise exception 'payout % has nothing payable', p_payout_id using errcode = 'PT409';
  end if;

  v_prev := private.enter_transition('payout_schedule.create', p_reason);
  select * into v_row
  from private.ensure_payout_schedules(array[p_payout_id], 'manual', coalesce(p_due_at, p_now));
  perform private.leave_transition(v_prev);
  return v_row;
end
$$;
comment on function private.create_payout_schedule(uuid, text, timestamptz, timestamptz) is
  'Manual schedule for a payout with payable money (due at p_due_at, default now; PT400 when infinite). Returns the live schedule when one exists (at most one per payout). PT400/PT404/PT409.';

create function private.trigger_payout_schedule(
  p_schedule_id uuid, p_reason text, p_now timestamptz default pg_catalog.now())
returns public.payout_schedules
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row public.payout_schedules;
  v_from text;
  v_prev jsonb;
begin
  select * into v_row from public.payout_schedules where id = p_schedule_id for update;
  if not found then
    raise exception 'payout schedule % not found', p_schedule_id using errcode = 'PT404';
  end if;
  if pg_catalog.btrim(coalesce(p_reason, '')) = '' then
    raise exception 'p_reason is required to trigger a schedule' using errcode = 'PT400';
  end if;
  if v_row.status not in ('pending', 'failed') then
    raise exception 'payout schedule % is %: only a pending or failed schedule can be triggered', v_row.id, v_row.status
      using errcode = 'PT409';
  end if;
  if v_row.status = 'failed' then
    perform private.assert_transition('payout_schedule', v_row.id, 'failed', 'pending');
  end if;

  v_from := v_row.status;
  v_prev := private.enter_transition('payout_schedule.trigger', p_reason);
  -- one more attempt, also for an exhausted schedule; the claim still checks every gate
  update public.payout_schedules
     set status = 'pending',
         next_attempt_at = least(coalesce(next_attempt_at, p_now), p_now),
         max_attempts = case when status = 'failed' then retry_count + 1 else max_attempts end
   where id = v_row.id
  returning * into v_row;
  perform private.emit_event('payout_schedule.triggered', 'payout_schedule', v_row.id, v_row.placement_id,
    v_row.payout_id,
    pg_catalog.jsonb_build_object('from_status', v_from, 'to_status', v_row.status, 'retry_count', v_row.retry_count,
      'max_attempts', v_row.max_attempts, 'next_attempt_at', v_row.next_attempt_at, 'reason', p_reason));
  perform private.leave_transition(v_prev);
  return v_row;
end
$$;
comment on function private.trigger_payout_schedule(uuid, text, timestamptz) is
  'Admin override: makes a pending schedule due now, or gives a failed (also exhausted) schedule one more attempt (failed -> pending, max_attempts = retry_count + 1). Never bypasses eligibility: the claim checks every gate. PT404/PT400/PT409.';

create function private.transition_payout_schedule(
  p_schedule_id uuid, p_to_status text, p_reason text default null, p_now timestamptz default pg_catalog.now())
returns public.payout_schedules
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row public.payout_schedules;
  v_from text;
  v_prev jsonb;
begin
  select * into v_row from public.payout_schedules where id = p_schedule_id for update;
  if not found then
    raise exception 'payout schedule % not found', p_schedule_id using errcode = 'PT404';
  end if;
  if v_row.status = p_to_status then
    return v_row;
  end if;
  perform private.assert_transition('payout_schedule', v_row.id, v_row.status, p_to_status);
  if p_to_status in ('processing', 'processed', 'failed') then
    raise exception 'payout schedule % -> % happens only through the payout run (claim/complete/fail)', v_row.id, p_to_status
      using errcode = 'PT409';
  end if;
  if p_to_status = 'pending' then
    return private.trigger_payout_schedule(p_schedule_id, p_reason, p_now);
  end if;
  -- cancelled
  if v_row.status = 'processing' then
    raise exception 'payout schedule % has a tranche in flight: complete or fail it first', v_row.id
      using errcode = 'PT409';
  end if;
  if pg_catalog.btrim(coalesce(p_reason, '')) = '' then
    raise exception 'p_reason is required to cancel a schedule' using errcode = 'PT400';
  end if;

  v_from := v_row.status;
  v_prev := private.enter_transition('payout_schedule.cancel', p_reason);
  update public.payout_schedules
     set status = 'cancelled', cancelled_at = p_now, cancel_reason = p_reason, next_attempt_at = null
   where id = v_row.id
  returning * into v_row;
  perform private.emit_event('payout_schedule.cancelled', 'payout_schedule', v_row.id, v_row.placement_id,
    v_row.payout_id, pg_catalog.jsonb_build_object('from_status', v_from, 'to_status', v_row.status, 'reason', p_reason));
  perform private.leave_transition(v_prev);
  return v_row;
end
$$;
comment on function private.transition_payout_schedule(uuid, text, text, timestamptz) is
  'State machine of payout schedules, admin edges: -> cancelled (reason required; not while a tranche is in flight) and failed -> pending (= trigger_payout_schedule). processing/processed/failed are driven by claim_due_payout_schedules / complete_payout_transfer / fail_payout_transfer. PT404/PT400/PT409; same status = no-op.';

-- ---------------------------------------------------------------------------------------------
-- Recruiters and the platform switch
-- ---------------------------------------------------------------------------------------------
create function private.set_recruiter_connect_account(
  p_recruiter_id uuid, p_account_id text, p_transfers_capability text,
  p_now timestamptz default pg_catalog.now())
returns public.recruiters
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row public.recruiters;
  v_old public.recruiters;
  v_prev jsonb;
begin
  select * into v_old from public.recruiters where id = p_recruiter_id for update;
  if not found then
    raise exception 'recruiter % not found', p_recruiter_id using errcode = 'PT404';
  end if;
  perform private.check_stripe_id('p_account_id', p_account_id, 'acct', 'connected account', true);
  if p_transfers_capability is not null
     and p_transfers_capability not in ('active', 'inactive', 'pending', 'unrequested') then
    raise exception 'unknown transfers capability %', p_transfers_capability using errcode = 'PT400';
  end if;
  if v_old.stripe_connect_account_id is not distinct from p_account_id
     and v_old.stripe_transfers_capability is not distinct from p_transfers_capability then
    return v_old;
  end if;

  v_prev := private.enter_transition('recruiter.connect_account_update', null);
  update public.recruiters
     set stripe_connect_account_id = p_account_id,
         stripe_transfers_capability = case when p_account_id is null then null else p_transfers_capability end,
         stripe_capability_updated_at = p_now
   where id = p_recruiter_id
  returning * into v_row;
  if v_row.can_receive_transfers then
    -- a later loss of the capability is notified again
    update public.payouts set connect_required_notified_at = null
     where recruiter_id = v_row.id and connect_required_notified_at is not null;
  end if;
  perform private.emit_event('recruiter.connect_account_updated', 'recruiter', v_row.id, null, null,
    pg_catalog.jsonb_build_object('stripe_connect_account_id', v_row.stripe_connect_account_id,
      'previous_account_id', v_old.stripe_connect_account_id,
      'transfers_capability', v_row.stripe_transfers_capability,
      'can_receive_transfers', v_row.can_receive_transfers));
  perform private.leave_transition(v_prev);
  return v_row;
end
$$;
comment on function private.set_recruiter_connect_account(uuid, text, text, timestamptz) is
  'Sets a recruiter''s transfer destination and its Stripe capabilities.transfers (active = can receive transfers). Same values = no-op. Emits recruiter.connect_account_updated.';

create function private.set_recruiter_paused(
  p_recruiter_id uuid, p_paused boolean, p_reason text default null, p_now timestamptz default pg_catalog.now())
returns public.recruiters
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row public.recruiters;
  v_prev jsonb;
begin
  select * into v_row from public.recruiters where id = p_recruiter_id for update;
  if not found then
    raise exception 'recruiter % not found', p_recruiter_id using errcode = 'PT404';
  end if;
  if p_paused is null then
    raise exception 'p_paused is required' using errcode = 'PT400';
  end if;
  if v_row.payouts_paused = p_paused then
    return v_row;
  end if;
  if p_paused and pg_catalog.btrim(coalesce(p_reason, '')) = '' then
    raise exception 'p_reason is required to pause a recruiter' using errcode = 'PT400';
  end if;

  v_prev := private.enter_transition(case when p_paused then 'recruiter.pause' else 'recruiter.resume' end, p_reason);
  update public.recruiters
     set paused_at = case when p_paused then p_now end,
         paused_reason = case when p_paused then p_reason end
   where id = p_recruiter_id
  returning * into v_row;
  perform private.emit_event(case when p_paused then 'recruiter.paused' else 'recruiter.resumed' end,
    'recruiter', v_row.id, null, null, pg_catalog.jsonb_build_object('reason', p_reason));
  perform private.leave_transition(v_prev);
  return v_row;
end
$$;
comment on function private.set_recruiter_paused(uuid, boolean, text, timestamptz) is
  'Pauses (reason required) or resumes a recruiter''s payouts. Same state = no-op. Emits recruiter.paused / recruiter.resumed.';

create function private.set_payouts_paused(
  p_paused boolean, p_reason text default null, p_now timestamptz default pg_catalog.now())
returns private.payout_settings
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row private.payout_settings;
  v_prev jsonb;
begin
  select * into v_row from private.payout_settings where singleton for update;
  if p_paused is null then
    raise exception 'p_paused is required' using errcode = 'PT400';
  end if;
  if v_row.payouts_paused = p_paused then
    return v_row;
  end if;
  if p_paused and pg_catalog.btrim(coalesce(p_reason, '')) = '' then
    raise exception 'p_reason is required to pause payouts' using errcode = 'PT400';
  end if;

  v_prev := private.enter_transition(case when p_paused then 'platform.pause' else 'platform.resume' end, p_reason);
  update private.payout_settings
     set payouts_paused = p_paused,
         paused_at = case when p_paused then p_now end,
         paused_reason = case when p_paused then p_reason end
   where singleton
  returning * into v_row;
  perform private.emit_event(case when p_paused then 'platform.payouts_paused' else 'platform.payouts_resumed' end,
    'payout_settings', v_row.id, null, null, pg_catalog.jsonb_build_object('reason', p_reason));
  perform private.leave_transition(v_prev);
  return v_row;
end
$$;
comment on function private.set_payouts_paused(boolean, text, timestamptz) is
  'Platform kill switch: while paused no payout is eligible (claims skip with platform_paused). Same state = no-op. Emits platform.payouts_paused / platform.payouts_resumed.';

create function private.configure_payout_settings(
  p_settlement_buffer interval default null,
  p_payout_due_time time default null,
  p_escrow_release_time time default null,
  p_max_failed_attempts integer default null,
  p_retry_base_delay interval default null,
  p_retry_max_delay interval default null,
  p_claim_lease interval default null,
  p_reason text default null,
  p_invocation_stale_after interval default null,
  p_invoice_days_until_due integer default null,
  -- erasure (20261202150000_personal_data_erasure): years money records of an erased person are kept
  p_money_record_retention_years integer default null)
returns private.payout_settings
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_old private.payout_settings;
  v_row private.payout_settings;
  v_prev jsonb;
begin
  select * into v_old from private.payout_settings where singleton for update;
  v_prev := private.enter_transition('platform.configure', p_reason);
  update private.payout_settings
     set settlement_buffer = coalesce(p_settlement_buffer, settlement_buffer),
         payout_due_time = coalesce(p_payout_due_time, payout_due_time),
         escrow_release_time = coalesce(p_escrow_release_time, escrow_release_time),
         max_failed_attempts = coalesce(p_max_failed_attempts, max_failed_attempts),
         retry_base_delay = coalesce(p_retry_base_delay, retry_base_delay),
         retry_max_delay = coalesce(p_retry_max_delay, retry_max_delay),
         claim_lease = coalesce(p_claim_lease, claim_lease),
         invocation_stale_after = coalesce(p_invocation_stale_after, invocation_stale_after),
         invoice_days_until_due = coalesce(p_invoice_days_until_due, invoice_days_until_due),
         money_record_retention_years = coalesce(p_money_record_retention_years, money_record_retention_years)
   where singleton
  returning * into v_row;
  if pg_catalog.to_jsonb(v_row) - 'updated_at' is distinct from pg_catalog.to_jsonb(v_old) - 'updated_at' then
    perform private.emit_event('platform.settings_updated', 'payout_settings', v_row.id, null, null,
      pg_catalog.jsonb_build_object('settlement_buffer', v_row.settlement_buffer, 'payout_due_time', v_row.payout_due_time,
        'escrow_release_time', v_row.escrow_release_time, 'max_failed_attempts', v_row.max_failed_attempts,
        'retry_base_delay', v_row.retry_base_delay, 'retry_max_delay', v_row.retry_max_delay,
        'claim_lease', v_row.claim_lease, 'invocation_stale_after', v_row.invocation_stale_after,
        'invoice_days_until_due', v_row.invoice_days_until_due,
        'money_record_retention_years', v_row.money_record_retention_years, 'reason', p_reason));
  end if;
  perform private.leave_transition(v_prev);
  return v_row;
end
$$;
comment on function private.configure_payout_settings(interval, time, time, integer, interval, interval, interval, text, interval, integer, integer) is
  'Changes platform payout settings (null = unchanged): settlement buffer, UTC due times of payouts and escrow releases, retry policy, claim lease, days companies have to pay a Stripe invoice (invoice_days_until_due, company billing), years the money records of an erased person are kept (money_record_retention_years, erasure). CHECK constraints refuse bad values (23514). Applies to schedules created afterwards (max_attempts is copied per schedule). Emits platform.settings_updated when something changed.';

comment on function private.sync_payout_status(uuid[], text, timestamptz) is
  'Internal (inside a transition): moves each listed payout to the status its buckets imply, through private.transition_payout.';

revoke execute on function
  private.ensure_payout_schedules(uuid[], text, timestamptz),
  private.sync_payout_status(uuid[], text, timestamptz),
  private.hold_payout_amounts(uuid[], bigint[], text, date, timestamptz),
  private.release_holds(uuid[], text, text, timestamptz),
  private.cancel_holds(uuid[], text, timestamptz),
  private.transition_payout(uuid, text, text, timestamptz),
  private.create_placement(uuid, bigint, text, timestamptz, integer, integer, text),
  private.transition_placement(uuid, text, text, timestamptz),
  private.record_platform_refund_decision(uuid, bigint, text, timestamptz),
  private.record_placement_invoice(uuid, text, bigint, text, timestamptz),
  private.transition_placement_invoice(uuid, text, text, timestamptz, timestamptz),
  private.create_escrow_hold(uuid, bigint, text, date, text, timestamptz),
  private.create_placement_escrow_hold(uuid, bigint, text, date, text, timestamptz),
  private.transition_escrow_hold(uuid, text, text, timestamptz),
  private.create_payout_schedule(uuid, text, timestamptz, timestamptz),
  private.trigger_payout_schedule(uuid, text, timestamptz),
  private.transition_payout_schedule(uuid, text, text, timestamptz),
  private.set_recruiter_connect_account(uuid, text, text, timestamptz),
  private.set_recruiter_paused(uuid, boolean, text, timestamptz),
  private.set_payouts_paused(boolean, text, timestamptz),
  private.configure_payout_settings(interval, time, time, integer, interval, interval, interval, text, interval, integer, integer)
from public, anon, authenticated, service_role;
