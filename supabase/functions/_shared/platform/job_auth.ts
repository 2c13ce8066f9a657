/**
 * Doorbell authentication: pg_cron → pg_net `net.http_post` calls a job function with the narrow job
 * secret (read from Vault by SQL; never the service-role key) in `x-job-secret: <secret>` or
 * `Authorization: Bearer <secret>`. `x-job-secret` wins when both are present (so the gateway's
 * `Authorization` can carry something else).
 *
 * The comparison is constant-time: the loop always runs over every byte of the expected secret
 * (whose length is public: at least 32 characters) and never stops early, whatever is presented.
 * Plain code rather than WebCrypto: its first use costs an isolate ~50 ms of its 2 s of CPU.
 * Failures answer `401 {"error":"unauthorized","reason":…}` with
 * `reason` one of `missing_secret`, `malformed_authorization`, `secret_mismatch`.
 */
import { HttpError } from "./http.ts";

/** Why a request was refused. */
export type JobAuthFailure = "missing_secret" | "malformed_authorization" | "secret_mismatch";

/** Result of `checkJobSecret`. */
export type JobAuthResult = { ok: true; via: "x-job-secret" | "authorization" } | {
  ok: false;
  reason: JobAuthFailure;
};

const encoder = new TextEncoder();

/**
 * Compares a presented string with the expected one in time that depends only on the expected
 * one's length: not on where (or whether) they differ, nor on the presented length.
 */
export function timingSafeEqualStrings(presented: string, expected: string): Promise<boolean> {
  const x = encoder.encode(presented);
  const y = encoder.encode(expected);
  let diff = x.length ^ y.length;
  for (let i = 0; i < y.length; i++) diff |= (x[i % (x.length || 1)] ?? 0) ^ y[i];
  return Promise.resolve(diff === 0);
}

/** Extracts the presented secret: `x-job-secret`, else `Authorization: Bearer …`. */
export function presentedSecret(req: Request): { secret: string; via: "x-job-secret" | "authorization" } | {
  error: "missing_secret" | "malformed_authorization";
} {
  const header = req.headers.get("x-job-secret");
  if (header !== null && header.trim() !== "") return { secret: header.trim(), via: "x-job-secret" };
  const auth = req.headers.get("authorization");
  if (auth === null || auth.trim() === "") return { error: "missing_secret" };
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth.trim());
  if (!m) return { error: "malformed_authorization" };
  return { secret: m[1], via: "authorization" };
}

/**
 * Checks the job secret of a request against `expected`. Never throws for bad input; an empty
 * `expected` refuses everything (misconfiguration must not open the door).
 */
export async function checkJobSecret(req: Request, expected: string): Promise<JobAuthResult> {
  const p = presentedSecret(req);
  if ("error" in p) return { ok: false, reason: p.error };
  // Compare even when expected is empty so the timing does not tell that apart.
  const same = await timingSafeEqualStrings(p.secret, expected);
  return same && expected.length > 0 ? { ok: true, via: p.via } : { ok: false, reason: "secret_mismatch" };
}

/** Like `checkJobSecret`, but throws `HttpError(401, reason)` (→ `{error:"unauthorized", reason}`). */
export async function requireJobSecret(req: Request, expected: string): Promise<void> {
  const r = await checkJobSecret(req, expected);
  if (!r.ok) throw new HttpError(401, r.reason, { headers: { "www-authenticate": 'Bearer realm="payout-jobs"' } });
}
