-- Stripe sync jobs within the Edge Functions' CPU limit (retired at 1 s of CPU, terminated at 2 s).
--
-- reverse-payouts and reconcile-payouts stop taking new work once the isolate's CPU reaches the
-- stop line (supabase/functions/_shared/budget.ts), finish or hand back what they hold, record
-- their progress, and hand over: the platform retires the isolate, so they ring their function
-- now (a fresh isolate continues) instead of leaving the rest to the next doorbell or day.
--
--   ring_stripe_sync_handover(function, run, now)    granted to stripe_sync: reverse-payouts rings
--       through the reversal doorbell (only when a reversal is due: no busy loop), reconcile-payouts
--       rings for its run while that run is unfinished; null = nothing rung
--   release_payout_reversals(worker, ids, now)       claimed requests the worker will not start:
--       their lease ends now, so the next holder claims them at once (not after the lease)
--   Reconciliation in chunks: a run's window is covered newest first (Stripe lists newest first);
--       stripe_reconciliation_runs.covered_from = how far down it got. record_stripe_reconciliation
--       gets p_covered_from: non-null = this call checked [p_covered_from, previous covered_from
--       (or window end)] and the run goes on below it; null = the run is done (finished, as before).
--       begin_stripe_reconciliation returns covered_from, so a continuation picks up there. A run
--       left unfinished is never counted as done: the next run starts at the last finished window.

set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- ---------------------------------------------------------------------------------------------
-- Hand-over rings
-- ---------------------------------------------------------------------------------------------
create function private.ring_stripe_sync_handover(
  p_function text, p_run_id uuid default null, p_now timestamptz default pg_catalog.now())
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  if p_function = 'reverse-payouts' then
    -- rings only when a request is pending or its lease expired (handed back ones: now)
    return private.reversal_doorbell(p_now);
  elsif p_function = 'reconcile-payouts' then
    if p_run_id is null or not exists (select 1 from private.stripe_reconciliation_runs r
                                       where r.id = p_run_id and r.status = 'running') then
      return null;
    end if;
    return private.ring_stripe_sync_function('reconcile-payouts',
      pg_catalog.jsonb_build_object('trigger', 'handover', 'run_id', p_run_id), p_now);
  end if;
  raise exception 'unknown Stripe sync job %', p_function using errcode = 'PT400';
end
$$;
comment on function private.ring_stripe_sync_handover(text, uuid, timestamptz) is
  'A Stripe sync job stopped for the isolate''s CPU with work left: rings its function now (pg_net; URL and job secret from Vault). reverse-payouts: through private.reversal_doorbell (only when a reversal is due); reconcile-payouts: with {"run_id"} while that run is unfinished. Returns the pg_net request id, or null when nothing is due. PT400 unknown function.';

-- ---------------------------------------------------------------------------------------------
-- Reversals: hand back what will not be started
-- ---------------------------------------------------------------------------------------------
create function private.release_payout_reversals(
  p_worker uuid, p_reversal_ids uuid[], p_now timestamptz default pg_catalog.now())
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_prev jsonb;
  v_count integer;
begin
  v_prev := private.enter_transition('payout_reversal.release', 'handed back: the worker''s CPU budget is used up');
  update public.payout_reversals r
     set lease_expires_at = p_now
   where r.id = any (coalesce(p_reversal_ids, '{}')) and r.claimed_by = p_worker and r.status = 'processing';
  get diagnostics v_count = row_count;
  perform private.leave_transition(v_prev);
  return v_count;
end
$$;
comment on function private.release_payout_reversals(uuid, uuid[], timestamptz) is
  'Reversal worker: requests it claimed (still processing, still its own) and will not start: their lease ends at p_now, so they are claimed again at once, under the same stored keys. Returns how many.';

-- ---------------------------------------------------------------------------------------------
-- Reconciliation in chunks
-- ---------------------------------------------------------------------------------------------
alter table private.stripe_reconciliation_runs add column covered_from timestamptz;
comment on column private.stripe_reconciliation_runs.covered_from is
  'Of an unfinished run: [covered_from, window_end] is checked (newest first, in chunks); the rest of the window is left. Null: nothing checked yet, or finished.';

drop function private.begin_stripe_reconciliation(uuid, interval, timestamptz, timestamptz);
create function private.begin_stripe_reconciliation(
  p_run_id uuid,
  p_overlap interval default interval '1 hour',
  p_window_start timestamptz default null,
  p_now timestamptz default pg_catalog.now())
returns table (run_id uuid, since timestamptz, window_start timestamptz, window_end timestamptz,
               covered_from timestamptz, status text)
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_start timestamptz;
begin
  if p_run_id is null then
    raise exception 'p_run_id is required' using errcode = 'PT400';
  end if;
  if p_overlap is null or p_overlap < interval '0' then
    raise exception 'p_overlap must be >= 0' using errcode = 'PT400';
  end if;
  v_start := least(coalesce(p_window_start,
                            (select max(r.window_end) from private.stripe_reconciliation_runs r where r.status = 'finished'),
                            p_now - interval '1 day'), p_now);
  insert into private.stripe_reconciliation_runs (id, started_at, window_start, window_end, overlap)
  values (p_run_id, p_now, v_start, p_now, p_overlap)
  on conflict (id) do nothing;
  return query select r.id, r.window_start - r.overlap, r.window_start, r.window_end, r.covered_from, r.status
               from private.stripe_reconciliation_runs r where r.id = p_run_id;
