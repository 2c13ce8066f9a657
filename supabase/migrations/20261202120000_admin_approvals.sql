-- Operator safety, part 1: four-eyes approval of the admin actions that move or forfeit money.
--
-- Which calls need a second admin (private.admin_action_plan):
--   reverse_payout            the payout's unreversed paid money
--   trigger_payout_schedule   an exhausted schedule (the payout's payable money)
--   release_escrow_hold       an active hold before its release time (no date = before it)
--   cancel_escrow_hold        an active hold (its money is forfeited)
--   fail_placement            a placement not failed yet (its payouts' money not yet forfeited or reversed)
--   resume_payouts            while the kill switch is on: always
--   grant_platform_admin      a user who is not an admin yet: always
--   lift_payout_cap           a velocity cap lifted for one UTC day (20261202140000): always
-- when the amount is at or above the currency's threshold in private.approval_thresholds
-- (0 = always; a currency without a row: never, the action runs at once as before).
--
-- The admin RPC itself then refuses with PT428 (approval required) and changes nothing; the
-- admin asks for it with public.request_admin_action(action, args), args being exactly the
-- RPC's named arguments. A second, different platform admin approves (the action runs in the
-- approver's transaction, approver = actor, the request id and both admins in the reason of every
-- audit row it writes) or rejects. A request expires after payout_settings.approval_request_ttl.
-- The request row is locked and moved pending -> executed | rejected once: two approvals racing
-- execute it once, the second gets PT409.
--
-- Break glass (one platform admin, nobody can approve): private.break_glass_admin_action, as
-- postgres over SQL; audited (action admin_action.break_glass) and shown by public.payout_alerts
-- for 7 days (kind break_glass_used).
--
-- SQLSTATEs: PT400 bad input, PT403 approving one's own request, PT404 unknown request/subject,
-- PT409 not pending / expired / another admin could approve (break glass), PT428 approval
-- required. Every refusal changes nothing.

-- Fail fast rather than queue behind (and in front of) live traffic; the CLI runs each
-- migration file in one transaction, so these last for this file only.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- ---------------------------------------------------------------------------------------------
-- Settings: per-currency threshold (the request TTL is payout_settings.approval_request_ttl)
-- ---------------------------------------------------------------------------------------------
create table private.approval_thresholds (
  id uuid primary key default pg_catalog.gen_random_uuid(),
  currency text not null unique check (currency ~ '^[A-Z]{3}$'),
  -- minor units; an action of at least this amount needs a second admin (0: every one)
  min_amount bigint not null check (min_amount >= 0),
  updated_at timestamptz not null default pg_catalog.now()
);
comment on table private.approval_thresholds is
  'Four-eyes threshold per currency (minor units): reverse_payout, trigger_payout_schedule (exhausted), release_escrow_hold (early), cancel_escrow_hold and fail_placement of at least min_amount need a second platform admin; 0 = always; no row = never. Set as postgres (SQL).';
alter table private.approval_thresholds enable row level security;
revoke all on table private.approval_thresholds from public, anon, authenticated, service_role;
select private.enable_audit('private.approval_thresholds'::regclass, 'approval_threshold');

-- ---------------------------------------------------------------------------------------------
-- Requests
-- ---------------------------------------------------------------------------------------------
create table private.admin_action_requests (
  id uuid primary key default pg_catalog.gen_random_uuid(),
  action text not null check (action in ('reverse_payout', 'trigger_payout_schedule', 'release_escrow_hold',
    'cancel_escrow_hold', 'fail_placement', 'resume_payouts', 'grant_platform_admin', 'lift_payout_cap')),
  -- the RPC's named arguments, exactly as they will be executed
  args jsonb not null check (pg_catalog.jsonb_typeof(args) = 'object'),
  amount bigint check (amount >= 0),
  currency text check (currency ~ '^[A-Z]{3}$'),
  requested_by uuid not null,
  requested_at timestamptz not null,
  expires_at timestamptz not null,
  status text not null default 'pending' check (status in ('pending', 'executed', 'rejected')),
  -- the approving / rejecting admin (null: break glass as postgres)
  decided_by uuid,
  decided_at timestamptz,
  decision_reason text check (pg_catalog.length(decision_reason) <= 2000),
  break_glass boolean not null default false,
  -- what the action returned (executed)
  result jsonb,
  check (expires_at > requested_at),
  check ((status = 'pending') = (decided_at is null)),
  check (status = 'pending' or decided_by is not null or break_glass),
  check (decided_by is distinct from requested_by),
  check (not break_glass or status = 'executed')
);
comment on table private.admin_action_requests is
  'Four-eyes requests: an admin action with its exact arguments, waiting for a second platform admin (pending until expires_at) and then executed or rejected once (decided_by <> requested_by). break_glass: executed by postgres over SQL (private.break_glass_admin_action).';
create index admin_action_requests_pending_idx on private.admin_action_requests (requested_at)
  where status = 'pending';
alter table private.admin_action_requests enable row level security;
revoke all on table private.admin_action_requests from public, anon, authenticated, service_role;
select private.enable_audit('private.admin_action_requests'::regclass, 'admin_action_request');

-- ---------------------------------------------------------------------------------------------
-- The plan: does this call need a second admin, and for how much
-- ---------------------------------------------------------------------------------------------
-- Validates the arguments as the RPC would (PT400 unknown/missing argument, PT404 unknown
-- subject) and measures the money the call moves or forfeits. No lock: the action's own
-- transition function locks and re-checks its subject.
create function private.admin_action_plan(p_action text, p_args jsonb, p_now timestamptz)
returns table (amount bigint, currency text, needs_approval boolean)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_keys text[];
  v_allowed text[];
  v_required text;
  v_id uuid;
  v_amount bigint;
  v_currency text;
  v_applies boolean;
  v_threshold bigint;
begin
  v_allowed := case p_action
    when 'reverse_payout' then array['p_payout_id', 'p_reason']
    when 'trigger_payout_schedule' then array['p_schedule_id', 'p_reason']
    when 'release_escrow_hold' then array['p_hold_id', 'p_reason']
    when 'cancel_escrow_hold' then array['p_hold_id', 'p_reason']
    when 'fail_placement' then array['p_placement_id', 'p_reason']
    when 'resume_payouts' then array['p_reason']
    when 'grant_platform_admin' then array['p_user_id']
    when 'lift_payout_cap' then array['p_currency', 'p_recruiter_id', 'p_day', 'p_reason']
  end;
  if v_allowed is null then
    raise exception 'unknown admin action: %', coalesce(p_action, '<null>') using errcode = 'PT400',
      hint = 'One of reverse_payout, trigger_payout_schedule, release_escrow_hold, cancel_escrow_hold, fail_placement, resume_payouts, grant_platform_admin, lift_payout_cap.';
  end if;
  if p_args is null or pg_catalog.jsonb_typeof(p_args) <> 'object' then
    raise exception 'p_args must be an object of the RPC''s named arguments' using errcode = 'PT400';
  end if;
  select pg_catalog.array_agg(k order by k) into v_keys
  from pg_catalog.jsonb_object_keys(p_args) k where k <> all (v_allowed);
  if v_keys is not null then
    raise exception '% takes no argument %', p_action, pg_catalog.array_to_string(v_keys, ', ')
      using errcode = 'PT400', hint = 'Arguments: ' || pg_catalog.array_to_string(v_allowed, ', ') || '.';
  end if;
  if exists (select 1 from pg_catalog.jsonb_each(p_args) e
             where e.value is not null and pg_catalog.jsonb_typeof(e.value) not in ('string', 'null')) then
    raise exception 'the arguments of % are strings (uuid, text)', p_action using errcode = 'PT400';
  end if;
  v_required := v_allowed[1];
  if v_required not in ('p_reason', 'p_currency') then
    if (p_args ->> v_required) is null then
      raise exception '% is required', v_required using errcode = 'PT400';
    end if;
    if (p_args ->> v_required) !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
      raise exception '% must be a uuid (got %)', v_required, p_args ->> v_required using errcode = 'PT400';
    end if;
    v_id := (p_args ->> v_required)::uuid;
  end if;
  case p_action
    when 'reverse_payout' then
      select coalesce((select sum(t.amount - t.reversed_amount) from public.payout_transfers t
                       where t.payout_id = po.id and t.status = 'succeeded'), 0)::bigint,
             po.currency, true
        into v_amount, v_currency, v_applies
      from public.payouts po where po.id = v_id;
    when 'trigger_payout_schedule' then
      select po.payable_amount, po.currency, s.is_exhausted into v_amount, v_currency, v_applies
      from public.payout_schedules s join public.payouts po on po.id = s.payout_id where s.id = v_id;
    when 'release_escrow_hold' then
      select h.hold_amount, h.currency,
             h.status = 'active'
             and (h.release_scheduled_date is null
                  or ((h.release_scheduled_date + (private.settings()).escrow_release_time) at time zone 'UTC') > p_now)
        into v_amount, v_currency, v_applies
      from public.escrow_holds h where h.id = v_id;
    when 'cancel_escrow_hold' then
      select h.hold_amount, h.currency, h.status = 'active' into v_amount, v_currency, v_applies
      from public.escrow_holds h where h.id = v_id;
    when 'fail_placement' then
      select coalesce((select sum(po.amount - po.forfeited_amount - po.reversed_amount) from public.payouts po
                       where po.placement_id = pl.id), 0)::bigint,
             pl.currency, pl.status <> 'failed'
        into v_amount, v_currency, v_applies
      from public.placements pl where pl.id = v_id;
    when 'resume_payouts' then
      v_applies := (private.settings()).payouts_paused;
    when 'grant_platform_admin' then
      if not exists (select 1 from auth.users u where u.id = v_id) then
        raise exception 'user % not found', v_id using errcode = 'PT404';
      end if;
      v_applies := not exists (select 1 from public.platform_admins a where a.user_id = v_id);
    when 'lift_payout_cap' then
      -- its own checks (PT400, PT404 unknown recruiter or no such cap, PT409 already lifted)
      select l.amount, l.currency, true into v_amount, v_currency, v_applies
      from private.payout_cap_lift_plan(p_args ->> 'p_currency', p_args ->> 'p_recruiter_id', p_args ->> 'p_day',
                                        p_args ->> 'p_reason', p_now) l;
  end case;
  if v_applies is null then
    raise exception '% % not found', pg_catalog.replace(pg_catalog.substr(v_required, 3), '_id', ''), v_id
      using errcode = 'PT404';
  end if;
  -- after the lookup, as the RPCs answer: an unknown subject is PT404 whatever the reason
  if p_action in ('reverse_payout', 'trigger_payout_schedule', 'release_escrow_hold', 'cancel_escrow_hold',
                  'fail_placement')
     and pg_catalog.btrim(coalesce(p_args ->> 'p_reason', '')) = '' then
    raise exception 'p_reason is required to %', p_action using errcode = 'PT400';
  end if;

  if p_action in ('resume_payouts', 'grant_platform_admin') then
    return query select null::bigint, null::text, v_applies;
    return;
  end if;
  if p_action = 'lift_payout_cap' then
    -- always, whatever the amount (the cap lifted)
    return query select v_amount, v_currency, true;
    return;
  end if;
  select t.min_amount into v_threshold from private.approval_thresholds t where t.currency = v_currency;
  return query select v_amount, v_currency, v_applies and v_threshold is not null and v_amount >= v_threshold;
end
$$;
comment on function private.admin_action_plan(text, jsonb, timestamptz) is
  'Four-eyes plan of an admin action with its named arguments: the money it moves or forfeits (amount, currency; null for resume_payouts/grant_platform_admin; the cap for lift_payout_cap) and whether it needs a second platform admin (at or above the currency''s threshold; resume while paused, a new grant and a cap lift always). PT400 unknown action or argument, missing id/reason; PT404 unknown subject.';

-- Called by the admin RPC bodies (20261128090200, 20261128090400, 20261130090800) after their
-- own argument checks; defined here, late-bound by plpgsql.
create function private.require_four_eyes(p_action text, p_args jsonb)
returns void
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_plan record;
begin
  select * into v_plan from private.admin_action_plan(p_action, p_args, pg_catalog.now());
  if v_plan.needs_approval then
    raise exception 'approval required: % needs a second platform admin',
      p_action || coalesce(' of ' || v_plan.amount || ' ' || v_plan.currency, '')
      using errcode = 'PT428',
            detail = pg_catalog.jsonb_build_object('action', p_action, 'args', p_args, 'amount', v_plan.amount,
                                                   'currency', v_plan.currency)::text,
            hint = 'Nothing changed. Ask for it with request_admin_action(p_action, p_args); another platform admin approves it with approve_admin_action.';
  end if;
end
$$;
comment on function private.require_four_eyes(text, jsonb) is
  'Gate of the money-moving admin RPCs: PT428 (approval required, nothing changed) when private.admin_action_plan says the call needs a second platform admin.';

-- ---------------------------------------------------------------------------------------------
-- Execution: the action with its stored arguments (no four-eyes gate: it is the approval)
-- ---------------------------------------------------------------------------------------------
create function private.execute_admin_action(p_action text, p_args jsonb, p_reason text, p_now timestamptz)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_result jsonb;
begin
  case p_action
    when 'reverse_payout' then
      select coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(r) order by r.id), '[]'::jsonb) into v_result
      from private.request_payout_reversal((p_args ->> 'p_payout_id')::uuid, p_reason, p_now) r;
      begin
        perform private.ring_stripe_sync_function('reverse-payouts', '{"trigger": "admin"}'::jsonb, p_now);
      exception when others then
        null;  -- the reversal doorbell picks it up anyway
      end;
    when 'trigger_payout_schedule' then
      v_result := pg_catalog.to_jsonb(private.trigger_payout_schedule((p_args ->> 'p_schedule_id')::uuid, p_reason, p_now));
    when 'release_escrow_hold' then
      v_result := pg_catalog.to_jsonb(private.transition_escrow_hold((p_args ->> 'p_hold_id')::uuid, 'released', p_reason, p_now));
    when 'cancel_escrow_hold' then
      v_result := pg_catalog.to_jsonb(private.transition_escrow_hold((p_args ->> 'p_hold_id')::uuid, 'cancelled', p_reason, p_now));
    when 'fail_placement' then
      v_result := pg_catalog.to_jsonb(private.transition_placement((p_args ->> 'p_placement_id')::uuid, 'failed', p_reason, p_now));
    when 'resume_payouts' then
      v_result := private.payout_controls_json(private.set_payouts_paused(false, p_reason, p_now));
    when 'grant_platform_admin' then
      v_result := pg_catalog.to_jsonb(private.grant_platform_admin((p_args ->> 'p_user_id')::uuid, p_reason));
    when 'lift_payout_cap' then
      v_result := private.lift_payout_cap(p_args ->> 'p_currency', (p_args ->> 'p_recruiter_id')::uuid,
        (p_args ->> 'p_day')::date, p_reason, p_now);
    else
      raise exception 'unknown admin action: %', coalesce(p_action, '<null>') using errcode = 'PT400';
  end case;
  return v_result;
