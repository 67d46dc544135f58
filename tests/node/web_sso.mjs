// The web page's sign-in through an upstream identity provider (issue 24), in headless Chromium
// (Debian's chromium driven by playwright-core): "Sign in with Dev IdP", the provider's own
// login and consent pages, back on the page as that person; the session cookie's attributes;
// generate and revoke a PAT in the page; the Sessions page; sign out.
// Env: LK_URL, ADMIN_TOKEN (checks through the REST API), LOGIN (the upstream login),
// PAT_SIGN_IN=off (see below),
// COOKIE_OUT (the session cookie's value is written there after sign-out, for the shell's
// replay of a signed-out cookie), SCREENSHOT_DIR; optional CHROMIUM.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { attempt, env, finish, ok } from "./common.mjs";

const BASE = env("LK_URL").replace(/\/$/, "");
// PAT_SIGN_IN=off: only check that the page offers no PAT form (the server runs with
// [web] pat_sign_in = false), then stop.
if (process.env.PAT_SIGN_IN === "off") {
  const b = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", headless: true,
                                    args: ["--headless=new", "--no-sandbox", "--disable-gpu"] });
  const p = await (await b.newContext({ ignoreHTTPSErrors: true })).newPage();
  await attempt("the page with PAT sign-in off", async () => {
    await p.goto(`${BASE}/ui/`);
    await p.getByRole("link", { name: "Sign in with Dev IdP" }).waitFor();
    ok(!(await p.locator("#pat-signin").isVisible()), "the PAT form is hidden");
    ok((await p.getByLabel("Personal access token").count()) === 0 || !(await p.getByLabel("Personal access token").isVisible()),
       "no visible token field");
  });
  await b.close();
  finish();
  process.exit();
}
const ADMIN_TOKEN = env("ADMIN_TOKEN");
const LOGIN = env("LOGIN");
const COOKIE_OUT = env("COOKIE_OUT");
const SCREENSHOT_DIR = env("SCREENSHOT_DIR");
mkdirSync(SCREENSHOT_DIR, { recursive: true });

async function adminApi(path) {
  const r = await fetch(BASE + path, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
  return r.json();
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
// Both servers' certificates come from the tests' own CAs (see web_ui.mjs on why the browser
// context ignores certificate errors); the scheme stays https, so Secure cookies behave as in
// production.
const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
const page = await context.newPage();
page.setDefaultTimeout(15000);
let pageErrors = 0;
page.on("pageerror", () => pageErrors++);
const dialog = () => page.locator("dialog[open]");
const shot = (name) => page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
const sessionCookie = async () =>
  (await context.cookies(BASE)).find((c) => c.name === "__Host-latchkey-session");

// "Sign in with Dev IdP" on page `p`, through the provider's development login and consent.
async function signInThroughProvider(p) {
  await p.goto(`${BASE}/ui/`);
  await p.getByRole("link", { name: "Sign in with Dev IdP" }).click();
  await p.locator('input[name="login"]').fill(LOGIN);
  await p.locator('input[name="password"]').fill("any");
  await p.getByRole("button", { name: "Sign-in" }).click();
  await p.getByRole("button", { name: "Continue" }).click();
  await p.locator("main h1", { hasText: "Access tokens" }).waitFor();
}

await attempt("sign in through the identity provider", async () => {
  await page.goto(`${BASE}/ui/`);
  const button = page.getByRole("link", { name: "Sign in with Dev IdP" });
  await button.waitFor();
  ok(await page.getByLabel("Personal access token").isVisible(), "the PAT form is offered beside the provider");
  await shot("sso-signin");
  await signInThroughProvider(page);
  ok(new URL(page.url()).origin === BASE, "back on the page after the provider");
  ok((await page.locator("#whoami").textContent()).includes(LOGIN), "the page shows the signed-in person", await page.locator("#whoami").textContent());
});

await attempt("the session cookie", async () => {
  const c = await sessionCookie();
  ok(c !== undefined, "Chromium stored the __Host-latchkey-session cookie");
  ok(c.httpOnly === true, "the cookie is HttpOnly");
  ok(c.secure === true, "the cookie is Secure");
  ok(c.sameSite === "Lax", "the cookie is SameSite=Lax", c.sameSite);
  ok(c.path === "/" && !c.domain.startsWith("."), "the cookie is host-only with Path=/", `${c.domain} ${c.path}`);
  ok(c.value.length === 43, "the session id is 256 bits (43 base64url characters)");
  ok((await page.evaluate(() => document.cookie)).indexOf(c.value) < 0, "the page's script cannot read the cookie");
  const stored = await page.evaluate(() => JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }));
  ok(!stored.includes(c.value), "nothing of the session is in web storage");
});

