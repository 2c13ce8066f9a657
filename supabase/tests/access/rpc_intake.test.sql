-- Intake RPCs as a platform admin: companies, recruiters, placements with their splits (validated
-- before anything is written: sum <= 10000 bps, one entry per recruiter and role), splits
-- replaced until the invoice is recorded and locked afterwards, the invoice linked to a Stripe
-- invoice. Audited with the admin; the new rows are visible to their parties at once.
begin;
\ir _fixtures.psql
select plan(52);

create function access_test.splits(variadic p_entries text[])
returns jsonb language sql as $$
  -- 'rA:candidate_recruiter:5000' -> {"recruiter_id": <rA>, "role": "candidate_recruiter", "share_bps": 5000}
  select coalesce(jsonb_agg(jsonb_build_object('recruiter_id', access_test.id(split_part(e, ':', 1)),
                                               'role', split_part(e, ':', 2),
                                               'share_bps', split_part(e, ':', 3)::int)), '[]')
  from unnest(p_entries) e
$$;
create function access_test.try_create_placement(p_splits jsonb, p_fee bigint default 1000, p_currency text default 'USD',
                                                 p_company text default 'X')
returns text language sql as $$
  select access_test.run_as('admin', format(
    'select public.create_placement(%L, %s, %L, now(), 30, %L)::text',
    access_test.id(p_company), p_fee, p_currency, p_splits))
$$;

-- ---------------------------------------------------------------------------------------------
-- companies and recruiters
-- ---------------------------------------------------------------------------------------------
select access_test.remember('Z', (access_test.as_admin($$select (public.create_company(' Company Z ', 'cus_intakeZ')).id::text$$))::uuid);
select is((select name || ' ' || stripe_customer_id from companies where id = access_test.id('Z')), 'Company Z cus_intakeZ',
          'create_company creates the company (name trimmed)');
select ok(exists (select 1 from payout_audit_log where entity_id = access_test.id('Z') and action = 'company.create'
                  and changed_by = access_test.id('u_admin') and changed_by_role = 'platform_admin'),
          '... audited with the admin');
select is(access_test.run_as('admin', $$select public.create_company('Other', 'cus_intakeZ')::text$$), 'ERROR PT409',
          'a Stripe customer belongs to one company');
select is(access_test.run_as('admin', $$select public.create_company('  ')::text$$), 'ERROR PT400', 'a name is required');
select is(access_test.run_as('admin', $$select public.create_company('Z2', 'acct_123')::text$$), 'ERROR PT400',
          'not a Stripe customer id');

select access_test.remember('u_rd', tests.create_user('access-rd@test.invalid'));
select access_test.remember('rD', (access_test.as_admin(format($$select (public.create_recruiter(%L, 'Recruiter D')).id::text$$,
                                                              access_test.id('u_rd'))))::uuid);
select is(access_test.run_as('rd', 'select display_name from public.recruiters'), 'Recruiter D',
          'create_recruiter: the user reads their recruiter row at once');
select ok(exists (select 1 from payout_audit_log where entity_id = access_test.id('rD') and action = 'recruiter.create'
                  and changed_by = access_test.id('u_admin')), '... audited with the admin');
select is(access_test.run_as('admin', format($$select public.create_recruiter(%L, 'again')::text$$, access_test.id('u_rd'))),
          'ERROR PT409', 'a user is a recruiter once');
select is(access_test.run_as('admin', format($$select public.create_recruiter(%L, 'ghost')::text$$, gen_random_uuid())),
          'ERROR PT404', 'an unknown user cannot be a recruiter');
select is(access_test.run_as('admin', format($$select public.create_recruiter(%L, '')::text$$, access_test.id('u_nobody'))),
          'ERROR PT400', 'a display name is required');

-- ---------------------------------------------------------------------------------------------
-- create_placement: bad input changes nothing
-- ---------------------------------------------------------------------------------------------
create temp table counts_before as
select (select count(*) from placements) as placements, (select count(*) from placement_splits) as splits,
       (select count(*) from payout_audit_log) as audit_rows;

select is(access_test.try_create_placement('{"recruiter_id": "x"}'), 'ERROR PT400', 'splits must be an array');
select is(access_test.try_create_placement('[1]'), 'ERROR PT400', 'each split is an object');
select is(access_test.try_create_placement(jsonb_build_array(jsonb_build_object('recruiter_id', access_test.id('rA'),
            'role', 'candidate_recruiter', 'share', 100))), 'ERROR PT400', 'unknown key (share instead of share_bps)');
