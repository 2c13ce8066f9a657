/**
 * Environment of the Stripe sync functions (`stripe-webhook`, `reverse-payouts`, `reconcile-payouts`).
 *
 * | variable                         | meaning                                                                   |
 * | -------------------------------- | ------------------------------------------------------------------------- |
 * | `STRIPE_WEBHOOK_SECRET`          | signing secret of the platform endpoint (`whsec_…`)                        |
 * | `STRIPE_CONNECT_WEBHOOK_SECRET`  | signing secret of the Connect endpoint (`whsec_…`; connected-account events) |
 * | `PAYOUT_JOBS_DB_URL`             | the payout functions' login (preferred; `payout_worker`)                   |
 * | `SUPABASE_DB_URL`                | fallback (the owner)                                                      |
 * | `STRIPE_SYNC_DB_ROLE`            | role switched to per transaction (default `stripe_sync`)                  |
 * | `PAYOUT_JOB_SECRET`              | doorbell secret of `reverse-payouts` / `reconcile-payouts` (pg_net → x-job-secret) |
 * | `PAYOUT_RUN_BUDGET_MS`, `EDGE_CPU_STOP_MS`, `EDGE_CPU_HAND_BACK_MS`, `EDGE_WALL_CLOCK_LIMIT_MS` | the jobs' budget, as the payout run's (env.ts, budget.ts) |
 *
 * Stripe itself (`STRIPE_SECRET_KEY`, `STRIPE_API_BASE`, …) is read by `loadStripeEnv` (env_stripe.ts).
 * Problems are reported by variable name, never with values (`EnvError`).
 */
import { EnvError, type EnvGetter, numberVar } from "./env_stripe.ts";

/** Database access of the Stripe sync functions. */
export interface StripeSyncDbEnv {
  /** Connection string (contains a password: never log it). */
  url: string;
  source: "PAYOUT_JOBS_DB_URL" | "SUPABASE_DB_URL";
  /** Role switched to inside every transaction. */
  role: string;
}

/** Webhook endpoint secrets (at least one is set). */
export interface WebhookSecrets {
  platform: string | null;
  connect: string | null;
}

const isSet = (v: string | undefined): v is string => v !== undefined && v.trim() !== "";
const DB_URL_RE = /^postgres(ql)?:\/\/\S+$/;
const ROLE_RE = /^[a-z_][a-z0-9_]{0,62}$/;

function defaultGetter(): EnvGetter {
  return (name) => Deno.env.get(name);
}

function readDb(get: EnvGetter, problems: string[]): StripeSyncDbEnv | null {
  const jobs = get("PAYOUT_JOBS_DB_URL")?.trim();
  const owner = get("SUPABASE_DB_URL")?.trim();
  const role = get("STRIPE_SYNC_DB_ROLE")?.trim() || "stripe_sync";
  if (isSet(jobs) && !DB_URL_RE.test(jobs)) problems.push("PAYOUT_JOBS_DB_URL: must be a postgres:// connection string");
  if (isSet(owner) && !DB_URL_RE.test(owner)) problems.push("SUPABASE_DB_URL: must be a postgres:// connection string");
  if (!isSet(jobs) && !isSet(owner)) problems.push("PAYOUT_JOBS_DB_URL: is required (or SUPABASE_DB_URL)");
  if (!ROLE_RE.test(role)) problems.push("STRIPE_SYNC_DB_ROLE: must be a plain role name");
  if (problems.length) return null;
  return isSet(jobs)
    ? { url: jobs, source: "PAYOUT_JOBS_DB_URL", role }
    : { url: owner as string, source: "SUPABASE_DB_URL", role };
}

/** Environment of `stripe-webhook`. Throws `EnvError`. */
export function loadWebhookEnv(get: EnvGetter = defaultGetter()): { db: StripeSyncDbEnv; secrets: WebhookSecrets } {
  const problems: string[] = [];
  const platform = get("STRIPE_WEBHOOK_SECRET")?.trim();
  const connect = get("STRIPE_CONNECT_WEBHOOK_SECRET")?.trim();
  if (isSet(platform) && !/^whsec_\S+$/.test(platform)) problems.push("STRIPE_WEBHOOK_SECRET: must look like whsec_…");
  if (isSet(connect) && !/^whsec_\S+$/.test(connect)) {
    problems.push("STRIPE_CONNECT_WEBHOOK_SECRET: must look like whsec_…");
  }
  if (!isSet(platform) && !isSet(connect)) {
    problems.push("STRIPE_WEBHOOK_SECRET: is required (or STRIPE_CONNECT_WEBHOOK_SECRET)");
  }
  const db = readDb(get, problems);
  if (problems.length || !db) throw new EnvError(problems);
  return { db, secrets: { platform: isSet(platform) ? platform : null, connect: isSet(connect) ? connect : null } };
}

/** The budget variables of a job (env.ts has the same for the payout run). */
export interface JobBudgetEnv {
  runBudgetMs: number;
  cpuStopMs: number;
  /** null: budget.ts's default hand-back line. */
  cpuHandBackMs: number | null;
  wallClockLimitMs: number;
}

/** Environment of the doorbell-rung Stripe sync jobs (`reverse-payouts`, `reconcile-payouts`). Throws `EnvError`. */
export function loadStripeSyncJobEnv(
  get: EnvGetter = defaultGetter(),
): { db: StripeSyncDbEnv; jobSecret: string; budget: JobBudgetEnv } {
  const problems: string[] = [];
  const jobSecret = get("PAYOUT_JOB_SECRET")?.trim();
  if (!isSet(jobSecret)) problems.push("PAYOUT_JOB_SECRET: is required");
  else if (jobSecret.length < 32) problems.push("PAYOUT_JOB_SECRET: must be at least 32 characters");
  const budget: JobBudgetEnv = {
    runBudgetMs: numberVar(get, "PAYOUT_RUN_BUDGET_MS", problems, { def: 110_000, min: 1_000, max: 400_000, int: true }),
    cpuStopMs: numberVar(get, "EDGE_CPU_STOP_MS", problems, { def: 1_500, min: 100, max: 1_900, int: true }),
    cpuHandBackMs: isSet(get("EDGE_CPU_HAND_BACK_MS"))
      ? numberVar(get, "EDGE_CPU_HAND_BACK_MS", problems, { def: 0, min: 100, max: 1_990, int: true })
      : null,
    wallClockLimitMs: numberVar(get, "EDGE_WALL_CLOCK_LIMIT_MS", problems, {
      def: 150_000,
      min: 10_000,
      max: 400_000,
      int: true,
    }),
  };
  if (budget.cpuHandBackMs !== null && budget.cpuHandBackMs < budget.cpuStopMs) {
    problems.push("EDGE_CPU_HAND_BACK_MS: must not be below EDGE_CPU_STOP_MS");
  }
  const db = readDb(get, problems);
  if (problems.length || !db) throw new EnvError(problems);
  return { db, jobSecret: jobSecret as string, budget };
}
