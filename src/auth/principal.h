// Who a bearer token stands for, as every authenticated surface sees it (the workspace API,
// forward-auth, introspection): filled by auth::Authenticator, handed to handlers.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/records.h"

namespace latchkey::auth {

enum class AuthKind { kPat, kEntra, kWorkspaceOAuth, kWebSession };
std::string_view AuthKindName(AuthKind kind);

// A principal with what authentication and authorization ask of it, shared read-only with the
// cache that holds it (workspace/access.h).
struct PrincipalAccess {
  store::Principal principal;
  std::vector<int64_t> group_ids;  // direct memberships
  bool is_admin = false;
  bool can_use_tokens = false;
};

struct AuthenticatedPrincipal {
  // Never null; shared read-only with the access cache (see PrincipalOf).
  std::shared_ptr<const store::Principal> principal;
  bool is_admin = false;  // member of the "admins" group
  AuthKind kind = AuthKind::kPat;
  // PAT: its token id (hex SHA-256 of the value). JWT: its jti claim, else a SHA-256 prefix of
  // the token. Never the token itself.
  std::string token_id;
};

// Where the authenticator reads principals and the PAT switch: the workspace's principal and
// permission cache implements it (workspace/access.h), so auth/ depends on no workspace code.
class PrincipalSource {
 public:
  virtual ~PrincipalSource() = default;
  // kNotFound when the principal does not exist; kUnavailable when the store is down.
  virtual Result<std::shared_ptr<const PrincipalAccess>> Get(int64_t principal_id) = 0;
  // Whether PATs are accepted (workspace-conf enableTokensConfig).
  virtual Result<bool> PatsEnabled() = 0;
};

}  // namespace latchkey::auth
