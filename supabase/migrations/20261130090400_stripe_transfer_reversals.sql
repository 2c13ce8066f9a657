-- squawk-ignore-file prefer-robust-stmts,require-concurrent-index-creation,ban-char-field
-- Squawk rules ignored in this file, and why: the CLI runs each migration in one transaction,
-- where CREATE INDEX CONCURRENTLY is not possible; the new table is created empty here;
-- currency is char(3) by contract.
-- Stripe sync, part 5: reversals of transfers (transfer.reversed, and our own reversals).
--
--   payout_transfers.reversed_amount      of the tranche's amount, reversed at Stripe
--                                         (0 <= reversed_amount <= amount; only a succeeded
--                                         tranche is ever reversed); the column is created
--                                         with the table (20261127100100) and kept in step
--                                         with the mirror below
--   private.stripe_transfer_reversals     every Stripe reversal (trr_...) of one of our transfers,
--                                         once (unique Stripe id): the mirror the tranche's
--                                         reversed_amount is the sum of
--   private.record_transfer_reversals(stripe transfer id, reversals, now)
--       records the reversals Stripe lists for a transfer (from transfer.reversed, which re-reads
--       the transfer's reversals, or from the reversal worker's own call): new ones are inserted,
--       known ones skipped, so a reversal is counted once whoever reports it and however often.
--       The tranche's reversed_amount and its payout's reversed_amount grow by the new amounts;
--       reversed <= paid (tranche CHECK, payouts_reversed_le_paid); the payout moves to its
--       derived status (flagged_for_reversal -> reversed once every paid cent is back).
-- Deferred consistency: the tranche = sum of its mirror rows, the payout = sum of its tranches.

-- Fail fast rather than queue behind (and in front of) live traffic; the CLI runs each
-- migration file in one transaction, so these last for this file only.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create table private.stripe_transfer_reversals (
  id uuid primary key default pg_catalog.gen_random_uuid(),
  stripe_reversal_id text not null unique check (stripe_reversal_id ~ '^trr_[A-Za-z0-9]+$'),
  transfer_id uuid not null references public.payout_transfers (id),
  payout_id uuid not null references public.payouts (id),
  placement_id uuid not null references public.placements (id),
  stripe_transfer_id text not null check (stripe_transfer_id ~ '^tr_[A-Za-z0-9]+$'),
  amount bigint not null check (amount > 0),
  currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
  stripe_created_at timestamptz,
  -- ours (reverse_payout; metadata payout_reversal_id) or made elsewhere (dashboard, API)
  payout_reversal_id uuid,
  recorded_at timestamptz not null,
  created_at timestamptz not null default pg_catalog.now(),
  updated_at timestamptz not null default pg_catalog.now()
);
comment on table private.stripe_transfer_reversals is
  'Every Stripe reversal of one of our transfers, once (unique trr_ id), whoever reported it (transfer.reversed webhook, the reversal worker, reconciliation). payout_transfers.reversed_amount is the sum per tranche.';
create index stripe_transfer_reversals_transfer_id_idx on private.stripe_transfer_reversals (transfer_id);
create index stripe_transfer_reversals_payout_id_idx on private.stripe_transfer_reversals (payout_id);
create index stripe_transfer_reversals_placement_id_idx on private.stripe_transfer_reversals (placement_id);
create index stripe_transfer_reversals_payout_reversal_id_idx on private.stripe_transfer_reversals (payout_reversal_id);
alter table private.stripe_transfer_reversals enable row level security;
revoke all on table private.stripe_transfer_reversals from public, anon, authenticated, service_role;
create trigger money_guard before insert or update or delete on private.stripe_transfer_reversals
  for each row execute function private.guard_money_write('', 'all');
select private.enable_audit('private.stripe_transfer_reversals'::regclass, 'stripe_transfer_reversal');

