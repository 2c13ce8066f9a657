-- Access, part 4: intake RPCs, so that nobody needs raw table inserts: companies, recruiters,
-- placements with their splits, the splits before the invoice, and the invoice (a Stripe
-- invoice linked to the placement). Same shape as 20261128090200: a one-line public wrapper
-- over private.require_platform_admin() (42501 for non-admins) -> private.rpc_* security
-- definer body.
--
-- Splits are given as a JSON array, e.g.
--   [{"recruiter_id": "…", "role": "candidate_recruiter", "share_bps": 6000},
--    {"recruiter_id": "…", "role": "company_recruiter",   "share_bps": 3000}]
-- role: candidate_recruiter | company_recruiter | job_owner | candidate_sourcer | company_sourcer;
-- share_bps: integer 1..10000; the shares sum to at most 10000 (the platform keeps the rest);
-- one entry per (recruiter, role). Once the invoice is recorded the splits are locked (PT409),
-- by the model's guard trigger whoever writes.

-- Fail fast rather than queue behind (and in front of) live traffic; the CLI runs each
-- migration file in one transaction, so these last for this file only.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- ---------------------------------------------------------------------------------------------
-- Splits: parse and validate, then write
-- ---------------------------------------------------------------------------------------------
create function private.parse_placement_splits(p_splits jsonb)
returns table (ord integer, recruiter_id uuid, role text, share_bps integer)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_el jsonb;
  v_i integer := 0;
  v_total bigint := 0;
  v_seen text[] := '{}'::text[];
  v_key text;
begin
  if p_splits is null or pg_catalog.jsonb_typeof(p_splits) <> 'array' then
    raise exception 'p_splits must be a JSON array of {recruiter_id, role, share_bps}' using errcode = 'PT400';
  end if;
  for v_el in select e.value from pg_catalog.jsonb_array_elements(p_splits) e loop
    v_i := v_i + 1;
    if pg_catalog.jsonb_typeof(v_el) <> 'object' then
      raise exception 'split %: not a JSON object', v_i using errcode = 'PT400';
    end if;
    select k into v_key from pg_catalog.jsonb_object_keys(v_el) k
    where k not in ('recruiter_id', 'role', 'share_bps') limit 1;
    if v_key is not null then
      raise exception 'split %: unknown key "%"', v_i, v_key
        using errcode = 'PT400', hint = 'Keys: recruiter_id, role, share_bps.';
    end if;
    if coalesce(v_el ->> 'recruiter_id', '') !~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' then
      raise exception 'split %: recruiter_id must be a uuid (got %)', v_i, coalesce(v_el ->> 'recruiter_id', '<missing>')
        using errcode = 'PT400';
    end if;
    if coalesce(v_el ->> 'role', '') not in
       ('candidate_recruiter', 'company_recruiter', 'job_owner', 'candidate_sourcer', 'company_sourcer') then
      raise exception 'split %: unknown role "%"', v_i, coalesce(v_el ->> 'role', '<missing>')
        using errcode = 'PT400',
              hint = 'One of candidate_recruiter, company_recruiter, job_owner, candidate_sourcer, company_sourcer.';
    end if;
    if pg_catalog.jsonb_typeof(v_el -> 'share_bps') is distinct from 'number'
       or (v_el ->> 'share_bps') !~ '^[0-9]{1,5}$'
       or (v_el ->> 'share_bps')::integer not between 1 and 10000 then
      raise exception 'split %: share_bps must be an integer between 1 and 10000 (got %)', v_i,
        coalesce(v_el ->> 'share_bps', '<missing>') using errcode = 'PT400';
    end if;
    if not exists (select 1 from public.recruiters r where r.id = (v_el ->> 'recruiter_id')::uuid) then
      raise exception 'split %: recruiter % not found', v_i, v_el ->> 'recruiter_id' using errcode = 'PT404';
    end if;
    if pg_catalog.lower(v_el ->> 'recruiter_id') || '/' || (v_el ->> 'role') = any (v_seen) then
      raise exception 'split %: recruiter % already has a % split on this placement', v_i, v_el ->> 'recruiter_id',
        v_el ->> 'role' using errcode = 'PT400';
    end if;
    v_seen := v_seen || (pg_catalog.lower(v_el ->> 'recruiter_id') || '/' || (v_el ->> 'role'));
    v_total := v_total + (v_el ->> 'share_bps')::integer;

    ord := v_i;
    recruiter_id := (v_el ->> 'recruiter_id')::uuid;
    role := v_el ->> 'role';
    share_bps := (v_el ->> 'share_bps')::integer;
    return next;
  end loop;
  if v_total > 10000 then
    raise exception 'shares sum to % bps (max 10000)', v_total using errcode = 'PT422';
  end if;
