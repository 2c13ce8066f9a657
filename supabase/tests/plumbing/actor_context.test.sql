-- private.set_actor / actor_id / actor_role and the audit context: precedence (explicit actor,
-- JWT, system), validation, and transaction-local lifetime.
begin;
set local search_path = public, extensions;
select plan(28);

select tests.create_user('actor-alice@example.test', '00000000-0000-4000-8000-00000000a11c');
select tests.create_user('actor-bob@example.test', '00000000-0000-4000-8000-000000000b0b');

-- Nobody: a migration, psql, pg_cron without an explicit actor.
select is(private.actor_id(), null, 'no JWT, no actor: id is null');
select is(private.actor_role(), 'system', 'no JWT, no actor: role is system');

-- JWT user, as PostgREST sets it (read back as postgres: the API roles cannot execute private).
select tests.authenticate_as('00000000-0000-4000-8000-00000000a11c');
set local role postgres;
select is(private.actor_id(), '00000000-0000-4000-8000-00000000a11c'::uuid, 'JWT user: id is auth.uid()');
select is(private.actor_role(), 'authenticated', 'JWT user: role is authenticated');

-- Explicit actor wins over the JWT, as a pair.
select private.set_actor('00000000-0000-4000-8000-000000000b0b', 'platform_admin');
select is(private.actor_id(), '00000000-0000-4000-8000-000000000b0b'::uuid, 'set_actor id wins over the JWT');
select is(private.actor_role(), 'platform_admin', 'set_actor role wins over the JWT');
select private.set_actor(null, 'cron');
select is(private.actor_id(), null, 'a job actor does not borrow the JWT user id');
select is(private.actor_role(), 'cron', 'job actor role');
select tests.clear_authentication();
select is(private.actor_role(), 'cron', 'explicit actor survives without a JWT');
select private.set_actor(null, 'webhook');
select is(private.actor_role(), 'webhook', 'set_actor can be called again in the same transaction');

-- Reset the explicit actor for the next cases (the settings are transaction-local; here we
-- emulate a new transaction by clearing them).
select set_config('payouts.actor_role', '', true), set_config('payouts.actor_id', '', true);

select tests.authenticate_as_service_role();
set local role postgres;
select is(private.actor_id(), null, 'service_role key: no id');
select is(private.actor_role(), 'service_role', 'service_role key: role service_role');

select tests.authenticate_as_anon();
set local role postgres;
select is(private.actor_role(), 'anon', 'anon key: role anon');
select tests.clear_authentication();

-- payout_jobs (SET ROLE, or a JWT whose role is payout_jobs) is a job.
select set_config('request.jwt.claims', '{"role":"payout_jobs"}', true);
select is(private.actor_role(), 'job', 'JWT role payout_jobs: role job');
select tests.clear_authentication();
-- As inside the audit trigger: a security definer function called by payout_jobs.
create schema tests_tmp;
create function tests_tmp.actor_role_probe() returns text
language sql security definer set search_path = '' as 'select private.actor_role()';
grant usage on schema tests_tmp to payout_jobs;
grant execute on function tests_tmp.actor_role_probe() to payout_jobs;
set local role payout_jobs;
select set_config('payouts.probe', tests_tmp.actor_role_probe(), true);
reset role;
select is(current_setting('payouts.probe'), 'job', 'SET ROLE payout_jobs: role job, also seen from a security definer function');

-- Validation.
select throws_ok($$ select private.set_actor(null, 'sytem') $$, 'PT400', null, 'unknown actor role: PT400');
select throws_ok($$ select private.set_actor(null, null) $$, 'PT400', null, 'null actor role: PT400');
select throws_ok($$ select private.set_actor(null, 'recruiter') $$, 'PT400', null, 'a person role needs an id: PT400');
select lives_ok($$ select private.set_actor(null, 'job') $$, 'a machine role needs no id');

-- Audit context.
select is(private.audit_action(), null, 'no audit action by default');
select private.set_audit_context('payout.approve', '  approved by ops  ');
select is(private.audit_action(), 'payout.approve', 'audit action set');
select is(private.audit_reason(), 'approved by ops', 'audit reason set (trimmed)');
select private.clear_audit_context();
select is(row(private.audit_action(), private.audit_reason()), row(null::text, null::text), 'clear_audit_context clears both');
select throws_ok($$ select private.set_audit_context('Payout Approve', null) $$, 'PT400', null, 'malformed action: PT400');
select throws_ok($$ select private.set_audit_context('payout.approve', repeat('x', 2001)) $$, 'PT400', null,
  'reason over 2000 characters: PT400');

-- Transaction-local: through a second connection (dblink), the actor set in one transaction
-- is gone in the next one on the same session, as behind a transaction-mode pooler.
create extension if not exists dblink with schema extensions;
select dblink_connect('actor_probe', format('host=%s port=%s dbname=%s user=postgres',
  split_part(current_setting('unix_socket_directories'), ',', 1), current_setting('port'), current_database()));
select dblink_exec('actor_probe', 'begin');
select * from dblink('actor_probe', $$select private.set_actor(null, 'cron')::text$$) as t(v text);
select is((select r from dblink('actor_probe', 'select private.actor_role()') as t(r text)), 'cron',
  'inside the transaction: the explicit actor');
select dblink_exec('actor_probe', 'commit');
select is((select r from dblink('actor_probe', 'select private.actor_role()') as t(r text)), 'system',
  'next transaction of the same session: the actor is gone');
select * from dblink('actor_probe', $$select private.set_audit_context('payout.approve', 'r')::text$$) as t(v text);
select is((select a from dblink('actor_probe', 'select private.audit_action()') as t(a text)), null,
  'audit context does not leak into the next transaction either');
select dblink_disconnect('actor_probe');

select * from finish();
rollback;
