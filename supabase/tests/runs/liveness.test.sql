-- Who holds a claim: the invocation that claimed it keeps it while it beats, however long its
-- tranche waits (no lease can run out under a live holder); once its heartbeat is older than
-- settings.invocation_stale_after (20 s), or it finished, its claims are free at once, whatever
-- their lease. A tranche the holder let go (deferred, unknown) is free when its delay is over.
-- The hand-over ring: an invocation that stopped for its budget rings its function now, never when
-- nothing is due. Run as payout_worker where the Edge Function would; time is injected.
begin;
\ir ../money/_fixtures.psql
select plan(21);

delete from private.payout_doorbell_rings;
delete from private.payout_run_invocations;
delete from private.payout_runs;
delete from vault.secrets where name in ('payout_functions_url', 'payout_job_secret');
select vault.create_secret('https://project-ref.supabase.test/', 'payout_functions_url');
select vault.create_secret('liveness-test-secret-0123456789abcdef01234', 'payout_job_secret');

select money_test.remember('pl', money_test.placement(100000, 0, '{5000,3000,2000}'));
select money_test.invoice(money_test.id('pl'));
-- payouts due 2000-01-13 02:00

-- reconciliation claims as payout_worker (pgTAP itself runs as the test's own role)
create function pg_temp.reconcile(p_inv text, p_now timestamptz) returns integer language plpgsql as $$
declare n integer;
begin
  set local role payout_worker;
  select count(*) into n from private.claim_payout_reconciliations(p_inv::uuid, 25, null, p_now);
  reset role;
  return n;
end $$;
create function pg_temp.handover(p_inv text, p_now timestamptz) returns bigint language plpgsql as $$
declare r bigint;
begin
  set local role payout_worker;
  r := private.ring_payout_handover(p_inv::uuid, p_now);
  reset role;
  return r;
end $$;

set local role payout_worker;
select private.begin_payout_invocation('00000000-0000-4000-8000-0000000001a1', 'payout_schedules', 'doorbell',
                                       '2000-01-13 02:00Z');
-- one claim with a short lease (a live holder keeps it past the lease), two with the default (15 min:
-- a dead holder loses them long before)
create temp table batch as
select * from private.claim_payout_batch('00000000-0000-4000-8000-0000000001a1', 1, interval '5 seconds',
                                         '2000-01-13 02:00Z');
insert into batch
select * from private.claim_payout_batch('00000000-0000-4000-8000-0000000001a1', 10, null, '2000-01-13 02:00Z');
reset role;
select is((select count(*)::int from payout_schedules
           where claimed_by_invocation = '00000000-0000-4000-8000-0000000001a1' and status = 'processing'), 3,
  'the claim records the holding invocation');

set local role payout_worker;
select private.begin_payout_invocation('00000000-0000-4000-8000-0000000001a2', 'payout_schedules', 'admin',
                                       '2000-01-13 02:00:05Z');
select private.heartbeat_payout_invocation('00000000-0000-4000-8000-0000000001a1', '2000-01-13 02:00:10Z');
reset role;
select is((select pg_temp.reconcile('00000000-0000-4000-8000-0000000001a2', '2000-01-13 02:00:25Z')), 0,
  'one lease over, but the holder beat 15 s ago: nobody takes its tranches');
set local role payout_worker;
create temp table again as select * from private.claim_payout_batch('00000000-0000-4000-8000-0000000001a2', 10, null,
                                                                     '2000-01-13 02:00:25Z');
reset role;
select is((select count(*)::int from again), 0, '... nor does the claim reclaim them');
select is(private.payout_work_due('2000-01-13 02:00:25Z'), '{unfinished_run}'::text[],
  '... and the doorbell sees no expired lease');
select is(private.payout_work_due('2000-01-13 02:00:31Z'), '{expired_leases,unfinished_run}'::text[],
  'once the holder is 21 s without a beat, its claims are free: the doorbell rings for them');

-- the holder is gone (killed): free at once, whatever the lease
select private.heartbeat_payout_invocation('00000000-0000-4000-8000-0000000001a2', '2000-01-13 02:00:31Z');
select is(pg_temp.reconcile('00000000-0000-4000-8000-0000000001a2', '2000-01-13 02:00:31Z'), 3, 'a holder without heartbeat for 21 s: its tranches go to reconciliation at once, lease or not');
select is((select count(*)::int from payout_schedules
           where claimed_by_invocation = '00000000-0000-4000-8000-0000000001a2' and status = 'processing'), 3,
  '... held by the invocation that reconciles them');
select is((select pg_temp.reconcile('00000000-0000-4000-8000-0000000001a1', '2000-01-13 02:00:32Z')), 0,
  '... once: the new holder beats');

-- let go: deferred with a delay, the tranche is free when the delay is over (the holder still beats)
set local role payout_worker;
select private.defer_payout_transfer('00000000-0000-4000-8000-0000000001a2', (select transfer_id from batch
  where payout_id = (select payout_id from batch order by payout_id limit 1)), interval '30 seconds', 'stripe unreachable',
  '2000-01-13 02:00:40Z');
select private.heartbeat_payout_invocation('00000000-0000-4000-8000-0000000001a2', '2000-01-13 02:01:05Z');
reset role;
select is((select pg_temp.reconcile('00000000-0000-4000-8000-0000000001a2', '2000-01-13 02:01:05Z')), 0,
  'a deferred tranche waits for its delay');
select is((select pg_temp.reconcile('00000000-0000-4000-8000-0000000001a2', '2000-01-13 02:01:11Z')), 1,
  '... and is free after it, although its last holder still beats (it let go)');
select is((select count(*)::int from payout_schedules where claimed_by_invocation is null and status = 'processing'), 0,
  'deferring cleared the holder; reconciling set it again');

-- a finished holder: free at once
set local role payout_worker;
select private.finish_payout_invocation('00000000-0000-4000-8000-0000000001a2', 'error', '2000-01-13 02:01:12Z');
select private.begin_payout_invocation('00000000-0000-4000-8000-0000000001a3', 'payout_schedules', 'doorbell',
                                       '2000-01-13 02:01:13Z');
reset role;
select is((select pg_temp.reconcile('00000000-0000-4000-8000-0000000001a3', '2000-01-13 02:01:13Z')), 3,
  'a finished holder''s tranches are free at once');

-- ---------------------------------------------------------------------------------------------
-- the hand-over ring
-- ---------------------------------------------------------------------------------------------
select throws_ok($$ select private.ring_payout_handover(gen_random_uuid()) $$, 'PT404', null,
  'hand-over of an unknown invocation');
select is(pg_temp.handover('00000000-0000-4000-8000-0000000001a3', '2000-01-13 02:01:14Z'), null, 'nothing due (the run''s own tranches are held by the caller): no ring, no busy loop');

-- more work: another placement due
select money_test.remember('pl2', money_test.placement(50000, 0, '{5000}'));
select money_test.invoice(money_test.id('pl2'));
select pg_temp.handover('00000000-0000-4000-8000-0000000001a3', '2000-01-13 02:01:20Z') as ring2 \gset
select isnt(:ring2::bigint, null, 'work due: the caller hands over, a ring now');
select is((select reasons from private.payout_doorbell_rings where request_id = :ring2), '{handover,due_schedules}'::text[],
  '... logged with the reason handover');
select is((select convert_from(q.body, 'UTF8')::jsonb ->> 'trigger' from net.http_request_queue q where q.id = :ring2),
  'doorbell', '... to the function, as a doorbell ring');
select is(pg_temp.handover('00000000-0000-4000-8000-0000000001a3', '2000-01-13 02:01:21Z'), null,
  'a ring on its way: not twice');
select private.set_payouts_paused(true, 'test', '2000-01-13 02:01Z');
select is(pg_temp.handover('00000000-0000-4000-8000-0000000001a3', '2000-01-13 02:03Z'), null,
  'payouts paused: no hand-over');
select private.set_payouts_paused(false, 'test', '2000-01-13 02:02Z');
set local role payout_worker;
select private.finish_payout_invocation('00000000-0000-4000-8000-0000000001a3', 'budget', '2000-01-13 02:03Z');
reset role;
select is(pg_temp.handover('00000000-0000-4000-8000-0000000001a3', '2000-01-13 02:03Z'), null,
  'a finished invocation does not hand over');
select is((select count(*)::int from private.payout_doorbell_rings), 1, 'one hand-over ring in all');

select * from finish();
rollback;
