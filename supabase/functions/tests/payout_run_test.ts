/**
 * payout_run/ decisions without the stack: a fake database and a fake Stripe gateway record
 * what the run does for each outcome (send, adopt, fail, unknown, defer, stop) and in which order.
 * Paid outcomes are recorded in batches (`paidMany`, falling back to `paid` one by one); the
 * recorder's delay runs on a `VirtualClock` that only moves when a test says so.
 */
import assert from "node:assert/strict";
import { createBudget } from "../_shared/platform/budget.ts";
import { createLogger } from "../_shared/platform/log.ts";
import { runPayoutInvocation } from "../_shared/payout_run/invocation.ts";
import type { PaidOutcome } from "../_shared/payout_run/paid_recorder.ts";
import { transferParams } from "../_shared/payout_run/send.ts";
import type {
  ClaimRow,
  FailedState,
  InvocationOutcome,
  ReconcileRow,
  RunConfig,
  RunDb,
  StoredRequest,
  StripeGateway,
  Tranche,
  TransferParams,
} from "../_shared/payout_run/types.ts";
import type { StripeCallResult, TransferInfo } from "../_shared/platform/stripe.ts";
import { VirtualClock } from "./virtual_clock.ts";

const NOW = Date.parse("2026-11-29T12:00:00Z");
let seq = 0;
const uuid = () => `00000000-0000-4000-8000-${String(++seq).padStart(12, "0")}`;

function tranche(over: Partial<Tranche> = {}): Tranche {
  const transferId = over.transferId ?? uuid();
  const placementId = over.placementId ?? uuid();
  return {
    transferId,
    payoutId: uuid(),
    scheduleId: uuid(),
    placementId,
    amount: "12500",
    currency: "USD",
    destination: "acct_dest1",
    idempotencyKey: `payout_transfer:${transferId}`,
    attemptNumber: 1,
    transferGroup: `placement_${placementId}`,
    stripeInvoiceId: null,
    stripePaymentIntentId: null,
    sourceChargeId: null,
    createdAt: new Date(NOW - 60_000),
    request: null,
    ...over,
  };
}
const claimed = (t: Tranche): ClaimRow => ({ outcome: "claimed", ...t });
const recon = (t: Tranche, over: Partial<ReconcileRow> = {}): ReconcileRow => ({
  ...t,
  transferStatus: "pending",
  scheduleStatus: "processing",
  gateReason: null,
  ...over,
});
const storedFor = (t: Tranche, ageMs: number): StoredRequest => ({
  params: transferParams(t, null),
  preparedAt: new Date(NOW - ageMs),
});
const stripeTransfer = (t: Tranche, over: Partial<TransferInfo> = {}): TransferInfo => ({
  id: `tr_${t.transferId.slice(-6)}`,
  amount: Number(t.amount),
  currency: "usd",
  destination: t.destination,
  created: 1,
  transfer_group: t.transferGroup,
  source_transaction: null,
  metadata: { payout_id: t.payoutId, payout_transfer_id: t.transferId, attempt_number: "1" },
  ...over,
});

/** The transfer Stripe would create for these params. */
const transferFor = (p: TransferParams): TransferInfo => ({
  id: `tr_${p.metadata.payout_transfer_id.slice(-6)}`,
  amount: p.amount,
  currency: p.currency,
  destination: p.destination,
  created: 1,
  transfer_group: p.transfer_group,
  source_transaction: p.source_transaction ?? null,
  metadata: { ...p.metadata },
});

type Result = StripeCallResult<TransferInfo>;
const ok = (tr: TransferInfo): Result => ({ kind: "ok", value: tr, attempts: 1 });
const definitive = (code: string, stopRun = false): Result => ({
  kind: "definitive_failure",
  code,
  message: `${code} message`,
  stopRun,
  mayHaveExecuted: false,
  status: stopRun ? 401 : 400,
  attempts: 1,
  error: null,
});
const unknown500: Result = {
  kind: "unknown_outcome",
  reason: "stripe_500",
  status: 500,
  mayHaveExecuted: true,
  attempts: 1,
  error: null,
};
const rateLimited: Result = {
  kind: "retry_same_key",
  reason: "rate_limited",
  delayMs: 0,
  rateLimited: true,
  mayHaveExecuted: false,
  status: 429,
  attempts: 3,
  exhausted: true,
  error: null,
};
const dropped: Result = {
  kind: "retry_same_key",
  reason: "connection_error",
  delayMs: 500,
  rateLimited: false,
  mayHaveExecuted: true,
  attempts: 3,
  exhausted: true,
  error: null,
};

class FakeDb implements RunDb {
  log: string[] = [];
  reconQueue: ReconcileRow[][] = [];
  batchQueue: ClaimRow[][] = [];
  paused = false;
  requests = new Map<string, StoredRequest>();
  failThrowsFor = new Set<string>();
  paidThrowsFor = new Set<string>();
  finishedWith: InvocationOutcome | null = null;
  begin() {
    this.log.push("begin");
    return Promise.resolve({ runId: "run-1", resumed: false, paused: this.paused });
  }
  heartbeat() {
    this.log.push("heartbeat");
    return Promise.resolve({ alive: true, paused: this.paused });
  }
  claimReconciliations() {
    this.log.push("claimReconciliations");
    return Promise.resolve(this.reconQueue.shift() ?? []);
  }
  claimBatch() {
    this.log.push("claimBatch");
    return Promise.resolve(this.batchQueue.shift() ?? []);
  }
  prepare(_inv: string, reqs: { transferId: string; params: TransferParams }[]) {
    this.log.push(`prepare ${reqs.map((r) => r.transferId).join(",")}`);
    for (const r of reqs) {
      if (!this.requests.has(r.transferId)) {
        this.requests.set(r.transferId, { params: r.params, preparedAt: new Date(NOW) });
      }
    }
    return Promise.resolve(new Map(reqs.map((r) => [r.transferId, this.requests.get(r.transferId)!])));
  }
  /** Every paidMany call's transfer ids, and every single paid call's. */
  paidManyCalls: string[][] = [];
  paidOneCalls: string[] = [];
  /** Errors of paidMany calls (all or nothing: a batch with a paidThrowsFor id fails as a whole). */
  paidManyError = (id: string) => Object.assign(new Error(`tranche ${id}: illegal transition`), { code: "PT409" });
  /** Runs before a paidMany call does anything (tests hold or observe it). */
  beforePaidMany: (items: PaidOutcome[]) => Promise<void> | void = () => {};
  paid(_inv: string, id: string, tr: string, adopted: boolean) {
    this.paidOneCalls.push(id);
    if (this.paidThrowsFor.has(id)) return Promise.reject(new Error("connection lost"));
    this.log.push(`${adopted ? "adopted" : "paid"} ${id} ${tr}`);
    return Promise.resolve();
  }
  /** Logs `batch <ids>` then, once committed, one `paid`/`adopted` line per tranche. */
  async paidMany(_inv: string, items: PaidOutcome[]) {
    this.paidManyCalls.push(items.map((i) => i.transferId));
    this.log.push(`batch ${items.map((i) => i.transferId).join(",")}`);
    await this.beforePaidMany(items);
    const bad = items.find((i) => this.paidThrowsFor.has(i.transferId));
    if (bad) throw this.paidManyError(bad.transferId);
    for (const i of items) this.log.push(`${i.adopted ? "adopted" : "paid"} ${i.transferId} ${i.stripeTransferId}`);
  }
  failed(_inv: string, id: string, _reason: string, code: string | null): Promise<FailedState> {
    this.log.push(`failed ${id} ${code}`);
    return Promise.resolve({
      retryCount: 1,
      maxAttempts: 3,
      exhausted: false,
      nextAttemptAt: null,
      connectRequired: false,
    });
  }
  unknown(_inv: string, id: string, _reason: string, settle: number) {
    this.log.push(`unknown ${id} settle=${settle}`);
    return Promise.resolve();
  }
  defer(_inv: string, id: string, delay: number, reason: string) {
    this.log.push(`defer ${id} ${delay} ${reason.split(":")[0]}`);
    return Promise.resolve();
  }
  error(_inv: string, err: { code: string }) {
    this.log.push(`error ${err.code}`);
    return Promise.resolve();
  }
  finish(_inv: string, outcome: InvocationOutcome) {
    this.finishedWith = outcome;
    this.log.push(`finish ${outcome}`);
    return Promise.resolve({ runId: "run-1", status: "finished" });
  }
  only(prefix: string) {
    return this.log.filter((l) => l.startsWith(prefix));
  }
}

