/**
 * Idempotency layer, modelled on Stripe API v1:
 * - a key is scoped to the account (platform, or the Stripe-Account header) and bound to the
 *   endpoint (method + path) and the parameters it was first used with;
 * - the first response of a request whose execution began is stored, whatever its status
 *   (including 500s) and replayed with `Idempotent-Replayed: true`;
 * - validation failures, 401s and 429s happen before execution: nothing is stored;
 * - reuse with other params / another endpoint -> 400 `idempotency_error`;
 * - reuse while the first request is still executing -> 409 `idempotency_key_in_use`;
 * - keys are pruned 24h (stand-in clock) after first use; afterwards the key is new again.
 */
import { ApiError, errors } from "./errors.ts";

export interface StoredResponse {
  status: number;
  body: string;
  headers: Record<string, string>;
  requestId: string;
}

export interface IdempotencyEntry {
  scope: string;
  key: string;
  endpoint: string;
  params: string;
  createdAt: number;
  state: "in_flight" | "done";
  response?: StoredResponse;
}

export type Decision =
  | { kind: "fresh"; entry: IdempotencyEntry }
  | { kind: "replay"; entry: IdempotencyEntry; response: StoredResponse }
  | { kind: "error"; error: ApiError };

export const KEY_TTL_SECONDS = 24 * 60 * 60;

export class IdempotencyStore {
  private readonly entries = new Map<string, IdempotencyEntry>();

  constructor(private readonly now: () => number, readonly ttlSeconds = KEY_TTL_SECONDS) {}

  private id(scope: string, key: string): string {
    return `${scope}\u0000${key}`;
  }

  /** Look the key up and, when it is new, lock it for this request. */
  begin(scope: string, key: string, endpoint: string, params: string): Decision {
    this.prune();
    const existing = this.entries.get(this.id(scope, key));
    if (existing) {
      if (existing.state === "in_flight") return { kind: "error", error: errors.idempotencyInUse(key) };
      if (existing.endpoint !== endpoint) {
        return { kind: "error", error: errors.idempotencyEndpoint(key, existing.endpoint, endpoint) };
      }
      if (existing.params !== params) return { kind: "error", error: errors.idempotencyParams(key) };
      return { kind: "replay", entry: existing, response: existing.response! };
    }
    const entry: IdempotencyEntry = { scope, key, endpoint, params, createdAt: this.now(), state: "in_flight" };
    this.entries.set(this.id(scope, key), entry);
    return { kind: "fresh", entry };
  }

  /** Store the response of an executed request. */
  complete(entry: IdempotencyEntry, response: StoredResponse): void {
    entry.state = "done";
    entry.response = response;
  }

  /** The request never began executing (validation error, dropped before execution): forget the key. */
  release(entry: IdempotencyEntry): void {
    if (this.entries.get(this.id(entry.scope, entry.key)) === entry) {
      this.entries.delete(this.id(entry.scope, entry.key));
    }
  }

  /** Drop completed keys older than the TTL. In-flight keys are never pruned. */
  prune(): number {
    const cutoff = this.now() - this.ttlSeconds;
    let n = 0;
    for (const [id, e] of this.entries) {
      if (e.state === "done" && e.createdAt <= cutoff) {
        this.entries.delete(id);
        n++;
      }
    }
    return n;
  }

  /** Simulate the 24h window passing for every completed key. */
  expireAll(): number {
    let n = 0;
    for (const [id, e] of this.entries) {
      if (e.state === "done") {
        this.entries.delete(id);
        n++;
      }
    }
    return n;
  }

  list() {
    return [...this.entries.values()].map((e) => ({
      scope: e.scope,
      key: e.key,
      endpoint: e.endpoint,
      created: e.createdAt,
      expires_at: e.createdAt + this.ttlSeconds,
      state: e.state,
      status: e.response?.status ?? null,
      request_id: e.response?.requestId ?? null,
    }));
  }

  clear(): void {
    this.entries.clear();
  }

  /** Completed keys, for the stand-in's state file (a key in flight dies with the process). */
  exportState(): IdempotencyEntry[] {
    return [...this.entries.values()].filter((e) => e.state === "done");
  }

  /** Replaces the keys with saved ones (`exportState`). */
  importState(entries: IdempotencyEntry[]): void {
    this.entries.clear();
    for (const e of entries) if (e.state === "done") this.entries.set(this.id(e.scope, e.key), e);
  }
}
