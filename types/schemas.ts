// Zod schemas for what the API (PostgREST, `supabase-js`) sends and returns: every public RPC's
// arguments and result, the table and view rows, and the outbox event payloads.
//
// One source of truth per fact:
// - Columns, their types and the RPC signatures come from the generated `types/database.ts`.
//   The schemas below are checked against it at type level (bottom of this file, and
//   `types/domain.ts` for the rows), so `deno check types/*.ts` fails when they drift.
// - What `supabase gen types` cannot see is defined here once: the value sets of the CHECK
//   constraints (as `as const` tuples -> zod enums -> TS unions via `z.infer`), the columns granted
//   to `authenticated` on the four tables with hidden columns, and the event payloads
//   (`private.emit_event` calls in `supabase/migrations/`).
//
// Wire format (PostgREST 12): bigint and integer columns are JSON numbers (money is integer minor
// units, at most 2^31-1 per fee, so always a safe integer); timestamptz is ISO 8601 with offset
// (`2026-11-27T07:00:00.123456+00:00`); date is `YYYY-MM-DD`; jsonb is plain JSON; xid8 is a
// string of digits; bytea is `\x` + hex.
import { z } from "zod";
import type { Database, Json } from "./database.ts";

// ---------------------------------------------------------------------------------------------
// Scalars
// ---------------------------------------------------------------------------------------------
/** Any 8-4-4-4-12 hex id, as Postgres' `uuid` accepts it. */
export const UuidSchema = z.guid();
/** `timestamptz` as PostgREST and `to_jsonb` print it; also accepts `Date.toISOString()` in arguments. */
export const TimestamptzSchema = z.iso.datetime({ offset: true });
/** `date`: `YYYY-MM-DD`. */
export const DateSchema = z.iso.date();
/** `time` (UTC wall-clock time of the nightly jobs): `HH:MM:SS`. */
export const TimeSchema = z.iso.time();
/** `interval` as Postgres prints it (`7 days`, `01:00:00`). */
export const IntervalSchema = z.string().min(1);
/** Money: integer minor units (cents), never negative. bigint columns arrive as JSON numbers. */
export const MoneySchema = z.number().int().nonnegative();
/** A fee is capped at 2^31 - 1 minor units (so that allocation products stay within bigint). */
export const MAX_FEE_AMOUNT = 2147483647;
/** Upper-case ISO 4217 code (`char(3)`). */
export const CurrencySchema = z.string().regex(/^[A-Z]{3}$/);
/** Basis points of a fee (0..10000). */
export const BpsSchema = z.number().int().min(0).max(10000);
/** xid8 (transaction id) as PostgREST returns it: a string of digits. */
export const TxidSchema = z.string().regex(/^[0-9]+$/);
/** bytea as PostgREST returns it. */
export const ByteaHexSchema = z.string().regex(/^\\x[0-9a-f]*$/);
/** A jsonb object (audit values, event payloads). */
export const JsonObjectSchema: z.ZodType<{ [key: string]: Json | undefined }> = z.record(
  z.string(),
  z.json(),
) as z.ZodType<{ [key: string]: Json | undefined }>;
/** A non-empty reason, as the RPCs that require one check it (`btrim(p_reason) <> ''`). */
export const ReasonSchema = z.string().trim().min(1).max(2000);

// ---------------------------------------------------------------------------------------------
// Value sets of the CHECK constraints (defined once; the TS unions are z.infer of these)
// ---------------------------------------------------------------------------------------------
export const PLACEMENT_STATUSES = ["hired", "active", "completed", "failed"] as const;
export const PLACEMENT_INVOICE_STATUSES = ["draft", "open", "paid", "void", "uncollectible"] as const;
/** The statuses `record_placement_invoice` accepts for a new invoice. */
export const RECORDABLE_INVOICE_STATUSES = ["draft", "open"] as const;
export const PLACEMENT_SPLIT_ROLES = [
  "candidate_recruiter",
  "company_recruiter",
  "job_owner",
  "candidate_sourcer",
  "company_sourcer",
] as const;
export const PAYOUT_STATUSES = [
  "pending",
  "partially_paid",
  "paid",
  "forfeited",
  "flagged_for_reversal",
  "reversed",
] as const;
export const ESCROW_HOLD_STATUSES = ["active", "released", "cancelled"] as const;
export const ESCROW_HOLD_REASONS = ["guarantee_period", "dispute", "verification", "other"] as const;
export const PAYOUT_SCHEDULE_STATUSES = ["pending", "processing", "processed", "failed", "cancelled"] as const;
export const PAYOUT_SCHEDULE_TRIGGER_EVENTS = ["invoice.collectible", "escrow_hold.released", "manual"] as const;
export const PAYOUT_TRANSFER_STATUSES = ["pending", "succeeded", "failed", "unknown"] as const;
export const STRIPE_TRANSFERS_CAPABILITIES = ["active", "inactive", "pending", "unrequested"] as const;
/** Where a recruiter's Connect onboarding stands (20261202100000_connect_onboarding). */
export const CONNECT_ONBOARDING_STATES = [
  "not_started",
  "creating",
  "onboarding",
  "pending",
  "restricted",
  "complete",
] as const;
export const CONNECT_ACCOUNT_STATUSES = ["creating", "linked"] as const;
export const COMPANY_MEMBER_ROLES = ["company_admin", "hiring_manager"] as const;
/** `changed_by_role` of the audit log and `actor_role` of events (kept in sync with private.set_actor). */
export const ACTOR_ROLES = [
  "platform_admin",
  "company_admin",
  "recruiter",
  "authenticated",
  "anon",
  "service_role",
  "system",
  "cron",
  "job",
  "webhook",
] as const;
export const AUDIT_OPERATIONS = ["INSERT", "UPDATE", "DELETE"] as const;
/** placement: admins (amounts); company: company members (counts and dates, amounts null); own: a recruiter's holds. */
export const ESCROW_TOTAL_SCOPES = ["placement", "company", "own"] as const;
/** Why a payout would not be paid (first failing eligibility gate, then the schedule reasons). */
export const ELIGIBILITY_REASONS = [
  "platform_paused",
  "placement_failed",
  "invoice_not_collectible",
  "recruiter_cannot_receive_transfers",
  "recruiter_paused",
  "nothing_payable",
] as const;
export const PAYOUT_RUN_PREVIEW_REASONS = [
  ...ELIGIBILITY_REASONS,
  "no_schedule",
  "in_flight",
  "schedule_exhausted",
  "not_due",
  // velocity caps (20261202140000): it would not fit a cap of the day
  "cap_reached",
] as const;
export const AUDIT_CHAIN_PROBLEMS = [
  "row_hash_mismatch",
  "prev_hash_mismatch",
  "seq_gap",
  "head_mismatch",
  "head_missing",
  "head_orphan",
  "partition_missing",
] as const;

export const PAYOUT_REVERSAL_STATUSES = ["pending", "processing", "succeeded", "partial", "failed"] as const;
export const RECRUITER_CLAWBACK_STATUSES = ["open", "settled"] as const;
/** Admin actions that may need a second platform admin (four-eyes, 20261202120000_admin_approvals). */
export const ADMIN_ACTIONS = [
  "reverse_payout",
  "trigger_payout_schedule",
  "release_escrow_hold",
  "cancel_escrow_hold",
  "fail_placement",
  "resume_payouts",
  "grant_platform_admin",
  "lift_payout_cap",
] as const;
/** A request's status as the API shows it (expired: pending past expires_at). */
export const ADMIN_ACTION_REQUEST_STATUSES = ["pending", "executed", "rejected", "expired"] as const;
/** What needs an operator (the view payout_alerts, 20261130091000). */
export const PAYOUT_ALERT_KINDS = [
  "transfer_missing_in_stripe",
  "transfer_unknown_to_us",
  "transfer_mismatch",
  "tranche_stuck",
  "schedule_exhausted",
  "webhook_processing_failed",
  "hold_past_release_date",
  "clawback_outstanding",
  "payment_disputed",
  "payout_flagged_for_reversal",
  "reversal_failed",
  "bank_payout_failed",
  "company_invoice_voided",
  "company_invoice_uncollectible",
  "company_invoice_failed",
  "stripe_events_gap",
  "break_glass_used",
  "cap_reached",
] as const;
/** A company invoice's status: its Stripe invoice's (company billing, 20261130090200). */
export const COMPANY_INVOICE_STATUSES = ["pending", "draft", "open", "paid", "void", "uncollectible"] as const;

export const PlacementStatusSchema = z.enum(PLACEMENT_STATUSES);
export const PlacementInvoiceStatusSchema = z.enum(PLACEMENT_INVOICE_STATUSES);
export const PlacementSplitRoleSchema = z.enum(PLACEMENT_SPLIT_ROLES);
export const PayoutStatusSchema = z.enum(PAYOUT_STATUSES);
export const EscrowHoldStatusSchema = z.enum(ESCROW_HOLD_STATUSES);
export const EscrowHoldReasonSchema = z.enum(ESCROW_HOLD_REASONS);
export const PayoutScheduleStatusSchema = z.enum(PAYOUT_SCHEDULE_STATUSES);
export const PayoutScheduleTriggerEventSchema = z.enum(PAYOUT_SCHEDULE_TRIGGER_EVENTS);
export const PayoutTransferStatusSchema = z.enum(PAYOUT_TRANSFER_STATUSES);
export const StripeTransfersCapabilitySchema = z.enum(STRIPE_TRANSFERS_CAPABILITIES);
export const ConnectOnboardingStateSchema = z.enum(CONNECT_ONBOARDING_STATES);
export const ConnectAccountStatusSchema = z.enum(CONNECT_ACCOUNT_STATUSES);
export const CompanyMemberRoleSchema = z.enum(COMPANY_MEMBER_ROLES);
export const ActorRoleSchema = z.enum(ACTOR_ROLES);
export const AuditOperationSchema = z.enum(AUDIT_OPERATIONS);
export const EscrowTotalScopeSchema = z.enum(ESCROW_TOTAL_SCOPES);
export const EligibilityReasonSchema = z.enum(ELIGIBILITY_REASONS);
export const PayoutRunPreviewReasonSchema = z.enum(PAYOUT_RUN_PREVIEW_REASONS);
export const AuditChainProblemSchema = z.enum(AUDIT_CHAIN_PROBLEMS);
export const PayoutReversalStatusSchema = z.enum(PAYOUT_REVERSAL_STATUSES);
export const RecruiterClawbackStatusSchema = z.enum(RECRUITER_CLAWBACK_STATUSES);
export const PayoutAlertKindSchema = z.enum(PAYOUT_ALERT_KINDS);
export const CompanyInvoiceStatusSchema = z.enum(COMPANY_INVOICE_STATUSES);