-- ---------------------------------------------------------------------------------------------
-- Consistency (deferred): tranche = its reversals, payout = its tranches
-- ---------------------------------------------------------------------------------------------
create function private.reversal_problems(p_payout_id uuid default null)
returns table (payout_id uuid, problem text)
language sql
stable
security definer
set search_path = ''
as $$
  select t.payout_id, pg_catalog.format('tranche %s reversed_amount %s <> its reversals %s', t.id, t.reversed_amount,
                                        coalesce(sum(r.amount), 0))
  from public.payout_transfers t
  left join private.stripe_transfer_reversals r on r.transfer_id = t.id
  where p_payout_id is null or t.payout_id = p_payout_id
  group by t.id, t.payout_id, t.reversed_amount
  having t.reversed_amount <> coalesce(sum(r.amount), 0)
  union all
  select po.id, pg_catalog.format('payout reversed_amount %s <> its tranches %s', po.reversed_amount,
                                  coalesce(sum(t.reversed_amount), 0))
  from public.payouts po
  left join public.payout_transfers t on t.payout_id = po.id
  where p_payout_id is null or po.id = p_payout_id
  group by po.id, po.reversed_amount
  having po.reversed_amount <> coalesce(sum(t.reversed_amount), 0)
$$;
comment on function private.reversal_problems(uuid) is
  'Every inconsistency of reversed amounts: a tranche whose reversed_amount is not the sum of its Stripe reversals, a payout whose reversed_amount is not the sum of its tranches (all payouts when p_payout_id is null). Empty = consistent.';

create function private.check_reversal_consistency()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_problem text;
begin
  select string_agg(x.problem, '; ') into v_problem
  from private.reversal_problems((pg_catalog.to_jsonb(new) ->> 'payout_id')::uuid) x;
  if v_problem is not null then
    raise exception 'reversals of payout % are inconsistent: %', (pg_catalog.to_jsonb(new) ->> 'payout_id'), v_problem
      using errcode = 'PT422';
  end if;
  return null;
end
$$;
comment on function private.check_reversal_consistency() is
  'Deferred constraint trigger: reversed amounts of a payout and its tranches equal the sums of their Stripe reversals (PT422).';
create constraint trigger reversal_consistent after insert or update on private.stripe_transfer_reversals
  deferrable initially deferred
  for each row execute function private.check_reversal_consistency();
create constraint trigger reversal_consistent after update of reversed_amount on public.payout_transfers
  deferrable initially deferred
  for each row execute function private.check_reversal_consistency();

-- ---------------------------------------------------------------------------------------------
-- Recording
-- ---------------------------------------------------------------------------------------------
create function private.record_transfer_reversals(
  p_stripe_transfer_id text, p_reversals jsonb, p_now timestamptz default pg_catalog.now())
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_t public.payout_transfers;
  v_id uuid;
  v_new bigint;
  v_ids text[];
  v_prev jsonb;
  v_bad text;
