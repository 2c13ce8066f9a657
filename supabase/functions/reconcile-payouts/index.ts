// Daily reconciliation with Stripe: rung by pg_cron (stripe-sync-reconcile) through pg_net with the
// job secret (verify_jwt = false), and by itself to continue a run it could not finish within the
// isolate's CPU (`run_id`, private.ring_stripe_sync_handover). Thin wiring over _shared/reconciliation.ts.
// Body (optional): {"window_start": ISO time, "overlap_seconds": 0..604800, "retry_webhooks": bool,
// "run_id": uuid of an unfinished run to continue}.
import { z } from "zod";
import { handle, json } from "../_shared/http.ts";
import { jobBudget } from "../_shared/job_function.ts";
import { createLogger } from "../_shared/log.ts";
import { reconcile } from "../_shared/reconciliation.ts";
import { createStripeReader } from "../_shared/stripe_reader.ts";
import { createWebhookInbox } from "../_shared/stripe_sync_db.ts";
import {
  acceptJobRequest,
  createReconcileDb,
  createReconcileStripe,
  type JobContextBuilt,
  jobContextOr503,
} from "../_shared/stripe_sync_jobs.ts";
import { retryFailedWebhookEvents } from "../_shared/stripe_webhook.ts";

const log = createLogger({ fn: "reconcile-payouts" });
const cache: { ctx?: JobContextBuilt } = {};
const Body = z.object({
  window_start: z.string().datetime({ offset: true }).optional(),
  overlap_seconds: z.number().int().min(0).max(604_800).optional(),
  retry_webhooks: z.boolean().optional(),
  run_id: z.string().uuid().optional(),
}).passthrough();

Deno.serve(handle(async (req) => {
  const ctx = jobContextOr503("reconcile-payouts", log, cache);
  const body = await acceptJobRequest(req, ctx.jobSecret, Body);
  const runId = body.run_id ?? crypto.randomUUID();
  const budget = jobBudget(ctx.budget);
  const inbox = createWebhookInbox(ctx.db);
  const reader = createStripeReader(ctx.stripe, ctx.pacer, { maxAttempts: ctx.stripeEnv.maxAttempts });
  const result = await reconcile({
    db: createReconcileDb(ctx.db),
    stripe: createReconcileStripe(ctx.stripe, ctx.pacer, ctx.stripeEnv.maxAttempts),
    log,
    budget,
    retryWebhooks: body.retry_webhooks === false
      ? undefined
      : (shouldStop) => retryFailedWebhookEvents({ inbox, reader, log }, { shouldStop, charge: budget.cpu.charge }),
  }, { runId, overlapS: body.overlap_seconds ?? 3600, windowStart: body.window_start ?? null });
  return json(200, { run_id: runId, ...result });
}, { log }));
