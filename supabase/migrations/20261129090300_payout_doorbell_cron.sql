-- Payout run, part 4: the doorbells and the cron jobs.
--
-- Business due times stay in private.payout_settings (payouts 02:00 UTC, escrow releases 03:00
-- UTC). The mechanism is a per-minute doorbell per function that does nothing (no HTTP request)
-- unless work is due, and otherwise rings the Edge Function with net.http_post:
--
--   private.payout_work_due(now)     why process-payout-schedules should run now (text[]):
--                                    due_schedules (pending / failed retries past next_attempt_at),
--                                    expired_leases (tranches in flight whose lease expired),
--                                    unfinished_run, admin_request
--   private.escrow_work_due(now)     due_holds, unfinished_run
--   private.payout_doorbell(now, trigger)          rings process-payout-schedules when work is due,
--   private.escrow_release_doorbell(now, trigger)  process-escrow-releases when holds are due,
--                                    unless payouts are paused (payouts only), a healthy invocation
--                                    is working (fresh heartbeat), or a ring is on its way (rung
--                                    < 45 s ago and no invocation started since). Serialized per
--                                    kind (advisory lock). Returns the pg_net request id or null.
--   private.cleanup_payout_job_history(now)        prunes cron.job_run_details, net._http_response,
--                                    the doorbell log, finished run history, the processed webhook
--                                    inbox and the outbox (private.prune_payout_events)
--   private.setup_payout_cron(enabled, schedules)  the idempotent setup of the payout runs' cron
--                                    jobs: unschedules every payouts-* job, schedules the current
--                                    ones (private.setup_cron, 20261130091000, runs it together
--                                    with the Stripe sync's: the product's one cron setup)
--   private.request_payout_run(now)                the database part of the admin RPC
--                                    public.process_due_payout_schedules (20261128090200): records
--                                    the request and rings the doorbell at once (trigger 'admin'),
--                                    or does nothing when nothing is due
--
-- The URL and the job secret come from Vault (payout_functions_url = the project's base URL,
-- payout_job_secret = the functions' PAYOUT_JOB_SECRET), never from literals and never the
-- service-role key. Missing Vault entries: PT503 (visible in cron.job_run_details).

-- Fail fast rather than queue behind (and in front of) live traffic; the CLI runs each
-- migration file in one transaction, so these last for this file only.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- ---------------------------------------------------------------------------------------------
-- What is due
-- ---------------------------------------------------------------------------------------------
create function private.payout_work_due(p_now timestamptz default pg_catalog.now())
returns text[]
language sql
stable
security definer
set search_path = ''
as $$
  select pg_catalog.array_remove(array[
    -- pending schedules past their due time, failed ones past their backoff (index payout_schedules_due_idx;
    -- exhausted schedules have no next_attempt_at)
    case when exists (select 1 from public.payout_schedules s
                      where s.status in ('pending', 'failed') and s.next_attempt_at <= p_now)
         then 'due_schedules' end,
    -- tranches in flight whose claim is free: the holder is gone (no heartbeat for
    -- settings.invocation_stale_after, or finished), or it let go and the lease / settle delay is over
    case when exists (select 1 from public.payout_transfers t
                      join public.payout_schedules s on s.id = t.schedule_id
                      where t.status in ('pending', 'unknown')
                        and case when s.claimed_by_invocation is null then s.lease_expires_at <= p_now
                                 else not exists (
                                   select 1 from private.payout_run_invocations i
                                   where i.id = s.claimed_by_invocation and i.finished_at is null
                                     and i.heartbeat_at > p_now - (private.settings()).invocation_stale_after) end)
         then 'expired_leases' end,
    case when exists (select 1 from private.payout_runs r where r.kind = 'payout_schedules' and r.status = 'running')
         then 'unfinished_run' end,
    -- an admin asked (process_due_payout_schedules) and no invocation started since
    case when exists (select 1 from private.payout_run_requests q
                      where q.kind = 'payout_schedules' and q.requested_at <= p_now
                        and q.requested_at > coalesce((select max(i.started_at) from private.payout_run_invocations i
                                                       where i.kind = 'payout_schedules'), '-infinity'))
         then 'admin_request' end
  ]::text[], null)
$$;
comment on function private.payout_work_due(timestamptz) is
  'Why process-payout-schedules should run at p_now: due_schedules, expired_leases, unfinished_run, admin_request (empty: nothing to do). Cheap indexed EXISTS checks; used by the doorbell.';

create function private.escrow_work_due(p_now timestamptz default pg_catalog.now())
returns text[]
language sql
stable
security definer
set search_path = ''
as $$
  select pg_catalog.array_remove(array[
    -- the rule of private.release_due_escrow_holds: release date at the escrow release time (UTC)
    case when exists (select 1 from public.escrow_holds h
                      join public.placements pl on pl.id = h.placement_id
                      where h.status = 'active'
                        and h.release_scheduled_date <= ((p_now at time zone 'UTC')
                                                         - (private.settings()).escrow_release_time)::date
                        and pl.status <> 'failed')
         then 'due_holds' end,
    case when exists (select 1 from private.payout_runs r where r.kind = 'escrow_releases' and r.status = 'running')
         then 'unfinished_run' end
  ]::text[], null)
$$;
comment on function private.escrow_work_due(timestamptz) is
  'Why process-escrow-releases should run at p_now: due_holds (active holds whose release date at the escrow release time has come), unfinished_run (empty: nothing to do).';

-- ---------------------------------------------------------------------------------------------
-- Ringing
-- ---------------------------------------------------------------------------------------------
create function private.ring_payout_function(
  p_kind text, p_reasons text[], p_trigger text, p_now timestamptz default pg_catalog.now())
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_function text := case p_kind when 'payout_schedules' then 'process-payout-schedules'
                                 when 'escrow_releases' then 'process-escrow-releases' end;
  v_url text;
  v_secret text;
  v_id bigint;
begin
  if v_function is null then
    raise exception 'unknown run kind %', p_kind using errcode = 'PT400';
  end if;
  if p_trigger is null or p_trigger not in ('doorbell', 'admin') then
    raise exception 'p_trigger must be doorbell or admin (got %)', p_trigger using errcode = 'PT400';
  end if;
  select s.decrypted_secret into v_url from vault.decrypted_secrets s where s.name = 'payout_functions_url';
  select s.decrypted_secret into v_secret from vault.decrypted_secrets s where s.name = 'payout_job_secret';
  if coalesce(pg_catalog.btrim(v_url), '') = '' or coalesce(v_secret, '') = '' then
    raise exception 'cannot ring %: Vault secrets payout_functions_url and payout_job_secret are required', v_function
      using errcode = 'PT503',
            hint = 'select vault.create_secret(''https://<project-ref>.supabase.co'', ''payout_functions_url''); '
                   || 'select vault.create_secret(''<PAYOUT_JOB_SECRET>'', ''payout_job_secret'');';
  end if;

  v_id := net.http_post(
    url := pg_catalog.rtrim(pg_catalog.btrim(v_url), '/') || '/functions/v1/' || v_function,
    body := pg_catalog.jsonb_build_object('trigger', p_trigger, 'reasons', pg_catalog.to_jsonb(p_reasons),
                                          'rung_at', p_now),
    headers := pg_catalog.jsonb_build_object('Content-Type', 'application/json', 'x-job-secret', v_secret),
    timeout_milliseconds := 10000);
  insert into private.payout_doorbell_rings (kind, rung_at, request_id, reasons)
  values (p_kind, p_now, v_id, coalesce(p_reasons, '{}'));
  return v_id;
end
$$;
comment on function private.ring_payout_function(text, text[], text, timestamptz) is
  'Internal: queues net.http_post to <payout_functions_url>/functions/v1/process-payout-schedules | process-escrow-releases with header x-job-secret = payout_job_secret (both from Vault; PT503 when missing) and body {trigger, reasons, rung_at}; logs the ring. Sent by pg_net after commit.';

-- Internal: a ring of p_kind is on its way: rung within p_ring_window and no invocation started since.
create function private.doorbell_ring_in_flight(p_kind text, p_now timestamptz, p_ring_window interval)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (select 1 from private.payout_doorbell_rings r
                 where r.kind = p_kind and r.rung_at > p_now - p_ring_window and r.rung_at <= p_now
                   and not exists (select 1 from private.payout_run_invocations i
                                   where i.kind = p_kind and i.started_at >= r.rung_at))
$$;
comment on function private.doorbell_ring_in_flight(text, timestamptz, interval) is
  'Internal: true when a ring of p_kind was queued within p_ring_window and no invocation of that kind started since (the ring is still on its way).';

-- Internal: the common "should this doorbell ring" gates. Null = ring; else why not.
create function private.doorbell_quiet_reason(
  p_kind text, p_now timestamptz, p_stale_after interval, p_ring_window interval)
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select case
    when exists (select 1 from private.payout_run_invocations i
                 where i.kind = p_kind and i.finished_at is null
                   and i.heartbeat_at > p_now - coalesce(p_stale_after, (private.settings()).invocation_stale_after))
      then 'invocation_running'
    when private.doorbell_ring_in_flight(p_kind, p_now, p_ring_window)
      then 'ring_in_flight'
  end
$$;
comment on function private.doorbell_quiet_reason(text, timestamptz, interval, interval) is
  'Internal: why a doorbell of p_kind stays quiet: invocation_running (an invocation with a heartbeat newer than p_stale_after), ring_in_flight (rung within p_ring_window and no invocation started since); null = it may ring.';

create function private.payout_doorbell(
  p_now timestamptz default pg_catalog.now(),
  p_trigger text default 'doorbell',
  p_stale_after interval default null,
  p_ring_window interval default interval '45 seconds')
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_reasons text[];
begin
  -- one doorbell decision at a time (cron and an admin request may meet)
  perform pg_catalog.pg_advisory_xact_lock(1885436300, pg_catalog.hashtext('payout_schedules'));
  if (private.settings()).payouts_paused then
    return null;
  end if;
  if private.doorbell_quiet_reason('payout_schedules', p_now, p_stale_after, p_ring_window) is not null then
    return null;
  end if;
  v_reasons := private.payout_work_due(p_now);
  if pg_catalog.cardinality(v_reasons) = 0 then
    return null;
  end if;
  return private.ring_payout_function('payout_schedules', v_reasons, p_trigger, p_now);
end
$$;
comment on function private.payout_doorbell(timestamptz, text, interval, interval) is
  'The per-minute doorbell of process-payout-schedules (pg_cron job payouts-doorbell): rings the function (net.http_post, URL and job secret from Vault) only when work is due (private.payout_work_due), payouts are not paused, no invocation is working (heartbeat within p_stale_after) and no ring is on its way (p_ring_window). Returns the pg_net request id, or null when it stayed quiet.';

create function private.escrow_release_doorbell(
  p_now timestamptz default pg_catalog.now(),
  p_trigger text default 'doorbell',
  p_stale_after interval default null,
  p_ring_window interval default interval '45 seconds')
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_reasons text[];
begin
  perform pg_catalog.pg_advisory_xact_lock(1885436300, pg_catalog.hashtext('escrow_releases'));
  if private.doorbell_quiet_reason('escrow_releases', p_now, p_stale_after, p_ring_window) is not null then
    return null;
  end if;
  v_reasons := private.escrow_work_due(p_now);
  if pg_catalog.cardinality(v_reasons) = 0 then
    return null;
  end if;
  return private.ring_payout_function('escrow_releases', v_reasons, p_trigger, p_now);
end
$$;
comment on function private.escrow_release_doorbell(timestamptz, text, interval, interval) is
  'The per-minute doorbell of process-escrow-releases (pg_cron job payouts-escrow-doorbell): rings only when holds are due (private.escrow_work_due), no invocation is working and no ring is on its way. Releasing holds moves no money to Stripe, so the payout kill switch does not stop it. Returns the pg_net request id or null.';

-- An invocation that stops for its budget (the isolate's CPU, or wall clock) while work remains
-- hands over: it rings its own function now instead of leaving the work to the next minute. The
-- platform has retired its isolate (past 1 s of CPU), so the ring starts a fresh one, which joins
-- the same run. Only the ring-in-flight gate applies (the caller is itself still running), and
-- nothing rings when nothing is due: no busy loop.
create function private.ring_payout_handover(p_invocation_id uuid, p_now timestamptz default pg_catalog.now())
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_inv private.payout_run_invocations := private.payout_invocation(p_invocation_id);
  v_reasons text[];
begin
  perform pg_catalog.pg_advisory_xact_lock(1885436300, pg_catalog.hashtext(v_inv.kind));
  if v_inv.finished_at is not null
     or (v_inv.kind = 'payout_schedules' and (private.settings()).payouts_paused)
     or private.doorbell_ring_in_flight(v_inv.kind, p_now, interval '45 seconds') then
    return null;
  end if;
  v_reasons := case v_inv.kind when 'payout_schedules' then private.payout_work_due(p_now)
                               else private.escrow_work_due(p_now) end;
  -- the caller's own unfinished run is no reason on its own
  v_reasons := pg_catalog.array_remove(v_reasons, 'unfinished_run');
  if pg_catalog.cardinality(v_reasons) = 0 then
    return null;
  end if;
  return private.ring_payout_function(v_inv.kind, array['handover'] || v_reasons, 'doorbell', p_now);
end
$$;
comment on function private.ring_payout_handover(uuid, timestamptz) is
  'Payout run: the calling invocation stopped for its budget (isolate CPU or wall clock) and hands over: rings its function now (reasons handover + what is due) unless nothing is due, payouts are paused, the invocation is already finished, or a ring is on its way. Returns the pg_net request id or null. PT404 unknown invocation.';

-- ---------------------------------------------------------------------------------------------
-- Housekeeping
-- ---------------------------------------------------------------------------------------------
create function private.cleanup_payout_job_history(
  p_now timestamptz default pg_catalog.now(),
  p_keep_cron interval default interval '7 days',
  p_keep_http interval default interval '1 day',
  p_keep_rings interval default interval '30 days',
  p_keep_runs interval default interval '90 days',
  p_keep_webhook_events interval default interval '35 days',
  p_keep_events interval default interval '30 days',
  p_batch_size integer default 5000,
  p_max_batches integer default 100)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_cron bigint;
  v_http bigint;
  v_rings bigint;
  v_runs bigint := 0;
  v_invocations bigint := 0;
  v_webhooks bigint := 0;
  v_events bigint;
  v_n_runs bigint;
  v_n_invocations bigint;
  v_n bigint;
  v_batches integer;
begin
  if p_now is null or p_keep_cron is null or p_keep_http is null or p_keep_rings is null
     or p_keep_runs is null or p_keep_webhook_events is null or p_keep_events is null then
    raise exception 'cleanup_payout_job_history: p_now and every p_keep_* are required' using errcode = 'PT400';
  end if;
  if p_keep_cron < interval '0' or p_keep_http < interval '0' or p_keep_rings < interval '0'
     or p_keep_runs < interval '0' or p_keep_events < interval '0' then
    raise exception 'cleanup_payout_job_history: retention intervals must not be negative' using errcode = 'PT400';
  end if;
  -- Stripe redelivers an event for up to 3 days and lists it (GET /v1/events) for 30 days: an
  -- inbox row dropped inside that window could come back and be processed a second time.
  if p_keep_webhook_events < interval '30 days' then
    raise exception 'cleanup_payout_job_history: p_keep_webhook_events (%) is shorter than Stripe''s 30-day event window',
      p_keep_webhook_events using errcode = 'PT400';
  end if;
  if p_batch_size is null or p_batch_size < 1 or p_batch_size > 100000
     or p_max_batches is null or p_max_batches < 1 or p_max_batches > 10000 then
    raise exception 'cleanup_payout_job_history: p_batch_size must be 1..100000 and p_max_batches 1..10000'
      using errcode = 'PT400';
  end if;

  -- finished cron runs (the table is pg_cron's, shared by every job of the database)
  delete from cron.job_run_details d where d.end_time < p_now - p_keep_cron;
  get diagnostics v_cron = row_count;
  -- pg_net responses (pg_net keeps them 6 h by default on Supabase; the local stand-in forever)
  delete from net._http_response r where r.created < p_now - p_keep_http;
  get diagnostics v_http = row_count;
  delete from private.payout_doorbell_rings r where r.rung_at < p_now - p_keep_rings;
  get diagnostics v_rings = row_count;

  -- Run history: finished runs older than p_keep_runs, with their invocations, in batches of
  -- p_batch_size runs. Never a running run, never a run with an open invocation (one may still
  -- be finishing after another one finished the run). Neither table is audited (operational
  -- history, not money). Nothing references them by foreign key but invocations -> runs (deleted
  -- in the same statement; NO ACTION is checked at its end); payout_schedules.claimed_by_invocation
  -- and payout_transfer_requests.prepared_by_run are plain uuids: a missing invocation reads as a
  -- gone holder, which a finished one already is.
  v_batches := 0;
  loop
    with victims as (
      select r.id from private.payout_runs r
      where r.status = 'finished'
        and r.started_at < p_now - p_keep_runs
        and r.finished_at < p_now - p_keep_runs
        and not exists (select 1 from private.payout_run_invocations i
                        where i.run_id = r.id and i.finished_at is null)
      order by r.started_at, r.id
      limit p_batch_size
      for update of r skip locked
    ), del_invocations as (
      delete from private.payout_run_invocations i using victims v where i.run_id = v.id returning 1
    ), del_runs as (
      delete from private.payout_runs r using victims v where r.id = v.id returning 1
    )
    select (select count(*) from del_runs), (select count(*) from del_invocations)
      into v_n_runs, v_n_invocations;
    v_runs := v_runs + v_n_runs;
    v_invocations := v_invocations + v_n_invocations;
    v_batches := v_batches + 1;
    exit when v_n_runs < p_batch_size or v_batches >= p_max_batches;
  end loop;

  -- Webhook inbox: processed or ignored events past Stripe's event window (by Stripe's creation
  -- time and by our receipt). Failed and received (unprocessed) events stay: they are retried and
  -- listed in public.payout_alerts. Not audited; nothing references the inbox by foreign key.
  v_batches := 0;
  loop
    with victims as (
      select e.id from private.stripe_webhook_events e
      where e.received_at < p_now - p_keep_webhook_events
        and e.stripe_created_at < p_now - p_keep_webhook_events
        and e.status in ('processed', 'ignored')
      order by e.received_at, e.id
      limit p_batch_size
      for update of e skip locked
    )
    delete from private.stripe_webhook_events e using victims v where e.id = v.id;
    get diagnostics v_n = row_count;
    v_webhooks := v_webhooks + v_n;
    v_batches := v_batches + 1;
    exit when v_n < p_batch_size or v_batches >= p_max_batches;
  end loop;

  -- Outbox: what every registered consumer committed past and older than the floor
  -- (private.prune_payout_events, 20261201090000).
  v_events := private.prune_payout_events(p_now, p_keep_events, p_batch_size, p_max_batches);

  return pg_catalog.jsonb_build_object('cron_job_run_details', v_cron, 'http_responses', v_http,
                                       'doorbell_rings', v_rings, 'payout_runs', v_runs,
                                       'payout_run_invocations', v_invocations,
                                       'stripe_webhook_events', v_webhooks, 'payout_events', v_events);
end
$$;
comment on function private.cleanup_payout_job_history(timestamptz, interval, interval, interval, interval, interval, interval, integer, integer) is
  'Daily cron job payouts-cleanup: deletes cron.job_run_details older than p_keep_cron (7 days), net._http_response older than p_keep_http (1 day), doorbell rings older than p_keep_rings (30 days), finished payout runs (none of their invocations open) finished more than p_keep_runs (90 days) ago with their invocations, processed/ignored Stripe webhook inbox rows received and created more than p_keep_webhook_events (35 days, at least Stripe''s 30-day event window) ago, and outbox events every registered consumer committed past and older than p_keep_events (30 days; private.prune_payout_events). Each of the last three in batches of p_batch_size (5000), at most p_max_batches (100) per call: the rest goes on the next run. Returns the counts per table. PT400 for a null or negative interval, a webhook window under 30 days, or batch sizes out of range.';

create function private.setup_payout_cron(
  p_enabled boolean default true,
  p_doorbell_schedule text default '* * * * *',
  p_escrow_doorbell_schedule text default '* * * * *',
  p_cleanup_schedule text default '17 4 * * *')
returns table (jobname text, schedule text, command text, active boolean)
language plpgsql
volatile
set search_path = ''
as $$
#variable_conflict use_column
begin
  -- every job this function owns, whatever an older version scheduled
  perform cron.unschedule(j.jobid) from cron.job j where j.jobname like 'payouts-%';
  if coalesce(p_enabled, true) then
    perform cron.schedule('payouts-doorbell', p_doorbell_schedule, 'select private.payout_doorbell()');
    perform cron.schedule('payouts-escrow-doorbell', p_escrow_doorbell_schedule,
                          'select private.escrow_release_doorbell()');
    perform cron.schedule('payouts-cleanup', p_cleanup_schedule, 'select private.cleanup_payout_job_history()');
    -- partitions ahead and incremental audit verification (20261127090500)
    perform cron.schedule('payouts-audit', '7 * * * *', 'select private.maintain_payout_audit()');
  end if;
  return query
  select j.jobname::text, j.schedule::text, j.command::text, j.active
  from cron.job j where j.jobname like 'payouts-%' order by j.jobname;
end
$$;
comment on function private.setup_payout_cron(boolean, text, text, text) is
  'The cron setup of the payout runs (idempotent; part of private.setup_cron, which deploys run as postgres after db push): unschedules every payouts-* job, then (p_enabled) schedules payouts-doorbell and payouts-escrow-doorbell every minute, payouts-audit hourly (partitions ahead, incremental audit verification) and payouts-cleanup daily. The commands are plain function calls: URLs and secrets come from Vault at run time. Returns the jobs. setup_payout_cron(false) removes them.';

-- ---------------------------------------------------------------------------------------------
-- "Process due payout schedules now": the database part of public.process_due_payout_schedules
-- ---------------------------------------------------------------------------------------------
-- The admin RPC (20261128090200) calls this. When schedules are due it records the request
-- (private.payout_run_requests, audited; itself a reason for the next doorbell), emits
-- payout_run.requested and rings the doorbell at once (trigger 'admin'). When no schedule is due
-- it records nothing and rings nothing (nothing_due: true): a run would only start and finish
-- empty. Other work of the payout function (tranches to reconcile, an unfinished run) needs no
-- button: the per-minute doorbell rings for it (private.payout_work_due).
create function private.request_payout_run(p_now timestamptz default pg_catalog.now())
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_due uuid[];
  v_id uuid;
  v_result jsonb;
  v_ring bigint;
  v_ring_error text;
begin
  select coalesce(pg_catalog.array_agg(s.id order by coalesce(s.next_attempt_at, s.lease_expires_at), s.id), '{}')
    into v_due
  from public.payout_schedules s
  where (s.status = 'pending' and s.next_attempt_at <= p_now)
     or (s.status = 'failed' and s.retry_count < s.max_attempts and s.next_attempt_at <= p_now)
     or (s.status = 'processing' and s.lease_expires_at <= p_now
         and exists (select 1 from public.payout_transfers t where t.schedule_id = s.id and t.status = 'pending'));

  v_result := pg_catalog.jsonb_build_object(
    'due_schedule_ids', pg_catalog.to_jsonb(v_due),
    'due_count', pg_catalog.cardinality(v_due));

  if pg_catalog.cardinality(v_due) = 0 then
    return pg_catalog.jsonb_build_object('request_id', null, 'kind', 'payout_schedules', 'requested_at', p_now)
           || v_result
           || pg_catalog.jsonb_build_object('nothing_due', true, 'doorbell_request_id', null);
  end if;

  perform private.set_audit_context('payout_run.request', null);
  insert into private.payout_run_requests (kind, requested_by, requested_at, result)
  values ('payout_schedules', private.actor_id(), p_now, v_result)
  returning id into v_id;
  perform private.emit_event('payout_run.requested', 'payout_run_request', v_id, null, null,
    v_result || pg_catalog.jsonb_build_object('kind', 'payout_schedules', 'requested_at', p_now));
  perform private.clear_audit_context();

  -- Ring process-payout-schedules now (sent by pg_net when this transaction commits). The
  -- request row above is itself a reason for the next doorbell, so a failure here (e.g. Vault
  -- not configured yet) only delays the run to the next minute: it never fails the request.
  begin
    v_ring := private.payout_doorbell(p_now, 'admin');
  exception when others then
    v_ring_error := pg_catalog.left(sqlerrm, 300);
  end;

  return pg_catalog.jsonb_build_object('request_id', v_id, 'kind', 'payout_schedules', 'requested_at', p_now)
         || v_result
         || pg_catalog.jsonb_build_object('nothing_due', false, 'doorbell_request_id', v_ring)
         || case when v_ring_error is null then '{}'::jsonb
                 else pg_catalog.jsonb_build_object('doorbell_error', v_ring_error) end;
end
$$;
comment on function private.request_payout_run(timestamptz) is
  'Database part of public.process_due_payout_schedules. No schedule due at p_now: records and rings nothing (the per-minute doorbell rings for any other work), returns request_id null and nothing_due true. Otherwise records a payout_run_requests row with the schedules due (pending/failed due, or processing with an expired lease and a pending tranche), emits payout_run.requested and rings the payout doorbell (trigger admin; quiet while paused or while an invocation is working, which picks the work up). Returns {request_id, kind, requested_at, due_schedule_ids, due_count, nothing_due, doorbell_request_id (null: not rung), doorbell_error?}.';

revoke execute on function
  private.payout_work_due(timestamptz),
  private.escrow_work_due(timestamptz),
  private.ring_payout_function(text, text[], text, timestamptz),
  private.doorbell_quiet_reason(text, timestamptz, interval, interval),
  private.doorbell_ring_in_flight(text, timestamptz, interval),
  private.payout_doorbell(timestamptz, text, interval, interval),
  private.escrow_release_doorbell(timestamptz, text, interval, interval),
  private.ring_payout_handover(uuid, timestamptz),
  private.cleanup_payout_job_history(timestamptz, interval, interval, interval, interval, interval, interval, integer, integer),
  private.setup_payout_cron(boolean, text, text, text),
  private.request_payout_run(timestamptz)
from public, anon, authenticated, service_role;
grant execute on function private.ring_payout_handover(uuid, timestamptz) to payout_runner;
