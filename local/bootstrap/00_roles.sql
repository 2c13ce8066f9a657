-- Local-only platform bootstrap: what a Supabase project has before any migration runs.
-- Mirrors supabase/postgres' initial schema: API roles, the authenticator PostgREST logs in
-- as, and Supabase's default grants and default privileges on schema public.
-- Never part of supabase/migrations: on a real project all of this already exists.

do $$
begin
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'authenticator') then
    create role authenticator login noinherit password 'postgres';
  end if;
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'supabase_admin') then
    create role supabase_admin login createrole createdb replication bypassrls;
  end if;
end
$$;

grant anon, authenticated, service_role to authenticator;

-- PostgREST's statement timeouts as Supabase sets them.
alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
alter role authenticator set statement_timeout = '8s';

grant usage on schema public to postgres, anon, authenticated, service_role;

-- Supabase's default privileges: objects created in public by postgres are granted to the
-- API roles; projects narrow this with RLS and by revoking (as our migrations do).
alter default privileges for role postgres in schema public grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on sequences to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public grant all on sequences to postgres, anon, authenticated, service_role;

-- PostgREST reloads its schema cache on this notification (Supabase ships the same trigger,
-- in schema extensions, created by 10_extensions.sql's schema below).
create schema if not exists extensions;
create or replace function extensions.pgrst_ddl_watch() returns event_trigger
language plpgsql set search_path = '' as $$
begin
  perform pg_catalog.pg_notify('pgrst', 'reload schema');
end;
$$;
revoke all on function extensions.pgrst_ddl_watch() from public, anon, authenticated, service_role;
do $$
begin
  if not exists (select 1 from pg_catalog.pg_event_trigger where evtname = 'pgrst_ddl_watch') then
    create event trigger pgrst_ddl_watch on ddl_command_end execute function extensions.pgrst_ddl_watch();
  end if;
end
$$;
