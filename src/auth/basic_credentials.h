// The one parser of `Authorization: Basic <base64(client_id:client_secret)>` (RFC 6749
// §2.3.1: both parts form-urlencoded before the Basic encoding), for the token endpoints'
// client authentication (Entra: idp/client_auth.cc; workspace OAuth: workspace/oidc.cc).
// Each endpoint decides what a malformed header or a conflict with the form means in its
// own protocol.
#pragma once

#include <string>
#include <string_view>

#include "base/secret.h"

namespace latchkey::auth {

enum class BasicStatus {
  kAbsent,     // no header, or another scheme: the client authenticates some other way
  kMalformed,  // "Basic" with no valid base64, no colon, or a broken percent-escape
  kOk,
};

struct BasicCredentials {
  BasicStatus status = BasicStatus::kAbsent;
  std::string client_id;  // percent-decoded; set only for kOk
  Secret secret;          // percent-decoded; set only for kOk
};

// Leading blanks are ignored; the scheme is case-insensitive and followed by one space.
BasicCredentials ParseBasic(std::string_view authorization_header);

}  // namespace latchkey::auth
