-- Payout run, part 3: the SQL the payout-run Edge Functions call, granted to payout_runner.
-- All security definer (they write the run's private tables and call the money model's job
-- functions), search_path '', time passed in as p_now so tests and replays control it.
--
--   begin_payout_invocation(invocation, kind, trigger, now)   joins the running run of that kind
--                                                             or starts one; closes stale
--                                                             invocations ('abandoned')
--   heartbeat_payout_invocation(invocation, now)              liveness; says whether payouts are paused
--   claim_payout_reconciliations(invocation, limit, lease, now)
--                                                             in-flight tranches (pending or
--                                                             unknown) whose lease expired: leased
--                                                             to this run for reconciliation
--   claim_payout_batch(invocation, limit, lease, now)         nets open clawbacks, then
--                                                             private.claim_due_payout_schedules +
--                                                             what the Stripe request needs
--   prepare_payout_transfer_requests(invocation, requests, now)
--                                                             stores each tranche's Stripe request
--                                                             before the first call (first one wins)
--   record_payout_transfers_paid(invocation, tranches[], tr_ids[], adopted[], now)
--                                                             complete a batch (set-based:
--                                                             complete_payout_transfers) + count
--   record_payout_transfer_paid(invocation, tranche, tr_id, adopted, now)   one of them
--   record_payout_transfer_failed(invocation, tranche, reason, code, now)   fail + count (+ the
--                                                             destination cannot receive transfers:
--                                                             capability mirror, payout.connect_required)
--   record_payout_transfer_unknown(invocation, tranche, reason, settle, now)
--                                                             unknown; the lease becomes the settle delay
--   defer_payout_transfer(invocation, tranche, delay, reason, now)
--                                                             leave the tranche pending, look again later
--   record_payout_run_error(invocation, error, now)
--   finish_payout_invocation(invocation, outcome, now)        closes the invocation, and the run when
--                                                             nothing is left and nobody else works on it
--   run_escrow_releases(invocation, now, limit)               one batch of private.release_due_escrow_holds
--                                                             + count (the function calls it in a loop)
--
-- The decisions (when to call Stripe, when to adopt, when to fail) are made by the Edge Function
-- (supabase/functions/_shared/payout_run/); docs/payout-runs.md has the exactly-once argument.
-- The money model's claim -> complete path stays callable on its own (benchmarks).
--
-- Two calls reach into the Stripe sync, defined by its later migrations (plpgsql resolves names
-- when it runs, so the order of the files does not matter): claim_payout_batch first nets what
-- recruiters owe from reversals (private.apply_clawback_offsets, 20261130090700), and the claims
-- pass the charge recorded from invoice.paid as the transfers' source_transaction
-- (private.placement_source_transaction, 20261130090200; null = the run asks Stripe).

-- Fail fast rather than queue behind (and in front of) live traffic; the CLI runs each
-- migration file in one transaction, so these last for this file only.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- ---------------------------------------------------------------------------------------------
-- Internal: counters of an invocation
-- ---------------------------------------------------------------------------------------------
-- p_counts: {"claimed": 1, "paid": 2, ..., "skip_reasons": {"recruiter_paused": 1},
--            "error": {"code": "...", "message": "...", "transfer_id": "..."}}
create function private.count_payout_invocation(p_invocation_id uuid, p_counts jsonb, p_now timestamptz)
returns private.payout_run_invocations
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row private.payout_run_invocations;
  v_n jsonb := coalesce(p_counts, '{}'::jsonb);
  v_error jsonb := case when pg_catalog.jsonb_typeof(v_n -> 'error') = 'object'
                        then (v_n -> 'error') || pg_catalog.jsonb_build_object('at', p_now) end;
begin
  update private.payout_run_invocations i
     set heartbeat_at = greatest(i.heartbeat_at, p_now),
         claimed = i.claimed + coalesce((v_n ->> 'claimed')::bigint, 0),
         reclaimed = i.reclaimed + coalesce((v_n ->> 'reclaimed')::bigint, 0),
         reconciled = i.reconciled + coalesce((v_n ->> 'reconciled')::bigint, 0),
         paid = i.paid + coalesce((v_n ->> 'paid')::bigint, 0),
         adopted = i.adopted + coalesce((v_n ->> 'adopted')::bigint, 0),
         failed = i.failed + coalesce((v_n ->> 'failed')::bigint, 0),
         unknown = i.unknown + coalesce((v_n ->> 'unknown')::bigint, 0),
         deferred = i.deferred + coalesce((v_n ->> 'deferred')::bigint, 0),
         skipped = i.skipped + coalesce((v_n ->> 'skipped')::bigint, 0),
         cancelled = i.cancelled + coalesce((v_n ->> 'cancelled')::bigint, 0),
         released = i.released + coalesce((v_n ->> 'released')::bigint, 0),
         error_count = i.error_count + case when v_error is null then 0 else 1 end,
         skip_reasons = case
           when pg_catalog.jsonb_typeof(v_n -> 'skip_reasons') = 'object' then (
             select coalesce(pg_catalog.jsonb_object_agg(u.k, u.total), '{}'::jsonb)
             from (
               select e.k, sum(e.v)::bigint as total
               from (select x.key as k, x.value::bigint as v from pg_catalog.jsonb_each_text(i.skip_reasons) x
                     union all
                     select y.key, y.value::bigint from pg_catalog.jsonb_each_text(v_n -> 'skip_reasons') y) e
               group by e.k
             ) u)
           else i.skip_reasons end,
         errors = case
           when v_error is null then i.errors
           else (select pg_catalog.jsonb_agg(t.e order by t.n)
                 from (select a.e, a.n from pg_catalog.jsonb_array_elements(i.errors || pg_catalog.jsonb_build_array(v_error))
                                            with ordinality as a(e, n)
                       order by a.n desc limit 20) t)
           end
   where i.id = p_invocation_id
  returning * into v_row;
  if not found then
    raise exception 'payout run invocation % not found', p_invocation_id using errcode = 'PT404';
  end if;
  return v_row;
