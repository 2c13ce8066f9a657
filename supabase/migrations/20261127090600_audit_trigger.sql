-- The audit trigger of the money tables and private.enable_audit, which installs it.
--
-- Statement-level AFTER triggers with transition tables: one set-based INSERT ... SELECT into
-- payout_audit_log per statement, whatever the number of rows it touched (a nightly run that
-- updates 10 000 payouts audits them in one statement, not 10 000 trigger calls). AFTER, so
-- the audit sees the rows as stored (defaults and BEFORE triggers applied); COPY, cascaded
-- foreign-key actions and ON CONFLICT DO UPDATE fire these triggers too.

-- Fail fast rather than queue behind (and in front of) live traffic; the CLI runs each
-- migration file in one transaction, so these last for this file only.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- Security definer: the log and the chain heads are writable by their owner only, and the
-- audit must be written whoever changes a money table (API role, payout_jobs, ...).
-- Arguments (set by enable_audit): entity type, the key of the row's placement id, the key of
-- the row's payout id ('' when the table has none).
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
  v_actor_id constant uuid := private.actor_id();
  v_actor_role constant text := private.actor_role();
  v_action constant text := coalesce(private.audit_action(), pg_catalog.lower(tg_op));
  v_reason constant text := private.audit_reason();
begin
  -- Rows are written in entity id order, so concurrent multi-row statements take the
  -- per-entity chain locks in one global order.
  if tg_op = 'INSERT' then
    insert into public.payout_audit_log (
      entity_type, entity_id, placement_id, payout_id, operation, action,
      old_values, new_values, changed_by, changed_by_role, reason)
    select v_entity_type,
           (r.new_values ->> 'id')::uuid,
           (r.new_values ->> v_placement_key)::uuid,
           (r.new_values ->> v_payout_key)::uuid,
           'INSERT', v_action, null, r.new_values, v_actor_id, v_actor_role, v_reason
      from (select pg_catalog.to_jsonb(n) as new_values from new_rows n) r
     order by 2;
  elsif tg_op = 'UPDATE' then
    -- Old and new rows are paired by id, which enable_audit makes immutable.
    insert into public.payout_audit_log (
      entity_type, entity_id, placement_id, payout_id, operation, action,
      old_values, new_values, changed_by, changed_by_role, reason)
    select v_entity_type,
           (n.new_values ->> 'id')::uuid,
           coalesce((n.new_values ->> v_placement_key)::uuid, (o.old_values ->> v_placement_key)::uuid),
           coalesce((n.new_values ->> v_payout_key)::uuid, (o.old_values ->> v_payout_key)::uuid),
           'UPDATE', v_action, o.old_values, n.new_values, v_actor_id, v_actor_role, v_reason
      from (select pg_catalog.to_jsonb(x) as old_values from old_rows x) o
      join (select pg_catalog.to_jsonb(x) as new_values from new_rows x) n
        on (n.new_values ->> 'id') = (o.old_values ->> 'id')
     order by 2;
  elsif tg_op = 'DELETE' then
    insert into public.payout_audit_log (
      entity_type, entity_id, placement_id, payout_id, operation, action,
      old_values, new_values, changed_by, changed_by_role, reason)
    select v_entity_type,
           (r.old_values ->> 'id')::uuid,
           (r.old_values ->> v_placement_key)::uuid,
           (r.old_values ->> v_payout_key)::uuid,
           'DELETE', v_action, r.old_values, null, v_actor_id, v_actor_role, v_reason
      from (select pg_catalog.to_jsonb(o) as old_values from old_rows o) r
     order by 2;
  end if;
  return null;
end;
$$;

comment on function private.audit_changes() is
  'Trigger function (AFTER INSERT/UPDATE/DELETE FOR EACH STATEMENT with transition tables new_rows/old_rows): writes one payout_audit_log row per changed row with the actor and audit context of the transaction. Installed by private.enable_audit.';

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

  execute pg_catalog.format(
    'create or replace trigger payout_audit_insert after insert on %s '
    'referencing new table as new_rows for each statement '
    'execute function private.audit_changes(%L, %L, %L)',
    p_table, p_entity_type, v_placement_key, v_payout_key);
  execute pg_catalog.format(
    'create or replace trigger payout_audit_update after update on %s '
    'referencing old table as old_rows new table as new_rows for each statement '
    'execute function private.audit_changes(%L, %L, %L)',
    p_table, p_entity_type, v_placement_key, v_payout_key);
  execute pg_catalog.format(
    'create or replace trigger payout_audit_delete after delete on %s '
    'referencing old table as old_rows for each statement '
    'execute function private.audit_changes(%L, %L, %L)',
    p_table, p_entity_type, v_placement_key, v_payout_key);
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
