-- The audit trigger of the money tables and private.enable_audit, which installs it.
--
-- Statement-level AFTER triggers with transition tables: whatever the number of rows a statement
-- touched, the trigger makes one call to the writer, private.append_payout_audit_rows, which
-- links all of them into their chains in a few set-based statements (a nightly run that updates
-- 10 000 payouts audits them in one pass, not 10 000 trigger calls). AFTER, so the audit sees the
-- rows as stored (defaults and BEFORE triggers applied); COPY, cascaded foreign-key actions and
-- ON CONFLICT DO UPDATE fire these triggers too.

-- Fail fast rather than queue behind (and in front of) live traffic; the CLI runs each
-- migration file in one transaction, so these last for this file only.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- One changed row as the writer takes it.
create type private.payout_audit_change as (
  entity_id uuid,
  placement_id uuid,
  payout_id uuid,
  recruiter_id uuid,
  old_values jsonb,
  new_values jsonb
);

comment on type private.payout_audit_change is
  'One changed row for private.append_payout_audit_rows: its id, placement and payout ids, its payout''s recruiter when the row carries it (null: the writer looks it up), and the row before (null for an insert) and after (null for a delete) as jsonb.';

-- The writer: appends one audit row per change and moves the chain heads, for one statement.
--
-- Within one statement an entity changes at most once (a statement touches a row once), so
-- every change links to its entity's current head: one read of the heads, one hash per row, one
-- insert of the rows, one upsert of the heads, in entity id order (concurrent statements lock
-- heads in one global order).
--
-- No fork, whoever writes concurrently: a head moves only from the position this statement read
-- (ON CONFLICT ... WHERE row_count = the position read). If another transaction moved it first,
-- fewer heads move than rows were written, and the statement fails with 40001 (retry the
-- transaction). On the trigger path that cannot happen: the writer of an entity holds that
-- row's lock until it commits, and, in READ COMMITTED, each statement here reads the heads
-- after the lock was granted. Under REPEATABLE READ a stale head raises 40001 the same way.
--
-- recruiter_id is the payout's (the key of the log's RLS policy, 20261128090100): null when the
-- row is about no payout, or about a payout id that is not a payout. Tables that carry it,
-- maintained from payouts (payouts itself and its children, 20261127100100), pass it in the
-- change; for the others the writer reads it from payouts.
create function private.append_payout_audit_rows(
  p_entity_type text,
  p_operation text,
  p_changes private.payout_audit_change[])
returns integer
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_actor_id constant uuid := private.actor_id();
  v_actor_role constant text := private.actor_role();
  v_action constant text := coalesce(private.audit_action(), pg_catalog.lower(p_operation));
  v_reason constant text := private.audit_reason();
  v_txid constant xid8 := pg_catalog.pg_current_xact_id();
  v_now constant timestamptz := pg_catalog.now();
  v_rows integer := coalesce(pg_catalog.cardinality(p_changes), 0);
  v_moved integer;
