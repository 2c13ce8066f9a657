-- Tamper evidence for public.payout_audit_log: one hash chain per entity.
--
--   row_hash = sha256(canonical text of the row, including prev_hash)
--   prev_hash = row_hash of the entity's previous row (null for entity_seq = 1)
--   private.payout_audit_chain_heads anchors each entity's row count and newest row_hash
--
-- The chain is computed by the audit writer for a whole statement at once
-- (private.append_payout_audit_rows, 20261127090600). Verification, full or incremental, is here.
--
-- Why per entity and not one global chain: a chain link needs the previous hash, so writers of
-- one chain are serialized from the moment they read the head until they commit. A global
-- chain would put every audited write of the platform behind one lock; per entity, writers
-- only wait for writers of the same entity, which the row lock on that entity already
-- serializes (measurements in docs/audit-and-outbox.md).

-- Fail fast rather than queue behind (and in front of) live traffic; the CLI runs each
-- migration file in one transaction, so these last for this file only.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The canonical form must not depend on session settings, so that a verifier running with
-- any TimeZone/DateStyle/IntervalStyle/extra_float_digits/bytea_output computes the same hash
-- as the writer: the row is rendered as a jsonb array (jsonb's text output is canonical:
-- sorted keys, fixed spacing; numbers are numerics, unaffected by extra_float_digits),
-- created_at as integer microseconds since the Unix epoch (time zone independent), bytea as
-- lower-case hex, uuid/xid8 in their fixed text forms. old_values/new_values are hashed as
-- stored: to_jsonb() froze timestamps and floats into jsonb strings/numerics at write time.
-- `immutable` is deliberate: nothing here reads a setting (that is what the tests pin).
-- plpgsql rather than sql: with `set search_path` (which the advisors require) a sql function is
-- never inlined and PG 15 plans its body on every call; a plpgsql body is a simple expression
-- planned once per session. Same expression, same hash. (Inlined, the expression costs about 40 %
-- less; measured at a few microseconds per row, not worth a copy of the canonical form.)
create function private.payout_audit_hash(
  p_id bigint,
  p_entity_type text,
  p_entity_id uuid,
  p_entity_seq bigint,
  p_placement_id uuid,
  p_payout_id uuid,
  p_operation text,
  p_action text,
  p_old_values jsonb,
  p_new_values jsonb,
  p_changed_by uuid,
  p_changed_by_role text,
  p_reason text,
  p_txid xid8,
  p_created_at timestamptz,
  p_prev_hash bytea)
returns bytea
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
begin
  return pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.jsonb_build_array(
    'payout_audit_log/v1',
    p_id,
    p_entity_type,
    p_entity_id,
    p_entity_seq,
    p_placement_id,
    p_payout_id,
    p_operation,
    p_action,
    p_old_values,
    p_new_values,
    p_changed_by,
    p_changed_by_role,
    p_reason,
    p_txid::pg_catalog.text,
    (extract(epoch from p_created_at) * 1000000)::pg_catalog.int8,
    pg_catalog.encode(p_prev_hash, 'hex')
  )::pg_catalog.text, 'UTF8'));
end
$$;

comment on function private.payout_audit_hash(bigint, text, uuid, bigint, uuid, uuid, text, text, jsonb, jsonb, uuid, text, text, xid8, timestamptz, bytea) is
  'sha256 of the canonical, session-setting-independent form of an audit row given column by column (all columns but row_hash and recruiter_id, prev_hash included). Used by the writer and the verifiers.';

create function private.payout_audit_row_hash(p_row public.payout_audit_log)
returns bytea
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
begin
  return private.payout_audit_hash(
    p_row.id, p_row.entity_type, p_row.entity_id, p_row.entity_seq, p_row.placement_id,
    p_row.payout_id, p_row.operation, p_row.action, p_row.old_values, p_row.new_values,
    p_row.changed_by, p_row.changed_by_role, p_row.reason, p_row.txid, p_row.created_at,
    p_row.prev_hash);
end
$$;

comment on function private.payout_audit_row_hash(public.payout_audit_log) is
  'sha256 of the canonical form of a stored audit row (private.payout_audit_hash of its columns).';

