-- squawk-ignore-file prefer-robust-stmts,require-concurrent-index-creation
-- (the tables are created in this file, empty, inside the CLI's one transaction per migration:
-- nothing to rerun half-way and nobody to block by a plain CREATE INDEX)
-- Access, part 1: who is who. The database is the only source of truth for a caller's roles;
-- nothing is read from JWT metadata (app_metadata / user_metadata), only the JWT's `sub`
-- (auth.uid()), which Auth signs and the client cannot choose.
--
--   platform_admin  a row in public.platform_admins (granted by an admin RPC; the first one
--                   by private.bootstrap_platform_admin, run as postgres, never by the API)
--   recruiter       a row in public.recruiters with user_id = auth.uid()
--   company_admin / hiring_manager
--                   a row in public.company_members (company_id, user_id, role)
--
-- The helpers below are what policies and RPCs ask. They are `security definer` (they read
-- tables the caller may not read, and a policy on platform_admins that asked an invoker helper
-- would recurse), `stable`, `set search_path = ''`, read `(select auth.uid())` once, and
-- return either a boolean/uuid or the SET of ids the caller may see, so that a policy uses
-- them as `(select private.fn())` / `col = any (array(select private.fn()))`: evaluated once per
-- statement (an InitPlan), not once per row.
--
-- `authenticated` gets USAGE on schema private (name lookup only) and EXECUTE on exactly these
-- helpers, the admin gate (private.require_platform_admin) and the private bodies of the RPCs
-- (private.rpc_*). PostgREST exposes only `public`, so none of them is reachable as
-- /rest/v1/rpc/...; anon gets nothing.

-- Fail fast rather than queue behind (and in front of) live traffic; the CLI runs each
-- migration file in one transaction, so these last for this file only.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

grant usage on schema private to authenticated;

-- ---------------------------------------------------------------------------------------------
-- platform_admins
-- ---------------------------------------------------------------------------------------------
create table public.platform_admins (
  id uuid primary key default pg_catalog.gen_random_uuid(),
  user_id uuid not null unique references auth.users (id) on delete cascade,
  -- the admin who granted it (null: bootstrap, or the granting user was deleted)
  granted_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default pg_catalog.now()
);
comment on table public.platform_admins is
  'Platform admins: the only source of truth for the platform_admin role (JWT claims are never trusted). Changed only by grant_platform_admin / revoke_platform_admin and private.bootstrap_platform_admin; readable by platform admins.';
create index platform_admins_granted_by_idx on public.platform_admins (granted_by);
alter table public.platform_admins enable row level security;
revoke all on table public.platform_admins from public, anon, authenticated, service_role;
select private.enable_audit('public.platform_admins'::regclass, 'platform_admin');

-- ---------------------------------------------------------------------------------------------
-- company_members
-- ---------------------------------------------------------------------------------------------
create table public.company_members (
  id uuid primary key default pg_catalog.gen_random_uuid(),
  company_id uuid not null references public.companies (id),
  user_id uuid not null references auth.users (id) on delete cascade,
  role text not null check (role in ('company_admin', 'hiring_manager')),
  created_at timestamptz not null default pg_catalog.now(),
  updated_at timestamptz not null default pg_catalog.now(),
  -- also the index of the company_id foreign key and of the policy filter on company_id
  unique (company_id, user_id)
);
comment on table public.company_members is
  'Members of a company (company_admin or hiring_manager): the source of truth for company roles. Changed only by add_company_member / remove_company_member; readable by platform admins and by the members of the same company.';
-- user_id: foreign key, and the filter of private.my_company_ids()
create index company_members_user_id_idx on public.company_members (user_id);
alter table public.company_members enable row level security;
revoke all on table public.company_members from public, anon, authenticated, service_role;
select private.enable_audit('public.company_members'::regclass, 'company_member');

-- ---------------------------------------------------------------------------------------------
-- Helpers used by policies and RPCs
-- ---------------------------------------------------------------------------------------------
create function private.is_platform_admin()
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.platform_admins a where a.user_id = (select auth.uid())
  )
$$;
comment on function private.is_platform_admin() is
  'True when the caller (auth.uid(), the JWT sub) has a row in public.platform_admins. JWT claims such as app_metadata.role are ignored. Used by policies as (select private.is_platform_admin()) and by the admin gate private.require_platform_admin().';

create function private.my_recruiter_id()
returns uuid
language sql
stable
security definer
set search_path = ''
as $$
  select r.id from public.recruiters r where r.user_id = (select auth.uid())
$$;
comment on function private.my_recruiter_id() is
  'The caller''s recruiter id (public.recruiters.user_id = auth.uid()), or null. Used by policies as (select private.my_recruiter_id()).';

create function private.my_company_ids()
returns setof uuid
language sql
stable
security definer
set search_path = ''
as $$
  select m.company_id from public.company_members m where m.user_id = (select auth.uid())
