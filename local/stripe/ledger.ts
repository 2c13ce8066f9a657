/**
 * The stand-in's books: platform and connected-account balances (integer minor units per
 * currency), accounts, transfers, reversals and seeded charges / invoices. Mutations are
 * synchronous, so concurrent requests can never interleave inside one. `movements` is the
 * journal of money that really moved.
 */
import { errors } from "./errors.ts";
import { sublist } from "./list.ts";
import type { Metadata } from "./params.ts";
import { renderBillingInvoice, renderCustomer, renderInvoiceItem } from "./billing_render.ts";
import { newId } from "./util.ts";

export type CapabilityStatus = "active" | "inactive" | "pending";

interface Rec {
  id: string;
  created: number;
  seq: number;
}

export interface AccountRec extends Rec {
  type: string;
  country: string;
  default_currency: string;
  email: string | null;
  capabilities: Record<string, CapabilityStatus>;
  charges_enabled: boolean;
  payouts_enabled: boolean;
  details_submitted: boolean;
  metadata: Metadata;
  /** Controller properties (Connect "controller" parameter); absent: a platform-controlled custom account. */
  controller?: AccountController;
  /** What Stripe still needs (absent: nothing). */
  requirements?: AccountRequirements;
  tos_acceptance?: { service_agreement: string | null; date: number | null; ip: string | null; user_agent: string | null };
  business_type?: string | null;
}

/** Who controls a connected account (Stripe's `controller` hash, flattened). */
export interface AccountController {
  fees_payer: "account" | "application" | "application_custom" | "application_express";
  losses_payments: "application" | "stripe";
  requirement_collection: "application" | "stripe";
  dashboard: "express" | "full" | "none";
}

/** Stripe's `requirements` of an account. */
export interface AccountRequirements {
  currently_due: string[];
  eventually_due: string[];
  past_due: string[];
  pending_verification: string[];
  disabled_reason: string | null;
  current_deadline: number | null;
}

export const NO_REQUIREMENTS: AccountRequirements = {
  currently_due: [],
  eventually_due: [],
  past_due: [],
  pending_verification: [],
  disabled_reason: null,
  current_deadline: null,
};

export interface TransferRec extends Rec {
  amount: number;
  amount_reversed: number;
  balance_transaction: string;
  currency: string;
  description: string | null;
  destination: string;
  destination_payment: string;
  metadata: Metadata;
  source_transaction: string | null;
  transfer_group: string | null;
  reversalIds: string[];
}

export interface ReversalRec extends Rec {
  amount: number;
  balance_transaction: string;
  currency: string;
  destination_payment_refund: string;
  metadata: Metadata;
  transfer: string;
}

export interface ChargeRec extends Rec {
  amount: number;
  currency: string;
  customer: string | null;
  description: string | null;
  metadata: Metadata;
  payment_intent: string | null;
  transfer_group: string | null;
  balance_transaction: string;
  transferred: number;
}

export interface PaymentIntentRec extends Rec {
  amount: number;
  currency: string;
  customer: string | null;
  latest_charge: string;
  metadata: Metadata;
  transfer_group: string | null;
}

export interface InvoiceRec extends Rec {
  customer: string | null;
  currency: string;
  amount_due: number;
  amount_paid: number;
  status: string;
  metadata: Metadata;
  paymentIds: string[];
  /** Stripe Invoicing (billing.ts): absent on seeded invoices. */
  billing?: InvoiceBilling;
}

/** What an invoice created through POST /v1/invoices carries besides the seeded fields. */
export interface InvoiceBilling {
  auto_advance: boolean;
  collection_method: "charge_automatically" | "send_invoice";
  days_until_due: number | null;
  due_date: number | null;
  description: string | null;
  number: string | null;
  itemIds: string[];
  finalized_at: number | null;
  paid_at: number | null;
  voided_at: number | null;
  marked_uncollectible_at: number | null;
  sent_at: number | null;
  paid_out_of_band: boolean;
}

export interface CustomerRec extends Rec {
  email: string | null;
  name: string | null;
  description: string | null;
  invoice_prefix: string;
  next_invoice_sequence: number;
  metadata: Metadata;
}

