-- squawk-ignore-file prefer-robust-stmts,require-concurrent-index-creation,require-lock-timeout,require-statement-timeout,ban-char-field,prefer-bigint-over-int
-- Squawk rules ignored in this file, and why: every object is new and created once by
-- `supabase db push` (one transaction per migration: no half-applied rerun, and no
-- `if not exists` that would hide drift); indexes are built on tables created empty in this
-- migration (no concurrent build needed, none possible in a transaction); the only existing
-- table touched is auth.users (a foreign key: brief SHARE ROW EXCLUSIVE lock); currency is
-- char(3) by contract (ISO 4217, CHECKed upper-case); integer columns are basis points, day
-- counts and attempt counters bounded by CHECKs, never money (money is bigint).
-- Money model, part 2: the money tables, their constraints, guards and audit.
--
-- Money is bigint minor units + char(3) upper-case ISO currency, never numeric/float, never
-- negative. Children repeat their parent's currency and are tied to it by composite foreign
-- keys, so a hold or a transfer in another currency than its payout cannot exist.
--
-- Fees are capped at 2^31-1 minor units so that every exact intermediate product of the
-- largest-remainder allocations (amount * weight) stays inside bigint.
--
-- All tables: RLS enabled, no grants to anon/authenticated/service_role (the access layer,
-- 20261128*, adds the SELECT grants, the policies and the admin RPCs), a guard trigger
-- (20261127100000), an audit trigger (private.enable_audit, plumbing layer).
--
-- Recruiter visibility: the payout children (escrow_holds, payout_schedules, payout_transfers)
-- and the two logs (payout_audit_log, payout_events) carry the recruiter_id of their payout, set
-- from payouts whatever the writer passes (by the trigger private.set_payout_recruiter_id; for
-- the audit log, by its writer private.append_payout_audit_rows), and
-- payouts.recruiter_id never changes. It is the key of their index-friendly RLS policies
-- (20261128090100; why: docs/access.md, "Policy performance"). No foreign key (recruiter_id,
-- payout_id) -> payouts: a second foreign key between a child and payouts makes PostgREST's
-- embedding ambiguous (`payouts?select=*,escrow_holds(*)` fails with PGRST201).

-- ---------------------------------------------------------------------------------------------
-- companies
-- ---------------------------------------------------------------------------------------------
create table public.companies (
  id uuid primary key default pg_catalog.gen_random_uuid(),
  name text not null check (pg_catalog.length(name) between 1 and 200),
  stripe_customer_id text unique check (stripe_customer_id ~ '^cus_[A-Za-z0-9]+$'),
  -- where Stripe sends the company's placement invoices; null = the company is billed by hand
  -- (record_placement_invoice), not through Stripe Invoicing (company billing, 20261202110000)
  billing_email text check (billing_email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$'
                            and pg_catalog.length(billing_email) <= 254),
  created_at timestamptz not null default pg_catalog.now(),
  updated_at timestamptz not null default pg_catalog.now()
);
comment on table public.companies is 'Companies that pay placement fees.';

-- ---------------------------------------------------------------------------------------------
-- recruiters
-- ---------------------------------------------------------------------------------------------
create table public.recruiters (
  id uuid primary key default pg_catalog.gen_random_uuid(),
  user_id uuid not null unique references auth.users (id),
  display_name text not null check (pg_catalog.length(display_name) between 1 and 200),
  -- destination of transfers: protected, changed by private.set_recruiter_connect_account
  stripe_connect_account_id text unique check (stripe_connect_account_id ~ '^acct_[A-Za-z0-9]+$'),
  -- Stripe's capabilities.transfers of the connected account (NOT payouts_enabled, which is
  -- about the account's bank payouts)
  stripe_transfers_capability text
    check (stripe_transfers_capability in ('active', 'inactive', 'pending', 'unrequested')),
  stripe_capability_updated_at timestamptz,
  can_receive_transfers boolean not null generated always as (
    stripe_connect_account_id is not null and coalesce(stripe_transfers_capability = 'active', false)) stored,
  -- pause flag: protected, changed by private.set_recruiter_paused
  paused_at timestamptz,
  paused_reason text,
  payouts_paused boolean not null generated always as (paused_at is not null) stored,
  created_at timestamptz not null default pg_catalog.now(),
  updated_at timestamptz not null default pg_catalog.now(),
  check ((paused_at is null) = (paused_reason is null)),
  -- the nil uuid is the policies' key of "about no recruiter" (admins only): no recruiter has it
  constraint recruiters_id_not_nil check (id <> '00000000-0000-0000-0000-000000000000'::uuid)
);
comment on table public.recruiters is
  'Recruiters and their Stripe Connect destination; can_receive_transfers = capabilities.transfers is active.';

