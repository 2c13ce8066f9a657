// Local Auth stand-in: the part of Supabase Auth (GoTrue) supabase-js uses for email + password,
// behind the gateway at /auth/v1 (local/stack/gateway.ts). Local only: on a real project GoTrue
// serves these routes. Same requests, responses, errors and tables as GoTrue for:
//   POST /signup                          sign-up (confirmed at once unless enable_confirmations)
//   POST /token?grant_type=password       sign-in
//   POST /token?grant_type=refresh_token  refresh: rotation, reuse interval, reuse refused
//   GET  /user                            the token's user
//   POST /logout?scope=global|local|others
//   GET  /health
// Local control, not GoTrue's: POST /_local/clock {"offset_seconds": n} moves the stand-in's clock
// (every timestamp it issues or compares), so tests inject time instead of sleeping.
// See local/README-standins.md, "Auth stand-in".
import type postgres from "postgres";
import type { AuthSettings } from "./config.ts";
import {
  AuthError,
  badRequest,
  errorResponse,
  forbidden,
  oauthError,
  unprocessable,
  weakPassword,
} from "./errors.ts";
import * as store from "./store.ts";
import { newRefreshToken, signAccessToken, verifyAccessToken } from "./tokens.ts";

export interface AuthStandInOptions {
  sql: postgres.Sql;
  jwtSecret: string;
  /** The `iss` claim: `<API URL>/auth/v1`, as the Supabase CLI configures GoTrue. */
  issuer: string;
  settings: AuthSettings;
}

const AUD = "authenticated";
// bcrypt reads 72 bytes at most; GoTrue refuses longer passwords.
const MAX_PASSWORD_BYTES = 72;
// GoTrue's email format check (checkmail).
const EMAIL =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

const iso = (d: Date | null) => d?.toISOString();
const byteLength = (s: string) => new TextEncoder().encode(s).length;