export interface InvoiceItemRec extends Rec {
  customer: string;
  invoice: string | null;
  amount: number;
  currency: string;
  description: string | null;
  metadata: Metadata;
}

export interface InvoicePaymentRec extends Rec {
  invoice: string;
  amount_paid: number | null;
  amount_requested: number;
  currency: string;
  payment: { type: "charge" | "payment_intent"; charge?: string; payment_intent?: string };
  status: string;
  paid_at: number | null;
}

export interface Movement {
  seq: number;
  created: number;
  kind: "transfer" | "reversal";
  object: string;
  transfer: string;
  from: string;
  to: string;
  amount: number;
  currency: string;
  source_transaction: string | null;
}

export interface AccountInput {
  id?: string;
  type?: string;
  country?: string;
  default_currency?: string;
  email?: string | null;
  capabilities?: Record<string, CapabilityStatus>;
  charges_enabled?: boolean;
  payouts_enabled?: boolean;
  details_submitted?: boolean;
  metadata?: Metadata;
  /** Connected account available balance per currency (replaces the given currencies). */
  balance?: Record<string, number>;
}

export interface InvoiceSeed {
  id?: string;
  customer?: string | null;
  currency?: string;
  amount_paid?: number;
  amount_due?: number;
  status?: string;
  metadata?: Metadata;
  /** "payment_intent" (default, current API versions) or "charge" (legacy charge payments). */
  payment_type?: "payment_intent" | "charge";
  charge_id?: string;
  payment_intent_id?: string;
  transfer_group?: string | null;
}

/** The books as plain JSON (`Ledger.exportState`). */
export interface LedgerState {
  seq: number;
  defaultPlatformAvailable: number;
  platform: [string, number][];
  accounts: AccountRec[];
  accountBalances: [string, [string, number][]][];
  transfers: TransferRec[];
  reversals: ReversalRec[];
  charges: ChargeRec[];
  paymentIntents: PaymentIntentRec[];
  invoices: InvoiceRec[];
  invoicePayments: InvoicePaymentRec[];
  movements: Movement[];
  /** Stripe Invoicing (absent in state files written before it). */
  customers?: CustomerRec[];
  invoiceItems?: InvoiceItemRec[];
}

export const DEFAULT_PLATFORM_AVAILABLE = 100_000_000_000; // $1bn in cents per currency unless set

const TRANSFER_CAPABILITIES = ["transfers", "crypto_transfers", "legacy_payments"];

function assertAmount(name: string, n: number, allowZero = true): void {
  if (!Number.isSafeInteger(n) || n < (allowZero ? 0 : 1)) {
    throw new TypeError(`${name} must be a ${allowZero ? "non-negative" : "positive"} integer (minor units), got ${n}`);
  }
}

export class Ledger {
  readonly platform = new Map<string, number>();
  readonly accounts = new Map<string, AccountRec>();
  readonly accountBalances = new Map<string, Map<string, number>>();
  readonly transfers = new Map<string, TransferRec>();
  readonly reversals = new Map<string, ReversalRec>();
  readonly charges = new Map<string, ChargeRec>();
  readonly paymentIntents = new Map<string, PaymentIntentRec>();
  readonly invoices = new Map<string, InvoiceRec>();
  readonly invoicePayments = new Map<string, InvoicePaymentRec>();
  readonly customers = new Map<string, CustomerRec>();
  readonly invoiceItems = new Map<string, InvoiceItemRec>();
  readonly movements: Movement[] = [];
  private seq = 0;

  constructor(readonly now: () => number, public defaultPlatformAvailable = DEFAULT_PLATFORM_AVAILABLE) {}

  private rec(prefix: string, id?: string): Rec {
    return { id: id ?? newId(prefix), created: this.now(), seq: ++this.seq };
  }

  /** A new ordered record (id, created, seq) for the routes of other modules (billing.ts). */
  newRec(prefix: string): Rec {
    return this.rec(prefix);
  }

  /** The clock of the books (unix seconds). */
  nowS(): number {
    return this.now();
  }

