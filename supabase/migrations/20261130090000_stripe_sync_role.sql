-- Stripe sync, part 1: who the Stripe-facing Edge Functions (stripe-webhook, reverse-payouts,
-- reconcile-payouts) are in the database.
--
--   stripe_sync  NOLOGIN. EXECUTE on the Stripe sync entry points only (webhook inbox, reversal
--                worker, reconciliation: granted next to each function in 20261130*); those are
--                security definer and call the money model's transition functions themselves.
--                No table privilege.
--
-- The functions connect with the payout functions' login (PAYOUT_JOBS_DB_URL = payout_worker,
-- 20261129090000) and switch to stripe_sync for each transaction
-- (set_config('role', 'stripe_sync', true), as PostgREST does). Without that login they use
-- SUPABASE_DB_URL (postgres) with the same switch; postgres is made a member for that fallback.
-- payout_jobs is untouched (EXECUTE on its five job functions only).
-- Roles are cluster-wide: created only when missing, refused when they exist with an elevated
-- attribute (same pattern as 20261127090200_payout_jobs_role).

-- Fail fast rather than queue behind (and in front of) live traffic; the CLI runs each
-- migration file in one transaction, so these last for this file only.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

do $$
declare
  v_role pg_catalog.pg_roles%rowtype;
begin
  select * into v_role from pg_catalog.pg_roles where rolname = 'stripe_sync';
  if not found then
    create role stripe_sync nologin;
  elsif v_role.rolsuper or v_role.rolbypassrls or v_role.rolreplication
        or v_role.rolcreaterole or v_role.rolcreatedb then
    raise exception 'role stripe_sync exists with elevated attributes; refusing to reuse it'
      using errcode = '42501',
            hint = 'Drop it or remove SUPERUSER/BYPASSRLS/REPLICATION/CREATEROLE/CREATEDB first.';
  else
    alter role stripe_sync nologin;
  end if;
end
$$;

comment on role stripe_sync is
  'Stripe sync Edge Functions (stripe-webhook, reverse-payouts, reconcile-payouts): no login, no table privileges; EXECUTE on the private.stripe_* / *_reversal* / reconciliation entry points only.';

grant usage on schema private to stripe_sync;
-- The functions' login may switch to it per transaction (20261129090000 created payout_worker).
grant stripe_sync to payout_worker;
-- Fallback without that login: SUPABASE_DB_URL (postgres) switches to it the same way.
grant stripe_sync to postgres;