$$;
comment on function private.my_company_ids() is
  'Companies the caller is a member of (company_admin or hiring_manager). Used by policies as col = any (array(select private.my_company_ids())).';

create function private.my_payout_ids()
returns setof uuid
language sql
stable
security definer
set search_path = ''
as $$
  select po.id
  from public.payouts po
  join public.recruiters r on r.id = po.recruiter_id
  where r.user_id = (select auth.uid())
$$;
comment on function private.my_payout_ids() is
  'The caller''s own payouts (as a recruiter). Used by placement_escrow_total (a recruiter''s own holds); the policies use the recruiter range (private.visible_recruiter_id_min/max) instead.';

create function private.member_placement_ids()
returns setof uuid
language sql
stable
security definer
set search_path = ''
as $$
  select p.id
  from public.placements p
  join public.company_members m on m.company_id = p.company_id
  where m.user_id = (select auth.uid())
$$;
comment on function private.member_placement_ids() is
  'Placements of the companies the caller is a member of. Used by the invoice policy and the escrow hold summaries.';

create function private.visible_placement_ids()
returns setof uuid
language sql
stable
security definer
set search_path = ''
as $$
  select p.id
  from public.placements p
  join public.company_members m on m.company_id = p.company_id
  where m.user_id = (select auth.uid())
  union
  select s.placement_id
  from public.placement_splits s
  join public.recruiters r on r.id = s.recruiter_id
  where r.user_id = (select auth.uid())
$$;
comment on function private.visible_placement_ids() is
  'Placements the caller is a party to: those of their companies, and those they have a split on as a recruiter. Used by the placements policy.';

