// What each kind of party sees through supabase-js (docs/access.md, "The matrix"), asserted as
// exact rows of the fixture (_support.ts). Used by the role files; not a test file itself.
import assert from "node:assert/strict";
import { z } from "zod";
import type { EscrowHold, PayoutEvent } from "../../../types/domain.ts";
import { listMyPayouts, outstanding, placementsOf } from "../../../types/example.ts";
import {
  COMPANY_INVOICE_SELECT,
  COMPANY_SELECT,
  CompanyInvoiceSchema,
  CompanyMemberSchema,
  CompanySchema,
  EscrowHoldSchema,
  PAYOUT_AUDIT_LOG_SELECT,
  PAYOUT_EVENT_PAYLOADS,
  PayoutAuditLogSchema,
  PayoutAuditTrailSchema,
  PayoutEventSchema,
  PayoutScheduleSchema,
  PayoutSchema,
  PayoutTransferSchema,
  PLACEMENT_INVOICE_SELECT,
  PLACEMENT_SELECT,
  PlacementEscrowHoldSchema,
  PlacementEscrowTotalSchema,
  PlacementInvoiceSchema,
  PlacementSchema,
  PlacementSplitSchema,
  RecruiterSchema,
} from "../../../types/schemas.ts";
import {
  type Actor,
  assertRefused,
  type Client,
  ids,
  ok,
  recruiterRpcCalls,
  RELATIONS,
  RPC_STATEMENT_PERIOD,
  rpcOk,
  untyped,
  type World,
} from "./_support.ts";

/** Parses rows with a schema that also refuses keys it does not know (so the schema lists every column). */
export function parseRows<S extends z.ZodObject>(schema: S, rows: unknown): z.output<S>[] {
  return z.array(schema.strict()).parse(rows) as z.output<S>[];
}

/** Parses events, each payload strictly against its event type's schema. */
export function parseEvents(rows: unknown): PayoutEvent[] {
  const events = z.array(PayoutEventSchema).parse(rows) as PayoutEvent[];
  (rows as { payload: unknown }[]).forEach((raw, i) => {
    (PAYOUT_EVENT_PAYLOADS[events[i].event_type] as z.ZodObject).strict().parse(raw.payload);
  });
  return events;
}

const pick = <T extends object>(row: T, schema: z.ZodObject) =>
  Object.fromEntries(Object.keys(schema.shape).map((k) => [k, row[k as keyof T]]));

/** The columns of a hold that the view placement_escrow_holds shows. */
export const holdSummary = (h: EscrowHold) => pick(h, PlacementEscrowHoldSchema);

/** Every relation answers 200 with no row (signed in, no role; or a party for the relations not theirs). */
export async function assertNoRows(db: Client, relations: readonly (typeof RELATIONS)[number][]) {
  for (const rel of relations) {
    const columns = rel === "companies"
      ? COMPANY_SELECT
      : rel === "placements"
      ? PLACEMENT_SELECT
      : rel === "placement_invoices"
      ? PLACEMENT_INVOICE_SELECT
      : rel === "payout_audit_log"
      ? PAYOUT_AUDIT_LOG_SELECT
      : rel === "company_invoices"
      ? COMPANY_INVOICE_SELECT
      : "*";
    const res = await untyped(db).from(rel).select(columns);
    assert.equal(res.error, null, `${rel}: ${JSON.stringify(res.error)}`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.data, [], `${rel} shows no row`);
  }
}

/** Columns nobody may select through the API (admins included): 42501, HTTP 403. */
export async function assertHiddenColumnsRefused(db: Client) {
  const hidden: [(typeof RELATIONS)[number], string][] = [
    ["companies", "stripe_customer_id"],
    ["companies", "*"],
    ["placements", "platform_amount"],
    ["placements", "*"],
    ["placement_invoices", "stripe_invoice_id"],
    ["placement_invoices", "stripe_payment_intent_id"],
    ["placement_invoices", "*"],
    ["payout_audit_log", "old_values"],
    ["payout_audit_log", "new_values"],
    ["payout_audit_log", "prev_hash"],
    ["payout_audit_log", "row_hash"],
    ["payout_audit_log", "txid"],
    ["payout_audit_log", "*"],
    ["company_invoices", "stripe_invoice_id"],
    ["company_invoices", "idempotency_key"],
    ["company_invoices", "*"],
  ];
  for (const [rel, col] of hidden) {
    assertRefused(await untyped(db).from(rel).select(col), "42501", 403, `${rel}.${col}`);
  }
}

