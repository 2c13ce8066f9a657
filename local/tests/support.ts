// Shared helpers for deno tests against the running test stack (started by `npm test`,
// which exports SUPABASE_URL, SUPABASE_ANON_KEY, SUPABASE_SERVICE_ROLE_KEY, SUPABASE_DB_URL,
// SUPABASE_JWT_SECRET, STRIPE_API_BASE, STRIPE_SECRET_KEY).
import postgres from "postgres";
import { signJwt } from "../stack/jwt.ts";

export function stackEnv(name: string): string {
  const v = Deno.env.get(name);
  if (!v) throw new Error(`${name} is not set: run deno tests through \`npm test\` (local/stack/test_runner.ts)`);
  return v;
}

/** A superuser connection (the platform's, like the Supabase dashboard's SQL editor). */
export function adminSql() {
  return postgres(stackEnv("SUPABASE_DB_URL"), { max: 2, onnotice: () => {}, prepare: false });
}

/** A user in auth.users and an access token for them, as GoTrue would issue it. */
export async function createUser(sql: postgres.Sql, email: string): Promise<{ id: string; jwt: string }> {
  const [u] = await sql<{ id: string }[]>`
    insert into auth.users (id, email, aud, role) values (gen_random_uuid(), ${email}, 'authenticated', 'authenticated')
    returning id`;
  return { id: u.id, jwt: await userJwt(u.id, email) };
}

export async function userJwt(userId: string, email?: string, extra: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return await signJwt(
    { sub: userId, role: "authenticated", aud: "authenticated", email, iat: now, exp: now + 3600, ...extra },
    stackEnv("SUPABASE_JWT_SECRET"),
  );
}

/** Polls until fn returns a truthy value (for asynchronous effects such as pg_net or cron). */
export async function eventually<T>(fn: () => Promise<T | null | undefined | false>, what: string, timeoutMs = 10000): Promise<T> {
  const until = Date.now() + timeoutMs;
  while (true) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
