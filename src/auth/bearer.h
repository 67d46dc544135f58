// The one parser of `Authorization: Bearer <token>` (RFC 6750 §2.1) for every bearer-
// authenticated surface: the workspace API, Graph, forward-auth and introspection.
#pragma once

#include <string_view>

namespace latchkey::auth {

enum class BearerStatus {
  kOk,
  kMissing,    // no header, or only blanks
  kNotBearer,  // another scheme (Basic, Negotiate, ...) or no token after the scheme
  kEmpty,      // "Bearer" followed by blanks only
};

struct Bearer {
  BearerStatus status = BearerStatus::kMissing;
  std::string_view token;  // a view into the header; set only for kOk
};

// The scheme is case-insensitive; blanks around the token are ignored.
Bearer ParseBearer(std::string_view authorization_header);

}  // namespace latchkey::auth
