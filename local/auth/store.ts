// The Auth stand-in's reads and writes of the auth schema (local/bootstrap/20_auth.sql,
// 21_auth_sessions.sql), as GoTrue makes them. Every timestamp comes from the stand-in's clock
// (`now`), never from the database's, so tests can move it (server.ts, /_local/clock).
import type postgres from "postgres";
import type { UserClaimsSource } from "./tokens.ts";

export type Sql = postgres.Sql | postgres.TransactionSql;

/** GoTrue writes uuid.Nil as every row's instance_id and finds users only under it. */
export const NIL_INSTANCE = "00000000-0000-0000-0000-000000000000";

export interface UserRow extends UserClaimsSource {
  encrypted_password: string | null;
  email_confirmed_at: Date | null;
  invited_at: Date | null;
  phone_confirmed_at: Date | null;
  confirmation_sent_at: Date | null;
  confirmed_at: Date | null;
  recovery_sent_at: Date | null;
  email_change: string | null;
  email_change_sent_at: Date | null;
  phone_change: string | null;
  phone_change_sent_at: Date | null;
  reauthentication_sent_at: Date | null;
  last_sign_in_at: Date | null;
  created_at: Date;
  updated_at: Date;
  banned_until: Date | null;
  deleted_at: Date | null;
  /** A column GoTrue reads into a non-null string is NULL: GoTrue cannot load this user. */
  unreadable: boolean;
}

export interface IdentityRow {
  id: string;
  provider_id: string;
  user_id: string;
  identity_data: Record<string, unknown>;
  provider: string;
  last_sign_in_at: Date | null;
  created_at: Date;
  updated_at: Date;
  email: string | null;
}

/** A user GoTrue could not read (see `unreadable`). */
export class UnreadableUserError extends Error {}

async function selectUser(sql: Sql, where: postgres.PendingQuery<postgres.Row[]>): Promise<UserRow | null> {
  const [u] = await sql<UserRow[]>`
    select u.id, u.aud, u.role, u.email, u.phone, u.encrypted_password, u.email_confirmed_at, u.invited_at,
           u.phone_confirmed_at, u.confirmation_sent_at, u.confirmed_at, u.recovery_sent_at, u.email_change,
           u.email_change_sent_at, u.phone_change, u.phone_change_sent_at, u.reauthentication_sent_at,
           u.last_sign_in_at, u.raw_app_meta_data, u.raw_user_meta_data, u.created_at, u.updated_at,
           u.banned_until, u.deleted_at, u.is_anonymous,
           (u.aud is null or u.role is null or u.confirmation_token is null or u.recovery_token is null
             or u.email_change_token_new is null or u.email_change is null or u.phone_change is null
             or u.phone_change_token is null or u.email_change_token_current is null
             or u.reauthentication_token is null) as unreadable
      from auth.users u
     where ${where}`;
  if (!u) return null;
  if (u.unreadable) throw new UnreadableUserError(`auth.users ${u.id}: a string column GoTrue reads is NULL`);
  return u;
}

export function findUserById(sql: Sql, id: string): Promise<UserRow | null> {
  return selectUser(sql, sql`u.id = ${id}`);
}

/** GoTrue's lookup for a password sign-in: instance, lower-case email, audience, not SSO. */
export function findUserByEmail(sql: Sql, email: string, aud: string): Promise<UserRow | null> {
  return selectUser(
    sql,
    sql`u.instance_id = ${NIL_INSTANCE} and lower(u.email) = ${email.toLowerCase()} and u.aud = ${aud} and not u.is_sso_user`,
  );
}

export async function identitiesOf(sql: Sql, userId: string): Promise<IdentityRow[]> {
  return await sql<IdentityRow[]>`
    select id, provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at, email
      from auth.identities where user_id = ${userId} order by created_at, id`;
}

export async function passwordMatches(sql: Sql, userId: string, password: string): Promise<boolean> {
  const [r] = await sql<{ ok: boolean }[]>`
    select coalesce(encrypted_password <> '' and encrypted_password = extensions.crypt(${password}, encrypted_password), false) as ok
      from auth.users where id = ${userId}`;
  return r?.ok ?? false;
}

/** Inserts a user signed up with email + password (bcrypt cost 10, as GoTrue's) and its email identity. */
export async function insertEmailUser(sql: Sql, u: {
  email: string;
  password: string;
  userMetadata: Record<string, unknown>;
  identityData: (id: string) => Record<string, unknown>;
  confirmedAt: Date | null;
  confirmationSentAt: Date | null;
  now: Date;
}): Promise<string> {
  const id = crypto.randomUUID();
  const userMetadata = { ...u.userMetadata, ...u.identityData(id), email_verified: u.confirmedAt !== null };
  await sql`
    insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                            confirmation_token, confirmation_sent_at, recovery_token, email_change_token_new,
                            email_change, raw_app_meta_data, raw_user_meta_data, is_super_admin, created_at,
                            updated_at, is_sso_user, is_anonymous)
    values (${NIL_INSTANCE}, ${id}, 'authenticated', 'authenticated', ${u.email},
            extensions.crypt(${u.password}, extensions.gen_salt('bf', 10)), ${u.confirmedAt},
            '', ${u.confirmationSentAt}, '', '', '', ${sql.json({ provider: "email", providers: ["email"] })},
            ${sql.json(userMetadata as postgres.JSONValue)}, null, ${u.now}, ${u.now}, false, false)`;
  await sql`
    insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
    values (${id}, ${id}, ${sql.json(u.identityData(id) as postgres.JSONValue)}, 'email', ${u.now}, ${u.now}, ${u.now})`;
  return id;
}

