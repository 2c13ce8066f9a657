/**
 * Classifies an error thrown by the `stripe` SDK (v23, `maxNetworkRetries: 0`) into what the payout
 * run must do next. Derived from stripe-node 23.1.0 (`Error.js` `generateV1Error`,
 * `RequestSender.js`) and proven against the local stand-in in `tests/platform_stripe_retry_test.ts`:
 *
 * | SDK error (type / statusCode / fields)                                      | outcome |
 * | --------------------------------------------------------------------------- | ------- |
 * | `StripeConnectionError` (no status; dropped connection, DNS, TLS)           | `retry_same_key` `connection_error`, may have executed |
 * | `StripeConnectionError` "Request aborted due to timeout…" (`detail.code` ETIMEDOUT) | `retry_same_key` `timeout`, may have executed |
 * | `StripeRateLimitError` 429 (or 400 `code: rate_limit`)                      | `retry_same_key` `rate_limited`, delay = `Retry-After`, nothing executed |
 * | `StripeRateLimitError` 429 `code: lock_timeout`                             | `retry_same_key` `lock_timeout` |
 * | `StripeAPIError` 409 (`rawType: idempotency_error`, `code: idempotency_key_in_use`) | `retry_same_key` `idempotency_key_in_use`, may have executed |
 * | `StripeAPIError` ≥ 500 with `Stripe-Should-Retry: true`                     | `retry_same_key` `should_retry` |
 * | `StripeAPIError` ≥ 500 otherwise                                            | `unknown_outcome`: Stripe stored the 5xx under the key (a retry replays it); reconcile |
 * | `StripeAPIError` without status ("Invalid JSON received…", a proxy page)    | `retry_same_key` `invalid_response`, may have executed |
 * | `StripeIdempotencyError` 400 (`rawType: idempotency_error`)                 | `idempotency_mismatch`: same key, other params or endpoint: a bug |
 * | `StripeInvalidRequestError` 400/404 (`balance_insufficient`, `insufficient_capabilities_for_transfer`, `parameter_*`, `resource_missing`) | `definitive_failure` with `code` |
 * | `StripeAuthenticationError` 401, `StripePermissionError` 403 (except `account_invalid`) | `definitive_failure`, `stopRun: true` (every call will fail) |
 * | anything else 4xx                                                           | `definitive_failure` |
 * | not a Stripe error (a bug before/around the call)                           | `unknown_outcome` `non_stripe_error` (conservative) |
 *
 * `Stripe-Should-Retry` (`shouldRetryHeader`) is reported on every outcome; `callStripe` does not
 * retry within the call when it is `"false"`. Classes are matched by their `type` name as well as
 * by `instanceof`, so a second copy of the SDK module cannot break the classification.
 */
import Stripe from "stripe";

/** Why a same-key retry is appropriate. */
export type RetryReason =
  | "connection_error"
  | "timeout"
  | "rate_limited"
  | "lock_timeout"
  | "idempotency_key_in_use"
  | "should_retry"
  | "invalid_response";

/** Fields every outcome carries (for logs and decisions). */
interface OutcomeBase {
  /** HTTP status, when a response arrived. */
  status?: number;
  /** Stripe `request-id`, when a response arrived. */
  requestId?: string;
  /** Value of `Stripe-Should-Retry`, when sent. */
  shouldRetryHeader?: "true" | "false";
  /** False only when Stripe certainly did not execute the request (nothing can have moved). */
  mayHaveExecuted: boolean;
}

/** Retry the same request with the SAME idempotency key after `delayMs`. */
export interface RetrySameKey extends OutcomeBase {
  kind: "retry_same_key";
  reason: RetryReason;
  delayMs: number;
  /** A 429 rate limit: pause the pacer for everyone, not just this call. */
  rateLimited: boolean;
}

/** Stripe stored a 5xx (or we cannot tell what happened): do not retry blindly; reconcile. */
export interface UnknownOutcome extends OutcomeBase {
  kind: "unknown_outcome";
  reason: string;
  mayHaveExecuted: true;
}

/** Stripe refused the request; nothing moved. `code` is Stripe's error code (or the error type). */
export interface DefinitiveFailure extends OutcomeBase {
  kind: "definitive_failure";
  code: string;
  message: string;
  /** Parameter named by Stripe, if any. */
  param?: string;
  /** Configuration problem (bad key, missing permission): stop the run instead of failing every item. */
  stopRun: boolean;
  mayHaveExecuted: false;
}

/** The idempotency key was used before with other parameters or on another endpoint: a bug. */
export interface IdempotencyMismatch extends OutcomeBase {
  kind: "idempotency_mismatch";
  message: string;
  mayHaveExecuted: true;
}

/** What to do after a failed Stripe call. */
export type StripeFailure = RetrySameKey | UnknownOutcome | DefinitiveFailure | IdempotencyMismatch;

/** Options of `classifyStripeError`. */
export interface ClassifyOptions {
  /** 1-based number of the attempt that failed (drives the backoff; default 1). */
  attempt?: number;
  /** Milliseconds clock, for HTTP-date `Retry-After` (default `Date.now`). */
  now?: () => number;
  /** Random in [0, 1) for backoff jitter (default `Math.random`). */
  random?: () => number;
  /** Backoff base (default 500 ms) and cap (default 5000 ms), as the SDK uses. */
  baseDelayMs?: number;
  maxBackoffMs?: number;
}

/** Exponential backoff with jitter: min(base·2^(attempt−1), cap) scaled to [½, 1], never below base. */
export function backoffMs(
  attempt: number,
  opts: Pick<ClassifyOptions, "random" | "baseDelayMs" | "maxBackoffMs"> = {},
): number {
  const base = opts.baseDelayMs ?? 500;
  const cap = opts.maxBackoffMs ?? 5000;
  const random = opts.random ?? Math.random;
  const raw = Math.min(base * 2 ** Math.max(0, attempt - 1), cap);
  return Math.round(Math.max(base, raw * 0.5 * (1 + random())));
}

