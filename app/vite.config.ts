// The console's build (`vite build`, run by local/stack/console.ts) and dev server
// (`npm run console:dev`, which passes the API's config.js in CONSOLE_CONFIG_JS).
import preact from "@preact/preset-vite";
import { defineConfig } from "vite";

export default defineConfig({
  root: new URL(".", import.meta.url).pathname,
  plugins: [
    preact(),
    {
      name: "console-config",
      configureServer(server) {
        server.middlewares.use("/config.js", (_req, res) => {
          res.setHeader("content-type", "text/javascript");
          res.end(process.env.CONSOLE_CONFIG_JS ?? "");
        });
      },
    },
  ],
  build: { emptyOutDir: true, chunkSizeWarningLimit: 1024 },
  server: { host: "127.0.0.1" },
});
