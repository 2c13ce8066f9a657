/**
 * Stripe Invoicing in the stand-in: customers, invoice items and invoices (create, finalize,
 * send, pay, void, mark uncollectible, retrieve, list), with the events Stripe sends for them.
 *
 * Modelled on Stripe's behaviour that the billing worker relies on:
 * - an invoice created without `pending_invoice_items_behavior=include` takes no pending items
 *   (the default since API 2022-08-01); items join it only when created with `invoice: in_…`;
 * - only a draft takes items and is finalized; finalizing a draft of 0 marks it paid at once;
 *   finalizing sets `number`, `hosted_invoice_url`, `invoice_pdf`, `due_date` (send_invoice:
 *   finalization + days_until_due);
 * - `send` needs an open `send_invoice` invoice whose customer has an email;
 * - `void` takes open or uncollectible invoices (a draft is deleted, not voided, at Stripe);
 *   `mark_uncollectible` open ones; `pay` open or uncollectible ones (a charge, a payment intent
 *   and an invoice payment are made, so invoice.paid reads like Stripe's);
 * - customers are found by `GET /v1/customers/search?query=metadata['k']:'v'` and invoices listed
 *   by customer (`GET /v1/invoices?customer=`).
 * State errors are raised when the request executes, so they are stored under the idempotency
 * key like Stripe's.
 */
import type { ApiCtx, Route } from "./api.ts";
import { ApiError, errors } from "./errors.ts";
import type { FormObject } from "./form.ts";
import type { CustomerRec, InvoiceItemRec, InvoiceRec, Ledger } from "./ledger.ts";
import { paginate, PAGINATION_PARAMS } from "./list.ts";
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
import { renderCustomer, renderInvoiceItem } from "./billing_render.ts";
import { newId } from "./util.ts";

const ID = "([^/]+)";
function route(method: Route["method"], template: string, prepare: Route["prepare"]): Route {
  return { method, pattern: new RegExp(`^${template.replace(/\{[a-z_]+\}/g, ID)}$`), name: `${method} ${template}`, prepare };
}

const stateError = (message: string, code: string, param?: string) =>
  new ApiError(400, { type: "invalid_request_error", code, message, ...(param ? { param } : {}) });

function customerOr404(ledger: Ledger, id: string): CustomerRec {
  const c = ledger.customers.get(id);
  if (!c) throw errors.noSuchResource("customer", id);
  return c;
}

function invoiceOr404(ledger: Ledger, id: string): InvoiceRec & { billing: NonNullable<InvoiceRec["billing"]> } {
  const i = ledger.invoices.get(id);
  if (!i) throw errors.noSuchResource("invoice", id);
  if (!i.billing) {
    // a seeded (already paid) invoice: enough for the state routes to refuse clearly
    i.billing = {
      auto_advance: false,
      collection_method: "charge_automatically",
      days_until_due: null,
      due_date: null,
      description: null,
      number: null,
      itemIds: [],
      finalized_at: i.created,
      paid_at: i.status === "paid" ? i.created : null,
      voided_at: null,
      marked_uncollectible_at: null,
      sent_at: null,
      paid_out_of_band: false,
    };
  }
  return i as InvoiceRec & { billing: NonNullable<InvoiceRec["billing"]> };
}

function boolParam(params: FormObject, name: string): boolean | undefined {
  const v = params[name];
  if (v === undefined) return undefined;
  if (v !== "true" && v !== "false") throw errors.invalidParam(name, `Invalid boolean: ${String(v)}`);
  return v === "true";
}

/** `metadata['key']:'value'` clauses joined by AND (what the worker sends). */
function parseSearch(query: string): [string, string][] {
  const clauses = query.split(/\s+AND\s+/i).map((c) => c.trim()).filter(Boolean);
  return clauses.map((c) => {
    const m = /^metadata\[['"]([^'"]+)['"]\]:['"]([^'"]*)['"]$/.exec(c) ?? /^(email):['"]([^'"]*)['"]$/.exec(c);
    if (!m) throw errors.invalidParam("query", `The stand-in supports metadata['key']:'value' and email:'…' clauses (got ${c}).`);
    return [m[1], m[2]];
  });
}

