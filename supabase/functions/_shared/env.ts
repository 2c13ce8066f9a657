/**
 * Typed, validated environment of the payout-run Edge Functions.
 *
 * Read once per invocation (cheap) with `loadJobEnv()` / `loadStripeEnv()` / `loadEnv()`. A bad or
 * missing variable throws `EnvError`, whose message names the variables and what is wrong with them,
 * never their values (they are secrets). Every reader takes an optional getter so tests pass a plain
 * object instead of touching `Deno.env`.
 *
 * | variable               | meaning                                                                      |
 * | ---------------------- | ---------------------------------------------------------------------------- |
 * | `PAYOUT_JOBS_DB_URL`   | connection string of the jobs' least-privilege login (preferred)             |
 * | `SUPABASE_DB_URL`      | fallback (set by Supabase; it is the owner, so pair it with `PAYOUT_JOBS_DB_ROLE`) |
 * | `PAYOUT_JOBS_DB_ROLE`  | optional role switched to per transaction (`set_config('role', …, true)`)    |
 * | `PAYOUT_JOB_SECRET`    | the doorbell secret (function secret; the same value pg_cron reads from Vault) |
 * | `PAYOUT_BATCH_SIZE`    | rows claimed per batch, and paid outcomes recorded per transaction (default 25, 1–1000) |
 * | `PAYOUT_RUN_BUDGET_MS` | wall-clock budget of one invocation (default 110 000; Supabase kills at ~150 s) |
 * | `PAYOUT_STOP_MARGIN_MS`| stop claiming when less than this is left (default 25 000)                    |
 * | `EDGE_CPU_STOP_MS`     | stop claiming once the isolate used this much CPU (default 1 500: past the 1 s retire line, well before the 2 s kill) |
 * | `EDGE_WALL_CLOCK_LIMIT_MS` | the isolate's wall-clock limit, from its start (default 150 000, the free plan; 400 000 on paid plans) |
 * | `STRIPE_SECRET_KEY`    | `sk_test_…`/`sk_live_…` (or `rk_…`)                                          |
 * | `STRIPE_API_BASE`      | optional `http(s)://host:port` of the local stand-in; unset = api.stripe.com |
 * | `STRIPE_MAX_RPS`       | client-side request rate (default 20, below Stripe's 25/s)                    |
 * | `STRIPE_TIMEOUT_MS`    | per-request timeout (default 20 000)                                          |
 * | `STRIPE_MAX_ATTEMPTS`  | attempts per call incl. the first, same idempotency key (default 3)          |
 */
import { z } from "zod";

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

/** Environment every payout job needs (database, doorbell secret, budgets). */
export interface JobEnv {
  db: {
    /** Connection string (contains a password: never log it). */
    url: string;
    /** Which variable it came from. `SUPABASE_DB_URL` is the owner: prefer a jobs login. */
    source: "PAYOUT_JOBS_DB_URL" | "SUPABASE_DB_URL";
    /** Role to switch to inside each job transaction, or null. */
    role: string | null;
  };
  /** Expected doorbell secret. */
  jobSecret: string;
  batchSize: number;
  runBudgetMs: number;
  stopMarginMs: number;
  /** CPU stop line of the isolate (ms; see budget.ts). */
  cpuStopMs: number;
  /** The isolate's wall-clock limit from its start (ms). */
  wallClockLimitMs: number;
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

/** Both. */
export type Env = JobEnv & { stripe: StripeEnv };

const emptyToUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const optionalString = z.preprocess(emptyToUndefined, z.string().optional());
const intVar = (def: number, min: number, max: number) =>
  z.preprocess(
    emptyToUndefined,
    z.coerce.number({ error: "must be a number" }).int({ error: "must be an integer" })
      .min(min, { error: `must be >= ${min}` }).max(max, { error: `must be <= ${max}` }).default(def),
  );

const dbUrl = z.string().regex(/^postgres(ql)?:\/\/\S+$/, { error: "must be a postgres:// connection string" });
const roleName = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, { error: "must be a plain role name" });

const jobSchema = z.object({
  PAYOUT_JOBS_DB_URL: z.preprocess(emptyToUndefined, dbUrl.optional()),
  SUPABASE_DB_URL: z.preprocess(emptyToUndefined, dbUrl.optional()),
  PAYOUT_JOBS_DB_ROLE: z.preprocess(emptyToUndefined, roleName.optional()),
  PAYOUT_JOB_SECRET: z.preprocess(
    emptyToUndefined,
    z.string({ error: "is required" }).min(32, { error: "must be at least 32 characters" }),
  ),
  PAYOUT_BATCH_SIZE: intVar(25, 1, 1000),
  PAYOUT_RUN_BUDGET_MS: intVar(110_000, 1_000, 400_000),
  PAYOUT_STOP_MARGIN_MS: intVar(25_000, 0, 400_000),
  EDGE_CPU_STOP_MS: intVar(1_500, 100, 1_900),
  EDGE_WALL_CLOCK_LIMIT_MS: intVar(150_000, 10_000, 400_000),
});

const stripeSchema = z.object({
  STRIPE_SECRET_KEY: z.preprocess(
    emptyToUndefined,
    z.string({ error: "is required" }).regex(/^(sk|rk)_(test|live)_[A-Za-z0-9_]+$/, {
      error: "must look like sk_test_… / sk_live_… / rk_…",
    }),
  ),
  STRIPE_API_BASE: optionalString,
  STRIPE_MAX_RPS: z.preprocess(
    emptyToUndefined,
    z.coerce.number({ error: "must be a number" }).gt(0, { error: "must be > 0" })
      .max(100, { error: "must be <= 100" }).default(20),
  ),
  STRIPE_TIMEOUT_MS: intVar(20_000, 100, 120_000),
  STRIPE_MAX_ATTEMPTS: intVar(3, 1, 10),
});

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

