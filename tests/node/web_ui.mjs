// End-to-end test of the web UI (issue #10) in headless Chromium (Debian's chromium driven by
// playwright-core). Env: LK_URL (https://127.0.0.1:PORT), ADMIN_TOKEN (an admin PAT),
// SP_APPLICATION_ID (a service principal of the workspace), SCREENSHOT_DIR; optional CHROMIUM and
// USER_TOKEN (a non-admin PAT: the admin pages must stay hidden from it).
// Node's own fetch checks the results through the REST API; it trusts the server's CA through
// NODE_EXTRA_CA_CERTS (set by tests/e2e/web_ui_test.sh).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { connect } from "node:tls";
import { chromium } from "playwright-core";
import { attempt, env, finish, ok } from "./common.mjs";

const BASE = env("LK_URL").replace(/\/$/, "");
const ADMIN_TOKEN = env("ADMIN_TOKEN");
const SP_APPLICATION_ID = env("SP_APPLICATION_ID");
const SCREENSHOT_DIR = env("SCREENSHOT_DIR");
const XSS = "<script>alert(1)</script>";
const EXPECTED_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

mkdirSync(SCREENSHOT_DIR, { recursive: true });

async function api(method, path, { token = ADMIN_TOKEN, body } = {}) {
  const response = await fetch(BASE + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : {} };
}

// GET with the request target sent byte for byte. fetch (the WHATWG URL parser) resolves "%2e%2e"
// and "../" before sending, so a traversal written in a fetch URL never reaches the server.
// Verifies TLS like fetch (NODE_EXTRA_CA_CERTS). Resolves to { status, body }.
function rawGet(target) {
  const url = new URL(BASE);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port || 443), servername: url.hostname === "127.0.0.1" ? undefined : url.hostname });
    const chunks = [];
    socket.setTimeout(10000, () => socket.destroy(new Error(`no answer to GET ${target}`)));
    socket.on("secureConnect", () => {
      socket.write(`GET ${target} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\n\r\n`, "latin1");
    });
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("end", () => {
      const text = Buffer.concat(chunks).toString("latin1");
      const match = /^HTTP\/1\.1 (\d{3}) /.exec(text);
      resolve({ status: match ? Number(match[1]) : 0, body: text.slice(text.indexOf("\r\n\r\n") + 4) });
    });
  });
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
// The server's certificate is issued by the test's own CA. Chromium has no per-process option to
// trust an extra CA (only the NSS database of a user profile, which needs certutil), so the
// browser context ignores certificate errors; the Node-side API checks below still verify TLS
// against LK_CA through NODE_EXTRA_CA_CERTS.
const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: BASE });
const page = await context.newPage();
page.setDefaultTimeout(15000);

// Anything that would betray an injection or a CSP problem.
let jsDialogs = 0;
const pageErrors = [];
const consoleErrors = [];
const secretsInUrls = [];
const secrets = [ADMIN_TOKEN];
page.on("dialog", async (d) => {
  jsDialogs++;
  await d.dismiss();
});
page.on("pageerror", (e) => pageErrors.push(e.message));
page.on("console", (m) => {
  if (m.type() === "error") consoleErrors.push(m.text());
});
page.on("request", (r) => {
  if (secrets.some((s) => r.url().includes(s))) secretsInUrls.push(r.url());
});

const shot = (name) => page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) });
const heading = () => page.locator("main h1");
const dialog = () => page.locator("dialog[open]");
const nav = (label) => page.getByRole("navigation").getByRole("link", { name: label, exact: true });
const rowWithComment = (comment) =>
  page.locator("main tbody tr").filter({ has: page.locator("td.col-comment", { hasText: comment }) });

async function generateToken(comment, { screenshot } = {}) {
  await page.getByRole("button", { name: "Generate new token" }).click();
  await dialog().waitFor();
  ok(
    await page.evaluate(() => document.activeElement?.getAttribute("name") === "comment"),
    "focus moves into the generate dialog (comment field)",
  );
  await dialog().getByLabel("Comment").fill(comment);
  await dialog().getByLabel("Lifetime (days)").fill("7");
  await dialog().getByRole("button", { name: "Generate" }).click();
  const valueField = page.getByTestId("new-token-value");
  await valueField.waitFor();
  const value = await valueField.inputValue();
  secrets.push(value);
  if (screenshot) await shot(screenshot);
  return value;
}

