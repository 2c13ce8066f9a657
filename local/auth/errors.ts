// Errors as GoTrue sends them. Their JSON depends on the request's X-Supabase-Api-Version:
//   - 2024-01-01 or later (supabase-js sends it): {"code": "<error code>", "message": "..."}, and
//     the version is echoed in the response header;
//   - none (curl, older clients): {"code": <status>, "error_code": "<error code>", "msg": "..."}.
// Both carry the code in the `x-sb-error-code` header. A weak password adds
// {"weak_password": {"reasons": [...]}}. OAuth-style errors (a refresh without a token) are
// {"error": "...", "error_description": "..."} with status 400 whatever the version.

export const API_VERSION_HEADER = "X-Supabase-Api-Version";
const API_VERSION_2024 = "2024-01-01";

export class AuthError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: { weakPasswordReasons?: string[]; oauth?: string } = {},
  ) {
    super(message);
  }
}

export const badRequest = (code: string, msg: string) => new AuthError(400, code, msg);
export const forbidden = (code: string, msg: string) => new AuthError(403, code, msg);
export const unprocessable = (code: string, msg: string) => new AuthError(422, code, msg);
export const oauthError = (error: string, description: string) => new AuthError(400, "", description, { oauth: error });
export const weakPassword = (msg: string, reasons: string[]) =>
  new AuthError(422, "weak_password", msg, { weakPasswordReasons: reasons });

/** The API version a request asks for: "2024-01-01" (any valid date from then on) or null (initial). */
export function requestApiVersion(req: Request): string | null {
  const v = req.headers.get(API_VERSION_HEADER);
  if (!v || !/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`))) return null;
  return v >= API_VERSION_2024 ? API_VERSION_2024 : null;
}

export function errorResponse(e: AuthError, req: Request): Response {
  const headers = new Headers({ "content-type": "application/json" });
  const version = requestApiVersion(req);
  if (version) headers.set(API_VERSION_HEADER, version);
  if (e.extra.oauth) {
    return new Response(JSON.stringify({ error: e.extra.oauth, error_description: e.message }), { status: 400, headers });
  }
  const code = e.code || (e.status >= 500 ? "unexpected_failure" : "unknown");
  headers.set("x-sb-error-code", code);
  const body: Record<string, unknown> = version
    ? { code, message: e.message }
    : { code: e.status, error_code: code, msg: e.message };
  if (e.extra.weakPasswordReasons) body.weak_password = { reasons: e.extra.weakPasswordReasons };
  return new Response(JSON.stringify(body), { status: e.status, headers });
}