end
$$;
comment on function private.execute_admin_action(text, jsonb, text, timestamptz) is
  'Runs an approved admin action with its stored arguments and the given reason (the model''s transition functions, under the current actor); returns what the RPC returns, as jsonb.';

-- The request as the API returns it; status expired = pending past expires_at.
create function private.admin_action_request_json(p_row private.admin_action_requests, p_now timestamptz)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select pg_catalog.jsonb_build_object(
    'id', p_row.id, 'action', p_row.action, 'args', p_row.args, 'amount', p_row.amount,
    'currency', p_row.currency,
    'status', case when p_row.status = 'pending' and p_row.expires_at <= p_now then 'expired' else p_row.status end,
    'requested_by', p_row.requested_by, 'requested_at', p_row.requested_at, 'expires_at', p_row.expires_at,
    'decided_by', p_row.decided_by, 'decided_at', p_row.decided_at, 'decision_reason', p_row.decision_reason,
    'break_glass', p_row.break_glass, 'result', p_row.result)
$$;
comment on function private.admin_action_request_json(private.admin_action_requests, timestamptz) is
  'A four-eyes request as returned by the API: {id, action, args, amount, currency, status (pending_approval is status pending; expired = pending past expires_at), requested_by, requested_at, expires_at, decided_by, decided_at, decision_reason, break_glass, result}.';

