/**
 * A pool of `limit` workers over a queue that is fed while the workers run.
 *
 * The payout run hands the pool each batch as soon as it is claimed and its requests are stored,
 * and claims the next batch while the workers are still sending the previous one: the workers (and
 * so the Stripe pacer) never wait for a claim. The run bounds what it prefetches with
 * `backlogBelow(n)`, and takes back what was never started with `takeBacklog()` (every item is
 * either started by exactly one worker or returned by exactly one `takeBacklog()`, never both).
 *
 * ```ts
 * const pool = createWorkPool(4, (t) => send(t), (e, t) => log.error("send failed", { e, t }));
 * pool.push(batch);
 * await pool.backlogBelow(batch.length); // room for one more batch: claim it now
 * await pool.drain();
 * ```
 */

/** A work pool (see module doc). */
export interface WorkPool<T> {
  /** Queues items; idle workers start on them at once, in order. */
  push(items: Iterable<T>): void;
  /** Items queued and not started. */
  readonly backlog: number;
  /** Items being worked on. */
  readonly running: number;
  /** True when nothing is queued or running. */
  idle(): boolean;
  /** Resolves once fewer than `n` items are queued (at once when that is already so). */
  backlogBelow(n: number): Promise<void>;
  /** Resolves once nothing is queued or running. */
  drain(): Promise<void>;
  /** Removes and returns the queued items: none of them is started afterwards. */
  takeBacklog(): T[];
}

/**
 * Creates a pool of at most `limit` concurrent `work` calls. `work` should not reject; a rejection
 * is handed to `onError` (the item counts as done).
 */
export function createWorkPool<T>(
  limit: number,
  work: (item: T) => Promise<void>,
  onError: (error: unknown, item: T) => void,
): WorkPool<T> {
  const max = Math.max(1, Math.floor(limit));
  const queue: T[] = [];
  let running = 0;
  const waiters: { ready: () => boolean; resolve: () => void }[] = [];

  // Wakes whoever waits for a state that now holds.
  const settle = () => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i].ready()) waiters.splice(i, 1)[0].resolve();
    }
  };
  const start = async (item: T) => {
    try {
      await work(item);
    } catch (e) {
      onError(e, item);
    } finally {
      running--;
      pump();
    }
  };
  const pump = () => {
    while (running < max && queue.length > 0) {
      running++;
      start(queue.shift()!);
    }
    settle();
  };
  const when = (ready: () => boolean): Promise<void> =>
    ready() ? Promise.resolve() : new Promise((resolve) => waiters.push({ ready, resolve }));

  return {
    push(items) {
      for (const item of items) queue.push(item);
      pump();
    },
    get backlog() {
      return queue.length;
    },
    get running() {
      return running;
    },
    idle: () => queue.length === 0 && running === 0,
    backlogBelow: (n) => when(() => queue.length < n),
    drain: () => when(() => queue.length === 0 && running === 0),
    takeBacklog() {
      const taken = queue.splice(0, queue.length);
      settle();
      return taken;
    },
  };
}
