-- The statement-level writer, the monthly partitions and incremental verification:
--   * one statement of n rows: n audit rows, n heads moved, chains intact;
--   * a head moved behind the writer's back makes it fail with 40001 and write nothing;
--   * direct INSERTs into the log or a partition are refused; TRUNCATE of a partition too;
--   * new partitions get the parent's statement triggers; a detached partition is reported;
--   * incremental verification reads only new rows, moves checkpoints, detects an edited new
--     row, chains its digest, and the anchor of a day is that day's last digest;
--   * the digests detect an edit of an already verified row.
begin;
set local search_path = public, extensions;
select plan(31);

create schema tests_tmp;
create table tests_tmp.widget (id uuid primary key, placement_id uuid, payout_id uuid, amount bigint);
select private.enable_audit('tests_tmp.widget', 'widget');
create function tests_tmp.w(n int) returns uuid language sql immutable
as $$ select ('71000000-0000-4000-8000-0000000000' || lpad(n::text, 2, '0'))::uuid $$;

-- Nothing before this test is verified by it: start the incremental cursor at the present.
select ok((select rows_verified >= 0 from private.verify_new_payout_audit_rows('2026-12-01 10:00Z')),
  'a first incremental run covers whatever the log already holds');

insert into tests_tmp.widget (id, amount) select tests_tmp.w(g), 0 from generate_series(1, 20) g;
update tests_tmp.widget set amount = amount + 1 where amount = 0;
select is((select count(*)::int from payout_audit_log where entity_type = 'widget'), 40,
  'two statements of 20 rows: 40 audit rows');
select is((select count(*)::int from private.payout_audit_chain_heads where entity_type = 'widget' and row_count = 2), 20,
  'every head moved once per statement');
select is((select count(distinct txid)::int from payout_audit_log where entity_type = 'widget'), 1,
  'one transaction id on all of them');
select is_empty($$ select * from verify_payout_audit_chain('widget') $$, 'the chains verify');
select is((select array_agg(distinct recruiter_id) from payout_audit_log where entity_type = 'widget'), array[null::uuid],
  'rows about no payout carry no recruiter');

-- Only the writer inserts.
select throws_ok($$ insert into payout_audit_log (entity_type, entity_id, operation, action, new_values, changed_by_role, entity_seq, row_hash)
                   values ('widget', gen_random_uuid(), 'INSERT', 'insert', '{}', 'system', 1, sha256('x')) $$,
  '42501', null, 'a direct INSERT into the log is refused, even for the owner');
select throws_ok(format($$ insert into %s (entity_type, entity_id, operation, action, new_values, changed_by_role, entity_seq, row_hash)
                   values ('widget', gen_random_uuid(), 'INSERT', 'insert', '{}', 'system', 1, sha256('x')) $$,
                 (select partition_name from private.monthly_partitions where parent = 'public.payout_audit_log'::regclass
                   and range_start <= now() and range_end > now())),
  '42501', null, 'a direct INSERT into a partition is refused');
select throws_ok(format('truncate %s', (select partition_name from private.monthly_partitions
                   where parent = 'public.payout_audit_log'::regclass and range_start <= now() and range_end > now())),
  '42501', null, 'TRUNCATE of a partition is refused');

-- Partitions: three months ahead, created idempotently, with the parent's statement triggers.
select ok((select count(*) >= 4 from private.monthly_partitions where parent = 'public.payout_audit_log'::regclass),
  'this month and three ahead exist for the log');
select ok((select count(*) >= 4 from private.monthly_partitions where parent = 'public.payout_events'::regclass),
  'and for the outbox');
select is(private.ensure_monthly_partitions('public.payout_audit_log', now(), 3), 0, 'ensuring them again creates nothing');
select is(private.ensure_monthly_partitions('public.payout_audit_log', '2031-05-17 12:00Z', 0), 1, 'a far month is created on demand');
select set_eq(
  $$ select tgname::text from pg_trigger where tgrelid = 'private.payout_audit_log_y2031m05'::regclass and not tgisinternal and tgparentid = 0 $$,
  $$ values ('payout_audit_log_refuse_truncate'), ('payout_audit_log_insert_guard') $$,
  'a new partition gets the parent''s statement triggers (its row triggers are cloned by Postgres)');
select throws_ok($$ select private.ensure_monthly_partitions('tests_tmp.widget', now(), 1) $$, 'PT400', null,
  'a table that is not partitioned is refused');
select throws_ok($$ select private.ensure_monthly_partitions('public.payout_audit_log', 'infinity', 1) $$, 'PT400', null,
  'an infinite start is refused');
