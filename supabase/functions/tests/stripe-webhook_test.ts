/**
 * stripe-webhook against the real local stack: signatures (both endpoint secrets, bad, stale),
 * the inbox (stored once, replays are no-ops, failures kept), and each event's effect through the
 * money model. Deliveries come from the Stripe stand-in (signed as Stripe signs), pointed at the
 * function for the duration of each test. Plus unit tests of the event → effect mapping.
 */
import assert from "node:assert/strict";
import { createLogger } from "../_shared/platform/log.ts";
import { effectOf, effectWithoutReads, type StripeReader, type WebhookEffect } from "../_shared/stripe_sync/events.ts";
import type { WebhookInbox } from "../_shared/stripe_sync/db.ts";
import { createWebhookHandler, verifyStripeSignature } from "../_shared/stripe_sync/webhook.ts";
import {
  adminSql,
  claimOnly,
  CONNECT_SECRET,
  eventPayload,
  eventTypes,
  inboxRow,
  makePlacement,
  makeRecruiter,
  paidPlacement,
  payoutsOf,
  payTranche,
  PLATFORM_SECRET,
  postSigned,
  recordInvoice,
  seedStripeInvoice,
  sendEvents,
  signStripePayload,
  standin,
  stripeClient,
  stripeId,
  useWebhookEndpoint,
} from "./stripe_sync_test_support.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

// ---------------------------------------------------------------------------------------------
// Unit: event -> effect (fake reader)
// ---------------------------------------------------------------------------------------------
function fakeReader(over: Partial<StripeReader> = {}): StripeReader & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    now: () => Date.parse("2026-11-30T12:00:00Z"),
    accountState: (id) => {
      calls.push(`account ${id}`);
      return Promise.resolve({ transfers_capability: "active", requirements: null, details_submitted: null });
    },
    invoicePayment: (id) => {
      calls.push(`invoice ${id}`);
      return Promise.resolve({ payment_intent_id: "pi_1", charge_id: "ch_1", paid_at: 1_700_000_000 });
    },
    transferReversals: (id) => {
      calls.push(`reversals ${id}`);
      return Promise.resolve([{ id: "trr_1", amount: 5, currency: "usd", created: 1, metadata: {} }]);
    },
    ...over,
  };
}
const ev = (type: string, object: Record<string, unknown>, account?: string) => ({
  id: "evt_1",
  type,
  created: 1_700_000_100,
  ...(account ? { account } : {}),
  data: { object },
});

Deno.test("effectOf: invoice.paid and invoice.payment_succeeded map to the same invoice_paid effect", async () => {
  const r = fakeReader();
  const o = { id: "in_1", amount_due: 100, amount_paid: 100, currency: "usd", metadata: {} };
  const a = await effectOf(ev("invoice.paid", o), r);
  const b = await effectOf(ev("invoice.payment_succeeded", o), r);
  assert.deepEqual(a, b);
  assert.deepEqual(a, {
    kind: "invoice_paid",
    stripe_invoice_id: "in_1",
    amount_due: 100,
    amount_paid: 100,
    currency: "usd",
    paid_at: new Date(1_700_000_000_000).toISOString(),
    payment_intent_id: "pi_1",
    charge_id: "ch_1",
    placement_id: null,
  });
  // an invoice that carries its charge (older API versions) needs no read
  const r2 = fakeReader();
  const c = await effectOf(ev("invoice.paid", { ...o, charge: "ch_9", payment_intent: "pi_9" }), r2);
  assert.equal(c.kind === "invoice_paid" && c.charge_id, "ch_9");
  assert.deepEqual(r2.calls, []);
});

Deno.test("effectOf: account.updated reads the account from Stripe instead of trusting the snapshot", async () => {
  const requirements = { currently_due: ["external_account"], past_due: [], eventually_due: [], disabled_reason: null };
  const r = fakeReader({
    accountState: () => Promise.resolve({ transfers_capability: "inactive", requirements, details_submitted: false }),
  });
  const e = await effectOf(ev("account.updated", { id: "acct_1", capabilities: { transfers: "active" } }, "acct_1"), r);
  assert.deepEqual(e, {
    kind: "account_capability",
    account_id: "acct_1",
    transfers_capability: "inactive",
    requirements,
    details_submitted: false,
    observed_at: "2026-11-30T12:00:00.000Z",
  });
});

