// The Edge Functions server: Deno processes running function_runner.ts, like edge-runtime's
// per-worker policy. Per function there is one *active* worker (started on the first request,
// restarted when it died or was retired) plus any *retired* workers still finishing their work.
// Honours `verify_jwt` from supabase/config.toml the way Supabase's gateway does.
//
// Hosted Supabase's per-worker limits are enforced (on by default, the platform's values; see
// PLATFORM_LIMITS): a supervisor samples every worker process every 20 ms (/proc/<pid>/stat
// utime+stime of the whole process, /proc/<pid>/status VmRSS) and
//   - CPU >= soft limit (1,000 ms): retires the worker (no new requests; it exits once idle);
//   - CPU >= hard limit (2,000 ms): SIGKILL, reason `CPUTime`;
//   - RSS > 256 MB: SIGKILL, reason `Memory`;
//   - wall clock from the worker's start: retired at half the limit, `beforeunload` dispatched in
//     the worker at 90 % of it (edge-runtime's default `--dispatch-beforeunload-wall-clock-ratio`),
//     SIGKILL at the limit, reason `WallClockTime` (also `beforeunload` at 90 % of the CPU hard
//     limit and of the memory limit, reasons `cpu` / `memory`, as edge-runtime's defaults);
//   - a request whose response headers have not come 150 s after it was handed to the worker is
//     answered 504 (request idle timeout).
// Every retirement and shutdown is one JSON line in the function's log and in functions.log;
// `workers()` (and GET /_local/functions/workers on the gateway) lists every worker's record.
// Stricter than edge-runtime on purpose: CPU counts every thread of the process (edge-runtime counts
// the isolate's thread) and memory is the process RSS (edge-runtime: the isolate's heap + external).
import { parse as parseToml } from "smol-toml";
import { freePort, ROOT } from "./config.ts";
import { verifyJwt } from "./jwt.ts";
import { join } from "./paths.ts";
import { waitFor } from "./proc.ts";
import { relay } from "./relay.ts";

export const FUNCTIONS_DIR = join(ROOT, "supabase", "functions");

/** Per-worker limits. 0 turns a limit off. */
export interface FunctionLimits {
  /** CPU time (ms, whole process) at which the worker is retired. */
  cpuSoftMs: number;
  /** CPU time (ms) at which the worker is killed (`CPUTime`). */
  cpuHardMs: number;
  /** Resident memory (MiB) above which the worker is killed (`Memory`). */
  memMb: number;
  /** Wall clock (ms) from the worker's start: retired at half, killed at the limit (`WallClockTime`). */
  wallClockMs: number;
  /** A request with no response headers after this long (ms) is answered 504. */
  requestIdleTimeoutMs: number;
  /** `beforeunload` is dispatched at this percentage of the wall clock / CPU hard / memory limit. */
  beforeunloadPct: number;
  /** Sampling period of the supervisor (ms). */
  sampleMs: number;
}

/** Hosted Supabase (paid plan wall clock; edge-runtime's `SUPABASE_RESOURCE_LIMIT_*` defaults). */
export const PLATFORM_LIMITS: Readonly<FunctionLimits> = Object.freeze({
  cpuSoftMs: 1_000,
  cpuHardMs: 2_000,
  memMb: 256,
  wallClockMs: 400_000,
  requestIdleTimeoutMs: 150_000,
  beforeunloadPct: 90,
  sampleMs: 20,
});

/** The free plan's wall clock limit (ms). */
export const FREE_PLAN_WALL_CLOCK_MS = 150_000;

/** Environment variables of the stack that change the limits (for investigation). */
export const LIMIT_ENV: Readonly<Partial<Record<keyof FunctionLimits, string>>> = Object.freeze({
  cpuSoftMs: "SUPABASE_RESOURCE_LIMIT_CPU_SOFT_MS",
  cpuHardMs: "SUPABASE_RESOURCE_LIMIT_CPU_HARD_MS",
  memMb: "SUPABASE_RESOURCE_LIMIT_MEM_MB",
  wallClockMs: "SUPABASE_RESOURCE_LIMIT_TIMEOUT_MS",
  requestIdleTimeoutMs: "SUPABASE_REQUEST_IDLE_TIMEOUT_MS",
});

