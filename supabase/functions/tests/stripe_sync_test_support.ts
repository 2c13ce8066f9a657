/**
 * Helpers of the Stripe sync tests (stripe-webhook_test.ts, reverse-payouts_test.ts, reconcile-payouts_test.ts)
 * against the running test stack: fixtures built through the money model's functions (unique ids,
 * so tests sharing the stack never meet), the stand-in's control API, signed deliveries, and a
 * claim fenced to the test's own payouts.
 */
import Stripe from "stripe";
import type postgres from "postgres";
import { adminSql, createUser, eventually, stackEnv, userJwt } from "../../../local/tests/support.ts";
import { signStripePayload } from "../../../local/stripe/webhooks.ts";
import { loadEnv, stripeEnv } from "../_shared/platform/env.ts";
import { createStripe } from "../_shared/platform/stripe.ts";
import { control } from "./standin_test_support.ts";

export { adminSql, createUser, eventually, signStripePayload, stackEnv, userJwt };

export const PLATFORM_SECRET = "whsec_standin_platform_secret";
export const CONNECT_SECRET = "whsec_standin_connect_secret";

export const webhookUrl = () => `${stackEnv("SUPABASE_URL")}/functions/v1/stripe-webhook`;
export const functionUrl = (name: string) => `${stackEnv("SUPABASE_URL")}/functions/v1/${name}`;

/** The real SDK against the stack's stand-in. */
export function stripeClient(): Stripe {
  return createStripe(loadEnv(stripeEnv));
}

const ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/** A Stripe-looking id (`acct_…`) that no other test uses. */
export function stripeId(prefix: string): string {
  const b = crypto.getRandomValues(new Uint8Array(20));
  return `${prefix}_${Array.from(b, (x) => ALNUM[x % ALNUM.length]).join("")}`;
}

/** Calls the stack stand-in's control API. */
export const standin = <T = Record<string, any>>(method: string, path: string, body?: unknown): Promise<T> =>
  control<T>({ url: stackEnv("STRIPE_API_BASE") }, method, path, body);

/**
 * Points the stand-in's webhook deliveries at stripe-webhook (automatic delivery of its own events
 * off unless `auto`); returns the restore function (no URL: the stack's default).
 */
export async function useWebhookEndpoint(opts: { auto?: boolean } = {}): Promise<() => Promise<void>> {
  await standin("POST", "/_standin/webhooks/config", { url: webhookUrl(), auto: opts.auto ?? false });
  return async () => {
    await standin("POST", "/_standin/webhooks/config", { url: "", auto: true });
  };
}

export interface Delivery {
  event_id: string;
  type: string;
  secret: string;
  status: number | null;
  error: string | null;
}

/** Sends events through the stand-in (signed with its platform/Connect secret) and waits for them. */
export async function sendEvents(body: {
  type?: string;
  data?: { object: unknown };
  account?: string;
  events?: Array<{ type: string; data: { object: unknown }; account?: string }>;
  secret?: "platform" | "connect";
  mode?: "normal" | "duplicate" | "reverse_order" | "delay_ms";
  signature_timestamp?: number;
}): Promise<{ events: Array<{ id: string; type: string; created: number }>; deliveries: Delivery[] }> {
  return await standin("POST", "/_standin/webhooks/send", body);
}

/** Posts a raw payload to stripe-webhook with a signature made with `secret` at `timestamp`. */
export async function postSigned(
  payload: string,
  secret: string | null,
  timestamp = Math.floor(Date.now() / 1000),
): Promise<{ status: number; body: Record<string, any> }> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (secret !== null) headers["stripe-signature"] = await signStripePayload(secret, payload, timestamp);
  const res = await fetch(webhookUrl(), { method: "POST", headers, body: payload });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

/** A minimal Stripe event (as the stand-in would render it). */
export function eventPayload(type: string, object: unknown, opts: { account?: string; id?: string } = {}) {
  return {
    id: opts.id ?? stripeId("evt"),
    object: "event",
    ...(opts.account ? { account: opts.account } : {}),
    api_version: "2026-10-28.endive",
    created: Math.floor(Date.now() / 1000),
    data: { object },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
  };
}

/** The inbox row of an event (or undefined). */
export async function inboxRow(sql: postgres.Sql, eventId: string) {
  const [row] = await sql`select * from private.stripe_webhook_events where id = ${eventId}`;
  return row as Record<string, any> | undefined;
}

