-- Four-eyes approval of the money-moving admin actions (20261202120000_admin_approvals): at or
-- above the currency's threshold the RPC refuses with PT428 and changes nothing; the admin asks
-- with request_admin_action; a second, different admin approves (the action runs in the
-- approver's transaction, both admins in the audit reason) or rejects, once; requests expire;
-- break glass is postgres only and only without a second admin. The race of two approvals on
-- two real connections is four_eyes_race.test.sql; break glass with one admin is in
-- rpc_people.test.sql.
begin;
\ir _fixtures.psql
select plan(51);

select access_test.remember('u_admin2', tests.create_user('access-admin2@test.invalid'));
insert into public.platform_admins (user_id) values (access_test.id('u_admin2'));
insert into private.approval_thresholds (currency, min_amount) values ('USD', 10000);

create function pg_temp.request(p_actor text, p_action text, p_args jsonb)
returns jsonb language sql as $$
  select access_test.run_as(p_actor, format('select public.request_admin_action(%L, %L)::text', p_action, p_args))::jsonb
$$;
create function pg_temp.decide(p_actor text, p_fn text, p_request jsonb, p_reason text default 'checked')
returns text language sql as $$
  select access_test.run_as(p_actor, format('select public.%I(%L, %L)::text', p_fn, p_request ->> 'id', p_reason))
$$;
create function pg_temp.audit_rows() returns bigint language sql as $$ select count(*) from public.payout_audit_log $$;

-- ---------------------------------------------------------------------------------------------
-- Below the threshold: at once, as before
-- ---------------------------------------------------------------------------------------------
select is(access_test.run_as('admin', format($$select (public.cancel_escrow_hold(%L, 'dispute lost')).status$$, access_test.id('holdB'))),
          'cancelled', 'cancel_escrow_hold of 6000 USD (threshold 10000) runs at once');
select is(access_test.run_as('admin', format($$select (public.release_escrow_hold(%L, 'guarantee over')).status$$, access_test.id('holdA'))),
          'released', 'release_escrow_hold after its release date runs at once, whatever the amount');
select is(access_test.run_as('admin', 'select public.resume_payouts() ->> ''payouts_paused'''), 'false',
          'resume_payouts when not paused: no approval (nothing to resume)');

-- ---------------------------------------------------------------------------------------------
-- At or above: PT428, nothing changes
-- ---------------------------------------------------------------------------------------------
select is(access_test.run_as('admin', format($$select count(*) from public.reverse_payout(%L, 'placement failed')$$, access_test.id('payA'))),
          'ERROR PT428', 'reverse_payout of 48000 paid USD needs a second admin (PT428)');
select is(access_test.error_as('admin', format($$select public.reverse_payout(%L, 'placement failed')$$, access_test.id('payA'))),
          'PT428: approval required: reverse_payout of 48000 USD needs a second platform admin', '... with a clear message');
select is((select count(*)::int from payout_reversals where payout_id = access_test.id('payA')), 0, '... no reversal requested');
select access_test.live_placement('L');
-- invoiced and paid 8 days ago: its payouts exist and are due
select access_test.remember('invL', (private.record_placement_invoice(access_test.id('L'), 'in_fourEyesL', null, 'open',
                                                                       now() - interval '9 days')).id);
select private.transition_placement_invoice(access_test.id('invL'), 'paid', null, now() - interval '8 days', now() - interval '8 days');
select is(access_test.run_as('admin', format($$select (public.fail_placement(%L, 'candidate left')).status$$, access_test.id('L'))),
          'ERROR PT428', 'fail_placement of 150000 USD of payouts needs a second admin');
select is((select status from placements where id = access_test.id('L')), 'hired', '... the placement is unchanged');
select access_test.remember('payLA', (select id from payouts where placement_id = access_test.id('L') and recruiter_id = access_test.id('rA')));
select access_test.remember('holdEarly', (private.create_escrow_hold(access_test.id('payC'), 10000, 'dispute', current_date + 30,
                                                                     'dispute opened', now())).id);
create temp table before_refusals as select pg_temp.audit_rows() as n;
select is(access_test.run_as('admin', format($$select (public.release_escrow_hold(%L, 'early')).status$$, access_test.id('holdEarly'))),
          'ERROR PT428', 'release_escrow_hold before its date, at the threshold (10000), needs a second admin');
select is(access_test.run_as('admin', format($$select (public.cancel_escrow_hold(%L, 'forfeit')).status$$, access_test.id('holdEarly'))),
          'ERROR PT428', 'cancel_escrow_hold at the threshold needs a second admin');
select is((select status from escrow_holds where id = access_test.id('holdEarly')), 'active', '... the hold is still active');
select is((select n from before_refusals), pg_temp.audit_rows(), 'these refusals wrote no audit row');
select is(access_test.run_as('nobody', format($$select count(*) from public.reverse_payout(%L, 'x')$$, access_test.id('payA'))),
          'ERROR 42501', 'a non-admin is refused before the four-eyes check');

-- ---------------------------------------------------------------------------------------------
-- Request, approve (another admin), once
-- ---------------------------------------------------------------------------------------------
create temp table req_cancel as
select pg_temp.request('admin', 'cancel_escrow_hold',
                       jsonb_build_object('p_hold_id', access_test.id('holdEarly'), 'p_reason', 'customer fraud')) as r;
select is((select r ->> 'status' || ' ' || (r ->> 'amount') || ' ' || (r ->> 'currency') from req_cancel), 'pending 10000 USD',
          'request_admin_action: a pending request with the amount at stake');
select is((select (r ->> 'requested_by')::uuid from req_cancel), access_test.id('u_admin'), '... by the requesting admin');
select ok((select (r ->> 'expires_at')::timestamptz = now() + interval '24 hours' from req_cancel), '... expiring after the TTL setting');
select is((select r -> 'args' from req_cancel),
          jsonb_build_object('p_hold_id', access_test.id('holdEarly'), 'p_reason', 'customer fraud'), '... holding the exact arguments');
select ok(exists (select 1 from payout_audit_log a, req_cancel where a.entity_type = 'admin_action_request'
                  and a.entity_id = (r ->> 'id')::uuid and a.action = 'admin_action.request'
                  and a.changed_by = access_test.id('u_admin')), '... audited with the requester');
select is(pg_temp.decide('admin', 'approve_admin_action', (select r from req_cancel)), 'ERROR PT403',
          'nobody approves their own request (PT403)');
select is(pg_temp.decide('admin', 'reject_admin_action', (select r from req_cancel)), 'ERROR PT403',
          '... nor rejects it');
select is(access_test.run_as('admin2', 'select jsonb_agg(r.id)::text from public.admin_action_requests() r'),
          jsonb_build_array((select r ->> 'id' from req_cancel))::text, 'the second admin lists the pending request');
select is(access_test.run_as('ra', 'select public.admin_action_requests()::text'), 'ERROR 42501', 'a recruiter cannot list them');

create temp table approved as select pg_temp.decide('admin2', 'approve_admin_action', (select r from req_cancel), 'fraud confirmed')::jsonb as r;
select is((select r ->> 'status' || ' ' || (r -> 'result' ->> 'status') from approved), 'executed cancelled',
          'the second admin approves: executed, the result is the cancelled hold');
select is((select status from escrow_holds where id = access_test.id('holdEarly')), 'cancelled', '... the hold is cancelled (forfeited)');
select ok(exists (select 1 from payout_audit_log a where a.entity_type = 'escrow_hold' and a.entity_id = access_test.id('holdEarly')
                  and a.action = 'escrow_hold.cancel' and a.changed_by = access_test.id('u_admin2')
                  and a.changed_by_role = 'platform_admin'
                  and a.reason like 'customer fraud [four-eyes request ' || (select r ->> 'id' from req_cancel)
                                    || ' of cancel_escrow_hold: requested by ' || access_test.id('u_admin')
                                    || ', approved by ' || access_test.id('u_admin2') || ']'),
          'the hold''s audit row: actor = approver, the reason names the request, the requester and the approver');
select ok(exists (select 1 from payout_audit_log a, req_cancel where a.entity_type = 'admin_action_request'
                  and a.entity_id = (r ->> 'id')::uuid and a.action = 'admin_action.approve'
                  and a.changed_by = access_test.id('u_admin2') and a.reason like 'fraud confirmed [%'),
          'the request''s audit row: approved by the second admin');
select ok(exists (select 1 from payout_events e, req_cancel where e.event_type = 'admin_action.executed'
                  and e.entity_id = (r ->> 'id')::uuid and e.actor_id = access_test.id('u_admin2')),
          '... event admin_action.executed');
select is(pg_temp.decide('admin2', 'approve_admin_action', (select r from req_cancel)), 'ERROR PT409',
          'approving again: PT409 (executed once)');
select is(access_test.error_as('admin2', format('select public.reject_admin_action(%L, %L)', (select r ->> 'id' from req_cancel), 'late')),
          format('PT409: admin action request %s is already executed', (select r ->> 'id' from req_cancel)),
          '... and it cannot be rejected afterwards');
select is(access_test.run_as('admin', format($$select e.status || ' ' || e.decided_by from public.admin_action_requests(null) e where e.id = %L$$,
          (select r ->> 'id' from req_cancel))), 'executed ' || access_test.id('u_admin2'),
          'the requester sees the outcome and who decided');

-- reverse_payout through a request: the reversal requests name the approver
create temp table req_reverse as
select pg_temp.request('admin2', 'reverse_payout', jsonb_build_object('p_payout_id', access_test.id('payA'), 'p_reason', 'clawback')) as r;
select is(pg_temp.decide('admin', 'approve_admin_action', (select r from req_reverse))::jsonb -> 'result' -> 0 ->> 'amount', '48000',
          'reverse_payout approved: the reversal of 48000 is requested');
select is((select requested_by from payout_reversals where payout_id = access_test.id('payA')), access_test.id('u_admin'),
          '... by the approving admin');

-- early release through a request
select access_test.remember('holdEarly2', (private.create_escrow_hold(access_test.id('payC'), 10000, 'verification', null,
                                                                      'kyc', now())).id);
create temp table req_release as
select pg_temp.request('admin', 'release_escrow_hold', jsonb_build_object('p_hold_id', access_test.id('holdEarly2'), 'p_reason', 'kyc done')) as r;
select is(pg_temp.decide('admin2', 'approve_admin_action', (select r from req_release))::jsonb -> 'result' ->> 'status', 'released',
          'an early release (hold without date) approved: released');

-- an approval whose action is refused changes nothing and leaves the request pending
create temp table req_stale as
select pg_temp.request('admin', 'cancel_escrow_hold', jsonb_build_object('p_hold_id', access_test.id('holdEarly2'), 'p_reason', 'forfeit')) as r;
select is(pg_temp.decide('admin2', 'approve_admin_action', (select r from req_stale)), 'ERROR PT409',
          'approving a cancel of a hold released meanwhile: the transition''s PT409');
select is((select status from private.admin_action_requests where id = (select (r ->> 'id')::uuid from req_stale)), 'pending',
          '... the request stays pending');

-- ---------------------------------------------------------------------------------------------
-- Reject; expire
-- ---------------------------------------------------------------------------------------------
create temp table req_fail as
select pg_temp.request('admin', 'fail_placement', jsonb_build_object('p_placement_id', access_test.id('L'), 'p_reason', 'candidate left')) as r;
select is((select (r ->> 'amount')::bigint from req_fail), 150000::bigint, 'fail_placement request: the money of its payouts');
select is(pg_temp.decide('admin2', 'reject_admin_action', (select r from req_fail), null), 'ERROR PT400', 'rejecting needs a reason');
select is(pg_temp.decide('admin2', 'reject_admin_action', (select r from req_fail), 'she stayed')::jsonb ->> 'status', 'rejected',
          'the second admin rejects it');
select is((select status from placements where id = access_test.id('L')), 'hired', '... the placement is unchanged');
select is(pg_temp.decide('admin2', 'approve_admin_action', (select r from req_fail)), 'ERROR PT409', 'a rejected request cannot be approved');

create temp table req_old as
select pg_temp.request('admin', 'fail_placement', jsonb_build_object('p_placement_id', access_test.id('L'), 'p_reason', 'left')) as r;
-- as if asked two days ago (the RPCs use now(), so the row is dated back instead of sleeping)
update private.admin_action_requests set requested_at = now() - interval '2 days', expires_at = now() - interval '1 day'
where id = (select (r ->> 'id')::uuid from req_old);
select is(pg_temp.decide('admin2', 'approve_admin_action', (select r from req_old)), 'ERROR PT409', 'an expired request cannot be approved');
select is(access_test.run_as('admin', format($$select e.status from public.admin_action_requests('expired') e where e.id = %L$$,
          (select r ->> 'id' from req_old))), 'expired', '... and is listed as expired');

-- ---------------------------------------------------------------------------------------------
-- Exhausted schedule; threshold 0 = always; bad requests
-- ---------------------------------------------------------------------------------------------
select access_test.remember('schLA', (select id from payout_schedules where payout_id = access_test.id('payLA')));
-- three attempts fail (a day apart, past every backoff)
do $$
begin
  for n in 1..3 loop
    perform count(*) from private.claim_due_payout_schedules(gen_random_uuid(), 100, null, now() + n * interval '1 day');
    perform private.fail_payout_transfer((select id from payout_transfers where schedule_id = access_test.id('schLA') and status = 'pending'),
                                         'declined', now() + n * interval '1 day');
  end loop;
end $$;
select is((select is_exhausted from payout_schedules where id = access_test.id('schLA')), true, 'A''s schedule on L is exhausted');
select is(access_test.run_as('admin', format($$select (public.trigger_payout_schedule(%L, 'one more')).status$$, access_test.id('schLA'))),
          'ERROR PT428', 'trigger_payout_schedule of an exhausted schedule (100000 USD payable) needs a second admin');

update private.approval_thresholds set min_amount = 0 where currency = 'USD';
select is(access_test.run_as('admin', format($$select (public.cancel_escrow_hold(%L, 'forfeit')).status$$, access_test.id('holdC'))),
          'ERROR PT428', 'threshold 0: every cancel needs a second admin');

select is(access_test.run_as('admin', $$select public.request_admin_action('withdraw_everything', '{}')::text$$), 'ERROR PT400',
          'an unknown action: PT400');
select is(access_test.error_as('admin', format($$select public.request_admin_action('cancel_escrow_hold', %L)$$,
            jsonb_build_object('p_hold_id', access_test.id('holdC'), 'p_reason', 'x', 'p_amount', '1'))),
          'PT400: cancel_escrow_hold takes no argument p_amount', 'an unknown argument: PT400');
select is(access_test.run_as('admin', format($$select public.request_admin_action('cancel_escrow_hold', %L)::text$$,
            jsonb_build_object('p_hold_id', access_test.id('holdC')))), 'ERROR PT400', 'a missing reason: PT400');
select is(access_test.run_as('admin', format($$select public.request_admin_action('cancel_escrow_hold', %L)::text$$,
            jsonb_build_object('p_hold_id', gen_random_uuid(), 'p_reason', 'x'))), 'ERROR PT404', 'an unknown hold: PT404');

-- ---------------------------------------------------------------------------------------------
-- Break glass: postgres only, and only without a second admin
-- ---------------------------------------------------------------------------------------------
select throws_ok(format($$select private.break_glass_admin_action(%L, 'urgent')$$, (select r ->> 'id' from req_stale)), 'PT409',
                 format('another platform admin can approve request %s', (select r ->> 'id' from req_stale)),
                 'break glass is refused while another admin can approve');
select is(access_test.run_as('admin', format($$select private.break_glass_admin_action(%L, 'urgent')::text$$, (select r ->> 'id' from req_stale))),
          'ERROR 42501', 'an admin cannot break the glass through SQL as authenticated');

select * from finish();
rollback;
