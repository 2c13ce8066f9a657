/**
 * The environment of every Edge Function: each variable declared once below (`ENV`: name, default,
 * range, meaning), grouped into what one function reads (`payoutRunEnv`, `webhookEnv`, …).
 *
 * A function's variables are read once per invocation (`readEnv`: one `Deno.env.get` each; the
 * function builder, `function.ts`, does it and parses again only when a value changed). A bad or
 * missing variable throws `EnvError`, whose problems name the variables and what is wrong with
 * them, never their values (most are secrets). Every reader takes a getter, so tests pass a plain
 * object instead of touching `Deno.env`.
 *
 * Validated without zod, on purpose. Module load only (`deno run` of a script importing the
 * module, `process.cpuUsage()` around the import, cached, median of 5): this module ~1.5–2 ms; the
 * same variables as `zod/mini` schemas ~46 ms (`zod/mini` alone ~25–29 ms: it loads zod's core
 * with its 64 locales); the former env.ts over full zod ~45–55 ms. Every function reads its
 * environment, and a webhook isolate starts often (it is retired after 1 s of CPU); see
 * docs/payout-runs.md, "Within the hosted limits".
 */

/** Reads one variable; `undefined` when unset. */
export type EnvGetter = (name: string) => string | undefined;

/** The variables of one function, as read for one invocation. */
export type EnvSnapshot = Readonly<Record<string, string | undefined>>;

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

// ---------------------------------------------------------------------------------------------
// Kinds of variables
// ---------------------------------------------------------------------------------------------

/** A problem with a set value (`"must be …"`). */
class Invalid {
  constructor(readonly problem: string) {}
}

/** How one variable is read. `T` is its value once valid, `undefined` when unset and optional. */
export interface EnvVar<T> {
  /** What it is for. */
  readonly meaning: string;
  /** A secret: its value is blanked in the function's logs. */
  readonly secret: boolean;
  /** The value when unset or blank; `required` when there is none. */
  readonly fallback: T | "required";
  /** A set value (trimmed, not blank) → its value, or `Invalid`. */
  parse(raw: string): T | Invalid;
}

function envVar<T>(
  meaning: string,
  fallback: T | "required",
  parse: (raw: string) => T | Invalid,
  secret = false,
): EnvVar<T> {
  return { meaning, secret, fallback, parse };
}

/** A number in [min, max] (`gt`: strictly above it instead), an integer unless `fraction`. */
function num<D extends number | undefined>(
  meaning: string,
  o: { def: D; min?: number; gt?: number; max: number; fraction?: true },
): EnvVar<number | D> {
  return envVar<number | D>(meaning, o.def, (raw) => {
    const n = Number(raw);
    if (Number.isNaN(n)) return new Invalid("must be a number");
    if (!o.fraction && !Number.isInteger(n)) return new Invalid("must be an integer");
    if (o.gt !== undefined && !(n > o.gt)) return new Invalid(`must be > ${o.gt}`);
    if (o.min !== undefined && n < o.min) return new Invalid(`must be >= ${o.min}`);
    if (n > o.max) return new Invalid(`must be <= ${o.max}`);
    return n;
  });
}

/** A string matching `re` (`expected` says what it must look like). */
function text<D extends string | undefined | "required">(
  meaning: string,
  o: { def: D; re: RegExp; expected: string; secret?: boolean },
): EnvVar<string | Exclude<D, "required">> {
  return envVar<string | Exclude<D, "required">>(
    meaning,
    o.def as Exclude<D, "required"> | "required",
    (raw) => (o.re.test(raw) ? raw : new Invalid(`must ${o.expected}`)),
    o.secret,
  );
}

const DB_URL = { re: /^postgres(ql)?:\/\/\S+$/, expected: "be a postgres:// connection string", secret: true };
const ROLE = { re: /^[a-z_][a-z0-9_]{0,62}$/, expected: "be a plain role name" };
const WEBHOOK_SECRET = { re: /^whsec_\S+$/, expected: "look like whsec_…", secret: true };

