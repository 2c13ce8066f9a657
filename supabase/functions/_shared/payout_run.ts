/**
 * The payout run: one invocation of `process-payout-schedules`, as decisions over injected
 * dependencies (database, Stripe, clock, budget, logger), so that every decision can be tested
 * without the stack (`tests/payout-run-unit-test.ts`) and with it (`tests/process-*-test.ts`).
 *
 * One invocation:
 *
 * 1. `begin`: joins the running run or starts one (a run spans invocations until one finds nothing
 *    left). Kill switch on: nothing is claimed.
 * 2. Claim passes, while the time budget allows, the kill switch is off and the invocation is alive:
 *    a. reconcile: tranches in flight whose lease expired (their process died, gave them back, or,
 *       for an `unknown` outcome, the settle delay is over) — list the placement's `transfer_group`
 *       at Stripe, adopt the tranche's transfer when it exists; otherwise fail it (unknown, or no
 *       longer sendable) or send it again under its SAME key (pending, key younger than the window);
 *    b. claim a batch (`private.claim_due_payout_schedules`: tranche + idempotency key committed),
 *       store each tranche's exact Stripe request (before the first call), then hand it to the pool;
 *    c. stop when a pass found nothing to do while nothing was in flight.
 *    The work of a pass (reconcile, send, record the outcome) runs in ONE pool of `concurrency`
 *    workers (`work_pool.ts`), and the next pass is claimed while the pool still works on the last
 *    one (at most one batch waits unstarted): the Stripe pacer never idles for a claim. What the
 *    pool has not started when claiming ends is sent while the budget allows (else `send` gives it
 *    back), or, when paused / closed / failed, given back at once: deferred exactly once.
 *    Paid outcomes (sent, or adopted by reconciliation) are recorded in batches (`paid_recorder.ts`:
 *    one `record_payout_transfers_paid` per `batchSize` outcomes or after `recordMaxDelayMs`); the
 *    worker is free as soon as its outcome is buffered. A buffered tranche stays `held` (never
 *    reconciled in parallel by this invocation) until its recording committed or definitively
 *    failed, and its `paid`/`adopted` decision is logged only once committed. A failed batch is
 *    recorded one by one; what still fails is an `error` and stays pending: its lease brings it back
 *    to reconciliation, which adopts the transfer (as after a crash between Stripe's answer and our
 *    commit).
 * 3. Everything buffered is recorded, then `finish`: the run is finished when nothing is left; else
 *    the next doorbell continues it.
 *
 * Outcomes of a `transfers.create` (see `stripe_retry.ts`):
 * - ok → complete (paid); network errors/timeouts/409/429 are retried with the same key inside
 *   `callStripe`; still unresolved → the tranche is deferred (kept pending; the next holder
 *   reconciles before sending);
 * - stored 5xx / idempotency mismatch / unclassified → `unknown` with a settle delay, then reconcile;
 * - definitive 4xx → failed (counts toward max attempts; backoff in SQL); a destination that cannot
 *   receive transfers also updates the capability mirror and raises one `payout.connect_required`;
 * - 401/403 → the run stops (configuration), the tranche is given back untouched.
 */
import type { Budget } from "./budget.ts";
import type { StripeCallResult } from "./stripe.ts";
import type { StripeFailure } from "./stripe_retry.ts";
import type { Logger } from "./log.ts";
import { createPaidRecorder, type PaidOutcome, type Timers } from "./paid_recorder.ts";
import { createWorkPool } from "./work_pool.ts";

/** How an invocation was started. */
export type Trigger = "doorbell" | "admin" | "manual";
/** How an invocation ended. */
export type InvocationOutcome = "done" | "budget" | "paused" | "stopped" | "error";

/** The `transfers.create` parameters of a tranche (stored before the first call, reused for every retry). */
export interface TransferParams {
  amount: number;
  /** Lower-case ISO code, as Stripe wants it. */
  currency: string;
  destination: string;
  transfer_group: string;
  metadata: {
    payout_id: string;
    payout_transfer_id: string;
    schedule_id: string;
    placement_id: string;
    attempt_number: string;
  };
  source_transaction?: string;
}

/** A stored request. */
export interface StoredRequest {
  params: TransferParams;
  preparedAt: Date;
}

