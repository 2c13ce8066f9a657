/**
 * Connect accounts and their onboarding: `POST|GET /v1/accounts[/:id]`, `POST /v1/account_links`,
 * `POST /v1/accounts/:id/login_links`, and the control calls that play the connected account's
 * side of Stripe-hosted onboarding (`connectControl`, mounted by control.ts).
 *
 * An account created with controller properties equivalent to Express (Stripe collects the
 * requirements, Express dashboard, the platform pays fees and bears losses) — or with the legacy
 * `type: "express"` — starts as Stripe starts one: nothing submitted, requested capabilities
 * `inactive`, `requirements.currently_due` listing what the hosted onboarding asks for, and
 * `disabled_reason: "requirements.past_due"`. `POST /_standin/accounts/:id/complete_onboarding`
 * is the recruiter finishing the form: requirements clear, capabilities become active (or
 * `pending` while Stripe verifies), `account.updated` is sent on the Connect endpoint.
 * Accounts created without controller properties keep the stand-in's old shortcut (requested
 * capabilities get `/_standin/config`'s status, active by default).
 */
import type { ApiCtx, Route } from "./api.ts";
import { ApiError, errors } from "./errors.ts";
import type { FormObject } from "./form.ts";
import {
  type AccountController,
  type AccountRec,
  type AccountRequirements,
  type CapabilityStatus,
  type Ledger,
  NO_REQUIREMENTS,
} from "./ledger.ts";
import { type ListObject, paginate, PAGINATION_PARAMS } from "./list.ts";
import { cleanMetadata, inRange, mergeMetadata, optMetadata, optRange, optString, rejectUnknown } from "./params.ts";
import type { StandInState } from "./state.ts";
import { newId } from "./util.ts";

/** What Stripe-hosted onboarding asks an individual for (US, transfers only). */
export const ONBOARDING_REQUIREMENTS = [
  "business_type",
  "external_account",
  "individual.dob.day",
  "individual.dob.month",
  "individual.dob.year",
  "individual.email",
  "individual.first_name",
  "individual.last_name",
  "tos_acceptance.date",
  "tos_acceptance.ip",
];

/** Account links live 300 s at Stripe. */
const ACCOUNT_LINK_TTL_S = 300;

const ID = "([^/]+)";
function route(method: Route["method"], template: string, prepare: Route["prepare"]): Route {
  return {
    method,
    pattern: new RegExp(`^${template.replace(/\{[a-z_]+\}/g, ID)}$`),
    name: `${method} ${template}`,
    prepare,
  };
}

function obj(v: unknown): FormObject | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? v as FormObject : undefined;
}

function boolParam(v: unknown): boolean | undefined {
  if (v === undefined) return undefined;
  return v === "true" || v === true;
}

function invalid(param: string, message: string): ApiError {
  return errors.invalidParam(param, message);
}

function oneOf<T extends string>(v: unknown, param: string, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) {
    throw invalid(param, `Invalid ${param}: must be one of ${allowed.join(", ")}`);
  }
  return v as T;
}

