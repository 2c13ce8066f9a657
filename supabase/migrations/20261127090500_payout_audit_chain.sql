-- Tamper evidence for public.payout_audit_log: one hash chain per entity.
--
--   row_hash = sha256(canonical text of the row, including prev_hash)
--   prev_hash = row_hash of the entity's previous row (null for entity_seq = 1)
--   private.payout_audit_chain_heads anchors each entity's row count and newest row_hash
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
-- plpgsql rather than sql: with `set search_path` a sql function is never inlined and PG 15
-- plans its body on every call (once per audit row written, once per row verified); a plpgsql
-- body is a simple expression planned once per session. Same expression, same hash.
create function private.payout_audit_row_hash(p_row public.payout_audit_log)
returns bytea
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
begin
  return pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.jsonb_build_array(
    'payout_audit_log/v1',
    p_row.id,
    p_row.entity_type,
    p_row.entity_id,
    p_row.entity_seq,
    p_row.placement_id,
    p_row.payout_id,
    p_row.operation,
    p_row.action,
    p_row.old_values,
    p_row.new_values,
    p_row.changed_by,
    p_row.changed_by_role,
    p_row.reason,
    p_row.txid::text,
    (extract(epoch from p_row.created_at) * 1000000)::bigint,
    pg_catalog.encode(p_row.prev_hash, 'hex')
  )::text, 'UTF8'));
end
$$;

comment on function private.payout_audit_row_hash(public.payout_audit_log) is
  'sha256 of the canonical, session-setting-independent form of an audit row (all columns but row_hash, prev_hash included).';

-- BEFORE INSERT on the log: links every new row into its entity's chain, whoever inserts it.
-- 1. pg_advisory_xact_lock on the entity: writers of one entity queue here until the holder
--    commits; writers of other entities never wait. The two-int4 form (key 1885436271 =
--    'payo' in ASCII) lives in a key space apart from single-bigint advisory locks of other
--    code; a hashtext collision between two entities only makes them share a queue.
-- 2. Read the head (a fresh snapshot per statement in READ COMMITTED sees the previous
--    holder's commit). Under REPEATABLE READ a stale head cannot fork the chain: the insert
--    hits the unique (entity_type, entity_id, entity_seq) constraint or the head upsert
--    raises a serialization failure, and the transaction is retried by its caller.
-- 3. Fill the chain columns and the server-side time and txid (callers cannot backdate).
-- 4. Move the head.
create function private.payout_audit_chain_link()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_row_count bigint;
  v_head_hash bytea;
begin
  perform pg_catalog.pg_advisory_xact_lock(
    1885436271, pg_catalog.hashtext(new.entity_type || '/' || new.entity_id::text));

  select h.row_count, h.head_hash
    into v_row_count, v_head_hash
    from private.payout_audit_chain_heads h
   where h.entity_type = new.entity_type
     and h.entity_id = new.entity_id;

  new.entity_seq := coalesce(v_row_count, 0) + 1;
  new.prev_hash := v_head_hash;
  new.txid := pg_catalog.pg_current_xact_id();
  new.created_at := pg_catalog.now();
  new.row_hash := private.payout_audit_row_hash(new);

  insert into private.payout_audit_chain_heads as h (entity_type, entity_id, row_count, head_hash, updated_at)
  values (new.entity_type, new.entity_id, new.entity_seq, new.row_hash, new.created_at)
  on conflict (entity_type, entity_id) do update
    set row_count = excluded.row_count,
        head_hash = excluded.head_hash,
        updated_at = excluded.updated_at;

  return new;
end;
$$;

comment on function private.payout_audit_chain_link() is
  'Trigger function (BEFORE INSERT on payout_audit_log): sets entity_seq, prev_hash, row_hash, txid, created_at under a per-entity advisory lock and moves the entity''s chain head.';

-- Callers omit entity_seq/prev_hash/row_hash: BEFORE ROW triggers run before NOT NULL and
-- CHECK constraints are evaluated.
create trigger payout_audit_log_chain_link
  before insert on public.payout_audit_log
  for each row execute function private.payout_audit_chain_link();

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
           private.payout_audit_row_hash(l) as computed_hash,
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
  order by 1, 2, 3, 5;
end;
$$;

comment on function public.verify_payout_audit_chain(text, uuid) is
  'Recomputes and walks the per-entity hash chains of payout_audit_log against their anchors; returns one row per problem (row_hash_mismatch, prev_hash_mismatch, seq_gap, head_mismatch, head_missing, head_orphan), none when intact. Optional filters: entity type, entity id.';
