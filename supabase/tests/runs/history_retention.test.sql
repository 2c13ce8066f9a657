-- Retention of run history and of the Stripe webhook inbox by private.cleanup_payout_job_history:
-- finished runs (no open invocation) older than p_keep_runs go with their invocations; running
-- runs, runs with an open invocation and recent runs stay. Processed/ignored inbox rows past the
-- window go; failed and unprocessed ones stay whatever their age. Time is injected (p_now).
begin;
set local search_path = public, extensions;
select plan(17);

delete from private.payout_run_invocations;
delete from private.payout_runs;

create temporary table t_now on commit drop as select timestamptz '2027-06-01 04:17:00+00' as now;

-- runs: old finished (2 invocations), old finished with an open invocation, old running, recent finished
insert into private.payout_runs (id, kind, status, trigger, started_at, finished_at, finish_reason, last_invocation_at) values
  ('00000000-0000-4000-8000-000000000001', 'payout_schedules', 'finished', 'doorbell', '2027-01-01', '2027-01-01 00:05', 'done', '2027-01-01 00:05'),
  ('00000000-0000-4000-8000-000000000002', 'escrow_releases',  'finished', 'doorbell', '2027-01-02', '2027-01-02 00:05', 'done', '2027-01-02 00:05'),
  ('00000000-0000-4000-8000-000000000003', 'payout_schedules', 'running',  'doorbell', '2027-01-03', null, null, '2027-01-03 00:05'),
  ('00000000-0000-4000-8000-000000000004', 'escrow_releases',  'finished', 'doorbell', '2027-05-20', '2027-05-20 00:05', 'done', '2027-05-20 00:05'),
  ('00000000-0000-4000-8000-000000000005', 'payout_schedules', 'finished', 'doorbell', '2027-01-04', '2027-01-04 00:05', 'done', '2027-01-04 00:05');
insert into private.payout_run_invocations (id, run_id, kind, trigger, started_at, heartbeat_at, finished_at, outcome) values
  ('10000000-0000-4000-8000-000000000011', '00000000-0000-4000-8000-000000000001', 'payout_schedules', 'doorbell', '2027-01-01', '2027-01-01 00:01', '2027-01-01 00:02', 'budget'),
  ('10000000-0000-4000-8000-000000000012', '00000000-0000-4000-8000-000000000001', 'payout_schedules', 'doorbell', '2027-01-01 00:03', '2027-01-01 00:05', '2027-01-01 00:05', 'done'),
  ('10000000-0000-4000-8000-000000000021', '00000000-0000-4000-8000-000000000002', 'escrow_releases', 'doorbell', '2027-01-02', '2027-01-02 00:05', '2027-01-02 00:05', 'done'),
  ('10000000-0000-4000-8000-000000000022', '00000000-0000-4000-8000-000000000002', 'escrow_releases', 'doorbell', '2027-01-02', '2027-01-02 00:04', null, null),
  ('10000000-0000-4000-8000-000000000031', '00000000-0000-4000-8000-000000000003', 'payout_schedules', 'doorbell', '2027-01-03', '2027-01-03 00:01', '2027-01-03 00:01', 'abandoned'),
  ('10000000-0000-4000-8000-000000000041', '00000000-0000-4000-8000-000000000004', 'escrow_releases', 'doorbell', '2027-05-20', '2027-05-20 00:05', '2027-05-20 00:05', 'done'),
  ('10000000-0000-4000-8000-000000000051', '00000000-0000-4000-8000-000000000005', 'payout_schedules', 'doorbell', '2027-01-04', '2027-01-04 00:05', '2027-01-04 00:05', 'done');

-- webhook inbox
insert into private.stripe_webhook_events (id, type, endpoint, livemode, stripe_created_at, payload, status,
                                           last_error, attempts, received_at, last_delivery_at, processed_at) values
  ('evt_old_processed', 'invoice.paid', 'platform', false, '2027-04-01', '{}', 'processed', null, 1, '2027-04-01', '2027-04-01', '2027-04-01'),
  ('evt_old_ignored', 'charge.updated', 'platform', false, '2027-04-02', '{}', 'ignored', null, 1, '2027-04-02', '2027-04-02', '2027-04-02'),
  ('evt_old_failed', 'invoice.paid', 'platform', false, '2027-04-01', '{}', 'failed', '{"code":"x","message":"y"}', 3, '2027-04-01', '2027-04-01', null),
  ('evt_old_received', 'invoice.paid', 'platform', false, '2027-04-01', '{}', 'received', null, 0, '2027-04-01', '2027-04-01', null),
  ('evt_recent_processed', 'invoice.paid', 'platform', false, '2027-05-10', '{}', 'processed', null, 1, '2027-05-10', '2027-05-10', '2027-05-10'),
  -- created at Stripe inside the window, received late: Stripe may still list it
  ('evt_created_recently_received_old', 'invoice.paid', 'platform', false, '2027-05-10', '{}', 'processed', null, 1, '2027-04-01', '2027-04-01', '2027-04-01');

