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
 * | `EDGE_CPU_HAND_BACK_MS`| past this, claimed work is handed back instead of started (default 60 % of the way from the stop line to 2 000) |
 * | `EDGE_WALL_CLOCK_LIMIT_MS` | the isolate's wall-clock limit, from its start (default 150 000, the free plan; 400 000 on paid plans) |
 * | `STRIPE_SECRET_KEY`    | `sk_test_…`/`sk_live_…` (or `rk_…`)                                          |
 * | `STRIPE_API_BASE`      | optional `http(s)://host:port` of the local stand-in; unset = api.stripe.com |
 * | `STRIPE_MAX_RPS`       | client-side request rate (default 20, below Stripe's 25/s)                    |
 * | `STRIPE_TIMEOUT_MS`    | per-request timeout (default 20 000)                                          |
 * | `STRIPE_MAX_ATTEMPTS`  | attempts per call incl. the first, same idempotency key (default 3)          |
 */
import { z } from "zod";
import { EnvError, type EnvGetter, loadStripeEnv, type StripeEnv } from "./env_stripe.ts";

// The zod-free part (EnvError, the Stripe variables) lives in env_stripe.ts: the webhook loads it without zod.
export { EnvError, type EnvGetter, loadStripeEnv, parseApiBase, type StripeEnv } from "./env_stripe.ts";

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
  /** CPU hand-back line (ms), or null for the default. */
  cpuHandBackMs: number | null;
  /** The isolate's wall-clock limit from its start (ms). */
  wallClockLimitMs: number;
}

/** Both. */
export type Env = JobEnv & { stripe: StripeEnv };

const emptyToUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
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
  EDGE_CPU_HAND_BACK_MS: z.preprocess(
    emptyToUndefined,
    z.coerce.number({ error: "must be a number" }).int({ error: "must be an integer" })
      .min(100, { error: "must be >= 100" }).max(1_990, { error: "must be <= 1990" }).optional(),
  ),
  EDGE_WALL_CLOCK_LIMIT_MS: intVar(150_000, 10_000, 400_000),
});

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
      "EDGE_CPU_HAND_BACK_MS",
      "EDGE_WALL_CLOCK_LIMIT_MS",
    ],
    get,
    (raw, v) => {
      const p: string[] = [];
      if (!isSet(raw.PAYOUT_JOBS_DB_URL) && !isSet(raw.SUPABASE_DB_URL)) {
        p.push("PAYOUT_JOBS_DB_URL: is required (or SUPABASE_DB_URL)");
      }
      if (v && v.EDGE_CPU_HAND_BACK_MS !== undefined && v.EDGE_CPU_HAND_BACK_MS < v.EDGE_CPU_STOP_MS) {
        p.push("EDGE_CPU_HAND_BACK_MS: must not be below EDGE_CPU_STOP_MS");
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
    cpuHandBackMs: v.EDGE_CPU_HAND_BACK_MS ?? null,
    wallClockLimitMs: v.EDGE_WALL_CLOCK_LIMIT_MS,
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
