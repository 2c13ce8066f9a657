-- squawk-ignore-file require-lock-timeout,require-statement-timeout
-- (functions and grants only; the table they use is private.connect_accounts, 20261130090300)
-- Connect onboarding (Express-equivalent accounts), the database half. The Edge Function
-- `connect-onboarding` (verify_jwt; docs/stripe-sync.md "Connect onboarding") calls:
--
--   public.begin_connect_onboarding(p_recruiter_id, p_country, p_replace_reason)   [user JWT]
--       the caller's own recruiter (or, for a platform admin, any recruiter): returns the
--       recruiter's linked account, or the one being created, or a new row `creating` whose
--       idempotency key (connect_account:<id>) is stored and committed BEFORE accounts.create.
--       A second account is refused (PT409) unless an admin replaces it with a reason (audited).
--       Someone else's recruiter: 42501.
--   private.link_connect_account(p_connect_account_id, p_account jsonb, now)       [stripe_sync]
--       what Stripe answered (or what a look-up by metadata found): checks that the account's
--       metadata names this row and this recruiter (else PT409: someone else's account), links
--       it (private.set_recruiter_connect_account: audited, event), marks the replaced account.
--   private.record_connect_account_read(p_account jsonb, now)                      [stripe_sync]
--       the return URL's re-read: the same effect as account.updated.
--   public.my_connect_status()                    recruiter: where their onboarding stands
--   public.admin_connect_status(p_recruiter_id)   admins: the same, per recruiter (all: null)
--       state, transfers capability, requirements.currently_due / past_due, disabled_reason,
--       and the payouts waiting on onboarding with their amounts.

set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- ---------------------------------------------------------------------------------------------
-- Status
-- ---------------------------------------------------------------------------------------------
-- state:
--   not_started      no account
--   creating         key stored, Stripe has not answered (or the function stopped): call again
--   onboarding       linked, the hosted form not submitted yet, or Stripe asks for more (currently_due)
--   pending          everything submitted, Stripe is verifying (capability pending)
--   restricted       submitted, but something is past due or Stripe disabled the account
--                    (disabled_reason other than requirements.pending_verification)
--   complete         capabilities.transfers active: payouts can be transferred
-- One recruiter's onboarding status: the row type of my_connect_status / admin_connect_status.
create type public.connect_status as (
  recruiter_id uuid,
  display_name text,
  state text,
  stripe_account_id text,
  transfers_capability text,
  can_receive_transfers boolean,
  details_submitted boolean,
  requirements_currently_due text[],
  requirements_past_due text[],
  requirements_eventually_due text[],
  disabled_reason text,
  requirements_observed_at timestamptz,
  waiting_payouts jsonb,
  waiting_amounts jsonb
);
comment on type public.connect_status is
  'Connect onboarding status of one recruiter (my_connect_status, admin_connect_status). waiting_payouts: [{payout_id, placement_id, currency, amount}] of the payouts that only wait on onboarding; waiting_amounts: {currency: total}.';

create function private.connect_status_rows(p_recruiter_id uuid, p_now timestamptz default pg_catalog.now())
returns setof public.connect_status
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return query
  with rec as (
    select r.* from public.recruiters r where p_recruiter_id is null or r.id = p_recruiter_id
  ),
  acct as (
    select distinct on (a.recruiter_id) a.*
    from private.connect_accounts a
    where a.recruiter_id in (select rec.id from rec) and a.status in ('creating', 'linked')
    order by a.recruiter_id, (a.status = 'linked') desc, a.created_at desc
  ),
  waiting as (
    select e.recruiter_id,
           pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('payout_id', e.payout_id, 'placement_id', e.placement_id,
             'currency', e.currency, 'amount', e.payable_amount) order by e.payout_id) as payouts
    from private.payout_eligibility(p_now, array(
           select po.id from public.payouts po
           where po.recruiter_id in (select rec.id from rec) and po.status in ('pending', 'partially_paid'))) e
    where e.reason = 'recruiter_cannot_receive_transfers' and e.payable_amount > 0
    group by e.recruiter_id
  ),
  totals as (
    select t.recruiter_id, pg_catalog.jsonb_object_agg(t.currency, t.total) as amounts
    from (select e.recruiter_id, (x ->> 'currency') as currency, sum((x ->> 'amount')::bigint) as total
          from waiting e cross join pg_catalog.jsonb_array_elements(e.payouts) x
          group by e.recruiter_id, x ->> 'currency') t
    group by t.recruiter_id
  )
  select r.id, r.display_name,
         case
           when r.stripe_connect_account_id is null and a.status = 'creating' then 'creating'
           when r.stripe_connect_account_id is null then 'not_started'
           when r.can_receive_transfers then 'complete'
           when a.details_submitted is not true then 'onboarding'
           when coalesce(pg_catalog.cardinality(a.requirements_past_due), 0) > 0
                or a.disabled_reason not like 'requirements.pending_verification%' then 'restricted'
           when coalesce(pg_catalog.cardinality(a.requirements_currently_due), 0) > 0 then 'onboarding'
           else 'pending'
         end,
         r.stripe_connect_account_id, r.stripe_transfers_capability, r.can_receive_transfers,
         a.details_submitted,
         coalesce(a.requirements_currently_due, '{}'), coalesce(a.requirements_past_due, '{}'),
         coalesce(a.requirements_eventually_due, '{}'), a.disabled_reason, a.requirements_observed_at,
         coalesce(w.payouts, '[]'::jsonb), coalesce(t.amounts, '{}'::jsonb)
  from rec r
  left join acct a on a.recruiter_id = r.id
    and (a.stripe_account_id is not distinct from r.stripe_connect_account_id or a.status = 'creating')
  left join waiting w on w.recruiter_id = r.id
  left join totals t on t.recruiter_id = r.id
  order by r.display_name, r.id;
