-- Company billing: placement fees invoiced through Stripe Invoicing, exactly once.
--
-- Stage: a placement is invoiced when it is CREATED (outbox event placement.created), if its
-- company has a billing email (public.set_company_billing_email; Stripe sends the invoice there)
-- and its fee is > 0. Companies without a billing email are billed by hand as before
-- (public.record_placement_invoice). Recording the placement invoice (draft) at that moment
-- locks the splits and creates the payouts and guarantee holds, as recording it by hand does.
--
--   private.company_billing_intake(limit, now)   the outbox consumer "company-billing": reads
--       placement.created events after its committed cursor, records a draft placement invoice
--       and requests its Stripe invoice (public.company_invoices, issue 1, idempotency key stored
--       with the row) for each eligible placement, and commits its cursor, in one transaction.
--       Run by the billing doorbell (pg_cron, every minute) and by the worker when it starts.
--   The worker (invoice-placements, role stripe_sync), per claimed company invoice:
--       customer (stored id, else looked up by metadata company_id, else customers.create),
--       record_company_customer; draft (looked up by customer + metadata company_invoice_id,
--       else invoices.create auto_advance=false, collection_method=send_invoice,
--       days_until_due from settings); the fee as an invoice item ON that invoice
--       (invoiceitems.create invoice=in_…; pending items are not pulled in since API 2022-08-01);
--       finalizeInvoice; sendInvoice; each result stored at once (record_company_invoice_state).
--       The invoice's status read from Stripe decides what is left: never finalized or sent twice.
--     claim_company_invoices(worker, limit, lease, now), record_company_customer(id, customer, now),
--     record_company_invoice_state(effect, now) (also the webhook's effect for invoice.finalized,
--     .sent, .voided, .marked_uncollectible, and paid through stripe_record_invoice_paid),
--     note_company_invoice_error(id, error, retry_in, now), fail_company_invoice(id, code, reason,
--     now), release_company_invoices(worker, ids, now)
--   private.billing_doorbell(now)   intake, then rings invoice-placements when work is due.
--   public.reissue_placement_invoice(placement, fee, reason)   admin: before payment, voids the
--       company's current Stripe invoice (the worker does it at Stripe) and issues a new one; with
--       a new fee the placement is repriced first (private.reprice_placement: fee, payouts,
--       guarantee holds, platform amount, invoice amount), audited.
--   public.set_company_billing_email(company, email)   admin: where invoices go (null: by hand).
--
-- Failure paths (docs/stripe-sync.md, "Billing the company"): invoice.voided of the live invoice
-- (not requested by a reissue) and invoice.marked_uncollectible raise an ALERT
-- (public.payout_alerts company_invoice_voided / company_invoice_uncollectible); the admin
-- decides: reissue, fail the placement (public.fail_placement), or wait for a late payment. A
-- Stripe refusal of a step: company_invoice_failed, same decision. Money never becomes payable
-- before the invoice is paid, whatever happens here.

-- Fail fast rather than queue behind (and in front of) live traffic; the CLI runs each
-- migration file in one transaction, so these last for this file only.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- ---------------------------------------------------------------------------------------------
-- Requests
-- ---------------------------------------------------------------------------------------------
create function private.request_company_invoice(
  p_invoice_id uuid, p_reason text default null, p_now timestamptz default pg_catalog.now())
returns public.company_invoices
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_inv public.placement_invoices;
  v_pl public.placements;
  v_company public.companies;
  v_row public.company_invoices;
  v_id uuid := pg_catalog.gen_random_uuid();
  v_prev jsonb;
begin
  select * into v_inv from public.placement_invoices i where i.id = p_invoice_id;
  if not found then
    raise exception 'placement invoice % not found', p_invoice_id using errcode = 'PT404';
  end if;
  select * into v_pl from public.placements pl where pl.id = v_inv.placement_id;
  select * into v_company from public.companies c where c.id = v_pl.company_id;
  if v_company.billing_email is null then
    raise exception 'company % has no billing email: it is billed by hand', v_company.id
      using errcode = 'PT409', hint = 'public.set_company_billing_email, then reissue.';
  end if;
  if v_inv.amount_due < 1 then
    raise exception 'placement invoice % is for %: nothing to bill', v_inv.id, v_inv.amount_due using errcode = 'PT409';
  end if;
  if exists (select 1 from public.company_invoices c
             where c.invoice_id = v_inv.id and c.void_requested_at is null and c.status <> 'void') then
    raise exception 'placement invoice % already has a live Stripe invoice', v_inv.id
      using errcode = 'PT409', hint = 'public.reissue_placement_invoice replaces it.';
  end if;
  v_prev := private.enter_transition('company_invoice.request', p_reason);
  insert into public.company_invoices (
    id, invoice_id, placement_id, company_id, issue, currency, amount_due, description, status, idempotency_key,
    next_attempt_at, requested_by, requested_at)
  values (
    v_id, v_inv.id, v_pl.id, v_company.id,
    coalesce((select max(c.issue) from public.company_invoices c where c.invoice_id = v_inv.id), 0) + 1,
    v_inv.currency, v_inv.amount_due,
    pg_catalog.left('Placement fee' || case when v_pl.title <> '' then ': ' || v_pl.title else '' end, 500),
    'pending', 'company_invoice:' || v_id::text, p_now, private.actor_id(), p_now)
  returning * into v_row;
  perform private.emit_event('company_invoice.requested', 'company_invoice', v_row.id, v_row.placement_id, null,
    pg_catalog.jsonb_build_object('to_status', v_row.status, 'issue', v_row.issue, 'amount_due', v_row.amount_due,
      'currency', v_row.currency, 'company_id', v_row.company_id, 'idempotency_key', v_row.idempotency_key,
      'reason', p_reason));
  perform private.leave_transition(v_prev);
  return v_row;
