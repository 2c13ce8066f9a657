/**
 * The statement export (`statement-export`): CSV of a statement (public.my_statement, or
 * public.admin_recruiter_statement for an admin naming a recruiter), paged across requests.
 *
 * - The database decides what the caller gets: every page is a PostgREST call with the caller's
 *   own JWT, so a recruiter only ever gets their own lines and only an admin may name a recruiter.
 * - PostgREST formats the CSV (`Accept: text/csv`): the isolate only copies bytes and reads the
 *   last line's key, so its CPU per row is small (`npm run bench -- --only statement`).
 * - One request exports pages of `pageRows` lines (PostgREST's max-rows caps a page) while the
 *   budget allows (CPU stop line, wall clock) and up to `maxRows` lines, at least one page. When
 *   lines remain, the response carries a cursor (`x-statement-cursor`) for the next request.
 * - The cursor is the last exported line key, signed (HMAC-SHA-256) together with the caller's
 *   `sub` and the request's parameters: a cursor edited, or replayed by someone else or for other
 *   parameters, is refused (400 `bad_cursor`). Line keys are in time order and stable (docs/statements.md).
 */
import type { Budget } from "../platform/budget.ts";
import { HttpError } from "../platform/http.ts";

/** What a caller asks for. */
export interface ExportParams {
  from: string;
  to: string;
  currency: string;
  /** An admin's choice of recruiter; absent: the caller's own statement. */
  recruiterId?: string;
}

/** One page as PostgREST gave it: CSV text with its header line. */
export interface CsvPage {
  csv: string;
}

/** Fetches up to `limit` lines after `afterKey` (null: from the start), in line_key order. */
export type FetchPage = (params: ExportParams, afterKey: string | null, limit: number) => Promise<CsvPage>;

export interface ExportResult {
  /** The CSV of this response: the header line only on the first response. */
  body: string;
  rows: number;
  /** Signed cursor of the next request, or null when the statement is complete. */
  cursor: string | null;
  pages: number;
}

const KEY_RE = /^[0-9a-f]{54}$/;

/** The signing key, derived once per key material. */
const keys = new Map<string, Promise<CryptoKey>>();
function hmacKey(material: string): Promise<CryptoKey> {
  let k = keys.get(material);
  if (!k) {
    k = crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(`statement-export-cursor:v1:${material}`),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign", "verify"],
    );
    keys.set(material, k);
  }
  return k;
}

const b64url = (b: Uint8Array) =>
  btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
function fromB64url(s: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]+$/.test(s)) return null;
  try {
    const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - s.length % 4) % 4));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

const signed = (sub: string, p: ExportParams, afterKey: string) =>
  new TextEncoder().encode(JSON.stringify([sub, p.recruiterId ?? null, p.from, p.to, p.currency, afterKey]));

/** `<afterKey>.<mac>`: the last exported key, bound to the caller and the parameters. */
export async function signCursor(material: string, sub: string, p: ExportParams, afterKey: string): Promise<string> {
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(material), signed(sub, p, afterKey)));
  return `${afterKey}.${b64url(mac)}`;
}

/** The key a cursor carries, or 400 `bad_cursor` when it was not signed for this caller and parameters. */
export async function verifyCursor(material: string, sub: string, p: ExportParams, cursor: string): Promise<string> {
  const [afterKey, mac, extra] = cursor.split(".");
  const macBytes = mac === undefined ? null : fromB64url(mac);
  if (extra !== undefined || !KEY_RE.test(afterKey) || macBytes === null || macBytes.length !== 32) {
    throw new HttpError(400, "bad_cursor");
  }
  // crypto.subtle.verify compares in constant time
  const ok = await crypto.subtle.verify("HMAC", await hmacKey(material), macBytes, signed(sub, p, afterKey));
  if (!ok) throw new HttpError(400, "bad_cursor");
  return afterKey;
}

