-- Read RPCs: placement_escrow_total per party (placement-wide with amounts for admins,
-- placement-wide counts and dates without amounts for company members, own holds only for a
-- recruiter, 42501 for anyone else, with no existence oracle),
-- payout_run_preview (what the next run would pay, and why not, changing nothing), and the admin
-- reads of the columns authenticated is not granted.
begin;
\ir _fixtures.psql
select plan(43);

create function access_test.total(p_actor text, p_placement uuid)
returns text language sql as $$
  select access_test.run_as(p_actor, format(
    $q$select scope || ' ' || currency || ' held=' || coalesce(held_amount::text, '-')
              || ' released=' || coalesce(released_amount::text, '-') || ' cancelled=' || coalesce(cancelled_amount::text, '-')
              || ' active=' || active_hold_count || ' next=' || coalesce(next_release_date::text, '-')
       from public.placement_escrow_total(%L)$q$, p_placement))
$$;

-- ---------------------------------------------------------------------------------------------
-- placement_escrow_total
-- ---------------------------------------------------------------------------------------------
select is(access_test.total('admin', access_test.id('P1')),
          'placement USD held=18000 released=0 cancelled=0 active=2 next=2000-04-01', 'admin: the placement''s totals');
select is(access_test.total('cadm', access_test.id('P1')),
          'company USD held=- released=- cancelled=- active=2 next=2000-04-01',
          'company admin: the placement''s hold count and next date, no amounts');
select is(access_test.total('hm', access_test.id('P1')),
          'company USD held=- released=- cancelled=- active=2 next=2000-04-01',
          'hiring manager: the placement''s hold count and next date, no amounts');
select is(access_test.total('ra', access_test.id('P1')),
          'own USD held=12000 released=0 cancelled=0 active=1 next=2000-04-01', 'recruiter A: own holds only');
select is(access_test.total('rb', access_test.id('P1')),
          'own USD held=6000 released=0 cancelled=0 active=1 next=2000-04-01', 'recruiter B: own holds only');
select is(access_test.total('rc', access_test.id('P1')), 'ERROR 42501', 'recruiter C (not on P1): 42501');
select is(access_test.total('other', access_test.id('P1')), 'ERROR 42501', 'the other company: 42501');
select is(access_test.total('nobody', access_test.id('P1')), 'ERROR 42501', 'a signed-in user with no role: 42501');
select is(access_test.total('fake_admin', access_test.id('P1')), 'ERROR 42501', 'admin claims in the JWT: 42501');
select is(access_test.total('anon', access_test.id('P1')), 'ERROR 42501', 'anon: 42501');
select is(access_test.total('jobs', access_test.id('P1')), 'ERROR 42501', 'the jobs'' role: 42501');
select is(access_test.total('nobody', gen_random_uuid()), 'ERROR 42501', 'an unknown placement: 42501 too (no existence oracle)');
select is(access_test.total('admin', gen_random_uuid()), 'ERROR PT404', 'admin, unknown placement: PT404');
select is(access_test.total('other', access_test.id('P2')),
          'company USD held=- released=- cancelled=- active=1 next=2000-04-01',
          'the other company: its own placement (one recruiter on it: no amount, which would be that recruiter''s)');
select is(access_test.run_as('cadm', format(
            'select count(*) from public.placement_escrow_total(%L) where num_nulls(held_amount, released_amount, cancelled_amount) = 3',
            access_test.id('P1'))), '1', 'company members: the three amount columns are null');

