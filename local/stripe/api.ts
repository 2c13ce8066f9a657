/**
 * The Stripe API surface the product uses. Each route has two phases:
 * `prepare` validates (errors here are NOT stored under the idempotency key, like Stripe's
 * parameter validation) and returns `execute`, whose result or ApiError IS stored.
 */
import { billingRoutes } from "./billing.ts";
import { connectRoutes } from "./connect.ts";
import { ApiError, errors } from "./errors.ts";
import type { FormObject } from "./form.ts";
import type { CapabilityStatus, Ledger, TransferRec } from "./ledger.ts";
import { listEvents, retrieveEvent } from "./events_list.ts";
import { type ListObject, paginate, PAGINATION_PARAMS } from "./list.ts";
import {
  cleanMetadata,
  inRange,
  mergeMetadata,
  optInteger,
  optMetadata,
  optRange,
  optString,
  rejectUnknown,
  reqCurrency,
  reqInteger,
  reqString,
} from "./params.ts";
import type { Delivery, StripeEvent } from "./webhooks.ts";

export interface ApiCtx {
  ledger: Ledger;
  requestId: string;
  stripeAccount: string | null;
  /** Status given to capabilities requested through POST /v1/accounts. */
  requestedCapabilityStatus: CapabilityStatus;
  /** Record an event caused by this request (and deliver it if webhooks are configured). */
  emit(type: string, object: unknown, opts?: { account?: string; previous_attributes?: unknown }): void;
  /** The events store and the stand-in clock (unix s), for GET /v1/events (events_list.ts). */
  events(): StripeEvent[];
  deliveries?(): Delivery[];
  now(): number;
}

export interface ApiResult {
  status?: number;
  body: unknown;
  /** id of the object created/changed, for the request log. */
  objectId?: string;
}

export type Execute = () => ApiResult;

export interface Route {
  method: "GET" | "POST";
  pattern: RegExp;
  /** Stripe-style operation name, e.g. "POST /v1/transfers/{transfer}/reversals". */
  name: string;
  prepare(params: FormObject, ids: string[], ctx: ApiCtx): Execute;
}

const ID = "([^/]+)";

function route(method: Route["method"], template: string, prepare: Route["prepare"]): Route {
  const pattern = new RegExp(`^${template.replace(/\{[a-z_]+\}/g, ID)}$`);
  return { method, pattern, name: `${method} ${template}`, prepare };
}

function transferOr404(ledger: Ledger, id: string): TransferRec {
  const t = ledger.transfers.get(id);
  if (!t) throw errors.noSuchResource("transfer", id);
  return t;
}

function list<T extends { id: string; created: number; seq: number }, R>(
  ctx: ApiCtx,
  params: FormObject,
  items: T[],
  url: string,
  kind: string,
  render: (t: T) => R,
): ListObject<R> {
  return paginate(items, params, url, (id) => ctx.ledger.find(id), kind, render);
}

const TRANSFER_CREATE_PARAMS = [
  "amount",
  "currency",
  "destination",
  "description",
  "metadata",
  "source_transaction",
  "source_type",
  "transfer_group",
  "expand",
];

