/**
 * Stripe list objects and cursor pagination (`limit`, `starting_after`, `ending_before`).
 * Items are ordered newest first by (created, seq). Cursors are positions in that order,
 * so a cursor object does not need to match the current filters.
 */
import { errors } from "./errors.ts";
import type { FormObject } from "./form.ts";
import { optInteger, optString } from "./params.ts";

export interface ListObject<T> {
  object: "list";
  data: T[];
  has_more: boolean;
  url: string;
}

export interface Ordered {
  id: string;
  created: number;
  seq: number;
}

export const PAGINATION_PARAMS = ["limit", "starting_after", "ending_before", "expand"] as const;

/** Newer first. */
export function compareNewestFirst(a: Ordered, b: Ordered): number {
  return b.created - a.created || b.seq - a.seq;
}

export function paginate<T extends Ordered, R>(
  items: T[],
  params: FormObject,
  url: string,
  lookup: (id: string) => Ordered | undefined,
  kind: string,
  render: (item: T) => R,
): ListObject<R> {
  const limit = optInteger(params, "limit", 1, 100) ?? 10;
  const startingAfter = optString(params, "starting_after");
  const endingBefore = optString(params, "ending_before");
  const sorted = [...items].sort(compareNewestFirst);
  let page: T[];
  let hasMore: boolean;
  if (startingAfter) {
    const cursor = lookup(startingAfter);
    if (!cursor) throw errors.noSuchParamResource(kind, startingAfter, "starting_after");
    const older = sorted.filter((i) => compareNewestFirst(cursor, i) < 0);
    page = older.slice(0, limit);
    hasMore = older.length > limit;
  } else if (endingBefore) {
    const cursor = lookup(endingBefore);
    if (!cursor) throw errors.noSuchParamResource(kind, endingBefore, "ending_before");
    const newer = sorted.filter((i) => compareNewestFirst(i, cursor) < 0);
    page = newer.slice(Math.max(0, newer.length - limit));
    hasMore = newer.length > limit;
  } else {
    page = sorted.slice(0, limit);
    hasMore = sorted.length > limit;
  }
  return { object: "list", data: page.map(render), has_more: hasMore, url };
}

/** An embedded sublist such as `transfer.reversals` (first 10, newest first; like Stripe, no total_count unless asked for). */
export function sublist<T extends Ordered, R>(items: T[], url: string, render: (i: T) => R) {
  const sorted = [...items].sort(compareNewestFirst);
  return {
    object: "list" as const,
    data: sorted.slice(0, 10).map(render),
    has_more: sorted.length > 10,
    url,
  };
}
