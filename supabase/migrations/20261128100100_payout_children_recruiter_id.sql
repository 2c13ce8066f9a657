-- squawk-ignore-file require-concurrent-index-creation,adding-not-nullable-field
-- Squawk rules ignored in this file, and why: the CLI runs each migration in one transaction,
-- where CREATE INDEX CONCURRENTLY is not possible, and where the ADD COLUMN below already holds
-- ACCESS EXCLUSIVE on the three child tables until commit, so a CHECK in front of SET NOT NULL
-- would not shorten any lock; the backfill rewrites every row anyway. The index builds block
-- writes to their table, ~1 s per million rows on 2 cores; writers are the admin RPCs and the
-- payout run. On a large live database, build the three indexes CONCURRENTLY by hand first
-- (the statements below are `if not exists`) and batch the backfill.
-- Policy performance, part 2: the payout children (escrow_holds, payout_schedules,
-- payout_transfers) carry their payout's recruiter_id, and their policies use the same
-- recruiter range as payouts (20261128100000).
--
-- Why. Their policies read
--     using ((select private.is_platform_admin()) or payout_id = any (array(select private.my_payout_ids())))
-- which, like payouts, is a per-row filter of a sequential scan. It is worse here: every row
-- is compared with each of the caller's payout ids in turn. A recruiter's unfiltered
-- `select * from escrow_holds order by created_at desc limit 50` over 1 000 000 holds
-- (100 of them theirs) took ~580 ms (Seq Scan, Filter: ($0 OR (payout_id = ANY ($1))),
-- 999 900 rows removed). No single predicate on payout_id can serve both callers: the admin
-- would need the array of every payout id. On recruiter_id it can:
--     after   Bitmap Index Scan on escrow_holds_recruiter_id_idx,
--             Index Cond: ((recruiter_id >= $0) AND (recruiter_id <= $1)), ~0.2 ms
--
-- The column. recruiter_id is derived, never chosen by a writer:
--   * a BEFORE INSERT OR UPDATE OF payout_id, recruiter_id trigger (private.set_payout_recruiter_id)
--     sets it from the payout, so the model's insert paths (create_escrow_hold, the schedule
--     creations, the claim) and the payout-run functions need no change, and a writer cannot
--     put another recruiter's id there (the trigger overwrites whatever it is given);
--   * payouts.recruiter_id never changes (it is tied to the payout's split, and splits are locked
--     once payouts exist); a trigger now refuses such an update outright (42501), so a copy can
--     never go stale;
--   * the guard trigger (private.guard_money_write) is unaffected: the model's functions keep
--     inserting inside their transitions; the audit trigger records the column with the row.
-- No foreign key (recruiter_id, payout_id) -> payouts (recruiter_id, id): it was tried, and a
-- second foreign key between a child and payouts makes PostgREST's embedding ambiguous
-- (`from('payouts').select('*, escrow_holds(*)')` fails with PGRST201, HTTP 300, until every
-- client names the foreign key). The trigger is the column's only writer, and
-- policy_performance.test.sql checks that every row carries its payout's recruiter.
-- Index: (recruiter_id), the policy's range.
--
-- Existing rows are backfilled by an audited update inside a transition (actor `system`,
-- action migration.denormalize_recruiter_id), the way the money tables are always changed: the
-- guard lets it through, the audit log gets the new row version (every money row still
-- equals its latest audit row) and the consistency checks run on every updated row. That is one
-- audit row per existing child row; on a large live database, batch it.
--
-- Behaviour is unchanged (access matrix tests): the rows a recruiter sees are those of their
-- own payouts, as before; admins see every row.

-- Fail fast rather than queue behind (and in front of) live traffic; the CLI runs each
-- migration file in one transaction, so these last for this file only.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- ---------------------------------------------------------------------------------------------
-- The trigger: recruiter_id := the payout's recruiter (null when there is no payout)
-- ---------------------------------------------------------------------------------------------
create function private.set_payout_recruiter_id()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.payout_id is null then
    new.recruiter_id := null;
  else
    new.recruiter_id := (select p.recruiter_id from public.payouts p where p.id = new.payout_id);
  end if;
  return new;
end
$$;
comment on function private.set_payout_recruiter_id() is
  'Trigger (BEFORE INSERT, and BEFORE UPDATE OF payout_id, recruiter_id on the payout children): sets recruiter_id to the recruiter of the row''s payout (null without a payout), whatever the writer passed. The denormalized key of the index-friendly recruiter policies (20261128100100, 20261128100200).';
