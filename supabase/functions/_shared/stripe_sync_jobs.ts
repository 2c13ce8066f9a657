/**
 * Wiring of the doorbell-rung Stripe sync jobs (`reverse-payouts`, `reconcile-payouts`): the
 * environment, the database (`stripe_sync`, actor `job`), the Stripe client and pacer, the job
 * secret check and the request body. The decisions live in payout_reversal.ts / reconciliation.ts.
 */
import type Stripe from "stripe";
import { z } from "zod";
import { createDb, type Sql } from "./db.ts";
import { EnvError, loadStripeEnv, type StripeEnv } from "./env.ts";
import { HttpError, parseJsonBody, requireMethod } from "./http.ts";
import { requireJobSecret } from "./job_auth.ts";
import type { Logger } from "./log.ts";
import { createPacer, type Pacer } from "./pacer.ts";
import type { ClaimedReversal, ReversalDb, ReversalStripe } from "./payout_reversal.ts";
import { callStripe, createStripe } from "./stripe.ts";
import { reversalInfo } from "./stripe_reader.ts";
import { inStripeSyncTransaction, type StripeSyncDb } from "./stripe_sync_db.ts";
import { type JobBudgetEnv, loadStripeSyncJobEnv } from "./stripe_sync_env.ts";
import type { ReversalInfo } from "./stripe_events.ts";
import { type ReconcileDb, type ReconcileRun, type ReconcileStripe, transferInfo } from "./reconciliation.ts";

/** Everything a Stripe sync job needs, built once per isolate. */
export interface JobContextBuilt {
  db: StripeSyncDb;
  sql: Sql;
  stripe: Stripe;
  stripeEnv: StripeEnv;
  pacer: Pacer;
  jobSecret: string;
  /** The budget variables (`jobBudget(ctx.budget)` per invocation). */
  budget: JobBudgetEnv;
}

/** Builds the job context from the environment (throws `EnvError`). */
export function buildJobContext(fn: string): JobContextBuilt {
  const env = loadStripeSyncJobEnv();
  const stripeEnv = loadStripeEnv();
  const sql = createDb(env.db.url, { applicationName: fn, max: 2 });
  return {
    db: { sql, role: env.db.role },
    sql,
    stripe: createStripe(stripeEnv, { appInfo: { name: "supabase-marketplace-payouts", version: `0.1.0/${fn}` } }),
    stripeEnv,
    pacer: createPacer({ ratePerSec: stripeEnv.maxRps }),
    jobSecret: env.jobSecret,
    budget: env.budget,
  };
}

/** The context, or 503 when misconfigured (logged by variable names only). */
export function jobContextOr503(fn: string, log: Logger, cache: { ctx?: JobContextBuilt }): JobContextBuilt {
  try {
    return cache.ctx ??= buildJobContext(fn);
  } catch (e) {
    if (e instanceof EnvError) {
      log.error(`${fn} misconfigured`, { problems: e.problems });
      throw new HttpError(503, "misconfigured");
    }
    throw e;
  }
}

/** The pg_net request id a ring returned (bigint: a string), or null. */
const ringId = (rows: readonly { id?: unknown }[]): number | null => (rows[0]?.id == null ? null : Number(rows[0].id));

/** POST with the job secret and an optional JSON body. */
export async function acceptJobRequest<S extends z.ZodType>(req: Request, jobSecret: string, schema: S) {
  requireMethod(req, "POST");
  await requireJobSecret(req, jobSecret);
  return await parseJsonBody(req, schema, { emptyAsObject: true });
}

// ---------------------------------------------------------------------------------------------
// reverse-payouts
// ---------------------------------------------------------------------------------------------

/** The reversal worker's database calls over Postgres. */
export function createReversalDb(db: StripeSyncDb, worker: string): ReversalDb {
  const tx = <T>(fn: Parameters<typeof inStripeSyncTransaction<T>>[2]) => inStripeSyncTransaction(db, "job", fn);
  return {
    claim: (limit, leaseS) =>
      tx((t) =>
        t<ClaimedReversal[]>`select * from private.claim_payout_reversals(${worker}, ${limit},
          make_interval(secs => ${leaseS}))`
      ),
    planPartial: async (id, available) =>
      (await tx((t) => t<ClaimedReversal[]>`select * from private.plan_partial_payout_reversal(${id}, ${available})`))[0],
    complete: async (id, reversals) =>
      (await tx((t) =>
        t<{ status: string; reversed_amount: string; shortfall_amount: string }[]>`
          select * from private.complete_payout_reversal(${id}, ${JSON.stringify(reversals)}::text::jsonb)`
      ))[0],
    fail: async (id, code, reason) => {
      await tx((t) => t`select 1 from private.fail_payout_reversal(${id}, ${code}, ${reason})`);
    },
    noteError: async (id, error, retryInS) => {
      await tx((t) =>
        t`select 1 from private.note_payout_reversal_error(${id}, ${JSON.stringify(error)}::text::jsonb,
          make_interval(secs => ${retryInS}))`
      );
    },
    release: async (ids) =>
      (await tx((t) => t<{ n: number }[]>`select private.release_payout_reversals(${worker}, ${ids}::uuid[]) as n`))[0].n,
    handover: () => tx((t) => t`select private.ring_stripe_sync_handover('reverse-payouts') as id`).then(ringId),
  };
}

