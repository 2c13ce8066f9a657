-- Effects of invoice.paid / invoice.payment_succeeded and of Connect account events, through the
-- money model: one effect per payment, the charge kept, unknown objects ignored, the capability
-- timestamp guard, waiting payouts due again, and a bank payout failure that never touches a tranche.
begin;
\ir ../money/_fixtures.psql
select plan(24);

-- invoice recorded (2000-01-02), Stripe says paid 2000-01-05 12:00
select money_test.remember('pl', money_test.placement(100000, 2000, '{6000,4000}'));
select money_test.remember('inv', (private.record_placement_invoice(money_test.id('pl'), 'in_whk1', null, 'open', '2000-01-02')).id);

create temp table r1 as
select private.stripe_record_invoice_paid(
  jsonb_build_object('stripe_invoice_id', 'in_whk1', 'amount_due', 100000, 'amount_paid', 100000, 'currency', 'usd',
    'paid_at', '2000-01-05 12:00Z', 'payment_intent_id', 'pi_whk1', 'charge_id', 'ch_whk1', 'stripe_event_id', 'evt_a'),
  '2000-01-05 12:01Z') as r;
select is((select r ->> 'outcome' from r1), 'applied', 'invoice.paid: applied');
select is((select row(status, paid_at, collectible_at, stripe_payment_intent_id)::text from public.placement_invoices
           where id = money_test.id('inv')),
  '(paid,"2000-01-05 12:00:00+00","2000-01-12 12:00:00+00",pi_whk1)',
  'paid at Stripe''s time, collectible after the 7-day buffer, payment intent kept');
select is((select row(stripe_charge_id, amount_paid, currency)::text from private.placement_invoice_payments
           where invoice_id = money_test.id('inv')), '(ch_whk1,100000,USD)', 'the charge is kept (source_transaction)');
select is(private.placement_source_transaction(money_test.id('pl')), 'ch_whk1', 'placement_source_transaction');
select is((select count(*)::int from public.payout_schedules where placement_id = money_test.id('pl')
           and trigger_event = 'invoice.collectible' and next_attempt_at = '2000-01-13 02:00Z'), 2,
  'each payout scheduled at the first 02:00 UTC after collectible');

create temp table r2 as
select private.stripe_record_invoice_paid(
  jsonb_build_object('stripe_invoice_id', 'in_whk1', 'amount_due', 100000, 'amount_paid', 100000, 'currency', 'usd',
    'paid_at', '2000-01-05 12:00Z', 'payment_intent_id', 'pi_whk1', 'charge_id', 'ch_whk1', 'stripe_event_id', 'evt_b'),
  '2000-01-05 12:02Z') as r;
select is((select r ->> 'outcome' from r2), 'noop', 'invoice.payment_succeeded of the same payment: noop');
select is(money_test.events(money_test.id('inv')),
  array['placement_invoice.recorded', 'placement_invoice.payment_recorded', 'placement_invoice.paid'],
  '... one payment recorded, one transition');
select is((select count(*)::int from public.payout_schedules where placement_id = money_test.id('pl')), 2,
  '... no second schedule');

select is(private.stripe_record_invoice_paid(jsonb_build_object('stripe_invoice_id', 'in_nobody', 'amount_due', 1,
              'amount_paid', 1, 'currency', 'usd', 'paid_at', '2000-01-05'), '2000-01-05')
            ->> 'reason', 'unknown_invoice', 'an invoice that is nobody''s: ignored');
select throws_ok($$ select private.stripe_record_invoice_paid(jsonb_build_object('stripe_invoice_id', 'in_whk1',
                      'amount_due', 100000, 'amount_paid', 100000, 'currency', 'eur', 'paid_at', '2000-01-05 12:00Z'),
                      '2000-01-05 12:03Z') $$, 'PT422', null, 'another currency: PT422');
select is((select r ->> 'outcome' from (select private.stripe_record_invoice_paid(
             jsonb_build_object('stripe_invoice_id', 'in_whk1', 'paid_at', '2099-01-01'), '2000-01-06') as r) x), 'noop',
  'paid again later: noop (paid_at is never moved)');
select throws_like($$ select private.stripe_record_invoice_paid(jsonb_build_object('stripe_invoice_id', 'in_qa_c1a'), '2000-01-06') $$,
  'stripe_invoice_id must be a Stripe invoice id: "in_" then letters and digits only (A-Z, a-z, 0-9), got "in_qa_c1a"',
  'a malformed Stripe id: PT400 saying which characters are allowed');

