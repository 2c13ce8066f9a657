/**
 * The real `StripeReader` (stripe_events.ts): fresh reads of accounts, invoice payments and
 * transfer reversals through the configured SDK, paced and retried by `callStripe`. A read that
 * cannot be answered throws `StripeReadError`; the caller keeps the event for retry.
 */
import type Stripe from "stripe";
import type { Pacer } from "./pacer.ts";
import { callStripe, type StripeCallResult } from "./stripe.ts";
import type { ReversalInfo, StripeReader } from "./stripe_events.ts";

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
  const code = r.kind === "definitive_failure" ? r.code : r.kind === "retry_same_key" ? r.reason : r.kind;
  throw new StripeReadError(code, `${what}: ${r.kind} (${code})`);
}

const idOf = (v: unknown): string | null =>
  typeof v === "string" ? v : v && typeof v === "object" && typeof (v as { id?: unknown }).id === "string"
    ? (v as { id: string }).id
    : null;

/** Renders a Stripe reversal as `ReversalInfo`. */
export function reversalInfo(r: Stripe.TransferReversal): ReversalInfo {
  return {
    id: r.id,
    amount: r.amount,
    currency: r.currency,
    created: r.created,
    metadata: Object.fromEntries(Object.entries(r.metadata ?? {}).map(([k, v]) => [k, String(v)])),
  };
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
    async accountTransfersCapability(accountId) {
      const r = await callStripe(pacer, () => stripe.accounts.retrieve(accountId), {
        maxAttempts: opts.maxAttempts ?? 3,
      });
      // An account that is no longer connected to the platform cannot receive transfers.
      if (r.kind === "definitive_failure" && (r.code === "account_invalid" || r.status === 403)) return "inactive";
      const account = value(`accounts.retrieve ${accountId}`, r);
      return account.capabilities?.transfers ?? null;
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
      const out: ReversalInfo[] = [];
      let startingAfter: string | undefined;
      for (;;) {
        const page = await call(
          `transfers.listReversals ${transferId}`,
          () =>
            stripe.transfers.listReversals(transferId, {
              limit: 100,
              ...(startingAfter ? { starting_after: startingAfter } : {}),
            }),
        );
        out.push(...page.data.map(reversalInfo));
        if (!page.has_more || page.data.length === 0) return out;
        startingAfter = page.data[page.data.length - 1].id;
      }
    },
  };
}
