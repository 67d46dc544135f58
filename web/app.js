// The shell: sign-in, the navigation and hash routing (#/tokens, #/admin/...). Two ways in:
// "Sign in with <provider>" (a server-side session in an HttpOnly cookie the page never sees;
// it keeps only the session's CSRF token, in memory), or a PAT kept in sessionStorage only
// (this tab, until sign-out or the tab closes): never in a cookie, never in a URL.
import { createApi, currentWebSession, tokenIdOf, webConfig } from "./api.js";
import { clear, el, errorBox, messageOf } from "./ui.js";
import { renderMyTokens, renderAllTokens } from "./tokens.js";
import { renderPermissions } from "./permissions.js";
import { renderSettings } from "./settings.js";
import { renderServicePrincipals } from "./principals.js";
import { renderAudit } from "./audit.js";
import { renderAllSessions, renderSessions } from "./sessions.js";

const STORAGE_KEY = "latchkey.token";

const PAGES = [
  { route: "tokens", label: "My tokens", title: "Access tokens", render: renderMyTokens },
  { route: "sessions", label: "Sessions", title: "Sessions", web: true, render: renderSessions },
  { route: "admin/tokens", label: "All tokens", title: "All tokens", admin: true, render: renderAllTokens },
  { route: "admin/permissions", label: "Token permissions", title: "Token permissions", admin: true, render: renderPermissions },
  { route: "admin/settings", label: "Workspace settings", title: "Workspace settings", admin: true, render: renderSettings },
  { route: "admin/service-principals", label: "Service principals", title: "Service principals", admin: true, render: renderServicePrincipals },
  { route: "admin/sessions", label: "Web sessions", title: "Web sessions", admin: true, render: renderAllSessions },
  { route: "admin/audit", label: "Audit log", title: "Audit log", admin: true, render: renderAudit },
];

const $ = (id) => document.getElementById(id);

let session = null; // {api, me, isAdmin, tokenId, web}
let renderGeneration = 0;

function storedToken() {
  try {
    return sessionStorage.getItem(STORAGE_KEY) || "";
  } catch {
    return "";
  }
}

async function signIn(token, { fromStorage = false } = {}) {
  const api = createApi(token, { onInvalidToken: (err) => expireSession(err) });
  const me = await api.me();
  const isAdmin = Array.isArray(me.groups) && me.groups.some((g) => g && g.display === "admins");
  session = { api, me, isAdmin, tokenId: await tokenIdOf(token) };
  if (!fromStorage) sessionStorage.setItem(STORAGE_KEY, token);
  showApp();
}

// Signed in through an identity provider: the cookie authenticates, the CSRF token rides along.
async function signInWithSession(info) {
  const csrf = { header: info.csrf_header, token: info.csrf_token };
  const api = createApi(null, { csrf, onInvalidToken: (err) => expireSession(err) });
  const me = await api.me();
  const isAdmin = Array.isArray(me.groups) && me.groups.some((g) => g && g.display === "admins");
  session = { api, me, isAdmin, tokenId: "", web: true };
  showApp();
}

// The sign-out button: a web session is ended on the server first.
async function endSession(message) {
  if (session && session.web) {
    try {
      await session.api.signOutSession();
    } catch {
      // Already ended (revoked, expired): nothing left to end.
    }
  }
  signOut(message);
}

function signOut(message) {
  session = null;
  renderGeneration++;
  sessionStorage.clear();
  clear($("main"));
  clear($("nav"));
  $("account").hidden = true;
  $("app-view").hidden = true;
  $("signin-view").hidden = false;
  const notice = $("signin-notice");
  notice.textContent = message || "";
  notice.hidden = !message;
  if (location.hash) history.replaceState(null, "", location.pathname + location.search);
  document.title = "Sign in · latchkey";
  $("token-input").value = "";
  $("token-input").focus();
}

// The server stopped accepting the token (revoked, expired, tokens disabled).
function expireSession(err) {
  if (!session) return;
  if (session.web) signOut("Your session has ended (signed out, revoked or timed out). Sign in again.");
  else signOut(`You have been signed out: ${messageOf(err)} Sign in again with a valid token.`);
}