// ---------------------------------------------------------------------------------------------
// Errors as PostgREST returns them (supabase-js: `{ data: null, error, status }`)
// ---------------------------------------------------------------------------------------------
/** SQLSTATEs of the API and the HTTP status PostgREST answers with (42501: 401 without a JWT). */
export const API_ERROR_STATUS = {
  "42501": 403,
  PT400: 400,
  PT404: 404,
  PT403: 403,
  PT409: 409,
  PT422: 422,
  // four-eyes approval required (20261202120000_admin_approvals): nothing changed, ask with request_admin_action
  PT428: 428,
} as const;
export const ApiErrorCodeSchema = z.enum(Object.keys(API_ERROR_STATUS) as [keyof typeof API_ERROR_STATUS]);
export const PostgrestErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  details: z.string().nullable(),
  hint: z.string().nullable(),
});

// ---------------------------------------------------------------------------------------------
// Rows (full rows, as the admin RPCs and `select=*` on fully granted tables return them)
// ---------------------------------------------------------------------------------------------
const nullableTs = TimestamptzSchema.nullable();

export const CompanyAdminSchema = z.object({
  id: UuidSchema,
  name: z.string(),
  stripe_customer_id: z.string().nullable(),
  billing_email: z.string().nullable(),
  created_at: TimestamptzSchema,
  updated_at: TimestamptzSchema,
});

export const CompanyMemberSchema = z.object({
  id: UuidSchema,
  company_id: UuidSchema,
  user_id: UuidSchema,
  role: CompanyMemberRoleSchema,
  created_at: TimestamptzSchema,
  updated_at: TimestamptzSchema,
});

export const PlatformAdminSchema = z.object({
  id: UuidSchema,
  user_id: UuidSchema,
  granted_by: UuidSchema.nullable(),
  created_at: TimestamptzSchema,
});

export const RecruiterSchema = z.object({
  id: UuidSchema,
  user_id: UuidSchema,
  display_name: z.string(),
  stripe_connect_account_id: z.string().nullable(),
  stripe_transfers_capability: StripeTransfersCapabilitySchema.nullable(),
  stripe_capability_updated_at: nullableTs,
  can_receive_transfers: z.boolean(),
  paused_at: nullableTs,
  paused_reason: z.string().nullable(),
  payouts_paused: z.boolean(),
  created_at: TimestamptzSchema,
  updated_at: TimestamptzSchema,
});

export const PlacementAdminSchema = z.object({
  id: UuidSchema,
  company_id: UuidSchema,
  title: z.string(),
  fee_amount: MoneySchema.max(MAX_FEE_AMOUNT),
  currency: CurrencySchema,
  holdback_bps: BpsSchema,
  hired_at: TimestamptzSchema,
  guarantee_days: z.number().int().nonnegative(),
  guarantee_expires_at: TimestamptzSchema,
  status: PlacementStatusSchema,
  activated_at: nullableTs,
  completed_at: nullableTs,
  failed_at: nullableTs,
  failure_reason: z.string().nullable(),
  splits_locked_at: nullableTs,
  platform_amount: MoneySchema.nullable(),
  refund_amount: MoneySchema.nullable(),
  refund_decided_at: nullableTs,
  created_at: TimestamptzSchema,
  updated_at: TimestamptzSchema,
});

export const PlacementInvoiceAdminSchema = z.object({
  id: UuidSchema,
  placement_id: UuidSchema,
  currency: CurrencySchema,
  amount_due: MoneySchema,
  status: PlacementInvoiceStatusSchema,
  paid_at: nullableTs,
  collectible_at: nullableTs,
  voided_at: nullableTs,
  stripe_invoice_id: z.string().nullable(),
  stripe_payment_intent_id: z.string().nullable(),
  created_at: TimestamptzSchema,
  updated_at: TimestamptzSchema,
});

export const PlacementSplitSchema = z.object({
  id: UuidSchema,
  placement_id: UuidSchema,
  recruiter_id: UuidSchema,
  role: PlacementSplitRoleSchema,
  share_bps: z.number().int().min(1).max(10000),
  created_at: TimestamptzSchema,
  updated_at: TimestamptzSchema,
});

export const PayoutSchema = z.object({
  id: UuidSchema,
  placement_id: UuidSchema,
  split_id: UuidSchema,
  recruiter_id: UuidSchema,
  currency: CurrencySchema,
  amount: MoneySchema,
  paid_amount: MoneySchema,
  in_flight_amount: MoneySchema,
  payable_amount: MoneySchema,
  held_amount: MoneySchema,
  forfeited_amount: MoneySchema,
  reversed_amount: MoneySchema,
  status: PayoutStatusSchema,
  connect_required_notified_at: nullableTs,
  flagged_for_reversal_at: nullableTs,
  created_at: TimestamptzSchema,
  updated_at: TimestamptzSchema,
});

export const EscrowHoldSchema = z.object({
  id: UuidSchema,
  placement_id: UuidSchema,
  payout_id: UuidSchema,
  /** the payout's recruiter (denormalized for the policies, set by trigger: 20261127100100) */
  recruiter_id: UuidSchema,
  currency: CurrencySchema,
  hold_amount: MoneySchema.positive(),
  hold_reason: EscrowHoldReasonSchema,
  status: EscrowHoldStatusSchema,
  held_at: TimestamptzSchema,
  release_scheduled_date: DateSchema.nullable(),
  released_at: nullableTs,
  released_by: UuidSchema.nullable(),
  cancelled_at: nullableTs,
  cancelled_by: UuidSchema.nullable(),
  cancellation_reason: z.string().nullable(),
  created_at: TimestamptzSchema,
  updated_at: TimestamptzSchema,
});

export const PayoutScheduleSchema = z.object({
  id: UuidSchema,
  payout_id: UuidSchema,
  placement_id: UuidSchema,
  recruiter_id: UuidSchema,
  status: PayoutScheduleStatusSchema,
  trigger_event: PayoutScheduleTriggerEventSchema,
  scheduled_date: DateSchema,
  guarantee_completion_date: DateSchema.nullable(),
  next_attempt_at: nullableTs,
  processed_at: nullableTs,
  failure_reason: z.string().nullable(),
  retry_count: z.number().int().nonnegative(),
  max_attempts: z.number().int().nonnegative(),
  last_retry_at: nullableTs,
  is_exhausted: z.boolean(),
  claimed_by_run: UuidSchema.nullable(),
  claimed_by_invocation: UuidSchema.nullable(),
  claimed_at: nullableTs,
  lease_expires_at: nullableTs,
  skip_reason: z.string().nullable(),
  skipped_at: nullableTs,
  cancelled_at: nullableTs,
  cancel_reason: z.string().nullable(),
  created_at: TimestamptzSchema,
  updated_at: TimestamptzSchema,
});

export const PayoutTransferSchema = z.object({
  id: UuidSchema,
  payout_id: UuidSchema,
  placement_id: UuidSchema,
  recruiter_id: UuidSchema,
  schedule_id: UuidSchema,
  currency: CurrencySchema,
  amount: MoneySchema.positive(),
  /** of the amount, reversed at Stripe (20261130090400) */
  reversed_amount: MoneySchema,
  destination_account_id: z.string(),
  attempt_number: z.number().int().positive(),
  idempotency_key: z.string(),
  status: PayoutTransferStatusSchema,
  stripe_transfer_id: z.string().nullable(),
  failure_reason: z.string().nullable(),
  claimed_by_run: UuidSchema,
  succeeded_at: nullableTs,
  failed_at: nullableTs,
  unknown_at: nullableTs,
  created_at: TimestamptzSchema,
  updated_at: TimestamptzSchema,
});

export const PayoutAuditLogAdminSchema = z.object({
  id: z.number().int().positive(),
  entity_type: z.string(),
  entity_id: UuidSchema,
  placement_id: UuidSchema.nullable(),
  payout_id: UuidSchema.nullable(),
  /** the recruiter of the payout the row is about; null for rows about no payout (set by trigger: 20261127100100) */
  recruiter_id: UuidSchema.nullable(),
  operation: AuditOperationSchema,
  action: z.string(),
  old_values: JsonObjectSchema.nullable(),
  new_values: JsonObjectSchema.nullable(),
  changed_by: UuidSchema.nullable(),
  changed_by_role: ActorRoleSchema,
  reason: z.string().nullable(),
  txid: TxidSchema,
  created_at: TimestamptzSchema,
  entity_seq: z.number().int().positive(),
  prev_hash: ByteaHexSchema.nullable(),
  row_hash: ByteaHexSchema,
});

