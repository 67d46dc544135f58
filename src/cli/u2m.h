// Databricks U2M for people (issue 24): `latchkey auth login --host H [--profile P]` runs the
// authorization-code flow with PKCE in the browser (a loopback listener takes the redirect),
// caches the tokens where and how the Databricks CLI does (~/.databricks/token-cache.json,
// {"version":1,"tokens":{"<host>":{access_token, token_type, refresh_token, expiry}}}, mode
// 0600), and writes the profile with auth_type = databricks-cli; such profiles authenticate with
// the cached token, refreshed (rotating the refresh token) when it is about to expire.
// `auth logout --host H` forgets the host's tokens.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "cli/token_source.h"

namespace latchkey::cli {

std::string U2mCachePath(const Environment& env);
// The cached access token of `host`, refreshed through its refresh token when it has less than
// a minute left.
CliResult<AccessToken> U2mAccessToken(Transport& transport, const Clock& clock,
                                      const Environment& env, const std::string& host);
void AddU2mCommands(CLI::App* auth_group, CommandRegistry& registry);

}  // namespace latchkey::cli