-- refusals
select throws_ok($$ select private.cleanup_payout_job_history((select now from t_now), p_keep_webhook_events => interval '29 days') $$,
  'PT400', null, 'a webhook window under Stripe''s 30 days is refused');
select throws_ok($$ select private.cleanup_payout_job_history((select now from t_now), p_keep_runs => interval '-1 day') $$,
  'PT400', null, 'a negative retention is refused');
select throws_ok($$ select private.cleanup_payout_job_history((select now from t_now), p_keep_runs => null) $$,
  'PT400', null, 'a null retention is refused');
select throws_ok($$ select private.cleanup_payout_job_history((select now from t_now), p_batch_size => 0) $$,
  'PT400', null, 'a batch size of 0 is refused');

-- batches of one run, at most one batch: one old run per call, oldest first
create temporary table r1 on commit drop as
select private.cleanup_payout_job_history((select now from t_now), p_batch_size => 1, p_max_batches => 1) as r;
select is((select (r ->> 'payout_runs')::int from r1), 1, 'bounded: a batch of 1, one batch: one run per call');
select is((select count(*)::int from private.payout_runs where id = '00000000-0000-4000-8000-000000000001'), 0,
  '... the oldest finished one first');
select is((select count(*)::int from private.payout_run_invocations where run_id = '00000000-0000-4000-8000-000000000001'), 0,
  '... with its invocations');

create temporary table r2 on commit drop as
select private.cleanup_payout_job_history((select now from t_now)) as r;
select is((select array_agg(id::text order by id) from private.payout_runs),
  array['00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-000000000004'],
  'kept: the finished run with an open invocation, the running run, the run finished 12 days ago');
select is((select array_agg(id::text order by id) from private.payout_run_invocations),
  array['10000000-0000-4000-8000-000000000021', '10000000-0000-4000-8000-000000000022',
        '10000000-0000-4000-8000-000000000031', '10000000-0000-4000-8000-000000000041'],
  'kept: the invocations of the kept runs');
select is((select (r ->> 'payout_runs')::int || '/' || (r ->> 'payout_run_invocations') from r2), '1/1',
  'the counts: one run and its one invocation in the second call');
select is((select (r ->> 'stripe_webhook_events')::int from r1) || '+' || (select (r ->> 'stripe_webhook_events') from r2), '1+1',
  'two inbox rows deleted, one per call with batches of 1 and one batch');
select is((select array_agg(id order by id) from private.stripe_webhook_events where id in
            ('evt_old_processed', 'evt_old_ignored', 'evt_old_failed', 'evt_old_received', 'evt_recent_processed',
             'evt_created_recently_received_old')),
  array['evt_created_recently_received_old', 'evt_old_failed', 'evt_old_received', 'evt_recent_processed'],
  'inbox: processed and ignored past 35 days deleted; failed, unprocessed, recent and Stripe-recent kept');
select ok((select r ?& array['cron_job_run_details', 'http_responses', 'doorbell_rings', 'payout_runs',
                             'payout_run_invocations', 'stripe_webhook_events', 'payout_events'] from r2),
  'the result counts every table');

-- a shorter run retention reaches the recent run, never the running one nor the open invocation's
select is((select (private.cleanup_payout_job_history((select now from t_now), p_keep_runs => interval '1 day') ->> 'payout_runs')::int), 1,
  'p_keep_runs is a parameter: 1 day reaches the run finished 12 days ago');
select is((select array_agg(id::text order by id) from private.payout_runs),
  array['00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000003'],
  'never a running run nor a run with an open invocation');

-- privileges
select is((select count(*)::int from unnest(array['anon', 'authenticated', 'service_role', 'payout_jobs', 'payout_runner', 'payout_worker']) r(role)
           where has_function_privilege(r.role,
             'private.cleanup_payout_job_history(timestamptz, interval, interval, interval, interval, interval, interval, integer, integer)', 'execute')),
  0, 'cleanup_payout_job_history is the owner''s (pg_cron) only');
select is((select count(*)::int from cron.job where jobname = 'payouts-cleanup'
           and command <> 'select private.cleanup_payout_job_history()'), 0,
  'the cron job still calls it with the defaults');

select * from finish();
rollback;
