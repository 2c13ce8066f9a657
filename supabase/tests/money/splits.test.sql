-- Splits: shares sum to at most 10000 bps; locked once the invoice is recorded.
begin;
\ir _fixtures.psql
select plan(9);

select money_test.remember('pl', money_test.placement(100000, 0, '{6000,4000}')) as pl \gset
select money_test.remember('r', money_test.recruiter('Extra'));

-- the sum check is deferred (shares may be rebalanced in several statements): force it
savepoint over;
insert into placement_splits (placement_id, recruiter_id, role, share_bps)
values (:'pl', money_test.id('r'), 'job_owner', 1);
select throws_ok($$ set constraints all immediate $$, 'PT422', null, 'shares summing to 10001 bps are refused');
rollback to savepoint over;

select lives_ok($$ update placement_splits set share_bps = 5000 where placement_id = money_test.id('pl') and share_bps = 6000;
                   insert into placement_splits (placement_id, recruiter_id, role, share_bps)
                   values (money_test.id('pl'), money_test.id('r'), 'job_owner', 1000);
                   set constraints all immediate; set constraints all deferred $$, 'unlocked splits can be rebalanced');
select throws_ok($$ insert into placement_splits (placement_id, recruiter_id, role, share_bps)
                    values (money_test.id('pl'), money_test.id('r'), 'company_sourcer', 0) $$, '23514', null,
  'a share is at least 1 bps');

select money_test.invoice(:'pl', false);
select is((select splits_locked_at from placements where id = :'pl'), '2000-01-02'::timestamptz, 'splits locked when the invoice is recorded');
select throws_ok($$ update placement_splits set share_bps = 1 where placement_id = money_test.id('pl') and share_bps = 1000 $$,
  'PT409', null, 'locked: no update');
select throws_ok($$ insert into placement_splits (placement_id, recruiter_id, role, share_bps)
                    values (money_test.id('pl'), money_test.id('r'), 'company_sourcer', 1) $$, 'PT409', null, 'locked: no insert');
select throws_ok($$ delete from placement_splits where placement_id = money_test.id('pl') and share_bps = 1000 $$,
  'PT409', null, 'locked: no delete');
select is((select array_agg(amount order by amount) from payouts where placement_id = :'pl'), '{10000,40000,50000}'::bigint[],
  'payouts follow the shares at lock time');
select is((select platform_amount from placements where id = :'pl'), 0::bigint, 'platform remainder 0 when shares sum to 10000');

select * from finish();
rollback;