/** A Stripe invoice sent to a company for a placement invoice (company billing; full row, admins). */
export const CompanyInvoiceAdminSchema = z.object({
  id: UuidSchema,
  invoice_id: UuidSchema,
  placement_id: UuidSchema,
  company_id: UuidSchema,
  issue: z.number().int().positive(),
  currency: CurrencySchema,
  amount_due: MoneySchema.positive(),
  description: z.string(),
  status: CompanyInvoiceStatusSchema,
  stripe_customer_id: z.string().nullable(),
  stripe_invoice_id: z.string().nullable(),
  stripe_invoice_item_id: z.string().nullable(),
  number: z.string().nullable(),
  hosted_invoice_url: z.string().nullable(),
  due_at: nullableTs,
  finalized_at: nullableTs,
  sent_at: nullableTs,
  paid_at: nullableTs,
  voided_at: nullableTs,
  marked_uncollectible_at: nullableTs,
  idempotency_key: z.string(),
  void_requested_at: nullableTs,
  void_reason: z.string().nullable(),
  failed_at: nullableTs,
  failure_code: z.string().nullable(),
  failure_reason: z.string().nullable(),
  claimed_by: UuidSchema.nullable(),
  next_attempt_at: TimestamptzSchema,
  attempts: z.number().int().nonnegative(),
  last_error: JsonObjectSchema.nullable(),
  requested_by: UuidSchema.nullable(),
  requested_at: TimestamptzSchema,
  work_due: z.boolean(),
  created_at: TimestamptzSchema,
  updated_at: TimestamptzSchema,
});

/** A request to claw a tranche back from the connected account (reverse_payout, 20261130090600). */
export const PayoutReversalSchema = z.object({
  id: UuidSchema,
  payout_id: UuidSchema,
  placement_id: UuidSchema,
  recruiter_id: UuidSchema,
  transfer_id: UuidSchema,
  stripe_transfer_id: z.string(),
  destination_account_id: z.string(),
  currency: CurrencySchema,
  amount: MoneySchema.positive(),
  reason: z.string(),
  requested_by: UuidSchema.nullable(),
  requested_at: TimestamptzSchema,
  status: PayoutReversalStatusSchema,
  idempotency_key: z.string(),
  attempts: z.number().int().nonnegative(),
  claimed_by: UuidSchema.nullable(),
  lease_expires_at: nullableTs,
  partial_amount: MoneySchema.nullable(),
  partial_idempotency_key: z.string().nullable(),
  reversed_amount: MoneySchema,
  shortfall_amount: MoneySchema,
  stripe_reversal_ids: z.array(z.string()),
  failure_code: z.string().nullable(),
  failure_reason: z.string().nullable(),
  last_error: JsonObjectSchema.nullable(),
  completed_at: nullableTs,
  created_at: TimestamptzSchema,
  updated_at: TimestamptzSchema,
});

/** What a recruiter owes: a reversal's shortfall, netted against later payouts (20261130090700). */
export const RecruiterClawbackSchema = z.object({
  id: UuidSchema,
  recruiter_id: UuidSchema,
  payout_id: UuidSchema,
  payout_reversal_id: UuidSchema,
  currency: CurrencySchema,
  amount: MoneySchema.positive(),
  offset_amount: MoneySchema,
  outstanding_amount: MoneySchema,
  status: RecruiterClawbackStatusSchema,
  reason: z.string(),
  settled_at: nullableTs,
  created_at: TimestamptzSchema,
  updated_at: TimestamptzSchema,
});

/** One netting of a clawback against a later payout's payable money. */
export const ClawbackOffsetSchema = z.object({
  id: UuidSchema,
  clawback_id: UuidSchema,
  recruiter_id: UuidSchema,
  payout_id: UuidSchema,
  placement_id: UuidSchema,
  currency: CurrencySchema,
  amount: MoneySchema.positive(),
  created_at: TimestamptzSchema,
  updated_at: TimestamptzSchema,
});

/** A row of the view payout_alerts (platform admins only; everybody else reads no row). */
export const PayoutAlertSchema = z.object({
  kind: PayoutAlertKindSchema,
  subject_type: z.string(),
  subject_id: z.string(),
  placement_id: UuidSchema.nullable(),
  payout_id: UuidSchema.nullable(),
  recruiter_id: UuidSchema.nullable(),
  amount: MoneySchema.nullable(),
  currency: z.string().nullable(),
  detected_at: nullableTs,
  details: JsonObjectSchema.nullable(),
});

// ---------------------------------------------------------------------------------------------
// Columns granted to `authenticated` where some are not (20261128090100_access_policies). Select
// these (or use the view payout_audit_trail): `select=*` on these four tables is 42501.
// ---------------------------------------------------------------------------------------------
export const COMPANY_COLUMNS = ["id", "name", "billing_email", "created_at", "updated_at"] as const;
/** What company admins read of their company invoices: status, amount due, where to pay. */
export const COMPANY_INVOICE_COLUMNS = [
  "id",
  "invoice_id",
  "placement_id",
  "company_id",
  "issue",
  "currency",
  "amount_due",
  "description",
  "status",
  "number",
  "hosted_invoice_url",
  "due_at",
  "finalized_at",
  "sent_at",
  "paid_at",
  "voided_at",
  "marked_uncollectible_at",
  "created_at",
  "updated_at",
] as const;
export const PLACEMENT_COLUMNS = [
  "id",
  "company_id",
  "title",
  "fee_amount",
  "currency",
  "holdback_bps",
  "hired_at",
  "guarantee_days",
  "guarantee_expires_at",
  "status",
  "activated_at",
  "completed_at",
  "failed_at",
  "failure_reason",
  "splits_locked_at",
  "refund_amount",
  "refund_decided_at",
  "created_at",
  "updated_at",
] as const;
export const PLACEMENT_INVOICE_COLUMNS = [
  "id",
  "placement_id",
  "currency",
  "amount_due",
  "status",
  "paid_at",
  "collectible_at",
  "voided_at",
  "created_at",
  "updated_at",
] as const;
export const PAYOUT_AUDIT_LOG_COLUMNS = [
  "id",
  "entity_type",
  "entity_id",
  "placement_id",
  "payout_id",
  "recruiter_id",
  "operation",
  "action",
  "changed_by",
  "changed_by_role",
  "reason",
  "created_at",
  "entity_seq",
] as const;

/** `"a,b,c"` for `["a", "b", "c"]`, as a literal type (so supabase-js types the selected row). */
export type JoinColumns<T extends readonly string[]> = T extends readonly [infer H extends string] ? H
  : T extends readonly [infer H extends string, ...infer R extends readonly string[]] ? `${H},${JoinColumns<R>}`
  : string;
export function selectColumns<const T extends readonly string[]>(columns: T): JoinColumns<T> {
  return columns.join(",") as JoinColumns<T>;
}
function mask<const T extends readonly string[]>(columns: T): { [K in T[number]]: true } {
  return Object.fromEntries(columns.map((c) => [c, true])) as { [K in T[number]]: true };
}

export const COMPANY_SELECT = selectColumns(COMPANY_COLUMNS);
export const COMPANY_INVOICE_SELECT = selectColumns(COMPANY_INVOICE_COLUMNS);
export const PLACEMENT_SELECT = selectColumns(PLACEMENT_COLUMNS);
export const PLACEMENT_INVOICE_SELECT = selectColumns(PLACEMENT_INVOICE_COLUMNS);
export const PAYOUT_AUDIT_LOG_SELECT = selectColumns(PAYOUT_AUDIT_LOG_COLUMNS);

/** Rows as a party reads them (the granted columns). */
export const CompanySchema = CompanyAdminSchema.pick(mask(COMPANY_COLUMNS));
export const CompanyInvoiceSchema = CompanyInvoiceAdminSchema.pick(mask(COMPANY_INVOICE_COLUMNS));
export const PlacementSchema = PlacementAdminSchema.pick(mask(PLACEMENT_COLUMNS));
export const PlacementInvoiceSchema = PlacementInvoiceAdminSchema.pick(mask(PLACEMENT_INVOICE_COLUMNS));
export const PayoutAuditLogSchema = PayoutAuditLogAdminSchema.pick(mask(PAYOUT_AUDIT_LOG_COLUMNS));
/** The view payout_audit_trail: the granted columns of payout_audit_log, except recruiter_id (the
 * view was created before that column and selects its columns by name). */
export const PayoutAuditTrailSchema = PayoutAuditLogSchema.omit({ recruiter_id: true });

/** The view placement_escrow_holds: holds without amounts, payout ids, actors or free-text reasons. */
export const PlacementEscrowHoldSchema = EscrowHoldSchema.pick({
  id: true,
  placement_id: true,
  currency: true,
  hold_reason: true,
  status: true,
  held_at: true,
  release_scheduled_date: true,
  released_at: true,
  cancelled_at: true,
});

// ---------------------------------------------------------------------------------------------
// Event payloads (payout_events.payload), per event type, from the private.emit_event calls
// ---------------------------------------------------------------------------------------------
const reason = z.string().nullable();
const payoutStatusChange = z.object({
  from_status: PayoutStatusSchema,
  to_status: PayoutStatusSchema,
  amount: MoneySchema,
  currency: CurrencySchema,
  paid_amount: MoneySchema,
  forfeited_amount: MoneySchema,
  reversed_amount: MoneySchema,
  reason,
});
const holdReleased = z.object({
  from_status: z.literal("active"),
  to_status: z.literal("released"),
  hold_amount: MoneySchema,
  currency: CurrencySchema,
  hold_reason: EscrowHoldReasonSchema,
  reason,
});
const companyInvoiceStatusChange = z.object({
  from_status: CompanyInvoiceStatusSchema,
  to_status: CompanyInvoiceStatusSchema,
  issue: z.number().int().positive(),
  stripe_invoice_id: z.string().nullable(),
  amount_due: MoneySchema,
  currency: CurrencySchema,
  superseded: z.boolean(),
  stripe_event_id: z.string().nullable(),
});
const invoiceStatusChange = z.object({
  from_status: PlacementInvoiceStatusSchema,
  to_status: PlacementInvoiceStatusSchema,
  amount_due: MoneySchema,
  currency: CurrencySchema,
  paid_at: nullableTs,
  collectible_at: nullableTs,
  reason,
});
const placementStatusChange = z.object({
  from_status: PlacementStatusSchema,
  to_status: PlacementStatusSchema,
  reason,
});
const reasonOnly = z.object({ reason });
const disputeFlag = z.object({
  paid_amount: MoneySchema,
  reversed_amount: MoneySchema,
  to_reverse: MoneySchema,
  currency: CurrencySchema,
  reason,
});
const clawbackOffset = z.object({
  recruiter_id: UuidSchema,
  offset: MoneySchema,
  offset_amount: MoneySchema,
  outstanding_amount: MoneySchema,
  currency: CurrencySchema,
  payout_ids: z.array(UuidSchema),
});
const adminActionDecided = z.object({
  action: z.enum(ADMIN_ACTIONS),
  requested_by: UuidSchema,
  decided_by: UuidSchema.nullable(), // null: break glass (postgres)
  break_glass: z.boolean(),
  amount: MoneySchema.nullable(),
  currency: CurrencySchema.nullable(),
});
const reversalCompleted = z.object({
  amount: MoneySchema,
  reversed_amount: MoneySchema,
  shortfall_amount: MoneySchema,
  currency: CurrencySchema,
  stripe_reversal_ids: z.array(z.string()),
});

