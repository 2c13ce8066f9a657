// The bad-input corpus (issue 13): several hundred malformed requests through the real gateway —
// PostgREST (every RPC and the tables, with real JWTs of each role), the Edge Functions and the
// Stripe webhook endpoint. Each must be refused with a clear 4xx (a JSON body that says why: a
// SQLSTATE / PostgREST code and message, or the functions' {error, reason}) and change nothing:
// a fingerprint of every table of the schemas public and private (row count + hash of the rows;
// the audit log and the outbox by count and last id) is the same before and after each group.
//
// RPC cases are generated from the signatures: the RPC names are those of types/schemas.ts (RPC,
// complete over types/database.ts at compile time), checked against the functions the database
// exposes; each argument's Postgres type gives its bad values (malformed, wrong JSON type,
// out of range, infinite/NaN times, huge, injection strings), each put into an otherwise valid
// admin call (adminRpcCalls). Then: missing and unknown arguments, bad bodies, every role.
import assert from "node:assert/strict";
import { signStripePayload } from "../../../local/stripe/webhooks.ts";
import { signJwt } from "../../../local/stack/jwt.ts";
import { RPC, type RpcName } from "../../../types/schemas.ts";
import { adminRpcCalls, anonKey, buildWorld, url, type World } from "./_support.ts";
import { stackEnv, userJwt } from "../../../local/tests/support.ts";

/** What came back. */
interface Answer {
  status: number;
  text: string;
  body: unknown;
}

interface Case {
  group: string;
  name: string;
  send(): Promise<Answer>;
  /** A stricter expectation than "a clear 4xx" (status, code, reason). */
  status?: number;
  code?: string;
  reason?: string;
}

async function answer(res: Response): Promise<Answer> {
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch { /* not JSON: the check below says so */ }
  return { status: res.status, text, body };
}

/** A clear refusal: 4xx, a JSON object naming why (SQLSTATE / PostgREST code, or the functions' reason). */
function assertClear(c: Case, a: Answer) {
  const what = `${c.group} / ${c.name}: HTTP ${a.status} ${a.text.slice(0, 300)}`;
  assert.ok(a.status >= 400 && a.status < 500, `not a 4xx: ${what}`);
  assert.ok(a.body && typeof a.body === "object" && !Array.isArray(a.body), `no JSON object: ${what}`);
  const b = a.body as Record<string, unknown>;
  const why = [b.code, b.reason, b.message].find((v) => typeof v === "string" && v.length > 0);
  assert.ok(why, `no reason: ${what}`);
  if (c.status !== undefined) assert.equal(a.status, c.status, what);
  if (c.code !== undefined) assert.equal(b.code, c.code, what);
  if (c.reason !== undefined) assert.equal(b.reason, c.reason, what);
}

// ---------------------------------------------------------------------------------------------
// The fingerprint: every table of public and private
// ---------------------------------------------------------------------------------------------
type Sql = World["sql"];
const APPEND_ONLY = new Set(["public.payout_audit_log", "public.payout_events"]);

async function fingerprint(sql: Sql): Promise<Map<string, string>> {
  const tables = await sql<{ t: string }[]>`
    select format('%I.%I', n.nspname, c.relname) as t
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname in ('public', 'private') and c.relkind in ('r', 'p') order by 1`;
  const out = new Map<string, string>();
  for (const { t } of tables) {
    const [r] = APPEND_ONLY.has(t)
      ? await sql.unsafe(`select count(*)::text || ':' || coalesce(max(id)::text, '-') as f from ${t}`)
      : await sql.unsafe(`select count(*)::text || ':' || md5(coalesce(string_agg(x::text, ',' order by x::text), ''))
                          as f from ${t} x`);
    out.set(t, r.f as string);
  }
  const [u] = await sql`select count(*)::text as n from auth.users`;
  out.set("auth.users", u.n);
  const [v] = await sql`select count(*)::text as n from vault.secrets`;
  out.set("vault.secrets", v.n);
  return out;
}

function changed(a: Map<string, string>, b: Map<string, string>): string[] {
  return [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k));
}

