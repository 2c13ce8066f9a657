/** Small shared helpers: ids, the stand-in clock, abortable sleep. */

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** Stripe-looking id: `tr_` + 24 base62 chars. */
export function newId(prefix: string, len = 24): string {
  const bytes = crypto.getRandomValues(new Uint8Array(len));
  let s = "";
  for (const b of bytes) s += ALPHABET[b % ALPHABET.length];
  return `${prefix}_${s}`;
}

/** Stand-in clock in unix seconds: wall clock plus an offset that tests can advance. */
export class Clock {
  offsetSeconds = 0;
  now(): number {
    return Math.floor(Date.now() / 1000) + this.offsetSeconds;
  }
  advance(seconds: number): number {
    this.offsetSeconds += seconds;
    return this.now();
  }
  set(unix: number): number {
    this.offsetSeconds = unix - Math.floor(Date.now() / 1000);
    return this.now();
  }
}

/** setTimeout-based sleep that resolves early (without leaking the timer) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