end
$$;
comment on function private.request_company_invoice(uuid, text, timestamptz) is
  'Requests the next Stripe invoice (issue n + 1, status pending, idempotency key company_invoice:<id> stored with it) of a placement invoice, for its amount_due. PT404; PT409 company without billing email, nothing to bill, a live issue exists.';

create function private.company_billing_intake(p_limit integer default 500, p_now timestamptz default pg_catalog.now())
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_cursor private.payout_event_consumers;
  v_created uuid[];
  v_last_txid xid8;
  v_last_id bigint;
  v_ids uuid[];
  v_count integer := 0;
  v_pid uuid;
begin
  if p_limit is null or p_limit not between 1 and 1000 then
    raise exception 'p_limit must be between 1 and 1000 (got %)', p_limit using errcode = 'PT400';
  end if;
  -- one intake at a time: the doorbell and a worker may both run it
  perform pg_catalog.pg_advisory_xact_lock(1885436300, pg_catalog.hashtext('company_billing_intake'));
  select * into v_cursor from private.register_payout_event_consumer('company-billing', p_now);
  select pg_catalog.array_agg(e.placement_id) filter (where e.event_type = 'placement.created'),
         (pg_catalog.array_agg(e.txid order by e.txid desc, e.id desc))[1],
         (pg_catalog.array_agg(e.id order by e.txid desc, e.id desc))[1]
    into v_created, v_last_txid, v_last_id
  from private.payout_events_page(v_cursor.cursor_txid, v_cursor.cursor_id, p_limit,
                                  pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot())) e;
  if v_last_id is null then
    return 0;
  end if;
  select pg_catalog.array_agg(pl.id order by pl.id) into v_ids
  from public.placements pl
  join public.companies c on c.id = pl.company_id
  where pl.id = any (coalesce(v_created, '{}'))
    and c.billing_email is not null and pl.fee_amount > 0 and pl.status <> 'failed'
    and not exists (select 1 from public.placement_invoices i where i.placement_id = pl.id);
  foreach v_pid in array coalesce(v_ids, '{}') loop
    -- a draft invoice (splits locked, payouts and guarantee holds created), then its Stripe invoice
    perform private.request_company_invoice(
      (private.record_placement_invoice(v_pid, null, null, 'draft', p_now)).id, 'placement created', p_now);
    v_count := v_count + 1;
  end loop;
  perform private.commit_payout_event_cursor('company-billing', v_last_txid, v_last_id, p_now);
  return v_count;
end
$$;
comment on function private.company_billing_intake(integer, timestamptz) is
  'Outbox consumer company-billing: reads up to p_limit committed events after its cursor; for each placement.created of a company with a billing email, fee > 0, not failed and without an invoice, records a draft placement invoice (payouts, holds) and requests its Stripe invoice; commits the cursor. Returns how many were requested. One at a time (advisory lock).';

-- ---------------------------------------------------------------------------------------------
-- The worker
-- ---------------------------------------------------------------------------------------------
create function private.claim_company_invoices(
  p_worker uuid,
  p_limit integer default 10,
  p_lease interval default interval '2 minutes',
  p_now timestamptz default pg_catalog.now())
returns setof jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_ids uuid[];
  v_prev jsonb;
begin
  if p_worker is null then
    raise exception 'p_worker is required' using errcode = 'PT400';
  end if;
  if p_limit is null or p_limit not between 1 and 100 then
    raise exception 'p_limit must be between 1 and 100 (got %)', p_limit using errcode = 'PT400';
  end if;
  if p_lease is null or p_lease <= interval '0' then
    raise exception 'p_lease must be positive' using errcode = 'PT400';
  end if;
  select pg_catalog.array_agg(d.id) into v_ids
  from (select c.id from public.company_invoices c
        where c.work_due and c.next_attempt_at <= p_now
        order by c.next_attempt_at, c.id
        limit p_limit
        for update skip locked) d;
  if v_ids is null then
    return;
  end if;
  v_prev := private.enter_transition('company_invoice.claim', null);
  update public.company_invoices c
     set claimed_by = p_worker, next_attempt_at = p_now + p_lease, attempts = c.attempts + 1
   where c.id = any (v_ids);
  perform private.leave_transition(v_prev);
  return query
  select pg_catalog.to_jsonb(c) || pg_catalog.jsonb_build_object(
           'company_name', co.name, 'billing_email', co.billing_email, 'company_customer_id', co.stripe_customer_id,
           'placement_title', pl.title, 'days_until_due', (private.settings()).invoice_days_until_due)
  from public.company_invoices c
  join public.companies co on co.id = c.company_id
  join public.placements pl on pl.id = c.placement_id
  where c.id = any (v_ids)
  order by c.requested_at, c.id;
