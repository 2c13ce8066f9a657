// Recruiter C (split on P2 only, another company) through supabase-js with a real JWT: lists their
// own payouts, holds, schedules and tranches, reads escrow totals of their own holds, and every
// admin RPC, hidden column and write is refused the way PostgREST reports it.
import { assertAdminRpcsRefused, buildWorld, type World } from "./_support.ts";
import { assertHiddenColumnsRefused, assertRecruiterView, assertStatementView, assertWritesRefused } from "./_views.ts";

let w: World;

Deno.test({
  name: "other_recruiter",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    w = await buildWorld("other_recruiter");
    try {
      await t.step(
        "lists own payouts, split, placement, holds, schedules, tranches, audit rows and events",
        async () => {
          await assertRecruiterView(w, "C");
        },
      );
      await t.step("own statement: only their lines, closing on their buckets; yearly totals", async () => {
        await assertStatementView(w, "C");
      });
      await t.step("hidden columns are refused (42501, 403)", async () => {
        await assertHiddenColumnsRefused(w.rc.db);
      });
      await t.step("every admin RPC is refused with 42501 / 403, also with bad input; nothing changes", async () => {
        await assertAdminRpcsRefused(w, w.rc.db, 403);
      });
      await t.step("writes are refused (42501, 403)", async () => {
        await assertWritesRefused(w, w.rc.db);
      });
    } finally {
      await w.cleanup();
    }
  },
});
