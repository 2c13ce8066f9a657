/**
 * The one way to build an Edge Function: each `index.ts` is `Deno.serve(serveFunction({...}))`, and
 * every request goes through the same steps, in this order:
 *
 * 1. **auth** — `job_secret`: the doorbell secret (`x-job-secret` or `Authorization: Bearer`,
 *    constant time; job_auth.ts), else `401 {"error":"unauthorized","reason":…}` and nothing runs;
 *    `gateway`: the platform verified the caller's JWT before the request got here
 *    (`verify_jwt = true`); `handler`: the handler authenticates the request itself (stripe-webhook:
 *    the Stripe signature is over the raw body and checked with the configured secrets);
 * 2. **method** — `405` with `Allow` unless one of `methods` (default `POST`);
 * 3. **config** — the function's variables (env.ts), read once per invocation and parsed again only
 *    when a value changed; invalid → `503 {"error":"unavailable","reason":"misconfigured"}`, the log
 *    naming the variables, never their values. Then the per-isolate `resources` (database pool,
 *    Stripe client and pacer), built once per configuration;
 * 4. **handler** — with the validated JSON `body` when the function takes one (400/413/415 else);
 * 5. **error mapping** (`handle`, http.ts) — an `HttpError` is its JSON response; anything else is
 *    logged (redacted) and answered `500 {"error":"internal_error","reason":"unexpected_error"}`.
 *
 * `cors` (functions a browser calls: the console, app/): a preflight `OPTIONS` is answered 204
 * before any step, and every answer, refusals included, carries `access-control-allow-origin: *`
 * and exposes the named headers. The caller's JWT is still what decides (step 1 and the database).
 *
 * Misconfiguration is 503, not 500: 500 is kept for what only a code change fixes (a bug), 503 says
 * that this deployment cannot serve until an operator sets its secrets, after which the same request
 * succeeds — the doorbell rings again a minute later, Stripe redelivers a webhook for days. It is
 * also what the platform itself answers for a function that cannot start (503 `BOOT_ERROR`), and it
 * lets monitoring tell a missing secret from a bug. A job function whose own secret is missing or
 * too short answers 503 at the auth step: nobody can be let in, and nothing else is told.
 *
 * The log lines carry `fn` and blank the values of the function's secret variables.
 */
import type { z } from "zod";
import { EnvError, type EnvGetter, type EnvGroup, envValue, readEnv, secretValues } from "./env.ts";
import { handle, HttpError, parseJsonBody, requireMethod } from "./http.ts";
import { checkJobSecret } from "./job_auth.ts";
import { createLogger, type Logger, redactString } from "./log.ts";

/** What one request's handler gets. */
export interface FunctionContext<C, R, B> {
  /** The function's name (logs, `application_name`, Stripe `appInfo`). */
  name: string;
  /** The parsed configuration (env.ts group). */
  config: C;
  /** Built from the configuration once per isolate (and configuration). */
  resources: R;
  /** The validated JSON body (undefined when the function takes none). */
  body: B;
  log: Logger;
}

/** A function (see module doc). */
export interface FunctionSpec<C, R, B> {
  name: string;
  auth: "job_secret" | "gateway" | "handler";
  /** Accepted methods (default `["POST"]`); `"any"` accepts every method. */
  methods?: readonly string[] | "any";
  /** The configuration it reads (env.ts). */
  env: EnvGroup<C>;
  /** Per-isolate resources built from the configuration (database pool, Stripe client, pacer). */
  resources?: (config: C, fn: { name: string; log: Logger }) => R;
  /** JSON body schema; an empty body counts as `{}`. */
  body?: z.ZodType<B>;
  handler: (req: Request, ctx: FunctionContext<C, R, B>) => Response | Promise<Response>;
  /** Browsers may call it (see module doc); `exposeHeaders`: response headers their script may read. */
  cors?: { exposeHeaders?: readonly string[] };
  /** Logger (tests); default JSON lines with `fn` and the secrets blanked. */
  log?: Logger;
  /** Environment getter (tests); default `Deno.env.get`. */
  getEnv?: EnvGetter;
}

