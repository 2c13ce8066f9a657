/**
 * CORS of browser-called functions (platform/function.ts `cors`): the preflight is answered before
 * any step, every answer (refusals too) may be read by another origin, and the named headers are
 * exposed; a function without `cors` answers no preflight.
 */
import assert from "node:assert/strict";
import { z } from "zod";
import { budgetEnv, envGroups } from "../_shared/platform/env.ts";
import { type FunctionSpec, serveFunction } from "../_shared/platform/function.ts";
import { json } from "../_shared/platform/http.ts";
import { createLogger } from "../_shared/platform/log.ts";

const testEnv = envGroups({ budget: budgetEnv });

function fixture(over: Partial<FunctionSpec<ReturnType<typeof testEnv.parse>, undefined, { n?: number }>> = {}) {
  let calls = 0;
  const serve = serveFunction({
    name: "cors-fn",
    auth: "gateway",
    env: testEnv,
    body: z.object({ n: z.number().optional() }),
    handler: (_req, { body }) => (calls++, json(200, { n: body.n ?? null }, { "x-page": "2" })),
    log: createLogger({ fn: "cors-fn" }, { sink: () => {} }),
    getEnv: () => undefined,
    ...over,
  });
  const call = (method: string, body?: string) =>
    serve(new Request("http://fn/cors-fn", { method, body, headers: { "content-type": "application/json" } }));
  return { call, calls: () => calls };
}

Deno.test("function cors: the preflight is 204 with the allowed headers, and the handler does not run", async () => {
  const f = fixture({ cors: { exposeHeaders: ["x-page"] } });
  const res = await f.call("OPTIONS");
  assert.equal(res.status, 204);
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  assert.match(res.headers.get("access-control-allow-headers") ?? "", /authorization/);
  assert.match(res.headers.get("access-control-allow-headers") ?? "", /apikey/);
  assert.match(res.headers.get("access-control-allow-methods") ?? "", /POST/);
  assert.equal(f.calls(), 0);
});

Deno.test("function cors: answers and refusals carry the origin; the named headers are exposed", async () => {
  const f = fixture({ cors: { exposeHeaders: ["x-page"] } });
  const ok = await f.call("POST", JSON.stringify({ n: 1 }));
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { n: 1 });
  assert.equal(ok.headers.get("x-page"), "2");
  assert.equal(ok.headers.get("access-control-allow-origin"), "*");
  assert.equal(ok.headers.get("access-control-expose-headers"), "x-page");
  const refused = await f.call("POST", "{not json");
  assert.equal(refused.status, 400);
  assert.equal(refused.headers.get("access-control-allow-origin"), "*");
  const wrongMethod = await f.call("GET");
  assert.equal(wrongMethod.status, 405);
  assert.equal(wrongMethod.headers.get("access-control-allow-origin"), "*");
});

Deno.test("function cors: without it, no preflight and no CORS headers", async () => {
  const f = fixture();
  const pre = await f.call("OPTIONS");
  assert.equal(pre.status, 405);
  assert.equal(pre.headers.get("access-control-allow-origin"), null);
  await pre.body?.cancel();
  const ok = await f.call("POST", "{}");
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get("access-control-allow-origin"), null);
  await ok.body?.cancel();
});