-- Locks the request and refuses what cannot be decided (PT404, PT409 decided or expired).
create function private.lock_pending_admin_action(p_request_id uuid, p_now timestamptz)
returns private.admin_action_requests
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row private.admin_action_requests;
begin
  if p_request_id is null then
    raise exception 'p_request_id is required' using errcode = 'PT400';
  end if;
  -- the row lock serializes deciders; after waiting, READ COMMITTED re-reads the decided row
  select * into v_row from private.admin_action_requests r where r.id = p_request_id for update;
  if not found then
    raise exception 'admin action request % not found', p_request_id using errcode = 'PT404';
  end if;
  if v_row.status <> 'pending' then
    raise exception 'admin action request % is already %', v_row.id, v_row.status using errcode = 'PT409',
      hint = 'A request is decided once.';
  end if;
  if v_row.expires_at <= p_now then
    raise exception 'admin action request % expired at %', v_row.id, v_row.expires_at using errcode = 'PT409',
      hint = 'Ask again with request_admin_action.';
  end if;
  return v_row;
end
$$;
comment on function private.lock_pending_admin_action(uuid, timestamptz) is
  'Locks a four-eyes request (FOR UPDATE) and returns it if it is pending and not expired: PT400 no id, PT404 unknown, PT409 already executed/rejected or expired.';