end
$$;
comment on function private.claim_company_invoices(uuid, integer, interval, timestamptz) is
  'Billing worker: leases up to p_limit company invoices with work due (create/finalize/send, or void when superseded) to p_worker until p_now + p_lease (FOR UPDATE SKIP LOCKED; an expired lease = the holder is gone), attempts + 1. Returns each row as JSON with the company''s name, billing email and Stripe customer, the placement title and days_until_due. PT400.';

create function private.lock_company_invoice(p_id uuid)
returns public.company_invoices
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row public.company_invoices;
begin
  -- lock order as everywhere: placement -> placement invoice -> company invoice
  perform 1 from public.placements pl
   where pl.id = (select c.placement_id from public.company_invoices c where c.id = p_id) for update;
  perform 1 from public.placement_invoices i
   where i.id = (select c.invoice_id from public.company_invoices c where c.id = p_id) for update;
  select * into v_row from public.company_invoices c where c.id = p_id for update;
  if not found then
    raise exception 'company invoice % not found', p_id using errcode = 'PT404';
  end if;
  return v_row;
end
$$;
comment on function private.lock_company_invoice(uuid) is
  'Internal: locks a company invoice after its placement and placement invoice (PT404 when unknown).';

create function private.record_company_customer(
  p_id uuid, p_stripe_customer_id text, p_now timestamptz default pg_catalog.now())
returns public.company_invoices
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row public.company_invoices := private.lock_company_invoice(p_id);
  v_company public.companies;
  v_prev jsonb;
begin
  perform private.check_stripe_id('p_stripe_customer_id', p_stripe_customer_id, 'cus', 'customer');
  select * into v_company from public.companies c where c.id = v_row.company_id for update;
  if v_company.stripe_customer_id is not null and v_company.stripe_customer_id <> p_stripe_customer_id then
    raise exception 'company % is Stripe customer %, not %', v_company.id, v_company.stripe_customer_id,
      p_stripe_customer_id using errcode = 'PT409';
  end if;
  if v_company.stripe_customer_id is null then
    perform private.set_audit_context('company.stripe_customer', 'customer for Stripe Invoicing');
    update public.companies c set stripe_customer_id = p_stripe_customer_id where c.id = v_company.id;
    perform private.clear_audit_context();
  end if;
  if v_row.stripe_customer_id is distinct from p_stripe_customer_id then
    v_prev := private.enter_transition('company_invoice.customer', null);
    update public.company_invoices c set stripe_customer_id = p_stripe_customer_id where c.id = v_row.id
    returning * into v_row;
    perform private.leave_transition(v_prev);
  end if;
  return v_row;
end
$$;
comment on function private.record_company_customer(uuid, text, timestamptz) is
  'Billing worker: stores the company''s Stripe customer (companies.stripe_customer_id, once; audited) and on the company invoice. PT400 bad id, PT404, PT409 the company is another customer.';

create function private.company_invoice_status_rank(p_status text)
returns integer
language plpgsql
immutable
set search_path = ''
as $$
begin
  return case p_status when 'pending' then 0 when 'draft' then 1 when 'open' then 2 when 'uncollectible' then 3
                       when 'paid' then 4 when 'void' then 4 end;
end
$$;
comment on function private.company_invoice_status_rank(text) is
  'Order of a Stripe invoice''s statuses (pending 0, draft 1, open 2, uncollectible 3, paid/void 4): a company invoice only moves to a higher rank, so late or repeated reports never move it back.';

create function private.record_company_invoice_state(p_effect jsonb, p_now timestamptz default pg_catalog.now())
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  e_id text := p_effect ->> 'company_invoice_id';
  e_sid text := p_effect ->> 'stripe_invoice_id';
  e_status text := p_effect ->> 'status';
  e_item text := p_effect ->> 'stripe_invoice_item_id';
  v_row public.company_invoices;
  v_new public.company_invoices;
  v_inv public.placement_invoices;
  v_prev jsonb;
  v_id uuid;
