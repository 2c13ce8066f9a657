-- Statements (docs/statements.md): reconciliation to the cent with the payout buckets (holds
-- placed, released and cancelled, a paid tranche, a partial reversal and its clawback netted from
-- two later payouts, a failed placement), period boundaries and continuity, running balances,
-- yearly totals, the platform summary, who sees what, bad input.
begin;
\ir ../money/_fixtures.psql
select plan(36);

-- R: payout A 60000 (12000 on a guarantee hold), paid 48000 on 2000-01-13 02:01 (tr_stmtA)
select money_test.remember('r', money_test.recruiter('Stated'));
select money_test.remember('pl', money_test.placement(100000, 2000, '{6000}', array[money_test.id('r')]));
select money_test.invoice(money_test.id('pl'));
select money_test.remember('a', (money_test.payout(money_test.id('pl'), 6000)).id);
select money_test.claim('2000-01-13 02:00Z');
select private.complete_payout_transfer((money_test.in_flight(money_test.id('a'))).id, 'tr_stmtA', '2000-01-13 02:01Z');
-- partial reversal on 2000-01-20: 18000 back, 30000 owed by R
create temp table req as select * from private.request_payout_reversal(money_test.id('a'), 'guarantee failed', '2000-01-20');
select count(*) from private.claim_payout_reversals('00000000-0000-4000-8000-0000000051a1', 10, '2 minutes', '2000-01-20 00:01Z');
select private.plan_partial_payout_reversal((select id from req), 18000, '2000-01-20 00:02Z');
select private.complete_payout_reversal((select id from req),
  jsonb_build_array(jsonb_build_object('id', 'trr_stmt1', 'amount', 18000, 'currency', 'usd',
                                       'metadata', jsonb_build_object('payout_reversal_id', (select id from req)))),
  '2000-01-20 00:08Z');
-- B 5000 and D 40000 (no holdback), netted on 2000-01-21: 5000 of B, 25000 of D
select money_test.remember('pl2', money_test.placement(10000, 0, '{5000}', array[money_test.id('r')]));
select money_test.invoice(money_test.id('pl2'));
select money_test.remember('pl4', money_test.placement(80000, 0, '{5000}', array[money_test.id('r')]));
select private.transition_placement_invoice(money_test.invoice(money_test.id('pl4'), false), 'paid', null,
                                           '2000-01-06 12:00Z');  -- collectible a day after B's: netted second
select count(*) from private.apply_clawback_offsets('2000-01-21', money_test.id('r'));
-- E 20000 (4000 held) of a placement that fails on 2000-02-01: hold cancelled, the rest forfeited
select money_test.remember('pl5', money_test.placement(40000, 2000, '{5000}', array[money_test.id('r')]));
select money_test.invoice(money_test.id('pl5'));
select private.transition_placement(money_test.id('pl5'), 'failed', 'candidate left', '2000-02-01');
-- A's guarantee hold released on 2000-04-01 03:00
select count(*) from private.release_due_escrow_holds('2000-04-01 03:00Z');
-- someone else's money in the same period
select money_test.remember('other', money_test.recruiter('Other'));
select money_test.remember('plo', money_test.placement(30000, 0, '{5000}', array[money_test.id('other')]));
select money_test.invoice(money_test.id('plo'));

create temp table st as select * from private.statement(money_test.id('r'), '1999-01-01', '2001-01-01', 'USD');
create temp table b as
  select sum(payable_amount + in_flight_amount) as owed, sum(held_amount) as held, sum(paid_amount) as paid,
         sum(reversed_amount) as reversed, sum(forfeited_amount) as forfeited, sum(amount) as amount
    from public.payouts where recruiter_id = money_test.id('r');

-- reconciliation with the buckets
select ok(money_test.consistent(), 'the scenario leaves consistent buckets');
select is((select row(owed_balance, held_balance, clawback_balance)::text from st where kind = 'closing_balance'),
  (select row(b.owed, b.held, (select coalesce(sum(outstanding_amount), 0) from public.recruiter_clawbacks
                                where recruiter_id = money_test.id('r')))::text from b),
  'closing balances = owed (payable + in flight), held and outstanding clawbacks of the buckets');
