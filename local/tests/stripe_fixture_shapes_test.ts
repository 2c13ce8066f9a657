/**
 * Fidelity of the Stripe stand-in: every object it returns has the keys and value types of
 * Stripe's own example of that resource (`../shared/reference/stripe-fixtures3.json`), recursively
 * (`shapeDiff`, stripe_shape.ts). One case per line in `CASES`: the resource name in the fixtures,
 * how to get the object through the real SDK from the world built below, and the rules (documented
 * differences) it needs.
 * Run: node_modules/.bin/deno test -A local/tests/stripe_fixture_shapes_test.ts
 */
import assert from "node:assert/strict";
import Stripe from "stripe";
import { PINNED_API_VERSION, type StandIn, startStripeStandIn } from "../stripe/server.ts";
import { loadStripeExamples, shapeDiff, type ShapeRules } from "./stripe_shape.ts";

/** What the cases read from: objects made through the SDK on a fresh stand-in. */
interface World {
  stripe: Stripe;
  standIn: StandIn;
  account: Stripe.Account;
  onboarded: Stripe.Account;
  transfer: Stripe.Transfer;
  reversal: Stripe.TransferReversal;
  invoiceId: string;
  chargeId: string;
  paymentIntentId: string;
}

// Rules shared by cases (each entry says why):
const ACCOUNT: ShapeRules = {
  // free keys: our metadata, the capabilities requested
  maps: ["metadata", "capabilities"],
  // Stripe's example is a Standard account (controller {type: account}); a platform-controlled
  // account has the controller properties of Stripe's API reference, and tos_acceptance names
  // the service agreement when one was given at creation
  extra: {
    controller: ["fees", "is_controller", "losses", "requirement_collection", "stripe_dashboard"],
    tos_acceptance: ["service_agreement"],
  },
  // nullable in Stripe's API reference: an account created without an email
  nullable: ["email", "requirements.disabled_reason"],
};
const NONE: ShapeRules = { maps: ["metadata"] };
// Charges and payment intents: what the stand-in leaves null is nullable in Stripe's API reference
// (no card details, no transfer_data or shipping on an invoice's payment, no pending action)
const CHARGE: ShapeRules = {
  maps: ["metadata"],
  nullable: [
    "billing_details.name",
    "description",
    "payment_method",
    "payment_method_details",
    "receipt_url",
    "shipping",
    "source",
    "transfer_data",
  ],
};
const PAYMENT_INTENT: ShapeRules = {
  maps: ["metadata"],
  nullable: [
    "automatic_payment_methods",
    "canceled_at",
    "client_secret",
    "last_payment_error",
    "managed_payments",
    "next_action",
    "payment_method_configuration_details",
    "processing",
    "shipping",
    "transfer_data",
  ],
};

const CASES: { resource: string; get: (w: World) => Promise<unknown> | unknown; rules?: ShapeRules }[] = [
  { resource: "account", get: (w) => w.account, rules: ACCOUNT },
  { resource: "account", get: (w) => w.stripe.accounts.retrieve(w.onboarded.id), rules: ACCOUNT },
  {
    resource: "account_link",
    get: (w) =>
      w.stripe.accountLinks.create({
        account: w.account.id,
        type: "account_onboarding",
        refresh_url: "https://example.test/r",
        return_url: "https://example.test/x",
      }),
  },
  { resource: "login_link", get: (w) => w.stripe.accounts.createLoginLink(w.onboarded.id) },
  {
    resource: "transfer",
    get: (w) => w.transfer,
    rules: { ...NONE, nullable: ["description", "source_transaction", "transfer_group"] },
  },
  { resource: "transfer_reversal", get: (w) => w.reversal, rules: NONE },
  { resource: "balance", get: (w) => w.stripe.balance.retrieve() },
  { resource: "charge", get: (w) => w.stripe.charges.retrieve(w.chargeId), rules: CHARGE },
  {
    resource: "payment_intent",
    get: (w) => w.stripe.paymentIntents.retrieve(w.paymentIntentId),
    rules: PAYMENT_INTENT,
  },
  // Stripe's example shows only the payment's type; its reference adds the id of that kind
  {
    resource: "invoice_payment",
    get: async (w) => (await w.stripe.invoicePayments.list({ invoice: w.invoiceId })).data[0],
    rules: { extra: { payment: ["payment_intent", "charge"] } },
  },
  // the event's object is compared as its own resource (next line); `account` names the connected
  // account of a Connect event and `previous_attributes` what an update changed (Stripe's API reference)
  {
    resource: "event",
    get: (w) => lastEvent(w, "account.updated", w.onboarded.id),
    rules: { skip: ["data.object"], extra: { "": ["account"], data: ["previous_attributes"] } },
  },
  {
    resource: "account",
    get: async (w) => (await lastEvent(w, "account.updated", w.onboarded.id)).data.object,
    rules: ACCOUNT,
  },
];

