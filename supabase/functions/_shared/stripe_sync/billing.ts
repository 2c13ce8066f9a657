/**
 * The billing worker (`invoice-placements`): invoices companies for their placements through
 * Stripe Invoicing, exactly once, for the requests `private.company_billing_intake` (placement
 * created) and `public.reissue_placement_invoice` made (`public.company_invoices`).
 *
 * Per claimed company invoice (leased; a killed worker's is claimed again after its lease), each
 * step looks Stripe up before it creates anything, so a crash, a retry or an outage longer than
 * Stripe keeps idempotency keys (24 h) never makes a second object:
 * 1. customer: the stored id (company or invoice), else `customers.search` by
 *    `metadata['company_id']`, else `customers.create` under `<key>:customer` → stored at once;
 * 2. invoice: the stored id, else the customer's invoices with `metadata.company_invoice_id` =
 *    ours, else `invoices.create` (draft: `auto_advance: false`, `collection_method:
 *    send_invoice`, `days_until_due` from settings, placement metadata) under `<key>:invoice`;
 * 3. the fee as an invoice item ON that draft (`invoice: in_…`: pending items are not pulled into
 *    invoices since API 2022-08-01), unless the draft's lines already carry it, under `<key>:item`;
 * 4. `finalizeInvoice` only while Stripe says draft (`<key>:finalize`); 5. `sendInvoice` only while
 *    open and not sent yet (`<key>:send`). Every result is stored at once
 *    (`private.record_company_invoice_state`), and the status read from Stripe decides what is left.
 * A superseded invoice (reissue) is voided instead: finalized first if still a draft (Stripe voids
 * finalized invoices only), then `voidInvoice` (`<key>:void`).
 * Definitive refusals fail the invoice (alert, an admin reissues); transient errors keep it for a
 * retry under the same keys.
 */
import type { Budget, StopReason } from "../platform/budget.ts";
import type { Logger } from "../platform/log.ts";
import type { StripeCallResult } from "../platform/stripe.ts";

/** A claimed company invoice (`private.claim_company_invoices`; bigint columns as strings). */
export interface ClaimedCompanyInvoice {
  id: string;
  invoice_id: string;
  placement_id: string;
  company_id: string;
  issue: number;
  currency: string;
  amount_due: string | number;
  description: string;
  status: string;
  stripe_customer_id: string | null;
  stripe_invoice_id: string | null;
  stripe_invoice_item_id: string | null;
  sent_at: string | null;
  void_requested_at: string | null;
  idempotency_key: string;
  attempts: number;
  company_name: string;
  billing_email: string | null;
  company_customer_id: string | null;
  placement_title: string;
  days_until_due: number;
}

/** What the worker needs of a Stripe invoice. */
export interface InvoiceInfo {
  id: string;
  status: string;
  customer: string | null;
  amount_due: number;
  currency: string;
  number: string | null;
  hosted_invoice_url: string | null;
  due_date: number | null;
  finalized_at: number | null;
  metadata: Record<string, string>;
  /** Invoice item ids of its lines. */
  item_ids: string[];
}

/** The state reported to `private.record_company_invoice_state`. */
export interface InvoiceStateEffect {
  company_invoice_id: string;
  stripe_invoice_id?: string;
  status?: string;
  stripe_invoice_item_id?: string;
  number?: string | null;
  hosted_invoice_url?: string | null;
  due_at?: string | null;
  finalized_at?: string | null;
  sent?: boolean;
}

export interface BillingDb {
  /** The outbox intake (placement.created → requests). Returns how many were requested. */
  intake(): Promise<number>;
  claim(limit: number, leaseS: number): Promise<ClaimedCompanyInvoice[]>;
  recordCustomer(id: string, customerId: string): Promise<void>;
  recordState(effect: InvoiceStateEffect): Promise<{ outcome: string; status?: string }>;
  noteError(id: string, error: { code: string; message: string }, retryInS: number): Promise<void>;
  fail(id: string, code: string, reason: string): Promise<void>;
  release(ids: string[]): Promise<number>;
  /** Rings `invoice-placements` now if a company invoice has work due (pg_net id, or null). */
  handover(): Promise<number | null>;
}