Deno.test("effectOf: reversals, refunds, disputes, connected payouts, everything else ignored", async () => {
  const r = fakeReader();
  const rev = await effectOf(ev("transfer.reversed", { id: "tr_1", amount_reversed: 5 }), r);
  assert.equal(rev.kind, "transfer_reversals");
  assert.equal(rev.kind === "transfer_reversals" && rev.reversals[0].id, "trr_1");
  assert.deepEqual(await effectOf(ev("transfer.updated", { id: "tr_1", amount_reversed: 0 }), r), {
    kind: "ignore",
    reason: "no_reversal",
  });
  const ref = await effectOf(ev("charge.refunded", { id: "ch_1", amount_refunded: 70, currency: "usd" }), r);
  assert.equal(ref.kind === "payment_disputed" && ref.source, "refund");
  const dp = await effectOf(ev("charge.dispute.created", { id: "dp_1", charge: "ch_1", amount: 9, created: 5 }), r);
  assert.equal(dp.kind === "payment_disputed" && dp.stripe_object_id, "dp_1");
  for (const [status, outcome] of [["won", "won"], ["warning_closed", "won"], ["lost", "lost"]]) {
    const cl = await effectOf(ev("charge.dispute.closed", { id: "dp_1", charge: "ch_1", status }), r);
    assert.equal(cl.kind === "dispute_closed" && cl.outcome, outcome);
  }
  assert.equal((await effectOf(ev("charge.dispute.closed", { id: "dp_1", status: "under_review" }), r)).kind, "ignore");
  const pf = await effectOf(ev("payout.failed", { id: "po_1", amount: 5, failure_code: "account_closed" }, "acct_1"), r);
  assert.equal(pf.kind === "connected_payout_failed" && pf.failure_code, "account_closed");
  assert.deepEqual(await effectOf(ev("payout.failed", { id: "po_1" }), r), { kind: "ignore", reason: "platform_payout" });
  assert.deepEqual(await effectOf(ev("customer.created", { id: "cus_1" }), r), {
    kind: "ignore",
    reason: "unhandled_type",
  });
});

Deno.test("verifyStripeSignature: either secret, stale timestamps and wrong secrets refused", async () => {
  const secrets = { platform: PLATFORM_SECRET, connect: CONNECT_SECRET };
  const payload = JSON.stringify(eventPayload("customer.created", { id: "cus_1" }));
  const raw = new TextEncoder().encode(payload);
  const now = Math.floor(Date.now() / 1000);
  const ok1 = await verifyStripeSignature(raw, await signStripePayload(PLATFORM_SECRET, payload, now), secrets);
  assert.equal("endpoint" in ok1 && ok1.endpoint, "platform");
  const ok2 = await verifyStripeSignature(raw, await signStripePayload(CONNECT_SECRET, payload, now), secrets);
  assert.equal("endpoint" in ok2 && ok2.endpoint, "connect");
  assert.deepEqual(
    await verifyStripeSignature(raw, await signStripePayload(PLATFORM_SECRET, payload, now - 301), secrets),
    { failure: "timestamp_outside_tolerance" },
  );
  assert.deepEqual(
    await verifyStripeSignature(raw, await signStripePayload("whsec_other", payload, now), secrets),
    { failure: "signature_mismatch" },
  );
  assert.deepEqual(await verifyStripeSignature(raw, null, secrets), { failure: "missing_signature" });
  // a body changed after signing
  const tampered = new TextEncoder().encode(payload.replace("cus_1", "cus_2"));
  assert.deepEqual(
    await verifyStripeSignature(tampered, await signStripePayload(PLATFORM_SECRET, payload, now), secrets),
    { failure: "signature_mismatch" },
  );
});

Deno.test("effectWithoutReads: decided from the event alone, or null when Stripe must be read first", async () => {
  const pf = await effectWithoutReads(ev("payout.failed", { id: "po_1", amount: 5 }, "acct_1"));
  assert.equal(pf?.kind, "connected_payout_failed");
  assert.equal((await effectWithoutReads(ev("charge.refunded", { id: "ch_1", amount_refunded: 5 })))?.kind, "payment_disputed");
  assert.deepEqual(await effectWithoutReads(ev("customer.created", { id: "cus_1" })), {
    kind: "ignore",
    reason: "unhandled_type",
  });
  const withCharge = await effectWithoutReads(ev("invoice.paid", { id: "in_1", charge: "ch_1", payment_intent: "pi_1" }));
  assert.equal(withCharge?.kind, "invoice_paid", "an invoice that carries its charge needs no read");
  assert.equal(await effectWithoutReads(ev("invoice.paid", { id: "in_1" })), null);
  assert.equal(await effectWithoutReads(ev("account.updated", { id: "acct_1" }, "acct_1")), null);
  assert.equal(await effectWithoutReads(ev("transfer.reversed", { id: "tr_1", amount_reversed: 5 })), null);
});