/** Parses `Retry-After` (delta seconds, fractional accepted, or an HTTP date) into ms; undefined if absent/invalid. */
export function parseRetryAfter(value: unknown, now: () => number = Date.now): number | undefined {
  if (typeof value !== "string" || value.trim() === "") return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now());
}

type ErrLike = Record<string, unknown> & { message?: unknown };

function header(headers: unknown, name: string): string | undefined {
  if (!headers) return undefined;
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  if (typeof headers !== "object") return undefined;
  const h = headers as Record<string, unknown>;
  const v = h[name] ?? Object.entries(h).find(([k]) => k.toLowerCase() === name)?.[1];
  if (Array.isArray(v)) return typeof v[0] === "string" ? v[0] : undefined;
  return typeof v === "string" ? v : undefined;
}

function is(err: ErrLike, cls: new (...a: never[]) => unknown, name: string): boolean {
  return err instanceof cls || err.type === name;
}

/** True for errors produced by the Stripe SDK. */
export function isStripeError(err: unknown): boolean {
  if (!err || typeof err !== "object") return false;
  const e = err as ErrLike;
  return err instanceof Stripe.errors.StripeError || (typeof e.type === "string" && e.type.startsWith("Stripe") &&
    "raw" in e);
}

/** Classifies one failed Stripe call (see the module doc for the table). */
export function classifyStripeError(err: unknown, opts: ClassifyOptions = {}): StripeFailure {
  const attempt = opts.attempt ?? 1;
  const now = opts.now ?? Date.now;
  const backoff = () => backoffMs(attempt, opts);
  if (!isStripeError(err)) {
    return { kind: "unknown_outcome", reason: "non_stripe_error", mayHaveExecuted: true };
  }
  const e = err as ErrLike;
  const E = Stripe.errors;
  const status = typeof e.statusCode === "number" ? e.statusCode : undefined;
  const requestId = typeof e.requestId === "string" ? e.requestId : undefined;
  const sr = header(e.headers, "stripe-should-retry");
  const shouldRetryHeader: "true" | "false" | undefined = sr === "true" || sr === "false" ? sr : undefined;
  const code = typeof e.code === "string" ? e.code : undefined;
  const message = typeof e.message === "string" ? e.message : "";
  const base: Pick<OutcomeBase, "status" | "requestId" | "shouldRetryHeader"> = {
    ...(status !== undefined ? { status } : {}),
    ...(requestId ? { requestId } : {}),
    ...(shouldRetryHeader ? { shouldRetryHeader } : {}),
  };

  if (is(e, E.StripeConnectionError, "StripeConnectionError")) {
    const detail = e.detail as ErrLike | undefined;
    const timeout = detail?.code === "ETIMEDOUT" || message.startsWith("Request aborted due to timeout");
    return {
      kind: "retry_same_key",
      reason: timeout ? "timeout" : "connection_error",
      delayMs: backoff(),
      rateLimited: false,
      mayHaveExecuted: true,
      ...base,
    };
  }

  if (is(e, E.StripeRateLimitError, "StripeRateLimitError")) {
    const lock = code === "lock_timeout";
    return {
      kind: "retry_same_key",
      reason: lock ? "lock_timeout" : "rate_limited",
      delayMs: parseRetryAfter(header(e.headers, "retry-after"), now) ?? backoff(),
      rateLimited: !lock,
      mayHaveExecuted: false,
      ...base,
    };
  }

  if (
    is(e, E.StripeIdempotencyError, "StripeIdempotencyError") || (status === 400 && e.rawType === "idempotency_error")
  ) {
    return { kind: "idempotency_mismatch", message, mayHaveExecuted: true, ...base };
  }

  if (status === 409) {
    return {
      kind: "retry_same_key",
      reason: "idempotency_key_in_use",
      delayMs: parseRetryAfter(header(e.headers, "retry-after"), now) ?? backoff(),
      rateLimited: false,
      mayHaveExecuted: true,
      ...base,
    };
  }

  if (status !== undefined && status >= 500) {
    if (shouldRetryHeader === "true") {
      return {
        kind: "retry_same_key",
        reason: "should_retry",
        delayMs: parseRetryAfter(header(e.headers, "retry-after"), now) ?? backoff(),
        rateLimited: false,
        mayHaveExecuted: true,
        ...base,
      };
    }
    return { kind: "unknown_outcome", reason: `stripe_${status}`, mayHaveExecuted: true, ...base };
  }

  if (status === undefined) {
    if (is(e, E.StripeAPIError, "StripeAPIError")) {
      // The SDK could not parse the body (e.g. an HTML 502 of a proxy): the status is lost.
      return {
        kind: "retry_same_key",
        reason: "invalid_response",
        delayMs: backoff(),
        rateLimited: false,
        mayHaveExecuted: true,
        ...base,
      };
    }
    return { kind: "unknown_outcome", reason: "unclassified_stripe_error", mayHaveExecuted: true, ...base };
  }

  // 4xx: Stripe refused; with the same key the stored refusal is authoritative, nothing moved.
  const stopRun = status === 401 || (status === 403 && code !== "account_invalid");
  return {
    kind: "definitive_failure",
    code: code ?? (typeof e.rawType === "string" ? e.rawType : String(e.type ?? "stripe_error")),
    message,
    ...(typeof e.param === "string" ? { param: e.param } : {}),
    stopRun,
    mayHaveExecuted: false,
    ...base,
  };
}
