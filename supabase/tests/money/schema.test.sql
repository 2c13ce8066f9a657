-- Structure: money tables RLS-enabled with no API grants; every foreign key indexed; money is
-- bigint + char(3), never numeric/float; every function search_path '', commented, closed
-- to the API roles, clean under plpgsql_check; guards and audit triggers on every table.
begin;
\ir _fixtures.psql
select plan(14);

create temp table money_tables as
select c.oid as rel, c.relname from pg_class c
where c.oid in ('public.companies'::regclass, 'public.recruiters'::regclass, 'public.placements'::regclass,
                'public.placement_invoices'::regclass, 'public.placement_splits'::regclass, 'public.payouts'::regclass,
                'public.escrow_holds'::regclass, 'public.payout_schedules'::regclass, 'public.payout_transfers'::regclass,
                'private.payout_settings'::regclass);

create temp table money_functions as
select p.oid as fn, p.oid::regprocedure::text as sig, p.proname, p.prolang, p.prorettype from pg_proc p
where p.pronamespace = 'private'::regnamespace and p.proname = any (array[
  'assert_transition','cancel_holds','check_payout_consistency','check_placement_allocation','check_split_shares',
  'claim_due_payout_schedules','complete_payout_transfer','configure_payout_settings','create_escrow_hold','create_payout_schedule','create_placement',
  'create_placement_escrow_hold','derive_payout_status','ensure_payout_schedules','enter_transition','fail_payout_transfer',
  'guard_money_write','guard_split_write','hold_payout_amounts','in_transition','is_allowed_transition','largest_remainder',
  'leave_transition','lock_payout_transfer','mark_payout_transfer_unknown','next_due_at','payout_eligibility','payout_problems',
  'record_placement_invoice','record_platform_refund_decision','release_due_escrow_holds','release_holds','retry_delay',
  'set_payouts_paused','set_recruiter_connect_account','set_recruiter_paused','settings','sync_payout_status',
  'touch_updated_at','transition_escrow_hold','transition_payout','transition_payout_schedule','transition_placement',
  'transition_placement_invoice','transition_token','trigger_payout_schedule']);

select is((select count(*) from money_functions), 46::bigint, 'all money functions exist (one overload each)');
select is((select array_agg(t.relname::text order by t.relname) from money_tables t join pg_class c on c.oid = t.rel
           where not c.relrowsecurity), null, 'RLS enabled on every money table');
-- Reads are the access layer's business (SELECT grants to authenticated under RLS, next
-- issue); writes never go through grants: only the transition functions change money.
select is((select array_agg(distinct t.relname || ':' || r.rolname || ':' || p.priv) from money_tables t
           cross join (values ('anon'), ('authenticated'), ('service_role'), ('payout_jobs')) r(rolname)
           cross join (values ('select'), ('insert'), ('update'), ('delete'), ('truncate'), ('references'), ('trigger')) p(priv)
           where has_table_privilege(r.rolname, t.rel, p.priv)
             and not (r.rolname = 'authenticated' and p.priv = 'select' and t.relname <> 'payout_settings')),
  null, 'no write privilege for any API role or payout_jobs; no read for anon, service_role, payout_jobs');
select is((select array_agg(t.relname) from money_tables t
           where exists (select 1 from aclexplode((select relacl from pg_class where oid = t.rel)) a where a.grantee = 0)),
  null, 'nothing granted to PUBLIC');
select is((select array_agg(c.conrelid::regclass || ' ' || c.conname) from pg_constraint c
           where c.contype = 'f' and c.conrelid in (select rel from money_tables)
             and not exists (select 1 from pg_index i where i.indrelid = c.conrelid
                             and (i.indkey::int2[])[0:cardinality(c.conkey) - 1] @> c.conkey
                             and (i.indkey::int2[])[0:cardinality(c.conkey) - 1] <@ c.conkey)),
  null, 'every foreign key has an index led by its columns');
select is((select array_agg(t.relname || '.' || a.attname) from money_tables t
           join pg_attribute a on a.attrelid = t.rel and a.attnum > 0 and not a.attisdropped
           where a.atttypid in ('numeric'::regtype, 'real'::regtype, 'double precision'::regtype, 'money'::regtype)),
  null, 'no numeric, float or money column');
select is((select array_agg(t.relname || '.' || a.attname) from money_tables t
           join pg_attribute a on a.attrelid = t.rel and a.attnum > 0 and not a.attisdropped
           where (a.attname like '%amount%' and a.atttypid <> 'bigint'::regtype)
              or (a.attname = 'currency' and format_type(a.atttypid, a.atttypmod) <> 'character(3)')),
  null, 'amounts are bigint minor units, currencies char(3)');
select is((select array_agg(t.relname) from money_tables t
           where (select count(*) from pg_trigger g where g.tgrelid = t.rel
                  and g.tgname in ('payout_audit_insert', 'payout_audit_update', 'payout_audit_delete')) <> 3),
  null, 'audit enabled (private.enable_audit) on every money table');
select is((select array_agg(t.relname) from money_tables t
           where t.relname not in ('companies', 'placement_splits')
             and not exists (select 1 from pg_trigger g where g.tgrelid = t.rel and g.tgname = 'money_guard')),
  null, 'a guard trigger on every table with status, amounts or destinations');

select is((select array_agg(sig) from money_functions
           where not coalesce(array['search_path=""'] <@ (select proconfig from pg_proc where oid = fn), false)),
  null, 'every function has search_path = ''''');
select is((select array_agg(sig) from money_functions where obj_description(fn, 'pg_proc') is null), null,
  'every function has a comment');
select is((select array_agg(distinct sig) from money_functions f
           cross join (values ('anon'), ('authenticated'), ('service_role')) r(rolname)
           where has_function_privilege(r.rolname, f.fn, 'execute')
              or exists (select 1 from aclexplode(coalesce((select proacl from pg_proc where oid = f.fn),
                                                           acldefault('f', (select proowner from pg_proc where oid = f.fn)))) a
                         where a.grantee = 0 and a.privilege_type = 'EXECUTE')),
  null, 'no function executable by PUBLIC, anon, authenticated or service_role');
select is((select array_agg(sig) from money_functions f join pg_proc p on p.oid = f.fn
           where p.prorettype <> 'trigger'::regtype and f.proname not in
                 ('largest_remainder', 'next_due_at', 'derive_payout_status', 'retry_delay')
             and not p.prosecdef), null,
  'state machines and their helpers are security definer (pure helpers need not be)');
select is((select array_agg(distinct f.sig || ': ' || c.message) from money_functions f
           join pg_language l on l.oid = f.prolang and l.lanname = 'plpgsql'
           cross join lateral extensions.plpgsql_check_function_tb(f.fn,
             coalesce((select g.tgrelid from pg_trigger g where g.tgfoid = f.fn limit 1), 0)) c
           where c.level = 'error'), null, 'plpgsql_check: no error');

select * from finish();
rollback;
