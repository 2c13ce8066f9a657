// The console (app/) in a real browser: Debian's Chromium driven by puppeteer-core over CDP, against
// the test stack (the runner serves the built console at CONSOLE_URL, on the stack's gateway).
// Users of the API tests' world (supabase/tests/api/_support.ts) sign in with a password, as a
// person would; what each screen shows is compared with what the API returns to that user.
// A failing step leaves a screenshot under .local/console-screenshots/.
import assert from "node:assert/strict";
import type { Browser } from "puppeteer-core";
import { RPC } from "../../types/schemas.ts";
import { buildWorld, ok, rpcOk, type World } from "../../supabase/tests/api/_support.ts";
import { PAGE_SIZE } from "../src/config.ts";
import { formatMoney, totalsByCurrency } from "../src/money.ts";
import { attrs, launchChromium, open, setPasswords, signIn, step, texts } from "./browser_support.ts";

const payoutCount = (n: number) => `${n} ${n === 1 ? "payout" : "payouts"}`;

let world: World;
let browser: Browser;

Deno.test({
  name: "console in Chromium",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    world = await buildWorld("console");
    await setPasswords(world, [world.admin.email, world.ra.email, world.cadm.email]);
    // P2's invoice is paid (as the world pays P1's): C's payout is due, so tonight's run would pay something.
    await world
      .sql`select private.transition_placement_invoice(${world.invoiceP2.id}, 'paid', null, now(), now() - interval '20 days')`;
    browser = await launchChromium();
    try {
      await t.step("a platform admin sees Tonight: the preview's first page, and totals per currency", async () => {
        const page = await signIn(browser, world.admin.email);
        await step("admin-tonight", page, async () => {
          await page.waitForSelector("table.rows tr[data-payout-id]");
          await page.waitForSelector("table.totals");
          const roles = await texts(page, "header .roles");
          assert.deepEqual(roles, ["platform admin"]);
          // what the API gives the same admin
          const db = world.admin.db;
          const first = await db.rpc("payout_run_preview", {}, { count: "exact" }).order("payout_id").range(
            0,
            PAGE_SIZE - 1,
          );
          const rows = RPC.payout_run_preview.returns.parse(ok(first));
          assert.deepEqual(
            await attrs(page, "table.rows tr[data-payout-id]", "data-payout-id"),
            rows.map((r) => r.payout_id),
          );
          const reasons = await texts(page, "table.rows td.reason");
          assert.deepEqual(reasons, rows.map((r) => r.reason ?? "—"));
          assert.ok(rows.some((r) => r.reason !== null), "the page shows a reason for some payout");
          const info = await texts(page, ".page-info");
          assert.match(info[0], new RegExp(`\\(${first.count} rows\\)`));
          const all = RPC.payout_run_preview.returns.parse(ok(await db.rpc("payout_run_preview", {})));
          assert.ok(all.some((r) => r.payout_id === world.payout.C.id && r.would_pay), "C's payout is due tonight");
          // the totals (summed by payout_run_totals in the database) are the preview's rows summed here
          const paying = all.filter((r) => r.would_pay);
          const totals = totalsByCurrency(paying);
          const shown = await page.$$eval(
            "table.totals tr[data-currency]",
            (els) =>
              els.map((e) => [
                e.getAttribute("data-currency"),
                e.querySelector("td.total")?.textContent?.trim(),
                e.querySelector("td.payouts")?.textContent?.trim(),
              ]),
          );
          assert.deepEqual(
            shown,
            [...totals].map((
              [c, a],
            ) => [c, formatMoney(a, c), payoutCount(paying.filter((r) => r.currency === c).length)]),
          );
        });
      });

      await t.step("Tonight paginates on the server: Next shows the preview's second range", async () => {
        // more payouts than a page holds, whatever else the stack has
        for (let i = 0; i < PAGE_SIZE + 1; i++) {
          const placement = await rpcOk(world.admin.db, "create_placement", {
            p_company_id: world.companyY.id,
            p_fee_amount: 1000 + i,
            p_currency: "USD",
            p_hired_at: new Date().toISOString(),
            p_guarantee_days: 90,
            p_splits: [{ recruiter_id: world.recruiter.C.id, role: "candidate_recruiter", share_bps: 5000 }],
          });
          // invoiced: its payout has money outstanding (payable once the invoice is paid)
          await rpcOk(world.admin.db, "record_placement_invoice", {
            p_placement_id: placement.id,
            p_stripe_invoice_id: `in_${world.tag.replace(/[^A-Za-z0-9]/g, "")}page${i}`,
          });
        }
        const page = await signIn(browser, world.admin.email);
        await step("admin-tonight-page-2", page, async () => {
          await page.waitForSelector("table.rows tr[data-payout-id]");
          const [next] = await page.$$("xpath/.//button[text()='Next']");
          assert.ok(next, "a Next button");
          await next.click();
          await page.waitForFunction(() => document.querySelector(".page-info")?.textContent?.startsWith("page 2 of"));
          const second = await world.admin.db.rpc("payout_run_preview", {}, { count: "exact" }).order("payout_id")
            .range(PAGE_SIZE, 2 * PAGE_SIZE - 1);
          const rows = RPC.payout_run_preview.returns.parse(ok(second));
          assert.ok(rows.length > 0);
          await page.waitForFunction(
            (id) => document.querySelector("table.rows tr[data-payout-id]")?.getAttribute("data-payout-id") === id,
            {},
            rows[0].payout_id,
          );
          assert.deepEqual(
            await attrs(page, "table.rows tr[data-payout-id]", "data-payout-id"),
            rows.map((r) => r.payout_id),
          );
        });
      });

      await t.step("a platform admin sees Alerts grouped by kind, as payout_alerts gives them", async () => {
        const page = await signIn(browser, world.admin.email);
        await step("admin-alerts", page, async () => {
          await open(page, "alerts");
          await page.waitForSelector(".alert-group, p.empty");
          const res = await world.admin.db.from("payout_alerts").select("kind, subject_id", { count: "exact" })
            .order("kind").order("detected_at", { ascending: false, nullsFirst: false }).order("subject_id")
            .range(0, PAGE_SIZE - 1);
          const kinds = [...new Set(ok(res).map((a) => a.kind))];
          assert.deepEqual(await attrs(page, ".alert-group", "data-kind"), kinds);
          assert.deepEqual(
            await page.$$eval(".alert-group", (els) => els.map((e) => e.querySelectorAll("li").length)),
            kinds.map((k) => ok(res).filter((a) => a.kind === k).length),
          );
          if (kinds.length === 0) assert.deepEqual(await texts(page, "p.empty"), ["No alerts."]);
          assert.match((await texts(page, ".page-info"))[0], new RegExp(`\\(${res.count} rows\\)`));
        });
      });

      await t.step("a refused action appears in words: pausing payouts without a reason is PT400", async () => {
        const page = await signIn(browser, world.admin.email);
        await step("admin-controls", page, async () => {
          await open(page, "controls", "#pause-payouts");
          // the kill switch as payout_controls has it
          const before = RPC.payout_controls.returns.parse(ok(await world.admin.db.rpc("payout_controls")));
          assert.equal(before.payouts_paused, false);
          assert.deepEqual(await texts(page, "p.payouts-state"), ["Payouts: running"]);
          await page.click("#pause-payouts");
          await page.waitForSelector("[role=dialog] #confirm-yes");
          await page.click("#confirm-yes");
          await page.waitForSelector("[role=dialog] [role=alert]");
          const [alert] = await texts(page, "[role=dialog] [role=alert]");
          assert.match(alert, /Invalid input/);
          assert.match(alert, /PT400/);
          assert.match(alert, /p_reason is required to pause payouts/);
          const [controls] = await world.sql<
            { paused: boolean }[]
          >`select payouts_paused as paused from private.payout_settings`;
          assert.equal(controls?.paused ?? false, false, "nothing changed");
        });
      });

      await t.step("a recruiter sees exactly their payouts, with buckets", async () => {
        const page = await signIn(browser, world.ra.email);
        await step("recruiter-payouts", page, async () => {
          await page.waitForSelector("table.rows tr[data-payout-id]");
          assert.deepEqual(await texts(page, "header .roles"), ["recruiter"]);
          assert.deepEqual(await texts(page, "header nav button"), ["My payouts", "My statement", "Payout account"]);
          const mine = ok(await world.ra.db.from("payouts").select("id"));
          assert.deepEqual(mine.map((p) => p.id), [world.payout.A.id]);
          assert.deepEqual(await attrs(page, "tr[data-payout-id]", "data-payout-id"), [world.payout.A.id]);
          const a = world.payout.A;
          assert.deepEqual(await texts(page, "tr[data-payout-id] td.amount"), [formatMoney(a.amount, a.currency)]);
          assert.deepEqual(await texts(page, "tr[data-payout-id] td.paid_amount"), [
            formatMoney(a.paid_amount, a.currency),
          ]);
          const html = await page.content();
          for (const other of [world.payout.B.id, world.payout.C.id]) {
            assert.ok(!html.includes(other.slice(0, 8)), other);
          }
        });
      });

      await t.step("a company member sees their company's placements", async () => {
        const page = await signIn(browser, world.cadm.email);
        await step("company-placements", page, async () => {
          await page.waitForSelector("tr[data-placement-id]");
          assert.deepEqual(await attrs(page, "tr[data-placement-id]", "data-placement-id"), [world.P1.id]);
          assert.deepEqual(await texts(page, "header .roles"), ["company_admin"]);
        });
      });

      await t.step("a wrong password is said in words", async () => {
        const page = await signIn(browser, world.admin.email, "not-the-password");
        await step("bad-password", page, async () => {
          await page.waitForSelector("form.sign-in [role=alert]");
          const [alert] = await texts(page, "form.sign-in [role=alert]");
          assert.match(alert, /Wrong email or password/);
          assert.match(alert, /Invalid login credentials/);
        });
      });
    } finally {
      await browser.close();
      await world.cleanup();
    }
  },
});
