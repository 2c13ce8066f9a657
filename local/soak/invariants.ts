// The soak's invariants over the whole database and the stand-in's ledger. `quick` runs after
// every step (what must hold at every instant, even with money in flight); `full` at the end, once
// the faults stopped and everything settled (the strict equalities, the chain, the outbox).
import type { World } from "./world.ts";

export interface Violation {
  invariant: string;
  detail: string;
}

interface LedgerTransfer {
  id: string;
  amount: number;
  currency: string;
  destination: string;
  metadata: Record<string, string>;
}
interface LedgerReversal {
  id: string;
  amount: number;
  transfer: string;
}

const MAX_DETAIL = 6;
const cut = (xs: unknown[]) => JSON.stringify(xs.slice(0, MAX_DETAIL)) + (xs.length > MAX_DETAIL ? ` … (${xs.length})` : "");

/** The outbox consumer's view: what it has read at its safe cursor so far. */
export class OutboxConsumer {
  txid = "0";
  id = 0;
  readonly seen = new Set<number>();
  repeats: number[] = [];
  #registered = false;
  constructor(readonly name: string) {}

  /** Reads every page the safe cursor allows now and commits the cursor (as a consumer would). */
  async drain(w: Probe): Promise<void> {
    if (!this.#registered) {
      await w.q((sql) => sql`select 1 from private.register_payout_event_consumer(${this.name})`);
      this.#registered = true;
    }
    for (;;) {
      const rows = await w.q((sql) =>
        sql<{ id: string; txid: string }[]>`
          select id, txid::text as txid from public.read_payout_events(${this.txid}::xid8, ${this.id}, 1000)`
      );
      if (rows.length === 0) return;
      for (const r of rows) {
        const id = Number(r.id);
        if (this.seen.has(id)) this.repeats.push(id);
        this.seen.add(id);
      }
      const last = rows[rows.length - 1];
      this.txid = last.txid;
      this.id = Number(last.id);
      await w.q((sql) => sql`select 1 from private.commit_payout_event_cursor(${this.name}, ${this.txid}::xid8, ${this.id})`);
    }
  }
}

/** SQL of "each audited row equals its latest audit row", over every table with the audit trigger. */
async function auditMismatchSql(w: Probe): Promise<string> {
  const tables = await w.q((sql) =>
    sql<{ tbl: string; entity: string }[]>`
      select t.tgrelid::regclass::text as tbl,
             split_part(encode(t.tgargs, 'escape'), '\\000', 1) as entity
        from pg_trigger t where t.tgname = 'payout_audit_insert' and not t.tgisinternal
       group by 1, 2`
  );
  const lit = (s: string) => `'${s.replaceAll("'", "''")}'`;
  const parts = tables.filter((t) => t.entity).map((t) =>
    // personal columns never reach the log (docs/personal-data.md): compared without them
    `select ${lit(t.entity)} as entity, r.id, to_jsonb(r) - array(select p.column_name::text
       from private.audit_personal_columns p where p.table_name = ${lit(t.tbl)}::regclass) as row from ${t.tbl} r`
  );
  if (parts.length === 0) throw new Error("no audited tables found (private.audit_changes triggers)");
  return `with rows as (${parts.join(" union all ")})
    select r.entity, r.id from rows r
     where (select a.new_values from public.payout_audit_log a
             where a.entity_type = r.entity and a.entity_id = r.id
             order by a.entity_seq desc limit 1) - 'personal_fields_changed' is distinct from r.row`;
}

/** What the invariants need of the stack: superuser SQL and the stand-in's control API. */
export type Probe = Pick<World, "q" | "standin">;

export class Invariants {
  #auditSql = "";
  readonly outbox: OutboxConsumer;
  /** consumer: the outbox consumer's name (registered on first use; one reader per name). */
  constructor(readonly w: Probe, consumer = "soak") {
    this.outbox = new OutboxConsumer(consumer);
  }

  async quick(): Promise<Violation[]> {
    const out: Violation[] = [];
    await this.#money(out, false);
    await this.#buckets(out);
    await this.#audit(out);
    await this.outbox.drain(this.w);
    if (this.outbox.repeats.length) {
      out.push({ invariant: "outbox: an event read twice at the safe cursor", detail: cut(this.outbox.repeats) });
    }
    return out;
  }

