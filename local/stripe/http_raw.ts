/**
 * Minimal HTTP/1.1 server on raw TCP (Deno.listen), one request per connection
 * (`Connection: close`). Owning the socket lets a handler return DROP: the connection is
 * closed without a single response byte, which clients see as a network error - the
 * "request executed, response lost" case that Deno.serve cannot produce.
 */

export const DROP: unique symbol = Symbol("drop");

export interface RawRequest {
  method: string;
  path: string;
  query: string;
  headers: Headers;
  body: Uint8Array;
  remoteHostname: string;
  /** Aborted when the server closes; long waits in handlers should honor it. */
  signal: AbortSignal;
}

export interface RawResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export type RawHandler = (req: RawRequest) => Promise<RawResponse | typeof DROP>;

export interface RawServer {
  port: number;
  hostname: string;
  close(): Promise<void>;
}

const MAX_HEAD = 64 * 1024;
const MAX_BODY = 10 * 1024 * 1024;

const REASONS: Record<number, string> = {
  100: "Continue",
  200: "OK",
  204: "No Content",
  400: "Bad Request",
  401: "Unauthorized",
  402: "Payment Required",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Payload Too Large",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

class Reader {
  private buf = new Uint8Array(0);
  private readonly chunk = new Uint8Array(16 * 1024);
  constructor(private readonly conn: Deno.Conn) {}

  private async fill(): Promise<boolean> {
    const n = await this.conn.read(this.chunk);
    if (n === null) return false;
    const next = new Uint8Array(this.buf.length + n);
    next.set(this.buf);
    next.set(this.chunk.subarray(0, n), this.buf.length);
    this.buf = next;
    return true;
  }

  /** Bytes up to (excluding) `\r\n`, or null on EOF before any byte. */
  async line(limit: number): Promise<string | null> {
    for (;;) {
      for (let i = 0; i + 1 < this.buf.length; i++) {
        if (this.buf[i] === 13 && this.buf[i + 1] === 10) {
          const s = new TextDecoder("latin1").decode(this.buf.subarray(0, i));
          this.buf = this.buf.subarray(i + 2);
          return s;
        }
      }
      if (this.buf.length > limit) throw new HttpError(431, "header line too long");
      if (!(await this.fill())) {
        if (this.buf.length === 0) return null;
        throw new HttpError(400, "unexpected end of request");
      }
    }
  }

  async exact(n: number): Promise<Uint8Array> {
    while (this.buf.length < n) {
      if (!(await this.fill())) throw new HttpError(400, "unexpected end of body");
    }
    const out = this.buf.slice(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
}

interface Head {
  method: string;
  target: string;
  headers: Headers;
}

async function readHead(r: Reader): Promise<Head | null> {
  let requestLine = await r.line(MAX_HEAD);
  while (requestLine === "") requestLine = await r.line(MAX_HEAD); // tolerate leading CRLF
  if (requestLine === null) return null;
  const m = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/.exec(requestLine);
  if (!m) throw new HttpError(400, "bad request line");
  const headers = new Headers();
  let size = requestLine.length;
  for (;;) {
    const line = await r.line(MAX_HEAD);
    if (line === null) throw new HttpError(400, "unexpected end of headers");
    if (line === "") break;
    size += line.length;
    if (size > MAX_HEAD) throw new HttpError(431, "headers too large");
    const colon = line.indexOf(":");
    if (colon <= 0) throw new HttpError(400, "bad header line");
    try {
      headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    } catch {
      throw new HttpError(400, "bad header");
    }
  }
  return { method: m[1], target: m[2], headers };
}

async function readBody(r: Reader, headers: Headers, write: (s: string) => Promise<void>): Promise<Uint8Array> {
  if (headers.get("expect")?.toLowerCase() === "100-continue") await write("HTTP/1.1 100 Continue\r\n\r\n");
  if (headers.get("transfer-encoding")?.toLowerCase().includes("chunked")) {
    const parts: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const sizeLine = await r.line(1024);
      if (sizeLine === null) throw new HttpError(400, "unexpected end of chunked body");
      const size = parseInt(sizeLine.split(";")[0].trim(), 16);
      if (!Number.isFinite(size) || size < 0) throw new HttpError(400, "bad chunk size");
      if (size === 0) {
        while ((await r.line(MAX_HEAD)) !== "") { /* trailers */ }
        break;
      }
      total += size;
      if (total > MAX_BODY) throw new HttpError(413, "body too large");
      parts.push(await r.exact(size));
      await r.exact(2);
    }
    const out = new Uint8Array(total);
    let off = 0;
    for (const p of parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  }
  const len = Number(headers.get("content-length") ?? "0");
  if (!Number.isInteger(len) || len < 0) throw new HttpError(400, "bad content-length");
  if (len > MAX_BODY) throw new HttpError(413, "body too large");
  return len ? await r.exact(len) : new Uint8Array(0);
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await conn.write(data.subarray(off));
}

export function serializeResponse(res: RawResponse): Uint8Array {
  const body = new TextEncoder().encode(res.body ?? "");
  let head = `HTTP/1.1 ${res.status} ${REASONS[res.status] ?? "Status"}\r\n`;
  const headers: Record<string, string> = { ...(res.headers ?? {}) };
  headers["content-length"] = String(body.length);
  headers["connection"] = "close";
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
  const headBytes = new TextEncoder().encode(head + "\r\n");
  const out = new Uint8Array(headBytes.length + body.length);
  out.set(headBytes);
  out.set(body, headBytes.length);
  return out;
}

export function serveRaw(opts: { port: number; hostname?: string }, handler: RawHandler): RawServer {
  const hostname = opts.hostname ?? "127.0.0.1";
  const listener = Deno.listen({ port: opts.port, hostname, transport: "tcp" });
  const abort = new AbortController();
  const reading = new Set<Deno.Conn>();
  const tasks = new Set<Promise<void>>();

  const closeConn = (conn: Deno.Conn) => {
    try {
      conn.close();
    } catch { /* already closed */ }
  };

  const handleConn = async (conn: Deno.Conn) => {
    const remote = conn.remoteAddr as Deno.NetAddr;
    const write = (s: string) => writeAll(conn, new TextEncoder().encode(s));
    reading.add(conn);
    try {
      const r = new Reader(conn);
      let req: RawRequest;
      try {
        const head = await readHead(r);
        if (!head) return;
        const body = await readBody(r, head.headers, write);
        const q = head.target.indexOf("?");
        req = {
          method: head.method,
          path: q < 0 ? head.target : head.target.slice(0, q),
          query: q < 0 ? "" : head.target.slice(q + 1),
          headers: head.headers,
          body,
          remoteHostname: remote.hostname,
          signal: abort.signal,
        };
      } catch (e) {
        if (e instanceof HttpError && !abort.signal.aborted) {
          await writeAll(conn, serializeResponse({ status: e.status, body: e.message })).catch(() => {});
        }
        return;
      } finally {
        reading.delete(conn);
      }
      let res: RawResponse | typeof DROP;
      try {
        res = await handler(req);
      } catch (e) {
        console.error("stripe stand-in: handler crashed", e);
        res = {
          status: 500,
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ error: { type: "api_error", message: "Stand-in internal error" } }),
        };
      }
      if (res === DROP) return; // close without a response
      await writeAll(conn, serializeResponse(res)).catch(() => {/* client went away (e.g. its timeout) */});
    } finally {
      closeConn(conn);
    }
  };

  const acceptLoop = (async () => {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch {
        return; // listener closed
      }
      const t: Promise<void> = handleConn(conn).catch(() => {}).finally(() => tasks.delete(t));
      tasks.add(t);
    }
  })();

  const addr = listener.addr as Deno.NetAddr;
  return {
    port: addr.port,
    hostname,
    async close() {
      abort.abort();
      try {
        listener.close();
      } catch { /* closed */ }
      await acceptLoop;
      for (const c of reading) closeConn(c); // idle / half-sent requests
      while (tasks.size) await Promise.allSettled([...tasks]);
    },
  };
}
