-- squawk-ignore-file require-concurrent-index-creation,constraint-missing-not-valid
-- Squawk rules ignored in this file, and why: the CLI runs each migration in one transaction,
-- where CREATE INDEX CONCURRENTLY is not possible; the builds block inserts into the two logs
-- while they run, ~1 s per million rows on 2 cores (on a large live database, build the two
-- indexes CONCURRENTLY by hand first: the statements below are `if not exists`). The CHECK on
-- recruiters is validated in the same transaction: one row per recruiter, a scan of
-- milliseconds.
-- Policy performance, part 3: the audit log and the outbox (payout_audit_log, payout_events)
-- carry the recruiter of the payout a row is about, and their policies use the recruiter range
-- of 20261128100000.
--
-- Why. Their policies read
--     using ((select private.is_platform_admin()) or payout_id = any (array(select private.my_payout_ids())))
-- a per-row filter of a sequential scan, like the payout children (20261128100100): a
-- recruiter's unfiltered read of their audit trail or events read the whole log, the fastest
-- growing tables of the platform.
--
-- The difference with the payout children: many log rows are about no payout (placements,
-- invoices, splits, recruiters, settings; their payout_id is null) and only admins see them.
-- So recruiter_id stays null there, and the policy's key is
--     coalesce(recruiter_id, '00000000-0000-0000-0000-000000000000')
-- with an expression index on exactly that: rows about no payout sort at the nil uuid, which
-- the admin's range [nil uuid, largest uuid] contains and a recruiter's [own id, own id] does
-- not (recruiters get a CHECK that no recruiter id is the nil uuid). Measured on 1 000 000
-- events, 100 of them about the recruiter's payouts (docs/access.md, "Policy performance"):
--     before  Seq Scan on payout_events, Filter: ($0 OR (payout_id = ANY ($1))), 0.6-1 s
--     after   Bitmap Index Scan on payout_events_recruiter_visibility_idx, ~0.2 ms
-- (the audit log likewise: 0.7-0.9 s before, ~0.2 ms after).
--
-- The column. Set by the trigger of 20261128100100 (private.set_payout_recruiter_id) on insert,
-- from payouts, whoever inserts (the audit trigger, private.emit_event, the tests' direct
-- inserts); rows are never updated (both logs refuse UPDATE) and payouts.recruiter_id never
-- changes, so it stays the payout's recruiter. No foreign key: a log row may name a payout id
-- that is not (or no longer) a payout, and a log must not stop a delete; such a row gets null,
-- i.e. admins only, as before (no recruiter owned that payout id). recruiter_id is not part of
-- the audit row's hash (private.payout_audit_row_hash lists its columns), so the chain and
-- public.verify_payout_audit_chain() are unaffected. It is granted to authenticated on the
-- audit log (the log's other granted columns are unchanged): it is the reader's own id, or the
-- admin's to see anyway.
--
-- Existing rows are backfilled. Both logs are append-only by trigger; the backfill disables
-- that trigger for its one UPDATE (as the table owner, inside this migration's transaction, so
-- nothing else can write in between) and enables it again. Only the new column changes.
--
-- Behaviour is unchanged (access matrix tests): a recruiter sees the rows about their own
-- payouts, as before; admins see every row, including those about no payout.

-- Fail fast rather than queue behind (and in front of) live traffic; the CLI runs each
-- migration file in one transaction, so these last for this file only.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The nil uuid is the key of "about no recruiter" (admins only): no recruiter may have it.
alter table public.recruiters add constraint recruiters_id_not_nil
  check (id <> '00000000-0000-0000-0000-000000000000'::uuid) not valid;
alter table public.recruiters validate constraint recruiters_id_not_nil;

alter table public.payout_audit_log add column recruiter_id uuid;
alter table public.payout_events add column recruiter_id uuid;
comment on column public.payout_audit_log.recruiter_id is
  'Recruiter of the payout this row is about (null: about no payout). Set by trigger from payouts; not hashed. The key of the RLS policy.';
comment on column public.payout_events.recruiter_id is
  'Recruiter of the payout this event is about (null: about no payout). Set by trigger from payouts. The key of the RLS policy.';

create trigger payout_recruiter_id before insert on public.payout_audit_log
  for each row execute function private.set_payout_recruiter_id();
create trigger payout_recruiter_id before insert on public.payout_events
  for each row execute function private.set_payout_recruiter_id();

-- Backfill (the append-only triggers refuse UPDATE; off for this statement only).
alter table public.payout_audit_log disable trigger payout_audit_log_refuse_update_delete;
update public.payout_audit_log a set recruiter_id = p.recruiter_id
  from public.payouts p where p.id = a.payout_id;
alter table public.payout_audit_log enable trigger payout_audit_log_refuse_update_delete;

alter table public.payout_events disable trigger payout_events_refuse_update;
update public.payout_events e set recruiter_id = p.recruiter_id
  from public.payouts p where p.id = e.payout_id;
alter table public.payout_events enable trigger payout_events_refuse_update;

create index if not exists payout_audit_log_recruiter_visibility_idx
  on public.payout_audit_log ((coalesce(recruiter_id, '00000000-0000-0000-0000-000000000000'::uuid)));
create index if not exists payout_events_recruiter_visibility_idx
  on public.payout_events ((coalesce(recruiter_id, '00000000-0000-0000-0000-000000000000'::uuid)));

grant select (recruiter_id) on table public.payout_audit_log to authenticated;

alter policy payout_audit_log_select on public.payout_audit_log
  using (coalesce(recruiter_id, '00000000-0000-0000-0000-000000000000'::uuid)
           between (select private.visible_recruiter_id_min()) and (select private.visible_recruiter_id_max()));

alter policy payout_events_select on public.payout_events
  using (coalesce(recruiter_id, '00000000-0000-0000-0000-000000000000'::uuid)
           between (select private.visible_recruiter_id_min()) and (select private.visible_recruiter_id_max()));
