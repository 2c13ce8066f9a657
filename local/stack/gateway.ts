// The API gateway at :54321, routed the way Supabase's is: /rest/v1/* to PostgREST,
// /auth/v1/* to Auth (locally the Auth stand-in, local/auth/), /functions/v1/<name>/* to the Edge
// Functions server. As on a hosted project, /rest/v1 and /auth/v1 need an apikey, and it must be
// one of the project's keys (anon or service_role) exactly: a token signed with the JWT secret is
// no API key. The user's token (Authorization) is PostgREST's (or Auth's) to check; without one,
// the apikey is sent as the token. See docs/access.md, "Tokens".
import type { FunctionsServer } from "./functions.ts";

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

const CORS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, HEAD, PUT, PATCH, POST, DELETE, OPTIONS",
  "access-control-allow-headers":
    "authorization, apikey, content-type, x-client-info, x-supabase-api-version, x-upsert, accept-profile, content-profile, prefer",
  "access-control-max-age": "3600",
};

/** An answer a browser on another origin may read: supabase-js reads the API version of an Auth
 * error (the JSON's shape depends on it) and PostgREST's Content-Range (counts of paginated lists). */
function withCors(res: Response): Response {
  const headers = new Headers(res.headers);
  headers.set("access-control-allow-origin", "*");
  headers.set("access-control-expose-headers", "Content-Range, X-Total-Count, Link, X-Supabase-Api-Version");
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}

export function startGateway(opts: {
  port: number;
  postgrestPort: number;
  functions: FunctionsServer;
  /** The Auth stand-in's port (/auth/v1); when absent, /auth/v1 is not routed. */
  authPort?: number;
  /** The API keys /rest/v1 and /auth/v1 accept; when absent, any apikey is passed on (in-process tests). */
  apiKeys?: string[];
}): Deno.HttpServer {
  /** null when the request's apikey is one the gateway accepts, else the gateway's refusal. */
  const checkApiKey = (req: Request, url: URL): Response | null => {
    const apikey = req.headers.get("apikey") ?? url.searchParams.get("apikey");
    if (!apikey) return json(401, { message: "No API key found in request" });
    if (opts.apiKeys && !opts.apiKeys.includes(apikey)) {
      return json(401, {
        message: "Invalid API key",
        hint: "Double check your Supabase `anon` or `service_role` API key.",
      });
    }
    return null;
  };
  const forward = async (req: Request, url: URL, target: string, what: string): Promise<Response> => {
    const apikey = req.headers.get("apikey") ?? url.searchParams.get("apikey") ?? "";
    const headers = new Headers(req.headers);
    if (!headers.has("authorization")) headers.set("authorization", `Bearer ${apikey}`);
    url.searchParams.delete("apikey");
    try {
      return await fetch(`${target}${url.search}`, { method: req.method, headers, body: req.body, redirect: "manual" });
    } catch (e) {
      return json(502, { message: `${what} unavailable: ${e}` });
    }
  };
  return Deno.serve({ port: opts.port, hostname: "127.0.0.1", onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    const rest = url.pathname.match(/^\/rest\/v1(\/.*)?$/);
    if (rest) {
      // Browsers (the console, app/) call the API cross-origin: CORS as Supabase's gateway answers it.
      if (req.method === "OPTIONS") return new Response(null, { status: 204, headers: CORS });
      const refused = checkApiKey(req, url);
      return withCors(
        refused ?? await forward(req, url, `http://127.0.0.1:${opts.postgrestPort}${rest[1] ?? "/"}`, "PostgREST"),
      );
    }
    const auth = url.pathname.match(/^\/auth\/v1(\/.*)?$/);
    if (auth && opts.authPort) {
      // Browsers (the console) call Auth cross-origin: CORS as Supabase's gateway answers it.
      if (req.method === "OPTIONS") return new Response(null, { status: 204, headers: CORS });
      const refused = checkApiKey(req, url);
      return withCors(
        refused ?? await forward(req, url, `http://127.0.0.1:${opts.authPort}${auth[1] ?? "/"}`, "Auth"),
      );
    }
    // Local only: the Auth stand-in's clock (tests move it instead of sleeping; local/auth/server.ts).
    if (url.pathname === "/_local/auth/clock" && opts.authPort) {
      return await forward(req, url, `http://127.0.0.1:${opts.authPort}/_local/clock`, "Auth");
    }
    const fn = url.pathname.match(/^\/functions\/v1\/([^/]+)(\/.*)?$/);
    if (fn) return await opts.functions.handle(req, fn[1], fn[2] ?? "");
    // Local only: pid per function of its active worker (tests kill it), and every worker's record
    // (retirements, shutdowns and their reasons; local/stack/functions.ts).
    if (url.pathname === "/_local/functions") return json(200, opts.functions.pids());
    if (url.pathname === "/_local/functions/workers") return json(200, opts.functions.workers());
    // Local only: function env for tests, on top of the stack's (`{"vars": {"NAME": "value" | null}}`;
    // null removes); running workers are stopped gracefully and the next request starts them with it.
    if (url.pathname === "/_local/functions/env" && req.method === "POST") {
      const body = await req.json().catch(() => null) as { vars?: Record<string, unknown> } | null;
      const vars = body?.vars;
      if (!vars || typeof vars !== "object" || Object.values(vars).some((v) => v !== null && typeof v !== "string")) {
        return json(400, { message: 'expected {"vars": {"NAME": "value" | null}}' });
      }
      await opts.functions.setEnv(
        Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, v === null ? undefined : v as string])),
      );
      return json(200, { env: opts.functions.envOverrides() });
    }
    return json(404, { message: "no Route matched with those values" });
  });
}
