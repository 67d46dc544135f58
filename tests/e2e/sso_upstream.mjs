// The upstream OpenID provider of the SSO tests (issue 24): node oidc-provider (pinned in
// bench/node) with its development login and consent screens, over HTTPS on loopback.
// Any login name is accepted; it becomes sub and email (email_verified true).
// Usage: node sso_upstream.mjs OIDC_PROVIDER_DIR PORT CERT KEY REDIRECT_URI CLIENT_SECRET READY
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [dir, port, cert, key, redirectUri, secret, ready] = process.argv.slice(2);
const { default: Provider } = await import(pathToFileURL(join(dir, 'lib/index.js')).href);
const issuer = `https://127.0.0.1:${port}`;
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), alg: 'RS256', use: 'sig', kid: 'up-1' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'latchkey',
    client_secret: secret,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [jwk] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  conformIdTokenClaims: false,  // put the email in the ID token, as most providers do
  findAccount: async (ctx, sub) => ({
    accountId: sub,
    claims: async () => ({ sub, email: sub, email_verified: true, name: `Dev ${sub}` }),
  }),
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['sso-test-cookie-key-0123456789'] },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));
const server = createServer({ cert: readFileSync(cert), key: readFileSync(key) }, provider.callback());
server.listen(Number(port), '127.0.0.1', () => {
  writeFileSync(ready, JSON.stringify({ issuer }) + '\n');
  console.error(`upstream listening on ${issuer}`);
});
