/**
 * statement-export against the real stack (gateway → function → PostgREST with the caller's JWT):
 * a statement paged across requests equals the RPC's lines, once each and in order; a cursor that
 * was edited, or is replayed by someone else or for other parameters, is refused; another party's
 * lines are never exported; the admin path and the refusals. Unit: page splitting and the budget.
 */
import assert from "node:assert/strict";
import { createBudget } from "../_shared/platform/budget.ts";
import { ENV, EnvError, loadEnv, statementExportEnv } from "../_shared/platform/env.ts";
import { exportPages, signCursor, splitPage, verifyCursor } from "../_shared/statements/export.ts";
import { adminSql, createUser, stackEnv } from "../../../local/tests/support.ts";
import { makeAdmin, rest } from "./stripe_sync_test_support.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const url = () => `${stackEnv("SUPABASE_URL")}/functions/v1/statement-export`;
const PERIOD = { from: "2001-01-01T00:00:00Z", to: "2002-01-01T00:00:00Z", currency: "USD" };

async function exportCall(jwt: string | null, body: Record<string, unknown>) {
  const res = await fetch(url(), {
    method: "POST",
    headers: { "content-type": "application/json", ...(jwt ? { authorization: `Bearer ${jwt}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    text,
    cursor: res.headers.get("x-statement-cursor"),
    rows: res.headers.get("x-statement-rows"),
  };
}

/** A recruiter with `n` placements in 2001 (each: earned + a guarantee hold = 2 lines). */
async function recruiterWithPlacements(sql: ReturnType<typeof adminSql>, n: number) {
  const u = await createUser(sql, `stmt-${crypto.randomUUID()}@test.invalid`);
  const [r] =
    await sql`insert into public.recruiters (user_id, display_name) values (${u.id}, 'Statement test') returning id`;
  await sql`
    do $$
    declare v_pl uuid; v_co uuid;
    begin
      insert into public.companies (name) values ('Statement test co') returning id into v_co;
      for i in 1 .. ${sql.unsafe(String(n))} loop
        v_pl := (private.create_placement(v_co, 1000 + i, 'USD', '2001-02-01 10:00Z'::timestamptz + make_interval(hours => i),
                                          90, 2000, 'Statement test')).id;
        insert into public.placement_splits (placement_id, recruiter_id, role, share_bps)
        values (v_pl, '${sql.unsafe(r.id)}', 'candidate_recruiter', 5000);
        perform private.record_placement_invoice(v_pl, null, null, 'open',
                                                 '2001-02-02 00:00Z'::timestamptz + make_interval(hours => i));
      end loop;
    end $$`;
  return { id: r.id as string, userId: u.id, jwt: u.jwt };
}

Deno.test(
  "statement-export: paged across requests, cursors bound to caller and parameters, others' lines never exported",
  opts,
  async () => {
    const sql = adminSql();
    try {
      const r = await recruiterWithPlacements(sql, 60); // 120 lines + opening + closing
      const other = await recruiterWithPlacements(sql, 2);
      const admin = await makeAdmin(sql);

      // the RPC's own answer, as JSON
      const direct = await rest(r.jwt, "POST", "rpc/my_statement?order=line_key", {
        p_from: PERIOD.from,
        p_to: PERIOD.to,
        p_currency: PERIOD.currency,
      });
      assert.equal(direct.status, 200);
      assert.equal(direct.body.length, 122);

      // paged: 25 lines per request
      const lines: string[] = [];
      let header = "";
      let cursor: string | null = null;
      let requests = 0;
      do {
        const res = await exportCall(r.jwt, { ...PERIOD, max_rows: 25, ...(cursor ? { cursor } : {}) });
        assert.equal(res.status, 200, res.text);
        const body = res.text.endsWith("\n") ? res.text.slice(0, -1) : res.text;
        const all = body === "" ? [] : body.split("\n");
        if (requests === 0) header = all.shift()!;
        lines.push(...all);
        assert.equal(Number(res.rows), all.length);
        cursor = res.cursor;
        requests++;
      } while (cursor && requests < 20);
      assert.equal(requests, 5, "122 lines in pages of 25: five requests");
      assert.ok(header.startsWith("line_key,occurred_at,kind,recruiter_id,currency,"), header);
      assert.deepEqual(
        lines.map((l) => l.slice(0, 54)),
        direct.body.map((x: any) => x.line_key),
        "every line once, in order",
      );
      const col = header.split(",");
      const recruiterCol = col.indexOf("recruiter_id");
      assert.ok(lines.every((l) => l.split(",")[recruiterCol] === r.id), "only the caller's lines");
      const last = lines.at(-1)!.split(",");
      assert.equal(last[col.indexOf("kind")], "closing_balance");
      assert.equal(last[col.indexOf("held_balance")], String(direct.body.at(-1).held_balance), "amounts as integers");

      // cursors
      const first = await exportCall(r.jwt, { ...PERIOD, max_rows: 25 });
      const c = first.cursor!;
      const [key, mac] = c.split(".");
      const edited = `${key.slice(0, 53)}${key.at(-1) === "0" ? "1" : "0"}.${mac}`;
      for (
        const [what, jwt, body] of [
          ["edited key", r.jwt, { ...PERIOD, cursor: edited }],
          ["garbage", r.jwt, { ...PERIOD, cursor: "not-a-cursor" }],
          ["another caller", other.jwt, { ...PERIOD, cursor: c }],
          ["other parameters", r.jwt, { ...PERIOD, currency: "EUR", cursor: c }],
          ["another recruiter named", admin.jwt, { ...PERIOD, recruiter_id: r.id, cursor: c }],
        ] as const
      ) {
        const res = await exportCall(jwt, body);
        assert.equal(res.status, 400, `${what}: ${res.text}`);
        assert.equal(JSON.parse(res.text).reason, "bad_cursor", what);
      }

      // another recruiter: their own lines only, never R's
      const o = await exportCall(other.jwt, PERIOD);
      assert.equal(o.status, 200);
      assert.equal(o.text.trim().split("\n").length, 1 + 6);
      assert.ok(!o.text.includes(r.id), "none of R's lines");
      // ... and naming R is refused by the database
      const named = await exportCall(other.jwt, { ...PERIOD, recruiter_id: r.id });
      assert.equal(named.status, 403, named.text);
      assert.equal(JSON.parse(named.text).reason, "42501");

      // an admin exports R's statement
      const a = await exportCall(admin.jwt, { ...PERIOD, recruiter_id: r.id });
      assert.equal(a.status, 200, a.text);
      assert.equal(a.text.trim().split("\n").length, 1 + 122);
      assert.equal(a.cursor, null, "one request when it fits");

      // refusals
      assert.equal((await exportCall(null, PERIOD)).status, 401, "no JWT: the gateway refuses");
      const anon = await exportCall(stackEnv("SUPABASE_ANON_KEY"), PERIOD);
      assert.equal(anon.status, 401, "the anon key is no user");
      const bad = await exportCall(r.jwt, { ...PERIOD, from: PERIOD.to, to: PERIOD.from });
      assert.equal(bad.status, 400);
      assert.equal(JSON.parse(bad.text).reason, "PT400", "the database's refusal of a bad period");
      assert.equal((await exportCall(r.jwt, { ...PERIOD, currency: "usd" })).status, 400, "body validated");
    } finally {
      await sql.end();
    }
  },
);

Deno.test("statement export (unit): page split, at least one page, budget and row cap stop, cursor round trip", async () => {
  const key = (n: number) => String(n).padStart(54, "0");
  const csv = (keys: number[]) => ["line_key,kind", ...keys.map((k) => `${key(k)},earned`)].join("\n") + "\n";
  assert.deepEqual(splitPage("line_key,kind\n"), { header: "line_key,kind", data: "", rows: 0, lastKey: null });
  assert.equal(splitPage(csv([1, 2, 3])).lastKey, key(3));

  const source = Array.from({ length: 10 }, (_, i) => i + 1);
  const fetchPage = (_p: unknown, after: string | null, limit: number) =>
    Promise.resolve({ csv: csv(source.filter((k) => after === null || key(k) > after).slice(0, limit)) });
  const sign = (k: string) => Promise.resolve(`c:${k}`);
  const params = { from: "a", to: "b", currency: "USD" };
  const roomy = createBudget(60_000);
  const capped = await exportPages({ params, afterKey: null, fetchPage, budget: roomy, pageRows: 3, maxRows: 5, sign });
  assert.deepEqual(
    [capped.rows, capped.pages, capped.cursor],
    [6, 2, `c:${key(6)}`],
    "row cap: stops after the page reaching it",
  );
  assert.ok(capped.body.startsWith("line_key,kind\n"));
  const rest = await exportPages({
    params,
    afterKey: key(6),
    fetchPage,
    budget: roomy,
    pageRows: 3,
    maxRows: 100,
    sign,
  });
  assert.deepEqual([rest.rows, rest.cursor], [4, null], "last page shorter than a page: done");
  assert.ok(!rest.body.startsWith("line_key"), "no header after the first response");
  const spent = createBudget(0);
  const one = await exportPages({ params, afterKey: null, fetchPage, budget: spent, pageRows: 3, maxRows: 100, sign });
  assert.deepEqual([one.rows, one.pages], [3, 1], "budget spent: still one page (progress), then a cursor");

  const c = await signCursor("material-material-material", "sub1", params, key(6));
  assert.equal(await verifyCursor("material-material-material", "sub1", params, c), key(6));
  await assert.rejects(verifyCursor("material-material-material", "sub2", params, c), /bad_cursor/);
  await assert.rejects(verifyCursor("other-material-material-xx", "sub1", params, c), /bad_cursor/);
});

Deno.test("statement export (unit): its environment", () => {
  const base = {
    SUPABASE_URL: "http://127.0.0.1:54321/",
    SUPABASE_ANON_KEY: "anon-key-anon-key-anon-key",
    SUPABASE_SERVICE_ROLE_KEY: "service-key-service-key-service",
  };
  const env = loadEnv(statementExportEnv, (n) => (base as Record<string, string>)[n]);
  assert.deepEqual(env.api, {
    apiUrl: "http://127.0.0.1:54321",
    anonKey: base.SUPABASE_ANON_KEY,
    cursorKeyMaterial: base.SUPABASE_SERVICE_ROLE_KEY,
  });
  for (const n of statementExportEnv.names) assert.ok(n in ENV, n);
  assert.throws(
    () => loadEnv(statementExportEnv, (n) => n === "SUPABASE_SERVICE_ROLE_KEY" ? undefined : (base as any)[n]),
    (e: unknown) => e instanceof EnvError && e.problems.includes("SUPABASE_SERVICE_ROLE_KEY: is required"),
  );
});
