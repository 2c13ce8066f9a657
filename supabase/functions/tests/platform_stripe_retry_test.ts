/**
 * stripe_retry.ts, proven against REAL stripe-node 23.1.0 errors: each case drives the SDK
 * (`maxNetworkRetries: 0`, fetch client, as `createStripe` configures it) against the in-process
 * Stripe stand-in with a fault injected through its control API, then classifies what the SDK threw.
 */
import assert from "node:assert/strict";
import Stripe from "stripe";
import type { StandIn } from "../../../local/stripe/server.ts";
import {
  backoffMs,
  classifyStripeError,
  parseRetryAfter,
  type StripeFailure,
} from "../_shared/platform/stripe_retry.ts";
import { control as ctl, requestLog, standinSdk, withStandIn } from "./standin_test_support.ts";

const KEY = "sk_test_shared_retry";

/** The SDK against an in-process stand-in, with a connected account. */
const withSdk = (fn: (s: StandIn, stripe: Stripe, acct: string) => Promise<void>, timeoutMs = 5_000) =>
  withStandIn((s, acct) => fn(s, standinSdk(s, { secretKey: KEY, timeoutMs }), acct));

async function caught(p: Promise<unknown>): Promise<Stripe.errors.StripeError> {
  try {
    await p;
  } catch (e) {
    return e as Stripe.errors.StripeError;
  }
  throw new Error("expected the SDK call to reject");
}

const transfer = (stripe: Stripe, destination: string, key: string, amount = 1000) =>
  stripe.transfers.create(
    { amount, currency: "usd", destination, transfer_group: "g1", metadata: { payout_id: "po_1" } },
    { idempotencyKey: key },
  );

const fixed = { random: () => 0.5, now: () => Date.parse("2026-11-27T12:00:00Z") };

Deno.test("stripe_retry: 500 after the transfer moved -> unknown_outcome (stored under the key; a retry replays the 500)", async () => {
  await withSdk(async (s, stripe, acct) => {
    await ctl(s, "POST", "/_standin/faults", { kind: "error_500_after", path: "/v1/transfers" });
    const err = await caught(transfer(stripe, acct, "k-500"));
    assert.ok(err instanceof Stripe.errors.StripeAPIError);
    assert.equal(err.statusCode, 500);
    const c = classifyStripeError(err, fixed);
    assert.equal(c.kind, "unknown_outcome");
    assert.equal(c.status, 500);
    assert.equal(c.mayHaveExecuted, true);
    assert.ok(c.requestId?.startsWith("req_"));
    // The money moved, and retrying with the same key only replays the stored 500.
    const again = await caught(transfer(stripe, acct, "k-500"));
    assert.equal(again.statusCode, 500);
    assert.equal((again.headers as Record<string, string>)["idempotent-replayed"], "true");
    assert.equal(classifyStripeError(again, fixed).kind, "unknown_outcome");
    const ledger = await ctl<{ transfers: unknown[] }>(s, "GET", "/_standin/ledger");
    assert.equal(ledger.transfers.length, 1);
  });
});

Deno.test("stripe_retry: 500 with Stripe-Should-Retry: true -> retry_same_key", async () => {
  await withSdk(async (s, stripe, acct) => {
    await ctl(s, "POST", "/_standin/faults", { kind: "error_500_before", store: false, should_retry: true });
    const err = await caught(transfer(stripe, acct, "k-500-sr"));
    const c = classifyStripeError(err, fixed);
    assert.equal(c.kind, "retry_same_key");
    assert.equal(c.kind === "retry_same_key" && c.reason, "should_retry");
    assert.equal(c.shouldRetryHeader, "true");
  });
});

Deno.test("stripe_retry: dropped connection (before or after execution) -> StripeConnectionError -> retry_same_key; no hidden SDK retry", async () => {
  await withSdk(async (s, stripe, acct) => {
    for (const kind of ["drop_before", "drop_after"] as const) {
      const key = `k-${kind}`;
      await ctl(s, "POST", "/_standin/faults", { kind, path: "/v1/transfers" });
      const err = await caught(transfer(stripe, acct, key));
      assert.ok(err instanceof Stripe.errors.StripeConnectionError, `${kind}: ${err?.constructor?.name}`);
      assert.equal(err.statusCode, undefined);
      const c = classifyStripeError(err, { ...fixed, attempt: 2 });
      assert.deepEqual(c, {
        kind: "retry_same_key",
        reason: "connection_error",
        delayMs: 750, // backoff: min(500·2^(2-1), 5000) · 0.75, never < 500
        rateLimited: false,
        mayHaveExecuted: true,
      });
      // maxNetworkRetries 0 really means one request under Deno's fetch client
      assert.equal((await requestLog(s, { idempotency_key: key })).length, 1, kind);
      // and the same key settles it: drop_after replays the transfer that was made, drop_before makes it
      const t = await transfer(stripe, acct, key);
      assert.match(t.id, /^tr_/);
    }
    const ledger = await ctl<{ transfers: unknown[] }>(s, "GET", "/_standin/ledger");
    assert.equal(ledger.transfers.length, 2);
  });
});

