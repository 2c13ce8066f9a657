/**
 * The stand-in's memory across restarts (`--state-file`; `npm start` uses one per checkout): the
 * books and the completed idempotency keys go to a JSON file after every request that may have
 * changed them (writes coalesced, one at a time, replaced atomically) and on close, and are read
 * back at start. So the transfers a demo or a dev session made are still there after
 * `npm run stop` + `npm start`, as they would be at Stripe. Not kept: faults, the rate limit, the
 * request log, webhook events and deliveries, the clock offset.
 */
import type { IdempotencyEntry } from "./idempotency.ts";
import type { LedgerState } from "./ledger.ts";
import type { StandInState } from "./state.ts";

interface SavedState {
  version: 1;
  saved_at: number;
  ledger: LedgerState;
  idempotency: IdempotencyEntry[];
}

/** Loads a saved state into `state`; false when the file does not exist. */
export async function loadState(state: StandInState, path: string): Promise<boolean> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
  const saved = JSON.parse(text) as SavedState;
  if (saved.version !== 1) throw new Error(`${path}: unknown stand-in state version ${saved.version}`);
  state.ledger.importState(saved.ledger);
  state.idempotency.importState(saved.idempotency);
  return true;
}

/** Writes `state` to `path` when asked (`schedule`), at most one write at a time; `flush` waits for the last. */
export function createSaver(state: StandInState, path: string) {
  let dirty = false;
  let writing: Promise<void> | null = null;
  const write = async () => {
    while (dirty) {
      dirty = false;
      const saved: SavedState = {
        version: 1,
        saved_at: state.now(),
        ledger: state.ledger.exportState(),
        idempotency: state.idempotency.exportState(),
      };
      const tmp = `${path}.tmp`;
      await Deno.writeTextFile(tmp, JSON.stringify(saved));
      await Deno.rename(tmp, path);
    }
  };
  const start = () => {
    writing ??= write().catch((e) => console.error(`stand-in: saving ${path} failed: ${e}`)).finally(() => {
      writing = null;
      if (dirty) start();
    });
  };
  return {
    schedule(): void {
      dirty = true;
      start();
    },
    async flush(): Promise<void> {
      while (writing) await writing;
    },
  };
}
