// What one Entra-style issuer may authenticate (security review finding 11): the
// authenticator's issuer binding, answered by the composition root from latchkey's own tenants
// and [[trusted_issuers]].
#pragma once

#include <optional>
#include <string>

namespace latchkey::auth {

struct IssuerBinding {
  // latchkey's own tenant that issued the token: an app-only token then maps only to a service
  // principal whose application has a service principal in that tenant of latchkey's
  // directory. Unset: an external issuer, which never maps to an application registered in
  // latchkey's directory (those belong to latchkey's own tenants).
  std::optional<std::string> own_tenant;
  bool service_principals = true;
  bool users = true;
};

}  // namespace latchkey::auth