/** A recruiter (user + row) with a connected account in the DB and in the stand-in. */
export async function makeRecruiter(
  sql: postgres.Sql,
  opts: { capability?: "active" | "inactive" | "pending"; balance?: Record<string, number> } = {},
): Promise<{ id: string; account: string; userId: string }> {
  const cap = opts.capability ?? "active";
  const account = stripeId("acct");
  const [u] = await sql`insert into auth.users (id, email, aud, role)
    values (gen_random_uuid(), ${`r-${crypto.randomUUID()}@test.invalid`}, 'authenticated', 'authenticated') returning id`;
  const [r] = await sql`insert into public.recruiters (user_id, display_name) values (${u.id}, 'Stripe sync test')
    returning id`;
  await standin("POST", "/_standin/accounts", {
    id: account,
    capabilities: { transfers: cap },
    ...(opts.balance ? { balance: opts.balance } : {}),
  });
  await sql`select private.set_recruiter_connect_account(${r.id}, ${account}, ${cap}, now() - interval '1 hour')`;
  return { id: r.id, account, userId: u.id };
}

/** A placement with one split per recruiter (shares in bps), hired `hiredDaysAgo` days ago. */
export async function makePlacement(sql: postgres.Sql, opts: {
  recruiters: string[];
  shares?: number[];
  fee?: number;
  holdbackBps?: number;
  guaranteeDays?: number;
  hiredDaysAgo?: number;
}): Promise<string> {
  const [c] = await sql`insert into public.companies (name) values ('Stripe sync test co') returning id`;
  const [p] = await sql`select (private.create_placement(${c.id}, ${opts.fee ?? 100000}, 'USD',
      now() - make_interval(days => ${opts.hiredDaysAgo ?? 1}), ${opts.guaranteeDays ?? 90},
      ${opts.holdbackBps ?? 0}, 'Stripe sync test')).id`;
  const roles = ["candidate_recruiter", "company_recruiter", "job_owner", "candidate_sourcer", "company_sourcer"];
  for (const [i, r] of opts.recruiters.entries()) {
    await sql`insert into public.placement_splits (placement_id, recruiter_id, role, share_bps)
      values (${p.id}, ${r}, ${roles[i % roles.length]}, ${opts.shares?.[i] ?? Math.floor(8000 / opts.recruiters.length)})`;
  }
  return p.id as string;
}

/** A paid invoice in the stand-in (payment intent + charge), paid `paidSecondsAgo` ago on the stand-in clock. */
export async function seedStripeInvoice(opts: {
  amount: number;
  placementId?: string;
  paidSecondsAgo?: number;
  currency?: string;
}): Promise<{ invoice: Record<string, any>; chargeId: string; paymentIntentId: string }> {
  const back = opts.paidSecondsAgo ?? 0;
  if (back) await standin("POST", "/_standin/clock", { advance_seconds: -back });
  try {
    const r = await standin("POST", "/_standin/invoices", {
      amount_paid: opts.amount,
      currency: opts.currency ?? "usd",
      status: "paid",
      ...(opts.placementId ? { metadata: { placement_id: opts.placementId } } : {}),
    });
    return { invoice: r.invoice, chargeId: r.charge.id, paymentIntentId: r.payment_intent.id };
  } finally {
    if (back) await standin("POST", "/_standin/clock", { advance_seconds: back });
  }
}

/** Records the placement's invoice (open) with a Stripe invoice id. */
export async function recordInvoice(sql: postgres.Sql, placementId: string, stripeInvoiceId: string, amount?: number) {
  const [i] = await sql`select (private.record_placement_invoice(${placementId}, ${stripeInvoiceId},
    ${amount ?? null}::bigint, 'open', now())).id`;
  return i.id as string;
}

/**
 * The Stripe invoice paid ten days ago, recorded as the webhook's `invoice_paid` effect would be
 * (`private.stripe_record_invoice_paid`): the placement's payouts become collectible.
 */
export async function markInvoicePaid(
  sql: postgres.Sql,
  inv: { invoice: Record<string, any>; chargeId: string; paymentIntentId: string },
  amount: number,
) {
  const effect = {
    stripe_invoice_id: inv.invoice.id,
    amount_due: null,
    amount_paid: amount,
    currency: "usd",
    paid_at: new Date(Date.now() - 10 * 86_400_000).toISOString(),
    payment_intent_id: inv.paymentIntentId,
    charge_id: inv.chargeId,
    placement_id: null,
  };
  await sql`select private.stripe_record_invoice_paid(${JSON.stringify(effect)}::text::jsonb, now())`;
}

export async function payoutsOf(sql: postgres.Sql, placementId: string) {
  return await sql`select * from public.payouts where placement_id = ${placementId} order by id`;
}

/**
 * `private.claim_due_payout_schedules` at `pNow`, fenced to `payoutIds`: every other live
 * schedule is locked by a second connection meanwhile, so the claim (FOR UPDATE SKIP LOCKED)
 * never touches other tests' rows even with a time in the future.
 */
