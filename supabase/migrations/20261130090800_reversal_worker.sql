-- Stripe sync, part 9: reverse_payout (admin RPC) and the reversal worker's SQL.
--
--   public.reverse_payout(p_payout_id, p_reason)   admin RPC (invoker wrapper over the definer
--       body private.rpc_reverse_payout, like every admin RPC): for a payout flagged for reversal
--       (or any paid one), one payout_reversals row per succeeded tranche with unreversed money,
--       its idempotency key stored with it; then rings reverse-payouts (pg_net, after commit).
--       The same request again while one is live returns the live rows (nothing twice).
--   The worker (reverse-payouts, role stripe_sync):
--     claim_payout_reversals(worker, limit, lease, now)   pending ones, and processing ones whose
--         lease expired (the holder is gone): leased to this worker (FOR UPDATE SKIP LOCKED)
--     plan_partial_payout_reversal(id, available, now)    Stripe refused the full reversal for a
--         low connected-account balance: the smaller amount (what is available) and its key are
--         stored before that call; the first plan wins, so a killed worker repeats it exactly
--     complete_payout_reversal(id, reversals, now)        records Stripe's reversal objects
--         (private.record_transfer_reversals: each once, tranche and payout reversed_amount) and
--         closes the request: succeeded, or partial with the shortfall owed by the recruiter
--         (public.recruiter_clawbacks) and netted at once against their payable money
--         (private.apply_clawback_offsets)
--     fail_payout_reversal(id, code, reason, now)         Stripe refused for good (alert)
--     note_payout_reversal_error(id, error, retry_in, now) a transient error: kept, retried after
--   private.ring_stripe_sync_function(function, body, now)  net.http_post to
--       <payout_functions_url>/functions/v1/<function> with x-job-secret (both from Vault, the
--       payout run's entries; PT503 when missing)
-- Exactly once: the key is committed before the first call and every retry (same worker or
-- another after the lease) sends the same request under it; the worker first lists the
-- transfer's reversals and adopts one carrying our metadata (payout_reversal_id), so even a key
-- Stripe has forgotten (24 h) never reverses twice.

-- Fail fast rather than queue behind (and in front of) live traffic; the CLI runs each
-- migration file in one transaction, so these last for this file only.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- ---------------------------------------------------------------------------------------------
-- Ringing the Stripe sync functions
-- ---------------------------------------------------------------------------------------------
create function private.ring_stripe_sync_function(
  p_function text, p_body jsonb default '{}'::jsonb, p_now timestamptz default pg_catalog.now())
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_url text;
  v_secret text;
begin
  if p_function is null or p_function not in ('reverse-payouts', 'reconcile-payouts', 'invoice-placements', 'stripe-events-catch-up') then
    raise exception 'unknown Stripe sync function %', p_function using errcode = 'PT400';
  end if;
  select s.decrypted_secret into v_url from vault.decrypted_secrets s where s.name = 'payout_functions_url';
  select s.decrypted_secret into v_secret from vault.decrypted_secrets s where s.name = 'payout_job_secret';
  if coalesce(pg_catalog.btrim(v_url), '') = '' or coalesce(v_secret, '') = '' then
    raise exception 'cannot ring %: Vault secrets payout_functions_url and payout_job_secret are required', p_function
      using errcode = 'PT503';
  end if;
  return net.http_post(
    url := pg_catalog.rtrim(pg_catalog.btrim(v_url), '/') || '/functions/v1/' || p_function,
    body := coalesce(p_body, '{}'::jsonb) || pg_catalog.jsonb_build_object('rung_at', p_now),
    headers := pg_catalog.jsonb_build_object('Content-Type', 'application/json', 'x-job-secret', v_secret),
    timeout_milliseconds := 10000);
end
$$;
comment on function private.ring_stripe_sync_function(text, jsonb, timestamptz) is
  'Queues net.http_post to <payout_functions_url>/functions/v1/<reverse-payouts|reconcile-payouts|invoice-placements|stripe-events-catch-up> with header x-job-secret = payout_job_secret (both from Vault; PT503 when missing) and body p_body + {rung_at}. Sent by pg_net after commit.';

-- ---------------------------------------------------------------------------------------------
-- Requests
-- ---------------------------------------------------------------------------------------------
create function private.request_payout_reversal(
  p_payout_id uuid, p_reason text, p_now timestamptz default pg_catalog.now())
returns setof public.payout_reversals
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_payout public.payouts;
  v_ids uuid[];
  v_prev jsonb;
begin
  if pg_catalog.btrim(coalesce(p_reason, '')) = '' then
    raise exception 'p_reason is required to reverse a payout' using errcode = 'PT400';
  end if;
  select * into v_payout from public.payouts po where po.id = p_payout_id for update;
  if not found then
    raise exception 'payout % not found', p_payout_id using errcode = 'PT404';
  end if;

  v_prev := private.enter_transition('payout_reversal.request', p_reason);
  with ins as (
    insert into public.payout_reversals (
      id, payout_id, placement_id, recruiter_id, transfer_id, stripe_transfer_id, destination_account_id, currency,
      amount, reason, requested_by, requested_at, status, idempotency_key)
    select x.id, t.payout_id, t.placement_id, v_payout.recruiter_id, t.id, t.stripe_transfer_id,
           t.destination_account_id, t.currency, t.amount - t.reversed_amount, p_reason, private.actor_id(), p_now,
           'pending', 'payout_reversal:' || x.id::text
    from public.payout_transfers t
    cross join lateral (select pg_catalog.gen_random_uuid() as id) x
    where t.payout_id = v_payout.id and t.status = 'succeeded' and t.amount > t.reversed_amount
      and not exists (select 1 from public.payout_reversals r
                      where r.transfer_id = t.id and r.status in ('pending', 'processing'))
    order by t.id
    returning id
  )
  select pg_catalog.array_agg(ins.id) into v_ids from ins;

  perform private.emit_event('payout_reversal.requested', 'payout_reversal', r.id, r.placement_id, r.payout_id,
    pg_catalog.jsonb_build_object('to_status', r.status, 'transfer_id', r.transfer_id, 'stripe_transfer_id',
      r.stripe_transfer_id, 'amount', r.amount, 'currency', r.currency, 'idempotency_key', r.idempotency_key,
      'reason', p_reason, 'flagged', v_payout.flagged_for_reversal_at is not null))
  from public.payout_reversals r where r.id = any (v_ids) order by r.id;
  perform private.leave_transition(v_prev);

  if v_ids is null and not exists (select 1 from public.payout_reversals r
                                   where r.payout_id = v_payout.id and r.status in ('pending', 'processing')) then
    raise exception 'payout % has nothing to reverse (paid %, reversed %)', v_payout.id, v_payout.paid_amount,
      v_payout.reversed_amount using errcode = 'PT409';
  end if;
  return query select r.* from public.payout_reversals r
               where r.payout_id = v_payout.id and (r.id = any (v_ids) or r.status in ('pending', 'processing'))
               order by r.id;
end
$$;
comment on function private.request_payout_reversal(uuid, text, timestamptz) is
  'Creates the reversal requests of a payout: one per succeeded tranche with unreversed money (amount = its unreversed amount, idempotency key payout_reversal:<id>), event payout_reversal.requested. Returns them with the live ones already there (a tranche has at most one live request). PT400 no reason, PT404, PT409 nothing to reverse.';

-- ---------------------------------------------------------------------------------------------
-- The worker
-- ---------------------------------------------------------------------------------------------
create function private.claim_payout_reversals(
  p_worker uuid,
  p_limit integer default 10,
  p_lease interval default interval '2 minutes',
  p_now timestamptz default pg_catalog.now())
returns setof public.payout_reversals
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
  from (select r.id from public.payout_reversals r
        where (r.status = 'pending' and r.requested_at <= p_now)
           or (r.status = 'processing' and r.lease_expires_at <= p_now)
        order by coalesce(r.lease_expires_at, r.requested_at), r.id
        limit p_limit
        for update skip locked) d;
  if v_ids is null then
    return;
  end if;
  v_prev := private.enter_transition('payout_reversal.claim', null);
  update public.payout_reversals r
     set status = 'processing', claimed_by = p_worker, lease_expires_at = p_now + p_lease, attempts = r.attempts + 1
   where r.id = any (v_ids);
  perform private.emit_event('payout_reversal.processing', 'payout_reversal', r.id, r.placement_id, r.payout_id,
    pg_catalog.jsonb_build_object('claimed_by', p_worker, 'attempt', r.attempts, 'lease_expires_at', r.lease_expires_at,
      'partial_amount', r.partial_amount))
  from public.payout_reversals r where r.id = any (v_ids) order by r.id;
  perform private.leave_transition(v_prev);
  return query select r.* from public.payout_reversals r where r.id = any (v_ids)
               order by coalesce(r.requested_at, p_now), r.id;
end
$$;
comment on function private.claim_payout_reversals(uuid, integer, interval, timestamptz) is
  'Reversal worker: leases up to p_limit reversal requests (pending, or processing with an expired lease: the holder is gone) to p_worker until p_now + p_lease, attempts + 1, FOR UPDATE SKIP LOCKED. Returns them (with their stored idempotency keys and partial plan). PT400.';

-- Internal: the request, locked, in a status the worker may act on.
create function private.lock_payout_reversal(p_reversal_id uuid)
returns public.payout_reversals
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row public.payout_reversals;
begin
  select * into v_row from public.payout_reversals r where r.id = p_reversal_id for update;
  if not found then
    raise exception 'payout reversal % not found', p_reversal_id using errcode = 'PT404';
  end if;
  return v_row;
end
$$;
comment on function private.lock_payout_reversal(uuid) is 'Internal: locks a reversal request (PT404 when unknown).';

create function private.plan_partial_payout_reversal(
  p_reversal_id uuid, p_available bigint, p_now timestamptz default pg_catalog.now())
returns public.payout_reversals
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row public.payout_reversals := private.lock_payout_reversal(p_reversal_id);
  v_prev jsonb;
begin
  if v_row.partial_amount is not null then
    return v_row;  -- planned before (a killed worker): the same amount and key again
  end if;
  if v_row.status <> 'processing' then
    raise exception 'payout reversal % is %: nothing to plan', v_row.id, v_row.status using errcode = 'PT409';
  end if;
  if p_available is null or p_available < 0 then
    raise exception 'p_available must be >= 0' using errcode = 'PT400';
  end if;
  v_prev := private.enter_transition('payout_reversal.plan_partial', 'connected account balance too low');
  update public.payout_reversals r
     set partial_amount = least(p_available, r.amount), partial_idempotency_key = r.idempotency_key || ':partial'
   where r.id = v_row.id
  returning * into v_row;
  perform private.emit_event('payout_reversal.partial_planned', 'payout_reversal', v_row.id, v_row.placement_id,
    v_row.payout_id,
    pg_catalog.jsonb_build_object('amount', v_row.amount, 'available', p_available, 'partial_amount', v_row.partial_amount,
      'currency', v_row.currency, 'idempotency_key', v_row.partial_idempotency_key));
  perform private.leave_transition(v_prev);
  return v_row;
end
$$;
comment on function private.plan_partial_payout_reversal(uuid, bigint, timestamptz) is
  'Reversal worker: the full reversal was refused for a low connected-account balance; stores the partial amount (least(available, amount)) and its key (<key>:partial) before that call. Planned already: returns the stored plan unchanged (first plan wins). PT400/PT404/PT409.';

create function private.complete_payout_reversal(
  p_reversal_id uuid, p_reversals jsonb, p_now timestamptz default pg_catalog.now())
returns public.payout_reversals
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row public.payout_reversals;
  v_reversed bigint;
  v_ids text[];
  v_prev jsonb;
  v_clawback public.recruiter_clawbacks;
begin
  if p_reversals is null or pg_catalog.jsonb_typeof(p_reversals) <> 'array' then
    raise exception 'p_reversals must be a JSON array of Stripe reversals' using errcode = 'PT400';
  end if;
  v_row := private.lock_payout_reversal(p_reversal_id);
  if v_row.status in ('succeeded', 'partial') then
    return v_row;
  end if;
  if v_row.status <> 'processing' then
    raise exception 'payout reversal % is %', v_row.id, v_row.status using errcode = 'PT409';
  end if;
  if exists (select 1 from pg_catalog.jsonb_array_elements(p_reversals) e
             where e -> 'metadata' ->> 'payout_reversal_id' is distinct from v_row.id::text) then
    raise exception 'only reversals made for payout reversal % can complete it', v_row.id using errcode = 'PT400';
  end if;

  perform private.record_transfer_reversals(v_row.stripe_transfer_id, p_reversals, p_now);
  select coalesce(sum(m.amount), 0)::bigint, coalesce(pg_catalog.array_agg(m.stripe_reversal_id order by m.stripe_reversal_id), '{}')
    into v_reversed, v_ids
  from private.stripe_transfer_reversals m where m.payout_reversal_id = v_row.id;
  if v_reversed < v_row.amount and v_row.partial_amount is null then
    raise exception 'payout reversal %: % of % reversed and no partial reversal planned', v_row.id, v_reversed, v_row.amount
      using errcode = 'PT409';
  end if;

  v_prev := private.enter_transition('payout_reversal.complete', v_row.reason);
  update public.payout_reversals r
     set status = case when v_reversed >= r.amount then 'succeeded' else 'partial' end,
         reversed_amount = least(v_reversed, r.amount),
         shortfall_amount = greatest(r.amount - v_reversed, 0),
         stripe_reversal_ids = v_ids, lease_expires_at = null, completed_at = p_now
   where r.id = v_row.id
  returning * into v_row;
  perform private.emit_event('payout_reversal.' || v_row.status, 'payout_reversal', v_row.id, v_row.placement_id,
    v_row.payout_id,
    pg_catalog.jsonb_build_object('amount', v_row.amount, 'reversed_amount', v_row.reversed_amount,
      'shortfall_amount', v_row.shortfall_amount, 'currency', v_row.currency,
      'stripe_reversal_ids', pg_catalog.to_jsonb(v_ids)));

  if v_row.shortfall_amount > 0 then
    -- what the connected account could not give back is owed, and netted against later payouts
    insert into public.recruiter_clawbacks (recruiter_id, payout_id, payout_reversal_id, currency, amount, reason)
    values (v_row.recruiter_id, v_row.payout_id, v_row.id, v_row.currency, v_row.shortfall_amount,
            'reversal shortfall: connected account balance too low')
    returning * into v_clawback;
    perform private.emit_event('recruiter_clawback.created', 'recruiter_clawback', v_clawback.id, v_row.placement_id,
      v_row.payout_id,
      pg_catalog.jsonb_build_object('recruiter_id', v_row.recruiter_id, 'amount', v_clawback.amount,
        'currency', v_clawback.currency, 'payout_reversal_id', v_row.id));
  end if;
  perform private.leave_transition(v_prev);

  if v_row.shortfall_amount > 0 then
    perform private.apply_clawback_offsets(p_now, v_row.recruiter_id);
  end if;
  return v_row;
end
$$;
comment on function private.complete_payout_reversal(uuid, jsonb, timestamptz) is
  'Reversal worker: records the Stripe reversals made for this request (metadata payout_reversal_id; each once) and closes it: succeeded when all of it came back, partial (a partial reversal was planned) with the shortfall owed by the recruiter (public.recruiter_clawbacks, netted at once by apply_clawback_offsets). Completed already: returned unchanged. PT400/PT404/PT409.';

create function private.fail_payout_reversal(
  p_reversal_id uuid, p_code text, p_reason text, p_now timestamptz default pg_catalog.now())
returns public.payout_reversals
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row public.payout_reversals := private.lock_payout_reversal(p_reversal_id);
  v_prev jsonb;
begin
  if v_row.status in ('succeeded', 'partial', 'failed') then
    return v_row;
  end if;
  if pg_catalog.btrim(coalesce(p_reason, '')) = '' then
    raise exception 'p_reason is required' using errcode = 'PT400';
  end if;
  v_prev := private.enter_transition('payout_reversal.fail', p_reason);
  update public.payout_reversals r
     set status = 'failed', failure_code = pg_catalog.left(p_code, 100), failure_reason = pg_catalog.left(p_reason, 1000),
         lease_expires_at = null, completed_at = p_now
   where r.id = v_row.id
  returning * into v_row;
  perform private.emit_event('payout_reversal.failed', 'payout_reversal', v_row.id, v_row.placement_id, v_row.payout_id,
    pg_catalog.jsonb_build_object('amount', v_row.amount, 'currency', v_row.currency, 'code', p_code, 'reason', p_reason));
  perform private.leave_transition(v_prev);
  return v_row;
end
$$;
comment on function private.fail_payout_reversal(uuid, text, text, timestamptz) is
  'Reversal worker: Stripe refused the reversal for good (not a low balance): status failed with Stripe''s code (public.payout_alerts reversal_failed). Completed already: unchanged. PT400/PT404.';

create function private.note_payout_reversal_error(
  p_reversal_id uuid, p_error jsonb, p_retry_in interval, p_now timestamptz default pg_catalog.now())
returns public.payout_reversals
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row public.payout_reversals := private.lock_payout_reversal(p_reversal_id);
  v_prev jsonb;
begin
  if v_row.status <> 'processing' then
    return v_row;
  end if;
  v_prev := private.enter_transition('payout_reversal.defer', p_error ->> 'code');
  update public.payout_reversals r
     set last_error = pg_catalog.jsonb_build_object('code', pg_catalog.left(coalesce(p_error ->> 'code', 'error'), 100),
                                                    'message', pg_catalog.left(coalesce(p_error ->> 'message', ''), 1000),
                                                    'at', p_now),
         lease_expires_at = p_now + greatest(coalesce(p_retry_in, interval '0'), interval '0')
   where r.id = v_row.id
  returning * into v_row;
  perform private.leave_transition(v_prev);
  return v_row;
end
$$;
comment on function private.note_payout_reversal_error(uuid, jsonb, interval, timestamptz) is
  'Reversal worker: a transient error ({code, message}): kept as last_error, the request stays processing and is claimed again after p_retry_in (the same key is sent again).';

-- ---------------------------------------------------------------------------------------------
-- The admin RPC
-- ---------------------------------------------------------------------------------------------
create function private.rpc_reverse_payout(p_payout_id uuid, p_reason text)
returns setof public.payout_reversals
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  perform private.begin_admin_action();
  if p_payout_id is null then
    raise exception 'p_payout_id is required' using errcode = 'PT400';
  end if;
  -- may need a second admin (20261202120000_admin_approvals): PT428
  if pg_catalog.btrim(coalesce(p_reason, '')) <> '' then
    perform private.require_four_eyes('reverse_payout',
      pg_catalog.jsonb_build_object('p_payout_id', p_payout_id, 'p_reason', p_reason));
  end if;
  return query select r.* from private.request_payout_reversal(p_payout_id, p_reason, pg_catalog.now()) r;
  -- ring the worker now (sent after commit); the reversal doorbell picks it up anyway
  begin
    perform private.ring_stripe_sync_function('reverse-payouts', '{"trigger": "admin"}'::jsonb, pg_catalog.now());
  exception when others then
    null;
  end;
end
$$;
comment on function private.rpc_reverse_payout(uuid, text) is
  'Body of public.reverse_payout (platform admins only, 42501).';

create function public.reverse_payout(p_payout_id uuid default null, p_reason text default null)
returns setof public.payout_reversals
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.rpc_reverse_payout(p_payout_id, p_reason) from private.require_platform_admin()
$$;
comment on function public.reverse_payout(uuid, text) is
  'Admin: claws back a payout flagged for reversal (or any paid one): one reversal request per succeeded tranche with unreversed money, reversed at Stripe by reverse-payouts (transfers.createReversal, stored idempotency key, exactly once). What the connected account cannot cover is owed by the recruiter and netted against their next payouts. Returns the requests (the live ones if already requested). 42501 not a platform admin; PT400 no payout id / reason; PT404 unknown payout; PT409 nothing to reverse; PT428 at or above the four-eyes threshold (request_admin_action).';

revoke execute on function
  private.ring_stripe_sync_function(text, jsonb, timestamptz),
  private.request_payout_reversal(uuid, text, timestamptz),
  private.claim_payout_reversals(uuid, integer, interval, timestamptz),
  private.lock_payout_reversal(uuid),
  private.plan_partial_payout_reversal(uuid, bigint, timestamptz),
  private.complete_payout_reversal(uuid, jsonb, timestamptz),
  private.fail_payout_reversal(uuid, text, text, timestamptz),
  private.note_payout_reversal_error(uuid, jsonb, interval, timestamptz),
  private.rpc_reverse_payout(uuid, text),
  public.reverse_payout(uuid, text)
from public, anon, authenticated, service_role;
grant execute on function private.claim_payout_reversals(uuid, integer, interval, timestamptz) to stripe_sync;
grant execute on function private.plan_partial_payout_reversal(uuid, bigint, timestamptz) to stripe_sync;
grant execute on function private.complete_payout_reversal(uuid, jsonb, timestamptz) to stripe_sync;
grant execute on function private.fail_payout_reversal(uuid, text, text, timestamptz) to stripe_sync;
grant execute on function private.note_payout_reversal_error(uuid, jsonb, interval, timestamptz) to stripe_sync;
grant execute on function private.rpc_reverse_payout(uuid, text) to authenticated;
grant execute on function public.reverse_payout(uuid, text) to authenticated;

-- A worker past its CPU stop line hands back the requests it claimed and will not start.
create function private.release_payout_reversals(
  p_worker uuid, p_reversal_ids uuid[], p_now timestamptz default pg_catalog.now())
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
  v_prev := private.enter_transition('payout_reversal.release', 'handed back: the worker''s CPU budget is used up');
  update public.payout_reversals r
     set lease_expires_at = p_now
   where r.id = any (coalesce(p_reversal_ids, '{}')) and r.claimed_by = p_worker and r.status = 'processing';
  get diagnostics v_count = row_count;
  perform private.leave_transition(v_prev);
  return v_count;
end
$$;
comment on function private.release_payout_reversals(uuid, uuid[], timestamptz) is
  'Reversal worker: requests it claimed (still processing, still its own) and will not start: their lease ends at p_now, so they are claimed again at once, under the same stored keys. Returns how many.';

revoke execute on function private.release_payout_reversals(uuid, uuid[], timestamptz)
from public, anon, authenticated, service_role;
grant execute on function private.release_payout_reversals(uuid, uuid[], timestamptz) to stripe_sync;
