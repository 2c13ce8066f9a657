-- A velocity cap is never overshot by concurrent claims, on two real connections (dblink).
-- Six due CHF tranches of 10 000 each, platform cap 35 000 a day. w1 claims three and holds its
-- transaction open (it holds the CHF cap lock); w2 claims the other three (skip locked) and waits
-- for the cap lock; w1 commits; w2 then reads the counter w1 left (30 000): none of its
-- tranches fits, all three are deferred (cap_reached). Without the lock, w2 would have read 0 and
-- claimed 30 000 more.
-- The fixtures are committed by a third connection (the others cannot see this test's
-- transaction) and removed again at the end (the audit trail keeps its rows).
begin;
set local search_path = public, extensions;
select plan(10);

create extension if not exists dblink with schema extensions;
create function pg_temp.conninfo() returns text language sql as $$
  select format('host=%s port=%s dbname=%s user=postgres',
    split_part(current_setting('unix_socket_directories'), ',', 1), current_setting('port'), current_database())
$$;
select dblink_connect('w0', pg_temp.conninfo());
select dblink_connect('w1', pg_temp.conninfo());
select dblink_connect('w2', pg_temp.conninfo());

-- committed setup: six placements of one recruiter each, invoiced and paid (due 2000-01-13 02:00)
create temp table made as
select * from dblink('w0', $q$
  with u as (
    select i, tests.create_user('caps-race-' || i || '-' || gen_random_uuid() || '@test.invalid') as uid
    from generate_series(1, 6) i
  ), r as (
    insert into public.recruiters (user_id, display_name) select uid, 'caps race ' || i from u returning id, display_name
  ), c as (
    insert into public.companies (name) values ('caps race') returning id
  )
  select r.id as recruiter_id, c.id as company_id, (select uid from u where 'caps race ' || u.i = r.display_name) as user_id
  from r, c
$q$) as t(recruiter_id uuid, company_id uuid, user_id uuid);
select dblink_exec('w0', format($q$
  do $d$
  declare
    v_rec uuid;
    v_pl uuid;
    v_inv uuid;
  begin
    foreach v_rec in array %L::uuid[] loop
      perform private.set_recruiter_connect_account(v_rec, 'acct_' || replace(gen_random_uuid()::text, '-', ''),
                                                    'active', '2000-01-01');
      v_pl := (private.create_placement(%L, 10000, 'CHF', '2000-01-01 10:00Z', 90, 0, 'caps race')).id;
      insert into public.placement_splits (placement_id, recruiter_id, role, share_bps)
      values (v_pl, v_rec, 'candidate_recruiter', 10000);
      v_inv := (private.record_placement_invoice(v_pl, null, null, 'open', '2000-01-02')).id;
      perform private.transition_placement_invoice(v_inv, 'paid', null, '2000-01-05 12:00Z');
    end loop;
    insert into private.payout_caps (currency, platform_daily_max) values ('CHF', 35000);
  end $d$ $q$, (select array_agg(recruiter_id) from made), (select min(company_id::text) from made)));
select is((select n from dblink('w0', $q$select count(*)::int from public.payouts where currency = 'CHF' and payable_amount = 10000$q$)
           as t(n int)), 6, 'six due CHF tranches of 10 000, cap 35 000 a day (committed)');

-- w1 claims three and keeps its transaction open
select dblink_exec('w1', 'begin');
create temp table w1_claim as
select * from dblink('w1', $q$select outcome, skip_reason, amount from private.claim_due_payout_schedules(
  '00000000-0000-4000-8000-00000000ca01', 3, null, '2000-01-13 02:00Z')$q$) as t(outcome text, skip_reason text, amount bigint);
select is((select array_agg(outcome order by outcome) from w1_claim), array['claimed', 'claimed', 'claimed'],
  'w1 claims three tranches (30 000 of 35 000), not yet committed');

-- w2 claims the other three and waits for the CHF cap lock
select dblink_exec('w2', 'begin');
select dblink_send_query('w2', $q$select outcome, skip_reason, amount /* caps_race */ from private.claim_due_payout_schedules(
  '00000000-0000-4000-8000-00000000ca02', 3, null, '2000-01-13 02:00Z')$q$);
do $$
begin
  for i in 1..6000 loop  -- up to a minute on a loaded machine
    perform pg_stat_clear_snapshot();
    exit when exists (select 1 from pg_stat_activity where wait_event_type = 'Lock' and wait_event = 'advisory'
                      and query like '%caps_race%' and pid <> pg_backend_pid());
    perform pg_sleep(0.01);
  end loop;
