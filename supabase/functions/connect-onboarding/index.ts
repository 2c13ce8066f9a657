// Connect onboarding of recruiters (verify_jwt = true: the platform checked the caller's JWT,
// which every database question is then asked with, through PostgREST). Thin wiring over
// _shared/connect/onboarding.ts. Body: {"action": "onboard" | "status" | "login_link",
// "recruiter_id"?: uuid (admins), "country"?: "GB", "replace_reason"?: text (admins)}.
import { z } from "zod";
import { handleOnboarding } from "../_shared/connect/onboarding.ts";
import { createOnboardingApi, createOnboardingDb, createOnboardingStripe } from "../_shared/connect/wiring.ts";
import { connectOnboardingEnv } from "../_shared/platform/env.ts";
import { serveFunction } from "../_shared/platform/function.ts";
import { HttpError, json } from "../_shared/platform/http.ts";
import { syncClients } from "../_shared/stripe_sync/wiring.ts";

Deno.serve(serveFunction({
  name: "connect-onboarding",
  auth: "gateway",
  cors: {},
  env: connectOnboardingEnv,
  resources: syncClients,
  body: z.object({
    action: z.enum(["onboard", "status", "login_link"]).default("onboard"),
    recruiter_id: z.uuid().optional(),
    country: z.string().regex(/^[A-Za-z]{2}$/).optional(),
    replace_reason: z.string().min(1).max(500).optional(),
  }),
  handler: async (req, { config, resources: c, body, log }) => {
    const authorization = req.headers.get("authorization");
    if (!authorization) throw new HttpError(401, "missing_authorization");
    const result = await handleOnboarding({
      api: createOnboardingApi(config.connect, authorization),
      db: createOnboardingDb(c.db),
      stripe: createOnboardingStripe(c.stripe, c.pacer, c.maxAttempts),
      settings: config.connect,
    }, body);
    log.info("connect onboarding", { action: body.action, recruiter_id: result.recruiter_id ?? null });
    return json(200, result);
  },
}));
