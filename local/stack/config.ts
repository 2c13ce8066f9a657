// Where each piece of the local stack lives. Two profiles: `dev` (npm start, Supabase CLI's
// well-known ports) and `test` (npm test: its own ports and a throwaway folder).
import { createHash } from "node:crypto";
import { basename, fromFileUrl, join } from "./paths.ts";

export const ROOT = fromFileUrl(new URL("../../", import.meta.url)).replace(/\/$/, "");

/** The functions' STRIPE_SECRET_KEY locally: any sk_test_ key is accepted by the Stripe stand-in. */
export const STRIPE_TEST_KEY = "sk_test_local_standin";

// Supabase CLI's local JWT secret: the keys it prints are signed with it. Local only.
export const LOCAL_JWT_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long";

/**
 * Parent of the dev stacks' state folders. The cluster is run by the `postgres` system user, which
 * cannot enter a checkout in a private folder (`/root` is mode 700), so the state lives outside
 * the checkout, in one folder per checkout (`devStateDir`).
 */
export const DEV_STATE_ROOT = "/var/lib/payouts-local";

/**
 * The dev stack's state folder of a checkout: `<DEV_STATE_ROOT>/<folder name>-<hash of its real
 * path>`, so two checkouts never share a cluster. Holds `db/` (the cluster), `logs/`, the pid file,
 * the seed marker and the Stripe stand-in's saved state.
 */
export function devStateDir(root: string = ROOT): string {
  const real = Deno.realPathSync(root);
  const key = createHash("sha256").update(real).digest("hex").slice(0, 12);
  const name = basename(real).replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 40) || "checkout";
  return join(DEV_STATE_ROOT, `${name}-${key}`);
}

/** The dev API port (54321 unless LOCAL_STACK_PORT says otherwise); the other ports follow it. */
export function devPortBase(): number {
  const v = Deno.env.get("LOCAL_STACK_PORT");
  if (!v) return 54321;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1024 || n > 65535 - 9) throw new Error(`LOCAL_STACK_PORT: not a port: ${v}`);
  return n;
}

export interface StackConfig {
  profile: "dev" | "test";
  /** Folder holding the cluster, logs, pid file and the stand-in's state (dev: `devStateDir()`). */
  stateDir: string;
  dbPort: number;
  apiPort: number;
  postgrestPort: number;
  postgrestAdminPort: number;
  stripePort: number;
  /** The Auth stand-in (local/auth/), behind the gateway at /auth/v1. */
  authPort: number;
  /** The console (app/, local/stack/console.ts): where the Supabase CLI serves Studio, API port + 2. */
  consolePort: number;
  jwtSecret: string;
  dbPassword: string;
}

/** `dev` uses the Supabase CLI's well-known ports; `test` takes free ports unless base is given. */
export function stackConfig(profile: "dev" | "test", stateDir?: string, base?: number): StackConfig {
  const devBase = profile === "dev" ? devPortBase() : 0;
  const port = (offset: number) => (profile === "dev" ? devBase + offset : base ? base + offset : freePort());
  return {
    profile,
    stateDir: stateDir ?? (profile === "dev" ? devStateDir() : join(ROOT, ".local", profile)),
    apiPort: port(0),
    dbPort: port(1),
    postgrestPort: port(6),
    postgrestAdminPort: port(8),
    stripePort: port(7),
    authPort: port(9),
    consolePort: port(2),
    jwtSecret: LOCAL_JWT_SECRET,
    dbPassword: "postgres",
  };
}

export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

export const dataDir = (c: StackConfig) => join(c.stateDir, "db");
export const logDir = (c: StackConfig) => join(c.stateDir, "logs");
export const pidFile = (c: StackConfig) => join(c.stateDir, "stack.pids.json");
/** Written once the cluster holds the seed (`npm run reset` seeds again). */
export const seededMarker = (c: StackConfig) => join(c.stateDir, ".seeded");
/** The Stripe stand-in's ledger between restarts (dev only; tests start it empty). */
export const standInStateFile = (c: StackConfig) => join(c.stateDir, "stripe-standin.json");
export const dbUrl = (c: StackConfig, user = "postgres", password = c.dbPassword) =>
  `postgresql://${user}:${password}@127.0.0.1:${c.dbPort}/postgres`;
/** The DB URL for the Supabase CLI: local clusters have no TLS, so say so (else it warns on stdout). */
export const cliDbUrl = (c: StackConfig) => `${dbUrl(c)}?sslmode=disable`;
export const apiUrl = (c: StackConfig) => `http://127.0.0.1:${c.apiPort}`;
export const stripeUrl = (c: StackConfig) => `http://127.0.0.1:${c.stripePort}`;
export const authUrl = (c: StackConfig) => `http://127.0.0.1:${c.authPort}`;
export const consoleUrl = (c: StackConfig) => `http://127.0.0.1:${c.consolePort}`;
