// An INI document (~/.databrickscfg) kept line by line, so that changing one profile leaves
// every other byte alone: comments, blank lines, other profiles, key order and keys latchkey
// does not know. Not thread-safe; a plain value type.
//
// Reading rules, chosen to agree with the Databricks SDKs (Go: go-ini, JS: npm ini, Python:
// configparser) on files they all accept:
//   - `[name]` starts a section; keys before the first header belong to `DEFAULT`; a section
//     that appears twice is one section.
//   - `key = value` or `key: value` (split at the first `=` or `:`); keys match case-insensitively.
//   - Lines starting with `;` or `#` are comments; so is the rest of a value after ` ;` or ` #`.
//   - A value wrapped in matching double or single quotes loses the quotes.
//   - No inheritance: a section sees only its own keys, never `[DEFAULT]`'s (Go and JS SDKs,
//     the new Databricks CLI; configparser differs and would mix credentials).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace latchkey::cli {

class IniFile {
 public:
  static IniFile Parse(std::string_view text);

  std::string Serialize() const;

  bool HasSection(std::string_view section) const;
  std::vector<std::string> SectionNames() const;  // in order of first appearance
  // The section's own entries in file order; empty if the section does not exist.
  std::vector<std::pair<std::string, std::string>> Entries(std::string_view section) const;
  std::optional<std::string> Get(std::string_view section, std::string_view key) const;

  // Replaces the value of the first `key` line in `section` in place (dropping any further
  // duplicates), or adds `key = value` after the section's last entry, creating the section at
  // the end of the file if needed. `value` must not contain a line break.
  void Set(std::string_view section, std::string_view key, std::string_view value);
  // Removes every `key` line of `section`.
  void Remove(std::string_view section, std::string_view key);
  // Adds an empty `[section]` at the end if it does not exist.
  void AddSection(std::string_view section);

 private:
  enum class Kind { kOther, kSection, kEntry };
  struct Line {
    Kind kind = Kind::kOther;
    std::string raw;      // the line as read or written, without the newline
    std::string section;  // section this line belongs to (the header's own name for kSection)
    std::string key;      // kEntry only
    std::string value;    // kEntry only, unquoted and without inline comment
  };
  static Line ParseLine(std::string_view raw, const std::string& current_section);

  std::vector<Line> lines_;
  bool trailing_newline_ = true;
};

}  // namespace latchkey::cli
