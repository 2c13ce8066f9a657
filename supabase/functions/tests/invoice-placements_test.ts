/**
 * Billing the company: the worker's decisions (unit, fakes), then against the real stack: a
 * placement created through the admin RPC (real JWTs) of a company with a billing email → intake
 * (outbox) → invoice-placements → one Stripe customer, one invoice with the fee as its item,
 * finalized and sent; the company admin sees status, amount due and hosted URL, a recruiter sees
 * nothing; paid at Stripe → invoice.paid → the placement invoice is paid. Killed mid-call and retried
 * after Stripe forgot the keys (stand-in clock + 25 h) → still one customer and one invoice. Reissue
 * with a new fee (admin, audited) → old invoice voided, payouts repriced, new one sent. Webhooks out
 * of order never move an invoice back; uncollectible → alert.
 */
import assert from "node:assert/strict";
import { createBudget, createCpuMeter } from "../_shared/platform/budget.ts";
import { createLogger } from "../_shared/platform/log.ts";
import {
  BILLING_CPU_MS,
  runBilling,
  type BillingDb,
  type BillingStripe,
  type ClaimedCompanyInvoice,
  type InvoiceInfo,
  type InvoiceStateEffect,
  processCompanyInvoice,
} from "../_shared/stripe_sync/billing.ts";
import {
  adminSql,
  createUser,
  eventPayload,
  eventually,
  functionWorkerPids,
  makeAdmin,
  makeRecruiter,
  PLATFORM_SECRET,
  postSigned,
  rest,
  ringFunction,
  standin,
  useWebhookEndpoint,
} from "./stripe_sync_test_support.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const quiet = createLogger({}, { sink: () => {} });

// ---------------------------------------------------------------------------------------------
// Unit: the worker's decisions
// ---------------------------------------------------------------------------------------------
function fakes(over: { row?: Partial<ClaimedCompanyInvoice>; existing?: InvoiceInfo | null; customer?: string | null } = {}) {
  const calls: string[] = [];
  const states: InvoiceStateEffect[] = [];
  const row: ClaimedCompanyInvoice = {
    id: "ci1",
    invoice_id: "pi1",
    placement_id: "pl1",
    company_id: "co1",
    issue: 1,
    currency: "USD",
    amount_due: "5000",
    description: "Placement fee",
    status: "pending",
    stripe_customer_id: null,
    stripe_invoice_id: null,
    stripe_invoice_item_id: null,
    sent_at: null,
    void_requested_at: null,
    idempotency_key: "company_invoice:ci1",
    attempts: 1,
    company_name: "Acme",
    billing_email: "ap@acme.test",
    company_customer_id: null,
    placement_title: "",
    days_until_due: 30,
    ...over.row,
  };
  let inv: InvoiceInfo | null = over.existing ?? null;
  const info = (status: string, items: string[] = inv?.item_ids ?? []): InvoiceInfo => ({
    id: inv?.id ?? "in_new",
    status,
    customer: "cus_1",
    amount_due: items.length ? 5000 : 0,
    currency: "usd",
    number: status === "draft" ? null : "N-1",
    hosted_invoice_url: status === "draft" ? null : "https://x",
    due_date: null,
    finalized_at: null,
    metadata: { company_invoice_id: "ci1" },
    item_ids: items,
  });
  const db: BillingDb = {
    intake: () => Promise.resolve(0),
    claim: () => Promise.resolve([]),
    recordCustomer: (_id, c) => (calls.push(`store ${c}`), Promise.resolve()),
    recordState: (e) => (states.push(e), Promise.resolve({ outcome: "applied", status: e.status })),
    noteError: (_id, e) => (calls.push(`defer ${e.code}`), Promise.resolve()),
    fail: (_id, code) => (calls.push(`fail ${code}`), Promise.resolve()),
    release: () => Promise.resolve(0),
    handover: () => Promise.resolve(null),
  };
  const ok = <T>(value: T) => Promise.resolve({ kind: "ok" as const, attempts: 1, value });
  const stripe: BillingStripe = {
    findCustomer: () => (calls.push("search customer"), Promise.resolve(over.customer ?? null)),
    createCustomer: (_p, key) => (calls.push(`create customer ${key}`), ok({ id: "cus_1" })),
    retrieveInvoice: () => Promise.resolve(inv),
    findInvoice: () => (calls.push("search invoice"), Promise.resolve(inv)),
    createInvoice: (_p, key) => (calls.push(`create invoice ${key}`), ok(inv = info("draft", []))),
    createInvoiceItem: (_p, key) => (calls.push(`create item ${key}`), inv = info(inv!.status, ["ii_1"]), ok({ id: "ii_1" })),
    finalize: (_id, key) => (calls.push(`finalize ${key}`), ok(inv = info("open"))),
    send: (_id, key) => (calls.push(`send ${key}`), ok(inv = info("open"))),
    voidInvoice: (_id, key) => (calls.push(`void ${key}`), ok(inv = info("void"))),
  };
  return { row, db, stripe, calls, states };
}

