/**
 * Stripe stand-in, exercised with the REAL stripe SDK (`stripe` 23.1.0 from package.json).
 * Run: cd /work/main && npx deno test -A local/tests/stripe_standin_test.ts
 * Each test starts its own stand-in on a free port and closes it.
 */
import assert from "node:assert/strict";
import Stripe from "stripe";
import { RateLimiter } from "../stripe/faults.ts";
import { parseForm } from "../stripe/form.ts";
import { PINNED_API_VERSION, signStripePayload, type StandIn, startStripeStandIn } from "../stripe/server.ts";

const KEY = "sk_test_standin";
const PLATFORM_SECRET = "whsec_test_platform";
const CONNECT_SECRET = "whsec_test_connect";

function sdk(s: StandIn, opts: { maxNetworkRetries?: number; timeout?: number } = {}): Stripe {
  return new Stripe(KEY, {
    host: "127.0.0.1",
    port: s.port,
    protocol: "http",
    apiVersion: PINNED_API_VERSION,
    maxNetworkRetries: opts.maxNetworkRetries ?? 0,
    timeout: opts.timeout,
    telemetry: false,
  });
}

async function ctl<T = Record<string, unknown>>(s: StandIn, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${s.url}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const out = await res.json();
  if (!res.ok) throw new Error(`control ${method} ${path} -> ${res.status}: ${JSON.stringify(out)}`);
  return out as T;
}

async function withStandIn(
  fn: (s: StandIn) => Promise<void>,
  opts: Partial<Parameters<typeof startStripeStandIn>[0]> = {},
): Promise<void> {
  const s = await startStripeStandIn({ port: 0, ...opts });
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}

async function account(s: StandIn, body: Record<string, unknown> = {}): Promise<string> {
  const r = await ctl<{ account: { id: string } }>(s, "POST", "/_standin/accounts", body);
  return r.account.id;
}

/** `lastResponse.headers` is a fetch `Headers` object under Deno (the SDK's fetch client). */
function replayed(r: { lastResponse: { headers: unknown } }): string | null {
  const h = r.lastResponse.headers;
  return h instanceof Headers
    ? h.get("idempotent-replayed")
    : (h as Record<string, string>)["idempotent-replayed"] ?? null;
}

function transfersInLedger(s: StandIn) {
  return [...s.state.ledger.transfers.values()];
}

async function rejectsWith(p: Promise<unknown>, check: Record<string, unknown>): Promise<Stripe.errors.StripeError> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  assert.ok(caught, `expected rejection matching ${JSON.stringify(check)}`);
  const e = caught as Stripe.errors.StripeError & Record<string, unknown>;
  for (const [k, v] of Object.entries(check)) {
    assert.equal(e[k], v, `${k}: ${String(e[k])} !== ${String(v)} (${e.message})`);
  }
  return e;
}

Deno.test("pinned API version is the SDK's default", () => {
  assert.equal(PINNED_API_VERSION, Stripe.API_VERSION);
});

Deno.test("form parser: nested keys, arrays, encoding", () => {
  assert.deepEqual(
    parseForm(
      "amount=100&metadata[payout_id]=po_1&metadata%5Bx%5D=a+b&expand[0]=x&expand[1]=y&created[gte]=5&t[]=1&t[]=2",
    ),
    {
      amount: "100",
      metadata: { payout_id: "po_1", x: "a b" },
      expand: ["x", "y"],
      created: { gte: "5" },
      t: ["1", "2"],
    },
  );
  assert.throws(() => parseForm("__proto__[x]=1"));
});

Deno.test("create transfers and list by transfer_group across >100 items", async () => {
  await withStandIn(async (s) => {
    const stripe = sdk(s);
    const dest = await account(s);
    const other = await account(s);
    const N = 130;
    for (let i = 0; i < N; i += 10) {
      await Promise.all(Array.from({ length: Math.min(10, N - i) }, (_, j) =>
        stripe.transfers.create({
          amount: 100 + i + j,
          currency: "usd",
          destination: dest,
          transfer_group: "g_big",
          metadata: { payout_id: `po_${i + j}` },
        })));
    }
    for (let i = 0; i < 5; i++) {
      await stripe.transfers.create({ amount: 50, currency: "usd", destination: other, transfer_group: "g_other" });
    }
    const page1 = await stripe.transfers.list({ transfer_group: "g_big", limit: 100 });
    assert.equal(page1.object, "list");
    assert.equal(page1.url, "/v1/transfers");
    assert.equal(page1.data.length, 100);
    assert.equal(page1.has_more, true);
    const page2 = await stripe.transfers.list({
      transfer_group: "g_big",
      limit: 100,
      starting_after: page1.data[99].id,
    });
    assert.equal(page2.data.length, 30);
    assert.equal(page2.has_more, false);
    const back = await stripe.transfers.list({ transfer_group: "g_big", limit: 100, ending_before: page2.data[0].id });
    assert.deepEqual(back.data.map((t) => t.id), page1.data.map((t) => t.id));
    assert.equal(back.has_more, false);

    const all = await stripe.transfers.list({ transfer_group: "g_big", limit: 100 }).autoPagingToArray({ limit: 1000 });
    assert.equal(all.length, N);
    assert.equal(new Set(all.map((t) => t.id)).size, N);
    assert.ok(all.every((t) => t.transfer_group === "g_big" && t.destination === dest));
    // newest first: the last one created is first
    assert.equal(all[0].metadata.payout_id, "po_129");
    for (let i = 1; i < all.length; i++) assert.ok(all[i - 1].created >= all[i].created);

    const byDest = await stripe.transfers.list({ destination: other });
    assert.equal(byDest.data.length, 5);
    const dflt = await stripe.transfers.list();
    assert.equal(dflt.data.length, 10);
    assert.equal(dflt.has_more, true);
    const future = await stripe.transfers.list({ created: { gte: s.state.clock.now() + 10 } });
    assert.equal(future.data.length, 0);
    await rejectsWith(stripe.transfers.list({ limit: 101 }), { type: "StripeInvalidRequestError", param: "limit" });

    const t = await stripe.transfers.retrieve(all[5].id);
    assert.equal(t.id, all[5].id);
    assert.equal(t.object, "transfer");
    assert.equal(t.reversals.object, "list");
    assert.ok(t.balance_transaction?.toString().startsWith("txn_"));
    assert.ok(String(t.destination_payment).startsWith("py_"));

    const ledger = await ctl<{ transfers: unknown[]; platform_available: Record<string, number> }>(
      s,
      "GET",
      "/_standin/ledger",
    );
    assert.equal(ledger.transfers.length, N + 5);
    const moved = transfersInLedger(s).reduce((a, t) => a + t.amount, 0);
    assert.equal(ledger.platform_available.usd, s.state.ledger.defaultPlatformAvailable - moved);
    assert.equal(s.state.ledger.accountAvailable(other, "usd"), 250);
  });
});

