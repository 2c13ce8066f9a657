// A recruiter's "my payouts" page under RLS, over 1 000 000 payouts of 10 000 recruiters,
// against the same read without RLS, in the same run on the same data:
//   (a) SQL as the recruiter, the way PostgREST runs a request: one transaction
//         set local role authenticated; select set_config('request.jwt.claims', <claims>, true);
//         select <columns> from public.payouts order by created_at desc limit 50
//   (b) the same transaction shape as the owner (postgres, no RLS) with an explicit
//         where recruiter_id = $1
//   (c) through the gateway with supabase-js and the recruiter's JWT:
//         from('payouts').select(<columns>).order('created_at', { ascending: false }).limit(50)
//   (d) the same HTTP path without RLS. PostgREST cannot run as the owner, so (d) uses the
//       service_role key (BYPASSRLS) with an explicit .eq('recruiter_id', id). service_role holds
//       no table grant in this project; on this throwaway stack the entry grants it SELECT on
//       public.payouts for (d) and revokes it afterwards.
// Targets: median(a) / median(b) <= 1.5 and median(c) / median(d) <= 1.5. Medians and p95 are
// reported. For context (no target): (a) with the former policy ("admin OR own",
// swapped in and back on this throwaway stack, few samples), and a platform admin's unfiltered
// page under the new policy.
//
//   npm run bench -- --only rls
//
// Data (set-based, generate_series, not timed): 10 000 recruiters (auth users), 1 000
// companies, 500 000 placements with an open invoice, 2 splits each (40 % + 40 %, the platform
// keeps 20 %), one payout per split: 1 000 000 payouts, 100 per recruiter, created over 200
// days. Loaded as superuser with session_replication_role = replica: no triggers (guards,
// audit, consistency, the recruiter_id trigger) and no foreign-key checks, because the model's
// transition functions write every row one by one with its audit and outbox rows (hours for a
// million). The rows are built to satisfy the model anyway, and the entry checks that after
// loading: every foreign key resolves, holdback 0 so no holds are due, payable = amount and
// status pending, Σ payouts + platform_amount = fee per placement, private.payout_problems()
// is empty for a sample. The bulk rows have no audit trail or events. Ids are time-ordered
// (UUIDv7-shaped), as a bulk import would make them; recruiter ids are random. Two connections
// load in parallel, then VACUUM ANALYZE.
//
// Sampling: each sample reads a different recruiter (a fixed pseudo-random sequence over all
// 10 000), and the paired measurements use the same recruiter sequence, interleaved (a, b, a,
// b, ...) so drift on a shared machine hits both sides alike. Warm-up first.
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import postgres from "postgres";
import { signJwt } from "../local/stack/jwt.ts";
import type { BenchCheck, BenchEntry } from "./types.ts";

const RECRUITERS = 10_000;
const COMPANIES = 1_000;
const PLACEMENTS = 500_000; // x 2 splits = 1 000 000 payouts
const PAYOUTS = 2 * PLACEMENTS;
const SQL_SAMPLES = 400; // per side
const HTTP_SAMPLES = 300; // per side
const OLD_POLICY_SAMPLES = 15;
const ADMIN_SAMPLES = 9;
const TARGET = 1.5;

// What a "my payouts" screen lists (payouts is granted whole; a frontend names its columns).
const COLUMNS =
  "id, placement_id, recruiter_id, currency, amount, paid_amount, in_flight_amount, payable_amount, held_amount, forfeited_amount, status, created_at";

