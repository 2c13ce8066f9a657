// supabase-js, typed with the generated database types; the signed-in user's queries run under RLS.
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import type { Database } from "../../types/database.ts";
import { consoleConfig } from "./config.ts";

export type Db = SupabaseClient<Database>;

let client: Db | null = null;
export function db(): Db {
  if (!client) {
    const { apiUrl, anonKey } = consoleConfig();
    client = createClient<Database>(apiUrl, anonKey, { auth: { persistSession: true, detectSessionInUrl: false } });
  }
  return client;
}

/** The data of a supabase-js answer, or its error thrown (shown in words by describeError). */
export function unwrap<T>(res: { data: T | null; error: unknown }): T {
  if (res.error) throw res.error;
  return res.data as T;
}

/** What the signed-in user is, from what RLS lets them read (no claim in the token decides it). */
export interface Roles {
  admin: boolean;
  recruiter: { id: string; display_name: string } | null;
  companies: { company_id: string; role: string }[];
}

export async function rolesOf(userId: string): Promise<Roles> {
  const d = db();
  const [admins, recruiters, members] = await Promise.all([
    d.from("platform_admins").select("user_id").eq("user_id", userId),
    d.from("recruiters").select("id, display_name").eq("user_id", userId),
    d.from("company_members").select("company_id, role").eq("user_id", userId),
  ]);
  return {
    admin: unwrap(admins).length > 0,
    recruiter: unwrap(recruiters)[0] ?? null,
    companies: unwrap(members),
  };
}