Deno.test("idempotent replay returns the same transfer; one transfer in the ledger", async () => {
  await withStandIn(async (s) => {
    const stripe = sdk(s);
    const dest = await account(s);
    const params = { amount: 1234, currency: "usd", destination: dest, metadata: { payout_id: "po_1" } };
    const a = await stripe.transfers.create(params, { idempotencyKey: "payout-po_1" });
    const b = await stripe.transfers.create(params, { idempotencyKey: "payout-po_1" });
    assert.equal(a.id, b.id);
    assert.equal(replayed(a), null);
    assert.equal(replayed(b), "true");
    assert.equal(transfersInLedger(s).length, 1);
    assert.equal(s.state.ledger.accountAvailable(dest, "usd"), 1234);
  });
});

Deno.test("same idempotency key with other params or endpoint -> StripeIdempotencyError", async () => {
  await withStandIn(async (s) => {
    const stripe = sdk(s);
    const dest = await account(s);
    const t = await stripe.transfers.create({ amount: 100, currency: "usd", destination: dest }, {
      idempotencyKey: "k",
    });
    const e = await rejectsWith(
      stripe.transfers.create({ amount: 101, currency: "usd", destination: dest }, { idempotencyKey: "k" }),
      { type: "StripeIdempotencyError", statusCode: 400, rawType: "idempotency_error" },
    );
    assert.ok(e instanceof Stripe.errors.StripeIdempotencyError);
    assert.match(e.message, /same parameters/);
    const e2 = await rejectsWith(stripe.transfers.createReversal(t.id, {}, { idempotencyKey: "k" }), {
      type: "StripeIdempotencyError",
    });
    assert.match(e2.message, /same endpoint/);
    assert.equal(transfersInLedger(s).length, 1);
    assert.equal(s.state.ledger.reversals.size, 0);
  });
});

Deno.test("concurrent request with the same key while the first is in flight -> 409", async () => {
  await withStandIn(async (s) => {
    const dest = await account(s);
    await ctl(s, "POST", "/_standin/faults", { kind: "latency", latency_ms: 400, path: "/v1/transfers", times: 1 });
    const params = { amount: 500, currency: "usd", destination: dest };
    const first = sdk(s).transfers.create(params, { idempotencyKey: "dup" });
    await new Promise((r) => setTimeout(r, 100));
    const e = await rejectsWith(sdk(s).transfers.create(params, { idempotencyKey: "dup" }), {
      statusCode: 409,
      code: "idempotency_key_in_use",
      rawType: "idempotency_error",
      type: "StripeAPIError", // stripe-node maps 409 to StripeAPIError
    });
    assert.match(e.message, /another in-progress request/);
    const t = await first;
    assert.equal(transfersInLedger(s).length, 1);

    // With retries the SDK retries the 409 (same key) and ends up with the replayed transfer.
    await ctl(s, "POST", "/_standin/faults", { kind: "latency", latency_ms: 300, path: "/v1/transfers", times: 1 });
    const p1 = sdk(s).transfers.create(params, { idempotencyKey: "dup2" });
    await new Promise((r) => setTimeout(r, 50));
    const t2 = await sdk(s, { maxNetworkRetries: 2 }).transfers.create(params, { idempotencyKey: "dup2" });
    assert.equal((await p1).id, t2.id);
    assert.notEqual(t.id, t2.id);
    assert.equal(transfersInLedger(s).length, 2);
  });
});