/** Payload schema per event type. The keys of this record are the event types. */
export const PAYOUT_EVENT_PAYLOADS = {
  "placement.created": z.object({
    to_status: z.literal("hired"),
    fee_amount: MoneySchema,
    currency: CurrencySchema,
    holdback_bps: BpsSchema,
    guarantee_expires_at: TimestamptzSchema,
  }),
  "placement.activated": placementStatusChange,
  "placement.completed": placementStatusChange,
  "placement.failed": placementStatusChange.extend({
    forfeited_amount: MoneySchema,
    amount_to_reverse: MoneySchema,
    currency: CurrencySchema,
  }),
  "platform.refund_decision": z.object({
    refund_amount: MoneySchema,
    currency: CurrencySchema,
    paid_invoice_amount: MoneySchema.nullable(),
    reason,
  }),
  "placement_invoice.recorded": z.object({
    to_status: PlacementInvoiceStatusSchema,
    amount_due: MoneySchema,
    currency: CurrencySchema,
    stripe_invoice_id: z.string().nullable(),
  }),
  "placement_invoice.open": invoiceStatusChange,
  "placement_invoice.paid": invoiceStatusChange,
  "placement_invoice.void": invoiceStatusChange,
  "placement_invoice.uncollectible": invoiceStatusChange,
  "placement.repriced": z.object({
    from_fee_amount: MoneySchema,
    to_fee_amount: MoneySchema,
    currency: CurrencySchema,
    reason,
  }),
  "payout.repriced": z.object({
    amount: MoneySchema,
    held_amount: MoneySchema,
    currency: CurrencySchema,
    reason,
  }),
  "company_invoice.requested": z.object({
    to_status: z.literal("pending"),
    issue: z.number().int().positive(),
    amount_due: MoneySchema,
    currency: CurrencySchema,
    company_id: UuidSchema,
    idempotency_key: z.string(),
    reason,
  }),
  "company_invoice.draft": companyInvoiceStatusChange,
  "company_invoice.open": companyInvoiceStatusChange,
  "company_invoice.paid": companyInvoiceStatusChange,
  "company_invoice.void": companyInvoiceStatusChange,
  "company_invoice.uncollectible": companyInvoiceStatusChange,
  "company_invoice.sent": z.object({
    stripe_invoice_id: z.string().nullable(),
    hosted_invoice_url: z.string().nullable(),
    due_at: nullableTs,
  }),
  "company_invoice.failed": z.object({
    status: CompanyInvoiceStatusSchema,
    code: z.string(),
    reason,
    superseded: z.boolean(),
  }),
  "company_invoice.void_requested": z.object({
    status: CompanyInvoiceStatusSchema,
    issue: z.number().int().positive(),
    reason,
  }),
  "payout.created": z.object({
    to_status: PayoutStatusSchema,
    amount: MoneySchema,
    currency: CurrencySchema,
    recruiter_id: UuidSchema,
    split_id: UuidSchema,
  }),
  "payout.partially_paid": payoutStatusChange,
  "payout.paid": payoutStatusChange,
  "payout.forfeited": payoutStatusChange,
  "payout.flagged_for_reversal": payoutStatusChange,
  "payout.reversed": payoutStatusChange,
  "payout.failed": z.object({
    transfer_id: UuidSchema,
    amount: MoneySchema,
    currency: CurrencySchema,
    retry_count: z.number().int().nullable(),
    exhausted: z.boolean(),
    next_attempt_at: nullableTs,
    reason,
  }),
  "payout.connect_required": z.object({
    recruiter_id: UuidSchema,
    reason: z.string().nullable(),
    payable_amount: MoneySchema,
    currency: CurrencySchema,
    // set when the payout run learns it from Stripe (20261129090200)
    stripe_code: z.string().nullable().optional(),
    destination_account_id: z.string().nullable().optional(),
    transfer_id: UuidSchema.optional(),
  }),
  "escrow_hold.created": z.object({
    to_status: z.literal("active"),
    hold_amount: MoneySchema,
    currency: CurrencySchema,
    hold_reason: EscrowHoldReasonSchema,
    release_scheduled_date: DateSchema.nullable(),
  }),
  "escrow_hold.released": holdReleased,
  "escrow_hold.auto_released": holdReleased,
  "escrow_hold.cancelled": z.object({
    from_status: z.literal("active"),
    to_status: z.literal("cancelled"),
    forfeited_amount: MoneySchema,
    currency: CurrencySchema,
    hold_reason: EscrowHoldReasonSchema,
    reason,
  }),
  "payout_schedule.created": z.object({
    to_status: z.literal("pending"),
    trigger_event: PayoutScheduleTriggerEventSchema,
    scheduled_date: DateSchema,
    next_attempt_at: nullableTs,
  }),
  "payout_schedule.processing": z.object({
    to_status: z.literal("processing"),
    claimed_by_run: UuidSchema,
    lease_expires_at: TimestamptzSchema,
    attempt_number: z.number().int().positive(),
  }),
  "payout_schedule.processed": z.object({
    from_status: z.literal("processing"),
    to_status: z.literal("processed"),
    transfer_id: UuidSchema,
    amount: MoneySchema,
  }),
  "payout_schedule.failed": z.object({
    from_status: z.literal("processing"),
    to_status: z.literal("failed"),
    retry_count: z.number().int().nonnegative(),
    max_attempts: z.number().int().nonnegative(),
    next_attempt_at: nullableTs,
    exhausted: z.boolean(),
    reason,
  }),
  "payout_schedule.cancelled": z.object({
    // absent when the claim or a placement failure cancels a schedule
    from_status: PayoutScheduleStatusSchema.optional(),
    to_status: z.literal("cancelled"),
    reason,
  }),
  "payout_schedule.triggered": z.object({
    from_status: PayoutScheduleStatusSchema,
    to_status: PayoutScheduleStatusSchema,
    retry_count: z.number().int().nonnegative(),
    max_attempts: z.number().int().nonnegative(),
    next_attempt_at: nullableTs,
    reason,
  }),
  "payout_schedule.rescheduled": z.object({
    status: PayoutScheduleStatusSchema,
    from_next_attempt_at: nullableTs,
    next_attempt_at: nullableTs,
    scheduled_date: DateSchema,
    reason,
  }),
  "payout_schedule.reclaimed": z.object({
    claimed_by_run: UuidSchema.nullable(),
    lease_expires_at: nullableTs,
    // set by the payout run's reconciliation (20261129090200)
    purpose: z.string().optional(),
    status: PayoutScheduleStatusSchema.optional(),
    transfer_id: UuidSchema.optional(),
    transfer_status: PayoutTransferStatusSchema.optional(),
  }),
  "payout_transfer.created": z.object({
    to_status: z.literal("pending"),
    amount: MoneySchema,
    currency: CurrencySchema,
    destination_account_id: z.string(),
    idempotency_key: z.string(),
    attempt_number: z.number().int().positive(),
    schedule_id: UuidSchema,
  }),
  "payout_transfer.succeeded": z.object({
    from_status: PayoutTransferStatusSchema,
    to_status: z.literal("succeeded"),
    amount: MoneySchema,
    currency: CurrencySchema,
    stripe_transfer_id: z.string(),
    destination_account_id: z.string(),
  }),
  "payout_transfer.failed": z.object({
    from_status: PayoutTransferStatusSchema,
    to_status: z.literal("failed"),
    amount: MoneySchema,
    currency: CurrencySchema,
    reason,
  }),
  "payout_transfer.unknown": z.object({
    from_status: z.literal("pending"),
    to_status: z.literal("unknown"),
    amount: MoneySchema,
    currency: CurrencySchema,
    idempotency_key: z.string(),
    reason,
  }),
  "recruiter.connect_account_updated": z.object({
    stripe_connect_account_id: z.string().nullable(),
    previous_account_id: z.string().nullable(),
    transfers_capability: StripeTransfersCapabilitySchema.nullable(),
    can_receive_transfers: z.boolean(),
  }),
  "recruiter.connect_account_requested": z.object({
    connect_account_id: UuidSchema,
    country: z.string(),
    replacing: z.string().nullable(),
    reason: z.string().nullable(),
  }),
  "recruiter.connect_account_linked": z.object({
    connect_account_id: UuidSchema,
    stripe_account_id: z.string(),
    replaced_account_id: z.string().nullable(),
    reason: z.string().nullable(),
  }),
  "recruiter.paused": reasonOnly,
  "recruiter.resumed": reasonOnly,
  "platform.payouts_paused": reasonOnly,
  "platform.payouts_resumed": reasonOnly,
  "platform.settings_updated": z.object({
    settlement_buffer: IntervalSchema,
    payout_due_time: TimeSchema,
    escrow_release_time: TimeSchema,
    max_failed_attempts: z.number().int().positive(),
    retry_base_delay: IntervalSchema,
    retry_max_delay: IntervalSchema,
    claim_lease: IntervalSchema,
    invoice_days_until_due: z.number().int().nonnegative(),
    money_record_retention_years: z.number().int().positive(),
    reason,
  }),
  // Stripe sync (20261130...)
  "placement_invoice.payment_recorded": z.object({
    stripe_invoice_id: z.string().nullable(),
    stripe_payment_intent_id: z.string().nullable(),
    stripe_charge_id: z.string().nullable(),
    amount_paid: MoneySchema,
    currency: CurrencySchema,
    paid_at: nullableTs,
    stripe_event_id: z.string().nullable(),
  }),
  "recruiter.bank_payout_failed": z.object({
    stripe_account_id: z.string(),
    stripe_payout_id: z.string(),
    amount: MoneySchema.nullable(),
    currency: z.string().nullable(),
    failure_code: z.string().nullable(),
    failure_message: z.string().nullable(),
  }),
  "payout_transfer.reversed": z.object({
    stripe_transfer_id: z.string(),
    stripe_reversal_ids: z.array(z.string()),
    amount: MoneySchema,
    reversed_amount: MoneySchema,
    transfer_amount: MoneySchema,
    currency: CurrencySchema,
  }),
  "payout.dispute_flagged": disputeFlag,
  "payout.reversal_flagged": disputeFlag,
  "payout.dispute_forfeited": z.object({ forfeited_amount: MoneySchema, currency: CurrencySchema, reason }),
  "payout.dispute_flag_cleared": z.object({ reason, stripe_dispute_id: z.string().nullable() }),
  "placement.payment_disputed": z.object({
    kind: z.enum(["dispute", "refund"]),
    payment_dispute_id: UuidSchema,
    stripe_object_id: z.string(),
    stripe_charge_id: z.string().nullable(),
    amount: MoneySchema,
    currency: CurrencySchema,
    reason,
    held_amount: MoneySchema,
    flagged_payout_ids: z.array(UuidSchema),
    stripe_event_id: z.string().nullable(),
  }),
  "placement.payment_dispute_closed": z.object({
    payment_dispute_id: UuidSchema,
    stripe_dispute_id: z.string(),
    outcome: z.enum(["won", "lost"]),
    stripe_status: z.string().nullable(),
    released_amount: MoneySchema,
    cancelled_hold_amount: MoneySchema,
    forfeited_amount: MoneySchema,
    still_open: z.boolean(),
    stripe_event_id: z.string().nullable(),
  }),
  "payout.clawback_offset": z.object({
    amount: MoneySchema,
    currency: CurrencySchema,
    clawback_ids: z.array(UuidSchema),
    payable_amount: MoneySchema,
    forfeited_amount: MoneySchema,
    reason: z.literal("clawback_offset"),
  }),
  "recruiter_clawback.created": z.object({
    recruiter_id: UuidSchema,
    amount: MoneySchema,
    currency: CurrencySchema,
    payout_reversal_id: UuidSchema,
  }),
  "recruiter_clawback.offset": clawbackOffset,
  "recruiter_clawback.settled": clawbackOffset,
  "payout_reversal.requested": z.object({
    to_status: z.literal("pending"),
    transfer_id: UuidSchema,
    stripe_transfer_id: z.string(),
    amount: MoneySchema,
    currency: CurrencySchema,
    idempotency_key: z.string(),
    reason,
    flagged: z.boolean(),
  }),
  "payout_reversal.processing": z.object({
    claimed_by: UuidSchema.nullable(),
    attempt: z.number().int().nonnegative(),
    lease_expires_at: nullableTs,
    partial_amount: MoneySchema.nullable(),
  }),
  "payout_reversal.partial_planned": z.object({
    amount: MoneySchema,
    available: MoneySchema,
    partial_amount: MoneySchema.nullable(),
    currency: CurrencySchema,
    idempotency_key: z.string().nullable(),
  }),
  "payout_reversal.succeeded": reversalCompleted,
  "payout_reversal.partial": reversalCompleted,
  "payout_reversal.failed": z.object({
    amount: MoneySchema,
    currency: CurrencySchema,
    code: z.string().nullable(),
    reason,
  }),
  "payout_run.requested": z.object({
    kind: z.literal("payout_schedules"),
    requested_at: TimestamptzSchema,
    due_schedule_ids: z.array(UuidSchema),
    due_count: z.number().int().nonnegative(),
  }),
  // four-eyes approval (20261202120000_admin_approvals)
  "admin_action.requested": z.object({
    action: z.enum(ADMIN_ACTIONS),
    requested_by: UuidSchema,
    amount: MoneySchema.nullable(),
    currency: CurrencySchema.nullable(),
    expires_at: TimestamptzSchema,
  }),
  "admin_action.executed": adminActionDecided,
  "admin_action.rejected": adminActionDecided,
  // velocity caps (20261202140000_velocity_caps)
  "payout_cap.lifted": z.object({
    currency: CurrencySchema,
    recruiter_id: UuidSchema.nullable(), // null: the platform cap
    day: DateSchema,
    rescheduled: z.number().int().nonnegative(),
    reason,
  }),
  // erasure (20261202150000_personal_data_erasure, docs/personal-data.md): ids only
  "personal_data.erased": z.object({
    subject_type: z.enum(["recruiter", "company", "user"]),
    subject_id: UuidSchema,
    user_id: UuidSchema.nullable(),
    retain_money_records_until: DateSchema,
  }),
} as const;

