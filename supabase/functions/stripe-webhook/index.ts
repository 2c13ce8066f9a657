// Stripe webhook endpoint (platform + Connect): verify_jwt = false, the Stripe signature is the
// authentication, checked by the handler over the raw body with the configured secrets. Thin wiring
// over _shared/stripe_sync/webhook.ts (see there and docs/stripe-sync.md).
import { webhookEnv } from "../_shared/platform/env.ts";
import { serveFunction } from "../_shared/platform/function.ts";
import { webhookHandler } from "../_shared/stripe_sync/wiring.ts";

Deno.serve(serveFunction({
  name: "stripe-webhook",
  auth: "handler",
  env: webhookEnv,
  resources: webhookHandler,
  handler: (req, { resources: handle }) => handle(req),
}));
