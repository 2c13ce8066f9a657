-- The webhook inbox: each event stored once, a replay counts the delivery and is reported as a
-- duplicate once processed, processing is one transaction (all or nothing), failures are kept
-- with their error and listed for retry; privileges of stripe_sync.
begin;
\ir ../money/_fixtures.psql
select plan(25);

create function pg_temp.ev(p_id text, p_type text, p_object jsonb, p_account text default null)
returns jsonb language sql as $$
  select jsonb_build_object('id', p_id, 'object', 'event', 'type', p_type, 'created', 946684800,
    'livemode', false, 'api_version', '2026-10-28.endive', 'data', jsonb_build_object('object', p_object))
    || case when p_account is null then '{}'::jsonb else jsonb_build_object('account', p_account) end
$$;

-- receive
select is((select row(status, attempts, deliveries, duplicate)::text
           from private.receive_stripe_webhook_event(pg_temp.ev('evt_inbox1', 'customer.created', '{"id":"cus_1"}'),
                                                     'platform', '2000-01-01')),
  '(received,0,1,f)', 'a new event is stored as received');
select is((select row(status, attempts, deliveries, duplicate)::text
           from private.receive_stripe_webhook_event(pg_temp.ev('evt_inbox1', 'customer.created', '{"id":"cus_1"}'),
                                                     'platform', '2000-01-01 00:01')),
  '(received,0,2,f)', 'a second delivery before processing: counted, not a duplicate yet (it is processed again)');
select is((select row(type, endpoint, stripe_created_at)::text from private.stripe_webhook_events where id = 'evt_inbox1'),
  '(customer.created,platform,"2000-01-01 00:00:00+00")', 'type, endpoint and Stripe''s created time are kept');
select throws_ok($$ select private.receive_stripe_webhook_event('{"id":"nope"}', 'platform') $$, 'PT400', null,
  'something that is not an event: PT400');
select throws_ok($$ select private.receive_stripe_webhook_event(pg_temp.ev('evt_inbox9', 'x.y', '{}'), 'dashboard') $$,
  'PT400', null, 'an unknown endpoint: PT400');

-- process: ignore
select is(private.process_stripe_webhook_event('evt_inbox1', '{"kind":"ignore","reason":"unhandled_type"}', '2000-01-01 00:02')
            ->> 'outcome', 'ignored', 'an ignored effect');
select is((select row(status, effect, attempts, processed_at)::text from private.stripe_webhook_events where id = 'evt_inbox1'),
  '(ignored,"ignored: unhandled_type",1,"2000-01-01 00:02:00+00")', '... marked ignored, with the reason');
select is((select duplicate from private.receive_stripe_webhook_event(
             pg_temp.ev('evt_inbox1', 'customer.created', '{"id":"cus_1"}'), 'platform', '2000-01-01 00:03')),
  true, 'a replay of a processed event: duplicate');
select is(private.process_stripe_webhook_event('evt_inbox1', '{"kind":"ignore","reason":"x"}') ->> 'outcome', 'duplicate',
  'processing it again: duplicate, nothing done');
select is((select attempts from private.stripe_webhook_events where id = 'evt_inbox1'), 1, '... attempts unchanged');

-- process: an effect that fails rolls back as a whole; the failure is kept
select money_test.remember('r', money_test.recruiter('Webhook'));
select private.receive_stripe_webhook_event(
  pg_temp.ev('evt_inbox2', 'payout.failed', '{"id":"po_inbox2"}', (select stripe_connect_account_id from public.recruiters where id = money_test.id('r'))),
  'connect', '2000-01-02');
select throws_ok($$ select private.process_stripe_webhook_event('evt_inbox2',
  '{"kind":"connected_payout_failed","account_id":"acct_x","stripe_payout_id":"not-a-payout"}') $$,
  'PT400', null, 'a bad effect raises');
select is((select status from private.stripe_webhook_events where id = 'evt_inbox2'), 'received',
  '... and nothing of it is written');
select is((select row(status, attempts, last_error ->> 'code')::text
           from private.fail_stripe_webhook_event('evt_inbox2', '{"code":"PT400","message":"bad payout id"}', '2000-01-02 00:01')),
  '(failed,1,PT400)', 'fail_stripe_webhook_event: failed, attempts + 1, the error kept');
