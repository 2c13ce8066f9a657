-- squawk-ignore-file prefer-robust-stmts,require-concurrent-index-creation,ban-char-field
-- (the table is created in this file, empty, inside the CLI's one transaction per migration:
-- nothing to rerun half-way and nobody to block by a plain CREATE INDEX; currency is char(3) by
-- contract, as on every money table)
-- Stripe sync, part 6: the placement's payment is refunded or disputed after money went out.
--
--   private.payment_disputes    one row per Stripe dispute (dp_...) and one per refunded charge
--                               (kind refund): placement, amount, status open | won | lost |
--                               refunded, what was held and flagged
--   private.stripe_record_payment_dispute(effect, now)   charge.refunded, charge.dispute.created
--       (effect: {source dispute|refund, stripe_object_id, charge_id, payment_intent_id, amount,
--       currency, reason, occurred_at, stripe_event_id}):
--       the placement's unpaid money (payable) goes on a `dispute` hold (no release date: until
--       the dispute closes or an admin decides), its paid payouts are flagged
--       (payouts.flagged_for_reversal_at, event payout.dispute_flagged), and an alert is raised
--       (event placement.payment_disputed; public.payout_alerts payment_disputed while open)
--   private.stripe_close_payment_dispute(effect, now)    charge.dispute.closed (effect:
--       {stripe_dispute_id, charge_id, outcome won|lost, stripe_status, closed_at, stripe_event_id}):
--       won (or an inquiry closed as warning_closed): the dispute holds are released
--       (held -> payable, scheduled) and the flags cleared, unless another dispute of the
--       placement is still open; lost: every active hold of the placement is cancelled and its
--       payable money forfeited (the company has the money back), its live schedules cancelled,
--       paid payouts stay flagged for reversal (event payout.reversal_flagged) for reverse_payout
--   trigger payout_payment_dispute on public.payouts (AFTER UPDATE, only when payable or paid
--       grows): while a dispute of the placement is open, money that becomes payable later (a
--       guarantee hold released by date, a failed in-flight tranche) goes on a dispute hold at
--       once, and money that lands as paid (an in-flight tranche succeeded) is flagged; after a
--       lost dispute it is forfeited. Nothing of a disputed placement is ever payable.
--
-- A late charge.dispute.created after the dispute closed changes nothing (closed is terminal).
-- Unknown charge: PT404 (the event fails and is retried: invoice.paid may not have been
-- processed yet; a charge that is not a placement's stays visible as a failed event).

-- Fail fast rather than queue behind (and in front of) live traffic; the CLI runs each
-- migration file in one transaction, so these last for this file only.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create table private.payment_disputes (
  id uuid primary key default pg_catalog.gen_random_uuid(),
  placement_id uuid not null references public.placements (id),
  kind text not null check (kind in ('dispute', 'refund')),
  -- dp_... for a dispute, the charge for a refund
  stripe_object_id text not null,
  stripe_charge_id text not null,
  amount bigint not null check (amount >= 0),
  currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
  reason text,
  status text not null check (status in ('open', 'won', 'lost', 'refunded')),
  opened_at timestamptz not null,
  closed_at timestamptz,
  stripe_status text,
  -- what opening it did
  held_amount bigint not null default 0 check (held_amount >= 0),
  flagged_payout_ids uuid[] not null default '{}',
  created_at timestamptz not null default pg_catalog.now(),
  updated_at timestamptz not null default pg_catalog.now(),
  unique (kind, stripe_object_id),
  check ((status in ('won', 'lost')) = (closed_at is not null)),
  check ((kind = 'refund') = (status = 'refunded'))
);
comment on table private.payment_disputes is
  'Refunds and disputes of placement payments (Stripe): status open | won | lost | refunded, what was held and flagged. While a dispute is open nothing of the placement is payable (trigger payout_payment_dispute); lost: forfeited and flagged for reversal.';
create index payment_disputes_placement_id_idx on private.payment_disputes (placement_id);
create index payment_disputes_open_idx on private.payment_disputes (placement_id) where status in ('open', 'lost');
alter table private.payment_disputes enable row level security;
revoke all on table private.payment_disputes from public, anon, authenticated, service_role;
create trigger money_guard before insert or update or delete on private.payment_disputes
  for each row execute function private.guard_money_write('', 'all');
select private.enable_audit('private.payment_disputes'::regclass, 'payment_dispute');

-- The placement of a charge (or payment intent) of a recorded invoice payment.
create function private.placement_of_charge(p_charge_id text, p_payment_intent_id text default null)
returns uuid
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(
    (select p.placement_id from private.placement_invoice_payments p where p.stripe_charge_id = p_charge_id),
    (select p.placement_id from private.placement_invoice_payments p
      where p_payment_intent_id is not null and p.stripe_payment_intent_id = p_payment_intent_id limit 1),
    (select i.placement_id from public.placement_invoices i
      where p_payment_intent_id is not null and i.stripe_payment_intent_id = p_payment_intent_id))
$$;
comment on function private.placement_of_charge(text, text) is
  'The placement whose paid invoice was paid by this Stripe charge (or payment intent), or null.';

-- Internal (inside a transition): flags the paid, unreversed payouts of a placement.
create function private.flag_disputed_payouts(p_placement_id uuid, p_event_type text, p_reason text, p_now timestamptz)
returns uuid[]
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_ids uuid[];
begin
  with f as (
    update public.payouts po set flagged_for_reversal_at = p_now
     where po.placement_id = p_placement_id and po.paid_amount > po.reversed_amount
       and po.flagged_for_reversal_at is null
    returning po.id
  )
  select pg_catalog.array_agg(f.id order by f.id) into v_ids from f;
  perform private.emit_event(p_event_type, 'payout', po.id, po.placement_id, po.id,
    pg_catalog.jsonb_build_object('paid_amount', po.paid_amount, 'reversed_amount', po.reversed_amount,
      'to_reverse', po.paid_amount - po.reversed_amount, 'currency', po.currency, 'reason', p_reason))
  from public.payouts po where po.id = any (v_ids) order by po.id;
  return coalesce(v_ids, '{}');
end
$$;
comment on function private.flag_disputed_payouts(uuid, text, text, timestamptz) is
  'Internal (inside a transition): sets flagged_for_reversal_at on the placement''s payouts with paid, unreversed money that are not flagged yet; emits p_event_type per payout. Returns their ids.';

-- Internal (inside a transition): the placement's payable money goes on dispute holds.
create function private.hold_disputed_payables(p_placement_id uuid, p_payout_ids uuid[], p_now timestamptz)
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_ids uuid[];
  v_amounts bigint[];
begin
  select pg_catalog.array_agg(po.id order by po.id), pg_catalog.array_agg(po.payable_amount order by po.id)
    into v_ids, v_amounts
  from public.payouts po
  where po.placement_id = p_placement_id and po.payable_amount > 0
    and (p_payout_ids is null or po.id = any (p_payout_ids));
  if v_ids is null then
    return 0;
  end if;
  perform private.hold_payout_amounts(v_ids, v_amounts, 'dispute', null, p_now);
  return (select sum(a) from pg_catalog.unnest(v_amounts) a)::bigint;
end
$$;
comment on function private.hold_disputed_payables(uuid, uuid[], timestamptz) is
  'Internal (inside a transition): puts the whole payable amount of the placement''s payouts (or of the listed ones) on dispute holds without a release date. Returns the amount held.';

-- Internal (inside a transition): payable money of the placement's payouts is forfeited.
create function private.forfeit_disputed_payables(p_placement_id uuid, p_payout_ids uuid[], p_reason text, p_now timestamptz)
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_ids uuid[];
  v_total bigint;
begin
  with upd as (
    update public.payouts po
       set forfeited_amount = po.forfeited_amount + po.payable_amount, payable_amount = 0
      from (select x.id, x.payable_amount from public.payouts x
            where x.placement_id = p_placement_id and x.payable_amount > 0
              and (p_payout_ids is null or x.id = any (p_payout_ids))) old
     where po.id = old.id
    returning po.id, old.payable_amount
  )
  select pg_catalog.array_agg(upd.id order by upd.id), coalesce(sum(upd.payable_amount), 0)::bigint
    into v_ids, v_total
  from upd;
  perform private.emit_event('payout.dispute_forfeited', 'payout', po.id, po.placement_id, po.id,
    pg_catalog.jsonb_build_object('forfeited_amount', po.forfeited_amount, 'currency', po.currency, 'reason', p_reason))
  from public.payouts po where po.id = any (v_ids) order by po.id;
  perform private.sync_payout_status(v_ids, p_reason, p_now);
  return v_total;
end
$$;
comment on function private.forfeit_disputed_payables(uuid, uuid[], text, timestamptz) is
  'Internal (inside a transition): payable -> forfeited for the placement''s payouts (or the listed ones), event payout.dispute_forfeited, payouts to their derived status. Returns the amount forfeited.';

-- ---------------------------------------------------------------------------------------------
-- Opening: charge.refunded, charge.dispute.created
-- ---------------------------------------------------------------------------------------------
create function private.stripe_record_payment_dispute(p_effect jsonb, p_now timestamptz default pg_catalog.now())
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  e_kind text := p_effect ->> 'source';
  e_stripe_object_id text := p_effect ->> 'stripe_object_id';
  e_charge_id text := p_effect ->> 'charge_id';
  e_payment_intent_id text := p_effect ->> 'payment_intent_id';
  e_amount bigint := (p_effect ->> 'amount')::bigint;
  e_currency text := p_effect ->> 'currency';
  e_reason text := p_effect ->> 'reason';
  e_occurred_at timestamptz := (p_effect ->> 'occurred_at')::timestamptz;
  e_event_id text := p_effect ->> 'stripe_event_id';
  v_placement public.placements;
  v_placement_id uuid;
  v_row private.payment_disputes;
  v_prev jsonb;
  v_held bigint;
  v_flagged uuid[];
begin
  if e_kind is null or e_kind not in ('dispute', 'refund') then
    raise exception 'source must be dispute or refund (got %)', e_kind using errcode = 'PT400';
  end if;
  if coalesce(e_stripe_object_id, '') = '' or coalesce(e_charge_id, '') = '' then
    raise exception 'a Stripe object id and a charge id are required' using errcode = 'PT400';
  end if;
  v_placement_id := private.placement_of_charge(e_charge_id, e_payment_intent_id);
  if v_placement_id is null then
    raise exception 'charge % is not the payment of a recorded placement invoice (yet)', e_charge_id
      using errcode = 'PT404', hint = 'Processed again once invoice.paid of that payment has been processed.';
  end if;
  select * into v_placement from public.placements pl where pl.id = v_placement_id for update;

  select * into v_row from private.payment_disputes d where d.kind = e_kind and d.stripe_object_id = e_stripe_object_id
  for update;
  if found then
    if v_row.kind = 'refund' and coalesce(e_amount, 0) > v_row.amount then
      -- a further (partial) refund of the same charge: amount grows, nothing else changes
      v_prev := private.enter_transition('payment_dispute.refund_update', e_reason);
      update private.payment_disputes d set amount = e_amount where d.id = v_row.id returning * into v_row;
      perform private.leave_transition(v_prev);
      return pg_catalog.jsonb_build_object('outcome', 'applied', 'payment_dispute_id', v_row.id, 'amount', v_row.amount,
                                           'placement_id', v_placement_id);
    end if;
    -- the same dispute again, or a late "created" after it closed: nothing to do
    return pg_catalog.jsonb_build_object('outcome', 'noop', 'payment_dispute_id', v_row.id, 'status', v_row.status,
                                         'placement_id', v_placement_id);
  end if;

  v_prev := private.enter_transition('payment_dispute.open', coalesce(e_reason, e_kind));
  -- lock order: placement -> payouts (id order)
  perform 1 from public.payouts po where po.placement_id = v_placement_id order by po.id for update;
  insert into private.payment_disputes (placement_id, kind, stripe_object_id, stripe_charge_id, amount, currency, reason,
                                        status, opened_at)
  values (v_placement_id, e_kind, e_stripe_object_id, e_charge_id, coalesce(e_amount, 0),
          coalesce(pg_catalog.upper(e_currency), v_placement.currency::text), pg_catalog.left(e_reason, 200),
          case when e_kind = 'refund' then 'refunded' else 'open' end, coalesce(e_occurred_at, p_now))
  returning * into v_row;

  v_held := private.hold_disputed_payables(v_placement_id, null, p_now);
  v_flagged := private.flag_disputed_payouts(v_placement_id, 'payout.dispute_flagged',
                                             e_kind || ' ' || e_stripe_object_id, p_now);
  update private.payment_disputes d set held_amount = v_held, flagged_payout_ids = v_flagged
   where d.id = v_row.id returning * into v_row;

  perform private.emit_event('placement.payment_disputed', 'placement', v_placement_id, v_placement_id, null,
    pg_catalog.jsonb_build_object('kind', e_kind, 'payment_dispute_id', v_row.id, 'stripe_object_id', e_stripe_object_id,
      'stripe_charge_id', e_charge_id, 'amount', v_row.amount, 'currency', v_row.currency, 'reason', e_reason,
      'held_amount', v_held, 'flagged_payout_ids', pg_catalog.to_jsonb(v_flagged), 'stripe_event_id', e_event_id));
  perform private.leave_transition(v_prev);

  return pg_catalog.jsonb_build_object('outcome', 'applied', 'payment_dispute_id', v_row.id, 'placement_id', v_placement_id,
    'kind', e_kind, 'held_amount', v_held, 'flagged_payout_ids', pg_catalog.to_jsonb(v_flagged));
end
$$;
comment on function private.stripe_record_payment_dispute(jsonb, timestamptz) is
  'Effect of charge.refunded (source refund, keyed by the charge) and charge.dispute.created (source dispute, keyed by dp_); p_effect {source, stripe_object_id, charge_id, payment_intent_id, amount, currency, reason, occurred_at, stripe_event_id}: the placement paid by that charge gets its payable money on dispute holds, its paid payouts flagged (payout.dispute_flagged) and the alert event placement.payment_disputed. Once per dispute / refunded charge (a larger refund only updates the amount; a late created after closing: noop). PT400, PT404 unknown charge.';

-- ---------------------------------------------------------------------------------------------
-- Closing: charge.dispute.closed
-- ---------------------------------------------------------------------------------------------
create function private.stripe_close_payment_dispute(p_effect jsonb, p_now timestamptz default pg_catalog.now())
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  e_stripe_dispute_id text := p_effect ->> 'stripe_dispute_id';
  e_charge_id text := p_effect ->> 'charge_id';
  e_outcome text := p_effect ->> 'outcome';
  e_stripe_status text := p_effect ->> 'stripe_status';
  e_closed_at timestamptz := (p_effect ->> 'closed_at')::timestamptz;
  e_event_id text := p_effect ->> 'stripe_event_id';
  v_row private.payment_disputes;
  v_placement public.placements;
  v_prev jsonb;
  v_still_open boolean;
  v_released bigint := 0;
  v_cancelled bigint := 0;
  v_forfeited bigint := 0;
  v_flagged uuid[] := '{}'::uuid[];
  v_cleared uuid[] := '{}'::uuid[];
  v_schedule record;
  v_hold_ids uuid[];
begin
  if e_outcome is null or e_outcome not in ('won', 'lost') then
    raise exception 'outcome must be won or lost (got %)', e_outcome using errcode = 'PT400';
  end if;
  select * into v_row from private.payment_disputes d where d.kind = 'dispute' and d.stripe_object_id = e_stripe_dispute_id;
  if not found then
    -- closed before we saw it open (events out of order, or the opening event failed): open it now
    if e_charge_id is null then
      raise exception 'dispute % unknown and no charge given', e_stripe_dispute_id using errcode = 'PT404';
    end if;
    perform private.stripe_record_payment_dispute(
      pg_catalog.jsonb_build_object('source', 'dispute', 'stripe_object_id', e_stripe_dispute_id, 'charge_id', e_charge_id,
        'reason', 'closed before opened', 'occurred_at', e_closed_at, 'stripe_event_id', e_event_id),
      p_now);
    select * into v_row from private.payment_disputes d where d.kind = 'dispute' and d.stripe_object_id = e_stripe_dispute_id;
  end if;
  select * into v_placement from public.placements pl where pl.id = v_row.placement_id for update;
  select * into v_row from private.payment_disputes d where d.id = v_row.id for update;
  if v_row.status <> 'open' then
    return pg_catalog.jsonb_build_object('outcome', 'noop', 'payment_dispute_id', v_row.id, 'status', v_row.status);
  end if;

  v_prev := private.enter_transition('payment_dispute.' || e_outcome, 'Stripe dispute ' || e_stripe_dispute_id || ' '
                                                                      || coalesce(e_stripe_status, e_outcome));
  perform 1 from public.payouts po where po.placement_id = v_row.placement_id order by po.id for update;
  -- closed first: the payout trigger must see it closed when the holds are released
  update private.payment_disputes d
     set status = e_outcome, closed_at = coalesce(e_closed_at, p_now), stripe_status = e_stripe_status
   where d.id = v_row.id returning * into v_row;
  v_still_open := exists (select 1 from private.payment_disputes d
                          where d.placement_id = v_row.placement_id and d.status = 'open');

  if e_outcome = 'won' and not v_still_open then
    select pg_catalog.array_agg(h.id order by h.id), coalesce(sum(h.hold_amount), 0)::bigint into v_hold_ids, v_released
    from public.escrow_holds h
    where h.placement_id = v_row.placement_id and h.status = 'active' and h.hold_reason = 'dispute';
    if v_hold_ids is not null then
      perform private.release_holds(v_hold_ids, 'escrow_hold.released', 'payment dispute won', p_now);
    end if;
    -- flags of a placement that did not fail (a failed placement's payouts stay flagged)
    with c as (
      update public.payouts po set flagged_for_reversal_at = null
       where po.placement_id = v_row.placement_id and po.flagged_for_reversal_at is not null
         and po.status <> 'flagged_for_reversal' and v_placement.status <> 'failed'
         and not exists (select 1 from private.payment_disputes d
                         where d.placement_id = po.placement_id and d.status in ('lost', 'refunded'))
      returning po.id
    )
    select coalesce(pg_catalog.array_agg(c.id order by c.id), '{}') into v_cleared from c;
    perform private.emit_event('payout.dispute_flag_cleared', 'payout', po.id, po.placement_id, po.id,
      pg_catalog.jsonb_build_object('reason', 'payment dispute won', 'stripe_dispute_id', e_stripe_dispute_id))
    from public.payouts po where po.id = any (v_cleared) order by po.id;
  elsif e_outcome = 'lost' then
    -- the company has its money back: nothing of this placement is paid any more
    select coalesce(sum(h.hold_amount), 0)::bigint into v_cancelled
    from public.escrow_holds h where h.placement_id = v_row.placement_id and h.status = 'active';
    perform private.cancel_holds(
      array(select h.id from public.escrow_holds h where h.placement_id = v_row.placement_id and h.status = 'active'
            order by h.id),
      'payment dispute lost', p_now);
    v_forfeited := private.forfeit_disputed_payables(v_row.placement_id, null, 'payment dispute lost', p_now);
    for v_schedule in
      select s.id from public.payout_schedules s
      where s.placement_id = v_row.placement_id and s.status in ('pending', 'failed') order by s.id
    loop
      perform private.transition_payout_schedule(v_schedule.id, 'cancelled', 'payment dispute lost', p_now);
    end loop;
    v_flagged := private.flag_disputed_payouts(v_row.placement_id, 'payout.reversal_flagged', 'payment dispute lost', p_now);
    perform private.emit_event('payout.reversal_flagged', 'payout', po.id, po.placement_id, po.id,
      pg_catalog.jsonb_build_object('paid_amount', po.paid_amount, 'reversed_amount', po.reversed_amount,
        'to_reverse', po.paid_amount - po.reversed_amount, 'currency', po.currency, 'reason', 'payment dispute lost'))
    from public.payouts po
    where po.placement_id = v_row.placement_id and po.paid_amount > po.reversed_amount
      and po.flagged_for_reversal_at is not null and not (po.id = any (v_flagged))
    order by po.id;
  end if;

  perform private.emit_event('placement.payment_dispute_closed', 'placement', v_row.placement_id, v_row.placement_id, null,
    pg_catalog.jsonb_build_object('payment_dispute_id', v_row.id, 'stripe_dispute_id', e_stripe_dispute_id,
      'outcome', e_outcome, 'stripe_status', e_stripe_status, 'released_amount', v_released,
      'cancelled_hold_amount', v_cancelled, 'forfeited_amount', v_forfeited, 'still_open', v_still_open,
      'stripe_event_id', e_event_id));
  perform private.leave_transition(v_prev);

  return pg_catalog.jsonb_build_object('outcome', 'applied', 'payment_dispute_id', v_row.id,
    'placement_id', v_row.placement_id, 'status', v_row.status, 'released_amount', v_released,
    'cancelled_hold_amount', v_cancelled, 'forfeited_amount', v_forfeited, 'still_open', v_still_open);
end
$$;
comment on function private.stripe_close_payment_dispute(jsonb, timestamptz) is
  'Effect of charge.dispute.closed (p_effect {stripe_dispute_id, charge_id, outcome won|lost, stripe_status, closed_at, stripe_event_id}): won (won, warning_closed) releases the placement''s dispute holds and clears the flags unless another dispute is open; lost cancels every active hold (forfeited), forfeits payable money, cancels live schedules and keeps the paid payouts flagged for reversal (payout.reversal_flagged). Event placement.payment_dispute_closed. Already closed: noop. PT400/PT404.';

-- ---------------------------------------------------------------------------------------------
-- While disputed, nothing becomes payable
-- ---------------------------------------------------------------------------------------------
create function private.enforce_payment_dispute()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  r record;
  v_prev jsonb;
begin
  -- Per disputed placement of the statement's payouts whose payable or paid money grew.
  for r in
    select n.placement_id, st.state,
           pg_catalog.array_agg(n.id order by n.id) filter (where n.payable_amount > o.payable_amount) as payable_ids,
           pg_catalog.bool_or(n.paid_amount > o.paid_amount) as paid_grew
      from new_rows n
      join old_rows o on o.id = n.id
      cross join lateral (
        select case when pg_catalog.bool_or(d.status = 'lost') then 'lost'
                    when pg_catalog.bool_or(d.status = 'open') then 'open' end as state
          from private.payment_disputes d
         where d.placement_id = n.placement_id and d.status in ('open', 'lost')) st
     where st.state is not null
       and (n.payable_amount > o.payable_amount or n.paid_amount > o.paid_amount)
     group by n.placement_id, st.state
     order by n.placement_id
  loop
    v_prev := private.enter_transition('payout.dispute_enforce', 'payment ' || case r.state when 'lost' then 'dispute lost'
                                                                                          else 'disputed' end);
    if r.payable_ids is not null then
      if r.state = 'open' then
        perform private.hold_disputed_payables(r.placement_id, r.payable_ids, pg_catalog.now());
      else
        perform private.forfeit_disputed_payables(r.placement_id, r.payable_ids, 'payment dispute lost', pg_catalog.now());
      end if;
    end if;
    if r.paid_grew then
      perform private.flag_disputed_payouts(r.placement_id,
        case r.state when 'lost' then 'payout.reversal_flagged' else 'payout.dispute_flagged' end,
        'paid while the payment was ' || case r.state when 'lost' then 'lost in a dispute' else 'disputed' end,
        pg_catalog.now());
    end if;
    perform private.leave_transition(v_prev);
  end loop;
  return null;
end
$$;
comment on function private.enforce_payment_dispute() is
  'Trigger (AFTER UPDATE on payouts, per statement, when payable or paid grew): while a dispute of the placement is open, new payable money goes on a dispute hold and newly paid money is flagged; after a lost dispute payable money is forfeited (and paid money flagged for reversal).';
-- Per statement, and named after payout_audit_update (triggers of one kind fire in name order):
-- the statement's own audit row is written first, then these changes with theirs, so the latest
-- audit row of a payout is its current row. A row trigger fired before the statement's audit
-- trigger: its changes were audited first and the statement's older row last (found by the soak).
create trigger payout_payment_dispute after update on public.payouts
  referencing old table as old_rows new table as new_rows
  for each statement
  execute function private.enforce_payment_dispute();

revoke execute on function
  private.placement_of_charge(text, text),
  private.flag_disputed_payouts(uuid, text, text, timestamptz),
  private.hold_disputed_payables(uuid, uuid[], timestamptz),
  private.forfeit_disputed_payables(uuid, uuid[], text, timestamptz),
  private.stripe_record_payment_dispute(jsonb, timestamptz),
  private.stripe_close_payment_dispute(jsonb, timestamptz),
  private.enforce_payment_dispute()
from public, anon, authenticated, service_role;
