/**
 * Crashes: the function's worker process is SIGKILLed (no finally, no cleanup) at precise points,
 * held there by the Stripe stand-in's faults; once the killed invocation is gone (its claims are
 * free), the next invocation must reconcile through the placement's transfer_group and never pay
 * twice.
 *
 *   before Stripe:   claim committed, the run is inside the charge lookup (latency on GET
 *                    /v1/invoice_payments) → nothing at Stripe → sent once by the next run
 *   at Stripe:       POST in flight, Stripe still executing (latency 8 s) → the next run
 *                    lists (nothing yet), sends under the same key: 409 while the first executes,
 *                    then the replay → one transfer
 *   after Stripe:    the transfer exists, the response is held (latency_after) → adopted
 *   key expired too: as above, and the stand-in forgot every key (24 h) → still adopted by listing,
 *                    never re-sent (a re-send would create a second transfer)
 */
import assert from "node:assert/strict";
import {
  addFault,
  adminSql,
  allPaid,
  assertInvariants,
  claimFree,
  closeKilledInvocation,
  createPlacement,
  eventually,
  finished,
  invoke,
  killFunction,
  ledgerTransfers,
  removeFault,
  standin,
  standinRequests,
  tranches,
  transferFault,
  transferPosts,
} from "./payout_run_test_support.ts";

const FN = "process-payout-schedules";

/**
 * Kills the function's worker (SIGKILL). Its heartbeat would go stale in
 * settings.invocation_stale_after (20 s): closing the invocation stands for that here
 * (runs/liveness.test.sql and the CPU kill test cover the real timeout).
 */
async function killNow(sql: ReturnType<typeof adminSql>, invocationId: string) {
  await killFunction(FN);
  await closeKilledInvocation(sql, invocationId);
}

async function pendingTranche(sql: ReturnType<typeof adminSql>, payoutId: string) {
  return await eventually(async () => {
    const [t] = await tranches(sql, [payoutId]);
    return t?.status === "pending" ? t : null;
  }, "the claim to commit the tranche");
}

Deno.test("killed between committing the attempt and calling Stripe: sent once by the next run", async () => {
  const sql = adminSql();
  const faults: string[] = [];
  let killed: string | undefined;
  try {
    const f = await createPlacement(sql, { shares: [10000], stripeInvoice: true });
    const p = f.payouts[0];
    faults.push(
      await addFault({
        kind: "latency",
        method: "GET",
        path: "/v1/invoice_payments",
        params: { invoice: f.stripeInvoiceId },
        latency_ms: 15_000,
      }),
    );
    killed = await invoke();
    await eventually(async () => {
      const reqs = await standinRequests({ method: "GET", path: "/v1/invoice_payments" });
      return reqs.some((q) => q.query.includes(f.stripeInvoiceId!));
    }, "the run to be inside the charge lookup");
    const t = await pendingTranche(sql, p.id);
    await killNow(sql, killed!);
    assert.deepEqual(await ledgerTransfers([p.id]), [], "nothing reached Stripe");
    assert.equal((await tranches(sql, [p.id]))[0].status, "pending", "the attempt and its key are committed");

    await claimFree(sql, p.scheduleId!);
    const inv = await finished(sql, await invoke());
    assert.ok(Number(inv.reconciled) >= 1, "the next run reconciled first");
    await allPaid(sql, [p.id]);
    const [done] = await tranches(sql, [p.id]);
    assert.equal(done.id, t.id, "the same tranche");
    const atStripe = await ledgerTransfers([p.id]);
    assert.equal(atStripe.length, 1);
    assert.equal(atStripe[0].source_transaction, f.chargeId);
    const posts = await transferPosts(t.idempotency_key);
    assert.equal(posts.length, 1);
    await assertInvariants(sql, [p.id]);
  } finally {
    for (const id of faults) await removeFault(id);
    if (killed) await closeKilledInvocation(sql, killed);
    await sql.end();
  }
});