-- ---------------------------------------------------------------------------------------------
-- payout_run_preview
-- ---------------------------------------------------------------------------------------------
-- L (today's clock): A 5000 / B 2500 of 200000, invoiced and paid 8 days ago: both due now.
select access_test.live_placement('L');
select access_test.remember('invL', (private.record_placement_invoice(access_test.id('L'), 'in_readsL', null, 'open',
                                                                       now() - interval '9 days')).id);
select private.transition_placement_invoice(access_test.id('invL'), 'paid', null, now() - interval '8 days', now() - interval '8 days');
select access_test.remember('payLA', (select id from payouts where placement_id = access_test.id('L') and recruiter_id = access_test.id('rA')));
select access_test.remember('payLB', (select id from payouts where placement_id = access_test.id('L') and recruiter_id = access_test.id('rB')));
-- M: paid 1 day ago, not collectible yet; K: collectible, but its schedule moved to next week
select access_test.live_placement('M', '{1000,null}');
select access_test.remember('invM', (private.record_placement_invoice(access_test.id('M'), 'in_readsM', null, 'open',
                                                                       now() - interval '2 days')).id);
select private.transition_placement_invoice(access_test.id('invM'), 'paid', null, now() - interval '1 day', now() - interval '1 day');
select access_test.remember('payMA', (select id from payouts where placement_id = access_test.id('M')));
select access_test.live_placement('K', '{1000,null}');
select access_test.remember('invK', (private.record_placement_invoice(access_test.id('K'), 'in_readsK', null, 'open',
                                                                       now() - interval '9 days')).id);
select private.transition_placement_invoice(access_test.id('invK'), 'paid', null, now() - interval '8 days', now() - interval '8 days');
select access_test.remember('payKA', (select id from payouts where placement_id = access_test.id('K')));
select access_test.as_admin(format($$select public.update_payout_schedule(%L, now() + interval '7 days', 'next week')::text$$,
                                   (select id from payout_schedules where payout_id = access_test.id('payKA'))));

create function access_test.preview(p_payout text, p_now timestamptz default now())
returns text language sql as $$
  select access_test.run_as('admin', format(
    $q$select would_pay || ' ' || amount || ' ' || coalesce(reason, '-') from public.payout_run_preview(%L) where payout_id = %L$q$,
    p_now, access_test.id(p_payout)))
$$;

create temp table before as
select (select count(*) from payout_audit_log) as audit_rows, (select count(*) from payout_events) as events,
       (select count(*) from payout_transfers) as transfers;

select is(access_test.preview('payLA'), 'true 80000 -', 'due and eligible: would pay its payable amount (unheld 80%)');
select is(access_test.preview('payLB'), 'true 40000 -', 'B too');
select is(access_test.preview('payMA'), 'false 0 invoice_not_collectible', 'paid 1 day ago: not collectible yet');
select is(access_test.preview('payKA'), 'false 0 not_due', 'schedule moved to next week: not due');
select is(access_test.preview('payKA', now() + interval '8 days'), 'true 16000 -', '... due as of next week (p_now)');
-- payout_run_totals: the would_pay rows summed per currency, in the database
select ok(access_test.run_as('admin', $$select count(*) from public.payout_run_preview() where would_pay$$)::int >= 2,
          'the preview would pay L''s two payouts');
select is(access_test.run_as('admin', $$select string_agg(currency || ' ' || payouts || ' ' || amount, ', ' order by currency)
                                        from public.payout_run_totals()$$),
          access_test.run_as('admin', $$select string_agg(t, ', ' order by t) from (
                                          select currency || ' ' || count(*) || ' ' || sum(amount) as t
                                          from public.payout_run_preview() where would_pay group by currency) x$$),
          'payout_run_totals: per currency, the count and sum of what the preview would pay');
select is(access_test.preview('payA'), 'false 0 nothing_payable', 'fixture A: paid but for the held part');
select is(access_test.preview('payC'), 'false 0 invoice_not_collectible', 'fixture C: invoice open');
select access_test.as_admin(format($$select public.pause_recruiter_payouts(%L, 'review')::text$$, access_test.id('rB')));
select is(access_test.preview('payLB'), 'false 0 recruiter_paused', 'B paused: recruiter_paused');
select access_test.as_admin($$select public.pause_payouts('incident')::text$$);
select is(access_test.preview('payLA'), 'false 0 platform_paused', 'kill switch on: platform_paused first');
-- resuming needs a second admin (four_eyes.test.sql): here the model function, as postgres
select private.set_payouts_paused(false, 'incident over', now());
select count(*) from private.claim_due_payout_schedules(gen_random_uuid(), 100, null, now())
  where payout_id = access_test.id('payLA');
select is(access_test.preview('payLA'), 'false 0 nothing_payable', 'claimed: the money is in flight');
select is(access_test.run_as('admin', format($$select in_flight_amount || ' ' || schedule_status from public.payout_run_preview() where payout_id = %L$$,
                                            access_test.id('payLA'))), '80000 processing', '... and the preview shows where it is');
select is(access_test.run_as('admin', 'select count(*) || '' '' || count(distinct payout_id) from public.payout_run_preview()'),
          (select count(*) || ' ' || count(*) from payouts where status in ('pending', 'partially_paid')),
          'one row per payout with money outstanding');
select is(access_test.run_as('admin', format($$select count(*) from public.payout_run_preview() where payout_id = %L$$,
                                            (select id from payouts where status = 'paid' limit 1))), '0',
          'no row for paid payouts');

-- preview changed nothing but what the test did itself (pauses, the claim)
select is((select count(*) from payout_transfers) - (select transfers from before), 1::bigint, 'the preview created no tranche');

-- ---------------------------------------------------------------------------------------------
-- admin reads of the hidden columns
-- ---------------------------------------------------------------------------------------------
select is(access_test.run_as('admin', format($$select stripe_customer_id from public.admin_companies(array[%L]::uuid[])$$,
                                            access_test.id('X'))), 'cus_fixtureX', 'admin_companies: stripe_customer_id');
select is(access_test.run_as('admin', format($$select platform_amount::text from public.admin_placements(array[%L]::uuid[])$$,
                                            access_test.id('P1'))), '10000', 'admin_placements: platform_amount');
select is(access_test.run_as('admin', format($$select stripe_invoice_id from public.admin_placement_invoices(array[%L]::uuid[])$$,
                                            access_test.id('P1'))), 'in_fixtureP1', 'admin_placement_invoices: Stripe ids');
select is(access_test.run_as('admin', format($$select count(*) filter (where new_values is not null and row_hash is not null) = count(*) and count(*) > 3
                                              from public.admin_payout_audit_log(p_payout_id => %L)$$, access_test.id('payA'))),
          'true', 'admin_payout_audit_log: values and hashes of a payout''s rows');
select is(access_test.run_as('admin', format($$select string_agg(distinct entity_type, ',' order by entity_type)
                                              from public.admin_payout_audit_log(p_entity_type => 'payout', p_payout_id => %L)$$,
                                            access_test.id('payA'))), 'payout', '... filtered by entity type');
select is(access_test.run_as('admin', format(
  $$with p1 as (select * from public.admin_payout_audit_log(p_payout_id => %1$L, p_limit => 2)),
         p2 as (select * from public.admin_payout_audit_log(p_payout_id => %1$L, p_after_id => (select max(id) from p1), p_limit => 2))
    select (select count(*) from p1) || ' ' || (select count(*) from p2) || ' ' || ((select min(id) from p2) > (select max(id) from p1))$$,
  access_test.id('payA'))), '2 2 true', '... keyset pages in id order');
select is(access_test.run_as('ra', 'select count(*) from public.admin_payout_audit_log()'), 'ERROR 42501', 'recruiters: 42501');

-- verifying one chain through the API
select is(access_test.run_as('admin', format($$select count(*) from public.verify_audit_chain('payout', %L)$$,
                                            access_test.id('payA'))), '0', 'verify_audit_chain: an intact chain has no problem');
select is(access_test.error_as('admin', 'select count(*) from public.verify_audit_chain()') like 'PT400: p_entity_type and p_entity_id are required%',
          true, '... one chain at a time: PT400 without an entity');
select is(access_test.run_as('ra', format($$select count(*) from public.verify_audit_chain('payout', %L)$$, access_test.id('payA'))),
          'ERROR 42501', '... recruiters: 42501');
-- tampering (as the owner, bypassing the append-only triggers) is reported through the RPC
set local session_replication_role = replica;
update public.payout_audit_log set new_values = new_values || '{"amount": 1}'
 where id = (select max(id) from public.payout_audit_log where entity_type = 'payout' and entity_id = access_test.id('payA'));
set local session_replication_role = origin;
select is(access_test.run_as('admin', format($$select string_agg(problem, ',') from public.verify_audit_chain('payout', %L)$$,
                                            access_test.id('payA'))), 'row_hash_mismatch', '... an edited row is reported');
select is(access_test.run_as('cadm', 'select count(*) from public.admin_companies()'), 'ERROR 42501', 'company admins: 42501');

select * from finish();
rollback;
