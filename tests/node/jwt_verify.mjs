// Verifies one token against a JWKS URL with jose: exit 0 if valid, 1 if not.
// Usage: node jwt_verify.mjs JWKS_URL ISSUER AUDIENCE TOKEN
import * as jose from "jose";
const [jwksUrl, issuer, audience, token] = process.argv.slice(2);
try {
  const jwks = jose.createRemoteJWKSet(new URL(jwksUrl), { cacheMaxAge: 0, cooldownDuration: 0 });
  await jose.jwtVerify(token, jwks, { issuer, audience, algorithms: ["RS256"] });
  console.log("valid");
} catch (e) {
  console.log(`invalid: ${e.code || e.name}`);
  process.exitCode = 1;
}