Deno.test("500 after the transfer: SDK sees an API error, retries replay the stored 500, one transfer", async () => {
  await withStandIn(async (s) => {
    const dest = await account(s);
    await ctl(s, "POST", "/_standin/faults", {
      kind: "error_500_after",
      path: "/v1/transfers",
      metadata: { payout_id: "po_500" },
    });
    const stripe = sdk(s, { maxNetworkRetries: 2 }); // retries 500s with the same Idempotency-Key
    const params = { amount: 700, currency: "usd", destination: dest, metadata: { payout_id: "po_500" } };
    await rejectsWith(stripe.transfers.create(params, { idempotencyKey: "po_500" }), {
      type: "StripeAPIError",
      statusCode: 500,
    });
    assert.equal(transfersInLedger(s).length, 1, "the money moved exactly once");
    const log = s.state.requests.filter((r) => r.idempotency_key === "po_500");
    assert.deepEqual(log.map((r) => [r.status, r.replayed]), [[500, false], [500, true], [500, true]]);
    // a manual retry later with the same key: still the stored 500, still one transfer
    await rejectsWith(sdk(s).transfers.create(params, { idempotencyKey: "po_500" }), { statusCode: 500 });
    assert.equal(transfersInLedger(s).length, 1);
    // the caller reconciles by listing: the transfer is there
    const found = await stripe.transfers.list({ destination: dest });
    assert.equal(found.data.length, 1);
    assert.equal(found.data[0].metadata.payout_id, "po_500");
  });
});

Deno.test("500 before execution: stored (replayed) unless store=false; nothing moved", async () => {
  await withStandIn(async (s) => {
    const dest = await account(s);
    const params = { amount: 10, currency: "usd", destination: dest };
    await ctl(s, "POST", "/_standin/faults", { kind: "error_500_before", path: "/v1/transfers" });
    await rejectsWith(sdk(s).transfers.create(params, { idempotencyKey: "b1" }), { statusCode: 500 });
    assert.equal(transfersInLedger(s).length, 0);
    await rejectsWith(sdk(s).transfers.create(params, { idempotencyKey: "b1" }), { statusCode: 500 });
    assert.equal(s.state.requests.at(-1)?.replayed, true);
    assert.equal(transfersInLedger(s).length, 0);
    // in front of the idempotency layer (e.g. a load balancer): the SDK's retry executes for real
    await ctl(s, "POST", "/_standin/faults", {
      kind: "error_500_before",
      path: "/v1/transfers",
      store: false,
      status: 503,
    });
    const t = await sdk(s, { maxNetworkRetries: 1 }).transfers.create(params, { idempotencyKey: "b2" });
    assert.equal(transfersInLedger(s).length, 1);
    assert.equal(transfersInLedger(s)[0].id, t.id);
  });
});

Deno.test("dropped connection after the transfer: connection error, one transfer, retry replays it", async () => {
  await withStandIn(async (s) => {
    const dest = await account(s);
    await ctl(s, "POST", "/_standin/faults", { kind: "drop_after", path: "/v1/transfers", times: 1 });
    const params = { amount: 900, currency: "usd", destination: dest, metadata: { payout_id: "po_drop" } };
    const e = await rejectsWith(
      sdk(s, { maxNetworkRetries: 0 }).transfers.create(params, { idempotencyKey: "po_drop" }),
      {
        type: "StripeConnectionError",
      },
    );
    assert.ok(e instanceof Stripe.errors.StripeConnectionError);
    assert.equal(transfersInLedger(s).length, 1);
    const logged = s.state.requests.filter((r) => r.idempotency_key === "po_drop");
    assert.equal(logged.length, 1, "the SDK did not silently retry");
    assert.equal(logged[0].dropped, true);
    assert.equal(logged[0].stored_status, 200);
    const again = await sdk(s).transfers.create(params, { idempotencyKey: "po_drop" });
    assert.equal(again.id, transfersInLedger(s)[0].id);
    assert.equal(replayed(again), "true");

    // with retries enabled the SDK recovers by itself through the replay
    await ctl(s, "POST", "/_standin/faults", { kind: "drop_after", path: "/v1/transfers", times: 1 });
    const t2 = await sdk(s, { maxNetworkRetries: 2 }).transfers.create({
      ...params,
      metadata: { payout_id: "po_drop2" },
    });
    assert.equal(transfersInLedger(s).length, 2);
    assert.equal(t2.id, transfersInLedger(s)[1].id);
  });
});

Deno.test("client timeout while the stand-in is still executing: the transfer still happens", async () => {
  await withStandIn(async (s) => {
    const dest = await account(s);
    await ctl(s, "POST", "/_standin/faults", { kind: "latency", latency_ms: 400, path: "/v1/transfers" });
    await rejectsWith(
      sdk(s, { timeout: 100 }).transfers.create({ amount: 5, currency: "usd", destination: dest }, {
        idempotencyKey: "slow",
      }),
      { type: "StripeConnectionError" },
    );
    while (s.state.requests[0].status === null && !s.state.requests[0].dropped) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(transfersInLedger(s).length, 1);
  });
});

