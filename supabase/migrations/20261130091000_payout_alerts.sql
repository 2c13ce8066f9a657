-- Stripe sync, part 11: public.payout_alerts (admin-only), the Stripe sync cron jobs and the
-- product's one cron setup.
--
-- public.payout_alerts: what needs an operator, one row per problem. Healthy = empty.
--   transfer_missing_in_stripe   a succeeded tranche whose transfer Stripe does not have      (reconciliation)
--   transfer_unknown_to_us       a Stripe transfer we have no tranche for, or a second one    (reconciliation)
--   transfer_mismatch            amount / currency / destination / status differ             (reconciliation)
--   tranche_stuck                a tranche in flight 15 min past its schedule's lease
--   schedule_exhausted           a schedule that failed max_attempts times (admin: trigger_payout_schedule)
--   webhook_processing_failed    a Stripe event that failed (or was never processed) and waits for a retry
--   hold_past_release_date       an active hold an hour past its release time (the release job did not run)
--   clawback_outstanding         an amount a recruiter still owes (netted from their next payouts)
--   payment_disputed             an open dispute of a placement's payment, or a refund whose dispute holds
--                                wait for an admin decision
--   payout_flagged_for_reversal  paid money of a failed placement or a lost dispute not reversed yet
--   reversal_failed              a reversal Stripe refused (not a low balance)
--   bank_payout_failed           a recruiter's connected account failed to pay out to their bank (7 days)
--   company_invoice_voided       the company's live Stripe invoice of an unpaid placement invoice was voided
--                                at Stripe (not by a reissue): reissue it or fail the placement
--   company_invoice_uncollectible  ... marked uncollectible at Stripe: reissue, fail, or wait for a late payment
--   company_invoice_failed       Stripe refused a step of invoicing the company (billing worker): reissue or fail
--   stripe_events_gap            the events catch-up resumed past Stripe's 30-day event retention: events
--                                created in the gap may never have reached the inbox (30 days)
--   break_glass_used             a four-eyes request executed by postgres over SQL (7 days)
--   cap_reached                  a velocity cap held tranches back on the UTC day of p_now or the day before
--                                (20261202140000_velocity_caps; one row per currency and scope)
-- A security_invoker view over a security definer function that returns nothing unless the caller
-- is a platform admin (the function reads private tables the caller cannot).
--
-- private.setup_stripe_sync_cron(enabled, reconcile schedule, reversal doorbell schedule): the
-- setup of this layer's cron jobs (stripe-sync-*; the payout run owns payouts-*): daily
-- reconcile-payouts (pg_net, URL and job secret from Vault at run time) and a per-minute reversal
-- doorbell that rings reverse-payouts only when a reversal is due.
--
-- private.setup_cron(enabled): THE one setup of every cron job of the product (what a deploy runs
-- as postgres after db push): private.setup_payout_cron (20261129090300) and
-- private.setup_stripe_sync_cron. Here because it is the last layer that owns cron jobs.

-- Fail fast rather than queue behind (and in front of) live traffic; the CLI runs each
-- migration file in one transaction, so these last for this file only.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create function private.payout_alert_rows(p_now timestamptz default pg_catalog.now())
returns table (
  kind text,
  subject_type text,
  subject_id text,
  placement_id uuid,
  payout_id uuid,
  recruiter_id uuid,
  amount bigint,
  currency text,
  detected_at timestamptz,
  details jsonb)