revoke execute on function private.set_payout_recruiter_id() from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- payouts.recruiter_id is immutable: the copies below never go stale
-- ---------------------------------------------------------------------------------------------
create function private.refuse_payout_recruiter_change()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception 'recruiter_id of payout % is immutable (copied to its holds, schedules, tranches, audit rows and events)',
    old.id
    using errcode = '42501';
end
$$;
comment on function private.refuse_payout_recruiter_change() is
  'Trigger (BEFORE UPDATE OF recruiter_id ON payouts, WHEN it changes): raises 42501. The payout children, the audit log and the outbox carry a copy of it as the key of their RLS policies.';
revoke execute on function private.refuse_payout_recruiter_change() from public, anon, authenticated, service_role;
create trigger payout_recruiter_immutable before update of recruiter_id on public.payouts
  for each row when (old.recruiter_id is distinct from new.recruiter_id)
  execute function private.refuse_payout_recruiter_change();

-- ---------------------------------------------------------------------------------------------
-- The column and its trigger
-- ---------------------------------------------------------------------------------------------
alter table public.escrow_holds add column recruiter_id uuid;
alter table public.payout_schedules add column recruiter_id uuid;
alter table public.payout_transfers add column recruiter_id uuid;
comment on column public.escrow_holds.recruiter_id is
  'The payout''s recruiter (denormalized; set by trigger from payouts, whatever the writer passes): the key of the RLS policy.';
comment on column public.payout_schedules.recruiter_id is
  'The payout''s recruiter (denormalized; set by trigger from payouts, whatever the writer passes): the key of the RLS policy.';
comment on column public.payout_transfers.recruiter_id is
  'The payout''s recruiter (denormalized; set by trigger from payouts, whatever the writer passes): the key of the RLS policy.';

create trigger payout_recruiter_id before insert or update of payout_id, recruiter_id on public.escrow_holds
  for each row execute function private.set_payout_recruiter_id();
create trigger payout_recruiter_id before insert or update of payout_id, recruiter_id on public.payout_schedules
  for each row execute function private.set_payout_recruiter_id();
create trigger payout_recruiter_id before insert or update of payout_id, recruiter_id on public.payout_transfers
  for each row execute function private.set_payout_recruiter_id();

-- ---------------------------------------------------------------------------------------------
-- Backfill: an audited write inside a transition, like every change of a money row
-- ---------------------------------------------------------------------------------------------
-- The deferred consistency checks (payout_consistent) run at the end of each statement instead
-- of at commit: the ALTER TABLEs below refuse a table with pending trigger events.
set constraints all immediate;
do $$
declare
  v_prev jsonb;
begin
  perform private.set_actor(null, 'system');
  v_prev := private.enter_transition('migration.denormalize_recruiter_id',
    'recruiter_id copied from the payout: the key of the index-friendly RLS policy (20261128100100)');
  update public.escrow_holds h set recruiter_id = p.recruiter_id
    from public.payouts p where p.id = h.payout_id and h.recruiter_id is null;
  update public.payout_schedules s set recruiter_id = p.recruiter_id
    from public.payouts p where p.id = s.payout_id and s.recruiter_id is null;
  update public.payout_transfers t set recruiter_id = p.recruiter_id
    from public.payouts p where p.id = t.payout_id and t.recruiter_id is null;
  perform private.leave_transition(v_prev);
end
$$;

-- ---------------------------------------------------------------------------------------------
-- Always set; indexed for the policy
-- ---------------------------------------------------------------------------------------------
alter table public.escrow_holds alter column recruiter_id set not null;
alter table public.payout_schedules alter column recruiter_id set not null;
alter table public.payout_transfers alter column recruiter_id set not null;

create index if not exists escrow_holds_recruiter_id_idx on public.escrow_holds (recruiter_id);
create index if not exists payout_schedules_recruiter_id_idx on public.payout_schedules (recruiter_id);
create index if not exists payout_transfers_recruiter_id_idx on public.payout_transfers (recruiter_id);

-- ---------------------------------------------------------------------------------------------
-- Policies: the recruiter range of 20261128100000
-- ---------------------------------------------------------------------------------------------
alter policy escrow_holds_select on public.escrow_holds
  using (recruiter_id between (select private.visible_recruiter_id_min())
                          and (select private.visible_recruiter_id_max()));

alter policy payout_schedules_select on public.payout_schedules
  using (recruiter_id between (select private.visible_recruiter_id_min())
                          and (select private.visible_recruiter_id_max()));

alter policy payout_transfers_select on public.payout_transfers
  using (recruiter_id between (select private.visible_recruiter_id_min())
                          and (select private.visible_recruiter_id_max()));
