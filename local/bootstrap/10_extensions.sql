-- Local-only platform bootstrap: the extensions schema as on Supabase, where every extension
-- lives outside public (the advisors flag extensions in public).
create schema if not exists extensions;
grant usage on schema extensions to postgres, anon, authenticated, service_role;
create extension if not exists pgcrypto with schema extensions;
create extension if not exists "uuid-ossp" with schema extensions;
alter default privileges in schema extensions grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges in schema extensions grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges in schema extensions grant all on sequences to postgres, anon, authenticated, service_role;
-- pg_cron lives in pg_catalog/cron as on Supabase (created by the platform in database postgres).
create extension if not exists pg_cron with schema pg_catalog;
grant usage on schema cron to postgres;
-- Used by `supabase db lint` (plpgsql_check) and by the pgTAP suite.
create extension if not exists plpgsql_check with schema extensions;
create extension if not exists pgtap with schema extensions;
alter database postgres set search_path = "$user", public, extensions;
