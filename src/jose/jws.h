// Compact JWS (RFC 7515 §7.1) with RS256, as used for JWTs (RFC 7519). Pure; thread-safe.
// Parsing here is syntax only: it proves nothing about who wrote the token. Use
// jwt_verifier.h to decide whether to trust one.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "crypto/rsa.h"

namespace latchkey::jose {

// Tokens longer than this are refused before any decoding.
inline constexpr size_t kMaxJwtSize = 16 * 1024;

// Signs `claims` (a JSON object) as an RS256 compact JWS. The protected header is
// {"alg":"RS256","typ":"JWT","kid":kid} merged with `extra_header` (e.g. "x5t"; it may
// override "typ", never "alg"). kInvalidArgument if claims or extra_header is not an object,
// extra_header sets "alg", or a string is not valid UTF-8; kInternal if signing fails.
Result<std::string> SignJwt(const nlohmann::json& claims, const crypto::RsaPrivateKey& key,
                            std::string_view kid,
                            const nlohmann::json& extra_header = nlohmann::json::object());

// The base64url protected header {"alg":"RS256","kid":kid,"typ":"JWT"}: SignJwt's header
// without an extra_header, for callers that sign many payloads under one key.
std::string EncodeRs256Header(std::string_view kid);

// "<encoded_header>.<base64url(payload_json)>.<signature>": the compact JWS over text the
// caller has already serialised (a JSON object from JsonObjectWriter, say), which skips the
// nlohmann objects SignJwt builds. The caller vouches for both parts; kInternal if signing
// fails.
Result<std::string> SignCompact(std::string_view encoded_header, std::string_view payload_json,
                                const crypto::RsaPrivateKey& key);

struct ParsedJwt {
  nlohmann::json header;     // a JSON object
  nlohmann::json claims;     // a JSON object
  std::string signing_input;  // "<header b64>.<payload b64>", the bytes the signature covers
  std::string signature;      // raw bytes (may be empty, e.g. alg "none")
};

// Splits and decodes a compact JWS strictly: at most kMaxJwtSize bytes, exactly three
// base64url parts (no padding or whitespace), header and payload JSON objects. Fails with
// kInvalidArgument; the message says which rule failed and never quotes the token.
Result<ParsedJwt> ParseJwt(std::string_view token);

}  // namespace latchkey::jose
