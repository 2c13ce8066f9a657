// `npm run soak -- --seed S --steps N [--minutes M] [--without k1,k2] [--shrink] [--keep] [--json]`
// Runs one seeded soak on a throwaway stack (docs/soak.md). Exit 0 when no invariant was violated.
import { parseArgs } from "node:util";
import { FAULT_KINDS } from "./faults.ts";
import { type SoakReport, runSoak } from "./soak.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    seed: { type: "string" },
    steps: { type: "string", default: "200" },
    minutes: { type: "string" },
    without: { type: "string", default: "" },
    shrink: { type: "boolean" },
    keep: { type: "boolean" },
    json: { type: "string" },
    quiet: { type: "boolean" },
  },
});
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
const steps = Number(values.steps);
const minutes = values.minutes === undefined ? undefined : Number(values.minutes);
if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`--seed: a non-negative integer, got ${values.seed}`);
if (!Number.isSafeInteger(steps) || steps < 1) throw new Error(`--steps: a positive integer, got ${values.steps}`);
const without = new Set(values.without.split(",").map((s) => s.trim()).filter(Boolean));
for (const k of without) if (!(FAULT_KINDS as readonly string[]).includes(k)) throw new Error(`--without: unknown fault kind ${k}`);

const replay = (s: number, n: number, w: Set<string>) =>
  `npm run soak -- --seed ${s} --steps ${n}${w.size ? ` --without ${[...w].join(",")}` : ""}`;

function summary(r: SoakReport): string {
  const kinds = Object.entries(r.faults).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}=${n}`).join(" ");
  return [
    `seed ${r.seed}: ${r.stepsRun}/${r.steps} steps, ${r.faultsTotal} faults injected (${r.standinFaultsFired} stand-in faults fired, ${r.cpuLimitTerminations} CPU-limit terminations)`,
    `faults by kind: ${kinds}`,
    `payouts ${r.payouts}, paid ${r.payoutsPaid}, transfers ${r.transfers}`,
    `wall ${(r.wallMs / 1000).toFixed(1)} s; settle after the last fault ${(r.settle.wallMs / 1000).toFixed(1)} s wall / ${r.settle.virtualS} s virtual; slowest payout paid ${(r.settle.slowestPayoutWallMs / 1000).toFixed(1)} s after the faults stopped`,
    ...r.notes.map((n) => `  ${n}`),
    `violations: ${r.violations.length}`,
  ].join("\n");
}

const log = values.quiet ? () => {} : (l: string) => console.log(l);
// Ctrl-C / SIGTERM: stop drawing steps, settle, check, report, and take the stack down.
const stop = new AbortController();
for (const sig of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(sig, () => stop.abort());
const report = await runSoak({ seed, steps, minutes, without, keep: values.keep, log, signal: stop.signal });
console.log(summary(report));
if (values.json) await Deno.writeTextFile(values.json, JSON.stringify(report, null, 2));
if (report.violations.length === 0) Deno.exit(0);

for (const v of report.violations) console.log(`VIOLATION ${v.invariant}\n  ${v.detail}`);
const failedAt = report.failedStep ?? report.stepsRun;
console.log(`FAILED seed ${seed} at step ${failedAt}${failedAt > report.stepsRun ? " (the settle)" : ""}`);
console.log(`replay: ${replay(seed, Math.min(failedAt, steps), without)}`);
console.log(`stack logs kept in ${report.logDir}`);

if (values.shrink) {
  // Cheap shrinking: the same prefix without each fault kind that occurred, one at a time; a
  // kind whose removal still fails stays removed (every step draws from its own stream, so the
  // other steps' choices do not move).
  const n = Math.min(failedAt, steps);
  const dropped = new Set(without);
  for (const kind of Object.keys(report.faults)) {
    const trial = new Set([...dropped, kind]);
    console.log(`shrink: without ${[...trial].join(",")} ...`);
    const r = await runSoak({ seed, steps: n, without: trial, log: () => {} });
    if (r.violations.length) {
      dropped.add(kind);
      console.log(`shrink: still fails without ${kind}`);
    }
  }
  console.log(`shrunk replay: ${replay(seed, n, dropped)}`);
}
Deno.exit(1);
