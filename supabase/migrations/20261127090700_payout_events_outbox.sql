-- Transactional outbox of payout lifecycle events: domain functions call private.emit_event in
-- the same transaction as the change, so an event exists if and only if the change committed.
--
-- Reading in order without skipping. `id` is an identity: increasing in insert order, but
-- transactions commit in another order. A consumer that remembers the highest id it saw can
-- skip a row: T1 takes id 41, T2 takes id 42 and commits, the consumer reads 42 and moves its
-- cursor to 42, T1 commits 41, which no later `id > 42` read returns. Even "only rows of
-- transactions older than the snapshot's xmin" does not rescue an id cursor, because ids are
-- not ordered like transaction ids (T1 may hold xid 100 and id 42 while T2 holds xid 101 and
-- id 41). So every row records its transaction (txid = pg_current_xact_id()) and consumers read
-- in (txid, id) order, only rows with txid < xmin of their snapshot (every transaction below
-- xmin has finished: such a row is committed and no new row can ever sort before it), and keep
-- the last (txid, id) as their cursor: the rule of xid8-based event stores and outboxes.
-- See docs/audit-and-outbox.md for the consumer pattern.

-- Fail fast rather than queue behind (and in front of) live traffic; the CLI runs each
-- migration file in one transaction, so these last for this file only.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create table public.payout_events (
  id bigint generated always as identity,
  event_type text not null,
  entity_type text not null,
  entity_id uuid not null,
  placement_id uuid,
  payout_id uuid,
  -- the payout's recruiter (the key of the RLS policy; set by trigger, see below)
  recruiter_id uuid,
  payload jsonb not null default '{}'::jsonb,
  actor_id uuid,
  actor_role text not null,
  txid xid8 not null default pg_catalog.pg_current_xact_id(),
  created_at timestamptz not null default pg_catalog.now(),

  -- <entity>.<what happened>, e.g. payout_schedule.processed, escrow_hold.auto_released.
  constraint payout_events_event_type_format
    check (event_type ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$' and pg_catalog.length(event_type) <= 100),
  constraint payout_events_entity_type_format
    check (entity_type ~ '^[a-z][a-z0-9_]*$' and pg_catalog.length(entity_type) <= 63),
  constraint payout_events_payload_is_object
    check (pg_catalog.jsonb_typeof(payload) = 'object'),
  -- Keep in sync with private.set_actor (20261127090300).
  constraint payout_events_actor_role_valid
    check (actor_role in (
      'platform_admin', 'company_admin', 'recruiter', 'authenticated',
      'anon', 'service_role', 'system', 'cron', 'job', 'webhook'
    )),
  constraint payout_events_person_has_id
    check (actor_id is not null
           or actor_role not in ('platform_admin', 'company_admin', 'recruiter', 'authenticated')),
  -- Partitioned by month of created_at (20261127090450): the key must include it.
  constraint payout_events_pkey primary key (id, created_at)
) partition by range (created_at);

comment on table public.payout_events is
  'Transactional outbox of payout lifecycle events, written by private.emit_event in the transaction of the change. Read in (txid, id) order with public.read_payout_events, never by id alone.';
comment on column public.payout_events.id is
  'Increasing in insert order, NOT in commit order: a cursor is (txid, id).';
comment on column public.payout_events.txid is
  'Writing transaction (pg_current_xact_id()); rows with txid < pg_snapshot_xmin(pg_current_snapshot()) are final.';
comment on column public.payout_events.recruiter_id is
  'Recruiter of the payout this event is about (null: about no payout). Set from payouts by the trigger payout_recruiter_id (private.set_payout_recruiter_id, 20261127100100) whoever inserts. The key of the RLS policy.';

-- The consumer read: (txid, id) > cursor, in (txid, id) order.
create index payout_events_txid_id_idx on public.payout_events (txid, id);
create index payout_events_entity_idx on public.payout_events (entity_type, entity_id, id);
create index payout_events_placement_idx
  on public.payout_events (placement_id, id) where placement_id is not null;
create index payout_events_payout_idx
  on public.payout_events (payout_id, id) where payout_id is not null;
-- The key of the RLS policy (20261128090100): rows about no payout sort at the nil uuid, which
-- only a platform admin's recruiter range contains (docs/access.md, "Policy performance").
create index payout_events_recruiter_visibility_idx
  on public.payout_events ((coalesce(recruiter_id, '00000000-0000-0000-0000-000000000000'::uuid)));

alter table public.payout_events enable row level security;

-- Events are facts: never changed. Deleting old rows (retention) stays possible for the owner;
-- it cannot confuse a (txid, id) cursor.
create trigger payout_events_refuse_update
  before update on public.payout_events
  for each row execute function private.refuse_modification();

-- This month's partition and three ahead; the hourly job payouts-audit keeps them coming.
select private.ensure_monthly_partitions('public.payout_events');

-- Security definer: writable whoever runs the domain function (an API role through an RPC,
-- payout_jobs), while nobody holds INSERT on the table.
create function private.emit_event(
  p_event_type text,
  p_entity_type text,
  p_entity_id uuid,
  p_placement_id uuid,
  p_payout_id uuid,
  p_payload jsonb default '{}'::jsonb
)
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_id bigint;
begin
  if p_event_type is null or p_event_type !~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$'
     or pg_catalog.length(p_event_type) > 100 then
    raise exception 'invalid event type: %', coalesce(p_event_type, '<null>')
      using errcode = 'PT400', hint = 'Like payout.paid or escrow_hold.auto_released.';
  end if;
  if p_entity_type is null or p_entity_type !~ '^[a-z][a-z0-9_]*$' or pg_catalog.length(p_entity_type) > 63 then
    raise exception 'invalid entity type: %', coalesce(p_entity_type, '<null>')
      using errcode = 'PT400';
  end if;
  if p_entity_id is null then
    raise exception 'entity id is required' using errcode = 'PT400';
  end if;
  if p_payload is not null and pg_catalog.jsonb_typeof(p_payload) <> 'object' then
    raise exception 'payload must be a JSON object' using errcode = 'PT400';
  end if;

  insert into public.payout_events (
    event_type, entity_type, entity_id, placement_id, payout_id, payload, actor_id, actor_role)
  values (
    p_event_type, p_entity_type, p_entity_id, p_placement_id, p_payout_id,
    coalesce(p_payload, '{}'::jsonb), private.actor_id(), private.actor_role())
  returning id into v_id;

  return v_id;
end;
$$;

comment on function private.emit_event(text, text, uuid, uuid, uuid, jsonb) is
  'Writes a lifecycle event (e.g. payout.paid) to public.payout_events in the current transaction, with the transaction''s actor; returns its id. Raises PT400 for a malformed event/entity type, a missing entity id or a non-object payload.';

-- One page of final events after a (txid, id) cursor, as of the snapshot boundary p_xmin.
-- p_xmin is injectable for tests (like p_now elsewhere); consumers use
-- public.read_payout_events, which passes the xmin of the current snapshot.
create function private.payout_events_page(
  p_after_txid xid8,
  p_after_id bigint,
  p_limit integer,
  p_xmin xid8
)
returns setof public.payout_events
language sql
stable
set search_path = ''
as $$
  select e.*
    from public.payout_events e
   where (e.txid, e.id) > (p_after_txid, p_after_id)
     and e.txid < p_xmin
   order by e.txid, e.id
   limit p_limit
$$;

comment on function private.payout_events_page(xid8, bigint, integer, xid8) is
  'Events after the cursor (p_after_txid, p_after_id) whose transaction is below p_xmin, in (txid, id) order, at most p_limit. Implementation of public.read_payout_events with an injectable snapshot boundary.';

-- The consumer API (PostgREST: POST /rest/v1/rpc/read_payout_events once granted). Security
-- definer so that a consumer role needs EXECUTE on this function only, no table privilege. No
-- role holds EXECUTE yet: it is granted to the first outbox consumer when one exists
-- (docs/audit-and-outbox.md).
create function public.read_payout_events(
  p_after_txid xid8 default '0'::xid8,
  p_after_id bigint default 0,
  p_limit integer default 100
)
returns setof public.payout_events
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if p_limit is null or p_limit < 1 or p_limit > 1000 then
    raise exception 'limit must be between 1 and 1000' using errcode = 'PT400';
  end if;
  return query
    select *
      from private.payout_events_page(
        coalesce(p_after_txid, '0'::xid8),
        coalesce(p_after_id, 0),
        p_limit,
        pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot()));
end;
$$;

comment on function public.read_payout_events(xid8, bigint, integer) is
  'Outbox consumer read: up to p_limit committed events after the cursor (p_after_txid, p_after_id) in (txid, id) order, only from transactions older than the current snapshot''s xmin, so a late-committing event is never skipped. Pass the txid and id of the last row received as the next cursor. Raises PT400 for a limit outside 1..1000.';