-- The log's registered monthly partitions (20261127090450) that are not attached to it any
-- more. Their rows vanish from every query of the log, so the chains around them break too; this
-- names the cause.
create function private.payout_audit_partitions_missing()
returns table (partition_name text)
language sql
stable
set search_path = ''
as $$
  select m.partition_name
    from private.monthly_partitions m
   where m.parent = 'public.payout_audit_log'::regclass
     and not exists (
       select 1 from pg_catalog.pg_inherits i
        where i.inhparent = m.parent
          and i.inhrelid = pg_catalog.to_regclass(m.partition_name))
   order by m.range_start
$$;

comment on function private.payout_audit_partitions_missing() is
  'Registered monthly partitions of public.payout_audit_log that are no longer attached (detached, dropped or renamed).';

-- Verifier: recomputes every hash and walks every chain; returns one row per problem found,
-- nothing when the log is intact. Problems:
--   row_hash_mismatch   the row's content no longer matches its hash (edited row)
--   prev_hash_mismatch  the row does not link to its predecessor (row inserted, deleted or
--                       edited-and-rehashed before it)
--   seq_gap             entity_seq does not follow its predecessor (row deleted or inserted)
--   head_mismatch       the chain's tail disagrees with its anchor (newest rows deleted, or
--                       rows appended behind the trigger's back)
--   head_missing        an entity has rows but no anchor (anchor deleted, rows forged)
--   head_orphan         an anchor has no rows (every row of the entity deleted)
--   partition_missing   a monthly partition of the log (private.monthly_partitions) is no
--                       longer attached (detached or dropped): entity_type holds its name
-- Optional filters restrict the walk to one entity type and/or entity (full scan otherwise).
-- Limits: someone who can bypass triggers AND recompute every later hash and the anchor can
-- rewrite history undetected; export the anchors (or a digest of them) out of the database
-- periodically to close that gap.
create function public.verify_payout_audit_chain(
  p_entity_type text default null,
  p_entity_id uuid default null
)
returns table (
  entity_type text,
  entity_id uuid,
  entity_seq bigint,
  audit_id bigint,
  problem text
)
language plpgsql
stable
set search_path = ''
as $$
begin
  -- plpgsql (not sql): its first executions are planned with the actual arguments, so the
  -- "p_x is null or col = p_x" filters fold away and one entity is read by index.
  return query
  with chain as (
    select l.id,
           l.entity_type,
           l.entity_id,
           l.entity_seq,
           l.prev_hash,
           l.row_hash,
           private.payout_audit_hash(
             l.id, l.entity_type, l.entity_id, l.entity_seq, l.placement_id, l.payout_id,
             l.operation, l.action, l.old_values, l.new_values, l.changed_by, l.changed_by_role,
             l.reason, l.txid, l.created_at, l.prev_hash) as computed_hash,
           pg_catalog.lag(l.row_hash) over w as predecessor_hash,
           pg_catalog.lag(l.entity_seq) over w as predecessor_seq,
           pg_catalog.row_number() over w_desc as rank_from_tail,
           pg_catalog.count(*) over (partition by l.entity_type, l.entity_id) as row_count
      from public.payout_audit_log l
     where (p_entity_type is null or l.entity_type = p_entity_type)
       and (p_entity_id is null or l.entity_id = p_entity_id)
    window w as (partition by l.entity_type, l.entity_id order by l.entity_seq, l.id),
           w_desc as (partition by l.entity_type, l.entity_id order by l.entity_seq desc, l.id desc)
  ),
  tails as (
    select c.entity_type, c.entity_id, c.entity_seq, c.id, c.row_hash, c.row_count
      from chain c
     where c.rank_from_tail = 1
  ),
  heads as (
    select h.entity_type, h.entity_id, h.row_count, h.head_hash
      from private.payout_audit_chain_heads h
     where (p_entity_type is null or h.entity_type = p_entity_type)
       and (p_entity_id is null or h.entity_id = p_entity_id)
  )
  select c.entity_type, c.entity_id, c.entity_seq, c.id, 'row_hash_mismatch'
    from chain c
   where c.computed_hash is distinct from c.row_hash
  union all
  select c.entity_type, c.entity_id, c.entity_seq, c.id, 'prev_hash_mismatch'
    from chain c
   where c.prev_hash is distinct from c.predecessor_hash
  union all
  select c.entity_type, c.entity_id, c.entity_seq, c.id, 'seq_gap'
    from chain c
   where c.entity_seq is distinct from coalesce(c.predecessor_seq, 0) + 1
  union all
  select t.entity_type, t.entity_id, t.entity_seq, t.id,
         case when h.entity_id is null then 'head_missing' else 'head_mismatch' end
    from tails t
    left join heads h on h.entity_type = t.entity_type and h.entity_id = t.entity_id
   where h.entity_id is null
      or h.row_count <> t.row_count
      or h.row_count <> t.entity_seq
      or h.head_hash <> t.row_hash
  union all
  select h.entity_type, h.entity_id, h.row_count, null::bigint, 'head_orphan'
    from heads h
   where not exists (
     select 1 from tails t where t.entity_type = h.entity_type and t.entity_id = h.entity_id)
  union all
  select m.partition_name, null::uuid, null::bigint, null::bigint, 'partition_missing'
    from private.payout_audit_partitions_missing() m
  order by 1, 2, 3, 5;
