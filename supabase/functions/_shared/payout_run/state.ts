/**
 * The state of one payout-run invocation, created once by `runPayoutInvocation` (after `begin`)
 * and passed to every unit (`paid_outcomes.ts`, `send.ts`, `reconcile.ts`, `pipeline.ts`): what
 * used to be the variables every closure of the invocation shared.
 *
 * - `stop` / `stopReason`: set by `stopRun()` when every further Stripe call would fail (401/403):
 *   nothing more is sent, claiming ends;
 * - `held`: tranches this invocation still works on (handed to the pool, or a paid outcome waiting
 *   in the recorder): never reconciled in parallel by this invocation;
 * - `decisions`: one counter per `Decision`, counted by `decide`, which also logs the decision;
 * - `log`: the invocation's logger (invocation_id, kind, run_id).
 */
import type { Budget } from "../platform/budget.ts";
import type { Logger } from "../platform/log.ts";
import type { Decision, InvocationOutcome, RunConfig, RunDb, RunDeps, StripeGateway, Tranche } from "./types.ts";

/** The decision counters, in the order the summary lists them. */
const DECISIONS: Decision[] = [
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
];

export const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The fields naming a tranche in its log lines. */
export const ids = (t: Tranche) => ({
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

/** One invocation's shared state (see module doc). */
export class InvocationState {
  readonly db: RunDb;
  readonly stripe: StripeGateway;
  readonly budget: Budget;
  readonly config: RunConfig;
  /** Set once the run must stop (see `stopRun`). */
  stop = false;
  /** The invocation's outcome when it stopped, null while it did not. */
  stopReason: InvocationOutcome | null = null;
  /** Tranches handed to the pool and not finished, or whose paid outcome is not settled yet. */
  readonly held = new Set<string>();
  readonly decisions: Record<Decision, number> = Object.fromEntries(
    DECISIONS.map((d) => [d, 0]),
  ) as Record<Decision, number>;

  constructor(readonly deps: RunDeps, readonly invocationId: string, readonly log: Logger) {
    this.db = deps.db;
    this.stripe = deps.stripe;
    this.budget = deps.budget;
    this.config = deps.config;
  }

  /** Counts and logs what happened to a tranche (`payout decision`). */
  decide(d: Decision, fields: Record<string, unknown>): void {
    this.decisions[d]++;
    const level = d === "anomaly" || d === "error" ? "error" : d === "failed" || d === "unknown" ? "warn" : "info";
    this.log[level]("payout decision", { decision: d, ...fields });
  }

  /** Every further call would fail (bad key, missing permission): send nothing more, end claiming. */
  stopRun(): void {
    this.stop = true;
    this.stopReason = "stopped";
  }

  /** Records a run error (`record_payout_run_error`); a failure to record it is only logged. */
  async recordError(code: string, message: string, t?: Tranche): Promise<void> {
    try {
      await this.db.error(this.invocationId, {
        code,
        message: message.slice(0, 1000),
        ...(t ? { transfer_id: t.transferId, payout_id: t.payoutId } : {}),
      });
    } catch (e) {
      this.log.error("could not record a run error", { error: e, code });
    }
  }

  /** Records a caught error as a run error: its SQLSTATE/Stripe code (else `fallbackCode`) and message. */
  recordFailure(e: unknown, fallbackCode: string, t?: Tranche, prefix = ""): Promise<void> {
    return this.recordError((e as { code?: string } | null)?.code ?? fallbackCode, prefix + messageOf(e), t);
  }

  /**
   * Runs one tranche's work, guarded: a failure of one tranche never stops the others (what it had
   * done is committed or not; its lease brings it back to reconciliation).
   */
  async guarded<R>(t: Tranche, fn: () => Promise<R>): Promise<R | undefined> {
    try {
      return await fn();
    } catch (e) {
      this.decide("error", { ...ids(t), error: e });
      await this.recordFailure(e, "error", t);
      return undefined;
    }
  }
}
