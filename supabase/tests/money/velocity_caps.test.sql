-- Velocity caps (20261202140000_velocity_caps): daily platform and per-recruiter caps per
-- currency. The claim pays whole tranches in due order while the next one fits; in-flight
-- tranches count; the first that does not fit closes its scope for the UTC day and is deferred
-- (cap_reached) to the next day's due time; a failed tranche gives its amount back; a reclaim is
-- not counted twice; a lift opens a scope for one day; the run preview and payout_alerts show
-- where caps bite; no cap row = nothing written. Concurrent claims: velocity_caps_race.test.sql.
-- The four-eyes path of a lift: supabase/tests/access/four_eyes_caps.test.sql.
begin;
\ir _fixtures.psql
select plan(48);

create function pg_temp.usage(p_currency text, p_day date, p_recruiter uuid default null)
returns private.payout_cap_usage language sql as $$
  select u.* from private.payout_cap_usage u
  where u.currency = p_currency and u.day = p_day and u.recruiter_id is not distinct from p_recruiter
$$;
-- the payouts of a placement in the claim's due order (next_attempt_at, schedule id)
create function pg_temp.nth(p_placement uuid, p_n integer)
returns public.payouts language sql as $$
  select po.* from public.payouts po join public.payout_schedules s on s.payout_id = po.id
  where po.placement_id = p_placement and s.status in ('pending', 'failed')
  order by s.next_attempt_at, s.id offset p_n - 1 limit 1
$$;

-- ---------------------------------------------------------------------------------------------
-- No cap configured: nothing written, nothing held back
-- ---------------------------------------------------------------------------------------------
select money_test.remember('plE', money_test.placement(100000, 0, '{10000}', null, 'EUR'));
select money_test.invoice(money_test.id('plE'));
select is((select count(*)::int from money_test.claim('2000-01-13 02:00Z') where outcome = 'claimed'), 1,
  'no cap row: the due tranche is claimed');
select is((select count(*)::int from private.payout_cap_usage) + (select count(*)::int from private.payout_cap_charges), 0,
  '... and no counter or charge is written');

-- ---------------------------------------------------------------------------------------------
-- Settings: per currency, audited, checked
-- ---------------------------------------------------------------------------------------------
select money_test.remember('pl', money_test.placement(100000, 0, '{5000,3000,2000}'));
select money_test.invoice(money_test.id('pl'));
select money_test.remember('p1', (pg_temp.nth(money_test.id('pl'), 1)).id);
select money_test.remember('p2', (pg_temp.nth(money_test.id('pl'), 2)).id);
select money_test.remember('p3', (pg_temp.nth(money_test.id('pl'), 3)).id);
create temp table amt as
select (select payable_amount from payouts where id = money_test.id('p1')) as a1,
       (select payable_amount from payouts where id = money_test.id('p2')) as a2,
       (select payable_amount from payouts where id = money_test.id('p3')) as a3;

select throws_ok($$ insert into private.payout_caps (currency, platform_daily_max) values ('USD', -1) $$, '23514', null,
  'a negative cap is refused');
select throws_ok($$ insert into private.payout_caps (currency, platform_daily_max) values ('usd', 1) $$, '23514', null,
  'an unsupported currency code is refused');
-- the platform cap: the first two tranches and almost the third (a3 - 1)
insert into private.payout_caps (currency, platform_daily_max)
select 'USD', a1 + a2 + a3 - 1 from amt;
select is((select count(*)::int from payout_audit_log where entity_type = 'payout_cap' and operation = 'INSERT'
             and new_values ->> 'currency' = 'USD'), 1, 'setting a cap is audited (payout_cap)');

-- ---------------------------------------------------------------------------------------------
-- The claim: whole tranches in due order while the next one fits
-- ---------------------------------------------------------------------------------------------
-- p1..p3 are due; only p1, p2 fit before p3; p3 closes the platform scope for the day
create temp table c1 as select * from money_test.claim('2000-01-13 02:00Z');
select is((select array_agg(outcome order by outcome) from c1 where payout_id in (money_test.id('p1'), money_test.id('p2'))),
  array['claimed', 'claimed'], 'the first two tranches in due order are claimed');
select is((select outcome || ' ' || skip_reason from c1 where payout_id = money_test.id('p3')), 'skipped cap_reached',
  'the third does not fit: skipped, cap_reached');
-- a small tranche due later that day would fit what is left, but the scope is closed: due order
-- holds across claims
select money_test.remember('plQ', money_test.placement(1000, 0, '{10000}'));
select money_test.invoice(money_test.id('plQ'));
select money_test.remember('pQ', (pg_temp.nth(money_test.id('plQ'), 1)).id);
select ok((select pQ.payable_amount <= amt.a3 - 1 from payouts pQ, amt where pQ.id = money_test.id('pQ')),
  '(pQ alone would fit what is left)');
select is((select outcome || ' ' || skip_reason from money_test.claim('2000-01-13 02:20Z') where payout_id = money_test.id('pQ')),
  'skipped cap_reached', '... but a later claim that day defers it too: the scope is closed once a tranche did not fit');
