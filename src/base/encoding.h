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
// escape, and when a decoded key or value is not valid UTF-8 or contains NUL: no client of
// these protocols sends either, and every caller answers nullopt with its protocol's 400, so
// such bytes never reach a lookup, a log line or a JSON response. Keys may repeat; order is
// kept.
using FormFields = std::vector<std::pair<std::string, std::string>>;
std::optional<FormFields> ParseForm(std::string_view body);

// True if `text` is valid UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing past
// U+10FFFF). NUL is valid UTF-8.
bool IsUtf8(std::string_view text);
// Length of the valid UTF-8 sequence starting at text[i] (1 for ASCII), or 0 when none starts
// there (the same rules as IsUtf8). `i` must be less than text.size().
size_t Utf8SequenceLength(std::string_view text, size_t i);

// Lowercase ASCII copy.
std::string AsciiLower(std::string_view s);
bool IEquals(std::string_view a, std::string_view b);

// True for a canonical lowercase-or-uppercase 8-4-4-4-12 hex GUID.
bool IsGuid(std::string_view s);

// `text` on one line: each run of CR, LF and tab becomes one space (none at the start or end),
// for multi-line messages from libraries (libpq's) shown on a line of their own.
std::string OneLine(std::string_view text);

// What follows "https://" or "http://" in `url` (compared exactly, as issuers and public URLs
// are); nullopt for any other scheme.
std::optional<std::string_view> AfterHttpScheme(std::string_view url);

// The first value of `name` in `form`, or nullptr.
const std::string* FindFormField(const FormFields& form, std::string_view name);
// The first value of `name` in `form`, or "" when it is absent.
std::string FormField(const FormFields& form, std::string_view name);

}  // namespace latchkey