end
$$;
comment on function private.parse_placement_splits(jsonb) is
  'Validates a splits array [{recruiter_id, role, share_bps}] and returns it as rows in order: PT400 not an array / not an object / unknown key / bad uuid, role or share (integer 1..10000) / duplicate (recruiter, role); PT404 unknown recruiter; PT422 shares over 10000 bps.';

-- Replaces the splits of a placement (inside an admin action: the caller set the actor).
create function private.write_placement_splits(p_placement_id uuid, p_splits jsonb)
returns setof public.placement_splits
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_placement public.placements;
  v_recruiters uuid[];
  v_roles text[];
  v_shares integer[];
begin
  -- validate first: nothing is written for bad input
  select pg_catalog.array_agg(s.recruiter_id order by s.ord), pg_catalog.array_agg(s.role order by s.ord),
         pg_catalog.array_agg(s.share_bps order by s.ord)
    into v_recruiters, v_roles, v_shares
  from private.parse_placement_splits(p_splits) s;

  -- FOR UPDATE: serializes with record_placement_invoice, which locks the splits
  select * into v_placement from public.placements p where p.id = p_placement_id for update;
  if not found then
    raise exception 'placement % not found', p_placement_id using errcode = 'PT404';
  end if;
  if v_placement.splits_locked_at is not null then
    raise exception 'splits of placement % are locked since % (invoice recorded)', v_placement.id,
      v_placement.splits_locked_at using errcode = 'PT409';
  end if;
  if v_placement.status = 'failed' then
    raise exception 'placement % has failed: its splits no longer change', v_placement.id using errcode = 'PT409';
  end if;

  -- Split ids are random, handed out in the order given: the first split listed gets the lowest
  -- of the new ids. The allocation (private.record_placement_invoice) breaks ties by split id, so
  -- the odd cent goes to the split listed first, the same on every placement with the same
  -- request, and no column tells a recruiter where they were listed (or that others were).
  perform private.set_audit_context('placement_split.set', null);
  delete from public.placement_splits s where s.placement_id = v_placement.id;
  insert into public.placement_splits (id, placement_id, recruiter_id, role, share_bps)
  select i.id, v_placement.id, x.recruiter_id, x.role, x.share_bps
  from rows from (pg_catalog.unnest(v_recruiters), pg_catalog.unnest(v_roles), pg_catalog.unnest(v_shares))
         with ordinality as x(recruiter_id, role, share_bps, ord)
  join (select g.id, pg_catalog.row_number() over (order by g.id) as ord
        from (select pg_catalog.gen_random_uuid() as id
              from pg_catalog.generate_series(1, coalesce(pg_catalog.cardinality(v_recruiters), 0))) g) i
    on i.ord = x.ord
  order by x.ord;
  perform private.clear_audit_context();

  return query
  select s.* from public.placement_splits s where s.placement_id = v_placement.id order by s.share_bps desc, s.id;
end
$$;
comment on function private.write_placement_splits(uuid, jsonb) is
  'Replaces the splits of a placement with the validated array (private.parse_placement_splits), audited as placement_split.set; the new split ids increase in the order given (the allocation''s tie-break). PT404 unknown placement; PT409 splits locked (invoice recorded) or placement failed. Internal: called inside admin actions.';

revoke execute on function
  private.parse_placement_splits(jsonb),
  private.write_placement_splits(uuid, jsonb)
from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- RPC bodies (private, security definer)
-- ---------------------------------------------------------------------------------------------
create function private.rpc_create_company(p_name text, p_stripe_customer_id text)
returns public.companies
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row public.companies;
begin
  perform private.begin_admin_action();
  if pg_catalog.length(pg_catalog.btrim(coalesce(p_name, ''))) not between 1 and 200 then
    raise exception 'p_name is required (1 to 200 characters)' using errcode = 'PT400';
  end if;
  perform private.check_stripe_id('p_stripe_customer_id', p_stripe_customer_id, 'cus', 'customer', true);
  if exists (select 1 from public.companies c where c.stripe_customer_id = p_stripe_customer_id) then
    raise exception 'Stripe customer % already belongs to another company', p_stripe_customer_id using errcode = 'PT409';
  end if;

  perform private.set_audit_context('company.create', null);
  insert into public.companies (name, stripe_customer_id)
  values (pg_catalog.btrim(p_name), p_stripe_customer_id)
  returning * into v_row;
  perform private.clear_audit_context();
  return v_row;