/** Waits until nothing moves (tails of earlier test files: pg_net rings, deliveries). */
async function quiet(sql: Sql): Promise<Map<string, string>> {
  let last = await fingerprint(sql);
  for (let i = 0; i < 30; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = await fingerprint(sql);
    if (changed(last, now).length === 0) return now;
    last = now;
  }
  throw new Error("the database never went quiet");
}

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------
const rest = (path: string, init: { method?: string; jwt?: string | null; apikey?: string | null; body?: string;
  contentType?: string | null; headers?: Record<string, string> } = {}) => {
  const headers: Record<string, string> = { ...init.headers };
  if (init.apikey !== null) headers.apikey = init.apikey ?? anonKey;
  if (init.jwt) headers.authorization = `Bearer ${init.jwt}`;
  if (init.contentType !== null) headers["content-type"] = init.contentType ?? "application/json";
  return fetch(`${url}/rest/v1/${path}`, { method: init.method ?? "POST", headers, body: init.body }).then(answer);
};
const restBytes = (path: string, jwt: string, body: Uint8Array<ArrayBuffer>) =>
  fetch(`${url}/rest/v1/${path}`, {
    method: "POST",
    headers: { apikey: anonKey, authorization: `Bearer ${jwt}`, "content-type": "application/json" },
    body,
  }).then(answer);
const rpc = (name: string, args: unknown, jwt: string | null, extra: Parameters<typeof rest>[1] = {}) =>
  rest(`rpc/${name}`, { jwt, body: typeof args === "string" ? args : JSON.stringify(args), ...extra });
const fn = (name: string, init: { method?: string; headers?: Record<string, string>; body?: string }) =>
  fetch(`${url}/functions/v1/${name}`, {
    method: init.method ?? "POST",
    headers: init.headers,
    body: init.method === "GET" ? undefined : init.body,
  }).then(answer);

// Values that are no valid input of a Postgres type, whatever the function does with them.
const HUGE = "x".repeat(200_000);
const INJECTION = ["'; drop table public.payouts; --", "1' or '1'='1", "$$; select pg_sleep(10); $$", "\\x00\u0000nul"];
const BAD: Record<string, unknown[]> = {
  uuid: ["not-a-uuid", "", 42, true, { id: 1 }, ["00000000-0000-4000-8000-000000000000"],
    "00000000-0000-4000-8000-00000000000g", `${crypto.randomUUID()}x`, HUGE, ...INJECTION,
  ],
  "uuid[]": ["not-an-array", ["not-a-uuid"], [42], "{", { a: 1 }],
  "timestamp with time zone": ["infinity", "-infinity", "NaN", "not a time", "2026-02-30T00:00:00Z",
    "2026-13-01", 1e20, true, "", HUGE, INJECTION[0]],
  date: ["infinity", "-infinity", "2026-02-30", "not a date", "", true, 12.5, INJECTION[0]],
  bigint: ["abc", 1.5, "9223372036854775808", 1e30, "NaN", "Infinity", true, [1], { n: 1 }, "", INJECTION[1]],
  integer: ["abc", 1.5, "2147483648", -2147483649, "NaN", true, [], ""],
  jsonb: ["{", 42, "[", { not: "an array" }],
};
// Range errors of money and counts: refused by the model, not by the type.
const BAD_RANGE: Record<string, unknown[]> = {
  p_hold_amount: [0, -1, -9223372036854775807],
  p_fee_amount: [-1, -100000, 2147483648],
  p_guarantee_days: [-1, 100000],
  p_holdback_bps: [-1, 10001],
  p_currency: ["XXX", "usd ", "US", "USDD", "", "123", "€€€", null],
  p_hold_reason: ["bogus", "", null],
  p_role: ["owner", "", null],
  p_reason: ["", "   ", null],
  p_name: ["", "   ", null, HUGE],
  p_title: [HUGE],
  p_display_name: ["", null, HUGE],
  p_stripe_customer_id: ["cus_bad id!", "not_a_customer", HUGE],
  p_stripe_invoice_id: ["not_an_invoice", "in_ spaces", HUGE],
  p_splits: [[{ recruiter_id: "not-a-uuid", role: "candidate_recruiter", share_bps: 5000 }],
    [{ recruiter_id: crypto.randomUUID(), role: "bogus_role", share_bps: 5000 }],
    [{ share_bps: -1 }], [{ unknown_key: 1 }], "not json", [null]],
};

