// Fixture of bench/stripe_webhook_burst.bench.ts: the objects behind a burst of Stripe webhook
// deliveries, created the way the webhook tests create them (supabase/functions/tests/
// stripe_sync_test_support.ts): recruiters with connected accounts (DB + stand-in), placements with
// their invoice seeded in the stand-in (open invoices for invoice.paid, paid ones whose charge is
// refunded or disputed), and the signed-ready events (unique ids, so the run never meets other data).
import type postgres from "postgres";

export type BenchEventKind =
  | "invoice.paid"
  | "invoice.payment_succeeded"
  | "account.updated"
  | "payout.failed"
  | "charge.refunded"
  | "charge.dispute.created"
  | "ignored";

export interface BenchEvent {
  kind: BenchEventKind;
  id: string;
  endpoint: "platform" | "connect";
  /** The raw body as sent (signed at send time). */
  payload: string;
  /** The effect's subject (payout id, charge id, invoice id, …). */
  subject: string;
}

export interface BurstMix {
  invoices: number; // × 2 events (invoice.paid + invoice.payment_succeeded of one payment)
  accountUpdates: number;
  payoutFailures: number;
  refunds: number;
  disputes: number;
  ignored: number;
}

/** 2 000 deliveries: every type the handler applies, plus ignored ones. */
export const DEFAULT_MIX: BurstMix = {
  invoices: 150,
  accountUpdates: 200,
  payoutFailures: 900,
  refunds: 100,
  disputes: 100,
  ignored: 400,
};

export const total = (m: BurstMix) =>
  2 * m.invoices + m.accountUpdates + m.payoutFailures + m.refunds + m.disputes + m.ignored;

const ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/** A Stripe-looking id (`acct_…`) nobody else uses. */
export function stripeId(prefix: string): string {
  const b = crypto.getRandomValues(new Uint8Array(20));
  return `${prefix}_${Array.from(b, (x) => ALNUM[x % ALNUM.length]).join("")}`;
}

/** An event as Stripe renders it (as the stand-in and the tests' `eventPayload` do). */
function event(type: string, object: unknown, account?: string) {
  return {
    id: stripeId("evt"),
    object: "event",
    ...(account ? { account } : {}),
    api_version: "2026-10-28.endive",
    created: Math.floor(Date.now() / 1000),
    data: { object },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
  };
}

async function mapLimit<T, R>(items: T[], n: number, fn: (t: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  }));
  return out;
}

