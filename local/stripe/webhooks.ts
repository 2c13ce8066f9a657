/**
 * Stripe events and signed webhook delivery.
 * Signature, as Stripe computes it: `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
 * Platform events are signed with the platform endpoint secret; Connect events (which carry
 * `account`) with the Connect endpoint secret.
 */
import { newId, sleep } from "./util.ts";

export type SecretKind = "platform" | "connect";
export type SendMode = "normal" | "duplicate" | "reverse_order" | "delay_ms";

export interface StripeEvent {
  id: string;
  object: "event";
  account?: string;
  api_version: string;
  created: number;
  data: { object: unknown; previous_attributes?: unknown };
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: string;
}

export interface Delivery {
  event_id: string;
  type: string;
  secret: SecretKind;
  url: string;
  status: number | null;
  error: string | null;
  signature_timestamp: number;
  delivered_at_ms: number;
}

const encoder = new TextEncoder();

export async function computeSignature(secret: string, payload: string, timestamp: number): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(`${timestamp}.${payload}`));
  return Array.from(new Uint8Array(mac), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The `Stripe-Signature` header value for `payload` (the exact raw body) signed at `timestamp` (unix seconds). */
export async function signStripePayload(
  secret: string,
  payload: string,
  timestamp: number = Math.floor(Date.now() / 1000),
): Promise<string> {
  return `t=${timestamp},v1=${await computeSignature(secret, payload, timestamp)}`;
}

export const DEFAULT_WEBHOOK_SECRETS = {
  platform: "whsec_standin_platform_secret",
  connect: "whsec_standin_connect_secret",
};

export interface WebhookConfig {
  url?: string;
  secrets?: { platform?: string; connect?: string };
  /** Deliver events the stand-in emits for its own API activity (default true). */
  auto?: boolean;
}

export class WebhookDispatcher {
  url: string | undefined;
  secrets: { platform: string; connect: string };
  auto = true;
  events: StripeEvent[] = [];
  deliveries: Delivery[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private readonly inflight = new Set<Promise<unknown>>();
  private abort = new AbortController();

  constructor(private readonly apiVersion: string, private readonly now: () => number, cfg: WebhookConfig = {}) {
    this.url = cfg.url;
    this.secrets = { ...DEFAULT_WEBHOOK_SECRETS };
    this.configure(cfg);
  }

  configure(cfg: WebhookConfig): void {
    if (cfg.url !== undefined) this.url = cfg.url || undefined;
    if (cfg.secrets?.platform) this.secrets.platform = cfg.secrets.platform;
    if (cfg.secrets?.connect) this.secrets.connect = cfg.secrets.connect;
    if (cfg.auto !== undefined) this.auto = cfg.auto;
  }

  createEvent(
    type: string,
    object: unknown,
    opts: {
      account?: string;
      request?: { id: string | null; idempotency_key: string | null };
      previous_attributes?: unknown;
    } = {},
  ): StripeEvent {
    const ev: StripeEvent = {
      id: newId("evt"),
      object: "event",
      ...(opts.account ? { account: opts.account } : {}),
      api_version: this.apiVersion,
      created: this.now(),
      data: opts.previous_attributes ? { object, previous_attributes: opts.previous_attributes } : { object },
      livemode: false,
      pending_webhooks: this.url ? 1 : 0,
      request: opts.request ?? { id: null, idempotency_key: null },
      type,
    };
    this.events.push(ev);
    return ev;
  }

  /** Event for the stand-in's own activity: delivered in the background, in emission order. */
  emitAuto(ev: StripeEvent, secret: SecretKind = "platform"): void {
    if (!this.url || !this.auto) return;
    this.track(this.chain = this.chain.then(() => this.deliver(ev, secret)));
  }

  /** Deliver events now with a test mode; resolves when every delivery finished. */
  async send(
    events: StripeEvent[],
    opts: { mode?: SendMode; delay_ms?: number; secret?: SecretKind; signature_timestamp?: number } = {},
  ): Promise<Delivery[]> {
    const secret = opts.secret ?? (events[0]?.account ? "connect" : "platform");
    const mode = opts.mode ?? "normal";
    let order = events;
    if (mode === "reverse_order") order = [...events].reverse();
    if (mode === "duplicate") order = events.flatMap((e) => [e, e]);
    const run = async () => {
      if (mode === "delay_ms") await sleep(opts.delay_ms ?? 1000, this.abort.signal);
      const out: Delivery[] = [];
      for (const ev of order) out.push(await this.deliver(ev, secret, opts.signature_timestamp));
      return out;
    };
    return await this.track(run());
  }

  /**
   * Stripe's automatic retries: every event (or the listed ones) none of whose deliveries was
   * answered 2xx is delivered again, once, with its same id and body. Stripe retries for up to
   * three days with a backoff; a caller triggers the retry round it wants (tests: when time has
   * passed). Resolves with the new deliveries.
   */
  async redeliverFailed(eventIds?: string[]): Promise<Delivery[]> {
    const ok = new Set(
      this.deliveries.filter((d) => d.status !== null && d.status >= 200 && d.status < 300).map((d) => d.event_id),
    );
    const delivered = new Map<string, SecretKind>();
    for (const d of this.deliveries) delivered.set(d.event_id, d.secret);
    const wanted = eventIds ? new Set(eventIds) : null;
    const due = this.events.filter((e) => delivered.has(e.id) && !ok.has(e.id) && (!wanted || wanted.has(e.id)));
    const run = async () => {
      const out: Delivery[] = [];
      for (const ev of due) out.push(await this.deliver(ev, delivered.get(ev.id)!));
      return out;
    };
    return await this.track(run());
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    p.finally(() => this.inflight.delete(p)).catch(() => {});
    return p;
  }

  private async deliver(ev: StripeEvent, secret: SecretKind, signatureTimestamp?: number): Promise<Delivery> {
    const url = this.url;
    // Signed with the wall clock (as Stripe does), not the stand-in clock, so receivers'
    // tolerance checks pass even after the stand-in clock was advanced.
    const t = signatureTimestamp ?? Math.floor(Date.now() / 1000);
    const d: Delivery = {
      event_id: ev.id,
      type: ev.type,
      secret,
      url: url ?? "",
      status: null,
      error: null,
      signature_timestamp: t,
      delivered_at_ms: Date.now(),
    };
    this.deliveries.push(d);
    if (!url) {
      d.error = "no webhook url configured";
      return d;
    }
    if (this.abort.signal.aborted) {
      d.error = "stand-in closing";
      return d;
    }
    const payload = JSON.stringify(ev, null, 2);
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json; charset=utf-8",
          "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
          "stripe-signature": await signStripePayload(this.secrets[secret], payload, t),
        },
        body: payload,
        signal: this.abort.signal,
      });
      await res.body?.cancel();
      d.status = res.status;
    } catch (e) {
      d.error = e instanceof Error ? e.message : String(e);
    }
    return d;
  }

  /** Wait for queued deliveries (they are not aborted). */
  async idle(): Promise<void> {
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
  }

  /** Abort in-flight deliveries and delays, and wait for them to settle. */
  async close(): Promise<void> {
    this.abort.abort();
    await this.idle();
  }

  reset(): void {
    this.events = [];
    this.deliveries = [];
  }
}