select is(access_test.try_create_placement('[{"recruiter_id": "not-a-uuid", "role": "job_owner", "share_bps": 1}]'),
          'ERROR PT400', 'recruiter_id must be a uuid');
select is(access_test.try_create_placement(access_test.splits('rA:boss:100')), 'ERROR PT400', 'unknown role');
select is(access_test.try_create_placement(access_test.splits('rA:job_owner:0')), 'ERROR PT400', 'share_bps >= 1');
select is(access_test.try_create_placement(jsonb_build_array(jsonb_build_object('recruiter_id', access_test.id('rA'),
            'role', 'job_owner', 'share_bps', 12.5))), 'ERROR PT400', 'share_bps is an integer');
select is(access_test.try_create_placement(jsonb_build_array(jsonb_build_object('recruiter_id', access_test.id('rA'),
            'role', 'job_owner', 'share_bps', '100'))), 'ERROR PT400', 'share_bps is a JSON number');
select is(access_test.try_create_placement(access_test.splits('rA:job_owner:100', 'rA:job_owner:200')), 'ERROR PT400',
          'one split per recruiter and role');
select is(access_test.try_create_placement(jsonb_build_array(jsonb_build_object('recruiter_id', gen_random_uuid(),
            'role', 'job_owner', 'share_bps', 100))), 'ERROR PT404', 'unknown recruiter');
select is(access_test.try_create_placement(access_test.splits('rA:candidate_recruiter:6000', 'rB:company_recruiter:4001')),
          'ERROR PT422', 'shares over 10000 bps');
select is(access_test.try_create_placement(access_test.splits('rA:job_owner:100'), -1), 'ERROR PT400', 'negative fee');
select is(access_test.try_create_placement(access_test.splits('rA:job_owner:100'), 1000, 'usd'), 'ERROR PT400',
          'currency is upper-case ISO');
select is(access_test.run_as('admin', format('select public.create_placement(%L, 1000, ''USD'', now(), 30)::text', gen_random_uuid())),
          'ERROR PT404', 'unknown company');
select is(access_test.try_create_placement(access_test.splits('rA:job_owner:100'), 1000, 'XXX'), 'ERROR PT400',
          'currency XXX (ISO''s "no currency"): PT400');
select is(access_test.error_as('admin', format('select public.create_placement(%L, 1000, ''XXX'', now(), 30)', access_test.id('X'))),
          'PT400: p_currency must be a supported currency: an upper-case ISO 4217 code, one of '
          || (select string_agg(code, ', ' order by code) from private.supported_currencies()) || ' (got "XXX")',
          '... and the message lists the supported currencies');
select is(access_test.try_create_placement(access_test.splits('rA:job_owner:100'), 1000, 'ISK'), 'ERROR PT400',
          'a real ISO currency outside the supported list (ISK): PT400');
select is(access_test.run_as('admin', format('select public.create_placement(%L, 1000, ''USD'', ''infinity'', 30)::text',
                                            access_test.id('X'))), 'ERROR PT400', 'hired_at infinity: PT400');
select is((select string_agg(code || ':' || minor_unit_exponent, ',') from private.supported_currencies()
           where code in ('EUR', 'JPY', 'USD')), 'EUR:2,JPY:0,USD:2', 'supported currencies carry their minor-unit exponent');
select throws_ok(format($$ do $x$ begin
                             perform private.enter_transition('test.currency', null);
                             insert into public.placements (company_id, fee_amount, currency, hired_at, guarantee_days,
                                                            guarantee_expires_at)
                             values (%L, 1, 'XXX', now(), 0, now());
                           end $x$ $$, access_test.id('X')),
  '23514', null, 'placements.currency: a CHECK refuses an unsupported currency whoever writes');
select is(((select count(*) from placements), (select count(*) from placement_splits), (select count(*) from payout_audit_log))::text,
          (select (placements, splits, audit_rows)::text from counts_before), 'refused placements wrote nothing');

-- ---------------------------------------------------------------------------------------------
-- create_placement, set_placement_splits, record_placement_invoice
-- ---------------------------------------------------------------------------------------------
select access_test.remember('N', (access_test.as_admin(format(
  $$select (public.create_placement(%L, 300000, 'EUR', now() - interval '1 day', 60, %L, 1000, 'Head of Data')).id::text$$,
  access_test.id('Z'), access_test.splits('rA:candidate_recruiter:6000', 'rD:company_recruiter:4000'))))::uuid);
select is((select status || ' ' || fee_amount || ' ' || currency || ' ' || holdback_bps from placements where id = access_test.id('N')),
          'hired 300000 EUR 1000', 'create_placement creates the placement');
