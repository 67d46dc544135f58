// The identity saved by `latchkey login --service-principal` (like az's
// service_principal_entries.json): authority, tenant, client id and client secret, in a 0600
// JSON file under StateDirectory(). `account get-access-token` and `apps` use it.
#pragma once

#include <optional>
#include <string>

#include "base/secret.h"
#include "cli/cli_error.h"

namespace latchkey::cli {

struct LoginSession {
  std::string authority;  // e.g. https://127.0.0.1:8443
  std::string tenant;
  std::string client_id;
  Secret client_secret;
};

std::string LoginSessionPath(const std::string& state_dir);
std::string TokenCachePath(const std::string& state_dir);

// The saved session; kAuthentication "not logged in" when there is none.
CliResult<LoginSession> LoadLoginSession(const std::string& state_dir);
CliStatus SaveLoginSession(const std::string& state_dir, const LoginSession& session);

}  // namespace latchkey::cli
