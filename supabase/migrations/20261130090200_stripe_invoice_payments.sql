-- squawk-ignore-file prefer-robust-stmts,require-concurrent-index-creation,ban-char-field,prefer-bigint-over-int
-- (the tables are created in this file, empty, inside the CLI's one transaction per migration:
-- nothing to rerun half-way and nobody to block by a plain CREATE INDEX; currency is char(3) by
-- contract, as on every money table; the integer columns are an issue number and an attempt
-- counter bounded by CHECKs, never money)
-- Stripe sync, part 3: a placement invoice is paid at Stripe (invoice.paid /
-- invoice.payment_succeeded).
--
--   private.placement_invoice_payments   the payment of a placement invoice: Stripe invoice,
--                                        payment intent and CHARGE (the payout run's
--                                        source_transaction: transfers funded by the charge never
--                                        wait for the platform balance), amount, paid_at. One per
--                                        invoice; audited; written only inside a transition.
--   private.stripe_record_invoice_paid(effect, now)
--       effect: {stripe_invoice_id, amount_due, amount_paid, currency, paid_at, payment_intent_id,
--       charge_id, placement_id, stripe_event_id} (the webhook dispatcher's invoice_paid effect,
--       20261130095000, which adds the event id)
--       the effect of both events: records the invoice first when Stripe knows the placement
--       (invoice.metadata.placement_id) and the platform has not recorded it yet (that creates the
--       payouts and the holdback holds), records the payment and the payment intent, and moves
--       the invoice to paid through private.transition_placement_invoice: paid_at = Stripe's paid
--       time, collectible_at = paid_at + settlement buffer, payouts scheduled at the first payout
--       due time after that. Idempotent per invoice: the second event of the same payment finds
--       it paid (noop).

--
--   public.company_invoices              the Stripe invoices sent to the company for a placement
--                                        invoice: one per issue (1, then one per reissue), the
--                                        work row of the billing worker (invoice-placements,
--                                        20261202110000) and what company admins see (status,
--                                        amount due, hosted invoice URL). Its status mirrors the
--                                        Stripe invoice's: pending (nothing known at Stripe yet)
--                                        -> draft -> open -> paid | void | uncollectible; only
--                                        forward (out-of-order webhooks cannot move it back).
--                                        Here because the payment below and the alerts
--                                        (20261130091000) read it.

-- Fail fast rather than queue behind (and in front of) live traffic; the CLI runs each
-- migration file in one transaction, so these last for this file only.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create table private.placement_invoice_payments (
  id uuid primary key default pg_catalog.gen_random_uuid(),
  invoice_id uuid not null unique references public.placement_invoices (id),
  placement_id uuid not null references public.placements (id),
  stripe_invoice_id text not null unique check (stripe_invoice_id ~ '^in_[A-Za-z0-9]+$'),
  stripe_payment_intent_id text check (stripe_payment_intent_id ~ '^pi_[A-Za-z0-9]+$'),
  -- the charge of the payment: source_transaction of the payout transfers
  stripe_charge_id text unique check (stripe_charge_id ~ '^(ch|py)_[A-Za-z0-9]+$'),
  amount_paid bigint not null check (amount_paid between 0 and 2147483647),
  currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
  paid_at timestamptz not null,
  -- the event that recorded it
  stripe_event_id text,
  created_at timestamptz not null default pg_catalog.now(),
  updated_at timestamptz not null default pg_catalog.now()
);
comment on table private.placement_invoice_payments is
  'The Stripe payment of a placement invoice (one per invoice): payment intent and charge (source_transaction of its payout transfers; the key of charge.refunded / charge.dispute.* events), amount, paid_at. Written by private.stripe_record_invoice_paid only.';
create index placement_invoice_payments_placement_id_idx on private.placement_invoice_payments (placement_id);
create index placement_invoice_payments_payment_intent_idx on private.placement_invoice_payments (stripe_payment_intent_id);
alter table private.placement_invoice_payments enable row level security;
revoke all on table private.placement_invoice_payments from public, anon, authenticated, service_role;
create trigger money_guard before insert or update or delete on private.placement_invoice_payments
  for each row execute function private.guard_money_write('', 'all');
select private.enable_audit('private.placement_invoice_payments'::regclass, 'placement_invoice_payment');