-- plpgsql (tables resolved when it runs): it reads tables of later migrations (velocity caps)
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  return query
  select a.* from (
    -- reconciliation findings
    select f.kind, case when f.kind = 'transfer_missing_in_stripe' then 'payout_transfer' else 'stripe_transfer' end,
           f.subject, f.placement_id, f.payout_id, po.recruiter_id, f.amount, f.currency::text, f.first_seen_at,
           f.details || pg_catalog.jsonb_build_object('stripe_transfer_id', f.stripe_transfer_id,
                                                      'last_seen_at', f.last_seen_at)
    from private.reconciliation_findings f
    left join public.payouts po on po.id = f.payout_id
    where f.resolved_at is null
    union all
    -- in flight long past the lease: nobody is resolving it
    select 'tranche_stuck', 'payout_transfer', t.id::text, t.placement_id, t.payout_id, t.recruiter_id, t.amount,
           t.currency::text, coalesce(s.lease_expires_at, t.created_at),
           pg_catalog.jsonb_build_object('status', t.status, 'schedule_status', s.status, 'lease_expires_at',
             s.lease_expires_at, 'idempotency_key', t.idempotency_key, 'failure_reason', t.failure_reason)
    from public.payout_transfers t
    join public.payout_schedules s on s.id = t.schedule_id
    where t.status in ('pending', 'unknown')
      and coalesce(s.lease_expires_at, t.created_at) < p_now - interval '15 minutes'
    union all
    select 'schedule_exhausted', 'payout_schedule', s.id::text, s.placement_id, s.payout_id, s.recruiter_id,
           po.payable_amount, po.currency::text, coalesce(s.last_retry_at, s.updated_at),
           pg_catalog.jsonb_build_object('retry_count', s.retry_count, 'max_attempts', s.max_attempts,
                                         'failure_reason', s.failure_reason)
    from public.payout_schedules s
    join public.payouts po on po.id = s.payout_id
    where s.is_exhausted
    union all
    select 'webhook_processing_failed', 'stripe_event', e.id, null, null, null, null, null,
           coalesce(e.last_attempt_at, e.received_at),
           pg_catalog.jsonb_build_object('type', e.type, 'status', e.status, 'attempts', e.attempts,
                                         'deliveries', e.deliveries, 'last_error', e.last_error, 'account', e.account)
    from private.stripe_webhook_events e
    where e.status = 'failed' or (e.status = 'received' and e.received_at < p_now - interval '10 minutes')
    union all
    select 'hold_past_release_date', 'escrow_hold', h.id::text, h.placement_id, h.payout_id, h.recruiter_id,
           h.hold_amount, h.currency::text,
           (h.release_scheduled_date + (private.settings()).escrow_release_time) at time zone 'UTC',
           pg_catalog.jsonb_build_object('hold_reason', h.hold_reason, 'release_scheduled_date', h.release_scheduled_date)
    from public.escrow_holds h
    join public.placements pl on pl.id = h.placement_id
    where h.status = 'active' and pl.status <> 'failed'
      and ((h.release_scheduled_date + (private.settings()).escrow_release_time) at time zone 'UTC')
          < p_now - interval '1 hour'
    union all
    select 'clawback_outstanding', 'recruiter_clawback', c.id::text, null, c.payout_id, c.recruiter_id,
           c.outstanding_amount, c.currency::text, c.created_at,
           pg_catalog.jsonb_build_object('amount', c.amount, 'offset_amount', c.offset_amount,
                                         'payout_reversal_id', c.payout_reversal_id)
    from public.recruiter_clawbacks c
    where c.offset_amount < c.amount
    union all
    select 'payment_disputed', 'payment_dispute', d.id::text, d.placement_id, null, null, d.amount, d.currency::text,
           d.opened_at,
           pg_catalog.jsonb_build_object('kind', d.kind, 'status', d.status, 'stripe_object_id', d.stripe_object_id,
             'stripe_charge_id', d.stripe_charge_id, 'reason', d.reason, 'held_amount', d.held_amount,
             'flagged_payout_ids', pg_catalog.to_jsonb(d.flagged_payout_ids))
    from private.payment_disputes d
    where d.status = 'open'
       or (d.status = 'refunded' and exists (select 1 from public.escrow_holds h
                                             where h.placement_id = d.placement_id and h.status = 'active'
                                               and h.hold_reason = 'dispute'))
    union all
    select 'payout_flagged_for_reversal', 'payout', po.id::text, po.placement_id, po.id, po.recruiter_id,
           po.paid_amount - po.reversed_amount, po.currency::text, po.flagged_for_reversal_at,
           pg_catalog.jsonb_build_object('status', po.status, 'paid_amount', po.paid_amount,
             'reversed_amount', po.reversed_amount,
             'reversal_in_progress', exists (select 1 from public.payout_reversals r
                                             where r.payout_id = po.id and r.status in ('pending', 'processing')))
    from public.payouts po
    where po.flagged_for_reversal_at is not null and po.paid_amount > po.reversed_amount
    union all
    select 'reversal_failed', 'payout_reversal', r.id::text, r.placement_id, r.payout_id, r.recruiter_id, r.amount,
           r.currency::text, r.completed_at,
           pg_catalog.jsonb_build_object('failure_code', r.failure_code, 'failure_reason', r.failure_reason,
                                         'stripe_transfer_id', r.stripe_transfer_id)
    from public.payout_reversals r
    where r.status = 'failed'
      and not exists (select 1 from public.payout_reversals r2
                      where r2.transfer_id = r.transfer_id and r2.requested_at > r.requested_at)
    union all
    select 'bank_payout_failed', 'connected_payout_failure', b.id::text, null, null, b.recruiter_id, b.amount,
           b.currency::text, b.recorded_at,
           pg_catalog.jsonb_build_object('stripe_account_id', b.stripe_account_id, 'stripe_payout_id', b.stripe_payout_id,
                                         'failure_code', b.failure_code, 'failure_message', b.failure_message)
    from private.connected_account_payout_failures b
    where b.recorded_at > p_now - interval '7 days'
    union all
    -- company billing: the live (or last, when voided) Stripe invoice of an unpaid placement
    -- invoice of a placement that has not failed
    select case when c.failed_at is not null then 'company_invoice_failed'
                when c.status = 'void' then 'company_invoice_voided'
                else 'company_invoice_uncollectible' end,
           'company_invoice', c.id::text, c.placement_id, null, null, c.amount_due, c.currency::text,
           coalesce(c.failed_at, c.voided_at, c.marked_uncollectible_at, c.updated_at),
           pg_catalog.jsonb_build_object('company_id', c.company_id, 'issue', c.issue, 'status', c.status,
             'stripe_invoice_id', c.stripe_invoice_id, 'failure_code', c.failure_code,
             'failure_reason', c.failure_reason)
    from public.company_invoices c
    join public.placements pl on pl.id = c.placement_id
    join public.placement_invoices i on i.id = c.invoice_id
    where c.void_requested_at is null and pl.status <> 'failed' and i.status not in ('paid', 'void')
      and (c.failed_at is not null or c.status = 'uncollectible'
           or (c.status = 'void' and not exists (select 1 from public.company_invoices n
                                                 where n.invoice_id = c.invoice_id and n.issue > c.issue)))
    union all
    -- the events catch-up started past Stripe's 30-day retention: events of the gap may be lost
    select 'stripe_events_gap', 'stripe_event_catch_up', c.id::text, null, null, null, null, null, c.gap_detected_at,
           pg_catalog.jsonb_build_object('gap_from', c.gap_from, 'gap_until', c.gap_until, 'cursor_at', c.cursor_at)
    from private.stripe_event_catch_up c
    where c.gap_detected_at > p_now - interval '30 days'
    union all
    -- a four-eyes request executed by postgres over SQL (20261202120000_admin_approvals), 7 days;
    -- read from the audit trail (entity_type leads an index), which outlives the request's changes
    select 'break_glass_used', 'admin_action_request', l.entity_id::text, null, null, null,
           (l.new_values ->> 'amount')::bigint, l.new_values ->> 'currency', l.created_at,
           pg_catalog.jsonb_build_object('action', l.new_values ->> 'action', 'args', l.new_values -> 'args',
             'requested_by', l.new_values ->> 'requested_by', 'reason', l.reason)
    from public.payout_audit_log l
    where l.entity_type = 'admin_action_request' and l.action = 'admin_action.break_glass'
      and l.created_at > p_now - interval '7 days'
    union all
    -- velocity caps (20261202140000_velocity_caps): a scope closed today or yesterday (UTC), with
    -- what it deferred to the next day; lifted: a lift exists for that day
    select 'cap_reached', 'payout_cap',
           u.currency || ':' || coalesce(u.recruiter_id::text, 'platform') || ':' || u.day::text, null, null,
           u.recruiter_id, u.deferred_amount, u.currency, u.reached_at,
           pg_catalog.jsonb_build_object('scope', case when u.recruiter_id is null then 'platform' else 'recruiter' end,
             'day', u.day, 'cap', case when u.recruiter_id is null then k.platform_daily_max else k.recruiter_daily_max end,
             'used_amount', u.used_amount, 'deferred_count', u.deferred_count,
             'lifted', exists (select 1 from private.payout_cap_lifts cl
                               where cl.currency = u.currency and cl.day = u.day
                                 and cl.recruiter_id is not distinct from u.recruiter_id))
    from private.payout_cap_usage u
    left join private.payout_caps k on k.currency = u.currency
    where u.reached_at is not null and u.day >= (p_now at time zone 'UTC')::date - 1
  ) a
  -- platform admins through the API; the owner's own SQL sessions (no role switched: SQL editor,
  -- psql); nobody else (PostgREST always switches to anon/authenticated/service_role)
  where (select private.is_platform_admin())
     or pg_catalog.current_setting('role', true) in ('none', 'postgres');
