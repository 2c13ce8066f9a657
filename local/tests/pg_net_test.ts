/**
 * Tests for the local pg_net / Vault stand-ins:
 *   local/bootstrap/30_vault.sql, local/bootstrap/40_pg_net.sql, local/stack/pg_net_worker.ts
 *
 * Needs SUPABASE_DB_URL pointing at a database where both bootstrap files are
 * loaded (and roles anon / authenticated / service_role exist). Each test starts
 * its own HTTP server (Deno.serve, random port) and its own in-process worker,
 * and deletes the rows it created.
 *
 *   SUPABASE_DB_URL=postgres://postgres@127.0.0.1:54400/postgres \
 *     npx deno test -A local/tests/pg_net_test.ts
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { type PgNetWorker, startPgNetWorker } from "../stack/pg_net_worker.ts";

const DB_URL = Deno.env.get("SUPABASE_DB_URL") ?? "";

type Sql = ReturnType<typeof postgres>;

interface Hit {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Headers;
  body: string;
}

interface ResponseRow {
  id: string;
  status_code: number | null;
  content_type: string | null;
  headers: Record<string, string> | null;
  content: string | null;
  timed_out: boolean | null;
  error_msg: string | null;
}

interface Ctx {
  sql: Sql;
  base: string;
  hits: Hit[];
  logs: string[];
  /** request ids created by the test: their queue/response rows are deleted afterwards */
  track(id: string): string;
  /** start another worker; its "request done" log lines are counted in `counter.done` */
  startExtraWorker(counter?: { done: number }): PgNetWorker;
  /** "request done" lines logged by the first worker */
  mainDone(): number;
}

function connect(): Sql {
  if (!DB_URL) throw new Error("SUPABASE_DB_URL is not set (see the header of this file)");
  return postgres(DB_URL, { max: 2, onnotice: () => {}, idle_timeout: 5, max_lifetime: null });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  while (true) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

function waitForResponse(sql: Sql, id: string, timeoutMs = 5000): Promise<ResponseRow> {
  return waitFor(`net._http_response row ${id}`, async () => {
    const rows = await sql<ResponseRow[]>`
      select id, status_code, content_type, headers, content, timed_out, error_msg
        from net._http_response where id = ${id}::bigint`;
    return rows[0];
  }, timeoutMs);
}

/** Start server + worker + db connection, run fn, then clean everything up. */
async function withStack(fn: (ctx: Ctx) => Promise<void>, batchSize?: number): Promise<void> {
  const hits: Hit[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    const body = await req.text();
    hits.push({ method: req.method, path: url.pathname, query: url.searchParams, headers: req.headers, body });
    if (url.pathname === "/slow") {
      // headers now, body only after 3 s: the client gives up first and cancels the stream
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode("partial "));
          timer = setTimeout(() => {
            controller.enqueue(new TextEncoder().encode("too late"));
            controller.close();
          }, 3000);
        },
        cancel() {
          clearTimeout(timer);
        },
      });
      return new Response(stream, { headers: { "content-type": "text/plain" } });
    }
    if (url.pathname === "/empty") return new Response(null, { status: 204 });
    return Response.json({ ok: true, path: url.pathname, method: req.method }, {
      status: 200,
      headers: { "x-test-reply": "yes" },
    });
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  const logs: string[] = [];
  const workers: PgNetWorker[] = [];
  const mainCounter = { done: 0 };
  const newWorker = (counter?: { done: number }) => {
    const w = startPgNetWorker({
      dbUrl: DB_URL,
      pollMs: 50,
      batchSize,
      logLevel: "debug",
      log: (l) => {
        logs.push(l);
        if (counter && l.includes('"request done"')) counter.done++;
      },
    });
    workers.push(w);
    return w;
  };
  const ids: string[] = [];
  let sql: Sql | undefined;
  try {
    sql = connect();
    await newWorker(mainCounter).ready;
    await fn({
      sql,
      base,
      hits,
      logs,
      track: (id) => {
        ids.push(id);
        return id;
      },
      startExtraWorker: newWorker,
      mainDone: () => mainCounter.done,
    });
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    if (sql) {
      if (ids.length > 0) {
        await sql`delete from net.http_request_queue where id = any(${ids}::bigint[])`;
        await sql`delete from net._http_response where id = any(${ids}::bigint[])`;
      }
      await sql.end({ timeout: 5 });
    }
    await server.shutdown();
  }
}

