-- Placement failure during the guarantee, in one transaction: live schedules cancelled,
-- active holds forfeited, unpaid amounts forfeited, payouts with paid tranches flagged for
-- reversal; an in-flight tranche still lands (paid -> reversal, failed -> forfeited);
-- audited and evented; the platform's refund decision is an event.
begin;
\ir _fixtures.psql
select plan(27);

select money_test.remember('nope', money_test.recruiter('NoAccount', null));
select money_test.remember('pl', money_test.placement(100000, 2000, '{5000,3000,2000}',
  array[null, null, money_test.id('nope')]::uuid[])) as pl \gset
select money_test.invoice(:'pl');
select money_test.remember('p1', (money_test.payout(:'pl', 5000)).id) as p1 \gset
select money_test.remember('p2', (money_test.payout(:'pl', 3000)).id) as p2 \gset
select money_test.remember('p3', (money_test.payout(:'pl', 2000)).id) as p3 \gset

-- p1: first tranche paid; p2: tranche in flight; p3: skipped (no account), all held 20%
select money_test.claim('2000-01-13 02:00Z');
select private.complete_payout_transfer((money_test.in_flight(:'p1')).id, 'tr_fail1', '2000-01-13 02:01Z');
select money_test.remember('t2', (money_test.in_flight(:'p2')).id) as t2 \gset
select is(money_test.buckets(:'p1') || ' | ' || money_test.buckets(:'p2') || ' | ' || money_test.buckets(:'p3'),
  '40000/0/0/10000/0 partially_paid | 0/24000/0/6000/0 pending | 0/0/16000/4000/0 pending', 'before the failure');
select throws_ok($$ select private.record_platform_refund_decision(money_test.id('pl'), 0, 'no') $$, 'PT409', null,
  'no refund decision before the placement failed');

select private.set_actor('00000000-0000-0000-0000-0000000000ad', 'platform_admin');
select is((private.transition_placement(:'pl', 'failed', 'candidate left in week 3', '2000-01-20')).status, 'failed',
  'active guarantee -> failed');

select is((select array_agg(status order by status) from payout_schedules where placement_id = :'pl'),
  '{cancelled,cancelled,processed}'::text[], 'every live schedule cancelled (also the processing one); processed stays');
select is((select array_agg(distinct status) from escrow_holds where placement_id = :'pl'), '{cancelled}'::text[],
  'every active hold cancelled');
select is(money_test.buckets(:'p1'), '40000/0/0/0/10000 flagged_for_reversal', 'paid payout: rest forfeited, flagged for reversal');
select is(money_test.buckets(:'p2'), '0/24000/0/0/6000 pending', 'in-flight money stays in flight, the rest is forfeited');
select is(money_test.buckets(:'p3'), '0/0/0/0/20000 forfeited', 'unpaid payout forfeited entirely');
select ok(money_test.consistent(), 'consistent right after the failure');

select is((select payload from payout_events where entity_id = :'pl' and event_type = 'placement.failed'),
  jsonb_build_object('from_status', 'hired', 'to_status', 'failed', 'reason', 'candidate left in week 3',
                     'forfeited_amount', 36000, 'amount_to_reverse', 40000, 'currency', 'USD'),
  'placement.failed carries the totals');
select is((select count(*) from payout_events e where e.placement_id = :'pl' and e.event_type = 'escrow_hold.cancelled'
           and e.created_at = now()), 3::bigint, 'escrow_hold.cancelled per hold');
select is((select count(*) from payout_events e where e.placement_id = :'pl' and e.event_type = 'payout_schedule.cancelled'), 2::bigint,
  'payout_schedule.cancelled per schedule');
select is((select array_agg(event_type order by id) from payout_events where entity_id in (:'p1', :'p3')
           and event_type in ('payout.flagged_for_reversal', 'payout.forfeited')),
  '{payout.flagged_for_reversal,payout.forfeited}'::text[], 'payout.flagged_for_reversal and payout.forfeited');
select is((select array_agg(distinct changed_by_role || ':' || changed_by) from payout_audit_log
           where placement_id = :'pl' and action like 'placement.fail%'),
  '{platform_admin:00000000-0000-0000-0000-0000000000ad}'::text[], 'all of it audited with the actor');
select is((select count(*) from payout_audit_log where placement_id = :'pl' and reason like '%candidate left in week 3%'
           and entity_type in ('placement', 'payout_schedule', 'escrow_hold', 'payout')) >= 10, true,
  'and with the reason');

-- the in-flight tranche lands afterwards
select is((private.fail_payout_transfer(:'t2', 'declined', '2000-01-20 00:05Z')).status, 'failed', 'in-flight tranche fails');
select is(money_test.buckets(:'p2'), '0/0/0/0/30000 forfeited', 'failed in-flight money is forfeited, not payable');
select is((select status from payout_schedules where id = (select schedule_id from payout_transfers where id = :'t2')), 'cancelled',
  'its schedule stays cancelled (terminal)');
select is((select count(*) from money_test.claim('2000-03-01')), 0::bigint, 'nothing is ever claimed for a failed placement');
select is((select count(*) from private.release_due_escrow_holds('2000-05-01') h where h.placement_id = :'pl'), 0::bigint,
  'nor released');
select throws_ok($$ select private.create_escrow_hold(money_test.id('p1'), 1, 'dispute') $$, 'PT409', null, 'nor held');
select is((private.transition_placement(:'pl', 'failed', 'again', '2000-01-21')).failed_at, '2000-01-20'::timestamptz,
  'failing again is a no-op');

-- the company's refund is the platform's decision
select throws_ok($$ select private.record_platform_refund_decision(money_test.id('pl'), 100001, 'too much') $$, 'PT422', null,
  'at most the paid invoice amount');
select is((private.record_platform_refund_decision(:'pl', 60000, 'goodwill: all but the paid recruiter share', '2000-01-22')).refund_amount,
  60000::bigint, 'refund decision recorded');
select is((select payload ->> 'refund_amount' from payout_events where entity_id = :'pl' and event_type = 'platform.refund_decision'),
  '60000', 'as a platform.refund_decision event');
select throws_ok($$ select private.record_platform_refund_decision(money_test.id('pl'), 1, 'change') $$, 'PT409', null,
  'decided once');

set constraints all immediate;
select ok(money_test.consistent(), 'consistent at the end');
select * from finish();
rollback;