end
$$;
comment on function private.connect_status_rows(uuid, timestamptz) is
  'Connect onboarding status per recruiter (all when p_recruiter_id is null): state (not_started, creating, onboarding, pending, restricted, complete), capabilities.transfers, requirements currently_due / past_due / eventually_due, disabled_reason (as last read from Stripe), and the payouts waiting on onboarding (eligibility reason recruiter_cannot_receive_transfers at p_now) with amounts per currency. Body of my_connect_status / admin_connect_status.';
revoke execute on function private.connect_status_rows(uuid, timestamptz) from public, anon, authenticated, service_role;

create function private.rpc_my_connect_status()
returns setof public.connect_status
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_recruiter_id uuid := private.my_recruiter_id();
begin
  if v_recruiter_id is null then
    raise exception 'permission denied: recruiters only (no recruiter profile for this user)' using errcode = '42501';
  end if;
  return query select * from private.connect_status_rows(v_recruiter_id);
end
$$;
comment on function private.rpc_my_connect_status() is
  'Body of public.my_connect_status: the caller''s recruiter row of private.connect_status_rows; 42501 without a recruiter profile.';
revoke execute on function private.rpc_my_connect_status() from public, anon, authenticated, service_role;
grant execute on function private.rpc_my_connect_status() to authenticated;

create function public.my_connect_status()
returns setof public.connect_status
language sql
stable
set search_path = ''
as $$
  select * from private.rpc_my_connect_status()
$$;
comment on function public.my_connect_status() is
  'The calling recruiter''s Connect onboarding status (one row; see private.connect_status_rows). 42501 for a user without a recruiter profile.';
revoke execute on function public.my_connect_status() from public, anon, authenticated, service_role;
grant execute on function public.my_connect_status() to authenticated;

create function private.rpc_admin_connect_status(p_recruiter_id uuid)
returns setof public.connect_status
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform private.require_platform_admin();
  if p_recruiter_id is not null and not exists (select 1 from public.recruiters r where r.id = p_recruiter_id) then
    raise exception 'recruiter % not found', p_recruiter_id using errcode = 'PT404';
  end if;
  return query select * from private.connect_status_rows(p_recruiter_id);
end
$$;
comment on function private.rpc_admin_connect_status(uuid) is
  'Body of public.admin_connect_status: 42501 unless a platform admin; PT404 for an unknown recruiter.';
revoke execute on function private.rpc_admin_connect_status(uuid) from public, anon, authenticated, service_role;
grant execute on function private.rpc_admin_connect_status(uuid) to authenticated;

create function public.admin_connect_status(p_recruiter_id uuid default null)
returns setof public.connect_status
language sql
stable
set search_path = ''
as $$
  select private.rpc_admin_connect_status(p_recruiter_id) from private.require_platform_admin()
$$;
comment on function public.admin_connect_status(uuid) is
  'Admin: Connect onboarding status of one recruiter (or all when null): state, capabilities.transfers, requirements currently_due / past_due, disabled_reason, payouts waiting on onboarding with amounts. 42501; PT404.';