/** Limits from the environment (unset variables: the platform's values). Throws on a bad value. */
export function limitsFromEnv(get: (name: string) => string | undefined = (n) => Deno.env.get(n)): FunctionLimits {
  const out: FunctionLimits = { ...PLATFORM_LIMITS };
  for (const [key, name] of Object.entries(LIMIT_ENV) as [keyof FunctionLimits, string][]) {
    const raw = get(name);
    if (raw === undefined || raw.trim() === "") continue;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) {
      throw new Error(`${name} must be a non-negative integer (0 = off), got "${raw}"`);
    }
    out[key] = n;
  }
  return out;
}

export type EndReason = "CPUTime" | "Memory" | "WallClockTime" | "Idle" | "Exited" | "Stopped";

/** What happened to one worker process. Times are epoch ms; CPU/RSS are the last samples. */
export interface WorkerRecord {
  fn: string;
  pid: number;
  startedAt: number;
  retiredAt: number | null;
  /** `CPUTime` (soft limit) or `WallClockTime` (half the wall clock). */
  retireReason: string | null;
  endedAt: number | null;
  endReason: EndReason | null;
  /** CPU time of the process (ms, utime+stime of all threads), last sample. */
  cpuMs: number;
  peakRssMb: number;
  rssMb: number;
  /** Wall clock from the start to the last sample (to the end once ended). */
  wallMs: number;
  /** CPU time when the worker was retired. */
  cpuMsAtRetire: number | null;
  /** `beforeunload` events sent to the worker. */
  beforeunload: { reason: string; at: number }[];
  /** How far past the limit the worker was when killed: ms (CPUTime, WallClockTime) or MiB (Memory). */
  overshootMs: number | null;
  overshootMb: number | null;
  exitCode: number | null;
  /** Requests handed to this worker. */
  requests: number;
  /** The limits in force for this worker. */
  limits: FunctionLimits;
}

interface Worker {
  fn: string;
  child: Deno.ChildProcess;
  port: number;
  stdin: WritableStreamDefaultWriter<Uint8Array>;
  exited: boolean;
  status: Promise<Deno.CommandStatus>;
  /** Resolves when the worker has exited and its output is in the log. */
  done: Promise<void>;
  rec: WorkerRecord;
  /** Requests in flight through this server (until their response body is relayed). */
  inFlight: number;
  retireSent: boolean;
  killReason: EndReason | null;
  stopRequested: boolean;
}

export interface FunctionsServerOptions {
  jwtSecret: string;
  env: Record<string, string>;
  logDir: string;
  /** Folder of `<name>/index.ts` functions (default supabase/functions); `verify_jwt` is read from `../config.toml`. */
  functionsDir?: string;
  /** Limits on top of the environment's (SUPABASE_RESOURCE_LIMIT_*), which are on top of PLATFORM_LIMITS. */
  limits?: Partial<FunctionLimits>;
}

/** `<functionsDir>/.env` as KEY=VALUE lines (local secrets, git-ignored). */
function readDotEnv(dir: string): Record<string, string> {
  try {
    const out: Record<string, string> = {};
    for (const line of Deno.readTextFileSync(join(dir, ".env")).split("\n")) {
      const m = line.match(/^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)\s*$/);
      if (m) out[m[1]] = m[2].replace(/^"(.*)"$/, "$1");
    }
    return out;
  } catch {
    return {};
  }
}

/** `verify_jwt` of a function in `<functionsDir>/../config.toml` (default true, as Supabase's). */
export function verifyJwtSetting(name: string, functionsDir = FUNCTIONS_DIR): boolean {
  let text: string;
  try {
    text = Deno.readTextFileSync(join(functionsDir, "..", "config.toml"));
  } catch {
    return true;
  }
  const cfg = parseToml(text) as { functions?: Record<string, { verify_jwt?: boolean }> };
  return cfg.functions?.[name]?.verify_jwt ?? true;
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

// USER_HZ: the unit of utime/stime in /proc/<pid>/stat (100 on every mainstream Linux build).
const CLK_TCK = 100;

/** CPU (ms, all threads) and RSS (MiB) of a live process from /proc; null when it is gone. */
function sampleProc(pid: number): { cpuMs: number; rssMb: number } | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // fields[0] is field 3 (state)
    if (fields[0] === "Z" || fields[0] === "X") return null;
    const ticks = Number(fields[11]) + Number(fields[12]); // utime (14) + stime (15)
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const kb = status.match(/^VmRSS:\s+(\d+)\s+kB/m)?.[1];
    if (kb === undefined) return null; // exiting: its memory is already gone
    return { cpuMs: (ticks * 1000) / CLK_TCK, rssMb: Number(kb) / 1024 };
  } catch {
    return null;
  }
}

const round1 = (n: number) => Math.round(n * 10) / 10;
const enc = new TextEncoder();