select is(money_test.buckets(money_test.id('p3')), (select format('0/0/%s/0/0 pending', a3) from amt),
  'a tranche is never split: p3''s money stays payable, whole');
select is((money_test.schedule(money_test.id('p3'))).next_attempt_at, '2000-01-14 02:00Z'::timestamptz,
  'what does not fit falls due at the next day''s due time');
select is((money_test.schedule(money_test.id('p3'))).status, 'pending', '... still pending');
select is((select used_amount from pg_temp.usage('USD', '2000-01-13')), (select a1 + a2 from amt),
  'the platform counter of the day holds the claimed (in-flight) money');
select is((select reached_at from pg_temp.usage('USD', '2000-01-13')), '2000-01-13 02:00Z'::timestamptz,
  '... and when the cap was first reached');
select is((select deferred_count || ' ' || deferred_amount from pg_temp.usage('USD', '2000-01-13')),
  (select '2 ' || (a3 + (select payable_amount from payouts where id = money_test.id('pQ'))) from amt),
  '... and what it deferred');
select is((select count(*)::int from private.payout_cap_charges where currency = 'USD'), 2, 'one charge per claimed tranche');
select is_empty('select * from private.payout_cap_problems()', 'counters = Σ charges');
select is((select count(*)::int from private.payout_cap_usage where currency = 'EUR'), 0,
  'an uncapped currency in the same claim gets no counter');

-- the preview and the alerts
select money_test.remember('plR', money_test.placement(1000, 0, '{10000}'));
select money_test.invoice(money_test.id('plR'));
select money_test.remember('pR', (pg_temp.nth(money_test.id('plR'), 1)).id);
select money_test.remember('uAdmin', tests.create_user('caps-admin@test.invalid'));
insert into platform_admins (user_id) values (money_test.id('uAdmin'));
select tests.authenticate_as(money_test.id('uAdmin'));
create temp table preview as select * from public.payout_run_preview('2000-01-13 03:00Z');
select tests.clear_authentication();
select is((select reason from preview where payout_id = money_test.id('p3')),
  'not_due', 'preview: the deferred tranche is not due before tomorrow');
select is((select would_pay::text || ' ' || reason || ' ' || amount from preview where payout_id = money_test.id('pR')),
  'false cap_reached 0', 'preview: a due tranche of a closed scope would not be paid: cap_reached');
create temp table alerts as select * from private.payout_alert_rows('2000-01-13 03:00Z') where kind = 'cap_reached';
select is((select subject_id || ' ' || amount || ' ' || (details ->> 'scope') || ' ' || (details ->> 'deferred_count') from alerts),
  (select 'USD:platform:2000-01-13 ' || (a3 + (select payable_amount from payouts where id = money_test.id('pQ'))) || ' platform 2' from amt),
  'payout_alerts: cap_reached for the platform scope, with what it deferred');
select is((select count(*)::int from private.payout_alert_rows('2000-01-15 03:00Z') where kind = 'cap_reached'), 0,
  '... shown on that day and the next, not later');

-- ---------------------------------------------------------------------------------------------
-- In flight counts; a failed tranche gives its amount back; a reclaim is not counted twice
-- ---------------------------------------------------------------------------------------------
select private.fail_payout_transfer((money_test.in_flight(money_test.id('p1'))).id, 'balance_insufficient', '2000-01-13 02:30Z');
select is((select used_amount from pg_temp.usage('USD', '2000-01-13')), (select a2 from amt),
  'a failed tranche moved no money: its amount is given back to its day');
select is((select count(*)::int from private.payout_cap_charges where currency = 'USD'), 1, '... its charge is gone');
select is_empty('select * from private.payout_cap_problems()', '... counters = Σ charges');
-- p2 is still in flight: its lease (default 15 min) expired; a claim hands it to this run again
select is((select outcome from money_test.claim('2000-01-13 02:40Z') where payout_id = money_test.id('p2')), 'reclaimed',
  'the expired lease hands the same tranche out again');
select is((select used_amount from pg_temp.usage('USD', '2000-01-13')), (select a2 from amt),
  '... it is not counted twice');

-- ---------------------------------------------------------------------------------------------
-- The next day: a new counter
-- ---------------------------------------------------------------------------------------------
create temp table c2 as select * from money_test.claim('2000-01-14 02:00Z');
select is((select count(*)::int from c2 where outcome = 'claimed'
             and payout_id in (money_test.id('p1'), money_test.id('p3'), money_test.id('pQ'), money_test.id('pR'))), 4,
  'the next UTC day: the deferred tranches (and the retried one) are claimed');
select is((select used_amount from pg_temp.usage('USD', '2000-01-14')),
  (select sum(amount)::bigint from c2 where outcome = 'claimed'), 'the new day has its own counter');
select is((select used_amount from pg_temp.usage('USD', '2000-01-13')), (select a2 from amt), '... the day before is unchanged');

