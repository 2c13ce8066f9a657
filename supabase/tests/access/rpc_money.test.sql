-- The money RPCs as a platform admin: each one does what the model's transition does, audited
-- with the acting admin (changed_by / actor_id = the admin, role platform_admin). The trigger
-- overrides only the date and the attempt cap (also of an exhausted schedule): the pause gates
-- still hold at the next claim. Pauses take effect on the next claim.
begin;
\ir _fixtures.psql
select plan(53);

-- Live placement L (today's clock): A 5000 bps, B 2500 bps of 200000, holdback 20%, invoiced
-- and paid 8 days ago (collectible since yesterday), so its schedules are due.
select access_test.live_placement('L');
select access_test.remember('invL', (private.record_placement_invoice(access_test.id('L'), 'in_moneyL', null, 'open',
                                                                       now() - interval '9 days')).id);
select private.transition_placement_invoice(access_test.id('invL'), 'paid', null, now() - interval '8 days',
                                            now() - interval '8 days');
select access_test.remember('payLA', (select id from payouts where placement_id = access_test.id('L') and recruiter_id = access_test.id('rA')));
select access_test.remember('payLB', (select id from payouts where placement_id = access_test.id('L') and recruiter_id = access_test.id('rB')));
select access_test.remember('schLA', (select id from payout_schedules where payout_id = access_test.id('payLA')));
select access_test.remember('schLB', (select id from payout_schedules where payout_id = access_test.id('payLB')));

create function access_test.audited_by_admin(p_entity uuid, p_action text)
returns boolean language sql as $$
  select exists (select 1 from public.payout_audit_log a
                 where a.entity_id = p_entity and a.action = p_action
                   and a.changed_by = access_test.id('u_admin') and a.changed_by_role = 'platform_admin')
$$;
create function access_test.event_by_admin(p_entity uuid, p_event text)
returns boolean language sql as $$
  select exists (select 1 from public.payout_events e
                 where e.entity_id = p_entity and e.event_type = p_event
                   and e.actor_id = access_test.id('u_admin') and e.actor_role = 'platform_admin')
$$;
create function access_test.claim(p_now timestamptz)
returns table (schedule text, outcome text, skip_reason text) language sql as $$
  select access_test.label(c.schedule_id), c.outcome, c.skip_reason
  from private.claim_due_payout_schedules(gen_random_uuid(), 100, null, p_now) c
  where c.schedule_id in (access_test.id('schLA'), access_test.id('schLB'))
$$;

-- ---------------------------------------------------------------------------------------------
-- update_payout_schedule
-- ---------------------------------------------------------------------------------------------
select is((select status from payout_schedules where id = access_test.id('schLA')), 'pending', 'L''s schedules are pending');
select is(access_test.as_admin(format($$select (public.update_payout_schedule(%L, now() + interval '3 days', 'client asked to wait')).next_attempt_at::text$$,
                                      access_test.id('schLA'))),
          (now() + interval '3 days')::text, 'update_payout_schedule moves the next attempt');
select is((select scheduled_date from payout_schedules where id = access_test.id('schLA')),
          ((now() + interval '3 days') at time zone 'UTC')::date, '... and the scheduled date of a pending schedule');
select ok(access_test.audited_by_admin(access_test.id('schLA'), 'payout_schedule.reschedule'), '... audited with the admin');
select ok(access_test.event_by_admin(access_test.id('schLA'), 'payout_schedule.rescheduled'), '... event with the admin as actor');
select is((select string_agg(outcome, ',') from access_test.claim(now())), 'claimed', 'a claim now takes B only: A is not due');
select private.complete_payout_transfer((select id from payout_transfers where schedule_id = access_test.id('schLB') and status = 'pending'),
                                        'tr_moneyB1', now());

-- ---------------------------------------------------------------------------------------------
-- trigger_payout_schedule: date and attempt cap only, never a gate
-- ---------------------------------------------------------------------------------------------
select is(access_test.as_admin(format($$select (public.pause_recruiter_payouts(%L, 'KYC review')).payouts_paused::text$$,
                                      access_test.id('rA'))), 'true', 'pause_recruiter_payouts pauses A');
select ok(access_test.audited_by_admin(access_test.id('rA'), 'recruiter.pause'), '... audited with the admin');
select is(access_test.as_admin(format($$select (public.trigger_payout_schedule(%L, 'pay A today')).next_attempt_at::text$$,
                                      access_test.id('schLA'))), now()::text, 'trigger_payout_schedule makes A due now');
select ok(access_test.audited_by_admin(access_test.id('schLA'), 'payout_schedule.trigger'), '... audited with the admin');
select is((select string_agg(outcome || ':' || skip_reason, ',') from access_test.claim(now())), 'skipped:recruiter_paused',
          'the next claim still refuses A: the pause gate is not overridden');
select is(access_test.as_admin(format($$select (public.resume_recruiter_payouts(%L)).payouts_paused::text$$,
                                      access_test.id('rA'))), 'false', 'resume_recruiter_payouts resumes A');
select ok(access_test.audited_by_admin(access_test.id('rA'), 'recruiter.resume'), '... audited with the admin');
select is((select count(*)::int from access_test.claim(now())), 0, 'A''s skipped schedule waits for its deferred time...');
select is(access_test.run_as('admin', format($$select (public.trigger_payout_schedule(%L, 'resumed')).status$$,
                                             access_test.id('schLA'))), 'pending', '... or an admin trigger');
select is((select string_agg(outcome, ',') from access_test.claim(now())), 'claimed', 'A is claimed once resumed and triggered');

-- the kill switch, on the next claim
select is(access_test.as_admin($$select public.pause_payouts('incident 42') ->> 'payouts_paused'$$), 'true',
          'pause_payouts turns the kill switch on');
select ok(exists (select 1 from payout_audit_log where entity_type = 'payout_settings' and action = 'platform.pause'
                  and changed_by = access_test.id('u_admin') and changed_by_role = 'platform_admin'), '... audited with the admin');
select ok(exists (select 1 from payout_events where event_type = 'platform.payouts_paused'
                  and actor_id = access_test.id('u_admin')), '... event with the admin as actor');

-- a failed, then exhausted schedule (a trigger of a failed schedule allows exactly one more
-- attempt: max_attempts = retry_count + 1)
select private.fail_payout_transfer((select id from payout_transfers where schedule_id = access_test.id('schLA') and status = 'pending'),
                                    'declined', now());
select is((select string_agg(outcome || ':' || coalesce(skip_reason, ''), ',') from access_test.claim(now() + interval '1 hour')),
          'skipped:platform_paused', 'while paused, A''s retry is skipped at its backoff time (platform_paused)');
select is(access_test.run_as('admin', $$select public.resume_payouts('incident over')::text$$), 'ERROR PT428',
          'resume_payouts while paused needs a second admin (PT428)');
select access_test.remember('u_admin2', tests.create_user('access-admin2@test.invalid'));
insert into public.platform_admins (user_id) values (access_test.id('u_admin2'));
select access_test.remember('reqResume', (access_test.as_admin(
  $$select public.request_admin_action('resume_payouts', '{"p_reason": "incident over"}') ->> 'id'$$))::uuid);
select is(access_test.run_as('admin2', format($$select public.approve_admin_action(%L) -> 'result' ->> 'payouts_paused'$$,
          access_test.id('reqResume'))), 'false', 'a second admin approves: resume_payouts turns it off');
select ok(exists (select 1 from payout_audit_log where entity_type = 'payout_settings' and action = 'platform.resume'
                  and changed_by = access_test.id('u_admin2')
                  and reason like '%' || access_test.id('reqResume') || '%requested by ' || access_test.id('u_admin') || '%'),
          '... audited with the approving admin, naming the request and the requester');
select is(access_test.run_as('admin', format($$select (public.trigger_payout_schedule(%L, 'retry now')).status$$,
                                             access_test.id('schLA'))), 'pending', 'trigger a failed schedule: pending, due now');
select is((select string_agg(outcome, ',') from access_test.claim(now())), 'claimed', 'attempt 2 claimed');
select private.fail_payout_transfer((select id from payout_transfers where schedule_id = access_test.id('schLA') and status = 'pending'),
                                    'declined', now());
select is((select is_exhausted from payout_schedules where id = access_test.id('schLA')), true,
          'attempt 2 failed: A''s schedule is exhausted');
select is(access_test.run_as('admin', format($$select public.update_payout_schedule(%L, now(), 'x')::text$$, access_test.id('schLA'))),
          'ERROR PT409', 'update_payout_schedule refuses an exhausted schedule (trigger is the way)');
select is(access_test.as_admin(format($$select (public.trigger_payout_schedule(%L, 'one more')).max_attempts::text$$,
                                      access_test.id('schLA'))), '3', 'trigger gives an exhausted schedule one more attempt');
select is((select string_agg(outcome, ',') from access_test.claim(now())), 'claimed', 'attempt 3 claimed');
select is((select max(attempt_number) from payout_transfers where schedule_id = access_test.id('schLA')), 3, '... as attempt 3');

-- ---------------------------------------------------------------------------------------------
-- process_due_payout_schedules
-- ---------------------------------------------------------------------------------------------
select private.complete_payout_transfer((select id from payout_transfers where schedule_id = access_test.id('schLA') and status = 'pending'),
                                        'tr_moneyA3', now());
select access_test.remember('schC', (private.create_payout_schedule(access_test.id('payC'), 'fixture', '2000-02-01', '2000-01-20')).id);
create temp table run_request as
select access_test.as_admin('select public.process_due_payout_schedules()::text')::jsonb as r;
select ok((select (r -> 'due_schedule_ids') ? access_test.id('schC')::text and (r ->> 'due_count')::int >= 1
                  and r ->> 'kind' = 'payout_schedules' and (r ->> 'request_id') is not null from run_request),
          'process_due_payout_schedules returns the request with the due schedules');
select ok(exists (select 1 from private.payout_run_requests q, run_request
                  where q.id = (r ->> 'request_id')::uuid and q.requested_by = access_test.id('u_admin')),
          '... recorded with the requesting admin');
select ok(access_test.audited_by_admin((select (r ->> 'request_id')::uuid from run_request), 'payout_run.request'),
          '... audited with the admin');
select ok(access_test.event_by_admin((select (r ->> 'request_id')::uuid from run_request), 'payout_run.requested'),
          '... and rings payout_run.requested');

-- ---------------------------------------------------------------------------------------------
-- escrow holds
-- ---------------------------------------------------------------------------------------------
select access_test.remember('holdD', (access_test.as_admin(format(
  $$select (public.create_escrow_hold(%L, 1000, 'dispute', null, 'client disputes')).id::text$$, access_test.id('payC'))))::uuid);
select is((select held_amount - 5000 from payouts where id = access_test.id('payC')), 1000::bigint,
          'create_escrow_hold holds money of the payout');
select ok(access_test.audited_by_admin(access_test.id('holdD'), 'escrow_hold.create'), '... audited with the admin');
select is(access_test.as_admin(format($$select (public.release_escrow_hold(%L, 'dispute settled')).released_by::text$$,
                                      access_test.id('holdD'))), access_test.id('u_admin')::text,
          'release_escrow_hold releases it, released_by = the admin');
select is(access_test.run_as('admin', format($$select public.cancel_escrow_hold(%L, 'too late')::text$$, access_test.id('holdD'))),
          'ERROR PT409', 'a released hold cannot be cancelled');
select is(access_test.as_admin(format($$select (public.cancel_escrow_hold(%L, 'guarantee broken')).cancelled_by::text$$,
                                      access_test.id('holdC'))), access_test.id('u_admin')::text,
          'cancel_escrow_hold forfeits it, cancelled_by = the admin');
select is((select forfeited_amount from payouts where id = access_test.id('payC')), 5000::bigint, '... the money is forfeited');

-- due releases: A's and B's fixture guarantee holds (release date 2000-04-01) are due
create temp table release_request as
select access_test.as_admin('select public.process_due_escrow_releases()::text')::jsonb as r;
select ok((select (r -> 'released_hold_ids') ? access_test.id('holdA')::text
                  and (r -> 'released_hold_ids') ? access_test.id('holdB')::text from release_request),
          'process_due_escrow_releases releases the due holds and says which');
select is((select released_by from escrow_holds where id = access_test.id('holdA')), access_test.id('u_admin'),
          '... with the admin as actor');
select ok(access_test.audited_by_admin((select (r ->> 'request_id')::uuid from release_request), 'payout_run.request'),
          '... and records the request, audited');

-- ---------------------------------------------------------------------------------------------
-- cancel_payout_schedule, fail_placement
-- ---------------------------------------------------------------------------------------------
select is(access_test.as_admin(format($$select (public.cancel_payout_schedule(%L, 'paid outside')).status$$,
                                      access_test.id('schC'))), 'cancelled', 'cancel_payout_schedule cancels');
select ok(access_test.audited_by_admin(access_test.id('schC'), 'payout_schedule.cancel'), '... audited with the admin');
select access_test.live_placement('L2');
select is(access_test.as_admin(format($$select (public.fail_placement(%L, 'candidate left')).status$$, access_test.id('L2'))),
          'failed', 'fail_placement fails a placement during its guarantee');
select ok(access_test.audited_by_admin(access_test.id('L2'), 'placement.fail'), '... audited with the admin');

-- ---------------------------------------------------------------------------------------------
-- times that never come: refused, nothing changed
-- ---------------------------------------------------------------------------------------------
create temp table infinite_before as
select (select count(*) from payout_audit_log) as audit_rows, (select count(*) from payout_schedules) as schedules;
select is(access_test.run_as('admin', format($$select public.create_payout_schedule(%L, 'infinity')::text$$, access_test.id('payA'))),
          'ERROR PT400', 'create_payout_schedule: p_due_at infinity is refused');
select is(access_test.error_as('admin', format($$select public.create_payout_schedule(%L, '-infinity')$$, access_test.id('payA'))),
          'PT400: p_due_at must be a finite time, or null for now (got -infinity)', '... -infinity too, with why');
select is(access_test.run_as('admin', format($$select public.update_payout_schedule(%L, 'infinity', 'never')::text$$,
                                            access_test.id('schLB'))), 'ERROR PT400',
          'update_payout_schedule: p_due_at infinity is refused');
select is(access_test.run_as('admin', format($$select public.create_escrow_hold(%L, 100, 'dispute', 'infinity')::text$$,
                                            access_test.id('payA'))), 'ERROR PT400',
          'create_escrow_hold: release date infinity is refused (null holds until released by hand)');
select is(access_test.run_as('admin', $$select count(*) from public.payout_run_preview('infinity')$$), 'ERROR PT400',
          'payout_run_preview: p_now infinity is refused');
select is(((select count(*) from payout_audit_log), (select count(*) from payout_schedules))::text,
          (select (audit_rows, schedules)::text from infinite_before), '... and nothing was written');

select * from finish();
rollback;