/** Creates the objects and returns the events, shuffled (deterministically) so the types mix in the burst. */
export async function createBurstFixture(
  sql: postgres.Sql,
  standin: (path: string, body: unknown) => Promise<Record<string, any>>,
  mix: BurstMix,
): Promise<BenchEvent[]> {
  // Recruiters with connected accounts (active), in the DB and the stand-in.
  const recruiters = await mapLimit(Array.from({ length: 40 }), 4, async () => {
    const account = stripeId("acct");
    const [u] = await sql`insert into auth.users (id, email, aud, role)
      values (gen_random_uuid(), ${`bench-${crypto.randomUUID()}@test.invalid`}, 'authenticated', 'authenticated')
      returning id`;
    const [r] = await sql`insert into public.recruiters (user_id, display_name) values (${u.id}, 'webhook bench')
      returning id`;
    const acct = await standin("accounts", { id: account, capabilities: { transfers: "active" } });
    await sql`select private.set_recruiter_connect_account(${r.id}, ${account}, 'active', now() - interval '1 hour')`;
    return { id: r.id as string, account, object: acct.account };
  });
  const [company] = await sql`insert into public.companies (name) values ('webhook bench co') returning id`;
  const recruiterOf = (i: number) => recruiters[i % recruiters.length];

  // A placement (two recruiters) with its invoice seeded in the stand-in; paid in the DB when asked.
  const placement = async (i: number, paid: boolean) => {
    const fee = 10_000 + i;
    const [p] = await sql`select (private.create_placement(${company.id}, ${fee}, 'USD',
        now() - interval '20 days', 90, 0, 'webhook bench')).id`;
    await sql`insert into public.placement_splits (placement_id, recruiter_id, role, share_bps) values
      (${p.id}, ${recruiterOf(i).id}, 'candidate_recruiter', 5000),
      (${p.id}, ${recruiterOf(i + 1).id}, 'company_recruiter', 3000)`;
    // half the invoices are paid by a payment intent (two reads at Stripe), half by a charge (one read)
    const seeded = await standin("invoices", {
      amount_paid: fee,
      currency: "usd",
      status: "paid",
      payment_type: i % 2 ? "charge" : "payment_intent",
    });
    await sql`select private.record_placement_invoice(${p.id}, ${seeded.invoice.id}, null::bigint, 'open', now())`;
    if (paid) {
      const effect = {
        stripe_invoice_id: seeded.invoice.id,
        amount_due: null,
        amount_paid: fee,
        currency: "usd",
        paid_at: new Date(Date.now() - 10 * 86_400_000).toISOString(),
        payment_intent_id: seeded.payment_intent?.id ?? null,
        charge_id: seeded.charge.id,
      };
      await sql`select private.stripe_record_invoice_paid(${JSON.stringify(effect)}::text::jsonb, now())`;
    }
    return seeded as { invoice: Record<string, unknown>; charge: Record<string, unknown> };
  };

  const events: BenchEvent[] = [];
  const push = (kind: BenchEventKind, subject: string, type: string, object: unknown, account?: string) => {
    const e = event(type, object, account);
    events.push({ kind, id: e.id, endpoint: account ? "connect" : "platform", payload: JSON.stringify(e), subject });
  };

  const open = await mapLimit(Array.from({ length: mix.invoices }), 4, (_, i) => placement(i, false));
  for (const s of open) {
    const id = s.invoice.id as string;
    push("invoice.paid", id, "invoice.paid", s.invoice);
    push("invoice.payment_succeeded", id, "invoice.payment_succeeded", s.invoice);
  }
  const paid = await mapLimit(Array.from({ length: mix.refunds + mix.disputes }), 4, (_, i) => placement(i, true));
  for (const s of paid.slice(0, mix.refunds)) {
    const charge = { ...s.charge, amount_refunded: s.charge.amount, refunded: true };
    push("charge.refunded", s.charge.id as string, "charge.refunded", charge);
  }
  for (const s of paid.slice(mix.refunds)) {
    const dispute = {
      id: stripeId("dp"),
      object: "dispute",
      amount: s.charge.amount,
      currency: "usd",
      charge: s.charge.id,
      payment_intent: s.charge.payment_intent ?? null,
      reason: "fraudulent",
      status: "needs_response",
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      metadata: {},
    };
    push("charge.dispute.created", s.charge.id as string, "charge.dispute.created", dispute);
  }
  for (let i = 0; i < mix.accountUpdates; i++) {
    const r = recruiterOf(i);
    push("account.updated", r.account, "account.updated", r.object, r.account);
  }
  for (let i = 0; i < mix.payoutFailures; i++) {
    const r = recruiterOf(i);
    const payout = {
      id: stripeId("po"),
      object: "payout",
      amount: 1_000 + i,
      arrival_date: Math.floor(Date.now() / 1000),
      automatic: true,
      currency: "usd",
      destination: stripeId("ba"),
      failure_code: "account_closed",
      failure_message: "The bank account has been closed",
      livemode: false,
      metadata: {},
      method: "standard",
      source_type: "card",
      status: "failed",
      type: "bank_account",
    };
    push("payout.failed", payout.id, "payout.failed", payout, r.account);
  }
  const ignoredTypes = ["customer.created", "charge.succeeded", "payment_intent.succeeded", "balance.available"];
  for (let i = 0; i < mix.ignored; i++) {
    const type = ignoredTypes[i % ignoredTypes.length];
    const id = stripeId(type.split(".")[0].slice(0, 3));
    push("ignored", id, type, { id, object: type.split(".")[0], livemode: false, metadata: {} });
  }

  // deterministic shuffle: the types interleave, the two events of one invoice land apart
  let seed = 42;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let i = events.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [events[i], events[j]] = [events[j], events[i]];
  }
  return events;
}

/** What the DB holds for the burst's events: inbox rows and effects, counted. */
export async function countEffects(sql: postgres.Sql, events: BenchEvent[]) {
  const ids = events.map((e) => e.id);
  const of = (k: BenchEventKind) => events.filter((e) => e.kind === k).map((e) => e.subject);
  const [inbox] = await sql<{ rows: number; once: number; processed: number; ignored: number; failed: number }[]>`
    select count(*)::int as rows,
           count(*) filter (where deliveries = 1 and attempts <= 1)::int as once,
           count(*) filter (where status = 'processed')::int as processed,
           count(*) filter (where status = 'ignored')::int as ignored,
           count(*) filter (where status not in ('processed', 'ignored'))::int as failed
      from private.stripe_webhook_events where id = any(${ids})`;
  const [effects] = await sql<
    { payout_failures: number; invoices_paid: number; invoice_payments: number; refunds: number; disputes: number }[]
  >`
    select (select count(*) from private.connected_account_payout_failures
             where stripe_payout_id = any(${of("payout.failed")}))::int as payout_failures,
           (select count(*) from public.placement_invoices
             where stripe_invoice_id = any(${of("invoice.paid")}) and status = 'paid')::int as invoices_paid,
           (select count(*) from private.placement_invoice_payments pp join public.placement_invoices i on i.id = pp.invoice_id
             where i.stripe_invoice_id = any(${of("invoice.paid")}))::int as invoice_payments,
           (select count(*) from private.payment_disputes
             where stripe_charge_id = any(${of("charge.refunded")}))::int as refunds,
           (select count(*) from private.payment_disputes
             where stripe_charge_id = any(${of("charge.dispute.created")}))::int as disputes`;
  // one payment fires two events: exactly one of them applies it, the other is a noop
  const [invoiceOutcomes] = await sql<{ applied: number; noop: number }[]>`
    select count(*) filter (where result ->> 'outcome' = 'applied')::int as applied,
           count(*) filter (where result ->> 'outcome' = 'noop')::int as noop
      from private.stripe_webhook_events
     where id = any(${events.filter((e) => e.kind.startsWith("invoice.")).map((e) => e.id)})`;
  return { inbox, effects, invoiceOutcomes };
}