-- ---------------------------------------------------------------------------------------------
-- The Stripe invoices of a placement invoice (company billing)
-- ---------------------------------------------------------------------------------------------
insert into private.state_transitions (entity, from_status, to_status, note) values
  ('company_invoice', null, 'pending', 'billing requested (placement created, or reissued)'),
  ('company_invoice', 'pending', 'draft', 'draft invoice created at Stripe'),
  ('company_invoice', 'pending', 'open', 'found finalized at Stripe'),
  ('company_invoice', 'pending', 'uncollectible', 'found uncollectible at Stripe'),
  ('company_invoice', 'pending', 'paid', 'found paid at Stripe'),
  ('company_invoice', 'pending', 'void', 'voided (at Stripe, or never created there)'),
  ('company_invoice', 'draft', 'open', 'finalized'),
  ('company_invoice', 'draft', 'uncollectible', 'marked uncollectible'),
  ('company_invoice', 'draft', 'paid', 'paid'),
  ('company_invoice', 'draft', 'void', 'voided'),
  ('company_invoice', 'open', 'uncollectible', 'marked uncollectible'),
  ('company_invoice', 'open', 'paid', 'paid'),
  ('company_invoice', 'open', 'void', 'voided'),
  ('company_invoice', 'uncollectible', 'paid', 'paid late'),
  ('company_invoice', 'uncollectible', 'void', 'voided');

create table public.company_invoices (
  id uuid primary key default pg_catalog.gen_random_uuid(),
  invoice_id uuid not null references public.placement_invoices (id),
  placement_id uuid not null references public.placements (id),
  company_id uuid not null references public.companies (id),
  -- 1 = first invoice of the placement, n + 1 = reissued (public.reissue_placement_invoice)
  issue integer not null check (issue between 1 and 1000),
  currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
  amount_due bigint not null check (amount_due between 1 and 2147483647),
  description text not null check (pg_catalog.length(description) between 1 and 500),
  status text not null check (status in ('pending', 'draft', 'open', 'paid', 'void', 'uncollectible')),
  stripe_customer_id text check (stripe_customer_id ~ '^cus_[A-Za-z0-9]+$'),
  stripe_invoice_id text unique check (stripe_invoice_id ~ '^in_[A-Za-z0-9]+$'),
  stripe_invoice_item_id text unique check (stripe_invoice_item_id ~ '^ii_[A-Za-z0-9]+$'),
  number text,
  hosted_invoice_url text,
  due_at timestamptz,
  finalized_at timestamptz,
  sent_at timestamptz,
  paid_at timestamptz,
  voided_at timestamptz,
  marked_uncollectible_at timestamptz,
  -- Stripe Idempotency-Key base, stored with the row before any call: each step sends
  -- <key>:customer, <key>:invoice, <key>:item, <key>:finalize, <key>:send, <key>:void
  idempotency_key text not null unique,
  -- superseded by a reissue: the worker voids it at Stripe
  void_requested_at timestamptz,
  void_reason text,
  -- Stripe refused a step for good (alert company_invoice_failed; an admin reissues)
  failed_at timestamptz,
  failure_code text,
  failure_reason text,
  -- the worker: leased until next_attempt_at while claimed_by works on it
  claimed_by uuid,
  next_attempt_at timestamptz not null,
  attempts integer not null default 0 check (attempts >= 0),
  last_error jsonb,
  requested_by uuid,
  requested_at timestamptz not null,
  -- work left for the worker: create / finalize / send it, or void it
  work_due boolean not null generated always as (
    case when void_requested_at is not null then status in ('pending', 'draft', 'open', 'uncollectible')
         else failed_at is null and (status in ('pending', 'draft') or (status = 'open' and sent_at is null)) end
  ) stored,
  created_at timestamptz not null default pg_catalog.now(),
  updated_at timestamptz not null default pg_catalog.now(),
  unique (invoice_id, issue),
  check ((void_requested_at is null) = (void_reason is null)),
  check ((failed_at is null) = (failure_code is null)),
  check ((status = 'paid') = (paid_at is not null)),
  check ((status = 'void') = (voided_at is not null)),
  check (status = 'pending' or stripe_invoice_id is not null or status = 'void')
);
comment on table public.company_invoices is
  'The Stripe invoices a company is sent for a placement invoice: one per issue (reissues void the previous one). Status mirrors Stripe''s (pending -> draft -> open -> paid | void | uncollectible, forward only). Work rows of invoice-placements (stored idempotency key, lease); company admins read status, amount due and the hosted invoice URL.';
-- at most one live (not superseded, not void) issue per placement invoice
create unique index company_invoices_one_live_idx on public.company_invoices (invoice_id)
  where void_requested_at is null and status <> 'void';
create index company_invoices_placement_id_idx on public.company_invoices (placement_id);
create index company_invoices_company_id_idx on public.company_invoices (company_id);
create index company_invoices_due_idx on public.company_invoices (next_attempt_at) where work_due;
alter table public.company_invoices enable row level security;
revoke all on table public.company_invoices from public, anon, authenticated, service_role;
create trigger money_guard before insert or update or delete on public.company_invoices
  for each row execute function private.guard_money_write('company_invoice', 'all');
