/**
 * Reconciling a tranche in flight whose lease expired (its process died, gave it back, or, for an
 * `unknown` outcome, the settle delay is over): list the placement's `transfer_group` at Stripe
 * (once per group and claim), adopt the tranche's transfer when it exists; otherwise fail it
 * (unknown, or no longer sendable, or its key is past the window) or send it again under its SAME
 * key (pending, key younger than the window).
 */
import type { Handled, RecordPaid } from "./paid_outcomes.ts";
import { describeFailure, type Sender, transferMatches } from "./send.ts";
import { ids, type InvocationState } from "./state.ts";
import type { ReconcileRow, StripeGateway } from "./types.ts";

/** Lists a transfer_group for reconciliation (one per claim: see `listingsForClaim`). */
export type Listing = (group: string) => ReturnType<StripeGateway["listTransferGroup"]>;
/** Decides on one tranche in flight (see module doc). */
export type Reconcile = (t: ReconcileRow, listing: Listing) => Promise<Handled>;

/**
 * Listings of transfer_groups for the tranches of ONE claim: each group is listed once, on first
 * use, which is after the claim (so after the tranche's lease or settle delay: R1 in
 * docs/payout-runs.md). Never shared between claims.
 */
export function listingsForClaim(state: InvocationState): Listing {
  const { stripe, budget } = state;
  const listings = new Map<string, ReturnType<StripeGateway["listTransferGroup"]>>();
  return (group: string) => {
    let p = listings.get(group);
    if (!p) listings.set(group, p = stripe.listTransferGroup(group, { budget }));
    return p;
  };
}

/** The reconciler of one invocation: decides on a tranche in flight (see module doc). */
export function createReconciler(
  state: InvocationState,
  sender: Sender,
  recordPaid: RecordPaid,
): Reconcile {
  const { db, config, invocationId } = state;
  const reconcile = async (t: ReconcileRow, listing: Listing): Promise<Handled> => {
    if (state.stop) {
      await db.defer(invocationId, t.transferId, 0, "run stopped before reconciling");
      state.decide("deferred", { ...ids(t), reason: "run stopped" });
      return;
    }
    const l = await listing(t.transferGroup);
    if (!l.ok) {
      const reason = `transfer_group listing failed: ${describeFailure(l.failure)}`;
      await db.defer(invocationId, t.transferId, config.deferSeconds, reason);
      state.decide("deferred", { ...ids(t), reason });
      return;
    }
    const mine = l.transfers.filter((tr) => tr.metadata?.payout_transfer_id === t.transferId);
    if (mine.length > 0) {
      const good = mine.filter((tr) => transferMatches(tr, t)).sort((a, b) =>
        a.created - b.created || a.id.localeCompare(b.id)
      );
      if (mine.length > 1) {
        await state.recordError(
          "duplicate_transfers",
          `${mine.length} Stripe transfers carry tranche ${t.transferId}`,
          t,
        );
      }
      if (good.length === 0) {
        await db.defer(
          invocationId,
          t.transferId,
          config.settleSeconds,
          "a transfer with this tranche's id does not match it",
        );
        await state.recordError(
          "transfer_mismatch",
          `transfer ${mine[0].id} does not match tranche ${t.transferId}`,
          t,
        );
        state.decide("anomaly", { ...ids(t), stripe_transfer_id: mine[0].id });
        return;
      }
      return recordPaid(t, good[0].id, true, { ...ids(t), stripe_transfer_id: good[0].id, was: t.transferStatus });
    }
    // Stripe has no transfer for this tranche.
    if (t.transferStatus === "unknown") {
      const st = await db.failed(
        invocationId,
        t.transferId,
        "reconciled: Stripe has no transfer for this tranche (after the settle delay)",
        "reconciled_absent",
      );
      state.decide("failed", {
        ...ids(t),
        reason: "reconciled_absent",
        retry_count: st.retryCount,
        exhausted: st.exhausted,
      });
      return;
    }
    if (t.scheduleStatus !== "processing") {
      // the placement failed meanwhile: never send it now
      const st = await db.failed(
        invocationId,
        t.transferId,
        `reconciled: never sent, schedule ${t.scheduleStatus}`,
        "reconciled_not_sent",
      );
      state.decide("failed", { ...ids(t), reason: "reconciled_not_sent", retry_count: st.retryCount });
      return;
    }
    if (t.gateReason) {
      await db.defer(invocationId, t.transferId, config.leaseSeconds ?? 900, `waiting: ${t.gateReason}`);
      state.decide("waiting_gate", { ...ids(t), gate: t.gateReason });
      return;
    }
    const keyAgeMs = t.request ? state.deps.now() - t.request.preparedAt.getTime() : 0;
    if (t.request && keyAgeMs >= config.keyWindowMs) {
      // Stripe may have forgotten the key: reusing it could transfer a second time. Nothing
      // exists under it (listed above), so this attempt failed; the next one gets a new key.
      const st = await db.failed(
        invocationId,
        t.transferId,
        "reconciled: no transfer and the idempotency key is past its window; retry with a new key",
        "key_window_passed",
      );
      state.decide("failed", {
        ...ids(t),
        reason: "key_window_passed",
        key_age_ms: keyAgeMs,
        retry_count: st.retryCount,
      });
      return;
    }
    // Still Stripe's key: sending again either replays the first execution or executes once.
    const req = (await sender.requestsFor([t])).get(t.transferId);
    if (!req) throw new Error(`no stored request for tranche ${t.transferId}`);
    return await sender.send(t, req);
  };
  return reconcile;
}
