// Workload identity federation with real clients: @azure/identity's ClientAssertionCredential
// and WorkloadIdentityCredential (AZURE_FEDERATED_TOKEN_FILE, AZURE_AUTHORITY_HOST), and
// msal-node with clientAssertion, each exchanging a token of the test OIDC issuer at latchkey.
// Env: LK_URL, LK_TENANT, APP (client id), FED_TOKEN (a matching federated token),
// FED_TOKEN_FILE (the same token in a file), BAD_TOKEN (one of another subject); the CA comes
// in through NODE_EXTRA_CA_CERTS.
import { ConfidentialClientApplication } from "@azure/msal-node";
import { ClientAssertionCredential, WorkloadIdentityCredential } from "@azure/identity";
import { ok, attempt, finish, env } from "./common.mjs";

const url = env("LK_URL");
const tenant = env("LK_TENANT");
const clientId = env("APP");
const fedToken = env("FED_TOKEN");
const badToken = env("BAD_TOKEN");
const scope = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default";
const host = new URL(url).host;
const isJwt = (t) => typeof t === "string" && t.split(".").length === 3;
const claims = (t) => JSON.parse(Buffer.from(t.split(".")[1], "base64url").toString());

const assertionCred = new ClientAssertionCredential(tenant, clientId, async () => fedToken, {
  authorityHost: url,
  disableInstanceDiscovery: true,
});
const t1 = await attempt("ClientAssertionCredential getToken", () => assertionCred.getToken(scope));
ok(t1 && isJwt(t1.token), "ClientAssertionCredential got an access token");
ok(t1 && claims(t1.token).appid === clientId && claims(t1.token).appidacr === "2",
   "... for the application, authenticated by assertion (appidacr 2)");

// WorkloadIdentityCredential reads its settings from the environment, as on AKS.
process.env.AZURE_AUTHORITY_HOST = url;
process.env.AZURE_TENANT_ID = tenant;
process.env.AZURE_CLIENT_ID = clientId;
process.env.AZURE_FEDERATED_TOKEN_FILE = env("FED_TOKEN_FILE");
const workload = new WorkloadIdentityCredential({ disableInstanceDiscovery: true });
const t2 = await attempt("WorkloadIdentityCredential getToken", () => workload.getToken(scope));
ok(t2 && isJwt(t2.token) && claims(t2.token).appid === clientId,
   "WorkloadIdentityCredential got an access token for the application");

const msal = new ConfidentialClientApplication({
  auth: { clientId, clientAssertion: fedToken, authority: `${url}/${tenant}`, knownAuthorities: [host] },
});
const t3 = await attempt("msal-node acquireTokenByClientCredential with clientAssertion", () =>
  msal.acquireTokenByClientCredential({ scopes: [scope] }));
ok(t3 && isJwt(t3.accessToken), "msal-node (clientAssertion) got an access token");

const badMsal = new ConfidentialClientApplication({
  auth: { clientId, clientAssertion: badToken, authority: `${url}/${tenant}`, knownAuthorities: [host] },
});
try {
  await badMsal.acquireTokenByClientCredential({ scopes: [scope] });
  ok(false, "msal-node with a token of another subject fails");
} catch (e) {
  ok(String(e.message).includes("700213"), "msal-node with a token of another subject fails with AADSTS700213", e.message);
}
finish();
