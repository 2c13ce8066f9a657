/**
 * stripe-events-catch-up: unit tests of the run over fake dependencies (pages, budget stops,
 * progress, hand-over, sources), and the real stack: events no webhook delivered (the stand-in's
 * `mode: "lost"`, or an event made with no endpoint configured) are recovered through the webhook's
 * inbox and effects — invoice.paid, account.updated (Connect, listed with Stripe-Account),
 * charge.dispute.created — duplicates are left alone, the cursor only moves forward and the overlap
 * re-lists events created just before it.
 */
import assert from "node:assert/strict";
import { createBudget } from "../_shared/platform/budget.ts";
import { createLogger } from "../_shared/platform/log.ts";
import {
  CATCH_UP_CPU_MS,
  type CatchUpDb,
  catchUpEvents,
  type CatchUpRun,
  type CatchUpStripe,
} from "../_shared/stripe_sync/events_catch_up.ts";
import type { StripeEventLike } from "../_shared/stripe_sync/events.ts";
import {
  adminSql,
  inboxRow,
  makePlacement,
  makeRecruiter,
  paidPlacement,
  payoutsOf,
  recordInvoice,
  ringFunction,
  seedStripeInvoice,
  standin,
  stripeClient,
  stripeId,
} from "./stripe_sync_test_support.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const silent = createLogger({}, { level: "error", sink: () => {} });

// ---------------------------------------------------------------------------------------------
// Unit: the run over fakes
// ---------------------------------------------------------------------------------------------
const evt = (id: string, created: number, account?: string): StripeEventLike => ({
  id,
  type: account ? "account.updated" : "invoice.paid",
  created,
  ...(account ? { account } : {}),
  data: { object: {} },
});

function fakes(opts: {
  events: Record<string, StripeEventLike[]>;
  known?: string[];
  run?: Partial<CatchUpRun>;
  cpuStopAfterEvents?: number;
}) {
  const calls: string[] = [];
  const known = new Set(opts.known ?? []);
  let charged = 0;
  const budget = createBudget(60_000, {
    cpu: { meter: { usedMs: () => charged, charge: (ms) => (charged += ms) }, stopAtMs: 1_000 },
  });
  const run: CatchUpRun = {
    run_id: "run-1",
    since: new Date(1_000_000 * 1000),
    window_end: new Date(2_000_000 * 1000),
    sources: Object.keys(opts.events),
    covered_from: null,
    cursor_at: null,
    resumed: false,
    gap_from: null,
    gap_until: null,
    ...opts.run,
  };
  const db: CatchUpDb = {
    begin: () => Promise.resolve(run),
    notInInbox: (ids) => Promise.resolve(new Set(ids.filter((i) => !known.has(i)))),
    progress: (_r, source, from) => {
      calls.push(`progress ${source} ${from ? from.getTime() / 1000 : null}`);
      return Promise.resolve(true);
    },
    finish: (_r, result) => {
      calls.push(`finish ${JSON.stringify(result)}`);
      return Promise.resolve({ cursor_at: "end" });
    },
    handover: () => {
      calls.push("handover");
      return Promise.resolve(7);
    },
  };
  const stripe: CatchUpStripe = {
    listEvents: (source, q) => {
      calls.push(`list ${source} ${q.sinceS}..${q.untilS ?? "now"} after=${q.startingAfter ?? "-"}`);
      // newest first, 2 per page, starting after the cursor
      const all = opts.events[source].filter((e) => e.created >= q.sinceS && e.created <= (q.untilS ?? Infinity))
        .sort((a, b) => b.created - a.created);
      const from = q.startingAfter ? all.findIndex((e) => e.id === q.startingAfter) + 1 : 0;
      return Promise.resolve({
        kind: "ok",
        value: { data: all.slice(from, from + 2), has_more: from + 2 < all.length },
        attempts: 1,
      });
    },
  };
  let processed = 0;
  const process = (e: StripeEventLike, endpoint: "platform" | "connect") => {
    calls.push(`process ${e.id} ${endpoint}`);
    known.add(e.id);
    processed++;
    if (opts.cpuStopAfterEvents !== undefined && processed >= opts.cpuStopAfterEvents) charged = 10_000;
    return Promise.resolve({ kind: "applied" as const, effect: "invoice_paid" as const, outcome: "applied" });
  };
  return { calls, deps: { db, stripe, log: silent, budget, process } };
}

