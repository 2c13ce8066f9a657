/**
 * Wiring of the Stripe sync functions (`stripe-webhook`, `reverse-payouts`, `reconcile-payouts`,
 * `invoice-placements`, `stripe-events-catch-up`)
 * over the function builder (`../platform/function.ts`): the clients built from the configuration
 * (database as `stripe_sync`, Stripe client and pacer), and the workers' database and Stripe calls
 * (actor `job`). The decisions live in webhook.ts, reversals.ts, reconciliation.ts and billing.ts.
 */
import type Stripe from "stripe";
import { createDb } from "../platform/db.ts";
import type { DbEnv, StripeEnv, WebhookEnv } from "../platform/env.ts";
import type { Logger } from "../platform/log.ts";
import { createPacer, type Pacer } from "../platform/pacer.ts";
import {
  APP_INFO,
  callStripe,
  createStripe,
  idOf,
  listAll,
  type StripeCallResult,
  StripeReadFailed,
  stringMetadata,
  transferInfo,
} from "../platform/stripe.ts";
import type { BillingDb, BillingStripe, ClaimedCompanyInvoice, InvoiceInfo } from "./billing.ts";
import { createWebhookInbox, inStripeSyncTransaction, type StripeSyncDb } from "./db.ts";
import { createStripeReader, reversalInfo, transferReversals } from "./reader.ts";
import type { CatchUpDb, CatchUpRun, CatchUpStripe } from "./events_catch_up.ts";
import type { StripeEventLike } from "./events.ts";
import type { ReconcileDb, ReconcileRun, ReconcileStripe } from "./reconciliation.ts";
import type { ClaimedReversal, ReversalDb, ReversalStripe } from "./reversals.ts";
import { createWebhookHandler } from "./webhook.ts";

/** The clients of a Stripe sync function, built once per isolate (and configuration). */
export interface SyncClients {
  db: StripeSyncDb;
  stripe: Stripe;
  pacer: Pacer;
  /** STRIPE_MAX_ATTEMPTS. */
  maxAttempts: number;
}

/**
 * The clients from the configuration (the function builder's `resources`): two database
 * connections (a request holds one only for its transaction, and each one opened costs the isolate
 * a login, SCRAM, out of its CPU), the Stripe client and the isolate's pacer.
 */
export function syncClients(
  config: { db: DbEnv & { role: string }; stripe: StripeEnv },
  { name }: { name: string },
): SyncClients {
  const sql = createDb(config.db.url, { applicationName: name, max: 2 });
  return {
    db: { sql, role: config.db.role },
    stripe: createStripe(config.stripe, { appInfo: { ...APP_INFO, version: `${APP_INFO.version}/${name}` } }),
    pacer: createPacer({ ratePerSec: config.stripe.maxRps }),
    maxAttempts: config.stripe.maxAttempts,
  };
}

/** stripe-webhook's handler over its clients (`resources` of the function builder). */
export function webhookHandler(
  config: WebhookEnv,
  { name, log }: { name: string; log: Logger },
): (req: Request) => Promise<Response> {
  const c = syncClients(config, { name });
  return createWebhookHandler({
    secrets: config.secrets,
    inbox: createWebhookInbox(c.db),
    reader: createStripeReader(c.stripe, c.pacer, { maxAttempts: c.maxAttempts }),
    log,
  });
}

/** The pg_net request id a ring returned (bigint: a string), or null. */
const ringId = (rows: readonly { id?: unknown }[]): number | null => (rows[0]?.id == null ? null : Number(rows[0].id));

// ---------------------------------------------------------------------------------------------
// reverse-payouts
// ---------------------------------------------------------------------------------------------

/** The reversal worker's database calls over Postgres. */
export function createReversalDb(db: StripeSyncDb, worker: string): ReversalDb {
  const tx = <T>(fn: Parameters<typeof inStripeSyncTransaction<T>>[2]) => inStripeSyncTransaction(db, "job", fn);
  return {
    claim: (limit, leaseS) =>
      tx((t) =>
        t<ClaimedReversal[]>`select * from private.claim_payout_reversals(${worker}, ${limit},
          make_interval(secs => ${leaseS}))`
      ),
    planPartial: async (id, available) =>
      (await tx((t) => t<ClaimedReversal[]>`select * from private.plan_partial_payout_reversal(${id}, ${available})`))[0],
    complete: async (id, reversals) =>
      (await tx((t) =>
        t<{ status: string; reversed_amount: string; shortfall_amount: string }[]>`
          select * from private.complete_payout_reversal(${id}, ${JSON.stringify(reversals)}::text::jsonb)`
      ))[0],
    fail: async (id, code, reason) => {
      await tx((t) => t`select 1 from private.fail_payout_reversal(${id}, ${code}, ${reason})`);
    },
    noteError: async (id, error, retryInS) => {
      await tx((t) =>
        t`select 1 from private.note_payout_reversal_error(${id}, ${JSON.stringify(error)}::text::jsonb,
          make_interval(secs => ${retryInS}))`
      );
    },
    release: async (ids) =>
      (await tx((t) => t<{ n: number }[]>`select private.release_payout_reversals(${worker}, ${ids}::uuid[]) as n`))[0].n,
    handover: () => tx((t) => t`select private.ring_stripe_sync_handover('reverse-payouts') as id`).then(ringId),
  };
}

