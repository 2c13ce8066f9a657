// Shared fixture of the API tests (supabase/tests/api/<role>_test.ts): the cast and the money
// of docs/access.md, built once per test file with unique users, companies and Stripe ids, so
// that files can run in parallel against the same stack and assertions filter by their own ids.
// Run against a running stack (env as `npm test` exports it):
//   deno test -A supabase/tests/api/      (Deno's default pattern: *_test.ts)
//
// Built as a frontend and an operator would build it:
// - users are rows in auth.users with tokens signed by the local JWT secret (createUser);
// - the first platform admin comes from private.bootstrap_platform_admin (as postgres);
// - companies, recruiters, members, placements with splits and invoices are created by that
//   admin through the real gateway + PostgREST (the intake RPCs, results parsed with the schemas);
// - what no API does (Stripe says the invoice is paid, the payout run claims and transfers) is
//   done as postgres with the model's private functions, in ONE transaction, so no job ever sees
//   a half-built fixture: the invoice of P1 is paid 20 days ago, its payouts' schedules are due
//   13 days ago, claimed at exactly that time and completed.
//
//   P1 (company X): fee 100000 USD, holdback 20 %, A 6000 bps (candidate_recruiter), B 3000 bps
//       (company_recruiter), platform 1000 bps. A: payout 60000 (12000 held, 48000 paid),
//       B: payout 30000 (6000 held, 24000 paid). Holds release in 60 days.
//   P2 (company Y): fee 50000 USD, holdback 20 %, C 5000 bps, invoice open: C's payout 25000
//       (5000 held, 20000 payable, no schedule, no tranche).
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import assert from "node:assert/strict";
import type postgres from "postgres";
import { adminSql, createUser, stackEnv, userJwt } from "../../../local/tests/support.ts";
import type { Database } from "../../../types/database.ts";
import type {
  CompanyAdmin,
  CompanyInvoice,
  EscrowHold,
  Payout,
  PayoutSchedule,
  PayoutTransfer,
  PlacementAdmin,
  PlacementInvoiceAdmin,
  PlacementSplit,
  Recruiter,
} from "../../../types/domain.ts";
import {
  type Assert,
  COMPANY_INVOICE_SELECT,
  RPC,
  type RpcName,
  type RpcResult,
  type SameKeys,
} from "../../../types/schemas.ts";

export type Client = SupabaseClient<Database>;
export const url = stackEnv("SUPABASE_URL");
export const anonKey = stackEnv("SUPABASE_ANON_KEY");

/** A supabase-js client as a frontend makes it: anon key, plus the user's access token if any. */
export function client(jwt?: string): Client {
  return createClient<Database>(url, anonKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    ...(jwt ? { global: { headers: { Authorization: `Bearer ${jwt}` } } } : {}),
  });
}

/** The same client without the Database type, for loops over relation and function names. */
export const untyped = (db: Client) => db as unknown as SupabaseClient;

/** Advisory lock key: fixture builders (shared) vs. the platform admin test's kill switch (exclusive). */
export const KILL_SWITCH_LOCK = 728_190_331;

export interface Actor {
  id: string;
  email: string;
  jwt: string;
  db: Client;
}

export interface World {
  tag: string;
  sql: postgres.Sql;
  anon: Client;
  admin: Actor;
  /** recruiters A and B share P1; C is on P2 */
  ra: Actor;
  rb: Actor;
  rc: Actor;
  /** company_admin and hiring_manager of company X */
  cadm: Actor;
  hm: Actor;
  /** signed in, no role; `fake` holds a JWT claiming platform_admin in every metadata field */
  fake: Actor;
  companyX: CompanyAdmin;
  companyY: CompanyAdmin;
  recruiter: { A: Recruiter; B: Recruiter; C: Recruiter };
  P1: PlacementAdmin;
  P2: PlacementAdmin;
  invoiceP1: PlacementInvoiceAdmin;
  invoiceP2: PlacementInvoiceAdmin;
  /** P1's Stripe invoice to company X (company billing; X has a billing email) */
  companyInvoiceP1: CompanyInvoice;
  split: { A: PlacementSplit; B: PlacementSplit; C: PlacementSplit };
  payout: { A: Payout; B: Payout; C: Payout };
  hold: { A: EscrowHold; B: EscrowHold; C: EscrowHold };
  schedule: { A: PayoutSchedule; B: PayoutSchedule };
  transfer: { A: PayoutTransfer; B: PayoutTransfer };
  /** A new auth user (for grant/revoke, membership, create_recruiter). */
  newUser(name: string): Promise<Actor>;
  cleanup(): Promise<void>;
}

