-- The run's SQL path, Stripe stubbed: claim -> prepare the request -> record the outcome, and
-- reconciliation claims. Exactly-once at the database level: a request is stored once per key and
-- never changed, an unknown outcome waits for its settle delay, every in-flight tranche whose
-- lease expired is handed out (once: skip locked) for reconciliation, a destination that cannot
-- receive transfers is recorded with one payout.connect_required. Run as payout_worker.
begin;
\ir ../money/_fixtures.psql
select plan(32);

delete from private.payout_run_invocations;
delete from private.payout_runs;

select money_test.remember('pl', money_test.placement(100000, 0, '{5000,3000,2000}'));
select money_test.invoice(money_test.id('pl'));
select money_test.remember('pA', (money_test.payout(money_test.id('pl'), 5000)).id);
select money_test.remember('pB', (money_test.payout(money_test.id('pl'), 3000)).id);
select money_test.remember('pC', (money_test.payout(money_test.id('pl'), 2000)).id);

-- the functions' login, exactly as the Edge Function connects
set local role payout_worker;
select run_id as run from private.begin_payout_invocation('00000000-0000-4000-8000-0000000000c1', 'payout_schedules',
  'manual', '2000-01-13 02:00Z') \gset
create temp table batch as
select * from private.claim_payout_batch('00000000-0000-4000-8000-0000000000c1', 10, interval '5 minutes',
                                         '2000-01-13 02:00Z');
reset role;

select is((select count(*)::int from batch where outcome = 'claimed'), 3, 'payout_worker claims the due tranches');
select is((select count(*)::int from batch where transfer_group = 'placement_' || money_test.id('pl')),
  3, 'transfer_group = placement_<id>, the same for every tranche of the placement');
select ok((select bool_and(idempotency_key = 'payout_transfer:' || transfer_id and attempt_number = 1
                           and request_params is null) from batch),
  'key stored with the tranche; no request stored yet');
select is((select count(*)::int from payout_transfers where claimed_by_run = :'run' and status = 'pending'), 3,
  'the claim is committed before any Stripe call: pending tranches of this run');

create function pg_temp.req(p_transfer uuid, p_over jsonb default '{}') returns jsonb language sql as $$
  select jsonb_build_object('transfer_id', t.id, 'params', jsonb_build_object(
    'amount', t.amount, 'currency', lower(t.currency), 'destination', t.destination_account_id,
    'transfer_group', 'placement_' || t.placement_id,
    'metadata', jsonb_build_object('payout_id', t.payout_id, 'payout_transfer_id', t.id,
                                   'schedule_id', t.schedule_id, 'placement_id', t.placement_id,
                                   'attempt_number', t.attempt_number::text)) || p_over)
  from public.payout_transfers t where t.id = p_transfer
$$;
select money_test.remember('tA', (select transfer_id from batch where payout_id = money_test.id('pA')));
select money_test.remember('tB', (select transfer_id from batch where payout_id = money_test.id('pB')));
select money_test.remember('tC', (select transfer_id from batch where payout_id = money_test.id('pC')));
select money_test.id('tA') as "tA", money_test.id('tB') as "tB", money_test.id('tC') as "tC" \gset

-- ---------------------------------------------------------------------------------------------
-- the stored request
-- ---------------------------------------------------------------------------------------------
select throws_ok(format($$ select * from private.prepare_payout_transfer_requests('00000000-0000-4000-8000-0000000000c1',
    jsonb_build_array(%L::jsonb)) $$, pg_temp.req(money_test.id('tA'), '{"amount": 1}')), 'PT422', null,
  'a request for another amount is refused');
select throws_ok(format($$ select * from private.prepare_payout_transfer_requests('00000000-0000-4000-8000-0000000000c1',
    jsonb_build_array(%L::jsonb)) $$, pg_temp.req(money_test.id('tA'), '{"destination": "acct_someoneelse"}')), 'PT422',
  null, 'a request to another destination is refused');
select is((select count(*)::int from private.prepare_payout_transfer_requests('00000000-0000-4000-8000-0000000000c1',
             jsonb_build_array(pg_temp.req(money_test.id('tA')), pg_temp.req(money_test.id('tB')),
                               pg_temp.req(money_test.id('tC'))), '2000-01-13 02:00:01Z')), 3, 'requests stored');
