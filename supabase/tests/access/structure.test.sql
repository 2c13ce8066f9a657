-- Structure of the access layer: RLS on every public table, the policy set pinned per table
-- (a new policy is a reviewed change), one SELECT policy per table to authenticated with its
-- helpers wrapped in (select ...), the exact columns granted to authenticated, nothing for
-- anon / service_role / payout_jobs, security_invoker views, an index behind every column a
-- policy filters on, and the exact set of functions each API role may execute.
begin;
set search_path = public, extensions;
select plan(53);

-- ---------------------------------------------------------------------------------------------
-- RLS and policies
-- ---------------------------------------------------------------------------------------------
select is(
  (select array_agg(c.relname::text order by c.relname) from pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and not c.relrowsecurity),
  null, 'RLS is enabled on every table in public');

select policies_are('public', 'platform_admins', array['platform_admins_select']);
select policies_are('public', 'company_members', array['company_members_select']);
select policies_are('public', 'companies', array['companies_select']);
select policies_are('public', 'recruiters', array['recruiters_select']);
select policies_are('public', 'placements', array['placements_select']);
select policies_are('public', 'placement_invoices', array['placement_invoices_select']);
select policies_are('public', 'placement_splits', array['placement_splits_select']);
select policies_are('public', 'payouts', array['payouts_select']);
select policies_are('public', 'escrow_holds', array['escrow_holds_select']);
select policies_are('public', 'payout_schedules', array['payout_schedules_select']);
select policies_are('public', 'payout_transfers', array['payout_transfers_select']);
select policies_are('public', 'payout_audit_log', array['payout_audit_log_select']);
select policies_are('public', 'payout_events', array['payout_events_select']);
select policies_are('public', 'company_invoices', array['company_invoices_select']);
select is(
  (select array_agg(distinct tablename::text) from pg_policies where schemaname = 'private'),
  null, 'no policy in private: its tables are read by security definer functions only');

select is(
  (select array_agg(tablename || '.' || policyname) from pg_policies
    where schemaname = 'public'
      and (cmd <> 'SELECT' or roles <> '{authenticated}'::name[] or permissive <> 'PERMISSIVE'
           or policyname <> tablename || '_select')),
  null, 'every policy: permissive, FOR SELECT, TO authenticated, named <table>_select');
select is(
  (select array_agg(tablename || ': ' || qual) from pg_policies
    where schemaname = 'public' and qual ~ '(?<!SELECT )(auth|private)\.[a-z_]+\('),
  null, 'every auth.* / private.* call in a policy is wrapped in (select ...): once per statement');

-- ---------------------------------------------------------------------------------------------
-- Grants
-- ---------------------------------------------------------------------------------------------
create temp table granted_columns as
select c.relname::text as rel,
       array_agg(a.attname::text order by a.attname) filter (
         where has_column_privilege('authenticated', c.oid, a.attnum, 'SELECT')) as cols,
       array_agg(a.attname::text order by a.attname) filter (
         where not has_column_privilege('authenticated', c.oid, a.attnum, 'SELECT')) as hidden
from pg_class c join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'v', 'p')
group by c.relname;

select is((select hidden from granted_columns where rel = 'companies'), array['stripe_customer_id'],
  'companies: everything but stripe_customer_id');
select is((select hidden from granted_columns where rel = 'placements'), array['platform_amount'],
  'placements: everything but platform_amount (it would reveal co-recruiters'' amounts)');
select is((select hidden from granted_columns where rel = 'placement_invoices'),
  array['stripe_invoice_id', 'stripe_payment_intent_id'], 'placement_invoices: everything but the Stripe ids');
select is((select hidden from granted_columns where rel = 'company_invoices'),
  array['attempts', 'claimed_by', 'failed_at', 'failure_code', 'failure_reason', 'idempotency_key', 'last_error',
        'next_attempt_at', 'requested_at', 'requested_by', 'stripe_customer_id', 'stripe_invoice_id',
        'stripe_invoice_item_id', 'void_reason', 'void_requested_at', 'work_due'],
  'company_invoices: status, amounts, dates and the hosted URL; no Stripe ids, keys or worker columns');
select is((select hidden from granted_columns where rel = 'payout_audit_log'),
  array['new_values', 'old_values', 'prev_hash', 'row_hash', 'txid'],
  'payout_audit_log: everything but the old/new values, the hashes and txid');
