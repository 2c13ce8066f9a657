// `npm test`: every check on a throwaway stack (own folder and ports; never the `npm start`
// cluster), then one closing line `N passed, M failed`. Non-zero exit on any failure.
//   --only pgtap|deno|static|soak   run one group (for quick local iterations)
//   --match <substring>        only the pgTAP / deno test files whose path contains it
import { parseArgs } from "node:util";
import { cliDbUrl, consoleUrl, dbUrl, ROOT, stackConfig } from "./config.ts";
import { buildConsole, serveConsole } from "./console.ts";
import { supabaseCli } from "./database.ts";
import { join, relative } from "./paths.ts";
import { psql } from "./postgres.ts";
import { run } from "./proc.ts";
import { loadSeed } from "./seed.ts";
import { startStack } from "./stack.ts";
import { startStripeStandIn } from "../stripe/server.ts";

const { values } = parseArgs({ args: Deno.args, options: { only: { type: "string" }, keep: { type: "boolean" }, match: { type: "string" } },
});
const matching = (files: string[]) => files.filter((f) => !values.match || f.includes(values.match));
const want = (group: string) => !values.only || values.only === group;

interface Outcome {
  name: string;
  passed: number;
  failed: number;
  detail?: string;
}
const outcomes: Outcome[] = [];

function report(o: Outcome) {
  outcomes.push(o);
  const mark = o.failed ? "FAIL" : "ok  ";
  console.log(`${mark} ${o.name}: ${o.passed} passed, ${o.failed} failed`);
  // TEST_DETAIL=1 prints what passed too (e.g. the deno tests' steps)
  if ((o.failed || Deno.env.get("TEST_DETAIL")) && o.detail) console.log(o.detail.trimEnd().split("\n").map((l) => `     ${l}`).join("\n"));
}

async function check(name: string, fn: () => Promise<string | void>) {
  try {
    await fn();
    report({ name, passed: 1, failed: 0 });
  } catch (e) {
    report({ name, passed: 0, failed: 1, detail: e instanceof Error ? e.message : String(e) });
  }
}

function walk(dir: string, suffix: string): string[] {
  const out: string[] = [];
  let entries: Deno.DirEntry[] = [];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory && e.name !== "node_modules") out.push(...walk(p, suffix));
    else if (e.isFile && e.name.endsWith(suffix)) out.push(p);
  }
  return out.sort();
}

const rel = (p: string) => relative(ROOT, p);
const stateDir = await Deno.makeTempDir({ prefix: "payouts-test-" });
await Deno.chmod(stateDir, 0o755);
const config = stackConfig("test", stateDir);
const started = Date.now();
console.log(`test stack in ${stateDir} (db port ${config.dbPort}, api port ${config.apiPort})`);
let stack;
try {
  stack = await startStack(config, { seed: "never" });
} catch (e) {
  console.log(`FAIL the test stack did not start:\n${e instanceof Error ? e.message : e}`);
  await Deno.remove(stateDir, { recursive: true }).catch(() => {});
  console.log("0 passed, 1 failed");
  Deno.exit(1);
}
const env: Record<string, string> = { ...stack.env, TEST_STACK_DIR: stateDir };
const url = dbUrl(config);
const cliUrl = cliDbUrl(config);

