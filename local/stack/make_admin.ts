// `npm run make-admin -- <email>`: makes a user of the running local stack a platform admin
// with the same one-line SQL a real project uses (as postgres):
//   select private.bootstrap_platform_admin('<email>');
// Locally there is no GoTrue, so a missing user is created in auth.users first, and an
// access token for them is printed (signed with the local JWT secret) to try the admin RPCs.
import postgres from "postgres";
import { dbUrl, stackConfig } from "./config.ts";
import { signJwt } from "./jwt.ts";

const email = Deno.args[0];
if (!email || !/^[^@\s]+@[^@\s]+$/.test(email)) {
  console.error("usage: npm run make-admin -- <email>");
  Deno.exit(2);
}
const c = stackConfig("dev");
const sql = postgres(dbUrl(c), { max: 1, onnotice: () => {} });
try {
  const [u] = await sql<{ id: string }[]>`
    insert into auth.users (id, email, aud, role)
    values (gen_random_uuid(), ${email}, 'authenticated', 'authenticated')
    on conflict (email) do update set email = excluded.email
    returning id`;
  await sql`select private.bootstrap_platform_admin(${email})`;
  const now = Math.floor(Date.now() / 1000);
  const jwt = await signJwt(
    { sub: u.id, email, role: "authenticated", aud: "authenticated", iat: now, exp: now + 24 * 3600 },
    c.jwtSecret,
  );
  console.log(`${email} (${u.id}) is a platform admin.\naccess token (24 h, local only):\n${jwt}`);
} finally {
  await sql.end();
}