/** The handler over a fake inbox that records its calls; `failApply` makes applying an effect fail. */
function fakeInbox(o: { failApply?: boolean } = {}) {
  const calls: string[] = [];
  const status = new Map<string, string>();
  const apply = (id: string, effect: WebhookEffect) => {
    if (o.failApply) throw Object.assign(new Error("no such charge"), { code: "PT404" });
    status.set(id, effect.kind === "ignore" ? "ignored" : "processed");
    return { outcome: "applied" };
  };
  const inbox: WebhookInbox = {
    receive: (e) => {
      const id = (e as { id: string }).id;
      calls.push(`receive ${id}`);
      const s = status.get(id) ?? "received";
      status.set(id, s);
      return Promise.resolve({ event_id: id, status: s as never, attempts: 0, deliveries: 1, duplicate: s !== "received" && s !== "failed" });
    },
    process: (id, effect) => {
      calls.push(`process ${id} ${effect.kind}`);
      return Promise.resolve().then(() => apply(id, effect));
    },
    receiveAndProcess: (e, _endpoint, effect) => {
      const id = (e as { id: string }).id;
      calls.push(`receiveAndProcess ${id} ${effect.kind}`);
      const before = status.get(id);
      if (before === "processed" || before === "ignored") {
        return Promise.resolve({ event_id: id, status: before, attempts: 1, deliveries: 2, duplicate: true, result: null });
      }
      return Promise.resolve().then(() => {
        const result = apply(id, effect); // throws: nothing stored (rolled back)
        return { event_id: id, status: status.get(id) as never, attempts: 1, deliveries: 1, duplicate: false, result };
      });
    },
    fail: (id, error) => {
      calls.push(`fail ${id} ${error.code}`);
      status.set(id, "failed");
      return Promise.resolve();
    },
    toRetry: () => Promise.resolve([]),
  };
  const handler = createWebhookHandler({
    secrets: { platform: PLATFORM_SECRET, connect: CONNECT_SECRET },
    inbox,
    reader: fakeReader(),
    log: createLogger({}, { sink: () => {} }),
  });
  const deliver = async (type: string, object: Record<string, unknown>, account?: string) => {
    const payload = JSON.stringify(eventPayload(type, object, { account, id: "evt_unit1" }));
    const res = await handler(
      new Request("http://x/stripe-webhook", {
        method: "POST",
        headers: { "stripe-signature": await signStripePayload(account ? CONNECT_SECRET : PLATFORM_SECRET, payload) },
        body: payload,
      }),
    );
    return { status: res.status, body: await res.json() };
  };
  return { calls, deliver };
}

Deno.test("webhook handler: an effect decided without Stripe is stored and applied in one transaction; a replay is a no-op", async () => {
  const f = fakeInbox();
  const first = await f.deliver("payout.failed", { id: "po_1", amount: 5 }, "acct_1");
  assert.deepEqual([first.status, first.body.effect, first.body.endpoint], [200, "connected_payout_failed", "connect"]);
  const again = await f.deliver("payout.failed", { id: "po_1", amount: 5 }, "acct_1");
  assert.deepEqual([again.status, again.body.duplicate], [200, true]);
  assert.deepEqual(f.calls, [
    "receiveAndProcess evt_unit1 connected_payout_failed",
    "receiveAndProcess evt_unit1 connected_payout_failed",
  ]);
});

Deno.test("webhook handler: when store-and-apply fails, the event is stored, tried again and its failure recorded (500)", async () => {
  const f = fakeInbox({ failApply: true });
  const res = await f.deliver("charge.dispute.created", { id: "dp_1", charge: "ch_unknown", amount: 5 });
  assert.deepEqual([res.status, res.body.reason], [500, "processing_failed"]);
  assert.deepEqual(f.calls, [
    "receiveAndProcess evt_unit1 payment_disputed",
    "receive evt_unit1",
    "process evt_unit1 payment_disputed",
    "fail evt_unit1 PT404",
  ]);
});

Deno.test("webhook handler: an effect that reads Stripe is decided after the event is stored", async () => {
  const f = fakeInbox();
  const res = await f.deliver("account.updated", { id: "acct_1" }, "acct_1");
  assert.deepEqual([res.status, res.body.effect], [200, "account_capability"]);
  assert.deepEqual(f.calls, ["receive evt_unit1", "process evt_unit1 account_capability"]);
});

