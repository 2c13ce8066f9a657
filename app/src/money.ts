// Amounts as the API gives them: integer minor units and an ISO currency. Never a float: the
// decimal string is built from the integer (BigInt), and Intl formats that exact string.

/** Digits after the decimal point of a currency (USD 2, JPY 0, KWD 3), as Intl knows them. */
export function minorUnitDigits(currency: string): number {
  return new Intl.NumberFormat("en-US", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** The exact decimal string of an amount in minor units: 123456 USD → "1234.56", 1234 JPY → "1234". */
export function toDecimalString(minor: number | bigint, currency: string): string {
  if (typeof minor === "number" && !Number.isSafeInteger(minor)) {
    throw new RangeError(`not an integer amount of minor units: ${minor}`);
  }
  const n = BigInt(minor);
  const digits = minorUnitDigits(currency);
  const abs = n < 0n ? -n : n;
  const sign = n < 0n ? "-" : "";
  if (digits === 0) return `${sign}${abs}`;
  const scale = 10n ** BigInt(digits);
  return `${sign}${abs / scale}.${(abs % scale).toString().padStart(digits, "0")}`;
}

/** "$1,234.56", "¥1,234", in the given locale. */
export function formatMoney(minor: number | bigint, currency: string, locale = "en-US"): string {
  const nf = new Intl.NumberFormat(locale, { style: "currency", currency });
  // Intl formats decimal strings exactly (no conversion to a double).
  return nf.format(toDecimalString(minor, currency) as unknown as number);
}

/** Sums per currency, in BigInt (a page of rows, or every row of a preview). */
export function totalsByCurrency(rows: { currency: string; amount: number }[]): Map<string, bigint> {
  const totals = new Map<string, bigint>();
  for (const r of rows) totals.set(r.currency, (totals.get(r.currency) ?? 0n) + BigInt(r.amount));
  return new Map([...totals].sort(([a], [b]) => a.localeCompare(b)));
}