select is((select sum(amount) from st where kind = 'transfer_paid'), (select paid from b), 'paid lines = paid_amount');
select is((select sum(amount) from st where kind = 'reversed'), (select reversed from b), 'reversed lines = reversed_amount');
select is((select sum(amount) from st where kind in ('hold_cancelled', 'forfeited', 'clawback_offset')),
  (select forfeited from b), 'cancelled holds + forfeits + clawback offsets = forfeited_amount');
select is((select sum(amount) from st where kind = 'earned'), (select amount from b), 'earned lines = the payouts'' amounts');
select is((select row(owed_balance, held_balance)::text from st where kind = 'opening_balance'), '(0,0)',
  'nothing before the first placement');
select is((select row(owed_balance, held_balance, clawback_balance)::text from st
            where line_key = (select max(line_key) from st where kind not in ('opening_balance', 'closing_balance'))),
  (select row(owed_balance, held_balance, clawback_balance)::text from st where kind = 'closing_balance'),
  'the running balance of the last line is the closing balance');
select is((select array_agg(kind order by line_key) from st),
  array['opening_balance', 'earned', 'earned', 'earned', 'earned', 'hold_placed', 'hold_placed', 'transfer_paid',
        'reversed', 'clawback_created', 'clawback_offset', 'clawback_offset', 'hold_cancelled', 'forfeited', 'hold_released',
        'closing_balance'],
  'every movement once, in time order (same moment: by kind, then source)');
select is((select row(stripe_id, placement_id = money_test.id('pl'), payout_id = money_test.id('a'), amount)::text
             from st where kind = 'transfer_paid'), '(tr_stmtA,t,t,48000)',
  'a paid tranche with its placement, payout and Stripe transfer id');
select is((select stripe_id from st where kind = 'reversed'), 'trr_stmt1', 'a reversal with its Stripe reversal id');
select is((select row(amount, clawback_change)::text from st where kind = 'clawback_created'), '(30000,30000)',
  'the shortfall is a debt');
select is((select array_agg(row(amount, owed_change, clawback_change, occurred_at = '2000-01-21')::text order by amount)
             from st where kind = 'clawback_offset'),
  array['(5000,-5000,-5000,t)', '(25000,-25000,-25000,t)'], 'the debt netted from later payouts, dated by the netting');
select ok((select bool_and(recruiter_id = money_test.id('r')) from st), 'only R''s lines');

-- periods: boundaries and continuity
create temp table p1 as select * from private.statement(money_test.id('r'), '2000-01-01', '2000-01-13 02:01Z', 'USD');
create temp table p2 as select * from private.statement(money_test.id('r'), '2000-01-13 02:01Z', '2000-02-01', 'USD');
create temp table p3 as select * from private.statement(money_test.id('r'), '2000-02-01', '2000-12-31', 'USD');
select is((select count(*)::int from p1 where kind = 'transfer_paid'), 0, 'a movement at p_to is not in the period');
select is((select count(*)::int from p2 where kind = 'transfer_paid'), 1, '... it is in the period starting then');
select is((select row(owed_balance, held_balance, clawback_balance)::text from p1 where kind = 'closing_balance'),
  '(109000,16000,0)', 'closing of the first period: 48000 + 5000 + 40000 + 16000 owed, 12000 + 4000 held');
select is((select row(owed_balance, held_balance, clawback_balance)::text from p2 where kind = 'opening_balance'),
  (select row(owed_balance, held_balance, clawback_balance)::text from p1 where kind = 'closing_balance'),
  'opening of a period = closing of the one before');
select is((select row(owed_balance, held_balance, clawback_balance)::text from p3 where kind = 'opening_balance'),
  (select row(owed_balance, held_balance, clawback_balance)::text from p2 where kind = 'closing_balance'),
  '... for every period');
select is((select row(owed_balance, held_balance, clawback_balance)::text from p2 where kind = 'closing_balance'),
  (select row(o.owed_balance + sum(l.owed_change), o.held_balance + sum(l.held_change),
              o.clawback_balance + sum(l.clawback_change))::text
     from p2 o, p2 l where o.kind = 'opening_balance' and l.kind not in ('opening_balance', 'closing_balance')
    group by o.owed_balance, o.held_balance, o.clawback_balance),
  'closing = opening + the period''s movements');
