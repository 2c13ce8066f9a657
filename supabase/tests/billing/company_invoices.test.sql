-- Company billing in SQL: requests with their stored keys, the worker's lease, what Stripe says
-- recorded forward only (out-of-order reports change nothing), the placement invoice in step with
-- its live Stripe invoice, reissue with a new fee (reprice: payouts, holds, platform amount,
-- invoice), refusals, and the alerts of the failure paths. (The outbox intake and the worker end
-- to end: supabase/functions/tests/invoice-placements_test.ts.)
begin;
\ir ../money/_fixtures.psql
select plan(40);

-- a placement of a company billed through Stripe: fee 100 000, shares 60/40 %, holdback 20 %
select money_test.remember('pl', money_test.placement(100000, 2000, '{6000,4000}'));
select money_test.remember('co', (select company_id from public.placements where id = money_test.id('pl')));
select money_test.remember('inv', (private.record_placement_invoice(money_test.id('pl'), null, null, 'draft', '2000-01-02')).id);

select throws_ok(format('select private.request_company_invoice(%L)', money_test.id('inv')), 'PT409', null,
  'no billing email: billed by hand, no Stripe invoice requested');
update public.companies set billing_email = 'ap@acme.test' where id = money_test.id('co');
select money_test.remember('ci1', (private.request_company_invoice(money_test.id('inv'), 'placement created', '2000-01-02')).id);
select is((select row(issue, status, amount_due, currency, idempotency_key = 'company_invoice:' || id, work_due)::text
           from public.company_invoices where id = money_test.id('ci1')),
  '(1,pending,100000,USD,t,t)', 'issue 1: pending, the fee, its idempotency key stored with it, work due');
select throws_ok(format('select private.request_company_invoice(%L)', money_test.id('inv')), 'PT409', null,
  'one live Stripe invoice per placement invoice');
select throws_ok($$update public.company_invoices set status = 'open'$$, '42501', null,
  'direct writes refused (money guard)');

-- the worker's lease (days_until_due from the settings)
select is((private.configure_payout_settings(p_invoice_days_until_due => 14, p_reason => 'net 14')).invoice_days_until_due, 14,
  'invoice_days_until_due is a platform setting');
select is((select count(*)::int from private.claim_company_invoices('00000000-0000-0000-0000-0000000000a1', 10,
             interval '2 minutes', '2000-01-02 00:01Z') c where c ->> 'id' = money_test.id('ci1')::text), 1, 'claimed');
select is((select c ->> 'billing_email' || ' ' || (c ->> 'days_until_due')
           from private.claim_company_invoices('00000000-0000-0000-0000-0000000000a2', 10, interval '2 minutes',
                                               '2000-01-02 00:03Z') c where c ->> 'id' = money_test.id('ci1')::text),
  'ap@acme.test 14', 'leased again once the lease expired (the holder is gone), with the billing email and days_until_due');
select is((select count(*)::int from private.claim_company_invoices('00000000-0000-0000-0000-0000000000a3', 10,
             interval '2 minutes', '2000-01-02 00:04Z') c where c ->> 'id' = money_test.id('ci1')::text), 0,
  'not while leased');
select is(private.release_company_invoices('00000000-0000-0000-0000-0000000000a2', array[money_test.id('ci1')], '2000-01-02 00:04Z'),
  1, 'handed back by its holder');

-- customer, then what Stripe says, step by step
select private.record_company_customer(money_test.id('ci1'), 'cus_bill1', '2000-01-02 00:05Z');
select is((select stripe_customer_id from public.companies where id = money_test.id('co')), 'cus_bill1',
  'the company''s Stripe customer stored once');
select throws_ok(format('select private.record_company_customer(%L, ''cus_other'')', money_test.id('ci1')), 'PT409', null,
  'a company is one Stripe customer');
