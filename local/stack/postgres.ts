// The project-local Postgres 15 cluster: created, started and stopped as the `postgres`
// system user (initdb/postgres refuse root), listening on 127.0.0.1 only.
import { dataDir, dbUrl, logDir, ROOT, type StackConfig } from "./config.ts";
import { join } from "./paths.ts";
import { run } from "./proc.ts";

const PGBIN = "/usr/lib/postgresql/15/bin";

function asPostgres(cmd: string, args: string[]) {
  return run("runuser", ["-u", "postgres", "--", join(PGBIN, cmd), ...args]);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Creates the cluster if its folder is empty. Returns true when it was created now.
 *
 * Access is exactly what the `postgres` user needs, nothing in the user's own folders: the state
 * folder (root's, mode 711) can be passed through but not listed; `db/` and `logs/` belong to
 * `postgres` (mode 700: the cluster, its log and initdb's password file); the stack's other logs
 * are written there by root. The checkout itself is never read by `postgres` (bootstrap,
 * migrations and seed reach it through psql and the Supabase CLI, which run as the user).
 */
export async function ensureCluster(c: StackConfig): Promise<boolean> {
  const dir = dataDir(c);
  await Deno.mkdir(c.stateDir, { recursive: true, mode: 0o711 });
  if (c.profile === "dev") await Deno.chmod(c.stateDir, 0o711);
  await Deno.mkdir(logDir(c), { recursive: true, mode: 0o700 });
  await run("chown", ["postgres:postgres", logDir(c)]);
  if (await exists(join(dir, "PG_VERSION"))) return false;
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  await run("chown", ["postgres:postgres", dir]);
  const pwfile = join(logDir(c), ".pw");
  await Deno.writeTextFile(pwfile, c.dbPassword + "\n");
  await run("chown", ["postgres:postgres", pwfile]);
  try {
    await asPostgres("initdb", [
      "-D",
      dir,
      "-U",
      "postgres",
      "--pwfile",
      pwfile,
      "--auth-local=trust",
      "--auth-host=scram-sha-256",
      "--encoding=UTF8",
      "--locale=C.UTF-8",
    ]);
  } finally {
    await Deno.remove(pwfile);
  }
  await Deno.writeTextFile(
    join(dir, "postgresql.conf"),
    [
      "",
      "# local stack (see local/stack/postgres.ts)",
      `port = ${c.dbPort}`,
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${dir}'`,
      "timezone = 'UTC'",
      "log_timezone = 'UTC'",
      "shared_preload_libraries = 'pg_cron'",
      "cron.database_name = 'postgres'",
      // Jobs run in background workers: no libpq login back into the cluster needed.
      "cron.use_background_workers = on",
      "max_worker_processes = 32",
      "max_connections = 200",
      "fsync = " + (c.profile === "test" ? "off" : "on"),
      "synchronous_commit = " + (c.profile === "test" ? "off" : "on"),
      "",
    ].join("\n"),
    { append: true },
  );
  return true;
}

export async function startPostgres(c: StackConfig): Promise<void> {
  const dir = dataDir(c);
  const st = await asPostgres("pg_ctl", ["-D", dir, "status"]).catch(() => null);
  if (st) return; // already running
  await asPostgres("pg_ctl", ["-D", dir, "-l", join(logDir(c), "postgres.log"), "-w", "-t", "60", "start"]);
}

export async function stopPostgres(c: StackConfig): Promise<void> {
  const dir = dataDir(c);
  if (!(await exists(join(dir, "postmaster.pid")))) return;
  await asPostgres("pg_ctl", ["-D", dir, "-m", "fast", "-w", "-t", "60", "stop"]).catch(() => {});
}

/** psql with ON_ERROR_STOP against the cluster as the superuser (a script on stdin if given). */
export function psql(c: StackConfig, args: string[], stdin?: string) {
  return run("psql", [dbUrl(c), "-X", "-q", "-v", "ON_ERROR_STOP=1", ...args], {
    env: { PGTZ: "UTC", PGOPTIONS: "--client-min-messages=warning" },
    cwd: ROOT,
    stdin,
  });
}