/** A user as GoTrue's JSON has it (fields GoTrue omits when empty are left out). */
export function userJson(u: store.UserRow, identities: store.IdentityRow[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const put = (key: string, v: unknown) => {
    if (v !== undefined && v !== null && v !== "") out[key] = v;
  };
  Object.assign(out, { id: u.id, aud: u.aud, role: u.role, email: u.email ?? "" });
  put("email_confirmed_at", iso(u.email_confirmed_at));
  put("invited_at", iso(u.invited_at));
  out.phone = u.phone ?? "";
  put("phone_confirmed_at", iso(u.phone_confirmed_at));
  put("confirmation_sent_at", iso(u.confirmation_sent_at));
  put("confirmed_at", iso(u.confirmed_at));
  put("recovery_sent_at", iso(u.recovery_sent_at));
  put("new_email", u.email_change);
  put("email_change_sent_at", iso(u.email_change_sent_at));
  put("new_phone", u.phone_change);
  put("phone_change_sent_at", iso(u.phone_change_sent_at));
  put("reauthentication_sent_at", iso(u.reauthentication_sent_at));
  put("last_sign_in_at", iso(u.last_sign_in_at));
  out.app_metadata = u.raw_app_meta_data ?? {};
  out.user_metadata = u.raw_user_meta_data ?? {};
  out.identities = identities.map((i) => {
    const id: Record<string, unknown> = {
      identity_id: i.id,
      id: i.provider_id,
      user_id: i.user_id,
      identity_data: i.identity_data,
      provider: i.provider,
    };
    if (i.last_sign_in_at) id.last_sign_in_at = iso(i.last_sign_in_at);
    Object.assign(id, { created_at: iso(i.created_at), updated_at: iso(i.updated_at) });
    if (i.email) id.email = i.email;
    return id;
  });
  Object.assign(out, { created_at: iso(u.created_at), updated_at: iso(u.updated_at) });
  put("banned_until", iso(u.banned_until));
  put("deleted_at", iso(u.deleted_at));
  out.is_anonymous = u.is_anonymous;
  return out;
}

export class AuthStandIn {
  private offsetMs = 0;

  constructor(private readonly o: AuthStandInOptions) {}

  /** The stand-in's clock: real time moved by the offset tests set. */
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  setClockOffset(seconds: number): void {
    this.offsetMs = seconds * 1000;
  }

  async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    try {
      const route = `${req.method} ${url.pathname.replace(/\/+$/, "") || "/"}`;
      switch (route) {
        case "GET /health":
          return json(200, { version: "local-standin", name: "GoTrue", description: "local Auth stand-in (local/auth)" });
        case "POST /signup":
          return await this.signup(req);
        case "POST /token":
          return await this.token(req, url.searchParams.get("grant_type") ?? "");
        case "GET /user":
          return await this.getUser(req);
        case "POST /logout":
          return await this.logout(req, url.searchParams.get("scope") ?? "");
        case "POST /_local/clock":
          return await this.clock(req);
        default:
          return json(404, { code: 404, error_code: "not_found", msg: "Not found" });
      }
    } catch (e) {
      if (e instanceof AuthError) return errorResponse(e, req);
      if (e instanceof store.UnreadableUserError) {
        console.error(JSON.stringify({ level: "error", msg: e.message }));
        return errorResponse(new AuthError(500, "unexpected_failure", "Database error querying schema"), req);
      }
      console.error(JSON.stringify({ level: "error", msg: String(e instanceof Error ? e.stack : e) }));
      return errorResponse(
        new AuthError(500, "unexpected_failure", "Unexpected failure, please check server logs for more information"),
        req,
      );
    }
  }

  private async body(req: Request): Promise<Record<string, unknown>> {
    const text = await req.text();
    if (text.trim() === "") return {};
    try {
      const v = JSON.parse(text);
      if (v && typeof v === "object" && !Array.isArray(v)) return v;
      throw new Error("expected a JSON object");
    } catch (e) {
      throw badRequest("bad_json", `Could not parse request body as JSON: ${e instanceof Error ? e.message : e}`);
    }
  }

  /** GoTrue's password rules: too long is a 400, too weak a 422 with the reasons. */
  private checkPassword(password: string): { message: string; reasons: string[] } | null {
    const s = this.o.settings;
    if (byteLength(password) > MAX_PASSWORD_BYTES) {
      throw badRequest("validation_failed", `Password cannot be longer than ${MAX_PASSWORD_BYTES} characters`);
    }
    const messages: string[] = [];
    const reasons: string[] = [];
    if (byteLength(password) < s.minimumPasswordLength) {
      reasons.push("length");
      messages.push(`Password should be at least ${s.minimumPasswordLength} characters.`);
    }
    if (s.requiredCharacters.some((set) => ![...password].some((c) => set.includes(c)))) {
      reasons.push("characters");
      messages.push(`Password should contain at least one character of each: ${s.requiredCharacters.join(", ")}.`);
    }
    return reasons.length ? { message: messages.join(" "), reasons } : null;
  }

  private str(v: unknown): string {
    return typeof v === "string" ? v : "";
  }

  private async signup(req: Request): Promise<Response> {
    const s = this.o.settings;
    if (!s.signupEnabled) throw unprocessable("signup_disabled", "Signups not allowed for this instance");
    const p = await this.body(req);
    const email = this.str(p.email);
    const phone = this.str(p.phone);
    const password = this.str(p.password);
    const data = p.data && typeof p.data === "object" && !Array.isArray(p.data) ? p.data as Record<string, unknown> : {};
    if (password === "") throw badRequest("validation_failed", "Signup requires a valid password");
    const weak = this.checkPassword(password);
    if (weak) throw weakPassword(weak.message, weak.reasons);
    if (email && phone) {
      throw badRequest("validation_failed", "Only an email address or phone number should be provided on signup.");
    }
    // Phone sign-up is off, as in the Supabase CLI's defaults ([auth.sms] enable_signup = false).
    if (phone) throw badRequest("phone_provider_disabled", "Phone signups are disabled");
    if (!email) throw badRequest("validation_failed", "Sign up only available with email provider");
    if (byteLength(email) > 255) throw badRequest("validation_failed", "An email address is too long");
    if (!EMAIL.test(email)) throw badRequest("email_address_invalid", "Unable to validate email address: invalid format");
    const lower = email.toLowerCase();
    const now = this.now();
    const autoconfirm = !s.emailConfirmations;

    const result = await this.o.sql.begin(async (tx) => {
      const existing = await store.findUserByEmail(tx, lower, AUD);
      if (existing) {
        // A registered (confirmed) address: refused when sign-ups are confirmed at once. With
        // confirmations on, GoTrue answers as for a new user, so addresses do not leak.
        if (existing.email_confirmed_at) {
          return autoconfirm ? { exists: true as const } : { exists: false as const, userId: existing.id, fake: true };
        }
        if (!autoconfirm) return { exists: false as const, userId: existing.id, fake: false };
        // Unconfirmed, and sign-ups are confirmed at once: GoTrue confirms it and signs it in.
        await store.confirmEmail(tx, existing.id, now);
        return { exists: false as const, userId: existing.id, fake: false, session: await this.issue(tx, existing.id, now) };
      }
      const userId = await store.insertEmailUser(tx, {
        email: lower,
        password,
        userMetadata: data,
        identityData: (id) => ({ ...data, sub: id, email: lower, email_verified: false, phone_verified: false }),
        confirmedAt: autoconfirm ? now : null,
        confirmationSentAt: autoconfirm ? null : now,
        now,
      });
      if (!autoconfirm) return { exists: false as const, userId, fake: false };
      return { exists: false as const, userId, fake: false, session: await this.issue(tx, userId, now) };
    });
    if (result.exists) throw unprocessable("user_already_exists", "User already registered");
    if ("session" in result && result.session) return json(200, result.session);
    if (result.fake) {
      // Confirmations on, address already registered: a look-alike new user, so sign-up does not
      // tell who has an account (GoTrue's sanitized user).
      const at = now.toISOString();
      return json(200, {
        id: crypto.randomUUID(),
        aud: AUD,
        role: "",
        email: lower,
        phone: "",
        confirmation_sent_at: at,
        app_metadata: { provider: "email", providers: ["email"] },
        user_metadata: data,
        identities: [],
        created_at: at,
        updated_at: at,
        is_anonymous: false,
      });
    }
    // Confirmations on: the user, without a session (no email is sent locally).
    const user = await store.findUserById(this.o.sql, result.userId);
    if (!user) throw new Error("signed-up user vanished");
    return json(200, userJson(user, await store.identitiesOf(this.o.sql, user.id)));
  }

  /** A new session and its tokens: GoTrue's AccessTokenResponse. */
  private async issue(tx: store.Sql, userId: string, now: Date): Promise<Record<string, unknown>> {
    const refresh = newRefreshToken();
    const sessionId = await store.createSession(tx, userId, "password", refresh, now);
    return await this.tokenResponse(tx, userId, sessionId, refresh, now);
  }

  private async tokenResponse(tx: store.Sql, userId: string, sessionId: string, refresh: string, now: Date) {
    const user = await store.findUserById(tx, userId);
    if (!user) throw new Error(`user ${userId} vanished`);
    const { token, expiresAt } = await signAccessToken({
      user,
      sessionId,
      amr: await store.amrOf(tx, sessionId),
      issuer: this.o.issuer,
      nowSeconds: Math.floor(now.getTime() / 1000),
      expirySeconds: this.o.settings.jwtExpiry,
    }, this.o.jwtSecret);
    return {
      access_token: token,
      token_type: "bearer",
      expires_in: this.o.settings.jwtExpiry,
      expires_at: expiresAt,
      refresh_token: refresh,
      user: userJson(user, await store.identitiesOf(tx, userId)),
    };
  }

  private async token(req: Request, grantType: string): Promise<Response> {
    if (grantType === "password") return await this.passwordGrant(req);
    if (grantType === "refresh_token") return await this.refreshGrant(req);
    throw badRequest("invalid_credentials", "unsupported_grant_type");
  }

  private async passwordGrant(req: Request): Promise<Response> {
    const p = await this.body(req);
    const email = this.str(p.email);
    const phone = this.str(p.phone);
    const password = this.str(p.password);
    if (email && phone) {
      throw badRequest("validation_failed", "Only an email address or phone number should be provided on login.");
    }
    if (phone) throw unprocessable("phone_provider_disabled", "Phone logins are disabled");
    if (!email) throw badRequest("validation_failed", "missing email or phone");
    const invalid = () => badRequest("invalid_credentials", "Invalid login credentials");
    const user = await store.findUserByEmail(this.o.sql, email, AUD);
    if (!user || !user.encrypted_password) throw invalid();
    const now = this.now();
    if (user.banned_until && user.banned_until > now) throw badRequest("user_banned", "User is banned");
    if (!(await store.passwordMatches(this.o.sql, user.id, password))) throw invalid();
    if (!user.email_confirmed_at) throw badRequest("email_not_confirmed", "Email not confirmed");
    // A right password that no longer meets the rules signs in, with a warning.
    const weak = this.checkPasswordQuietly(password);
    const session = await this.o.sql.begin((tx) => this.issue(tx, user.id, now));
    return json(200, weak ? { ...session, weak_password: weak } : session);
  }

  private checkPasswordQuietly(password: string) {
    try {
      return this.checkPassword(password);
    } catch {
      return null;
    }
  }

  private async refreshGrant(req: Request): Promise<Response> {
    const p = await this.body(req);
    const refreshToken = this.str(p.refresh_token);
    if (!refreshToken) throw oauthError("invalid_request", "refresh_token required");
    const s = this.o.settings;
    const now = this.now();
    const userAgent = req.headers.get("user-agent");
    // A refused reuse revokes the session's tokens AND answers an error: commit, then throw.
    const outcome = await this.o.sql.begin(async (tx): Promise<{ error: AuthError } | { body: Record<string, unknown> }> => {
      const token = await store.lockRefreshToken(tx, refreshToken);
      const notFound = badRequest("refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found");
      if (!token) throw notFound;
      const user = await store.findUserById(tx, token.user_id);
      if (!user) throw notFound;
      if (user.banned_until && user.banned_until > now) {
        throw badRequest("user_banned", "Invalid Refresh Token: User Banned");
      }
      const session = token.session_id ? await store.lockSession(tx, token.session_id) : null;
      if (!session) {
        await store.deleteRefreshToken(tx, token.id);
        return { error: badRequest("session_not_found", "Invalid Refresh Token: No Valid Session Found") };
      }
      if (session.not_after && now > session.not_after) {
        throw badRequest("session_expired", "Invalid Refresh Token: Session Expired");
      }
      let issued: string | null = null;
      if (token.revoked) {
        const active = await store.activeRefreshToken(tx, session.id);
        if (active && active.parent === token.token) {
          // The client lost the answer to its last refresh: it gets the same active token again.
          issued = active.token;
        } else if (now.getTime() > token.updated_at.getTime() + s.refreshTokenReuseInterval * 1000) {
          if (s.refreshTokenRotation) await store.revokeSessionTokens(tx, session.id, now);
          return { error: badRequest("refresh_token_already_used", "Invalid Refresh Token: Already Used") };
        }
      }
      if (!issued) {
        issued = newRefreshToken();
        await store.revokeRefreshToken(tx, token.id, now);
        await store.insertRefreshToken(tx, user.id, session.id, issued, token.token, now);
      }
      await store.touchSessionRefresh(tx, session.id, now, userAgent);
      return { body: await this.tokenResponse(tx, user.id, session.id, issued, now) };
    });
    if ("error" in outcome) throw outcome.error;
    return json(200, outcome.body);
  }

  /** GoTrue's requireAuthentication: a valid token whose user (and session, if named) exist. */
  private async authenticate(req: Request): Promise<{ user: store.UserRow; sessionId: string | null }> {
    const m = (req.headers.get("authorization") ?? "").match(/^[Bb]earer (\S+)$/);
    if (!m) throw new AuthError(401, "no_authorization", "This endpoint requires a Bearer token");
    const v = await verifyAccessToken(m[1], this.o.jwtSecret, Math.floor(this.now().getTime() / 1000));
    if (!v.ok) throw forbidden("bad_jwt", `invalid JWT: unable to parse or verify signature, ${v.reason}`);
    const sub = v.claims.sub;
    if (typeof sub !== "string" || sub === "") throw forbidden("bad_jwt", "invalid claim: missing sub claim");
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(sub)) {
      throw badRequest("bad_jwt", "invalid claim: sub claim must be a UUID");
    }
    const user = await store.findUserById(this.o.sql, sub);
    if (!user) throw forbidden("user_not_found", "User from sub claim in JWT does not exist");
    const sid = typeof v.claims.session_id === "string" ? v.claims.session_id : "";
    if (sid && sid !== store.NIL_INSTANCE) {
      if (!/^[0-9a-f-]{36}$/i.test(sid)) throw forbidden("bad_jwt", "invalid claim: session_id claim must be a UUID");
      if (!(await store.sessionExists(this.o.sql, sid))) {
        throw forbidden("session_not_found", "Session from session_id claim in JWT does not exist");
      }
      return { user, sessionId: sid };
    }
    return { user, sessionId: null };
  }

  private async getUser(req: Request): Promise<Response> {
    const { user } = await this.authenticate(req);
    return json(200, userJson(user, await store.identitiesOf(this.o.sql, user.id)));
  }

  private async logout(req: Request, scopeParam: string): Promise<Response> {
    const { user, sessionId } = await this.authenticate(req);
    const scope = scopeParam === "" ? "global" : scopeParam;
    if (scope !== "global" && scope !== "local" && scope !== "others") {
      throw badRequest("validation_failed", `Unsupported logout scope "${scopeParam}"`);
    }
    await store.logout(this.o.sql, user.id, sessionId, scope);
    return new Response(null, { status: 204 });
  }

  private async clock(req: Request): Promise<Response> {
    const p = await this.body(req);
    if (typeof p.offset_seconds !== "number" || !Number.isFinite(p.offset_seconds)) {
      return json(400, { message: 'expected {"offset_seconds": <number>}' });
    }
    this.setClockOffset(p.offset_seconds);
    return json(200, { offset_seconds: p.offset_seconds, now: this.now().toISOString() });
  }
}

/** Serves the stand-in on 127.0.0.1:<port> (0: a free port). */
export function serveAuthStandIn(standIn: AuthStandIn, port: number): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({ port, hostname: "127.0.0.1", onListen: () => {} }, (req) => standIn.handle(req));
}