interface Param {
  name: string;
  type: string;
}

/** The functions of the exposed schema (PostgREST's RPCs), with their parameters, and which only read (pg_catalog). */
async function signatures(sql: Sql): Promise<{ sigs: Map<string, Param[]>; reads: Set<string> }> {
  const rows = await sql<{ name: string; args: string[] | null; types: string[]; stable: boolean }[]>`
    select p.proname as name, p.proargnames as args, p.provolatile <> 'v' as stable,
           array(select format_type(t, null) from unnest(p.proargtypes) t) as types
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'public' and p.prokind = 'f' and p.prorettype <> 'trigger'::regtype`;
  return {
    sigs: new Map(rows.map((r) => [r.name, r.types.map((type, i) => ({ name: r.args?.[i] ?? `$${i}`, type }))])),
    reads: new Set(rows.filter((r) => r.stable).map((r) => r.name)),
  };
}

const UNKNOWN_ID = "ffffffff-ffff-4fff-bfff-ffffffffffff";

function rpcCases(w: World, sigs: Map<string, Param[]>, reads: Set<string>): Case[] {
  const valid: Record<string, Record<string, unknown>> = {
    ...adminRpcCalls(w) as Record<string, Record<string, unknown>>,
    placement_escrow_total: { p_placement_id: w.P1.id },
  };
  const jwt = w.admin.jwt;
  const cases: Case[] = [];
  for (const name of Object.keys(RPC) as RpcName[]) {
    const params = sigs.get(name) ?? [];
    // an args schema that is no plain object (a union, e.g. request_admin_action's per action) has
    // no shape: its arguments count as optional, and only wrong types are tried
    const shape = (RPC[name].args as unknown as { shape?: Record<string, { safeParse(v: unknown): { success: boolean } }> })
      .shape ?? {};
    for (const p of params) {
      // an optional argument may be null or blank: those are no bad input for it
      const optional = shape[p.name]?.safeParse(undefined).success ?? true;
      const range = (BAD_RANGE[p.name] ?? []).filter((v) => !optional || !(v === null || (typeof v === "string" && v.trim() === "")));
      // a well-formed id that names nothing: refused by what changes something (a read filter reads nothing)
      const unknown = p.type === "uuid" && !reads.has(name) ? [UNKNOWN_ID] : [];
      // null for a required argument (one the valid call gives and the schema requires)
      const nulls = !optional && p.name in (valid[name] ?? {}) && !range.includes(null) ? [null] : [];
      const values = [...(BAD[p.type] ?? []), ...range, ...unknown, ...nulls];
      for (const v of values) {
        const args = { ...valid[name], [p.name]: v };
        const label = typeof v === "string" ? JSON.stringify(v.slice(0, 40)) : JSON.stringify(v)?.slice(0, 40);
        cases.push({ group: `rpc ${name}`, name: `${p.name} = ${label} (${p.type})`, send: () => rpc(name, args, jwt) });
      }
    }
    // missing required arguments, an unknown argument, bodies that are no argument object
    const required = params.filter((p) =>
      p.name in (valid[name] ?? {}) && !(shape[p.name]?.safeParse(undefined).success ?? false)
    );
    if (required.length > 0) {
      cases.push({ group: `rpc ${name}`, name: "no arguments", send: () => rpc(name, {}, jwt) });
    }
    cases.push(
      { group: `rpc ${name}`, name: "unknown argument", send: () => rpc(name, { ...valid[name], p_bogus: 1 }, jwt) },
      { group: `rpc ${name}`, name: "malformed JSON", send: () => rpc(name, '{"p_reason": ', jwt), status: 400 },
      { group: `rpc ${name}`, name: "an array body", send: () => rpc(name, "[1, 2]", jwt) },
    );
  }
  return cases;
}

