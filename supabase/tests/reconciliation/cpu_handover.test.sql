-- The Stripe sync jobs within the isolate's CPU (20261130090900, 20261130090800): a reconciliation run recorded in
-- parts (newest first) and continued where it ended, an unfinished run never taken as done, the
-- hand-over rings (only for work that is due), reversal requests handed back unstarted.
begin;
\ir ../money/_fixtures.psql
select plan(17);

-- this test's runs only (rolled back)
delete from private.reconciliation_findings;
delete from private.stripe_reconciliation_runs;
delete from vault.secrets where name in ('payout_functions_url', 'payout_job_secret');
select vault.create_secret('https://project-ref.supabase.test/', 'payout_functions_url');
select vault.create_secret('handover-test-secret-0123456789abcdef0123', 'payout_job_secret');
create function pg_temp.queued(p_id bigint) returns net.http_request_queue language sql as $$
  select q from net.http_request_queue q where q.id = p_id
$$;
create function pg_temp.stray(p_id text) returns jsonb language sql as $$
  select jsonb_build_array(jsonb_build_object('id', p_id, 'amount', 5, 'currency', 'usd', 'destination', 'acct_stray',
                                             'created', 949000000, 'metadata', '{}'::jsonb))
$$;

-- ---------------------------------------------------------------------------------------------
-- a reconciliation run in parts
-- ---------------------------------------------------------------------------------------------
select is((select row(since, window_end, covered_from, status)::text from private.begin_stripe_reconciliation(
             '00000000-0000-4000-8000-0000000000e1', '1 hour', '2000-02-01 00:00Z', '2000-02-02 00:00Z')),
  '("2000-01-31 23:00:00+00","2000-02-02 00:00:00+00",,running)', 'a new run: its window, nothing covered yet');
select is(private.record_stripe_reconciliation('00000000-0000-4000-8000-0000000000e1', pg_temp.stray('tr_part1'), '[]',
            '2000-02-02 00:00Z', '2000-02-01 12:00Z') ->> 'status',
  'running', 'a part (the CPU budget stopped it at 12:00): the run goes on');
select is((select covered_from from private.begin_stripe_reconciliation('00000000-0000-4000-8000-0000000000e1', '1 hour',
                                                                        null, '2000-02-02 00:01Z')),
  '2000-02-01 12:00Z'::timestamptz, 'the continuation (same run id) picks up where the part ended');
select throws_ok($$ select private.record_stripe_reconciliation('00000000-0000-4000-8000-0000000000e1', '[]', '[]',
                     '2000-02-02 00:02Z', '2000-02-01 18:00Z') $$,
  'PT400', null, 'a part above what is covered already: refused');
select is((select window_start from private.begin_stripe_reconciliation('00000000-0000-4000-8000-0000000000e2', '1 hour',
                                                                         null, '2000-02-02 00:10Z')),
  '2000-02-01 00:10Z'::timestamptz, 'an unfinished run is not taken as done: the next run starts as if it had not run');
select is((select row(r -> 'findings', r ->> 'status', r ->> 'stripe_transfers')::text
           from (select private.record_stripe_reconciliation('00000000-0000-4000-8000-0000000000e1',
                   pg_temp.stray('tr_part2'), '[]', '2000-02-02 00:20Z') as r) x),
  '("{""transfer_unknown_to_us"": 2}",finished,2)', 'the last part finishes the run: findings and counts added up');
select is((select row(status, covered_from)::text from private.stripe_reconciliation_runs
           where id = '00000000-0000-4000-8000-0000000000e1'), '(finished,)', '... covered_from cleared');

-- ---------------------------------------------------------------------------------------------
-- hand-over rings
-- ---------------------------------------------------------------------------------------------
select is(private.ring_stripe_sync_handover('reconcile-payouts', '00000000-0000-4000-8000-0000000000e1', '2000-02-02 00:21Z'),
  null, 'a finished run: no ring');
select private.ring_stripe_sync_handover('reconcile-payouts', '00000000-0000-4000-8000-0000000000e2', '2000-02-02 00:21Z')
  as ring1 \gset
select is(convert_from((pg_temp.queued(:ring1)).body, 'UTF8')::jsonb - 'rung_at',
  '{"trigger": "handover", "run_id": "00000000-0000-4000-8000-0000000000e2"}'::jsonb,
  'an unfinished run: reconcile-payouts rung now for that run');
select is(private.ring_stripe_sync_handover('reverse-payouts', null, '1999-01-01'), null,
  'no reversal due: no ring (no busy loop)');
select throws_ok($$ select private.ring_stripe_sync_handover('process-payout-schedules') $$, 'PT400', null,
  'another function: PT400');

-- ---------------------------------------------------------------------------------------------
-- reversal requests handed back unstarted
-- ---------------------------------------------------------------------------------------------
select money_test.remember('r', money_test.recruiter('Handed back'));
select money_test.remember('pl', money_test.placement(100000, 2000, '{6000}', array[money_test.id('r')]));
select money_test.invoice(money_test.id('pl'));
select money_test.remember('a', (money_test.payout(money_test.id('pl'), 6000)).id);
select money_test.claim('2000-01-13 02:00Z');
select private.complete_payout_transfer((money_test.in_flight(money_test.id('a'))).id, 'tr_handback', '2000-01-13 02:01Z');
create temp table req as select * from private.request_payout_reversal(money_test.id('a'), 'placement failed', '2000-01-20');
select is((select count(*)::int from private.claim_payout_reversals('00000000-0000-4000-8000-00000000d001', 10, '2 minutes',
                                                                     '2000-01-20 00:01Z') where id = (select id from req)),
  1, 'claimed by a worker (leased for 2 minutes)');
select is(private.release_payout_reversals('00000000-0000-4000-8000-00000000d002', array[(select id from req)],
                                           '2000-01-20 00:01:30Z'), 0, 'another worker cannot hand it back');
select is(private.release_payout_reversals('00000000-0000-4000-8000-00000000d001', array[(select id from req)],
                                           '2000-01-20 00:01:30Z'), 1, 'its holder hands it back');
select isnt(private.ring_stripe_sync_handover('reverse-payouts', null, '2000-01-20 00:01:30Z'), null,
  '... it is due at once: the hand-over rings reverse-payouts');
select is((select count(*)::int from private.claim_payout_reversals('00000000-0000-4000-8000-00000000d003', 10, '2 minutes',
                                                                     '2000-01-20 00:01:31Z') where id = (select id from req)),
  1, '... and the next worker claims it at once, not after the lease');

-- privileges
select ok(has_function_privilege('stripe_sync', 'private.ring_stripe_sync_handover(text, uuid, timestamptz)', 'EXECUTE')
          and has_function_privilege('stripe_sync', 'private.release_payout_reversals(uuid, uuid[], timestamptz)', 'EXECUTE')
          and not has_function_privilege('authenticated', 'private.ring_stripe_sync_handover(text, uuid, timestamptz)', 'EXECUTE')
          and not has_function_privilege('service_role', 'private.release_payout_reversals(uuid, uuid[], timestamptz)', 'EXECUTE'),
  'stripe_sync rings and hands back; API roles do not');

select * from finish();
rollback;
