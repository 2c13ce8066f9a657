-- The write matrix: every actor x every exposed table and view x INSERT / UPDATE / DELETE is
-- refused with 42501, the platform admin included (money changes only through the admin RPCs),
-- for other parties' rows and for one's own (self-promotion, joining a company, editing one's
-- own amounts or schedule). Nothing changed afterwards.
begin;
\ir _fixtures.psql

-- col: a column UPDATE may name (not an identity column, which would fail for another reason)
create temp table relations (relation text primary key, col text);
insert into relations values
  ('public.companies', 'name'), ('public.company_members', 'role'), ('public.platform_admins', 'granted_by'),
  ('public.recruiters', 'display_name'), ('public.placements', 'title'), ('public.placement_invoices', 'status'),
  ('public.placement_splits', 'share_bps'), ('public.payouts', 'status'), ('public.escrow_holds', 'status'),
  ('public.payout_schedules', 'status'), ('public.payout_transfers', 'status'), ('public.payout_audit_log', 'action'),
  ('public.payout_events', 'event_type'), ('public.payout_audit_trail', 'action'),
  ('public.placement_escrow_holds', 'status');
create temp table actors (actor text primary key);
insert into actors values ('anon'), ('admin'), ('ra'), ('rb'), ('rc'), ('cadm'), ('hm'), ('other'), ('nobody'),
                          ('fake_admin'), ('jobs'), ('service');
create temp table ops (op text primary key, sql text);
insert into ops values
  ('insert', 'insert into %s default values'),
  ('update', 'update %1$s set %2$s = %2$s'),
  ('delete', 'delete from %s');

create temp table targeted (actor text, description text, sql text);
insert into targeted values
  ('ra', 'raises own payout amount',
   format('update public.payouts set amount = amount + 1 where id = %L', access_test.id('payA'))),
  ('ra', 'moves own schedule forward',
   format('update public.payout_schedules set next_attempt_at = now() where id = %L', access_test.id('schA'))),
  ('ra', 'changes own destination account',
   format('update public.recruiters set stripe_connect_account_id = ''acct_evil'' where id = %L', access_test.id('rA'))),
  ('ra', 'renames own recruiter row',
   format('update public.recruiters set display_name = ''A!'' where id = %L', access_test.id('rA'))),
  ('ra', 'raises own share',
   format('update public.placement_splits set share_bps = 9000 where id = %L', access_test.id('splitA'))),
  ('ra', 'deletes co-recruiter B''s split',
   format('delete from public.placement_splits where id = %L', access_test.id('splitB'))),
  ('ra', 'releases own hold',
   format('update public.escrow_holds set status = ''released'' where id = %L', access_test.id('holdA'))),
  ('ra', 'adds a split for self on P2',
   format('insert into public.placement_splits (placement_id, recruiter_id, role, share_bps) values (%L, %L, ''job_owner'', 100)',
          access_test.id('P2'), access_test.id('rA'))),
  ('nobody', 'makes self platform admin',
   format('insert into public.platform_admins (user_id) values (%L)', access_test.id('u_nobody'))),
  ('fake_admin', 'makes self platform admin',
   format('insert into public.platform_admins (user_id) values (%L)', access_test.id('u_nobody'))),
  ('nobody', 'joins company X',
   format('insert into public.company_members (company_id, user_id, role) values (%L, %L, ''company_admin'')',
          access_test.id('X'), access_test.id('u_nobody'))),
  ('hm', 'promotes self to company_admin',
   format('update public.company_members set role = ''company_admin'' where user_id = %L', access_test.id('u_hm'))),
  ('cadm', 'lowers own placement''s fee',
   format('update public.placements set fee_amount = 1 where id = %L', access_test.id('P1'))),
  ('cadm', 'voids own invoice',
   format('update public.placement_invoices set status = ''void'', voided_at = now() where id = %L', access_test.id('invP1'))),
  ('cadm', 'renames own company',
   format('update public.companies set name = ''X!'' where id = %L', access_test.id('X'))),
  ('admin', 'deletes an audit row',
   format('delete from public.payout_audit_log where payout_id = %L', access_test.id('payA'))),
  ('admin', 'revokes another admin by delete',
   'delete from public.platform_admins'),
  ('admin', 'marks a payout paid by hand',
   format('update public.payouts set status = ''paid'' where id = %L', access_test.id('payA')));

select plan((select count(*)::int from relations, actors, ops) + (select count(*)::int from targeted) + 3);

create temp table before as
select (select count(*) from public.payout_audit_log) as audit_rows, (select count(*) from public.payout_events) as events,
       (select md5(string_agg(t::text, '' order by t::text)) from (
          select to_jsonb(x) t from public.payouts x union all select to_jsonb(x) from public.placement_splits x
          union all select to_jsonb(x) from public.recruiters x union all select to_jsonb(x) from public.company_members x
          union all select to_jsonb(x) from public.platform_admins x union all select to_jsonb(x) from public.placements x
          union all select to_jsonb(x) from public.escrow_holds x union all select to_jsonb(x) from public.payout_schedules x
        ) s) as digest;

-- placement_escrow_holds reads a function: without its INSTEAD OF trigger Postgres would refuse
-- a write as not updatable (55000, HTTP 500) before checking privileges; with it, 42501 as
-- everywhere (a client error: 403, 401 without a JWT).
select is(access_test.run_as(a.actor, format(o.sql, r.relation, r.col)), 'ERROR 42501',
          format('%s cannot %s %s', a.actor, o.op, r.relation))
from relations r, actors a, ops o
order by r.relation, o.op, a.actor;

select is(access_test.run_as(t.actor, t.sql), 'ERROR 42501', format('%s %s: 42501', t.actor, t.description))
from targeted t;

-- the view's owner holds every privilege: its INSTEAD OF trigger refuses it as well
select throws_ok($$ insert into public.placement_escrow_holds default values $$, '42501', null,
  'placement_escrow_holds is read-only for its owner too (INSTEAD OF trigger, 42501)');

select is(((select count(*) from public.payout_audit_log), (select count(*) from public.payout_events))::text,
          (select (audit_rows, events)::text from before), 'no audit row and no event was written');
select is((select md5(string_agg(t::text, '' order by t::text)) from (
             select to_jsonb(x) t from public.payouts x union all select to_jsonb(x) from public.placement_splits x
             union all select to_jsonb(x) from public.recruiters x union all select to_jsonb(x) from public.company_members x
             union all select to_jsonb(x) from public.platform_admins x union all select to_jsonb(x) from public.placements x
             union all select to_jsonb(x) from public.escrow_holds x union all select to_jsonb(x) from public.payout_schedules x
           ) s), (select digest from before), 'no row changed');

select * from finish();
rollback;
