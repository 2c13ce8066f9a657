-- squawk-ignore-file prefer-robust-stmts
-- (the table is created in this file, empty, inside the CLI's one transaction per migration)
-- Outbox consumer registry and outbox retention (issue 12, "Growth").
--
-- Each consumer of public.payout_events reads with public.read_payout_events after its own
-- (txid, id) cursor (20261127090700). The registry records, per consumer, the cursor it has
-- committed (everything at or before it is processed), so that retention knows what nobody
-- needs any more:
--
--   private.payout_event_consumers                  name, committed cursor, registered/updated
--   private.register_payout_event_consumer(name, now)          idempotent; a new consumer starts
--                                                   at (0, 0)
--   private.commit_payout_event_cursor(name, txid, id, now)    monotonic: PT409 backwards or
--                                                   beyond the committed-safe boundary, PT404
--                                                   unknown consumer
--   private.prune_payout_events(now, keep, batch, max batches) deletes events at or before every
--                                                   registered consumer's cursor AND older than
--                                                   the floor (30 days), in batches; called by
--                                                   private.cleanup_payout_job_history (daily)
--
-- Who: the database owner only (pg_cron, SQL consumers). `private` is not exposed by PostgREST;
-- like read_payout_events, nothing is granted to an API role until an API consumer exists.
-- payout_events is not append-only for DELETE (only UPDATE is refused by trigger): deleting is
-- the owner's, by ownership, and no other role holds DELETE on it.

-- Fail fast rather than queue behind (and in front of) live traffic; the CLI runs each
-- migration file in one transaction, so these last for this file only.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create table private.payout_event_consumers (
  name text primary key
    check (name ~ '^[a-z][a-z0-9_.-]*$' and pg_catalog.length(name) <= 63),
  -- everything at or before (cursor_txid, cursor_id) in (txid, id) order is processed
  cursor_txid xid8 not null default '0'::xid8,
  cursor_id bigint not null default 0 check (cursor_id >= 0),
  registered_at timestamptz not null,
  updated_at timestamptz not null,
  check (updated_at >= registered_at)
);
comment on table private.payout_event_consumers is
  'Outbox consumer registry: each consumer of public.payout_events and the (txid, id) cursor it has committed (everything at or before it processed). Outbox retention (private.prune_payout_events) deletes only what every registered consumer committed past.';
alter table private.payout_event_consumers enable row level security;
revoke all on table private.payout_event_consumers from public, anon, authenticated, service_role;

-- Register and prune exclude each other (a consumer registering at (0, 0) while the pruner has
-- already read the minimum cursor would lose events); commits need not: they only move forward.
-- Two-int4 advisory key space: 1885436271 is the audit chain's, 1885436272 this one's.

create function private.register_payout_event_consumer(
  p_name text,
  p_now timestamptz default pg_catalog.now())
returns setof private.payout_event_consumers
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  if p_name is null or p_name !~ '^[a-z][a-z0-9_.-]*$' or pg_catalog.length(p_name) > 63 then
    raise exception 'invalid consumer name: %', coalesce(p_name, '<null>')
      using errcode = 'PT400', hint = 'Lower-case letters, digits, _ . -; starting with a letter; at most 63 characters.';
  end if;
  if p_now is null then
    raise exception 'p_now is required' using errcode = 'PT400';
  end if;
  perform pg_catalog.pg_advisory_xact_lock(1885436272, 0);
  insert into private.payout_event_consumers (name, registered_at, updated_at)
  values (p_name, p_now, p_now)
  on conflict (name) do nothing;
  return query select c.* from private.payout_event_consumers c where c.name = p_name;
end
$$;
comment on function private.register_payout_event_consumer(text, timestamptz) is
  'Outbox consumer registry: registers consumer p_name (idempotent: an existing consumer keeps its cursor and times). A new consumer starts at cursor (0, 0), which holds outbox retention back until it commits. Returns the consumer''s row. PT400 for a malformed name or a null p_now.';

create function private.commit_payout_event_cursor(
  p_name text,
  p_txid xid8,
  p_id bigint,
  p_now timestamptz default pg_catalog.now())
returns setof private.payout_event_consumers
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row private.payout_event_consumers;
begin
  if p_name is null or p_txid is null or p_id is null or p_id < 0 or p_now is null then
    raise exception 'consumer name, cursor (txid, id >= 0) and p_now are required' using errcode = 'PT400';
  end if;
  -- A cursor comes from a row read_payout_events returned, whose txid is below the snapshot's
  -- xmin: a cursor at or past it could skip an event still to commit.
  if p_txid >= pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot()) then
    raise exception 'cursor (%, %) is beyond the committed-safe boundary: commit the (txid, id) of an event read_payout_events returned',
      p_txid, p_id using errcode = 'PT409';
  end if;

  update private.payout_event_consumers c
     set cursor_txid = p_txid, cursor_id = p_id,
         updated_at = greatest(c.updated_at, p_now)
   where c.name = p_name
     and (c.cursor_txid, c.cursor_id) <= (p_txid, p_id)
  returning c.* into v_row;
  if found then
    return next v_row;
    return;
  end if;

  select c.* into v_row from private.payout_event_consumers c where c.name = p_name;
  if not found then
    raise exception 'unknown outbox consumer: %', p_name
      using errcode = 'PT404', hint = 'Register it with private.register_payout_event_consumer first.';
  end if;
  raise exception 'cursor of % would move backwards: (%, %) is before the committed (%, %)',
    p_name, p_txid, p_id, v_row.cursor_txid, v_row.cursor_id using errcode = 'PT409';
