// process-escrow-releases: rung every minute by pg_cron (private.escrow_release_doorbell) when
// escrow holds are due (release date at 03:00 UTC by default). Answers 202 at once and releases
// the due holds set-based in the background (supabase/functions/_shared/escrow_run.ts); the
// released money is then paid by process-payout-schedules. verify_jwt = false: the job secret is
// checked instead.
import { serveJob } from "../_shared/job_function.ts";
import { processEscrowReleases } from "../_shared/payout_run/wiring.ts";

Deno.serve(serveJob({
  name: "process-escrow-releases",
  kind: "escrow_releases",
  stripe: false,
  run: processEscrowReleases,
}));
