// JSON text written directly into a string, for hot paths where building an nlohmann::json
// costs more than the work itself: a token's claims as an nlohmann object took ~100
// allocations per issued token (bench/README.md). The output is byte for byte what
// nlohmann::json::dump() writes for the same members in the same order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace latchkey {

// Appends `text` as a JSON string literal, escaped as nlohmann::json::dump() escapes it:
// '"' and '\\', \b \f \n \r \t, other control characters as \u00xx, everything else (UTF-8
// included) as is. False if `text` is not valid UTF-8 (overlong forms, surrogates and code
// points past U+10FFFF included); `out` then ends with a partial literal.
bool AppendJsonString(std::string& out, std::string_view text);

// One JSON object, member by member, in the order written. Keys are not checked for
// duplicates: the caller writes each once (and in sorted order to match nlohmann's objects).
class JsonObjectWriter {
 public:
  explicit JsonObjectWriter(size_t reserve = 256);

  JsonObjectWriter& String(std::string_view key, std::string_view value);
  JsonObjectWriter& Int(std::string_view key, int64_t value);
  JsonObjectWriter& StringArray(std::string_view key, const std::vector<std::string>& values);

  // The object's text; nullopt if a key or value was not valid UTF-8.
  std::optional<std::string> Finish();

 private:
  void Key(std::string_view key);

  std::string out_;
  bool valid_ = true;
};

}  // namespace latchkey
