/**
 * `StripeGateway` over the real `stripe` SDK (API version pinned in `../platform/stripe.ts`): every request
 * goes through `callStripe` (client-side pacing under STRIPE_MAX_RPS, 429 `Retry-After` pauses the
 * pacer for everyone, `Stripe-Should-Retry` honoured, same idempotency key on every retry).
 *
 * - `createTransfer`: `transfers.create(params, { idempotencyKey })` with the tranche's stored
 *   params and key;
 * - `listTransferGroup`: all pages of `transfers.list({ transfer_group })` (`listAll`: newest first,
 *   at most 50 pages; the run filters on our metadata);
 * - `resolveSourceCharge`: the charge behind the invoice, for `source_transaction`: on current API
 *   versions from the invoice's payments (`invoice_payments.list({ invoice })` →
 *   `payment.charge`, or `payment.payment_intent` → `latest_charge`), else from the invoice's
 *   PaymentIntent. Null when nothing is known.
 */
import type Stripe from "stripe";
import type { Budget } from "../platform/budget.ts";
import type { Logger } from "../platform/log.ts";
import type { Pacer } from "../platform/pacer.ts";
import {
  callStripe,
  type CallStripeOptions,
  idOf,
  listAll,
  type StripeCallResult,
  transferInfo,
} from "../platform/stripe.ts";
import type { StripeGateway, TransferParams } from "./types.ts";

/** Options of `createStripeGateway`. */
export interface GatewayOptions {
  /** Attempts per `callStripe` (STRIPE_MAX_ATTEMPTS). */
  maxAttempts: number;
  /** Keep this much of the budget when deciding whether to wait for a retry (default 5 s). */
  minRemainingMs?: number;
  log?: Logger;
  /** CPU charged to the budget's meter per call (ms; an estimate for runtimes that report none). */
  cpuPerCallMs?: number;
}

/** The Stripe side of the payout run. */
export function createStripeGateway(stripe: Stripe, pacer: Pacer, opts: GatewayOptions): StripeGateway {
  const call = <T>(what: string, budget: Budget, fn: () => Promise<T>): Promise<StripeCallResult<T>> => {
    const o: CallStripeOptions = {
      maxAttempts: opts.maxAttempts,
      budget,
      minRemainingMs: opts.minRemainingMs ?? 5_000,
      onRetry: (c, attempt) =>
        opts.log?.warn("stripe retry (same idempotency key)", {
          call: what,
          attempt,
          reason: c.reason,
          delay_ms: c.delayMs,
          status: c.status,
          request_id: c.requestId,
          should_retry: c.shouldRetryHeader,
        }),
    };
    const charged = () => {
      budget.cpu.charge(opts.cpuPerCallMs ?? 0);
      return fn();
    };
    return callStripe(pacer, charged, o);
  };

  return {
    async createTransfer(params: TransferParams, idempotencyKey: string, { budget }) {
      const r = await call(
        "transfers.create",
        budget,
        () => stripe.transfers.create(params as Stripe.TransferCreateParams, { idempotencyKey }),
      );
      return r.kind === "ok" ? { ...r, value: transferInfo(r.value) } : r;
    },

    async listTransferGroup(group: string, { budget }) {
      const r = await listAll(
        `transfer_group ${group}`,
        (after) =>
          call(
            "transfers.list",
            budget,
            () => stripe.transfers.list({ transfer_group: group, limit: 100, starting_after: after }),
          ),
      );
      return r.kind === "ok"
        ? { ok: true as const, transfers: r.value.map(transferInfo) }
        : { ok: false as const, failure: r };
    },

    async resolveSourceCharge({ stripeInvoiceId, stripePaymentIntentId }, { budget }) {
      const chargeOfIntent = async (pi: string): Promise<string | null> => {
        const r = await call("payment_intents.retrieve", budget, () => stripe.paymentIntents.retrieve(pi));
        if (r.kind !== "ok") {
          if (r.kind === "definitive_failure") return null; // e.g. resource_missing
          throw new Error(`payment intent lookup failed: ${r.kind}`);
        }
        return idOf(r.value.latest_charge);
      };
      if (stripeInvoiceId) {
        const r = await call(
          "invoice_payments.list",
          budget,
          () => stripe.invoicePayments.list({ invoice: stripeInvoiceId, limit: 10 }),
        );
        if (r.kind !== "ok") {
          if (r.kind === "definitive_failure") return null;
          throw new Error(`invoice payments lookup failed: ${r.kind}`);
        }
        const paid = r.value.data.find((p) => p.status === "paid") ?? null;
        if (paid) {
          const charge = idOf(paid.payment?.charge);
          if (charge) return charge;
          const pi = idOf(paid.payment?.payment_intent);
          if (pi) return await chargeOfIntent(pi);
        }
      }
      if (stripePaymentIntentId) return await chargeOfIntent(stripePaymentIntentId);
      return null;
    },
  };
}