const comment = `web-sso-${Date.now()}`;
await attempt("generate a PAT in the page", async () => {
  await page.getByRole("button", { name: "Generate new token" }).click();
  await dialog().getByLabel("Comment").fill(comment);
  await dialog().getByLabel("Lifetime (days)").fill("7");
  await dialog().getByRole("button", { name: "Generate" }).click();
  await dialog().getByRole("button", { name: "Done" }).waitFor();
  await shot("sso-token-created");
  await dialog().getByRole("button", { name: "Done" }).click();
  const infos = (await adminApi("/api/2.0/token-management/tokens")).token_infos || [];
  const mine = infos.find((t) => t.comment === comment);
  ok(mine && mine.created_by_username === LOGIN, "the PAT exists, created by the signed-in person", JSON.stringify(mine));
});

await attempt("revoke the PAT in the page", async () => {
  const row = page.locator("main tbody tr").filter({ has: page.locator("td.col-comment", { hasText: comment }) });
  await row.getByRole("button", { name: /^Revoke/ }).click();
  await dialog().getByRole("button", { name: "Revoke", exact: true }).click();
  await row.waitFor({ state: "detached" });
  const infos = (await adminApi("/api/2.0/token-management/tokens")).token_infos || [];
  ok(!infos.some((t) => t.comment === comment), "the PAT is gone on the server");
});

await attempt("the Sessions page", async () => {
  await page.getByRole("navigation").getByRole("link", { name: "Sessions", exact: true }).click();
  await page.locator("main h1", { hasText: "Sessions" }).waitFor();
  const rows = page.locator("main tbody tr");
  ok((await rows.count()) === 1, "one session listed");
  ok((await rows.first().textContent()).includes("(this browser)"), "marked as this browser");
  await shot("sso-sessions");
});

await attempt("an admin revokes another browser's session in the page", async () => {
  const other = await browser.newContext({ ignoreHTTPSErrors: true });
  const otherPage = await other.newPage();
  otherPage.setDefaultTimeout(15000);
  await signInThroughProvider(otherPage);
  const otherId = await otherPage.evaluate(async () =>
    (await (await fetch("/api/2.0/latchkey/web-sessions/current", { credentials: "same-origin" })).json()).id);
  const adminCtx = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
  const adminPage = await adminCtx.newPage();
  adminPage.setDefaultTimeout(15000);
  await adminPage.goto(`${BASE}/ui/`);
  await adminPage.getByLabel("Personal access token").fill(ADMIN_TOKEN);
  await adminPage.getByRole("button", { name: "Sign in", exact: true }).click();
  await adminPage.getByRole("navigation").getByRole("link", { name: "Web sessions", exact: true }).click();
  const rows = adminPage.locator("main tbody tr");
  await rows.first().waitFor();
  ok((await rows.count()) === 2, "the admin sees both of the person's sessions", String(await rows.count()));
  ok((await rows.first().textContent()).includes(LOGIN), "with the person's name");
  await adminPage.screenshot({ path: join(SCREENSHOT_DIR, "sso-admin-sessions.png"), fullPage: true });
  const row = adminPage.locator(`main tbody tr[data-session="${otherId}"]`);
  await row.getByRole("button", { name: /^Revoke/ }).click();
  await adminPage.locator("dialog[open]").getByRole("button", { name: "Revoke", exact: true }).click();
  await row.waitFor({ state: "detached" });
  await otherPage.reload();
  await otherPage.getByRole("link", { name: "Sign in with Dev IdP" }).waitFor();
  ok(await otherPage.locator("#signin-view").isVisible(), "the revoked browser is back at sign-in");
  await page.reload();
  await page.locator("main h1", { hasText: "Sessions" }).waitFor();
  ok(await page.locator("#app-view").isVisible(), "the first browser is still signed in");
  await other.close();
  await adminCtx.close();
});

await attempt("sign out", async () => {
  const before = await sessionCookie();
  writeFileSync(COOKIE_OUT, before.value + "\n", { mode: 0o600 });
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("link", { name: "Sign in with Dev IdP" }).waitFor();
  ok(await page.locator("#signin-view").isVisible(), "the sign-in view is back");
  ok((await sessionCookie()) === undefined, "the browser's cookie is cleared");
  await page.reload();
  await page.getByRole("link", { name: "Sign in with Dev IdP" }).waitFor();
  ok(await page.locator("#signin-view").isVisible(), "a reload stays signed out");
  const all = (await adminApi("/api/2.0/latchkey/web-sessions?all=true")).sessions || [];
  ok(all.length === 0, "no session is left on the server", JSON.stringify(all));
});

ok(pageErrors === 0, "no script errors on the page");
await browser.close();
finish();
