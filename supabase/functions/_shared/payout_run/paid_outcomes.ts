/**
 * The invocation's paid outcomes (sent, or adopted by reconciliation): buffered in the recorder
 * (`paid_recorder.ts`: one `record_payout_transfers_paid` per `batchSize` outcomes or after
 * `recordMaxDelayMs`), decided (`paid` / `adopted`) only once committed. The worker that buffered
 * an outcome is free at once; its tranche stays in `state.held` until the recording committed or
 * definitively failed. A failed batch is recorded one by one when it was refused (PTxxx); after an
 * outage it is left to reconciliation (its lease brings the tranche back, which adopts the transfer).
 */
import { createPaidRecorder, type PaidOutcome } from "./paid_recorder.ts";
import { ids, type InvocationState } from "./state.ts";
import type { Tranche } from "./types.ts";

/** What a worker's `send`/`reconcile` returns when the tranche's paid outcome waits in the recorder. */
export const RECORDING = "recording";
export type Handled = typeof RECORDING | void;
/** A paid outcome with what its decision line says. */
type PaidItem = PaidOutcome & { t: Tranche; fields: Record<string, unknown> };
/** Buffers a paid outcome; the worker is free, the tranche stays held until it is settled. */
export type RecordPaid = (
  t: Tranche,
  stripeTransferId: string,
  adopted: boolean,
  fields: Record<string, unknown>,
) => typeof RECORDING;

/** A refusal by one of our SQL functions (SQLSTATE PTxxx), as opposed to a failure to reach them. */
const isRefusal = (e: unknown): boolean => /^PT\d{3}$/.test(String((e as { code?: unknown } | null)?.code ?? ""));

/** The paid outcomes of one invocation (see module doc). */
export interface PaidOutcomes {
  recordPaid: RecordPaid;
  /** True when every outcome added so far is settled. */
  idle(): boolean;
  /** Records everything buffered now; resolves once all is settled. */
  flush(): Promise<void>;
}

/** Creates the paid outcomes of one invocation (see module doc). */
export function createPaidOutcomes(state: InvocationState): PaidOutcomes {
  const { db, config, invocationId, log } = state;
  const recorder = createPaidRecorder<PaidItem>({
    maxItems: config.batchSize,
    maxDelayMs: config.recordMaxDelayMs,
    timers: state.deps.timers,
    recordMany: (items) =>
      db.paidMany(
        invocationId,
        items.map((i) => ({ transferId: i.transferId, stripeTransferId: i.stripeTransferId, adopted: i.adopted })),
      ),
    recordOne: (i) => db.paid(invocationId, i.transferId, i.stripeTransferId, i.adopted),
    // Only a refusal of one element (PTxxx: the batch is all or nothing) is worth one call per
    // outcome; after an outage that outlasted the retries, those calls would each wait it out.
    retryOneByOne: isRefusal,
    batchFailed: async (e, items) => {
      log.warn(
        isRefusal(e)
          ? "recording paid outcomes as one batch failed (refused): recording them one by one"
          : "recording paid outcomes as one batch failed (database unreachable): left to reconciliation",
        { error: e, count: items.length, transfer_ids: items.map((i) => i.transferId) },
      );
      if (!isRefusal(e)) {
        await state.recordFailure(e, "record_paid_failed", undefined, `${items.length} paid outcomes not recorded: `);
      }
    },
    settled: async (i, r) => {
      try {
        if (r.ok) {
          state.decide(i.adopted ? "adopted" : "paid", i.fields);
        } else {
          // Stripe's transfer exists, our row stays pending: its lease brings it back to
          // reconciliation, which adopts the transfer.
          state.decide("error", { ...i.fields, error: r.error });
          // (an outage of the whole batch is recorded once, in batchFailed)
          if (!r.wholeBatch) await state.recordFailure(r.error, "error", i.t);
        }
      } catch (e) {
        log.error("could not settle a paid outcome", { error: e, ...ids(i.t) });
      } finally {
        state.held.delete(i.t.transferId);
      }
    },
  });
  return {
    recordPaid: (t, stripeTransferId, adopted, fields) => {
      recorder.add({ transferId: t.transferId, stripeTransferId, adopted, t, fields });
      return RECORDING;
    },
    idle: () => recorder.idle(),
    flush: () => recorder.flush(),
  };
}
