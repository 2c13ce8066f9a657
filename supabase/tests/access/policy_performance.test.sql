-- Policy performance (docs/access.md): the recruiter-keyed policies are one b-tree range on
-- recruiter_id (helpers 20261128090000, columns and trigger 20261127100100, policies
-- 20261128090100), never "admin OR own", so a recruiter's unfiltered read is an index scan. This
-- file asserts plan shapes (never times) and that each caller sees the rows "admin OR own" gives.
--
-- Data: the access fixtures (model functions), plus a bulk set loaded as superuser with
-- session_replication_role = replica (no triggers, no foreign-key checks), because thousands of
-- rows through the model's transition functions (one by one, each with its audit and outbox
-- rows) would dominate the suite's run time: 500 recruiters,
-- 2000 placements of company Y, 4000 splits and payouts, each payout with one active hold, one
-- processed schedule and one succeeded tranche (buckets consistent: paid + held = amount),
-- payout_events and payout_audit_log rows about the payouts and about the placements (those
-- without a payout id). recruiter_id is written explicitly, as the triggers would have. The
-- audit rows are synthetic (entity_seq 1, a dummy hash): the chain is not under test here.
-- Everything is rolled back.
begin;
\ir _fixtures.psql
select plan(41);

-- ---------------------------------------------------------------------------------------------
-- Helpers
-- ---------------------------------------------------------------------------------------------
select is(
  (select array_agg(p.proname::text order by p.proname) from pg_proc p
    where p.pronamespace = 'private'::regnamespace
      and p.proname in ('visible_recruiter_id_min', 'visible_recruiter_id_max')
      and p.prosecdef and p.provolatile = 's' and array['search_path=""'] <@ p.proconfig
      and obj_description(p.oid, 'pg_proc') is not null
      and has_function_privilege('authenticated', p.oid, 'EXECUTE')
      and not has_function_privilege('anon', p.oid, 'EXECUTE')
      and not has_function_privilege('service_role', p.oid, 'EXECUTE')
      and not has_function_privilege('payout_jobs', p.oid, 'EXECUTE')),
  array['visible_recruiter_id_max', 'visible_recruiter_id_min'],
  'range helpers: security definer, stable, search_path '''', commented, executable by authenticated only');

create function pg_temp.bounds(p_actor text)
returns text language sql as $$
  select access_test.run_as(p_actor,
    'select coalesce((select private.visible_recruiter_id_min())::text, ''null'') || '' .. ''
         || coalesce((select private.visible_recruiter_id_max())::text, ''null'')')
$$;
select is(pg_temp.bounds('admin'), '00000000-0000-0000-0000-000000000000 .. ffffffff-ffff-ffff-ffff-ffffffffffff',
  'admin: every uuid');
select is(pg_temp.bounds('ra'), access_test.id('rA') || ' .. ' || access_test.id('rA'), 'recruiter: [own id, own id]');
select is(pg_temp.bounds('cadm'), 'null .. null', 'company admin: nothing');
select is(pg_temp.bounds('fake_admin'), 'null .. null', 'JWT claiming platform_admin: nothing');
select is(
  (select array_agg(a) from unnest(array['admin', 'ra', 'rb', 'rc', 'cadm', 'hm', 'other', 'nobody', 'fake_admin']) a
    where access_test.run_as(a, 'select (select private.visible_recruiter_id_min()) is not distinct from ''00000000-0000-0000-0000-000000000000''::uuid')
       <> access_test.run_as(a, 'select (select private.is_platform_admin())')),
  null, 'the helpers'' admin test agrees with private.is_platform_admin() for every actor');

-- ---------------------------------------------------------------------------------------------
-- Policy shape: one range predicate, no OR
-- ---------------------------------------------------------------------------------------------
select is(
  (select array_agg(t order by t) from unnest(array['escrow_holds', 'payout_audit_log', 'payout_events',
      'payout_schedules', 'payout_transfers', 'payouts', 'placement_splits', 'recruiters']) t
    where not exists (
      select 1 from pg_policies p
      where p.schemaname = 'public' and p.tablename = t
        and p.qual like '%>= ( SELECT private.visible_recruiter_id_min() AS visible_recruiter_id_min)%'
        and p.qual like '%<= ( SELECT private.visible_recruiter_id_max() AS visible_recruiter_id_max)%'
        and p.qual not like '% OR %')),
  null, 'recruiter-keyed policies: a range between the two wrapped helpers, without OR');
select is(
  (select array_agg(tablename || '.' || policyname) from pg_policies
    where schemaname = 'public'
      and tablename in ('escrow_holds', 'payout_audit_log', 'payout_events', 'payout_schedules', 'payout_transfers',
                        'payouts', 'placement_splits', 'recruiters')
      and policyname <> tablename || '_select'),
  null, 'still exactly one policy per table, <table>_select');

-- the key of each policy leads an index
select is(
  (select array_agg(x.idx order by x.idx) from (values
     ('payouts_recruiter_id_idx', 'recruiter_id'), ('placement_splits_recruiter_id_idx', 'recruiter_id'),
     ('recruiters_pkey', 'id'),
     ('escrow_holds_recruiter_id_idx', 'recruiter_id'),
     ('payout_schedules_recruiter_id_idx', 'recruiter_id'),
     ('payout_transfers_recruiter_id_idx', 'recruiter_id'),
     ('payout_audit_log_recruiter_visibility_idx',
      'COALESCE(recruiter_id, ''00000000-0000-0000-0000-000000000000''::uuid)'),
     ('payout_events_recruiter_visibility_idx',
      'COALESCE(recruiter_id, ''00000000-0000-0000-0000-000000000000''::uuid)')) x(idx, lead)
   where pg_get_indexdef(('public.' || x.idx)::regclass, 1, true) = x.lead),
  array['escrow_holds_recruiter_id_idx', 'payout_audit_log_recruiter_visibility_idx',
        'payout_events_recruiter_visibility_idx', 'payout_schedules_recruiter_id_idx',
        'payout_transfers_recruiter_id_idx', 'payouts_recruiter_id_idx',
        'placement_splits_recruiter_id_idx', 'recruiters_pkey'],
  'every policy key leads an index (the logs: the policy''s coalesce expression)');

-- ---------------------------------------------------------------------------------------------
-- The denormalized recruiter_id: set by trigger on the model's own insert paths, never chosen
-- by a writer, and its source never changes
-- ---------------------------------------------------------------------------------------------
create function pg_temp.mismatches(p_table regclass)
returns bigint language plpgsql as $$
declare v bigint;
begin
  execute format('select count(*) from %s t left join public.payouts p on p.id = t.payout_id
                  where t.recruiter_id is distinct from p.recruiter_id', p_table) into v;
  return v;
end $$;
select is(
  (select array_agg(t || ':' || n) from (
     select t, pg_temp.mismatches(t::regclass) as n
     from unnest(array['public.escrow_holds', 'public.payout_schedules', 'public.payout_transfers',
                       'public.payout_audit_log', 'public.payout_events']) t) x where n > 0),
  null, 'fixture rows written by the model''s functions carry their payout''s recruiter (null without a payout)');
select ok(
  (select count(*) from public.escrow_holds where payout_id = access_test.id('payA')) > 0
  and (select count(*) from public.payout_transfers where payout_id = access_test.id('payA')) > 0
  and (select count(*) from public.payout_schedules where payout_id = access_test.id('payA')) > 0
  and (select count(*) from public.payout_events where recruiter_id = access_test.id('rA')) > 0
  and (select count(*) from public.payout_audit_log where recruiter_id = access_test.id('rA')) > 0
  and (select count(*) from public.payout_audit_log where payout_id is null and recruiter_id is null) > 0,
  'the fixtures exercise every insert path (holds, schedule, claim, events, audit rows with and without a payout)');

-- a writer cannot choose it: the trigger puts the payout's recruiter back
create function pg_temp.in_transition(p_sql text)
returns text language plpgsql as $$
declare
  v_prev jsonb := private.enter_transition('test.spoof', 'policy performance test');
  v_result text;
begin
  execute p_sql into v_result;
  perform private.leave_transition(v_prev);
  return v_result;
exception when others then
  return 'ERROR ' || sqlstate;
end $$;
select is(
  pg_temp.in_transition(format(
    'update public.escrow_holds set recruiter_id = %L where id = %L returning access_test.label(recruiter_id)',
    access_test.id('rC'), access_test.id('holdA'))),
  'rA', 'an update setting another recruiter_id gets the payout''s recruiter back (trigger)');
select private.emit_event('test.emitted', 'payout', access_test.id('payB'), null, access_test.id('payB')) as event_id \gset
select is((select access_test.label(recruiter_id) from public.payout_events where id = :event_id),
  'rB', 'an emitted event gets its payout''s recruiter');

-- and the source of the copies never changes
select is(
  pg_temp.in_transition(format('update public.payouts set recruiter_id = %L where id = %L returning 1',
                               access_test.id('rC'), access_test.id('payA'))),
  'ERROR 42501', 'payouts.recruiter_id is immutable, inside a transition too (the copies never go stale)');
select is(
  pg_temp.in_transition(format('update public.payouts set recruiter_id = recruiter_id where id = %L returning 1',
                               access_test.id('payA'))),
  '1', 'an update that keeps payouts.recruiter_id passes');
select throws_ok(
  $$insert into public.recruiters (id, user_id, display_name)
    values ('00000000-0000-0000-0000-000000000000', access_test.id('u_nobody'), 'Nil')$$,
  '23514', null, 'no recruiter may have the nil uuid (the logs'' key for rows about no payout)');

-- ---------------------------------------------------------------------------------------------
-- Bulk data (see the header)
-- ---------------------------------------------------------------------------------------------
set local session_replication_role = replica;
create temp table bulk_rec as
  select n, gen_random_uuid() as id, gen_random_uuid() as user_id from generate_series(0, 499) n;
insert into auth.users (id, email, aud, role, raw_app_meta_data)
  select user_id, 'perf-' || n || '@test.invalid', 'authenticated', 'authenticated', '{"provider":"email"}' from bulk_rec;
insert into public.recruiters (id, user_id, display_name, stripe_connect_account_id, stripe_transfers_capability)
  select id, user_id, 'Perf recruiter ' || n, 'acct_perf' || n, 'active' from bulk_rec;
select access_test.remember('u_perf' || n, user_id) from bulk_rec where n in (7, 8);
create temp table bulk_pl as
  select n, gen_random_uuid() as id, (100000 + n * 100)::bigint as fee,
         timestamptz '2000-02-01' + n * interval '1 minute' as created
  from generate_series(0, 1999) n;
insert into public.placements (id, company_id, title, fee_amount, currency, holdback_bps, hired_at, guarantee_days,
  guarantee_expires_at, status, activated_at, splits_locked_at, platform_amount, created_at, updated_at)
select id, access_test.id('Y'), 'Perf ' || n, fee, 'USD', 2000, created, 90, created + interval '90 days', 'active',
       created, created, fee - 2 * (fee * 4000 / 10000), created, created
from bulk_pl;
insert into public.placement_invoices (placement_id, currency, amount_due, status, paid_at, collectible_at,
  stripe_invoice_id, created_at, updated_at)
select id, 'USD', fee, 'paid', created + interval '1 day', created + interval '8 days', 'in_perf' || n, created, created
from bulk_pl;
create temp table bulk_po as
  select gen_random_uuid() as split_id, gen_random_uuid() as id, gen_random_uuid() as hold_id,
         gen_random_uuid() as schedule_id, gen_random_uuid() as transfer_id,
         pl.id as placement_id, r.id as recruiter_id, r.n as rn, k.role, pl.fee * 4000 / 10000 as amount,
         pl.created + k.k * interval '1 second' as created
  from bulk_pl pl
  cross join (values (0, 'candidate_recruiter'), (1, 'company_recruiter')) k(k, role)
  join bulk_rec r on r.n = (2 * pl.n + k.k) % 500;
insert into public.placement_splits (id, placement_id, recruiter_id, role, share_bps, created_at, updated_at)
select split_id, placement_id, recruiter_id, role, 4000, created, created from bulk_po;
insert into public.payouts (id, placement_id, split_id, recruiter_id, currency, amount, paid_amount, held_amount,
  status, created_at, updated_at)
select id, placement_id, split_id, recruiter_id, 'USD', amount, amount - amount / 5, amount / 5, 'partially_paid',
       created, created
from bulk_po;
insert into public.escrow_holds (id, placement_id, payout_id, recruiter_id, currency, hold_amount, hold_reason,
  held_at, release_scheduled_date, status, created_at, updated_at)
select hold_id, placement_id, id, recruiter_id, 'USD', amount / 5, 'guarantee_period', created,
       (created + interval '91 days')::date, 'active', created, created
from bulk_po;
insert into public.payout_schedules (id, payout_id, placement_id, recruiter_id, status, trigger_event, scheduled_date,
  processed_at, max_attempts, claimed_by_run, claimed_at, created_at, updated_at)
select schedule_id, id, placement_id, recruiter_id, 'processed', 'invoice.collectible', (created + interval '9 days')::date,
       created + interval '9 days', 3, '00000000-0000-4000-8000-0000000000aa', created + interval '9 days', created, created
from bulk_po;
insert into public.payout_transfers (id, payout_id, placement_id, schedule_id, recruiter_id, currency, amount,
  destination_account_id, attempt_number, idempotency_key, status, stripe_transfer_id, claimed_by_run, succeeded_at,
  created_at, updated_at)
select transfer_id, id, placement_id, schedule_id, recruiter_id, 'USD', amount - amount / 5, 'acct_perf' || rn, 1,
       'payout_transfer:' || transfer_id, 'succeeded', 'tr_perf' || replace(transfer_id::text, '-', ''),
       '00000000-0000-4000-8000-0000000000aa', created + interval '9 days', created, created
from bulk_po;
-- The logs are partitioned by month: the months of this made-up history first.
select private.ensure_monthly_partitions(t, '2000-02-01', 1)
  from unnest(array['public.payout_events', 'public.payout_audit_log']::regclass[]) t;
insert into public.payout_events (event_type, entity_type, entity_id, placement_id, payout_id, recruiter_id, actor_role,
  created_at)
select 'payout.created', 'payout', id, placement_id, id, recruiter_id, 'system', created from bulk_po
union all
select 'placement.created', 'placement', id, id, null, null, 'system', created from bulk_pl;
insert into public.payout_audit_log (entity_type, entity_id, placement_id, payout_id, recruiter_id, operation, action,
  new_values, changed_by_role, created_at, entity_seq, row_hash)
select 'payout', id, placement_id, id, recruiter_id, 'INSERT', 'insert', '{}'::jsonb, 'system', created, 1,
       sha256(convert_to(id::text, 'UTF8'))
from bulk_po
union all
select 'placement', id, id, null, null, 'INSERT', 'insert', '{}'::jsonb, 'system', created, 1,
       sha256(convert_to(id::text, 'UTF8'))
from bulk_pl;
set local session_replication_role = origin;
analyze public.recruiters, public.placement_splits, public.payouts, public.escrow_holds, public.payout_schedules,
        public.payout_transfers, public.payout_events, public.payout_audit_log;

-- ---------------------------------------------------------------------------------------------
-- Plan shape
-- ---------------------------------------------------------------------------------------------
-- How a relation is read in an EXPLAIN (FORMAT JSON) plan: 'Seq Scan' if it is scanned
-- sequentially anywhere, else the indexes used for it (Index [Only] Scan, or the Bitmap Index
-- Scans under its Bitmap Heap Scan), comma-separated. A partitioned table (the logs) is read
-- through its partitions: their scans count as its own (but for tiny ones), their indexes by
-- the parent index.
create function pg_temp.access_path(p_plan jsonb, p_relation text)
returns text language sql as $$
  with parts as (
    select p_relation as relname
    union all
    select c.relname::text from pg_inherits i join pg_class c on c.oid = i.inhrelid
     where i.inhparent = to_regclass('public.' || p_relation)
       and c.relpages > 8  -- a month of a few pages (the fixtures') is read whole, rightly
  ),
  nodes as (
    select n from jsonb_path_query(p_plan, 'strict $.**') n
    where jsonb_typeof(n) = 'object' and n ->> 'Relation Name' in (select relname from parts)
  ),
  used as (
    select n ->> 'Index Name' as i from nodes where n ? 'Index Name'
    union all
    select x #>> '{}' from nodes, jsonb_path_query(n, 'strict $.Plans.**."Index Name"') x
     where n ->> 'Node Type' = 'Bitmap Heap Scan'
  )
  select case
    when exists (select 1 from nodes where n ->> 'Node Type' = 'Seq Scan') then 'Seq Scan'
    else (select string_agg(distinct coalesce(
                   (select pc.relname::text from pg_class ic
                      join pg_inherits ii on ii.inhrelid = ic.oid
                      join pg_class pc on pc.oid = ii.inhparent
                     where ic.relname = u.i and ic.relkind = 'i'), u.i), ',')
            from used u)
  end
$$;
create function pg_temp.plan_as(p_actor text, p_sql text)
returns jsonb language sql as $$
  select access_test.run_as(p_actor, 'explain (format json) ' || p_sql)::jsonb
$$;
create function pg_temp.plan_as_owner(p_sql text)
returns jsonb language plpgsql as $$
declare
  v jsonb;
begin
  execute 'explain (format json) ' || p_sql into v;
  return v;
end $$;

-- The data is large enough for the plan to matter: the old "admin OR own" predicates, as an
-- owner's WHERE clause on the same data (the owner bypasses RLS), are sequential scans.
select is(pg_temp.access_path(pg_temp.plan_as_owner(
  format('select * from public.payouts where (select false) or recruiter_id = (select %L::uuid)
          order by created_at desc limit 50', access_test.id('rA'))), 'payouts'),
  'Seq Scan', 'anchor: the old payouts predicate (admin OR own) is a sequential scan');
select is(pg_temp.access_path(pg_temp.plan_as_owner(
  format('select * from public.escrow_holds where (select false)
            or payout_id = any (array(select id from public.payouts where recruiter_id = %L))
          order by created_at desc limit 50', access_test.id('rA'))), 'escrow_holds'),
  'Seq Scan', 'anchor: the old child predicate (admin OR payout_id = any (my payouts)) is a sequential scan');

-- A recruiter's unfiltered page of each table (what supabase-js sends for
-- from(t).select().order('created_at', {ascending: false}).limit(50)) reads the policy's index.
select is(pg_temp.access_path(pg_temp.plan_as('ra', 'select * from public.payouts order by created_at desc limit 50'),
  'payouts'), 'payouts_recruiter_id_idx', 'recruiter, payouts: index on recruiter_id, no Seq Scan');
select is(pg_temp.access_path(pg_temp.plan_as('ra',
  'select * from public.placement_splits order by created_at desc limit 50'), 'placement_splits'),
  'placement_splits_recruiter_id_idx', 'recruiter, placement_splits: index on recruiter_id');
select is(pg_temp.access_path(pg_temp.plan_as('ra',
  'select * from public.escrow_holds order by created_at desc limit 50'), 'escrow_holds'),
  'escrow_holds_recruiter_id_idx', 'recruiter, escrow_holds: index on recruiter_id');
select is(pg_temp.access_path(pg_temp.plan_as('ra',
  'select * from public.payout_schedules order by created_at desc limit 50'), 'payout_schedules'),
  'payout_schedules_recruiter_id_idx', 'recruiter, payout_schedules: index on recruiter_id');
select is(pg_temp.access_path(pg_temp.plan_as('ra',
  'select * from public.payout_transfers order by created_at desc limit 50'), 'payout_transfers'),
  'payout_transfers_recruiter_id_idx', 'recruiter, payout_transfers: index on recruiter_id');
select is(pg_temp.access_path(pg_temp.plan_as('ra',
  'select * from public.payout_events order by created_at desc limit 50'), 'payout_events'),
  'payout_events_recruiter_visibility_idx', 'recruiter, payout_events: the visibility index');
select is(pg_temp.access_path(pg_temp.plan_as('ra',
  'select * from public.payout_audit_trail order by created_at desc limit 50'), 'payout_audit_log'),
  'payout_audit_log_recruiter_visibility_idx', 'recruiter, payout_audit_trail (view): the visibility index');
select is(pg_temp.access_path(pg_temp.plan_as('ra', 'select * from public.recruiters'), 'recruiters'),
  'recruiters_pkey', 'recruiter, recruiters: the primary key');
-- a filter from the frontend still works alongside the policy
select matches(pg_temp.access_path(pg_temp.plan_as('ra',
  format('select * from public.payout_events where payout_id = %L', access_test.id('payA'))), 'payout_events'),
  '^([a-z_]+,)?payout_events_payout_idx(,[a-z_]+)?$',
  'recruiter, payout_events?payout_id=eq.: the payout index (alone or with the policy''s), no Seq Scan');
-- admins: no sequential scan either (the range covers every uuid)
select is(pg_temp.access_path(pg_temp.plan_as('admin', 'select * from public.payouts order by created_at desc limit 50'),
  'payouts'), 'payouts_recruiter_id_idx', 'admin, payouts: the same range, on the same index');

-- ---------------------------------------------------------------------------------------------
-- Behaviour: on the bulk data too, each caller sees exactly the rows of the old policies
-- ---------------------------------------------------------------------------------------------
-- The "admin OR own" predicates of the first design, evaluated as the owner with the actor's claims.
create temp table old_policies (relation text primary key, predicate text not null);
insert into old_policies values
  ('public.recruiters', '(select private.is_platform_admin()) or user_id = (select auth.uid())'),
  ('public.placement_splits', '(select private.is_platform_admin()) or recruiter_id = (select private.my_recruiter_id())'),
  ('public.payouts', '(select private.is_platform_admin()) or recruiter_id = (select private.my_recruiter_id())'),
  ('public.escrow_holds', '(select private.is_platform_admin()) or payout_id = any (array(select private.my_payout_ids()))'),
  ('public.payout_schedules', '(select private.is_platform_admin()) or payout_id = any (array(select private.my_payout_ids()))'),
  ('public.payout_transfers', '(select private.is_platform_admin()) or payout_id = any (array(select private.my_payout_ids()))'),
  ('public.payout_audit_log', '(select private.is_platform_admin()) or payout_id = any (array(select private.my_payout_ids()))'),
  ('public.payout_events', '(select private.is_platform_admin()) or payout_id = any (array(select private.my_payout_ids()))');

create function pg_temp.digest_sql(p_relation text, p_where text default 'true')
returns text language sql as $$
  select format('select count(*) || '' '' || coalesce(md5(string_agg(id::text, '','' order by id)), ''-'') from %s where %s',
                p_relation, p_where)
$$;
create function pg_temp.old_digest(p_actor text, p_relation text)
returns text language plpgsql as $$
declare
  v text;
begin
  perform set_config('request.jwt.claims', json_build_object('sub', access_test.id('u_' || p_actor), 'role', 'authenticated')::text, true);
  execute pg_temp.digest_sql(p_relation, (select predicate from old_policies where relation = p_relation)) into v;
  perform set_config('request.jwt.claims', '', true);
  return v;
end $$;

select is(
  (select array_agg(o.relation || ' as ' || a.actor || ': ' || access_test.run_as(a.actor, pg_temp.digest_sql(o.relation))
                    || ' <> ' || pg_temp.old_digest(a.actor, o.relation))
     from old_policies o cross join unnest(array['admin', 'ra', 'rb', 'rc', 'perf7', 'perf8', 'cadm', 'nobody']) a(actor)
    where access_test.run_as(a.actor, pg_temp.digest_sql(o.relation)) <> pg_temp.old_digest(a.actor, o.relation)),
  null, 'every actor sees exactly the rows of the old policies on every recruiter-keyed table (counts and ids)');

-- and the numbers are the expected ones, so the comparison above is not vacuous
select is(access_test.run_as('perf7', 'select count(*) from public.payouts'), '8', 'a bulk recruiter: their 8 payouts');
select is(access_test.run_as('perf7', 'select count(*) from public.payout_events'), '8', 'a bulk recruiter: their 8 events');
select is(access_test.run_as('perf7', 'select count(*) from public.payout_audit_trail'), '8',
  'a bulk recruiter: their 8 audit rows');
select is(access_test.run_as('perf7', 'select count(*) from public.escrow_holds') || '/'
          || access_test.run_as('perf7', 'select count(*) from public.payout_schedules') || '/'
          || access_test.run_as('perf7', 'select count(*) from public.payout_transfers'), '8/8/8',
  'a bulk recruiter: their 8 holds, schedules and tranches');
select is(access_test.run_as('admin', 'select count(*) from public.payout_events'),
          (select count(*)::text from public.payout_events), 'admin: every event, also those about no payout');
select is(access_test.run_as('admin', 'select count(*) from public.payout_audit_log'),
          (select count(*)::text from public.payout_audit_log), 'admin: every audit row, also those about no payout');
select is(access_test.run_as('ra', 'select count(*) from public.payout_events where payout_id is null'), '0',
  'recruiter: no event about no payout');
select is(access_test.run_as('nobody', 'select count(*) from public.payout_events'), '0', 'signed in, no role: nothing');

-- the same through the views built on these tables
select is(access_test.run_as('perf8', 'select count(*) from public.placement_escrow_holds'), '8',
  'placement_escrow_holds: a bulk recruiter sees their 8 holds');
select is(access_test.run_as('ra', 'select string_agg(access_test.label(id), '','') from public.placement_escrow_holds'),
  'holdA', 'placement_escrow_holds: A still sees only hold A');
select is(access_test.run_as('other', 'select count(*) from public.placement_escrow_holds'),
  (select count(*)::text from public.escrow_holds h join public.placements p on p.id = h.placement_id
    where p.company_id = access_test.id('Y')),
  'placement_escrow_holds: the admin of company Y sees every hold of its placements (bulk included)');
select is(access_test.run_as('admin', 'select count(*) from public.placement_escrow_holds'),
  (select count(*)::text from public.escrow_holds), 'placement_escrow_holds: a platform admin sees every hold');

select * from finish();
rollback;
