-- Disputes and refunds of a placement's payment after money went out, and Stripe reversals of
-- its transfers: dispute holds, flags, nothing payable while disputed, won releases, lost
-- forfeits and flags for reversal; reversals recorded once each, reversed <= paid.
begin;
\ir ../money/_fixtures.psql
select plan(28);

-- placement: A 60000 (12000 held back), B 40000 (8000 held back); invoice paid at Stripe
select money_test.remember('pl', money_test.placement(100000, 2000, '{6000,4000}'));
select private.record_placement_invoice(money_test.id('pl'), 'in_disp1', null, 'open', '2000-01-02');
select private.stripe_record_invoice_paid(
  jsonb_build_object('stripe_invoice_id', 'in_disp1', 'amount_due', 100000, 'amount_paid', 100000, 'currency', 'usd',
    'paid_at', '2000-01-05 12:00Z', 'payment_intent_id', 'pi_disp1', 'charge_id', 'ch_disp1', 'stripe_event_id', 'evt_p'),
  '2000-01-05 12:01Z');
select money_test.remember('a', (money_test.payout(money_test.id('pl'), 6000)).id);
select money_test.remember('b', (money_test.payout(money_test.id('pl'), 4000)).id);
select money_test.claim('2000-01-13 02:00Z');
select private.complete_payout_transfer((money_test.in_flight(money_test.id('a'))).id, 'tr_dispa', '2000-01-13 02:01Z');
select money_test.remember('tb', (money_test.in_flight(money_test.id('b'))).id);

-- dispute opened: A (paid) flagged, B's tranche still in flight
create temp table d1 as select private.stripe_record_payment_dispute(
  jsonb_build_object('source', 'dispute', 'stripe_object_id', 'dp_disp1', 'charge_id', 'ch_disp1', 'amount', 100000,
    'currency', 'usd', 'reason', 'fraudulent', 'occurred_at', '2000-01-14', 'stripe_event_id', 'evt_d1'),
  '2000-01-14 00:00Z') as r;
select is((select r ->> 'outcome' from d1), 'applied', 'charge.dispute.created: applied');
select is((select row(status, kind, amount)::text from private.payment_disputes where stripe_object_id = 'dp_disp1'),
  '(open,dispute,100000)', 'the dispute is open');
select ok((select flagged_for_reversal_at is not null from public.payouts where id = money_test.id('a')),
  'the paid payout is flagged');
select is((select status from public.payouts where id = money_test.id('a')), 'partially_paid',
  '... its status is still what its buckets say (the placement did not fail)');
select ok('payout.dispute_flagged' = any (money_test.events(money_test.id('a'))), 'event payout.dispute_flagged');
select ok('placement.payment_disputed' = any (money_test.events(money_test.id('pl'))), 'alert event placement.payment_disputed');
select is(private.stripe_record_payment_dispute(
  jsonb_build_object('source', 'dispute', 'stripe_object_id', 'dp_disp1', 'charge_id', 'ch_disp1', 'amount', 100000,
    'currency', 'usd', 'reason', 'fraudulent', 'occurred_at', '2000-01-14', 'stripe_event_id', 'evt_d1b'),
  '2000-01-14 00:01Z') ->> 'outcome', 'noop', 'the same dispute again: noop');
select throws_ok($$ select private.stripe_record_payment_dispute(
  jsonb_build_object('source', 'dispute', 'stripe_object_id', 'dp_x', 'charge_id', 'ch_nobody', 'amount', 1,
    'currency', 'usd'), '2000-01-14') $$, 'PT404', null, 'a charge that is no placement''s: PT404 (kept for retry)');

-- while disputed nothing becomes payable: a failed in-flight tranche, a released guarantee hold
select private.fail_payout_transfer(money_test.id('tb'), 'card declined', '2000-01-14 01:00Z');
select is(money_test.buckets(money_test.id('b')), '0/0/0/40000/0 pending', 'B''s failed tranche went on a dispute hold');
select is((select hold_amount from public.escrow_holds where payout_id = money_test.id('b') and hold_reason = 'dispute'),
  32000::bigint, '... of its 32000');
select private.transition_escrow_hold(
  (select id from public.escrow_holds where payout_id = money_test.id('a') and hold_reason = 'guarantee_period'),
  'released', 'admin release', '2000-01-15');
select is(money_test.buckets(money_test.id('a')), '48000/0/0/12000/0 partially_paid',
  'a released guarantee hold is held again for the dispute');
select is((select array_agg(po.id order by po.id) from public.payouts po
            where po.id in (money_test.id('a'), money_test.id('b'))
              and (select l.new_values from public.payout_audit_log l
                    where l.entity_type = 'payout' and l.entity_id = po.id
                    order by l.entity_seq desc limit 1) is distinct from pg_catalog.to_jsonb(po)),
  null, 'each payout''s latest audit row is its current row (the dispute hold is audited after the release or failure it follows)');
select is((select count(*)::int from money_test.claim('2000-01-16 02:00Z') where outcome = 'claimed'), 0,
  'nothing is claimed while disputed');
