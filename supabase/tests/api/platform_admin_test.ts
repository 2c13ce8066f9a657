// The platform admin through supabase-js with a real JWT (admin by a row in platform_admins, made
// by private.bootstrap_platform_admin): reads every row, reads the hidden columns through the
// admin read RPCs (never by select), and calls every admin RPC successfully, each result parsed
// with its zod schema; input errors come back with the SQLSTATE and HTTP status of docs/access.md.
import assert from "node:assert/strict";
import type {
  EscrowHold,
  Payout,
  PayoutControls,
  PayoutEvent,
  PayoutEventType,
  PayoutSchedule,
} from "../../../types/domain.ts";
import { releaseHold } from "../../../types/example.ts";
import {
  API_ERROR_STATUS,
  COMPANY_SELECT,
  CompanyMemberSchema,
  CompanySchema,
  EscrowHoldSchema,
  PAYOUT_AUDIT_LOG_SELECT,
  PayoutAlertSchema,
  PayoutAuditLogSchema,
  PayoutAuditTrailSchema,
  PayoutReversalSchema,
  PayoutScheduleSchema,
  PayoutSchema,
  PayoutTransferSchema,
  PLACEMENT_INVOICE_SELECT,
  PLACEMENT_SELECT,
  PlacementEscrowHoldSchema,
  PlacementInvoiceSchema,
  PlacementSchema,
  PlacementSplitSchema,
  PlatformAdminSchema,
  RecruiterSchema,
  RPC,
} from "../../../types/schemas.ts";
import {
  type Actor,
  assertRefused,
  buildWorld,
  ids,
  KILL_SWITCH_LOCK,
  ok,
  RPC_STATEMENT_PERIOD,
  rpcOk,
  untyped,
  type World,
} from "./_support.ts";
import {
  assertHiddenColumnsRefused,
  assertStatementRefused,
  assertWritesRefused,
  holdSummary,
  parseEvents,
  parseRows,
} from "./_views.ts";

let w: World;
let db: World["admin"]["db"];
let admin2: Actor | undefined;

/** A second platform admin (made by postgres, like the first): approves four-eyes requests. */
async function secondAdmin(): Promise<Actor> {
  if (!admin2) {
    admin2 = await w.newUser("admin2");
    await w.sql`select private.bootstrap_platform_admin(${admin2.email})`;
  }
  return admin2;
}

/** An RPC with raw (unvalidated) arguments must fail with this SQLSTATE and its HTTP status. */
async function assertInputError(name: string, args: Record<string, unknown>, code: keyof typeof API_ERROR_STATUS) {
  assertRefused(await untyped(db).rpc(name, args), code, API_ERROR_STATUS[code], name);
}

async function payoutsOf(placementId: string) {
  return parseRows(PayoutSchema, ok(await db.from("payouts").select("*").eq("placement_id", placementId)));
}

async function eventsWhere(column: "placement_id" | "entity_id", values: string[]) {
  return parseEvents(ok(await db.from("payout_events").select("*").in(column, values).order("id")));
}

