/**
 * `RunDb` over postgres.js: each method is one job transaction (`inJobTransaction`: actor `job`,
 * run id (the one its own `begin` joined or started), statement timeout, all transaction-local, so it works behind a transaction-mode pooler)
 * calling one SQL run function of 20261129090200 (`paidMany`: `record_payout_transfers_paid`).
 * Nothing else touches the database.
 *
 * Transient connection failures (a restarting database, a pooler hiccup, a serialization failure
 * or deadlock) are retried a few times with backoff. Every call is safe to repeat: the outcome
 * functions are idempotent (same transfer id, one or many at once; already failed, already
 * unknown), a repeated claim only claims more (what the lost one claimed comes back after its
 * lease, reconciled first), and `begin` is keyed by the invocation id.
 */
import { inJobTransaction, type Sql, type TxSql } from "../platform/db.ts";
import { realSleep } from "../platform/pacer.ts";
import type { PaidOutcome } from "./paid_recorder.ts";
import type {
  ClaimRow,
  FailedState,
  InvocationOutcome,
  ReconcileRow,
  RunDb,
  RunTotals,
  StoredRequest,
  TransferParams,
  Trigger,
} from "./types.ts";

/** Options of `createRunDb`. */
export interface RunDbOptions {
  /** Run kind of `begin` (default payout_schedules). */
  kind?: "payout_schedules" | "escrow_releases";
  /** Role to switch to per transaction (PAYOUT_JOBS_DB_ROLE), or null. */
  dbRole?: string | null;
  /** statement_timeout per transaction (default 30 s). */
  statementTimeoutMs?: number;
  /** Delays between attempts of a call that hit a transient error (default 0.25, 1, 2, 4 s). */
  retryDelaysMs?: number[];
  sleep?: (ms: number) => Promise<void>;
  onRetry?: (what: string, error: unknown, attempt: number) => void;
}

const TRANSIENT_CODES = new Set([
  // postgres.js
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  // sockets
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  // Postgres: admin/crash shutdown, cannot connect now, connection failures, serialization, deadlock
  "57P01",
  "57P02",
  "57P03",
  "08000",
  "08001",
  "08003",
  "08006",
  "40001",
  "40P01",
]);

/** True for errors worth one more try of a whole (idempotent) job transaction. */
export function isTransientDbError(e: unknown): boolean {
  if (!e || typeof e !== "object") return false;
  const code = (e as { code?: unknown }).code;
  if (typeof code === "string" && TRANSIENT_CODES.has(code)) return true;
  const name = (e as { name?: unknown }).name;
  return name === "ConnectionRefused" || name === "ConnectionReset" || name === "BrokenPipe";
}

const date = (v: unknown): Date | null => (v == null ? null : v instanceof Date ? v : new Date(String(v)));

function stored(params: unknown, preparedAt: unknown): StoredRequest | null {
  if (!params || preparedAt == null) return null;
  return { params: params as TransferParams, preparedAt: date(preparedAt)! };
}

// deno-lint-ignore no-explicit-any
type Row = Record<string, any>;

function tranche(r: Row) {
  return {
    transferId: r.transfer_id as string,
    payoutId: r.payout_id as string,
    scheduleId: r.schedule_id as string,
    placementId: r.placement_id as string,
    amount: String(r.amount),
    currency: String(r.currency),
    destination: r.destination_account_id as string,
    idempotencyKey: r.idempotency_key as string,
    attemptNumber: Number(r.attempt_number),
    transferGroup: r.transfer_group as string,
    stripeInvoiceId: (r.stripe_invoice_id ?? null) as string | null,
    stripePaymentIntentId: (r.stripe_payment_intent_id ?? null) as string | null,
    sourceChargeId: (r.source_charge_id ?? null) as string | null,
    createdAt: date(r.transfer_created_at) ?? new Date(0),
    request: stored(r.request_params, r.request_prepared_at),
  };
}

const interval = (seconds: number | null) => (seconds === null ? null : `${seconds} seconds`);