/** The reversal worker's Stripe calls over the SDK (paced; same-key retries inside a call). */
export function createReversalStripe(stripe: Stripe, pacer: Pacer, maxAttempts: number): ReversalStripe {
  return {
    async listReversals(transferId) {
      const out: ReversalInfo[] = [];
      let after: string | undefined;
      for (;;) {
        const r = await callStripe(
          pacer,
          () => stripe.transfers.listReversals(transferId, { limit: 100, ...(after ? { starting_after: after } : {}) }),
          { maxAttempts },
        );
        if (r.kind !== "ok") throw new Error(`listReversals ${transferId}: ${r.kind}`);
        out.push(...r.value.data.map(reversalInfo));
        if (!r.value.has_more || r.value.data.length === 0) return out;
        after = r.value.data[r.value.data.length - 1].id;
      }
    },
    async createReversal(transferId, amount, metadata, idempotencyKey) {
      const r = await callStripe(
        pacer,
        () => stripe.transfers.createReversal(transferId, { amount, metadata }, { idempotencyKey }),
        { maxAttempts },
      );
      return r.kind === "ok" ? { ...r, value: reversalInfo(r.value) } : r;
    },
    async availableBalance(accountId, currency) {
      const r = await callStripe(pacer, () => stripe.balance.retrieve({}, { stripeAccount: accountId }), { maxAttempts });
      if (r.kind !== "ok") throw new Error(`balance of ${accountId}: ${r.kind}`);
      const c = currency.toLowerCase();
      return r.value.available.filter((b) => b.currency === c).reduce((n, b) => n + b.amount, 0);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// reconcile-payouts
// ---------------------------------------------------------------------------------------------

/** The reconciliation's database calls over Postgres. */
export function createReconcileDb(db: StripeSyncDb): ReconcileDb {
  const tx = <T>(fn: Parameters<typeof inStripeSyncTransaction<T>>[2]) => inStripeSyncTransaction(db, "job", fn);
  return {
    begin: async (runId, overlapS, windowStart) => {
      const [r] = await tx((t) =>
        t<ReconcileRun[]>`select since, window_end, covered_from, status
          from private.begin_stripe_reconciliation(${runId}, make_interval(secs => ${overlapS}),
                                                   ${windowStart}::timestamptz)`
      );
      return r;
    },
    tranches: (since, until) =>
      tx((t) =>
        t<{ stripe_transfer_id: string; succeeded_at: Date }[]>`select stripe_transfer_id, succeeded_at
          from private.stripe_reconciliation_tranches(${since}, ${until})`
      ),
    record: async (runId, transfers, missing, coveredFrom) =>
      (await tx((t) =>
        t<{ r: Record<string, unknown> }[]>`select private.record_stripe_reconciliation(${runId},
          ${JSON.stringify(transfers)}::text::jsonb, ${JSON.stringify(missing)}::text::jsonb,
          p_covered_from => ${coveredFrom}::timestamptz) as r`
      ))[0].r,
    fail: async (runId, error) => {
      await tx((t) => t`select private.fail_stripe_reconciliation(${runId}, ${JSON.stringify(error)}::text::jsonb)`);
    },
    applyOffsets: async () =>
      (await tx((t) => t<{ n: number }[]>`select count(*)::int as n from private.apply_clawback_offsets()`))[0].n,
    handover: (runId) =>
      tx((t) => t`select private.ring_stripe_sync_handover('reconcile-payouts', ${runId}) as id`).then(ringId),
  };
}

/** The reconciliation's Stripe reads over the SDK (paced; a failed read throws). */
export function createReconcileStripe(stripe: Stripe, pacer: Pacer, maxAttempts: number): ReconcileStripe {
  return {
    async listTransfers(since, until, startingAfter) {
      const r = await callStripe(
        pacer,
        () =>
          stripe.transfers.list({
            created: { gte: since, lte: until },
            limit: 100,
            ...(startingAfter ? { starting_after: startingAfter } : {}),
          }),
        { maxAttempts },
      );
      if (r.kind !== "ok") throw new Error(`transfers.list: ${r.kind}`);
      return { data: r.value.data.map(transferInfo), hasMore: r.value.has_more };
    },
    async retrieveTransfer(id) {
      const r = await callStripe(pacer, () => stripe.transfers.retrieve(id), { maxAttempts });
      if (r.kind === "ok") return transferInfo(r.value);
      if (r.kind === "definitive_failure" && (r.code === "resource_missing" || r.status === 404)) return null;
      throw new Error(`transfers.retrieve ${id}: ${r.kind}`);
    },
  };
}