select is((select string_agg(access_test.label(recruiter_id) || ':' || share_bps, ',' order by share_bps desc)
           from placement_splits where placement_id = access_test.id('N')), 'rA:6000,rD:4000', '... with its splits');
select ok(exists (select 1 from payout_audit_log where entity_id = access_test.id('N') and action = 'placement.create'
                  and changed_by = access_test.id('u_admin')), '... audited with the admin (placement)');
select is((select count(*)::int from payout_audit_log where placement_id = access_test.id('N') and entity_type = 'placement_split'
           and action = 'placement_split.set' and changed_by = access_test.id('u_admin')), 2, '... and (splits)');
select is(access_test.visible('ra', 'public.placements', 'access_test.label(t.id)'), 'N,P1',
          'recruiter A sees the new placement at once');
select is(access_test.visible('rb', 'public.placements', 'access_test.label(t.id)'), 'P1', 'B (no split on it) does not');
select is(access_test.visible('cadm', 'public.placements', 'access_test.label(t.id)'), 'P1',
          'members of another company do not');

select is(access_test.as_admin(format($$select string_agg(access_test.label(recruiter_id) || ':' || share_bps, ',' order by share_bps desc)
                                        from public.set_placement_splits(%L, %L)$$,
                                      access_test.id('N'), access_test.splits('rA:candidate_recruiter:5000', 'rB:job_owner:2500'))),
          'rA:5000,rB:2500', 'set_placement_splits replaces the splits before the invoice');
select is(access_test.visible('rb', 'public.placements', 'access_test.label(t.id)'), 'N,P1', 'B sees it now');
select is(access_test.visible('rd', 'public.placements', 'access_test.label(t.id)'), '', 'D no longer does');
select is(access_test.run_as('admin', format($$select count(*) from public.set_placement_splits(%L, %L)$$,
            access_test.id('N'), access_test.splits('rA:candidate_recruiter:9000', 'rB:job_owner:1001'))),
          'ERROR PT422', 'set_placement_splits: shares over 10000 bps');

select is(access_test.run_as('admin', format($$select public.record_placement_invoice(%L, 'INV-1')::text$$, access_test.id('N'))),
          'ERROR PT400', 'record_placement_invoice needs a Stripe invoice id');
select is(access_test.error_as('admin', format($$select public.record_placement_invoice(%L, 'in_qa_c1a')$$, access_test.id('N'))),
          'PT400: p_stripe_invoice_id must be a Stripe invoice id: "in_" then letters and digits only (A-Z, a-z, 0-9), got "in_qa_c1a"',
          '... and says which characters are allowed');
select is(access_test.error_as('admin', $$select public.create_company('Z3', 'cus_a-b')$$),
          'PT400: p_stripe_customer_id must be a Stripe customer id: "cus_" then letters and digits only (A-Z, a-z, 0-9), got "cus_a-b"',
          'create_company: the same for a Stripe customer id');
select is(access_test.run_as('admin', format($$select public.record_placement_invoice(%L, 'in_fixtureP1')::text$$, access_test.id('N'))),
          'ERROR PT409', 'a Stripe invoice linked to another placement');
select is(access_test.run_as('admin', format($$select public.record_placement_invoice(%L, 'in_intakeN', null, 'paid')::text$$,
                                            access_test.id('N'))), 'ERROR PT400', 'an invoice is recorded draft or open');
select access_test.remember('invN', (access_test.as_admin(format($$select (public.record_placement_invoice(%L, 'in_intakeN')).id::text$$,
                                                                 access_test.id('N'))))::uuid);
select is((select status || ' ' || amount_due || ' ' || stripe_invoice_id from placement_invoices where id = access_test.id('invN')),
          'open 300000 in_intakeN', 'record_placement_invoice links the Stripe invoice (amount = fee)');
select is((select string_agg(amount::text, ',' order by amount desc) from payouts where placement_id = access_test.id('N')),
          '150000,75000', '... creates the payouts');
select is(access_test.as_admin(format($$select public.record_placement_invoice(%L, 'in_intakeN')::text$$, access_test.id('N'))),
          (select i::text from placement_invoices i where id = access_test.id('invN')), 'the same invoice again: unchanged');
select is(access_test.run_as('admin', format($$select public.record_placement_invoice(%L, 'in_intakeN2')::text$$, access_test.id('N'))),
          'ERROR PT409', 'another invoice for the same placement');
select is(access_test.run_as('admin', format($$select count(*) from public.set_placement_splits(%L, %L)$$,
            access_test.id('N'), access_test.splits('rA:candidate_recruiter:100'))),
          'ERROR PT409', 'splits are locked once the invoice is recorded');

select * from finish();
rollback;
