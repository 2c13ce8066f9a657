-- Role `payout_jobs`: the least-privilege identity of the payout jobs (cron-driven runs,
-- Edge Functions acting as a job). It cannot log in, owns nothing, bypasses no RLS and gets
-- EXECUTE on specific job functions only, granted next to each function. No table grants.
--
-- Roles are cluster-wide (they survive `drop database` and exist once for every database of
-- the cluster), so the role is created only when missing. Only NOLOGIN is stated: on hosted
-- Supabase `postgres` is not a superuser and may not even mention SUPERUSER/BYPASSRLS/
-- REPLICATION; the defaults of CREATE ROLE are already "no" for all of them. An existing role
-- that has any of them is refused instead of silently accepted.

-- Fail fast rather than queue behind (and in front of) live traffic; the CLI runs each
-- migration file in one transaction, so these last for this file only.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

do $$
declare
  v_role pg_catalog.pg_roles%rowtype;
begin
  select * into v_role from pg_catalog.pg_roles where rolname = 'payout_jobs';
  if not found then
    create role payout_jobs nologin;
  elsif v_role.rolsuper or v_role.rolbypassrls or v_role.rolreplication
        or v_role.rolcreaterole or v_role.rolcreatedb then
    raise exception 'role payout_jobs exists with elevated attributes; refusing to reuse it'
      using errcode = '42501',
            hint = 'Drop it or remove SUPERUSER/BYPASSRLS/REPLICATION/CREATEROLE/CREATEDB first.';
  else
    alter role payout_jobs nologin;
  end if;
end
$$;

comment on role payout_jobs is
  'Payout jobs: no login, no table privileges; EXECUTE on specific job functions only.';

-- Lets the role resolve names in `private`; without per-function EXECUTE grants it can still
-- call nothing there (default privileges are revoked in 20261127090100).
grant usage on schema private to payout_jobs;
