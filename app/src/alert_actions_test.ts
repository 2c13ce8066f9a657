import assert from "node:assert/strict";
import type { z } from "zod";
import { PAYOUT_ALERT_KINDS, PayoutAlertSchema, RPC } from "../../types/schemas.ts";
import { resolvingAction } from "./alert_actions.ts";

type Alert = z.infer<typeof PayoutAlertSchema>;
const ID = "0b7f6c1e-3a52-4c1f-9d1e-2f4a6b8c9d0e";
const PLACEMENT = "5a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const RECRUITER = "7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f";

const alert = (kind: Alert["kind"], more: Partial<Alert> = {}): Alert =>
  PayoutAlertSchema.parse({
    kind,
    subject_type: "x",
    subject_id: ID,
    placement_id: PLACEMENT,
    payout_id: ID,
    recruiter_id: null,
    amount: 1000,
    currency: "USD",
    detected_at: null,
    details: {},
    ...more,
  });

Deno.test("every kind of alert says what resolves it, and opens its placement when it has one", () => {
  for (const kind of PAYOUT_ALERT_KINDS) {
    const a = resolvingAction(alert(kind));
    assert.ok(a.advice.length > 20, kind);
    assert.equal(a.placementId, PLACEMENT, kind);
    assert.equal(resolvingAction(alert(kind, { placement_id: null })).placementId, null, kind);
  }
});

Deno.test("the resolving call is the admin RPC with the alert's subject, and its arguments parse", () => {
  const calls = Object.fromEntries(
    PAYOUT_ALERT_KINDS.map((k) => [k, resolvingAction(alert(k, { details: { day: "2026-12-02" } })).call]),
  );
  assert.deepEqual(calls.schedule_exhausted, {
    rpc: "trigger_payout_schedule",
    args: { p_schedule_id: ID },
    reason: true,
    label: "Trigger",
  });
  assert.deepEqual(calls.payout_flagged_for_reversal?.args, { p_payout_id: ID });
  assert.equal(calls.payout_flagged_for_reversal?.rpc, "reverse_payout");
  assert.equal(calls.reversal_failed?.rpc, "reverse_payout");
  assert.equal(calls.tranche_stuck?.rpc, "process_due_payout_schedules");
  assert.equal(calls.hold_past_release_date?.rpc, "process_due_escrow_releases");
  for (const k of ["company_invoice_voided", "company_invoice_uncollectible", "company_invoice_failed"] as const) {
    assert.deepEqual([calls[k]?.rpc, calls[k]?.args], ["reissue_placement_invoice", { p_placement_id: PLACEMENT }], k);
  }
  assert.deepEqual(calls.cap_reached?.args, { p_currency: "USD", p_day: "2026-12-02" });
  // advice only: Stripe's side or an automatic process resolves these
  for (
    const k of [
      "transfer_missing_in_stripe",
      "transfer_unknown_to_us",
      "transfer_mismatch",
      "webhook_processing_failed",
      "clawback_outstanding",
      "payment_disputed",
      "bank_payout_failed",
      "stripe_events_gap",
      "break_glass_used",
    ] as const
  ) assert.equal(calls[k], null, k);
  // every call is one the API takes: its arguments (and a reason where it takes one) parse
  for (const [kind, call] of Object.entries(calls)) {
    if (!call) continue;
    const args = call.reason ? { ...call.args, p_reason: "resolved" } : call.args;
    assert.ok(RPC[call.rpc].args.safeParse(args).success, `${kind}: ${JSON.stringify(args)}`);
  }
});

Deno.test("a recruiter's cap is lifted for that recruiter; a lifted cap or a reversal under way needs no call", () => {
  const recruiterCap = resolvingAction(
    alert("cap_reached", { recruiter_id: RECRUITER, details: { day: "2026-12-02", lifted: false } }),
  );
  assert.deepEqual(recruiterCap.call?.args, { p_currency: "USD", p_day: "2026-12-02", p_recruiter_id: RECRUITER });
  assert.equal(resolvingAction(alert("cap_reached", { details: { day: "2026-12-02", lifted: true } })).call, null);
  assert.equal(
    resolvingAction(alert("payout_flagged_for_reversal", { details: { reversal_in_progress: true } })).call,
    null,
  );
  assert.equal(resolvingAction(alert("reversal_failed", { payout_id: null })).call, null);
});
