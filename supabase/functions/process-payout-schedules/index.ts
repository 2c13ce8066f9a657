// process-payout-schedules: rung every minute by pg_cron (private.payout_doorbell -> net.http_post)
// when payouts are due, and by admins (public.process_due_payout_schedules). Answers 202 at once
// and pays due tranches through Stripe Connect in the background, exactly once per tranche
// (supabase/functions/_shared/payout_run/invocation.ts; docs/payout-runs.md). verify_jwt = false:
// the job secret is checked instead.
import { payoutRunEnv } from "../_shared/platform/env.ts";
import { serveFunction } from "../_shared/platform/function.ts";
import { acceptRun, DoorbellBody, payoutStripe, processPayoutSchedules } from "../_shared/payout_run/wiring.ts";

Deno.serve(serveFunction({
  name: "process-payout-schedules",
  auth: "job_secret",
  env: payoutRunEnv,
  resources: payoutStripe,
  body: DoorbellBody,
  handler: acceptRun("payout_schedules", processPayoutSchedules),
}));
