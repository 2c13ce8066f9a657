-- Stripe sync: the events catch-up (issue 13).
--
-- A webhook delivery can be lost (our endpoint down past Stripe's retries, a misconfigured
-- endpoint, a dropped request). Transfers are reconciled, but a lost invoice.paid, account.updated,
-- charge.refunded or dispute event would never be recovered. stripe-events-catch-up (pg_cron every
-- 10 minutes through private.ring_stripe_sync_function, 20261130091000; hand-over rings through
-- private.ring_stripe_sync_handover, 20261130090900) lists Stripe's events of the handled types
-- created since a cursor, minus an overlap, and processes the ones the inbox lacks through the
-- webhook's own inbox and effects (supabase/functions/_shared/stripe_sync/events_catch_up.ts).
--
-- State: the one row of private.stripe_event_catch_up (20261130090100, audited):
--   begin_stripe_events_catch_up(run, overlap, now)   starts a run over [cursor - overlap, now], or
--                               returns the unfinished run (any invocation continues it) with the
--                               sources still to list: 'platform', then each connected account of a
--                               recruiter (Connect events are listed per account, Stripe-Account)
--   record_stripe_events_catch_up_progress(run, source, covered_from, now)
--                               a run stopped for the isolate's CPU: sources before `source` are
--                               done, and of `source` the events created at or after covered_from
--                               (null: none); never moves back (a stale call is a no-op)
--   finish_stripe_events_catch_up(run, result, now)    cursor = greatest(cursor, window end): the
--                               cursor never moves backwards
--   stripe_events_not_in_inbox(ids)                    which listed events the inbox lacks
--
-- Stripe keeps events 30 days: a run never starts before now - 30 days. A cursor older than that
-- (the job did not run for a month) leaves a gap whose events may be lost for good: it is recorded
-- (gap_from, gap_until) and public.payout_alerts shows it (stripe_events_gap) for 30 days, so an
-- operator compares Stripe's dashboard for that period. A first run (no cursor) starts 30 days ago:
-- no gap, the inbox already has what was delivered (kept 35 days).

