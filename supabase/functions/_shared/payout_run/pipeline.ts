/**
 * The pipeline of one invocation: one pool of `concurrency` workers (`work_pool.ts`) that send or
 * reconcile, fed by a claimer one batch ahead, until a pass finds nothing while nothing is in
 * flight, or claiming must end (budget, kill switch, stop, closed invocation).
 *
 * The claimer claims and prepares the next batch while the pool still sends the previous one, so
 * the pacer is never starved by a claim. Every tranche handed to the pool has its request stored;
 * each is then either started by exactly one worker (send/reconcile decide, and give it back
 * themselves when the run stopped or the budget is short) or taken back unstarted by
 * `giveBackBacklog` (deferred once) — never both, never neither.
 */
import { type Handled, type PaidOutcomes, RECORDING } from "./paid_outcomes.ts";
import { type Listing, listingsForClaim, type Reconcile } from "./reconcile.ts";
import type { Sender } from "./send.ts";
import { ids, type InvocationState, messageOf } from "./state.ts";
import type { InvocationOutcome, ReconcileRow, StoredRequest, Tranche } from "./types.ts";
import { createWorkPool } from "./work_pool.ts";

/** What the pool's workers take: a fresh tranche with its stored request, or a tranche to reconcile. */
type Work =
  | { kind: "send"; t: Tranche; req: StoredRequest | undefined }
  | { kind: "reconcile"; t: ReconcileRow; listing: Listing };

/**
 * Claims and works until claiming ends; gives back what was not started when paused, closed or
 * failed, and lets what was started finish. Returns the invocation's outcome.
 */
export async function runPipeline(
  state: InvocationState,
  { sender, reconcile, paid }: { sender: Sender; reconcile: Reconcile; paid: PaidOutcomes },
): Promise<InvocationOutcome> {
  const { db, budget, config, invocationId, log, held } = state;
  // Tranches handed to the pool stay in `state.held` until finished. A pass can meet one of them
  // again when its lease ran out while it waited or was in flight (leases are short in tests, and
  // 429 pauses are long): it is still ours and on its way, so it is not reconciled in parallel — its
  // worker records it. A paid outcome waiting in the recorder is still on its way: held until settled
  // (`paid_outcomes.ts`).
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
        handled = await state.guarded(
          w.t,
          () => w.kind === "send" ? sendPrepared(w.t, w.req) : reconcile(w.t, w.listing),
        );
      } finally {
        // a buffered paid outcome leaves `held` when the recorder settles it, not here
        if (handled !== RECORDING) held.delete(w.t.transferId);
      }
    },
    (e, w) => log.error("payout work failed outside its guard", { error: e, ...ids(w.t) }),
  );
  const sendPrepared = async (t: Tranche, req: StoredRequest | undefined): Promise<Handled> => {
    if (!req) throw new Error(`no stored request for tranche ${t.transferId}`);
    return await sender.send(t, req);
  };
  /** Gives back (defers now) every tranche the pool has not started. */
  const giveBackBacklog = async (reason: string) => {
    for (const w of pool.takeBacklog()) {
      await state.guarded(w.t, async () => {
        await db.defer(invocationId, w.t.transferId, 0, reason);
        state.decide("deferred", { ...ids(w.t), reason });
      });
      held.delete(w.t.transferId);
    }
  };

  /** Why the claimer must not claim again (null: claim). Checked before every pass. */
  const claimingEnds = async (): Promise<InvocationOutcome | null> => {
    if (state.stop) return state.stopReason ?? "stopped";
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
    const reconListing = listingsForClaim(state);
    hand(notHeld(recon).map((t) => ({ kind: "reconcile", t, listing: reconListing })));
    if (state.stop) return recon.length;

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
          state.decide(row.outcome, {
            payout_id: row.payoutId,
            schedule_id: row.scheduleId,
            placement_id: row.placementId,
            reason: row.skipReason,
          });
      }
    }
    const reclaimListing = listingsForClaim(state);
    hand(notHeld(reclaimed).map((t) => ({ kind: "reconcile", t, listing: reclaimListing })));
    if (fresh.length > 0) {
      let reqs: Map<string, StoredRequest>;
      try {
        reqs = await sender.requestsFor(fresh);
      } catch (e) {
        // nothing of this batch was sent: give it back (the next holder reconciles, then sends)
        await state.recordError("prepare_failed", messageOf(e));
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
      const wasIdle = pool.idle() && paid.idle();
      const found = await claimPass();
      if (found === 0) {
        if (wasIdle) return "done";
        // What is still in flight may give tranches back (deferred): one more pass once it settled
        // (paid outcomes recorded now rather than after their delay: nothing else is left to do).
        await pool.drain();
        await paid.flush();
        continue;
      }
      // Bounded prefetch: claim the next batch once less than one batch waits to be started.
      await pool.backlogBelow(Math.max(1, config.batchSize));
    }
  };

  /**
   * Claiming ended for the budget (the isolate's CPU, or wall clock) while work may remain: ring the
   * function now, so that a fresh isolate starts while this one still sends what it claimed,
   * instead of the work waiting for the next minute's doorbell. Nothing rings when nothing is due.
   */
  const handOver = async () => {
    const why = { reason: budget.stopReason(config.stopMarginMs), cpu_ms: Math.round(budget.cpu.usedMs()) };
    if (!db.handover) return log.info("budget used up: claiming ends", why);
    try {
      const ring = await db.handover(invocationId);
      log.info("budget used up: claiming ends, handing over", { ...why, ring_request_id: ring });
    } catch (e) {
      // the next doorbell continues the run
      log.warn("budget used up: claiming ends, hand-over ring failed", { ...why, error: e });
    }
  };

  let outcome: InvocationOutcome;
  try {
    outcome = await claimLoop();
    if (outcome === "budget") await handOver();
    if (outcome === "paused" || outcome === "error") {
      // kill switch on, or this invocation was closed: send nothing more that is not yet on its way
      await giveBackBacklog(
        outcome === "paused" ? "payouts paused before sending" : "invocation closed before sending",
      );
    }
  } catch (e) {
    outcome = "error";
    log.error("invocation failed", { error: e });
    await state.recordFailure(e, "invocation_failed");
    await giveBackBacklog("invocation failed before sending");
  }
  // What was started finishes; what is queued is sent while the budget allows, else given back by send().
  await pool.drain();
  if (state.stop && outcome !== "error") outcome = state.stopReason ?? "stopped";
  return outcome;
}
