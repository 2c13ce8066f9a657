/**
 * Money at the Stripe boundary: integer minor units only, never floats.
 *
 * postgres.js returns `bigint` columns as strings ("12500"); Stripe's SDK wants a JS number.
 * `toMinorUnits` converts exactly (or throws) so no float arithmetic or silent rounding can creep in.
 */

/** Thrown for an amount or currency that cannot be sent to Stripe. */
export class MoneyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MoneyError";
  }
}

/**
 * Converts an amount in minor units (`"12500"`, `12500`, `12500n`) to a safe integer number.
 * Rejects fractions, exponents, signs other than a leading `-`, non-finite values, values beyond
 * `Number.MAX_SAFE_INTEGER`, and values below `min` (default 1: Stripe transfers need ≥ 1).
 */
export function toMinorUnits(value: string | number | bigint, opts: { min?: number } = {}): number {
  const min = opts.min ?? 1;
  let n: number;
  if (typeof value === "bigint") {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new MoneyError("amount out of the safe integer range");
    }
    n = Number(value);
  } else if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new MoneyError("amount must be a safe integer in minor units");
    n = value;
  } else if (typeof value === "string" && /^-?(0|[1-9][0-9]*)$/.test(value)) {
    const b = BigInt(value);
    if (b > BigInt(Number.MAX_SAFE_INTEGER) || b < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new MoneyError("amount out of the safe integer range");
    }
    n = Number(b);
  } else {
    throw new MoneyError("amount must be an integer in minor units");
  }
  if (n < min) throw new MoneyError(`amount must be >= ${min}`);
  return n;
}

/** ISO currency (`"USD"` as stored, `char(3)`) → Stripe's lower-case form (`"usd"`). */
export function toStripeCurrency(code: string): string {
  const c = code.trim();
  if (!/^[A-Za-z]{3}$/.test(c)) throw new MoneyError("currency must be a three-letter ISO code");
  return c.toLowerCase();
}
