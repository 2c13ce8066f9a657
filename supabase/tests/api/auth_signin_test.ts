// Signing in as a frontend does: supabase-js's auth against /auth/v1 (locally the Auth stand-in,
// local/auth/), then PostgREST with the session it gets. A fresh sign-up is a user and nothing
// else: no role, membership or recruiter row, so every table and view is empty to it and the
// recruiter's own RPCs refuse it. A recruiter whose auth.users row has a password (written as
// supabase/seed.sql writes the demo users') signs in with it and reads exactly their own payouts,
// splits, holds, schedules, tranches and statement under RLS.
import { createClient } from "@supabase/supabase-js";
import assert from "node:assert/strict";
import type { Database } from "../../../types/database.ts";
import { anonKey, assertRefused, buildWorld, type Client, RELATIONS, url, type World } from "./_support.ts";
import { assertNoRows, assertRecruiterView, assertStatementRefused, assertStatementView } from "./_views.ts";

const PASSWORD = "a-local-test-password";

/** A supabase-js client as a browser app makes it, with no session yet. */
const anonClient = (): Client =>
  createClient<Database>(url, anonKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  });

let w: World;

Deno.test({
  name: "sign-up and sign-in through Auth (/auth/v1) with supabase-js",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    w = await buildWorld("auth_signin");
    const signedUp: string[] = [];
    try {
      await t.step("a fresh sign-up is a user and nothing else: it sees no row, recruiter RPCs refuse it", async () => {
        const db = anonClient();
        const email = `fresh-${w.tag}@example.test`;
        const { data, error } = await db.auth.signUp({ email, password: PASSWORD });
        assert.equal(error, null, JSON.stringify(error));
        assert.ok(data.session, "sign-ups are confirmed at once locally: a session");
        const id = data.user!.id;
        signedUp.push(id);
        assert.deepEqual(data.user!.app_metadata, { provider: "email", providers: ["email"] });

        await assertNoRows(db, RELATIONS);
        await assertStatementRefused(db, 403);
        assertRefused(await db.rpc("placement_escrow_total", { p_placement_id: w.P1.id }), "42501", 403, "escrow total");

        const [made] = await w.sql<{ admins: number; members: number; recruiters: number; role: string }[]>`
          select (select count(*)::int from public.platform_admins where user_id = ${id}) as admins,
                 (select count(*)::int from public.company_members where user_id = ${id}) as members,
                 (select count(*)::int from public.recruiters where user_id = ${id}) as recruiters,
                 (select role from auth.users where id = ${id}) as role`;
        assert.deepEqual(made, { admins: 0, members: 0, recruiters: 0, role: "authenticated" });
      });

      await t.step("a recruiter signs in with their password and reads exactly their own money", async () => {
        await w.sql`
          update auth.users
             set instance_id = '00000000-0000-0000-0000-000000000000',
                 encrypted_password = extensions.crypt(${PASSWORD}, extensions.gen_salt('bf', 10)),
                 email_confirmed_at = now(), confirmation_token = '', recovery_token = '',
                 email_change_token_new = '', email_change = ''
           where id = ${w.ra.id}`;
        const db = anonClient();
        const wrong = await db.auth.signInWithPassword({ email: w.ra.email, password: `${PASSWORD}-not` });
        assert.equal(wrong.error?.status, 400);
        assert.equal(wrong.error?.code, "invalid_credentials");

        const { data, error } = await db.auth.signInWithPassword({ email: w.ra.email, password: PASSWORD });
        assert.equal(error, null, JSON.stringify(error));
        assert.equal(data.user?.id, w.ra.id);
        // The fixture's views, read with the session supabase-js now holds (no token of the test's).
        const signedIn: World = { ...w, ra: { ...w.ra, jwt: data.session!.access_token, db } };
        await assertRecruiterView(signedIn, "A");
        await assertStatementView(signedIn, "A");
      });
    } finally {
      await w.sql`delete from auth.users where id = any(${signedUp}::uuid[])`;
      await w.cleanup();
    }
  },
});