export class FunctionsServer {
  /** The active worker per function (not retired, not exited). */
  #active = new Map<string, Worker>();
  /** Every worker process still running, active or retired. */
  #live = new Set<Worker>();
  #starting = new Map<string, Promise<Worker>>();
  /** Records of all workers (the oldest ended ones are dropped past RECORDS_KEPT). */
  #records: WorkerRecord[] = [];
  #sampler: ReturnType<typeof setInterval> | undefined;
  #samplerMs = 0;
  /** Function env set with `setEnv`, on top of `opts.env` (which stays the clients' env). */
  #envOverrides: Record<string, string> = {};
  #baseLimits: FunctionLimits;
  #limitOverrides: Partial<FunctionLimits> = {};
  readonly functionsDir: string;
  static readonly RECORDS_KEPT = 1000;

  constructor(private opts: FunctionsServerOptions) {
    this.functionsDir = opts.functionsDir ?? FUNCTIONS_DIR;
    const given = Object.fromEntries(Object.entries(opts.limits ?? {}).filter(([, v]) => v !== undefined));
    this.#baseLimits = { ...limitsFromEnv(), ...given };
  }

  /**
   * Sets function env on top of the stack's (`undefined` removes a value set here), e.g.
   * `await stack.functions.setEnv({ STRIPE_MAX_RPS: "25" })`. Functions read env at process start,
   * so running workers are stopped (SIGTERM, awaited) and the next request starts each with the new
   * env — call it while no function is working. Local only; on Supabase: `supabase secrets set`.
   */
  async setEnv(vars: Record<string, string | undefined>): Promise<void> {
    for (const [k, v] of Object.entries(vars)) {
      if (v === undefined) delete this.#envOverrides[k];
      else this.#envOverrides[k] = v;
    }
    await Promise.allSettled([...this.#starting.values()]);
    await this.stop();
  }

  /** The env set with `setEnv` (not the stack's). */
  envOverrides(): Record<string, string> {
    return { ...this.#envOverrides };
  }

  /**
   * Changes the per-worker limits (`undefined` puts one back to the stack's value), e.g.
   * `await stack.functions.setLimits({ wallClockMs: 150_000 })` for the free plan, or
   * `{ cpuSoftMs: 0, cpuHardMs: 0 }` to measure without CPU limits. Like `setEnv`, running workers
   * are stopped and the next request starts each under the new limits (and with
   * `EDGE_WALL_CLOCK_LIMIT_MS` set to the new wall clock). Local only.
   */
  async setLimits(limits: Partial<Record<keyof FunctionLimits, number | undefined>>): Promise<void> {
    for (const [k, v] of Object.entries(limits) as [keyof FunctionLimits, number | undefined][]) {
      if (v === undefined) delete this.#limitOverrides[k];
      else if (!Number.isFinite(v) || v < 0) throw new Error(`setLimits: ${k} must be a number >= 0`);
      else this.#limitOverrides[k] = v;
    }
    await Promise.allSettled([...this.#starting.values()]);
    await this.stop();
  }

  /** The limits new workers get. */
  limits(): FunctionLimits {
    return { ...this.#baseLimits, ...this.#limitOverrides };
  }

  /**
   * Pid per function of its active worker, or, when it has none, of its newest retired worker still
   * running (the one doing the function's remaining work): for tests that kill one (local only).
   */
  pids(): Record<string, number> {
    const out: Record<string, number> = {};
    const newest = new Map<string, Worker>();
    for (const w of this.#live) {
      if (w.exited || w.killReason) continue;
      const cur = newest.get(w.fn);
      if (!cur || w.rec.startedAt >= cur.rec.startedAt) newest.set(w.fn, w);
    }
    for (const [fn, w] of newest) out[fn] = w.child.pid;
    for (const [fn, w] of this.#active) if (!w.exited && !w.killReason) out[fn] = w.child.pid;
    return out;
  }

  /** Every worker's record (copies), oldest first: why and when it was retired and ended. */
  workers(): WorkerRecord[] {
    return this.#records.map((r) => ({ ...r, beforeunload: [...r.beforeunload], limits: { ...r.limits } }));
  }

  #logLine(w: Worker, level: string, msg: string, fields: Record<string, unknown>) {
    const r = w.rec;
    const line = JSON.stringify({
      ts: new Date().toISOString(),
      level,
      msg,
      fn: w.fn,
      pid: r.pid,
      ...fields,
      cpu_ms: r.cpuMs,
      rss_mb: r.rssMb,
      peak_rss_mb: r.peakRssMb,
      wall_ms: r.wallMs,
    }) + "\n";
    for (const file of [`function-${w.fn}.log`, "functions.log"]) {
      try {
        Deno.writeTextFileSync(join(this.opts.logDir, file), line, { append: true });
      } catch { /* log folder gone */ }
    }
  }

  #send(w: Worker, msg: Record<string, unknown>) {
    if (w.exited) return;
    w.stdin.write(enc.encode(JSON.stringify(msg) + "\n")).catch(() => {});
  }

  /** Tells a retired worker to exit once idle; only when no request of ours is in flight to it. */
  #maybeSendRetire(w: Worker) {
    if (w.retireSent || w.exited || w.rec.retiredAt === null || w.inFlight > 0) return;
    w.retireSent = true;
    this.#send(w, { cmd: "retire" });
  }

  #retire(w: Worker, reason: string, limit: number) {
    if (w.rec.retiredAt !== null || w.exited || w.killReason) return;
    w.rec.retiredAt = Date.now();
    w.rec.retireReason = reason;
    w.rec.cpuMsAtRetire = w.rec.cpuMs;
    if (this.#active.get(w.fn) === w) this.#active.delete(w.fn);
    this.#logLine(w, "warn", "worker retired", { event: "retired", reason, limit });
    this.#maybeSendRetire(w);
  }

  #beforeunload(w: Worker, reason: string) {
    if (w.rec.beforeunload.some((b) => b.reason === reason)) return;
    w.rec.beforeunload.push({ reason, at: Date.now() });
    this.#logLine(w, "warn", "beforeunload dispatched", { event: "beforeunload", reason });
    this.#send(w, { cmd: "beforeunload", reason });
  }

  #kill(w: Worker, reason: "CPUTime" | "Memory" | "WallClockTime", limit: number, over: { ms?: number; mb?: number }) {
    if (w.killReason || w.exited) return;
    w.killReason = reason;
    w.rec.endReason = reason;
    w.rec.overshootMs = over.ms ?? null;
    w.rec.overshootMb = over.mb === undefined ? null : round1(over.mb);
    if (this.#active.get(w.fn) === w) this.#active.delete(w.fn);
    try {
      w.child.kill("SIGKILL");
    } catch { /* already gone */ }
    this.#logLine(w, "error", "worker terminated", {
      event: "shutdown",
      reason,
      limit,
      ...(over.ms !== undefined ? { overshoot_ms: over.ms } : {}),
      ...(over.mb !== undefined ? { overshoot_mb: round1(over.mb) } : {}),
    });
  }

  /** One supervisor pass over every live worker. */
  #tick() {
    const now = Date.now();
    for (const w of [...this.#live]) {
      if (w.exited || w.killReason) continue;
      const r = w.rec;
      const L = r.limits;
      r.wallMs = now - r.startedAt;
      const s = sampleProc(w.child.pid);
      if (s) {
        r.cpuMs = s.cpuMs;
        r.rssMb = round1(s.rssMb);
        if (r.rssMb > r.peakRssMb) r.peakRssMb = r.rssMb;
      }
      if (s && L.memMb > 0 && s.rssMb > L.memMb) {
        this.#kill(w, "Memory", L.memMb, { mb: s.rssMb - L.memMb });
        continue;
      }
      if (L.cpuHardMs > 0 && r.cpuMs >= L.cpuHardMs) {
        this.#kill(w, "CPUTime", L.cpuHardMs, { ms: r.cpuMs - L.cpuHardMs });
        continue;
      }
      if (L.wallClockMs > 0 && r.wallMs >= L.wallClockMs) {
        this.#kill(w, "WallClockTime", L.wallClockMs, { ms: r.wallMs - L.wallClockMs });
        continue;
      }
      if (L.cpuSoftMs > 0 && r.cpuMs >= L.cpuSoftMs) this.#retire(w, "CPUTime", L.cpuSoftMs);
      if (L.wallClockMs > 0 && r.wallMs >= L.wallClockMs / 2) this.#retire(w, "WallClockTime", L.wallClockMs / 2);
      const pct = L.beforeunloadPct / 100;
      if (pct > 0) {
        if (L.wallClockMs > 0 && r.wallMs >= L.wallClockMs * pct) this.#beforeunload(w, "wall_clock");
        if (L.cpuHardMs > 0 && r.cpuMs >= L.cpuHardMs * pct) this.#beforeunload(w, "cpu");
        if (s && L.memMb > 0 && s.rssMb >= L.memMb * pct) this.#beforeunload(w, "memory");
      }
    }
  }

  #ensureSampler(ms: number) {
    if (this.#sampler !== undefined && this.#samplerMs === ms) return;
    if (this.#sampler !== undefined) clearInterval(this.#sampler);
    this.#samplerMs = ms;
    this.#sampler = setInterval(() => this.#tick(), ms);
  }

  #stopSamplerIfIdle() {
    if (this.#live.size === 0 && this.#sampler !== undefined) {
      clearInterval(this.#sampler);
      this.#sampler = undefined;
    }
  }

  #onExit(w: Worker, status: Deno.CommandStatus) {
    w.exited = true;
    this.#live.delete(w);
    if (this.#active.get(w.fn) === w) this.#active.delete(w.fn);
    const r = w.rec;
    r.endedAt = Date.now();
    r.wallMs = r.endedAt - r.startedAt;
    r.exitCode = status.code;
    w.stdin.close().catch(() => {});
    if (!w.killReason) {
      r.endReason = w.stopRequested ? "Stopped" : w.retireSent && status.code === 0 ? "Idle" : "Exited";
      const msg = r.endReason === "Idle"
        ? "worker exited when idle after retirement"
        : r.endReason === "Stopped"
        ? "worker stopped"
        : "worker exited";
      this.#logLine(w, r.endReason === "Exited" ? "error" : "info", msg, {
        event: "shutdown",
        reason: r.endReason,
        exit_code: status.code,
        ...(status.signal ? { signal: status.signal } : {}),
      });
    }
    this.#stopSamplerIfIdle();
  }