// ---------------------------------------------------------------------------------------------
// Against the stack
// ---------------------------------------------------------------------------------------------
Deno.test("signatures: both endpoint secrets accepted; bad or stale signatures are 400 and write nothing", opts, async () => {
  const sql = adminSql();
  const restore = await useWebhookEndpoint();
  try {
    // valid, platform and Connect secrets (an unhandled type: stored and ignored)
    const p = await sendEvents({ type: "customer.created", data: { object: { id: "cus_1" } }, secret: "platform" });
    const c = await sendEvents({
      type: "customer.created",
      data: { object: { id: "cus_2" } },
      account: "acct_unknown1",
      secret: "connect",
    });
    assert.equal(p.deliveries[0].status, 200);
    assert.equal(c.deliveries[0].status, 200);
    assert.equal((await inboxRow(sql, p.events[0].id))?.endpoint, "platform");
    const rowC = await inboxRow(sql, c.events[0].id);
    assert.equal(rowC?.endpoint, "connect");
    assert.equal(rowC?.status, "ignored");
    assert.equal(rowC?.account, "acct_unknown1");

    // stale: signed 301 s ago, with each secret
    for (const secret of ["platform", "connect"] as const) {
      const s = await sendEvents({
        type: "customer.created",
        data: { object: { id: "cus_3" } },
        secret,
        signature_timestamp: Math.floor(Date.now() / 1000) - 301,
      });
      assert.equal(s.deliveries[0].status, 400, `stale ${secret}`);
      assert.equal(await inboxRow(sql, s.events[0].id), undefined);
    }

    // wrong secret, no signature, tampered body
    const body = eventPayload("invoice.paid", { id: "in_x" });
    const wrong = await postSigned(JSON.stringify(body), "whsec_not_ours");
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.reason, "signature_mismatch");
    const none = await postSigned(JSON.stringify(body), null);
    assert.equal(none.status, 400);
    assert.equal(none.body.reason, "missing_signature");
    const stale = await postSigned(JSON.stringify(body), CONNECT_SECRET, Math.floor(Date.now() / 1000) - 400);
    assert.equal(stale.body.reason, "timestamp_outside_tolerance");
    assert.equal(await inboxRow(sql, body.id), undefined);
    const get = await fetch(`${Deno.env.get("SUPABASE_URL")}/functions/v1/stripe-webhook`);
    assert.equal(get.status, 405);
    await get.body?.cancel();
  } finally {
    await restore();
    await sql.end();
  }
});

Deno.test("a replayed event is a 200 no-op: stored once, one effect", opts, async () => {
  const sql = adminSql();
  const restore = await useWebhookEndpoint();
  try {
    const r = await makeRecruiter(sql);
    const failure = { id: stripeId("po"), object: "payout", amount: 1234, currency: "usd", failure_code: "account_closed" };
    const out = await sendEvents({
      type: "payout.failed",
      data: { object: failure },
      account: r.account,
      mode: "duplicate",
    });
    assert.deepEqual(out.deliveries.map((d) => d.status), [200, 200]);
    const row = await inboxRow(sql, out.events[0].id);
    assert.equal(row?.status, "processed");
    assert.equal(row?.deliveries, 2);
    assert.equal(row?.attempts, 1);
    const failures = await sql`select * from private.connected_account_payout_failures where recruiter_id = ${r.id}`;
    assert.equal(failures.length, 1);
    assert.deepEqual(await eventTypes(sql, r.id), ["recruiter.connect_account_updated", "recruiter.bank_payout_failed"]);
    // and a third delivery later, straight to the endpoint: still nothing new
    const again = await postSigned(JSON.stringify(out.events[0]), CONNECT_SECRET);
    assert.equal(again.status, 200);
    assert.equal(again.body.duplicate, true);
    assert.equal((await inboxRow(sql, out.events[0].id))?.deliveries, 3);
  } finally {
    await restore();
    await sql.end();
  }
});

Deno.test("invoice.paid + invoice.payment_succeeded of one payment: one effect, charge kept", opts, async () => {
  const sql = adminSql();
  const restore = await useWebhookEndpoint();
  try {
    const r = await makeRecruiter(sql);
    const placementId = await makePlacement(sql, { recruiters: [r.id], shares: [6000], fee: 50000, holdbackBps: 2000 });
    const inv = await seedStripeInvoice({ amount: 50000 });
    const invoiceId = await recordInvoice(sql, placementId, inv.invoice.id);
    const out = await sendEvents({
      events: [
        { type: "invoice.paid", data: { object: inv.invoice } },
        { type: "invoice.payment_succeeded", data: { object: inv.invoice } },
      ],
    });
    assert.deepEqual(out.deliveries.map((d) => d.status), [200, 200]);
    const [i] = await sql`select * from public.placement_invoices where id = ${invoiceId}`;
    assert.equal(i.status, "paid");
    assert.equal(i.stripe_payment_intent_id, inv.paymentIntentId);
    assert.equal(
      new Date(i.collectible_at).getTime() - new Date(i.paid_at).getTime(),
      7 * 24 * 3600 * 1000,
      "collectible_at = paid_at + the settlement buffer",
    );
    assert.deepEqual(
      (await eventTypes(sql, invoiceId)).filter((t) => t !== "placement_invoice.recorded"),
      ["placement_invoice.payment_recorded", "placement_invoice.paid"],
      "one payment, one transition",
    );
    const pay = await sql`select * from private.placement_invoice_payments where invoice_id = ${invoiceId}`;
    assert.equal(pay.length, 1);
    assert.equal(pay[0].stripe_charge_id, inv.chargeId);
    assert.equal((await sql`select private.placement_source_transaction(${placementId}) as c`)[0].c, inv.chargeId);
    const rows = await Promise.all(out.events.map((e) => inboxRow(sql, e.id)));
    assert.deepEqual(rows.map((x) => [x?.status, x?.result?.outcome]), [["processed", "applied"], [
      "processed",
      "noop",
    ]]);
    // schedules: one per payout with payable money (the holdback is held), invoice.collectible
    const [p] = await payoutsOf(sql, placementId);
    assert.equal(Number(p.held_amount), 6000);
    const s = await sql`select * from public.payout_schedules where payout_id = ${p.id}`;
    assert.equal(s.length, 1);
    assert.equal(s[0].trigger_event, "invoice.collectible");
  } finally {
    await restore();
    await sql.end();
  }
});

