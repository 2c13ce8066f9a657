-- Two admins erase the same person at once, on two real connections (dblink): w1 erases and
-- holds its transaction open (the person's row is locked); w2's erasure waits on that lock; w1
-- commits; w2 then finds the person erased and fails with PT409. One erasure, one audit row, one
-- event. The users are committed by the connections (other connections cannot see this test's
-- transaction) and removed again at the end.
begin;
set local search_path = public, extensions;
select plan(6);

create extension if not exists dblink with schema extensions;
create function pg_temp.conninfo() returns text language sql as $$
  select format('host=%s port=%s dbname=%s user=postgres',
    split_part(current_setting('unix_socket_directories'), ',', 1), current_setting('port'), current_database())
$$;
select dblink_connect('w0', pg_temp.conninfo());
select dblink_connect('w1', pg_temp.conninfo());
select dblink_connect('w2', pg_temp.conninfo());

-- committed setup: two admins and a company contact
create temp table people as
select x.label, (select id from dblink('w0', format('select tests.create_user(%L)', 'erase-race-' || x.label || '-' || gen_random_uuid() || '@test.invalid'))
                 as t(id uuid)) as id
from unnest(array['a1', 'a2', 'contact']) x(label);
create function pg_temp.who(p_label text) returns uuid language sql as $$ select id from people where label = p_label $$;
select dblink_exec('w0', format('insert into public.platform_admins (user_id) values (%L), (%L)', pg_temp.who('a1'), pg_temp.who('a2')));

-- w1: a1 erases the contact, transaction open
select dblink_exec('w1', 'begin');
select * from dblink('w1', format('select tests.authenticate_as(%L)::text', pg_temp.who('a1'))) as t(x text);
select is((select s from dblink('w1', format($q$select public.erase_personal_data('user', %L) ->> 'subject_id'$q$, pg_temp.who('contact')))
           as t(s text)), pg_temp.who('contact')::text, 'w1 (a1) erases the contact, not yet committed');

-- w2: a2 erases the same contact and waits on the row lock
select dblink_exec('w2', 'begin');
select * from dblink('w2', format('select tests.authenticate_as(%L)::text', pg_temp.who('a2'))) as t(x text);
select dblink_send_query('w2', format($q$select public.erase_personal_data('user', %L)::text /* erasure_race */$q$, pg_temp.who('contact')));
do $$
begin
  for i in 1..1000 loop
    perform pg_stat_clear_snapshot();  -- pg_stat_activity is read once per transaction otherwise
    exit when exists (select 1 from pg_stat_activity where wait_event_type = 'Lock' and query like '%erasure_race%'
                      and pid <> pg_backend_pid());
    perform pg_sleep(0.01);
  end loop;
end $$;
select ok(exists (select 1 from pg_stat_activity where wait_event_type = 'Lock' and query like '%erasure_race%'
                  and pid <> pg_backend_pid()), 'w2 (a2) waits for the person w1 holds');
select dblink_exec('w1', 'commit');
create temp table w2_result as select * from dblink_get_result('w2', false) as t(s text);
select ok(dblink_error_message('w2') like '%is already erased%',
          'w2 fails: already erased (' || dblink_error_message('w2') || ')');
select count(*) from dblink_get_result('w2', false) as t(s text);
select dblink_exec('w2', 'rollback');

create temp table erasure as
  select id, erased_by from private.personal_data_erasures where subject_type = 'user' and subject_id = pg_temp.who('contact');
select is((select array_agg(erased_by) from erasure), array[pg_temp.who('a1')], 'one erasure, by a1');
select is((select count(*)::int from payout_audit_log where entity_type = 'personal_data_erasure' and entity_id = (select id from erasure)), 1,
  'one erasure in the audit trail');
select is((select count(*)::int from payout_events where event_type = 'personal_data.erased' and entity_id = (select id from erasure)), 1,
  'one personal_data.erased event');

-- clean up what the connections committed (the audit trail and the outbox keep their rows; the
-- erasure row is append-only, so its removal bypasses the guard as the owner)
select dblink_exec('w0', format($q$begin; set local session_replication_role = replica;
  delete from private.personal_data_erasures where id = %L; commit$q$, (select id from erasure)));
select dblink_exec('w0', format('delete from auth.users where id in (%L, %L, %L)', pg_temp.who('a1'), pg_temp.who('a2'), pg_temp.who('contact')));
select dblink_disconnect('w0');
select dblink_disconnect('w1');
select dblink_disconnect('w2');

select * from finish();
rollback;
