-- squawk-ignore-file prefer-robust-stmts,require-concurrent-index-creation
-- (the tables are created in this file, empty, inside the CLI's one transaction per migration:
-- nothing to rerun half-way and nobody to block by a plain CREATE INDEX)
-- Access, part 3: the admin RPCs that move money (schedules, escrow holds, due processing,
-- placement failure).
--
-- Shape of every admin RPC (this file and the next ones):
--   public.<name>(p_...)       one line of `language sql`, security invoker, search_path '':
--                                select private.rpc_<name>(p_...) from private.require_platform_admin()
--                              the admin gate (20261128090000) runs first: a caller who is not a
--                              platform admin gets 42501 before anything looks at the input.
--   private.rpc_<name>(p_...)  security definer, search_path ''. Passes the gate again and makes
--                              the admin the transaction's actor (private.begin_admin_action),
--                              validates (PT400 bad input, PT404 not found, PT409
--                              conflict/illegal transition, PT422 invariant), and calls the
--                              model's transition functions, which write the audit rows and
--                              events with that actor.
-- EXECUTE: authenticated on both (the invoker wrapper needs the private body); nobody else.
-- Parameters an RPC needs have a null default, which the body rejects with PT400 naming the
-- parameter: a call that leaves one out gets that answer instead of PostgREST's PGRST202
-- ("Could not find the function").
-- Private is not exposed by PostgREST, so the API surface is the public wrappers only, and no
-- security definer function in an exposed schema is executable by anon or authenticated
-- (advisor lints 0028/0029). Times are the database's now(); p_now stays internal.
--
-- process_due_payout_schedules / process_due_escrow_releases are thin on purpose.
-- process_due_payout_schedules asks the payout run (Stripe transfers from an Edge Function rung
-- by pg_cron/pg_net, 20261129*) to run now: its database part, private.request_payout_run, is
-- defined with the doorbell it rings (20261129090300_payout_doorbell_cron). It records the
-- request here, in private.payout_run_requests, or nothing when nothing is due.

-- Fail fast rather than queue behind (and in front of) live traffic; the CLI runs each
-- migration file in one transaction, so these last for this file only.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- ---------------------------------------------------------------------------------------------
-- Admin run requests: the record of "an admin pressed the button"
-- ---------------------------------------------------------------------------------------------
create table private.payout_run_requests (
  id uuid primary key default pg_catalog.gen_random_uuid(),
  kind text not null check (kind in ('payout_schedules', 'escrow_releases')),
  -- the admin's auth user id (no foreign key: like the audit log, it outlives the user)
  requested_by uuid,
  requested_at timestamptz not null,
  result jsonb not null default '{}'::jsonb check (pg_catalog.jsonb_typeof(result) = 'object'),
  created_at timestamptz not null default pg_catalog.now()
);
comment on table private.payout_run_requests is
  'One row per admin request to process due payout schedules or escrow releases now (who, when, what was due / released). A payout_schedules request is a reason for the payout doorbell (private.payout_work_due: admin_request) until an invocation starts, and emits payout_run.requested; nothing is recorded when nothing is due (private.request_payout_run).';
create index payout_run_requests_requested_at_idx on private.payout_run_requests (requested_at);
alter table private.payout_run_requests enable row level security;
revoke all on table private.payout_run_requests from public, anon, authenticated, service_role;
select private.enable_audit('private.payout_run_requests'::regclass, 'payout_run_request');

-- ---------------------------------------------------------------------------------------------
-- update_payout_schedule: move the due time of a schedule that has not run yet
-- ---------------------------------------------------------------------------------------------
-- Not in the model (which has create / trigger / cancel): built on its transition plumbing.
-- A pending schedule gets a new next_attempt_at and scheduled_date; a failed schedule that
-- still has attempts left gets a new next_attempt_at (its backoff, overridden). An exhausted
-- schedule is not rescheduled (trigger_payout_schedule gives it one more attempt), a
-- processing one has a tranche in flight, processed/cancelled are terminal: PT409.
create function private.reschedule_payout_schedule(p_schedule_id uuid, p_due_at timestamptz, p_reason text)
returns public.payout_schedules
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row public.payout_schedules;
  v_from timestamptz;
  v_prev jsonb;
