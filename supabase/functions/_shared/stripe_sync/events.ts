/**
 * Stripe event → effect: what a verified webhook event means for the ledger, decided here and
 * applied in SQL by `private.process_stripe_webhook_event` (one transaction per event, through the
 * money model's transition functions).
 *
 * Pure apart from the injected `StripeReader`: where delivery order matters, the object is read
 * again from Stripe instead of trusting the event's snapshot (`account.updated`: the account's
 * current `capabilities.transfers`; `transfer.reversed`: the transfer's current reversals).
 *
 * | event                                        | effect                    | SQL                                   |
 * | -------------------------------------------- | ------------------------- | ------------------------------------- |
 * | `invoice.paid`, `invoice.payment_succeeded`  | `invoice_paid`            | `stripe_record_invoice_paid`          |
 * | `account.updated`                            | `account_capability`      | `stripe_sync_account_capability`      |
 * | `payout.failed` (Connect: `account` set)     | `connected_payout_failed` | `stripe_record_connected_payout_failure` |
 * | `transfer.reversed`, `transfer.updated`      | `transfer_reversals`      | `stripe_record_transfer_reversals`    |
 * | `charge.refunded`                            | `payment_disputed` (refund) | `stripe_record_payment_dispute`     |
 * | `charge.dispute.created`                     | `payment_disputed` (dispute) | `stripe_record_payment_dispute`    |
 * | `charge.dispute.closed`                      | `dispute_closed`          | `stripe_close_payment_dispute`        |
 * | `invoice.finalized`, `.sent`, `.voided`, `.marked_uncollectible` | `company_invoice` | `record_company_invoice_state` |
 * | anything else                                | `ignore`                  | marked ignored                        |
 */
import { idOf } from "../platform/stripe.ts";

/**
 * The event types `effectOf` acts on, by where Stripe lists them (the events catch-up lists these):
 * the platform's own events, and a connected account's (Connect events, listed per account).
 */
export const HANDLED_EVENT_TYPES = {
  platform: [
    "invoice.paid",
    "invoice.payment_succeeded",
    "transfer.reversed",
    "transfer.updated",
    "charge.refunded",
    "charge.dispute.created",
    "charge.dispute.closed",
  ],
  connect: ["account.updated", "payout.failed"],
} as const;

/** A Stripe event as delivered (only the fields used here). */
export interface StripeEventLike {
  id: string;
  type: string;
  created: number;
  account?: string | null;
  data: { object: Record<string, unknown> };
}

/** A transfer reversal as read from Stripe. */
export interface ReversalInfo {
  id: string;
  amount: number;
  currency: string;
  created: number;
  metadata: Record<string, string>;
}

export type WebhookEffect =
  | { kind: "ignore"; reason: string }
  | {
    kind: "invoice_paid";
    stripe_invoice_id: string;
    amount_due: number | null;
    amount_paid: number | null;
    currency: string | null;
    paid_at: string;
    payment_intent_id: string | null;
    charge_id: string | null;
    placement_id: string | null;
  }
  | {
    kind: "account_capability";
    account_id: string;
    transfers_capability: string | null;
    observed_at: string;
    /** What Stripe still needs (null: the account is no longer readable). */
    requirements: AccountRequirements | null;
    details_submitted: boolean | null;
  }
  | {
    kind: "connected_payout_failed";
    account_id: string;
    stripe_payout_id: string;
    amount: number | null;
    currency: string | null;
    failure_code: string | null;
    failure_message: string | null;
    arrival_date: string | null;
  }
  | { kind: "transfer_reversals"; stripe_transfer_id: string; reversals: ReversalInfo[]; observed_at: string }
  | {
    kind: "payment_disputed";
    source: "dispute" | "refund";
    stripe_object_id: string;
    charge_id: string;
    payment_intent_id: string | null;
    amount: number | null;
    currency: string | null;
    reason: string | null;
    occurred_at: string;
  }
  | {
    kind: "company_invoice";
    stripe_invoice_id: string;
    company_invoice_id: string | null;
    status: string | null;
    number: string | null;
    hosted_invoice_url: string | null;
    due_at: string | null;
    finalized_at: string | null;
    voided_at: string | null;
    marked_uncollectible_at: string | null;
    sent: boolean;
  }
  | {
    kind: "dispute_closed";
    stripe_dispute_id: string;
    charge_id: string | null;
    outcome: "won" | "lost";
    stripe_status: string;
    closed_at: string;
  };

