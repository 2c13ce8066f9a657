-- Stripe webhook: store and apply in one statement when the effect needs nothing from Stripe.
--
-- Edge Functions retire an isolate after 1 s of CPU (terminated at 2 s), everything counted: every
-- statement costs the webhook CPU (postgres.js describes each parameterized statement first, and
-- each transaction adds BEGIN, the role/actor settings and COMMIT). Most events (a connected
-- account's payout.failed, refunds, disputes, ignored types) are decided from the event alone, so
-- the function decides first and stores + applies them in ONE transaction:
--
--   private.receive_and_process_stripe_webhook_event(event, endpoint, effect, now)
--       = receive_stripe_webhook_event, then (unless a duplicate) process_stripe_webhook_event, in
--       the caller's transaction. An error rolls both back: the function then takes the usual path
--       (receive; decide; process; on error fail_stripe_webhook_event), which records the failure.
-- Events whose effect reads Stripe first (invoice payments, accounts, transfer reversals) keep
-- storing before the read (20261130090100).

set local lock_timeout = '5s';
set local statement_timeout = '60s';

create function private.receive_and_process_stripe_webhook_event(
  p_event jsonb, p_endpoint text, p_effect jsonb, p_now timestamptz default pg_catalog.now())
returns table (event_id text, status text, attempts integer, deliveries integer, duplicate boolean, result jsonb)
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_received record;
  v_result jsonb;
begin
  select * into strict v_received from private.receive_stripe_webhook_event(p_event, p_endpoint, p_now) r;
  if not v_received.duplicate then
    v_result := private.process_stripe_webhook_event(v_received.event_id, p_effect, p_now);
  end if;
  return query select e.id, e.status, e.attempts, e.deliveries, v_received.duplicate, v_result
               from private.stripe_webhook_events e where e.id = v_received.event_id;
end
$$;
comment on function private.receive_and_process_stripe_webhook_event(jsonb, text, jsonb, timestamptz) is
  'Webhook inbox: receive_stripe_webhook_event then, unless it is a duplicate, process_stripe_webhook_event with the effect decided from the event alone, in one transaction. Returns the stored row''s status after both and the effect''s result (null for a duplicate). An error rolls both back (the caller then stores the event and records the failure).';

revoke execute on function private.receive_and_process_stripe_webhook_event(jsonb, text, jsonb, timestamptz)
from public, anon, authenticated, service_role;
grant execute on function private.receive_and_process_stripe_webhook_event(jsonb, text, jsonb, timestamptz)
to stripe_sync;
