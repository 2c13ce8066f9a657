// The console's pure modules: amounts from integer minor units (never a float), errors in words.
import assert from "node:assert/strict";
import { formatMoney, minorUnitDigits, toDecimalString, totalsByCurrency } from "./money.ts";
import { describeError } from "./errors.ts";
import { z } from "zod";

Deno.test("minor units per currency come from Intl", () => {
  assert.equal(minorUnitDigits("USD"), 2);
  assert.equal(minorUnitDigits("JPY"), 0);
  assert.equal(minorUnitDigits("KWD"), 3);
});

Deno.test("decimal strings are built from the integer", () => {
  assert.equal(toDecimalString(123456, "USD"), "1234.56");
  assert.equal(toDecimalString(5, "USD"), "0.05");
  assert.equal(toDecimalString(-5, "USD"), "-0.05");
  assert.equal(toDecimalString(0, "EUR"), "0.00");
  assert.equal(toDecimalString(1234, "JPY"), "1234");
  assert.equal(toDecimalString(1001, "KWD"), "1.001");
  // beyond 2^53: exact, as BigInt
  assert.equal(toDecimalString(9007199254740993n, "USD"), "90071992547409.93");
  assert.throws(() => toDecimalString(1.5, "USD"), RangeError);
  assert.throws(() => toDecimalString(2 ** 53, "USD"), RangeError);
});

Deno.test("amounts are formatted with Intl.NumberFormat, exactly", () => {
  assert.equal(formatMoney(123456, "USD"), "$1,234.56");
  assert.equal(formatMoney(1234, "JPY"), "¥1,234");
  assert.equal(formatMoney(-5, "USD"), "-$0.05");
  assert.equal(formatMoney(9007199254740993n, "USD"), "$90,071,992,547,409.93");
  assert.equal(formatMoney(999_999_999_999_999n, "JPY"), "¥999,999,999,999,999");
  assert.equal(formatMoney(123456, "EUR", "de-DE"), "1.234,56\u00a0€");
});

Deno.test("totals per currency add integers, in BigInt", () => {
  const t = totalsByCurrency([
    { currency: "USD", amount: Number.MAX_SAFE_INTEGER },
    { currency: "JPY", amount: 10 },
    { currency: "USD", amount: 2 },
  ]);
  assert.deepEqual([...t], [["JPY", 10n], ["USD", 9007199254740993n]]);
});

Deno.test("errors in words: SQLSTATE and message, Auth's code, unparsable answers", () => {
  const pt400 = describeError({ code: "PT400", message: "p_reason is required", details: null, hint: null });
  assert.deepEqual(pt400, { title: "Invalid input", code: "PT400", text: "p_reason is required" });
  assert.equal(
    describeError({ code: "42501", message: "permission denied", details: null, hint: null }).title,
    "Not allowed: your account may not do this",
  );
  assert.equal(describeError({ code: "XX000", message: "boom", details: "d", hint: "h" }).text, "boom — d — h");
  const auth = Object.assign(new Error("Invalid login credentials"), { code: "invalid_credentials" });
  assert.deepEqual(describeError(auth), {
    title: "Wrong email or password",
    code: "invalid_credentials",
    text: "Invalid login credentials",
  });
  const zerr = z.object({ a: z.number() }).safeParse({ a: "x" }).error;
  assert.match(describeError(zerr).title, /does not understand/);
  assert.equal(describeError("weird").text, "weird");
});
