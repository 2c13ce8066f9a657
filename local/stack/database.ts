// Loads the database: platform bootstrap (local only) and migrations with the real Supabase
// CLI (the seed: seed.ts). Product SQL lives only in supabase/migrations and supabase/seed.sql.
import { cliDbUrl, dbUrl, ROOT, type StackConfig } from "./config.ts";
import { join } from "./paths.ts";
import { psql } from "./postgres.ts";
import { run } from "./proc.ts";

export const BOOTSTRAP_DIR = join(ROOT, "local", "bootstrap");

export async function loadBootstrap(c: StackConfig): Promise<void> {
  const files = [...Deno.readDirSync(BOOTSTRAP_DIR)]
    .filter((e) => e.isFile && e.name.endsWith(".sql"))
    .map((e) => e.name)
    .sort();
  for (const f of files) await psql(c, ["-f", join(BOOTSTRAP_DIR, f)]);
}

export const supabaseCli = join(ROOT, "node_modules", ".bin", "supabase");

/** `supabase db push --remote=<db url>` (the old `--db-url`): applies pending migrations, as against a real project. */
export async function pushMigrations(c: StackConfig): Promise<void> {
  await run(supabaseCli, ["db", "push", `--remote=${cliDbUrl(c)}`, "--yes"], { cwd: ROOT, env: { DO_NOT_TRACK: "1" } });
  await psql(c, ["-c", "notify pgrst, 'reload schema'"]);
}

/** Drops everything the bootstrap and migrations made, for `npm run reset`. */
export async function dropDatabase(c: StackConfig): Promise<void> {
  await psql(c, [
    "-c",
    "select pg_terminate_backend(pid) from pg_stat_activity where datname = 'template1' and pid <> pg_backend_pid()",
  ]);
  await run("psql", [
    dbUrl(c).replace(/\/postgres$/, "/template1"),
    "-X",
    "-q",
    "-v",
    "ON_ERROR_STOP=1",
    "-c",
    "select pg_terminate_backend(pid) from pg_stat_activity where datname = 'postgres' and pid <> pg_backend_pid()",
    "-c",
    "drop database if exists postgres with (force)",
    "-c",
    "create database postgres",
  ]);
}
