/**
 * The Stripe webhook endpoint (`stripe-webhook`), as a handler over injected dependencies.
 *
 * 1. Verify: `Stripe-Signature` against the RAW body with the real SDK
 *    (`webhooks.constructEventAsync`, SubtleCrypto HMAC, 300 s tolerance), with the platform
 *    endpoint's secret and then the Connect endpoint's secret (connected-account events are sent
 *    by their own endpoint; tried first when the body names an account). Missing, bad or stale
 *    signature → 400 and nothing is written; so is a signed body that is no Stripe event (no evt_ id,
 *    type, created, data.object: 400 `not_a_stripe_event`).
 * 2. Store: `receive` (one row per event id). A replay of a processed or ignored event → 200, no-op.
 * 3. Decide: `effectOf` (events.ts; reads the object again from Stripe where order matters).
 * 4. Apply: `process` (one transaction; the event is marked processed with its effect).
 * A failure in 3 or 4 is recorded on the event (`fail`: status failed, attempts, last error) and
 * answered 500, so Stripe delivers it again; reconcile-payouts also retries failed events.
 * An effect that needs nothing from Stripe (most events) is decided first and 2 + 4 run as one
 * transaction (`receiveAndProcess`): half the statements, which is most of a delivery's CPU.
 *
 * CPU (Edge Functions retire an isolate at 1 s of CPU and terminate it at 2 s; the in-flight
 * deliveries of a retired isolate must finish before the kill): a delivery costs a few ms
 * (bench/stripe_webhook_burst.bench.ts), and what can be done once per isolate is: signing keys
 * imported once, clients built once per isolate (wiring.ts), no zod in this function's module graph.
 */
import Stripe from "stripe";
import type { WebhookSecrets } from "../platform/env.ts";
import { HttpError, json, requireMethod } from "../platform/http.ts";
import type { Logger } from "../platform/log.ts";
import { effectOf, effectWithoutReads, type StripeEventLike, type StripeReader, type WebhookEffect } from "./events.ts";
import { errorInfo, type WebhookInbox } from "./db.ts";

/** Signature tolerance (seconds), as Stripe's libraries default to. */
export const WEBHOOK_TOLERANCE_S = 300;
/** Largest body accepted (Stripe events are far smaller). */
export const MAX_WEBHOOK_BYTES = 512 * 1024;

/** Why a request was refused before anything was stored. */
export type SignatureFailure = "missing_signature" | "timestamp_outside_tolerance" | "signature_mismatch";

/** A verified event and the endpoint whose secret verified it. */
export interface VerifiedEvent {
  event: StripeEventLike & Record<string, unknown>;
  endpoint: "platform" | "connect";
}

/**
 * The SDK's SubtleCrypto HMAC, with each secret's key imported once per isolate instead of on
 * every delivery (the SDK's provider imports it per call).
 */
class CachedKeyCryptoProvider extends Stripe.CryptoProvider {
  #keys = new Map<string, Promise<CryptoKey>>();
  #encoder = new TextEncoder();
  override computeHMACSignature(): string {
    throw new Error("asynchronous only: use constructEventAsync");
  }
  override async computeHMACSignatureAsync(payload: string, secret: string): Promise<string> {
    let key = this.#keys.get(secret);
    if (!key) {
      key = crypto.subtle.importKey("raw", this.#encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
        "sign",
      ]);
      this.#keys.set(secret, key);
    }
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await key, this.#encoder.encode(payload)));
    let hex = "";
    for (const b of mac) hex += HEX[b];
    return hex;
  }
  override computeSHA256Async(data: Uint8Array): Promise<Uint8Array> {
    return crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>).then((d) => new Uint8Array(d));
  }
}
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const cryptoProvider = new CachedKeyCryptoProvider();
const decoder = new TextDecoder();
/** A top-level `"account": "acct_…"` is what Connect events carry: try the Connect secret first for them. */
const CONNECT_HINT = /"account"\s*:\s*"acct_/;

/**
 * Verifies `raw` against `signature` with each configured secret (platform first; Connect first
 * when the body names an account, which saves a failed attempt per Connect delivery — the order
 * changes nothing else). Returns the parsed event, or the failure: `timestamp_outside_tolerance`
 * when a secret matched an old timestamp, else `signature_mismatch`. `nowMs` is the receive time
 * (tests).
 */
