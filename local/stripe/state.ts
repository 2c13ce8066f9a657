/** Everything the stand-in knows, in one object (exposed to in-process tests as `standIn.state`). */
import { IdempotencyStore } from "./idempotency.ts";
import { type CapabilityStatus, DEFAULT_PLATFORM_AVAILABLE, Ledger } from "./ledger.ts";
import { FaultRegistry, RateLimiter } from "./faults.ts";
import { Clock } from "./util.ts";
import { WebhookDispatcher } from "./webhooks.ts";

/** Default pinned API version of stripe-node 23.1.0 (`Stripe.API_VERSION`). */
export const PINNED_API_VERSION = "2026-10-28.endive";

/** Request-log entries kept in memory (oldest dropped first). */
export const MAX_LOG = 20_000;

export interface RequestLogEntry {
  id: string;
  method: string;
  path: string;
  query: string;
  idempotency_key: string | null;
  stripe_account: string | null;
  params: unknown;
  /** HTTP status sent; null when the connection was dropped. */
  status: number | null;
  /** Status stored under the idempotency key (differs from `status` for drop_after). */
  stored_status: number | null;
  replayed: boolean;
  dropped: boolean;
  faults: string[];
  error_code: string | null;
  object_id: string | null;
  stand_in_time: number;
  started_at_ms: number;
  duration_ms: number;
}

export interface StandInConfig {
  /** Status of capabilities requested through POST /v1/accounts (real Stripe: pending until onboarding). */
  requestedCapabilityStatus: CapabilityStatus;
  /** Allow /_standin control calls from non-loopback addresses. */
  allowRemoteControl: boolean;
  /** Platform available balance for any currency not set explicitly. */
  defaultPlatformAvailable: number;
}

export class StandInState {
  readonly clock = new Clock();
  readonly now = () => this.clock.now();
  ledger: Ledger;
  idempotency: IdempotencyStore;
  readonly faults = new FaultRegistry();
  readonly rateLimiter = new RateLimiter();
  readonly webhooks: WebhookDispatcher;
  requests: RequestLogEntry[] = [];

  constructor(
    readonly config: StandInConfig,
    webhooks: { url?: string; secrets?: { platform?: string; connect?: string } },
  ) {
    this.ledger = new Ledger(this.now, config.defaultPlatformAvailable);
    this.idempotency = new IdempotencyStore(this.now);
    this.webhooks = new WebhookDispatcher(PINNED_API_VERSION, this.now, webhooks);
  }

  /** Append to the request log, keeping the newest MAX_LOG entries. */
  logRequest(entry: RequestLogEntry): void {
    this.requests.push(entry);
    if (this.requests.length > MAX_LOG) this.requests.splice(0, this.requests.length - MAX_LOG);
  }

  /** Forget all objects, keys, faults, logs and clock offset. Webhook URL/secrets are kept. */
  reset(opts: { default_platform_available?: number } = {}): void {
    if (opts.default_platform_available !== undefined) {
      this.config.defaultPlatformAvailable = opts.default_platform_available;
    }
    this.clock.offsetSeconds = 0;
    this.ledger = new Ledger(this.now, this.config.defaultPlatformAvailable);
    this.idempotency = new IdempotencyStore(this.now);
    this.faults.clear();
    this.rateLimiter.configure({ rps: null, retry_after: 1, should_retry: true });
    this.webhooks.reset();
    this.requests = [];
  }
}

export { DEFAULT_PLATFORM_AVAILABLE };
