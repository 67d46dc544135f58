// Who is calling: filled once per request by the authenticator and handed to every handler.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "store/records.h"

namespace latchkey::workspace {

enum class AuthKind { kPat, kEntra, kWorkspaceOAuth, kWebSession };
std::string_view AuthKindName(AuthKind kind);

struct AuthenticatedPrincipal {
  // Never null; shared read-only with the access cache (see PrincipalOf).
  std::shared_ptr<const store::Principal> principal;
  bool is_admin = false;  // member of the "admins" group
  AuthKind kind = AuthKind::kPat;
  // PAT: its token id (hex SHA-256 of the value). JWT: its jti claim, else a SHA-256 prefix of
  // the token. Web session: its public id (web_sessions.h). Never the token itself.
  std::string token_id;
};

// What the gate decided. On failure `auth` holds kUnauthenticated (no bearer: 401),
// kPermissionDenied (403), kResourceExhausted (throttled: 429 after retry_after) or
// kUnavailable (store down: 503).
struct GuardResult {
  Result<AuthenticatedPrincipal> auth;
  std::chrono::seconds retry_after{0};
};

struct CallContext {
  AuthenticatedPrincipal auth;
  std::string remote_address;

  const store::Principal& principal() const { return *auth.principal; }
  bool is_admin() const { return auth.is_admin; }
  // "principal:<id>", the audit actor.
  std::string Actor() const;
};

// The name shown for a principal: userName for users, applicationId for service principals.
const std::string& PrincipalName(const store::Principal& principal);

}  // namespace latchkey::workspace
