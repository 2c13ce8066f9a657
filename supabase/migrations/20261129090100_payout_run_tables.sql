-- squawk-ignore-file prefer-robust-stmts,require-concurrent-index-creation
-- (every table is created in this file, empty, inside the CLI's one transaction per migration:
-- nothing to rerun half-way and nobody to block by a plain CREATE INDEX)
-- Payout run, part 2: the run's own bookkeeping, in `private` (read by admins with SQL and by
-- the security definer run functions; never exposed by PostgREST, no grants).
--
--   payout_runs               one row per run: a run starts when an invocation finds no open run
--                             of its kind and finishes when an invocation finds nothing left to do;
--                             an unfinished run is continued by the next doorbell. Totals are the
--                             sums of its invocations (kept by the run functions).
--   payout_run_invocations    one row per Edge Function invocation (the 202's invocation_id):
--                             heartbeat, outcome, counters, skip reasons, errors.
--   payout_transfer_requests  the exact Stripe request of a tranche (destination, amount,
--                             currency, transfer_group, metadata, source_transaction), stored
--                             before the first call: every retry under the tranche's idempotency
--                             key sends the same parameters, and prepared_at bounds the key's age
--                             (Stripe forgets keys 24 h after first use).
--   payout_doorbell_rings     each HTTP request the doorbell queued with pg_net.
--
-- None of these is a money table: money rows (tranches, schedules, payouts) change only through
-- the money model's transition functions, audited there. These rows are operational history.

-- Fail fast rather than queue behind (and in front of) live traffic; the CLI runs each
-- migration file in one transaction, so these last for this file only.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- ---------------------------------------------------------------------------------------------
-- payout_runs
-- ---------------------------------------------------------------------------------------------
create table private.payout_runs (
  id uuid primary key default pg_catalog.gen_random_uuid(),
  kind text not null check (kind in ('payout_schedules', 'escrow_releases')),
  status text not null default 'running' check (status in ('running', 'finished')),
  -- what rang the first invocation: the pg_cron doorbell, an admin request, or a direct call
  trigger text not null check (trigger in ('doorbell', 'admin', 'manual')),
  started_at timestamptz not null,
  finished_at timestamptz,
  -- why the run finished: done (nothing left), paused (kill switch on)
  finish_reason text check (finish_reason in ('done', 'paused')),
  last_invocation_at timestamptz not null,
  invocations bigint not null default 0 check (invocations >= 0),
  -- totals over the invocations (see payout_run_invocations)
  claimed bigint not null default 0 check (claimed >= 0),
  reclaimed bigint not null default 0 check (reclaimed >= 0),
  reconciled bigint not null default 0 check (reconciled >= 0),
  paid bigint not null default 0 check (paid >= 0),
  adopted bigint not null default 0 check (adopted >= 0),
  failed bigint not null default 0 check (failed >= 0),
  unknown bigint not null default 0 check (unknown >= 0),
  deferred bigint not null default 0 check (deferred >= 0),
  skipped bigint not null default 0 check (skipped >= 0),
  cancelled bigint not null default 0 check (cancelled >= 0),
  released bigint not null default 0 check (released >= 0),
  error_count bigint not null default 0 check (error_count >= 0),
  skip_reasons jsonb not null default '{}'::jsonb check (pg_catalog.jsonb_typeof(skip_reasons) = 'object'),
  errors jsonb not null default '[]'::jsonb check (pg_catalog.jsonb_typeof(errors) = 'array'),
  created_at timestamptz not null default pg_catalog.now(),
  updated_at timestamptz not null default pg_catalog.now(),
  check ((status = 'finished') = (finished_at is not null and finish_reason is not null))
);
comment on table private.payout_runs is
  'Payout-run history: one row per run of process-payout-schedules / process-escrow-releases (started/finished, invocations, claimed, paid, adopted, failed, unknown, skipped with reasons, errors). At most one running run per kind; invocations of an unfinished run continue it.';
create unique index payout_runs_one_running_per_kind on private.payout_runs (kind) where status = 'running';
create index payout_runs_started_at_idx on private.payout_runs (started_at);
alter table private.payout_runs enable row level security;
revoke all on table private.payout_runs from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- payout_run_invocations
-- ---------------------------------------------------------------------------------------------
create table private.payout_run_invocations (
  -- chosen by the Edge Function (returned in its 202 and on every log line)
  id uuid primary key,
  run_id uuid not null references private.payout_runs (id),
  kind text not null check (kind in ('payout_schedules', 'escrow_releases')),
  trigger text not null check (trigger in ('doorbell', 'admin', 'manual')),
  started_at timestamptz not null,
  -- touched by every call of the invocation; a stale heartbeat means the process is gone
  heartbeat_at timestamptz not null,
  finished_at timestamptz,
  -- done: nothing left; budget: time budget used up (the next doorbell continues); paused: kill
  -- switch; stopped: a configuration error (e.g. Stripe 401); error: unexpected failure;
  -- abandoned: its heartbeat went stale (process killed or timed out), closed by a later one
  outcome text check (outcome in ('done', 'budget', 'paused', 'stopped', 'error', 'abandoned')),
  claimed bigint not null default 0 check (claimed >= 0),
  reclaimed bigint not null default 0 check (reclaimed >= 0),
  reconciled bigint not null default 0 check (reconciled >= 0),
  paid bigint not null default 0 check (paid >= 0),
  adopted bigint not null default 0 check (adopted >= 0),
  failed bigint not null default 0 check (failed >= 0),
  unknown bigint not null default 0 check (unknown >= 0),
  deferred bigint not null default 0 check (deferred >= 0),
  skipped bigint not null default 0 check (skipped >= 0),
  cancelled bigint not null default 0 check (cancelled >= 0),
  released bigint not null default 0 check (released >= 0),
  error_count bigint not null default 0 check (error_count >= 0),
  skip_reasons jsonb not null default '{}'::jsonb check (pg_catalog.jsonb_typeof(skip_reasons) = 'object'),
  -- the last 20 errors: {at, code, message, transfer_id?}
  errors jsonb not null default '[]'::jsonb check (pg_catalog.jsonb_typeof(errors) = 'array'),
  check ((finished_at is null) = (outcome is null)),
  check (heartbeat_at >= started_at)
);
comment on table private.payout_run_invocations is
  'One row per invocation of a payout-run Edge Function: heartbeat, outcome and what it did. An invocation without finished_at and with a fresh heartbeat is working; the doorbell does not ring then.';
create index payout_run_invocations_run_id_idx on private.payout_run_invocations (run_id);
create index payout_run_invocations_active_idx
  on private.payout_run_invocations (kind, heartbeat_at) where finished_at is null;
create index payout_run_invocations_started_idx on private.payout_run_invocations (kind, started_at);
alter table private.payout_run_invocations enable row level security;
revoke all on table private.payout_run_invocations from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- payout_transfer_requests
-- ---------------------------------------------------------------------------------------------
create table private.payout_transfer_requests (
  transfer_id uuid primary key references public.payout_transfers (id),
  -- the transfers.create parameters (amount as a JSON integer), fixed for the tranche's key
  params jsonb not null check (pg_catalog.jsonb_typeof(params) = 'object'),
  -- stored before the first call: a lower bound of the key's first use at Stripe
  prepared_at timestamptz not null,
  prepared_by_run uuid not null,
  created_at timestamptz not null default pg_catalog.now()
);
comment on table private.payout_transfer_requests is
  'The exact Stripe transfers.create parameters of a tranche, committed before the first call, so that every retry under the tranche''s idempotency key sends the same request. prepared_at bounds the key''s age (Stripe prunes keys 24 h after first use). Insert-only.';
alter table private.payout_transfer_requests enable row level security;
revoke all on table private.payout_transfer_requests from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- payout_doorbell_rings
-- ---------------------------------------------------------------------------------------------
create table private.payout_doorbell_rings (
  id bigint generated always as identity primary key,
  kind text not null check (kind in ('payout_schedules', 'escrow_releases')),
  rung_at timestamptz not null,
  -- net.http_request_queue / net._http_response id
  request_id bigint not null,
  reasons text[] not null
);
comment on table private.payout_doorbell_rings is
  'Every ring of a payout-run doorbell: when, why (due_schedules, expired_leases, unfinished_run, admin_request, due_holds) and the pg_net request id (its response is in net._http_response until the cleanup job removes it).';
create index payout_doorbell_rings_kind_rung_at_idx on private.payout_doorbell_rings (kind, rung_at);
alter table private.payout_doorbell_rings enable row level security;
revoke all on table private.payout_doorbell_rings from public, anon, authenticated, service_role;

create trigger touch_updated_at before update on private.payout_runs
  for each row execute function private.touch_updated_at();

-- payout_transfer_requests is insert-only: the parameters of a key never change.
create function private.refuse_payout_transfer_request_change()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception 'payout_transfer_requests rows are never changed: the parameters of an idempotency key are fixed'
    using errcode = '42501';
end
$$;
comment on function private.refuse_payout_transfer_request_change() is
  'Trigger: refuses UPDATE and DELETE on private.payout_transfer_requests (the Stripe request of a key is fixed).';
create trigger payout_transfer_requests_insert_only
  before update or delete on private.payout_transfer_requests
  for each row execute function private.refuse_payout_transfer_request_change();
revoke execute on function private.refuse_payout_transfer_request_change() from public, anon, authenticated, service_role;
