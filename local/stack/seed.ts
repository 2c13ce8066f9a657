// Loads supabase/seed.sql with its payments made at Stripe (locally: the Stripe stand-in), as a
// real payout run makes them. seed.sql tells the demo's history in order; where a run pays the
// tranches it has just claimed, the seed prints them (`seed:stripe {"at", "tranches": [...]}`) and
// waits for their Stripe transfer ids (`\prompt`). This seeder, holding psql's stdin and stdout,
// then does what the payout run does for each tranche, at that moment of the history on the
// stand-in's clock:
//   - the connected account and the paid invoice exist at Stripe (created in the stand-in if not);
//   - the source charge is the invoice's payment (`invoice_payments.list` → charge, or the
//     PaymentIntent's latest charge);
//   - `transfers.create` with the tranche's amount, currency, destination, transfer_group, metadata
//     (payout_id, payout_transfer_id, schedule_id, placement_id, attempt_number) and
//     source_transaction, under the tranche's idempotency key, with the real `stripe` SDK;
// and answers with `[{"tranche", "transfer"}]`, which the seed records with
// `private.complete_payout_transfer`. So every transfer id in the demo is one the stand-in made,
// and its ledger, the database and reconciliation agree.
//
// One psql session: the seed runs in autocommit (npm start, npm run reset) or inside
// `begin … rollback` (`rollback: true`, npm test's "seed.sql loads" check, which also gets the
// database's view of the paid tranches before the rollback).
import Stripe from "stripe";
import { createLogger } from "../../supabase/functions/_shared/platform/log.ts";
import { createPacer } from "../../supabase/functions/_shared/platform/pacer.ts";
import {
  type BillingDb,
  type ClaimedCompanyInvoice,
  type InvoiceStateEffect,
  processCompanyInvoice,
} from "../../supabase/functions/_shared/stripe_sync/billing.ts";
import { createBillingStripe } from "../../supabase/functions/_shared/stripe_sync/wiring.ts";
import { PINNED_API_VERSION } from "../stripe/state.ts";
import { accountParams, type BeginRow } from "../../supabase/functions/_shared/connect/onboarding.ts";
import { apiUrl, dbUrl, ROOT, type StackConfig, STRIPE_TEST_KEY } from "./config.ts";
import { apiKeys, signJwt } from "./jwt.ts";
import { join } from "./paths.ts";

export const SEED_FILE = join(ROOT, "supabase", "seed.sql");

/** One tranche the seed's history pays, as seed.sql prints it (`pg_temp.stripe_request`). */
interface SeedTranche {
  tranche: string;
  payout: string;
  schedule: string;
  placement: string;
  amount: number;
  currency: string;
  destination: string;
  capability: string;
  idempotency_key: string;
  attempt_number: number;
  transfer_group: string;
  invoice: { id: string; amount: number; currency: string; paid_at: number } | null;
}

/** A succeeded tranche as the database has it (rollback mode). */
export interface SeededTranche {
  tranche: string;
  payout: string;
  placement: string;
  amount: number;
  currency: string;
  destination: string;
  attempt_number: number;
  stripe_transfer_id: string;
}

export interface SeedResult {
  /** The transfers made at Stripe, in the order of the history. */
  payments: { tranche: string; transfer: string }[];
  /** The connected account made for Carol's onboarding (not finished). */
  onboarding?: { recruiter: string; account: string };
  /** The placement walked through Stripe Invoicing (its company invoice and Stripe invoice). */
  billing?: { company_invoice: string; placement: string; stripe_invoice: string; hosted_invoice_url: string | null };
  /** rollback mode: the succeeded tranches before the rollback. */
  tranches?: SeededTranche[];
}

const SUCCEEDED_TRANCHES = `select 'seed:tranches ' || coalesce(jsonb_agg(jsonb_build_object(
  'tranche', t.id, 'payout', t.payout_id, 'placement', t.placement_id, 'amount', t.amount,
  'currency', lower(t.currency), 'destination', t.destination_account_id, 'attempt_number', t.attempt_number,
  'stripe_transfer_id', t.stripe_transfer_id) order by t.succeeded_at, t.id), '[]')::text
from public.payout_transfers t where t.status = 'succeeded'`;

