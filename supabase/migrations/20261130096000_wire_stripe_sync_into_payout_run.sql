-- Wires the Stripe-sync layer into the payout run:
-- 1. the charge recorded from invoice.paid funds the transfers (source_transaction), through the
--    run's extension point private.payout_transfer_source_charge;
-- 2. open clawbacks are netted from the recruiter's payable money before each claim;
-- 3. one setup function (re)creates every pg_cron job of the product: private.setup_cron.

set local lock_timeout = '5s';
set local statement_timeout = '60s';

create or replace function private.payout_transfer_source_charge(p_placement_id uuid)
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select private.placement_source_transaction(p_placement_id)
$$;
comment on function private.payout_transfer_source_charge(uuid) is
  'The Stripe charge that funds the transfers of a placement (their source_transaction): the charge recorded from invoice.paid (private.placement_source_transaction); null = the payout run looks it up at Stripe from the invoice''s payments.';

create or replace function private.claim_payout_batch(
  p_invocation_id uuid,
  p_limit integer default 25,
  p_lease interval default null,
  p_now timestamptz default pg_catalog.now())
returns table (
  outcome text,
  schedule_id uuid,
  payout_id uuid,
  placement_id uuid,
  transfer_id uuid,
  amount bigint,
  currency text,
  destination_account_id text,
  idempotency_key text,
  attempt_number integer,
  skip_reason text,
  transfer_group text,
  stripe_invoice_id text,
  stripe_payment_intent_id text,
  source_charge_id text,
  transfer_created_at timestamptz,
  request_params jsonb,
  request_prepared_at timestamptz)
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_inv private.payout_run_invocations := private.payout_invocation(p_invocation_id);
  v_claims jsonb;
begin
  -- What a recruiter owes from a partial reversal is netted from their payable money first
  -- (docs/stripe-sync.md), so the claim below only transfers what is left.
  perform private.apply_clawback_offsets(p_now);

  select coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(c)), '[]'::jsonb) into v_claims
  from private.claim_due_payout_schedules(v_inv.run_id, p_limit, p_lease, p_now, p_invocation_id) c;

  perform private.count_payout_invocation(p_invocation_id, (
    select pg_catalog.jsonb_build_object(
      'claimed', pg_catalog.count(*) filter (where x ->> 'outcome' = 'claimed'),
      'reclaimed', pg_catalog.count(*) filter (where x ->> 'outcome' = 'reclaimed'),
      'skipped', pg_catalog.count(*) filter (where x ->> 'outcome' = 'skipped'),
      'cancelled', pg_catalog.count(*) filter (where x ->> 'outcome' = 'cancelled'),
      'skip_reasons', coalesce((
        select pg_catalog.jsonb_object_agg(s.reason, s.n)
        from (select y ->> 'skip_reason' as reason, pg_catalog.count(*) as n
              from pg_catalog.jsonb_array_elements(v_claims) y
              where y ->> 'outcome' = 'skipped'
              group by 1) s), '{}'::jsonb))
    from pg_catalog.jsonb_array_elements(v_claims) x), p_now);

  return query
  select c.outcome, c.schedule_id, c.payout_id, s.placement_id, c.transfer_id, c.amount, c.currency,
         c.destination_account_id, c.idempotency_key, c.attempt_number, c.skip_reason,
         'placement_' || s.placement_id::text, i.stripe_invoice_id, i.stripe_payment_intent_id,
         private.payout_transfer_source_charge(s.placement_id), t.created_at, q.params, q.prepared_at
  from pg_catalog.jsonb_to_recordset(v_claims) as c(
         schedule_id uuid, payout_id uuid, outcome text, transfer_id uuid, amount bigint, currency text,
         destination_account_id text, idempotency_key text, attempt_number integer, skip_reason text)
  join public.payout_schedules s on s.id = c.schedule_id
  left join public.payout_transfers t on t.id = c.transfer_id
  left join public.placement_invoices i on i.placement_id = s.placement_id
  left join private.payout_transfer_requests q on q.transfer_id = c.transfer_id
  order by c.schedule_id;
end
$$;
comment on function private.claim_payout_batch(uuid, integer, interval, timestamptz) is
  'Payout run: nets open clawbacks (private.apply_clawback_offsets), then private.claim_due_payout_schedules for the invocation''s run (claimed / reclaimed / skipped / cancelled; tranche and idempotency key committed with the claim), counted on the invocation, with what the Stripe request needs: transfer_group (placement_<id>), the invoice''s Stripe ids and the charge when known (private.payout_transfer_source_charge; for source_transaction), and the stored request of a reclaimed tranche. PT400/PT404.';


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
