/**
 * connect-onboarding's decisions (`_shared/connect/onboarding.ts`) over fake parts: which Stripe
 * calls each case makes, in which order, and what the caller gets. The same flows run end to end
 * in connect-onboarding_test.ts.
 */
import assert from "node:assert/strict";
import type Stripe from "stripe";
import {
  accountParams,
  type BeginRow,
  explain,
  handleOnboarding,
  type OnboardingDeps,
  type StatusRow,
} from "../_shared/connect/onboarding.ts";

const ROW: BeginRow = {
  connect_account_id: "11111111-1111-1111-1111-111111111111",
  recruiter_id: "22222222-2222-2222-2222-222222222222",
  status: "creating",
  stripe_account_id: null,
  idempotency_key: "connect_account:11111111-1111-1111-1111-111111111111",
  country: "US",
  fresh: true,
  replacing: null,
  created_at: "2026-12-01T10:00:00Z",
};

const STATUS: StatusRow = {
  recruiter_id: ROW.recruiter_id,
  state: "onboarding",
  stripe_account_id: "acct_1",
  transfers_capability: "inactive",
  can_receive_transfers: false,
  requirements_currently_due: ["external_account"],
  requirements_past_due: [],
  disabled_reason: null,
  waiting_payouts: [],
  waiting_amounts: {},
};

function fakes(o: { row?: Partial<BeginRow>; own?: boolean; found?: boolean; status?: Partial<StatusRow> } = {}) {
  const calls: string[] = [];
  const account = { id: "acct_1", metadata: {} } as unknown as Stripe.Account;
  const deps: OnboardingDeps = {
    api: {
      begin: (args) => {
        calls.push(`begin ${JSON.stringify(args)}`);
        return Promise.resolve({ ...ROW, ...o.row });
      },
      myStatus: () => {
        calls.push("myStatus");
        return Promise.resolve({ ...STATUS, ...o.status });
      },
      adminStatus: (id) => {
        calls.push(`adminStatus ${id}`);
        return Promise.resolve({ ...STATUS, ...o.status });
      },
      isOwn: () => Promise.resolve(o.own ?? true),
    },
    db: {
      link: (id, a) => {
        calls.push(`link ${id} ${a.id}`);
        return Promise.resolve({});
      },
      recordRead: (a) => {
        calls.push(`recordRead ${a.id}`);
        return Promise.resolve({});
      },
    },
    stripe: {
      createAccount: (_p, key) => {
        calls.push(`create ${key}`);
        return Promise.resolve(account);
      },
      findAccount: (id, since) => {
        calls.push(`find ${id} ${since}`);
        return Promise.resolve(o.found ? account : null);
      },
      retrieve: (id) => {
        calls.push(`retrieve ${id}`);
        return Promise.resolve(account);
      },
      accountLink: (id) => {
        calls.push(`link_url ${id}`);
        return Promise.resolve({ url: "https://connect.stripe.com/setup/e/acct_1/x", expires_at: 1_800_000_000 });
      },
      loginLink: (id) => {
        calls.push(`login ${id}`);
        return Promise.resolve({ url: "https://connect.stripe.com/express/acct_1/y" });
      },
    },
    settings: { refreshUrl: "https://app.test/r", returnUrl: "https://app.test/x", platformCountry: "US" },
  };
  return { deps, calls };
}

Deno.test("onboard, first call: create under the stored key, link, then the link (no look-up)", async () => {
  const { deps, calls } = fakes();
  const out = await handleOnboarding(deps, { action: "onboard", country: "US" });
  assert.deepEqual(calls, [
    'begin {"p_country":"US"}',
    `create ${ROW.idempotency_key}`,
    `link ${ROW.connect_account_id} acct_1`,
    "link_url acct_1",
  ]);
  assert.deepEqual([out.created, out.stripe_account_id, out.onboarding_url], [
    true,
    "acct_1",
    "https://connect.stripe.com/setup/e/acct_1/x",
  ]);
});