/** The database side of the payout run (and of the escrow release run: `begin`/`finish`). */
export function createRunDb(
  sql: Sql,
  opts: RunDbOptions = {},
): RunDb & { releaseEscrow(invocationId: string, limit: number): Promise<Row> } {
  const kind = opts.kind ?? "payout_schedules";
  /** The run `begin` joined or started: every later transaction carries it (null before). */
  let runId: string | null = null;
  const delays = opts.retryDelaysMs ?? [250, 1000, 2000, 4000];
  const sleep = opts.sleep ?? realSleep;

  const tx = async <T>(what: string, fn: (tx: TxSql) => Promise<T>): Promise<T> => {
    for (let attempt = 1;; attempt++) {
      try {
        return await inJobTransaction(sql, {
          actorRole: "job",
          runId,
          dbRole: opts.dbRole ?? null,
          statementTimeoutMs: opts.statementTimeoutMs ?? 30_000,
        }, fn);
      } catch (e) {
        if (!isTransientDbError(e) || attempt > delays.length) throw e;
        opts.onRetry?.(what, e, attempt);
        await sleep(delays[attempt - 1]);
      }
    }
  };

  return {
    async begin(invocationId: string, trigger: Trigger) {
      const [r] = await tx(
        "begin",
        (t) => t`select * from private.begin_payout_invocation(${invocationId}::uuid, ${kind}::text, ${trigger}::text)`,
      );
      runId = r.run_id as string;
      return { runId, resumed: !!r.resumed, paused: !!r.payouts_paused };
    },

    async heartbeat(invocationId: string) {
      const [r] = await tx(
        "heartbeat",
        (t) => t`select * from private.heartbeat_payout_invocation(${invocationId}::uuid)`,
      );
      return { alive: !!r.alive, paused: !!r.payouts_paused };
    },

    async keepAlive(invocationId: string) {
      await tx("keep_alive", (t) => t`select 1 from private.heartbeat_payout_invocation(${invocationId}::uuid)`);
    },

    async handover(invocationId: string) {
      const [r] = await tx(
        "handover",
        (t) => t`select private.ring_payout_handover(${invocationId}::uuid) as request_id`,
      );
      return r.request_id === null ? null : Number(r.request_id);
    },

    async claimReconciliations(invocationId: string, limit: number, leaseSeconds: number | null) {
      const rows = await tx("claim_reconciliations", (t) =>
        t`select * from private.claim_payout_reconciliations(
            ${invocationId}::uuid, ${limit}::integer, ${interval(leaseSeconds)}::interval)`);
      return rows.map((r: Row): ReconcileRow => ({
        ...tranche(r),
        transferStatus: r.transfer_status,
        scheduleStatus: r.schedule_status,
        gateReason: r.gate_reason ?? null,
      }));
    },

    async claimBatch(invocationId: string, limit: number, leaseSeconds: number | null) {
      const rows = await tx("claim", (t) =>
        t`select * from private.claim_payout_batch(
            ${invocationId}::uuid, ${limit}::integer, ${interval(leaseSeconds)}::interval)`);
      return rows.map((r: Row): ClaimRow =>
        r.outcome === "claimed" || r.outcome === "reclaimed" ? { outcome: r.outcome as "claimed", ...tranche(r) } : {
          outcome: r.outcome,
          scheduleId: r.schedule_id,
          payoutId: r.payout_id,
          placementId: r.placement_id,
          skipReason: r.skip_reason,
        }
      );
    },

    async prepare(invocationId: string, requests: { transferId: string; params: TransferParams }[]) {
      const body = JSON.stringify(requests.map((q) => ({ transfer_id: q.transferId, params: q.params })));
      const rows = await tx(
        "prepare",
        (t) => t`select * from private.prepare_payout_transfer_requests(${invocationId}::uuid, ${body}::text::jsonb)`,
      );
      return new Map(rows.map((r: Row) => [r.transfer_id as string, stored(r.params, r.prepared_at)!]));
    },

    async paid(invocationId: string, transferId: string, stripeTransferId: string, adopted: boolean) {
      await tx("paid", (t) =>
        t`select 1 from private.record_payout_transfer_paid(
            ${invocationId}::uuid, ${transferId}::uuid, ${stripeTransferId}::text, ${adopted}::boolean)`);
    },

    async paidMany(invocationId: string, items: PaidOutcome[]) {
      if (items.length === 0) return;
      // Arrays of strings: postgres.js serializes them with the array type the server describes
      // (a JS boolean[] would be sent as one boolean). All or nothing: any bad element rolls back all.
      const transferIds = items.map((i) => i.transferId);
      const stripeIds = items.map((i) => i.stripeTransferId);
      const adopted = items.map((i) => (i.adopted ? "true" : "false"));
      await tx("paid_many", (t) =>
        t`select 1 from private.record_payout_transfers_paid(
            ${invocationId}::uuid, ${transferIds}::uuid[], ${stripeIds}::text[], ${adopted}::text[]::boolean[])`);
    },

    async failed(invocationId: string, transferId: string, reason: string, code: string | null): Promise<FailedState> {
      const [r] = await tx("failed", (t) =>
        t`select * from private.record_payout_transfer_failed(
            ${invocationId}::uuid, ${transferId}::uuid, ${reason}::text, ${code}::text)`);
      return {
        retryCount: Number(r?.retry_count ?? 0),
        maxAttempts: Number(r?.max_attempts ?? 0),
        exhausted: !!r?.exhausted,
        nextAttemptAt: date(r?.next_attempt_at),
        connectRequired: !!r?.connect_required,
      };
    },

    async unknown(invocationId: string, transferId: string, reason: string, settleSeconds: number) {
      await tx("unknown", (t) =>
        t`select 1 from private.record_payout_transfer_unknown(
            ${invocationId}::uuid, ${transferId}::uuid, ${reason}::text, ${interval(settleSeconds)}::interval)`);
    },

    async defer(invocationId: string, transferId: string, delaySeconds: number, reason: string) {
      await tx("defer", (t) =>
        t`select 1 from private.defer_payout_transfer(
            ${invocationId}::uuid, ${transferId}::uuid, ${interval(delaySeconds)}::interval, ${reason}::text)`);
    },

    async error(
      invocationId: string,
      err: { code: string; message: string; transfer_id?: string; payout_id?: string },
    ) {
      await tx(
        "error",
        (t) => t`select private.record_payout_run_error(${invocationId}::uuid, ${JSON.stringify(err)}::text::jsonb)`,
      );
    },

    async finish(invocationId: string, outcome: InvocationOutcome): Promise<RunTotals> {
      const [r] = await tx(
        "finish",
        (t) => t`select * from private.finish_payout_invocation(${invocationId}::uuid, ${outcome}::text)`,
      );
      const { id, ...rest } = r as Row;
      return { runId: id, status: rest.status, ...rest };
    },

    async releaseEscrow(invocationId: string, limit: number) {
      const [r] = await tx(
        "release_escrow",
        (t) => t`select * from private.run_escrow_releases(${invocationId}::uuid, p_limit => ${limit}::integer)`,
      );
      return r as Row;
    },
  };
}