/** The newest event of a type; a Connect event is listed under its account (`Stripe-Account`), as Stripe lists them. */
async function lastEvent(w: World, type: string, account?: string): Promise<Stripe.Event> {
  const page = await w.stripe.events.list({ type, limit: 1 }, account ? { stripeAccount: account } : undefined);
  assert.ok(page.data[0], `no ${type} event${account ? ` of ${account}` : ""}`);
  return page.data[0];
}

async function buildWorld(standIn: StandIn): Promise<World> {
  const stripe = new Stripe("sk_test_shapes", {
    host: "127.0.0.1",
    port: standIn.port,
    protocol: "http",
    apiVersion: PINNED_API_VERSION,
    maxNetworkRetries: 0,
    telemetry: false,
  });
  const express = {
    country: "US",
    controller: {
      fees: { payer: "application" as const },
      losses: { payments: "application" as const },
      requirement_collection: "stripe" as const,
      stripe_dashboard: { type: "express" as const },
    },
    capabilities: { transfers: { requested: true } },
    metadata: { recruiter_id: "r1" },
  };
  const account = await stripe.accounts.create(express);
  const onboarded = await stripe.accounts.create({ ...express, tos_acceptance: { service_agreement: "full" } });
  const ctl = (path: string, body: unknown) =>
    fetch(`${standIn.url}${path}`, { method: "POST", body: JSON.stringify(body) }).then((r) => r.json());
  await ctl(`/_standin/accounts/${onboarded.id}/complete_onboarding`, {});
  const transfer = await stripe.transfers.create({
    amount: 500,
    currency: "usd",
    destination: onboarded.id,
    metadata: { a: "b" },
  });
  const reversal = await stripe.transfers.createReversal(transfer.id, { amount: 100 });
  const seeded = await ctl("/_standin/invoices", { amount_paid: 1000 }) as {
    invoice: { id: string };
    charge: { id: string };
    payment_intent: { id: string };
  };
  return {
    stripe,
    standIn,
    account,
    onboarded,
    transfer,
    reversal,
    invoiceId: seeded.invoice.id,
    chargeId: seeded.charge.id,
    paymentIntentId: seeded.payment_intent.id,
  };
}

Deno.test("shapeDiff: keys, types, nesting, arrays, maps, documented extras", () => {
  const ex = { a: 1, b: { c: "x", d: null }, e: [{ f: true }], m: { k: "v" } };
  assert.deepEqual(shapeDiff(ex, { a: 2, b: { c: "y", d: 5 }, e: [{ f: false }], m: { z: "w" } }, { maps: ["m"] }), []);
  assert.deepEqual(shapeDiff(ex, { a: "2", b: { c: "y" }, e: [{ f: 1 }], m: { k: 1 }, g: 1 }, { maps: ["m"] }), [
    "a: string, Stripe has number",
    "b.d: missing",
    "e[].f: number, Stripe has boolean",
    "m.k: number, Stripe has string",
    "g: not in Stripe's example",
  ]);
  assert.deepEqual(shapeDiff(ex, { ...ex, b: { c: null, d: null } }), ["b.c: null, Stripe has string"]);
  assert.deepEqual(shapeDiff(ex, { ...ex, b: { c: null, d: null } }, { nullable: ["b.c"] }), []);
  assert.deepEqual(shapeDiff({ x: { y: 1 } }, { x: { y: 1, z: 2 } }, { extra: { x: ["z"] } }), []);
});

Deno.test("every object the stand-in returns has the shape of Stripe's example", async () => {
  const examples = await loadStripeExamples();
  const standIn = await startStripeStandIn({ port: 0 });
  try {
    const world = await buildWorld(standIn);
    const problems: string[] = [];
    for (const [i, c] of CASES.entries()) {
      const example = examples[c.resource];
      assert.ok(example, `no example for ${c.resource}`);
      const actual = JSON.parse(JSON.stringify(await c.get(world)));
      delete actual.lastResponse;
      problems.push(...shapeDiff(example, actual, c.rules).map((p) => `case ${i} (${c.resource}) ${p}`));
    }
    assert.deepEqual(problems, []);
  } finally {
    await standIn.close();
  }
});
