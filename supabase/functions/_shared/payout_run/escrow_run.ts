/**
 * The escrow release run: one invocation of `process-escrow-releases`. Releases the due holds
 * through the money model (`private.release_due_escrow_holds`, via `private.run_escrow_releases`:
 * audited, `escrow_hold.auto_released` events, the released money gets a payout schedule due at
 * the next payout due time, which the payout doorbell then rings for), recorded as a run of kind
 * `escrow_releases`.
 *
 * In batches: each call releases at most `batchSize` holds (`ESCROW_BATCH_SIZE`, 1 000) in its own
 * transaction, so a night with 100 000 due holds is a hundred short transactions, never one that
 * locks 100 000 payouts while the payout run waits for them (docs/payout-runs.md, "Escrow releases
 * in batches"). The loop goes on while batches come back full and the budget lasts; what is left
 * is the next doorbell's (the run stays unfinished: outcome `budget`).
 *
 * CPU (Edge Functions retire an isolate at 1 s of CPU, terminate it at 2 s): a batch is one SQL
 * call returning ONE summary row and one log line, whatever its size: the isolate's CPU grows with
 * the number of batches (~1 ms each), not of holds. The holds' own record is the audit trail and
 * the outbox. The budget is checked before every batch all the same (wall clock: at least two
 * batches' time must be left).
 */
import type { Budget } from "../platform/budget.ts";
import type { Logger } from "../platform/log.ts";
import type { InvocationOutcome, RunTotals, Trigger } from "./types.ts";

/** One batch, as `private.run_escrow_releases` returns it. */
export interface ReleasedBatch {
  released: number;
  payouts: number;
  /** Released amount per currency (minor units, as strings or numbers: bigint sums). */
  amounts: Record<string, string | number>;
  first_hold_id: string | null;
  last_hold_id: string | null;
  next_payout_due_at: unknown;
  /** Due holds remain after this batch (some may be held by another caller). */
  more_due: boolean;
}

/** The database side of the escrow run (`db.ts` with kind escrow_releases). */
export interface EscrowDb {
  begin(invocationId: string, trigger: Trigger): Promise<{ runId: string; resumed: boolean }>;
  releaseEscrow(invocationId: string, limit: number): Promise<ReleasedBatch>;
  error(invocationId: string, err: { code: string; message: string }): Promise<void>;
  finish(invocationId: string, outcome: InvocationOutcome): Promise<RunTotals>;
}

/** Runs one escrow release invocation. */
export async function runEscrowInvocation(
  deps: { db: EscrowDb; log: Logger; budget: Budget; batchSize: number },
  invocationId: string,
  trigger: Trigger,
): Promise<{ runId: string; outcome: InvocationOutcome; released: number; totals: RunTotals | null }> {
  const { db, budget, batchSize } = deps;
  let log = deps.log.child({ invocation_id: invocationId, kind: "escrow_releases" });
  const begun = await db.begin(invocationId, trigger);
  log = log.child({ run_id: begun.runId });
  log.info("invocation started", { trigger, resumed: begun.resumed, batch_size: batchSize });
  let outcome: InvocationOutcome = "done";
  let released = 0;
  let batches = 0;
  let lastBatchMs = 0;
  try {
    for (;;) {
      if (budget.shouldStop(2 * lastBatchMs)) {
        outcome = "budget";
        log.info("budget used up: the next doorbell continues", {
          reason: budget.stopReason(2 * lastBatchMs),
          released,
          batches,
        });
        break;
      }
      const t0 = Date.now();
      const b = await db.releaseEscrow(invocationId, batchSize);
      lastBatchMs = Date.now() - t0;
      if (b.released === 0) break;
      batches++;
      released += b.released;
      log.info("escrow batch released", {
        released: b.released,
        payouts: b.payouts,
        amounts: b.amounts,
        first_hold_id: b.first_hold_id,
        last_hold_id: b.last_hold_id,
        payout_due_at: b.next_payout_due_at,
        more_due: b.more_due,
        ms: lastBatchMs,
      });
      // a short batch: nothing more was free to take now (a rest held by another caller waits
      // for the next doorbell)
      if (b.released < batchSize || !b.more_due) break;
    }
  } catch (e) {
    outcome = "error";
    log.error("escrow release failed", { error: e, released, batches });
    await db.error(invocationId, {
      code: (e as { code?: string }).code ?? "escrow_release_failed",
      message: e instanceof Error ? e.message : String(e),
    }).catch(() => {});
  }
  let totals: RunTotals | null = null;
  try {
    totals = await db.finish(invocationId, outcome);
  } catch (e) {
    log.error("could not finish the invocation", { error: e, outcome });
  }
  log.info("invocation finished", { outcome, released, batches, run: totals });
  return { runId: begun.runId, outcome, released, totals };
}
