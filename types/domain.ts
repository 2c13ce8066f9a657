// Domain types for frontends, derived from the generated `Database` type (never written twice).
//
// `supabase gen types` knows the columns but not the value sets of CHECK constraints, so the
// status and role columns are narrowed here to the unions of `types/schemas.ts` (z.infer of the
// `as const` tuples). `Narrow` only accepts a narrowing whose type is assignable to the generated
// column, so a renamed column, a column that changed type, or a tuple value that is no longer a
// string fails `deno check`. The four tables with columns not granted to `authenticated`
// (companies, placements, placement_invoices, payout_audit_log) have two types: the row a party
// selects (granted columns) and the `...Admin` row the admin read RPCs return.
import type { z } from "zod";
import type { Database, Json } from "./database.ts";
import type * as S from "./schemas.ts";
import type { Assert, Compatible, Extends, NoneFailing, SameKeys } from "./schemas.ts";

type PublicSchema = Database["public"];
export type TableName = keyof PublicSchema["Tables"];
export type ViewName = keyof PublicSchema["Views"];
/** The generated row of a table or view. */
export type Row<T extends TableName | ViewName> = T extends TableName ? PublicSchema["Tables"][T]["Row"]
  : T extends ViewName ? PublicSchema["Views"][T]["Row"]
  : never;
type Functions = PublicSchema["Functions"];
type ReturnRow<N extends keyof Functions> = Functions[N]["Returns"] extends readonly (infer E)[] ? E
  : Functions[N]["Returns"];

/** Flattens an intersection for readable hovers. */
export type Simplify<T> = { [K in keyof T]: T[K] };
/** R with some columns narrowed; each narrowing must be assignable to the generated column. */
export type Narrow<R, O extends { [K in keyof O]: K extends keyof R ? R[K] : never }> = Simplify<
  Omit<R, keyof O> & O
>;
/** R with some columns widened (the generator types `returns table` columns as never null). */
export type Widen<R, O extends { [K in keyof O]: K extends keyof R ? unknown : never }> =
  & { [K in keyof O]: K extends keyof R ? (R[K] extends O[K] ? O[K] : never) : never }
  & Omit<R, keyof O>;

// ---------------------------------------------------------------------------------------------
// Value sets (z.infer of the tuples in schemas.ts)
// ---------------------------------------------------------------------------------------------
export type PlacementStatus = z.infer<typeof S.PlacementStatusSchema>;
export type PlacementInvoiceStatus = z.infer<typeof S.PlacementInvoiceStatusSchema>;
export type PlacementSplitRole = z.infer<typeof S.PlacementSplitRoleSchema>;
export type PayoutStatus = z.infer<typeof S.PayoutStatusSchema>;
export type EscrowHoldStatus = z.infer<typeof S.EscrowHoldStatusSchema>;
export type EscrowHoldReason = z.infer<typeof S.EscrowHoldReasonSchema>;
export type PayoutScheduleStatus = z.infer<typeof S.PayoutScheduleStatusSchema>;
export type PayoutScheduleTriggerEvent = z.infer<typeof S.PayoutScheduleTriggerEventSchema>;
export type PayoutTransferStatus = z.infer<typeof S.PayoutTransferStatusSchema>;
export type StripeTransfersCapability = z.infer<typeof S.StripeTransfersCapabilitySchema>;
export type ConnectOnboardingState = z.infer<typeof S.ConnectOnboardingStateSchema>;
export type CompanyMemberRole = z.infer<typeof S.CompanyMemberRoleSchema>;
export type ActorRole = z.infer<typeof S.ActorRoleSchema>;
export type AuditOperation = z.infer<typeof S.AuditOperationSchema>;
export type EscrowTotalScope = z.infer<typeof S.EscrowTotalScopeSchema>;
export type EligibilityReason = z.infer<typeof S.EligibilityReasonSchema>;
export type PayoutRunPreviewReason = z.infer<typeof S.PayoutRunPreviewReasonSchema>;
export type AuditChainProblem = z.infer<typeof S.AuditChainProblemSchema>;
export type PayoutEventType = z.infer<typeof S.PayoutEventTypeSchema>;
export type PayoutReversalStatus = z.infer<typeof S.PayoutReversalStatusSchema>;
export type RecruiterClawbackStatus = z.infer<typeof S.RecruiterClawbackStatusSchema>;
export type PayoutAlertKind = z.infer<typeof S.PayoutAlertKindSchema>;
export type CompanyInvoiceStatus = z.infer<typeof S.CompanyInvoiceStatusSchema>;
export type ApiErrorCode = z.infer<typeof S.ApiErrorCodeSchema>;
/** An error as supabase-js returns it (`error`). */
export type PostgrestErrorBody = z.infer<typeof S.PostgrestErrorSchema>;

