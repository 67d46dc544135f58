// Hashes, HMAC and constant-time comparison (OpenSSL). All functions are pure and thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace latchkey::crypto {

// Raw 32-byte SHA-256 digest.
std::string Sha256(std::string_view data);
// SHA-256 as 64 lowercase hex digits.
std::string Sha256Hex(std::string_view data);
// Raw 20-byte SHA-1 digest. Only for identifiers that the specs define with SHA-1 (x5t).
std::string Sha1(std::string_view data);
// Raw 32-byte HMAC-SHA-256 of `data` under `key` (RFC 2104).
std::string HmacSha256(std::string_view key, std::string_view data);

// Compares in time independent of the contents (CRYPTO_memcmp). Returns false when the sizes
// differ; the size itself is not treated as secret.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace latchkey::crypto
