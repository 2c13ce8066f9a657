/**
 * Fault injection. A fault has a kind (which fixes the pipeline stage where it acts), a
 * matcher (method, path glob, request metadata / params, idempotency key) and a schedule:
 * one-shot (`times`, default 1: the next N matching requests) or scheduled (`every_nth`:
 * every Nth matching request, unlimited unless `times` caps it). At most one fault acts per
 * stage per request; faults from the `X-Standin-Fault` header take precedence.
 */
import type { FormObject } from "./form.ts";
import { newId } from "./util.ts";

export const FAULT_KINDS = [
  "latency",
  "rate_limit",
  "drop_before",
  "error_500_before",
  "balance_insufficient",
  "no_capability",
  "error_500_after",
  "drop_after",
  "latency_after",
] as const;
export type FaultKind = typeof FAULT_KINDS[number];

/**
 * gate: before idempotency (nothing stored, nothing executed);
 * latency: after the idempotency key is locked (so a slow request holds the key);
 * before_execute: execution began, nothing moved yet, the response IS stored;
 * after_execute: the money moved; the response stored is the fault's (500) or the real one (drop);
 * respond: the response is stored; sending it is delayed (a caller killed meanwhile never sees
 *   the success that Stripe recorded).
 */
export type FaultStage = "gate" | "latency" | "before_execute" | "after_execute" | "respond";

export const FAULT_STAGE: Record<FaultKind, FaultStage> = {
  rate_limit: "gate",
  drop_before: "gate",
  latency: "latency",
  error_500_before: "before_execute",
  balance_insufficient: "before_execute",
  no_capability: "before_execute",
  error_500_after: "after_execute",
  drop_after: "after_execute",
  latency_after: "respond",
};

export interface FaultSpec {
  kind: FaultKind;
  /** HTTP method to match (any when omitted). */
  method?: string;
  /** Exact path or glob (`*` = one path segment, `**` = anything), e.g. `/v1/transfers/*\/reversals`. */
  path?: string;
  /** Every entry must equal the request's `metadata[...]` param, e.g. `{ payout_id: "po_1" }`. */
  metadata?: Record<string, string>;
  /** Every entry must equal a top-level request param, e.g. `{ transfer_group: "g1" }`. */
  params?: Record<string, string>;
  idempotency_key?: string;
  /** One-shot: act on the next N matching requests (default 1). With every_nth: max number of acts. */
  times?: number;
  /** Scheduled: act on every Nth matching request. */
  every_nth?: number;
  /** latency, latency_after: delay in ms (default 1000). */
  latency_ms?: number;
  /** error_500_*: HTTP status (default 500). */
  status?: number;
  /** Value of `Stripe-Should-Retry` (rate_limit default true; error_500_* default: header omitted). */
  should_retry?: boolean | null;
  /** rate_limit: `Retry-After` seconds (default 1; null omits the header). */
  retry_after?: number | null;
  /** error_500_before: false = fail in front of the idempotency layer (nothing stored). Default true. */
  store?: boolean;
}

export interface Fault {
  id: string;
  source: "control" | "header";
  spec: FaultSpec;
  matched: number;
  applied: number;
  /** Acts left; null = unlimited. */
  remaining: number | null;
}

export interface MatchContext {
  method: string;
  path: string;
  params: FormObject;
  idempotencyKey?: string;
}

export class FaultSpecError extends Error {}