// A time-ordered uuid (48-bit sequence, version 7, variant 8) with a pseudo-random tail: bulk
// rows land at the right edge of their b-trees instead of all over them.
const ORDERED_UUID = (n: string, tag: string) =>
  `(lpad(to_hex(${n}), 12, '0') || '7' || substr(md5('${tag}' || ${n}), 1, 3) || '8' || substr(md5('${tag}' || ${n}), 4, 15))::uuid`;

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { median: at(0.5), p95: at(0.95) };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function load(dbUrl: string): Promise<void> {
  const setup = postgres(dbUrl, { max: 1, onnotice: () => {}, prepare: false });
  try {
    await setup.unsafe(`
      create schema bench_rls;
      create unlogged table bench_rls.recruiters as
        select n, gen_random_uuid() as id, gen_random_uuid() as user_id from generate_series(0, ${RECRUITERS - 1}) n;
      create unique index on bench_rls.recruiters (n);
      create unlogged table bench_rls.companies as
        select n, gen_random_uuid() as id from generate_series(0, ${COMPANIES - 1}) n;
      create unique index on bench_rls.companies (n);
      analyze bench_rls.recruiters, bench_rls.companies;
      set session_replication_role = replica;
      insert into auth.users (id, email, aud, role, raw_app_meta_data)
        select user_id, 'bench-recruiter-' || n || '@bench.invalid', 'authenticated', 'authenticated', '{"provider":"email"}'
        from bench_rls.recruiters;
      insert into public.recruiters (id, user_id, display_name)
        select id, user_id, 'Bench recruiter ' || n from bench_rls.recruiters;
      insert into public.companies (id, name) select id, 'Bench company ' || n from bench_rls.companies;
      insert into auth.users (id, email, aud, role, raw_app_meta_data)
        values ('00000000-0000-4000-8000-00000000ad01', 'bench-admin@bench.invalid', 'authenticated', 'authenticated',
                '{"provider":"email"}');
      insert into public.platform_admins (user_id) values ('00000000-0000-4000-8000-00000000ad01');
    `);
  } finally {
    await setup.end();
  }

  // placement n: company n % 1000, fee 10 000.00-1 000 000.00 USD, created every 30 s over
  // ~174 days; split / payout k of placement n: number 2n + k, recruiter (2n + k) % 10 000.
  const placement = (range: [number, number]) => `
    select g.n, ${ORDERED_UUID("g.n", "pl")} as id, c.id as company_id,
           (10000 + (g.n::bigint * 7919) % 990000) * 100 as fee,
           now() - interval '200 days' + g.n * interval '30 seconds' as created
    from generate_series(${range[0]}, ${range[1] - 1}) g(n) join bench_rls.companies c on c.n = g.n % ${COMPANIES}`;
  const payout = (range: [number, number]) => `
    select ${ORDERED_UUID("2 * pl.n + k.k", "sp")} as split_id, ${ORDERED_UUID("2 * pl.n + k.k", "po")} as id,
           pl.id as placement_id, r.id as recruiter_id, k.role, pl.fee * 4000 / 10000 as amount,
           pl.created + k.k * interval '1 millisecond' as created
    from (${placement(range)}) pl
    cross join (values (0, 'candidate_recruiter'), (1, 'company_recruiter')) k(k, role)
    join bench_rls.recruiters r on r.n = (2 * pl.n + k.k) % ${RECRUITERS}`;
  const half = PLACEMENTS / 2;
  const parts: [number, number][] = [[0, half], [half, PLACEMENTS]];
  // Two connections, each one half of every table (the halves are disjoint key ranges).
  await Promise.all(parts.map(async (range) => {
    const sql = postgres(dbUrl, { max: 1, onnotice: () => {}, prepare: false });
    try {
      await sql.unsafe(`
        set session_replication_role = replica;
        set synchronous_commit = off;
        insert into public.placements (id, company_id, title, fee_amount, currency, holdback_bps, hired_at,
          guarantee_days, guarantee_expires_at, status, splits_locked_at, platform_amount, created_at, updated_at)
        select id, company_id, 'Bench placement ' || n, fee, 'USD', 0, created, 90, created + interval '90 days',
               'hired', created, fee - 2 * (fee * 4000 / 10000), created, created
        from (${placement(range)}) pl;
        insert into public.placement_invoices (placement_id, currency, amount_due, status, stripe_invoice_id,
          created_at, updated_at)
        select id, 'USD', fee, 'open', 'in_bench' || n, created, created from (${placement(range)}) pl;
        insert into public.placement_splits (id, placement_id, recruiter_id, role, share_bps, created_at, updated_at)
        select split_id, placement_id, recruiter_id, role, 4000, created, created from (${payout(range)}) po;
        insert into public.payouts (id, placement_id, split_id, recruiter_id, currency, amount, payable_amount, status,
          created_at, updated_at)
        select id, placement_id, split_id, recruiter_id, 'USD', amount, amount, 'pending', created, created
        from (${payout(range)}) po;
      `);
    } finally {
      await sql.end();
    }
  }));

  const sql = postgres(dbUrl, { max: 1, onnotice: () => {}, prepare: false });
  try {
    await sql.unsafe(`
      vacuum analyze auth.users, public.recruiters, public.companies, public.platform_admins, public.placements,
        public.placement_invoices, public.placement_splits, public.payouts
    `);
  } finally {
    await sql.end();
  }
}