/** No write reaches a table: 42501 for every role (admins change data through RPCs only). */
export async function assertWritesRefused(w: World, db: Client) {
  assertRefused(
    await db.from("payouts").update({ status: "paid", paid_amount: 60000 }).eq("id", w.payout.A.id),
    "42501",
    403,
    "update payouts",
  );
  assertRefused(await db.from("escrow_holds").delete().eq("id", w.hold.A.id), "42501", 403, "delete escrow_holds");
  assertRefused(
    await db.from("platform_admins").insert({ user_id: w.fake.id }),
    "42501",
    403,
    "insert platform_admins",
  );
  const [p] = await w.sql<{ status: string }[]>`select status from public.payouts where id = ${w.payout.A.id}`;
  assert.equal(p.status, "partially_paid");
}

type Who = "A" | "B" | "C";

/**
 * A recruiter's screens: own recruiter row, placements with their split (fee, no platform amount),
 * own split, payout, holds, schedules, tranches, audit rows and events; escrow totals of their own
 * holds only; nothing of anyone else.
 */
export async function assertRecruiterView(w: World, who: Who) {
  const me: Actor = { A: w.ra, B: w.rb, C: w.rc }[who];
  const db = me.db;
  const placement = who === "C" ? w.P2 : w.P1;
  const payout = w.payout[who];

  // own recruiter row, Stripe account included
  const recruiters = parseRows(RecruiterSchema, ok(await db.from("recruiters").select("*")));
  assert.deepEqual(recruiters, [w.recruiter[who]]);
  assert.match(recruiters[0].stripe_connect_account_id ?? "", /^acct_/);

  // "My payouts", newest first: the calls of types/example.ts
  const payouts = await listMyPayouts(db);
  assert.deepEqual(payouts, [payout]);
  assert.deepEqual(parseRows(PayoutSchema, ok(await db.from("payouts").select("*"))), [payout]);
  assert.deepEqual(await placementsOf(db, payouts), [pick(placement, PlacementSchema)]);
  assert.equal(outstanding(payouts[0]), payout.held_amount + payout.payable_amount);

  const splits = parseRows(PlacementSplitSchema, ok(await db.from("placement_splits").select("*")));
  assert.deepEqual(splits, [w.split[who]]);

  // the placement with its fee, without platform_amount
  const placements = parseRows(PlacementSchema, ok(await db.from("placements").select(PLACEMENT_SELECT)));
  assert.deepEqual(placements, [pick(placement, PlacementSchema)]);
  assert.ok(!("platform_amount" in placements[0]));

  const holds = parseRows(EscrowHoldSchema, ok(await db.from("escrow_holds").select("*").order("held_at")));
  assert.deepEqual(holds, [w.hold[who]]);
  const summaries = parseRows(PlacementEscrowHoldSchema, ok(await db.from("placement_escrow_holds").select("*")));
  assert.deepEqual(summaries, [holdSummary(w.hold[who])]);

  const schedules = parseRows(PayoutScheduleSchema, ok(await db.from("payout_schedules").select("*")));
  const transfers = parseRows(PayoutTransferSchema, ok(await db.from("payout_transfers").select("*")));
  if (who === "C") {
    assert.deepEqual([schedules, transfers], [[], []]);
  } else {
    assert.deepEqual(schedules, [w.schedule[who]]);
    assert.deepEqual(transfers, [w.transfer[who]]);
    assert.equal(transfers[0].status, "succeeded");
    assert.match(transfers[0].stripe_transfer_id ?? "", /^tr_/); // own Stripe transfer id
  }

  // escrow totals: own holds only (scope own), by POST and by GET (the function is stable)
  const expected = {
    placement_id: placement.id,
    currency: "USD",
    scope: "own",
    held_amount: w.hold[who].hold_amount,
    released_amount: 0,
    cancelled_amount: 0,
    active_hold_count: 1,
    next_release_date: w.hold[who].release_scheduled_date,
  };
  assert.deepEqual(await rpcOk(db, "placement_escrow_total", { p_placement_id: placement.id }), [expected]);
  const byGet = await db.rpc("placement_escrow_total", { p_placement_id: placement.id }, { get: true });
  assert.deepEqual(z.array(PlacementEscrowTotalSchema).parse(ok(byGet)), [expected]);
  // not a party: 42501, for an existing placement and for an unknown id alike (no oracle)
  const other = who === "C" ? w.P1 : w.P2;
  assertRefused(await db.rpc("placement_escrow_total", { p_placement_id: other.id }), "42501", 403, "other placement");
  assertRefused(
    await db.rpc("placement_escrow_total", { p_placement_id: crypto.randomUUID() }),
    "42501",
    403,
    "unknown placement",
  );

  // audit: own payout's rows, exactly the admin's rows for that payout; the trail view says the same
  const adminRows = await rpcOk(w.admin.db, "admin_payout_audit_log", { p_payout_id: payout.id, p_limit: 1000 });
  const audit = parseRows(
    PayoutAuditLogSchema,
    ok(await db.from("payout_audit_log").select(PAYOUT_AUDIT_LOG_SELECT).order("id")),
  );
  assert.deepEqual(audit, adminRows.map((r) => pick(r, PayoutAuditLogSchema)));
  const trail = parseRows(PayoutAuditTrailSchema, ok(await db.from("payout_audit_trail").select("*").order("id")));
  assert.deepEqual(trail, audit.map(({ recruiter_id: _, ...r }) => r)); // the view has no recruiter_id
  assert.ok(audit.every((r) => r.recruiter_id === w.recruiter[who].id));
  assert.ok(audit.length >= (who === "C" ? 2 : 4), `audit rows: ${audit.length}`);
  assert.ok(audit.every((r) => r.payout_id === payout.id));
  assert.ok(audit.every((r) => !["placement", "placement_invoice", "placement_split"].includes(r.entity_type)));

  // events of the own payout, payloads included and parsed per event type
  const events = parseEvents(ok(await db.from("payout_events").select("*").order("id")));
  assert.ok(events.every((e) => e.payout_id === payout.id));
  const types = events.map((e) => e.event_type).sort();
  assert.deepEqual(
    types,
    who === "C" ? ["escrow_hold.created", "payout.created"] : [
      "escrow_hold.created",
      "payout.created",
      "payout.partially_paid",
      "payout_schedule.created",
      "payout_schedule.processed",
      "payout_schedule.processing",
      "payout_transfer.created",
      "payout_transfer.succeeded",
    ],
  );
  const created = events.find((e): e is PayoutEvent<"payout.created"> => e.event_type === "payout.created")!;
  assert.equal(created.payload.amount, payout.amount);
  assert.equal(created.payload.split_id, w.split[who].id);

  // nothing of companies, members, admins, invoices (company billing included); no reversal or
  // clawback in this fixture
  await assertNoRows(db, [
    "companies",
    "company_members",
    "platform_admins",
    "placement_invoices",
    "company_invoices",
    "payout_reversals",
    "recruiter_clawbacks",
    "clawback_offsets",
    "payout_alerts",
  ]);

  // anyone else's rows, asked for by id: nothing
  const others = (["A", "B", "C"] as const).filter((x) => x !== who);
  for (const o of others) {
    assert.deepEqual(ok(await db.from("payouts").select("id").eq("id", w.payout[o].id)), []);
    assert.deepEqual(ok(await db.from("placement_splits").select("id").eq("id", w.split[o].id)), []);
    assert.deepEqual(ok(await db.from("escrow_holds").select("id").eq("id", w.hold[o].id)), []);
    assert.deepEqual(ok(await db.from("recruiters").select("id").eq("id", w.recruiter[o].id)), []);
    assert.deepEqual(ok(await db.from("payout_events").select("id").eq("payout_id", w.payout[o].id)), []);
    assert.deepEqual(ok(await db.from("payout_audit_trail").select("id").eq("payout_id", w.payout[o].id)), []);
    if (o !== "C") {
      assert.deepEqual(ok(await db.from("payout_transfers").select("id").eq("id", w.transfer[o].id)), []);
      assert.deepEqual(ok(await db.from("payout_schedules").select("id").eq("id", w.schedule[o].id)), []);
    }
  }
  // ... and none of what was read mentions them (A does not learn that B exists)
  const everything = JSON.stringify([
    recruiters,
    payouts,
    splits,
    placements,
    holds,
    summaries,
    schedules,
    transfers,
    audit,
    events,
  ]);
  for (const o of others) {
    for (const id of [w.recruiter[o].id, w.payout[o].id, w.split[o].id, w.hold[o].id]) {
      assert.ok(!everything.includes(id), `${who}'s screens mention ${o}'s ${id}`);
    }
  }
}

