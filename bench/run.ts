// `npm run bench`: speed and memory targets as ratios against a baseline measured in the same
// run, on a throwaway stack (never the `npm start` cluster). Each entry is a `*.bench.ts`
// file in this folder exporting a BenchEntry. Exit 1 when any target is missed.
//   npm run bench -- --only <entry name substring>
//   npm run bench -- --only growth --growth   (entries with an optIn flag run only when it is given)
import { parseArgs } from "node:util";
import { ROOT, stackConfig } from "../local/stack/config.ts";
import { join } from "../local/stack/paths.ts";
import { startStack } from "../local/stack/stack.ts";
import type { BenchEntry, BenchResult } from "./types.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { only: { type: "string" }, growth: { type: "boolean" } },
});
const flags = new Set(Object.entries(values).filter(([k, v]) => k !== "only" && v === true).map(([k]) => k));

const dir = join(ROOT, "bench");
const files = [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".bench.ts")).map((e) => e.name).sort();
const entries: BenchEntry[] = [];
for (const f of files) entries.push((await import(`./${f}`)).default as BenchEntry);
const chosen = entries.filter((e) => (!values.only || e.name.includes(values.only)) && (!e.optIn || flags.has(e.optIn)));

const stateDir = await Deno.makeTempDir({ prefix: "payouts-bench-" });
await Deno.chmod(stateDir, 0o755);
const stack = await startStack(stackConfig("test", stateDir), { seed: "never" });
const results: (BenchResult & { name: string })[] = [];
try {
  for (const e of chosen) {
    console.log(`\n## ${e.name}\n${e.description}`);
    const r = await e.run({ env: stack.env, stack });
    results.push({ name: e.name, ...r });
    for (const [k, v] of Object.entries(r.metrics)) console.log(`  ${k}: ${v}`);
    for (const c of r.checks) console.log(`  ${c.ok ? "ok  " : "MISS"} ${c.name}: ${c.value} (target ${c.target})`);
  }
} finally {
  await stack.stop();
  await Deno.remove(stateDir, { recursive: true }).catch(() => {});
}
await Deno.mkdir(join(ROOT, ".local", "bench"), { recursive: true });
await Deno.writeTextFile(join(ROOT, ".local", "bench", "results.json"), JSON.stringify(results, null, 2));
const missed = results.flatMap((r) => r.checks.filter((c) => !c.ok).map((c) => `${r.name}: ${c.name}`));
console.log(`\n${results.length} entries, ${missed.length} targets missed${missed.length ? ":\n  " + missed.join("\n  ") : ""}`);
Deno.exit(missed.length ? 1 : 0);