Deno.test({
  name: "platform_admin",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    w = await buildWorld("platform_admin");
    db = w.admin.db;
    const fixture = [w.P1.id, w.P2.id];
    try {
      await t.step("reads every row of every table and view (filtered to this file's fixture)", async () => {
        const companies = parseRows(
          CompanySchema,
          ok(await db.from("companies").select(COMPANY_SELECT).in("id", [w.companyX.id, w.companyY.id])),
        );
        assert.deepEqual(ids(companies), ids([w.companyX, w.companyY]));
        const members = parseRows(
          CompanyMemberSchema,
          ok(await db.from("company_members").select("*").eq("company_id", w.companyX.id).order("role")),
        );
        assert.deepEqual(members.map((m) => [m.user_id, m.role]), [[w.cadm.id, "company_admin"], [
          w.hm.id,
          "hiring_manager",
        ]]);
        const admins = parseRows(
          PlatformAdminSchema,
          ok(await db.from("platform_admins").select("*").eq("user_id", w.admin.id)),
        );
        assert.equal(admins.length, 1);
        assert.equal(admins[0].granted_by, null, "bootstrapped, not granted");
        const recruiters = parseRows(
          RecruiterSchema,
          ok(await db.from("recruiters").select("*").in("id", [w.recruiter.A.id, w.recruiter.B.id, w.recruiter.C.id])),
        );
        assert.equal(recruiters.length, 3);

        const placements = parseRows(
          PlacementSchema,
          ok(await db.from("placements").select(PLACEMENT_SELECT).in("id", fixture)),
        );
        assert.deepEqual(ids(placements), ids([w.P1, w.P2]));
        const invoices = parseRows(
          PlacementInvoiceSchema,
          ok(await db.from("placement_invoices").select(PLACEMENT_INVOICE_SELECT).in("placement_id", fixture)),
        );
        assert.deepEqual(ids(invoices), ids([w.invoiceP1, w.invoiceP2]));
        const splits = parseRows(
          PlacementSplitSchema,
          ok(await db.from("placement_splits").select("*").in("placement_id", fixture)),
        );
        assert.deepEqual(ids(splits), ids(Object.values(w.split)));
        const payouts = parseRows(PayoutSchema, ok(await db.from("payouts").select("*").in("placement_id", fixture)));
        assert.deepEqual(ids(payouts), ids(Object.values(w.payout)));
        const holds = parseRows(
          EscrowHoldSchema,
          ok(await db.from("escrow_holds").select("*").in("placement_id", fixture)),
        );
        assert.deepEqual(ids(holds), ids(Object.values(w.hold)));
        const summaries = parseRows(
          PlacementEscrowHoldSchema,
          ok(await db.from("placement_escrow_holds").select("*").in("placement_id", fixture).order("id")),
        );
        assert.deepEqual(summaries, Object.values(w.hold).sort((a, b) => a.id.localeCompare(b.id)).map(holdSummary));
        const schedules = parseRows(
          PayoutScheduleSchema,
          ok(await db.from("payout_schedules").select("*").in("placement_id", fixture)),
        );
        assert.deepEqual(ids(schedules), ids(Object.values(w.schedule)));
        const transfers = parseRows(
          PayoutTransferSchema,
          ok(await db.from("payout_transfers").select("*").in("placement_id", fixture)),
        );
        assert.deepEqual(ids(transfers), ids(Object.values(w.transfer)));

        // audit: the granted columns by select, the same rows (all pages) through the admin RPC
        const audit = parseRows(
          PayoutAuditLogSchema,
          ok(await db.from("payout_audit_log").select(PAYOUT_AUDIT_LOG_SELECT).eq("placement_id", w.P1.id).order("id")),
        );
        const trail = parseRows(
          PayoutAuditTrailSchema,
          ok(await db.from("payout_audit_trail").select("*").eq("placement_id", w.P1.id).order("id")),
        );
        assert.deepEqual(trail, audit.map(({ recruiter_id: _, ...r }) => r)); // the view has no recruiter_id
        const full = [];
        for (let after = 0;;) {
          const page = await rpcOk(db, "admin_payout_audit_log", {
            p_placement_id: w.P1.id,
            p_after_id: after,
            p_limit: 7,
          });
          full.push(...page);
          if (page.length < 7) break;
          after = page[page.length - 1].id;
        }
        assert.deepEqual(full.map((r) => r.id), audit.map((r) => r.id), "keyset pages = the whole log");
        // one chain verified through the API: intact, no problem row
        assert.deepEqual(
          await rpcOk(db, "verify_audit_chain", { p_entity_type: "payout", p_entity_id: w.payout.A.id }),
          [],
        );
        assert.ok(full.some((r) => r.entity_type === "placement"), "placement-level rows are there for admins");
        assert.ok(full.every((r) => /^\\x[0-9a-f]{64}$/.test(r.row_hash) && /^[0-9]+$/.test(r.txid)));
        assert.ok(
          full.filter((r) => r.operation === "INSERT").every((r) => r.new_values !== null && r.old_values === null),
        );

        // events of the fixture's placements (every payload parsed against its event type)
        const events = await eventsWhere("placement_id", fixture);
        const count = (type: PayoutEventType) => events.filter((e) => e.event_type === type).length;
        assert.deepEqual(
          [
            count("placement.created"),
            count("placement_invoice.recorded"),
            count("placement_invoice.paid"),
            count("payout.created"),
            count("escrow_hold.created"),
            count("payout_schedule.created"),
            count("payout_schedule.processing"),
            count("payout_transfer.created"),
            count("payout_transfer.succeeded"),
            count("payout_schedule.processed"),
            count("payout.partially_paid"),
          ],
          [2, 2, 1, 3, 3, 2, 2, 2, 2, 2, 2],
        );
        // operator alerts: whatever is there parses (healthy = empty)
        parseRows(PayoutAlertSchema, ok(await db.from("payout_alerts").select("*")));
        const accountEvents = await eventsWhere("entity_id", [w.recruiter.A.id, w.recruiter.B.id, w.recruiter.C.id]);
        assert.deepEqual(accountEvents.map((e) => e.event_type), Array(3).fill("recruiter.connect_account_updated"));
      });

      await t.step("hidden columns: refused by select for admins too, returned by the admin read RPCs", async () => {
        await assertHiddenColumnsRefused(db);
        const [p1, p2] = [w.P1, w.P2];
        const full = await rpcOk(db, "admin_placements", { p_placement_ids: fixture });
        assert.deepEqual(full.map((p) => [p.id, p.platform_amount]).sort(), [[p1.id, 10000], [p2.id, 25000]].sort());
        const companies = await rpcOk(db, "admin_companies", { p_company_ids: [w.companyX.id, w.companyY.id] });
        assert.deepEqual(companies.map((c) => c.stripe_customer_id), [`cus_${w.tag}X`, null]);
        const invoices = await rpcOk(db, "admin_placement_invoices", { p_placement_ids: [w.P1.id] });
        assert.deepEqual(invoices.map((i) => [i.stripe_invoice_id, i.stripe_payment_intent_id]), [[
          `in_${w.tag}P1`,
          null,
        ]]);
        assert.ok((await rpcOk(db, "admin_companies", {})).length >= 2, "no filter: every company");
        await assertInputError("admin_payout_audit_log", { p_limit: 0 }, "PT400");
        await assertWritesRefused(w, db);
      });

      await t.step("escrow totals and the payout run preview", async () => {
        const [t1] = await rpcOk(db, "placement_escrow_total", { p_placement_id: w.P1.id });
        assert.deepEqual([t1.scope, t1.held_amount, t1.active_hold_count], ["placement", 18000, 2]);
        const [t2] = await rpcOk(db, "placement_escrow_total", { p_placement_id: w.P2.id });
        assert.deepEqual([t2.scope, t2.held_amount, t2.next_release_date], [
          "placement",
          5000,
          w.hold.C.release_scheduled_date,
        ]);
        await assertInputError("placement_escrow_total", { p_placement_id: crypto.randomUUID() }, "PT404");
        await assertInputError("placement_escrow_total", { p_placement_id: null }, "PT400");

        const preview = await rpcOk(db, "payout_run_preview", {});
        const mine = (p: Payout) => preview.find((r) => r.payout_id === p.id);
        assert.deepEqual(
          [mine(w.payout.A)?.reason, mine(w.payout.B)?.reason, mine(w.payout.C)?.reason],
          ["nothing_payable", "nothing_payable", "invoice_not_collectible"],
        );
        assert.ok(preview.every((r) => r.would_pay === (r.reason === null) && (r.would_pay || r.amount === 0)));
        // a claim 14 days from now would find P2's invoice still open
        const later = await rpcOk(db, "payout_run_preview", {
          p_now: new Date(Date.now() + 14 * 86400_000).toISOString(),
        });
        assert.equal(later.find((r) => r.payout_id === w.payout.C.id)?.reason, "invoice_not_collectible");
        await assertInputError("payout_run_preview", { p_now: null }, "PT400");
      });

      await t.step("Connect status of every recruiter; onboarding for a recruiter; my_connect_status is recruiters'", async () => {
        const [a] = await rpcOk(db, "admin_connect_status", { p_recruiter_id: w.recruiter.A.id });
        assert.deepEqual([a.recruiter_id, a.stripe_account_id, a.state], [
          w.recruiter.A.id,
          w.recruiter.A.stripe_connect_account_id,
          a.can_receive_transfers ? "complete" : a.state,
        ]);
        const all = await rpcOk(db, "admin_connect_status", {});
        assert.ok([w.recruiter.A.id, w.recruiter.B.id, w.recruiter.C.id].every((id) => all.some((r) => r.recruiter_id === id)));
        await assertInputError("admin_connect_status", { p_recruiter_id: crypto.randomUUID() }, "PT404");
        const [started] = await rpcOk(db, "begin_connect_onboarding", { p_recruiter_id: w.recruiter.A.id });
        assert.deepEqual([started.status, started.stripe_account_id], ["linked", w.recruiter.A.stripe_connect_account_id]);
        await assertInputError("begin_connect_onboarding", { p_recruiter_id: w.recruiter.A.id, p_country: "USA" }, "PT400");
        await assertInputError("my_connect_status", {}, "42501");
      });

      // P3: a placement made here, on today's clock, for the RPCs that change money
      let P3: { id: string };
      let payoutA3: Payout;
      let payoutB3: Payout;
      let recD: Actor;
      await t.step("statements: any recruiter's, the platform summary, yearly totals; none of their own", async () => {
        const period = { ...RPC_STATEMENT_PERIOD, p_currency: "USD" };
        const asAdmin = await rpcOk(db, "admin_recruiter_statement", { p_recruiter_id: w.recruiter.A.id, ...period });
        const asA = await rpcOk(w.ra.db, "my_statement", period);
        assert.deepEqual(asAdmin, asA, "the admin reads exactly what recruiter A reads");
        const summary = await rpcOk(db, "admin_statement_summary", RPC_STATEMENT_PERIOD);
        const usd = summary.find((r) => r.currency === "USD")!;
        assert.ok(usd.paid >= asA.filter((l) => l.kind === "transfer_paid").reduce((a, l) => a + l.amount!, 0));
        const year = new Date().getUTCFullYear();
        const totals = await rpcOk(db, "admin_yearly_totals", { p_year: year, p_recruiter_id: w.recruiter.A.id });
        assert.deepEqual(totals, await rpcOk(w.ra.db, "my_yearly_totals", { p_year: year }));
        await assertInputError(
          "admin_recruiter_statement",
          { p_recruiter_id: crypto.randomUUID(), ...period },
          "PT404",
        );
        await assertInputError("admin_statement_summary", {
          p_from: RPC_STATEMENT_PERIOD.p_to,
          p_to: RPC_STATEMENT_PERIOD.p_from,
        }, "PT400");
        await assertInputError("admin_yearly_totals", { p_year: 0 }, "PT400");
        await assertStatementRefused(db, 403);
      });
      await t.step("intake: companies, recruiters, placements with splits, invoices", async () => {
        await assertInputError("create_company", { p_name: "Dup", p_stripe_customer_id: `cus_${w.tag}X` }, "PT409");
        await assertInputError("create_company", { p_name: "  " }, "PT400");
        assert.equal(RPC.create_company.args.safeParse({ p_name: "  " }).success, false, "zod refuses it first");

        recD = await w.newUser("rd");
        const d = await rpcOk(db, "create_recruiter", { p_user_id: recD.id, p_display_name: "Recruiter D" });
        assert.deepEqual([d.user_id, d.can_receive_transfers, d.stripe_connect_account_id], [recD.id, false, null]);
        await assertInputError("create_recruiter", { p_user_id: recD.id, p_display_name: "Again" }, "PT409");
        await assertInputError(
          "create_recruiter",
          { p_user_id: crypto.randomUUID(), p_display_name: "Nobody" },
          "PT404",
        );

        const placementArgs = {
          p_company_id: w.companyX.id,
          p_fee_amount: 200000,
          p_currency: "USD",
          p_hired_at: new Date(Date.now() - 10 * 86400_000).toISOString(),
          p_guarantee_days: 90,
          p_holdback_bps: 2000,
          p_title: `Placement 3 ${w.tag}`,
          p_splits: [
            { recruiter_id: w.recruiter.A.id, role: "candidate_recruiter", share_bps: 5000 },
            { recruiter_id: w.recruiter.B.id, role: "company_recruiter", share_bps: 2500 },
          ],
        };
        P3 = await rpcOk(db, "create_placement", placementArgs);
        const overSplit = [...placementArgs.p_splits, { recruiter_id: d.id, role: "job_owner", share_bps: 3000 }];
        assert.equal(RPC.create_placement.args.safeParse({ ...placementArgs, p_splits: overSplit }).success, false);
        await assertInputError("create_placement", { ...placementArgs, p_splits: overSplit }, "PT422");
        await assertInputError("create_placement", { ...placementArgs, p_company_id: crypto.randomUUID() }, "PT404");

        const splits = await rpcOk(db, "set_placement_splits", {
          p_placement_id: P3.id,
          p_splits: [
            { recruiter_id: w.recruiter.A.id, role: "candidate_recruiter", share_bps: 5000 },
            { recruiter_id: w.recruiter.B.id, role: "company_recruiter", share_bps: 3000 },
            { recruiter_id: d.id, role: "job_owner", share_bps: 1000 },
          ],
        });
        assert.deepEqual(splits.map((s) => s.share_bps), [5000, 3000, 1000]);
        await assertInputError("set_placement_splits", {
          p_placement_id: P3.id,
          p_splits: [{ recruiter_id: d.id, role: "job_owner", share_bps: 1, x: 1 }],
        }, "PT400");

        const invoice = await rpcOk(db, "record_placement_invoice", {
          p_placement_id: P3.id,
          p_stripe_invoice_id: `in_${w.tag}P3`,
        });
        assert.deepEqual([invoice.status, invoice.amount_due, invoice.stripe_invoice_id], [
          "open",
          200000,
          `in_${w.tag}P3`,
        ]);
        const again = await rpcOk(db, "record_placement_invoice", {
          p_placement_id: P3.id,
          p_stripe_invoice_id: `in_${w.tag}P3`,
        });
        assert.equal(again.id, invoice.id, "the same invoice again is returned unchanged");
        await assertInputError("record_placement_invoice", {
          p_placement_id: P3.id,
          p_stripe_invoice_id: `in_${w.tag}Other`,
        }, "PT409");
        await assertInputError(
          "record_placement_invoice",
          { p_placement_id: P3.id, p_stripe_invoice_id: "inv_1" },
          "PT400",
        );
        await assertInputError("set_placement_splits", { p_placement_id: P3.id, p_splits: [] }, "PT409");

        const payouts = await payoutsOf(P3.id);
        payoutA3 = payouts.find((p) => p.recruiter_id === w.recruiter.A.id)!;
        payoutB3 = payouts.find((p) => p.recruiter_id === w.recruiter.B.id)!;
        assert.deepEqual(
          payouts.map((p) => [p.amount, p.held_amount, p.payable_amount]).sort((a, b) => b[0] - a[0]),
          [[100000, 20000, 80000], [60000, 12000, 48000], [20000, 4000, 16000]],
        );
      });

      await t.step("schedules: create, update, trigger, cancel", async () => {
        const due = new Date(Date.now() + 30 * 86400_000).toISOString();
        const s: PayoutSchedule = await rpcOk(db, "create_payout_schedule", {
          p_payout_id: payoutA3.id,
          p_due_at: due,
          p_reason: "manual",
        });
        assert.deepEqual([s.status, s.trigger_event, Date.parse(s.next_attempt_at!)], [
          "pending",
          "manual",
          Date.parse(due),
        ]);
        const same = await rpcOk(db, "create_payout_schedule", { p_payout_id: payoutA3.id });
        assert.equal(same.id, s.id, "the live schedule is returned");

        const later = new Date(Date.now() + 40 * 86400_000);
        const moved = await rpcOk(db, "update_payout_schedule", {
          p_schedule_id: s.id,
          p_due_at: later.toISOString(),
          p_reason: "moved",
        });
        assert.deepEqual([Date.parse(moved.next_attempt_at!), moved.scheduled_date], [
          later.getTime(),
          later.toISOString().slice(0, 10),
        ]);
        await assertInputError("update_payout_schedule", {
          p_schedule_id: s.id,
          p_due_at: later.toISOString(),
          p_reason: " ",
        }, "PT400");

        const triggered = await rpcOk(db, "trigger_payout_schedule", { p_schedule_id: s.id, p_reason: "now" });
        assert.equal(triggered.status, "pending");
        assert.ok(Date.parse(triggered.next_attempt_at!) <= Date.now() + 5000, "due now");

        const cancelled = await rpcOk(db, "cancel_payout_schedule", { p_schedule_id: s.id, p_reason: "not needed" });
        assert.deepEqual([cancelled.status, cancelled.cancel_reason], ["cancelled", "not needed"]);
        const again = await rpcOk(db, "cancel_payout_schedule", { p_schedule_id: s.id, p_reason: "again" });
        assert.deepEqual(
          [again.status, again.cancel_reason],
          ["cancelled", "not needed"],
          "already cancelled: unchanged",
        );
        await assertInputError("trigger_payout_schedule", { p_schedule_id: s.id, p_reason: "x" }, "PT409");
        await assertInputError(
          "update_payout_schedule",
          { p_schedule_id: s.id, p_due_at: due, p_reason: "x" },
          "PT409",
        );
        await assertInputError(
          "cancel_payout_schedule",
          { p_schedule_id: crypto.randomUUID(), p_reason: "x" },
          "PT404",
        );
        // the fixture's processed schedule is terminal
        await assertInputError("cancel_payout_schedule", { p_schedule_id: w.schedule.A.id, p_reason: "x" }, "PT409");

        const events = (await eventsWhere("entity_id", [s.id])).map((e) => e.event_type);
        assert.deepEqual(events, [
          "payout_schedule.created",
          "payout_schedule.rescheduled",
          "payout_schedule.triggered",
          "payout_schedule.cancelled",
        ]);
      });

      let released: EscrowHold;
      await t.step("escrow holds: create, release (the payout gets a schedule), cancel", async () => {
        const hold = await rpcOk(db, "create_escrow_hold", {
          p_payout_id: payoutA3.id,
          p_hold_amount: 1000,
          p_hold_reason: "dispute",
          p_reason: "customer dispute",
        });
        assert.deepEqual([hold.status, hold.hold_amount, hold.release_scheduled_date], ["active", 1000, null]);
        await assertInputError("create_escrow_hold", {
          p_payout_id: payoutA3.id,
          p_hold_amount: 10_000_000,
          p_hold_reason: "other",
        }, "PT422");
        await assertInputError("create_escrow_hold", {
          p_payout_id: payoutA3.id,
          p_hold_amount: 10,
          p_hold_reason: "nope",
        }, "PT400");
        await assertInputError("create_escrow_hold", {
          p_payout_id: payoutA3.id,
          p_hold_amount: 0,
          p_hold_reason: "other",
        }, "PT400");
        await assertInputError("create_escrow_hold", {
          p_payout_id: crypto.randomUUID(),
          p_hold_amount: 10,
          p_hold_reason: "other",
        }, "PT404");

        // the example's call (types/example.ts): args validated, result parsed
        released = await releaseHold(db, { p_hold_id: hold.id, p_reason: "dispute resolved" });
        await assert.rejects(releaseHold(db, { p_hold_id: hold.id, p_reason: " " }), /too_small|>=1/, "zod first");
        assert.deepEqual([released.status, released.released_by], ["released", w.admin.id]);
        const again = await rpcOk(db, "release_escrow_hold", { p_hold_id: hold.id, p_reason: "again" });
        assert.equal(again.released_at, released.released_at, "already released: unchanged");
        await assertInputError("release_escrow_hold", { p_hold_id: hold.id, p_reason: "" }, "PT400");
        await assertInputError("release_escrow_hold", { p_hold_id: crypto.randomUUID(), p_reason: "x" }, "PT404");
        const schedules = parseRows(
          PayoutScheduleSchema,
          ok(await db.from("payout_schedules").select("*").eq("payout_id", payoutA3.id).eq("status", "pending")),
        );
        assert.deepEqual(schedules.map((s) => s.trigger_event), ["escrow_hold.released"]);
        assert.ok(Date.parse(schedules[0].next_attempt_at!) > Date.now(), "due at the next payout time");

        const toCancel = await rpcOk(db, "create_escrow_hold", {
          p_payout_id: payoutB3.id,
          p_hold_amount: 500,
          p_hold_reason: "verification",
          p_release_scheduled_date: new Date(Date.now() + 5 * 86400_000).toISOString().slice(0, 10),
        });
        const cancelled = await rpcOk(db, "cancel_escrow_hold", {
          p_hold_id: toCancel.id,
          p_reason: "failed verification",
        });
        assert.deepEqual([cancelled.status, cancelled.cancelled_by, cancelled.cancellation_reason], [
          "cancelled",
          w.admin.id,
          "failed verification",
        ]);
        await assertInputError("release_escrow_hold", { p_hold_id: toCancel.id, p_reason: "x" }, "PT409");
        await assertInputError("cancel_escrow_hold", { p_hold_id: hold.id, p_reason: "x" }, "PT409");

        const [total] = await rpcOk(db, "placement_escrow_total", { p_placement_id: P3.id });
        assert.deepEqual(
          [total.held_amount, total.released_amount, total.cancelled_amount, total.active_hold_count],
          [36000, 1000, 500, 3],
        );
        const after = await payoutsOf(P3.id);
        assert.deepEqual(
          [
            after.find((p) => p.id === payoutA3.id)!.payable_amount,
            after.find((p) => p.id === payoutB3.id)!.forfeited_amount,
          ],
          [80000, 500],
        );
        // the admin is the actor of the audit rows
        const audit = await rpcOk(db, "admin_payout_audit_log", { p_entity_type: "escrow_hold", p_entity_id: hold.id });
        assert.ok(
          audit.length >= 2 &&
            audit.every((r) => r.changed_by === w.admin.id && r.changed_by_role === "platform_admin"),
        );
      });

      await t.step("due processing: process_due_escrow_releases, process_due_payout_schedules", async () => {
        const releases = await rpcOk(db, "process_due_escrow_releases", {});
        const holdIds = [...Object.values(w.hold).map((h) => h.id), released.id];
        assert.ok(!releases.released_hold_ids.some((id) => holdIds.includes(id)), "this file's holds are not due");
        assert.equal(releases.released_count, releases.released_hold_ids.length);
        const run = await rpcOk(db, "process_due_payout_schedules", {});
        assert.equal(run.due_count, run.due_schedule_ids.length);
        // other files' schedules may or may not be due right now: a request is recorded only then
        assert.equal(run.nothing_due, run.due_count === 0);
        if (run.request_id !== null) {
          const [event] = await eventsWhere("entity_id", [run.request_id]);
          assert.equal(event.event_type, "payout_run.requested");
          assert.equal(event.actor_id, w.admin.id);
        }
      });

      await t.step("fail_placement: schedules cancelled, holds and unpaid money forfeited", async () => {
        const failed = await rpcOk(db, "fail_placement", { p_placement_id: P3.id, p_reason: "candidate left" });
        assert.deepEqual([failed.status, failed.failure_reason, failed.platform_amount], [
          "failed",
          "candidate left",
          20000,
        ]);
        const again = await rpcOk(db, "fail_placement", { p_placement_id: P3.id, p_reason: "again" });
        assert.equal(again.failed_at, failed.failed_at, "already failed: unchanged");
        await assertInputError("fail_placement", { p_placement_id: P3.id, p_reason: "" }, "PT400");
        await assertInputError("fail_placement", { p_placement_id: crypto.randomUUID(), p_reason: "x" }, "PT404");
        const payouts = await payoutsOf(P3.id);
        assert.deepEqual(payouts.map((p) => p.status), ["forfeited", "forfeited", "forfeited"]);
        assert.ok(payouts.every((p) => p.forfeited_amount === p.amount));
        await assertInputError("create_payout_schedule", { p_payout_id: payoutA3.id }, "PT409");
        await assertInputError("create_escrow_hold", {
          p_payout_id: payoutA3.id,
          p_hold_amount: 1,
          p_hold_reason: "other",
        }, "PT409");

        const events = await eventsWhere("placement_id", [P3.id]);
        const types = new Set(events.map((e) => e.event_type));
        for (
          const type of [
            "placement.created",
            "placement_invoice.recorded",
            "payout.created",
            "escrow_hold.created",
            "escrow_hold.released",
            "escrow_hold.cancelled",
            "payout_schedule.created",
            "payout_schedule.rescheduled",
            "payout_schedule.triggered",
            "payout_schedule.cancelled",
            "placement.failed",
            "payout.forfeited",
          ] as const
        ) assert.ok(types.has(type), `event ${type}`);
        const fail = events.find((e): e is PayoutEvent<"placement.failed"> => e.event_type === "placement.failed")!;
        assert.deepEqual(
          [fail.payload.forfeited_amount, fail.payload.amount_to_reverse],
          [180000, 0],
          "everything forfeited, nothing paid",
        );
      });

      await t.step("reverse_payout: one reversal request per paid tranche", async () => {
        const [reversal, ...more] = await rpcOk(db, "reverse_payout", {
          p_payout_id: w.payout.B.id,
          p_reason: "clawback",
        });
        assert.equal(more.length, 0);
        assert.deepEqual(
          [reversal.transfer_id, reversal.stripe_transfer_id, reversal.amount, reversal.requested_by],
          [w.transfer.B.id, w.transfer.B.stripe_transfer_id, 24000, w.admin.id],
        );
        assert.equal(reversal.status, "pending");
        const seen = parseRows(
          PayoutReversalSchema,
          ok(await db.from("payout_reversals").select("*").eq("payout_id", w.payout.B.id)),
        );
        assert.deepEqual(ids(seen), [reversal.id]);
        await assertInputError("reverse_payout", { p_payout_id: w.payout.C.id, p_reason: "nothing paid" }, "PT409");
        await assertInputError("reverse_payout", { p_payout_id: w.payout.B.id, p_reason: "" }, "PT400");
        await assertInputError("reverse_payout", { p_payout_id: crypto.randomUUID(), p_reason: "x" }, "PT404");
      });

      await t.step("controls: kill switch and recruiter pause", async () => {
        // exclusive against the fixture builders of files running in parallel (they claim)
        const conn = await w.sql.reserve();
        let before: PayoutControls | undefined;
        try {
          await conn`select pg_advisory_lock(${KILL_SWITCH_LOCK})`;
          before = await rpcOk(db, "payout_controls", {});
          const paused = await rpcOk(db, "pause_payouts", { p_reason: `api test ${w.tag}` });
          assert.deepEqual([paused.payouts_paused, paused.paused_reason], [true, `api test ${w.tag}`]);
          const preview = await rpcOk(db, "payout_run_preview", {});
          assert.equal(preview.find((r) => r.payout_id === w.payout.C.id)?.reason, "platform_paused");
          // resuming after the kill switch always needs a second platform admin (four-eyes)
          await assertInputError("resume_payouts", { p_reason: "done" }, "PT428");
          assert.equal((await rpcOk(db, "payout_controls", {})).payouts_paused, true, "the refusal changed nothing");
          const asked = await rpcOk(db, "request_admin_action", { p_action: "resume_payouts", p_args: { p_reason: "done" } });
          assert.deepEqual([asked.status, asked.action, asked.requested_by], ["pending", "resume_payouts", w.admin.id]);
          await assertInputError("approve_admin_action", { p_request_id: asked.id }, "PT403");
          const admin2 = await secondAdmin();
          const pending = await rpcOk(admin2.db, "admin_action_requests", {});
          assert.ok(pending.some((r) => r.id === asked.id), "the second admin lists the pending request");
          const approved = await rpcOk(admin2.db, "approve_admin_action", { p_request_id: asked.id, p_reason: "ok" });
          assert.deepEqual([approved.status, approved.decided_by], ["executed", admin2.id]);
          const resumed = RPC.resume_payouts.returns.parse(approved.result);
          assert.equal(resumed.payouts_paused, false);
          await assertInputError("approve_admin_action", { p_request_id: asked.id }, "PT409");
          const seen = await rpcOk(db, "admin_action_requests", { p_status: "executed" });
          assert.equal(seen.find((r) => r.id === asked.id)?.decided_by, admin2.id, "the requester sees the outcome");
          await assertInputError("pause_payouts", { p_reason: "" }, "PT400");
          const byGet = await db.rpc("payout_controls", undefined, { get: true });
          assert.equal(RPC.payout_controls.returns.parse(ok(byGet)).payouts_paused, false);
        } finally {
          if (before?.payouts_paused) {
            await rpcOk(db, "pause_payouts", { p_reason: before.paused_reason ?? "restored" });
          } else await w.sql`select private.set_payouts_paused(false, 'api test: restored', now())`;
          await conn`select pg_advisory_unlock(${KILL_SWITCH_LOCK})`;
          conn.release();
        }
        const settings = (await eventsWhere("entity_id", [(await w.sql`select id from private.payout_settings`)[0].id]))
          .map((e) => e.event_type);
        assert.ok(settings.includes("platform.payouts_paused") && settings.includes("platform.payouts_resumed"));

        const c = w.recruiter.C.id;
        const p = await rpcOk(db, "pause_recruiter_payouts", { p_recruiter_id: c, p_reason: "KYC review" });
        assert.deepEqual([p.payouts_paused, p.paused_reason], [true, "KYC review"]);
        const own = parseRows(RecruiterSchema, ok(await w.rc.db.from("recruiters").select("*")));
        assert.equal(own[0].payouts_paused, true, "the recruiter sees it on the next statement");
        const r = await rpcOk(db, "resume_recruiter_payouts", { p_recruiter_id: c });
        assert.equal(r.payouts_paused, false);
        await assertInputError(
          "pause_recruiter_payouts",
          { p_recruiter_id: crypto.randomUUID(), p_reason: "x" },
          "PT404",
        );
        const types = (await eventsWhere("entity_id", [c])).map((e) => e.event_type);
        assert.deepEqual(types.filter((x) => x.startsWith("recruiter.") && x !== "recruiter.connect_account_updated"), [
          "recruiter.paused",
          "recruiter.resumed",
        ]);
      });

      await t.step("people: platform admins and company members, effective on the next request", async () => {
        const grantee = await w.newUser("grantee");
        assertRefused(await grantee.db.rpc("payout_controls"), "42501", 403, "before the grant");
        // a new admin always needs a second platform admin (four-eyes)
        await assertInputError("grant_platform_admin", { p_user_id: grantee.id }, "PT428");
        const asked = await rpcOk(db, "request_admin_action", {
          p_action: "grant_platform_admin",
          p_args: { p_user_id: grantee.id },
        });
        const admin2 = await secondAdmin();
        const rejected = await rpcOk(admin2.db, "reject_admin_action", { p_request_id: asked.id, p_reason: "who?" });
        assert.deepEqual([rejected.status, rejected.result], ["rejected", null]);
        assertRefused(await grantee.db.rpc("payout_controls"), "42501", 403, "rejected: still not an admin");
        const again = await rpcOk(db, "request_admin_action", {
          p_action: "grant_platform_admin",
          p_args: { p_user_id: grantee.id },
        });
        const executed = await rpcOk(admin2.db, "approve_admin_action", { p_request_id: again.id });
        const granted = PlatformAdminSchema.parse(executed.result);
        assert.deepEqual([granted.user_id, granted.granted_by], [grantee.id, admin2.id], "granted by the approver");
        await assertInputError("request_admin_action", { p_action: "withdraw_all", p_args: {} }, "PT400");
        assert.equal((await rpcOk(grantee.db, "payout_controls", {})).payouts_paused, false, "same JWT, now an admin");
        assert.ok(ok(await grantee.db.from("platform_admins").select("user_id")).length >= 2);
        const revoked = await rpcOk(db, "revoke_platform_admin", { p_user_id: grantee.id });
        assert.equal(revoked.id, granted.id);
        assertRefused(await grantee.db.rpc("payout_controls"), "42501", 403, "after the revoke");
        assert.deepEqual(ok(await grantee.db.from("platform_admins").select("user_id")), []);
        await assertInputError("revoke_platform_admin", { p_user_id: grantee.id }, "PT404");
        await assertInputError("grant_platform_admin", { p_user_id: crypto.randomUUID() }, "PT404");

        const member = await w.newUser("member");
        const added = await rpcOk(db, "add_company_member", {
          p_company_id: w.companyY.id,
          p_user_id: member.id,
          p_role: "hiring_manager",
        });
        assert.equal(added.role, "hiring_manager");
        assert.deepEqual(ok(await member.db.from("companies").select(COMPANY_SELECT)).map((c) => c.id), [
          w.companyY.id,
        ]);
        const promoted = await rpcOk(db, "add_company_member", {
          p_company_id: w.companyY.id,
          p_user_id: member.id,
          p_role: "company_admin",
        });
        assert.deepEqual([promoted.id, promoted.role], [added.id, "company_admin"]);
        await assertInputError("add_company_member", {
          p_company_id: w.companyY.id,
          p_user_id: member.id,
          p_role: "owner",
        }, "PT400");
        const removed = await rpcOk(db, "remove_company_member", { p_company_id: w.companyY.id, p_user_id: member.id });
        assert.equal(removed.id, added.id);
        assert.deepEqual(ok(await member.db.from("companies").select(COMPANY_SELECT)), []);
        await assertInputError("remove_company_member", { p_company_id: w.companyY.id, p_user_id: member.id }, "PT404");
      });

      await t.step("velocity caps: a lift always needs a second admin; the day's caps", async () => {
        // a currency no other test pays in (caps are platform-wide); set as postgres, as documented
        const today = new Date().toISOString().slice(0, 10);
        await w.sql`insert into private.payout_caps (currency, platform_daily_max, recruiter_daily_max)
                    values ('NOK', 5000000, 1000000)`;
        try {
          const caps = await rpcOk(db, "payout_caps", {});
          const nok = caps.find((r) => r.currency === "NOK" && r.recruiter_id === null);
          assert.deepEqual([nok?.cap, nok?.used_amount, nok?.remaining, nok?.lifted, nok?.day], [
            5000000,
            0,
            5000000,
            false,
            today,
          ]);
          const args = { p_currency: "NOK", p_day: today, p_reason: "payroll catch-up" };
          await assertInputError("lift_payout_cap", args, "PT428");
          await assertInputError("lift_payout_cap", { ...args, p_currency: "nok" }, "PT400");
          await assertInputError("lift_payout_cap", { ...args, p_currency: "SEK" }, "PT404");
          await assertInputError("lift_payout_cap", { ...args, p_recruiter_id: crypto.randomUUID() }, "PT404");
          const asked = await rpcOk(db, "request_admin_action", { p_action: "lift_payout_cap", p_args: args });
          assert.deepEqual([asked.status, asked.amount, asked.currency], ["pending", 5000000, "NOK"]);
          await assertInputError("approve_admin_action", { p_request_id: asked.id }, "PT403");
          const admin2 = await secondAdmin();
          const approved = await rpcOk(admin2.db, "approve_admin_action", { p_request_id: asked.id, p_reason: "ok" });
          const lift = RPC.lift_payout_cap.returns.parse(approved.result);
          assert.deepEqual([lift.currency, lift.recruiter_id, lift.day, lift.lifted_by], ["NOK", null, today, admin2.id]);
          const after = (await rpcOk(db, "payout_caps", { p_day: today })).find((r) =>
            r.currency === "NOK" && r.recruiter_id === null
          );
          assert.deepEqual([after?.lifted, after?.remaining], [true, null], "lifted for the day: unlimited");
          await assertInputError("request_admin_action", { p_action: "lift_payout_cap", p_args: args }, "PT409");
        } finally {
          await w.sql`delete from private.payout_cap_lifts where currency = 'NOK'`;
          await w.sql`delete from private.payout_caps where currency = 'NOK'`;
        }
      });

      await t.step("erasure: a recruiter and a company contact are forgotten; ids and money stay", async () => {
        const name = `Erasable ${w.tag}`;
        const person = await w.newUser("erasable");
        const rec = await rpcOk(db, "create_recruiter", { p_user_id: person.id, p_display_name: name });
        const contact = await w.newUser("contact");
        await rpcOk(db, "add_company_member", {
          p_company_id: w.companyY.id,
          p_user_id: contact.id,
          p_role: "hiring_manager",
        });

        const erased = await rpcOk(db, "erase_personal_data", { p_subject_type: "recruiter", p_subject_id: rec.id });
        assert.deepEqual([erased.subject_id, erased.user_id, erased.fields[0]], [
          rec.id,
          person.id,
          "recruiters.display_name",
        ]);
        const [row] = parseRows(RecruiterSchema, ok(await db.from("recruiters").select("*").eq("id", rec.id)));
        assert.equal(row.display_name, "Erased recruiter", "the admin reads the placeholder");
        const trail = await rpcOk(db, "admin_payout_audit_log", { p_entity_type: "recruiter", p_entity_id: rec.id });
        assert.deepEqual(trail.map((a) => a.action), ["recruiter.create", "personal_data.erase"]);
        assert.ok(!JSON.stringify(trail).includes(name), "the audit trail never held the name");
        assert.deepEqual(
          trail.map((a) => (a.new_values as { personal_fields_changed?: string[] } | null)?.personal_fields_changed),
          [["display_name"], ["display_name"]],
        );
        const erasures = await rpcOk(db, "admin_payout_audit_log", {
          p_entity_type: "personal_data_erasure",
          p_entity_id: erased.erasure_id,
        });
        assert.deepEqual(erasures.map((a) => [a.changed_by, a.changed_by_role]), [[w.admin.id, "platform_admin"]]);
        assert.deepEqual(
          await rpcOk(db, "verify_audit_chain", { p_entity_type: "recruiter", p_entity_id: rec.id }),
          [],
        );
        await assertInputError("erase_personal_data", { p_subject_type: "recruiter", p_subject_id: rec.id }, "PT409");
        await assertInputError("erase_personal_data", {
          p_subject_type: "recruiter",
          p_subject_id: crypto.randomUUID(),
        }, "PT404");
        await assertInputError("erase_personal_data", { p_subject_type: "candidate", p_subject_id: rec.id }, "PT400");
        assert.equal(
          RPC.erase_personal_data.args.safeParse({ p_subject_type: "candidate", p_subject_id: rec.id }).success,
          false,
        );

        const user = await rpcOk(db, "erase_personal_data", { p_subject_type: "user", p_subject_id: contact.id });
        assert.deepEqual([user.user_id, user.memberships_removed], [contact.id, 1]);
        assert.deepEqual(ok(await contact.db.from("companies").select(COMPANY_SELECT)), [], "no longer a member");
        const [auth] = await w.sql<{ email: string | null; deleted: boolean }[]>`
          select email, deleted_at is not null as deleted from auth.users where id in (${person.id}, ${contact.id})
           group by email, deleted_at is not null`;
        assert.deepEqual(auth, { email: null, deleted: true }, "both auth users scrubbed");
      });

      await t.step(
        "every event in the outbox (this file's and any other's) parses with its type's payload schema",
        async () => {
          const unknown = new Map<string, string>();
          let total = 0;
          for (let last = 0;;) {
            const page = ok(await db.from("payout_events").select("*").gt("id", last).order("id").limit(1000));
            for (const row of page) {
              try {
                parseEvents([row]);
              } catch (e) {
                unknown.set(row.event_type, `${JSON.stringify(row.payload)}: ${e instanceof Error ? e.message : e}`);
              }
            }
            total += page.length;
            if (page.length < 1000) break;
            last = page[page.length - 1].id;
          }
          assert.deepEqual(Object.fromEntries(unknown), {}, "event types or payloads the schemas do not describe");
          assert.ok(total > 0);
        },
      );

      await t.step("plumbing functions are not API: 42501 / 403 for admins too", async () => {
        assertRefused(await untyped(db).rpc("read_payout_events", {}), "42501", 403, "read_payout_events");
        assertRefused(
          await untyped(db).rpc("verify_payout_audit_chain", {}),
          "42501",
          403,
          "verify_payout_audit_chain",
        );
      });
    } finally {
      await w.cleanup();
    }
  },
});