/**
 * A company member's screens (company_admin and hiring_manager read the same): their company
 * without its Stripe customer, its members, its placements (no platform amount) and invoices (no
 * Stripe ids), hold summaries without amounts, placement-wide escrow totals; no recruiter money.
 */
export async function assertMemberView(w: World, me: Actor) {
  const db = me.db;
  const companies = parseRows(CompanySchema, ok(await db.from("companies").select(COMPANY_SELECT)));
  assert.deepEqual(companies, [pick(w.companyX, CompanySchema)]);

  const members = parseRows(CompanyMemberSchema, ok(await db.from("company_members").select("*").order("role")));
  assert.deepEqual(
    members.map((m) => [m.company_id, m.user_id, m.role]),
    [[w.companyX.id, w.cadm.id, "company_admin"], [w.companyX.id, w.hm.id, "hiring_manager"]],
  );

  const placements = parseRows(PlacementSchema, ok(await db.from("placements").select(PLACEMENT_SELECT)));
  assert.deepEqual(placements, [pick(w.P1, PlacementSchema)]);

  const invoices = parseRows(
    PlacementInvoiceSchema,
    ok(await db.from("placement_invoices").select(PLACEMENT_INVOICE_SELECT)),
  );
  assert.deepEqual(invoices, [pick(w.invoiceP1, PlacementInvoiceSchema)]);
  assert.equal(invoices[0].status, "paid");

  // the company's Stripe invoices: its company admins only (status, amount due, hosted URL)
  const billing = ok(await db.from("company_invoices").select(COMPANY_INVOICE_SELECT));
  if (me === w.cadm) {
    assert.deepEqual(parseRows(CompanyInvoiceSchema, billing), [pick(w.companyInvoiceP1, CompanyInvoiceSchema)]);
    assert.equal(billing[0].amount_due, 100000);
    const key = await db.from("company_invoices").select("idempotency_key");
    assert.equal(key.error?.code, "42501", "keys and Stripe ids are not granted");
  } else {
    assert.deepEqual(billing, [], "a hiring manager sees no company billing");
  }

  // hold summaries of the company's placements: reason, status, dates; no amount, no payout id
  const summaries = parseRows(
    PlacementEscrowHoldSchema,
    ok(await db.from("placement_escrow_holds").select("*").order("id")),
  );
  assert.deepEqual(summaries, [w.hold.A, w.hold.B].sort((a, b) => a.id.localeCompare(b.id)).map(holdSummary));
  const amount = await db.from("placement_escrow_holds").select("hold_amount");
  assert.equal(amount.error?.code, "42703"); // the view has no such column
  assert.equal(amount.status, 400);

  // escrow of the whole placement: how many holds and when the next release is, never amounts
  // (with one recruiter, or as holds are released one by one, a total is one recruiter's money)
  assert.deepEqual(await rpcOk(db, "placement_escrow_total", { p_placement_id: w.P1.id }), [{
    placement_id: w.P1.id,
    currency: "USD",
    scope: "company",
    held_amount: null,
    released_amount: null,
    cancelled_amount: null,
    active_hold_count: 2,
    next_release_date: w.hold.A.release_scheduled_date,
  }]);
  assertRefused(await db.rpc("placement_escrow_total", { p_placement_id: w.P2.id }), "42501", 403, "other company");

  // no recruiter money, no recruiter, no audit, no events, no admins
  await assertNoRows(db, [
    "platform_admins",
    "recruiters",
    "placement_splits",
    "payouts",
    "escrow_holds",
    "payout_schedules",
    "payout_transfers",
    "payout_audit_log",
    "payout_audit_trail",
    "payout_events",
    "payout_reversals",
    "recruiter_clawbacks",
    "clawback_offsets",
    "payout_alerts",
  ]);
  // the other company's rows, by id: nothing
  assert.deepEqual(ok(await db.from("companies").select("id").eq("id", w.companyY.id)), []);
  assert.deepEqual(ok(await db.from("placements").select("id").eq("id", w.P2.id)), []);
  assert.deepEqual(ok(await db.from("placement_invoices").select("id").eq("id", w.invoiceP2.id)), []);
  assert.deepEqual(ok(await db.from("placement_escrow_holds").select("id").eq("id", w.hold.C.id)), []);
  assert.deepEqual(ids(summaries), ids([w.hold.A, w.hold.B]));
}