/** The `controller` hash, or the legacy `type` mapped onto it (Stripe refuses both at once). */
function parseController(params: FormObject): { type: string; controller?: AccountController } {
  const c = obj(params.controller);
  const type = optString(params, "type");
  if (c && type) {
    throw new ApiError(400, {
      type: "invalid_request_error",
      message: "You may not specify both `type` and `controller` when creating an account.",
      param: "controller",
    });
  }
  if (type === "express") {
    return {
      type: "express",
      controller: {
        fees_payer: "application_express",
        losses_payments: "application",
        requirement_collection: "stripe",
        dashboard: "express",
      },
    };
  }
  if (!c) return { type: type ?? "custom" };
  rejectUnknown(c, ["fees", "losses", "requirement_collection", "stripe_dashboard"]);
  const feesPayer = oneOf(obj(c.fees)?.payer, "controller[fees][payer]", ["account", "application"]) ?? "application";
  const losses = oneOf(obj(c.losses)?.payments, "controller[losses][payments]", ["application", "stripe"]) ??
    "application";
  const collection = oneOf(c.requirement_collection, "controller[requirement_collection]", ["application", "stripe"]) ??
    "stripe";
  const dashboard = oneOf(obj(c.stripe_dashboard)?.type, "controller[stripe_dashboard][type]", [
    "express",
    "full",
    "none",
  ]) ?? "full";
  if (collection === "application" && dashboard !== "none") {
    throw invalid(
      "controller[requirement_collection]",
      "requirement_collection=application needs stripe_dashboard[type]=none.",
    );
  }
  const express = feesPayer === "application" && losses === "application" && collection === "stripe" &&
    dashboard === "express";
  const standard = feesPayer === "account" && losses === "stripe" && dashboard === "full";
  return {
    type: express ? "express" : standard ? "standard" : dashboard === "none" ? "custom" : "none",
    controller: { fees_payer: feesPayer, losses_payments: losses, requirement_collection: collection, dashboard },
  };
}

function requestedCapabilities(params: FormObject, status: CapabilityStatus): Record<string, CapabilityStatus> {
  const caps = params.capabilities;
  const out: Record<string, CapabilityStatus> = {};
  if (caps === undefined) return out;
  if (!obj(caps)) throw invalid("capabilities", "Invalid capabilities: must be a hash.");
  for (const [name, v] of Object.entries(caps as FormObject)) {
    out[name] = boolParam(obj(v)?.requested) ? status : "inactive";
  }
  return out;
}

function accountOr403(ledger: Ledger, id: string): AccountRec {
  const a = ledger.accounts.get(id);
  if (!a) {
    throw new ApiError(403, {
      type: "invalid_request_error",
      code: "account_invalid",
      message:
        `The provided key does not have access to account '${id}' (or that account does not exist). Application access may have been revoked.`,
    });
  }
  return a;
}

/** Stripe collects the requirements through its hosted onboarding. */
const stripeCollects = (a: AccountRec) => a.controller?.requirement_collection === "stripe";

const ACCOUNT_CREATE_PARAMS = [
  "type",
  "controller",
  "country",
  "email",
  "default_currency",
  "metadata",
  "capabilities",
  "business_type",
  "business_profile",
  "tos_acceptance",
  "settings",
  "expand",
];

