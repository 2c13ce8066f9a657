-- private.record_payout_transfers_paid: the run records many paid tranches in one call (as
-- payout_worker), counted once on the invocation (paid or adopted), all or nothing.
begin;
\ir ../money/_fixtures.psql
select plan(7);

delete from private.payout_run_invocations;
delete from private.payout_runs;

select money_test.remember('pl', money_test.placement(100000, 0, '{5000,3000,2000}'));
select money_test.invoice(money_test.id('pl'));

set local role payout_worker;
select run_id as run from private.begin_payout_invocation('00000000-0000-4000-8000-0000000000d1', 'payout_schedules',
  'manual', '2000-01-13 02:00Z') \gset
create temp table batch as
select * from private.claim_payout_batch('00000000-0000-4000-8000-0000000000d1', 10, interval '5 minutes',
                                         '2000-01-13 02:00Z');
select array_agg(transfer_id order by transfer_id)::text as ids from batch where outcome = 'claimed' \gset
reset role;
select is(cardinality(:'ids'::uuid[]), 3, 'three tranches claimed');

select throws_ok(format($$ select private.record_payout_transfers_paid('00000000-0000-4000-8000-0000000000d1',
                            %L::uuid[], '{tr_d1,tr_d1,tr_d3}', '{f,f,f}') $$, :'ids'),
  'PT409', null, 'one Stripe transfer for two tranches: the whole call is refused');
set local role payout_worker;
select array_agg(status order by transfer_id)::text as statuses
from private.record_payout_transfers_paid('00000000-0000-4000-8000-0000000000d1', (:'ids'::uuid[])[1:2],
                                          '{tr_d1,tr_d2}', '{f,t}', '2000-01-13 02:01Z') \gset
select array_agg(status order by transfer_id)::text as again
from private.record_payout_transfers_paid('00000000-0000-4000-8000-0000000000d1', (:'ids'::uuid[])[1:2],
                                          '{tr_d1,tr_d2}', '{f,t}', '2000-01-13 02:02Z') \gset
reset role;

select is(:'statuses'::text, '{succeeded,succeeded}', 'two tranches recorded paid in one call');
select is(:'again'::text, '{succeeded,succeeded}', 'recording them again is a no-op');
select is((select (paid, adopted) from private.payout_run_invocations where id = '00000000-0000-4000-8000-0000000000d1'),
  row(1::bigint, 1::bigint), 'counted once each on the invocation: one paid, one adopted');
select is((select status from payout_transfers where id = (:'ids'::uuid[])[3]), 'pending',
  'the third tranche is untouched (the refused call recorded nothing)');
select throws_ok($$ select private.record_payout_transfers_paid('00000000-0000-4000-8000-0000000000d1',
                      array[gen_random_uuid()], '{tr_x}', '{f,f}') $$,
  'PT400', 'one adopted flag per tranche', 'one adopted flag per tranche');

select * from finish();
rollback;