/**
 * A recruiter's statement through the API (docs/statements.md): only their own lines, and its
 * closing balances are the buckets of the payouts they can list (owed = payable + in flight, held);
 * the yearly totals' paid is their paid_amount of the year.
 */
export async function assertStatementView(w: World, who: "A" | "B" | "C") {
  const db = who === "A" ? w.ra.db : who === "B" ? w.rb.db : w.rc.db;
  const me = w.recruiter[who].id;
  const lines = await rpcOk(db, "my_statement", { ...RPC_STATEMENT_PERIOD, p_currency: "USD" });
  assert.ok(lines.length >= 2);
  assert.ok(lines.every((l) => l.recruiter_id === me), "only the caller's own lines");
  assert.deepEqual([lines[0].kind, lines.at(-1)!.kind], ["opening_balance", "closing_balance"]);
  const payouts = ok(await db.from("payouts").select("*").eq("recruiter_id", me));
  const sum = (f: (p: any) => number) => payouts.reduce((a: number, p: any) => a + f(p), 0);
  const closing = lines.at(-1)!;
  assert.deepEqual(
    [closing.owed_balance, closing.held_balance],
    [sum((p) => p.payable_amount + p.in_flight_amount), sum((p) => p.held_amount)],
    "closing balances = the buckets",
  );
  assert.equal(
    lines.filter((l) => l.kind === "transfer_paid").reduce((a, l) => a + l.amount!, 0),
    sum((p) => p.paid_amount),
    "paid lines = paid_amount",
  );
  const others = Object.values(w.payout).map((p) => p.id).filter((id) => !payouts.some((p: any) => p.id === id));
  assert.ok(lines.every((l) => l.payout_id === null || !others.includes(l.payout_id)), "no line of another's payout");
  const totals = await rpcOk(db, "my_yearly_totals", { p_year: new Date().getUTCFullYear() });
  assert.ok(totals.every((t) => t.recruiter_id === me));
}

/** Someone who is no recruiter: the recruiter's own statement reads answer 42501. */
export async function assertStatementRefused(db: Client, status: 401 | 403) {
  for (const [name, args] of Object.entries(recruiterRpcCalls())) {
    assertRefused(await untyped(db).rpc(name, args), "42501", status, name);
  }
}
