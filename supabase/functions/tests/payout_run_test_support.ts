/**
 * Shared helpers of the payout-run stack tests (not a test file itself): fixtures built through
 * the money model's functions (as the superuser, like supabase/tests/money/_fixtures.psql, but
 * committed and with unique ids so tests isolate their data), the Stripe stand-in's control API,
 * calling and killing the job functions, and the invariant every test ends with.
 */
import assert from "node:assert/strict";
import type postgres from "postgres";
import { adminSql, eventually, stackEnv } from "../../../local/tests/support.ts";
import { control, requestLog } from "./standin_test_support.ts";

export { adminSql, eventually, stackEnv };

export const SUPABASE_URL = () => stackEnv("SUPABASE_URL");
export const STRIPE_BASE = () => stackEnv("STRIPE_API_BASE");
export const JOB_SECRET = () => stackEnv("PAYOUT_JOB_SECRET");

// ---------------------------------------------------------------------------------------------
// Stripe stand-in
// ---------------------------------------------------------------------------------------------

/** A call of the stack stand-in's control API (`/_standin/*`). */
export const standin = <T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> =>
  control<T>({ url: STRIPE_BASE() }, method, path, body);

/** A stand-in transfer (ledger view). */
export interface LedgerTransfer {
  id: string;
  amount: number;
  currency: string;
  destination: string;
  transfer_group: string | null;
  source_transaction: string | null;
  metadata: Record<string, string>;
  created: number;
}

/** Transfers of the stand-in ledger whose metadata names one of these payouts. */
export async function ledgerTransfers(payoutIds: string[]): Promise<LedgerTransfer[]> {
  const l = await standin<{ transfers: LedgerTransfer[] }>("GET", "/_standin/ledger");
  const set = new Set(payoutIds);
  return l.transfers.filter((t) => set.has(t.metadata?.payout_id));
}

/** Adds a fault; returns its id (remove it with `removeFault`). */
export async function addFault(spec: Record<string, unknown>): Promise<string> {
  const r = await standin<{ faults: { id: string }[] }>("POST", "/_standin/faults", spec);
  return r.faults[0].id;
}

export async function removeFault(id: string): Promise<void> {
  await fetch(`${STRIPE_BASE()}/_standin/faults/${id}`, { method: "DELETE" }).then((r) => r.body?.cancel());
}

/** A fault on the transfers of one payout (`POST /v1/transfers` whose metadata names it); returns its id. */
export const transferFault = (kind: string, payoutId: string, more: Record<string, unknown> = {}): Promise<string> =>
  addFault({ kind, method: "POST", path: "/v1/transfers", metadata: { payout_id: payoutId }, ...more });

/** The `POST /v1/transfers` the stack stand-in saw under one idempotency key. */
export async function transferPosts(idempotencyKey: string) {
  return (await standinRequests({ method: "POST", path: "/v1/transfers" })).filter((q) =>
    q.idempotency_key === idempotencyKey
  );
}

/** The stack stand-in's request log, filtered. */
export const standinRequests = (filter: { method?: string; path?: string } = {}) =>
  requestLog({ url: STRIPE_BASE() }, filter);

const hex = () => crypto.randomUUID().replaceAll("-", "");

/** A connected account in the stand-in (transfers capability as given). */
export async function standinAccount(capability: "active" | "inactive" | "pending" = "active"): Promise<string> {
  const id = `acct_${hex().slice(0, 20)}`;
  await standin("POST", "/_standin/accounts", { id, capabilities: { transfers: capability } });
  return id;
}

// ---------------------------------------------------------------------------------------------
// Fixtures (committed; unique ids; through the money model's functions)
// ---------------------------------------------------------------------------------------------

export interface RecruiterSpec {
  /** Capability mirrored in the database (default active). null: no connected account. */
  capability?: "active" | "inactive" | "pending" | null;
  /** Capability of the account in the stand-in (default: the database's). */
  standinCapability?: "active" | "inactive" | "pending";
  paused?: boolean;
}

