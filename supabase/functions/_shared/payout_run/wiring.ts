/**
 * The two payout-run job functions (`process-payout-schedules`, `process-escrow-releases`) over the
 * function builder (`../platform/function.ts`: job secret, POST, configuration):
 *
 * - the doorbell's body: `{trigger?: "doorbell"|"admin"|"manual", reasons?: [...], rung_at?}` (a
 *   direct call may send nothing);
 * - `acceptRun`: `202 {"accepted": true, "invocation_id", "kind"}` at once, and the run in the
 *   background under `EdgeRuntime.waitUntil`, within a budget (wall clock and CPU) that starts now;
 * - the real dependencies: a postgres.js client on the jobs' login per invocation (closed at the
 *   end), and per isolate one Stripe client and one pacer (`payoutStripe`), so concurrent
 *   invocations in one isolate share the request rate.
 */
import type Stripe from "stripe";
import { z } from "zod";
import { memoryMb, respondAccepted } from "../platform/background.ts";
import { type Budget, jobBudget } from "../platform/budget.ts";
import { createDb } from "../platform/db.ts";
import type { BudgetEnv, EscrowRunEnv, PayoutRunEnv, StripeEnv } from "../platform/env.ts";
import type { FunctionContext } from "../platform/function.ts";
import type { Logger } from "../platform/log.ts";
import { createPacer, type Pacer } from "../platform/pacer.ts";
import { APP_INFO, createStripe } from "../platform/stripe.ts";
import { createRunDb } from "./db.ts";
import { runEscrowInvocation } from "./escrow_run.ts";
import { runPayoutInvocation } from "./invocation.ts";
import { createStripeGateway } from "./stripe_gateway.ts";
import type { Trigger } from "./types.ts";

/** What the doorbell posts. Unknown fields are ignored. */
export const DoorbellBody = z.object({
  trigger: z.enum(["doorbell", "admin", "manual"]).optional(),
  reasons: z.array(z.string().max(100)).max(20).optional(),
  rung_at: z.string().max(64).optional(),
});
export type DoorbellBody = z.output<typeof DoorbellBody>;

/** Handed to the run of one accepted invocation. */
export interface JobRun<C, R> {
  config: C;
  resources: R;
  invocationId: string;
  trigger: Trigger;
  reasons: string[];
  log: Logger;
  budget: Budget;
}

/**
 * The handler of a payout-run job function: accepts the invocation (202) and runs `run` in the
 * background; the run must not throw (a throw is logged, `background work failed`).
 */
export function acceptRun<C extends { budget: BudgetEnv }, R>(
  kind: "payout_schedules" | "escrow_releases",
  run: (ctx: JobRun<C, R>) => Promise<void>,
): (req: Request, ctx: FunctionContext<C, R, DoorbellBody>) => Response {
  return (_req, { config, resources, body, log }) => {
    const budget = jobBudget(config.budget);
    const invocationId = crypto.randomUUID();
    const trigger: Trigger = body.trigger ?? "manual";
    const reasons = body.reasons ?? [];
    log.info("accepted", { invocation_id: invocationId, trigger, reasons });
    return respondAccepted(
      () =>
        run({ config, resources, invocationId, trigger, reasons, log, budget })
          .finally(() => log.info("work finished", { invocation_id: invocationId, memory: memoryMb() })),
      { body: { invocation_id: invocationId, kind }, log },
    );
  };
}

/** The Stripe client and pacer of an isolate (built once per configuration by the function builder). */
export function payoutStripe(config: { stripe: StripeEnv }): { stripe: Stripe; pacer: Pacer } {
  return {
    stripe: createStripe(config.stripe, { appInfo: { ...APP_INFO, version: `${APP_INFO.version} payout-run` } }),
    pacer: createPacer({ ratePerSec: config.stripe.maxRps }),
  };
}

/** Background work of process-payout-schedules. */
export async function processPayoutSchedules(
  ctx: JobRun<PayoutRunEnv, ReturnType<typeof payoutStripe>>,
): Promise<void> {
  const { config: { db: dbEnv, stripe: stripeEnv, run: settings }, resources: { stripe, pacer } } = ctx;
  // Two connections: the claimer's and the recorder's (each connection costs the isolate CPU at
  // login, and the senders wait on Stripe, not on the database).
  const sql = createDb(dbEnv.url, { applicationName: "process-payout-schedules", max: 2 });
  try {
    const db = createRunDb(sql, {
      dbRole: dbEnv.role,
      onRetry: (what, error, attempt) => ctx.log.warn("database call retried", { call: what, attempt, error }),
    });
    await runPayoutInvocation(
      {
        db,
        stripe: createStripeGateway(stripe, pacer, {
          maxAttempts: stripeEnv.maxAttempts,
          log: ctx.log,
          cpuPerCallMs: settings.cpuPerCallMs,
        }),
        log: ctx.log,
        budget: ctx.budget,
        now: Date.now,
        config: { ...settings, maxSendRounds: 10 },
      },
      ctx.invocationId,
      ctx.trigger,
    );
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Background work of process-escrow-releases. */
export async function processEscrowReleases(ctx: JobRun<EscrowRunEnv, undefined>): Promise<void> {
  const sql = createDb(ctx.config.db.url, { applicationName: "process-escrow-releases", max: 1 });
  try {
    const db = createRunDb(sql, { kind: "escrow_releases", dbRole: ctx.config.db.role });
    await runEscrowInvocation(
      {
        db: {
          begin: db.begin,
          releaseEscrow: async (id, limit) => (await db.releaseEscrow(id, limit)) as never,
          error: db.error,
          finish: db.finish,
        },
        log: ctx.log,
        budget: ctx.budget,
        batchSize: ctx.config.run.batchSize,
      },
      ctx.invocationId,
      ctx.trigger,
    );
  } finally {
    await sql.end({ timeout: 5 });
  }
}
