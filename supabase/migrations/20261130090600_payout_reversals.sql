-- squawk-ignore-file prefer-robust-stmts,require-concurrent-index-creation,ban-char-field,prefer-bigint-over-int
-- (the table is created in this file, empty, inside the CLI's one transaction per migration:
-- nothing to rerun half-way and nobody to block by a plain CREATE INDEX; currency is char(3) by
-- contract; attempts is a counter, never money)
-- Stripe sync, part 7: reversal requests (clawing money back from a connected account).
--
--   public.payout_reversals   one row per tranche to reverse, created by the admin RPC
--       reverse_payout (20261130090800) for a flagged payout or any paid one: the amount (the
--       tranche's unreversed amount at request time), the Stripe idempotency key
--       (payout_reversal:<id>, stored with the row, before any call), status
--       pending -> processing -> succeeded | partial | failed, the lease of the worker holding it,
--       and what happened: reversed_amount, shortfall_amount (what the connected account's
--       balance could not cover: owed by the recruiter, public.recruiter_clawbacks), the Stripe
--       reversal ids. A partial reversal's amount and key are stored before its call too
--       (partial_amount, partial_idempotency_key), so a killed worker repeats the same request.
--   Readable by platform admins (all) and by the recruiter (own), like payouts; written by the
--   security definer functions only (guard trigger, audited).

-- Fail fast rather than queue behind (and in front of) live traffic; the CLI runs each
-- migration file in one transaction, so these last for this file only.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create table public.payout_reversals (
  id uuid primary key default pg_catalog.gen_random_uuid(),
  payout_id uuid not null references public.payouts (id),
  placement_id uuid not null references public.placements (id),
  recruiter_id uuid not null references public.recruiters (id),
  transfer_id uuid not null references public.payout_transfers (id),
  stripe_transfer_id text not null check (stripe_transfer_id ~ '^tr_[A-Za-z0-9]+$'),
  destination_account_id text not null check (destination_account_id ~ '^acct_[A-Za-z0-9]+$'),
  currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
  amount bigint not null check (amount > 0),
  reason text not null check (pg_catalog.length(reason) between 1 and 2000),
  requested_by uuid,
  requested_at timestamptz not null,
  status text not null check (status in ('pending', 'processing', 'succeeded', 'partial', 'failed')),
  -- Stripe Idempotency-Key of the full reversal: stored with the row, before any call
  idempotency_key text not null unique,
  attempts integer not null default 0 check (attempts >= 0),
  claimed_by uuid,
  lease_expires_at timestamptz,
  -- the connected account's balance was too low: the smaller reversal tried instead, fixed
  -- before its call (first plan wins)
  partial_amount bigint check (partial_amount >= 0),
  partial_idempotency_key text unique,
  reversed_amount bigint not null default 0 check (reversed_amount >= 0),
  shortfall_amount bigint not null default 0 check (shortfall_amount >= 0),
  stripe_reversal_ids text[] not null default '{}',
  failure_code text,
  failure_reason text,
  last_error jsonb,
  completed_at timestamptz,
  created_at timestamptz not null default pg_catalog.now(),
  updated_at timestamptz not null default pg_catalog.now(),
  check (reversed_amount + shortfall_amount <= amount),
  check (partial_amount is null or partial_amount <= amount),
  check ((partial_amount is null) = (partial_idempotency_key is null)),
  check (status <> 'processing' or lease_expires_at is not null),
  check (status <> 'succeeded' or (reversed_amount = amount and shortfall_amount = 0)),
  check (status <> 'partial' or (shortfall_amount > 0 and reversed_amount + shortfall_amount = amount)),
  check (status <> 'failed' or failure_reason is not null),
  check ((status in ('succeeded', 'partial', 'failed')) = (completed_at is not null))
);
comment on table public.payout_reversals is
  'Reversal requests (admin reverse_payout): one per tranche to claw back, with its stored Stripe idempotency key; pending -> processing -> succeeded | partial (the connected account''s balance covered only part: the rest is owed, public.recruiter_clawbacks) | failed. Written by security definer functions only.';
create index payout_reversals_recruiter_id_idx on public.payout_reversals (recruiter_id, payout_id);
create index payout_reversals_payout_id_idx on public.payout_reversals (payout_id);
create index payout_reversals_placement_id_idx on public.payout_reversals (placement_id);
create index payout_reversals_transfer_id_idx on public.payout_reversals (transfer_id);
create unique index payout_reversals_one_live_per_transfer
  on public.payout_reversals (transfer_id) where status in ('pending', 'processing');
create index payout_reversals_due_idx
  on public.payout_reversals (coalesce(lease_expires_at, requested_at)) where status in ('pending', 'processing');

alter table public.payout_reversals enable row level security;
revoke all on table public.payout_reversals from public, anon, authenticated, service_role;
grant select on table public.payout_reversals to authenticated;
create policy payout_reversals_select on public.payout_reversals
  for select to authenticated
  using (recruiter_id between (select private.visible_recruiter_id_min()) and (select private.visible_recruiter_id_max()));

create trigger money_guard before insert or update or delete on public.payout_reversals
  for each row execute function private.guard_money_write('', 'all');
select private.enable_audit('public.payout_reversals'::regclass, 'payout_reversal');