select is((select array_agg(event_id) from private.stripe_webhook_events_to_retry(100, '2000-01-02 00:02')
           where event_id like 'evt_inbox%'), array['evt_inbox2'], 'failed events are listed for retry');
select is(private.process_stripe_webhook_event('evt_inbox2',
  jsonb_build_object('kind', 'connected_payout_failed', 'account_id',
    (select stripe_connect_account_id from public.recruiters where id = money_test.id('r')),
    'stripe_payout_id', 'po_inbox2', 'amount', 500, 'currency', 'usd', 'failure_code', 'account_closed'),
  '2000-01-02 00:03') ->> 'outcome', 'applied', 'the retry applies');
select is((select row(status, attempts, effect)::text from private.stripe_webhook_events where id = 'evt_inbox2'),
  '(processed,2,connected_payout_failed)', '... processed on the second attempt');
select is((select row(stripe_event_id, stripe_created_at)::text from private.connected_account_payout_failures
           where stripe_payout_id = 'po_inbox2'), '(evt_inbox2,"2000-01-01 00:00:00+00")',
  '... the dispatcher handed the effect its event (id, Stripe''s created time)');
select is((select status from private.fail_stripe_webhook_event('evt_inbox2', '{"code":"x"}')), 'processed',
  'a late failure report does not demote a processed event');
select throws_ok($$ select private.process_stripe_webhook_event('evt_missing', '{"kind":"ignore"}') $$, 'PT404', null,
  'an event never received: PT404');

-- receive and process in one call (an effect decided without reading Stripe)
select is((select row(status, attempts, deliveries, duplicate, result ->> 'outcome')::text
           from private.receive_and_process_stripe_webhook_event(
             pg_temp.ev('evt_inbox3', 'customer.created', '{"id":"cus_3"}'), 'platform',
             '{"kind":"ignore","reason":"unhandled_type"}', '2000-01-03')),
  '(ignored,1,1,f,ignored)', 'receive_and_process: stored and applied at once');
select is((select row(status, attempts, deliveries, duplicate, result)::text
           from private.receive_and_process_stripe_webhook_event(
             pg_temp.ev('evt_inbox3', 'customer.created', '{"id":"cus_3"}'), 'platform',
             '{"kind":"ignore","reason":"unhandled_type"}', '2000-01-03 00:01')),
  '(ignored,1,2,t,)', '... a replay: the delivery counted, nothing applied');
select throws_ok($$ select private.receive_and_process_stripe_webhook_event(
  pg_temp.ev('evt_inbox4', 'payout.failed', '{"id":"po_inbox4"}', 'acct_inbox4'), 'connect',
  '{"kind":"connected_payout_failed","account_id":"acct_x","stripe_payout_id":"not-a-payout"}') $$,
  'PT400', null, '... an effect that fails raises');
select is((select count(*)::int from private.stripe_webhook_events where id = 'evt_inbox4'), 0,
  '... and the event is not stored either (the caller then stores it and records the failure)');

-- privileges
select is((select array_agg(p.proname::text order by p.proname) from pg_proc p
           where p.pronamespace = 'private'::regnamespace and has_function_privilege('stripe_sync', p.oid, 'EXECUTE')
             and p.proname like '%stripe_webhook%'),
  array['fail_stripe_webhook_event', 'process_stripe_webhook_event', 'receive_and_process_stripe_webhook_event',
        'receive_stripe_webhook_event', 'stripe_webhook_events_to_retry'], 'stripe_sync executes the inbox entry points');
select is((select count(*)::int from pg_proc p
           where p.pronamespace = 'private'::regnamespace and p.proname like 'stripe\_%'
             and (has_function_privilege('anon', p.oid, 'EXECUTE') or has_function_privilege('authenticated', p.oid, 'EXECUTE')
                  or has_function_privilege('service_role', p.oid, 'EXECUTE') or has_function_privilege('payout_jobs', p.oid, 'EXECUTE'))),
  0, 'no API role and not payout_jobs executes a Stripe sync function');

select * from finish();
rollback;
