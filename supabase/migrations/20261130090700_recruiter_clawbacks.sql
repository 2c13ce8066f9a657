-- squawk-ignore-file prefer-robust-stmts,require-concurrent-index-creation,ban-char-field
-- (the tables are created in this file, empty, inside the CLI's one transaction per migration:
-- nothing to rerun half-way and nobody to block by a plain CREATE INDEX; currency is char(3) by
-- contract)
-- Stripe sync, part 8: what a recruiter owes, and how it is netted against their next payouts.
--
--   public.recruiter_clawbacks   an amount owed by a recruiter: the shortfall of a reversal the
--       connected account's balance could not cover (amount), how much of it was netted so far
--       (offset_amount), outstanding_amount = amount - offset_amount, status open | settled.
--   public.clawback_offsets      each netting: which payout's payable money was kept by the
--       platform for which clawback, and how much.
--   private.apply_clawback_offsets(now, recruiter)   THE netting, set-based: every open clawback
--       is covered, oldest first, by the same recruiter's payable money in the same currency,
--       oldest collectible money first, of payouts that are ready to be transferred (placement not failed,
--       invoice paid and collectible at p_now). Per (clawback, payout) pair the smaller of the two
--       remainders (cumulative sums, no loop) moves payable -> forfeited on the payout (the
--       platform keeps it; reason clawback_offset; the bucket invariant paid + in_flight +
--       payable + held + forfeited = amount is kept by construction) and reduces the clawback.
--       Audited (action clawback.offset) and evented (payout.clawback_offset,
--       recruiter_clawback.offset / .settled). Called after a partial reversal, by the daily
--       reconciliation, and (one line, owned by the payout run) before each claim.
-- Both tables: readable by platform admins (all) and the recruiter (own); written only by the
-- security definer functions (guard trigger, audited).

-- Fail fast rather than queue behind (and in front of) live traffic; the CLI runs each
-- migration file in one transaction, so these last for this file only.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create table public.recruiter_clawbacks (
  id uuid primary key default pg_catalog.gen_random_uuid(),
  recruiter_id uuid not null references public.recruiters (id),
  -- where the debt comes from: the reversed payout and the reversal request
  payout_id uuid not null references public.payouts (id),
  payout_reversal_id uuid not null unique references public.payout_reversals (id),
  currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
  amount bigint not null check (amount > 0),
  offset_amount bigint not null default 0 check (offset_amount >= 0),
  outstanding_amount bigint not null generated always as (amount - offset_amount) stored,
  status text not null generated always as (case when offset_amount >= amount then 'settled' else 'open' end) stored,
  reason text not null,
  settled_at timestamptz,
  created_at timestamptz not null default pg_catalog.now(),
  updated_at timestamptz not null default pg_catalog.now(),
  check (offset_amount <= amount),
  check ((offset_amount >= amount) = (settled_at is not null))
);
comment on table public.recruiter_clawbacks is
  'Amounts a recruiter owes the platform: the part of a reversal their connected account could not cover. Netted against their next payouts (public.clawback_offsets) until outstanding_amount is 0 (status settled). Readable by the recruiter (own) and platform admins.';
create index recruiter_clawbacks_recruiter_id_idx on public.recruiter_clawbacks (recruiter_id, currency);
create index recruiter_clawbacks_payout_id_idx on public.recruiter_clawbacks (payout_id);
create index recruiter_clawbacks_open_idx on public.recruiter_clawbacks (recruiter_id, created_at) where offset_amount < amount;

create table public.clawback_offsets (
  id uuid primary key default pg_catalog.gen_random_uuid(),
  clawback_id uuid not null references public.recruiter_clawbacks (id),
  recruiter_id uuid not null references public.recruiters (id),
  -- the payout whose payable money the platform kept
  payout_id uuid not null references public.payouts (id),
  placement_id uuid not null references public.placements (id),
  currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
  amount bigint not null check (amount > 0),
  created_at timestamptz not null default pg_catalog.now(),
  updated_at timestamptz not null default pg_catalog.now()
);
comment on table public.clawback_offsets is
  'Each netting of an amount owed against a later payout of the same recruiter: the payout''s payable money kept by the platform (forfeited with reason clawback_offset). Readable by the recruiter (own) and platform admins.';
create index clawback_offsets_recruiter_id_idx on public.clawback_offsets (recruiter_id, payout_id);
create index clawback_offsets_clawback_id_idx on public.clawback_offsets (clawback_id);
create index clawback_offsets_payout_id_idx on public.clawback_offsets (payout_id);
create index clawback_offsets_placement_id_idx on public.clawback_offsets (placement_id);