/** Splits a PostgREST CSV page into its header, its data lines (raw text) and the last line's key. */
export function splitPage(csv: string): { header: string; data: string; rows: number; lastKey: string | null } {
  const text = csv.endsWith("\n") ? csv.slice(0, -1) : csv;
  const nl = text.indexOf("\n");
  if (nl < 0) return { header: text, data: "", rows: 0, lastKey: null };
  const header = text.slice(0, nl);
  const data = text.slice(nl + 1);
  // every line starts with its key (54 hex digits, never quoted): counting lines is counting "\n"
  let rows = 1;
  for (let i = data.indexOf("\n"); i >= 0; i = data.indexOf("\n", i + 1)) rows++;
  const last = data.slice(data.lastIndexOf("\n") + 1);
  const lastKey = last.slice(0, 54);
  if (!KEY_RE.test(lastKey)) throw new Error("statement page: a line does not start with its key");
  return { header, data, rows, lastKey };
}

/**
 * One response's worth of pages after `afterKey`: pages while the budget allows and fewer than
 * `maxRows` lines were exported, at least one page (every request makes progress).
 */
export async function exportPages(opts: {
  params: ExportParams;
  afterKey: string | null;
  fetchPage: FetchPage;
  budget: Budget;
  pageRows: number;
  maxRows: number;
  /** Signs the cursor of the next request. */
  sign: (afterKey: string) => Promise<string>;
  /** Stop when less than this is left of the wall clock (ms). */
  marginMs?: number;
}): Promise<ExportResult> {
  const chunks: string[] = [];
  let after = opts.afterKey;
  let rows = 0;
  let pages = 0;
  let more = true;
  while (more) {
    const page = splitPage((await opts.fetchPage(opts.params, after, opts.pageRows)).csv);
    pages++;
    if (pages === 1 && opts.afterKey === null) chunks.push(page.header + "\n");
    if (page.rows > 0) chunks.push(page.data + "\n");
    rows += page.rows;
    after = page.lastKey ?? after;
    more = page.rows === opts.pageRows;
    if (rows >= opts.maxRows || opts.budget.shouldStop(opts.marginMs ?? 2_000)) break;
  }
  return { body: chunks.join(""), rows, pages, cursor: more && after !== null ? await opts.sign(after) : null };
}

/** The caller's `sub` from a JWT the gateway verified (verify_jwt = true); 401 when there is none. */
export function jwtSubject(authorization: string | null): { jwt: string; sub: string } {
  const m = /^Bearer ([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(authorization ?? "");
  const payload = m ? fromB64url(m[2]) : null;
  let sub: unknown;
  try {
    sub = payload ? JSON.parse(new TextDecoder().decode(payload)).sub : undefined;
  } catch {
    sub = undefined;
  }
  if (!m || typeof sub !== "string" || sub === "") throw new HttpError(401, "user_token_required");
  return { jwt: `${m[1]}.${m[2]}.${m[3]}`, sub };
}

/** PostgREST errors as the export's answer: the database's refusal with its SQLSTATE and message. */
export function postgrestError(status: number, body: string): HttpError {
  let e: { code?: string; message?: string } = {};
  try {
    e = JSON.parse(body);
  } catch { /* not JSON */ }
  const http = status >= 400 && status < 500 ? status : 502;
  return new HttpError(http, e.code ?? `postgrest_${status}`, {
    issues: e.message ? [{ path: "", message: e.message }] : undefined,
  });
}

/** A `FetchPage` over PostgREST as the caller (their JWT; the anon key as `apikey`). */
export function postgrestPages(apiUrl: string, anonKey: string, jwt: string): FetchPage {
  return async (p, afterKey, limit) => {
    const fn = p.recruiterId ? "admin_recruiter_statement" : "my_statement";
    const args: Record<string, string> = { p_from: p.from, p_to: p.to, p_currency: p.currency };
    if (p.recruiterId) args.p_recruiter_id = p.recruiterId;
    const q = new URLSearchParams({ order: "line_key.asc", limit: String(limit) });
    if (afterKey) q.set("line_key", `gt.${afterKey}`);
    const res = await fetch(`${apiUrl}/rest/v1/rpc/${fn}?${q}`, {
      method: "POST",
      headers: {
        apikey: anonKey,
        authorization: `Bearer ${jwt}`,
        "content-type": "application/json",
        accept: "text/csv",
      },
      body: JSON.stringify(args),
    });
    const text = await res.text();
    if (!res.ok) throw postgrestError(res.status, text);
    return { csv: text };
  };
}
