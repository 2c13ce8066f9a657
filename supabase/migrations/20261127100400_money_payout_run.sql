-- squawk-ignore-file require-lock-timeout,require-statement-timeout
-- Squawk rules ignored in this file, and why: it only creates functions and grants (no table
-- is rewritten or locked for long).
-- Money model, part 5: the functions the payout run (the Edge Function calling Stripe,
-- 20261129*) and the scheduled jobs use, granted to role payout_jobs and to nobody else.
--
--   claim_due_payout_schedules(run, limit, lease, now) -> one row per claimed schedule:
--       'claimed'   a pending tranche was created (payable -> in flight) with its idempotency
--                   key, committed before any Stripe call
--       'reclaimed' the schedule's lease had expired with its tranche still pending: the same
--                   tranche (same idempotency key) is handed to this run
--       'skipped'   an eligibility gate failed: skip_reason recorded, next_attempt_at deferred
--                   to the next payout due time (or the invoice's collectible time); or the
--                   tranche does not fit a velocity cap of the day (skip_reason cap_reached,
--                   due at the next payout due time after the UTC day ends; 20261202140000)
--       'cancelled' nothing can ever be paid by this schedule any more (all paid/forfeited)
--   complete_payout_transfers(transfers[], stripe transfer ids[], now)
--                                                                tranches succeeded, set-based
--   complete_payout_transfer(transfer, stripe transfer id, now)  one of them
--   fail_payout_transfer(transfer, reason, now)                  tranche failed -> backoff
--   mark_payout_transfer_unknown(transfer, reason, now)          outcome unknown
--   release_due_escrow_holds(now, limit)                         due holds released (in batches)
--
-- Double payment is impossible at the database level: a payout's paid + in_flight never
-- exceed its amount (bucket CHECK), at most one tranche per payout is in flight (unique
-- partial index), a succeeded tranche is terminal and its Stripe transfer id unique, and the
-- buckets must equal the sums of the tranches (deferred constraint trigger).

create function private.claim_due_payout_schedules(
  p_run_id uuid,
  p_limit integer default 100,
  p_lease interval default null,
  p_now timestamptz default pg_catalog.now(),
  p_invocation_id uuid default null)
returns table (
  schedule_id uuid,
  payout_id uuid,
  outcome text,
  transfer_id uuid,
  amount bigint,
  currency char(3),
  destination_account_id text,
  idempotency_key text,
  attempt_number integer,
  skip_reason text)
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_settings private.payout_settings := private.settings();
  v_lease interval := coalesce(p_lease, v_settings.claim_lease);
  v_stale_before timestamptz := p_now - v_settings.invocation_stale_after;
  v_prev jsonb;
  v_ids uuid[];
  v_any_processing boolean;
  v_actor_id uuid := private.actor_id();
  v_actor_role text := private.actor_role();
  v_payout_ids uuid[];
  v_reclaimed uuid[];
  v_claimed uuid[];
  v_skipped uuid[];
  v_cancelled uuid[];
  v_notify uuid[];
  -- velocity caps (20261202140000_velocity_caps): the UTC day, the batch's capped currencies,
  -- the candidates checked against them and those that do not fit (with the scope that stopped them)
  v_cap_day date := (p_now at time zone 'UTC')::date;
  v_cap_currencies text[];
  v_cap_checked uuid[];
  v_cap_skipped uuid[];
  v_cap_scopes text[];
begin
  if p_run_id is null then
    raise exception 'p_run_id is required' using errcode = 'PT400';
  end if;
  if p_limit is null or p_limit not between 1 and 1000 then
    raise exception 'p_limit must be between 1 and 1000 (got %)', p_limit using errcode = 'PT400';
  end if;
  if v_lease <= interval '0' then
    raise exception 'p_lease must be positive' using errcode = 'PT400';
  end if;

  v_prev := private.enter_transition('payout_schedule.claim', null);

  -- 1. Due schedules, oldest first; rows another run holds are skipped, not waited for.
  select pg_catalog.array_agg(d.id), pg_catalog.bool_or(d.status = 'processing') into v_ids, v_any_processing
  from (
    select s.id, s.status
    from public.payout_schedules s
    where (s.status = 'pending' and s.next_attempt_at <= p_now)
       or (s.status = 'failed' and s.retry_count < s.max_attempts and s.next_attempt_at <= p_now)
       -- a pending tranche whose claim is free: its holder let go and the lease is over, or
       -- its holder (claimed_by_invocation) is gone, then at once (private.payout_run_invocations)
       or (s.status = 'processing'
           and case when s.claimed_by_invocation is null then s.lease_expires_at <= p_now
                    else not exists (select 1 from private.payout_run_invocations i
                                     where i.id = s.claimed_by_invocation and i.finished_at is null
                                       and i.heartbeat_at > v_stale_before) end
           and exists (select 1 from public.payout_transfers t
                       where t.schedule_id = s.id and t.status = 'pending'))
    order by coalesce(s.next_attempt_at, s.lease_expires_at), s.id
    limit p_limit
    for update of s skip locked
  ) d;

  if v_ids is null then
    perform private.leave_transition(v_prev);
    return;
  end if;

  -- 2. Their payouts, in id order (the global lock order).
  select pg_catalog.array_agg(l.id) into v_payout_ids
  from (
    select po.id from public.payouts po
    where po.id in (select s.payout_id from public.payout_schedules s where s.id = any (v_ids))
    order by po.id
    for update
  ) l;

  -- 3. Expired leases: the same pending tranche goes to this run, unless a gate closed
  --    meanwhile (kill switch, recruiter paused or account lost): then it waits, untouched.
  --    (Only when the batch has such a schedule: eligibility is not computed twice for nothing.)
  if v_any_processing then
  with el as (
    select e.payout_id, e.reason from private.payout_eligibility(p_now, v_payout_ids) e
  ), r as (
    update public.payout_schedules s
       set claimed_by_run = p_run_id, claimed_by_invocation = p_invocation_id, claimed_at = p_now,
           lease_expires_at = p_now + v_lease
      from el
     where s.id = any (v_ids) and s.status = 'processing'
       and el.payout_id = s.payout_id and coalesce(el.reason, 'nothing_payable') = 'nothing_payable'
    returning s.id
  ), t as (
    update public.payout_transfers t
       set claimed_by_run = p_run_id
      from r
     where t.schedule_id = r.id and t.status = 'pending'
    returning t.id
  )
  select pg_catalog.array_agg(r.id) into v_reclaimed from r;
  end if;

  -- 3b. Velocity caps, only when a cap is configured (else one EXISTS on an empty table). Under
  --     the advisory lock of each capped currency of the batch (currency order, after the row
  --     locks above; held to commit), the eligible tranches in due order are checked against the
  --     day's counters: private.payout_cap_overflow says which do not fit. The lock is taken in
  --     its own statement, so every statement below reads the counters as the last holder left them.
  if exists (select 1 from private.payout_caps) then
    select pg_catalog.array_agg(distinct po.currency::text) into v_cap_currencies
    from public.payouts po join private.payout_caps k on k.currency = po.currency
    where po.id = any (v_payout_ids);
    if v_cap_currencies is not null then
      perform private.lock_payout_caps(v_cap_currencies);
      with c as (
        select s.id, s.next_attempt_at as due, el.currency::text as cur, el.recruiter_id, el.payable_amount
        from public.payout_schedules s
        join private.payout_eligibility(p_now, v_payout_ids) el on el.payout_id = s.payout_id
        where s.id = any (v_ids) and s.status in ('pending', 'failed') and el.eligible
          and el.currency = any (v_cap_currencies)
      ), o as (
        select a.ids, a.curs, a.rids, a.amts
        from (select pg_catalog.array_agg(c.id order by c.due, c.id) as ids,
                     pg_catalog.array_agg(c.cur order by c.due, c.id) as curs,
                     pg_catalog.array_agg(c.recruiter_id order by c.due, c.id) as rids,
                     pg_catalog.array_agg(c.payable_amount order by c.due, c.id) as amts
              from c) a
      )
      select o.ids, x.ids, x.scopes into v_cap_checked, v_cap_skipped, v_cap_scopes
      from o cross join lateral (
        select pg_catalog.array_agg(f.id) as ids, pg_catalog.array_agg(f.scope) as scopes
        from private.payout_cap_overflow(v_cap_day, o.ids, o.curs, o.rids, o.amts) f) x;
    end if;
  end if;

  -- 4. Pending/failed schedules: one snapshot of eligibility decides, in one statement,
  --    which get a pending tranche (payable -> in flight) and which are skipped or cancelled.
  --    (Data-modifying CTEs run whether or not the final select reads them: ins, pay.)
  with e as (
    select s.id as sid, s.payout_id as pid, s.placement_id as plid, s.retry_count, s.status as from_status,
           el.currency as cur, el.payable_amount as payable, el.destination_account_id as dest,
           el.invoice_collectible_at,
           -- a tranche of a capped currency only if step 3b checked it and it fits (one that became
           -- eligible since is left untouched, due, for the next claim)
           el.eligible and (v_cap_currencies is null or not (el.currency = any (v_cap_currencies))
                            or (s.id = any (v_cap_checked) and not coalesce(s.id = any (v_cap_skipped), false)))
             as eligible,
           coalesce(el.reason, case when s.id = any (v_cap_skipped) then 'cap_reached' end) as reason,
           po.held_amount, po.in_flight_amount, po.connect_required_notified_at
    from public.payout_schedules s
    join private.payout_eligibility(p_now, v_payout_ids) el on el.payout_id = s.payout_id
    join public.payouts po on po.id = s.payout_id
    where s.id = any (v_ids) and s.status in ('pending', 'failed')
  ), go as (
    select e.*, pg_catalog.gen_random_uuid() as tid from e where e.eligible
  ), ins as (
    insert into public.payout_transfers (
      id, payout_id, placement_id, schedule_id, currency, amount, destination_account_id,
      attempt_number, idempotency_key, status, claimed_by_run)
    select go.tid, go.pid, go.plid, go.sid, go.cur, go.payable, go.dest,
           go.retry_count + 1, 'payout_transfer:' || go.tid::text, 'pending', p_run_id
    from go
    order by go.sid
    returning id
  ), pay as (
    update public.payouts po
       set payable_amount = po.payable_amount - go.payable,
           in_flight_amount = po.in_flight_amount + go.payable
      from go
     where po.id = go.pid
    returning po.id
  ), claimed as (
    update public.payout_schedules s
       set status = 'processing', claimed_by_run = p_run_id, claimed_by_invocation = p_invocation_id,
           claimed_at = p_now, lease_expires_at = p_now + v_lease,
           last_retry_at = case when s.retry_count > 0 then p_now else s.last_retry_at end,
           skip_reason = null, skipped_at = null
      from go
     where s.id = go.sid
    returning s.id
  ), skipped as (
    update public.payout_schedules s
       set skip_reason = e.reason,
           skipped_at = p_now,
           -- nothing left that this schedule could ever pay: it is done
           status = case when e.reason = 'nothing_payable' and e.held_amount = 0 and e.in_flight_amount = 0
                         then 'cancelled' else s.status end,
           cancelled_at = case when e.reason = 'nothing_payable' and e.held_amount = 0 and e.in_flight_amount = 0
                               then p_now end,
           cancel_reason = case when e.reason = 'nothing_payable' and e.held_amount = 0 and e.in_flight_amount = 0
                                then 'nothing payable' end,
           next_attempt_at = case
             when e.reason = 'nothing_payable' and e.held_amount = 0 and e.in_flight_amount = 0 then null
             -- over a velocity cap: the next payout due time after this UTC day
             when e.reason = 'cap_reached'
               then private.next_due_at((v_cap_day + 1)::timestamp at time zone 'UTC', v_settings.payout_due_time)
             else private.next_due_at(
                    greatest(p_now + interval '1 second',
                             case when e.reason = 'invoice_not_collectible' then e.invoice_collectible_at end),
                    v_settings.payout_due_time)
           end
      from e
     where s.id = e.sid and e.reason is not null
    returning s.id, s.status
  ), notify as (
    update public.payouts po
       set connect_required_notified_at = p_now
      from e
     where po.id = e.pid
       and e.reason in ('recruiter_cannot_receive_transfers', 'recruiter_paused')
       and e.connect_required_notified_at is null
    returning po.id
  )
  select (select pg_catalog.array_agg(claimed.id) from claimed),
         (select pg_catalog.array_agg(skipped.id) filter (where skipped.status <> 'cancelled') from skipped),
         (select pg_catalog.array_agg(skipped.id) filter (where skipped.status = 'cancelled') from skipped),
         (select pg_catalog.array_agg(notify.id) from notify)
    into v_claimed, v_skipped, v_cancelled, v_notify;

  -- 4b. Velocity caps: the claimed tranches count toward the day, skipped ones close their scope.
  if v_cap_currencies is not null then
    perform private.record_payout_cap_usage(v_cap_day, p_now, v_claimed, v_cap_currencies, v_cap_skipped, v_cap_scopes);
  end if;

  -- 5. Outbox: one set-based insert for the whole batch (what private.emit_event writes, in the
  --    order the events were emitted one by one before: by kind, then entity id).
  insert into public.payout_events (
    event_type, entity_type, entity_id, placement_id, payout_id, payload, actor_id, actor_role)
  select ev.event_type, ev.entity_type, ev.entity_id, ev.placement_id, ev.payout_id, ev.payload,
         v_actor_id, v_actor_role
  from (
    select 1 as k, 'payout_schedule.processing' as event_type, 'payout_schedule' as entity_type, s.id as entity_id,
           s.placement_id, s.payout_id,
           pg_catalog.jsonb_build_object('to_status', s.status, 'claimed_by_run', s.claimed_by_run,
             'lease_expires_at', s.lease_expires_at, 'attempt_number', s.retry_count + 1) as payload
    from public.payout_schedules s where s.id = any (v_claimed)
    union all
    select 2, 'payout_transfer.created', 'payout_transfer', t.id, t.placement_id, t.payout_id,
           pg_catalog.jsonb_build_object('to_status', t.status, 'amount', t.amount, 'currency', t.currency,
             'destination_account_id', t.destination_account_id, 'idempotency_key', t.idempotency_key,
             'attempt_number', t.attempt_number, 'schedule_id', t.schedule_id)
    from public.payout_transfers t where t.schedule_id = any (v_claimed) and t.status = 'pending'
    union all
    select 3, 'payout_schedule.reclaimed', 'payout_schedule', s.id, s.placement_id, s.payout_id,
           pg_catalog.jsonb_build_object('claimed_by_run', s.claimed_by_run, 'lease_expires_at', s.lease_expires_at)
    from public.payout_schedules s where s.id = any (v_reclaimed)
    union all
    select 4, 'payout_schedule.cancelled', 'payout_schedule', s.id, s.placement_id, s.payout_id,
           pg_catalog.jsonb_build_object('to_status', s.status, 'reason', s.cancel_reason)
    from public.payout_schedules s where s.id = any (v_cancelled)
    union all
    select 5, 'payout.connect_required', 'payout', po.id, po.placement_id, po.id,
           pg_catalog.jsonb_build_object('recruiter_id', po.recruiter_id, 'reason', s.skip_reason,
             'payable_amount', po.payable_amount, 'currency', po.currency)
    from public.payouts po
    join public.payout_schedules s on s.payout_id = po.id and s.id = any (v_ids)
    where po.id = any (v_notify)
  ) ev
  order by ev.k, ev.entity_id;

  perform private.leave_transition(v_prev);

  return query
  select s.id, s.payout_id,
         case when s.id = any (v_reclaimed) then 'reclaimed' else 'claimed' end,
         t.id, t.amount, t.currency, t.destination_account_id, t.idempotency_key, t.attempt_number, null::text
  from public.payout_schedules s
  join public.payout_transfers t on t.schedule_id = s.id and t.status = 'pending'
  where s.id = any (v_claimed) or s.id = any (v_reclaimed)
  union all
  select s.id, s.payout_id, case when s.status = 'cancelled' then 'cancelled' else 'skipped' end,
         null, null, null, null, null, null, s.skip_reason
  from public.payout_schedules s
  where s.id = any (v_skipped) or s.id = any (v_cancelled)
  order by 1;
end
$$;
comment on function private.claim_due_payout_schedules(uuid, integer, interval, timestamptz, uuid) is
  'Payout run, step 1: claims up to p_limit due schedules (FOR UPDATE SKIP LOCKED, lease p_lease, default from settings). Eligible ones get a pending tranche of the payout''s whole payable amount (payable -> in flight; idempotency key stored before any Stripe call) and go processing; ineligible ones record skip_reason and are deferred (one payout.connect_required event per payout); a free claim (holder let go and lease over, or holder gone: no heartbeat for settings.invocation_stale_after) hands the same pending tranche to this run. p_invocation_id: the holding invocation (claimed_by_invocation). Velocity caps (private.payout_caps): under the currency''s advisory lock, whole tranches in due order while the next one fits the UTC day''s recruiter and platform caps; the rest is skipped with cap_reached until the next day.';

-- Locks schedule -> transfer -> payout (the global order) and returns the locked transfer.
create function private.lock_payout_transfer(p_transfer_id uuid)
returns public.payout_transfers
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_schedule_id uuid;
  v_row public.payout_transfers;
begin
  select t.schedule_id into v_schedule_id from public.payout_transfers t where t.id = p_transfer_id;
  if not found then
    raise exception 'payout transfer % not found', p_transfer_id using errcode = 'PT404';
  end if;
  perform 1 from public.payout_schedules s where s.id = v_schedule_id for update;
  select * into v_row from public.payout_transfers t where t.id = p_transfer_id for update;
  perform 1 from public.payouts po where po.id = v_row.payout_id for update;
  return v_row;
end
$$;
comment on function private.lock_payout_transfer(uuid) is
  'Internal: locks a tranche with its schedule and payout in the global lock order (PT404 if unknown).';

-- Completion is set-based: the payout run records the transfers Stripe made in batches (one
-- transaction for many tranches). Every tranche pending|unknown -> succeeded in one statement
-- per table: tranches, their payouts (in flight -> paid AND the derived status in ONE update, so
-- one audit row per payout instead of two), their schedules (processing -> processed), and the
-- outbox events (payout_transfer.succeeded, payout_schedule.processed, payout.<status> when the
-- status changed). All or nothing: one bad element fails the call. complete_payout_transfer is
-- one element of it (same errors).
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
    raise exception 'a Stripe transfer id is required: "tr_" then letters and digits only (A-Z, a-z, 0-9), got %',
      coalesce('"' || v_bad.sid || '"', 'nothing (null)') using errcode = 'PT400';
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

create function private.complete_payout_transfer(
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

create function private.fail_payout_transfer(
  p_transfer_id uuid, p_reason text, p_now timestamptz default pg_catalog.now())
returns public.payout_transfers
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row public.payout_transfers;
  v_from text;
  v_prev jsonb;
  v_failed boolean;
  v_schedule public.payout_schedules;
begin
  v_row := private.lock_payout_transfer(p_transfer_id);
  if v_row.status = 'failed' then
    return v_row;
  end if;
  perform private.assert_transition('payout_transfer', v_row.id, v_row.status, 'failed');
  if pg_catalog.btrim(coalesce(p_reason, '')) = '' then
    raise exception 'p_reason is required (why the transfer failed)' using errcode = 'PT400';
  end if;
  select pl.status = 'failed' into v_failed from public.placements pl where pl.id = v_row.placement_id;

  v_from := v_row.status;
  v_prev := private.enter_transition('payout_transfer.fail', p_reason);
  update public.payout_transfers
     set status = 'failed', failure_reason = p_reason, failed_at = p_now
   where id = v_row.id
  returning * into v_row;
  -- the money did not move: payable again (a tranche that never succeeded was never paid),
  -- or forfeited when the placement failed meanwhile
  update public.payouts
     set in_flight_amount = in_flight_amount - v_row.amount,
         payable_amount = payable_amount + case when v_failed then 0 else v_row.amount end,
         forfeited_amount = forfeited_amount + case when v_failed then v_row.amount else 0 end
   where id = v_row.payout_id;
  -- velocity caps (20261202140000): the day it was claimed gets its amount back
  perform private.release_payout_cap_charge(v_row.id, p_now);
  -- the schedule: failed, retried after backoff until max_attempts failures (then exhausted)
  update public.payout_schedules
     set status = 'failed',
         retry_count = retry_count + 1,
         failure_reason = p_reason,
         lease_expires_at = null,
         next_attempt_at = case when retry_count + 1 < max_attempts
                                then p_now + private.retry_delay(retry_count + 1) end
   where id = v_row.schedule_id and status = 'processing'
  returning * into v_schedule;

  perform private.emit_event('payout_transfer.failed', 'payout_transfer', v_row.id, v_row.placement_id,
    v_row.payout_id,
    pg_catalog.jsonb_build_object('from_status', v_from, 'to_status', v_row.status, 'amount', v_row.amount,
      'currency', v_row.currency, 'reason', p_reason));
  if v_schedule.id is not null then
    perform private.emit_event('payout_schedule.failed', 'payout_schedule', v_schedule.id, v_schedule.placement_id,
      v_schedule.payout_id,
      pg_catalog.jsonb_build_object('from_status', 'processing', 'to_status', v_schedule.status,
        'retry_count', v_schedule.retry_count, 'max_attempts', v_schedule.max_attempts,
        'next_attempt_at', v_schedule.next_attempt_at, 'exhausted', v_schedule.is_exhausted, 'reason', p_reason));
  end if;
  perform private.emit_event('payout.failed', 'payout', v_row.payout_id, v_row.placement_id, v_row.payout_id,
    pg_catalog.jsonb_build_object('transfer_id', v_row.id, 'amount', v_row.amount, 'currency', v_row.currency,
      'retry_count', v_schedule.retry_count, 'exhausted', coalesce(v_schedule.is_exhausted, false),
      'next_attempt_at', v_schedule.next_attempt_at, 'reason', p_reason));
  perform private.sync_payout_status(array[v_row.payout_id], p_reason, p_now);

  perform private.leave_transition(v_prev);
  return v_row;
end
$$;
comment on function private.fail_payout_transfer(uuid, text, timestamptz) is
  'Payout run, failure: tranche pending|unknown -> failed, in flight -> payable (forfeited if the placement failed; its velocity cap charge given back), schedule processing -> failed with retry_count + 1 and next_attempt_at = p_now + least(base * 2^(retry_count-1), max) until max_attempts failures, then exhausted (next_attempt_at null) until an admin triggers it. Already failed = no-op; PT404/PT400/PT409.';

create function private.mark_payout_transfer_unknown(
  p_transfer_id uuid, p_reason text, p_now timestamptz default pg_catalog.now())
returns public.payout_transfers
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row public.payout_transfers;
  v_prev jsonb;
begin
  v_row := private.lock_payout_transfer(p_transfer_id);
  if v_row.status = 'unknown' then
    return v_row;
  end if;
  perform private.assert_transition('payout_transfer', v_row.id, v_row.status, 'unknown');
  if pg_catalog.btrim(coalesce(p_reason, '')) = '' then
    raise exception 'p_reason is required' using errcode = 'PT400';
  end if;

  v_prev := private.enter_transition('payout_transfer.unknown', p_reason);
  update public.payout_transfers
     set status = 'unknown', unknown_at = p_now, failure_reason = p_reason
   where id = v_row.id
  returning * into v_row;
  perform private.emit_event('payout_transfer.unknown', 'payout_transfer', v_row.id, v_row.placement_id,
    v_row.payout_id,
    pg_catalog.jsonb_build_object('from_status', 'pending', 'to_status', v_row.status, 'amount', v_row.amount,
      'currency', v_row.currency, 'idempotency_key', v_row.idempotency_key, 'reason', p_reason));
  perform private.leave_transition(v_prev);
  return v_row;
end
$$;
comment on function private.mark_payout_transfer_unknown(uuid, text, timestamptz) is
  'Payout run, outcome unknown (timeout, 5xx): tranche pending -> unknown. The money stays in flight and the schedule processing until complete_/fail_payout_transfer reconciles it; an unknown tranche is never re-handed by a claim. Same status = no-op; PT404/PT400/PT409.';

-- Escrow release at scale: p_limit due holds per call (null = all of them), oldest release date
-- first (escrow_holds_due_idx: an index range scan that stops after p_limit rows, not a sort of
-- every due hold). The escrow run (run_escrow_releases, 20261129090200) calls it in batches,
-- each its own short transaction, so 100 000 due holds never become one transaction that holds
-- the locks of 100 000 payouts while the payout run waits for them (docs/payout-runs.md,
-- "Escrow releases in batches").
create function private.release_due_escrow_holds(
  p_now timestamptz default pg_catalog.now(), p_limit integer default null)
returns setof public.escrow_holds
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_settings private.payout_settings := private.settings();
  -- the latest release date whose release time (UTC) is <= p_now
  v_last_due_date date := ((p_now at time zone 'UTC') - v_settings.escrow_release_time)::date;
  v_ids uuid[];
  v_prev jsonb;
begin
  if p_limit is not null and p_limit not between 1 and 100000 then
    raise exception 'p_limit must be between 1 and 100000, or null for all (got %)', p_limit using errcode = 'PT400';
  end if;
  v_prev := private.enter_transition('escrow_hold.auto_release', null);
  select pg_catalog.array_agg(d.id order by d.id) into v_ids
  from (
    select h.id
    from public.escrow_holds h
    join public.placements pl on pl.id = h.placement_id
    where h.status = 'active'
      and h.release_scheduled_date <= v_last_due_date
      and pl.status <> 'failed'
    order by h.release_scheduled_date, h.id
    limit p_limit
    for update of h skip locked
  ) d;

  if v_ids is not null then
    return query
    select h.* from private.release_holds(v_ids, 'escrow_hold.auto_released', 'release date reached', p_now) h;
  end if;
  perform private.leave_transition(v_prev);
end
$$;
comment on function private.release_due_escrow_holds(timestamptz, integer) is
  'Scheduled job: releases, set-based, the active holds whose release_scheduled_date at the escrow release time (UTC) is <= p_now (held -> payable, escrow_hold.auto_released) and gives each affected payout a schedule (trigger escrow_hold.released). At most p_limit holds per call, oldest release date first (null: all; the escrow run calls it in batches); locked holds are left to the next call. PT400 for a limit outside 1..100000.';

revoke execute on function
  private.claim_due_payout_schedules(uuid, integer, interval, timestamptz, uuid),
  private.lock_payout_transfer(uuid),
  private.complete_payout_transfers(uuid[], text[], timestamptz),
  private.complete_payout_transfer(uuid, text, timestamptz),
  private.fail_payout_transfer(uuid, text, timestamptz),
  private.mark_payout_transfer_unknown(uuid, text, timestamptz),
  private.release_due_escrow_holds(timestamptz, integer)
from public, anon, authenticated, service_role;

grant execute on function private.claim_due_payout_schedules(uuid, integer, interval, timestamptz, uuid) to payout_jobs;
grant execute on function private.complete_payout_transfers(uuid[], text[], timestamptz) to payout_jobs;
grant execute on function private.complete_payout_transfer(uuid, text, timestamptz) to payout_jobs;
grant execute on function private.fail_payout_transfer(uuid, text, timestamptz) to payout_jobs;
grant execute on function private.mark_payout_transfer_unknown(uuid, text, timestamptz) to payout_jobs;
grant execute on function private.release_due_escrow_holds(timestamptz, integer) to payout_jobs;