export const connectRoutes: Route[] = [
  route("GET", "/v1/accounts/{account}", (params, [id], ctx) => {
    rejectUnknown(params, ["expand"]);
    const a = accountOr403(ctx.ledger, id);
    return () => ({ body: ctx.ledger.renderAccount(a) });
  }),

  route("GET", "/v1/accounts", (params, _ids, ctx) => {
    rejectUnknown(params, ["created", ...PAGINATION_PARAMS]);
    const created = optRange(params, "created");
    const items = [...ctx.ledger.accounts.values()].filter((a) => inRange(a.created, created));
    const result: ListObject<unknown> = paginate(
      items,
      params,
      "/v1/accounts",
      (id) => ctx.ledger.find(id),
      "account",
      (a) => ctx.ledger.renderAccount(a),
    );
    return () => ({ body: result });
  }),

  route("POST", "/v1/accounts", (params, _ids, ctx) => {
    rejectUnknown(params, ACCOUNT_CREATE_PARAMS);
    const { type, controller } = parseController(params);
    const country = optString(params, "country") ?? "US";
    if (!/^[A-Z]{2}$/.test(country)) throw invalid("country", `Invalid country: ${country}`);
    const email = optString(params, "email") ?? null;
    const defaultCurrency = optString(params, "default_currency");
    const metadata = cleanMetadata(optMetadata(params));
    const agreement = oneOf(obj(params.tos_acceptance)?.service_agreement, "tos_acceptance[service_agreement]", [
      "full",
      "recipient",
    ]);
    const onboarding = controller?.requirement_collection === "stripe";
    const requested = requestedCapabilities(params, onboarding ? "inactive" : ctx.requestedCapabilityStatus);
    if (agreement === "recipient" && requested.card_payments !== undefined) {
      throw invalid("capabilities", "The recipient service agreement cannot request card_payments.");
    }
    const businessType = optString(params, "business_type") ?? null;
    return () => {
      const a = ctx.ledger.upsertAccount({ type, country, email, default_currency: defaultCurrency, metadata });
      a.capabilities = requested;
      a.controller = controller;
      a.business_type = businessType;
      a.tos_acceptance = { service_agreement: agreement ?? null, date: null, ip: null, user_agent: null };
      if (onboarding) {
        a.details_submitted = false;
        a.charges_enabled = false;
        a.payouts_enabled = false;
        a.requirements = {
          ...NO_REQUIREMENTS,
          currently_due: [...ONBOARDING_REQUIREMENTS],
          eventually_due: [...ONBOARDING_REQUIREMENTS],
          disabled_reason: "requirements.past_due",
        };
      }
      return { body: ctx.ledger.renderAccount(a), objectId: a.id };
    };
  }),

  route("POST", "/v1/accounts/{account}", (params, [id], ctx) => {
    rejectUnknown(params, ["metadata", "email", "capabilities", "business_profile", "settings", "expand"]);
    const a = ctx.ledger.accounts.get(id);
    if (!a) throw errors.noSuchResource("account", id);
    const metadata = optMetadata(params);
    const email = optString(params, "email");
    const requested = params.capabilities
      ? requestedCapabilities(params, stripeCollects(a) ? "inactive" : ctx.requestedCapabilityStatus)
      : undefined;
    return () => {
      a.metadata = mergeMetadata(a.metadata, metadata);
      if (email !== undefined) a.email = email || null;
      if (requested) Object.assign(a.capabilities, requested);
      const body = ctx.ledger.renderAccount(a);
      ctx.emit("account.updated", body, { account: a.id });
      return { body, objectId: a.id };
    };
  }),

  route("POST", "/v1/account_links", (params, _ids, ctx) => {
    rejectUnknown(params, ["account", "type", "refresh_url", "return_url", "collect", "collection_options", "expand"]);
    const id = optString(params, "account");
    if (!id) throw errors.missingParam("account");
    const type = oneOf(params.type, "type", ["account_onboarding", "account_update"]);
    if (!type) throw errors.missingParam("type");
    const refresh = optString(params, "refresh_url");
    const ret = optString(params, "return_url");
    for (const [name, url] of [["refresh_url", refresh], ["return_url", ret]] as const) {
      if (url === undefined) throw errors.missingParam(name);
      if (!/^https?:\/\/\S+$/.test(url)) throw invalid(name, `Not a valid URL: ${name}`);
    }
    const a = ctx.ledger.accounts.get(id);
    if (!a) throw errors.noSuchParamResource("account", id, "account");
    if (!stripeCollects(a)) {
      throw invalid(
        "account",
        "Account links can only be created for accounts whose requirements Stripe collects (controller[requirement_collection]=stripe).",
      );
    }
    return () => {
      const created = ctx.ledger.now();
      return {
        body: {
          object: "account_link",
          created,
          expires_at: created + ACCOUNT_LINK_TTL_S,
          url: `https://connect.stripe.com/setup/e/${a.id}/${newId("al", 12).slice(3)}`,
        },
        objectId: a.id,
      };
    };
  }),

  route("POST", "/v1/accounts/{account}/login_links", (params, [id], ctx) => {
    rejectUnknown(params, ["expand"]);
    const a = ctx.ledger.accounts.get(id);
    if (!a) throw errors.noSuchResource("account", id);
    if (a.controller?.dashboard !== "express") {
      throw invalid("account", "Login links can only be created for accounts that use the Express dashboard.");
    }
    if (!a.details_submitted) {
      throw invalid("account", "Cannot create a login link for an account that has not completed onboarding.");
    }
    return () => ({
      body: {
        object: "login_link",
        created: ctx.ledger.now(),
        url: `https://connect.stripe.com/express/${a.id}/${newId("ll", 12).slice(3)}`,
      },
      objectId: a.id,
    });
  }),
];