end;
$$;

comment on function public.verify_payout_audit_chain(text, uuid) is
  'Recomputes and walks the per-entity hash chains of payout_audit_log against their anchors; returns one row per problem (row_hash_mismatch, prev_hash_mismatch, seq_gap, head_mismatch, head_missing, head_orphan; partition_missing with the partition''s name as entity_type), none when intact. Optional filters: entity type, entity id.';

-- ---------------------------------------------------------------------------------------------
-- Incremental verification: checkpoints per chain, and a running digest to export
-- ---------------------------------------------------------------------------------------------
-- Full verification reads the whole log. The hourly job reads only what is new:
--
-- 1. The window: rows after the previous run's cursor in (txid, id) order whose transaction is
--    below the snapshot's xmin, so final (the outbox's rule, 20261127090700): a row committed
--    late can never sort before a cursor already passed. Index payout_audit_log_txid_idx.
-- 2. The chains the window touches are re-read from their checkpoint (the last position a run
--    verified, and its hash) to their newest visible row, by the entity index: every row is
--    rehashed, linked to its predecessor (the first one to the checkpoint's hash), and the tail
--    compared with the chain head. Cost: the new rows, not the history.
-- 3. A chain without problems moves its checkpoint to its tail; one with problems keeps it (and
--    is reported again by the next run that touches it, and by full verification).
-- 4. The run is recorded with a digest: sha256(previous run's digest || the window's row_hash
--    values in (txid, id) order). Each run's digest commits to every verified row before it,
--    so the digest of a day's last run (public.payout_audit_anchor), exported to storage the
--    database owner cannot write, lets anyone later detect a rewrite of anything up to it
--    (private.verify_payout_audit_digests recomputes them all).
--
-- What incremental verification cannot see: a chain none of whose new rows survive (every row
-- an entity gained since its checkpoint deleted, heads rewritten too) leaves nothing in the
-- window to touch it. Full verification and the digests cover that; run the former on a schedule
-- that suits the audit (docs/audit-and-outbox.md).

create table private.payout_audit_checkpoints (
  entity_type text not null,
  entity_id uuid not null,
  verified_seq bigint not null,
  verified_hash bytea not null,
  verified_at timestamptz not null,
  constraint payout_audit_checkpoints_pkey primary key (entity_type, entity_id),
  constraint payout_audit_checkpoints_seq_positive check (verified_seq >= 1),
  constraint payout_audit_checkpoints_hash_length check (pg_catalog.octet_length(verified_hash) = 32)
);

comment on table private.payout_audit_checkpoints is
  'Per entity chain: the newest position (and its row_hash) an incremental verification found intact. The next run re-reads that chain from here.';

alter table private.payout_audit_checkpoints enable row level security;

create table private.payout_audit_verifications (
  id bigint generated always as identity primary key,
  -- the window: rows with (after_txid, after_id) < (txid, id) <= (through_txid, through_id)
  after_txid xid8 not null,
  after_id bigint not null,
  through_txid xid8 not null,
  through_id bigint not null,
  rows_verified bigint not null check (rows_verified >= 0),
  chains_verified bigint not null check (chains_verified >= 0),
  problems jsonb not null default '[]'::jsonb check (pg_catalog.jsonb_typeof(problems) = 'array'),
  prev_digest bytea check (prev_digest is null or pg_catalog.octet_length(prev_digest) = 32),
  digest bytea not null check (pg_catalog.octet_length(digest) = 32),
  verified_at timestamptz not null,
  constraint payout_audit_verifications_window_forward
    check ((through_txid, through_id) >= (after_txid, after_id))
);

comment on table private.payout_audit_verifications is
  'One row per incremental verification run (private.verify_new_payout_audit_rows): its (txid, id) window, counts, problems found, and the running digest sha256(prev_digest || row_hash of the window in (txid, id) order). Append-only.';

alter table private.payout_audit_verifications enable row level security;

create trigger payout_audit_verifications_refuse_update_delete
  before update or delete on private.payout_audit_verifications
  for each row execute function private.refuse_modification();
create trigger payout_audit_verifications_refuse_truncate
  before truncate on private.payout_audit_verifications
  for each statement execute function private.refuse_modification();

create function private.verify_new_payout_audit_rows(
  p_now timestamptz default pg_catalog.now(),
  p_max_rows integer default 200000,
  p_xmin xid8 default null)
returns setof private.payout_audit_verifications
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_last private.payout_audit_verifications;
  -- p_xmin is injectable for tests (as for private.payout_events_page); null: the snapshot's
  v_xmin xid8 := coalesce(p_xmin, pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot()));
