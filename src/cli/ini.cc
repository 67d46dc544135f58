#include "cli/ini.h"

#include <algorithm>

#include "base/encoding.h"
#include "base/result.h"

namespace latchkey::cli {
namespace {

constexpr std::string_view kDefaultSection = "DEFAULT";

std::string_view Trim(std::string_view s) {
  const auto not_space = [](char c) { return c != ' ' && c != '\t' && c != '\r'; };
  while (!s.empty() && !not_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && !not_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string CleanValue(std::string_view value) {
  // go-ini and npm ini treat ` ;` / ` #` as the start of an inline comment.
  for (size_t i = 1; i < value.size(); ++i) {
    if ((value[i] == ';' || value[i] == '#') && (value[i - 1] == ' ' || value[i - 1] == '\t')) {
      value = value.substr(0, i);
      break;
    }
  }
  value = Trim(value);
  if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
      value.back() == value.front()) {
    value = value.substr(1, value.size() - 2);
  }
  return std::string(value);
}

}  // namespace

IniFile::Line IniFile::ParseLine(std::string_view raw, const std::string& current_section) {
  Line line{Kind::kOther, std::string(raw), current_section, "", ""};
  const std::string_view text = Trim(raw);
  if (text.empty() || text.front() == ';' || text.front() == '#') return line;
  if (text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return line;
    line.kind = Kind::kSection;
    line.section = std::string(Trim(text.substr(1, close - 1)));
    return line;
  }
  if (raw.front() == ' ' || raw.front() == '\t') return line;  // continuation: not supported
  const size_t sep = text.find_first_of("=:");
  if (sep == std::string_view::npos || sep == 0) return line;
  line.kind = Kind::kEntry;
  line.key = std::string(Trim(text.substr(0, sep)));
  line.value = CleanValue(text.substr(sep + 1));
  return line;
}

IniFile IniFile::Parse(std::string_view text) {
  IniFile file;
  std::string section(kDefaultSection);
  file.trailing_newline_ = text.empty() || text.back() == '\n';
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view raw = text.substr(start, end - start);
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    Line line = ParseLine(raw, section);
    if (line.kind == Kind::kSection) section = line.section;
    file.lines_.push_back(std::move(line));
    start = end + 1;
  }
  return file;
}

std::string IniFile::Serialize() const {
  std::string out;
  for (size_t i = 0; i < lines_.size(); ++i) {
    out += lines_[i].raw;
    if (i + 1 < lines_.size() || trailing_newline_) out += '\n';
  }
  return out;
}

bool IniFile::HasSection(std::string_view section) const {
  return std::ranges::any_of(lines_, [&](const Line& l) {
    return (l.kind == Kind::kSection || l.kind == Kind::kEntry) && l.section == section;
  });
}

std::vector<std::string> IniFile::SectionNames() const {
  std::vector<std::string> names;
  for (const Line& l : lines_) {
    if (l.kind == Kind::kOther) continue;
    if (std::ranges::find(names, l.section) == names.end()) names.push_back(l.section);
  }
  return names;
}

std::vector<std::pair<std::string, std::string>> IniFile::Entries(std::string_view section) const {
  std::vector<std::pair<std::string, std::string>> entries;
  for (const Line& l : lines_) {
    if (l.kind != Kind::kEntry || l.section != section) continue;
    auto same_key = [&](const auto& e) { return IEquals(e.first, l.key); };
    if (auto it = std::ranges::find_if(entries, same_key); it != entries.end()) {
      it->second = l.value;  // a repeated key: the last one wins, as in go-ini and npm ini
    } else {
      entries.emplace_back(l.key, l.value);
    }
  }
  return entries;
}

std::optional<std::string> IniFile::Get(std::string_view section, std::string_view key) const {
  for (const auto& [k, v] : Entries(section)) {
    if (IEquals(k, key)) return v;
  }
  return std::nullopt;
}

void IniFile::Set(std::string_view section, std::string_view key, std::string_view value) {
  LATCHKEY_CHECK(value.find_first_of("\r\n") == std::string_view::npos);
  std::string raw = std::string(key) + " = " + std::string(value);
  Line entry{Kind::kEntry, raw, std::string(section), std::string(key), std::string(value)};

  auto matches = [&](const Line& l) {
    return l.kind == Kind::kEntry && l.section == section && IEquals(l.key, key);
  };
  if (auto it = std::ranges::find_if(lines_, matches); it != lines_.end()) {
    *it = entry;
    // Drop later duplicates so that readers with either "first wins" or "last wins" agree.
    auto next = std::next(it);
    lines_.erase(std::remove_if(next, lines_.end(), matches), lines_.end());
    return;
  }
  // Insert after the last entry or header of the section.
  std::optional<size_t> last;
  for (size_t i = 0; i < lines_.size(); ++i) {
    if (lines_[i].kind != Kind::kOther && lines_[i].section == section) last = i;
  }
  if (!last && section == kDefaultSection && !lines_.empty()) {
    // Keys above the first header are DEFAULT's; a file without them gets an explicit header.
    const bool has_header = std::ranges::any_of(lines_, [](const Line& l) {
      return l.kind == Kind::kSection;
    });
    if (!has_header) last = lines_.size() - 1;
  }
  if (!last) {
    AddSection(section);
    last = lines_.size() - 1;
  }
  lines_.insert(lines_.begin() + static_cast<std::ptrdiff_t>(*last) + 1, std::move(entry));
}

void IniFile::Remove(std::string_view section, std::string_view key) {
  std::erase_if(lines_, [&](const Line& l) {
    return l.kind == Kind::kEntry && l.section == section && IEquals(l.key, key);
  });
}

void IniFile::AddSection(std::string_view section) {
  if (HasSection(section)) return;
  if (!lines_.empty() && !Trim(lines_.back().raw).empty()) {
    lines_.push_back(Line{Kind::kOther, "", lines_.back().section, "", ""});
  }
  std::string name(section);
  lines_.push_back(Line{Kind::kSection, "[" + name + "]", name, "", ""});
  trailing_newline_ = true;
}

}  // namespace latchkey::cli
