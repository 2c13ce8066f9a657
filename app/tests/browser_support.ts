// Helpers of the console's browser tests: Debian's Chromium through puppeteer-core, users of the
// API tests' world signing in with a password, and a screenshot of the page when a step fails.
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import type { World } from "../../supabase/tests/api/_support.ts";
import { stackEnv } from "../../local/tests/support.ts";
import { ROOT } from "../../local/stack/config.ts";
import { join } from "../../local/stack/paths.ts";

export const CONSOLE_URL = stackEnv("CONSOLE_URL");
export const PASSWORD = "console-test-password";
const SHOTS = join(ROOT, ".local", "console-screenshots");
/** Debian's chromium package (`/usr/bin/chromium` is a wrapper script around this binary). */
export const CHROMIUM = ["/usr/lib/chromium/chromium", "/usr/bin/chromium"].find((p) => {
  try {
    return Deno.statSync(p).isFile;
  } catch {
    return false;
  }
});

export function launchChromium(): Promise<Browser> {
  if (!CHROMIUM) throw new Error("Debian's chromium package is not installed (local/bin/ensure-deps installs it)");
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-dev-shm-usage"],
  });
}

/** The world's users get a password, as the seed's demo users have theirs (supabase/seed.sql). */
export async function setPasswords(w: World, emails: string[]) {
  await w.sql`
    update auth.users
       set instance_id = '00000000-0000-0000-0000-000000000000',
           encrypted_password = extensions.crypt(${PASSWORD}, extensions.gen_salt('bf', 4)),
           email_confirmed_at = coalesce(email_confirmed_at, now()),
           confirmation_token = coalesce(confirmation_token, ''), recovery_token = coalesce(recovery_token, ''),
           email_change_token_new = coalesce(email_change_token_new, ''), email_change = coalesce(email_change, '')
     where email = any(${emails})`;
}

/** A fresh browser context (no stored session), signed in as `email`. */
export async function signIn(browser: Browser, email: string, password = PASSWORD): Promise<Page> {
  const ctx = await browser.createBrowserContext();
  const page = await ctx.newPage();
  await page.setViewport({ width: 1280, height: 720 });
  await page.goto(CONSOLE_URL, { waitUntil: "domcontentloaded" });
  await page.waitForSelector("form.sign-in");
  await page.type("input[name=email]", email);
  await page.type("input[name=password]", password);
  await page.click("form.sign-in button[type=submit]");
  return page;
}

/** For the README's pictures (one per role is kept: admin-tonight, recruiter-payouts, company-placements):
 * `CONSOLE_DOC_SHOTS=docs/img npm test -- --only deno --match app/tests`. */
const DOC_SHOTS = Deno.env.get("CONSOLE_DOC_SHOTS");

/** Runs a step; on failure saves a screenshot of the page, then fails. Closes the page's context. */
export async function step(name: string, page: Page, fn: () => Promise<void>) {
  try {
    await fn();
    if (DOC_SHOTS) {
      await page.screenshot({ path: join(ROOT, DOC_SHOTS, `console-${name}.png`) as `${string}.png`, fullPage: true });
    }
  } catch (e) {
    await Deno.mkdir(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, `${name}.png`) as `${string}.png`, fullPage: true }).catch(() => {});
    throw e;
  } finally {
    await page.browserContext().close();
  }
}

export const texts = (page: Page, selector: string) =>
  page.$$eval(selector, (els) => els.map((e) => (e.textContent ?? "").trim()));
export const attrs = (page: Page, selector: string, attr: string) =>
  page.$$eval(selector, (els, a) => els.map((e) => e.getAttribute(a) ?? ""), attr);

/** Opens a screen from the header's nav, and waits for `selector` when given. */
export async function open(page: Page, id: string, selector?: string) {
  await page.waitForSelector(`#nav-${id}`);
  await page.click(`#nav-${id}`);
  if (selector) await page.waitForSelector(selector);
}

/** Waits for `selector` in lists that have loaded what was last asked for: after a filter or a page
 * change the old rows stay on screen, marked `aria-busy`, until the new ones arrive (ui.tsx). */
export async function settled(page: Page, selector: string) {
  await page.waitForFunction(
    (sel) => document.querySelector(sel) !== null && document.querySelector(".paged[aria-busy=true]") === null,
    {},
    selector,
  );
}