if (process.env.USER_TOKEN) {
  await attempt("a non-admin sees only their tokens", async () => {
    const userContext = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
    const p = await userContext.newPage();
    p.setDefaultTimeout(15000);
    p.on("dialog", async (d) => {
      jsDialogs++;
      await d.dismiss();
    });
    await p.goto(`${BASE}/ui/#/admin/permissions`);
    await p.getByLabel("Personal access token").fill(process.env.USER_TOKEN);
    await p.getByRole("button", { name: "Sign in" }).click();
    await p.locator("main h1", { hasText: "Access tokens" }).waitFor();
    ok(true, "an admin page asked for by a non-admin falls back to My tokens");
    ok((await p.getByRole("navigation").getByRole("link").count()) === 1, "a non-admin's navigation has only My tokens");
    await p.screenshot({ path: join(SCREENSHOT_DIR, "my-tokens-non-admin.png") });
    await userContext.close();
  });
}

await attempt("sign-in page", async () => {
  const response = await page.goto(`${BASE}/`);
  ok(page.url() === `${BASE}/ui/`, "/ redirects to /ui/", page.url());
  const csp = response.headers()["content-security-policy"];
  ok(csp === EXPECTED_CSP, "the page is served with the strict CSP", csp);
  await page.getByLabel("Personal access token").waitFor();
  await shot("signin");
  await page.getByLabel("Personal access token").fill("dapi" + "0".repeat(32));
  await page.getByRole("button", { name: "Sign in" }).click();
  const alert = page.locator("#signin-form [role=alert]");
  await alert.waitFor();
  const text = await alert.textContent();
  ok(/Invalid access token/.test(text), "a bad token shows the API's message", text);
});

await attempt("sign in as admin", async () => {
  await page.getByLabel("Personal access token").fill(ADMIN_TOKEN);
  await page.getByRole("button", { name: "Sign in" }).click();
  await heading().filter({ hasText: "Access tokens" }).waitFor();
  ok(true, "signed in; My tokens is shown");
  ok(!page.url().includes(ADMIN_TOKEN), "the token is not in the URL");
  const stored = await page.evaluate(() => Object.keys(sessionStorage).length);
  ok(stored === 1, "the token is in sessionStorage", String(stored));
  ok((await page.evaluate(() => document.cookie)) === "", "no cookie is set");
  ok((await nav("Token permissions").count()) === 1, "admins see the admin pages");
});

let uiToken;
await attempt("generate, copy and see a token", async () => {
  uiToken = await generateToken("ui-token", { screenshot: "token-created" });
  ok(/^dapi[0-9a-f]{32}$/.test(uiToken), "the new token is shown once and looks like a PAT", uiToken.slice(0, 8));
  await dialog().getByRole("button", { name: "Copy token" }).click();
  await dialog().getByText("copied to the clipboard").waitFor();
  const clip = await page.evaluate(() => navigator.clipboard.readText());
  ok(clip === uiToken, "Copy puts exactly the shown value on the clipboard");
  await dialog().getByRole("button", { name: "Done" }).click();
  await dialog().waitFor({ state: "detached" });
  // The dialog loses `open` at once and leaves the DOM on its `close` event, a task later:
  // wait (bounded) for the value to go, then check that it did.
  await page.getByTestId("new-token-value").waitFor({ state: "detached", timeout: 5000 }).catch(() => {});
  ok((await page.getByTestId("new-token-value").count()) === 0, "the value is gone once the dialog closes");
  await rowWithComment("ui-token").waitFor();
  ok(true, "the new token is in the list");
  const me = await api("GET", "/api/2.0/preview/scim/v2/Me", { token: uiToken });
  ok(me.status === 200, "the generated token works against the API", String(me.status));
  await shot("my-tokens");
});