/** Columns `authenticated` may select on the tables with hidden columns. */
export type CompanyColumn = (typeof S.COMPANY_COLUMNS)[number];
export type PlacementColumn = (typeof S.PLACEMENT_COLUMNS)[number];
export type PlacementInvoiceColumn = (typeof S.PLACEMENT_INVOICE_COLUMNS)[number];
export type PayoutAuditLogColumn = (typeof S.PAYOUT_AUDIT_LOG_COLUMNS)[number];
export type CompanyInvoiceColumn = (typeof S.COMPANY_INVOICE_COLUMNS)[number];

type JsonObject = { [key: string]: Json | undefined };

// ---------------------------------------------------------------------------------------------
// Rows
// ---------------------------------------------------------------------------------------------
/** Full company row (admin_companies, create_company). */
export type CompanyAdmin = Row<"companies">;
/** A company as its members read it (no Stripe customer id). */
export type Company = Pick<CompanyAdmin, CompanyColumn>;
export type CompanyMember = Narrow<Row<"company_members">, { role: CompanyMemberRole }>;
export type PlatformAdmin = Row<"platform_admins">;
export type Recruiter = Narrow<
  Row<"recruiters">,
  { stripe_transfers_capability: StripeTransfersCapability | null }
>;

/** Full placement row (admin_placements, create_placement, fail_placement). */
export type PlacementAdmin = Narrow<Row<"placements">, { status: PlacementStatus }>;
/** A placement as its parties read it (no platform_amount: it would reveal co-recruiters' amounts). */
export type Placement = Pick<PlacementAdmin, PlacementColumn>;

/** Full invoice row (admin_placement_invoices, record_placement_invoice). */
export type PlacementInvoiceAdmin = Narrow<Row<"placement_invoices">, { status: PlacementInvoiceStatus }>;
/** An invoice as company members read it (no Stripe ids). */
export type PlacementInvoice = Pick<PlacementInvoiceAdmin, PlacementInvoiceColumn>;

export type PlacementSplit = Narrow<Row<"placement_splits">, { role: PlacementSplitRole }>;
export type Payout = Narrow<Row<"payouts">, { status: PayoutStatus }>;
export type EscrowHold = Narrow<Row<"escrow_holds">, { status: EscrowHoldStatus; hold_reason: EscrowHoldReason }>;
export type PayoutSchedule = Narrow<
  Row<"payout_schedules">,
  { status: PayoutScheduleStatus; trigger_event: PayoutScheduleTriggerEvent }
>;
/** A tranche: one transfer attempt of a payout's payable amount. */
export type PayoutTransfer = Narrow<Row<"payout_transfers">, { status: PayoutTransferStatus }>;

/** A Stripe invoice sent to a company for a placement (full row: reissue_placement_invoice). */
export type CompanyInvoiceAdmin = Narrow<
  Row<"company_invoices">,
  { status: CompanyInvoiceStatus; last_error: JsonObject | null }
>;
/** A company invoice as its company admins read it: status, amount due, hosted invoice URL. */
export type CompanyInvoice = Pick<CompanyInvoiceAdmin, CompanyInvoiceColumn>;

/** A request to claw back a paid tranche (reverse_payout). */
export type PayoutReversal = Narrow<
  Row<"payout_reversals">,
  { status: PayoutReversalStatus; last_error: JsonObject | null }
>;
/** What a recruiter owes the platform (a reversal's shortfall), netted against later payouts. */
export type RecruiterClawback = Narrow<Row<"recruiter_clawbacks">, { status: RecruiterClawbackStatus }>;
export type ClawbackOffset = Row<"clawback_offsets">;
/** What needs an operator: a row of the view payout_alerts (admins only). */
export type PayoutAlert = Narrow<Row<"payout_alerts">, {
  kind: PayoutAlertKind;
  subject_type: string;
  subject_id: string;
  details: JsonObject | null;
}>;

