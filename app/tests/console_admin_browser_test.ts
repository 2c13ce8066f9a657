// The platform admin's Approvals and Recruiters screens in Chromium (app/src/admin_screens.tsx),
// against the test stack: four-eyes end to end (admin A asks through the API, A's own approval is
// refused in words, admin B approves in the console, the audit trail names both), and the
// per-recruiter pause behind a confirmation. Each screen is compared with what the API returns.
import assert from "node:assert/strict";
import type { Browser } from "puppeteer-core";
import { RPC } from "../../types/schemas.ts";
import { type Actor, buildWorld, ok, rpcOk, type World } from "../../supabase/tests/api/_support.ts";
import { PAGE_SIZE } from "../src/config.ts";
import { transfersPerSecond } from "../src/rate.ts";
import { formatMoney } from "../src/money.ts";
import { attrs, CONSOLE_URL, launchChromium, open, setPasswords, settled, signIn, step, texts } from "./browser_support.ts";

let world: World;
let browser: Browser;

Deno.test({
  name: "console admin screens in Chromium",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    world = await buildWorld("consoleadmin");
    // a second platform admin (made by postgres, like the first) approves; a fresh user is the grantee
    const admin2: Actor = await world.newUser("admin2");
    await world.sql`select private.bootstrap_platform_admin(${admin2.email})`;
    const grantee = await world.newUser("grantee");
    await setPasswords(world, [world.admin.email, admin2.email]);
    browser = await launchChromium();
    try {
      // admin A asks through the API: making someone an admin always needs a second admin
      const asked = await rpcOk(world.admin.db, "request_admin_action", {
        p_action: "grant_platform_admin",
        p_args: { p_user_id: grantee.id },
      });
      assert.equal(asked.status, "pending");
      const row = `tr[data-request-id="${asked.id}"]`;

      await t.step("the requester's own approval is refused in words (PT403), nothing changes", async () => {
        const page = await signIn(browser, world.admin.email);
        await step("admin-approvals-own", page, async () => {
          await open(page, "approvals", row);
          assert.deepEqual(await texts(page, `${row} td.requested-by`), ["you"]);
          assert.deepEqual(await texts(page, `${row} td.status`), ["pending"]);
          // the row is the API's request (other tests' requests may come and go meanwhile)
          const [api] = (await rpcOk(world.admin.db, "admin_action_requests", {})).filter((r) => r.id === asked.id);
          assert.deepEqual(await texts(page, `${row} td.action`), [api.action]);
          assert.deepEqual(await texts(page, `${row} td.args`), [`user_id: ${grantee.id}`]);
          assert.ok((await attrs(page, "tr[data-request-id]", "data-request-id")).length <= PAGE_SIZE, "one page");
          await page.click(`${row} button.approve`);
          await page.waitForSelector("[role=dialog] #confirm-yes");
          await page.click("#confirm-yes");
          await page.waitForSelector("[role=alert]");
          const [alert] = await texts(page, "[role=alert]");
          assert.match(alert, /Forbidden/);
          assert.match(alert, /PT403/);
          const still = await rpcOk(world.admin.db, "admin_action_requests", { p_status: "pending" });
          assert.equal(still.find((r) => r.id === asked.id)?.status, "pending", "the refusal changed nothing");
          assert.equal(
            ok(await world.admin.db.from("platform_admins").select("user_id").eq("user_id", grantee.id)).length,
            0,
          );
        });
      });

      await t.step("a second admin approves in the console; the audit trail shows requester and approver", async () => {
        const page = await signIn(browser, admin2.email);
        await step("admin-approvals-approve", page, async () => {
          await open(page, "approvals", row);
          assert.deepEqual(await texts(page, `${row} td.requested-by`), [world.admin.id.slice(0, 8)]);
          await page.click(`${row} button.approve`);
          await page.waitForSelector("[role=dialog] input[name=confirm-reason]");
          const [question] = await texts(page, "[role=dialog] p");
          assert.match(question, /Approve and run grant_platform_admin/);
          assert.ok(question.includes(world.admin.id), "the confirmation names the requester");
          await page.type("[role=dialog] input[name=confirm-reason]", "known colleague");
          await page.click("#confirm-yes");
          await page.waitForSelector(`p.done[data-decided="${asked.id}"]`);
          assert.match((await texts(page, "p.done"))[0], /executed/);
          // what the API says happened
          const [executed] = (await rpcOk(admin2.db, "admin_action_requests", { p_status: "executed" }))
            .filter((r) => r.id === asked.id);
          assert.deepEqual([executed?.decided_by, executed?.decision_reason], [admin2.id, "known colleague"]);
          const granted = ok(
            await admin2.db.from("platform_admins").select("id, granted_by").eq("user_id", grantee.id),
          );
          assert.deepEqual(granted.map((g) => g.granted_by), [admin2.id]);
          const trail = await rpcOk(admin2.db, "admin_payout_audit_log", {
            p_entity_type: "admin_action_request",
            p_entity_id: asked.id,
          });
          assert.deepEqual(
            trail.map((a) => [a.action, a.changed_by]),
            [["admin_action.request", world.admin.id], ["admin_action.approve", admin2.id]],
          );
          // the grant's own audit row: the approver acted, the reason names both admins
          const grantTrail = await rpcOk(admin2.db, "admin_payout_audit_log", {
            p_entity_type: "platform_admin",
            p_entity_id: granted[0].id,
          });
          assert.equal(grantTrail.length, 1);
          assert.equal(grantTrail[0].changed_by, admin2.id);
          assert.match(
            grantTrail[0].reason ?? "",
            new RegExp(`requested by ${world.admin.id}, approved by ${admin2.id}`),
          );
          // the console shows the same trail
          await page.waitForFunction(
            (n) => document.querySelectorAll("table.trail tr[data-audit-id]").length === n,
            {},
            trail.length,
          );
          assert.deepEqual(
            await attrs(page, "table.trail tr[data-audit-id]", "data-audit-id"),
            trail.map((a) => String(a.id)),
          );
          assert.deepEqual(await texts(page, "table.trail td.changed-by"), [world.admin.id, admin2.id]);
          assert.deepEqual(await texts(page, "table.trail td.audit-action"), [
            "admin_action.request",
            "admin_action.approve",
          ]);
          // decided once: the row left the pending queue
          assert.equal(await page.$(row), null);
        });
      });

      await t.step(
        "Runs: the history as admin_payout_runs pages it, outcomes per run, transfers per second",
        async () => {
          // The fixture's tranches were claimed by one run id in SQL (_support.ts); its history row is
          // what the runner layer writes (private.payout_runs), finished, with that claim's outcomes.
          const [{ run_id: runId }] = await world.sql<{ run_id: string }[]>`
          select claimed_by_run as run_id from public.payout_transfers where id = ${world.transfer.A.id}`;
          await world.sql`
          insert into private.payout_runs (id, kind, status, trigger, started_at, finished_at, finish_reason,
                                           last_invocation_at, invocations, claimed, paid, skip_reasons)
          values (${runId}, 'payout_schedules', 'finished', 'manual', now(), now() + interval '1 minute', 'done',
                  now(), 1, 2, 2, '{}')`;
          const page = await signIn(browser, world.admin.email);
          await step("admin-runs", page, async () => {
            const row = `tr[data-run-id="${runId}"]`;
            await open(page, "runs", row);
            const first = await world.admin.db.rpc("admin_payout_runs", {}, { count: "exact" })
              .eq("kind", "payout_schedules").order("started_at", { ascending: false }).order("id").range(
                0,
                PAGE_SIZE - 1,
              );
            const runs = RPC.admin_payout_runs.returns.parse(ok(first));
            const mine = runs.find((r) => r.id === runId);
            assert.ok(mine, "the run is on the API's first page");
            assert.ok(runs.length <= PAGE_SIZE);
            assert.match((await texts(page, ".page-info"))[0], new RegExp(`\\(${first.count} rows\\)`));
            assert.deepEqual(
              await texts(page, `${row} td.claimed, ${row} td.paid, ${row} td.failed, ${row} td.unknown`),
              [mine.claimed, mine.paid, mine.failed, mine.unknown].map(String),
            );
            assert.match((await texts(page, `${row} td.finished`))[0], /\(done\)$/);
            // the chart, from the run's tranches as the API gives them
            const tranches = ok(
              await world.admin.db.from("payout_transfers").select("succeeded_at, failed_at, unknown_at")
                .eq("claimed_by_run", runId),
            );
            assert.equal(tranches.length, 2, "the fixture's two tranches");
            const rate = transfersPerSecond(tranches.map((t) => t.succeeded_at ?? t.failed_at ?? t.unknown_at));
            await page.click(`${row} button.show-rate`);
            await page.waitForSelector("figure.rate .rate-plot canvas"); // uPlot drew it
            assert.deepEqual(await texts(page, "figure.rate .rate-total"), [String(rate.total)]);
            assert.deepEqual(await texts(page, "figure.rate .rate-peak"), [String(rate.peak)]);
            assert.deepEqual(
              await attrs(page, "figure.rate table.rate-data tr", "data-count"),
              rate.buckets.map((b) => String(b.count)),
            );
          });
        },
      );

      await t.step(
        "Placement detail: splits, buckets, holds, schedules, transfers, trail and chain as the API has them",
        async () => {
          const id = world.P1.id;
          const page = await signIn(browser, world.admin.email);
          await step("admin-placement", page, async () => {
            await open(page, "placement", "table.placements tr[data-placement-id]");
            // every placement, newest first, a page at a time, as the API pages them; Open opens one
            const first = ok(
              await world.admin.db.from("placements").select("id").order("created_at", { ascending: false })
                .order("id").range(0, PAGE_SIZE - 1),
            );
            assert.deepEqual(
              await attrs(page, "table.placements tr[data-placement-id]", "data-placement-id"),
              first.map((p) => p.id),
            );
            await page.click(`table.placements tr[data-placement-id="${first[0].id}"] button.open-placement`);
            await page.waitForSelector(`.placement-detail[data-placement-id="${first[0].id}"]`);
            assert.equal(new URL(page.url()).hash, `#placement/${first[0].id}`);
            await page.click("#back-to-placements");
            await page.waitForSelector("input[name=placement-id]");
            await page.type("input[name=placement-id]", id);
            await page.keyboard.press("Tab");
            const root = `.placement-detail[data-placement-id="${id}"]`;
            await page.waitForSelector(`${root} table.trail`);
            const api = world.admin.db;
            const ids = async (table: "placement_splits" | "payouts" | "escrow_holds" | "payout_schedules") =>
              ok(await api.from(table).select("id").eq("placement_id", id)).map((r) => r.id).sort();
            const shown = async (sel: string, attr: string) => (await attrs(page, sel, attr)).sort();
            assert.deepEqual(await shown(`${root} tr[data-split-id]`, "data-split-id"), await ids("placement_splits"));
            assert.deepEqual(
              await shown(`${root} table.payouts tr[data-payout-id]`, "data-payout-id"),
              await ids("payouts"),
            );
            assert.deepEqual(await shown(`${root} tr[data-hold-id]`, "data-hold-id"), await ids("escrow_holds"));
            assert.deepEqual(
              await shown(`${root} tr[data-schedule-id]`, "data-schedule-id"),
              await ids("payout_schedules"),
            );
            const a = world.payout.A;
            assert.deepEqual(await texts(page, `${root} tr[data-payout-id="${a.id}"] td.paid_amount`), [
              formatMoney(a.paid_amount, a.currency),
            ]);
            const transfers = ok(
              await api.from("payout_transfers").select("id, stripe_transfer_id").eq("placement_id", id),
            );
            assert.ok(transfers.some((t) => t.stripe_transfer_id), "a paid tranche with its Stripe id");
            assert.deepEqual(
              (await texts(page, `${root} tr[data-transfer-id] td.stripe-id`)).sort(),
              transfers.map((t) => t.stripe_transfer_id ?? "—").sort(),
            );
            const problems = RPC.verify_audit_chain.returns.parse(
              ok(await api.rpc("verify_audit_chain", { p_entity_type: "placement", p_entity_id: id })),
            );
            assert.equal(problems.length, 0);
            assert.deepEqual(await texts(page, `${root} p.chain`), ["Chain: verified, intact"]);
            const trail = await api.from("payout_audit_trail").select("id", { count: "exact" })
              .eq("entity_type", "placement").eq("entity_id", id).order("id").range(0, PAGE_SIZE - 1);
            assert.deepEqual(
              await attrs(page, `${root} table.trail tr[data-audit-id]`, "data-audit-id"),
              ok(trail).map((r) => String(r.id)),
            );
            // an action behind its confirmation: no reason is the database's PT400, in words; nothing changes
            await page.click(`${root} button.fail-placement`);
            await page.waitForSelector("#confirm-yes");
            await page.click("#confirm-yes");
            await page.waitForSelector("[role=dialog] [role=alert]");
            const [alert] = await texts(page, "[role=dialog] [role=alert]");
            assert.match(alert, /Invalid input/);
            assert.match(alert, /PT400/);
            const [after] = ok(await api.from("placements").select("status").eq("id", id));
            assert.equal(after.status, world.P1.status, "the refusal changed nothing");
          });
        },
      );

      await t.step(
        "Placement detail: an action that needs a second admin (PT428) is asked for from the same box",
        async () => {
          // THB is used by no other test: its threshold 0 makes failing this placement a four-eyes action
          await world.sql`insert into private.approval_thresholds (currency, min_amount) values ('THB', 0)
                        on conflict (currency) do update set min_amount = 0, updated_at = now()`;
          const placement = await rpcOk(world.admin.db, "create_placement", {
            p_company_id: world.companyY.id,
            p_fee_amount: 500000,
            p_currency: "THB",
            p_hired_at: new Date().toISOString(),
            p_guarantee_days: 90,
            p_splits: [{ recruiter_id: world.recruiter.C.id, role: "candidate_recruiter", share_bps: 5000 }],
          });
          const page = await signIn(browser, world.admin.email);
          await step("admin-placement-four-eyes", page, async () => {
            await open(page, "placement", "input[name=placement-id]");
            await page.type("input[name=placement-id]", placement.id);
            await page.keyboard.press("Tab");
            const root = `.placement-detail[data-placement-id="${placement.id}"]`;
            await page.waitForSelector(`${root} button.fail-placement`);
            await page.click(`${root} button.fail-placement`);
            await page.type("[role=dialog] input[name=confirm-reason]", "candidate left");
            await page.click("#confirm-yes");
            await page.waitForSelector("#request-approval");
            const [alert] = await texts(page, "[role=dialog] [role=alert]");
            assert.match(alert, /Needs a second admin's approval/);
            assert.match(alert, /PT428/);
            await page.click("#request-approval");
            await page.waitForSelector(`${root} p.done`);
            assert.match((await texts(page, `${root} p.done`))[0], /asked a second admin: request \w{8} \(pending\)/);
            const asked = (await rpcOk(world.admin.db, "admin_action_requests", {}))
              .filter((r) => r.args.p_placement_id === placement.id);
            assert.deepEqual(
              asked.map((r) => [r.action, r.args.p_reason, r.requested_by, r.status, r.currency]),
              [["fail_placement", "candidate left", world.admin.id, "pending", "THB"]],
            );
            const [after] = ok(await world.admin.db.from("placements").select("status").eq("id", placement.id));
            assert.equal(after.status, placement.status, "nothing failed before a second admin approves");
            // the queue stays clean for the next runs
            await rpcOk(admin2.db, "reject_admin_action", { p_request_id: asked[0].id, p_reason: "test done" });
          });
        },
      );

      await t.step(
        "a recruiter's payouts are paused and resumed behind a confirmation; no reason is PT400",
        async () => {
          const c = world.recruiter.C;
          const page = await signIn(browser, world.admin.email);
          await step("admin-recruiters", page, async () => {
            await open(page, "recruiters", "input[name=recruiter-name]");
            await page.type("input[name=recruiter-name]", world.tag);
            await page.keyboard.press("Tab"); // change event
            const rowC = `tr[data-recruiter-id="${c.id}"]`;
            await settled(page, rowC); // the rows before the filter may hold C too
            const mine = ok(
              await world.admin.db.from("recruiters").select("id").ilike("display_name", `%${world.tag}%`)
                .order("display_name").order("id"),
            );
            assert.deepEqual(await attrs(page, "tr[data-recruiter-id]", "data-recruiter-id"), mine.map((r) => r.id));
            assert.deepEqual(await texts(page, `${rowC} td.paused`), ["active"]);
            await page.click(`${rowC} button.pause`);
            await page.waitForSelector("#confirm-yes");
            await page.click("#confirm-yes");
            await page.waitForSelector("[role=alert]");
            const [alert] = await texts(page, "[role=alert]");
            assert.match(alert, /Invalid input/);
            assert.match(alert, /PT400/);
            assert.match(alert, /p_reason is required to pause a recruiter/);
            const before = ok(await world.admin.db.from("recruiters").select("payouts_paused").eq("id", c.id));
            assert.deepEqual(before, [{ payouts_paused: false }], "the refusal changed nothing");
            await page.type("input[name=confirm-reason]", "console test");
            await page.click("#confirm-yes");
            await page.waitForFunction(
              (sel) => document.querySelector(sel)?.textContent?.startsWith("paused"),
              {},
              `${rowC} td.paused`,
            );
            assert.deepEqual(await texts(page, `${rowC} td.paused`), ["paused (console test)"]);
            const paused = RPC.pause_recruiter_payouts.returns.array().parse(
              ok(await world.admin.db.from("recruiters").select("*").eq("id", c.id)),
            );
            assert.deepEqual(paused.map((r) => [r.payouts_paused, r.paused_reason]), [[true, "console test"]]);
            await page.click(`${rowC} button.resume`);
            await page.waitForSelector("#confirm-yes");
            await page.click("#confirm-yes");
            await page.waitForFunction(
              (sel) => document.querySelector(sel)?.textContent === "active",
              {},
              `${rowC} td.paused`,
            );
            const after = ok(await world.admin.db.from("recruiters").select("payouts_paused").eq("id", c.id));
            assert.deepEqual(after, [{ payouts_paused: false }]);
          });
        },
      );

      await t.step("Approvals page on the server: the count and each page are the API's", async () => {
        // more pending requests than a page holds: making fresh users admins (rejected afterwards)
        const users = await Promise.all(Array.from({ length: PAGE_SIZE + 1 }, (_, i) => world.newUser(`grant${i}`)));
        const asked = [];
        for (const u of users) {
          asked.push(
            await rpcOk(world.admin.db, "request_admin_action", {
              p_action: "grant_platform_admin",
              p_args: { p_user_id: u.id },
            }),
          );
        }
        const page = await signIn(browser, admin2.email);
        try {
          await step("admin-approvals-pages", page, async () => {
            await open(page, "approvals", "tr[data-request-id]");
            const range = (from: number) =>
              admin2.db.rpc("admin_action_requests", { p_status: "pending" }, { count: "exact" })
                .order("requested_at", { ascending: false }).order("id").range(from, from + PAGE_SIZE - 1);
            const first = await range(0);
            assert.ok((first.count ?? 0) > PAGE_SIZE, "more than one page");
            assert.match((await texts(page, ".page-info"))[0], new RegExp(`^page 1 of \\d+ \\(${first.count} rows\\)`));
            const ids = (rows: { id: string }[]) => rows.map((r) => r.id);
            assert.deepEqual(await attrs(page, "tr[data-request-id]", "data-request-id"), ids(ok(first)));
            const [next] = await page.$$("xpath/.//button[text()='Next']");
            await next.click();
            await page.waitForFunction(() =>
              document.querySelector(".page-info")?.textContent?.startsWith("page 2 of")
            );
            const second = ok(await range(PAGE_SIZE));
            await page.waitForFunction(
              (id) => document.querySelector("tr[data-request-id]")?.getAttribute("data-request-id") === id,
              {},
              second[0].id,
            );
            assert.deepEqual(await attrs(page, "tr[data-request-id]", "data-request-id"), ids(second));
          });
        } finally {
          for (const r of asked) {
            await rpcOk(admin2.db, "reject_admin_action", { p_request_id: r.id, p_reason: "test done" });
          }
        }
      });

      await t.step(
        "Placement detail: releasing a hold behind its confirmation moves its money and is audited",
        async () => {
          const hold = world.hold.B;
          const payoutB = world.payout.B;
          const page = await signIn(browser, world.admin.email);
          await step("admin-placement-release", page, async () => {
            await page.waitForSelector("header .roles");
            // a link opens the placement directly (#placement/<id>)
            await page.goto(`${CONSOLE_URL}#placement/${world.P1.id}`, { waitUntil: "domcontentloaded" });
            const root = `.placement-detail[data-placement-id="${world.P1.id}"]`;
            const row = `${root} tr[data-hold-id="${hold.id}"]`;
            await page.waitForSelector(`${row} button.release`);
            assert.deepEqual(await texts(page, `${row} td.status`), ["active"]);
            await page.click(`${row} button.release`);
            await page.waitForSelector("[role=dialog] input[name=confirm-reason]");
            assert.match(
              (await texts(page, "[role=dialog] p"))[0],
              new RegExp(`release_escrow_hold on ${hold.id.slice(0, 8)}`),
            );
            await page.type("[role=dialog] input[name=confirm-reason]", "guarantee waived");
            await page.click("#confirm-yes");
            await page.waitForSelector(`${root} p.done`);
            assert.deepEqual(await texts(page, `${root} p.done`), ["release_escrow_hold done"]);
            // the API agrees: the hold is released, its money payable, the admin and the reason audited
            const [released] = ok(await world.admin.db.from("escrow_holds").select("status").eq("id", hold.id));
            assert.equal(released.status, "released");
            await page.waitForFunction(
              (sel) => document.querySelector(sel)?.textContent === "released",
              {},
              `${row} td.status`,
            );
            const [after] = ok(
              await world.admin.db.from("payouts").select("held_amount, payable_amount").eq("id", payoutB.id),
            );
            assert.equal(after.held_amount, payoutB.held_amount - hold.hold_amount);
            assert.deepEqual(
              await texts(page, `${root} table.payouts tr[data-payout-id="${payoutB.id}"] td.held_amount`),
              [formatMoney(after.held_amount, payoutB.currency)],
            );
            const trail = await rpcOk(world.admin.db, "admin_payout_audit_log", {
              p_entity_type: "escrow_hold",
              p_entity_id: hold.id,
            });
            const last = trail[trail.length - 1];
            assert.deepEqual([last.changed_by, last.reason], [world.admin.id, "guarantee waived"]);
            assert.equal(await page.$(`${row} button.release`), null, "a released hold offers no action");
          });
        },
      );

      await t.step(
        "Alerts: each alert says what resolves it; its action runs from the alert, its link opens the placement",
        async () => {
          // P1 fails after its payouts were paid: they are flagged for reversal (alert payout_flagged_for_reversal)
          await rpcOk(world.admin.db, "fail_placement", { p_placement_id: world.P1.id, p_reason: "candidate left" });
          const payoutA = world.payout.A;
          const page = await signIn(browser, world.admin.email);
          await step("admin-alerts-resolve", page, async () => {
            await open(page, "alerts", "select[name=alert-kind]");
            await page.select("select[name=alert-kind]", "payout_flagged_for_reversal");
            const item = `.alert-group[data-kind=payout_flagged_for_reversal] li[data-subject-id="${payoutA.id}"]`;
            await settled(page, item); // the unfiltered list, marked busy, stays until the filtered page arrives
            // the screen shows the API's first page of that kind
            const first = ok(
              await world.admin.db.from("payout_alerts").select("subject_id, details", { count: "exact" })
                .eq("kind", "payout_flagged_for_reversal").order("kind")
                .order("detected_at", { ascending: false, nullsFirst: false }).order("subject_id").range(
                  0,
                  PAGE_SIZE - 1,
                ),
            );
            assert.deepEqual(await attrs(page, ".alert-group li", "data-subject-id"), first.map((a) => a.subject_id));
            assert.match((await texts(page, `${item} .advice`))[0], /not reversed yet: reverse the payout/);
            assert.deepEqual(await attrs(page, `${item} a.open-placement`, "href"), [`#placement/${world.P1.id}`]);
            // the resolving action, behind its confirmation: no reason is the database's PT400, nothing changes
            await page.click(`${item} button.resolve`);
            await page.waitForSelector(`${item} [role=dialog] #confirm-yes`);
            await page.click(`${item} #confirm-yes`);
            await page.waitForSelector(`${item} [role=dialog] [role=alert]`);
            assert.match((await texts(page, `${item} [role=alert]`))[0], /PT400/);
            const none = ok(await world.admin.db.from("payout_reversals").select("id").eq("payout_id", payoutA.id));
            assert.equal(none.length, 0, "the refusal changed nothing");
            await page.type(`${item} input[name=confirm-reason]`, "placement failed");
            await page.click(`${item} #confirm-yes`);
            await page.waitForFunction(() =>
              document.querySelector("section p.done")?.textContent === "reverse_payout done"
            );
            const reversals = ok(
              await world.admin.db.from("payout_reversals").select("amount, reason").eq("payout_id", payoutA.id),
            );
            assert.ok(reversals.length > 0, "reverse_payout asked for the reversal");
            assert.equal(reversals.reduce((n, r) => n + r.amount, 0), payoutA.paid_amount - payoutA.reversed_amount);
            // resolved or under way: the alert offers no second reversal
            await page.waitForFunction(
              (sel) => {
                const li = document.querySelector(sel);
                return !li || (!li.querySelector("button.resolve") && /in progress/.test(li.textContent ?? ""));
              },
              {},
              item,
            );
            // B, paid on the same placement, is still flagged: its link opens the placement's detail
            const itemB = `.alert-group li[data-subject-id="${world.payout.B.id}"]`;
            assert.deepEqual(await attrs(page, `${itemB} button.resolve`, "class"), ["resolve"]);
            await page.click(`${itemB} a.open-placement`);
            await page.waitForSelector(`.placement-detail[data-placement-id="${world.P1.id}"] table.trail`);
            assert.deepEqual(await attrs(page, "#nav-placement", "class"), ["active"]);
          });
        },
      );

      await t.step("Controls: pause with a reason, then resume through a second admin (four-eyes)", async () => {
        const page = await signIn(browser, world.admin.email);
        const controls = async () => RPC.payout_controls.returns.parse(ok(await world.admin.db.rpc("payout_controls")));
        try {
          await step("admin-controls-pause-resume", page, async () => {
            await open(page, "controls", "#pause-payouts");
            assert.equal((await controls()).payouts_paused, false);
            await page.click("#pause-payouts");
            await page.type("[role=dialog] input[name=confirm-reason]", "incident 42");
            await page.click("#confirm-yes");
            await page.waitForSelector("#resume-payouts");
            const paused = await controls();
            assert.deepEqual([paused.payouts_paused, paused.paused_reason], [true, "incident 42"]);
            assert.deepEqual(await texts(page, "p.payouts-state"), [
              `Payouts: paused since ${paused.paused_at} (incident 42)`,
            ]);
            // resuming always needs a second admin: PT428 in words, then asked for from the same box
            await page.click("#resume-payouts");
            await page.type("[role=dialog] input[name=confirm-reason]", "incident over");
            await page.click("#confirm-yes");
            await page.waitForSelector("#request-approval");
            assert.match((await texts(page, "[role=dialog] [role=alert]"))[0], /PT428/);
            assert.equal((await controls()).payouts_paused, true, "the refusal changed nothing");
            await page.click("#request-approval");
            await page.waitForFunction(() =>
              /asked a second admin/.test(document.querySelector("p.done")?.textContent ?? "")
            );
            const [asked] = (await rpcOk(admin2.db, "admin_action_requests", {}))
              .filter((r) => r.action === "resume_payouts" && r.requested_by === world.admin.id);
            assert.deepEqual([asked?.args.p_reason, asked?.status], ["incident over", "pending"]);
            await rpcOk(admin2.db, "approve_admin_action", { p_request_id: asked.id, p_reason: "checked" });
            assert.equal((await controls()).payouts_paused, false);
          });
        } finally {
          // never leave the test stack paused
          if ((await controls()).payouts_paused) {
            await world.sql`select private.set_payouts_paused(false, 'test cleanup')`;
          }
        }
      });
    } finally {
      await browser.close();
      await world.cleanup();
    }
  },
});