function render(ctx: ApiCtx, inv: InvoiceRec) {
  return ctx.ledger.renderInvoice(inv);
}

/** Amount of the invoice from its items (a draft only changes through items). */
function recompute(ledger: Ledger, inv: InvoiceRec): void {
  const b = inv.billing!;
  inv.amount_due = b.itemIds.reduce((n, id) => n + (ledger.invoiceItems.get(id)?.amount ?? 0), 0);
}

function markPaid(ctx: ApiCtx, inv: InvoiceRec & { billing: NonNullable<InvoiceRec["billing"]> }, outOfBand: boolean) {
  const L = ctx.ledger;
  const now = L.nowS();
  if (!outOfBand && inv.amount_due > 0) {
    // the company paid: a charge through a payment intent, and the invoice payment joining them
    const charge = { ...L.newRec("ch") };
    const pi = { ...L.newRec("pi") };
    L.charges.set(charge.id, {
      ...charge,
      amount: inv.amount_due,
      currency: inv.currency,
      customer: inv.customer,
      description: `Payment for Invoice ${inv.billing.number ?? inv.id}`,
      metadata: {},
      payment_intent: pi.id,
      transfer_group: null,
      balance_transaction: newId("txn"),
      transferred: 0,
    });
    L.paymentIntents.set(pi.id, {
      ...pi,
      amount: inv.amount_due,
      currency: inv.currency,
      customer: inv.customer,
      latest_charge: charge.id,
      metadata: {},
      transfer_group: null,
    });
    const ip = {
      ...L.newRec("inpay"),
      invoice: inv.id,
      amount_paid: inv.amount_due,
      amount_requested: inv.amount_due,
      currency: inv.currency,
      payment: { type: "payment_intent" as const, payment_intent: pi.id },
      status: "paid",
      paid_at: now,
    };
    L.invoicePayments.set(ip.id, ip);
    inv.paymentIds.push(ip.id);
  }
  inv.amount_paid = outOfBand ? 0 : inv.amount_due;
  inv.billing.paid_out_of_band = outOfBand;
  inv.status = "paid";
  inv.billing.paid_at = now;
  const body = render(ctx, inv);
  ctx.emit("invoice.paid", body);
  if (!outOfBand && inv.amount_due > 0) ctx.emit("invoice.payment_succeeded", body);
  return body;
}

