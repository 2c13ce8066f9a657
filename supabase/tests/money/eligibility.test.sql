-- Eligibility: one function decides; every gate; one payout.connect_required event; skipped
-- schedules are deferred, never transferred, and resume once eligible.
begin;
\ir _fixtures.psql
select plan(24);

select money_test.remember('ok', money_test.recruiter('Ok'));
select money_test.remember('none', money_test.recruiter('NoAccount', null));
select money_test.remember('inactive', money_test.recruiter('Inactive', 'inactive'));
select money_test.remember('paused', money_test.recruiter('Paused', 'active', true));
select money_test.remember('pl', money_test.placement(100000, 0, '{4000,3000,2000,1000}',
  array[money_test.id('ok'), money_test.id('none'), money_test.id('inactive'), money_test.id('paused')])) as pl \gset

create function pg_temp.reasons(p_now timestamptz) returns text[] language sql as $$
  select array_agg(coalesce(e.reason, 'eligible') order by s.share_bps desc)
  from private.payout_eligibility(p_now) e
  join payouts po on po.id = e.payout_id join placement_splits s on s.id = po.split_id
  where e.placement_id = money_test.id('pl')
$$;

select is((select can_receive_transfers from recruiters where id = money_test.id('inactive')), false,
  'capabilities.transfers inactive: cannot receive transfers');
select money_test.remember('inv', money_test.invoice(:'pl', false));
select is(pg_temp.reasons('2000-01-20'), array_fill('invoice_not_collectible'::text, array[4]), 'unpaid invoice: not collectible');
select private.transition_placement_invoice(money_test.id('inv'), 'paid', null, '2000-01-05 12:00Z');
select is(pg_temp.reasons('2000-01-12 11:59:59Z'), array_fill('invoice_not_collectible'::text, array[4]),
  'paid but within the settlement buffer: not collectible');
select is(pg_temp.reasons('2000-01-12 12:00Z'),
  '{eligible,recruiter_cannot_receive_transfers,recruiter_cannot_receive_transfers,recruiter_paused}'::text[],
  'collectible: each recruiter gate');
select is((select payable_amount from private.payout_eligibility('2000-01-12 12:00Z', array[(money_test.payout(money_test.id('pl'), 4000)).id])),
  40000::bigint, 'payable amount reported');

-- claim: one tranche, three skips, one connect_required event each
select is((select array_agg(outcome || coalesce(' ' || skip_reason, '') order by amount nulls last, skip_reason)
           from money_test.claim('2000-01-13 02:00Z')),
  '{claimed,"skipped recruiter_cannot_receive_transfers","skipped recruiter_cannot_receive_transfers","skipped recruiter_paused"}'::text[],
  'claim transfers the eligible payout only');
select is((select count(*) from payout_transfers where placement_id = :'pl'), 1::bigint, 'skipped payouts get no tranche');
select is((select count(*) from payout_events e join payouts po on po.id = e.entity_id
           where po.placement_id = :'pl' and e.event_type = 'payout.connect_required'), 3::bigint,
  'one payout.connect_required event per blocked payout');
select is((select array_agg(distinct next_attempt_at) from payout_schedules s join payouts po on po.id = s.payout_id
           where po.placement_id = :'pl' and s.skip_reason is not null), '{2000-01-14 02:00Z}'::timestamptz[],
  'skipped schedules are deferred to the next payout due time');
select is((select array_agg(distinct status) from payout_schedules where placement_id = :'pl' and skip_reason is not null),
  '{pending}'::text[], 'and stay pending (a skip is not a failed attempt)');
select is((select count(*) from money_test.claim('2000-01-14 02:00Z') where outcome = 'skipped'), 3::bigint, 'still skipped next day');
select is((select count(*) from payout_events e join payouts po on po.id = e.entity_id
           where po.placement_id = :'pl' and e.event_type = 'payout.connect_required'), 3::bigint,
  'but no second connect_required event');

-- fixing the accounts
select private.set_recruiter_connect_account(money_test.id('none'), 'acct_fixednone', 'active', '2000-01-14 10:00Z');
select private.set_recruiter_connect_account(money_test.id('inactive'),
  (select stripe_connect_account_id from recruiters where id = money_test.id('inactive')), 'active', '2000-01-14 10:00Z');
select private.set_recruiter_paused(money_test.id('paused'), false, null, '2000-01-14 10:00Z');
select is(pg_temp.reasons('2000-01-14 10:00Z'), '{nothing_payable,eligible,eligible,eligible}'::text[],
  'all eligible now (the first one''s money is in flight)');

-- platform kill switch
select throws_ok($$ select private.set_payouts_paused(true) $$, 'PT400', null, 'pausing the platform needs a reason');
select private.set_payouts_paused(true, 'incident', '2000-01-14 11:00Z');
select is(pg_temp.reasons('2000-01-15 02:00Z'), array_fill('platform_paused'::text, array[4]), 'platform paused: nothing eligible');
select is((select array_agg(distinct skip_reason) from money_test.claim('2000-01-15 02:00Z')), '{platform_paused}'::text[],
  'claims skip everything while paused');
select is((select count(*) from payout_transfers where placement_id = :'pl'), 1::bigint, 'no tranche while paused');
select is((private.set_payouts_paused(true, 'still', '2000-01-15 03:00Z')).paused_reason, 'incident', 'pausing twice is a no-op');
select private.set_payouts_paused(false, 'resolved', '2000-01-15 04:00Z');
select is((select count(*) from money_test.claim('2000-01-16 02:00Z') where outcome = 'claimed'), 3::bigint,
  'after resuming, the deferred schedules are claimed');
select is((select count(*) from payout_events where event_type in ('platform.payouts_paused', 'platform.payouts_resumed')
           and created_at = now()), 2::bigint, 'pause and resume are events');

-- a failed placement and an empty payout are reported too
select money_test.remember('pl2', money_test.placement(100000, 5000, '{10000}')) as pl2 \gset
select money_test.invoice(:'pl2');
select private.transition_placement(:'pl2', 'failed', 'left', '2000-01-20');
select is((select reason from private.payout_eligibility('2000-01-20') where placement_id = :'pl2'), 'placement_failed',
  'placement failed');
select money_test.remember('pl3', money_test.placement(0, 0, '{10000}')) as pl3 \gset
select money_test.invoice(:'pl3');
select is((select (reason, eligible) from private.payout_eligibility('2000-01-20') where placement_id = :'pl3'),
  row('nothing_payable'::text, false), 'a zero payout has nothing payable');
select is((select status from payouts where placement_id = :'pl3'), 'paid', 'and is born paid (nothing owed)');
select ok(money_test.consistent(), 'consistent');

select * from finish();
rollback;