begin
  if v_rows = 0 then
    return 0;
  end if;
  perform pg_catalog.set_config('payouts.audit_writer', 'on', true);

  with changes as (
    select c.entity_id, c.placement_id, c.payout_id, c.old_values, c.new_values,
           h.row_count as read_count, h.head_hash as prev_hash,
           coalesce(c.recruiter_id, p.recruiter_id) as recruiter_id
      from pg_catalog.unnest(p_changes) c
      left join private.payout_audit_chain_heads h
        on h.entity_type = p_entity_type and h.entity_id = c.entity_id
      left join public.payouts p on c.recruiter_id is null and p.id = c.payout_id
     order by c.entity_id
  ),
  linked as materialized (
    select pg_catalog.nextval('public.payout_audit_log_id_seq'::regclass) as id,
           c.*, coalesce(c.read_count, 0) + 1 as entity_seq
      from changes c
  ),
  hashed as materialized (
    select l.*,
           private.payout_audit_hash(
             l.id, p_entity_type, l.entity_id, l.entity_seq, l.placement_id, l.payout_id,
             p_operation, v_action, l.old_values, l.new_values, v_actor_id, v_actor_role,
             v_reason, v_txid, v_now, l.prev_hash) as row_hash
      from linked l
  ),
  logged as (
    insert into public.payout_audit_log (
      id, entity_type, entity_id, placement_id, payout_id, recruiter_id, operation, action,
      old_values, new_values, changed_by, changed_by_role, reason, txid, created_at,
      entity_seq, prev_hash, row_hash)
    overriding system value
    select h.id, p_entity_type, h.entity_id, h.placement_id, h.payout_id, h.recruiter_id,
           p_operation, v_action, h.old_values, h.new_values, v_actor_id, v_actor_role,
           v_reason, v_txid, v_now, h.entity_seq, h.prev_hash, h.row_hash
      from hashed h
  ),
  moved as (
    insert into private.payout_audit_chain_heads as hd (entity_type, entity_id, row_count, head_hash, updated_at)
    select p_entity_type, h.entity_id, h.entity_seq, h.row_hash, v_now
      from hashed h
     order by h.entity_id
    on conflict (entity_type, entity_id) do update
      set row_count = excluded.row_count,
          head_hash = excluded.head_hash,
          updated_at = excluded.updated_at
      where hd.row_count = excluded.row_count - 1
    returning 1
  )
  select pg_catalog.count(*)::integer into v_moved from moved;

  perform pg_catalog.set_config('payouts.audit_writer', 'off', true);
  if v_moved <> v_rows then
    raise exception 'audit chain of % moved concurrently (% of % heads moved): retry the transaction',
      p_entity_type, v_moved, v_rows
      using errcode = '40001';
  end if;
  return v_rows;
end;
$$;

comment on function private.append_payout_audit_rows(text, text, private.payout_audit_change[]) is
  'The audit writer: appends one payout_audit_log row per change (operation INSERT/UPDATE/DELETE, the transaction''s actor and audit context), each linked to its entity''s chain head, and moves the heads; set-based, one call per audited statement. 40001 when a head moved concurrently (retry). Called by private.audit_changes.';

