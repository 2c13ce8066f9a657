-- squawk-ignore-file require-lock-timeout,require-statement-timeout
-- Squawk rules ignored in this file, and why: it only creates functions and grants (no table
-- is rewritten or locked for long).
--
-- Set-based completion of tranches: the payout run records the transfers Stripe made in batches
-- (one transaction for many tranches) instead of one transaction per tranche.
--
--   private.complete_payout_transfers(transfers[], stripe transfer ids[], now)
--       every tranche pending|unknown -> succeeded in one statement per table: tranches, their
--       payouts (in flight -> paid AND the derived status in ONE update, so one audit row per
--       payout instead of two), their schedules (processing -> processed), and the outbox events
--       the single-tranche path emits (payout_transfer.succeeded, payout_schedule.processed,
--       payout.<status> when the status changed). All or nothing: one bad element fails the call.
--   private.complete_payout_transfer(transfer, stripe transfer id, now)
--       now one element of the above (same signature, same errors).
--   private.record_payout_transfers_paid(invocation, transfers[], stripe ids[], adopted[], now)
--       the run's batch: complete_payout_transfers, counted on the invocation;
--       private.record_payout_transfer_paid is one element of it.

create function private.complete_payout_transfers(
  p_transfer_ids uuid[],
  p_stripe_transfer_ids text[],
  p_now timestamptz default pg_catalog.now())
returns setof public.payout_transfers
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_n integer := coalesce(pg_catalog.cardinality(p_transfer_ids), 0);
  v_prev jsonb;
  v_bad record;
  v_todo uuid[];
  v_actor_id uuid;
  v_actor_role text;
