-- Tranches (payout_transfers): a transferred tranche is never payable again; no double
-- payment at the database level; expired leases hand back the SAME tranche (same
-- idempotency key); unknown outcomes wait for reconciliation; the tranche invariant holds
-- after every operation and the deferred checks catch a corrupted one.
begin;
\ir _fixtures.psql
select plan(28);

select money_test.remember('pl', money_test.placement(80000, 0, '{5000,5000}')) as pl \gset
select money_test.invoice(:'pl');
select money_test.remember('p', p.id) as p from payouts p where p.placement_id = :'pl' order by p.id limit 1 \gset
select money_test.remember('q', p.id) as q from payouts p where p.placement_id = :'pl' order by p.id desc limit 1 \gset

-- claim with a 10-minute lease
select is((select count(*) from money_test.claim('2000-01-13 02:00Z', '10 minutes') where outcome = 'claimed'), 2::bigint,
  'two schedules claimed');
select money_test.remember('t', (money_test.in_flight(:'p')).id) as t \gset
select is((select (status, amount, destination_account_id = (select stripe_connect_account_id from recruiters r
                                                               where r.id = (select recruiter_id from payouts where id = :'p')))
           from payout_transfers where id = :'t'), row('pending'::text, 40000::bigint, true),
  'pending tranche for the whole payable amount, to the recruiter''s account');
select is((select idempotency_key from payout_transfers where id = :'t'), 'payout_transfer:' || :'t',
  'idempotency key stored with the tranche, before any Stripe call');
select ok(money_test.consistent(), 'consistent after claim');
select is((select count(*) from money_test.claim('2000-01-13 02:05Z')), 0::bigint, 'a processing schedule under lease is not claimed again');

-- lease expiry: the same tranche is handed out again
select is((select (outcome, transfer_id) from money_test.claim('2000-01-13 02:10Z') where payout_id = :'p'),
  row('reclaimed'::text, :'t'::uuid), 'expired lease: the same pending tranche (same idempotency key) is re-handed');
select is((select count(*) from payout_transfers where payout_id = :'p'), 1::bigint, 'no second tranche was created');

-- unknown outcome
select is((private.mark_payout_transfer_unknown(:'t', 'timeout', '2000-01-13 02:11Z')).status, 'unknown', 'pending -> unknown');
select is(money_test.buckets(:'p'), '0/40000/0/0/0 pending', 'unknown money stays in flight');
select is((select count(*) from money_test.claim('2000-01-13 03:00Z') where payout_id = :'p'), 0::bigint,
  'an unknown tranche is never re-handed by a claim: it must be reconciled');
select ok(money_test.consistent(), 'consistent while unknown');

-- success, idempotent, never twice
select is((private.complete_payout_transfer(:'t', 'tr_once', '2000-01-13 03:01Z')).status, 'succeeded', 'unknown -> succeeded (reconciled)');
select is(money_test.buckets(:'p'), '40000/0/0/0/0 paid', 'paid');
select is((private.complete_payout_transfer(:'t', 'tr_once', '2000-01-13 03:02Z')).succeeded_at, '2000-01-13 03:01Z'::timestamptz,
  'completing again with the same Stripe id is a no-op');
select throws_ok($$ select private.complete_payout_transfer(money_test.id('t'), 'tr_other') $$, 'PT409', null,
  'a succeeded tranche cannot succeed again with another transfer');
select throws_ok($$ select private.fail_payout_transfer(money_test.id('t'), 'late failure') $$, 'PT409', null,
  'a succeeded tranche cannot fail (terminal)');
select throws_ok($$ select private.complete_payout_transfer((money_test.in_flight(money_test.id('q'))).id, 'tr_once') $$, 'PT409', null,
  'a Stripe transfer id is recorded for one tranche only');
select throws_ok($$ select private.complete_payout_transfer((money_test.in_flight(money_test.id('q'))).id, 'not-a-transfer') $$, 'PT400',
  null, 'a Stripe transfer id is required');
select throws_ok($$ select private.complete_payout_transfer(gen_random_uuid(), 'tr_x') $$, 'PT404', null, 'unknown tranche');
select is((select count(*) from money_test.claim('2001-01-01') where payout_id = :'p'), 0::bigint,
  'a transferred tranche is never payable again');
select is((select count(*) from payout_schedules where payout_id = :'p' and status in ('pending', 'processing', 'failed')),
  0::bigint, 'and no live schedule is left for a paid payout');

-- direct manipulation is refused even for the owner (see guards.test.sql); inside a forged
-- transition the CHECK and the deferred consistency trigger still refuse double payment
select throws_ok($$ select private.enter_transition('test.forge', null);
                    update payouts set paid_amount = paid_amount + 1 where id = money_test.id('p') $$,
  '23514', null, 'paid + in flight + payable + held + forfeited must equal amount (CHECK)');
savepoint forge;
select private.enter_transition('test.forge', null);
update payouts set paid_amount = paid_amount + 1, in_flight_amount = in_flight_amount - 1
 where id = :'q';
select throws_ok($$ set constraints all immediate $$, 'PT422', null,
  'paid_amount must equal the sum of succeeded tranches (deferred consistency trigger)');
rollback to savepoint forge;
savepoint forge2;
select private.enter_transition('test.forge', null);
select throws_ok($$ insert into payout_transfers (payout_id, placement_id, schedule_id, currency, amount, destination_account_id,
                      attempt_number, idempotency_key, status, claimed_by_run)
                    select payout_id, placement_id, schedule_id, currency, 1, destination_account_id, 9, 'dup', 'pending', claimed_by_run
                    from payout_transfers where payout_id = money_test.id('q') $$,
  '23505', null, 'at most one tranche in flight per payout (unique index)');
rollback to savepoint forge2;

select lives_ok($$ select private.fail_payout_transfer((money_test.in_flight(money_test.id('q'))).id, 'declined', '2000-01-13 03:05Z') $$,
  'the other tranche fails');
select is(money_test.buckets(:'q'), '0/0/40000/0/0 pending', 'its money is payable again');
select throws_ok($$ select private.fail_payout_transfer(gen_random_uuid(), 'x') $$, 'PT404', null, 'unknown tranche');
select ok(money_test.consistent(), 'consistent at the end');

select * from finish();
rollback;
