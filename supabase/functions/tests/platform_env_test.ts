import assert from "node:assert/strict";
import {
  budgetEnv,
  ENV,
  EnvError,
  escrowRunEnv,
  loadEnv,
  parseApiBase,
  payoutRunEnv,
  readEnv,
  secretValues,
  stripeEnv,
  stripeSyncJobEnv,
  webhookEnv,
} from "../_shared/platform/env.ts";

const SECRET = "x".repeat(40);
const getter = (o: Record<string, string>) => (k: string) => o[k];
const JOBS_URL = "postgresql://payout_jobs_login:pw@127.0.0.1:6543/postgres";
const STRIPE = { STRIPE_SECRET_KEY: "sk_test_abc", STRIPE_API_BASE: "http://127.0.0.1:54328" };

/** The problems of an invalid environment. */
function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof EnvError, String(e));
    return e.problems;
  }
  assert.fail("no EnvError");
}

Deno.test("env: every variable is declared once, with a meaning", () => {
  for (const [name, spec] of Object.entries(ENV)) {
    assert.match(name, /^[A-Z][A-Z0-9_]+$/);
    assert.ok(spec.meaning.length > 10, name);
  }
  // each group reads declared variables only
  for (const g of [payoutRunEnv, escrowRunEnv, webhookEnv, stripeSyncJobEnv]) {
    for (const n of g.names) assert.ok(n in ENV, n);
  }
});

Deno.test("env: the payout run prefers PAYOUT_JOBS_DB_URL and applies defaults", () => {
  const env = loadEnv(
    payoutRunEnv,
    getter({
      PAYOUT_JOBS_DB_URL: JOBS_URL,
      SUPABASE_DB_URL: "postgresql://postgres:pw@127.0.0.1:5432/postgres",
      ...STRIPE,
    }),
  );
  assert.deepEqual(env.db, { url: JOBS_URL, source: "PAYOUT_JOBS_DB_URL", role: null });
  assert.deepEqual(env.budget, {
    runBudgetMs: 110_000,
    cpuStopMs: 1_500,
    cpuHandBackMs: null,
    wallClockLimitMs: 150_000,
  });
  assert.deepEqual(env.run, {
    batchSize: 25,
    stopMarginMs: 25_000,
    leaseSeconds: null,
    settleSeconds: 120,
    concurrency: 4,
    keyWindowMs: 23 * 3_600_000,
    deferSeconds: 15,
    recordMaxDelayMs: 1_000,
    cpuPerCallMs: 3,
    heartbeatMs: 5_000,
  });
  assert.deepEqual(env.stripe, {
    secretKey: "sk_test_abc",
    apiBase: { protocol: "http", host: "127.0.0.1", port: 54328 },
    maxRps: 20,
    timeoutMs: 20_000,
    maxAttempts: 3,
  });
});

Deno.test("env: falls back to SUPABASE_DB_URL with a role; blank counts as unset; numbers are parsed", () => {
  const env = loadEnv(
    payoutRunEnv,
    getter({
      PAYOUT_JOBS_DB_URL: "",
      SUPABASE_DB_URL: "postgres://postgres:pw@db:5432/postgres",
      PAYOUT_JOBS_DB_ROLE: "payout_jobs",
      PAYOUT_BATCH_SIZE: " 50 ",
      PAYOUT_RUN_BUDGET_MS: "",
      PAYOUT_CLAIM_LEASE_SECONDS: "5",
      ...STRIPE,
    }),
  );
  assert.deepEqual(env.db, {
    url: "postgres://postgres:pw@db:5432/postgres",
    source: "SUPABASE_DB_URL",
    role: "payout_jobs",
  });
  assert.equal(env.run.batchSize, 50);
  assert.equal(env.budget.runBudgetMs, 110_000);
  assert.equal(env.run.leaseSeconds, 5);
  // the owner's URL without a role switch: refused (the jobs would run as the table owner)
  assert.deepEqual(
    problems(() => loadEnv(escrowRunEnv, getter({ SUPABASE_DB_URL: "postgres://postgres:pw@db:5432/postgres" }))),
    ["PAYOUT_JOBS_DB_URL: is required (the jobs' login, not the owner; or set PAYOUT_JOBS_DB_ROLE)"],
  );
});

Deno.test("env: problems are reported by name, all at once, never with values", () => {
  const secretKey = "sk_live_SHOULD_NOT_APPEAR_123";
  const p = problems(() =>
    loadEnv(
      payoutRunEnv,
      getter({
        PAYOUT_BATCH_SIZE: "2.5",
        PAYOUT_STOP_MARGIN_MS: "200000",
        PAYOUT_CONCURRENCY: "abc",
        STRIPE_SECRET_KEY: secretKey,
        STRIPE_API_BASE: "http://127.0.0.1:54328",
        STRIPE_MAX_RPS: "0",
      }),
    )
  );
  assert.deepEqual(p, [
    "PAYOUT_JOBS_DB_URL: is required (or SUPABASE_DB_URL with PAYOUT_JOBS_DB_ROLE)",
    "PAYOUT_BATCH_SIZE: must be an integer",
    "PAYOUT_CONCURRENCY: must be a number",
    "PAYOUT_STOP_MARGIN_MS: must be below PAYOUT_RUN_BUDGET_MS",
    "STRIPE_MAX_RPS: must be > 0",
    "STRIPE_API_BASE: must not be set together with a live key (live keys only go to api.stripe.com)",
  ]);
  assert.ok(!p.join().includes(secretKey));
});

