/**
 * Local stand-in for the pg_net background worker.
 *
 * The real pg_net runs a libcurl loop inside Postgres. Here the SQL side comes
 * from local/bootstrap/40_pg_net.sql (same objects as pg_net) and this process
 * does the worker's job:
 *
 *   1. wake up on NOTIFY "pg_net_wake" (sent by net.wake(), i.e. by every
 *      net.http_* call, delivered only when the calling transaction commits)
 *      and also poll every `pollMs` for committed queue rows;
 *   2. in one transaction per batch: claim up to `batchSize` rows with
 *      `delete ... where id in (select ... for update skip locked) returning`,
 *      perform those requests concurrently, insert one net._http_response row per
 *      request (same id), commit. Several batches (`maxBatches`, one connection
 *      each) may be in flight, so a slow request only delays its batch-mates;
 *      SKIP LOCKED means two workers never claim the same row. As in pg_net, the
 *      claim and the responses commit together: if the worker dies mid-batch the
 *      rows go back to the queue and are sent again (at-least-once).
 *
 * Response rows follow pg_net (src/core.c): on an HTTP response status_code,
 * content_type (null when absent), headers (jsonb object), content (text, null
 * when the body is empty), timed_out=false, error_msg=null; on a failure
 * status_code/headers/content null, timed_out, and error_msg = libcurl's
 * curl_easy_strerror() text ("Couldn't connect to server", ...) or, on timeout,
 * pg_net's "Timeout of N ms reached. Total time: ..." message.
 *
 * Logs are JSON lines. Header values, bodies and query strings are never
 * logged (they carry secrets): urls are logged as origin + path only.
 *
 * Usage as a script:
 *   npx deno run -A local/stack/pg_net_worker.ts --db-url postgres://postgres@127.0.0.1:54322/postgres
 *   (options: --poll-ms 200 --batch-size 50 --max-batches 4 --log-level info|debug|warn|error|silent)
 * Stops cleanly on SIGINT / SIGTERM.
 */
import postgres from "postgres";

/** pg_net version whose SQL API / behaviour is mimicked (User-Agent, application_name). */
export const PG_NET_VERSION = "0.20.0";
/** NOTIFY channel used by net.wake() in 40_pg_net.sql. */
export const WAKE_CHANNEL = "pg_net_wake";
/** application_name of the worker's sessions; net.check_worker_is_up() looks for it. */
export const WORKER_APPLICATION_NAME = `pg_net ${PG_NET_VERSION} worker (local stand-in)`;

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

export interface PgNetWorkerOptions {
  /** postgres:// connection url (the role must be able to use schema net). */
  dbUrl: string;
  /** Aborting this signal stops the worker (same as calling stop()). */
  signal?: AbortSignal;
  /** Poll interval in ms when no NOTIFY arrives (default 200). */
  pollMs?: number;
  /** Max queue rows claimed per transaction (default 50). */
  batchSize?: number;
  /** Max batches (transactions / connections) in flight at once (default 4). */
  maxBatches?: number;
  /** Minimum level logged (default "info"). */
  logLevel?: LogLevel;
  /** Sink for JSON log lines (default: console.log). */
  log?: (line: string) => void;
  /** On stop(), requests still running after this many ms are aborted (default 10000). */
  stopGraceMs?: number;
}

export interface PgNetWorker {
  /** Resolves once LISTEN is active (polling works regardless); rejects if it failed. */
  ready: Promise<void>;
  /** Stop claiming, let in-flight batches finish, close connections. Idempotent. */
  stop(): Promise<void>;
}

interface QueueRow {
  id: string; // int8 arrives as string
  method: string;
  url: string;
  header_pairs: [string, string | null][];
  body: Uint8Array | null;
  timeout_milliseconds: number;
}

