-- Reconciliation findings (matched on metadata, never on amount; kept once; resolved when a later
-- run finds the subject fine), the admin-only view public.payout_alerts with its live checks, the
-- cron setup of the Stripe sync.
begin;
\ir ../money/_fixtures.psql
select plan(22);

-- this test's runs only (rolled back)
delete from private.reconciliation_findings;
delete from private.stripe_reconciliation_runs;

-- A paid placement: tranche A (tr_recA, 48000) recorded, tranche B (tr_recB, 32000) recorded
select money_test.remember('pl', money_test.placement(100000, 2000, '{6000,4000}'));
select money_test.invoice(money_test.id('pl'));
select money_test.remember('a', (money_test.payout(money_test.id('pl'), 6000)).id);
select money_test.remember('b', (money_test.payout(money_test.id('pl'), 4000)).id);
select money_test.claim('2000-01-13 02:00Z');
select money_test.remember('ta', (money_test.in_flight(money_test.id('a'))).id);
select money_test.remember('tb', (money_test.in_flight(money_test.id('b'))).id);
select private.complete_payout_transfer(money_test.id('ta'), 'tr_recA', '2000-01-13 02:01Z');
select private.complete_payout_transfer(money_test.id('tb'), 'tr_recB', '2000-01-13 02:02Z');
select (select destination_account_id from public.payout_transfers where id = money_test.id('ta')) as dest_a,
       money_test.id('ta') as ta, money_test.id('tb') as tb \gset

select is((select row(since, window_start)::text from private.begin_stripe_reconciliation(
             '00000000-0000-4000-8000-0000000000f1', '1 hour', '2000-01-13 00:00Z', '2000-01-14 00:00Z')),
  '("2000-01-12 23:00:00+00","2000-01-13 00:00:00+00")', 'the window: its start minus the overlap');
select is((select array_agg(stripe_transfer_id order by stripe_transfer_id)
           from private.stripe_reconciliation_tranches('2000-01-12 23:00Z', '2000-01-14') where stripe_transfer_id like 'tr_rec%'),
  array['tr_recA', 'tr_recB'], 'the succeeded tranches of the window');

-- Stripe lists: A exactly (matched by metadata), a 1-cent-short copy for B, a stray transfer;
-- B's own transfer tr_recB is missing at Stripe
create temp table run1 as select private.record_stripe_reconciliation('00000000-0000-4000-8000-0000000000f1',
  jsonb_build_array(
    jsonb_build_object('id', 'tr_recA', 'amount', 48000, 'currency', 'usd', 'destination', :'dest_a',
                       'metadata', jsonb_build_object('payout_transfer_id', :'ta')),
    jsonb_build_object('id', 'tr_recB2', 'amount', 31999, 'currency', 'usd', 'destination', 'acct_other',
                       'metadata', jsonb_build_object('payout_transfer_id', :'tb')),
    jsonb_build_object('id', 'tr_stray', 'amount', 48000, 'currency', 'usd', 'destination', :'dest_a',
                       'metadata', '{}'::jsonb)),
  '["tr_recB"]', '2000-01-14 00:00Z') as r;
select is((select r -> 'findings' from run1),
  '{"transfer_unknown_to_us": 2, "transfer_missing_in_stripe": 1}'::jsonb,
  'found: B''s transfer missing, a second transfer for B, a stray transfer with the same amount as A');
select is((select details ->> 'reason' from private.reconciliation_findings where subject = 'tr_recB2'),
  'second_transfer_for_tranche', 'matched on metadata: a second transfer for a tranche that has one');
select is((select details ->> 'reason' from private.reconciliation_findings where subject = 'tr_stray'),
  'no_metadata', 'the stray transfer is not taken for A although its amount matches (no matching on amount)');
select is((select count(*)::int from private.reconciliation_findings where subject in ('tr_recA', :'ta')), 0,
  'A is fine');
select is((select status from private.stripe_reconciliation_runs where id = '00000000-0000-4000-8000-0000000000f1'),
  'finished', 'the run finished');

-- a mismatch: B's transfer listed with another destination
select private.begin_stripe_reconciliation('00000000-0000-4000-8000-0000000000f2', '1 hour', null, '2000-01-15 00:00Z');
select is((select window_start from private.stripe_reconciliation_runs where id = '00000000-0000-4000-8000-0000000000f2'),
  '2000-01-14 00:00Z'::timestamptz, 'the next window starts where the last finished one ended');
select private.record_stripe_reconciliation('00000000-0000-4000-8000-0000000000f2',
  jsonb_build_array(jsonb_build_object('id', 'tr_recB', 'amount', 32000, 'currency', 'usd', 'destination', 'acct_elsewhere',
                                       'metadata', jsonb_build_object('payout_transfer_id', :'tb')),
                    jsonb_build_object('id', 'tr_stray', 'amount', 48000, 'currency', 'usd', 'destination', :'dest_a')),
  '[]', '2000-01-15 00:00Z');
