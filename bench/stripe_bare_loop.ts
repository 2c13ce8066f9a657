// The baseline of the payout run's CPU target: the same `stripe` SDK, configured as the function
// configures it (_shared/platform/stripe.ts), creating N transfers in a bare loop against the same stand-in,
// paced at the same rate with the same concurrency. Prints one JSON line: the whole process's CPU
// (module load included, as the functions server counts a worker's) and per transfer.
//   env: STRIPE_SECRET_KEY, STRIPE_API_BASE, DEST (acct_…), N, RATE, CONC
import process from "node:process";
import { parseApiBase } from "../supabase/functions/_shared/platform/env.ts";
import { createPacer } from "../supabase/functions/_shared/platform/pacer.ts";
import { createStripe } from "../supabase/functions/_shared/platform/stripe.ts";

const env = (name: string) => {
  const v = Deno.env.get(name);
  if (!v) throw new Error(`${name} is required`);
  return v;
};
const n = Number(env("N"));
const stripe = createStripe({
  secretKey: env("STRIPE_SECRET_KEY"),
  apiBase: parseApiBase(env("STRIPE_API_BASE")),
  timeoutMs: 20_000,
});
const pacer = createPacer({ ratePerSec: Number(env("RATE")) });
let next = 0, failed = 0;
const worker = async () => {
  for (let i = next++; i < n; i = next++) {
    await pacer.acquire();
    try {
      await stripe.transfers.create(
        { amount: 1_000 + i, currency: "usd", destination: env("DEST"), transfer_group: `bare_${i}`, metadata: { bare: String(i) } },
        { idempotencyKey: `bare:${crypto.randomUUID()}` },
      );
    } catch {
      failed++;
    }
  }
};
const t0 = performance.now();
await Promise.all(Array.from({ length: Number(env("CONC")) }, worker));
const u = process.cpuUsage();
const cpuMs = (u.user + u.system) / 1000;
console.log(JSON.stringify({ transfers: n - failed, failed, cpu_ms: cpuMs, cpu_per_transfer_ms: cpuMs / (n - failed), wall_s: (performance.now() - t0) / 1000 }));
