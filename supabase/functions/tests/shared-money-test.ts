import assert from "node:assert/strict";
import { MoneyError, toMinorUnits, toStripeCurrency } from "../_shared/money.ts";

Deno.test("money: bigint columns (strings from postgres.js) become exact integers", () => {
  assert.equal(toMinorUnits("12500"), 12500);
  assert.equal(toMinorUnits(1), 1);
  assert.equal(toMinorUnits(9007199254740991n), Number.MAX_SAFE_INTEGER);
  assert.equal(toMinorUnits("0", { min: 0 }), 0);
  assert.equal(toMinorUnits("-5", { min: -10 }), -5);
});

Deno.test("money: floats, fractions, exponents, overflow and non-positive amounts are refused", () => {
  for (
    const v of ["12.5", "1e3", " 1", "01", "", "abc", "9007199254740992", 12.5, NaN, Infinity, 2 ** 53, "0", 0, -1]
  ) {
    assert.throws(() => toMinorUnits(v as string | number), MoneyError, String(v));
  }
  assert.throws(() => toMinorUnits(2n ** 64n), MoneyError);
});

Deno.test("money: currency to Stripe's lower case", () => {
  assert.equal(toStripeCurrency("USD"), "usd");
  assert.equal(toStripeCurrency("eur "), "eur");
  assert.throws(() => toStripeCurrency("US"), MoneyError);
  assert.throws(() => toStripeCurrency("U$D"), MoneyError);
});