end
$$;
comment on function private.begin_stripe_reconciliation(uuid, interval, timestamptz, timestamptz) is
  'Reconciliation: starts a run whose window is [p_window_start (default: the end of the last finished run, else a day ago) - p_overlap, p_now]; an existing run id continues that run (its window, how far it got: covered_from, and its status). PT400.';

drop function private.record_stripe_reconciliation(uuid, jsonb, jsonb, timestamptz);
create function private.record_stripe_reconciliation(
  p_run_id uuid, p_transfers jsonb, p_missing jsonb, p_now timestamptz default pg_catalog.now(),
  p_covered_from timestamptz default null)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_run private.stripe_reconciliation_runs;
  v_found jsonb;
  v_from timestamptz;
  v_until timestamptz;
  v_done boolean;
  v_checked integer;
begin
  if p_transfers is null or pg_catalog.jsonb_typeof(p_transfers) <> 'array'
     or p_missing is null or pg_catalog.jsonb_typeof(p_missing) <> 'array' then
    raise exception 'p_transfers and p_missing must be JSON arrays' using errcode = 'PT400';
  end if;
  select * into v_run from private.stripe_reconciliation_runs r where r.id = p_run_id for update;
  if not found then
    raise exception 'reconciliation run % not found', p_run_id using errcode = 'PT404';
  end if;
  if v_run.status <> 'running' then
    return pg_catalog.jsonb_build_object('status', v_run.status, 'findings', v_run.findings);
  end if;
  -- this call's part of the window: down from where the last part ended
  v_until := coalesce(v_run.covered_from, v_run.window_end);
  v_done := p_covered_from is null or p_covered_from <= v_run.window_start - v_run.overlap;
  v_from := case when v_done then v_run.window_start - v_run.overlap else p_covered_from end;
  if v_from > v_until then
    raise exception 'p_covered_from % is above what the run covered already (%)', p_covered_from, v_until
      using errcode = 'PT400';
  end if;

  -- What this part finds: Stripe's transfers against our tranches (by metadata, then by the
  -- recorded transfer id), and our tranches Stripe does not have.
  with s as (
    select x.id, x.amount, pg_catalog.upper(x.currency) as currency, x.destination, x.created, x.transfer_group,
           case when x.metadata ->> 'payout_transfer_id' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                then (x.metadata ->> 'payout_transfer_id')::uuid end as meta_tranche
    from pg_catalog.jsonb_to_recordset(p_transfers) as x(id text, amount bigint, currency text, destination text,
                                                         created bigint, transfer_group text, metadata jsonb)
  ), m as (
    select s.*, t.id as tranche_id, t.stripe_transfer_id as recorded_id, t.amount as t_amount, t.currency::text as t_currency,
           t.destination_account_id as t_destination, t.status as t_status, t.payout_id, t.placement_id
    from s
    left join public.payout_transfers t on t.id = coalesce(s.meta_tranche,
      (select t2.id from public.payout_transfers t2 where t2.stripe_transfer_id = s.id))
  ), f as (
    select 'transfer_unknown_to_us' as kind, m.id as subject, m.id as stripe_transfer_id, m.tranche_id, m.payout_id,
           m.placement_id, m.amount, m.currency,
           pg_catalog.jsonb_build_object('reason', case when m.meta_tranche is null and m.tranche_id is null then 'no_metadata'
                                                         when m.tranche_id is null then 'unknown_tranche'
                                                         else 'second_transfer_for_tranche' end,
             'destination', m.destination, 'transfer_group', m.transfer_group, 'created', m.created,
             'tranche_transfer_id', m.recorded_id) as details
    from m
    where m.tranche_id is null or (m.recorded_id is not null and m.recorded_id <> m.id)
    union all
    select 'transfer_mismatch', m.id, m.id, m.tranche_id, m.payout_id, m.placement_id, m.amount, m.currency,
           pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
             'fields', pg_catalog.to_jsonb(pg_catalog.array_remove(array[
               case when m.amount <> m.t_amount then 'amount' end,
               case when m.currency <> m.t_currency then 'currency' end,
               case when m.destination is distinct from m.t_destination then 'destination' end,
               case when m.t_status = 'failed' then 'status' end], null)),
             'stripe', pg_catalog.jsonb_build_object('amount', m.amount, 'currency', m.currency, 'destination', m.destination),
             'ours', pg_catalog.jsonb_build_object('amount', m.t_amount, 'currency', m.t_currency,
                                                   'destination', m.t_destination, 'status', m.t_status)))
    from m
    where m.tranche_id is not null and (m.recorded_id is null or m.recorded_id = m.id)
      and (m.amount <> m.t_amount or m.currency <> m.t_currency or m.destination is distinct from m.t_destination
           or m.t_status = 'failed')
    union all
    select 'transfer_missing_in_stripe', t.id::text, t.stripe_transfer_id, t.id, t.payout_id, t.placement_id, t.amount,
           t.currency::text,
           pg_catalog.jsonb_build_object('stripe_transfer_id', t.stripe_transfer_id, 'succeeded_at', t.succeeded_at,
                                         'destination', t.destination_account_id)
    from pg_catalog.jsonb_array_elements_text(p_missing) as x(stripe_transfer_id)
    join public.payout_transfers t on t.stripe_transfer_id = x.stripe_transfer_id
  ), up as (
    insert into private.reconciliation_findings as rf (
      kind, subject, stripe_transfer_id, transfer_id, payout_id, placement_id, amount, currency, details,
      first_seen_at, last_seen_at, last_run_id)
    select f.kind, f.subject, f.stripe_transfer_id, f.tranche_id, f.payout_id, f.placement_id, f.amount, f.currency,
           f.details, p_now, p_now, p_run_id
    from f
    on conflict (kind, subject) where resolved_at is null do update
       set last_seen_at = p_now, last_run_id = p_run_id, details = excluded.details, amount = excluded.amount
    returning rf.kind
  )
  select coalesce(pg_catalog.jsonb_object_agg(c.kind, c.n), '{}'::jsonb) into v_found
  from (select up.kind, pg_catalog.count(*) as n from up group by up.kind) c;

  -- Subjects this part checked and found fine again: resolved.
  update private.reconciliation_findings rf
     set resolved_at = p_now
   where rf.resolved_at is null and rf.last_run_id <> p_run_id
     and (rf.stripe_transfer_id in (select x ->> 'id' from pg_catalog.jsonb_array_elements(p_transfers) x)
          or rf.stripe_transfer_id in (select t.stripe_transfer_id from public.payout_transfers t
                                       where t.status = 'succeeded' and t.succeeded_at >= v_from
                                         and t.succeeded_at <= v_until));

  select pg_catalog.count(*)::integer into v_checked from public.payout_transfers t
   where t.status = 'succeeded' and t.succeeded_at >= v_from and t.succeeded_at <= v_until;
  -- the findings of the run so far: counts by kind, added up over its parts
  select coalesce(pg_catalog.jsonb_object_agg(k, n), '{}'::jsonb) into v_found
  from (select e.key as k, pg_catalog.sum(e.value::text::integer) as n
        from (select * from pg_catalog.jsonb_each(v_run.findings) union all select * from pg_catalog.jsonb_each(v_found)) e
        group by e.key) c;
  update private.stripe_reconciliation_runs r
     set status = case when v_done then 'finished' else 'running' end,
         finished_at = case when v_done then p_now end,
         covered_from = case when v_done then null else p_covered_from end,
         findings = v_found,
         stripe_transfers = r.stripe_transfers + pg_catalog.jsonb_array_length(p_transfers),
         tranches_checked = r.tranches_checked + v_checked
   where r.id = p_run_id
  returning * into v_run;
  return pg_catalog.jsonb_build_object('run_id', p_run_id, 'status', v_run.status, 'findings', v_run.findings,
    'stripe_transfers', v_run.stripe_transfers, 'missing', pg_catalog.jsonb_array_length(p_missing),
    'covered_from', v_run.covered_from);