begin
  if p_due_at is null then
    raise exception 'p_due_at is required' using errcode = 'PT400';
  end if;
  if not pg_catalog.isfinite(p_due_at) then
    raise exception 'p_due_at must be a finite time (got %)', p_due_at using errcode = 'PT400';
  end if;
  if pg_catalog.btrim(coalesce(p_reason, '')) = '' then
    raise exception 'p_reason is required to reschedule a payout schedule' using errcode = 'PT400';
  end if;
  select * into v_row from public.payout_schedules where id = p_schedule_id for update;
  if not found then
    raise exception 'payout schedule % not found', p_schedule_id using errcode = 'PT404';
  end if;
  if not (v_row.status = 'pending' or (v_row.status = 'failed' and v_row.retry_count < v_row.max_attempts)) then
    raise exception 'payout schedule % is % and cannot be rescheduled', v_row.id,
      case when v_row.is_exhausted then 'exhausted' else v_row.status end
      using errcode = 'PT409',
            hint = case when v_row.is_exhausted then 'trigger_payout_schedule gives an exhausted schedule one more attempt.'
                        when v_row.status = 'processing' then 'A tranche is in flight: wait for its outcome.'
                        else 'Processed and cancelled schedules are terminal.' end;
  end if;
  if v_row.next_attempt_at = p_due_at then
    return v_row;
  end if;

  v_from := v_row.next_attempt_at;
  v_prev := private.enter_transition('payout_schedule.reschedule', p_reason);
  update public.payout_schedules
     set next_attempt_at = p_due_at,
         scheduled_date = case when status = 'pending' then (p_due_at at time zone 'UTC')::date else scheduled_date end
   where id = v_row.id
  returning * into v_row;
  perform private.emit_event('payout_schedule.rescheduled', 'payout_schedule', v_row.id, v_row.placement_id,
    v_row.payout_id,
    pg_catalog.jsonb_build_object('status', v_row.status, 'from_next_attempt_at', v_from,
      'next_attempt_at', v_row.next_attempt_at, 'scheduled_date', v_row.scheduled_date, 'reason', p_reason));
  perform private.leave_transition(v_prev);
  return v_row;
end
$$;
comment on function private.reschedule_payout_schedule(uuid, timestamptz, text) is
  'Moves the next attempt of a pending schedule (and its scheduled_date) or of a failed schedule with attempts left to p_due_at (reason required). Never bypasses a gate: the claim checks eligibility. Same time = no-op. Emits payout_schedule.rescheduled. PT400/PT404/PT409.';
revoke execute on function private.reschedule_payout_schedule(uuid, timestamptz, text)
from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- RPC bodies (private, security definer)
-- ---------------------------------------------------------------------------------------------
create function private.rpc_create_payout_schedule(p_payout_id uuid, p_due_at timestamptz, p_reason text)
returns public.payout_schedules
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
  return private.create_payout_schedule(p_payout_id, p_reason, p_due_at, pg_catalog.now());
end
$$;
comment on function private.rpc_create_payout_schedule(uuid, timestamptz, text) is
  'Body of public.create_payout_schedule (platform admins only, 42501).';

create function private.rpc_update_payout_schedule(p_schedule_id uuid, p_due_at timestamptz, p_reason text)
returns public.payout_schedules
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  perform private.begin_admin_action();
  if p_schedule_id is null then
    raise exception 'p_schedule_id is required' using errcode = 'PT400';
  end if;
  return private.reschedule_payout_schedule(p_schedule_id, p_due_at, p_reason);
end
$$;
comment on function private.rpc_update_payout_schedule(uuid, timestamptz, text) is
  'Body of public.update_payout_schedule (platform admins only, 42501).';

