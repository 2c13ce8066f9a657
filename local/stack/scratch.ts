// A throwaway database for development and tests: its own cluster in a folder, bootstrap +
// migrations (+ seed with --seed) + test helpers. Usage:
//   deno run -A local/stack/scratch.ts --dir /tmp/scratch-54400 --port 54400 [--seed] [--fresh]
// Prints the DB URL. Stop it with: deno run -A local/stack/scratch.ts --dir ... --stop
import { parseArgs } from "node:util";
import { dbUrl, ROOT, stackConfig } from "./config.ts";
import { dropDatabase, loadBootstrap, loadSeed, pushMigrations } from "./database.ts";
import { join } from "./paths.ts";
import { ensureCluster, psql, startPostgres, stopPostgres } from "./postgres.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    dir: { type: "string" },
    port: { type: "string" },
    seed: { type: "boolean", default: false },
    fresh: { type: "boolean", default: false },
    stop: { type: "boolean", default: false },
  },
});
const c = { ...stackConfig("test", values.dir, 1), dbPort: Number(values.port ?? 54400) };
if (values.stop) {
  await stopPostgres(c);
  Deno.exit(0);
}
await ensureCluster(c);
await startPostgres(c);
if (values.fresh) await dropDatabase(c);
await loadBootstrap(c);
await pushMigrations(c);
if (values.seed) await loadSeed(c);
await psql(c, ["-f", join(ROOT, "supabase", "tests", "setup", "helpers.sql")]);
console.log(dbUrl(c));