  async full(): Promise<Violation[]> {
    const out = await this.quick();
    await this.#money(out, true);
    const chain = await this.w.q((sql) => sql`select * from public.verify_payout_audit_chain()`);
    if (chain.length) out.push({ invariant: "audit chain verifies", detail: cut([...chain]) });
    await this.#events(out);
    return out;
  }

  /** No double pay; DB and Stripe agree (strict: after settling and reconciliation). */
  async #money(out: Violation[], strict: boolean): Promise<void> {
    const ledger = await this.w.standin<{ transfers: LedgerTransfer[]; reversals: LedgerReversal[] }>(
      "GET",
      "/_standin/ledger",
    );
    const tranches = await this.w.q((sql) =>
      sql<{ id: string; payout_id: string; status: string; amount: string; stripe_transfer_id: string | null }[]>`
        select id, payout_id, status, amount, stripe_transfer_id from public.payout_transfers`
    );
    const payouts = await this.w.q((sql) =>
      sql<{ id: string; paid: string; reversed: string; in_flight: string }[]>`
        select id, paid_amount as paid, reversed_amount as reversed, in_flight_amount as in_flight from public.payouts`
    );
    const byTranche = new Map<string, LedgerTransfer[]>();
    const transferById = new Map<string, LedgerTransfer>();
    for (const t of ledger.transfers) {
      transferById.set(t.id, t);
      const k = t.metadata?.payout_transfer_id;
      if (!k) continue;
      byTranche.set(k, [...(byTranche.get(k) ?? []), t]);
    }
    const twice = [...byTranche].filter(([, ts]) => ts.length > 1).map(([k, ts]) => ({ tranche: k, transfers: ts.map((t) => t.id) }));
    if (twice.length) out.push({ invariant: "no double pay: ≤ 1 Stripe transfer per tranche", detail: cut(twice) });

    const trancheById = new Map(tranches.map((t) => [t.id, t]));
    const orphan = ledger.transfers.filter((t) => t.metadata?.payout_transfer_id && !trancheById.has(t.metadata.payout_transfer_id));
    if (orphan.length) out.push({ invariant: "every Stripe transfer is a tranche's", detail: cut(orphan.map((t) => t.id)) });
    const sentButFailed = ledger.transfers.filter((t) => trancheById.get(t.metadata?.payout_transfer_id)?.status === "failed");
    if (sentButFailed.length) {
      out.push({
        invariant: "no double pay: no Stripe transfer for a tranche recorded failed (its money would be sent again)",
        detail: cut(sentButFailed.map((t) => ({ transfer: t.id, tranche: t.metadata.payout_transfer_id }))),
      });
    }
    const badSucceeded = tranches.filter((t) => {
      if (t.status !== "succeeded") return false;
      const tr = t.stripe_transfer_id ? transferById.get(t.stripe_transfer_id) : undefined;
      return !tr || tr.amount !== Number(t.amount) || tr.metadata?.payout_transfer_id !== t.id;
    });
    if (badSucceeded.length) {
      out.push({ invariant: "every succeeded tranche is its own Stripe transfer (id, amount)", detail: cut(badSucceeded.map((t) => t.id)) });
    }

