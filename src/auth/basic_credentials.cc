#include "auth/basic_credentials.h"

#include <optional>

#include "base/encoding.h"

namespace latchkey::auth {

BasicCredentials ParseBasic(std::string_view header) {
  while (header.starts_with(' ') || header.starts_with('\t')) header.remove_prefix(1);
  if (header.size() <= 6 || !IEquals(header.substr(0, 6), "Basic ")) return {};
  std::optional<std::string> decoded = Base64Decode(header.substr(6));
  const size_t colon = decoded ? decoded->find(':') : std::string::npos;
  if (colon == std::string::npos) return {BasicStatus::kMalformed, {}, {}};
  std::optional<std::string> id = PercentDecode(decoded->substr(0, colon), true);
  std::optional<std::string> secret = PercentDecode(decoded->substr(colon + 1), true);
  if (!id || !secret) return {BasicStatus::kMalformed, {}, {}};
  return {BasicStatus::kOk, std::move(*id), Secret(std::move(*secret))};
}

}  // namespace latchkey::auth