end $$;
select ok(exists (select 1 from pg_stat_activity where wait_event_type = 'Lock' and wait_event = 'advisory'
                  and query like '%caps_race%' and pid <> pg_backend_pid()),
  'w2 (the other three, skip locked) waits for the cap lock w1 holds');
select dblink_exec('w1', 'commit');
create temp table w2_claim as select * from dblink_get_result('w2') as t(outcome text, skip_reason text, amount bigint);
-- drain the connection (the end of w2's result), then commit w2
select count(*) from dblink_get_result('w2') as t(outcome text, skip_reason text, amount bigint);
select dblink_exec('w2', 'commit');

select is((select array_agg(outcome || ' ' || skip_reason) from w2_claim),
  array['skipped cap_reached', 'skipped cap_reached', 'skipped cap_reached'],
  'w2 then reads the counter w1 left: none of its tranches fits, all are deferred');
select is((select n from dblink('w0', $q$select coalesce(sum(amount), 0)::bigint from public.payout_transfers
                                         where currency = 'CHF' and status = 'pending'$q$) as t(n bigint)), 30000::bigint,
  'money in flight: 30 000, within the cap of 35 000 (never overshot)');
select is((select u from dblink('w0', $q$select used_amount || ' ' || (reached_at is not null) || ' ' || deferred_count
                                         from private.payout_cap_usage where currency = 'CHF' and recruiter_id is null$q$)
           as t(u text)), '30000 true 3', 'the platform counter: 30 000 used, closed, three deferred');
select is((select n from dblink('w0', $q$select count(*)::int from private.payout_cap_problems()$q$) as t(n int)), 0,
  'counters = Σ charges');
select is((select n from dblink('w0', $q$select count(*)::int from public.payout_schedules s join public.payouts po on po.id = s.payout_id
                                         where po.currency = 'CHF' and s.skip_reason = 'cap_reached'
                                           and s.next_attempt_at = '2000-01-14 02:00Z'$q$) as t(n int)), 3,
  'the three deferred tranches fall due the next day');
select is((select n from dblink('w0', $q$select count(*)::int from private.payout_problems() p
                                         join public.payouts po on po.id = p.payout_id where po.currency = 'CHF'$q$) as t(n int)), 0,
  'every payout consistent');

-- clean up what the connections committed (the audit trail keeps its rows): every row of these
-- placements, recruiters and company, without triggers (the guards refuse deletes of money rows)
select dblink_exec('w0', format($q$
  begin;
  set local session_replication_role = replica;
  do $d$
  declare
    r record;
  begin
    for r in select c.table_schema, c.table_name, c.column_name
             from information_schema.columns c
             join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
             where c.table_schema in ('public', 'private') and t.table_type = 'BASE TABLE'
               and c.column_name in ('placement_id', 'recruiter_id', 'company_id')
               and c.table_name not like 'payout_audit%%'
    loop
      execute format('delete from %%I.%%I where %%I = any (%%L)', r.table_schema, r.table_name, r.column_name,
        case r.column_name
          when 'placement_id' then (select array_agg(p.id) from public.placements p where p.company_id = %L)
          when 'recruiter_id' then %L::uuid[]
          else array[%L::uuid] end);
    end loop;
  end $d$;
  delete from public.placements where company_id = %L;
  delete from public.recruiters where id = any (%L::uuid[]);
  delete from public.companies where id = %L;
  delete from auth.users where id = any (%L::uuid[]);
  delete from private.payout_cap_usage where currency = 'CHF';
  delete from private.payout_caps where currency = 'CHF';
  commit;
  $q$, (select min(company_id::text) from made), (select array_agg(recruiter_id) from made), (select min(company_id::text) from made),
       (select min(company_id::text) from made), (select array_agg(recruiter_id) from made), (select min(company_id::text) from made),
       (select array_agg(user_id) from made)));
select is((select n from dblink('w0', $q$select (select count(*) from public.payouts where currency = 'CHF')
                                           + (select count(*) from public.payout_transfers where currency = 'CHF')
                                           + (select count(*) from private.payout_cap_usage where currency = 'CHF')
                                           + (select count(*) from private.payout_cap_charges where currency = 'CHF')$q$)
           as t(n bigint)), 0::bigint, 'cleaned up: nothing of the race is left for the next tests');
select dblink_disconnect('w0');
select dblink_disconnect('w1');
select dblink_disconnect('w2');

select * from finish();
rollback;
