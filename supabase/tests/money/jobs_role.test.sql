-- Role payout_jobs: EXECUTE on the job functions only, nothing on tables; the API roles get
-- nothing at all.
begin;
\ir _fixtures.psql
select plan(6);

select is((select array_agg(p.oid::regprocedure::text order by p.proname)
           from pg_proc p where p.pronamespace = 'private'::regnamespace
             and has_function_privilege('payout_jobs', p.oid, 'execute')
             and p.proname in (select proname from pg_proc where pronamespace = 'private'::regnamespace
                               and obj_description(oid, 'pg_proc') is not null)
             and p.proname not in ('actor_id', 'actor_role', 'audit_action', 'audit_reason')),
  array['private.claim_due_payout_schedules(uuid,integer,interval,timestamp with time zone,uuid)',
        'private.complete_payout_transfer(uuid,text,timestamp with time zone)',
        'private.complete_payout_transfers(uuid[],text[],timestamp with time zone)',
        'private.fail_payout_transfer(uuid,text,timestamp with time zone)',
        'private.mark_payout_transfer_unknown(uuid,text,timestamp with time zone)',
        'private.release_due_escrow_holds(timestamp with time zone,integer)'],
  'payout_jobs may execute exactly the job functions');
select is((select count(*) from pg_class c where c.relnamespace in ('public'::regnamespace, 'private'::regnamespace)
           and c.relname in ('companies', 'recruiters', 'placements', 'placement_invoices', 'placement_splits', 'payouts',
                             'escrow_holds', 'payout_schedules', 'payout_transfers', 'payout_settings', 'state_transitions',
                             'transition_key')
           and (has_table_privilege('payout_jobs', c.oid, 'select') or has_table_privilege('payout_jobs', c.oid, 'insert')
                or has_table_privilege('payout_jobs', c.oid, 'update') or has_table_privilege('payout_jobs', c.oid, 'delete'))),
  0::bigint, 'payout_jobs has no table privilege');
select ok(not (select rolsuper or rolbypassrls or rolcanlogin from pg_roles where rolname = 'payout_jobs'),
  'payout_jobs: no superuser, no bypassrls, no login');

select money_test.remember('pl', money_test.placement(1000, 0, '{10000}')) as pl \gset
select money_test.invoice(:'pl');
set local role payout_jobs;
select count(*) as claimed from private.claim_due_payout_schedules('00000000-0000-0000-0000-0000000000cc', 10, null, '2000-01-13 02:00Z') \gset
reset role;
select is(:claimed::int, 1, 'payout_jobs runs the claim');
select throws_ok($$ set local role payout_jobs; select private.transition_placement(money_test.id('pl'), 'failed', 'x') $$,
  '42501', null, 'but not an admin transition');
select throws_ok($$ set local role payout_jobs; select private.set_payouts_paused(false) $$, '42501', null,
  'nor the kill switch');

select * from finish();
rollback;
