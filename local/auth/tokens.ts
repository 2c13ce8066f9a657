// Access tokens and refresh tokens as GoTrue issues them: HS256 with the project's JWT secret
// (locally the stack's, local/stack/config.ts), GoTrue's claims, opaque rotating refresh tokens.
import { signJwt } from "../stack/jwt.ts";

export interface UserClaimsSource {
  id: string;
  aud: string;
  role: string;
  email: string | null;
  phone: string | null;
  raw_app_meta_data: Record<string, unknown> | null;
  raw_user_meta_data: Record<string, unknown> | null;
  is_anonymous: boolean;
}

export interface AccessTokenInput {
  user: UserClaimsSource;
  sessionId: string;
  /** `amr`: how the session was authenticated, with when (unix seconds). */
  amr: { method: string; timestamp: number }[];
  issuer: string;
  nowSeconds: number;
  expirySeconds: number;
}

/** GoTrue's access token claims, in its order. */
export function accessTokenClaims(t: AccessTokenInput): Record<string, unknown> {
  return {
    iss: t.issuer,
    sub: t.user.id,
    aud: t.user.aud,
    exp: t.nowSeconds + t.expirySeconds,
    iat: t.nowSeconds,
    email: t.user.email ?? "",
    phone: t.user.phone ?? "",
    app_metadata: t.user.raw_app_meta_data ?? {},
    user_metadata: t.user.raw_user_meta_data ?? {},
    role: t.user.role,
    aal: "aal1",
    amr: t.amr,
    session_id: t.sessionId,
    is_anonymous: t.user.is_anonymous,
  };
}

export async function signAccessToken(t: AccessTokenInput, secret: string): Promise<{ token: string; expiresAt: number }> {
  const claims = accessTokenClaims(t);
  return { token: await signJwt(claims, secret), expiresAt: claims.exp as number };
}

const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

/** An opaque refresh token (12 lowercase letters and digits, as GoTrue's). */
export function newRefreshToken(): string {
  let out = "";
  // Bytes from 252 up are dropped (252 = 7 * 36), so every character is equally likely.
  while (out.length < 12) {
    for (const b of crypto.getRandomValues(new Uint8Array(16))) if (b < 252 && out.length < 12) out += ALPHABET[b % 36];
  }
  return out;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function fromB64url(s: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new Error("illegal base64 data");
  const pad = s.replaceAll("-", "+").replaceAll("_", "/") + "===".slice((s.length + 3) % 4);
  return Uint8Array.from(atob(pad), (c) => c.charCodeAt(0));
}

export type VerifiedJwt = { ok: true; claims: Record<string, unknown> } | { ok: false; reason: string };

/**
 * Verifies an HS256 token the way GoTrue's JWT library reports it: the reason is the library's
 * wording (malformed, signature, expired), which GoTrue puts after "invalid JWT: unable to parse
 * or verify signature, ".
 */
export async function verifyAccessToken(token: string, secret: string, nowSeconds: number): Promise<VerifiedJwt> {
  const parts = token.split(".");
  if (parts.length !== 3) return { ok: false, reason: "token is malformed: token contains an invalid number of segments" };
  let header: Record<string, unknown>;
  let claims: Record<string, unknown>;
  try {
    header = JSON.parse(dec.decode(fromB64url(parts[0])));
    claims = JSON.parse(dec.decode(fromB64url(parts[1])));
  } catch {
    return { ok: false, reason: "token is malformed: could not JSON decode token" };
  }
  if (header.alg !== "HS256") return { ok: false, reason: "token is unverifiable: error while executing keyfunc: missing kid" };
  let signature: Uint8Array<ArrayBuffer>;
  try {
    signature = fromB64url(parts[2]);
  } catch {
    return { ok: false, reason: "token signature is invalid: illegal base64 data" };
  }
  const key = await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  if (!(await crypto.subtle.verify("HMAC", key, signature, enc.encode(`${parts[0]}.${parts[1]}`)))) {
    return { ok: false, reason: "token signature is invalid: signature is invalid" };
  }
  if (typeof claims.exp === "number" && nowSeconds >= claims.exp) {
    return { ok: false, reason: "token has invalid claims: token is expired" };
  }
  if (typeof claims.nbf === "number" && nowSeconds < claims.nbf) {
    return { ok: false, reason: "token has invalid claims: token is not valid yet" };
  }
  return { ok: true, claims };
}