end
$$;
comment on function private.payout_alert_rows(timestamptz) is
  'Body of the view public.payout_alerts: every open problem (reconciliation findings and live checks, see the view), for platform admins only (other API callers get no row; SQL sessions of the owner without a role switch see them too).';

create view public.payout_alerts
with (security_invoker = true)
as
select a.kind, a.subject_type, a.subject_id, a.placement_id, a.payout_id, a.recruiter_id, a.amount, a.currency,
       a.detected_at, a.details
from private.payout_alert_rows() a;
comment on view public.payout_alerts is
  'Admin-only: what needs an operator, one row per problem (kind: transfer_missing_in_stripe, transfer_unknown_to_us, transfer_mismatch, tranche_stuck, schedule_exhausted, webhook_processing_failed, hold_past_release_date, clawback_outstanding, payment_disputed, payout_flagged_for_reversal, reversal_failed, bank_payout_failed, company_invoice_voided, company_invoice_uncollectible, company_invoice_failed, stripe_events_gap, break_glass_used, cap_reached). Healthy = empty. Other users read no row.';

revoke execute on function private.payout_alert_rows(timestamptz) from public, anon, authenticated, service_role;
grant execute on function private.payout_alert_rows(timestamptz) to authenticated;
revoke all on table public.payout_alerts from public, anon, authenticated, service_role;
grant select on table public.payout_alerts to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Cron
-- ---------------------------------------------------------------------------------------------
create function private.reversal_doorbell(p_now timestamptz default pg_catalog.now())
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  perform pg_catalog.pg_advisory_xact_lock(1885436300, pg_catalog.hashtext('payout_reversals'));
  if not exists (select 1 from public.payout_reversals r
                 where (r.status = 'pending' and r.requested_at <= p_now)
                    or (r.status = 'processing' and r.lease_expires_at <= p_now)) then
    return null;
  end if;
  return private.ring_stripe_sync_function('reverse-payouts', '{"trigger": "doorbell"}'::jsonb, p_now);
