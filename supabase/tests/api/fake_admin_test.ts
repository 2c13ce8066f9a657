// A signed-in user without any role whose JWT claims platform_admin in app_metadata,
// user_metadata and custom claims, through supabase-js: the database reads only `sub`, so the
// claims give nothing. Every table and view is empty, placement_escrow_total and every admin
// RPC are 42501 / 403, and nothing changes.
import assert from "node:assert/strict";
import {
  assertAdminRpcsRefused,
  assertRefused,
  buildWorld,
  FAKE_ADMIN_CLAIMS,
  RELATIONS,
  type World,
} from "./_support.ts";
import { assertHiddenColumnsRefused, assertNoRows, assertWritesRefused } from "./_views.ts";

let w: World;

Deno.test({
  name: "fake_admin",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    w = await buildWorld("fake_admin");
    try {
      await t.step("the token really claims platform_admin", () => {
        const claims = JSON.parse(atob(w.fake.jwt.split(".")[1].replaceAll("-", "+").replaceAll("_", "/")));
        assert.deepEqual(claims.app_metadata, FAKE_ADMIN_CLAIMS.app_metadata);
        assert.equal(claims.user_role, "platform_admin");
        assert.equal(claims.role, "authenticated");
      });
      await t.step("every table and view shows no row", async () => {
        await assertNoRows(w.fake.db, RELATIONS);
      });
      await t.step("escrow totals: 42501 / 403 (not a party)", async () => {
        for (const id of [w.P1.id, w.P2.id, crypto.randomUUID()]) {
          assertRefused(await w.fake.db.rpc("placement_escrow_total", { p_placement_id: id }), "42501", 403, id);
        }
      });
      await t.step("every admin RPC is refused with 42501 / 403, also with bad input; nothing changes", async () => {
        await assertAdminRpcsRefused(w, w.fake.db, 403);
        const [{ n }] = await w.sql<{ n: number }[]>`
          select count(*)::int as n from public.platform_admins where user_id = ${w.fake.id}`;
        assert.equal(n, 0, "grant_platform_admin to oneself did not happen");
      });
      await t.step("hidden columns and writes are refused (42501, 403)", async () => {
        await assertHiddenColumnsRefused(w.fake.db);
        await assertWritesRefused(w, w.fake.db);
      });
    } finally {
      await w.cleanup();
    }
  },
});
