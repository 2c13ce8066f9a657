// The console's CSV reading (what the statement test compares) and the export's paging loop
// against a scripted function: cursors sent back, pages joined, refusals in words.
import assert from "node:assert/strict";
import { describeError } from "./errors.ts";
import { fetchStatementCsv, parseCsv } from "./statement_csv.ts";

Deno.test("parseCsv: header names the fields; quotes, doubled quotes, commas and empty fields", () => {
  const csv = 'line_key,kind,stripe_id,amount\n01,earned,"tr_1,x",100\n02,"say ""hi""",,\n';
  assert.deepEqual(parseCsv(csv), [
    { line_key: "01", kind: "earned", stripe_id: "tr_1,x", amount: "100" },
    { line_key: "02", kind: 'say "hi"', stripe_id: "", amount: "" },
  ]);
  assert.deepEqual(parseCsv(""), []);
  assert.deepEqual(parseCsv("a,b\r\n1,2"), [{ a: "1", b: "2" }]);
});

const period = { from: "2026-01-01T00:00:00Z", to: "2027-01-01T00:00:00Z", currency: "USD" };

Deno.test("fetchStatementCsv: follows the cursor, joins the pages, counts the lines", async () => {
  const seen: unknown[] = [];
  const pages = [
    { body: "h\n1\n2\n", cursor: "c1", rows: 2 },
    { body: "3\n4\n", cursor: "c2", rows: 2 },
    { body: "5\n", cursor: null, rows: 1 },
  ];
  const fetcher = (_url: string | URL | Request, init?: RequestInit) => {
    seen.push(JSON.parse(String(init?.body)));
    assert.equal(new Headers(init?.headers).get("authorization"), "Bearer jwt");
    const p = pages[seen.length - 1];
    const headers: Record<string, string> = { "x-statement-rows": String(p.rows) };
    if (p.cursor) headers["x-statement-cursor"] = p.cursor;
    return Promise.resolve(new Response(p.body, { status: 200, headers }));
  };
  const out = await fetchStatementCsv(
    { apiUrl: "http://api", anonKey: "anon", jwt: "jwt", period, maxRows: 2 },
    fetcher,
  );
  assert.deepEqual(out, { csv: "h\n1\n2\n3\n4\n5\n", rows: 5, requests: 3 });
  assert.deepEqual(seen, [
    { ...period, max_rows: 2 },
    { ...period, cursor: "c1", max_rows: 2 },
    { ...period, cursor: "c2", max_rows: 2 },
  ]);
});

Deno.test("fetchStatementCsv: a refusal is an error in words, with the function's reason", async () => {
  const fetcher = () =>
    Promise.resolve(new Response(JSON.stringify({ error: "bad_request", reason: "PT400" }), { status: 400 }));
  const e = await fetchStatementCsv({ apiUrl: "http://api", anonKey: "anon", jwt: "jwt", period }, fetcher).then(
    () => null,
    (e) => e,
  );
  const d = describeError(e);
  assert.equal(d.code, "PT400");
  assert.match(d.text, /statement-export refused the request \(HTTP 400\): bad_request/);
});
