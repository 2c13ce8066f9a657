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
      } else if (line.startsWith("seed:tranches ")) {
        result.tranches = JSON.parse(line.slice("seed:tranches ".length));
      } else if (line.trim()) {
        other.push(line);
      }
    }
  }
  const status = await child.status;
  await stdin.close().catch(() => {});
  if (failure) throw new Error(`seed.sql: paying through Stripe failed: ${failure}`);
  if (!status.success) {
    throw new Error(`psql -f supabase/seed.sql exited ${status.code}\n${other.join("\n")}\n${await stderr}`);
  }
  if (!opts.rollback && result.onboarding) console.log(await onboardingByHand(c, opts.stripeUrl, result.onboarding.account));
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
