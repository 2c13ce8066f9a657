// The parties' screens of the console (app/src/party_screens.tsx) in Debian's Chromium, against the
// test stack: a recruiter's statement and its CSV download (totals equal to the database), next
// expected payout and Connect onboarding; a company's invoices and escrow holds (no hold amount in
// the page). What each screen shows is compared with what the API returns to the same user.
import assert from "node:assert/strict";
import type { Browser, Page } from "puppeteer-core";
import { COMPANY_INVOICE_SELECT, RPC } from "../../types/schemas.ts";
import { buildWorld, ok, rpcOk, type World } from "../../supabase/tests/api/_support.ts";
import { stackEnv } from "../../local/tests/support.ts";
import { PAGE_SIZE } from "../src/config.ts";
import { formatMoney } from "../src/money.ts";
import { fetchStatementCsv, parseCsv } from "../src/statement_csv.ts";
import { attrs, launchChromium, open, setPasswords, signIn, step, texts } from "./browser_support.ts";

const HOSTED_URL = "https://invoice.stripe.com/i/acct_console_test/test_console_parties";

/** The period the statement screen shows by default: a year back to tomorrow (UTC days). */
function defaultPeriod() {
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const now = Date.now();
  return {
    from: `${day(now - 365 * 86_400_000)}T00:00:00Z`,
    to: `${day(now + 86_400_000)}T00:00:00Z`,
    currency: "USD",
  };
}

/** The text of the CSV the page built (its Blob, read through the page's own object URL). */
const downloadedCsv = (page: Page) =>
  page.$eval("#statement-csv", (a) => fetch((a as HTMLAnchorElement).href).then((r) => r.text()));

