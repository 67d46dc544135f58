#include "base/json_writer.h"

#include <charconv>

#include "base/encoding.h"

namespace latchkey {

bool AppendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  // Runs that need no escaping are appended whole.
  size_t run = 0;
  size_t i = 0;
  while (i < text.size()) {
    const auto u = static_cast<unsigned char>(text[i]);
    if (u >= 0x20 && u != '"' && u != '\\') {
      if (u < 0x80) {
        ++i;
        continue;
      }
      const size_t len = Utf8SequenceLength(text, i);
      if (len == 0) return false;
      i += len;
      continue;
    }
    out.append(text.data() + run, i - run);
    run = ++i;
    char escaped[6] = {'\\', static_cast<char>(u)};
    size_t n = 2;
    switch (u) {
      case '"': case '\\': break;
      case '\b': escaped[1] = 'b'; break;
      case '\f': escaped[1] = 'f'; break;
      case '\n': escaped[1] = 'n'; break;
      case '\r': escaped[1] = 'r'; break;
      case '\t': escaped[1] = 't'; break;
      default:
        escaped[1] = 'u';
        escaped[2] = '0';
        escaped[3] = '0';
        escaped[4] = kHex[u >> 4];
        escaped[5] = kHex[u & 0xf];
        n = 6;
    }
    out.append(escaped, n);
  }
  out.append(text.data() + run, text.size() - run);
  out.push_back('"');
  return true;
}

JsonObjectWriter::JsonObjectWriter(size_t reserve) {
  out_.reserve(reserve);
  out_.push_back('{');
}

void JsonObjectWriter::Key(std::string_view key) {
  if (out_.size() > 1) out_.push_back(',');
  valid_ = AppendJsonString(out_, key) && valid_;
  out_.push_back(':');
}

JsonObjectWriter& JsonObjectWriter::String(std::string_view key, std::string_view value) {
  Key(key);
  valid_ = AppendJsonString(out_, value) && valid_;
  return *this;
}

JsonObjectWriter& JsonObjectWriter::Int(std::string_view key, int64_t value) {
  Key(key);
  char digits[24];
  const std::to_chars_result r = std::to_chars(digits, digits + sizeof digits, value);
  out_.append(digits, r.ptr);
  return *this;
}

JsonObjectWriter& JsonObjectWriter::StringArray(std::string_view key,
                                                const std::vector<std::string>& values) {
  Key(key);
  out_.push_back('[');
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out_.push_back(',');
    valid_ = AppendJsonString(out_, values[i]) && valid_;
  }
  out_.push_back(']');
  return *this;
}

std::optional<std::string> JsonObjectWriter::Finish() {
  if (!valid_) return std::nullopt;
  out_.push_back('}');
  return std::move(out_);
}

}  // namespace latchkey