end
$$;
comment on function private.count_payout_invocation(uuid, jsonb, timestamptz) is
  'Internal: adds p_counts ({claimed, reclaimed, reconciled, paid, adopted, failed, unknown, deferred, skipped, cancelled, released, skip_reasons: {reason: n}, error: {code, message, ...}}) to an invocation and touches its heartbeat (PT404 unknown invocation).';

-- Internal: run totals = sums over its invocations.
create function private.sync_payout_run(p_run_id uuid, p_now timestamptz)
returns private.payout_runs
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row private.payout_runs;
begin
  update private.payout_runs r
     set invocations = a.invocations,
         last_invocation_at = greatest(r.last_invocation_at, coalesce(a.last_started, r.last_invocation_at)),
         claimed = a.claimed, reclaimed = a.reclaimed, reconciled = a.reconciled, paid = a.paid,
         adopted = a.adopted, failed = a.failed, unknown = a.unknown, deferred = a.deferred,
         skipped = a.skipped, cancelled = a.cancelled, released = a.released, error_count = a.error_count,
         skip_reasons = (
           select coalesce(pg_catalog.jsonb_object_agg(s.k, s.total), '{}'::jsonb)
           from (select x.key as k, sum(x.value::bigint)::bigint as total
                 from private.payout_run_invocations i2
                 cross join lateral pg_catalog.jsonb_each_text(i2.skip_reasons) x
                 where i2.run_id = p_run_id
                 group by x.key) s),
         errors = (
           select coalesce(pg_catalog.jsonb_agg(t.e order by t.at), '[]'::jsonb)
           from (select e.e, (e.e ->> 'at')::timestamptz as at
                 from private.payout_run_invocations i3
                 cross join lateral pg_catalog.jsonb_array_elements(i3.errors) e(e)
                 where i3.run_id = p_run_id
                 order by 2 desc limit 20) t)
    from (select pg_catalog.count(*) as invocations, max(i.started_at) as last_started,
                 coalesce(sum(i.claimed), 0) as claimed, coalesce(sum(i.reclaimed), 0) as reclaimed,
                 coalesce(sum(i.reconciled), 0) as reconciled, coalesce(sum(i.paid), 0) as paid,
                 coalesce(sum(i.adopted), 0) as adopted, coalesce(sum(i.failed), 0) as failed,
                 coalesce(sum(i.unknown), 0) as unknown, coalesce(sum(i.deferred), 0) as deferred,
                 coalesce(sum(i.skipped), 0) as skipped, coalesce(sum(i.cancelled), 0) as cancelled,
                 coalesce(sum(i.released), 0) as released, coalesce(sum(i.error_count), 0) as error_count
          from private.payout_run_invocations i where i.run_id = p_run_id) a
   where r.id = p_run_id
  returning r.* into v_row;
  return v_row;
end
$$;
comment on function private.sync_payout_run(uuid, timestamptz) is
  'Internal: recomputes a run''s totals (invocations, counters, skip reasons, last 20 errors) from its invocations.';

-- Internal: an invocation of the run, for the functions below (PT404 unknown).
create function private.payout_invocation(p_invocation_id uuid)
returns private.payout_run_invocations
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_row private.payout_run_invocations;
begin
  select * into v_row from private.payout_run_invocations i where i.id = p_invocation_id;
  if not found then
    raise exception 'payout run invocation % not found', p_invocation_id using errcode = 'PT404';
  end if;
  return v_row;
end
$$;
comment on function private.payout_invocation(uuid) is 'Internal: the invocation row (PT404 when unknown).';

-- ---------------------------------------------------------------------------------------------
-- Invocations and runs
-- ---------------------------------------------------------------------------------------------
create function private.begin_payout_invocation(
  p_invocation_id uuid,
  p_kind text,
  p_trigger text default 'manual',
  p_now timestamptz default pg_catalog.now(),
  p_stale_after interval default null)
returns table (run_id uuid, invocation_id uuid, run_started_at timestamptz, resumed boolean, payouts_paused boolean)
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_run private.payout_runs;
  v_resumed boolean := true;