await attempt("revoke a token", async () => {
  await rowWithComment("ui-token").getByRole("button", { name: /^Revoke/ }).click();
  await dialog().getByText("Revoke the token").waitFor();
  ok(
    await page.evaluate(() => document.activeElement?.textContent === "Cancel"),
    "focus moves to the confirmation dialog (Cancel)",
  );
  await shot("revoke-confirm");
  await dialog().getByRole("button", { name: "Revoke", exact: true }).click();
  await rowWithComment("ui-token").waitFor({ state: "detached" });
  ok(true, "the revoked token is gone from the list");
  const me = await api("GET", "/api/2.0/preview/scim/v2/Me", { token: uiToken });
  ok(me.status === 403, "the revoked token no longer works", String(me.status));
});

await attempt("a <script> comment renders as text", async () => {
  await generateToken(XSS);
  await dialog().getByRole("button", { name: "Done" }).click();
  const cell = rowWithComment("alert(1)").locator("td.col-comment");
  await cell.waitFor();
  ok((await cell.textContent()) === XSS, "the comment cell's textContent is the raw string");
  ok((await page.locator("main script").count()) === 0, "no script element was created");
  await page.waitForTimeout(200); // let an injected handler, if any, run
  ok(jsDialogs === 0, "no alert fired", String(jsDialogs));
});

await attempt("all tokens", async () => {
  await nav("All tokens").click();
  await heading().filter({ hasText: "All tokens" }).waitFor();
  await rowWithComment("alert(1)").waitFor();
  ok(true, "the admin list shows the workspace's tokens");
  const me = (await api("GET", "/api/2.0/preview/scim/v2/Me")).json;
  await page.getByLabel("Created by").fill("nobody@example.invalid");
  await page.getByRole("button", { name: "Filter" }).click();
  await page.getByText("No tokens created by nobody@example.invalid").waitFor();
  ok((await rowWithComment("alert(1)").count()) === 0, "filtering by another principal drops the token");
  await page.getByLabel("Created by").fill(me.userName);
  await page.getByRole("button", { name: "Filter" }).click();
  await rowWithComment("alert(1)").waitFor();
  ok(true, "filtering by its creator shows it again");
  await page.getByRole("button", { name: "Clear" }).click();
  await rowWithComment("alert(1)").waitFor();
  await shot("all-tokens");
});

await attempt("grant and remove CAN_USE", async () => {
  await nav("Token permissions").click();
  await heading().filter({ hasText: "Token permissions" }).waitFor();
  await page.getByLabel("Principal type").selectOption({ label: "Service principal" });
  await page.getByLabel("Application ID").fill(SP_APPLICATION_ID);
  await page.getByRole("button", { name: "Grant CAN_USE" }).click();
  const row = page.locator(`main tbody tr[data-principal="${SP_APPLICATION_ID}"]`);
  await row.waitFor();
  ok((await row.textContent()).includes("CAN_USE"), "the grant appears in the ACL table");
  const has = (acl) =>
    (acl.access_control_list || []).some(
      (e) => e.service_principal_name === SP_APPLICATION_ID &&
        (e.all_permissions || []).some((p) => p.permission_level === "CAN_USE"),
    );
  ok(has((await api("GET", "/api/2.0/permissions/authorization/tokens")).json), "the API shows the grant");
  await shot("permissions");
  await row.getByRole("button", { name: /^Remove/ }).click();
  await dialog().getByRole("button", { name: "Remove", exact: true }).click();
  await row.waitFor({ state: "detached" });
  const after = (await api("GET", "/api/2.0/permissions/authorization/tokens")).json;
  ok(!has(after), "removing the grant (PUT without it) takes it out of the ACL");
  ok(
    (after.access_control_list || []).some((e) => e.group_name === "admins"),
    "the admins grant is kept",
  );
  // Grant it again: the service principal keeps CAN_USE for the rest of the suite.
  await page.getByLabel("Principal type").selectOption({ label: "Service principal" });
  await page.getByLabel("Application ID").fill(SP_APPLICATION_ID);
  await page.getByRole("button", { name: "Grant CAN_USE" }).click();
  await row.waitFor();
});

