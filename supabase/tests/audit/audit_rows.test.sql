-- The audit trigger: one payout_audit_log row per inserted/updated/deleted row of an audited
-- table, with the actor and audit context of the transaction, whoever writes.
begin;
set local search_path = public, extensions;
select plan(37);

select tests.create_user('audit-alice@example.test', '00000000-0000-4000-8000-00000000a11c');

-- A throwaway money-like table, writable by the API role and the jobs role for the test.
create schema tests_tmp;
create table tests_tmp.widget (
  id uuid primary key default gen_random_uuid(),
  placement_id uuid,
  payout_id uuid,
  amount bigint not null default 0
);
grant usage on schema tests_tmp to authenticated, payout_jobs, service_role;
grant select, insert, update, delete on tests_tmp.widget to authenticated, payout_jobs, service_role;
select private.enable_audit('tests_tmp.widget', 'widget');

select triggers_are('tests_tmp', 'widget',
  array['payout_audit_insert', 'payout_audit_update', 'payout_audit_delete',
        'payout_audit_id_immutable', 'payout_audit_no_truncate'],
  'enable_audit installs the audit, id-guard and truncate-guard triggers');

-- INSERT with nobody authenticated: system.
insert into tests_tmp.widget (id, placement_id, payout_id, amount)
values ('10000000-0000-4000-8000-000000000001', '20000000-0000-4000-8000-000000000001',
        '30000000-0000-4000-8000-000000000001', 100);

select is((select count(*)::int from payout_audit_log where entity_type = 'widget'), 1, 'one audit row per inserted row');
select results_eq(
  $$ select entity_id, placement_id, payout_id, operation, action, old_values, changed_by, changed_by_role, reason, entity_seq
       from payout_audit_log where entity_type = 'widget' $$,
  $$ values ('10000000-0000-4000-8000-000000000001'::uuid, '20000000-0000-4000-8000-000000000001'::uuid,
             '30000000-0000-4000-8000-000000000001'::uuid, 'INSERT', 'insert', null::jsonb, null::uuid, 'system', null::text, 1::bigint) $$,
  'insert row: entity, placement, payout, operation, default action, system actor, first in chain');
select is((select new_values from payout_audit_log where entity_type = 'widget'),
  (select to_jsonb(w) from tests_tmp.widget w), 'insert row: new_values is the stored row');
select is((select txid from payout_audit_log where entity_type = 'widget'), pg_current_xact_id(),
  'audit row records the writing transaction');
select is((select created_at from payout_audit_log where entity_type = 'widget'), now(),
  'audit row time is the transaction time');

-- UPDATE by an API user (JWT).
select tests.authenticate_as('00000000-0000-4000-8000-00000000a11c');
update tests_tmp.widget set amount = 150 where id = '10000000-0000-4000-8000-000000000001';
select tests.clear_authentication();

select results_eq(
  $$ select operation, action, changed_by, changed_by_role, entity_seq, (old_values ->> 'amount')::bigint, (new_values ->> 'amount')::bigint
       from payout_audit_log where entity_type = 'widget' order by id desc limit 1 $$,
  $$ values ('UPDATE', 'update', '00000000-0000-4000-8000-00000000a11c'::uuid, 'authenticated', 2::bigint, 100::bigint, 150::bigint) $$,
  'update by a JWT user: actor is auth.uid()/authenticated, old and new values, next chain position');

-- UPDATE by an admin RPC: explicit actor and audit context.
select private.set_actor('00000000-0000-4000-8000-00000000a11c', 'platform_admin');
select private.set_audit_context('payout.approve', 'approved after manual review');
update tests_tmp.widget set amount = 175 where id = '10000000-0000-4000-8000-000000000001';
select results_eq(
  $$ select action, reason, changed_by, changed_by_role
       from payout_audit_log where entity_type = 'widget' order by id desc limit 1 $$,
  $$ values ('payout.approve', 'approved after manual review', '00000000-0000-4000-8000-00000000a11c'::uuid, 'platform_admin') $$,
  'explicit actor and audit context label the row');

-- The context stays for the rest of the transaction until cleared.
update tests_tmp.widget set amount = 176 where id = '10000000-0000-4000-8000-000000000001';
select is((select action from payout_audit_log where entity_type = 'widget' order by id desc limit 1), 'payout.approve',
  'audit context applies to every following write of the transaction');
select private.clear_audit_context();
update tests_tmp.widget set amount = 177 where id = '10000000-0000-4000-8000-000000000001';
select results_eq(
  $$ select action, reason from payout_audit_log where entity_type = 'widget' order by id desc limit 1 $$,
  $$ values ('update', null::text) $$,
  'after clear_audit_context: default action, no reason');