Deno.test("429: the SDK retries when Stripe-Should-Retry is true (its own backoff), not otherwise; never stored", async () => {
  await withStandIn(async (s) => {
    const dest = await account(s);
    await ctl(s, "POST", "/_standin/faults", {
      kind: "rate_limit",
      path: "/v1/transfers",
      retry_after: 1,
      should_retry: true,
    });
    const t = await sdk(s, { maxNetworkRetries: 2 }).transfers.create(
      { amount: 1, currency: "usd", destination: dest },
      { idempotencyKey: "rl1" },
    );
    const log = s.state.requests.filter((r) => r.idempotency_key === "rl1");
    assert.deepEqual(log.map((r) => r.status), [429, 200]);
    assert.equal(log[1].replayed, false, "a 429 is not stored under the key");
    const gap = log[1].started_at_ms - log[0].started_at_ms;
    assert.ok(gap >= 450, `SDK waited ${gap}ms (stripe-node 23 backs off >= 500ms; it ignores Retry-After)`);
    assert.equal(transfersInLedger(s)[0].id, t.id);

    await ctl(s, "POST", "/_standin/faults", { kind: "rate_limit", path: "/v1/transfers", should_retry: false });
    const e = await rejectsWith(
      sdk(s, { maxNetworkRetries: 2 }).transfers.create({ amount: 1, currency: "usd", destination: dest }, {
        idempotencyKey: "rl2",
      }),
      { type: "StripeRateLimitError", statusCode: 429, code: "rate_limit" },
    );
    assert.equal(e.headers?.["retry-after"], "1");
    assert.equal(s.state.requests.filter((r) => r.idempotency_key === "rl2").length, 1);

    // global requests-per-second limiter (token bucket of `rps`): a burst beyond the bucket gets
    // Stripe's 429 with its headers; nothing is stored under the key
    const rl = await ctl(s, "POST", "/_standin/rate_limit", { rps: 2, should_retry: false });
    assert.equal(rl.algorithm, "token_bucket");
    assert.equal(rl.capacity, 2);
    const results = await Promise.allSettled(
      [1, 2, 3, 4].map((i) =>
        sdk(s).transfers.create({ amount: 1, currency: "usd", destination: dest }, { idempotencyKey: `burst${i}` })
      ),
    );
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 2);
    const refused = results.flatMap((r) => r.status === "rejected" ? [r.reason as Stripe.errors.StripeError] : []);
    assert.equal(refused.length, 2);
    for (const e of refused) {
      assert.equal(e.type, "StripeRateLimitError");
      assert.equal(e.statusCode, 429);
      assert.equal(e.code, "rate_limit");
      assert.equal(e.headers?.["retry-after"], "1");
      assert.equal(e.headers?.["stripe-should-retry"], "false");
    }
    const burst = s.state.requests.filter((r) => r.idempotency_key?.startsWith("burst") && r.status === 429);
    assert.equal(burst.length, 2);
    assert.ok(burst.every((r) => r.faults.includes("rate_limit(rps)") && !r.replayed));
    await ctl(s, "POST", "/_standin/rate_limit", { rps: null });
  });
});

Deno.test("rps limiter is a token bucket: jitter around the rate passes, a burst beyond the bucket does not, tokens refill at the rate", () => {
  const rl = new RateLimiter();
  rl.configure({ rps: 25 });
  // a client at exactly 25/s whose arrivals jitter by up to ±15 ms: never refused (a sliding 1 s
  // window of 25 refuses such a client whenever two arrivals come closer than 40 ms)
  let t = 1_000_000;
  const jitter = [0, 15, -15, 7, -12, 15, -15, 3, 14, -9];
  for (let i = 0; i < 1000; i++) {
    assert.equal(rl.admit(t + 40 * i + jitter[i % jitter.length]), true, `request ${i}`);
  }
  // after idling, the full bucket passes at once; the next one is refused
  t += 100_000;
  for (let i = 0; i < 25; i++) assert.equal(rl.admit(t), true);
  assert.equal(rl.admit(t), false);
  assert.equal(rl.admit(t + 39), false, "less than one token refilled");
  assert.equal(rl.admit(t + 40), true, "one token per 1/rps second");
  assert.equal(rl.admit(t + 40), false);
  // a client above the rate is refused about the excess: 30/s for 10 s against 25/s (+ a bucket of 25)
  t += 100_000;
  let admitted = 0;
  for (let i = 0; i < 300; i++) if (rl.admit(t + Math.floor((i * 1000) / 30))) admitted++;
  assert.ok(admitted >= 25 + 25 * 9.9 && admitted <= 25 + 25 * 10 + 1, `admitted ${admitted}`);
  // reconfiguring refills the bucket; null turns the limiter off
  rl.configure({ rps: 1 });
  assert.equal(rl.admit(t), true);
  assert.equal(rl.admit(t), false);
  rl.configure({ rps: null });
  assert.equal(rl.admit(t), true);
});

Deno.test("balance_insufficient on the platform balance; the stored 400 replays for the same key", async () => {
  await withStandIn(async (s) => {
    const stripe = sdk(s);
    const dest = await account(s);
    await ctl(s, "POST", "/_standin/balance", { usd: 500 });
    const params = { amount: 1000, currency: "usd", destination: dest };
    const e = await rejectsWith(stripe.transfers.create(params, { idempotencyKey: "bal" }), {
      type: "StripeInvalidRequestError",
      code: "balance_insufficient",
      statusCode: 400,
    });
    assert.match(e.message, /insufficient funds/);
    const bal = await stripe.balance.retrieve();
    assert.deepEqual(bal.available.find((b) => b.currency === "usd")?.amount, 500);
    await ctl(s, "POST", "/_standin/balance", { usd: 5000 });
    await rejectsWith(stripe.transfers.create(params, { idempotencyKey: "bal" }), { code: "balance_insufficient" });
    assert.equal(s.state.requests.at(-1)?.replayed, true);
    await stripe.transfers.create(params, { idempotencyKey: "bal-2" });
    assert.equal((await stripe.balance.retrieve()).available.find((b) => b.currency === "usd")?.amount, 4000);
    // forced by a fault even with money available
    await ctl(s, "POST", "/_standin/faults", { kind: "balance_insufficient", path: "/v1/transfers" });
    await rejectsWith(stripe.transfers.create({ ...params, amount: 1 }), { code: "balance_insufficient" });
    assert.equal(transfersInLedger(s).length, 1);
  });
});