select set_eq(
  $$ select tgname::text from pg_trigger where tgrelid = 'private.payout_audit_log_y2031m05'::regclass and tgparentid <> 0 $$,
  $$ values ('payout_audit_log_refuse_update_delete') $$,
  'the append-only row trigger is cloned onto new partitions');

-- A detached partition is named by both verifiers.
alter table public.payout_audit_log detach partition private.payout_audit_log_y2031m05;
select results_eq($$ select problem from verify_payout_audit_chain('widget') $$,
  $$ values ('partition_missing') $$, 'full verification names a detached partition');
select results_eq($$ select entity_type from verify_payout_audit_chain('widget') $$,
  $$ values ('private.payout_audit_log_y2031m05') $$, 'by its name');
alter table public.payout_audit_log attach partition private.payout_audit_log_y2031m05
  for values from ('2031-05-01 00:00Z') to ('2031-06-01 00:00Z');
select is_empty($$ select * from verify_payout_audit_chain('widget') $$, 'attached again: clean');

-- Incremental verification. Inside one test transaction no row of ours is below the snapshot's
-- xmin, so the window's end is injected (p_xmin), as for the outbox's page function.
create function tests_tmp.past_us() returns xid8 language sql
as $$ select ((pg_current_xact_id()::text)::bigint + 1)::text::xid8 $$;
select is((select rows_verified from private.verify_new_payout_audit_rows('2026-12-01 11:00Z')), 0::bigint,
  'rows of a transaction still running are not final: not in the window');
select ok((select rows_verified >= 40 from private.verify_new_payout_audit_rows('2026-12-01 12:00Z', 200000, tests_tmp.past_us())),
  'once final, they are verified');
select is((select count(*)::int from private.payout_audit_checkpoints where entity_type = 'widget' and verified_seq = 2), 20,
  'each touched chain''s checkpoint moved to its tail');

update tests_tmp.widget set amount = amount + 1 where id in (tests_tmp.w(1), tests_tmp.w(2));
select results_eq(
  $$ select rows_verified, chains_verified, problems from private.verify_new_payout_audit_rows('2026-12-01 13:00Z', 200000, tests_tmp.past_us()) $$,
  $$ values (2::bigint, 2::bigint, '[]'::jsonb) $$,
  'the next run reads only the 2 new rows and their 2 chains, from their checkpoints');

update tests_tmp.widget set amount = amount + 1 where id = tests_tmp.w(5);
set local session_replication_role = replica;
update payout_audit_log set new_values = jsonb_set(new_values, '{amount}', '999')
 where entity_id = tests_tmp.w(5) and entity_seq = 3;
set local session_replication_role = origin;
select is(
  (select problems -> 0 ->> 'problem' from private.verify_new_payout_audit_rows('2026-12-01 14:00Z', 200000, tests_tmp.past_us())),
  'row_hash_mismatch', 'an edited new row is reported by the incremental run');
select is((select verified_seq from private.payout_audit_checkpoints where entity_id = tests_tmp.w(5)), 2::bigint,
  'and the broken chain keeps its checkpoint');

-- Digests chain the runs; the anchor of a day is its last run's digest.
select is((select count(*)::int from private.payout_audit_verifications v
            where v.prev_digest is distinct from (select w.digest from private.payout_audit_verifications w
                                                   where w.id < v.id order by w.id desc limit 1)), 0,
  'each run''s digest chains to the one before');
select is((select digest from private.payout_audit_anchor('2026-12-01')),
          (select encode(digest, 'hex') from private.payout_audit_verifications order by id desc limit 1),
  'the anchor of the day is its last run''s digest');
select throws_ok($$ select * from private.payout_audit_anchor('1999-01-01') $$, 'PT404', null,
  'no anchor before the first run');
select is_empty($$ select * from private.verify_payout_audit_digests() $$, 'recomputed digests match the runs');
-- An already verified row edited and rehashed (its chain then breaks too, but the digest names
-- the run that had verified it).
set local session_replication_role = replica;
update payout_audit_log set reason = 'rewritten' where entity_id = tests_tmp.w(1) and entity_seq = 1;
update payout_audit_log l set row_hash = private.payout_audit_row_hash(l) where entity_id = tests_tmp.w(1) and entity_seq = 1;
set local session_replication_role = origin;
select results_eq($$ select v.id from private.verify_payout_audit_digests() d join private.payout_audit_verifications v on v.id = d.verification_id $$,
  $$ select id from private.payout_audit_verifications where verified_at = '2026-12-01 12:00Z' $$,
  'recomputing the digests finds the run that verified the rewritten row');

select * from finish();
rollback;
