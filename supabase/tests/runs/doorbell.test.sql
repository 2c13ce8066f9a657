-- The doorbells: they queue an HTTP request (pg_net) only when work is due, never while an
-- invocation is working or a ring is on its way, never while payouts are paused; URL and job
-- secret come from Vault. Time is injected (p_now); the scenario clock of the money fixtures
-- (year 2000) keeps other data out of the picture.
begin;
\ir ../money/_fixtures.psql
select plan(37);

-- isolate: the run bookkeeping of this database is not part of the scenario
delete from private.payout_doorbell_rings;
delete from private.payout_run_invocations;
delete from private.payout_runs;
delete from vault.secrets where name in ('payout_functions_url', 'payout_job_secret');
select vault.create_secret('https://project-ref.supabase.test/', 'payout_functions_url');
select vault.create_secret('doorbell-test-secret-0123456789abcdef0123', 'payout_job_secret');

create function pg_temp.rings() returns bigint language sql as $$
  select count(*) from private.payout_doorbell_rings
$$;
create function pg_temp.queued(p_id bigint) returns net.http_request_queue language sql as $$
  select q from net.http_request_queue q where q.id = p_id
$$;

select money_test.remember('pl', money_test.placement(100000, 0, '{6000,4000}'));
select money_test.invoice(money_test.id('pl'));
-- payouts due 2000-01-13 02:00

-- ---------------------------------------------------------------------------------------------
-- nothing due: quiet, no HTTP request
-- ---------------------------------------------------------------------------------------------
select is(private.payout_work_due('2000-01-13 01:59Z'), '{}'::text[], 'nothing due before the payout due time');
select is(private.payout_doorbell('2000-01-13 01:59Z'), null, 'the doorbell stays quiet');
select is(pg_temp.rings(), 0::bigint, '... no ring');
select private.request_payout_run('2000-01-13 01:59Z') as idle \gset
select is(:'idle'::jsonb - 'requested_at',
  '{"request_id": null, "kind": "payout_schedules", "due_schedule_ids": [], "due_count": 0, "nothing_due": true,
    "doorbell_request_id": null}'::jsonb,
  'process_due_payout_schedules with nothing due: "nothing due", no request id');
select is((select count(*)::int from private.payout_run_requests where requested_at = '2000-01-13 01:59Z')
          + (select count(*)::int from public.payout_events where event_type = 'payout_run.requested'
               and (payload ->> 'requested_at')::timestamptz = '2000-01-13 01:59Z')
          + pg_temp.rings()::int, 0, '... no request recorded, no event, no ring');

-- ---------------------------------------------------------------------------------------------
-- due: one request, to Vault's URL, with Vault's job secret
-- ---------------------------------------------------------------------------------------------
select is(private.payout_work_due('2000-01-13 02:00Z'), '{due_schedules}'::text[], 'due at 02:00 UTC');
select private.payout_doorbell('2000-01-13 02:00Z') as ring1 \gset
select isnt(:ring1::bigint, null, 'the doorbell rings');
select is((pg_temp.queued(:ring1)).url, 'https://project-ref.supabase.test/functions/v1/process-payout-schedules',
  'net.http_post to <payout_functions_url>/functions/v1/process-payout-schedules');
select is((pg_temp.queued(:ring1)).method::text, 'POST', '... a POST');
select is((pg_temp.queued(:ring1)).headers ->> 'x-job-secret', 'doorbell-test-secret-0123456789abcdef0123',
  '... with the job secret from Vault');
select ok(not ((pg_temp.queued(:ring1)).headers ? 'Authorization'), '... and no Authorization header (never the service-role key)');
select is(convert_from((pg_temp.queued(:ring1)).body, 'UTF8')::jsonb - 'rung_at',
  '{"trigger": "doorbell", "reasons": ["due_schedules"]}'::jsonb, '... body {trigger, reasons}');
select is((select reasons from private.payout_doorbell_rings where request_id = :ring1), '{due_schedules}'::text[],
  'the ring is logged with its reasons');

-- ---------------------------------------------------------------------------------------------
-- never twice: a ring on its way, then a healthy invocation
-- ---------------------------------------------------------------------------------------------
select is(private.payout_doorbell('2000-01-13 02:00:30Z'), null, 'rung 30 s ago, no invocation yet: quiet');
select isnt(private.payout_doorbell('2000-01-13 02:01Z'), null,
  'a minute later still nobody came: the ring was lost, it rings again');
select is(pg_temp.rings(), 2::bigint, '... two rings so far');

select run_id as run from private.begin_payout_invocation('00000000-0000-4000-8000-0000000000a1', 'payout_schedules',
  'doorbell', '2000-01-13 02:01:05Z') \gset