select is(
  (select array_agg(rel order by rel) from granted_columns where hidden is null and cols is not null),
  array['clawback_offsets', 'company_members', 'escrow_holds', 'payout_alerts', 'payout_audit_trail', 'payout_events',
        'payout_reversals', 'payout_schedules', 'payout_transfers', 'payouts', 'placement_escrow_holds', 'placement_splits',
        'platform_admins', 'recruiter_clawbacks', 'recruiters'],
  'every other exposed relation is readable whole (its rows are the reader''s own, or admin-only)');
select is(
  (select array_agg(rel order by rel) from granted_columns where cols is null),
  null, 'no public relation is left unreadable by accident');

select is(
  (select array_agg(distinct c.relname || ':' || r.role || ':' || p.priv)
     from pg_class c
     cross join unnest(array['anon', 'authenticated', 'service_role', 'payout_jobs']) r(role)
     cross join unnest(array['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) p(priv)
    where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'v', 'p')
      and (has_table_privilege(r.role, c.oid, p.priv)
           or (p.priv in ('INSERT', 'UPDATE', 'REFERENCES') and has_any_column_privilege(r.role, c.oid, p.priv)))),
  null, 'no API role and not payout_jobs may write any public table or view (admins change data through RPCs)');
select is(
  (select array_agg(distinct c.relname || ':' || r.role)
     from pg_class c cross join unnest(array['anon', 'service_role', 'payout_jobs']) r(role)
    where c.relnamespace in ('public'::regnamespace, 'private'::regnamespace) and c.relkind in ('r', 'v', 'p', 'm')
      and has_any_column_privilege(r.role, c.oid, 'SELECT')),
  null, 'anon, service_role and payout_jobs read no table or view in public or private');
select is(
  (select array_agg(c.relname::text) from pg_class c
    where c.relnamespace = 'private'::regnamespace and c.relkind in ('r', 'v', 'p', 'm')
      and has_any_column_privilege('authenticated', c.oid, 'SELECT')),
  null, 'authenticated reads no table in private');
select is(
  (select array_agg(s.relname::text) from pg_class s
    where s.relnamespace in ('public'::regnamespace, 'private'::regnamespace) and s.relkind = 'S'
      and (has_sequence_privilege('anon', s.oid, 'USAGE,SELECT,UPDATE')
           or has_sequence_privilege('authenticated', s.oid, 'USAGE,SELECT,UPDATE'))),
  null, 'no sequence is usable by anon or authenticated');

select is((select array_agg(extname::text) from pg_extension where extnamespace = 'public'::regnamespace), null,
  'no extension lives in public (pgTAP & co. are in extensions; advisor extension_in_public)');
select ok(has_schema_privilege('authenticated', 'private', 'USAGE'),
  'authenticated resolves names in private (policy helpers, RPC bodies)');
select ok(not has_schema_privilege('anon', 'private', 'USAGE') and not has_schema_privilege('service_role', 'private', 'USAGE'),
  'anon and service_role cannot even resolve names in private');

-- ---------------------------------------------------------------------------------------------
-- Views
-- ---------------------------------------------------------------------------------------------
select is(
  (select array_agg(c.relname::text order by c.relname) from pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relkind = 'v'
      and not coalesce('security_invoker=true' = any (c.reloptions), false)),
  null, 'every view in public is security_invoker (advisor lint 0010)');
select columns_are('public', 'payout_audit_trail', array['id', 'entity_type', 'entity_id', 'placement_id', 'payout_id',
  'operation', 'action', 'changed_by', 'changed_by_role', 'reason', 'created_at', 'entity_seq'],
  'payout_audit_trail: the audit log without values and hashes');
select columns_are('public', 'placement_escrow_holds', array['id', 'placement_id', 'currency', 'hold_reason', 'status',
  'held_at', 'release_scheduled_date', 'released_at', 'cancelled_at'],
  'placement_escrow_holds: no amount, no payout id, no actor, no free text');

-- ---------------------------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------------------------
-- every column a policy (or a policy helper) filters on: an index led by that column
select is(
  (select array_agg(x.rel || '.' || x.col) from (values
     ('platform_admins', 'user_id'), ('company_members', 'company_id'), ('company_members', 'user_id'),
     ('companies', 'id'), ('recruiters', 'user_id'), ('placements', 'id'), ('placements', 'company_id'),
     ('placement_invoices', 'placement_id'), ('placement_splits', 'recruiter_id'), ('payouts', 'recruiter_id'),
     ('payouts', 'id'), ('escrow_holds', 'payout_id'), ('escrow_holds', 'placement_id'),
     ('payout_schedules', 'payout_id'), ('payout_transfers', 'payout_id'), ('payout_audit_log', 'payout_id'),
     ('payout_events', 'payout_id'), ('company_invoices', 'company_id')) x(rel, col)
   where not exists (
     select 1 from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
     where i.indrelid = ('public.' || x.rel)::regclass and a.attname = x.col)),
  null, 'every column a policy filters on leads an index');
select is(
  (select array_agg(c.conrelid::regclass || ' ' || c.conname) from pg_constraint c
    where c.contype = 'f'
      and c.connamespace in ('public'::regnamespace, 'private'::regnamespace)
      and not exists (select 1 from pg_index i where i.indrelid = c.conrelid
                      and (i.indkey::int2[])[0:cardinality(c.conkey) - 1] @> c.conkey
                      and (i.indkey::int2[])[0:cardinality(c.conkey) - 1] <@ c.conkey)),
  null, 'every foreign key in public and private has an index led by its columns (advisor unindexed_foreign_keys)');

-- ---------------------------------------------------------------------------------------------
-- Functions
-- ---------------------------------------------------------------------------------------------
create temp table rpcs (name text primary key);
insert into rpcs values
  ('create_payout_schedule'), ('update_payout_schedule'), ('cancel_payout_schedule'), ('trigger_payout_schedule'),
  ('process_due_payout_schedules'), ('create_escrow_hold'), ('release_escrow_hold'), ('cancel_escrow_hold'),
  ('process_due_escrow_releases'), ('fail_placement'),
  ('create_company'), ('create_recruiter'), ('create_placement'), ('set_placement_splits'), ('record_placement_invoice'),
  ('payout_controls'), ('pause_payouts'), ('resume_payouts'), ('pause_recruiter_payouts'), ('resume_recruiter_payouts'),
  ('grant_platform_admin'), ('revoke_platform_admin'), ('add_company_member'), ('remove_company_member'),
  ('placement_escrow_total'), ('payout_run_preview'), ('payout_run_totals'),
  ('admin_companies'), ('admin_placements'), ('admin_placement_invoices'), ('admin_payout_audit_log'),
  ('verify_audit_chain'), ('reverse_payout'), ('payout_audit_anchor'),
  ('my_connect_status'), ('admin_connect_status'), ('begin_connect_onboarding'),
  ('reissue_placement_invoice'), ('set_company_billing_email'),
  ('request_admin_action'), ('approve_admin_action'), ('reject_admin_action'), ('admin_action_requests'),
  ('my_statement'), ('admin_recruiter_statement'), ('admin_statement_summary'), ('my_yearly_totals'),
  ('admin_yearly_totals'),
  ('lift_payout_cap'), ('payout_caps'), ('erase_personal_data'),
  ('admin_payout_runs');

select is(
  (select array_agg(p.proname::text order by p.proname) from pg_proc p
    where p.pronamespace = 'public'::regnamespace and has_function_privilege('authenticated', p.oid, 'EXECUTE')),
  (select array_agg(name order by name) from rpcs),
  'authenticated executes exactly the 52 RPCs in public');
select is(
  (select count(*)::int from pg_proc p where p.pronamespace = 'public'::regnamespace and p.proname in (select name from rpcs)),
  52, 'one overload per RPC');
select is(
  (select array_agg(p.oid::regprocedure::text) from pg_proc p
    where p.pronamespace = 'public'::regnamespace and p.proname in (select name from rpcs) and p.prosecdef),
  null, 'every RPC in public is security invoker');
select is(
  (select array_agg(p.oid::regprocedure::text || ':' || r.role) from pg_proc p
     cross join unnest(array['anon', 'authenticated']) r(role)
    where p.prosecdef and has_function_privilege(r.role, p.oid, 'EXECUTE')
      and p.pronamespace = 'public'::regnamespace),
  null, 'no security definer function in the exposed schema is executable by anon or authenticated (lints 0028/0029)');
select is(
  (select array_agg(p.oid::regprocedure::text) from pg_proc p
    where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)
      and (has_function_privilege('anon', p.oid, 'EXECUTE') or has_function_privilege('service_role', p.oid, 'EXECUTE'))),
  null, 'anon and service_role execute nothing in public or private');
