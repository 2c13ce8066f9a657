/**
 * The Stripe client of the functions and the one way to call it (`callStripe`), to page through a
 * list (`listAll`), and to read what comes back (`idOf`, `TransferInfo`).
 *
 * `createStripe` configures the real `stripe` SDK: API version pinned to `STRIPE_API_VERSION`
 * (= `Stripe.API_VERSION` of stripe-node 23.1.0), the fetch HTTP client, `maxNetworkRetries: 0`
 * (retries are decided here: the SDK ignores `Retry-After`), a timeout, `appInfo`, and the local
 * stand-in's host/port/protocol when `STRIPE_API_BASE` is set.
 *
 * Note: even with `maxNetworkRetries: 0` the SDK puts its own `Idempotency-Key`
 * (`stripe-node-retry-<uuid>`) on every POST; that protects one SDK call only. Always pass the
 * tranche's stored key: `stripe.transfers.create(params, { idempotencyKey })`.
 */
import Stripe from "stripe";
import type { StripeEnv } from "./env.ts";
import { HttpError } from "./http.ts";
import type { Pacer } from "./pacer.ts";
import { classifyStripeError, type RetrySameKey, type StripeFailure } from "./stripe_retry.ts";

/** The Stripe API version every request is pinned to (must equal `Stripe.API_VERSION`). */
export const STRIPE_API_VERSION = "2026-10-28.endive" as const;

/** Identifies this integration in Stripe's request logs (User-Agent). */
export const APP_INFO = { name: "supabase-marketplace-payouts", version: "0.1.0" } as const;

/** Options of `createStripe`. */
export interface CreateStripeOptions {
  /** Overrides `APP_INFO` (e.g. to add the function name to `version`). */
  appInfo?: { name: string; version?: string; url?: string };
  /** Custom HTTP client (default `Stripe.createFetchHttpClient()`). */
  httpClient?: ReturnType<typeof Stripe.createFetchHttpClient>;
}

/** Creates the configured SDK instance (see module doc). */
export function createStripe(
  env: Pick<StripeEnv, "secretKey" | "apiBase" | "timeoutMs">,
  opts: CreateStripeOptions = {},
): Stripe {
  if (Stripe.API_VERSION !== STRIPE_API_VERSION) {
    // Fails loudly when the SDK is bumped without re-checking the API version pin.
    throw new Error(`stripe SDK API version ${Stripe.API_VERSION} != pinned ${STRIPE_API_VERSION}`);
  }
  return new Stripe(env.secretKey, {
    apiVersion: STRIPE_API_VERSION,
    httpClient: opts.httpClient ?? Stripe.createFetchHttpClient(),
    maxNetworkRetries: 0,
    timeout: env.timeoutMs,
    appInfo: opts.appInfo ?? APP_INFO,
    telemetry: false,
    ...(env.apiBase ? { host: env.apiBase.host, port: env.apiBase.port, protocol: env.apiBase.protocol } : {}),
  });
}

/** The outcome of `callStripe`: the value, or a classified failure with the attempts made. */
export type StripeCallResult<T> =
  | { kind: "ok"; value: T; attempts: number }
  | (StripeFailure & {
    attempts: number;
    /** Set on `retry_same_key` when no more attempts were made in this call (limit, budget, header). */
    exhausted?: true;
    /** The last error (log it: the logger renders errors without secrets). */
    error: unknown;
  });

/** Options of `callStripe`. */
export interface CallStripeOptions {
  /** Attempts including the first (default 3). All use the same request, so the same idempotency key. */
  maxAttempts?: number;
  /** Give up instead of waiting longer than this for one retry (default 10 000 ms). */
  maxDelayMs?: number;
  /** Time budget: no retry whose delay would leave less than `minRemainingMs` (default 0). */
  budget?: { remainingMs(): number };
  minRemainingMs?: number;
  /** Random in [0, 1) for backoff jitter (tests). */
  random?: () => number;
  /** Called before each retry (log it). */
  onRetry?: (outcome: RetrySameKey, attempt: number) => void;
}

/**
 * Paces and calls `fn`, retrying `retry_same_key` failures with bounded attempts.
 *
 * `fn` must send the same request each time, with the caller's idempotency key, e.g.
 * `(attempt) => stripe.transfers.create(params, { idempotencyKey: row.idempotency_key })`.
 * Every attempt first takes a slot from `pacer`; a 429 pauses the pacer (for all callers) for the
 * `Retry-After` delay; other retries wait an exponential backoff. Never throws for Stripe
 * errors: the result says what happened (see `stripe_retry.ts`):
 * - `ok`: done (for a POST retried after a drop, this is Stripe's replay of the first execution);
 * - `retry_same_key` + `exhausted`: unresolved; nothing is lost — keep the key and try again
 *   later (lease expiry re-claims it), or mark the item unknown when `mayHaveExecuted`;
 * - `unknown_outcome`: Stripe stored a 5xx under the key (retrying replays it) — reconcile;
 * - `definitive_failure`: nothing moved — fail the item (`stopRun`: stop the whole run);
 * - `idempotency_mismatch`: a bug (key reused with other params) — alert, do not retry.
 */