function showApp() {
  const { me, isAdmin } = session;
  $("signin-view").hidden = true;
  $("app-view").hidden = false;
  $("account").hidden = false;
  const who = $("whoami");
  clear(who);
  const name = me.displayName || me.userName || "Signed in";
  who.append(el("span", { class: "whoami-name", text: name }));
  if (me.userName && me.userName !== name) who.append(el("span", { class: "whoami-user", text: me.userName }));
  if (isAdmin) who.append(el("span", { class: "badge", text: "Admin" }));
  buildNav();
  route();
}

function buildNav() {
  const nav = $("nav");
  clear(nav);
  const link = (p) => el("li", {}, el("a", { href: `#/${p.route}`, "data-route": p.route, text: p.label }));
  nav.append(
    el("p", { class: "nav-heading", id: "nav-heading-user", text: "Personal" }),
    el("ul", { "aria-labelledby": "nav-heading-user" }, PAGES.filter((p) => !p.admin && (!p.web || session.web)).map(link)),
  );
  if (session.isAdmin) {
    nav.append(
      el("p", { class: "nav-heading", id: "nav-heading-admin", text: "Administration" }),
      el("ul", { "aria-labelledby": "nav-heading-admin" }, PAGES.filter((p) => p.admin).map(link)),
    );
  }
}

function currentRoute() {
  return location.hash.replace(/^#\/?/, "");
}

async function route({ focus = true } = {}) {
  if (!session) return;
  let page = PAGES.find((p) => p.route === currentRoute());
  if (!page || (page.admin && !session.isAdmin) || (page.web && !session.web)) {
    page = PAGES[0];
    if (currentRoute() !== page.route) {
      history.replaceState(null, "", `#/${page.route}`);
    }
  }
  for (const a of $("nav").querySelectorAll("a")) {
    if (a.dataset.route === page.route) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  document.title = `${page.title} · latchkey`;
  const generation = ++renderGeneration;
  const main = $("main");
  clear(main);
  const container = el("section", { class: "page", "data-page": page.route.replace("/", "-") });
  main.append(container);
  const ctx = {
    ...session,
    container,
    isCurrent: () => generation === renderGeneration && session !== null,
    signOut,
  };
  try {
    await page.render(ctx);
  } catch (err) {
    if (!ctx.isCurrent()) return;
    const box = errorBox();
    box.show(err);
    container.append(box.node);
  }
  if (focus && ctx.isCurrent()) {
    const heading = container.querySelector("h1");
    if (heading) heading.focus({ preventScroll: true });
  }
}

function init() {
  const form = $("signin-form");
  const box = errorBox();
  form.append(box.node);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    box.clear();
    const token = $("token-input").value.trim();
    if (!token) {
      box.show(new Error("Paste a personal access token first."));
      $("token-input").focus();
      return;
    }
    const submit = form.querySelector("button[type=submit]");
    submit.disabled = true;
    try {
      await signIn(token);
      $("token-input").value = "";
    } catch (err) {
      box.show(err);
      $("token-input").focus();
    } finally {
      submit.disabled = false;
    }
  });
  $("sign-out").addEventListener("click", () => endSession("You have signed out."));
  window.addEventListener("hashchange", () => route());
  start();
}

// The sign-in choices the server offers, then whichever session this tab already has.
async function start() {
  const config = await webConfig();
  const providers = $("sso-providers");
  clear(providers);
  for (const p of config.providers || []) {
    providers.append(el("a", { class: "button primary sso-button", href: p.start_url, text: `Sign in with ${p.display_name}` }));
  }
  providers.hidden = !(config.providers || []).length;
  $("pat-signin").hidden = config.pat_sign_in === false;
  const params = new URLSearchParams(location.search);
  const failed = params.get("sso_error");
  if (failed !== null) history.replaceState(null, "", location.pathname + location.hash);

  const token = config.pat_sign_in === false ? "" : storedToken();
  if (token) {
    signIn(token, { fromStorage: true }).catch((err) => signOut(`Sign in again: ${messageOf(err)}`));
    return;
  }
  const web = await currentWebSession();
  if (web) {
    signInWithSession(web).catch((err) => signOut(`Sign in again: ${messageOf(err)}`));
  } else {
    signOut(failed !== null ? `Sign-in failed (${failed.slice(0, 64)}). Try again, or ask an administrator.` : "");
  }
}

init();