export type PayoutEventTypeName = keyof typeof PAYOUT_EVENT_PAYLOADS;
export const PAYOUT_EVENT_TYPES = Object.keys(PAYOUT_EVENT_PAYLOADS) as [
  PayoutEventTypeName,
  ...PayoutEventTypeName[],
];
export const PayoutEventTypeSchema = z.enum(PAYOUT_EVENT_TYPES);

/** A payout_events row without its payload (the same for every event type). */
export const PayoutEventBaseSchema = z.object({
  id: z.number().int().positive(),
  event_type: PayoutEventTypeSchema,
  entity_type: z.string().regex(/^[a-z][a-z0-9_]*$/),
  entity_id: UuidSchema,
  placement_id: UuidSchema.nullable(),
  payout_id: UuidSchema.nullable(),
  recruiter_id: UuidSchema.nullable(),
  actor_id: UuidSchema.nullable(),
  actor_role: ActorRoleSchema,
  txid: TxidSchema,
  created_at: TimestamptzSchema,
});

type EventVariant<T extends PayoutEventTypeName> = z.ZodObject<
  Omit<typeof PayoutEventBaseSchema.shape, "event_type" | "payload"> & {
    event_type: z.ZodLiteral<T>;
    payload: (typeof PAYOUT_EVENT_PAYLOADS)[T];
  }
>;
function eventVariant<T extends PayoutEventTypeName>(type: T): EventVariant<T> {
  return PayoutEventBaseSchema.extend({
    event_type: z.literal(type),
    payload: PAYOUT_EVENT_PAYLOADS[type],
  }) as unknown as EventVariant<T>;
}
type EventVariants = { [T in PayoutEventTypeName]: EventVariant<T> }[PayoutEventTypeName];

/** A payout_events row with its payload, discriminated on event_type. */
export const PayoutEventSchema = z.discriminatedUnion(
  "event_type",
  PAYOUT_EVENT_TYPES.map(eventVariant) as unknown as [EventVariants, ...EventVariants[]],
);

// ---------------------------------------------------------------------------------------------
// RPC arguments and results (docs/access.md)
// ---------------------------------------------------------------------------------------------
const NoArgs = z.strictObject({});
const holdIdAndReason = z.strictObject({ p_hold_id: UuidSchema, p_reason: ReasonSchema });
const scheduleIdAndReason = z.strictObject({ p_schedule_id: UuidSchema, p_reason: ReasonSchema });

/** One entry of `p_splits` (create_placement, set_placement_splits). Unknown keys are PT400. */
export const PlacementSplitInputSchema = z.strictObject({
  recruiter_id: UuidSchema,
  role: PlacementSplitRoleSchema,
  share_bps: z.number().int().min(1).max(10000),
});
/** `p_splits`: each (recruiter, role) once, shares summing to at most 10000 bps. */
export const PlacementSplitsInputSchema = z
  .array(PlacementSplitInputSchema)
  .refine((s) => s.reduce((n, x) => n + x.share_bps, 0) <= 10000, {
    message: "shares sum to more than 10000 bps",
  })
  .refine((s) => new Set(s.map((x) => `${x.recruiter_id.toLowerCase()}/${x.role}`)).size === s.length, {
    message: "a (recruiter, role) pair appears twice",
  });

/** payout_controls(), pause_payouts(), resume_payouts(). */
export const PayoutControlsSchema = z.object({
  payouts_paused: z.boolean(),
  paused_at: nullableTs,
  paused_reason: z.string().nullable(),
  settlement_buffer: IntervalSchema,
  payout_due_time: TimeSchema,
  escrow_release_time: TimeSchema,
  max_failed_attempts: z.number().int().positive(),
  updated_at: TimestamptzSchema,
});

/** process_due_payout_schedules(). No schedule due: nothing_due true, request_id null, nothing recorded or rung. */
export const PayoutRunRequestSchema = z.object({
  request_id: UuidSchema.nullable(),
  kind: z.literal("payout_schedules"),
  requested_at: TimestamptzSchema,
  due_schedule_ids: z.array(UuidSchema),
  due_count: z.number().int().nonnegative(),
  nothing_due: z.boolean(),
  // the payout run's doorbell (20261129090300): the pg_net request id, null when not rung
  doorbell_request_id: z.number().int().nullable(),
  doorbell_error: z.string().optional(),
}).refine(
  (r) => (r.request_id === null) === r.nothing_due && r.nothing_due === (r.due_count === 0),
  "nothing_due exactly when no schedule is due, and then no request_id",
);

