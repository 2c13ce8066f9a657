-- Access, part 2: what each party reads. Rows by RLS policies, columns by column GRANTs, and
-- two security_invoker views for the parties that see a row but not all of it.
--
-- Writes: no API role holds INSERT, UPDATE or DELETE on any table (admins included): every
-- change goes through an admin RPC (20261128090200..) whose security definer body runs the
-- model's transition functions. So there are SELECT policies only, one per table, `to
-- authenticated`, named <table>_select; the platform admin branch and the party branch are in
-- that one policy (two permissive policies would be OR-ed anyway, and cost the
-- multiple_permissive_policies advisor warning).
--
-- Recruiter-keyed tables (recruiters, placement_splits, payouts, escrow_holds,
-- payout_schedules, payout_transfers, payout_audit_log, payout_events): one index range on the
-- recruiter id, `recruiter_id between (select private.visible_recruiter_id_min()) and (select
-- private.visible_recruiter_id_max())` (20261128090000), which an admin's range covers whole
-- and a recruiter's covers their own id only. The payout children and the logs carry their
-- payout's recruiter_id for this (copied by trigger, 20261127100100); log rows about no payout
-- have none and are keyed at the nil uuid, inside the admin's range only. "admin OR own" would
-- be a per-row filter of a sequential scan (docs/access.md, "Policy performance").
--
-- Columns. RLS filters rows, not columns, so where a party may see a row but not all of it the
-- sensitive columns are simply not granted to `authenticated` (a select of them fails with
-- 42501, whoever asks), and admins read them through admin read RPCs
-- (20261128090500: admin_companies, admin_placements, admin_placement_invoices,
-- admin_payout_audit_log):
--   companies           stripe_customer_id                        (no Stripe ids for members)
--   placements          platform_amount                           (fee - platform - own amount
--                                                                   would give co-recruiters'
--                                                                   amounts away)
--   placement_invoices  stripe_invoice_id, stripe_payment_intent_id
--   payout_audit_log    old_values, new_values, prev_hash, row_hash, txid
-- Tables whose rows only their owner (and admins) see are granted whole: recruiters (own row),
-- placement_splits, payouts, escrow_holds, payout_schedules, payout_transfers, payout_events
-- (own payout's rows). A co-recruiter's split, payout, tranches, holds, schedules, audit rows
-- and events are rows the other recruiter never sees.
--
-- Views (security_invoker, so the caller's RLS and grants apply):
--   payout_audit_trail      the granted columns of payout_audit_log (select * works)
--   placement_escrow_holds  hold reasons, statuses and dates without amounts or payout ids, for
--                           company members (who may not read escrow_holds rows: they carry a
--                           recruiter's hold_amount); backed by a security definer function
--                           that applies the same visibility rules as the policies.

-- Fail fast rather than queue behind (and in front of) live traffic; the CLI runs each
-- migration file in one transaction, so these last for this file only.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- ---------------------------------------------------------------------------------------------
-- Column grants (SELECT only; anon, service_role and payout_jobs get nothing)
-- ---------------------------------------------------------------------------------------------
grant select on table public.platform_admins to authenticated;
grant select on table public.company_members to authenticated;
grant select (id, name, billing_email, created_at, updated_at) on table public.companies to authenticated;
grant select on table public.recruiters to authenticated;
grant select (id, company_id, title, fee_amount, currency, holdback_bps, hired_at, guarantee_days,
              guarantee_expires_at, status, activated_at, completed_at, failed_at, failure_reason,
              splits_locked_at, refund_amount, refund_decided_at, created_at, updated_at)
  on table public.placements to authenticated;
grant select (id, placement_id, currency, amount_due, status, paid_at, collectible_at, voided_at,
              created_at, updated_at)
  on table public.placement_invoices to authenticated;
grant select on table public.placement_splits to authenticated;
grant select on table public.payouts to authenticated;
grant select on table public.escrow_holds to authenticated;
grant select on table public.payout_schedules to authenticated;
grant select on table public.payout_transfers to authenticated;
grant select (id, entity_type, entity_id, placement_id, payout_id, recruiter_id, operation, action, changed_by,
              changed_by_role, reason, created_at, entity_seq)
  on table public.payout_audit_log to authenticated;
grant select on table public.payout_events to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Policies: one per table, SELECT, to authenticated
-- ---------------------------------------------------------------------------------------------
create policy platform_admins_select on public.platform_admins
  for select to authenticated
  using ((select private.is_platform_admin()));

create policy company_members_select on public.company_members
  for select to authenticated
  using ((select private.is_platform_admin())
         or company_id = any (array(select private.my_company_ids())));

create policy companies_select on public.companies
  for select to authenticated
  using ((select private.is_platform_admin())
         or id = any (array(select private.my_company_ids())));

-- id = my recruiter id <=> user_id = auth.uid(); recruiters.id: the primary key
create policy recruiters_select on public.recruiters
  for select to authenticated
  using (id between (select private.visible_recruiter_id_min()) and (select private.visible_recruiter_id_max()));

create policy placements_select on public.placements
  for select to authenticated
  using ((select private.is_platform_admin())
         or id = any (array(select private.visible_placement_ids())));

create policy placement_invoices_select on public.placement_invoices
  for select to authenticated
  using ((select private.is_platform_admin())
         or placement_id = any (array(select private.member_placement_ids())));

create policy placement_splits_select on public.placement_splits
  for select to authenticated
  using (recruiter_id between (select private.visible_recruiter_id_min())
                          and (select private.visible_recruiter_id_max()));

create policy payouts_select on public.payouts
  for select to authenticated
  using (recruiter_id between (select private.visible_recruiter_id_min())
                          and (select private.visible_recruiter_id_max()));

create policy escrow_holds_select on public.escrow_holds
  for select to authenticated
  using (recruiter_id between (select private.visible_recruiter_id_min())
                          and (select private.visible_recruiter_id_max()));

create policy payout_schedules_select on public.payout_schedules
  for select to authenticated
  using (recruiter_id between (select private.visible_recruiter_id_min())
                          and (select private.visible_recruiter_id_max()));

create policy payout_transfers_select on public.payout_transfers
  for select to authenticated
  using (recruiter_id between (select private.visible_recruiter_id_min())
                          and (select private.visible_recruiter_id_max()));

create policy payout_audit_log_select on public.payout_audit_log
  for select to authenticated
  using (coalesce(recruiter_id, '00000000-0000-0000-0000-000000000000'::uuid)
           between (select private.visible_recruiter_id_min()) and (select private.visible_recruiter_id_max()));

create policy payout_events_select on public.payout_events
  for select to authenticated
  using (coalesce(recruiter_id, '00000000-0000-0000-0000-000000000000'::uuid)
           between (select private.visible_recruiter_id_min()) and (select private.visible_recruiter_id_max()));

-- ---------------------------------------------------------------------------------------------
-- Views
-- ---------------------------------------------------------------------------------------------
create view public.payout_audit_trail
with (security_invoker = true)
as
select a.id, a.entity_type, a.entity_id, a.placement_id, a.payout_id, a.operation, a.action,
       a.changed_by, a.changed_by_role, a.reason, a.created_at, a.entity_seq
from public.payout_audit_log a;
comment on view public.payout_audit_trail is
  'The audit log without its old/new values and hashes: what happened to an entity, when, by whom (role and id) and why. Security invoker: platform admins see every row, a recruiter the rows about their own payouts. Admins read the values with admin_payout_audit_log().';
revoke all on table public.payout_audit_trail from public, anon, authenticated, service_role;
grant select on table public.payout_audit_trail to authenticated;

-- The view's body applies the policies' visibility rules itself (it is security definer, so no
-- policy applies inside it, and it is never inlined: a filter on the view applies to its
-- result). Two branches, UNION ALL, so that no branch is an "admin OR ..." filter of every hold:
--   * platform admin: every hold (a one-time InitPlan filter: skipped for everybody else
--     without reading a row);
--   * everybody else: holds of their companies' placements OR their own holds. Both sides are
--     indexable (escrow_holds_placement_id_idx, escrow_holds_recruiter_id_idx): a BitmapOr of
--     two index scans; a hold matching both is returned once.
-- Measured on 1 000 000 holds: ~0.5 ms for a recruiter's 100 holds (one OR-filtered scan: ~0.8 s).
create function private.visible_escrow_hold_summaries()
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
comment on function private.visible_escrow_hold_summaries() is
  'Body of the view public.placement_escrow_holds: the holds the caller may know about (platform admin: all; company member: those of their companies'' placements; recruiter: those of their own payouts) without amounts, payout ids, actors or free-text reasons.';
revoke execute on function private.visible_escrow_hold_summaries() from public, anon, authenticated, service_role;
grant execute on function private.visible_escrow_hold_summaries() to authenticated;

create view public.placement_escrow_holds
with (security_invoker = true)
as
select s.id, s.placement_id, s.currency, s.hold_reason, s.status, s.held_at, s.release_scheduled_date,
       s.released_at, s.cancelled_at
from private.visible_escrow_hold_summaries() s;
comment on view public.placement_escrow_holds is
  'Escrow holds without amounts: hold reason, status and dates, for company members (their companies'' placements), recruiters (their own holds) and platform admins (all). Amounts: placement_escrow_total(p_placement_id) for totals; escrow_holds rows for the recruiter who owns them.';
revoke all on table public.placement_escrow_holds from public, anon, authenticated, service_role;
grant select on table public.placement_escrow_holds to authenticated;

-- A view over a function is not updatable: without a trigger Postgres refuses a write as
-- "cannot insert into view" (55000, HTTP 500 through PostgREST) before it checks privileges.
-- With INSTEAD OF triggers the privilege check comes first, so an API role gets 42501 (no
-- INSERT/UPDATE/DELETE grant: HTTP 403, or 401 without a JWT) like on every other relation,
-- and the trigger refuses the owner with 42501 too. Holds change through the admin RPCs.
create function private.refuse_placement_escrow_holds_write()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception 'permission denied: % on placement_escrow_holds (read-only; holds change through the admin RPCs)',
    pg_catalog.lower(tg_op)
    using errcode = '42501';
end
$$;
comment on function private.refuse_placement_escrow_holds_write() is
  'INSTEAD OF trigger of the view public.placement_escrow_holds: refuses every INSERT, UPDATE and DELETE with 42501 (the view is read-only), so a write is a client error (PostgREST 401/403), not 55000.';
revoke execute on function private.refuse_placement_escrow_holds_write() from public, anon, authenticated, service_role;
create trigger placement_escrow_holds_read_only
  instead of insert or update or delete on public.placement_escrow_holds
  for each row execute function private.refuse_placement_escrow_holds_write();