interface ResponseRecord {
  status_code: number | null;
  content_type: string | null;
  headers: Record<string, string> | null;
  content: string | null;
  timed_out: boolean;
  error_msg: string | null;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

// libcurl's curl_easy_strerror() texts used by pg_net for non-timeout failures.
const CURL_MSG = {
  couldntConnect: "Couldn't connect to server",
  couldntResolveHost: "Couldn't resolve host name",
  unsupportedProtocol: "Unsupported protocol",
  urlMalformat: "URL using bad/illegal format or missing URL",
  gotNothing: "Empty reply from server",
  recvError: "Failure when receiving data from the peer",
  sslConnect: "SSL connect error",
  peerFailedVerification: "SSL peer certificate or SSH remote key was not OK",
  tooManyRedirects: "Number of redirects hit maximum amount",
  abortedByCallback: "Operation was aborted by an application callback",
} as const;

/** Strip query string, fragment and credentials: safe to log. */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    return `${u.protocol}//${u.host}${u.pathname}${u.search ? "?<redacted>" : ""}`;
  } catch {
    return "<unparseable url>";
  }
}

/** Remove query strings / credentials from free text (e.g. runtime error messages). */
function redactText(text: string): string {
  return text
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s@)]*@/gi, "$1<redacted>@")
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s?#)]*)[?#][^\s)]*/gi, "$1?<redacted>");
}

function errorText(err: unknown): string {
  const parts: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; cur !== undefined && cur !== null && depth < 5; depth++) {
    if (cur instanceof Error) {
      parts.push(`${cur.name}: ${cur.message}`);
      const code = (cur as { code?: unknown }).code;
      if (typeof code === "string") parts.push(code);
      cur = (cur as { cause?: unknown }).cause;
    } else {
      parts.push(String(cur));
      break;
    }
  }
  return parts.join(" | ");
}

/** Map a fetch failure onto the libcurl error text pg_net would have stored. */
export function curlErrorMessage(err: unknown): string {
  const t = errorText(err);
  if (/connection refused|ECONNREFUSED|os error 111|are blocked/i.test(t)) return CURL_MSG.couldntConnect;
  if (/dns error|failed to lookup|name or service not known|no address associated|ENOTFOUND|EAI_/i.test(t)) {
    return CURL_MSG.couldntResolveHost;
  }
  if (/certificate|UnknownIssuer|NotValidForName|invalid peer/i.test(t)) return CURL_MSG.peerFailedVerification;
  if (/\btls\b|\bssl\b|handshake/i.test(t)) return CURL_MSG.sslConnect;
  if (/connection closed before message completed|IncompleteMessage/i.test(t)) return CURL_MSG.gotNothing;
  if (/redirect/i.test(t)) return CURL_MSG.tooManyRedirects;
  if (/invalid url/i.test(t)) return CURL_MSG.urlMalformat;
  if (
    /unreachable|os error 101|os error 113|os error 110|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|tcp connect error/i.test(t)
  ) {
    return CURL_MSG.couldntConnect;
  }
  return CURL_MSG.recvError;
}

/** pg_net's timeout message (src/errors.c). fetch() exposes no per-phase timings: all time is reported as HTTP time. */
export function timeoutMessage(timeoutMs: number, totalMs: number): string {
  const f = (n: number) => n.toFixed(6);
  return `Timeout of ${timeoutMs} ms reached. Total time: ${f(totalMs)} ms ` +
    `(DNS time: ${f(0)} ms, TCP/SSL handshake time: ${f(0)} ms, HTTP Request/Response time: ${f(totalMs)} ms)`;
}

function failure(error_msg: string, timed_out = false): ResponseRecord {
  return { status_code: null, content_type: null, headers: null, content: null, timed_out, error_msg };
}

