// The Edge Functions server: one Deno process per function (like edge-runtime's per-worker
// policy), started on first request and restarted if it died. Honours `verify_jwt` from
// supabase/config.toml the way Supabase's gateway does.
import { parse as parseToml } from "smol-toml";
import { freePort, ROOT } from "./config.ts";
import { verifyJwt } from "./jwt.ts";
import { join } from "./paths.ts";
import { spawnLogged, waitFor } from "./proc.ts";

export const FUNCTIONS_DIR = join(ROOT, "supabase", "functions");

interface Worker {
  child: Deno.ChildProcess;
  port: number;
  exited: boolean;
}

export interface FunctionsServerOptions {
  jwtSecret: string;
  env: Record<string, string>;
  logDir: string;
}

/** `supabase/functions/.env` as KEY=VALUE lines (local secrets, git-ignored). */
function readDotEnv(): Record<string, string> {
  try {
    const out: Record<string, string> = {};
    for (const line of Deno.readTextFileSync(join(FUNCTIONS_DIR, ".env")).split("\n")) {
      const m = line.match(/^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)\s*$/);
      if (m) out[m[1]] = m[2].replace(/^"(.*)"$/, "$1");
    }
    return out;
  } catch {
    return {};
  }
}

export function verifyJwtSetting(name: string): boolean {
  const cfg = parseToml(Deno.readTextFileSync(join(ROOT, "supabase", "config.toml"))) as {
    functions?: Record<string, { verify_jwt?: boolean }>;
  };
  return cfg.functions?.[name]?.verify_jwt ?? true;
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

export class FunctionsServer {
  #workers = new Map<string, Worker>();
  #starting = new Map<string, Promise<Worker>>();
  /** Function env set with `setEnv`, on top of `opts.env` (which stays the clients' env). */
  #envOverrides: Record<string, string> = {};
  constructor(private opts: FunctionsServerOptions) {}

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

  /** Pids of running function workers, for tests that kill one (local only). */
  pids(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, w] of this.#workers) if (!w.exited) out[name] = w.child.pid;
    return out;
  }

  async #start(name: string): Promise<Worker> {
    const port = freePort();
    const child = await spawnLogged(
      Deno.execPath(),
      [
        "run",
        "-A",
        "--quiet",
        join(ROOT, "local", "stack", "function_runner.ts"),
        join(FUNCTIONS_DIR, name, "index.ts"),
        String(port),
      ],
      join(this.opts.logDir, `function-${name}.log`),
      { ...readDotEnv(), ...this.opts.env, ...this.#envOverrides, SB_EXECUTION_ID: crypto.randomUUID() },
    );
    const w: Worker = { child, port, exited: false };
    child.status.then(() => (w.exited = true));
    await waitFor(
      async () => {
        if (w.exited) throw new Error(`function ${name} exited at start; see function-${name}.log`);
        const c = await Deno.connect({ hostname: "127.0.0.1", port }).catch(() => null);
        c?.close();
        return !!c;
      },
      `function ${name} to listen`,
      30000,
    );
    this.#workers.set(name, w);
    return w;
  }

  async #worker(name: string): Promise<Worker> {
    const w = this.#workers.get(name);
    if (w && !w.exited) return w;
    let p = this.#starting.get(name);
    if (!p) {
      p = this.#start(name).finally(() => this.#starting.delete(name));
      this.#starting.set(name, p);
    }
    return await p;
  }

  async handle(req: Request, name: string, rest: string): Promise<Response> {
    if (!/^[a-z0-9][a-z0-9_-]*$/.test(name) || name.startsWith("_")) {
      return json(404, { code: "NOT_FOUND", message: "Function not found" });
    }
    try {
      Deno.statSync(join(FUNCTIONS_DIR, name, "index.ts"));
    } catch {
      return json(404, { code: "NOT_FOUND", message: "Function not found" });
    }
    if (verifyJwtSetting(name)) {
      const auth = req.headers.get("authorization") ?? "";
      const token = auth.match(/^Bearer\s+(.+)$/i)?.[1];
      if (!token) return json(401, { code: 401, message: "Missing authorization header" });
      if (!(await verifyJwt(token, this.opts.jwtSecret))) return json(401, { code: 401, message: "Invalid JWT" });
    }
    const w = await this.#worker(name);
    const url = new URL(req.url);
    const target = `http://127.0.0.1:${w.port}/${name}${rest}${url.search}`;
    try {
      return await fetch(target, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        redirect: "manual",
      });
    } catch (e) {
      return json(502, { code: "BOOT_ERROR", message: `function ${name} failed: ${e}` });
    }
  }

  async stop(): Promise<void> {
    for (const w of this.#workers.values()) {
      if (w.exited) continue;
      try {
        w.child.kill("SIGTERM");
      } catch { /* gone */ }
    }
    await Promise.allSettled([...this.#workers.values()].map((w) => w.child.status));
    this.#workers.clear();
  }
}