end
$$;
comment on function private.reversal_doorbell(timestamptz) is
  'Per-minute doorbell of reverse-payouts (cron job stripe-sync-reversal-doorbell): rings it (pg_net, Vault URL and job secret) only when a reversal request is pending or its lease expired. Returns the pg_net request id or null.';

create function private.setup_stripe_sync_cron(
  p_enabled boolean default true,
  p_reconcile_schedule text default '30 4 * * *',
  p_reversal_doorbell_schedule text default '* * * * *',
  p_billing_doorbell_schedule text default '* * * * *')
returns table (jobname text, schedule text, command text, active boolean)
language plpgsql
volatile
set search_path = ''
as $$
#variable_conflict use_column
begin
  perform cron.unschedule(j.jobid) from cron.job j where j.jobname like 'stripe-sync-%';
  if coalesce(p_enabled, true) then
    perform cron.schedule('stripe-sync-reconcile', p_reconcile_schedule,
      $cmd$select private.ring_stripe_sync_function('reconcile-payouts', '{"trigger": "cron"}')$cmd$);
    perform cron.schedule('stripe-sync-reversal-doorbell', p_reversal_doorbell_schedule,
      'select private.reversal_doorbell()');
    perform cron.schedule('stripe-sync-billing-doorbell', p_billing_doorbell_schedule,
      'select private.billing_doorbell()');
    -- the events catch-up: recovers events no webhook delivered (20261202090000)
    perform cron.schedule('stripe-sync-events-catch-up', '*/10 * * * *',
      $cmd$select private.ring_stripe_sync_function('stripe-events-catch-up', '{"trigger": "cron"}')$cmd$);
  end if;
  return query
  select j.jobname::text, j.schedule::text, j.command::text, j.active
  from cron.job j where j.jobname like 'stripe-sync-%' order by j.jobname;
end
$$;
comment on function private.setup_stripe_sync_cron(boolean, text, text, text) is
  'The cron setup of the Stripe sync (idempotent; part of private.setup_cron, which deploys run as postgres after db push): unschedules every stripe-sync-* job, then (p_enabled) schedules stripe-sync-reconcile (daily, 04:30 UTC: reconcile-payouts) and stripe-sync-reversal-doorbell (every minute, rings reverse-payouts when a reversal is due) stripe-sync-billing-doorbell (every minute: outbox intake of new placements, rings invoice-placements when a company invoice has work due) and stripe-sync-events-catch-up (every 10 minutes: stripe-events-catch-up). Plain function calls: URL and job secret come from Vault at run time. setup_stripe_sync_cron(false) removes them.';

revoke execute on function
  private.reversal_doorbell(timestamptz),
  private.setup_stripe_sync_cron(boolean, text, text, text)
from public, anon, authenticated, service_role;

create function private.setup_cron(p_enabled boolean default true)
returns table (jobname text, schedule text, command text, active boolean)
language plpgsql
volatile
set search_path = ''
as $$
begin
  return query select * from private.setup_payout_cron(p_enabled);
  return query select * from private.setup_stripe_sync_cron(p_enabled);
end
$$;
comment on function private.setup_cron(boolean) is
  'The one setup of every pg_cron job of the product (idempotent: unschedules and schedules): payout and escrow doorbells, job-history cleanup (private.setup_payout_cron), reversal doorbell and daily reconciliation (private.setup_stripe_sync_cron). p_enabled = false removes them all. Run as postgres after each deploy: select * from private.setup_cron();';
revoke execute on function private.setup_cron(boolean) from public, anon, authenticated, service_role;
