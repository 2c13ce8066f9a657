-- Connect onboarding, the database half: begin (key before the call, who may act for whom), link
-- (metadata must name the row and recruiter; a second account only as an admin's replacement),
-- requirements from account.updated with their own timestamp guard, status for the recruiter and
-- for admins with the payouts waiting on onboarding, and the audit trail.
begin;
\ir ../money/_fixtures.psql
select plan(36);

-- a recruiter without an account, with a payout waiting (invoice paid and collectible)
select money_test.remember('rc', money_test.recruiter('Newbie', null));
select money_test.remember('ro', money_test.recruiter('Other', null));
select money_test.remember('pl', money_test.placement(20000, 0, '{5000}', array[money_test.id('rc')]));
select money_test.invoice(money_test.id('pl'));
select money_test.remember('uc', (select user_id from public.recruiters where id = money_test.id('rc')));
select money_test.remember('uo', (select user_id from public.recruiters where id = money_test.id('ro')));
select money_test.remember('ua', tests.create_user('admin-onb@test.invalid'));
insert into public.platform_admins (user_id) values (money_test.id('ua'));
grant usage on schema money_test to authenticated;
grant select on money_test.ids to authenticated;
grant execute on function money_test.id(text) to authenticated;

-- status before anything
select tests.authenticate_as(money_test.id('uc'));
select is((select row(state, stripe_account_id, can_receive_transfers)::text from public.my_connect_status()),
  '(not_started,,f)', 'my_connect_status: not started');
select tests.clear_authentication();
select is((select row(state, waiting_amounts)::text from private.connect_status_rows(money_test.id('rc'), '2000-02-01')),
  '(not_started,"{""USD"": 10000}")', 'the payout waiting on onboarding, with its amount');

-- refusals before anything is written
select tests.authenticate_as(money_test.id('uc'));
select throws_ok(format($$ select * from public.begin_connect_onboarding(%L) $$, money_test.id('ro')),
  '42501', 'permission denied: you can only onboard your own recruiter account', 'someone else''s recruiter: 42501');
select throws_ok($$ select * from public.begin_connect_onboarding(null, 'US', 'mine is broken') $$,
  '42501', 'permission denied: only a platform admin can replace a connected account', 'a recruiter replacing: 42501');
select throws_ok($$ select * from public.begin_connect_onboarding(null, 'USA') $$, 'PT400', null, 'bad country: PT400');
select tests.clear_authentication();
select is((select count(*)::int from private.connect_accounts where recruiter_id in (money_test.id('rc'), money_test.id('ro'))),
  0, '... and nothing was written');

-- begin: the key is stored first; again: the same row
select tests.authenticate_as(money_test.id('uc'));
create temp table b1 as select * from public.begin_connect_onboarding(null, 'gb');
select tests.clear_authentication();
select is((select row(status, country, fresh, idempotency_key = 'connect_account:' || connect_account_id)::text from b1),
  '(creating,GB,t,t)', 'begin: a creating row with its key connect_account:<id>');
select money_test.remember('ca', (select connect_account_id from b1));
select tests.authenticate_as(money_test.id('uc'));
select is((select row(connect_account_id = money_test.id('ca'), fresh)::text from public.begin_connect_onboarding()),
  '(t,f)', 'begin again (a retry after a crash): the same row and key');
select is((select state from public.my_connect_status()), 'creating', 'state creating');
select tests.clear_authentication();
select is((select count(*)::int from public.payout_audit_log where entity_id = money_test.id('ca')), 1,
  'account creation audited');
select is((select changed_by from public.payout_audit_log where entity_id = money_test.id('ca')), money_test.id('uc'),
  '... as done by the recruiter');

-- link: someone else's account refused
select throws_ok(format($$ select private.link_connect_account(%L, %L::jsonb) $$, money_test.id('ca'),
  jsonb_build_object('id', 'acct_someoneelse1', 'metadata', jsonb_build_object('recruiter_id', money_test.id('ro'),
    'connect_account_id', money_test.id('ca')))), 'PT409', null, 'an account made for another recruiter: PT409');
select throws_ok(format($$ select private.link_connect_account(%L, %L::jsonb) $$, money_test.id('ca'),
  jsonb_build_object('id', 'acct_nometa1', 'metadata', '{}'::jsonb)), 'PT409', null, 'an account without our metadata: PT409');

create temp table acct as select jsonb_build_object('id', 'acct_onb1', 'metadata',
  jsonb_build_object('recruiter_id', money_test.id('rc'), 'connect_account_id', money_test.id('ca')),
  'capabilities', jsonb_build_object('transfers', 'inactive'), 'details_submitted', false,
  'tos_acceptance', jsonb_build_object('service_agreement', 'recipient'),
  'requirements', jsonb_build_object('currently_due', jsonb_build_array('external_account', 'tos_acceptance.date'),
    'past_due', '[]'::jsonb, 'eventually_due', jsonb_build_array('external_account'), 'disabled_reason', 'requirements.past_due')) as a;
select is(private.link_connect_account(money_test.id('ca'), (select a from acct), '2000-02-01 10:00Z') ->> 'outcome',
  'linked', 'link: linked');
select is((select row(stripe_connect_account_id, stripe_transfers_capability)::text from public.recruiters
           where id = money_test.id('rc')), '(acct_onb1,inactive)', 'the recruiter has the account');
select is((select row(status, service_agreement, requirements_currently_due, disabled_reason)::text
           from private.connect_accounts where id = money_test.id('ca')),
  '(linked,recipient,"{external_account,tos_acceptance.date}",requirements.past_due)', '... with what Stripe still needs');
select is(private.link_connect_account(money_test.id('ca'), (select a from acct), '2000-02-01 10:01Z') ->> 'outcome',
  'noop', 'linked again: noop');
select is((select string_agg(action, ',' order by id) from public.payout_audit_log where entity_id = money_test.id('ca')),
  'connect_account.create,connect_account.link,connect_account.requirements', 'created, linked, requirements: audited');

-- status: onboarding (the form not submitted), and the recruiter sees what is due
select tests.authenticate_as(money_test.id('uc'));
select is((select row(state, requirements_currently_due, disabled_reason)::text from public.my_connect_status()),
  '(onboarding,"{external_account,tos_acceptance.date}",requirements.past_due)', 'my_connect_status: onboarding, what is due');
-- a second account: continuing returns the linked one, nothing new
select is((select row(status, stripe_account_id, fresh)::text from public.begin_connect_onboarding()),
  '(linked,acct_onb1,f)', 'begin with a linked account: the same account, no second one');
select tests.clear_authentication();
select is((select count(*)::int from private.connect_accounts where recruiter_id = money_test.id('rc')), 1, '... one row');

-- requirements: out of order reads (own guard)
select is(private.stripe_sync_account_capability(jsonb_build_object('account_id', 'acct_onb1',
  'transfers_capability', 'active', 'observed_at', '2000-02-02 10:00Z', 'details_submitted', true,
  'requirements', jsonb_build_object('currently_due', '[]'::jsonb, 'past_due', '[]'::jsonb, 'disabled_reason', null)),
  '2000-02-02 10:00Z') ->> 'outcome', 'applied', 'onboarding complete: applied');
select is(private.stripe_sync_account_capability(jsonb_build_object('account_id', 'acct_onb1',
  'transfers_capability', 'inactive', 'observed_at', '2000-02-01 12:00Z',
  'requirements', jsonb_build_object('currently_due', jsonb_build_array('external_account'))),
  '2000-02-02 10:01Z') ->> 'requirements', 'stale', 'an older read delivered late: requirements stale');
select is((select row(state, can_receive_transfers, requirements_currently_due, waiting_payouts)::text
           from private.connect_status_rows(money_test.id('rc'), '2000-02-03')),
  '(complete,t,{},[])', 'complete: nothing due, nothing waiting');

-- admin: status of anyone; replacing needs a reason and is audited
select tests.authenticate_as(money_test.id('uo'));
select throws_ok(format($$ select * from public.admin_connect_status(%L) $$, money_test.id('rc')), '42501', null,
  'admin_connect_status: recruiters get 42501');
select tests.clear_authentication();
select tests.authenticate_as(money_test.id('ua'));
select is((select state from public.admin_connect_status(money_test.id('rc'))), 'complete', 'admin_connect_status');
select throws_ok($$ select * from public.admin_connect_status('00000000-0000-0000-0000-00000000abcd') $$, 'PT404', null,
  'unknown recruiter: PT404');
select throws_ok($$ select * from public.my_connect_status() $$, '42501', null, 'my_connect_status: not a recruiter, 42501');
create temp table b2 as select * from public.begin_connect_onboarding(money_test.id('rc'), 'US', 'recruiter lost access');
select tests.clear_authentication();
select is((select row(status, fresh, replacing)::text from b2), '(creating,t,acct_onb1)', 'admin replacement: a new row');
select money_test.remember('ca2', (select connect_account_id from b2));
select is(private.link_connect_account(money_test.id('ca2'), jsonb_build_object('id', 'acct_onb2', 'metadata',
  jsonb_build_object('recruiter_id', money_test.id('rc'), 'connect_account_id', money_test.id('ca2')),
  'capabilities', jsonb_build_object('transfers', 'pending')), '2000-02-04') ->> 'replaced_account_id',
  'acct_onb1', 'linked, replacing the old account');
select is((select string_agg(status || ':' || coalesce(stripe_account_id, ''), ',' order by status desc)
           from private.connect_accounts where recruiter_id = money_test.id('rc')),
  'replaced:acct_onb1,linked:acct_onb2', 'the old account replaced, the new one linked');
select is((select row(action, changed_by, reason)::text from public.payout_audit_log
           where entity_id = money_test.id('ca') order by id desc limit 1),
  format('(connect_account.replace,%s,"recruiter lost access")', money_test.id('ua')), 'replacement audited with admin and reason');

-- the table: private, RLS, written only by the functions above
select ok((select relrowsecurity from pg_class where oid = 'private.connect_accounts'::regclass), 'RLS on private.connect_accounts');
select is((select array_agg(r) from unnest(array['anon', 'authenticated', 'service_role', 'stripe_sync', 'payout_jobs']) r
           where has_table_privilege(r, 'private.connect_accounts', 'select, insert, update, delete')), null,
  'no API or job role may read or write private.connect_accounts');
select throws_ok($$ update private.connect_accounts set disabled_reason = 'x' $$, '42501', null,
  'direct writes refused, even for the owner (guard)');

-- a non-replacement row can never take a second account
select money_test.remember('rx', money_test.recruiter('Linked', 'active'));
insert into private.connect_accounts (recruiter_id, status, origin, idempotency_key)
select money_test.id('rx'), 'creating', 'onboarding', 'connect_account:x' from (select private.enter_transition('t')) t;
select throws_ok(format($$ select private.link_connect_account(%L, %L::jsonb) $$,
  (select id from private.connect_accounts where idempotency_key = 'connect_account:x'),
  jsonb_build_object('id', 'acct_onb3', 'metadata', jsonb_build_object('recruiter_id', money_test.id('rx'),
    'connect_account_id', (select id from private.connect_accounts where idempotency_key = 'connect_account:x')))),
  'PT409', null, 'a second account without an admin''s replacement: PT409');

select * from finish();
rollback;