  // ---- balances -----------------------------------------------------------

  platformAvailable(currency: string): number {
    return this.platform.get(currency) ?? this.defaultPlatformAvailable;
  }

  setPlatformAvailable(currency: string, amount: number): void {
    assertAmount("platform balance", amount);
    this.platform.set(currency.toLowerCase(), amount);
  }

  accountAvailable(account: string, currency: string): number {
    return this.accountBalances.get(account)?.get(currency) ?? 0;
  }

  setAccountAvailable(account: string, currency: string, amount: number): void {
    assertAmount("account balance", amount);
    let m = this.accountBalances.get(account);
    if (!m) this.accountBalances.set(account, m = new Map());
    m.set(currency.toLowerCase(), amount);
  }

  // ---- accounts -----------------------------------------------------------

  upsertAccount(input: AccountInput): AccountRec {
    const existing = input.id ? this.accounts.get(input.id) : undefined;
    const a: AccountRec = existing ?? {
      ...this.rec("acct", input.id),
      type: "custom",
      country: "US",
      default_currency: "usd",
      email: null,
      capabilities: { transfers: "active" },
      charges_enabled: true,
      payouts_enabled: true,
      details_submitted: true,
      metadata: {},
    };
    if (input.type !== undefined) a.type = input.type;
    if (input.country !== undefined) a.country = input.country;
    if (input.default_currency !== undefined) a.default_currency = input.default_currency.toLowerCase();
    if (input.email !== undefined) a.email = input.email;
    if (input.capabilities !== undefined) {
      for (const [k, v] of Object.entries(input.capabilities)) {
        if (v !== "active" && v !== "inactive" && v !== "pending") {
          throw new TypeError(`capability ${k}: bad status ${v}`);
        }
        a.capabilities[k] = v;
      }
    }
    if (input.charges_enabled !== undefined) a.charges_enabled = input.charges_enabled;
    if (input.payouts_enabled !== undefined) a.payouts_enabled = input.payouts_enabled;
    if (input.details_submitted !== undefined) a.details_submitted = input.details_submitted;
    if (input.metadata !== undefined) a.metadata = { ...input.metadata };
    this.accounts.set(a.id, a);
    for (const [cur, amt] of Object.entries(input.balance ?? {})) this.setAccountAvailable(a.id, cur, amt);
    return a;
  }

