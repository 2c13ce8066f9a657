/**
 * Wiring of `connect-onboarding` (onboarding.ts) over PostgREST (the caller's JWT), Postgres (the
 * function's login, role `stripe_sync`, actor `job`) and the Stripe SDK (paced, same-key retries).
 */
import type Stripe from "stripe";
import type { ConnectSettings } from "../platform/env.ts";
import { HttpError } from "../platform/http.ts";
import type { Pacer } from "../platform/pacer.ts";
import { callStripe, listAll, type StripeCallResult } from "../platform/stripe.ts";
import { inStripeSyncTransaction, type StripeSyncDb } from "../stripe_sync/db.ts";
import type { BeginRow, OnboardingApi, OnboardingDb, OnboardingStripe, StatusRow } from "./onboarding.ts";

/** PostgREST RPCs as the caller: their refusals (42501 → 403, PTnnn → nnn) are the function's answer. */
export function createOnboardingApi(settings: ConnectSettings, authorization: string): OnboardingApi {
  const rpc = async <T>(name: string, args: Record<string, unknown>): Promise<T> => {
    const res = await fetch(`${settings.supabaseUrl}/rest/v1/rpc/${name}`, {
      method: "POST",
      headers: { apikey: settings.anonKey, authorization, "content-type": "application/json" },
      body: JSON.stringify(args),
    });
    const body = await res.json().catch(() => null);
    if (!res.ok) {
      const message = typeof body?.message === "string" ? body.message : `${name} refused`;
      throw new HttpError(res.status >= 400 && res.status < 500 ? res.status : 502, message);
    }
    const row = Array.isArray(body) ? body[0] : body;
    if (!row) throw new HttpError(404, `${name}: nothing found`);
    return row as T;
  };
  return {
    begin: (args) => rpc<BeginRow>("begin_connect_onboarding", args),
    myStatus: () => rpc<StatusRow>("my_connect_status", {}),
    adminStatus: (id) => rpc<StatusRow>("admin_connect_status", { p_recruiter_id: id }),
    async isOwn(recruiterId) {
      try {
        return (await rpc<StatusRow>("my_connect_status", {})).recruiter_id === recruiterId;
      } catch (e) {
        if (e instanceof HttpError && e.status === 403) return false;
        throw e;
      }
    },
  };
}

export function createOnboardingDb(db: StripeSyncDb): OnboardingDb {
  const tx = <T>(fn: Parameters<typeof inStripeSyncTransaction<T>>[2]) => inStripeSyncTransaction(db, "job", fn);
  const one = (rows: { r: Record<string, unknown> }[]) => rows[0].r;
  return {
    link: (id, account) =>
      tx(async (t) =>
        one(
          await t<{ r: Record<string, unknown> }[]>`
          select private.link_connect_account(${id}, ${JSON.stringify(account)}::text::jsonb) as r`,
        )
      ).catch(refusal),
    recordRead: (account) =>
      tx(async (t) =>
        one(
          await t<{ r: Record<string, unknown> }[]>`
          select private.record_connect_account_read(${JSON.stringify(account)}::text::jsonb) as r`,
        )
      ).catch(refusal),
  };
}

/** A refusal of the database (PTnnn) as the HTTP answer; anything else stays an error. */
function refusal(e: unknown): never {
  const code = (e as { code?: unknown })?.code;
  if (typeof code === "string" && /^PT4\d\d$/.test(code)) {
    throw new HttpError(Number(code.slice(2)), (e as Error).message);
  }
  throw e;
}

/** A Stripe result or the HTTP answer: refusals 409 with Stripe's message, the rest 502 (call again). */
function value<T>(what: string, r: StripeCallResult<T>): T {
  if (r.kind === "ok") return r.value;
  if (r.kind === "definitive_failure") throw new HttpError(409, `Stripe refused ${what}: ${r.message}`);
  throw new HttpError(502, `Stripe did not answer ${what}: call again`);
}

export function createOnboardingStripe(stripe: Stripe, pacer: Pacer, maxAttempts: number): OnboardingStripe {
  const call = async <T>(what: string, fn: () => Promise<T>) =>
    value(what, await callStripe(pacer, fn, { maxAttempts }));
  return {
    createAccount: (params, idempotencyKey) =>
      call("accounts.create", () => stripe.accounts.create(params, { idempotencyKey })),
    async findAccount(connectAccountId, sinceUnix) {
      const all = value(
        "accounts.list",
        await listAll<Stripe.Account>("accounts", (after) =>
          callStripe(pacer, () =>
            stripe.accounts.list({
              created: { gte: sinceUnix },
              limit: 100,
              ...(after ? { starting_after: after } : {}),
            }), { maxAttempts })),
      );
      return all.find((a) => a.metadata?.connect_account_id === connectAccountId) ?? null;
    },
    retrieve: (id) => call("accounts.retrieve", () => stripe.accounts.retrieve(id)),
    accountLink: (account, refresh, ret) =>
      call(
        "accountLinks.create",
        () =>
          stripe.accountLinks.create({ account, type: "account_onboarding", refresh_url: refresh, return_url: ret }),
      ),
    loginLink: (account) => call("accounts.createLoginLink", () => stripe.accounts.createLoginLink(account)),
  };
}
