// The local Edge Functions runtime enforces hosted Supabase's per-worker limits (local/stack/functions.ts)
// with the platform's values: each limit acting on a fixture function written to exceed it
// (local/tests/fixtures/functions/), and none acting on an idle function. Needs no database: the
// tests start their own FunctionsServer (and a gateway for the /_local endpoints).
// Takes ~150 s: the wall clock (free plan) and request idle timeout cases run concurrently.
import assert from "node:assert/strict";
import { freePort, ROOT } from "../stack/config.ts";
import {
  FREE_PLAN_WALL_CLOCK_MS,
  type FunctionLimits,
  FunctionsServer,
  PLATFORM_LIMITS,
  type WorkerRecord,
} from "../stack/functions.ts";
import { startGateway } from "../stack/gateway.ts";
import { join } from "../stack/paths.ts";

const FIXTURES = join(ROOT, "local", "tests", "fixtures", "functions");

interface Harness {
  server: FunctionsServer;
  logDir: string;
  close(): Promise<void>;
}

/** A functions server over the fixtures with the platform's limits (pinned: not the environment's). */
async function harness(limits: Partial<FunctionLimits> = {}): Promise<Harness> {
  const logDir = await Deno.makeTempDir({ prefix: "function-limits-" });
  const server = new FunctionsServer({
    jwtSecret: "function-limits-test-secret-with-at-least-32-chars",
    env: {},
    logDir,
    functionsDir: FIXTURES,
    limits: { ...PLATFORM_LIMITS, ...limits },
  });
  return {
    server,
    logDir,
    async close() {
      await server.stop();
      await Deno.remove(logDir, { recursive: true }).catch(() => {});
    },
  };
}

