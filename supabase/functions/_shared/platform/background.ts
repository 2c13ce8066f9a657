/**
 * "Answer 202 at once, work in the background": the doorbell (pg_net) only needs to know the run
 * was accepted; the run itself continues after the response under `EdgeRuntime.waitUntil`
 * (provided by Supabase's edge-runtime and by `local/stack/function_runner.ts`). Without
 * `EdgeRuntime` (unit tests) the work runs as a tracked detached promise; `settleBackground()`
 * awaits it so tests stay hermetic.
 *
 * The work must not throw: a throw is caught and logged (`background work failed`), never an
 * unhandled rejection that kills the isolate.
 */
import { json } from "./http.ts";
import type { Logger } from "./log.ts";

/** The `EdgeRuntime` global of Supabase's edge-runtime (only the part used here). */
interface EdgeRuntimeLike {
  waitUntil(p: Promise<unknown>): void;
}

const detached = new Set<Promise<void>>();

/** The runtime's `waitUntil`, or undefined when not running under an edge runtime. */
export function edgeWaitUntil(): ((p: Promise<unknown>) => void) | undefined {
  const rt = (globalThis as { EdgeRuntime?: EdgeRuntimeLike }).EdgeRuntime;
  return rt && typeof rt.waitUntil === "function" ? (p) => rt.waitUntil(p) : undefined;
}

/** Options of `respondAccepted`. */
export interface AcceptedOptions {
  /** Extra fields of the 202 body (e.g. `{ run_id }`). */
  body?: Record<string, unknown>;
  /** Logger for a failure of the work. */
  log?: Logger;
  /** Override of the scheduler (default: `EdgeRuntime.waitUntil`, else a tracked detached promise). */
  waitUntil?: (p: Promise<unknown>) => void;
}

/**
 * Starts `work` in the background and returns `202 {"accepted": true, ...body}` immediately.
 * The work is started on a microtask (after this function returns), so the response is never
 * delayed by synchronous work inside `work`.
 */
export function respondAccepted(work: () => Promise<void>, opts: AcceptedOptions = {}): Response {
  const p: Promise<void> = Promise.resolve()
    .then(work)
    .catch((e) => {
      if (opts.log) opts.log.error("background work failed", { error: e });
      else console.error(JSON.stringify({ level: "error", msg: "background work failed" }));
    });
  const waitUntil = opts.waitUntil ?? edgeWaitUntil();
  if (waitUntil) {
    waitUntil(p);
  } else {
    detached.add(p);
    p.finally(() => detached.delete(p));
  }
  return json(202, { accepted: true, ...opts.body });
}

/** Number of detached background tasks still running (only those started without `EdgeRuntime`). */
export function pendingBackground(): number {
  return detached.size;
}

/** Waits until every detached background task has settled (tests). */
export async function settleBackground(): Promise<void> {
  while (detached.size > 0) await Promise.allSettled([...detached]);
}

/**
 * The isolate's memory after a piece of work (MB), for the 256 MB limit of Edge Functions: a value
 * that keeps growing from one invocation to the next in a warm isolate is a leak. Empty where the
 * runtime does not report it.
 */
export function memoryMb(): Record<string, number> {
  try {
    const m = Deno.memoryUsage();
    const mb = (n: number) => Math.round(n / 1e5) / 10;
    return { rss: mb(m.rss), heap_used: mb(m.heapUsed), heap_total: mb(m.heapTotal), external: mb(m.external) };
  } catch {
    return {};
  }
}