Deno.test("destination without an active transfers capability; unknown destination", async () => {
  await withStandIn(async (s) => {
    const stripe = sdk(s);
    const dest = await account(s, { capabilities: { transfers: "inactive" } });
    const acct = await stripe.accounts.retrieve(dest);
    assert.equal(acct.capabilities?.transfers, "inactive");
    const e = await rejectsWith(stripe.transfers.create({ amount: 100, currency: "usd", destination: dest }), {
      type: "StripeInvalidRequestError",
      code: "insufficient_capabilities_for_transfer",
    });
    assert.match(
      e.message,
      /at least one of the following capabilities enabled: transfers, crypto_transfers, legacy_payments/,
    );
    await ctl(s, "POST", "/_standin/accounts", { id: dest, capabilities: { transfers: "active" } });
    await stripe.transfers.create({ amount: 100, currency: "usd", destination: dest });

    // a missing destination fails validation: not stored, so the same key works once the account exists
    const params = { amount: 100, currency: "usd", destination: "acct_later" };
    await rejectsWith(stripe.transfers.create(params, { idempotencyKey: "later" }), {
      code: "resource_missing",
      param: "destination",
    });
    await account(s, { id: "acct_later" });
    const t = await stripe.transfers.create(params, { idempotencyKey: "later" });
    assert.equal(t.destination, "acct_later");
    // forced by a fault
    await ctl(s, "POST", "/_standin/faults", { kind: "no_capability", path: "/v1/transfers" });
    await rejectsWith(stripe.transfers.create(params), { code: "insufficient_capabilities_for_transfer" });
    assert.equal(transfersInLedger(s).length, 2);
  });
});

Deno.test("idempotency keys expire after 24h: the same key then creates a second transfer", async () => {
  await withStandIn(async (s) => {
    const stripe = sdk(s);
    const dest = await account(s);
    const params = { amount: 42, currency: "usd", destination: dest };
    const a = await stripe.transfers.create(params, { idempotencyKey: "exp" });
    await ctl(s, "POST", "/_standin/clock", { advance_seconds: 23 * 3600 });
    assert.equal((await stripe.transfers.create(params, { idempotencyKey: "exp" })).id, a.id);
    await ctl(s, "POST", "/_standin/clock", { advance_seconds: 3600 });
    const b = await stripe.transfers.create(params, { idempotencyKey: "exp" });
    assert.notEqual(a.id, b.id);
    assert.equal(transfersInLedger(s).length, 2, "a duplicate payout: callers must reconcile before reusing old keys");
    // the control shortcut
    const expired = await ctl<{ expired: number }>(s, "POST", "/_standin/idempotency/expire");
    assert.equal(expired.expired, 1);
    const c = await stripe.transfers.create(params, { idempotencyKey: "exp" });
    assert.notEqual(c.id, b.id);
    assert.equal(transfersInLedger(s).length, 3);
  });
});

Deno.test("reversals: full, partial, over-reversal, low connected balance, idempotent replay, listing", async () => {
  await withStandIn(async (s) => {
    const stripe = sdk(s);
    const dest = await account(s);
    const t1 = await stripe.transfers.create({ amount: 1000, currency: "usd", destination: dest });
    const full = await stripe.transfers.createReversal(t1.id, { metadata: { reason: "refund" } });
    assert.equal(full.object, "transfer_reversal");
    assert.equal(full.amount, 1000);
    assert.equal(full.transfer, t1.id);
    const t1b = await stripe.transfers.retrieve(t1.id);
    assert.equal(t1b.reversed, true);
    assert.equal(t1b.amount_reversed, 1000);
    assert.equal(t1b.reversals.data[0].id, full.id);
    await rejectsWith(stripe.transfers.createReversal(t1.id), { code: "transfer_already_reversed" });

    const t2 = await stripe.transfers.create({ amount: 1000, currency: "usd", destination: dest });
    const p1 = await stripe.transfers.createReversal(t2.id, { amount: 300 }, { idempotencyKey: "rev-1" });
    const p1again = await stripe.transfers.createReversal(t2.id, { amount: 300 }, { idempotencyKey: "rev-1" });
    assert.equal(p1.id, p1again.id);
    await rejectsWith(stripe.transfers.createReversal(t2.id, { amount: 701 }), {
      code: "amount_too_large",
      param: "amount",
    });
    const rest = await stripe.transfers.createReversal(t2.id);
    assert.equal(rest.amount, 700);
    const revs = await stripe.transfers.listReversals(t2.id, { limit: 1 });
    assert.equal(revs.data.length, 1);
    assert.equal(revs.has_more, true);
    assert.equal(revs.data[0].id, rest.id);
    assert.equal((await stripe.transfers.retrieveReversal(t2.id, p1.id)).amount, 300);

    // the connected account already paid the money out
    const t3 = await stripe.transfers.create({ amount: 800, currency: "usd", destination: dest });
    await ctl(s, "POST", "/_standin/accounts", { id: dest, balance: { usd: 100 } });
    await rejectsWith(stripe.transfers.createReversal(t3.id, { amount: 500 }), {
      type: "StripeInvalidRequestError",
      code: "balance_insufficient",
    });
    const small = await stripe.transfers.createReversal(t3.id, { amount: 100 });
    assert.equal(small.amount, 100);
    assert.equal(s.state.ledger.accountAvailable(dest, "usd"), 0);

    const ledger = await ctl<{ movements: { kind: string; amount: number }[]; platform_available: { usd: number } }>(
      s,
      "GET",
      "/_standin/ledger",
    );
    assert.deepEqual(ledger.movements.map((m) => [m.kind, m.amount]), [
      ["transfer", 1000],
      ["reversal", 1000],
      ["transfer", 1000],
      ["reversal", 300],
      ["reversal", 700],
      ["transfer", 800],
      ["reversal", 100],
    ]);
    assert.equal(ledger.platform_available.usd, s.state.ledger.defaultPlatformAvailable - 700);
  });
});

