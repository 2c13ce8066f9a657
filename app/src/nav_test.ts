import assert from "node:assert/strict";
import { parseRoute, routeHref } from "./nav.ts";

Deno.test("a route survives the round trip through the hash", () => {
  const id = "0b7f6c1e-3a52-4c1f-9d1e-2f4a6b8c9d0e";
  assert.deepEqual(parseRoute(routeHref("placement", id)), { screen: "placement", id });
  assert.deepEqual(parseRoute(routeHref("alerts")), { screen: "alerts", id: null });
});

Deno.test("an empty or odd hash is no route, and an id is decoded", () => {
  assert.deepEqual(parseRoute(""), { screen: "", id: null });
  assert.deepEqual(parseRoute("#"), { screen: "", id: null });
  assert.deepEqual(parseRoute("#placement/"), { screen: "placement", id: null });
  assert.deepEqual(parseRoute("#placement/a%2Fb"), { screen: "placement", id: "a/b" });
  assert.equal(routeHref("placement", "a/b"), "#placement/a%2Fb");
});
