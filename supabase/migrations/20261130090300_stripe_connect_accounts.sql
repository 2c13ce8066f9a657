-- squawk-ignore-file prefer-robust-stmts,require-concurrent-index-creation,ban-char-field
-- (the table is created in this file, empty, inside the CLI's one transaction per migration:
-- nothing to rerun half-way and nobody to block by a plain CREATE INDEX; currency is char(3) by
-- contract, as on every money table)
-- Stripe sync, part 4: connected accounts (Connect events).
--
--   private.connect_accounts
--       one row per connected account of a recruiter: made by onboarding (connect-onboarding,
--       20261202100000: the idempotency key is stored here before accounts.create), or linked
--       outside it (private.set_recruiter_connect_account by an operator: the row appears with
--       the first account.updated). Holds what Stripe still needs from the recruiter
--       (requirements.currently_due / past_due / eventually_due, disabled_reason,
--       details_submitted) as last read, and the lifecycle creating -> linked -> replaced.
--   private.stripe_sync_account_capability(effect {account_id, transfers_capability, observed_at,
--       requirements {currently_due, past_due, eventually_due, disabled_reason}, details_submitted}, now)
--       effect of account.updated. The Edge Function does not trust the event's snapshot (events
--       arrive late, twice, out of order): it re-reads the account from Stripe and passes what it
--       read with the time it read it. A read older than the recruiter's last recorded
--       capability change is stale and ignored, and so is a read older than the last recorded
--       requirements (each has its own timestamp guard). The capability goes through
--       private.set_recruiter_connect_account (audited, recruiter.connect_account_updated); when
--       the account becomes transfer-capable, the recruiter's pending schedules that were skipped
--       for recruiter_cannot_receive_transfers fall due now (private.reschedule_payout_schedule):
--       the waiting payouts become payable at the next run instead of the next due time.
--   private.connected_account_payout_failures
--   private.stripe_record_connected_payout_failure(effect, now)
--       effect: {account_id, stripe_payout_id, amount, currency, failure_code, failure_message,
--       arrival_date, stripe_event_id, stripe_event_created_at}
--       effect of a connected account's payout.failed (its BANK payout failed). Recorded against
--       the recruiter for operators (and the outbox event recruiter.bank_payout_failed). It never
--       touches a tranche: the transfer to the connected account succeeded and stays paid. (The
--       system we replace demoted the transfer to failed here, and paid it again.)

-- Fail fast rather than queue behind (and in front of) live traffic; the CLI runs each
-- migration file in one transaction, so these last for this file only.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- ---------------------------------------------------------------------------------------------
-- Connected accounts of recruiters (onboarding state and what Stripe still needs)
-- ---------------------------------------------------------------------------------------------
create table private.connect_accounts (
  id uuid primary key default pg_catalog.gen_random_uuid(),
  recruiter_id uuid not null references public.recruiters (id),
  -- null while creating: accounts.create has not answered yet (or the function crashed)
  stripe_account_id text unique check (stripe_account_id ~ '^acct_[A-Za-z0-9]+$'),
  status text not null check (status in ('creating', 'linked', 'replaced')),
  -- onboarding: made by connect-onboarding; linked_outside: set by an operator, seen by a webhook
  origin text not null check (origin in ('onboarding', 'linked_outside')),
  -- stored before accounts.create (connect_account:<id>); Stripe forgets it after 24 h, so a
  -- retry after that first looks the account up by metadata (connect_account_id)
  idempotency_key text unique,
  country char(2) check (country ~ '^[A-Z]{2}$'),
  service_agreement text check (service_agreement in ('full', 'recipient')),
  requested_by uuid,
  -- an admin's replacement of the recruiter's previous account: why (audited)
  replace_reason text,
  transfers_capability text check (transfers_capability in ('active', 'inactive', 'pending', 'unrequested')),
  details_submitted boolean,
  requirements_currently_due text[] not null default '{}',
  requirements_past_due text[] not null default '{}',
  requirements_eventually_due text[] not null default '{}',
  disabled_reason text,
  requirements_observed_at timestamptz,
  linked_at timestamptz,
  replaced_at timestamptz,
  replaced_by uuid references private.connect_accounts (id),
  created_at timestamptz not null default pg_catalog.now(),
  updated_at timestamptz not null default pg_catalog.now(),
  check (status = 'creating' or stripe_account_id is not null),
  check ((origin = 'onboarding') = (idempotency_key is not null)),
  check ((status = 'linked') <= (linked_at is not null)),
  check ((status = 'replaced') = (replaced_at is not null))
);
comment on table private.connect_accounts is
  'Recruiters'' connected accounts: onboarding lifecycle (creating -> linked -> replaced; idempotency key stored before accounts.create) and what Stripe still needs (requirements as last read, timestamp-guarded). At most one creating and one linked account per recruiter.';
