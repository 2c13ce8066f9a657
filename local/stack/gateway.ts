// The API gateway at :54321, routed the way Supabase's is: /rest/v1/* to PostgREST,
// /functions/v1/<name>/* to the Edge Functions server. Like Kong, /rest/v1 needs an apikey.
import type { FunctionsServer } from "./functions.ts";

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

export function startGateway(opts: {
  port: number;
  postgrestPort: number;
  functions: FunctionsServer;
}): Deno.HttpServer {
  return Deno.serve({ port: opts.port, hostname: "127.0.0.1", onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    const rest = url.pathname.match(/^\/rest\/v1(\/.*)?$/);
    if (rest) {
      const apikey = req.headers.get("apikey") ?? url.searchParams.get("apikey");
      if (!apikey) return json(401, { message: "No API key found in request" });
      const headers = new Headers(req.headers);
      if (!headers.has("authorization")) headers.set("authorization", `Bearer ${apikey}`);
      url.searchParams.delete("apikey");
      try {
        return await fetch(`http://127.0.0.1:${opts.postgrestPort}${rest[1] ?? "/"}${url.search}`, {
          method: req.method,
          headers,
          body: req.body,
          redirect: "manual",
        });
      } catch (e) {
        return json(502, { message: `PostgREST unavailable: ${e}` });
      }
    }
    const fn = url.pathname.match(/^\/functions\/v1\/([^/]+)(\/.*)?$/);
    if (fn) return await opts.functions.handle(req, fn[1], fn[2] ?? "");
    // Local only: pid per function of its active worker (tests kill it), and every worker's record
    // (retirements, shutdowns and their reasons; local/stack/functions.ts).
    if (url.pathname === "/_local/functions") return json(200, opts.functions.pids());
    if (url.pathname === "/_local/functions/workers") return json(200, opts.functions.workers());
    return json(404, { message: "no Route matched with those values" });
  });
}
