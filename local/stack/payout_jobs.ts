// Local wiring of the payout-run Edge Functions (local only; docs/payout-runs.md has the real
// project's equivalents): the functions' database login, the Vault entries the doorbells read,
// the cron jobs, and the Stripe stand-in's copy of the seeded connected accounts and invoices.
import { apiUrl, dbUrl, type StackConfig, STRIPE_TEST_KEY, stripeUrl } from "./config.ts";
import { psql } from "./postgres.ts";

/** Local-only doorbell secret (the functions' PAYOUT_JOB_SECRET and Vault's payout_job_secret). */
export const LOCAL_PAYOUT_JOB_SECRET = "local-payout-job-secret-not-for-production-00000000";
/** Local-only password of the functions' login role payout_worker. */
export const LOCAL_PAYOUT_WORKER_PASSWORD = "payout_worker_local_only";

const lit = (s: string) => `'${s.replaceAll("'", "''")}'`;

const psqlStdin = async (c: StackConfig, sql: string): Promise<string> => (await psql(c, ["-At"], sql)).stdout;

/**
 * After migrations (idempotent): payout_worker may log in with the local password; Vault holds
 * the functions' base URL (the gateway) and the job secret. Returns the functions' extra env.
 */
export async function setupPayoutJobs(c: StackConfig): Promise<Record<string, string>> {
  const url = apiUrl(c);
  await psqlStdin(
    c,
    `
alter role payout_worker with login password ${lit(LOCAL_PAYOUT_WORKER_PASSWORD)};
select vault.update_secret(s.id, ${lit(url)}) from vault.secrets s where s.name = 'payout_functions_url';
select vault.create_secret(${lit(url)}, 'payout_functions_url', 'Base URL of the Edge Functions (local gateway)')
 where not exists (select 1 from vault.secrets where name = 'payout_functions_url');
select vault.update_secret(s.id, ${
      lit(LOCAL_PAYOUT_JOB_SECRET)
    }) from vault.secrets s where s.name = 'payout_job_secret';
select vault.create_secret(${
      lit(LOCAL_PAYOUT_JOB_SECRET)
    }, 'payout_job_secret', 'Doorbell secret of the payout-run functions')
 where not exists (select 1 from vault.secrets where name = 'payout_job_secret');
`,
  );
  return {
    PAYOUT_JOBS_DB_URL: dbUrl(c, "payout_worker", LOCAL_PAYOUT_WORKER_PASSWORD),
    PAYOUT_JOB_SECRET: LOCAL_PAYOUT_JOB_SECRET,
    // The test stack: short leases and settle delays, so recovery tests wait seconds, not minutes.
    ...(c.profile === "test" ? { PAYOUT_CLAIM_LEASE_SECONDS: "5", PAYOUT_RECONCILE_SETTLE_SECONDS: "2" } : {}),
  };
}

/** Schedules (dev) or removes (test: the cron test schedules them itself) the payout cron jobs. */
export async function setupPayoutCron(c: StackConfig, enabled: boolean): Promise<void> {
  await psqlStdin(c, `select count(*) from private.setup_cron(${enabled});`);
}

/**
 * The stand-in knows what the database's Stripe objects are: the connected accounts (with their
 * transfers capability, as the database last heard it) and the paid invoices, so the demo can be
 * paid locally. Only what the stand-in lacks is created: an account or invoice it already has
 * (the seed's, or one kept from the last run in its state file) is left as Stripe has it.
 */
export async function mirrorIntoStandIn(c: StackConfig): Promise<void> {
  const out = await psqlStdin(
    c,
    `
select json_build_object('accounts', coalesce((select json_agg(json_build_object(
         'id', r.stripe_connect_account_id, 'capability', coalesce(r.stripe_transfers_capability, 'inactive')))
         from public.recruiters r where r.stripe_connect_account_id is not null), '[]'),
       'invoices', coalesce((select json_agg(json_build_object(
         'id', i.stripe_invoice_id, 'amount', i.amount_due, 'currency', lower(i.currency)))
         from public.placement_invoices i where i.status = 'paid' and i.stripe_invoice_id is not null
           and i.amount_due > 0), '[]'));
`,
  );
  const { accounts, invoices } = JSON.parse(out.trim() || "{}") as {
    accounts: { id: string; capability: string }[];
    invoices: { id: string; amount: number; currency: string }[];
  };
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${stripeUrl(c)}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    await res.body?.cancel();
    if (!res.ok) throw new Error(`stand-in ${path}: ${res.status}`);
  };
  const known = async (path: string) => {
    const res = await fetch(`${stripeUrl(c)}${path}`, { headers: { authorization: `Bearer ${STRIPE_TEST_KEY}` } });
    await res.body?.cancel();
    return res.ok;
  };
  for (const a of accounts ?? []) {
    if (await known(`/v1/accounts/${a.id}`)) continue;
    const transfers = a.capability === "active" ? "active" : a.capability === "pending" ? "pending" : "inactive";
    await post("/_standin/accounts", { id: a.id, capabilities: { transfers } });
  }
  for (const i of invoices ?? []) {
    if (await known(`/v1/invoices/${i.id}`)) continue;
    await post("/_standin/invoices", { id: i.id, amount_paid: i.amount, currency: i.currency, status: "paid" });
  }
}