begin
  if p_effect is null or pg_catalog.jsonb_typeof(p_effect) <> 'object' then
    raise exception 'p_effect must be a JSON object' using errcode = 'PT400';
  end if;
  if e_id is not null and e_id !~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' then
    e_id := null;  -- someone else's metadata: look it up by the Stripe id
  end if;
  perform private.check_stripe_id('stripe_invoice_id', e_sid, 'in', 'invoice', e_id is not null);
  perform private.check_stripe_id('stripe_invoice_item_id', e_item, 'ii', 'invoice item', true);
  if e_status is not null and e_status not in ('draft', 'open', 'paid', 'void', 'uncollectible') then
    raise exception 'unknown Stripe invoice status "%"', e_status using errcode = 'PT400';
  end if;
  v_id := coalesce((select c.id from public.company_invoices c where c.stripe_invoice_id = e_sid), e_id::uuid);
  if v_id is null or not exists (select 1 from public.company_invoices c where c.id = v_id) then
    return pg_catalog.jsonb_build_object('outcome', 'ignored', 'reason', 'unknown_invoice', 'stripe_invoice_id', e_sid);
  end if;
  v_row := private.lock_company_invoice(v_id);
  if e_sid is not null and v_row.stripe_invoice_id is not null and v_row.stripe_invoice_id <> e_sid then
    raise exception 'company invoice % is Stripe invoice %, not %', v_row.id, v_row.stripe_invoice_id, e_sid
      using errcode = 'PT409';
  end if;

  v_new := v_row;
  v_new.stripe_invoice_id := coalesce(v_row.stripe_invoice_id, e_sid);
  v_new.stripe_invoice_item_id := coalesce(v_row.stripe_invoice_item_id, e_item);
  v_new.number := coalesce(p_effect ->> 'number', v_row.number);
  v_new.hosted_invoice_url := coalesce(p_effect ->> 'hosted_invoice_url', v_row.hosted_invoice_url);
  v_new.due_at := coalesce((p_effect ->> 'due_at')::timestamptz, v_row.due_at);
  if e_status is not null
     and private.company_invoice_status_rank(e_status) > private.company_invoice_status_rank(v_row.status) then
    v_new.status := e_status;
  end if;
  v_new.finalized_at := coalesce(v_row.finalized_at, (p_effect ->> 'finalized_at')::timestamptz,
                                 case when v_new.status in ('open', 'paid', 'uncollectible') then p_now end);
  v_new.sent_at := coalesce(v_row.sent_at, case when (p_effect ->> 'sent')::boolean then p_now end);
  v_new.paid_at := case when v_new.status = 'paid'
                        then coalesce(v_row.paid_at, (p_effect ->> 'paid_at')::timestamptz, p_now) end;
  v_new.voided_at := case when v_new.status = 'void'
                          then coalesce(v_row.voided_at, (p_effect ->> 'voided_at')::timestamptz, p_now) end;
  v_new.marked_uncollectible_at := coalesce(v_row.marked_uncollectible_at,
    case when v_new.status = 'uncollectible' or (v_new.status = 'paid' and v_row.status = 'uncollectible')
         then coalesce((p_effect ->> 'marked_uncollectible_at')::timestamptz, p_now) end);

  if v_new is not distinct from v_row then
    return pg_catalog.jsonb_build_object('outcome', 'noop', 'company_invoice_id', v_row.id, 'status', v_row.status);
  end if;

  v_prev := private.enter_transition('company_invoice.sync', coalesce('stripe ' || (p_effect ->> 'stripe_event_id'), 'billing worker'));
  update public.company_invoices c
     set stripe_invoice_id = v_new.stripe_invoice_id, stripe_invoice_item_id = v_new.stripe_invoice_item_id,
         number = v_new.number, hosted_invoice_url = v_new.hosted_invoice_url, due_at = v_new.due_at,
         status = v_new.status, finalized_at = v_new.finalized_at, sent_at = v_new.sent_at, paid_at = v_new.paid_at,
         voided_at = v_new.voided_at, marked_uncollectible_at = v_new.marked_uncollectible_at
   where c.id = v_row.id
  returning * into v_new;
  if v_new.status <> v_row.status then
    perform private.emit_event('company_invoice.' || v_new.status, 'company_invoice', v_new.id, v_new.placement_id, null,
      pg_catalog.jsonb_build_object('from_status', v_row.status, 'to_status', v_new.status, 'issue', v_new.issue,
        'stripe_invoice_id', v_new.stripe_invoice_id, 'amount_due', v_new.amount_due, 'currency', v_new.currency,
        'superseded', v_new.void_requested_at is not null, 'stripe_event_id', p_effect ->> 'stripe_event_id'));
  end if;
  if v_new.sent_at is not null and v_row.sent_at is null then
    perform private.emit_event('company_invoice.sent', 'company_invoice', v_new.id, v_new.placement_id, null,
      pg_catalog.jsonb_build_object('stripe_invoice_id', v_new.stripe_invoice_id, 'hosted_invoice_url',
        v_new.hosted_invoice_url, 'due_at', v_new.due_at));
  end if;

  -- the placement invoice follows its LIVE Stripe invoice (a superseded one is being voided)
  if v_new.void_requested_at is null then
    select * into v_inv from public.placement_invoices i where i.id = v_new.invoice_id;
    if v_new.stripe_invoice_id is not null and v_inv.stripe_invoice_id is distinct from v_new.stripe_invoice_id
       and v_new.status <> 'void' then
      update public.placement_invoices i set stripe_invoice_id = v_new.stripe_invoice_id where i.id = v_inv.id
      returning * into v_inv;
    end if;
    if v_new.status in ('open', 'uncollectible') and v_inv.status in ('draft', 'uncollectible')
       and v_inv.status <> v_new.status then
      v_inv := private.transition_placement_invoice(v_inv.id, 'open', 'Stripe invoice finalized', p_now);
    end if;
    if v_new.status = 'uncollectible' and v_inv.status = 'open' then
      v_inv := private.transition_placement_invoice(v_inv.id, 'uncollectible', 'Stripe invoice marked uncollectible', p_now);
    end if;
  end if;
  perform private.leave_transition(v_prev);
  return pg_catalog.jsonb_build_object('outcome', 'applied', 'company_invoice_id', v_new.id, 'from_status', v_row.status,
    'status', v_new.status, 'sent', v_new.sent_at is not null, 'placement_invoice_status', v_inv.status);
