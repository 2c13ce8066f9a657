/**
 * The escrow release run: one invocation of `process-escrow-releases`. Releases every due hold
 * set-based through the money model (`private.release_due_escrow_holds`, via
 * `private.run_escrow_releases`: audited, `escrow_hold.auto_released` events, the released money
 * gets a payout schedule due at the next payout due time, which the payout doorbell then rings
 * for), one log line per released hold, recorded as a run of kind `escrow_releases`.
 *
 * CPU (Edge Functions retire an isolate at 1 s of CPU, terminate it at 2 s): one SQL call per
 * invocation; what grows is a row and a log line per released hold, ~0.1 ms each — an invocation
 * releasing 1 000 holds measured 350 ms of CPU in all (module load included), so one invocation
 * fits up to ~15 000 holds, far beyond a day's releases. No CPU stop is needed.
 */
import type { Logger } from "../platform/log.ts";
import type { InvocationOutcome, RunTotals, Trigger } from "./types.ts";

/** One released hold, as `private.run_escrow_releases` returns it. */
export interface ReleasedHold {
  hold_id: string;
  payout_id: string;
  placement_id: string;
  hold_amount: string;
  currency: string;
  release_scheduled_date: unknown;
  schedule_id: string | null;
  schedule_next_attempt_at: unknown;
}

/** The database side of the escrow run (`db.ts` with kind escrow_releases). */
export interface EscrowDb {
  begin(invocationId: string, trigger: Trigger): Promise<{ runId: string; resumed: boolean }>;
  releaseEscrow(invocationId: string): Promise<ReleasedHold[]>;
  error(invocationId: string, err: { code: string; message: string }): Promise<void>;
  finish(invocationId: string, outcome: InvocationOutcome): Promise<RunTotals>;
}

/** Runs one escrow release invocation. */
export async function runEscrowInvocation(
  deps: { db: EscrowDb; log: Logger },
  invocationId: string,
  trigger: Trigger,
): Promise<{ runId: string; outcome: InvocationOutcome; released: number; totals: RunTotals | null }> {
  const { db } = deps;
  let log = deps.log.child({ invocation_id: invocationId, kind: "escrow_releases" });
  const begun = await db.begin(invocationId, trigger);
  log = log.child({ run_id: begun.runId });
  log.info("invocation started", { trigger, resumed: begun.resumed });
  let outcome: InvocationOutcome = "done";
  let released = 0;
  try {
    const holds = await db.releaseEscrow(invocationId);
    released = holds.length;
    for (const h of holds) {
      log.info("escrow decision", {
        decision: "released",
        hold_id: h.hold_id,
        payout_id: h.payout_id,
        placement_id: h.placement_id,
        amount: h.hold_amount,
        currency: h.currency,
        release_scheduled_date: h.release_scheduled_date,
        schedule_id: h.schedule_id,
        payout_due_at: h.schedule_next_attempt_at,
      });
    }
  } catch (e) {
    outcome = "error";
    log.error("escrow release failed", { error: e });
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
  log.info("invocation finished", { outcome, released, run: totals });
  return { runId: begun.runId, outcome, released, totals };
}