/** Parses `http(s)://host[:port]` (no path, query or credentials); null when malformed. */
export function parseApiBase(value: string): { protocol: "http" | "https"; host: string; port: number } | null {
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

// ---------------------------------------------------------------------------------------------
// Every variable, once
// ---------------------------------------------------------------------------------------------

/** Every variable the functions read (besides what the platform sets for itself). */
export const ENV = {
  // database
  PAYOUT_JOBS_DB_URL: text("connection string of the functions' least-privilege login (`payout_worker`; preferred)", {
    def: undefined,
    ...DB_URL,
  }),
  SUPABASE_DB_URL: text(
    "fallback connection string (set by Supabase; the owner: the payout run then needs PAYOUT_JOBS_DB_ROLE)",
    { def: undefined, ...DB_URL },
  ),
  PAYOUT_JOBS_DB_ROLE: text("role the payout run switches to per transaction (`set_config('role', …, true)`)", {
    def: undefined,
    ...ROLE,
  }),
  STRIPE_SYNC_DB_ROLE: text("role the Stripe sync functions switch to per transaction", {
    def: "stripe_sync",
    ...ROLE,
  }),
  // authentication
  PAYOUT_JOB_SECRET: text(
    "the doorbell secret of the job functions (the same value pg_cron reads from Vault's `payout_job_secret`)",
    { def: "required", re: /^.{32,}$/, expected: "be at least 32 characters", secret: true },
  ),
  STRIPE_WEBHOOK_SECRET: text("signing secret of the platform webhook endpoint", { def: undefined, ...WEBHOOK_SECRET }),
  STRIPE_CONNECT_WEBHOOK_SECRET: text("signing secret of the Connect webhook endpoint (connected accounts' events)", {
    def: undefined,
    ...WEBHOOK_SECRET,
  }),
  // a job invocation's budget (budget.ts)
  PAYOUT_RUN_BUDGET_MS: num("wall-clock budget of one job invocation (Supabase kills at ~150 s)", {
    def: 110_000,
    min: 1_000,
    max: 400_000,
  }),
  EDGE_CPU_STOP_MS: num(
    "stop claiming once the isolate used this much CPU (past the 1 s retire line, before the 2 s kill)",
    {
      def: 1_500,
      min: 100,
      max: 1_900,
    },
  ),
  EDGE_CPU_HAND_BACK_MS: num(
    "past this CPU, claimed work is handed back instead of started (unset: 60 % of the way from the stop line to 2 000)",
    { def: undefined, min: 100, max: 1_990 },
  ),
  EDGE_WALL_CLOCK_LIMIT_MS: num("the isolate's wall-clock limit, from its start (150 000: free plan; 400 000: paid)", {
    def: 150_000,
    min: 10_000,
    max: 400_000,
  }),
  // the payout run
  PAYOUT_STOP_MARGIN_MS: num("stop claiming when less than this is left of the wall-clock budget", {
    def: 25_000,
    min: 0,
    max: 400_000,
  }),
  ESCROW_BATCH_SIZE: num(
    "due escrow holds released per transaction by process-escrow-releases (the transaction holds these payouts' row locks: the payout run may wait for it)",
    { def: 1_000, min: 1, max: 10_000 },
  ),
  PAYOUT_BATCH_SIZE: num("tranches claimed per batch, and paid outcomes recorded per transaction", {
    def: 25,
    min: 1,
    max: 1_000,
  }),
  PAYOUT_CLAIM_LEASE_SECONDS: num("lease of a claimed tranche (unset: `private.payout_settings.claim_lease`, 15 min)", {
    def: undefined,
    min: 1,
    max: 86_400,
  }),
  PAYOUT_RECONCILE_SETTLE_SECONDS: num("settle delay before an unknown outcome is reconciled", {
    def: 120,
    min: 0,
    max: 86_400,
  }),
  PAYOUT_CONCURRENCY: num("tranches sent or reconciled at once", { def: 4, min: 1, max: 16 }),
  PAYOUT_KEY_WINDOW_HOURS: num(
    "age of an idempotency key after which it is never reused (Stripe prunes keys after 24 h)",
    {
      def: 23,
      min: 1,
      max: 24,
    },
  ),
  PAYOUT_DEFER_SECONDS: num("how long a tranche is left alone after Stripe stayed unreachable", {
    def: 15,
    min: 0,
    max: 3_600,
  }),
  PAYOUT_RECORD_MAX_DELAY_MS: num(
    "how long a paid outcome waits to be recorded with others (also recorded at PAYOUT_BATCH_SIZE outcomes and before the invocation ends)",
    { def: 1_000, min: 0, max: 10_000 },
  ),
  PAYOUT_CPU_MS_PER_CALL: num(
    "CPU charged per Stripe call, for runtimes that report no CPU of their own (calibrated by `npm run bench -- --only stripe`)",
    { def: 3, min: 0, max: 100 },
  ),
  PAYOUT_HEARTBEAT_MS: num(
    "how often a running invocation beats (well below `payout_settings.invocation_stale_after`, 20 s)",
    { def: 5_000, min: 500, max: 60_000 },
  ),
  // Stripe
  STRIPE_SECRET_KEY: text("the platform's Stripe key", {
    def: "required",
    re: /^(sk|rk)_(test|live)_[A-Za-z0-9_]+$/,
    expected: "look like sk_test_… / sk_live_… / rk_…",
    secret: true,
  }),
  STRIPE_API_BASE: envVar<ReturnType<typeof parseApiBase>>(
    "`http(s)://host[:port]` of the local Stripe stand-in; unset: api.stripe.com",
    null,
    (raw) => parseApiBase(raw) ?? new Invalid("must be http(s)://host[:port] without a path"),
  ),
  STRIPE_MAX_RPS: num("client-side Stripe request rate (below Stripe's 25/s)", {
    def: 20,
    gt: 0,
    max: 100,
    fraction: true,
  }),
  STRIPE_TIMEOUT_MS: num("timeout of one Stripe request", { def: 20_000, min: 100, max: 120_000 }),
  STRIPE_MAX_ATTEMPTS: num("attempts per Stripe call including the first, same idempotency key", {
    def: 3,
    min: 1,
    max: 10,
  }),
  // the API (set by Supabase): connect-onboarding and statement-export call PostgREST with the caller's JWT
  SUPABASE_URL: text("the project's API URL (set by Supabase): the function calls PostgREST with the caller's JWT", {
    def: "required",
    re: /^https?:\/\/\S+$/,
    expected: "be an http(s) URL",
  }),
  SUPABASE_ANON_KEY: text("the project's anon key (set by Supabase): the `apikey` of PostgREST calls", {
    def: "required",
    re: /^\S{20,}$/,
    expected: "be the anon key",
  }),
  CONNECT_REFRESH_URL: text(
    "frontend page an expired or used account link sends the recruiter to; it calls connect-onboarding again with the user's JWT",
    { def: "required", re: /^https?:\/\/\S+$/, expected: "be an http(s) URL" },
  ),
  CONNECT_RETURN_URL: text(
    "frontend page Stripe sends the recruiter back to after onboarding; it asks connect-onboarding for the status",
    { def: "required", re: /^https?:\/\/\S+$/, expected: "be an http(s) URL" },
  ),
  CONNECT_PLATFORM_COUNTRY: text(
    "the platform's country: recruiters there get the full service agreement, others the recipient one (cross-border)",
    { def: "US", re: /^[A-Z]{2}$/, expected: "be an ISO 3166-1 alpha-2 code" },
  ),
  // statement-export
  SUPABASE_SERVICE_ROLE_KEY: text(
    "the project's service role key (set by Supabase); the statement export only derives its cursor-signing key from it and never calls the API with it",
    { def: "required", re: /^\S{20,}$/, expected: "be a key", secret: true },
  ),
  // logs
  LOG_LEVEL: text("lowest level logged (debug, info, warn, error)", {
    def: "info",
    re: /^(debug|info|warn|error)$/i,
    expected: "be debug|info|warn|error",
  }),
} as const;

/** A declared variable. */
export type EnvName = keyof typeof ENV;
type ValueOf<N extends EnvName> = (typeof ENV)[N] extends EnvVar<infer T> ? T : never;
/** The values of some variables: `undefined` only where a variable is optional and unset. */
export type EnvValues<N extends EnvName> = { readonly [K in N]: ValueOf<K> };

const isSet = (v: string | undefined): v is string => v !== undefined && v.trim() !== "";

/** Reads the named variables (one `get` each): the snapshot a function works with for one invocation. */
export function readEnv(names: readonly string[], get: EnvGetter = denoEnv): EnvSnapshot {
  const out: Record<string, string | undefined> = {};
  for (const n of names) out[n] = get(n);
  return out;
}

/** `Deno.env.get`, or nothing where the isolate may not read its environment (tests without --allow-env). */
export function denoEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/** One variable of a snapshot: its value, or the problem `"<VAR>: <problem>"`. */
export function envValue<N extends EnvName>(name: N, env: EnvSnapshot): { value: ValueOf<N> } | { problem: string } {
  const spec = ENV[name] as EnvVar<ValueOf<N>>;
  const raw = env[name];
  if (!isSet(raw)) {
    return spec.fallback === "required" ? { problem: `${name}: is required` } : { value: spec.fallback };
  }
  const v = spec.parse(raw.trim());
  return v instanceof Invalid ? { problem: `${name}: ${v.problem}` } : { value: v };
}

/** The values of a snapshot's secret variables (blanked in logs). */
export function secretValues(env: EnvSnapshot): string[] {
  return Object.entries(env).flatMap((
    [n, v],
  ) => (isSet(v) && (ENV as Record<string, EnvVar<unknown>>)[n]?.secret ? [v.trim()] : []));
}

// ---------------------------------------------------------------------------------------------
// Groups: what one part of a function reads
// ---------------------------------------------------------------------------------------------

/** A typed view of some variables. */
export interface EnvGroup<T> {
  /** The variables it reads. */
  readonly names: readonly EnvName[];
  /** Its value from a snapshot. Throws one `EnvError` with every problem. */
  parse(env: EnvSnapshot): T;
}

/**
 * A group over `names`: each variable is parsed (problems collected), then `build` makes the value
 * and may add problems across variables (`problem(name, "…")`). `build` also runs when a variable
 * was bad (it then sees that variable's fallback, or undefined), so all problems are reported at
 * once; its result is used only when there are none.
 */
function group<const N extends EnvName, T>(
  names: readonly N[],
  build: (v: EnvValues<N>, problem: (name: N, problem: string) => void, env: EnvSnapshot) => T,
): EnvGroup<T> {
  return {
    names,
    parse(env) {
      const problems: string[] = [];
      const values: Record<string, unknown> = {};
      for (const n of names) {
        const r = envValue(n, env);
        if ("problem" in r) {
          problems.push(r.problem);
          const fb = ENV[n].fallback;
          values[n] = fb === "required" ? undefined : fb;
        } else {
          values[n] = r.value;
        }
      }
      const value = build(values as EnvValues<N>, (n, p) => problems.push(`${n}: ${p}`), env);
      if (problems.length > 0) throw new EnvError(problems);
      return value;
    },
  };
}

/** Groups side by side: `{ db: dbGroup, stripe: stripeEnv }` → `{ db: …, stripe: … }`, problems of all. */
export function envGroups<G extends Record<string, EnvGroup<unknown>>>(
  groups: G,
): EnvGroup<{ [K in keyof G]: G[K] extends EnvGroup<infer T> ? T : never }> {
  const names = [...new Set(Object.values(groups).flatMap((g) => g.names))];
  return {
    names,
    parse(env) {
      const problems: string[] = [];
      const out: Record<string, unknown> = {};
      for (const [k, g] of Object.entries(groups)) {
        try {
          out[k] = g.parse(env);
        } catch (e) {
          if (!(e instanceof EnvError)) throw e;
          problems.push(...e.problems);
        }
      }
      if (problems.length > 0) throw new EnvError(problems);
      return out as { [K in keyof G]: G[K] extends EnvGroup<infer T> ? T : never };
    },
  };
}

/** No variables (functions without configuration). */
export const noEnv: EnvGroup<Record<never, never>> = { names: [], parse: () => ({}) };

/** Reads and parses a group at once (scripts, tests). Throws `EnvError`. */
export function loadEnv<T>(g: EnvGroup<T>, get: EnvGetter = denoEnv): T {
  return g.parse(readEnv(g.names, get));
}

/** Database access of a function. */
export interface DbEnv {
  /** Connection string (contains a password: never log it). */
  url: string;
  /** Which variable it came from. `SUPABASE_DB_URL` is the owner. */
  source: "PAYOUT_JOBS_DB_URL" | "SUPABASE_DB_URL";
  /** Role switched to inside each transaction, or null. */
  role: string | null;
}

function dbUrl(v: EnvValues<"PAYOUT_JOBS_DB_URL" | "SUPABASE_DB_URL">, env: EnvSnapshot) {
  return isSet(env.PAYOUT_JOBS_DB_URL)
    ? { url: v.PAYOUT_JOBS_DB_URL as string, source: "PAYOUT_JOBS_DB_URL" as const }
    : { url: v.SUPABASE_DB_URL as string, source: "SUPABASE_DB_URL" as const };
}

/** The payout run's database: its login, or the owner's URL with a role switch (never the owner itself). */
export const payoutDbEnv: EnvGroup<DbEnv> = group(
  ["PAYOUT_JOBS_DB_URL", "SUPABASE_DB_URL", "PAYOUT_JOBS_DB_ROLE"],
  (v, problem, env) => {
    if (!isSet(env.PAYOUT_JOBS_DB_URL) && !isSet(env.SUPABASE_DB_URL)) {
      problem("PAYOUT_JOBS_DB_URL", "is required (or SUPABASE_DB_URL with PAYOUT_JOBS_DB_ROLE)");
    } else if (!isSet(env.PAYOUT_JOBS_DB_URL) && !isSet(env.PAYOUT_JOBS_DB_ROLE)) {
      // the owner's URL without a role switch would run the jobs as the table owner
      problem("PAYOUT_JOBS_DB_URL", "is required (the jobs' login, not the owner; or set PAYOUT_JOBS_DB_ROLE)");
    }
    return { ...dbUrl(v, env), role: v.PAYOUT_JOBS_DB_ROLE ?? null };
  },
);

/** The Stripe sync functions' database: the same login, role `stripe_sync` per transaction. */
export const stripeSyncDbEnv: EnvGroup<DbEnv & { role: string }> = group(
  ["PAYOUT_JOBS_DB_URL", "SUPABASE_DB_URL", "STRIPE_SYNC_DB_ROLE"],
  (v, problem, env) => {
    if (!isSet(env.PAYOUT_JOBS_DB_URL) && !isSet(env.SUPABASE_DB_URL)) {
      problem("PAYOUT_JOBS_DB_URL", "is required (or SUPABASE_DB_URL)");
    }
    return { ...dbUrl(v, env), role: v.STRIPE_SYNC_DB_ROLE };
  },
);

/** The budget of a job invocation (budget.ts `jobBudget`). */
export interface BudgetEnv {
  runBudgetMs: number;
  /** CPU stop line of the isolate (ms). */
  cpuStopMs: number;
  /** CPU hand-back line (ms), or null for budget.ts's default. */
  cpuHandBackMs: number | null;
  /** The isolate's wall-clock limit from its start (ms). */
  wallClockLimitMs: number;
}

export const budgetEnv: EnvGroup<BudgetEnv> = group(
  ["PAYOUT_RUN_BUDGET_MS", "EDGE_CPU_STOP_MS", "EDGE_CPU_HAND_BACK_MS", "EDGE_WALL_CLOCK_LIMIT_MS"],
  (v, problem) => {
    if (v.EDGE_CPU_HAND_BACK_MS !== undefined && v.EDGE_CPU_HAND_BACK_MS < v.EDGE_CPU_STOP_MS) {
      problem("EDGE_CPU_HAND_BACK_MS", "must not be below EDGE_CPU_STOP_MS");
    }
    return {
      runBudgetMs: v.PAYOUT_RUN_BUDGET_MS,
      cpuStopMs: v.EDGE_CPU_STOP_MS,
      cpuHandBackMs: v.EDGE_CPU_HAND_BACK_MS ?? null,
      wallClockLimitMs: v.EDGE_WALL_CLOCK_LIMIT_MS,
    };
  },
);

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

export const stripeEnv: EnvGroup<StripeEnv> = group(
  ["STRIPE_SECRET_KEY", "STRIPE_API_BASE", "STRIPE_MAX_RPS", "STRIPE_TIMEOUT_MS", "STRIPE_MAX_ATTEMPTS"],
  (v, problem) => {
    if (v.STRIPE_API_BASE && /^(sk|rk)_live_/.test(v.STRIPE_SECRET_KEY ?? "")) {
      problem("STRIPE_API_BASE", "must not be set together with a live key (live keys only go to api.stripe.com)");
    }
    return {
      secretKey: v.STRIPE_SECRET_KEY,
      apiBase: v.STRIPE_API_BASE,
      maxRps: v.STRIPE_MAX_RPS,
      timeoutMs: v.STRIPE_TIMEOUT_MS,
      maxAttempts: v.STRIPE_MAX_ATTEMPTS,
    };
  },
);

/** Settings of the payout run's decisions (payout_run/types.ts `RunConfig`). */
export interface PayoutRunSettings {
  batchSize: number;
  stopMarginMs: number;
  /** Claim lease in seconds, or null for the database's `claim_lease`. */
  leaseSeconds: number | null;
  settleSeconds: number;
  concurrency: number;
  keyWindowMs: number;
  deferSeconds: number;
  recordMaxDelayMs: number;
  cpuPerCallMs: number;
  heartbeatMs: number;
}

export const payoutRunSettingsEnv: EnvGroup<PayoutRunSettings> = group(
  [
    "PAYOUT_BATCH_SIZE",
    "PAYOUT_STOP_MARGIN_MS",
    "PAYOUT_RUN_BUDGET_MS",
    "PAYOUT_CLAIM_LEASE_SECONDS",
    "PAYOUT_RECONCILE_SETTLE_SECONDS",
    "PAYOUT_CONCURRENCY",
    "PAYOUT_KEY_WINDOW_HOURS",
    "PAYOUT_DEFER_SECONDS",
    "PAYOUT_RECORD_MAX_DELAY_MS",
    "PAYOUT_CPU_MS_PER_CALL",
    "PAYOUT_HEARTBEAT_MS",
  ],
  (v, problem) => {
    if (v.PAYOUT_STOP_MARGIN_MS >= v.PAYOUT_RUN_BUDGET_MS) {
      problem("PAYOUT_STOP_MARGIN_MS", "must be below PAYOUT_RUN_BUDGET_MS");
    }
    return {
      batchSize: v.PAYOUT_BATCH_SIZE,
      stopMarginMs: v.PAYOUT_STOP_MARGIN_MS,
      leaseSeconds: v.PAYOUT_CLAIM_LEASE_SECONDS ?? null,
      settleSeconds: v.PAYOUT_RECONCILE_SETTLE_SECONDS,
      concurrency: v.PAYOUT_CONCURRENCY,
      keyWindowMs: v.PAYOUT_KEY_WINDOW_HOURS * 3_600_000,
      deferSeconds: v.PAYOUT_DEFER_SECONDS,
      recordMaxDelayMs: v.PAYOUT_RECORD_MAX_DELAY_MS,
      cpuPerCallMs: v.PAYOUT_CPU_MS_PER_CALL,
      heartbeatMs: v.PAYOUT_HEARTBEAT_MS,
    };
  },
);

/** Webhook endpoint secrets (at least one is set). */
export interface WebhookSecrets {
  platform: string | null;
  connect: string | null;
}

export const webhookSecretsEnv: EnvGroup<WebhookSecrets> = group(
  ["STRIPE_WEBHOOK_SECRET", "STRIPE_CONNECT_WEBHOOK_SECRET"],
  (v, problem, env) => {
    if (!isSet(env.STRIPE_WEBHOOK_SECRET) && !isSet(env.STRIPE_CONNECT_WEBHOOK_SECRET)) {
      problem("STRIPE_WEBHOOK_SECRET", "is required (or STRIPE_CONNECT_WEBHOOK_SECRET)");
    }
    return { platform: v.STRIPE_WEBHOOK_SECRET ?? null, connect: v.STRIPE_CONNECT_WEBHOOK_SECRET ?? null };
  },
);

// ---------------------------------------------------------------------------------------------
// What each function reads
// ---------------------------------------------------------------------------------------------

/** `process-payout-schedules`. */
export const payoutRunEnv = envGroups({
  db: payoutDbEnv,
  budget: budgetEnv,
  run: payoutRunSettingsEnv,
  stripe: stripeEnv,
});
export type PayoutRunEnv = ReturnType<typeof payoutRunEnv.parse>;

/** Settings of the escrow release run (`process-escrow-releases`). */
export interface EscrowRunSettings {
  /** Due holds released per transaction (`private.run_escrow_releases`' p_limit). */
  batchSize: number;
}

export const escrowRunSettingsEnv: EnvGroup<EscrowRunSettings> = group(
  ["ESCROW_BATCH_SIZE"],
  (v) => ({ batchSize: v.ESCROW_BATCH_SIZE }),
);

/** `process-escrow-releases`. */
export const escrowRunEnv = envGroups({ db: payoutDbEnv, budget: budgetEnv, run: escrowRunSettingsEnv });
export type EscrowRunEnv = ReturnType<typeof escrowRunEnv.parse>;

/** `stripe-webhook`. */
export const webhookEnv = envGroups({ db: stripeSyncDbEnv, secrets: webhookSecretsEnv, stripe: stripeEnv });
export type WebhookEnv = ReturnType<typeof webhookEnv.parse>;

/** Settings of connect-onboarding. */
export interface ConnectSettings {
  supabaseUrl: string;
  anonKey: string;
  refreshUrl: string;
  returnUrl: string;
  platformCountry: string;
}

export const connectSettingsEnv: EnvGroup<ConnectSettings> = group(
  ["SUPABASE_URL", "SUPABASE_ANON_KEY", "CONNECT_REFRESH_URL", "CONNECT_RETURN_URL", "CONNECT_PLATFORM_COUNTRY"],
  (v) => ({
    supabaseUrl: (v.SUPABASE_URL ?? "").replace(/\/+$/, ""),
    anonKey: v.SUPABASE_ANON_KEY,
    refreshUrl: v.CONNECT_REFRESH_URL,
    returnUrl: v.CONNECT_RETURN_URL,
    platformCountry: v.CONNECT_PLATFORM_COUNTRY,
  }),
);

/** `connect-onboarding`. */
export const connectOnboardingEnv = envGroups({ db: stripeSyncDbEnv, stripe: stripeEnv, connect: connectSettingsEnv });
export type ConnectOnboardingEnv = ReturnType<typeof connectOnboardingEnv.parse>;

/** `reverse-payouts`, `reconcile-payouts`, `stripe-events-catch-up`. */
export const stripeSyncJobEnv = envGroups({ db: stripeSyncDbEnv, budget: budgetEnv, stripe: stripeEnv });
export type StripeSyncJobEnv = ReturnType<typeof stripeSyncJobEnv.parse>;

/** `statement-export`: PostgREST as the caller, a cursor-signing key, the CPU and wall-clock budget. */
export interface StatementApiEnv {
  apiUrl: string;
  anonKey: string;
  /** Key material of the cursor's HMAC (never sent anywhere). */
  cursorKeyMaterial: string;
}

export const statementApiEnv: EnvGroup<StatementApiEnv> = group(
  ["SUPABASE_URL", "SUPABASE_ANON_KEY", "SUPABASE_SERVICE_ROLE_KEY"],
  (v) => ({
    apiUrl: (v.SUPABASE_URL ?? "").replace(/\/$/, ""),
    anonKey: v.SUPABASE_ANON_KEY,
    cursorKeyMaterial: v.SUPABASE_SERVICE_ROLE_KEY,
  }),
);

export const statementExportEnv = envGroups({ api: statementApiEnv, budget: budgetEnv });
export type StatementExportEnv = ReturnType<typeof statementExportEnv.parse>;