Deno.test("processCompanyInvoice: customer, draft, item on it, finalize, send, each under its stored key", async () => {
  const f = fakes();
  assert.equal(await processCompanyInvoice(f.row, { ...f, log: quiet }), "sent");
  assert.deepEqual(f.calls, [
    "search customer",
    "create customer company_invoice:ci1:customer",
    "store cus_1",
    "search invoice",
    "create invoice company_invoice:ci1:invoice",
    "create item company_invoice:ci1:item",
    "finalize company_invoice:ci1:finalize",
    "send company_invoice:ci1:send",
  ]);
  assert.deepEqual(f.states.map((s) => s.status ?? `item ${s.stripe_invoice_item_id}`), ["draft", "item ii_1", "open", "open"]);
  assert.equal(f.states.at(-1)?.sent, true);
});

Deno.test("processCompanyInvoice: after a crash, what Stripe has is found, never made again", async () => {
  const existing: InvoiceInfo = {
    id: "in_old",
    status: "open",
    customer: "cus_old",
    amount_due: 5000,
    currency: "usd",
    number: "N-1",
    hosted_invoice_url: "https://x",
    due_date: null,
    finalized_at: 1,
    metadata: { company_invoice_id: "ci1" },
    item_ids: ["ii_1"],
  };
  const f = fakes({ existing, customer: "cus_old" });
  assert.equal(await processCompanyInvoice(f.row, { ...f, log: quiet }), "sent");
  assert.deepEqual(f.calls, ["search customer", "store cus_old", "search invoice", "send company_invoice:ci1:send"]);
  // already sent: nothing at all is called but reads
  const g = fakes({ existing, row: { stripe_customer_id: "cus_old", stripe_invoice_id: "in_old", sent_at: "x" } });
  assert.equal(await processCompanyInvoice(g.row, { ...g, log: quiet }), "settled");
  assert.deepEqual(g.calls, []);
});

Deno.test("processCompanyInvoice: superseded draft is finalized then voided; a refusal fails it", async () => {
  const draft: InvoiceInfo = {
    id: "in_d",
    status: "draft",
    customer: "cus_1",
    amount_due: 5000,
    currency: "usd",
    number: null,
    hosted_invoice_url: null,
    due_date: null,
    finalized_at: null,
    metadata: {},
    item_ids: ["ii_1"],
  };
  const f = fakes({ existing: draft, row: { stripe_customer_id: "cus_1", stripe_invoice_id: "in_d", void_requested_at: "x" } });
  assert.equal(await processCompanyInvoice(f.row, { ...f, log: quiet }), "voided");
  assert.deepEqual(f.calls, ["finalize company_invoice:ci1:finalize", "void company_invoice:ci1:void"]);
  assert.equal(f.states.at(-1)?.status, "void");

  const g = fakes();
  g.stripe.createCustomer = () =>
    Promise.resolve({
      kind: "definitive_failure",
      code: "email_invalid",
      message: "bad email",
      stopRun: false,
      mayHaveExecuted: false,
      attempts: 1,
      error: null,
    } as any);
  assert.equal(await processCompanyInvoice(g.row, { ...g, log: quiet }), "failed");
  assert.deepEqual(g.calls, ["search customer", "fail email_invalid"]);
});