begin
  if p_reversals is null or pg_catalog.jsonb_typeof(p_reversals) <> 'array' then
    raise exception 'p_reversals must be a JSON array of {id, amount, currency, created, metadata}' using errcode = 'PT400';
  end if;
  select t.id into v_id from public.payout_transfers t where t.stripe_transfer_id = p_stripe_transfer_id;
  if v_id is null then
    return pg_catalog.jsonb_build_object('outcome', 'ignored', 'reason', 'unknown_transfer',
                                         'stripe_transfer_id', p_stripe_transfer_id);
  end if;
  v_t := private.lock_payout_transfer(v_id);

  select pg_catalog.string_agg(coalesce(r.id, '<null>'), ', ') into v_bad
  from pg_catalog.jsonb_to_recordset(p_reversals) as r(id text, amount bigint, currency text)
  where r.id is null or r.id !~ '^trr_[A-Za-z0-9]+$' or r.amount is null or r.amount <= 0
     or pg_catalog.upper(r.currency) is distinct from v_t.currency::text;
  if v_bad is not null then
    raise exception 'reversals of % not usable (id "trr_" then letters and digits only (A-Z, a-z, 0-9), amount > 0, currency %): %',
      p_stripe_transfer_id, v_t.currency, v_bad
      using errcode = 'PT400';
  end if;

  v_prev := private.enter_transition('payout_transfer.reverse', 'Stripe reversal of ' || p_stripe_transfer_id);
  with ins as (
    insert into private.stripe_transfer_reversals (
      stripe_reversal_id, transfer_id, payout_id, placement_id, stripe_transfer_id, amount, currency,
      stripe_created_at, payout_reversal_id, recorded_at)
    select r.id, v_t.id, v_t.payout_id, v_t.placement_id, p_stripe_transfer_id, r.amount, v_t.currency,
           case when r.created is not null then pg_catalog.to_timestamp(r.created) end,
           case when r.metadata ->> 'payout_reversal_id' ~* '^[0-9a-f-]{36}$'
                then (r.metadata ->> 'payout_reversal_id')::uuid end,
           p_now
    from pg_catalog.jsonb_to_recordset(p_reversals) as r(id text, amount bigint, currency text, created bigint,
                                                          metadata jsonb)
    order by r.id
    on conflict (stripe_reversal_id) do nothing
    returning stripe_reversal_id, amount
  )
  select coalesce(sum(ins.amount), 0)::bigint, pg_catalog.array_agg(ins.stripe_reversal_id order by ins.stripe_reversal_id)
    into v_new, v_ids
  from ins;

  if v_new > 0 then
    if v_t.status <> 'succeeded' then
      raise exception 'tranche % is %: only a succeeded transfer can be reversed', v_t.id, v_t.status using errcode = 'PT409';
    end if;
    if v_t.reversed_amount + v_new > v_t.amount then
      raise exception 'reversals of % would exceed its amount (% + % > %)', p_stripe_transfer_id, v_t.reversed_amount,
        v_new, v_t.amount using errcode = 'PT422';
    end if;
    update public.payout_transfers t set reversed_amount = t.reversed_amount + v_new where t.id = v_t.id
    returning * into v_t;
    update public.payouts po set reversed_amount = po.reversed_amount + v_new where po.id = v_t.payout_id;
    perform private.emit_event('payout_transfer.reversed', 'payout_transfer', v_t.id, v_t.placement_id, v_t.payout_id,
      pg_catalog.jsonb_build_object('stripe_transfer_id', p_stripe_transfer_id, 'stripe_reversal_ids', v_ids,
        'amount', v_new, 'reversed_amount', v_t.reversed_amount, 'transfer_amount', v_t.amount,
        'currency', v_t.currency));
    perform private.sync_payout_status(array[v_t.payout_id], 'transfer reversed at Stripe', p_now);
  end if;
  perform private.leave_transition(v_prev);

  return pg_catalog.jsonb_build_object('outcome', case when v_new > 0 then 'applied' else 'noop' end,
    'transfer_id', v_t.id, 'payout_id', v_t.payout_id, 'new_amount', v_new,
    'reversed_amount', v_t.reversed_amount, 'new_reversal_ids', coalesce(pg_catalog.to_jsonb(v_ids), '[]'::jsonb));
end
$$;
comment on function private.record_transfer_reversals(text, jsonb, timestamptz) is
  'Records the Stripe reversals of one of our transfers ([{id trr_, amount, currency, created, metadata}]): each reversal once (unique id); the tranche''s and the payout''s reversed_amount grow by the new ones (reversed <= paid; PT422 beyond the transfer amount), event payout_transfer.reversed, payout status re-derived. Unknown transfer: ignored. PT400/PT409/PT422.';

revoke execute on function
  private.reversal_problems(uuid),
  private.check_reversal_consistency(),
  private.record_transfer_reversals(text, jsonb, timestamptz)
from public, anon, authenticated, service_role;
