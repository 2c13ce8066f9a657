-- Invoice state machine and recording: draft -> open -> paid | void | uncollectible.
begin;
\ir _fixtures.psql
select plan(22);

select money_test.remember('pl', money_test.placement(100000, 2000, '{6000,4000}')) as pl \gset

select throws_ok($$ select private.record_placement_invoice(money_test.id('pl'), null, null, 'paid', '2000-01-02') $$,
  'PT400', null, 'an invoice is recorded as draft or open');
select throws_ok($$ select private.record_placement_invoice(gen_random_uuid()) $$, 'PT404', null, 'unknown placement');

select money_test.remember('inv', (private.record_placement_invoice(:'pl', 'in_test1', null, 'draft', '2000-01-02')).id) as inv \gset
select is((select (status, amount_due, currency::text) from placement_invoices where id = :'inv'),
  row('draft'::text, 100000::bigint, 'USD'::text), 'recorded as draft, amount due = fee, currency of the placement');
select is((private.record_placement_invoice(:'pl', 'in_test1', null, 'draft', '2000-01-03')).id, :'inv'::uuid,
  'recording the same invoice again is a no-op');
select throws_ok($$ select private.record_placement_invoice(money_test.id('pl'), 'in_other', null, 'open', '2000-01-03') $$,
  'PT409', null, 'one invoice per placement');
select is((select count(*) from payouts where placement_id = :'pl'), 2::bigint, 'payouts created once');
select is((select count(*) from escrow_holds where placement_id = :'pl'), 2::bigint, 'guarantee holds created once');

select throws_ok($$ select private.transition_placement_invoice(money_test.id('inv'), 'paid') $$, 'PT409', null, 'draft -> paid illegal');
select throws_ok($$ select private.transition_placement_invoice(gen_random_uuid(), 'open') $$, 'PT404', null, 'unknown invoice');
select is((private.transition_placement_invoice(:'inv', 'open', null, '2000-01-03')).status, 'open', 'draft -> open');
select is((private.transition_placement_invoice(:'inv', 'uncollectible', 'no answer', '2000-01-04')).status, 'uncollectible',
  'open -> uncollectible');
select is((select count(*) from payout_schedules where placement_id = :'pl'), 0::bigint, 'nothing scheduled while unpaid');
select throws_ok($$ select private.transition_placement_invoice(money_test.id('inv'), 'paid', null, '2000-01-05', '2000-01-06') $$,
  'PT400', null, 'paid_at cannot be in the future');
select is((private.transition_placement_invoice(:'inv', 'paid', null, '2000-01-05 12:00Z', '2000-01-04 23:00Z')).collectible_at,
  '2000-01-11 23:00Z'::timestamptz, 'uncollectible -> paid late; collectible = paid_at + 7 days');
select is((select array_agg(next_attempt_at) from payout_schedules where placement_id = :'pl'),
  '{2000-01-12 02:00Z,2000-01-12 02:00Z}'::timestamptz[], 'payouts scheduled at the first 02:00 UTC once collectible');
select is((private.transition_placement_invoice(:'inv', 'paid', null, '2000-01-09')).paid_at, '2000-01-04 23:00Z'::timestamptz,
  'paid again is a no-op');
select throws_ok($$ select private.transition_placement_invoice(money_test.id('inv'), 'void') $$, 'PT409', null, 'paid is terminal');
select is(money_test.events(:'inv'),
  '{placement_invoice.recorded,placement_invoice.open,placement_invoice.uncollectible,placement_invoice.paid}'::text[],
  'one event per transition');

select money_test.remember('pl2', money_test.placement()) as pl2 \gset
select money_test.remember('inv2', money_test.invoice(:'pl2', false));
select is((private.transition_placement_invoice(money_test.id('inv2'), 'void', 'duplicate', '2000-01-03')).status, 'void', 'open -> void');
select throws_ok($$ select private.transition_placement_invoice(money_test.id('inv2'), 'open') $$, 'PT409', null, 'void is terminal');

select money_test.remember('pl3', money_test.placement()) as pl3 \gset
select private.transition_placement(:'pl3', 'failed', 'withdrew', '2000-01-02');
select throws_ok($$ select private.record_placement_invoice(money_test.id('pl3')) $$, 'PT409', null,
  'no invoice for a failed placement');
select ok(money_test.consistent(), 'consistent');

select * from finish();
rollback;