/** runBilling over `pending` sent-already invoices (one retrieve each), on a virtual CPU meter. */
function budgetedBilling(o: { pending: number; cpuAtStart: number; cpuPerInvoice: number; measured?: boolean }) {
  const calls: string[] = [];
  let cpu = o.cpuAtStart;
  const queue = Array.from({ length: o.pending }, (_, i) => `c${i + 1}`);
  const f = fakes();
  const db: BillingDb = {
    ...f.db,
    intake: () => (calls.push("intake"), Promise.resolve(0)),
    claim: (limit) => {
      const ids = queue.splice(0, limit);
      calls.push(`claim ${ids.length}`);
      return Promise.resolve(ids.map((id) => ({ ...f.row, id, stripe_customer_id: "cus_1", stripe_invoice_id: "in_x", sent_at: "x" })));
    },
    release: (ids) => (calls.push(`release ${ids.join(",")}`), queue.unshift(...ids), Promise.resolve(ids.length)),
    handover: () => (calls.push("handover"), Promise.resolve(queue.length ? 7 : null)),
  };
  const stripe: BillingStripe = {
    ...f.stripe,
    retrieveInvoice: (id) => {
      cpu += o.cpuPerInvoice;
      return Promise.resolve({
        id, status: "open", customer: "cus_1", amount_due: 5000, currency: "usd", number: "N", hosted_invoice_url: "u",
        due_date: null, finalized_at: 1, metadata: {}, item_ids: ["ii"],
      });
    },
  };
  const meter = createCpuMeter({ measured: () => (o.measured === false ? null : cpu), startMs: 0, cacheMs: 0 });
  const budget = createBudget(100_000, { now: () => 0, cpu: { meter, stopAtMs: 1_500 } });
  return { calls, queue, meter, run: () => runBilling({ db, stripe, log: quiet, budget }, { limit: 10, leaseS: 120 }) };
}

Deno.test("runBilling: intake first; within the CPU budget, hand back past the line, hand over when stopped", async () => {
  const done = budgetedBilling({ pending: 12, cpuAtStart: 200, cpuPerInvoice: 10 });
  const a = await done.run();
  assert.equal(done.calls[0], "intake");
  assert.deepEqual([a.claimed, a.settled, a.stopped, a.handover], [12, 12, null, null]);
  // 1 450 ms at the start, 80 ms an invoice: five started (the fifth crossed the hand-back line), five handed back
  const late = budgetedBilling({ pending: 10, cpuAtStart: 1_450, cpuPerInvoice: 80 });
  const b = await late.run();
  assert.deepEqual([b.claimed, b.handed_back, b.stopped, b.handover], [5, 5, "cpu", 7]);
  assert.deepEqual(late.queue, ["c6", "c7", "c8", "c9", "c10"], "claimable again at once");
  // a runtime without CPU figures: the charged estimate stops it
  const blind = budgetedBilling({ pending: 400, cpuAtStart: 0, cpuPerInvoice: 0, measured: false });
  blind.meter.charge(250);
  const c = await blind.run();
  assert.equal(c.stopped, "cpu");
  assert.equal(c.claimed, Math.ceil((1_500 - 250) / BILLING_CPU_MS / 10) * 10);
});

// ---------------------------------------------------------------------------------------------
// Against the stack
// ---------------------------------------------------------------------------------------------
interface Billed {
  companyId: string;
  placementId: string;
  admin: { id: string; jwt: string };
  companyAdmin: { id: string; jwt: string };
  recruiter: { id: string; userId: string };
}

/** A company with a billing email and a company admin, and a placement created through the admin RPC. */
async function billedPlacement(sql: ReturnType<typeof adminSql>, fee = 250000): Promise<Billed> {
  const admin = await makeAdmin(sql);
  const recruiter = await makeRecruiter(sql);
  const co = await rest(admin.jwt, "POST", "rpc/create_company", { p_name: `Billing test ${crypto.randomUUID()}` });
  assert.equal(co.status, 200, JSON.stringify(co.body));
  const email = await rest(admin.jwt, "POST", "rpc/set_company_billing_email", {
    p_company_id: co.body.id,
    p_billing_email: "ap@billing.test",
  });
  assert.equal(email.status, 200, JSON.stringify(email.body));
  const companyAdmin = await createUser(sql, `ap-${crypto.randomUUID()}@billing.test`);
  const m = await rest(admin.jwt, "POST", "rpc/add_company_member", {
    p_company_id: co.body.id,
    p_user_id: companyAdmin.id,
    p_role: "company_admin",
  });
  assert.equal(m.status, 200, JSON.stringify(m.body));
  const pl = await rest(admin.jwt, "POST", "rpc/create_placement", {
    p_company_id: co.body.id,
    p_fee_amount: fee,
    p_currency: "USD",
    p_hired_at: new Date(Date.now() - 86_400_000).toISOString(),
    p_guarantee_days: 90,
    p_splits: [{ recruiter_id: recruiter.id, role: "candidate_recruiter", share_bps: 6000 }],
    p_holdback_bps: 5000,
    p_title: "Staff engineer",
  });
  assert.equal(pl.status, 200, JSON.stringify(pl.body));
  return { companyId: co.body.id, placementId: pl.body.id, admin, companyAdmin, recruiter };
}

