-- Missing arguments: every parameter of every RPC has a default, so a call that leaves one out
-- reaches the function (PostgREST would otherwise answer PGRST202 "Could not find the
-- function"), and the body refuses it with PT400 and a message naming the parameter. A caller
-- who is not a platform admin still gets 42501 first. Nothing is written.
begin;
\ir _fixtures.psql

select access_test.remember('schC', (private.create_payout_schedule(access_test.id('payC'), 'fixture', '2000-02-01', '2000-01-20')).id);
select access_test.live_placement('L1');

-- each call leaves out `param` (and every parameter after it)
create temp table missing (sql text, param text);
insert into missing values
  ('select public.create_payout_schedule()', 'p_payout_id'),
  ('select public.update_payout_schedule()', 'p_schedule_id'),
  (format('select public.update_payout_schedule(p_schedule_id => %L, p_reason => ''later'')', access_test.id('schC')), 'p_due_at'),
  (format('select public.update_payout_schedule(%L, now() + interval ''1 day'')', access_test.id('schC')), 'p_reason'),
  ('select public.cancel_payout_schedule()', 'p_schedule_id'),
  (format('select public.cancel_payout_schedule(%L)', access_test.id('schC')), 'p_reason'),
  ('select public.trigger_payout_schedule()', 'p_schedule_id'),
  (format('select public.trigger_payout_schedule(%L)', access_test.id('schC')), 'p_reason'),
  ('select public.create_escrow_hold()', 'p_payout_id'),
  (format('select public.create_escrow_hold(%L)', access_test.id('payC')), 'p_hold_amount'),
  (format('select public.create_escrow_hold(%L, 100)', access_test.id('payC')), 'p_hold_reason'),
  ('select public.release_escrow_hold()', 'p_hold_id'),
  (format('select public.release_escrow_hold(%L)', access_test.id('holdC')), 'p_reason'),
  ('select public.cancel_escrow_hold()', 'p_hold_id'),
  (format('select public.cancel_escrow_hold(%L)', access_test.id('holdC')), 'p_reason'),
  ('select public.fail_placement()', 'p_placement_id'),
  (format('select public.fail_placement(%L)', access_test.id('L1')), 'p_reason'),
  ('select public.create_company()', 'p_name'),
  ('select public.create_recruiter()', 'p_user_id'),
  (format('select public.create_recruiter(%L)', access_test.id('u_nobody')), 'p_display_name'),
  ('select public.create_placement()', 'p_company_id'),
  (format('select public.create_placement(%L)', access_test.id('X')), 'p_fee_amount'),
  (format('select public.create_placement(%L, 1000)', access_test.id('X')), 'p_currency'),
  (format('select public.create_placement(%L, 1000, ''USD'')', access_test.id('X')), 'p_hired_at'),
  (format('select public.create_placement(%L, 1000, ''USD'', now())', access_test.id('X')), 'p_guarantee_days'),
  ('select count(*) from public.set_placement_splits()', 'p_placement_id'),
  (format('select count(*) from public.set_placement_splits(%L)', access_test.id('L1')), 'p_splits'),
  ('select public.record_placement_invoice()', 'p_placement_id'),
  (format('select public.record_placement_invoice(%L)', access_test.id('L1')), 'p_stripe_invoice_id'),
  ('select public.pause_payouts()', 'p_reason'),
  ('select public.pause_recruiter_payouts()', 'p_recruiter_id'),
  (format('select public.pause_recruiter_payouts(%L)', access_test.id('rA')), 'p_reason'),
  ('select public.resume_recruiter_payouts()', 'p_recruiter_id'),
  ('select public.grant_platform_admin()', 'p_user_id'),
  ('select public.revoke_platform_admin()', 'p_user_id'),
  ('select public.add_company_member()', 'p_company_id'),
  (format('select public.add_company_member(%L)', access_test.id('Y')), 'p_user_id'),
  (format('select public.add_company_member(%L, %L)', access_test.id('Y'), access_test.id('u_nobody')), 'p_role'),
  ('select public.remove_company_member()', 'p_company_id'),
  (format('select public.remove_company_member(%L)', access_test.id('X')), 'p_user_id'),
  ('select count(*) from public.placement_escrow_total()', 'p_placement_id'),
  ('select count(*) from public.reverse_payout()', 'p_payout_id'),
  (format('select count(*) from public.reverse_payout(%L)', access_test.id('payA')), 'p_reason'),
  ('select count(*) from public.payout_audit_anchor()', 'p_day'),
  ('select public.reissue_placement_invoice()', 'p_placement_id'),
  (format('select public.reissue_placement_invoice(%L)', access_test.id('P1')), 'p_reason'),
  ('select public.set_company_billing_email()', 'p_company_id'),
  ('select public.request_admin_action()', 'p_action'),
  ('select public.request_admin_action(''resume_payouts'')', 'p_args'),
  ('select public.approve_admin_action()', 'p_request_id'),
  ('select public.reject_admin_action()', 'p_request_id'),
  (format('select public.reject_admin_action(%L)', gen_random_uuid()), 'p_reason'),
  ('select count(*) from public.admin_recruiter_statement()', 'p_recruiter_id'),
  (format('select count(*) from public.admin_recruiter_statement(%L)', access_test.id('rA')), 'p_from'),
  (format('select count(*) from public.admin_recruiter_statement(%L, ''2000-01-01'')', access_test.id('rA')), 'p_to'),
  (format('select count(*) from public.admin_recruiter_statement(%L, ''2000-01-01'', ''2001-01-01'')', access_test.id('rA')),
   'p_currency'),
  ('select count(*) from public.admin_statement_summary()', 'p_from'),
  ('select count(*) from public.admin_statement_summary(''2000-01-01'')', 'p_to'),
  ('select count(*) from public.admin_yearly_totals()', 'p_year'),
  ('select public.lift_payout_cap()', 'p_currency'),
  ('select public.lift_payout_cap(''USD'')', 'p_day'),
  ('select public.erase_personal_data()', 'p_subject_type'),
  ('select public.erase_personal_data(''recruiter'')', 'p_subject_id');

create temp table before as
select (select count(*) from public.payout_audit_log) as audit_rows, (select count(*) from public.payout_events) as events;

select plan(3 + 2 * (select count(*)::int from missing));

-- every RPC with a parameter that has no sensible default is in the list above
select is(
  (select array_agg(p.proname::text order by p.proname) from pg_proc p
    where p.pronamespace = 'public'::regnamespace and has_function_privilege('authenticated', p.oid, 'EXECUTE')
      and p.pronargs > 0
      and p.proname not in ('payout_run_preview', 'payout_run_totals', 'resume_payouts', 'admin_companies', 'admin_placements',
                            'admin_placement_invoices', 'admin_payout_audit_log', 'verify_audit_chain',
                            -- null: every recruiter / the caller's own recruiter account
                            'admin_connect_status', 'begin_connect_onboarding',
                            'admin_action_requests',
                            -- null: today (UTC)
                            'payout_caps',
                            -- the recruiter's own reads: 42501 for an admin (statements.test.sql: their PT400s)
                            'my_statement', 'my_yearly_totals')
      and not exists (select 1 from missing m where m.sql ~ ('public\.' || p.proname || '\('))),
  null, 'every RPC that needs an argument is covered');

select is(access_test.run_as('nobody', m.sql), 'ERROR 42501', format('nobody: %s: 42501 first', m.sql))
from missing m order by m.sql;

select ok(access_test.error_as('admin', m.sql) like 'PT400: %' || m.param || '%',
          format('admin: %s: PT400 naming %s (%s)', m.sql, m.param, access_test.error_as('admin', m.sql)))
from missing m order by m.sql;

-- the example of the issue: release_escrow_hold without p_reason
select is(access_test.error_as('admin', format('select public.release_escrow_hold(p_hold_id => %L)', access_test.id('holdC'))),
  'PT400: p_reason is required to release a hold by hand', 'release_escrow_hold without p_reason: PT400, the reason is required');

select is(((select count(*) from public.payout_audit_log), (select count(*) from public.payout_events))::text,
          (select (audit_rows, events)::text from before), 'nothing was written');

select * from finish();
rollback;
