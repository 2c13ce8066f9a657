/**
 * Connect onboarding of recruiters (the `connect-onboarding` function), over three injected parts:
 *
 * - `api`: PostgREST with the CALLER's JWT. Who may act for whom is decided there, under RLS and
 *   the RPCs' gates (`begin_connect_onboarding`, `my_connect_status`, `admin_connect_status`): a
 *   recruiter only for themself, an admin for anyone.
 * - `db`: the function's own login (role `stripe_sync`): links what Stripe created
 *   (`private.link_connect_account`, which checks the account's metadata names this row and
 *   recruiter) and records a re-read (`private.record_connect_account_read`).
 * - `stripe`: the calls, each with bounded same-key retries.
 *
 * Actions (body `action`):
 * - `onboard` (default): the account is created once — the key `connect_account:<row id>` is
 *   committed by `begin` before `accounts.create`; a retry of a row begun earlier first looks the
 *   account up by metadata (Stripe forgets keys after 24 h), then creates with the same key — and
 *   linked; then a fresh `account_onboarding` link, for the recruiter themself only (an admin
 *   starting it for a recruiter gets the account, not the link).
 * - `status` (the return URL's page): re-reads the account from Stripe, records it (the same
 *   effect as `account.updated`) and answers where the recruiter stands.
 * - `login_link`: the Express dashboard, for the account's own recruiter only.
 */
import type Stripe from "stripe";
import { HttpError } from "../platform/http.ts";

/** The service agreement of a recruiter in `country` (docs/stripe-sync.md, "Connect onboarding"). */
export function serviceAgreement(country: string, platformCountry: string): "full" | "recipient" {
  // Recipient: the only agreement cross-border payouts work with (funds arrive 24 h later).
  // Full: recruiters in the platform's own country (recipient is not offered everywhere, e.g. US).
  return country === platformCountry ? "full" : "recipient";
}

/** accounts.create's parameters: controller properties equivalent to Express. */
export function accountParams(row: BeginRow, platformCountry: string): Stripe.AccountCreateParams {
  return {
    country: row.country,
    controller: {
      fees: { payer: "application" },
      losses: { payments: "application" },
      requirement_collection: "stripe",
      stripe_dashboard: { type: "express" },
    },
    capabilities: { transfers: { requested: true } },
    tos_acceptance: { service_agreement: serviceAgreement(row.country, platformCountry) },
    metadata: { recruiter_id: row.recruiter_id, connect_account_id: row.connect_account_id },
  };
}

/** `public.begin_connect_onboarding`'s row. */
export interface BeginRow {
  connect_account_id: string;
  recruiter_id: string;
  status: "creating" | "linked";
  stripe_account_id: string | null;
  idempotency_key: string | null;
  country: string;
  fresh: boolean;
  replacing: string | null;
  created_at: string;
}

/** `public.my_connect_status` / `admin_connect_status`'s row. */
export interface StatusRow {
  recruiter_id: string;
  state: string;
  stripe_account_id: string | null;
  transfers_capability: string | null;
  can_receive_transfers: boolean;
  requirements_currently_due: string[];
  requirements_past_due: string[];
  disabled_reason: string | null;
  waiting_payouts: { payout_id: string; currency: string; amount: number }[];
  waiting_amounts: Record<string, number>;
  [k: string]: unknown;
}

export interface OnboardingApi {
  begin(args: { p_recruiter_id?: string; p_country?: string; p_replace_reason?: string }): Promise<BeginRow>;
  myStatus(): Promise<StatusRow>;
  adminStatus(recruiterId: string): Promise<StatusRow>;
  /** Whether the caller is this recruiter (own status readable and naming this id). */
  isOwn(recruiterId: string): Promise<boolean>;
}

export interface OnboardingDb {
  link(connectAccountId: string, account: Stripe.Account): Promise<Record<string, unknown>>;
  recordRead(account: Stripe.Account): Promise<Record<string, unknown>>;
}

export interface OnboardingStripe {
  createAccount(params: Stripe.AccountCreateParams, idempotencyKey: string): Promise<Stripe.Account>;
  /** The account whose metadata names this onboarding row, created since `sinceUnix`; null if none. */
  findAccount(connectAccountId: string, sinceUnix: number): Promise<Stripe.Account | null>;
  retrieve(accountId: string): Promise<Stripe.Account>;
  accountLink(accountId: string, refreshUrl: string, returnUrl: string): Promise<{ url: string; expires_at: number }>;
  loginLink(accountId: string): Promise<{ url: string }>;
}

