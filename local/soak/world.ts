// The soak's handle on the real stack: a throwaway test stack (own folder and ports) whose cluster
// runs with fsync and synchronous_commit on, as production does, and the clients the steps use:
// superuser SQL, the Stripe stand-in's control API, the job functions through the gateway, admin
// RPCs through PostgREST under a platform admin's JWT.
import postgres from "postgres";
import { logDir, ROOT, stackConfig } from "../stack/config.ts";
import { join } from "../stack/paths.ts";
import { type RunningStack, startStack } from "../stack/stack.ts";
import { userJwt } from "../tests/support.ts";

const PG_CTL = "/usr/lib/postgresql/15/bin/pg_ctl";

/** The events catch-up job (issue 13, built on its own branch): the soak uses it once it exists. */
export const CATCH_UP_FUNCTION = "stripe-events-catch-up";
export const catchUpExists = (): boolean => {
  try {
    return Deno.statSync(join(ROOT, "supabase", "functions", CATCH_UP_FUNCTION)).isDirectory;
  } catch {
    return false;
  }
};

/** Errors of a connection cut by a database restart: the call is repeated once the server is back. */
export function isConnectionError(e: unknown): boolean {
  const code = (e as { code?: string })?.code ?? "";
  const msg = e instanceof Error ? e.message : String(e);
  return ["57P01", "57P02", "57P03", "08006", "08001", "08003", "08000", "ECONNREFUSED", "ECONNRESET",
    "CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECTION_DESTROYED"].includes(code) ||
    /connection|ECONNREFUSED|terminating|shutting down|starting up|recovery/i.test(msg);
}

export interface FnResult {
  status: number;
  body: Record<string, unknown>;
}

export class World {
  readonly sql: postgres.Sql;
  readonly env: Record<string, string>;
  #adminJwt = "";
  adminUserId = "";

  private constructor(readonly stack: RunningStack, readonly stateDir: string) {
    this.env = stack.env;
    this.sql = postgres(stack.env.SUPABASE_DB_URL, { max: 4, onnotice: () => {}, prepare: false, connect_timeout: 10 });
  }

  /** Starts the stack and prepares it for a soak (see docs/soak.md, "The stack"). */
  static async start(): Promise<World> {
    const stateDir = await Deno.makeTempDir({ prefix: "payouts-soak-" });
    await Deno.chmod(stateDir, 0o755);
    const stack = await startStack(stackConfig("test", stateDir), { seed: "never" });
    // The test helpers (fixtures, stand-in control) read the stack from the environment.
    for (const [k, v] of Object.entries(stack.env)) Deno.env.set(k, v);
    const w = new World(stack, stateDir);
    try {
      await w.prepare();
    } catch (e) {
      await w.stop(true);
      throw e;
    }
    return w;
  }

  get logDir(): string {
    return logDir(this.stack.config);
  }

  get dataDir(): string {
    return join(this.stateDir, "db");
  }

  async prepare(): Promise<void> {
    const sql = this.sql;
    // Production durability: an immediate stop must not lose an acknowledged commit.
    await sql`alter system set fsync = on`;
    await sql`alter system set synchronous_commit = on`;
    await sql`select pg_reload_conf()`;
    // Durations the product waits on, shortened so that crossing them costs seconds of wall time
    // (the functions read the database's clock, which the soak cannot move): retry backoff,
    // the stale-heartbeat rule, the settlement buffer.
    await sql`select private.configure_payout_settings(
      p_settlement_buffer => interval '0', p_retry_base_delay => interval '1 second',
      p_retry_max_delay => interval '4 seconds', p_invocation_stale_after => interval '4 seconds',
      p_reason => 'soak: short waits')`;
    // The settle delay stays above the stand-in's longest latency fault (2.5 s).
    await this.stack.functions.setEnv({ PAYOUT_HEARTBEAT_MS: "1000", PAYOUT_DEFER_SECONDS: "1", PAYOUT_RECONCILE_SETTLE_SECONDS: "6" });
    // The stand-in delivers its signed events to the product's webhook endpoint.
    await this.standin("POST", "/_standin/webhooks/config", { url: this.webhookUrl, auto: true });
    // A platform admin for the admin RPCs (PostgREST, RLS, JWT claims as hosted).
    const email = "soak-admin@test.invalid";
    const [u] = await sql<{ id: string }[]>`
      insert into auth.users (id, email, aud, role) values (gen_random_uuid(), ${email}, 'authenticated', 'authenticated')
      returning id`;
    await sql`select private.bootstrap_platform_admin(${email})`;
    this.adminUserId = u.id;
    this.#adminJwt = await userJwt(u.id, email);
  }

