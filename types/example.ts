// A typed example for frontends (type-checked by `npm test`, not run as a script; the API tests in
// supabase/tests/api/ make the same calls against the real gateway + PostgREST):
// a recruiter lists their payouts, an admin releases an escrow hold.
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import {
  type Database,
  type EscrowHold,
  type Payout,
  PayoutSchema,
  type Placement,
  PLACEMENT_SELECT,
  PlacementSchema,
  RPC,
  type RpcArgsInput,
  type Tables,
} from "./index.ts";

/** supabase-js as a frontend makes it: the project's anon key, and the signed-in user's access token. */
export function clientFor(url: string, anonKey: string, jwt: string): SupabaseClient<Database> {
  return createClient<Database>(url, anonKey, {
    global: { headers: { Authorization: `Bearer ${jwt}` } },
    auth: { persistSession: false, autoRefreshToken: false },
  });
}

/**
 * "My payouts", newest first. RLS returns the recruiter's own payouts only; every column of
 * payouts is granted, the buckets say where each cent is (paid, in flight, payable, held,
 * forfeited). Statuses come back as the PayoutStatus union.
 */
export async function listMyPayouts(supabase: SupabaseClient<Database>): Promise<Payout[]> {
  const { data, error } = await supabase
    .from("payouts")
    .select(
      "id, placement_id, split_id, recruiter_id, currency, amount, paid_amount, in_flight_amount, payable_amount, held_amount, forfeited_amount, reversed_amount, status, connect_required_notified_at, flagged_for_reversal_at, created_at, updated_at",
    )
    .order("created_at", { ascending: false });
  if (error) throw error; // { code: "42501", ... } for anon
  return PayoutSchema.array().parse(data);
}

/** What is still to come of a payout (integer minor units: no float arithmetic on money). */
export function outstanding(p: Payout): number {
  return p.payable_amount + p.held_amount + p.in_flight_amount;
}

/**
 * The placements of those payouts. `placements` has a column that is not granted
 * (platform_amount): list the granted columns (PLACEMENT_SELECT); `select("*")` is 42501.
 */
export async function placementsOf(supabase: SupabaseClient<Database>, payouts: Payout[]): Promise<Placement[]> {
  const { data, error } = await supabase
    .from("placements")
    .select(PLACEMENT_SELECT)
    .in("id", payouts.map((p) => p.placement_id));
  if (error) throw error;
  // supabase-js types the rows from the literal column list: every generated column but platform_amount
  const rows: Omit<Tables<"placements">, "platform_amount">[] = data;
  // @ts-expect-error platform_amount is not granted, so not selected, so not in the row type
  rows.map((p) => p.platform_amount);
  return PlacementSchema.array().parse(rows);
}

/**
 * Admin: release an escrow hold now (held -> payable; the payout gets a schedule). The
 * arguments are validated before the call; the result is parsed into the EscrowHold row.
 * Errors: 42501 (HTTP 403) for a non-admin, PT400 (no reason), PT404, PT409 (hold cancelled).
 */
export async function releaseHold(
  admin: SupabaseClient<Database>,
  input: RpcArgsInput<"release_escrow_hold">,
): Promise<EscrowHold> {
  const args = RPC.release_escrow_hold.args.parse(input); // { p_hold_id: uuid, p_reason: non-empty }
  const { data, error } = await admin.rpc("release_escrow_hold", args);
  if (error) throw error;
  const hold = RPC.release_escrow_hold.returns.parse(data);
  if (hold.status !== "released") throw new Error(`hold ${hold.id} is ${hold.status}`);
  return hold;
}

export async function example(url: string, anonKey: string, recruiterJwt: string, adminJwt: string) {
  const recruiter = clientFor(url, anonKey, recruiterJwt);
  const payouts = await listMyPayouts(recruiter);
  const placements = await placementsOf(recruiter, payouts);

  const { data: holds } = await recruiter.from("escrow_holds").select("id, hold_amount, status").eq("status", "active");
  const admin = clientFor(url, anonKey, adminJwt);
  const released = holds?.[0]
    ? await releaseHold(admin, { p_hold_id: holds[0].id, p_reason: "dispute resolved" })
    : null;
  return { payouts, placements, released };
}