begin
  if p_now is null or not pg_catalog.isfinite(p_now) then
    raise exception 'p_now must be a finite time' using errcode = 'PT400';
  end if;
  if p_max_rows is null or p_max_rows not between 1 and 10000000 then
    raise exception 'p_max_rows must be between 1 and 10000000 (got %)', p_max_rows using errcode = 'PT400';
  end if;
  -- one verifier at a time (key 1885436274; 1885436271..3 are the other payout locks)
  perform pg_catalog.pg_advisory_xact_lock(1885436274, 0);

  select v.* into v_last from private.payout_audit_verifications v order by v.id desc limit 1;
  v_last.through_txid := coalesce(v_last.through_txid, '0'::xid8);
  v_last.through_id := coalesce(v_last.through_id, 0);

  return query
  with win as materialized (
    -- 1. The window, in (txid, id) order.
    select l.txid, l.id, l.entity_type, l.entity_id, l.row_hash
      from public.payout_audit_log l
     where (l.txid, l.id) > (v_last.through_txid, v_last.through_id)
       and l.txid < v_xmin
     order by l.txid, l.id
     limit p_max_rows
  ),
  summary as (
    select pg_catalog.count(*) as row_count,
           pg_catalog.string_agg(w.row_hash, ''::bytea order by w.txid, w.id) as hashes,
           (pg_catalog.array_agg(w.txid order by w.txid desc, w.id desc))[1] as through_txid,
           (pg_catalog.array_agg(w.id order by w.txid desc, w.id desc))[1] as through_id
      from win w
  ),
  -- 2. The chains it touches, from their checkpoints to their newest rows.
  touched as materialized (
    select t.entity_type, t.entity_id,
           coalesce(c.verified_seq, 0) as from_seq, c.verified_seq, c.verified_hash
      from (select distinct w.entity_type, w.entity_id from win w) t
      left join private.payout_audit_checkpoints c
        on c.entity_type = t.entity_type and c.entity_id = t.entity_id
  ),
  chain as materialized (
    select t.entity_type, t.entity_id, l.id, l.entity_seq, l.prev_hash, l.row_hash,
           private.payout_audit_hash(
             l.id, l.entity_type, l.entity_id, l.entity_seq, l.placement_id, l.payout_id,
             l.operation, l.action, l.old_values, l.new_values, l.changed_by, l.changed_by_role,
             l.reason, l.txid, l.created_at, l.prev_hash) as computed_hash,
           coalesce(pg_catalog.lag(l.row_hash) over w, t.verified_hash) as predecessor_hash,
           coalesce(pg_catalog.lag(l.entity_seq) over w, t.verified_seq, 0) as predecessor_seq,
           pg_catalog.row_number() over w_desc as rank_from_tail
      from touched t
      -- from the checkpoint on, by the entity index (entity_seq in the index condition)
      join public.payout_audit_log l
        on l.entity_type = t.entity_type and l.entity_id = t.entity_id
       and l.entity_seq > t.from_seq
    window w as (partition by l.entity_type, l.entity_id order by l.entity_seq, l.id),
           w_desc as (partition by l.entity_type, l.entity_id order by l.entity_seq desc, l.id desc)
  ),
  problems as (
    select c.entity_type, c.entity_id, c.entity_seq, c.id as audit_id, 'row_hash_mismatch' as problem
      from chain c where c.computed_hash is distinct from c.row_hash
    union all
    select c.entity_type, c.entity_id, c.entity_seq, c.id, 'prev_hash_mismatch'
      from chain c where c.prev_hash is distinct from c.predecessor_hash
    union all
    select c.entity_type, c.entity_id, c.entity_seq, c.id, 'seq_gap'
      from chain c where c.entity_seq is distinct from c.predecessor_seq + 1
    union all
    select c.entity_type, c.entity_id, c.entity_seq, c.id,
           case when h.entity_id is null then 'head_missing' else 'head_mismatch' end
      from chain c
      left join private.payout_audit_chain_heads h
        on h.entity_type = c.entity_type and h.entity_id = c.entity_id
     where c.rank_from_tail = 1
       and (h.entity_id is null or h.row_count <> c.entity_seq or h.head_hash <> c.row_hash)
  ),
  tails as (
    select c.entity_type, c.entity_id, c.entity_seq, c.row_hash from chain c where c.rank_from_tail = 1
  ),
  -- 3. Checkpoints of the intact chains move to their tails.
  moved as (
    insert into private.payout_audit_checkpoints as k (entity_type, entity_id, verified_seq, verified_hash, verified_at)
    select t.entity_type, t.entity_id, t.entity_seq, t.row_hash, p_now
      from tails t
     where not exists (select 1 from problems p where p.entity_type = t.entity_type and p.entity_id = t.entity_id)
     order by t.entity_type, t.entity_id
    on conflict (entity_type, entity_id) do update
      set verified_seq = excluded.verified_seq,
          verified_hash = excluded.verified_hash,
          verified_at = excluded.verified_at
    returning 1
  ),
  found as (
    select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
             'entity_type', p.entity_type, 'entity_id', p.entity_id, 'entity_seq', p.entity_seq,
             'audit_id', p.audit_id, 'problem', p.problem)
             order by p.entity_type, p.entity_id, p.entity_seq, p.problem), '[]'::jsonb)
           -- a detached partition is named on every run until it is back
           || coalesce((select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                                 'entity_type', m.partition_name, 'problem', 'partition_missing'))
                          from private.payout_audit_partitions_missing() m), '[]'::jsonb) as list
      from problems p
  )
  -- 4. The run and its digest.
  insert into private.payout_audit_verifications (
    after_txid, after_id, through_txid, through_id, rows_verified, chains_verified, problems,
    prev_digest, digest, verified_at)
  select v_last.through_txid, v_last.through_id,
         coalesce(s.through_txid, v_last.through_txid), coalesce(s.through_id, v_last.through_id),
         s.row_count, (select pg_catalog.count(*) from tails), f.list, v_last.digest,
         pg_catalog.sha256(coalesce(v_last.digest, ''::bytea) || coalesce(s.hashes, ''::bytea)),
         p_now
    from summary s cross join found f
  returning *;
