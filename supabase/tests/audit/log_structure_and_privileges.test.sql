-- payout_audit_log and its chain anchors: columns of the public contract, indexes for the
-- audit filters, RLS enabled, no API write privilege; API roles cannot call the audit
-- functions, anon reads nothing, a stranger sees no row.
begin;
set local search_path = public, extensions;
select plan(23);

select columns_are('public', 'payout_audit_log', array[
  'id', 'entity_type', 'entity_id', 'placement_id', 'payout_id',
  'recruiter_id', -- the payout's recruiter (set by the writer, 20261127090600), for index-friendly RLS; not hashed
  'operation', 'action',
  'old_values', 'new_values', 'changed_by', 'changed_by_role', 'reason', 'txid', 'created_at',
  'entity_seq', 'prev_hash', 'row_hash'
  ], 'payout_audit_log has the contract columns');
select col_is_pk('public', 'payout_audit_log', array['id', 'created_at'], 'the primary key is (id, created_at): partitioned by month');
select is((select attidentity from pg_attribute where attrelid = 'public.payout_audit_log'::regclass and attname = 'id'), 'a',
  'id is generated always as identity');

-- Exactly the indexes a query uses (each named in 20261127090400), and the partitioning.
select is((select partstrat::text from pg_partitioned_table where partrelid = 'public.payout_audit_log'::regclass), 'r',
  'range-partitioned');
select is_indexed('public', 'payout_audit_log', array['entity_type', 'entity_id', 'entity_seq'], 'entity filter (and chain order)');
select is_indexed('public', 'payout_audit_log', array['placement_id', 'id'], 'placement filter');
select is_indexed('public', 'payout_audit_log', array['payout_id', 'id'], 'payout filter');
select is_indexed('public', 'payout_audit_log', array['txid', 'id'], 'incremental verification window');
select is((select array_agg(indexrelid::regclass::text order by indexrelid::regclass::text) from pg_index where indrelid = 'public.payout_audit_log'::regclass),
  array['payout_audit_log_entity_idx', 'payout_audit_log_payout_idx', 'payout_audit_log_pkey', 'payout_audit_log_placement_idx',
        'payout_audit_log_recruiter_visibility_idx', 'payout_audit_log_txid_idx'],
  'no index without a query');

-- RLS on. Read policies and column grants are the access layer's (20261128...); what this layer
-- guarantees whatever they add: anon reads nothing, no API role may write, and a user with no
-- business in a row does not see it.
select is((select relrowsecurity from pg_class where oid = 'public.payout_audit_log'::regclass), true, 'RLS enabled on the log');
select is((select relrowsecurity from pg_class where oid = 'private.payout_audit_chain_heads'::regclass), true, 'RLS enabled on the anchors');
select table_privs_are('public', 'payout_audit_log', 'anon', '{}'::text[], 'anon: no privilege on the log');
select is(has_any_column_privilege('anon', 'public.payout_audit_log', 'select'), false, 'anon: no column privilege either');
select is(
  (select count(*)::int from unnest(array['anon', 'authenticated', 'service_role']) r(role)
    where has_any_column_privilege(r.role, 'public.payout_audit_log', 'insert,update')
       or has_table_privilege(r.role, 'public.payout_audit_log', 'delete,truncate')),
  0, 'no API role has a write privilege on the log');
select is(
  (select count(*)::int from unnest(array['anon', 'authenticated', 'service_role']) r(role)
    where has_table_privilege(r.role, 'private.payout_audit_chain_heads', 'select,insert,update,delete,truncate')),
  0, 'no API role has a privilege on the chain anchors');
select is(
  (select count(*)::int from unnest(array['anon', 'authenticated', 'service_role']) r(role)
    where has_sequence_privilege(r.role, pg_get_serial_sequence('public.payout_audit_log', 'id'), 'usage,update')),
  0, 'the API roles cannot draw ids from the log''s identity sequence');

create schema tests_tmp;
create table tests_tmp.widget (id uuid primary key, placement_id uuid, payout_id uuid, amount bigint);
select private.enable_audit('tests_tmp.widget', 'widget');
insert into tests_tmp.widget values (gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), 1);
-- Rows of the log a role can see through whatever grants and policies exist (-1: none at all).
create function tests_tmp.visible_widget_audit_rows() returns int language plpgsql
as $$
begin
  return (select count(*) from public.payout_audit_log where entity_type = 'widget');
exception when insufficient_privilege then
  return -1;
end $$;
grant usage on schema tests_tmp to anon, authenticated;
grant execute on function tests_tmp.visible_widget_audit_rows() to anon, authenticated;

select tests.authenticate_as_anon();
select throws_ok($$ select id from public.payout_audit_log $$, '42501', null, 'anon cannot read the log');
select throws_ok($$ select * from public.verify_payout_audit_chain() $$, '42501', null, 'anon cannot run the verifier');
select tests.clear_authentication();

select tests.authenticate_as(tests.create_user('audit-stranger@example.test'));
select ok(tests_tmp.visible_widget_audit_rows() <= 0, 'a user with no business in the rows sees none of them');
select throws_ok($$ select * from public.verify_payout_audit_chain() $$, '42501', null, 'authenticated cannot run the verifier');
select tests.clear_authentication();

select is(
  (select count(*)::int
     from unnest(array['anon', 'authenticated', 'service_role', 'payout_jobs']) r(role),
          unnest(array['private.set_actor(uuid,text)', 'private.actor_id()', 'private.actor_role()',
                       'private.set_audit_context(text,text)', 'private.clear_audit_context()',
                       'private.enable_audit(regclass,text)', 'private.audit_changes()',
                       'private.append_payout_audit_rows(text,text,private.payout_audit_change[])',
                       'private.verify_new_payout_audit_rows(timestamptz,integer,xid8)', 'private.maintain_payout_audit(timestamptz)',
                       'private.ensure_monthly_partitions(regclass,timestamptz,integer)',
                       'private.payout_audit_row_hash(public.payout_audit_log)']::regprocedure[]) f(fn)
    where has_function_privilege(r.role, f.fn, 'execute')),
  0, 'no API role and not payout_jobs can execute an audit or actor function');

set local role authenticated;
select throws_ok($$ select private.set_actor(null, 'system') $$, '42501', null,
  'authenticated cannot call private.set_actor');
reset role;
grant usage on schema private to anon; -- even with usage on the schema, EXECUTE is not granted
set local role anon;
select throws_ok($$ select private.set_actor(null, 'system') $$, '42501', null,
  'anon cannot execute private.set_actor even with usage on private');
reset role;

select * from finish();
rollback;
