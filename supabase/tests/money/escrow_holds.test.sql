-- Escrow holds: holdback created at invoice time and released at guarantee completion;
-- manual holds; cancel forfeits; a hold never exceeds the unpaid, unheld remainder;
-- release_due_escrow_holds is set-based and schedules the payouts.
begin;
\ir _fixtures.psql
select plan(31);

-- holdback 10000 (the old system): nothing payable before the guarantee completes
select money_test.remember('full', money_test.placement(100001, 10000, '{5000,5000}')) as full \gset
select money_test.invoice(:'full');
select is((select array_agg(held_amount order by held_amount) from payouts where placement_id = :'full'),
  '{50000,50001}'::bigint[], 'holdback_bps 10000 holds every cent');
select is((select sum(payable_amount) from payouts where placement_id = :'full'), 0::numeric, 'nothing payable before completion');
select is((select count(*) from payout_schedules where placement_id = :'full'), 0::bigint, 'so nothing is scheduled');

-- holdback 0: no hold at all
select money_test.remember('none', money_test.placement(100000, 0, '{10000}')) as none \gset
select money_test.invoice(:'none');
select is((select count(*) from escrow_holds where placement_id = :'none'), 0::bigint, 'holdback_bps 0 creates no hold');

-- holdback 3333 of 1001 + 2002: ceil(3003 * 0.3333) = 1001, pro rata by amount
select money_test.remember('pl', money_test.placement(3003, 3333, '{3334,6666}')) as pl \gset
select money_test.invoice(:'pl');
select is((select sum(hold_amount) from escrow_holds where placement_id = :'pl'), 1001::numeric,
  'placement holdback = ceil(sum of payouts * holdback_bps / 10000)');
select is((select array_agg(h.hold_amount order by po.amount) from escrow_holds h join payouts po on po.id = h.payout_id
           where h.placement_id = :'pl'), '{334,667}'::bigint[], 'spread over the payouts pro rata by amount');
select is((select array_agg(distinct (hold_reason, status)::text) from escrow_holds where placement_id = :'pl'),
  '{"(guarantee_period,active)"}'::text[], 'guarantee_period holds, active');
select money_test.remember('p1', (money_test.payout(:'pl', 3334)).id);
select money_test.remember('h1', (select id from escrow_holds where payout_id = money_test.id('p1')));

-- manual holds
select throws_ok($$ select private.create_escrow_hold(money_test.id('p1'), 0, 'dispute') $$, 'PT400', null, 'a hold is > 0');
select throws_ok($$ select private.create_escrow_hold(money_test.id('p1'), 10, 'because') $$, 'PT400', null, 'unknown reason');
select throws_ok($$ select private.create_escrow_hold(money_test.id('p1'), 668, 'dispute', null, null, '2000-01-06') $$, 'PT422',
  null, 'a hold never exceeds the unpaid, unheld remainder (667)');
select money_test.remember('h2', (private.create_escrow_hold(money_test.id('p1'), 667, 'dispute', null, 'chargeback', '2000-01-06')).id);
select is(money_test.buckets(money_test.id('p1')), '0/0/0/1001/0 pending', 'all of it held now');
select throws_ok($$ select private.create_escrow_hold(money_test.id('p1'), 1, 'dispute') $$, 'PT422', null, 'nothing left to hold');

-- cancel forfeits
select throws_ok($$ select private.transition_escrow_hold(money_test.id('h2'), 'cancelled') $$, 'PT400', null,
  'cancelling needs a reason');
select is((private.transition_escrow_hold(money_test.id('h2'), 'cancelled', 'chargeback lost', '2000-01-07')).status, 'cancelled',
  'active -> cancelled');
select is(money_test.buckets(money_test.id('p1')), '0/0/0/334/667 pending', 'cancelled hold amount is forfeited');
select is((select (cancelled_by is null, cancellation_reason) from escrow_holds where id = money_test.id('h2')),
  row(true, 'chargeback lost'::text), 'who (system here) and why are recorded');
select is((private.transition_escrow_hold(money_test.id('h2'), 'cancelled', 'again', '2000-01-08')).cancellation_reason,
  'chargeback lost', 'cancelling again is a no-op');
select throws_ok($$ select private.transition_escrow_hold(money_test.id('h2'), 'released') $$, 'PT409', null, 'cancelled is terminal');

-- manual release
select is((private.transition_escrow_hold(money_test.id('h1'), 'released', 'verified', '2000-01-20')).status, 'released',
  'active -> released');
select is(money_test.buckets(money_test.id('p1')), '0/0/334/0/667 pending', 'released amount is payable');
select is((select (trigger_event, status) from payout_schedules where payout_id = money_test.id('p1') and status = 'pending'),
  row('invoice.collectible'::text, 'pending'::text), 'the payout already had a live schedule: it stays the only one');
select throws_ok($$ select private.transition_escrow_hold(money_test.id('h1'), 'cancelled', 'x') $$, 'PT409', null,
  'released is terminal');

-- placement-level hold: pro rata by amount, largest remainder
select money_test.remember('pl2', money_test.placement(1000, 0, '{3333,3333,3334}')) as pl2 \gset
select money_test.invoice(:'pl2');
select is((select array_agg(h.hold_amount order by h.payout_id)
           from private.create_placement_escrow_hold(:'pl2', 100, 'verification', '2000-02-01', 'kyc', '2000-01-06') h),
  (select array_agg(a.amount order by po.id) from (select po.id, row_number() over (order by po.id) rn
                                                   from payouts po where po.placement_id = :'pl2') po
   join private.largest_remainder(100, (select array_agg(amount order by id) from payouts where placement_id = :'pl2')) a
     on a.ord = po.rn),
  'placement-level hold = one hold per payout, pro rata by amount with largest remainder');
select throws_ok($$ select private.create_placement_escrow_hold(money_test.id('pl2'), 1001, 'dispute') $$, 'PT422', null,
  'a placement-level hold cannot exceed the payouts');

-- release_due_escrow_holds: set-based, at 03:00 UTC on the release date
select is((select count(*) from private.release_due_escrow_holds('2000-02-01 02:59:59Z') h where h.placement_id = :'pl2'), 0::bigint,
  'not before 03:00 UTC');
select is((select count(*) from private.release_due_escrow_holds('2000-02-01 03:00Z') h where h.placement_id = :'pl2'), 3::bigint,
  'all three due holds released in one call');
select is((select array_agg(distinct event_type) from payout_events e join escrow_holds h on h.id = e.entity_id
           where h.placement_id = :'pl2' and e.event_type like 'escrow_hold.%released'),
  '{escrow_hold.auto_released}'::text[], 'auto release events');
select is((select count(*) from escrow_holds where placement_id = :'pl' and status = 'active'), 1::bigint,
  'holds not yet due (2000-04-01) stay active');
select is((select count(*) from private.release_due_escrow_holds('2000-04-01 03:00Z') h where h.placement_id = :'full'), 2::bigint,
  'guarantee holds of the 10000-bps placement released on 2000-04-01 at 03:00');
select is((select (array_agg(distinct trigger_event), array_agg(distinct next_attempt_at), count(*))
           from payout_schedules where placement_id = :'full'),
  row('{escrow_hold.released}'::text[], '{2000-04-02 02:00Z}'::timestamptz[], 2::bigint),
  'each affected payout gets a schedule, due at the next 02:00 UTC');

select ok(money_test.consistent(), 'consistent');
select * from finish();
rollback;