class FakeStripe implements StripeGateway {
  creates: Array<{ params: TransferParams; key: string }> = [];
  results: Result[] = [];
  groups = new Map<string, TransferInfo[]>();
  listCalls: string[] = [];
  charges = new Map<string, string>();
  /** When no result is queued: answer ok with the transfer the params ask for (else a definitive failure). */
  okByDefault = false;
  createTransfer(params: TransferParams, key: string) {
    this.creates.push({ params, key });
    const fallback = this.okByDefault ? ok(transferFor(params)) : definitive("unexpected_call");
    return Promise.resolve(this.results.shift() ?? fallback);
  }
  listTransferGroup(group: string) {
    this.listCalls.push(group);
    return Promise.resolve({ ok: true as const, transfers: this.groups.get(group) ?? [] });
  }
  resolveSourceCharge(inv: { stripeInvoiceId: string | null }) {
    return Promise.resolve(inv.stripeInvoiceId ? this.charges.get(inv.stripeInvoiceId) ?? null : null);
  }
}

const config: RunConfig = {
  batchSize: 25,
  concurrency: 1,
  leaseSeconds: 900,
  settleSeconds: 120,
  keyWindowMs: 23 * 3_600_000,
  stopMarginMs: 0,
  maxSendRounds: 3,
  deferSeconds: 15,
  recordMaxDelayMs: 250,
};

/**
 * Runs one invocation. The recorder's delay runs on `timers` (a VirtualClock nobody advances unless
 * the test does: by default a batch is recorded at batchSize or before the invocation ends).
 * Every "payout decision" line is also logged into db.log as `decision <decision> <transfer id>`.
 */
function run(
  db: FakeDb,
  stripe: FakeStripe,
  over: Partial<RunConfig> = {},
  extra: { timers?: VirtualClock; budget?: ReturnType<typeof createBudget> } = {},
) {
  const lines: string[] = [];
  const log = createLogger({ fn: "test" }, {
    sink: (l) => {
      lines.push(l);
      const j = JSON.parse(l);
      if (j.msg === "payout decision") db.log.push(`decision ${j.decision} ${j.transfer_id ?? j.schedule_id}`);
    },
    level: "debug",
  });
  return runPayoutInvocation(
    {
      db,
      stripe,
      log,
      budget: extra.budget ?? createBudget(60_000),
      now: () => NOW,
      config: { ...config, ...over },
      timers: extra.timers ?? new VirtualClock(NOW),
    },
    "11111111-1111-4111-8111-111111111111",
    "manual",
  ).then((r) => ({ ...r, lines: lines.map((l) => JSON.parse(l)) }));
}

Deno.test("payout run: a claimed tranche is prepared (request stored) before it is sent, then recorded paid", async () => {
  const db = new FakeDb();
  const stripe = new FakeStripe();
  const t = tranche({ stripeInvoiceId: "in_1" });
  stripe.charges.set("in_1", "ch_1");
  db.batchQueue.push([claimed(t)]);
  stripe.results.push(ok(stripeTransfer(t)));
  const r = await run(db, stripe);
  assert.equal(r.outcome, "done");
  assert.deepEqual(db.log.filter((l) => /^(prepare|paid)/.test(l)), [
    `prepare ${t.transferId}`,
    `paid ${t.transferId} ${stripeTransfer(t).id}`,
  ]);
  assert.equal(stripe.creates.length, 1);
  assert.equal(stripe.creates[0].key, t.idempotencyKey);
  assert.deepEqual(stripe.creates[0].params, {
    amount: 12500,
    currency: "usd",
    destination: "acct_dest1",
    transfer_group: t.transferGroup,
    metadata: {
      payout_id: t.payoutId,
      payout_transfer_id: t.transferId,
      schedule_id: t.scheduleId,
      placement_id: t.placementId,
      attempt_number: "1",
    },
    source_transaction: "ch_1",
  });
  const line = r.lines.find((l) => l.msg === "payout decision");
  assert.equal(line.decision, "paid");
  assert.equal(line.payout_id, t.payoutId);
  assert.equal(line.idempotency_key, t.idempotencyKey);
  assert.equal(line.run_id, "run-1");
  assert.equal(db.finishedWith, "done");
});

Deno.test("payout run: definitive 4xx fails the attempt (with Stripe's code); a stored 5xx makes it unknown", async () => {
  const db = new FakeDb();
  const stripe = new FakeStripe();
  const a = tranche();
  const b = tranche();
  db.batchQueue.push([claimed(a), claimed(b)]);
  stripe.results.push(definitive("balance_insufficient"), unknown500);
  await run(db, stripe);
  assert.deepEqual(db.only("failed"), [`failed ${a.transferId} balance_insufficient`]);
  assert.deepEqual(db.only("unknown"), [`unknown ${b.transferId} settle=120`]);
  assert.deepEqual(db.only("paid"), []);
});

Deno.test("payout run: rate limited beyond callStripe's attempts -> sent again with the SAME key and params", async () => {
  const db = new FakeDb();
  const stripe = new FakeStripe();
  const t = tranche();
  db.batchQueue.push([claimed(t)]);
  stripe.results.push(rateLimited, rateLimited, ok(stripeTransfer(t)));
  await run(db, stripe);
  assert.equal(stripe.creates.length, 3);
  assert.ok(stripe.creates.every((c) => c.key === t.idempotencyKey));
  assert.ok(stripe.creates.every((c) => JSON.stringify(c.params) === JSON.stringify(stripe.creates[0].params)));
  assert.deepEqual(db.only("paid"), [`paid ${t.transferId} ${stripeTransfer(t).id}`]);
  assert.deepEqual(db.only("failed"), [], "a rate limit is never a failed attempt");
});

Deno.test("payout run: still unresolved after maxSendRounds -> deferred (rate limit: now; network: deferSeconds), never failed", async () => {
  const db = new FakeDb();
  const stripe = new FakeStripe();
  const a = tranche();
  const b = tranche();
  db.batchQueue.push([claimed(a), claimed(b)]);
  stripe.results.push(rateLimited, rateLimited, rateLimited, dropped, dropped, dropped);
  await run(db, stripe);
  assert.deepEqual(db.only("defer"), [
    `defer ${a.transferId} 0 stripe unreachable (rate_limited, HTTP 429)`,
    `defer ${b.transferId} 15 stripe unreachable (connection_error)`,
  ]);
  assert.deepEqual(db.only("failed"), []);
  assert.deepEqual(db.only("unknown"), []);
});

