// Development tool only (not shipped, not a test): serves web/ with the same headers as
// latchkeyd and an in-memory imitation of the workspace API, to click through the page without
// building the server. The real tests (tests/e2e/web_ui_test.sh) run against latchkeyd.
//
//   node web/dev/mock_server.mjs [port]     -> prints {"url": ..., "admin_token": ..., "user_token": ..., "sp_application_id": ...}
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const WEB = join(dirname(fileURLToPath(import.meta.url)), "..");
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";
const TYPES = { html: "text/html; charset=utf-8", js: "text/javascript; charset=utf-8", css: "text/css; charset=utf-8", svg: "image/svg+xml" };

const sha = (v) => createHash("sha256").update(v).digest("hex");
const now = () => Date.now();
const DAY = 86400000;

const principals = [
  { id: "1001", userName: "admin@example.com", displayName: "Ada Admin", admin: true, kind: "user" },
  { id: "1002", userName: "bob@example.com", displayName: "Bob Builder", admin: false, kind: "user" },
  { id: "2001", applicationId: randomUUID(), displayName: "ci-runner", kind: "sp" },
  { id: "2002", applicationId: randomUUID(), displayName: "nightly-etl", kind: "sp" },
];
const groups = [
  { id: "9001", displayName: "admins" },
  { id: "9002", displayName: "users" },
  { id: "9003", displayName: "data-engineers" },
];
const tokens = new Map(); // token_id -> record
const secrets = new Map(); // sp id -> [secret]
const conf = { enableTokensConfig: "true", maxTokenLifetimeDays: "" };
let acl = [
  { group_name: "admins", permission_level: "CAN_MANAGE" },
  { group_name: "users", permission_level: "CAN_USE" },
];
const audit = [];
let auditSeq = 0;

function record(actor, action, target, detail = {}) {
  audit.push({ seq: ++auditSeq, time: now(), actor, action, target, detail, remote_address: "127.0.0.1" });
}

function issue(owner, comment, lifetimeDays, { creator = owner, createdAt = now(), lastUsed } = {}) {
  const value = "dapi" + randomBytes(16).toString("hex");
  const id = sha(value);
  tokens.set(id, {
    token_id: id,
    creation_time: createdAt,
    expiry_time: lifetimeDays ? createdAt + lifetimeDays * DAY : -1,
    comment,
    owner,
    creator,
    last_used_day: lastUsed,
  });
  return value;
}

const adminToken = issue(principals[0], "bootstrap admin", 0, { createdAt: now() - 40 * DAY, lastUsed: now() - DAY });
const userToken = issue(principals[1], "laptop", 90, { createdAt: now() - 10 * DAY });
issue(principals[0], "deploy pipeline", 90, { createdAt: now() - 3 * DAY, lastUsed: now() - 2 * DAY });
issue(principals[2], "ci runner (OBO)", 30, { creator: principals[0], createdAt: now() - 5 * DAY });
record("admin@example.com", "token.create", "bootstrap", { comment: "bootstrap admin" });

function json(res, status, body, extra = {}) {
  res.writeHead(status, { "Content-Type": "application/json", ...extra });
  res.end(JSON.stringify(body));
}
const err = (res, status, code, message) => json(res, status, { error_code: code, message });

function authenticate(req) {
  const h = req.headers.authorization || "";
  if (!h.startsWith("Bearer ")) return { status: 401 };
  const t = tokens.get(sha(h.slice(7)));
  if (!t || (t.expiry_time !== -1 && t.expiry_time < now())) return { status: 403 };
  if (conf.enableTokensConfig === "false") return { status: 403 };
  return { principal: t.owner };
}

function nameOf(p) {
  return p.kind === "sp" ? p.applicationId : p.userName;
}

function publicInfo(t) {
  return { token_id: t.token_id, creation_time: t.creation_time, expiry_time: t.expiry_time, comment: t.comment };
}

function adminInfo(t) {
  const out = {
    ...publicInfo(t),
    created_by_id: Number(t.creator.id),
    created_by_username: nameOf(t.creator),
    owner_id: Number(t.owner.id),
    workspace_id: 1111,
  };
  if (t.last_used_day) out.last_used_day = t.last_used_day;
  return out;
}

function aclView() {
  return {
    object_id: "/authorization/tokens",
    object_type: "tokens",
    access_control_list: acl.map((e) => {
      const out = { ...e };
      delete out.permission_level;
      const sp = e.service_principal_name && principals.find((p) => p.applicationId === e.service_principal_name);
      if (sp) out.display_name = sp.displayName;
      out.all_permissions = [{ permission_level: e.permission_level, inherited: false }];
      return out;
    }),
  };
}

function validateAclEntry(e) {
  const keys = ["user_name", "group_name", "service_principal_name"].filter((k) => e[k]);
  if (keys.length !== 1) return "Exactly one of user_name, group_name or service_principal_name is required.";
  const k = keys[0];
  const v = e[k];
  const known =
    (k === "user_name" && principals.some((p) => p.userName === v)) ||
    (k === "group_name" && groups.some((g) => g.displayName === v)) ||
    (k === "service_principal_name" && principals.some((p) => p.applicationId === v));
  if (!known) return `Principal ${v} does not exist.`;
  if (e.permission_level === "CAN_MANAGE" && v !== "admins") return "Only admins can be given CAN_MANAGE permission on tokens";
  if (!["CAN_USE", "CAN_MANAGE"].includes(e.permission_level)) return `Invalid permission level ${e.permission_level}.`;
  return null;
}

