/**
 * Daily reconciliation (`reconcile-payouts`) of our tranches with Stripe's transfers.
 *
 * 1. `begin`: the window (since the end of the last finished run, minus an overlap, until now).
 * 2. Page through the platform's transfers created in the window (every page, `created[gte/lte]`).
 * 3. Our succeeded tranches of the window whose transfer Stripe did not list are read one by one:
 *    found (created outside the window: compared like the others) or missing.
 * 4. `record`: SQL matches on our metadata (`payout_transfer_id`), never on the amount, and writes
 *    the findings (unknown to us, mismatch, missing) that `public.payout_alerts` shows.
 * 5. Then: amounts owed are netted (`apply_clawback_offsets`) and failed webhook events retried.
 */
import type Stripe from "stripe";
import type { Logger } from "./log.ts";

/** A Stripe transfer, as compared. */
export interface TransferInfo {
  id: string;
  amount: number;
  currency: string;
  destination: string | null;
  created: number;
  transfer_group: string | null;
  metadata: Record<string, string>;
}

export interface ReconcileDb {
  begin(runId: string, overlapS: number, windowStart: string | null): Promise<{ since: Date; window_end: Date }>;
  tranches(since: Date, until: Date): Promise<Array<{ stripe_transfer_id: string }>>;
  record(runId: string, transfers: TransferInfo[], missing: string[]): Promise<Record<string, unknown>>;
  fail(runId: string, error: { code: string; message: string }): Promise<void>;
  applyOffsets(): Promise<number>;
}

export interface ReconcileStripe {
  /** Every transfer created in [since, until] (unix seconds), all pages. */
  listTransfers(since: number, until: number): Promise<TransferInfo[]>;
  /** One transfer, or null when Stripe does not have it. */
  retrieveTransfer(id: string): Promise<TransferInfo | null>;
}

export interface ReconcileDeps {
  db: ReconcileDb;
  stripe: ReconcileStripe;
  log: Logger;
  /** Retries failed webhook events (optional). */
  retryWebhooks?: () => Promise<{ retried: number; failed: number }>;
}

/** Renders an SDK transfer. */
export function transferInfo(t: Stripe.Transfer): TransferInfo {
  return {
    id: t.id,
    amount: t.amount,
    currency: t.currency,
    destination: typeof t.destination === "string" ? t.destination : t.destination?.id ?? null,
    created: t.created,
    transfer_group: t.transfer_group ?? null,
    metadata: Object.fromEntries(Object.entries(t.metadata ?? {}).map(([k, v]) => [k, String(v)])),
  };
}

/** Runs one reconciliation (see module doc). A failure is recorded on the run and rethrown. */
export async function reconcile(
  deps: ReconcileDeps,
  opts: { runId: string; overlapS: number; windowStart?: string | null },
): Promise<Record<string, unknown>> {
  const { since, window_end } = await deps.db.begin(opts.runId, opts.overlapS, opts.windowStart ?? null);
  const log = deps.log.child({ run_id: opts.runId });
  try {
    const sinceS = Math.floor(since.getTime() / 1000);
    const untilS = Math.ceil(window_end.getTime() / 1000);
    const listed = await deps.stripe.listTransfers(sinceS, untilS);
    const ids = new Set(listed.map((t) => t.id));
    const missing: string[] = [];
    for (const t of await deps.db.tranches(since, window_end)) {
      if (ids.has(t.stripe_transfer_id)) continue;
      const found = await deps.stripe.retrieveTransfer(t.stripe_transfer_id);
      if (found) {
        listed.push(found);
        ids.add(found.id);
      } else {
        missing.push(t.stripe_transfer_id);
      }
    }
    const summary = await deps.db.record(opts.runId, listed, missing);
    const offsets = await deps.db.applyOffsets();
    const webhooks = deps.retryWebhooks ? await deps.retryWebhooks() : null;
    log.info("reconciliation done", { ...summary, offsets, webhooks });
    return { ...summary, offsets, webhooks };
  } catch (e) {
    const error = { code: (e as { code?: string })?.code ?? "error", message: e instanceof Error ? e.message : String(e) };
    log.error("reconciliation failed", { error: e });
    await deps.db.fail(opts.runId, error).catch(() => {});
    throw e;
  }
}