-- >>> personal columns (erasure, docs/personal-data.md) ------------------------------------------
-- Columns that hold personal data (a person's name, an email) are never copied into the log:
-- the chain is append-only and hashed, so a value written there could never be erased. They are
-- declared here (private.declare_personal_columns, called by 20261202150000_personal_data_erasure)
-- and the audit trigger drops them from the old and new rows; a row that sets or changes one
-- lists its name under the key personal_fields_changed of new_values, never its value.
create table private.audit_personal_columns (
  table_name regclass not null,
  column_name name not null,
  primary key (table_name, column_name)
);
comment on table private.audit_personal_columns is
  'Personal columns of audited tables: the audit trigger never copies their values into payout_audit_log (docs/personal-data.md). Filled by private.declare_personal_columns.';
alter table private.audit_personal_columns enable row level security;
revoke all on table private.audit_personal_columns from public, anon, authenticated, service_role;

create function private.declare_personal_columns(p_table regclass, p_columns text[])
returns integer
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_missing text;
  v_n integer;
begin
  if p_table is null or coalesce(pg_catalog.cardinality(p_columns), 0) = 0 then
    raise exception 'a table and at least one column are required' using errcode = 'PT400';
  end if;
  select pg_catalog.string_agg(c, ', ') into v_missing
    from pg_catalog.unnest(p_columns) c
   where not exists (select 1 from pg_catalog.pg_attribute a
                      where a.attrelid = p_table and a.attname = c and a.attnum > 0 and not a.attisdropped);
  if v_missing is not null then
    raise exception '% has no column %', p_table, v_missing using errcode = 'PT400';
  end if;
  if p_columns && array['id', 'placement_id', 'payout_id', 'recruiter_id'] then
    raise exception 'the ids of an audited row are never personal columns' using errcode = 'PT400';
  end if;
  insert into private.audit_personal_columns (table_name, column_name)
  select p_table, c from pg_catalog.unnest(p_columns) c
  on conflict do nothing;
  get diagnostics v_n = row_count;
  return v_n;
end;
$$;
comment on function private.declare_personal_columns(regclass, text[]) is
  'Declares columns of an audited table personal: from then on the audit log never holds their values, only the names of those a change set (new_values.personal_fields_changed). Idempotent; returns the number of new declarations. PT400 unknown column, an id column, or nothing to declare.';

-- The changes without the personal columns' values; an insert or update that sets or changes one
-- names it in new_values.personal_fields_changed (sorted), a value never.
create function private.redact_personal_changes(p_changes private.payout_audit_change[], p_personal text[])
returns private.payout_audit_change[]
language sql
immutable
set search_path = ''
as $$
  select pg_catalog.array_agg(row(
           c.entity_id, c.placement_id, c.payout_id, c.recruiter_id,
           c.old_values - p_personal,
           case when c.new_values is not null then
             (c.new_values - p_personal) || coalesce(
               (select pg_catalog.jsonb_build_object('personal_fields_changed', pg_catalog.jsonb_agg(k order by k))
                  from pg_catalog.unnest(p_personal) k
                 where coalesce(c.new_values -> k, 'null'::jsonb) is distinct from coalesce(c.old_values -> k, 'null'::jsonb)
                having pg_catalog.count(*) > 0),
               '{}'::jsonb)
           end)::private.payout_audit_change)
    from pg_catalog.unnest(p_changes) c
$$;
comment on function private.redact_personal_changes(private.payout_audit_change[], text[]) is
  'Audit trigger helper: drops the personal columns from the old and new rows; new_values.personal_fields_changed lists (sorted) those an insert set or an update changed.';
-- <<< personal columns --------------------------------------------------------------------------

-- Security definer: the log and the chain heads are writable by their owner only, and the
-- audit must be written whoever changes a money table (API role, payout_jobs, ...).
-- Arguments (set by enable_audit): entity type, the key of the row's placement id, the key of
-- the row's payout id, the key of its payout's recruiter id ('' when the table has none).
create function private.audit_changes()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_entity_type constant text := tg_argv[0];
  v_placement_key constant text := nullif(tg_argv[1], '');
  v_payout_key constant text := nullif(tg_argv[2], '');
  v_recruiter_key constant text := nullif(tg_argv[3], '');
  v_changes private.payout_audit_change[];
  v_personal text[];
begin
  if tg_op = 'INSERT' then
    select pg_catalog.array_agg(row(
             (r.v ->> 'id')::uuid, (r.v ->> v_placement_key)::uuid, (r.v ->> v_payout_key)::uuid,
             (r.v ->> v_recruiter_key)::uuid, null, r.v)::private.payout_audit_change)
      into v_changes
      from (select pg_catalog.to_jsonb(n) as v from new_rows n) r;
  elsif tg_op = 'UPDATE' then
    -- Old and new rows are paired by id, which enable_audit makes immutable. The join is on
    -- the rows' uuid and each row is turned into jsonb once, after the join: joining the jsonb
    -- forms on their text id let the planner (no statistics on transition tables) pick a nested
    -- loop that rebuilt the inner row's jsonb for every outer row, quadratic in the statement.
    select pg_catalog.array_agg(row(
             y.id,
             coalesce((n.v ->> v_placement_key)::uuid, (o.v ->> v_placement_key)::uuid),
             coalesce((n.v ->> v_payout_key)::uuid, (o.v ->> v_payout_key)::uuid),
             (n.v ->> v_recruiter_key)::uuid, o.v, n.v)::private.payout_audit_change)
      into v_changes
      from old_rows x
      join new_rows y on y.id = x.id
      cross join lateral (select pg_catalog.to_jsonb(x) as v) o
      cross join lateral (select pg_catalog.to_jsonb(y) as v) n;
  else
    select pg_catalog.array_agg(row(
             (r.v ->> 'id')::uuid, (r.v ->> v_placement_key)::uuid, (r.v ->> v_payout_key)::uuid,
             (r.v ->> v_recruiter_key)::uuid, r.v, null)::private.payout_audit_change)
      into v_changes
      from (select pg_catalog.to_jsonb(o) as v from old_rows o) r;
  end if;
  -- >>> personal columns (docs/personal-data.md): their values never reach the log
  select pg_catalog.array_agg(p.column_name::text) into v_personal
    from private.audit_personal_columns p where p.table_name = tg_relid::regclass;
  if v_personal is not null then
    v_changes := private.redact_personal_changes(v_changes, v_personal);
  end if;
  -- <<< personal columns
  perform private.append_payout_audit_rows(v_entity_type, tg_op, v_changes);
  return null;
end;
$$;

comment on function private.audit_changes() is
  'Trigger function (AFTER INSERT/UPDATE/DELETE FOR EACH STATEMENT with transition tables new_rows/old_rows): passes the statement''s changed rows to private.append_payout_audit_rows in one call. Installed by private.enable_audit.';

-- An audited row keeps its id: the log pairs old and new rows by id and chains by id.
create function private.refuse_entity_id_change()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception 'id of %.% is immutable (audited entity %)', tg_table_schema, tg_table_name, old.id
    using errcode = 'PT422';
end;
$$;

comment on function private.refuse_entity_id_change() is
  'Trigger function (BEFORE UPDATE OF id ... WHEN id changes): raises PT422, the id of an audited row is immutable.';

-- TRUNCATE fires no row or statement DML triggers, so it would empty a money table without a
-- single audit row.
create function private.refuse_truncate_audited()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception 'TRUNCATE on %.% is not allowed: it would bypass the audit trail', tg_table_schema, tg_table_name
    using errcode = '42501',
          hint = 'Delete the rows instead (audited), or disable triggers deliberately as the table owner.';
end;
$$;

comment on function private.refuse_truncate_audited() is
  'Trigger function (BEFORE TRUNCATE on audited tables): raises 42501, truncating would bypass the audit trail.';

-- Installs (idempotently: create or replace trigger) the audit triggers on a money table:
--   payout_audit_insert / _update / _delete   AFTER ... FOR EACH STATEMENT -> audit_changes
--   payout_audit_id_immutable                 BEFORE UPDATE OF id FOR EACH ROW WHEN changed
--   payout_audit_no_truncate                  BEFORE TRUNCATE
-- The table needs `id uuid`. placement_id / payout_id (uuid) columns are picked up when
-- present; a table whose entity type is 'placement' / 'payout' uses its own id instead.
-- Security invoker: only the table's owner may create triggers on it.
create function private.enable_audit(p_table regclass, p_entity_type text)
returns void
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_relkind "char";
  v_placement_key text;
  v_payout_key text;
  v_recruiter_key text;
begin
  if p_table is null then
    raise exception 'table is required' using errcode = 'PT400';
  end if;
  if p_entity_type is null or p_entity_type !~ '^[a-z][a-z0-9_]*$' or pg_catalog.length(p_entity_type) > 63 then
    raise exception 'invalid entity type: %', coalesce(p_entity_type, '<null>')
      using errcode = 'PT400', hint = 'Lower-case snake_case, e.g. payout_schedule.';
  end if;
  if p_table in (pg_catalog.to_regclass('public.payout_audit_log'), pg_catalog.to_regclass('public.payout_events')) then
    raise exception '% cannot be audited', p_table using errcode = 'PT400';
  end if;

  select c.relkind into v_relkind from pg_catalog.pg_class c where c.oid = p_table;
  if v_relkind not in ('r', 'p') then
    raise exception '% is not a table', p_table using errcode = 'PT400';
  end if;

  if not exists (
    select 1 from pg_catalog.pg_attribute a
     where a.attrelid = p_table and a.attname = 'id' and a.attnum > 0 and not a.attisdropped
       and a.atttypid = 'uuid'::regtype
  ) then
    raise exception '% has no id uuid column', p_table
      using errcode = 'PT400', hint = 'Money tables have id uuid primary key.';
  end if;

  if exists (
    select 1 from pg_catalog.pg_attribute a
     where a.attrelid = p_table and a.attname in ('placement_id', 'payout_id') and a.attnum > 0
       and not a.attisdropped and a.atttypid <> 'uuid'::regtype
  ) then
    raise exception '% has a placement_id or payout_id column that is not uuid', p_table
      using errcode = 'PT400';
  end if;

  select case
           when exists (select 1 from pg_catalog.pg_attribute a
                         where a.attrelid = p_table and a.attname = 'placement_id'
                           and a.attnum > 0 and not a.attisdropped) then 'placement_id'
           when p_entity_type = 'placement' then 'id'
           else ''
         end,
         case
           when exists (select 1 from pg_catalog.pg_attribute a
                         where a.attrelid = p_table and a.attname = 'payout_id'
                           and a.attnum > 0 and not a.attisdropped) then 'payout_id'
           when p_entity_type = 'payout' then 'id'
           else ''
         end
    into v_placement_key, v_payout_key;

  -- The row's own recruiter_id is its payout's when the money layer keeps it so (payouts, and the
  -- children whose trigger payout_recruiter_id copies it from payouts, 20261127100100).
  v_recruiter_key := case
    when v_payout_key <> '' and exists (
           select 1 from pg_catalog.pg_attribute a
            where a.attrelid = p_table and a.attname = 'recruiter_id' and a.attnum > 0
              and not a.attisdropped and a.atttypid = 'uuid'::regtype)
         and (p_entity_type = 'payout'
              or exists (select 1 from pg_catalog.pg_trigger t
                          where t.tgrelid = p_table and t.tgname = 'payout_recruiter_id'))
      then 'recruiter_id'
    else ''
  end;

  execute pg_catalog.format(
    'create or replace trigger payout_audit_insert after insert on %s '
    'referencing new table as new_rows for each statement '
    'execute function private.audit_changes(%L, %L, %L, %L)',
    p_table, p_entity_type, v_placement_key, v_payout_key, v_recruiter_key);
  execute pg_catalog.format(
    'create or replace trigger payout_audit_update after update on %s '
    'referencing old table as old_rows new table as new_rows for each statement '
    'execute function private.audit_changes(%L, %L, %L, %L)',
    p_table, p_entity_type, v_placement_key, v_payout_key, v_recruiter_key);
  execute pg_catalog.format(
    'create or replace trigger payout_audit_delete after delete on %s '
    'referencing old table as old_rows for each statement '
    'execute function private.audit_changes(%L, %L, %L, %L)',
    p_table, p_entity_type, v_placement_key, v_payout_key, v_recruiter_key);
  execute pg_catalog.format(
    'create or replace trigger payout_audit_id_immutable before update of id on %s '
    'for each row when (old.id is distinct from new.id) '
    'execute function private.refuse_entity_id_change()',
    p_table);
  execute pg_catalog.format(
    'create or replace trigger payout_audit_no_truncate before truncate on %s '
    'for each statement execute function private.refuse_truncate_audited()',
    p_table);
end;
$$;

comment on function private.enable_audit(regclass, text) is
  'Installs the audit triggers on a money table (needs id uuid; placement_id/payout_id uuid columns picked up when present, entity type placement/payout uses its own id): every INSERT/UPDATE/DELETE is written to payout_audit_log; id becomes immutable (PT422); TRUNCATE is refused (42501). Idempotent. Raises PT400 for a bad table or entity type.';