/** Calls an RPC (args validated by its schema) and returns the parsed result; throws on error. */
export async function rpcOk<N extends RpcName>(db: Client, name: N, args: unknown): Promise<RpcResult<N>> {
  const validArgs = RPC[name].args.parse(args);
  const { data, error } = await untyped(db).rpc(name, validArgs);
  if (error) throw new Error(`${name}: ${JSON.stringify(error)}`);
  return RPC[name].returns.parse(data) as RpcResult<N>;
}

/** Unwraps a supabase-js answer, failing with PostgREST's error. */
export function ok<T>(res: { data: T | null; error: unknown; status?: number }): T {
  assert.equal(res.error, null, `unexpected error: ${JSON.stringify(res.error)}`);
  assert.notEqual(res.data, null);
  return res.data as T;
}

/** The error of a refused request as PostgREST returns it. */
export function assertRefused(
  res: { data: unknown; error: { code?: string; message?: string } | null; status: number },
  code: string,
  status: number,
  what = "",
) {
  assert.equal(res.data, null, `${what}: expected no data, got ${JSON.stringify(res.data)}`);
  assert.ok(res.error, `${what}: expected error ${code}`);
  assert.equal(res.error.code, code, `${what}: ${JSON.stringify(res.error)}`);
  assert.equal(res.status, status, `${what}: HTTP ${res.status} (${JSON.stringify(res.error)})`);
}

/** Sorted ids of rows. */
export const ids = (rows: { id: string | number | null }[]) => rows.map((r) => String(r.id)).sort();
export const sorted = (xs: (string | null)[]) => [...xs].map(String).sort();

async function actor(sql: postgres.Sql, tag: string, name: string, extraClaims?: Record<string, unknown>) {
  const email = `api-${tag}-${name}@api-test.invalid`;
  const u = await createUser(sql, email);
  const jwt = extraClaims ? await userJwt(u.id, email, extraClaims) : u.jwt;
  return { id: u.id, email, jwt, db: client(jwt) };
}

/** Claims a JWT can carry that must never make anyone an admin (only public.platform_admins does). */
export const FAKE_ADMIN_CLAIMS = {
  app_metadata: {
    provider: "email",
    role: "platform_admin",
    roles: ["platform_admin"],
    platform_admin: true,
    is_platform_admin: true,
  },
  user_metadata: { role: "platform_admin", platform_admin: true },
  user_role: "platform_admin",
  platform_admin: true,
};

