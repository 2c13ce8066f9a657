/**
 * The payout run's types: what the run reads from the database and from Stripe, its dependencies
 * and settings, and what an invocation reports. Shared by the run's units (`invocation.ts` and the
 * modules it composes), its real dependencies (`db.ts`, `stripe_gateway.ts`, `wiring.ts`), the
 * escrow release run (`escrow_run.ts`).
 */
import type { Budget } from "../platform/budget.ts";
import type { Logger } from "../platform/log.ts";
import type { StripeCallResult, TransferInfo } from "../platform/stripe.ts";
import type { PaidOutcome, Timers } from "./paid_recorder.ts";

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

/** The database side (the SQL run functions; `db.ts`). */
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
  /**
   * Keeps the invocation alive between claims (a timer calls it every `heartbeatMs`): while it beats,
   * nobody takes its claims; once it stops (the process died), they are free after
   * `settings.invocation_stale_after`. Optional: without it only the claim passes beat.
   */
  keepAlive?(invocationId: string): Promise<void>;
  /** Rings the function again now when work remains (`private.ring_payout_handover`): the pg_net request id, or null. */
  handover?(invocationId: string): Promise<number | null>;
}

/** A failed Stripe call, as `callStripe` reports it. */
export type StripeCallFailure = Exclude<StripeCallResult<unknown>, { kind: "ok" }>;

/** The Stripe side (`stripe_gateway.ts`): paced, retried with the same key, classified. */
export interface StripeGateway {
  createTransfer(
    params: TransferParams,
    idempotencyKey: string,
    opts: { budget: Budget },
  ): Promise<StripeCallResult<TransferInfo>>;
  /** Every transfer of a transfer_group (all pages). */
  listTransferGroup(
    group: string,
    opts: { budget: Budget },
  ): Promise<{ ok: true; transfers: TransferInfo[] } | { ok: false; failure: StripeCallFailure }>;
  /** The charge of the invoice's payment (for `source_transaction`), or null when unknown. */
  resolveSourceCharge(
    invoice: { stripeInvoiceId: string | null; stripePaymentIntentId: string | null },
    opts: { budget: Budget },
  ): Promise<string | null>;
}

/** Knobs of the run (`PayoutRunSettings` of ../platform/env.ts, and the send rounds). */
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
  /** CPU charged to the isolate's meter per Stripe call (ms; an estimate for runtimes that report no CPU). */
  cpuPerCallMs?: number;
  /** How often `keepAlive` beats (ms; default 5 000). */
  heartbeatMs?: number;
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
