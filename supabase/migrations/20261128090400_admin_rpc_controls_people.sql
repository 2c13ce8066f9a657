-- Access, part 5: controls (the platform kill switch and per-recruiter pauses) and people
-- (platform admins, company members). Same shape as 20261128090200.
--
-- Pauses take effect on the next claim: private.payout_eligibility reads the platform switch and
-- the recruiter's flag when claim_due_payout_schedules runs (a tranche already in flight is not
-- recalled). Every change is audited (payout_settings, recruiters, platform_admins and
-- company_members carry audit triggers) with the acting admin, and emits an event where the
-- model does (platform.payouts_paused/resumed, recruiter.paused/resumed).

-- Fail fast rather than queue behind (and in front of) live traffic; the CLI runs each
-- migration file in one transaction, so these last for this file only.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The platform switch as the API returns it (private.payout_settings is not exposed).
create function private.payout_controls_json(p_settings private.payout_settings)
returns jsonb
language sql
immutable
set search_path = ''
as $$
  select pg_catalog.jsonb_build_object(
    'payouts_paused', p_settings.payouts_paused,
    'paused_at', p_settings.paused_at,
    'paused_reason', p_settings.paused_reason,
    'settlement_buffer', p_settings.settlement_buffer,
    'payout_due_time', p_settings.payout_due_time,
    'escrow_release_time', p_settings.escrow_release_time,
    'max_failed_attempts', p_settings.max_failed_attempts,
    'updated_at', p_settings.updated_at)
$$;
comment on function private.payout_controls_json(private.payout_settings) is
  'The platform payout controls as returned by the API: {payouts_paused, paused_at, paused_reason, settlement_buffer, payout_due_time, escrow_release_time, max_failed_attempts, updated_at}.';
revoke execute on function private.payout_controls_json(private.payout_settings) from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- RPC bodies (private, security definer)
-- ---------------------------------------------------------------------------------------------
create function private.rpc_payout_controls()
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform private.require_platform_admin();
  return private.payout_controls_json(private.settings());
end
$$;
comment on function private.rpc_payout_controls() is
  'Body of public.payout_controls (platform admins only, 42501).';

