// Fuzzes application/x-www-form-urlencoded decoding (token endpoint bodies, query strings):
// ParseForm, PercentDecode, and the base64 decoders the same requests reach (Basic auth,
// JWT parts). Besides memory safety it checks the round trips the callers rely on.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/encoding.h"
#include "base/result.h"

using namespace latchkey;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  std::optional<FormFields> form = ParseForm(input);
  if (form) {
    // Re-encoding every field and parsing again gives the same fields back.
    std::string encoded;
    for (const auto& [key, value] : *form) {
      if (!encoded.empty()) encoded += '&';
      encoded += PercentEncode(key) + "=" + PercentEncode(value);
    }
    std::optional<FormFields> again = ParseForm(encoded);
    LATCHKEY_CHECK(again.has_value());
    for (size_t i = 0; i < form->size() && i < again->size(); ++i) {
      // An empty key and value ("=") encodes as "=" and comes back; "" pairs are skipped
      // by ParseForm, so compare only what both have.
      LATCHKEY_CHECK((*form)[i] == (*again)[i]);
    }
    LATCHKEY_CHECK(form->size() == again->size());
  }

  for (bool plus_is_space : {false, true}) {
    std::optional<std::string> decoded = PercentDecode(input, plus_is_space);
    if (decoded) LATCHKEY_CHECK(decoded->size() <= input.size());
  }
  std::optional<std::string> round = PercentDecode(PercentEncode(input), false);
  LATCHKEY_CHECK(round && *round == input);

  if (std::optional<std::string> b64 = Base64Decode(input)) {
    LATCHKEY_CHECK(Base64Encode(*b64) == input);  // strict: only the canonical form decodes
  }
  if (std::optional<std::string> b64url = Base64UrlDecode(input)) {
    LATCHKEY_CHECK(Base64UrlEncode(*b64url) == input);
  }
  LATCHKEY_CHECK(Base64Decode(Base64Encode(input)) == std::optional<std::string>(input));
  LATCHKEY_CHECK(Base64UrlDecode(Base64UrlEncode(input)) == std::optional<std::string>(input));
  if (std::optional<std::string> hex = HexDecode(input)) {
    LATCHKEY_CHECK(hex->size() * 2 == input.size());
  }
  (void)IsGuid(input);
  return 0;
}