end
$$;
comment on function private.rpc_create_company(text, text) is
  'Body of public.create_company (platform admins only, 42501).';

create function private.rpc_create_recruiter(p_user_id uuid, p_display_name text)
returns public.recruiters
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row public.recruiters;
begin
  perform private.begin_admin_action();
  if p_user_id is null then
    raise exception 'p_user_id is required' using errcode = 'PT400';
  end if;
  if pg_catalog.length(pg_catalog.btrim(coalesce(p_display_name, ''))) not between 1 and 200 then
    raise exception 'p_display_name is required (1 to 200 characters)' using errcode = 'PT400';
  end if;
  if not exists (select 1 from auth.users u where u.id = p_user_id) then
    raise exception 'user % not found', p_user_id using errcode = 'PT404';
  end if;
  if exists (select 1 from public.recruiters r where r.user_id = p_user_id) then
    raise exception 'user % is already a recruiter', p_user_id using errcode = 'PT409';
  end if;

  perform private.set_audit_context('recruiter.create', null);
  insert into public.recruiters (user_id, display_name)
  values (p_user_id, pg_catalog.btrim(p_display_name))
  returning * into v_row;
  perform private.clear_audit_context();
  return v_row;
end
$$;
comment on function private.rpc_create_recruiter(uuid, text) is
  'Body of public.create_recruiter (platform admins only, 42501).';

create function private.rpc_create_placement(
  p_company_id uuid, p_fee_amount bigint, p_currency text, p_hired_at timestamptz, p_guarantee_days integer,
  p_splits jsonb, p_holdback_bps integer, p_title text)
returns public.placements
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row public.placements;
begin
  perform private.begin_admin_action();
  -- splits validated before anything is written
  perform 1 from private.parse_placement_splits(p_splits);
  v_row := private.create_placement(p_company_id, p_fee_amount, p_currency, p_hired_at, p_guarantee_days,
                                    p_holdback_bps, p_title);
  perform 1 from private.write_placement_splits(v_row.id, p_splits);
  return v_row;
end
$$;
comment on function private.rpc_create_placement(uuid, bigint, text, timestamptz, integer, jsonb, integer, text) is
  'Body of public.create_placement (platform admins only, 42501).';

create function private.rpc_set_placement_splits(p_placement_id uuid, p_splits jsonb)
returns setof public.placement_splits
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
  return query select s.* from private.write_placement_splits(p_placement_id, p_splits) s;
end
$$;
comment on function private.rpc_set_placement_splits(uuid, jsonb) is
  'Body of public.set_placement_splits (platform admins only, 42501).';

create function private.rpc_record_placement_invoice(
  p_placement_id uuid, p_stripe_invoice_id text, p_amount_due bigint, p_status text)
returns public.placement_invoices
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
  perform private.check_stripe_id('p_stripe_invoice_id', p_stripe_invoice_id, 'in', 'invoice');
  if exists (select 1 from public.placement_invoices i
             where i.stripe_invoice_id = p_stripe_invoice_id and i.placement_id <> p_placement_id) then
    raise exception 'Stripe invoice % is already linked to another placement', p_stripe_invoice_id
      using errcode = 'PT409';
  end if;
  return private.record_placement_invoice(p_placement_id, p_stripe_invoice_id, p_amount_due, p_status,
                                          pg_catalog.now());
end
$$;
comment on function private.rpc_record_placement_invoice(uuid, text, bigint, text) is
  'Body of public.record_placement_invoice (platform admins only, 42501).';

revoke execute on function
  private.rpc_create_company(text, text),
  private.rpc_create_recruiter(uuid, text),
  private.rpc_create_placement(uuid, bigint, text, timestamptz, integer, jsonb, integer, text),
  private.rpc_set_placement_splits(uuid, jsonb),
  private.rpc_record_placement_invoice(uuid, text, bigint, text)
from public, anon, authenticated, service_role;
grant execute on function private.rpc_create_company(text, text) to authenticated;
grant execute on function private.rpc_create_recruiter(uuid, text) to authenticated;
grant execute on function private.rpc_create_placement(uuid, bigint, text, timestamptz, integer, jsonb, integer, text)
  to authenticated;