/** Full audit row (admin_payout_audit_log): values, hashes (bytea as `\x...`), txid (xid8 as string). */
export type PayoutAuditLogAdmin = Narrow<Row<"payout_audit_log">, {
  operation: AuditOperation;
  changed_by_role: ActorRole;
  old_values: JsonObject | null;
  new_values: JsonObject | null;
  txid: string;
}>;
/** An audit row as a party may select it. */
export type PayoutAuditLog = Pick<PayoutAuditLogAdmin, PayoutAuditLogColumn>;
/** A row of the view payout_audit_trail (the granted columns but recruiter_id). */
export type PayoutAuditTrail = Narrow<
  Row<"payout_audit_trail">,
  { operation: AuditOperation; changed_by_role: ActorRole }
>;

/** The payload of an event type. */
export type PayoutEventPayload<T extends PayoutEventType = PayoutEventType> = z.infer<
  (typeof S.PAYOUT_EVENT_PAYLOADS)[T]
>;
type PayoutEventOf<T extends PayoutEventType> = Narrow<Row<"payout_events">, {
  event_type: T;
  payload: PayoutEventPayload<T>;
  actor_role: ActorRole;
  txid: string;
}>;
/** An outbox event, discriminated on event_type (`if (e.event_type === "payout.paid") e.payload.paid_amount`). */
export type PayoutEvent<T extends PayoutEventType = PayoutEventType> = { [K in T]: PayoutEventOf<K> }[T];

/** A row of the view placement_escrow_holds (no amounts; the view's columns are never null). */
export type PlacementEscrowHold = Narrow<Row<"placement_escrow_holds">, {
  id: string;
  placement_id: string;
  currency: string;
  hold_reason: EscrowHoldReason;
  status: EscrowHoldStatus;
  held_at: string;
}>;

// ---------------------------------------------------------------------------------------------
// RPC results that are not table rows
// ---------------------------------------------------------------------------------------------
/** Company members (scope company) get counts and dates: the amounts are null. */
export type PlacementEscrowTotal = Simplify<
  Widen<Narrow<ReturnRow<"placement_escrow_total">, { scope: EscrowTotalScope }>, {
    held_amount: number | null;
    released_amount: number | null;
    cancelled_amount: number | null;
    next_release_date: string | null;
  }>
>;
export type PayoutRunPreviewRow = Simplify<
  Widen<
    Narrow<ReturnRow<"payout_run_preview">, {
      payout_status: PayoutStatus;
      schedule_status: PayoutScheduleStatus;
      reason: PayoutRunPreviewReason;
    }>,
    {
      schedule_id: string | null;
      schedule_status: PayoutScheduleStatus | null;
      next_attempt_at: string | null;
      reason: PayoutRunPreviewReason | null;
    }
  >
>;
export type AuditChainProblemRow = Simplify<
  Widen<Narrow<ReturnRow<"verify_payout_audit_chain">, { problem: AuditChainProblem }>, {
    entity_id: string | null;
    entity_seq: number | null;
    audit_id: number | null;
  }>
>;
/** A statement line (my_statement, admin_recruiter_statement): balance lines have no movement. */
export type StatementLineKind = z.infer<typeof S.StatementLineKindSchema>;
export type StatementLine = Simplify<
  Widen<Narrow<ReturnRow<"my_statement">, { kind: StatementLineKind }>, {
    placement_id: string | null;
    payout_id: string | null;
    source_id: string | null;
    stripe_id: string | null;
    amount: number | null;
    owed_change: number | null;
    held_change: number | null;
    clawback_change: number | null;
  }>