  renderAccount(a: AccountRec) {
    const capabilities: Record<string, string> = { ...a.capabilities };
    const req = a.requirements ?? NO_REQUIREMENTS;
    const requirements = (r: AccountRequirements) => ({
      alternatives: [],
      current_deadline: r.current_deadline,
      currently_due: [...r.currently_due],
      disabled_reason: r.disabled_reason,
      errors: [],
      eventually_due: [...r.eventually_due],
      past_due: [...r.past_due],
      pending_verification: [...r.pending_verification],
    });
    const c = a.controller;
    const tos = a.tos_acceptance ?? { service_agreement: null, date: null, ip: null, user_agent: null };
    return {
      id: a.id,
      object: "account" as const,
      business_profile: {
        annual_revenue: { amount: null, currency: null, fiscal_year_end: null },
        estimated_worker_count: null,
        mcc: null,
        minority_owned_business_designation: null,
        name: null,
        product_description: null,
        support_address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null },
        support_email: null,
        support_phone: null,
        support_url: null,
        url: null,
      },
      business_type: a.business_type ?? null,
      capabilities,
      charges_enabled: a.charges_enabled,
      controller: c
        ? {
          fees: { payer: c.fees_payer },
          is_controller: true,
          losses: { payments: c.losses_payments },
          requirement_collection: c.requirement_collection,
          stripe_dashboard: { type: c.dashboard },
          type: "application",
        }
        : { type: "application", is_controller: true },
      country: a.country,
      created: a.created,
      default_currency: a.default_currency,
      details_submitted: a.details_submitted,
      email: a.email,
      external_accounts: {
        object: "list",
        data: [],
        has_more: false,
        url: `/v1/accounts/${a.id}/external_accounts`,
      },
      future_requirements: requirements(NO_REQUIREMENTS),
      metadata: { ...a.metadata },
      payouts_enabled: a.payouts_enabled,
      requirements: requirements(req),
      settings: {
        bacs_debit_payments: { display_name: null, service_user_number: null },
        branding: { icon: null, logo: null, primary_color: null, secondary_color: null },
        card_issuing: { tos_acceptance: { date: null, ip: null } },
        card_payments: {
          decline_on: { avs_failure: false, cvc_failure: false },
          statement_descriptor_prefix: null,
          statement_descriptor_prefix_kana: null,
          statement_descriptor_prefix_kanji: null,
        },
        dashboard: { display_name: null, timezone: "Etc/UTC" },
        invoices: { default_account_tax_ids: null, hosted_payment_method_save: null },
        payments: {
          statement_descriptor: null,
          statement_descriptor_kana: null,
          statement_descriptor_kanji: null,
          statement_descriptor_prefix_kana: null,
          statement_descriptor_prefix_kanji: null,
        },
        payouts: { debit_negative_balances: true, schedule: { delay_days: 2, interval: "daily" }, statement_descriptor: null },
        sepa_debit_payments: {},
      },
      tos_acceptance: tos.service_agreement === null
        ? { date: tos.date, ip: tos.ip, user_agent: tos.user_agent }
        : { date: tos.date, ip: tos.ip, service_agreement: tos.service_agreement, user_agent: tos.user_agent },
      type: a.type,
    };
  }

  // ---- transfers ----------------------------------------------------------

  /** Execution-stage checks and the money movement. Params are already validated. */
  createTransfer(input: {
    amount: number;
    currency: string;
    destination: string;
    description: string | null;
    metadata: Metadata;
    transfer_group: string | null;
    source_transaction: string | null;
  }): TransferRec {
    assertAmount("amount", input.amount, false);
    const dest = this.accounts.get(input.destination);
    if (!dest) throw errors.noSuchParamResource("destination", input.destination, "destination");
    if (!TRANSFER_CAPABILITIES.some((c) => dest.capabilities[c] === "active")) throw errors.insufficientCapabilities();
    const charge = input.source_transaction ? this.charges.get(input.source_transaction) : undefined;
    if (input.source_transaction && !charge) {
      throw errors.noSuchParamResource("charge", input.source_transaction, "source_transaction");
    }
    if (charge) {
      if (charge.currency !== input.currency) throw errors.sourceTransactionCurrency(charge.id, charge.currency);
      if (charge.transferred + input.amount > charge.amount) {
        throw errors.sourceTransactionExceeded(charge.id, charge.amount - charge.transferred);
      }
    } else if (this.platformAvailable(input.currency) < input.amount) {
      throw errors.platformBalanceInsufficient();
    }
    // All checks passed: move the money.
    if (charge) charge.transferred += input.amount;
    else this.platform.set(input.currency, this.platformAvailable(input.currency) - input.amount);
    this.setAccountAvailable(dest.id, input.currency, this.accountAvailable(dest.id, input.currency) + input.amount);
    const t: TransferRec = {
      ...this.rec("tr"),
      amount: input.amount,
      amount_reversed: 0,
      balance_transaction: newId("txn"),
      currency: input.currency,
      description: input.description,
      destination: dest.id,
      destination_payment: newId("py"),
      metadata: { ...input.metadata },
      source_transaction: input.source_transaction,
      transfer_group: input.transfer_group,
      reversalIds: [],
    };
    this.transfers.set(t.id, t);
    this.movements.push({
      seq: t.seq,
      created: t.created,
      kind: "transfer",
      object: t.id,
      transfer: t.id,
      from: charge ? `platform (source_transaction ${charge.id})` : "platform",
      to: dest.id,
      amount: t.amount,
      currency: t.currency,
      source_transaction: t.source_transaction,
    });
    return t;
  }

  createReversal(t: TransferRec, input: { amount?: number; metadata: Metadata }): ReversalRec {
    const remaining = t.amount - t.amount_reversed;
    if (remaining <= 0) throw errors.transferFullyReversed(t.id);
    const amount = input.amount ?? remaining;
    assertAmount("amount", amount, false);
    if (amount > remaining) throw errors.reversalExceedsRemaining(amount, remaining);
    const available = this.accountAvailable(t.destination, t.currency);
    if (available < amount) throw errors.connectedBalanceInsufficient(t.destination);
    this.setAccountAvailable(t.destination, t.currency, available - amount);
    const charge = t.source_transaction ? this.charges.get(t.source_transaction) : undefined;
    if (charge) charge.transferred -= amount;
    else this.platform.set(t.currency, this.platformAvailable(t.currency) + amount);
    t.amount_reversed += amount;
    const r: ReversalRec = {
      ...this.rec("trr"),
      amount,
      balance_transaction: newId("txn"),
      currency: t.currency,
      destination_payment_refund: newId("pyr"),
      metadata: { ...input.metadata },
      transfer: t.id,
    };
    this.reversals.set(r.id, r);
    t.reversalIds.push(r.id);
    this.movements.push({
      seq: r.seq,
      created: r.created,
      kind: "reversal",
      object: r.id,
      transfer: t.id,
      from: t.destination,
      to: charge ? `platform (source_transaction ${charge.id})` : "platform",
      amount,
      currency: t.currency,
      source_transaction: t.source_transaction,
    });
    return r;
  }

  reversalsOf(t: TransferRec): ReversalRec[] {
    return t.reversalIds.map((id) => this.reversals.get(id)!);
  }

  renderReversal(r: ReversalRec) {
    return {
      id: r.id,
      object: "transfer_reversal" as const,
      amount: r.amount,
      balance_transaction: r.balance_transaction,
      created: r.created,
      currency: r.currency,
      destination_payment_refund: r.destination_payment_refund,
      metadata: { ...r.metadata },
      source_refund: null,
      transfer: r.transfer,
    };
  }

  renderTransfer(t: TransferRec) {
    return {
      id: t.id,
      object: "transfer" as const,
      amount: t.amount,
      amount_reversed: t.amount_reversed,
      balance_transaction: t.balance_transaction,
      created: t.created,
      currency: t.currency,
      description: t.description,
      destination: t.destination,
      destination_payment: t.destination_payment,
      livemode: false,
      metadata: { ...t.metadata },
      reversals: sublist(this.reversalsOf(t), `/v1/transfers/${t.id}/reversals`, (r) => this.renderReversal(r)),
      reversed: t.amount_reversed >= t.amount,
      source_transaction: t.source_transaction,
      source_type: "card",
      transfer_group: t.transfer_group,
    };
  }

  // ---- charges / invoices (seeded) ----------------------------------------

  seedInvoice(seed: InvoiceSeed) {
    const currency = (seed.currency ?? "usd").toLowerCase();
    const amountPaid = seed.amount_paid ?? seed.amount_due ?? 0;
    assertAmount("amount_paid", amountPaid);
    const status = seed.status ?? "paid";
    const paid = status === "paid";
    const invoiceRec = this.rec("in", seed.id);
    const charge: ChargeRec = {
      ...this.rec("ch", seed.charge_id),
      amount: amountPaid,
      currency,
      customer: seed.customer ?? null,
      description: null,
      metadata: {},
      payment_intent: null,
      transfer_group: seed.transfer_group ?? null,
      balance_transaction: newId("txn"),
      transferred: 0,
    };
    let pi: PaymentIntentRec | undefined;
    const type = seed.payment_type ?? "payment_intent";
    if (type === "payment_intent") {
      pi = {
        ...this.rec("pi", seed.payment_intent_id),
        amount: amountPaid,
        currency,
        customer: seed.customer ?? null,
        latest_charge: charge.id,
        metadata: {},
        transfer_group: seed.transfer_group ?? null,
      };
      charge.payment_intent = pi.id;
      this.paymentIntents.set(pi.id, pi);
    }
    this.charges.set(charge.id, charge);
    const ip: InvoicePaymentRec = {
      ...this.rec("inpay"),
      invoice: invoiceRec.id,
      amount_paid: paid ? amountPaid : null,
      amount_requested: seed.amount_due ?? amountPaid,
      currency,
      payment: pi ? { type: "payment_intent", payment_intent: pi.id } : { type: "charge", charge: charge.id },
      status: paid ? "paid" : "open",
      paid_at: paid ? this.now() : null,
    };
    this.invoicePayments.set(ip.id, ip);
    const inv: InvoiceRec = {
      ...invoiceRec,
      customer: seed.customer ?? null,
      currency,
      amount_due: seed.amount_due ?? amountPaid,
      amount_paid: paid ? amountPaid : 0,
      status,
      metadata: { ...seed.metadata },
      paymentIds: [ip.id],
    };
    this.invoices.set(inv.id, inv);
    return { invoice: inv, invoice_payment: ip, charge, payment_intent: pi ?? null };
  }

  renderCharge(c: ChargeRec) {
    const address = { city: null, country: null, line1: null, line2: null, postal_code: null, state: null };
    return {
      id: c.id,
      object: "charge" as const,
      amount: c.amount,
      amount_captured: c.amount,
      amount_refunded: 0,
      application: null,
      application_fee: null,
      application_fee_amount: null,
      balance_transaction: c.balance_transaction,
      billing_details: { address, email: null, name: null, phone: null, tax_id: null },
      calculated_statement_descriptor: "STAND-IN",
      captured: true,
      created: c.created,
      currency: c.currency,
      customer: c.customer,
      description: c.description,
      disputed: false,
      failure_balance_transaction: null,
      failure_code: null,
      failure_message: null,
      fraud_details: {},
      livemode: false,
      metadata: { ...c.metadata },
      on_behalf_of: null,
      outcome: {
        advice_code: null,
        network_advice_code: null,
        network_decline_code: null,
        network_status: "approved_by_network",
        reason: null,
        seller_message: "Payment complete.",
        type: "authorized",
      },
      paid: true,
      payment_intent: c.payment_intent,
      payment_method: null,
      payment_method_details: null,
      receipt_email: null,
      receipt_number: null,
      receipt_url: null,
      refunded: false,
      refunds: { object: "list", data: [], has_more: false, url: `/v1/charges/${c.id}/refunds` },
      review: null,
      shipping: null,
      source: null,
      source_transfer: null,
      statement_descriptor: null,
      statement_descriptor_suffix: null,
      status: "succeeded",
      transfer_data: null,
      transfer_group: c.transfer_group,
    };
  }

  renderPaymentIntent(p: PaymentIntentRec) {
    return {
      id: p.id,
      object: "payment_intent" as const,
      amount: p.amount,
      amount_capturable: 0,
      amount_details: { tip: {} },
      amount_received: p.amount,
      application: null,
      application_fee_amount: null,
      automatic_payment_methods: null,
      canceled_at: null,
      cancellation_reason: null,
      capture_method: "automatic",
      client_secret: null,
      confirmation_method: "automatic",
      created: p.created,
      currency: p.currency,
      customer: p.customer,
      customer_account: null,
      description: null,
      excluded_payment_method_types: null,
      last_payment_error: null,
      latest_charge: p.latest_charge,
      livemode: false,
      managed_payments: null,
      metadata: { ...p.metadata },
      next_action: null,
      on_behalf_of: null,
      payment_method: null,
      payment_method_configuration_details: null,
      payment_method_options: {},
      payment_method_types: ["card"],
      processing: null,
      receipt_email: null,
      review: null,
      setup_future_usage: null,
      shipping: null,
      source: null,
      statement_descriptor: null,
      statement_descriptor_suffix: null,
      status: "succeeded",
      transfer_data: null,
      transfer_group: p.transfer_group,
    };
  }

  renderInvoicePayment(p: InvoicePaymentRec) {
    return {
      id: p.id,
      object: "invoice_payment" as const,
      amount_paid: p.amount_paid,
      amount_requested: p.amount_requested,
      created: p.created,
      currency: p.currency,
      invoice: p.invoice,
      is_default: true,
      livemode: false,
      payment: { ...p.payment },
      status: p.status,
      status_transitions: { canceled_at: null, paid_at: p.paid_at },
    };
  }

  renderInvoice(i: InvoiceRec) {
    if (i.billing) return renderBillingInvoice(this, i);
    return {
      id: i.id,
      object: "invoice" as const,
      amount_due: i.amount_due,
      amount_paid: i.amount_paid,
      amount_remaining: Math.max(0, i.amount_due - i.amount_paid),
      created: i.created,
      currency: i.currency,
      customer: i.customer,
      livemode: false,
      metadata: { ...i.metadata },
      status: i.status,
      subtotal: i.amount_due,
      total: i.amount_due,
      lines: { object: "list", data: [], has_more: false, url: `/v1/invoices/${i.id}/lines` },
    };
  }

  /** Any ordered record by id (pagination cursors). */
  find(id: string): Rec | undefined {
    return this.transfers.get(id) ?? this.reversals.get(id) ?? this.invoicePayments.get(id) ?? this.accounts.get(id) ??
      this.charges.get(id) ?? this.customers.get(id) ?? this.invoices.get(id) ?? this.invoiceItems.get(id);
  }

  /** Everything in the books as plain JSON, for the stand-in's state file (`persist.ts`). */
  exportState(): LedgerState {
    return {
      seq: this.seq,
      defaultPlatformAvailable: this.defaultPlatformAvailable,
      platform: [...this.platform],
      accounts: [...this.accounts.values()],
      accountBalances: [...this.accountBalances].map(([id, m]) => [id, [...m]]),
      transfers: [...this.transfers.values()],
      reversals: [...this.reversals.values()],
      charges: [...this.charges.values()],
      paymentIntents: [...this.paymentIntents.values()],
      invoices: [...this.invoices.values()],
      invoicePayments: [...this.invoicePayments.values()],
      movements: this.movements,
      customers: [...this.customers.values()],
      invoiceItems: [...this.invoiceItems.values()],
    };
  }

  /** Replaces the books with a state `exportState` gave. */
  importState(s: LedgerState): void {
    const fill = <T extends Rec>(m: Map<string, T>, rows: T[]) => {
      m.clear();
      for (const r of rows) m.set(r.id, r);
    };
    this.seq = s.seq;
    this.defaultPlatformAvailable = s.defaultPlatformAvailable;
    this.platform.clear();
    for (const [c, n] of s.platform) this.platform.set(c, n);
    fill(this.accounts, s.accounts);
    this.accountBalances.clear();
    for (const [id, rows] of s.accountBalances) this.accountBalances.set(id, new Map(rows));
    fill(this.transfers, s.transfers);
    fill(this.reversals, s.reversals);
    fill(this.charges, s.charges);
    fill(this.paymentIntents, s.paymentIntents);
    fill(this.invoices, s.invoices);
    fill(this.invoicePayments, s.invoicePayments);
    fill(this.customers, s.customers ?? []);
    fill(this.invoiceItems, s.invoiceItems ?? []);
    this.movements.splice(0, this.movements.length, ...s.movements);
  }

  snapshot() {
    const currencies = new Set<string>(["usd", ...this.platform.keys()]);
    for (const t of this.transfers.values()) currencies.add(t.currency);
    return {
      platform_available: Object.fromEntries([...currencies].sort().map((c) => [c, this.platformAvailable(c)])),
      accounts: [...this.accounts.values()].map((a) => ({
        id: a.id,
        capabilities: { ...a.capabilities },
        available: Object.fromEntries(this.accountBalances.get(a.id) ?? []),
      })),
      transfers: [...this.transfers.values()].map((t) => this.renderTransfer(t)),
      reversals: [...this.reversals.values()].map((r) => this.renderReversal(r)),
      movements: this.movements.map((m) => ({ ...m })),
      // Stripe Invoicing (billing.ts)
      customers: [...this.customers.values()].map(renderCustomer),
      invoices: [...this.invoices.values()].map((i) => this.renderInvoice(i)),
      invoice_items: [...this.invoiceItems.values()].map(renderInvoiceItem),
    };
  }
}