await attempt("workspace settings", async () => {
  await nav("Workspace settings").click();
  await heading().filter({ hasText: "Workspace settings" }).waitFor();
  ok(await page.getByLabel("Allow personal access tokens").isChecked(), "tokens are shown as enabled");
  await page.getByLabel("Maximum lifetime of new tokens (days)").fill("30");
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByText("Settings saved.").waitFor();
  const conf = await api("GET", "/api/2.0/workspace-conf?keys=enableTokensConfig,maxTokenLifetimeDays");
  ok(conf.json.maxTokenLifetimeDays === "30", "the API reports maxTokenLifetimeDays == \"30\"", JSON.stringify(conf.json));
  ok(conf.json.enableTokensConfig !== "false", "tokens stay enabled", JSON.stringify(conf.json));
  await shot("settings");
});

await attempt("service principals and OAuth secrets", async () => {
  await nav("Service principals").click();
  await heading().filter({ hasText: "Service principals" }).waitFor();
  const row = page.locator(`main tbody tr[data-application-id="${SP_APPLICATION_ID}"]`);
  await row.getByRole("button", { name: /^OAuth secrets/ }).click();
  await page.getByText("No secrets yet.").waitFor();
  await page.getByRole("button", { name: "Create secret" }).click();
  const secret = page.getByTestId("new-secret-value");
  await secret.waitFor();
  const value = await secret.inputValue();
  secrets.push(value);
  ok(value.length >= 32, "the new secret is shown once");
  ok((await page.getByTestId("secret-client-id").inputValue()) === SP_APPLICATION_ID, "with its client id");
  await shot("secret-created");
  await dialog().getByRole("button", { name: "Done" }).click();
  const secretRows = page.locator("main section.secrets-panel tbody tr");
  await secretRows.first().waitFor();
  ok((await secretRows.count()) === 1, "the secret is listed");
  await shot("service-principals");
  await secretRows.first().getByRole("button", { name: /^Delete/ }).click();
  await dialog().getByRole("button", { name: "Delete", exact: true }).click();
  await page.getByText("No secrets yet.").waitFor();
  ok(true, "deleting the secret empties the list");
});

await attempt("service principals' federation policies", async () => {
  const row = page.locator(`main tbody tr[data-application-id="${SP_APPLICATION_ID}"]`);
  await row.getByRole("button", { name: /^Federation policies/ }).click();
  await page.getByText("No federation policies yet.").waitFor();
  const panel = page.locator("main section.policies-panel");
  await panel.getByLabel("Issuer").fill("https://token.actions.githubusercontent.com");
  await panel.getByLabel("Subject").fill("repo:octo-org/app:environment:prod");
  await panel.getByLabel("Audience").fill("https://github.com/octo-org");
  await panel.getByRole("button", { name: "Add policy" }).click();
  const policyRows = panel.locator("tbody tr");
  await panel.getByText("repo:octo-org/app:environment:prod").waitFor();
  ok((await policyRows.count()) === 1, "the added policy is listed");
  const scim = await fetch(`${BASE}/api/2.0/preview/scim/v2/ServicePrincipals?filter=${encodeURIComponent(`applicationId eq "${SP_APPLICATION_ID}"`)}`,
    { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } }).then((r) => r.json());
  const meta = await fetch(`${BASE}/.well-known/databricks-config`).then((r) => r.json());
  const listed = await fetch(`${BASE}/api/2.0/accounts/${meta.account_id}/servicePrincipals/${scim.Resources[0].id}/federationPolicies`,
    { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } }).then((r) => r.json());
  ok(listed.policies?.length === 1 && listed.policies[0].oidc_policy.issuer === "https://token.actions.githubusercontent.com"
     && listed.policies[0].oidc_policy.audiences[0] === "https://github.com/octo-org",
     "the API has the policy the page added", JSON.stringify(listed));
  await shot("federation-policies");
  await policyRows.first().getByRole("button", { name: /^Delete/ }).click();
  await dialog().getByRole("button", { name: "Delete", exact: true }).click();
  await page.getByText("No federation policies yet.").waitFor();
  ok(true, "deleting the policy empties the list");
});

await attempt("audit log", async () => {
  await nav("Audit log").click();
  await heading().filter({ hasText: "Audit log" }).waitFor();
  await page.locator("main tbody tr").first().waitFor();
  ok((await page.locator("main tbody tr").count()) > 0, "the audit log lists events");
  await shot("audit");
});

