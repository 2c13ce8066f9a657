-- The events catch-up's state (20261202090000, table in 20261130090100): runs over [cursor - overlap,
-- now] never before Stripe's 30 days, the unfinished run continued by anyone, progress forward only,
-- the cursor never backwards, the retention gap in payout_alerts, audited, the hand-over ring, who
-- may call it.
begin;
\ir ../money/_fixtures.psql
select plan(29);

delete from vault.secrets where name in ('payout_functions_url', 'payout_job_secret');
select vault.create_secret('https://project-ref.supabase.test/', 'payout_functions_url');
select vault.create_secret('catch-up-test-secret-0123456789abcdef01234', 'payout_job_secret');
-- a fresh state row for this test (rolled back)
update private.stripe_event_catch_up
   set cursor_at = null, run_id = null, run_started_at = null, window_start = null, window_end = null,
       source = null, covered_from = null, gap_from = null, gap_until = null, gap_detected_at = null;
select private.set_recruiter_connect_account(money_test.recruiter('catch-up b', null), 'acct_CatchUpB', 'active', '2000-01-01');
select private.set_recruiter_connect_account(money_test.recruiter('catch-up a', null), 'acct_CatchUpA', 'active', '2000-01-01');

-- ---------------------------------------------------------------------------------------------
-- the first run: 30 days back, no gap
-- ---------------------------------------------------------------------------------------------
select is((select row(since, window_end, resumed, gap_from)::text
           from private.begin_stripe_events_catch_up('00000000-0000-4000-8000-0000000c0001', '10 minutes', '2000-03-01 00:00Z')),
  '("2000-01-31 00:00:00+00","2000-03-01 00:00:00+00",f,)', 'first run: from 30 days back (Stripe''s retention), no gap');
select is((select sources[1:1] from private.begin_stripe_events_catch_up('00000000-0000-4000-8000-0000000c0009', '0', '2000-03-01 00:01Z')),
  array['platform'], 'sources: the platform first');
select ok((select array_position(sources, 'acct_CatchUpA') < array_position(sources, 'acct_CatchUpB')
           from private.begin_stripe_events_catch_up('00000000-0000-4000-8000-0000000c0009', '0', '2000-03-01 00:01Z')),
  '... then the connected accounts by id');
select is((select row(run_id, resumed)::text
           from private.begin_stripe_events_catch_up('00000000-0000-4000-8000-0000000c0009', '0', '2000-03-01 00:02Z')),
  '(00000000-0000-4000-8000-0000000c0001,t)', 'an unfinished run is continued whatever run id asks');

-- progress: forward only
select ok(not private.record_stripe_events_catch_up_progress('00000000-0000-4000-8000-0000000c0001', 'platform',
            null, '2000-03-01 00:03Z'), 'progress: stopping where the run began (the platform, nothing covered) is none');
select ok(private.record_stripe_events_catch_up_progress('00000000-0000-4000-8000-0000000c0001', 'platform',
            '2000-02-20 00:00Z', '2000-03-01 00:03Z'), 'progress: the platform covered down to 20 Feb');
select ok(not private.record_stripe_events_catch_up_progress('00000000-0000-4000-8000-0000000c0001', 'platform',
            '2000-02-25 00:00Z', '2000-03-01 00:04Z'), 'progress behind the recorded one: nothing changes');
select ok(not private.record_stripe_events_catch_up_progress('00000000-0000-4000-8000-0000000c0002', 'platform',
            '2000-02-01 00:00Z', '2000-03-01 00:04Z'), 'progress of another run: nothing changes');
select is((select row(source, covered_from)::text from private.stripe_event_catch_up), '(platform,"2000-02-20 00:00:00+00")',
  '... the recorded position stays');
select ok(private.record_stripe_events_catch_up_progress('00000000-0000-4000-8000-0000000c0001', 'acct_CatchUpA',
            null, '2000-03-01 00:05Z'), 'progress to the next source (nothing of it yet)');
select ok(not private.record_stripe_events_catch_up_progress('00000000-0000-4000-8000-0000000c0001', 'acct_CatchUpA',
            null, '2000-03-01 00:05Z'), 'the same source with nothing covered again: no progress (so no hand-over loop)');
select ok(not private.record_stripe_events_catch_up_progress('00000000-0000-4000-8000-0000000c0001', 'platform',
            '2000-02-01 00:00Z', '2000-03-01 00:06Z'), 'back to an earlier source: nothing changes');
select is((select row(sources[1], covered_from)::text
           from private.begin_stripe_events_catch_up('00000000-0000-4000-8000-0000000c0001', '0', '2000-03-01 00:07Z')),
  '(acct_CatchUpA,)', 'the continuation starts at the recorded source');
select throws_ok($$ select private.record_stripe_events_catch_up_progress('00000000-0000-4000-8000-0000000c0001',
                     'not a source', null) $$, 'PT400', null, 'a malformed source: PT400');