export async function buildWorld(role: string): Promise<World> {
  const tag = `${role.replaceAll("_", "")}${crypto.randomUUID().slice(0, 8)}`;
  const stripeTag = tag.replace(/[^A-Za-z0-9]/g, "");
  const sql = adminSql();
  const created: string[] = [];
  try {
    // People
    const [admin, ra, rb, rc, cadm, hm] = await Promise.all(
      ["admin", "ra", "rb", "rc", "cadm", "hm"].map((n) => actor(sql, tag, n)),
    );
    const fake = await actor(sql, tag, "fake", FAKE_ADMIN_CLAIMS);
    created.push(admin.id, cadm.id, hm.id, fake.id);
    await sql`select private.bootstrap_platform_admin(${admin.email})`;
    const A = admin.db;

    // Intake through the API, as the admin
    const companyX = await rpcOk(A, "create_company", {
      p_name: `Company X ${tag}`,
      p_stripe_customer_id: `cus_${stripeTag}X`,
    });
    const companyY = await rpcOk(A, "create_company", { p_name: `Company Y ${tag}` });
    const [recA, recB, recC] = await Promise.all(
      [ra, rb, rc].map((r, i) =>
        rpcOk(A, "create_recruiter", { p_user_id: r.id, p_display_name: `Recruiter ${"ABC"[i]} ${tag}` })
      ),
    );
    await rpcOk(A, "add_company_member", { p_company_id: companyX.id, p_user_id: cadm.id, p_role: "company_admin" });
    await rpcOk(A, "add_company_member", { p_company_id: companyX.id, p_user_id: hm.id, p_role: "hiring_manager" });

    const hiredAt = new Date(Date.now() - 30 * 86400_000).toISOString();
    const P1 = await rpcOk(A, "create_placement", {
      p_company_id: companyX.id,
      p_fee_amount: 100000,
      p_currency: "USD",
      p_hired_at: hiredAt,
      p_guarantee_days: 90,
      p_holdback_bps: 2000,
      p_title: `Placement 1 ${tag}`,
      p_splits: [
        { recruiter_id: recA.id, role: "candidate_recruiter", share_bps: 6000 },
        { recruiter_id: recB.id, role: "company_recruiter", share_bps: 3000 },
      ],
    });
    const P2 = await rpcOk(A, "create_placement", {
      p_company_id: companyY.id,
      p_fee_amount: 50000,
      p_currency: "USD",
      p_hired_at: hiredAt,
      p_guarantee_days: 90,
      p_holdback_bps: 2000,
      p_title: `Placement 2 ${tag}`,
      p_splits: [{ recruiter_id: recC.id, role: "candidate_recruiter", share_bps: 5000 }],
    });
    const invP1 = await rpcOk(A, "record_placement_invoice", {
      p_placement_id: P1.id,
      p_stripe_invoice_id: `in_${stripeTag}P1`,
    });
    await rpcOk(A, "record_placement_invoice", { p_placement_id: P2.id, p_stripe_invoice_id: `in_${stripeTag}P2` });
    assert.equal(invP1.status, "open");
    assert.equal(invP1.amount_due, 100000);
    // company X is billed through Stripe Invoicing: P1's invoice has its company invoice
    const billedX = await rpcOk(A, "set_company_billing_email", {
      p_company_id: companyX.id,
      p_billing_email: `ap-${tag}@api-test.invalid`,
    });
    await sql`select 1 from private.request_company_invoice(${invP1.id})`;

    // What Stripe and the payout run do, in one transaction (see the header)
    await sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock_shared(${KILL_SWITCH_LOCK})`;
      await tx`select private.set_recruiter_connect_account(r.id, 'acct_' || ${stripeTag} || r.k, 'active', now())
               from (values (${recA.id}::uuid, 'A'), (${recB.id}::uuid, 'B'), (${recC.id}::uuid, 'C')) r(id, k)`;
      await tx`select private.transition_placement_invoice(${invP1.id}, 'paid', null, now(), now() - interval '20 days')`;
      const due = await tx<{ id: string; next_attempt_at: Date }[]>`
        select id, next_attempt_at from public.payout_schedules where placement_id = ${P1.id} and status = 'pending'`;
      assert.equal(due.length, 2, "P1's payouts are scheduled when its invoice is paid");
      const claimAt = due[0].next_attempt_at;
      const claimed = await tx<
        { schedule_id: string; outcome: string; transfer_id: string; skip_reason: string | null }[]
      >`
        select schedule_id, outcome, transfer_id, skip_reason
        from private.claim_due_payout_schedules(gen_random_uuid(), 100, null, ${claimAt})`;
      const mine = claimed.filter((c) => due.some((d) => d.id === c.schedule_id));
      assert.deepEqual(
        mine.map((c) => c.outcome),
        ["claimed", "claimed"],
        `claim of the fixture's schedules: ${JSON.stringify(mine)}`,
      );
      for (const [i, c] of mine.entries()) {
        await tx`select private.complete_payout_transfer(${c.transfer_id}, ${`tr_${stripeTag}${i}`},
                                                         ${claimAt}::timestamptz + interval '1 minute')`;
      }
    });

    // The fixture rows as the API returns them (the admin reads everything)
    const byRecruiter = <T extends { recruiter_id: string }>(rows: T[]) => {
      const find = (id: string) => {
        const r = rows.find((x) => x.recruiter_id === id);
        assert.ok(r, `fixture row for recruiter ${id}`);
        return r;
      };
      return { A: find(recA.id), B: find(recB.id), C: find(recC.id) };
    };
    const placements = [P1.id, P2.id];
    const split = byRecruiter(ok(await A.from("placement_splits").select("*").in("placement_id", placements)));
    const payoutRows = ok(await A.from("payouts").select("*").in("placement_id", placements));
    const payout = byRecruiter(payoutRows as Payout[]);
    const holdRows = ok(await A.from("escrow_holds").select("*").in("placement_id", placements)) as EscrowHold[];
    const ofPayout = <T extends { payout_id: string }>(rows: T[], p: Payout) => {
      const matching = rows.filter((x) => x.payout_id === p.id);
      assert.equal(matching.length, 1, `one fixture row for payout ${p.id}`);
      return matching[0];
    };
    const scheduleRows = ok(await A.from("payout_schedules").select("*").in("placement_id", placements));
    const transferRows = ok(await A.from("payout_transfers").select("*").in("placement_id", placements));
    const [invoiceP1, invoiceP2] = await rpcOk(A, "admin_placement_invoices", { p_placement_ids: placements }).then(
      (rows) => [rows.find((i) => i.placement_id === P1.id)!, rows.find((i) => i.placement_id === P2.id)!],
    );
    const recruiters = ok(await A.from("recruiters").select("*").in("id", [recA.id, recB.id, recC.id])) as Recruiter[];
    // admins too read the granted columns through the API (the worker's columns are not granted)
    const [companyInvoiceP1] = ok(
      await A.from("company_invoices").select(COMPANY_INVOICE_SELECT).eq("placement_id", P1.id),
    ) as CompanyInvoice[];
    const rec = (id: string) => recruiters.find((r) => r.id === id)!;

    const world: World = {
      tag,
      sql,
      anon: client(),
      admin,
      ra,
      rb,
      rc,
      cadm,
      hm,
      fake,
      companyX: billedX,
      companyY,
      recruiter: { A: rec(recA.id), B: rec(recB.id), C: rec(recC.id) },
      P1: (await rpcOk(A, "admin_placements", { p_placement_ids: [P1.id] }))[0],
      P2: (await rpcOk(A, "admin_placements", { p_placement_ids: [P2.id] }))[0],
      invoiceP1,
      invoiceP2,
      companyInvoiceP1,
      split: split as World["split"],
      payout,
      hold: {
        A: ofPayout(holdRows, payout.A),
        B: ofPayout(holdRows, payout.B),
        C: ofPayout(holdRows, payout.C),
      },
      schedule: {
        A: ofPayout(scheduleRows as PayoutSchedule[], payout.A),
        B: ofPayout(scheduleRows as PayoutSchedule[], payout.B),
      },
      transfer: {
        A: ofPayout(transferRows as PayoutTransfer[], payout.A),
        B: ofPayout(transferRows as PayoutTransfer[], payout.B),
      },
      newUser: async (name: string) => {
        const a = await actor(sql, tag, name);
        created.push(a.id);
        return a;
      },
      cleanup: async () => {
        // Money rows, recruiters and companies are audited and kept (deleting them is refused);
        // users without a recruiter row go, with their memberships and admin rows (cascade).
        await sql`delete from auth.users u where u.id = any(${created}::uuid[]) and not exists (select from public.recruiters r where r.user_id = u.id)`;
        await sql.end();
      },
    };
    assertFixture(world);
    return world;
  } catch (e) {
    await sql`delete from auth.users u where u.id = any(${created}::uuid[]) and not exists (select from public.recruiters r where r.user_id = u.id)`
      .catch(() => {});
    await sql.end();
    throw e;
  }
}

