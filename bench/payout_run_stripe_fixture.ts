// Fixture of bench/payout_run_stripe.bench.ts: bench/payout_claim_db_fixture.ts's DDL and
// functions (everything through the model's own functions), in a schema of its own
// (`bench_stripe`, recruiters `bench-stripe-*`) so that it can run on the same throwaway stack
// after the claim bench without colliding with its `bench_claim` schema or recruiters.
import type postgres from "postgres";
import { FIXTURE_DDL, MAIN_PAID_AT, SPLITS_PER_PLACEMENT } from "./payout_claim_db_fixture.ts";

export { SPLITS_PER_PLACEMENT };

export const STRIPE_FIXTURE_DDL = FIXTURE_DDL
  .replaceAll("bench_claim", "bench_stripe")
  .replaceAll("bench-claim", "bench-stripe")
  .replaceAll("bench claim", "bench stripe")
  .replaceAll("bench/payout_claim_db.bench.ts", "bench/payout_run_stripe.bench.ts");

/**
 * `payouts` due payouts (one pending schedule each, due 2001-01-13 02:00 UTC, i.e. due now):
 * `payouts / SPLITS_PER_PLACEMENT` placements, slices of `slice` placements per transaction on
 * `parallel` connections. Returns the recruiters' connected account ids (transfers active).
 * `placementOffset` > 0 adds placements to an existing fixture (numbered from there).
 */
export async function createStripeFixture(
  admin: postgres.Sql,
  connect: () => postgres.Sql,
  o: { recruiters: number; payouts: number; slice: number; parallel: number; placementOffset?: number },
): Promise<string[]> {
  const placements = Math.ceil(o.payouts / SPLITS_PER_PLACEMENT);
  const first = o.placementOffset ?? 0;
  if (first === 0) {
    await admin.unsafe(STRIPE_FIXTURE_DDL);
    await admin`select bench_stripe.make_recruiters(${o.recruiters}::integer)`;
  }
  const slices: { count: number; offset: number }[] = [];
  for (let off = 0; off < placements; off += o.slice) {
    slices.push({ count: Math.min(o.slice, placements - off), offset: first + off });
  }
  const conns = Array.from({ length: o.parallel }, connect);
  try {
    await Promise.all(conns.map(async (c) => {
      for (let s = slices.shift(); s; s = slices.shift()) {
        await c`select bench_stripe.make_placements(${s.count}::integer, ${s.offset}::integer, 'main',
                                                    ${MAIN_PAID_AT}::timestamptz)`;
      }
    }));
  } finally {
    await Promise.all(conns.map((c) => c.end()));
  }
  await admin`analyze public.placements, public.placement_splits, public.placement_invoices, public.payouts,
                      public.payout_schedules, public.payout_transfers, public.escrow_holds, public.payout_audit_log,
                      private.payout_audit_chain_heads, public.payout_events`;
  const rows = await admin<{ acct: string }[]>`
    select r.stripe_connect_account_id as acct from public.recruiters r
     where r.display_name like 'bench-stripe %' and r.stripe_connect_account_id is not null`;
  return rows.map((r) => r.acct);
}

/** The bench's schedules: how many, how many processed. */
export async function scheduleProgress(sql: postgres.Sql): Promise<{ schedules: number; processed: number }> {
  const [r] = await sql<{ schedules: number; processed: number }[]>`
    select count(*)::int as schedules, (count(*) filter (where s.status = 'processed'))::int as processed
      from public.payout_schedules s join bench_stripe.placements pl on pl.id = s.placement_id`;
  return r;
}

/** Due schedules that are not the bench's (a run would pay them too; expected 0). */
export async function foreignDue(sql: postgres.Sql): Promise<number> {
  const [r] = await sql<{ n: number }[]>`
    select count(*)::int as n from public.payout_schedules s
     where s.status = 'pending' and s.next_attempt_at <= now()
       and not exists (select 1 from bench_stripe.placements pl where pl.id = s.placement_id)`;
  return r.n;
}

/** Database side of "zero double pays" for the bench's payouts. */
export async function verifyPaid(sql: postgres.Sql) {
  const [r] = await sql<Record<string, string>[]>`
    with pl as (select id from bench_stripe.placements),
    po as (select po.* from public.payouts po join pl on pl.id = po.placement_id),
    tr as (select t.* from public.payout_transfers t join pl on pl.id = t.placement_id)
    select (select count(*) from po) as payouts,
           (select count(*) from po where po.status = 'paid' and po.paid_amount = po.amount) as payouts_paid,
           (select coalesce(sum(amount), 0) from po) as sum_amount,
           (select coalesce(sum(paid_amount), 0) from po) as sum_paid,
           (select count(*) from tr) as tranches,
           (select count(*) from tr where tr.status = 'succeeded') as tranches_succeeded,
           (select coalesce(sum(amount), 0) from tr where tr.status = 'succeeded') as sum_succeeded,
           (select count(*) from (select payout_id from tr where tr.status = 'succeeded'
                                  group by payout_id having count(*) > 1) d) as double_paid_db`;
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v)]));
}

/** Succeeded tranche per payout id (payout id -> {stripe transfer id, amount}) of the bench's payouts. */
export async function succeededTranches(sql: postgres.Sql): Promise<Map<string, { tr: string; amount: number }[]>> {
  const rows = await sql<{ payout_id: string; tr: string; amount: string }[]>`
    select t.payout_id::text as payout_id, t.stripe_transfer_id as tr, t.amount::text as amount
      from public.payout_transfers t join bench_stripe.placements pl on pl.id = t.placement_id
     where t.status = 'succeeded'`;
  const m = new Map<string, { tr: string; amount: number }[]>();
  for (const r of rows) {
    const l = m.get(r.payout_id) ?? [];
    l.push({ tr: r.tr, amount: Number(r.amount) });
    m.set(r.payout_id, l);
  }
  return m;
}