export interface BillingStripe {
  /** The customer whose metadata.company_id is this company (the oldest), or null. Throws when Stripe cannot answer. */
  findCustomer(companyId: string): Promise<string | null>;
  createCustomer(
    p: { name: string; email: string | null; metadata: Record<string, string> },
    idempotencyKey: string,
  ): Promise<StripeCallResult<{ id: string }>>;
  /** The invoice, or null when Stripe does not have it. Throws when Stripe cannot answer. */
  retrieveInvoice(id: string): Promise<InvoiceInfo | null>;
  /** The customer's invoice made for this company invoice (metadata.company_invoice_id), or null. Throws when Stripe cannot answer. */
  findInvoice(customerId: string, companyInvoiceId: string): Promise<InvoiceInfo | null>;
  createInvoice(
    p: {
      customer: string;
      currency: string;
      days_until_due: number;
      description: string;
      metadata: Record<string, string>;
    },
    idempotencyKey: string,
  ): Promise<StripeCallResult<InvoiceInfo>>;
  createInvoiceItem(
    p: {
      customer: string;
      invoice: string;
      amount: number;
      currency: string;
      description: string;
      metadata: Record<string, string>;
    },
    idempotencyKey: string,
  ): Promise<StripeCallResult<{ id: string }>>;
  finalize(id: string, idempotencyKey: string): Promise<StripeCallResult<InvoiceInfo>>;
  send(id: string, idempotencyKey: string): Promise<StripeCallResult<InvoiceInfo>>;
  voidInvoice(id: string, idempotencyKey: string): Promise<StripeCallResult<InvoiceInfo>>;
}

export type BillingOutcome = "sent" | "voided" | "settled" | "failed" | "deferred";

export interface BillingDeps {
  db: BillingDb;
  stripe: BillingStripe;
  log: Logger;
  /** Seconds before a transient failure is tried again (default 30). */
  retryInS?: number;
}

const iso = (s: number | null) => (s === null ? null : new Date(s * 1000).toISOString());

/** The state of a Stripe invoice as the database records it. */
export function stateOf(row: { id: string }, inv: InvoiceInfo, extra: Partial<InvoiceStateEffect> = {}): InvoiceStateEffect {
  return {
    company_invoice_id: row.id,
    stripe_invoice_id: inv.id,
    status: inv.status,
    number: inv.number,
    hosted_invoice_url: inv.hosted_invoice_url,
    due_at: iso(inv.due_date),
    finalized_at: iso(inv.finalized_at),
    // the fee's item, also when a crash kept the worker from storing it
    ...(inv.item_ids[0] ? { stripe_invoice_item_id: inv.item_ids[0] } : {}),
    ...extra,
  };
}

/** Thrown inside a step to end the invoice's turn with an outcome. */
class Stop {
  constructor(readonly outcome: BillingOutcome) {}
}

/** Processes one claimed company invoice (see module doc). Never throws for Stripe errors. */
export async function processCompanyInvoice(
  row: ClaimedCompanyInvoice,
  deps: BillingDeps,
): Promise<BillingOutcome> {
  const { db, stripe } = deps;
  const log = deps.log.child({ company_invoice_id: row.id, placement_id: row.placement_id, issue: row.issue });
  const key = (step: string) => `${row.idempotency_key}:${step}`;
  const retry = async (code: string, message: string): Promise<never> => {
    log.warn("company invoice deferred", { code, message });
    await db.noteError(row.id, { code, message }, deps.retryInS ?? 30);
    throw new Stop("deferred");
  };
  const read = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      return await retry(`${what}_failed`, e instanceof Error ? e.message : String(e));
    }
  };
  /** A creating call: ok → value; a refusal fails the invoice; anything else is retried. */
  const call = async <T>(what: string, r: StripeCallResult<T>): Promise<T> => {
    if (r.kind === "ok") return r.value;
    if (r.kind === "definitive_failure") {
      log.warn("company invoice refused by Stripe", { step: what, code: r.code, message: r.message });
      await db.fail(row.id, r.code, `${what}: ${r.message || r.code}`);
      throw new Stop("failed");
    }
    return await retry(r.kind === "retry_same_key" ? r.reason : r.kind, `${what}: outcome unknown`);
  };
  const record = async (effect: InvoiceStateEffect) => (await db.recordState(effect)).status;

  try {
    // 1. the customer
    let customer = row.stripe_customer_id ?? row.company_customer_id;
    customer ??= await read("customer_search", () => stripe.findCustomer(row.company_id));
    if (!customer && !row.void_requested_at) {
      customer = (await call(
        "customers.create",
        await stripe.createCustomer({
          name: row.company_name,
          email: row.billing_email,
          metadata: { company_id: row.company_id },
        }, key("customer")),
      )).id;
    }
    if (customer && customer !== row.stripe_customer_id) await db.recordCustomer(row.id, customer);

    // 2. the invoice, looked up before it is made
    let inv: InvoiceInfo | null = null;
    if (row.stripe_invoice_id) inv = await read("invoice_read", () => stripe.retrieveInvoice(row.stripe_invoice_id!));
    if (!inv && customer) inv = await read("invoice_search", () => stripe.findInvoice(customer!, row.id));

    if (row.void_requested_at) {
      // superseded by a reissue: void what exists at Stripe (nothing there: void here)
      if (!inv) {
        await record({ company_invoice_id: row.id, status: "void" });
        log.info("superseded company invoice never reached Stripe: void");
        return "voided";
      }
      if (inv.status === "draft") inv = await call("invoices.finalizeInvoice", await stripe.finalize(inv.id, key("finalize")));
      if (inv.status === "open" || inv.status === "uncollectible") {
        inv = await call("invoices.voidInvoice", await stripe.voidInvoice(inv.id, key("void")));
      }
      await record(stateOf(row, inv));
      log.info("superseded company invoice", { stripe_invoice_id: inv.id, status: inv.status });
      return inv.status === "void" ? "voided" : "settled";
    }

    if (!inv) {
      inv = await call(
        "invoices.create",
        await stripe.createInvoice({
          customer: customer!,
          currency: row.currency.toLowerCase(),
          days_until_due: row.days_until_due,
          description: row.description,
          metadata: {
            company_invoice_id: row.id,
            placement_id: row.placement_id,
            placement_invoice_id: row.invoice_id,
            company_id: row.company_id,
            issue: String(row.issue),
          },
        }, key("invoice")),
      );
    }
    await record(stateOf(row, inv));

    // 3. the fee, as an item of this invoice
    if (inv.status === "draft" && inv.item_ids.length === 0) {
      const item = await call(
        "invoiceitems.create",
        await stripe.createInvoiceItem({
          customer: customer!,
          invoice: inv.id,
          amount: Number(row.amount_due),
          currency: row.currency.toLowerCase(),
          description: row.description,
          metadata: { company_invoice_id: row.id, placement_id: row.placement_id },
        }, key("item")),
      );
      await record({ company_invoice_id: row.id, stripe_invoice_item_id: item.id });
      inv = await read("invoice_read", () => stripe.retrieveInvoice(inv!.id)) ?? inv;
    }
    if (inv.status === "draft" && inv.amount_due !== Number(row.amount_due)) {
      await db.fail(row.id, "amount_mismatch", `draft ${inv.id} is for ${inv.amount_due}, expected ${row.amount_due}`);
      return "failed";
    }

    // 4. finalize (only a draft), 5. send (only open and not sent yet)
    if (inv.status === "draft") {
      inv = await call("invoices.finalizeInvoice", await stripe.finalize(inv.id, key("finalize")));
      await record(stateOf(row, inv));
    }
    if (inv.status === "open" && !row.sent_at) {
      inv = await call("invoices.sendInvoice", await stripe.send(inv.id, key("send")));
      await record(stateOf(row, inv, { sent: true }));
      log.info("company invoice sent", { stripe_invoice_id: inv.id, number: inv.number, amount_due: inv.amount_due });
      return "sent";
    }
    log.info("company invoice settled at Stripe", { stripe_invoice_id: inv.id, status: inv.status });
    return "settled";
  } catch (e) {
    if (e instanceof Stop) return e.outcome;
    throw e;
  }
}