Deno.test("catch-up (unit): every source paged newest first, only what the inbox lacks processed, then finished", async () => {
  const f = fakes({
    events: {
      platform: [evt("evt_a", 1_500_003), evt("evt_b", 1_500_002), evt("evt_c", 1_500_001)],
      acct_1: [evt("evt_d", 1_500_005, "acct_1")],
    },
    known: ["evt_b"],
  });
  const out = await catchUpEvents(f.deps, { runId: "run-1", overlapS: 600 });
  assert.equal(out.status, "finished");
  assert.deepEqual(f.calls, [
    "list platform 1000000..now after=-",
    "process evt_a platform",
    "list platform 1000000..now after=evt_b",
    "process evt_c platform",
    "list acct_1 1000000..now after=-",
    "process evt_d connect",
    'finish {"listed":4,"recovered":3,"duplicates":0,"failed":0,"sources":2}',
  ]);
});

Deno.test("catch-up (unit): a CPU stop mid-page records the second above the next event and hands over; the continuation lists below it", async () => {
  const events = {
    platform: [evt("evt_a", 1_500_003), evt("evt_b", 1_500_002), evt("evt_c", 1_500_001)],
    acct_1: [evt("evt_d", 1_500_005, "acct_1")],
  };
  const f = fakes({ events, cpuStopAfterEvents: 1 });
  const out = await catchUpEvents(f.deps, { runId: "run-1", overlapS: 600 });
  assert.equal(out.status, "stopped");
  assert.equal(out.stopped, "cpu");
  assert.deepEqual(f.calls, [
    "list platform 1000000..now after=-",
    "process evt_a platform",
    // evt_b is next: everything created after its second is done
    "progress platform 1500003",
    "handover",
  ]);

  // the continuation: the run resumed at that position lists created <= 1500002
  const g = fakes({
    events,
    known: ["evt_a"],
    run: { covered_from: new Date(1_500_003 * 1000), resumed: true },
  });
  const again = await catchUpEvents(g.deps, { runId: "run-1", overlapS: 600 });
  assert.equal(again.status, "finished");
  assert.equal(g.calls[0], "list platform 1000000..1500002 after=-");
  assert.deepEqual(g.calls.filter((c) => c.startsWith("process")), [
    "process evt_b platform",
    "process evt_c platform",
    "process evt_d connect",
  ]);
});

Deno.test("catch-up (unit): a connected account Stripe no longer lets us read is skipped, the others are listed", async () => {
  const f = fakes({
    events: { platform: [], acct_gone: [], acct_2: [evt("evt_e", 1_500_001, "acct_2")] },
  });
  const listEvents = f.deps.stripe.listEvents;
  const out = await catchUpEvents({
    ...f.deps,
    stripe: {
      listEvents: (source, q) =>
        source === "acct_gone"
          ? Promise.resolve({
            kind: "definitive_failure",
            code: "account_invalid",
            message: "no access",
            stopRun: false,
            mayHaveExecuted: false,
            attempts: 1,
            error: new Error("account_invalid"),
          })
          : listEvents(source, q),
    },
  }, { runId: "run-1", overlapS: 600 });
  assert.equal(out.status, "finished");
  assert.deepEqual(out.sources_skipped, ["acct_gone"]);
  assert.ok(f.calls.includes("process evt_e connect"));
  assert.ok(f.calls.at(-1)?.includes('"sources_skipped":["acct_gone"]'));
});

Deno.test("catch-up (unit): Stripe still failing after the retries: stopped with the cause, position kept, no hand-over, not finished", async () => {
  const f = fakes({
    events: { platform: [evt("evt_a", 1_500_004), evt("evt_b", 1_500_003), evt("evt_c", 1_500_002)] },
  });
  const listEvents = f.deps.stripe.listEvents;
  let pages = 0;
  const out = await catchUpEvents({
    ...f.deps,
    stripe: {
      // the first page comes back, the second meets a 429 the reader gave up on
      listEvents: (source, q) =>
        ++pages === 1 ? listEvents(source, q) : Promise.resolve({
          kind: "retry_same_key",
          reason: "rate_limited",
          delayMs: 1_000,
          rateLimited: true,
          mayHaveExecuted: false,
          attempts: 3,
          error: new Error("429"),
        }),
    },
  }, { runId: "run-1", overlapS: 600 });
  assert.equal(out.status, "stopped");
  assert.equal(out.stopped, "stripe_error");
  assert.equal(out.stripe_error, "retry_same_key");
  assert.equal(out.recovered, 2);
  // the first page (the newest two) is done; its oldest second may go on in the next page, so
  // the position is the second above it
  assert.deepEqual(out.covered, { source: "platform", covered_from: new Date(1_500_004 * 1000).toISOString() });
  assert.ok(f.calls.includes("progress platform 1500004"));
  assert.equal(out.handover, null);
  assert.ok(!f.calls.includes("handover"), "no ring at once: the next cron ring continues");
  assert.ok(!f.calls.some((c) => c.startsWith("finish")), "the run stays unfinished, its cursor unmoved");
});

