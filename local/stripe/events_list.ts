/**
 * `GET /v1/events` and `GET /v1/events/:id` as Stripe answers them:
 * - scope: without `Stripe-Account`, the platform's own events (no `account`); with it, that
 *   connected account's events only (Connect events are listed per account; an account the
 *   platform has no access to: 403 `account_invalid`);
 * - retention: only events created in the last 30 days (stand-in clock) are listed or retrieved;
 * - filters: `type` (one name, or a `prefix.*` wildcard) or `types[]` (up to 20 exact names; not
 *   both), `created` (integer or `gt/gte/lt/lte`), `delivery_success` (true: every webhook
 *   delivery of the event succeeded; false: one failed or none was made);
 * - pagination: newest first, `limit` 1–100 (10), `starting_after` / `ending_before`, `has_more`.
 */
import { ApiError, errors } from "./errors.ts";
import type { FormObject } from "./form.ts";
import { paginate, PAGINATION_PARAMS } from "./list.ts";
import { inRange, optRange, optString, rejectUnknown } from "./params.ts";
import type { Delivery, StripeEvent } from "./webhooks.ts";

/** Stripe keeps events for 30 days. */
export const EVENT_RETENTION_S = 30 * 24 * 3600;

export interface EventsCtx {
  events(): StripeEvent[];
  deliveries?(): Delivery[];
  stripeAccount: string | null;
  ledger: { accounts: { has(id: string): boolean } };
  /** Stand-in clock (unix s). */
  now(): number;
}

/** The events this caller may see now: its scope, within the retention window (in emission order). */
function visible(ctx: EventsCtx): StripeEvent[] {
  if (ctx.stripeAccount !== null && !ctx.ledger.accounts.has(ctx.stripeAccount)) {
    // as Stripe answers for an account the platform cannot (or no longer can) act for
    throw new ApiError(403, {
      type: "invalid_request_error",
      code: "account_invalid",
      message:
        `The provided key does not have access to account '${ctx.stripeAccount}' (or that account does not exist). Application access may have been revoked.`,
    });
  }
  const oldest = ctx.now() - EVENT_RETENTION_S;
  return ctx.events().filter((e) => e.created >= oldest && (e.account ?? null) === ctx.stripeAccount);
}

function matchType(pattern: string, type: string): boolean {
  return pattern.endsWith(".*") ? type.startsWith(pattern.slice(0, -1)) : pattern === type;
}

function typesParam(params: FormObject): string[] | undefined {
  const v = params.types;
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((t) => typeof t !== "string" || t === "")) {
    throw errors.invalidParam("types", "Invalid array: types must be an array of event type names.");
  }
  if (v.length > 20) throw errors.invalidParam("types", "Invalid array: types can contain at most 20 elements.");
  return v as string[];
}

function deliverySuccess(params: FormObject): boolean | undefined {
  const v = params.delivery_success;
  if (v === undefined) return undefined;
  if (v !== "true" && v !== "false") throw errors.invalidParam("delivery_success", "Invalid boolean: delivery_success");
  return v === "true";
}

/** Prepare (validation) of `GET /v1/events`; returns the list object. */
export function listEvents(params: FormObject, ctx: EventsCtx) {
  rejectUnknown(params, ["type", "types", "created", "delivery_success", ...PAGINATION_PARAMS]);
  const type = optString(params, "type");
  const types = typesParam(params);
  if (type !== undefined && types !== undefined) {
    throw errors.invalidParam("types", "You may only specify one of these parameters: type, types.");
  }
  const created = optRange(params, "created");
  const delivered = deliverySuccess(params);
  const ok = (e: StripeEvent) => {
    const ds = (ctx.deliveries?.() ?? []).filter((d) => d.event_id === e.id);
    return ds.length > 0 && ds.every((d) => d.status !== null && d.status >= 200 && d.status < 300);
  };
  const all = visible(ctx).map((e, seq) => ({ ...e, seq }));
  const items = all.filter((e) =>
    (type === undefined || matchType(type, e.type)) && (types === undefined || types.includes(e.type)) &&
    inRange(e.created, created) && (delivered === undefined || ok(e) === delivered)
  );
  const byId = new Map(all.map((e) => [e.id, e]));
  return paginate(items, params, "/v1/events", (id) => byId.get(id), "event", ({ seq: _s, ...e }) => e);
}

/** Prepare of `GET /v1/events/:id` (404 outside the caller's scope or past retention). */
export function retrieveEvent(params: FormObject, id: string, ctx: EventsCtx): StripeEvent {
  rejectUnknown(params, ["expand"]);
  const ev = visible(ctx).find((e) => e.id === id);
  if (!ev) throw errors.noSuchResource("event", id);
  return ev;
}
