// process-escrow-releases: rung every minute by pg_cron (private.escrow_release_doorbell) when
// escrow holds are due (release date at 03:00 UTC by default). Answers 202 at once and releases
// the due holds set-based in the background (supabase/functions/_shared/payout_run/escrow_run.ts);
// the released money is then paid by process-payout-schedules. verify_jwt = false: the job secret
// is checked instead.
import { escrowRunEnv } from "../_shared/platform/env.ts";
import { serveFunction } from "../_shared/platform/function.ts";
import { acceptRun, DoorbellBody, processEscrowReleases } from "../_shared/payout_run/wiring.ts";

Deno.serve(serveFunction({
  name: "process-escrow-releases",
  auth: "job_secret",
  env: escrowRunEnv,
  body: DoorbellBody,
  handler: acceptRun("escrow_releases", processEscrowReleases),
}));