/** Confirms a user's email (GoTrue also marks it verified in the user's metadata). */
export async function confirmEmail(sql: Sql, userId: string, now: Date): Promise<void> {
  await sql`update auth.users set email_confirmed_at = ${now}, confirmation_token = '', updated_at = ${now},
                   raw_user_meta_data = coalesce(raw_user_meta_data, '{}'::jsonb) || '{"email_verified": true}'::jsonb
             where id = ${userId}`;
}

/** A new session for a user who just authenticated with `method`, and its first refresh token. */
export async function createSession(
  sql: Sql,
  userId: string,
  method: string,
  refreshToken: string,
  now: Date,
): Promise<string> {
  const sessionId = crypto.randomUUID();
  await sql`insert into auth.sessions (id, user_id, created_at, updated_at, aal)
            values (${sessionId}, ${userId}, ${now}, ${now}, 'aal1')`;
  await sql`insert into auth.mfa_amr_claims (session_id, created_at, updated_at, authentication_method, id)
            values (${sessionId}, ${now}, ${now}, ${method}, ${crypto.randomUUID()})`;
  await insertRefreshToken(sql, userId, sessionId, refreshToken, null, now);
  await sql`update auth.users set last_sign_in_at = ${now}, updated_at = ${now} where id = ${userId}`;
  return sessionId;
}

export async function insertRefreshToken(
  sql: Sql,
  userId: string,
  sessionId: string,
  token: string,
  parent: string | null,
  now: Date,
): Promise<void> {
  await sql`insert into auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id)
            values (${NIL_INSTANCE}, ${token}, ${userId}, false, ${now}, ${now}, ${parent}, ${sessionId})`;
}

/** The session's `amr` claim: its authentication methods with their times (unix seconds). */
export async function amrOf(sql: Sql, sessionId: string): Promise<{ method: string; timestamp: number }[]> {
  const rows = await sql<{ method: string; at: Date }[]>`
    select authentication_method as method, updated_at as at from auth.mfa_amr_claims
     where session_id = ${sessionId} order by updated_at desc, authentication_method`;
  return rows.map((r) => ({ method: r.method, timestamp: Math.floor(r.at.getTime() / 1000) }));
}

export interface RefreshTokenRow {
  id: string;
  token: string;
  user_id: string;
  revoked: boolean;
  updated_at: Date;
  parent: string | null;
  session_id: string | null;
}

export async function lockRefreshToken(sql: Sql, token: string): Promise<RefreshTokenRow | null> {
  const [t] = await sql<RefreshTokenRow[]>`
    select id, token, user_id, revoked, updated_at, parent, session_id from auth.refresh_tokens
     where token = ${token} for update`;
  return t ?? null;
}

export async function lockSession(sql: Sql, id: string): Promise<{ id: string; not_after: Date | null } | null> {
  const [s] = await sql<{ id: string; not_after: Date | null }[]>`
    select id, not_after from auth.sessions where id = ${id} for update`;
  return s ?? null;
}

export async function sessionExists(sql: Sql, id: string): Promise<boolean> {
  const [s] = await sql`select 1 from auth.sessions where id = ${id}`;
  return !!s;
}

/** The session's newest unrevoked refresh token. */
export async function activeRefreshToken(sql: Sql, sessionId: string): Promise<{ token: string; parent: string | null } | null> {
  const [t] = await sql<{ token: string; parent: string | null }[]>`
    select token, parent from auth.refresh_tokens where session_id = ${sessionId} and not revoked order by id desc limit 1`;
  return t ?? null;
}

export async function revokeRefreshToken(sql: Sql, id: string, now: Date): Promise<void> {
  await sql`update auth.refresh_tokens set revoked = true, updated_at = ${now} where id = ${id}`;
}

/** A revoked token reused too late: every token of its session is revoked. */
export async function revokeSessionTokens(sql: Sql, sessionId: string, now: Date): Promise<void> {
  await sql`update auth.refresh_tokens set revoked = true, updated_at = ${now} where session_id = ${sessionId} and not revoked`;
}

export async function touchSessionRefresh(sql: Sql, sessionId: string, now: Date, userAgent: string | null): Promise<void> {
  // refreshed_at is a timestamp without time zone in GoTrue's schema: UTC.
  await sql`update auth.sessions set refreshed_at = (${now}::timestamptz at time zone 'UTC'), user_agent = ${userAgent},
                   updated_at = ${now} where id = ${sessionId}`;
}

export async function deleteRefreshToken(sql: Sql, id: string): Promise<void> {
  await sql`delete from auth.refresh_tokens where id = ${id}`;
}

/** Sign-out: global (every session of the user), local (this session), others (all but this one). */
export async function logout(sql: Sql, userId: string, sessionId: string | null, scope: "global" | "local" | "others") {
  if (!sessionId) {
    await sql`delete from auth.refresh_tokens where user_id = ${userId}`;
  } else if (scope === "local") {
    await sql`delete from auth.sessions where id = ${sessionId}`;
  } else if (scope === "others") {
    await sql`delete from auth.sessions where user_id = ${userId} and id <> ${sessionId}`;
  } else {
    await sql`delete from auth.sessions where user_id = ${userId}`;
  }
}