-- A job actor.
select private.set_actor(null, 'cron');
insert into tests_tmp.widget (id, amount) values ('10000000-0000-4000-8000-000000000002', 5);
select results_eq(
  $$ select changed_by, changed_by_role, placement_id, payout_id from payout_audit_log
      where entity_type = 'widget' and entity_id = '10000000-0000-4000-8000-000000000002' $$,
  $$ values (null::uuid, 'cron', null::uuid, null::uuid) $$,
  'job actor from set_actor; null placement/payout when the row has none');
select set_config('payouts.actor_role', '', true), set_config('payouts.actor_id', '', true);

-- payout_jobs writes the money table; the trigger writes the log it has no privilege on.
set local role payout_jobs;
update tests_tmp.widget set amount = 6 where id = '10000000-0000-4000-8000-000000000002';
reset role;
select is((select changed_by_role from payout_audit_log where entity_type = 'widget' order by id desc limit 1), 'job',
  'a write as payout_jobs is audited with role job');

-- service_role key.
select tests.authenticate_as_service_role();
update tests_tmp.widget set amount = 7 where id = '10000000-0000-4000-8000-000000000002';
select tests.clear_authentication();
select results_eq(
  $$ select changed_by, changed_by_role from payout_audit_log where entity_type = 'widget' order by id desc limit 1 $$,
  $$ values (null::uuid, 'service_role') $$,
  'a write with the service_role key is audited as service_role');

-- Set-based: one statement, many rows, one audit row each, ordered chains per entity.
insert into tests_tmp.widget (id, amount)
select ('10000000-0000-4000-8000-0000000001' || lpad(g::text, 2, '0'))::uuid, g from generate_series(1, 20) g;
update tests_tmp.widget set amount = amount + 1 where amount between 1 and 20;
select is((select count(*)::int from payout_audit_log where entity_type = 'widget' and operation = 'UPDATE'
            and entity_id::text like '10000000-0000-4000-8000-0000000001%'), 20,
  'a 20-row UPDATE writes 20 audit rows');
select is((select count(distinct entity_seq)::int from payout_audit_log where entity_type = 'widget'
            and entity_id::text like '10000000-0000-4000-8000-0000000001%' and operation = 'UPDATE'), 1,
  'each entity got its own chain position 2 (chains are per entity)');
select is((select bool_and((old_values ->> 'amount')::bigint + 1 = (new_values ->> 'amount')::bigint)
             from payout_audit_log where entity_type = 'widget' and operation = 'UPDATE'
              and entity_id::text like '10000000-0000-4000-8000-0000000001%'), true,
  'old and new rows are paired by id');

-- DELETE.
delete from tests_tmp.widget where id = '10000000-0000-4000-8000-000000000001';
select results_eq(
  $$ select operation, action, new_values is null, (old_values ->> 'amount')::bigint, placement_id, entity_seq
       from payout_audit_log where entity_type = 'widget' and entity_id = '10000000-0000-4000-8000-000000000001'
      order by entity_seq desc limit 1 $$,
  $$ values ('DELETE', 'delete', true, 177::bigint, '20000000-0000-4000-8000-000000000001'::uuid, 6::bigint) $$,
  'delete row: old values, no new values, placement kept, end of the entity chain');

-- A statement that touches no row writes nothing.
update tests_tmp.widget set amount = 0 where false;
select is((select count(*)::int from payout_audit_log where entity_type = 'widget'), 50,
  'a statement that changes no row writes no audit row (50 so far)');

-- Guards installed with the audit.
select throws_ok($$ update tests_tmp.widget set id = gen_random_uuid() where id = '10000000-0000-4000-8000-000000000002' $$,
  'PT422', null, 'the id of an audited row is immutable: PT422');
select lives_ok($$ update tests_tmp.widget set id = id where id = '10000000-0000-4000-8000-000000000002' $$,
  'setting id to itself is allowed');
select throws_ok($$ truncate tests_tmp.widget $$, '42501', null, 'TRUNCATE on an audited table is refused: 42501');
select throws_ok($$ truncate tests_tmp.widget cascade $$, '42501', null, 'also with CASCADE');

-- enable_audit is idempotent: re-enabling does not double the rows.
select private.enable_audit('tests_tmp.widget', 'widget');
insert into tests_tmp.widget (id) values ('10000000-0000-4000-8000-000000000003');
select is((select count(*)::int from payout_audit_log where entity_id = '10000000-0000-4000-8000-000000000003'), 1,
  'enable_audit twice: still one audit row per write');