Deno.test("onboard, a row begun earlier: look up by metadata first; found → adopted, not created", async () => {
  const { deps, calls } = fakes({ row: { fresh: false }, found: true });
  const out = await handleOnboarding(deps, { action: "onboard" });
  const since = Date.parse(ROW.created_at) / 1000 - 600;
  assert.deepEqual(calls.slice(1, 3), [
    `find ${ROW.connect_account_id} ${since}`,
    `link ${ROW.connect_account_id} acct_1`,
  ]);
  assert.equal(out.created, false);
});

Deno.test("onboard, a row begun earlier and nothing found: created under the same key", async () => {
  const { deps, calls } = fakes({ row: { fresh: false }, found: false });
  await handleOnboarding(deps, { action: "onboard" });
  assert.deepEqual(calls.slice(1, 3), [
    `find ${ROW.connect_account_id} ${Date.parse(ROW.created_at) / 1000 - 600}`,
    `create ${ROW.idempotency_key}`,
  ]);
});

Deno.test("onboard, linked already: no Stripe account call, a fresh link", async () => {
  const { deps, calls } = fakes({ row: { status: "linked", stripe_account_id: "acct_9" } });
  const out = await handleOnboarding(deps, { action: "onboard" });
  assert.deepEqual(calls, ["begin {}", "link_url acct_9"]);
  assert.equal(out.created, false);
});

Deno.test("onboard by an admin for a recruiter: the account, no link for the admin", async () => {
  const { deps, calls } = fakes({ own: false });
  const out = await handleOnboarding(deps, { action: "onboard", recruiter_id: ROW.recruiter_id });
  assert.ok(!calls.some((c) => c.startsWith("link_url")));
  assert.equal(out.onboarding_url, null);
});

Deno.test("status: re-read and recorded before answering; no account: no Stripe call", async () => {
  const a = fakes();
  const out = await handleOnboarding(a.deps, { action: "status" });
  assert.deepEqual(a.calls, ["myStatus", "retrieve acct_1", "recordRead acct_1", "myStatus"]);
  assert.match(String(out.message), /not finished/);
  const b = fakes({ status: { stripe_account_id: null, state: "not_started" } });
  await handleOnboarding(b.deps, { action: "status", recruiter_id: ROW.recruiter_id });
  assert.deepEqual(b.calls, [`adminStatus ${ROW.recruiter_id}`]);
});

Deno.test("login_link: only once onboarding is finished", async () => {
  await assert.rejects(handleOnboarding(fakes().deps, { action: "login_link" }), /onboarding is not finished/);
  await assert.rejects(
    handleOnboarding(fakes({ status: { stripe_account_id: null, state: "not_started" } }).deps, {
      action: "login_link",
    }),
    /no connected account/,
  );
  const done = fakes({ status: { state: "complete" } });
  const out = await handleOnboarding(done.deps, { action: "login_link" });
  assert.deepEqual(done.calls, ["myStatus", "login acct_1"]);
  assert.equal(out.login_url, "https://connect.stripe.com/express/acct_1/y");
});

Deno.test("accountParams: Express-equivalent controller, transfers, agreement by country, our metadata", () => {
  assert.deepEqual(accountParams({ ...ROW, country: "GB" }, "US"), {
    country: "GB",
    controller: {
      fees: { payer: "application" },
      losses: { payments: "application" },
      requirement_collection: "stripe",
      stripe_dashboard: { type: "express" },
    },
    capabilities: { transfers: { requested: true } },
    tos_acceptance: { service_agreement: "recipient" },
    metadata: { recruiter_id: ROW.recruiter_id, connect_account_id: ROW.connect_account_id },
  });
  assert.equal(accountParams(ROW, "US").tos_acceptance?.service_agreement, "full");
});

Deno.test("explain: one sentence per state", () => {
  const s = (state: string) => explain({ state, requirements_currently_due: ["a", "b"], disabled_reason: null });
  assert.match(s("complete"), /can receive payouts/);
  assert.match(s("onboarding"), /2 item/);
  assert.match(s("pending"), /verifying/);
  assert.match(s("restricted"), /needs more/);
  assert.match(s("creating"), /being created/);
  assert.match(s("not_started"), /not started/);
});
