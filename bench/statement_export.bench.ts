// The statement export's CPU per 10 000 rows (issue 15: an isolate has 2 s of CPU, so a year of
// a busy recruiter must fit in a few requests), against a baseline measured in the same run:
//   (a) export: the function's own code path (supabase/functions/_shared/statements/export.ts:
//       postgrestPages + exportPages, cursor signing included) over PostgREST with the
//       recruiter's JWT, paging 1 000 lines per call until the statement is complete;
//   (b) baseline: the same PostgREST calls (same RPC, filter, order, limit, Accept: text/csv),
//       bodies read as text and nothing else - what any export must at least spend.
// CPU is this process's (process.cpuUsage, user + system) around each side, interleaved a, b,
// a, b, ...; medians. Targets: (a) per 10 000 rows <= 250 ms of CPU (an eighth of the isolate's
// 2 s), and (a) / (b) <= 1.5. Reported for context: the same export end to end through the
// gateway (wall ms, requests), and the database's time for the statement (select, as postgres).
//
//   npm run bench -- --only statement
//
// Data (through the model's functions, not timed): one recruiter with 2 500 placements in one
// year, each with a guarantee hold: 5 000 movements + opening and closing lines.
import process from "node:process";
import postgres from "postgres";
import { signJwt } from "../local/stack/jwt.ts";
import { createBudget } from "../supabase/functions/_shared/platform/budget.ts";
import { exportPages, postgrestPages, signCursor } from "../supabase/functions/_shared/statements/export.ts";
import type { BenchEntry } from "./types.ts";