/** The money of the fixture, as described in the header. */
function assertFixture(w: World) {
  assert.equal(w.P1.platform_amount, 10000);
  const expect = (p: Payout, amount: number, paid: number, held: number, payable: number, status: string) =>
    assert.deepEqual(
      [p.amount, p.paid_amount, p.held_amount, p.payable_amount, p.in_flight_amount, p.status],
      [amount, paid, held, payable, 0, status],
    );
  expect(w.payout.A, 60000, 48000, 12000, 0, "partially_paid");
  expect(w.payout.B, 30000, 24000, 6000, 0, "partially_paid");
  expect(w.payout.C, 25000, 0, 5000, 20000, "pending");
  assert.deepEqual([w.hold.A.hold_amount, w.hold.B.hold_amount, w.hold.C.hold_amount], [12000, 6000, 5000]);
  assert.deepEqual([w.schedule.A.status, w.schedule.B.status], ["processed", "processed"]);
  assert.deepEqual([w.transfer.A.status, w.transfer.B.status], ["succeeded", "succeeded"]);
  assert.deepEqual([w.transfer.A.amount, w.transfer.B.amount], [48000, 24000]);
}

/** Every table and view PostgREST exposes. */
export const RELATIONS = [
  "companies",
  "company_members",
  "platform_admins",
  "recruiters",
  "placements",
  "placement_invoices",
  "placement_splits",
  "payouts",
  "escrow_holds",
  "placement_escrow_holds",
  "payout_schedules",
  "payout_transfers",
  "payout_audit_log",
  "payout_audit_trail",
  "payout_events",
  "payout_reversals",
  "recruiter_clawbacks",
  "clawback_offsets",
  "payout_alerts",
  "company_invoices",
] as const satisfies readonly (keyof Database["public"]["Tables"] | keyof Database["public"]["Views"])[];
// ... all of them (a new table or view must be added here, and so to every role's matrix)
type _AllRelations = Assert<
  SameKeys<
    { [K in (typeof RELATIONS)[number]]: 1 },
    { [K in keyof Database["public"]["Tables"] | keyof Database["public"]["Views"]]: 1 }
  >