Deno.test({
  name: "console in Chromium: recruiters' and companies' screens",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const world: World = await buildWorld("console-parties");
    await setPasswords(world, [world.ra.email, world.rc.email, world.cadm.email, world.hm.email]);
    // P1's company invoice was sent to Stripe: its number, due date and hosted page (as the billing
    // worker records what Stripe answered)
    await world.sql`select private.record_company_invoice_state(jsonb_build_object(
      'company_invoice_id', ${world.companyInvoiceP1.id}::text, 'number', 'CONSOLE-0001',
      'hosted_invoice_url', ${HOSTED_URL}::text, 'due_at', (now() + interval '30 days')::text))`;
    const browser: Browser = await launchChromium();
    try {
      await t.step("a recruiter downloads their statement: the CSV's totals equal the database", async () => {
        const page = await signIn(browser, world.ra.email);
        await step("recruiter-statement", page, async () => {
          await open(page, "my-statement");
          await page.waitForSelector("table.balances tr.closing_balance");
          await page.waitForSelector("table.statement tr[data-line-key]");
          const period = defaultPeriod();
          const args = { p_from: period.from, p_to: period.to, p_currency: "USD" };
          const lines = RPC.my_statement.returns.parse(ok(await world.ra.db.rpc("my_statement", args)));
          assert.ok(lines.length <= PAGE_SIZE, "the fixture's statement fits on a page");
          assert.deepEqual(
            await attrs(page, "table.statement tr[data-line-key]", "data-line-key"),
            lines.map((l) => l.line_key),
          );
          const closing = lines.at(-1)!;
          assert.equal(closing.kind, "closing_balance");
          assert.deepEqual(
            await texts(page, "table.balances tr.closing_balance td"),
            [closing.owed_balance, closing.held_balance, closing.clawback_balance].map((a) => formatMoney(a, "USD")),
          );

          await page.click("#download-statement");
          await page.waitForSelector("#statement-csv");
          const csv = await downloadedCsv(page);
          const rows = parseCsv(csv);
          assert.deepEqual(rows.map((r) => r.line_key), lines.map((l) => l.line_key), "every line once, in order");
          assert.equal(await page.$eval("#statement-csv", (a) => a.getAttribute("data-rows")), String(lines.length));
          assert.ok(rows.every((r) => r.recruiter_id === world.recruiter.A.id), "only the recruiter's own lines");

          // the CSV's totals against the recruiter's payouts and clawbacks, read as postgres
          const [db] = await world.sql<
            { earned: string; paid: string; owed: string; held: string; clawback: string }[]
          >`
            select coalesce(sum(p.amount), 0)::text as earned, coalesce(sum(p.paid_amount), 0)::text as paid,
                   coalesce(sum(p.payable_amount + p.in_flight_amount), 0)::text as owed,
                   coalesce(sum(p.held_amount), 0)::text as held,
                   (select coalesce(sum(c.outstanding_amount), 0) from public.recruiter_clawbacks c
                     where c.recruiter_id = ${world.recruiter.A.id} and c.currency = 'USD')::text as clawback
              from public.payouts p where p.recruiter_id = ${world.recruiter.A.id} and p.currency = 'USD'`;
          const sum = (kind: string) =>
            rows.filter((r) => r.kind === kind).reduce((s, r) => s + BigInt(r.amount), 0n).toString();
          const last = rows.at(-1)!;
          assert.equal(last.kind, "closing_balance");
          assert.deepEqual(
            {
              earned: sum("earned"),
              paid: sum("transfer_paid"),
              owed: last.owed_balance,
              held: last.held_balance,
              clawback: last.clawback_balance,
            },
            db,
          );
          assert.equal(db.paid, String(world.payout.A.paid_amount));
          assert.ok(BigInt(db.paid) > 0n && BigInt(db.held) > 0n, "the fixture has money paid and held");

          // the same export, paged across requests of 2 lines each, is the same file
          const paged = await fetchStatementCsv({
            apiUrl: stackEnv("SUPABASE_URL"),
            anonKey: stackEnv("SUPABASE_ANON_KEY"),
            jwt: world.ra.jwt,
            period,
            maxRows: 2,
          });
          assert.equal(paged.requests, Math.ceil(lines.length / 2));
          assert.equal(paged.csv, csv);
        });
      });

      await t.step("a refused statement period is said in words (PT400), nothing downloaded", async () => {
        const page = await signIn(browser, world.ra.email);
        await step("recruiter-statement-bad-period", page, async () => {
          await open(page, "my-statement");
          await page.waitForSelector("table.balances");
          // to before from
          await page.$eval("input[name=to]", (el) => {
            const input = el as HTMLInputElement;
            input.value = "2001-01-01";
            input.dispatchEvent(new Event("input", { bubbles: true }));
          });
          await page.click("form.period button[type=submit]");
          await page.waitForSelector("[role=alert]");
          const [alert] = await texts(page, "[role=alert]");
          assert.match(alert, /Invalid input/);
          assert.match(alert, /PT400/);
          const shown = (await texts(page, "[role=alert]")).length;
          await page.click("#download-statement");
          await page.waitForFunction((n) => document.querySelectorAll("[role=alert]").length > n, {}, shown);
          const alerts = await texts(page, "[role=alert]");
          assert.ok(
            alerts.some((a) => /statement-export refused the request \(HTTP 400\)/.test(a)),
            alerts.join(" | "),
          );
          assert.equal(await page.$("#statement-csv"), null);
        });
      });

      await t.step("a recruiter sees the next expected payout date: their hold's release", async () => {
        const page = await signIn(browser, world.ra.email);
        await step("recruiter-next-payout", page, async () => {
          await page.waitForSelector("#next-payout-date");
          const live = ok(
            await world.ra.db.from("payout_schedules").select("id").in("status", ["pending", "failed"]),
          );
          assert.deepEqual(live, [], "A's schedule is processed: nothing scheduled");
          assert.deepEqual(await texts(page, "#next-schedule"), ["none"]);
          const release = world.hold.A.release_scheduled_date;
          assert.ok(release);
          assert.deepEqual(await texts(page, "#next-payout-date"), [release]);
          assert.match(
            (await texts(page, "#next-release"))[0],
            new RegExp(`^${release} \\(payout ${world.payout.A.id.slice(0, 8)}\\)`),
          );
        });
      });

      await t.step("a recruiter sees their Connect status and gets the continue-onboarding link", async () => {
        // an onboarded recruiter: complete, nothing to continue
        const done = await signIn(browser, world.rc.email);
        await step("recruiter-connect-complete", done, async () => {
          await open(done, "my-connect");
          await done.waitForSelector("#connect-state");
          const [status] = RPC.my_connect_status.returns.parse(ok(await world.rc.db.rpc("my_connect_status")));
          assert.equal(status.state, "complete");
          assert.equal(await done.$eval("#connect-state", (e) => e.getAttribute("data-state")), "complete");
          assert.equal(await done.$("#continue-onboarding"), null);
        });
        // a new recruiter: not started; the button gets a Stripe onboarding link (connect-onboarding)
        const user = await world.newUser("onboarding");
        await rpcOk(world.admin.db, "create_recruiter", { p_user_id: user.id, p_display_name: `New ${world.tag}` });
        await setPasswords(world, [user.email]);
        const page = await signIn(browser, user.email);
        await step("recruiter-connect", page, async () => {
          await open(page, "my-connect");
          await page.waitForSelector("#connect-state");
          const [before] = RPC.my_connect_status.returns.parse(ok(await user.db.rpc("my_connect_status")));
          assert.equal(before.state, "not_started");
          assert.equal(await page.$eval("#connect-state", (e) => e.getAttribute("data-state")), "not_started");
          await page.click("#continue-onboarding");
          await page.waitForSelector("#onboarding-link");
          const href = await page.$eval("#onboarding-link", (a) => (a as HTMLAnchorElement).href);
          assert.match(href, /^https:\/\/connect\.stripe\.com\/setup\//);
          const [after] = RPC.my_connect_status.returns.parse(ok(await user.db.rpc("my_connect_status")));
          assert.equal(after.state, "onboarding", "the account was created and linked");
          assert.match(after.stripe_account_id ?? "", /^acct_/);
        });
      });

      await t.step("a company admin sees their invoices with amount due and the hosted invoice link", async () => {
        const page = await signIn(browser, world.cadm.email);
        await step("company-invoices", page, async () => {
          await open(page, "invoices");
          await page.waitForSelector("tr[data-invoice-id]");
          const mine = ok(await world.cadm.db.from("company_invoices").select(COMPANY_INVOICE_SELECT));
          assert.deepEqual(mine.map((i) => i.id), [world.companyInvoiceP1.id]);
          assert.deepEqual(await attrs(page, "tr[data-invoice-id]", "data-invoice-id"), [world.companyInvoiceP1.id]);
          assert.deepEqual(await texts(page, "tr[data-invoice-id] td.amount-due"), [
            formatMoney(mine[0].amount_due, mine[0].currency),
          ]);
          assert.deepEqual(await attrs(page, "tr[data-invoice-id] a.hosted", "href"), [HOSTED_URL]);
        });
      });

      await t.step("a hiring manager sees no invoices (RLS: company admins only)", async () => {
        const page = await signIn(browser, world.hm.email);
        await step("company-invoices-hm", page, async () => {
          await open(page, "invoices");
          await page.waitForSelector("p.empty");
          assert.deepEqual(ok(await world.hm.db.from("company_invoices").select("id")), []);
          assert.deepEqual(await attrs(page, "tr[data-invoice-id]", "data-invoice-id"), []);
        });
      });

      await t.step("a company member sees their placements' escrow holds: dates and status, no amount", async () => {
        const page = await signIn(browser, world.cadm.email);
        await step("company-holds", page, async () => {
          await open(page, "holds");
          await page.waitForSelector("tr[data-hold-id]");
          assert.deepEqual(await texts(page, "header nav button"), ["Placements", "Invoices", "Escrow holds"]);
          const seen = ok(await world.cadm.db.from("placement_escrow_holds").select("id, release_scheduled_date"));
          assert.deepEqual(
            new Set(seen.map((h) => h.id)),
            new Set([world.hold.A.id, world.hold.B.id]),
            "P1's holds, not P2's",
          );
          assert.deepEqual(
            new Set(await attrs(page, "tr[data-hold-id]", "data-hold-id")),
            new Set(seen.map((h) => h.id)),
          );
          assert.deepEqual(
            new Set(await texts(page, "tr[data-hold-id] td.release-date")),
            new Set([world.hold.A.release_scheduled_date, world.hold.B.release_scheduled_date]),
          );
          const html = await page.content();
          const text = await page.$eval("main", (m) => m.textContent ?? "");
          for (const h of [world.hold.A, world.hold.B, world.hold.C]) {
            const money = formatMoney(h.hold_amount, h.currency); // "$120.00"
            for (const shown of [money, money.slice(1)]) {
              assert.ok(!text.includes(shown) && !html.includes(shown), `hold amount ${shown} in the page`);
            }
          }
          for (const other of [world.payout.A.id, world.payout.B.id, world.hold.C.id]) {
            assert.ok(!html.includes(other.slice(0, 8)), other);
          }
        });
      });
    } finally {
      await browser.close();
      await world.cleanup();
    }
  },
});