/** The four-eyes actions with exactly their RPC's named arguments (request_admin_action's p_action, p_args). */
export const AdminActionCallSchema = z.discriminatedUnion("p_action", [
  z.strictObject({ p_action: z.literal("reverse_payout"), p_args: z.strictObject({ p_payout_id: UuidSchema, p_reason: ReasonSchema }) }),
  z.strictObject({
    p_action: z.literal("trigger_payout_schedule"),
    p_args: z.strictObject({ p_schedule_id: UuidSchema, p_reason: ReasonSchema }),
  }),
  z.strictObject({ p_action: z.literal("release_escrow_hold"), p_args: z.strictObject({ p_hold_id: UuidSchema, p_reason: ReasonSchema }) }),
  z.strictObject({ p_action: z.literal("cancel_escrow_hold"), p_args: z.strictObject({ p_hold_id: UuidSchema, p_reason: ReasonSchema }) }),
  z.strictObject({
    p_action: z.literal("fail_placement"),
    p_args: z.strictObject({ p_placement_id: UuidSchema, p_reason: ReasonSchema }),
  }),
  z.strictObject({ p_action: z.literal("resume_payouts"), p_args: z.strictObject({ p_reason: z.string().optional() }) }),
  z.strictObject({ p_action: z.literal("grant_platform_admin"), p_args: z.strictObject({ p_user_id: UuidSchema }) }),
  z.strictObject({
    p_action: z.literal("lift_payout_cap"),
    p_args: z.strictObject({
      p_currency: CurrencySchema,
      p_recruiter_id: UuidSchema.nullable().optional(), // absent or null: the platform cap
      p_day: DateSchema, // a UTC day, today up to 30 days ahead
      p_reason: ReasonSchema,
    }),
  }),
]);

/** lift_payout_cap's result (as the executed request's result): the lift of one cap for one UTC day. */
export const PayoutCapLiftSchema = z.object({
  id: UuidSchema,
  currency: CurrencySchema,
  recruiter_id: UuidSchema.nullable(), // null: the platform cap
  day: DateSchema,
  reason: z.string(),
  lifted_by: UuidSchema.nullable(), // null: break glass (postgres)
  lifted_at: TimestamptzSchema,
  rescheduled: z.number().int().nonnegative(), // deferred (cap_reached) schedules made due now
});

/** payout_caps(p_day): a capped currency's platform scope (recruiter_id null) or a recruiter counted that day. */
export const PayoutCapRowSchema = z.object({
  currency: CurrencySchema,
  recruiter_id: UuidSchema.nullable(),
  day: DateSchema,
  cap: MoneySchema.nullable(), // null: unlimited
  used_amount: MoneySchema,
  remaining: MoneySchema.nullable(), // null: unlimited or lifted
  reached_at: nullableTs,
  deferred_count: z.number().int().nonnegative(),
  deferred_amount: MoneySchema,
  lifted: z.boolean(),
}).refine((r) => r.remaining === null || r.cap !== null, "a remaining amount only under a cap");

/** A four-eyes request (request_admin_action, approve_admin_action, reject_admin_action, admin_action_requests).
 * status pending: waiting for a second platform admin until expires_at; executed: result is what the
 * action's RPC returns (JSON); rejected; expired. decided_by null with break_glass: executed by postgres. */
export const AdminActionRequestSchema = z.object({
  id: UuidSchema,
  action: z.enum(ADMIN_ACTIONS),
  args: z.record(z.string(), z.string().nullable()),
  amount: MoneySchema.nullable(),
  currency: CurrencySchema.nullable(),
  status: z.enum(ADMIN_ACTION_REQUEST_STATUSES),
  requested_by: UuidSchema,
  requested_at: TimestamptzSchema,
  expires_at: TimestamptzSchema,
  decided_by: UuidSchema.nullable(),
  decided_at: nullableTs,
  decision_reason: z.string().nullable(),
  break_glass: z.boolean(),
  result: z.json().nullable(),
}).refine((r) => r.result === null || r.status === "executed", "only an executed request has a result");

/** Who erase_personal_data forgets: a recruiter (recruiters.id), a company (companies.id), or a
 * user who is neither, e.g. a company contact (auth.users.id). */
export const ERASURE_SUBJECT_TYPES = ["recruiter", "company", "user"] as const;

/** erase_personal_data(): what was overwritten (table.column), how many Stripe inbox events lost
 * their personal fields, and until when the pseudonymised money records are kept. */
export const PersonalDataErasureSchema = z.object({
  erasure_id: UuidSchema,
  subject_type: z.enum(ERASURE_SUBJECT_TYPES),
  subject_id: UuidSchema,
  user_id: UuidSchema.nullable(),
  erased_at: TimestamptzSchema,
  fields: z.array(z.string().regex(/^[a-z_]+\.[a-z_]+(\.[a-z_]+)?$/)),
  stripe_events_redacted: z.number().int().nonnegative(),
  memberships_removed: z.number().int().nonnegative(),
  retain_money_records_until: DateSchema,
});

/** process_due_escrow_releases(). */
export const EscrowReleaseRequestSchema = z.object({
  request_id: UuidSchema,
  kind: z.literal("escrow_releases"),
  requested_at: TimestamptzSchema,
  released_hold_ids: z.array(UuidSchema),
  released_count: z.number().int().nonnegative(),
});

/** placement_escrow_total(): one row. Company members (scope company) get counts and dates, no amounts (null). */
export const PlacementEscrowTotalSchema = z.object({
  placement_id: UuidSchema,
  currency: CurrencySchema,
  scope: EscrowTotalScopeSchema,
  held_amount: MoneySchema.nullable(),
  released_amount: MoneySchema.nullable(),
  cancelled_amount: MoneySchema.nullable(),
  active_hold_count: z.number().int().nonnegative(),
  next_release_date: DateSchema.nullable(),
}).refine(
  (t) =>
    (t.scope === "company") === (t.held_amount === null && t.released_amount === null && t.cancelled_amount === null),
  "amounts are null exactly for scope company",
);

/** admin_payout_runs(): one payout run (private.payout_runs), newest first; its tranches are the
 * payout_transfers with claimed_by_run = id. Counts are per run, over its invocations. */
export const PayoutRunSchema = z.object({
  id: UuidSchema,
  kind: z.enum(["payout_schedules", "escrow_releases"]),
  status: z.enum(["running", "finished"]),
  trigger: z.enum(["doorbell", "admin", "manual"]),
  started_at: TimestamptzSchema,
  finished_at: nullableTs,
  finish_reason: z.enum(["done", "paused"]).nullable(),
  invocations: z.number().int().nonnegative(),
  claimed: z.number().int().nonnegative(),
  reclaimed: z.number().int().nonnegative(),
  reconciled: z.number().int().nonnegative(),
  paid: z.number().int().nonnegative(),
  adopted: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  unknown: z.number().int().nonnegative(),
  deferred: z.number().int().nonnegative(),
  skipped: z.number().int().nonnegative(),
  cancelled: z.number().int().nonnegative(),
  released: z.number().int().nonnegative(),
  error_count: z.number().int().nonnegative(),
  skip_reasons: z.record(z.string(), z.number().int().nonnegative()),
  errors: z.array(z.json()),
}).refine((r) => (r.status === "finished") === (r.finished_at !== null && r.finish_reason !== null), "finished iff a finish time and reason");

/** payout_run_preview(): one row per payout with money outstanding. */
export const PayoutRunPreviewRowSchema = z.object({
  payout_id: UuidSchema,
  placement_id: UuidSchema,
  recruiter_id: UuidSchema,
  currency: CurrencySchema,
  payout_status: PayoutStatusSchema,
  payable_amount: MoneySchema,
  held_amount: MoneySchema,
  in_flight_amount: MoneySchema,
  schedule_id: UuidSchema.nullable(),
  schedule_status: PayoutScheduleStatusSchema.nullable(),
  next_attempt_at: nullableTs,
  would_pay: z.boolean(),
  amount: MoneySchema,
  reason: PayoutRunPreviewReasonSchema.nullable(),
});

/** payout_run_totals(): per currency, what the run would pay (the preview's would_pay rows, summed). */
export const PayoutRunTotalSchema = z.object({
  currency: CurrencySchema,
  payouts: z.number().int().positive(),
  amount: MoneySchema,
});

/** my_connect_status() / admin_connect_status(): a recruiter's Connect onboarding status. */
export const ConnectStatusSchema = z.object({
  recruiter_id: UuidSchema,
  display_name: z.string(),
  state: ConnectOnboardingStateSchema,
  stripe_account_id: z.string().nullable(),
  transfers_capability: StripeTransfersCapabilitySchema.nullable(),
  can_receive_transfers: z.boolean(),
  details_submitted: z.boolean().nullable(),
  requirements_currently_due: z.array(z.string()),
  requirements_past_due: z.array(z.string()),
  requirements_eventually_due: z.array(z.string()),
  disabled_reason: z.string().nullable(),
  requirements_observed_at: nullableTs,
  /** The payouts that only wait on onboarding (eligibility reason recruiter_cannot_receive_transfers). */
  waiting_payouts: z.array(z.object({
    payout_id: UuidSchema,
    placement_id: UuidSchema,
    currency: CurrencySchema,
    amount: MoneySchema,
  })),
  /** Their total per currency. */
  waiting_amounts: z.record(CurrencySchema, MoneySchema),
});

/** begin_connect_onboarding(): the account to create (key stored) or the linked one. */
export const ConnectOnboardingStartSchema = z.object({
  connect_account_id: UuidSchema.nullable(),
  recruiter_id: UuidSchema,
  status: ConnectAccountStatusSchema,
  stripe_account_id: z.string().nullable(),
  idempotency_key: z.string().nullable(),
  country: z.string().regex(/^[A-Z]{2}$/),
  fresh: z.boolean(),
  replacing: z.string().nullable(),
  created_at: nullableTs,
});

