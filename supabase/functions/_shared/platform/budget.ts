/**
 * The budget of one invocation: wall clock AND CPU.
 *
 * Hosted Edge Functions end an isolate on three clocks (`../shared/reference/README.md`):
 * - CPU in total, everything the isolate ran (module load, requests, background tasks): retired
 *   at 1 s (no new requests; it finishes its work), terminated at 2 s, mid-await if need be;
 * - wall clock from the isolate's start: 150 s (free) / 400 s (paid), retired half-way;
 * - memory 256 MB.
 *
 * So a run stops *claiming* new work when `shouldStop(margin)` says so: less than `margin` of wall
 * clock is left, or the isolate's CPU reached the stop line. What is in flight is then finished or
 * handed back, and the next invocation (a fresh isolate once this one is retired) continues.
 *
 * ```ts
 * const budget = createBudget(env.runBudgetMs, { cpu: { meter: isolateCpu, stopAtMs: 1500 } });
 * while (!budget.shouldStop(env.stopMarginMs)) { const rows = await claim(); if (!rows.length) break; ... }
 * ```
 *
 * The CPU meter takes the larger of two figures:
 * - measured: `process.cpuUsage()` (node:process) where the runtime offers it. In the Deno CLI
 *   (the local runtime: one process per function) that is exactly what the local limits count.
 *   Where a runtime reports a process-wide figure (many isolates per process), it over-counts:
 *   the run stops early and hands over more often, which costs throughput, never money;
 * - charged: a calibrated estimate per unit of work (e.g. per transfer, `bench/` calibrates it)
 *   plus the module load, for runtimes that report nothing.
 */
import process from "node:process";

/** Milliseconds clock (injected in tests; default `Date.now`). */
export type Clock = () => number;

/** CPU used by this isolate so far (ms), as the platform adds it up against its limits. */
export interface CpuMeter {
  /** CPU used so far (ms): the larger of what the runtime reports and what was charged. */
  usedMs(): number;
  /** Adds an estimate of work done (ms), for runtimes that report no CPU of their own. */
  charge(ms: number): void;
}

/** Why a budget says stop. */
export type StopReason = "wall_clock" | "cpu";

/** A wall-clock and CPU budget. Times in milliseconds of the injected clock. */
export interface Budget {
  /** Clock value when the budget was created. */
  readonly startedAt: number;
  /** Clock value when the wall-clock budget is used up. */
  readonly deadline: number;
  /** Time spent so far. */
  elapsedMs(): number;
  /** Time left (never negative). */
  remainingMs(): number;
  /** True when the wall-clock budget is used up. */
  expired(): boolean;
  /** True when less than `marginMs` of wall clock is left, or the CPU stop line is reached: stop claiming. */
  shouldStop(marginMs?: number): boolean;
  /** Why `shouldStop(marginMs)` is true (null when it is not). */
  stopReason(marginMs?: number): StopReason | null;
  /** The CPU meter (a no-op meter when the budget has no CPU part). */
  readonly cpu: CpuMeter;
  /** CPU left before the stop line (ms; Infinity without a CPU part). */
  cpuRemainingMs(): number;
  /**
   * True when something claimed but not yet started must be handed back rather than started:
   * less than `marginMs` of wall clock is left, or the CPU passed the hand-back line (closer to
   * the kill than the stop line). Between the two lines, what was claimed is still sent.
   */
  mustHandBack(marginMs?: number): boolean;
}

/** The CPU part of a budget. */
export interface CpuBudget {
  meter: CpuMeter;
  /** Stop claiming once the meter reaches this (ms). Past the retire line (1 s), well before the kill (2 s). */
  stopAtMs: number;
  /** Hand back instead of starting claimed work from here (ms; default 60 % of the way from the stop line to the kill). */
  handBackAtMs?: number;
}

/** The platform's CPU limits of an isolate (ms): retired at the soft one, terminated at the hard one. */
export const CPU_SOFT_LIMIT_MS = 1_000;
export const CPU_HARD_LIMIT_MS = 2_000;

/** Options of `createBudget`. */
export interface BudgetOptions {
  now?: Clock;
  /** Used by `shouldStop()` without an argument (default 0). */
  defaultMarginMs?: number;
  /** An absolute deadline that also applies (e.g. the isolate's own wall-clock limit). */
  notAfter?: number;
  cpu?: CpuBudget;
}

const noCpu: CpuMeter = { usedMs: () => 0, charge: () => {} };

/**
 * Creates a budget of `totalMs` from now (capped by `notAfter`), with an optional CPU part.
 */
