-- The audit writer never forks a chain, even for a writer that holds no row lock: two real
-- connections (dblink) append to the same entity's chain; the second read the head before the
-- first committed, so its head move finds the head elsewhere and it fails with 40001, writing
-- nothing. The chain stays one line. (On the trigger path the row lock already serializes the
-- writers of an entity; this is the guarantee behind it.)
-- The probe entity is committed by the connections and stays in the log (append-only): a random
-- id of its own entity type, a clean two-row chain.
begin;
set local search_path = public, extensions;
select plan(6);

create extension if not exists dblink with schema extensions;
create function pg_temp.conninfo() returns text language sql as $$
  select format('host=%s port=%s dbname=%s user=postgres',
    split_part(current_setting('unix_socket_directories'), ',', 1), current_setting('port'), current_database())
$$;
select dblink_connect('w1', pg_temp.conninfo());
select dblink_connect('w2', pg_temp.conninfo());

create temp table probe as select gen_random_uuid() as id;
create function pg_temp.append_sql(p_amount int) returns text language sql as $$
  select format($q$select private.append_payout_audit_rows('race_probe', %L,
                   array[row(%L, null, null, null, %L, %L)::private.payout_audit_change])$q$,
                case when p_amount = 1 then 'INSERT' else 'UPDATE' end,
                (select id from probe),
                case when p_amount = 1 then null else jsonb_build_object('amount', p_amount - 1) end,
                jsonb_build_object('amount', p_amount))
$$;

-- The chain's first row, committed.
select is((select n from dblink('w1', pg_temp.append_sql(1)) as t(n int)), 1, 'first row written and committed');

-- w1 appends the second row and holds its transaction open (the head row stays locked).
select dblink_exec('w1', 'begin');
select is((select n from dblink('w1', pg_temp.append_sql(2)) as t(n int)), 1, 'w1 appends, not yet committed');
-- w2 reads the committed head (position 1), writes position 2, and waits on the head's lock.
select dblink_send_query('w2', pg_temp.append_sql(3));
-- Wait until w2 is blocked on the lock (a condition, polled; not a timing assumption).
do $$
begin
  for i in 1..6000 loop  -- up to a minute on a loaded machine
    -- pg_stat_activity is a snapshot taken once per transaction: drop it to see w2 now
    perform pg_stat_clear_snapshot();
    exit when exists (select 1 from pg_stat_activity
                       where wait_event_type = 'Lock' and query like '%race_probe%');
    perform pg_sleep(0.01);
  end loop;
end $$;
select ok(exists (select 1 from pg_stat_activity where wait_event_type = 'Lock' and query like '%race_probe%'),
  'w2 waits for the head w1 holds');
select dblink_exec('w1', 'commit');
create temp table w2_result as select * from dblink_get_result('w2', false) as t(n int);
select ok(dblink_error_message('w2') like '%audit chain of race_probe moved concurrently%',
  'w2 failed: the head had moved since it read it (' || dblink_error_message('w2') || ')');
select dblink_disconnect('w1');
select dblink_disconnect('w2');

select is((select count(*)::int from payout_audit_log where entity_id = (select id from probe)), 2,
  'the chain holds the first row and w1''s, nothing of w2''s');
select is_empty($$ select * from verify_payout_audit_chain('race_probe', (select id from probe)) $$,
  'and it verifies: one line, no fork');

select * from finish();
rollback;