select is(private.record_company_invoice_state(jsonb_build_object('company_invoice_id', money_test.id('ci1'),
            'stripe_invoice_id', 'in_bill1', 'status', 'draft'), '2000-01-02 00:06Z') ->> 'outcome', 'applied', 'draft');
select is((select stripe_invoice_id from public.placement_invoices where id = money_test.id('inv')), 'in_bill1',
  'the Stripe id on the placement invoice as soon as it is known');
select is(private.record_company_invoice_state(jsonb_build_object('company_invoice_id', money_test.id('ci1'),
            'stripe_invoice_id', 'in_bill1', 'status', 'draft'), '2000-01-02 00:06Z') ->> 'outcome', 'noop',
  'the same report again: noop');
select throws_ok(format($$select private.record_company_invoice_state('{"company_invoice_id": "%s", "stripe_invoice_id": "in_other"}')$$,
  money_test.id('ci1')), 'PT409', null, 'never a second Stripe invoice for one request');
select private.record_company_invoice_state(jsonb_build_object('company_invoice_id', money_test.id('ci1'),
  'stripe_invoice_item_id', 'ii_bill1'), '2000-01-02 00:07Z');
select private.record_company_invoice_state(jsonb_build_object('stripe_invoice_id', 'in_bill1', 'status', 'open',
  'number', 'ACME-0001', 'hosted_invoice_url', 'https://invoice.stripe.com/i/x', 'due_at', '2000-02-01 00:08Z'),
  '2000-01-02 00:08Z');
select is((select row(status, number, hosted_invoice_url, finalized_at, sent_at, work_due)::text
           from public.company_invoices where id = money_test.id('ci1')),
  '(open,ACME-0001,https://invoice.stripe.com/i/x,"2000-01-02 00:08:00+00",,t)', 'finalized: open, still to send');
select is((select status from public.placement_invoices where id = money_test.id('inv')), 'open',
  'the placement invoice: draft -> open when Stripe finalized it');
select private.record_company_invoice_state(jsonb_build_object('stripe_invoice_id', 'in_bill1', 'status', 'open',
  'sent', true), '2000-01-02 00:09Z');
select is((select row(sent_at, work_due)::text from public.company_invoices where id = money_test.id('ci1')),
  '("2000-01-02 00:09:00+00",f)', 'sent: nothing left to do');
-- late reports (webhooks out of order) never move it back
select is(private.record_company_invoice_state('{"stripe_invoice_id": "in_bill1", "status": "draft"}', '2000-01-02 00:10Z') ->> 'outcome',
  'noop', 'a late draft report: noop');
select is(private.record_company_invoice_state('{"stripe_invoice_id": "in_unknown1", "status": "void"}', '2000-01-02 00:10Z') ->> 'outcome',
  'ignored', 'a Stripe invoice nobody requested: ignored');
select is(money_test.events(money_test.id('ci1')),
  array['company_invoice.requested', 'company_invoice.draft', 'company_invoice.open', 'company_invoice.sent'],
  'events: requested, draft, open, sent');

-- reissue with a new fee (before payment)
select throws_ok(format('select private.reissue_placement_invoice(%L, 120000, '' '')', money_test.id('pl')), 'PT400', null,
  'a reason is required');
select money_test.remember('ci2', (private.reissue_placement_invoice(money_test.id('pl'), 120000, 'fee renegotiated', '2000-01-03')).id);
select is((select row(fee_amount, platform_amount)::text from public.placements where id = money_test.id('pl')),
  '(120000,0)', 'repriced: fee 120 000 (shares sum to 100 %, the platform keeps 0)');
select is((select array_agg(row(amount, held_amount, payable_amount)::text order by amount desc) from public.payouts
           where placement_id = money_test.id('pl')),
  array['(72000,14400,57600)', '(48000,9600,38400)'], 'payouts and their guarantee holds repriced');
select is((select array_agg(hold_amount order by hold_amount desc) from public.escrow_holds where placement_id = money_test.id('pl')),
  array[14400::bigint, 9600], 'the holds resized');
