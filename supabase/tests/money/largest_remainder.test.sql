-- Largest remainder: property test over thousands of random splits (fees of 0-3 cents,
-- shares summing to exactly 10000, up to 60 splits; plus larger fees with a platform share),
-- then the same through real splits, payouts and the split-id tie-break, and the tie-break
-- following the order the splits were given.
begin;
\ir _fixtures.psql
select plan(19);

select setseed(0.4242);

-- cases: shares = a random partition of 10000 into n positive parts (n-1 distinct cut points)
create temp table lr_case as
with c as (
  select g as case_id,
         case when g <= 3000 then (g % 4)::bigint else (g * 7919 % 100000)::bigint end as fee,
         1 + (g * 31 % 60) as n,
         case when g <= 3000 then 10000 else 10000 - (g % 5000) end as share_total
  from generate_series(1, 4000) g
), cuts as (
  select c.*, array(select distinct (1 + floor(random() * (c.share_total - 1)))::int
                    from generate_series(1, c.n - 1) where c.share_total > 1 order by 1) as cut
  from c
)
select case_id, fee, share_total,
       array(select (coalesce((cut || share_total)[i], share_total) - coalesce((0 || cut)[i], 0))::bigint
             from generate_series(1, cardinality(cut) + 1) i)
       || (10000 - share_total)::bigint as weights   -- the platform last
from cuts;

select is((select count(*) from lr_case where (select sum(w) from unnest(weights) w) <> 10000), 0::bigint,
  'generator: every case has weights summing to 10000');
select cmp_ok((select max(cardinality(weights)) from lr_case), '>=', 50, 'generator: many splits');
select is((select count(*) from lr_case where share_total = 10000 and fee between 0 and 3), 3000::bigint,
  'generator: 3000 cases with fees of 0-3 cents and shares summing to exactly 10000');

create temp table lr_result as
select c.case_id, c.fee, a.ord, a.amount, w.weight,
       (c.fee * w.weight) / 10000 as floor_quota, (c.fee * w.weight) % 10000 as rem
from lr_case c
cross join lateral private.largest_remainder(c.fee, c.weights) a
join lateral unnest(c.weights) with ordinality as w(weight, ord) on w.ord = a.ord;

select is((select count(*) from (select case_id from lr_result group by case_id, fee having sum(amount) <> fee) x),
  0::bigint, 'sum of amounts = fee, exactly, in every case');
select is((select count(*) from lr_result where amount - floor_quota not in (0, 1)), 0::bigint,
  'every amount is the floor of its quota or one more');
select is((select count(*) from lr_result where weight = 0 and amount <> 0), 0::bigint,
  'a zero share (the platform when shares sum to 10000) never gets a cent');
select is((select count(*) from lr_result a join lr_result b on a.case_id = b.case_id
           where a.amount > a.floor_quota and b.amount = b.floor_quota
             and (b.rem > a.rem or (b.rem = a.rem and b.ord < a.ord))), 0::bigint,
  'extra cents go to the largest remainders, ties to the lower position');
select is((select count(*) from lr_result where amount < 0), 0::bigint, 'no negative amount');
select is((select count(*) from lr_case c
           where array(select amount from private.largest_remainder(c.fee, c.weights) order by ord)
              <> array(select amount from private.largest_remainder(c.fee, c.weights) order by ord)),
  0::bigint, 'deterministic');

select throws_ok($$ select * from private.largest_remainder(3, '{0,0}') $$, 'PT400', null,
  'money over zero weights is refused');
select throws_ok($$ select * from private.largest_remainder(-1, '{1}') $$, 'PT400', null, 'a negative total is refused');

-- Through real splits: 40 equal splits of 250 bps, fee 3 cents: all remainders tie, so the
-- three lowest split ids get a cent each.
select money_test.remember('r' || i, money_test.recruiter('LR' || i)) from generate_series(1, 8) i;
select money_test.remember('pl', money_test.placement(3, 0, array_fill(250, array[40]),
  array(select money_test.id('r' || (1 + (i - 1) / 5)) from generate_series(1, 40) i))) as pl \gset
select money_test.invoice(:'pl', false);

select is((select sum(amount) from payouts where placement_id = :'pl'), 3::numeric, 'real payouts sum to the 3-cent fee');
select is((select platform_amount from placements where id = :'pl'), 0::bigint, 'shares sum to 10000: platform gets 0');
select is((select array_agg(split_id order by split_id) from payouts where placement_id = :'pl' and amount = 1),
          (select array_agg(id order by id) from (select id from placement_splits where placement_id = :'pl' order by id limit 3) s),
  'ties are broken by split id: the three lowest split ids get the cents');

-- Shares summing to less than 10000: the platform's remainder makes the total exact.
select money_test.remember('pl2', money_test.placement(1001, 0, '{3333,3333}')) as pl2 \gset
select money_test.invoice(:'pl2', false);
select is((select sum(amount) from payouts where placement_id = :'pl2')
          + (select platform_amount from placements where id = :'pl2'), 1001::numeric,
  'sum of recruiter amounts + platform remainder = fee');
select is((select array_agg(amount order by amount) from payouts where placement_id = :'pl2'), '{333,334}'::bigint[],
  'quotas 333.6333, 333.6333, platform 333.7334: the platform and then the lower split id get the cents');

-- The tie-break follows the order the splits were given (set through the admin RPCs, i.e.
-- private.write_placement_splits): identical requests on ten placements give the odd cent to the
-- same recruiter, the one listed first; listed in another order, to the new first. Fee 100 over
-- three shares of 3333 bps: 33.33 each, the platform 0.01: one cent left, three equal remainders.
-- The 50% holdback (50 of 34 + 33 + 33) ties between the two 33s: the one listed first of them.
select money_test.remember('t' || i, money_test.recruiter('Tie' || i)) from generate_series(1, 3) i;
create temp table tie as
select g, (private.create_placement(money_test.company(), 100, 'USD', '2000-01-01 10:00Z', 90, 5000, 'Tie ' || g)).id as pl,
       case when g <= 10 then array['t2', 't3', 't1'] else array['t1', 't3', 't2'] end as listed
from generate_series(1, 11) g;
select count(*) from tie, private.write_placement_splits(tie.pl,
  (select jsonb_agg(jsonb_build_object('recruiter_id', money_test.id(r), 'role', 'job_owner', 'share_bps', 3333) order by o)
   from unnest(tie.listed) with ordinality as x(r, o)));
select count(*) from tie, private.record_placement_invoice(tie.pl, null, null, 'open', '2000-01-02');
create temp table tie_result as
select t.g, (select money_test.id(t.listed[1])) as first_listed, (select money_test.id(t.listed[2])) as second_listed,
       (select po.recruiter_id from payouts po where po.placement_id = t.pl and po.amount = 34) as cent_to,
       (select po.recruiter_id from payouts po where po.placement_id = t.pl and po.amount = 33 and po.held_amount = 17) as held_cent_to
from tie t;
select is((select count(*)::int from tie_result where g <= 10 and cent_to = first_listed), 10,
  'ten placements, identical requests: the odd cent goes to the recruiter listed first, every time');
select is((select count(*)::int from tie_result where g <= 10 and held_cent_to = second_listed), 10,
  '... and the odd cent of the holdback to the first listed of the two tied payouts, every time');
select is((select cent_to = first_listed and held_cent_to = second_listed from tie_result where g = 11), true,
  'listed in another order: the cents follow the new order');

select * from finish();
rollback;