end
$$;
comment on function private.commit_payout_event_cursor(text, xid8, bigint, timestamptz) is
  'Outbox consumer registry: commits consumer p_name''s cursor (p_txid, p_id), the last event it processed. Monotonic: the same cursor again is a no-op, an earlier one raises PT409; so does a txid at or beyond the current snapshot''s xmin (no event read_payout_events returns can carry it). PT404 for an unknown consumer, PT400 for missing arguments. Returns the consumer''s row.';

create function private.prune_payout_events(
  p_now timestamptz default pg_catalog.now(),
  p_keep interval default interval '30 days',
  p_batch_size integer default 5000,
  p_max_batches integer default 100)
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_txid xid8;
  v_id bigint;
  v_deleted bigint := 0;
  v_n bigint;
  v_batches integer := 0;
begin
  if p_now is null or p_keep is null or p_keep < interval '0' then
    raise exception 'p_now and a non-negative p_keep are required' using errcode = 'PT400';
  end if;
  if p_batch_size is null or p_batch_size < 1 or p_batch_size > 100000
     or p_max_batches is null or p_max_batches < 1 or p_max_batches > 10000 then
    raise exception 'p_batch_size must be 1..100000 and p_max_batches 1..10000' using errcode = 'PT400';
  end if;

  perform pg_catalog.pg_advisory_xact_lock(1885436272, 0);
  -- the lowest committed cursor; no consumer registered: only the floor applies
  select c.cursor_txid, c.cursor_id into v_txid, v_id
    from private.payout_event_consumers c
   order by c.cursor_txid, c.cursor_id
   limit 1;
  if not found then
    v_txid := '18446744073709551615'::xid8;  -- the largest xid8: no cursor bound
    v_id := 9223372036854775807;
  end if;

  loop
    with victims as (
      select e.id from public.payout_events e
      where (e.txid, e.id) <= (v_txid, v_id)
        and e.created_at < p_now - p_keep
      order by e.txid, e.id
      limit p_batch_size
    )
    delete from public.payout_events e using victims v where e.id = v.id;
    get diagnostics v_n = row_count;
    v_deleted := v_deleted + v_n;
    v_batches := v_batches + 1;
    exit when v_n < p_batch_size or v_batches >= p_max_batches;
  end loop;
  return v_deleted;
end
$$;
comment on function private.prune_payout_events(timestamptz, interval, integer, integer) is
  'Outbox retention: deletes public.payout_events at or before every registered consumer''s committed cursor (in (txid, id) order) AND created more than p_keep (30 days) before p_now; the floor also protects consumers that never registered. In batches of p_batch_size (5000), at most p_max_batches (100) per call. Excludes registration while it runs. Returns the number deleted. PT400 for a null/negative p_keep or batch sizes out of range. Called daily by private.cleanup_payout_job_history.';

revoke execute on function
  private.register_payout_event_consumer(text, timestamptz),
  private.commit_payout_event_cursor(text, xid8, bigint, timestamptz),
  private.prune_payout_events(timestamptz, interval, integer, integer)
from public, anon, authenticated, service_role;
