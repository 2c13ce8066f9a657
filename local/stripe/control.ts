/** `/_standin/*` control API: JSON in, JSON out, no Stripe auth, loopback clients only by default. */
import { connectControl } from "./connect.ts";
import type { FaultSpec } from "./faults.ts";
import { FAULT_KINDS, FaultSpecError } from "./faults.ts";
import type { RawRequest, RawResponse } from "./http_raw.ts";
import type { AccountInput, InvoiceSeed } from "./ledger.ts";
import { renderCustomer } from "./billing_render.ts";
import type { StandInState } from "./state.ts";
import { PINNED_API_VERSION } from "./state.ts";
import type { SecretKind, SendMode } from "./webhooks.ts";

export function json(status: number, body: unknown): RawResponse {
  return { status, headers: { "content-type": "application/json" }, body: JSON.stringify(body, null, 2) };
}

class ControlError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1", "localhost"]);

type Body = Record<string, unknown>;

function isObject(v: unknown): v is Body {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function bad(message: string): never {
  throw new ControlError(400, message);
}

function intOr(v: unknown, name: string): number {
  if (!Number.isSafeInteger(v)) bad(`${name} must be an integer (minor units / seconds)`);
  return v as number;
}

export async function handleControl(state: StandInState, req: RawRequest): Promise<RawResponse> {
  if (!state.config.allowRemoteControl && !LOOPBACK.has(req.remoteHostname)) {
    return json(403, { error: { message: "stand-in control API is local-only" } });
  }
  try {
    let body: Body = {};
    if (req.body.length) {
      try {
        const parsed = JSON.parse(new TextDecoder().decode(req.body));
        body = isObject(parsed) ? parsed : { items: parsed };
      } catch {
        bad("body must be JSON");
      }
    }
    const out = await route(state, req, body);
    return json(200, out);
  } catch (e) {
    if (e instanceof ControlError) {
      return json(e.status, { error: { type: "invalid_request_error", message: e.message } });
    }
    if (e instanceof FaultSpecError || e instanceof TypeError) {
      return json(400, { error: { type: "invalid_request_error", message: e.message } });
    }
    throw e;
  }
}

async function route(state: StandInState, req: RawRequest, body: Body): Promise<unknown> {
  const p = req.path.replace(/\/+$/, "");
  const q = new URLSearchParams(req.query);
  const m = req.method;
  const L = state.ledger;

  if (m === "GET" && (p === "/_standin" || p === "/_standin/health")) {
    return { ok: true, api_version: PINNED_API_VERSION, now: state.clock.now(), fault_kinds: FAULT_KINDS };
  }
  if (m === "POST" && p === "/_standin/reset") {
    state.reset({ default_platform_available: body.default_platform_available as number | undefined });
    return { ok: true };
  }
  if (m === "GET" && p === "/_standin/ledger") return { now: state.clock.now(), ...L.snapshot() };

  if (m === "POST" && p === "/_standin/accounts") {
    const existing = typeof body.id === "string" ? L.accounts.get(body.id) : undefined;
    const before = existing
      ? JSON.stringify([existing.capabilities, existing.charges_enabled, existing.payouts_enabled])
      : "";
    const a = L.upsertAccount(body as AccountInput);
    const after = JSON.stringify([a.capabilities, a.charges_enabled, a.payouts_enabled]);
    if (existing && before !== after) {
      const ev = state.webhooks.createEvent("account.updated", L.renderAccount(a), { account: a.id });
      state.webhooks.emitAuto(ev, "connect");
    }
    return { account: L.renderAccount(a), available: Object.fromEntries(L.accountBalances.get(a.id) ?? []) };
  }
  const connect = connectControl(state, m, p, body);
  if (connect !== undefined) return connect;
  if (m === "POST" && p === "/_standin/balance") {
    for (const [cur, amt] of Object.entries(body)) {
      if (cur === "default") L.defaultPlatformAvailable = intOr(amt, "default");
      else L.setPlatformAvailable(cur, intOr(amt, cur));
    }
    return { platform_available: L.snapshot().platform_available };
  }
  if (m === "POST" && p === "/_standin/customers") {
    // a customer with a given id (a company whose Stripe customer the database already names)
    const id = typeof body.id === "string" && /^cus_[A-Za-z0-9]+$/.test(body.id) ? body.id : bad("give id: cus_…");
    const existing = L.customers.get(id);
    const c = existing ?? { ...L.newRec("cus"), id, email: null, name: null, description: null, invoice_prefix: id.slice(4, 12).toUpperCase(), next_invoice_sequence: 1, metadata: {} };
    if (typeof body.email === "string") c.email = body.email;
    if (typeof body.name === "string") c.name = body.name;
    if (body.metadata && typeof body.metadata === "object") c.metadata = { ...c.metadata, ...(body.metadata as Record<string, string>) };
    L.customers.set(id, c);
    return { customer: renderCustomer(c) };
  }
  if (m === "POST" && p === "/_standin/invoices") {
    const r = L.seedInvoice(body as InvoiceSeed);
    return {
      invoice: L.renderInvoice(r.invoice),
      invoice_payment: L.renderInvoicePayment(r.invoice_payment),
      charge: L.renderCharge(r.charge),
      payment_intent: r.payment_intent ? L.renderPaymentIntent(r.payment_intent) : null,
    };
  }

  if (p === "/_standin/clock") {
    if (m === "POST") {
      if (body.advance_seconds !== undefined) state.clock.advance(intOr(body.advance_seconds, "advance_seconds"));
      else if (body.set !== undefined) state.clock.set(intOr(body.set, "set"));
      else bad("give advance_seconds or set");
    }
    return { now: state.clock.now(), offset_seconds: state.clock.offsetSeconds };
  }

  if (p === "/_standin/requests") {
    if (m === "DELETE") {
      state.requests = [];
      return { ok: true };
    }
    const filters = ["method", "path", "idempotency_key"] as const;
    const data = state.requests.filter((r) => filters.every((f) => !q.has(f) || r[f] === q.get(f)));
    return { data };
  }

  if (p === "/_standin/faults") {
    if (m === "POST") {
      const specs = Array.isArray(body.faults) ? body.faults as FaultSpec[] : [body as unknown as FaultSpec];
      return { faults: specs.map((s) => state.faults.add(s)) };
    }
    if (m === "DELETE") {
      state.faults.clear();
      return { ok: true };
    }
    return { faults: state.faults.faults, pending: state.faults.pending(), rate_limit: state.rateLimiter.describe() };
  }
  const fm = /^\/_standin\/faults\/([^/]+)$/.exec(p);
  if (fm && m === "DELETE") return { removed: state.faults.remove(fm[1]) };

  if (m === "POST" && p === "/_standin/rate_limit") {
    state.rateLimiter.configure(
      body as { rps?: number | null; retry_after?: number | null; should_retry?: boolean | null },
    );
    return state.rateLimiter.describe();
  }

  if (m === "POST" && p === "/_standin/idempotency/expire") return { expired: state.idempotency.expireAll() };
  if (m === "GET" && p === "/_standin/idempotency") return { keys: state.idempotency.list() };

  if (m === "POST" && p === "/_standin/config") {
    const s = body.requested_capability_status;
    if (s !== undefined) {
      if (s !== "active" && s !== "inactive" && s !== "pending") {
        bad("requested_capability_status: active|inactive|pending");
      }
      state.config.requestedCapabilityStatus = s;
    }
    return { requested_capability_status: state.config.requestedCapabilityStatus };
  }

  if (m === "POST" && p === "/_standin/webhooks/config") {
    state.webhooks.configure({
      url: body.url as string | undefined,
      secrets: {
        platform: body.platform_secret as string | undefined,
        connect: body.connect_secret as string | undefined,
      },
      auto: body.auto as boolean | undefined,
    });
    return { url: state.webhooks.url ?? null, auto: state.webhooks.auto };
  }
  if (m === "POST" && p === "/_standin/webhooks/send") return await sendWebhooks(state, body);
  if (m === "POST" && p === "/_standin/webhooks/flush") {
    await state.webhooks.idle();
    return { deliveries: state.webhooks.deliveries };
  }
  if (m === "POST" && p === "/_standin/webhooks/redeliver") {
    const ids = body.event_ids;
    if (ids !== undefined && (!Array.isArray(ids) || !ids.every((x) => typeof x === "string"))) {
      bad("event_ids: a list of event ids");
    }
    return { deliveries: await state.webhooks.redeliverFailed(ids as string[] | undefined) };
  }
  if (m === "GET" && p === "/_standin/webhooks") {
    return { url: state.webhooks.url ?? null, events: state.webhooks.events, deliveries: state.webhooks.deliveries };
  }

  throw new ControlError(404, `no control endpoint ${m} ${p}`);
}

async function sendWebhooks(state: StandInState, body: Body) {
  const specs = Array.isArray(body.events) ? body.events : [body];
  const events = specs.map((s) => {
    if (!isObject(s) || typeof s.type !== "string") bad("each event needs a type");
    const data = isObject(s.data) ? s.data : {};
    if (!("object" in data)) bad("each event needs data.object");
    return state.webhooks.createEvent(s.type, data.object, {
      account: typeof s.account === "string" ? s.account : undefined,
      previous_attributes: data.previous_attributes,
    });
  });
  const mode = (body.mode ?? "normal") as SendMode | "lost";
  if (!["normal", "duplicate", "reverse_order", "delay_ms", "lost"].includes(mode)) {
    bad("mode: normal|duplicate|reverse_order|delay_ms|lost");
  }
  // lost: the events exist at Stripe (GET /v1/events lists them) but no delivery ever arrives
  if (mode === "lost") return { events, deliveries: [] };
  const secret = body.secret as SecretKind | undefined;
  if (secret !== undefined && secret !== "platform" && secret !== "connect") bad("secret: platform|connect");
  if (!state.webhooks.url) bad("no webhook url configured (POST /_standin/webhooks/config {url})");
  const deliveries = await state.webhooks.send(events, {
    mode,
    secret,
    delay_ms: body.delay_ms as number | undefined,
    signature_timestamp: body.signature_timestamp as number | undefined,
  });
  return { events, deliveries };
}