revoke execute on function public.admin_connect_status(uuid) from public, anon, authenticated, service_role;
grant execute on function public.admin_connect_status(uuid) to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Starting onboarding: the key before the call
-- ---------------------------------------------------------------------------------------------
create function private.rpc_begin_connect_onboarding(
  p_recruiter_id uuid, p_country text, p_replace_reason text, p_now timestamptz default pg_catalog.now())
returns table (
  connect_account_id uuid,
  recruiter_id uuid,
  status text,
  stripe_account_id text,
  idempotency_key text,
  country text,
  fresh boolean,
  replacing text,
  created_at timestamptz)
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_user uuid := auth.uid();
  v_is_admin boolean := private.is_platform_admin();
  v_own uuid := private.my_recruiter_id();
  v_target uuid := coalesce(p_recruiter_id, v_own);
  v_rec public.recruiters;
  v_row private.connect_accounts;
  v_country text := pg_catalog.upper(pg_catalog.btrim(coalesce(p_country, 'US')));
  v_reason text := nullif(pg_catalog.btrim(coalesce(p_replace_reason, '')), '');
  v_fresh boolean := false;
  v_id uuid;
  v_prev jsonb;
begin
  if v_user is null then
    raise exception 'permission denied: sign in first' using errcode = '42501';
  end if;
  -- who may act for whom comes first: no input error or existence answer before it
  if v_target is null then
    raise exception 'permission denied: recruiters only (no recruiter profile for this user)' using errcode = '42501';
  end if;
  if v_target is distinct from v_own and not v_is_admin then
    raise exception 'permission denied: you can only onboard your own recruiter account' using errcode = '42501';
  end if;
  if v_reason is not null and not v_is_admin then
    raise exception 'permission denied: only a platform admin can replace a connected account' using errcode = '42501';
  end if;
  if p_replace_reason is not null and v_reason is null then
    raise exception 'p_replace_reason must not be blank' using errcode = 'PT400';
  end if;
  if v_country !~ '^[A-Z]{2}$' then
    raise exception 'p_country must be an ISO 3166-1 alpha-2 code (e.g. US, GB), got %', p_country using errcode = 'PT400';
  end if;

  select * into v_rec from public.recruiters r where r.id = v_target for update;
  if not found then
    raise exception 'recruiter % not found', v_target using errcode = 'PT404';
  end if;

  -- already being created: the same row and key (a retry after a crash)
  select * into v_row from private.connect_accounts a where a.recruiter_id = v_rec.id and a.status = 'creating';
  if v_row.id is null then
    if v_rec.stripe_connect_account_id is not null and v_reason is null then
      -- continuing onboarding of the linked account: nothing to create
      select * into v_row from private.connect_accounts a
       where a.stripe_account_id = v_rec.stripe_connect_account_id;
      return query select v_row.id, v_rec.id, 'linked'::text, v_rec.stripe_connect_account_id,
                          v_row.idempotency_key, coalesce(v_row.country::text, v_country), false,
                          null::text, v_row.created_at;
      return;
    end if;
    if v_reason is not null and v_rec.stripe_connect_account_id is null then
      raise exception 'recruiter % has no connected account to replace', v_rec.id using errcode = 'PT409';
    end if;
    perform private.set_actor(v_user, case when v_is_admin then 'platform_admin' else 'recruiter' end);
    v_prev := private.enter_transition(
      case when v_reason is null then 'connect_account.create' else 'connect_account.replace' end, v_reason);
    -- the key names the row (metadata.connect_account_id names it too)
    v_id := pg_catalog.gen_random_uuid();
    insert into private.connect_accounts (id, recruiter_id, status, origin, idempotency_key, country, requested_by,
                                          replace_reason)
    values (v_id, v_rec.id, 'creating', 'onboarding', 'connect_account:' || v_id, v_country, v_user, v_reason)
    returning * into v_row;
    perform private.emit_event('recruiter.connect_account_requested', 'recruiter', v_rec.id, null, null,
      pg_catalog.jsonb_build_object('connect_account_id', v_row.id, 'country', v_country,
        'replacing', v_rec.stripe_connect_account_id, 'reason', v_reason));
    perform private.leave_transition(v_prev);
    v_fresh := true;
  end if;

  return query select v_row.id, v_row.recruiter_id, v_row.status, v_row.stripe_account_id, v_row.idempotency_key,
                      v_row.country::text, v_fresh,
                      case when v_row.replace_reason is not null then v_rec.stripe_connect_account_id end,
                      v_row.created_at;
