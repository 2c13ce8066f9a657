/**
 * The stand-in's Stripe Invoicing objects against Stripe's published example objects
 * (`../shared/reference/stripe-fixtures3.json`, stripe/openapi fixtures3): customer, invoice,
 * invoiceitem and the invoice's line_item have the same keys and value types, recursively into
 * nested objects and the first element of arrays. A null on either side stands for a nullable
 * field without a value (Stripe's examples fill some, the stand-in leaves them null) and is not
 * compared further. Also: Stripe Invoicing's behaviour the billing worker relies on (pending
 * items are not pulled in, only drafts take items, finalize/send/pay/void/mark_uncollectible
 * state rules, each with its event), with the real SDK.
 * Run: node_modules/.bin/deno test -A local/tests/stripe_billing_shapes_test.ts
 */
import assert from "node:assert/strict";
import Stripe from "stripe";
import { PINNED_API_VERSION, type StandIn, startStripeStandIn } from "../stripe/server.ts";

const FIXTURES = new URL("../../../shared/reference/stripe-fixtures3.json", import.meta.url);

async function fixtures(): Promise<Record<string, unknown>> {
  return JSON.parse(await Deno.readTextFile(FIXTURES)).resources;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const kind = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);

/** Differences of shape between Stripe's example `ref` and `ours` (paths), empty when alike. */
export function shapeDiff(ref: unknown, ours: unknown, path = "$"): string[] {
  if (ref === null || ours === null || ref === undefined) return [];
  if (kind(ref) !== kind(ours)) return [`${path}: Stripe ${kind(ref)}, stand-in ${kind(ours)}`];
  if (Array.isArray(ref)) {
    const o = ours as unknown[];
    return ref.length && o.length ? shapeDiff(ref[0], o[0], `${path}[0]`) : [];
  }
  // metadata is the caller's own map: its keys are data, not shape
  if (typeof ref !== "object" || path.endsWith(".metadata")) return [];
  const r = ref as Record<string, Json>;
  const o = ours as Record<string, Json>;
  const out: string[] = [];
  for (const k of Object.keys(r)) if (!(k in o)) out.push(`${path}.${k}: missing`);
  for (const k of Object.keys(o)) if (!(k in r)) out.push(`${path}.${k}: not in Stripe's object`);
  for (const k of Object.keys(r)) if (k in o) out.push(...shapeDiff(r[k], o[k], `${path}.${k}`));
  return out;
}

function sdk(s: StandIn): Stripe {
  return new Stripe("sk_test_standin", {
    host: "127.0.0.1",
    port: s.port,
    protocol: "http",
    apiVersion: PINNED_API_VERSION,
    maxNetworkRetries: 0,
    telemetry: false,
  });
}

async function withStandIn(fn: (s: StandIn, stripe: Stripe) => Promise<void>) {
  const s = await startStripeStandIn({ port: 0 });
  try {
    await fn(s, sdk(s));
  } finally {
    await s.close();
  }
}

Deno.test("shapeDiff finds missing and extra keys and other types, nested", () => {
  assert.deepEqual(shapeDiff({ a: 1, b: { c: "x" } }, { a: 2, b: { c: "y" } }), []);
  assert.deepEqual(shapeDiff({ a: 1, b: { c: "x" } }, { a: "1", b: { d: 1 } }), [
    "$.a: Stripe number, stand-in string",
    "$.b.c: missing",
    "$.b.d: not in Stripe's object",
  ]);
  assert.deepEqual(shapeDiff({ l: [{ a: 1 }] }, { l: [{ a: 1, z: 2 }] }), ["$.l[0].z: not in Stripe's object"]);
  assert.deepEqual(shapeDiff({ a: { b: 1 } }, { a: null }), [], "null: a nullable field without a value");
});

