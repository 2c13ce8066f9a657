/**
 * Shape comparison of a stand-in object with Stripe's own example of that resource
 * (`../shared/reference/stripe-fixtures3.json`, `resources.<object>`): the same keys, and values
 * of the same JSON type, recursively into nested objects and array elements.
 *
 * - A `null` in Stripe's example matches any value (the field is nullable; the example shows none).
 * - A `null` from the stand-in where the example has a value is a mismatch unless the path is
 *   listed in `rules.nullable` (with the reason in a comment at the call site).
 * - Arrays: each element is compared with the example's first element (an empty example array
 *   says nothing about its elements).
 * - `rules.maps`: paths whose keys are free (`metadata`, `capabilities`): only the value types count.
 * - `rules.skip`: paths compared elsewhere (an event's `data.object`, by its resource's own case).
 * - `rules.extra`: keys the stand-in may have at a path beyond the example's, e.g. controller
 *   properties that Stripe's example (a Standard account) does not show.
 * Paths are dotted (`requirements.currently_due`), `[]` for array elements, `` for the top.
 */

export interface ShapeRules {
  maps?: readonly string[];
  /** Paths not compared here (an event's `data.object`: its own resource's case compares it). */
  skip?: readonly string[];
  extra?: Readonly<Record<string, readonly string[]>>;
  nullable?: readonly string[];
}

type Kind = "null" | "array" | "object" | "string" | "number" | "boolean" | "undefined";

function kind(v: unknown): Kind {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v as Kind;
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

/** Every difference between `actual` and Stripe's `example`, as `"<path>: <what>"` lines (none: same shape). */
export function shapeDiff(example: unknown, actual: unknown, rules: ShapeRules = {}, path = ""): string[] {
  const ek = kind(example);
  const ak = kind(actual);
  if (ek === "null" || rules.skip?.includes(path)) return [];
  if (ak === "null") return rules.nullable?.includes(path) ? [] : [`${path || "<top>"}: null, Stripe has ${ek}`];
  if (ek !== ak) return [`${path || "<top>"}: ${ak}, Stripe has ${ek}`];
  if (ek === "array") {
    const [first] = example as unknown[];
    if (first === undefined) return [];
    return (actual as unknown[]).flatMap((el) => shapeDiff(first, el, rules, `${path}[]`));
  }
  if (ek !== "object") return [];
  const e = example as Record<string, unknown>;
  const a = actual as Record<string, unknown>;
  if (rules.maps?.includes(path)) {
    const sample = Object.values(e).find((v) => v !== null);
    if (sample === undefined) return [];
    return Object.entries(a).flatMap(([k, v]) => shapeDiff(sample, v, rules, join(path, k)));
  }
  const out: string[] = [];
  for (const k of Object.keys(e)) {
    if (!(k in a)) out.push(`${join(path, k)}: missing`);
  }
  const allowed = rules.extra?.[path] ?? [];
  for (const k of Object.keys(a)) {
    if (!(k in e)) {
      if (!allowed.includes(k)) out.push(`${join(path, k)}: not in Stripe's example`);
      continue;
    }
    out.push(...shapeDiff(e[k], a[k], rules, join(path, k)));
  }
  return out;
}

/** Stripe's example objects, by resource name (`account`, `transfer`, …). */
export async function loadStripeExamples(
  file = new URL("../../../shared/reference/stripe-fixtures3.json", import.meta.url),
): Promise<Record<string, unknown>> {
  const json = JSON.parse(await Deno.readTextFile(file)) as { resources: Record<string, unknown> };
  return json.resources;
}