select is((select params ->> 'source_transaction' from private.prepare_payout_transfer_requests(
             '00000000-0000-4000-8000-0000000000c1',
             jsonb_build_array(pg_temp.req(money_test.id('tA'), '{"source_transaction": "ch_later"}')),
             '2000-01-13 02:05Z')), null, 'the first stored request wins: a later one cannot change what the key sends');
select throws_ok(format($$ update private.payout_transfer_requests set params = '{}' where transfer_id = %L $$,
  money_test.id('tA')), '42501', null, 'stored requests are never changed');
select throws_ok(format($$ delete from private.payout_transfer_requests where transfer_id = %L $$, money_test.id('tA')),
  '42501', null, '... nor deleted');

-- ---------------------------------------------------------------------------------------------
-- outcomes (Stripe stubbed)
-- ---------------------------------------------------------------------------------------------
set local role payout_worker;
select private.record_payout_transfer_paid('00000000-0000-4000-8000-0000000000c1', :'tA', 'tr_runA',
                                           false, '2000-01-13 02:00:02Z');
select private.record_payout_transfer_paid('00000000-0000-4000-8000-0000000000c1', :'tA', 'tr_runA',
                                           false, '2000-01-13 02:00:03Z');
select private.record_payout_transfer_unknown('00000000-0000-4000-8000-0000000000c1', :'tB',
                                              'stripe outcome unknown (stripe_500)', interval '2 minutes',
                                              '2000-01-13 02:00:02Z');
reset role;
select is((select status || ' ' || stripe_transfer_id from payout_transfers where id = money_test.id('tA')),
  'succeeded tr_runA', 'paid: the tranche succeeded with its Stripe transfer');
select is((select paid from private.payout_run_invocations where id = '00000000-0000-4000-8000-0000000000c1'), 1::bigint,
  '... counted once (the same transfer again is a no-op)');
select is((select status from payout_transfers where id = money_test.id('tB')), 'unknown', 'unknown outcome recorded');
select is((select lease_expires_at from payout_schedules s join payout_transfers t on t.schedule_id = s.id
           where t.id = money_test.id('tB')), '2000-01-13 02:02:02+00'::timestamptz,
  '... its lease is now the settle delay');

-- ---------------------------------------------------------------------------------------------
-- reconciliation claims
-- ---------------------------------------------------------------------------------------------
select private.begin_payout_invocation('00000000-0000-4000-8000-0000000000c2', 'payout_schedules', 'manual',
  '2000-01-13 02:01Z');
select is((select count(*)::int from private.claim_payout_reconciliations('00000000-0000-4000-8000-0000000000c2', 10,
  interval '5 minutes', '2000-01-13 02:01Z')), 0, 'nothing to reconcile before the settle delay and the lease are over');
create temp table recon as
select * from private.claim_payout_reconciliations('00000000-0000-4000-8000-0000000000c2', 10, interval '5 minutes',
                                                   '2000-01-13 02:05:30Z');
select is((select array_agg(transfer_id::text || ' ' || transfer_status order by transfer_status) from recon),
  array[money_test.id('tC') || ' pending', money_test.id('tB') || ' unknown'],
  'after both expired: the unknown one and the pending one (its holder is gone)');
select ok((select bool_and(gate_reason is null and schedule_status = 'processing' and request_params is not null
                           and request_prepared_at = '2000-01-13 02:00:01Z') from recon),
  'with the gate state and the stored request');
select is((select count(*)::int from private.claim_payout_reconciliations('00000000-0000-4000-8000-0000000000c2', 10,
  interval '5 minutes', '2000-01-13 02:05:31Z')), 0, 'leased: not handed out twice');
select is((select count(*)::int from private.claim_due_payout_schedules('00000000-0000-4000-8000-0000000000ee', 10,
  interval '5 minutes', '2000-01-13 02:05:31Z')), 0, '... not even to the money model''s reclaim');