/** The part of an account's `requirements` the ledger keeps. */
export interface AccountRequirements {
  currently_due: string[];
  past_due: string[];
  eventually_due: string[];
  disabled_reason: string | null;
}

/** A connected account as read now. */
export interface AccountState {
  /** `capabilities.transfers` (`inactive` when the account is no longer connected). */
  transfers_capability: string | null;
  requirements: AccountRequirements | null;
  details_submitted: boolean | null;
}

/** Reads from Stripe (injected; the real one is `reader.ts`). Throws when Stripe cannot answer. */
export interface StripeReader {
  /** The account as Stripe has it now. */
  accountState(accountId: string): Promise<AccountState>;
  /** The payment of an invoice: payment intent, charge and paid time (unix s), as Stripe has them now. */
  invoicePayment(invoiceId: string): Promise<{
    payment_intent_id: string | null;
    charge_id: string | null;
    paid_at: number | null;
  }>;
  /** Every reversal of a transfer, as Stripe has them now. */
  transferReversals(transferId: string): Promise<ReversalInfo[]>;
  /** Clock (ms) for `observed_at`. */
  now(): number;
}

const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);
const int = (v: unknown): number | null => (typeof v === "number" && Number.isSafeInteger(v) ? v : null);
const iso = (unixS: number) => new Date(unixS * 1000).toISOString();
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function metadataOf(o: Record<string, unknown>): Record<string, string> {
  const m = o.metadata;
  if (!m || typeof m !== "object") return {};
  return Object.fromEntries(
    Object.entries(m as Record<string, unknown>).filter(([, v]) => typeof v === "string"),
  ) as Record<string, string>;
}