/** The loaded rows satisfy the model (what the skipped triggers and foreign keys would check). */
async function verify(sql: postgres.Sql): Promise<string[]> {
  const problems: string[] = [];
  const [c] = await sql<{ payouts: number; placements: number; recruiters: number }[]>`
    select (select count(*)::int from public.payouts) as payouts,
           (select count(*)::int from public.placements) as placements,
           (select count(*)::int from public.recruiters) as recruiters`;
  if (c.payouts !== PAYOUTS) problems.push(`payouts: ${c.payouts} rows, expected ${PAYOUTS}`);
  if (c.placements !== PLACEMENTS) problems.push(`placements: ${c.placements}, expected ${PLACEMENTS}`);
  const [fk] = await sql<{ n: number }[]>`
    select (select count(*) from public.payouts p
             where not exists (select 1 from public.placement_splits s
                               where s.id = p.split_id and s.placement_id = p.placement_id and s.recruiter_id = p.recruiter_id)
                or not exists (select 1 from public.placements pl where pl.id = p.placement_id and pl.currency = p.currency)
                or not exists (select 1 from public.recruiters r where r.id = p.recruiter_id))
         + (select count(*) from public.placement_invoices i
             where not exists (select 1 from public.placements pl where pl.id = i.placement_id and pl.currency = i.currency))
         + (select count(*) from public.placements pl
             where not exists (select 1 from public.companies co where co.id = pl.company_id))
         + (select count(*) from public.recruiters r where not exists (select 1 from auth.users u where u.id = r.user_id))
           as n`;
  if (Number(fk.n) !== 0) problems.push(`${fk.n} rows whose foreign keys do not resolve`);
  const [alloc] = await sql<{ n: number }[]>`
    select count(*)::int as n from (
      select pl.id from public.placements pl join public.payouts p on p.placement_id = pl.id
      group by pl.id, pl.fee_amount, pl.platform_amount
      having sum(p.amount) + pl.platform_amount <> pl.fee_amount) x`;
  if (alloc.n !== 0) problems.push(`${alloc.n} placements where payouts + platform <> fee`);
  const [perRecruiter] = await sql<{ lo: number; hi: number }[]>`
    select min(n)::int as lo, max(n)::int as hi from (select count(*) as n from public.payouts group by recruiter_id) x`;
  if (perRecruiter.lo !== PAYOUTS / RECRUITERS || perRecruiter.hi !== PAYOUTS / RECRUITERS) {
    problems.push(`payouts per recruiter ${perRecruiter.lo}..${perRecruiter.hi}, expected ${PAYOUTS / RECRUITERS}`);
  }
  const sample = await sql<{ payout_id: string; problem: string }[]>`
    select x.* from private.payout_problems(array(
      select id from public.payouts tablesample system (0.1) limit 200)) x`;
  for (const s of sample) problems.push(`payout ${s.payout_id}: ${s.problem}`);
  return problems;
}