  async #start(name: string): Promise<Worker> {
    const port = freePort();
    const limits = this.limits();
    const env: Record<string, string> = {
      ...readDotEnv(this.functionsDir),
      ...this.opts.env,
      ...this.#envOverrides,
      SB_EXECUTION_ID: crypto.randomUUID(),
    };
    // The functions cap their own budget with it (supabase/functions/_shared/platform/env.ts).
    if (limits.wallClockMs > 0) env.EDGE_WALL_CLOCK_LIMIT_MS = String(limits.wallClockMs);
    const logPath = join(this.opts.logDir, `function-${name}.log`);
    const log = await Deno.open(logPath, { create: true, append: true, write: true });
    const startedAt = Date.now();
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--quiet",
          join(ROOT, "local", "stack", "function_runner.ts"),
          join(this.functionsDir, name, "index.ts"),
          String(port),
        ],
        env,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    } catch (e) {
      log.close();
      throw e;
    }
    const pump = async (s: ReadableStream<Uint8Array>) => {
      try {
        for await (const chunk of s) {
          for (let off = 0; off < chunk.length;) off += await log.write(chunk.subarray(off));
        }
      } catch { /* child gone */ }
    };
    const pumped = Promise.all([pump(child.stdout), pump(child.stderr)]).then(() => log.close());
    const rec: WorkerRecord = {
      fn: name,
      pid: child.pid,
      startedAt,
      retiredAt: null,
      retireReason: null,
      endedAt: null,
      endReason: null,
      cpuMs: 0,
      peakRssMb: 0,
      rssMb: 0,
      wallMs: 0,
      cpuMsAtRetire: null,
      beforeunload: [],
      overshootMs: null,
      overshootMb: null,
      exitCode: null,
      requests: 0,
      limits,
    };
    const status = child.status;
    const w: Worker = {
      fn: name,
      child,
      port,
      stdin: child.stdin.getWriter(),
      exited: false,
      status,
      done: Promise.resolve(),
      rec,
      inFlight: 0,
      retireSent: false,
      killReason: null,
      stopRequested: false,
    };
    const exitedP = status.then((s) => this.#onExit(w, s));
    w.done = Promise.all([exitedP, pumped]).then(() => {});
    this.#records.push(rec);
    this.#trimRecords();
    this.#live.add(w);
    this.#ensureSampler(limits.sampleMs > 0 ? limits.sampleMs : PLATFORM_LIMITS.sampleMs);
    await waitFor(
      async () => {
        if (w.exited) {
          throw new Error(
            `function ${name} exited at start${w.killReason ? ` (${w.killReason})` : ""}; see function-${name}.log`,
          );
        }
        const c = await Deno.connect({ hostname: "127.0.0.1", port }).catch(() => null);
        c?.close();
        return !!c;
      },
      `function ${name} to listen`,
      30000,
    ).catch((e) => {
      if (!w.exited) {
        try {
          w.child.kill("SIGKILL");
        } catch { /* gone */ }
      }
      throw e;
    });
    // Retired while loading (CPU of the module load past the soft limit): it serves the requests
    // that waited for it, and the next request starts a fresh worker.
    if (rec.retiredAt === null && !w.killReason && !w.exited) this.#active.set(name, w);
    return w;
  }

  #trimRecords() {
    let excess = this.#records.length - FunctionsServer.RECORDS_KEPT;
    if (excess <= 0) return;
    this.#records = this.#records.filter((r) => {
      if (excess > 0 && r.endedAt !== null) {
        excess--;
        return false;
      }
      return true;
    });
  }

  async #worker(name: string): Promise<Worker> {
    const w = this.#active.get(name);
    if (w && !w.exited && !w.killReason && w.rec.retiredAt === null) return w;
    let p = this.#starting.get(name);
    if (!p) {
      // A second try when the first start fails: the port chosen for it can be taken by another
      // process between choosing and listening (workers start concurrently).
      p = this.#start(name).catch((e) => {
        console.error(JSON.stringify({ level: "warn", msg: "worker start failed, trying once more", fn: name, error: String(e) }));
        return this.#start(name);
      }).finally(() => this.#starting.delete(name));
      this.#starting.set(name, p);
    }
    return await p;
  }

  async handle(req: Request, name: string, rest: string): Promise<Response> {
    if (!/^[a-z0-9][a-z0-9_-]*$/.test(name) || name.startsWith("_")) {
      return json(404, { code: "NOT_FOUND", message: "Function not found" });
    }
    try {
      Deno.statSync(join(this.functionsDir, name, "index.ts"));
    } catch {
      return json(404, { code: "NOT_FOUND", message: "Function not found" });
    }
    // A browser's CORS preflight carries no token; Supabase's gateway passes it to the function.
    if (verifyJwtSetting(name, this.functionsDir) && req.method !== "OPTIONS") {
      const auth = req.headers.get("authorization") ?? "";
      const token = auth.match(/^Bearer\s+(.+)$/i)?.[1];
      if (!token) return json(401, { code: 401, message: "Missing authorization header" });
      if (!(await verifyJwt(token, this.opts.jwtSecret))) return json(401, { code: 401, message: "Invalid JWT" });
    }
    let w: Worker;
    try {
      w = await this.#worker(name);
    } catch (e) {
      return json(503, {
        code: "BOOT_ERROR",
        message: `function ${name} failed to start: ${e instanceof Error ? e.message : e}`,
      });
    }
    w.inFlight++;
    w.rec.requests++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      w.inFlight--;
      this.#maybeSendRetire(w);
    };
    const url = new URL(req.url);
    const target = `http://127.0.0.1:${w.port}/${name}${rest}${url.search}`;
    const idleMs = w.rec.limits.requestIdleTimeoutMs;
    const abort = new AbortController();
    let idleTimedOut = false;
    const timer = idleMs > 0
      ? setTimeout(() => {
        idleTimedOut = true;
        abort.abort();
      }, idleMs)
      : undefined;
    let res: Response;
    try {
      res = await fetch(target, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        redirect: "manual",
        signal: abort.signal,
      });
    } catch (e) {
      release();
      if (idleTimedOut) {
        this.#logLine(w, "error", "request idle timeout", {
          event: "request_idle_timeout",
          limit: idleMs,
          path: `/${name}${rest}`,
        });
        return json(504, {
          code: "REQUEST_IDLE_TIMEOUT",
          message: `function ${name} sent no response within ${idleMs} ms (request idle timeout)`,
        });
      }
      if (w.killReason && w.killReason !== "Stopped") {
        return json(546, {
          code: "WORKER_LIMIT",
          message: `function ${name} was terminated: resource limit reached (${w.killReason})`,
        });
      }
      return json(502, { code: "BOOT_ERROR", message: `function ${name} failed: ${e}` });
    } finally {
      clearTimeout(timer);
    }
    return relay(res, release);
  }

  /** Stops every worker (SIGTERM: each finishes its waitUntil tasks; limits still apply) and waits. */
  async stop(): Promise<void> {
    const live = [...this.#live];
    for (const w of live) {
      if (w.exited) continue;
      w.stopRequested = true;
      try {
        w.child.kill("SIGTERM");
      } catch { /* gone */ }
    }
    await Promise.allSettled(live.map((w) => w.done));
    this.#active.clear();
    this.#stopSamplerIfIdle();
  }
}