Deno.test("customer, invoice, invoiceitem and line_item have Stripe's keys and value types", async () => {
  const ref = await fixtures();
  await withStandIn(async (s, stripe) => {
    const customer = await stripe.customers.create({ name: "Acme", email: "ap@acme.test", metadata: { company_id: "c1" } });
    const draft = await stripe.invoices.create({
      customer: customer.id,
      auto_advance: false,
      collection_method: "send_invoice",
      days_until_due: 30,
      metadata: { placement_id: "p1" },
    });
    const item = await stripe.invoiceItems.create({
      customer: customer.id,
      invoice: draft.id,
      amount: 250000,
      currency: "usd",
      description: "Placement fee",
    });
    const open = await stripe.invoices.finalizeInvoice(draft.id, { auto_advance: false });
    assert.equal(open.status, "open");
    const paid = await stripe.invoices.pay(open.id);
    // as Stripe sends them (raw JSON: the SDK turns decimal strings into objects)
    const raw = async (path: string) => {
      const res = await fetch(`${s.url}${path}`, { headers: { authorization: "Bearer sk_test_standin" } });
      assert.equal(res.status, 200, path);
      return await res.json();
    };
    const paidRaw = await raw(`/v1/invoices/${paid.id}`);
    const diffs: string[] = [];
    for (
      const [name, ours] of [
        ["customer", await raw(`/v1/customers/${customer.id}`)],
        ["invoiceitem", await raw(`/v1/invoiceitems/${item.id}`)],
        ["invoice", { ...draft, status: "draft(sdk)" }],
        ["invoice", paidRaw],
        ["line_item", paidRaw.lines.data[0]],
      ] as const
    ) {
      const what = `${name}${(ours as { status?: string }).status ? ` (${(ours as { status?: string }).status})` : ""}`;
      diffs.push(...shapeDiff(ref[name], ours).map((d) => `${what} ${d}`));
    }
    assert.deepEqual(diffs, []);
  });
});

Deno.test("Stripe Invoicing as the billing worker relies on it", async () => {
  await withStandIn(async (s, stripe) => {
    const customer = await stripe.customers.create({ name: "Acme", email: "ap@acme.test", metadata: { company_id: "c2" } });
    // a pending item (no invoice) is NOT pulled into a new invoice (API >= 2022-08-01)
    await stripe.invoiceItems.create({ customer: customer.id, amount: 500, currency: "usd" });
    const empty = await stripe.invoices.create({ customer: customer.id, collection_method: "send_invoice", days_until_due: 7 });
    assert.equal(empty.amount_due, 0);
    assert.equal(empty.lines.data.length, 0);
    // the fee as an item ON the draft
    await stripe.invoiceItems.create({ customer: customer.id, invoice: empty.id, amount: 9000, currency: "usd" });
    const withItem = await stripe.invoices.retrieve(empty.id);
    assert.equal(withItem.amount_due, 9000);
    // found by the worker's lookups
    const found = await stripe.customers.search({ query: "metadata['company_id']:'c2'" });
    assert.deepEqual(found.data.map((c) => c.id), [customer.id]);
    const listed = await stripe.invoices.list({ customer: customer.id });
    assert.deepEqual(listed.data.map((i) => i.id), [empty.id]);
    // send needs an open invoice; finalize only a draft
    await assert.rejects(stripe.invoices.sendInvoice(empty.id), /open invoice/);
    const open = await stripe.invoices.finalizeInvoice(empty.id);
    assert.equal(open.status, "open");
    assert.match(open.hosted_invoice_url ?? "", /^https:\/\/invoice\.stripe\.com\//);
    assert.equal(open.due_date, (open.status_transitions.finalized_at ?? 0) + 7 * 86_400);
    await assert.rejects(stripe.invoices.finalizeInvoice(empty.id), /already finalized/);
    await assert.rejects(
      stripe.invoiceItems.create({ customer: customer.id, invoice: empty.id, amount: 1, currency: "usd" }),
      /draft invoices/,
    );
    await stripe.invoices.sendInvoice(empty.id);
    const unc = await stripe.invoices.markUncollectible(empty.id);
    assert.equal(unc.status, "uncollectible");
    const voided = await stripe.invoices.voidInvoice(empty.id);
    assert.equal(voided.status, "void");
    await assert.rejects(stripe.invoices.pay(empty.id), /only open or uncollectible/);
    // a draft of 0 is paid when finalized
    const zero = await stripe.invoices.create({ customer: customer.id, collection_method: "send_invoice", days_until_due: 7 });
    assert.equal((await stripe.invoices.finalizeInvoice(zero.id)).status, "paid");
    // a customer without email: nothing to send to
    const noEmail = await stripe.customers.create({ name: "No email" });
    const d = await stripe.invoices.create({ customer: noEmail.id, collection_method: "send_invoice", days_until_due: 7 });
    await stripe.invoiceItems.create({ customer: noEmail.id, invoice: d.id, amount: 100, currency: "usd" });
    await stripe.invoices.finalizeInvoice(d.id);
    await assert.rejects(stripe.invoices.sendInvoice(d.id), /no email/);
    // the events of each step
    const types: string[] = (await stripe.events.list({ limit: 100 })).data.map((e) => e.type);
    for (
      const t of [
        "customer.created",
        "invoiceitem.created",
        "invoice.created",
        "invoice.finalized",
        "invoice.sent",
        "invoice.marked_uncollectible",
        "invoice.voided",
        "invoice.paid",
      ]
    ) assert.ok(types.includes(t), `event ${t}`);
    void s;
  });
});
