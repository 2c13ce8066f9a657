-- Role payout_jobs: a no-login, least-privilege role; usage on private, nothing else yet.
begin;
set local search_path = public, extensions;
select plan(9);

select has_role('payout_jobs');
select is((select rolcanlogin from pg_roles where rolname = 'payout_jobs'), false, 'payout_jobs cannot log in');
select is(
  (select rolsuper or rolbypassrls or rolcreaterole or rolcreatedb or rolreplication
     from pg_roles where rolname = 'payout_jobs'),
  false, 'payout_jobs has no elevated attribute (superuser, bypassrls, createrole, createdb, replication)');
select is(has_schema_privilege('payout_jobs', 'private', 'usage'), true, 'payout_jobs may resolve names in private');
select is(
  (select count(*)::int from pg_class c where c.relowner = 'payout_jobs'::regrole)
  + (select count(*)::int from pg_proc p where p.proowner = 'payout_jobs'::regrole),
  0, 'payout_jobs owns nothing');
select is(
  (select count(*)::int from unnest(array['public.payout_audit_log', 'public.payout_events']::regclass[]) t(tbl)
    where has_any_column_privilege('payout_jobs', t.tbl, 'select,insert,update,references')
       or has_table_privilege('payout_jobs', t.tbl, 'delete,truncate,trigger')),
  0, 'payout_jobs has no privilege on the audit log or the outbox');
select is(has_table_privilege('payout_jobs', 'private.payout_audit_chain_heads', 'select,insert,update,delete,truncate'), false,
  'payout_jobs has no privilege on the chain anchors');
select is(
  (select count(*)::int from pg_roles r join pg_auth_members m on m.member = r.oid
    where r.rolname = 'payout_jobs'),
  0, 'payout_jobs is member of no role');
select is(
  (select count(*)::int from pg_proc p
    where p.oid in ('private.set_actor(uuid,text)'::regprocedure, 'private.emit_event(text,text,uuid,uuid,uuid,jsonb)'::regprocedure,
                    'private.set_audit_context(text,text)'::regprocedure, 'private.enable_audit(regclass,text)'::regprocedure,
                    'public.verify_payout_audit_chain(text,uuid)'::regprocedure)
      and has_function_privilege('payout_jobs', p.oid, 'execute')),
  0, 'payout_jobs cannot set the actor or the audit context, emit events, or touch the audit (job functions do it for it)');

select * from finish();
rollback;
