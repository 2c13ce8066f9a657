// Daily reconciliation with Stripe: rung by pg_cron (stripe-sync-reconcile) through pg_net with the
// job secret (verify_jwt = false), and by itself to continue a run it could not finish within the
// isolate's CPU (`run_id`, private.ring_stripe_sync_handover). Thin wiring over
// _shared/stripe_sync/reconciliation.ts. Body (optional): {"window_start": ISO time,
// "overlap_seconds": 0..604800, "retry_webhooks": bool, "run_id": uuid of an unfinished run to continue}.
import { z } from "zod";
import { jobBudget } from "../_shared/platform/budget.ts";
import { stripeSyncJobEnv } from "../_shared/platform/env.ts";
import { serveFunction } from "../_shared/platform/function.ts";
import { json } from "../_shared/platform/http.ts";
import { createWebhookInbox } from "../_shared/stripe_sync/db.ts";
import { createStripeReader } from "../_shared/stripe_sync/reader.ts";
import { reconcile } from "../_shared/stripe_sync/reconciliation.ts";
import { retryFailedWebhookEvents } from "../_shared/stripe_sync/webhook.ts";
import { createReconcileDb, createReconcileStripe, syncClients } from "../_shared/stripe_sync/wiring.ts";

Deno.serve(serveFunction({
  name: "reconcile-payouts",
  auth: "job_secret",
  env: stripeSyncJobEnv,
  resources: syncClients,
  body: z.looseObject({
    window_start: z.string().datetime({ offset: true }).optional(),
    overlap_seconds: z.number().int().min(0).max(604_800).optional(),
    retry_webhooks: z.boolean().optional(),
    run_id: z.string().uuid().optional(),
  }),
  handler: async (_req, { config, resources: c, body, log }) => {
    const runId = body.run_id ?? crypto.randomUUID();
    const budget = jobBudget(config.budget);
    const inbox = createWebhookInbox(c.db);
    const reader = createStripeReader(c.stripe, c.pacer, { maxAttempts: c.maxAttempts });
    const result = await reconcile({
      db: createReconcileDb(c.db),
      stripe: createReconcileStripe(c.stripe, c.pacer, c.maxAttempts),
      log,
      budget,
      retryWebhooks: body.retry_webhooks === false
        ? undefined
        : (shouldStop) => retryFailedWebhookEvents({ inbox, reader, log }, { shouldStop, charge: budget.cpu.charge }),
    }, { runId, overlapS: body.overlap_seconds ?? 3600, windowStart: body.window_start ?? null });
    return json(200, { run_id: runId, ...result });
  },
}));