-- The recruiter range: the rows of the recruiter-keyed tables (recruiters, placement_splits,
-- payouts, the payout children and the logs) that a caller may see are those whose recruiter id
-- lies in [visible_recruiter_id_min(), visible_recruiter_id_max()]:
--     platform admin   [00000000-0000-0000-0000-000000000000, ffffffff-ffff-ffff-ffff-ffffffffffff]
--                      (every uuid; rows about no recruiter sort at the nil uuid, see the logs)
--     recruiter        [own id, own id]
--     anyone else      [null, null]  (no row: a comparison with null is never true)
-- `col between (select min) and (select max)` is one b-tree range on the indexed column, for a
-- recruiter and for an admin alike, where "admin OR own" is a per-row filter of a sequential
-- scan (docs/access.md, "Policy performance": 125 ms -> 0.3 ms for a recruiter's first page of
-- payouts among 1 000 000). A range rather than `col = any (array(...every recruiter id...))`:
-- an admin's re-checked rows (lossy bitmap pages) would each search that array. It relies on one
-- recruiter row per user (recruiters.user_id is unique).
--
-- plpgsql, not sql: a security definer SQL function is never inlined and PostgreSQL 15 plans its
-- body again on every statement that calls it; plpgsql keeps its plans for the session
-- (PostgREST's pooled connections): ~10-20 us instead of ~100 us per call, twice per statement.
-- The admin test is private.is_platform_admin()'s predicate, inlined for the same reason
-- (policy_performance.test.sql checks that both agree).
create function private.visible_recruiter_id_min()
returns uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_user_id constant uuid := (select auth.uid());
  v_recruiter_id uuid;
begin
  if exists (select 1 from public.platform_admins a where a.user_id = v_user_id) then
    return '00000000-0000-0000-0000-000000000000'::uuid;
  end if;
  select r.id into v_recruiter_id from public.recruiters r where r.user_id = v_user_id;
  return v_recruiter_id;
end
$$;
comment on function private.visible_recruiter_id_min() is
  'Lower bound of the recruiter ids whose rows the caller may see: the nil uuid for a platform admin (every recruiter), the caller''s own recruiter id for a recruiter, null (nothing) for anyone else. Used by policies as col between (select private.visible_recruiter_id_min()) and (select private.visible_recruiter_id_max()): one b-tree range, index-friendly for recruiters and admins alike.';

create function private.visible_recruiter_id_max()
returns uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_user_id constant uuid := (select auth.uid());
  v_recruiter_id uuid;
begin
  if exists (select 1 from public.platform_admins a where a.user_id = v_user_id) then
    return 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid;
  end if;
  select r.id into v_recruiter_id from public.recruiters r where r.user_id = v_user_id;
  return v_recruiter_id;
end
$$;
comment on function private.visible_recruiter_id_max() is
  'Upper bound of the recruiter ids whose rows the caller may see: the largest uuid for a platform admin, the caller''s own recruiter id for a recruiter, null (nothing) for anyone else. See private.visible_recruiter_id_min().';

revoke execute on function
  private.visible_recruiter_id_min(),
  private.visible_recruiter_id_max(),
  private.is_platform_admin(),
  private.my_recruiter_id(),
  private.my_company_ids(),
  private.my_payout_ids(),
  private.member_placement_ids(),
  private.visible_placement_ids()
from public, anon, authenticated, service_role;
grant execute on function private.visible_recruiter_id_min() to authenticated;
grant execute on function private.visible_recruiter_id_max() to authenticated;
grant execute on function private.is_platform_admin() to authenticated;
grant execute on function private.my_recruiter_id() to authenticated;
grant execute on function private.my_company_ids() to authenticated;
grant execute on function private.my_payout_ids() to authenticated;
grant execute on function private.member_placement_ids() to authenticated;
grant execute on function private.visible_placement_ids() to authenticated;

-- ---------------------------------------------------------------------------------------------
-- The admin gate
-- ---------------------------------------------------------------------------------------------
-- Every admin RPC is a one-line `language sql` wrapper in public over its private security
-- definer body:
--     select private.rpc_<name>(p_...) from private.require_platform_admin()
-- The FROM item runs first, so a caller who is not a platform admin gets 42501 before the body
-- sees any input. The bodies pass the gate again (begin_admin_action, or require_platform_admin
-- for the reads) since they are executable by authenticated on their own.
create function private.require_platform_admin()
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
  if (select auth.uid()) is null or not private.is_platform_admin() then
    raise exception 'permission denied: platform admin only'
      using errcode = '42501',
            hint = 'The platform_admin role comes from public.platform_admins, never from JWT claims.';
  end if;
end
$$;
comment on function private.require_platform_admin() is
  'The admin gate: raises 42501 (permission denied: platform admin only) unless the caller (auth.uid()) has a row in public.platform_admins; JWT claims are ignored. Every admin RPC in public is select private.rpc_<name>(...) from private.require_platform_admin(), so the refusal comes before any input check.';
revoke execute on function private.require_platform_admin() from public, anon, authenticated, service_role;
grant execute on function private.require_platform_admin() to authenticated;

-- The gate of every private.rpc_* body that changes something: the admin gate, then the admin
-- becomes the actor of the transaction (audit rows' changed_by / events' actor_id). Not granted
-- to anyone: it runs inside the security definer RPC bodies only (set_actor is executable by its
-- owner only).
create function private.begin_admin_action()
returns uuid
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_user_id uuid := auth.uid();
begin
  perform private.require_platform_admin();
  perform private.set_actor(v_user_id, 'platform_admin');
  return v_user_id;
end
$$;
comment on function private.begin_admin_action() is
  'Gate of every admin RPC body that changes something: private.require_platform_admin() (42501 unless auth.uid() is a platform admin), then sets the transaction''s actor to (auth.uid(), platform_admin) so every audit row and event names the acting admin. Returns the admin''s user id. Internal: runs inside the security definer private.rpc_* functions only.';
revoke execute on function private.begin_admin_action() from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- The first platform admin
-- ---------------------------------------------------------------------------------------------
-- Run as postgres (SQL editor, psql, `npm run make-admin`):
--   select private.bootstrap_platform_admin('admin@example.com');
-- Security invoker and executable by nobody but its owner: no API role (service_role
-- included) can call it. Idempotent; also the way back in if every admin was revoked.
create function private.bootstrap_platform_admin(p_email text)
returns public.platform_admins
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_user_ids uuid[];
  v_row public.platform_admins;
begin
  if pg_catalog.btrim(coalesce(p_email, '')) = '' then
    raise exception 'an email is required' using errcode = 'PT400';
  end if;
  select pg_catalog.array_agg(u.id) into v_user_ids
  from auth.users u
  where pg_catalog.lower(u.email) = pg_catalog.lower(pg_catalog.btrim(p_email));
  if v_user_ids is null then
    raise exception 'no user with email % (sign up first)', p_email using errcode = 'PT404';
  end if;
  if pg_catalog.cardinality(v_user_ids) > 1 then
    raise exception 'more than one user with email %', p_email using errcode = 'PT409';
  end if;

  perform private.set_actor(null, 'system');
  perform private.set_audit_context('platform_admin.bootstrap', 'bootstrap_platform_admin(user ' || v_user_ids[1]::text || ')');
  insert into public.platform_admins (user_id) values (v_user_ids[1])
  on conflict (user_id) do nothing;
  perform private.clear_audit_context();

  select * into v_row from public.platform_admins a where a.user_id = v_user_ids[1];
  return v_row;
end
$$;
comment on function private.bootstrap_platform_admin(text) is
  'Makes the auth user with this email a platform admin (idempotent; audited as system/platform_admin.bootstrap). Run as postgres: select private.bootstrap_platform_admin(''admin@example.com''). Not executable by any API role. PT400 no email, PT404 no such user, PT409 ambiguous email.';
revoke execute on function private.bootstrap_platform_admin(text) from public, anon, authenticated, service_role;
