-- Policy performance, part 1: the recruiter-keyed policies (recruiters, placement_splits,
-- payouts) become one index range predicate instead of "admin OR own".
--
-- Why. The policies of 20261128090100 read
--     using ((select private.is_platform_admin()) or recruiter_id = (select private.my_recruiter_id()))
-- Both sides are InitPlans (once per statement), but the planner cannot turn "$admin OR
-- recruiter_id = $id" into an index condition: the boolean is not a clause on an indexed
-- column, so the whole OR becomes a per-row filter of a sequential scan. A recruiter's "my
-- payouts" page (`select * from payouts order by created_at desc limit 50`, what PostgREST sends
-- for `from('payouts').select().order('created_at').limit(50)`) read every payout of the
-- platform. Measured on 1 000 000 payouts / 10 000 recruiters (2 cores, warm cache):
--     before  Seq Scan on payouts, Filter: ($0 OR (recruiter_id = $1)), 999 900 rows removed
--             ~125 ms
--     after   Bitmap Index Scan on payouts_recruiter_id_idx,
--             Index Cond: ((recruiter_id >= $0) AND (recruiter_id <= $1)), 100 rows, ~0.3 ms
-- (docs/access.md, "Policy performance"; bench/rls_my_payouts.bench.ts measures it end to end.)
--
-- How. Every caller of these tables sees either exactly one recruiter's rows (their own) or
-- all of them (platform admin), so visibility is a closed range of recruiter ids:
--     recruiter           [own id, own id]
--     platform admin      [00000000-0000-0000-0000-000000000000, ffffffff-ffff-ffff-ffff-ffffffffffff]
--                         (every uuid)
--     anyone else         [null, null]  (no row: a comparison with null is never true)
-- `col between (select lo) and (select hi)` is a plain b-tree range on the indexed column, for
-- the recruiter and for the admin alike: one predicate, no OR.
--
-- Why a range and not `recruiter_id = any (array(select <own id, or every recruiter id>))`:
-- that form is index-friendly for recruiters too, but an admin then carries an array of every
-- recruiter id, and any row the executor re-checks against it (a lossy bitmap page once the
-- bitmap outgrows work_mem, or a filter under another index) is a linear search through
-- 10 000 uuids. Measured, admin `select * from payouts order by created_at desc limit 50` with
-- work_mem = 1MB (8 310 lossy pages): any-array 9.4 s, range 0.44 s; admin reading the payouts
-- of one company's placements (index on placement_id, policy as a filter): any-array 31 ms,
-- range 5 ms. The range costs two comparisons per re-checked row whatever the number of
-- recruiters.
--
-- A platform admin's unfiltered read becomes a bitmap scan over the whole index instead of a
-- sequential scan: every row is read either way, measured 0.9-1.5x the old time. Admin screens
-- filter (status, placement, recruiter), and then the filter's index drives the read.
--
-- The range relies on one recruiter row per user (recruiters.user_id is unique). If a user
-- ever manages several recruiter profiles, these helpers must become a set again.
--
-- Behaviour is unchanged (access matrix tests): a platform admin sees every row, a recruiter
-- their own (recruiters: own row, since id = my recruiter id <=> user_id = auth.uid()),
-- everyone else nothing. Policy names, command and roles are kept (ALTER POLICY).

-- Fail fast rather than queue behind (and in front of) live traffic; the CLI runs each
-- migration file in one transaction, so these last for this file only.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- plpgsql, not sql: a security definer SQL function is never inlined and PostgreSQL 15 plans
-- its body again on every statement that calls it; plpgsql keeps its plans for the session
-- (PostgREST's pooled connections). Measured per call: ~100 us as SQL (calling
-- private.is_platform_admin(), itself SQL), ~10-20 us as plpgsql, twice per statement. The admin
-- test is private.is_platform_admin()'s predicate, inlined for the same reason
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

revoke execute on function private.visible_recruiter_id_min(), private.visible_recruiter_id_max()
  from public, anon, authenticated, service_role;
grant execute on function private.visible_recruiter_id_min() to authenticated;
grant execute on function private.visible_recruiter_id_max() to authenticated;

-- recruiters.id: the primary key; placement_splits.recruiter_id and payouts.recruiter_id:
-- placement_splits_recruiter_id_idx, payouts_recruiter_id_idx (20261127100100).
alter policy recruiters_select on public.recruiters
  using (id between (select private.visible_recruiter_id_min()) and (select private.visible_recruiter_id_max()));

alter policy placement_splits_select on public.placement_splits
  using (recruiter_id between (select private.visible_recruiter_id_min())
                          and (select private.visible_recruiter_id_max()));

alter policy payouts_select on public.payouts
  using (recruiter_id between (select private.visible_recruiter_id_min())
                          and (select private.visible_recruiter_id_max()));