/** A tranche (payout_transfers row) with what the Stripe request needs. */
export interface Tranche {
  transferId: string;
  payoutId: string;
  scheduleId: string;
  placementId: string;
  /** Minor units, as postgres.js returns bigint (a string). */
  amount: string;
  /** Upper-case ISO code as stored. */
  currency: string;
  destination: string;
  idempotencyKey: string;
  attemptNumber: number;
  transferGroup: string;
  stripeInvoiceId: string | null;
  stripePaymentIntentId: string | null;
  /** The charge funding the placement's transfers, when the database knows it. */
  sourceChargeId: string | null;
  createdAt: Date;
  request: StoredRequest | null;
}

/** A row of `private.claim_payout_batch`. */
export type ClaimRow =
  | ({ outcome: "claimed" } & Tranche)
  | ({ outcome: "reclaimed" } & Tranche)
  | { outcome: "skipped" | "cancelled"; scheduleId: string; payoutId: string; placementId: string; skipReason: string };

/** A row of `private.claim_payout_reconciliations`. */
export interface ReconcileRow extends Tranche {
  transferStatus: "pending" | "unknown";
  scheduleStatus: string;
  /** First closed eligibility gate (platform_paused, recruiter_paused, …), null when open. */
  gateReason: string | null;
}

/** Run totals (private.payout_runs). */
export interface RunTotals {
  runId: string;
  status: string;
  [counter: string]: unknown;
}

/** What `record_payout_transfer_failed` reports. */
export interface FailedState {
  retryCount: number;
  maxAttempts: number;
  exhausted: boolean;
  nextAttemptAt: Date | null;
  connectRequired: boolean;
}

/** The database side (the SQL run functions; `payout_run_db.ts`). */
export interface RunDb {
  begin(invocationId: string, trigger: Trigger): Promise<{ runId: string; resumed: boolean; paused: boolean }>;
  heartbeat(invocationId: string): Promise<{ alive: boolean; paused: boolean }>;
  claimReconciliations(invocationId: string, limit: number, leaseSeconds: number | null): Promise<ReconcileRow[]>;
  claimBatch(invocationId: string, limit: number, leaseSeconds: number | null): Promise<ClaimRow[]>;
  prepare(
    invocationId: string,
    requests: { transferId: string; params: TransferParams }[],
  ): Promise<Map<string, StoredRequest>>;
  paid(invocationId: string, transferId: string, stripeTransferId: string, adopted: boolean): Promise<void>;
  /** Records many paid outcomes in one transaction, all or nothing (`record_payout_transfers_paid`). */
  paidMany(invocationId: string, items: PaidOutcome[]): Promise<void>;
  failed(invocationId: string, transferId: string, reason: string, code: string | null): Promise<FailedState>;
  unknown(invocationId: string, transferId: string, reason: string, settleSeconds: number): Promise<void>;
  defer(invocationId: string, transferId: string, delaySeconds: number, reason: string): Promise<void>;
  error(
    invocationId: string,
    err: { code: string; message: string; transfer_id?: string; payout_id?: string },
  ): Promise<void>;
  finish(invocationId: string, outcome: InvocationOutcome): Promise<RunTotals>;
}

/** The part of a Stripe transfer the run reads. */
export interface TransferLike {
  id: string;
  amount: number;
  currency: string;
  destination: string | null;
  created: number;
  transfer_group: string | null;
  source_transaction?: string | null;
  metadata: Record<string, string>;
}

/** A failed Stripe call, as `callStripe` reports it. */
export type StripeCallFailure = Exclude<StripeCallResult<unknown>, { kind: "ok" }>;

/** The Stripe side (`payout_run_stripe.ts`): paced, retried with the same key, classified. */
export interface StripeGateway {
  createTransfer(
    params: TransferParams,
    idempotencyKey: string,
    opts: { budget: Budget },
  ): Promise<StripeCallResult<TransferLike>>;
  /** Every transfer of a transfer_group (all pages). */
  listTransferGroup(
    group: string,
    opts: { budget: Budget },
  ): Promise<{ ok: true; transfers: TransferLike[] } | { ok: false; failure: StripeCallFailure }>;
  /** The charge of the invoice's payment (for `source_transaction`), or null when unknown. */
  resolveSourceCharge(
    invoice: { stripeInvoiceId: string | null; stripePaymentIntentId: string | null },
    opts: { budget: Budget },
  ): Promise<string | null>;
}