begin
  if v_n not between 1 and 1000 then
    raise exception 'between 1 and 1000 tranches per call (got %)', v_n using errcode = 'PT400';
  end if;
  if pg_catalog.cardinality(p_stripe_transfer_ids) is distinct from v_n then
    raise exception 'one Stripe transfer id per tranche (% tranches, % ids)',
      v_n, coalesce(pg_catalog.cardinality(p_stripe_transfer_ids), 0) using errcode = 'PT400';
  end if;
  if pg_catalog.array_position(p_transfer_ids, null) is not null then
    raise exception 'payout transfer ids must not be null' using errcode = 'PT400';
  end if;
  if (select pg_catalog.count(distinct u) from pg_catalog.unnest(p_transfer_ids) u) <> v_n then
    raise exception 'a payout transfer appears twice in one call' using errcode = 'PT400';
  end if;

  -- Locks in the global order: schedules, tranches, payouts (each in id order).
  perform 1 from public.payout_schedules s
   where s.id in (select t.schedule_id from public.payout_transfers t where t.id = any (p_transfer_ids))
   order by s.id
   for update;
  perform 1 from public.payout_transfers t where t.id = any (p_transfer_ids) order by t.id for update;
  perform 1 from public.payouts po
   where po.id in (select t.payout_id from public.payout_transfers t where t.id = any (p_transfer_ids))
   order by po.id
   for update;

  -- The checks of the single-tranche path, in its order, for every element.
  select i.tid into v_bad
  from pg_catalog.unnest(p_transfer_ids) as i(tid)
  where not exists (select 1 from public.payout_transfers t where t.id = i.tid)
  limit 1;
  if found then
    raise exception 'payout transfer % not found', v_bad.tid using errcode = 'PT404';
  end if;

  select t.id, t.stripe_transfer_id into v_bad
  from rows from (pg_catalog.unnest(p_transfer_ids), pg_catalog.unnest(p_stripe_transfer_ids)) as i(tid, sid)
  join public.payout_transfers t on t.id = i.tid
  where t.status = 'succeeded' and t.stripe_transfer_id is distinct from i.sid
  order by t.id
  limit 1;
  if found then
    raise exception 'payout transfer % already succeeded as %', v_bad.id, v_bad.stripe_transfer_id
      using errcode = 'PT409';
  end if;

  select t.id, t.status into v_bad
  from public.payout_transfers t
  where t.id = any (p_transfer_ids) and t.status not in ('pending', 'unknown', 'succeeded')
  order by t.id
  limit 1;
  if found then
    perform private.assert_transition('payout_transfer', v_bad.id, v_bad.status, 'succeeded');
  end if;

  select i.sid into v_bad
  from rows from (pg_catalog.unnest(p_transfer_ids), pg_catalog.unnest(p_stripe_transfer_ids)) as i(tid, sid)
  join public.payout_transfers t on t.id = i.tid
  where t.status in ('pending', 'unknown') and (i.sid is null or i.sid !~ '^tr_[A-Za-z0-9]+$')
  limit 1;
  if found then
    raise exception 'a Stripe transfer id (tr_...) is required (got %)', v_bad.sid using errcode = 'PT400';
  end if;

  select i.sid into v_bad
  from rows from (pg_catalog.unnest(p_transfer_ids), pg_catalog.unnest(p_stripe_transfer_ids)) as i(tid, sid)
  join public.payout_transfers t on t.id = i.tid
  where t.status in ('pending', 'unknown')
    and (exists (select 1 from public.payout_transfers o where o.stripe_transfer_id = i.sid)
         or (select pg_catalog.count(*) from pg_catalog.unnest(p_stripe_transfer_ids) x where x = i.sid) > 1)
  limit 1;
  if found then
    raise exception 'Stripe transfer % is already recorded for another tranche', v_bad.sid using errcode = 'PT409';
  end if;

  select pg_catalog.array_agg(t.id order by t.id) into v_todo
  from public.payout_transfers t
  where t.id = any (p_transfer_ids) and t.status in ('pending', 'unknown');

  if v_todo is not null then
    v_actor_id := private.actor_id();
    v_actor_role := private.actor_role();
    v_prev := private.enter_transition('payout_transfer.complete', null);

    -- One statement: every CTE reads the rows as they were when it started (`target` sees the
    -- payouts before their update), and the data-modifying ones run whether or not the insert
    -- reads them.
    with i as (
      select i.tid, i.sid, t.status as from_status
      from rows from (pg_catalog.unnest(p_transfer_ids), pg_catalog.unnest(p_stripe_transfer_ids)) as i(tid, sid)
      join public.payout_transfers t on t.id = i.tid
      where t.id = any (v_todo)
    ), tr as (
      update public.payout_transfers t
         set status = 'succeeded', stripe_transfer_id = i.sid, succeeded_at = p_now
        from i
       where t.id = i.tid
      returning t.*, i.from_status
    ), moved as (
      -- at most one tranche per payout is in flight (unique index), summed to be safe anyway
      select tr.payout_id, pg_catalog.sum(tr.amount)::bigint as amount, pg_catalog.bool_or(pl.status = 'failed') as placement_failed
      from tr join public.placements pl on pl.id = tr.placement_id
      group by tr.payout_id
    ), target as (
      -- the payouts as they are (locked above) and what they become
      select po.id, po.status as from_status, m.amount,
             private.derive_payout_status(po.amount, po.paid_amount + m.amount, po.in_flight_amount - m.amount,
               po.payable_amount, po.held_amount, po.reversed_amount, m.placement_failed) as to_status
      from public.payouts po join moved m on m.payout_id = po.id
    ), po as (
      update public.payouts po
         set in_flight_amount = po.in_flight_amount - x.amount,
             paid_amount = po.paid_amount + x.amount,
             status = x.to_status,
             flagged_for_reversal_at = case when x.to_status = 'flagged_for_reversal' and x.from_status <> x.to_status
                                            then p_now else po.flagged_for_reversal_at end
        from target x
       where po.id = x.id
      returning po.*, x.from_status
    ), sc as (
      update public.payout_schedules s
         set status = 'processed', processed_at = p_now, lease_expires_at = null, next_attempt_at = null
        from tr
       where s.id = tr.schedule_id and s.status = 'processing'
      returning s.id, s.placement_id, s.payout_id, s.status, tr.id as transfer_id, tr.amount
    ), ev as (
      select 1 as k, tr.id as entity_id, 'payout_transfer.succeeded' as event_type, 'payout_transfer' as entity_type,
             tr.placement_id, tr.payout_id,
             pg_catalog.jsonb_build_object('from_status', tr.from_status, 'to_status', tr.status, 'amount', tr.amount,
               'currency', tr.currency, 'stripe_transfer_id', tr.stripe_transfer_id,
               'destination_account_id', tr.destination_account_id) as payload
      from tr
      union all
      select 2, sc.id, 'payout_schedule.processed', 'payout_schedule', sc.placement_id, sc.payout_id,
             pg_catalog.jsonb_build_object('from_status', 'processing', 'to_status', sc.status,
               'transfer_id', sc.transfer_id, 'amount', sc.amount)
      from sc
      union all
      -- what private.transition_payout emits, when the status changed
      select 3, po.id, 'payout.' || po.status, 'payout', po.placement_id, po.id,
             pg_catalog.jsonb_build_object('from_status', po.from_status, 'to_status', po.status, 'amount', po.amount,
               'currency', po.currency, 'paid_amount', po.paid_amount, 'forfeited_amount', po.forfeited_amount,
               'reversed_amount', po.reversed_amount, 'reason', null)
      from po
      where po.status <> po.from_status
    )
    insert into public.payout_events (
      event_type, entity_type, entity_id, placement_id, payout_id, payload, actor_id, actor_role)
    select ev.event_type, ev.entity_type, ev.entity_id, ev.placement_id, ev.payout_id, ev.payload,
           v_actor_id, v_actor_role
    from ev
    order by ev.k, ev.entity_id;

    perform private.leave_transition(v_prev);
  end if;

  return query
  select t.* from public.payout_transfers t where t.id = any (p_transfer_ids) order by t.id;
