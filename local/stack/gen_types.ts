// `npm run gen:types`: types/database.ts from the migrations alone, on a throwaway cluster
// (so it never depends on what a dev database happens to contain).
import { cliDbUrl, ROOT, stackConfig } from "./config.ts";
import { loadBootstrap, pushMigrations, supabaseCli } from "./database.ts";
import { join } from "./paths.ts";
import { ensureCluster, startPostgres, stopPostgres } from "./postgres.ts";
import { run } from "./proc.ts";

const stateDir = await Deno.makeTempDir({ prefix: "payouts-types-" });
await Deno.chmod(stateDir, 0o755);
const c = stackConfig("test", stateDir);
try {
  await ensureCluster(c);
  await startPostgres(c);
  await loadBootstrap(c);
  await pushMigrations(c);
  const gen = await run(supabaseCli, ["gen", "types", "typescript", `--remote=${cliDbUrl(c)}`, "--schema", "public"], { cwd: ROOT });
  await Deno.writeTextFile(join(ROOT, "types", "database.ts"), gen.stdout);
  console.log("types/database.ts regenerated");
} finally {
  await stopPostgres(c);
  await Deno.remove(stateDir, { recursive: true }).catch(() => {});
}
