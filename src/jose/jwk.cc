#include "jose/jwk.h"

#include <array>
#include <utility>

#include "base/encoding.h"
#include "base/secret.h"
#include "crypto/hash.h"

namespace latchkey::jose {
namespace {

using nlohmann::json;

// Decodes the base64url member `name` of `jwk`. Never echoes the value in errors.
Result<std::string> Member(const json& jwk, const char* name) {
  auto it = jwk.find(name);
  if (it == jwk.end() || !it->is_string()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string("JWK member \"") + name + "\" missing or not a string");
  }
  std::optional<std::string> bytes = Base64UrlDecode(it->get_ref<const std::string&>());
  if (!bytes || bytes->empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string("JWK member \"") + name + "\" is not base64url");
  }
  return std::move(*bytes);
}

Status CheckRsaJwk(const json& jwk) {
  if (!jwk.is_object()) return MakeError(ErrorCode::kInvalidArgument, "JWK is not an object");
  auto kty = jwk.find("kty");
  if (kty == jwk.end() || *kty != "RSA") {
    return MakeError(ErrorCode::kInvalidArgument, "JWK kty is not RSA");
  }
  if (auto use = jwk.find("use"); use != jwk.end() && *use != "sig") {
    return MakeError(ErrorCode::kInvalidArgument, "JWK use is not sig");
  }
  if (auto alg = jwk.find("alg"); alg != jwk.end() && *alg != "RS256") {
    return MakeError(ErrorCode::kInvalidArgument, "JWK alg is not RS256");
  }
  return Ok();
}

}  // namespace

std::string Rfc7638Thumbprint(const crypto::RsaPublicKey& key) {
  // RFC 7638 §3.2: required members only, lexicographic order, no whitespace. Base64url
  // values need no JSON escaping, so plain concatenation is the canonical form.
  const std::string canonical = R"({"e":")" + Base64UrlEncode(key.Exponent()) +
                                R"(","kty":"RSA","n":")" + Base64UrlEncode(key.Modulus()) +
                                R"("})";
  return Base64UrlEncode(crypto::Sha256(canonical));
}

nlohmann::json RsaPublicJwk(const crypto::RsaPublicKey& key, std::string_view kid,
                            std::optional<std::string> x5t) {
  json jwk = {{"kty", "RSA"},
              {"use", "sig"},
              {"alg", "RS256"},
              {"kid", std::string(kid)},
              {"n", Base64UrlEncode(key.Modulus())},
              {"e", Base64UrlEncode(key.Exponent())}};
  if (x5t) jwk["x5t"] = std::move(*x5t);
  return jwk;
}

Result<crypto::RsaPublicKey> RsaPublicKeyFromJwk(const nlohmann::json& jwk) {
  if (Status ok = CheckRsaJwk(jwk); !ok) return std::unexpected(ok.error());
  Result<std::string> n = Member(jwk, "n");
  if (!n) return std::unexpected(n.error());
  Result<std::string> e = Member(jwk, "e");
  if (!e) return std::unexpected(e.error());
  Result<crypto::RsaPublicKey> key = crypto::RsaPublicKey::FromComponents(*n, *e);
  if (!key) return std::unexpected(key.error());
  if (key->Bits() < kMinRsaBits) {
    return MakeError(ErrorCode::kInvalidArgument, "JWK RSA key shorter than 2048 bits");
  }
  return key;
}

Result<crypto::RsaPrivateKey> RsaPrivateKeyFromJwk(const nlohmann::json& jwk) {
  if (Status ok = CheckRsaJwk(jwk); !ok) return std::unexpected(ok.error());
  if (jwk.contains("oth")) {
    return MakeError(ErrorCode::kInvalidArgument, "multi-prime RSA JWKs are not supported");
  }
  static constexpr std::array<const char*, 8> kNames = {"n", "e", "d", "p", "q", "dp", "dq", "qi"};
  std::array<Secret, 8> parts;
  for (size_t i = 0; i < kNames.size(); ++i) {
    Result<std::string> part = Member(jwk, kNames[i]);
    if (!part) return std::unexpected(part.error());
    parts[i] = Secret(std::move(*part));
  }
  return crypto::RsaPrivateKey::FromComponents(
      parts[0].reveal(), parts[1].reveal(), parts[2].reveal(), parts[3].reveal(),
      parts[4].reveal(), parts[5].reveal(), parts[6].reveal(), parts[7].reveal());
}

}  // namespace latchkey::jose