end
$$;
comment on function private.record_company_invoice_state(jsonb, timestamptz) is
  'What Stripe says about a company invoice (worker results and webhook effects; p_effect {company_invoice_id (metadata) | stripe_invoice_id, status, stripe_invoice_item_id, number, hosted_invoice_url, due_at, finalized_at, paid_at, voided_at, marked_uncollectible_at, sent, stripe_event_id}): stores the ids once, moves the status forward only (out-of-order safe), and for the live issue keeps the placement invoice in step (Stripe id; draft -> open when finalized; open -> uncollectible). Returns {outcome: applied|noop|ignored}. PT400 bad input, PT409 another Stripe invoice.';

create function private.note_company_invoice_error(
  p_id uuid, p_error jsonb, p_retry_in interval, p_now timestamptz default pg_catalog.now())
returns public.company_invoices
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row public.company_invoices := private.lock_company_invoice(p_id);
  v_prev jsonb;
begin
  v_prev := private.enter_transition('company_invoice.defer', p_error ->> 'code');
  update public.company_invoices c
     set last_error = pg_catalog.jsonb_build_object('code', pg_catalog.left(coalesce(p_error ->> 'code', 'error'), 100),
                                                    'message', pg_catalog.left(coalesce(p_error ->> 'message', ''), 1000),
                                                    'at', p_now),
         next_attempt_at = p_now + greatest(coalesce(p_retry_in, interval '0'), interval '0')
   where c.id = v_row.id
  returning * into v_row;
  perform private.leave_transition(v_prev);
  return v_row;
end
$$;
comment on function private.note_company_invoice_error(uuid, jsonb, interval, timestamptz) is
  'Billing worker: a transient error ({code, message}) kept as last_error; the invoice is claimed again after p_retry_in, under the same stored keys.';

create function private.fail_company_invoice(
  p_id uuid, p_code text, p_reason text, p_now timestamptz default pg_catalog.now())
returns public.company_invoices
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row public.company_invoices := private.lock_company_invoice(p_id);
  v_prev jsonb;
begin
  if v_row.failed_at is not null then
    return v_row;
  end if;
  if pg_catalog.btrim(coalesce(p_code, '')) = '' then
    raise exception 'p_code is required' using errcode = 'PT400';
  end if;
  v_prev := private.enter_transition('company_invoice.fail', p_reason);
  update public.company_invoices c
     set failed_at = p_now, failure_code = pg_catalog.left(p_code, 100),
         failure_reason = pg_catalog.left(coalesce(p_reason, p_code), 1000)
   where c.id = v_row.id
  returning * into v_row;
  perform private.emit_event('company_invoice.failed', 'company_invoice', v_row.id, v_row.placement_id, null,
    pg_catalog.jsonb_build_object('status', v_row.status, 'code', p_code, 'reason', p_reason,
      'superseded', v_row.void_requested_at is not null));
  perform private.leave_transition(v_prev);
  return v_row;
end
$$;
comment on function private.fail_company_invoice(uuid, text, text, timestamptz) is
  'Billing worker: Stripe refused a step for good: failed_at + Stripe''s code; no more work until an admin reissues (public.payout_alerts company_invoice_failed). Failed already: unchanged. PT400/PT404.';

create function private.release_company_invoices(
  p_worker uuid, p_ids uuid[], p_now timestamptz default pg_catalog.now())
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_prev jsonb;
  v_count integer;
begin
  v_prev := private.enter_transition('company_invoice.release', 'handed back: the worker''s CPU budget is used up');
  update public.company_invoices c
     set next_attempt_at = p_now
   where c.id = any (coalesce(p_ids, '{}')) and c.claimed_by = p_worker and c.work_due;
  get diagnostics v_count = row_count;
  perform private.leave_transition(v_prev);
  return v_count;
end
$$;
comment on function private.release_company_invoices(uuid, uuid[], timestamptz) is
  'Billing worker: invoices it claimed and will not start: their lease ends at p_now (claimed again at once, same keys). Returns how many.';

create function private.billing_doorbell(p_now timestamptz default pg_catalog.now())
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  if coalesce(pg_catalog.current_setting('payouts.actor_role', true), '') = '' then
    perform private.set_actor(null, 'cron');
  end if;
  perform private.company_billing_intake(500, p_now);
  perform pg_catalog.pg_advisory_xact_lock(1885436300, pg_catalog.hashtext('company_invoices'));
  if not exists (select 1 from public.company_invoices c where c.work_due and c.next_attempt_at <= p_now) then
    return null;
  end if;
  return private.ring_stripe_sync_function('invoice-placements', '{"trigger": "doorbell"}'::jsonb, p_now);