export async function verifyStripeSignature(
  raw: Uint8Array,
  signature: string | null,
  secrets: WebhookSecrets,
  opts: { toleranceS?: number; nowMs?: number } = {},
): Promise<VerifiedEvent | { failure: SignatureFailure }> {
  if (!signature || signature.trim() === "") return { failure: "missing_signature" };
  const body = decoder.decode(raw);
  const order = CONNECT_HINT.test(body) ? ["connect", "platform"] as const : ["platform", "connect"] as const;
  let stale = false;
  for (const endpoint of order) {
    const secret = secrets[endpoint];
    if (!secret) continue;
    try {
      const event = await Stripe.webhooks.constructEventAsync(
        body,
        signature,
        secret,
        opts.toleranceS ?? WEBHOOK_TOLERANCE_S,
        cryptoProvider,
        opts.nowMs,
      );
      return { event: event as unknown as VerifiedEvent["event"], endpoint };
    } catch (e) {
      if (e instanceof Error && /tolerance/i.test(e.message)) stale = true;
    }
  }
  return { failure: stale ? "timestamp_outside_tolerance" : "signature_mismatch" };
}

/**
 * The fields every Stripe event has, as the inbox stores them (receive_stripe_webhook_event checks
 * the same): `id` evt_…, `type` a string, `created` unix seconds, `data.object` an object, `account`
 * absent or acct_….
 */
export function isStripeEvent(e: unknown): e is StripeEventLike {
  if (!e || typeof e !== "object" || Array.isArray(e)) return false;
  const o = e as Record<string, unknown>;
  const data = o.data as Record<string, unknown> | null | undefined;
  return typeof o.id === "string" && /^evt_[A-Za-z0-9_]+$/.test(o.id) &&
    typeof o.type === "string" && o.type.length >= 1 && o.type.length <= 100 &&
    typeof o.created === "number" && Number.isSafeInteger(o.created) &&
    !!data && typeof data === "object" && !!data.object && typeof data.object === "object" &&
    (o.account === undefined || o.account === null || (typeof o.account === "string" && /^acct_[A-Za-z0-9]+$/.test(o.account)));
}

/** Everything the handler needs. */
export interface WebhookDeps {
  secrets: WebhookSecrets;
  inbox: WebhookInbox;
  reader: StripeReader;
  log: Logger;
  /** Receive time in ms (default `Date.now`). */
  now?: () => number;
}

/** Outcome of processing one stored event. */
export type ProcessOutcome =
  | { ok: true; effect: WebhookEffect["kind"]; result: Record<string, unknown> }
  | { ok: false; stage: "decide" | "apply"; error: { code: string; message: string } };

/** Decides and applies one stored event; a failure is recorded on the event. Never throws. */
export async function processStoredEvent(
  event: StripeEventLike,
  deps: Pick<WebhookDeps, "inbox" | "reader" | "log">,
): Promise<ProcessOutcome> {
  let effect: WebhookEffect;
  try {
    effect = await effectOf(event, deps.reader);
  } catch (e) {
    const error = errorInfo(e);
    deps.log.warn("stripe event: reading from Stripe failed", { event_id: event.id, type: event.type, ...error });
    await deps.inbox.fail(event.id, error).catch((e2) => deps.log.error("recording the failure failed", { error: e2 }));
    return { ok: false, stage: "decide", error };
  }
  try {
    const result = await deps.inbox.process(event.id, effect);
    deps.log.info("stripe event processed", {
      event_id: event.id,
      type: event.type,
      effect: effect.kind,
      outcome: result.outcome,
    });
    return { ok: true, effect: effect.kind, result };
  } catch (e) {
    const error = errorInfo(e);
    deps.log.warn("stripe event: applying failed", {
      event_id: event.id,
      type: event.type,
      effect: effect.kind,
      ...error,
    });
    await deps.inbox.fail(event.id, error).catch((e2) => deps.log.error("recording the failure failed", { error: e2 }));
    return { ok: false, stage: "apply", error };
  }
}

async function readBody(req: Request): Promise<Uint8Array> {
  const declared = Number(req.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > MAX_WEBHOOK_BYTES) throw new HttpError(413, "body_too_large");
  const buf = new Uint8Array(await req.arrayBuffer());
  if (buf.byteLength > MAX_WEBHOOK_BYTES) throw new HttpError(413, "body_too_large");
  return buf;
}

/** What storing and processing one verified event came to. */
export type DeliveryOutcome =
  | { kind: "duplicate"; status: string }
  | { kind: "applied"; effect: WebhookEffect["kind"]; outcome: unknown }
  | { kind: "failed" };