Deno.test("killed while Stripe is still executing the POST: same key again (409, then the replay): one transfer", async () => {
  const sql = adminSql();
  const faults: string[] = [];
  let killed: string | undefined;
  try {
    const f = await createPlacement(sql, { shares: [10000] });
    const p = f.payouts[0];
    faults.push(
      await transferFault("latency", p.id, { latency_ms: 8_000 }),
    );
    killed = await invoke();
    const t = await pendingTranche(sql, p.id);
    await eventually(async () => {
      const posts = await standinRequests({ method: "POST", path: "/v1/transfers" });
      return posts.some((q) => q.idempotency_key === t.idempotency_key);
    }, "the POST to reach Stripe");
    await killNow(sql, killed!);

    await claimFree(sql, p.scheduleId!);
    const inv = await finished(sql, await invoke(), 60_000);
    assert.equal(inv.outcome, "done");
    await allPaid(sql, [p.id]);
    const posts = await transferPosts(t.idempotency_key);
    assert.ok(posts.length >= 2, "sent again under the same key");
    assert.ok(
      posts.some((q) => q.status === 200 && q.replayed),
      "answered with Stripe's replay of the first execution",
    );
    assert.equal((await ledgerTransfers([p.id])).length, 1, "executed once");
    await assertInvariants(sql, [p.id]);
  } finally {
    for (const id of faults) await removeFault(id);
    if (killed) await closeKilledInvocation(sql, killed);
    await sql.end();
  }
});

for (const expireKeys of [false, true]) {
  Deno.test(
    expireKeys
      ? "killed between Stripe's success and our commit, then Stripe forgot the key (24 h): adopted by listing, never re-sent"
      : "killed between Stripe's success and our commit: the next run adopts the transfer: one transfer",
    async () => {
      const sql = adminSql();
      const faults: string[] = [];
      let killed: string | undefined;
      try {
        const f = await createPlacement(sql, { shares: [6000, 4000] });
        const p = f.payouts[0];
        faults.push(
          await transferFault("latency_after", p.id, { latency_ms: 30_000 }),
        );
        killed = await invoke();
        const made = await eventually(async () => (await ledgerTransfers([p.id]))[0], "Stripe to make the transfer");
        const t = await pendingTranche(sql, p.id);
        await killNow(sql, killed!);
        assert.equal((await tranches(sql, [p.id]))[0].status, "pending", "our commit never happened");

        if (expireKeys) {
          await standin("POST", "/_standin/idempotency/expire");
          await standin("POST", "/_standin/clock", { advance_seconds: 25 * 3600 });
          const keys = await standin<{ keys: Array<{ key: string }> }>("GET", "/_standin/idempotency");
          assert.ok(!keys.keys.some((k) => k.key === t.idempotency_key), "Stripe no longer knows the key");
        }

        await claimFree(sql, p.scheduleId!);
        const inv = await finished(sql, await invoke());
        assert.ok(Number(inv.adopted) >= 1, "adopted");
        await allPaid(sql, f.payouts.map((x) => x.id));
        const [done] = await tranches(sql, [p.id]);
        assert.equal(done.stripe_transfer_id, made.id, "the transfer Stripe made is the tranche's");
        assert.equal((await ledgerTransfers([p.id])).length, 1, "exactly one transfer");
        const posts = await transferPosts(t.idempotency_key);
        assert.equal(posts.length, 1, "reconciled by listing, not by sending again");
        const lists = (await standinRequests({ method: "GET", path: "/v1/transfers" }))
          .filter((q) => q.query.includes(f.placementId));
        assert.ok(lists.length >= 1, "listed the placement's transfer_group");
        await assertInvariants(sql, f.payouts.map((x) => x.id));
      } finally {
        for (const id of faults) await removeFault(id);
        if (expireKeys) {
          await standin("POST", "/_standin/clock", { set: Math.floor(Date.now() / 1000) });
        }
        if (killed) await closeKilledInvocation(sql, killed);
        await sql.end();
      }
    },
  );
}