end
$$;
comment on function private.complete_payout_transfers(uuid[], text[], timestamptz) is
  'Payout run, success, set-based: each tranche pending|unknown -> succeeded with its Stripe transfer id (unique), in flight -> paid, schedule processed, payout to its derived status (partially_paid/paid, or flagged_for_reversal if the placement failed meanwhile) in one update; events as the single path. Same id again = no-op; all or nothing: PT400 (sizes, nulls, duplicates, Stripe id format), PT404, PT409 (already succeeded as another transfer, illegal transition, Stripe id recorded for another tranche). 1..1000 tranches per call.';

create or replace function private.complete_payout_transfer(
  p_transfer_id uuid, p_stripe_transfer_id text, p_now timestamptz default pg_catalog.now())
returns public.payout_transfers
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row public.payout_transfers;
begin
  if p_transfer_id is null then
    raise exception 'payout transfer % not found', p_transfer_id using errcode = 'PT404';
  end if;
  select * into strict v_row
  from private.complete_payout_transfers(array[p_transfer_id], array[p_stripe_transfer_id], p_now);
  return v_row;
end
$$;
comment on function private.complete_payout_transfer(uuid, text, timestamptz) is
  'Payout run, success: one tranche of private.complete_payout_transfers (pending|unknown -> succeeded with its Stripe transfer id, in flight -> paid, schedule processed, payout to its derived status). Same id again = no-op; PT404/PT400/PT409.';

create function private.record_payout_transfers_paid(
  p_invocation_id uuid,
  p_transfer_ids uuid[],
  p_stripe_transfer_ids text[],
  p_adopted boolean[],
  p_now timestamptz default pg_catalog.now())
returns table (transfer_id uuid, status text, stripe_transfer_id text)
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_done uuid[];
begin
  perform private.payout_invocation(p_invocation_id);
  if pg_catalog.cardinality(p_adopted) is distinct from pg_catalog.cardinality(p_transfer_ids) then
    raise exception 'one adopted flag per tranche' using errcode = 'PT400';
  end if;
  -- (read before completing: tranches already succeeded are not counted again)
  select pg_catalog.array_agg(t.id) into v_done
  from public.payout_transfers t where t.id = any (p_transfer_ids) and t.status = 'succeeded';

  perform 1 from private.complete_payout_transfers(p_transfer_ids, p_stripe_transfer_ids, p_now);

  perform private.count_payout_invocation(p_invocation_id, (
    select pg_catalog.jsonb_build_object(
      'paid', pg_catalog.count(*) filter (where not coalesce(i.adopted, false)),
      'adopted', pg_catalog.count(*) filter (where coalesce(i.adopted, false)))
    from rows from (pg_catalog.unnest(p_transfer_ids), pg_catalog.unnest(p_adopted)) as i(tid, adopted)
    where i.tid <> all (coalesce(v_done, '{}'::uuid[]))), p_now);

  return query
  select t.id, t.status, t.stripe_transfer_id
  from public.payout_transfers t where t.id = any (p_transfer_ids)
  order by t.id;
end
$$;
comment on function private.record_payout_transfers_paid(uuid, uuid[], text[], boolean[], timestamptz) is
  'Payout run: the Stripe transfers of these tranches exist (p_adopted per tranche: found by reconciliation rather than returned by our call): private.complete_payout_transfers in one transaction, counted on the invocation (paid / adopted; tranches already succeeded are not counted again). All or nothing; PT400/PT404/PT409 as complete_payout_transfers.';

create or replace function private.record_payout_transfer_paid(
  p_invocation_id uuid,
  p_transfer_id uuid,
  p_stripe_transfer_id text,
  p_adopted boolean default false,
  p_now timestamptz default pg_catalog.now())
returns public.payout_transfers
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row public.payout_transfers;
begin
  if p_transfer_id is null then
    raise exception 'payout transfer % not found', p_transfer_id using errcode = 'PT404';
  end if;
  perform 1 from private.record_payout_transfers_paid(
    p_invocation_id, array[p_transfer_id], array[p_stripe_transfer_id], array[coalesce(p_adopted, false)], p_now);
  select * into v_row from public.payout_transfers t where t.id = p_transfer_id;
  return v_row;
end
$$;
comment on function private.record_payout_transfer_paid(uuid, uuid, text, boolean, timestamptz) is
  'Payout run: one tranche of private.record_payout_transfers_paid (its Stripe transfer exists; p_adopted: found by reconciliation). Same transfer again = no-op. PT400/PT404/PT409 as complete_payout_transfer.';

revoke execute on function
  private.complete_payout_transfers(uuid[], text[], timestamptz),
  private.record_payout_transfers_paid(uuid, uuid[], text[], boolean[], timestamptz)
from public, anon, authenticated, service_role;
grant execute on function private.complete_payout_transfers(uuid[], text[], timestamptz) to payout_jobs;
grant execute on function private.record_payout_transfers_paid(uuid, uuid[], text[], boolean[], timestamptz)
  to payout_runner;