-- Fail fast rather than queue behind (and in front of) live traffic; the CLI runs each
-- migration file in one transaction, so these last for this file only.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- Internal: the sources of a run in listing order, from p_from on ('platform' first, then the
-- recruiters' connected accounts by id, byte order).
create function private.stripe_events_catch_up_sources(p_from text)
returns text[]
language sql
stable
security definer
set search_path = ''
as $$
  select array(
    select s.source from (
      select 'platform' as source, '' as rank
      union
      select r.stripe_connect_account_id, r.stripe_connect_account_id
      from public.recruiters r where r.stripe_connect_account_id is not null
    ) s
    where p_from is null or p_from = 'platform' or s.rank collate "C" >= p_from collate "C"
    order by s.rank collate "C")
$$;
comment on function private.stripe_events_catch_up_sources(text) is
  'Internal (events catch-up): the sources to list from p_from on, in order: platform, then every recruiter''s connected account by id.';

create function private.begin_stripe_events_catch_up(
  p_run_id uuid,
  p_overlap interval default interval '10 minutes',
  p_now timestamptz default pg_catalog.now())
returns table (run_id uuid, since timestamptz, window_end timestamptz, sources text[], covered_from timestamptz,
               cursor_at timestamptz, resumed boolean, gap_from timestamptz, gap_until timestamptz)
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_row private.stripe_event_catch_up;
  v_oldest timestamptz;
  v_since timestamptz;
  v_resumed boolean := true;
  v_gap boolean := false;
begin
  if p_run_id is null then
    raise exception 'p_run_id is required' using errcode = 'PT400';
  end if;
  if p_overlap is null or p_overlap < interval '0' or p_overlap > interval '1 day' then
    raise exception 'p_overlap must be between 0 and 1 day' using errcode = 'PT400';
  end if;
  if p_now is null or not pg_catalog.isfinite(p_now) then
    raise exception 'p_now must be a finite time' using errcode = 'PT400';
  end if;
  select * into strict v_row from private.stripe_event_catch_up c for update;
  if v_row.run_id is null then
    v_resumed := false;
    -- Stripe lists the last 30 days only
    v_oldest := p_now - interval '30 days';
    v_since := coalesce(v_row.cursor_at - p_overlap, v_oldest);
    perform private.set_actor(null, 'job');
    update private.stripe_event_catch_up c
       set run_id = p_run_id, run_started_at = p_now,
           window_start = least(greatest(v_since, v_oldest), p_now), window_end = p_now,
           source = null, covered_from = null,
           gap_from = case when v_since < v_oldest then v_since else c.gap_from end,
           gap_until = case when v_since < v_oldest then v_oldest else c.gap_until end,
           gap_detected_at = case when v_since < v_oldest then p_now else c.gap_detected_at end,
           updated_at = p_now
     where c.id = v_row.id
    returning * into v_row;
    v_gap := v_since < v_oldest;
    if v_gap then
      raise warning 'stripe events catch-up: cursor % is past Stripe''s 30-day event retention; events created in [%, %) may be lost (payout_alerts: stripe_events_gap)',
        v_row.cursor_at, v_since, v_oldest;
    end if;
  end if;
  return query select v_row.run_id, v_row.window_start, v_row.window_end,
                      private.stripe_events_catch_up_sources(v_row.source), v_row.covered_from, v_row.cursor_at,
                      v_resumed, case when v_gap then v_row.gap_from end, case when v_gap then v_row.gap_until end;
end
$$;
comment on function private.begin_stripe_events_catch_up(uuid, interval, timestamptz) is
  'Events catch-up: starts a run over [cursor - p_overlap (never before p_now - 30 days: Stripe''s event retention; an older cursor records a gap, payout_alerts stripe_events_gap), p_now], or returns the unfinished run whatever p_run_id (resumed = true): its window, the sources still to list (platform, then connected accounts) and how far the first one got (covered_from). gap_from/gap_until: the gap this call found (else null). PT400.';

create function private.record_stripe_events_catch_up_progress(
  p_run_id uuid, p_source text, p_covered_from timestamptz, p_now timestamptz default pg_catalog.now())
returns boolean
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row private.stripe_event_catch_up;
  v_moved boolean;
begin
  if p_run_id is null or p_source is null or (p_source <> 'platform' and p_source !~ '^acct_[A-Za-z0-9]+$') then
    raise exception 'p_run_id and p_source (platform or acct_...) are required' using errcode = 'PT400';
  end if;
  if p_covered_from is not null and not pg_catalog.isfinite(p_covered_from) then
    raise exception 'p_covered_from must be a finite time' using errcode = 'PT400';
  end if;
  select * into v_row from private.stripe_event_catch_up c for update;
  if v_row.run_id is distinct from p_run_id then
    return false;  -- finished (or replaced) meanwhile
  end if;
  -- forward only: a later source, or the same source covered further down. Nothing recorded yet is
  -- the platform (every run's first source) with nothing covered. The same place again is not
  -- progress: the caller hands over only on progress, so a stuck invocation cannot ring itself in a loop.
  v_moved := case
    when p_source = coalesce(v_row.source, 'platform')
      then p_covered_from is not null and (v_row.covered_from is null or p_covered_from < v_row.covered_from)
    else (case when p_source = 'platform' then '' else p_source end) collate "C"
         > (case when coalesce(v_row.source, 'platform') = 'platform' then '' else v_row.source end) collate "C"
  end;
  if v_moved then
    perform private.set_actor(null, 'job');
    update private.stripe_event_catch_up c
       set source = p_source, covered_from = p_covered_from, updated_at = p_now
     where c.id = v_row.id;
  end if;
  return v_moved;
end
$$;
comment on function private.record_stripe_events_catch_up_progress(uuid, text, timestamptz, timestamptz) is
  'Events catch-up: the run p_run_id stopped for its budget: the sources before p_source are done, and of p_source the events created at or after p_covered_from (null: none yet). Forward only: returns false (nothing changed) for a position behind the recorded one or a run that is no longer the unfinished one. PT400.';

create function private.finish_stripe_events_catch_up(
  p_run_id uuid, p_result jsonb default '{}'::jsonb, p_now timestamptz default pg_catalog.now())
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row private.stripe_event_catch_up;
begin
  if p_run_id is null or p_result is null or pg_catalog.jsonb_typeof(p_result) <> 'object' then
    raise exception 'p_run_id and a JSON object p_result are required' using errcode = 'PT400';
  end if;
  select * into v_row from private.stripe_event_catch_up c for update;
  if v_row.run_id is distinct from p_run_id then
    return pg_catalog.jsonb_build_object('finished', false, 'cursor_at', v_row.cursor_at);
  end if;
  perform private.set_actor(null, 'job');
  update private.stripe_event_catch_up c
     set cursor_at = greatest(c.cursor_at, c.window_end),
         run_id = null, run_started_at = null, window_start = null, window_end = null,
         source = null, covered_from = null,
         last_finished_at = p_now,
         last_result = pg_catalog.jsonb_strip_nulls(p_result || pg_catalog.jsonb_build_object(
           'run_id', p_run_id, 'window_start', c.window_start, 'window_end', c.window_end)),
         updated_at = p_now
   where c.id = v_row.id
  returning * into v_row;
  return pg_catalog.jsonb_build_object('finished', true, 'cursor_at', v_row.cursor_at);
end
$$;
comment on function private.finish_stripe_events_catch_up(uuid, jsonb, timestamptz) is
  'Events catch-up: the run p_run_id listed every source: the cursor moves to the run''s window end (never backwards: greatest), the run is cleared and p_result kept as last_result. A run that is no longer the unfinished one: {finished: false}, nothing changed. PT400.';

create function private.stripe_events_not_in_inbox(p_ids text[])
returns setof text
language sql
stable
security definer
set search_path = ''
as $$
  select distinct x.id from pg_catalog.unnest(p_ids) as x(id)
  where x.id is not null
    and not exists (select 1 from private.stripe_webhook_events e where e.id = x.id)
$$;
comment on function private.stripe_events_not_in_inbox(text[]) is
  'Events catch-up: the Stripe event ids of p_ids the webhook inbox has never received (failed or unprocessed ones are there: retried by reconcile-payouts).';

revoke execute on function
  private.stripe_events_catch_up_sources(text),
  private.begin_stripe_events_catch_up(uuid, interval, timestamptz),
  private.record_stripe_events_catch_up_progress(uuid, text, timestamptz, timestamptz),
  private.finish_stripe_events_catch_up(uuid, jsonb, timestamptz),
  private.stripe_events_not_in_inbox(text[])
from public, anon, authenticated, service_role;
grant execute on function private.begin_stripe_events_catch_up(uuid, interval, timestamptz) to stripe_sync;
grant execute on function private.record_stripe_events_catch_up_progress(uuid, text, timestamptz, timestamptz)
  to stripe_sync;
grant execute on function private.finish_stripe_events_catch_up(uuid, jsonb, timestamptz) to stripe_sync;
grant execute on function private.stripe_events_not_in_inbox(text[]) to stripe_sync;