Deno.test("stripe_retry: client timeout -> StripeConnectionError (ETIMEDOUT) -> retry_same_key timeout", async () => {
  await withSdk(async (s, stripe, acct) => {
    await ctl(s, "POST", "/_standin/faults", { kind: "latency", latency_ms: 400, path: "/v1/transfers" });
    const err = await caught(transfer(stripe, acct, "k-timeout"));
    assert.ok(err instanceof Stripe.errors.StripeConnectionError);
    assert.match(err.message, /timeout/);
    const c = classifyStripeError(err, fixed);
    assert.equal(c.kind, "retry_same_key");
    assert.equal(c.kind === "retry_same_key" && c.reason, "timeout");
    // let the stand-in finish the slow request before closing
    await new Promise((r) => setTimeout(r, 450));
  }, 100);
});

Deno.test("stripe_retry: 429 with Retry-After and Stripe-Should-Retry -> retry_same_key rate_limited, delay from Retry-After", async () => {
  await withSdk(async (s, stripe, acct) => {
    await ctl(s, "POST", "/_standin/faults", { kind: "rate_limit", retry_after: 2 });
    const err = await caught(transfer(stripe, acct, "k-429"));
    assert.ok(err instanceof Stripe.errors.StripeRateLimitError);
    assert.equal(err.statusCode, 429);
    assert.equal((err.headers as Record<string, string>)["retry-after"], "2");
    assert.equal((err.headers as Record<string, string>)["stripe-should-retry"], "true");
    assert.deepEqual(classifyStripeError(err, fixed), {
      kind: "retry_same_key",
      reason: "rate_limited",
      delayMs: 2000,
      rateLimited: true,
      mayHaveExecuted: false,
      status: 429,
      requestId: err.requestId,
      shouldRetryHeader: "true",
    });
    // without Retry-After: the backoff; with Stripe-Should-Retry: false it is still a same-key case
    await ctl(s, "POST", "/_standin/faults", { kind: "rate_limit", retry_after: null, should_retry: false });
    const err2 = await caught(transfer(stripe, acct, "k-429b"));
    const c2 = classifyStripeError(err2, fixed);
    assert.equal(c2.kind, "retry_same_key");
    assert.equal(c2.kind === "retry_same_key" && c2.delayMs, 500);
    assert.equal(c2.shouldRetryHeader, "false");
  });
});

Deno.test("stripe_retry: 409 idempotency key in use -> retry_same_key", async () => {
  await withSdk(async (s, stripe, acct) => {
    await ctl(s, "POST", "/_standin/faults", { kind: "latency", latency_ms: 300, path: "/v1/transfers" });
    const first = transfer(stripe, acct, "k-409");
    await new Promise((r) => setTimeout(r, 80));
    const err = await caught(transfer(stripe, acct, "k-409"));
    assert.ok(err instanceof Stripe.errors.StripeAPIError, err?.constructor?.name);
    assert.equal(err.statusCode, 409);
    assert.equal(err.code, "idempotency_key_in_use");
    assert.equal(err.rawType, "idempotency_error");
    const c = classifyStripeError(err, fixed);
    assert.equal(c.kind, "retry_same_key");
    assert.equal(c.kind === "retry_same_key" && c.reason, "idempotency_key_in_use");
    assert.equal(c.mayHaveExecuted, true);
    assert.match((await first).id, /^tr_/);
  });
});

Deno.test("stripe_retry: balance_insufficient and a destination without transfers capability -> definitive_failure", async () => {
  await withSdk(async (s, stripe, acct) => {
    await ctl(s, "POST", "/_standin/balance", { usd: 500 });
    const err = await caught(transfer(stripe, acct, "k-bal", 1000));
    assert.ok(err instanceof Stripe.errors.StripeInvalidRequestError);
    const c = classifyStripeError(err, fixed);
    assert.equal(c.kind, "definitive_failure");
    assert.equal(c.kind === "definitive_failure" && c.code, "balance_insufficient");
    assert.equal(c.kind === "definitive_failure" && c.stopRun, false);
    assert.equal(c.mayHaveExecuted, false);

    const { account } = await ctl<{ account: { id: string } }>(s, "POST", "/_standin/accounts", {
      capabilities: { transfers: "inactive" },
    });
    const err2 = await caught(transfer(stripe, account.id, "k-cap", 100));
    const c2 = classifyStripeError(err2, fixed);
    assert.equal(c2.kind, "definitive_failure");
    assert.equal(c2.kind === "definitive_failure" && c2.code, "insufficient_capabilities_for_transfer");

    // the injected variants give the same classification
    await ctl(s, "POST", "/_standin/faults", { faults: [{ kind: "balance_insufficient" }, { kind: "no_capability" }] });
    const c3 = classifyStripeError(await caught(transfer(stripe, acct, "k-f1", 100)), fixed);
    const c4 = classifyStripeError(await caught(transfer(stripe, acct, "k-f2", 100)), fixed);
    assert.deepEqual([c3.kind, c4.kind], ["definitive_failure", "definitive_failure"]);
  });
});