/** Kinds of statement lines (docs/statements.md): the two balance lines and the movements. */
export const STATEMENT_LINE_KINDS = [
  "opening_balance",
  "earned",
  "hold_placed",
  "hold_released",
  "hold_cancelled",
  "transfer_paid",
  "forfeited",
  "clawback_offset",
  "reversed",
  "clawback_created",
  "closing_balance",
] as const;
export const StatementLineKindSchema = z.enum(STATEMENT_LINE_KINDS);
/** A signed change of a balance (minor units). */
const SignedMoneySchema = z.number().int();
const isBalanceLine = (k: string) => k === "opening_balance" || k === "closing_balance";

/** my_statement() / admin_recruiter_statement(): one line; the balance lines carry no movement. */
export const StatementLineSchema = z.object({
  line_key: z.string().regex(/^[0-9a-f]{54}$/),
  occurred_at: TimestamptzSchema,
  kind: StatementLineKindSchema,
  recruiter_id: UuidSchema,
  currency: CurrencySchema,
  placement_id: UuidSchema.nullable(),
  payout_id: UuidSchema.nullable(),
  source_id: UuidSchema.nullable(),
  stripe_id: z.string().nullable(),
  amount: MoneySchema.nullable(),
  owed_change: SignedMoneySchema.nullable(),
  held_change: SignedMoneySchema.nullable(),
  clawback_change: SignedMoneySchema.nullable(),
  owed_balance: SignedMoneySchema,
  held_balance: MoneySchema,
  clawback_balance: MoneySchema,
}).refine(
  (l) => isBalanceLine(l.kind) === (l.amount === null && l.owed_change === null && l.source_id === null),
  "balance lines carry no movement, movements carry their amount and source",
);

/** admin_statement_summary(): one row per currency; closing = opening + the movements. */
export const StatementSummaryRowSchema = z.object({
  currency: CurrencySchema,
  recruiter_count: z.number().int().nonnegative(),
  opening_owed: SignedMoneySchema,
  opening_held: MoneySchema,
  opening_clawback: MoneySchema,
  earned: MoneySchema,
  held_placed: MoneySchema,
  held_released: MoneySchema,
  held_cancelled: MoneySchema,
  paid: MoneySchema,
  forfeited: MoneySchema,
  clawback_created: MoneySchema,
  clawback_offset: MoneySchema,
  reversed: MoneySchema,
  closing_owed: SignedMoneySchema,
  closing_held: MoneySchema,
  closing_clawback: MoneySchema,
}).refine(
  (r) =>
    r.closing_held === r.opening_held + r.held_placed - r.held_released - r.held_cancelled &&
    r.closing_clawback === r.opening_clawback + r.clawback_created - r.clawback_offset &&
    r.closing_owed ===
      r.opening_owed + r.earned - r.held_placed + r.held_released - r.paid - r.forfeited - r.clawback_offset,
  "closing balances = opening balances + the period's movements",
);

/** my_yearly_totals() / admin_yearly_totals(): one row per recruiter and currency. */
export const YearlyTotalsRowSchema = z.object({
  recruiter_id: UuidSchema,
  currency: CurrencySchema,
  year: z.number().int(),
  earned: MoneySchema,
  paid: MoneySchema,
  reversed: MoneySchema,
  clawback_offset: MoneySchema,
  forfeited: MoneySchema,
  net_paid: SignedMoneySchema,
}).refine(
  (r) => r.net_paid === r.paid - r.reversed - r.clawback_offset,
  "net_paid = paid - reversed - clawback_offset",
);

const StatementPeriodArgs = {
  p_from: TimestamptzSchema,
  p_to: TimestamptzSchema,
  p_currency: CurrencySchema,
};

/**
 * verify_payout_audit_chain(): one row per problem. A partition_missing row names the partition in
 * entity_type and has no entity id or position.
 */
export const AuditChainProblemRowSchema = z.object({
  entity_type: z.string(),
  entity_id: UuidSchema.nullable(),
  entity_seq: z.number().int().nullable(),
  audit_id: z.number().int().nullable(),
  problem: AuditChainProblemSchema,
});

/** payout_audit_anchor(p_day): the day's anchor digest (sha256 hex) and what it commits to. */
export const PayoutAuditAnchorSchema = z.object({
  day: DateSchema,
  verification_id: z.number().int().positive(),
  through_txid: TxidSchema,
  through_id: z.number().int().nonnegative(),
  rows_total: z.number().int().nonnegative(),
  digest: z.string().regex(/^[0-9a-f]{64}$/),
  verified_at: TimestamptzSchema,
});

/**
 * Every public RPC: its argument schema (validate before calling) and its result schema (parse
 * what supabase-js returns as `data`). Functions returning a row return a JSON object; `setof` and
 * `returns table` functions return an array.
 */
export const RPC = {
  // money
  create_payout_schedule: {
    args: z.strictObject({
      p_payout_id: UuidSchema,
      p_due_at: TimestamptzSchema.optional(),
      p_reason: z.string().optional(),
    }),
    returns: PayoutScheduleSchema,
  },
  update_payout_schedule: {
    args: z.strictObject({ p_schedule_id: UuidSchema, p_due_at: TimestamptzSchema, p_reason: ReasonSchema }),
    returns: PayoutScheduleSchema,
  },
  cancel_payout_schedule: { args: scheduleIdAndReason, returns: PayoutScheduleSchema },
  trigger_payout_schedule: { args: scheduleIdAndReason, returns: PayoutScheduleSchema },
  process_due_payout_schedules: { args: NoArgs, returns: PayoutRunRequestSchema },
  create_escrow_hold: {
    args: z.strictObject({
      p_payout_id: UuidSchema,
      p_hold_amount: MoneySchema.positive(),
      p_hold_reason: EscrowHoldReasonSchema,
      p_release_scheduled_date: DateSchema.optional(),
      p_reason: z.string().optional(),
    }),
    returns: EscrowHoldSchema,
  },
  release_escrow_hold: { args: holdIdAndReason, returns: EscrowHoldSchema },
  cancel_escrow_hold: { args: holdIdAndReason, returns: EscrowHoldSchema },
  process_due_escrow_releases: { args: NoArgs, returns: EscrowReleaseRequestSchema },
  fail_placement: {
    args: z.strictObject({ p_placement_id: UuidSchema, p_reason: ReasonSchema }),
    returns: PlacementAdminSchema,
  },
  // intake
  create_company: {
    args: z.strictObject({
      p_name: z.string().trim().min(1).max(200),
      p_stripe_customer_id: z.string().regex(/^cus_[A-Za-z0-9]+$/).optional(),
    }),
    returns: CompanyAdminSchema,
  },
  create_recruiter: {
    args: z.strictObject({ p_user_id: UuidSchema, p_display_name: z.string().trim().min(1).max(200) }),
    returns: RecruiterSchema,
  },
  create_placement: {
    args: z.strictObject({
      p_company_id: UuidSchema,
      p_fee_amount: MoneySchema.max(MAX_FEE_AMOUNT),
      p_currency: CurrencySchema,
      p_hired_at: TimestamptzSchema,
      p_guarantee_days: z.number().int().min(0).max(3650),
      p_splits: PlacementSplitsInputSchema.optional(),
      p_holdback_bps: BpsSchema.optional(),
      p_title: z.string().optional(),
    }),
    returns: PlacementAdminSchema,
  },
  set_placement_splits: {
    args: z.strictObject({ p_placement_id: UuidSchema, p_splits: PlacementSplitsInputSchema }),
    returns: z.array(PlacementSplitSchema),
  },
  record_placement_invoice: {
    args: z.strictObject({
      p_placement_id: UuidSchema,
      p_stripe_invoice_id: z.string().regex(/^in_[A-Za-z0-9]+$/),
      p_amount_due: MoneySchema.optional(),
      p_status: z.enum(RECORDABLE_INVOICE_STATUSES).optional(),
    }),
    returns: PlacementInvoiceAdminSchema,
  },
  // controls and people
  payout_controls: { args: NoArgs, returns: PayoutControlsSchema },
  pause_payouts: { args: z.strictObject({ p_reason: ReasonSchema }), returns: PayoutControlsSchema },
  resume_payouts: { args: z.strictObject({ p_reason: z.string().optional() }), returns: PayoutControlsSchema },
  pause_recruiter_payouts: {
    args: z.strictObject({ p_recruiter_id: UuidSchema, p_reason: ReasonSchema }),
    returns: RecruiterSchema,
  },
  resume_recruiter_payouts: {
    args: z.strictObject({ p_recruiter_id: UuidSchema, p_reason: z.string().optional() }),
    returns: RecruiterSchema,
  },
  grant_platform_admin: { args: z.strictObject({ p_user_id: UuidSchema }), returns: PlatformAdminSchema },
  // four-eyes approval
  request_admin_action: { args: AdminActionCallSchema, returns: AdminActionRequestSchema },
  approve_admin_action: {
    args: z.strictObject({ p_request_id: UuidSchema, p_reason: z.string().optional() }),
    returns: AdminActionRequestSchema,
  },
  reject_admin_action: {
    args: z.strictObject({ p_request_id: UuidSchema, p_reason: ReasonSchema }),
    returns: AdminActionRequestSchema,
  },
  admin_action_requests: {
    args: z.strictObject({ p_status: z.enum([...ADMIN_ACTION_REQUEST_STATUSES, "all"]).optional() }),
    returns: z.array(AdminActionRequestSchema),
  },
  // velocity caps (20261202140000): lifting always answers PT428 (ask with request_admin_action)
  lift_payout_cap: {
    args: z.strictObject({
      p_currency: CurrencySchema,
      p_recruiter_id: UuidSchema.optional(),
      p_day: DateSchema,
      p_reason: ReasonSchema,
    }),
    returns: PayoutCapLiftSchema,
  },
  payout_caps: { args: z.strictObject({ p_day: DateSchema.optional() }), returns: z.array(PayoutCapRowSchema) },
  revoke_platform_admin: { args: z.strictObject({ p_user_id: UuidSchema }), returns: PlatformAdminSchema },
  add_company_member: {
    args: z.strictObject({ p_company_id: UuidSchema, p_user_id: UuidSchema, p_role: CompanyMemberRoleSchema }),
    returns: CompanyMemberSchema,
  },
  remove_company_member: {
    args: z.strictObject({ p_company_id: UuidSchema, p_user_id: UuidSchema }),
    returns: CompanyMemberSchema,
  },
  // reads
  placement_escrow_total: {
    args: z.strictObject({ p_placement_id: UuidSchema }),
    returns: z.array(PlacementEscrowTotalSchema).length(1),
  },
  payout_run_preview: {
    args: z.strictObject({ p_now: TimestamptzSchema.optional() }),
    returns: z.array(PayoutRunPreviewRowSchema),
  },
  payout_run_totals: {
    args: z.strictObject({ p_now: TimestamptzSchema.optional() }),
    returns: z.array(PayoutRunTotalSchema),
  },
  admin_payout_runs: { args: NoArgs, returns: z.array(PayoutRunSchema) },
  admin_companies: {
    args: z.strictObject({ p_company_ids: z.array(UuidSchema).optional() }),
    returns: z.array(CompanyAdminSchema),
  },
  admin_placements: {
    args: z.strictObject({ p_placement_ids: z.array(UuidSchema).optional() }),
    returns: z.array(PlacementAdminSchema),
  },
  admin_placement_invoices: {
    args: z.strictObject({ p_placement_ids: z.array(UuidSchema).optional() }),
    returns: z.array(PlacementInvoiceAdminSchema),
  },
  admin_payout_audit_log: {
    args: z.strictObject({
      p_entity_type: z.string().optional(),
      p_entity_id: UuidSchema.optional(),
      p_placement_id: UuidSchema.optional(),
      p_payout_id: UuidSchema.optional(),
      p_after_id: z.number().int().nonnegative().optional(),
      p_limit: z.number().int().min(1).max(1000).optional(),
    }),
    returns: z.array(PayoutAuditLogAdminSchema),
  },
  verify_audit_chain: {
    args: z.strictObject({ p_entity_type: z.string().min(1), p_entity_id: UuidSchema }),
    returns: z.array(AuditChainProblemRowSchema),
  },
  payout_audit_anchor: {
    args: z.strictObject({ p_day: DateSchema }),
    returns: z.array(PayoutAuditAnchorSchema),
  },
  reverse_payout: {
    args: z.strictObject({ p_payout_id: UuidSchema, p_reason: ReasonSchema }),
    returns: z.array(PayoutReversalSchema),
  },
  // Connect onboarding (20261202100000): the recruiter themself, or admins
  my_connect_status: {
    args: z.strictObject({}),
    returns: z.array(ConnectStatusSchema).length(1),
  },
  admin_connect_status: {
    args: z.strictObject({ p_recruiter_id: UuidSchema.optional() }),
    returns: z.array(ConnectStatusSchema),
  },
  begin_connect_onboarding: {
    args: z.strictObject({
      p_recruiter_id: UuidSchema.optional(),
      p_country: z.string().regex(/^[A-Za-z]{2}$/).optional(),
      p_replace_reason: ReasonSchema.optional(),
    }),
    returns: z.array(ConnectOnboardingStartSchema).length(1),
  },
  reissue_placement_invoice: {
    args: z.strictObject({
      p_placement_id: UuidSchema,
      p_fee_amount: MoneySchema.positive().optional(),
      p_reason: ReasonSchema,
    }),
    returns: CompanyInvoiceAdminSchema,
  },
  set_company_billing_email: {
    args: z.strictObject({ p_company_id: UuidSchema, p_billing_email: z.email().max(254).optional() }),
    returns: CompanyAdminSchema,
  },
  // statements (docs/statements.md)
  my_statement: { args: z.strictObject(StatementPeriodArgs), returns: z.array(StatementLineSchema) },
  admin_recruiter_statement: {
    args: z.strictObject({ p_recruiter_id: UuidSchema, ...StatementPeriodArgs }),
    returns: z.array(StatementLineSchema),
  },
  admin_statement_summary: {
    args: z.strictObject({ p_from: TimestamptzSchema, p_to: TimestamptzSchema }),
    returns: z.array(StatementSummaryRowSchema),
  },
  my_yearly_totals: {
    args: z.strictObject({ p_year: z.number().int().min(1970).max(9998) }),
    returns: z.array(YearlyTotalsRowSchema),
  },
  admin_yearly_totals: {
    args: z.strictObject({ p_year: z.number().int().min(1970).max(9998), p_recruiter_id: UuidSchema.optional() }),
    returns: z.array(YearlyTotalsRowSchema),
  },
  // erasure (docs/personal-data.md)
  erase_personal_data: {
    args: z.strictObject({ p_subject_type: z.enum(ERASURE_SUBJECT_TYPES), p_subject_id: UuidSchema }),
    returns: PersonalDataErasureSchema,
  },
  // plumbing: public, but no API role may execute them (42501 for everyone, admins included)
  read_payout_events: {
    args: z.strictObject({
      p_after_txid: TxidSchema.optional(),
      p_after_id: z.number().int().nonnegative().optional(),
      p_limit: z.number().int().min(1).max(1000).optional(),
    }),
    returns: z.array(PayoutEventSchema),
  },
  verify_payout_audit_chain: {
    args: z.strictObject({ p_entity_type: z.string().optional(), p_entity_id: UuidSchema.optional() }),
    returns: z.array(AuditChainProblemRowSchema),
  },
} as const;

