/**
 * stripe.ts: the configured SDK instance and `callStripe` (pacing + same-key retries), against the
 * in-process Stripe stand-in. Pacing and retry delays run on a fake clock (no real sleeping).
 */
import assert from "node:assert/strict";
import Stripe from "stripe";
import type { StandIn } from "../../../local/stripe/server.ts";
import { loadEnv, stripeEnv } from "../_shared/platform/env.ts";
import { createPacer, type Pacer } from "../_shared/platform/pacer.ts";
import { APP_INFO, callStripe, createStripe, STRIPE_API_VERSION, StripeReadFailed } from "../_shared/platform/stripe.ts";
import { control as ctl, requestLog, withStandIn } from "./standin_test_support.ts";

const KEY = "sk_test_shared_stripe";

/** A clock whose sleep returns at once and advances time (sequential callers only). */
function instantClock(start = 1_000_000) {
  let now = start;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: (ms: number) => {
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
    sleeps,
  };
}

interface Ctx {
  s: StandIn;
  stripe: Stripe;
  acct: string;
  pacer: Pacer;
  clock: ReturnType<typeof instantClock>;
  sent: Array<{ url: string; headers: Headers }>;
}

function withCtx(fn: (c: Ctx) => Promise<void>) {
  return withStandIn(async (s, acct) => {
    const env = loadEnv(stripeEnv, (k) => ({ STRIPE_SECRET_KEY: KEY, STRIPE_API_BASE: s.url })[k]);
    const sent: Ctx["sent"] = [];
    const recordingFetch: typeof fetch = (input, init) => {
      sent.push({ url: String(input), headers: new Headers(init?.headers) });
      return fetch(input, init);
    };
    const stripe = createStripe(env, { httpClient: Stripe.createFetchHttpClient(recordingFetch) });
    const clock = instantClock();
    const pacer = createPacer({ ratePerSec: env.maxRps, now: clock.now, sleep: clock.sleep });
    await fn({ s, stripe, acct, pacer, clock, sent });
  });
}

const params = (destination: string, amount = 1000) => ({
  amount,
  currency: "usd",
  destination,
  transfer_group: "run-1",
  metadata: { payout_id: "po_1" },
});

Deno.test("stripe: createStripe pins the API version, targets STRIPE_API_BASE, identifies the app, disables SDK retries", async () => {
  assert.equal(STRIPE_API_VERSION, Stripe.API_VERSION);
  await withCtx(async ({ s, stripe, sent }) => {
    const bal = await stripe.balance.retrieve();
    assert.equal(bal.object, "balance");
    assert.equal(sent.length, 1);
    assert.equal(new URL(sent[0].url).origin, s.url);
    assert.equal(sent[0].headers.get("stripe-version"), "2026-10-28.endive");
    assert.match(sent[0].headers.get("user-agent") ?? "", new RegExp(`${APP_INFO.name}/${APP_INFO.version}`));
    assert.equal(stripe.getMaxNetworkRetries(), 0);
    assert.equal(stripe.getApiField("timeout"), 20_000);
  });
  // without STRIPE_API_BASE: real Stripe
  const real = createStripe({ secretKey: "sk_test_x", apiBase: null, timeoutMs: 1000 });
  assert.equal(real.getApiField("host"), "api.stripe.com");
  assert.equal(real.getApiField("protocol"), "https");
});

Deno.test("stripe: callStripe returns ok on the first attempt and paces calls", async () => {
  await withCtx(async ({ stripe, acct, pacer, clock }) => {
    for (let i = 0; i < 3; i++) {
      const r = await callStripe(pacer, () => stripe.transfers.create(params(acct), { idempotencyKey: `k-ok-${i}` }));
      assert.equal(r.kind, "ok");
      assert.equal(r.kind === "ok" && r.attempts, 1);
      assert.match(r.kind === "ok" ? r.value.id : "", /^tr_/);
    }
    // 3 calls at 20/s: the 2nd and 3rd waited 50 ms each (fake clock)
    assert.deepEqual(clock.sleeps, [50, 50]);
  });
});

Deno.test("stripe: a dropped response is retried with the same key and settles on the ONE transfer made", async () => {
  await withCtx(async ({ s, stripe, acct, pacer, clock }) => {
    await ctl(s, "POST", "/_standin/faults", { kind: "drop_after", path: "/v1/transfers" });
    const retries: string[] = [];
    const r = await callStripe(
      pacer,
      () => stripe.transfers.create(params(acct), { idempotencyKey: "k-drop" }),
      { random: () => 0, onRetry: (o, attempt) => retries.push(`${attempt}:${o.reason}`) },
    );
    assert.equal(r.kind, "ok");
    assert.equal(r.attempts, 2);
    assert.deepEqual(retries, ["1:connection_error"]);
    assert.deepEqual(clock.sleeps, [500]); // backoff, then the pacer had nothing to wait for
    const log = await requestLog(s, { idempotency_key: "k-drop" });
    assert.deepEqual(log.map((x) => [x.dropped, x.replayed]), [[true, false], [false, true]]);
    const ledger = await ctl<{ transfers: unknown[] }>(s, "GET", "/_standin/ledger");
    assert.equal(ledger.transfers.length, 1);
  });
});

Deno.test("stripe: a 429 pauses the pacer for Retry-After, then the same key succeeds", async () => {
  await withCtx(async ({ s, stripe, acct, pacer, clock }) => {
    await ctl(s, "POST", "/_standin/faults", { kind: "rate_limit", retry_after: 1 });
    const t0 = clock.now();
    const r = await callStripe(pacer, () => stripe.transfers.create(params(acct), { idempotencyKey: "k-429" }));
    assert.equal(r.kind, "ok");
    assert.equal(r.attempts, 2);
    assert.equal(pacer.pausedUntil, t0 + 1000);
    assert.equal(clock.now() - t0, 1000); // waited exactly Retry-After (the SDK itself would ignore it)
    assert.deepEqual((await requestLog(s, { idempotency_key: "k-429" })).map((x) => x.status), [429, 200]);
  });
});