Deno.test("stripe_retry: invalid request, unknown destination -> definitive_failure with code and param", async () => {
  await withSdk(async (_s, stripe, acct) => {
    const c = classifyStripeError(await caught(transfer(stripe, acct, "k-zero", 0)), fixed);
    assert.equal(c.kind, "definitive_failure");
    assert.equal(c.kind === "definitive_failure" && c.code, "parameter_invalid_integer");
    assert.equal(c.kind === "definitive_failure" && c.param, "amount");
    const c2 = classifyStripeError(await caught(transfer(stripe, "acct_doesnotexist", "k-dest", 10)), fixed);
    assert.equal(c2.kind === "definitive_failure" && c2.code, "resource_missing");
  });
});

Deno.test("stripe_retry: same key with other params -> StripeIdempotencyError -> idempotency_mismatch", async () => {
  await withSdk(async (_s, stripe, acct) => {
    await transfer(stripe, acct, "k-reuse", 100);
    const err = await caught(transfer(stripe, acct, "k-reuse", 200));
    assert.ok(err instanceof Stripe.errors.StripeIdempotencyError);
    assert.equal(err.statusCode, 400);
    const c = classifyStripeError(err, fixed);
    assert.equal(c.kind, "idempotency_mismatch");
    assert.equal(c.mayHaveExecuted, true);
  });
});

Deno.test("stripe_retry: bad API key -> 401 StripeAuthenticationError -> definitive_failure stopRun", async () => {
  await withStandIn(async (s) => {
    const bad = standinSdk(s, { secretKey: "sk_test_bad-key" });
    const err = await caught(bad.balance.retrieve());
    assert.ok(err instanceof Stripe.errors.StripeAuthenticationError);
    const c = classifyStripeError(err, fixed);
    assert.equal(c.kind, "definitive_failure");
    assert.equal(c.kind === "definitive_failure" && c.stopRun, true);
  });
});

Deno.test("stripe_retry: errors without a response or outside the SDK", () => {
  // the SDK's error for an unparseable body (e.g. an HTML 502 from a proxy) has no status
  const invalidJson = new Stripe.errors.StripeAPIError(
    { message: "Invalid JSON received from the Stripe API" } as never,
  );
  const c = classifyStripeError(invalidJson, fixed);
  assert.equal(c.kind === "retry_same_key" && c.reason, "invalid_response");
  assert.deepEqual(classifyStripeError(new TypeError("x is undefined"), fixed), {
    kind: "unknown_outcome",
    reason: "non_stripe_error",
    mayHaveExecuted: true,
  });
  assert.equal(classifyStripeError(null).kind, "unknown_outcome");
  // a 503 from Stripe with JSON and Should-Retry false: stored, reconcile
  const e503 = new Stripe.errors.StripeAPIError(
    { message: "x", statusCode: 503, headers: { "stripe-should-retry": "false" } } as never,
  );
  const c503: StripeFailure = classifyStripeError(e503, fixed);
  assert.equal(c503.kind, "unknown_outcome");
  // classes matched by name too (a second copy of the SDK module)
  const foreign = Object.assign(new Error("conn"), { type: "StripeConnectionError", raw: {} });
  assert.equal(classifyStripeError(foreign, fixed).kind, "retry_same_key");
  // 403 account_invalid is about one account, other 403s stop the run
  const e403 = (code?: string) =>
    classifyStripeError(new Stripe.errors.StripePermissionError({ message: "x", statusCode: 403, code } as never));
  assert.equal((e403("account_invalid") as { stopRun: boolean }).stopRun, false);
  assert.equal((e403() as { stopRun: boolean }).stopRun, true);
  // lock_timeout 429: retry, but not a rate problem
  const lock = classifyStripeError(
    new Stripe.errors.StripeRateLimitError({ message: "x", statusCode: 429, code: "lock_timeout" } as never),
    fixed,
  );
  assert.equal(lock.kind === "retry_same_key" && lock.rateLimited, false);
});

Deno.test("stripe_retry: Retry-After parsing and backoff", () => {
  const now = () => Date.parse("2026-11-27T12:00:00Z");
  assert.equal(parseRetryAfter("1", now), 1000);
  assert.equal(parseRetryAfter("0.25", now), 250);
  assert.equal(parseRetryAfter("Fri, 27 Nov 2026 12:00:03 GMT", now), 3000);
  assert.equal(parseRetryAfter("Fri, 27 Nov 2026 11:00:00 GMT", now), 0);
  assert.equal(parseRetryAfter("soon", now), undefined);
  assert.equal(parseRetryAfter(undefined, now), undefined);
  assert.equal(backoffMs(1, { random: () => 0 }), 500);
  assert.equal(backoffMs(3, { random: () => 0.999999 }), 2000);
  assert.equal(backoffMs(10, { random: () => 0.999999 }), 5000);
  assert.equal(backoffMs(10, { random: () => 0 }), 2500);
});