select is((select details -> 'fields' from private.reconciliation_findings where subject = 'tr_recB' and resolved_at is null),
  '["destination"]', 'mismatch: the destination');
select ok((select resolved_at is not null from private.reconciliation_findings where kind = 'transfer_missing_in_stripe'
           and subject = :'tb'), 'B''s transfer is at Stripe after all: the missing finding is resolved');
select is((select count(*)::int from private.reconciliation_findings where subject = 'tr_stray'), 1,
  'found again: the same finding, not a second one');

-- the view: admin only
select money_test.remember('admin_user', tests.create_user('rec-admin@test.invalid'));
select private.bootstrap_platform_admin('rec-admin@test.invalid');
select money_test.remember('rec_user', (select user_id from public.recruiters
                                        where id = (money_test.payout(money_test.id('pl'), 6000)).recruiter_id));
select money_test.id('admin_user') as admin_user, money_test.id('rec_user') as rec_user \gset
select tests.authenticate_as(:'admin_user');
select ok((select count(*) from public.payout_alerts where subject_id in ('tr_stray', 'tr_recB', 'tr_recB2')) = 3,
  'an admin reads the open findings in payout_alerts');
select tests.clear_authentication();
select tests.authenticate_as(:'rec_user');
select is((select count(*)::int from public.payout_alerts), 0, 'a recruiter reads no alert');
select tests.clear_authentication();
select throws_ok($$ set local role anon; select * from public.payout_alerts $$, '42501', null, 'anon: no access');

-- live checks (at a chosen time)
select money_test.remember('pl2', money_test.placement(20000, 10000, '{5000}', null, 'USD', 0));
select money_test.invoice(money_test.id('pl2'), false);
select is((select count(*)::int from private.payout_alert_rows('2000-01-02 05:00Z')
           where kind = 'hold_past_release_date' and placement_id = money_test.id('pl2')), 1,
  'a hold past its release time (+1 h) still active');
select is((select count(*)::int from private.payout_alert_rows('2000-01-02 03:30Z')
           where kind = 'hold_past_release_date' and placement_id = money_test.id('pl2')), 0,
  '... not before the hour of grace is over');
select money_test.remember('pl3', money_test.placement(20000, 0, '{5000}'));
select money_test.invoice(money_test.id('pl3'));
select money_test.remember('c', (select id from public.payouts where placement_id = money_test.id('pl3')));
select money_test.claim('2000-01-13 02:00Z');
select is((select count(*)::int from private.payout_alert_rows('2000-01-13 02:31Z')
           where kind = 'tranche_stuck' and payout_id = money_test.id('c')), 1,
  'a tranche in flight 15 minutes past its lease is stuck');
select private.fail_payout_transfer((money_test.in_flight(money_test.id('c'))).id, 'x', '2000-01-13 02:40Z');
select money_test.claim('2000-01-13 03:40Z');
select private.fail_payout_transfer((money_test.in_flight(money_test.id('c'))).id, 'x', '2000-01-13 03:41Z');
select money_test.claim('2000-01-13 05:41Z');
select private.fail_payout_transfer((money_test.in_flight(money_test.id('c'))).id, 'x', '2000-01-13 05:42Z');
select is((select count(*)::int from private.payout_alert_rows('2000-01-14')
           where kind = 'schedule_exhausted' and payout_id = money_test.id('c')), 1, 'an exhausted schedule');
select private.receive_stripe_webhook_event('{"id":"evt_alert1","type":"invoice.paid","created":946684800,"data":{"object":{}}}',
                                            'platform', '2000-01-14');
select private.fail_stripe_webhook_event('evt_alert1', '{"code":"PT422","message":"x"}', '2000-01-14');
select is((select details ->> 'type' from private.payout_alert_rows('2000-01-14')
           where kind = 'webhook_processing_failed' and subject_id = 'evt_alert1'), 'invoice.paid', 'a failed webhook event');

-- cron
select cron.schedule('payouts-test-keep', '* * * * *', 'select 1');
select is((select array_agg(jobname order by jobname) from private.setup_stripe_sync_cron(true)),
  array['stripe-sync-billing-doorbell', 'stripe-sync-events-catch-up', 'stripe-sync-reconcile', 'stripe-sync-reversal-doorbell'],
  'setup_stripe_sync_cron: four jobs');
select is((select count(*)::int from private.setup_stripe_sync_cron(false)), 0, '... removed with false');
select ok(exists (select 1 from cron.job where jobname = 'payouts-test-keep'), 'other jobs untouched');

select * from finish();
rollback;
