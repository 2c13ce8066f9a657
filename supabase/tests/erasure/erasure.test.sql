-- Erasure (20261202150000_personal_data_erasure, docs/personal-data.md): the audit log never
-- holds a personal value; after erasing a recruiter, a company and a company contact, no table of
-- the database (live tables, audit log, outbox, Stripe inbox, auth, every other schema) holds
-- their personal data, for anyone, the superuser included; the chain still verifies (full and
-- incremental); the money still reconciles and payouts in flight still complete; the erasure is
-- audited and emits an event; refusals have their SQLSTATE and change nothing.
begin;
\ir ../money/_fixtures.psql
select plan(51);

-- Every table of every schema (not temporary ones: pgTAP's own) whose rows contain the text,
-- as the superuser sees them: what "nobody can read it" has to mean.
create function pg_temp.tables_holding(p_needle text) returns text[] language plpgsql as $$
declare
  r record;
  v_found boolean;
  v_tables text[] := '{}';
begin
  for r in
    select c.oid::regclass as t, s.nspname || '.' || c.relname as name
      from pg_class c join pg_namespace s on s.oid = c.relnamespace
     where c.relkind = 'r' and c.relpersistence <> 't'
       and s.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
       and s.nspname not like 'pg\_temp%' and s.nspname not like 'pg\_toast\_temp%'
     order by 2
  loop
    execute format('select exists (select 1 from %s x where strpos(lower(x::text), lower($1)) > 0)', r.t)
      into v_found using p_needle;
    if v_found then
      v_tables := v_tables || r.name;
    end if;
  end loop;
  return v_tables;
end $$;
create function pg_temp.as_user(p_user uuid, p_sql text) returns text language plpgsql as $$
declare v text;
begin
  if p_user is null then
    perform tests.authenticate_as_anon();
  else
    perform tests.authenticate_as(p_user);
  end if;
  begin
    execute p_sql into v;
  exception when others then
    v := 'ERROR ' || sqlstate;
  end;
  perform tests.clear_authentication();
  return v;
end $$;
create function pg_temp.erase(p_type text, p_id uuid, p_as uuid default null) returns text language sql as $$
  select pg_temp.as_user(coalesce(p_as, money_test.id('admin')),
                         format('select public.erase_personal_data(%L, %L)::text', p_type, p_id))
$$;
create function pg_temp.audit_rows() returns bigint language sql as $$ select count(*) from public.payout_audit_log $$;
create function pg_temp.past_us() returns xid8 language sql
as $$ select ((pg_current_xact_id()::text)::bigint + 1)::text::xid8 $$;

-- ---------------------------------------------------------------------------------------------
-- Scenario: recruiter Zelda (connected account) and R2 work a placement of company Qwxcompany;
-- a company contact (Yorick) is a member; Stripe events about Zelda's account and the company's
-- customer sit in the webhook inbox; one tranche is paid, one in flight, holds still held.
-- ---------------------------------------------------------------------------------------------
select money_test.remember('admin', tests.create_user('erasure-admin@test.invalid'));
insert into public.platform_admins (user_id) values (money_test.id('admin'));
select money_test.remember('zelda', money_test.recruiter('Zelda Qwxrecruiter'));
select money_test.remember('r2', money_test.recruiter('Other Recruiter'));
insert into public.companies (name, billing_email, stripe_customer_id)
values ('Qwxcompany Ltd', 'billing@qwxbilling.test', 'cus_qwx1') returning money_test.remember('co', id);
select money_test.remember('yorick', tests.create_user('yorick@qwxcontact.test'));
update auth.users set raw_user_meta_data = '{"full_name": "Yorick Qwxcontact"}' where id = money_test.id('yorick');
insert into public.company_members (company_id, user_id, role) values (money_test.id('co'), money_test.id('yorick'), 'company_admin');

select money_test.remember('pl', (private.create_placement(money_test.id('co'), 100000, 'USD', '2000-01-01 10:00Z', 90, 2000, 'Test placement')).id);
insert into public.placement_splits (placement_id, recruiter_id, role, share_bps) values
  (money_test.id('pl'), money_test.id('zelda'), 'candidate_recruiter', 6000),
  (money_test.id('pl'), money_test.id('r2'), 'company_recruiter', 3000);
select money_test.invoice(money_test.id('pl'));
select money_test.remember('pz', (money_test.payout(money_test.id('pl'), 6000)).id);
select money_test.remember('p2', (money_test.payout(money_test.id('pl'), 3000)).id);
select count(*) from money_test.claim('2000-01-13 02:00Z');
select private.complete_payout_transfer((money_test.in_flight(money_test.id('p2'))).id, 'tr_qwx2', '2000-01-13 02:01Z');

select private.receive_stripe_webhook_event(jsonb_build_object(
  'id', 'evt_qwxacct', 'type', 'account.updated', 'created', 946728000, 'livemode', false,
  'account', (select stripe_connect_account_id from public.recruiters where id = money_test.id('zelda')),
  'data', jsonb_build_object('object', jsonb_build_object(
    'id', (select stripe_connect_account_id from public.recruiters where id = money_test.id('zelda')), 'object', 'account',
    'email', 'zelda@qwxrecruiter.test',
    'individual', jsonb_build_object('first_name', 'Zelda', 'last_name', 'Qwxrecruiter'),
    'business_profile', jsonb_build_object('name', 'Zelda Qwxrecruiter Recruiting'),
    'external_accounts', jsonb_build_object('data', jsonb_build_array(
      jsonb_build_object('object', 'bank_account', 'account_holder_name', 'Zelda Qwxrecruiter', 'last4', '6789'))),
    'capabilities', jsonb_build_object('transfers', 'active')))), 'connect', '2000-01-02');
select private.receive_stripe_webhook_event(jsonb_build_object(
  'id', 'evt_qwxinv', 'type', 'invoice.paid', 'created', 946728000, 'livemode', false,
  'data', jsonb_build_object('object', jsonb_build_object(
    'id', 'in_qwx1', 'object', 'invoice', 'customer', 'cus_qwx1', 'amount_paid', 100000,
    'customer_name', 'Qwxcompany Ltd', 'customer_email', 'billing@qwxbilling.test',
    'customer_address', jsonb_build_object('line1', '1 Qwxstreet')))), 'platform', '2000-01-05');
select private.receive_stripe_webhook_event(jsonb_build_object(
  'id', 'evt_qwxother', 'type', 'invoice.paid', 'created', 946728000, 'livemode', false,
  'data', jsonb_build_object('object', jsonb_build_object(
    'id', 'in_other', 'object', 'invoice', 'customer', 'cus_qwx12', 'customer_name', 'Someone Else Qwxkeep',
    -- an id the erased ones are a prefix of: not theirs
    'on_behalf_of', (select stripe_connect_account_id from public.recruiters where id = money_test.id('zelda')) || '9'))),
  'platform', '2000-01-05');

-- ---------------------------------------------------------------------------------------------
-- The audit log holds ids, never the personal values (before any erasure)
-- ---------------------------------------------------------------------------------------------
select is(pg_temp.tables_holding('Zelda Qwxrecruiter'),
  array['auth.users', 'private.stripe_webhook_events', 'public.recruiters'],
  'before erasure, the recruiter''s name is in the live row, their auth user and the Stripe inbox (the scan finds it)');
select is(pg_temp.tables_holding('Qwxcompany'), array['private.stripe_webhook_events', 'public.companies'],
  'before erasure, the company''s name is in the live row and the Stripe inbox');
select is((select count(*)::int from public.payout_audit_log
            where entity_type in ('recruiter', 'company')
              and entity_id in (money_test.id('zelda'), money_test.id('co'))
              and (coalesce(new_values, '{}') ?| array['display_name', 'name', 'billing_email']
                   or coalesce(old_values, '{}') ?| array['display_name', 'name', 'billing_email'])), 0,
  'no audit row of the recruiter or the company holds a personal column');
select is((select new_values -> 'personal_fields_changed' from public.payout_audit_log
            where entity_type = 'recruiter' and entity_id = money_test.id('zelda') and operation = 'INSERT'),
  '["display_name"]'::jsonb, 'the recruiter''s insert names the personal field it set, not its value');
select is((select new_values -> 'personal_fields_changed' from public.payout_audit_log
            where entity_type = 'company' and entity_id = money_test.id('co') and operation = 'INSERT'),
  '["billing_email", "name"]'::jsonb, 'the company''s insert names its personal fields');
select ok((select new_values ? 'stripe_connect_account_id' and not new_values ? 'personal_fields_changed'
             from public.payout_audit_log
            where entity_type = 'recruiter' and entity_id = money_test.id('zelda') and entity_seq = 2),
  'an update that changes no personal field keeps the other columns and names none');
select throws_ok($$ select private.declare_personal_columns('public.recruiters'::regclass, array['nickname']) $$,
  'PT400', null, 'declaring a column the table does not have: PT400');
select throws_ok($$ select private.declare_personal_columns('public.recruiters'::regclass, array['id']) $$,
  'PT400', null, 'an id is never a personal column: PT400');

-- ---------------------------------------------------------------------------------------------
-- Refusals: SQLSTATE, nothing changes
-- ---------------------------------------------------------------------------------------------
-- a second company whose Stripe invoice is being issued (the billing worker still needs its email)
insert into public.companies (name, billing_email) values ('Pending Co', 'ap@pending.test') returning money_test.remember('co_pending', id);
select money_test.remember('pl_pending', (private.create_placement(money_test.id('co_pending'), 50000, 'USD', '2000-01-01 10:00Z', 90, 0, 'Pending placement')).id);
insert into public.placement_splits (placement_id, recruiter_id, role, share_bps)
values (money_test.id('pl_pending'), money_test.id('r2'), 'candidate_recruiter', 5000);
select private.request_company_invoice(money_test.invoice(money_test.id('pl_pending'), false), null, '2000-01-02');

create temp table before_refusals as select pg_temp.audit_rows() as audit_rows,
  (select count(*) from public.payout_events) as events;
select is(pg_temp.erase('recruiter', money_test.id('zelda'), (select user_id from public.recruiters where id = money_test.id('r2'))),
  'ERROR 42501', 'a recruiter cannot erase anyone (42501: platform admins only)');
select is(pg_temp.as_user(null, format('select public.erase_personal_data(%L, %L)::text', 'recruiter', money_test.id('zelda'))),
  'ERROR 42501', 'nor can anon');
select is(pg_temp.erase('candidate', money_test.id('zelda')), 'ERROR PT400', 'an unknown subject type: PT400');
select is(pg_temp.erase('recruiter', null), 'ERROR PT400', 'no subject id: PT400');
select is(pg_temp.erase('recruiter', gen_random_uuid()), 'ERROR PT404', 'an unknown recruiter: PT404');
select is(pg_temp.erase('user', gen_random_uuid()), 'ERROR PT404', 'an unknown user: PT404');
select is(pg_temp.erase('user', (select user_id from public.recruiters where id = money_test.id('zelda'))), 'ERROR PT409',
  'a user who is a recruiter is erased as the recruiter: PT409');
select is(pg_temp.erase('user', money_test.id('admin')), 'ERROR PT409', 'a platform admin (revoke first): PT409');
select is(pg_temp.erase('company', money_test.id('co_pending')), 'ERROR PT409',
  'a company whose Stripe invoice is being issued: PT409');
select is(row(pg_temp.audit_rows(), (select count(*) from public.payout_events))::text,
  (select row(audit_rows, events)::text from before_refusals), 'the refusals wrote no audit row and no event');
select is((select count(*)::int from private.personal_data_erasures), 0, 'and recorded no erasure');

-- ---------------------------------------------------------------------------------------------
-- Erasure of the recruiter (money still owed: a tranche in flight, holds), the company and the
-- company contact
-- ---------------------------------------------------------------------------------------------
-- the retention setting (default 10 years), set to 7 here
select is((select money_record_retention_years from private.payout_settings), 10, 'money records are kept 10 years by default');
select is((private.configure_payout_settings(p_money_record_retention_years => 7, p_reason => 'test')).money_record_retention_years, 7,
  'the retention is a setting (configure_payout_settings)');
select throws_ok($$ select private.configure_payout_settings(p_money_record_retention_years => 0) $$, '23514', null,
  'at least one year (CHECK)');
create temp table res as
  select 'recruiter' as k, pg_temp.erase('recruiter', money_test.id('zelda'))::jsonb as r
  union all select 'company', pg_temp.erase('company', money_test.id('co'))::jsonb
  union all select 'user', pg_temp.erase('user', money_test.id('yorick'))::jsonb;
select is((select r -> 'fields' from res where k = 'recruiter'),
  '["recruiters.display_name", "auth.users.email", "auth.users.phone", "auth.users.encrypted_password", "auth.users.raw_user_meta_data"]'::jsonb,
  'the recruiter''s erasure lists the fields it overwrote');
select is((select (r ->> 'stripe_events_redacted')::int from res where k = 'recruiter'), 1, 'and the one Stripe event about their account');
select is((select (r ->> 'retain_money_records_until')::date from res where k = 'recruiter'), (now() + interval '7 years')::date,
  'their money records are kept 7 years (the setting) after the last money activity');
select is((select row(r -> 'fields', r ->> 'stripe_events_redacted')::text from res where k = 'company'),
  row('["companies.name", "companies.billing_email"]'::jsonb, '1')::text, 'the company''s erasure: name, billing email, its Stripe event');
select is((select (r ->> 'memberships_removed')::int from res where k = 'user'), 1, 'the contact''s erasure removed their membership');
select is(pg_temp.erase('recruiter', money_test.id('zelda')), 'ERROR PT409', 'erasing the recruiter again: PT409 (already erased)');
select is(pg_temp.erase('company', money_test.id('co')), 'ERROR PT409', 'erasing the company again: PT409');

-- nobody can read it: not in any table of any schema
select is(pg_temp.tables_holding('Qwxrecruiter'), '{}'::text[], 'no table of the database holds the recruiter''s name or email');
select is(pg_temp.tables_holding('Qwxcompany'), '{}'::text[], 'nor the company''s name');
select is(pg_temp.tables_holding('qwxbilling'), '{}'::text[], 'nor its billing email');
select is(pg_temp.tables_holding('Qwxcontact'), '{}'::text[], 'nor the contact''s email or name');
select is(pg_temp.tables_holding('Qwxkeep'), array['private.stripe_webhook_events'], 'another customer''s Stripe event is untouched (ids the erased ones are a prefix of included)');
select is(pg_temp.as_user(money_test.id('admin'), format('select display_name from public.recruiters where id = %L', money_test.id('zelda'))),
  'Erased recruiter', 'an admin reading the recruiter sees the placeholder');
select is((select row(name, billing_email)::text from public.companies where id = money_test.id('co')), '("Erased company",)',
  'the company row: placeholder name, no billing email');
select is((select count(*)::int from auth.users where id in ((select user_id from public.recruiters where id = money_test.id('zelda')), money_test.id('yorick'))
             and email is null and phone is null and raw_user_meta_data = '{}' and deleted_at is not null), 2,
  'both auth users are scrubbed and marked deleted');
-- ids stay: the money trail
select is((select row(r.stripe_connect_account_id is not null, c.stripe_customer_id)::text
             from public.recruiters r, public.companies c where r.id = money_test.id('zelda') and c.id = money_test.id('co')),
  '(t,cus_qwx1)', 'the Stripe ids (the money trail) stay');
select is((select payload #>> '{data,object,capabilities,transfers}' from private.stripe_webhook_events where id = 'evt_qwxacct'),
  'active', 'the redacted event keeps what processing reads');

-- the erasure is audited and announced
select is((select array_agg(row(changed_by = money_test.id('admin'), changed_by_role, operation)::text order by entity_type)
             from public.payout_audit_log where entity_type = 'personal_data_erasure'
              and entity_id in (select (r ->> 'erasure_id')::uuid from res)),
  array['(t,platform_admin,INSERT)', '(t,platform_admin,INSERT)', '(t,platform_admin,INSERT)'],
  'each erasure is an audit row by the admin');
select is((select array_agg(row(entity_type, action, new_values -> 'personal_fields_changed')::text order by entity_type)
             from public.payout_audit_log where action = 'personal_data.erase' and operation = 'UPDATE'
              and entity_id in (money_test.id('zelda'), money_test.id('co'))),
  array['(company,personal_data.erase,"[""billing_email"", ""name""]")', '(recruiter,personal_data.erase,"[""display_name""]")'],
  'the overwrites are audited as personal_data.erase, naming the fields, not the values');
select is((select count(*)::int from public.payout_audit_log
            where entity_type = 'company_member' and operation = 'DELETE' and action = 'personal_data.erase'
              and old_values ->> 'user_id' = money_test.id('yorick')::text), 1,
  'the removed membership is audited');
select is((select count(*)::int from public.payout_events where event_type = 'personal_data.erased'
              and entity_id in (select (r ->> 'erasure_id')::uuid from res)), 3,
  'each erasure emits personal_data.erased for downstream consumers');

-- the chain still verifies
select is((select count(*)::int from public.verify_payout_audit_chain()), 0, 'full verification: every chain intact');
select is((select problems from private.verify_new_payout_audit_rows('2026-12-01 10:00Z', 200000, pg_temp.past_us())),
  '[]'::jsonb, 'incremental verification: no problem');

-- the money still reconciles, and payouts in flight complete to the connected account
select is((private.complete_payout_transfer((money_test.in_flight(money_test.id('pz'))).id, 'tr_qwxz', '2000-01-13 02:05Z')).status,
  'succeeded', 'the erased recruiter''s tranche in flight completes');
select ok((select count(*) > 0 from private.release_due_escrow_holds('2000-04-01 03:00Z')), 'their holds are released');
select ok(money_test.consistent(), 'every payout''s buckets are consistent');
select is((select fee_amount - platform_amount from public.placements where id = money_test.id('pl')),
  (select sum(amount) from public.payouts where placement_id = money_test.id('pl'))::bigint, 'fee = payouts + platform share');
select is((select row(owed_balance, held_balance)::text
             from private.statement(money_test.id('zelda'), '1999-01-01', '2030-01-01', 'USD') where kind = 'closing_balance'),
  (select row(sum(payable_amount + in_flight_amount), sum(held_amount))::text from public.payouts where recruiter_id = money_test.id('zelda')),
  'the erased recruiter''s statement still balances with the buckets');

select tests.authenticate_as((select user_id from public.recruiters where id = money_test.id('zelda')));
create temp table my_closing as
  select owed_balance, held_balance from public.my_statement('1999-01-01', '2030-01-01', 'USD') where kind = 'closing_balance';
select tests.clear_authentication();
select is((select row(owed_balance, held_balance)::text from my_closing),
  (select row(sum(payable_amount + in_flight_amount), sum(held_amount))::text from public.payouts where recruiter_id = money_test.id('zelda')),
  'my_statement (a token issued before the erasure) balances too');

select * from finish();
rollback;