alter table public.recruiter_clawbacks enable row level security;
alter table public.clawback_offsets enable row level security;
revoke all on table public.recruiter_clawbacks, public.clawback_offsets from public, anon, authenticated, service_role;
grant select on table public.recruiter_clawbacks to authenticated;
grant select on table public.clawback_offsets to authenticated;
create policy recruiter_clawbacks_select on public.recruiter_clawbacks
  for select to authenticated
  using (recruiter_id between (select private.visible_recruiter_id_min()) and (select private.visible_recruiter_id_max()));
create policy clawback_offsets_select on public.clawback_offsets
  for select to authenticated
  using (recruiter_id between (select private.visible_recruiter_id_min()) and (select private.visible_recruiter_id_max()));

create trigger money_guard before insert or update or delete on public.recruiter_clawbacks
  for each row execute function private.guard_money_write('', 'all');
create trigger money_guard before insert or update or delete on public.clawback_offsets
  for each row execute function private.guard_money_write('', 'all');
select private.enable_audit('public.recruiter_clawbacks'::regclass, 'recruiter_clawback');
select private.enable_audit('public.clawback_offsets'::regclass, 'clawback_offset');

-- Consistency (deferred): a clawback's offset_amount is the sum of its offsets.
create function private.check_clawback_consistency()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_id uuid := (pg_catalog.to_jsonb(new) ->> case when tg_table_name = 'recruiter_clawbacks' then 'id' else 'clawback_id' end)::uuid;
  v_bad text;
begin
  select pg_catalog.format('clawback %s: offset_amount %s <> its offsets %s', c.id, c.offset_amount,
                           coalesce((select sum(o.amount) from public.clawback_offsets o where o.clawback_id = c.id), 0))
    into v_bad
  from public.recruiter_clawbacks c
  where c.id = v_id
    and c.offset_amount <> coalesce((select sum(o.amount) from public.clawback_offsets o where o.clawback_id = c.id), 0);
  if v_bad is not null then
    raise exception '%', v_bad using errcode = 'PT422';
  end if;
  return null;
end
$$;
comment on function private.check_clawback_consistency() is
  'Deferred constraint trigger: a clawback''s offset_amount equals the sum of its clawback_offsets (PT422).';
create constraint trigger clawback_consistent after insert or update on public.recruiter_clawbacks
  deferrable initially deferred for each row execute function private.check_clawback_consistency();
create constraint trigger clawback_consistent after insert on public.clawback_offsets
  deferrable initially deferred for each row execute function private.check_clawback_consistency();

-- ---------------------------------------------------------------------------------------------
-- Netting
-- ---------------------------------------------------------------------------------------------
create function private.apply_clawback_offsets(
  p_now timestamptz default pg_catalog.now(), p_recruiter_id uuid default null)
returns table (clawback_id uuid, payout_id uuid, amount bigint)
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_prev jsonb;
  v_clawbacks uuid[];
  v_payouts uuid[];
  v_plan jsonb;
