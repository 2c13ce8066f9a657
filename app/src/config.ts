// The API the console talks to, from /config.js (written by whoever serves the app).
declare global {
  var CONSOLE_CONFIG: { apiUrl: string; anonKey: string } | undefined;
}

export function consoleConfig(): { apiUrl: string; anonKey: string } {
  const c = globalThis.CONSOLE_CONFIG;
  if (!c?.apiUrl || !c?.anonKey) throw new Error("/config.js did not set CONSOLE_CONFIG { apiUrl, anonKey }");
  return c;
}

/** Rows per page of the server-paginated lists. */
export const PAGE_SIZE = 25;
