// Liveness of the Edge Functions path (gateway → functions server → this handler). verify_jwt = true:
// the gateway checked the caller's JWT; any method, no configuration.
import { noEnv } from "../_shared/platform/env.ts";
import { serveFunction } from "../_shared/platform/function.ts";
import { json } from "../_shared/platform/http.ts";

Deno.serve(serveFunction({
  name: "health",
  auth: "gateway",
  methods: "any",
  env: noEnv,
  handler: (req) => json(200, { status: "ok", function: "health", method: req.method, time: new Date().toISOString() }),
}));