end
$$;

comment on function private.verify_new_payout_audit_rows(timestamptz, integer, xid8) is
  'Incremental audit verification (hourly job payouts-audit): verifies the audit rows final since the previous run (at most p_max_rows, 200000, in (txid, id) order) by re-reading each chain they touch from its checkpoint; moves the checkpoints of intact chains; records and returns the run with its problems (same names as verify_payout_audit_chain) and its running digest. PT400 for a non-finite p_now or p_max_rows outside 1..10000000. p_xmin (tests only) replaces the snapshot''s xmin as the window''s end.';

-- Recomputes every run's digest from the rows in its window and checks that each run links to
-- the one before it. One row per run that does not match; none when the log still holds
-- exactly what was verified. O(all verified rows): for audits, not for every hour.
create function private.verify_payout_audit_digests(p_through_run bigint default null)
returns table (verification_id bigint, problem text)
language sql
stable
set search_path = ''
as $$
  with runs as (
    select v.*, pg_catalog.lag(v.digest) over (order by v.id) as previous_digest
      from private.payout_audit_verifications v
     where p_through_run is null or v.id <= p_through_run
  ),
  recomputed as (
    select r.id,
           pg_catalog.sha256(coalesce(r.prev_digest, ''::bytea) || coalesce((
             select pg_catalog.string_agg(l.row_hash, ''::bytea order by l.txid, l.id)
               from public.payout_audit_log l
              where (l.txid, l.id) > (r.after_txid, r.after_id)
                and (l.txid, l.id) <= (r.through_txid, r.through_id)), ''::bytea)) as digest,
           (select pg_catalog.count(*)
              from public.payout_audit_log l
             where (l.txid, l.id) > (r.after_txid, r.after_id)
               and (l.txid, l.id) <= (r.through_txid, r.through_id)) as row_count
      from runs r
  )
  select r.id, 'digest_mismatch' from runs r join recomputed c on c.id = r.id
   where c.digest <> r.digest or c.row_count <> r.rows_verified
  union all
  select r.id, 'run_link_mismatch' from runs r
   where r.prev_digest is distinct from r.previous_digest
  order by 1, 2