select ok(money_test.consistent(), 'every payout consistent');
select is((select row(amount_due, status)::text from public.placement_invoices where id = money_test.id('inv')),
  '(120000,open)', 'the invoice is for the new fee, still open');
select is((select row(issue, status, amount_due, work_due)::text from public.company_invoices where id = money_test.id('ci2')),
  '(2,pending,120000,t)', 'issue 2 requested');
select is((select row(void_requested_at is not null, work_due)::text from public.company_invoices where id = money_test.id('ci1')),
  '(t,t)', 'issue 1 superseded: the worker voids it');
select private.record_company_invoice_state('{"stripe_invoice_id": "in_bill1", "status": "void"}', '2000-01-03 00:01Z');
select is((select row(status, work_due)::text from public.company_invoices where id = money_test.id('ci1')), '(void,f)',
  'the superseded invoice voided at Stripe');
select is((select stripe_invoice_id from public.placement_invoices where id = money_test.id('inv')), 'in_bill1',
  '... the placement invoice keeps it until the new one exists');
select private.record_company_invoice_state(jsonb_build_object('company_invoice_id', money_test.id('ci2'),
  'stripe_invoice_id', 'in_bill2', 'status', 'open'), '2000-01-03 00:02Z');
select is((select stripe_invoice_id from public.placement_invoices where id = money_test.id('inv')), 'in_bill2',
  'then follows the live one');
select is((select count(*)::int from private.payout_alert_rows('2000-01-03 00:03Z') where placement_id = money_test.id('pl')), 0,
  'a superseded void raises no alert');

-- failure paths: alert, the admin decides
select private.record_company_invoice_state('{"stripe_invoice_id": "in_bill2", "status": "uncollectible"}', '2000-01-04');
select is((select status from public.placement_invoices where id = money_test.id('inv')), 'uncollectible',
  'marked uncollectible at Stripe: the placement invoice too');
select is((select array_agg(kind) from private.payout_alert_rows('2000-01-04 00:01Z') where placement_id = money_test.id('pl')),
  array['company_invoice_uncollectible'], 'alert: company_invoice_uncollectible');
select private.record_company_invoice_state('{"stripe_invoice_id": "in_bill2", "status": "void"}', '2000-01-05');
select is((select array_agg(kind) from private.payout_alert_rows('2000-01-05 00:01Z') where placement_id = money_test.id('pl')),
  array['company_invoice_voided'], 'voided at Stripe (not by us): alert company_invoice_voided');
select money_test.remember('ci3', (private.reissue_placement_invoice(money_test.id('pl'), null, 'send it again', '2000-01-06')).id);
select private.fail_company_invoice(money_test.id('ci3'), 'email_invalid', 'customers.create: bad email', '2000-01-06 00:01Z');
select is((select array_agg(kind) from private.payout_alert_rows('2000-01-06 00:02Z') where placement_id = money_test.id('pl')),
  array['company_invoice_failed'], 'a Stripe refusal: alert company_invoice_failed (the voided issue is superseded)');
select private.transition_placement(money_test.id('pl'), 'failed', 'the admin decided: candidate left', '2000-01-07');
select is((select count(*)::int from private.payout_alert_rows('2000-01-07 00:01Z') where placement_id = money_test.id('pl')
           and kind like 'company_invoice%'), 0, 'the placement failed: no billing alert left');
select throws_ok(format('select private.reissue_placement_invoice(%L, null, ''again'')', money_test.id('pl')), 'PT409', null,
  'a failed placement is not reissued');

-- reprice refusals
select money_test.remember('pl2', money_test.placement(50000, 2000, '{5000}'));
select money_test.invoice(money_test.id('pl2'), true);
select throws_ok(format('select private.reprice_placement(%L, 60000, ''x'')', money_test.id('pl2')), 'PT409', null,
  'a paid invoice''s fee no longer changes');

select * from finish();
rollback;
