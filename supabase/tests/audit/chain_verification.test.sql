-- public.verify_payout_audit_chain: silent on an intact log; reports an edited row, an inserted
-- row, a deleted middle/first/newest row, a deleted anchor. The tampering is done as the
-- superuser with triggers disabled (session_replication_role = replica), the only way past
-- the append-only triggers.
begin;
set local search_path = public, extensions;
select plan(16);

create schema tests_tmp;
create table tests_tmp.widget (id uuid primary key, placement_id uuid, payout_id uuid, amount bigint);
select private.enable_audit('tests_tmp.widget', 'widget');

-- Eleven entities with a 4-row chain each (insert + 3 updates, 3 statements of 11 rows).
insert into tests_tmp.widget (id, amount)
select ('70000000-0000-4000-8000-0000000000' || lpad(g::text, 2, '0'))::uuid, 0 from generate_series(1, 11) g;
update tests_tmp.widget set amount = amount + 1;
update tests_tmp.widget set amount = amount + 1;
update tests_tmp.widget set amount = amount + 1;

select is((select count(*)::int from payout_audit_log where entity_type = 'widget'), 44, '11 chains of 4 rows');
select is_empty($$ select * from verify_payout_audit_chain('widget') $$, 'an intact log verifies clean');
select is((select count(*)::int from private.payout_audit_chain_heads where entity_type = 'widget' and row_count = 4), 11,
  'each entity''s anchor holds its row count');

-- A helper to name the chains: entity n.
create function tests_tmp.w(n int) returns uuid language sql immutable
as $$ select ('70000000-0000-4000-8000-0000000000' || lpad(n::text, 2, '0'))::uuid $$;

set local session_replication_role = replica;

-- 1: an edited row (amount changed in new_values).
update payout_audit_log set new_values = jsonb_set(new_values, '{amount}', '1000000')
 where entity_id = tests_tmp.w(1) and entity_seq = 2;
-- 2: an edited row whose hash was recomputed: the next row no longer links to it.
update payout_audit_log set reason = 'nothing to see' where entity_id = tests_tmp.w(2) and entity_seq = 2;
update payout_audit_log l set row_hash = private.payout_audit_row_hash(l) where entity_id = tests_tmp.w(2) and entity_seq = 2;
-- 3: the newest row edited and rehashed: only the anchor disagrees.
update payout_audit_log set changed_by_role = 'platform_admin', changed_by = gen_random_uuid()
 where entity_id = tests_tmp.w(3) and entity_seq = 4;
update payout_audit_log l set row_hash = private.payout_audit_row_hash(l) where entity_id = tests_tmp.w(3) and entity_seq = 4;
-- 4: a deleted middle row.
delete from payout_audit_log where entity_id = tests_tmp.w(4) and entity_seq = 2;
-- 5: the deleted newest row (the chain that is left is internally consistent).
delete from payout_audit_log where entity_id = tests_tmp.w(5) and entity_seq = 4;
-- 6: the deleted first row.
delete from payout_audit_log where entity_id = tests_tmp.w(6) and entity_seq = 1;
-- 7: a forged row appended with a correct link and a correct hash.
insert into payout_audit_log (entity_type, entity_id, operation, action, old_values, new_values,
                              changed_by_role, entity_seq, prev_hash, row_hash)
select 'widget', tests_tmp.w(7), 'UPDATE', 'update', l.new_values, jsonb_set(l.new_values, '{amount}', '0'),
       'system', 5, l.row_hash, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea
  from payout_audit_log l where l.entity_id = tests_tmp.w(7) and l.entity_seq = 4;
update payout_audit_log l set row_hash = private.payout_audit_row_hash(l) where entity_id = tests_tmp.w(7) and entity_seq = 5;
-- 8: a forged row appended with a made-up hash.
insert into payout_audit_log (entity_type, entity_id, operation, action, old_values, new_values,
                              changed_by_role, entity_seq, prev_hash, row_hash)
select 'widget', tests_tmp.w(8), 'DELETE', 'delete', l.new_values, null,
       'system', 5, l.row_hash, sha256('forged')
  from payout_audit_log l where l.entity_id = tests_tmp.w(8) and l.entity_seq = 4;
