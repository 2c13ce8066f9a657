-- The hash of an audit row depends on the row only, never on session settings: rows written
-- under one TimeZone/DateStyle/IntervalStyle/extra_float_digits/bytea_output verify under any
-- other, and a fixed row has a fixed, externally reproducible hash (pins the canonical form).
begin;
set local search_path = public, extensions;
select plan(9);

-- A known vector. The canonical text is the jsonb array
--   ["payout_audit_log/v1", 42, "payout", "1111...", 2, "2222...", "1111...", "UPDATE",
--    "payout.approve", {old}, {new}, "3333...", "platform_admin", "approved after review — ok",
--    "12345", 1795770000123456, "0011...eeff"]
-- and sha256 of its UTF-8 bytes is the value below (recomputed with Python's hashlib in
-- docs/audit-and-outbox.md). Changing the canonical form breaks every stored chain: bump the
-- version tag and keep verifying old rows with the old form instead.
create temporary table known_row on commit drop as
select jsonb_populate_record(null::public.payout_audit_log, $json${
  "id": 42, "entity_type": "payout", "entity_id": "11111111-1111-4111-8111-111111111111",
  "placement_id": "22222222-2222-4222-8222-222222222222", "payout_id": "11111111-1111-4111-8111-111111111111",
  "operation": "UPDATE", "action": "payout.approve",
  "old_values": {"status": "pending", "amount_minor": 125000, "currency": "EUR"},
  "new_values": {"status": "approved", "amount_minor": 125000, "currency": "EUR"},
  "changed_by": "33333333-3333-4333-8333-333333333333", "changed_by_role": "platform_admin",
  "reason": "approved after review — ok", "txid": "12345",
  "created_at": "2026-11-27T09:00:00.123456Z", "entity_seq": 2,
  "prev_hash": "\\x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"}$json$::jsonb) as r;

select is((select encode(private.payout_audit_row_hash(r), 'hex') from known_row),
  'fd1fb4650f480c57df7e58b5422aa77298fac6b3c18d06f61722dd0c3db86793', 'known vector under default settings');

set local timezone = 'Pacific/Chatham';
set local datestyle = 'SQL, DMY';
set local intervalstyle = 'postgres_verbose';
set local extra_float_digits = -15;
set local bytea_output = 'escape';
select is((select encode(private.payout_audit_row_hash(r), 'hex') from known_row),
  'fd1fb4650f480c57df7e58b5422aa77298fac6b3c18d06f61722dd0c3db86793',
  'same hash under TimeZone Pacific/Chatham, DateStyle SQL/DMY, IntervalStyle postgres_verbose, extra_float_digits -15, bytea_output escape');

-- Rows written under exotic settings, with columns whose text form depends on them.
create schema tests_tmp;
create table tests_tmp.widget (
  id uuid primary key, placement_id uuid, payout_id uuid, amount bigint,
  due_at timestamptz, due_on date, lease interval, ratio double precision, blob bytea
);
select private.enable_audit('tests_tmp.widget', 'widget');
insert into tests_tmp.widget values
  ('80000000-0000-4000-8000-000000000001', null, null, 1, '2026-11-27 23:30:00+00', '2026-11-28', '1 day 02:00', 0.1, '\xdeadbeef');
update tests_tmp.widget set ratio = 1.0 / 3, lease = lease * 2, due_at = due_at + interval '1 second';

reset timezone; reset datestyle; reset intervalstyle; reset extra_float_digits; reset bytea_output;
select is_empty($$ select * from verify_payout_audit_chain('widget') $$,
  'rows written under exotic settings verify under the defaults');
select is((select count(*)::int from payout_audit_log l where entity_type = 'widget' and private.payout_audit_row_hash(l) = l.row_hash), 2,
  'every stored row_hash is recomputed identically');

set local timezone = 'America/St_Johns';
set local datestyle = 'German';
set local extra_float_digits = 3;
insert into tests_tmp.widget values
  ('80000000-0000-4000-8000-000000000002', null, null, 2, now(), current_date, '-3 hours', 2.5e-300, '\x00');
set local timezone = 'Asia/Kathmandu';
set local datestyle = 'Postgres, MDY';
set local extra_float_digits = 0;
select is_empty($$ select * from verify_payout_audit_chain('widget') $$,
  'and rows written under one set of settings verify under another');

-- created_at is hashed to the microsecond.
select isnt(
  (select private.payout_audit_row_hash(r) from known_row),
  (select private.payout_audit_row_hash(jsonb_populate_record(r, '{"created_at": "2026-11-27T09:00:00.123457Z"}')) from known_row),
  'one microsecond later is another hash');
-- The same instant written in another offset is the same hash.
select is(
  (select private.payout_audit_row_hash(r) from known_row),
  (select private.payout_audit_row_hash(jsonb_populate_record(r, '{"created_at": "2026-11-27T14:45:00.123456+05:45"}')) from known_row),
  'the same instant in another offset is the same hash');
-- Every column counts: a different reason is a different hash, and so is a different prev_hash.
select isnt(
  (select private.payout_audit_row_hash(r) from known_row),
  (select private.payout_audit_row_hash(jsonb_populate_record(r, '{"reason": "approved after review - ok"}')) from known_row),
  'a one-character change of the reason is another hash');
select isnt(
  (select private.payout_audit_row_hash(r) from known_row),
  (select private.payout_audit_row_hash(jsonb_populate_record(r, '{"prev_hash": "\\x00112233445566778899aabbccddeeff00112233445566778899aabbccddeefe"}')) from known_row),
  'another prev_hash is another hash');

select * from finish();
rollback;
