/**
 * Daily reconciliation (`reconcile-payouts`) of our tranches with Stripe's transfers.
 *
 * 1. `begin`: the window (since the end of the last finished run, minus an overlap, until now), or
 *    for a continuation (`runId` of an unfinished run) what is left of its window.
 * 2. Page through the platform's transfers created in the window, newest first (`created[gte/lte]`).
 * 3. Our succeeded tranches of the window whose transfer Stripe did not list are read one by one:
 *    found (created outside the window: compared like the others) or missing.
 * 4. `record`: SQL matches on our metadata (`payout_transfer_id`), never on the amount, and writes
 *    the findings (unknown to us, mismatch, missing) that `public.payout_alerts` shows.
 * 5. Then: amounts owed are netted (`apply_clawback_offsets`) and failed webhook events retried.
 *
 * Within the isolate's budget (platform/budget.ts; Edge Functions retire an isolate at 1 s of CPU and
 * terminate it at 2 s): a long window is done in parts, newest first. When the budget says stop
 * (checked after each page and before each read), the part recorded is [covered_from, top of the
 * part] — whole seconds, so nothing between two parts is skipped (the boundary second is checked
 * twice, which is harmless) — and the run stays unfinished; the function is rung again for the same
 * run at once (`handover`: the isolate is retired; there is no per-minute doorbell for this job).
 * A part always moves `covered_from` down, so hand-overs end.
 */
import type { Budget, StopReason } from "../platform/budget.ts";
import type { Logger } from "../platform/log.ts";
import {
  listAll,
  type ListPage,
  type StripeCallResult,
  StripeReadFailed,
  type TransferInfo,
} from "../platform/stripe.ts";

/** A run as `begin` returns it: the window, and how far down a previous part got. */
export interface ReconcileRun {
  since: Date;
  window_end: Date;
  covered_from: Date | null;
  status: string;
}

export interface ReconcileDb {
  begin(runId: string, overlapS: number, windowStart: string | null): Promise<ReconcileRun>;
  /** Our succeeded tranches completed in [since, until], oldest first. */
  tranches(since: Date, until: Date): Promise<Array<{ stripe_transfer_id: string; succeeded_at: Date }>>;
  /** Records a part; `coveredFrom` null: the run is done (finished). */
  record(runId: string, transfers: TransferInfo[], missing: string[], coveredFrom: Date | null): Promise<Record<string, unknown>>;
  fail(runId: string, error: { code: string; message: string }): Promise<void>;
  applyOffsets(): Promise<number>;
  /** Rings reconcile-payouts now for this unfinished run (pg_net request id, or null). */
  handover(runId: string): Promise<number | null>;
}

export interface ReconcileStripe {
  /** One page of the transfers created in [since, until] (unix seconds), newest first. */
  listTransfers(
    since: number,
    until: number,
    startingAfter?: string,
  ): Promise<StripeCallResult<ListPage<TransferInfo>>>;
  /** One transfer, or null when Stripe does not have it. */
  retrieveTransfer(id: string): Promise<TransferInfo | null>;
}

export interface ReconcileDeps {
  db: ReconcileDb;
  stripe: ReconcileStripe;
  log: Logger;
  budget: Budget;
  /** Stop when less wall clock than this is left (default 5 000 ms). */
  stopMarginMs?: number;
  /** Retries failed webhook events while `shouldStop` says go on (optional). */
  retryWebhooks?: (shouldStop: () => boolean) => Promise<{ retried: number; failed: number }>;
}

/**
 * CPU charged to the isolate's meter per unit of work, for runtimes that report no CPU of their own
 * (ms): a page of 100 transfers measured ~2 ms in a warm isolate (~10 ms the first), one transfer
 * read ~1 ms; charged at about twice that.
 */
export const RECONCILE_CPU_MS = { page: 4, read: 2 } as const;