  get webhookUrl(): string {
    return `${this.env.SUPABASE_URL}/functions/v1/stripe-webhook`;
  }

  /** A superuser query, repeated across a database restart. */
  async q<T = Record<string, unknown>[]>(
    fn: (sql: postgres.Sql) => Promise<T>,
    timeoutMs = 60_000,
  ): Promise<T> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await fn(this.sql);
      } catch (e) {
        if (!isConnectionError(e) || Date.now() > until) throw e;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  /** The stand-in's control API; throws on non-2xx. */
  async standin<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.env.STRIPE_API_BASE}${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`stand-in ${method} ${path} -> ${res.status}: ${text}`);
    return (text ? JSON.parse(text) : {}) as T;
  }

  /** A read of the Stripe API itself (as the functions read it). */
  async stripeGet<T = Record<string, unknown>>(path: string): Promise<T> {
    const res = await fetch(`${this.env.STRIPE_API_BASE}${path}`, {
      headers: { authorization: `Bearer ${this.env.STRIPE_SECRET_KEY}` },
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`stripe GET ${path} -> ${res.status}: ${text}`);
    return JSON.parse(text) as T;
  }

  /** POST /functions/v1/<name> with the job secret, as the doorbells ring them. */
  async callFunction(name: string, body: unknown = { trigger: "manual" }): Promise<FnResult> {
    const res = await fetch(`${this.env.SUPABASE_URL}/functions/v1/${name}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-job-secret": this.env.PAYOUT_JOB_SECRET },
      body: JSON.stringify(body),
    }).catch((e) => ({ status: 0, text: () => Promise.resolve(String(e)) }));
    const text = await res.text();
    let parsed: Record<string, unknown>;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = { raw: text.slice(0, 300) };
    }
    return { status: res.status, body: parsed };
  }

  /**
   * An admin RPC through PostgREST (the platform admin's JWT); the answer, or the error. An action
   * that needs a second admin (four-eyes: 428, PT428) is requested through the API and, the soak
   * having one admin, executed by break glass as postgres (docs/operator-safety.md), as an
   * operator alone would.
   */
  async adminRpc(name: string, args: Record<string, unknown> = {}): Promise<{ ok: boolean; status: number; body: unknown }> {
    const res = await this.#adminRpcOnce(name, args);
    if (res.status !== 428) return res;
    const req = await this.#adminRpcOnce("request_admin_action", { p_action: name, p_args: args });
    const id = (req.body as { id?: string } | null)?.id;
    if (!req.ok || !id) return req;
    try {
      const [row] = await this.q((sql) =>
        sql<{ result: unknown }[]>`select result from private.break_glass_admin_action(${id}::uuid, 'soak: one admin')`
      );
      return { ok: true, status: 200, body: row?.result ?? null };
    } catch (e) {
      return { ok: false, status: 409, body: String(e) };
    }
  }

  async #adminRpcOnce(name: string, args: Record<string, unknown>): Promise<{ ok: boolean; status: number; body: unknown }> {
    const res = await fetch(`${this.env.SUPABASE_URL}/rest/v1/rpc/${name}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        apikey: this.env.SUPABASE_ANON_KEY,
        authorization: `Bearer ${this.#adminJwt}`,
      },
      body: JSON.stringify(args),
    }).catch((e) => ({ ok: false, status: 0, text: () => Promise.resolve(String(e)) }));
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch { /* text */ }
    return { ok: res.ok, status: res.status, body };
  }

  /** Pid of the newest live worker of a function, if any. */
  workerPid(name: string): number | undefined {
    return this.stack.functions.pids()[name];
  }

  /** Postgres stopped with `-m immediate` (every backend killed, crash recovery on start) and started. */
  async crashPostgres(): Promise<void> {
    const log = join(this.logDir, "postgres.log");
    await pgCtl(["-D", this.dataDir, "-m", "immediate", "-w", "-t", "60", "stop"]);
    await pgCtl(["-D", this.dataDir, "-l", log, "-w", "-t", "60", "start"]);
  }

  async stop(keep: boolean): Promise<void> {
    await this.sql.end({ timeout: 2 }).catch(() => {});
    await this.stack.stop();
    if (!keep) await Deno.remove(this.stateDir, { recursive: true }).catch(() => {});
  }
}

async function pgCtl(args: string[]): Promise<void> {
  const out = await new Deno.Command("runuser", {
    args: ["-u", "postgres", "--", PG_CTL, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`pg_ctl ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
}