end
$$;
comment on function private.billing_doorbell(timestamptz) is
  'Per-minute doorbell of invoice-placements (cron job stripe-sync-billing-doorbell): runs the outbox intake (placement.created -> billing requests), then rings the worker (pg_net; Vault URL and job secret) only when a company invoice has work due. Returns the pg_net request id or null.';

-- ---------------------------------------------------------------------------------------------
-- Fee changes before payment: reprice, then reissue
-- ---------------------------------------------------------------------------------------------
create function private.reprice_placement(
  p_placement_id uuid, p_fee_amount bigint, p_reason text, p_now timestamptz default pg_catalog.now())
returns public.placements
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_pl public.placements;
  v_inv public.placement_invoices;
  v_prev jsonb;
  v_old_fee bigint;
  v_payout_ids uuid[];
  v_amounts bigint[];
  v_holds bigint[];
  v_total bigint;
  v_hold_total bigint;
begin
  select * into v_pl from public.placements pl where pl.id = p_placement_id for update;
  if not found then
    raise exception 'placement % not found', p_placement_id using errcode = 'PT404';
  end if;
  if p_fee_amount is null or p_fee_amount not between 1 and 2147483647 then
    raise exception 'p_fee_amount must be between 1 and 2147483647 minor units (got %)', p_fee_amount
      using errcode = 'PT400';
  end if;
  if v_pl.fee_amount = p_fee_amount then
    return v_pl;
  end if;
  if v_pl.status = 'failed' then
    raise exception 'placement % has failed: its fee no longer changes', v_pl.id using errcode = 'PT409';
  end if;
  select * into v_inv from public.placement_invoices i where i.placement_id = v_pl.id for update;
  if found and v_inv.status not in ('draft', 'open', 'uncollectible') then
    raise exception 'the fee of placement % no longer changes: its invoice is %', v_pl.id, v_inv.status
      using errcode = 'PT409';
  end if;
  v_old_fee := v_pl.fee_amount;

  if v_pl.splits_locked_at is not null then
    -- payouts exist; before payment nothing of them has moved but their guarantee holds
    if exists (select 1 from public.payouts po where po.placement_id = v_pl.id
                 and po.paid_amount + po.in_flight_amount + po.forfeited_amount + po.reversed_amount > 0)
       or exists (select 1 from public.escrow_holds h where h.placement_id = v_pl.id
                    and (h.status <> 'active' or h.hold_reason <> 'guarantee_period'))
       or exists (select 1 from public.payout_transfers t where t.placement_id = v_pl.id) then
      raise exception 'placement % cannot be repriced: money of its payouts has moved', v_pl.id using errcode = 'PT409';
    end if;
    -- the allocation record_placement_invoice makes, for the new fee
    with sp as (
      select s.id, s.share_bps, pg_catalog.row_number() over (order by s.id) as ord
      from public.placement_splits s where s.placement_id = v_pl.id
    )
    select pg_catalog.array_agg(po.id order by sp.ord), pg_catalog.array_agg(a.amount order by sp.ord)
      into v_payout_ids, v_amounts
    from sp
    join public.payouts po on po.split_id = sp.id
    join private.largest_remainder(p_fee_amount,
           array(select x.share_bps::bigint from sp x order by x.ord)
           || (10000 - coalesce((select sum(x.share_bps) from sp x), 0))::bigint) a on a.ord = sp.ord;
    v_total := coalesce((select sum(x) from pg_catalog.unnest(v_amounts) x), 0)::bigint;
    v_hold_total := (v_total * v_pl.holdback_bps + 9999) / 10000;
    v_holds := case when v_hold_total > 0
                    then array(select a.amount from private.largest_remainder(v_hold_total, v_amounts) a order by a.ord)
                    else array(select 0::bigint from pg_catalog.unnest(v_amounts)) end;
    -- which payouts are held, and which are zero, stays as it was (holds are only resized)
    if exists (select 1 from rows from (pg_catalog.unnest(v_payout_ids), pg_catalog.unnest(v_amounts),
                                        pg_catalog.unnest(v_holds)) as x(id, amount, hold)
               join public.payouts po on po.id = x.id
               where (po.amount = 0) <> (x.amount = 0)
                  or (x.hold > 0) <> exists (select 1 from public.escrow_holds h
                                             where h.payout_id = po.id and h.status = 'active')) then
      raise exception 'placement % cannot be repriced to %: it would change which payouts are held or zero', v_pl.id,
        p_fee_amount using errcode = 'PT409', hint = 'Fail the placement and create it again with the new fee.';
    end if;
  end if;

  v_prev := private.enter_transition('placement.reprice', p_reason);
  update public.placements pl
     set fee_amount = p_fee_amount,
         platform_amount = case when pl.splits_locked_at is not null then p_fee_amount - v_total end
   where pl.id = v_pl.id
  returning * into v_pl;
  if v_payout_ids is not null then
    update public.payouts po
       set amount = x.amount, held_amount = x.hold, payable_amount = x.amount - x.hold
      from rows from (pg_catalog.unnest(v_payout_ids), pg_catalog.unnest(v_amounts), pg_catalog.unnest(v_holds))
             as x(id, amount, hold)
     where po.id = x.id;
    update public.escrow_holds h
       set hold_amount = x.hold
      from rows from (pg_catalog.unnest(v_payout_ids), pg_catalog.unnest(v_holds)) as x(id, hold)
     where h.payout_id = x.id and h.status = 'active' and x.hold > 0;
    perform private.emit_event('payout.repriced', 'payout', po.id, po.placement_id, po.id,
      pg_catalog.jsonb_build_object('amount', po.amount, 'held_amount', po.held_amount, 'currency', po.currency,
        'reason', p_reason))
    from public.payouts po where po.id = any (v_payout_ids) order by po.id;
  end if;
  if v_inv.id is not null then
    update public.placement_invoices i set amount_due = p_fee_amount where i.id = v_inv.id;
  end if;
  perform private.emit_event('placement.repriced', 'placement', v_pl.id, v_pl.id, null,
    pg_catalog.jsonb_build_object('from_fee_amount', v_old_fee, 'to_fee_amount', p_fee_amount,
      'currency', v_pl.currency, 'reason', p_reason));
  perform private.leave_transition(v_prev);
  return v_pl;