Deno.test("payout run: Stripe 401 stops the run; the tranche and the rest of the batch are given back unsent", async () => {
  const db = new FakeDb();
  const stripe = new FakeStripe();
  const a = tranche();
  const b = tranche();
  db.batchQueue.push([claimed(a), claimed(b)]);
  stripe.results.push(definitive("api_key_expired", true));
  const r = await run(db, stripe);
  assert.equal(r.outcome, "stopped");
  assert.equal(stripe.creates.length, 1);
  assert.deepEqual(db.only("defer").map((l) => l.split(" ").slice(0, 3).join(" ")), [
    `defer ${a.transferId} 0`,
    `defer ${b.transferId} 0`,
  ]);
  assert.deepEqual(db.only("failed"), []);
  assert.equal(db.finishedWith, "stopped");
});

Deno.test("payout run: reconciliation adopts a transfer that exists (pending or unknown) and never sends", async () => {
  const db = new FakeDb();
  const stripe = new FakeStripe();
  const a = tranche({ request: storedFor(tranche(), 1000) });
  const b = tranche();
  a.request = storedFor(a, 1000);
  stripe.groups.set(a.transferGroup, [stripeTransfer(a), stripeTransfer(tranche(), { id: "tr_other" })]);
  stripe.groups.set(b.transferGroup, [stripeTransfer(b)]);
  db.reconQueue.push([recon(a), recon(b, { transferStatus: "unknown" })]);
  const r = await run(db, stripe);
  assert.equal(stripe.creates.length, 0);
  assert.deepEqual(db.only("adopted"), [
    `adopted ${a.transferId} ${stripeTransfer(a).id}`,
    `adopted ${b.transferId} ${stripeTransfer(b).id}`,
  ]);
  assert.equal(r.decisions.adopted, 2);
});

Deno.test("payout run: nothing at Stripe -> pending with a young key is sent again under the same key and stored params", async () => {
  const db = new FakeDb();
  const stripe = new FakeStripe();
  const t = tranche({ stripeInvoiceId: "in_9" });
  t.request = {
    params: { ...transferParams(t, null), source_transaction: "ch_first" },
    preparedAt: new Date(NOW - 3_600_000),
  };
  stripe.charges.set("in_9", "ch_changed_since");
  db.reconQueue.push([recon(t)]);
  stripe.results.push(ok(stripeTransfer(t)));
  await run(db, stripe);
  assert.deepEqual(stripe.listCalls, [t.transferGroup], "listed before sending");
  assert.equal(stripe.creates.length, 1);
  assert.equal(stripe.creates[0].key, t.idempotencyKey);
  assert.equal(stripe.creates[0].params.source_transaction, "ch_first", "the stored request, not a rebuilt one");
  assert.deepEqual(db.only("paid"), [`paid ${t.transferId} ${stripeTransfer(t).id}`]);
});

Deno.test("payout run: never-sent pending tranche (killed before preparing) is prepared, then sent", async () => {
  const db = new FakeDb();
  const stripe = new FakeStripe();
  const t = tranche();
  db.reconQueue.push([recon(t)]);
  stripe.results.push(ok(stripeTransfer(t)));
  await run(db, stripe);
  assert.deepEqual(db.log.filter((l) => /^(prepare|paid)/.test(l)), [
    `prepare ${t.transferId}`,
    `paid ${t.transferId} ${stripeTransfer(t).id}`,
  ]);
});

Deno.test("payout run: nothing at Stripe and the key is past its window -> failed (new key next attempt), never resent", async () => {
  const db = new FakeDb();
  const stripe = new FakeStripe();
  const t = tranche();
  t.request = storedFor(t, 23 * 3_600_000 + 1);
  db.reconQueue.push([recon(t)]);
  await run(db, stripe);
  assert.equal(stripe.creates.length, 0);
  assert.deepEqual(db.only("failed"), [`failed ${t.transferId} key_window_passed`]);
});

Deno.test("payout run: unknown with nothing at Stripe -> failed (reconciled_absent); cancelled schedule -> failed, not sent", async () => {
  const db = new FakeDb();
  const stripe = new FakeStripe();
  const a = tranche();
  a.request = storedFor(a, 60_000);
  const b = tranche();
  b.request = storedFor(b, 60_000);
  db.reconQueue.push([recon(a, { transferStatus: "unknown" }), recon(b, { scheduleStatus: "cancelled" })]);
  await run(db, stripe);
  assert.equal(stripe.creates.length, 0);
  assert.deepEqual(db.only("failed"), [
    `failed ${a.transferId} reconciled_absent`,
    `failed ${b.transferId} reconciled_not_sent`,
  ]);
});

Deno.test("payout run: a closed gate (recruiter paused) leaves an unsent pending tranche alone for a lease", async () => {
  const db = new FakeDb();
  const stripe = new FakeStripe();
  const t = tranche();
  db.reconQueue.push([recon(t, { gateReason: "recruiter_paused" })]);
  await run(db, stripe);
  assert.equal(stripe.creates.length, 0);
  assert.deepEqual(db.only("defer"), [`defer ${t.transferId} 900 waiting`]);
});

Deno.test("payout run: a transfer carrying the tranche's id but another amount is never adopted", async () => {
  const db = new FakeDb();
  const stripe = new FakeStripe();
  const t = tranche();
  t.request = storedFor(t, 1000);
  stripe.groups.set(t.transferGroup, [stripeTransfer(t, { amount: 1 })]);
  db.reconQueue.push([recon(t)]);
  const r = await run(db, stripe);
  assert.equal(stripe.creates.length, 0);
  assert.deepEqual(db.only("adopted"), []);
  assert.deepEqual(db.only("error"), ["error transfer_mismatch"]);
  assert.equal(r.decisions.anomaly, 1);
});

Deno.test("payout run: a tranche handed back by the claim (reclaimed) is reconciled before sending", async () => {
  const db = new FakeDb();
  const stripe = new FakeStripe();
  const t = tranche();
  t.request = storedFor(t, 1000);
  stripe.groups.set(t.transferGroup, [stripeTransfer(t)]);
  db.batchQueue.push([{ outcome: "reclaimed", ...t }]);
  await run(db, stripe);
  assert.equal(stripe.creates.length, 0);
  assert.deepEqual(db.only("adopted"), [`adopted ${t.transferId} ${stripeTransfer(t).id}`]);
});

Deno.test("payout run: kill switch on -> nothing claimed, outcome paused", async () => {
  const db = new FakeDb();
  db.paused = true;
  db.batchQueue.push([claimed(tranche())]);
  const r = await run(db, new FakeStripe());
  assert.equal(r.outcome, "paused");
  assert.deepEqual(db.log, ["begin", "finish paused"]);
});

Deno.test("payout run: a database error on one tranche is recorded; the others go on", async () => {
  const db = new FakeDb();
  const stripe = new FakeStripe();
  const a = tranche();
  const b = tranche();
  db.paidThrowsFor.add(a.transferId);
  db.batchQueue.push([claimed(a), claimed(b)]);
  stripe.results.push(ok(stripeTransfer(a)), ok(stripeTransfer(b)));
  const r = await run(db, stripe);
  assert.deepEqual(db.only("paid"), [`paid ${b.transferId} ${stripeTransfer(b).id}`]);
  assert.deepEqual(db.only("error"), ["error error"]);
  assert.equal(r.decisions.error, 1);
  assert.equal(r.outcome, "done");
});

