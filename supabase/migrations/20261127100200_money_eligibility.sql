-- squawk-ignore-file require-lock-timeout,require-statement-timeout
-- Squawk rules ignored in this file, and why: it only creates functions and grants (no table
-- is rewritten or locked for long).
-- Money model, part 3: eligibility, in one function that everything uses.
--
-- A payout's unheld, unpaid amount (payable_amount) may be transferred at p_now when, in
-- this order of precedence (the first failing gate is the reason):
--   platform_paused                     the platform kill switch is on
--   placement_failed                    the placement failed (its money is forfeited)
--   invoice_not_collectible             the invoice is not paid, or paid_at + buffer > p_now
--   recruiter_cannot_receive_transfers  no connected account, or capabilities.transfers <> active
--   recruiter_paused                    the recruiter's payouts are paused
--   nothing_payable                     payable_amount = 0 (all paid, in flight, held or forfeited)
-- Time is passed in so tests (and replays) control it.

-- plpgsql with two fixed statements, not one sql statement filtered by "p_payout_ids is null or
-- po.id = any (p_payout_ids)": a sql function with `set search_path` is never inlined, PG 15
-- plans its body on every call, and with the ids as a parameter that OR filter can only be a
-- scan of all payouts, placements and invoices (twice per claim batch). Now listed payouts are
-- read by primary key (plan cached per session), all payouts by one scan. The two statements
-- differ only in their WHERE: keep them in step.
create function private.payout_eligibility(
  p_now timestamptz default pg_catalog.now(),
  p_payout_ids uuid[] default null)
returns table (
  payout_id uuid,
  placement_id uuid,
  recruiter_id uuid,
  currency char(3),
  payable_amount bigint,
  destination_account_id text,
  invoice_collectible_at timestamptz,
  eligible boolean,
  reason text)
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  if p_payout_ids is not null then
    return query
    select po.id, po.placement_id, po.recruiter_id, po.currency, po.payable_amount,
           r.stripe_connect_account_id, i.collectible_at,
           g.reason is null, g.reason
    from public.payouts po
    join public.placements pl on pl.id = po.placement_id
    join public.recruiters r on r.id = po.recruiter_id
    left join public.placement_invoices i on i.placement_id = po.placement_id
    cross join private.settings() s
    cross join lateral (
      select case
        when s.payouts_paused then 'platform_paused'
        when pl.status = 'failed' then 'placement_failed'
        when i.status is distinct from 'paid' or i.collectible_at > p_now then 'invoice_not_collectible'
        when not r.can_receive_transfers then 'recruiter_cannot_receive_transfers'
        when r.payouts_paused then 'recruiter_paused'
        when po.payable_amount = 0 then 'nothing_payable'
      end as reason
    ) g
    where po.id = any (p_payout_ids);
  else
    return query
    select po.id, po.placement_id, po.recruiter_id, po.currency, po.payable_amount,
           r.stripe_connect_account_id, i.collectible_at,
           g.reason is null, g.reason
    from public.payouts po
    join public.placements pl on pl.id = po.placement_id
    join public.recruiters r on r.id = po.recruiter_id
    left join public.placement_invoices i on i.placement_id = po.placement_id
    cross join private.settings() s
    cross join lateral (
      select case
        when s.payouts_paused then 'platform_paused'
        when pl.status = 'failed' then 'placement_failed'
        when i.status is distinct from 'paid' or i.collectible_at > p_now then 'invoice_not_collectible'
        when not r.can_receive_transfers then 'recruiter_cannot_receive_transfers'
        when r.payouts_paused then 'recruiter_paused'
        when po.payable_amount = 0 then 'nothing_payable'
      end as reason
    ) g;
  end if;
end
$$;
comment on function private.payout_eligibility(timestamptz, uuid[]) is
  'THE eligibility rule: for each payout (all, or p_payout_ids), whether its payable_amount may be transferred at p_now, and otherwise the first failing gate (platform_paused, placement_failed, invoice_not_collectible, recruiter_cannot_receive_transfers, recruiter_paused, nothing_payable).';

revoke execute on function private.payout_eligibility(timestamptz, uuid[])
from public, anon, authenticated, service_role;
