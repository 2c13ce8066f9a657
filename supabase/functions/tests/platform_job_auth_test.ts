import assert from "node:assert/strict";
import { checkJobSecret, requireJobSecret, timingSafeEqualStrings } from "../_shared/platform/job_auth.ts";
import { handle, json } from "../_shared/platform/http.ts";

const SECRET = "job-secret-7d1f0a9c3b5e4d2f8a6c1e0b9d7f5a3c";
const req = (headers: Record<string, string>) => new Request("http://fn.local/", { method: "POST", headers });

Deno.test("job_auth: accepts the right secret via x-job-secret or Bearer", async () => {
  assert.deepEqual(await checkJobSecret(req({ "x-job-secret": SECRET }), SECRET), { ok: true, via: "x-job-secret" });
  assert.deepEqual(await checkJobSecret(req({ authorization: `Bearer ${SECRET}` }), SECRET), {
    ok: true,
    via: "authorization",
  });
  assert.deepEqual(await checkJobSecret(req({ authorization: `bearer  ${SECRET} ` }), SECRET), {
    ok: true,
    via: "authorization",
  });
  // x-job-secret wins, so Authorization may carry something else (e.g. a gateway JWT).
  assert.equal(
    (await checkJobSecret(req({ "x-job-secret": SECRET, authorization: "Bearer eyJ.x.y" }), SECRET)).ok,
    true,
  );
});

Deno.test("job_auth: rejects missing, malformed, wrong and different-length secrets", async () => {
  const cases: Array<[Record<string, string>, string]> = [
    [{}, "missing_secret"],
    [{ authorization: "" }, "missing_secret"],
    [{ authorization: `Basic ${btoa(SECRET)}` }, "malformed_authorization"],
    [{ authorization: `Bearer ${SECRET} extra` }, "malformed_authorization"],
    [{ authorization: SECRET }, "malformed_authorization"],
    [{ "x-job-secret": SECRET.slice(0, -1) + "X" }, "secret_mismatch"],
    [{ "x-job-secret": SECRET.slice(0, -1) }, "secret_mismatch"],
    [{ "x-job-secret": SECRET + "0" }, "secret_mismatch"],
    [{ "x-job-secret": "a" }, "secret_mismatch"],
    [{ authorization: `Bearer ${SECRET.toUpperCase()}` }, "secret_mismatch"],
  ];
  for (const [headers, reason] of cases) {
    assert.deepEqual(await checkJobSecret(req(headers), SECRET), { ok: false, reason }, JSON.stringify(headers));
  }
  // an empty expected secret (misconfiguration) opens nothing
  assert.deepEqual(await checkJobSecret(req({ "x-job-secret": "x" }), ""), { ok: false, reason: "secret_mismatch" });
});

Deno.test("job_auth: requireJobSecret answers 401 JSON through handle()", async () => {
  const h = handle(async (r) => {
    await requireJobSecret(r, SECRET);
    return json(202, { accepted: true });
  });
  const bad = await h(req({ authorization: "Bearer wrong" }));
  assert.equal(bad.status, 401);
  assert.equal(bad.headers.get("content-type"), "application/json; charset=utf-8");
  assert.ok(bad.headers.get("www-authenticate"));
  assert.deepEqual(await bad.json(), { error: "unauthorized", reason: "secret_mismatch" });
  const missing = await h(req({}));
  assert.deepEqual(await missing.json(), { error: "unauthorized", reason: "missing_secret" });
  const good = await h(req({ "x-job-secret": SECRET }));
  assert.equal(good.status, 202);
  await good.body?.cancel();
});

Deno.test("job_auth: timingSafeEqualStrings", async () => {
  assert.equal(await timingSafeEqualStrings("abc", "abc"), true);
  assert.equal(await timingSafeEqualStrings("abc", "abd"), false);
  assert.equal(await timingSafeEqualStrings("abc", "abcd"), false);
  assert.equal(await timingSafeEqualStrings("", ""), true);
  assert.equal(await timingSafeEqualStrings("é", "e\u0301"), false);
});
