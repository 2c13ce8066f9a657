/**
 * Sending a tranche: its exact Stripe request (`transferParams`, built once and stored before the
 * first call: `requestsFor`), one `transfers.create` under its idempotency key, and the decision on
 * each outcome (the outcomes of a `transfers.create` are listed in `invocation.ts`). The pure rules
 * (`transferParams`, `transferMatches`, `describeFailure`) are exported for the tests.
 */
import type { StripeFailure } from "../platform/stripe_retry.ts";
import type { Handled, RecordPaid } from "./paid_outcomes.ts";
import { ids, type InvocationState } from "./state.ts";
import type { TransferInfo } from "../platform/stripe.ts";
import type { StoredRequest, Tranche, TransferParams } from "./types.ts";

/** Exactly what must be sent for a tranche (deterministic: same tranche, same params). */
export function transferParams(t: Tranche, sourceTransaction: string | null): TransferParams {
  const amount = Number(t.amount);
  if (!Number.isSafeInteger(amount) || amount < 1 || String(amount) !== String(t.amount)) {
    throw new Error(`tranche ${t.transferId}: amount ${t.amount} is not a positive integer of minor units`);
  }
  return {
    amount,
    currency: t.currency.trim().toLowerCase(),
    destination: t.destination,
    transfer_group: t.transferGroup,
    metadata: {
      payout_id: t.payoutId,
      payout_transfer_id: t.transferId,
      schedule_id: t.scheduleId,
      placement_id: t.placementId,
      attempt_number: String(t.attemptNumber),
    },
    ...(sourceTransaction ? { source_transaction: sourceTransaction } : {}),
  };
}

/** True when a Stripe transfer is the one the tranche asked for: our metadata (payout, tranche, attempt), amount, destination, currency. Nothing else is ever adopted. */
export function transferMatches(tr: TransferInfo, t: Tranche): boolean {
  return tr.metadata?.payout_transfer_id === t.transferId &&
    tr.metadata?.payout_id === t.payoutId &&
    tr.metadata?.attempt_number === String(t.attemptNumber) &&
    tr.amount === Number(t.amount) &&
    tr.destination === t.destination &&
    tr.currency.toLowerCase() === t.currency.trim().toLowerCase();
}

/** A Stripe failure, as the tranche's decision and the run's records give it. */
export function describeFailure(f: StripeFailure & { attempts?: number }): string {
  switch (f.kind) {
    case "definitive_failure":
      return `stripe ${f.code}${f.message ? `: ${f.message}` : ""}`.slice(0, 500);
    case "unknown_outcome":
      return `stripe outcome unknown (${f.reason}${f.status ? `, HTTP ${f.status}` : ""})`;
    case "idempotency_mismatch":
      return `stripe idempotency mismatch: ${f.message}`.slice(0, 500);
    case "retry_same_key":
      return `stripe unreachable (${f.reason}${f.status ? `, HTTP ${f.status}` : ""})`;
  }
}

/** The request preparation and the sender of one invocation (see `createSender`). */
export interface Sender {
  /** Stored requests for these tranches (the stored one wins over a newly built one). */
  requestsFor(ts: Tranche[]): Promise<Map<string, StoredRequest>>;
  /** Sends a tranche under its key with its stored request, and decides on the outcome. */
  send(t: Tranche, req: StoredRequest): Promise<Handled>;
}