Deno.test("webhooks: signed events verify with the SDK; connect secret; duplicate / reverse / delay modes", async () => {
  const received: { sig: string; body: string }[] = [];
  const receiver = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, async (req) => {
    received.push({ sig: req.headers.get("stripe-signature") ?? "", body: await req.text() });
    return new Response("ok");
  });
  try {
    await withStandIn(async (s) => {
      const stripe = sdk(s);
      const crypto = Stripe.createSubtleCryptoProvider();
      const verify = (i: number, secret: string) =>
        stripe.webhooks.constructEventAsync(received[i].body, received[i].sig, secret, undefined, crypto);
      const dest = await account(s);
      const t = await stripe.transfers.create({ amount: 10, currency: "usd", destination: dest }, {
        idempotencyKey: "wh",
      });
      await stripe.transfers.createReversal(t.id, { amount: 4 });
      await s.state.webhooks.idle();
      assert.equal(received.length, 2);
      const created = await verify(0, PLATFORM_SECRET);
      assert.equal(created.type, "transfer.created");
      assert.equal(created.object, "event");
      assert.equal(created.api_version, PINNED_API_VERSION);
      assert.equal(created.livemode, false);
      assert.equal(created.request?.idempotency_key, "wh");
      assert.ok(created.id.startsWith("evt_"));
      assert.equal((created.data.object as Stripe.Transfer).id, t.id);
      assert.equal(created.account, undefined);
      const reversed = await verify(1, PLATFORM_SECRET);
      assert.equal(reversed.type, "transfer.reversed");
      assert.equal((reversed.data.object as Stripe.Transfer).amount_reversed, 4);
      await assert.rejects(verify(0, CONNECT_SECRET), Stripe.errors.StripeSignatureVerificationError);
      // the event is sent even when the API response is lost on the way back
      await ctl(s, "POST", "/_standin/faults", { kind: "drop_after", path: "/v1/transfers" });
      await rejectsWith(
        stripe.transfers.create({ amount: 11, currency: "usd", destination: dest, metadata: { payout_id: "po_lost" } }),
        { type: "StripeConnectionError" },
      );
      await s.state.webhooks.idle();
      const lost = await verify(2, PLATFORM_SECRET);
      assert.equal(lost.type, "transfer.created");
      assert.equal((lost.data.object as Stripe.Transfer).metadata.payout_id, "po_lost");
      // events are retrievable too
      assert.equal((await stripe.events.retrieve(created.id)).type, "transfer.created");

      // a connect event, signed with the connect secret
      received.length = 0;
      await ctl(s, "POST", "/_standin/webhooks/send", {
        type: "account.updated",
        data: { object: { id: dest, object: "account", capabilities: { transfers: "inactive" } } },
        account: dest,
        secret: "connect",
      });
      const ev = await verify(0, CONNECT_SECRET);
      assert.equal(ev.account, dest);
      await assert.rejects(verify(0, PLATFORM_SECRET));

      received.length = 0;
      const events = [1, 2, 3].map((i) => ({
        type: "payout.paid",
        data: { object: { id: `po_${i}`, object: "payout" } },
      }));
      await ctl(s, "POST", "/_standin/webhooks/send", { events, mode: "reverse_order" });
      const ids = (await Promise.all(received.map((_, i) => verify(i, PLATFORM_SECRET)))).map((e) =>
        (e.data.object as { id: string }).id
      );
      assert.deepEqual(ids, ["po_3", "po_2", "po_1"]);

      received.length = 0;
      await ctl(s, "POST", "/_standin/webhooks/send", { ...events[0], mode: "duplicate" });
      assert.equal(received.length, 2);
      assert.equal((await verify(0, PLATFORM_SECRET)).id, (await verify(1, PLATFORM_SECRET)).id);

      received.length = 0;
      const t0 = Date.now();
      await ctl(s, "POST", "/_standin/webhooks/send", { ...events[0], mode: "delay_ms", delay_ms: 200 });
      assert.ok(Date.now() - t0 >= 190);
      assert.equal(received.length, 1);

      // the exported helper signs exactly like the SDK's test header generator
      const payload = JSON.stringify({ hello: "world" });
      assert.equal(
        await signStripePayload("whsec_x", payload, 1700000000),
        await stripe.webhooks.generateTestHeaderStringAsync({ payload, secret: "whsec_x", timestamp: 1700000000 }),
      );
    }, {
      webhookUrl: `http://127.0.0.1:${receiver.addr.port}/`,
      webhookSecrets: { platform: PLATFORM_SECRET, connect: CONNECT_SECRET },
    });
  } finally {
    await receiver.shutdown();
  }
});

