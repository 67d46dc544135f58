// Fuzzes SCIM filter parsing and evaluation (GET /Users?filter=..., PATCH paths
// `members[value eq "7"]`). The first byte picks the resource's attribute list; the rest is
// the filter. Checks that evaluation asks only for allowed attributes, that comparisons are
// case-insensitive, and that not(f) is the negation of f.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/encoding.h"
#include "base/result.h"
#include "workspace/scim_filter.h"

using namespace latchkey;
using latchkey::workspace::ScimFilter;

namespace {

const std::vector<std::vector<std::string>> kAttributeLists = {
    {"userName", "displayName", "id", "externalId", "active", "emails", "emails.value"},
    {"applicationId", "displayName", "id", "externalId", "active"},
    {"displayName", "id", "externalId"},
    {"value"},
};

std::string Upper(std::string s) {
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::vector<std::string>& attributes = kAttributeLists[data[0] % kAttributeLists.size()];
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);

  Result<ScimFilter> filter = ScimFilter::Parse(text, attributes);
  if (!filter) {
    LATCHKEY_CHECK(filter.error().code == ErrorCode::kInvalidArgument);
    return 0;
  }
  // A resource whose values come from the filter text itself, so comparisons can succeed.
  std::vector<std::string> words;
  for (size_t pos = 0; pos < text.size() && words.size() < 8;) {
    size_t end = text.find_first_of(" ()\"'", pos);
    if (end == std::string_view::npos) end = text.size();
    if (end > pos) words.emplace_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  for (int variant = 0; variant < 3; ++variant) {
    auto get = [&](std::string_view attribute) -> std::optional<std::string> {
      // Attribute names arrive lower-cased and only from the allow-list.
      LATCHKEY_CHECK(AsciiLower(attribute) == attribute);
      LATCHKEY_CHECK(std::any_of(attributes.begin(), attributes.end(),
                                 [&](const std::string& a) { return IEquals(a, attribute); }));
      if (variant == 0) return std::nullopt;
      size_t i = std::hash<std::string_view>()(attribute) % (words.size() + 1);
      if (i == words.size()) return std::string();
      return variant == 1 ? words[i] : Upper(words[i]);
    };
    const bool matches = filter->Matches(get);
    if (variant == 2) {
      // Upper-casing every value changes nothing: comparisons ignore case.
      variant = 1;
      LATCHKEY_CHECK(matches == filter->Matches(get));
      variant = 2;
    }
    Result<ScimFilter> negated = ScimFilter::Parse("not (" + std::string(text) + ")", attributes);
    if (negated) LATCHKEY_CHECK(negated->Matches(get) == !matches);
  }
  return 0;
}