/** A local port with nothing listening on it. */
function closedPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

// ---------------------------------------------------------------------------
// pg_net
// ---------------------------------------------------------------------------

Deno.test("http_post from SQL reaches the server with body, headers and query params; response row recorded", () =>
  withStack(async ({ sql, base, hits, logs, track }) => {
    const secret = "sk_test_" + crypto.randomUUID();
    const [{ id }] = await sql<{ id: string }[]>`
      select net.http_post(
        url := ${base + "/hooks/payout"},
        body := '{"amount": 1200, "currency": "eur", "note": "é ü"}'::jsonb,
        params := '{"acct": "acct 1/é&x", "mode": "test"}'::jsonb,
        headers := jsonb_build_object('Content-Type', 'application/json',
                                      'Authorization', 'Bearer ' || ${secret}::text,
                                      'Idempotency-Key', 'key-1'),
        timeout_milliseconds := 3000
      )::text as id`;
    track(id);

    const res = await waitForResponse(sql, id);
    assert.equal(hits.length, 1);
    const hit = hits[0];
    assert.equal(hit.method, "POST");
    assert.equal(hit.path, "/hooks/payout");
    assert.equal(hit.query.get("acct"), "acct 1/é&x");
    assert.equal(hit.query.get("mode"), "test");
    assert.equal(hit.headers.get("authorization"), `Bearer ${secret}`);
    assert.equal(hit.headers.get("idempotency-key"), "key-1");
    assert.equal(hit.headers.get("content-type"), "application/json");
    assert.match(hit.headers.get("user-agent") ?? "", /^pg_net\//);
    assert.deepEqual(JSON.parse(hit.body), { amount: 1200, currency: "eur", note: "é ü" });

    assert.equal(res.status_code, 200);
    assert.equal(res.timed_out, false);
    assert.equal(res.error_msg, null);
    assert.match(res.content_type ?? "", /^application\/json/);
    assert.deepEqual(JSON.parse(res.content ?? "null"), { ok: true, path: "/hooks/payout", method: "POST" });
    assert.equal(res.headers?.["x-test-reply"], "yes");

    // the queue row is consumed
    const queued = await sql`select 1 from net.http_request_queue where id = ${id}::bigint`;
    assert.equal(queued.length, 0);
    // secrets never reach the logs (header values, query string). (If another worker
    // shares the database it may have performed the request; then there is nothing to check.)
    for (const line of logs) {
      assert.ok(!line.includes(secret), "header value leaked into logs");
      assert.ok(!line.includes("acct"), "query string leaked into logs");
    }
  }));

Deno.test("a request made in a rolled-back transaction is never sent", () =>
  withStack(async ({ sql, base, hits, track }) => {
    let rolledBackId = "";
    await assert.rejects(
      sql.begin(async (tx) => {
        const [{ id }] = await tx<{ id: string }[]>`select net.http_post(${base + "/rolled-back"})::text as id`;
        rolledBackId = track(id);
        throw new Error("force rollback");
      }),
      /force rollback/,
    );
    await sleep(500); // ~10 worker polls
    // control: a committed request made afterwards does arrive, so the worker was alive
    const [{ id }] = await sql<{ id: string }[]>`select net.http_get(${base + "/committed"})::text as id`;
    track(id);
    await waitForResponse(sql, id);

    assert.deepEqual(hits.map((h) => h.path), ["/committed"]);
    const leftovers = await sql`
      select id from net.http_request_queue where id = ${rolledBackId}::bigint
      union all
      select id from net._http_response where id = ${rolledBackId}::bigint`;
    assert.equal(leftovers.length, 0);
  }));

Deno.test("a request is not sent before its transaction commits", () =>
  withStack(async ({ sql, base, hits, track }) => {
    let id = "";
    await sql.begin(async (tx) => {
      [{ id }] = await tx<{ id: string }[]>`select net.http_post(${base + "/after-commit"}, '{"n": 1}')::text as id`;
      track(id);
      await sleep(500); // ~10 worker polls while the transaction is open
      assert.equal(hits.length, 0, "request was sent before commit");
    });
    const res = await waitForResponse(sql, id);
    assert.equal(res.status_code, 200);
    assert.deepEqual(hits.map((h) => h.path), ["/after-commit"]);
  }));

Deno.test("timeout is recorded with timed_out and pg_net's message", () =>
  withStack(async ({ sql, base, track }) => {
    const [{ id }] = await sql<{ id: string }[]>`
      select net.http_get(${base + "/slow"}, timeout_milliseconds := 300)::text as id`;
    track(id);
    const res = await waitForResponse(sql, id);
    assert.equal(res.timed_out, true);
    assert.equal(res.status_code, null);
    assert.equal(res.content, null);
    assert.match(
      res.error_msg ?? "",
      /^Timeout of 300 ms reached\. Total time: \d+\.\d{6} ms \(DNS time: \d+\.\d{6} ms, TCP\/SSL handshake time: \d+\.\d{6} ms, HTTP Request\/Response time: \d+\.\d{6} ms\)$/,
    );
    const total = Number(/Total time: ([\d.]+)/.exec(res.error_msg ?? "")?.[1]);
    assert.ok(total >= 290 && total < 3000, `total time ${total}`);
  }));

Deno.test("connection refused is recorded with libcurl's error and no status", () =>
  withStack(async ({ sql, track }) => {
    const port = closedPort();
    const [{ id }] = await sql<{ id: string }[]>`
      select net.http_post(${`http://127.0.0.1:${port}/nowhere`}, '{}'::jsonb)::text as id`;
    track(id);
    const res = await waitForResponse(sql, id);
    assert.equal(res.status_code, null);
    assert.equal(res.timed_out, false);
    assert.equal(res.error_msg, "Couldn't connect to server");
    const [collected] = await sql<{ status: string; message: string }[]>`
      select (r).status::text as status, (r).message from (select net._http_collect_response(${id}::bigint) as r) s`;
    assert.deepEqual({ ...collected }, { status: "ERROR", message: "Couldn't connect to server" });
  }));

Deno.test("http_get sends params and headers; http_delete sends its body; empty body gives null content", () =>
  withStack(async ({ sql, base, hits, track }) => {
    const [{ get_id, delete_id, empty_id }] = await sql<{ get_id: string; delete_id: string; empty_id: string }[]>`
      select net.http_get(${base + "/items"}, '{"q": "a b&c", "n": 2}'::jsonb,
                          '{"X-Api-Key": "local-key"}'::jsonb)::text as get_id,
             net.http_delete(${base + "/items/7"}, body := '{"reason": "dup"}'::jsonb)::text as delete_id,
             net.http_get(${base + "/empty"})::text as empty_id`;
    [get_id, delete_id, empty_id].forEach(track);

    const got = await waitForResponse(sql, get_id);
    const deleted = await waitForResponse(sql, delete_id);
    const empty = await waitForResponse(sql, empty_id);

    const g = hits.find((h) => h.path === "/items");
    assert.ok(g);
    assert.equal(g.method, "GET");
    assert.equal(g.query.get("q"), "a b&c");
    assert.equal(g.query.get("n"), "2");
    assert.equal(g.headers.get("x-api-key"), "local-key");
    assert.equal(got.status_code, 200);
    assert.deepEqual(JSON.parse(got.content ?? "null"), { ok: true, path: "/items", method: "GET" });

    const d = hits.find((h) => h.path === "/items/7");
    assert.ok(d);
    assert.equal(d.method, "DELETE");
    assert.deepEqual(JSON.parse(d.body), { reason: "dup" });
    assert.equal(deleted.status_code, 200);

    assert.equal(empty.status_code, 204);
    assert.equal(empty.content, null);
    assert.equal(empty.error_msg, null);
  }));

Deno.test("http_post rejects a non-JSON Content-Type like pg_net", async () => {
  const sql = connect();
  try {
    await assert.rejects(
      sql`select net.http_post('http://127.0.0.1:9/x', '{}'::jsonb, headers := '{"Content-Type": "text/plain"}'::jsonb)`,
      /Content-Type header must be "application\/json"/,
    );
  } finally {
    await sql.end({ timeout: 5 });
  }
});

Deno.test("two workers never send the same request twice", () =>
  withStack(async ({ sql, base, hits, track, startExtraWorker, mainDone }) => {
    const extra = { done: 0 };
    await startExtraWorker(extra).ready;
    const rows = await sql<{ id: string }[]>`
      select net.http_get(${base + "/fanout"}, jsonb_build_object('n', n))::text as id
        from generate_series(1, 40) n`;
    rows.forEach((r) => track(r.id));
    const ids = rows.map((r) => r.id);
    await waitFor("40 responses", async () => {
      const [{ count }] = await sql<{ count: number }[]>`
        select count(*)::int as count from net._http_response where id = any(${ids}::bigint[])`;
      return count === 40 ? count : undefined;
    });
    const ns = hits.filter((h) => h.path === "/fanout").map((h) => h.query.get("n"));
    assert.equal(ns.length, 40);
    assert.equal(new Set(ns).size, 40);
    // each request was performed by at most one worker (a worker outside this test,
    // e.g. a running local stack on the same database, may have taken some)
    assert.ok(mainDone() + extra.done <= 40);
  }, 3)); // small batches so that both workers get to claim some

// ---------------------------------------------------------------------------
// Vault
// ---------------------------------------------------------------------------

Deno.test("vault.create_secret then read it back from vault.decrypted_secrets by name", async () => {
  const sql = connect();
  const name = `pg_net_test_${crypto.randomUUID()}`;
  try {
    const [{ id }] = await sql<{ id: string }[]>`
      select vault.create_secret('whsec_local_value', ${name}, 'test secret') as id`;
    const [row] = await sql<{ id: string; decrypted_secret: string; secret: string; description: string }[]>`
      select id, decrypted_secret, secret, description from vault.decrypted_secrets where name = ${name}`;
    assert.equal(row.id, id);
    assert.equal(row.decrypted_secret, "whsec_local_value");
    assert.equal(row.description, "test secret");
    assert.notEqual(row.secret, "whsec_local_value", "the secret column must not be the plaintext");

    await sql`select vault.update_secret(${id}::uuid, 'rotated', new_description := 'rotated secret')`;
    const [updated] = await sql<{ decrypted_secret: string; description: string; name: string }[]>`
      select decrypted_secret, description, name from vault.decrypted_secrets where id = ${id}::uuid`;
    assert.deepEqual({ ...updated }, { decrypted_secret: "rotated", description: "rotated secret", name });

    await assert.rejects(sql`select vault.create_secret('dup', ${name})`, /duplicate key/);
  } finally {
    await sql`delete from vault.secrets where name = ${name}`;
    await sql.end({ timeout: 5 });
  }
});

Deno.test("anon and authenticated cannot read or write Vault; service_role can", async () => {
  const sql = connect();
  const name = `pg_net_test_${crypto.randomUUID()}`;
  try {
    await sql`select vault.create_secret('top-secret', ${name})`;
    const denied = async (role: string, query: string) => {
      await assert.rejects(
        sql.begin(async (tx) => {
          await tx.unsafe(`set local role ${role}`);
          await tx.unsafe(query);
        }),
        (err: Error & { code?: string }) => err.code === "42501", // insufficient_privilege
        `${role} should be denied: ${query}`,
      );
    };
    for (const role of ["anon", "authenticated"]) {
      await denied(role, "select * from vault.secrets");
      await denied(role, "select * from vault.decrypted_secrets");
      await denied(role, "select vault.create_secret('x')");
    }
    const [row] = await sql.begin(async (tx) => {
      await tx`set local role service_role`;
      return await tx<{ decrypted_secret: string }[]>`
        select decrypted_secret from vault.decrypted_secrets where name = ${name}`;
    });
    assert.equal(row.decrypted_secret, "top-secret");
  } finally {
    await sql`delete from vault.secrets where name = ${name}`;
    await sql.end({ timeout: 5 });
  }
});