end
$$;
comment on function private.record_stripe_reconciliation(uuid, jsonb, jsonb, timestamptz, timestamptz) is
  'Reconciliation: compares Stripe''s transfers ([{id, amount, currency, destination, created, transfer_group, metadata}]) with our tranches by metadata payout_transfer_id (then by recorded transfer id), never by amount, and records open findings (transfer_unknown_to_us, transfer_mismatch, transfer_missing_in_stripe for p_missing: [stripe transfer ids of our succeeded tranches Stripe does not have]); findings of subjects checked again and fine are resolved. p_covered_from null: the run''s (rest of the) window is done and the run finished; else this part covered [p_covered_from, where the last part ended] and the run goes on below (covered_from). Returns the run''s counts by kind so far, its status and covered_from. PT400/PT404.';

revoke execute on function
  private.ring_stripe_sync_handover(text, uuid, timestamptz),
  private.release_payout_reversals(uuid, uuid[], timestamptz),
  private.begin_stripe_reconciliation(uuid, interval, timestamptz, timestamptz),
  private.record_stripe_reconciliation(uuid, jsonb, jsonb, timestamptz, timestamptz)
from public, anon, authenticated, service_role;
grant execute on function private.ring_stripe_sync_handover(text, uuid, timestamptz) to stripe_sync;
grant execute on function private.release_payout_reversals(uuid, uuid[], timestamptz) to stripe_sync;
grant execute on function private.begin_stripe_reconciliation(uuid, interval, timestamptz, timestamptz) to stripe_sync;
grant execute on function private.record_stripe_reconciliation(uuid, jsonb, jsonb, timestamptz, timestamptz)
  to stripe_sync;
