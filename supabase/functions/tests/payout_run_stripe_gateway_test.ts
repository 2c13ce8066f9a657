/**
 * payout_run/stripe_gateway.ts (the run's Stripe gateway) with the real SDK against an in-process Stripe
 * stand-in: transfers.create under the tranche's key, listing a transfer_group across pages, the
 * invoice's charge for source_transaction, and the stand-in's latency_after fault the kill tests use.
 */
import assert from "node:assert/strict";
import type { StandIn } from "../../../local/stripe/server.ts";
import { createBudget } from "../_shared/platform/budget.ts";
import { createPacer } from "../_shared/platform/pacer.ts";
import { createStripeGateway } from "../_shared/payout_run/stripe_gateway.ts";
import type { TransferParams } from "../_shared/payout_run/types.ts";
import { control as ctl, standinSdk, withStandIn } from "./standin_test_support.ts";

/** The gateway over the SDK against an in-process stand-in, with a connected account. */
const withGateway = (fn: (s: StandIn, gw: ReturnType<typeof createStripeGateway>, acct: string) => Promise<void>) =>
  withStandIn((s, acct) => {
    const stripe = standinSdk(s, { secretKey: "sk_test_payout_run_gateway" });
    return fn(s, createStripeGateway(stripe, createPacer({ ratePerSec: 500 }), { maxAttempts: 3 }), acct);
  });

const budget = () => createBudget(30_000);
const params = (acct: string, i: number, group = "placement_g1"): TransferParams => ({
  amount: 100 + i,
  currency: "usd",
  destination: acct,
  transfer_group: group,
  metadata: {
    payout_id: `po_${i}`,
    payout_transfer_id: `pt_${i}`,
    schedule_id: "s",
    placement_id: "p",
    attempt_number: "1",
  },
});

Deno.test("gateway: transfers.create under the tranche's key; the same key again is Stripe's replay", async () => {
  await withGateway(async (s, gw, acct) => {
    const a = await gw.createTransfer(params(acct, 1), "payout_transfer:k1", { budget: budget() });
    const b = await gw.createTransfer(params(acct, 1), "payout_transfer:k1", { budget: budget() });
    assert.equal(a.kind, "ok");
    assert.equal(b.kind, "ok");
    if (a.kind !== "ok" || b.kind !== "ok") return;
    assert.equal(a.value.id, b.value.id);
    assert.deepEqual(a.value.metadata, params(acct, 1).metadata);
    assert.equal(a.value.transfer_group, "placement_g1");
    const ledger = await ctl<{ transfers: unknown[] }>(s, "GET", "/_standin/ledger");
    assert.equal(ledger.transfers.length, 1);
  });
});

Deno.test("gateway: listTransferGroup reads every page of the group and nothing else", async () => {
  await withGateway(async (_s, gw, acct) => {
    for (let i = 0; i < 105; i++) {
      const r = await gw.createTransfer(params(acct, i), `k-${i}`, { budget: budget() });
      assert.equal(r.kind, "ok");
    }
    await gw.createTransfer(params(acct, 999, "placement_other"), "k-other", { budget: budget() });
    const l = await gw.listTransferGroup("placement_g1", { budget: budget() });
    assert.equal(l.ok, true);
    if (!l.ok) return;
    assert.equal(l.transfers.length, 105);
    assert.equal(new Set(l.transfers.map((t) => t.metadata.payout_transfer_id)).size, 105);
    const none = await gw.listTransferGroup("placement_nobody", { budget: budget() });
    assert.deepEqual(none, { ok: true, transfers: [] });
  });
});

Deno.test("gateway: the source charge comes from the invoice's payments (payment intent or charge), else null", async () => {
  await withGateway(async (s, gw) => {
    const viaCharge = await ctl<{ invoice: { id: string }; charge: { id: string } }>(s, "POST", "/_standin/invoices", {
      amount_paid: 5000,
      payment_type: "charge",
    });
    const piInvoice = await ctl<{ invoice: { id: string }; payment_intent: { id: string }; charge: { id: string } }>(
      s,
      "POST",
      "/_standin/invoices",
      { amount_paid: 7000 },
    );
    const resolve = (stripeInvoiceId: string | null, stripePaymentIntentId: string | null = null) =>
      gw.resolveSourceCharge({ stripeInvoiceId, stripePaymentIntentId }, { budget: budget() });
    assert.equal(await resolve(viaCharge.invoice.id), viaCharge.charge.id);
    assert.equal(await resolve(piInvoice.invoice.id), piInvoice.charge.id);
    assert.equal(await resolve(null, piInvoice.payment_intent.id), piInvoice.charge.id);
    assert.equal(await resolve("in_unknown"), null);
    assert.equal(await resolve(null, "pi_unknown"), null);
    assert.equal(await resolve(null, null), null);
  });
});

Deno.test("stand-in latency_after: the transfer exists while its response is still held back", async () => {
  await withGateway(async (s, gw, acct) => {
    await ctl(s, "POST", "/_standin/faults", {
      kind: "latency_after",
      method: "POST",
      path: "/v1/transfers",
      metadata: { payout_id: "po_7" },
      latency_ms: 600,
    });
    const started = Date.now();
    const p = gw.createTransfer(params(acct, 7), "k-late", { budget: budget() });
    let seenBeforeResponse = false;
    for (let i = 0; i < 50 && !seenBeforeResponse; i++) {
      const l = await ctl<{ transfers: unknown[] }>(s, "GET", "/_standin/ledger");
      if (l.transfers.length === 1 && Date.now() - started < 500) seenBeforeResponse = true;
      await new Promise((r) => setTimeout(r, 20));
    }
    const r = await p;
    assert.ok(seenBeforeResponse, "Stripe recorded the transfer before answering");
    assert.ok(Date.now() - started >= 550, "the response came late");
    assert.equal(r.kind, "ok");
    const faults = await ctl<{ pending: unknown[] }>(s, "GET", "/_standin/faults");
    assert.deepEqual(faults.pending, []);
  });
});