export const billingRoutes: Route[] = [
  // ---- customers -------------------------------------------------------------------------
  route("POST", "/v1/customers", (params, _ids, ctx) => {
    rejectUnknown(params, ["email", "name", "description", "metadata", "expand", "preferred_locales"]);
    const email = optString(params, "email") || null;
    const name = optString(params, "name") || null;
    const description = optString(params, "description") || null;
    const metadata = cleanMetadata(optMetadata(params));
    return () => {
      const rec = ctx.ledger.newRec("cus");
      const c: CustomerRec = {
        ...rec,
        email,
        name,
        description,
        invoice_prefix: rec.id.slice(4, 12).toUpperCase(),
        next_invoice_sequence: 1,
        metadata,
      };
      ctx.ledger.customers.set(c.id, c);
      const body = renderCustomer(c);
      ctx.emit("customer.created", body);
      return { body, objectId: c.id };
    };
  }),

  route("GET", "/v1/customers/search", (params, _ids, ctx) => {
    rejectUnknown(params, ["query", "limit", "page", "expand"]);
    const clauses = parseSearch(reqString(params, "query"));
    const limit = optInteger(params, "limit", 1, 100) ?? 10;
    const found = [...ctx.ledger.customers.values()]
      .filter((c) => clauses.every(([k, v]) => (k === "email" ? c.email === v : c.metadata[k] === v)))
      .sort((a, b) => b.created - a.created || b.seq - a.seq);
    return () => ({
      body: {
        object: "search_result",
        data: found.slice(0, limit).map(renderCustomer),
        has_more: found.length > limit,
        next_page: null,
        url: "/v1/customers/search",
      },
    });
  }),

  route("GET", "/v1/customers/{customer}", (params, [id], ctx) => {
    rejectUnknown(params, ["expand"]);
    const c = customerOr404(ctx.ledger, id);
    return () => ({ body: renderCustomer(c) });
  }),

  route("POST", "/v1/customers/{customer}", (params, [id], ctx) => {
    rejectUnknown(params, ["email", "name", "description", "metadata", "expand"]);
    const c = customerOr404(ctx.ledger, id);
    const email = optString(params, "email");
    const name = optString(params, "name");
    const metadata = optMetadata(params);
    return () => {
      if (email !== undefined) c.email = email || null;
      if (name !== undefined) c.name = name || null;
      c.metadata = mergeMetadata(c.metadata, metadata);
      const body = renderCustomer(c);
      ctx.emit("customer.updated", body);
      return { body, objectId: c.id };
    };
  }),

  // ---- invoice items ---------------------------------------------------------------------
  route("POST", "/v1/invoiceitems", (params, _ids, ctx) => {
    rejectUnknown(params, ["customer", "invoice", "amount", "currency", "description", "metadata", "expand"]);
    const customer = customerOr404ctx(ctx, reqString(params, "customer"));
    const invoiceId = optString(params, "invoice") || null;
    const amount = reqInteger(params, "amount", 0, 99_999_999);
    const currency = reqCurrency(params);
    const description = optString(params, "description") || null;
    const metadata = cleanMetadata(optMetadata(params));
    const inv = invoiceId ? invoiceParam(ctx.ledger, invoiceId) : null;
    return () => {
      if (inv) {
        if (inv.customer !== customer.id) {
          throw stateError(`Invoice ${inv.id} belongs to another customer.`, "invoice_not_editable", "invoice");
        }
        if (inv.status !== "draft") {
          throw stateError(
            `You can only add invoice items to draft invoices; invoice ${inv.id} is ${inv.status}.`,
            "invoice_not_editable",
            "invoice",
          );
        }
        if (inv.currency !== currency) {
          throw stateError(`The currency ${currency} does not match the invoice's ${inv.currency}.`, "currency_mismatch", "currency");
        }
      }
      const item: InvoiceItemRec = {
        ...ctx.ledger.newRec("ii"),
        customer: customer.id,
        invoice: inv?.id ?? null,
        amount,
        currency,
        description,
        metadata,
      };
      ctx.ledger.invoiceItems.set(item.id, item);
      if (inv) {
        inv.billing.itemIds.push(item.id);
        recompute(ctx.ledger, inv);
      }
      const body = renderInvoiceItem(item);
      ctx.emit("invoiceitem.created", body);
      return { body, objectId: item.id };
    };
  }),

  route("GET", "/v1/invoiceitems/{invoiceitem}", (params, [id], ctx) => {
    rejectUnknown(params, ["expand"]);
    const item = ctx.ledger.invoiceItems.get(id);
    if (!item) throw errors.noSuchResource("invoiceitem", id);
    return () => ({ body: renderInvoiceItem(item) });
  }),

  // ---- invoices --------------------------------------------------------------------------
  route("POST", "/v1/invoices", (params, _ids, ctx) => {
    rejectUnknown(params, [
      "customer",
      "auto_advance",
      "collection_method",
      "days_until_due",
      "due_date",
      "description",
      "metadata",
      "currency",
      "pending_invoice_items_behavior",
      "expand",
    ]);
    const customer = customerOr404ctx(ctx, reqString(params, "customer"));
    const autoAdvance = boolParam(params, "auto_advance") ?? false;
    const method = optString(params, "collection_method") ?? "charge_automatically";
    if (method !== "charge_automatically" && method !== "send_invoice") {
      throw errors.invalidParam("collection_method", `Invalid collection_method: ${method}`);
    }
    const days = optInteger(params, "days_until_due", 0, 730);
    const dueDate = optInteger(params, "due_date", 0);
    if (method === "send_invoice" && days === undefined && dueDate === undefined) {
      throw errors.invalidParam(
        "days_until_due",
        "Invoices with collection_method=send_invoice need days_until_due or due_date.",
      );
    }
    const currency = params.currency !== undefined ? reqCurrency(params) : "usd";
    const pending = optString(params, "pending_invoice_items_behavior") ?? "exclude";
    if (pending !== "exclude" && pending !== "include") {
      throw errors.invalidParam("pending_invoice_items_behavior", `Invalid pending_invoice_items_behavior: ${pending}`);
    }
    const description = optString(params, "description") || null;
    const metadata = cleanMetadata(optMetadata(params));
    return () => {
      const inv: InvoiceRec = {
        ...ctx.ledger.newRec("in"),
        customer: customer.id,
        currency,
        amount_due: 0,
        amount_paid: 0,
        status: "draft",
        metadata,
        paymentIds: [],
        billing: {
          auto_advance: autoAdvance,
          collection_method: method,
          days_until_due: days ?? null,
          due_date: dueDate ?? null,
          description,
          number: null,
          itemIds: [],
          finalized_at: null,
          paid_at: null,
          voided_at: null,
          marked_uncollectible_at: null,
          sent_at: null,
          paid_out_of_band: false,
        },
      };
      if (pending === "include") {
        for (const item of ctx.ledger.invoiceItems.values()) {
          if (item.customer === customer.id && item.invoice === null && item.currency === currency) {
            item.invoice = inv.id;
            inv.billing!.itemIds.push(item.id);
          }
        }
      }
      ctx.ledger.invoices.set(inv.id, inv);
      recompute(ctx.ledger, inv);
      const body = render(ctx, inv);
      ctx.emit("invoice.created", body);
      return { body, objectId: inv.id };
    };
  }),

  route("GET", "/v1/invoices", (params, _ids, ctx) => {
    rejectUnknown(params, ["customer", "status", "collection_method", "created", "due_date", ...PAGINATION_PARAMS]);
    const customer = optString(params, "customer");
    const status = optString(params, "status");
    const method = optString(params, "collection_method");
    const created = optRange(params, "created");
    const items = [...ctx.ledger.invoices.values()].filter((i) =>
      (customer === undefined || i.customer === customer) && (status === undefined || i.status === status) &&
      (method === undefined || (i.billing?.collection_method ?? "charge_automatically") === method) &&
      inRange(i.created, created)
    );
    const result = paginate(items, params, "/v1/invoices", (id) => ctx.ledger.find(id), "invoice", (i) => render(ctx, i));
    return () => ({ body: result });
  }),

  route("POST", "/v1/invoices/{invoice}/finalize", (params, [id], ctx) => {
    rejectUnknown(params, ["auto_advance", "expand"]);
    const inv = invoiceOr404(ctx.ledger, id);
    const autoAdvance = boolParam(params, "auto_advance");
    return () => {
      if (inv.status !== "draft") {
        throw stateError(`This invoice is already finalized, you can't re-finalize a non-draft invoice.`, "invoice_not_editable");
      }
      const now = ctx.ledger.nowS();
      const b = inv.billing;
      const customer = inv.customer ? ctx.ledger.customers.get(inv.customer) : undefined;
      if (autoAdvance !== undefined) b.auto_advance = autoAdvance;
      b.finalized_at = now;
      if (customer) b.number = `${customer.invoice_prefix}-${String(customer.next_invoice_sequence++).padStart(4, "0")}`;
      if (b.collection_method === "send_invoice" && b.due_date === null) b.due_date = now + (b.days_until_due ?? 0) * 86_400;
      inv.status = "open";
      const body = render(ctx, inv);
      ctx.emit("invoice.finalized", body);
      // nothing to collect: Stripe marks an invoice of 0 paid when it is finalized
      if (inv.amount_due === 0) return { body: markPaid(ctx, inv, false), objectId: inv.id };
      return { body, objectId: inv.id };
    };
  }),

  route("POST", "/v1/invoices/{invoice}/send", (params, [id], ctx) => {
    rejectUnknown(params, ["expand"]);
    const inv = invoiceOr404(ctx.ledger, id);
    return () => {
      if (inv.billing.collection_method !== "send_invoice") {
        throw stateError("You can only manually send an invoice if its collection method is 'send_invoice'.", "invoice_not_editable");
      }
      if (inv.status !== "open") {
        throw stateError(`You can only send an open invoice; invoice ${inv.id} is ${inv.status}.`, "invoice_not_editable");
      }
      const customer = inv.customer ? ctx.ledger.customers.get(inv.customer) : undefined;
      if (!customer?.email) {
        throw stateError("The customer of this invoice has no email address to send it to.", "invoice_no_customer_email");
      }
      inv.billing.sent_at ??= ctx.ledger.nowS();
      const body = render(ctx, inv);
      ctx.emit("invoice.sent", body);
      return { body, objectId: inv.id };
    };
  }),

  route("POST", "/v1/invoices/{invoice}/pay", (params, [id], ctx) => {
    rejectUnknown(params, ["paid_out_of_band", "payment_method", "source", "expand"]);
    const inv = invoiceOr404(ctx.ledger, id);
    const outOfBand = boolParam(params, "paid_out_of_band") ?? false;
    return () => {
      if (inv.status !== "open" && inv.status !== "uncollectible") {
        throw stateError(`Invoice ${inv.id} is ${inv.status}: only open or uncollectible invoices are paid.`, "invoice_not_payable");
      }
      return { body: markPaid(ctx, inv, outOfBand), objectId: inv.id };
    };
  }),

  route("POST", "/v1/invoices/{invoice}/void", (params, [id], ctx) => {
    rejectUnknown(params, ["expand"]);
    const inv = invoiceOr404(ctx.ledger, id);
    return () => {
      if (inv.status !== "open" && inv.status !== "uncollectible") {
        throw stateError(
          `You can only void an open or uncollectible invoice; invoice ${inv.id} is ${inv.status}.`,
          "invoice_not_voidable",
        );
      }
      inv.status = "void";
      inv.billing.voided_at = ctx.ledger.nowS();
      const body = render(ctx, inv);
      ctx.emit("invoice.voided", body);
      return { body, objectId: inv.id };
    };
  }),

  route("POST", "/v1/invoices/{invoice}/mark_uncollectible", (params, [id], ctx) => {
    rejectUnknown(params, ["expand"]);
    const inv = invoiceOr404(ctx.ledger, id);
    return () => {
      if (inv.status !== "open") {
        throw stateError(`Only an open invoice is marked uncollectible; invoice ${inv.id} is ${inv.status}.`, "invoice_not_editable");
      }
      inv.status = "uncollectible";
      inv.billing.marked_uncollectible_at = ctx.ledger.nowS();
      const body = render(ctx, inv);
      ctx.emit("invoice.marked_uncollectible", body);
      return { body, objectId: inv.id };
    };
  }),
];

function customerOr404ctx(ctx: ApiCtx, id: string): CustomerRec {
  const c = ctx.ledger.customers.get(id);
  if (!c) throw errors.noSuchParamResource("customer", id, "customer");
  return c;
}

function invoiceParam(ledger: Ledger, id: string) {
  if (!ledger.invoices.has(id)) throw errors.noSuchParamResource("invoice", id, "invoice");
  return invoiceOr404(ledger, id);
}
