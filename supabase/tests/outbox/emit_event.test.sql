-- private.emit_event: one outbox row per call, in the caller's transaction, with the
-- transaction's actor; validation; events are immutable; nobody on the API can touch them.
begin;
set local search_path = public, extensions;
select plan(26);

select tests.create_user('events-alice@example.test', '00000000-0000-4000-8000-00000000a11c');

select columns_are('public', 'payout_events', array[
  'id', 'event_type', 'entity_type', 'entity_id', 'placement_id', 'payout_id',
  'recruiter_id', -- the payout's recruiter (set by trigger, 20261127100100), for index-friendly RLS
  'payload', 'actor_id', 'actor_role', 'txid', 'created_at'
  ], 'payout_events has the contract columns');
select is((select attidentity from pg_attribute where attrelid = 'public.payout_events'::regclass and attname = 'id'), 'a',
  'id is generated always as identity');
select is_indexed('public', 'payout_events', array['txid', 'id'], 'the consumer cursor (txid, id) is indexed');

-- A system event (no JWT, no actor).
select ok(private.emit_event('payout_schedule.created', 'payout_schedule', '90000000-0000-4000-8000-000000000001',
  '20000000-0000-4000-8000-000000000001', null, '{"scheduled_for": "2026-12-01"}') > 0, 'emit_event returns the new id');
select results_eq(
  $$ select event_type, entity_type, entity_id, placement_id, payout_id, payload, actor_id, actor_role
       from payout_events where entity_id = '90000000-0000-4000-8000-000000000001' $$,
  $$ values ('payout_schedule.created', 'payout_schedule', '90000000-0000-4000-8000-000000000001'::uuid,
             '20000000-0000-4000-8000-000000000001'::uuid, null::uuid, '{"scheduled_for": "2026-12-01"}'::jsonb,
             null::uuid, 'system') $$,
  'the row carries the event, its entity, placement, payout, payload and the system actor');
select is((select txid from payout_events where entity_id = '90000000-0000-4000-8000-000000000001'), pg_current_xact_id(),
  'the row records the writing transaction');
select is((select created_at from payout_events where entity_id = '90000000-0000-4000-8000-000000000001'), now(),
  'the row time is the transaction time');

-- A job.
select private.set_actor(null, 'cron');
select private.emit_event('escrow_hold.auto_released', 'escrow_hold', '90000000-0000-4000-8000-000000000002', null, null);
select results_eq(
  $$ select actor_id, actor_role, payload from payout_events where entity_id = '90000000-0000-4000-8000-000000000002' $$,
  $$ values (null::uuid, 'cron', '{}'::jsonb) $$, 'job actor; payload defaults to {}');
select set_config('payouts.actor_role', '', true), set_config('payouts.actor_id', '', true);

-- Under a JWT, from a security definer domain function (as the domain layer calls it).
create schema tests_tmp;
create function tests_tmp.pay(p_payout uuid) returns bigint language sql security definer set search_path = ''
as $$ select private.emit_event('payout.paid', 'payout', p_payout, null, p_payout, null) $$;
grant usage on schema tests_tmp to authenticated;
grant execute on function tests_tmp.pay(uuid) to authenticated;
select tests.authenticate_as('00000000-0000-4000-8000-00000000a11c');
select tests_tmp.pay('90000000-0000-4000-8000-000000000003');
select tests.clear_authentication();
select results_eq(
  $$ select actor_id, actor_role, payout_id, payload from payout_events where entity_id = '90000000-0000-4000-8000-000000000003' $$,
  $$ values ('00000000-0000-4000-8000-00000000a11c'::uuid, 'authenticated', '90000000-0000-4000-8000-000000000003'::uuid, '{}'::jsonb) $$,
  'JWT actor through a domain function; null payload is {}');