-- ON CONFLICT DO UPDATE and COPY-like multi-row paths go through the same triggers.
insert into tests_tmp.widget (id, amount) values ('10000000-0000-4000-8000-000000000003', 9)
on conflict (id) do update set amount = excluded.amount;
select is((select operation from payout_audit_log where entity_id = '10000000-0000-4000-8000-000000000003' order by entity_seq desc limit 1),
  'UPDATE', 'INSERT ... ON CONFLICT DO UPDATE is audited as an update');

-- Entity types placement / payout use their own id as placement_id / payout_id.
create table tests_tmp.placement_like (id uuid primary key, fee bigint);
create table tests_tmp.payout_like (id uuid primary key, placement_id uuid, amount bigint);
select private.enable_audit('tests_tmp.placement_like', 'placement');
select private.enable_audit('tests_tmp.payout_like', 'payout');
insert into tests_tmp.placement_like values ('40000000-0000-4000-8000-000000000001', 1000);
insert into tests_tmp.payout_like values ('50000000-0000-4000-8000-000000000001', '40000000-0000-4000-8000-000000000001', 10);
select results_eq(
  $$ select entity_type, placement_id, payout_id from payout_audit_log where entity_type in ('placement', 'payout') order by id $$,
  $$ values ('placement', '40000000-0000-4000-8000-000000000001'::uuid, null::uuid),
            ('payout', '40000000-0000-4000-8000-000000000001'::uuid, '50000000-0000-4000-8000-000000000001'::uuid) $$,
  'a placement''s own id is its placement_id, a payout''s own id its payout_id');

-- Cascaded deletes are audited on the child.
create table tests_tmp.child (id uuid primary key, widget_id uuid references tests_tmp.widget on delete cascade);
select private.enable_audit('tests_tmp.child', 'widget_child');
insert into tests_tmp.child values ('60000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000003');
delete from tests_tmp.widget where id = '10000000-0000-4000-8000-000000000003';
select is((select operation from payout_audit_log where entity_type = 'widget_child' order by id desc limit 1), 'DELETE',
  'a cascaded delete is audited on the child table');

-- enable_audit refuses what it cannot audit.
create table tests_tmp.no_uuid_id (id bigint primary key);
create table tests_tmp.text_placement (id uuid primary key, placement_id text);
create view tests_tmp.widget_view as select * from tests_tmp.widget;
select throws_ok($$ select private.enable_audit('tests_tmp.no_uuid_id', 'thing') $$, 'PT400', null,
  'a table without id uuid: PT400');
select throws_ok($$ select private.enable_audit('tests_tmp.text_placement', 'thing') $$, 'PT400', null,
  'a placement_id that is not uuid: PT400');
select throws_ok($$ select private.enable_audit('tests_tmp.widget_view', 'thing') $$, 'PT400', null, 'a view: PT400');
select throws_ok($$ select private.enable_audit('tests_tmp.widget', 'Widget') $$, 'PT400', null, 'a malformed entity type: PT400');
select throws_ok($$ select private.enable_audit('tests_tmp.widget', null) $$, 'PT400', null, 'a null entity type: PT400');
select throws_ok($$ select private.enable_audit('public.payout_audit_log', 'audit') $$, 'PT400', null,
  'the audit log itself cannot be audited: PT400');
select throws_ok($$ select private.enable_audit('public.payout_events', 'event') $$, 'PT400', null,
  'the outbox cannot be audited: PT400');

-- A person role without an id cannot be written (CHECK), nor an unknown role.
select throws_ok($$ select set_config('payouts.actor_role', 'recruiter', true); update tests_tmp.widget set amount = 1 $$,
  '23514', null, 'an audit row for a person without id violates a CHECK (23514)');
select set_config('payouts.actor_role', '', true);

-- Writes are audited whatever the table owner's privileges: the API role has none on the log.
select is(has_any_column_privilege('authenticated', 'public.payout_audit_log', 'insert,update')
          or has_table_privilege('authenticated', 'public.payout_audit_log', 'delete,truncate'), false,
  'authenticated has no write privilege on the log');
select is((select count(*)::int from payout_audit_log where entity_type = 'widget' and changed_by_role = 'authenticated'), 1,
  'yet the authenticated user''s write was audited');

-- Every chain written above verifies.
select is_empty($$ select * from verify_payout_audit_chain() where entity_type in ('widget', 'widget_child', 'placement', 'payout') $$,
  'the chains written by the trigger verify');

select * from finish();
rollback;
