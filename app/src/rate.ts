// Transfers per second of a payout run, from its tranches' completion times (succeeded, failed or
// unknown), in buckets small enough to draw: one second each, or wider for a long run.
export interface RateBucket {
  /** Seconds since the first completion. */
  start: number;
  /** Tranches completed in the bucket. */
  count: number;
  /** count / bucket width: transfers per second. */
  perSecond: number;
}

export interface Rate {
  /** Bucket width in whole seconds. */
  width: number;
  buckets: RateBucket[];
  /** The highest per-second rate of a bucket. */
  peak: number;
  total: number;
}

/** Buckets completion times (ISO strings; nulls ignored) into at most `maxBuckets` bars. */
export function transfersPerSecond(times: (string | null)[], maxBuckets = 120): Rate {
  const ms = times.filter((t): t is string => t !== null).map((t) => Date.parse(t)).sort((a, b) => a - b);
  if (ms.length === 0) return { width: 1, buckets: [], peak: 0, total: 0 };
  const first = Math.floor(ms[0] / 1000);
  const span = Math.floor(ms[ms.length - 1] / 1000) - first + 1; // whole seconds covered
  const width = Math.max(1, Math.ceil(span / maxBuckets));
  const counts = new Array<number>(Math.ceil(span / width)).fill(0);
  for (const t of ms) counts[Math.floor((Math.floor(t / 1000) - first) / width)]++;
  const buckets = counts.map((count, i) => ({ start: i * width, count, perSecond: count / width }));
  return { width, buckets, peak: Math.max(...buckets.map((b) => b.perSecond)), total: ms.length };
}
