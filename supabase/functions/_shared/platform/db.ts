/**
 * Postgres access of the payout jobs (postgres.js).
 *
 * - Connect with the jobs' least-privilege login (`PAYOUT_JOBS_DB_URL`), not the table owner. The
 *   jobs call `security definer` job functions (`private.claim_due_payout_schedules`, …) and nothing
 *   else. With only the owner's URL available, pass `dbRole: "payout_jobs"` to switch role per
 *   transaction (`set_config('role', …, true)`, as PostgREST does; needs membership with SET).
 * - Works behind a transaction-mode pooler (Supavisor :6543): `prepare: false`, and no session
 *   state: everything a job sets is transaction-local (`set_config(…, true)`), inside
 *   `inJobTransaction`.
 * - postgres.js returns `bigint` columns as strings.
 * - Call `await sql.end({ timeout: 5 })` when the background work is done.
 */
import postgres from "postgres";

/** A postgres.js client. */
export type Sql = postgres.Sql;
/** The client inside a transaction. */
export type TxSql = postgres.TransactionSql;

/** Options of `createDb`. */
export interface DbOptions {
  /** `application_name` shown in `pg_stat_activity` (e.g. the function name). */
  applicationName: string;
  /** Pool size (default 2: one run works sequentially; keep it small, the pooler has a cap). */
  max?: number;
  /** Close idle connections after this many seconds (default 10). */
  idleTimeoutS?: number;
  /** Give up connecting after this many seconds (default 10). */
  connectTimeoutS?: number;
  /** Recycle connections after this many seconds (default 300). */
  maxLifetimeS?: number;
  /** Server notices (default: ignored). */
  onNotice?: (notice: postgres.Notice) => void;
}

/** Creates a postgres.js client configured for a transaction-mode pooler. Connects lazily. */
export function createDb(url: string, opts: DbOptions): Sql {
  return postgres(url, {
    prepare: false,
    max: opts.max ?? 2,
    idle_timeout: opts.idleTimeoutS ?? 10,
    connect_timeout: opts.connectTimeoutS ?? 10,
    max_lifetime: opts.maxLifetimeS ?? 300,
    connection: { application_name: opts.applicationName.slice(0, 63) },
    onnotice: opts.onNotice ?? (() => {}),
  });
}

/** Actor roles `private.set_actor` accepts (keep in sync with 20261127090300_actor_context.sql). */
export const ACTOR_ROLES = [
  "platform_admin",
  "company_admin",
  "recruiter",
  "authenticated",
  "anon",
  "service_role",
  "system",
  "cron",
  "job",
  "webhook",
] as const;
/** An actor role. */
export type ActorRole = typeof ACTOR_ROLES[number];
const PERSON_ROLES: readonly ActorRole[] = ["platform_admin", "company_admin", "recruiter", "authenticated"];

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Who acts in a job transaction, and how. */
export interface JobContext {
  /** Actor role written to `payouts.actor_role` (e.g. `cron` for scheduled runs, `webhook`). */
  actorRole: ActorRole;
  /** Actor id (uuid); required for person roles, optional for machines. */
  actorId?: string | null;
  /** Run id (uuid) written to `payouts.run_id` for correlation. */
  runId?: string | null;
  /** Role to switch to for this transaction (`set_config('role', …, true)`), e.g. `payout_jobs`. */
  dbRole?: string | null;
  /** Transaction-local `statement_timeout` in ms (default: the role's setting). */
  statementTimeoutMs?: number | null;
  /** Runs after the settings and before `fn` (e.g. `select private.set_actor(...)` once granted). */
  setup?: (tx: TxSql) => Promise<unknown>;
}

/** Thrown for an invalid `JobContext` (a programming error; nothing was sent to the database). */
export class JobContextError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "JobContextError";
  }
}

/** Validates a `JobContext` (same rules as `private.set_actor`). */
export function validateJobContext(ctx: JobContext): void {
  if (!(ACTOR_ROLES as readonly string[]).includes(ctx.actorRole)) {
    throw new JobContextError(`unknown actor role: ${String(ctx.actorRole)}`);
  }
  if (ctx.actorId != null && !UUID_RE.test(ctx.actorId)) throw new JobContextError("actorId must be a uuid");
  if (ctx.actorId == null && PERSON_ROLES.includes(ctx.actorRole)) {
    throw new JobContextError(`actor role ${ctx.actorRole} needs an actor id`);
  }
  if (ctx.runId != null && !UUID_RE.test(ctx.runId)) throw new JobContextError("runId must be a uuid");
  if (ctx.dbRole != null && !/^[a-z_][a-z0-9_]{0,62}$/.test(ctx.dbRole)) {
    throw new JobContextError("dbRole must be a plain role name");
  }
  if (ctx.statementTimeoutMs != null && !(Number.isSafeInteger(ctx.statementTimeoutMs) && ctx.statementTimeoutMs > 0)) {
    throw new JobContextError("statementTimeoutMs must be a positive integer");
  }
}

/** The part of a postgres.js client `inJobTransaction` uses (lets tests pass a fake). */
export interface BeginCapable {
  begin<T>(fn: (tx: TxSql) => T | Promise<T>): Promise<unknown>;
}

/**
 * Runs `fn(tx)` in one transaction whose first statement sets, transaction-locally: `role` (if
 * `dbRole`), `statement_timeout` (if given), then `payouts.actor_role`, `payouts.actor_id` and
 * `payouts.run_id` — the settings `private.set_actor` writes, so audit rows and events of the
 * transaction carry the job actor without depending on that function's grant.
 * Commits when `fn` resolves, rolls back when it throws (and rethrows).
 */
export async function inJobTransaction<T>(
  sql: BeginCapable,
  ctx: JobContext,
  fn: (tx: TxSql) => Promise<T>,
): Promise<T> {
  validateJobContext(ctx);
  const settings = jobSettingsSql(ctx);
  const result = await sql.begin(async (tx) => {
    await tx.unsafe(settings);
    if (ctx.setup) await ctx.setup(tx);
    // Boxed so postgres.js does not try to unwrap an array result of fn.
    return { value: await fn(tx) };
  });
  return (result as { value: T }).value;
}

/**
 * The settings of a job transaction as ONE statement without parameters: one round trip in the
 * simple protocol, where a parameterized statement costs two (with `prepare: false` postgres.js
 * describes every parameterized statement before running it). It runs in every job and webhook
 * transaction, and Edge Functions count every round trip's CPU against the isolate's 2 s. Inlining
 * is safe: `validateJobContext` admits only a plain role name, an actor role from `ACTOR_ROLES`,
 * uuids and an integer.
 */
export function jobSettingsSql(ctx: JobContext): string {
  const set = (name: string, value: string) => `pg_catalog.set_config('${name}', '${value}', true)`;
  return "select " + [
    ...(ctx.dbRole ? [set("role", ctx.dbRole)] : []),
    ...(ctx.statementTimeoutMs ? [set("statement_timeout", `${ctx.statementTimeoutMs}ms`)] : []),
    set("payouts.actor_role", ctx.actorRole),
    set("payouts.actor_id", ctx.actorId ?? ""),
    set("payouts.run_id", ctx.runId ?? ""),
  ].join(", ");
}
