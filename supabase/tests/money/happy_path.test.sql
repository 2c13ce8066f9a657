-- End to end: placement -> invoice (payouts, holdback) -> paid -> collectible -> tranche 1 ->
-- guarantee hold released -> tranche 2 -> paid in full; the invariant holds after every step.
begin;
\ir _fixtures.psql
select plan(27);

select money_test.remember('pl', money_test.placement(100000, 2000, '{6000,4000}')) as pl \gset
select money_test.remember('inv', money_test.invoice(:'pl', false)) as inv \gset
select (money_test.payout(:'pl', 6000)).id as p1, (money_test.payout(:'pl', 4000)).id as p2 \gset

select is((select array_agg(amount order by amount desc) from payouts where placement_id = :'pl'),
  '{60000,40000}'::bigint[], 'one payout per split, amounts by share');
select is((select platform_amount from placements where id = :'pl'), 0::bigint, 'shares sum to 10000: platform keeps nothing');
select is(money_test.buckets(:'p1'), '0/0/48000/12000/0 pending', 'holdback of 20% held on payout 1');
select is(money_test.buckets(:'p2'), '0/0/32000/8000/0 pending', 'holdback of 20% held on payout 2');
select is((select array_agg(distinct release_scheduled_date) from escrow_holds where placement_id = :'pl'),
  '{2000-04-01}'::date[], 'guarantee holds are released on the first 03:00 UTC after expiry');
select ok(money_test.consistent(), 'consistent after recording the invoice');

select is((select count(*) from payout_schedules where placement_id = :'pl'), 0::bigint, 'no schedule before payment');
select lives_ok($$ select private.transition_placement_invoice(money_test.id('inv'), 'paid', null, '2000-01-05 12:00Z') $$, 'invoice paid');
select is((select collectible_at from placement_invoices where id = :'inv'), '2000-01-12 12:00Z'::timestamptz,
  'collectible = paid + 7 days');
select is((select array_agg(distinct next_attempt_at) from payout_schedules where placement_id = :'pl'),
  '{2000-01-13 02:00Z}'::timestamptz[], 'schedules fall due at the first 02:00 UTC once collectible');
select is((select array_agg(distinct trigger_event) from payout_schedules where placement_id = :'pl'),
  '{invoice.collectible}'::text[], 'trigger event invoice.collectible');

select is((select count(*) from money_test.claim('2000-01-13 01:59:59Z')), 0::bigint, 'nothing due before 02:00');
select is((select array_agg(amount order by amount desc) from money_test.claim('2000-01-13 02:00Z') where outcome = 'claimed'),
  '{48000,32000}'::bigint[], 'claim creates one tranche per payout with the unheld amount');
select is(money_test.buckets(:'p1'), '0/48000/0/12000/0 pending', 'claimed money is in flight');
select ok(money_test.consistent(), 'consistent after the claim');

select lives_ok($$ select private.complete_payout_transfer(t.id, 'tr_happy' || row_number() over (order by t.id), '2000-01-13 02:01Z')
                   from payout_transfers t where t.placement_id = money_test.id('pl') $$, 'tranches succeed');
select is(money_test.buckets(:'p1'), '48000/0/0/12000/0 partially_paid', 'payout 1 partially paid');
select is((select array_agg(distinct status) from payout_schedules where placement_id = :'pl'), '{processed}'::text[],
  'schedules processed');
select is((select count(*) from money_test.claim('2000-01-20 02:00Z')), 0::bigint, 'nothing more to claim while held');

select is((select count(*) from private.release_due_escrow_holds('2000-04-01 02:59:59Z')), 0::bigint,
  'holds are not released before 03:00 on their date');
select is((select count(*) from private.release_due_escrow_holds('2000-04-01 03:00Z')), 2::bigint,
  'both guarantee holds released at 03:00');
select is(money_test.buckets(:'p1'), '48000/0/12000/0/0 partially_paid', 'released money is payable');
select is((select next_attempt_at from payout_schedules where payout_id = :'p1' and status = 'pending'),
  '2000-04-02 02:00Z'::timestamptz, 'escrow_hold.released schedule due at the next 02:00 UTC');

select is((select array_agg(amount order by amount desc) from money_test.claim('2000-04-02 02:00Z') where outcome = 'claimed'),
  '{12000,8000}'::bigint[], 'second tranche: the released amount');
select lives_ok($$ select private.complete_payout_transfer(t.id, 'tr_happyb' || row_number() over (order by t.id), '2000-04-02 02:01Z')
                   from payout_transfers t where t.placement_id = money_test.id('pl') and t.status = 'pending' $$, 'second tranches succeed');
select is(money_test.buckets(:'p1') || ' ' || money_test.buckets(:'p2'),
  '60000/0/0/0/0 paid 40000/0/0/0/0 paid', 'both payouts paid in full, in two tranches each');

set constraints all immediate;
select ok(money_test.consistent(), 'consistent at the end (deferred checks pass)');

select * from finish();
rollback;