    const sentByPayout = new Map<string, number>();
    const reversedByPayout = new Map<string, number>();
    for (const t of ledger.transfers) {
      const p = t.metadata?.payout_id;
      if (p) sentByPayout.set(p, (sentByPayout.get(p) ?? 0) + t.amount);
    }
    for (const r of ledger.reversals) {
      const p = transferById.get(r.transfer)?.metadata?.payout_id;
      if (p) reversedByPayout.set(p, (reversedByPayout.get(p) ?? 0) + r.amount);
    }
    const off: { payout: string; stripe_sent: number; stripe_reversed: number; paid: number; reversed: number; in_flight: number }[] = [];
    for (const p of payouts) {
      const sent = sentByPayout.get(p.id) ?? 0;
      const rev = reversedByPayout.get(p.id) ?? 0;
      const paid = Number(p.paid), reversed = Number(p.reversed), inFlight = Number(p.in_flight);
      const net = sent - rev;
      const ok = strict
        ? net === paid - reversed && sent === paid && rev === reversed
        // in flight: Stripe may have made a transfer or a reversal the database has not recorded yet
        : sent >= paid && sent <= paid + inFlight && rev >= reversed;
      if (!ok) off.push({ payout: p.id, stripe_sent: sent, stripe_reversed: rev, paid, reversed, in_flight: inFlight });
    }
    if (off.length) {
      // money sent beyond what the database knows of first: the double pays, before the shortfalls
      off.sort((a, b) => (b.stripe_sent - b.paid - b.in_flight) - (a.stripe_sent - a.paid - a.in_flight));
      out.push({
        invariant: strict
          ? "per payout Σ transfers − Σ reversals = paid − reversed (DB and Stripe agree after reconciliation)"
          : "per payout paid ≤ Σ Stripe transfers ≤ paid + in flight, reversed ≤ Σ Stripe reversals",
        detail: cut(off),
      });
    }
  }

  async #buckets(out: Violation[]): Promise<void> {
    const problems = await this.w.q((sql) => sql`select * from private.payout_problems()`);
    if (problems.length) out.push({ invariant: "bucket invariant (private.payout_problems)", detail: cut([...problems]) });
    const rev = await this.w.q((sql) => sql`select * from private.reversal_problems()`);
    if (rev.length) out.push({ invariant: "reversal invariant (private.reversal_problems)", detail: cut([...rev]) });
    const fee = await this.w.q((sql) =>
      sql`select p.id, p.fee_amount, p.platform_amount, coalesce(sum(po.amount), 0)::bigint as payouts
            from public.placements p left join public.payouts po on po.placement_id = p.id
           where p.platform_amount is not null
           group by p.id having p.fee_amount <> coalesce(sum(po.amount), 0) + p.platform_amount`
    );
    if (fee.length) out.push({ invariant: "fee = Σ payouts + platform share", detail: cut([...fee]) });
  }

  async #audit(out: Violation[]): Promise<void> {
    this.#auditSql ||= await auditMismatchSql(this.w);
    const rows = await this.w.q((sql) => sql.unsafe(this.#auditSql));
    if (rows.length) out.push({ invariant: "every money row equals its latest audit row", detail: cut([...rows]) });
  }

  /** One outbox event per status transition (payouts and escrow holds); the consumer missed none. */
  async #events(out: Violation[]): Promise<void> {
    const missing = await this.w.q((sql) =>
      sql<{ id: string }[]>`select id::text from public.payout_events where id <> all (${[...this.outbox.seen]}::bigint[])`
    );
    if (missing.length) {
      out.push({ invariant: "outbox: a consumer at the safe cursor sees every event (no gap)", detail: cut(missing.map((m) => m.id)) });
    }
    // A status change in the audit log (old → new status) and the lifecycle events of that entity,
    // matched as multisets per entity.
    const diff = await this.w.q((sql) =>
      sql`
      with changes as (
        select a.entity_type, a.entity_id, a.entity_type || '.' || (a.new_values ->> 'status') as event_type
          from public.payout_audit_log a
         where a.entity_type = 'payout' and a.operation = 'UPDATE'
           and a.old_values ->> 'status' is distinct from a.new_values ->> 'status'),
      evs as (
        select e.entity_type, e.entity_id, e.event_type from public.payout_events e
         where e.entity_type = 'payout'
           and e.event_type in (select 'payout.' || t.to_status from private.state_transitions t where t.entity = 'payout'))
      select x.entity_id, x.event_type, x.changes, x.events from (
        select coalesce(c.entity_id, e.entity_id) as entity_id, coalesce(c.event_type, e.event_type) as event_type,
               coalesce(c.n, 0) as changes, coalesce(e.n, 0) as events
          from (select entity_id, event_type, count(*) n from changes group by 1, 2) c
          full join (select entity_id, event_type, count(*) n from evs group by 1, 2) e
            on e.entity_id = c.entity_id and e.event_type = c.event_type) x
       where x.changes <> x.events`
    );
    if (diff.length) out.push({ invariant: "one outbox event per payout transition", detail: cut([...diff]) });
  }
}
