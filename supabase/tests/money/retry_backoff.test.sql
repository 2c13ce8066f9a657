-- Retries: a failed schedule is retried after exponential backoff until 3 attempts have
-- failed; then it stays failed (exhausted) until an admin triggers one more attempt, which
-- still passes every eligibility gate.
begin;
\ir _fixtures.psql
select plan(32);

select money_test.remember('pl', money_test.placement(50000, 0, '{10000}')) as pl \gset
select money_test.invoice(:'pl');
select money_test.remember('p', (money_test.payout(:'pl', 10000)).id) as p \gset
select money_test.remember('s', (money_test.schedule(:'p')).id) as s \gset

-- attempt 1
select is((select count(*) from money_test.claim('2000-01-13 02:00Z') where outcome = 'claimed'), 1::bigint, 'attempt 1 claimed');
select money_test.remember('t1', (money_test.in_flight(:'p')).id) as t1 \gset
select is((select attempt_number from payout_transfers where id = :'t1'), 1, 'tranche of attempt 1');
select is((private.fail_payout_transfer(:'t1', 'card_declined', '2000-01-13 02:01Z')).status, 'failed', 'attempt 1 fails');
select is((select (status, retry_count, next_attempt_at, is_exhausted) from payout_schedules where id = :'s'),
  row('failed'::text, 1, '2000-01-13 03:01Z'::timestamptz, false), 'failed, retry_count 1, retry after 1 hour');
select is(money_test.buckets(:'p'), '0/0/50000/0/0 pending', 'the money is payable again, nothing was paid');
select is((private.fail_payout_transfer(:'t1', 'again', '2000-01-13 02:05Z')).failure_reason, 'card_declined',
  'failing the same tranche again is a no-op');
select is((select retry_count from payout_schedules where id = :'s'), 1, '... and does not count twice');
select throws_ok($$ select private.complete_payout_transfer(money_test.id('t1'), 'tr_late') $$, 'PT409', null,
  'a failed tranche can never succeed (terminal)');

-- attempt 2
select is((select count(*) from money_test.claim('2000-01-13 03:00:59Z')), 0::bigint, 'not retried before the backoff');
select is((select count(*) from money_test.claim('2000-01-13 03:01Z') where outcome = 'claimed'), 1::bigint, 'attempt 2 claimed');
select money_test.remember('t2', (money_test.in_flight(:'p')).id) as t2 \gset
select is((select (attempt_number, amount) from payout_transfers where id = :'t2'), row(2, 50000::bigint),
  'a new tranche for attempt 2');
select isnt((select idempotency_key from payout_transfers where id = :'t2'),
            (select idempotency_key from payout_transfers where id = :'t1'), 'with its own idempotency key');
select is((select last_retry_at from payout_schedules where id = :'s'), '2000-01-13 03:01Z'::timestamptz, 'last_retry_at');
select lives_ok($$ select private.fail_payout_transfer(money_test.id('t2'), 'insufficient_funds', '2000-01-13 03:02Z') $$, 'attempt 2 fails');
select is((select (retry_count, next_attempt_at) from payout_schedules where id = :'s'),
  row(2, '2000-01-13 05:02Z'::timestamptz), 'retry after 2 hours (1h * 2^(2-1))');

-- attempt 3: exhausted
select is((select count(*) from money_test.claim('2000-01-13 05:02Z') where outcome = 'claimed'), 1::bigint, 'attempt 3 claimed');
select lives_ok($$ select private.fail_payout_transfer((money_test.in_flight(money_test.id('p'))).id, 'account_closed', '2000-01-13 05:03Z') $$,
  'attempt 3 fails');
select is((select (status, retry_count, next_attempt_at, is_exhausted) from payout_schedules where id = :'s'),
  row('failed'::text, 3, null::timestamptz, true), 'after 3 failed attempts: failed, exhausted, no next attempt');
select is((select count(*) from money_test.claim('2001-01-01')), 0::bigint, 'an exhausted schedule is never claimed again');
select is((select event_type || ' ' || (payload ->> 'exhausted') from payout_events where entity_id = :'s'
           and event_type = 'payout_schedule.failed' order by id desc limit 1),
  'payout_schedule.failed true', 'the last failure event says exhausted');
select is((select count(*) from payout_events where entity_id = :'p' and event_type = 'payout.failed'), 3::bigint,
  'one payout.failed event per failed attempt');
select is((select count(*) from payout_schedules where payout_id = :'p'), 1::bigint,
  'no new schedule: the exhausted one is still the live one');

-- admin trigger: one more attempt, gates still apply
select throws_ok($$ select private.trigger_payout_schedule(money_test.id('s'), null) $$, 'PT400', null, 'trigger needs a reason');
select private.set_recruiter_paused((select recruiter_id from payouts where id = :'p'), true, 'fraud check', '2000-01-14');
select is((private.trigger_payout_schedule(:'s', 'bank fixed', '2000-01-14 09:00Z')).status, 'pending', 'admin trigger: failed -> pending');
select is((select (max_attempts, next_attempt_at) from payout_schedules where id = :'s'),
  row(4, '2000-01-14 09:00Z'::timestamptz), 'exactly one more attempt, due now');
select is((select outcome || ' ' || skip_reason from money_test.claim('2000-01-14 09:00Z')), 'skipped recruiter_paused',
  'the override never bypasses eligibility');
select private.set_recruiter_paused((select recruiter_id from payouts where id = :'p'), false, null, '2000-01-14');
select is((select count(*) from money_test.claim('2000-01-15 02:00Z') where outcome = 'claimed'), 1::bigint, 'attempt 4 claimed once eligible');
select lives_ok($$ select private.fail_payout_transfer((money_test.in_flight(money_test.id('p'))).id, 'still closed', '2000-01-15 02:01Z') $$,
  'attempt 4 fails');
select is((select (status, retry_count, is_exhausted) from payout_schedules where id = :'s'), row('failed'::text, 4, true),
  'exhausted again after the extra attempt');
select lives_ok($$ select private.trigger_payout_schedule(money_test.id('s'), 'new account', '2000-01-16') $$, 'trigger again');
select is((select count(*) from money_test.claim('2000-01-16') where outcome = 'claimed'), 1::bigint, 'attempt 5 claimed');
select is((private.complete_payout_transfer((money_test.in_flight(:'p')).id, 'tr_finally', '2000-01-16 00:01Z')).status,
  'succeeded', 'attempt 5 succeeds');

select * from finish();
rollback;