async function body(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const text = Buffer.concat(chunks).toString();
  return text ? JSON.parse(text) : {};
}

function scimUser(p) {
  return p.kind === "sp"
    ? { id: p.id, applicationId: p.applicationId, displayName: p.displayName, active: true }
    : {
        id: p.id,
        userName: p.userName,
        displayName: p.displayName,
        active: true,
        groups: [
          ...(p.admin ? [{ display: "admins", value: "9001", type: "direct" }] : []),
          { display: "users", value: "9002", type: "direct" },
        ],
      };
}

function scimList(res, url, items) {
  const start = Number(url.searchParams.get("startIndex") || 1);
  const count = Number(url.searchParams.get("count") || 100);
  const page = items.slice(start - 1, start - 1 + count);
  json(res, 200, { totalResults: items.length, startIndex: start, itemsPerPage: page.length, Resources: page });
}

async function api(req, res, url) {
  const auth = authenticate(req);
  if (auth.status === 401) return json(res, 401, { error_code: 401, message: "Credential was not sent or was of an unsupported type for this API." });
  if (auth.status === 403) return json(res, 403, { error_code: 403, message: "Invalid access token." });
  const me = auth.principal;
  const admin = !!me.admin;
  const path = url.pathname;
  const m = req.method;
  const needAdmin = () => (admin ? false : (err(res, 403, "PERMISSION_DENIED", "Only admins can do that."), true));

  if (m === "GET" && path === "/api/2.0/preview/scim/v2/Me") return json(res, 200, scimUser(me));
  if (m === "GET" && path === "/api/2.0/preview/scim/v2/Users") return scimList(res, url, principals.filter((p) => p.kind === "user").map(scimUser));
  if (m === "GET" && path === "/api/2.0/preview/scim/v2/ServicePrincipals") return scimList(res, url, principals.filter((p) => p.kind === "sp").map(scimUser));
  if (m === "GET" && path === "/api/2.0/preview/scim/v2/Groups") return scimList(res, url, groups);

  if (m === "POST" && path === "/api/2.0/token/create") {
    const b = await body(req);
    if (conf.enableTokensConfig === "false") return err(res, 403, "PERMISSION_DENIED", "Personal access tokens are disabled for this workspace.");
    const max = Number(conf.maxTokenLifetimeDays || 0);
    let days = 0;
    if (b.lifetime_seconds !== undefined) {
      if (!(b.lifetime_seconds > 0)) return err(res, 400, "INVALID_PARAMETER_VALUE", `requirement failed: Invalid timeout: ${b.lifetime_seconds}`);
      days = b.lifetime_seconds / 86400;
    } else days = max;
    if (max && (!days || days > max)) return err(res, 400, "INVALID_PARAMETER_VALUE", `Token lifetime exceeds the maximum of ${max} days.`);
    const value = issue(me, String(b.comment ?? ""), days);
    const t = tokens.get(sha(value));
    record(nameOf(me), "token.create", t.token_id, { comment: t.comment });
    return json(res, 200, { token_value: value, token_info: publicInfo(t) });
  }
  if (m === "GET" && path === "/api/2.0/token/list") {
    return json(res, 200, { token_infos: [...tokens.values()].filter((t) => t.owner === me).map(publicInfo) });
  }
  if (m === "POST" && path === "/api/2.0/token/delete") {
    const b = await body(req);
    const t = tokens.get(b.token_id);
    if (!t || t.owner !== me) return err(res, 404, "RESOURCE_DOES_NOT_EXIST", `Token with ID ${b.token_id} does not exist.`);
    tokens.delete(b.token_id);
    record(nameOf(me), "token.delete", b.token_id);
    return json(res, 200, {});
  }
  if (m === "GET" && path === "/api/2.0/token-management/tokens") {
    if (needAdmin()) return;
    const by = url.searchParams.get("created_by_username");
    return json(res, 200, { token_infos: [...tokens.values()].filter((t) => !by || nameOf(t.creator) === by).map(adminInfo) });
  }
  const tm = path.match(/^\/api\/2\.0\/token-management\/tokens\/([0-9a-f]+)$/);
  if (m === "DELETE" && tm) {
    if (needAdmin()) return;
    if (!tokens.delete(tm[1])) return err(res, 404, "RESOURCE_DOES_NOT_EXIST", `Token with ID ${tm[1]} does not exist.`);
    record(nameOf(me), "token.delete", tm[1]);
    return json(res, 200, {});
  }
  if (path === "/api/2.0/permissions/authorization/tokens") {
    if (needAdmin()) return;
    if (m === "GET") return json(res, 200, aclView());
    if (m === "PATCH" || m === "PUT") {
      const b = await body(req);
      const list = b.access_control_list || [];
      for (const e of list) {
        const problem = validateAclEntry(e);
        if (problem) return err(res, 400, "INVALID_PARAMETER_VALUE", problem);
      }
      const keyOf = (e) => e.user_name || e.group_name || e.service_principal_name;
      if (m === "PUT") acl = [{ group_name: "admins", permission_level: "CAN_MANAGE" }];
      for (const e of list) {
        acl = acl.filter((x) => keyOf(x) !== keyOf(e));
        acl.push(e);
      }
      record(nameOf(me), m === "PUT" ? "permissions.replace" : "permissions.update", "tokens", { access_control_list: list });
      return json(res, 200, aclView());
    }
  }
  if (path === "/api/2.0/workspace-conf") {
    if (m === "GET") {
      const out = {};
      for (const k of (url.searchParams.get("keys") || "").split(",")) out[k] = conf[k] ?? null;
      return json(res, 200, out);
    }
    if (m === "PATCH") {
      if (needAdmin()) return;
      const b = await body(req);
      if (b.maxTokenLifetimeDays !== undefined && b.maxTokenLifetimeDays !== "" && !/^[0-9]+$/.test(String(b.maxTokenLifetimeDays))) {
        return err(res, 400, "INVALID_PARAMETER_VALUE", "maxTokenLifetimeDays must be an integer.");
      }
      for (const [k, v] of Object.entries(b)) conf[k] = String(v);
      record(nameOf(me), "conf.update", "workspace-conf", b);
      return json(res, 200, {});
    }
  }
  const sec = path.match(/^\/api\/2\.0\/accounts\/servicePrincipals\/([^/]+)\/credentials\/secrets(?:\/([^/]+))?$/);
  if (sec) {
    if (needAdmin()) return;
    const sp = principals.find((p) => p.kind === "sp" && p.id === sec[1]);
    if (!sp) return err(res, 404, "RESOURCE_DOES_NOT_EXIST", `Service principal ${sec[1]} does not exist.`);
    const list = secrets.get(sp.id) || [];
    secrets.set(sp.id, list);
    if (m === "POST" && !sec[2]) {
      const b = await body(req);
      const seconds = b.lifetime ? Number(String(b.lifetime).replace(/s$/, "")) : 730 * 86400;
      const s = {
        id: randomUUID(),
        secret_hash: "",
        create_time: new Date().toISOString(),
        update_time: new Date().toISOString(),
        expire_time: new Date(now() + seconds * 1000).toISOString(),
        status: "ACTIVE",
      };
      list.push(s);
      record(nameOf(me), "secret.create", sp.applicationId, { secret_id: s.id });
      return json(res, 200, { ...s, secret: "dose" + randomBytes(16).toString("hex") });
    }
    if (m === "GET" && !sec[2]) return json(res, 200, { secrets: list });
    if (m === "DELETE" && sec[2]) {
      const i = list.findIndex((s) => s.id === sec[2]);
      if (i < 0) return err(res, 404, "RESOURCE_DOES_NOT_EXIST", `Secret ${sec[2]} does not exist.`);
      list.splice(i, 1);
      record(nameOf(me), "secret.delete", sp.applicationId, { secret_id: sec[2] });
      return json(res, 200, {});
    }
  }
  if (m === "GET" && path === "/api/2.0/latchkey/audit") {
    if (needAdmin()) return;
    const after = Number(url.searchParams.get("after") || 0);
    const limit = Number(url.searchParams.get("limit") || 100);
    const events = audit.filter((e) => e.seq > after).slice(0, limit);
    return json(res, 200, { events, next_after: events.length ? events[events.length - 1].seq : after });
  }
  return err(res, 404, "ENDPOINT_NOT_FOUND", `No API found for '${m} ${path}'`);
}