/** Knobs of the run (env: PAYOUT_BATCH_SIZE, PAYOUT_STOP_MARGIN_MS, payout_run_env.ts). */
export interface RunConfig {
  /** Tranches per claim, and paid outcomes per recording transaction. */
  batchSize: number;
  concurrency: number;
  /** null: the database's claim_lease. */
  leaseSeconds: number | null;
  settleSeconds: number;
  /** Keys older than this are never reused (Stripe forgets them after 24 h). */
  keyWindowMs: number;
  /** Stop claiming when less than this is left of the budget. */
  stopMarginMs: number;
  /** Rounds of `callStripe` (each up to its own attempts) for rate limits / network errors before deferring. */
  maxSendRounds: number;
  /** Lease left to a tranche after Stripe stayed unreachable. */
  deferSeconds: number;
  /** A paid outcome waits at most this long (ms) to be recorded with others (fewer than `batchSize`). */
  recordMaxDelayMs: number;
}

/** Dependencies of one invocation. */
export interface RunDeps {
  db: RunDb;
  stripe: StripeGateway;
  log: Logger;
  budget: Budget;
  /** Wall clock in ms (key ages). */
  now: () => number;
  config: RunConfig;
  /** Clock and timers of the paid-outcome recorder's delay (default: the real ones). */
  timers?: Timers;
}

/** What happened to one tranche in this invocation (also the `decision` of its log line). */
export type Decision =
  | "paid"
  | "adopted"
  | "failed"
  | "unknown"
  | "deferred"
  | "waiting_gate"
  | "stopped"
  | "skipped"
  | "cancelled"
  | "anomaly"
  | "error";

/** Summary of an invocation (logged, returned to tests). */
export interface InvocationResult {
  invocationId: string;
  runId: string | null;
  outcome: InvocationOutcome;
  decisions: Record<Decision, number>;
  totals: RunTotals | null;
}

const KIND = "payout_schedules";

/** Lists a transfer_group for reconciliation (one per claim: see `listingsForClaim`). */
type Listing = (group: string) => ReturnType<StripeGateway["listTransferGroup"]>;
/** What the pool's workers take: a fresh tranche with its stored request, or a tranche to reconcile. */
type Work =
  | { kind: "send"; t: Tranche; req: StoredRequest | undefined }
  | { kind: "reconcile"; t: ReconcileRow; listing: Listing };
const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));
/** A refusal by one of our SQL functions (SQLSTATE PTxxx), as opposed to a failure to reach them. */
const isRefusal = (e: unknown): boolean => /^PT\d{3}$/.test(String((e as { code?: unknown } | null)?.code ?? ""));

/** What a worker's `send`/`reconcile` returns when the tranche's paid outcome waits in the recorder. */
const RECORDING = "recording";
type Handled = typeof RECORDING | void;
/** A paid outcome with what its decision line says. */
type PaidItem = PaidOutcome & { t: Tranche; fields: Record<string, unknown> };

/** Exactly what must be sent for a tranche (deterministic: same tranche, same params). */
export function transferParams(t: Tranche, sourceTransaction: string | null): TransferParams {
  const amount = Number(t.amount);
  if (!Number.isSafeInteger(amount) || amount < 1 || String(amount) !== String(t.amount)) {
    throw new Error(`tranche ${t.transferId}: amount ${t.amount} is not a positive integer of minor units`);
  }
  return {
    amount,
    currency: t.currency.trim().toLowerCase(),
    destination: t.destination,
    transfer_group: t.transferGroup,
    metadata: {
      payout_id: t.payoutId,
      payout_transfer_id: t.transferId,
      schedule_id: t.scheduleId,
      placement_id: t.placementId,
      attempt_number: String(t.attemptNumber),
    },
    ...(sourceTransaction ? { source_transaction: sourceTransaction } : {}),
  };
}

/** True when a Stripe transfer is the one the tranche asked for: our metadata (payout, tranche, attempt), amount, destination, currency. Nothing else is ever adopted. */
export function transferMatches(tr: TransferLike, t: Tranche): boolean {
  return tr.metadata?.payout_transfer_id === t.transferId &&
    tr.metadata?.payout_id === t.payoutId &&
    tr.metadata?.attempt_number === String(t.attemptNumber) &&
    tr.amount === Number(t.amount) &&
    tr.destination === t.destination &&
    tr.currency.toLowerCase() === t.currency.trim().toLowerCase();
}