export function createBudget(totalMs: number, opts: BudgetOptions = {}): Budget {
  if (!Number.isFinite(totalMs) || totalMs < 0) throw new RangeError("totalMs must be a finite number >= 0");
  const now = opts.now ?? Date.now;
  const defaultMargin = opts.defaultMarginMs ?? 0;
  const startedAt = now();
  const deadline = Math.min(startedAt + totalMs, opts.notAfter ?? Infinity);
  const cpu = opts.cpu;
  const handBackAt = cpu
    ? cpu.handBackAtMs ?? cpu.stopAtMs + Math.max(0, CPU_HARD_LIMIT_MS - cpu.stopAtMs) * 0.6
    : Infinity;
  const stopReason = (marginMs = defaultMargin): StopReason | null => {
    if (deadline - now() <= marginMs) return "wall_clock";
    if (cpu && cpu.meter.usedMs() >= cpu.stopAtMs) return "cpu";
    return null;
  };
  return {
    startedAt,
    deadline,
    elapsedMs: () => Math.max(0, now() - startedAt),
    remainingMs: () => Math.max(0, deadline - now()),
    expired: () => now() >= deadline,
    shouldStop: (marginMs) => stopReason(marginMs) !== null,
    stopReason,
    cpu: cpu?.meter ?? noCpu,
    cpuRemainingMs: () => (cpu ? Math.max(0, cpu.stopAtMs - cpu.meter.usedMs()) : Infinity),
    mustHandBack: (marginMs = defaultMargin) =>
      deadline - now() <= marginMs || (cpu !== undefined && cpu.meter.usedMs() >= handBackAt),
  };
}

/** CPU of this process since it started (ms), or null where the runtime does not report it. */
export function processCpuMs(): number | null {
  try {
    const u = process.cpuUsage();
    const ms = (u.user + u.system) / 1000;
    return Number.isFinite(ms) && ms > 0 ? ms : null;
  } catch {
    return null;
  }
}

/**
 * A CPU meter: what the runtime measures (`measured`, default `processCpuMs`, read at most once per
 * `cacheMs` of `now`: asking the runtime costs a call into it, and callers ask often), or, where it
 * reports nothing, what the work charged: `startMs` up front (the module load) plus `charge()`.
 * A measurement wins over the charges even when they are higher: they are estimates with a margin,
 * and a meter ahead of the runtime's own count would stop work in an isolate the platform still
 * keeps, so every later request to that warm isolate would stop at once and make no progress.
 */
export function createCpuMeter(
  opts: { measured?: () => number | null; startMs?: number; cacheMs?: number; now?: Clock } = {},
): CpuMeter {
  const read = opts.measured ?? processCpuMs;
  const cacheMs = opts.cacheMs ?? 10;
  const now = opts.now ?? Date.now;
  let charged = opts.startMs ?? 0;
  let lastAt = -Infinity;
  let last: number | null = null;
  const measured = (): number | null => {
    const t = now();
    if (t - lastAt >= cacheMs) {
      last = read();
      lastAt = t;
    }
    return last;
  };
  return {
    usedMs: () => measured() ?? charged,
    charge: (ms) => {
      if (Number.isFinite(ms) && ms > 0) charged += ms;
    },
  };
}

/** Module load charged to the isolate's meter where the runtime reports no CPU (ms, calibrated by the bench). */
export const MODULE_LOAD_CPU_MS = 250;

/** The meter of this isolate (one per isolate: the platform's limits are per isolate, not per request). */
export const isolateCpu: CpuMeter = createCpuMeter({ startMs: MODULE_LOAD_CPU_MS });

/** When this isolate started (ms since the epoch): the platform's wall-clock limit runs from here. */
export const isolateStartedAt: number = Math.round(performance.timeOrigin);

/**
 * The budget of one job invocation (`BudgetEnv`, env.ts): its own wall-clock budget, capped by the
 * isolate's wall-clock limit (counted from the isolate's start, not the request's), and the
 * isolate's CPU stop and hand-back lines.
 */
export function jobBudget(
  env: { runBudgetMs: number; wallClockLimitMs: number; cpuStopMs: number; cpuHandBackMs?: number | null },
): Budget {
  return createBudget(env.runBudgetMs, {
    notAfter: isolateStartedAt + env.wallClockLimitMs,
    cpu: { meter: isolateCpu, stopAtMs: env.cpuStopMs, handBackAtMs: env.cpuHandBackMs ?? undefined },
  });
}
