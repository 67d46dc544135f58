#include "auth/bearer.h"

#include "base/encoding.h"

namespace latchkey::auth {
namespace {

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

Bearer ParseBearer(std::string_view authorization_header) {
  std::string_view header = TrimBlanks(authorization_header);
  if (header.empty()) return {BearerStatus::kMissing, {}};
  size_t space = header.find_first_of(" \t");
  std::string_view scheme = header.substr(0, space);
  if (!IEquals(scheme, "Bearer")) return {BearerStatus::kNotBearer, {}};
  if (space == std::string_view::npos) return {BearerStatus::kEmpty, {}};
  std::string_view token = TrimBlanks(header.substr(space + 1));
  if (token.empty()) return {BearerStatus::kEmpty, {}};
  return {BearerStatus::kOk, token};
}

}  // namespace latchkey::auth
