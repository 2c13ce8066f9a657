/**
 * Records the payout run's paid outcomes in batches: one database transaction
 * (`private.record_payout_transfers_paid`) for many tranches instead of one each.
 *
 * A worker that got a transfer from Stripe (or found it when reconciling) `add`s the outcome and is
 * free at once: the pacer keeps sending while a batch is recorded. A batch is recorded when
 *
 * - `maxItems` outcomes are buffered (at most `maxItems` per call), or
 * - the oldest buffered outcome has waited `maxDelayMs`, or
 * - `flush()` is called (the run calls it before it finishes, on every path).
 *
 * At most one batch is recorded at a time; what arrives meanwhile waits for the next one. When the
 * batch call is refused (the set-based function records all or nothing), every outcome of the batch
 * is recorded on its own with `recordOne`, so one bad outcome never blocks the others. When it
 * failed otherwise (`retryOneByOne(error)` false: the database stayed unreachable through the
 * caller's retries), one-by-one calls would only wait out the same outage item after item: every
 * outcome of the batch is settled as failed at once. Each outcome is then `settled` exactly
 * once: `{ ok: true }` after its recording committed, `{ ok: false, error }` when it definitively
 * failed. Until then the caller must treat the tranche as still its own (its Stripe transfer exists,
 * its row is still pending): the payout run keeps it in its `held` set.
 *
 * Time comes from the injected `timers` (a clock and cancellable timers; `VirtualClock` in tests),
 * so the delay rule is tested without real sleeps.
 *
 * ```ts
 * const rec = createPaidRecorder({
 *   maxItems: 25, maxDelayMs: 250,
 *   recordMany: (items) => db.paidMany(invocationId, items),
 *   recordOne: (i) => db.paid(invocationId, i.transferId, i.stripeTransferId, i.adopted),
 *   settled: (i, r) => r.ok ? logPaid(i) : logError(i, r.error),
 * });
 * rec.add({ transferId, stripeTransferId: "tr_1", adopted: false });
 * await rec.flush(); // everything added so far is settled
 * ```
 */

/** One paid outcome: the tranche's Stripe transfer exists. */
export interface PaidOutcome {
  transferId: string;
  stripeTransferId: string;
  /** Found by reconciliation rather than returned by our own call. */
  adopted: boolean;
}

/**
 * How an outcome's recording ended. `wholeBatch`: the failure is the batch's (an outage, not retried
 * one by one), the same `error` for every outcome of that batch.
 */
export type PaidSettlement = { ok: true } | { ok: false; error: unknown; wholeBatch?: true };

/** A clock with cancellable timers (the real one: `realTimers`; tests: `VirtualClock`). */
export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Wall clock and the runtime's timers. */
export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as number),
};

/** Options of `createPaidRecorder`. */
export interface PaidRecorderOptions<T extends PaidOutcome> {
  /** Record a batch when this many outcomes are buffered (and never more in one call). */
  maxItems: number;
  /** Record a batch when its oldest outcome has waited this long (ms). */
  maxDelayMs: number;
  /** Records every outcome in one transaction, all or nothing. */
  recordMany(items: T[]): Promise<void>;
  /** Records one outcome (the fallback when a batch failed). */
  recordOne(item: T): Promise<void>;
  /** Called once per outcome, after its recording committed or definitively failed. Must not throw. */
  settled(item: T, result: PaidSettlement): void | Promise<void>;
  /** A batch failed as a whole. Must not throw. */
  batchFailed?(error: unknown, items: T[]): void | Promise<void>;
  /**
   * Whether a failed batch is worth recording one by one (default: always). False for failures
   * that are not about one outcome (connection lost, timeouts): the batch is settled as failed.
   */
  retryOneByOne?(error: unknown): boolean;
  timers?: Timers;
}