/** Runs one part of a reconciliation run (see module doc). A failure is recorded on the run and rethrown. */
export async function reconcile(
  deps: ReconcileDeps,
  opts: { runId: string; overlapS: number; windowStart?: string | null },
): Promise<Record<string, unknown>> {
  const { db, stripe, budget } = deps;
  const run = await db.begin(opts.runId, opts.overlapS, opts.windowStart ?? null);
  const log = deps.log.child({ run_id: opts.runId });
  if (run.status !== "running") return { run_id: opts.runId, status: run.status };
  const stopReason = () => budget.stopReason(deps.stopMarginMs ?? 5_000);
  // this part: [since, top], top = where the last part ended (or the window's end)
  const top = run.covered_from ?? run.window_end;
  const sinceS = Math.floor(run.since.getTime() / 1000);
  const topS = Math.ceil(top.getTime() / 1000);
  /** Whole seconds from which everything was checked, once a stop cut the part short. */
  let coveredFromS: number | null = null;
  let stopped: StopReason | null = null;
  /** Stop at `cut` when the budget says so and that still moves the part's bottom below its top. */
  const stopAt = (cut: number): boolean => {
    const why = cut * 1000 < top.getTime() ? stopReason() : null;
    if (why) {
      stopped = why;
      coveredFromS = Math.max(coveredFromS ?? cut, cut);
    }
    return why !== null;
  };
  try {
    const listing = await listAll("transfers.list", async (after) => {
      const page = await stripe.listTransfers(sinceS, topS, after);
      budget.cpu.charge(RECONCILE_CPU_MS.page);
      return page;
    }, {
      maxPages: Infinity,
      // newest first: everything created from the oldest second of this page on is listed
      beforeNext: (page) => !stopAt(Math.min(...page.map((t) => t.created)) + 1),
    });
    if (listing.kind !== "ok") throw new StripeReadFailed("transfers.list", listing);
    const listed = listing.value;

    const ids = new Set(listed.map((t) => t.id));
    const from = coveredFromS === null ? run.since : new Date(coveredFromS * 1000);
    // newest first (`tranches` lists oldest first), like the listing
    const unlisted = (await db.tranches(from, top)).filter((t) => !ids.has(t.stripe_transfer_id)).reverse();
    const missing: string[] = [];
    for (const t of unlisted) {
      // newest first: the ones left are at or before this one's second
      if (stopAt(Math.floor(t.succeeded_at.getTime() / 1000) + 1)) break;
      const found = await stripe.retrieveTransfer(t.stripe_transfer_id);
      budget.cpu.charge(RECONCILE_CPU_MS.read);
      if (found) {
        listed.push(found);
        ids.add(found.id);
      } else {
        missing.push(t.stripe_transfer_id);
      }
    }

    const coveredFrom = coveredFromS === null ? null : new Date(coveredFromS * 1000);
    const summary = await db.record(opts.runId, listed, missing, coveredFrom);
    if (coveredFrom) {
      // more below: continue at once (a fresh isolate), not tomorrow
      const handover = await db.handover(opts.runId).catch((e) => {
        log.warn("hand-over ring failed: the next run covers the rest", { error: e });
        return null;
      });
      const part = { ...summary, stopped, cpu_ms: Math.round(budget.cpu.usedMs()), handover };
      log.info("reconciliation part done, handing over", part);
      return part;
    }
    const offsets = await db.applyOffsets();
    const webhooks = deps.retryWebhooks ? await deps.retryWebhooks(() => stopReason() !== null) : null;
    log.info("reconciliation done", { ...summary, offsets, webhooks });
    return { ...summary, offsets, webhooks };
  } catch (e) {
    const error = {
      code: (e as { code?: string })?.code ?? "error",
      message: e instanceof Error ? e.message : String(e),
    };
    log.error("reconciliation failed", { error: e });
    await db.fail(opts.runId, error).catch(() => {});
    throw e;
  }
}
