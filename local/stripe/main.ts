/**
 * CLI: `npx deno run -A local/stripe/main.ts --port 54334 [--hostname 127.0.0.1]
 *        [--webhook-url http://...] [--platform-secret whsec_...] [--connect-secret whsec_...]
 *        [--allow-remote-control] [--state-file path.json]`
 * Env fallbacks: STRIPE_STANDIN_PORT, STRIPE_STANDIN_HOSTNAME, STRIPE_STANDIN_WEBHOOK_URL,
 * STRIPE_WEBHOOK_SECRET, STRIPE_CONNECT_WEBHOOK_SECRET.
 * --state-file: the books and idempotency keys survive restarts (local/stripe/persist.ts).
 * Prints one JSON line when listening; exits 0 on SIGINT/SIGTERM.
 */
import { PINNED_API_VERSION, startStripeStandIn } from "./server.ts";

function arg(name: string): string | undefined {
  const i = Deno.args.indexOf(`--${name}`);
  if (i >= 0) return Deno.args[i + 1];
  const eq = Deno.args.find((a) => a.startsWith(`--${name}=`));
  return eq?.slice(name.length + 3);
}

const env = (k: string) => Deno.env.get(k) || undefined;
const port = Number(arg("port") ?? env("STRIPE_STANDIN_PORT") ?? "54334");
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`invalid --port ${arg("port")}`);
  Deno.exit(2);
}

const standIn = await startStripeStandIn({
  port,
  hostname: arg("hostname") ?? env("STRIPE_STANDIN_HOSTNAME") ?? "127.0.0.1",
  webhookUrl: arg("webhook-url") ?? env("STRIPE_STANDIN_WEBHOOK_URL"),
  webhookSecrets: {
    platform: arg("platform-secret") ?? env("STRIPE_WEBHOOK_SECRET"),
    connect: arg("connect-secret") ?? env("STRIPE_CONNECT_WEBHOOK_SECRET"),
  },
  allowRemoteControl: Deno.args.includes("--allow-remote-control"),
  stateFile: arg("state-file"),
});

console.log(JSON.stringify({
  event: "listening",
  url: standIn.url,
  port: standIn.port,
  api_version: PINNED_API_VERSION,
  webhook_url: standIn.state.webhooks.url ?? null,
  state_file: arg("state-file") ?? null,
  transfers: standIn.state.ledger.transfers.size,
}));

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  await standIn.close();
  console.log(JSON.stringify({ event: "stopped", signal }));
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", () => void stop("SIGINT"));
Deno.addSignalListener("SIGTERM", () => void stop("SIGTERM"));
