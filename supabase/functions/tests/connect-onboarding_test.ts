/**
 * connect-onboarding end to end, through the gateway with real JWTs, against the stack's Stripe
 * stand-in: a recruiter onboards (account created once, linked, fresh link), refreshes, returns
 * (the account is re-read), opens the Express dashboard; an admin onboards for a recruiter and
 * replaces an account (audited); refusals change nothing; the function killed during
 * accounts.create and called again after Stripe forgot the key → exactly one account;
 * account.updated out of order stores what Stripe has now.
 */
import assert from "node:assert/strict";
import type postgres from "postgres";
import { serviceAgreement } from "../_shared/connect/onboarding.ts";
import {
  adminSql,
  createUser,
  eventually,
  functionUrl,
  functionWorkerPids,
  makeAdmin,
  sendEvents,
  stackEnv,
  standin,
  stripeClient,
  useWebhookEndpoint,
} from "./stripe_sync_test_support.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** Calls connect-onboarding as the holder of `jwt` (null: no token). */
async function callFn(jwt: string | null, body: Record<string, unknown>): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { "content-type": "application/json", apikey: stackEnv("SUPABASE_ANON_KEY") };
  if (jwt) headers.authorization = `Bearer ${jwt}`;
  const res = await fetch(functionUrl("connect-onboarding"), { method: "POST", headers, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** A recruiter without a connected account, and their token. */
async function newRecruiter(sql: postgres.Sql): Promise<{ id: string; jwt: string; userId: string }> {
  const u = await createUser(sql, `onb-${crypto.randomUUID()}@test.invalid`);
  const [r] =
    await sql`insert into public.recruiters (user_id, display_name) values (${u.id}, 'Onboarding test') returning id`;
  return { id: r.id, jwt: u.jwt, userId: u.id };
}

/** The accounts at Stripe made for this recruiter (our metadata). */
async function accountsAtStripe(recruiterId: string) {
  const out = [];
  for await (const a of stripeClient().accounts.list({ limit: 100 })) {
    if (a.metadata?.recruiter_id === recruiterId) out.push(a);
  }
  return out;
}

async function accountCreates(connectAccountId: string): Promise<any[]> {
  const log = await standin("GET", `/_standin/requests?method=POST&path=/v1/accounts`);
  return log.data.filter((d: any) => d.params?.metadata?.connect_account_id === connectAccountId);
}

async function rowsOf(sql: postgres.Sql, recruiterId: string) {
  return await sql`select * from private.connect_accounts where recruiter_id = ${recruiterId} order by created_at, status desc`;
}

Deno.test("service agreement: full at home, recipient cross-border", () => {
  assert.equal(serviceAgreement("US", "US"), "full");
  assert.equal(serviceAgreement("GB", "US"), "recipient");
});

Deno.test(
  "a recruiter onboards: one account, linked, a fresh link each time, return re-reads, dashboard",
  opts,
  async () => {
    const sql = adminSql();
    try {
      const r = await newRecruiter(sql);
      const first = await callFn(r.jwt, { action: "onboard", country: "GB" });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal(first.body.created, true);
      assert.match(first.body.onboarding_url, /^https:\/\/connect\.stripe\.com\/setup\//);
      const acct = first.body.stripe_account_id as string;

      // Stripe has one Express-equivalent account with our metadata, made under the stored key
      const [a] = await accountsAtStripe(r.id);
      assert.equal(a.id, acct);
      assert.deepEqual(a.controller, {
        fees: { payer: "application" },
        is_controller: true,
        losses: { payments: "application" },
        requirement_collection: "stripe",
        stripe_dashboard: { type: "express" },
        type: "application",
      });
      assert.equal(a.capabilities?.transfers, "inactive");
      assert.equal(a.country, "GB");
      assert.equal((a.tos_acceptance as any).service_agreement, "recipient", "cross-border: recipient");
      const [row] = await rowsOf(sql, r.id);
      assert.equal(a.metadata?.connect_account_id, row.id);
      const creates = await accountCreates(row.id);
      assert.deepEqual(creates.map((c) => c.idempotency_key), [`connect_account:${row.id}`]);
      assert.deepEqual([row.status, row.stripe_account_id, row.service_agreement], ["linked", acct, "recipient"]);
      assert.ok(row.requirements_currently_due.includes("external_account"), "what Stripe still needs is stored");
      const [rec] = await sql`select * from public.recruiters where id = ${r.id}`;
      assert.deepEqual([rec.stripe_connect_account_id, rec.can_receive_transfers], [acct, false]);

      // the link expired or was used: the refresh page calls again → same account, a new link
      const again = await callFn(r.jwt, {});
      assert.equal(again.status, 200);
      assert.deepEqual([again.body.stripe_account_id, again.body.created], [acct, false]);
      assert.notEqual(again.body.onboarding_url, first.body.onboarding_url);
      assert.equal((await accountsAtStripe(r.id)).length, 1, "still one account");

      // the dashboard before onboarding is finished: refused
      const early = await callFn(r.jwt, { action: "login_link" });
      assert.equal(early.status, 409);

      // back at the return URL without finishing: not complete
      const back = await callFn(r.jwt, { action: "status" });
      assert.equal(back.status, 200);
      assert.equal(back.body.state, "onboarding");
      assert.ok(back.body.requirements_currently_due.length > 0);
      assert.match(back.body.message, /not finished/);

      // the recruiter finishes the hosted form (no webhook reaches us): the return URL's read says so
      await standin("POST", `/_standin/accounts/${acct}/complete_onboarding`, {});
      const done = await callFn(r.jwt, { action: "status" });
      assert.equal(done.status, 200);
      assert.deepEqual([done.body.state, done.body.can_receive_transfers, done.body.requirements_currently_due], [
        "complete",
        true,
        [],
      ]);
      const [rec2] = await sql`select can_receive_transfers from public.recruiters where id = ${r.id}`;
      assert.equal(rec2.can_receive_transfers, true);

      // the Express dashboard, for the account's own recruiter
      const login = await callFn(r.jwt, { action: "login_link" });
      assert.equal(login.status, 200);
      assert.match(login.body.login_url, new RegExp(`^https://connect\\.stripe\\.com/express/${acct}/`));

      // audited: created, linked, requirements; the capability change on the recruiter
      const actions = await sql`select action from public.payout_audit_log where entity_id = ${row.id} order by id`;
      assert.deepEqual(actions.slice(0, 2).map((x) => x.action), ["connect_account.create", "connect_account.link"]);
      const capAudit = await sql`select count(*)::int as n from public.payout_audit_log
      where entity_id = ${r.id} and new_values ->> 'stripe_transfers_capability' = 'active'`;
      assert.equal(capAudit[0].n, 1, "the capability change is audited");
    } finally {
      await sql.end();
    }
  },
);

Deno.test(
  "refusals: someone else's recruiter, a recruiter replacing, no token, another's dashboard — nothing changes",
  opts,
  async () => {
    const sql = adminSql();
    try {
      const a = await newRecruiter(sql);
      const b = await newRecruiter(sql);
      const before = (await standin("GET", "/_standin/requests?method=POST&path=/v1/accounts")).data.length;

      const other = await callFn(a.jwt, { action: "onboard", recruiter_id: b.id });
      assert.equal(other.status, 403);
      assert.match(other.body.reason, /only onboard your own/);
      const readOther = await callFn(a.jwt, { action: "status", recruiter_id: b.id });
      assert.equal(readOther.status, 403, "someone else's status: refused");
      const noToken = await callFn(null, { action: "onboard" });
      assert.equal(noToken.status, 401);

      // a has an account; a replacing it is an admin's decision
      assert.equal((await callFn(a.jwt, {})).status, 200);
      const replace = await callFn(a.jwt, { replace_reason: "I want another" });
      assert.equal(replace.status, 403);
      assert.match(replace.body.reason, /only a platform admin can replace/);
      // b has no account: no dashboard
      assert.equal((await callFn(b.jwt, { action: "login_link" })).status, 409);

      assert.equal((await rowsOf(sql, b.id)).length, 0, "nothing written for b");
      assert.equal((await rowsOf(sql, a.id)).length, 1, "a: one account");
      const after = (await standin("GET", "/_standin/requests?method=POST&path=/v1/accounts")).data.length;
      assert.equal(after - before, 1, "one accounts.create in all (a's)");
    } finally {
      await sql.end();
    }
  },
);

Deno.test(
  "an admin onboards for a recruiter (no link for the admin), reads the status, replaces the account (audited)",
  opts,
  async () => {
    const sql = adminSql();
    try {
      const admin = await makeAdmin(sql);
      const r = await newRecruiter(sql);
      const started = await callFn(admin.jwt, { action: "onboard", recruiter_id: r.id });
      assert.equal(started.status, 200, JSON.stringify(started.body));
      assert.equal(started.body.created, true);
      assert.equal(started.body.onboarding_url, null, "the link goes to the recruiter only");
      const acct = started.body.stripe_account_id;
      assert.equal((await accountsAtStripe(r.id))[0].tos_acceptance?.service_agreement, "full", "home country: full");

      const mine = await callFn(r.jwt, {});
      assert.deepEqual([mine.status, mine.body.stripe_account_id, mine.body.created], [200, acct, false]);
      assert.ok(mine.body.onboarding_url);

      const st = await callFn(admin.jwt, { action: "status", recruiter_id: r.id });
      assert.deepEqual([st.status, st.body.state, st.body.stripe_account_id], [200, "onboarding", acct]);
      assert.equal((await callFn(admin.jwt, { action: "login_link" })).status, 403, "the dashboard is the recruiter's");

      const replaced = await callFn(admin.jwt, { recruiter_id: r.id, replace_reason: "account closed at Stripe" });
      assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
      assert.equal(replaced.body.replaced, acct);
      assert.notEqual(replaced.body.stripe_account_id, acct);
      const rows = await rowsOf(sql, r.id);
      assert.deepEqual(
        rows.map((x) => [x.status, x.stripe_account_id]).sort(),
        [["linked", replaced.body.stripe_account_id], ["replaced", acct]].sort(),
      );
      const [audit] = await sql`select changed_by, changed_by_role, reason from public.payout_audit_log
      where entity_id = ${rows.find((x) => x.status === "replaced")!.id} and action = 'connect_account.replace'`;
      assert.deepEqual([audit.changed_by, audit.changed_by_role, audit.reason], [
        admin.id,
        "platform_admin",
        "account closed at Stripe",
      ]);
    } finally {
      await sql.end();
    }
  },
);

Deno.test(
  "killed during accounts.create, called again after Stripe forgot the key: exactly one account",
  opts,
  async () => {
    const sql = adminSql();
    try {
      const r = await newRecruiter(sql);
      await standin("POST", "/_standin/faults", {
        kind: "latency",
        method: "POST",
        path: "/v1/accounts",
        latency_ms: 2500,
      });
      try {
        const call = callFn(r.jwt, {}).catch((e) => e);
        await eventually(
          async () => {
            const [row] = await rowsOf(sql, r.id);
            return row && (await accountCreates(row.id)).length > 0 ? true : null;
          },
          "accounts.create to start",
          10000,
        );
        const pids = await functionWorkerPids("connect-onboarding");
        assert.ok(pids.length > 0, "the function's process");
        for (const pid of pids) Deno.kill(pid, "SIGKILL");
        await call;
      } finally {
        await standin("DELETE", "/_standin/faults");
      }
      const [mid] = await rowsOf(sql, r.id);
      assert.equal(mid.status, "creating", "the key is stored, the account not linked");
      // Stripe finishes the account it started; 24 h pass (the key is forgotten)
      await eventually(
        async () => (await accountsAtStripe(r.id)).length === 1 ? true : null,
        "Stripe's account",
        10000,
      );
      await standin("POST", "/_standin/idempotency/expire", {});

      const again = await callFn(r.jwt, {});
      assert.equal(again.status, 200, JSON.stringify(again.body));
      assert.equal(again.body.created, false, "found by metadata, not created again");
      const atStripe = await accountsAtStripe(r.id);
      assert.equal(atStripe.length, 1, "exactly one account at Stripe");
      assert.equal(again.body.stripe_account_id, atStripe[0].id);
      assert.equal((await accountCreates(mid.id)).length, 1, "one accounts.create in the request log");
      const [rec] = await sql`select stripe_connect_account_id from public.recruiters where id = ${r.id}`;
      assert.equal(rec.stripe_connect_account_id, atStripe[0].id);
    } finally {
      await sql.end();
    }
  },
);

Deno.test("Stripe made the account but stored a 500 under the key: the retry finds it, one account", opts, async () => {
  const sql = adminSql();
  try {
    const r = await newRecruiter(sql);
    // the same key would replay the 500 for 24 h: the retry looks the account up by metadata first
    await standin("POST", "/_standin/faults", { kind: "error_500_after", method: "POST", path: "/v1/accounts" });
    try {
      const lost = await callFn(r.jwt, {});
      assert.equal(lost.status, 502, JSON.stringify(lost.body));
    } finally {
      await standin("DELETE", "/_standin/faults");
    }
    const [mid] = await rowsOf(sql, r.id);
    assert.equal(mid.status, "creating");
    const again = await callFn(r.jwt, {});
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.body.created, false);
    const atStripe = await accountsAtStripe(r.id);
    assert.equal(atStripe.length, 1, "one account");
    assert.equal(again.body.stripe_account_id, atStripe[0].id);
  } finally {
    await sql.end();
  }
});

Deno.test("account.updated out of order: requirements and capability as Stripe has them now", opts, async () => {
  const sql = adminSql();
  const restore = await useWebhookEndpoint();
  try {
    const r = await newRecruiter(sql);
    const { body } = await callFn(r.jwt, {});
    const acct = body.stripe_account_id as string;
    await standin("POST", `/_standin/accounts/${acct}/complete_onboarding`, { transfers: "pending" });
    await standin("POST", `/_standin/accounts/${acct}/requirements`, {
      currently_due: ["individual.verification.document"],
      past_due: ["individual.verification.document"],
      disabled_reason: "requirements.past_due",
      transfers: "inactive",
    });
    // two events, their snapshots disagree, delivered newest first
    const snap = (due: string[]) => ({ id: acct, object: "account", requirements: { currently_due: due } });
    const out = await sendEvents({
      events: [
        { type: "account.updated", data: { object: snap([]) }, account: acct },
        { type: "account.updated", data: { object: snap(["x"]) }, account: acct },
      ],
      mode: "reverse_order",
    });
    assert.deepEqual(out.deliveries.map((d) => d.status), [200, 200]);
    const [row] = await rowsOf(sql, r.id);
    assert.deepEqual([row.requirements_past_due, row.disabled_reason, row.details_submitted], [
      ["individual.verification.document"],
      "requirements.past_due",
      true,
    ]);
    const st = await callFn(r.jwt, { action: "status" });
    assert.deepEqual([st.body.state, st.body.requirements_past_due], ["restricted", [
      "individual.verification.document",
    ]]);
  } finally {
    await restore();
    await sql.end();
  }
});