>;

/** The RPCs a party (not only an admin) may call: their bodies decide per caller. The recruiter's
 * own reads (my_statement, my_yearly_totals) are refused for everyone who is no recruiter:
 * `recruiterRpcCalls`. */
export type PartyRpc = "placement_escrow_total" | "my_connect_status" | "begin_connect_onboarding" | "my_statement" | "my_yearly_totals";

/** Admin-only RPCs with arguments that would be valid for an admin (ids from the fixture). */
export function adminRpcCalls(w: World): { [N in Exclude<RpcName, PartyRpc>]: unknown } {
  return {
    create_payout_schedule: { p_payout_id: w.payout.C.id },
    update_payout_schedule: {
      p_schedule_id: w.schedule.A.id,
      p_due_at: new Date(Date.now() + 86400_000).toISOString(),
      p_reason: "test",
    },
    cancel_payout_schedule: { p_schedule_id: w.schedule.A.id, p_reason: "test" },
    trigger_payout_schedule: { p_schedule_id: w.schedule.A.id, p_reason: "test" },
    process_due_payout_schedules: {},
    create_escrow_hold: { p_payout_id: w.payout.C.id, p_hold_amount: 100, p_hold_reason: "dispute" },
    release_escrow_hold: { p_hold_id: w.hold.A.id, p_reason: "test" },
    cancel_escrow_hold: { p_hold_id: w.hold.A.id, p_reason: "test" },
    process_due_escrow_releases: {},
    fail_placement: { p_placement_id: w.P1.id, p_reason: "test" },
    reverse_payout: { p_payout_id: w.payout.A.id, p_reason: "test" },
    reissue_placement_invoice: { p_placement_id: w.P1.id, p_fee_amount: 120000, p_reason: "test" },
    set_company_billing_email: { p_company_id: w.companyY.id, p_billing_email: "ap@not-allowed.invalid" },
    create_company: { p_name: "Not allowed" },
    create_recruiter: { p_user_id: w.fake.id, p_display_name: "Not allowed" },
    create_placement: {
      p_company_id: w.companyX.id,
      p_fee_amount: 1000,
      p_currency: "USD",
      p_hired_at: new Date().toISOString(),
      p_guarantee_days: 90,
    },
    set_placement_splits: { p_placement_id: w.P1.id, p_splits: [] },
    record_placement_invoice: { p_placement_id: w.P2.id, p_stripe_invoice_id: "in_notallowed" },
    payout_controls: {},
    pause_payouts: { p_reason: "test" },
    resume_payouts: {},
    pause_recruiter_payouts: { p_recruiter_id: w.recruiter.A.id, p_reason: "test" },
    resume_recruiter_payouts: { p_recruiter_id: w.recruiter.A.id },
    grant_platform_admin: { p_user_id: w.fake.id },
    request_admin_action: { p_action: "grant_platform_admin", p_args: { p_user_id: w.fake.id } },
    approve_admin_action: { p_request_id: crypto.randomUUID() },
    reject_admin_action: { p_request_id: crypto.randomUUID(), p_reason: "test" },
    admin_action_requests: {},
    revoke_platform_admin: { p_user_id: w.admin.id },
    add_company_member: { p_company_id: w.companyX.id, p_user_id: w.fake.id, p_role: "company_admin" },
    remove_company_member: { p_company_id: w.companyX.id, p_user_id: w.cadm.id },
    payout_run_preview: {},
    payout_run_totals: {},
    admin_companies: {},
    admin_payout_runs: {},
    admin_placements: {},
    admin_placement_invoices: {},
    admin_payout_audit_log: {},
    verify_audit_chain: { p_entity_type: "payout", p_entity_id: w.payout.A.id },
    payout_audit_anchor: { p_day: "2026-12-01" },
    admin_connect_status: { p_recruiter_id: w.recruiter.A.id },
    admin_recruiter_statement: {
      p_recruiter_id: w.recruiter.A.id,
      p_from: "2026-01-01T00:00:00Z",
      p_to: "2027-01-01T00:00:00Z",
      p_currency: "USD",
    },
    admin_statement_summary: { p_from: "2026-01-01T00:00:00Z", p_to: "2027-01-01T00:00:00Z" },
    admin_yearly_totals: { p_year: 2026 },
    lift_payout_cap: { p_currency: "USD", p_day: new Date().toISOString().slice(0, 10), p_reason: "test" },
    payout_caps: {},
    erase_personal_data: { p_subject_type: "recruiter", p_subject_id: w.recruiter.A.id },
    read_payout_events: {},
    verify_payout_audit_chain: {},
  };
}