grant execute on function private.rpc_set_placement_splits(uuid, jsonb) to authenticated;
grant execute on function private.rpc_record_placement_invoice(uuid, text, bigint, text) to authenticated;

-- ---------------------------------------------------------------------------------------------
-- The RPCs (public, security invoker)
-- ---------------------------------------------------------------------------------------------
create function public.create_company(p_name text default null, p_stripe_customer_id text default null)
returns public.companies
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.rpc_create_company(p_name, p_stripe_customer_id) from private.require_platform_admin()
$$;
comment on function public.create_company(text, text) is
  'Admin: creates a company (name 1..200 characters, optional Stripe customer id cus_...). Returns the company row (with its Stripe id). 42501; PT400 bad name/id; PT409 Stripe customer already used.';

create function public.create_recruiter(p_user_id uuid default null, p_display_name text default null)
returns public.recruiters
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.rpc_create_recruiter(p_user_id, p_display_name) from private.require_platform_admin()
$$;
comment on function public.create_recruiter(uuid, text) is
  'Admin: makes an auth user a recruiter (no connected account yet: that comes from Stripe Connect onboarding). Returns the recruiter row. 42501; PT400 missing user/name; PT404 unknown user; PT409 already a recruiter.';

create function public.create_placement(
  p_company_id uuid default null, p_fee_amount bigint default null, p_currency text default null,
  p_hired_at timestamptz default null, p_guarantee_days integer default null,
  p_splits jsonb default '[]'::jsonb, p_holdback_bps integer default 10000, p_title text default '')
returns public.placements
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.rpc_create_placement(p_company_id, p_fee_amount, p_currency, p_hired_at, p_guarantee_days, p_splits, p_holdback_bps, p_title) from private.require_platform_admin()
$$;
comment on function public.create_placement(uuid, bigint, text, timestamptz, integer, jsonb, integer, text) is
  'Admin: creates a placement (status hired; fee in minor units 0..2147483647; a supported currency: upper-case ISO 4217, private.supported_currencies(); guarantee 0..3650 days from a finite p_hired_at; holdback 0..10000 bps of each payout held until the guarantee ends) with its splits p_splits = [{recruiter_id, role, share_bps}] (sum <= 10000). Returns the placement. 42501; PT400 bad input; PT404 unknown company or recruiter; PT422 shares over 10000.';

create function public.set_placement_splits(p_placement_id uuid default null, p_splits jsonb default null)
returns setof public.placement_splits
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.rpc_set_placement_splits(p_placement_id, p_splits) from private.require_platform_admin()
$$;
comment on function public.set_placement_splits(uuid, jsonb) is
  'Admin: replaces the splits of a placement whose invoice is not recorded yet with p_splits = [{recruiter_id, role, share_bps}] (sum <= 10000). Returns the new splits. 42501; PT400 bad input; PT404 unknown placement or recruiter; PT409 splits locked (invoice recorded) or placement failed; PT422 shares over 10000.';

create function public.record_placement_invoice(
  p_placement_id uuid default null, p_stripe_invoice_id text default null, p_amount_due bigint default null,
  p_status text default 'open')
returns public.placement_invoices
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.rpc_record_placement_invoice(p_placement_id, p_stripe_invoice_id, p_amount_due, p_status) from private.require_platform_admin()
$$;
comment on function public.record_placement_invoice(uuid, text, bigint, text) is
  'Admin: links the placement''s Stripe invoice (in_..., status draft or open; amount_due defaults to the fee). Locks the splits and creates one payout per split plus the guarantee holdback. Same invoice again = returned unchanged. Returns the invoice row (with its Stripe id). 42501; PT400 bad id/status/amount; PT404 unknown placement; PT409 another invoice, invoice linked elsewhere, or placement failed.';

revoke execute on function
  public.create_company(text, text),
  public.create_recruiter(uuid, text),
  public.create_placement(uuid, bigint, text, timestamptz, integer, jsonb, integer, text),
  public.set_placement_splits(uuid, jsonb),
  public.record_placement_invoice(uuid, text, bigint, text)
from public, anon, authenticated, service_role;
grant execute on function public.create_company(text, text) to authenticated;
grant execute on function public.create_recruiter(uuid, text) to authenticated;
grant execute on function public.create_placement(uuid, bigint, text, timestamptz, integer, jsonb, integer, text)
  to authenticated;
grant execute on function public.set_placement_splits(uuid, jsonb) to authenticated;
grant execute on function public.record_placement_invoice(uuid, text, bigint, text) to authenticated;