Deno.test("payout run: skipped and cancelled claims are logged as decisions with their reason", async () => {
  const db = new FakeDb();
  db.batchQueue.push([
    { outcome: "skipped", scheduleId: uuid(), payoutId: uuid(), placementId: uuid(), skipReason: "recruiter_paused" },
  ]);
  const r = await run(db, new FakeStripe());
  const line = r.lines.find((l) => l.decision === "skipped");
  assert.equal(line.reason, "recruiter_paused");
  assert.equal(r.decisions.skipped, 1);
});

Deno.test("payout run: keeps claiming batches until a pass finds nothing while nothing is in flight", async () => {
  const db = new FakeDb();
  const stripe = new FakeStripe();
  const ts = [tranche(), tranche(), tranche()];
  db.batchQueue.push([claimed(ts[0]), claimed(ts[1])], [claimed(ts[2])]);
  for (const t of ts) stripe.results.push(ok(stripeTransfer(t)));
  const r = await run(db, stripe, { concurrency: 2 });
  assert.equal(r.outcome, "done");
  assert.equal(db.only("paid").length, 3);
  assert.ok(db.only("claimBatch").length >= 3);
  const lastPaid = db.log.findLastIndex((l) => l.startsWith("paid"));
  assert.ok(lastPaid < db.log.lastIndexOf("claimBatch"), "the last (empty) pass came after every outcome was recorded");
});

Deno.test("payout run: transferParams is deterministic and refuses what is not an integer of minor units", () => {
  const t = tranche();
  assert.deepEqual(transferParams(t, "ch_1"), transferParams({ ...t }, "ch_1"));
  assert.throws(() => transferParams({ ...t, amount: "12.5" }, null));
  assert.throws(() => transferParams({ ...t, amount: "0" }, null));
  assert.throws(() => transferParams({ ...t, amount: "9007199254740993" }, null));
});

Deno.test("payout run: a charge the database knows is the source_transaction (no Stripe lookup)", async () => {
  const db = new FakeDb();
  const stripe = new FakeStripe();
  const t = tranche({ stripeInvoiceId: "in_2", sourceChargeId: "ch_from_db" });
  stripe.charges.set("in_2", "ch_from_api");
  db.batchQueue.push([claimed(t)]);
  stripe.results.push(ok(stripeTransfer(t)));
  await run(db, stripe);
  assert.equal(stripe.creates[0].params.source_transaction, "ch_from_db");
});

Deno.test("payout run: claimed tranches are not sent when the time budget is nearly used up (given back)", async () => {
  const db = new FakeDb();
  const stripe = new FakeStripe();
  const t = tranche();
  db.batchQueue.push([claimed(t)]);
  const lines: string[] = [];
  let clock = 0;
  const budget = createBudget(100_000, { now: () => clock });
  const log = createLogger({ fn: "test" }, { sink: (l) => lines.push(l) });
  const origClaim = db.claimBatch.bind(db);
  db.claimBatch = () => {
    clock = 95_000; // the batch came back late: 5 s left, below half the 20 s margin
    return origClaim();
  };
  const r = await runPayoutInvocation(
    {
      db,
      stripe,
      log,
      budget,
      now: () => NOW,
      config: { ...config, stopMarginMs: 20_000 },
      timers: new VirtualClock(NOW),
    },
    "11111111-1111-4111-8111-111111111112",
    "doorbell",
  );
  assert.equal(stripe.creates.length, 0);
  assert.deepEqual(db.only("defer"), [`defer ${t.transferId} 0 time budget used up before sending`]);
  assert.equal(r.outcome, "budget");
});

Deno.test("run db: a transient database error (restart, 57P01) is retried; a real error is not", async () => {
  const { createRunDb, isTransientDbError } = await import("../_shared/payout_run/db.ts");
  assert.equal(isTransientDbError({ code: "57P01" }), true);
  assert.equal(isTransientDbError({ code: "CONNECTION_CLOSED" }), true);
  assert.equal(isTransientDbError({ code: "PT409" }), false);
  assert.equal(isTransientDbError(new Error("x")), false);
  let calls = 0;
  const fake = {
    begin(fn: (tx: unknown) => Promise<unknown>) {
      calls++;
      if (calls === 1) return Promise.reject(Object.assign(new Error("terminating connection"), { code: "57P01" }));
      const tx = Object.assign(
        (strings: TemplateStringsArray) =>
          Promise.resolve(strings.join("").includes("heartbeat") ? [{ alive: true, payouts_paused: false }] : []),
        { unsafe: () => Promise.resolve([]) },
      );
      return fn(tx);
    },
  };
  const retries: number[] = [];
  // deno-lint-ignore no-explicit-any
  const db = createRunDb(fake as any, {
    sleep: () => Promise.resolve(),
    onRetry: (_w, _e, a) => retries.push(a),
  });
  assert.deepEqual(await db.heartbeat("11111111-1111-4111-8111-111111111113"), { alive: true, paused: false });
  assert.deepEqual(retries, [1]);
  calls = 10;
  const failing = {
    begin: () => Promise.reject(Object.assign(new Error("illegal transition"), { code: "PT409" })),
  };
  // deno-lint-ignore no-explicit-any
  const db2 = createRunDb(failing as any, { sleep: () => Promise.resolve() });
  await assert.rejects(db2.heartbeat("11111111-1111-4111-8111-111111111113"), /illegal transition/);
});

// ---- the pipeline: the next batch is claimed while the previous one is being sent ----------

/**
 * Holds every `createTransfer` until `release()` (no timers: the test decides when Stripe answers).
 * Logs `send <tranche id>` into `log` when a call starts, and counts how many are held at once.
 */
function holdSends(stripe: FakeStripe, log: string[]) {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const inner = stripe.createTransfer.bind(stripe);
  const held = { now: 0, max: 0 };
  stripe.createTransfer = async (params, key) => {
    log.push(`send ${params.metadata.payout_transfer_id}`);
    held.max = Math.max(held.max, ++held.now);
    await gate;
    held.now--;
    return inner(params, key);
  };
  return { release, held };
}

/** Runs `fn` when `db[method]` is called for the n-th time (before the call itself). */
function onCall(db: FakeDb, method: "claimBatch" | "heartbeat", n: number, fn: () => void) {
  const inner = db[method].bind(db) as () => Promise<never>;
  let calls = 0;
  (db as unknown as Record<string, () => Promise<unknown>>)[method] = () => {
    if (++calls === n) fn();
    return inner();
  };
}

/** Final records per tranche id (paid / adopted / failed / unknown / defer lines). */
function finalRecords(db: FakeDb): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const l of db.log) {
    const [what, id] = l.split(" ");
    if (!["paid", "adopted", "failed", "unknown", "defer"].includes(what)) continue;
    out.set(id, [...(out.get(id) ?? []), what]);
  }
  return out;
}