select is((select row(owed_balance, held_balance, clawback_balance)::text from p3 where kind = 'closing_balance'),
  (select row(owed_balance, held_balance, clawback_balance)::text from st where kind = 'closing_balance'),
  'the last period closes on the buckets');
select is((select count(*)::int from private.statement(money_test.id('r'), '2000-01-01', '2000-01-01 00:00:01Z', 'EUR')
            where kind not in ('opening_balance', 'closing_balance')), 0, 'another currency: nothing');

-- yearly totals
select is((select row(earned, paid, reversed, clawback_offset, forfeited, net_paid)::text
             from private.yearly_totals(2000, money_test.id('r')) where currency = 'USD'),
  (select row(amount, paid, reversed, 30000, forfeited, paid - reversed - 30000)::text from b),
  'yearly totals of 2000: earned, paid, reversed, netted, forfeited, net paid = paid - reversed - netted');
select is((select count(*)::int from private.yearly_totals(2001, money_test.id('r'))), 0, 'nothing in 2001');

-- who sees what
select tests.create_user('stmt-admin@test.invalid', '00000000-0000-4000-8000-0000000051ad');
insert into public.platform_admins (user_id) values ('00000000-0000-4000-8000-0000000051ad');
select (select user_id from public.recruiters where id = money_test.id('r')) as r_user,
       (select user_id from public.recruiters where id = money_test.id('other')) as other_user,
       money_test.id('r') as r_id \gset
select tests.authenticate_as(:'r_user');
select is((select count(*)::int from public.my_statement('1999-01-01', '2001-01-01', 'USD')), 16,
  'the recruiter gets their statement');
select is((select count(*)::int from public.my_yearly_totals(2000)), 1, '... and their yearly totals');
select throws_ok($$ select * from public.admin_recruiter_statement('$$ || :'r_id' || $$', '2000-01-01', '2000-02-01', 'USD') $$,
  '42501', null, 'a recruiter cannot read another statement through the admin RPC');
select throws_ok($$ select * from public.my_statement('2000-02-01', '2000-01-01', 'USD') $$, 'PT400', null, 'p_from after p_to: PT400');
select throws_ok($$ select * from public.my_statement('2000-01-01', 'infinity', 'USD') $$, 'PT400', null, 'an infinite period: PT400');
select throws_ok($$ select * from public.my_statement(null, '2000-01-01', 'USD') $$, 'PT400', null, 'no p_from: PT400');
select throws_ok($$ select * from public.my_statement('2000-01-01', '2000-02-01', 'XXX') $$, 'PT400', null, 'a currency not supported: PT400');
select throws_ok($$ select * from public.my_yearly_totals(-1) $$, 'PT400', null, 'a bad year: PT400');
select tests.clear_authentication();
select tests.authenticate_as(:'other_user');
select is((select array_agg(kind || ':' || coalesce(amount, 0) order by line_key)
             from public.my_statement('1999-01-01', '2001-01-01', 'USD')),
  array['opening_balance:0', 'earned:15000', 'closing_balance:0'],
  'another recruiter: only their own money, none of R''s');
select tests.clear_authentication();
select tests.authenticate_as('00000000-0000-4000-8000-0000000051ad');
select is((select count(*)::int from public.admin_recruiter_statement(:'r_id', '1999-01-01', '2001-01-01', 'USD')), 16,
  'an admin reads R''s statement');
select throws_ok($$ select * from public.my_statement('2000-01-01', '2000-02-01', 'USD') $$, '42501', null,
  'an admin who is no recruiter has no statement of their own');
select is((select row(closing_owed, closing_held, closing_clawback)::text from public.admin_statement_summary('1990-01-01', '2100-01-01')
            where currency = 'USD'),
  (select row(sum(payable_amount + in_flight_amount), sum(held_amount),
              (select coalesce(sum(outstanding_amount), 0) from public.recruiter_clawbacks where currency = 'USD'))::text
     from public.payouts where currency = 'USD'),
  'platform summary: closing balances = the buckets of every USD payout');
select tests.clear_authentication();

select * from finish();
rollback;
