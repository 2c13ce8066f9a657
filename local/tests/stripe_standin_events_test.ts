/**
 * The Stripe stand-in's `GET /v1/events` (local/stripe/events_list.ts) with the REAL stripe SDK, as
 * the events catch-up uses it: platform vs connected-account scope (`Stripe-Account`), 30-day
 * retention on the stand-in clock, `type` / `types[]` (not both), `created` ranges, pagination newest
 * first with `starting_after` / `ending_before` / `has_more`, and the event's keys against Stripe's
 * own example event (`/work/shared/reference/stripe-fixtures3.json`).
 */
import assert from "node:assert/strict";
import Stripe from "stripe";
import { PINNED_API_VERSION, type StandIn, startStripeStandIn } from "../stripe/server.ts";

const FIXTURES = "/work/shared/reference/stripe-fixtures3.json";

async function ctl<T = Record<string, any>>(s: StandIn, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${s.url}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const out = await res.json();
  if (!res.ok) throw new Error(`control ${method} ${path} -> ${res.status}: ${JSON.stringify(out)}`);
  return out as T;
}

async function withStandIn(fn: (s: StandIn, stripe: Stripe) => Promise<void>): Promise<void> {
  const s = await startStripeStandIn({ port: 0 });
  const stripe = new Stripe("sk_test_events", {
    host: "127.0.0.1",
    port: s.port,
    protocol: "http",
    apiVersion: PINNED_API_VERSION,
    maxNetworkRetries: 0,
    telemetry: false,
  });
  try {
    await fn(s, stripe);
  } finally {
    await s.close();
  }
}

/** Creates events without delivering them (`mode: lost`). */
const make = (s: StandIn, events: Array<{ type: string; account?: string }>) =>
  ctl<{ events: Array<{ id: string; created: number; type: string }> }>(s, "POST", "/_standin/webhooks/send", {
    mode: "lost",
    events: events.map((e) => ({ ...e, data: { object: { id: "obj_1", object: "thing" } } })),
  }).then((r) => r.events);

Deno.test("events list: platform scope vs Stripe-Account scope, types[] and type filters", async () => {
  await withStandIn(async (s, stripe) => {
    const [p1, p2, p3] = await make(s, [{ type: "invoice.paid" }, { type: "charge.refunded" }, { type: "transfer.created" }]);
    await ctl(s, "POST", "/_standin/accounts", { id: "acct_One" });
    const [a1] = await make(s, [{ type: "account.updated", account: "acct_One" }]);
    await make(s, [{ type: "account.updated", account: "acct_Two" }]);

    const platform = await stripe.events.list({ limit: 100 });
    assert.deepEqual(platform.data.map((e) => e.id), [p3.id, p2.id, p1.id], "the platform's own events, newest first");
    const one = await stripe.events.list({ limit: 100 }, { stripeAccount: "acct_One" });
    assert.deepEqual(one.data.map((e) => [e.id, e.account]), [[a1.id, "acct_One"]], "one connected account's events");

    const typed = await stripe.events.list({ types: ["invoice.paid", "charge.refunded"] });
    assert.deepEqual(typed.data.map((e) => e.id), [p2.id, p1.id], "types[]");
    const wild = await stripe.events.list({ type: "charge.*" });
    assert.deepEqual(wild.data.map((e) => e.id), [p2.id], "type with a wildcard");
    await assert.rejects(
      stripe.events.list({ type: "invoice.paid", types: ["invoice.paid"] }),
      (e: Error & { param?: string }) => e.param === "types",
      "type and types together: 400",
    );
    await assert.rejects(
      stripe.events.list({ types: Array.from({ length: 21 }, (_, i) => `t.${i}`) }),
      (e: Error & { param?: string }) => e.param === "types",
      "more than 20 types: 400",
    );
    await assert.rejects(stripe.events.retrieve(a1.id), /No such event/, "a connected account's event is not the platform's");
    assert.equal((await stripe.events.retrieve(a1.id, {}, { stripeAccount: "acct_One" })).id, a1.id);
    await assert.rejects(
      stripe.events.list({}, { stripeAccount: "acct_Two" }),
      (e: Error & { code?: string; statusCode?: number }) => e.code === "account_invalid" && e.statusCode === 403,
      "an account the platform has no access to: 403 account_invalid",
    );
  });
});

Deno.test("events list: created ranges, pagination newest first (starting_after, ending_before, has_more)", async () => {
  await withStandIn(async (s, stripe) => {
    const made = [];
    for (let i = 0; i < 5; i++) {
      made.push(...await make(s, [{ type: "invoice.paid" }]));
      await ctl(s, "POST", "/_standin/clock", { advance_seconds: 10 });
    }
    const ids = made.map((e) => e.id).reverse(); // newest first
    const first = await stripe.events.list({ limit: 2 });
    assert.deepEqual([first.data.map((e) => e.id), first.has_more], [ids.slice(0, 2), true]);
    const second = await stripe.events.list({ limit: 2, starting_after: ids[1] });
    assert.deepEqual([second.data.map((e) => e.id), second.has_more], [ids.slice(2, 4), true]);
    const last = await stripe.events.list({ limit: 2, starting_after: ids[3] });
    assert.deepEqual([last.data.map((e) => e.id), last.has_more], [ids.slice(4), false]);
    const back = await stripe.events.list({ limit: 2, ending_before: ids[4] });
    assert.deepEqual(back.data.map((e) => e.id), ids.slice(2, 4), "ending_before: the page just newer");

    const c = made.map((e) => e.created);
    const range = await stripe.events.list({ created: { gte: c[1], lt: c[3] } });
    assert.deepEqual(range.data.map((e) => e.id), [made[2].id, made[1].id], "created[gte] / created[lt]");
    const gt = await stripe.events.list({ created: { gt: c[3] } });
    assert.deepEqual(gt.data.map((e) => e.id), [made[4].id], "created[gt]");
    const all: string[] = [];
    for await (const e of stripe.events.list({ limit: 2 })) all.push(e.id);
    assert.deepEqual(all, ids, "SDK auto-pagination");
  });
});

Deno.test("events list: only the last 30 days (stand-in clock), as Stripe keeps them", async () => {
  await withStandIn(async (s, stripe) => {
    const [old] = await make(s, [{ type: "invoice.paid" }]);
    await ctl(s, "POST", "/_standin/clock", { advance_seconds: 29 * 86_400 });
    const [recent] = await make(s, [{ type: "invoice.paid" }]);
    assert.deepEqual((await stripe.events.list()).data.map((e) => e.id), [recent.id, old.id], "29 days: both");
    await ctl(s, "POST", "/_standin/clock", { advance_seconds: 2 * 86_400 });
    assert.deepEqual((await stripe.events.list()).data.map((e) => e.id), [recent.id], "31 days: the old one is gone");
    await assert.rejects(stripe.events.retrieve(old.id), /No such event/);
  });
});

Deno.test("events list: an event has the keys of Stripe's example event (fixtures3)", async () => {
  const fixture = JSON.parse(await Deno.readTextFile(FIXTURES)).resources.event as Record<string, unknown>;
  await withStandIn(async (s, stripe) => {
    await make(s, [{ type: "invoice.paid" }]);
    const [e] = (await stripe.events.list()).data as unknown as Record<string, unknown>[];
    for (const [k, v] of Object.entries(fixture)) {
      assert.ok(k in e, `key ${k}`);
      if (v !== null) assert.equal(typeof e[k], typeof v, `type of ${k}`);
    }
    assert.equal(e.object, "event");
  });
});