select is(private.payout_doorbell('2000-01-13 02:01:15Z'), null, 'an invocation is working (fresh heartbeat): quiet');
select private.heartbeat_payout_invocation('00000000-0000-4000-8000-0000000000a1', '2000-01-13 02:01:20Z');
select is(private.payout_doorbell('2000-01-13 02:01:35Z'), null, '... still beating (within invocation_stale_after, 20 s): quiet');
select is(pg_temp.rings(), 2::bigint, 'never rings while a healthy invocation works');

select private.payout_doorbell('2000-01-13 02:06Z') as ring3 \gset
select isnt(:ring3::bigint, null, 'its heartbeat went stale (killed): the doorbell rings');
select is((select reasons from private.payout_doorbell_rings where request_id = :ring3),
  '{due_schedules,unfinished_run}'::text[], '... for the due schedules and the unfinished run');

-- ---------------------------------------------------------------------------------------------
-- claimed, the budget ran out: the unfinished run rings; expired leases ring
-- ---------------------------------------------------------------------------------------------
select private.begin_payout_invocation('00000000-0000-4000-8000-0000000000a2', 'payout_schedules', 'doorbell',
  '2000-01-13 02:06:10Z');
select is((select count(*)::int from private.claim_payout_batch('00000000-0000-4000-8000-0000000000a2', 10,
  interval '5 minutes', '2000-01-13 02:06:10Z')), 2, 'the second invocation claims both');
select private.finish_payout_invocation('00000000-0000-4000-8000-0000000000a2', 'budget', '2000-01-13 02:06:20Z');
select is(private.payout_work_due('2000-01-13 02:07Z'), '{expired_leases,unfinished_run}'::text[],
  'the invocation finished without settling its claims: free at once, lease or not (expired_leases), run unfinished');
select isnt(private.payout_doorbell('2000-01-13 02:07Z'), null, 'the next doorbell continues the unfinished run');
select is(private.payout_work_due('2000-01-13 02:12Z'), '{expired_leases,unfinished_run}'::text[],
  '... and still so once the leases expired');

-- ---------------------------------------------------------------------------------------------
-- kill switch, admin request, Vault missing
-- ---------------------------------------------------------------------------------------------
select private.set_payouts_paused(true, 'doorbell test', '2000-01-13 02:12Z');
select is(private.payout_doorbell('2000-01-13 02:20Z'), null, 'payouts paused: quiet whatever is due');
select private.set_payouts_paused(false, null, '2000-01-13 02:20Z');

select is((select count(*)::int from private.payout_runs where status = 'running'), 1,
  'the run stays unfinished until an invocation finds nothing left');

select private.request_payout_run('2000-01-13 02:21Z') as req \gset
select is((:'req'::jsonb ->> 'due_count')::int, 2, 'process_due_payout_schedules: the request lists what is due (the two expired leases)');
select isnt(:'req'::jsonb ->> 'doorbell_request_id', null, '... and rings the doorbell right away');
select is((select array_agg(k order by k) from jsonb_object_keys(:'req'::jsonb) k),
  (select array_agg(k order by k) from jsonb_object_keys(:'idle'::jsonb) k),
  '... with the same keys as the "nothing due" answer (nothing_due false)');
select is((pg_temp.queued((:'req'::jsonb ->> 'doorbell_request_id')::bigint)).body is not null, true, '... a queued request');
select is(convert_from((pg_temp.queued((:'req'::jsonb ->> 'doorbell_request_id')::bigint)).body, 'UTF8')::jsonb ->> 'trigger',
  'admin', '... with trigger admin');
select ok((select 'admin_request' = any (reasons) from private.payout_doorbell_rings
           where request_id = (:'req'::jsonb ->> 'doorbell_request_id')::bigint), '... for the admin request');

delete from vault.secrets where name = 'payout_job_secret';
select throws_ok($$ select private.payout_doorbell('2000-01-13 02:30Z') $$, 'PT503', null,
  'Vault secret missing: PT503 (visible in cron.job_run_details)');
select lives_ok($$ select private.request_payout_run('2000-01-13 02:31Z') $$,
  'an admin request still records (the next doorbell rings once Vault is set)');
select vault.create_secret('doorbell-test-secret-0123456789abcdef0123', 'payout_job_secret');

-- ---------------------------------------------------------------------------------------------
-- escrow doorbell
-- ---------------------------------------------------------------------------------------------
-- the fixtures' guarantee holds (holdback 0 here) -> a placement with holdback: release 2000-04-01 03:00 UTC
select money_test.remember('pl3', money_test.placement(10000, 5000, '{10000}'));
select money_test.invoice(money_test.id('pl3'));
select is(private.escrow_release_doorbell('2000-04-01 02:59Z'), null, 'escrow: nothing due before 03:00 UTC');
select private.escrow_release_doorbell('2000-04-01 03:00Z') as ering \gset
select is((pg_temp.queued(:ering)).url, 'https://project-ref.supabase.test/functions/v1/process-escrow-releases',
  'escrow: rings process-escrow-releases when holds are due');

select * from finish();
rollback;