>;
/** admin_statement_summary(): one row per currency. */
export type StatementSummaryRow = ReturnRow<"admin_statement_summary">;
/** my_yearly_totals(), admin_yearly_totals(): one row per recruiter and currency. */
export type YearlyTotalsRow = ReturnRow<"my_yearly_totals">;
/** payout_audit_anchor(p_day): the day's digest, as the generated row type says. */
export type PayoutAuditAnchor = ReturnRow<"payout_audit_anchor">;
/** A recruiter's Connect onboarding status (the composite public.connect_status). */
export type ConnectStatus = z.infer<typeof S.ConnectStatusSchema>;
/** begin_connect_onboarding's row. */
export type ConnectOnboardingStart = z.infer<typeof S.ConnectOnboardingStartSchema>;
/** The jsonb results (the generated type is `Json`): their types come from the schemas. */
export type PayoutControls = z.infer<typeof S.PayoutControlsSchema>;
export type PayoutRunRequest = z.infer<typeof S.PayoutRunRequestSchema>;
export type EscrowReleaseRequest = z.infer<typeof S.EscrowReleaseRequestSchema>;
/** Four-eyes approval (20261202120000_admin_approvals). */
export type AdminAction = (typeof S.ADMIN_ACTIONS)[number];
export type AdminActionRequestStatus = (typeof S.ADMIN_ACTION_REQUEST_STATUSES)[number];
export type AdminActionCall = z.infer<typeof S.AdminActionCallSchema>;
export type AdminActionRequest = z.infer<typeof S.AdminActionRequestSchema>;
/** Velocity caps (20261202140000_velocity_caps): a lift (lift_payout_cap's result, jsonb) and payout_caps' rows. */
export type PayoutCapLift = z.infer<typeof S.PayoutCapLiftSchema>;
export type PayoutCapRow = Simplify<
  Widen<ReturnRow<"payout_caps">, {
    recruiter_id: string | null;
    cap: number | null;
    remaining: number | null;
    reached_at: string | null;
  }>
>;
/** Erasure (20261202150000_personal_data_erasure, docs/personal-data.md). */
export type ErasureSubjectType = (typeof S.ERASURE_SUBJECT_TYPES)[number];
export type PersonalDataErasure = z.infer<typeof S.PersonalDataErasureSchema>;
/** One entry of p_splits. */
export type PlacementSplitInput = z.input<typeof S.PlacementSplitInputSchema>;

// ---------------------------------------------------------------------------------------------
// Type-level checks: the zod schemas describe exactly these types (same keys, mutually
// assignable), and the column lists match the grants' intent
// ---------------------------------------------------------------------------------------------
type Same<A, B> = SameKeys<A, B> extends true ? (Extends<A, B> extends true ? Extends<B, A> : false) : false;
type SchemaChecks = {
  CompanyAdmin: Same<z.output<typeof S.CompanyAdminSchema>, CompanyAdmin>;
  Company: Same<z.output<typeof S.CompanySchema>, Company>;
  CompanyMember: Same<z.output<typeof S.CompanyMemberSchema>, CompanyMember>;
  PlatformAdmin: Same<z.output<typeof S.PlatformAdminSchema>, PlatformAdmin>;
  Recruiter: Same<z.output<typeof S.RecruiterSchema>, Recruiter>;
  PlacementAdmin: Same<z.output<typeof S.PlacementAdminSchema>, PlacementAdmin>;
  Placement: Same<z.output<typeof S.PlacementSchema>, Placement>;
  PlacementInvoiceAdmin: Same<z.output<typeof S.PlacementInvoiceAdminSchema>, PlacementInvoiceAdmin>;
  PlacementInvoice: Same<z.output<typeof S.PlacementInvoiceSchema>, PlacementInvoice>;
  PlacementSplit: Same<z.output<typeof S.PlacementSplitSchema>, PlacementSplit>;
  Payout: Same<z.output<typeof S.PayoutSchema>, Payout>;
  EscrowHold: Same<z.output<typeof S.EscrowHoldSchema>, EscrowHold>;
  PayoutSchedule: Same<z.output<typeof S.PayoutScheduleSchema>, PayoutSchedule>;
  PayoutTransfer: Same<z.output<typeof S.PayoutTransferSchema>, PayoutTransfer>;
  PayoutReversal: Same<z.output<typeof S.PayoutReversalSchema>, PayoutReversal>;
  CompanyInvoiceAdmin: Same<z.output<typeof S.CompanyInvoiceAdminSchema>, CompanyInvoiceAdmin>;
  CompanyInvoice: Same<z.output<typeof S.CompanyInvoiceSchema>, CompanyInvoice>;
  RecruiterClawback: Same<z.output<typeof S.RecruiterClawbackSchema>, RecruiterClawback>;
  ClawbackOffset: Same<z.output<typeof S.ClawbackOffsetSchema>, ClawbackOffset>;
  PayoutAlert: Same<z.output<typeof S.PayoutAlertSchema>, PayoutAlert>;
  PayoutAuditLogAdmin: Same<z.output<typeof S.PayoutAuditLogAdminSchema>, PayoutAuditLogAdmin>;
  PayoutAuditLog: Same<z.output<typeof S.PayoutAuditLogSchema>, PayoutAuditLog>;
  PayoutAuditTrail: Same<z.output<typeof S.PayoutAuditTrailSchema>, PayoutAuditTrail>;
  PayoutEvent: Same<z.output<typeof S.PayoutEventSchema>, PayoutEvent>;
  PlacementEscrowHold: Same<z.output<typeof S.PlacementEscrowHoldSchema>, PlacementEscrowHold>;
  PlacementEscrowTotal: Same<z.output<typeof S.PlacementEscrowTotalSchema>, PlacementEscrowTotal>;
  PayoutRunPreviewRow: Same<z.output<typeof S.PayoutRunPreviewRowSchema>, PayoutRunPreviewRow>;
  AuditChainProblemRow: Same<z.output<typeof S.AuditChainProblemRowSchema>, AuditChainProblemRow>;
  PayoutAuditAnchor: Same<z.output<typeof S.PayoutAuditAnchorSchema>, PayoutAuditAnchor>;
  StatementLine: Same<z.output<typeof S.StatementLineSchema>, StatementLine>;
  StatementSummaryRow: Same<z.output<typeof S.StatementSummaryRowSchema>, StatementSummaryRow>;
  YearlyTotalsRow: Same<z.output<typeof S.YearlyTotalsRowSchema>, YearlyTotalsRow>;
  PayoutCapRow: Same<z.output<typeof S.PayoutCapRowSchema>, PayoutCapRow>;
};
type _SchemaChecks = Assert<
  NoneFailing<{ [K in keyof SchemaChecks]: SchemaChecks[K] extends true ? never : K }[keyof SchemaChecks]>
