-- Payout run, part 1: who the payout-run Edge Functions are in the database.
--
--   payout_runner  NOLOGIN. EXECUTE on the run functions of 20261129090200 (invocations, batch
--                  claim, record outcomes, escrow release run), granted next to each function.
--                  Those are security definer and call the money model's job functions
--                  themselves, so the functions need nothing else. No table privilege.
--   payout_worker  the functions' database login (PAYOUT_JOBS_DB_URL): member of payout_runner
--                  and of payout_jobs (the money model's job functions, e.g. for benchmarks of the
--                  claim -> complete path). Created NOLOGIN and without a password: a migration
--                  never carries a credential. Enable it out of band, once per project:
--                    alter role payout_worker with login password '<generated>';
--                  (the local stack does this with a local-only password, local/stack/payout_jobs.ts).
--
-- payout_jobs itself stays what the money model pinned: EXECUTE on its five job functions only,
-- member of no role (supabase/tests/money/jobs_role.test.sql, plumbing/payout_jobs_role.test.sql).
-- Roles are cluster-wide: created only when missing, refused when they exist with an elevated
-- attribute (same pattern as 20261127090200_payout_jobs_role).

-- Fail fast rather than queue behind (and in front of) live traffic; the CLI runs each
-- migration file in one transaction, so these last for this file only.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

do $$
declare
  v_name text;
  v_role pg_catalog.pg_roles%rowtype;
begin
  foreach v_name in array array['payout_runner', 'payout_worker'] loop
    select * into v_role from pg_catalog.pg_roles where rolname = v_name;
    if not found then
      execute pg_catalog.format('create role %I nologin', v_name);
    elsif v_role.rolsuper or v_role.rolbypassrls or v_role.rolreplication
          or v_role.rolcreaterole or v_role.rolcreatedb then
      raise exception 'role % exists with elevated attributes; refusing to reuse it', v_name
        using errcode = '42501',
              hint = 'Drop it or remove SUPERUSER/BYPASSRLS/REPLICATION/CREATEROLE/CREATEDB first.';
    end if;
  end loop;
  -- payout_runner never logs in; payout_worker's LOGIN is switched on out of band (see above).
  alter role payout_runner nologin;
end
$$;

comment on role payout_runner is
  'Payout-run Edge Functions: EXECUTE on the run functions (private.*payout_invocation*, claim_payout_batch, record_payout_transfer_*, run_escrow_releases...) only; no table privileges.';
comment on role payout_worker is
  'Database login of the payout-run Edge Functions (PAYOUT_JOBS_DB_URL): member of payout_runner and payout_jobs. LOGIN and password are set out of band, never in a migration.';

grant usage on schema private to payout_runner;
grant payout_runner to payout_worker;
grant payout_jobs to payout_worker;
