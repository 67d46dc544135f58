// Fuzzes the CLI's ~/.databrickscfg reader and editor (cli/ini.h). Reading must round-trip
// the file byte for byte, and an edit (Set of a profile's host/token, as `latchkey configure`
// and `latchkey login` do) must read back as written while leaving every other profile's
// entries alone. Input: the file.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "cli/ini.h"

using latchkey::cli::IniFile;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  IniFile file = IniFile::Parse(text);

  // Lines are kept as read. One "\r" before each "\n" is dropped (a CRLF file is written
  // back with LF endings), so with carriage returns only the values are compared below.
  const IniFile reread = IniFile::Parse(file.Serialize());
  if (text.find('\r') == std::string_view::npos) {
    LATCHKEY_CHECK(file.Serialize() == text);
    LATCHKEY_CHECK(reread.Serialize() == file.Serialize());
  }

  const std::vector<std::string> sections = file.SectionNames();
  for (const std::string& section : sections) {
    LATCHKEY_CHECK(file.HasSection(section));
    for (const auto& [key, value] : file.Entries(section)) {
      LATCHKEY_CHECK(file.Get(section, key) == value);
      LATCHKEY_CHECK(reread.Get(section, key) == value);
    }
  }

  // Edit one profile the way `latchkey configure --profile X` does, then read it back.
  const std::string target = sections.empty() ? "DEFAULT" : sections[size % sections.size()];
  if (target.find_first_of("[]\r\n") != std::string::npos || target.empty() ||
      target != std::string(target.c_str())) {
    return 0;  // not a name a profile flag can produce
  }
  IniFile edited = file;
  edited.Set(target, "host", "https://127.0.0.1:8443");
  edited.Set(target, "token", "dapi0123456789abcdef0123456789abcdef");
  edited.Remove(target, "azure_client_secret");
  const IniFile after = IniFile::Parse(edited.Serialize());
  LATCHKEY_CHECK(after.Get(target, "host") == std::optional<std::string>("https://127.0.0.1:8443"));
  LATCHKEY_CHECK(after.Get(target, "token") ==
                 std::optional<std::string>("dapi0123456789abcdef0123456789abcdef"));
  LATCHKEY_CHECK(!after.Get(target, "azure_client_secret").has_value());
  for (const std::string& section : sections) {
    if (section == target) continue;
    LATCHKEY_CHECK(after.Entries(section) == file.Entries(section));
  }
  for (const auto& [key, value] : file.Entries(target)) {
    if (key == "host" || key == "token" || key == "azure_client_secret") continue;
    // Keys compare case-insensitively: "HOST" was replaced too.
    std::string lower;
    for (char c : key) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    if (lower == "host" || lower == "token" || lower == "azure_client_secret") continue;
    LATCHKEY_CHECK(after.Get(target, key) == value);
  }
  return 0;
}