create function private.rpc_pause_payouts(p_reason text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  perform private.begin_admin_action();
  if pg_catalog.btrim(coalesce(p_reason, '')) = '' then
    raise exception 'p_reason is required to pause payouts' using errcode = 'PT400';
  end if;
  return private.payout_controls_json(private.set_payouts_paused(true, p_reason, pg_catalog.now()));
end
$$;
comment on function private.rpc_pause_payouts(text) is
  'Body of public.pause_payouts (platform admins only, 42501).';

create function private.rpc_resume_payouts(p_reason text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  perform private.begin_admin_action();
  -- while paused, always a second admin (20261202120000_admin_approvals): PT428
  perform private.require_four_eyes('resume_payouts', pg_catalog.jsonb_strip_nulls(
    pg_catalog.jsonb_build_object('p_reason', p_reason)));
  return private.payout_controls_json(private.set_payouts_paused(false, p_reason, pg_catalog.now()));
end
$$;
comment on function private.rpc_resume_payouts(text) is
  'Body of public.resume_payouts (platform admins only, 42501).';

create function private.rpc_pause_recruiter_payouts(p_recruiter_id uuid, p_reason text)
returns public.recruiters
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  perform private.begin_admin_action();
  if p_recruiter_id is null then
    raise exception 'p_recruiter_id is required' using errcode = 'PT400';
  end if;
  if pg_catalog.btrim(coalesce(p_reason, '')) = '' then
    raise exception 'p_reason is required to pause a recruiter' using errcode = 'PT400';
  end if;
  return private.set_recruiter_paused(p_recruiter_id, true, p_reason, pg_catalog.now());
end
$$;
comment on function private.rpc_pause_recruiter_payouts(uuid, text) is
  'Body of public.pause_recruiter_payouts (platform admins only, 42501).';

create function private.rpc_resume_recruiter_payouts(p_recruiter_id uuid, p_reason text)
returns public.recruiters
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  perform private.begin_admin_action();
  if p_recruiter_id is null then
    raise exception 'p_recruiter_id is required' using errcode = 'PT400';
  end if;
  return private.set_recruiter_paused(p_recruiter_id, false, p_reason, pg_catalog.now());
end
$$;
comment on function private.rpc_resume_recruiter_payouts(uuid, text) is
  'Body of public.resume_recruiter_payouts (platform admins only, 42501).';

-- The grant itself: the RPC below (when it needs no second admin, i.e. the user is already an
-- admin) and an approved four-eyes request (20261202120000_admin_approvals) run it.
create function private.grant_platform_admin(p_user_id uuid, p_reason text)
returns public.platform_admins
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row public.platform_admins;
begin
  if not exists (select 1 from auth.users u where u.id = p_user_id) then
    raise exception 'user % not found', p_user_id using errcode = 'PT404';
  end if;
  perform private.set_audit_context('platform_admin.grant', p_reason);
  insert into public.platform_admins (user_id, granted_by) values (p_user_id, private.actor_id())
  on conflict (user_id) do nothing;
  perform private.clear_audit_context();
  select * into v_row from public.platform_admins a where a.user_id = p_user_id;
  return v_row;
end
$$;
comment on function private.grant_platform_admin(uuid, text) is
  'Makes a user a platform admin, granted_by = the current actor (idempotent; audited as platform_admin.grant with the reason). PT404 unknown user. Internal: the admin RPC and approved four-eyes requests.';
revoke execute on function private.grant_platform_admin(uuid, text) from public, anon, authenticated, service_role;

create function private.rpc_grant_platform_admin(p_user_id uuid)
returns public.platform_admins
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  perform private.begin_admin_action();
  if p_user_id is null then
    raise exception 'p_user_id is required' using errcode = 'PT400';
  end if;
  -- a new admin always needs a second admin (20261202120000_admin_approvals): PT428
  perform private.require_four_eyes('grant_platform_admin', pg_catalog.jsonb_build_object('p_user_id', p_user_id));
  return private.grant_platform_admin(p_user_id, null);
end
$$;
comment on function private.rpc_grant_platform_admin(uuid) is
  'Body of public.grant_platform_admin (platform admins only, 42501).';

create function private.rpc_revoke_platform_admin(p_user_id uuid)
returns public.platform_admins
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row public.platform_admins;
  v_count integer;
begin
  perform private.begin_admin_action();
  if p_user_id is null then
    raise exception 'p_user_id is required' using errcode = 'PT400';
  end if;
  -- every admin row locked: two admins revoking each other cannot both pass the last-admin check
  select count(*) into v_count from (select 1 from public.platform_admins a for update) l;
  select * into v_row from public.platform_admins a where a.user_id = p_user_id;
  if not found then
    raise exception 'user % is not a platform admin', p_user_id using errcode = 'PT404';
  end if;
  if v_count <= 1 then
    raise exception 'the last platform admin cannot be revoked' using errcode = 'PT409',
      hint = 'Grant another admin first.';
  end if;

  perform private.set_audit_context('platform_admin.revoke', null);
  delete from public.platform_admins a where a.id = v_row.id;
  perform private.clear_audit_context();
  return v_row;
end
$$;
comment on function private.rpc_revoke_platform_admin(uuid) is
  'Body of public.revoke_platform_admin (platform admins only, 42501).';

create function private.rpc_add_company_member(p_company_id uuid, p_user_id uuid, p_role text)
returns public.company_members
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row public.company_members;
begin
  perform private.begin_admin_action();
  if p_company_id is null then
    raise exception 'p_company_id is required' using errcode = 'PT400';
  end if;
  if p_user_id is null then
    raise exception 'p_user_id is required' using errcode = 'PT400';
  end if;
  if p_role is null or p_role not in ('company_admin', 'hiring_manager') then
    raise exception 'p_role must be company_admin or hiring_manager (got %)', coalesce(p_role, '<null>')
      using errcode = 'PT400';
  end if;
  if not exists (select 1 from public.companies c where c.id = p_company_id) then
    raise exception 'company % not found', p_company_id using errcode = 'PT404';
  end if;
  if not exists (select 1 from auth.users u where u.id = p_user_id) then
    raise exception 'user % not found', p_user_id using errcode = 'PT404';
  end if;

  perform private.set_audit_context('company_member.add', null);
  insert into public.company_members (company_id, user_id, role) values (p_company_id, p_user_id, p_role)
  on conflict (company_id, user_id) do update
    set role = excluded.role, updated_at = pg_catalog.now()
    where public.company_members.role <> excluded.role;
  perform private.clear_audit_context();
  select * into v_row from public.company_members m where m.company_id = p_company_id and m.user_id = p_user_id;
  return v_row;
end
$$;
comment on function private.rpc_add_company_member(uuid, uuid, text) is
  'Body of public.add_company_member (platform admins only, 42501).';

create function private.rpc_remove_company_member(p_company_id uuid, p_user_id uuid)
returns public.company_members
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row public.company_members;
begin
  perform private.begin_admin_action();
  if p_company_id is null then
    raise exception 'p_company_id is required' using errcode = 'PT400';
  end if;
  if p_user_id is null then
    raise exception 'p_user_id is required' using errcode = 'PT400';
  end if;
  perform private.set_audit_context('company_member.remove', null);
  delete from public.company_members m where m.company_id = p_company_id and m.user_id = p_user_id
  returning * into v_row;
  if not found then
    raise exception 'user % is not a member of company %', p_user_id, p_company_id using errcode = 'PT404';
  end if;
  perform private.clear_audit_context();
  return v_row;
end
$$;
comment on function private.rpc_remove_company_member(uuid, uuid) is
  'Body of public.remove_company_member (platform admins only, 42501).';

revoke execute on function
  private.rpc_payout_controls(),
  private.rpc_pause_payouts(text),
  private.rpc_resume_payouts(text),
  private.rpc_pause_recruiter_payouts(uuid, text),
  private.rpc_resume_recruiter_payouts(uuid, text),
  private.rpc_grant_platform_admin(uuid),
  private.rpc_revoke_platform_admin(uuid),
  private.rpc_add_company_member(uuid, uuid, text),
  private.rpc_remove_company_member(uuid, uuid)
from public, anon, authenticated, service_role;
grant execute on function private.rpc_payout_controls() to authenticated;
grant execute on function private.rpc_pause_payouts(text) to authenticated;
grant execute on function private.rpc_resume_payouts(text) to authenticated;
grant execute on function private.rpc_pause_recruiter_payouts(uuid, text) to authenticated;
grant execute on function private.rpc_resume_recruiter_payouts(uuid, text) to authenticated;
grant execute on function private.rpc_grant_platform_admin(uuid) to authenticated;
grant execute on function private.rpc_revoke_platform_admin(uuid) to authenticated;
grant execute on function private.rpc_add_company_member(uuid, uuid, text) to authenticated;
grant execute on function private.rpc_remove_company_member(uuid, uuid) to authenticated;

-- ---------------------------------------------------------------------------------------------
-- The RPCs (public, security invoker)
-- ---------------------------------------------------------------------------------------------
create function public.payout_controls()
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select private.rpc_payout_controls() from private.require_platform_admin()
$$;
comment on function public.payout_controls() is
  'Admin: the platform payout controls {payouts_paused, paused_at, paused_reason, settlement_buffer, payout_due_time, escrow_release_time, max_failed_attempts, updated_at}. 42501.';

create function public.pause_payouts(p_reason text default null)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.rpc_pause_payouts(p_reason) from private.require_platform_admin()
$$;
comment on function public.pause_payouts(text) is
  'Admin kill switch: no payout is transferred from the next claim on (claims skip with platform_paused) until resume_payouts. Reason required. Already paused = unchanged. Returns payout_controls(). 42501; PT400 no reason.';

create function public.resume_payouts(p_reason text default null)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.rpc_resume_payouts(p_reason) from private.require_platform_admin()
$$;
comment on function public.resume_payouts(text) is
  'Admin: turns the kill switch off; the next claim transfers again. While paused it always needs a second platform admin: PT428, ask with request_admin_action(''resume_payouts'', {p_reason}). Not paused = unchanged. Returns payout_controls(). 42501; PT428.';

create function public.pause_recruiter_payouts(p_recruiter_id uuid default null, p_reason text default null)
returns public.recruiters
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.rpc_pause_recruiter_payouts(p_recruiter_id, p_reason) from private.require_platform_admin()
$$;
comment on function public.pause_recruiter_payouts(uuid, text) is
  'Admin: pauses one recruiter''s payouts from the next claim on (claims skip with recruiter_paused). Reason required. Already paused = unchanged. Returns the recruiter. 42501; PT400; PT404 unknown recruiter.';

create function public.resume_recruiter_payouts(p_recruiter_id uuid default null, p_reason text default null)
returns public.recruiters
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.rpc_resume_recruiter_payouts(p_recruiter_id, p_reason) from private.require_platform_admin()
$$;
comment on function public.resume_recruiter_payouts(uuid, text) is
  'Admin: resumes one recruiter''s payouts from the next claim on. Not paused = unchanged. Returns the recruiter. 42501; PT400; PT404 unknown recruiter.';

create function public.grant_platform_admin(p_user_id uuid default null)
returns public.platform_admins
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.rpc_grant_platform_admin(p_user_id) from private.require_platform_admin()
$$;
comment on function public.grant_platform_admin(uuid) is
  'Admin: makes a user a platform admin (effective on their next request; their JWT is not involved). Always needs a second platform admin: PT428, ask with request_admin_action(''grant_platform_admin'', {p_user_id}). Already admin = unchanged. Returns the platform_admins row. 42501; PT400; PT404 unknown user; PT428.';

create function public.revoke_platform_admin(p_user_id uuid default null)
returns public.platform_admins
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.rpc_revoke_platform_admin(p_user_id) from private.require_platform_admin()
$$;
comment on function public.revoke_platform_admin(uuid) is
  'Admin: removes a user''s platform_admin role (effective on their next request, whatever their JWT says). Returns the removed row. 42501; PT400; PT404 not an admin; PT409 the last admin.';

create function public.add_company_member(
  p_company_id uuid default null, p_user_id uuid default null, p_role text default null)
returns public.company_members
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.rpc_add_company_member(p_company_id, p_user_id, p_role) from private.require_platform_admin()
$$;
comment on function public.add_company_member(uuid, uuid, text) is
  'Admin: makes a user a member of a company as company_admin or hiring_manager (an existing member gets the new role). Returns the membership. 42501; PT400; PT404 unknown company or user.';

create function public.remove_company_member(p_company_id uuid default null, p_user_id uuid default null)
returns public.company_members
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.rpc_remove_company_member(p_company_id, p_user_id) from private.require_platform_admin()
$$;
comment on function public.remove_company_member(uuid, uuid) is
  'Admin: removes a user from a company (effective on their next request). Returns the removed membership. 42501; PT400; PT404 not a member.';

revoke execute on function
  public.payout_controls(),
  public.pause_payouts(text),
  public.resume_payouts(text),
  public.pause_recruiter_payouts(uuid, text),
  public.resume_recruiter_payouts(uuid, text),
  public.grant_platform_admin(uuid),
  public.revoke_platform_admin(uuid),
  public.add_company_member(uuid, uuid, text),
  public.remove_company_member(uuid, uuid)
from public, anon, authenticated, service_role;
grant execute on function public.payout_controls() to authenticated;
grant execute on function public.pause_payouts(text) to authenticated;
grant execute on function public.resume_payouts(text) to authenticated;
grant execute on function public.pause_recruiter_payouts(uuid, text) to authenticated;
grant execute on function public.resume_recruiter_payouts(uuid, text) to authenticated;
grant execute on function public.grant_platform_admin(uuid) to authenticated;
grant execute on function public.revoke_platform_admin(uuid) to authenticated;
grant execute on function public.add_company_member(uuid, uuid, text) to authenticated;
grant execute on function public.remove_company_member(uuid, uuid) to authenticated;