create function private.rpc_cancel_payout_schedule(p_schedule_id uuid, p_reason text)
returns public.payout_schedules
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  perform private.begin_admin_action();
  if p_schedule_id is null then
    raise exception 'p_schedule_id is required' using errcode = 'PT400';
  end if;
  if pg_catalog.btrim(coalesce(p_reason, '')) = '' then
    raise exception 'p_reason is required to cancel a schedule' using errcode = 'PT400';
  end if;
  return private.transition_payout_schedule(p_schedule_id, 'cancelled', p_reason, pg_catalog.now());
end
$$;
comment on function private.rpc_cancel_payout_schedule(uuid, text) is
  'Body of public.cancel_payout_schedule (platform admins only, 42501).';

create function private.rpc_trigger_payout_schedule(p_schedule_id uuid, p_reason text)
returns public.payout_schedules
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  perform private.begin_admin_action();
  if p_schedule_id is null then
    raise exception 'p_schedule_id is required' using errcode = 'PT400';
  end if;
  -- an exhausted schedule may need a second admin (20261202120000_admin_approvals): PT428
  perform private.require_four_eyes('trigger_payout_schedule',
    pg_catalog.jsonb_build_object('p_schedule_id', p_schedule_id, 'p_reason', p_reason));
  return private.trigger_payout_schedule(p_schedule_id, p_reason, pg_catalog.now());
end
$$;
comment on function private.rpc_trigger_payout_schedule(uuid, text) is
  'Body of public.trigger_payout_schedule (platform admins only, 42501).';

create function private.rpc_process_due_payout_schedules()
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  perform private.begin_admin_action();
  return private.request_payout_run(pg_catalog.now());
end
$$;
comment on function private.rpc_process_due_payout_schedules() is
  'Body of public.process_due_payout_schedules (platform admins only, 42501).';

create function private.rpc_create_escrow_hold(
  p_payout_id uuid, p_hold_amount bigint, p_hold_reason text, p_release_scheduled_date date, p_reason text)
returns public.escrow_holds
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
  if p_hold_amount is null then
    raise exception 'p_hold_amount is required (minor units, > 0)' using errcode = 'PT400';
  end if;
  if p_hold_reason is null or p_hold_reason not in ('guarantee_period', 'dispute', 'verification', 'other') then
    raise exception 'p_hold_reason must be one of guarantee_period, dispute, verification, other (got %)',
      coalesce(p_hold_reason, '<null>') using errcode = 'PT400';
  end if;
  return private.create_escrow_hold(p_payout_id, p_hold_amount, p_hold_reason, p_release_scheduled_date, p_reason,
                                    pg_catalog.now());
end
$$;
comment on function private.rpc_create_escrow_hold(uuid, bigint, text, date, text) is
  'Body of public.create_escrow_hold (platform admins only, 42501).';

create function private.rpc_release_escrow_hold(p_hold_id uuid, p_reason text)
returns public.escrow_holds
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  perform private.begin_admin_action();
  if p_hold_id is null then
    raise exception 'p_hold_id is required' using errcode = 'PT400';
  end if;
  if pg_catalog.btrim(coalesce(p_reason, '')) = '' then
    raise exception 'p_reason is required to release a hold by hand' using errcode = 'PT400';
  end if;
  -- before its release time a hold may need a second admin (20261202120000_admin_approvals): PT428
  perform private.require_four_eyes('release_escrow_hold',
    pg_catalog.jsonb_build_object('p_hold_id', p_hold_id, 'p_reason', p_reason));
  return private.transition_escrow_hold(p_hold_id, 'released', p_reason, pg_catalog.now());
end
$$;
comment on function private.rpc_release_escrow_hold(uuid, text) is
  'Body of public.release_escrow_hold (platform admins only, 42501).';