/** The reversal worker's Stripe calls over the SDK (paced; same-key retries inside a call). */
export function createReversalStripe(stripe: Stripe, pacer: Pacer, maxAttempts: number): ReversalStripe {
  return {
    async listReversals(transferId) {
      const r = await transferReversals(stripe, pacer, transferId, maxAttempts);
      if (r.kind !== "ok") throw new Error(`listReversals ${transferId}: ${r.kind}`);
      return r.value;
    },
    async createReversal(transferId, amount, metadata, idempotencyKey) {
      const r = await callStripe(
        pacer,
        () => stripe.transfers.createReversal(transferId, { amount, metadata }, { idempotencyKey }),
        { maxAttempts },
      );
      return r.kind === "ok" ? { ...r, value: reversalInfo(r.value) } : r;
    },
    async availableBalance(accountId, currency) {
      const r = await callStripe(pacer, () => stripe.balance.retrieve({}, { stripeAccount: accountId }), { maxAttempts });
      if (r.kind !== "ok") throw new Error(`balance of ${accountId}: ${r.kind}`);
      const c = currency.toLowerCase();
      return r.value.available.filter((b) => b.currency === c).reduce((n, b) => n + b.amount, 0);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// reconcile-payouts
// ---------------------------------------------------------------------------------------------

/** The reconciliation's database calls over Postgres. */
export function createReconcileDb(db: StripeSyncDb): ReconcileDb {
  const tx = <T>(fn: Parameters<typeof inStripeSyncTransaction<T>>[2]) => inStripeSyncTransaction(db, "job", fn);
  return {
    begin: async (runId, overlapS, windowStart) => {
      const [r] = await tx((t) =>
        t<ReconcileRun[]>`select since, window_end, covered_from, status
          from private.begin_stripe_reconciliation(${runId}, make_interval(secs => ${overlapS}),
                                                   ${windowStart}::timestamptz)`
      );
      return r;
    },
    tranches: (since, until) =>
      tx((t) =>
        t<{ stripe_transfer_id: string; succeeded_at: Date }[]>`select stripe_transfer_id, succeeded_at
          from private.stripe_reconciliation_tranches(${since}, ${until})`
      ),
    record: async (runId, transfers, missing, coveredFrom) =>
      (await tx((t) =>
        t<{ r: Record<string, unknown> }[]>`select private.record_stripe_reconciliation(${runId},
          ${JSON.stringify(transfers)}::text::jsonb, ${JSON.stringify(missing)}::text::jsonb,
          p_covered_from => ${coveredFrom}::timestamptz) as r`
      ))[0].r,
    fail: async (runId, error) => {
      await tx((t) => t`select private.fail_stripe_reconciliation(${runId}, ${JSON.stringify(error)}::text::jsonb)`);
    },
    applyOffsets: async () =>
      (await tx((t) => t<{ n: number }[]>`select count(*)::int as n from private.apply_clawback_offsets()`))[0].n,
    handover: (runId) =>
      tx((t) => t`select private.ring_stripe_sync_handover('reconcile-payouts', ${runId}) as id`).then(ringId),
  };
}

/** The reconciliation's Stripe reads over the SDK (paced; a failed read throws). */
export function createReconcileStripe(stripe: Stripe, pacer: Pacer, maxAttempts: number): ReconcileStripe {
  return {
    async listTransfers(since, until, startingAfter) {
      const r = await callStripe(
        pacer,
        () => stripe.transfers.list({ created: { gte: since, lte: until }, limit: 100, starting_after: startingAfter }),
        { maxAttempts },
      );
      return r.kind === "ok" ? { ...r, value: { ...r.value, data: r.value.data.map(transferInfo) } } : r;
    },
    async retrieveTransfer(id) {
      const r = await callStripe(pacer, () => stripe.transfers.retrieve(id), { maxAttempts });
      if (r.kind === "ok") return transferInfo(r.value);
      if (r.kind === "definitive_failure" && (r.code === "resource_missing" || r.status === 404)) return null;
      throw new StripeReadFailed(`transfers.retrieve ${id}`, r);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// invoice-placements
// ---------------------------------------------------------------------------------------------

/** The billing worker's database calls over Postgres. */
export function createBillingDb(db: StripeSyncDb, worker: string): BillingDb {
  const tx = <T>(fn: Parameters<typeof inStripeSyncTransaction<T>>[2]) => inStripeSyncTransaction(db, "job", fn);
  return {
    intake: async () => (await tx((t) => t<{ n: number }[]>`select private.company_billing_intake() as n`))[0].n,
    claim: async (limit, leaseS) =>
      (await tx((t) =>
        t<{ r: ClaimedCompanyInvoice }[]>`select r from private.claim_company_invoices(${worker}, ${limit},
          make_interval(secs => ${leaseS})) r`
      )).map((x) => x.r),
    recordCustomer: async (id, customerId) => {
      await tx((t) => t`select 1 from private.record_company_customer(${id}, ${customerId})`);
    },
    recordState: async (effect) =>
      (await tx((t) =>
        t<{ r: { outcome: string; status?: string } }[]>`select private.record_company_invoice_state(
          ${JSON.stringify(effect)}::text::jsonb) as r`
      ))[0].r,
    noteError: async (id, error, retryInS) => {
      await tx((t) =>
        t`select 1 from private.note_company_invoice_error(${id}, ${JSON.stringify(error)}::text::jsonb,
          make_interval(secs => ${retryInS}))`
      );
    },
    fail: async (id, code, reason) => {
      await tx((t) => t`select 1 from private.fail_company_invoice(${id}, ${code}, ${reason})`);
    },
    release: async (ids) =>
      (await tx((t) => t<{ n: number }[]>`select private.release_company_invoices(${worker}, ${ids}::uuid[]) as n`))[0].n,
    handover: () => tx((t) => t`select private.ring_stripe_sync_handover('invoice-placements') as id`).then(ringId),
  };
}

/** What the billing worker keeps of a Stripe invoice. */
export function invoiceInfo(inv: Stripe.Invoice): InvoiceInfo {
  const lines = (inv.lines?.data ?? []) as unknown as { parent?: { invoice_item_details?: { invoice_item?: string } } }[];
  return {
    id: inv.id as string,
    status: inv.status ?? "draft",
    customer: idOf(inv.customer),
    amount_due: inv.amount_due,
    currency: inv.currency,
    number: inv.number ?? null,
    hosted_invoice_url: inv.hosted_invoice_url ?? null,
    due_date: inv.due_date ?? null,
    finalized_at: inv.status_transitions?.finalized_at ?? null,
    metadata: stringMetadata(inv.metadata),
    item_ids: lines.map((l) => l.parent?.invoice_item_details?.invoice_item).filter((x): x is string => !!x),
  };
}

/** The billing worker's Stripe calls over the SDK (paced; same-key retries inside a call). */
export function createBillingStripe(stripe: Stripe, pacer: Pacer, maxAttempts: number): BillingStripe {
  const asInfo = (r: StripeCallResult<Stripe.Invoice>): StripeCallResult<InvoiceInfo> =>
    r.kind === "ok" ? { ...r, value: invoiceInfo(r.value) } : r;
  const must = <T>(what: string, r: StripeCallResult<T>): T => {
    if (r.kind !== "ok") throw new Error(`${what}: ${r.kind}${r.kind === "definitive_failure" ? ` ${r.code}` : ""}`);
    return r.value;
  };
  return {
    async findCustomer(companyId) {
      const r = await callStripe(
        pacer,
        () => stripe.customers.search({ query: `metadata['company_id']:'${companyId}'`, limit: 10 }),
        { maxAttempts },
      );
      const found = must("customers.search", r).data;
      // the oldest: the one a crash before storing it left behind
      return found.sort((a, b) => a.created - b.created)[0]?.id ?? null;
    },
    createCustomer: (p, idempotencyKey) =>
      callStripe(pacer, () => stripe.customers.create({ name: p.name, email: p.email ?? undefined, metadata: p.metadata }, {
        idempotencyKey,
      }), { maxAttempts }),
    async retrieveInvoice(id) {
      const r = await callStripe(pacer, () => stripe.invoices.retrieve(id), { maxAttempts });
      if (r.kind === "definitive_failure" && (r.code === "resource_missing" || r.status === 404)) return null;
      return invoiceInfo(must("invoices.retrieve", r));
    },
    async findInvoice(customerId, companyInvoiceId) {
      const r = await listAll<Stripe.Invoice>(
        "invoices.list",
        (after) =>
          callStripe(pacer, () => stripe.invoices.list({ customer: customerId, limit: 100, starting_after: after }), {
            maxAttempts,
          }),
      );
      const mine = must("invoices.list", r).filter((i) => i.metadata?.company_invoice_id === companyInvoiceId);
      return mine.length ? invoiceInfo(mine.sort((a, b) => a.created - b.created)[0]) : null;
    },
    createInvoice: async (p, idempotencyKey) =>
      asInfo(
        await callStripe(pacer, () =>
          stripe.invoices.create({
            customer: p.customer,
            currency: p.currency,
            auto_advance: false,
            collection_method: "send_invoice",
            days_until_due: p.days_until_due,
            description: p.description,
            metadata: p.metadata,
          }, { idempotencyKey }), { maxAttempts }),
      ),
    createInvoiceItem: (p, idempotencyKey) =>
      callStripe(pacer, () =>
        stripe.invoiceItems.create({
          customer: p.customer,
          invoice: p.invoice,
          amount: p.amount,
          currency: p.currency,
          description: p.description,
          metadata: p.metadata,
        }, { idempotencyKey }), { maxAttempts }),
    finalize: async (id, idempotencyKey) =>
      asInfo(
        await callStripe(pacer, () => stripe.invoices.finalizeInvoice(id, { auto_advance: false }, { idempotencyKey }), {
          maxAttempts,
        }),
      ),
    send: async (id, idempotencyKey) =>
      asInfo(await callStripe(pacer, () => stripe.invoices.sendInvoice(id, {}, { idempotencyKey }), { maxAttempts })),
    voidInvoice: async (id, idempotencyKey) =>
      asInfo(await callStripe(pacer, () => stripe.invoices.voidInvoice(id, {}, { idempotencyKey }), { maxAttempts })),
  };
}

// ---------------------------------------------------------------------------------------------
// stripe-events-catch-up
// ---------------------------------------------------------------------------------------------

/** The events catch-up's database calls over Postgres. */
export function createCatchUpDb(db: StripeSyncDb): CatchUpDb {
  const tx = <T>(fn: Parameters<typeof inStripeSyncTransaction<T>>[2]) => inStripeSyncTransaction(db, "job", fn);
  return {
    begin: async (runId, overlapS) => {
      const [r] = await tx((t) =>
        t<CatchUpRun[]>`select * from private.begin_stripe_events_catch_up(${runId}, make_interval(secs => ${overlapS}))`
      );
      return r;
    },
    notInInbox: async (ids) =>
      new Set(
        (await tx((t) => t<{ id: string }[]>`select id from private.stripe_events_not_in_inbox(${ids}::text[]) as id`))
          .map((r) => r.id),
      ),
    progress: async (runId, source, coveredFrom) =>
      (await tx((t) =>
        t<{ moved: boolean }[]>`select private.record_stripe_events_catch_up_progress(${runId}, ${source},
          ${coveredFrom}::timestamptz) as moved`
      ))[0].moved,
    finish: async (runId, result) =>
      (await tx((t) =>
        t<{ r: Record<string, unknown> }[]>`select private.finish_stripe_events_catch_up(${runId},
          ${JSON.stringify(result)}::text::jsonb) as r`
      ))[0].r,
    handover: (runId) =>
      tx((t) => t`select private.ring_stripe_sync_handover('stripe-events-catch-up', ${runId}) as id`).then(ringId),
  };
}

/** The catch-up's event listing over the SDK (paced; `Stripe-Account` for a connected account's events). */
export function createCatchUpStripe(stripe: Stripe, pacer: Pacer, maxAttempts: number): CatchUpStripe {
  return {
    listEvents: (source, q) =>
      callStripe(
        pacer,
        () =>
          stripe.events.list(
            {
              created: q.untilS === undefined ? { gte: q.sinceS } : { gte: q.sinceS, lte: q.untilS },
              types: [...q.types],
              limit: 100,
              starting_after: q.startingAfter,
            },
            source === "platform" ? undefined : { stripeAccount: source },
          ) as unknown as Promise<{ data: StripeEventLike[]; has_more: boolean }>,
        { maxAttempts },
      ),
  };
}
