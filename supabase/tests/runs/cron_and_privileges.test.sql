-- Cron is code (one idempotent setup function, no literals in the jobs), the cleanup job, and who
-- may do what: payout_worker (the functions' login) runs the run functions through payout_runner,
-- nobody else (no API role, not payout_jobs) executes any of them or reads the run tables.
begin;
set local search_path = public, extensions;
select plan(23);

-- ---------------------------------------------------------------------------------------------
-- cron setup
-- ---------------------------------------------------------------------------------------------
select cron.schedule('payouts-obsolete-job', '5 5 * * *', 'select 1');
create temp table jobs as select * from private.setup_payout_cron();
select is((select array_agg(jobname || ' | ' || schedule || ' | ' || command order by jobname) from jobs),
  array['payouts-audit | 7 * * * * | select private.maintain_payout_audit()',
        'payouts-cleanup | 17 4 * * * | select private.cleanup_payout_job_history()',
        'payouts-doorbell | * * * * * | select private.payout_doorbell()',
        'payouts-escrow-doorbell | * * * * * | select private.escrow_release_doorbell()'],
  'four jobs: the two per-minute doorbells, the hourly audit maintenance and the daily cleanup');
select is((select count(*)::int from cron.job where jobname = 'payouts-obsolete-job'), 0,
  'every payouts-* job it does not define any more is removed');
select is((select count(*)::int from private.setup_payout_cron()), 4, 'idempotent: run again, the same four jobs');
select is((select count(*)::int from cron.job where jobname like 'payouts-%'), 4, '... and no duplicates');
select is((select count(*)::int from cron.job where jobname like 'payouts-%'
           and (command ~* '(http|secret|key|bearer|supabase\.co)')), 0,
  'no URL, key or secret in any job: they come from Vault at run time');
select is((select count(*)::int from private.setup_payout_cron(true, '*/2 * * * *')), 4, 'schedules are parameters');
select is((select schedule from cron.job where jobname = 'payouts-doorbell'), '*/2 * * * *', '... applied');
select is((select count(*)::int from private.setup_payout_cron(false)), 0, 'setup_payout_cron(false) removes them');

-- ---------------------------------------------------------------------------------------------
-- cleanup
-- ---------------------------------------------------------------------------------------------
insert into net._http_response (id, status_code, created) values
  (-101, 202, now() - interval '2 days'), (-102, 202, now() - interval '1 hour');
insert into private.payout_doorbell_rings (kind, rung_at, request_id, reasons) values
  ('payout_schedules', now() - interval '40 days', -101, '{due_schedules}'),
  ('payout_schedules', now() - interval '1 day', -102, '{due_schedules}');
select is((select (r ->> 'http_responses')::int >= 1 and (r ->> 'doorbell_rings')::int >= 1
           from private.cleanup_payout_job_history() r), true, 'cleanup deletes old responses and rings');
select is((select array_agg(id order by id) from net._http_response where id in (-101, -102)), array[-102::bigint],
  '... older than a day for pg_net responses');
select is((select count(*)::int from private.payout_doorbell_rings where request_id in (-101, -102)), 1,
  '... older than 30 days for rings');

-- ---------------------------------------------------------------------------------------------
-- roles and privileges
-- ---------------------------------------------------------------------------------------------
select ok(not (select rolsuper or rolbypassrls or rolcreaterole or rolcreatedb or rolreplication or rolcanlogin
               from pg_roles where rolname = 'payout_runner'), 'payout_runner: no login, no elevated attribute');
select ok(not (select rolsuper or rolbypassrls or rolcreaterole or rolcreatedb or rolreplication
               from pg_roles where rolname = 'payout_worker'), 'payout_worker: no elevated attribute');
select ok((select array_agg(g.rolname::text) from pg_auth_members m
           join pg_roles g on g.oid = m.roleid join pg_roles u on u.oid = m.member where u.rolname = 'payout_worker')
          @> array['payout_jobs', 'payout_runner']
       and not exists (select 1 from pg_auth_members m join pg_roles g on g.oid = m.roleid
                       join pg_roles u on u.oid = m.member
                       where u.rolname = 'payout_worker'
                         and (g.rolsuper or g.rolbypassrls or g.rolname in ('postgres', 'service_role', 'authenticated', 'anon'))),
  'payout_worker: member of payout_jobs and payout_runner, of no elevated or API role');
select is((select count(*)::int from pg_auth_members m join pg_roles r on r.oid = m.member where r.rolname = 'payout_jobs'),
  0, 'payout_jobs is still member of no role');

select is((select array_agg(p.proname::text order by p.proname) from pg_proc p
           where p.pronamespace = 'private'::regnamespace and has_function_privilege('payout_runner', p.oid, 'execute')),
  array['begin_payout_invocation', 'claim_payout_batch', 'claim_payout_reconciliations', 'defer_payout_transfer',
        'finish_payout_invocation', 'heartbeat_payout_invocation', 'prepare_payout_transfer_requests',
        'record_payout_run_error', 'record_payout_transfer_failed', 'record_payout_transfer_paid',
        'record_payout_transfer_unknown', 'record_payout_transfers_paid', 'ring_payout_handover', 'run_escrow_releases'],
  'payout_runner executes exactly the run functions');
select is((select count(*)::int from pg_proc p
           cross join unnest(array['anon', 'authenticated', 'service_role', 'payout_jobs']) r(role)
           where p.pronamespace = 'private'::regnamespace and has_function_privilege(r.role, p.oid, 'execute')
             and p.proname in ('begin_payout_invocation', 'heartbeat_payout_invocation', 'finish_payout_invocation',
                               'record_payout_run_error', 'claim_payout_batch', 'claim_payout_reconciliations',
                               'prepare_payout_transfer_requests', 'record_payout_transfer_paid',
                               'record_payout_transfers_paid', 'record_payout_transfer_failed', 'record_payout_transfer_unknown',
                               'defer_payout_transfer', 'run_escrow_releases', 'payout_work_due', 'escrow_work_due',
                               'ring_payout_function', 'payout_doorbell', 'escrow_release_doorbell',
                               'cleanup_payout_job_history', 'setup_payout_cron', 'doorbell_quiet_reason', 'doorbell_ring_in_flight',
                               'count_payout_invocation', 'sync_payout_run', 'payout_invocation')),
  0, 'no API role and not payout_jobs executes any run, doorbell or cron function');
select is((select count(*)::int from pg_proc p
           where p.pronamespace = 'private'::regnamespace
             and p.proname in ('payout_doorbell', 'escrow_release_doorbell', 'setup_payout_cron',
                               'cleanup_payout_job_history', 'ring_payout_function')
             and (has_function_privilege('payout_runner', p.oid, 'execute')
                  or has_function_privilege('payout_worker', p.oid, 'execute'))),
  0, 'the doorbells, the cron setup and the cleanup belong to the owner (pg_cron) only');
select is((select count(*)::int from pg_class c
           cross join unnest(array['anon', 'authenticated', 'service_role', 'payout_jobs', 'payout_runner', 'payout_worker']) r(role)
           where c.oid in ('private.payout_runs'::regclass, 'private.payout_run_invocations'::regclass,
                           'private.payout_transfer_requests'::regclass, 'private.payout_doorbell_rings'::regclass)
             and (has_table_privilege(r.role, c.oid, 'select') or has_table_privilege(r.role, c.oid, 'insert')
                  or has_table_privilege(r.role, c.oid, 'update') or has_table_privilege(r.role, c.oid, 'delete'))),
  0, 'no table privilege on the run tables for anyone but the owner');
select ok((select bool_and(c.relrowsecurity) from pg_class c
           where c.oid in ('private.payout_runs'::regclass, 'private.payout_run_invocations'::regclass,
                           'private.payout_transfer_requests'::regclass, 'private.payout_doorbell_rings'::regclass)),
  'RLS enabled on the run tables');
select is((select count(*)::int from pg_proc p where p.pronamespace = 'private'::regnamespace
           and p.proname in ('begin_payout_invocation', 'claim_payout_batch', 'payout_doorbell', 'setup_payout_cron',
                             'record_payout_transfer_failed', 'run_escrow_releases', 'payout_work_due')
           and (not coalesce('search_path=""' = any (p.proconfig), false) or obj_description(p.oid, 'pg_proc') is null)),
  0, 'search_path pinned and a comment on each');

select throws_ok($$ set local role payout_worker; select * from private.payout_runs $$, '42501', null,
  'payout_worker reads no run table');
select throws_ok($$ set local role payout_worker; select private.payout_doorbell() $$, '42501', null,
  'payout_worker cannot ring');

select * from finish();
rollback;
