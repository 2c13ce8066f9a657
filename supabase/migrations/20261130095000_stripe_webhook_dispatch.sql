-- Stripe sync, last part: the webhook dispatcher (after every effect it dispatches to).
--
-- private.process_stripe_webhook_event(event id, effect, now): one transaction per event. Locks
-- the inbox row (a concurrent duplicate delivery waits, then finds it processed), skips an event
-- already processed or ignored, sets the actor (webhook), applies the effect the Edge Function
-- decided (supabase/functions/_shared/stripe_sync/events.ts maps event -> effect) and marks the event
-- processed or ignored with the effect's result. Any error rolls the whole transaction back; the
-- function then records the failure with private.fail_stripe_webhook_event.
--
-- private.receive_and_process_stripe_webhook_event(event, endpoint, effect, now): receive, then
-- (unless a duplicate) process, in ONE transaction, for events whose effect the function decides
-- from the event alone (a connected account's payout.failed, refunds, disputes, ignored types).
-- Every transaction costs the webhook's isolate CPU (BEGIN, the actor settings, COMMIT; each
-- parameterized statement is described first), and an isolate is retired at 1 s of CPU. An error
-- rolls both back; the function then takes the usual path (receive; decide; process; on error
-- fail_stripe_webhook_event), which records the failure. Events whose effect reads Stripe first
-- (invoice payments, accounts, transfer reversals) keep storing before the read.
--
-- Effects (p_effect ->> 'kind'). Each effect function takes the effect as jsonb, with the
-- event's id and Stripe creation time added by the dispatcher (stripe_event_id,
-- stripe_event_created_at), so the dispatch is one line per kind:
--   ignore                  {reason}                          nothing to do (unknown type/object)
--   invoice_paid            private.stripe_record_invoice_paid(effect, now)
--   account_capability      private.stripe_sync_account_capability(effect, now)
--   connected_payout_failed private.stripe_record_connected_payout_failure(effect, now)
--   transfer_reversals      private.record_transfer_reversals(stripe transfer id, reversals, now)
--                           (the reversal worker records its own reversals with it too)
--   payment_disputed        private.stripe_record_payment_dispute(effect, now) (charge.refunded,
--                           charge.dispute.created)
--   dispute_closed          private.stripe_close_payment_dispute(effect, now) (charge.dispute.closed)
--   company_invoice         private.record_company_invoice_state(effect, now) (invoice.finalized,
--                           .sent, .voided, .marked_uncollectible: company billing, 20261202110000)
-- An unknown kind: PT400.

-- Fail fast rather than queue behind (and in front of) live traffic; the CLI runs each
-- migration file in one transaction, so these last for this file only.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create function private.process_stripe_webhook_event(
  p_event_id text, p_effect jsonb, p_now timestamptz default pg_catalog.now())
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row private.stripe_webhook_events;
  v_kind text := p_effect ->> 'kind';
  v_effect jsonb;
  v_result jsonb;
  v_status text;
begin
  if p_effect is null or pg_catalog.jsonb_typeof(p_effect) <> 'object' or v_kind is null then
    raise exception 'p_effect must be a JSON object with a kind' using errcode = 'PT400';
  end if;
  select * into v_row from private.stripe_webhook_events e where e.id = p_event_id for update;
  if not found then
    raise exception 'Stripe event % not found (receive it first)', p_event_id using errcode = 'PT404';
  end if;
  if v_row.status in ('processed', 'ignored') then
    return pg_catalog.jsonb_build_object('outcome', 'duplicate', 'status', v_row.status, 'effect', v_row.effect);
  end if;

  perform private.set_actor(null, 'webhook');
  -- the effect as the Edge Function decided it, plus the event it came from
  v_effect := p_effect || pg_catalog.jsonb_build_object('stripe_event_id', v_row.id,
                                                        'stripe_event_created_at', v_row.stripe_created_at);

  case v_kind
    when 'ignore' then v_result := pg_catalog.jsonb_build_object('outcome', 'ignored', 'reason', coalesce(v_effect ->> 'reason', 'unhandled'));
    when 'invoice_paid' then v_result := private.stripe_record_invoice_paid(v_effect, p_now);
    when 'account_capability' then v_result := private.stripe_sync_account_capability(v_effect, p_now);
    when 'connected_payout_failed' then v_result := private.stripe_record_connected_payout_failure(v_effect, p_now);
    when 'transfer_reversals' then v_result := private.record_transfer_reversals(v_effect ->> 'stripe_transfer_id', v_effect -> 'reversals', p_now);
    when 'payment_disputed' then v_result := private.stripe_record_payment_dispute(v_effect, p_now);
    when 'dispute_closed' then v_result := private.stripe_close_payment_dispute(v_effect, p_now);
    when 'company_invoice' then v_result := private.record_company_invoice_state(v_effect, p_now);
    else raise exception 'unknown Stripe webhook effect %', v_kind using errcode = 'PT400';
  end case;

  v_status := case when v_result ->> 'outcome' = 'ignored' then 'ignored' else 'processed' end;
  update private.stripe_webhook_events e
     set status = v_status,
         effect = case when v_status = 'ignored' then 'ignored: ' || coalesce(v_result ->> 'reason', v_kind) else v_kind end,
         result = v_result,
         attempts = e.attempts + 1,
         last_attempt_at = p_now,
         processed_at = p_now
   where e.id = v_row.id;
  return v_result || pg_catalog.jsonb_build_object('status', v_status, 'effect', v_kind);
end
$$;
comment on function private.process_stripe_webhook_event(text, jsonb, timestamptz) is
  'Webhook inbox: applies the effect of a received Stripe event in one transaction (actor webhook) and marks it processed (or ignored). An event already processed or ignored: {outcome: duplicate}, nothing done. Errors roll everything back (record them with fail_stripe_webhook_event). PT400 unknown effect, PT404 unknown event; effects raise their own codes.';

revoke execute on function private.process_stripe_webhook_event(text, jsonb, timestamptz)
from public, anon, authenticated, service_role;
grant execute on function private.process_stripe_webhook_event(text, jsonb, timestamptz) to stripe_sync;

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