-- Executes a locked pending request and records the decision (the caller set the actor).
create function private.decide_admin_action(
  p_row private.admin_action_requests, p_decided_by uuid, p_decision text, p_reason text, p_break_glass boolean,
  p_now timestamptz)
returns private.admin_action_requests
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_note text;
  v_result jsonb;
  v_row private.admin_action_requests;
begin
  v_note := pg_catalog.format('four-eyes request %s of %s: requested by %s, %s by %s', p_row.id, p_row.action,
    p_row.requested_by, case when p_break_glass then 'executed (break glass)' else p_decision end,
    coalesce(p_decided_by::text, 'postgres'));
  if p_decision = 'approved' then
    -- every audit row and event of the action carries both admins and the request in its reason
    v_result := private.execute_admin_action(p_row.action, p_row.args,
      pg_catalog.left(coalesce(nullif(pg_catalog.btrim(p_row.args ->> 'p_reason'), '') || ' ', '') || '[' || v_note || ']', 2000),
      p_now);
  end if;
  perform private.set_audit_context(
    case when p_break_glass then 'admin_action.break_glass' when p_decision = 'approved' then 'admin_action.approve'
         else 'admin_action.reject' end,
    pg_catalog.left(coalesce(nullif(pg_catalog.btrim(p_reason), '') || ' ', '') || '[' || v_note || ']', 2000));
  update private.admin_action_requests r
     set status = case when p_decision = 'approved' then 'executed' else 'rejected' end,
         decided_by = p_decided_by, decided_at = p_now, decision_reason = nullif(pg_catalog.btrim(p_reason), ''),
         break_glass = p_break_glass, result = v_result
   where r.id = p_row.id
  returning * into v_row;
  perform private.emit_event('admin_action.' || case when p_decision = 'approved' then 'executed' else 'rejected' end,
    'admin_action_request', v_row.id, null, null,
    pg_catalog.jsonb_build_object('action', v_row.action, 'requested_by', v_row.requested_by,
      'decided_by', v_row.decided_by, 'break_glass', v_row.break_glass, 'amount', v_row.amount,
      'currency', v_row.currency));
  perform private.clear_audit_context();
  return v_row;
