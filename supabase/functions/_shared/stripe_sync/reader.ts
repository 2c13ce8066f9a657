/**
 * The real `StripeReader` (events.ts): fresh reads of accounts, invoice payments and
 * transfer reversals through the configured SDK, paced and retried by `callStripe`. A read that
 * cannot be answered throws `StripeReadError`; the caller keeps the event for retry.
 */
import type Stripe from "stripe";
import type { Pacer } from "../platform/pacer.ts";
import { callStripe, failureCode, idOf, listAll, stringMetadata, type StripeCallResult } from "../platform/stripe.ts";
import type { ReversalInfo, StripeReader } from "./events.ts";

/** A Stripe read failed (retry later). `code` is Stripe's code or the failure kind. */
export class StripeReadError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "StripeReadError";
    this.code = code;
  }
}

function value<T>(what: string, r: StripeCallResult<T>): T {
  if (r.kind === "ok") return r.value;
  const code = failureCode(r);
  throw new StripeReadError(code, `${what}: ${r.kind} (${code})`);
}

/** Renders a Stripe reversal as `ReversalInfo`. */
export function reversalInfo(r: Stripe.TransferReversal): ReversalInfo {
  return {
    id: r.id,
    amount: r.amount,
    currency: r.currency,
    created: r.created,
    metadata: stringMetadata(r.metadata),
  };
}

/** Every reversal of a transfer (all pages), as Stripe has them now. */
export async function transferReversals(
  stripe: Stripe,
  pacer: Pacer,
  transferId: string,
  maxAttempts: number,
): Promise<StripeCallResult<ReversalInfo[]>> {
  const r = await listAll(
    `transfers.listReversals ${transferId}`,
    (after) =>
      callStripe(pacer, () => stripe.transfers.listReversals(transferId, { limit: 100, starting_after: after }), {
        maxAttempts,
      }),
  );
  return r.kind === "ok" ? { ...r, value: r.value.map(reversalInfo) } : r;
}

/** A `StripeReader` over the SDK. */
export function createStripeReader(
  stripe: Stripe,
  pacer: Pacer,
  opts: { maxAttempts?: number; now?: () => number } = {},
): StripeReader {
  const call = <T>(what: string, fn: () => Promise<T>) =>
    callStripe(pacer, fn, { maxAttempts: opts.maxAttempts ?? 3 }).then((r) => value(what, r));
  return {
    now: opts.now ?? Date.now,
    async accountState(accountId) {
      const r = await callStripe(pacer, () => stripe.accounts.retrieve(accountId), {
        maxAttempts: opts.maxAttempts ?? 3,
      });
      // An account that is no longer connected to the platform cannot receive transfers.
      if (r.kind === "definitive_failure" && (r.code === "account_invalid" || r.status === 403)) {
        return { transfers_capability: "inactive", requirements: null, details_submitted: null };
      }
      const account = value(`accounts.retrieve ${accountId}`, r);
      const q = account.requirements;
      return {
        transfers_capability: account.capabilities?.transfers ?? null,
        requirements: q
          ? {
            currently_due: q.currently_due ?? [],
            past_due: q.past_due ?? [],
            eventually_due: q.eventually_due ?? [],
            disabled_reason: q.disabled_reason ?? null,
          }
          : null,
        details_submitted: account.details_submitted ?? null,
      };
    },
    async invoicePayment(invoiceId) {
      const list = await call(
        `invoicePayments.list ${invoiceId}`,
        () => stripe.invoicePayments.list({ invoice: invoiceId, limit: 10 }),
      );
      const paid = list.data.find((p) => p.status === "paid") ?? list.data[0];
      if (!paid) return { payment_intent_id: null, charge_id: null, paid_at: null };
      const paidAt = paid.status_transitions?.paid_at ?? null;
      if (paid.payment?.type === "charge") {
        return { payment_intent_id: null, charge_id: idOf(paid.payment.charge), paid_at: paidAt };
      }
      const pi = idOf(paid.payment?.payment_intent);
      if (!pi) return { payment_intent_id: null, charge_id: null, paid_at: paidAt };
      const intent = await call(`paymentIntents.retrieve ${pi}`, () => stripe.paymentIntents.retrieve(pi));
      return { payment_intent_id: pi, charge_id: idOf(intent.latest_charge), paid_at: paidAt };
    },
    async transferReversals(transferId) {
      return value(
        `transfers.listReversals ${transferId}`,
        await transferReversals(stripe, pacer, transferId, opts.maxAttempts ?? 3),
      );
    },
  };
}
