-- The read matrix: every actor x every exposed table and view -> exactly the fixture rows it
-- sees (labels, see _fixtures.psql), or the error. Co-recruiters A and B on P1 see only their
-- own split, payout, holds, schedules, tranches, audit rows and events; company members see
-- their company's placements, invoices and amount-free hold summaries; anon, the jobs' role
-- and service_role read nothing (42501); a JWT claiming platform_admin in its metadata without
-- the database row is nobody.
begin;
\ir _fixtures.psql

-- company billing: each invoice's Stripe invoice (company X and Y bill through Stripe Invoicing)
update public.companies set billing_email = 'ap@fixture.test' where id in (access_test.id('X'), access_test.id('Y'));
select access_test.remember('ciP1', (private.request_company_invoice(access_test.id('invP1'))).id);
select access_test.remember('ciP2', (private.request_company_invoice(access_test.id('invP2'))).id);

create temp table relations (relation text primary key, label text not null);
insert into relations values
  ('public.companies', 'access_test.label(t.id)'),
  ('public.company_members', 'access_test.label(t.company_id) || '':'' || access_test.label(t.user_id)'),
  ('public.platform_admins', 'access_test.label(t.user_id)'),
  ('public.recruiters', 'access_test.label(t.id)'),
  ('public.placements', 'access_test.label(t.id)'),
  ('public.placement_invoices', 'access_test.label(t.id)'),
  ('public.placement_splits', 'access_test.label(t.id)'),
  ('public.payouts', 'access_test.label(t.id)'),
  ('public.escrow_holds', 'access_test.label(t.id)'),
  ('public.payout_schedules', 'access_test.label(t.id)'),
  ('public.payout_transfers', 'access_test.label(t.id)'),
  ('public.payout_audit_log', 'coalesce(access_test.label(t.payout_id), ''pl:'' || access_test.label(t.placement_id))'),
  ('public.payout_events', 'coalesce(access_test.label(t.payout_id), ''pl:'' || access_test.label(t.placement_id))'),
  ('public.payout_audit_trail', 'coalesce(access_test.label(t.payout_id), ''pl:'' || access_test.label(t.placement_id))'),
  ('public.placement_escrow_holds', 'access_test.label(t.id)'),
  ('public.company_invoices', 'access_test.label(t.id)');

-- expected[relation] per actor; E = 'ERROR 42501'
create temp table expected (relation text, actor text, labels text, primary key (relation, actor));
insert into expected
select r.relation, a.actor, e.labels
from relations r
cross join lateral (values
  ('anon'), ('admin'), ('ra'), ('rb'), ('rc'), ('cadm'), ('hm'), ('other'), ('nobody'), ('fake_admin'), ('jobs'), ('service')
) a(actor)
cross join lateral (select case
  when a.actor in ('anon', 'jobs', 'service') then 'ERROR 42501'
  when a.actor in ('nobody', 'fake_admin') then ''
  else (case r.relation
    when 'public.companies' then jsonb_build_object(
      'admin', 'X,Y', 'cadm', 'X', 'hm', 'X', 'other', 'Y')
    when 'public.company_members' then jsonb_build_object(
      'admin', 'X:u_cadm,X:u_hm,Y:u_other', 'cadm', 'X:u_cadm,X:u_hm', 'hm', 'X:u_cadm,X:u_hm', 'other', 'Y:u_other')
    when 'public.platform_admins' then jsonb_build_object('admin', 'u_admin')
    when 'public.recruiters' then jsonb_build_object('admin', 'rA,rB,rC', 'ra', 'rA', 'rb', 'rB', 'rc', 'rC')
    when 'public.placements' then jsonb_build_object(
      'admin', 'P1,P2', 'ra', 'P1', 'rb', 'P1', 'rc', 'P2', 'cadm', 'P1', 'hm', 'P1', 'other', 'P2')
    when 'public.placement_invoices' then jsonb_build_object(
      'admin', 'invP1,invP2', 'cadm', 'invP1', 'hm', 'invP1', 'other', 'invP2')
    -- company admins only: not hiring managers, not recruiters
    when 'public.company_invoices' then jsonb_build_object('admin', 'ciP1,ciP2', 'cadm', 'ciP1', 'other', 'ciP2')
    when 'public.placement_splits' then jsonb_build_object(
      'admin', 'splitA,splitB,splitC', 'ra', 'splitA', 'rb', 'splitB', 'rc', 'splitC')
    when 'public.payouts' then jsonb_build_object('admin', 'payA,payB,payC', 'ra', 'payA', 'rb', 'payB', 'rc', 'payC')
    when 'public.escrow_holds' then jsonb_build_object(
      'admin', 'holdA,holdB,holdC', 'ra', 'holdA', 'rb', 'holdB', 'rc', 'holdC')
    when 'public.payout_schedules' then jsonb_build_object('admin', 'schA,schB', 'ra', 'schA', 'rb', 'schB')
    when 'public.payout_transfers' then jsonb_build_object('admin', 'trA,trB', 'ra', 'trA', 'rb', 'trB')
    when 'public.placement_escrow_holds' then jsonb_build_object(
      'admin', 'holdA,holdB,holdC', 'ra', 'holdA', 'rb', 'holdB', 'rc', 'holdC',
      'cadm', 'holdA,holdB', 'hm', 'holdA,holdB', 'other', 'holdC')
    else jsonb_build_object(  -- audit log, audit trail, events: by payout, placement rows for admins
      'admin', 'payA,payB,payC,pl:P1,pl:P2', 'ra', 'payA', 'rb', 'payB', 'rc', 'payC')
  end) ->> a.actor
end as labels) e0
cross join lateral (select coalesce(e0.labels, '') as labels) e;

select plan((select count(*)::int from expected) + 2);

-- the fixture has rows everywhere (so that an empty cell means "hidden", not "absent")
select is((select count(*)::int from relations r where access_test.visible('admin', r.relation,
                                                                       r.label) in ('', 'ERROR 42501')),
          0, 'the platform admin sees fixture rows in every relation');
select ok((select count(*) from public.payout_audit_log where payout_id = access_test.id('payA')) > 3
          and (select count(*) from public.payout_events where payout_id = access_test.id('payA')) > 3,
          'recruiter A''s payout has several audit rows and events');

select is(access_test.visible(x.actor, x.relation, r.label), x.labels,
          format('%s reads %s: %s', x.actor, x.relation, coalesce(nullif(x.labels, ''), 'no row')))
from expected x join relations r using (relation)
order by x.relation, x.actor;

select * from finish();
rollback;
