/**
 * The soak's invariant checks (local/soak/invariants.ts) can fail: each is shown a state that
 * breaks it, on the test stack. Database damage is done inside a transaction that is rolled back
 * (triggers off with session_replication_role = replica, as only a superuser can); the double pay
 * is a real second transfer at the stack's Stripe stand-in for a tranche of this test's own.
 */
import assert from "node:assert/strict";
import type postgres from "postgres";
import {
  adminSql,
  createPlacement,
  runOnce,
  STRIPE_BASE,
  tranches,
} from "../../supabase/functions/tests/payout_run_test_support.ts";
import { control } from "../../supabase/functions/tests/standin_test_support.ts";
import { Invariants, type Probe, type Violation } from "../soak/invariants.ts";
import { stackEnv } from "./support.ts";

const probe = (sql: postgres.Sql | postgres.TransactionSql): Probe => ({
  q: <T>(fn: (s: postgres.Sql) => Promise<T>) => fn(sql as postgres.Sql),
  standin: <T>(method: string, path: string, body?: unknown) => control<T>({ url: STRIPE_BASE() }, method, path, body),
}) as Probe;

/** A fresh checker (its own outbox consumer, which reads from the start). */
const checker = (sql: postgres.Sql | postgres.TransactionSql) =>
  new Invariants(probe(sql), `soak-test-${crypto.randomUUID().slice(0, 8)}`);

const about = (vs: Violation[], ids: string[]) => vs.filter((v) => ids.some((id) => v.detail.includes(id)));

class Rollback extends Error {}

/** Runs fn in a transaction that is always rolled back. */
async function rolledBack(sql: postgres.Sql, fn: (tx: postgres.TransactionSql) => Promise<void>): Promise<void> {
  await sql.begin(async (tx) => {
    await fn(tx);
    throw new Rollback();
  }).catch((e) => {
    if (!(e instanceof Rollback)) throw e;
  });
}

Deno.test("soak invariants: a paid payout is clean; damage to it is reported by the invariant it breaks", async () => {
  const sql = adminSql();
  try {
    const f = await createPlacement(sql, { shares: [10000], fee: 12_300 });
    const p = f.payouts[0];
    await runOnce(sql);
    const [t] = await tranches(sql, [p.id]);
    assert.equal(t.status, "succeeded", "the run paid the payout");
    const ids = [p.id, t.id];

    assert.deepEqual(about(await checker(sql).quick(), ids), [], "nothing to report on a clean payout");

    // The buckets and the audit trail: a write that skipped the transition functions and triggers.
    await rolledBack(sql, async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`update public.payouts set paid_amount = paid_amount - 1, payable_amount = payable_amount + 1 where id = ${p.id}`;
      const vs = about(await checker(tx).quick(), ids).map((v) => v.invariant);
      assert.ok(vs.includes("bucket invariant (private.payout_problems)"), vs.join("; "));
      assert.ok(vs.includes("every money row equals its latest audit row"), vs.join("; "));
    });

    // Stripe pays the tranche a second time.
    const res = await fetch(`${STRIPE_BASE()}/v1/transfers`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${stackEnv("STRIPE_SECRET_KEY")}`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({
        amount: String(t.amount),
        currency: "usd",
        destination: p.account!,
        "metadata[payout_id]": p.id,
        "metadata[payout_transfer_id]": t.id,
      }),
    });
    assert.equal(res.status, 200, await res.text());
    const vs = about(await checker(sql).quick(), ids).map((v) => v.invariant);
    assert.ok(vs.includes("no double pay: ≤ 1 Stripe transfer per tranche"), vs.join("; "));
    assert.ok(vs.includes("per payout paid ≤ Σ Stripe transfers ≤ paid + in flight, reversed ≤ Σ Stripe reversals"), vs.join("; "));
  } finally {
    await sql.end();
  }
});
