-- Outbox: one payout_events row per transition, in the same transaction as the change (an
-- event exists only if the change committed), none for a no-op, with the actor.
begin;
\ir _fixtures.psql
select plan(11);

select money_test.remember('pl', money_test.placement(10000, 5000, '{10000}')) as pl \gset
select money_test.remember('inv', money_test.invoice(:'pl'));
select money_test.remember('p', (money_test.payout(:'pl', 10000)).id) as p \gset
select money_test.remember('s', (money_test.schedule(:'p')).id) as s \gset
select money_test.claim('2000-01-13 02:00Z');
select money_test.remember('t1', (money_test.in_flight(:'p')).id) as t1 \gset
select private.fail_payout_transfer(:'t1', 'declined', '2000-01-13 02:01Z');
select money_test.claim('2000-01-13 03:01Z');
select money_test.remember('t2', (money_test.in_flight(:'p')).id) as t2 \gset
select private.complete_payout_transfer(:'t2', 'tr_outbox', '2000-01-13 03:02Z');
select private.release_due_escrow_holds('2000-04-01 03:00Z');
select money_test.claim('2000-04-02 02:00Z');
select private.complete_payout_transfer((money_test.in_flight(:'p')).id, 'tr_outbox2', '2000-04-02 02:01Z');
select private.transition_placement(:'pl', 'active', null, '2000-01-03');
select private.transition_placement(:'pl', 'completed', null, '2000-04-02 10:00Z');

select is(money_test.events(:'s'),
  '{payout_schedule.created,payout_schedule.processing,payout_schedule.failed,payout_schedule.processing,payout_schedule.processed}'::text[],
  'schedule: created, processing, failed, processing (retry), processed');
select is(money_test.events(:'t1'), '{payout_transfer.created,payout_transfer.failed}'::text[], 'failed tranche');
select is(money_test.events(:'t2'), '{payout_transfer.created,payout_transfer.succeeded}'::text[], 'succeeded tranche');
select is(money_test.events(:'p'), '{payout.created,payout.failed,payout.partially_paid,payout.paid}'::text[],
  'payout: created, failed attempt, partially paid, paid');
select is(money_test.events((select id from escrow_holds where payout_id = :'p')),
  '{escrow_hold.created,escrow_hold.auto_released}'::text[], 'hold: created, auto released');
select is(money_test.events(:'pl'), '{placement.created,placement.activated,placement.completed}'::text[], 'placement');
select is(money_test.events(money_test.id('inv')), '{placement_invoice.recorded,placement_invoice.paid}'::text[], 'invoice');
select is((select array_agg(trigger_event order by scheduled_date) from payout_schedules where payout_id = :'p'),
  '{invoice.collectible,escrow_hold.released}'::text[], 'second schedule created by the escrow release');
select is((select payload ->> 'to_status' from payout_events where entity_id = :'s' and event_type = 'payout_schedule.failed'),
  'failed', 'payload carries the new status');

-- the actor is on the event
select money_test.remember('pl3', money_test.placement(1000, 0, '{10000}'));
select private.set_actor('00000000-0000-0000-0000-00000000ad02', 'platform_admin');
select private.transition_placement(money_test.id('pl3'), 'active', null, '2000-01-02');
select is((select (actor_id, actor_role) from payout_events where entity_id = money_test.id('pl3') and event_type = 'placement.activated'),
  row('00000000-0000-0000-0000-00000000ad02'::uuid, 'platform_admin'::text), 'the event carries the actor');

-- an event exists only if the change did
select max(id) as mark from payout_events \gset
savepoint undo;
select private.transition_placement(money_test.id('pl3'), 'failed', 'oops', '2000-01-02');
rollback to savepoint undo;
select is((select count(*) from payout_events where id > :mark), 0::bigint, 'a rolled-back transition leaves no event');

select * from finish();
rollback;