type Functions = Database["public"]["Functions"];
export type RpcName = keyof Functions;
/** What to pass to `supabase.rpc(name, args)` (before validation). */
export type RpcArgsInput<N extends RpcName> = z.input<(typeof RPC)[N]["args"]>;
/** Validated arguments. */
export type RpcArgs<N extends RpcName> = z.output<(typeof RPC)[N]["args"]>;
/** The parsed result. */
export type RpcResult<N extends RpcName> = z.output<(typeof RPC)[N]["returns"]>;

// ---------------------------------------------------------------------------------------------
// Type-level checks against the generated types: `deno check` fails on drift
// ---------------------------------------------------------------------------------------------
/** Compiles only when T is `true`. */
export type Assert<T extends true> = T;
/** A is assignable to B. */
export type Extends<A, B> = [A] extends [B] ? true : false;
/** A and B have exactly the same keys. */
export type SameKeys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never] ? true
  : false;
/** Same keys, and each key's non-null types overlap (one is assignable to the other): narrowing
 * a string to an enum or fixing a nullability the generator cannot know is fine (zod checks it
 * at run time), a number that became a string is not. */
export type Compatible<A, B> = SameKeys<A, B> extends true ? false extends {
    [K in keyof A & keyof B]: Overlap<NonNullable<A[K]>, NonNullable<B[K]>>;
  }[keyof A & keyof B] ? false
  : true
  : false;
type Overlap<A, B> = Extends<A, B> extends true ? true : Extends<B, A>;
type Elem<T> = T extends readonly (infer E)[] ? E : T;

/** Every public function of the generated types has schemas here, and nothing else does. */
type _RpcCoverage = Assert<SameKeys<typeof RPC, Functions>>;

/** Validated args are accepted by supabase-js' `rpc(name, args)` (assignable to the generated
 * Args), name every generated argument (so a new or renamed argument fails), and are optional
 * only where the function has a default. Every RPC argument has a default in SQL (a parameter the
 * function needs defaults to null and is refused with PT400 naming it, instead of PostgREST's
 * PGRST202), so the schemas keep requiring what the function needs: a schema may require an
 * argument that has a default, never the other way round. */
type ArgsOk<N extends RpcName> = Functions[N]["Args"] extends Record<PropertyKey, never>
  ? Extends<RpcArgs<N>, Record<PropertyKey, never>>
  : Extends<RpcArgs<N>, Functions[N]["Args"]> extends true
    ? SameKeys<RpcArgs<N>, Functions[N]["Args"]> extends true
      ? [Exclude<OptionalKeys<RpcArgs<N>>, OptionalKeys<Functions[N]["Args"]>>] extends [never] ? true
      : false
    : false
  : false;
type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];
/** Lists the failing names in the compiler's message ("Type '"x"' does not satisfy 'true'"). */
export type NoneFailing<Failing> = [Failing] extends [never] ? true : Failing;
type _ArgsChecks = Assert<NoneFailing<{ [N in RpcName]: ArgsOk<N> extends true ? never : N }[RpcName]>>;

/** Row results have the generated columns with overlapping types; jsonb results parse to JSON. */
type ReturnsJson<N extends RpcName> = Json extends Functions[N]["Returns"] ? true : false;
type ResultOk<N extends RpcName> = ReturnsJson<N> extends true ? Extends<RpcResult<N>, Json>
  : Compatible<Elem<RpcResult<N>>, Elem<Functions[N]["Returns"]>>;
type JsonReturning = {
  [N in RpcName]: ReturnsJson<N> extends true ? N : never;
}[RpcName];
// The jsonb-returning functions are exactly these (a new one needs its own result schema).
type _JsonReturning = Assert<
  SameKeys<
    { [N in JsonReturning]: 1 },
    {
      payout_controls: 1;
      pause_payouts: 1;
      resume_payouts: 1;
      process_due_payout_schedules: 1;
      process_due_escrow_releases: 1;
      request_admin_action: 1;
      approve_admin_action: 1;
      reject_admin_action: 1;
      lift_payout_cap: 1;
      erase_personal_data: 1;
    }
  >
>;
type _ResultChecks = Assert<NoneFailing<{ [N in RpcName]: ResultOk<N> extends true ? never : N }[RpcName]>>;
// The result shapes of the jsonb RPCs are JSON values.
type _JsonResults = Assert<
  Extends<
    | z.output<typeof PayoutControlsSchema>
    | z.output<typeof PayoutRunRequestSchema>
    | z.output<typeof EscrowReleaseRequestSchema>
    | z.output<typeof AdminActionRequestSchema>
    | z.output<typeof PayoutCapLiftSchema>
    | z.output<typeof PersonalDataErasureSchema>,
    Json
  >
>;
