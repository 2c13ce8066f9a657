/**
 * The zod-free part of the environment: `EnvError`, `EnvGetter` and the Stripe variables
 * (`loadStripeEnv`; the table is in env.ts, which re-exports all of this).
 *
 * Apart from env.ts so that `stripe-webhook` does not load zod: a webhook isolate serves one burst
 * of deliveries and is retired after 1 s of CPU, so it starts often, and zod with env.ts's schemas
 * costs ~40 ms of CPU at module load (bench/stripe_webhook_burst.bench.ts).
 */

/** Reads one variable; `undefined` when unset. */
export type EnvGetter = (name: string) => string | undefined;

/** Thrown when the environment is invalid. The message lists variable names and problems, never values. */
export class EnvError extends Error {
  /** `"<VAR>: <problem>"` entries. */
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid environment: ${problems.join("; ")}`);
    this.name = "EnvError";
    this.problems = problems;
  }
}

/** Environment of functions that call Stripe. */
export interface StripeEnv {
  /** Secret key (never log it). */
  secretKey: string;
  /** Parsed `STRIPE_API_BASE`, or null for real Stripe. */
  apiBase: { protocol: "http" | "https"; host: string; port: number } | null;
  maxRps: number;
  timeoutMs: number;
  maxAttempts: number;
}

/** Parses `http(s)://host[:port]` (no path, query or credentials); null when malformed. */
export function parseApiBase(value: string): StripeEnv["apiBase"] {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return null;
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") return null;
  if (u.username || u.password || u.search || u.hash || (u.pathname !== "/" && u.pathname !== "")) return null;
  const protocol = u.protocol === "http:" ? "http" : "https";
  // IPv6 hosts keep their brackets: the SDK builds `${protocol}://${host}${path}`.
  return { protocol, host: u.hostname, port: u.port ? Number(u.port) : protocol === "http" ? 80 : 443 };
}

const isSet = (v: string | undefined): v is string => v !== undefined && v.trim() !== "";

/**
 * A numeric variable: unset or blank → `def`; else a number in [min, max] (`gt`: strictly above
 * it), an integer when `int`. Problems go to `problems` as `"<VAR>: <problem>"`.
 */
export function numberVar(
  get: EnvGetter,
  name: string,
  problems: string[],
  o: { def: number; min?: number; gt?: number; max: number; int?: boolean },
): number {
  const raw = get(name);
  if (!isSet(raw)) return o.def;
  const n = Number(raw);
  const problem = Number.isNaN(n)
    ? "must be a number"
    : o.int && !Number.isInteger(n)
    ? "must be an integer"
    : o.gt !== undefined && !(n > o.gt)
    ? `must be > ${o.gt}`
    : o.min !== undefined && n < o.min
    ? `must be >= ${o.min}`
    : n > o.max
    ? `must be <= ${o.max}`
    : null;
  if (problem) problems.push(`${name}: ${problem}`);
  return n;
}

/** Reads and validates the Stripe environment. Throws `EnvError`. */
export function loadStripeEnv(get: EnvGetter = (name) => Deno.env.get(name)): StripeEnv {
  const problems: string[] = [];
  const secretKey = get("STRIPE_SECRET_KEY");
  if (!isSet(secretKey)) problems.push("STRIPE_SECRET_KEY: is required");
  else if (!/^(sk|rk)_(test|live)_[A-Za-z0-9_]+$/.test(secretKey)) {
    problems.push("STRIPE_SECRET_KEY: must look like sk_test_… / sk_live_… / rk_…");
  }
  const base = get("STRIPE_API_BASE");
  const env: StripeEnv = {
    secretKey: secretKey ?? "",
    apiBase: isSet(base) ? parseApiBase(base.trim()) : null,
    maxRps: numberVar(get, "STRIPE_MAX_RPS", problems, { def: 20, gt: 0, max: 100 }),
    timeoutMs: numberVar(get, "STRIPE_TIMEOUT_MS", problems, { def: 20_000, min: 100, max: 120_000, int: true }),
    maxAttempts: numberVar(get, "STRIPE_MAX_ATTEMPTS", problems, { def: 3, min: 1, max: 10, int: true }),
  };
  if (isSet(base) && !env.apiBase) problems.push("STRIPE_API_BASE: must be http(s)://host[:port] without a path");
  else if (isSet(base) && /^(sk|rk)_live_/.test(secretKey ?? "")) {
    problems.push("STRIPE_API_BASE: must not be set together with a live key (live keys only go to api.stripe.com)");
  }
  if (problems.length > 0) throw new EnvError(problems);
  return env;
}
