/**
 * Settings of the payout run beyond `../env.ts` (which holds the database, doorbell secret, budgets
 * and Stripe client settings). All optional; problems name the variable, never its value.
 *
 * | variable                          | meaning                                                                 |
 * | --------------------------------- | ----------------------------------------------------------------------- |
 * | `PAYOUT_CLAIM_LEASE_SECONDS`      | lease of a claimed tranche (default: `private.payout_settings.claim_lease`, 15 min) |
 * | `PAYOUT_RECONCILE_SETTLE_SECONDS` | settle delay before an unknown outcome is reconciled (default 120)       |
 * | `PAYOUT_CONCURRENCY`              | tranches sent or reconciled at once (default 4, 1–16)                    |
 * | `PAYOUT_KEY_WINDOW_HOURS`         | age of an idempotency key after which it is never reused (default 23: Stripe prunes keys after 24 h) |
 * | `PAYOUT_DEFER_SECONDS`            | how long a tranche is left alone after Stripe was unreachable (default 15) |
 * | `PAYOUT_RECORD_MAX_DELAY_MS`      | how long a paid outcome waits to be recorded with others (default 1 000, 0–10 000: at 25 transfers/s a batch fills in about a second, and each recording transaction costs the isolate CPU); a batch is also recorded at `PAYOUT_BATCH_SIZE` outcomes and before the invocation ends |
 * | `PAYOUT_CPU_MS_PER_CALL`          | CPU charged to the isolate per Stripe call, for runtimes that report no CPU of their own (default 3, calibrated by `npm run bench -- --only stripe` with margin) |
 * | `PAYOUT_HEARTBEAT_MS`             | how often a running invocation beats (default 5 000; must stay well below `payout_settings.invocation_stale_after`, 20 s) |
 */
import { z } from "zod";
import { EnvError, type EnvGetter } from "../env.ts";

/** Run settings (see module doc). */
export interface PayoutRunSettings {
  /** Claim lease in seconds, or null for the database's `claim_lease`. */
  leaseSeconds: number | null;
  settleSeconds: number;
  concurrency: number;
  keyWindowMs: number;
  deferSeconds: number;
  recordMaxDelayMs: number;
  cpuPerCallMs: number;
  heartbeatMs: number;
}

const empty = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const int = (min: number, max: number) =>
  z.preprocess(
    empty,
    z.coerce.number({ error: "must be a number" }).int({ error: "must be an integer" })
      .min(min, { error: `must be >= ${min}` }).max(max, { error: `must be <= ${max}` }).optional(),
  );

const schema = z.object({
  PAYOUT_CLAIM_LEASE_SECONDS: int(1, 86_400),
  PAYOUT_RECONCILE_SETTLE_SECONDS: int(0, 86_400),
  PAYOUT_CONCURRENCY: int(1, 16),
  PAYOUT_KEY_WINDOW_HOURS: int(1, 24),
  PAYOUT_DEFER_SECONDS: int(0, 3_600),
  PAYOUT_RECORD_MAX_DELAY_MS: int(0, 10_000),
  PAYOUT_CPU_MS_PER_CALL: int(0, 100),
  PAYOUT_HEARTBEAT_MS: int(500, 60_000),
});

/** Reads the run settings. Throws `EnvError` naming the bad variables. */
export function loadPayoutRunSettings(get: EnvGetter = (n) => Deno.env.get(n)): PayoutRunSettings {
  const names = Object.keys(schema.shape);
  const r = schema.safeParse(Object.fromEntries(names.map((n) => [n, get(n)])));
  if (!r.success) throw new EnvError(r.error.issues.map((i) => `${i.path.map(String).join(".")}: ${i.message}`));
  const v = r.data;
  return {
    leaseSeconds: v.PAYOUT_CLAIM_LEASE_SECONDS ?? null,
    settleSeconds: v.PAYOUT_RECONCILE_SETTLE_SECONDS ?? 120,
    concurrency: v.PAYOUT_CONCURRENCY ?? 4,
    keyWindowMs: (v.PAYOUT_KEY_WINDOW_HOURS ?? 23) * 3_600_000,
    deferSeconds: v.PAYOUT_DEFER_SECONDS ?? 15,
    recordMaxDelayMs: v.PAYOUT_RECORD_MAX_DELAY_MS ?? 1_000,
    cpuPerCallMs: v.PAYOUT_CPU_MS_PER_CALL ?? 3,
    heartbeatMs: v.PAYOUT_HEARTBEAT_MS ?? 5_000,
  };
}
