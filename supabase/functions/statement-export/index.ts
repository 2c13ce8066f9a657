// Statement export: CSV of the caller's statement (or, for a platform admin, of the recruiter they
// name), paged across requests with a signed cursor. verify_jwt = true: the gateway checked the
// caller's JWT, and every page is read through PostgREST with it, so the database decides what the
// caller gets. Thin wiring over _shared/statements/export.ts; docs/statements.md.
// POST {"from", "to", "currency", "recruiter_id"?, "cursor"?, "max_rows"?} → 200 text/csv; header
// x-statement-cursor when lines remain (send it back as "cursor"), x-statement-rows.
import { z } from "zod";
import { jobBudget } from "../_shared/platform/budget.ts";
import { statementExportEnv } from "../_shared/platform/env.ts";
import { serveFunction } from "../_shared/platform/function.ts";
import {
  exportPages,
  type ExportParams,
  jwtSubject,
  postgrestPages,
  signCursor,
  verifyCursor,
} from "../_shared/statements/export.ts";

/** PostgREST's max-rows (hosted default 1000) caps a page. */
const PAGE_ROWS = 1_000;
/** Lines per response at most (a busy recruiter's year is a few requests). */
const MAX_ROWS = 20_000;

const time = z.string().min(1).max(64).refine((s) => !Number.isNaN(Date.parse(s)), "must be a time");

Deno.serve(serveFunction({
  name: "statement-export",
  auth: "gateway",
  cors: { exposeHeaders: ["x-statement-cursor", "x-statement-rows"] },
  env: statementExportEnv,
  body: z.strictObject({
    from: time,
    to: time,
    currency: z.string().regex(/^[A-Z]{3}$/),
    recruiter_id: z.uuid().optional(),
    cursor: z.string().min(1).max(200).optional(),
    max_rows: z.number().int().min(1).max(MAX_ROWS).optional(),
  }),
  handler: async (req, { config, body, log }) => {
    const { jwt, sub } = jwtSubject(req.headers.get("authorization"));
    const params: ExportParams = {
      from: body.from,
      to: body.to,
      currency: body.currency,
      recruiterId: body.recruiter_id,
    };
    const material = config.api.cursorKeyMaterial;
    const afterKey = body.cursor ? await verifyCursor(material, sub, params, body.cursor) : null;
    const out = await exportPages({
      params,
      afterKey,
      fetchPage: postgrestPages(config.api.apiUrl, config.api.anonKey, jwt),
      budget: jobBudget(config.budget),
      pageRows: Math.min(PAGE_ROWS, body.max_rows ?? MAX_ROWS),
      maxRows: body.max_rows ?? MAX_ROWS,
      sign: (key) => signCursor(material, sub, params, key),
    });
    log.info("statement exported", { rows: out.rows, pages: out.pages, more: out.cursor !== null });
    const headers: Record<string, string> = {
      "content-type": "text/csv; charset=utf-8",
      "cache-control": "no-store",
      "x-statement-rows": String(out.rows),
    };
    if (out.cursor) headers["x-statement-cursor"] = out.cursor;
    return new Response(out.body, { status: 200, headers });
  },
}));