const entry: BenchEntry = {
  name: "rls_my_payouts",
  description:
    "A recruiter's 'my payouts' page (order by created_at desc limit 50) under RLS over 1 000 000 payouts / 10 000 " +
    "recruiters: (a) SQL as the recruiter the way PostgREST runs it vs (b) the same transaction as the owner with " +
    "where recruiter_id = $1; (c) supabase-js through the gateway with the recruiter's JWT vs (d) the same HTTP path " +
    "with the service_role key (BYPASSRLS; granted SELECT on payouts for this run only, PostgREST cannot run as the " +
    "owner) and .eq('recruiter_id'). Targets: a/b <= 1.5, c/d <= 1.5. Bulk data loaded with " +
    "session_replication_role = replica (consistent with the model, checked; no audit trail).",
  async run({ env }) {
    const dbUrl = env.SUPABASE_DB_URL;
    const tLoad = performance.now();
    await load(dbUrl);
    const loadSeconds = (performance.now() - tLoad) / 1000;

    const sql = postgres(dbUrl, { max: 2, onnotice: () => {}, prepare: true });
    const checks: BenchCheck[] = [];
    const metrics: Record<string, number | string> = {};
    try {
      const problems = await verify(sql);
      checks.push({
        name: "bulk data consistent with the model",
        value: problems.length ? problems.slice(0, 5).join("; ") : "ok",
        target: "no problem",
        ok: problems.length === 0,
      });

      // A fixed pseudo-random walk over the recruiters (the same for every side).
      const recruiters = await sql<{ n: number; id: string; user_id: string }[]>`
        select n, id, user_id from bench_rls.recruiters order by n`;
      const pick = (i: number) => recruiters[(i * 7919 + 13) % recruiters.length];
      const claimsOf = (userId: string) => JSON.stringify({ sub: userId, role: "authenticated", aud: "authenticated" });

      // The rows really are the recruiter's 50 newest, on both paths.
      const probe = pick(1);
      const viaRls = await sql.begin(async (tx) => {
        await tx`set local role authenticated`;
        await tx`select set_config('request.jwt.claims', ${claimsOf(probe.user_id)}, true)`;
        return await tx.unsafe(`select id from public.payouts order by created_at desc limit 50`);
      });
      const viaOwner = await sql.unsafe(
        `select id from public.payouts where recruiter_id = $1 order by created_at desc limit 50`,
        [probe.id],
      );
      const same = viaRls.length === 50 && viaRls.map((r) => r.id).join() === viaOwner.map((r) => r.id).join();
      checks.push({ name: "(a) and (b) return the same 50 rows", value: same ? "yes" : "no", target: "yes", ok: same });

      // (a) / (b): interleaved, same recruiters.
      const sqlRls = (r: { user_id: string }) =>
        sql.begin(async (tx) => {
          await tx`set local role authenticated`;
          await tx`select set_config('request.jwt.claims', ${claimsOf(r.user_id)}, true)`;
          return await tx.unsafe(`select ${COLUMNS} from public.payouts order by created_at desc limit 50`);
        });
      const sqlOwner = (r: { id: string; user_id: string }) =>
        sql.begin(async (tx) => {
          await tx`set local role postgres`;
          await tx`select set_config('request.jwt.claims', ${claimsOf(r.user_id)}, true)`;
          return await tx.unsafe(
            `select ${COLUMNS} from public.payouts where recruiter_id = $1 order by created_at desc limit 50`,
            [r.id],
          );
        });
      for (let i = 0; i < 30; i++) {
        await sqlRls(pick(i));
        await sqlOwner(pick(i));
      }
      const a: number[] = [];
      const b: number[] = [];
      for (let i = 0; i < SQL_SAMPLES; i++) {
        const r = pick(100 + i);
        if (i % 2 === 0) {
          a.push(await timed(() => sqlRls(r)));
          b.push(await timed(() => sqlOwner(r)));
        } else {
          b.push(await timed(() => sqlOwner(r)));
          a.push(await timed(() => sqlRls(r)));
        }
      }

      // (c) / (d): supabase-js through the gateway.
      const anon = env.SUPABASE_ANON_KEY;
      const clientOpts = { auth: { persistSession: false, autoRefreshToken: false } };
      const now = Math.floor(Date.now() / 1000);
      const userClients = new Map<string, SupabaseClient>();
      const userClient = async (r: { user_id: string }) => {
        let c = userClients.get(r.user_id);
        if (!c) {
          const jwt = await signJwt(
            { sub: r.user_id, role: "authenticated", aud: "authenticated", iat: now, exp: now + 3600 },
            env.SUPABASE_JWT_SECRET,
          );
          c = createClient(env.SUPABASE_URL, anon, {
            ...clientOpts,
            global: { headers: { Authorization: `Bearer ${jwt}` } },
          });
          userClients.set(r.user_id, c);
        }
        return c;
      };
      const service = createClient(env.SUPABASE_URL, env.SUPABASE_SERVICE_ROLE_KEY, clientOpts);
      await sql`grant select on table public.payouts to service_role`;
      try {
        const httpRls = async (r: { user_id: string }) => {
          const { data, error } = await (await userClient(r)).from("payouts").select(COLUMNS)
            .order("created_at", { ascending: false }).limit(50);
          if (error || data?.length !== 50) throw new Error(`(c): ${error?.message ?? `${data?.length} rows`}`);
        };
        const httpBypass = async (r: { id: string }) => {
          const { data, error } = await service.from("payouts").select(COLUMNS).eq("recruiter_id", r.id)
            .order("created_at", { ascending: false }).limit(50);
          if (error || data?.length !== 50) throw new Error(`(d): ${error?.message ?? `${data?.length} rows`}`);
        };
        // pre-sign the JWTs (not timed), warm up
        for (let i = 0; i < HTTP_SAMPLES; i++) await userClient(pick(1000 + i));
        for (let i = 0; i < 30; i++) {
          await httpRls(pick(1000 + i));
          await httpBypass(pick(1000 + i));
        }
        const c: number[] = [];
        const d: number[] = [];
        for (let i = 0; i < HTTP_SAMPLES; i++) {
          const r = pick(1000 + i);
          if (i % 2 === 0) {
            c.push(await timed(() => httpRls(r)));
            d.push(await timed(() => httpBypass(r)));
          } else {
            d.push(await timed(() => httpBypass(r)));
            c.push(await timed(() => httpRls(r)));
          }
        }
        const [sa, sb, sc, sd] = [stats(a), stats(b), stats(c), stats(d)];
        Object.assign(metrics, {
          load_seconds: round(loadSeconds, 1),
          payouts: PAYOUTS,
          recruiters: RECRUITERS,
          samples_sql_per_side: SQL_SAMPLES,
          samples_http_per_side: HTTP_SAMPLES,
          a_sql_rls_median_ms: round(sa.median),
          a_sql_rls_p95_ms: round(sa.p95),
          b_sql_owner_filter_median_ms: round(sb.median),
          b_sql_owner_filter_p95_ms: round(sb.p95),
          c_http_rls_median_ms: round(sc.median),
          c_http_rls_p95_ms: round(sc.p95),
          d_http_service_role_filter_median_ms: round(sd.median),
          d_http_service_role_filter_p95_ms: round(sd.p95),
        });
        checks.push({
          name: "(a)/(b) SQL: RLS vs owner with explicit filter, median",
          value: round(sa.median / sb.median),
          target: `<= ${TARGET}`,
          ok: sa.median / sb.median <= TARGET,
        });
        checks.push({
          name: "(c)/(d) PostgREST: recruiter JWT vs service_role with explicit filter, median",
          value: round(sc.median / sd.median),
          target: `<= ${TARGET}`,
          ok: sc.median / sd.median <= TARGET,
        });
      } finally {
        await sql`revoke select on table public.payouts from service_role`;
      }

      // Context, no target: a platform admin's unfiltered page (the range covers every uuid).
      const adminClaims = claimsOf("00000000-0000-4000-8000-00000000ad01");
      const adminPage = () =>
        sql.begin(async (tx) => {
          await tx`set local role authenticated`;
          await tx`select set_config('request.jwt.claims', ${adminClaims}, true)`;
          return await tx.unsafe(`select ${COLUMNS} from public.payouts order by created_at desc limit 50`);
        });
      await adminPage();
      const admin: number[] = [];
      for (let i = 0; i < ADMIN_SAMPLES; i++) admin.push(await timed(adminPage));
      metrics.admin_unfiltered_page_median_ms = round(stats(admin).median);

      // Context, no target: (a) under the policy this entry's migrations replaced, swapped in
      // and back inside one transaction on this throwaway stack.
      const old: number[] = [];
      await sql.begin(async (tx) => {
        await tx.unsafe(`alter policy payouts_select on public.payouts using
          ((select private.is_platform_admin()) or recruiter_id = (select private.my_recruiter_id()))`);
        for (let i = 0; i < OLD_POLICY_SAMPLES + 2; i++) {
          const r = pick(5000 + i);
          const t = await timed(async () => {
            await tx`savepoint s`;
            await tx`set local role authenticated`;
            await tx`select set_config('request.jwt.claims', ${claimsOf(r.user_id)}, true)`;
            await tx.unsafe(`select ${COLUMNS} from public.payouts order by created_at desc limit 50`);
            await tx`rollback to savepoint s`;
          });
          if (i >= 2) old.push(t);
        }
        throw new Error("rollback"); // postgres.js rolls the transaction back: the new policy is back
      }).catch((e) => {
        if (!(e instanceof Error) || e.message !== "rollback") throw e;
      });
      const so = stats(old);
      metrics.a_sql_rls_old_policy_median_ms = round(so.median);
      metrics.a_sql_rls_old_policy_p95_ms = round(so.p95);
    } finally {
      await sql.unsafe(`drop schema if exists bench_rls cascade`).catch(() => {});
      await sql.end();
    }
    return { metrics, checks };
  },
};

export default entry;
