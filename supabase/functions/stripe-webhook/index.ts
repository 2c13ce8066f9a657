// Stripe webhook endpoint (platform + Connect): verify_jwt = false, the Stripe signature is the
// authentication. Thin wiring over _shared/stripe_webhook.ts (see there and docs/stripe-sync.md).
import { createDb } from "../_shared/db.ts";
import { EnvError, loadStripeEnv } from "../_shared/env_stripe.ts";
import { handle, HttpError } from "../_shared/http.ts";
import { createLogger } from "../_shared/log.ts";
import { createPacer } from "../_shared/pacer.ts";
import { createStripe } from "../_shared/stripe.ts";
import { createStripeReader } from "../_shared/stripe_reader.ts";
import { createWebhookInbox } from "../_shared/stripe_sync_db.ts";
import { loadWebhookEnv } from "../_shared/stripe_sync_env.ts";
import { createWebhookHandler } from "../_shared/stripe_webhook.ts";

const log = createLogger({ fn: "stripe-webhook" });

function build() {
  const env = loadWebhookEnv();
  const stripeEnv = loadStripeEnv();
  const stripe = createStripe(stripeEnv, { appInfo: { name: "supabase-marketplace-payouts", version: "0.1.0/stripe-webhook" } });
  const pacer = createPacer({ ratePerSec: stripeEnv.maxRps });
  // two connections: a delivery holds one only for its transaction, and each one opened costs the
  // isolate a login (SCRAM) out of its CPU
  const sql = createDb(env.db.url, { applicationName: "stripe-webhook", max: 2 });
  return createWebhookHandler({
    secrets: env.secrets,
    inbox: createWebhookInbox({ sql, role: env.db.role }),
    reader: createStripeReader(stripe, pacer, { maxAttempts: stripeEnv.maxAttempts }),
    log,
  });
}

let handler: ((req: Request) => Promise<Response>) | undefined;

Deno.serve(handle(async (req) => {
  try {
    handler ??= build();
  } catch (e) {
    if (e instanceof EnvError) {
      log.error("stripe-webhook misconfigured", { problems: e.problems });
      throw new HttpError(503, "misconfigured");
    }
    throw e;
  }
  return await handler(req);
}, { log }));