-- ---------------------------------------------------------------------------------------------
-- placements
-- ---------------------------------------------------------------------------------------------
create table public.placements (
  id uuid primary key default pg_catalog.gen_random_uuid(),
  company_id uuid not null references public.companies (id),
  title text not null default '' check (pg_catalog.length(title) <= 300),
  fee_amount bigint not null check (fee_amount between 0 and 2147483647),
  -- one of the supported currencies (private.supported_currencies(), 20261127100000)
  currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
  -- share of each payout held in escrow until the guarantee completes (10000 = all of it)
  holdback_bps integer not null default 10000 check (holdback_bps between 0 and 10000),
  hired_at timestamptz not null,
  guarantee_days integer not null check (guarantee_days between 0 and 3650),
  guarantee_expires_at timestamptz not null,
  status text not null default 'hired' check (status in ('hired', 'active', 'completed', 'failed')),
  activated_at timestamptz,
  completed_at timestamptz,
  failed_at timestamptz,
  failure_reason text,
  -- set when the invoice is recorded: splits can no longer change, payouts exist
  splits_locked_at timestamptz,
  -- fee - sum(payouts.amount), known once splits are locked
  platform_amount bigint check (platform_amount >= 0),
  -- after a failure: what the company gets back is the platform's decision
  refund_amount bigint check (refund_amount >= 0),
  refund_decided_at timestamptz,
  created_at timestamptz not null default pg_catalog.now(),
  updated_at timestamptz not null default pg_catalog.now(),
  unique (id, currency),
  check (guarantee_expires_at >= hired_at),
  check ((splits_locked_at is null) = (platform_amount is null)),
  check (platform_amount <= fee_amount),
  check ((status = 'completed') = (completed_at is not null)),
  check ((status = 'failed') = (failed_at is not null and failure_reason is not null)),
  check ((refund_amount is null) = (refund_decided_at is null)),
  check (refund_amount is null or status = 'failed'),
  constraint placements_currency_supported check (private.currency_minor_unit_exponent(currency) is not null)
);
comment on table public.placements is
  'A hire: the company''s fee (minor units), the holdback and the guarantee period. Status hired -> active -> completed | failed.';
create index placements_company_id_idx on public.placements (company_id);

-- ---------------------------------------------------------------------------------------------
-- placement_invoices
-- ---------------------------------------------------------------------------------------------
create table public.placement_invoices (
  id uuid primary key default pg_catalog.gen_random_uuid(),
  placement_id uuid not null unique,
  currency char(3) not null,
  amount_due bigint not null check (amount_due between 0 and 2147483647),
  status text not null check (status in ('draft', 'open', 'paid', 'void', 'uncollectible')),
  paid_at timestamptz,
  -- paid_at + settlement buffer: from then on the company's money is settled
  collectible_at timestamptz,
  voided_at timestamptz,
  stripe_invoice_id text unique check (stripe_invoice_id ~ '^in_[A-Za-z0-9]+$'),
  stripe_payment_intent_id text unique check (stripe_payment_intent_id ~ '^pi_[A-Za-z0-9]+$'),
  created_at timestamptz not null default pg_catalog.now(),
  updated_at timestamptz not null default pg_catalog.now(),
  foreign key (placement_id, currency) references public.placements (id, currency),
  check ((status = 'paid') = (paid_at is not null)),
  check ((paid_at is null) = (collectible_at is null)),
  check (collectible_at >= paid_at),
  check ((status = 'void') = (voided_at is not null))
);
comment on table public.placement_invoices is
  'The one invoice of a placement. Money becomes payable once it is paid and collectible (paid_at + settlement buffer).';
create index placement_invoices_placement_id_currency_idx on public.placement_invoices (placement_id, currency);

-- ---------------------------------------------------------------------------------------------
-- placement_splits
-- ---------------------------------------------------------------------------------------------
create table public.placement_splits (
  id uuid primary key default pg_catalog.gen_random_uuid(),
  placement_id uuid not null references public.placements (id),
  recruiter_id uuid not null references public.recruiters (id),
  role text not null check (role in (
    'candidate_recruiter', 'company_recruiter', 'job_owner', 'candidate_sourcer', 'company_sourcer')),
  share_bps integer not null check (share_bps between 1 and 10000),
  created_at timestamptz not null default pg_catalog.now(),
  updated_at timestamptz not null default pg_catalog.now(),
  unique (placement_id, recruiter_id, role),
  unique (id, placement_id, recruiter_id)
);
comment on table public.placement_splits is
  'Who worked a placement and their share of the fee in basis points (sum <= 10000, the platform keeps the rest). Locked once the invoice is recorded.';
create index placement_splits_recruiter_id_idx on public.placement_splits (recruiter_id);

-- ---------------------------------------------------------------------------------------------
-- payouts
-- ---------------------------------------------------------------------------------------------
create table public.payouts (
  id uuid primary key default pg_catalog.gen_random_uuid(),
  placement_id uuid not null,
  split_id uuid not null unique,
  recruiter_id uuid not null references public.recruiters (id),
  currency char(3) not null,
  amount bigint not null check (amount >= 0),
  -- buckets, kept by the transition functions (see docs/money-model.md):
  paid_amount bigint not null default 0 check (paid_amount >= 0),           -- succeeded tranches
  in_flight_amount bigint not null default 0 check (in_flight_amount >= 0), -- pending/unknown tranches
  payable_amount bigint not null default 0 check (payable_amount >= 0),     -- unpaid, unheld, not forfeited
  held_amount bigint not null default 0 check (held_amount >= 0),           -- active escrow holds
  forfeited_amount bigint not null default 0 check (forfeited_amount >= 0), -- returned to the platform
  reversed_amount bigint not null default 0 check (reversed_amount >= 0),   -- of paid_amount, reversed
  status text not null check (status in (
    'pending', 'partially_paid', 'paid', 'forfeited', 'flagged_for_reversal', 'reversed')),
  connect_required_notified_at timestamptz,
  flagged_for_reversal_at timestamptz,
  created_at timestamptz not null default pg_catalog.now(),
  updated_at timestamptz not null default pg_catalog.now(),
  -- THE invariant: every cent of the payout is in exactly one bucket
  constraint payouts_buckets_sum_to_amount
    check (paid_amount + in_flight_amount + payable_amount + held_amount + forfeited_amount = amount),
  constraint payouts_reversed_le_paid check (reversed_amount <= paid_amount),
  unique (id, placement_id),
  unique (id, placement_id, currency),
  foreign key (placement_id, currency) references public.placements (id, currency),
  foreign key (split_id, placement_id, recruiter_id)
    references public.placement_splits (id, placement_id, recruiter_id)
);
comment on table public.payouts is
  'One per split: the recruiter''s money for a placement, paid in tranches. paid + in_flight + payable + held + forfeited = amount; reversed <= paid.';
