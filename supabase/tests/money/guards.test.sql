-- Guards: status, amounts and destinations change only inside transition functions.
-- Nobody is exempted: not the table owner (postgres, here even a superuser), not the jobs'
-- role, not the API roles; a forged flag does not help; the flag is reset after each
-- transition; every status write (even inside a transition) must be an allowed edge.
begin;
\ir _fixtures.psql
select plan(29);

select money_test.remember('pl', money_test.placement(10000, 2000, '{10000}')) as pl \gset
select money_test.invoice(:'pl');
select money_test.remember('p', (money_test.payout(:'pl', 10000)).id) as p \gset
select money_test.remember('r', (select recruiter_id from payouts where id = :'p'));

-- the owner
select is(current_user::text, 'postgres', 'running as the owner of the tables');
select throws_ok($$ update payouts set paid_amount = amount, payable_amount = 0, held_amount = 0 where id = money_test.id('p') $$,
  '42501', null, 'owner: amounts refused');
select throws_ok($$ update payouts set status = 'paid' where id = money_test.id('p') $$, '42501', null, 'owner: status refused');
select throws_ok($$ update payouts set updated_at = now() where id = money_test.id('p') $$, '42501', null,
  'owner: any direct write to a payout refused');
select throws_ok($$ insert into payouts (placement_id, split_id, recruiter_id, currency, amount, payable_amount, status)
                    select placement_id, split_id, recruiter_id, currency, 1, 1, 'pending' from payouts where id = money_test.id('p') $$,
  '42501', null, 'owner: insert refused');
select throws_ok($$ delete from payouts where id = money_test.id('p') $$, '42501', null, 'owner: delete refused');
select throws_ok($$ update placements set fee_amount = 1 where id = money_test.id('pl') $$, '42501', null, 'placement fee refused');
select throws_ok($$ update placement_invoices set status = 'paid', paid_at = now(), collectible_at = now()
                    where placement_id = money_test.id('pl') $$, '42501', null, 'invoice status refused');
select throws_ok($$ update escrow_holds set status = 'released', released_at = now() where payout_id = money_test.id('p') $$,
  '42501', null, 'hold release refused');
select throws_ok($$ update payout_schedules set status = 'cancelled' where payout_id = money_test.id('p') $$, '42501', null,
  'schedule status refused');
select throws_ok($$ update private.payout_settings set payouts_paused = true, paused_at = now() $$, '42501', null,
  'kill switch only through private.set_payouts_paused');
select throws_ok($$ update recruiters set stripe_connect_account_id = 'acct_evil' where id = money_test.id('r') $$, '42501', null,
  'recruiter destination refused');
select throws_ok($$ update recruiters set paused_at = now(), paused_reason = 'x' where id = money_test.id('r') $$, '42501', null,
  'recruiter pause flag refused');
select throws_ok($$ insert into recruiters (user_id, display_name, stripe_connect_account_id)
                    values (tests.create_user('evil@test.invalid'), 'Evil', 'acct_evil2') $$, '42501', null,
  'a new recruiter cannot come with a destination');
select lives_ok($$ update recruiters set display_name = 'Renamed' where id = money_test.id('r') $$, 'unprotected columns stay writable');

-- a forged flag
select set_config('payouts.in_transition', 'forged', true);
select throws_ok($$ update payouts set status = 'paid' where id = money_test.id('p') $$, '42501', null, 'a forged flag is refused');
select set_config('payouts.in_transition', '', true);

-- the flag is reset after every transition, also nested ones and failed ones
select private.create_escrow_hold(:'p', 1, 'other', null, 'test', '2000-01-06');
select is(current_setting('payouts.in_transition'), '', 'flag reset after a (nested) transition');
select ok(not private.in_transition(), 'not in a transition any more');
select throws_ok($$ select private.create_escrow_hold(money_test.id('p'), 99999999, 'other') $$, 'PT422', null, 'a failing transition');
select ok(not private.in_transition(), 'flag reset after a failed transition');
select is(current_setting('payouts.audit_action', true), '', 'audit context cleared too');

-- allowed edges are enforced on every write, even inside a transition
select throws_ok($$ select private.enter_transition('test.forge', null);
                    update payouts set status = 'reversed' where id = money_test.id('p') $$, 'PT409', null,
  'inside a transition: pending -> reversed is still illegal');
select throws_ok($$ select private.enter_transition('test.forge', null);
                    insert into escrow_holds (placement_id, payout_id, currency, hold_amount, hold_reason, held_at, status, released_at)
                    select placement_id, id, currency, 1, 'other', now(), 'released', now() from payouts where id = money_test.id('p') $$,
  'PT409', null, 'a hold cannot be created released');
select throws_ok($$ select private.enter_transition('test.forge', null); delete from escrow_holds where payout_id = money_test.id('p') $$,
  '42501', null, 'money rows are never deleted, not even inside a transition');

-- the jobs' role and the API roles
-- (pgTAP lives in schema extensions, which payout_jobs may not use: switch role inside)
select throws_ok($$ set local role payout_jobs; update public.payouts set status = 'paid' $$, '42501', null,
  'payout_jobs: no table privilege');
select throws_ok($$ set local role payout_jobs; select private.enter_transition('x.y', null) $$, '42501', null,
  'payout_jobs cannot enter a transition');
select throws_ok($$ set local role payout_jobs; select private.transition_token() $$, '42501', null,
  'payout_jobs cannot compute the token');
select tests.authenticate_as_service_role();
select throws_ok($$ select * from payouts $$, '42501', null, 'service_role: no grant (policies come later)');
select tests.clear_authentication();
-- (tests.authenticate_as reads auth.users after switching role, which authenticated may not:
-- set the same role and claims directly)
select money_test.remember('u', tests.create_user('someone@test.invalid'));
select throws_ok(format($$ select set_config('role', 'authenticated', true),
                                  set_config('request.jwt.claims', '{"sub": "%s", "role": "authenticated"}', true);
                           update public.payouts set status = 'paid' $$, money_test.id('u')),
  '42501', null, 'authenticated: no grant');

select * from finish();
rollback;
