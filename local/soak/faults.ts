// The kinds of fault the soak injects, and which of them a run may use.
import { catchUpExists } from "./world.ts";

export const FAULT_KINDS = [
  "worker_sigkill",
  "cpu_limit_kill",
  "stripe_error_500_before",
  "stripe_error_500_after",
  "stripe_drop_before",
  "stripe_drop_after",
  "stripe_latency",
  "stripe_latency_after",
  "stripe_rate_limit_storm",
  "stripe_balance_insufficient",
  "stripe_no_capability",
  "stripe_idempotency_keys_pruned",
  "webhook_duplicated",
  "webhook_reordered",
  "webhook_delayed",
  "webhook_lost_transfer",
  "webhook_lost",
  "concurrent_invocations",
  "postgres_crash_restart",
  "pg_net_request_lost",
] as const;
export type FaultKind = typeof FAULT_KINDS[number];

/**
 * The faults of this checkout. A lost `invoice.paid`, `account.updated` or dispute event is only
 * recovered by the events catch-up job (`stripe-events-catch-up`); without it such a loss is not a
 * fault the system claims to survive, so it is not injected (lost transfer events are: the payout
 * run and reconciliation recover those).
 */
export function availableFaults(without: ReadonlySet<string> = new Set()): { kinds: FaultKind[]; note: string | null } {
  const catchUp = catchUpExists();
  const kinds = FAULT_KINDS.filter((k) => !without.has(k) && (catchUp || k !== "webhook_lost"));
  const note = catchUp
    ? null
    : "note: supabase/functions/stripe-events-catch-up is missing: lost webhooks are injected for transfer events only (webhook_lost off)";
  return { kinds, note };
}