/** Every role's real token calls the admin RPCs with bad input: the refusal (42501 / 401) comes first. */
function roleCases(w: World): Case[] {
  const now = Math.floor(Date.now() / 1000);
  const cases: Case[] = [];
  const roles: Array<[string, string | null, number]> = [
    ["recruiter", w.ra.jwt, 403],
    ["company_admin", w.cadm.jwt, 403],
    ["hiring_manager", w.hm.jwt, 403],
    ["fake admin claims", w.fake.jwt, 403],
    ["anon", null, 401],
  ];
  const calls: Array<[string, Record<string, unknown>]> = [
    ["release_escrow_hold", { p_hold_id: crypto.randomUUID(), p_reason: "" }],
    ["create_placement", { p_company_id: w.companyX.id, p_fee_amount: -5, p_currency: "XXX", p_hired_at: "infinity",
      p_guarantee_days: 90 }],
    ["update_payout_schedule", { p_schedule_id: w.schedule.A.id, p_due_at: "infinity", p_reason: "x" }],
    ["pause_payouts", { p_reason: HUGE }],
    ["fail_placement", { p_placement_id: w.P1.id, p_reason: INJECTION[0] }],
    ["create_escrow_hold", { p_payout_id: w.payout.C.id, p_hold_amount: -1, p_hold_reason: "x" }],
  ];
  for (const [role, jwt, status] of roles) {
    for (const [name, args] of calls) {
      cases.push({ group: `role ${role}`, name, send: () => rpc(name, args, jwt), status, code: "42501" });
    }
  }
  // tokens PostgREST must refuse before any SQL runs
  const secret = stackEnv("SUPABASE_JWT_SECRET");
  const claims = { sub: w.admin.id, role: "authenticated", aud: "authenticated", email: w.admin.email };
  const tokens: Array<[string, () => Promise<string>]> = [
    ["expired", () => signJwt({ ...claims, iat: now - 7200, exp: now - 3600 }, secret)],
    ["forged (another secret)", () => signJwt({ ...claims, iat: now, exp: now + 3600 }, "not-the-project-secret-0123456789abcdef")],
    ["alg none", () => Promise.resolve(`${btoa('{"alg":"none","typ":"JWT"}').replaceAll("=", "")}.${
      btoa(JSON.stringify({ ...claims, exp: now + 3600 })).replaceAll("=", "")}.`)],
    ["malformed", () => Promise.resolve("not.a.jwt")],
    ["tampered payload", async () => {
      const [h, , s] = (await userJwt(w.ra.id)).split(".");
      return `${h}.${btoa(JSON.stringify({ ...claims, exp: now + 3600 })).replaceAll("=", "")}.${s}`;
    }],
    ["role postgres", () => signJwt({ ...claims, role: "postgres", iat: now, exp: now + 3600 }, secret)],
    ["role nobody", () => signJwt({ ...claims, role: "no_such_role", iat: now, exp: now + 3600 }, secret)],
  ];
  for (const [what, make] of tokens) {
    cases.push({
      group: "jwt",
      name: `${what}: pause_payouts`,
      send: async () => rpc("pause_payouts", { p_reason: "corpus" }, await make()),
    });
    cases.push({
      group: "jwt",
      name: `${what}: update payouts`,
      send: async () =>
        rest(`payouts?id=eq.${w.payout.A.id}`, { method: "PATCH", jwt: await make(), body: '{"paid_amount": 0}' }),
    });
  }
  cases.push(
    { group: "jwt", name: "no apikey", send: () => rpc("pause_payouts", { p_reason: "corpus" }, w.admin.jwt, { apikey: null }), status: 401 },
    { group: "jwt", name: "a forged apikey", send: () => rpc("pause_payouts", { p_reason: "corpus" }, null, { apikey: "forged" }), status: 401 },
  );
  return cases;
}

