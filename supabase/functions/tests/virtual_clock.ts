/**
 * Virtual time for tests of code that takes an injected clock and sleep (`platform/pacer.ts`, `platform/budget.ts`,
 * `callStripe`) or timers (`payout_run/paid_recorder.ts`): `sleep(ms)` resolves (and
 * `setTimeout(fn, ms)` calls `fn`) when `run()`/`advance()` moves the virtual clock past its
 * wake-up time, in wake-up order, without real timers (so nothing leaks and nothing is slow).
 *
 * ```ts
 * const vt = new VirtualClock();
 * const pacer = createPacer({ ratePerSec: 20, now: vt.now, sleep: vt.sleep });
 * const done = Promise.all([...Array(100)].map(() => pacer.acquire()));
 * await vt.run(); await done;
 * ```
 */
export class VirtualClock {
  #now: number;
  #seq = 0;
  #timers: Array<{ at: number; seq: number; resolve: () => void }> = [];

  /** Starts at `start` ms (default 0). */
  constructor(start = 0) {
    this.#now = start;
  }

  /** Current virtual time in ms. */
  readonly now = (): number => this.#now;

  /** Resolves after `ms` of virtual time. */
  readonly sleep = (ms: number): Promise<void> => {
    if (!(ms > 0)) return Promise.resolve();
    return new Promise((resolve) => {
      this.#timers.push({ at: this.#now + ms, seq: this.#seq++, resolve });
    });
  };

  /** Calls `fn` after `ms` of virtual time (a sleeper like any other); cancel with `clearTimeout`. */
  readonly setTimeout = (fn: () => void, ms: number): number => {
    const seq = this.#seq++;
    this.#timers.push({ at: this.#now + Math.max(0, ms), seq, resolve: fn });
    return seq;
  };

  /** Cancels a `setTimeout` that has not fired yet. */
  readonly clearTimeout = (handle: unknown): void => {
    const i = this.#timers.findIndex((t) => t.seq === handle);
    if (i >= 0) this.#timers.splice(i, 1);
  };

  /** Number of sleepers not yet woken. */
  get pending(): number {
    return this.#timers.length;
  }

  async #flush(): Promise<void> {
    // Let resolved sleepers run until they block again (a few macrotask-free turns).
    for (let i = 0; i < 20; i++) await Promise.resolve();
  }

  /** Wakes the earliest sleeper (moving the clock to its time); false when none is left. */
  async step(): Promise<boolean> {
    await this.#flush();
    if (this.#timers.length === 0) return false;
    this.#timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const t = this.#timers.shift()!;
    this.#now = Math.max(this.#now, t.at);
    t.resolve();
    await this.#flush();
    return true;
  }

  /** Wakes sleepers until none is left (or `maxSteps`, default 100 000, then throws). */
  async run(maxSteps = 100_000): Promise<void> {
    for (let i = 0; i < maxSteps; i++) if (!(await this.step())) return;
    throw new Error("VirtualClock.run: too many steps");
  }

  /** Moves the clock forward by `ms`, waking every sleeper due by then. */
  async advance(ms: number): Promise<void> {
    const until = this.#now + ms;
    for (;;) {
      await this.#flush();
      this.#timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const t = this.#timers[0];
      if (!t || t.at > until) break;
      await this.step();
    }
    this.#now = Math.max(this.#now, until);
    await this.#flush();
  }
}