Deno.test("payout run (pipeline): the next batch is claimed while the previous batch's sends are in flight", async () => {
  const db = new FakeDb();
  const stripe = new FakeStripe();
  stripe.okByDefault = true;
  const a = [tranche(), tranche()];
  const b = [tranche(), tranche()];
  db.batchQueue.push(a.map(claimed), b.map(claimed));
  const { release, held } = holdSends(stripe, db.log);
  // Stripe answers only once the second batch is being claimed: without the overlap the run
  // would wait for those answers before claiming, and never finish.
  onCall(db, "claimBatch", 2, release);
  const r = await run(db, stripe, { concurrency: 2 });

  const at = (line: string) => db.log.indexOf(line);
  const secondClaim = db.log.indexOf("claimBatch", at("claimBatch") + 1);
  assert.ok(at(`send ${a[0].transferId}`) < secondClaim && at(`send ${a[1].transferId}`) < secondClaim);
  assert.ok(secondClaim < at(`paid ${a[0].transferId} ${transferFor(stripe.creates[0].params).id}`));
  // batch B's requests were stored before any of its sends
  const prepareB = at(`prepare ${b.map((t) => t.transferId).join(",")}`);
  assert.ok(prepareB > secondClaim && prepareB < at(`send ${b[0].transferId}`));
  assert.equal(held.max, 2, "never more than `concurrency` calls at once");
  assert.equal(r.outcome, "done");
  assert.deepEqual(
    Object.fromEntries(finalRecords(db)),
    Object.fromEntries([...a, ...b].map((t) => [t.transferId, ["paid"]])),
    "each tranche sent and recorded once",
  );
});

Deno.test("payout run (pipeline): budget used up with a prefetched batch -> every unsent tranche deferred exactly once", async () => {
  const db = new FakeDb();
  const stripe = new FakeStripe();
  stripe.okByDefault = true;
  const a = [tranche(), tranche()];
  const b = [tranche(), tranche()];
  db.batchQueue.push(a.map(claimed), b.map(claimed), [claimed(tranche())]);
  const { release } = holdSends(stripe, db.log);
  let clock = 0;
  const budget = createBudget(100_000, { now: () => clock });
  onCall(db, "claimBatch", 2, () => {
    clock = 95_000; // 5 s left: below the 20 s margin (no more claims) and below half of it (no more sends)
    release();
  });
  const lines: string[] = [];
  const r = await runPayoutInvocation(
    {
      db,
      stripe,
      log: createLogger({ fn: "test" }, { sink: (l) => lines.push(l) }),
      budget,
      now: () => NOW,
      config: { ...config, concurrency: 1, stopMarginMs: 20_000 },
      timers: new VirtualClock(NOW),
    },
    "11111111-1111-4111-8111-111111111114",
    "doorbell",
  );
  assert.equal(r.outcome, "budget");
  assert.equal(db.only("claimBatch").length, 2, "no claim after the budget said stop");
  assert.equal(stripe.creates.length, 1, "only the send already on its way");
  const recs = finalRecords(db);
  assert.deepEqual(recs.get(a[0].transferId), ["paid"]);
  for (const t of [a[1], ...b]) assert.deepEqual(recs.get(t.transferId), ["defer"], `${t.transferId} deferred once`);
  assert.equal(recs.size, 4);
  assert.ok(db.only("defer").every((l) => l.endsWith("time budget used up before sending")));
  assert.equal(r.decisions.deferred, 3);
});

Deno.test("payout run (pipeline): kill switch seen between batches -> unstarted tranches given back once, the one in flight finishes", async () => {
  const db = new FakeDb();
  const stripe = new FakeStripe();
  stripe.okByDefault = true;
  const a = [tranche(), tranche(), tranche()];
  db.batchQueue.push(a.map(claimed), [claimed(tranche())]);
  const { release } = holdSends(stripe, db.log);
  onCall(db, "heartbeat", 2, () => {
    db.paused = true;
    release();
  });
  const r = await run(db, stripe, { concurrency: 1 });
  assert.equal(r.outcome, "paused");
  assert.equal(db.only("claimBatch").length, 1, "nothing claimed once paused");
  assert.equal(stripe.creates.length, 1);
  const recs = finalRecords(db);
  assert.deepEqual(recs.get(a[0].transferId), ["paid"]);
  assert.deepEqual(recs.get(a[1].transferId), ["defer"]);
  assert.deepEqual(recs.get(a[2].transferId), ["defer"]);
  assert.ok(db.only("defer").every((l) => l.endsWith(" 0 payouts paused before sending")));
});

Deno.test("payout run (pipeline): Stripe 401 with a prefetched batch -> the run stops, every unsent tranche given back once", async () => {
  const db = new FakeDb();
  const stripe = new FakeStripe();
  stripe.okByDefault = true;
  stripe.results.push(definitive("api_key_expired", true));
  const a = [tranche(), tranche()];
  const b = [tranche()];
  db.batchQueue.push(a.map(claimed), b.map(claimed));
  const { release } = holdSends(stripe, db.log);
  onCall(db, "claimBatch", 2, release);
  const r = await run(db, stripe, { concurrency: 1 });
  assert.equal(r.outcome, "stopped");
  assert.equal(stripe.creates.length, 1);
  const recs = finalRecords(db);
  for (const t of [...a, ...b]) assert.deepEqual(recs.get(t.transferId), ["defer"], `${t.transferId} given back once`);
  assert.equal(recs.size, 3);
  assert.deepEqual(db.only("paid"), []);
});

Deno.test("payout run (pipeline): a tranche whose lease ran out while this run still sends it is left to its worker, not reconciled in parallel", async () => {
  const db = new FakeDb();
  const stripe = new FakeStripe();
  stripe.okByDefault = true;
  const a = tranche();
  db.batchQueue.push([claimed(a)]);
  // the next pass hands the same tranche back as an expired lease (a short lease, a long 429 pause)
  db.reconQueue.push([], [recon(a)]);
  const { release } = holdSends(stripe, db.log);
  onCall(db, "claimBatch", 2, release); // Stripe answers only after the second pass met the tranche again
  const r = await run(db, stripe, { concurrency: 2 });
  assert.equal(r.outcome, "done");
  assert.deepEqual(stripe.listCalls, [], "not listed: it is ours and on its way");
  assert.equal(stripe.creates.length, 1);
  assert.deepEqual(Object.fromEntries(finalRecords(db)), { [a.transferId]: ["paid"] });
  assert.ok(r.lines.some((l) => l.msg.startsWith("lease ran out while this invocation still works on the tranche")));
});

// ---- paid outcomes recorded in batches ----------------------------------------------------

/** Logs `send <tranche id>` into db.log when a createTransfer starts. */
function logSends(stripe: FakeStripe, log: string[]) {
  const inner = stripe.createTransfer.bind(stripe);
  stripe.createTransfer = (params, key) => {
    log.push(`send ${params.metadata.payout_transfer_id}`);
    return inner(params, key);
  };
}

/** Lets the run go on until `cond` holds (microtask turns only, no timers; fails after many turns). */
async function until(cond: () => boolean, what: string) {
  for (let i = 0; i < 1_000; i++) {
    if (cond()) return;
    await Promise.resolve();
  }
  throw new Error(`never happened: ${what}`);
}

/** Each tranche recorded paid once (in a batch), its decision after that, and all of it before `finish`. */
function assertPaidBeforeFinish(db: FakeDb, ts: Tranche[], outcome: InvocationOutcome) {
  const finish = db.log.indexOf(`finish ${outcome}`);
  assert.ok(finish > 0, `finished ${outcome}`);
  for (const t of ts) {
    const paid = db.log.findIndex((l) => l.startsWith(`paid ${t.transferId} `));
    const decision = db.log.indexOf(`decision paid ${t.transferId}`);
    assert.ok(paid > 0 && paid < decision && decision < finish, `${t.transferId}: recorded, decided, then finish`);
  }
  assert.deepEqual(db.paidManyCalls.flat().sort(), ts.map((t) => t.transferId).sort(), "recorded in batches");
  assert.deepEqual(db.paidOneCalls, []);
}

