#include "jose/jws.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "base/encoding.h"

namespace latchkey::jose {
namespace {

using nlohmann::json;

std::unexpected<Error> Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

// The protected header of every token latchkey signs.
json Rs256Header(std::string_view kid) {
  return {{"alg", "RS256"}, {"typ", "JWT"}, {"kid", std::string(kid)}};
}

// Serializes without exceptions; nullopt for invalid UTF-8.
std::optional<std::string> Dump(const json& value) {
  try {
    return value.dump();
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

// Decodes one base64url JSON-object part. `what` names it in errors.
Result<json> DecodeObject(std::string_view part, std::string_view what) {
  std::optional<std::string> bytes = Base64UrlDecode(part);
  if (!bytes) return Invalid("JWT " + std::string(what) + " is not base64url");
  // Non-throwing parse: a discarded value means malformed JSON.
  json value = json::parse(*bytes, /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (!value.is_object()) return Invalid("JWT " + std::string(what) + " is not a JSON object");
  return value;
}

}  // namespace

Result<std::string> SignJwt(const nlohmann::json& claims, const crypto::RsaPrivateKey& key,
                            std::string_view kid, const nlohmann::json& extra_header) {
  if (!claims.is_object()) return Invalid("JWT claims must be a JSON object");
  if (!extra_header.is_object()) return Invalid("JWT extra header must be a JSON object");
  if (extra_header.contains("alg")) return Invalid("JWT extra header may not set alg");
  json header = Rs256Header(kid);
  header.update(extra_header);
  std::optional<std::string> header_json = Dump(header);
  std::optional<std::string> claims_json = Dump(claims);
  if (!header_json || !claims_json) return Invalid("JWT header or claims are not valid UTF-8");
  return SignCompact(Base64UrlEncode(*header_json), *claims_json, key);
}

std::string EncodeRs256Header(std::string_view kid) {
  return Base64UrlEncode(Rs256Header(kid).dump(-1, ' ', false, json::error_handler_t::replace));
}

Result<std::string> SignCompact(std::string_view encoded_header, std::string_view payload_json,
                                const crypto::RsaPrivateKey& key) {
  const std::string payload = Base64UrlEncode(payload_json);
  std::string token;
  token.reserve(encoded_header.size() + payload.size() + 2 + 4 * 512 / 3 + 4);
  token.append(encoded_header).append(1, '.').append(payload);
  Result<std::string> signature = key.SignRs256(token);
  if (!signature) return std::unexpected(signature.error());
  token.push_back('.');
  token.append(Base64UrlEncode(*signature));
  return token;
}

Result<ParsedJwt> ParseJwt(std::string_view token) {
  if (token.size() > kMaxJwtSize) return Invalid("JWT exceeds 16 KiB");
  if (std::count(token.begin(), token.end(), '.') != 2) {
    return Invalid("JWT does not have exactly three parts");
  }
  const size_t first = token.find('.');
  const size_t second = token.find('.', first + 1);
  const std::string_view header_part = token.substr(0, first);
  const std::string_view payload_part = token.substr(first + 1, second - first - 1);
  const std::string_view signature_part = token.substr(second + 1);
  if (header_part.empty() || payload_part.empty()) return Invalid("JWT has an empty part");

  Result<json> header = DecodeObject(header_part, "header");
  if (!header) return std::unexpected(header.error());
  Result<json> claims = DecodeObject(payload_part, "payload");
  if (!claims) return std::unexpected(claims.error());
  std::optional<std::string> signature = Base64UrlDecode(signature_part);
  if (!signature) return Invalid("JWT signature is not base64url");
  return ParsedJwt{.header = std::move(*header),
                   .claims = std::move(*claims),
                   .signing_input = std::string(token.substr(0, second)),
                   .signature = std::move(*signature)};
}

}  // namespace latchkey::jose