select private.enable_audit('public.company_invoices'::regclass, 'company_invoice');

-- Company admins (not hiring managers, not recruiters) read their company's invoices: what is
-- due and where to pay it. Stripe ids, keys and the worker's columns are not granted.
create function private.my_billing_company_ids()
returns setof uuid
language sql
stable
security definer
set search_path = ''
as $$
  select m.company_id from public.company_members m
  where m.user_id = (select auth.uid()) and m.role = 'company_admin'
$$;
comment on function private.my_billing_company_ids() is
  'Companies the caller is a company_admin of (their billing: public.company_invoices). Used by policies as col = any (array(select private.my_billing_company_ids())).';
revoke execute on function private.my_billing_company_ids() from public, anon, authenticated, service_role;
grant execute on function private.my_billing_company_ids() to authenticated;
grant select (id, invoice_id, placement_id, company_id, issue, currency, amount_due, description, status, number,
              hosted_invoice_url, due_at, finalized_at, sent_at, paid_at, voided_at, marked_uncollectible_at,
              created_at, updated_at)
  on table public.company_invoices to authenticated;
create policy company_invoices_select on public.company_invoices
  for select to authenticated
  using ((select private.is_platform_admin())
         or company_id = any (array(select private.my_billing_company_ids())));

create function private.stripe_record_invoice_paid(p_effect jsonb, p_now timestamptz default pg_catalog.now())
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  e_stripe_invoice_id text := p_effect ->> 'stripe_invoice_id';
  e_amount_due bigint := (p_effect ->> 'amount_due')::bigint;
  e_amount_paid bigint := (p_effect ->> 'amount_paid')::bigint;
  e_currency text := p_effect ->> 'currency';
  e_paid_at timestamptz := (p_effect ->> 'paid_at')::timestamptz;
  e_payment_intent_id text := p_effect ->> 'payment_intent_id';
  e_charge_id text := p_effect ->> 'charge_id';
  e_placement_id uuid := (p_effect ->> 'placement_id')::uuid;
  e_event_id text := p_effect ->> 'stripe_event_id';
  v_inv public.placement_invoices;
  v_pay private.placement_invoice_payments;
  v_from text;
  v_recorded boolean := false;
  v_payment_recorded boolean := false;
  v_prev jsonb;
  v_paid_at timestamptz := least(coalesce(e_paid_at, p_now), p_now);