-- Ids increase in insert order.
select ok(
  (select bool_and(id > previous_id)
     from (select id, lag(id) over (order by n) as previous_id
             from (select n, private.emit_event('payout.flagged_for_reversal', 'payout', gen_random_uuid(), null, null) as id
                     from generate_series(1, 5) n) emitted) ordered
    where previous_id is not null),
  'ids increase in insert order');

-- Same transaction as the change: an event emitted in a rolled back (sub)transaction is gone.
savepoint before_failed_change;
select private.emit_event('payout.failed', 'payout', '90000000-0000-4000-8000-000000000004', null, null);
rollback to savepoint before_failed_change;
select is((select count(*)::int from payout_events where entity_id = '90000000-0000-4000-8000-000000000004'), 0,
  'an event exists only if its transaction (here a subtransaction) commits');

-- Validation.
select throws_ok($$ select private.emit_event('paid', 'payout', gen_random_uuid(), null, null) $$, 'PT400', null,
  'event type without entity prefix: PT400');
select throws_ok($$ select private.emit_event('Payout.Paid', 'payout', gen_random_uuid(), null, null) $$, 'PT400', null,
  'upper-case event type: PT400');
select throws_ok($$ select private.emit_event(null, 'payout', gen_random_uuid(), null, null) $$, 'PT400', null,
  'null event type: PT400');
select throws_ok($$ select private.emit_event('payout.paid', 'Payout', gen_random_uuid(), null, null) $$, 'PT400', null,
  'malformed entity type: PT400');
select throws_ok($$ select private.emit_event('payout.paid', 'payout', null, null, null) $$, 'PT400', null,
  'missing entity id: PT400');
select throws_ok($$ select private.emit_event('payout.paid', 'payout', gen_random_uuid(), null, null, '[1, 2]') $$, 'PT400', null,
  'payload that is not an object: PT400');

-- Events are facts: never updated, by anyone.
select throws_ok($$ update payout_events set payload = '{}' $$, '42501', null, 'UPDATE on the outbox raises 42501 (owner included)');
select lives_ok($$ delete from payout_events where entity_id = '90000000-0000-4000-8000-000000000001' $$,
  'the owner may delete old events (retention)');

-- RLS on, no API write privilege, no API role can emit; the definer read (it bypasses RLS) is
-- never for anon/authenticated. Read policies are the access layer's.
select is((select relrowsecurity from pg_class where oid = 'public.payout_events'::regclass), true, 'RLS enabled on the outbox');
select table_privs_are('public', 'payout_events', 'anon', '{}'::text[], 'anon: no privilege on the outbox');
select is(
  (select count(*)::int from unnest(array['anon', 'authenticated', 'service_role', 'payout_jobs']) r(role)
    where has_any_column_privilege(r.role, 'public.payout_events', 'insert,update')
       or has_table_privilege(r.role, 'public.payout_events', 'delete,truncate')),
  0, 'no API role and not payout_jobs can write the outbox');
select is(
  (select count(*)::int
     from unnest(array['anon', 'authenticated', 'service_role', 'payout_jobs']) r(role),
          unnest(array['private.emit_event(text,text,uuid,uuid,uuid,jsonb)',
                       'private.payout_events_page(xid8,bigint,integer,xid8)']::regprocedure[]) f(fn)
    where has_function_privilege(r.role, f.fn, 'execute')),
  0, 'no API role and not payout_jobs can emit events directly');
select is(
  (select count(*)::int from unnest(array['anon', 'authenticated']) r(role)
    where has_function_privilege(r.role, 'public.read_payout_events(xid8,bigint,integer)', 'execute')),
  0, 'anon and authenticated cannot call read_payout_events (security definer: it would bypass RLS)');
select tests.authenticate_as('00000000-0000-4000-8000-00000000a11c');
select throws_ok($$ select * from public.read_payout_events() $$, '42501', null, 'authenticated cannot call read_payout_events');
select throws_ok($$ select private.emit_event('payout.paid', 'payout', gen_random_uuid(), null, null) $$, '42501', null,
  'authenticated cannot call emit_event');
select tests.clear_authentication();

select * from finish();
rollback;