/** Tables through PostgREST: writes (refused by grants and RLS), malformed filters, bodies and media types. */
function tableCases(w: World): Case[] {
  const cases: Case[] = [];
  const admin = w.admin.jwt;
  const writes: Array<[string, string, string]> = [
    ["payouts", `id=eq.${w.payout.A.id}`, '{"paid_amount": -1}'],
    ["payouts", `id=eq.${w.payout.C.id}`, '{"status": "paid", "amount": 9223372036854775807}'],
    ["payout_transfers", `id=eq.${w.transfer.A.id}`, '{"amount": 1, "status": "failed"}'],
    ["escrow_holds", `id=eq.${w.hold.A.id}`, '{"status": "released"}'],
    ["payout_schedules", `id=eq.${w.schedule.A.id}`, '{"next_attempt_at": "infinity"}'],
    ["placements", `id=eq.${w.P1.id}`, '{"fee_amount": -1, "currency": "XXX"}'],
    ["placement_splits", `id=eq.${w.split.A.id}`, '{"share_bps": 10001}'],
    ["recruiters", `id=eq.${w.recruiter.A.id}`, '{"stripe_connect_account_id": "acct_stolen"}'],
    ["companies", `id=eq.${w.companyX.id}`, '{"name": ""}'],
    ["payout_audit_log", "id=gt.0", '{"row_hash": "\\\\x00"}'],
    ["payout_events", "id=gt.0", '{"payload": {}}'],
    ["platform_admins", `user_id=eq.${w.admin.id}`, '{"user_id": "00000000-0000-4000-8000-000000000000"}'],
  ];
  for (const [jwtName, jwt] of [["admin", admin], ["recruiter", w.ra.jwt], ["company_admin", w.cadm.jwt], ["anon", null]] as const) {
    for (const [table, filter, body] of writes) {
      cases.push({ group: `table writes (${jwtName})`, name: `PATCH ${table}`, send: () => rest(`${table}?${filter}`, { method: "PATCH", jwt, body }) });
      cases.push({ group: `table writes (${jwtName})`, name: `POST ${table}`, send: () => rest(table, { jwt, body }) });
      cases.push({ group: `table writes (${jwtName})`, name: `DELETE ${table}`, send: () => rest(`${table}?${filter}`, { method: "DELETE", jwt }) });
    }
  }
  const reads: string[] = [
    "payouts?id=eq.not-a-uuid",
    "payouts?amount=gt.abc",
    "payouts?created_at=lt.not-a-time",
    "payouts?select=no_such_column",
    "payouts?order=no_such_column",
    "payouts?id=in.(1,2",
    "payouts?limit=-1",
    "payouts?amount=eq.9223372036854775808",
    "payouts?or=(amount.gt.1",
    `payouts?id=eq.${encodeURIComponent(INJECTION[0])}`,
    "payouts?select=*,no_such_relation(*)",
    "placements?currency=eq.XXX&fee_amount=lt.NaN",
    "no_such_table",
    "payout_schedules?next_attempt_at=eq.infinityx",
  ];
  for (const q of reads) {
    cases.push({ group: "table reads", name: `GET ${q}`, send: () => rest(q, { method: "GET", jwt: admin }) });
  }
  cases.push(
    { group: "bodies", name: "POST a 6 MB JSON body", send: () => rest("rpc/pause_payouts", { jwt: admin, body: JSON.stringify({ p_reason: "y".repeat(6_000_000) }) }) },
    { group: "bodies", name: "text/plain body", send: () => rest("rpc/pause_payouts", { jwt: admin, body: "p_reason=x", contentType: "text/plain" }) },
    { group: "bodies", name: "form body", send: () => rest("rpc/pause_payouts", { jwt: admin, body: "p_reason=", contentType: "application/x-www-form-urlencoded" }) },
    { group: "bodies", name: "xml body", send: () => rest("rpc/pause_payouts", { jwt: admin, body: "<p_reason/>", contentType: "application/xml" }) },
    { group: "bodies", name: "invalid UTF-8", send: () => restBytes("rpc/pause_payouts", admin, new Uint8Array([...new TextEncoder().encode('{"p_reason": "'), 0xff, 0xfe, ...new TextEncoder().encode('"}')])) },
    { group: "bodies", name: "PATCH a table with malformed JSON", send: () => rest(`payouts?id=eq.${w.payout.A.id}`, { method: "PATCH", jwt: admin, body: "{" }) },
    { group: "bodies", name: "unknown RPC", send: () => rpc("no_such_function", {}, admin) },
  );
  return cases;
}

