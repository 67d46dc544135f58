// Who is calling: filled once per request by the authenticator and handed to every handler.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "auth/principal.h"
#include "base/result.h"
#include "store/records.h"

namespace latchkey::workspace {

struct CallContext {
  auth::AuthenticatedPrincipal auth;
  std::string remote_address;

  const store::Principal& principal() const { return *auth.principal; }
  bool is_admin() const { return auth.is_admin; }
  // "principal:<id>", the audit actor.
  std::string Actor() const;
};

// The name shown for a principal: userName for users, applicationId for service principals.
const std::string& PrincipalName(const store::Principal& principal);

}  // namespace latchkey::workspace
