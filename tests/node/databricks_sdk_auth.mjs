// One Databricks SDK auth type (pinned @databricks/sdk-experimental) against latchkey, asserting
// the identity it got from GET /api/2.0/preview/scim/v2/Me (issue 18 item 3).
// Env: LK_HOST (as the SDK is given it), MODE (pat | oauth-m2m | azure-client-secret | azure-cli |
// databricks-cli), EXPECT_USER (the userName /Me must answer), and per mode TOKEN (pat),
// CLIENT_ID + CLIENT_SECRET (oauth-m2m, azure-client-secret), TENANT (azure-client-secret),
// CLI_PATH (databricks-cli: the `databricks` executable).
import { WorkspaceClient } from "@databricks/sdk-experimental";
import { ok, attempt, finish, env } from "./common.mjs";

const host = env("LK_HOST");
const mode = env("MODE");
const configs = {
  "pat": () => ({ token: env("TOKEN") }),
  "oauth-m2m": () => ({ clientId: env("CLIENT_ID"), clientSecret: env("CLIENT_SECRET") }),
  "azure-client-secret": () => ({
    azureClientId: env("CLIENT_ID"), azureClientSecret: env("CLIENT_SECRET"), azureTenantId: env("TENANT"),
  }),
  "azure-cli": () => ({}),
  "databricks-cli": () => ({ databricksCliPath: env("CLI_PATH") }),
};
const w = new WorkspaceClient({ host, authType: mode, env: {}, ...configs[mode]() },
                              { product: "latchkey-tests", productVersion: "0.1.0" });
const me = await attempt(`${mode}: currentUser.me()`, () => w.currentUser.me());
ok(me && me.userName === env("EXPECT_USER"), `${mode}: /Me answers ${env("EXPECT_USER")}`,
   JSON.stringify(me && me.userName));
const tokens = [];
await attempt(`${mode}: tokens.list()`, async () => { for await (const t of w.tokens.list()) tokens.push(t); });
ok(Array.isArray(tokens), `${mode}: tokens.list() iterates`);
finish();