create index payouts_placement_id_currency_idx on public.payouts (placement_id, currency);
create index payouts_split_id_placement_id_recruiter_id_idx on public.payouts (split_id, placement_id, recruiter_id);
create index payouts_recruiter_id_idx on public.payouts (recruiter_id);

-- ---------------------------------------------------------------------------------------------
-- escrow_holds
-- ---------------------------------------------------------------------------------------------
create table public.escrow_holds (
  id uuid primary key default pg_catalog.gen_random_uuid(),
  placement_id uuid not null,
  payout_id uuid not null,
  -- the payout's recruiter (set by trigger from payouts): the key of the RLS policy
  recruiter_id uuid not null,
  currency char(3) not null,
  hold_amount bigint not null check (hold_amount > 0),
  hold_reason text not null check (hold_reason in ('guarantee_period', 'dispute', 'verification', 'other')),
  held_at timestamptz not null,
  -- released at the platform's escrow_release_time (UTC) on this date; null = until released by hand
  release_scheduled_date date,
  released_at timestamptz,
  released_by uuid,
  status text not null check (status in ('active', 'released', 'cancelled')),
  cancelled_at timestamptz,
  cancelled_by uuid,
  cancellation_reason text,
  created_at timestamptz not null default pg_catalog.now(),
  updated_at timestamptz not null default pg_catalog.now(),
  foreign key (payout_id, placement_id, currency) references public.payouts (id, placement_id, currency),
  check ((status = 'released') = (released_at is not null)),
  check ((status = 'cancelled') = (cancelled_at is not null and cancellation_reason is not null))
);
comment on table public.escrow_holds is
  'Money of one payout held back (guarantee period, dispute...). Released -> payable; cancelled -> forfeited to the platform.';
create index escrow_holds_payout_id_placement_id_currency_idx on public.escrow_holds (payout_id, placement_id, currency);
create index escrow_holds_placement_id_idx on public.escrow_holds (placement_id);
-- the escrow run's batches: due holds in (release date, id) order, read as a range
create index escrow_holds_due_idx on public.escrow_holds (release_scheduled_date, id) where status = 'active';
create index escrow_holds_recruiter_id_idx on public.escrow_holds (recruiter_id);

