-- squawk-ignore-file prefer-robust-stmts
-- (the registry is created in this file, empty, inside the CLI's one transaction per migration)
-- Monthly range partitions for the two logs that grow forever (public.payout_audit_log and
-- public.payout_events, created in the next migrations), managed by our own function rather than
-- pg_partman (Debian ships 4.x, Supabase another major: the SQL interfaces differ).
--
--   private.monthly_partitions                       every partition this function created: the
--                                                    parent, the partition, its range
--   private.ensure_monthly_partitions(parent, from, months_ahead)
--                                                    creates the missing partitions of the months
--                                                    from `from` to `months_ahead` later, and
--                                                    installs on each what a parent's statement
--                                                    triggers cannot give it (see below)
--
-- Partitions live in schema private, whatever the parent's schema: PostgREST exposes only
-- public, so they stay out of the API and of the generated types, and are read through their
-- parent, under its policies (RLS is enabled on each too, with no policy: nobody reads one
-- directly but its owner). Months are UTC calendar months on created_at. There is no DEFAULT partition: a row for a month
-- without a partition fails its insert loudly (and with it the money change it audits) rather
-- than landing where a later partition could not be created. The hourly job payouts-audit
-- (private.maintain_payout_audit) keeps three months ahead, so that takes three months of cron
-- being down.
--
-- Why statement triggers per partition: Postgres clones a partitioned table's ROW triggers onto
-- every partition (so the append-only UPDATE/DELETE refusals cover them all), but not its
-- STATEMENT triggers. TRUNCATE and INSERT naming a partition directly would skip the parent's.
-- The registry lets the audit chain's verifier report a partition that is no longer attached.

-- Fail fast rather than queue behind (and in front of) live traffic; the CLI runs each
-- migration file in one transaction, so these last for this file only.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create table private.monthly_partitions (
  parent regclass not null,
  partition_name text not null,
  range_start timestamptz not null,
  range_end timestamptz not null,
  created_at timestamptz not null default pg_catalog.now(),
  constraint monthly_partitions_pkey primary key (parent, range_start),
  constraint monthly_partitions_name_unique unique (partition_name),
  constraint monthly_partitions_range_valid check (range_end > range_start)
);

comment on table private.monthly_partitions is
  'Every monthly partition private.ensure_monthly_partitions created: parent, partition (schema-qualified name), UTC month range. Never deleted: the audit verifier reports a registered audit partition that is missing or detached.';

alter table private.monthly_partitions enable row level security;

create trigger monthly_partitions_refuse_delete
  before delete on private.monthly_partitions
  for each row execute function private.refuse_modification();
create trigger monthly_partitions_refuse_truncate
  before truncate on private.monthly_partitions
  for each statement execute function private.refuse_modification();

-- Statement triggers for each partition, by parent: the parent's own statement triggers with
-- the same function (refusing TRUNCATE, guarding INSERT); created with the partition.
create function private.ensure_monthly_partitions(
  p_parent regclass,
  p_from timestamptz default pg_catalog.now(),
  p_months_ahead integer default 3)
returns integer
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_month timestamptz;
  v_end timestamptz;
  v_table text;
  v_name text;
  v_trigger record;
  v_created integer := 0;
begin
  if p_parent is null or p_from is null or p_months_ahead is null
     or p_months_ahead not between 0 and 120 or not pg_catalog.isfinite(p_from) then
    raise exception 'ensure_monthly_partitions: a parent, a finite p_from and p_months_ahead 0..120 are required'
      using errcode = 'PT400';
  end if;
  select c.relname into v_table
    from pg_catalog.pg_class c
   where c.oid = p_parent and c.relkind = 'p';
  if v_table is null then
    raise exception '% is not a partitioned table', p_parent using errcode = 'PT400';
  end if;

  -- One lock per parent: two callers never race to create the same partition.
  perform pg_catalog.pg_advisory_xact_lock(1885436273, p_parent::oid::integer);

  for v_month in
    select pg_catalog.generate_series(
             pg_catalog.date_trunc('month', p_from, 'UTC'),
             pg_catalog.date_trunc('month', p_from, 'UTC') + pg_catalog.make_interval(months => p_months_ahead),
             interval '1 month')
  loop
    v_end := pg_catalog.date_trunc('month', v_month + interval '32 days', 'UTC');
    v_name := pg_catalog.format('%s_y%sm%s', v_table,
                pg_catalog.to_char(v_month at time zone 'UTC', 'YYYY'),
                pg_catalog.to_char(v_month at time zone 'UTC', 'MM'));
    continue when exists (
      select 1 from private.monthly_partitions m where m.parent = p_parent and m.range_start = v_month);

    execute pg_catalog.format('create table private.%I partition of %s for values from (%L) to (%L)',
                              v_name, p_parent, v_month, v_end);
    execute pg_catalog.format('alter table private.%I enable row level security', v_name);
    -- The parent's statement triggers, copied (same timing, event, function and arguments).
    for v_trigger in
      select t.tgname, pg_catalog.pg_get_triggerdef(t.oid) as def
        from pg_catalog.pg_trigger t
       where t.tgrelid = p_parent and not t.tgisinternal
         and (t.tgtype & 1) = 0            -- statement level
         and t.tgparentid = 0
    loop
      execute pg_catalog.replace(v_trigger.def,
        pg_catalog.format(' ON %s ', p_parent::text),
        pg_catalog.format(' ON private.%I ', v_name));
    end loop;
    insert into private.monthly_partitions (parent, partition_name, range_start, range_end)
    values (p_parent, pg_catalog.format('private.%I', v_name), v_month, v_end);
    v_created := v_created + 1;
  end loop;
  return v_created;
end
$$;

comment on function private.ensure_monthly_partitions(regclass, timestamptz, integer) is
  'Creates the missing monthly (UTC) range partitions of a partitioned table for the months from p_from to p_months_ahead (3) later, named private.<table>_yYYYYmMM (RLS enabled, no policy), copies the parent''s statement-level triggers onto each, and registers them in private.monthly_partitions. Idempotent; returns how many it created. PT400 for a bad argument or a table that is not partitioned.';

-- The audit log's partitions: this month and three ahead (the outbox's: 20261127090700).
select private.ensure_monthly_partitions('public.payout_audit_log');
