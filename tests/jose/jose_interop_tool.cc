// Command-line bridge between latchkey's JOSE code and other JOSE implementations, driven by
// tests/node/jose_interop.mjs. Not shipped.
//
//   jose_interop_tool sign <private.pem> <kid> <claims.json>    prints an RS256 JWT
//   jose_interop_tool verify <jwks.json> <iss> <aud> <token>    exit 0 valid, 1 rejected
//   jose_interop_tool keygen <dir>                              writes private.pem, jwks.json;
//                                                               prints the kid
// Exit code 2 means a usage or I/O error, never a verdict on a token.
#include <cstdio>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/files.h"
#include "crypto/rsa.h"
#include "jose/jwk.h"
#include "jose/jws.h"
#include "jose/jwt_verifier.h"

namespace latchkey::jose {
namespace {

using nlohmann::json;

constexpr int kValid = 0;
constexpr int kRejected = 1;
constexpr int kUsageOrIoError = 2;

int Fail(const std::string& message) {
  std::fprintf(stderr, "jose_interop_tool: %s\n", message.c_str());
  return kUsageOrIoError;
}

Result<json> ReadJson(const std::string& path) {
  Result<std::string> text = ::latchkey::ReadFile(path);
  if (!text) return std::unexpected(text.error());
  json value = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return MakeError(ErrorCode::kInvalidArgument, path + ": bad JSON");
  return value;
}

int Sign(const std::string& pem_path, const std::string& kid, const std::string& claims_path) {
  Result<std::string> pem = ::latchkey::ReadFile(pem_path);
  if (!pem) return Fail(pem.error().message);
  Result<crypto::RsaPrivateKey> key = crypto::RsaPrivateKey::FromPem(*pem);
  if (!key) return Fail(key.error().message);
  Result<json> claims = ReadJson(claims_path);
  if (!claims) return Fail(claims.error().message);
  Result<std::string> token = SignJwt(*claims, *key, kid);
  if (!token) return Fail(token.error().message);
  std::printf("%s\n", token->c_str());
  return kValid;
}

int Verify(const std::string& jwks_path, const std::string& iss, const std::string& aud,
           std::string_view token) {
  Result<json> jwks = ReadJson(jwks_path);
  if (!jwks) return Fail(jwks.error().message);
  if (!jwks->is_object() || !(*jwks)["keys"].is_array()) return Fail("JWKS has no keys array");
  StaticKeySource keys;
  for (const json& jwk : (*jwks)["keys"]) {
    Result<crypto::RsaPublicKey> key = RsaPublicKeyFromJwk(jwk);
    if (!key) return Fail(key.error().message);
    if (!jwk.contains("kid") || !jwk["kid"].is_string()) return Fail("JWK without a kid");
    keys.Add(jwk["kid"].get<std::string>(), *key);
  }
  VerifyPolicy policy{.issuers = {iss}, .audiences = {aud}};
  Result<VerifiedJwt> jwt = VerifyJwt(token, policy, keys, SystemClock().Now());
  if (!jwt) {
    std::fprintf(stderr, "%s\n", jwt.error().message.c_str());
    return kRejected;
  }
  return kValid;
}

int Keygen(const std::string& dir) {
  Result<crypto::RsaPrivateKey> key = crypto::RsaPrivateKey::Generate(2048);
  if (!key) return Fail(key.error().message);
  const std::string kid = Rfc7638Thumbprint(key->PublicKey());
  const json jwks = {{"keys", json::array({RsaPublicJwk(key->PublicKey(), kid)})}};
  if (Status ok = ::latchkey::WritePrivateFile(dir + "/private.pem", key->ToPem().reveal()); !ok) {
    return Fail(ok.error().message);
  }
  if (Status ok = ::latchkey::WriteFileAtomic(dir + "/jwks.json", jwks.dump(2), 0644); !ok) {
    return Fail(ok.error().message);
  }
  std::printf("%s\n", kid.c_str());
  return kValid;
}

int Main(int argc, char** argv) {
  const std::string_view command = argc > 1 ? argv[1] : "";
  if (command == "sign" && argc == 5) return Sign(argv[2], argv[3], argv[4]);
  if (command == "verify" && argc == 6) return Verify(argv[2], argv[3], argv[4], argv[5]);
  if (command == "keygen" && argc == 3) return Keygen(argv[2]);
  return Fail(
      "usage: sign <private.pem> <kid> <claims.json> | verify <jwks.json> <iss> <aud> <token> "
      "| keygen <dir>");
}

}  // namespace
}  // namespace latchkey::jose

int main(int argc, char** argv) { return latchkey::jose::Main(argc, argv); }
