// The node peer of `make bench`: oidc-provider (a certified OpenID provider) configured for
// the OAuth client-credentials grant with RS256 JWT access tokens (resource indicators +
// accessTokenFormat 'jwt'). One process, like a default node deployment. Listens on
// 127.0.0.1:<port> (0 = ephemeral) and writes {"pid","url"} to the ready file.
// Usage: node oidc_peer.js PORT READY_FILE
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const port = Number(process.argv[2] || 0);
const readyFile = process.argv[3];
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), alg: 'RS256', use: 'sig', kid: 'bench' };
const audience = 'urn:latchkey:bench';

const provider = new Provider('http://127.0.0.1', {
  clients: [{
    client_id: 'bench',
    client_secret: 'bench-secret-0123456789',
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    token_endpoint_auth_method: 'client_secret_post',
  }],
  jwks: { keys: [jwk] },
  ttl: { ClientCredentials: 3600 },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => audience,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'api',
        audience,
        accessTokenTTL: 3600,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));

const server = provider.listen(port, '127.0.0.1', () => {
  const url = `http://127.0.0.1:${server.address().port}`;
  if (readyFile) writeFileSync(readyFile, JSON.stringify({ pid: process.pid, url }) + '\n');
  console.error(`oidc-provider listening on ${url}`);
});
