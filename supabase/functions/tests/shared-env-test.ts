import assert from "node:assert/strict";
import { EnvError, loadEnv, loadJobEnv, loadStripeEnv, parseApiBase } from "../_shared/env.ts";
import { loadStripeSyncJobEnv } from "../_shared/stripe_sync_env.ts";

const SECRET = "x".repeat(40);
const getter = (o: Record<string, string>) => (k: string) => o[k];

Deno.test("env: job env prefers PAYOUT_JOBS_DB_URL and applies defaults", () => {
  const env = loadJobEnv(getter({
    PAYOUT_JOBS_DB_URL: "postgresql://payout_jobs_login:pw@127.0.0.1:6543/postgres",
    SUPABASE_DB_URL: "postgresql://postgres:pw@127.0.0.1:5432/postgres",
    PAYOUT_JOB_SECRET: SECRET,
  }));
  assert.equal(env.db.source, "PAYOUT_JOBS_DB_URL");
  assert.match(env.db.url, /payout_jobs_login/);
  assert.equal(env.db.role, null);
  assert.equal(env.batchSize, 25);
  assert.equal(env.runBudgetMs, 110_000);
  assert.equal(env.stopMarginMs, 25_000);
});

Deno.test("env: falls back to SUPABASE_DB_URL; empty strings count as unset; numbers are coerced", () => {
  const env = loadJobEnv(getter({
    PAYOUT_JOBS_DB_URL: "",
    SUPABASE_DB_URL: "postgres://postgres:pw@db:5432/postgres",
    PAYOUT_JOBS_DB_ROLE: "payout_jobs",
    PAYOUT_JOB_SECRET: SECRET,
    PAYOUT_BATCH_SIZE: "50",
    PAYOUT_RUN_BUDGET_MS: "",
  }));
  assert.equal(env.db.source, "SUPABASE_DB_URL");
  assert.equal(env.db.role, "payout_jobs");
  assert.equal(env.batchSize, 50);
  assert.equal(env.runBudgetMs, 110_000);
});

Deno.test("env: problems are reported by name, never with values", () => {
  const secretKey = "sk_live_SHOULD_NOT_APPEAR_123";
  let err: unknown;
  try {
    loadEnv(getter({
      PAYOUT_JOB_SECRET: "short-secret",
      PAYOUT_BATCH_SIZE: "2.5",
      STRIPE_SECRET_KEY: secretKey,
      STRIPE_API_BASE: "http://127.0.0.1:54328",
      STRIPE_MAX_RPS: "abc",
    }));
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof EnvError);
  const text = err.message;
  for (
    const name of ["PAYOUT_JOBS_DB_URL", "PAYOUT_JOB_SECRET", "PAYOUT_BATCH_SIZE", "STRIPE_API_BASE", "STRIPE_MAX_RPS"]
  ) {
    assert.ok(text.includes(name), `${name} missing in: ${text}`);
  }
  assert.ok(!text.includes("short-secret"));
  assert.ok(!text.includes(secretKey));
  assert.match(text, /live key/);
});

Deno.test("env: stripe env parses STRIPE_API_BASE and defaults the rate to 20/s", () => {
  const local = loadStripeEnv(getter({ STRIPE_SECRET_KEY: "sk_test_abc", STRIPE_API_BASE: "http://127.0.0.1:54328" }));
  assert.deepEqual(local.apiBase, { protocol: "http", host: "127.0.0.1", port: 54328 });
  assert.equal(local.maxRps, 20);
  assert.equal(local.timeoutMs, 20_000);
  assert.equal(local.maxAttempts, 3);
  const real = loadStripeEnv(getter({ STRIPE_SECRET_KEY: "sk_live_abc", STRIPE_MAX_RPS: "12.5" }));
  assert.equal(real.apiBase, null);
  assert.equal(real.maxRps, 12.5);
  assert.throws(() => loadStripeEnv(getter({})), /STRIPE_SECRET_KEY: is required/);
  assert.throws(() => loadStripeEnv(getter({ STRIPE_SECRET_KEY: "pk_test_abc" })), /STRIPE_SECRET_KEY/);
});

Deno.test("env: parseApiBase accepts host[:port] only", () => {
  assert.deepEqual(parseApiBase("https://stripe.local"), { protocol: "https", host: "stripe.local", port: 443 });
  assert.deepEqual(parseApiBase("http://[::1]:9"), { protocol: "http", host: "[::1]", port: 9 });
  assert.equal(parseApiBase("http://h:1/v1"), null);
  assert.equal(parseApiBase("http://u:p@h:1"), null);
  assert.equal(parseApiBase("ftp://h"), null);
  assert.equal(parseApiBase("not a url"), null);
});

Deno.test("env: the Stripe sync jobs' budget (defaults as the payout run's), problems by name", () => {
  const base = { PAYOUT_JOBS_DB_URL: "postgresql://payout_worker:pw@127.0.0.1:6543/postgres", PAYOUT_JOB_SECRET: SECRET };
  const env = loadStripeSyncJobEnv(getter(base));
  assert.deepEqual(env.budget, { runBudgetMs: 110_000, cpuStopMs: 1_500, cpuHandBackMs: null, wallClockLimitMs: 150_000 });
  const set = loadStripeSyncJobEnv(getter({ ...base, EDGE_CPU_STOP_MS: "900", EDGE_CPU_HAND_BACK_MS: "1200" })).budget;
  assert.deepEqual([set.cpuStopMs, set.cpuHandBackMs], [900, 1_200]);
  assert.throws(
    () =>
      loadStripeSyncJobEnv(
        getter({ ...base, EDGE_CPU_STOP_MS: "2500", EDGE_WALL_CLOCK_LIMIT_MS: "1.5", EDGE_CPU_HAND_BACK_MS: "1000" }),
      ),
    (e: unknown) =>
      e instanceof EnvError &&
      e.problems.join("|") ===
        "EDGE_CPU_STOP_MS: must be <= 1900|EDGE_WALL_CLOCK_LIMIT_MS: must be an integer|" +
          "EDGE_CPU_HAND_BACK_MS: must not be below EDGE_CPU_STOP_MS",
  );
});
