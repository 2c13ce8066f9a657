// A burst of Stripe webhook deliveries through the gateway (POST /functions/v1/stripe-webhook):
// 2 000 signed deliveries of every type the handler applies (invoice.paid + invoice.payment_succeeded
// of one payment, account.updated, a connected account's payout.failed, charge.refunded,
// charge.dispute.created) and ignored ones, sent by 8 concurrent senders, each signed with the
// stack's endpoint secret (platform, or Connect for connected-account events) as the tests do.
//
//   npm run bench -- --only webhook
//   BENCH_WEBHOOK_DELIVERIES=400 npm run bench -- --only webhook     # quick iteration (scaled mix)
//
// Targets: every delivery processed exactly once (inbox rows and effects counted in the DB), no
// function worker terminated (stack.functions.workers(): endReason CPUTime / Memory / WallClockTime),
// no 5xx answer. Hosted Edge Functions retire an isolate at 1 s of CPU and terminate it at 2 s
// (../shared/reference/README.md): a delivery must cost little enough that a retired worker's
// in-flight deliveries finish.
//
// Measured: CPU per delivery = Σ worker CPU / deliveries (from `stack.functions.workers()` when the
// functions server records workers; else from /proc/<pid>/stat of the worker pids, sampled), the
// worker's start-up CPU (module load + one refused request), deliveries per worker, workers
// started, latency p50/p99 at the sender.
import postgres from "postgres";
import { signStripePayload } from "../local/stripe/webhooks.ts";
import {
  type BenchEvent,
  type BurstMix,
  countEffects,
  createBurstFixture,
  DEFAULT_MIX,
  total,
} from "./stripe_webhook_burst_fixture.ts";
import type { BenchCheck, BenchEntry } from "./types.ts";

const FN = "stripe-webhook";
const SENDERS = 8;
const PLATFORM_SECRET = "whsec_standin_platform_secret";
const CONNECT_SECRET = "whsec_standin_connect_secret";
const KILLED = ["CPUTime", "Memory", "WallClockTime"];

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) =>
  xs.length ? xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] : NaN;

/** The functions server's record of a worker (local/stack/functions.ts, once it enforces the limits). */
interface WorkerRecord {
  fn: string;
  pid: number;
  startedAt: number;
  retiredAt: number | null;
  retireReason: string | null;
  endedAt: number | null;
  endReason: string | null;
  cpuMs: number;
  peakRssMb: number;
}
type WithWorkers = { workers?: () => WorkerRecord[] };

/** CPU (ms) of a process from /proc/<pid>/stat (utime + stime, clock ticks of 10 ms), or null when gone. */
function procCpuMs(pid: number): number | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) * 10; // fields 14 and 15 of the line
  } catch {
    return null;
  }
}
function procHwmMb(pid: number): number | null {
  try {
    const kb = Deno.readTextFileSync(`/proc/${pid}/status`).match(/^VmHWM:\s+(\d+) kB/m)?.[1];
    return kb ? Number(kb) / 1024 : null;
  } catch {
    return null;
  }
}

