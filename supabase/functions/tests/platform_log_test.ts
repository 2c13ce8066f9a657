import assert from "node:assert/strict";
import Stripe from "stripe";
import { createLogger, isSensitiveKey, redact, redactString } from "../_shared/platform/log.ts";

function capture(opts: Parameters<typeof createLogger>[1] = {}) {
  const lines: Array<{ line: string; level: string }> = [];
  const log = createLogger({ fn: "process-payout-schedules", run_id: "run-1" }, {
    now: () => Date.UTC(2026, 10, 27, 12, 0, 0),
    sink: (line, level) => lines.push({ line, level }),
    ...opts,
  });
  return { log, lines, parsed: () => lines.map((l) => JSON.parse(l.line)) };
}

Deno.test("log: one JSON line per call with ts, level, msg, base fields and ids", () => {
  const { log, lines, parsed } = capture();
  log.child({ payout_id: "po_1" }).info("transfer created", {
    transfer_id: "t1",
    amount: 12500,
    idempotency_key: "k1",
  });
  assert.equal(lines.length, 1);
  assert.ok(!lines[0].line.includes("\n"));
  assert.deepEqual(parsed()[0], {
    ts: "2026-11-27T12:00:00.000Z",
    level: "info",
    msg: "transfer created",
    fn: "process-payout-schedules",
    run_id: "run-1",
    payout_id: "po_1",
    transfer_id: "t1",
    amount: 12500,
    idempotency_key: "k1",
  });
});

Deno.test("log: level filter; fields cannot overwrite ts/level/msg", () => {
  const { log, parsed } = capture({ level: "warn" });
  log.info("dropped");
  log.debug("dropped");
  log.warn("kept", { level: "debug", msg: "x", ts: 0 });
  const out = parsed();
  assert.equal(out.length, 1);
  assert.equal(out[0].level, "warn");
  assert.equal(out[0].msg, "kept");
});

Deno.test("log: sensitive keys are redacted, ids are not", () => {
  for (
    const k of [
      "secret",
      "STRIPE_SECRET_KEY",
      "authorization",
      "Authorization",
      "x-job-secret",
      "apiKey",
      "api_key",
      "token",
      "jobToken",
      "password",
      "db_url",
      "SUPABASE_DB_URL",
      "cookie",
      "key",
      "webhookSignature",
    ]
  ) {
    assert.ok(isSensitiveKey(k), k);
  }
  for (
    const k of [
      "idempotency_key",
      "idempotencyKey",
      "stripe_idempotency_key",
      "payout_id",
      "run_id",
      "amount",
      "reason",
      "keyword_count",
    ]
  ) {
    assert.ok(!isSensitiveKey(k), k);
  }
  const { log, lines } = capture();
  log.info("config", {
    headers: { authorization: "Bearer abc", "x-job-secret": "topsecretvalue1234" },
    STRIPE_SECRET_KEY: "sk_test_123",
    nested: [{ token: "t0ken-value" }],
    empty_secret: "",
  });
  const out = JSON.parse(lines[0].line);
  assert.equal(out.headers.authorization, "[REDACTED]");
  assert.equal(out.headers["x-job-secret"], "[REDACTED]");
  assert.equal(out.STRIPE_SECRET_KEY, "[REDACTED]");
  assert.equal(out.nested[0].token, "[REDACTED]");
  assert.equal(out.empty_secret, "");
  assert.ok(!lines[0].line.includes("topsecretvalue1234"));
});

Deno.test("log: secret-looking values are redacted anywhere", () => {
  const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.c2lnbmF0dXJl";
  const s = redactString(
    `key sk_live_51Habc and rk_test_9x, whsec_abcDEF123, jwt ${jwt}, Authorization: Bearer abc.def ` +
      `url postgresql://payout_jobs:hunter2@db.local:6543/postgres`,
  );
  for (const leaked of ["51Habc", "rk_test_9x", "abcDEF123", jwt, "abc.def", "hunter2"]) {
    assert.ok(!s.includes(leaked), `${leaked} leaked: ${s}`);
  }
  assert.match(s, /sk_live_\[REDACTED\]/);
  assert.match(s, /postgresql:\/\/payout_jobs:\[REDACTED\]@db\.local/);
  // a literal secret passed to the logger
  const { log, lines } = capture({ redactValues: ["job-secret-0123456789abcdef"] });
  log.warn("got job-secret-0123456789abcdef in a message", { note: "x job-secret-0123456789abcdef y" });
  assert.ok(!lines[0].line.includes("job-secret-0123456789abcdef"));
  assert.equal(lines[0].level, "warn");
});

Deno.test("log: errors render without raw payloads; bigint, cycles, dates are safe", () => {
  const stripeErr = new Stripe.errors.StripeInvalidRequestError({
    message: "Invalid API Key provided: sk_test_abcdef",
    type: "invalid_request_error",
    code: "api_key_invalid",
    statusCode: 401,
    requestId: "req_1",
    headers: { "request-id": "req_1" },
  } as never);
  const cyc: Record<string, unknown> = { a: 1 };
  cyc.self = cyc;
  const out = redact({ error: stripeErr, big: 2n ** 70n, cyc, at: new Date(0), f: () => 1 }) as Record<string, any>;
  assert.deepEqual(out.error, {
    name: "Error",
    message: "Invalid API Key provided: sk_test_[REDACTED]",
    code: "api_key_invalid",
    type: "StripeInvalidRequestError",
    status: 401,
    request_id: "req_1",
    raw_type: "invalid_request_error",
  });
  assert.equal(out.big, "1180591620717411303424");
  assert.equal(out.cyc.self, "[circular]");
  assert.equal(out.at, "1970-01-01T00:00:00.000Z");
  assert.equal(out.f, undefined);
  JSON.stringify(out);
});