-- ---------------------------------------------------------------------------------------------
-- payout_schedules
-- ---------------------------------------------------------------------------------------------
create table public.payout_schedules (
  id uuid primary key default pg_catalog.gen_random_uuid(),
  payout_id uuid not null,
  placement_id uuid not null,
  -- the payout's recruiter (set by trigger from payouts): the key of the RLS policy
  recruiter_id uuid not null,
  status text not null check (status in ('pending', 'processing', 'processed', 'failed', 'cancelled')),
  trigger_event text not null check (trigger_event in ('invoice.collectible', 'escrow_hold.released', 'manual')),
  -- UTC business date the payout falls due (at the platform's payout_due_time)
  scheduled_date date not null,
  guarantee_completion_date date,
  -- when the schedule may be claimed next (null: never again without an admin action)
  next_attempt_at timestamptz,
  processed_at timestamptz,
  failure_reason text,
  -- failed attempts of this schedule; failed with retry_count >= max_attempts = exhausted
  retry_count integer not null default 0 check (retry_count >= 0),
  max_attempts integer not null check (max_attempts >= 1),
  last_retry_at timestamptz,
  is_exhausted boolean not null generated always as (status = 'failed' and retry_count >= max_attempts) stored,
  -- claim / lease
  claimed_by_run uuid,
  -- the invocation that holds the claim in memory (null once it let go: deferred, settle delay);
  -- while it beats, nobody else takes the schedule; once it is gone, its claim is free at once
  claimed_by_invocation uuid,
  claimed_at timestamptz,
  lease_expires_at timestamptz,
  -- why the last claim did not transfer (eligibility gate), when
  skip_reason text,
  skipped_at timestamptz,
  cancelled_at timestamptz,
  cancel_reason text,
  created_at timestamptz not null default pg_catalog.now(),
  updated_at timestamptz not null default pg_catalog.now(),
  unique (id, payout_id),
  foreign key (payout_id, placement_id) references public.payouts (id, placement_id),
  check (retry_count <= max_attempts),
  check (status <> 'pending' or next_attempt_at is not null),
  check (status <> 'processing' or (claimed_by_run is not null and lease_expires_at is not null)),
  check (status <> 'failed' or (failure_reason is not null and retry_count >= 1
                                and (retry_count < max_attempts) = (next_attempt_at is not null))),
  check ((status = 'processed') = (processed_at is not null)),
  check ((status = 'cancelled') = (cancelled_at is not null and cancel_reason is not null))
);
comment on table public.payout_schedules is
  'When-trigger of one payout: processing it transfers the payout''s payable amount at claim time as one tranche. At most one live (pending/processing/failed) schedule per payout.';
create index payout_schedules_payout_id_placement_id_idx on public.payout_schedules (payout_id, placement_id);
create index payout_schedules_placement_id_idx on public.payout_schedules (placement_id);
create unique index payout_schedules_one_live_per_payout
  on public.payout_schedules (payout_id) where status in ('pending', 'processing', 'failed');
create index payout_schedules_due_idx
  on public.payout_schedules (next_attempt_at) where status in ('pending', 'failed');
create index payout_schedules_lease_idx
  on public.payout_schedules (lease_expires_at) where status = 'processing';
create index payout_schedules_holder_idx
  on public.payout_schedules (claimed_by_invocation) where status = 'processing';
create index payout_schedules_recruiter_id_idx on public.payout_schedules (recruiter_id);

-- ---------------------------------------------------------------------------------------------
-- payout_transfers (tranches)
-- ---------------------------------------------------------------------------------------------
create table public.payout_transfers (
  id uuid primary key default pg_catalog.gen_random_uuid(),
  payout_id uuid not null,
  placement_id uuid not null,
  -- the payout's recruiter (set by trigger from payouts): the key of the RLS policy
  recruiter_id uuid not null,
  schedule_id uuid not null,
  currency char(3) not null,
  amount bigint not null check (amount > 0),
  -- of amount, reversed at Stripe: the sum of the tranche's reversals in
  -- private.stripe_transfer_reversals (Stripe sync, 20261130090400)
  reversed_amount bigint not null default 0,
  -- the recruiter's connected account at claim time
  destination_account_id text not null check (destination_account_id ~ '^acct_[A-Za-z0-9]+$'),
  -- 1-based attempt of the schedule this tranche is
  attempt_number integer not null check (attempt_number >= 1),
  -- Stripe Idempotency-Key: stored with the row, before any Stripe call; stable for this attempt
  idempotency_key text not null unique,
  status text not null check (status in ('pending', 'succeeded', 'failed', 'unknown')),
  stripe_transfer_id text unique check (stripe_transfer_id ~ '^tr_[A-Za-z0-9]+$'),
  failure_reason text,
  claimed_by_run uuid not null,
  succeeded_at timestamptz,
  failed_at timestamptz,
  unknown_at timestamptz,
  created_at timestamptz not null default pg_catalog.now(),
  updated_at timestamptz not null default pg_catalog.now(),
  unique (schedule_id, attempt_number),
  foreign key (payout_id, placement_id, currency) references public.payouts (id, placement_id, currency),
  foreign key (schedule_id, payout_id) references public.payout_schedules (id, payout_id),
  check ((status = 'succeeded') = (stripe_transfer_id is not null and succeeded_at is not null)),
  check ((status = 'failed') = (failed_at is not null and failure_reason is not null)),
  constraint payout_transfers_reversed_le_amount check (reversed_amount >= 0 and reversed_amount <= amount),
  constraint payout_transfers_reversed_only_succeeded check (reversed_amount = 0 or status = 'succeeded')
);
comment on table public.payout_transfers is
  'Tranches: one Stripe transfer attempt each (pending -> succeeded | failed | unknown). A succeeded tranche is never paid again; at most one in flight per payout.';
create index payout_transfers_payout_id_placement_id_currency_idx
  on public.payout_transfers (payout_id, placement_id, currency);
create index payout_transfers_schedule_id_payout_id_idx on public.payout_transfers (schedule_id, payout_id);
create index payout_transfers_placement_id_idx on public.payout_transfers (placement_id);
create unique index payout_transfers_one_in_flight_per_payout
  on public.payout_transfers (payout_id) where status in ('pending', 'unknown');
create index payout_transfers_recruiter_id_idx on public.payout_transfers (recruiter_id);

comment on column public.escrow_holds.recruiter_id is
  'The payout''s recruiter (denormalized; set by trigger from payouts, whatever the writer passes): the key of the RLS policy.';
comment on column public.payout_schedules.recruiter_id is
  'The payout''s recruiter (denormalized; set by trigger from payouts, whatever the writer passes): the key of the RLS policy.';
comment on column public.payout_transfers.recruiter_id is
  'The payout''s recruiter (denormalized; set by trigger from payouts, whatever the writer passes): the key of the RLS policy.';
comment on column public.payout_transfers.reversed_amount is
  'Of this tranche''s amount, reversed at Stripe (sum of its reversals in private.stripe_transfer_reversals). 0 <= reversed_amount <= amount; only a succeeded tranche is reversed.';

-- ---------------------------------------------------------------------------------------------
-- RLS on, no API grants (grants and policies: the access layer, 20261128090100)
-- ---------------------------------------------------------------------------------------------
alter table public.companies enable row level security;
alter table public.recruiters enable row level security;
alter table public.placements enable row level security;
alter table public.placement_invoices enable row level security;
alter table public.placement_splits enable row level security;
alter table public.payouts enable row level security;
alter table public.escrow_holds enable row level security;
alter table public.payout_schedules enable row level security;
alter table public.payout_transfers enable row level security;
revoke all on table
  public.companies, public.recruiters, public.placements, public.placement_invoices,
  public.placement_splits, public.payouts, public.escrow_holds, public.payout_schedules,
  public.payout_transfers
from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Guards: status / amounts / destinations change only inside transition functions
-- ---------------------------------------------------------------------------------------------
create trigger money_guard before insert or update or delete on public.recruiters
  for each row execute function private.guard_money_write(
    '', 'columns', 'stripe_connect_account_id', 'stripe_transfers_capability',
    'stripe_capability_updated_at', 'paused_at', 'paused_reason');
-- (the tables with a status: statement guards, after private.touch_updated_at below)

-- ---------------------------------------------------------------------------------------------
-- recruiter_id of the payout children and the logs: copied from the payout by trigger
-- ---------------------------------------------------------------------------------------------
create function private.set_payout_recruiter_id()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.payout_id is null then
    new.recruiter_id := null;
  else
    new.recruiter_id := (select p.recruiter_id from public.payouts p where p.id = new.payout_id);
  end if;
  return new;
end
$$;
comment on function private.set_payout_recruiter_id() is
  'Trigger (BEFORE INSERT, and BEFORE UPDATE OF payout_id, recruiter_id on the payout children): sets recruiter_id to the recruiter of the row''s payout (null without a payout, or when the payout id names no payout: admins only), whatever the writer passed. The denormalized key of the index-friendly recruiter policies (20261128090100).';

-- The payout children: the model's insert paths (holds, schedules, claims) need not know.
create trigger payout_recruiter_id before insert or update of payout_id, recruiter_id on public.escrow_holds
  for each row execute function private.set_payout_recruiter_id();
create trigger payout_recruiter_id before insert or update of payout_id, recruiter_id on public.payout_schedules
  for each row execute function private.set_payout_recruiter_id();
create trigger payout_recruiter_id before insert or update of payout_id, recruiter_id on public.payout_transfers
  for each row execute function private.set_payout_recruiter_id();
-- The outbox (plumbing, 20261127090700): whoever inserts (private.emit_event). Its rows are
-- never updated (UPDATE is refused). No foreign key: an event may name a payout id that is not
-- (or no longer) a payout, and must not stop a delete; such a row gets null, i.e. admins only.
-- The audit log gets the same value from its writer (private.append_payout_audit_rows).
create trigger payout_recruiter_id before insert on public.payout_events
  for each row execute function private.set_payout_recruiter_id();

-- payouts.recruiter_id is immutable, so the copies never go stale.
create function private.refuse_payout_recruiter_change()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception 'recruiter_id of payout % is immutable (copied to its holds, schedules, tranches, audit rows and events)',
    old.id
    using errcode = '42501';
end
$$;
comment on function private.refuse_payout_recruiter_change() is
  'Trigger (BEFORE UPDATE OF recruiter_id ON payouts, WHEN it changes): raises 42501. The payout children, the audit log and the outbox carry a copy of it as the key of their RLS policies.';
create trigger payout_recruiter_immutable before update of recruiter_id on public.payouts
  for each row when (old.recruiter_id is distinct from new.recruiter_id)
  execute function private.refuse_payout_recruiter_change();

create function private.touch_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := pg_catalog.now();
  return new;
end
$$;
comment on function private.touch_updated_at() is 'Trigger: keeps updated_at current on tables without a money guard.';
create trigger touch_updated_at before update on public.companies
  for each row execute function private.touch_updated_at();
create trigger touch_updated_at before update on public.placement_splits
  for each row execute function private.touch_updated_at();

-- The tables with a status, which the payout run and the escrow run write in bulk: the guard
-- per statement (private.guard_money_statement, private.check_status_edges, 20261127100000), and
-- updated_at per row.
do $$
declare
  v record;
begin
  for v in select * from (values ('public.placements', 'placement'), ('public.placement_invoices', 'placement_invoice'),
                                  ('public.payouts', 'payout'), ('public.escrow_holds', 'escrow_hold'),
                                  ('public.payout_schedules', 'payout_schedule'),
                                  ('public.payout_transfers', 'payout_transfer')) x(tbl, entity)
  loop
    execute pg_catalog.format(
      'create trigger money_guard before insert or update or delete on %s '
      'for each statement execute function private.guard_money_statement()', v.tbl);
    execute pg_catalog.format(
      'create trigger money_status_insert after insert on %s referencing new table as new_rows '
      'for each statement execute function private.check_status_edges(%L)', v.tbl, v.entity);
    execute pg_catalog.format(
      'create trigger money_status_update after update on %s referencing old table as old_rows new table as new_rows '
      'for each statement execute function private.check_status_edges(%L)', v.tbl, v.entity);
    execute pg_catalog.format(
      'create trigger touch_updated_at before update on %s '
      'for each row execute function private.touch_updated_at()', v.tbl);
  end loop;
end
$$;

-- Splits: free to edit (by whoever may write the table) until the placement's invoice is
-- recorded; from then on nobody changes them, not even a transition function.
create function private.guard_split_write()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_locked_at timestamptz;
begin
  -- FOR SHARE: waits for a concurrent record_placement_invoice (FOR UPDATE) and then sees
  -- its lock, so a split can never slip in after the amounts were computed
  select p.splits_locked_at into v_locked_at
  from public.placements p
  where p.id in (case when tg_op <> 'INSERT' then (pg_catalog.to_jsonb(old) ->> 'placement_id')::uuid end,
                 case when tg_op <> 'DELETE' then (pg_catalog.to_jsonb(new) ->> 'placement_id')::uuid end)
    and p.splits_locked_at is not null
  limit 1
  for share;
  if v_locked_at is not null then
    raise exception 'splits of this placement are locked since % (invoice recorded)', v_locked_at
      using errcode = 'PT409';
  end if;
  return case when tg_op = 'DELETE' then old else new end;
end
$$;
comment on function private.guard_split_write() is
  'Guard trigger of placement_splits: refuses any change once the placement''s splits are locked (PT409).';
create trigger split_lock_guard before insert or update or delete on public.placement_splits
  for each row execute function private.guard_split_write();

create function private.check_split_shares()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_total bigint;
begin
  select coalesce(sum(s.share_bps), 0) into v_total
  from public.placement_splits s where s.placement_id = new.placement_id;
  if v_total > 10000 then
    raise exception 'shares of placement % sum to % bps (max 10000)', new.placement_id, v_total
      using errcode = 'PT422';
  end if;
  return null;
end
$$;
comment on function private.check_split_shares() is
  'Deferred constraint trigger: the shares of a placement sum to at most 10000 bps (PT422).';
create constraint trigger split_shares_le_10000 after insert or update on public.placement_splits
  deferrable initially deferred
  for each row execute function private.check_split_shares();

-- ---------------------------------------------------------------------------------------------
-- Consistency of the buckets with the child rows (deferred: checked at commit)
-- ---------------------------------------------------------------------------------------------
-- plpgsql, not sql: with `set search_path` a sql function is never inlined and PG 15 plans its
-- body on every call (twice per payout_problems row, once per payout status sync); a plpgsql
-- body is a simple expression planned once per session.
create function private.derive_payout_status(
  p_amount bigint, p_paid bigint, p_in_flight bigint, p_payable bigint, p_held bigint,
  p_reversed bigint, p_placement_failed boolean)
returns text
language plpgsql
immutable
set search_path = ''
as $$
begin
  return case
    when p_placement_failed and p_paid > 0 then
      case when p_reversed = p_paid then 'reversed' else 'flagged_for_reversal' end
    when p_in_flight + p_payable + p_held = 0 then
      case when p_paid > 0 or p_amount = 0 then 'paid' else 'forfeited' end
    when p_paid > 0 then 'partially_paid'
    else 'pending'
  end;
end
$$;
comment on function private.derive_payout_status(bigint, bigint, bigint, bigint, bigint, bigint, boolean) is
  'The status a payout must have given its buckets and whether its placement failed.';

-- plpgsql with two fixed statements, not one sql statement filtered by "p_payout_ids is null or
-- po.id = any (p_payout_ids)": a sql function with `set search_path` is never inlined, PG 15
-- plans its body on every call, and with the ids as a parameter that OR filter can only be a
-- scan of all payouts and placements. The deferred consistency check calls this once per
-- transaction for the payouts it touched, so that scan would grow with the table. Now the listed
-- payouts are read by primary key (plan cached per session) and all payouts by one scan. The two
-- statements differ only in their WHERE: keep them in step.
create function private.payout_problems(p_payout_ids uuid[] default null)
returns table (payout_id uuid, problem text)
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  if p_payout_ids is not null then
    return query
    with p as (
      select po.*, pl.status = 'failed' as placement_failed,
        (select coalesce(sum(t.amount), 0) from public.payout_transfers t
          where t.payout_id = po.id and t.status = 'succeeded') as succeeded_sum,
        (select coalesce(sum(t.amount), 0) from public.payout_transfers t
          where t.payout_id = po.id and t.status in ('pending', 'unknown')) as in_flight_sum,
        (select coalesce(sum(h.hold_amount), 0) from public.escrow_holds h
          where h.payout_id = po.id and h.status = 'active') as active_hold_sum,
        (select coalesce(sum(h.hold_amount), 0) from public.escrow_holds h
          where h.payout_id = po.id and h.status = 'cancelled') as cancelled_hold_sum
      from public.payouts po
      join public.placements pl on pl.id = po.placement_id
      where po.id = any (p_payout_ids)
    )
    select p.id, x.problem
    from p
    cross join lateral (values
      (case when p.paid_amount + p.in_flight_amount + p.payable_amount + p.held_amount + p.forfeited_amount <> p.amount
            then 'buckets do not sum to amount' end),
      (case when p.paid_amount <> p.succeeded_sum
            then pg_catalog.format('paid_amount %s <> succeeded tranches %s', p.paid_amount, p.succeeded_sum) end),
      (case when p.in_flight_amount <> p.in_flight_sum
            then pg_catalog.format('in_flight_amount %s <> pending/unknown tranches %s', p.in_flight_amount, p.in_flight_sum) end),
      (case when p.held_amount <> p.active_hold_sum
            then pg_catalog.format('held_amount %s <> active holds %s', p.held_amount, p.active_hold_sum) end),
      (case when p.forfeited_amount < p.cancelled_hold_sum
            then pg_catalog.format('forfeited_amount %s < cancelled holds %s', p.forfeited_amount, p.cancelled_hold_sum) end),
      (case when p.status <> private.derive_payout_status(p.amount, p.paid_amount, p.in_flight_amount,
                                  p.payable_amount, p.held_amount, p.reversed_amount, p.placement_failed)
            then pg_catalog.format('status %s <> derived %s', p.status,
                   private.derive_payout_status(p.amount, p.paid_amount, p.in_flight_amount,
                     p.payable_amount, p.held_amount, p.reversed_amount, p.placement_failed)) end)
    ) as x(problem)
    where x.problem is not null;
  else
    return query
    with p as (
      select po.*, pl.status = 'failed' as placement_failed,
        (select coalesce(sum(t.amount), 0) from public.payout_transfers t
          where t.payout_id = po.id and t.status = 'succeeded') as succeeded_sum,
        (select coalesce(sum(t.amount), 0) from public.payout_transfers t
          where t.payout_id = po.id and t.status in ('pending', 'unknown')) as in_flight_sum,
        (select coalesce(sum(h.hold_amount), 0) from public.escrow_holds h
          where h.payout_id = po.id and h.status = 'active') as active_hold_sum,
        (select coalesce(sum(h.hold_amount), 0) from public.escrow_holds h
          where h.payout_id = po.id and h.status = 'cancelled') as cancelled_hold_sum
      from public.payouts po
      join public.placements pl on pl.id = po.placement_id
    )
    select p.id, x.problem
    from p
    cross join lateral (values
      (case when p.paid_amount + p.in_flight_amount + p.payable_amount + p.held_amount + p.forfeited_amount <> p.amount
            then 'buckets do not sum to amount' end),
      (case when p.paid_amount <> p.succeeded_sum
            then pg_catalog.format('paid_amount %s <> succeeded tranches %s', p.paid_amount, p.succeeded_sum) end),
      (case when p.in_flight_amount <> p.in_flight_sum
            then pg_catalog.format('in_flight_amount %s <> pending/unknown tranches %s', p.in_flight_amount, p.in_flight_sum) end),
      (case when p.held_amount <> p.active_hold_sum
            then pg_catalog.format('held_amount %s <> active holds %s', p.held_amount, p.active_hold_sum) end),
      (case when p.forfeited_amount < p.cancelled_hold_sum
            then pg_catalog.format('forfeited_amount %s < cancelled holds %s', p.forfeited_amount, p.cancelled_hold_sum) end),
      (case when p.status <> private.derive_payout_status(p.amount, p.paid_amount, p.in_flight_amount,
                                  p.payable_amount, p.held_amount, p.reversed_amount, p.placement_failed)
            then pg_catalog.format('status %s <> derived %s', p.status,
                   private.derive_payout_status(p.amount, p.paid_amount, p.in_flight_amount,
                     p.payable_amount, p.held_amount, p.reversed_amount, p.placement_failed)) end)
    ) as x(problem)
    where x.problem is not null;
  end if;
end
$$;
comment on function private.payout_problems(uuid[]) is
  'Every inconsistency between a payout''s buckets/status and its tranches and holds, for the listed payouts (all payouts when p_payout_ids is null). Empty = consistent.';

-- The consistency check runs once per transaction, set-based, not once per changed row:
--   1. every INSERT/UPDATE statement on payouts, payout_transfers or escrow_holds (statement
--      triggers with the statement's new rows) adds the payout ids it touched to the
--      transaction's row of private.payout_consistency_queue (one row per transaction: inserted
--      by the first such statement, appended to by the next ones);
--   2. the insert of that row queues ONE deferred constraint trigger event: at commit it takes the
--      row out of the queue and runs payout_problems over all its payouts in one statement.
-- Nothing a caller can set skips it: the queue has no grants, and the row can only be removed
-- by the check itself. With SET CONSTRAINTS IMMEDIATE the event fires at the end of the statement
-- that inserted the row; the check removes the row, so the next statement inserts a new one and
-- is checked in turn. A rolled-back subtransaction takes its queue writes with it, together with
-- the money writes they were about.
create unlogged table private.payout_consistency_queue (
  txid xid8 primary key default pg_catalog.pg_current_xact_id(),
  payout_ids uuid[] not null
);
comment on table private.payout_consistency_queue is
  'Payouts touched by the current transaction, waiting for the deferred consistency check (one row per transaction, removed by the check at commit). Unlogged: a row never outlives its transaction.';
alter table private.payout_consistency_queue enable row level security;
revoke all on table private.payout_consistency_queue from public, anon, authenticated, service_role;

-- tg_argv[0]: the column holding the payout id (payouts: id; tranches and holds: payout_id)
create function private.queue_payout_consistency_check()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_ids uuid[];
begin
  select pg_catalog.array_agg(distinct (pg_catalog.to_jsonb(n) ->> tg_argv[0])::uuid) into v_ids from new_rows n;
  if v_ids is null then
    return null;
  end if;
  insert into private.payout_consistency_queue as q (txid, payout_ids)
  values (pg_catalog.pg_current_xact_id(), v_ids)
  on conflict (txid) do update set payout_ids = q.payout_ids || excluded.payout_ids;
  return null;
end
$$;
comment on function private.queue_payout_consistency_check() is
  'Statement trigger (AFTER INSERT/UPDATE with the new rows) of payouts, payout_transfers and escrow_holds: adds the payouts the statement touched to the transaction''s row of private.payout_consistency_queue, whose insert queues the one deferred consistency check.';

create function private.check_payout_consistency()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_ids uuid[];
  v_bad record;
begin
  delete from private.payout_consistency_queue q where q.txid = new.txid returning q.payout_ids into v_ids;
  if v_ids is null then
    return null;
  end if;
  select x.payout_id, string_agg(x.problem, '; ') as problems into v_bad
  from private.payout_problems(array(select distinct u from pg_catalog.unnest(v_ids) u)) x
  group by x.payout_id
  order by x.payout_id
  limit 1;
  if found then
    raise exception 'payout % is inconsistent: %', v_bad.payout_id, v_bad.problems using errcode = 'PT422';
  end if;
  return null;
end
$$;
comment on function private.check_payout_consistency() is
  'Deferred constraint trigger of private.payout_consistency_queue: once per transaction (at commit), every payout the transaction touched has buckets equal to the sums of its tranches and holds and the derived status (PT422 naming the first inconsistent payout).';
create constraint trigger payout_consistent after insert on private.payout_consistency_queue
  deferrable initially deferred
  for each row execute function private.check_payout_consistency();
create trigger payout_consistency_insert after insert on public.payouts
  referencing new table as new_rows for each statement
  execute function private.queue_payout_consistency_check('id');
create trigger payout_consistency_update after update on public.payouts
  referencing new table as new_rows for each statement
  execute function private.queue_payout_consistency_check('id');
create trigger payout_consistency_insert after insert on public.payout_transfers
  referencing new table as new_rows for each statement
  execute function private.queue_payout_consistency_check('payout_id');
create trigger payout_consistency_update after update on public.payout_transfers
  referencing new table as new_rows for each statement
  execute function private.queue_payout_consistency_check('payout_id');
create trigger payout_consistency_insert after insert on public.escrow_holds
  referencing new table as new_rows for each statement
  execute function private.queue_payout_consistency_check('payout_id');
create trigger payout_consistency_update after update on public.escrow_holds
  referencing new table as new_rows for each statement
  execute function private.queue_payout_consistency_check('payout_id');

create function private.check_placement_allocation()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_placement_id uuid := (pg_catalog.to_jsonb(new) ->> case when tg_table_name = 'placements' then 'id' else 'placement_id' end)::uuid;
  v_fee bigint;
  v_platform bigint;
  v_payouts bigint;
begin
  select p.fee_amount, p.platform_amount into v_fee, v_platform
  from public.placements p where p.id = v_placement_id;
  select coalesce(sum(po.amount), 0)::bigint into v_payouts from public.payouts po where po.placement_id = v_placement_id;
  if v_platform is null and v_payouts > 0 then
    raise exception 'placement % has payouts but no platform_amount', v_placement_id using errcode = 'PT422';
  end if;
  if v_platform is not null and v_payouts + v_platform <> v_fee then
    raise exception 'placement %: payouts % + platform % <> fee %', v_placement_id, v_payouts, v_platform, v_fee
      using errcode = 'PT422';
  end if;
  return null;
end
$$;
comment on function private.check_placement_allocation() is
  'Deferred constraint trigger: sum of a placement''s payout amounts + platform_amount = fee, exactly (PT422).';
create constraint trigger placement_allocation_exact after insert or update on public.placements
  deferrable initially deferred
  for each row execute function private.check_placement_allocation();
-- On payouts only when a payout appears or its amount or placement changes: the bucket and
-- status updates of the payout run (several per tranche) cannot change the allocation, and
-- each would otherwise queue a check that sums all payouts of the placement at commit.
create constraint trigger placement_allocation_exact after insert or update of amount, placement_id on public.payouts
  deferrable initially deferred
  for each row execute function private.check_placement_allocation();

-- ---------------------------------------------------------------------------------------------
-- Audit: every change of every money table
-- ---------------------------------------------------------------------------------------------
select private.enable_audit('public.companies'::regclass, 'company');
select private.enable_audit('public.recruiters'::regclass, 'recruiter');
select private.enable_audit('public.placements'::regclass, 'placement');
select private.enable_audit('public.placement_invoices'::regclass, 'placement_invoice');
select private.enable_audit('public.placement_splits'::regclass, 'placement_split');
select private.enable_audit('public.payouts'::regclass, 'payout');
select private.enable_audit('public.escrow_holds'::regclass, 'escrow_hold');
select private.enable_audit('public.payout_schedules'::regclass, 'payout_schedule');
select private.enable_audit('public.payout_transfers'::regclass, 'payout_transfer');
select private.enable_audit('private.payout_settings'::regclass, 'payout_settings');

revoke execute on function
  private.set_payout_recruiter_id(),
  private.refuse_payout_recruiter_change(),
  private.touch_updated_at(),
  private.guard_split_write(),
  private.check_split_shares(),
  private.derive_payout_status(bigint, bigint, bigint, bigint, bigint, bigint, boolean),
  private.payout_problems(uuid[]),
  private.queue_payout_consistency_check(),
  private.check_payout_consistency(),
  private.check_placement_allocation()
from public, anon, authenticated, service_role;