async function call(
  server: FunctionsServer,
  name: string,
  query = "",
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await server.handle(new Request(`http://127.0.0.1/functions/v1/${name}${query}`), name, "");
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

function record(server: FunctionsServer, pid: number): WorkerRecord {
  const r = server.workers().find((w) => w.pid === pid);
  assert.ok(r, `a worker record for pid ${pid}`);
  return r;
}

async function until<T>(
  fn: () => T | null | undefined | false | Promise<T | null | undefined | false>,
  what: string,
  timeoutMs: number,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (true) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** JSON lines of a log file in the harness's log folder. */
async function logLines(h: Harness, file: string): Promise<Record<string, unknown>[]> {
  const text = await Deno.readTextFile(join(h.logDir, file)).catch(() => "");
  return text.split("\n").flatMap((l) => {
    try {
      const v = JSON.parse(l);
      return v && typeof v === "object" ? [v] : [];
    } catch {
      return [];
    }
  });
}

const summary = (r: WorkerRecord) =>
  `pid ${r.pid}: retired ${r.retireReason ?? "-"} at cpu ${r.cpuMsAtRetire ?? "-"} ms / ${
    r.retiredAt ? r.retiredAt - r.startedAt : "-"
  } ms wall; end ${r.endReason} at cpu ${r.cpuMs} ms, wall ${r.wallMs} ms, peak rss ${
    r.peakRssMb.toFixed(1)
  } MB, overshoot ${r.overshootMs ?? r.overshootMb ?? "-"}`;

Deno.test("limits: CPU (retire at 1 s, CPUTime at 2 s; Idle exit after finishing), memory (Memory), /_local endpoints", async (t) => {
  const h = await harness();
  const { server } = h;
  try {
    let pidB = 0;
    await t.step(
      "CPU burnt in a waitUntil task: retired at the soft limit, terminated at the hard limit (CPUTime)",
      async () => {
        const first = await call(server, "cpu-burn", "?until_cpu_ms=60000");
        assert.equal(first.status, 202);
        const pidA = first.body.pid as number;
        await until(() => record(server, pidA).retiredAt !== null, "the burning worker to be retired", 30_000);
        assert.equal(record(server, pidA).retireReason, "CPUTime");
        assert.equal(record(server, pidA).endedAt, null, "retired, not terminated: it finishes what it is doing");
        // The next request gets a fresh worker.
        const second = await call(server, "cpu-burn");
        assert.equal(second.status, 200);
        pidB = second.body.pid as number;
        assert.notEqual(pidB, pidA);
        const a = await until(
          () => {
            const r = record(server, pidA);
            return r.endedAt !== null && r;
          },
          "the burning worker to be terminated",
          30_000,
        );
        assert.equal(a.endReason, "CPUTime");
        assert.ok(a.cpuMs >= PLATFORM_LIMITS.cpuHardMs);
        assert.ok(a.cpuMsAtRetire !== null && a.cpuMsAtRetire >= PLATFORM_LIMITS.cpuSoftMs);
        assert.equal(
          a.beforeunload.map((b) => b.reason).includes("cpu"),
          true,
          "beforeunload at 90 % of the hard limit",
        );
        console.log(`  cpu-burn (kill): ${summary(a)}`);
        // One JSON line per retirement and shutdown, in the function's log and the server's.
        for (const file of ["function-cpu-burn.log", "functions.log"]) {
          const lines = (await logLines(h, file)).filter((l) => l.pid === pidA);
          assert.ok(
            lines.some((l) => l.msg === "worker retired" && l.reason === "CPUTime"),
            `${file}: retirement line`,
          );
          const kill = lines.find((l) => l.event === "shutdown");
          assert.equal(kill?.reason, "CPUTime", `${file}: shutdown line`);
          for (const k of ["cpu_ms", "rss_mb", "wall_ms", "overshoot_ms"]) assert.equal(typeof kill?.[k], "number", k);
        }
        const b = record(server, pidB);
        assert.equal(b.retiredAt, null);
        assert.equal(b.endedAt, null);
      },
    );

    await t.step(
      "background work that ends at ~1.2 s CPU: retired, then exits by itself once idle (Idle)",
      async () => {
        const res = await call(server, "cpu-burn", "?until_cpu_ms=1200");
        assert.equal(res.status, 202);
        const pid = res.body.pid as number;
        assert.equal(pid, pidB, "the active worker took the request");
        const r = await until(
          () => {
            const x = record(server, pid);
            return x.endedAt !== null && x;
          },
          "the worker to exit",
          30_000,
        );
        assert.equal(r.retireReason, "CPUTime");
        assert.equal(r.endReason, "Idle");
        assert.equal(r.exitCode, 0);
        assert.ok(r.cpuMs < PLATFORM_LIMITS.cpuHardMs);
        const lines = (await logLines(h, "function-cpu-burn.log")).filter((l) => l.pid === pid);
        assert.ok(lines.some((l) => l.fixture === "burn finished"), "the task finished its work");
        assert.ok(
          lines.some((l) => l.fixture === "beforeunload" && l.reason === "early_drop"),
          "beforeunload (early_drop)",
        );
        assert.ok(lines.some((l) => l.event === "shutdown" && l.reason === "Idle"));
        console.log(`  cpu-burn (idle exit): ${summary(r)}`);
      },
    );

    await t.step("memory over 256 MB: terminated (Memory); the request in flight gets 546 WORKER_LIMIT", async () => {
      const res = await call(server, "memory-hog", "?mb=512");
      assert.equal(res.status, 546);
      assert.equal(res.body.code, "WORKER_LIMIT");
      assert.match(String(res.body.message), /Memory/);
      const r = server.workers().find((w) => w.fn === "memory-hog");
      assert.ok(r);
      await until(() => record(server, r.pid).endedAt !== null, "the memory hog to be gone", 10_000);
      const x = record(server, r.pid);
      assert.equal(x.endReason, "Memory");
      assert.ok(x.peakRssMb >= PLATFORM_LIMITS.memMb, "killed once past the limit (peak rounded to 0.1 MB)");
      console.log(`  memory-hog: ${summary(x)}`);
    });

    await t.step("gateway: GET /_local/functions (active pids) and /_local/functions/workers (records)", async () => {
      const port = freePort();
      const gw = startGateway({ port, postgrestPort: freePort(), functions: server });
      try {
        const pids = await (await fetch(`http://127.0.0.1:${port}/_local/functions`)).json();
        assert.deepEqual(pids, server.pids());
        assert.equal(pids["memory-hog"], undefined);
        const workers =
          (await (await fetch(`http://127.0.0.1:${port}/_local/functions/workers`)).json()) as WorkerRecord[];
        assert.deepEqual(
          workers.map((w) => [w.fn, w.endReason]).filter(([, e]) => e !== null).sort(),
          [["cpu-burn", "CPUTime"], ["cpu-burn", "Idle"], ["memory-hog", "Memory"]],
        );
      } finally {
        await gw.shutdown();
      }
    });
  } finally {
    await h.close();
  }
});

Deno.test("limits: wall clock (free plan 150 s) and request idle timeout (150 s), concurrently; none acts on an idle function", async () => {
  const free = await harness({ wallClockMs: FREE_PLAN_WALL_CLOCK_MS });
  const paid = await harness(); // 400 s wall clock: the idle timeout acts first; the idle function is never retired
  try {
    const idleFirst = await call(paid.server, "idle");
    assert.equal(idleFirst.status, 200);
    const idlePid = idleFirst.body.pid as number;

    const wallClock = async () => {
      const first = await call(free.server, "wall-clock", "?hold=1");
      assert.equal(first.status, 200);
      const pidA = first.body.pid as number;
      await until(() => record(free.server, pidA).retiredAt !== null, "retirement at half the wall clock", 120_000);
      assert.equal(record(free.server, pidA).retireReason, "WallClockTime");
      assert.equal(record(free.server, pidA).endedAt, null);
      const second = await call(free.server, "wall-clock");
      assert.notEqual(second.body.pid, pidA, "a retired worker takes no new requests");
      const a = await until(
        () => {
          const r = record(free.server, pidA);
          return r.endedAt !== null && r;
        },
        "termination at the wall clock limit",
        120_000,
      );
      assert.equal(a.endReason, "WallClockTime");
      assert.deepEqual(a.beforeunload.map((b) => b.reason), ["wall_clock"]);
      // The function saw the beforeunload event (its log), before the shutdown.
      const seen = await until(
        async () => {
          const lines = (await logLines(free, "function-wall-clock.log")).filter((l) => l.pid === pidA);
          return lines.find((l) => l.fixture === "beforeunload" && l.reason === "wall_clock");
        },
        "the function's beforeunload line",
        10_000,
      );
      assert.ok(seen);
      console.log(
        `  wall-clock: ${summary(a)}; beforeunload sent at ${a.beforeunload[0].at - a.startedAt} ms`,
      );
    };

    const idleTimeout = async () => {
      const started = Date.now();
      const res = await call(paid.server, "never-responds");
      assert.equal(res.status, 504, JSON.stringify(res.body));
      assert.equal(res.body.code, "REQUEST_IDLE_TIMEOUT");
      assert.equal(typeof res.body.message, "string");
      console.log(`  never-responds: 504 after ${Date.now() - started} ms`);
      const lines = await logLines(paid, "function-never-responds.log");
      assert.ok(lines.some((l) => l.event === "request_idle_timeout"));
    };

    await Promise.all([wallClock(), idleTimeout()]);

    // ~150 s later the idle function's worker is the same, neither retired nor terminated.
    const idleLast = await call(paid.server, "idle");
    assert.equal(idleLast.body.pid, idlePid);
    const r = record(paid.server, idlePid);
    assert.equal(r.retiredAt, null);
    assert.equal(r.endedAt, null);
    assert.deepEqual(r.beforeunload, []);
    assert.ok(r.cpuMs < PLATFORM_LIMITS.cpuSoftMs);
    console.log(`  idle: pid ${r.pid} alive after ${r.wallMs} ms, cpu ${r.cpuMs} ms, rss ${r.rssMb.toFixed(1)} MB`);
  } finally {
    await Promise.all([free.close(), paid.close()]);
  }
});