select ok((select count(*) = 2 from payout_events where event_type = 'payout_schedule.reclaimed'
           and payload ->> 'purpose' = 'reconcile' and payload ->> 'claimed_by_run' = (select run_id::text from
           private.payout_run_invocations where id = '00000000-0000-4000-8000-0000000000c2')),
  'payout_schedule.reclaimed (purpose reconcile) in the outbox');

-- the recruiter of C pauses: the pending tranche is reported with its closed gate
select private.set_recruiter_paused((select recruiter_id from payouts where id = money_test.id('pC')), true, 'check',
                                    '2000-01-13 02:06Z');
select is((select gate_reason from private.claim_payout_reconciliations('00000000-0000-4000-8000-0000000000c2', 10,
  interval '5 minutes', '2000-01-13 02:11Z') where transfer_id = money_test.id('tC')), 'recruiter_paused',
  'a closed gate is reported (the run waits instead of sending)');
select private.set_recruiter_paused((select recruiter_id from payouts where id = money_test.id('pC')), false, null,
                                    '2000-01-13 02:11Z');

set local role payout_worker;
select private.defer_payout_transfer('00000000-0000-4000-8000-0000000000c2', :'tC', interval '15 seconds',
                                     'rate limited', '2000-01-13 02:11Z');
reset role;
select is((select s.lease_expires_at from payout_schedules s join payout_transfers t on t.schedule_id = s.id
           where t.id = money_test.id('tC')), '2000-01-13 02:11:15+00'::timestamptz,
  'deferred: the tranche stays pending, looked at again after the delay');
select throws_ok(format($$ select private.defer_payout_transfer('00000000-0000-4000-8000-0000000000c2', %L,
  interval '1 second', 'x', '2000-01-13 02:12Z') $$, money_test.id('tA')), 'PT409', null,
  'a succeeded tranche cannot be deferred');

-- reconciled: B adopted (it existed at Stripe), C never reached Stripe and is sent again later
set local role payout_worker;
select private.record_payout_transfer_paid('00000000-0000-4000-8000-0000000000c2', :'tB', 'tr_runB',
                                           true, '2000-01-13 02:12Z');
reset role;
select is((select adopted from private.payout_run_invocations where id = '00000000-0000-4000-8000-0000000000c2'),
  1::bigint, 'an adopted transfer is counted as adopted');
select is((select status from payout_transfers where id = money_test.id('tB')), 'succeeded', 'unknown -> succeeded');

-- ---------------------------------------------------------------------------------------------
-- a destination that cannot receive transfers
-- ---------------------------------------------------------------------------------------------
set local role payout_worker;
create temp table f1 as select * from private.record_payout_transfer_failed('00000000-0000-4000-8000-0000000000c2',
  :'tC', 'stripe insufficient_capabilities_for_transfer: ...', 'insufficient_capabilities_for_transfer',
  '2000-01-13 02:12Z');
reset role;
select is((select transfer_status || ' ' || retry_count || ' ' || exhausted || ' ' || connect_required from f1),
  'failed 1 false true', 'failed, counts as attempt 1, connect required');
select is((select stripe_transfers_capability from recruiters r join payouts po on po.recruiter_id = r.id
           where po.id = money_test.id('pC')), 'inactive', 'the capability mirror is corrected');
select is((select count(*)::int from payout_events where event_type = 'payout.connect_required'
           and payout_id = money_test.id('pC')), 1, 'one payout.connect_required');
select is((select array_agg(outcome || ' ' || coalesce(skip_reason, '')) from private.claim_payout_batch(
             '00000000-0000-4000-8000-0000000000c2', 10, null, '2000-01-13 05:00Z')),
  array['skipped recruiter_cannot_receive_transfers'], 'the retry is skipped by the claim ...');
select is((select count(*)::int from payout_events where event_type = 'payout.connect_required'
           and payout_id = money_test.id('pC')), 1, '... without a second payout.connect_required');
select is((select count(*)::int from private.record_payout_transfer_failed('00000000-0000-4000-8000-0000000000c2',
  money_test.id('tC'), 'again', 'insufficient_capabilities_for_transfer', '2000-01-13 05:00Z')
  where retry_count = 1), 1, 'failing a failed tranche again is a no-op');

select ok(not exists (select 1 from private.payout_problems()), 'the tranche invariant holds');

select * from finish();
rollback;
