// Pure byte/text encodings: hex, base64, base64url (RFC 4648 §5, no padding), percent-encoding
// for application/x-www-form-urlencoded. Standard library only.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace latchkey {

std::string HexEncode(std::string_view bytes);
std::optional<std::string> HexDecode(std::string_view hex);

std::string Base64Encode(std::string_view bytes);
std::optional<std::string> Base64Decode(std::string_view text);  // strict, padding required

std::string Base64UrlEncode(std::string_view bytes);
// Strict: rejects padding, whitespace and non-alphabet characters, and non-canonical tails.
std::optional<std::string> Base64UrlDecode(std::string_view text);

// Decodes %XX and, when `plus_is_space`, '+' as ' '. Returns nullopt on a malformed escape.
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space);
std::string PercentEncode(std::string_view text);  // encodes all but A-Z a-z 0-9 - . _ ~

// Parses application/x-www-form-urlencoded (or a query string). Returns nullopt on a malformed
// escape. Keys may repeat; order is kept.
using FormFields = std::vector<std::pair<std::string, std::string>>;
std::optional<FormFields> ParseForm(std::string_view body);

// Lowercase ASCII copy.
std::string AsciiLower(std::string_view s);
bool IEquals(std::string_view a, std::string_view b);

// True for a canonical lowercase-or-uppercase 8-4-4-4-12 hex GUID.
bool IsGuid(std::string_view s);

}  // namespace latchkey
