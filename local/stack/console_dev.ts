// `npm run console:dev`: Vite's dev server (hot reload) for app/, against the dev stack's API
// (`npm start` in another terminal; LOCAL_STACK_PORT moves both). Serves at the API port + 3.
import { apiUrl, ROOT, stackConfig } from "./config.ts";
import { CONSOLE_SRC, configJs } from "./console.ts";
import { apiKeys } from "./jwt.ts";
import { join } from "./paths.ts";

const c = stackConfig("dev");
const keys = await apiKeys(c.jwtSecret);
const port = c.apiPort + 3;
console.log(`console dev server at http://127.0.0.1:${port} (API ${apiUrl(c)}: npm start must be running)`);
const child = new Deno.Command(join(ROOT, "node_modules", ".bin", "vite"), {
  args: ["--port", String(port), "--strictPort"],
  cwd: CONSOLE_SRC,
  env: { CONSOLE_CONFIG_JS: configJs(apiUrl(c), keys.anon) },
  stdin: "inherit",
  stdout: "inherit",
  stderr: "inherit",
}).spawn();
for (const sig of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(sig, () => child.kill(sig));
Deno.exit((await child.status).code);
