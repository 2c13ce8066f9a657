/**
 * `application/x-www-form-urlencoded` / query-string parsing with Stripe's bracket
 * notation: `metadata[payout_id]=p1`, `expand[0]=x`, `expand[]=x`, `created[gte]=1`.
 * Values stay strings (Stripe parses types per parameter); objects whose keys are
 * exactly 0..n-1 become arrays.
 */

export type FormValue = string | FormValue[] | FormObject;
export interface FormObject {
  [key: string]: FormValue;
}

export class FormError extends Error {}

const FORBIDDEN = new Set(["__proto__", "prototype", "constructor"]);

export function parseForm(input: string): FormObject {
  const root: FormObject = {};
  if (!input) return root;
  for (const part of input.split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const key = decode(eq < 0 ? part : part.slice(0, eq));
    const value = decode(eq < 0 ? "" : part.slice(eq + 1));
    if (!key) continue;
    assign(root, splitKey(key), value);
  }
  return arrayify(root) as FormObject;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replaceAll("+", " "));
  } catch {
    throw new FormError(`Invalid percent-encoding in form data: ${s}`);
  }
}

/** "a[b][c]" -> ["a","b","c"]; "a[]" -> ["a",""]; malformed brackets -> [key]. */
export function splitKey(key: string): string[] {
  const first = key.indexOf("[");
  if (first <= 0) return [key];
  const segs = [key.slice(0, first)];
  const re = /\[([^[\]]*)\]/g;
  re.lastIndex = first;
  let pos = first;
  let m: RegExpExecArray | null;
  while ((m = re.exec(key)) !== null && m.index === pos) {
    segs.push(m[1]);
    pos = re.lastIndex;
  }
  return pos === key.length ? segs : [key];
}

function assign(root: FormObject, path: string[], value: string): void {
  let cur = root;
  for (let i = 0; i < path.length; i++) {
    let seg = path[i];
    if (seg === "") seg = String(Object.keys(cur).length);
    if (FORBIDDEN.has(seg)) throw new FormError(`Invalid parameter name: ${seg}`);
    if (i === path.length - 1) {
      cur[seg] = value;
      return;
    }
    const next = cur[seg];
    if (next === undefined || typeof next === "string" || Array.isArray(next)) cur[seg] = {};
    cur = cur[seg] as FormObject;
  }
}

function arrayify(v: FormValue): FormValue {
  if (typeof v === "string" || Array.isArray(v)) return v;
  const keys = Object.keys(v);
  for (const k of keys) v[k] = arrayify(v[k]);
  if (keys.length > 0 && keys.every((k, i) => k === String(i))) return keys.map((k) => v[k]);
  return v;
}

/** Stable JSON (sorted object keys) used to compare request parameters. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  const obj = v as Record<string, unknown>;
  return `{${
    Object.keys(obj).sort().filter((k) => obj[k] !== undefined).map((k) =>
      `${JSON.stringify(k)}:${canonicalJson(obj[k])}`
    )
      .join(",")
  }}`;
}