$$;

comment on function private.verify_payout_audit_digests(bigint) is
  'Recomputes the digest of every incremental verification run (up to p_through_run) from the audit rows of its window and checks each run links to its predecessor: digest_mismatch (a verified row edited, deleted or added), run_link_mismatch (a run''s record rewritten). Empty when intact.';

-- The anchor of a day: the digest of the last verification run of that UTC day.
create function private.payout_audit_anchor(p_day date)
returns table (
  day date,
  verification_id bigint,
  through_txid xid8,
  through_id bigint,
  rows_total bigint,
  digest text,
  verified_at timestamptz)
language plpgsql
stable
set search_path = ''
as $$
begin
  if p_day is null or not pg_catalog.isfinite(p_day) then
    raise exception 'p_day must be a finite date' using errcode = 'PT400';
  end if;
  return query
  select p_day, v.id, v.through_txid, v.through_id,
         (select pg_catalog.sum(x.rows_verified)::bigint
            from private.payout_audit_verifications x where x.id <= v.id),
         pg_catalog.encode(v.digest, 'hex'), v.verified_at
    from private.payout_audit_verifications v
   where v.verified_at < (p_day + 1)::timestamp at time zone 'UTC'
   order by v.id desc
   limit 1;
  if not found then
    raise exception 'no audit verification ran on or before %', p_day using errcode = 'PT404';
  end if;
end
$$;

comment on function private.payout_audit_anchor(date) is
  'Body of public.payout_audit_anchor: the digest (hex) of the last incremental verification run on or before the UTC day p_day, its run id and (txid, id) cursor, and the number of rows it commits to. PT400 for a null or infinite day, PT404 when no run had happened by then.';

-- The hourly job payouts-audit: partitions three months ahead for the log and the outbox, then
-- the incremental verification.
create function private.maintain_payout_audit(p_now timestamptz default pg_catalog.now())
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_created integer;
  v_run private.payout_audit_verifications;
begin
  if p_now is null or not pg_catalog.isfinite(p_now) then
    raise exception 'p_now must be a finite time' using errcode = 'PT400';
  end if;
  v_created := private.ensure_monthly_partitions('public.payout_audit_log'::regclass, p_now, 3)
             + private.ensure_monthly_partitions(pg_catalog.to_regclass('public.payout_events'), p_now, 3);
  select * into v_run from private.verify_new_payout_audit_rows(p_now);
  return pg_catalog.jsonb_build_object(
    'partitions_created', v_created,
    'verification_id', v_run.id,
    'rows_verified', v_run.rows_verified,
    'chains_verified', v_run.chains_verified,
    'problems', pg_catalog.jsonb_array_length(v_run.problems));
end
$$;

comment on function private.maintain_payout_audit(timestamptz) is
  'Hourly cron job payouts-audit: creates the monthly partitions of payout_audit_log and payout_events up to three months after p_now, then runs private.verify_new_payout_audit_rows. Returns counts. PT400 for a non-finite p_now.';