begin
  perform private.check_stripe_id('stripe_invoice_id', e_stripe_invoice_id, 'in', 'invoice');

  select * into v_inv from public.placement_invoices i where i.stripe_invoice_id = e_stripe_invoice_id;
  if not found then
    -- an earlier issue of a reissued invoice (paid before its void reached Stripe)
    select i.* into v_inv from public.company_invoices c join public.placement_invoices i on i.id = c.invoice_id
     where c.stripe_invoice_id = e_stripe_invoice_id;
  end if;
  if not found then
    if e_placement_id is null or not exists (select 1 from public.placements pl where pl.id = e_placement_id) then
      return pg_catalog.jsonb_build_object('outcome', 'ignored', 'reason', 'unknown_invoice',
                                           'stripe_invoice_id', e_stripe_invoice_id);
    end if;
    -- Stripe knows the placement, the platform had not recorded the invoice: record it now
    -- (locks the splits, creates the payouts and the holdback holds). PT409 if the placement
    -- already has another invoice.
    v_inv := private.record_placement_invoice(e_placement_id, e_stripe_invoice_id, e_amount_due, 'open', p_now);
    v_recorded := true;
  end if;

  -- lock order: placement -> invoice
  perform 1 from public.placements pl where pl.id = v_inv.placement_id for update;
  select * into v_inv from public.placement_invoices i where i.id = v_inv.id for update;

  if e_currency is not null and pg_catalog.upper(e_currency) <> v_inv.currency::text then
    raise exception 'Stripe invoice % is in %, placement invoice % in %', e_stripe_invoice_id,
      pg_catalog.upper(e_currency), v_inv.id, v_inv.currency using errcode = 'PT422';
  end if;
  if e_amount_paid is not null and e_amount_paid < v_inv.amount_due then
    raise exception 'Stripe invoice % paid % of %', e_stripe_invoice_id, e_amount_paid, v_inv.amount_due
      using errcode = 'PT422';
  end if;
  if v_inv.status = 'void' then
    raise exception 'placement invoice % is void but Stripe invoice % was paid', v_inv.id, e_stripe_invoice_id
      using errcode = 'PT409', hint = 'Refund the payment at Stripe or correct the invoice by hand.';
  end if;

  -- the payment (charge = source_transaction of the transfers), once per invoice
  select * into v_pay from private.placement_invoice_payments p where p.invoice_id = v_inv.id;
  if not found then
    v_prev := private.enter_transition('placement_invoice.payment_record', 'stripe ' || coalesce(e_event_id, 'event'));
    insert into private.placement_invoice_payments (
      invoice_id, placement_id, stripe_invoice_id, stripe_payment_intent_id, stripe_charge_id, amount_paid,
      currency, paid_at, stripe_event_id)
    values (v_inv.id, v_inv.placement_id, e_stripe_invoice_id, e_payment_intent_id, e_charge_id,
            coalesce(e_amount_paid, v_inv.amount_due), v_inv.currency, v_paid_at, e_event_id)
    returning * into v_pay;
    if v_inv.stripe_payment_intent_id is null and e_payment_intent_id is not null then
      update public.placement_invoices i set stripe_payment_intent_id = e_payment_intent_id
       where i.id = v_inv.id
      returning * into v_inv;
    end if;
    perform private.emit_event('placement_invoice.payment_recorded', 'placement_invoice', v_inv.id,
      v_inv.placement_id, null,
      pg_catalog.jsonb_build_object('stripe_invoice_id', e_stripe_invoice_id, 'stripe_payment_intent_id',
        e_payment_intent_id, 'stripe_charge_id', e_charge_id, 'amount_paid', v_pay.amount_paid,
        'currency', v_pay.currency, 'paid_at', v_pay.paid_at, 'stripe_event_id', e_event_id));
    perform private.leave_transition(v_prev);
    v_payment_recorded := true;
  elsif v_pay.stripe_charge_id is null and e_charge_id is not null then
    -- a first event without the charge, a later one with it
    v_prev := private.enter_transition('placement_invoice.payment_record', 'stripe ' || coalesce(e_event_id, 'event'));
    update private.placement_invoice_payments p
       set stripe_charge_id = e_charge_id,
           stripe_payment_intent_id = coalesce(p.stripe_payment_intent_id, e_payment_intent_id)
     where p.id = v_pay.id
    returning * into v_pay;
    perform private.leave_transition(v_prev);
    v_payment_recorded := true;
  end if;

  v_from := v_inv.status;
  if v_inv.status = 'draft' then
    v_inv := private.transition_placement_invoice(v_inv.id, 'open', 'Stripe invoice finalized and paid', p_now);
  end if;
  if v_inv.status in ('open', 'uncollectible') then
    v_inv := private.transition_placement_invoice(v_inv.id, 'paid', 'Stripe invoice paid', p_now, v_paid_at);
  end if;

  -- the company's Stripe invoice (company billing): paid too
  perform private.record_company_invoice_state(
    pg_catalog.jsonb_build_object('stripe_invoice_id', e_stripe_invoice_id, 'status', 'paid',
                                  'paid_at', v_paid_at, 'stripe_event_id', e_event_id), p_now)
  where exists (select 1 from public.company_invoices c where c.stripe_invoice_id = e_stripe_invoice_id);

  return pg_catalog.jsonb_build_object(
    'outcome', case when v_recorded or v_payment_recorded or v_from <> v_inv.status then 'applied' else 'noop' end,
    'invoice_id', v_inv.id, 'placement_id', v_inv.placement_id, 'invoice_recorded', v_recorded,
    'from_status', v_from, 'status', v_inv.status, 'paid_at', v_inv.paid_at,
    'collectible_at', v_inv.collectible_at, 'stripe_charge_id', v_pay.stripe_charge_id);
end
$$;
comment on function private.stripe_record_invoice_paid(jsonb, timestamptz) is
  'Effect of invoice.paid / invoice.payment_succeeded (p_effect {stripe_invoice_id, amount_due, amount_paid, currency, paid_at, payment_intent_id, charge_id, placement_id, stripe_event_id}): finds the placement invoice by its Stripe id (or records it for the placement in the invoice''s metadata: payouts + holdback holds), records the payment (payment intent, charge = source_transaction), and moves the invoice to paid (paid_at = Stripe''s paid time, not in the future; collectible_at = paid_at + settlement buffer; payouts scheduled). Returns {outcome: applied|noop|ignored, ...}; the second event of the same payment is a noop. PT400 bad id, PT409 void invoice / other invoice, PT422 currency or amount mismatch.';

-- The charge a payout transfer of this placement is funded from (source_transaction), or null.
create function private.placement_source_transaction(p_placement_id uuid)
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select p.stripe_charge_id from private.placement_invoice_payments p where p.placement_id = p_placement_id
$$;
comment on function private.placement_source_transaction(uuid) is
  'The Stripe charge of the placement''s paid invoice (source_transaction of its payout transfers), or null when unknown.';

revoke execute on function
  private.stripe_record_invoice_paid(jsonb, timestamptz),
  private.placement_source_transaction(uuid)
from public, anon, authenticated, service_role;