select is(
  (select array_agg(p.proname::text order by p.proname) from pg_proc p
    where p.pronamespace = 'private'::regnamespace and has_function_privilege('authenticated', p.oid, 'EXECUTE')),
  array(select x from unnest(array['is_platform_admin', 'my_company_ids', 'my_billing_company_ids', 'my_payout_ids', 'my_recruiter_id',
                                   'member_placement_ids', 'visible_placement_ids', 'visible_escrow_hold_summaries',
                                   'visible_recruiter_id_min', 'visible_recruiter_id_max', 'payout_alert_rows',
                                   'require_platform_admin']
                             || array(select 'rpc_' || name from rpcs)) x order by x),
  'authenticated executes in private exactly the policy helpers, the admin gate and the RPC bodies (private.rpc_<name>)');
select is(
  (select array_agg(p.proname::text order by p.proname) from pg_proc p
    where p.pronamespace = 'public'::regnamespace and p.proname in (select name from rpcs)
      -- not admin RPCs: their bodies decide per caller (a party, the recruiter themself or an admin)
      and p.proname not in ('placement_escrow_total', 'my_connect_status', 'begin_connect_onboarding',
                            'my_statement', 'my_yearly_totals')
      and not (p.prolang = (select l.oid from pg_language l where l.lanname = 'sql')
               and p.prosrc ~ ('^\s*select private\.rpc_' || p.proname || '\([^;]*\) from private\.require_platform_admin\(\)\s*$'))),
  null, 'every admin RPC is one line of SQL: select private.rpc_<name>(...) from private.require_platform_admin()');