/** Perform one queued request the way pg_net's curl handle would. Never throws. */
async function performRequest(
  row: QueueRow,
  shutdown: AbortSignal,
  log: (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void,
): Promise<ResponseRecord> {
  const method = row.method.toUpperCase();
  if (method !== "GET" && method !== "POST" && method !== "DELETE") {
    return failure(`Unsupported request method ${row.method}`);
  }

  let url: URL;
  try {
    url = new URL(row.url);
  } catch {
    return failure(CURL_MSG.urlMalformat);
  }
  // pg_net restricts curl to http and https (fetch would also do file:, data:, blob:)
  if (url.protocol !== "http:" && url.protocol !== "https:") return failure(CURL_MSG.unsupportedProtocol);

  const headers = new Headers();
  for (const [name, value] of row.header_pairs) {
    if (value === null) continue; // pg_net builds "name: value" lines; null makes the line null -> skipped
    try {
      headers.append(name, value);
    } catch {
      log("warn", "skipping header with invalid name or value", { id: row.id, header: name.slice(0, 64) });
    }
  }
  if (!headers.has("user-agent")) headers.set("user-agent", `pg_net/${PG_NET_VERSION}`);

  let body: Uint8Array<ArrayBuffer> | undefined;
  if (row.body !== null) {
    if (method === "GET") {
      // curl can send a GET body, fetch cannot. Not reachable through net.http_get().
      log("warn", "dropping body of GET request (unsupported by fetch)", { id: row.id });
    } else {
      body = new Uint8Array(row.body); // copy out of the driver's Buffer
      // libcurl's default for POSTFIELDS without an explicit Content-Type
      if (!headers.has("content-type")) headers.set("content-type", "application/x-www-form-urlencoded");
    }
  } else if (method === "POST") {
    body = new Uint8Array(0); // CURLOPT_POST with POSTFIELDSIZE 0
  }

  const controller = new AbortController();
  let timedOut = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  if (row.timeout_milliseconds > 0) { // curl: 0 means no timeout
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new DOMException("timeout", "TimeoutError"));
    }, row.timeout_milliseconds);
  }
  const onShutdown = () => controller.abort(new DOMException("worker stopping", "AbortError"));
  if (shutdown.aborted) onShutdown();
  else shutdown.addEventListener("abort", onShutdown, { once: true });

  const started = performance.now();
  try {
    const res = await fetch(url, { method, headers, body, redirect: "follow", signal: controller.signal });
    const buf = new Uint8Array(await res.arrayBuffer());
    let text = new TextDecoder("utf-8").decode(buf);
    const nul = text.indexOf("\0"); // pg_net stores the body as a C string
    if (nul >= 0) text = text.slice(0, nul);
    const resHeaders: Record<string, string> = {};
    res.headers.forEach((value, name) => {
      resHeaders[name] = value;
    });
    return {
      status_code: res.status,
      content_type: res.headers.get("content-type"),
      headers: resHeaders,
      content: text === "" ? null : text,
      timed_out: false,
      error_msg: null,
    };
  } catch (err) {
    const elapsed = performance.now() - started;
    if (timedOut) return failure(timeoutMessage(row.timeout_milliseconds, elapsed), true);
    if (shutdown.aborted) return failure(CURL_MSG.abortedByCallback);
    const msg = curlErrorMessage(err);
    log("debug", "request failed", { id: row.id, error: msg, detail: redactText(errorText(err)) });
    return failure(msg);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    shutdown.removeEventListener("abort", onShutdown);
  }
}

