// anon (the anon key, no user JWT) through supabase-js: nothing at all. Every exposed table and
// view and every RPC (placement_escrow_total included) answers 42501 with HTTP 401, as PostgREST
// reports a missing privilege for the anon role.
import { assertRefused, buildWorld, RELATIONS, untyped, type World } from "./_support.ts";
import { RPC, type RpcName } from "../../../types/schemas.ts";
import { adminRpcCalls, recruiterRpcCalls } from "./_support.ts";

let w: World;

Deno.test({
  name: "anon",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    w = await buildWorld("anon");
    try {
      await t.step("every table and view: 42501 / 401, for * and for a single granted column", async () => {
        for (const rel of RELATIONS) {
          const column = rel === "payout_alerts" ? "kind" : "id";
          assertRefused(await untyped(w.anon).from(rel).select("*"), "42501", 401, `${rel} *`);
          assertRefused(await untyped(w.anon).from(rel).select(column), "42501", 401, `${rel} id`);
          assertRefused(await untyped(w.anon).from(rel).select(column).limit(1), "42501", 401, `${rel} limit 1`);
        }
      });
      await t.step("every RPC: 42501 / 401 (POST, and GET for the stable reads)", async () => {
        const calls = {
          ...adminRpcCalls(w),
          ...recruiterRpcCalls(),
          placement_escrow_total: { p_placement_id: w.P1.id },
          my_connect_status: {},
          begin_connect_onboarding: { p_recruiter_id: w.recruiter.A.id },
        } satisfies { [N in RpcName]: unknown };
        for (const [name, args] of Object.entries(calls)) {
          const valid = RPC[name as RpcName].args.parse(args);
          assertRefused(await untyped(w.anon).rpc(name, valid), "42501", 401, name);
        }
        for (const name of ["placement_escrow_total", "payout_run_preview", "payout_controls", "admin_companies"]) {
          const args = name === "placement_escrow_total" ? { p_placement_id: w.P1.id } : {};
          assertRefused(await untyped(w.anon).rpc(name, args, { get: true }), "42501", 401, `GET ${name}`);
        }
      });
      await t.step("writes: 42501 / 401", async () => {
        assertRefused(await w.anon.from("payouts").update({ status: "paid" }).eq("id", w.payout.A.id), "42501", 401);
        assertRefused(await w.anon.from("platform_admins").insert({ user_id: w.fake.id }), "42501", 401);
      });
    } finally {
      await w.cleanup();
    }
  },
});