begin
  if p_invocation_id is null then
    raise exception 'p_invocation_id is required' using errcode = 'PT400';
  end if;
  if p_kind is null or p_kind not in ('payout_schedules', 'escrow_releases') then
    raise exception 'p_kind must be payout_schedules or escrow_releases (got %)', p_kind using errcode = 'PT400';
  end if;
  if p_trigger is null or p_trigger not in ('doorbell', 'admin', 'manual') then
    raise exception 'p_trigger must be doorbell, admin or manual (got %)', p_trigger using errcode = 'PT400';
  end if;
  p_stale_after := coalesce(p_stale_after, (private.settings()).invocation_stale_after);
  if p_stale_after <= interval '0' then
    raise exception 'p_stale_after must be positive' using errcode = 'PT400';
  end if;

  -- the same invocation again (a retried call): its run, unchanged
  if exists (select 1 from private.payout_run_invocations i where i.id = p_invocation_id) then
    return query
    select r.id, i.id, r.started_at, true, (private.settings()).payouts_paused
    from private.payout_run_invocations i join private.payout_runs r on r.id = i.run_id
    where i.id = p_invocation_id;
    return;
  end if;

  select * into v_run from private.payout_runs r where r.kind = p_kind and r.status = 'running' for update;
  if not found then
    insert into private.payout_runs (kind, trigger, started_at, last_invocation_at)
    values (p_kind, p_trigger, p_now, p_now)
    on conflict (kind) where status = 'running' do nothing
    returning * into v_run;
    if v_run.id is null then
      -- a concurrent invocation started it first: join it
      select * into v_run from private.payout_runs r where r.kind = p_kind and r.status = 'running' for update;
    else
      v_resumed := false;
    end if;
  end if;

  -- invocations of this run that stopped beating are gone (killed, or stopped by the platform)
  update private.payout_run_invocations i
     set finished_at = p_now, outcome = 'abandoned'
   where i.run_id = v_run.id and i.finished_at is null and i.heartbeat_at < p_now - p_stale_after;

  insert into private.payout_run_invocations (id, run_id, kind, trigger, started_at, heartbeat_at)
  values (p_invocation_id, v_run.id, p_kind, p_trigger, p_now, p_now);
  perform private.sync_payout_run(v_run.id, p_now);

  return query select v_run.id, p_invocation_id, v_run.started_at, v_resumed, (private.settings()).payouts_paused;
end
$$;
comment on function private.begin_payout_invocation(uuid, text, text, timestamptz, interval) is
  'Payout run: registers an Edge Function invocation (id chosen by the function) in the running run of p_kind (payout_schedules | escrow_releases), starting a run when none is running; invocations of that run without a heartbeat for p_stale_after (default settings.invocation_stale_after) are closed as abandoned. Idempotent per invocation id. Returns the run id, whether it was resumed, and the platform kill switch. PT400.';

create function private.heartbeat_payout_invocation(p_invocation_id uuid, p_now timestamptz default pg_catalog.now())
returns table (alive boolean, payouts_paused boolean)
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_row private.payout_run_invocations;
begin
  update private.payout_run_invocations i
     set heartbeat_at = greatest(i.heartbeat_at, p_now)
   where i.id = p_invocation_id and i.finished_at is null
  returning * into v_row;
  if not found then
    perform private.payout_invocation(p_invocation_id);  -- PT404 when unknown
  end if;
  return query select v_row.id is not null, (private.settings()).payouts_paused;
end
$$;
comment on function private.heartbeat_payout_invocation(uuid, timestamptz) is
  'Payout run: the invocation is alive (heartbeat). Returns alive = false when it was already closed (e.g. as abandoned by a later invocation: stop), and the platform kill switch. PT404 unknown invocation.';

create function private.finish_payout_invocation(
  p_invocation_id uuid,
  p_outcome text,
  p_now timestamptz default pg_catalog.now(),
  p_stale_after interval default null)
returns private.payout_runs
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_inv private.payout_run_invocations;
  v_run private.payout_runs;
begin
  if p_outcome is null or p_outcome not in ('done', 'budget', 'paused', 'stopped', 'error') then
    raise exception 'p_outcome must be done, budget, paused, stopped or error (got %)', p_outcome using errcode = 'PT400';
  end if;
  v_inv := private.payout_invocation(p_invocation_id);
  p_stale_after := coalesce(p_stale_after, (private.settings()).invocation_stale_after);
  -- the run first (lock order: run -> invocations), so two finishing invocations see each other
  select * into v_run from private.payout_runs r where r.id = v_inv.run_id for update;

  update private.payout_run_invocations i
     set finished_at = p_now, outcome = p_outcome, heartbeat_at = greatest(i.heartbeat_at, p_now)
   where i.id = p_invocation_id and i.finished_at is null;
  update private.payout_run_invocations i
     set finished_at = p_now, outcome = 'abandoned'
   where i.run_id = v_run.id and i.finished_at is null and i.heartbeat_at < p_now - p_stale_after;

  -- The run is finished when this invocation found nothing left (or payouts are paused) and no
  -- other invocation still works on it; otherwise the last one (or the next doorbell) closes it.
  if v_run.status = 'running' and p_outcome in ('done', 'paused')
     and not exists (select 1 from private.payout_run_invocations i
                     where i.run_id = v_run.id and i.finished_at is null) then
    update private.payout_runs r
       set status = 'finished', finished_at = p_now, finish_reason = p_outcome
     where r.id = v_run.id;
  end if;
  return private.sync_payout_run(v_run.id, p_now);
end
$$;
comment on function private.finish_payout_invocation(uuid, text, timestamptz, interval) is
  'Payout run: closes an invocation with its outcome (done, budget, paused, stopped, error). The run is finished when the outcome is done/paused and no other invocation of it is still open (stale ones are closed as abandoned); an unfinished run is continued by the next doorbell. Returns the run with its totals. PT400/PT404.';

create function private.record_payout_run_error(
  p_invocation_id uuid, p_error jsonb, p_now timestamptz default pg_catalog.now())
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  if p_error is null or pg_catalog.jsonb_typeof(p_error) <> 'object' then
    raise exception 'p_error must be a JSON object' using errcode = 'PT400';
  end if;
  perform private.count_payout_invocation(p_invocation_id,
    pg_catalog.jsonb_build_object('error',
      pg_catalog.jsonb_build_object(
        'code', pg_catalog.left(coalesce(p_error ->> 'code', 'error'), 100),
        'message', pg_catalog.left(coalesce(p_error ->> 'message', ''), 1000))
      || pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('transfer_id', p_error -> 'transfer_id',
                                                                    'payout_id', p_error -> 'payout_id'))),
    p_now);
