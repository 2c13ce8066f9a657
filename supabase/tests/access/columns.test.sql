-- Columns: where a party may see a row but not all of it. The columns not granted to
-- authenticated fail with 42501 whoever asks (admins read them through admin_* RPCs, see
-- rpc_reads.test.sql); the security_invoker views give the allowed columns with select *.
-- Co-recruiter A never gets B's amounts, Stripe ids or account, not even by id.
begin;
\ir _fixtures.psql

-- company billing: P1's invoice billed through Stripe Invoicing (company X has a billing email)
update public.companies set billing_email = 'ap@fixture.test' where id = access_test.id('X');
select private.request_company_invoice(access_test.id('invP1'));

create temp table cells (actor text, description text, sql text, expected text);
insert into cells values
  -- company members: their company's rows, without Stripe ids
  ('cadm', 'company name', 'select name from public.companies', 'Company X'),
  ('cadm', 'company stripe_customer_id', 'select stripe_customer_id from public.companies', 'ERROR 42501'),
  ('hm', 'company stripe_customer_id', 'select stripe_customer_id from public.companies', 'ERROR 42501'),
  ('cadm', 'select * from companies', 'select count(*) from (select * from public.companies) s', 'ERROR 42501'),
  ('cadm', 'placement fee', format('select fee_amount from public.placements where id = %L', access_test.id('P1')), '100000'),
  ('cadm', 'placement platform_amount', 'select platform_amount from public.placements', 'ERROR 42501'),
  ('cadm', 'invoice amount and status', 'select amount_due || '' '' || status from public.placement_invoices', '100000 paid'),
  ('cadm', 'invoice stripe_invoice_id', 'select stripe_invoice_id from public.placement_invoices', 'ERROR 42501'),
  ('cadm', 'company invoice amount and status', 'select amount_due || '' '' || status from public.company_invoices', '100000 pending'),
  ('cadm', 'company invoice idempotency key', 'select idempotency_key from public.company_invoices', 'ERROR 42501'),
  ('cadm', 'company invoice Stripe id', 'select stripe_invoice_id from public.company_invoices', 'ERROR 42501'),
  ('cadm', 'company billing email', 'select billing_email from public.companies', 'ap@fixture.test'),
  ('hm', 'company invoices (company admins only)', 'select count(*) from public.company_invoices', '0'),
  ('ra', 'company invoices (no company billing data)', 'select count(*) from public.company_invoices', '0'),
  ('hm', 'invoice stripe_payment_intent_id', 'select stripe_payment_intent_id from public.placement_invoices', 'ERROR 42501'),
  ('cadm', 'select * from placement_invoices', 'select count(*) from (select * from public.placement_invoices) s', 'ERROR 42501'),
  ('cadm', 'hold amounts (escrow_holds rows)', 'select count(*) from public.escrow_holds', '0'),
  ('cadm', 'hold summaries (reasons, dates)',
   'select string_agg(distinct hold_reason || '' '' || status || '' '' || release_scheduled_date, '','') from public.placement_escrow_holds',
   'guarantee_period active 2000-04-01'),
  ('cadm', 'hold summaries carry no amount', 'select hold_amount from public.placement_escrow_holds', 'ERROR 42703'),
  ('cadm', 'recruiter amounts (payouts)', 'select count(*) from public.payouts', '0'),
  ('cadm', 'tranches', 'select count(*) from public.payout_transfers', '0'),
  ('cadm', 'splits', 'select count(*) from public.placement_splits', '0'),
  ('cadm', 'recruiters (Stripe accounts)', 'select count(*) from public.recruiters', '0'),
  ('cadm', 'audit trail', 'select count(*) from public.payout_audit_trail', '0'),
  -- recruiter A: the placement with its fee, own money, nothing of B
  ('ra', 'placement fee included', format('select fee_amount from public.placements where id = %L', access_test.id('P1')), '100000'),
  ('ra', 'placement platform_amount', 'select platform_amount from public.placements', 'ERROR 42501'),
  ('ra', 'select * from placements', 'select count(*) from (select * from public.placements) s', 'ERROR 42501'),
  ('ra', 'own payout amount', format('select amount from public.payouts where id = %L', access_test.id('payA')), '60000'),
  ('ra', 'B''s payout amount by id', format('select amount from public.payouts where id = %L', access_test.id('payB')), '<null>'),
  ('ra', 'B''s split share by id', format('select share_bps from public.placement_splits where id = %L', access_test.id('splitB')), '<null>'),
  ('ra', 'B''s hold amount by id', format('select hold_amount from public.escrow_holds where id = %L', access_test.id('holdB')), '<null>'),
  ('ra', 'B''s tranche Stripe id by payout',
   format('select stripe_transfer_id from public.payout_transfers where payout_id = %L', access_test.id('payB')), '<null>'),
  ('ra', 'B''s connected account', format('select stripe_connect_account_id from public.recruiters where id = %L', access_test.id('rB')), '<null>'),
  ('ra', 'own connected account', format('select stripe_connect_account_id from public.recruiters where id = %L', access_test.id('rA')), 'acct_fixtureA'),
  ('ra', 'own tranche Stripe id', format('select stripe_transfer_id from public.payout_transfers where id = %L', access_test.id('trA')), 'tr_fixtureA'),
  ('ra', 'B''s events by payout', format('select count(*) from public.payout_events where payout_id = %L', access_test.id('payB')), '0'),
  ('ra', 'B''s audit rows by payout', format('select count(*) from public.payout_audit_trail where payout_id = %L', access_test.id('payB')), '0'),
  ('ra', 'P1''s placement-level audit rows (they include B''s split)',
   format('select count(*) from public.payout_audit_trail where placement_id = %L and payout_id is null', access_test.id('P1')), '0'),
  ('ra', 'own payout''s event payloads', format('select count(*) > 0 from public.payout_events where payout_id = %L and payload ? ''amount''', access_test.id('payA')), 'true'),
  ('ra', 'audit old_values', 'select old_values from public.payout_audit_log limit 1', 'ERROR 42501'),
  ('ra', 'audit new_values', 'select new_values from public.payout_audit_log limit 1', 'ERROR 42501'),
  ('ra', 'audit row_hash', 'select row_hash from public.payout_audit_log limit 1', 'ERROR 42501'),
  ('ra', 'audit prev_hash', 'select prev_hash from public.payout_audit_log limit 1', 'ERROR 42501'),
  ('ra', 'audit txid', 'select txid from public.payout_audit_log limit 1', 'ERROR 42501'),
  ('ra', 'select * from payout_audit_log', 'select count(*) from (select * from public.payout_audit_log) s', 'ERROR 42501'),
  ('ra', 'audit trail: who and why of own payout',
   format('select count(*) > 0 from (select * from public.payout_audit_trail where payout_id = %L and changed_by_role is not null) s', access_test.id('payA')),
   'true'),
  ('ra', 'escrow total through a filter on the view', 'select count(*) from public.placement_escrow_holds', '1'),
  -- platform admin: every row, but the same column grants (sensitive columns via admin_* RPCs)
  ('admin', 'company stripe_customer_id', 'select stripe_customer_id from public.companies', 'ERROR 42501'),
  ('admin', 'placement platform_amount', 'select platform_amount from public.placements', 'ERROR 42501'),
  ('admin', 'audit old_values', 'select old_values from public.payout_audit_log limit 1', 'ERROR 42501'),
  ('admin', 'invoice amount_due of both companies', 'select sum(amount_due) from public.placement_invoices where id in (select id from access_test.names)', '150000'),
  -- the JWT is never the source of roles
  ('fake_admin', 'placements with admin claims in app_metadata', 'select count(*) from public.placements', '0'),
  ('fake_admin', 'platform_admins with admin claims', 'select count(*) from public.platform_admins', '0'),
  ('fake_admin', 'private.is_platform_admin() with admin claims', 'select private.is_platform_admin()::text', 'false'),
  ('admin', 'private.is_platform_admin() of the database admin', 'select private.is_platform_admin()::text', 'true'),
  ('anon', 'private.is_platform_admin()', 'select private.is_platform_admin()::text', 'ERROR 42501'),
  ('jobs', 'private.is_platform_admin()', 'select private.is_platform_admin()::text', 'ERROR 42501'),
  -- helpers return the caller's own ids only
  ('ra', 'private.my_recruiter_id()', 'select access_test.label(private.my_recruiter_id())', 'rA'),
  ('ra', 'private.my_payout_ids()', 'select string_agg(access_test.label(x), '','') from private.my_payout_ids() x', 'payA'),
  ('ra', 'private.visible_placement_ids()', 'select string_agg(access_test.label(x), '','') from private.visible_placement_ids() x', 'P1'),
  ('hm', 'private.my_company_ids()', 'select string_agg(access_test.label(x), '','') from private.my_company_ids() x', 'X'),
  ('hm', 'private.member_placement_ids()', 'select string_agg(access_test.label(x), '','') from private.member_placement_ids() x', 'P1'),
  ('ra', 'private.begin_admin_action() (owner only)', 'select private.begin_admin_action()::text', 'ERROR 42501'),
  ('admin', 'private.set_actor (owner only)', 'select private.set_actor(null, ''system'')::text', 'ERROR 42501'),
  ('admin', 'a model transition directly', format('select private.transition_placement(%L, ''failed'', ''x'')::text', access_test.id('P1')), 'ERROR 42501');

select plan((select count(*)::int from cells));

select is(access_test.run_as(c.actor, c.sql), c.expected, format('%s: %s -> %s', c.actor, c.description, c.expected))
from cells c;

select * from finish();
rollback;