/** The request preparation and the sender of one invocation (the source charge lookups are cached per invocation). */
export function createSender(state: InvocationState, recordPaid: RecordPaid): Sender {
  const { db, stripe, budget, config, invocationId, log } = state;
  const chargeCache = new Map<string, Promise<string | null>>();
  const sourceCharge = (t: Tranche): Promise<string | null> => {
    if (t.sourceChargeId) return Promise.resolve(t.sourceChargeId);
    const key = t.stripeInvoiceId ?? t.stripePaymentIntentId;
    if (!key) return Promise.resolve(null);
    let p = chargeCache.get(key);
    if (!p) {
      p = stripe.resolveSourceCharge(
        { stripeInvoiceId: t.stripeInvoiceId, stripePaymentIntentId: t.stripePaymentIntentId },
        { budget },
      ).catch((e) => {
        log.warn("source charge lookup failed: transferring from the platform balance", {
          error: e,
          placement_id: t.placementId,
        });
        return null;
      });
      chargeCache.set(key, p);
    }
    return p;
  };
  /** Stored requests for these tranches (the stored one wins over a newly built one). */
  const requestsFor = async (ts: Tranche[]): Promise<Map<string, StoredRequest>> => {
    const out = new Map<string, StoredRequest>();
    const missing: { transferId: string; params: TransferParams }[] = [];
    for (const t of ts) {
      if (t.request) out.set(t.transferId, t.request);
      else missing.push({ transferId: t.transferId, params: transferParams(t, await sourceCharge(t)) });
    }
    if (missing.length > 0) {
      for (const [id, r] of await db.prepare(invocationId, missing)) out.set(id, r);
    }
    return out;
  };

  const send = async (t: Tranche, req: StoredRequest): Promise<Handled> => {
    for (let round = 1;; round++) {
      if (state.stop) {
        await db.defer(invocationId, t.transferId, 0, "run stopped before sending");
        state.decide("deferred", { ...ids(t), reason: "run stopped" });
        return;
      }
      if (round === 1 && budget.mustHandBack(config.stopMarginMs / 2)) {
        // not enough time (or CPU) left to see a call through: give it back untouched (the next
        // invocation reconciles first, then sends under the same key). Past the CPU stop line but
        // before the hand-back line, what was claimed is still sent: cheaper than reconciling it.
        await db.defer(invocationId, t.transferId, 0, "time budget used up before sending");
        state.decide("deferred", { ...ids(t), reason: "time budget used up", cpu_ms: Math.round(budget.cpu.usedMs()) });
        return;
      }
      const r = await stripe.createTransfer(req.params, t.idempotencyKey, { budget });
      if (r.kind === "ok") {
        const tr = r.value;
        if (!transferMatches(tr, t)) {
          // Stripe answered our key with a transfer that is not this tranche's: never record it.
          await db.unknown(
            invocationId,
            t.transferId,
            `stripe returned ${tr.id}, which does not match the tranche`,
            config.settleSeconds,
          );
          await state.recordError("stripe_transfer_mismatch", `transfer ${tr.id} returned for ${t.idempotencyKey}`, t);
          state.decide("anomaly", { ...ids(t), stripe_transfer_id: tr.id });
          return;
        }
        return recordPaid(t, tr.id, false, { ...ids(t), stripe_transfer_id: tr.id, stripe_attempts: r.attempts });
      }
      const reason = describeFailure(r);
      if (r.kind === "definitive_failure") {
        if (r.stopRun) {
          // Every call would fail (bad key, missing permission): give the tranche back untouched.
          state.stopRun();
          await db.defer(invocationId, t.transferId, 0, reason);
          await state.recordError(r.code, reason, t);
          state.decide("stopped", { ...ids(t), reason, status: r.status });
          return;
        }
        const st = await db.failed(invocationId, t.transferId, reason, r.code);
        state.decide("failed", {
          ...ids(t),
          reason,
          code: r.code,
          status: r.status,
          retry_count: st.retryCount,
          max_attempts: st.maxAttempts,
          exhausted: st.exhausted,
          next_attempt_at: st.nextAttemptAt,
          connect_required: st.connectRequired,
        });
        return;
      }
      if (r.kind === "unknown_outcome" || r.kind === "idempotency_mismatch") {
        await db.unknown(invocationId, t.transferId, reason, config.settleSeconds);
        if (r.kind === "idempotency_mismatch") await state.recordError("idempotency_mismatch", reason, t);
        state.decide("unknown", { ...ids(t), reason, status: r.status, settle_seconds: config.settleSeconds });
        return;
      }
      // retry_same_key, not resolved within callStripe: Stripe acted once or not at all.
      if (round >= config.maxSendRounds || budget.shouldStop(config.stopMarginMs)) {
        const delay = r.rateLimited ? 0 : config.deferSeconds;
        await db.defer(invocationId, t.transferId, delay, reason);
        state.decide("deferred", { ...ids(t), reason, rounds: round, defer_seconds: delay });
        return;
      }
      log.warn("stripe call unresolved, trying again with the same key", { ...ids(t), reason, round });
    }
  };

  return { requestsFor, send };
}