>;

// The hidden columns are exactly the documented ones (docs/access.md); a new column on these
// tables is not granted to `authenticated` until a migration grants it, so it must be listed.
type _HiddenCompany = Assert<SameKeys<Omit<CompanyAdmin, CompanyColumn>, { stripe_customer_id: 1 }>>;
type _HiddenCompanyInvoice = Assert<
  SameKeys<
    Omit<CompanyInvoiceAdmin, CompanyInvoiceColumn>,
    {
      stripe_customer_id: 1;
      stripe_invoice_id: 1;
      stripe_invoice_item_id: 1;
      idempotency_key: 1;
      void_requested_at: 1;
      void_reason: 1;
      failed_at: 1;
      failure_code: 1;
      failure_reason: 1;
      claimed_by: 1;
      next_attempt_at: 1;
      attempts: 1;
      last_error: 1;
      requested_by: 1;
      requested_at: 1;
      work_due: 1;
    }
  >
>;
type _HiddenPlacement = Assert<SameKeys<Omit<PlacementAdmin, PlacementColumn>, { platform_amount: 1 }>>;
type _HiddenInvoice = Assert<
  SameKeys<Omit<PlacementInvoiceAdmin, PlacementInvoiceColumn>, { stripe_invoice_id: 1; stripe_payment_intent_id: 1 }>
>;
type _HiddenAudit = Assert<
  SameKeys<
    Omit<PayoutAuditLogAdmin, PayoutAuditLogColumn>,
    { old_values: 1; new_values: 1; prev_hash: 1; row_hash: 1; txid: 1 }
  >
>;
// The view payout_audit_trail has the granted columns of payout_audit_log, except recruiter_id
// (the key of the log's policy, which the view does not list).
type _AuditTrail = Assert<Compatible<PayoutAuditTrail, Omit<PayoutAuditLog, "recruiter_id">>>;
// Every event type's payload is a JSON object (what the payload column holds).
type _Payloads = Assert<Extends<PayoutEventPayload, JsonObject>>;
