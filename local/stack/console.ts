// The console (app/): built with Vite and served as static files, next to a /config.js that tells
// it the API's URL and anon key. `npm start` serves it at the API port + 2 (54323, where the
// Supabase CLI serves Studio); the test runner serves it for the browser tests.
import { ROOT } from "./config.ts";
import { extname, join } from "./paths.ts";
import { run } from "./proc.ts";

export const CONSOLE_SRC = join(ROOT, "app");

/** `vite build` of app/ into outDir (emptied first). */
export async function buildConsole(outDir: string): Promise<void> {
  await run(join(ROOT, "node_modules", ".bin", "vite"), ["build", "--outDir", outDir, "--logLevel", "warn"], {
    cwd: CONSOLE_SRC,
  });
}

/** The script that hands the console its API (the anon key is public by design). */
export const configJs = (apiUrl: string, anonKey: string) =>
  `globalThis.CONSOLE_CONFIG = ${JSON.stringify({ apiUrl, anonKey })};\n`;

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
};

/** Serves a built console (its files, /config.js, index.html for any other path). */
export function serveConsole(opts: { port: number; dir: string; apiUrl: string; anonKey: string }): Deno.HttpServer {
  const config = configJs(opts.apiUrl, opts.anonKey);
  return Deno.serve({ port: opts.port, hostname: "127.0.0.1", onListen: () => {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    if (path === "/config.js") {
      return new Response(config, { headers: { "content-type": TYPES[".js"], "cache-control": "no-store" } });
    }
    const file = path.split("/").some((seg) => seg === "..") || path === "/" ? "index.html" : path.slice(1);
    const body = await Deno.readFile(join(opts.dir, file)).catch(() => null);
    if (body) {
      return new Response(body, { headers: { "content-type": TYPES[extname(file)] ?? "application/octet-stream" } });
    }
    const index = await Deno.readFile(join(opts.dir, "index.html"));
    return new Response(index, { headers: { "content-type": TYPES[".html"] } });
  });
}