create unique index connect_accounts_one_linked_idx on private.connect_accounts (recruiter_id) where status = 'linked';
create unique index connect_accounts_one_creating_idx on private.connect_accounts (recruiter_id) where status = 'creating';
create index connect_accounts_recruiter_id_idx on private.connect_accounts (recruiter_id);
create index connect_accounts_replaced_by_idx on private.connect_accounts (replaced_by);
alter table private.connect_accounts enable row level security;
revoke all on table private.connect_accounts from public, anon, authenticated, service_role;
create trigger money_guard before insert or update or delete on private.connect_accounts
  for each row execute function private.guard_money_write('', 'all');
select private.enable_audit('private.connect_accounts'::regclass, 'connect_account');

-- A JSON array of strings as text[] (Stripe's requirement lists); null or not an array: empty.
create function private.jsonb_text_array(p_value jsonb)
returns text[]
language sql
immutable
set search_path = ''
as $$
  select coalesce(pg_catalog.array_agg(v.x order by v.ord), '{}')
  from pg_catalog.jsonb_array_elements_text(
         case when pg_catalog.jsonb_typeof(p_value) = 'array' then p_value else '[]'::jsonb end)
       with ordinality v(x, ord)
$$;
comment on function private.jsonb_text_array(jsonb) is
  'A JSON array of strings as text[] in order (Stripe requirement lists); null or anything but an array gives {}.';
revoke execute on function private.jsonb_text_array(jsonb) from public, anon, authenticated, service_role;

create function private.stripe_sync_account_capability(p_effect jsonb, p_now timestamptz default pg_catalog.now())
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  e_account_id text := p_effect ->> 'account_id';
  e_transfers_capability text := p_effect ->> 'transfers_capability';
  e_observed_at timestamptz := (p_effect ->> 'observed_at')::timestamptz;
  e_req jsonb := p_effect -> 'requirements';
  v_rec public.recruiters;
  v_cap text := coalesce(nullif(e_transfers_capability, ''), 'unrequested');
  v_was boolean;
  v_changed boolean := false;
  v_cap_stale boolean;
  v_req_outcome text := 'none';
  v_acct private.connect_accounts;
  v_observed timestamptz := least(coalesce(e_observed_at, p_now), p_now);
  v_rescheduled integer := 0;
  v_schedule record;
  v_prev jsonb;
begin
  perform private.check_stripe_id('account_id', e_account_id, 'acct', 'connected account');
  if v_cap not in ('active', 'inactive', 'pending', 'unrequested') then
    raise exception 'unknown transfers capability %', v_cap using errcode = 'PT400';
  end if;
  if e_req is not null and pg_catalog.jsonb_typeof(e_req) not in ('object', 'null') then
    raise exception 'requirements must be an object' using errcode = 'PT400';
  end if;

  select * into v_rec from public.recruiters r where r.stripe_connect_account_id = e_account_id for update;
  if not found then
    return pg_catalog.jsonb_build_object('outcome', 'ignored', 'reason', 'unknown_account', 'account_id', e_account_id);
  end if;

  -- What Stripe still needs: its own timestamp guard (requirements change without the capability
  -- changing). An account linked outside onboarding gets its row here.
  if e_req is not null and pg_catalog.jsonb_typeof(e_req) = 'object' then
    select * into v_acct from private.connect_accounts a
     where a.stripe_account_id = e_account_id for update;
    if v_acct.id is not null and v_acct.requirements_observed_at is not null
       and v_observed < v_acct.requirements_observed_at then
      v_req_outcome := 'stale';
    else
      v_prev := private.enter_transition('connect_account.requirements', e_req ->> 'disabled_reason');
      if v_acct.id is null then
        insert into private.connect_accounts (recruiter_id, stripe_account_id, status, origin, linked_at)
        values (v_rec.id, e_account_id, 'linked', 'linked_outside', p_now)
        returning * into v_acct;
      end if;
      update private.connect_accounts a
         set transfers_capability = v_cap,
             details_submitted = coalesce((p_effect ->> 'details_submitted')::boolean, a.details_submitted),
             requirements_currently_due = private.jsonb_text_array(e_req -> 'currently_due'),
             requirements_past_due = private.jsonb_text_array(e_req -> 'past_due'),
             requirements_eventually_due = private.jsonb_text_array(e_req -> 'eventually_due'),
             disabled_reason = nullif(e_req ->> 'disabled_reason', ''),
             requirements_observed_at = v_observed
       where a.id = v_acct.id;
      perform private.leave_transition(v_prev);
      v_req_outcome := 'applied';
    end if;
  end if;

  -- timestamp guard: a read older than the last recorded change never overwrites it
  v_cap_stale := v_rec.stripe_capability_updated_at is not null and v_observed < v_rec.stripe_capability_updated_at;
  v_was := v_rec.can_receive_transfers;
  if not v_cap_stale then
    v_changed := v_rec.stripe_transfers_capability is distinct from v_cap;
    if v_changed then
      v_rec := private.set_recruiter_connect_account(v_rec.id, e_account_id, v_cap, v_observed);
    end if;
  end if;

  if v_rec.can_receive_transfers and not v_was then
    for v_schedule in
      select s.id from public.payout_schedules s
      join public.payouts po on po.id = s.payout_id
      where po.recruiter_id = v_rec.id and s.status = 'pending'
        and s.skip_reason = 'recruiter_cannot_receive_transfers' and s.next_attempt_at > p_now
      order by s.id
    loop
      perform private.reschedule_payout_schedule(v_schedule.id, p_now,
        'connected account can receive transfers (Stripe capabilities.transfers active)');
      v_rescheduled := v_rescheduled + 1;
    end loop;
  end if;

  return pg_catalog.jsonb_build_object(
    'outcome', case when v_changed or v_req_outcome = 'applied' then 'applied' else 'noop' end,
    'reason', case when v_cap_stale and v_req_outcome <> 'applied' then 'stale' end,
    'recruiter_id', v_rec.id, 'transfers_capability', v_rec.stripe_transfers_capability,
    'can_receive_transfers', v_rec.can_receive_transfers, 'was_able', v_was,
    'requirements', v_req_outcome,
    'observed_at', v_observed, 'capability_updated_at', v_rec.stripe_capability_updated_at,
    'rescheduled', v_rescheduled);
end
$$;
comment on function private.stripe_sync_account_capability(jsonb, timestamptz) is
  'Effect of account.updated (p_effect {account_id, transfers_capability, observed_at, requirements {currently_due, past_due, eventually_due, disabled_reason}, details_submitted}): the recruiter with this connected account gets Stripe''s capabilities.transfers as read at observed_at (private.set_recruiter_connect_account; a read older than the last recorded change is stale: noop), and private.connect_accounts the requirements (own timestamp guard; a row is made for an account linked outside onboarding). Becoming transfer-capable makes the pending schedules skipped for recruiter_cannot_receive_transfers due now. Unknown account: ignored. PT400.';

-- ---------------------------------------------------------------------------------------------
-- Bank payouts of connected accounts that failed
-- ---------------------------------------------------------------------------------------------
create table private.connected_account_payout_failures (
  id uuid primary key default pg_catalog.gen_random_uuid(),
  recruiter_id uuid not null references public.recruiters (id),
  stripe_account_id text not null check (stripe_account_id ~ '^acct_[A-Za-z0-9]+$'),
  stripe_payout_id text not null unique check (stripe_payout_id ~ '^po_[A-Za-z0-9]+$'),
  amount bigint not null check (amount >= 0),
  currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
  failure_code text,
  failure_message text,
  arrival_date timestamptz,
  stripe_created_at timestamptz,
  stripe_event_id text,
  recorded_at timestamptz not null,
  created_at timestamptz not null default pg_catalog.now(),
  updated_at timestamptz not null default pg_catalog.now()
);
comment on table private.connected_account_payout_failures is
  'Failed bank payouts of recruiters'' connected accounts (payout.failed on the Connect endpoint): for operators (public.payout_alerts bank_payout_failed). Never changes a tranche: the transfer to the account succeeded.';
create index connected_account_payout_failures_recruiter_id_idx on private.connected_account_payout_failures (recruiter_id);
create index connected_account_payout_failures_recorded_at_idx on private.connected_account_payout_failures (recorded_at);
alter table private.connected_account_payout_failures enable row level security;
revoke all on table private.connected_account_payout_failures from public, anon, authenticated, service_role;
create trigger money_guard before insert or update or delete on private.connected_account_payout_failures
  for each row execute function private.guard_money_write('', 'all');
select private.enable_audit('private.connected_account_payout_failures'::regclass, 'connected_payout_failure');

create function private.stripe_record_connected_payout_failure(p_effect jsonb, p_now timestamptz default pg_catalog.now())
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  e_account_id text := p_effect ->> 'account_id';
  e_stripe_payout_id text := p_effect ->> 'stripe_payout_id';
  e_amount bigint := (p_effect ->> 'amount')::bigint;
  e_currency text := p_effect ->> 'currency';
  e_failure_code text := p_effect ->> 'failure_code';
  e_failure_message text := p_effect ->> 'failure_message';
  e_arrival_date timestamptz := (p_effect ->> 'arrival_date')::timestamptz;
  e_stripe_created_at timestamptz := (p_effect ->> 'stripe_event_created_at')::timestamptz;
  e_event_id text := p_effect ->> 'stripe_event_id';
  v_recruiter_id uuid;
  v_row private.connected_account_payout_failures;
  v_prev jsonb;
begin
  perform private.check_stripe_id('stripe_payout_id', e_stripe_payout_id, 'po', 'payout');
  select r.id into v_recruiter_id from public.recruiters r where r.stripe_connect_account_id = e_account_id;
  if v_recruiter_id is null then
    return pg_catalog.jsonb_build_object('outcome', 'ignored', 'reason', 'unknown_account', 'account_id', e_account_id);
  end if;

  v_prev := private.enter_transition('recruiter.bank_payout_failure', e_failure_code);
  insert into private.connected_account_payout_failures (
    recruiter_id, stripe_account_id, stripe_payout_id, amount, currency, failure_code, failure_message,
    arrival_date, stripe_created_at, stripe_event_id, recorded_at)
  values (v_recruiter_id, e_account_id, e_stripe_payout_id, coalesce(e_amount, 0),
          pg_catalog.upper(coalesce(e_currency, 'usd')), e_failure_code, pg_catalog.left(e_failure_message, 1000),
          e_arrival_date, e_stripe_created_at, e_event_id, p_now)
  on conflict (stripe_payout_id) do nothing
  returning * into v_row;
  if v_row.id is not null then
    -- The transfer that funded the account stays succeeded: nothing here touches payout_transfers
    -- or payouts (no demotion, no second transfer).
    perform private.emit_event('recruiter.bank_payout_failed', 'recruiter', v_recruiter_id, null, null,
      pg_catalog.jsonb_build_object('stripe_account_id', e_account_id, 'stripe_payout_id', e_stripe_payout_id,
        'amount', v_row.amount, 'currency', v_row.currency, 'failure_code', e_failure_code,
        'failure_message', v_row.failure_message));
  end if;
  perform private.leave_transition(v_prev);

  return pg_catalog.jsonb_build_object('outcome', case when v_row.id is null then 'noop' else 'applied' end,
    'recruiter_id', v_recruiter_id, 'stripe_payout_id', e_stripe_payout_id);
end
$$;
comment on function private.stripe_record_connected_payout_failure(jsonb, timestamptz) is
  'Effect of a connected account''s payout.failed (p_effect {account_id, stripe_payout_id, amount, currency, failure_code, failure_message, arrival_date, stripe_event_id, stripe_event_created_at}): records the failed bank payout against the recruiter (once per Stripe payout) and emits recruiter.bank_payout_failed. Never changes a tranche or a payout. Unknown account: ignored. PT400.';

revoke execute on function
  private.stripe_sync_account_capability(jsonb, timestamptz),
  private.stripe_record_connected_payout_failure(jsonb, timestamptz)
from public, anon, authenticated, service_role;