export interface OnboardingDeps {
  api: OnboardingApi;
  db: OnboardingDb;
  stripe: OnboardingStripe;
  settings: { refreshUrl: string; returnUrl: string; platformCountry: string };
}

export interface OnboardingRequest {
  action: "onboard" | "status" | "login_link";
  recruiter_id?: string;
  country?: string;
  replace_reason?: string;
}

/** How far the lookup by metadata reaches back before the row's creation (clock skew). */
const LOOKUP_SLACK_S = 600;

/** The recruiter-facing sentence for a state. */
export function explain(s: Pick<StatusRow, "state" | "requirements_currently_due" | "disabled_reason">): string {
  switch (s.state) {
    case "complete":
      return "Your Stripe account can receive payouts.";
    case "pending":
      return "Stripe is verifying what you submitted; payouts start once it is done.";
    case "restricted":
      return `Stripe needs more from you before payouts can start (${
        s.disabled_reason ?? "requirements past due"
      }): continue onboarding.`;
    case "onboarding":
      return `Onboarding is not finished: Stripe still needs ${s.requirements_currently_due.length} item(s). Continue onboarding.`;
    case "creating":
      return "Your Stripe account is being created: start onboarding again.";
    default:
      return "You have not started Stripe onboarding yet.";
  }
}

export async function handleOnboarding(deps: OnboardingDeps, req: OnboardingRequest): Promise<Record<string, unknown>> {
  switch (req.action) {
    case "onboard":
      return await onboard(deps, req);
    case "status":
      return await status(deps, req);
    case "login_link":
      return await loginLink(deps);
  }
}

async function onboard(deps: OnboardingDeps, req: OnboardingRequest): Promise<Record<string, unknown>> {
  const row = await deps.api.begin({
    ...(req.recruiter_id ? { p_recruiter_id: req.recruiter_id } : {}),
    ...(req.country ? { p_country: req.country } : {}),
    ...(req.replace_reason ? { p_replace_reason: req.replace_reason } : {}),
  });
  let accountId = row.stripe_account_id;
  let created = false;
  if (row.status === "creating") {
    // Begun before this call (a crash, a timeout): the account may exist though its key expired.
    const found = row.fresh ? null : await deps.stripe.findAccount(
      row.connect_account_id,
      Math.floor(Date.parse(row.created_at) / 1000) - LOOKUP_SLACK_S,
    );
    const account = found ??
      await deps.stripe.createAccount(accountParams(row, deps.settings.platformCountry), row.idempotency_key!);
    created = found === null;
    await deps.db.link(row.connect_account_id, account);
    accountId = account.id;
  }
  const own = await deps.api.isOwn(row.recruiter_id);
  const out: Record<string, unknown> = {
    recruiter_id: row.recruiter_id,
    connect_account_id: row.connect_account_id,
    stripe_account_id: accountId,
    created,
    replaced: row.replacing,
  };
  if (!own) return { ...out, onboarding_url: null, note: "the recruiter gets the onboarding link when they call this" };
  const link = await deps.stripe.accountLink(accountId!, deps.settings.refreshUrl, deps.settings.returnUrl);
  return { ...out, onboarding_url: link.url, expires_at: new Date(link.expires_at * 1000).toISOString() };
}

async function status(deps: OnboardingDeps, req: OnboardingRequest): Promise<Record<string, unknown>> {
  const read = () => (req.recruiter_id ? deps.api.adminStatus(req.recruiter_id) : deps.api.myStatus());
  const before = await read();
  if (!before.stripe_account_id) return { ...before, message: explain(before) };
  // Reaching the return URL says nothing: what Stripe has now does.
  await deps.db.recordRead(await deps.stripe.retrieve(before.stripe_account_id));
  const after = await read();
  return { ...after, message: explain(after) };
}

async function loginLink(deps: OnboardingDeps): Promise<Record<string, unknown>> {
  const s = await deps.api.myStatus();
  if (!s.stripe_account_id) throw new HttpError(409, "no connected account yet: start onboarding first");
  if (s.state === "onboarding" || s.state === "creating") {
    throw new HttpError(409, "onboarding is not finished: continue onboarding before opening the dashboard");
  }
  const link = await deps.stripe.loginLink(s.stripe_account_id);
  return { stripe_account_id: s.stripe_account_id, login_url: link.url };
}