end
$$;
comment on function private.decide_admin_action(private.admin_action_requests, uuid, text, text, boolean, timestamptz) is
  'Approves (executes the stored action with a reason naming the request, the requester and the approver) or rejects a locked pending request; audited as admin_action.approve / reject / break_glass, event admin_action.executed / rejected.';

-- ---------------------------------------------------------------------------------------------
-- RPC bodies (private, security definer)
-- ---------------------------------------------------------------------------------------------
create function private.rpc_request_admin_action(p_action text, p_args jsonb)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_admin uuid;
  v_now timestamptz := pg_catalog.now();
  v_plan record;
  v_row private.admin_action_requests;
begin
  v_admin := private.begin_admin_action();
  if p_action is null then
    raise exception 'p_action is required' using errcode = 'PT400';
  end if;
  if p_args is null then
    raise exception 'p_args is required (the RPC''s named arguments, {} for none)' using errcode = 'PT400';
  end if;
  select * into v_plan from private.admin_action_plan(p_action, p_args, v_now);
  perform private.set_audit_context('admin_action.request', p_args ->> 'p_reason');
  insert into private.admin_action_requests (action, args, amount, currency, requested_by, requested_at, expires_at)
  values (p_action, p_args, v_plan.amount, v_plan.currency, v_admin, v_now,
          v_now + (private.settings()).approval_request_ttl)
  returning * into v_row;
  perform private.emit_event('admin_action.requested', 'admin_action_request', v_row.id, null, null,
    pg_catalog.jsonb_build_object('action', v_row.action, 'requested_by', v_admin, 'amount', v_row.amount,
                                  'currency', v_row.currency, 'expires_at', v_row.expires_at));
  perform private.clear_audit_context();
  return private.admin_action_request_json(v_row, v_now);