Deno.test("stripe: retries are bounded; exhausted results say whether money may have moved", async () => {
  await withCtx(async ({ s, stripe, acct, pacer }) => {
    await ctl(s, "POST", "/_standin/faults", { kind: "rate_limit", times: 5 });
    const r = await callStripe(pacer, () => stripe.transfers.create(params(acct), { idempotencyKey: "k-x429" }), {
      maxAttempts: 3,
    });
    assert.equal(r.kind, "retry_same_key");
    assert.ok(r.kind === "retry_same_key" && r.exhausted);
    assert.equal(r.attempts, 3);
    assert.equal(r.mayHaveExecuted, false); // only 429s: nothing executed, keep the key and retry later
    assert.equal((await requestLog(s, { idempotency_key: "k-x429" })).length, 3);
    await ctl(s, "DELETE", "/_standin/faults");

    await ctl(s, "POST", "/_standin/faults", { kind: "drop_before", times: 2 });
    const r2 = await callStripe(pacer, () => stripe.transfers.create(params(acct), { idempotencyKey: "k-xdrop" }), {
      maxAttempts: 2,
      random: () => 0,
    });
    assert.equal(r2.kind, "retry_same_key");
    assert.equal(r2.mayHaveExecuted, true);
    assert.ok(r2.kind === "retry_same_key" && r2.error instanceof Stripe.errors.StripeConnectionError);
  });
});

Deno.test("stripe: Stripe-Should-Retry: false stops in-call retries; the budget stops long waits", async () => {
  await withCtx(async ({ s, stripe, acct, pacer }) => {
    await ctl(s, "POST", "/_standin/faults", { kind: "rate_limit", should_retry: false });
    const r = await callStripe(pacer, () => stripe.transfers.create(params(acct), { idempotencyKey: "k-sr" }));
    assert.equal(r.kind, "retry_same_key");
    assert.equal(r.attempts, 1);
    assert.equal(r.shouldRetryHeader, "false");

    await ctl(s, "POST", "/_standin/faults", { kind: "rate_limit", retry_after: 30 });
    const r2 = await callStripe(pacer, () => stripe.transfers.create(params(acct), { idempotencyKey: "k-long" }), {
      maxDelayMs: 10_000,
    });
    assert.equal(r2.kind === "retry_same_key" && r2.exhausted && r2.delayMs, 30_000);
    assert.equal(r2.attempts, 1);

    await ctl(s, "POST", "/_standin/faults", { kind: "rate_limit", retry_after: 2 });
    const r3 = await callStripe(pacer, () => stripe.transfers.create(params(acct), { idempotencyKey: "k-budget" }), {
      budget: { remainingMs: () => 5_000 },
      minRemainingMs: 4_000,
    });
    assert.equal(r3.kind === "retry_same_key" && r3.exhausted, true);
    assert.equal(r3.attempts, 1);
  });
});

Deno.test("stripe: unknown outcomes and definitive failures are returned at once, never retried", async () => {
  await withCtx(async ({ s, stripe, acct, pacer }) => {
    await ctl(s, "POST", "/_standin/faults", { kind: "error_500_after", path: "/v1/transfers" });
    const r = await callStripe(pacer, () => stripe.transfers.create(params(acct), { idempotencyKey: "k-500" }));
    assert.equal(r.kind, "unknown_outcome");
    assert.equal(r.attempts, 1);
    assert.equal((await requestLog(s, { idempotency_key: "k-500" })).length, 1);

    await ctl(s, "POST", "/_standin/balance", { usd: 10 });
    const r2 = await callStripe(pacer, () => stripe.transfers.create(params(acct), { idempotencyKey: "k-bal" }));
    assert.equal(r2.kind, "definitive_failure");
    assert.equal(r2.kind === "definitive_failure" && r2.code, "balance_insufficient");
    assert.equal(r2.attempts, 1);

    const r3 = await callStripe(pacer, () => stripe.transfers.create(params(acct, 5), { idempotencyKey: "k-bal" }));
    assert.equal(r3.kind, "idempotency_mismatch");

    const r4 = await callStripe(pacer, () => Promise.reject(new TypeError("bug")));
    assert.equal(r4.kind, "unknown_outcome");
  });
});

Deno.test("stripe: a failed read a job depends on is a 502 naming the cause; the log keeps which read and how", async () => {
  await withCtx(async ({ s, stripe, pacer }) => {
    await ctl(s, "POST", "/_standin/faults", { kind: "drop_before", times: 2 });
    const lost = await callStripe(pacer, () => stripe.transfers.list({ limit: 1 }), { maxAttempts: 2, random: () => 0 });
    assert.ok(lost.kind === "retry_same_key", lost.kind);
    const unavailable = new StripeReadFailed("transfers.list", lost);
    assert.deepEqual([unavailable.status, unavailable.toBody()], [502, {
      error: "bad_gateway",
      reason: "stripe_unavailable",
    }]);
    assert.equal(unavailable.message, "transfers.list: retry_same_key (connection_error)");

    const refused = await callStripe(pacer, () => stripe.transfers.retrieve("tr_nobodyknows"));
    assert.ok(refused.kind === "definitive_failure", refused.kind);
    const e = new StripeReadFailed("transfers.retrieve tr_nobodyknows", refused);
    assert.deepEqual([e.status, e.toBody().reason], [502, "stripe_refused"]);
    assert.equal(e.message, "transfers.retrieve tr_nobodyknows: definitive_failure (resource_missing)");
  });
});