Deno.test("catch-up (unit): stopped before doing anything: position kept, no hand-over (no busy loop)", async () => {
  const f = fakes({ events: { platform: [evt("evt_a", 1_500_003)] } });
  f.deps.budget.cpu.charge(5_000);
  const out = await catchUpEvents(
    { ...f.deps, db: { ...f.deps.db, progress: () => Promise.resolve(false) } },
    { runId: "run-1", overlapS: 600 },
  );
  assert.equal(out.status, "stopped");
  assert.equal(out.handover, null);
  assert.ok(!f.calls.includes("handover"));
  assert.ok(CATCH_UP_CPU_MS.page > 0 && CATCH_UP_CPU_MS.event > 0);
});

// ---------------------------------------------------------------------------------------------
// Real stack
// ---------------------------------------------------------------------------------------------
type Sql = ReturnType<typeof adminSql>;

/** Rings the function until a run finishes (a stopped part hands over; this call continues too). */
async function catchUp(sql: Sql, body: Record<string, unknown> = {}) {
  const summaries: Array<Record<string, any>> = [];
  for (let i = 0; i < 40; i++) {
    const r = await ringFunction("stripe-events-catch-up", body);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    summaries.push(r.body);
    if (r.body.status === "finished") break;
  }
  assert.equal(summaries.at(-1)?.status, "finished", JSON.stringify(summaries.at(-1)));
  // a hand-over ring may still be running the last part: wait until no run is open
  for (let i = 0; i < 100; i++) {
    const [s] = await sql`select run_id from private.stripe_event_catch_up`;
    if (s.run_id === null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return summaries;
}

async function lost(events: Array<{ type: string; data: { object: unknown }; account?: string }>) {
  const r = await standin<{ events: Array<{ id: string; created: number }>; deliveries: unknown[] }>(
    "POST",
    "/_standin/webhooks/send",
    { events, mode: "lost" },
  );
  assert.equal(r.deliveries.length, 0, "lost: never delivered");
  return r.events;
}

const cursor = async (sql: Sql) => (await sql`select cursor_at from private.stripe_event_catch_up`)[0].cursor_at as Date;

Deno.test("catch-up: lost invoice.paid, account.updated and dispute events are recovered through the inbox; duplicates ignored; cursor forward only", opts, async () => {
  const sql = adminSql();
  const stripe = stripeClient();
  try {
    // 1. invoice.paid lost: the placement's invoice stays open
    const waiting = await makeRecruiter(sql, { capability: "inactive" });
    const placementId = await makePlacement(sql, { recruiters: [waiting.id], shares: [5000], fee: 30000 });
    const inv = await seedStripeInvoice({ amount: 30000 });
    const invoiceId = await recordInvoice(sql, placementId, inv.invoice.id);
    const [invoiceEvent] = await lost([{ type: "invoice.paid", data: { object: inv.invoice } }]);

    // 2. account.updated lost: Stripe's account becomes transfer-capable (no endpoint configured,
    //    so the stand-in's own Connect event goes nowhere)
    await standin("POST", "/_standin/accounts", { id: waiting.account, capabilities: { transfers: "active" } });
    const hooks = await standin<{ events: Array<{ id: string; type: string; account?: string }> }>(
      "GET",
      "/_standin/webhooks",
    );
    const accountEvent = hooks.events.filter((e) => e.type === "account.updated" && e.account === waiting.account).at(-1);
    assert.ok(accountEvent, "the stand-in made the Connect event");

    // 3. charge.dispute.created lost on a paid placement
    const paidR = await makeRecruiter(sql);
    const paid = await paidPlacement(sql, stripe, { recruiters: [paidR.id], shares: [6000], fee: 10000 });
    const dispute = {
      id: stripeId("dp"),
      object: "dispute",
      amount: 10000,
      currency: "usd",
      charge: paid.chargeId,
      reason: "fraudulent",
      status: "needs_response",
      created: Math.floor(Date.now() / 1000),
    };
    const [disputeEvent] = await lost([{ type: "charge.dispute.created", data: { object: dispute } }]);

    for (const id of [invoiceEvent.id, accountEvent.id, disputeEvent.id]) {
      assert.equal(await inboxRow(sql, id), undefined, `${id}: not in the inbox before`);
    }
    const before = await cursor(sql);

    await catchUp(sql);

    const rows = await Promise.all([invoiceEvent.id, accountEvent.id, disputeEvent.id].map((id) => inboxRow(sql, id)));
    assert.deepEqual(rows.map((r) => [r?.status, r?.endpoint, r?.deliveries]), [
      ["processed", "platform", 1],
      ["processed", "connect", 1],
      ["processed", "platform", 1],
    ]);
    const [i] = await sql`select status from public.placement_invoices where id = ${invoiceId}`;
    assert.equal(i.status, "paid", "invoice.paid recovered: the invoice is paid");
    const [rec] = await sql`select stripe_transfers_capability, can_receive_transfers from public.recruiters
      where id = ${waiting.id}`;
    assert.deepEqual([rec.stripe_transfers_capability, rec.can_receive_transfers], ["active", true],
      "account.updated recovered: the account is transfer-capable");
    const [p] = await payoutsOf(sql, paid.placementId);
    assert.ok(p.flagged_for_reversal_at, "dispute recovered: the paid payout is flagged");
    const alerts = await sql`select kind from private.payout_alert_rows() where placement_id = ${paid.placementId}`;
    assert.ok(alerts.some((a) => a.kind === "payment_disputed"), "and the dispute is an alert");

    const after = await cursor(sql);
    assert.ok(after.getTime() > (before?.getTime() ?? 0), "the cursor moved forward");

    // again: nothing new is applied twice (the inbox has them: left alone)
    const outbox = async () =>
      Number((await sql`select count(*) from public.payout_events where entity_id in (${invoiceId}, ${p.id})`)[0].count);
    const eventsBefore = await outbox();
    await catchUp(sql);
    const again = await Promise.all([invoiceEvent.id, accountEvent.id, disputeEvent.id].map((id) => inboxRow(sql, id)));
    assert.deepEqual(again.map((r) => [r?.status, r?.deliveries, r?.attempts]), rows.map((r) => [r?.status, 1, r?.attempts]));
    assert.equal(await outbox(), eventsBefore, "no second effect");
    assert.ok((await cursor(sql)).getTime() >= after.getTime(), "the cursor never moves backwards");
  } finally {
    await sql.end();
  }
});

Deno.test("catch-up: the overlap re-lists events created just before the cursor; events below it are not listed; a clock ahead is no gap", opts, async () => {
  const sql = adminSql();
  try {
    await catchUp(sql);
    const c = await cursor(sql);
    // two lost invoice.paid events of invoices nobody recorded (ignored effects), made on a stand-in
    // clock set back 2 minutes and 2 hours: created before the cursor
    const make = async (backS: number) => {
      await standin("POST", "/_standin/clock", { advance_seconds: -backS });
      try {
        const inv = await seedStripeInvoice({ amount: 1234 });
        const [e] = await lost([{ type: "invoice.paid", data: { object: inv.invoice } }]);
        return e;
      } finally {
        await standin("POST", "/_standin/clock", { advance_seconds: backS });
      }
    };
    const near = await make(120);
    const far = await make(7200);
    // and one stamped by a Stripe clock an hour ahead of ours
    const ahead = await make(-3600);
    assert.ok(near.created * 1000 < c.getTime() && far.created * 1000 < c.getTime(), "both before the cursor");

    await catchUp(sql, { overlap_seconds: 600 });
    assert.equal((await inboxRow(sql, near.id))?.status, "ignored", "within the overlap: recovered (and ignored: not ours)");
    assert.equal(await inboxRow(sql, far.id), undefined, "below cursor - overlap: not listed");
    assert.equal((await inboxRow(sql, ahead.id))?.status, "ignored", "created ahead of our clock: not skipped");
  } finally {
    await sql.end();
  }
});
