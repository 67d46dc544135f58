// The Databricks JS SDK (pinned 0.14.2) against latchkey's workspace API.
// Env: LK_HOST (https://127.0.0.1 — this SDK version always dials 443), MODE (pat | entra |
// oauth-m2m), and TOKEN (pat, entra) or CLIENT_ID + CLIENT_SECRET (oauth-m2m); ADMIN_TOKEN for
// the admin-only calls; GRANTEE (an application id to grant CAN_USE) optionally.
import { WorkspaceClient } from "@databricks/sdk-experimental";
import { ok, attempt, finish, env } from "./common.mjs";

const host = env("LK_HOST");
const mode = env("MODE");
const opts = { product: "latchkey-tests", productVersion: "0.1.0" };
const w = mode === "oauth-m2m"
  ? new WorkspaceClient({ host, clientId: env("CLIENT_ID"), clientSecret: env("CLIENT_SECRET"), authType: "oauth-m2m", env: {} }, opts)
  : new WorkspaceClient({ host, token: env("TOKEN"), authType: "pat", env: {} }, opts);

const me = await attempt(`${mode}: currentUser.me()`, () => w.currentUser.me());
ok(me && typeof me.userName === "string", `${mode}: /Me returns a userName`, JSON.stringify(me));

const list = async (client) => {
  const out = [];
  for await (const t of client.tokens.list()) out.push(t);
  return out;
};
const before = await attempt(`${mode}: tokens.list()`, () => list(w));
ok(Array.isArray(before), `${mode}: tokens.list() iterates`);

if (mode !== "oauth-m2m" || process.env.CREATE === "1") {
  const created = await attempt(`${mode}: tokens.create()`, () =>
    w.tokens.create({ lifetime_seconds: 3600, comment: `sdk-${mode}` }));
  ok(created && /^dapi[0-9a-f]{32}$/.test(created.token_value), `${mode}: created a dapi token`);
  const id = created && created.token_info.token_id;
  const after = await attempt(`${mode}: tokens.list() again`, () => list(w));
  ok(after && after.some((t) => t.token_id === id), `${mode}: the new token is listed`);
  // The new PAT works on its own.
  if (created) {
    const wp = new WorkspaceClient({ host, token: created.token_value, authType: "pat", env: {} }, opts);
    const me2 = await attempt(`${mode}: /Me with the new PAT`, () => wp.currentUser.me());
    ok(me2 && me2.userName === me.userName, `${mode}: the new PAT authenticates as the same principal`);
    await attempt(`${mode}: tokens.delete()`, () => w.tokens.delete({ token_id: id }));
    const gone = await attempt(`${mode}: tokens.list() after delete`, () => list(w));
    ok(gone && !gone.some((t) => t.token_id === id), `${mode}: the deleted token is gone`);
    try {
      await wp.currentUser.me();
      ok(false, `${mode}: the deleted PAT is refused`);
    } catch (e) {
      ok(e.statusCode === 403 || e.statusCode === 401, `${mode}: the deleted PAT is refused`, String(e.statusCode));
    }
  }
}

if (process.env.ADMIN_TOKEN) {
  const admin = new WorkspaceClient({ host, token: process.env.ADMIN_TOKEN, authType: "pat", env: {} }, opts);
  const all = [];
  await attempt("admin: tokenManagement.list()", async () => {
    for await (const t of admin.tokenManagement.list({})) all.push(t);
  });
  ok(all.length >= 1 && all.every((t) => t.token_id && t.owner_id), "admin: token management lists TokenInfos");
  const levels = await attempt("admin: getPermissionLevels()", () => admin.tokenManagement.getPermissionLevels());
  ok(levels && levels.permission_levels.some((l) => l.permission_level === "CAN_USE"), "admin: CAN_USE is a level");
  if (process.env.GRANTEE) {
    const set = await attempt("admin: setPermissions()", () =>
      admin.tokenManagement.setPermissions({
        access_control_list: [{ service_principal_name: process.env.GRANTEE, permission_level: "CAN_USE" }],
      }));
    ok(set && set.access_control_list.some((e) => e.service_principal_name === process.env.GRANTEE),
      "admin: the grant shows in the ACL");
    const got = await attempt("admin: getPermissions()", () => admin.tokenManagement.getPermissions());
    ok(got && got.object_type === "tokens", "admin: getPermissions object_type tokens");
  }
}
finish();
