-- Lifting a velocity cap for one day (20261202140000_velocity_caps) always needs a second
-- platform admin: public.lift_payout_cap answers PT428 and changes nothing; the admin asks with
-- request_admin_action('lift_payout_cap', args); another admin approves (the lift runs in the
-- approver's transaction, lifted_by = the approver, both admins in the audit reason); with one
-- admin, postgres breaks the glass. The rule itself (claims, counters, rescheduling) is
-- supabase/tests/money/velocity_caps.test.sql.
begin;
\ir _fixtures.psql
select plan(22);

select access_test.remember('u_admin2', tests.create_user('access-caps-admin2@test.invalid'));
insert into public.platform_admins (user_id) values (access_test.id('u_admin2'));
insert into private.payout_caps (currency, platform_daily_max, recruiter_daily_max) values ('USD', 1000000, 200000);
create temp table today as select (now() at time zone 'UTC')::date as d;

create function pg_temp.lift_sql(p_currency text, p_recruiter uuid, p_day text, p_reason text) returns text language sql as $$
  select format('select public.lift_payout_cap(%L, %L, %L, %L)::text', p_currency, p_recruiter, p_day, p_reason)
$$;
create function pg_temp.request(p_actor text, p_args jsonb) returns jsonb language sql as $$
  select access_test.run_as(p_actor, format('select public.request_admin_action(%L, %L)::text', 'lift_payout_cap', p_args))::jsonb
$$;
create function pg_temp.lifts() returns bigint language sql as $$ select count(*) from private.payout_cap_lifts $$;

-- ---------------------------------------------------------------------------------------------
-- The RPC: always PT428, nothing changes; its input checks first
-- ---------------------------------------------------------------------------------------------
select is(access_test.error_as('admin', pg_temp.lift_sql('USD', null, (select d::text from today), 'bonus run')),
  'PT428: approval required: lift_payout_cap of 1000000 USD needs a second platform admin',
  'lift_payout_cap always needs a second admin (PT428), naming the cap lifted');
select is(access_test.run_as('admin', pg_temp.lift_sql('USD', access_test.id('rA'), (select d::text from today), 'bonus run')),
  'ERROR PT428', '... a recruiter''s cap too');
select is(pg_temp.lifts(), 0::bigint, '... nothing lifted');
select is(access_test.run_as('nobody', pg_temp.lift_sql('USD', null, (select d::text from today), 'x')), 'ERROR 42501',
  'a non-admin is refused first (42501)');
select is(access_test.error_as('admin', pg_temp.lift_sql('EUR', null, (select d::text from today), 'x')),
  'PT404: no platform cap for EUR: nothing to lift', 'no such cap: PT404');
select is(access_test.run_as('admin', pg_temp.lift_sql('USD', null, (select (d - 1)::text from today), 'x')), 'ERROR PT400',
  'a past day: PT400');
select is(access_test.run_as('admin', pg_temp.lift_sql('USD', gen_random_uuid(), (select d::text from today), 'x')), 'ERROR PT404',
  'an unknown recruiter: PT404');
select is(access_test.run_as('admin', pg_temp.lift_sql('USD', null, null, 'x')), 'ERROR PT400', 'no day: PT400');
select is(access_test.run_as('admin', pg_temp.lift_sql('USD', null, (select d::text from today), null)), 'ERROR PT400',
  'no reason: PT400');

-- ---------------------------------------------------------------------------------------------
-- The request: checked like the RPC, exact arguments
-- ---------------------------------------------------------------------------------------------
select is(access_test.run_as('admin', format($$select public.request_admin_action('lift_payout_cap', %L)::text$$,
            jsonb_build_object('p_currency', 'USD', 'p_day', (select d from today), 'p_reason', 'r', 'p_amount', '1'))),
  'ERROR PT400', 'request: an unknown argument is refused (PT400)');
select is(access_test.run_as('admin', format($$select public.request_admin_action('lift_payout_cap', %L)::text$$,
            jsonb_build_object('p_currency', 'USD', 'p_day', 'tomorrow', 'p_reason', 'r'))),
  'ERROR PT400', 'request: a day that is not a date (PT400)');
create temp table req as
select pg_temp.request('admin', jsonb_build_object('p_currency', 'USD', 'p_recruiter_id', access_test.id('rA'),
                                                  'p_day', (select d from today), 'p_reason', 'quarter-end bonus')) as r;
select is((select r ->> 'status' || ' ' || (r ->> 'amount') || ' ' || (r ->> 'currency') from req), 'pending 200000 USD',
  'request_admin_action(lift_payout_cap): pending, with the cap at stake');
select is(access_test.run_as('admin', format($$select public.approve_admin_action(%L, 'ok')::text$$, (select r ->> 'id' from req))),
  'ERROR PT403', 'the requester cannot approve their own lift (PT403)');
select is(pg_temp.lifts(), 0::bigint, '... nothing lifted');

-- ---------------------------------------------------------------------------------------------
-- Approval by another admin: executed once, in the approver's transaction
-- ---------------------------------------------------------------------------------------------
create temp table approved as
select access_test.run_as('admin2', format($$select public.approve_admin_action(%L, 'checked')::text$$,
                                           (select r ->> 'id' from req)))::jsonb as r;
select is((select r ->> 'status' from approved), 'executed', 'another admin approves: executed');
select is((select lifted_by from private.payout_cap_lifts where recruiter_id = access_test.id('rA')), access_test.id('u_admin2'),
  '... the cap of rA is lifted for the day, by the approver');
select is((select (r -> 'result' ->> 'day') || ' ' || (r -> 'result' ->> 'currency') from approved),
  (select d::text from today) || ' USD', '... the result is the lift');
select ok(exists (select 1 from payout_audit_log where entity_type = 'payout_cap_lift' and action = 'payout_cap.lift'
                  and changed_by = access_test.id('u_admin2')
                  and reason like 'quarter-end bonus [four-eyes request ' || (select r ->> 'id' from req) || '%requested by '
                                  || access_test.id('u_admin') || '%approved by ' || access_test.id('u_admin2') || ']'),
  '... audited with the approver as actor and both admins and the request in the reason');
select is(access_test.run_as('admin2', format($$select public.approve_admin_action(%L, 'again')::text$$, (select r ->> 'id' from req))),
  'ERROR PT409', 'a second approval: PT409 (decided once)');
select is(access_test.run_as('admin', format($$select public.request_admin_action('lift_payout_cap', %L)::text$$,
            jsonb_build_object('p_currency', 'USD', 'p_recruiter_id', access_test.id('rA'), 'p_day', (select d from today),
                               'p_reason', 'again'))),
  'ERROR PT409', 'asking to lift a cap already lifted that day: PT409');

-- ---------------------------------------------------------------------------------------------
-- Break glass: one admin
-- ---------------------------------------------------------------------------------------------
delete from public.platform_admins where user_id = access_test.id('u_admin2');
create temp table req2 as
select pg_temp.request('admin', jsonb_build_object('p_currency', 'USD', 'p_day', (select d + 1 from today),
                                                  'p_reason', 'payroll catch-up')) as r;
select is((private.break_glass_admin_action((select (r ->> 'id')::uuid from req2), 'only admin, payroll day')).status, 'executed',
  'with one admin, postgres executes the lift by break glass');
select is((select kind || ' ' || (details ->> 'action') from payout_alerts where subject_id = (select r ->> 'id' from req2)),
  'break_glass_used lift_payout_cap', '... lifted_by null (system) and the break_glass_used alert');

select * from finish();
rollback;