const PLACEMENTS = 2_500;
const SAMPLES = 9;
const PAGE = 1_000;
const CPU_PER_10K_TARGET_MS = 250;
const RATIO_TARGET = 1.5;

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const entry: BenchEntry = {
  name: "statement_export",
  description: "CPU per 10 000 rows of the statement export (function code path) vs bare PostgREST CSV pages",
  async run({ env }) {
    const sql = postgres(env.SUPABASE_DB_URL, { max: 2, onnotice: () => {}, prepare: false });
    try {
      const [u] = await sql`insert into auth.users (id, email, aud, role)
        values (gen_random_uuid(), 'bench-statement@bench.invalid', 'authenticated', 'authenticated') returning id`;
      const [r] = await sql`insert into public.recruiters (user_id, display_name) values (${u.id}, 'Busy') returning id`;
      await sql.unsafe(`
        do $$
        declare v_pl uuid; v_co uuid;
        begin
          insert into public.companies (name) values ('Bench co') returning id into v_co;
          for i in 1 .. ${PLACEMENTS} loop
            v_pl := (private.create_placement(v_co, 100000 + i, 'USD', '2001-01-01 10:00Z'::timestamptz + make_interval(mins => 180 * i),
                                              90, 2000, 'Bench')).id;
            insert into public.placement_splits (placement_id, recruiter_id, role, share_bps)
            values (v_pl, '${r.id}', 'candidate_recruiter', 5000);
            perform private.record_placement_invoice(v_pl, null, null, 'open',
                                                     '2001-01-02 00:00Z'::timestamptz + make_interval(mins => 180 * i));
          end loop;
        end $$`);
      const now = Math.floor(Date.now() / 1000);
      const jwt = await signJwt(
        { sub: u.id, role: "authenticated", aud: "authenticated", iat: now, exp: now + 3600 },
        env.SUPABASE_JWT_SECRET,
      );
      const params = { from: "2001-01-01T00:00:00Z", to: "2002-01-01T00:00:00Z", currency: "USD" };
      const api = env.SUPABASE_URL.replace(/\/$/, "");
      const fetchPage = postgrestPages(api, env.SUPABASE_ANON_KEY, jwt);

      const exportAll = async () => {
        let after: string | null = null;
        let rows = 0;
        for (;;) {
          const out = await exportPages({
            params,
            afterKey: after,
            fetchPage,
            budget: createBudget(600_000),
            pageRows: PAGE,
            maxRows: 20_000,
            sign: (k) => signCursor("bench-key-material-bench-key-material", u.id, params, k),
          });
          rows += out.rows;
          if (!out.cursor) return rows;
          after = out.cursor.split(".")[0];
        }
      };
      const bareAll = async () => {
        let after: string | null = null;
        let rows = 0;
        for (;;) {
          const q = new URLSearchParams({ order: "line_key.asc", limit: String(PAGE) });
          if (after) q.set("line_key", `gt.${after}`);
          const res = await fetch(`${api}/rest/v1/rpc/my_statement?${q}`, {
            method: "POST",
            headers: {
              apikey: env.SUPABASE_ANON_KEY,
              authorization: `Bearer ${jwt}`,
              "content-type": "application/json",
              accept: "text/csv",
            },
            body: JSON.stringify({ p_from: params.from, p_to: params.to, p_currency: params.currency }),
          });
          const text = await res.text();
          const lines = text.trimEnd().split("\n").length - 1;
          rows += lines;
          if (lines < PAGE) return rows;
          after = text.trimEnd().slice(text.trimEnd().lastIndexOf("\n") + 1, text.trimEnd().lastIndexOf("\n") + 55);
        }
      };

      await exportAll(); // warm-up
      await bareAll();
      const a: number[] = [];
      const b: number[] = [];
      let rowsA = 0;
      let rowsB = 0;
      for (let i = 0; i < SAMPLES; i++) {
        let t = cpuMs();
        rowsA = await exportAll();
        a.push(cpuMs() - t);
        t = cpuMs();
        rowsB = await bareAll();
        b.push(cpuMs() - t);
      }
      const per10k = (ms: number, rows: number) => Math.round((ms * 10_000 / rows) * 10) / 10;
      const exportPer10k = per10k(median(a), rowsA);
      const barePer10k = per10k(median(b), rowsB);
      const ratio = Math.round((median(a) / median(b)) * 100) / 100;

      // context: end to end through the gateway, and the database's own time
      const t0 = performance.now();
      let requests = 0;
      let cursor: string | null = null;
      let e2eRows = 0;
      do {
        const res: Response = await fetch(`${api}/functions/v1/statement-export`, {
          method: "POST",
          headers: { authorization: `Bearer ${jwt}`, "content-type": "application/json" },
          body: JSON.stringify({ ...params, ...(cursor ? { cursor } : {}) }),
        });
        const text = await res.text();
        if (res.status !== 200) throw new Error(`statement-export ${res.status}: ${text}`);
        e2eRows += Number(res.headers.get("x-statement-rows"));
        cursor = res.headers.get("x-statement-cursor");
        requests++;
      } while (cursor);
      const e2eMs = Math.round(performance.now() - t0);
      const dbMs = [] as number[];
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        await sql`select count(*) from private.statement(${r.id}, ${params.from}, ${params.to}, 'USD')`;
        dbMs.push(performance.now() - t);
      }

      return {
        metrics: {
          rows: rowsA,
          export_cpu_ms_per_10k_rows: exportPer10k,
          bare_postgrest_csv_cpu_ms_per_10k_rows: barePer10k,
          export_vs_bare_cpu_ratio: ratio,
          e2e_gateway_rows: e2eRows,
          e2e_gateway_requests: requests,
          e2e_gateway_wall_ms: e2eMs,
          db_statement_ms_median: Math.round(median(dbMs)),
        },
        checks: [
          {
            name: "export CPU per 10 000 rows",
            value: exportPer10k,
            target: `<= ${CPU_PER_10K_TARGET_MS} ms`,
            ok: exportPer10k <= CPU_PER_10K_TARGET_MS,
          },
          { name: "export / bare PostgREST CPU", value: ratio, target: `<= ${RATIO_TARGET}`, ok: ratio <= RATIO_TARGET },
          { name: "rows exported end to end", value: e2eRows, target: `= ${rowsA}`, ok: e2eRows === rowsA },
        ],
      };
    } finally {
      await sql.end();
    }
  },
};
export default entry;
