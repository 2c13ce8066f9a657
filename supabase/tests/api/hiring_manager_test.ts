// The hiring_manager of company X (same reads as the company_admin) through supabase-js with a real JWT: reads the company (no
// Stripe customer), its members, placements (no platform amount), invoices (no Stripe ids), hold
// summaries without amounts and placement-wide escrow totals; no recruiter money; every admin RPC,
// hidden column and write is refused the way PostgREST reports it.
import { assertAdminRpcsRefused, buildWorld, type World } from "./_support.ts";
import { assertHiddenColumnsRefused, assertMemberView, assertStatementRefused, assertWritesRefused } from "./_views.ts";

let w: World;

Deno.test({
  name: "hiring_manager",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    w = await buildWorld("hiring_manager");
    try {
      await t.step("reads the company's placements, invoices, members, hold summaries and escrow totals", async () => {
        await assertMemberView(w, w.hm);
      });
      await t.step("no statement: only recruiters have one (42501, 403)", async () => {
        await assertStatementRefused(w.hm.db, 403);
      });
      await t.step("hidden columns are refused (42501, 403)", async () => {
        await assertHiddenColumnsRefused(w.hm.db);
      });
      await t.step("every admin RPC is refused with 42501 / 403, also with bad input; nothing changes", async () => {
        await assertAdminRpcsRefused(w, w.hm.db, 403);
      });
      await t.step("writes are refused (42501, 403)", async () => {
        await assertWritesRefused(w, w.hm.db);
      });
    } finally {
      await w.cleanup();
    }
  },
});
