/**
 * Client-side request pacing for Stripe (default 20 requests/s, below Stripe's 25/s).
 *
 * A GCRA ("virtual scheduling") limiter: each `acquire()` reserves the next slot synchronously, so
 * concurrent callers in one isolate never exceed `ratePerSec` (with `burst` 1, consecutive slots are
 * at least `1000 / ratePerSec` ms apart; any window of T ms holds at most `burst + T·rate/1000`
 * acquisitions). `pause(ms)` (called after a 429) holds every caller, including those already
 * waiting, until the pause ends. Clock and sleep are injected so tests run in virtual time.
 *
 * One pacer per isolate and Stripe account is enough: an Edge Function isolate serves one run at a
 * time; several concurrent runs share Stripe's limit and rely on its 429s (which pause the pacer).
 */

/** Options of `createPacer`. */
export interface PacerOptions {
  /** Requests per second (> 0). */
  ratePerSec: number;
  /** Acquisitions allowed back to back after idling (default 1 = strict spacing). */
  burst?: number;
  /** Milliseconds clock (default `Date.now`). */
  now?: () => number;
  /** Sleeps `ms` (default: setTimeout). */
  sleep?: (ms: number) => Promise<void>;
}

/** A request pacer. */
export interface Pacer {
  /** Waits until a request may be sent, then returns (the slot is taken). */
  acquire(): Promise<void>;
  /** Holds all acquisitions until `ms` from now (extends, never shortens, a running pause). */
  pause(ms: number): void;
  /** Clock value until which acquisitions are paused (≤ now when not paused). */
  readonly pausedUntil: number;
  /** The configured rate. */
  readonly ratePerSec: number;
  /** The pacer's clock (for callers that want to measure in the same time base). */
  now(): number;
  /** The pacer's sleep. */
  sleep(ms: number): Promise<void>;
}

/** Real sleep. */
export function realSleep(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}

/** Creates a pacer (see module doc). */
export function createPacer(opts: PacerOptions): Pacer {
  if (!(opts.ratePerSec > 0) || !Number.isFinite(opts.ratePerSec)) {
    throw new RangeError("ratePerSec must be a finite number > 0");
  }
  const burst = opts.burst ?? 1;
  if (!Number.isInteger(burst) || burst < 1) throw new RangeError("burst must be an integer >= 1");
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? realSleep;
  // Integer microseconds since the first reading: no floating-point drift, and the interval is
  // rounded UP, so the configured rate is never exceeded however long the pacer runs.
  const intervalUs = Math.ceil(1e6 / opts.ratePerSec);
  const toleranceUs = (burst - 1) * intervalUs;
  let origin: number | undefined;
  const nowUs = (): number => {
    const t = now();
    origin ??= t;
    return Math.ceil((t - origin) * 1000);
  };
  const toMs = (us: number): number => (origin ?? now()) + us / 1000;
  // Theoretical arrival time of the next request (GCRA), and the end of a pause, in µs.
  let tat = -Infinity;
  let pausedUntil = -Infinity;

  const reserve = (): number => {
    const t = nowUs();
    const slot = Math.max(t, tat - toleranceUs, pausedUntil);
    tat = Math.max(tat, slot) + intervalUs;
    return slot;
  };

  return {
    async acquire() {
      for (;;) {
        const slot = reserve();
        const wait = toMs(slot) - now();
        if (wait > 0) await sleep(wait);
        // A pause that began while we waited and covers our slot: queue again behind it.
        if (pausedUntil <= slot) return;
      }
    },
    pause(ms: number) {
      if (!(ms > 0)) return;
      pausedUntil = Math.max(pausedUntil, nowUs() + Math.ceil(ms * 1000));
      // After the pause, start from strict spacing (no burst credit accumulated during the pause).
      tat = Math.max(tat, pausedUntil + toleranceUs);
    },
    get pausedUntil() {
      return pausedUntil === -Infinity ? -Infinity : toMs(pausedUntil);
    },
    ratePerSec: opts.ratePerSec,
    now,
    sleep,
  };
}