end
$$;
comment on function private.rpc_begin_connect_onboarding(uuid, text, text, timestamptz) is
  'Body of public.begin_connect_onboarding: gate (own recruiter, or a platform admin for any; replacing: admins only), then the linked account, the row being created, or a new creating row with its idempotency key (committed before accounts.create; audited, event recruiter.connect_account_requested). 42501, PT400, PT404, PT409.';
revoke execute on function private.rpc_begin_connect_onboarding(uuid, text, text, timestamptz)
  from public, anon, authenticated, service_role;
grant execute on function private.rpc_begin_connect_onboarding(uuid, text, text, timestamptz) to authenticated;

create function public.begin_connect_onboarding(
  p_recruiter_id uuid default null, p_country text default null, p_replace_reason text default null)
returns table (
  connect_account_id uuid,
  recruiter_id uuid,
  status text,
  stripe_account_id text,
  idempotency_key text,
  country text,
  fresh boolean,
  replacing text,
  created_at timestamptz)
language sql
volatile
set search_path = ''
as $$
  select * from private.rpc_begin_connect_onboarding(p_recruiter_id, p_country, p_replace_reason)
$$;
comment on function public.begin_connect_onboarding(uuid, text, text) is
  'Starts (or continues) Connect onboarding of the caller''s recruiter account (admins: any recruiter; p_replace_reason: an admin replaces the linked account). Records the account to create with its idempotency key; the connect-onboarding function then creates it at Stripe and links it. 42501 someone else''s recruiter or a non-admin replacing; PT400 bad country; PT404; PT409 nothing to replace.';
