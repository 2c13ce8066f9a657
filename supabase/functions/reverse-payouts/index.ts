// Reversal worker: rung by public.reverse_payout (pg_net), the stripe-sync reversal doorbell
// (pg_cron) and by itself when it stopped for the isolate's CPU with reversals left
// (private.ring_stripe_sync_handover), with the job secret (verify_jwt = false). Thin wiring over
// _shared/payout_reversal.ts. Body (optional): {"limit": 1..50, "lease_seconds": 1..900}.
// Answers when done: the counts, why it stopped early (`stopped`) and the hand-over ring.
import { z } from "zod";
import { handle, json } from "../_shared/http.ts";
import { jobBudget } from "../_shared/job_function.ts";
import { createLogger } from "../_shared/log.ts";
import { runReversals } from "../_shared/payout_reversal.ts";
import {
  acceptJobRequest,
  createReversalDb,
  createReversalStripe,
  type JobContextBuilt,
  jobContextOr503,
} from "../_shared/stripe_sync_jobs.ts";

const log = createLogger({ fn: "reverse-payouts" });
const cache: { ctx?: JobContextBuilt } = {};
const Body = z.object({
  limit: z.number().int().min(1).max(50).optional(),
  lease_seconds: z.number().int().min(1).max(900).optional(),
}).passthrough();

Deno.serve(handle(async (req) => {
  const ctx = jobContextOr503("reverse-payouts", log, cache);
  const body = await acceptJobRequest(req, ctx.jobSecret, Body);
  const worker = crypto.randomUUID();
  const result = await runReversals({
    db: createReversalDb(ctx.db, worker),
    stripe: createReversalStripe(ctx.stripe, ctx.pacer, ctx.stripeEnv.maxAttempts),
    log: log.child({ worker }),
    budget: jobBudget(ctx.budget),
  }, { limit: body.limit ?? 10, leaseS: body.lease_seconds ?? 120 });
  log.info("reversal run done", { worker, ...result });
  return json(200, { worker, ...result });
}, { log }));
