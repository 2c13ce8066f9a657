/**
 * Structured JSON-line logger: one line per decision, with the ids that let an operator follow a
 * payout (`fn`, `run_id`, `payout_id`, `transfer_id`, `stripe_transfer_id`, `idempotency_key`, …).
 *
 * Everything that goes out is redacted first:
 * - values under sensitive keys (`secret`, `password`, `token`, `authorization`, `cookie`, `key`,
 *   `api_key`, `signature`, `credential`, `jwt`, `db_url`, …; `idempotency_key` is an id, not a secret,
 *   and is kept);
 * - strings that look like secrets wherever they appear: Stripe keys (`sk_`/`rk_`/`pk_` live/test),
 *   webhook secrets (`whsec_`), JWTs, `Bearer …`, passwords in URLs (`postgres://u:pw@h`);
 * - any literal value passed in `redactValues` (e.g. the job secret).
 *
 * Errors are rendered as `{name, message, code?, status?, type?, request_id?}`, never with their
 * raw payload or headers. BigInts become strings; cycles and deep nesting are cut.
 */
import { envValue, readEnv } from "./env.ts";

/** Log levels in increasing severity. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Extra fields of a log line (ids, counts, outcomes). */
export type LogFields = Record<string, unknown>;

/** A logger bound to some base fields (`fn`, `run_id`, …). */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger with more base fields (e.g. `{ payout_id }` for one item of a batch). */
  child(fields: LogFields): Logger;
}

/** Options of `createLogger`. */
export interface LoggerOptions {
  /** Lines below this level are dropped (default `info`, or `LOG_LEVEL` when readable). */
  level?: LogLevel;
  /** Where lines go (default: console.log for debug/info, console.error for warn/error). */
  sink?: (line: string, level: LogLevel) => void;
  /** Clock for the `ts` field (default `Date.now`). */
  now?: () => number;
  /** Literal secret values to blank wherever they appear (values shorter than 8 chars are ignored). */
  redactValues?: string[];
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const REDACTED = "[REDACTED]";
const MAX_DEPTH = 6;
const MAX_STRING = 4000;

const SENSITIVE_PARTS = new Set([
  "secret",
  "password",
  "passwd",
  "pwd",
  "token",
  "authorization",
  "cookie",
  "key",
  "apikey",
  "signature",
  "credential",
  "credentials",
  "jwt",
  "bearer",
  "dsn",
]);
/** Keys that contain a sensitive word but hold an identifier. */
const SAFE_KEYS = new Set(["idempotency_key", "stripe_idempotency_key", "key_id", "public_key_id"]);
const SENSITIVE_COMPOUNDS = ["db_url", "database_url", "connection_string", "conn_string"];

function normalizeKey(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/[-.\s]+/g, "_").toLowerCase();
}

/** Field names repeat on every line: each is judged once per isolate (bounded, so odd keys cannot grow it). */
const keyVerdicts = new Map<string, boolean>();

/** True when a field name suggests a secret (`STRIPE_SECRET_KEY`, `authorization`, `jobToken`, …). */
export function isSensitiveKey(key: string): boolean {
  let v = keyVerdicts.get(key);
  if (v === undefined) {
    v = judgeKey(key);
    if (keyVerdicts.size < 1_000) keyVerdicts.set(key, v);
  }
  return v;
}

function judgeKey(key: string): boolean {
  const k = normalizeKey(key);
  if (SAFE_KEYS.has(k) || k.endsWith("_idempotency_key")) return false;
  if (SENSITIVE_COMPOUNDS.some((c) => k === c || k.endsWith(`_${c}`))) return true;
  return k.split("_").some((part) => SENSITIVE_PARTS.has(part));
}

const VALUE_PATTERNS: Array<[RegExp, string | ((m: string, ...g: string[]) => string)]> = [
  // Stripe API keys (secret, restricted, publishable); keep the kind for debugging.
  [/\b(sk|rk|pk)_(live|test)_[A-Za-z0-9_]+/g, (_m, kind, mode) => `${kind}_${mode}_${REDACTED}`],
  // Webhook signing secrets.
  [/\bwhsec_[A-Za-z0-9+/=_]+/g, `whsec_${REDACTED}`],
  // JWTs (header.payload.signature, base64url; the header always starts with eyJ).
  [/\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, REDACTED],
  // Authorization schemes.
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, (_m, scheme) => `${scheme} ${REDACTED}`],
  // Passwords in URLs: scheme://user:password@host
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+):[^\s@/]+@/gi, (_m, prefix) => `${prefix}:${REDACTED}@`],
];

/**
 * Whether a string may hold what VALUE_PATTERNS redact: one cheap test, so that the ids, amounts and
 * codes that make up most log fields skip the replacements (a payout run logs a line per tranche).
 */
const MAY_HOLD_SECRET = /[sr]k_|pk_|whsec_|eyJ|bearer|basic|:\/\//i;

