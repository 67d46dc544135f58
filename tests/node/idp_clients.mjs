// msal-node, @azure/identity and jose against latchkey's identity provider.
// Env: LK_URL (https://127.0.0.1:PORT), LK_TENANT, SP_CLIENT_ID, SP_SECRET; the CA comes in
// through NODE_EXTRA_CA_CERTS.
import { ConfidentialClientApplication } from "@azure/msal-node";
import { ClientSecretCredential } from "@azure/identity";
import * as jose from "jose";
import { ok, attempt, finish, env } from "./common.mjs";

const url = env("LK_URL");
const tenant = env("LK_TENANT");
const clientId = env("SP_CLIENT_ID");
const secret = env("SP_SECRET");
const scope = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default";
const host = new URL(url).host;

const msal = new ConfidentialClientApplication({
  auth: { clientId, clientSecret: secret, authority: `${url}/${tenant}`, knownAuthorities: [host] },
});
const r1 = await attempt("msal-node acquireTokenByClientCredential", () =>
  msal.acquireTokenByClientCredential({ scopes: [scope] }));
ok(r1 && r1.accessToken && r1.accessToken.split(".").length === 3, "msal-node got an access token");
ok(r1 && r1.expiresOn && r1.expiresOn.getTime() > Date.now() + 50 * 60 * 1000, "msal-node expiry about an hour away");

const bad = new ConfidentialClientApplication({
  auth: { clientId, clientSecret: "wrong-secret", authority: `${url}/${tenant}`, knownAuthorities: [host] },
});
try {
  await bad.acquireTokenByClientCredential({ scopes: [scope] });
  ok(false, "msal-node with a wrong secret fails");
} catch (e) {
  ok(e.errorCode === "invalid_client", "msal-node with a wrong secret fails with invalid_client", e.errorCode);
  ok(String(e.message).includes("7000215"), "msal-node's message carries AADSTS7000215");
}

const cred = new ClientSecretCredential(tenant, clientId, secret, {
  authorityHost: url,
  disableInstanceDiscovery: true,
});
const t2 = await attempt("@azure/identity getToken", () => cred.getToken(scope));
ok(t2 && t2.token && t2.token.split(".").length === 3, "@azure/identity got an access token");
ok(t2 && t2.expiresOnTimestamp > Date.now() + 50 * 60 * 1000, "@azure/identity expiry about an hour away");

// Independent verification with jose against the published JWKS.
const conf = await (await fetch(`${url}/${tenant}/v2.0/.well-known/openid-configuration`)).json();
const jwks = jose.createRemoteJWKSet(new URL(conf.jwks_uri));
for (const [name, token] of [["msal-node", r1 && r1.accessToken], ["identity", t2 && t2.token]]) {
  const v = await attempt(`jose verifies the ${name} token`, () =>
    jose.jwtVerify(token, jwks, {
      issuer: `https://sts.windows.net/${tenant}/`,
      audience: "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d",
      algorithms: ["RS256"],
    }));
  ok(v && v.payload.appid === clientId && v.payload.tid === tenant, `jose: ${name} token claims (appid, tid)`);
}
finish();