-- 9: a forged history for an entity that never existed.
insert into payout_audit_log (entity_type, entity_id, operation, action, new_values, changed_by_role, entity_seq, row_hash)
values ('widget', tests_tmp.w(99), 'INSERT', 'insert', '{"amount": 5}', 'system', 1,
        '\x0000000000000000000000000000000000000000000000000000000000000000');
update payout_audit_log l set row_hash = private.payout_audit_row_hash(l) where entity_id = tests_tmp.w(99);
-- 10: every row of an entity deleted.
delete from payout_audit_log where entity_id = tests_tmp.w(10);
-- 11: the anchor deleted.
delete from private.payout_audit_chain_heads where entity_id = tests_tmp.w(11);

set local session_replication_role = origin;

select results_eq($$ select entity_seq, problem from verify_payout_audit_chain('widget', tests_tmp.w(1)) $$,
  $$ values (2::bigint, 'row_hash_mismatch') $$, 'edited row: row_hash_mismatch on that row');
select results_eq($$ select entity_seq, problem from verify_payout_audit_chain('widget', tests_tmp.w(2)) $$,
  $$ values (3::bigint, 'prev_hash_mismatch') $$, 'edited and rehashed row: the next row''s prev_hash_mismatch');
select results_eq($$ select entity_seq, problem from verify_payout_audit_chain('widget', tests_tmp.w(3)) $$,
  $$ values (4::bigint, 'head_mismatch') $$, 'edited and rehashed newest row: head_mismatch');
select results_eq($$ select entity_seq, problem from verify_payout_audit_chain('widget', tests_tmp.w(4)) $$,
  $$ values (3::bigint, 'prev_hash_mismatch'), (3::bigint, 'seq_gap'), (4::bigint, 'head_mismatch') $$,
  'deleted middle row: the next row''s prev_hash_mismatch and seq_gap, and the anchor''s count');
select results_eq($$ select entity_seq, problem from verify_payout_audit_chain('widget', tests_tmp.w(5)) $$,
  $$ values (3::bigint, 'head_mismatch') $$, 'deleted newest row: head_mismatch');
select results_eq($$ select entity_seq, problem from verify_payout_audit_chain('widget', tests_tmp.w(6)) $$,
  $$ values (2::bigint, 'prev_hash_mismatch'), (2::bigint, 'seq_gap'), (4::bigint, 'head_mismatch') $$,
  'deleted first row: prev_hash_mismatch and seq_gap, and the anchor''s count');
select results_eq($$ select entity_seq, problem from verify_payout_audit_chain('widget', tests_tmp.w(7)) $$,
  $$ values (5::bigint, 'head_mismatch') $$, 'inserted row with a correct hash: head_mismatch');
select results_eq($$ select entity_seq, problem from verify_payout_audit_chain('widget', tests_tmp.w(8)) $$,
  $$ values (5::bigint, 'head_mismatch'), (5::bigint, 'row_hash_mismatch') $$, 'inserted row with a made-up hash: row_hash_mismatch, head_mismatch');
select results_eq($$ select entity_seq, problem from verify_payout_audit_chain('widget', tests_tmp.w(99)) $$,
  $$ values (1::bigint, 'head_missing') $$, 'forged entity: head_missing');
select results_eq($$ select entity_seq, audit_id, problem from verify_payout_audit_chain('widget', tests_tmp.w(10)) $$,
  $$ values (4::bigint, null::bigint, 'head_orphan') $$, 'all rows of an entity deleted: head_orphan');
select results_eq($$ select entity_seq, problem from verify_payout_audit_chain('widget', tests_tmp.w(11)) $$,
  $$ values (4::bigint, 'head_missing') $$, 'deleted anchor: head_missing');

-- The unfiltered walk reports exactly the tampered entities (and nothing for the intact ones).
select results_eq(
  $$ select count(distinct entity_id)::int from verify_payout_audit_chain() where entity_type = 'widget' $$,
  $$ values (11) $$, 'the full walk reports the 11 tampered entities, every one of them');

-- Rows keep being chained after tampering elsewhere: a new write on an intact entity verifies.
insert into tests_tmp.widget (id, amount) values ('70000000-0000-4000-8000-000000000050', 1);
select is_empty($$ select * from verify_payout_audit_chain('widget', '70000000-0000-4000-8000-000000000050') $$,
  'a fresh chain next to tampered ones verifies clean');

select * from finish();
rollback;
