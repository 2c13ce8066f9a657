/**
 * The payout run: one invocation of `process-payout-schedules`, as decisions over injected
 * dependencies (database, Stripe, clock, budget, logger), so that every decision can be tested
 * without the stack (`tests/payout_run_test.ts`) and with it (`tests/process-*_test.ts`).
 *
 * This folder's units, composed here over one `InvocationState` (`state.ts`: stop, held tranches,
 * decision counters, log): `paid_outcomes.ts` (paid outcomes recorded in batches), `send.ts` (a
 * tranche's stored request, the call, its outcome), `reconcile.ts` (transfer_group listing, adopt /
 * fail / send again), `pipeline.ts` (pool, claimer one batch ahead, give-back, claim loop); the run's
 * types are in `types.ts`, its real database and Stripe sides in `db.ts` and `stripe_gateway.ts`
 * (its settings: `payoutRunEnv` of `../platform/env.ts`), and `wiring.ts` puts them together for
 * the job functions.
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
 * Outcomes of a `transfers.create` (see `../platform/stripe_retry.ts`; decided in `send.ts`):
 * - ok → complete (paid); network errors/timeouts/409/429 are retried with the same key inside
 *   `callStripe`; still unresolved → the tranche is deferred (kept pending; the next holder
 *   reconciles before sending);
 * - stored 5xx / idempotency mismatch / unclassified → `unknown` with a settle delay, then reconcile;
 * - definitive 4xx → failed (counts toward max attempts; backoff in SQL); a destination that cannot
 *   receive transfers also updates the capability mirror and raises one `payout.connect_required`;
 * - 401/403 → the run stops (configuration), the tranche is given back untouched.
 */
import { createPaidOutcomes } from "./paid_outcomes.ts";
import { runPipeline } from "./pipeline.ts";
import { createReconciler } from "./reconcile.ts";
import { createSender } from "./send.ts";
import type { Logger } from "../platform/log.ts";
import { realTimers } from "./paid_recorder.ts";
import { InvocationState } from "./state.ts";
import type { InvocationOutcome, InvocationResult, RunDeps, RunTotals, Trigger } from "./types.ts";

const KIND = "payout_schedules";

/** One invocation of process-payout-schedules (see module doc). Never throws for Stripe outcomes. */
export async function runPayoutInvocation(
  deps: RunDeps,
  invocationId: string,
  trigger: Trigger,
): Promise<InvocationResult> {
  const { db } = deps;
  let log = deps.log.child({ invocation_id: invocationId, kind: KIND });
  const begun = await db.begin(invocationId, trigger);
  log = log.child({ run_id: begun.runId });
  log.info("invocation started", { trigger, resumed: begun.resumed, paused: begun.paused });

  const stopBeating = keepBeating(deps, invocationId, log);
  const state = new InvocationState(deps, invocationId, log);
  const paid = createPaidOutcomes(state);
  const sender = createSender(state, paid.recordPaid);
  const reconcile = createReconciler(state, sender, paid.recordPaid);

  // Kill switch on: nothing is claimed.
  const outcome: InvocationOutcome = begun.paused ? "paused" : await runPipeline(state, { sender, reconcile, paid });
  // Every paid outcome is recorded (or definitively failed) before the invocation finishes, on
  // every path (done, budget, paused, stopped, error).
  await paid.flush();

  await stopBeating();
  let totals: RunTotals | null = null;
  try {
    totals = await db.finish(invocationId, outcome);
  } catch (e) {
    log.error("could not finish the invocation", { error: e, outcome });
  }
  const { decisions } = state;
  log.info("invocation finished", { outcome, decisions, run: totals });
  return { invocationId, runId: begun.runId, outcome, decisions, totals };
}

/**
 * Beats (`db.keepAlive`) every `config.heartbeatMs` until the returned stop is called, so that the
 * invocation's claims stay its own however long a tranche waits for the pacer or a Stripe call
 * takes, and are free within `invocation_stale_after` once its process is gone. A failed beat is
 * logged; the next one tries again.
 */
function keepBeating(deps: RunDeps, invocationId: string, log: Logger): () => Promise<void> {
  const { db } = deps;
  if (!db.keepAlive) return () => Promise.resolve();
  const timers = deps.timers ?? realTimers;
  const every = deps.config.heartbeatMs ?? 5_000;
  let stopped = false;
  let handle: unknown;
  let beating: Promise<void> = Promise.resolve();
  const schedule = () => {
    handle = timers.setTimeout(() => {
      beating = db.keepAlive!(invocationId)
        .catch((e) => log.warn("heartbeat failed", { error: e }))
        .finally(() => {
          if (!stopped) schedule();
        });
    }, every);
  };
  schedule();
  return async () => {
    stopped = true;
    timers.clearTimeout(handle);
    await beating;
  };
}
