-- One approval executes at most once, on two real connections (dblink): admins a2 and a3 both
-- approve a1's request to grant a platform admin. w1 approves and holds its transaction open
-- (the request row is locked); w2's approval waits on that lock; w1 commits; w2 re-reads the
-- request, finds it executed and fails with PT409. The grant happened once, audited once.
-- The users, admins and request are committed by the connections (other connections cannot
-- see this test's transaction) and removed again at the end.
begin;
set local search_path = public, extensions;
select plan(9);

create extension if not exists dblink with schema extensions;
create function pg_temp.conninfo() returns text language sql as $$
  select format('host=%s port=%s dbname=%s user=postgres',
    split_part(current_setting('unix_socket_directories'), ',', 1), current_setting('port'), current_database())
$$;
select dblink_connect('w0', pg_temp.conninfo());
select dblink_connect('w1', pg_temp.conninfo());
select dblink_connect('w2', pg_temp.conninfo());

-- committed setup: three admins and a user to grant
create temp table people as
select x.label, (select id from dblink('w0', format('select tests.create_user(%L)', 'race-' || x.label || '-' || gen_random_uuid() || '@test.invalid'))
                 as t(id uuid)) as id
from unnest(array['a1', 'a2', 'a3', 'grantee']) x(label);
create function pg_temp.who(p_label text) returns uuid language sql as $$ select id from people where label = p_label $$;
select dblink_exec('w0', format('insert into public.platform_admins (user_id) values (%L), (%L), (%L)',
                                pg_temp.who('a1'), pg_temp.who('a2'), pg_temp.who('a3')));

-- a1 asks (committed)
select dblink_exec('w0', 'begin');
select * from dblink('w0', format('select tests.authenticate_as(%L)::text', pg_temp.who('a1'))) as t(x text);
create temp table req as
select id from dblink('w0', format($q$select (public.request_admin_action('grant_platform_admin', %L) ->> 'id')::uuid$q$,
                                   jsonb_build_object('p_user_id', pg_temp.who('grantee')))) as t(id uuid);
select dblink_exec('w0', 'commit');
select is((select count(*)::int from private.admin_action_requests where id = (select id from req) and status = 'pending'), 1,
          'a1''s request is pending (committed)');

-- w1: a2 approves, transaction open
select dblink_exec('w1', 'begin');
select * from dblink('w1', format('select tests.authenticate_as(%L)::text', pg_temp.who('a2'))) as t(x text);
select is((select s from dblink('w1', format($q$select public.approve_admin_action(%L, 'race w1') ->> 'status'$q$, (select id from req)))
           as t(s text)), 'executed', 'w1 (a2) approves: executed, not yet committed');

-- w2: a3 approves the same request and waits on the request's row lock
select dblink_exec('w2', 'begin');
select * from dblink('w2', format('select tests.authenticate_as(%L)::text', pg_temp.who('a3'))) as t(x text);
select dblink_send_query('w2', format($q$select public.approve_admin_action(%L, 'race w2') ->> 'status' /* four_eyes_race */$q$,
                                      (select id from req)));
do $$
begin
  for i in 1..1000 loop
    perform pg_stat_clear_snapshot();  -- pg_stat_activity is read once per transaction otherwise
    exit when exists (select 1 from pg_stat_activity where wait_event_type = 'Lock' and query like '%four_eyes_race%'
                      and pid <> pg_backend_pid());
    perform pg_sleep(0.01);
  end loop;
end $$;
select ok(exists (select 1 from pg_stat_activity where wait_event_type = 'Lock' and query like '%four_eyes_race%'
                  and pid <> pg_backend_pid()), 'w2 (a3) waits for the request w1 holds');
select dblink_exec('w1', 'commit');
create temp table w2_result as select * from dblink_get_result('w2', false) as t(s text);
select ok(dblink_error_message('w2') like '%admin action request % is already executed%',
          'w2 fails: the request is already executed (' || dblink_error_message('w2') || ')');
-- drain the connection (the end of w2's result), then end its transaction
select count(*) from dblink_get_result('w2', false) as t(s text);
select dblink_exec('w2', 'rollback');

select is((select status || ' ' || decided_by from private.admin_action_requests where id = (select id from req)),
          'executed ' || pg_temp.who('a2'), 'the request: executed once, decided by a2');
select is((select count(*)::int from platform_admins where user_id = pg_temp.who('grantee')), 1, 'the grantee is an admin once');
select is((select granted_by from platform_admins where user_id = pg_temp.who('grantee')), pg_temp.who('a2'), '... granted by a2');
select is((select count(*)::int from payout_audit_log where entity_type = 'platform_admin' and action = 'platform_admin.grant'
             and new_values ->> 'user_id' = pg_temp.who('grantee')::text), 1, 'one grant in the audit trail');
select is((select count(*)::int from payout_audit_log where entity_type = 'admin_action_request' and entity_id = (select id from req)
             and action = 'admin_action.approve'), 1, 'one approval in the audit trail');

-- clean up what the connections committed (the audit trail keeps its rows)
select dblink_exec('w0', format('delete from private.admin_action_requests where id = %L', (select id from req)));
select dblink_exec('w0', format('delete from auth.users where id in (%L, %L, %L, %L)', pg_temp.who('a1'), pg_temp.who('a2'),
                                pg_temp.who('a3'), pg_temp.who('grantee')));
select dblink_disconnect('w0');
select dblink_disconnect('w1');
select dblink_disconnect('w2');

select * from finish();
rollback;