export async function claimOnly(sql: postgres.Sql, payoutIds: string[], pNow: Date) {
  const fence = await sql.reserve();
  try {
    await fence`begin`;
    await fence`select id from public.payout_schedules
      where status in ('pending', 'processing', 'failed') and not (payout_id = any(${payoutIds}::uuid[])) for update`;
    return await sql`select * from private.claim_due_payout_schedules(gen_random_uuid(), 1000, null, ${pNow})`;
  } finally {
    await fence`rollback`.catch(() => {});
    fence.release();
  }
}

/** Sends a claimed tranche to the stand-in (as the payout run does) and completes it. */
export async function payTranche(
  sql: postgres.Sql,
  stripe: Stripe,
  claim: Record<string, any>,
  opts: { sourceTransaction?: string | null; now?: Date } = {},
): Promise<string> {
  const t = await stripe.transfers.create({
    amount: Number(claim.amount),
    currency: String(claim.currency).toLowerCase(),
    destination: claim.destination_account_id,
    transfer_group: `placement_${(await sql`select placement_id from public.payouts where id = ${claim.payout_id}`)[0]
      .placement_id}`,
    metadata: { payout_transfer_id: claim.transfer_id, payout_id: claim.payout_id },
    ...(opts.sourceTransaction ? { source_transaction: opts.sourceTransaction } : {}),
  }, { idempotencyKey: claim.idempotency_key });
  await sql`select private.complete_payout_transfer(${claim.transfer_id}, ${t.id}, ${opts.now ?? new Date()})`;
  return t.id;
}

/** A placement whose payouts are fully paid: invoice paid long ago, claimed, transferred, completed. */
export async function paidPlacement(sql: postgres.Sql, stripe: Stripe, opts: {
  recruiters: string[];
  shares?: number[];
  fee?: number;
}) {
  const placementId = await makePlacement(sql, { ...opts, holdbackBps: 0, hiredDaysAgo: 20 });
  const inv = await seedStripeInvoice({ amount: opts.fee ?? 100000 });
  const invoiceId = await recordInvoice(sql, placementId, inv.invoice.id);
  await markInvoicePaid(sql, inv, opts.fee ?? 100000);
  const payouts = await payoutsOf(sql, placementId);
  const claims = await claimOnly(sql, payouts.map((p) => p.id), new Date(Date.now() + 60_000));
  const transfers: Record<string, string> = {};
  for (const c of claims.filter((c) => c.outcome === "claimed")) {
    transfers[c.payout_id] = await payTranche(sql, stripe, c, { sourceTransaction: inv.chargeId });
  }
  return { placementId, invoiceId, stripeInvoiceId: inv.invoice.id, chargeId: inv.chargeId, transfers };
}

/** Outbox event types of an entity, in order. */
export async function eventTypes(sql: postgres.Sql, entityId: string): Promise<string[]> {
  const rows = await sql`select event_type from public.payout_events where entity_id = ${entityId} order by id`;
  return rows.map((r) => r.event_type as string);
}

/** A platform admin (auth user + platform_admins row) and their access token. */
export async function makeAdmin(sql: postgres.Sql): Promise<{ id: string; jwt: string }> {
  const email = `admin-${crypto.randomUUID()}@test.invalid`;
  const u = await createUser(sql, email);
  await sql`select private.bootstrap_platform_admin(${email})`;
  return u;
}

/** A PostgREST call as a user (apikey = anon key, Authorization = the user's token). */
export async function rest(
  jwt: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${stackEnv("SUPABASE_URL")}/rest/v1/${path}`, {
    method,
    headers: {
      apikey: stackEnv("SUPABASE_ANON_KEY"),
      authorization: `Bearer ${jwt}`,
      "content-type": "application/json",
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** Rings a doorbell-rung Stripe sync function with the job secret. */
export async function ringFunction(name: string, body: unknown = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(functionUrl(name), {
    method: "POST",
    headers: { "content-type": "application/json", "x-job-secret": stackEnv("PAYOUT_JOB_SECRET") },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** Pids of the function worker processes of this test stack running `name` (local stack only). */
export async function functionWorkerPids(name: string): Promise<number[]> {
  const url = stackEnv("SUPABASE_URL");
  const out: number[] = [];
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const cmd = await Deno.readTextFile(`/proc/${e.name}/cmdline`);
      if (!cmd.includes("function_runner.ts") || !cmd.includes(`/functions/${name}/index.ts`)) continue;
      const env = await Deno.readTextFile(`/proc/${e.name}/environ`);
      if (env.split("\0").includes(`SUPABASE_URL=${url}`)) out.push(Number(e.name));
    } catch { /* gone or not ours */ }
  }
  return out;
}