Deno.test("invoice.paid for an invoice not recorded yet: recorded from its metadata, payouts and holdback holds created", opts, async () => {
  const sql = adminSql();
  const restore = await useWebhookEndpoint();
  try {
    const r = await makeRecruiter(sql);
    const placementId = await makePlacement(sql, { recruiters: [r.id], shares: [5000], fee: 40000, holdbackBps: 10000 });
    const inv = await seedStripeInvoice({ amount: 40000, placementId });
    const out = await sendEvents({ type: "invoice.paid", data: { object: inv.invoice } });
    assert.equal(out.deliveries[0].status, 200);
    const [i] = await sql`select * from public.placement_invoices where placement_id = ${placementId}`;
    assert.equal(i.stripe_invoice_id, inv.invoice.id);
    assert.equal(i.status, "paid");
    const [p] = await payoutsOf(sql, placementId);
    assert.equal(Number(p.amount), 20000);
    const holds = await sql`select * from public.escrow_holds where payout_id = ${p.id}`;
    assert.deepEqual(holds.map((h) => [h.hold_reason, Number(h.hold_amount)]), [["guarantee_period", 20000]]);
    // an invoice that is nobody's: ignored, not failed
    const other = await seedStripeInvoice({ amount: 100 });
    const o = await sendEvents({ type: "invoice.paid", data: { object: other.invoice } });
    assert.equal(o.deliveries[0].status, 200);
    const row = await inboxRow(sql, o.events[0].id);
    assert.equal(row?.status, "ignored");
    assert.equal(row?.effect, "ignored: unknown_invoice");
  } finally {
    await restore();
    await sql.end();
  }
});

Deno.test("invoice paid -> the tranche is paid after the settlement buffer, funded by the kept charge", opts, async () => {
  const sql = adminSql();
  const stripe = stripeClient();
  const restore = await useWebhookEndpoint();
  try {
    const r = await makeRecruiter(sql);
    const placementId = await makePlacement(sql, { recruiters: [r.id], shares: [5000], fee: 30000 });
    const inv = await seedStripeInvoice({ amount: 30000 });
    await recordInvoice(sql, placementId, inv.invoice.id);
    await sendEvents({ type: "invoice.paid", data: { object: inv.invoice } });
    const [p] = await payoutsOf(sql, placementId);
    const [i] = await sql`select * from public.placement_invoices where placement_id = ${placementId}`;
    const collectible = new Date(i.collectible_at);

    // one day before collectible: not paid (gate invoice_not_collectible)
    const early = await claimOnly(sql, [p.id], new Date(collectible.getTime() - 24 * 3600 * 1000));
    assert.equal(early.length, 0, "the schedule is not even due before the buffer ends");
    const [gate] = await sql`select * from private.payout_eligibility(${new Date(collectible.getTime() - 1000)},
      array[${p.id}]::uuid[])`;
    assert.equal(gate.reason, "invoice_not_collectible");

    // at the schedule's due time (first 02:00 UTC after collectible): claimed, transferred, paid
    const [s] = await sql`select * from public.payout_schedules where payout_id = ${p.id}`;
    assert.ok(new Date(s.next_attempt_at) >= collectible);
    const claims = await claimOnly(sql, [p.id], new Date(s.next_attempt_at));
    assert.deepEqual(claims.map((c) => [c.outcome, Number(c.amount)]), [["claimed", 15000]]);
    const trId = await payTranche(sql, stripe, claims[0], { sourceTransaction: inv.chargeId });
    const [t] = (await standin("GET", "/_standin/ledger")).transfers.filter((x: any) => x.id === trId);
    assert.equal(t.source_transaction, inv.chargeId);
    const [after] = await payoutsOf(sql, placementId);
    assert.equal(after.status, "paid");
    assert.equal(Number(after.paid_amount), 15000);
  } finally {
    await restore();
    await sql.end();
  }
});