/** CPU charged per company invoice for runtimes that report none (ms; up to 7 calls and stores). */
export const BILLING_CPU_MS = 15;

export type BillingRunResult = Record<BillingOutcome | "claimed" | "handed_back" | "requested", number> & {
  stopped: StopReason | null;
  handover: number | null;
};

/**
 * The intake, then claims and processes company invoices until none is left or the budget says
 * stop (as `runReversals`: hand back past the hand-back line, hand over when stopped for CPU).
 */
export async function runBilling(
  deps: BillingDeps & { budget: Budget },
  opts: { limit: number; leaseS: number; stopMarginMs?: number },
): Promise<BillingRunResult> {
  const { budget, db, log } = deps;
  const margin = opts.stopMarginMs ?? 5_000;
  const out: BillingRunResult = {
    requested: 0,
    claimed: 0,
    sent: 0,
    voided: 0,
    settled: 0,
    failed: 0,
    deferred: 0,
    handed_back: 0,
    stopped: null,
    handover: null,
  };
  out.requested = await db.intake();
  const seen = new Set<string>();
  claiming: while (!(out.stopped = budget.stopReason(margin))) {
    const rows = (await db.claim(opts.limit, opts.leaseS)).filter((r) => !seen.has(r.id));
    if (rows.length === 0) break;
    for (const [i, row] of rows.entries()) {
      if (budget.mustHandBack(margin)) {
        out.handed_back += await db.release(rows.slice(i).map((r) => r.id)).catch((e) => {
          log.warn("handing back failed: the invoices come back after their lease", { error: e });
          return 0;
        });
        out.stopped = budget.stopReason(margin) ?? "cpu";
        break claiming;
      }
      seen.add(row.id);
      out.claimed++;
      try {
        out[await processCompanyInvoice(row, deps)]++;
      } catch (e) {
        // a database error: the invoice stays leased and is retried after its lease
        log.error("company invoice processing failed", { company_invoice_id: row.id, error: e });
        out.deferred++;
      }
      budget.cpu.charge(BILLING_CPU_MS);
    }
  }
  if (out.stopped === "cpu" && out.claimed > 0) {
    out.handover = await db.handover().catch((e) => {
      log.warn("hand-over ring failed: the next doorbell continues", { error: e });
      return null;
    });
  }
  return out;
}
