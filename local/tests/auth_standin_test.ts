// The local Auth stand-in (local/auth/) through the gateway at /auth/v1, driven by the real
// supabase-js client as a frontend drives GoTrue: sign-up, password sign-in, getUser, refresh
// rotation and reuse, sign-out, and GoTrue's token claims and error answers. Time is moved with
// the stand-in's clock (POST /_local/auth/clock), never slept on.
import { AuthApiError, AuthWeakPasswordError, createClient, type SupabaseClient } from "@supabase/supabase-js";
import assert from "node:assert/strict";
import { type AuthSettings, authSettings } from "../auth/config.ts";
import { AuthStandIn } from "../auth/server.ts";
import { signJwt, verifyJwt } from "../stack/jwt.ts";
import { adminSql, stackEnv } from "./support.ts";

const url = stackEnv("SUPABASE_URL");
const anonKey = stackEnv("SUPABASE_ANON_KEY");
const secret = stackEnv("SUPABASE_JWT_SECRET");
const PASSWORD = "correct-horse-battery";

const client = (token?: string): SupabaseClient =>
  createClient(url, anonKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    ...(token ? { global: { headers: { Authorization: `Bearer ${token}` } } } : {}),
  });

const claimsOf = (jwt: string) =>
  JSON.parse(new TextDecoder().decode(Uint8Array.from(
    atob(jwt.split(".")[1].replaceAll("-", "+").replaceAll("_", "/")),
    (c) => c.charCodeAt(0),
  )));

/** Moves the stand-in's clock `seconds` from real time (0 puts it back). */
async function setClock(seconds: number) {
  const r = await fetch(`${url}/_local/auth/clock`, { method: "POST", body: JSON.stringify({ offset_seconds: seconds }) });
  const body = await r.text();
  assert.equal(r.status, 200, body);
}

/**
 * A second stand-in on the same database with other `[auth]` settings (the stack's reads
 * supabase/config.toml), served at <its url>/auth/v1 as the gateway serves the stack's.
 */
function standInWith(settings: AuthSettings) {
  const sql = adminSql();
  const standIn = new AuthStandIn({ sql, jwtSecret: secret, issuer: "http://127.0.0.1/auth/v1", settings });
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, (req) => {
    const u = new URL(req.url);
    u.pathname = u.pathname.replace(/^\/auth\/v1/, "");
    return standIn.handle(new Request(u, req));
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  return {
    client: () =>
      createClient(base, anonKey, { auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false } }),
    close: async () => {
      await server.shutdown();
      await sql.end();
    },
  };
}

