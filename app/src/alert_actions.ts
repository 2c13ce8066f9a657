// What resolves each kind of payout alert (payout_alerts; docs/stripe-sync.md, "payout_alerts"):
// the advice in words, the admin call that resolves it when one call does, and the placement to
// open when the decision is made there. Pure: the Alerts screen renders it, a unit test pins it.
import type { z } from "zod";
import type { PayoutAlertKindSchema, PayoutAlertSchema } from "../../types/schemas.ts";

type Alert = z.infer<typeof PayoutAlertSchema>;
type Kind = z.infer<typeof PayoutAlertKindSchema>;

/** The admin RPCs an alert, a placement or Controls can ask for, behind a confirmation (AdminCallBox). */
export type AdminRpc =
  | "trigger_payout_schedule"
  | "release_escrow_hold"
  | "cancel_escrow_hold"
  | "reverse_payout"
  | "fail_placement"
  | "reissue_placement_invoice"
  | "lift_payout_cap"
  | "process_due_payout_schedules"
  | "process_due_escrow_releases"
  | "pause_payouts"
  | "resume_payouts";

/** One admin call: the RPC, its arguments but the reason, and whether it takes a reason (p_reason). */
export interface AdminCall {
  rpc: AdminRpc;
  args: Record<string, string>;
  reason: boolean;
  /** What the button says. */
  label: string;
}

export interface AlertAction {
  /** What resolves the alert, in words. */
  advice: string;
  /** The call that resolves it, when a single one does. */
  call: AdminCall | null;
  /** The placement whose detail has the decision (holds, payouts, schedules), when there is one. */
  placementId: string | null;
}

const str = (v: unknown) => (typeof v === "string" ? v : null);

/** Every kind is here (a missing one does not compile): advice, and the call when one call resolves it. */
const RESOLVE: Record<Kind, (a: Alert) => { advice: string; call?: AdminCall }> = {
  transfer_missing_in_stripe: () => ({
    advice: "Stripe has no transfer for a tranche we recorded as paid. Look the Stripe id up in Stripe's dashboard; " +
      "the daily reconciliation closes the alert once both sides agree.",
  }),
  transfer_unknown_to_us: () => ({
    advice: "Stripe has a transfer that no tranche of ours made (see details.reason). Find who created it in " +
      "Stripe's dashboard and reverse it there if it is not ours.",
  }),
  transfer_mismatch: () => ({
    advice: "The tranche and Stripe's transfer differ (details.fields). Compare them in Stripe's dashboard; " +
      "correct the side that is wrong.",
  }),
  tranche_stuck: () => ({
    advice: "A tranche is in flight long past its lease: no run is taking it back. Run the payout run now; it " +
      "resumes the tranche under the same idempotency key, so Stripe never pays it twice.",
    call: { rpc: "process_due_payout_schedules", args: {}, reason: false, label: "Run payouts now" },
  }),
  schedule_exhausted: (a) => ({
    advice: "The schedule failed all its attempts (details.failure_reason). Fix the cause, then trigger it: " +
      "it gets fresh attempts.",
    call: { rpc: "trigger_payout_schedule", args: { p_schedule_id: a.subject_id }, reason: true, label: "Trigger" },
  }),
  webhook_processing_failed: () => ({
    advice: "A Stripe event failed to process (details.last_error). The daily reconciliation retries it; " +
      "if the error stays, fix its cause.",
  }),
  hold_past_release_date: () => ({
    advice: "An escrow hold is past its release time: the release job did not run. Run it now.",
    call: { rpc: "process_due_escrow_releases", args: {}, reason: false, label: "Release due holds now" },
  }),
  clawback_outstanding: () => ({
    advice: "The recruiter owes this amount; it is netted from their next payouts. Collect it outside the " +
      "platform if none will come.",
  }),
  payment_disputed: () => ({
    advice: "The placement's payment is disputed or refunded, and its dispute holds wait for you: in the " +
      "placement's detail, cancel them if the dispute is lost, release them if it is won.",
  }),
  payout_flagged_for_reversal: (a) =>
    a.details?.reversal_in_progress === true
      ? { advice: "Paid money of a failed placement or a lost dispute: its reversal is in progress." }
      : {
        advice: "Paid money of a failed placement or a lost dispute is not reversed yet: reverse the payout.",
        call: { rpc: "reverse_payout", args: { p_payout_id: a.subject_id }, reason: true, label: "Reverse" },
      },
  reversal_failed: (a) => ({
    advice: "Stripe refused the reversal (details.failure_code). Resolve it with Stripe, then reverse the payout " +
      "again.",
    call: a.payout_id
      ? { rpc: "reverse_payout", args: { p_payout_id: a.payout_id }, reason: true, label: "Reverse again" }
      : undefined,
  }),
  bank_payout_failed: () => ({
    advice: "The recruiter's bank refused Stripe's payout; our transfer stays paid. Ask the recruiter to correct " +
      "their bank details in their payout account.",
  }),
  company_invoice_voided: (a) => reissue(a, "The company's Stripe invoice was voided at Stripe."),
  company_invoice_uncollectible: (a) =>
    reissue(a, "The company's Stripe invoice was marked uncollectible; a late payment still counts."),
  company_invoice_failed: (a) => reissue(a, "Stripe refused a step of invoicing the company (details.failure_code)."),
  stripe_events_gap: () => ({
    advice: "Stripe events between details.gap_from and details.gap_until may never have arrived. Reconcile that " +
      "window (reconcile-payouts with window_start) and compare with Stripe's dashboard.",
  }),
  break_glass_used: () => ({
    advice: "A four-eyes request was executed by postgres over SQL. Review it in Approvals (executed) and its " +
      "audit trail.",
  }),
  cap_reached: (a) => {
    const currency = a.currency, day = str(a.details?.day);
    if (a.details?.lifted === true || !currency || !day) {
      return { advice: "A velocity cap held payouts back; they pay at the next day's run." };
    }
    return {
      advice: "A velocity cap held payouts back; they pay at the next day's run. To pay them today, lift the cap " +
        "for the day (a second admin approves).",
      call: {
        rpc: "lift_payout_cap",
        args: { p_currency: currency, p_day: day, ...(a.recruiter_id ? { p_recruiter_id: a.recruiter_id } : {}) },
        reason: true,
        label: "Lift for the day",
      },
    };
  },
};

function reissue(a: Alert, what: string) {
  return {
    advice: `${what} Reissue the invoice, or fail the placement in its detail.`,
    call: a.placement_id
      ? {
        rpc: "reissue_placement_invoice" as const,
        args: { p_placement_id: a.placement_id },
        reason: true,
        label: "Reissue invoice",
      }
      : undefined,
  };
}

export function resolvingAction(a: Alert): AlertAction {
  const r = RESOLVE[a.kind](a);
  return { advice: r.advice, call: r.call ?? null, placementId: a.placement_id };
}