/** Loads seed.sql, paying its claimed tranches through the Stripe API at `stripeUrl`. */
export async function loadSeed(
  c: StackConfig,
  opts: { stripeUrl: string; rollback?: boolean },
): Promise<SeedResult> {
  const stripe = stripeClient(opts.stripeUrl);
  const args = [
    dbUrl(c),
    "-X",
    "-q",
    "-At",
    "-v",
    "ON_ERROR_STOP=1",
    ...(opts.rollback ? ["-c", "begin"] : []),
    "-f",
    SEED_FILE,
    ...(opts.rollback ? ["-c", SUCCEEDED_TRANCHES, "-c", "rollback"] : []),
  ];
  const child = new Deno.Command("psql", {
    args,
    cwd: ROOT,
    env: { PGTZ: "UTC", PGOPTIONS: "--client-min-messages=warning" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdin = child.stdin.getWriter();
  const stderr = new Response(child.stderr).text();
  const result: SeedResult = { payments: [] };
  const other: string[] = [];
  let failure: unknown = null;

  const decoder = new TextDecoder();
  let buf = "";
  for await (const chunk of child.stdout) {
    buf += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.startsWith("seed:stripe ")) {
        let answer = "failed";
        if (!failure) {
          try {
            const paid = await payThroughStripe(stripe, opts.stripeUrl, JSON.parse(line.slice("seed:stripe ".length)));
            result.payments.push(...paid);
            answer = JSON.stringify(paid);
          } catch (e) {
            failure = e; // the seed stops at the unanswerable prompt (record_stripe_transfers raises)
          }
        }
        await stdin.write(new TextEncoder().encode(answer + "\n"));
      } else if (line.startsWith("seed:connect ")) {
        let answer = "failed";
        if (!failure) {
          try {
            const account = await createConnectAccount(stripe, JSON.parse(line.slice("seed:connect ".length)));
            result.onboarding = { recruiter: account.metadata?.recruiter_id ?? "", account: account.id };
            answer = JSON.stringify(account);
          } catch (e) {
            failure = e;
          }
        }
        await stdin.write(new TextEncoder().encode(answer + "\n"));
      } else if (line.startsWith("seed:billing ")) {
        let answer = "failed";
        if (!failure) {
          try {
            const r = await billThroughStripe(stripe, opts.stripeUrl, JSON.parse(line.slice("seed:billing ".length)));
            result.billing = r.billing;
            answer = JSON.stringify(r.effects);
          } catch (e) {
            failure = e;
          }
        }
        await stdin.write(new TextEncoder().encode(answer + "\n"));
      } else if (line.startsWith("seed:tranches ")) {
        result.tranches = JSON.parse(line.slice("seed:tranches ".length));
      } else if (line.trim()) {
        other.push(line);
      }
    }
  }
  const status = await child.status;
  await stdin.close().catch(() => {});
  if (failure) throw new Error(`seed.sql: paying or invoicing through Stripe failed: ${failure}`);
  if (!status.success) {
    throw new Error(`psql -f supabase/seed.sql exited ${status.code}\n${other.join("\n")}\n${await stderr}`);
  }
  if (!opts.rollback && result.onboarding) console.log(await onboardingByHand(c, opts.stripeUrl, result.onboarding.account));
  if (result.billing && !opts.rollback) console.log(billingByHand(result.billing));
  return result;
}

/** accounts.create for a `seed:connect` request, as connect-onboarding makes it (same parameters, stored key). */
async function createConnectAccount(stripe: Stripe, row: BeginRow): Promise<Stripe.Account> {
  if (row.status !== "creating" || !row.idempotency_key) throw new Error(`seed:connect: nothing to create (${row.status})`);
  return await stripe.accounts.create(accountParams(row, "US"), { idempotencyKey: row.idempotency_key });
}

/** How to walk Carol through the rest of onboarding by hand (printed by npm start / npm run reset). */
async function onboardingByHand(c: StackConfig, stripeUrl: string, account: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const carol = await signJwt(
    { sub: CAROL, email: "carol@demo.test", role: "authenticated", aud: "authenticated", iat: now, exp: now + 7 * 86400 },
    c.jwtSecret,
  );
  const { anon } = await apiKeys(c.jwtSecret);
  const call = (body: string) =>
    `curl -s -X POST ${apiUrl(c)}/functions/v1/connect-onboarding -H "apikey: $ANON" -H "Authorization: Bearer $CAROL" -H "content-type: application/json" -d '${body}'`;
  return [
    `Connect onboarding (docs/stripe-sync.md): Carol (carol@demo.test) started it; her account ${account} is created`,
    "and linked, Stripe's form is not finished, so her P6 payout waits on onboarding. Go on by hand:",
    `  ANON=${anon}`,
    `  CAROL=${carol}   # her access token, 7 days, local only`,
    `  ${call('{"action":"status"}')}   # where she stands: requirements due, the waiting payout`,
    `  ${call("{}")}   # a fresh onboarding link (what the refresh page does)`,
    `  curl -s -X POST ${stripeUrl}/_standin/accounts/${account}/complete_onboarding   # she finishes Stripe's form`,
    `  ${call('{"action":"status"}')}   # the return page: complete; the waiting payout falls due`,
    `  ${call('{"action":"login_link"}')}   # her Express dashboard`,
  ].join("\n");
}

const CAROL = "00000000-0000-0000-0000-000000000003";

/**
 * Walks one company invoice through Stripe Invoicing as invoice-placements does (the same
 * `processCompanyInvoice`, the same Stripe calls and keys), at its moment of the history on the
 * stand-in's clock. The database side is seed.sql's own session (it may be inside `begin …
 * rollback`), so what the worker would store is answered as effects for seed.sql to record.
 */
async function billThroughStripe(
  stripe: Stripe,
  stripeUrl: string,
  request: { at: number; invoice: ClaimedCompanyInvoice },
) {
  type Effect = { customer: string } | { state: InvoiceStateEffect };
  const effects: Effect[] = [];
  const row = request.invoice;
  const db: BillingDb = {
    intake: () => Promise.resolve(0),
    claim: () => Promise.resolve([]),
    recordCustomer: (_id, customer) => (effects.push({ customer }), Promise.resolve()),
    recordState: (state) => (effects.push({ state }), Promise.resolve({ outcome: "applied", status: state.status })),
    noteError: (_id, e) => Promise.reject(new Error(`${e.code}: ${e.message}`)),
    fail: (_id, code, reason) => Promise.reject(new Error(`${code}: ${reason}`)),
    release: () => Promise.resolve(0),
    handover: () => Promise.resolve(null),
  };
  await control(stripeUrl, "POST", "/_standin/clock", { set: request.at });
  try {
    if (row.company_customer_id) {
      // the company's Stripe customer, as the database names it
      await control(stripeUrl, "POST", "/_standin/customers", {
        id: row.company_customer_id,
        name: row.company_name,
        email: row.billing_email,
        metadata: { company_id: row.company_id },
      });
    }
    const outcome = await processCompanyInvoice(row, {
      db,
      stripe: createBillingStripe(stripe, createPacer({ ratePerSec: 100 }), 1),
      log: createLogger({}, { sink: () => {} }),
    });
    if (outcome !== "sent") throw new Error(`company invoice ${row.id}: ${outcome}`);
  } finally {
    const { offset_seconds } = await control(stripeUrl, "GET", "/_standin/clock");
    if (offset_seconds) await control(stripeUrl, "POST", "/_standin/clock", { advance_seconds: -offset_seconds });
  }
  const last = [...effects].reverse().find((e): e is { state: InvoiceStateEffect } => "state" in e)!.state;
  return {
    effects,
    billing: {
      company_invoice: row.id,
      placement: row.placement_id,
      stripe_invoice: last.stripe_invoice_id!,
      hosted_invoice_url: last.hosted_invoice_url ?? null,
    },
  };
}

/** How to walk a placement through invoicing by hand, on the local stack. */
function billingByHand(b: NonNullable<SeedResult["billing"]>): string {
  return [
    "",
    `Billing the company (demo P8 Frontend Engineer, Acme): Stripe invoice ${b.stripe_invoice} sent (open), hosted at`,
    `  ${b.hosted_invoice_url}`,
    "By hand:",
    "  1. as admin@demo.test: set_company_billing_email(Acme, …), then create_placement(…): the billing doorbell",
    "     (every minute) invoices it; or ring it now: curl -X POST -H 'x-job-secret: <PAYOUT_JOB_SECRET>'",
    "     http://127.0.0.1:54321/functions/v1/invoice-placements",
    `  2. the company pays: curl -X POST -u ${STRIPE_TEST_KEY}: http://127.0.0.1:54328/v1/invoices/${b.stripe_invoice}/pay`,
    "     → invoice.paid → the placement invoice is paid, its payouts fall due after the settlement buffer",
    "  3. hr@acme.demo.test (company admin) reads GET /rest/v1/company_invoices: status, amount_due, hosted_invoice_url",
    "  4. fee changed before payment: reissue_placement_invoice(placement, new fee, reason) as admin: the open invoice",
    "     is voided at Stripe, the payouts repriced, a new invoice sent",
  ].join("\n");
}

function stripeClient(stripeUrl: string): Stripe {
  const u = new URL(stripeUrl);
  return new Stripe(STRIPE_TEST_KEY, {
    apiVersion: PINNED_API_VERSION as Stripe.LatestApiVersion,
    host: u.hostname,
    port: Number(u.port),
    protocol: u.protocol.replace(":", "") as "http" | "https",
    httpClient: Stripe.createFetchHttpClient(),
    maxNetworkRetries: 0,
    telemetry: false,
  });
}

async function control(stripeUrl: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${stripeUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`stand-in ${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

const idOf = (v: unknown): string | null =>
  typeof v === "string" ? v : v && typeof v === "object" && "id" in v ? String((v as { id: unknown }).id) : null;

/** The charge behind a paid invoice (the run's `source_transaction`), or null. */
async function sourceCharge(stripe: Stripe, invoice: string): Promise<string | null> {
  const payments = await stripe.invoicePayments.list({ invoice, limit: 10 });
  const paid = payments.data.find((p) => p.status === "paid");
  if (!paid) return null;
  const charge = idOf(paid.payment?.charge);
  if (charge) return charge;
  const pi = idOf(paid.payment?.payment_intent);
  return pi ? idOf((await stripe.paymentIntents.retrieve(pi)).latest_charge) : null;
}

/** Makes the transfers of one payment round at its time on the stand-in's clock; puts the clock back. */
async function payThroughStripe(
  stripe: Stripe,
  stripeUrl: string,
  request: { at: number; tranches: SeedTranche[] },
): Promise<{ tranche: string; transfer: string }[]> {
  const setClock = (unix: number) => control(stripeUrl, "POST", "/_standin/clock", { set: unix });
  const paid: { tranche: string; transfer: string }[] = [];
  try {
    for (const t of request.tranches) {
      const transfers = t.capability === "active" ? "active" : t.capability === "pending" ? "pending" : "inactive";
      await control(stripeUrl, "POST", "/_standin/accounts", { id: t.destination, capabilities: { transfers } });
      let source: string | null = null;
      if (t.invoice) {
        const known = await stripe.invoices.retrieve(t.invoice.id).then(() => true, (e) => {
          if (e?.code === "resource_missing") return false;
          throw e;
        });
        if (!known) {
          await setClock(t.invoice.paid_at);
          await control(stripeUrl, "POST", "/_standin/invoices", {
            id: t.invoice.id,
            amount_paid: t.invoice.amount,
            currency: t.invoice.currency,
            status: "paid",
          });
        }
        source = await sourceCharge(stripe, t.invoice.id);
      }
      await setClock(request.at);
      const tr = await stripe.transfers.create({
        amount: t.amount,
        currency: t.currency,
        destination: t.destination,
        transfer_group: t.transfer_group,
        metadata: {
          payout_id: t.payout,
          payout_transfer_id: t.tranche,
          schedule_id: t.schedule,
          placement_id: t.placement,
          attempt_number: String(t.attempt_number),
        },
        ...(source ? { source_transaction: source } : {}),
      }, { idempotencyKey: t.idempotency_key });
      paid.push({ tranche: t.tranche, transfer: tr.id });
    }
  } finally {
    const { offset_seconds } = await control(stripeUrl, "GET", "/_standin/clock");
    if (offset_seconds) await control(stripeUrl, "POST", "/_standin/clock", { advance_seconds: -offset_seconds });
  }
  return paid;
}
