/**
 * The events catch-up (`stripe-events-catch-up`): recovers Stripe events no webhook delivered.
 *
 * 1. `begin`: the run's window, [cursor - overlap, now] (never before now - 30 days: Stripe keeps
 *    events 30 days; SQL records a gap when the cursor is older), or the unfinished run to continue,
 *    with the sources still to list: the platform's events, then each connected account's (Connect
 *    events are listed per account, `Stripe-Account`).
 * 2. Per source, page through `GET /v1/events` (`types[]` = the types the webhook handles,
 *    `created[gte]` = window start, no upper bound: whatever Stripe has up to its present, so an
 *    event stamped by a Stripe clock ahead of ours is not skipped), newest first as Stripe lists.
 * 3. Per page, the events the inbox lacks (`notInInbox`) are stored and processed exactly as a
 *    webhook delivery would be (`process` = webhook.ts `storeAndProcessEvent`: the same inbox, the
 *    same effects; dedupe by event id; out-of-order safe as the effects are). Events already in the
 *    inbox are left alone (failed ones are retried by reconcile-payouts).
 * 4. `finish`: the cursor moves to the window's end (never backwards).
 *
 * A connected account whose events Stripe refuses to list (no longer connected: `account_invalid`)
 * is skipped with a warning (and named in the run's result). Any other listing failure (Stripe
 * still answering 429/5xx after the reader's retries, a refused key) stops the invocation as a
 * budget stop does, position recorded, but answers `stopped: "stripe_error"` with the cause and
 * rings nothing: ringing again at once would hammer a Stripe that is failing; the next cron ring
 * continues the run.
 *
 * Within the isolate's budget (platform/budget.ts): the budget is checked before each page and each
 * event. On a stop, the position is recorded (`progress`: sources before this one done; of this one,
 * the events created at or after `covered_from`, whole seconds: Stripe lists newest first, so once a
 * page is done everything newer than its oldest second is) and, if this invocation moved it, the
 * function is rung again at once (`handover`). Without progress it leaves the run to the next cron ring.
 */
import type { Budget, StopReason } from "../platform/budget.ts";
import type { Logger } from "../platform/log.ts";
import type { ListPage, StripeCallResult } from "../platform/stripe.ts";
import { HANDLED_EVENT_TYPES, type StripeEventLike } from "./events.ts";
import type { DeliveryOutcome } from "./webhook.ts";

/** A run as `begin` returns it. */
export interface CatchUpRun {
  run_id: string;
  since: Date;
  window_end: Date;
  /** Sources still to list, in order ('platform', then `acct_…`); the first may be partly done. */
  sources: string[];
  /** Of the first source: the events created at or after this are done (null: none). */
  covered_from: Date | null;
  cursor_at: Date | null;
  resumed: boolean;
  gap_from: Date | null;
  gap_until: Date | null;
}

