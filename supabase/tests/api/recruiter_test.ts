// Recruiter A (split on P1 with co-recruiter B) through supabase-js with a real JWT: lists their
// own payouts, holds, schedules and tranches, reads escrow totals of their own holds, and every
// admin RPC, hidden column and write is refused the way PostgREST reports it.
import assert from "node:assert/strict";
import { assertAdminRpcsRefused, assertRefused, buildWorld, rpcOk, untyped, type World } from "./_support.ts";
import { assertHiddenColumnsRefused, assertRecruiterView, assertStatementView, assertWritesRefused } from "./_views.ts";

let w: World;

Deno.test({
  name: "recruiter",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    w = await buildWorld("recruiter");
    try {
      await t.step(
        "lists own payouts, split, placement, holds, schedules, tranches, audit rows and events",
        async () => {
          await assertRecruiterView(w, "A");
        },
      );
      await t.step("own statement: only their lines, closing on their buckets; yearly totals", async () => {
        await assertStatementView(w, "A");
      });
      await t.step("hidden columns are refused (42501, 403)", async () => {
        await assertHiddenColumnsRefused(w.ra.db);
      });
      await t.step("every admin RPC is refused with 42501 / 403, also with bad input; nothing changes", async () => {
        await assertAdminRpcsRefused(w, w.ra.db, 403);
      });
      await t.step("writes are refused (42501, 403)", async () => {
        await assertWritesRefused(w, w.ra.db);
      });
      await t.step("Connect onboarding: own status; B's onboarding and replacing refused (42501, 403)", async () => {
        const [mine] = await rpcOk(w.ra.db, "my_connect_status", {});
        assert.deepEqual([mine.recruiter_id, mine.stripe_account_id], [w.recruiter.A.id, w.recruiter.A.stripe_connect_account_id]);
        assertRefused(
          await untyped(w.ra.db).rpc("begin_connect_onboarding", { p_recruiter_id: w.recruiter.B.id }),
          "42501",
          403,
          "begin_connect_onboarding for B",
        );
        assertRefused(
          await untyped(w.ra.db).rpc("begin_connect_onboarding", { p_replace_reason: "another one" }),
          "42501",
          403,
          "a recruiter replacing their account",
        );
        const [again] = await rpcOk(w.ra.db, "begin_connect_onboarding", {});
        assert.deepEqual([again.status, again.stripe_account_id, again.fresh], ["linked", w.recruiter.A.stripe_connect_account_id, false]);
      });
    } finally {
      await w.cleanup();
    }
  },
});
