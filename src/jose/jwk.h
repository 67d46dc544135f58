// JSON Web Keys (RFC 7517) for RSA: public JWKs for JWKS documents, RFC 7638 thumbprints
// (our `kid`), and import of JWKs. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "crypto/rsa.h"

namespace latchkey::jose {

// Smallest RSA modulus accepted from a JWK.
inline constexpr int kMinRsaBits = 2048;

// RFC 7638 thumbprint: base64url(SHA-256('{"e":"..","kty":"RSA","n":".."}')).
std::string Rfc7638Thumbprint(const crypto::RsaPublicKey& key);

// {"kty":"RSA","use":"sig","alg":"RS256","kid":kid,"n":..,"e":..[,"x5t":x5t]}. `x5t` is
// already base64url-encoded.
nlohmann::json RsaPublicJwk(const crypto::RsaPublicKey& key, std::string_view kid,
                            std::optional<std::string> x5t = {});

// Imports an RSA public JWK. kInvalidArgument if it is not an object, kty is not "RSA",
// n/e are missing or not strict base64url, "use" is present and not "sig", "alg" is present
// and not "RS256", or the key is shorter than kMinRsaBits.
Result<crypto::RsaPublicKey> RsaPublicKeyFromJwk(const nlohmann::json& jwk);

// Imports an RSA private JWK with all CRT members (n,e,d,p,q,dp,dq,qi); multi-prime ("oth")
// keys are refused. kInvalidArgument on anything missing or inconsistent. Error messages name
// the member, never its value.
Result<crypto::RsaPrivateKey> RsaPrivateKeyFromJwk(const nlohmann::json& jwk);

}  // namespace latchkey::jose