const security = {
  "Content-Security-Policy": CSP,
  "X-Frame-Options": "DENY",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-cache",
};

const server = createServer(async (req, res) => {
  const url = new URL(req.url, "http://localhost");
  try {
    if (url.pathname.startsWith("/api/")) return await api(req, res, url);
    if (url.pathname === "/" || url.pathname === "/ui") {
      res.writeHead(302, { Location: "/ui/", ...security });
      return res.end();
    }
    const m = url.pathname.match(/^\/ui\/([A-Za-z0-9_.-]*)$/);
    if (req.method === "GET" && m) {
      const name = m[1] || "index.html";
      const ext = name.split(".").pop();
      try {
        const data = await readFile(join(WEB, name));
        res.writeHead(200, { "Content-Type": TYPES[ext] || "application/octet-stream", ...security });
        return res.end(data);
      } catch {
        // fall through to 404
      }
    }
    res.writeHead(404, { "Content-Type": "text/plain", ...security });
    res.end("Not found.\n");
  } catch (e) {
    err(res, 500, "INTERNAL_ERROR", String(e));
  }
});

server.listen(Number(process.argv[2] || 0), "127.0.0.1", () => {
  const { port } = server.address();
  console.log(
    JSON.stringify({
      url: `http://127.0.0.1:${port}`,
      admin_token: adminToken,
      user_token: userToken,
      sp_application_id: principals[2].applicationId,
    }),
  );
});