Deno.test("env: Stripe: STRIPE_API_BASE parsed, the rate defaults to 20/s, the key checked", () => {
  const real = loadEnv(stripeEnv, getter({ STRIPE_SECRET_KEY: "sk_live_abc", STRIPE_MAX_RPS: "12.5" }));
  assert.equal(real.apiBase, null);
  assert.equal(real.maxRps, 12.5);
  assert.deepEqual(problems(() => loadEnv(stripeEnv, getter({}))), ["STRIPE_SECRET_KEY: is required"]);
  assert.deepEqual(
    problems(() => loadEnv(stripeEnv, getter({ STRIPE_SECRET_KEY: "pk_test_abc", STRIPE_API_BASE: "ftp://x" }))),
    [
      "STRIPE_SECRET_KEY: must look like sk_test_… / sk_live_… / rk_…",
      "STRIPE_API_BASE: must be http(s)://host[:port] without a path",
    ],
  );
});

Deno.test("env: parseApiBase accepts host[:port] only", () => {
  assert.deepEqual(parseApiBase("https://stripe.local"), { protocol: "https", host: "stripe.local", port: 443 });
  assert.deepEqual(parseApiBase("http://[::1]:9"), { protocol: "http", host: "[::1]", port: 9 });
  assert.equal(parseApiBase("http://h:1/v1"), null);
  assert.equal(parseApiBase("http://u:p@h:1"), null);
  assert.equal(parseApiBase("ftp://h"), null);
  assert.equal(parseApiBase("not a url"), null);
});

Deno.test("env: a job's budget, problems by name", () => {
  const set = loadEnv(budgetEnv, getter({ EDGE_CPU_STOP_MS: "900", EDGE_CPU_HAND_BACK_MS: "1200" }));
  assert.deepEqual([set.cpuStopMs, set.cpuHandBackMs], [900, 1_200]);
  assert.deepEqual(
    problems(() =>
      loadEnv(
        budgetEnv,
        getter({ EDGE_CPU_STOP_MS: "2500", EDGE_WALL_CLOCK_LIMIT_MS: "1.5", EDGE_CPU_HAND_BACK_MS: "1000" }),
      )
    ),
    [
      "EDGE_CPU_STOP_MS: must be <= 1900",
      "EDGE_WALL_CLOCK_LIMIT_MS: must be an integer",
      "EDGE_CPU_HAND_BACK_MS: must not be below EDGE_CPU_STOP_MS",
    ],
  );
});

Deno.test("env: the Stripe sync functions: role stripe_sync, webhook secrets (one at least)", () => {
  const base = { PAYOUT_JOBS_DB_URL: JOBS_URL, ...STRIPE };
  const job = loadEnv(stripeSyncJobEnv, getter(base));
  assert.deepEqual(job.db, { url: JOBS_URL, source: "PAYOUT_JOBS_DB_URL", role: "stripe_sync" });
  const hook = loadEnv(
    webhookEnv,
    getter({ ...base, STRIPE_CONNECT_WEBHOOK_SECRET: "whsec_c", STRIPE_SYNC_DB_ROLE: "other" }),
  );
  assert.deepEqual(hook.secrets, { platform: null, connect: "whsec_c" });
  assert.equal(hook.db.role, "other");
  assert.deepEqual(problems(() => loadEnv(webhookEnv, getter({ ...base, STRIPE_SYNC_DB_ROLE: "Bad-Role" }))), [
    "STRIPE_SYNC_DB_ROLE: must be a plain role name",
    "STRIPE_WEBHOOK_SECRET: is required (or STRIPE_CONNECT_WEBHOOK_SECRET)",
  ]);
  assert.deepEqual(problems(() => loadEnv(webhookEnv, getter({ ...base, STRIPE_WEBHOOK_SECRET: "sec" }))), [
    "STRIPE_WEBHOOK_SECRET: must look like whsec_…",
  ]);
});

Deno.test("env: a snapshot reads each variable once; secretValues lists the secret ones", () => {
  const reads: string[] = [];
  const env = readEnv(webhookEnv.names, (k) => {
    reads.push(k);
    return ({
      PAYOUT_JOBS_DB_URL: JOBS_URL,
      STRIPE_WEBHOOK_SECRET: "whsec_p",
      STRIPE_MAX_RPS: "5",
      PAYOUT_JOB_SECRET: SECRET,
    })[k];
  });
  assert.deepEqual(reads, [...webhookEnv.names]);
  assert.equal(new Set(reads).size, reads.length);
  assert.deepEqual(secretValues(env).sort(), [JOBS_URL, "whsec_p"].sort());
});