end
$$;
comment on function private.record_payout_run_error(uuid, jsonb, timestamptz) is
  'Payout run: records an error ({code, message, transfer_id?, payout_id?}; the last 20 are kept per invocation and run). PT400/PT404.';

-- ---------------------------------------------------------------------------------------------
-- Claiming
-- ---------------------------------------------------------------------------------------------
create function private.claim_payout_batch(
  p_invocation_id uuid,
  p_limit integer default 25,
  p_lease interval default null,
  p_now timestamptz default pg_catalog.now())
returns table (
  outcome text,
  schedule_id uuid,
  payout_id uuid,
  placement_id uuid,
  transfer_id uuid,
  amount bigint,
  currency text,
  destination_account_id text,
  idempotency_key text,
  attempt_number integer,
  skip_reason text,
  transfer_group text,
  stripe_invoice_id text,
  stripe_payment_intent_id text,
  source_charge_id text,
  transfer_created_at timestamptz,
  request_params jsonb,
  request_prepared_at timestamptz)
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_inv private.payout_run_invocations := private.payout_invocation(p_invocation_id);
  v_claims jsonb;
begin
  -- What a recruiter owes from a partial reversal is netted from their payable money first
  -- (docs/stripe-sync.md), so the claim below only transfers what is left.
  perform private.apply_clawback_offsets(p_now);

  select coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(c)), '[]'::jsonb) into v_claims
  from private.claim_due_payout_schedules(v_inv.run_id, p_limit, p_lease, p_now, p_invocation_id) c;

  perform private.count_payout_invocation(p_invocation_id, (
    select pg_catalog.jsonb_build_object(
      'claimed', pg_catalog.count(*) filter (where x ->> 'outcome' = 'claimed'),
      'reclaimed', pg_catalog.count(*) filter (where x ->> 'outcome' = 'reclaimed'),
      'skipped', pg_catalog.count(*) filter (where x ->> 'outcome' = 'skipped'),
      'cancelled', pg_catalog.count(*) filter (where x ->> 'outcome' = 'cancelled'),
      'skip_reasons', coalesce((
        select pg_catalog.jsonb_object_agg(s.reason, s.n)
        from (select y ->> 'skip_reason' as reason, pg_catalog.count(*) as n
              from pg_catalog.jsonb_array_elements(v_claims) y
              where y ->> 'outcome' = 'skipped'
              group by 1) s), '{}'::jsonb))
    from pg_catalog.jsonb_array_elements(v_claims) x), p_now);

  return query
  select c.outcome, c.schedule_id, c.payout_id, s.placement_id, c.transfer_id, c.amount, c.currency,
         c.destination_account_id, c.idempotency_key, c.attempt_number, c.skip_reason,
         'placement_' || s.placement_id::text, i.stripe_invoice_id, i.stripe_payment_intent_id,
         private.placement_source_transaction(s.placement_id), t.created_at, q.params, q.prepared_at
  from pg_catalog.jsonb_to_recordset(v_claims) as c(
         schedule_id uuid, payout_id uuid, outcome text, transfer_id uuid, amount bigint, currency text,
         destination_account_id text, idempotency_key text, attempt_number integer, skip_reason text)
  join public.payout_schedules s on s.id = c.schedule_id
  left join public.payout_transfers t on t.id = c.transfer_id
  left join public.placement_invoices i on i.placement_id = s.placement_id
  left join private.payout_transfer_requests q on q.transfer_id = c.transfer_id
  order by c.schedule_id;
end
$$;
comment on function private.claim_payout_batch(uuid, integer, interval, timestamptz) is
  'Payout run: nets open clawbacks (private.apply_clawback_offsets), then private.claim_due_payout_schedules for the invocation''s run (claimed / reclaimed / skipped / cancelled; tranche and idempotency key committed with the claim), counted on the invocation, with what the Stripe request needs: transfer_group (placement_<id>), the invoice''s Stripe ids and the charge when known (private.placement_source_transaction; for source_transaction), and the stored request of a reclaimed tranche. PT400/PT404.';

create function private.claim_payout_reconciliations(
  p_invocation_id uuid,
  p_limit integer default 25,
  p_lease interval default null,
  p_now timestamptz default pg_catalog.now())
returns table (
  transfer_id uuid,
  transfer_status text,
  schedule_id uuid,
  schedule_status text,
  payout_id uuid,
  placement_id uuid,
  amount bigint,
  currency text,
  destination_account_id text,
  idempotency_key text,
  attempt_number integer,
  transfer_group text,
  gate_reason text,
  stripe_invoice_id text,
  stripe_payment_intent_id text,
  source_charge_id text,
  transfer_created_at timestamptz,
  request_params jsonb,
  request_prepared_at timestamptz)
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_inv private.payout_run_invocations := private.payout_invocation(p_invocation_id);
  v_lease interval := coalesce(p_lease, (private.settings()).claim_lease);
  v_stale_before timestamptz := p_now - (private.settings()).invocation_stale_after;
  v_ids uuid[];
  v_payout_ids uuid[];
  v_prev jsonb;