/** The Edge Functions: secrets, methods, media types, bodies. */
function functionCases(): Case[] {
  const secret = stackEnv("PAYOUT_JOB_SECRET");
  const cases: Case[] = [];
  const jobs: Array<[string, string[]]> = [
    ["process-payout-schedules", ['{"trigger": "bogus"}', '{"reasons": "not an array"}', '{"reasons": [1, 2]}',
      `{"rung_at": "${"9".repeat(100)}"}`]],
    ["process-escrow-releases", ['{"trigger": 42}', '{"reasons": [null]}']],
    ["reverse-payouts", ['{"limit": 0}', '{"limit": 51}', '{"lease_seconds": -1}', '{"limit": "ten"}']],
    ["reconcile-payouts", ['{"window_start": "infinity"}', '{"window_start": "not a time"}', '{"overlap_seconds": -1}',
      '{"overlap_seconds": 1e20}', '{"run_id": "not-a-uuid"}', '{"retry_webhooks": "yes"}']],
    ["stripe-events-catch-up", ['{"overlap_seconds": -1}', '{"overlap_seconds": 86401}', '{"overlap_seconds": 1.5}',
      '{"run_id": "not-a-uuid"}', `{"run_id": "${INJECTION[0]}"}`]],
  ];
  for (const [name, badBodies] of jobs) {
    const auth = { "x-job-secret": secret, "content-type": "application/json" };
    cases.push(
      { group: `fn ${name}`, name: "no secret", send: () => fn(name, { body: "{}" }), status: 401 },
      { group: `fn ${name}`, name: "a wrong secret", send: () => fn(name, { headers: { "x-job-secret": "x".repeat(48) }, body: "{}" }), status: 401 },
      { group: `fn ${name}`, name: "the service key as bearer", send: () => fn(name, { headers: { authorization: `Bearer ${anonKey}` }, body: "{}" }), status: 401 },
      { group: `fn ${name}`, name: "GET", send: () => fn(name, { method: "GET", headers: auth }), status: 405 },
      { group: `fn ${name}`, name: "malformed JSON", send: () => fn(name, { headers: auth, body: '{"trigger": ' }), status: 400 },
      { group: `fn ${name}`, name: "a JSON array", send: () => fn(name, { headers: auth, body: "[]" }), status: 400 },
      { group: `fn ${name}`, name: "text/plain", send: () => fn(name, { headers: { ...auth, "content-type": "text/plain" }, body: "{}" }), status: 415 },
      { group: `fn ${name}`, name: "a 1 MB body", send: () => fn(name, { headers: auth, body: JSON.stringify({ pad: "z".repeat(1_000_000) }) }), status: 413 },
    );
    for (const b of badBodies) {
      cases.push({ group: `fn ${name}`, name: `body ${b.slice(0, 50)}`, send: () => fn(name, { headers: auth, body: b }), status: 400 });
    }
  }
  cases.push(
    { group: "fn health", name: "no token", send: () => fn("health", { method: "GET" }), status: 401 },
    { group: "fn health", name: "a forged token", send: async () => fn("health", { method: "GET", headers: { authorization: `Bearer ${await signJwt({ role: "anon", exp: Math.floor(Date.now() / 1000) + 60 }, "wrong-secret-wrong-secret-wrong-secret")}` } }), status: 401 },
    { group: "fn unknown", name: "a function that does not exist", send: () => fn("no-such-function", { body: "{}" }) },
  );
  return cases;
}

