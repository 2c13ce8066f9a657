// Runs one Edge Function the way Supabase's edge-runtime does: the function module calls
// `Deno.serve(handler)`; we capture that handler, serve it on a port the gateway chose, and
// provide `EdgeRuntime.waitUntil` for work that continues after the response.
// Usage: deno run -A function_runner.ts <path/to/index.ts> <port>
//
// The functions server (functions.ts) supervises this process (CPU, memory, wall clock) and sends
// it commands as JSON lines on stdin:
//   {"cmd":"retire"}                          the worker gets no new requests: exit as soon as it
//                                             is idle (no request in flight, no waitUntil task
//                                             pending), after a `beforeunload` event with reason
//                                             `early_drop` (as edge-runtime's early drop)
//   {"cmd":"beforeunload","reason":"wall_clock"|"cpu"|"memory"}
//                                             dispatches `beforeunload` (a CustomEvent whose
//                                             `detail.reason` is the reason, as edge-runtime's)
// SIGTERM/SIGINT: finish the waitUntil tasks, then exit (the server's stop()).
import { relay } from "./relay.ts";

const [entry, portArg] = Deno.args;
const port = Number(portArg);

const pending = new Set<Promise<unknown>>();
let inFlight = 0;
let retired = false;
let exiting = false;

function exitIfIdle() {
  if (!retired || exiting || inFlight > 0 || pending.size > 0) return;
  exiting = true;
  // Let the last response bytes leave before the process goes.
  setTimeout(() => {
    dispatchBeforeUnload("early_drop");
    Deno.exit(0);
  }, 0);
}

function dispatchBeforeUnload(reason: string) {
  try {
    globalThis.dispatchEvent(new CustomEvent("beforeunload", { cancelable: true, detail: { reason } }));
  } catch (e) {
    console.error(JSON.stringify({ level: "error", msg: "beforeunload listener failed", error: String(e) }));
  }
}

(globalThis as Record<string, unknown>).EdgeRuntime = {
  waitUntil(p: Promise<unknown>) {
    const tracked: Promise<unknown> = Promise.resolve(p)
      .catch((e) => console.error(JSON.stringify({ level: "error", msg: "waitUntil task failed", error: String(e) })))
      .finally(() => {
        pending.delete(tracked);
        exitIfIdle();
      });
    pending.add(tracked);
  },
};

type Handler = (req: Request, info: Deno.ServeHandlerInfo) => Response | Promise<Response>;
let handler: Handler | undefined;
const realServe = Deno.serve;
// deno-lint-ignore no-explicit-any
(Deno as any).serve = (a: unknown, b?: unknown) => {
  handler =
    (typeof a === "function" ? a : typeof b === "function" ? b : (a as { handler: Handler }).handler) as Handler;
  return { finished: new Promise(() => {}), shutdown: async () => {}, ref() {}, unref() {}, addr: { port } };
};

await import(new URL(entry, `file://${Deno.cwd()}/`).href);
if (!handler) {
  console.error(`${entry} did not call Deno.serve(handler)`);
  Deno.exit(1);
}
const fnHandler = handler;

/** A request is in flight from the handler's call until its response body has been written. */
async function tracked(req: Request, info: Deno.ServeHandlerInfo): Promise<Response> {
  inFlight++;
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    inFlight--;
    exitIfIdle();
  };
  try {
    return relay(await fnHandler(req, info), finish);
  } catch (e) {
    finish();
    throw e;
  }
}

// deno-lint-ignore no-explicit-any
(Deno as any).serve = realServe;
realServe({ port, hostname: "127.0.0.1", onListen: () => console.log(JSON.stringify({ listening: port })) }, tracked);

for (const sig of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(sig, async () => {
    await Promise.allSettled([...pending]);
    Deno.exit(0);
  });
}

// Commands from the functions server (JSON lines on stdin). EOF: no more commands.
(async () => {
  let buf = "";
  try {
    for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        let msg: { cmd?: string; reason?: string };
        try {
          msg = JSON.parse(line);
        } catch {
          continue;
        }
        if (msg.cmd === "retire") {
          retired = true;
          exitIfIdle();
        } else if (msg.cmd === "beforeunload") {
          dispatchBeforeUnload(msg.reason ?? "wall_clock");
        }
      }
    }
  } catch { /* stdin closed */ }
})();