end
$$;
comment on function private.reprice_placement(uuid, bigint, text, timestamptz) is
  'A placement''s fee changes before its invoice is paid: fee, and once payouts exist their amounts (largest remainder, as recorded), their guarantee holds (resized), platform_amount and the invoice''s amount_due, in one transition; events placement.repriced, payout.repriced. Same fee: no-op. PT400 fee outside 1..2^31-1, PT404, PT409 failed placement, invoice paid/void, money already moved, or a change of which payouts are held or zero.';

create function private.reissue_placement_invoice(
  p_placement_id uuid, p_fee_amount bigint, p_reason text, p_now timestamptz default pg_catalog.now())
returns public.company_invoices
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_pl public.placements;
  v_inv public.placement_invoices;
  v_prev jsonb;
  v_ids uuid[];
begin
  if pg_catalog.btrim(coalesce(p_reason, '')) = '' then
    raise exception 'p_reason is required to reissue an invoice' using errcode = 'PT400';
  end if;
  select * into v_pl from public.placements pl where pl.id = p_placement_id for update;
  if not found then
    raise exception 'placement % not found', p_placement_id using errcode = 'PT404';
  end if;
  select * into v_inv from public.placement_invoices i where i.placement_id = v_pl.id for update;
  if not found then
    raise exception 'placement % has no invoice to reissue', v_pl.id using errcode = 'PT409';
  end if;
  if v_pl.status = 'failed' then
    raise exception 'placement % has failed: its invoice is not reissued', v_pl.id using errcode = 'PT409';
  end if;
  if v_inv.status not in ('draft', 'open', 'uncollectible') then
    raise exception 'invoice of placement % is %: only an unpaid invoice is reissued', v_pl.id, v_inv.status
      using errcode = 'PT409';
  end if;
  if v_inv.stripe_invoice_id is not null
     and not exists (select 1 from public.company_invoices c where c.stripe_invoice_id = v_inv.stripe_invoice_id) then
    raise exception 'invoice of placement % (Stripe %) was recorded by hand: void it at Stripe yourself', v_pl.id,
      v_inv.stripe_invoice_id using errcode = 'PT409';
  end if;
  if p_fee_amount is not null then
    perform private.reprice_placement(v_pl.id, p_fee_amount, p_reason, p_now);
  end if;
  v_prev := private.enter_transition('company_invoice.supersede', p_reason);
  with sup as (
    update public.company_invoices c
       set void_requested_at = p_now, void_reason = p_reason, failed_at = null, failure_code = null,
           next_attempt_at = p_now
     where c.invoice_id = v_inv.id and c.void_requested_at is null and c.status <> 'void'
    returning c.id
  )
  select pg_catalog.array_agg(sup.id) into v_ids from sup;
  perform private.emit_event('company_invoice.void_requested', 'company_invoice', c.id, c.placement_id, null,
    pg_catalog.jsonb_build_object('status', c.status, 'issue', c.issue, 'reason', p_reason))
  from public.company_invoices c where c.id = any (coalesce(v_ids, '{}')) order by c.id;
  perform private.leave_transition(v_prev);
  return private.request_company_invoice(v_inv.id, p_reason, p_now);
end
$$;
comment on function private.reissue_placement_invoice(uuid, bigint, text, timestamptz) is
  'Body of the reissue: before payment, optionally reprices the placement (private.reprice_placement), asks the worker to void the live Stripe invoice (void_requested_at; event company_invoice.void_requested) and requests the next issue. PT400 no reason, PT404, PT409 failed placement, no/paid/void invoice, an invoice recorded by hand, company without billing email.';

create function private.rpc_reissue_placement_invoice(p_placement_id uuid, p_fee_amount bigint, p_reason text)
returns public.company_invoices
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row public.company_invoices;
begin
  perform private.begin_admin_action();
  if p_placement_id is null then
    raise exception 'p_placement_id is required' using errcode = 'PT400';
  end if;
  v_row := private.reissue_placement_invoice(p_placement_id, p_fee_amount, p_reason, pg_catalog.now());
  -- ring the worker now (sent after commit); the billing doorbell picks it up anyway
  begin
    perform private.ring_stripe_sync_function('invoice-placements', '{"trigger": "admin"}'::jsonb, pg_catalog.now());
  exception when others then
    null;
  end;
  return v_row;