select throws_ok($$ select private.record_stripe_events_catch_up_progress('00000000-0000-4000-8000-0000000c0001',
                     'platform', 'infinity') $$, 'PT400', null, 'an infinite covered_from: PT400');

-- ---------------------------------------------------------------------------------------------
-- finishing: the cursor moves to the window's end, never backwards
-- ---------------------------------------------------------------------------------------------
select is(private.finish_stripe_events_catch_up('00000000-0000-4000-8000-0000000c0002', '{}', '2000-03-01 00:08Z'),
  '{"finished": false, "cursor_at": null}'::jsonb, 'finishing another run: nothing changes');
select is(private.finish_stripe_events_catch_up('00000000-0000-4000-8000-0000000c0001', '{"recovered": 3}', '2000-03-01 00:08Z')
            ->> 'cursor_at', '2000-03-01T00:00:00+00:00', 'finished: the cursor is the window''s end');
select is((select row(run_id, source, covered_from, last_result ->> 'recovered')::text from private.stripe_event_catch_up),
  '(,,,3)', '... the run cleared, its result kept');
select is((select row(since, window_end)::text
           from private.begin_stripe_events_catch_up('00000000-0000-4000-8000-0000000c0003', '10 minutes', '2000-03-01 01:00Z')),
  '("2000-02-29 23:50:00+00","2000-03-01 01:00:00+00")', 'the next run: from the cursor minus the overlap');
select is(private.finish_stripe_events_catch_up('00000000-0000-4000-8000-0000000c0003', '{}', '2000-03-01 01:00Z') ->> 'cursor_at',
  '2000-03-01T01:00:00+00:00', '... its end is the cursor');
-- a run whose clock is behind the cursor (p_now earlier): the cursor does not move back
select is((select window_end from private.begin_stripe_events_catch_up('00000000-0000-4000-8000-0000000c0004', '0', '2000-03-01 00:30Z')),
  '2000-03-01 00:30Z'::timestamptz, 'a run at an earlier time: its window ends then');
select is(private.finish_stripe_events_catch_up('00000000-0000-4000-8000-0000000c0004', '{}', '2000-03-01 00:30Z') ->> 'cursor_at',
  '2000-03-01T01:00:00+00:00', '... and the cursor does not move backwards');

-- ---------------------------------------------------------------------------------------------
-- past Stripe's 30 days: a gap, shown in payout_alerts
-- ---------------------------------------------------------------------------------------------
select is((select row(since, gap_from, gap_until)::text
           from private.begin_stripe_events_catch_up('00000000-0000-4000-8000-0000000c0005', '10 minutes', '2000-05-01 00:00Z')),
  '("2000-04-01 00:00:00+00","2000-03-01 00:50:00+00","2000-04-01 00:00:00+00")',
  'a cursor older than 30 days: the run starts 30 days back and reports the gap');
select is((select details - 'cursor_at' from private.payout_alert_rows('2000-05-01 00:01Z') where kind = 'stripe_events_gap'),
  '{"gap_from": "2000-03-01T00:50:00+00:00", "gap_until": "2000-04-01T00:00:00+00:00"}'::jsonb,
  'payout_alerts: stripe_events_gap with the gap');
select is((select count(*)::int from private.payout_alert_rows('2000-06-01 00:00Z') where kind = 'stripe_events_gap'), 0,
  '... for 30 days');

-- audited, and the hand-over ring
select ok((select count(*) >= 8 from public.payout_audit_log a
           where a.entity_type = 'stripe_event_catch_up'
             and a.entity_id = (select id from private.stripe_event_catch_up)), 'every change of the state row is audited');
select private.ring_stripe_sync_handover('stripe-events-catch-up', '00000000-0000-4000-8000-0000000c0005',
                                        '2000-05-01 00:02Z') as ring \gset
select is(convert_from((select q.body from net.http_request_queue q where q.id = :ring), 'UTF8')::jsonb - 'rung_at',
  '{"trigger": "handover", "run_id": "00000000-0000-4000-8000-0000000c0005"}'::jsonb,
  'hand-over: stripe-events-catch-up rung for its unfinished run');
select is(private.ring_stripe_sync_handover('stripe-events-catch-up', '00000000-0000-4000-8000-0000000c0004', '2000-05-01 00:02Z'),
  null, '... not for a finished run');

-- who may call it
select ok(not has_function_privilege('authenticated', 'private.begin_stripe_events_catch_up(uuid, interval, timestamptz)', 'execute')
          and not has_function_privilege('service_role', 'private.finish_stripe_events_catch_up(uuid, jsonb, timestamptz)', 'execute')
          and has_function_privilege('stripe_sync', 'private.stripe_events_not_in_inbox(text[])', 'execute'),
  'stripe_sync only');

select * from finish();
rollback;
