-- The consumer read: events in (txid, id) order, only from transactions older than the
-- snapshot's xmin, after a (txid, id) cursor. A naive "id > last id" consumer skips an event
-- whose transaction took its id early and committed late; this read never does.
--
-- Concurrency cannot happen inside one test transaction, so transactions are modelled with
-- explicit txid values (a high range no real transaction reaches) and the snapshot boundary
-- is injected into private.payout_events_page (public.read_payout_events passes the real one,
-- pg_snapshot_xmin(pg_current_snapshot())). Every transaction below xmin has finished; rows of
-- a running or aborted transaction are invisible anyway.
begin;
set local search_path = public, extensions;
select plan(15);

create schema tests_tmp;
create function tests_tmp.x(n bigint) returns xid8 language sql immutable
as $$ select (9000000000000000000 + n)::text::xid8 $$;
create function tests_tmp.put(p_txid bigint, p_name text) returns bigint language sql
as $$ insert into public.payout_events (event_type, entity_type, entity_id, payload, actor_role, txid)
      values ('payout.paid', 'payout', gen_random_uuid(), jsonb_build_object('name', p_name), 'system', tests_tmp.x(p_txid))
      returning id $$;
-- The names of the events a read returns, in order.
create function tests_tmp.read(p_after_txid xid8, p_after_id bigint, p_xmin bigint, p_limit int default 100)
returns text[] language sql
as $$ select coalesce(array_agg(e.payload ->> 'name' order by e.txid, e.id), '{}')
        from private.payout_events_page(p_after_txid, p_after_id, p_limit, tests_tmp.x(p_xmin)) e $$;

-- T100 takes its id first, T200 second; T200 commits first while T100 is still running.
select tests_tmp.put(100, 'late');   -- lower id, commits late
select tests_tmp.put(200, 'early');  -- higher id, commits first
create temporary table ids on commit drop as
select (select id from payout_events where payload ->> 'name' = 'late') as late,
       (select id from payout_events where payload ->> 'name' = 'early') as early;
select ok((select late < early from ids), 'the late-committing event has the lower id');

-- While T100 runs, xmin <= 100: nothing of T100 or later is final.
select is(tests_tmp.read(tests_tmp.x(0), 0, 100), '{}'::text[],
  'while T100 runs, the safe read holds back T200''s committed event too');
-- What a naive id cursor would have done: read "early", remember its id, never see "late".
select is((select count(*)::int from payout_events where id > (select early from ids) and payload ? 'name'), 0,
  'an id > last-id consumer that read "early" has already passed "late" (the skip)');

-- T100 commits: xmin moves past both.
select is(tests_tmp.read(tests_tmp.x(0), 0, 201), array['late', 'early'],
  'once T100 finished, both come, in (txid, id) order: nothing skipped');

-- Cursor semantics: strictly after (txid, id).
select is(tests_tmp.read(tests_tmp.x(100), (select late from ids), 201), array['early'],
  'after the cursor of "late" comes "early"');
select is(tests_tmp.read(tests_tmp.x(200), (select early from ids), 201), '{}'::text[],
  'after the cursor of the last event: nothing, nothing twice');

-- A transaction that got its xid first but inserted last: its id is higher, its txid lower.
select tests_tmp.put(300, 'x300');  -- lower id, higher txid
select tests_tmp.put(250, 'x250');  -- higher id, lower txid
select is(tests_tmp.read(tests_tmp.x(200), (select early from ids), 280), array['x250'],
  'xmin 280: only T250 is final');
select is(
  tests_tmp.read(tests_tmp.x(250), (select id from payout_events where payload ->> 'name' = 'x250'), 400),
  array['x300'],
  'after the cursor of T250, T300''s event comes although its id is lower (an id cursor would skip it)');

-- Several events of one transaction keep their insert order; paging with a small limit.
select tests_tmp.put(500, 'a'), tests_tmp.put(500, 'b'), tests_tmp.put(500, 'c');
select is(tests_tmp.read(tests_tmp.x(400), 0, 501), array['a', 'b', 'c'], 'one transaction: insert order');
select is(tests_tmp.read(tests_tmp.x(400), 0, 501, 2), array['a', 'b'], 'limit 2: first page');
select is(
  tests_tmp.read(tests_tmp.x(500), (select id from payout_events where payload ->> 'name' = 'b'), 501, 2),
  array['c'], 'next page from the last row of the previous one');

-- The public read uses the real snapshot: this test's own (running) transaction is not final,
-- an event of a long-finished transaction is.
select private.emit_event('payout.paid', 'payout', gen_random_uuid(), null, null, '{"name": "mine"}');
insert into payout_events (event_type, entity_type, entity_id, payload, actor_role, txid)
values ('payout.paid', 'payout', gen_random_uuid(), '{"name": "old"}', 'system', '3');
select is(
  (select array_agg(payload ->> 'name') from public.read_payout_events('0', 0, 1000) where payload ->> 'name' in ('mine', 'old')),
  array['old'],
  'read_payout_events: the event of the running transaction is held back, the finished one is returned');

select throws_ok($$ select * from public.read_payout_events('0', 0, 0) $$, 'PT400', null, 'limit 0: PT400');
select throws_ok($$ select * from public.read_payout_events('0', 0, 1001) $$, 'PT400', null, 'limit over 1000: PT400');
select throws_ok($$ select * from public.read_payout_events('0', 0, null) $$, 'PT400', null, 'null limit: PT400');

select * from finish();
rollback;
