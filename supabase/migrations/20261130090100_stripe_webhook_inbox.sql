-- squawk-ignore-file prefer-robust-stmts,require-concurrent-index-creation,prefer-bigint-over-int
-- (the table is created in this file, empty, inside the CLI's one transaction per migration:
-- nothing to rerun half-way and nobody to block by a plain CREATE INDEX; the integer columns are
-- delivery and attempt counters, never money)
-- Stripe sync, part 2: the webhook inbox.
--
-- Every verified Stripe event is stored once (primary key = Stripe's event id) before anything
-- else happens, then processed in its own transaction:
--
--   receive_stripe_webhook_event(event, endpoint, now)  insert ... on conflict (id): a replay only
--                                    counts the delivery and returns the stored status, so the
--                                    function answers 200 without doing anything twice
--   process_stripe_webhook_event(id, effect, now)      locks the row; already processed or
--                                    ignored = no-op; otherwise applies the effect (decided by the
--                                    Edge Function from the event and, where order matters, from a
--                                    fresh read of the object at Stripe) through the Stripe sync
--                                    functions, which call the money model's transitions (audited,
--                                    evented), and marks the row processed / ignored — all in one
--                                    transaction: an effect exists if and only if the event is
--                                    marked processed
--   fail_stripe_webhook_event(id, error, now)          a failed attempt: kept (status failed,
--                                    last_error, attempts) for Stripe's redelivery and for the
--                                    retry of reconcile-payouts; visible in public.payout_alerts
--   stripe_webhook_events_to_retry(limit, now)         failed events, oldest first
--
-- The dispatcher (process_stripe_webhook_event) lives in 20261130095000, after the effects.
-- Effects are idempotent per Stripe object too: invoice.paid and invoice.payment_succeeded of one
-- payment are two events with one effect (the second finds the invoice paid: no-op).

-- Fail fast rather than queue behind (and in front of) live traffic; the CLI runs each
-- migration file in one transaction, so these last for this file only.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create table private.stripe_webhook_events (
  id text primary key check (id ~ '^evt_[A-Za-z0-9_]+$'),
  type text not null check (pg_catalog.length(type) between 1 and 100),
  -- which endpoint secret verified it: platform events, or Connect events (connected accounts)
  endpoint text not null check (endpoint in ('platform', 'connect')),
  -- the connected account of a Connect event
  account text check (account ~ '^acct_[A-Za-z0-9]+$'),
  livemode boolean not null,
  api_version text,
  -- Stripe's event.created
  stripe_created_at timestamptz not null,
  -- the verified event as delivered
  payload jsonb not null check (pg_catalog.jsonb_typeof(payload) = 'object'),
  status text not null default 'received' check (status in ('received', 'processed', 'ignored', 'failed')),
  -- what processing did: the effect kind (invoice_paid, account_capability, ...) or why ignored
  effect text,
  result jsonb,
  -- {code, message} of the last failed attempt
  last_error jsonb check (last_error is null or pg_catalog.jsonb_typeof(last_error) = 'object'),
  attempts integer not null default 0 check (attempts >= 0),
  deliveries integer not null default 1 check (deliveries >= 1),
  received_at timestamptz not null,
  last_delivery_at timestamptz not null,
  last_attempt_at timestamptz,
  processed_at timestamptz,
  check ((status in ('processed', 'ignored')) = (processed_at is not null)),
  check (status <> 'failed' or last_error is not null)
);
comment on table private.stripe_webhook_events is
  'Stripe webhook inbox: each verified event once (id = Stripe''s event id), its processing status (received, processed, ignored, failed), effect, attempts and last error. Failed events are retried by Stripe''s redelivery and by reconcile-payouts, and listed in public.payout_alerts (webhook_processing_failed).';
create index stripe_webhook_events_failed_idx on private.stripe_webhook_events (last_attempt_at) where status = 'failed';
create index stripe_webhook_events_type_created_idx on private.stripe_webhook_events (type, stripe_created_at);
create index stripe_webhook_events_received_at_idx on private.stripe_webhook_events (received_at);
alter table private.stripe_webhook_events enable row level security;
revoke all on table private.stripe_webhook_events from public, anon, authenticated, service_role;

