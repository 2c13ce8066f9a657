-- private.complete_payout_transfers: many tranches succeed in one call, exactly as each would on
-- its own (buckets, derived status, schedule, events, audit), and one bad element changes nothing.
begin;
\ir _fixtures.psql
select plan(30);

-- three payouts of one placement (paid in full by their tranche) and one of another placement
-- whose tranche is only part of it (holdback 50%: the rest is held)
select money_test.remember('pl', money_test.placement(90000, 0, '{5000,3000,2000}')) as pl \gset
select money_test.invoice(:'pl');
select money_test.remember('pl2', money_test.placement(40000, 5000, '{10000}')) as pl2 \gset
select money_test.invoice(:'pl2');
select is((select count(*) from money_test.claim() where outcome = 'claimed'), 4::bigint, 'four tranches claimed');
select money_test.remember('a', (money_test.in_flight((money_test.payout(:'pl', 5000)).id)).id) as a \gset
select money_test.remember('b', (money_test.in_flight((money_test.payout(:'pl', 3000)).id)).id) as b \gset
select money_test.remember('c', (money_test.in_flight((money_test.payout(:'pl', 2000)).id)).id) as c \gset
select money_test.remember('d', (money_test.in_flight((money_test.payout(:'pl2', 10000)).id)).id) as d \gset
select (private.mark_payout_transfer_unknown(:'c', 'timeout', '2000-01-13 02:01Z')).status;

-- all or nothing: one bad element, nothing changes
select throws_ok($$ select private.complete_payout_transfers(array[money_test.id('a'), gen_random_uuid()], '{tr_a,tr_x}') $$,
  'PT404', null, 'an unknown tranche fails the whole call');
select throws_ok($$ select private.complete_payout_transfers(array[money_test.id('a'), money_test.id('b')], '{tr_a,bad}') $$,
  'PT400', null, 'a malformed Stripe id fails the whole call');
select throws_ok($$ select private.complete_payout_transfers(array[money_test.id('a'), money_test.id('b')], '{tr_same,tr_same}') $$,
  'PT409', null, 'one Stripe transfer for two tranches fails the whole call');
select throws_ok($$ select private.complete_payout_transfers(array[money_test.id('a'), money_test.id('a')], '{tr_a,tr_a}') $$,
  'PT400', 'a payout transfer appears twice in one call', 'a tranche twice in one call');
select throws_ok($$ select private.complete_payout_transfers(array[money_test.id('a')], '{tr_a,tr_b}') $$,
  'PT400', null, 'one Stripe id per tranche');
select throws_ok($$ select private.complete_payout_transfers('{}', '{}') $$, 'PT400', null, 'an empty call');
select throws_ok($$ select private.complete_payout_transfers(array[null::uuid], '{tr_a}') $$, 'PT400', null, 'a null tranche');
select is((select count(*) from payout_transfers where id in (:'a', :'b', :'c', :'d') and status = 'succeeded'), 0::bigint,
  'nothing succeeded after the refused calls');

-- the batch: pending and unknown tranches of two placements
select max(id) as audit_mark from payout_audit_log \gset
select max(id) as event_mark from payout_events \gset
set local role payout_jobs;
select array_agg(status order by id)::text as statuses from private.complete_payout_transfers(
  array[:'a', :'b', :'c', :'d']::uuid[], '{tr_a,tr_b,tr_c,tr_d}', '2000-01-13 02:05Z') \gset
reset role;
select is(:'statuses'::text, '{succeeded,succeeded,succeeded,succeeded}', 'four tranches succeed in one call (as payout_jobs)');
select is(money_test.buckets((money_test.payout(:'pl', 5000)).id), '45000/0/0/0/0 paid', 'pending tranche: payout paid');
select is(money_test.buckets((money_test.payout(:'pl', 2000)).id), '18000/0/0/0/0 paid', 'unknown tranche: payout paid');
select is(money_test.buckets((money_test.payout(:'pl2', 10000)).id), '20000/0/0/20000/0 partially_paid',
  'part of a payout: partially paid, the held part stays held');
