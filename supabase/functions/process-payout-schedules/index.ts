// process-payout-schedules: rung every minute by pg_cron (private.payout_doorbell -> net.http_post)
// when payouts are due, and by admins (public.process_due_payout_schedules). Answers 202 at once
// and pays due tranches through Stripe Connect in the background, exactly once per tranche
// (supabase/functions/_shared/payout_run/invocation.ts; docs/payout-runs.md). verify_jwt = false:
// the job secret is checked instead.
import { serveJob } from "../_shared/job_function.ts";
import { loadPayoutRunSettings } from "../_shared/payout_run/settings.ts";
import { processPayoutSchedules } from "../_shared/payout_run/wiring.ts";

Deno.serve(serveJob({
  name: "process-payout-schedules",
  kind: "payout_schedules",
  stripe: true,
  validate: () => void loadPayoutRunSettings(),
  run: processPayoutSchedules,
}));