/** The recruiter's own statement reads (refused with 42501 for everyone who is no recruiter). */
export function recruiterRpcCalls(): { [N in "my_statement" | "my_yearly_totals"]: unknown } {
  return {
    my_statement: { p_from: STATEMENT_FROM, p_to: STATEMENT_TO, p_currency: "USD" },
    my_yearly_totals: { p_year: new Date().getUTCFullYear() },
  };
}
/** A period covering the fixture (built around now). */
export const STATEMENT_FROM = new Date(Date.now() - 400 * 86400_000).toISOString();
export const STATEMENT_TO = new Date(Date.now() + 86400_000).toISOString();
export const RPC_STATEMENT_PERIOD = { p_from: STATEMENT_FROM, p_to: STATEMENT_TO };

/**
 * Calls every admin RPC as a non-admin: each is refused with 42501 and the HTTP status PostgREST
 * uses (403 with a user's JWT, 401 for anon), and nothing changed (the fixture rows are as built).
 */
export async function assertAdminRpcsRefused(w: World, db: Client, status: 401 | 403) {
  for (const [name, args] of Object.entries(adminRpcCalls(w))) {
    const valid = RPC[name as RpcName].args.parse(args);
    const res = await untyped(db).rpc(name, valid);
    assertRefused(res, "42501", status, name);
  }
  // Bad input does not turn the refusal into an input error (the check comes first).
  const bad = await untyped(db).rpc("release_escrow_hold", { p_hold_id: null, p_reason: "" });
  assertRefused(bad, "42501", status, "release_escrow_hold with bad input");
  const rows = await w.sql<{ id: string; status: string; held_amount: string; payable_amount: string }[]>`
    select id, status, held_amount, payable_amount from public.payouts where placement_id in (${w.P1.id}, ${w.P2.id})`;
  for (const p of [w.payout.A, w.payout.B, w.payout.C]) {
    const now = rows.find((r) => r.id === p.id)!;
    assert.deepEqual([now.status, Number(now.held_amount), Number(now.payable_amount)], [
      p.status,
      p.held_amount,
      p.payable_amount,
    ]);
  }
  const holds = await w.sql<{ status: string }[]>`
    select status from public.escrow_holds where placement_id in (${w.P1.id}, ${w.P2.id})`;
  assert.deepEqual(holds.map((h) => h.status), ["active", "active", "active"]);
}