export async function callStripe<T>(
  pacer: Pacer,
  fn: (attempt: number) => Promise<T>,
  opts: CallStripeOptions = {},
): Promise<StripeCallResult<T>> {
  const maxAttempts = Math.max(1, opts.maxAttempts ?? 3);
  const maxDelayMs = opts.maxDelayMs ?? 10_000;
  const minRemaining = opts.minRemainingMs ?? 0;
  let mayHaveExecuted = false;
  for (let attempt = 1;; attempt++) {
    await pacer.acquire();
    let error: unknown;
    try {
      return { kind: "ok", value: await fn(attempt), attempts: attempt };
    } catch (e) {
      error = e;
    }
    const c = classifyStripeError(error, { attempt, now: () => pacer.now(), random: opts.random });
    if (c.kind !== "retry_same_key") return { ...c, attempts: attempt, error };
    mayHaveExecuted ||= c.mayHaveExecuted;
    if (c.rateLimited) pacer.pause(c.delayMs);
    const giveUp = attempt >= maxAttempts ||
      c.shouldRetryHeader === "false" ||
      c.delayMs > maxDelayMs ||
      (opts.budget !== undefined && opts.budget.remainingMs() - c.delayMs < minRemaining);
    if (giveUp) return { ...c, mayHaveExecuted, attempts: attempt, exhausted: true, error };
    opts.onRetry?.(c, attempt);
    // A rate limit paused the pacer: the next acquire() waits it out. Otherwise back off here.
    if (!c.rateLimited) await pacer.sleep(c.delayMs);
  }
}

/**
 * A read a whole job depends on failed after `callStripe`'s attempts. The job answers 502
 * (`bad_gateway`) with the cause, `stripe_unavailable` (no answer, a 5xx, a rate limit) or
 * `stripe_refused` (Stripe said no: a bad key, a missing permission), instead of an anonymous
 * 500; which read and how it failed stay in the message, for the log.
 */
export class StripeReadFailed extends HttpError {
  constructor(what: string, failure: StripeFailure) {
    super(502, failure.kind === "definitive_failure" ? "stripe_refused" : "stripe_unavailable");
    this.name = "StripeReadFailed";
    this.message = `${what}: ${failure.kind} (${failureCode(failure)})`;
  }
}

/** A failure in one word: Stripe's error code, the retry reason, or the failure kind. */
export function failureCode(failure: StripeFailure): string {
  if (failure.kind === "definitive_failure") return failure.code;
  return failure.kind === "retry_same_key" ? failure.reason : failure.kind;
}

/** One page of a Stripe list endpoint. */
export interface ListPage<T> {
  data: T[];
  has_more: boolean;
}

/**
 * Every item of a Stripe list, page by page: `page(startingAfter)` fetches one page (through
 * `callStripe`), `starting_after` being the last id of the page before. It ends when `has_more` is
 * false or a page is empty, or when `beforeNext(page)` (called before each further page, e.g. with
 * the caller's budget) returns false: the items so far are returned. The first page that fails is
 * the result. More than `maxPages` pages (default 50) throw: a listing that long is a bug, not data.
 */
export async function listAll<T extends { id: string }>(
  what: string,
  page: (startingAfter: string | undefined) => Promise<StripeCallResult<ListPage<T>>>,
  opts: { maxPages?: number; beforeNext?: (page: T[]) => boolean } = {},
): Promise<StripeCallResult<T[]>> {
  const maxPages = opts.maxPages ?? 50;
  const items: T[] = [];
  let attempts = 0;
  let after: string | undefined;
  for (let n = 0; n < maxPages; n++) {
    const r = await page(after);
    attempts += r.attempts;
    if (r.kind !== "ok") return { ...r, attempts };
    const { data, has_more } = r.value;
    items.push(...data);
    if (!has_more || data.length === 0 || opts.beforeNext?.(data) === false) {
      return { kind: "ok", value: items, attempts };
    }
    after = data[data.length - 1].id;
  }
  throw new Error(`${what}: more than ${maxPages} pages`);
}

/** An expandable field's id, whether Stripe sent the id or the expanded object; null otherwise. */
export function idOf(v: unknown): string | null {
  if (typeof v === "string") return v === "" ? null : v;
  const id = v && typeof v === "object" ? (v as { id?: unknown }).id : null;
  return typeof id === "string" && id !== "" ? id : null;
}

/** A Stripe transfer, as the payout run and the reconciliation read it. */
export interface TransferInfo {
  id: string;
  /** Minor units. */
  amount: number;
  /** Lower-case ISO code. */
  currency: string;
  destination: string | null;
  /** Unix seconds. */
  created: number;
  transfer_group: string | null;
  source_transaction: string | null;
  metadata: Record<string, string>;
}

/** Renders an SDK transfer. */
export function transferInfo(t: Stripe.Transfer): TransferInfo {
  return {
    id: t.id,
    amount: t.amount,
    currency: t.currency,
    destination: idOf(t.destination),
    created: t.created,
    transfer_group: t.transfer_group ?? null,
    source_transaction: idOf(t.source_transaction),
    metadata: stringMetadata(t.metadata),
  };
}

/** Stripe metadata as strings (Stripe stores strings; the SDK types them loosely). */
export function stringMetadata(m: Record<string, unknown> | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in m) out[k] = String(m[k]);
  return out;
}