Deno.test("payout run (recording): paid outcomes are recorded in one paidMany per batchSize outcomes", async () => {
  const db = new FakeDb();
  const stripe = new FakeStripe();
  stripe.okByDefault = true;
  logSends(stripe, db.log);
  const [a, b, c] = [tranche(), tranche(), tranche()];
  db.batchQueue.push([claimed(a), claimed(b)], [claimed(c)]);
  const r = await run(db, stripe, { batchSize: 2, concurrency: 1 });
  assert.equal(r.outcome, "done");
  assert.deepEqual(db.paidManyCalls, [[a.transferId, b.transferId], [c.transferId]]);
  assert.ok(
    db.log.indexOf(`batch ${a.transferId},${b.transferId}`) < db.log.indexOf(`send ${c.transferId}`),
    "recorded as soon as batchSize outcomes waited, while the next tranche is sent",
  );
  assert.deepEqual(db.paidOneCalls, []);
  assert.equal(r.decisions.paid, 3);
  assertPaidBeforeFinish(db, [a, b, c], "done");
});

Deno.test("payout run (recording): fewer than batchSize outcomes are recorded once the oldest waited recordMaxDelayMs", async () => {
  const db = new FakeDb();
  const stripe = new FakeStripe();
  stripe.okByDefault = true;
  const [a, b] = [tranche(), tranche()];
  db.batchQueue.push([claimed(a)], [claimed(b)]);
  const vt = new VirtualClock(NOW);
  const seen: string[][][] = [];
  const claim = db.claimBatch.bind(db);
  let calls = 0;
  db.claimBatch = async () => {
    if (++calls === 2) {
      await until(() => vt.pending > 0, "a's outcome buffered (its delay armed)");
      await vt.advance(249);
      seen.push(structuredClone(db.paidManyCalls));
      await vt.advance(1);
      seen.push(structuredClone(db.paidManyCalls));
    }
    return claim();
  };
  const r = await run(db, stripe, { batchSize: 25, recordMaxDelayMs: 250 }, { timers: vt });
  assert.equal(r.outcome, "done");
  assert.deepEqual(seen, [[], [[a.transferId]]], "not after 249 ms, at 250 ms");
  assert.deepEqual(db.paidManyCalls, [[a.transferId], [b.transferId]], "b: before the invocation ended");
  assert.equal(vt.pending, 0, "no timer left behind");
});

Deno.test("payout run (recording): the worker is free once its outcome is buffered (sends go on while a batch is recorded)", async () => {
  const db = new FakeDb();
  const stripe = new FakeStripe();
  stripe.okByDefault = true;
  const [a, b, c] = [tranche(), tranche(), tranche()];
  db.batchQueue.push([claimed(a), claimed(b)], [claimed(c)]);
  let sentWhileRecording: string[] = [];
  db.beforePaidMany = async (items) => {
    if (items[0].transferId !== a.transferId) return;
    await new Promise((r) => setTimeout(r, 0)); // one macrotask: every microtask of the run has run
    sentWhileRecording = stripe.creates.map((x) => x.params.metadata.payout_transfer_id);
  };
  const r = await run(db, stripe, { batchSize: 2, concurrency: 1 });
  assert.equal(r.outcome, "done");
  assert.ok(sentWhileRecording.includes(c.transferId), "c was sent by the only worker while [a, b] was recorded");
  assertPaidBeforeFinish(db, [a, b, c], "done");
});

Deno.test("payout run (recording): decision lines are written only after the batch committed", async () => {
  const db = new FakeDb();
  const stripe = new FakeStripe();
  const a = tranche();
  const b = tranche();
  b.request = storedFor(b, 1000);
  stripe.groups.set(b.transferGroup, [stripeTransfer(b)]);
  db.reconQueue.push([recon(b)]);
  db.batchQueue.push([claimed(a)]);
  stripe.results.push(ok(stripeTransfer(a)));
  const decidedAtFlush: string[][] = [];
  db.beforePaidMany = async () => {
    for (let i = 0; i < 20; i++) await Promise.resolve();
    decidedAtFlush.push(db.log.filter((l) => /^decision (paid|adopted)/.test(l)));
  };
  const r = await run(db, stripe);
  assert.deepEqual(decidedAtFlush, [[]], "nothing decided while the batch was being recorded");
  assert.deepEqual(db.paidManyCalls.flat().sort(), [a.transferId, b.transferId].sort());
  assert.ok(
    db.log.indexOf(`adopted ${b.transferId} ${stripeTransfer(b).id}`) <
      db.log.indexOf(`decision adopted ${b.transferId}`),
  );
  assert.ok(
    db.log.indexOf(`paid ${a.transferId} ${stripeTransfer(a).id}`) < db.log.indexOf(`decision paid ${a.transferId}`),
  );
  assert.deepEqual([r.decisions.paid, r.decisions.adopted], [1, 1]);
  const line = r.lines.find((l) => l.decision === "adopted");
  assert.equal(line.stripe_transfer_id, stripeTransfer(b).id);
  assert.equal(line.was, "pending");
});

Deno.test("payout run (recording): a failing batch is recorded one by one; only the bad tranche errors (and stays pending)", async () => {
  const db = new FakeDb();
  const stripe = new FakeStripe();
  stripe.okByDefault = true;
  const [a, b, c] = [tranche(), tranche(), tranche()];
  db.paidThrowsFor.add(b.transferId);
  db.batchQueue.push([claimed(a), claimed(b), claimed(c)]);
  const r = await run(db, stripe, { batchSize: 3, concurrency: 3 });
  assert.equal(r.outcome, "done");
  assert.equal(db.paidManyCalls.length, 1);
  assert.deepEqual(db.paidManyCalls[0].slice().sort(), [a, b, c].map((t) => t.transferId).sort());
  assert.deepEqual(db.paidOneCalls.slice().sort(), [a, b, c].map((t) => t.transferId).sort(), "then one by one");
  assert.deepEqual(db.only("paid").map((l) => l.split(" ")[1]).sort(), [a.transferId, c.transferId].sort());
  assert.deepEqual(db.only("error"), ["error error"], "one run error: the bad tranche's");
  assert.deepEqual([r.decisions.paid, r.decisions.error], [2, 1]);
  const bad = r.lines.find((l) => l.decision === "error");
  assert.equal(bad.transfer_id, b.transferId);
  assert.equal(bad.stripe_transfer_id, transferFor(stripe.creates.find((x) => x.key === b.idempotencyKey)!.params).id);
  assert.ok(r.lines.some((l) => l.msg.startsWith("recording paid outcomes as one batch failed")));
  assert.deepEqual(
    finalRecords(db).get(b.transferId),
    undefined,
    "nothing recorded for b: pending, its lease brings it back",
  );
  assert.ok(db.log.indexOf("error error") < db.log.indexOf("finish done"));
});