Deno.test("account.updated out of order: the account is read again from Stripe, waiting payouts fall due", opts, async () => {
  const sql = adminSql();
  const restore = await useWebhookEndpoint();
  try {
    const r = await makeRecruiter(sql, { capability: "inactive" });
    // a payout waiting for the account: invoice paid 8 days ago, the claim skipped it
    const placementId = await makePlacement(sql, { recruiters: [r.id], shares: [5000], fee: 20000 });
    const inv = await seedStripeInvoice({ amount: 20000, paidSecondsAgo: 8 * 24 * 3600 });
    await recordInvoice(sql, placementId, inv.invoice.id);
    await sendEvents({ type: "invoice.paid", data: { object: inv.invoice } });
    const [p] = await payoutsOf(sql, placementId);
    const [s0] = await sql`select * from public.payout_schedules where payout_id = ${p.id}`;
    const skipped = await claimOnly(sql, [p.id], new Date(Math.max(Date.now(), new Date(s0.next_attempt_at).getTime())));
    assert.deepEqual(skipped.map((c) => [c.outcome, c.skip_reason]), [["skipped", "recruiter_cannot_receive_transfers"]]);
    const [s1] = await sql`select * from public.payout_schedules where payout_id = ${p.id}`;
    assert.ok(new Date(s1.next_attempt_at).getTime() > Date.now());

    // Stripe now says active; the two events arrive newest first (their snapshots disagree)
    await standin("POST", "/_standin/accounts", { id: r.account, capabilities: { transfers: "active" } });
    const acct = (cap: string) => ({ id: r.account, object: "account", capabilities: { transfers: cap } });
    const out = await sendEvents({
      events: [
        { type: "account.updated", data: { object: acct("inactive") }, account: r.account },
        { type: "account.updated", data: { object: acct("active") }, account: r.account },
      ],
      mode: "reverse_order",
    });
    assert.deepEqual(out.deliveries.map((d) => d.status), [200, 200]);
    const [rec] = await sql`select * from public.recruiters where id = ${r.id}`;
    assert.equal(rec.stripe_transfers_capability, "active", "the older snapshot (inactive) did not win");
    assert.equal(rec.can_receive_transfers, true);
    const [s2] = await sql`select * from public.payout_schedules where payout_id = ${p.id}`;
    assert.ok(new Date(s2.next_attempt_at).getTime() <= Date.now(), "the waiting payout is due now");
    assert.ok((await eventTypes(sql, s2.id)).includes("payout_schedule.rescheduled"));
    const [gate] = await sql`select * from private.payout_eligibility(now(), array[${p.id}]::uuid[])`;
    assert.equal(gate.eligible, true);

    // the account loses the capability; a late event with an "active" snapshot still reads inactive
    await standin("POST", "/_standin/accounts", { id: r.account, capabilities: { transfers: "inactive" } });
    await sendEvents({ type: "account.updated", data: { object: acct("active") }, account: r.account });
    const [rec2] = await sql`select * from public.recruiters where id = ${r.id}`;
    assert.equal(rec2.stripe_transfers_capability, "inactive");
    assert.equal(rec2.can_receive_transfers, false);
  } finally {
    await restore();
    await sql.end();
  }
});

Deno.test("a connected account's payout.failed is recorded and never re-pays the transfer", opts, async () => {
  const sql = adminSql();
  const stripe = stripeClient();
  const restore = await useWebhookEndpoint();
  try {
    const r = await makeRecruiter(sql);
    const { placementId, transfers } = await paidPlacement(sql, stripe, { recruiters: [r.id], shares: [5000], fee: 10000 });
    const [p] = await payoutsOf(sql, placementId);
    assert.equal(p.status, "paid");
    const before = await sql`select id, status, stripe_transfer_id, amount from public.payout_transfers
      where payout_id = ${p.id}`;
    const bankPayout = {
      id: stripeId("po"),
      object: "payout",
      amount: 5000,
      currency: "usd",
      status: "failed",
      failure_code: "account_closed",
      failure_message: "The bank account has been closed",
    };
    const out = await sendEvents({ type: "payout.failed", data: { object: bankPayout }, account: r.account });
    assert.equal(out.deliveries[0].status, 200);
    assert.equal(out.deliveries[0].secret, "connect");
    const [f] = await sql`select * from private.connected_account_payout_failures where stripe_payout_id = ${bankPayout.id}`;
    assert.equal(f.recruiter_id, r.id);
    assert.equal(f.failure_code, "account_closed");
    // the tranche stays succeeded, the payout paid, nothing is scheduled or transferred again
    const after = await sql`select id, status, stripe_transfer_id, amount from public.payout_transfers
      where payout_id = ${p.id}`;
    assert.deepEqual(after, before);
    assert.equal(after[0].stripe_transfer_id, transfers[p.id]);
    const [p2] = await payoutsOf(sql, placementId);
    assert.equal(p2.status, "paid");
    assert.equal(Number(p2.paid_amount), 5000);
    assert.equal(Number(p2.payable_amount), 0);
    const live = await sql`select * from public.payout_schedules where payout_id = ${p.id}
      and status in ('pending', 'processing', 'failed')`;
    assert.equal(live.length, 0);
    const claims = await claimOnly(sql, [p.id], new Date(Date.now() + 30 * 24 * 3600 * 1000));
    assert.equal(claims.length, 0);
  } finally {
    await restore();
    await sql.end();
  }
});

