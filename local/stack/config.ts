// Where each piece of the local stack lives. Two profiles: `dev` (npm start, Supabase CLI's
// well-known ports) and `test` (npm test: its own ports and a throwaway folder).
import { fromFileUrl, join } from "./paths.ts";

export const ROOT = fromFileUrl(new URL("../../", import.meta.url)).replace(/\/$/, "");

// Supabase CLI's local JWT secret: the keys it prints are signed with it. Local only.
export const LOCAL_JWT_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long";

export interface StackConfig {
  profile: "dev" | "test";
  /** Folder holding the cluster, logs and pid file; git-ignored. */
  stateDir: string;
  dbPort: number;
  apiPort: number;
  postgrestPort: number;
  postgrestAdminPort: number;
  stripePort: number;
  jwtSecret: string;
  dbPassword: string;
}

/** `dev` uses the Supabase CLI's well-known ports; `test` takes free ports unless base is given. */
export function stackConfig(profile: "dev" | "test", stateDir?: string, base?: number): StackConfig {
  const port = (offset: number) => (profile === "dev" ? 54321 + offset : base ? base + offset : freePort());
  return {
    profile,
    stateDir: stateDir ?? join(ROOT, ".local", profile),
    apiPort: port(0),
    dbPort: port(1),
    postgrestPort: port(6),
    postgrestAdminPort: port(8),
    stripePort: port(7),
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
export const dbUrl = (c: StackConfig, user = "postgres", password = c.dbPassword) =>
  `postgresql://${user}:${password}@127.0.0.1:${c.dbPort}/postgres`;
/** The DB URL for the Supabase CLI: local clusters have no TLS, so say so (else it warns on stdout). */
export const cliDbUrl = (c: StackConfig) => `${dbUrl(c)}?sslmode=disable`;
export const apiUrl = (c: StackConfig) => `http://127.0.0.1:${c.apiPort}`;
export const stripeUrl = (c: StackConfig) => `http://127.0.0.1:${c.stripePort}`;
