// Every error the console meets, in words: the API's SQLSTATE (docs/access.md, "Errors") and its
// message, Auth's answers, and answers the console cannot parse. Never a blank screen.
import { z } from "zod";
import { PostgrestErrorSchema } from "../../types/schemas.ts";

const WORDS: Record<string, string> = {
  "42501": "Not allowed: your account may not do this",
  PT400: "Invalid input",
  PT403: "Forbidden",
  PT404: "Not found",
  PT409: "Conflicts with the current state",
  PT422: "Cannot be processed",
  PT428: "Needs a second admin's approval (four-eyes): nothing changed",
  PGRST301: "Your session is not valid any more: sign in again",
  PGRST303: "Your session has expired: sign in again",
};

export interface Described {
  /** What kind of error, in words. */
  title: string;
  /** The SQLSTATE or error code, when there is one. */
  code: string | null;
  /** The server's message, and its details and hint. */
  text: string;
}

export function describeError(e: unknown): Described {
  if (e instanceof z.ZodError) {
    return {
      title: "The API answered something this console does not understand",
      code: null,
      text: e.issues.slice(0, 3).map((i) => `${i.path.join(".") || "(row)"}: ${i.message}`).join("; "),
    };
  }
  const pg = PostgrestErrorSchema.safeParse(e);
  if (pg.success && pg.data.code) {
    const { code, message, details, hint } = pg.data;
    const title = WORDS[code] ??
      (code.startsWith("PGRST") ? "The API refused the request" : "The database refused the request");
    return { title, code, text: [message, details, hint].filter(Boolean).join(" — ") };
  }
  if (e && typeof e === "object" && "message" in e && typeof e.message === "string") {
    // Auth (AuthApiError: invalid_credentials …) and network errors.
    const code = "code" in e && typeof e.code === "string" ? e.code : null;
    const title = code === "invalid_credentials" ? "Wrong email or password" : "Request failed";
    return { title, code, text: e.message };
  }
  return { title: "Something went wrong", code: null, text: String(e) };
}