Deno.test("payout run (recording): a batch lost to an outage is not retried one by one: left pending, one run error", async () => {
  const db = new FakeDb();
  const stripe = new FakeStripe();
  stripe.okByDefault = true;
  const [a, b, c] = [tranche(), tranche(), tranche()];
  // the database stayed unreachable through the job transaction's retries
  db.paidThrowsFor.add(a.transferId);
  db.paidManyError = () => Object.assign(new Error("terminating connection"), { code: "57P01" });
  db.batchQueue.push([claimed(a), claimed(b), claimed(c)]);
  const r = await run(db, stripe, { batchSize: 3, concurrency: 3 });
  assert.equal(db.paidManyCalls.length, 1);
  assert.deepEqual(db.paidOneCalls, [], "no one-by-one calls that would each wait out the outage");
  assert.deepEqual([r.decisions.paid, r.decisions.error], [0, 3], "every outcome of the batch is an error");
  assert.deepEqual(db.only("error"), ["error 57P01"], "one run error for the batch");
  assert.ok(r.lines.some((l) => l.msg.includes("(database unreachable): left to reconciliation")));
  for (const t of [a, b, c]) {
    assert.equal(finalRecords(db).get(t.transferId), undefined, "still pending: reconciled later");
  }
  assert.equal(stripe.creates.length, 3, "each sent once");
});

Deno.test("payout run (recording): outcomes still buffered are recorded before finish: done, budget, paused, stopped, error", async (t) => {
  await t.step("done", async () => {
    const db = new FakeDb();
    const stripe = new FakeStripe();
    stripe.okByDefault = true;
    const a = tranche();
    db.batchQueue.push([claimed(a)]);
    const r = await run(db, stripe);
    assert.equal(r.outcome, "done");
    assertPaidBeforeFinish(db, [a], "done");
  });
  await t.step("budget", async () => {
    const db = new FakeDb();
    const stripe = new FakeStripe();
    stripe.okByDefault = true;
    const a = tranche();
    const b = tranche();
    db.batchQueue.push([claimed(a)], [claimed(b)]);
    let clock = 0;
    const budget = createBudget(100_000, { now: () => clock });
    onCall(db, "claimBatch", 2, () => (clock = 95_000)); // a is on its way; b comes too late to be sent
    const r = await run(db, stripe, { stopMarginMs: 20_000 }, { budget });
    assert.equal(r.outcome, "budget");
    assert.deepEqual(finalRecords(db).get(b.transferId), ["defer"]);
    assertPaidBeforeFinish(db, [a], "budget");
  });
  await t.step("paused", async () => {
    const db = new FakeDb();
    const stripe = new FakeStripe();
    stripe.okByDefault = true;
    const a = tranche();
    const b = tranche();
    db.batchQueue.push([claimed(a), claimed(b)]);
    const { release } = holdSends(stripe, db.log); // a is on its way when the kill switch is seen
    onCall(db, "heartbeat", 2, () => {
      db.paused = true;
      release();
    });
    const r = await run(db, stripe, { concurrency: 1 });
    assert.equal(r.outcome, "paused");
    assert.deepEqual(finalRecords(db).get(b.transferId), ["defer"]);
    assertPaidBeforeFinish(db, [a], "paused");
  });
  await t.step("stopped", async () => {
    const db = new FakeDb();
    const stripe = new FakeStripe();
    const a = tranche();
    const b = tranche();
    db.batchQueue.push([claimed(a), claimed(b)]);
    stripe.results.push(ok(stripeTransfer(a)), definitive("api_key_expired", true));
    const r = await run(db, stripe, { concurrency: 1 });
    assert.equal(r.outcome, "stopped");
    assertPaidBeforeFinish(db, [a], "stopped");
  });
  await t.step("error", async () => {
    const db = new FakeDb();
    const stripe = new FakeStripe();
    stripe.okByDefault = true;
    const a = tranche();
    db.batchQueue.push([claimed(a)]);
    const claim = db.claimBatch.bind(db);
    let calls = 0;
    db.claimBatch = () => ++calls === 2 ? Promise.reject(new Error("claim failed")) : claim();
    const r = await run(db, stripe);
    assert.equal(r.outcome, "error");
    assertPaidBeforeFinish(db, [a], "error");
  });
});

Deno.test("payout run (recording): a tranche whose outcome waits to be recorded stays held: not reconciled when its lease runs out", async () => {
  const db = new FakeDb();
  const stripe = new FakeStripe();
  stripe.okByDefault = true;
  const a = tranche();
  db.batchQueue.push([claimed(a)]);
  const vt = new VirtualClock(NOW);
  const recon2 = db.claimReconciliations.bind(db);
  let calls = 0;
  let recordedWhenMet: string[][] | null = null;
  db.claimReconciliations = async () => {
    if (++calls === 2) {
      // the next pass meets the tranche again as an expired lease while its outcome is buffered
      await until(() => vt.pending > 0, "a's outcome buffered");
      recordedWhenMet = structuredClone(db.paidManyCalls);
      return [recon(a)];
    }
    return recon2();
  };
  const r = await run(db, stripe, {}, { timers: vt });
  assert.equal(r.outcome, "done");
  assert.deepEqual(recordedWhenMet, [], "still buffered when the pass met it");
  assert.deepEqual(stripe.listCalls, [], "not listed: it is ours, its outcome on its way");
  assert.equal(stripe.creates.length, 1);
  assert.deepEqual(Object.fromEntries(finalRecords(db)), { [a.transferId]: ["paid"] });
  assert.deepEqual(db.paidManyCalls, [[a.transferId]]);
  assert.ok(r.lines.some((l) => l.msg.startsWith("lease ran out while this invocation still works on the tranche")));
});

Deno.test("payout run (recording): a tranche whose recording failed is no longer held: a later pass reconciles it", async () => {
  const db = new FakeDb();
  const stripe = new FakeStripe();
  stripe.okByDefault = true;
  const a = tranche();
  db.paidThrowsFor.add(a.transferId);
  db.batchQueue.push([claimed(a)]);
  // after the failed recording, the tranche's lease runs out and a pass hands it back for reconciliation
  const recon2 = db.claimReconciliations.bind(db);
  db.claimReconciliations = () => {
    if (db.paidOneCalls.length > 0 && db.paidThrowsFor.size > 0) {
      db.paidThrowsFor.clear();
      a.request = storedFor(a, 1000);
      stripe.groups.set(a.transferGroup, [transferFor(stripe.creates[0].params)]);
      return Promise.resolve([recon(a)]);
    }
    return recon2();
  };
  const r = await run(db, stripe);
  assert.equal(r.outcome, "done");
  assert.equal(stripe.creates.length, 1, "never sent twice");
  assert.deepEqual(stripe.listCalls, [a.transferGroup]);
  assert.deepEqual([r.decisions.error, r.decisions.adopted], [1, 1]);
  assert.deepEqual(Object.fromEntries(finalRecords(db)), { [a.transferId]: ["adopted"] });
});

