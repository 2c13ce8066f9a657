/**
 * The Stripe stand-in (local/stripe) in function tests: its control API (`/_standin/*`), for the
 * stack's stand-in (`STRIPE_API_BASE`) and for one started in-process by a unit test.
 */
import type Stripe from "stripe";
import { type StandIn, startStripeStandIn } from "../../../local/stripe/server.ts";
import { createStripe } from "../_shared/platform/stripe.ts";

/** Calls the control API of the stand-in at `target.url`; throws on a non-2xx answer. */
export async function control<T = Record<string, any>>(
  target: { url: string },
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${target.url}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`stand-in ${method} ${path} -> ${res.status}: ${text}`);
  return (text ? JSON.parse(text) : {}) as T;
}

/** Runs `fn` with an in-process stand-in and a connected account on it; closes the stand-in after. */
export async function withStandIn<T>(fn: (s: StandIn, acct: string) => Promise<T>): Promise<T> {
  const s = await startStripeStandIn({ port: 0 });
  try {
    const { account } = await control<{ account: { id: string } }>(s, "POST", "/_standin/accounts", {});
    return await fn(s, account.id);
  } finally {
    await s.close();
  }
}

/** The configured SDK (`createStripe`) against an in-process stand-in. */
export function standinSdk(s: StandIn, o: { secretKey: string; timeoutMs?: number }): Stripe {
  return createStripe({
    secretKey: o.secretKey,
    apiBase: { protocol: "http", host: "127.0.0.1", port: s.port },
    timeoutMs: o.timeoutMs ?? 5_000,
  });
}

/** One request the stand-in logged. */
export interface LoggedRequest {
  id: string;
  method: string;
  path: string;
  query: string;
  params: Record<string, unknown>;
  status: number | null;
  replayed: boolean;
  dropped: boolean;
  faults: string[];
  started_at_ms: number;
  duration_ms: number;
  idempotency_key: string | null;
}

/** The stand-in's request log, filtered. */
export async function requestLog(
  target: { url: string },
  filter: { method?: string; path?: string; idempotency_key?: string } = {},
): Promise<LoggedRequest[]> {
  const q = new URLSearchParams(Object.entries(filter).filter(([, v]) => v !== undefined) as [string, string][]);
  return (await control<{ data: LoggedRequest[] }>(target, "GET", `/_standin/requests?${q}`)).data;
}
