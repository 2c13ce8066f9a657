// The events catch-up: recovers Stripe events no webhook delivered. Rung by pg_cron
// (stripe-sync-events-catch-up, every 10 minutes) through pg_net with the job secret
// (verify_jwt = false), and by itself to continue a run it stopped for the isolate's CPU
// (private.ring_stripe_sync_handover). Thin wiring over _shared/stripe_sync/events_catch_up.ts.
// Body (optional): {"overlap_seconds": 0..86400 (default 600), "run_id": uuid}; an unfinished run
// is always continued, whatever run_id says.
import { z } from "zod";
import { jobBudget } from "../_shared/platform/budget.ts";
import { stripeSyncJobEnv } from "../_shared/platform/env.ts";
import { serveFunction } from "../_shared/platform/function.ts";
import { json } from "../_shared/platform/http.ts";
import { createWebhookInbox } from "../_shared/stripe_sync/db.ts";
import { catchUpEvents } from "../_shared/stripe_sync/events_catch_up.ts";
import { createStripeReader } from "../_shared/stripe_sync/reader.ts";
import { storeAndProcessEvent } from "../_shared/stripe_sync/webhook.ts";
import { createCatchUpDb, createCatchUpStripe, syncClients } from "../_shared/stripe_sync/wiring.ts";

Deno.serve(serveFunction({
  name: "stripe-events-catch-up",
  auth: "job_secret",
  env: stripeSyncJobEnv,
  resources: syncClients,
  body: z.looseObject({
    overlap_seconds: z.number().int().min(0).max(86_400).optional(),
    run_id: z.string().uuid().optional(),
  }),
  handler: async (_req, { config, resources: c, body, log }) => {
    const inbox = createWebhookInbox(c.db);
    const reader = createStripeReader(c.stripe, c.pacer, { maxAttempts: c.maxAttempts });
    const result = await catchUpEvents({
      db: createCatchUpDb(c.db),
      stripe: createCatchUpStripe(c.stripe, c.pacer, c.maxAttempts),
      log,
      budget: jobBudget(config.budget),
      process: (event, endpoint) => storeAndProcessEvent(event, endpoint, { inbox, reader, log }),
    }, { runId: body.run_id ?? crypto.randomUUID(), overlapS: body.overlap_seconds ?? 600 });
    return json(200, result);
  },
}));
