#include "auth/pat_format.h"

#include "crypto/hash.h"

namespace latchkey::auth {
namespace {

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

Secret GeneratePat(Random& random) { return Secret("dapi" + random.Hex(16)); }

bool LooksLikePat(std::string_view value) {
  if (!value.starts_with("dapi") || value.size() < 36) return false;
  if (!IsLowerHex(value.substr(4, 32))) return false;
  std::string_view suffix = value.substr(36);
  if (suffix.empty()) return true;
  // TruffleHog's `(-\d)?` (spec §3.1); allow a few digits.
  if (suffix.size() < 2 || suffix.size() > 4 || suffix[0] != '-') return false;
  for (char c : suffix.substr(1)) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

Secret GenerateOAuthSecret(Random& random) { return Secret("dose" + random.Hex(16)); }

std::string HashSecretValue(std::string_view value) { return crypto::Sha256Hex(value); }

bool IsTokenId(std::string_view id) { return id.size() == 64 && IsLowerHex(id); }

std::string PrintableTokenId(std::string_view id) {
  return IsTokenId(id) ? std::string(id) : std::string("<malformed>");
}

}  // namespace latchkey::auth
