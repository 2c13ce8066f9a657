-- The platform roles exist with Supabase's attributes and memberships.
begin;
set search_path = public, extensions;
select plan(11);

select has_role('anon');
select has_role('authenticated');
select has_role('service_role');
select ok((select rolbypassrls from pg_roles where rolname = 'service_role'), 'service_role bypasses RLS');
select ok(not (select rolbypassrls from pg_roles where rolname = 'authenticated'), 'authenticated does not bypass RLS');
select ok((select rolcanlogin and not rolinherit from pg_roles where rolname = 'authenticator'),
  'authenticator logs in and does not inherit (PostgREST switches role per request)');
select ok(pg_has_role('authenticator', 'anon', 'member')
  and pg_has_role('authenticator', 'authenticated', 'member')
  and pg_has_role('authenticator', 'service_role', 'member'), 'authenticator can become each API role');
select ok(not (select rolcanlogin from pg_roles where rolname = 'anon'), 'anon cannot log in');
select ok(has_schema_privilege('anon', 'public', 'usage') and has_schema_privilege('authenticated', 'public', 'usage'),
  'API roles use schema public');
select ok(not has_schema_privilege('anon', 'cron', 'usage'), 'anon cannot reach pg_cron');
select is((select extnamespace::regnamespace::text from pg_extension where extname = 'pgcrypto'), 'extensions',
  'pgcrypto lives in extensions, as on Supabase');

select * from finish();
rollback;
