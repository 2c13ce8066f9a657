// CLI of the local stack: start (foreground; Ctrl-C stops everything) | stop | reset | status.
// The dev stack's state (cluster, logs, pid file, the stand-in's books) lives in
// config.devStateDir(), outside the checkout, so `postgres` can reach it from any checkout.
import { startStripeStandIn } from "../stripe/server.ts";
import { pidFile, ROOT, seededMarker, stackConfig, standInStateFile, stripeUrl } from "./config.ts";
import { dropDatabase, loadBootstrap, pushMigrations } from "./database.ts";
import { join } from "./paths.ts";
import { ensureCluster, startPostgres, stopPostgres } from "./postgres.ts";
import { mirrorIntoStandIn, setupPayoutCron, setupPayoutJobs } from "./payout_jobs.ts";
import { isAlive } from "./proc.ts";
import { loadSeed } from "./seed.ts";
import { startStack, statusText } from "./stack.ts";

const config = stackConfig("dev");
// Before the state moved out of the checkout it was kept here; `stop` still stops a stack
// started from there, and `start` says it is no longer used.
const legacy = { ...config, stateDir: join(ROOT, ".local", "dev") };

async function readPids(c = config): Promise<{ supervisor: number; children: number[] } | null> {
  try {
    return JSON.parse(await Deno.readTextFile(pidFile(c)));
  } catch {
    return null;
  }
}

async function stopAt(c: typeof config): Promise<void> {
  const pids = await readPids(c);
  if (pids && isAlive(pids.supervisor) && pids.supervisor !== Deno.pid) {
    Deno.kill(pids.supervisor, "SIGTERM");
    for (let i = 0; i < 100 && isAlive(pids.supervisor); i++) await new Promise((r) => setTimeout(r, 100));
  }
  for (const pid of pids?.children ?? []) {
    if (isAlive(pid)) Deno.kill(pid, "SIGTERM");
  }
  await stopPostgres(c);
  await Deno.remove(pidFile(c)).catch(() => {});
}

const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

switch (Deno.args[0] ?? "start") {
  case "start": {
    const pids = await readPids();
    if (pids && isAlive(pids.supervisor)) {
      console.error(`local stack already running (pid ${pids.supervisor}); npm run stop first`);
      Deno.exit(1);
    }
    if (await exists(join(legacy.stateDir, "db", "PG_VERSION"))) {
      console.error(
        `note: ${legacy.stateDir}/db is a cluster of an older local stack, no longer used ` +
          `(the state is in ${config.stateDir} now); \`npm run stop\` stops it if it runs, then remove .local/dev`,
      );
    }
    const stack = await startStack(config, { console: true });
    console.log(statusText(stack));
    console.log("\nCtrl-C (or `npm run stop`) stops everything.");
    let stopping = false;
    const shutdown = async () => {
      if (stopping) return;
      stopping = true;
      await stack.stop();
      console.log("local stack stopped");
      Deno.exit(0);
    };
    Deno.addSignalListener("SIGINT", shutdown);
    Deno.addSignalListener("SIGTERM", shutdown);
    break;
  }
  case "stop":
    await stopAt(config);
    if (await exists(join(legacy.stateDir, "db", "postmaster.pid"))) await stopAt(legacy);
    console.log("local stack stopped");
    break;
  case "reset": {
    await ensureCluster(config);
    await startPostgres(config);
    await dropDatabase(config);
    await loadBootstrap(config);
    await pushMigrations(config);
    await setupPayoutJobs(config); // the functions' login and Vault entries
    await Deno.remove(seededMarker(config)).catch(() => {});
    // The seed pays its demo transfers through the Stripe stand-in (seed.ts): a new database
    // goes with new books.
    const pids = await readPids();
    if (pids && isAlive(pids.supervisor)) {
      const r = await fetch(`${stripeUrl(config)}/_standin/reset`, { method: "POST" });
      await r.body?.cancel();
      if (!r.ok) throw new Error(`Stripe stand-in reset: ${r.status}`);
      await loadSeed(config, { stripeUrl: stripeUrl(config) });
      await mirrorIntoStandIn(config);
      await setupPayoutCron(config, true);
    } else {
      await Deno.remove(standInStateFile(config)).catch(() => {});
      const standIn = await startStripeStandIn({ port: 0, stateFile: standInStateFile(config) });
      try {
        await loadSeed(config, { stripeUrl: standIn.url });
      } finally {
        await standIn.close(); // saves its books for the next `npm start`
        await stopPostgres(config);
      }
    }
    await Deno.writeTextFile(seededMarker(config), new Date().toISOString());
    console.log("database recreated from migrations + seed (Stripe stand-in's books too)");
    break;
  }
  case "status": {
    const pids = await readPids();
    console.log(pids && isAlive(pids.supervisor) ? `running (pid ${pids.supervisor})` : "not running");
    console.log(`state: ${config.stateDir}`);
    break;
  }
  default:
    console.error("usage: main.ts start|stop|reset|status");
    Deno.exit(2);
}