Deno.test("a failed processing is kept (500, status failed, last error) and retried on redelivery", opts, async () => {
  const sql = adminSql();
  const restore = await useWebhookEndpoint();
  try {
    const r = await makeRecruiter(sql);
    const placementId = await makePlacement(sql, { recruiters: [r.id], shares: [5000], fee: 10000 });
    const inv = await seedStripeInvoice({ amount: 10000, currency: "eur" }); // the placement is in USD
    await recordInvoice(sql, placementId, inv.invoice.id);
    const out = await sendEvents({ type: "invoice.paid", data: { object: inv.invoice } });
    assert.equal(out.deliveries[0].status, 500);
    const row = await inboxRow(sql, out.events[0].id);
    assert.equal(row?.status, "failed");
    assert.equal(row?.attempts, 1);
    assert.equal(row?.last_error?.code, "PT422");
    const [i] = await sql`select status from public.placement_invoices where placement_id = ${placementId}`;
    assert.equal(i.status, "open", "nothing of the failed attempt was written");
    const again = await postSigned(JSON.stringify(out.events[0]), PLATFORM_SECRET);
    assert.equal(again.status, 500);
    assert.equal((await inboxRow(sql, out.events[0].id))?.attempts, 2);
    const retry = await sql`select event_id from private.stripe_webhook_events_to_retry(1000)`;
    assert.ok(retry.some((x) => x.event_id === out.events[0].id));
  } finally {
    await restore();
    await sql.end();
  }
});

Deno.test("transfer.reversed from the stand-in's own reversal: recorded once on the tranche, reversed <= paid", opts, async () => {
  const sql = adminSql();
  const stripe = stripeClient();
  // the stand-in delivers its own transfer.* events (signed) while this test runs
  const restore = await useWebhookEndpoint({ auto: true });
  try {
    const r = await makeRecruiter(sql);
    const { placementId, transfers } = await paidPlacement(sql, stripe, { recruiters: [r.id], shares: [5000], fee: 20000 });
    const [p] = await payoutsOf(sql, placementId);
    const trId = transfers[p.id];
    const rev = await stripe.transfers.createReversal(trId, { amount: 4000 });
    await standin("POST", "/_standin/webhooks/flush");
    const { deliveries, events } = await standin("GET", "/_standin/webhooks");
    const reversedEvents = events.filter((e: any) => e.type === "transfer.reversed" && e.data.object.id === trId);
    assert.equal(reversedEvents.length, 1);
    const d = deliveries.filter((x: any) => x.event_id === reversedEvents[0].id);
    assert.deepEqual(d.map((x: any) => x.status), [200]);
    const [t] = await sql`select * from public.payout_transfers where stripe_transfer_id = ${trId}`;
    assert.equal(Number(t.reversed_amount), 4000);
    const [p2] = await payoutsOf(sql, placementId);
    assert.equal(Number(p2.reversed_amount), 4000);
    const mirror = await sql`select * from private.stripe_transfer_reversals where transfer_id = ${t.id}`;
    assert.deepEqual(mirror.map((m) => m.stripe_reversal_id), [rev.id]);
    // the same event again, and a transfer.updated for it: nothing counted twice
    await sendEvents({ events: [reversedEvents[0], { type: "transfer.updated", data: reversedEvents[0].data }] });
    const again = await postSigned(JSON.stringify(reversedEvents[0]), PLATFORM_SECRET);
    assert.equal(again.body.duplicate, true);
    const [t2] = await sql`select * from public.payout_transfers where stripe_transfer_id = ${trId}`;
    assert.equal(Number(t2.reversed_amount), 4000);
    assert.equal((await sql`select * from private.reversal_problems(${p.id})`).length, 0);
  } finally {
    await restore();
    await sql.end();
  }
});