select ok(money_test.consistent(), 'consistent while disputed');

-- lost: everything unpaid forfeited, paid flagged for reversal
create temp table c1 as select private.stripe_close_payment_dispute(
  jsonb_build_object('stripe_dispute_id', 'dp_disp1', 'charge_id', 'ch_disp1', 'outcome', 'lost', 'stripe_status', 'lost',
    'closed_at', '2000-01-20', 'stripe_event_id', 'evt_c1'),
  '2000-01-20 00:00Z') as r;
select is((select r ->> 'forfeited_amount' from c1)::bigint + (select r ->> 'cancelled_hold_amount' from c1)::bigint,
  52000::bigint, 'lost: 52000 of held and payable money forfeited');
select is(money_test.buckets(money_test.id('a')), '48000/0/0/0/12000 paid', 'A: the paid money stays, the rest forfeited');
select is(money_test.buckets(money_test.id('b')), '0/0/0/0/40000 forfeited', 'B: forfeited');
select ok('payout.reversal_flagged' = any (money_test.events(money_test.id('a'))), 'A flagged for reversal');
select is((select count(*)::int from public.payout_schedules where placement_id = money_test.id('pl')
           and status in ('pending', 'processing', 'failed')), 0, 'no live schedule left');
select is(private.stripe_close_payment_dispute(
            jsonb_build_object('stripe_dispute_id', 'dp_disp1', 'charge_id', 'ch_disp1', 'outcome', 'won',
              'stripe_status', 'won', 'closed_at', '2000-01-21'), '2000-01-21')
            ->> 'outcome', 'noop', 'closed is terminal: a later close is a noop');
select is(private.stripe_record_payment_dispute(
  jsonb_build_object('source', 'dispute', 'stripe_object_id', 'dp_disp1', 'charge_id', 'ch_disp1', 'amount', 100000,
    'currency', 'usd', 'occurred_at', '2000-01-14'),
  '2000-01-22') ->> 'status', 'lost', 'a late dispute.created after closing: noop');

-- Stripe reversals of A's transfer: each once, reversed <= paid
select is(private.record_transfer_reversals('tr_dispa',
  '[{"id":"trr_a1","amount":20000,"currency":"usd","created":948000000,"metadata":{}}]', '2000-01-22') ->> 'new_amount',
  '20000', 'a reversal is recorded');
select is(private.record_transfer_reversals('tr_dispa',
  '[{"id":"trr_a1","amount":20000,"currency":"usd"},{"id":"trr_a2","amount":28000,"currency":"usd"}]', '2000-01-23')
  ->> 'new_amount', '28000', 'the same reversal again is not counted twice; the new one is');
select is((select row(t.reversed_amount, po.reversed_amount, po.status)::text from public.payout_transfers t
           join public.payouts po on po.id = t.payout_id where t.stripe_transfer_id = 'tr_dispa'),
  '(48000,48000,paid)', 'tranche and payout: 48000 reversed of 48000 paid');
select throws_ok($$ select private.record_transfer_reversals('tr_dispa', '[{"id":"trr_a3","amount":1,"currency":"usd"}]') $$,
  'PT422', null, 'more than the transfer: PT422 (reversed <= paid)');
select is(private.record_transfer_reversals('tr_nobody', '[]') ->> 'outcome', 'ignored', 'someone else''s transfer: ignored');
select ok(not exists (select 1 from private.reversal_problems()) and money_test.consistent(),
  'reversed amounts = sums of the Stripe reversals; every payout consistent');

-- won on another placement: dispute holds released, flags cleared
select money_test.remember('pl2', money_test.placement(10000, 0, '{5000}'));
select private.record_placement_invoice(money_test.id('pl2'), 'in_disp2', null, 'open', '2000-01-02');
select private.stripe_record_invoice_paid(
  jsonb_build_object('stripe_invoice_id', 'in_disp2', 'amount_due', 10000, 'amount_paid', 10000, 'currency', 'usd',
    'paid_at', '2000-01-05 12:00Z', 'charge_id', 'ch_disp2'),
  '2000-01-05 12:01Z');
select private.stripe_record_payment_dispute(
  jsonb_build_object('source', 'dispute', 'stripe_object_id', 'dp_disp2', 'charge_id', 'ch_disp2', 'amount', 10000,
    'currency', 'usd'),
  '2000-01-06');
select private.stripe_close_payment_dispute(
  jsonb_build_object('stripe_dispute_id', 'dp_disp2', 'charge_id', 'ch_disp2', 'outcome', 'won',
    'stripe_status', 'warning_closed', 'closed_at', '2000-01-07'),
  '2000-01-07');
select is((select money_test.buckets(id) || ' ' || (select count(*) from public.payout_schedules s where s.payout_id = p.id
                                                     and s.status = 'pending')
           from public.payouts p where placement_id = money_test.id('pl2')),
  '0/0/5000/0/0 pending 1', 'won: the dispute hold released, the payout payable and scheduled');

select * from finish();
rollback;
