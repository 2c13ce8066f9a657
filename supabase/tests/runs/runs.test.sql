-- Runs and invocations: one running run per kind, invocations join it, a run finishes when an
-- invocation finds nothing left and nobody else works on it, stale invocations are closed as
-- abandoned, totals are the sums of the invocations.
begin;
\ir ../money/_fixtures.psql
select plan(28);

delete from private.payout_run_invocations;
delete from private.payout_runs;
select is((select invocation_stale_after from private.payout_settings), interval '20 seconds',
  'an invocation without heartbeat for 20 s is gone (the default)');
-- this file's timeline moves in minutes
select private.configure_payout_settings(p_invocation_stale_after => interval '2 minutes', p_reason => 'test timeline');

-- ---------------------------------------------------------------------------------------------
-- begin
-- ---------------------------------------------------------------------------------------------
create temp table b1 as
select * from private.begin_payout_invocation('00000000-0000-4000-8000-0000000000b1', 'payout_schedules', 'doorbell',
                                               '2000-01-13 02:00Z');
select is((select resumed from b1), false, 'the first invocation starts a run');
select is((select status || ' ' || trigger || ' ' || started_at from private.payout_runs),
  'running doorbell 2000-01-13 02:00:00+00', '... running, with its trigger and start');
create temp table b2 as
select * from private.begin_payout_invocation('00000000-0000-4000-8000-0000000000b2', 'payout_schedules', 'admin',
                                               '2000-01-13 02:00:30Z');
select is((select run_id from b2), (select run_id from b1), 'a second invocation joins the running run');
select is((select resumed from b2), true, '... resumed');
select is((select run_id from private.begin_payout_invocation('00000000-0000-4000-8000-0000000000b2', 'payout_schedules',
                                                              'admin', '2000-01-13 02:00:40Z')),
  (select run_id from b1), 'the same invocation again: its run (idempotent)');
select is((select count(*)::int from private.payout_run_invocations), 2, '... not a second row');
create temp table e1 as
select * from private.begin_payout_invocation('00000000-0000-4000-8000-0000000000e1', 'escrow_releases', 'doorbell',
                                               '2000-01-13 02:00Z');
select isnt((select run_id from e1), (select run_id from b1), 'escrow releases have their own run');
select is((select invocations from private.payout_runs where id = (select run_id from b1)), 2::bigint,
  'the run counts its invocations');

select throws_ok($$ select * from private.begin_payout_invocation(null, 'payout_schedules') $$, 'PT400', null, 'id required');
select throws_ok($$ select * from private.begin_payout_invocation(gen_random_uuid(), 'refunds') $$, 'PT400', null,
  'unknown kind');
select throws_ok($$ select * from private.begin_payout_invocation(gen_random_uuid(), 'payout_schedules', 'cron') $$,
  'PT400', null, 'unknown trigger');
select throws_ok($$ select * from private.heartbeat_payout_invocation(gen_random_uuid()) $$, 'PT404', null,
  'heartbeat of an unknown invocation');

-- ---------------------------------------------------------------------------------------------
-- finishing
-- ---------------------------------------------------------------------------------------------
select private.finish_payout_invocation('00000000-0000-4000-8000-0000000000b1', 'done', '2000-01-13 02:01Z');
select is((select status from private.payout_runs where id = (select run_id from b1)), 'running',
  'done, but another invocation still works: the run goes on');
select is((select alive from private.heartbeat_payout_invocation('00000000-0000-4000-8000-0000000000b1', '2000-01-13 02:01Z')),
  false, 'a finished invocation is not alive');
select private.finish_payout_invocation('00000000-0000-4000-8000-0000000000b2', 'budget', '2000-01-13 02:02Z');
select is((select status from private.payout_runs where id = (select run_id from b1)), 'running',
  'the last one ran out of budget: the run is unfinished (the next doorbell continues it)');

-- a stale invocation: closed as abandoned by the next begin
select private.begin_payout_invocation('00000000-0000-4000-8000-0000000000b3', 'payout_schedules', 'doorbell',
                                       '2000-01-13 02:03Z');