Deno.test("dispute opened after payout: unpaid money on a dispute hold, paid payout flagged, alert raised; lost forfeits", opts, async () => {
  const sql = adminSql();
  const stripe = stripeClient();
  const restore = await useWebhookEndpoint();
  try {
    const paidR = await makeRecruiter(sql);
    const waitingR = await makeRecruiter(sql, { capability: "inactive" });
    const { placementId, chargeId, transfers } = await paidPlacement(sql, stripe, {
      recruiters: [paidR.id, waitingR.id],
      shares: [5000, 3000],
      fee: 10000,
    });
    const byRecruiter = Object.fromEntries((await payoutsOf(sql, placementId)).map((p) => [p.recruiter_id, p]));
    assert.equal(byRecruiter[paidR.id].status, "paid");
    assert.ok(transfers[byRecruiter[paidR.id].id]);
    assert.equal(Number(byRecruiter[waitingR.id].payable_amount), 3000, "the other payout waits for its account");

    const dispute = {
      id: stripeId("dp"),
      object: "dispute",
      amount: 10000,
      currency: "usd",
      charge: chargeId,
      reason: "fraudulent",
      status: "needs_response",
      created: Math.floor(Date.now() / 1000),
    };
    const out = await sendEvents({ type: "charge.dispute.created", data: { object: dispute } });
    assert.equal(out.deliveries[0].status, 200);
    const after = Object.fromEntries((await payoutsOf(sql, placementId)).map((p) => [p.recruiter_id, p]));
    assert.ok(after[paidR.id].flagged_for_reversal_at, "the paid payout is flagged");
    assert.equal(Number(after[waitingR.id].payable_amount), 0);
    assert.equal(Number(after[waitingR.id].held_amount), 3000, "the unpaid money is on hold");
    const holds = await sql`select hold_reason, hold_amount, release_scheduled_date from public.escrow_holds
      where payout_id = ${after[waitingR.id].id} and status = 'active'`;
    assert.deepEqual(holds.map((h) => [h.hold_reason, Number(h.hold_amount), h.release_scheduled_date]), [[
      "dispute",
      3000,
      null,
    ]]);
    assert.ok((await eventTypes(sql, placementId)).includes("placement.payment_disputed"), "alert event");
    // the account becomes capable: still nothing payable while disputed
    const [gate] = await sql`select * from private.payout_eligibility(now(), array[${after[waitingR.id].id}]::uuid[])`;
    assert.equal(gate.payable_amount, "0");

    const closed = await sendEvents({
      type: "charge.dispute.closed",
      data: { object: { ...dispute, status: "lost" } },
    });
    assert.equal(closed.deliveries[0].status, 200);
    const lost = Object.fromEntries((await payoutsOf(sql, placementId)).map((p) => [p.recruiter_id, p]));
    assert.equal(lost[waitingR.id].status, "forfeited");
    assert.equal(Number(lost[waitingR.id].forfeited_amount), 3000);
    assert.equal(lost[paidR.id].status, "paid");
    assert.ok(lost[paidR.id].flagged_for_reversal_at, "still flagged: for reversal");
    assert.ok((await eventTypes(sql, lost[paidR.id].id)).includes("payout.reversal_flagged"));
  } finally {
    await restore();
    await sql.end();
  }
});

Deno.test("charge.refunded holds and flags; a dispute won releases its holds", opts, async () => {
  const sql = adminSql();
  const stripe = stripeClient();
  const restore = await useWebhookEndpoint();
  try {
    // won: a payout with payable money, disputed then won
    const r = await makeRecruiter(sql, { capability: "inactive" });
    const { placementId, chargeId } = await paidPlacement(sql, stripe, { recruiters: [r.id], shares: [5000], fee: 8000 });
    const dispute = { id: stripeId("dp"), object: "dispute", amount: 8000, currency: "usd", charge: chargeId };
    await sendEvents({ type: "charge.dispute.created", data: { object: { ...dispute, status: "warning_needs_response" } } });
    const [held] = await payoutsOf(sql, placementId);
    assert.equal(Number(held.held_amount), 4000);
    await sendEvents({ type: "charge.dispute.closed", data: { object: { ...dispute, status: "won" } } });
    const [won] = await payoutsOf(sql, placementId);
    assert.equal(Number(won.held_amount), 0);
    assert.equal(Number(won.payable_amount), 4000, "won: payable again");

    // refunded: another placement, paid
    const r2 = await makeRecruiter(sql);
    const paid = await paidPlacement(sql, stripe, { recruiters: [r2.id], shares: [5000], fee: 6000 });
    const charge = { id: paid.chargeId, object: "charge", amount: 6000, amount_refunded: 6000, currency: "usd", refunded: true };
    const out = await sendEvents({ type: "charge.refunded", data: { object: charge }, mode: "duplicate" });
    assert.deepEqual(out.deliveries.map((d) => d.status), [200, 200]);
    const [p] = await payoutsOf(sql, paid.placementId);
    assert.ok(p.flagged_for_reversal_at);
    const [d] = await sql`select * from private.payment_disputes where stripe_charge_id = ${paid.chargeId}`;
    assert.equal(d.status, "refunded");
    assert.equal(Number(d.amount), 6000);
    // a dispute on a charge we do not know yet: failed and kept for retry, not lost
    const unknown = await sendEvents({
      type: "charge.dispute.created",
      data: { object: { id: stripeId("dp"), object: "dispute", amount: 1, currency: "usd", charge: stripeId("ch") } },
    });
    assert.equal(unknown.deliveries[0].status, 500);
    assert.equal((await inboxRow(sql, unknown.events[0].id))?.last_error?.code, "PT404");
  } finally {
    await restore();
    await sql.end();
  }
});
