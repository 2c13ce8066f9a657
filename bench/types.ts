import type { RunningStack } from "../local/stack/stack.ts";

export interface BenchCheck {
  name: string;
  value: number | string;
  target: string;
  ok: boolean;
}

export interface BenchResult {
  metrics: Record<string, number | string>;
  checks: BenchCheck[];
}

export interface BenchEntry {
  name: string;
  description: string;
  /** Runs only when `npm run bench` gets `--<optIn>` (heavy entries, never in CI). */
  optIn?: string;
  run(ctx: { env: Record<string, string>; stack: RunningStack }): Promise<BenchResult>;
}

/** Median of repeated timings, in ms. */
export async function medianMs(times: number, fn: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}