select private.begin_payout_invocation('00000000-0000-4000-8000-0000000000b4', 'payout_schedules', 'doorbell',
                                       '2000-01-13 02:10Z');
select is((select outcome from private.payout_run_invocations where id = '00000000-0000-4000-8000-0000000000b3'),
  'abandoned', 'an invocation without heartbeat for 2 minutes is closed as abandoned');
select is((select run_id from private.payout_run_invocations where id = '00000000-0000-4000-8000-0000000000b4'),
  (select run_id from b1), 'the unfinished run is continued');
select private.finish_payout_invocation('00000000-0000-4000-8000-0000000000b4', 'done', '2000-01-13 02:11Z');
select is((select status || ' ' || finish_reason || ' ' || finished_at from private.payout_runs where id = (select run_id from b1)),
  'finished done 2000-01-13 02:11:00+00', 'nothing left, nobody else working: the run is finished');
select private.begin_payout_invocation('00000000-0000-4000-8000-0000000000b5', 'payout_schedules', 'manual',
                                       '2000-01-13 03:00Z');
select isnt((select run_id from private.payout_run_invocations where id = '00000000-0000-4000-8000-0000000000b5'),
  (select run_id from b1), 'the next invocation starts a new run');
select throws_ok($$ select private.finish_payout_invocation('00000000-0000-4000-8000-0000000000b5', 'abandoned') $$,
  'PT400', null, 'abandoned is for stale invocations only');

-- ---------------------------------------------------------------------------------------------
-- totals
-- ---------------------------------------------------------------------------------------------
select money_test.remember('pl', money_test.placement(100000, 0, '{6000,4000}'));
select money_test.invoice(money_test.id('pl'));
select money_test.remember('rec', (select recruiter_id from payouts where placement_id = money_test.id('pl') limit 1));
select private.set_recruiter_paused(money_test.id('rec'), true, 'runs test', '2000-01-10');
select is((select array_agg(outcome order by outcome) from private.claim_payout_batch(
             '00000000-0000-4000-8000-0000000000b5', 10, null, '2000-01-13 03:00Z')),
  '{claimed,skipped}'::text[], 'claim_payout_batch: one claimed, one skipped (recruiter paused)');
select is((select claimed || '/' || skipped || ' ' || skip_reasons::text from private.payout_run_invocations
           where id = '00000000-0000-4000-8000-0000000000b5'), '1/1 {"recruiter_paused": 1}',
  'counted on the invocation, with the skip reason');
select private.record_payout_run_error('00000000-0000-4000-8000-0000000000b5',
  jsonb_build_object('code', 'e' || g, 'message', repeat('x', 2000)), '2000-01-13 03:00Z'::timestamptz + make_interval(secs => g))
from generate_series(1, 25) g;
select is((select jsonb_array_length(errors) || ' ' || error_count || ' ' || (errors -> -1 ->> 'code')
           || ' ' || length(errors -> -1 ->> 'message') from private.payout_run_invocations
           where id = '00000000-0000-4000-8000-0000000000b5'), '20 25 e25 1000',
  'errors: all counted, the last 20 kept (messages cut at 1000 characters)');
select throws_ok($$ select private.record_payout_run_error('00000000-0000-4000-8000-0000000000b5', '[]') $$, 'PT400',
  null, 'an error is a JSON object');
select private.finish_payout_invocation('00000000-0000-4000-8000-0000000000b5', 'done', '2000-01-13 03:01Z');
select is((select r.claimed || '/' || r.skipped || ' ' || r.error_count || ' ' || r.skip_reasons::text || ' '
                  || jsonb_array_length(r.errors)
           from private.payout_runs r join private.payout_run_invocations i on i.run_id = r.id
           where i.id = '00000000-0000-4000-8000-0000000000b5'), '1/1 25 {"recruiter_paused": 1} 20',
  'the run''s totals are its invocations'' sums');
select is((select count(*)::int from private.payout_runs where kind = 'payout_schedules' and status = 'running'), 0,
  'no run left running');
select ok(not exists (select 1 from private.payout_problems()), 'the tranche invariant holds');

select * from finish();
rollback;