create function private.rpc_cancel_escrow_hold(p_hold_id uuid, p_reason text)
returns public.escrow_holds
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  perform private.begin_admin_action();
  if p_hold_id is null then
    raise exception 'p_hold_id is required' using errcode = 'PT400';
  end if;
  if pg_catalog.btrim(coalesce(p_reason, '')) = '' then
    raise exception 'p_reason is required to cancel a hold' using errcode = 'PT400';
  end if;
  -- forfeiting may need a second admin (20261202120000_admin_approvals): PT428
  perform private.require_four_eyes('cancel_escrow_hold',
    pg_catalog.jsonb_build_object('p_hold_id', p_hold_id, 'p_reason', p_reason));
  return private.transition_escrow_hold(p_hold_id, 'cancelled', p_reason, pg_catalog.now());
end
$$;
comment on function private.rpc_cancel_escrow_hold(uuid, text) is
  'Body of public.cancel_escrow_hold (platform admins only, 42501).';

create function private.rpc_process_due_escrow_releases()
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_admin uuid;
  v_now timestamptz := pg_catalog.now();
  v_ids uuid[];
  v_id uuid;
  v_result jsonb;
begin
  v_admin := private.begin_admin_action();
  select coalesce(pg_catalog.array_agg(h.id order by h.id), '{}') into v_ids
  from private.release_due_escrow_holds(v_now) h;
  v_result := pg_catalog.jsonb_build_object(
    'released_hold_ids', pg_catalog.to_jsonb(v_ids),
    'released_count', pg_catalog.cardinality(v_ids));

  perform private.set_audit_context('payout_run.request', null);
  insert into private.payout_run_requests (kind, requested_by, requested_at, result)
  values ('escrow_releases', v_admin, v_now, v_result)
  returning id into v_id;
  perform private.clear_audit_context();

  return pg_catalog.jsonb_build_object('request_id', v_id, 'kind', 'escrow_releases', 'requested_at', v_now)
         || v_result;
end
$$;
comment on function private.rpc_process_due_escrow_releases() is
  'Body of public.process_due_escrow_releases (platform admins only, 42501): private.release_due_escrow_holds(now()) with the admin as actor, plus a payout_run_requests row.';

create function private.rpc_fail_placement(p_placement_id uuid, p_reason text)
returns public.placements
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  perform private.begin_admin_action();
  if p_placement_id is null then
    raise exception 'p_placement_id is required' using errcode = 'PT400';
  end if;
  if pg_catalog.btrim(coalesce(p_reason, '')) = '' then
    raise exception 'p_reason is required to fail a placement' using errcode = 'PT400';
  end if;
  -- may need a second admin (20261202120000_admin_approvals): PT428
  perform private.require_four_eyes('fail_placement',
    pg_catalog.jsonb_build_object('p_placement_id', p_placement_id, 'p_reason', p_reason));
  return private.transition_placement(p_placement_id, 'failed', p_reason, pg_catalog.now());
end
$$;
comment on function private.rpc_fail_placement(uuid, text) is
  'Body of public.fail_placement (platform admins only, 42501).';

revoke execute on function
  private.rpc_create_payout_schedule(uuid, timestamptz, text),
  private.rpc_update_payout_schedule(uuid, timestamptz, text),
  private.rpc_cancel_payout_schedule(uuid, text),
  private.rpc_trigger_payout_schedule(uuid, text),
  private.rpc_process_due_payout_schedules(),
  private.rpc_create_escrow_hold(uuid, bigint, text, date, text),
  private.rpc_release_escrow_hold(uuid, text),
  private.rpc_cancel_escrow_hold(uuid, text),
  private.rpc_process_due_escrow_releases(),
  private.rpc_fail_placement(uuid, text)
from public, anon, authenticated, service_role;
grant execute on function private.rpc_create_payout_schedule(uuid, timestamptz, text) to authenticated;
grant execute on function private.rpc_update_payout_schedule(uuid, timestamptz, text) to authenticated;
grant execute on function private.rpc_cancel_payout_schedule(uuid, text) to authenticated;
grant execute on function private.rpc_trigger_payout_schedule(uuid, text) to authenticated;
grant execute on function private.rpc_process_due_payout_schedules() to authenticated;
grant execute on function private.rpc_create_escrow_hold(uuid, bigint, text, date, text) to authenticated;
grant execute on function private.rpc_release_escrow_hold(uuid, text) to authenticated;
grant execute on function private.rpc_cancel_escrow_hold(uuid, text) to authenticated;
grant execute on function private.rpc_process_due_escrow_releases() to authenticated;
grant execute on function private.rpc_fail_placement(uuid, text) to authenticated;

