/**
 * The reversal worker (`reverse-payouts`): claws money back from connected accounts with
 * `transfers.createReversal`, exactly once, for the requests `public.reverse_payout` created.
 *
 * Per claimed request (leased; a killed worker's request is claimed again after its lease):
 * 1. List the transfer's reversals at Stripe and adopt ours (metadata `payout_reversal_id`) for
 *    the current phase: a reversal made before a crash is never made again, even once Stripe has
 *    forgotten the idempotency key (24 h).
 * 2. Full phase: `createReversal(amount)` under the request's stored key → complete.
 *    Refused with `balance_insufficient` (the connected account's balance is too low): read its
 *    available balance, store the partial plan (`plan_partial_payout_reversal`: amount and key
 *    fixed BEFORE the call; the first plan wins) and go on with the partial phase.
 * 3. Partial phase: `createReversal(partial amount)` under `<key>:partial` → complete as partial:
 *    the shortfall is recorded as owed by the recruiter and netted against their next payouts.
 * Any other definitive refusal fails the request (alert); transient errors keep it for a retry
 * under the same key.
 */
import type { Budget, StopReason } from "../platform/budget.ts";
import type { Logger } from "../platform/log.ts";
import type { StripeCallResult } from "../platform/stripe.ts";
import type { ReversalInfo } from "./events.ts";

/** A claimed reversal request (a `public.payout_reversals` row; bigint columns as strings). */
export interface ClaimedReversal {
  id: string;
  payout_id: string;
  transfer_id: string;
  stripe_transfer_id: string;
  destination_account_id: string;
  currency: string;
  amount: string | number;
  idempotency_key: string;
  partial_amount: string | number | null;
  partial_idempotency_key: string | null;
  attempts: number;
}

/** The worker's database calls (stripe_sync). */
export interface ReversalDb {
  claim(limit: number, leaseS: number): Promise<ClaimedReversal[]>;
  planPartial(id: string, available: number): Promise<ClaimedReversal>;
  complete(
    id: string,
    reversals: ReversalInfo[],
  ): Promise<{ status: string; reversed_amount: string; shortfall_amount: string }>;
  fail(id: string, code: string, reason: string): Promise<void>;
  noteError(id: string, error: { code: string; message: string }, retryInS: number): Promise<void>;
  /** Gives claimed requests back unstarted (claimable again at once). Returns how many. */
  release(ids: string[]): Promise<number>;
  /** Rings `reverse-payouts` now if a request is due (pg_net request id, or null). */
  handover(): Promise<number | null>;
}

/** The worker's Stripe calls. */
export interface ReversalStripe {
  listReversals(transferId: string): Promise<ReversalInfo[]>;
  createReversal(
    transferId: string,
    amount: number,
    metadata: Record<string, string>,
    idempotencyKey: string,
  ): Promise<StripeCallResult<ReversalInfo>>;
  /** Available balance of a connected account in a currency (minor units). */
  availableBalance(accountId: string, currency: string): Promise<number>;
}

export type ReversalOutcome = "succeeded" | "partial" | "failed" | "deferred";

export interface ReversalDeps {
  db: ReversalDb;
  stripe: ReversalStripe;
  log: Logger;
  /** Seconds before a transient failure is tried again (default 30). */
  retryInS?: number;
}

const num = (v: string | number | null) => (v === null ? null : Number(v));

