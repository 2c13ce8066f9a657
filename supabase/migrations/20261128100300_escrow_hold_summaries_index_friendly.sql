-- Policy performance, part 4: the body of the view public.placement_escrow_holds
-- (private.visible_escrow_hold_summaries) without the "admin OR member OR own" filter.
--
-- Why. The function applies the policies' visibility rules itself (it is security definer, so
-- no policy applies inside it) and did so with the same OR as the old policies:
--     where (select private.is_platform_admin())
--        or h.placement_id = any (array(select private.member_placement_ids()))
--        or h.payout_id = any (array(select private.my_payout_ids()))
-- A sequential scan of every hold on every read of the view, whoever reads it and whatever
-- the view is filtered by (a security definer function is never inlined, so a filter on the
-- view is applied to the function's result). Measured on 1 000 000 holds: ~750 ms for a
-- recruiter's 100 holds, the same for one placement's (`?placement_id=eq.`).
--
-- How. Two branches, UNION ALL:
--   * platform admin: every hold (the branch's filter is a one-time InitPlan: skipped for
--     everybody else without reading a row);
--   * everybody else: holds of their companies' placements OR their own holds. Both sides of
--     this OR are indexable (escrow_holds_placement_id_idx, and the recruiter_id of
--     20261128100100 with escrow_holds_recruiter_id_idx), so the planner combines
--     two bitmap index scans (BitmapOr) instead of filtering every row. A row matching both
--     sides is returned once. The branch is off for admins, so no row comes twice.
-- Measured after: ~0.5 ms for the recruiter (was ~0.8 s), ~4.5 ms for the admin of a company with
-- 500 placements and 1 000 holds (was ~2.7 s: a linear search of 500 placement ids per hold).
--
-- Behaviour is unchanged (select_matrix.test.sql, columns.test.sql, rpc_reads.test.sql):
-- same rows for every caller (own holds <=> recruiter_id = my recruiter id: the column is the
-- payout's recruiter, 20261128100100), same columns. Signature, owner, grants and comment are kept
-- (CREATE OR REPLACE).

-- Fail fast rather than queue behind (and in front of) live traffic; the CLI runs each
-- migration file in one transaction, so these last for this file only.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create or replace function private.visible_escrow_hold_summaries()
returns table (
  id uuid,
  placement_id uuid,
  currency char(3),
  hold_reason text,
  status text,
  held_at timestamptz,
  release_scheduled_date date,
  released_at timestamptz,
  cancelled_at timestamptz)
language sql
stable
security definer
set search_path = ''
as $$
  select h.id, h.placement_id, h.currency, h.hold_reason, h.status, h.held_at, h.release_scheduled_date,
         h.released_at, h.cancelled_at
  from public.escrow_holds h
  where (select private.is_platform_admin())
  union all
  select h.id, h.placement_id, h.currency, h.hold_reason, h.status, h.held_at, h.release_scheduled_date,
         h.released_at, h.cancelled_at
  from public.escrow_holds h
  where not (select private.is_platform_admin())
    and (h.placement_id = any (array(select private.member_placement_ids()))
         or h.recruiter_id = (select private.my_recruiter_id()))
$$;