await attempt("headers", async () => {
  const index = await fetch(`${BASE}/ui/`);
  const h = index.headers;
  ok(h.get("content-security-policy") === EXPECTED_CSP, "CSP on /ui/", h.get("content-security-policy"));
  ok(h.get("x-frame-options") === "DENY", "X-Frame-Options: DENY");
  ok(h.get("x-content-type-options") === "nosniff", "X-Content-Type-Options: nosniff");
  ok(h.get("referrer-policy") === "no-referrer", "Referrer-Policy: no-referrer");
  ok(h.get("cache-control") === "no-cache", "Cache-Control: no-cache");
  ok((h.get("content-type") || "").startsWith("text/html"), "index.html is text/html");
  const js = await fetch(`${BASE}/ui/app.js`);
  ok((js.headers.get("content-type") || "").startsWith("text/javascript"), "app.js is text/javascript");
  ok(js.headers.get("content-security-policy") === EXPECTED_CSP, "CSP on every UI file");
  ok((await fetch(`${BASE}/ui/missing.js`)).status === 404, "an unknown file is 404");
  ok((await fetch(`${BASE}/ui/dev/mock_server.mjs`)).status === 404, "development tools are not served");
});

await attempt("path traversal (raw request targets)", async () => {
  // Why raw: fetch would send "/ui/%2e%2e/x" as "/x", a request that proves nothing about /ui/.
  ok(new URL(`${BASE}/ui/%2e%2e/x`).pathname === "/x", "the URL parser resolves %2e%2e (so fetch cannot send it)");
  const control = await rawGet("/ui/app.js");
  ok(control.status === 200 && control.body.length > 0, "control: a raw GET of /ui/app.js is served", String(control.status));
  const secretFile = /root:[^:\n]*:0:0:|cmake_minimum_required|"name": *"latchkey/;
  for (const target of [
    "/ui/%2e%2e/CMakeLists.txt",
    "/ui/%2e%2e/%2e%2e/CMakeLists.txt",
    "/ui/%2E%2E/tests/node/package.json",
    "/ui/..%2fCMakeLists.txt",
    "/ui/..%2f..%2fCMakeLists.txt",
    "/ui/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/ui/.%2e/.%2e/.%2e/.%2e/.%2e/.%2e/.%2e/.%2e/etc/passwd",
    "/ui/..%5c..%5c..%5c..%5c..%5c..%5c..%5c..%5cetc%5cpasswd",
    "/ui/%252e%252e/%252e%252e/%252e%252e/%252e%252e/%252e%252e/%252e%252e/etc/passwd",
    "/ui/%c0%ae%c0%ae/%c0%ae%c0%ae/%c0%ae%c0%ae/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd",
    "/ui/../CMakeLists.txt",
    "/ui/../../../../../../../../etc/passwd",
    "/ui//etc/passwd",
    "/ui/%2fetc%2fpasswd",
  ]) {
    const r = await rawGet(target);
    ok((r.status === 404 || r.status === 400) && !secretFile.test(r.body), `GET ${target} is refused (400/404), no file content`, `${r.status} ${r.body.slice(0, 80)}`);
  }
});

await attempt("sign out", async () => {
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByLabel("Personal access token").waitFor();
  ok((await page.evaluate(() => sessionStorage.length)) === 0, "sign-out empties sessionStorage");
  await page.reload();
  await page.getByLabel("Personal access token").waitFor();
  ok((await page.locator("#app-view").isHidden()), "after a reload the page asks to sign in again");
});

ok(jsDialogs === 0, "no JavaScript dialog fired during the run", String(jsDialogs));
ok(pageErrors.length === 0, "no uncaught page errors", pageErrors.join(" | "));
ok(
  !consoleErrors.some((t) => /Content Security Policy|Refused to/.test(t)),
  "no CSP violation was reported",
  consoleErrors.join(" | "),
);
ok(secretsInUrls.length === 0, "no token or secret ever appeared in a request URL", secretsInUrls.join(" "));

await browser.close();
finish();