end
$$;
comment on function private.rpc_request_admin_action(text, jsonb) is
  'Body of public.request_admin_action (platform admins only, 42501).';

create function private.rpc_approve_admin_action(p_request_id uuid, p_reason text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_admin uuid;
  v_now timestamptz := pg_catalog.now();
  v_row private.admin_action_requests;
begin
  v_admin := private.begin_admin_action();
  v_row := private.lock_pending_admin_action(p_request_id, v_now);
  if v_row.requested_by = v_admin then
    raise exception 'nobody approves their own request (%)', v_row.id using errcode = 'PT403',
      hint = 'Another platform admin approves it.';
  end if;
  return private.admin_action_request_json(
    private.decide_admin_action(v_row, v_admin, 'approved', p_reason, false, v_now), v_now);
end
$$;
comment on function private.rpc_approve_admin_action(uuid, text) is
  'Body of public.approve_admin_action (platform admins only, 42501).';

create function private.rpc_reject_admin_action(p_request_id uuid, p_reason text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_admin uuid;
  v_now timestamptz := pg_catalog.now();
  v_row private.admin_action_requests;
begin
  v_admin := private.begin_admin_action();
  if p_request_id is null then
    raise exception 'p_request_id is required' using errcode = 'PT400';
  end if;
  if pg_catalog.btrim(coalesce(p_reason, '')) = '' then
    raise exception 'p_reason is required to reject a request' using errcode = 'PT400';
  end if;
  v_row := private.lock_pending_admin_action(p_request_id, v_now);
  if v_row.requested_by = v_admin then
    raise exception 'nobody decides their own request (%)', v_row.id using errcode = 'PT403',
      hint = 'Another platform admin approves or rejects it; it expires at expires_at.';
  end if;
  return private.admin_action_request_json(
    private.decide_admin_action(v_row, v_admin, 'rejected', p_reason, false, v_now), v_now);
end
$$;
comment on function private.rpc_reject_admin_action(uuid, text) is
  'Body of public.reject_admin_action (platform admins only, 42501).';

create function private.rpc_admin_action_requests(p_status text)
returns table (
  id uuid, action text, args jsonb, amount bigint, currency text, status text, requested_by uuid,
  requested_at timestamptz, expires_at timestamptz, decided_by uuid, decided_at timestamptz,
  decision_reason text, break_glass boolean, result jsonb)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_now timestamptz := pg_catalog.now();
begin
  perform private.require_platform_admin();
  if p_status is not null and p_status not in ('pending', 'executed', 'rejected', 'expired', 'all') then
    raise exception 'p_status must be pending, executed, rejected, expired or all (got %)', p_status
      using errcode = 'PT400';
  end if;
  -- a set, not one JSON array: PostgREST pages it (Range, limit/offset, count=exact). Each row
  -- as admin_action_request_json shows it (expired = pending past expires_at), defined once there.
  return query
    select j.id, j.action, j.args, j.amount, j.currency, j.status, j.requested_by, j.requested_at,
           j.expires_at, j.decided_by, j.decided_at, j.decision_reason, j.break_glass, j.result
    from private.admin_action_requests r
    cross join lateral pg_catalog.jsonb_populate_record(null::private.admin_action_requests,
      private.admin_action_request_json(r, v_now)) j
    where p_status is null or p_status = 'all'
       or (p_status = 'pending' and r.status = 'pending' and r.expires_at > v_now)
       or (p_status = 'expired' and r.status = 'pending' and r.expires_at <= v_now)
       or (p_status in ('executed', 'rejected') and r.status = p_status)
    order by r.requested_at desc, r.id;
end
$$;
comment on function private.rpc_admin_action_requests(text) is
  'Body of public.admin_action_requests (platform admins only, 42501).';

-- ---------------------------------------------------------------------------------------------
-- Break glass: postgres over SQL, when no other platform admin exists to approve
-- ---------------------------------------------------------------------------------------------
-- Run as postgres (SQL editor, psql):
--   select private.break_glass_admin_action('<request id>', 'why it cannot wait');
-- Security invoker and executable by nobody but its owner. Audited as system with action
-- admin_action.break_glass; public.payout_alerts shows it (break_glass_used) for 7 days.
create function private.break_glass_admin_action(
  p_request_id uuid, p_reason text, p_now timestamptz default pg_catalog.now())
returns private.admin_action_requests
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_row private.admin_action_requests;
begin
  if pg_catalog.btrim(coalesce(p_reason, '')) = '' then
    raise exception 'p_reason is required to break the glass' using errcode = 'PT400';
  end if;
  v_row := private.lock_pending_admin_action(p_request_id, p_now);
  -- admins locked: one granted meanwhile would be an approver
  if exists (select 1 from public.platform_admins a where a.user_id <> v_row.requested_by for share) then
    raise exception 'another platform admin can approve request %', v_row.id using errcode = 'PT409',
      hint = 'Break glass is for a platform with one admin: ask the other admin to approve_admin_action.';
  end if;
  perform private.set_actor(null, 'system');
  return private.decide_admin_action(v_row, null, 'approved', p_reason, true, p_now);
end
$$;
comment on function private.break_glass_admin_action(uuid, text, timestamptz) is
  'Break glass (run as postgres over SQL): executes a pending four-eyes request when no platform admin other than its requester exists. Audited as system/admin_action.break_glass with the reason; shown by public.payout_alerts as break_glass_used for 7 days. PT400 no reason; PT404; PT409 decided, expired, or another admin could approve.';

revoke execute on function
  private.admin_action_plan(text, jsonb, timestamptz),
  private.require_four_eyes(text, jsonb),
  private.execute_admin_action(text, jsonb, text, timestamptz),
  private.admin_action_request_json(private.admin_action_requests, timestamptz),
  private.lock_pending_admin_action(uuid, timestamptz),
  private.decide_admin_action(private.admin_action_requests, uuid, text, text, boolean, timestamptz),
  private.rpc_request_admin_action(text, jsonb),
  private.rpc_approve_admin_action(uuid, text),
  private.rpc_reject_admin_action(uuid, text),
  private.rpc_admin_action_requests(text),
  private.break_glass_admin_action(uuid, text, timestamptz)
from public, anon, authenticated, service_role;
grant execute on function private.rpc_request_admin_action(text, jsonb) to authenticated;
grant execute on function private.rpc_approve_admin_action(uuid, text) to authenticated;
grant execute on function private.rpc_reject_admin_action(uuid, text) to authenticated;
grant execute on function private.rpc_admin_action_requests(text) to authenticated;

-- ---------------------------------------------------------------------------------------------
-- The RPCs (public, security invoker)
-- ---------------------------------------------------------------------------------------------
create function public.request_admin_action(p_action text default null, p_args jsonb default null)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.rpc_request_admin_action(p_action, p_args) from private.require_platform_admin()
$$;
comment on function public.request_admin_action(text, jsonb) is
  'Admin: asks a second platform admin to run an admin action (reverse_payout, trigger_payout_schedule, release_escrow_hold, cancel_escrow_hold, fail_placement, resume_payouts, grant_platform_admin, lift_payout_cap) with exactly these named arguments (p_args, e.g. {"p_hold_id": "...", "p_reason": "..."}); what the RPC answers with PT428. Returns the request (status pending until expires_at). 42501; PT400 unknown action/argument, missing id/reason; PT404 unknown subject.';

create function public.approve_admin_action(p_request_id uuid default null, p_reason text default null)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.rpc_approve_admin_action(p_request_id, p_reason) from private.require_platform_admin()
$$;
comment on function public.approve_admin_action(uuid, text) is
  'Admin: approves another admin''s pending request and runs its action now, in this transaction (the approver is the actor; the request and both admins are named in the audit reason). Returns the request (status executed, result = what the RPC returns). 42501; PT400; PT403 one''s own request; PT404; PT409 already decided or expired; the action''s own refusals (nothing changes, the request stays pending).';

create function public.reject_admin_action(p_request_id uuid default null, p_reason text default null)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.rpc_reject_admin_action(p_request_id, p_reason) from private.require_platform_admin()
$$;
comment on function public.reject_admin_action(uuid, text) is
  'Admin: rejects another admin''s pending request (reason required). Returns the request (status rejected). 42501; PT400; PT403 one''s own request; PT404; PT409 already decided or expired.';

create function public.admin_action_requests(p_status text default 'pending')
returns table (
  id uuid, action text, args jsonb, amount bigint, currency text, status text, requested_by uuid,
  requested_at timestamptz, expires_at timestamptz, decided_by uuid, decided_at timestamptz,
  decision_reason text, break_glass boolean, result jsonb)
language sql
stable
security invoker
set search_path = ''
as $$
  select private.rpc_admin_action_requests(p_status) from private.require_platform_admin()
$$;
comment on function public.admin_action_requests(text) is
  'Admin: four-eyes requests, newest first, one row each (page them with PostgREST''s Range or limit/offset): p_status pending (default: waiting for a second admin), executed, rejected, expired, or all; requester and approver see the outcome (status, decided_by, decided_at, decision_reason, result). 42501; PT400 bad status.';

revoke execute on function
  public.request_admin_action(text, jsonb),
  public.approve_admin_action(uuid, text),
  public.reject_admin_action(uuid, text),
  public.admin_action_requests(text)
from public, anon, authenticated, service_role;
grant execute on function public.request_admin_action(text, jsonb) to authenticated;
grant execute on function public.approve_admin_action(uuid, text) to authenticated;
grant execute on function public.reject_admin_action(uuid, text) to authenticated;
grant execute on function public.admin_action_requests(text) to authenticated;