async function companyInvoices(sql: ReturnType<typeof adminSql>, placementId: string) {
  return await sql`select * from public.company_invoices where placement_id = ${placementId} order by issue`;
}

async function stripeBooks(companyId: string) {
  const ledger = await standin("GET", "/_standin/ledger");
  const customers = ledger.customers.filter((c: any) => c.metadata?.company_id === companyId);
  const ids = new Set(customers.map((c: any) => c.id));
  const invoices = ledger.invoices.filter((i: any) => ids.has(i.customer));
  const items = ledger.invoice_items.filter((i: any) => ids.has(i.customer));
  return { customers, invoices, items };
}

/** Rings the worker until the placement's invoices are all settled (sent, or void when superseded). */
async function billUntilSent(sql: ReturnType<typeof adminSql>, placementId: string, issues = 1) {
  return await eventually(async () => {
    const r = await ringFunction("invoice-placements", { lease_seconds: 30 });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const rows = await companyInvoices(sql, placementId);
    return rows.length === issues && rows.every((x) => !x.work_due) ? rows : null;
  }, "the placement to be invoiced", 30000);
}

Deno.test("a new placement is invoiced once at Stripe; the company admin sees it, a recruiter does not; paid → collectible", opts, async () => {
  const sql = adminSql();
  const restore = await useWebhookEndpoint({ auto: true });
  try {
    const b = await billedPlacement(sql);
    const [row] = await billUntilSent(sql, b.placementId);
    assert.equal(row.status, "open");
    assert.ok(row.sent_at, "sent");
    assert.equal(Number(row.amount_due), 250000);
    const books = await stripeBooks(b.companyId);
    assert.equal(books.customers.length, 1, "one customer");
    assert.equal(books.invoices.length, 1, "one invoice");
    assert.equal(books.items.length, 1, "the fee as one item");
    const inv = books.invoices[0];
    assert.equal(inv.collection_method, "send_invoice");
    assert.equal(inv.auto_advance, false);
    assert.equal(inv.due_date - inv.status_transitions.finalized_at, 30 * 86_400, "days_until_due from settings");
    assert.equal(inv.amount_due, 250000);
    assert.equal(inv.metadata.placement_id, b.placementId);
    assert.equal(books.items[0].invoice, inv.id, "the item is on the invoice, not pending");
    const [pinv] = await sql`select * from public.placement_invoices where placement_id = ${b.placementId}`;
    assert.equal(pinv.status, "open");
    assert.equal(pinv.stripe_invoice_id, inv.id);
    const [co] = await sql`select stripe_customer_id from public.companies where id = ${b.companyId}`;
    assert.equal(co.stripe_customer_id, books.customers[0].id);

    // the company admin: status, amount due, hosted URL; no Stripe ids
    const seen = await rest(b.companyAdmin.jwt, "GET",
      `company_invoices?placement_id=eq.${b.placementId}&select=status,amount_due,currency,hosted_invoice_url,number`);
    assert.equal(seen.status, 200);
    assert.equal(seen.body.length, 1);
    assert.equal(seen.body[0].status, "open");
    assert.equal(seen.body[0].amount_due, 250000);
    assert.match(seen.body[0].hosted_invoice_url, /^https:\/\/invoice\.stripe\.com\//);
    const ids = await rest(b.companyAdmin.jwt, "GET", `company_invoices?select=idempotency_key`);
    assert.ok(ids.status === 401 || ids.status === 403, `keys are not granted (${ids.status})`);
    // a recruiter of the placement sees no company billing data
    const { userJwt } = await import("./stripe_sync_test_support.ts");
    const rjwt = await userJwt(b.recruiter.userId);
    const r1 = await rest(rjwt, "GET", `company_invoices?placement_id=eq.${b.placementId}&select=id`);
    assert.equal(r1.status, 200);
    assert.deepEqual(r1.body, []);

    // ringing again changes nothing at Stripe
    await ringFunction("invoice-placements");
    const again = await stripeBooks(b.companyId);
    assert.equal(again.invoices.length, 1);

    // the company pays (stand-in: pay as the hosted page would) → invoice.paid → paid
    const { stripeClient } = await import("./stripe_sync_test_support.ts");
    await stripeClient().invoices.pay(inv.id);
    await eventually(async () => {
      const [p] = await sql`select status, collectible_at from public.placement_invoices where placement_id = ${b.placementId}`;
      return p.status === "paid" ? p : null;
    }, "invoice.paid to mark the placement invoice paid", 20000);
    const [ci] = await companyInvoices(sql, b.placementId);
    assert.equal(ci.status, "paid");
  } finally {
    await restore();
    await sql.end();
  }
});

Deno.test("killed mid-call, retried after Stripe forgot the keys: one customer, one invoice", opts, async () => {
  const sql = adminSql();
  try {
    const b = await billedPlacement(sql, 90000);
    // the intake (a ring with no time to work: the fault below holds the first create)
    // Stripe makes the draft at once and answers late: the worker is killed before it hears back
    await standin("POST", "/_standin/faults", { kind: "latency_after", method: "POST", path: "/v1/invoices", latency_ms: 3000 });
    let advanced = 0;
    try {
      const call = ringFunction("invoice-placements", { lease_seconds: 2 }).catch((e) => e);
      await eventually(async () => ((await stripeBooks(b.companyId)).invoices.length === 1 ? true : null), "the draft at Stripe", 15000);
      for (const pid of await functionWorkerPids("invoice-placements")) Deno.kill(pid, "SIGKILL");
      await call;
      const [mid] = await companyInvoices(sql, b.placementId);
      assert.ok(mid.stripe_customer_id, "the customer was stored before the invoice call");
      assert.equal(mid.stripe_invoice_id, null, "the killed worker never stored the invoice");
      await standin("DELETE", "/_standin/faults");
      // a long outage: Stripe prunes the keys after 24 h
      await standin("POST", "/_standin/clock", { advance_seconds: 25 * 3600 });
      advanced = 25 * 3600;
      await eventually(async () => {
        const [x] = await sql`select next_attempt_at < now() as free from public.company_invoices where id = ${mid.id}`;
        return x.free ? true : null;
      }, "the lease to expire", 10000);
      await billUntilSent(sql, b.placementId);
    } finally {
      await standin("DELETE", "/_standin/faults");
      if (advanced) await standin("POST", "/_standin/clock", { advance_seconds: -advanced });
    }
    const books = await stripeBooks(b.companyId);
    assert.equal(books.customers.length, 1, "exactly one customer");
    assert.equal(books.invoices.length, 1, "exactly one invoice");
    assert.equal(books.items.length, 1, "exactly one item");
    assert.equal(books.invoices[0].status, "open");
    const [row] = await companyInvoices(sql, b.placementId);
    assert.equal(row.stripe_invoice_id, books.invoices[0].id);
    assert.equal(row.stripe_invoice_item_id, books.items[0].id);
    assert.ok(row.attempts >= 2);
    // the stand-in's request log: one successful create per object, each under its stored key
    const log = await standin("GET", "/_standin/requests?method=POST");
    const mine = log.data.filter((r: any) => String(r.idempotency_key ?? "").startsWith(row.idempotency_key));
    // executed and stored by Stripe (the killed call's answer was never delivered: no status sent)
    const created = (path: string) =>
      mine.filter((r: any) => r.path === path && (r.stored_status ?? r.status) === 200 && !r.replayed).length;
    assert.equal(created("/v1/customers"), 1);
    assert.equal(created("/v1/invoices"), 1);
    assert.equal(created("/v1/invoiceitems"), 1);
  } finally {
    await sql.end();
  }
});

Deno.test("reissue with a new fee: admin only, audited; the old invoice voided, payouts repriced, a new one sent", opts, async () => {
  const sql = adminSql();
  const restore = await useWebhookEndpoint({ auto: true });
  try {
    const b = await billedPlacement(sql, 100000);
    const [first] = await billUntilSent(sql, b.placementId);
    const { userJwt } = await import("./stripe_sync_test_support.ts");
    const denied = await rest(await userJwt(b.recruiter.userId), "POST", "rpc/reissue_placement_invoice", {
      p_placement_id: b.placementId,
      p_fee_amount: 120000,
      p_reason: "x",
    });
    assert.equal(denied.status, 403);
    const noReason = await rest(b.admin.jwt, "POST", "rpc/reissue_placement_invoice", { p_placement_id: b.placementId });
    assert.equal(noReason.status, 400);
    const res = await rest(b.admin.jwt, "POST", "rpc/reissue_placement_invoice", {
      p_placement_id: b.placementId,
      p_fee_amount: 120000,
      p_reason: "fee renegotiated",
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.issue, 2);
    assert.equal(res.body.amount_due, 120000);
    const [po] = await sql`select amount, held_amount, payable_amount from public.payouts where placement_id = ${b.placementId}`;
    assert.deepEqual([Number(po.amount), Number(po.held_amount), Number(po.payable_amount)], [72000, 36000, 36000]);
    const rows = await billUntilSent(sql, b.placementId, 2);
    assert.equal(rows[0].status, "void");
    assert.equal(rows[1].status, "open");
    assert.ok(rows[1].sent_at);
    const books = await stripeBooks(b.companyId);
    assert.equal(books.customers.length, 1);
    assert.deepEqual(books.invoices.map((i: any) => [i.status, i.amount_due]).sort(), [["open", 120000], ["void", 100000]]);
    const [pinv] = await sql`select amount_due, stripe_invoice_id, status from public.placement_invoices
      where placement_id = ${b.placementId}`;
    assert.deepEqual([Number(pinv.amount_due), pinv.stripe_invoice_id, pinv.status], [120000, rows[1].stripe_invoice_id, "open"]);
    const [audit] = await sql`select changed_by, changed_by_role from public.payout_audit_log
      where entity_type = 'company_invoice' and entity_id = ${first.id} and action = 'company_invoice.supersede'`;
    assert.deepEqual([audit.changed_by, audit.changed_by_role], [b.admin.id, "platform_admin"]);
    const [ev] = await sql`select payload from public.payout_events where entity_id = ${b.placementId}
      and event_type = 'placement.repriced'`;
    assert.equal(ev.payload.to_fee_amount, 120000);
    // no alert: the voided invoice was superseded
    const alerts = await sql`select kind from private.payout_alert_rows() where placement_id = ${b.placementId}`;
    assert.equal(alerts.length, 0);
  } finally {
    await restore();
    await sql.end();
  }
});

Deno.test("webhooks out of order never move an invoice back; uncollectible → alert for an admin", opts, async () => {
  const sql = adminSql();
  try {
    const b = await billedPlacement(sql, 70000);
    const [row] = await billUntilSent(sql, b.placementId);
    const { stripeClient } = await import("./stripe_sync_test_support.ts");
    const stripe = stripeClient();
    const marked = await stripe.invoices.markUncollectible(row.stripe_invoice_id);
    // delivered late and in reverse: marked_uncollectible first, then an old finalized / sent
    const late = { ...marked, status: "open" };
    for (const [type, obj] of [["invoice.marked_uncollectible", marked], ["invoice.sent", late], ["invoice.finalized", late]] as const) {
      const r = await postSigned(JSON.stringify(eventPayload(type, obj)), PLATFORM_SECRET);
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
    const [after] = await companyInvoices(sql, b.placementId);
    assert.equal(after.status, "uncollectible");
    const [pinv] = await sql`select status from public.placement_invoices where placement_id = ${b.placementId}`;
    assert.equal(pinv.status, "uncollectible");
    const alerts = await sql`select kind, amount from private.payout_alert_rows() where placement_id = ${b.placementId}`;
    assert.deepEqual(alerts.map((a) => [a.kind, Number(a.amount)]), [["company_invoice_uncollectible", 70000]]);
    // an invoice nobody requested is ignored
    const stranger = await postSigned(
      JSON.stringify(eventPayload("invoice.voided", { id: "in_NotOurs1", object: "invoice", status: "void", metadata: {} })),
      PLATFORM_SECRET,
    );
    assert.equal(stranger.status, 200);
  } finally {
    await sql.end();
  }
});