/** Start a worker. Returns immediately; call stop() (or abort `signal`) to shut it down. */
export function startPgNetWorker(options: PgNetWorkerOptions): PgNetWorker {
  const pollMs = Math.max(10, options.pollMs ?? 200);
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 50));
  const maxBatches = Math.max(1, Math.floor(options.maxBatches ?? 4));
  const minLevel = LEVELS[options.logLevel ?? "info"];
  const sink = options.log ?? ((line: string) => console.log(line));
  const stopGraceMs = options.stopGraceMs ?? 10_000;

  const log = (level: LogLevel, msg: string, fields: Record<string, unknown> = {}) => {
    if (LEVELS[level] < minLevel) return;
    sink(JSON.stringify({ ts: new Date().toISOString(), level, component: "pg_net_worker", msg, ...fields }));
  };

  const sql = postgres(options.dbUrl, {
    max: maxBatches,
    onnotice: () => {},
    connection: { application_name: WORKER_APPLICATION_NAME },
    idle_timeout: 20,
    max_lifetime: null,
    connect_timeout: 10,
  });

  const shutdownController = new AbortController();
  const inflight = new Set<Promise<void>>();
  let stopping = false;
  let wakePending = false;
  let wakeWaiter: (() => void) | null = null;
  let stopPromise: Promise<void> | null = null;

  const wake = () => {
    wakePending = true;
    wakeWaiter?.();
  };

  const sleepUntilWake = (ms: number): Promise<void> => {
    if (wakePending || stopping) {
      wakePending = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        wakeWaiter = null;
        wakePending = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      wakeWaiter = done;
    });
  };

  // LISTEN (postgres.js keeps a dedicated connection and re-listens after reconnects).
  // If the first attempt fails (database down at start), it is retried by the loop.
  let unlisten: (() => Promise<void>) | null = null;
  let listening: Promise<void> | null = null;
  const listen = (): Promise<void> => {
    const attempt = Promise.resolve(
      sql.listen(WAKE_CHANNEL, () => wake(), () => log("debug", "listening", { channel: WAKE_CHANNEL })),
    ).then((req) => {
      unlisten = req.unlisten;
    });
    listening = attempt.catch((err) => {
      log("warn", "LISTEN failed, relying on polling", { error: redactText(errorText(err)) });
      listening = null;
    });
    return attempt;
  };
  const ready: Promise<void> = listen();
  ready.catch(() => {}); // reported above; callers awaiting `ready` still see the rejection

  /** Claim one batch; resolves with the number of claimed rows once the claim query returned. */
  const startBatch = (): Promise<number> =>
    new Promise<number>((resolveClaim, rejectClaim) => {
      let claimed = -1;
      const batch = sql.begin(async (tx) => {
        const rows = await tx<QueueRow[]>`
          delete from net.http_request_queue q
           where q.id in (
             select id from net.http_request_queue
              order by id
              limit ${batchSize}
                for update skip locked)
          returning q.id, q.method::text as method, q.url, q.body, q.timeout_milliseconds,
                    case when jsonb_typeof(q.headers) = 'object'
                         then coalesce((select jsonb_agg(jsonb_build_array(h.key, h.value))
                                          from jsonb_each_text(q.headers) h), '[]'::jsonb)
                         else '[]'::jsonb end as header_pairs`;
        claimed = rows.length;
        resolveClaim(claimed);
        if (rows.length === 0) return;
        log("debug", "claimed batch", { count: rows.length });

        const results = await Promise.allSettled(rows.map(async (row) => {
          const t0 = performance.now();
          const r = await performRequest(row, shutdownController.signal, log);
          await tx`
            insert into net._http_response (id, status_code, content_type, headers, content, timed_out, error_msg)
            values (${row.id}::bigint, ${r.status_code}::int, ${r.content_type}::text,
                    ${r.headers === null ? null : tx.json(r.headers)}::jsonb,
                    ${r.content}::text, ${r.timed_out}::bool, ${r.error_msg}::text)`;
          log(r.error_msg === null ? "info" : "warn", "request done", {
            id: row.id,
            method: row.method.toUpperCase(),
            url: redactUrl(row.url),
            status: r.status_code,
            timed_out: r.timed_out,
            error: r.error_msg,
            ms: Math.round(performance.now() - t0),
          });
        }));
        const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
        if (failed) throw failed.reason;
      });
      const tracked: Promise<void> = batch
        .then(() => undefined, (err) => {
          if (claimed < 0) rejectClaim(err);
          else {
            log("error", "batch failed and was rolled back; its requests return to the queue", {
              count: claimed,
              error: redactText(errorText(err)),
            });
          }
        })
        .finally(() => {
          inflight.delete(tracked);
          if (claimed > 0) wake(); // capacity freed and the queue may hold more
        });
      inflight.add(tracked);
    });

  const drain = async () => {
    while (!stopping && inflight.size < maxBatches) {
      const claimed = await startBatch();
      if (claimed < batchSize) return;
    }
  };

  const loop = async () => {
    let errorStreak = 0;
    while (!stopping) {
      try {
        await drain();
        if (errorStreak > 0) log("info", "database reachable again");
        if (listening === null && !stopping) void listen();
        errorStreak = 0;
        await sleepUntilWake(pollMs);
      } catch (err) {
        errorStreak++;
        if (errorStreak === 1 || errorStreak % 50 === 0) {
          log("error", "claiming requests failed", { error: redactText(errorText(err)), attempts: errorStreak });
        }
        await sleepUntilWake(Math.min(pollMs * 2 ** Math.min(errorStreak, 5), 5_000));
      }
    }
  };

  const target = (() => {
    try {
      const u = new URL(options.dbUrl);
      return `${u.hostname}:${u.port || "5432"}${u.pathname}`;
    } catch {
      return "<db>";
    }
  })();
  log("info", "pg_net worker started", { db: target, pollMs, batchSize, maxBatches, channel: WAKE_CHANNEL });
  const loopPromise = loop();

  const onAbort = () => void stop();

  function stop(): Promise<void> {
    if (stopPromise) return stopPromise;
    stopping = true;
    wake();
    stopPromise = (async () => {
      options.signal?.removeEventListener("abort", onAbort);
      await loopPromise;
      if (inflight.size > 0) {
        const grace = setTimeout(() => shutdownController.abort(), stopGraceMs);
        await Promise.allSettled([...inflight]);
        clearTimeout(grace);
      }
      await listening;
      if (unlisten) {
        try {
          await unlisten();
        } catch {
          // connection already gone: nothing to undo
        }
      }
      await sql.end({ timeout: 5 });
      log("info", "pg_net worker stopped");
    })();
    return stopPromise;
  }

  if (options.signal) {
    if (options.signal.aborted) void stop();
    else options.signal.addEventListener("abort", onAbort, { once: true });
  }

  return { ready, stop };
}

