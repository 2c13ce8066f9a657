// The seeded fault soak (issue 13; docs/soak.md): a schedule of workload, admin actions, job runs
// and faults drawn from one seed, run against the real stack, with the invariants checked after
// every step and in full once the faults stopped and everything settled.
import { HANDLED_EVENT_TYPES } from "../../supabase/functions/_shared/stripe_sync/events.ts";
import { createPlacement } from "../../supabase/functions/tests/payout_run_test_support.ts";
import { availableFaults, type FaultKind } from "./faults.ts";
import { Invariants, type Violation } from "./invariants.ts";
import { type Prng, stepPrng } from "./prng.ts";
import { CATCH_UP_FUNCTION, catchUpExists, World } from "./world.ts";

export interface SoakOptions {
  seed: number;
  steps: number;
  /** Stop drawing steps after this much wall time (the settle and final checks still run). */
  minutes?: number;
  /** Fault kinds left out (shrinking, or by hand). */
  without?: ReadonlySet<string>;
  /** Keep the stack's folder (logs) even when nothing failed. */
  keep?: boolean;
  log?: (line: string) => void;
  /** Aborted (SIGINT/SIGTERM): no more steps; the settle and final checks still run. */
  signal?: AbortSignal;
}

export interface SoakReport {
  seed: number;
  steps: number;
  stepsRun: number;
  faults: Partial<Record<FaultKind, number>>;
  faultsTotal: number;
  /** Stand-in faults that acted (armed ones may find no request before the settle clears them). */
  standinFaultsFired: number;
  cpuLimitTerminations: number;
  payouts: number;
  payoutsPaid: number;
  transfers: number;
  wallMs: number;
  settle: { wallMs: number; virtualS: number; slowestPayoutWallMs: number; slowestPayoutVirtualS: number };
  violations: Violation[];
  failedStep: number | null;
  notes: string[];
  logDir: string | null;
}

interface PlacementState {
  id: string;
  fee: number;
  currency: string;
  stripeInvoiceId: string | null;
  chargeId: string | null;
  open: boolean;
  viaWebhook: boolean;
  disputes: { id: string; closed: boolean }[];
}

const DEAD_URL = "http://127.0.0.1:9/lost"; // fetch refuses port 9 at once: the delivery is lost
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SPLIT_ROLES = 6;

