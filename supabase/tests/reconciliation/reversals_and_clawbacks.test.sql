-- Reversal requests and clawback netting in SQL: requests per tranche with stored keys, leases,
-- the partial plan (first plan wins), completion (succeeded / partial + amount owed), netting
-- across several payouts and debts with cumulative sums, the bucket invariant, who sees what.
begin;
\ir ../money/_fixtures.psql
select plan(26);

-- recruiter R: payout A paid (48000 of 60000; 12000 guarantee hold), invoice paid 2000-01-05
select money_test.remember('r', money_test.recruiter('Clawed'));
select money_test.remember('pl', money_test.placement(100000, 2000, '{6000}', array[money_test.id('r')]));
select money_test.invoice(money_test.id('pl'));
select money_test.remember('a', (money_test.payout(money_test.id('pl'), 6000)).id);
select money_test.claim('2000-01-13 02:00Z');
select private.complete_payout_transfer((money_test.in_flight(money_test.id('a'))).id, 'tr_clawA', '2000-01-13 02:01Z');

select throws_ok($$ select private.request_payout_reversal(money_test.id('a'), '  ') $$, 'PT400', null, 'a reason is required');
create temp table req as select * from private.request_payout_reversal(money_test.id('a'), 'guarantee failed', '2000-01-20');
select is((select row(amount, status, idempotency_key = 'payout_reversal:' || id)::text from req), '(48000,pending,t)',
  'one request per paid tranche: its unreversed amount, key stored');
select is((select count(*)::int from private.request_payout_reversal(money_test.id('a'), 'again', '2000-01-20 00:01')),
  1, 'requested again while live: the live request, not a second one');
select ok('payout_reversal.requested' = any (money_test.events((select id from req))), 'event payout_reversal.requested');

-- lease
select is((select count(*)::int from private.claim_payout_reversals('00000000-0000-4000-8000-00000000c001', 10,
                                                                     '2 minutes', '2000-01-20 00:02Z')
           where id = (select id from req)), 1, 'claimed by a worker');
select is((select count(*)::int from private.claim_payout_reversals('00000000-0000-4000-8000-00000000c002', 10,
                                                                     '2 minutes', '2000-01-20 00:03Z')
           where id = (select id from req)), 0, '... not by another while leased');
select is((select attempts from private.claim_payout_reversals('00000000-0000-4000-8000-00000000c002', 10, '2 minutes',
                                                                '2000-01-20 00:05Z') where id = (select id from req)),
  2, 'after the lease expired: claimed again (the holder is gone)');

-- partial plan: first plan wins
select is((select partial_amount from private.plan_partial_payout_reversal((select id from req), 18000, '2000-01-20 00:06Z')),
  18000::bigint, 'balance too low: partial amount = what is available');
select is((select row(partial_amount, partial_idempotency_key)::text
           from private.plan_partial_payout_reversal((select id from req), 40000, '2000-01-20 00:07Z')),
  '(18000,' || (select idempotency_key from req) || ':partial)', 'a second plan (killed worker) returns the first one');
select throws_ok(format($$ select private.complete_payout_reversal(%L, '[{"id":"trr_z","amount":1,"currency":"usd","metadata":{}}]') $$,
                        (select id from req)), 'PT400', null, 'only reversals made for this request complete it');

-- complete as partial: 30000 owed
create temp table done as select * from private.complete_payout_reversal((select id from req),
  jsonb_build_array(jsonb_build_object('id', 'trr_claw1', 'amount', 18000, 'currency', 'usd',
                                       'metadata', jsonb_build_object('payout_reversal_id', (select id from req)))),
  '2000-01-20 00:08Z');
select is((select row(status, reversed_amount, shortfall_amount)::text from done), '(partial,18000,30000)',
  'partial: 18000 back, 30000 short');
select is((select row(t.reversed_amount, po.reversed_amount)::text from public.payout_transfers t
           join public.payouts po on po.id = t.payout_id where t.stripe_transfer_id = 'tr_clawA'),
  '(18000,18000)', 'tranche and payout record what came back');
select is((select row(amount, outstanding_amount, status)::text from public.recruiter_clawbacks
           where payout_reversal_id = (select id from req)), '(30000,30000,open)', 'the shortfall is owed by the recruiter');
select is((select status from private.complete_payout_reversal((select id from req), '[]', '2000-01-20 00:09Z')), 'partial',
  'completing again: unchanged');

-- netting: two more placements of R (5000 and 40000 payable), a second debt of 10000
select money_test.remember('pl2', money_test.placement(10000, 0, '{5000}', array[money_test.id('r')]));
select money_test.invoice(money_test.id('pl2'));
select money_test.remember('pl3', money_test.placement(80000, 0, '{5000}', array[money_test.id('r')]));
select money_test.invoice(money_test.id('pl3'), false);  -- not paid: its money is not netted
select money_test.remember('pl4', money_test.placement(80000, 0, '{5000}', array[money_test.id('r')]));
select private.transition_placement_invoice(money_test.invoice(money_test.id('pl4'), false), 'paid', null,
                                           '2000-01-06 12:00Z');  -- collectible a day after B's
select money_test.remember('b', (select id from public.payouts where placement_id = money_test.id('pl2')));
select money_test.remember('c', (select id from public.payouts where placement_id = money_test.id('pl3')));
select money_test.remember('d', (select id from public.payouts where placement_id = money_test.id('pl4')));
create temp table offs as select * from private.apply_clawback_offsets('2000-01-21', money_test.id('r'));
select is((select array_agg(amount order by amount) from offs), array[5000, 25000]::bigint[],
  'the 30000 owed: all 5000 of the older payout, 25000 of the next one');
select is(money_test.buckets(money_test.id('b')), '0/0/0/0/5000 forfeited', 'B: netted entirely (kept by the platform)');
select is(money_test.buckets(money_test.id('d')), '0/0/15000/0/25000 pending', 'D: 25000 netted, 15000 still payable');
select is(money_test.buckets(money_test.id('c')), '0/0/40000/0/0 pending', 'C (invoice not paid): untouched');
select is((select row(offset_amount, outstanding_amount, status)::text from public.recruiter_clawbacks
           where payout_reversal_id = (select id from req)), '(30000,0,settled)', 'the debt is settled');
select is((select count(*)::int from private.apply_clawback_offsets('2000-01-21')), 0, 'netting again: nothing');
select ok(money_test.consistent() and not exists (select 1 from private.reversal_problems()),
  'buckets sum to the amount; reversed amounts consistent');
select ok('payout.clawback_offset' = any (money_test.events(money_test.id('d'))), 'event payout.clawback_offset');

-- who sees what, who may reverse
select money_test.remember('other', money_test.recruiter('Other'));
select (select user_id from public.recruiters where id = money_test.id('r')) as r_user,
       (select user_id from public.recruiters where id = money_test.id('other')) as other_user,
       money_test.id('a') as payout_a \gset
select tests.authenticate_as(:'r_user');
select is((select count(*)::int from public.recruiter_clawbacks), 1, 'the recruiter sees their debt');
select is((select count(*)::int from public.clawback_offsets), 2, '... and its nettings');
select tests.clear_authentication();
select tests.authenticate_as(:'other_user');
select is((select count(*)::int from public.recruiter_clawbacks) + (select count(*)::int from public.payout_reversals), 0,
  'another recruiter sees nothing of it');
select throws_ok($$ select public.reverse_payout('$$ || :'payout_a' || $$', 'x') $$, '42501', null,
  'a recruiter cannot call reverse_payout');
select tests.clear_authentication();

select * from finish();
rollback;