begin
  -- open clawbacks (oldest first), locked; another netting holding one is not waited for
  select pg_catalog.array_agg(c.id order by c.created_at, c.id) into v_clawbacks
  from (select c.id, c.created_at from public.recruiter_clawbacks c
        where c.offset_amount < c.amount and (p_recruiter_id is null or c.recruiter_id = p_recruiter_id)
        order by c.created_at, c.id
        for update skip locked) c;
  if v_clawbacks is null then
    return;
  end if;

  -- candidate payouts: same recruiters, payable money ready to be transferred; locked in id order
  select pg_catalog.array_agg(l.id order by l.id) into v_payouts
  from (select po.id from public.payouts po
        join public.placements pl on pl.id = po.placement_id
        join public.placement_invoices i on i.placement_id = po.placement_id
        where po.payable_amount > 0 and pl.status <> 'failed'
          and i.status = 'paid' and i.collectible_at <= p_now
          and (po.recruiter_id, po.currency) in (select c.recruiter_id, c.currency from public.recruiter_clawbacks c
                                                  where c.id = any (v_clawbacks))
        order by po.id
        for update of po) l;
  if v_payouts is null then
    return;
  end if;

  v_prev := private.enter_transition('clawback.offset', 'clawback_offset');
  -- Allocation by cumulative sums, in one statement: on each (recruiter, currency) line clawback k
  -- covers (c_end - outstanding, c_end] and payout j offers (p_end - payable, p_end]; their
  -- overlap is the offset of the pair. The data-modifying CTEs all run.
  with c as (
    select c.id, c.recruiter_id, c.currency, c.amount - c.offset_amount as outstanding,
           sum(c.amount - c.offset_amount) over (partition by c.recruiter_id, c.currency
                                                 order by c.created_at, c.id) as c_end
    from public.recruiter_clawbacks c where c.id = any (v_clawbacks)
  ), p as (
    -- oldest money first: by when the invoice became collectible, then payout age
    select po.id, po.placement_id, po.recruiter_id, po.currency, po.payable_amount as payable,
           sum(po.payable_amount) over (partition by po.recruiter_id, po.currency
                                        order by i.collectible_at, po.created_at, po.id) as p_end
    from public.payouts po
    join public.placement_invoices i on i.placement_id = po.placement_id
    where po.id = any (v_payouts)
  ), plan as (
    select c.id as clawback_id, p.id as payout_id, p.placement_id, c.recruiter_id, c.currency,
           (least(c.c_end, p.p_end) - greatest(c.c_end - c.outstanding, p.p_end - p.payable))::bigint as amount
    from c join p on p.recruiter_id = c.recruiter_id and p.currency = c.currency
    where least(c.c_end, p.p_end) > greatest(c.c_end - c.outstanding, p.p_end - p.payable)
  ), ins as (
    -- created_at = p_now: the offset's moment on the recruiter's statement (20261202130000)
    insert into public.clawback_offsets (clawback_id, recruiter_id, payout_id, placement_id, currency, amount, created_at)
    select plan.clawback_id, plan.recruiter_id, plan.payout_id, plan.placement_id, plan.currency, plan.amount, p_now
    from plan order by plan.clawback_id, plan.payout_id
    returning 1
  ), upd_payouts as (
    update public.payouts po
       set payable_amount = po.payable_amount - s.amount, forfeited_amount = po.forfeited_amount + s.amount
      from (select plan.payout_id, sum(plan.amount)::bigint as amount from plan group by plan.payout_id) s
     where po.id = s.payout_id
    returning po.id
  ), upd_clawbacks as (
    update public.recruiter_clawbacks rc
       set offset_amount = rc.offset_amount + s.amount,
           settled_at = case when rc.offset_amount + s.amount >= rc.amount then p_now end
      from (select plan.clawback_id, sum(plan.amount)::bigint as amount from plan group by plan.clawback_id) s
     where rc.id = s.clawback_id
    returning rc.id
  )
  select coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(plan) order by plan.clawback_id, plan.payout_id), '[]'::jsonb)
    into v_plan
  from plan;

  perform private.emit_event('payout.clawback_offset', 'payout', po.id, po.placement_id, po.id,
    pg_catalog.jsonb_build_object('amount', s.amount, 'currency', po.currency, 'clawback_ids', s.clawback_ids,
      'payable_amount', po.payable_amount, 'forfeited_amount', po.forfeited_amount, 'reason', 'clawback_offset'))
  from public.payouts po
  join (select x.payout_id, sum(x.amount)::bigint as amount, pg_catalog.jsonb_agg(x.clawback_id) as clawback_ids
        from pg_catalog.jsonb_to_recordset(v_plan) as x(clawback_id uuid, payout_id uuid, amount bigint)
        group by x.payout_id) s on s.payout_id = po.id
  order by po.id;
  perform private.emit_event(case when rc.offset_amount >= rc.amount then 'recruiter_clawback.settled'
                                  else 'recruiter_clawback.offset' end,
    'recruiter_clawback', rc.id, null, rc.payout_id,
    pg_catalog.jsonb_build_object('recruiter_id', rc.recruiter_id, 'offset', s.amount, 'offset_amount', rc.offset_amount,
      'outstanding_amount', rc.outstanding_amount, 'currency', rc.currency, 'payout_ids', s.payout_ids))
  from public.recruiter_clawbacks rc
  join (select x.clawback_id, sum(x.amount)::bigint as amount, pg_catalog.jsonb_agg(x.payout_id) as payout_ids
        from pg_catalog.jsonb_to_recordset(v_plan) as x(clawback_id uuid, payout_id uuid, amount bigint)
        group by x.clawback_id) s on s.clawback_id = rc.id
  order by rc.id;

  perform private.sync_payout_status(
    array(select distinct x.payout_id from pg_catalog.jsonb_to_recordset(v_plan) as x(payout_id uuid)),
    'clawback_offset', p_now);
  perform private.leave_transition(v_prev);

  return query select x.clawback_id, x.payout_id, x.amount
               from pg_catalog.jsonb_to_recordset(v_plan) as x(clawback_id uuid, payout_id uuid, amount bigint)
               order by x.clawback_id, x.payout_id;
end
$$;
comment on function private.apply_clawback_offsets(timestamptz, uuid) is
  'Nets what recruiters owe (open public.recruiter_clawbacks, oldest first) against their payable money in the same currency (oldest collectible money first) of payouts ready to be transferred at p_now (placement not failed, invoice paid and collectible): payable -> forfeited (reason clawback_offset), one clawback_offsets row per (clawback, payout), clawbacks reduced / settled; set-based, audited (clawback.offset), events payout.clawback_offset and recruiter_clawback.offset|settled. All recruiters, or only p_recruiter_id. Call it before claiming. Returns the offsets made.';

revoke execute on function
  private.check_clawback_consistency(),
  private.apply_clawback_offsets(timestamptz, uuid)
from public, anon, authenticated, service_role;
grant execute on function private.apply_clawback_offsets(timestamptz, uuid) to stripe_sync;