-- How far the inbox is known complete: the cursor of the events catch-up (stripe-events-catch-up,
-- 20261202090000), which lists Stripe's events since it and processes what no webhook delivered.
-- One row, audited (entity stripe_event_catch_up): the cursor, the run under way and how far it
-- got, and the last retention gap (events older than Stripe's 30 days that may never have arrived:
-- public.payout_alerts kind stripe_events_gap). Here, with the inbox, because the alerts
-- (20261130091000) read it.
create table private.stripe_event_catch_up (
  id uuid primary key default pg_catalog.gen_random_uuid(),
  singleton boolean not null default true unique check (singleton),
  -- every event created before cursor_at is in the inbox (the next run re-lists an overlap below it);
  -- null: never run. Only moves forward.
  cursor_at timestamptz check (pg_catalog.isfinite(cursor_at)),
  -- the run under way (null: none); any invocation continues it
  run_id uuid,
  run_started_at timestamptz,
  window_start timestamptz,
  window_end timestamptz,
  -- sources ('platform', then connected accounts by id) before `source` are done; of `source`,
  -- the events created at or after covered_from (null: none yet)
  source text check (source = 'platform' or source ~ '^acct_[A-Za-z0-9]+$'),
  covered_from timestamptz,
  -- the last retention gap: events created in [gap_from, gap_until) were past Stripe's 30 days
  gap_from timestamptz,
  gap_until timestamptz,
  gap_detected_at timestamptz,
  last_finished_at timestamptz,
  last_result jsonb check (last_result is null or pg_catalog.jsonb_typeof(last_result) = 'object'),
  updated_at timestamptz not null default pg_catalog.now(),
  check ((run_id is null) = (window_start is null) and (run_id is null) = (window_end is null)
         and (run_id is null) = (run_started_at is null)),
  check (window_end >= window_start),
  check (run_id is not null or (source is null and covered_from is null)),
  check ((gap_from is null) = (gap_until is null) and (gap_from is null) = (gap_detected_at is null)),
  check (gap_until > gap_from)
);
comment on table private.stripe_event_catch_up is
  'The events catch-up''s state (one row, audited): cursor_at (every Stripe event created before it is in the webhook inbox; only moves forward), the run under way (window, source, covered_from) and the last retention gap (public.payout_alerts stripe_events_gap). Written by the functions of 20261202090000.';
alter table private.stripe_event_catch_up enable row level security;
revoke all on table private.stripe_event_catch_up from public, anon, authenticated, service_role;
-- audited from its first row: the row and its latest audit row agree from the start
select private.enable_audit('private.stripe_event_catch_up'::regclass, 'stripe_event_catch_up');
insert into private.stripe_event_catch_up (updated_at) values ('-infinity');

create function private.receive_stripe_webhook_event(
  p_event jsonb, p_endpoint text, p_now timestamptz default pg_catalog.now())
returns table (event_id text, status text, attempts integer, deliveries integer, duplicate boolean)
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_row private.stripe_webhook_events;
  v_inserted boolean;
begin
  if p_event is null or pg_catalog.jsonb_typeof(p_event) <> 'object'
     or coalesce(p_event ->> 'id', '') !~ '^evt_[A-Za-z0-9_]+$'
     or pg_catalog.jsonb_typeof(p_event -> 'type') is distinct from 'string'
     or pg_catalog.length(p_event ->> 'type') not between 1 and 100
     or pg_catalog.jsonb_typeof(p_event -> 'created') is distinct from 'number'
     or coalesce(pg_catalog.jsonb_typeof(p_event -> 'account'), 'null') not in ('null', 'string')
     or coalesce(p_event ->> 'account', 'acct_0') !~ '^acct_[A-Za-z0-9]+$' then
    raise exception 'not a Stripe event (id evt_..., type: a string of 1..100, created: a number, account: acct_... or absent)'
      using errcode = 'PT400';
  end if;
  if p_endpoint is null or p_endpoint not in ('platform', 'connect') then
    raise exception 'p_endpoint must be platform or connect (got %)', p_endpoint using errcode = 'PT400';
  end if;

  insert into private.stripe_webhook_events as e (
    id, type, endpoint, account, livemode, api_version, stripe_created_at, payload, received_at, last_delivery_at)
  values (p_event ->> 'id', p_event ->> 'type', p_endpoint, nullif(p_event ->> 'account', ''),
          coalesce((p_event ->> 'livemode')::boolean, false), p_event ->> 'api_version',
          pg_catalog.to_timestamp((p_event ->> 'created')::double precision), p_event, p_now, p_now)
  on conflict (id) do update
     set deliveries = e.deliveries + 1, last_delivery_at = greatest(e.last_delivery_at, p_now)
  returning (e.xmax = 0) into v_inserted;
  select * into v_row from private.stripe_webhook_events e where e.id = p_event ->> 'id';

  return query select v_row.id, v_row.status, v_row.attempts, v_row.deliveries,
                      not v_inserted and v_row.status in ('processed', 'ignored');