select is((select array_agg(distinct status) from payout_schedules where id in (
             select schedule_id from payout_transfers where id in (:'a', :'b', :'c', :'d'))), '{processed}'::text[],
  'their schedules processed');
select is((select array_agg(stripe_transfer_id order by stripe_transfer_id) from payout_transfers
           where id in (:'a', :'b', :'c', :'d')), '{tr_a,tr_b,tr_c,tr_d}'::text[], 'each with its Stripe transfer');
select ok(money_test.consistent(), 'every payout consistent');

-- outbox and audit: what the single path writes, per tranche
select is((select array_agg(event_type order by event_type) from payout_events
           where id > :event_mark and entity_id = (money_test.payout(:'pl2', 10000)).id),
  '{payout.partially_paid}'::text[], 'payout status event when the status changed');
select is((select count(*) from payout_events where id > :event_mark and event_type = 'payout_transfer.succeeded'), 4::bigint,
  'one payout_transfer.succeeded per tranche');
select is((select payload ->> 'from_status' from payout_events where id > :event_mark and entity_id = :'c'), 'unknown',
  'the event says where the tranche came from');
select is((select count(*) from payout_events where id > :event_mark and event_type = 'payout_schedule.processed'), 4::bigint,
  'one payout_schedule.processed per schedule');
select is((select count(*) from payout_events where id > :event_mark and event_type = 'payout.paid'), 3::bigint,
  'payout.paid for the three paid payouts');
select is((select array_agg(entity_type order by entity_type) from payout_audit_log where id > :audit_mark
             and entity_id in (:'a', (money_test.payout(:'pl', 5000)).id, (money_test.schedule((money_test.payout(:'pl', 5000)).id)).id)),
  '{payout,payout_schedule,payout_transfer}'::text[], 'one audit row per changed row: tranche, payout, schedule');
select is((select array_agg(distinct action || ' ' || changed_by_role) from payout_audit_log where id > :audit_mark),
  '{"payout_transfer.complete job"}'::text[], 'audited as the completion, by the job');

-- again with the same ids: no-op; with another id: refused
select is((select array_agg(succeeded_at order by id) from private.complete_payout_transfers(
             array[:'a', :'d']::uuid[], '{tr_a,tr_d}', '2000-01-14')),
  array['2000-01-13 02:05Z', '2000-01-13 02:05Z']::timestamptz[], 'completing again with the same Stripe ids is a no-op');
select throws_ok($$ select private.complete_payout_transfers(array[money_test.id('a')], '{tr_other}') $$, 'PT409', null,
  'a succeeded tranche cannot succeed again with another transfer');

-- a tranche that lands after its placement failed: the payout is flagged for reversal, in the same update
select money_test.remember('pl3', money_test.placement(10000, 0, '{10000}')) as pl3 \gset
select money_test.invoice(:'pl3');
select money_test.remember('p3', (money_test.payout(:'pl3', 10000)).id) as p3 \gset
select count(*) from money_test.claim('2000-01-13 02:10Z') where payout_id = :'p3';
select money_test.remember('e', (money_test.in_flight(:'p3')).id) as e \gset
select private.set_actor('00000000-0000-0000-0000-0000000000ad', 'platform_admin');
select (private.transition_placement(:'pl3', 'failed', 'candidate left', '2000-01-13 02:20Z')).status;
select is((select status from private.complete_payout_transfers(array[:'e']::uuid[], '{tr_e}', '2000-01-13 02:30Z')),
  'succeeded', 'the in-flight tranche still lands');
select is(money_test.buckets(:'p3'), '10000/0/0/0/0 flagged_for_reversal', 'paid money of a failed placement: flagged');
select is((select flagged_for_reversal_at from payouts where id = :'p3'), '2000-01-13 02:30Z'::timestamptz,
  'flagged when it landed');
select is((select payload ->> 'from_status' from payout_events where entity_id = :'p3' and event_type = 'payout.flagged_for_reversal'),
  'pending', 'payout.flagged_for_reversal emitted');
select ok(money_test.consistent(), 'still consistent');

select * from finish();
rollback;
