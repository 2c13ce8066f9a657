// CLI of the local stack: start (foreground; Ctrl-C stops everything) | stop | reset | status.
import { pidFile, stackConfig } from "./config.ts";
import { dropDatabase, loadBootstrap, loadSeed, pushMigrations } from "./database.ts";
import { ensureCluster, startPostgres, stopPostgres } from "./postgres.ts";
import { setupPayoutCron, setupPayoutJobs } from "./payout_jobs.ts";
import { isAlive } from "./proc.ts";
import { startStack, statusText } from "./stack.ts";

const config = stackConfig("dev");

async function readPids(): Promise<{ supervisor: number; children: number[] } | null> {
  try {
    return JSON.parse(await Deno.readTextFile(pidFile(config)));
  } catch {
    return null;
  }
}

async function stop(): Promise<void> {
  const pids = await readPids();
  if (pids && isAlive(pids.supervisor) && pids.supervisor !== Deno.pid) {
    Deno.kill(pids.supervisor, "SIGTERM");
    for (let i = 0; i < 100 && isAlive(pids.supervisor); i++) await new Promise((r) => setTimeout(r, 100));
  }
  for (const pid of pids?.children ?? []) {
    if (isAlive(pid)) Deno.kill(pid, "SIGTERM");
  }
  await stopPostgres(config);
  await Deno.remove(pidFile(config)).catch(() => {});
  console.log("local stack stopped");
}

switch (Deno.args[0] ?? "start") {
  case "start": {
    const pids = await readPids();
    if (pids && isAlive(pids.supervisor)) {
      console.error(`local stack already running (pid ${pids.supervisor}); npm run stop first`);
      Deno.exit(1);
    }
    const stack = await startStack(config);
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
    await stop();
    break;
  case "reset": {
    await ensureCluster(config);
    await startPostgres(config);
    await dropDatabase(config);
    await loadBootstrap(config);
    await pushMigrations(config);
    await loadSeed(config);
    await setupPayoutJobs(config); // the functions' login and Vault entries
    const pids = await readPids();
    if (pids && isAlive(pids.supervisor)) await setupPayoutCron(config, true);
    if (!pids || !isAlive(pids.supervisor)) await stopPostgres(config);
    console.log("database recreated from migrations + seed");
    break;
  }
  case "status": {
    const pids = await readPids();
    console.log(pids && isAlive(pids.supervisor) ? `running (pid ${pids.supervisor})` : "not running");
    break;
  }
  default:
    console.error("usage: main.ts start|stop|reset|status");
    Deno.exit(2);
}
