-- Actor and audit context of the current transaction.
--
-- Who did it: an explicit actor set by a job or an admin RPC wrapper (`private.set_actor`),
-- else the caller's JWT as PostgREST sets it (`auth.uid()`, the `role` claim), else `system`
-- (pg_cron, migrations, psql). Why: an optional semantic action and reason
-- (`private.set_audit_context`) that label the audited writes and events that follow.
--
-- Everything is stored with set_config(..., is_local => true): it lives exactly as long as
-- the transaction, so it is safe behind a transaction-mode pooler (Supavisor/PgBouncer) where
-- consecutive transactions of one client may run on different server sessions and one server
-- session serves many clients. After the transaction the settings read back as '' (a custom
-- GUC, once defined in a session, never reads back as NULL again), hence the nullif(...).
--
-- Trust model: any role that can run arbitrary SQL can call pg_catalog.set_config itself, so
-- the explicit actor is only as trustworthy as the roles that reach the database with SQL.
-- API users reach it only through PostgREST, which cannot call set_config, and the functions
-- below are executable by nobody but their owner (default privileges, 20261127090100):
-- jobs and admin RPCs are `security definer` functions owned by postgres that call them.
--
-- Actor roles (keep in sync with the CHECK constraints of payout_audit_log/payout_events):
--   platform_admin, company_admin, recruiter, authenticated  -- a person: actor id required
--   anon, service_role                                       -- API keys without a user
--   system, cron, job, webhook                               -- machines: actor id optional

-- Fail fast rather than queue behind (and in front of) live traffic; the CLI runs each
-- migration file in one transaction, so these last for this file only.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create function private.set_actor(p_actor_id uuid, p_actor_role text)
returns void
language plpgsql
volatile
set search_path = ''
as $$
begin
  if p_actor_role is null or p_actor_role not in (
    'platform_admin', 'company_admin', 'recruiter', 'authenticated',
    'anon', 'service_role', 'system', 'cron', 'job', 'webhook'
  ) then
    raise exception 'unknown actor role: %', coalesce(p_actor_role, '<null>')
      using errcode = 'PT400',
            hint = 'One of platform_admin, company_admin, recruiter, authenticated, anon, service_role, system, cron, job, webhook.';
  end if;
  if p_actor_id is null
     and p_actor_role in ('platform_admin', 'company_admin', 'recruiter', 'authenticated') then
    raise exception 'actor role % needs an actor id', p_actor_role
      using errcode = 'PT400';
  end if;

  perform pg_catalog.set_config('payouts.actor_role', p_actor_role, true);
  perform pg_catalog.set_config('payouts.actor_id', coalesce(p_actor_id::text, ''), true);
end;
$$;

comment on function private.set_actor(uuid, text) is
  'Sets the actor (id, role) of the current transaction for audit rows and events; transaction-local (set_config is_local), so safe behind a transaction-mode pooler. Used by jobs (e.g. set_actor(null, ''cron'')) and admin RPC wrappers (set_actor(auth.uid(), ''platform_admin'')). Raises PT400 for an unknown role or a person role without id.';

-- The explicit actor wins as a pair: after set_actor(null, 'cron') the actor id is null even if
-- a JWT is present, so a job never borrows the identity of whoever triggered it.
--
-- The readers below are plpgsql, not sql, on purpose (see "Performance" in docs/money-model.md):
-- with `set search_path` a sql function is never inlined, and PG 15 plans its body anew on
-- every call; a plpgsql body is a cached (here: simple) expression per session. The audit
-- trigger and every emitted event call them, dozens of times per payout tranche.
create function private.actor_id()
returns uuid
language plpgsql
stable
set search_path = ''
as $$
begin
  return case
    when nullif(pg_catalog.current_setting('payouts.actor_role', true), '') is not null
      then nullif(pg_catalog.current_setting('payouts.actor_id', true), '')::uuid
    else auth.uid()
  end;
end
$$;

comment on function private.actor_id() is
  'Actor id of the current transaction: the explicit private.set_actor id if an actor was set, else auth.uid() from the JWT, else null (system).';

-- JWT roles are the database roles PostgREST switches to. payout_jobs (a JWT minted for a job
-- or `set role payout_jobs`) maps to `job`; current_setting('role') is the role set with SET
-- ROLE and is unaffected by security definer, so it is still visible inside the audit trigger.
create function private.actor_role()
returns text
language plpgsql
stable
set search_path = ''
as $$
begin
  return case
    when nullif(pg_catalog.current_setting('payouts.actor_role', true), '') is not null
      then pg_catalog.current_setting('payouts.actor_role', true)
    when auth.role() = 'payout_jobs' or pg_catalog.current_setting('role', true) = 'payout_jobs'
      then 'job'
    when auth.role() in ('authenticated', 'anon', 'service_role')
      then auth.role()
    when auth.uid() is not null
      then 'authenticated'
    else 'system'
  end;
end
$$;

comment on function private.actor_role() is
  'Actor role of the current transaction: the explicit private.set_actor role, else job for payout_jobs, else the JWT role (authenticated, anon, service_role), else system.';

-- Audit context: the semantic action ("payout.approve") and a free-text reason of the writes
-- that follow in this transaction, until cleared or until the transaction ends.
create function private.set_audit_context(p_action text, p_reason text default null)
returns void
language plpgsql
volatile
set search_path = ''
as $$
begin
  if p_action is not null and (p_action !~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$'
                               or pg_catalog.length(p_action) > 100) then
    raise exception 'invalid audit action: %', p_action
      using errcode = 'PT400',
            hint = 'Lower-case words separated by dots, e.g. payout.approve (at most 100 characters).';
  end if;
  if pg_catalog.length(p_reason) > 2000 then
    raise exception 'audit reason longer than 2000 characters'
      using errcode = 'PT400';
  end if;

  perform pg_catalog.set_config('payouts.audit_action', coalesce(p_action, ''), true);
  perform pg_catalog.set_config('payouts.audit_reason',
                                coalesce(nullif(pg_catalog.btrim(p_reason), ''), ''), true);
end;
$$;

comment on function private.set_audit_context(text, text) is
  'Labels the audited writes (and emitted events) that follow in the current transaction with a semantic action (lower-case dotted words, e.g. payout.approve; null keeps the default insert/update/delete) and a reason. Transaction-local. Raises PT400 for a malformed action or a reason over 2000 characters.';

-- plpgsql for the same reason as actor_id() above: every top-level transition ends here.
create function private.clear_audit_context()
returns void
language plpgsql
volatile
set search_path = ''
as $$
begin
  perform pg_catalog.set_config('payouts.audit_action', '', true);
  perform pg_catalog.set_config('payouts.audit_reason', '', true);
end;
$$;

comment on function private.clear_audit_context() is
  'Clears the audit action and reason set by private.set_audit_context for the rest of the current transaction.';

-- Readers used by the audit trigger and the outbox (one place that knows the setting names);
-- plpgsql for the same reason as actor_id().
create function private.audit_action()
returns text
language plpgsql
stable
set search_path = ''
as $$
begin
  return nullif(pg_catalog.current_setting('payouts.audit_action', true), '');
end
$$;

comment on function private.audit_action() is
  'Audit action set by private.set_audit_context in the current transaction, or null.';

create function private.audit_reason()
returns text
language plpgsql
stable
set search_path = ''
as $$
begin
  return nullif(pg_catalog.current_setting('payouts.audit_reason', true), '');
end
$$;

comment on function private.audit_reason() is
  'Audit reason set by private.set_audit_context in the current transaction, or null.';