begin
  if p_limit is null or p_limit not between 1 and 1000 then
    raise exception 'p_limit must be between 1 and 1000 (got %)', p_limit using errcode = 'PT400';
  end if;
  if v_lease <= interval '0' then
    raise exception 'p_lease must be positive' using errcode = 'PT400';
  end if;

  -- Schedules with a tranche in flight (pending or unknown) whose claim is free: the invocation
  -- holding it is gone (no heartbeat for settings.invocation_stale_after, or finished: at once,
  -- whatever the lease), or it let go (gave it back, or unknown) and the lease / settle delay is
  -- over. A live holder keeps its claim however long its tranche waits. Driven from the in-flight
  -- tranches (few; partial unique index), rows another run holds are skipped.
  select pg_catalog.array_agg(d.sid), pg_catalog.array_agg(d.pid) into v_ids, v_payout_ids
  from (
    select s.id as sid, s.payout_id as pid
    from public.payout_transfers t
    join public.payout_schedules s on s.id = t.schedule_id
    where t.status in ('pending', 'unknown')
      and case when s.claimed_by_invocation is null then s.lease_expires_at <= p_now
               else not exists (select 1 from private.payout_run_invocations i
                                where i.id = s.claimed_by_invocation and i.finished_at is null
                                  and i.heartbeat_at > v_stale_before) end
    order by s.lease_expires_at, s.id
    limit p_limit
    for update of s skip locked
  ) d;
  if v_ids is null then
    return;
  end if;

  v_prev := private.enter_transition('payout_schedule.reconcile', null);
  update public.payout_schedules s
     set claimed_by_run = v_inv.run_id, claimed_by_invocation = p_invocation_id, lease_expires_at = p_now + v_lease
   where s.id = any (v_ids);
  perform private.emit_event('payout_schedule.reclaimed', 'payout_schedule', s.id, s.placement_id, s.payout_id,
    pg_catalog.jsonb_build_object('claimed_by_run', s.claimed_by_run, 'lease_expires_at', s.lease_expires_at,
      'purpose', 'reconcile', 'status', s.status, 'transfer_id', t.id, 'transfer_status', t.status))
  from public.payout_schedules s
  join public.payout_transfers t on t.schedule_id = s.id and t.status in ('pending', 'unknown')
  where s.id = any (v_ids) order by s.id;
  perform private.leave_transition(v_prev);

  perform private.count_payout_invocation(p_invocation_id,
    pg_catalog.jsonb_build_object('reconciled', pg_catalog.cardinality(v_ids)), p_now);

  return query
  select t.id, t.status, s.id, s.status, t.payout_id, t.placement_id, t.amount, t.currency::text,
         t.destination_account_id, t.idempotency_key, t.attempt_number, 'placement_' || t.placement_id::text,
         nullif(el.reason, 'nothing_payable'), i.stripe_invoice_id, i.stripe_payment_intent_id,
         private.placement_source_transaction(t.placement_id), t.created_at, q.params, q.prepared_at
  from public.payout_schedules s
  join public.payout_transfers t on t.schedule_id = s.id and t.status in ('pending', 'unknown')
  join private.payout_eligibility(p_now, v_payout_ids) el on el.payout_id = t.payout_id
  left join public.placement_invoices i on i.placement_id = t.placement_id
  left join private.payout_transfer_requests q on q.transfer_id = t.id
  where s.id = any (v_ids)
  order by s.lease_expires_at, s.id;
end
$$;
comment on function private.claim_payout_reconciliations(uuid, integer, interval, timestamptz) is
  'Payout run: leases (FOR UPDATE SKIP LOCKED, lease p_lease or settings.claim_lease) up to p_limit schedules whose in-flight tranche (pending or unknown) has an expired lease, for reconciliation: the run lists the placement''s transfer_group at Stripe and adopts a transfer that exists before anything else. Returns the tranche, its stored Stripe request, and the first closed eligibility gate (null when open). Emits payout_schedule.reclaimed (purpose reconcile). PT400/PT404.';

create function private.prepare_payout_transfer_requests(
  p_invocation_id uuid, p_requests jsonb, p_now timestamptz default pg_catalog.now())
returns table (transfer_id uuid, params jsonb, prepared_at timestamptz)
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_inv private.payout_run_invocations := private.payout_invocation(p_invocation_id);
  v_bad text;
begin
  if p_requests is null or pg_catalog.jsonb_typeof(p_requests) <> 'array' then
    raise exception 'p_requests must be a JSON array of {transfer_id, params}' using errcode = 'PT400';
  end if;
  -- A request must be the tranche's: its amount, currency, destination and id. A request for a
  -- tranche that is no longer pending is refused (nothing may be sent for it any more).
  select pg_catalog.string_agg(coalesce(r.transfer_id::text, '<null>') || ': ' ||
           case when t.id is null then 'unknown tranche'
                when t.status <> 'pending' then 'tranche is ' || t.status
                else 'parameters do not match the tranche' end, '; ')
    into v_bad
  from pg_catalog.jsonb_to_recordset(p_requests) as r(transfer_id uuid, params jsonb)
  left join public.payout_transfers t on t.id = r.transfer_id
  where t.id is null or t.status <> 'pending'
     or pg_catalog.jsonb_typeof(r.params) is distinct from 'object'
     or r.params ->> 'amount' is distinct from t.amount::text
     or pg_catalog.upper(r.params ->> 'currency') is distinct from t.currency::text
     or r.params ->> 'destination' is distinct from t.destination_account_id
     or r.params -> 'metadata' ->> 'payout_transfer_id' is distinct from t.id::text
     or r.params -> 'metadata' ->> 'payout_id' is distinct from t.payout_id::text;
  if v_bad is not null then
    raise exception 'refused Stripe request(s): %', v_bad using errcode = 'PT422';
  end if;

  insert into private.payout_transfer_requests (transfer_id, params, prepared_at, prepared_by_run)
  select r.transfer_id, r.params, p_now, v_inv.run_id
  from pg_catalog.jsonb_to_recordset(p_requests) as r(transfer_id uuid, params jsonb)
  order by r.transfer_id
  on conflict (transfer_id) do nothing;
  perform private.count_payout_invocation(p_invocation_id, '{}'::jsonb, p_now);

  return query
  select q.transfer_id, q.params, q.prepared_at
  from private.payout_transfer_requests q
  where q.transfer_id in (select r.transfer_id from pg_catalog.jsonb_to_recordset(p_requests) as r(transfer_id uuid))
  order by q.transfer_id;
