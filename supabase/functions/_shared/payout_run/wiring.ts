/**
 * Real dependencies of the two job functions: a postgres.js client on the jobs' login per
 * invocation (closed at the end), and per isolate one Stripe client and one pacer (so concurrent
 * invocations in one isolate share the request rate).
 */
import type Stripe from "stripe";
import { createDb } from "../db.ts";
import type { Env, JobEnv } from "../env.ts";
import { runEscrowInvocation } from "../escrow_run.ts";
import type { JobRun } from "../job_function.ts";
import { createPacer, type Pacer } from "../pacer.ts";
import { APP_INFO, createStripe } from "../stripe.ts";
import { createRunDb } from "./db.ts";
import { runPayoutInvocation } from "./invocation.ts";
import { loadPayoutRunSettings } from "./settings.ts";
import { createStripeGateway } from "./stripe_gateway.ts";

let shared: { key: string; stripe: Stripe; pacer: Pacer } | undefined;

function stripeFor(env: Env): { stripe: Stripe; pacer: Pacer } {
  const key = JSON.stringify([
    env.stripe.apiBase,
    env.stripe.maxRps,
    env.stripe.timeoutMs,
    env.stripe.secretKey.length,
  ]);
  if (!shared || shared.key !== key) {
    shared = {
      key,
      stripe: createStripe(env.stripe, { appInfo: { ...APP_INFO, version: `${APP_INFO.version} payout-run` } }),
      pacer: createPacer({ ratePerSec: env.stripe.maxRps }),
    };
  }
  return shared;
}

/** Background work of process-payout-schedules. */
export async function processPayoutSchedules(ctx: JobRun<Env>): Promise<void> {
  const settings = loadPayoutRunSettings();
  const { stripe, pacer } = stripeFor(ctx.env);
  // Two connections: the claimer's and the recorder's (each connection costs the isolate CPU at
  // login, and the senders wait on Stripe, not on the database).
  const sql = createDb(ctx.env.db.url, { applicationName: "process-payout-schedules", max: 2 });
  try {
    const db = createRunDb(sql, {
      dbRole: ctx.env.db.role,
      onRetry: (what, error, attempt) => ctx.log.warn("database call retried", { call: what, attempt, error }),
    });
    await runPayoutInvocation(
      {
        db,
        stripe: createStripeGateway(stripe, pacer, {
          maxAttempts: ctx.env.stripe.maxAttempts,
          log: ctx.log,
          cpuPerCallMs: settings.cpuPerCallMs,
        }),
        log: ctx.log,
        budget: ctx.budget,
        now: Date.now,
        config: {
          batchSize: ctx.env.batchSize,
          concurrency: settings.concurrency,
          leaseSeconds: settings.leaseSeconds,
          settleSeconds: settings.settleSeconds,
          keyWindowMs: settings.keyWindowMs,
          stopMarginMs: ctx.env.stopMarginMs,
          maxSendRounds: 10,
          deferSeconds: settings.deferSeconds,
          recordMaxDelayMs: settings.recordMaxDelayMs,
          cpuPerCallMs: settings.cpuPerCallMs,
          heartbeatMs: settings.heartbeatMs,
        },
      },
      ctx.invocationId,
      ctx.trigger,
    );
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Background work of process-escrow-releases. */
export async function processEscrowReleases(ctx: JobRun<JobEnv>): Promise<void> {
  const sql = createDb(ctx.env.db.url, { applicationName: "process-escrow-releases", max: 1 });
  try {
    const db = createRunDb(sql, { kind: "escrow_releases", dbRole: ctx.env.db.role });
    await runEscrowInvocation(
      {
        db: {
          begin: db.begin,
          releaseEscrow: async (id) => (await db.releaseEscrow(id)) as never,
          error: db.error,
          finish: db.finish,
        },
        log: ctx.log,
      },
      ctx.invocationId,
      ctx.trigger,
    );
  } finally {
    await sql.end({ timeout: 5 });
  }
}
