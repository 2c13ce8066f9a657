/** Typed accessors over parsed form params; every failure is a Stripe-shaped 400. */
import { ApiError, errors } from "./errors.ts";
import type { FormObject, FormValue } from "./form.ts";

export type Metadata = Record<string, string>;

export function rejectUnknown(params: FormObject, allowed: readonly string[]): void {
  for (const k of Object.keys(params)) if (!allowed.includes(k)) throw errors.unknownParam(k);
}

export function optString(params: FormObject, name: string): string | undefined {
  const v = params[name];
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw errors.invalidString(name);
  return v;
}

export function reqString(params: FormObject, name: string): string {
  const v = optString(params, name);
  if (v === undefined || v === "") throw errors.missingParam(name);
  return v;
}

/** Integer in minor units; strings only (no floats, no exponents). */
export function parseInteger(
  name: string,
  v: FormValue | undefined,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof v !== "string" || !/^-?\d+$/.test(v)) throw errors.invalidInteger(name, v);
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw errors.invalidInteger(name, v);
  if (n < min) throw errors.integerTooSmall(name, min);
  if (n > max) throw errors.integerTooLarge(name, max);
  return n;
}

export function optInteger(params: FormObject, name: string, min: number, max?: number): number | undefined {
  const v = params[name];
  if (v === undefined) return undefined;
  return parseInteger(name, v, min, max);
}

export function reqInteger(params: FormObject, name: string, min: number, max?: number): number {
  if (params[name] === undefined || params[name] === "") throw errors.missingParam(name);
  return parseInteger(name, params[name], min, max);
}

export function reqCurrency(params: FormObject): string {
  const c = reqString(params, "currency").toLowerCase();
  if (!/^[a-z]{3}$/.test(c)) throw errors.invalidCurrency(c);
  return c;
}

/**
 * Metadata as Stripe accepts it: up to 50 keys, key <= 40 chars, value <= 500 chars.
 * An empty string value means "unset this key" on update; `metadata=` (empty) unsets all.
 */
export function optMetadata(params: FormObject, name = "metadata"): Record<string, string> | "" | undefined {
  const v = params[name];
  if (v === undefined) return undefined;
  if (v === "") return "";
  if (typeof v !== "object" || Array.isArray(v)) {
    throw errors.invalidParam(name, "Invalid metadata: must be a hash of key-value pairs.");
  }
  const out: Metadata = {};
  const keys = Object.keys(v);
  if (keys.length > 50) throw errors.invalidParam(name, "Invalid metadata: metadata can have at most 50 keys.");
  for (const k of keys) {
    const val = v[k];
    if (typeof val !== "string") {
      throw errors.invalidParam(`${name}[${k}]`, `Invalid metadata: value for ${k} must be a string.`);
    }
    if (k.length > 40) {
      throw errors.invalidParam(
        `${name}[${k}]`,
        `Metadata keys can have up to 40 characters, but you passed in a key that is ${k.length} characters.`,
      );
    }
    if (val.length > 500) {
      throw errors.invalidParam(
        `${name}[${k}]`,
        `Metadata values can have up to 500 characters, but you passed in a value that is ${val.length} characters.`,
      );
    }
    out[k] = val;
  }
  return out;
}

/** Apply a metadata update (Stripe semantics: "" value unsets a key, "" metadata clears). */
export function mergeMetadata(current: Metadata, update: Metadata | "" | undefined): Metadata {
  if (update === undefined) return current;
  if (update === "") return {};
  const out = { ...current };
  for (const [k, v] of Object.entries(update)) {
    if (v === "") delete out[k];
    else out[k] = v;
  }
  return out;
}

/** Drop empty-string values on create (Stripe treats them as unset). */
export function cleanMetadata(update: Metadata | "" | undefined): Metadata {
  return mergeMetadata({}, update);
}

export type RangeFilter = { gt?: number; gte?: number; lt?: number; lte?: number };

/** `created=123` or `created[gte]=..&created[lte]=..`. */
export function optRange(params: FormObject, name: string): RangeFilter | undefined {
  const v = params[name];
  if (v === undefined) return undefined;
  if (typeof v === "string") {
    const n = parseInteger(name, v, 0);
    return { gte: n, lte: n };
  }
  if (Array.isArray(v)) throw errors.invalidParam(name, `Invalid ${name}: expected an integer or a hash.`);
  const out: RangeFilter = {};
  for (const k of Object.keys(v)) {
    if (k !== "gt" && k !== "gte" && k !== "lt" && k !== "lte") throw errors.unknownParam(`${name}[${k}]`);
    out[k] = parseInteger(`${name}[${k}]`, v[k], 0);
  }
  return out;
}

export function inRange(n: number, r: RangeFilter | undefined): boolean {
  if (!r) return true;
  return (r.gt === undefined || n > r.gt) && (r.gte === undefined || n >= r.gte) &&
    (r.lt === undefined || n < r.lt) && (r.lte === undefined || n <= r.lte);
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}
