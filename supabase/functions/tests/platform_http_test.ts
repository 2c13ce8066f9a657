import assert from "node:assert/strict";
import { z } from "zod";
import { handle, HttpError, json, parseJsonBody, requireMethod } from "../_shared/platform/http.ts";
import { createLogger } from "../_shared/platform/log.ts";

const schema = z.object({ limit: z.number().int().min(1).max(100), run: z.object({ id: z.string().uuid() }) });

function post(body: BodyInit | null, headers: Record<string, string> = { "content-type": "application/json" }) {
  return new Request("http://fn.local/run", { method: "POST", body, headers });
}

async function respond(req: Request, logs: string[] = []) {
  const h = handle(async (r) => {
    requireMethod(r, "POST");
    const body = await parseJsonBody(r, schema);
    return json(200, body);
  }, { log: createLogger({ fn: "t" }, { sink: (l) => logs.push(l) }) });
  const res = await h(req);
  return { status: res.status, headers: res.headers, body: await res.json() };
}

Deno.test("http: json() sets content type and no-store", async () => {
  const res = json(201, { a: 1 }, { "x-run-id": "r" });
  assert.equal(res.status, 201);
  assert.equal(res.headers.get("content-type"), "application/json; charset=utf-8");
  assert.equal(res.headers.get("cache-control"), "no-store");
  assert.equal(res.headers.get("x-run-id"), "r");
  assert.deepEqual(await res.json(), { a: 1 });
});

Deno.test("http: valid body passes through", async () => {
  const r = await respond(post(JSON.stringify({ limit: 5, run: { id: "6f1c1d5e-8a43-4b53-9a4f-2f0a3c1b7e10" } })));
  assert.equal(r.status, 200);
  assert.equal(r.body.limit, 5);
});

Deno.test("http: 405 with Allow", async () => {
  const r = await respond(new Request("http://fn.local/run", { method: "GET" }));
  assert.equal(r.status, 405);
  assert.equal(r.headers.get("allow"), "POST");
  assert.deepEqual(r.body, { error: "method_not_allowed", reason: "method_not_allowed" });
});

Deno.test("http: 400 invalid_json, 400 invalid_body with zod paths, 415, 413", async () => {
  assert.deepEqual((await respond(post("{nope"))).body, { error: "bad_request", reason: "invalid_json" });
  assert.deepEqual((await respond(post(""))).body, { error: "bad_request", reason: "invalid_json" });
  const bad = await respond(post(JSON.stringify({ limit: 0, run: { id: "x" } })));
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error, "bad_request");
  assert.equal(bad.body.reason, "invalid_body");
  assert.deepEqual(bad.body.issues.map((i: { path: string }) => i.path).sort(), ["limit", "run.id"]);
  assert.ok(bad.body.issues.every((i: { message: string }) => typeof i.message === "string" && i.message.length > 0));
  const ct = await respond(post("limit=1", { "content-type": "application/x-www-form-urlencoded" }));
  assert.equal(ct.status, 415);
  assert.equal(ct.body.error, "unsupported_media_type");
  const big = await respond(post(JSON.stringify({ pad: "x".repeat(70 * 1024) })));
  assert.equal(big.status, 413);
  assert.deepEqual(big.body, { error: "payload_too_large", reason: "body_too_large" });
});

Deno.test("http: emptyAsObject lets the doorbell post nothing", async () => {
  const req = new Request("http://fn.local/run", { method: "POST" });
  assert.deepEqual(await parseJsonBody(req, z.object({ limit: z.number().optional() }), { emptyAsObject: true }), {});
});

Deno.test("http: unexpected errors become a bare 500, logged redacted, no stack or secret in the response", async () => {
  const logs: string[] = [];
  const h = handle(() => {
    throw new Error("connect failed for postgresql://payout_jobs:hunter2@db:6543/postgres");
  }, { log: createLogger({ fn: "t" }, { sink: (l) => logs.push(l) }) });
  const res = await h(new Request("http://fn.local/", { method: "POST" }));
  const text = await res.text();
  assert.equal(res.status, 500);
  assert.deepEqual(JSON.parse(text), { error: "internal_error", reason: "unexpected_error" });
  assert.ok(!text.includes("hunter2") && !text.includes("at "));
  assert.equal(logs.length, 1);
  assert.ok(!logs[0].includes("hunter2"));
  assert.equal(JSON.parse(logs[0]).msg, "unexpected error");
});

Deno.test("http: HttpError custom code and headers", async () => {
  const e = new HttpError(409, "run_in_progress", { code: "busy", headers: { "retry-after": "5" } });
  const res = e.toResponse();
  assert.equal(res.status, 409);
  assert.equal(res.headers.get("retry-after"), "5");
  assert.deepEqual(await res.json(), { error: "busy", reason: "run_in_progress" });
  assert.equal(new HttpError(422, "x").code, "unprocessable_entity");
  assert.equal(new HttpError(418, "x").code, "bad_request");
});
