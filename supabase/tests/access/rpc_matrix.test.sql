-- Every RPC by every actor: platform admins succeed, everyone else gets 42501 - except
-- placement_escrow_total, which the placement's parties may call, my_connect_status (recruiters
-- only), begin_connect_onboarding (the recruiter themself, or an admin) and the recruiter's own
-- statement reads (my_statement, my_yearly_totals), which only recruiters may call. Each call is a dry run (its
-- effects are rolled back), so every cell starts from the same fixture. Refusal comes before
-- validation: a non-admin with bad arguments still gets 42501, the admin gets the input error.
-- The public functions of the plumbing layer (outbox consumer, chain verifier) are not API.
begin;
\ir _fixtures.psql

-- Runs a statement as an actor and always rolls it back: 'ok' or 'ERROR <sqlstate>'.
create function access_test.dry_run_as(p_actor text, p_sql text)
returns text language plpgsql as $$
begin
  begin
    perform access_test.become(p_actor);
    execute p_sql;
    raise exception 'dry run' using errcode = 'TSTOK';
  exception
    when sqlstate 'TSTOK' then return 'ok';
    when others then return 'ERROR ' || sqlstate;
  end;
end $$;

-- what the calls need: a pending schedule of C, a live placement (today's clock), a second admin
select access_test.remember('schC', (private.create_payout_schedule(access_test.id('payC'), 'fixture', '2000-02-01', '2000-01-20')).id);
select access_test.live_placement('L1');
select access_test.remember('u_admin2', tests.create_user('access-admin2@test.invalid'));
insert into public.platform_admins (user_id) values (access_test.id('u_admin2'));
-- a placement billed through Stripe Invoicing (company X has a billing email), its invoice a draft
select access_test.live_placement('L2');
update public.companies set billing_email = 'ap@x.test' where id = access_test.id('X');
select private.record_placement_invoice(access_test.id('L2'), null, null, 'draft', now());
-- a four-eyes request of the second admin, for the admin to decide
select access_test.remember('req2', (access_test.run_as('admin2', format(
  $$select public.request_admin_action('grant_platform_admin', jsonb_build_object('p_user_id', %L)) ->> 'id'$$,
  access_test.id('u_nobody'))))::uuid);

-- a velocity cap to lift (20261202140000_velocity_caps)
insert into private.payout_caps (currency, platform_daily_max) values ('USD', 100000);

create temp table calls (rpc text, good text, bad text, bad_error text);
insert into calls values
  ('create_payout_schedule', format('select public.create_payout_schedule(%L)', access_test.id('payC')),
   'select public.create_payout_schedule(null)', 'PT400'),
  ('update_payout_schedule', format('select public.update_payout_schedule(%L, now() + interval ''1 day'', ''later'')', access_test.id('schC')),
   format('select public.update_payout_schedule(%L, null, ''later'')', access_test.id('schC')), 'PT400'),
  ('cancel_payout_schedule', format('select public.cancel_payout_schedule(%L, ''not needed'')', access_test.id('schC')),
   format('select public.cancel_payout_schedule(%L, ''x'')', access_test.id('schA')), 'PT409'),
  ('trigger_payout_schedule', format('select public.trigger_payout_schedule(%L, ''now please'')', access_test.id('schC')),
   format('select public.trigger_payout_schedule(%L, '''')', access_test.id('schC')), 'PT400'),
  ('process_due_payout_schedules', 'select public.process_due_payout_schedules()', null, null),
  ('create_escrow_hold', format('select public.create_escrow_hold(%L, 100, ''dispute'')', access_test.id('payC')),
   format('select public.create_escrow_hold(%L, 999999, ''dispute'')', access_test.id('payC')), 'PT422'),
  ('release_escrow_hold', format('select public.release_escrow_hold(%L, ''early'')', access_test.id('holdC')),
   format('select public.release_escrow_hold(%L, ''early'')', gen_random_uuid()), 'PT404'),
  ('cancel_escrow_hold', format('select public.cancel_escrow_hold(%L, ''dispute lost'')', access_test.id('holdC')),
   format('select public.cancel_escrow_hold(%L, null)', access_test.id('holdC')), 'PT400'),
  ('process_due_escrow_releases', 'select public.process_due_escrow_releases()', null, null),
  ('fail_placement', format('select public.fail_placement(%L, ''candidate left'')', access_test.id('L1')),
   format('select public.fail_placement(%L, ''candidate left'')', access_test.id('P1')), 'PT409'),
  ('create_company', 'select public.create_company(''New Co'', ''cus_matrix'')',
   'select public.create_company(''New Co'', ''not-a-customer'')', 'PT400'),
  ('create_recruiter', format('select public.create_recruiter(%L, ''Nobody'')', access_test.id('u_nobody')),
   format('select public.create_recruiter(%L, ''A again'')', access_test.id('u_ra')), 'PT409'),
  ('create_placement', format('select public.create_placement(%L, 1000, ''USD'', now(), 30, %L)', access_test.id('X'),
     jsonb_build_array(jsonb_build_object('recruiter_id', access_test.id('rA'), 'role', 'job_owner', 'share_bps', 100))),
   format('select public.create_placement(%L, 1000, ''USD'', now(), 30, %L)', access_test.id('X'),
     jsonb_build_array(jsonb_build_object('recruiter_id', access_test.id('rA'), 'role', 'job_owner', 'share_bps', 10001))), 'PT400'),
  ('set_placement_splits', format('select count(*) from public.set_placement_splits(%L, %L)', access_test.id('L1'),
     jsonb_build_array(jsonb_build_object('recruiter_id', access_test.id('rB'), 'role', 'job_owner', 'share_bps', 100))),
   format('select count(*) from public.set_placement_splits(%L, ''[]'')', access_test.id('P1')), 'PT409'),
  ('record_placement_invoice', format('select public.record_placement_invoice(%L, ''in_matrix'')', access_test.id('L1')),
   format('select public.record_placement_invoice(%L, ''in_fixtureP1'')', access_test.id('L1')), 'PT409'),
  ('payout_controls', 'select public.payout_controls()', null, null),
  ('pause_payouts', 'select public.pause_payouts(''incident'')', 'select public.pause_payouts(null)', 'PT400'),
  ('resume_payouts', 'select public.resume_payouts()', null, null),
  ('pause_recruiter_payouts', format('select public.pause_recruiter_payouts(%L, ''fraud check'')', access_test.id('rA')),
   format('select public.pause_recruiter_payouts(%L, ''fraud check'')', gen_random_uuid()), 'PT404'),
  ('resume_recruiter_payouts', format('select public.resume_recruiter_payouts(%L)', access_test.id('rA')),
   'select public.resume_recruiter_payouts(null)', 'PT400'),
  ('grant_platform_admin', format('select public.grant_platform_admin(%L)', access_test.id('u_admin2')),
   format('select public.grant_platform_admin(%L)', access_test.id('u_nobody')), 'PT428'),
  ('request_admin_action', format('select public.request_admin_action(''grant_platform_admin'', %L)',
     jsonb_build_object('p_user_id', access_test.id('u_nobody'))),
   'select public.request_admin_action(''withdraw_everything'', ''{}'')', 'PT400'),
  ('approve_admin_action', format('select public.approve_admin_action(%L, ''ok'')', access_test.id('req2')),
   format('select public.approve_admin_action(%L)', gen_random_uuid()), 'PT404'),
  ('reject_admin_action', format('select public.reject_admin_action(%L, ''no'')', access_test.id('req2')),
   format('select public.reject_admin_action(%L, null)', access_test.id('req2')), 'PT400'),
  ('admin_action_requests', 'select public.admin_action_requests()',
   'select public.admin_action_requests(''approved'')', 'PT400'),
  ('revoke_platform_admin', format('select public.revoke_platform_admin(%L)', access_test.id('u_admin2')),
   format('select public.revoke_platform_admin(%L)', access_test.id('u_nobody')), 'PT404'),
  ('add_company_member', format('select public.add_company_member(%L, %L, ''hiring_manager'')', access_test.id('Y'), access_test.id('u_nobody')),
   format('select public.add_company_member(%L, %L, ''owner'')', access_test.id('Y'), access_test.id('u_nobody')), 'PT400'),
  ('remove_company_member', format('select public.remove_company_member(%L, %L)', access_test.id('X'), access_test.id('u_hm')),
   format('select public.remove_company_member(%L, %L)', access_test.id('Y'), access_test.id('u_hm')), 'PT404'),
  ('placement_escrow_total', format('select count(*) from public.placement_escrow_total(%L)', access_test.id('P1')),
   'select count(*) from public.placement_escrow_total(null)', 'PT400'),
  ('payout_run_preview', 'select count(*) from public.payout_run_preview()',
   'select count(*) from public.payout_run_preview(null)', 'PT400'),
  ('payout_run_totals', 'select count(*) from public.payout_run_totals()',
   'select count(*) from public.payout_run_totals(null)', 'PT400'),
  ('admin_companies', 'select count(*) from public.admin_companies()', null, null),
  ('admin_payout_runs', 'select count(*) from public.admin_payout_runs()', null, null),
  ('admin_placements', 'select count(*) from public.admin_placements()', null, null),
  ('admin_placement_invoices', 'select count(*) from public.admin_placement_invoices()', null, null),
  ('admin_payout_audit_log', 'select count(*) from public.admin_payout_audit_log()',
   'select count(*) from public.admin_payout_audit_log(p_limit => 0)', 'PT400'),
  ('verify_audit_chain', format('select count(*) from public.verify_audit_chain(''payout'', %L)', access_test.id('payA')),
   'select count(*) from public.verify_audit_chain()', 'PT400'),
  ('payout_audit_anchor', 'select count(*) from public.payout_audit_anchor(current_date)',
   'select count(*) from public.payout_audit_anchor(''infinity'')', 'PT400'),
  ('reverse_payout', format('select count(*) from public.reverse_payout(%L, ''placement failed'')', access_test.id('payA')),
   format('select count(*) from public.reverse_payout(%L, '' '')', access_test.id('payA')), 'PT400'),
  ('my_connect_status', 'select count(*) from public.my_connect_status()', null, null),
  ('admin_connect_status', format('select count(*) from public.admin_connect_status(%L)', access_test.id('rA')),
   format('select count(*) from public.admin_connect_status(%L)', gen_random_uuid()), 'PT404'),
  ('begin_connect_onboarding', format('select count(*) from public.begin_connect_onboarding(%L)', access_test.id('rA')),
   format('select count(*) from public.begin_connect_onboarding(%L, ''USA'')', access_test.id('rA')), 'PT400'),
  ('reissue_placement_invoice', format('select (public.reissue_placement_invoice(%L, 210000, ''fee changed'')).id', access_test.id('L2')),
   format('select (public.reissue_placement_invoice(%L, 0, ''fee changed'')).id', access_test.id('L2')), 'PT400'),
  ('set_company_billing_email', format('select (public.set_company_billing_email(%L, ''billing@x.test'')).id', access_test.id('X')),
   format('select (public.set_company_billing_email(%L, ''not an email'')).id', access_test.id('X')), 'PT400'),
  ('my_statement', 'select count(*) from public.my_statement(''2000-01-01'', ''2001-01-01'', ''USD'')', null, null),
  ('my_yearly_totals', 'select count(*) from public.my_yearly_totals(2000)', null, null),
  ('admin_recruiter_statement',
   format('select count(*) from public.admin_recruiter_statement(%L, ''2000-01-01'', ''2001-01-01'', ''USD'')', access_test.id('rA')),
   format('select count(*) from public.admin_recruiter_statement(%L, ''2000-01-01'', ''2001-01-01'', ''XXX'')', access_test.id('rA')),
   'PT400'),
  ('admin_statement_summary', 'select count(*) from public.admin_statement_summary(''2000-01-01'', ''2001-01-01'')',
   'select count(*) from public.admin_statement_summary(''2001-01-01'', ''2000-01-01'')', 'PT400'),
  ('admin_yearly_totals', 'select count(*) from public.admin_yearly_totals(2000)',
   'select count(*) from public.admin_yearly_totals(0)', 'PT400'),
  ('lift_payout_cap', 'select public.lift_payout_cap(''USD'', null, (now() at time zone ''UTC'')::date, ''bonus run'')',
   'select public.lift_payout_cap(''usd'', null, (now() at time zone ''UTC'')::date, ''bonus run'')', 'PT400'),
  ('payout_caps', 'select count(*) from public.payout_caps()', 'select count(*) from public.payout_caps(''infinity'')', 'PT400'),
  ('erase_personal_data', format('select public.erase_personal_data(''recruiter'', %L)', access_test.id('rA')),
   format('select public.erase_personal_data(''recruiter'', %L)', gen_random_uuid()), 'PT404');

-- payout_audit_anchor answers once the hourly verification has run
select count(*) from private.verify_new_payout_audit_rows();

-- not API: the plumbing layer's public functions
create temp table not_api (fn text, sql text);
insert into not_api values
  ('read_payout_events', 'select count(*) from public.read_payout_events()'),
  ('verify_payout_audit_chain', 'select count(*) from public.verify_payout_audit_chain()');

create temp table actors (actor text primary key);
insert into actors values ('anon'), ('admin'), ('ra'), ('rb'), ('rc'), ('cadm'), ('hm'), ('other'), ('nobody'),
                          ('fake_admin'), ('jobs'), ('service');

create temp table before as
select (select count(*) from public.payout_audit_log) as audit_rows, (select count(*) from public.payout_events) as events;

select plan(
  1
  + (select count(*)::int from calls, actors)
  + (select count(*)::int from calls where bad is not null) * 2
  + (select count(*)::int from not_api, actors)
  + 1);

select is((select count(*)::int from pg_proc p where p.pronamespace = 'public'::regnamespace
           and has_function_privilege('authenticated', p.oid, 'EXECUTE')
           and p.proname not in (select rpc from calls)), 0, 'the matrix covers every RPC');

select is(access_test.dry_run_as(a.actor, c.good),
          case
            -- a recruiter's own status: recruiters only (an admin reads admin_connect_status)
            when c.rpc = 'my_connect_status' then case when a.actor in ('ra', 'rb', 'rc') then 'ok' else 'ERROR 42501' end
            -- a recruiter's own statement: recruiters only (admins included, 42501: they are no recruiter)
            when c.rpc in ('my_statement', 'my_yearly_totals') then
              case when a.actor in ('ra', 'rb', 'rc') then 'ok' else 'ERROR 42501' end
            -- a cap lift always needs a second admin (four_eyes_caps.test.sql: the request)
            when c.rpc = 'lift_payout_cap' and a.actor = 'admin' then 'ERROR PT428'
            when a.actor = 'admin' then 'ok'
            -- onboarding recruiter A: A themself (and admins)
            when c.rpc = 'begin_connect_onboarding' and a.actor = 'ra' then 'ok'
            when c.rpc = 'placement_escrow_total' and a.actor in ('ra', 'rb', 'cadm', 'hm') then 'ok'
            else 'ERROR 42501'
          end,
          format('%s calls %s', a.actor, c.rpc))
from calls c, actors a
order by c.rpc, a.actor;

select is(access_test.dry_run_as('nobody', c.bad), 'ERROR 42501',
          format('nobody calls %s with bad input: 42501 first', c.rpc))
from calls c where c.bad is not null order by c.rpc;
select is(access_test.dry_run_as('admin', c.bad), 'ERROR ' || c.bad_error,
          format('admin calls %s with bad input: %s', c.rpc, c.bad_error))
from calls c where c.bad is not null order by c.rpc;

select is(access_test.dry_run_as(a.actor, n.sql), 'ERROR 42501', format('%s cannot call %s', a.actor, n.fn))
from not_api n, actors a order by n.fn, a.actor;

select is(((select count(*) from public.payout_audit_log), (select count(*) from public.payout_events))::text,
          (select (audit_rows, events)::text from before), 'refused calls wrote nothing');

select * from finish();
rollback;
