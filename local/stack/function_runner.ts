// Runs one Edge Function the way Supabase's edge-runtime does: the function module calls
// `Deno.serve(handler)`; we capture that handler, serve it on a port the gateway chose, and
// provide `EdgeRuntime.waitUntil` for work that continues after the response.
// Usage: deno run -A function_runner.ts <path/to/index.ts> <port>
const [entry, portArg] = Deno.args;
const port = Number(portArg);

const pending = new Set<Promise<unknown>>();
(globalThis as Record<string, unknown>).EdgeRuntime = {
  waitUntil(p: Promise<unknown>) {
    const tracked = Promise.resolve(p)
      .catch((e) => console.error(JSON.stringify({ level: "error", msg: "waitUntil task failed", error: String(e) })))
      .finally(() => pending.delete(tracked));
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
// deno-lint-ignore no-explicit-any
(Deno as any).serve = realServe;
realServe({ port, hostname: "127.0.0.1", onListen: () => console.log(JSON.stringify({ listening: port })) }, handler);

for (const sig of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(sig, async () => {
    await Promise.allSettled([...pending]);
    Deno.exit(0);
  });
}