-- ---------------------------------------------------------------------------------------------
-- The RPCs (public, security invoker)
-- ---------------------------------------------------------------------------------------------
create function public.create_payout_schedule(
  p_payout_id uuid default null, p_due_at timestamptz default null, p_reason text default null)
returns public.payout_schedules
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.rpc_create_payout_schedule(p_payout_id, p_due_at, p_reason) from private.require_platform_admin()
$$;
comment on function public.create_payout_schedule(uuid, timestamptz, text) is
  'Admin: a manual schedule for a payout with payable money, due at p_due_at (default now). Returns the schedule (the existing live one if the payout has one). 42501 not a platform admin; PT400 no payout id, or p_due_at infinite; PT404 unknown payout; PT409 placement failed or nothing payable.';

create function public.update_payout_schedule(
  p_schedule_id uuid default null, p_due_at timestamptz default null, p_reason text default null)
returns public.payout_schedules
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.rpc_update_payout_schedule(p_schedule_id, p_due_at, p_reason) from private.require_platform_admin()
$$;
comment on function public.update_payout_schedule(uuid, timestamptz, text) is
  'Admin: moves the next attempt of a pending schedule (or of a failed one with attempts left) to p_due_at; reason required. Gates are still checked at claim. Returns the schedule. 42501; PT400 missing id/time/reason; PT404 unknown schedule; PT409 processing, exhausted, processed or cancelled.';

create function public.cancel_payout_schedule(p_schedule_id uuid default null, p_reason text default null)
returns public.payout_schedules
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.rpc_cancel_payout_schedule(p_schedule_id, p_reason) from private.require_platform_admin()
$$;
comment on function public.cancel_payout_schedule(uuid, text) is
  'Admin: cancels a pending or failed schedule (reason required; not while a tranche is in flight). Already cancelled = returned unchanged. Returns the schedule. 42501; PT400; PT404; PT409.';

create function public.trigger_payout_schedule(p_schedule_id uuid default null, p_reason text default null)
returns public.payout_schedules
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.rpc_trigger_payout_schedule(p_schedule_id, p_reason) from private.require_platform_admin()
$$;
comment on function public.trigger_payout_schedule(uuid, text) is
  'Admin override: makes a pending schedule due now, or gives a failed (also exhausted) schedule one more attempt now. Overrides only the date and the attempt cap: the guarantee, holds, collectibility, connected account and pause gates are checked by the next claim as always. Reason required. Returns the schedule. 42501; PT400; PT404; PT409 (processing/processed/cancelled); PT428 an exhausted schedule at or above the four-eyes threshold (request_admin_action).';

create function public.process_due_payout_schedules()
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.rpc_process_due_payout_schedules() from private.require_platform_admin()
$$;
comment on function public.process_due_payout_schedules() is
  'Admin: asks for a payout run now (private.request_payout_run). Something due: records the request (audited, event payout_run.requested) with the schedules due now and rings the payout doorbell at once (process-payout-schedules through pg_net). Nothing due: records and rings nothing. Returns {request_id (null when nothing is due), kind: "payout_schedules", requested_at, due_schedule_ids, due_count, nothing_due, doorbell_request_id (null: not rung), doorbell_error?}. 42501.';

create function public.create_escrow_hold(
  p_payout_id uuid default null, p_hold_amount bigint default null, p_hold_reason text default null,
  p_release_scheduled_date date default null, p_reason text default null)
