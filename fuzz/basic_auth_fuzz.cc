// Fuzzes client authentication input at the token endpoint: the Authorization header (HTTP
// Basic, RFC 6749 §2.3.1) together with the form body (client_id, client_secret,
// client_assertion). Input: "<Authorization header value>\n<form body>".
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "base/encoding.h"
#include "base/result.h"
#include "idp/client_auth.h"

using namespace latchkey;
using namespace latchkey::idp;

namespace {

const std::string* Field(const FormFields& form, std::string_view name) {
  for (const auto& [k, v] : form)
    if (k == name) return &v;
  return nullptr;
}

constexpr std::string_view kCanary = "CANARY-not-a-real-secret";

// The same request with every credential value replaced by kCanary: an error description
// that changes with it, or shows it, depends on a secret.
std::optional<std::pair<FormFields, std::string>> WithCanary(const FormFields& form,
                                                             std::string_view header) {
  FormFields canary_form = form;
  for (auto& [key, value] : canary_form) {
    if (key == "client_secret" || key == "client_assertion") value = kCanary;
  }
  std::string canary_header(header);
  if (header.size() > 6 && IEquals(header.substr(0, 6), "Basic ")) {
    std::optional<std::string> decoded = Base64Decode(header.substr(6));
    if (!decoded || decoded->find(':') == std::string::npos) return std::nullopt;
    if (!PercentDecode(decoded->substr(decoded->find(':') + 1), true)) return std::nullopt;
    canary_header = std::string(header.substr(0, 6)) +
                    Base64Encode(decoded->substr(0, decoded->find(':') + 1) +
                                 std::string(kCanary));
  }
  return std::pair{std::move(canary_form), std::move(canary_header)};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  const std::string_view header = input.substr(0, newline);
  const std::string_view body =
      newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);
  std::optional<FormFields> form = ParseForm(body);
  if (!form) return 0;  // the endpoint answers 400 before looking at credentials

  auto creds = ExtractClientCredentials(*form, header);
  const std::string* secret = Field(*form, "client_secret");
  const std::string* assertion = Field(*form, "client_assertion");
  const bool basic = header.size() > 6 && IEquals(header.substr(0, 6), "Basic ");
  if (!creds) {
    const EntraError& e = creds.error();
    LATCHKEY_CHECK(e.status >= 400 && e.status < 500);
    LATCHKEY_CHECK(!e.error.empty());
    // Error descriptions are sent to the client and logged: they must not depend on a
    // credential's value.
    if (auto canary = WithCanary(*form, header)) {
      auto again = ExtractClientCredentials(canary->first, canary->second);
      LATCHKEY_CHECK(!again.has_value());
      LATCHKEY_CHECK(again.error().description == e.description);
      LATCHKEY_CHECK(again.error().description.find(kCanary) == std::string::npos);
    }
    return 0;
  }
  // Exactly one credential, and never two at once.
  LATCHKEY_CHECK(!(secret && assertion));
  if (basic) {
    LATCHKEY_CHECK(secret == nullptr && assertion == nullptr);
    LATCHKEY_CHECK(creds->kind == ClientCredentialKind::kSecret);
    const std::string* id = Field(*form, "client_id");
    if (id) LATCHKEY_CHECK(*id == creds->client_id);
  } else if (secret) {
    LATCHKEY_CHECK(creds->kind == ClientCredentialKind::kSecret);
    LATCHKEY_CHECK(creds->secret.reveal() == *secret);
  } else if (assertion) {
    LATCHKEY_CHECK(creds->kind == ClientCredentialKind::kAssertion);
    LATCHKEY_CHECK(creds->secret.reveal() == *assertion);
    const std::string* type = Field(*form, "client_assertion_type");
    LATCHKEY_CHECK(type && *type == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
  } else {
    LATCHKEY_CHECK(creds->kind == ClientCredentialKind::kNone);
    LATCHKEY_CHECK(creds->secret.empty());
  }
  return 0;
}
