// The local stack behaves like Supabase's where the product relies on it: gateway routing,
// verify_jwt, PostgREST under RLS with real JWTs, pg_cron jobs running, pg_net reaching a
// function. Fixtures are created here and dropped afterwards (never in migrations).
import { createClient } from "@supabase/supabase-js";
import assert from "node:assert/strict";
import { adminSql, createUser, eventually, stackEnv } from "./support.ts";

const url = stackEnv("SUPABASE_URL");
const anonKey = stackEnv("SUPABASE_ANON_KEY");

Deno.test("health function answers through the gateway with the anon key", async () => {
  const res = await fetch(`${url}/functions/v1/health`, { headers: { Authorization: `Bearer ${anonKey}` } });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.status, "ok");
});

Deno.test("verify_jwt: a function called without or with a bad JWT gets 401 JSON", async () => {
  const none = await fetch(`${url}/functions/v1/health`);
  assert.equal(none.status, 401);
  assert.match((await none.json()).message, /authorization/i);
  const forged = anonKey.slice(0, -4) + (anonKey.endsWith("AAAA") ? "BBBB" : "AAAA");
  const bad = await fetch(`${url}/functions/v1/health`, { headers: { Authorization: `Bearer ${forged}` } });
  assert.equal(bad.status, 401);
  assert.equal((await bad.json()).message, "Invalid JWT");
});

Deno.test("unknown function is 404 and /rest/v1 without an apikey is 401", async () => {
  const nf = await fetch(`${url}/functions/v1/no-such-function`, { headers: { Authorization: `Bearer ${anonKey}` } });
  assert.equal(nf.status, 404);
  await nf.body?.cancel();
  const rest = await fetch(`${url}/rest/v1/`);
  assert.equal(rest.status, 401);
  await rest.body?.cancel();
});

Deno.test("supabase-js through the gateway: RLS shows each user only their rows; RPC works", async () => {
  const sql = adminSql();
  try {
    await sql.unsafe(`
      create table public.stack_test_notes (
        id bigint generated always as identity primary key,
        owner_id uuid not null default auth.uid(),
        body text not null
      );
      alter table public.stack_test_notes enable row level security;
      create policy stack_test_notes_select_own on public.stack_test_notes
        for select to authenticated using (owner_id = (select auth.uid()));
      revoke all on public.stack_test_notes from anon;
      grant select on public.stack_test_notes to authenticated;
      create function public.stack_test_whoami() returns uuid
        language sql stable set search_path = '' as $$ select auth.uid() $$;
      grant execute on function public.stack_test_whoami() to authenticated;
    `);
    const a = await createUser(sql, `stack-test-a-${crypto.randomUUID()}@example.test`);
    const b = await createUser(sql, `stack-test-b-${crypto.randomUUID()}@example.test`);
    await sql`insert into public.stack_test_notes (owner_id, body)
      values (${a.id}, 'a1'), (${a.id}, 'a2'), (${b.id}, 'b1')`;
    await sql`notify pgrst, 'reload schema'`;

    const as = (jwt: string) =>
      createClient(url, anonKey, { global: { headers: { Authorization: `Bearer ${jwt}` } }, auth: { persistSession: false } });

    const rowsFor = async (jwt: string) =>
      await eventually(async () => {
        const { data, error } = await as(jwt).from("stack_test_notes").select("body").order("body");
        return error ? null : data;
      }, "PostgREST to see the fixture table");

    assert.deepEqual((await rowsFor(a.jwt)).map((r) => r.body), ["a1", "a2"]);
    assert.deepEqual((await rowsFor(b.jwt)).map((r) => r.body), ["b1"]);

    // anon holds no grant on the table: PostgREST answers with Postgres' 42501.
    const anon = createClient(url, anonKey, { auth: { persistSession: false } });
    const anonRead = await anon.from("stack_test_notes").select("body");
    assert.equal(anonRead.data, null);
    assert.equal(anonRead.error?.code, "42501");

    const who = await eventually(async () => {
      const r = await as(b.jwt).rpc("stack_test_whoami");
      return r.error?.code === "PGRST202" ? null : r; // not in the schema cache yet
    }, "PostgREST to see the fixture function");
    assert.equal(who.error, null, JSON.stringify(who.error));
    assert.equal(who.data, b.id);
  } finally {
    await sql.unsafe(`drop table if exists public.stack_test_notes; drop function if exists public.stack_test_whoami();`);
    // only this test's users (other tests' users may own rows)
    await sql`delete from auth.users where email like 'stack-test-%@example.test'`;
    await sql`notify pgrst, 'reload schema'`;
    await sql.end();
  }
});

Deno.test("net.http_post from SQL reaches the health function; the response row has status 200", async () => {
  const sql = adminSql();
  try {
    const [{ id }] = await sql<{ id: number }[]>`
      select net.http_post(
        url := ${url + "/functions/v1/health"}::text,
        body := '{"ping": true}'::jsonb,
        headers := jsonb_build_object('Content-Type', 'application/json', 'Authorization', ${"Bearer " + anonKey}::text)
      ) as id`;
    const res = await eventually(async () => {
      const rows = await sql<{ status_code: number; content: string; timed_out: boolean; error_msg: string | null }[]>`
        select status_code, content, timed_out, error_msg from net._http_response where id = ${id}`;
      return rows[0];
    }, "the pg_net response row", 20000);
    assert.equal(res.status_code, 200);
    assert.equal(JSON.parse(res.content).status, "ok");
    assert.equal(res.error_msg, null);
  } finally {
    await sql.end();
  }
});

Deno.test("pg_cron runs a scheduled job (real pg_cron; minute granularity)", async () => {
  const sql = adminSql();
  const name = `stack-test-${crypto.randomUUID()}`;
  try {
    await sql`create table if not exists public.stack_test_cron_hits (at timestamptz not null default now())`;
    await sql`select cron.schedule(${name}, '* * * * *', 'insert into public.stack_test_cron_hits default values')`;
    const run = await eventually(async () => {
      const rows = await sql<{ status: string }[]>`
        select d.status from cron.job_run_details d join cron.job j using (jobid)
        where j.jobname = ${name} and d.status in ('succeeded', 'failed')`;
      return rows[0];
    }, "the cron job to run", 75000);
    assert.equal(run.status, "succeeded");
    const [{ n }] = await sql<{ n: number }[]>`select count(*)::int as n from public.stack_test_cron_hits`;
    assert.ok(n >= 1);
  } finally {
    await sql`select cron.unschedule(${name})`.catch(() => {});
    await sql`drop table if exists public.stack_test_cron_hits`;
    await sql.end();
  }
});