function globToRegExp(glob: string): RegExp {
  const esc = glob.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^${esc.replaceAll("**", "\u0000").replaceAll("*", "[^/]*").replaceAll("\u0000", ".*")}$`);
}

function positiveInt(name: string, v: unknown): void {
  if (v !== undefined && (!Number.isInteger(v) || (v as number) < 1)) {
    throw new FaultSpecError(`${name} must be a positive integer`);
  }
}

export function validateSpec(spec: FaultSpec): FaultSpec {
  if (!spec || !FAULT_KINDS.includes(spec.kind)) {
    throw new FaultSpecError(`kind must be one of ${FAULT_KINDS.join(", ")}`);
  }
  positiveInt("times", spec.times);
  positiveInt("every_nth", spec.every_nth);
  if (spec.latency_ms !== undefined && (!Number.isInteger(spec.latency_ms) || spec.latency_ms < 0)) {
    throw new FaultSpecError("latency_ms must be a non-negative integer");
  }
  if (spec.status !== undefined && (!Number.isInteger(spec.status) || spec.status < 500 || spec.status > 599)) {
    throw new FaultSpecError("status must be a 5xx integer");
  }
  return spec;
}

export function makeFault(spec: FaultSpec, source: Fault["source"] = "control"): Fault {
  validateSpec(spec);
  return {
    id: newId("fault", 12),
    source,
    spec: { ...spec },
    matched: 0,
    applied: 0,
    remaining: spec.every_nth ? (spec.times ?? null) : (spec.times ?? 1),
  };
}

export function matches(f: Fault, ctx: MatchContext): boolean {
  const s = f.spec;
  if (s.method && s.method.toUpperCase() !== ctx.method) return false;
  if (s.path && !globToRegExp(s.path).test(ctx.path)) return false;
  if (s.idempotency_key !== undefined && s.idempotency_key !== ctx.idempotencyKey) return false;
  if (s.params) {
    for (const [k, v] of Object.entries(s.params)) if (ctx.params[k] !== v) return false;
  }
  if (s.metadata) {
    const md = ctx.params.metadata;
    if (!md || typeof md !== "object" || Array.isArray(md)) return false;
    for (const [k, v] of Object.entries(s.metadata)) if (md[k] !== v) return false;
  }
  return true;
}

/** `X-Standin-Fault: error_500_after` or `latency;ms=300, drop_after`. */
export function parseFaultHeader(value: string | null): Fault[] {
  if (!value) return [];
  return value.split(",").map((part) => {
    const [kind, ...kvs] = part.split(";").map((s) => s.trim());
    const spec: FaultSpec = { kind: kind as FaultKind };
    for (const kv of kvs) {
      const [k, v] = kv.split("=").map((s) => s.trim());
      if (k === "ms" || k === "latency_ms") spec.latency_ms = Number(v);
      else if (k === "status") spec.status = Number(v);
      else if (k === "retry_after") spec.retry_after = v === "null" ? null : Number(v);
      else if (k === "should_retry") spec.should_retry = v === "null" ? null : v === "true";
      else if (k === "store") spec.store = v !== "false";
      else throw new FaultSpecError(`unknown X-Standin-Fault option ${k}`);
    }
    return makeFault(spec, "header");
  });
}

export class FaultRegistry {
  faults: Fault[] = [];

  add(spec: FaultSpec): Fault {
    const f = makeFault(spec);
    this.faults.push(f);
    return f;
  }

  remove(id: string): boolean {
    const n = this.faults.length;
    this.faults = this.faults.filter((f) => f.id !== id);
    return this.faults.length !== n;
  }

  clear(): void {
    this.faults = [];
  }

  /** One-shot faults that still have acts left: a test that expects all its faults to fire asserts this is empty. */
  pending(): Fault[] {
    return this.faults.filter((f) => !f.spec.every_nth && f.remaining !== null && f.remaining > 0);
  }

  /** The (at most one) fault that acts at `stage` for this request; counters are updated. */
  take(stage: FaultStage, ctx: MatchContext, headerFaults: Fault[] = []): Fault | undefined {
    let chosen: Fault | undefined;
    for (const f of [...headerFaults, ...this.faults]) {
      if (FAULT_STAGE[f.spec.kind] !== stage || f.remaining === 0 || !matches(f, ctx)) continue;
      f.matched++;
      const fires = f.spec.every_nth ? f.matched % f.spec.every_nth === 0 : true;
      if (fires && !chosen) {
        chosen = f;
        f.applied++;
        if (f.remaining !== null) f.remaining--;
      }
    }
    return chosen;
  }
}

/**
 * Global requests-per-second limiter, a token bucket like Stripe's own request rate limiter (Stripe
 * engineering blog, "Scaling your API with rate limiters": a token bucket per user): the bucket
 * holds at most `rps` tokens, refills at `rps` tokens per second (continuously), and each admitted
 * request takes one; with the bucket empty the answer is 429. So a client at the rate with jitter in
 * its arrivals is never refused, while a burst beyond the bucket is. After idling, up to `rps`
 * requests pass at once; any window of T seconds admits at most `rps · (1 + T)`. Refused requests
 * take no token. Wall clock (ms) unless `admit(now)` is given one.
 */
export class RateLimiter {
  rps: number | null = null;
  retryAfter: number | null = 1;
  shouldRetry: boolean | null = true;
  /** Tokens in the bucket as of `refilledAt` (fractional while refilling). */
  private tokens = 0;
  /** Clock of the last refill; null = not used since configured (the bucket is full). */
  private refilledAt: number | null = null;

  configure(opts: { rps?: number | null; retry_after?: number | null; should_retry?: boolean | null }): void {
    if (opts.rps !== undefined) {
      if (opts.rps !== null && (!Number.isInteger(opts.rps) || opts.rps < 1)) {
        throw new FaultSpecError("rps must be a positive integer or null");
      }
      this.rps = opts.rps;
      this.tokens = opts.rps ?? 0;
      this.refilledAt = null;
    }
    if (opts.retry_after !== undefined) this.retryAfter = opts.retry_after;
    if (opts.should_retry !== undefined) this.shouldRetry = opts.should_retry;
  }

  /** true = admitted (one token taken). */
  admit(nowMs = Date.now()): boolean {
    if (this.rps === null) return true;
    if (this.refilledAt !== null && nowMs > this.refilledAt) {
      this.tokens = Math.min(this.rps, this.tokens + ((nowMs - this.refilledAt) * this.rps) / 1000);
    }
    this.refilledAt = Math.max(this.refilledAt ?? nowMs, nowMs);
    // (a hair of tolerance: refills are fractional, and a client exactly at the rate must pass)
    if (this.tokens < 1 - 1e-9) return false;
    this.tokens = Math.max(0, this.tokens - 1);
    return true;
  }

  describe() {
    return {
      rps: this.rps,
      retry_after: this.retryAfter,
      should_retry: this.shouldRetry,
      algorithm: "token_bucket",
      capacity: this.rps,
    };
  }
}