/** A paid-outcome recorder (see module doc). */
export interface PaidRecorder<T extends PaidOutcome> {
  /** Buffers an outcome; it is recorded (and settled) later. Never blocks. */
  add(item: T): void;
  /** Outcomes added and not settled yet (buffered or being recorded). */
  readonly size: number;
  /** True when every outcome added so far is settled. */
  idle(): boolean;
  /** Records everything buffered now (in batches of `maxItems`); resolves once all is settled. */
  flush(): Promise<void>;
}

/** Creates a recorder (see module doc). */
export function createPaidRecorder<T extends PaidOutcome>(opts: PaidRecorderOptions<T>): PaidRecorder<T> {
  const max = Math.max(1, Math.floor(opts.maxItems));
  const delay = Math.max(0, opts.maxDelayMs);
  const timers = opts.timers ?? realTimers;
  /** Buffered outcomes, oldest first, with the clock when each was added. */
  const buffer: { item: T; at: number }[] = [];
  /** The timer of the oldest buffered entry (the entry it waits for). */
  let timer: { entry: { item: T; at: number }; handle: unknown } | null = null;
  /** Outcomes taken from the buffer and not settled yet (the batch being recorded). */
  let recording = 0;
  /** `flush()` calls waiting: record whatever is buffered without waiting for a rule. */
  let forced = 0;
  const idleWaiters: (() => void)[] = [];

  const clearTimer = () => {
    if (timer) timers.clearTimeout(timer.handle);
    timer = null;
  };
  /** The oldest buffered outcome has waited `maxDelayMs`. */
  const oldestDue = () => timers.now() - buffer[0].at >= delay;
  /** Keeps exactly one timer: for the oldest buffered entry (re-armed if it fires early). */
  const armTimer = () => {
    const oldest = buffer[0];
    if (timer?.entry === oldest) return;
    clearTimer();
    if (!oldest) return;
    const handle = timers.setTimeout(() => {
      timer = null;
      pump();
    }, Math.max(0, oldest.at + delay - timers.now()));
    timer = { entry: oldest, handle };
  };

  const settle = async (item: T, result: PaidSettlement) => {
    try {
      await opts.settled(item, result);
    } catch {
      // settled must not throw; the next outcomes are settled regardless
    }
  };
  /** Records one batch; never rejects. */
  const record = async (batch: T[]): Promise<void> => {
    let failure: { error: unknown } | null = null;
    try {
      await opts.recordMany(batch);
    } catch (error) {
      failure = { error };
    }
    if (!failure) {
      for (const item of batch) await settle(item, { ok: true });
      return;
    }
    try {
      await opts.batchFailed?.(failure.error, batch);
    } catch {
      // must not throw
    }
    let oneByOne = true;
    try {
      oneByOne = opts.retryOneByOne?.(failure.error) ?? true;
    } catch {
      // must not throw: one by one
    }
    if (!oneByOne) {
      for (const item of batch) await settle(item, { ok: false, error: failure.error, wholeBatch: true });
      return;
    }
    // nothing of the batch was recorded: one by one, so one bad outcome never blocks the others
    for (const item of batch) {
      let result: PaidSettlement;
      try {
        await opts.recordOne(item);
        result = { ok: true };
      } catch (error) {
        result = { ok: false, error };
      }
      await settle(item, result);
    }
  };

  const pump = () => {
    if (recording > 0) return; // one batch at a time; called again when it is settled
    if (buffer.length === 0) {
      clearTimer();
      for (const wake of idleWaiters.splice(0)) wake();
      return;
    }
    if (!(forced > 0 || buffer.length >= max || oldestDue())) return armTimer();
    const batch = buffer.splice(0, max).map((e) => e.item);
    armTimer(); // for what stays buffered
    recording = batch.length;
    record(batch).finally(() => {
      recording = 0;
      pump();
    });
  };

  return {
    add(item) {
      buffer.push({ item, at: timers.now() });
      pump();
    },
    get size() {
      return buffer.length + recording;
    },
    idle: () => buffer.length === 0 && recording === 0,
    async flush() {
      forced++;
      try {
        const idle = new Promise<void>((resolve) => idleWaiters.push(resolve));
        pump();
        await idle;
      } finally {
        forced--;
      }
    },
  };
}