select is(
  (select array_agg(p.oid::regprocedure::text order by p.proname) from pg_proc p
    where p.pronamespace = 'public'::regnamespace and p.proname in (select name from rpcs)
      and p.pronargdefaults < p.pronargs),
  null, 'every RPC argument has a default: a call that leaves one out gets the body''s PT400, not PGRST202');
select is(
  (select array_agg(p.proname::text) from pg_proc p
    where p.pronamespace = 'private'::regnamespace and p.proname ~ '^rpc_' and not p.prosecdef),
  null, 'every RPC body is security definer');
select is(
  (select array_agg(p.proname::text) from pg_proc p
    where p.pronamespace = 'private'::regnamespace
      and p.proname in ('is_platform_admin', 'my_company_ids', 'my_billing_company_ids', 'my_payout_ids', 'my_recruiter_id',
                        'member_placement_ids', 'visible_placement_ids', 'visible_escrow_hold_summaries')
      and not (p.prosecdef and p.provolatile = 's')),
  null, 'the policy helpers are security definer and stable');

-- the functions of this layer: search_path '' and a comment
create temp table access_functions as
select p.oid, p.oid::regprocedure::text as sig from pg_proc p
where (p.pronamespace = 'public'::regnamespace and p.proname in (select name from rpcs))
   or (p.pronamespace = 'private'::regnamespace and (p.proname ~ '^rpc_' or p.proname in (
        'is_platform_admin', 'my_company_ids', 'my_billing_company_ids', 'my_payout_ids', 'my_recruiter_id',
        'member_placement_ids', 'visible_placement_ids', 'visible_escrow_hold_summaries', 'begin_admin_action', 'bootstrap_platform_admin',
        'require_platform_admin', 'request_payout_run', 'reschedule_payout_schedule', 'parse_placement_splits',
        'write_placement_splits', 'payout_controls_json',
        -- four-eyes approval (20261202120000_admin_approvals)
        'grant_platform_admin', 'admin_action_plan', 'require_four_eyes', 'execute_admin_action',
        'admin_action_request_json', 'lock_pending_admin_action', 'decide_admin_action', 'break_glass_admin_action')));
select is((select count(*)::int from access_functions), 52 + 52 + 8 + 8 + 8, 'the access layer has its 128 functions');
select is((select array_agg(sig) from access_functions f join pg_proc p on p.oid = f.oid
           where not coalesce(array['search_path=""'] <@ p.proconfig, false)), null,
  'every access function has search_path = ''''');
select is((select array_agg(sig) from access_functions f where obj_description(f.oid, 'pg_proc') is null), null,
  'every access function has a comment');
select is((select array_agg(sig) from access_functions f
           where has_function_privilege('payout_jobs', f.oid, 'EXECUTE')), null,
  'payout_jobs executes no access function');
select is((select array_agg(f.sig) from access_functions f
           where f.sig in ('private.begin_admin_action()', 'private.bootstrap_platform_admin(text)',
                           'private.break_glass_admin_action(uuid,text,timestamp with time zone)')
             and has_function_privilege('authenticated', f.oid, 'EXECUTE')), null,
  'the admin gate, the bootstrap and break glass are executable by their owner only');
select is((select array_agg(distinct f.sig || ': ' || c.message) from access_functions f
           join pg_proc p on p.oid = f.oid join pg_language l on l.oid = p.prolang and l.lanname = 'plpgsql'
           cross join lateral extensions.plpgsql_check_function_tb(f.oid) c
           where c.level = 'error'), null, 'plpgsql_check: no error');

select * from finish();
rollback;
