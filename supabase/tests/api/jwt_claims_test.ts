// Which tokens the API takes, through the gateway and PostgREST, as a hosted project takes them
// (docs/access.md, "Tokens"): PostgREST checks the signature and, when present, `exp`; it has no
// audience configured (no `jwt-aud`), so `aud` is not checked, and a token without `exp` does
// not expire. The database role is the `role` claim; who the user is is `sub` (auth.uid()). The
// apikey, unlike the token, must be one of the project's keys.
import { createClient } from "@supabase/supabase-js";
import assert from "node:assert/strict";
import { signJwt } from "../../../local/stack/jwt.ts";
import { adminSql, createUser, stackEnv } from "../../../local/tests/support.ts";

const url = stackEnv("SUPABASE_URL");
const anonKey = stackEnv("SUPABASE_ANON_KEY");
const secret = stackEnv("SUPABASE_JWT_SECRET");

const db = (token: string) =>
  createClient(url, anonKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    global: { headers: { Authorization: `Bearer ${token}` } },
  });

Deno.test({
  name: "tokens: aud and exp as on a hosted project; the apikey must be a project key",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const sql = adminSql();
    try {
      const user = await createUser(sql, `jwt-claims-${crypto.randomUUID()}@example.test`);
      const [recruiter] = await sql<{ id: string }[]>`
        insert into public.recruiters (user_id, display_name) values (${user.id}, 'JWT Claims') returning id`;
      const now = Math.floor(Date.now() / 1000);
      const token = (claims: Record<string, unknown>) =>
        signJwt({ sub: user.id, role: "authenticated", ...claims }, secret);
      /** The recruiter rows the token's user sees (RLS: their own), or PostgREST's refusal. */
      const ownRows = async (jwt: string) => await db(jwt).from("recruiters").select("id");

      await t.step("as Auth issues it (aud authenticated, exp in an hour): the user's own row", async () => {
        const r = await ownRows(await token({ aud: "authenticated", iat: now, exp: now + 3600 }));
        assert.equal(r.error, null, JSON.stringify(r.error));
        assert.deepEqual(r.data, [{ id: recruiter.id }]);
      });

      await t.step('aud "anon" (or any audience): accepted, the same user (aud is not checked)', async () => {
        for (const aud of ["anon", "some-other-api", ["anon", "x"]]) {
          const r = await ownRows(await token({ aud, iat: now, exp: now + 3600 }));
          assert.equal(r.error, null, `aud ${JSON.stringify(aud)}: ${JSON.stringify(r.error)}`);
          assert.deepEqual(r.data, [{ id: recruiter.id }]);
        }
      });

      await t.step("no exp, or only sub and role: accepted (such a token never expires)", async () => {
        for (const claims of [{ aud: "authenticated", iat: now }, {}]) {
          const r = await ownRows(await token(claims));
          assert.equal(r.error, null, `${JSON.stringify(claims)}: ${JSON.stringify(r.error)}`);
          assert.deepEqual(r.data, [{ id: recruiter.id }]);
        }
      });

      await t.step("exp in the past: 401 JWT expired", async () => {
        const r = await ownRows(await token({ aud: "authenticated", iat: now - 7200, exp: now - 3600 }));
        assert.equal(r.data, null);
        assert.equal(r.status, 401);
        assert.equal(r.error?.code, "PGRST301", JSON.stringify(r.error));
        assert.match(r.error?.message ?? "", /expired/i);
      });

      await t.step("signed with another secret: 401", async () => {
        const forged = await signJwt(
          { sub: user.id, role: "authenticated", aud: "authenticated", exp: now + 3600 },
          "another-secret-with-at-least-32-characters-long",
        );
        const r = await ownRows(forged);
        assert.equal(r.data, null);
        assert.equal(r.status, 401);
      });

      await t.step("the role claim, not aud, picks the database role: role anon gets nothing", async () => {
        const r = await ownRows(await token({ role: "anon", aud: "authenticated", exp: now + 3600 }));
        assert.equal(r.data, null);
        assert.equal(r.error?.code, "42501");
      });

      await t.step("apikey: a token signed with the secret is no API key (401 from the gateway)", async () => {
        const userToken = await token({ aud: "authenticated", exp: now + 3600 });
        const reSigned = await signJwt({ iss: "supabase-demo", role: "anon", exp: now + 3600 }, secret);
        for (const apikey of [userToken, reSigned]) {
          const res = await fetch(`${url}/rest/v1/recruiters?select=id`, {
            headers: { apikey, Authorization: `Bearer ${userToken}` },
          });
          assert.equal(res.status, 401);
          assert.equal((await res.json()).message, "Invalid API key");
        }
        const ok = await fetch(`${url}/rest/v1/recruiters?select=id`, {
          headers: { apikey: anonKey, Authorization: `Bearer ${userToken}` },
        });
        assert.equal(ok.status, 200);
        assert.deepEqual(await ok.json(), [{ id: recruiter.id }]);
      });
    } finally {
      await sql.end();
    }
  },
});