export async function runSoak(opts: SoakOptions): Promise<SoakReport> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const started = Date.now();
  const { kinds, note } = availableFaults(opts.without);
  if (note) log(note);
  const enabled = new Set<FaultKind>(kinds);
  const catchUp = catchUpExists();

  const w = await World.start();
  log(`stack up in ${((Date.now() - started) / 1000).toFixed(1)} s (${w.stateDir})`);
  const inv = new Invariants(w);
  const report: SoakReport = {
    seed: opts.seed,
    steps: opts.steps,
    stepsRun: 0,
    faults: {},
    faultsTotal: 0,
    standinFaultsFired: 0,
    cpuLimitTerminations: 0,
    payouts: 0,
    payoutsPaid: 0,
    transfers: 0,
    wallMs: 0,
    settle: { wallMs: 0, virtualS: 0, slowestPayoutWallMs: 0, slowestPayoutVirtualS: 0 },
    violations: [],
    failedStep: null,
    notes: [],
    logDir: null,
  };
  const placements: PlacementState[] = [];
  const background: Promise<unknown>[] = [];
  let virtualS = 0; // stand-in clock advanced by the schedule
  let platformPaused = false;
  const fault = (k: FaultKind, n = 1) => {
    report.faults[k] = (report.faults[k] ?? 0) + n;
    report.faultsTotal += n;
  };
  const note5xx = new Map<string, number>();
  const noteOutcome = (what: string) => note5xx.set(what, (note5xx.get(what) ?? 0) + 1);

  // ---- webhooks -------------------------------------------------------------------------------
  type Delivery = "normal" | "duplicate" | "reorder" | "delayed" | "lost";
  const chooseDelivery = (r: Prng): Delivery => {
    const d = r.weighted({ normal: 4, duplicate: 2, reorder: 1.5, delayed: 1.5, lost: 1 });
    if (d === "duplicate" && !enabled.has("webhook_duplicated")) return "normal";
    if (d === "reorder" && !enabled.has("webhook_reordered")) return "normal";
    if (d === "delayed" && !enabled.has("webhook_delayed")) return "normal";
    if (d === "lost" && !enabled.has("webhook_lost")) return "normal";
    return d;
  };
  async function quiesceWebhooks(): Promise<void> {
    await Promise.allSettled(background.splice(0));
    await w.standin("POST", "/_standin/webhooks/flush");
  }
  /**
   * Stripe's automatic retries: events whose every delivery failed (5xx while the database was
   * restarting, a killed worker) are delivered again; deliberately lost ones are not.
   */
  async function stripeRetries(): Promise<number> {
    await w.standin("POST", "/_standin/webhooks/flush");
    const { deliveries } = await w.standin<{ deliveries: { event_id: string; status: number | null; url: string }[] }>(
      "GET",
      "/_standin/webhooks",
    );
    const ok = new Set<string>(), lostOnPurpose = new Set<string>(), failed = new Set<string>();
    for (const d of deliveries) {
      if (d.url === DEAD_URL) lostOnPurpose.add(d.event_id);
      else if (d.status !== null && d.status >= 200 && d.status < 300) ok.add(d.event_id);
      else failed.add(d.event_id);
    }
    const ids = [...failed].filter((id) => !ok.has(id) && !lostOnPurpose.has(id));
    if (ids.length) await w.standin("POST", "/_standin/webhooks/redeliver", { event_ids: ids });
    return ids.length;
  }
  async function deliver(
    events: { type: string; account?: string; data: { object: unknown } }[],
    how: Delivery,
    r: Prng,
  ): Promise<void> {
    if (how === "lost") {
      // Stripe made the event (GET /v1/events lists it) but the delivery never arrived. Earlier
      // (delayed) deliveries land first: the lost window is this event's alone.
      await quiesceWebhooks();
      await w.standin("POST", "/_standin/webhooks/config", { url: DEAD_URL });
      try {
        await w.standin("POST", "/_standin/webhooks/send", { events });
      } finally {
        await w.standin("POST", "/_standin/webhooks/config", { url: w.webhookUrl });
      }
      fault("webhook_lost");
      return;
    }
    const body: Record<string, unknown> = { events, mode: "normal" };
    if (how === "duplicate") body.mode = "duplicate", fault("webhook_duplicated");
    if (how === "reorder") body.mode = "reverse_order", fault("webhook_reordered");
    if (how === "delayed") {
      body.mode = "delay_ms";
      body.delay_ms = r.int(200, 3000);
      fault("webhook_delayed");
      background.push(w.standin("POST", "/_standin/webhooks/send", body).catch((e) => report.notes.push(`delayed webhook: ${e}`)));
      return;
    }
    await w.standin("POST", "/_standin/webhooks/send", body);
  }

  // ---- picking targets (ordered, so the seed's choice is stable for a given state) ------------
  const pickRow = async <T>(r: Prng, rows: readonly T[]): Promise<T | null> => rows.length ? r.pick(rows) : null;
  const rowsOf = async (query: string) => [...await w.q((sql) => sql.unsafe(query))] as Record<string, string>[];

  // ---- job functions --------------------------------------------------------------------------
  async function invokePayouts(n: number): Promise<string[]> {
    const res = await Promise.all(Array.from({ length: n }, () => w.callFunction("process-payout-schedules")));
    for (const x of res) if (x.status >= 500) noteOutcome(`process-payout-schedules ${x.status}`);
    return res.map((x) => x.body.invocation_id as string).filter(Boolean);
  }
  async function awaitInvocations(ids: string[], timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (ids.length && Date.now() < until) {
      const [{ open }] = await w.q((sql) =>
        sql<{ open: number }[]>`select count(*)::int as open from private.payout_run_invocations
                                 where id = any (${ids}::uuid[]) and finished_at is null`
      );
      if (open === 0) return;
      await sleep(150);
    }
  }
  async function killWorker(name: string): Promise<boolean> {
    const pid = w.workerPid(name);
    if (!pid) return false;
    try {
      Deno.kill(pid, "SIGKILL");
      return true;
    } catch {
      return false;
    }
  }

  // ---- one step -------------------------------------------------------------------------------
  const maxPlacements = Math.min(200, Math.max(6, Math.ceil(opts.steps / 4)));
  async function step(i: number): Promise<string> {
    const r = stepPrng(opts.seed, i);
    const haveOpen = placements.some((p) => p.open);
    const kind = r.weighted({
      placement: placements.length < 3 ? 30 : placements.length < maxPlacements ? 7 : 0,
      invoice_paid: haveOpen ? 6 : 0,
      dispute: placements.some((x) => !x.open) ? 2 : 0,
      capability: 3,
      admin: 8,
      run_payouts: 12,
      run_other: 4,
      doorbell: 4,
      stripe_faults: 16,
      worker_kill: 4,
      cpu_kill: 2,
      pg_crash: 1.6,
      clock: 3,
      lost_transfer_events: 1,
    });
    switch (kind) {
      case "placement": {
        const n = r.int(1, SPLIT_ROLES);
        const total = r.pick([10000, 9000, 8000, 7500]);
        const shares = Array.from({ length: n }, () => 1);
        const weights = shares.map(() => r.int(1, 10));
        const wsum = weights.reduce((a, b) => a + b, 0);
        let left = total;
        for (let k = 0; k < n; k++) {
          shares[k] = k === n - 1 ? left : Math.max(1, Math.floor((total * weights[k]) / wsum));
          left -= k === n - 1 ? 0 : shares[k];
        }
        const viaWebhook = r.chance(0.4);
        const guaranteeDays = r.pick([0, 30, 90]);
        const fee = r.int(50, 5000) * 100;
        const f = await createPlacement(w.sql, {
          shares,
          fee,
          currency: r.pick(["USD", "USD", "EUR"]),
          holdbackBps: r.pick([0, 0, 2000, 5000, 10000]),
          guaranteeDays,
          hiredDaysAgo: r.pick([100, 60, 45]),
          paidDaysAgo: viaWebhook ? null : 30,
          stripeInvoice: true,
          recruiters: shares.map(() => {
            const c = r.weighted({ active: 8, pending: 1, inactive: 1, none: 0.4 });
            return c === "none" ? { capability: null } : { capability: c, paused: r.chance(0.05) };
          }),
        });
        const [pl] = await w.q((sql) => sql<{ currency: string }[]>`select currency from public.placements where id = ${f.placementId}`);
        placements.push({
          id: f.placementId,
          fee,
          currency: pl.currency.trim().toLowerCase(),
          stripeInvoiceId: f.stripeInvoiceId,
          chargeId: f.chargeId,
          open: viaWebhook,
          viaWebhook,
          disputes: [],
        });
        return `placement ${n} splits${viaWebhook ? " (invoice open)" : ""}`;
      }
      case "invoice_paid": {
        const p = r.pick(placements.filter((x) => x.open));
        const paidAt = Math.floor(Date.now() / 1000) - 20 * 86400;
        const object = {
          id: p.stripeInvoiceId,
          object: "invoice",
          amount_due: p.fee,
          amount_paid: p.fee,
          currency: p.currency,
          status: "paid",
          charge: p.chargeId,
          status_transitions: { paid_at: paidAt },
        };
        const how = chooseDelivery(r);
        const events = how === "reorder"
          ? [{ type: "invoice.payment_succeeded", data: { object } }, { type: "invoice.paid", data: { object } }]
          : [{ type: "invoice.paid", data: { object } }];
        await deliver(events, how, r);
        p.open = false;
        return `invoice.paid (${how})`;
      }
      case "dispute": {
        // mostly placements paid through invoice.paid (their charge is recorded); the others' events
        // fail (PT404: unknown charge) and stay visible as failed webhook events
        const paidHere = placements.filter((x) => !x.open && x.viaWebhook);
        const p = r.pick(paidHere.length && r.chance(0.85) ? paidHere : placements.filter((x) => !x.open));
        const openDispute = p.disputes.find((d) => !d.closed);
        const how = chooseDelivery(r);
        const created = Math.floor(Date.now() / 1000);
        if (openDispute && r.chance(0.7)) {
          const status = r.pick(["won", "lost", "won"]);
          await deliver([{
            type: "charge.dispute.closed",
            data: { object: { id: openDispute.id, object: "dispute", charge: p.chargeId, amount: p.fee, currency: p.currency, status, created } },
          }], how === "reorder" ? "normal" : how, r);
          openDispute.closed = true;
          return `dispute closed ${status} (${how})`;
        }
        if (r.chance(0.3)) {
          await deliver([{
            type: "charge.refunded",
            data: { object: { id: p.chargeId, object: "charge", amount: p.fee, amount_refunded: r.int(1, p.fee), currency: p.currency, refunded: true } },
          }], how === "reorder" ? "normal" : how, r);
          return `charge.refunded (${how})`;
        }
        const id = `dp_${r.id(20)}`;
        const object = { id, object: "dispute", charge: p.chargeId, amount: p.fee, currency: p.currency, status: "needs_response", reason: "fraudulent", created };
        const events = how === "reorder"
          ? [{ type: "charge.dispute.created", data: { object } }, { type: "charge.dispute.updated", data: { object } }]
          : [{ type: "charge.dispute.created", data: { object } }];
        await deliver(events, how, r);
        p.disputes.push({ id, closed: false });
        return `dispute created (${how})`;
      }
      case "capability": {
        const acct = await pickRow(r, await rowsOf(
          `select stripe_connect_account_id as id from public.recruiters where stripe_connect_account_id is not null order by id`,
        ));
        if (!acct) return "capability: no account";
        const cap = r.weighted({ active: 5, inactive: 2, pending: 1 });
        const how = chooseDelivery(r);
        if (how === "lost") {
          await quiesceWebhooks();
          await w.standin("POST", "/_standin/webhooks/config", { url: DEAD_URL });
          try {
            await w.standin("POST", "/_standin/accounts", { id: acct.id, capabilities: { transfers: cap } });
            await w.standin("POST", "/_standin/webhooks/flush");
          } finally {
            await w.standin("POST", "/_standin/webhooks/config", { url: w.webhookUrl });
          }
          fault("webhook_lost");
        } else {
          await w.standin("POST", "/_standin/accounts", { id: acct.id, capabilities: { transfers: cap } });
          if (how !== "normal") {
            // Stripe delivers account.updated again, twice, late or out of order (the effect re-reads the account).
            await deliver([{ type: "account.updated", account: acct.id, data: { object: { id: acct.id, object: "account" } } }], how, r);
          }
        }
        return `capability ${cap} (${how})`;
      }
      case "admin":
        return await admin(r);
      case "run_payouts": {
        const n = enabled.has("concurrent_invocations") && r.chance(0.5) ? r.int(2, 8) : 1;
        if (n > 1) fault("concurrent_invocations");
        const ids = await invokePayouts(n);
        await awaitInvocations(ids, r.int(200, 2500));
        return `payout run x${n}`;
      }
      case "run_other": {
        const fn = r.weighted({
          "process-escrow-releases": 3,
          "reverse-payouts": 2,
          "reconcile-payouts": 1.5,
          catch_up: catchUp ? 1 : 0,
          stripe_retries: 1.5,
        });
        if (fn === "stripe_retries") return `Stripe retried ${await stripeRetries()} failed deliveries`;
        const name = fn === "catch_up" ? CATCH_UP_FUNCTION : fn;
        const res = await w.callFunction(name);
        if (res.status >= 500) noteOutcome(`${name} ${res.status} ${JSON.stringify(res.body).slice(0, 160)}`);
        return `${name} -> ${res.status}`;
      }
      case "doorbell": {
        const which = r.weighted({ payout_doorbell: 5, escrow_release_doorbell: 2, reversal_doorbell: 1 });
        const lose = enabled.has("pg_net_request_lost") && r.chance(0.4);
        // sometimes the doorbell looks from a later time (p_now): across a backoff or a release date
        const ahead = r.chance(0.3) ? r.pick([60, 3600, 7200, 86_400]) : 0;
        const lost = await w.q((sql) =>
          sql.begin(async (t) => {
            const [{ id }] = await t.unsafe(`select private.${which}(now() + make_interval(secs => ${ahead})) as id`);
            if (!lose || id == null) return false;
            // pg_net lost the request: the ring is logged, the request never leaves.
            const del = await t`delete from net.http_request_queue where id = ${id} returning id`;
            return del.length > 0;
          })
        );
        if (lost) fault("pg_net_request_lost");
        return `${which}${ahead ? ` at now+${ahead}s` : ""}${lost ? " (request lost)" : ""}`;
      }
      case "stripe_faults": {
        const n = r.int(3, 8);
        const armed: string[] = [];
        for (let k = 0; k < n; k++) {
          const kind = r.weighted({
            error_500_before: 2,
            error_500_after: 2,
            drop_before: 1.5,
            drop_after: 2,
            latency: 1.5,
            latency_after: 1.5,
            rate_limit: 1,
            balance_insufficient: 0.6,
            no_capability: 0.4,
            keys_pruned: 0.5,
          });
          const target = r.weighted({ transfer: 6, reversal: 1.5, listing: 1.5, any: 1 });
          const where = target === "transfer"
            ? { method: "POST", path: "/v1/transfers" }
            : target === "reversal"
            ? { method: "POST", path: "/v1/transfers/*/reversals" }
            : target === "listing"
            ? { method: "GET", path: "/v1/transfers" }
            : { path: "/v1/**" };
          if (kind === "keys_pruned") {
            if (!enabled.has("stripe_idempotency_keys_pruned")) continue;
            // Stripe forgets keys after 24 h, by which time the run has failed the tranche's key
            // (23 h window, on the database's clock). The soak cannot move that clock, so keys go
            // only when nothing is in flight, with the stand-in clock jumped past a day.
            const [{ busy }] = await w.q((sql) =>
              sql<{ busy: boolean }[]>`select exists (select 1 from public.payout_transfers where status in ('pending', 'unknown'))
                                   or exists (select 1 from public.payout_reversals where status not in ('succeeded', 'partial', 'failed')) as busy`
            );
            if (busy) continue;
            await w.standin("POST", "/_standin/clock", { advance_seconds: 86_400 + 60 });
            virtualS += 86_400 + 60;
            await w.standin("POST", "/_standin/idempotency/expire");
            fault("stripe_idempotency_keys_pruned");
            armed.push("keys_pruned");
            continue;
          }
          if (kind === "rate_limit") {
            if (!enabled.has("stripe_rate_limit_storm")) continue;
            await w.standin("POST", "/_standin/faults", { kind, path: "/v1/**", every_nth: r.int(1, 3), times: r.int(3, 12), retry_after: r.pick([0, 1]) });
            fault("stripe_rate_limit_storm");
            armed.push("rate_limit_storm");
            continue;
          }
          const fk = `stripe_${kind}` as FaultKind;
          if (!enabled.has(fk)) continue;
          if ((kind === "balance_insufficient" || kind === "no_capability") && target !== "transfer" && target !== "reversal") continue;
          const spec: Record<string, unknown> = { kind, ...where, times: r.int(1, 4) };
          if (kind === "latency" || kind === "latency_after") spec.latency_ms = r.int(100, 2500);
          await w.standin("POST", "/_standin/faults", spec);
          fault(fk);
          armed.push(`${kind}@${target}`);
        }
        return `stripe faults: ${armed.join(", ") || "none"}`;
      }
      case "worker_kill": {
        if (!enabled.has("worker_sigkill")) return "worker kill (off)";
        const name = r.weighted({ "process-payout-schedules": 6, "reverse-payouts": 1, "stripe-webhook": 1, "process-escrow-releases": 1 });
        let ids: string[] = [];
        if (name === "process-payout-schedules") ids = await invokePayouts(r.int(1, 3));
        else if (name === "stripe-webhook") {
          const acct = await pickRow(r, await rowsOf(
            `select stripe_connect_account_id as id from public.recruiters where stripe_connect_account_id is not null order by id`,
          ));
          if (acct) background.push(deliver([{ type: "account.updated", account: acct.id, data: { object: { id: acct.id, object: "account" } } }], "normal", r).catch(() => {}));
        } else background.push(w.callFunction(name));
        await sleep(r.int(0, 700));
        const killed = await killWorker(name);
        if (killed) fault("worker_sigkill");
        await awaitInvocations(ids, 1000);
        return `SIGKILL ${name}${killed ? "" : " (no worker)"}`;
      }
      case "cpu_kill": {
        if (!enabled.has("cpu_limit_kill")) return "cpu kill (off)";
        await w.stack.functions.setLimits({ cpuHardMs: r.int(150, 600) });
        try {
          const ids = await invokePayouts(r.int(1, 2));
          await awaitInvocations(ids, 3000);
        } finally {
          await w.stack.functions.setLimits({ cpuHardMs: undefined });
        }
        fault("cpu_limit_kill");
        return "payout run under a low CPU hard limit";
      }
      case "pg_crash": {
        if (!enabled.has("postgres_crash_restart")) return "pg crash (off)";
        const ids = r.chance(0.7) ? await invokePayouts(r.int(1, 3)) : [];
        await sleep(r.int(0, 900));
        await w.crashPostgres();
        fault("postgres_crash_restart");
        await awaitInvocations(ids, 3000);
        return `postgres immediate stop + start (${ids.length} runs in flight)`;
      }
      case "clock": {
        const jump = r.weighted({ small: 5, backoff: 2, guarantee: 1 });
        const s = jump === "small" ? r.int(1, 600) : jump === "backoff" ? r.pick([3600, 7200, 86_400]) : 30 * 86_400;
        await w.standin("POST", "/_standin/clock", { advance_seconds: s });
        virtualS += s;
        // the product's own waits (backoff, stale heartbeat, leases) are seconds here: let some pass
        await sleep(r.int(100, 1000));
        return `clock +${s}s`;
      }
      case "lost_transfer_events": {
        if (!enabled.has("webhook_lost_transfer")) return "lost transfer events (off)";
        // Every delivery of this window is lost: only transfer events happen in it (a run's
        // transfer.created, a reversal's transfer.reversed), which the run and reconciliation recover.
        await quiesceWebhooks();
        await w.standin("POST", "/_standin/webhooks/config", { url: DEAD_URL });
        try {
          const paid = await pickRow(r, await rowsOf(
            `select id from public.payouts where paid_amount > reversed_amount and status in ('paid', 'partially_paid') order by id`,
          ));
          if (paid && r.chance(0.5)) {
            const res = await w.adminRpc("reverse_payout", { p_payout_id: paid.id, p_reason: "soak: reversal, webhooks lost" });
            if (res.status >= 500) noteOutcome(`reverse_payout ${res.status}`);
            await w.callFunction("reverse-payouts");
          } else {
            await awaitInvocations(await invokePayouts(1), 4000);
          }
          await w.standin("POST", "/_standin/webhooks/flush");
        } finally {
          await w.standin("POST", "/_standin/webhooks/config", { url: w.webhookUrl });
        }
        fault("webhook_lost_transfer");
        return "transfer webhooks lost";
      }
    }
    return kind;
  }

  async function admin(r: Prng): Promise<string> {
    const action = r.weighted({
      pause: platformPaused ? 0 : 0.6,
      resume: platformPaused ? 3 : 0,
      pause_recruiter: 1,
      resume_recruiter: 1.5,
      cancel_schedule: 0.6,
      trigger_schedule: 2.5,
      release_hold: 1.5,
      cancel_hold: 0.6,
      fail_placement: 0.4,
      reverse_payout: 0.8,
      process_due: 1.5,
    });
    let rpc = "";
    let args: Record<string, unknown> = {};
    const reason = `soak ${action}`;
    const one = async (q: string) => await pickRow(r, await rowsOf(q));
    switch (action) {
      case "pause":
        rpc = "pause_payouts", args = { p_reason: reason };
        break;
      case "resume":
        rpc = "resume_payouts", args = { p_reason: reason };
        break;
      case "pause_recruiter":
      case "resume_recruiter": {
        const rec = await one(`select id from public.recruiters order by id`);
        if (!rec) return `admin ${action}: nobody`;
        rpc = `${action === "pause_recruiter" ? "pause" : "resume"}_recruiter_payouts`;
        args = { p_recruiter_id: rec.id, p_reason: reason };
        break;
      }
      case "cancel_schedule":
      case "trigger_schedule": {
        const s = await one(`select id from public.payout_schedules where status in ('pending', 'failed') order by id`);
        if (!s) return `admin ${action}: no schedule`;
        rpc = action === "cancel_schedule" ? "cancel_payout_schedule" : "trigger_payout_schedule";
        args = { p_schedule_id: s.id, p_reason: reason };
        break;
      }
      case "release_hold":
      case "cancel_hold": {
        const h = await one(`select id from public.escrow_holds where status = 'active' order by id`);
        if (!h) return `admin ${action}: no hold`;
        rpc = action === "release_hold" ? "release_escrow_hold" : "cancel_escrow_hold";
        args = { p_hold_id: h.id, p_reason: reason };
        break;
      }
      case "fail_placement": {
        const p = await one(`select id from public.placements where status in ('hired', 'active') order by id`);
        if (!p) return "admin fail_placement: none";
        rpc = "fail_placement", args = { p_placement_id: p.id, p_reason: reason };
        break;
      }
      case "reverse_payout": {
        const p = await one(`select id from public.payouts where paid_amount > reversed_amount order by id`);
        if (!p) return "admin reverse_payout: nothing paid";
        rpc = "reverse_payout", args = { p_payout_id: p.id, p_reason: reason };
        break;
      }
      case "process_due":
        rpc = r.chance(0.7) ? "process_due_payout_schedules" : "process_due_escrow_releases";
        break;
    }
    // half the time the action races a payout run already working
    const racing = r.chance(0.5) ? await invokePayouts(1) : [];
    const res = await w.adminRpc(rpc, args);
    await awaitInvocations(racing, 3000);
    if (res.ok && rpc === "pause_payouts") platformPaused = true;
    if (res.ok && rpc === "resume_payouts") platformPaused = false;
    if (res.status >= 500 || res.status === 0) noteOutcome(`${rpc} ${res.status} ${JSON.stringify(res.body).slice(0, 160)}`);
    return `admin ${rpc} -> ${res.status}`;
  }

  // ---- settle ---------------------------------------------------------------------------------
  async function settle(): Promise<void> {
    const t0 = Date.now();
    const [{ now: dbT0 }] = await w.q((sql) => sql<{ now: Date }[]>`select now()`);
    // Stand-in faults count as injected when they acted on a request (an armed one-shot may
    // find none before this clears it; a scheduled one acts many times).
    const armed = await w.standin<{ faults: { applied: number; spec: { kind: string } }[] }>("GET", "/_standin/faults");
    report.standinFaultsFired = armed.faults.reduce((n, x) => n + x.applied, 0);
    for (const k of Object.keys(report.faults) as FaultKind[]) {
      if (k.startsWith("stripe_") && k !== "stripe_idempotency_keys_pruned") {
        report.faultsTotal -= report.faults[k]!;
        delete report.faults[k];
      }
    }
    for (const f of armed.faults) {
      if (f.applied) fault((f.spec.kind === "rate_limit" ? "stripe_rate_limit_storm" : `stripe_${f.spec.kind}`) as FaultKind, f.applied);
    }
    await w.standin("DELETE", "/_standin/faults");
    await w.standin("POST", "/_standin/rate_limit", { rps: null });
    await w.stack.functions.setLimits({ cpuHardMs: undefined });
    await w.standin("POST", "/_standin/webhooks/config", { url: w.webhookUrl, auto: true });
    await Promise.allSettled(background);
    await w.standin("POST", "/_standin/webhooks/flush");
    if (platformPaused) {
      await w.adminRpc("resume_payouts", { p_reason: "soak: settle" });
      platformPaused = false;
    }
    await stripeRetries();
    if (catchUp) {
      // Events whose delivery was lost: the catch-up lists /v1/events since its cursor and
      // processes what the inbox lacks. A run that failed (Stripe still answering 429/5xx while
      // the stand-in drains) or stopped for CPU is rung again, as cron would ring it, until one
      // finishes: its cursor moves only then.
      for (let attempt = 1; attempt <= 6; attempt++) {
        const res = await w.callFunction(CATCH_UP_FUNCTION);
        if (res.status < 300 && (res.body as { status?: string } | null)?.status === "finished") break;
        report.notes.push(`${CATCH_UP_FUNCTION} #${attempt} -> ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
        await sleep(1000);
      }
    }
    const until = Date.now() + 150_000;
    let quiet = 0;
    const settleRounds: string[] = [];
    while (Date.now() < until) {
      await stripeRetries();
      await awaitInvocations(await invokePayouts(1), 20_000);
      await w.callFunction("process-escrow-releases");
      await w.callFunction("reverse-payouts");
      // Work due in the next 30 s counts too: a tranche failed in the last round is retried after
      // a backoff of seconds, and two quiet rounds before it is due must not end the settle
      // (seed 13 once ended 2 s before such a retry, and its payout was left payable).
      const [s] = await w.q((sql) =>
        sql<{ busy: boolean; due: string[] }[]>`
        select exists (select 1 from public.payout_reversals where status in ('pending', 'processing'))
            or exists (select 1 from private.payout_run_invocations where finished_at is null
                        and heartbeat_at > now() - interval '4 seconds') as busy,
               coalesce((select array_agg(x) from unnest(private.payout_work_due(now() + interval '30 seconds')) x), '{}') ||
               coalesce((select array_agg(x) from unnest(private.escrow_work_due(now() + interval '30 seconds')) x), '{}')
               as due`
      );
      settleRounds.push(`${s.busy ? "busy" : "idle"} ${s.due.join(",")}`);
      if (!s.busy && s.due.length === 0) {
        if (++quiet >= 2) break;
      } else quiet = 0;
      await sleep(1000);
    }
    // Reconciliation: the daily job compares our tranches with Stripe's transfers (and retries
    // failed webhook events).
    const rec = await w.callFunction("reconcile-payouts", { trigger: "manual", overlap_seconds: 604_800 });
    if (rec.status !== 200) report.notes.push(`reconcile-payouts -> ${rec.status} ${JSON.stringify(rec.body).slice(0, 300)}`);
    else report.notes.push(`reconcile-payouts findings: ${JSON.stringify(rec.body).slice(0, 300)}`);
    report.notes.push(`settle rounds: ${settleRounds.length} (${[...new Set(settleRounds)].join("; ")})`);
    report.settle.wallMs = Date.now() - t0;
    report.settle.virtualS = Math.round(report.settle.wallMs / 1000);
    const [slow] = await w.q((sql) =>
      sql<{ ms: number | null }[]>`
      select extract(epoch from max(a.created_at) - ${dbT0}::timestamptz) * 1000 as ms
        from public.payout_audit_log a
       where a.entity_type = 'payout' and a.new_values ->> 'status' = 'paid'
         and a.old_values ->> 'status' is distinct from 'paid' and a.created_at >= ${dbT0}::timestamptz`
    );
    report.settle.slowestPayoutWallMs = Math.round(Number(slow?.ms ?? 0));
    // the database's clock is the wall clock: a payout's virtual settle time is its wall time
    report.settle.slowestPayoutVirtualS = Math.round(report.settle.slowestPayoutWallMs / 1000);
  }

  /** Nothing is lost: every payable payout is paid, or listed with a reason; every event arrived. */
  async function nothingLost(): Promise<Violation[]> {
    const out: Violation[] = [];
    const preview = await w.q((sql) =>
      sql.begin(async (t) => {
        await t`select set_config('role', 'authenticated', true),
                       set_config('request.jwt.claims', ${JSON.stringify({ sub: w.adminUserId, role: "authenticated" })}, true)`;
        return await t<{ payout_id: string; would_pay: boolean; reason: string | null }[]>`
          select payout_id, would_pay, reason from public.payout_run_preview(now())`;
      })
    );
    // Time advances through p_now: an hour on, a tranche nobody resolves is listed (tranche_stuck).
    const alerts = await w.q((sql) =>
      sql<{ kind: string; payout_id: string | null; placement_id: string | null }[]>`
        select kind, payout_id, placement_id from private.payout_alert_rows(now() + interval '1 hour')`
    );
    const alerted = new Set(alerts.flatMap((a) => [a.payout_id, a.placement_id].filter(Boolean) as string[]));
    const reasonOf = new Map(preview.map((p) => [p.payout_id, p]));
    const open = await w.q((sql) =>
      sql<{ id: string; placement_id: string; status: string; payable: string; in_flight: string }[]>`
        select id, placement_id, status, payable_amount as payable, in_flight_amount as in_flight from public.payouts
         where payable_amount > 0 or in_flight_amount > 0`
    );
    const lost = open.filter((p) => {
      const pr = reasonOf.get(p.id);
      const visible = (pr && !pr.would_pay && pr.reason) || alerted.has(p.id) || alerted.has(p.placement_id);
      return !visible;
    }).map((p) => ({ ...p, preview: reasonOf.get(p.id) ?? null }));
    if (lost.length) {
      out.push({ invariant: "nothing lost: every payable payout is paid or listed with a reason (preview, payout_alerts)", detail: JSON.stringify(lost.slice(0, 6)) });
    }
    // Every event Stripe made that has an effect reached the inbox. With the catch-up job: every
    // event of a type it recovers (HANDLED_EVENT_TYPES; a lost transfer.created has no effect of
    // its own: the run and reconciliation record transfers, checked by the money invariants).
    // Without it: every event but the transfer events.
    const { events } = await w.standin<{ events: { id: string; type: string }[] }>("GET", "/_standin/webhooks");
    const inbox = new Set(
      (await w.q((sql) => sql<{ id: string }[]>`select id from private.stripe_webhook_events`)).map((e) => e.id),
    );
    const recovered = new Set<string>([...HANDLED_EVENT_TYPES.platform, ...HANDLED_EVENT_TYPES.connect]);
    const missing = events.filter((e) =>
      !inbox.has(e.id) && (catchUp ? recovered.has(e.type) : !e.type.startsWith("transfer."))
    );
    if (missing.length) {
      out.push({ invariant: "nothing lost: every Stripe event is in the webhook inbox", detail: JSON.stringify(missing.slice(0, 6)) });
    }
    return out;
  }

  /** One real pg_cron tick: the product's cron jobs are scheduled; one doorbell job must have run. */
  async function cronTick(): Promise<Violation[]> {
    const until = Date.now() + 75_000;
    while (Date.now() < until) {
      const [{ n }] = await w.q((sql) =>
        sql<{ n: number }[]>`select count(*)::int as n from cron.job_run_details d join cron.job j on j.jobid = d.jobid
                              where j.jobname = 'payouts-doorbell' and d.status = 'succeeded'`
      );
      if (n > 0) return [];
      await sleep(1000);
    }
    return [{ invariant: "one real pg_cron tick ran the payout doorbell", detail: "no succeeded payouts-doorbell run in cron.job_run_details within 75 s" }];
  }

  // ---- the run --------------------------------------------------------------------------------
  let failed = false;
  try {
    await w.q((sql) => sql`select count(*) from private.setup_cron(true)`);
    const deadline = opts.minutes ? started + opts.minutes * 60_000 : Infinity;
    for (let i = 1; i <= opts.steps; i++) {
      if (Date.now() > deadline || opts.signal?.aborted) break;
      let what: string;
      const t = Date.now();
      try {
        what = await step(i);
      } catch (e) {
        // A step's own call failing (e.g. the database restarting under it) is not an invariant;
        // it is logged and the soak goes on.
        what = `step error: ${e instanceof Error ? e.message.split("\n")[0].slice(0, 200) : e}`;
        noteOutcome("step error");
      }
      report.stepsRun = i;
      const tc = Date.now();
      const v = await inv.quick();
      log(`step ${i}: ${what} | ${tc - t}+${Date.now() - tc} ms | faults ${report.faultsTotal}${v.length ? " | VIOLATION" : ""}`);
      if (v.length) {
        report.violations = v;
        report.failedStep = i;
        failed = true;
        break;
      }
    }
    if (!failed) {
      await settle();
      const v = [...await inv.full(), ...await nothingLost(), ...await cronTick()];
      if (v.length) {
        report.violations = v;
        report.failedStep = report.stepsRun + 1; // the settle
        failed = true;
      }
    }
    const [counts] = await w.q((sql) =>
      sql<{ payouts: number; paid: number; transfers: number }[]>`
        select (select count(*)::int from public.payouts) as payouts,
               (select count(*)::int from public.payouts where status in ('paid', 'reversed')) as paid,
               (select count(*)::int from public.payout_transfers where status = 'succeeded') as transfers`
    );
    Object.assign(report, { payouts: counts.payouts, payoutsPaid: counts.paid, transfers: counts.transfers });
    report.cpuLimitTerminations = w.stack.functions.workers().filter((x) => x.endReason === "CPUTime").length;
  } finally {
    for (const [k, n] of note5xx) report.notes.push(`${k}: ${n}×`);
    report.wallMs = Date.now() - started;
    const keep = failed || !!opts.keep;
    report.logDir = keep ? w.logDir : null;
    await w.stop(keep);
  }
  return report;
}