/** Processes one claimed request (see module doc). Never throws for Stripe errors. */
export async function processReversal(row: ClaimedReversal, deps: ReversalDeps): Promise<ReversalOutcome> {
  const log = deps.log.child({
    payout_reversal_id: row.id,
    payout_id: row.payout_id,
    stripe_transfer_id: row.stripe_transfer_id,
  });
  const metadata = (phase: "full" | "partial") => ({
    payout_reversal_id: row.id,
    payout_id: row.payout_id,
    payout_transfer_id: row.transfer_id,
    phase,
  });
  const retry = async (code: string, message: string) => {
    log.warn("reversal deferred", { code, message });
    await deps.db.noteError(row.id, { code, message }, deps.retryInS ?? 30);
    return "deferred" as const;
  };
  const complete = async (reversals: ReversalInfo[]) => {
    const done = await deps.db.complete(row.id, reversals);
    log.info("reversal completed", {
      status: done.status,
      reversed_amount: done.reversed_amount,
      shortfall_amount: done.shortfall_amount,
    });
    return done.status === "partial" ? "partial" as const : "succeeded" as const;
  };

  let ours: ReversalInfo[];
  try {
    ours = (await deps.stripe.listReversals(row.stripe_transfer_id)).filter((r) =>
      r.metadata.payout_reversal_id === row.id
    );
  } catch (e) {
    return await retry("list_failed", e instanceof Error ? e.message : String(e));
  }

  let partial = num(row.partial_amount);
  if (partial === null) {
    if (ours.some((r) => (r.metadata.phase ?? "full") === "full")) return await complete(ours);
    const res = await deps.stripe.createReversal(
      row.stripe_transfer_id,
      Number(row.amount),
      metadata("full"),
      row.idempotency_key,
    );
    if (res.kind === "ok") return await complete([...ours, res.value]);
    if (res.kind === "definitive_failure" && res.code === "balance_insufficient") {
      let available: number;
      try {
        available = await deps.stripe.availableBalance(row.destination_account_id, row.currency);
      } catch (e) {
        return await retry("balance_read_failed", e instanceof Error ? e.message : String(e));
      }
      const planned = await deps.db.planPartial(row.id, Math.max(0, available));
      partial = Number(planned.partial_amount);
      row = {
        ...row,
        partial_amount: planned.partial_amount,
        partial_idempotency_key: planned.partial_idempotency_key,
      };
      log.info("reversal: connected account balance too low, partial reversal planned", {
        available,
        partial_amount: partial,
      });
    } else if (res.kind === "definitive_failure") {
      log.warn("reversal refused", { code: res.code, message: res.message });
      await deps.db.fail(row.id, res.code, res.message || res.code);
      return "failed";
    } else {
      return await retry(res.kind === "retry_same_key" ? res.reason : res.kind, "full reversal outcome unknown");
    }
  }

  // partial phase
  if (partial === 0 || ours.some((r) => r.metadata.phase === "partial")) return await complete(ours);
  const res = await deps.stripe.createReversal(
    row.stripe_transfer_id,
    partial,
    metadata("partial"),
    row.partial_idempotency_key as string,
  );
  if (res.kind === "ok") return await complete([...ours, res.value]);
  if (res.kind === "definitive_failure" && res.code === "balance_insufficient") {
    // the balance dropped between the read and the call: nothing moved, all of it is owed
    return await complete(ours);
  }
  if (res.kind === "definitive_failure") {
    await deps.db.fail(row.id, res.code, res.message || res.code);
    return "failed";
  }
  return await retry(res.kind === "retry_same_key" ? res.reason : res.kind, "partial reversal outcome unknown");
}

/**
 * CPU of one request (a listing, one or two reversal calls, a completion), charged to the isolate's
 * meter for runtimes that report no CPU of their own (ms): measured ~5–8 ms in a warm isolate, more
 * for the first ones; charged with margin.
 */
export const REVERSAL_CPU_MS = 10;

/** What a run did, and why it ended. */
export type ReversalRunResult = Record<ReversalOutcome | "claimed" | "handed_back", number> & {
  /** Why claiming stopped before the work ran out (null: nothing left, or only what others hold). */
  stopped: StopReason | null;
  /** The pg_net request id of the hand-over ring (null: not rung). */
  handover: number | null;
};

/**
 * Claims and processes requests until none is left or the budget says stop (wall clock, or the
 * isolate's CPU past its stop line). A claimed batch is processed request by request; past the
 * hand-back line (`budget.mustHandBack`) the rest of the batch is released to be claimed at once.
 * Stopped for CPU after doing work: the isolate is retired, so the function is rung now
 * (`db.handover`, which rings only when a request is due) instead of at the next doorbell.
 */
export async function runReversals(
  deps: ReversalDeps & { budget: Budget },
  opts: { limit: number; leaseS: number; stopMarginMs?: number },
): Promise<ReversalRunResult> {
  const { budget, db, log } = deps;
  const margin = opts.stopMarginMs ?? 5_000;
  const out: ReversalRunResult = {
    claimed: 0,
    succeeded: 0,
    partial: 0,
    failed: 0,
    deferred: 0,
    handed_back: 0,
    stopped: null,
    handover: null,
  };
  const seen = new Set<string>();
  // claim while the budget allows (out.stopped: why it no longer does)
  claiming: while (!(out.stopped = budget.stopReason(margin))) {
    const rows = (await db.claim(opts.limit, opts.leaseS)).filter((r) => !seen.has(r.id));
    if (rows.length === 0) break;
    for (const [i, row] of rows.entries()) {
      if (budget.mustHandBack(margin)) {
        const rest = rows.slice(i).map((r) => r.id);
        out.handed_back += await db.release(rest).catch((e) => {
          log.warn("handing back failed: the requests come back after their lease", { error: e });
          return 0;
        });
        out.stopped = budget.stopReason(margin) ?? "cpu";
        break claiming;
      }
      seen.add(row.id);
      out.claimed++;
      try {
        out[await processReversal(row, deps)]++;
      } catch (e) {
        // a database error: the request stays leased and is retried after its lease
        log.error("reversal processing failed", { payout_reversal_id: row.id, error: e });
        out.deferred++;
      }
      budget.cpu.charge(REVERSAL_CPU_MS);
    }
  }
  if (out.stopped === "cpu" && out.claimed > 0) {
    out.handover = await db.handover().catch((e) => {
      log.warn("hand-over ring failed: the next doorbell continues", { error: e });
      return null;
    });
  }
  if (out.stopped) {
    const cpuMs = Math.round(budget.cpu.usedMs());
    log.info("reversal run stopped for its budget", { reason: out.stopped, cpu_ms: cpuMs, handover: out.handover });
  }
  return out;
}