revoke execute on function public.begin_connect_onboarding(uuid, text, text) from public, anon, authenticated, service_role;
grant execute on function public.begin_connect_onboarding(uuid, text, text) to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Linking what Stripe created
-- ---------------------------------------------------------------------------------------------
create function private.link_connect_account(
  p_connect_account_id uuid, p_account jsonb, p_now timestamptz default pg_catalog.now())
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row private.connect_accounts;
  v_rec public.recruiters;
  v_account_id text := p_account ->> 'id';
  v_meta jsonb := coalesce(p_account -> 'metadata', '{}'::jsonb);
  v_cap text := coalesce(nullif(p_account #>> '{capabilities,transfers}', ''), 'unrequested');
  v_old private.connect_accounts;
  v_prev jsonb;
  v_effect jsonb;
begin
  perform private.check_stripe_id('account.id', v_account_id, 'acct', 'connected account');
  select * into v_row from private.connect_accounts a where a.id = p_connect_account_id for update;
  if not found then
    raise exception 'connect account % not found', p_connect_account_id using errcode = 'PT404';
  end if;
  if v_row.status = 'linked' and v_row.stripe_account_id = v_account_id then
    return pg_catalog.jsonb_build_object('outcome', 'noop', 'connect_account_id', v_row.id,
      'recruiter_id', v_row.recruiter_id, 'stripe_account_id', v_account_id);
  end if;
  if v_row.status <> 'creating' then
    raise exception 'connect account % is % (linked to %), not being created', v_row.id, v_row.status,
      v_row.stripe_account_id using errcode = 'PT409';
  end if;
  -- Stripe's answer must be the account made for THIS row and recruiter (metadata we sent)
  if v_meta ->> 'connect_account_id' is distinct from v_row.id::text
     or v_meta ->> 'recruiter_id' is distinct from v_row.recruiter_id::text then
    raise exception 'account % was not created for this recruiter''s onboarding (metadata names connect account % and recruiter %)',
      v_account_id, coalesce(v_meta ->> 'connect_account_id', '<none>'), coalesce(v_meta ->> 'recruiter_id', '<none>')
      using errcode = 'PT409';
  end if;
  if exists (select 1 from public.recruiters r where r.stripe_connect_account_id = v_account_id and r.id <> v_row.recruiter_id)
     or exists (select 1 from private.connect_accounts a where a.stripe_account_id = v_account_id and a.id <> v_row.id) then
    raise exception 'account % is already linked elsewhere', v_account_id using errcode = 'PT409';
  end if;

  select * into v_rec from public.recruiters r where r.id = v_row.recruiter_id for update;
  if v_rec.stripe_connect_account_id is not null and v_row.replace_reason is null then
    raise exception 'recruiter % already has connected account %: a second account needs an admin''s replacement',
      v_rec.id, v_rec.stripe_connect_account_id using errcode = 'PT409';
  end if;

  perform private.set_actor(v_row.requested_by,
    case when exists (select 1 from public.platform_admins pa where pa.user_id = v_row.requested_by)
         then 'platform_admin' else 'recruiter' end);
  v_prev := private.enter_transition(
    case when v_row.replace_reason is null then 'connect_account.link' else 'connect_account.replace' end,
    v_row.replace_reason);
  -- the replaced account (linked by onboarding or outside it) stays on record, replaced
  if v_rec.stripe_connect_account_id is not null then
    select * into v_old from private.connect_accounts a where a.stripe_account_id = v_rec.stripe_connect_account_id;
    if v_old.id is null then
      insert into private.connect_accounts (recruiter_id, stripe_account_id, status, origin, linked_at,
                                            transfers_capability)
      values (v_rec.id, v_rec.stripe_connect_account_id, 'linked', 'linked_outside', v_rec.stripe_capability_updated_at,
              v_rec.stripe_transfers_capability)
      returning * into v_old;
    end if;
    update private.connect_accounts a set status = 'replaced', replaced_at = p_now, replaced_by = v_row.id
     where a.id = v_old.id;
  end if;
  update private.connect_accounts a
     set stripe_account_id = v_account_id, status = 'linked', linked_at = p_now,
         service_agreement = coalesce(p_account #>> '{tos_acceptance,service_agreement}', a.service_agreement),
         transfers_capability = v_cap
   where a.id = v_row.id
  returning * into v_row;
  perform private.set_recruiter_connect_account(v_rec.id, v_account_id, v_cap, p_now);
  perform private.emit_event('recruiter.connect_account_linked', 'recruiter', v_rec.id, null, null,
    pg_catalog.jsonb_build_object('connect_account_id', v_row.id, 'stripe_account_id', v_account_id,
      'replaced_account_id', v_old.stripe_account_id, 'reason', v_row.replace_reason));
  perform private.leave_transition(v_prev);

  -- what Stripe still needs, as read now
  v_effect := private.stripe_sync_account_capability(pg_catalog.jsonb_build_object(
    'account_id', v_account_id, 'transfers_capability', v_cap, 'observed_at', p_now,
    'requirements', p_account -> 'requirements', 'details_submitted', p_account -> 'details_submitted'), p_now);

  return pg_catalog.jsonb_build_object('outcome', 'linked', 'connect_account_id', v_row.id,
    'recruiter_id', v_rec.id, 'stripe_account_id', v_account_id, 'replaced_account_id', v_old.stripe_account_id,
    'effect', v_effect);
end
$$;
comment on function private.link_connect_account(uuid, jsonb, timestamptz) is
  'Links the account Stripe created (p_account: the account object) to the onboarding row p_connect_account_id: its metadata must name this row and recruiter (PT409 otherwise: someone else''s account), a recruiter with an account needs an admin''s replacement (PT409), the replaced account is kept as replaced. Audited (actor: who started it), event recruiter.connect_account_linked, then the requirements as read. Same account again: noop.';
revoke execute on function private.link_connect_account(uuid, jsonb, timestamptz) from public, anon, authenticated, service_role;
grant execute on function private.link_connect_account(uuid, jsonb, timestamptz) to stripe_sync;

create function private.record_connect_account_read(p_account jsonb, p_now timestamptz default pg_catalog.now())
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  return private.stripe_sync_account_capability(pg_catalog.jsonb_build_object(
    'account_id', p_account ->> 'id',
    'transfers_capability', coalesce(p_account #>> '{capabilities,transfers}', 'unrequested'),
    'observed_at', p_now,
    'requirements', p_account -> 'requirements',
    'details_submitted', p_account -> 'details_submitted'), p_now);
end
$$;
comment on function private.record_connect_account_read(jsonb, timestamptz) is
  'The return URL''s re-read of a connected account (p_account: the account object as read at p_now): the effect of account.updated (capability and requirements, timestamp-guarded).';
revoke execute on function private.record_connect_account_read(jsonb, timestamptz) from public, anon, authenticated, service_role;
grant execute on function private.record_connect_account_read(jsonb, timestamptz) to stripe_sync;