export interface PlacementSpec {
  /** Share of each split in basis points (one new recruiter each). */
  shares?: number[];
  recruiters?: RecruiterSpec[];
  fee?: number;
  currency?: string;
  holdbackBps?: number;
  guaranteeDays?: number;
  /** Days ago: hired, invoice recorded, invoice paid (collectible 7 days later). */
  hiredDaysAgo?: number;
  paidDaysAgo?: number | null;
  /** Give the invoice a Stripe id and seed it (with a charge) in the stand-in: source_transaction. */
  stripeInvoice?: boolean;
}

export interface PlacementFixture {
  placementId: string;
  invoiceId: string;
  stripeInvoiceId: string | null;
  chargeId: string | null;
  /** Recruiter ids in the order of the spec's shares. */
  recruiterIds: string[];
  payouts: Array<
    { id: string; recruiterId: string; account: string | null; amount: number; scheduleId: string | null }
  >;
}

/** A placement with paid invoice: its payouts' schedules are due now (unless paidDaysAgo is small). */
export async function createPlacement(sql: postgres.Sql, spec: PlacementSpec = {}): Promise<PlacementFixture> {
  const shares = spec.shares ?? [6000, 4000];
  const fee = spec.fee ?? 100_000;
  const currency = spec.currency ?? "USD";
  const hired = spec.hiredDaysAgo ?? 60;
  const paid = spec.paidDaysAgo === undefined ? 30 : spec.paidDaysAgo;
  const tag = hex().slice(0, 10);

  const recruiters: Array<{ id: string; account: string | null }> = [];
  for (let i = 0; i < shares.length; i++) {
    const r = spec.recruiters?.[i] ?? {};
    const capability = r.capability === undefined ? "active" : r.capability;
    let account: string | null = null;
    if (capability !== null) account = await standinAccount(r.standinCapability ?? capability);
    const [u] = await sql<{ id: string }[]>`
      insert into auth.users (id, email, aud, role)
      values (gen_random_uuid(), ${`payout-run-${tag}-${i}@test.invalid`}, 'authenticated', 'authenticated')
      returning id`;
    const [rec] = await sql<{ id: string }[]>`
      insert into public.recruiters (user_id, display_name) values (${u.id}, ${`R${i} ${tag}`}) returning id`;
    if (account) {
      await sql`select private.set_recruiter_connect_account(${rec.id}, ${account}, ${capability},
                                                             now() - make_interval(days => ${hired + 5}))`;
    }
    if (r.paused) {
      await sql`select private.set_recruiter_paused(${rec.id}, true, 'fixture pause', now() - interval '1 day')`;
    }
    recruiters.push({ id: rec.id, account });
  }

  const [c] = await sql<{ id: string }[]>`insert into public.companies (name) values (${`Co ${tag}`}) returning id`;
  const [pl] = await sql<{ id: string }[]>`
    select (private.create_placement(${c.id}, ${fee}, ${currency}, now() - make_interval(days => ${hired}),
                                     ${spec.guaranteeDays ?? 90}, ${spec.holdbackBps ?? 0}, ${`Placement ${tag}`})).id`;
  const roles = ["candidate_recruiter", "company_recruiter", "job_owner", "candidate_sourcer", "company_sourcer"];
  for (let i = 0; i < shares.length; i++) {
    await sql`insert into public.placement_splits (placement_id, recruiter_id, role, share_bps)
              values (${pl.id}, ${recruiters[i].id}, ${roles[i % 5]}, ${shares[i]})`;
  }

  let stripeInvoiceId: string | null = null;
  let chargeId: string | null = null;
  if (spec.stripeInvoice) {
    stripeInvoiceId = `in_${hex().slice(0, 20)}`;
    const seeded = await standin<{ invoice: { id: string }; charge?: { id: string } }>("POST", "/_standin/invoices", {
      id: stripeInvoiceId,
      amount_paid: fee,
      currency: currency.toLowerCase(),
      status: "paid",
      payment_type: "payment_intent",
    });
    chargeId = seeded.charge?.id ?? null;
  }
  const [inv] = await sql<{ id: string }[]>`
    select (private.record_placement_invoice(${pl.id}, ${stripeInvoiceId}, null, 'open',
                                             now() - make_interval(days => ${hired - 1}))).id`;
  if (paid !== null) {
    await sql`select private.transition_placement_invoice(${inv.id}, 'paid', null,
                now() - make_interval(days => ${paid}), now() - make_interval(days => ${paid}))`;
  }

  const payouts = await sql<{ id: string; recruiter_id: string; amount: string; schedule_id: string | null }[]>`
    select po.id, po.recruiter_id, po.amount,
           (select s.id from public.payout_schedules s where s.payout_id = po.id
             order by s.created_at desc limit 1) as schedule_id
    from public.payouts po where po.placement_id = ${pl.id} order by po.id`;
  return {
    placementId: pl.id,
    invoiceId: inv.id,
    stripeInvoiceId,
    chargeId,
    recruiterIds: recruiters.map((r) => r.id),
    payouts: payouts.map((p) => ({
      id: p.id,
      recruiterId: p.recruiter_id,
      account: recruiters.find((r) => r.id === p.recruiter_id)?.account ?? null,
      amount: Number(p.amount),
      scheduleId: p.schedule_id,
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// Functions
// ---------------------------------------------------------------------------------------------

/** POSTs a job function through the gateway with the job secret (or the given headers). */
export async function callFunction(
  name: "process-payout-schedules" | "process-escrow-releases",
  opts: { headers?: Record<string, string>; body?: unknown; method?: string; secret?: string | null } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { "content-type": "application/json", ...opts.headers };
  if (opts.secret !== null) headers["x-job-secret"] = opts.secret ?? JOB_SECRET();
  const res = await fetch(`${SUPABASE_URL()}/functions/v1/${name}`, {
    method: opts.method ?? "POST",
    headers,
    body: (opts.method ?? "POST") === "GET" ? undefined : JSON.stringify(opts.body ?? { trigger: "manual" }),
  });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = { raw: text };
  }
  return { status: res.status, body };
}

/** Starts an invocation and returns its id (asserts the 202). */
export async function invoke(
  name: "process-payout-schedules" | "process-escrow-releases" = "process-payout-schedules",
) {
  const r = await callFunction(name);
  assert.equal(r.status, 202, JSON.stringify(r.body));
  assert.equal(r.body.accepted, true);
  return r.body.invocation_id as string;
}

export interface InvocationRow {
  id: string;
  run_id: string;
  outcome: string | null;
  finished_at: Date | null;
  claimed: string;
  paid: string;
  adopted: string;
  failed: string;
  unknown: string;
  deferred: string;
  skipped: string;
  reconciled: string;
  released: string;
  error_count: string;
  errors: unknown[];
  trigger: string;
}

/** Waits until the invocation has finished; returns its row. */
export async function finished(sql: postgres.Sql, invocationId: string, timeoutMs = 30_000): Promise<InvocationRow> {
  return await eventually(
    async () => {
      const [r] = await sql<InvocationRow[]>`select * from private.payout_run_invocations where id = ${invocationId}`;
      return r?.finished_at ? r : null;
    },
    `invocation ${invocationId} to finish`,
    timeoutMs,
  );
}

/** Runs the payout function once and waits for it. */
export async function runOnce(sql: postgres.Sql, timeoutMs = 30_000): Promise<InvocationRow> {
  return await finished(sql, await invoke(), timeoutMs);
}

/** Pid of a function worker (started on demand by the local functions server). */
export async function functionPid(name: string): Promise<number | undefined> {
  const res = await fetch(`${SUPABASE_URL()}/_local/functions`);
  return ((await res.json()) as Record<string, number>)[name];
}

/** SIGKILL of the function's worker process (a crash: no cleanup, no finally); waits until it is gone. */
export async function killFunction(name: string): Promise<number> {
  const pid = await functionPid(name);
  assert.ok(pid, `${name} has a running worker`);
  Deno.kill(pid, "SIGKILL");
  await eventually(async () => (await functionPid(name)) !== pid, `${name} worker ${pid} to be gone`, 10_000);
  return pid;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// State and the invariant
// ---------------------------------------------------------------------------------------------

export interface TrancheRow {
  id: string;
  payout_id: string;
  schedule_id: string;
  status: string;
  amount: string;
  attempt_number: number;
  stripe_transfer_id: string | null;
  idempotency_key: string;
  failure_reason: string | null;
}

export async function tranches(sql: postgres.Sql, payoutIds: string[]): Promise<TrancheRow[]> {
  return [
    ...await sql<TrancheRow[]>`
    select id, payout_id, schedule_id, status, amount, attempt_number, stripe_transfer_id, idempotency_key, failure_reason
    from public.payout_transfers where payout_id = any (${payoutIds}::uuid[]) order by payout_id, attempt_number`,
  ];
}

export async function schedule(sql: postgres.Sql, scheduleId: string) {
  const [s] = await sql<
    {
      id: string;
      status: string;
      retry_count: number;
      max_attempts: number;
      is_exhausted: boolean;
      next_attempt_at: Date | null;
      skip_reason: string | null;
      failure_reason: string | null;
    }[]
  >`select id, status, retry_count, max_attempts, is_exhausted, next_attempt_at, skip_reason, failure_reason
    from public.payout_schedules where id = ${scheduleId}`;
  return s;
}

/** Waits until every payout is fully paid. */
export async function allPaid(sql: postgres.Sql, payoutIds: string[], timeoutMs = 30_000): Promise<void> {
  await eventually(
    async () => {
      const [r] = await sql<{ n: number }[]>`
      select count(*)::int as n from public.payouts where id = any (${payoutIds}::uuid[]) and status <> 'paid'`;
      return r.n === 0;
    },
    `payouts ${payoutIds.length} to be paid`,
    timeoutMs,
  );
}

/**
 * The invariant every test ends with, for its own payouts:
 * - Σ stand-in transfers per payout = Σ succeeded tranches = paid_amount, one Stripe transfer per
 *   succeeded tranche (same id, amount, destination), none without a tranche;
 * - the tranche invariant (private.payout_problems: buckets = sums of tranches/holds, status derived);
 * - every change audited: each money row of the test equals its latest audit row, chains intact.
 */
export async function assertInvariants(sql: postgres.Sql, payoutIds: string[]): Promise<void> {
  const ledger = await ledgerTransfers(payoutIds);
  const rows = await tranches(sql, payoutIds);
  const paidAmounts = await sql<{ id: string; paid_amount: string }[]>`
    select id, paid_amount from public.payouts where id = any (${payoutIds}::uuid[])`;
  for (const p of paidAmounts) {
    const atStripe = ledger.filter((t) => t.metadata.payout_id === p.id);
    const succeeded = rows.filter((t) => t.payout_id === p.id && t.status === "succeeded");
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    assert.equal(
      sum(atStripe.map((t) => t.amount)),
      Number(p.paid_amount),
      `payout ${p.id}: Σ Stripe transfers = paid`,
    );
    assert.equal(
      sum(succeeded.map((t) => Number(t.amount))),
      Number(p.paid_amount),
      `payout ${p.id}: Σ tranches = paid`,
    );
    assert.equal(atStripe.length, succeeded.length, `payout ${p.id}: one Stripe transfer per succeeded tranche`);
    for (const t of succeeded) {
      const tr = atStripe.find((x) => x.id === t.stripe_transfer_id);
      assert.ok(tr, `tranche ${t.id}: its transfer ${t.stripe_transfer_id} is in the ledger`);
      assert.equal(tr.amount, Number(t.amount));
      assert.equal(tr.metadata.payout_transfer_id, t.id);
    }
  }
  const problems = await sql`
    select p.* from private.payout_problems(${payoutIds}::uuid[]) p`;
  assert.deepEqual([...problems], [], "tranche invariant holds");

  const unexplained = await sql<{ entity: string; id: string }[]>`
    with mine as (
      select 'payout' as entity, po.id, to_jsonb(po) as row from public.payouts po where po.id = any (${payoutIds}::uuid[])
      union all
      select 'payout_transfer', t.id, to_jsonb(t) from public.payout_transfers t where t.payout_id = any (${payoutIds}::uuid[])
      union all
      select 'payout_schedule', s.id, to_jsonb(s) from public.payout_schedules s where s.payout_id = any (${payoutIds}::uuid[])
    )
    select m.entity, m.id from mine m
    where (select a.new_values from public.payout_audit_log a
           where a.entity_type = m.entity and a.entity_id = m.id order by a.entity_seq desc limit 1)
          is distinct from m.row`;
  assert.deepEqual([...unexplained], [], "every money row equals its latest audit row (no unaudited change)");
  const chains = await sql`
    select v.* from (
      select 'payout' as e, po.id from public.payouts po where po.id = any (${payoutIds}::uuid[])
      union all select 'payout_transfer', t.id from public.payout_transfers t where t.payout_id = any (${payoutIds}::uuid[])
      union all select 'payout_schedule', s.id from public.payout_schedules s where s.payout_id = any (${payoutIds}::uuid[])
    ) x cross join lateral public.verify_payout_audit_chain(x.e, x.id) v`;
  assert.deepEqual([...chains], [], "audit chains intact");
}

/** Events of the outbox for these entities, in order. */
export async function events(
  sql: postgres.Sql,
  entityIds: string[],
): Promise<Array<{ event_type: string; entity_id: string; payload: Record<string, unknown> }>> {
  return [
    ...await sql<{ event_type: string; entity_id: string; payload: Record<string, unknown> }[]>`
    select event_type, entity_id, payload from public.payout_events
    where entity_id = any (${entityIds}::uuid[]) or payout_id = any (${entityIds}::uuid[]) order by id`,
  ];
}

/** Waits until the schedule's claim is free (its tranche is up for reconciliation). */
export async function claimFree(sql: postgres.Sql, scheduleId: string, timeoutMs = 30_000): Promise<void> {
  await eventually(
    async () => {
      // the rule of private.claim_payout_reconciliations: the holder let go and the lease (settle,
      // defer delay) is over, or the holder is gone (finished, or no heartbeat for
      // settings.invocation_stale_after)
      const [r] = await sql<{ free: boolean }[]>`
      select case when s.claimed_by_invocation is null then s.lease_expires_at <= now()
                  else not exists (select 1 from private.payout_run_invocations i
                                   where i.id = s.claimed_by_invocation and i.finished_at is null
                                     and i.heartbeat_at > now() - (select invocation_stale_after
                                                                     from private.payout_settings)) end as free
        from public.payout_schedules s where s.id = ${scheduleId}`;
      return r?.free;
    },
    `the claim of schedule ${scheduleId} to be free`,
    timeoutMs,
  );
}

/**
 * Closes an invocation whose process was killed (it never finishes its own row; without this the
 * doorbell would treat it as working until its heartbeat is 20 seconds old: settings.invocation_stale_after).
 */
export async function closeKilledInvocation(sql: postgres.Sql, invocationId: string): Promise<void> {
  await sql`select private.finish_payout_invocation(${invocationId}::uuid, 'error')
            where exists (select 1 from private.payout_run_invocations
                          where id = ${invocationId}::uuid and finished_at is null)`;
}

/** Waits until no invocation of the kind is open with a fresh heartbeat (the doorbell would stay quiet). */
export async function noInvocationRunning(sql: postgres.Sql, kind = "payout_schedules", timeoutMs = 30_000) {
  await eventually(
    async () => {
      const [r] = await sql<{ n: number }[]>`
      select count(*)::int as n from private.payout_run_invocations
      where kind = ${kind} and finished_at is null and heartbeat_at > now() - (select invocation_stale_after from private.payout_settings)`;
      return r.n === 0;
    },
    `no running ${kind} invocation`,
    timeoutMs,
  );
}