function describeFailure(f: StripeFailure & { attempts?: number }): string {
  switch (f.kind) {
    case "definitive_failure":
      return `stripe ${f.code}${f.message ? `: ${f.message}` : ""}`.slice(0, 500);
    case "unknown_outcome":
      return `stripe outcome unknown (${f.reason}${f.status ? `, HTTP ${f.status}` : ""})`;
    case "idempotency_mismatch":
      return `stripe idempotency mismatch: ${f.message}`.slice(0, 500);
    case "retry_same_key":
      return `stripe unreachable (${f.reason}${f.status ? `, HTTP ${f.status}` : ""})`;
  }
}

/** One invocation of process-payout-schedules (see module doc). Never throws for Stripe outcomes. */
export async function runPayoutInvocation(
  deps: RunDeps,
  invocationId: string,
  trigger: Trigger,
): Promise<InvocationResult> {
  const { db, stripe, budget, config } = deps;
  let log = deps.log.child({ invocation_id: invocationId, kind: KIND });
  const decisions = Object.fromEntries(
    [
      "paid",
      "adopted",
      "failed",
      "unknown",
      "deferred",
      "waiting_gate",
      "stopped",
      "skipped",
      "cancelled",
      "anomaly",
      "error",
    ]
      .map((d) => [d, 0]),
  ) as Record<Decision, number>;
  let stop = false;
  let stopReason: InvocationOutcome | null = null;

  const begun = await db.begin(invocationId, trigger);
  log = log.child({ run_id: begun.runId });
  log.info("invocation started", { trigger, resumed: begun.resumed, paused: begun.paused });

  const decide = (d: Decision, fields: Record<string, unknown>) => {
    decisions[d]++;
    const level = d === "anomaly" || d === "error" ? "error" : d === "failed" || d === "unknown" ? "warn" : "info";
    log[level]("payout decision", { decision: d, ...fields });
  };
  const ids = (t: Tranche) => ({
    payout_id: t.payoutId,
    schedule_id: t.scheduleId,
    transfer_id: t.transferId,
    placement_id: t.placementId,
    amount: t.amount,
    currency: t.currency,
    destination: t.destination,
    idempotency_key: t.idempotencyKey,
    attempt_number: t.attemptNumber,
  });
  const recordError = async (code: string, message: string, t?: Tranche) => {
    try {
      await db.error(invocationId, {
        code,
        message: message.slice(0, 1000),
        ...(t ? { transfer_id: t.transferId, payout_id: t.payoutId } : {}),
      });
    } catch (e) {
      log.error("could not record a run error", { error: e, code });
    }
  };
  /** Records a caught error as a run error: its SQLSTATE/Stripe code (else `fallbackCode`) and message. */
  const recordFailure = (e: unknown, fallbackCode: string, t?: Tranche, prefix = "") =>
    recordError((e as { code?: string } | null)?.code ?? fallbackCode, prefix + messageOf(e), t);

  // ---- the Stripe request of a tranche ------------------------------------------------------
  const chargeCache = new Map<string, Promise<string | null>>();
  const sourceCharge = (t: Tranche): Promise<string | null> => {
    if (t.sourceChargeId) return Promise.resolve(t.sourceChargeId);
    const key = t.stripeInvoiceId ?? t.stripePaymentIntentId;
    if (!key) return Promise.resolve(null);
    let p = chargeCache.get(key);
    if (!p) {
      p = stripe.resolveSourceCharge(
        { stripeInvoiceId: t.stripeInvoiceId, stripePaymentIntentId: t.stripePaymentIntentId },
        { budget },
      ).catch((e) => {
        log.warn("source charge lookup failed: transferring from the platform balance", {
          error: e,
          placement_id: t.placementId,
        });
        return null;
      });
      chargeCache.set(key, p);
    }
    return p;
  };
  /** Stored requests for these tranches (the stored one wins over a newly built one). */
  const requestsFor = async (ts: Tranche[]): Promise<Map<string, StoredRequest>> => {
    const out = new Map<string, StoredRequest>();
    const missing: { transferId: string; params: TransferParams }[] = [];
    for (const t of ts) {
      if (t.request) out.set(t.transferId, t.request);
      else missing.push({ transferId: t.transferId, params: transferParams(t, await sourceCharge(t)) });
    }
    if (missing.length > 0) {
      for (const [id, r] of await db.prepare(invocationId, missing)) out.set(id, r);
    }
    return out;
  };

  // ---- one item, guarded: a failure of one tranche never stops the others -----------------
  // (what it had done is committed or not; its lease brings it back to reconciliation)
  const guarded = async <R>(t: Tranche, fn: () => Promise<R>): Promise<R | undefined> => {
    try {
      return await fn();
    } catch (e) {
      decide("error", { ...ids(t), error: e });
      await recordFailure(e, "error", t);
      return undefined;
    }
  };

  // ---- paid outcomes: recorded in batches, decided once committed ---------------------------
  // `held` is declared with the pipeline below; a buffered tranche leaves it only when settled.
  const recorder = createPaidRecorder<PaidItem>({
    maxItems: config.batchSize,
    maxDelayMs: config.recordMaxDelayMs,
    timers: deps.timers,
    recordMany: (items) =>
      db.paidMany(
        invocationId,
        items.map((i) => ({ transferId: i.transferId, stripeTransferId: i.stripeTransferId, adopted: i.adopted })),
      ),
    recordOne: (i) => db.paid(invocationId, i.transferId, i.stripeTransferId, i.adopted),
    // Only a refusal of one element (PTxxx: the batch is all or nothing) is worth one call per
    // outcome; after an outage that outlasted the retries, those calls would each wait it out.
    retryOneByOne: isRefusal,
    batchFailed: async (e, items) => {
      log.warn(
        isRefusal(e)
          ? "recording paid outcomes as one batch failed (refused): recording them one by one"
          : "recording paid outcomes as one batch failed (database unreachable): left to reconciliation",
        { error: e, count: items.length, transfer_ids: items.map((i) => i.transferId) },
      );
      if (!isRefusal(e)) {
        await recordFailure(e, "record_paid_failed", undefined, `${items.length} paid outcomes not recorded: `);
      }
    },
    settled: async (i, r) => {
      try {
        if (r.ok) {
          decide(i.adopted ? "adopted" : "paid", i.fields);
        } else {
          // Stripe's transfer exists, our row stays pending: its lease brings it back to
          // reconciliation, which adopts the transfer.
          decide("error", { ...i.fields, error: r.error });
          // (an outage of the whole batch is recorded once, in batchFailed)
          if (!r.wholeBatch) await recordFailure(r.error, "error", i.t);
        }
      } catch (e) {
        log.error("could not settle a paid outcome", { error: e, ...ids(i.t) });
      } finally {
        held.delete(i.t.transferId);
      }
    },
  });
  /** Buffers a paid outcome; the worker is free, the tranche stays held until it is settled. */
  const recordPaid = (
    t: Tranche,
    stripeTransferId: string,
    adopted: boolean,
    fields: Record<string, unknown>,
  ): typeof RECORDING => {
    recorder.add({ transferId: t.transferId, stripeTransferId, adopted, t, fields });
    return RECORDING;
  };

  // ---- sending ----------------------------------------------------------------------------
  const send = async (t: Tranche, req: StoredRequest): Promise<Handled> => {
    for (let round = 1;; round++) {
      if (stop) {
        await db.defer(invocationId, t.transferId, 0, "run stopped before sending");
        decide("deferred", { ...ids(t), reason: "run stopped" });
        return;
      }
      if (round === 1 && budget.shouldStop(config.stopMarginMs / 2)) {
        // not enough time left to see a call through: give it back untouched (the next
        // invocation reconciles first, then sends under the same key)
        await db.defer(invocationId, t.transferId, 0, "time budget used up before sending");
        decide("deferred", { ...ids(t), reason: "time budget used up" });
        return;
      }
      const r = await stripe.createTransfer(req.params, t.idempotencyKey, { budget });
      if (r.kind === "ok") {
        const tr = r.value;
        if (!transferMatches(tr, t)) {
          // Stripe answered our key with a transfer that is not this tranche's: never record it.
          await db.unknown(
            invocationId,
            t.transferId,
            `stripe returned ${tr.id}, which does not match the tranche`,
            config.settleSeconds,
          );
          await recordError("stripe_transfer_mismatch", `transfer ${tr.id} returned for ${t.idempotencyKey}`, t);
          decide("anomaly", { ...ids(t), stripe_transfer_id: tr.id });
          return;
        }
        return recordPaid(t, tr.id, false, { ...ids(t), stripe_transfer_id: tr.id, stripe_attempts: r.attempts });
      }
      const reason = describeFailure(r);
      if (r.kind === "definitive_failure") {
        if (r.stopRun) {
          // Every call would fail (bad key, missing permission): give the tranche back untouched.
          stop = true;
          stopReason = "stopped";
          await db.defer(invocationId, t.transferId, 0, reason);
          await recordError(r.code, reason, t);
          decide("stopped", { ...ids(t), reason, status: r.status });
          return;
        }
        const st = await db.failed(invocationId, t.transferId, reason, r.code);
        decide("failed", {
          ...ids(t),
          reason,
          code: r.code,
          status: r.status,
          retry_count: st.retryCount,
          max_attempts: st.maxAttempts,
          exhausted: st.exhausted,
          next_attempt_at: st.nextAttemptAt,
          connect_required: st.connectRequired,
        });
        return;
      }
      if (r.kind === "unknown_outcome" || r.kind === "idempotency_mismatch") {
        await db.unknown(invocationId, t.transferId, reason, config.settleSeconds);
        if (r.kind === "idempotency_mismatch") await recordError("idempotency_mismatch", reason, t);
        decide("unknown", { ...ids(t), reason, status: r.status, settle_seconds: config.settleSeconds });
        return;
      }
      // retry_same_key, not resolved within callStripe: Stripe acted once or not at all.
      if (round >= config.maxSendRounds || budget.shouldStop(config.stopMarginMs)) {
        const delay = r.rateLimited ? 0 : config.deferSeconds;
        await db.defer(invocationId, t.transferId, delay, reason);
        decide("deferred", { ...ids(t), reason, rounds: round, defer_seconds: delay });
        return;
      }
      log.warn("stripe call unresolved, trying again with the same key", { ...ids(t), reason, round });
    }
  };

  // ---- reconciling ------------------------------------------------------------------------
  /**
   * Listings of transfer_groups for the tranches of ONE claim: each group is listed once, on first
   * use, which is after the claim (so after the tranche's lease or settle delay: R1 in
   * docs/payout-runs.md). Never shared between claims.
   */
  const listingsForClaim = (): Listing => {
    const listings = new Map<string, ReturnType<StripeGateway["listTransferGroup"]>>();
    return (group: string) => {
      let p = listings.get(group);
      if (!p) listings.set(group, p = stripe.listTransferGroup(group, { budget }));
      return p;
    };
  };
  const reconcile = async (t: ReconcileRow, listing: Listing): Promise<Handled> => {
    if (stop) {
      await db.defer(invocationId, t.transferId, 0, "run stopped before reconciling");
      decide("deferred", { ...ids(t), reason: "run stopped" });
      return;
    }
    const l = await listing(t.transferGroup);
    if (!l.ok) {
      const reason = `transfer_group listing failed: ${describeFailure(l.failure)}`;
      await db.defer(invocationId, t.transferId, config.deferSeconds, reason);
      decide("deferred", { ...ids(t), reason });
      return;
    }
    const mine = l.transfers.filter((tr) => tr.metadata?.payout_transfer_id === t.transferId);
    if (mine.length > 0) {
      const good = mine.filter((tr) => transferMatches(tr, t)).sort((a, b) =>
        a.created - b.created || a.id.localeCompare(b.id)
      );
      if (mine.length > 1) {
        await recordError(
          "duplicate_transfers",
          `${mine.length} Stripe transfers carry tranche ${t.transferId}`,
          t,
        );
      }
      if (good.length === 0) {
        await db.defer(
          invocationId,
          t.transferId,
          config.settleSeconds,
          "a transfer with this tranche's id does not match it",
        );
        await recordError("transfer_mismatch", `transfer ${mine[0].id} does not match tranche ${t.transferId}`, t);
        decide("anomaly", { ...ids(t), stripe_transfer_id: mine[0].id });
        return;
      }
      return recordPaid(t, good[0].id, true, { ...ids(t), stripe_transfer_id: good[0].id, was: t.transferStatus });
    }
    // Stripe has no transfer for this tranche.
    if (t.transferStatus === "unknown") {
      const st = await db.failed(
        invocationId,
        t.transferId,
        "reconciled: Stripe has no transfer for this tranche (after the settle delay)",
        "reconciled_absent",
      );
      decide("failed", {
        ...ids(t),
        reason: "reconciled_absent",
        retry_count: st.retryCount,
        exhausted: st.exhausted,
      });
      return;
    }
    if (t.scheduleStatus !== "processing") {
      // the placement failed meanwhile: never send it now
      const st = await db.failed(
        invocationId,
        t.transferId,
        `reconciled: never sent, schedule ${t.scheduleStatus}`,
        "reconciled_not_sent",
      );
      decide("failed", { ...ids(t), reason: "reconciled_not_sent", retry_count: st.retryCount });
      return;
    }
    if (t.gateReason) {
      await db.defer(invocationId, t.transferId, config.leaseSeconds ?? 900, `waiting: ${t.gateReason}`);
      decide("waiting_gate", { ...ids(t), gate: t.gateReason });
      return;
    }
    const keyAgeMs = t.request ? deps.now() - t.request.preparedAt.getTime() : 0;
    if (t.request && keyAgeMs >= config.keyWindowMs) {
      // Stripe may have forgotten the key: reusing it could transfer a second time. Nothing
      // exists under it (listed above), so this attempt failed; the next one gets a new key.
      const st = await db.failed(
        invocationId,
        t.transferId,
        "reconciled: no transfer and the idempotency key is past its window; retry with a new key",
        "key_window_passed",
      );
      decide("failed", {
        ...ids(t),
        reason: "key_window_passed",
        key_age_ms: keyAgeMs,
        retry_count: st.retryCount,
      });
      return;
    }
    // Still Stripe's key: sending again either replays the first execution or executes once.
    const req = (await requestsFor([t])).get(t.transferId);
    if (!req) throw new Error(`no stored request for tranche ${t.transferId}`);
    return await send(t, req);
  };

  // ---- the pipeline: one pool of senders, fed by a claimer one batch ahead ----------------
  // The claimer claims and prepares the next batch while the pool still sends the previous one,
  // so the pacer is never starved by a claim. Every tranche handed to the pool has its request
  // stored; each is then either started by exactly one worker (send/reconcile decide, and give it
  // back themselves when the run stopped or the budget is short) or taken back unstarted by
  // `giveBackBacklog` (deferred once) — never both, never neither.

  // Tranches handed to the pool and not finished. A pass can meet one of them again when its lease
  // ran out while it waited or was in flight (leases are short in tests, and 429 pauses are long):
  // it is still ours and on its way, so it is not reconciled in parallel — its worker records it.
  // A paid outcome waiting in the recorder is still on its way: held until settled (recorder above).
  const held = new Set<string>();
  const hand = (items: Work[]) => {
    for (const w of items) held.add(w.t.transferId);
    pool.push(items);
  };
  const notHeld = <T extends Tranche>(rows: T[]): T[] =>
    rows.filter((t) => {
      if (!held.has(t.transferId)) return true;
      log.warn("lease ran out while this invocation still works on the tranche: left to its worker", ids(t));
      return false;
    });
  const pool = createWorkPool<Work>(
    config.concurrency,
    async (w) => {
      let handled: Handled | undefined;
      try {
        handled = await guarded(w.t, () => w.kind === "send" ? sendPrepared(w.t, w.req) : reconcile(w.t, w.listing));
      } finally {
        // a buffered paid outcome leaves `held` when the recorder settles it, not here
        if (handled !== RECORDING) held.delete(w.t.transferId);
      }
    },
    (e, w) => log.error("payout work failed outside its guard", { error: e, ...ids(w.t) }),
  );
  const sendPrepared = async (t: Tranche, req: StoredRequest | undefined): Promise<Handled> => {
    if (!req) throw new Error(`no stored request for tranche ${t.transferId}`);
    return await send(t, req);
  };
  /** Gives back (defers now) every tranche the pool has not started. */
  const giveBackBacklog = async (reason: string) => {
    for (const w of pool.takeBacklog()) {
      await guarded(w.t, async () => {
        await db.defer(invocationId, w.t.transferId, 0, reason);
        decide("deferred", { ...ids(w.t), reason });
      });
      held.delete(w.t.transferId);
    }
  };

  /** Why the claimer must not claim again (null: claim). Checked before every pass. */
  const claimingEnds = async (): Promise<InvocationOutcome | null> => {
    if (stop) return stopReason ?? "stopped";
    if (budget.shouldStop(config.stopMarginMs)) return "budget";
    const hb = await db.heartbeat(invocationId);
    if (hb.paused) return "paused";
    if (!hb.alive) {
      log.warn("invocation was closed by another one (stale heartbeat): stopping");
      return "error";
    }
    return null;
  };

  /** One pass: reconciliations, then a batch (requests stored first), queued on the pool. Returns the rows found. */
  const claimPass = async (): Promise<number> => {
    const recon = await db.claimReconciliations(invocationId, config.batchSize, config.leaseSeconds);
    const reconListing = listingsForClaim();
    hand(notHeld(recon).map((t) => ({ kind: "reconcile", t, listing: reconListing })));
    if (stop) return recon.length;

    const batch = await db.claimBatch(invocationId, config.batchSize, config.leaseSeconds);
    const fresh: Tranche[] = [];
    const reclaimed: ReconcileRow[] = [];
    for (const row of batch) {
      switch (row.outcome) {
        case "claimed":
          fresh.push(row);
          break;
        case "reclaimed":
          // an expired lease handed back by the claim: reconcile first, like any other
          reclaimed.push({ ...row, transferStatus: "pending", scheduleStatus: "processing", gateReason: null });
          break;
        default:
          decide(row.outcome, {
            payout_id: row.payoutId,
            schedule_id: row.scheduleId,
            placement_id: row.placementId,
            reason: row.skipReason,
          });
      }
    }
    const reclaimListing = listingsForClaim();
    hand(notHeld(reclaimed).map((t) => ({ kind: "reconcile", t, listing: reclaimListing })));
    if (fresh.length > 0) {
      let reqs: Map<string, StoredRequest>;
      try {
        reqs = await requestsFor(fresh);
      } catch (e) {
        // nothing of this batch was sent: give it back (the next holder reconciles, then sends)
        await recordError("prepare_failed", messageOf(e));
        for (const t of fresh) {
          await db.defer(invocationId, t.transferId, config.deferSeconds, "could not store the Stripe request")
            .catch(() => {});
        }
        throw e;
      }
      // only now, with every request stored, may a sender pick them up
      hand(fresh.map((t) => ({ kind: "send", t, req: reqs.get(t.transferId) })));
    }
    return recon.length + batch.length;
  };

  /** Claims until a pass finds nothing while nothing is in flight, or claiming must end. */
  const claimLoop = async (): Promise<InvocationOutcome> => {
    for (;;) {
      const ends = await claimingEnds();
      if (ends) return ends;
      const wasIdle = pool.idle() && recorder.idle();
      const found = await claimPass();
      if (found === 0) {
        if (wasIdle) return "done";
        // What is still in flight may give tranches back (deferred): one more pass once it settled
        // (paid outcomes recorded now rather than after their delay: nothing else is left to do).
        await pool.drain();
        await recorder.flush();
        continue;
      }
      // Bounded prefetch: claim the next batch once less than one batch waits to be started.
      await pool.backlogBelow(Math.max(1, config.batchSize));
    }
  };

  let outcome: InvocationOutcome = "done";
  if (begun.paused) {
    outcome = "paused";
  } else {
    try {
      outcome = await claimLoop();
      if (outcome === "paused" || outcome === "error") {
        // kill switch on, or this invocation was closed: send nothing more that is not yet on its way
        await giveBackBacklog(
          outcome === "paused" ? "payouts paused before sending" : "invocation closed before sending",
        );
      }
    } catch (e) {
      outcome = "error";
      log.error("invocation failed", { error: e });
      await recordFailure(e, "invocation_failed");
      await giveBackBacklog("invocation failed before sending");
    }
    // What was started finishes; what is queued is sent while the budget allows, else given back by send().
    await pool.drain();
    if (stop && outcome !== "error") outcome = stopReason ?? "stopped";
  }
  // Every paid outcome is recorded (or definitively failed) before the invocation finishes, on
  // every path (done, budget, paused, stopped, error).
  await recorder.flush();

  let totals: RunTotals | null = null;
  try {
    totals = await db.finish(invocationId, outcome);
  } catch (e) {
    log.error("could not finish the invocation", { error: e, outcome });
  }
  log.info("invocation finished", { outcome, decisions, run: totals });
  return { invocationId, runId: begun.runId, outcome, decisions, totals };
}