// ---------------------------------------------------------------------------------------------
// Control: the connected account's side of hosted onboarding
// ---------------------------------------------------------------------------------------------

type Body = Record<string, unknown>;

function strings(v: unknown, name: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
    throw new TypeError(`${name} must be an array of strings`);
  }
  return v as string[];
}

/** Applies a change to an account and sends `account.updated` (Connect) with what changed. */
function changeAccount(state: StandInState, a: AccountRec, change: () => void) {
  const before = state.ledger.renderAccount(a);
  change();
  const after = state.ledger.renderAccount(a);
  const previous: Record<string, unknown> = {};
  for (const k of Object.keys(after) as (keyof typeof after)[]) {
    if (JSON.stringify(before[k]) !== JSON.stringify(after[k])) previous[k] = before[k];
  }
  if (Object.keys(previous).length) {
    const ev = state.webhooks.createEvent("account.updated", after, { account: a.id, previous_attributes: previous });
    state.webhooks.emitAuto(ev, "connect");
  }
  return after;
}

/**
 * `POST /_standin/accounts/:id/complete_onboarding` `{transfers?: "active"|"pending"}`: the
 * recruiter finished the hosted form (pending: Stripe is still verifying).
 * `POST /_standin/accounts/:id/requirements` `{currently_due?, past_due?, eventually_due?,
 * pending_verification?, disabled_reason?, transfers?}`: Stripe asks for more (or disables).
 * Returns undefined for any other path.
 */
export function connectControl(state: StandInState, method: string, path: string, body: Body): unknown {
  const m = /^\/_standin\/accounts\/([^/]+)\/(complete_onboarding|requirements)$/.exec(path);
  if (!m || method !== "POST") return undefined;
  const a = state.ledger.accounts.get(m[1]);
  if (!a) throw new TypeError(`no account ${m[1]}`);
  const transfers = body.transfers ?? (m[2] === "complete_onboarding" ? "active" : undefined);
  if (transfers !== undefined && transfers !== "active" && transfers !== "pending" && transfers !== "inactive") {
    throw new TypeError("transfers: active|pending|inactive");
  }
  const account = changeAccount(state, a, () => {
    if (m[2] === "complete_onboarding") {
      const pending = transfers === "pending";
      a.details_submitted = true;
      a.payouts_enabled = !pending;
      a.requirements = pending
        ? { ...NO_REQUIREMENTS, pending_verification: ["individual.verification.document"] }
        : { ...NO_REQUIREMENTS };
      a.tos_acceptance = {
        service_agreement: a.tos_acceptance?.service_agreement ?? null,
        date: state.ledger.now(),
        ip: "127.0.0.1",
        user_agent: "stand-in onboarding",
      };
    } else {
      const r: AccountRequirements = {
        currently_due: strings(body.currently_due, "currently_due"),
        past_due: strings(body.past_due, "past_due"),
        eventually_due: strings(body.eventually_due ?? body.currently_due, "eventually_due"),
        pending_verification: strings(body.pending_verification, "pending_verification"),
        disabled_reason: typeof body.disabled_reason === "string" ? body.disabled_reason : null,
        current_deadline: null,
      };
      a.requirements = r;
    }
    if (transfers !== undefined) {
      for (const k of Object.keys(a.capabilities)) a.capabilities[k] = transfers as CapabilityStatus;
      if (!("transfers" in a.capabilities)) a.capabilities.transfers = transfers as CapabilityStatus;
    }
  });
  return { account };
}

export type { ApiCtx };