end
$$;
comment on function private.prepare_payout_transfer_requests(uuid, jsonb, timestamptz) is
  'Payout run: stores the Stripe transfers.create parameters of pending tranches ([{transfer_id, params}]) before the first call; a request already stored wins (returned instead), so every call under a tranche''s idempotency key sends the same parameters. Refuses (PT422) parameters that are not the tranche''s amount/currency/destination/ids, and tranches no longer pending. PT400/PT404.';

-- ---------------------------------------------------------------------------------------------
-- Outcomes
-- ---------------------------------------------------------------------------------------------
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

create function private.record_payout_transfer_paid(
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

create function private.record_payout_transfer_failed(
  p_invocation_id uuid,
  p_transfer_id uuid,
  p_reason text,
  p_code text default null,
  p_now timestamptz default pg_catalog.now())
returns table (
  transfer_status text, retry_count integer, max_attempts integer, exhausted boolean,
  next_attempt_at timestamptz, connect_required boolean)
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_t public.payout_transfers;
  v_recruiter public.recruiters;
  v_payout public.payouts;
  v_notified boolean := false;
  v_prev jsonb;
  v_cannot_receive boolean := p_code in ('insufficient_capabilities_for_transfer', 'account_invalid');
begin
  perform private.payout_invocation(p_invocation_id);
  select * into v_t from public.payout_transfers t where t.id = p_transfer_id;
  if not found then
    raise exception 'payout transfer % not found', p_transfer_id using errcode = 'PT404';
  end if;

  if v_t.status <> 'failed' then
    if v_cannot_receive then
      -- the recruiter before the schedule/tranche/payout (set_recruiter_connect_account's order)
      select r.* into v_recruiter from public.recruiters r
      where r.id = (select po.recruiter_id from public.payouts po where po.id = v_t.payout_id)
      for update;
    end if;
    v_t := private.fail_payout_transfer(p_transfer_id, p_reason, p_now);
    perform private.count_payout_invocation(p_invocation_id, '{"failed": 1}'::jsonb, p_now);

    if v_cannot_receive then
      -- Stripe says the destination cannot receive transfers: our mirror of the capability was
      -- stale. Record it (the claim then skips the payout: recruiter_cannot_receive_transfers)
      -- and tell once, as the claim would (payout.connect_required, re-armed when the account
      -- becomes transfer-capable again).
      if v_recruiter.stripe_connect_account_id = v_t.destination_account_id
         and v_recruiter.stripe_transfers_capability is distinct from 'inactive' then
        perform private.set_recruiter_connect_account(v_recruiter.id, v_recruiter.stripe_connect_account_id,
                                                      'inactive', p_now);
      end if;
      select * into v_payout from public.payouts po where po.id = v_t.payout_id for update;
      if v_payout.connect_required_notified_at is null then
        v_prev := private.enter_transition('payout.connect_required', p_reason);
        update public.payouts po set connect_required_notified_at = p_now where po.id = v_payout.id;
        perform private.emit_event('payout.connect_required', 'payout', v_payout.id, v_payout.placement_id, v_payout.id,
          pg_catalog.jsonb_build_object('recruiter_id', v_payout.recruiter_id,
            'reason', 'recruiter_cannot_receive_transfers', 'stripe_code', p_code,
            'destination_account_id', v_t.destination_account_id, 'transfer_id', v_t.id,
            'payable_amount', v_payout.payable_amount, 'currency', v_payout.currency));
        perform private.leave_transition(v_prev);
        v_notified := true;
      end if;
    end if;
  end if;

  return query
  select v_t.status, s.retry_count, s.max_attempts, s.is_exhausted, s.next_attempt_at, v_notified
  from public.payout_schedules s where s.id = v_t.schedule_id;
end
$$;
comment on function private.record_payout_transfer_failed(uuid, uuid, text, text, timestamptz) is
  'Payout run: Stripe refused the tranche for good (or reconciliation found no transfer): private.fail_payout_transfer (counts toward max_attempts, backoff), counted on the invocation. p_code insufficient_capabilities_for_transfer / account_invalid: the recruiter''s capability becomes inactive and the payout gets one payout.connect_required. Returns the schedule''s retry state. Already failed = no-op. PT400/PT404/PT409.';

create function private.record_payout_transfer_unknown(
  p_invocation_id uuid,
  p_transfer_id uuid,
  p_reason text,
  p_settle interval default interval '2 minutes',
  p_now timestamptz default pg_catalog.now())
returns public.payout_transfers
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row public.payout_transfers;
  v_was text;
  v_prev jsonb;
begin
  perform private.payout_invocation(p_invocation_id);
  if p_settle is null or p_settle < interval '0' then
    raise exception 'p_settle must be >= 0' using errcode = 'PT400';
  end if;
  select t.status into v_was from public.payout_transfers t where t.id = p_transfer_id;
  v_row := private.mark_payout_transfer_unknown(p_transfer_id, p_reason, p_now);
  -- The schedule's lease becomes the settle delay: nobody reconciles this tranche before a
  -- request that may still be travelling has surely arrived at Stripe.
  v_prev := private.enter_transition('payout_transfer.settle', p_reason);
  update public.payout_schedules s set lease_expires_at = p_now + p_settle, claimed_by_invocation = null
   where s.id = v_row.schedule_id and s.lease_expires_at is not null;
  perform private.leave_transition(v_prev);
  perform private.count_payout_invocation(p_invocation_id,
    case when v_was = 'unknown' then '{}'::jsonb else '{"unknown": 1}'::jsonb end, p_now);
  return v_row;
end
$$;
comment on function private.record_payout_transfer_unknown(uuid, uuid, text, interval, timestamptz) is
  'Payout run: Stripe''s outcome is unknown (a stored 5xx, an idempotency mismatch, an unclassified error): private.mark_payout_transfer_unknown, and the schedule''s lease is set to p_now + p_settle, after which claim_payout_reconciliations hands it out for reconciliation. PT400/PT404/PT409.';

create function private.defer_payout_transfer(
  p_invocation_id uuid,
  p_transfer_id uuid,
  p_delay interval,
  p_reason text,
  p_now timestamptz default pg_catalog.now())
returns public.payout_schedules
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_t public.payout_transfers;
  v_row public.payout_schedules;
  v_prev jsonb;
begin
  perform private.payout_invocation(p_invocation_id);
  if p_delay is null or p_delay < interval '0' then
    raise exception 'p_delay must be >= 0' using errcode = 'PT400';
  end if;
  if pg_catalog.btrim(coalesce(p_reason, '')) = '' then
    raise exception 'p_reason is required' using errcode = 'PT400';
  end if;
  v_t := private.lock_payout_transfer(p_transfer_id);
  if v_t.status not in ('pending', 'unknown') then
    raise exception 'payout transfer % is %: nothing to defer', v_t.id, v_t.status using errcode = 'PT409';
  end if;
  v_prev := private.enter_transition('payout_transfer.defer', p_reason);
  -- the invocation lets go of the claim: free once the delay is over
  update public.payout_schedules s set lease_expires_at = p_now + p_delay, claimed_by_invocation = null
   where s.id = v_t.schedule_id and s.lease_expires_at is not null
  returning * into v_row;
  perform private.leave_transition(v_prev);
  perform private.count_payout_invocation(p_invocation_id, '{"deferred": 1}'::jsonb, p_now);
  return v_row;
end
$$;
comment on function private.defer_payout_transfer(uuid, uuid, interval, text, timestamptz) is
  'Payout run: leaves an in-flight tranche as it is and sets its schedule''s lease to p_now + p_delay (0 = give it back now): rate limited until the budget ran out, a gate closed, Stripe unreachable. The next holder reconciles before sending. PT400/PT404/PT409.';

-- ---------------------------------------------------------------------------------------------
-- Escrow releases
-- ---------------------------------------------------------------------------------------------
-- One batch of the escrow run: at most p_limit due holds, released in this call's own
-- transaction (private.release_due_escrow_holds(p_now, p_limit)), counted on the invocation.
-- The Edge Function calls it again while batches come back full and its budget lasts; the next
-- doorbell continues an unfinished run. Returns one summary row per batch, not one row per hold:
-- what the function logs and parses stays the same size whatever the batch (the holds' own
-- record is the audit trail and the escrow_hold.auto_released events).
create function private.run_escrow_releases(
  p_invocation_id uuid, p_now timestamptz default pg_catalog.now(), p_limit integer default 1000)
returns table (released integer, payouts integer, amounts jsonb, first_hold_id uuid, last_hold_id uuid,
               next_payout_due_at timestamptz, more_due boolean)
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_inv private.payout_run_invocations := private.payout_invocation(p_invocation_id);
  v_settings private.payout_settings := private.settings();
  v_holds public.escrow_holds[];
  v_n integer;
begin
  if v_inv.kind <> 'escrow_releases' then
    raise exception 'invocation % is a % run', p_invocation_id, v_inv.kind using errcode = 'PT409';
  end if;
  if p_limit is null or p_limit not between 1 and 10000 then
    raise exception 'p_limit must be between 1 and 10000 (got %)', p_limit using errcode = 'PT400';
  end if;
  select pg_catalog.array_agg(h) into v_holds from private.release_due_escrow_holds(p_now, p_limit) h;
  v_n := coalesce(pg_catalog.cardinality(v_holds), 0);
  perform private.count_payout_invocation(p_invocation_id, pg_catalog.jsonb_build_object('released', v_n), p_now);
  return query
  with h as (select * from pg_catalog.unnest(v_holds))
  select v_n,
         (select pg_catalog.count(distinct h.payout_id)::integer from h),
         coalesce((select pg_catalog.jsonb_object_agg(a.currency, a.total)
                   from (select h.currency, sum(h.hold_amount)::bigint as total from h group by h.currency) a),
                  '{}'::jsonb),
         (select min(h.id::text)::uuid from h),
         (select max(h.id::text)::uuid from h),
         (select min(s.next_attempt_at) from public.payout_schedules s
           where s.payout_id in (select h.payout_id from h) and s.status in ('pending', 'processing', 'failed')),
         -- what a next batch would find (holds locked by another caller included)
         exists (select 1 from public.escrow_holds x
                 join public.placements pl on pl.id = x.placement_id
                 where x.status = 'active' and pl.status <> 'failed'
                   and x.release_scheduled_date <= ((p_now at time zone 'UTC') - v_settings.escrow_release_time)::date);
end
$$;
comment on function private.run_escrow_releases(uuid, timestamptz, integer) is
  'Escrow release run, one batch: private.release_due_escrow_holds(p_now, p_limit) (at most p_limit due holds, oldest release date first; set-based, audited, escrow_hold.auto_released events; released money gets a schedule due at the next payout due time), counted on the invocation. Returns one summary row: released, payouts, amounts per currency, first and last hold id, the earliest payout due time, and whether due holds remain. PT400 (limit outside 1..10000)/PT404/PT409.';

-- ---------------------------------------------------------------------------------------------
-- Privileges: payout_runner executes the run functions; the internals are the owner's
-- ---------------------------------------------------------------------------------------------
revoke execute on function
  private.count_payout_invocation(uuid, jsonb, timestamptz),
  private.sync_payout_run(uuid, timestamptz),
  private.payout_invocation(uuid),
  private.begin_payout_invocation(uuid, text, text, timestamptz, interval),
  private.heartbeat_payout_invocation(uuid, timestamptz),
  private.finish_payout_invocation(uuid, text, timestamptz, interval),
  private.record_payout_run_error(uuid, jsonb, timestamptz),
  private.claim_payout_batch(uuid, integer, interval, timestamptz),
  private.claim_payout_reconciliations(uuid, integer, interval, timestamptz),
  private.prepare_payout_transfer_requests(uuid, jsonb, timestamptz),
  private.record_payout_transfers_paid(uuid, uuid[], text[], boolean[], timestamptz),
  private.record_payout_transfer_paid(uuid, uuid, text, boolean, timestamptz),
  private.record_payout_transfer_failed(uuid, uuid, text, text, timestamptz),
  private.record_payout_transfer_unknown(uuid, uuid, text, interval, timestamptz),
  private.defer_payout_transfer(uuid, uuid, interval, text, timestamptz),
  private.run_escrow_releases(uuid, timestamptz, integer)
from public, anon, authenticated, service_role;

grant execute on function private.begin_payout_invocation(uuid, text, text, timestamptz, interval) to payout_runner;
grant execute on function private.heartbeat_payout_invocation(uuid, timestamptz) to payout_runner;
grant execute on function private.finish_payout_invocation(uuid, text, timestamptz, interval) to payout_runner;
grant execute on function private.record_payout_run_error(uuid, jsonb, timestamptz) to payout_runner;
grant execute on function private.claim_payout_batch(uuid, integer, interval, timestamptz) to payout_runner;
grant execute on function private.claim_payout_reconciliations(uuid, integer, interval, timestamptz) to payout_runner;
grant execute on function private.prepare_payout_transfer_requests(uuid, jsonb, timestamptz) to payout_runner;
grant execute on function private.record_payout_transfers_paid(uuid, uuid[], text[], boolean[], timestamptz)
  to payout_runner;
grant execute on function private.record_payout_transfer_paid(uuid, uuid, text, boolean, timestamptz) to payout_runner;
grant execute on function private.record_payout_transfer_failed(uuid, uuid, text, text, timestamptz) to payout_runner;
grant execute on function private.record_payout_transfer_unknown(uuid, uuid, text, interval, timestamptz) to payout_runner;
grant execute on function private.defer_payout_transfer(uuid, uuid, interval, text, timestamptz) to payout_runner;
grant execute on function private.run_escrow_releases(uuid, timestamptz, integer) to payout_runner;

-- ---------------------------------------------------------------------------------------------
-- Run history for platform admins (the console's Runs screen)
-- ---------------------------------------------------------------------------------------------
-- A set: PostgREST pages it (range, count=exact) and filters it (kind, status) on the server.
-- The tranches of a run are public.payout_transfers with claimed_by_run = the run's id.
create function private.rpc_admin_payout_runs()
returns table (
  id uuid, kind text, status text, trigger text, started_at timestamptz, finished_at timestamptz,
  finish_reason text, invocations bigint, claimed bigint, reclaimed bigint, reconciled bigint, paid bigint,
  adopted bigint, failed bigint, unknown bigint, deferred bigint, skipped bigint, cancelled bigint,
  released bigint, error_count bigint, skip_reasons jsonb, errors jsonb)
language sql
stable
security definer
set search_path = ''
as $$
  select r.id, r.kind, r.status, r.trigger, r.started_at, r.finished_at, r.finish_reason, r.invocations,
         r.claimed, r.reclaimed, r.reconciled, r.paid, r.adopted, r.failed, r.unknown, r.deferred, r.skipped,
         r.cancelled, r.released, r.error_count, r.skip_reasons, r.errors
  from private.require_platform_admin() g, private.payout_runs r
  order by r.started_at desc, r.id
$$;
comment on function private.rpc_admin_payout_runs() is
  'Body of public.admin_payout_runs (platform admins only, 42501).';
revoke execute on function private.rpc_admin_payout_runs() from public, anon, authenticated, service_role;
grant execute on function private.rpc_admin_payout_runs() to authenticated;

create function public.admin_payout_runs()
returns table (
  id uuid, kind text, status text, trigger text, started_at timestamptz, finished_at timestamptz,
  finish_reason text, invocations bigint, claimed bigint, reclaimed bigint, reconciled bigint, paid bigint,
  adopted bigint, failed bigint, unknown bigint, deferred bigint, skipped bigint, cancelled bigint,
  released bigint, error_count bigint, skip_reasons jsonb, errors jsonb)
language sql
stable
security invoker
set search_path = ''
as $$
  select private.rpc_admin_payout_runs() from private.require_platform_admin()
$$;
comment on function public.admin_payout_runs() is
  'Admin: payout-run history, newest first (private.payout_runs: kind, status, trigger, started/finished, finish reason, invocations, claimed, paid, adopted, failed, unknown, deferred, skipped with reasons, cancelled, released, errors). Page and filter it with PostgREST (range, kind=eq.payout_schedules). The run''s tranches: payout_transfers where claimed_by_run = id. 42501.';
revoke execute on function public.admin_payout_runs() from public, anon, authenticated, service_role;
grant execute on function public.admin_payout_runs() to authenticated;
