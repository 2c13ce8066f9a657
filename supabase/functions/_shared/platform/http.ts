/**
 * HTTP plumbing of the Edge Functions: JSON responses, a typed `HttpError`, request → Response
 * error mapping (`handle`), method checks and zod-validated JSON bodies.
 *
 * Error bodies have one shape everywhere: `{ error: <code>, reason: <why>, issues?: [{path, message}] }`,
 * e.g. `{"error":"unauthorized","reason":"secret_mismatch"}`. Unexpected errors become
 * `500 {"error":"internal_error","reason":"unexpected_error"}`: no message, stack or secret reaches
 * the client; the (redacted) error is logged.
 */
import type { z } from "zod";
import type { Logger } from "./log.ts";

/** Headers on every JSON response. */
const JSON_HEADERS = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" };

/** A JSON response. */
export function json(status: number, body: unknown, headers: HeadersInit = {}): Response {
  const h = new Headers(JSON_HEADERS);
  for (const [k, v] of new Headers(headers)) h.set(k, v);
  return new Response(JSON.stringify(body), { status, headers: h });
}

const DEFAULT_CODES: Record<number, string> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  422: "unprocessable_entity",
  429: "too_many_requests",
  500: "internal_error",
  502: "bad_gateway",
  503: "unavailable",
};

/** One problem of a request body: dotted path (`""` for the root) and message. */
export interface BodyIssue {
  path: string;
  message: string;
}

/**
 * An error meant for the client. `status` 4xx/5xx; `code` defaults from the status
 * (`bad_request`, `unauthorized`, …); `reason` is a short machine-readable why
 * (`invalid_json`, `secret_mismatch`); `issues` lists body validation problems.
 * Never put secrets or internal details into any of them.
 */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly reason: string;
  readonly issues?: BodyIssue[];
  readonly headers: Record<string, string>;
  constructor(
    status: number,
    reason: string,
    opts: { code?: string; issues?: BodyIssue[]; headers?: Record<string, string> } = {},
  ) {
    super(`${status} ${reason}`);
    this.name = "HttpError";
    this.status = status;
    this.code = opts.code ?? DEFAULT_CODES[status] ?? (status >= 500 ? "internal_error" : "bad_request");
    this.reason = reason;
    this.issues = opts.issues;
    this.headers = opts.headers ?? {};
  }

  /** The JSON body sent for this error. */
  toBody(): { error: string; reason: string; issues?: BodyIssue[] } {
    return this.issues ? { error: this.code, reason: this.reason, issues: this.issues } : {
      error: this.code,
      reason: this.reason,
    };
  }

  /** The response for this error. */
  toResponse(): Response {
    return json(this.status, this.toBody(), this.headers);
  }
}

/** Options of `handle`. */
export interface HandleOptions {
  /** Logger for unexpected errors (warn for 4xx HttpErrors is left to the caller). */
  log?: Logger;
}

/**
 * Wraps a handler: `HttpError` → its JSON response; anything else → logged (redacted), answered
 * with `500 {error:"internal_error", reason:"unexpected_error"}`. Use as `Deno.serve(handle(fn))`.
 */
export function handle(
  fn: (req: Request) => Response | Promise<Response>,
  opts: HandleOptions = {},
): (req: Request) => Promise<Response> {
  return async (req) => {
    try {
      return await fn(req);
    } catch (e) {
      if (e instanceof HttpError) {
        if (e.status >= 500) opts.log?.error("request failed", { status: e.status, reason: e.reason });
        return e.toResponse();
      }
      opts.log?.error("unexpected error", { error: e, method: req.method });
      return new HttpError(500, "unexpected_error").toResponse();
    }
  };
}

/** Throws 405 (with an `Allow` header) unless the request uses one of `methods`. */
export function requireMethod(req: Request, ...methods: string[]): void {
  const allowed = methods.map((m) => m.toUpperCase());
  if (!allowed.includes(req.method.toUpperCase())) {
    throw new HttpError(405, "method_not_allowed", { headers: { allow: allowed.join(", ") } });
  }
}

/** Options of `parseJsonBody`. */
export interface ParseBodyOptions {
  /** Largest body accepted, in bytes (default 64 KiB); more → 413. */
  maxBytes?: number;
  /** Treat an empty body as `{}` (the doorbell may post nothing). Default false: empty → `invalid_json`. */
  emptyAsObject?: boolean;
}

/** Formats zod issues as `[{path: "a.b.0", message}]`. */
export function zodIssues(error: z.ZodError): BodyIssue[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));
}

async function readLimited(req: Request, maxBytes: number): Promise<string> {
  const declared = Number(req.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > maxBytes) throw new HttpError(413, "body_too_large");
  if (!req.body) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => {});
        throw new HttpError(413, "body_too_large");
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  const all = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    all.set(c, off);
    off += c.byteLength;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(all);
  } catch {
    throw new HttpError(400, "invalid_utf8");
  }
}

/**
 * Reads a JSON body and validates it with `schema`.
 * 415 `unsupported_media_type` unless the content type is JSON (a missing content type is accepted),
 * 413 `body_too_large`, 400 `invalid_json`, 400 `invalid_body` with `issues` from zod.
 */
export async function parseJsonBody<S extends z.ZodType>(
  req: Request,
  schema: S,
  opts: ParseBodyOptions = {},
): Promise<z.output<S>> {
  const ct = req.headers.get("content-type");
  if (ct !== null && !/^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i.test(ct.trim())) {
    throw new HttpError(415, "expected_application_json");
  }
  const text = await readLimited(req, opts.maxBytes ?? 64 * 1024);
  let data: unknown;
  if (text.trim() === "") {
    if (!opts.emptyAsObject) throw new HttpError(400, "invalid_json");
    data = {};
  } else {
    try {
      data = JSON.parse(text);
    } catch {
      throw new HttpError(400, "invalid_json");
    }
  }
  const r = schema.safeParse(data);
  if (!r.success) throw new HttpError(400, "invalid_body", { issues: zodIssues(r.error) });
  return r.data;
}
