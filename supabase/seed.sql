-- Demo data for the local stack (npm start): companies, recruiters, placements in every stage,
-- invoices, payouts, escrow holds, schedules and tranches. Everything goes through the private
-- transition functions (the guards refuse anything else), so the demo also has the audit
-- trail and the outbox events a real history would have.
--
-- Dates are relative to today 00:00 UTC (T), so the demo always shows the same picture:
--   P1 Backend Engineer   hired T-2, no invoice yet                       (placement hired)
--   P2 Product Designer   active, invoice open, guarantee + dispute holds  (nothing payable yet)
--   P3 Data Scientist     active, invoice paid, Alice paid her first tranche; Bob's schedule
--                         failed 3 times (exhausted: waits for an admin)  (partially paid)
--   P4 Sales Director     completed, guarantee holds released, all paid    (placement completed)
--   P5 DevOps Lead        failed in its guarantee after the first tranche  (flagged for reversal,
--                         forfeited, refund decided)
--   P6 QA Engineer        invoice paid, but Carol has no transfer-capable account and Dan is
--                         paused: skipped, one payout.connect_required event each (Carol then
--                         starts Connect onboarding at the end of this file, not finished)
--   P7 Platform Engineer  invoice paid and collectible, no holdback      (due at the next run)
--   P8 Frontend Engineer  hired T-1 at Acme, which is billed through Stripe Invoicing: its Stripe
--                         invoice was created, finalized and sent (open, not paid yet)
-- People: admin@demo.test is a platform admin; hr@ / manager@acme.demo.test are Acme's
-- company_admin / hiring_manager.
-- Business due times (UTC): payouts fall due at 02:00, escrow holds are released at 03:00.
--
-- Demo users (auth.users) alice/bob/carol/dan/erin@demo.test have fixed ids 00000000-...-00000000000{1..5},
-- admin@demo.test ...6, hr@ / manager@acme.demo.test ...7 / ...8; each signs in with the password
-- `demo-password` (locally through the Auth stand-in at /auth/v1).
--
-- Payments are made at Stripe, as a payout run makes them. Where the history has a run paying
-- the tranches it has just claimed, the seed prints them (`seed:stripe {...}`, built by
-- pg_temp.stripe_request) and waits for their Stripe transfer ids (`\prompt`). The local stack's
-- seeder, local/stack/seed.ts, makes each transfer in the Stripe stand-in as the payout run does
-- (the tranche's amount, destination, transfer_group, metadata and source charge, under its
-- idempotency key, at that moment of the history on the stand-in's clock) and answers with the
-- ids, which the seed records with private.complete_payout_transfer. So the demo's transfers are
-- in the stand-in's ledger and reconciliation finds them. Load this file through that seeder
-- (`npm start` seeds a new cluster once, `npm run reset` seeds again), not with plain psql.

\o /dev/null
select private.configure_payout_settings(
  p_settlement_buffer => interval '7 days',
  p_payout_due_time => time '02:00',
  p_escrow_release_time => time '03:00',
  p_max_failed_attempts => 3,
  p_reason => 'demo settings');

-- T = today 00:00 UTC, as a session setting the statements below read. The file runs with or
-- without an enclosing transaction (npm start: autocommit; CI: inside begin ... rollback).
select set_config('seed.t', (date_trunc('day', now() at time zone 'UTC') at time zone 'UTC')::text, false);
create function pg_temp.t(p_days integer, p_time text default '00:00')
returns timestamptz language sql stable as $$
  select current_setting('seed.t')::timestamptz + make_interval(days => p_days) + (p_time::time - time '00:00')
$$;

-- What the payout run sends to Stripe for a placement's claimed (pending) tranches, paid at p_at
-- (optionally only those to one account), as one line of JSON for the seeder.
create function pg_temp.stripe_request(p_placement_id uuid, p_at timestamptz, p_destination text default null)
returns text language sql stable as $$
  select jsonb_build_object('at', extract(epoch from p_at)::bigint, 'tranches', coalesce(jsonb_agg(jsonb_build_object(
           'tranche', t.id, 'payout', t.payout_id, 'schedule', t.schedule_id, 'placement', t.placement_id,
           'amount', t.amount, 'currency', lower(t.currency), 'destination', t.destination_account_id,
           'capability', coalesce(r.stripe_transfers_capability, 'inactive'),
           'idempotency_key', t.idempotency_key, 'attempt_number', t.attempt_number,
           'transfer_group', 'placement_' || t.placement_id,
           'invoice', (select jsonb_build_object('id', i.stripe_invoice_id, 'amount', i.amount_due,
                                                 'currency', lower(i.currency), 'paid_at', extract(epoch from i.paid_at)::bigint)
                         from public.placement_invoices i
                        where i.placement_id = t.placement_id and i.status = 'paid' and i.stripe_invoice_id is not null))
         order by t.id), '[]'::jsonb))::text
    from public.payout_transfers t
    join public.payouts po on po.id = t.payout_id
    join public.recruiters r on r.id = po.recruiter_id
   where t.placement_id = p_placement_id and t.status = 'pending'
     and (p_destination is null or t.destination_account_id = p_destination)
$$;

-- Records the seeder's answer ([{"tranche", "transfer"}]): each tranche succeeded with the
-- transfer Stripe made, at p_at.
create function pg_temp.record_stripe_transfers(p_paid text, p_at timestamptz)
returns integer language plpgsql as $$
declare
  v jsonb;
  v_n integer := 0;
begin
  if coalesce(p_paid, '') !~ '^\s*\[' then
    raise exception 'seed.sql: no Stripe transfer ids for the claimed tranches (got "%"). The seed pays them through the Stripe stand-in: load it with npm start or npm run reset (local/stack/seed.ts), not with plain psql',
      coalesce(p_paid, '');
  end if;
  for v in select * from jsonb_array_elements(p_paid::jsonb) loop
    perform private.complete_payout_transfer((v->>'tranche')::uuid, v->>'transfer', p_at);
    v_n := v_n + 1;
  end loop;
  return v_n;
end
$$;

-- ---------------------------------------------------------------------------------------------
-- People and companies
-- ---------------------------------------------------------------------------------------------
-- Every demo user signs in with the password `demo-password` (README.md, "Demo data"): a bcrypt
-- hash through pgcrypto, the email confirmed, and the columns Supabase Auth reads as strings set
-- to '' (left NULL, Auth cannot load the user: "Database error querying schema").
create function pg_temp.demo_user(p_id uuid, p_email text) returns void language sql as $$
  insert into auth.users (instance_id, id, email, aud, role, encrypted_password, email_confirmed_at,
                          confirmation_token, recovery_token, email_change_token_new, email_change,
                          raw_app_meta_data, raw_user_meta_data)
  values ('00000000-0000-0000-0000-000000000000', p_id, p_email, 'authenticated', 'authenticated',
          extensions.crypt('demo-password', extensions.gen_salt('bf', 10)), now(), '', '', '', '',
          '{"provider":"email","providers":["email"]}', '{"email_verified":true}')
$$;
select pg_temp.demo_user(id::uuid, email) from (values
  ('00000000-0000-0000-0000-000000000001', 'alice@demo.test'),
  ('00000000-0000-0000-0000-000000000002', 'bob@demo.test'),
  ('00000000-0000-0000-0000-000000000003', 'carol@demo.test'),
  ('00000000-0000-0000-0000-000000000004', 'dan@demo.test'),
  ('00000000-0000-0000-0000-000000000005', 'erin@demo.test'),
  ('00000000-0000-0000-0000-000000000006', 'admin@demo.test')) as u (id, email);
-- The platform admin, with the documented one-line bootstrap; the decisions below are theirs.
select private.bootstrap_platform_admin('admin@demo.test');

insert into public.companies (id, name, stripe_customer_id) values
  ('10000000-0000-0000-0000-000000000001', 'Acme Robotics', 'cus_demoAcme'),
  ('10000000-0000-0000-0000-000000000002', 'Globex Health', 'cus_demoGlobex');

insert into public.recruiters (id, user_id, display_name) values
  ('20000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000001', 'Alice Active'),
  ('20000000-0000-0000-0000-000000000002', '00000000-0000-0000-0000-000000000002', 'Bob Busy'),
  ('20000000-0000-0000-0000-000000000003', '00000000-0000-0000-0000-000000000003', 'Carol NoConnect'),
  ('20000000-0000-0000-0000-000000000004', '00000000-0000-0000-0000-000000000004', 'Dan Paused'),
  ('20000000-0000-0000-0000-000000000005', '00000000-0000-0000-0000-000000000005', 'Erin Onboarding');

select private.set_recruiter_connect_account('20000000-0000-0000-0000-000000000001', 'acct_demoAlice', 'active', pg_temp.t(-200));
select private.set_recruiter_connect_account('20000000-0000-0000-0000-000000000002', 'acct_demoBob', 'active', pg_temp.t(-200));
-- Carol: no connected account (she starts onboarding at the end of this file)
select private.set_recruiter_connect_account('20000000-0000-0000-0000-000000000004', 'acct_demoDan', 'active', pg_temp.t(-200));
select private.set_recruiter_paused('20000000-0000-0000-0000-000000000004', true, 'identity re-verification', pg_temp.t(-30));
-- Erin: account exists, transfers capability still pending (payouts_enabled is irrelevant)
select private.set_recruiter_connect_account('20000000-0000-0000-0000-000000000005', 'acct_demoErin', 'pending', pg_temp.t(-3));

-- ---------------------------------------------------------------------------------------------
-- P4 Sales Director: completed, guarantee holds released, paid in full
-- ---------------------------------------------------------------------------------------------
select (private.create_placement('10000000-0000-0000-0000-000000000001', 2400000, 'USD', pg_temp.t(-120, '10:00'), 60,
                                10000, 'Sales Director')).id as p4 \gset
insert into public.placement_splits (placement_id, recruiter_id, role, share_bps) values
  (:'p4', '20000000-0000-0000-0000-000000000001', 'candidate_recruiter', 5000),
  (:'p4', '20000000-0000-0000-0000-000000000002', 'company_recruiter', 3500);
select private.transition_placement(:'p4', 'active', null, pg_temp.t(-119));
select (private.record_placement_invoice(:'p4', 'in_demoSalesDirector', null, 'open', pg_temp.t(-118))).id as inv4 \gset
select private.transition_placement_invoice(:'inv4', 'paid', null, pg_temp.t(-110, '12:00'));
select count(*) from private.release_due_escrow_holds(pg_temp.t(-59, '03:00'));
select count(*) from private.claim_due_payout_schedules('30000000-0000-0000-0000-000000000004', 100, null, pg_temp.t(-58, '02:00'));
-- the run transfers both tranches through Stripe (see the header)
select pg_temp.stripe_request(:'p4', pg_temp.t(-58, '02:01')) as stripe_request \gset
\echo seed:stripe :stripe_request
\prompt '' stripe_paid
select pg_temp.record_stripe_transfers(:'stripe_paid', pg_temp.t(-58, '02:01'));
select private.transition_placement(:'p4', 'completed', null, pg_temp.t(-58, '10:00'));

-- ---------------------------------------------------------------------------------------------
-- P3 Data Scientist: active, first tranche paid to Alice; Bob's transfer failed 3 times
-- ---------------------------------------------------------------------------------------------
select (private.create_placement('10000000-0000-0000-0000-000000000002', 1800000, 'USD', pg_temp.t(-40, '09:00'), 90,
                                2000, 'Data Scientist')).id as p3 \gset
insert into public.placement_splits (placement_id, recruiter_id, role, share_bps) values
  (:'p3', '20000000-0000-0000-0000-000000000001', 'candidate_recruiter', 6000),
  (:'p3', '20000000-0000-0000-0000-000000000002', 'job_owner', 3000);
select private.transition_placement(:'p3', 'active', null, pg_temp.t(-38));
select (private.record_placement_invoice(:'p3', 'in_demoDataScientist', null, 'open', pg_temp.t(-37))).id as inv3 \gset
select private.transition_placement_invoice(:'inv3', 'paid', null, pg_temp.t(-35, '12:00'));
select count(*) from private.claim_due_payout_schedules('30000000-0000-0000-0000-000000000031', 100, null, pg_temp.t(-27, '02:00'));
-- Alice's tranche is transferred through Stripe; Stripe refuses Bob's (no transfer is made)
select pg_temp.stripe_request(:'p3', pg_temp.t(-27, '02:01'), 'acct_demoAlice') as stripe_request \gset
\echo seed:stripe :stripe_request
\prompt '' stripe_paid
select pg_temp.record_stripe_transfers(:'stripe_paid', pg_temp.t(-27, '02:01'));
select private.fail_payout_transfer(t.id, 'Stripe: account_invalid (destination account closed)', pg_temp.t(-27, '02:01'))
from public.payout_transfers t where t.placement_id = :'p3' and t.status = 'pending';
select count(*) from private.claim_due_payout_schedules('30000000-0000-0000-0000-000000000032', 100, null, pg_temp.t(-27, '03:01'));
select private.fail_payout_transfer(t.id, 'Stripe: account_invalid (destination account closed)', pg_temp.t(-27, '03:02'))
from public.payout_transfers t where t.placement_id = :'p3' and t.status = 'pending';
select count(*) from private.claim_due_payout_schedules('30000000-0000-0000-0000-000000000033', 100, null, pg_temp.t(-27, '05:02'));
select private.fail_payout_transfer(t.id, 'Stripe: account_invalid (destination account closed)', pg_temp.t(-27, '05:03'))
from public.payout_transfers t where t.placement_id = :'p3' and t.status = 'pending';

-- ---------------------------------------------------------------------------------------------
-- P5 DevOps Lead: first tranche paid, then the candidate left during the guarantee
-- ---------------------------------------------------------------------------------------------
select (private.create_placement('10000000-0000-0000-0000-000000000001', 1500000, 'EUR', pg_temp.t(-30, '10:00'), 90,
                                5000, 'DevOps Lead')).id as p5 \gset
insert into public.placement_splits (placement_id, recruiter_id, role, share_bps) values
  (:'p5', '20000000-0000-0000-0000-000000000001', 'company_recruiter', 5000),
  (:'p5', '20000000-0000-0000-0000-000000000002', 'candidate_sourcer', 4000);
select private.transition_placement(:'p5', 'active', null, pg_temp.t(-29));
select (private.record_placement_invoice(:'p5', 'in_demoDevOpsLead', null, 'open', pg_temp.t(-29))).id as inv5 \gset
select private.transition_placement_invoice(:'inv5', 'paid', null, pg_temp.t(-28, '12:00'));
select count(*) from private.claim_due_payout_schedules('30000000-0000-0000-0000-000000000005', 100, null, pg_temp.t(-20, '02:00'));
-- the run transfers both tranches through Stripe
select pg_temp.stripe_request(:'p5', pg_temp.t(-20, '02:01')) as stripe_request \gset
\echo seed:stripe :stripe_request
\prompt '' stripe_paid
select pg_temp.record_stripe_transfers(:'stripe_paid', pg_temp.t(-20, '02:01'));
-- done by the demo platform admin, admin@demo.test (the actor is transaction-local: one block)
do $$
declare
  v_p5 uuid := (select id from public.placements where title = 'DevOps Lead');
begin
  perform private.set_actor('00000000-0000-0000-0000-000000000006', 'platform_admin');
  perform private.transition_placement(v_p5, 'failed', 'candidate resigned in week 4 of the guarantee', pg_temp.t(-5, '15:00'));
  perform private.record_platform_refund_decision(v_p5, 750000, 'refund 50% of the fee: guarantee terms', pg_temp.t(-4));
end
$$;

-- ---------------------------------------------------------------------------------------------
-- P6 QA Engineer: paid invoice, recruiters who cannot be paid yet
-- ---------------------------------------------------------------------------------------------
select (private.create_placement('10000000-0000-0000-0000-000000000002', 900000, 'USD', pg_temp.t(-25, '10:00'), 90,
                                0, 'QA Engineer')).id as p6 \gset
insert into public.placement_splits (placement_id, recruiter_id, role, share_bps) values
  (:'p6', '20000000-0000-0000-0000-000000000003', 'candidate_recruiter', 5000),
  (:'p6', '20000000-0000-0000-0000-000000000004', 'company_sourcer', 4000);
select private.transition_placement(:'p6', 'active', null, pg_temp.t(-24));
select (private.record_placement_invoice(:'p6', 'in_demoQaEngineer', null, 'open', pg_temp.t(-24))).id as inv6 \gset
select private.transition_placement_invoice(:'inv6', 'paid', null, pg_temp.t(-20, '12:00'));
select count(*) from private.claim_due_payout_schedules('30000000-0000-0000-0000-000000000006', 100, null, pg_temp.t(-12, '02:00'));

-- ---------------------------------------------------------------------------------------------
-- P2 Product Designer: invoice open, guarantee holds and a dispute hold
-- ---------------------------------------------------------------------------------------------
select (private.create_placement('10000000-0000-0000-0000-000000000001', 1200000, 'USD', pg_temp.t(-20, '10:00'), 90,
                                8000, 'Product Designer')).id as p2 \gset
insert into public.placement_splits (placement_id, recruiter_id, role, share_bps) values
  (:'p2', '20000000-0000-0000-0000-000000000001', 'candidate_recruiter', 4500),
  (:'p2', '20000000-0000-0000-0000-000000000005', 'company_recruiter', 4500);
select private.transition_placement(:'p2', 'active', null, pg_temp.t(-18));
select private.record_placement_invoice(:'p2', 'in_demoProductDesigner', null, 'open', pg_temp.t(-18));
select private.create_escrow_hold(po.id, 50000, 'dispute', null, 'company disputes the sourcing credit', pg_temp.t(-10))
from public.payouts po where po.placement_id = :'p2' and po.recruiter_id = '20000000-0000-0000-0000-000000000001';

-- ---------------------------------------------------------------------------------------------
-- P1 Backend Engineer: just hired, splits still editable, no invoice
-- ---------------------------------------------------------------------------------------------
select (private.create_placement('10000000-0000-0000-0000-000000000002', 2000000, 'GBP', pg_temp.t(-2, '09:30'), 90,
                                10000, 'Backend Engineer')).id as p1 \gset
insert into public.placement_splits (placement_id, recruiter_id, role, share_bps) values
  (:'p1', '20000000-0000-0000-0000-000000000002', 'candidate_recruiter', 4000),
  (:'p1', '20000000-0000-0000-0000-000000000001', 'job_owner', 2500),
  (:'p1', '20000000-0000-0000-0000-000000000005', 'candidate_sourcer', 2000);

-- ---------------------------------------------------------------------------------------------
-- P7 Platform Engineer: invoice paid and collectible, no holdback: due at the next payout run
-- (npm start, then `select process_due_payout_schedules()` as the demo admin pays it)
-- ---------------------------------------------------------------------------------------------
select (private.create_placement('10000000-0000-0000-0000-000000000001', 1500000, 'USD', pg_temp.t(-30, '09:00'), 90,
                                0, 'Platform Engineer')).id as p7 \gset
insert into public.placement_splits (placement_id, recruiter_id, role, share_bps) values
  (:'p7', '20000000-0000-0000-0000-000000000001', 'candidate_recruiter', 5000),
  (:'p7', '20000000-0000-0000-0000-000000000002', 'company_recruiter', 3000);
select private.transition_placement(:'p7', 'active', null, pg_temp.t(-29));
select (private.record_placement_invoice(:'p7', 'in_demoPlatformEngineer', null, 'open', pg_temp.t(-28))).id as inv7 \gset
select private.transition_placement_invoice(:'inv7', 'paid', null, pg_temp.t(-10, '12:00'));

-- ---------------------------------------------------------------------------------------------
-- P8 Frontend Engineer: billed through Stripe Invoicing. Acme gets a billing email (as the demo
-- admin); the placement created yesterday gets its draft invoice and its Stripe invoice request
-- (what the outbox intake does), then the seeder walks it through invoicing as invoice-placements
-- does (`seed:billing {...}`: customer, draft, the fee as its item, finalize, send) and answers
-- with what the worker would store, recorded here. The company has not paid yet.
-- ---------------------------------------------------------------------------------------------
do $$
begin
  perform set_config('request.jwt.claims', '{"sub":"00000000-0000-0000-0000-000000000006","role":"authenticated"}', true);
  perform private.rpc_set_company_billing_email('10000000-0000-0000-0000-000000000001', 'ap@acme.demo.test');
  perform set_config('request.jwt.claims', '', true);
end
$$;
select (private.create_placement('10000000-0000-0000-0000-000000000001', 1600000, 'USD', pg_temp.t(-1, '11:00'), 90,
                                2000, 'Frontend Engineer')).id as p8 \gset
select set_config('seed.p8', :'p8', false);
insert into public.placement_splits (placement_id, recruiter_id, role, share_bps) values
  (:'p8', '20000000-0000-0000-0000-000000000002', 'candidate_recruiter', 5000),
  (:'p8', '20000000-0000-0000-0000-000000000005', 'company_recruiter', 3000);
select (private.record_placement_invoice(:'p8', null, null, 'draft', pg_temp.t(-1, '11:00'))).id as inv8 \gset
select (private.request_company_invoice(:'inv8', 'placement created', pg_temp.t(-1, '11:00'))).id as ci8 \gset
select jsonb_build_object('at', extract(epoch from pg_temp.t(-1, '11:01'))::bigint, 'invoice', c)::text as billing_request
  from private.claim_company_invoices('30000000-0000-0000-0000-000000000008', 100, interval '2 minutes', pg_temp.t(-1, '11:01')) c
 where c ->> 'id' = :'ci8' \gset
\echo seed:billing :billing_request
\prompt '' billing_done
create function pg_temp.record_billing(p_id uuid, p_effects text, p_at timestamptz)
returns integer language plpgsql as $$
declare
  v jsonb;
  v_n integer := 0;
begin
  if coalesce(p_effects, '') !~ '^\s*\[' then
    raise exception 'seed.sql: the company invoice was not walked through Stripe (got "%"): load the seed with npm start or npm run reset (local/stack/seed.ts)',
      coalesce(p_effects, '');
  end if;
  for v in select * from jsonb_array_elements(p_effects::jsonb) loop
    if v ? 'customer' then
      perform private.record_company_customer(p_id, v ->> 'customer', p_at);
    else
      perform private.record_company_invoice_state(v -> 'state', p_at);
    end if;
    v_n := v_n + 1;
  end loop;
  return v_n;
end
$$;
select pg_temp.record_billing(:'ci8', :'billing_done', pg_temp.t(-1, '11:01'));
do $$
begin
  if not exists (select 1 from public.company_invoices c join public.placement_invoices i on i.id = c.invoice_id
                 where c.status = 'open' and c.sent_at is not null and i.status = 'open'
                   and i.stripe_invoice_id = c.stripe_invoice_id and c.placement_id = current_setting('seed.p8')::uuid) then
    raise exception 'seed: P8''s invoice was not sent through Stripe';
  end if;
end
$$;

-- ---------------------------------------------------------------------------------------------
-- Members of Acme, added by the platform admin
-- ---------------------------------------------------------------------------------------------
select pg_temp.demo_user('00000000-0000-0000-0000-000000000007', 'hr@acme.demo.test');
select pg_temp.demo_user('00000000-0000-0000-0000-000000000008', 'manager@acme.demo.test');
do $$
begin
  -- as the demo admin (transaction-local claims, as PostgREST sets them)
  perform set_config('request.jwt.claims', '{"sub":"00000000-0000-0000-0000-000000000006","role":"authenticated"}', true);
  perform private.rpc_add_company_member('10000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000007', 'company_admin');
  perform private.rpc_add_company_member('10000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000008', 'hiring_manager');
  perform set_config('request.jwt.claims', '', true);
end
$$;

-- ---------------------------------------------------------------------------------------------
-- Carol starts Connect onboarding (docs/stripe-sync.md, "Connect onboarding"), as the
-- connect-onboarding function does it for her: begin_connect_onboarding as Carol (her claims,
-- as PostgREST sets them) stores the account's idempotency key; the seeder (seed.ts) creates the
-- Express-equivalent account at Stripe under that key (`seed:connect`) and answers with it; the
-- seed links it. She has not finished Stripe's form: her P6 payout keeps waiting on onboarding
-- (my_connect_status shows it with its amount). seed.ts prints how to go on by hand.
-- ---------------------------------------------------------------------------------------------
create function pg_temp.begin_onboarding_as(p_user uuid, p_country text)
returns text language plpgsql as $$
declare
  v_row jsonb;
begin
  perform set_config('request.jwt.claims', json_build_object('sub', p_user, 'role', 'authenticated')::text, true);
  select to_jsonb(b) into v_row from public.begin_connect_onboarding(null, p_country) b;
  return v_row::text;
end $$;
-- the claims and the actor are transaction-local: cleared for what follows (one transaction in rollback mode)
create function pg_temp.as_nobody()
returns void language plpgsql as $$
begin
  perform set_config('request.jwt.claims', '', true);
  perform set_config('payouts.actor_role', '', true);
  perform set_config('payouts.actor_id', '', true);
end $$;
select pg_temp.begin_onboarding_as('00000000-0000-0000-0000-000000000003', 'US') as connect_request \gset
select pg_temp.as_nobody();
\echo seed:connect :connect_request
\prompt '' connect_account
select private.link_connect_account((:'connect_request'::jsonb ->> 'connect_account_id')::uuid, :'connect_account'::jsonb);
select pg_temp.as_nobody();

-- The demo must be consistent (deferred checks run at commit anyway; fail early and clearly):
-- the money model's invariant, and every action recorded as a platform admin's was one's.
do $$
begin
  if exists (select 1 from private.payout_problems()) then
    raise exception 'seed: inconsistent payouts: %', (select string_agg(payout_id || ' ' || problem, '; ') from private.payout_problems());
  end if;
  if exists (select 1 from public.payout_audit_log l
              where l.changed_by_role = 'platform_admin'
                and not exists (select 1 from public.platform_admins a where a.user_id = l.changed_by)) then
    raise exception 'seed: audit rows name a platform admin who is none: %',
      (select string_agg(distinct l.action || ' by ' || coalesce(l.changed_by::text, '<null>'), '; ')
         from public.payout_audit_log l
        where l.changed_by_role = 'platform_admin'
          and not exists (select 1 from public.platform_admins a where a.user_id = l.changed_by));
  end if;
end
$$;
\o