export interface CatchUpDb {
  begin(runId: string, overlapS: number): Promise<CatchUpRun>;
  /** The ids the webhook inbox has never received. */
  notInInbox(ids: string[]): Promise<Set<string>>;
  /** Records where a stopped run got; false when it was not ahead of the recorded position. */
  progress(runId: string, source: string, coveredFrom: Date | null): Promise<boolean>;
  finish(runId: string, result: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Rings stripe-events-catch-up now for this unfinished run (pg_net request id, or null). */
  handover(runId: string): Promise<number | null>;
}

/** One page of events of a source: `created` in [sinceS, untilS] (unix s; no untilS: up to now), of `types`, newest first. */
export interface CatchUpStripe {
  listEvents(
    source: string,
    q: { sinceS: number; untilS?: number; types: readonly string[]; startingAfter?: string },
  ): Promise<StripeCallResult<ListPage<StripeEventLike>>>;
}

export interface CatchUpDeps {
  db: CatchUpDb;
  stripe: CatchUpStripe;
  log: Logger;
  budget: Budget;
  /** Stores and processes an event the inbox lacks, as a webhook delivery (webhook.ts). */
  process(event: StripeEventLike, endpoint: "platform" | "connect"): Promise<DeliveryOutcome>;
  /** Stop when less wall clock than this is left (default 5 000 ms). */
  stopMarginMs?: number;
}

/**
 * CPU charged per unit for runtimes that report none (ms): a page of events (up to 100, parsed) and
 * an event processed (as the webhook's retry, `WEBHOOK_EVENT_CPU_MS`, with margin).
 */
export const CATCH_UP_CPU_MS = { page: 6, event: 8 } as const;

/** The types listed for a source. */
export const typesOf = (source: string): readonly string[] =>
  source === "platform" ? HANDLED_EVENT_TYPES.platform : HANDLED_EVENT_TYPES.connect;

export interface CatchUpSummary {
  run_id: string;
  status: "finished" | "stopped";
  resumed: boolean;
  listed: number;
  recovered: number;
  duplicates: number;
  failed: number;
  sources_done: number;
  /** Connected accounts whose events Stripe refused to list (e.g. disconnected: account_invalid). */
  sources_skipped: string[];
  stopped?: StopReason | "stripe_error";
  /** With `stopped: "stripe_error"`: what the listing met, e.g. `retry_same_key` or `definitive_failure api_key_invalid`. */
  stripe_error?: string;
  covered?: { source: string; covered_from: string | null };
  handover?: number | null;
  cursor_at?: unknown;
  gap?: { from: string; until: string };
}

/** Runs (one part of) a catch-up run; see the module doc. */
export async function catchUpEvents(deps: CatchUpDeps, opts: { runId: string; overlapS: number }): Promise<CatchUpSummary> {
  const { db, stripe, budget } = deps;
  const run = await db.begin(opts.runId, opts.overlapS);
  const log = deps.log.child({ run_id: run.run_id });
  if (run.gap_from && run.gap_until) {
    log.error("stripe events catch-up: the cursor is past Stripe's 30-day event retention; events of the gap may be lost", {
      gap_from: run.gap_from,
      gap_until: run.gap_until,
    });
  }
  const out: CatchUpSummary = {
    run_id: run.run_id,
    status: "finished",
    resumed: run.resumed,
    listed: 0,
    recovered: 0,
    duplicates: 0,
    failed: 0,
    sources_done: 0,
    sources_skipped: [],
  };
  const stopReason = () => budget.stopReason(deps.stopMarginMs ?? 5_000);
  const sinceS = Math.floor(run.since.getTime() / 1000);
  let moved = false;

  /** Records the position; hands over when this invocation moved it and Stripe did not fail (a
   * failing Stripe waits for the next cron ring); returns the summary. */
  const stop = async (why: StopReason | "stripe_error", source: string, coveredFromS: number | null) => {
    const coveredFrom = coveredFromS === null ? null : new Date(coveredFromS * 1000);
    moved = (await db.progress(run.run_id, source, coveredFrom)) || moved;
    out.status = "stopped";
    out.stopped = why;
    out.covered = { source, covered_from: coveredFrom?.toISOString() ?? null };
    // no progress at all: a fresh isolate would stop at the same place; the cron ring continues
    out.handover = moved && why !== "stripe_error"
      ? await db.handover(run.run_id).catch((e) => {
        log.warn("hand-over ring failed: the next cron ring continues the run", { error: e });
        return null;
      })
      : null;
    log.info("stripe events catch-up stopped", { ...out });
    return out;
  };

  for (const [i, source] of run.sources.entries()) {
    // events created at or after doneFromS are done for this source (null: none yet)
    let doneFromS = i === 0 && run.covered_from ? Math.floor(run.covered_from.getTime() / 1000) : null;
    const endpoint = source === "platform" ? "platform" : "connect";
    let after: string | undefined;
    const untilS = doneFromS === null ? undefined : doneFromS - 1;
    while (untilS === undefined || untilS >= sinceS) {
      const why = stopReason();
      if (why) return await stop(why, source, doneFromS);
      const page = await stripe.listEvents(source, { sinceS, untilS, types: typesOf(source), startingAfter: after });
      budget.cpu.charge(CATCH_UP_CPU_MS.page);
      if (page.kind === "definitive_failure" && source !== "platform" && !page.stopRun) {
        // an account we may no longer read (disconnected: account_invalid): its events are not
        // ours to list any more; the other sources must not wait for it
        log.warn("stripe events catch-up: a connected account's events cannot be listed, skipped", {
          account: source,
          code: page.code,
        });
        out.sources_skipped.push(source);
        break;
      }
      if (page.kind !== "ok") {
        out.stripe_error = page.kind === "definitive_failure" ? `${page.kind} ${page.code}` : page.kind;
        log.warn("stripe events catch-up: Stripe's event listing failed; the next cron ring continues", {
          source,
          error: out.stripe_error,
        });
        return await stop("stripe_error", source, doneFromS);
      }
      const events = page.value.data;
      out.listed += events.length;
      const missing = events.length ? await db.notInInbox(events.map((e) => e.id)) : new Set<string>();
      for (const e of events) {
        if (!missing.has(e.id)) continue;
        // newest first: everything newer than this event's second is done
        const why = stopReason();
        if (why) return await stop(why, source, Math.min(doneFromS ?? Infinity, e.created + 1));
        const r = await deps.process(e, endpoint);
        budget.cpu.charge(CATCH_UP_CPU_MS.event);
        moved = true;
        if (r.kind === "applied") out.recovered++;
        else if (r.kind === "duplicate") out.duplicates++;
        else out.failed++;
      }
      if (!page.value.has_more || events.length === 0) break;
      // the oldest second of this page may go on in the next one: done from the second above it
      doneFromS = Math.min(doneFromS ?? Infinity, Math.min(...events.map((e) => e.created)) + 1);
      moved = true;
      after = events[events.length - 1].id;
    }
    out.sources_done++;
  }

  const finished = await db.finish(run.run_id, {
    listed: out.listed,
    recovered: out.recovered,
    duplicates: out.duplicates,
    failed: out.failed,
    sources: out.sources_done,
    ...(out.sources_skipped.length ? { sources_skipped: out.sources_skipped } : {}),
  });
  out.cursor_at = finished.cursor_at;
  if (run.gap_from && run.gap_until) out.gap = { from: run.gap_from.toISOString(), until: run.gap_until.toISOString() };
  log.info("stripe events catch-up done", { ...out });
  return out;
}