export const routes: Route[] = [
  ...connectRoutes,
  route("POST", "/v1/transfers", (params, _ids, ctx) => {
    rejectUnknown(params, TRANSFER_CREATE_PARAMS);
    const amount = reqInteger(params, "amount", 1);
    const currency = reqCurrency(params);
    const destination = reqString(params, "destination");
    const description = optString(params, "description") ?? null;
    const transferGroup = optString(params, "transfer_group") || null;
    const sourceTransaction = optString(params, "source_transaction") || null;
    const metadata = cleanMetadata(optMetadata(params));
    if (!ctx.ledger.accounts.has(destination)) {
      throw errors.noSuchParamResource("destination", destination, "destination");
    }
    if (sourceTransaction && !ctx.ledger.charges.has(sourceTransaction)) {
      throw errors.noSuchParamResource("charge", sourceTransaction, "source_transaction");
    }
    return () => {
      const t = ctx.ledger.createTransfer({
        amount,
        currency,
        destination,
        description,
        metadata,
        transfer_group: transferGroup,
        source_transaction: sourceTransaction,
      });
      const body = ctx.ledger.renderTransfer(t);
      ctx.emit("transfer.created", body);
      return { body, objectId: t.id };
    };
  }),

  route("GET", "/v1/transfers", (params, _ids, ctx) => {
    rejectUnknown(params, ["created", "destination", "transfer_group", ...PAGINATION_PARAMS]);
    const group = optString(params, "transfer_group");
    const destination = optString(params, "destination");
    const created = optRange(params, "created");
    const items = [...ctx.ledger.transfers.values()].filter((t) =>
      (group === undefined || t.transfer_group === group) &&
      (destination === undefined || t.destination === destination) && inRange(t.created, created)
    );
    const result = list(ctx, params, items, "/v1/transfers", "transfer", (t) => ctx.ledger.renderTransfer(t));
    return () => ({ body: result });
  }),

  route("GET", "/v1/transfers/{transfer}", (params, [id], ctx) => {
    rejectUnknown(params, ["expand"]);
    const t = transferOr404(ctx.ledger, id);
    return () => ({ body: ctx.ledger.renderTransfer(t) });
  }),

  route("POST", "/v1/transfers/{transfer}", (params, [id], ctx) => {
    rejectUnknown(params, ["description", "metadata", "expand"]);
    const t = transferOr404(ctx.ledger, id);
    const description = optString(params, "description");
    const metadata = optMetadata(params);
    return () => {
      if (description !== undefined) t.description = description || null;
      t.metadata = mergeMetadata(t.metadata, metadata);
      const body = ctx.ledger.renderTransfer(t);
      ctx.emit("transfer.updated", body);
      return { body, objectId: t.id };
    };
  }),

  route("POST", "/v1/transfers/{transfer}/reversals", (params, [id], ctx) => {
    rejectUnknown(params, ["amount", "description", "metadata", "refund_application_fee", "expand"]);
    const t = transferOr404(ctx.ledger, id);
    const amount = optInteger(params, "amount", 1);
    const metadata = cleanMetadata(optMetadata(params));
    return () => {
      const before = { amount_reversed: t.amount_reversed, reversed: t.amount_reversed >= t.amount };
      const r = ctx.ledger.createReversal(t, { amount, metadata });
      ctx.emit("transfer.reversed", ctx.ledger.renderTransfer(t), { previous_attributes: before });
      return { body: ctx.ledger.renderReversal(r), objectId: r.id };
    };
  }),

  route("GET", "/v1/transfers/{transfer}/reversals", (params, [id], ctx) => {
    rejectUnknown(params, [...PAGINATION_PARAMS]);
    const t = transferOr404(ctx.ledger, id);
    const result = list(
      ctx,
      params,
      ctx.ledger.reversalsOf(t),
      `/v1/transfers/${t.id}/reversals`,
      "transfer_reversal",
      (r) => ctx.ledger.renderReversal(r),
    );
    return () => ({ body: result });
  }),

  route("GET", "/v1/transfers/{transfer}/reversals/{id}", (params, [id, rid], ctx) => {
    rejectUnknown(params, ["expand"]);
    const t = transferOr404(ctx.ledger, id);
    const r = ctx.ledger.reversals.get(rid);
    if (!r || r.transfer !== t.id) throw errors.noSuchResource("transfer_reversal", rid);
    return () => ({ body: ctx.ledger.renderReversal(r) });
  }),

  route("GET", "/v1/balance", (params, _ids, ctx) => {
    rejectUnknown(params, ["expand"]);
    const acct = ctx.stripeAccount;
    let available: { amount: number; currency: string; source_types: { card: number } }[];
    if (acct) {
      const m = ctx.ledger.accountBalances.get(acct) ?? new Map<string, number>();
      if (!m.size) m.set("usd", 0);
      available = [...m].map(([currency, amount]) => ({ amount, currency, source_types: { card: amount } }));
    } else {
      const snap = ctx.ledger.snapshot().platform_available;
      available = Object.entries(snap).map(([currency, amount]) => ({
        amount,
        currency,
        source_types: { card: amount },
      }));
    }
    return () => ({
      body: {
        object: "balance",
        available,
        connect_reserved: available.map((a) => ({ amount: 0, currency: a.currency })),
        livemode: false,
        pending: available.map((a) => ({ amount: 0, currency: a.currency, source_types: { card: 0 } })),
      },
    });
  }),

  route("GET", "/v1/invoices/{invoice}", (params, [id], ctx) => {
    rejectUnknown(params, ["expand"]);
    const inv = ctx.ledger.invoices.get(id);
    if (!inv) throw errors.noSuchResource("invoice", id);
    return () => ({ body: ctx.ledger.renderInvoice(inv) });
  }),

  route("GET", "/v1/invoice_payments", (params, _ids, ctx) => {
    rejectUnknown(params, ["invoice", "status", "payment", "created", ...PAGINATION_PARAMS]);
    const invoice = optString(params, "invoice");
    const status = optString(params, "status");
    const created = optRange(params, "created");
    const items = [...ctx.ledger.invoicePayments.values()].filter((p) =>
      (invoice === undefined || p.invoice === invoice) && (status === undefined || p.status === status) &&
      inRange(p.created, created)
    );
    const result = list(
      ctx,
      params,
      items,
      "/v1/invoice_payments",
      "invoice_payment",
      (p) => ctx.ledger.renderInvoicePayment(p),
    );
    return () => ({ body: result });
  }),

  route("GET", "/v1/invoice_payments/{invoice_payment}", (params, [id], ctx) => {
    rejectUnknown(params, ["expand"]);
    const p = ctx.ledger.invoicePayments.get(id);
    if (!p) throw errors.noSuchResource("invoice_payment", id);
    return () => ({ body: ctx.ledger.renderInvoicePayment(p) });
  }),

  route("GET", "/v1/charges/{charge}", (params, [id], ctx) => {
    rejectUnknown(params, ["expand"]);
    const c = ctx.ledger.charges.get(id);
    if (!c) throw errors.noSuchResource("charge", id);
    return () => ({ body: ctx.ledger.renderCharge(c) });
  }),

  route("GET", "/v1/payment_intents/{intent}", (params, [id], ctx) => {
    rejectUnknown(params, ["expand", "client_secret"]);
    const p = ctx.ledger.paymentIntents.get(id);
    if (!p) throw errors.noSuchResource("payment_intent", id);
    return () => ({ body: ctx.ledger.renderPaymentIntent(p) });
  }),

  // events: scope, 30-day retention, type/types/created filters (events_list.ts)
  route("GET", "/v1/events/{id}", (params, [id], ctx) => {
    const ev = retrieveEvent(params, id, ctx);
    return () => ({ body: ev });
  }),
  route("GET", "/v1/events", (params, _ids, ctx) => {
    const result = listEvents(params, ctx);
    return () => ({ body: result });
  }),
  ...billingRoutes,
];

export type RouteMatch = { route: Route; ids: string[] };

export function findRoute(method: string, path: string): RouteMatch | undefined {
  for (const r of routes) {
    if (r.method !== method) continue;
    const m = r.pattern.exec(path);
    if (m) return { route: r, ids: m.slice(1).map((s) => decodeURIComponent(s)) };
  }
  return undefined;
}