/** Maps a verified event to its effect (see the module table). */
export async function effectOf(event: StripeEventLike, reader: StripeReader): Promise<WebhookEffect> {
  const o = (event.data?.object ?? {}) as Record<string, unknown>;
  switch (event.type) {
    case "invoice.paid":
    case "invoice.payment_succeeded": {
      const id = str(o.id);
      if (!id?.startsWith("in_")) return { kind: "ignore", reason: "not_an_invoice" };
      // Older API versions carry charge / payment_intent on the invoice; current ones only on
      // its invoice payments: read them from Stripe when missing.
      let paymentIntent = idOf(o.payment_intent);
      let charge = idOf(o.charge);
      const transitions = (o.status_transitions ?? {}) as Record<string, unknown>;
      let paidAt = int(transitions.paid_at);
      if (!charge) {
        const p = await reader.invoicePayment(id);
        paymentIntent ??= p.payment_intent_id;
        charge = p.charge_id;
        paidAt ??= p.paid_at;
      }
      const placementId = metadataOf(o).placement_id;
      return {
        kind: "invoice_paid",
        stripe_invoice_id: id,
        amount_due: int(o.amount_due),
        amount_paid: int(o.amount_paid),
        currency: str(o.currency),
        paid_at: iso(paidAt ?? event.created),
        payment_intent_id: paymentIntent,
        charge_id: charge,
        placement_id: placementId && UUID_RE.test(placementId) ? placementId : null,
      };
    }
    case "account.updated": {
      const accountId = str(event.account) ?? str(o.id);
      if (!accountId?.startsWith("acct_")) return { kind: "ignore", reason: "not_an_account" };
      // Not the event's snapshot: the account as Stripe has it now (events arrive out of order).
      const state = await reader.accountState(accountId);
      return {
        kind: "account_capability",
        account_id: accountId,
        ...state,
        observed_at: new Date(reader.now()).toISOString(),
      };
    }
    case "payout.failed": {
      // Only a connected account's bank payout concerns recruiters; the platform's own is not ours.
      const accountId = str(event.account);
      const payoutId = str(o.id);
      if (!accountId || !payoutId) return { kind: "ignore", reason: "platform_payout" };
      return {
        kind: "connected_payout_failed",
        account_id: accountId,
        stripe_payout_id: payoutId,
        amount: int(o.amount),
        currency: str(o.currency),
        failure_code: str(o.failure_code),
        failure_message: str(o.failure_message),
        arrival_date: int(o.arrival_date) !== null ? iso(int(o.arrival_date) as number) : null,
      };
    }
    case "transfer.reversed":
    case "transfer.updated": {
      const transferId = str(o.id);
      if (!transferId?.startsWith("tr_")) return { kind: "ignore", reason: "not_a_transfer" };
      if (event.type === "transfer.updated" && !(int(o.amount_reversed) ?? 0)) {
        return { kind: "ignore", reason: "no_reversal" };
      }
      // Every reversal of the transfer as Stripe has it now (each one recorded once by its id).
      return {
        kind: "transfer_reversals",
        stripe_transfer_id: transferId,
        reversals: await reader.transferReversals(transferId),
        observed_at: new Date(reader.now()).toISOString(),
      };
    }
    case "charge.refunded": {
      const chargeId = str(o.id);
      if (!chargeId) return { kind: "ignore", reason: "not_a_charge" };
      return {
        kind: "payment_disputed",
        source: "refund",
        stripe_object_id: chargeId,
        charge_id: chargeId,
        payment_intent_id: idOf(o.payment_intent),
        amount: int(o.amount_refunded),
        currency: str(o.currency),
        reason: "refunded",
        occurred_at: iso(event.created),
      };
    }
    case "charge.dispute.created": {
      const disputeId = str(o.id);
      const chargeId = idOf(o.charge);
      if (!disputeId || !chargeId) return { kind: "ignore", reason: "not_a_dispute" };
      return {
        kind: "payment_disputed",
        source: "dispute",
        stripe_object_id: disputeId,
        charge_id: chargeId,
        payment_intent_id: idOf(o.payment_intent),
        amount: int(o.amount),
        currency: str(o.currency),
        reason: str(o.reason),
        occurred_at: iso(int(o.created) ?? event.created),
      };
    }
    case "charge.dispute.closed": {
      const disputeId = str(o.id);
      const status = str(o.status) ?? "";
      if (!disputeId) return { kind: "ignore", reason: "not_a_dispute" };
      // won, or an inquiry closed without becoming a dispute: the money stays; lost: it is gone.
      if (status !== "won" && status !== "lost" && status !== "warning_closed") {
        return { kind: "ignore", reason: `dispute_status_${status || "unknown"}` };
      }
      return {
        kind: "dispute_closed",
        stripe_dispute_id: disputeId,
        charge_id: idOf(o.charge),
        outcome: status === "lost" ? "lost" : "won",
        stripe_status: status,
        closed_at: iso(event.created),
      };
    }
    case "invoice.finalized":
    case "invoice.sent":
    case "invoice.voided":
    case "invoice.marked_uncollectible": {
      // The company's Stripe invoice (company billing). The status only moves forward in SQL, so a
      // late or repeated event changes nothing; a Stripe invoice nobody requested is ignored there.
      const id = str(o.id);
      if (!id?.startsWith("in_")) return { kind: "ignore", reason: "not_an_invoice" };
      const ours = metadataOf(o).company_invoice_id;
      const t = (o.status_transitions ?? {}) as Record<string, unknown>;
      const at = (v: unknown) => (int(v) !== null ? iso(int(v) as number) : null);
      return {
        kind: "company_invoice",
        stripe_invoice_id: id,
        company_invoice_id: ours && UUID_RE.test(ours) ? ours : null,
        status: str(o.status),
        number: str(o.number),
        hosted_invoice_url: str(o.hosted_invoice_url),
        due_at: at(o.due_date),
        finalized_at: at(t.finalized_at),
        voided_at: at(t.voided_at),
        marked_uncollectible_at: at(t.marked_uncollectible_at),
        sent: event.type === "invoice.sent",
      };
    }
    default:
      return { kind: "ignore", reason: "unhandled_type" };
  }
}

const NEEDS_READ = Symbol("needs a read from Stripe");
const needsRead = (): never => {
  throw NEEDS_READ;
};
/** A reader for deciding without Stripe: every read throws `NEEDS_READ`. */
const offline: StripeReader = {
  accountState: needsRead,
  invoicePayment: needsRead,
  transferReversals: needsRead,
  now: Date.now,
};

/**
 * The effect of an event decided from the event alone, or null when deciding it reads from Stripe
 * (then: store first, read, apply; see webhook.ts).
 */
export async function effectWithoutReads(event: StripeEventLike): Promise<WebhookEffect | null> {
  try {
    return await effectOf(event, offline);
  } catch (e) {
    if (e === NEEDS_READ) return null;
    throw e;
  }
}