-- ---------------------------------------------------------------------------------------------
-- Per-recruiter cap
-- ---------------------------------------------------------------------------------------------
select money_test.remember('rX', money_test.recruiter('X'));
select money_test.remember('plG1', money_test.placement(10000, 0, '{10000}', array[money_test.id('rX')], 'GBP'));
select money_test.remember('plG2', money_test.placement(20000, 0, '{10000}', array[money_test.id('rX')], 'GBP'));
-- another recruiter's payout, under the recruiter cap too (it applies to each recruiter)
select money_test.remember('plG3', money_test.placement(5000, 0, '{10000}', null, 'GBP'));
select money_test.invoice(money_test.id('plG1')), money_test.invoice(money_test.id('plG2')), money_test.invoice(money_test.id('plG3'));
select money_test.remember('pG3', (pg_temp.nth(money_test.id('plG3'), 1)).id);
-- X may receive the larger of their two payouts in a day: exactly one of them fits
insert into private.payout_caps (currency, recruiter_daily_max)
select 'GBP', max(payable_amount) from payouts where recruiter_id = money_test.id('rX');
create temp table c3 as select * from money_test.claim('2000-01-13 02:00Z');
select is((select array_agg(c.outcome || coalesce(' ' || c.skip_reason, '') order by c.outcome) from c3 c
           join payouts po on po.id = c.payout_id where po.recruiter_id = money_test.id('rX')),
  array['claimed', 'skipped cap_reached'], 'recruiter cap: one of X''s two tranches fits, the other waits');
select is((select outcome from c3 where payout_id = money_test.id('pG3')), 'claimed', '... another recruiter is not held back');
select ok((select reached_at is not null from pg_temp.usage('GBP', '2000-01-13', money_test.id('rX'))),
  '... X''s scope is closed for the day');
select is((select reached_at from pg_temp.usage('GBP', '2000-01-13')), null, '... the platform scope is not');
select is((select used_amount from pg_temp.usage('GBP', '2000-01-13')),
  (select sum(amount)::bigint from c3 where outcome = 'claimed'), 'the platform counter counts both recruiters');

-- ---------------------------------------------------------------------------------------------
-- Lifting a cap for one day (the action a four-eyes request runs)
-- ---------------------------------------------------------------------------------------------
create temp table lifts_before as select count(*) as n from private.payout_cap_lifts;
select throws_ok(format($$ select private.lift_payout_cap('gbp', %L, '2000-01-13', 'r', '2000-01-13 03:00Z') $$, money_test.id('rX')),
  'PT400', null, 'lift: a lower-case currency is refused (PT400)');
select throws_ok(format($$ select private.lift_payout_cap('GBP', %L, '2000-01-12', 'r', '2000-01-13 03:00Z') $$, money_test.id('rX')),
  'PT400', null, 'lift: a past day is refused (PT400)');
select throws_ok($$ select private.lift_payout_cap('GBP', gen_random_uuid(), '2000-01-13', 'r', '2000-01-13 03:00Z') $$,
  'PT404', null, 'lift: an unknown recruiter (PT404)');
select throws_ok($$ select private.lift_payout_cap('GBP', null, '2000-01-13', 'r', '2000-01-13 03:00Z') $$,
  'PT404', 'no platform cap for GBP: nothing to lift', 'lift: no such cap (PT404)');
select throws_ok(format($$ select private.lift_payout_cap('GBP', %L, '2000-01-13', ' ', '2000-01-13 03:00Z') $$, money_test.id('rX')),
  'PT400', 'p_reason is required to lift a cap', 'lift: a reason is required (PT400)');
select is((select count(*) from private.payout_cap_lifts), (select n from lifts_before), '... none of them changed anything');

select is((private.lift_payout_cap('GBP', money_test.id('rX'), '2000-01-13', 'quarter-end bonus run', '2000-01-13 03:00Z')
           ->> 'rescheduled')::int, 1, 'lift today: X''s deferred tranche falls due now');
select throws_ok(format($$ select private.lift_payout_cap('GBP', %L, '2000-01-13', 'again', '2000-01-13 03:00Z') $$, money_test.id('rX')),
  'PT409', null, 'lifting the same cap the same day again: PT409');
select is((select count(*)::int from money_test.claim('2000-01-13 03:00Z') c join payouts po on po.id = c.payout_id
           where po.recruiter_id = money_test.id('rX') and c.outcome = 'claimed'), 1,
  '... and is claimed beyond the cap, that day only');
select ok(exists (select 1 from payout_audit_log where entity_type = 'payout_cap_lift' and action = 'payout_cap.lift'
                  and reason = 'quarter-end bonus run'), 'the lift is audited (payout_cap_lift)');
select is(money_test.events((select id from private.payout_cap_lifts where recruiter_id = money_test.id('rX'))),
  array['payout_cap.lifted'], '... with its event');
select is_empty('select * from private.payout_cap_problems()', 'counters = Σ charges at the end');
select ok(money_test.consistent(), 'every payout consistent');

select * from finish();
rollback;
