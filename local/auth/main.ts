/**
 * CLI of the local Auth stand-in (local only; see server.ts and local/README-standins.md):
 *   deno run -A local/auth/main.ts --port 54330 --db-url postgresql://postgres:postgres@127.0.0.1:54322/postgres
 *     --jwt-secret <secret> --issuer http://127.0.0.1:54321/auth/v1 [--config supabase/config.toml]
 * Started by the local stack (local/stack/stack.ts) and reached through the gateway at /auth/v1.
 * Prints one JSON line when listening; exits 0 on SIGINT/SIGTERM.
 */
import postgres from "postgres";
import { authSettings } from "./config.ts";
import { AuthStandIn, serveAuthStandIn } from "./server.ts";

function arg(name: string): string | undefined {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}

function required(name: string): string {
  const v = arg(name);
  if (!v) {
    console.error(`missing --${name}`);
    Deno.exit(2);
  }
  return v;
}

const port = Number(required("port"));
const configPath = arg("config") ?? new URL("../../supabase/config.toml", import.meta.url).pathname;
const settings = authSettings(await Deno.readTextFile(configPath));
const sql = postgres(required("db-url"), { max: 4, onnotice: () => {}, connection: { application_name: "auth standin" } });
const standIn = new AuthStandIn({ sql, jwtSecret: required("jwt-secret"), issuer: required("issuer"), settings });
const server = serveAuthStandIn(standIn, port);
console.log(JSON.stringify({ event: "listening", port: server.addr.port, settings }));

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  await server.shutdown();
  await sql.end({ timeout: 5 });
  console.log(JSON.stringify({ event: "stopped", signal }));
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", () => void stop("SIGINT"));
Deno.addSignalListener("SIGTERM", () => void stop("SIGTERM"));
