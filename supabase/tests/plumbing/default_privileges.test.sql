-- Schema private and the default privileges: whatever a migration creates starts closed to
-- PUBLIC and to the API roles until a grant opens it.
begin;
set local search_path = public, extensions;
select plan(14);

select has_schema('private');
select is(has_schema_privilege('anon', 'private', 'usage'), false, 'anon has no usage on schema private');
-- (The access layer may give other roles USAGE for name lookup; EXECUTE stays per function.)
select is(
  (select count(*)::int from pg_namespace n, aclexplode(n.nspacl) a
    where n.nspname = 'private' and a.grantee = 0),
  0, 'PUBLIC has no privilege on schema private');

-- New objects created by postgres (the migration role), as a later migration would.
create function public.tmp_new_function() returns int language sql as 'select 1';
create function private.tmp_new_private_function() returns int language sql as 'select 1';
create table public.tmp_new_table (id bigint generated always as identity primary key, x int);

select is(
  (select count(*)::int from pg_proc p, aclexplode(p.proacl) a
    where p.oid in ('public.tmp_new_function()'::regprocedure, 'private.tmp_new_private_function()'::regprocedure)
      and a.grantee = 0),
  0, 'new functions are not executable by PUBLIC (public and private schema)');
select function_privs_are('public', 'tmp_new_function', '{}'::name[], 'anon', '{}'::text[],
  'anon cannot execute a new public function');
select function_privs_are('public', 'tmp_new_function', '{}'::name[], 'authenticated', '{}'::text[],
  'authenticated cannot execute a new public function');
select function_privs_are('public', 'tmp_new_function', '{}'::name[], 'service_role', '{}'::text[],
  'service_role cannot execute a new public function');
select table_privs_are('public', 'tmp_new_table', 'anon', '{}'::text[], 'anon has no privilege on a new public table');
select table_privs_are('public', 'tmp_new_table', 'authenticated', '{}'::text[],
  'authenticated has no privilege on a new public table');
select table_privs_are('public', 'tmp_new_table', 'service_role', '{}'::text[],
  'service_role has no privilege on a new public table');
select is(
  (select count(*)::int from unnest(array['anon', 'authenticated', 'service_role']) r(role)
    where has_sequence_privilege(r.role, pg_get_serial_sequence('public.tmp_new_table', 'id'), 'usage,select,update')),
  0, 'the API roles have no privilege on a new public sequence');

-- The definer functions of this layer are exactly the ones that must write on behalf of
-- callers who hold no privilege on the tables.
select set_eq(
  $$ select p.oid::regprocedure from pg_proc p
      where p.prosecdef
        and p.oid in ('private.set_actor(uuid,text)'::regprocedure, 'private.actor_id()'::regprocedure,
                      'private.actor_role()'::regprocedure, 'private.set_audit_context(text,text)'::regprocedure,
                      'private.clear_audit_context()'::regprocedure, 'private.audit_action()'::regprocedure,
                      'private.audit_reason()'::regprocedure, 'private.refuse_modification()'::regprocedure,
                      'private.payout_audit_row_hash(public.payout_audit_log)'::regprocedure,
                      'private.payout_audit_hash(bigint,text,uuid,bigint,uuid,uuid,text,text,jsonb,jsonb,uuid,text,text,xid8,timestamptz,bytea)'::regprocedure,
                      'private.append_payout_audit_rows(text,text,private.payout_audit_change[])'::regprocedure,
                      'private.refuse_direct_audit_insert()'::regprocedure,
                      'private.ensure_monthly_partitions(regclass,timestamptz,integer)'::regprocedure,
                      'private.payout_audit_partitions_missing()'::regprocedure,
                      'private.verify_new_payout_audit_rows(timestamptz,integer,xid8)'::regprocedure,
                      'private.verify_payout_audit_digests(bigint)'::regprocedure,
                      'private.payout_audit_anchor(date)'::regprocedure,
                      'private.maintain_payout_audit(timestamptz)'::regprocedure,
                      'public.verify_payout_audit_chain(text,uuid)'::regprocedure,
                      'private.audit_changes()'::regprocedure, 'private.refuse_entity_id_change()'::regprocedure,
                      'private.refuse_truncate_audited()'::regprocedure, 'private.enable_audit(regclass,text)'::regprocedure,
                      'private.emit_event(text,text,uuid,uuid,uuid,jsonb)'::regprocedure,
                      'private.payout_events_page(xid8,bigint,integer,xid8)'::regprocedure,
                      'public.read_payout_events(xid8,bigint,integer)'::regprocedure) $$,
  $$ values ('private.audit_changes()'::regprocedure),
            ('private.emit_event(text,text,uuid,uuid,uuid,jsonb)'::regprocedure),
            ('public.read_payout_events(xid8,bigint,integer)'::regprocedure) $$,
  'security definer only where a caller must do more than it may itself');

-- Every function of this layer: search_path pinned to '' and a comment.
select is_empty(
  $$ select p.oid::regprocedure::text from pg_proc p
      where (p.pronamespace = 'private'::regnamespace
             and p.proname in ('set_actor', 'actor_id', 'actor_role', 'set_audit_context', 'clear_audit_context',
                               'audit_action', 'audit_reason', 'refuse_modification', 'payout_audit_row_hash',
                               'payout_audit_hash', 'append_payout_audit_rows', 'refuse_direct_audit_insert',
                               'ensure_monthly_partitions', 'payout_audit_partitions_missing',
                               'verify_new_payout_audit_rows', 'verify_payout_audit_digests',
                               'payout_audit_anchor', 'maintain_payout_audit',
                               'audit_changes', 'refuse_entity_id_change',
                               'refuse_truncate_audited', 'enable_audit', 'emit_event', 'payout_events_page'))
         or (p.pronamespace = 'public'::regnamespace
             and p.proname in ('verify_payout_audit_chain', 'read_payout_events'))
     except
     select p.oid::regprocedure::text from pg_proc p
      where 'search_path=""' = any(p.proconfig) and obj_description(p.oid, 'pg_proc') is not null $$,
  'every plumbing function has search_path = '''' and a comment');

select is(
  (select count(*)::int from pg_proc p
    where (p.pronamespace = 'private'::regnamespace
           and p.proname in ('set_actor', 'actor_id', 'actor_role', 'set_audit_context', 'clear_audit_context',
                             'audit_action', 'audit_reason', 'refuse_modification', 'payout_audit_row_hash',
                             'payout_audit_hash', 'append_payout_audit_rows', 'refuse_direct_audit_insert',
                               'ensure_monthly_partitions', 'payout_audit_partitions_missing',
                               'verify_new_payout_audit_rows', 'verify_payout_audit_digests',
                               'payout_audit_anchor', 'maintain_payout_audit',
                               'audit_changes', 'refuse_entity_id_change',
                             'refuse_truncate_audited', 'enable_audit', 'emit_event', 'payout_events_page'))
       or (p.pronamespace = 'public'::regnamespace
           and p.proname in ('verify_payout_audit_chain', 'read_payout_events'))),
  26, 'the plumbing layer has exactly its 26 functions (no stray overloads)');

select * from finish();
rollback;
