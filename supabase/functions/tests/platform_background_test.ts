import assert from "node:assert/strict";
import { pendingBackground, respondAccepted, settleBackground } from "../_shared/platform/background.ts";
import { createLogger } from "../_shared/platform/log.ts";

Deno.test("background: answers 202 before the work runs; detached work is tracked", async () => {
  const events: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const res = respondAccepted(async () => {
    events.push("start");
    await gate;
    events.push("end");
  }, { body: { run_id: "r1" } });
  events.push("responded");
  assert.equal(res.status, 202);
  assert.deepEqual(await res.json(), { accepted: true, run_id: "r1" });
  assert.equal(pendingBackground(), 1);
  release();
  await settleBackground();
  assert.deepEqual(events, ["responded", "start", "end"]);
  assert.equal(pendingBackground(), 0);
});

Deno.test("background: uses EdgeRuntime.waitUntil when present", async () => {
  const handed: Promise<unknown>[] = [];
  const g = globalThis as { EdgeRuntime?: unknown };
  g.EdgeRuntime = { waitUntil: (p: Promise<unknown>) => handed.push(p) };
  try {
    let ran = false;
    const res = respondAccepted(() => {
      ran = true;
      return Promise.resolve();
    });
    assert.equal(res.status, 202);
    await res.body?.cancel();
    assert.equal(handed.length, 1);
    assert.equal(pendingBackground(), 0);
    await handed[0];
    assert.equal(ran, true);
  } finally {
    delete g.EdgeRuntime;
  }
});

Deno.test("background: a failing (even synchronously throwing) work is logged, never unhandled", async () => {
  const lines: string[] = [];
  const log = createLogger({ fn: "t" }, { sink: (l) => lines.push(l) });
  const res = respondAccepted(() => {
    throw new Error("boom with sk_test_secret123");
  }, { log });
  assert.equal(res.status, 202);
  await res.body?.cancel();
  await settleBackground();
  assert.equal(lines.length, 1);
  const line = JSON.parse(lines[0]);
  assert.equal(line.msg, "background work failed");
  assert.equal(line.error.message, "boom with sk_test_[REDACTED]");
});