Deno.test("webhooks: redeliver sends again, same id and body, only the events no delivery answered 2xx", async () => {
  const got: { id: string; body: string }[] = [];
  let failNext = 1; // the receiver answers the first delivery 500, then 200
  const receiver = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, async (req) => {
    const body = await req.text();
    got.push({ id: JSON.parse(body).id, body });
    if (failNext > 0) {
      failNext--;
      return new Response("down", { status: 500 });
    }
    return new Response("ok");
  });
  try {
    await withStandIn(async (s) => {
      const events = ["a", "b"].map((x) => ({ type: "invoice.paid", data: { object: { id: `in_${x}`, object: "invoice" } } }));
      const sent = await ctl<{ events: { id: string }[] }>(s, "POST", "/_standin/webhooks/send", { events });
      const [first, second] = sent.events.map((e) => e.id);
      assert.deepEqual(got.map((g) => g.id), [first, second]);
      // an event never delivered (no delivery at all) is not Stripe's to retry
      s.state.webhooks.createEvent("invoice.paid", { id: "in_c", object: "invoice" });

      const r = await ctl<{ deliveries: { event_id: string; status: number }[] }>(s, "POST", "/_standin/webhooks/redeliver", {});
      assert.deepEqual(r.deliveries.map((d) => [d.event_id, d.status]), [[first, 200]]);
      assert.equal(got[2].id, first);
      assert.equal(got[2].body, got[0].body, "the same event, byte for byte");
      // now every delivered event has a 2xx: nothing more to retry
      assert.deepEqual((await ctl<{ deliveries: unknown[] }>(s, "POST", "/_standin/webhooks/redeliver", {})).deliveries, []);
      await assert.rejects(ctl(s, "POST", "/_standin/webhooks/redeliver", { event_ids: "x" }), /event_ids/);
    }, { webhookUrl: `http://127.0.0.1:${receiver.addr.port}/` });
  } finally {
    await receiver.shutdown();
  }
});

