-- Audit: every change of every money table has an audit row, with the right actor, action
-- and reason; the latest audit row of every money row is the row as it is.
begin;
\ir _fixtures.psql
select plan(14);

select money_test.remember('pl', money_test.placement(10000, 5000, '{10000}')) as pl \gset
select money_test.invoice(:'pl');
select money_test.remember('p', (money_test.payout(:'pl', 10000)).id) as p \gset

-- an admin (actor set by an admin RPC wrapper, next issue)
select private.set_actor('00000000-0000-0000-0000-00000000ad01', 'platform_admin');
select max(id) as mark from payout_audit_log \gset
select money_test.remember('h', (private.create_escrow_hold(:'p', 1000, 'dispute', null, 'chargeback opened', '2000-01-06')).id);
select is((select array_agg(entity_type || ' ' || operation order by entity_type) from payout_audit_log where id > :mark),
  '{"escrow_hold INSERT","payout UPDATE"}'::text[], 'one audit row per changed row');
select is((select array_agg(distinct (changed_by, changed_by_role, action, reason)::text) from payout_audit_log where id > :mark),
  array[row('00000000-0000-0000-0000-00000000ad01'::uuid, 'platform_admin'::text, 'escrow_hold.create'::text,
            'chargeback opened'::text)::text], 'with the actor, the semantic action and the reason');
select is((select (old_values ->> 'held_amount', new_values ->> 'held_amount') from payout_audit_log
           where id > :mark and entity_type = 'payout'), row('5000'::text, '6000'::text), 'old and new values');

-- the jobs (role payout_jobs, no explicit actor): actor role "job"
select private.set_actor(null, 'system');
select max(id) as mark2 from payout_audit_log \gset
set local role payout_jobs;
select count(*) from private.claim_due_payout_schedules('00000000-0000-0000-0000-0000000000bb', 10, null, '2000-01-13 02:00Z');
reset role;
select is((select array_agg(distinct entity_type order by entity_type) from payout_audit_log where id > :mark2),
  '{payout,payout_schedule,payout_transfer}'::text[], 'the claim is audited on every table it changes');
select is((select array_agg(distinct changed_by_role || ' ' || action) from payout_audit_log where id > :mark2),
  '{"system payout_schedule.claim"}'::text[], 'explicit actor wins (system), action payout_schedule.claim');
select pg_catalog.set_config('payouts.actor_role', '', true);
select max(id) as mark3 from payout_audit_log \gset
select id as tr from payout_transfers where payout_id = :'p' and status = 'pending' \gset
set local role payout_jobs;
select (private.complete_payout_transfer(:'tr', 'tr_audit', '2000-01-13 02:01Z')).status;
reset role;
select is((select array_agg(distinct changed_by_role) from payout_audit_log where id > :mark3), '{job}'::text[],
  'a job without explicit actor is audited as job');
select is((select array_agg(entity_type || ' ' || action order by entity_type) from payout_audit_log where id > :mark3),
  '{"payout payout_transfer.complete","payout_schedule payout_transfer.complete","payout_transfer payout_transfer.complete"}'::text[],
  'tranche, payout (buckets and derived status in one update), schedule: each audited with the completion');
select is((select new_values ->> 'status' from payout_audit_log where id > :mark3 and entity_type = 'payout'),
  'partially_paid', 'the payout''s audit row carries its new status');

-- all money tables are audited; the latest audit row of every row is the row itself
select private.transition_escrow_hold(money_test.id('h'), 'cancelled', 'lost', '2000-01-20');
select private.set_recruiter_paused((select recruiter_id from payouts where id = :'p'), true, 'check', '2000-01-20');
select private.set_payouts_paused(true, 'audit test', '2000-01-20');
select is((select array_agg(distinct entity_type order by entity_type) from payout_audit_log where created_at = now()),
  '{company,escrow_hold,payout,payout_schedule,payout_settings,payout_transfer,placement,placement_invoice,placement_split,recruiter}'::text[],
  'every money table has audit rows');

create function pg_temp.unexplained(p_table regclass, p_entity text) returns bigint language plpgsql as $$
declare v bigint;
begin
  execute format($q$
    select count(*) from %s r
    where exists (select 1 from payout_audit_log a where a.entity_type = %L and a.entity_id = r.id)
      and (select a.new_values from payout_audit_log a where a.entity_type = %L and a.entity_id = r.id
           order by a.entity_seq desc limit 1) - 'personal_fields_changed'
          is distinct from to_jsonb(r) - %L::text[] $q$, p_table, p_entity, p_entity,
    -- personal columns never reach the log (docs/personal-data.md)
    (select coalesce(array_agg(column_name::text), '{}') from private.audit_personal_columns where table_name = p_table)) into v;
  return v;
end $$;
select is(pg_temp.unexplained('payouts', 'payout') + pg_temp.unexplained('escrow_holds', 'escrow_hold')
          + pg_temp.unexplained('payout_schedules', 'payout_schedule') + pg_temp.unexplained('payout_transfers', 'payout_transfer')
          + pg_temp.unexplained('placements', 'placement') + pg_temp.unexplained('placement_invoices', 'placement_invoice')
          + pg_temp.unexplained('recruiters', 'recruiter'), 0::bigint,
  'every money row equals its latest audit row: no change without an audit row');
select is((select count(*) from payouts po where po.placement_id = :'pl'
           and not exists (select 1 from payout_audit_log a where a.entity_type = 'payout' and a.entity_id = po.id)), 0::bigint,
  'every payout has an audit trail');
select ok((select bool_and(a.txid = e.txid) from payout_events e
           join payout_audit_log a on a.entity_id = e.entity_id and a.action = 'escrow_hold.cancel'
           where e.event_type = 'escrow_hold.cancelled' and e.entity_id = money_test.id('h')), 'events share the audit rows'' transaction');
select is((select count(*) from public.verify_payout_audit_chain('payout', money_test.id('p'))), 0::bigint,
  'the payout''s audit chain is intact');

-- The log's recruiter_id (its RLS key) is the payout's, whether the row carried it (payouts, holds,
-- schedules, tranches) or the writer looked it up; null about no payout.
select is((select count(*) from payout_audit_log a left join payouts po on po.id = a.payout_id
           where a.placement_id = :'pl' and a.recruiter_id is distinct from po.recruiter_id), 0::bigint,
  'every audit row of the placement carries its payout''s recruiter (null: about no payout)');

select * from finish();
rollback;
