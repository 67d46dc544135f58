// Where the CLI's settings come from: environment variables and ~/.databrickscfg profiles,
// combined with the precedence of Databricks unified auth (spec §9.3) so that a profile works
// the same with latchkey and with the Databricks SDKs.
//
// The environment is passed in as a map; CurrentEnvironment() (config.cc) is the only code in the
// CLI that reads the process environment, so tests control every input.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/secret.h"
#include "cli/cli_error.h"

namespace latchkey::cli {

using Environment = std::map<std::string, std::string, std::less<>>;

// A copy of the process environment.
Environment CurrentEnvironment();

// The variable's value, or std::nullopt when unset or empty.
std::optional<std::string> EnvValue(const Environment& env, std::string_view name);

// DATABRICKS_CONFIG_FILE (a leading ~ expanded), else $HOME/.databrickscfg.
std::string ConfigFilePath(const Environment& env);
// LATCHKEY_CONFIG_DIR, else $HOME/.config/latchkey: the login session and token cache.
std::string StateDirectory(const Environment& env);

// `https://` is added to a bare host name; any path, query or trailing slash is dropped; the
// port is kept (the legacy CLI's bug was to drop it). Fails with kUsage for another scheme or
// an empty host.
CliResult<std::string> NormalizeHost(std::string_view host);

// The profile `configure` writes and readers look for: --profile, else
// DATABRICKS_CONFIG_PROFILE, else "DEFAULT".
std::string ProfileName(const Environment& env, const std::optional<std::string>& profile_flag);

// env-oidc / file-oidc: Databricks token federation, a workload's JWT (from the environment
// variable oidc_token_env names, default DATABRICKS_OIDC_TOKEN, or from oidc_token_filepath)
// exchanged at /oidc/v1/token (client_id, when set, selects a service principal's policy).
enum class AuthType { kPat, kOAuthM2m, kAzureClientSecret, kEnvOidc, kFileOidc,
                      kGithubOidc, kDatabricksCli };

// Settings for talking to a workspace. Every field may be empty.
struct WorkspaceConfig {
  std::string host;  // normalized
  std::string auth_type;
  Secret token;
  std::string client_id;
  Secret client_secret;
  std::string azure_tenant_id;
  std::string azure_client_id;
  Secret azure_client_secret;
  std::string azure_login_endpoint;  // Entra authority; LATCHKEY_AUTHORITY; default: the host
  std::string oidc_token_env;        // DATABRICKS_OIDC_TOKEN_ENV: the variable env-oidc reads
  std::string oidc_token_filepath;   // DATABRICKS_OIDC_TOKEN_FILEPATH: the file file-oidc reads
  Secret oidc_token;                 // the value of that variable, if set
  // github-oidc: the runner's token service (a job with `permissions: id-token: write`) and
  // the audience asked of it (DATABRICKS_TOKEN_AUDIENCE; default the workspace's token endpoint).
  std::string actions_token_url;     // ACTIONS_ID_TOKEN_REQUEST_URL
  Secret actions_token_request;      // ACTIONS_ID_TOKEN_REQUEST_TOKEN
  std::string token_audience;        // DATABRICKS_TOKEN_AUDIENCE
  // Trusted CA files, in addition to the system store: the profile's `ca_cert`, then
  // SSL_CERT_FILE, then REQUESTS_CA_BUNDLE.
  std::vector<std::string> ca_files;
  std::string profile;      // the profile that was read, "" when the file was not used
  std::string config_file;  // the file that was (or would have been) read
};

// Resolves settings in unified-auth order: environment variables first; then, unless no
// profile was named (--profile / DATABRICKS_CONFIG_PROFILE) while the environment already sets
// `host` or a credential, the profile (named, else [__settings__] default_profile, else DEFAULT)
// fills the fields still empty. Fails with kUsage when a named profile does not exist or the file
// cannot be read, or the host is malformed.
CliResult<WorkspaceConfig> LoadWorkspaceConfig(const Environment& env,
                                               const std::optional<std::string>& profile_flag);

// The auth type a config selects: `auth_type` when set (pat, oauth-m2m, azure-client-secret),
// else the first complete one of token, client_id + client_secret, azure_client_id +
// azure_client_secret + azure_tenant_id (the Go SDK's chain order). Fails with
// kAuthentication when no credential is configured, kUsage for an unsupported auth_type.
CliResult<AuthType> SelectAuthType(const WorkspaceConfig& config);

}  // namespace latchkey::cli