end
$$;
comment on function private.receive_stripe_webhook_event(jsonb, text, timestamptz) is
  'Webhook inbox: stores a verified Stripe event once (on conflict: counts the delivery). Returns its status; duplicate = true when it was already processed or ignored (the function answers 200 and does nothing). PT400 for something that is not an event.';

create function private.fail_stripe_webhook_event(
  p_event_id text, p_error jsonb, p_now timestamptz default pg_catalog.now())
returns private.stripe_webhook_events
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row private.stripe_webhook_events;
begin
  if p_error is null or pg_catalog.jsonb_typeof(p_error) <> 'object' then
    raise exception 'p_error must be a JSON object {code, message}' using errcode = 'PT400';
  end if;
  update private.stripe_webhook_events e
     set status = case when e.status in ('processed', 'ignored') then e.status else 'failed' end,
         attempts = e.attempts + case when e.status in ('processed', 'ignored') then 0 else 1 end,
         last_attempt_at = p_now,
         last_error = pg_catalog.jsonb_build_object(
           'code', pg_catalog.left(coalesce(p_error ->> 'code', 'error'), 100),
           'message', pg_catalog.left(coalesce(p_error ->> 'message', ''), 1000),
           'at', p_now)
   where e.id = p_event_id
  returning * into v_row;
  if not found then
    raise exception 'Stripe event % not found', p_event_id using errcode = 'PT404';
  end if;
  return v_row;
end
$$;
comment on function private.fail_stripe_webhook_event(text, jsonb, timestamptz) is
  'Webhook inbox: records a failed processing attempt ({code, message}): status failed, attempts + 1, last_error. An already processed or ignored event keeps its status. PT400/PT404.';

create function private.stripe_webhook_events_to_retry(
  p_limit integer default 50, p_now timestamptz default pg_catalog.now(), p_max_attempts integer default 20)
returns table (event_id text, endpoint text, payload jsonb, attempts integer)
language sql
stable
security definer
set search_path = ''
as $$
  select e.id, e.endpoint, e.payload, e.attempts
  from private.stripe_webhook_events e
  where e.status in ('failed', 'received') and e.attempts < p_max_attempts
    -- a received event younger than a minute may still be processed by its delivery
    and (e.status = 'failed' or e.received_at < p_now - interval '1 minute')
  order by e.stripe_created_at, e.id
  limit greatest(p_limit, 0)
$$;
comment on function private.stripe_webhook_events_to_retry(integer, timestamptz, integer) is
  'Webhook inbox: events to process again (failed, or received and not processed for a minute), oldest Stripe event first, fewer than p_max_attempts attempts. Used by reconcile-payouts.';

revoke execute on function
  private.receive_stripe_webhook_event(jsonb, text, timestamptz),
  private.fail_stripe_webhook_event(text, jsonb, timestamptz),
  private.stripe_webhook_events_to_retry(integer, timestamptz, integer)
from public, anon, authenticated, service_role;
grant execute on function private.receive_stripe_webhook_event(jsonb, text, timestamptz) to stripe_sync;
grant execute on function private.fail_stripe_webhook_event(text, jsonb, timestamptz) to stripe_sync;
grant execute on function private.stripe_webhook_events_to_retry(integer, timestamptz, integer) to stripe_sync;
