-- Placement state machine: hired -> active -> completed | failed. Happy path, every illegal
-- edge, idempotent re-call, terminal states sticky, input errors.
begin;
\ir _fixtures.psql
select plan(24);

select money_test.remember('co', money_test.company());

select throws_ok($$ select private.create_placement(money_test.id('co'), 100, 'usd', now(), 30) $$, 'PT400', null,
  'currency must be upper-case ISO');
select throws_ok($$ select private.create_placement(money_test.id('co'), -1, 'USD', now(), 30) $$, 'PT400', null,
  'negative fee refused');
select throws_ok($$ select private.create_placement(money_test.id('co'), 2147483648, 'USD', now(), 30) $$, 'PT400', null,
  'fee above the bigint-safe cap refused');
select throws_ok($$ select private.create_placement(money_test.id('co'), 100, 'USD', now(), 30, 10001) $$, 'PT400', null,
  'holdback above 10000 bps refused');
select throws_ok($$ select private.create_placement(gen_random_uuid(), 100, 'USD', now(), 30) $$, 'PT404', null,
  'unknown company');

select money_test.remember('pl', money_test.placement()) as pl \gset
select is((select (status, guarantee_expires_at) from placements where id = :'pl'),
  row('hired'::text, '2000-03-31 10:00Z'::timestamptz), 'created hired; guarantee expires 90 UTC days after hire');

select throws_ok($$ select private.transition_placement(gen_random_uuid(), 'active') $$, 'PT404', null, 'unknown placement');
select throws_ok($$ select private.transition_placement(money_test.id('pl'), 'bogus') $$, 'PT400', null, 'unknown status');
select throws_ok($$ select private.transition_placement(money_test.id('pl'), 'completed', null, '2000-06-01') $$, 'PT409', null,
  'hired -> completed is illegal');
select is((private.transition_placement(:'pl', 'hired')).status, 'hired', 'hired -> hired is a no-op');

select is((private.transition_placement(:'pl', 'active', null, '2000-01-03')).status, 'active', 'hired -> active');
select is((select activated_at from placements where id = :'pl'), '2000-01-03'::timestamptz, 'activated_at = p_now');
select is((private.transition_placement(:'pl', 'active', null, '2000-01-09')).activated_at, '2000-01-03'::timestamptz,
  'repeating hired -> active is a no-op returning the row');
select is(money_test.events(:'pl'), '{placement.created,placement.activated}'::text[], 'no event for the no-op');
select throws_ok($$ select private.transition_placement(money_test.id('pl'), 'hired') $$, 'PT409', null, 'active -> hired illegal');

select throws_ok($$ select private.transition_placement(money_test.id('pl'), 'completed', null, '2000-03-31 09:59Z') $$,
  'PT409', null, 'cannot complete before the guarantee expires');
select throws_ok($$ select private.transition_placement(money_test.id('pl'), 'failed', null, '2000-02-01') $$, 'PT400', null,
  'failing needs a reason');
select throws_ok($$ select private.transition_placement(money_test.id('pl'), 'failed', 'left', '2000-03-31 10:00Z') $$,
  'PT409', null, 'a placement fails only during its guarantee');
select is((private.transition_placement(:'pl', 'completed', null, '2000-03-31 10:00Z')).status, 'completed',
  'active -> completed at expiry');
select throws_ok($$ select private.transition_placement(money_test.id('pl'), 'failed', 'late', '2000-03-31 10:00Z') $$,
  'PT409', null, 'completed is terminal (-> failed)');
select throws_ok($$ select private.transition_placement(money_test.id('pl'), 'active') $$, 'PT409', null,
  'completed is terminal (-> active)');

select money_test.remember('pl2', money_test.placement()) as pl2 \gset
select is((private.transition_placement(:'pl2', 'failed', 'candidate declined', '2000-01-02')).status, 'failed', 'hired -> failed');
select throws_ok($$ select private.transition_placement(money_test.id('pl2'), 'active') $$, 'PT409', null, 'failed is terminal');
select is((private.transition_placement(:'pl2', 'failed', 'again', '2000-01-03')).failure_reason, 'candidate declined',
  'failing again is a no-op');

select * from finish();
rollback;