/** One configuration seen by this isolate, and what was made from it. */
interface Configured<C, R> {
  key: string;
  log: Logger;
  /** The job secret, or the problem with it (auth `job_secret`). */
  secret: { value: string } | { problem: string } | null;
  config: C | null;
  problems: string[];
  resources?: R;
}

const WWW_AUTHENTICATE = { "www-authenticate": 'Bearer realm="payout-jobs"' };

/** What supabase-js and fetch send from a browser (Supabase's documented CORS headers for functions). */
const CORS_ALLOW_HEADERS = "authorization, x-client-info, apikey, content-type";

/** The CORS answer of a browser-callable function: the preflight's, or the headers added to a response. */
export function withCors(cors: { exposeHeaders?: readonly string[] }, res: Response | null): Response {
  if (res === null) {
    return new Response(null, {
      status: 204,
      headers: {
        "access-control-allow-origin": "*",
        "access-control-allow-methods": "POST, OPTIONS",
        "access-control-allow-headers": CORS_ALLOW_HEADERS,
        "access-control-max-age": "3600",
      },
    });
  }
  const headers = new Headers(res.headers);
  headers.set("access-control-allow-origin", "*");
  if (cors.exposeHeaders?.length) headers.set("access-control-expose-headers", cors.exposeHeaders.join(", "));
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}

/** The `Deno.serve` handler of a function (see module doc). */
export function serveFunction<C, R = undefined, B = undefined>(
  spec: FunctionSpec<C, R, B>,
): (req: Request) => Promise<Response> {
  const names = spec.auth === "job_secret" ? [...new Set(["PAYOUT_JOB_SECRET", ...spec.env.names])] : spec.env.names;
  const methods = spec.methods ?? ["POST"];
  const fallbackLog = spec.log ?? createLogger({ fn: spec.name });
  let current: Configured<C, R> | undefined;

  /** The configuration of this invocation: read once, parsed only when a value changed. */
  const configure = (): Configured<C, R> => {
    const env = readEnv(names, spec.getEnv);
    const key = names.map((n) => env[n] ?? "\u0000").join("\u0001");
    if (current?.key === key) return current;
    let config: C | null = null;
    let problems: string[] = [];
    try {
      config = spec.env.parse(env);
    } catch (e) {
      if (!(e instanceof EnvError)) throw e;
      problems = e.problems;
    }
    return current = {
      key,
      // literal values to blank: the secrets log.ts's patterns would not catch (the job secret)
      log: spec.log ??
        createLogger({ fn: spec.name }, { redactValues: secretValues(env).filter((v) => redactString(v) === v) }),
      secret: spec.auth === "job_secret" ? envValue("PAYOUT_JOB_SECRET", env) : null,
      config,
      problems,
    };
  };

  const misconfigured = (log: Logger, problems: string[]) => {
    log.error("misconfigured", { problems });
    return new HttpError(503, "misconfigured");
  };

  const serve = async (req: Request, c: Configured<C, R>): Promise<Response> => {
    const { log } = c;
    if (c.secret) {
      if ("problem" in c.secret) throw misconfigured(log, [c.secret.problem]);
      const auth = await checkJobSecret(req, c.secret.value);
      if (!auth.ok) {
        log.warn("unauthorized call refused", { reason: auth.reason, method: req.method });
        await req.body?.cancel().catch(() => {});
        throw new HttpError(401, auth.reason, { headers: WWW_AUTHENTICATE });
      }
    }
    if (methods !== "any") requireMethod(req, ...methods);
    if (c.config === null) throw misconfigured(log, c.problems);
    c.resources ??= spec.resources?.(c.config, { name: spec.name, log }) as R;
    const body = spec.body ? await parseJsonBody(req, spec.body, { emptyAsObject: true }) : undefined as B;
    return await spec.handler(req, { name: spec.name, config: c.config, resources: c.resources, body, log });
  };

  const cors = spec.cors;
  if (cors) {
    return async (req) => req.method === "OPTIONS" ? withCors(cors, null) : withCors(cors, await serveAll(req));
  }
  return serveAll;

  async function serveAll(req: Request): Promise<Response> {
    let c: Configured<C, R>;
    try {
      c = configure();
    } catch (e) {
      return await handle(() => Promise.reject(e), { log: fallbackLog })(req);
    }
    return await handle((r) => serve(r, c), { log: c.log })(req);
  }
}