/** Redacts secret-looking substrings (and the given literal values) in a string. */
export function redactString(value: string, literals: readonly string[] = []): string {
  let out = value;
  for (const lit of literals) {
    if (lit && lit.length >= 8 && out.includes(lit)) out = out.split(lit).join(REDACTED);
  }
  if (MAY_HOLD_SECRET.test(out)) {
    for (const [re, rep] of VALUE_PATTERNS) {
      // deno-lint-ignore no-explicit-any
      out = out.replace(re, rep as any);
    }
  }
  return out.length > MAX_STRING ? `${out.slice(0, MAX_STRING)}…[truncated]` : out;
}

function renderError(e: Error, literals: readonly string[]): Record<string, unknown> {
  const x = e as Error & Record<string, unknown>;
  const out: Record<string, unknown> = { name: e.name, message: redactString(String(e.message ?? ""), literals) };
  // Stripe SDK errors and postgres.js errors carry these; never `raw`, `headers`, `detail`.
  for (
    const [from, to] of [
      ["code", "code"],
      ["type", "type"],
      ["statusCode", "status"],
      ["status", "status"],
      ["requestId", "request_id"],
      ["rawType", "raw_type"],
      ["param", "param"],
      ["severity", "severity"],
      ["constraint_name", "constraint"],
    ] as const
  ) {
    const v = x[from];
    if ((typeof v === "string" || typeof v === "number") && out[to] === undefined) {
      out[to] = typeof v === "string" ? redactString(v, literals) : v;
    }
  }
  return out;
}

/** Deep-copies a value with secrets redacted (see the module doc). Safe to `JSON.stringify`. */
export function redact(value: unknown, literals: readonly string[] = [], depth = 0, seen = new WeakSet()): unknown {
  if (value === null || value === undefined) return value;
  switch (typeof value) {
    case "string":
      return redactString(value, literals);
    case "number":
    case "boolean":
      return value;
    case "bigint":
      return value.toString();
    case "function":
    case "symbol":
      return undefined;
  }
  if (value instanceof Error) return renderError(value, literals);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Headers) return redact(Object.fromEntries(value), literals, depth, seen);
  const obj = value as object;
  if (seen.has(obj)) return "[circular]";
  if (depth >= MAX_DEPTH) return "[too deep]";
  seen.add(obj);
  try {
    if (Array.isArray(obj)) return obj.slice(0, 100).map((v) => redact(v, literals, depth + 1, seen));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) {
      out[k] = isSensitiveKey(k) ? (v === null || v === undefined || v === "" ? v : REDACTED) : redact(
        v,
        literals,
        depth + 1,
        seen,
      );
    }
    return out;
  } finally {
    seen.delete(obj);
  }
}

function envLevel(): LogLevel {
  const r = envValue("LOG_LEVEL", readEnv(["LOG_LEVEL"]));
  return "value" in r ? r.value.toLowerCase() as LogLevel : "info";
}

function defaultSink(line: string, level: LogLevel): void {
  if (level === "warn" || level === "error") console.error(line);
  else console.log(line);
}

/**
 * Creates a JSON-line logger. Each line: `{ts, level, msg, ...base, ...fields}` (redacted);
 * `ts` is ISO-8601. Base fields typically are `{ fn: "process-payout-schedules", run_id }`.
 * A logging failure never throws into the caller.
 */
export function createLogger(base: LogFields = {}, opts: LoggerOptions = {}): Logger {
  const min = LEVELS[opts.level ?? envLevel()];
  const sink = opts.sink ?? defaultSink;
  const now = opts.now ?? Date.now;
  const literals = (opts.redactValues ?? []).filter((v) => typeof v === "string" && v.length >= 8);
  const make = (bound: LogFields): Logger => {
    // a child's bound fields are the same on each of its lines: redacted once
    let boundRedacted: Record<string, unknown> | undefined;
    const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
      if (LEVELS[level] < min) return;
      try {
        boundRedacted ??= redact(bound, literals) as Record<string, unknown>;
        const body = fields
          ? { ...boundRedacted, ...redact(fields, literals) as Record<string, unknown> }
          : { ...boundRedacted };
        delete body.ts;
        delete body.level;
        delete body.msg;
        const line = JSON.stringify({
          ts: new Date(now()).toISOString(),
          level,
          msg: redactString(msg, literals),
          ...body,
        });
        sink(line, level);
      } catch {
        try {
          sink(
            JSON.stringify({ level: "error", msg: "log line could not be rendered", original_msg: "[dropped]" }),
            "error",
          );
        } catch { /* nothing left to do */ }
      }
    };
    return {
      debug: (m, f) => emit("debug", m, f),
      info: (m, f) => emit("info", m, f),
      warn: (m, f) => emit("warn", m, f),
      error: (m, f) => emit("error", m, f),
      child: (f) => make({ ...bound, ...f }),
    };
  };
  return make(base);
}
