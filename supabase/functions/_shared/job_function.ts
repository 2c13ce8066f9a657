/**
 * The HTTP entry of a payout-run job function (`process-payout-schedules`,
 * `process-escrow-releases`), shared so each `index.ts` is one `Deno.serve(serveJob(...))` line:
 *
 * 1. the job secret first (`x-job-secret` or `Authorization: Bearer`, constant-time): anything
 *    else is `401 {"error":"unauthorized","reason":…}` and nothing runs;
 * 2. `POST` only (405), an optional JSON body `{trigger?: "doorbell"|"admin"|"manual", reasons?: [...]}`
 *    (what the doorbell sends; a direct call may send nothing);
 * 3. the environment (500 `misconfigured` when invalid; the log names the variables, never values);
 * 4. `202 {"accepted": true, "invocation_id", "kind"}` at once, and the run in the background under
 *    `EdgeRuntime.waitUntil`, within a wall-clock budget that starts now.
 */
import { z } from "zod";
import { respondAccepted } from "./background.ts";
import { type Budget, createBudget, isolateCpu, isolateStartedAt } from "./budget.ts";
import { type Env, EnvError, type JobEnv, loadEnv, loadJobEnv } from "./env.ts";
import { handle, HttpError, parseJsonBody, requireMethod } from "./http.ts";
import { checkJobSecret } from "./job_auth.ts";
import { createLogger, type Logger } from "./log.ts";
import type { Trigger } from "./payout_run/types.ts";

/** What the doorbell posts. Unknown fields are ignored. */
export const DoorbellBody = z.object({
  trigger: z.enum(["doorbell", "admin", "manual"]).optional(),
  reasons: z.array(z.string().max(100)).max(20).optional(),
  rung_at: z.string().max(64).optional(),
});

/** Handed to the run of one accepted invocation. */
export interface JobRun<E> {
  env: E;
  invocationId: string;
  trigger: Trigger;
  reasons: string[];
  log: Logger;
  budget: Budget;
}

/** Options of `serveJob`. */
export interface ServeJobOptions<S extends boolean> {
  /** Function name (logs, application_name). */
  name: string;
  /** Run kind (in the 202 body). */
  kind: "payout_schedules" | "escrow_releases";
  /** Whether the function calls Stripe (then STRIPE_* are required too). */
  stripe: S;
  /** Extra validation of the environment before accepting (throw `EnvError`). */
  validate?: () => void;
  /** The work, in the background. */
  run: (ctx: JobRun<S extends true ? Env : JobEnv>) => Promise<void>;
  /** Logger (tests); default JSON lines on stdout/stderr with the job secret redacted. */
  log?: Logger;
  /** Environment getter (tests); default `Deno.env.get`. */
  getEnv?: (name: string) => string | undefined;
}

/** The `Deno.serve` handler of a job function (see module doc). */
export function serveJob<S extends boolean>(opts: ServeJobOptions<S>): (req: Request) => Promise<Response> {
  const get = opts.getEnv ?? ((n: string) => Deno.env.get(n));
  const log = opts.log ?? createLogger({ fn: opts.name }, { redactValues: [get("PAYOUT_JOB_SECRET") ?? ""] });
  return handle(async (req) => {
    const auth = await checkJobSecret(req, get("PAYOUT_JOB_SECRET") ?? "");
    if (!auth.ok) {
      log.warn("unauthorized call refused", { reason: auth.reason, method: req.method });
      await req.body?.cancel().catch(() => {});
      throw new HttpError(401, auth.reason, { headers: { "www-authenticate": 'Bearer realm="payout-jobs"' } });
    }
    requireMethod(req, "POST");
    const body = await parseJsonBody(req, DoorbellBody, { emptyAsObject: true });

    let env: Env | JobEnv;
    try {
      env = opts.stripe ? loadEnv(get) : loadJobEnv(get);
      opts.validate?.();
    } catch (e) {
      if (!(e instanceof EnvError)) throw e;
      log.error("misconfigured", { problems: e.problems });
      throw new HttpError(500, "misconfigured");
    }
    if (env.db.source === "SUPABASE_DB_URL" && !env.db.role) {
      // the owner's URL without a role switch would run the jobs as the table owner
      log.error("misconfigured", { problems: ["PAYOUT_JOBS_DB_URL: is required (the jobs' login, not the owner)"] });
      throw new HttpError(500, "misconfigured");
    }

    const budget = jobBudget(env);
    const invocationId = crypto.randomUUID();
    const trigger: Trigger = body.trigger ?? "manual";
    const reasons = body.reasons ?? [];
    log.info("accepted", { invocation_id: invocationId, trigger, reasons });
    return respondAccepted(
      () =>
        opts.run({
          env: env as S extends true ? Env : JobEnv,
          invocationId,
          trigger,
          reasons,
          log,
          budget,
        }).finally(() => log.info("work finished", { invocation_id: invocationId, memory: memoryMb() })),
      { body: { invocation_id: invocationId, kind: opts.kind }, log },
    );
  }, { log });
}

/**
 * The isolate's memory after a piece of work (MB), for the 256 MB limit of Edge Functions: a value
 * that keeps growing from one invocation to the next in a warm isolate is a leak. Empty where the
 * runtime does not report it.
 */
export function memoryMb(): Record<string, number> {
  try {
    const m = Deno.memoryUsage();
    const mb = (n: number) => Math.round(n / 1e5) / 10;
    return { rss: mb(m.rss), heap_used: mb(m.heapUsed), heap_total: mb(m.heapTotal), external: mb(m.external) };
  } catch {
    return {};
  }
}

/**
 * The budget of one job invocation: its own wall-clock budget, capped by the isolate's wall-clock
 * limit (counted from the isolate's start, not the request's), and the isolate's CPU stop line.
 */
export function jobBudget(
  env: Pick<JobEnv, "runBudgetMs" | "wallClockLimitMs" | "cpuStopMs"> & { cpuHandBackMs?: number | null },
): Budget {
  return createBudget(env.runBudgetMs, {
    notAfter: isolateStartedAt + env.wallClockLimitMs,
    cpu: { meter: isolateCpu, stopAtMs: env.cpuStopMs, handBackAtMs: env.cpuHandBackMs ?? undefined },
  });
}
