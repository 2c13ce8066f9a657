-- Outbox consumer registry and retention: register (idempotent), commit a cursor (monotonic,
-- PT409 backwards or past the committed-safe boundary, PT404 unknown), and prune: only events at
-- or before every registered consumer's cursor AND older than the floor, in bounded batches.
-- Transactions are modelled with explicit low txids (below any snapshot's xmin); time is injected.
begin;
set local search_path = public, extensions;
select plan(27);

delete from private.payout_event_consumers;
create schema tests_tmp;
create function tests_tmp.put(p_txid bigint, p_name text, p_created timestamptz) returns bigint language sql
as $$ insert into public.payout_events (event_type, entity_type, entity_id, payload, actor_role, txid, created_at)
      values ('payout.paid', 'payout', gen_random_uuid(), jsonb_build_object('registry_test', p_name), 'system',
              p_txid::text::xid8, p_created)
      returning id $$;
create function tests_tmp.left_events() returns text[] language sql
as $$ select coalesce(array_agg(e.payload ->> 'registry_test' order by e.txid, e.id), '{}')
        from public.payout_events e where e.payload ? 'registry_test' $$;
create function tests_tmp.id_of(p_name text) returns bigint language sql
as $$ select e.id from public.payout_events e where e.payload ->> 'registry_test' = p_name $$;

-- ---------------------------------------------------------------------------------------------
-- register
-- ---------------------------------------------------------------------------------------------
select is((select cursor_txid::text || '/' || cursor_id || '/' || registered_at || '/' || updated_at
           from private.register_payout_event_consumer('crm-sync', '2027-01-01 00:00+00')),
  '0/0/2027-01-01 00:00:00+00/2027-01-01 00:00:00+00', 'a new consumer starts at cursor (0, 0), registered at p_now');
select throws_ok($$ select private.register_payout_event_consumer('Bad Name', now()) $$, 'PT400', null, 'a malformed name: PT400');
select throws_ok($$ select private.register_payout_event_consumer(null, now()) $$, 'PT400', null, 'a null name: PT400');
select throws_ok($$ select private.register_payout_event_consumer('crm-sync', null) $$, 'PT400', null, 'a null p_now: PT400');

-- events: a, b, c old (txids 10, 20, 30), d recent (txid 40)
select tests_tmp.put(10, 'a', '2027-01-01 00:00+00');
select tests_tmp.put(20, 'b', '2027-01-02 00:00+00');
select tests_tmp.put(30, 'c', '2027-01-03 00:00+00');
select tests_tmp.put(40, 'd', '2027-03-30 00:00+00');

-- ---------------------------------------------------------------------------------------------
-- commit
-- ---------------------------------------------------------------------------------------------
select is((select cursor_txid::text || '/' || (cursor_id = tests_tmp.id_of('b')) || '/' || updated_at
           from private.commit_payout_event_cursor('crm-sync', '20', tests_tmp.id_of('b'), '2027-01-05 00:00+00')),
  '20/true/2027-01-05 00:00:00+00', 'commit moves the cursor forward and stamps updated_at');
select lives_ok($$ select private.commit_payout_event_cursor('crm-sync', '20', tests_tmp.id_of('b'), '2027-01-05 00:01+00') $$,
  'committing the same cursor again is a no-op');
select throws_ok($$ select private.commit_payout_event_cursor('crm-sync', '10', tests_tmp.id_of('a'), '2027-01-05 00:02+00') $$,
  'PT409', null, 'a cursor moving backwards: PT409');
select throws_ok($$ select private.commit_payout_event_cursor('crm-sync', '20', tests_tmp.id_of('b') - 1, '2027-01-05 00:02+00') $$,
  'PT409', null, '... also within the same transaction (row comparison on (txid, id))');
select throws_ok($$ select private.commit_payout_event_cursor('nobody', '20', 1, now()) $$,
  'PT404', null, 'an unknown consumer: PT404');
select throws_ok($$ select private.commit_payout_event_cursor('crm-sync', pg_current_xact_id(), 1, now()) $$,
  'PT409', null, 'a cursor at or past the snapshot''s xmin (no safe read returns it): PT409');
select throws_ok($$ select private.commit_payout_event_cursor('crm-sync', null, 1, now()) $$,
  'PT400', null, 'a null txid: PT400');
select throws_ok($$ select private.commit_payout_event_cursor('crm-sync', '20', -1, now()) $$,
  'PT400', null, 'a negative id: PT400');
select is((select cursor_txid::text from private.payout_event_consumers where name = 'crm-sync'), '20',
  'refused commits left the cursor where it was');
select is((select cursor_txid::text || '/' || registered_at from private.register_payout_event_consumer('crm-sync', '2027-02-01 00:00+00')),
  '20/2027-01-01 00:00:00+00', 'registering again keeps the cursor and the registration time');

-- ---------------------------------------------------------------------------------------------
-- prune
-- ---------------------------------------------------------------------------------------------
select throws_ok($$ select private.prune_payout_events('2027-04-01', interval '-1 day') $$, 'PT400', null, 'a negative floor: PT400');
select throws_ok($$ select private.prune_payout_events('2027-04-01', p_batch_size => 0) $$, 'PT400', null, 'a batch size of 0: PT400');
select throws_ok($$ select private.prune_payout_events(null) $$, 'PT400', null, 'a null p_now: PT400');

-- a second consumer that never committed holds everything back
select private.register_payout_event_consumer('ledger-export', '2027-01-01 00:00+00');
select is(private.prune_payout_events('2027-04-01 00:00+00'), 0::bigint, 'a registered consumer at (0, 0) holds every event back');
select private.commit_payout_event_cursor('ledger-export', '40', tests_tmp.id_of('d'), '2027-03-31 00:00+00');
-- now the minimum cursor is crm-sync's (20, b)
select is(private.prune_payout_events('2027-04-01 00:00+00', p_batch_size => 1, p_max_batches => 1), 1::bigint,
  'bounded: one batch of one event per call');
select is(tests_tmp.left_events(), array['b', 'c', 'd'], '... the oldest first, in (txid, id) order');
select is(private.prune_payout_events('2027-04-01 00:00+00'), 1::bigint, 'the next call takes the rest up to the minimum cursor');
select is(tests_tmp.left_events(), array['c', 'd'], 'c is past crm-sync''s cursor: kept although old');
select private.commit_payout_event_cursor('crm-sync', '40', tests_tmp.id_of('d'), '2027-03-31 00:00+00');
select is(private.prune_payout_events('2027-04-01 00:00+00'), 1::bigint, 'every consumer past c: c goes');
select is(tests_tmp.left_events(), array['d'], 'd, committed by all but younger than the 30-day floor, stays');

-- no consumer registered: the floor alone (consumers that never registered)
delete from private.payout_event_consumers;
select tests_tmp.put(50, 'e', '2027-03-01 00:00+00');
select is((private.cleanup_payout_job_history('2027-05-15 00:00+00') ->> 'payout_events')::int >= 2, true,
  'no registered consumer: the floor alone; cleanup_payout_job_history runs the outbox retention');
select is(tests_tmp.left_events(), '{}'::text[], 'every event older than 30 days is gone');

-- ---------------------------------------------------------------------------------------------
-- privileges: the owner's only
-- ---------------------------------------------------------------------------------------------
select is((select count(*)::int
           from unnest(array['anon', 'authenticated', 'service_role', 'payout_jobs', 'payout_runner', 'payout_worker']) r(role)
           cross join unnest(array['private.register_payout_event_consumer(text, timestamptz)'::regprocedure,
                                   'private.commit_payout_event_cursor(text, xid8, bigint, timestamptz)'::regprocedure,
                                   'private.prune_payout_events(timestamptz, interval, integer, integer)'::regprocedure]) f(fn)
           where has_function_privilege(r.role, f.fn, 'execute'))
        + (select count(*)::int
           from unnest(array['anon', 'authenticated', 'service_role', 'payout_jobs', 'payout_runner', 'payout_worker']) r(role)
           where has_table_privilege(r.role, 'private.payout_event_consumers', 'select, insert, update, delete')),
  0, 'no API or job role executes the registry functions or touches the registry table');

select * from finish();
rollback;
