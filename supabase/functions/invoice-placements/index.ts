// Billing worker: rung by the billing doorbell (pg_cron, every minute: outbox intake of new
// placements, then a ring when a company invoice has work due), by public.reissue_placement_invoice
// (pg_net) and by itself when it stopped for the isolate's CPU with work left
// (private.ring_stripe_sync_handover), with the job secret (verify_jwt = false). Thin wiring over
// _shared/stripe_sync/billing.ts. Body (optional): {"limit": 1..50, "lease_seconds": 1..900}.
// Answers when done: the counts, why it stopped early (`stopped`) and the hand-over ring.
import { z } from "zod";
import { jobBudget } from "../_shared/platform/budget.ts";
import { stripeSyncJobEnv } from "../_shared/platform/env.ts";
import { serveFunction } from "../_shared/platform/function.ts";
import { json } from "../_shared/platform/http.ts";
import { runBilling } from "../_shared/stripe_sync/billing.ts";
import { createBillingDb, createBillingStripe, syncClients } from "../_shared/stripe_sync/wiring.ts";

Deno.serve(serveFunction({
  name: "invoice-placements",
  auth: "job_secret",
  env: stripeSyncJobEnv,
  resources: syncClients,
  body: z.looseObject({
    limit: z.number().int().min(1).max(50).optional(),
    lease_seconds: z.number().int().min(1).max(900).optional(),
  }),
  handler: async (_req, { config, resources: c, body, log }) => {
    const worker = crypto.randomUUID();
    const result = await runBilling({
      db: createBillingDb(c.db, worker),
      stripe: createBillingStripe(c.stripe, c.pacer, c.maxAttempts),
      log: log.child({ worker }),
      budget: jobBudget(config.budget),
    }, { limit: body.limit ?? 10, leaseS: body.lease_seconds ?? 120 });
    log.info("billing run done", { worker, ...result });
    return json(200, { worker, ...result });
  },
}));