/** A raw request to /auth/v1, as curl would send it (no supabase-js). */
async function raw(path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const r = await fetch(`${url}/auth/v1${path}`, {
    method: init.method ?? "POST",
    headers: { apikey: anonKey, "content-type": "application/json", ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await r.text();
  return { status: r.status, headers: r.headers, body: text ? JSON.parse(text) : null };
}

Deno.test({
  name: "Auth stand-in: supabase-js sign-up, sign-in, refresh, getUser and sign-out as against GoTrue",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const sql = adminSql();
    const tag = crypto.randomUUID().slice(0, 8);
    const email = `auth-standin-${tag}@example.test`;
    try {
      await t.step("sign-up: a confirmed user, bcrypt (cost 10) through pgcrypto, a session with GoTrue's claims", async () => {
        const { data, error } = await client().auth.signUp({
          email: email.toUpperCase(),
          password: PASSWORD,
          options: { data: { display_name: "Stand-in" } },
        });
        assert.equal(error, null, JSON.stringify(error));
        const { user, session } = data;
        assert.ok(user && session);
        assert.equal(user.email, email, "emails are stored in lower case");
        assert.equal(user.role, "authenticated");
        assert.ok(user.email_confirmed_at);
        assert.equal(user.user_metadata.display_name, "Stand-in");
        assert.deepEqual(user.identities?.map((i) => [i.provider, i.id, i.user_id]), [["email", user.id, user.id]]);
        assert.equal(session.token_type, "bearer");
        assert.equal(session.expires_in, 3600, "supabase/config.toml jwt_expiry");

        const claims = await verifyJwt(session.access_token, secret);
        assert.ok(claims, "signed with the stack's JWT secret");
        assert.deepEqual(Object.keys(claims), [
          "iss", "sub", "aud", "exp", "iat", "email", "phone", "app_metadata", "user_metadata", "role", "aal", "amr",
          "session_id", "is_anonymous",
        ]);
        assert.deepEqual(
          [claims.iss, claims.sub, claims.aud, claims.role, claims.email, claims.phone, claims.aal, claims.is_anonymous],
          [`${url}/auth/v1`, user.id, "authenticated", "authenticated", email, "", "aal1", false],
        );
        assert.equal((claims.exp as number) - (claims.iat as number), 3600);
        assert.equal(session.expires_at, claims.exp);
        assert.deepEqual(claims.app_metadata, { provider: "email", providers: ["email"] });
        assert.deepEqual((claims.amr as { method: string }[]).map((a) => a.method), ["password"]);

        const [row] = await sql<{ hash_ok: boolean; cost: string; sessions: number; tokens: number }[]>`
          select u.encrypted_password = extensions.crypt(${PASSWORD}, u.encrypted_password) as hash_ok,
                 substr(u.encrypted_password, 1, 7) as cost,
                 (select count(*)::int from auth.sessions s where s.id = ${claims.session_id as string} and s.user_id = u.id) as sessions,
                 (select count(*)::int from auth.refresh_tokens r
                   where r.token = ${session.refresh_token} and not r.revoked and r.session_id = ${claims.session_id as string}) as tokens
            from auth.users u where u.id = ${user.id}`;
        assert.deepEqual(row, { hash_ok: true, cost: "$2a$10$", sessions: 1, tokens: 1 });
      });

      await t.step("sign-up refused: a registered address (422), a weak password (422), a bad address (400)", async () => {
        const again = await client().auth.signUp({ email, password: PASSWORD });
        assert.ok(again.error instanceof AuthApiError);
        assert.deepEqual([again.error.status, again.error.code, again.error.message], [422, "user_already_exists", "User already registered"]);

        const weak = await client().auth.signUp({ email: `weak-${email}`, password: "abc" });
        assert.ok(weak.error instanceof AuthWeakPasswordError);
        assert.deepEqual([weak.error.status, weak.error.code, weak.error.reasons], [422, "weak_password", ["length"]]);

        const bad = await client().auth.signUp({ email: "not-an-address", password: PASSWORD });
        assert.deepEqual([bad.error?.status, bad.error?.code], [400, "email_address_invalid"]);
        const [{ n }] = await sql<{ n: number }[]>`
          select count(*)::int as n from auth.users where email in (${`weak-${email}`}, 'not-an-address')`;
        assert.equal(n, 0, "a refused sign-up writes nothing");
      });

      await t.step("sign-in: the right password opens a new session; a wrong one or an unknown address 400", async () => {
        const db = client();
        const { data, error } = await db.auth.signInWithPassword({ email, password: PASSWORD });
        assert.equal(error, null, JSON.stringify(error));
        assert.equal(data.user.email, email);
        assert.ok(data.user.last_sign_in_at);
        const own = await db.auth.getUser();
        assert.equal(own.data.user?.id, data.user.id, "getUser with the session's token");

        for (const creds of [{ email, password: "wrong-password" }, { email: `nobody-${email}`, password: PASSWORD }]) {
          const r = await client().auth.signInWithPassword(creds);
          assert.ok(r.error instanceof AuthApiError);
          assert.deepEqual([r.error.status, r.error.code, r.error.message], [400, "invalid_credentials", "Invalid login credentials"]);
          assert.equal(r.data.session, null);
        }
      });

      await t.step("getUser: a forged or malformed token 403 bad_jwt; a user that does not exist 403", async () => {
        const forged = await signJwt({ sub: crypto.randomUUID(), role: "authenticated" }, "another-secret-of-at-least-32-characters!");
        for (const token of [forged, "not.a.jwt"]) {
          const r = await client().auth.getUser(token);
          assert.deepEqual([r.error?.status, (r.error as AuthApiError).code], [403, "bad_jwt"]);
        }
        const ghost = await client().auth.getUser(await signJwt({ sub: crypto.randomUUID(), role: "authenticated" }, secret));
        assert.deepEqual([ghost.error?.status, (ghost.error as AuthApiError).code], [403, "user_not_found"]);
      });

      await t.step("refresh rotates; the previous token gets the active one; a later reuse is refused and revokes the session", async () => {
        const db = client();
        const first = (await db.auth.signInWithPassword({ email, password: PASSWORD })).data.session!;
        const sessionId = claimsOf(first.access_token).session_id;
        const second = (await db.auth.refreshSession({ refresh_token: first.refresh_token })).data.session!;
        assert.notEqual(second.refresh_token, first.refresh_token, "rotated");
        assert.equal(claimsOf(second.access_token).session_id, sessionId, "same session");
        const [{ parent, revoked }] = await sql<{ parent: string; revoked: boolean }[]>`
          select parent, (select revoked from auth.refresh_tokens where token = ${first.refresh_token}) as revoked
            from auth.refresh_tokens where token = ${second.refresh_token}`;
        assert.deepEqual([parent, revoked], [first.refresh_token, true]);

        // The client lost the answer: the revoked parent of the active token yields that token.
        const retried = await client().auth.refreshSession({ refresh_token: first.refresh_token });
        assert.equal(retried.error, null, JSON.stringify(retried.error));
        assert.equal(retried.data.session?.refresh_token, second.refresh_token);

        const third = (await client().auth.refreshSession({ refresh_token: second.refresh_token })).data.session!;
        try {
          await setClock(11); // past the reuse interval (refresh_token_reuse_interval, 10 s)
          const reused = await client().auth.refreshSession({ refresh_token: first.refresh_token });
          assert.ok(reused.error instanceof AuthApiError);
          assert.deepEqual(
            [reused.error.status, reused.error.code, reused.error.message],
            [400, "refresh_token_already_used", "Invalid Refresh Token: Already Used"],
          );
          const [{ active }] = await sql<{ active: number }[]>`
            select count(*)::int as active from auth.refresh_tokens where session_id = ${sessionId} and not revoked`;
          assert.equal(active, 0, "every token of the session is revoked");
          await setClock(22);
          const latest = await client().auth.refreshSession({ refresh_token: third.refresh_token });
          assert.equal((latest.error as AuthApiError)?.code, "refresh_token_already_used", "the newest token too");
        } finally {
          await setClock(0);
        }
      });

      await t.step("sign-out: local ends this session only, global every one; their tokens are refused", async () => {
        const a = client();
        const b = client();
        const sa = (await a.auth.signInWithPassword({ email, password: PASSWORD })).data.session!;
        const sb = (await b.auth.signInWithPassword({ email, password: PASSWORD })).data.session!;

        assert.equal((await a.auth.signOut({ scope: "local" })).error, null);
        assert.equal((await a.auth.getSession()).data.session, null, "supabase-js dropped the session");
        const refusedA = await client().auth.refreshSession({ refresh_token: sa.refresh_token });
        assert.deepEqual([refusedA.error?.status, (refusedA.error as AuthApiError).code], [400, "refresh_token_not_found"]);
        const stale = await client().auth.getUser(sa.access_token);
        assert.equal(stale.error?.name, "AuthSessionMissingError", "403 session_not_found, as supabase-js reads it");
        assert.equal((await client().auth.getUser(sb.access_token)).error, null, "the other session lives");

        assert.equal((await b.auth.signOut()).error, null);
        const refusedB = await client().auth.refreshSession({ refresh_token: sb.refresh_token });
        assert.equal((refusedB.error as AuthApiError).code, "refresh_token_not_found");
        const [{ sessions }] = await sql<{ sessions: number }[]>`
          select count(*)::int as sessions from auth.sessions s join auth.users u on u.id = s.user_id where u.email = ${email}`;
        assert.equal(sessions, 0, "global sign-out ends every session of the user");
      });

      await t.step("an expired access token: PostgREST refuses it (401 PGRST301), Auth too (403 bad_jwt)", async () => {
        let expired: string;
        try {
          await setClock(-7200); // signed in two hours ago: the token expired an hour ago
          expired = (await client().auth.signInWithPassword({ email, password: PASSWORD })).data.session!.access_token;
        } finally {
          await setClock(0);
        }
        const claims = claimsOf(expired);
        assert.ok(claims.exp < Date.now() / 1000, "expired");
        const r = await client(expired).from("recruiters").select("id");
        assert.equal(r.status, 401);
        assert.equal(r.error?.code, "PGRST301", JSON.stringify(r.error));
        const u = await client().auth.getUser(expired);
        assert.deepEqual([u.error?.status, (u.error as AuthApiError).code], [403, "bad_jwt"]);
        assert.match(u.error!.message, /token is expired/);
      });

      await t.step("errors as GoTrue sends them: by API version; OAuth form for a refresh without token", async () => {
        const body = { email, password: "wrong-password" };
        const versioned = await raw("/token?grant_type=password", { body, headers: { "X-Supabase-Api-Version": "2024-01-01" } });
        assert.equal(versioned.status, 400);
        assert.deepEqual(versioned.body, { code: "invalid_credentials", message: "Invalid login credentials" });
        assert.equal(versioned.headers.get("x-supabase-api-version"), "2024-01-01");
        assert.equal(versioned.headers.get("x-sb-error-code"), "invalid_credentials");

        const legacy = await raw("/token?grant_type=password", { body });
        assert.deepEqual(legacy.body, { code: 400, error_code: "invalid_credentials", msg: "Invalid login credentials" });

        const noToken = await raw("/token?grant_type=refresh_token", { body: {} });
        assert.deepEqual([noToken.status, noToken.body], [400, { error: "invalid_request", error_description: "refresh_token required" }]);

        const anonymous = await raw("/user", { method: "GET" });
        assert.deepEqual([anonymous.status, anonymous.body.error_code], [403, "bad_jwt"], "the apikey is sent as the token");
      });

      await t.step("the gateway wants a project key for /auth/v1, as for /rest/v1", async () => {
        const none = await fetch(`${url}/auth/v1/token?grant_type=password`, { method: "POST", body: "{}" });
        assert.deepEqual([none.status, (await none.json()).message], [401, "No API key found in request"]);
        const forged = await raw("/signup", {
          body: { email: `forged-${email}`, password: PASSWORD },
          headers: { apikey: await signJwt({ role: "anon" }, secret) },
        });
        assert.deepEqual([forged.status, forged.body.message], [401, "Invalid API key"]);
      });

      await t.step("settings from config.toml: confirmations, sign-ups off, password requirements", async () => {
        assert.deepEqual(authSettings(""), {
          jwtExpiry: 3600,
          signupEnabled: true,
          emailConfirmations: false,
          refreshTokenRotation: true,
          refreshTokenReuseInterval: 10,
          minimumPasswordLength: 6,
          requiredCharacters: [],
        }, "the Supabase CLI's defaults");
        const confirming = standInWith(authSettings("[auth.email]\nenable_confirmations = true\n"));
        try {
          const pending = `pending-${email}`;
          const up = await confirming.client().auth.signUp({ email: pending, password: PASSWORD });
          assert.equal(up.error, null, JSON.stringify(up.error));
          assert.equal(up.data.session, null, "no session before the address is confirmed");
          assert.ok(up.data.user?.confirmation_sent_at);
          assert.equal(up.data.user?.email_confirmed_at, undefined);
          const early = await confirming.client().auth.signInWithPassword({ email: pending, password: PASSWORD });
          assert.deepEqual([early.error?.status, (early.error as AuthApiError).code], [400, "email_not_confirmed"]);

          // A registered address gets a look-alike user: sign-up does not tell who has an account.
          const [known] = await sql<{ id: string }[]>`select id from auth.users where email = ${email}`;
          const again = await confirming.client().auth.signUp({ email, password: "another-password" });
          assert.equal(again.error, null, JSON.stringify(again.error));
          assert.equal(again.data.session, null);
          assert.notEqual(again.data.user?.id, known.id);
          assert.deepEqual(again.data.user?.identities, []);
          const [{ n }] = await sql<{ n: number }[]>`
            select count(*)::int as n from auth.users where email = ${email} and encrypted_password = extensions.crypt(${PASSWORD}, encrypted_password)`;
          assert.equal(n, 1, "the registered user is untouched");
        } finally {
          await confirming.close();
        }

        const closed = standInWith({ ...authSettings(""), signupEnabled: false });
        try {
          const r = await closed.client().auth.signUp({ email: `closed-${email}`, password: PASSWORD });
          assert.deepEqual([r.error?.status, (r.error as AuthApiError).code], [422, "signup_disabled"]);
        } finally {
          await closed.close();
        }

        const strict = standInWith(
          authSettings('[auth]\nminimum_password_length = 10\npassword_requirements = "lower_upper_letters_digits"\n'),
        );
        try {
          for (const [password, reasons] of [["lowercase-only-1", ["characters"]], ["Ab1", ["length"]], ["short", ["length", "characters"]]] as const) {
            const r = await strict.client().auth.signUp({ email: `strict-${email}`, password });
            assert.ok(r.error instanceof AuthWeakPasswordError, password);
            assert.deepEqual(r.error.reasons, reasons, password);
          }
        } finally {
          await strict.close();
        }
      });

      await t.step("a user row with NULL in a column GoTrue reads as a string cannot sign in (500)", async () => {
        const other = `null-columns-${email}`;
        await sql`
          insert into auth.users (instance_id, id, email, aud, role, encrypted_password, email_confirmed_at)
          values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), ${other}, 'authenticated', 'authenticated',
                  extensions.crypt(${PASSWORD}, extensions.gen_salt('bf', 4)), now())`;
        const r = await raw("/token?grant_type=password", { body: { email: other, password: PASSWORD } });
        assert.deepEqual([r.status, r.body.msg], [500, "Database error querying schema"]);
      });
    } finally {
      await setClock(0).catch(() => {});
      await sql`delete from auth.users where email like ${`%auth-standin-${tag}@example.test`}`;
      await sql.end();
    }
  },
});