-- an invoice Stripe knows the placement of, not recorded here yet: recorded, payouts + holds
select money_test.remember('pl2', money_test.placement(50000, 10000, '{5000}'));
select is(private.stripe_record_invoice_paid(
            jsonb_build_object('stripe_invoice_id', 'in_whk2', 'amount_due', 50000, 'amount_paid', 50000, 'currency', 'usd',
              'paid_at', '2000-01-05 12:00Z', 'payment_intent_id', 'pi_whk2', 'charge_id', 'ch_whk2',
              'placement_id', money_test.id('pl2'), 'stripe_event_id', 'evt_c'),
            '2000-01-05 12:05Z') ->> 'invoice_recorded',
  'true', 'invoice recorded from the metadata placement');
select is((select money_test.buckets(id) from public.payouts where placement_id = money_test.id('pl2')),
  '0/0/0/25000/0 pending', '... its payout exists, fully held back (holdback 100%)');
select ok(money_test.consistent(), 'every payout consistent');

-- account capability: timestamp guard, waiting payouts due again
select money_test.remember('rw', money_test.recruiter('Waiting', 'inactive'));
select money_test.remember('pl3', money_test.placement(20000, 0, '{5000}', array[money_test.id('rw')]));
select money_test.invoice(money_test.id('pl3'));
select money_test.remember('po3', (select id from public.payouts where placement_id = money_test.id('pl3')));
select is((select skip_reason from money_test.claim('2000-01-13 02:00Z') where payout_id = money_test.id('po3')),
  'recruiter_cannot_receive_transfers', 'a payout waits for its recruiter''s account');
select is(private.stripe_sync_account_capability(
            jsonb_build_object('account_id', (select stripe_connect_account_id from public.recruiters where id = money_test.id('rw')),
              'transfers_capability', 'active', 'observed_at', '1999-12-31'),
            '2000-01-13 03:00Z') ->> 'reason', 'stale',
  'a read older than the last recorded change: stale, ignored');
select is(private.stripe_sync_account_capability(
            jsonb_build_object('account_id', (select stripe_connect_account_id from public.recruiters where id = money_test.id('rw')),
              'transfers_capability', 'active', 'observed_at', '2000-01-13 03:00Z'),
            '2000-01-13 03:00Z') ->> 'rescheduled', '1', 'capability active: applied, 1 schedule due now');
select is((select row(can_receive_transfers, stripe_capability_updated_at)::text from public.recruiters
           where id = money_test.id('rw')), '(t,"2000-01-13 03:00:00+00")', 'the recruiter can receive transfers');
select is((select next_attempt_at from public.payout_schedules where payout_id = money_test.id('po3')),
  '2000-01-13 03:00Z'::timestamptz, 'the waiting payout falls due now');
select is((select outcome from money_test.claim('2000-01-13 03:00Z') where payout_id = money_test.id('po3')), 'claimed',
  '... and is claimed at once');

-- bank payout failure: recorded, tranche untouched
select money_test.remember('t3', (select id from public.payout_transfers where payout_id = money_test.id('po3')));
select private.complete_payout_transfer(money_test.id('t3'), 'tr_whk3', '2000-01-13 03:01Z');
select is(private.stripe_record_connected_payout_failure(
            jsonb_build_object('account_id', (select stripe_connect_account_id from public.recruiters where id = money_test.id('rw')),
              'stripe_payout_id', 'po_whk3', 'amount', 10000, 'currency', 'usd', 'failure_code', 'account_closed',
              'failure_message', 'closed', 'stripe_event_created_at', '2000-01-14', 'stripe_event_id', 'evt_d'),
            '2000-01-14 01:00Z') ->> 'outcome',
  'applied', 'payout.failed of the connected account: recorded');
select is((select row(stripe_event_id, stripe_created_at)::text from private.connected_account_payout_failures
           where stripe_payout_id = 'po_whk3'), '(evt_d,"2000-01-14 00:00:00+00")', '... with the event it came from');
select is((select money_test.buckets(money_test.id('po3')) || ' ' || t.status
           from public.payout_transfers t where t.id = money_test.id('t3')),
  '10000/0/0/0/0 paid succeeded', 'the tranche stays succeeded and the payout paid: nothing to pay again');

select * from finish();
rollback;
