-- payout_audit_log is append-only for every role, its owner and the superuser included:
-- UPDATE, DELETE and TRUNCATE raise. The chain heads cannot be deleted or truncated.
begin;
set local search_path = public, extensions;
select plan(17);

create schema tests_tmp;
create table tests_tmp.widget (id uuid primary key default gen_random_uuid(), placement_id uuid, payout_id uuid, amount bigint);
select private.enable_audit('tests_tmp.widget', 'widget');
insert into tests_tmp.widget (amount) values (1), (2);

select is(current_user::text, 'postgres', 'running as postgres');
select is((select rolsuper from pg_roles where rolname = current_user), true, 'postgres is a superuser here');
select is((select relowner::regrole::text from pg_class where oid = 'public.payout_audit_log'::regclass), 'postgres',
  'postgres owns the log');

select throws_ok($$ update payout_audit_log set reason = 'rewritten' where entity_type = 'widget' $$,
  '42501', 'UPDATE on public.payout_audit_log is not allowed: the table is append-only', 'owner/superuser: UPDATE raises 42501');
select throws_ok($$ delete from payout_audit_log where entity_type = 'widget' $$,
  '42501', 'DELETE on public.payout_audit_log is not allowed: the table is append-only', 'owner/superuser: DELETE raises 42501');
select throws_ok($$ truncate payout_audit_log $$,
  '42501', 'TRUNCATE on public.payout_audit_log is not allowed: the table is append-only', 'owner/superuser: TRUNCATE raises 42501');
select throws_ok($$ truncate payout_audit_log cascade $$, '42501', null, 'owner/superuser: TRUNCATE CASCADE raises 42501');
select throws_ok($$ merge into payout_audit_log l using (select 1) s on l.entity_type = 'widget'
                     when matched then update set reason = 'x' $$,
  '42501', null, 'owner/superuser: MERGE ... UPDATE raises 42501');
select is((select count(*)::int from payout_audit_log where entity_type = 'widget'), 2, 'the rows are untouched');

-- The API roles and the jobs role (even with a grant someone might add by mistake, the
-- trigger still refuses).
grant update, delete, truncate on public.payout_audit_log to service_role;
set local role service_role;
select throws_ok($$ update payout_audit_log set reason = 'x' $$, '42501', null, 'service_role (granted): UPDATE raises 42501');
select throws_ok($$ delete from payout_audit_log $$, '42501', null, 'service_role (granted): DELETE raises 42501');
select throws_ok($$ truncate payout_audit_log $$, '42501', null, 'service_role (granted): TRUNCATE raises 42501');
reset role;
revoke update, delete, truncate on public.payout_audit_log from service_role;
set local role authenticated;
select throws_ok($$ delete from payout_audit_log $$, '42501', null, 'authenticated: DELETE raises 42501');
reset role;
grant usage on schema extensions to payout_jobs; -- pgTAP lives there (test only)
set local role payout_jobs;
select throws_ok($$ update payout_audit_log set reason = 'x' $$, '42501', null, 'payout_jobs: UPDATE raises 42501');
reset role;

-- Chain heads: moved by the chain trigger, never deleted.
select throws_ok($$ delete from private.payout_audit_chain_heads where entity_type = 'widget' $$,
  '42501', null, 'chain heads: DELETE raises 42501');
select throws_ok($$ truncate private.payout_audit_chain_heads $$, '42501', null, 'chain heads: TRUNCATE raises 42501');

select is_empty($$ select * from verify_payout_audit_chain('widget') $$, 'the chains still verify');

select * from finish();
rollback;