try {
  if (want("static")) {
    await check("seed.sql loads on the migrated schema; its transfers are the Stripe stand-in's", async () => {
      // As npm start seeds (local/stack/seed.ts), inside begin … rollback, against a stand-in of
      // its own (the stack's serves the tests). Every paid tranche must be a transfer the stand-in
      // made, with our metadata, amount, currency and destination, and the stand-in made no other.
      const standIn = await startStripeStandIn({ port: 0 });
      try {
        const seeded = await loadSeed(config, { stripeUrl: standIn.url, rollback: true });
        const ledger = standIn.state.ledger.snapshot().transfers;
        const paid = seeded.tranches ?? [];
        const problems: string[] = [];
        if (paid.length === 0) problems.push("the seed paid no tranche");
        for (const t of paid) {
          const tr = ledger.find((x) => x.id === t.stripe_transfer_id);
          if (!tr) problems.push(`tranche ${t.tranche}: ${t.stripe_transfer_id} is not in the stand-in's ledger`);
          else if (
            tr.metadata.payout_transfer_id !== t.tranche || tr.metadata.payout_id !== t.payout ||
            tr.metadata.attempt_number !== String(t.attempt_number) || tr.amount !== t.amount ||
            tr.currency !== t.currency || tr.destination !== t.destination
          ) problems.push(`tranche ${t.tranche}: ${JSON.stringify(t)} differs from ${JSON.stringify(tr)}`);
        }
        for (const tr of ledger) {
          if (!paid.some((t) => t.stripe_transfer_id === tr.id)) problems.push(`${tr.id} is no tranche's`);
        }
        if (problems.length) throw new Error(problems.join("\n"));
      } finally {
        await standIn.close();
      }
    });

    await check("types/database.ts matches `supabase gen types typescript`", async () => {
      const gen = await run(supabaseCli, ["gen", "types", "typescript", `--remote=${cliUrl}`, "--schema", "public"], {
        cwd: ROOT,
      });
      const current = await Deno.readTextFile(join(ROOT, "types", "database.ts")).catch(() => "");
      if (gen.stdout !== current) {
        throw new Error("types/database.ts is stale: run `npm run gen:types` and commit it");
      }
    });

    await check("supabase db lint (plpgsql_check): no errors", async () => {
      const schemas = (await psql(config, [
        "-At",
        "-c",
        "select string_agg(nspname, ',' order by nspname) from pg_namespace where nspname in ('public','private')",
      ])).stdout.trim();
      await run(supabaseCli, [
        "db",
        "lint",
        `--remote=${cliUrl}`,
        "--schema",
        schemas,
        "--level",
        "warning",
        "--fail-on",
        "error",
      ], { cwd: ROOT });
    });

    await check("supabase db advisors: no warnings, no unindexed foreign keys", async () => {
      const res = await run(supabaseCli, [
        "db",
        "advisors",
        `--remote=${cliUrl}`,
        "--level",
        "info",
        "--fail-on",
        "none",
        "--output-format",
        "json",
      ], { cwd: ROOT, allowFail: true });
      let lints: { name: string; level: string; detail: string; cacheKey: string }[];
      try {
        lints = JSON.parse(res.stdout).results;
      } catch {
        throw new Error(`supabase db advisors: unexpected output\n${res.stdout}\n${res.stderr}`);
      }
      if (!Array.isArray(lints)) throw new Error(`supabase db advisors: no results\n${res.stdout}\n${res.stderr}`);
      const allow: Record<string, string> =
        JSON.parse(await Deno.readTextFile(join(ROOT, "supabase", "advisors-allowlist.json"))).allow ?? {};
      const bad = lints.filter((l) =>
        (l.level !== "INFO" || l.name === "unindexed_foreign_keys") && !(l.cacheKey in allow)
      );
      if (bad.length) throw new Error(bad.map((l) => `${l.level} ${l.name}: ${l.detail} (${l.cacheKey})`).join("\n"));
    });

    await check("squawk lints supabase/migrations", async () => {
      const files = walk(join(ROOT, "supabase", "migrations"), ".sql");
      // The Supabase CLI applies each migration file in one transaction.
      if (files.length) {
        await run(join(ROOT, "node_modules", ".bin", "squawk"), ["--pg-version=15", "--assume-in-transaction", ...files], { cwd: ROOT });
      }
    });

    await check("deno check: functions, local stack, types", async () => {
      const files = [
        ...walk(join(ROOT, "supabase", "functions"), ".ts"),
        ...walk(join(ROOT, "local"), ".ts"),
        ...walk(join(ROOT, "types"), ".ts"),
        ...walk(join(ROOT, "bench"), ".ts"),
        ...walk(join(ROOT, "supabase", "tests"), ".ts"),
        // the console (app/): its sources, tests and Vite config
        ...walk(join(ROOT, "app"), ".ts"),
        ...walk(join(ROOT, "app"), ".tsx"),
      ];
      await run(Deno.execPath(), ["check", "--quiet", ...files], { cwd: ROOT, env: { NO_COLOR: "1" } });
    });
  }

  if (want("pgtap")) {
    await psql(config, ["-f", join(ROOT, "supabase", "tests", "setup", "helpers.sql")]);
    // The product's suites, then the local stand-ins' own (bootstrap roles, auth, grants).
    const files = matching([
      ...walk(join(ROOT, "supabase", "tests"), ".test.sql"),
      ...walk(join(ROOT, "local", "tests", "sql"), ".test.sql"),
    ].map(rel));
    const res = await run("pg_prove", ["-d", url, "--timer", ...files], {
      cwd: ROOT,
      allowFail: true,
      env: { PGTZ: "UTC" },
    });
    const total = Number(res.stdout.match(/Tests=(\d+)/)?.[1] ?? 0);
    const failedSub = [...res.stdout.matchAll(/Failed (\d+)\/\d+ subtests/g)].reduce((n, m) => n + Number(m[1]), 0);
    const failed = res.code === 0 ? 0 : Math.max(failedSub, 1);
    report({
      name: `pgTAP (${files.length} files, pg_prove)`,
      passed: total - failedSub,
      failed,
      detail: res.stdout + res.stderr,
    });
  }

  if (want("deno")) {
    // Deno's own test file pattern, *_test.ts, everywhere.
    const files = matching([
      ...walk(join(ROOT, "local", "tests"), "_test.ts"),
      ...walk(join(ROOT, "supabase", "functions", "tests"), "_test.ts"),
      ...walk(join(ROOT, "supabase", "tests"), "_test.ts"), // frontends' view: supabase-js through PostgREST
      ...walk(join(ROOT, "app"), "_test.ts"), // the console: its pure modules, and in Chromium (app/tests/)
    ].map(rel));
    // The browser tests drive the built console, served as `npm start` serves it, on the test stack.
    let consoleServer: Deno.HttpServer | null = null;
    if (files.some((f) => f.startsWith("app/tests/"))) {
      await check("console builds (vite build of app/)", async () => {
        const dir = join(stateDir, "console");
        await buildConsole(dir);
        consoleServer = serveConsole({
          port: config.consolePort,
          dir,
          apiUrl: env.SUPABASE_URL,
          anonKey: env.SUPABASE_ANON_KEY,
        });
      });
    }
    const res = await run(Deno.execPath(), ["test", "-A", "--no-check", ...files], {
      cwd: ROOT,
      allowFail: true,
      env: { ...env, CONSOLE_URL: consoleUrl(config), NO_COLOR: "1" },
    }).finally(() => (consoleServer as Deno.HttpServer | null)?.shutdown());
    const m = res.stdout.match(/(?:ok|FAILED) \| (\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed/);
    const passed = Number(m?.[1] ?? 0);
    const failed = res.code === 0 ? Number(m?.[2] ?? 0) : Math.max(Number(m?.[2] ?? 0), 1);
    report({
      name: `deno test (${files.length} files)`,
      passed,
      failed,
      detail: res.stdout.split("\n").slice(-60).join("\n") + res.stderr.slice(-4000),
    });
  }
  if (want("soak")) {
    // The seeded fault soak (docs/soak.md) on a stack of its own (fsync on), then the regression
    // seeds of local/soak/seeds.json: each must inject its faults and violate nothing.
    const seeds = JSON.parse(await Deno.readTextFile(join(ROOT, "local", "soak", "seeds.json")));
    const runs: { seed: number; steps: number; min_faults?: number; skip_in_npm_test?: boolean }[] = [
      seeds.test_run,
      ...seeds.regressions,
    ].filter((r) => !r.skip_in_npm_test);
    for (const r of runs) {
      const out = join(stateDir, `soak-${r.seed}.json`);
      const res = await run(Deno.execPath(), [
        "run", "-A", "--quiet", join(ROOT, "local", "soak", "main.ts"),
        "--seed", String(r.seed), "--steps", String(r.steps), "--quiet", "--json", out,
      ], { cwd: ROOT, allowFail: true, env: { NO_COLOR: "1" } });
      const rep = JSON.parse(await Deno.readTextFile(out).catch(() => "null"));
      const problems: string[] = [];
      if (!rep) problems.push("the soak wrote no report");
      else {
        if (rep.violations.length) problems.push(`${rep.violations.length} invariant violations`);
        if (r.min_faults && rep.faultsTotal < r.min_faults) problems.push(`${rep.faultsTotal} faults injected, fewer than ${r.min_faults}`);
        if (rep.stepsRun < r.steps) problems.push(`${rep.stepsRun} of ${r.steps} steps ran`);
      }
      if (res.code !== 0 && !problems.length) problems.push(`exit code ${res.code}`);
      report({
        name: `soak seed ${r.seed}, ${r.steps} steps${rep ? `: ${rep.faultsTotal} faults, ${rep.violations.length} violations, ${Math.round(rep.wallMs / 1000)} s` : ""}`,
        passed: problems.length ? 0 : 1,
        failed: problems.length ? 1 : 0,
        detail: [...problems, res.stdout.slice(-6000), res.stderr.slice(-2000)].join("\n"),
      });
    }
  }
} finally {
  await stack.stop();
  if (!values.keep) await Deno.remove(stateDir, { recursive: true }).catch(() => {});
}

const passed = outcomes.reduce((n, o) => n + o.passed, 0);
const failed = outcomes.reduce((n, o) => n + o.failed, 0);
console.log(`\ntook ${Math.round((Date.now() - started) / 1000)} s`);
console.log(`${passed} passed, ${failed} failed`);
Deno.exit(failed ? 1 : 0);