const entry: BenchEntry = {
  name: "stripe_webhook_burst (2 000 signed deliveries, 8 senders)",
  description: "a burst of signed Stripe webhook deliveries of every handled type through the gateway: " +
    "exactly once, no worker terminated, no 5xx; CPU per delivery",
  async run({ env, stack }) {
    const n = Number(Deno.env.get("BENCH_WEBHOOK_DELIVERIES") ?? total(DEFAULT_MIX));
    const scale = n / total(DEFAULT_MIX);
    const mix = Object.fromEntries(
      Object.entries(DEFAULT_MIX).map(([k, v]) => [k, Math.round(v * scale)]),
    ) as unknown as BurstMix;
    const url = `${env.SUPABASE_URL}/functions/v1/${FN}`;
    const sql = postgres(env.SUPABASE_DB_URL, {
      max: 4,
      onnotice: () => {},
      connection: { application_name: "bench-webhook" },
    });
    const standin = async (path: string, body: unknown) => {
      const r = await fetch(`${env.STRIPE_API_BASE}/_standin/${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      if (!r.ok) throw new Error(`stand-in ${path}: ${r.status} ${await r.text()}`);
      return await r.json();
    };
    const functions = stack.functions as typeof stack.functions & WithWorkers;
    const recorded = () =>
      typeof functions.workers === "function" ? functions.workers().filter((w) => w.fn === FN) : null;
    try {
      // --- setup (not timed) ---------------------------------------------------------------------
      const t0 = performance.now();
      const events = await createBurstFixture(sql, standin, mix);
      console.log(`  setup: ${events.length} events in ${round((performance.now() - t0) / 1000, 1)} s`);
      // Fresh workers (setEnv stops them), then one refused delivery (no signature: 400, nothing
      // written) starts the first one: its CPU is the start-up (module load) cost.
      await functions.setEnv({});
      const before = new Set((recorded() ?? []).map((w) => w.pid));
      const warm = await fetch(url, { method: "POST", body: "{}" });
      await warm.body?.cancel();
      if (warm.status !== 400) throw new Error(`warm-up: expected 400, got ${warm.status}`);
      const warmPid = functions.pids()[FN];
      const startupCpuMs = recorded()?.find((w) => w.pid === warmPid)?.cpuMs ?? procCpuMs(warmPid) ?? NaN;

      // Worker CPU, sampled (fallback when the functions server keeps no worker records).
      const sampled = new Map<number, { cpu: number; hwm: number }>();
      const sample = () => {
        const pid = functions.pids()[FN];
        if (pid) {
          const cpu = procCpuMs(pid);
          const prev = sampled.get(pid);
          if (cpu !== null) {
            sampled.set(pid, {
              cpu: Math.max(cpu, prev?.cpu ?? 0),
              hwm: Math.max(procHwmMb(pid) ?? 0, prev?.hwm ?? 0),
            });
          }
        }
      };
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          sample();
          await sleep(100);
        }
      })();

      // --- the burst -----------------------------------------------------------------------------
      const latencies: number[] = [];
      const statuses = new Map<number, number>();
      const fiveXx: string[] = [];
      let next = 0;
      const send = async (e: BenchEvent) => {
        const secret = e.endpoint === "connect" ? CONNECT_SECRET : PLATFORM_SECRET;
        const signature = await signStripePayload(secret, e.payload);
        const t = performance.now();
        const res = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", "stripe-signature": signature },
          body: e.payload,
        });
        const text = await res.text();
        latencies.push(performance.now() - t);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status >= 500 && fiveXx.length < 5) fiveXx.push(`${e.kind} ${res.status} ${text.slice(0, 200)}`);
      };
      const tBurst = performance.now();
      await Promise.all(Array.from({ length: SENDERS }, async () => {
        while (next < events.length) await send(events[next++]);
      }));
      const burstS = (performance.now() - tBurst) / 1000;
      await sleep(300);
      sampling = false;
      await sampler;
      sample();

      // --- measure -------------------------------------------------------------------------------
      const workers = recorded()?.filter((w) => !before.has(w.pid)) ?? null;
      const cpuTotalMs = workers
        ? workers.reduce((a, w) => a + w.cpuMs, 0)
        : [...sampled.values()].reduce((a, s) => a + s.cpu, 0);
      const workersStarted = workers ? workers.length : sampled.size;
      const terminated = workers ? workers.filter((w) => w.endReason && KILLED.includes(w.endReason)) : [];
      const peakRss = workers
        ? Math.max(0, ...workers.map((w) => w.peakRssMb))
        : Math.max(0, ...[...sampled.values()].map((s) => s.hwm));
      const deliveries = latencies.length;
      latencies.sort((a, b) => a - b);
      const fiveXxCount = [...statuses].filter(([s]) => s >= 500).reduce((a, [, c]) => a + c, 0);

      const { inbox, effects, invoiceOutcomes } = await countEffects(sql, events);
      const expect = {
        processed: events.length - mix.ignored,
        payoutFailures: mix.payoutFailures,
        invoices: mix.invoices,
        refunds: mix.refunds,
        disputes: mix.disputes,
      };
      const exactlyOnce = inbox.rows === events.length && inbox.once === events.length && inbox.failed === 0 &&
        inbox.processed === expect.processed && inbox.ignored === mix.ignored &&
        effects.payout_failures === expect.payoutFailures && effects.invoices_paid === expect.invoices &&
        effects.invoice_payments === expect.invoices && invoiceOutcomes.applied === expect.invoices &&
        invoiceOutcomes.noop === expect.invoices && effects.refunds === expect.refunds &&
        effects.disputes === expect.disputes;

      const checks: BenchCheck[] = [
        {
          name: "each delivery processed exactly once (inbox rows, deliveries = 1, attempts = 1; effects counted)",
          value:
            `inbox ${inbox.rows} rows (${inbox.once} once, ${inbox.processed} processed, ${inbox.ignored} ignored, ` +
            `${inbox.failed} failed); payout failures ${effects.payout_failures}, invoices paid ` +
            `${effects.invoices_paid} (payments ${effects.invoice_payments}, applied ${invoiceOutcomes.applied} / noop ` +
            `${invoiceOutcomes.noop}), refunds ${effects.refunds}, disputes ${effects.disputes}`,
          target: `${events.length} rows, all once, ${expect.processed} processed, ${mix.ignored} ignored, 0 failed; ` +
            `${expect.payoutFailures}, ${expect.invoices} (${expect.invoices}, ${expect.invoices} / ${expect.invoices}), ` +
            `${expect.refunds}, ${expect.disputes}`,
          ok: exactlyOnce,
        },
        {
          name: "no worker terminated (endReason CPUTime / Memory / WallClockTime)",
          value: workers
            ? `${terminated.length} of ${workers.length} (${terminated.map((w) => w.endReason).join(", ") || "none"})`
            : "n/a: stack.functions.workers() not available (limits not enforced locally)",
          target: "0",
          ok: terminated.length === 0,
        },
        {
          name: "no delivery answered 5xx",
          value: fiveXxCount === 0 ? 0 : `${fiveXxCount}: ${fiveXx.join(" | ")}`,
          target: "0",
          ok: fiveXxCount === 0,
        },
      ];
      return {
        metrics: {
          deliveries,
          senders: SENDERS,
          mix: Object.entries(mix).map(([k, v]) => `${k}=${v}`).join(" "),
          statuses: [...statuses].sort().map(([s, c]) => `${s}:${c}`).join(" "),
          burst_s: round(burstS, 1),
          deliveries_per_s: round(deliveries / burstS, 1),
          cpu_per_delivery_ms: round(cpuTotalMs / deliveries, 2),
          cpu_per_delivery_after_startup_ms: round((cpuTotalMs - workersStarted * startupCpuMs) / deliveries, 2),
          worker_startup_cpu_ms: startupCpuMs,
          worker_cpu_total_ms: cpuTotalMs,
          cpu_source: workers ? "stack.functions.workers()" : "/proc/<pid>/stat (sampled every 100 ms)",
          workers_started: workersStarted,
          deliveries_per_worker: round(deliveries / Math.max(1, workersStarted), 1),
          worker_end_reasons: workers
            ? workers.map((w) => `${w.endReason ?? "running"}${w.retireReason ? `(retired: ${w.retireReason})` : ""}`)
              .join(" ")
            : "n/a",
          worker_peak_rss_mb: round(peakRss, 1),
          latency_p50_ms: round(pct(latencies, 50), 1),
          latency_p99_ms: round(pct(latencies, 99), 1),
          latency_max_ms: round(latencies[latencies.length - 1] ?? NaN, 1),
        },
        checks,
      };
    } finally {
      await sql.end();
    }
  },
};
export default entry;
