-- Payout schedule state machine, admin side: one live schedule per payout, cancel, trigger,
-- illegal edges, idempotent re-call, terminal states sticky.
begin;
\ir _fixtures.psql
select plan(20);

select money_test.remember('pl', money_test.placement(10000, 0, '{6000,4000}')) as pl \gset
select money_test.invoice(:'pl');
select money_test.remember('p', (money_test.payout(:'pl', 6000)).id) as p \gset
select money_test.remember('q', (money_test.payout(:'pl', 4000)).id) as q \gset
select money_test.remember('s', (money_test.schedule(:'p')).id) as s \gset

select is((select (status, trigger_event, scheduled_date, retry_count, max_attempts) from payout_schedules where id = :'s'),
  row('pending'::text, 'invoice.collectible'::text, '2000-01-13'::date, 0, 3), 'pending, scheduled for the collectible date');
select is((select guarantee_completion_date from payout_schedules where id = :'s'), '2000-03-31'::date, 'guarantee completion date');
select is((private.create_payout_schedule(:'p', 'manual', null, '2000-01-06')).id, :'s'::uuid,
  'at most one live schedule: creating another returns the live one');
select throws_ok($$ select private.enter_transition('test.forge', null);
                    insert into payout_schedules (payout_id, placement_id, status, trigger_event, scheduled_date, next_attempt_at, max_attempts)
                    select id, placement_id, 'pending', 'manual', '2000-01-06', '2000-01-06', 3 from payouts where id = money_test.id('p') $$,
  '23505', null, 'the unique index refuses a second live schedule whoever inserts it');

select throws_ok($$ select private.transition_payout_schedule(money_test.id('s'), 'processing') $$, 'PT409', null,
  'pending -> processing only through the claim');
select throws_ok($$ select private.transition_payout_schedule(money_test.id('s'), 'processed') $$, 'PT409', null,
  'pending -> processed is illegal');
select throws_ok($$ select private.transition_payout_schedule(money_test.id('s'), 'sideways') $$, 'PT400', null, 'unknown status');
select throws_ok($$ select private.transition_payout_schedule(gen_random_uuid(), 'cancelled', 'x') $$, 'PT404', null, 'unknown schedule');
select is((private.trigger_payout_schedule(:'s', 'pay early', '2000-01-10')).next_attempt_at, '2000-01-10'::timestamptz,
  'trigger makes a pending schedule due now');
select is((select count(*) from money_test.claim('2000-01-10') where outcome = 'skipped' and skip_reason = 'invoice_not_collectible'),
  1::bigint, '... but the claim still refuses before the invoice is collectible');
select is((select next_attempt_at from payout_schedules where id = :'s'), '2000-01-13 02:00Z'::timestamptz,
  'deferred to the first due time once collectible');

select throws_ok($$ select private.transition_payout_schedule(money_test.id('s'), 'cancelled') $$, 'PT400', null,
  'cancelling needs a reason');
select is((private.transition_payout_schedule(:'s', 'cancelled', 'paid by hand', '2000-01-11')).status, 'cancelled', 'pending -> cancelled');
select is((private.transition_payout_schedule(:'s', 'cancelled', 'again', '2000-01-12')).cancel_reason, 'paid by hand',
  'cancelling again is a no-op');
select throws_ok($$ select private.transition_payout_schedule(money_test.id('s'), 'pending', 'revive') $$, 'PT409', null,
  'cancelled is terminal');
select throws_ok($$ select private.trigger_payout_schedule(money_test.id('s'), 'revive') $$, 'PT409', null,
  'a cancelled schedule cannot be triggered');
select is((private.create_payout_schedule(:'p', 'manual retry', '2000-01-14 02:00Z', '2000-01-12')).trigger_event, 'manual',
  'after cancel, a new manual schedule can be created');

select money_test.claim('2000-01-13 02:00Z');
select throws_ok($$ select private.transition_payout_schedule((money_test.schedule(money_test.id('q'))).id, 'cancelled', 'stop') $$,
  'PT409', null, 'a processing schedule (tranche in flight) cannot be cancelled');
select private.complete_payout_transfer((money_test.in_flight(:'q')).id, 'tr_sched', '2000-01-13 02:01Z');
select throws_ok($$ select private.transition_payout_schedule((money_test.schedule(money_test.id('q'))).id, 'cancelled', 'stop') $$,
  'PT409', null, 'processed is terminal');
select throws_ok($$ select private.create_payout_schedule(money_test.id('q')) $$, 'PT409', null,
  'no manual schedule for a payout with nothing payable');

select * from finish();
rollback;