end
$$;
comment on function private.rpc_reissue_placement_invoice(uuid, bigint, text) is
  'Body of public.reissue_placement_invoice (platform admins only, 42501).';

create function public.reissue_placement_invoice(
  p_placement_id uuid default null, p_fee_amount bigint default null, p_reason text default null)
returns public.company_invoices
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.rpc_reissue_placement_invoice(p_placement_id, p_fee_amount, p_reason) from private.require_platform_admin()
$$;
comment on function public.reissue_placement_invoice(uuid, bigint, text) is
  'Admin: voids the company''s current Stripe invoice of a placement (unpaid) and sends a new one, for the new fee when p_fee_amount is given (fee, payouts, guarantee holds and invoice amount repriced first). Audited. Returns the new company invoice (pending; invoice-placements creates it at Stripe). 42501 not a platform admin; PT400 no placement / reason / bad fee; PT404; PT409 failed placement, invoice paid / void / recorded by hand, money already moved, company without billing email.';

create function private.rpc_set_company_billing_email(p_company_id uuid, p_billing_email text)
returns public.companies
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row public.companies;
  v_email text := nullif(pg_catalog.btrim(p_billing_email), '');
begin
  perform private.begin_admin_action();
  if p_company_id is null then
    raise exception 'p_company_id is required' using errcode = 'PT400';
  end if;
  if v_email is not null and (v_email !~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$' or pg_catalog.length(v_email) > 254) then
    raise exception 'p_billing_email must be an email address (got %)', v_email using errcode = 'PT400';
  end if;
  perform private.set_audit_context('company.billing_email', null);
  update public.companies c set billing_email = v_email where c.id = p_company_id returning * into v_row;
  -- FOUND of the UPDATE (a PERFORM in between would reset it)
  if not found then
    raise exception 'company % not found', p_company_id using errcode = 'PT404';
  end if;
  perform private.clear_audit_context();
  return v_row;
end
$$;
comment on function private.rpc_set_company_billing_email(uuid, text) is
  'Body of public.set_company_billing_email (platform admins only, 42501).';

create function public.set_company_billing_email(p_company_id uuid default null, p_billing_email text default null)
returns public.companies
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.rpc_set_company_billing_email(p_company_id, p_billing_email) from private.require_platform_admin()
$$;
comment on function public.set_company_billing_email(uuid, text) is
  'Admin: where Stripe sends the company''s placement invoices. With an email, placements created from then on are invoiced through Stripe Invoicing (invoice-placements); null: billed by hand (record_placement_invoice). Audited. 42501 not a platform admin; PT400 no company / not an email; PT404.';

-- the outbox consumer starts now: placements created before this migration are not invoiced
select private.register_payout_event_consumer('company-billing', pg_catalog.now());

revoke execute on function
  private.request_company_invoice(uuid, text, timestamptz),
  private.company_billing_intake(integer, timestamptz),
  private.claim_company_invoices(uuid, integer, interval, timestamptz),
  private.lock_company_invoice(uuid),
  private.record_company_customer(uuid, text, timestamptz),
  private.company_invoice_status_rank(text),
  private.record_company_invoice_state(jsonb, timestamptz),
  private.note_company_invoice_error(uuid, jsonb, interval, timestamptz),
  private.fail_company_invoice(uuid, text, text, timestamptz),
  private.release_company_invoices(uuid, uuid[], timestamptz),
  private.billing_doorbell(timestamptz),
  private.reprice_placement(uuid, bigint, text, timestamptz),
  private.reissue_placement_invoice(uuid, bigint, text, timestamptz),
  private.rpc_reissue_placement_invoice(uuid, bigint, text),
  public.reissue_placement_invoice(uuid, bigint, text),
  private.rpc_set_company_billing_email(uuid, text),
  public.set_company_billing_email(uuid, text)
from public, anon, authenticated, service_role;
grant execute on function private.company_billing_intake(integer, timestamptz) to stripe_sync;
grant execute on function private.claim_company_invoices(uuid, integer, interval, timestamptz) to stripe_sync;
grant execute on function private.record_company_customer(uuid, text, timestamptz) to stripe_sync;
grant execute on function private.record_company_invoice_state(jsonb, timestamptz) to stripe_sync;
grant execute on function private.note_company_invoice_error(uuid, jsonb, interval, timestamptz) to stripe_sync;
grant execute on function private.fail_company_invoice(uuid, text, text, timestamptz) to stripe_sync;
grant execute on function private.release_company_invoices(uuid, uuid[], timestamptz) to stripe_sync;
grant execute on function private.rpc_reissue_placement_invoice(uuid, bigint, text) to authenticated;
grant execute on function public.reissue_placement_invoice(uuid, bigint, text) to authenticated;
grant execute on function private.rpc_set_company_billing_email(uuid, text) to authenticated;
grant execute on function public.set_company_billing_email(uuid, text) to authenticated;