/** The webhook endpoint: signatures, timestamps, payloads. */
function webhookCases(): Case[] {
  const platform = "whsec_standin_platform_secret";
  const now = () => Math.floor(Date.now() / 1000);
  const event = (over: Record<string, unknown> = {}) =>
    JSON.stringify({ id: `evt_corpus${crypto.randomUUID().replaceAll("-", "")}`, object: "event", type: "invoice.paid",
      created: now(), livemode: false, data: { object: { id: "in_corpus", object: "invoice" } }, ...over });
  const post = async (body: string, sig: string | null, headers: Record<string, string> = {}) =>
    fn("stripe-webhook", { headers: { "content-type": "application/json", ...(sig ? { "stripe-signature": sig } : {}), ...headers }, body });
  const signed = async (body: string, secret = platform, t = now()) => post(body, await signStripePayload(secret, body, t));
  const cases: Omit<Case, "group">[] = [
    { name: "no signature", send: () => post(event(), null), reason: "missing_signature" },
    { name: "an empty signature", send: () => post(event(), "") },
    { name: "a signature of another secret", send: () => signed(event(), "whsec_not_ours") },
    { name: "a stale timestamp (10 min)", send: () => signed(event(), platform, now() - 600), reason: "timestamp_outside_tolerance" },
    { name: "a timestamp of 1970", send: () => signed(event(), platform, 1) },
    { name: "a tampered body", send: async () => post(event({ type: "charge.refunded" }), await signStripePayload(platform, event(), now())) },
    { name: "a malformed header", send: () => post(event(), "t=abc,v1=zzz") },
    { name: "v0 signature only", send: () => post(event(), `t=${now()},v0=deadbeef`) },
    { name: "a header of 10 KB", send: () => post(event(), `t=${now()},v1=${"a".repeat(10_000)}`) },
    { name: "malformed JSON, signed", send: () => signed('{"id": "evt_x", ') },
    { name: "a JSON array, signed", send: () => signed("[1, 2, 3]") },
    { name: "null, signed", send: () => signed("null") },
    { name: "no id, signed", send: () => signed(event({ id: undefined })) },
    { name: "a malformed id, signed", send: () => signed(event({ id: "evt bad id" })) },
    { name: "an injection id, signed", send: () => signed(event({ id: INJECTION[0] })) },
    { name: "no type, signed", send: () => signed(event({ type: undefined })) },
    { name: "a type that is no string, signed", send: () => signed(event({ type: 42 })) },
    { name: "created is a string, signed", send: () => signed(event({ created: "yesterday" })) },
    { name: "created is missing, signed", send: () => signed(event({ created: undefined })) },
    { name: "an account that is no acct_ id, signed", send: () => signed(event({ account: "acct bad" })) },
    { name: "no data.object, signed", send: () => signed(event({ data: null })) },
    { name: "a 600 KB body", send: () => signed(event({ pad: "p".repeat(600_000) })), status: 413 },
    { name: "GET", send: () => fn("stripe-webhook", { method: "GET" }), status: 405 },
  ];
  // signed with our secret but no Stripe event: refused before anything is stored
  const notAnEvent = (c: Omit<Case, "group">) => c.name.endsWith(", signed") && !c.name.startsWith("malformed JSON");
  return cases.map((c) => ({ ...c, group: "webhook", ...(notAnEvent(c) ? { status: 400, reason: "not_a_stripe_event" } : {}) }));
}

Deno.test({
  name: "bad-input corpus: every malformed request gets a clear 4xx and changes nothing",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const w = await buildWorld("corpus");
    try {
      const { sigs, reads } = await signatures(w.sql);
      // the RPCs of types/schemas.ts are exactly the functions the database exposes
      assert.deepEqual([...sigs.keys()].sort(), Object.keys(RPC).sort(), "RPC (types/schemas.ts) = the exposed functions");

      const cases = [...rpcCases(w, sigs, reads), ...roleCases(w), ...tableCases(w), ...functionCases(), ...webhookCases()];
      const rpcCount = cases.filter((c) => c.group.startsWith("rpc ")).length;
      assert.ok(cases.length >= 300, `at least 300 cases (${cases.length})`);
      assert.ok(rpcCount >= 200, `RPC cases generated from the signatures (${rpcCount})`);
      for (const needle of ['p_currency = "XXX"', 'p_due_at = "infinity"']) {
        assert.ok(cases.some((c) => c.name.startsWith(needle)), `the corpus has ${needle}`);
      }

      const start = await quiet(w.sql);
      let before = start;
      const failures: string[] = [];
      const groups = [...new Set(cases.map((c) => c.group))];
      for (const group of groups) {
        for (const c of cases.filter((x) => x.group === group)) {
          try {
            assertClear(c, await c.send());
          } catch (e) {
            failures.push(e instanceof Error ? e.message : String(e));
          }
        }
        const after = await fingerprint(w.sql);
        const diff = changed(before, after);
        if (diff.length) failures.push(`${group}: changed ${diff.join(", ")}`);
        before = after;
      }
      await t.step(`${cases.length} cases (${rpcCount} RPC cases from ${sigs.size} signatures)`, () => {
        assert.deepEqual(failures, []);
      });
      await t.step("nothing changed: the fingerprint of every table is the one before the corpus", async () => {
        assert.deepEqual(changed(start, await fingerprint(w.sql)), []);
      });
    } finally {
      await w.cleanup();
    }
  },
});
