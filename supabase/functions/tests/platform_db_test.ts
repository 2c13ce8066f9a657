/**
 * db.ts without a database: `createDb` options are read back from postgres.js (it connects lazily),
 * `inJobTransaction` runs against a fake `begin` that records the statements.
 */
import assert from "node:assert/strict";
import { createDb, inJobTransaction, JobContextError, type TxSql } from "../_shared/platform/db.ts";

const RUN = "6f1c1d5e-8a43-4b53-9a4f-2f0a3c1b7e10";
const ADMIN = "0b7f6c1e-2d3a-4e5f-8a9b-0c1d2e3f4a5b";

interface Stmt {
  text: string;
  values: unknown[];
}

function fakeSql(opts: { failAt?: number } = {}) {
  const log: Stmt[] = [];
  let committed = 0;
  let rolledBack = 0;
  const run = (text: string, values: unknown[]) => {
    log.push({ text: text.replace(/\s+/g, " ").trim(), values });
    if (opts.failAt === log.length) return Promise.reject(new Error("statement failed"));
    return Promise.resolve([]);
  };
  const tx = Object.assign(
    (strings: TemplateStringsArray, ...values: unknown[]) => run(strings.join("$?"), values),
    { unsafe: (text: string) => run(text, []) },
  ) as unknown as TxSql;
  return {
    log,
    get committed() {
      return committed;
    },
    get rolledBack() {
      return rolledBack;
    },
    async begin<T>(fn: (t: TxSql) => T | Promise<T>): Promise<unknown> {
      try {
        const r = await fn(tx);
        committed++;
        return r;
      } catch (e) {
        rolledBack++;
        throw e;
      }
    },
  };
}

Deno.test("db: createDb configures postgres.js for a transaction-mode pooler", async () => {
  const sql = createDb("postgresql://payout_jobs_login:pw@127.0.0.1:6543/postgres", {
    applicationName: "process-payout-schedules",
  });
  try {
    assert.equal(sql.options.prepare, false);
    assert.equal(sql.options.max, 2);
    assert.equal(sql.options.idle_timeout, 10);
    assert.equal(sql.options.connect_timeout, 10);
    assert.equal(sql.options.max_lifetime, 300);
    assert.deepEqual(sql.options.connection, { application_name: "process-payout-schedules" });
  } finally {
    await sql.end({ timeout: 0 });
  }
});

Deno.test("db: inJobTransaction sets the actor transaction-locally before fn, returns fn's value", async () => {
  const sql = fakeSql();
  const out = await inJobTransaction(sql, { actorRole: "cron", runId: RUN }, async (tx) => {
    await tx`select * from private.claim_due_payout_schedules(${RUN}, ${25})`;
    return [{ id: 1 }, { id: 2 }];
  });
  assert.deepEqual(out, [{ id: 1 }, { id: 2 }]);
  assert.equal(sql.committed, 1);
  assert.equal(sql.log.length, 2);
  const [set, call] = sql.log;
  // one statement without parameters (one round trip): the values are validated, then inlined
  assert.equal(
    set.text,
    `select pg_catalog.set_config('payouts.actor_role', 'cron', true), pg_catalog.set_config('payouts.actor_id', '', true), pg_catalog.set_config('payouts.run_id', '${RUN}', true)`,
  );
  assert.deepEqual(set.values, []);
  assert.match(call.text, /claim_due_payout_schedules/);
});

Deno.test("db: optional role switch, statement timeout and setup hook run first, in order", async () => {
  const sql = fakeSql();
  await inJobTransaction(sql, {
    actorRole: "platform_admin",
    actorId: ADMIN,
    dbRole: "payout_jobs",
    statementTimeoutMs: 15_000,
    setup: (tx) => tx`select private.set_audit_context(${"payout.retry"}, ${null})`,
  }, async (tx) => {
    await tx`select 1`;
  });
  assert.deepEqual(sql.log.map((s) => s.values), [[], ["payout.retry", null], []]);
  assert.equal(
    sql.log[0].text,
    "select pg_catalog.set_config('role', 'payout_jobs', true), " +
      "pg_catalog.set_config('statement_timeout', '15000ms', true), " +
      "pg_catalog.set_config('payouts.actor_role', 'platform_admin', true), " +
      `pg_catalog.set_config('payouts.actor_id', '${ADMIN}', true), pg_catalog.set_config('payouts.run_id', '', true)`,
  );
});

Deno.test("db: a throwing fn rolls back and rethrows; an invalid context never reaches the database", async () => {
  const sql = fakeSql();
  await assert.rejects(
    inJobTransaction(sql, { actorRole: "job" }, () => Promise.reject(new Error("boom"))),
    /boom/,
  );
  assert.equal(sql.rolledBack, 1);
  assert.equal(sql.committed, 0);

  const bad = fakeSql();
  const cases = [
    { actorRole: "root" },
    { actorRole: "recruiter" },
    { actorRole: "cron", actorId: "not-a-uuid" },
    { actorRole: "cron", runId: "r1" },
    { actorRole: "cron", dbRole: "payout_jobs; drop table x" },
    { actorRole: "cron", statementTimeoutMs: 1.5 },
  ];
  for (const c of cases) {
    await assert.rejects(
      inJobTransaction(bad, c as never, () => Promise.resolve(1)),
      JobContextError,
      JSON.stringify(c),
    );
  }
  assert.equal(bad.log.length, 0);
});
