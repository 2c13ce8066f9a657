-- The audit log of every money table: one row per inserted, updated or deleted row, written
-- by the trigger installed with private.enable_audit (20261127090600), hash-chained per entity
-- (20261127090500). Append-only for every role, the owner included. Partitioned by month of
-- created_at (20261127090450): the primary key is (id, created_at), and a chain spans partitions.

-- Fail fast rather than queue behind (and in front of) live traffic; the CLI runs each
-- migration file in one transaction, so these last for this file only.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- Refuses the statement it fires for. Used as a BEFORE UPDATE/DELETE row trigger and a BEFORE
-- TRUNCATE statement trigger: GRANTs cannot stop the table owner (nor a superuser), a trigger
-- can (short of disabling triggers, which needs ownership and is what the tamper tests do).
create function private.refuse_modification()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  -- Named by the partitioned table, not the partition the row trigger fired on.
  raise exception '% on % is not allowed: the table is append-only',
    tg_op, pg_catalog.pg_partition_root(tg_relid)::regclass
    using errcode = '42501';
end;
$$;

comment on function private.refuse_modification() is
  'Trigger function: raises 42501 for the UPDATE/DELETE/TRUNCATE it fires on (append-only tables).';

create table public.payout_audit_log (
  id bigint generated always as identity,
  -- What changed: the audited table's entity type and the row's id, plus the placement and
  -- payout it belongs to, and that payout's recruiter (the key of the log's RLS policy).
  entity_type text not null,
  entity_id uuid not null,
  placement_id uuid,
  payout_id uuid,
  recruiter_id uuid,
  -- INSERT/UPDATE/DELETE, and the semantic action (private.set_audit_context) or lower(operation).
  operation text not null,
  action text not null,
  old_values jsonb,
  new_values jsonb,
  -- Who and why (private.actor_id(), private.actor_role(), private.audit_reason()).
  changed_by uuid,
  changed_by_role text not null,
  reason text,
  -- The writing transaction (correlates audit rows with payout_events rows) and its start time.
  txid xid8 not null default pg_catalog.pg_current_xact_id(),
  created_at timestamptz not null default pg_catalog.now(),
  -- Hash chain per (entity_type, entity_id): computed by the audit writer (20261127090600).
  entity_seq bigint not null,
  prev_hash bytea,
  row_hash bytea not null,

  constraint payout_audit_log_entity_type_format
    check (entity_type ~ '^[a-z][a-z0-9_]*$' and pg_catalog.length(entity_type) <= 63),
  constraint payout_audit_log_operation_valid
    check (operation in ('INSERT', 'UPDATE', 'DELETE')),
  constraint payout_audit_log_action_format
    check (action ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$' and pg_catalog.length(action) <= 100),
  -- An insert has only the new row, a delete only the old one, an update both; rows are objects.
  constraint payout_audit_log_values_match_operation
    check (
      (operation = 'INSERT' and old_values is null and new_values is not null)
      or (operation = 'UPDATE' and old_values is not null and new_values is not null)
      or (operation = 'DELETE' and old_values is not null and new_values is null)
    ),
  constraint payout_audit_log_values_are_objects
    check (
      (old_values is null or pg_catalog.jsonb_typeof(old_values) = 'object')
      and (new_values is null or pg_catalog.jsonb_typeof(new_values) = 'object')
    ),
  -- Keep in sync with private.set_actor (20261127090300).
  constraint payout_audit_log_changed_by_role_valid
    check (changed_by_role in (
      'platform_admin', 'company_admin', 'recruiter', 'authenticated',
      'anon', 'service_role', 'system', 'cron', 'job', 'webhook'
    )),
  constraint payout_audit_log_person_has_id
    check (changed_by is not null
           or changed_by_role not in ('platform_admin', 'company_admin', 'recruiter', 'authenticated')),
  constraint payout_audit_log_reason_length
    check (reason is null or pg_catalog.length(reason) between 1 and 2000),
  constraint payout_audit_log_entity_seq_positive
    check (entity_seq >= 1),
  -- The first row of an entity starts the chain; every later row links to its predecessor.
  constraint payout_audit_log_prev_hash_iff_not_first
    check ((entity_seq = 1) = (prev_hash is null)),
  constraint payout_audit_log_hash_lengths
    check (pg_catalog.octet_length(row_hash) = 32
           and (prev_hash is null or pg_catalog.octet_length(prev_hash) = 32)),
  -- A unique constraint of a partitioned table must include created_at, so one chain position
  -- per entity is kept by the writer (it moves the entity's head only from the position it
  -- read, 20261127090600) and checked by the verifier (a repeated position is a seq_gap).
  constraint payout_audit_log_pkey primary key (id, created_at)
) partition by range (created_at);

comment on table public.payout_audit_log is
  'Append-only audit trail of the money tables (one row per inserted/updated/deleted row), written by triggers installed with private.enable_audit, hash-chained per entity; verify with public.verify_payout_audit_chain().';
comment on column public.payout_audit_log.recruiter_id is
  'Recruiter of the payout this row is about (null: about no payout). Set from payouts by the trigger payout_recruiter_id (private.set_payout_recruiter_id, 20261127100100) whoever inserts; not hashed. The key of the RLS policy.';
comment on column public.payout_audit_log.action is
  'Semantic action from private.set_audit_context, else lower(operation).';
