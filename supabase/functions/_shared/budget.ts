/**
 * Time budget of one invocation. Supabase stops a function at ~150 s wall clock (background work
 * included), so a run creates a budget when the request arrives and its batch loop stops *claiming*
 * new work when `shouldStop(margin)` says the remainder is too small to finish a batch (a claimed
 * batch must be finished or its leases expire and a later run re-claims it with the same keys).
 *
 * ```ts
 * const budget = createBudget(env.runBudgetMs);
 * while (!budget.shouldStop(env.stopMarginMs)) { const rows = await claim(); if (!rows.length) break; ... }
 * ```
 */

/** Milliseconds clock (injected in tests; default `Date.now`). */
export type Clock = () => number;

/** A wall-clock budget. All values in milliseconds of the injected clock. */
export interface Budget {
  /** Clock value when the budget was created. */
  readonly startedAt: number;
  /** Clock value when the budget is used up. */
  readonly deadline: number;
  /** Time spent so far. */
  elapsedMs(): number;
  /** Time left (never negative). */
  remainingMs(): number;
  /** True when the budget is used up. */
  expired(): boolean;
  /** True when less than `marginMs` is left: stop claiming new work. */
  shouldStop(marginMs?: number): boolean;
}

/**
 * Creates a budget of `totalMs` from now. `defaultMarginMs` is used by `shouldStop()` without an
 * argument (default 0).
 */
export function createBudget(totalMs: number, opts: { now?: Clock; defaultMarginMs?: number } = {}): Budget {
  if (!Number.isFinite(totalMs) || totalMs < 0) throw new RangeError("totalMs must be a finite number >= 0");
  const now = opts.now ?? Date.now;
  const defaultMargin = opts.defaultMarginMs ?? 0;
  const startedAt = now();
  const deadline = startedAt + totalMs;
  return {
    startedAt,
    deadline,
    elapsedMs: () => Math.max(0, now() - startedAt),
    remainingMs: () => Math.max(0, deadline - now()),
    expired: () => now() >= deadline,
    shouldStop: (marginMs = defaultMargin) => deadline - now() <= marginMs,
  };
}
