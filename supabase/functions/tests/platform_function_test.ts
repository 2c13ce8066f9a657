/**
 * The function builder (platform/function.ts): auth → method → config → handler → error mapping,
 * the same for every function; 503 when misconfigured; the configuration read once per invocation
 * and parsed (resources built) again only when it changed.
 */
import assert from "node:assert/strict";
import { z } from "zod";
import { budgetEnv, envGroups, stripeSyncDbEnv } from "../_shared/platform/env.ts";
import { type FunctionSpec, serveFunction } from "../_shared/platform/function.ts";
import { HttpError, json } from "../_shared/platform/http.ts";
import { createLogger } from "../_shared/platform/log.ts";

const SECRET = "s".repeat(40);
const DB_URL = "postgresql://payout_worker:hunter2hunter2@127.0.0.1:6543/postgres";
const testEnv = envGroups({ db: stripeSyncDbEnv, budget: budgetEnv });
type TestConfig = ReturnType<typeof testEnv.parse>;

function fixture(
  over: Partial<FunctionSpec<TestConfig, { built: number }, { n?: number }>> = {},
  vars: Record<string, string> = { PAYOUT_JOB_SECRET: SECRET, PAYOUT_JOBS_DB_URL: DB_URL },
) {
  const lines: string[] = [];
  const reads: string[] = [];
  let built = 0;
  const serve = serveFunction<TestConfig, { built: number }, { n?: number }>({
    name: "test-fn",
    auth: "job_secret",
    env: testEnv,
    resources: () => ({ built: ++built }),
    body: z.object({ n: z.number().optional() }),
    handler: (_req, { config, resources, body }) =>
      json(200, { role: config.db.role, built: resources.built, n: body.n ?? null }),
    log: createLogger({ fn: "test-fn" }, { sink: (l) => lines.push(l) }),
    getEnv: (k) => {
      reads.push(k);
      return vars[k];
    },
    ...over,
  });
  const call = async (init: RequestInit & { secret?: string | null } = {}) => {
    const headers = new Headers(init.headers);
    if (init.secret !== null) headers.set("x-job-secret", init.secret ?? SECRET);
    const res = await serve(new Request("http://fn/test-fn", { method: "POST", ...init, headers }));
    return { status: res.status, headers: res.headers, body: await res.json() };
  };
  return { call, lines, reads, vars, builtCount: () => built };
}

Deno.test("function: auth comes first, then the method, then the configuration", async () => {
  const f = fixture({}, { PAYOUT_JOB_SECRET: SECRET }); // database missing: misconfigured
  const noSecret = await f.call({ secret: null, method: "GET" });
  assert.equal(noSecret.status, 401);
  assert.deepEqual(noSecret.body, { error: "unauthorized", reason: "missing_secret" });
  assert.match(noSecret.headers.get("www-authenticate") ?? "", /Bearer/);
  assert.equal((await f.call({ secret: SECRET + "x" })).body.reason, "secret_mismatch");
  const get = await f.call({ method: "GET" });
  assert.equal(get.status, 405);
  assert.equal(get.headers.get("allow"), "POST");
  const post = await f.call();
  assert.equal(post.status, 503);
  assert.deepEqual(post.body, { error: "unavailable", reason: "misconfigured" });
  assert.equal(f.builtCount(), 0, "nothing built from a bad configuration");
  const logged = f.lines.map((l) => JSON.parse(l)).find((l) => l.msg === "misconfigured");
  assert.deepEqual(logged.problems, ["PAYOUT_JOBS_DB_URL: is required (or SUPABASE_DB_URL)"]);
});

Deno.test("function: a missing or short job secret shuts the door: 503 for everyone, by name only", async () => {
  const cases: Record<string, string>[] = [{ PAYOUT_JOBS_DB_URL: DB_URL }, {
    PAYOUT_JOBS_DB_URL: DB_URL,
    PAYOUT_JOB_SECRET: "short-secret",
  }];
  for (const vars of cases) {
    const f = fixture({}, vars);
    for (const secret of [null, "", "short-secret", SECRET]) {
      const r = await f.call({ secret });
      assert.equal(r.status, 503, String(secret));
      assert.equal(r.body.reason, "misconfigured");
    }
    assert.ok(!f.lines.join().includes("short-secret"));
    assert.match(f.lines[0], /PAYOUT_JOB_SECRET: (is required|must be at least 32 characters)/);
  }
});

Deno.test("function: the handler gets config, resources (built once) and the validated body", async () => {
  const f = fixture();
  const a = await f.call({ body: JSON.stringify({ n: 1 }), headers: { "content-type": "application/json" } });
  assert.deepEqual([a.status, a.body], [200, { role: "stripe_sync", built: 1, n: 1 }]);
  const b = await f.call();
  assert.deepEqual(b.body, { role: "stripe_sync", built: 1, n: null }, "an empty body is {}; resources reused");
  const bad = await f.call({ body: JSON.stringify({ n: "x" }), headers: { "content-type": "application/json" } });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.reason, "invalid_body");
  assert.equal(bad.body.issues[0].path, "n");
  // the environment is read once per invocation (each variable once), and a change is picked up
  const perCall = new Set(f.reads).size;
  assert.equal(f.reads.length, perCall * 3);
  f.vars.STRIPE_SYNC_DB_ROLE = "other_role";
  assert.deepEqual((await f.call()).body, { role: "other_role", built: 2, n: null });
});

Deno.test("function: errors are mapped: HttpError as is, anything else 500 without details", async () => {
  let thrown: unknown = new HttpError(409, "already_running");
  const f = fixture({
    handler: () => {
      throw thrown;
    },
  });
  assert.deepEqual(await f.call().then((r) => [r.status, r.body]), [409, {
    error: "conflict",
    reason: "already_running",
  }]);
  thrown = new Error(`boom ${DB_URL}`);
  const r = await f.call();
  assert.deepEqual([r.status, r.body], [500, { error: "internal_error", reason: "unexpected_error" }]);
  assert.ok(!f.lines.join().includes("hunter2"), "the password is redacted in the log");
});

Deno.test("function: auth by the handler (the webhook) or the gateway: method, then configuration", async () => {
  const seen: string[] = [];
  const f = fixture({ auth: "handler", body: undefined, handler: (req) => (seen.push(req.method), json(200, {})) }, {});
  assert.equal((await f.call({ secret: null, method: "GET" })).status, 405);
  assert.equal((await f.call({ secret: null })).status, 503);
  const g = fixture({
    auth: "gateway",
    methods: "any",
    body: undefined,
    handler: (req) => (seen.push(req.method), json(200, {})),
  });
  assert.equal((await g.call({ secret: null, method: "PUT" })).status, 200);
  assert.deepEqual(seen, ["PUT"]);
});

Deno.test("function: the job secret's value is blanked in its logs", async () => {
  const out: string[] = [];
  const original = console.error;
  console.error = (line: string) => out.push(line);
  try {
    const f = fixture({ log: undefined, handler: () => Promise.reject(new Error(`leaked ${SECRET}`)) });
    assert.equal((await f.call()).status, 500);
  } finally {
    console.error = original;
  }
  assert.ok(out.some((l) => l.includes("leaked [REDACTED]")), out.join("\n"));
  assert.ok(!out.join().includes(SECRET));
});
