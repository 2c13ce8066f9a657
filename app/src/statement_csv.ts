// A statement as CSV, through the Edge Function statement-export (docs/statements.md) with the
// signed-in user's JWT: one request returns as many lines as its budget allows and a cursor when
// lines remain; the next request sends the cursor back and gets the following lines (no header).
export interface StatementPeriod {
  /** ISO times, [from, to) */
  from: string;
  to: string;
  currency: string;
}

export interface StatementCsv {
  csv: string;
  /** Data lines (the header not counted). */
  rows: number;
  /** Requests it took. */
  requests: number;
}

/** Requests at most: 20 000 lines each is a statement of millions of lines; a loop is a bug. */
const MAX_REQUESTS = 500;

/** The whole statement CSV, cursor after cursor. `maxRows` lowers the lines per request (tests). */
export async function fetchStatementCsv(
  opts: { apiUrl: string; anonKey: string; jwt: string; period: StatementPeriod; maxRows?: number },
  fetcher: typeof fetch = fetch,
): Promise<StatementCsv> {
  const chunks: string[] = [];
  let rows = 0;
  let cursor: string | null = null;
  for (let requests = 1; requests <= MAX_REQUESTS; requests++) {
    const res: Response = await fetcher(`${opts.apiUrl}/functions/v1/statement-export`, {
      method: "POST",
      headers: { "content-type": "application/json", apikey: opts.anonKey, authorization: `Bearer ${opts.jwt}` },
      body: JSON.stringify({
        ...opts.period,
        ...(cursor ? { cursor } : {}),
        ...(opts.maxRows ? { max_rows: opts.maxRows } : {}),
      }),
    });
    const text = await res.text();
    if (!res.ok) throw new FunctionError("statement-export", res.status, text);
    chunks.push(text);
    rows += Number(res.headers.get("x-statement-rows") ?? "0");
    cursor = res.headers.get("x-statement-cursor");
    if (!cursor) return { csv: chunks.join(""), rows, requests };
  }
  throw new Error(`statement-export still had lines after ${MAX_REQUESTS} requests`);
}

/** An Edge Function's refusal, with its JSON reason (PT400, 42501, bad_cursor …) as the code. */
export class FunctionError extends Error {
  code: string | null;
  constructor(fn: string, public status: number, body: string) {
    let reason: string | null = null;
    let message = body;
    try {
      const j = JSON.parse(body) as { reason?: unknown; error?: unknown; message?: unknown };
      reason = typeof j.reason === "string" ? j.reason : null;
      message = [j.error, j.message].filter((x) => typeof x === "string").join(": ") || body;
    } catch { /* not JSON: the text itself */ }
    super(`${fn} refused the request (HTTP ${status}): ${message}`);
    this.code = reason;
  }
}

/** CSV (PostgREST's: header line, then quoted fields where needed) into records by column name. */
export function parseCsv(csv: string): Record<string, string>[] {
  const lines: string[][] = [];
  let field = "";
  let line: string[] = [];
  let quoted = false;
  for (let i = 0; i < csv.length; i++) {
    const ch = csv[i];
    if (quoted) {
      if (ch === '"' && csv[i + 1] === '"') (field += '"', i++);
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") (line.push(field), field = "");
    else if (ch === "\n") (line.push(field), lines.push(line), line = [], field = "");
    else if (ch !== "\r") field += ch;
  }
  if (field !== "" || line.length) (line.push(field), lines.push(line));
  const [header, ...data] = lines;
  if (!header) return [];
  return data.map((cells) => Object.fromEntries(header.map((h, i) => [h, cells[i] ?? ""])));
}