returns public.escrow_holds
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.rpc_create_escrow_hold(p_payout_id, p_hold_amount, p_hold_reason, p_release_scheduled_date, p_reason) from private.require_platform_admin()
$$;
comment on function public.create_escrow_hold(uuid, bigint, text, date, text) is
  'Admin: holds p_hold_amount (minor units) of a payout''s unpaid, unheld money (payable -> held) for p_hold_reason (guarantee_period, dispute, verification, other) until p_release_scheduled_date (null: until released by hand). Returns the hold. 42501; PT400 bad amount/reason, release date infinity; PT404 unknown payout; PT409 placement failed; PT422 more than the payable remainder.';

create function public.release_escrow_hold(p_hold_id uuid default null, p_reason text default null)
returns public.escrow_holds
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.rpc_release_escrow_hold(p_hold_id, p_reason) from private.require_platform_admin()
$$;
comment on function public.release_escrow_hold(uuid, text) is
  'Admin: releases an active hold now (held -> payable; the payout gets a schedule at the next payout due time). Reason required. Already released = returned unchanged. Returns the hold. 42501; PT400; PT404; PT409 (cancelled); PT428 before its release time, at or above the four-eyes threshold (request_admin_action).';

create function public.cancel_escrow_hold(p_hold_id uuid default null, p_reason text default null)
returns public.escrow_holds
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.rpc_cancel_escrow_hold(p_hold_id, p_reason) from private.require_platform_admin()
$$;
comment on function public.cancel_escrow_hold(uuid, text) is
  'Admin: cancels an active hold: its money is forfeited to the platform (held -> forfeited). Reason required. Already cancelled = returned unchanged. Returns the hold. 42501; PT400; PT404; PT409 (released); PT428 at or above the four-eyes threshold (request_admin_action).';

create function public.process_due_escrow_releases()
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.rpc_process_due_escrow_releases() from private.require_platform_admin()
$$;
comment on function public.process_due_escrow_releases() is
  'Admin: releases every active hold whose release date and time (UTC) has come, now, as the nightly job would (failed placements excluded). Returns {request_id, kind: "escrow_releases", requested_at, released_hold_ids, released_count}. 42501.';

create function public.fail_placement(p_placement_id uuid default null, p_reason text default null)
returns public.placements
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.rpc_fail_placement(p_placement_id, p_reason) from private.require_platform_admin()
$$;
comment on function public.fail_placement(uuid, text) is
  'Admin: the candidate left during the guarantee. In one transaction: placement failed, live schedules cancelled, active holds and unpaid money forfeited, paid payouts flagged for reversal. Reason required. Already failed = returned unchanged. Returns the placement. 42501; PT400; PT404; PT409 (completed, or guarantee over); PT428 its payouts at or above the four-eyes threshold (request_admin_action).';

revoke execute on function
  public.create_payout_schedule(uuid, timestamptz, text),
  public.update_payout_schedule(uuid, timestamptz, text),
  public.cancel_payout_schedule(uuid, text),
  public.trigger_payout_schedule(uuid, text),
  public.process_due_payout_schedules(),
  public.create_escrow_hold(uuid, bigint, text, date, text),
  public.release_escrow_hold(uuid, text),
  public.cancel_escrow_hold(uuid, text),
  public.process_due_escrow_releases(),
  public.fail_placement(uuid, text)
from public, anon, authenticated, service_role;
grant execute on function public.create_payout_schedule(uuid, timestamptz, text) to authenticated;
grant execute on function public.update_payout_schedule(uuid, timestamptz, text) to authenticated;
grant execute on function public.cancel_payout_schedule(uuid, text) to authenticated;
grant execute on function public.trigger_payout_schedule(uuid, text) to authenticated;
grant execute on function public.process_due_payout_schedules() to authenticated;
grant execute on function public.create_escrow_hold(uuid, bigint, text, date, text) to authenticated;
grant execute on function public.release_escrow_hold(uuid, text) to authenticated;
grant execute on function public.cancel_escrow_hold(uuid, text) to authenticated;
grant execute on function public.process_due_escrow_releases() to authenticated;
grant execute on function public.fail_placement(uuid, text) to authenticated;