/**
 * Stores and processes one verified event, as a webhook delivery does (and the events catch-up,
 * events_catch_up.ts, for an event no delivery brought): decided from the event alone → stored and
 * applied in one transaction; else (or if that failed) stored first, then decided and applied, a
 * failure recorded on the event (kept for Stripe's redelivery and reconcile-payouts' retry).
 */
export async function storeAndProcessEvent(
  event: StripeEventLike,
  endpoint: "platform" | "connect",
  deps: Pick<WebhookDeps, "inbox" | "reader" | "log">,
): Promise<DeliveryOutcome> {
  // Decided from the event alone (most events): stored and applied in one transaction. If that
  // fails, nothing was stored and the path below stores the event and records the failure.
  const effect = await effectWithoutReads(event);
  if (effect) {
    try {
      const r = await deps.inbox.receiveAndProcess(event, endpoint, effect);
      if (r.duplicate) return { kind: "duplicate", status: r.status };
      deps.log.info("stripe event processed", {
        event_id: event.id,
        type: event.type,
        effect: effect.kind,
        outcome: r.result?.outcome,
      });
      return { kind: "applied", effect: effect.kind, outcome: r.result?.outcome };
    } catch (e) {
      const error = errorInfo(e);
      deps.log.warn("stripe event: store and apply failed, storing it first", { event_id: event.id, ...error });
    }
  }

  const stored = await deps.inbox.receive(event, endpoint);
  if (stored.duplicate) return { kind: "duplicate", status: stored.status };
  const outcome = await processStoredEvent(event, deps);
  if (!outcome.ok) return { kind: "failed" };
  return { kind: "applied", effect: outcome.effect, outcome: outcome.result.outcome };
}

/** The request handler (served by the function builder, platform/function.ts). */
export function createWebhookHandler(deps: WebhookDeps): (req: Request) => Promise<Response> {
  return async (req) => {
    requireMethod(req, "POST");
    const raw = await readBody(req);
    const verified = await verifyStripeSignature(raw, req.headers.get("stripe-signature"), deps.secrets, {
      nowMs: deps.now?.(),
    });
    if ("failure" in verified) {
      deps.log.warn("stripe webhook refused", { reason: verified.failure });
      throw new HttpError(400, verified.failure);
    }
    const { event, endpoint } = verified;
    if (!isStripeEvent(event)) {
      // signed with our secret but not an event (a bug or a test at Stripe's end): nothing stored
      deps.log.warn("stripe webhook refused", { reason: "not_a_stripe_event" });
      throw new HttpError(400, "not_a_stripe_event");
    }
    const r = await storeAndProcessEvent(event, endpoint, deps);
    if (r.kind === "duplicate") {
      deps.log.info("stripe event replayed: no-op", { event_id: event.id, type: event.type, status: r.status });
      return json(200, { received: true, event_id: event.id, duplicate: true, status: r.status });
    }
    if (r.kind === "failed") {
      // Kept (status failed) for Stripe's redelivery and reconcile-payouts' retry.
      return json(500, { error: "internal_error", reason: "processing_failed", event_id: event.id });
    }
    return json(200, { received: true, event_id: event.id, endpoint, effect: r.effect, outcome: r.outcome ?? null });
  };
}

/** CPU of one stored event processed again, charged to the isolate's meter (ms; measured ~3–4 ms warm, with margin). */
export const WEBHOOK_EVENT_CPU_MS = 6;

/**
 * Processes the inbox's failed (or never processed) events again, oldest first (reconcile-payouts),
 * while `opts.budget` says go on; what is left is retried by the next run (and redelivered by Stripe).
 */
export async function retryFailedWebhookEvents(
  deps: Pick<WebhookDeps, "inbox" | "reader" | "log">,
  opts: { limit?: number; shouldStop?: () => boolean; charge?: (ms: number) => void } = {},
): Promise<{ retried: number; failed: number; left: number }> {
  const rows = await deps.inbox.toRetry(opts.limit ?? 50);
  const out = { retried: 0, failed: 0, left: rows.length };
  for (const row of rows) {
    if (opts.shouldStop?.()) break;
    const outcome = await processStoredEvent(row.payload as StripeEventLike, deps);
    opts.charge?.(WEBHOOK_EVENT_CPU_MS);
    out.retried++;
    out.left--;
    if (!outcome.ok) out.failed++;
  }
  return out;
}