function defaultGetter(): EnvGetter {
  return (name) => Deno.env.get(name);
}

const isSet = (v: string | undefined): v is string => v !== undefined && v.trim() !== "";

/**
 * Parses the named variables with `schema`; `cross` adds checks across variables (run on the raw
 * values, so they are reported together with per-variable problems). Throws one `EnvError`.
 */
function read<S extends z.ZodType>(
  schema: S,
  names: string[],
  get: EnvGetter,
  cross: (raw: Record<string, string | undefined>, parsed: z.output<S> | undefined) => string[],
): z.output<S> {
  const raw: Record<string, string | undefined> = Object.fromEntries(names.map((n) => [n, get(n)]));
  const r = schema.safeParse(raw);
  const problems = r.success ? [] : r.error.issues.map((i) => `${i.path.map(String).join(".") || "env"}: ${i.message}`);
  problems.push(...cross(raw, r.success ? r.data : undefined));
  if (problems.length > 0 || !r.success) throw new EnvError(problems);
  return r.data;
}

/** Reads and validates the job environment (database, doorbell secret, budgets). Throws `EnvError`. */
export function loadJobEnv(get: EnvGetter = defaultGetter()): JobEnv {
  const v = read(
    jobSchema,
    [
      "PAYOUT_JOBS_DB_URL",
      "SUPABASE_DB_URL",
      "PAYOUT_JOBS_DB_ROLE",
      "PAYOUT_JOB_SECRET",
      "PAYOUT_BATCH_SIZE",
      "PAYOUT_RUN_BUDGET_MS",
      "PAYOUT_STOP_MARGIN_MS",
      "EDGE_CPU_STOP_MS",
      "EDGE_WALL_CLOCK_LIMIT_MS",
    ],
    get,
    (raw, v) => {
      const p: string[] = [];
      if (!isSet(raw.PAYOUT_JOBS_DB_URL) && !isSet(raw.SUPABASE_DB_URL)) {
        p.push("PAYOUT_JOBS_DB_URL: is required (or SUPABASE_DB_URL)");
      }
      if (v && v.PAYOUT_STOP_MARGIN_MS >= v.PAYOUT_RUN_BUDGET_MS) {
        p.push("PAYOUT_STOP_MARGIN_MS: must be below PAYOUT_RUN_BUDGET_MS");
      }
      return p;
    },
  );
  const source = v.PAYOUT_JOBS_DB_URL ? "PAYOUT_JOBS_DB_URL" : "SUPABASE_DB_URL";
  return {
    db: { url: (v.PAYOUT_JOBS_DB_URL ?? v.SUPABASE_DB_URL) as string, source, role: v.PAYOUT_JOBS_DB_ROLE ?? null },
    jobSecret: v.PAYOUT_JOB_SECRET,
    batchSize: v.PAYOUT_BATCH_SIZE,
    runBudgetMs: v.PAYOUT_RUN_BUDGET_MS,
    stopMarginMs: v.PAYOUT_STOP_MARGIN_MS,
    cpuStopMs: v.EDGE_CPU_STOP_MS,
    wallClockLimitMs: v.EDGE_WALL_CLOCK_LIMIT_MS,
  };
}

/** Reads and validates the Stripe environment. Throws `EnvError`. */
export function loadStripeEnv(get: EnvGetter = defaultGetter()): StripeEnv {
  const v = read(
    stripeSchema,
    [
      "STRIPE_SECRET_KEY",
      "STRIPE_API_BASE",
      "STRIPE_MAX_RPS",
      "STRIPE_TIMEOUT_MS",
      "STRIPE_MAX_ATTEMPTS",
    ],
    get,
    (raw) => {
      if (!isSet(raw.STRIPE_API_BASE)) return [];
      if (!parseApiBase(raw.STRIPE_API_BASE.trim())) {
        return ["STRIPE_API_BASE: must be http(s)://host[:port] without a path"];
      }
      if (/^(sk|rk)_live_/.test(raw.STRIPE_SECRET_KEY ?? "")) {
        return ["STRIPE_API_BASE: must not be set together with a live key (live keys only go to api.stripe.com)"];
      }
      return [];
    },
  );
  return {
    secretKey: v.STRIPE_SECRET_KEY,
    apiBase: v.STRIPE_API_BASE === undefined ? null : parseApiBase(v.STRIPE_API_BASE.trim()),
    maxRps: v.STRIPE_MAX_RPS,
    timeoutMs: v.STRIPE_TIMEOUT_MS,
    maxAttempts: v.STRIPE_MAX_ATTEMPTS,
  };
}

/** Job and Stripe environment together; all problems of both are reported in one `EnvError`. */
export function loadEnv(get: EnvGetter = defaultGetter()): Env {
  const problems: string[] = [];
  let job: JobEnv | undefined;
  let stripe: StripeEnv | undefined;
  try {
    job = loadJobEnv(get);
  } catch (e) {
    if (!(e instanceof EnvError)) throw e;
    problems.push(...e.problems);
  }
  try {
    stripe = loadStripeEnv(get);
  } catch (e) {
    if (!(e instanceof EnvError)) throw e;
    problems.push(...e.problems);
  }
  if (!job || !stripe) throw new EnvError(problems);
  return { ...job, stripe };
}