// ---------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------
function parseArgs(args: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith("--")) throw new Error(`unexpected argument: ${a}`);
    const eq = a.indexOf("=");
    if (eq > 0) out[a.slice(2, eq)] = a.slice(eq + 1);
    else if (a === "--help" || a === "-h") out.help = "1";
    else {
      const v = args[++i];
      if (v === undefined) throw new Error(`missing value for ${a}`);
      out[a.slice(2)] = v;
    }
  }
  return out;
}

const USAGE = `usage: npx deno run -A local/stack/pg_net_worker.ts --db-url postgres://user@host:port/db
  [--poll-ms 200] [--batch-size 50] [--max-batches 4] [--log-level debug|info|warn|error|silent]
  (--db-url defaults to $SUPABASE_DB_URL, then $DATABASE_URL)`;

if (import.meta.main) {
  let args: Record<string, string>;
  try {
    args = parseArgs(Deno.args);
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    Deno.exit(2);
  }
  if (args.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  const dbUrl = args["db-url"] ?? Deno.env.get("SUPABASE_DB_URL") ?? Deno.env.get("DATABASE_URL");
  if (!dbUrl) {
    console.error(`--db-url is required\n${USAGE}`);
    Deno.exit(2);
  }
  const num = (k: string) => (args[k] === undefined ? undefined : Number(args[k]));
  const level = (args["log-level"] ?? "info") as LogLevel;
  if (!(level in LEVELS)) {
    console.error(`invalid --log-level ${level}\n${USAGE}`);
    Deno.exit(2);
  }

  const worker = startPgNetWorker({
    dbUrl,
    pollMs: num("poll-ms"),
    batchSize: num("batch-size"),
    maxBatches: num("max-batches"),
    logLevel: level,
  });

  let signalled = false;
  const onSignal = () => {
    if (signalled) Deno.exit(130); // second signal: don't wait
    signalled = true;
    worker.stop().finally(() => {
      Deno.removeSignalListener("SIGINT", onSignal);
      Deno.removeSignalListener("SIGTERM", onSignal);
    });
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
}