Deno.test("no fault is silently ignored: each kind acts once, exactly where configured", async () => {
  await withStandIn(async (s) => {
    const dest = await account(s);
    const kinds = [
      "latency",
      "rate_limit",
      "drop_before",
      "error_500_before",
      "balance_insufficient",
      "no_capability",
      "error_500_after",
      "drop_after",
    ];
    const added = await ctl<{ faults: { id: string; spec: { kind: string } }[] }>(s, "POST", "/_standin/faults", {
      faults: kinds.map((kind) => ({
        kind,
        method: "POST",
        path: "/v1/transfers",
        metadata: { payout_id: `po_${kind}` },
        latency_ms: 250,
        should_retry: false,
      })),
    });
    assert.equal(added.faults.length, kinds.length);
    const stripe = sdk(s);
    const expected: Record<string, { type?: string; code?: string; statusCode?: number; moved: number }> = {
      rate_limit: { type: "StripeRateLimitError", moved: 0 },
      drop_before: { type: "StripeConnectionError", moved: 0 },
      error_500_before: { type: "StripeAPIError", statusCode: 500, moved: 0 },
      balance_insufficient: { code: "balance_insufficient", moved: 0 },
      no_capability: { code: "insufficient_capabilities_for_transfer", moved: 0 },
      error_500_after: { type: "StripeAPIError", statusCode: 500, moved: 1 },
      drop_after: { type: "StripeConnectionError", moved: 1 },
    };
    for (const kind of kinds) {
      const before = transfersInLedger(s).length;
      const started = Date.now();
      const p = stripe.transfers.create({
        amount: 1,
        currency: "usd",
        destination: dest,
        metadata: { payout_id: `po_${kind}` },
      });
      if (kind === "latency") {
        await p;
        assert.ok(Date.now() - started >= 240, "latency applied");
        assert.equal(transfersInLedger(s).length, before + 1);
        continue;
      }
      const { moved, ...check } = expected[kind];
      await rejectsWith(p, check);
      assert.equal(transfersInLedger(s).length, before + moved, `${kind}: money moved ${moved}`);
    }
    const state = await ctl<
      { faults: { applied: number; remaining: number; spec: { kind: string } }[]; pending: unknown[] }
    >(
      s,
      "GET",
      "/_standin/faults",
    );
    assert.deepEqual(state.pending, [], "every one-shot fault fired");
    for (const f of state.faults) assert.equal(f.applied, 1, `${f.spec.kind} applied once`);
    assert.deepEqual(
      s.state.requests.filter((r) => r.faults.length).map((r) => r.faults[0]),
      kinds,
      "each request carried exactly its own fault",
    );

    // scheduled: every 3rd matching request fails after the transfer
    await ctl(s, "POST", "/_standin/faults", {
      kind: "error_500_after",
      path: "/v1/transfers",
      every_nth: 3,
      should_retry: false,
    });
    const outcomes: string[] = [];
    for (let i = 0; i < 6; i++) {
      outcomes.push(
        await stripe.transfers.create({ amount: 1, currency: "usd", destination: dest }).then(() => "ok", () => "500"),
      );
    }
    assert.deepEqual(outcomes, ["ok", "ok", "500", "ok", "ok", "500"]);

    // per-request header fault
    const res = await fetch(`${s.url}/v1/transfers`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${KEY}`,
        "content-type": "application/x-www-form-urlencoded",
        "x-standin-fault": "error_500_after",
      },
      body: `amount=1&currency=usd&destination=${dest}`,
    });
    assert.equal(res.status, 500);
    await res.body?.cancel();
  });
});

Deno.test("invoices, invoice payments, payment intents and charges; source_transaction transfers", async () => {
  await withStandIn(async (s) => {
    const stripe = sdk(s);
    const seeded = await ctl<{ invoice: { id: string }; charge: { id: string } }>(s, "POST", "/_standin/invoices", {
      amount_paid: 5000,
      currency: "usd",
      customer: "cus_1",
      metadata: { placement_id: "pl_1" },
    });
    const inv = await stripe.invoices.retrieve(seeded.invoice.id);
    assert.equal(inv.amount_paid, 5000);
    assert.equal(inv.status, "paid");
    const payments = await stripe.invoicePayments.list({ invoice: inv.id! });
    assert.equal(payments.data.length, 1);
    const pay = payments.data[0].payment;
    assert.equal(pay.type, "payment_intent");
    const pi = await stripe.paymentIntents.retrieve(pay.payment_intent as string);
    const charge = await stripe.charges.retrieve(pi.latest_charge as string);
    assert.equal(charge.id, seeded.charge.id);
    assert.equal(charge.amount, 5000);

    const legacy = await ctl<{ invoice: { id: string }; charge: { id: string } }>(s, "POST", "/_standin/invoices", {
      amount_paid: 100,
      payment_type: "charge",
    });
    const lp = await stripe.invoicePayments.list({ invoice: legacy.invoice.id });
    assert.equal(lp.data[0].payment.charge, legacy.charge.id);

    const dest = await account(s);
    await ctl(s, "POST", "/_standin/balance", { usd: 0 }); // funds come from the charge, not the balance
    await stripe.transfers.create({ amount: 3000, currency: "usd", destination: dest, source_transaction: charge.id });
    await rejectsWith(
      stripe.transfers.create({ amount: 2001, currency: "usd", destination: dest, source_transaction: charge.id }),
      { code: "amount_too_large" },
    );
    await stripe.transfers.create({ amount: 2000, currency: "usd", destination: dest, source_transaction: charge.id });
    await rejectsWith(stripe.charges.retrieve("ch_missing"), { statusCode: 404, code: "resource_missing" });
  });
});

Deno.test("auth, accounts via the SDK, unknown params, connected balance, control is keyless", async () => {
  await withStandIn(async (s) => {
    const bad = new Stripe("sk_live_nope", { host: "127.0.0.1", port: s.port, protocol: "http", maxNetworkRetries: 0 });
    await rejectsWith(bad.balance.retrieve(), { type: "StripeAuthenticationError", statusCode: 401 });
    const stripe = sdk(s);
    const acct = await stripe.accounts.create({
      type: "custom",
      country: "US",
      capabilities: { transfers: { requested: true } },
      metadata: { seller_id: "s1" },
    });
    assert.ok(acct.id.startsWith("acct_"));
    assert.equal(acct.capabilities?.transfers, "active");
    assert.equal((await stripe.accounts.retrieve(acct.id)).metadata?.seller_id, "s1");
    await rejectsWith(stripe.accounts.retrieve("acct_nope"), { statusCode: 403, code: "account_invalid" });
    await rejectsWith(
      stripe.transfers.create(
        { amount: 1, currency: "usd", destination: acct.id, bogus: "x" } as Stripe.TransferCreateParams,
      ),
      { code: "parameter_unknown", param: "bogus" },
    );
    await rejectsWith(
      stripe.transfers.create({ amount: 0, currency: "usd", destination: acct.id }),
      { code: "parameter_invalid_integer", param: "amount" },
    );
    await stripe.transfers.create({ amount: 77, currency: "eur", destination: acct.id });
    const cb = await stripe.balance.retrieve({}, { stripeAccount: acct.id });
    assert.deepEqual(cb.available.map((b) => [b.currency, b.amount]), [["eur", 77]]);
    const health = await ctl<{ ok: boolean }>(s, "GET", "/_standin/health");
    assert.equal(health.ok, true);
    const reqs = await ctl<{ data: { path: string; status: number }[] }>(
      s,
      "GET",
      "/_standin/requests?path=/v1/balance",
    );
    assert.deepEqual(reqs.data.map((r) => r.status), [401, 200]);
    await ctl(s, "POST", "/_standin/reset");
    assert.equal(s.state.ledger.transfers.size, 0);
  });
});

Deno.test("--state-file: books and idempotency keys survive a restart; a reset is saved too", async () => {
  const dir = await Deno.makeTempDir({ prefix: "standin-state-" });
  const stateFile = `${dir}/standin.json`;
  try {
    let transferId = "";
    let charge = "";
    await withStandIn(async (s) => {
      const acct = await account(s, { id: "acct_persisted1" });
      const inv = await ctl<{ charge: { id: string } }>(s, "POST", "/_standin/invoices", {
        id: "in_persisted1",
        amount_paid: 5000,
        currency: "usd",
      });
      charge = inv.charge.id;
      const tr = await sdk(s).transfers.create(
        { amount: 1200, currency: "usd", destination: acct, source_transaction: charge, metadata: { k: "v" } },
        { idempotencyKey: "persist-key-1" },
      );
      transferId = tr.id;
    }, { stateFile });

    await withStandIn(async (s) => {
      const stripe = sdk(s);
      const tr = await stripe.transfers.retrieve(transferId);
      assert.equal(tr.amount, 1200);
      assert.equal(tr.metadata.k, "v");
      assert.equal((await stripe.invoices.retrieve("in_persisted1")).amount_paid, 5000);
      // the same key answers with the stored response, and moves no money again
      const again = await stripe.transfers.create(
        {
          amount: 1200,
          currency: "usd",
          destination: "acct_persisted1",
          source_transaction: charge,
          metadata: { k: "v" },
        },
        { idempotencyKey: "persist-key-1" },
      );
      assert.equal(again.id, transferId);
      assert.equal(replayed(again), "true");
      assert.equal(s.state.ledger.transfers.size, 1);
      assert.equal(s.state.ledger.movements.length, 1);
      await ctl(s, "POST", "/_standin/reset");
    }, { stateFile });

    await withStandIn(async (s) => {
      assert.equal(s.state.ledger.transfers.size, 0, "the reset was saved");
    }, { stateFile });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
