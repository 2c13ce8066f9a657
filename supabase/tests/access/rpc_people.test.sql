-- People: the database is the source of truth for roles, so granting, revoking and membership
-- changes take effect on the caller's next statement with the same JWT, and JWT claims never
-- make anyone an admin. The first admin comes from private.bootstrap_platform_admin, run as
-- postgres, never from the API. The platform controls as an admin reads them.
begin;
\ir _fixtures.psql
select plan(37);

-- ---------------------------------------------------------------------------------------------
-- platform admins
-- ---------------------------------------------------------------------------------------------
select is(access_test.run_as('nobody', 'select count(*) from public.placements'), '0', 'nobody sees no placement');
select is(access_test.run_as('admin', format($$select public.grant_platform_admin(%L)::text$$, access_test.id('u_nobody'))),
          'ERROR PT428', 'grant_platform_admin always needs a second admin (PT428)');
select is((select count(*)::int from platform_admins where user_id = access_test.id('u_nobody')), 0, '... nothing granted');
-- the only admin asks; nobody can approve, so postgres breaks the glass (four_eyes.test.sql has the rest)
create temp table grant_request as
select access_test.as_admin(format($$select public.request_admin_action('grant_platform_admin', jsonb_build_object('p_user_id', %L))::text$$,
                                   access_test.id('u_nobody')))::jsonb as doc;
select is((private.break_glass_admin_action((select (doc ->> 'id')::uuid from grant_request), 'one admin only')).result ->> 'user_id',
          access_test.id('u_nobody')::text, 'granted through a request executed by break glass');
select ok(exists (select 1 from payout_audit_log where entity_type = 'platform_admin' and action = 'platform_admin.grant'
                  and changed_by is null and changed_by_role = 'system'
                  and reason like '%' || (select doc ->> 'id' from grant_request) || '%requested by ' || access_test.id('u_admin') || '%'
                  and (select user_id from platform_admins where id = entity_id) = access_test.id('u_nobody')),
          '... audited as system, naming the request and the requesting admin');
select is((select kind || ' ' || (details ->> 'action') from payout_alerts where subject_id = (select doc ->> 'id' from grant_request)),
          'break_glass_used grant_platform_admin', '... and raises an alert (payout_alerts: break_glass_used)');
select is(access_test.run_as('admin', format($$select kind from public.payout_alerts where subject_id = %L$$,
                                             (select doc ->> 'id' from grant_request))),
          'break_glass_used', '... which the platform admin reads');
select is(access_test.run_as('nobody', 'select count(*) >= 2 from public.placements'), 'true',
          'the new admin reads everything with the same JWT');
select is(access_test.run_as('nobody', 'select (public.payout_controls() ->> ''payouts_paused'')'), 'false',
          '... and calls admin RPCs');
select is(access_test.as_admin(format($$select public.grant_platform_admin(%L)::text$$, access_test.id('u_nobody'))),
          (select a::text from platform_admins a where user_id = access_test.id('u_nobody')), 'granting again: unchanged');
select is(access_test.as_admin(format($$select (public.revoke_platform_admin(%L)).user_id::text$$, access_test.id('u_nobody'))),
          access_test.id('u_nobody')::text, 'revoke_platform_admin returns the removed row');
select ok(exists (select 1 from payout_audit_log where entity_type = 'platform_admin' and action = 'platform_admin.revoke'
                  and operation = 'DELETE' and changed_by = access_test.id('u_admin')), '... audited with the admin');
select is(access_test.run_as('nobody', 'select count(*) from public.placements'), '0', 'the revoked admin reads nothing again');
select is(access_test.run_as('nobody', 'select public.payout_controls()::text'), 'ERROR 42501', '... and is refused by the RPCs');
select is(access_test.run_as('fake_admin', 'select public.payout_controls()::text'), 'ERROR 42501',
          'a JWT claiming platform_admin in app_metadata is refused');
select is(access_test.run_as('admin', format($$select public.revoke_platform_admin(%L)::text$$, access_test.id('u_admin'))),
          'ERROR PT409', 'the last admin cannot be revoked (not even by themself)');
select is(access_test.run_as('admin', format($$select public.revoke_platform_admin(%L)::text$$, access_test.id('u_ra'))),
          'ERROR PT404', 'revoking a non-admin: not found');