Deno.test("run db: paidMany records every outcome in one transaction (arrays), nothing for none", async () => {
  const { createRunDb } = await import("../_shared/payout_run/db.ts");
  const calls: { text: string; values: unknown[] }[] = [];
  let begins = 0;
  const fake = {
    begin(fn: (tx: unknown) => Promise<unknown>) {
      begins++;
      const tx = Object.assign((strings: TemplateStringsArray, ...values: unknown[]) => {
        calls.push({ text: strings.join("$"), values });
        return Promise.resolve([]);
      }, { unsafe: () => Promise.resolve([]) });
      return fn(tx);
    },
  };
  // deno-lint-ignore no-explicit-any
  const db = createRunDb(fake as any, { sleep: () => Promise.resolve() });
  const inv = "11111111-1111-4111-8111-111111111115";
  await db.paidMany(inv, []);
  assert.equal(begins, 0);
  await db.paidMany(inv, [
    { transferId: "00000000-0000-4000-8000-00000000000a", stripeTransferId: "tr_a", adopted: false },
    { transferId: "00000000-0000-4000-8000-00000000000b", stripeTransferId: "tr_b", adopted: true },
  ]);
  assert.equal(begins, 1, "one transaction");
  const call = calls.find((c) => c.text.includes("private.record_payout_transfers_paid"))!;
  assert.ok(call, "calls record_payout_transfers_paid");
  assert.deepEqual(call.values, [
    inv,
    ["00000000-0000-4000-8000-00000000000a", "00000000-0000-4000-8000-00000000000b"],
    ["tr_a", "tr_b"],
    ["false", "true"],
  ]);
  assert.match(call.text, /\$::uuid, \$::uuid\[\], \$::text\[\], \$::text\[\]::boolean\[\]\)/);
});

// ---- the CPU budget: stop claiming at the stop line, hand over, hand back past the hand-back line ----

/** A FakeDb that also beats and hands over (both optional in RunDb). */
class BeatingDb extends FakeDb {
  beats = 0;
  handovers = 0;
  keepAlive() {
    this.beats++;
    return Promise.resolve();
  }
  handover() {
    this.handovers++;
    this.log.push("handover");
    return Promise.resolve(42);
  }
}

/** A budget whose CPU meter the test sets (stop line 1 000 ms, hand-back line 1 800 ms). */
function cpuBudget() {
  const cpu = { used: 0 };
  const budget = createBudget(60_000, {
    cpu: {
      meter: { usedMs: () => cpu.used, charge: (ms) => void (cpu.used += ms) },
      stopAtMs: 1_000,
      handBackAtMs: 1_800,
    },
  });
  return { cpu, budget };
}

Deno.test("payout run: CPU past the stop line before the first claim -> claims nothing, hands over", async () => {
  const db = new BeatingDb();
  const stripe = new FakeStripe();
  db.batchQueue.push([claimed(tranche())]);
  const { cpu, budget } = cpuBudget();
  cpu.used = 1_200;
  const r = await run(db, stripe, {}, { budget });
  assert.equal(r.outcome, "budget");
  assert.deepEqual(db.only("claim"), []);
  assert.equal(db.handovers, 1);
  assert.equal(stripe.creates.length, 0);
  const line = r.lines.find((l) => l.msg === "budget used up: claiming ends, handing over");
  assert.equal(line?.reason, "cpu");
  assert.equal(line?.ring_request_id, 42);
});

Deno.test("payout run: CPU reaches the stop line mid-run -> no further claim, hands over, what was claimed is still sent", async () => {
  const db = new BeatingDb();
  const stripe = new FakeStripe();
  stripe.okByDefault = true;
  const [a, b, c] = [tranche(), tranche(), tranche()];
  db.batchQueue.push([claimed(a), claimed(b)], [claimed(c)]);
  const { cpu, budget } = cpuBudget();
  const origClaim = db.claimBatch.bind(db);
  db.claimBatch = () => {
    cpu.used = 1_200; // the first claim took the isolate past its stop line
    return origClaim();
  };
  const r = await run(db, stripe, { batchSize: 2 }, { budget });
  assert.equal(r.outcome, "budget");
  assert.equal(db.only("claimBatch").length, 1, "one claim only");
  assert.deepEqual(stripe.creates.map((x) => x.key).sort(), [a, b].map((t) => t.idempotencyKey).sort());
  assert.deepEqual(db.only("defer"), [], "between the stop and the hand-back line, claimed tranches are sent");
  assert.equal(db.handovers, 1);
  assert.deepEqual(db.only("paid").length, 2);
});

Deno.test("payout run: CPU past the hand-back line -> claimed tranches are given back unsent (deferred now)", async () => {
  const db = new BeatingDb();
  const stripe = new FakeStripe();
  stripe.okByDefault = true;
  const [a, b] = [tranche(), tranche()];
  db.batchQueue.push([claimed(a), claimed(b)]);
  const { cpu, budget } = cpuBudget();
  const origClaim = db.claimBatch.bind(db);
  db.claimBatch = () => {
    cpu.used = 1_850;
    return origClaim();
  };
  const r = await run(db, stripe, {}, { budget });
  assert.equal(r.outcome, "budget");
  assert.equal(stripe.creates.length, 0);
  assert.deepEqual(
    db.only("defer").sort(),
    [a, b].map((t) => `defer ${t.transferId} 0 time budget used up before sending`).sort(),
  );
  assert.equal(db.handovers, 1);
});

Deno.test("payout run: the per-call CPU estimate is charged to the meter (runtimes that report no CPU)", async () => {
  const { createStripeGateway } = await import("../_shared/payout_run/stripe_gateway.ts");
  const { createPacer } = await import("../_shared/platform/pacer.ts");
  const { cpu, budget } = cpuBudget();
  const fakeStripe = {
    transfers: { create: (p: TransferParams) => Promise.resolve({ ...transferFor(p), object: "transfer" }) },
  };
  // deno-lint-ignore no-explicit-any
  const gw = createStripeGateway(fakeStripe as any, createPacer({ ratePerSec: 1_000 }), {
    maxAttempts: 1,
    cpuPerCallMs: 3,
  });
  const t = tranche();
  await gw.createTransfer(transferParams(t, null), t.idempotencyKey, { budget });
  await gw.createTransfer(transferParams(t, null), t.idempotencyKey, { budget });
  assert.equal(cpu.used, 6);
});

Deno.test("payout run: a wall-clock stop also hands over; done (nothing left) does not", async () => {
  const db = new BeatingDb();
  const r1 = await run(db, new FakeStripe(), { stopMarginMs: 60_000 });
  assert.equal(r1.outcome, "budget");
  assert.equal(db.handovers, 1);
  assert.equal(r1.lines.find((l) => l.msg.startsWith("budget used up"))?.reason, "wall_clock");
  const db2 = new BeatingDb();
  const r2 = await run(db2, new FakeStripe());
  assert.equal(r2.outcome, "done");
  assert.equal(db2.handovers, 0);
});

Deno.test("payout run: the invocation beats every heartbeatMs while a tranche waits, and stops beating when it ends", async () => {
  const db = new BeatingDb();
  const stripe = new FakeStripe();
  const t = tranche();
  db.batchQueue.push([claimed(t)]);
  const clock = new VirtualClock(NOW);
  let answer!: (r: Result) => void;
  stripe.createTransfer = (params: TransferParams, key: string) => {
    stripe.creates.push({ params, key });
    return new Promise<Result>((res) => (answer = res));
  };
  const done = run(db, stripe, { heartbeatMs: 5_000 }, { timers: clock });
  while (stripe.creates.length === 0) await clock.step();
  const before = db.beats;
  await clock.advance(12_000); // Stripe takes 12 s to answer
  assert.equal(db.beats - before, 2, "two beats in 12 s");
  answer(ok(transferFor(stripe.creates[0].params)));
  const r = await done;
  assert.equal(r.outcome, "done");
  const atEnd = db.beats;
  await clock.advance(60_000);
  assert.equal(db.beats, atEnd, "no beat after the invocation finished");
  assert.equal(clock.pending, 0, "no timer left behind");
});