comment on column public.payout_audit_log.changed_by_role is
  'Actor role: platform_admin, company_admin, recruiter, authenticated, anon, service_role, system, cron, job, webhook.';
comment on column public.payout_audit_log.txid is
  'Writing transaction (pg_current_xact_id()); the same value as payout_events.txid for events of that transaction.';
comment on column public.payout_audit_log.entity_seq is
  'Position of this row in its entity''s chain, from 1, without gaps.';
comment on column public.payout_audit_log.prev_hash is
  'row_hash of the entity''s previous row (null for entity_seq = 1).';
comment on column public.payout_audit_log.row_hash is
  'sha256 of the canonical form of this row including prev_hash (private.payout_audit_row_hash).';

-- Every index names the query that uses it (the fewer, the cheaper each audited write):
--   entity      the history of one entity in chain order: admin_payout_audit_log(p_entity_*),
--               verify_payout_audit_chain(type, id), incremental verification's re-read
--   placement   admin_payout_audit_log(p_placement_id), the placement's trail
--   payout      admin_payout_audit_log(p_payout_id), payout_audit_trail for one payout
--   txid        incremental verification (private.verify_new_payout_audit_rows) and the
--               anchor digests: rows in (txid, id) order after a cursor
--   recruiter   the key of the RLS policy (20261128090100): rows about no payout sort at the
--               nil uuid, which only a platform admin's recruiter range contains
--               (docs/access.md, "Policy performance")
-- Time ranges are served by partition pruning; no actor or action query exists.
create index payout_audit_log_entity_idx
  on public.payout_audit_log (entity_type, entity_id, entity_seq);
create index payout_audit_log_placement_idx
  on public.payout_audit_log (placement_id, id) where placement_id is not null;
create index payout_audit_log_payout_idx
  on public.payout_audit_log (payout_id, id) where payout_id is not null;
create index payout_audit_log_txid_idx
  on public.payout_audit_log (txid, id);
create index payout_audit_log_recruiter_visibility_idx
  on public.payout_audit_log ((coalesce(recruiter_id, '00000000-0000-0000-0000-000000000000'::uuid)));
-- No API role has any grant here (default privileges, 20261127090100); the column grants and
-- the SELECT policy are the access layer's (20261128090100). RLS denies whatever is not granted.
alter table public.payout_audit_log enable row level security;

create trigger payout_audit_log_refuse_update_delete
  before update or delete on public.payout_audit_log
  for each row execute function private.refuse_modification();
create trigger payout_audit_log_refuse_truncate
  before truncate on public.payout_audit_log
  for each statement execute function private.refuse_modification();

-- Rows enter through the audit writer only (private.audit_changes, 20261127090600), which
-- computes the chain for the whole statement and marks its own inserts with a transaction-local
-- setting for their duration. Any other INSERT (the owner's: no other role holds INSERT) would
-- add a row no chain head knows: refused here, once per statement. Copied onto each partition
-- with the TRUNCATE refusal (20261127090450), since an INSERT naming a partition skips these.
create function private.refuse_direct_audit_insert()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if pg_catalog.current_setting('payouts.audit_writer', true) is distinct from 'on' then
    raise exception 'INSERT on %.% is not allowed: audit rows are written by the audit triggers only',
      tg_table_schema, tg_table_name
      using errcode = '42501';
  end if;
  return null;
end;
$$;

comment on function private.refuse_direct_audit_insert() is
  'Trigger function (BEFORE INSERT FOR EACH STATEMENT on payout_audit_log and its partitions): raises 42501 unless the audit writer (private.audit_changes) is inserting.';

create trigger payout_audit_log_insert_guard
  before insert on public.payout_audit_log
  for each statement execute function private.refuse_direct_audit_insert();

-- The newest hash and row count of every entity's chain. Without it, deleting the newest rows
-- of an entity would leave a shorter chain that is still internally consistent; with it, the
-- verifier compares each chain's tail with its anchor. One row per entity, updated (never
-- deleted) by the audit writer, only from the position it read (20261127090600).
create table private.payout_audit_chain_heads (
  entity_type text not null,
  entity_id uuid not null,
  row_count bigint not null,
  head_hash bytea not null,
  updated_at timestamptz not null default pg_catalog.now(),
  constraint payout_audit_chain_heads_pkey primary key (entity_type, entity_id),
  constraint payout_audit_chain_heads_row_count_positive check (row_count >= 1),
  constraint payout_audit_chain_heads_hash_length check (pg_catalog.octet_length(head_hash) = 32)
)
-- Every audited change moves a head (an UPDATE of its row, no indexed column changed): room on
-- each page lets Postgres keep the new version there (HOT), without a new index entry.
with (fillfactor = 70);

comment on table private.payout_audit_chain_heads is
  'Anchor of each entity''s audit chain in public.payout_audit_log: row count and newest row_hash. Lets verify_payout_audit_chain detect deleted newest rows.';

alter table private.payout_audit_chain_heads enable row level security;

create trigger payout_audit_chain_heads_refuse_delete
  before delete on private.payout_audit_chain_heads
  for each row execute function private.refuse_modification();
create trigger payout_audit_chain_heads_refuse_truncate
  before truncate on private.payout_audit_chain_heads
  for each statement execute function private.refuse_modification();