-- a deleted auth user loses the role with their account
select access_test.remember('u_tmp', tests.create_user('access-tmp@test.invalid'));
select private.bootstrap_platform_admin('access-tmp@test.invalid');
delete from auth.users where id = access_test.id('u_tmp');
select is((select count(*)::int from platform_admins where user_id = access_test.id('u_tmp')), 0,
          'deleting the auth user removes their platform_admins row');

-- ---------------------------------------------------------------------------------------------
-- bootstrap: postgres only
-- ---------------------------------------------------------------------------------------------
select access_test.remember('u_boot', tests.create_user('Access-Boot@Test.invalid'));
select is((private.bootstrap_platform_admin('access-boot@test.invalid')).user_id, access_test.id('u_boot'),
          'bootstrap_platform_admin makes the user with this email (any case) an admin');
select ok(exists (select 1 from payout_audit_log where entity_type = 'platform_admin' and action = 'platform_admin.bootstrap'
                  and changed_by is null and changed_by_role = 'system'), '... audited as system');
select is((private.bootstrap_platform_admin('access-boot@test.invalid')).user_id, access_test.id('u_boot'), '... idempotent');
select throws_ok($$ select private.bootstrap_platform_admin('nobody-here@test.invalid') $$, 'PT404', null,
                 'an unknown email is refused');
select is(access_test.run_as('admin', $$select private.bootstrap_platform_admin('access-nobody@test.invalid')::text$$),
          'ERROR 42501', 'an admin cannot call the bootstrap through SQL as authenticated');
select is(access_test.run_as('service', $$select private.bootstrap_platform_admin('access-nobody@test.invalid')::text$$),
          'ERROR 42501', 'service_role cannot call it');
select is(access_test.run_as('anon', $$select private.bootstrap_platform_admin('access-nobody@test.invalid')::text$$),
          'ERROR 42501', 'anon cannot call it');

-- ---------------------------------------------------------------------------------------------
-- company members
-- ---------------------------------------------------------------------------------------------
select is(access_test.as_admin(format($$select (public.add_company_member(%L, %L, 'hiring_manager')).role$$,
                                      access_test.id('Y'), access_test.id('u_nobody'))), 'hiring_manager',
          'add_company_member adds a member');
select ok(exists (select 1 from payout_audit_log where entity_type = 'company_member' and action = 'company_member.add'
                  and changed_by = access_test.id('u_admin')), '... audited with the admin');
select is(access_test.visible('nobody', 'public.placements', 'access_test.label(t.id)'), 'P2',
          'the new member sees the company''s placements at once');
select is(access_test.visible('nobody', 'public.placement_invoices', 'access_test.label(t.id)'), 'invP2', '... and invoices');
select is(access_test.as_admin(format($$select (public.add_company_member(%L, %L, 'company_admin')).role$$,
                                      access_test.id('Y'), access_test.id('u_nobody'))), 'company_admin',
          'adding again changes the role');
select is((select count(*)::int from company_members where user_id = access_test.id('u_nobody')), 1, '... one membership');
select is(access_test.as_admin(format($$select (public.remove_company_member(%L, %L)).role$$,
                                      access_test.id('Y'), access_test.id('u_nobody'))), 'company_admin',
          'remove_company_member returns the removed membership');
select is(access_test.visible('nobody', 'public.placements', 'access_test.label(t.id)'), '', 'the removed member sees nothing');
select is(access_test.run_as('admin', format($$select public.remove_company_member(%L, %L)::text$$,
                                            access_test.id('Y'), access_test.id('u_nobody'))), 'ERROR PT404',
          'removing a non-member: not found');
select is(access_test.run_as('admin', format($$select public.add_company_member(%L, %L, 'hiring_manager')::text$$,
                                            gen_random_uuid(), access_test.id('u_nobody'))), 'ERROR PT404', 'unknown company');

-- ---------------------------------------------------------------------------------------------
-- controls
-- ---------------------------------------------------------------------------------------------
select is(access_test.as_admin($$select string_agg(k, ',' order by k) from jsonb_object_keys(public.payout_controls()) k$$),
          'escrow_release_time,max_failed_attempts,paused_at,paused_reason,payout_due_time,payouts_paused,settlement_buffer,updated_at',
          'payout_controls: the shape of the controls');
select is(access_test.run_as('admin', $$select public.pause_payouts('  ')::text$$), 'ERROR PT400', 'pausing needs a reason');

select * from finish();
rollback;
