#include "cli/config.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "base/encoding.h"
#include "base/result_macros.h"
#include "cli/file_io.h"
#include "cli/ini.h"

extern char** environ;  // NOLINT: the one place the CLI reads the process environment

namespace latchkey::cli {
namespace {

// One row per attribute: profile key, environment variable, whether it is a credential (a
// credential or host in the environment makes the SDKs skip the file when no profile is named).
struct Attribute {
  std::string_view key;
  std::string_view env;
  bool auth;
};
constexpr Attribute kAttributes[] = {
    {"host", "DATABRICKS_HOST", false},
    {"token", "DATABRICKS_TOKEN", true},
    {"client_id", "DATABRICKS_CLIENT_ID", true},
    {"client_secret", "DATABRICKS_CLIENT_SECRET", true},
    {"azure_tenant_id", "ARM_TENANT_ID", true},
    {"azure_client_id", "ARM_CLIENT_ID", true},
    {"azure_client_secret", "ARM_CLIENT_SECRET", true},
    {"auth_type", "DATABRICKS_AUTH_TYPE", false},
    // Databricks token federation (env-oidc, file-oidc): where the workload's JWT is.
    {"oidc_token_env", "DATABRICKS_OIDC_TOKEN_ENV", false},
    {"oidc_token_filepath", "DATABRICKS_OIDC_TOKEN_FILEPATH", true},
    {"token_audience", "DATABRICKS_TOKEN_AUDIENCE", false},
    {"azure_login_endpoint", "LATCHKEY_AUTHORITY", false},
    {"ca_cert", "", false},
};

std::string ExpandHome(const Environment& env, std::string path) {
  if (path == "~" || path.starts_with("~/")) {
    path = EnvValue(env, "HOME").value_or("") + path.substr(1);
  }
  return path;
}

}  // namespace

Environment CurrentEnvironment() {
  Environment env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    const size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return env;
}

std::optional<std::string> EnvValue(const Environment& env, std::string_view name) {
  auto it = env.find(name);
  if (it == env.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

std::string ConfigFilePath(const Environment& env) {
  if (auto file = EnvValue(env, "DATABRICKS_CONFIG_FILE")) return ExpandHome(env, *file);
  return EnvValue(env, "HOME").value_or(".") + "/.databrickscfg";
}

std::string StateDirectory(const Environment& env) {
  if (auto dir = EnvValue(env, "LATCHKEY_CONFIG_DIR")) return ExpandHome(env, *dir);
  return EnvValue(env, "HOME").value_or(".") + "/.config/latchkey";
}

CliResult<std::string> NormalizeHost(std::string_view host) {
  while (!host.empty() && (host.front() == ' ' || host.front() == '\t')) host.remove_prefix(1);
  while (!host.empty() && (host.back() == ' ' || host.back() == '\t')) host.remove_suffix(1);
  std::string url(host);
  if (url.find("://") == std::string::npos) url = "https://" + url;
  const size_t scheme_end = url.find("://");
  const std::string scheme = AsciiLower(url.substr(0, scheme_end));
  if (scheme != "https" && scheme != "http") {
    return Fail(ExitCode::kUsage, "host must start with https:// (got " + std::string(host) + ")");
  }
  const size_t authority_start = scheme_end + 3;
  const size_t authority_end = url.find_first_of("/?#", authority_start);
  const std::string authority = url.substr(authority_start, authority_end - authority_start);
  if (authority.empty() || authority.find_first_of(" @") != std::string::npos) {
    return Fail(ExitCode::kUsage, "invalid host '" + std::string(host) + "'");
  }
  return scheme + "://" + authority;
}

std::string ProfileName(const Environment& env, const std::optional<std::string>& profile_flag) {
  if (profile_flag && !profile_flag->empty()) return *profile_flag;
  return EnvValue(env, "DATABRICKS_CONFIG_PROFILE").value_or("DEFAULT");
}

namespace {

using Values = std::map<std::string, std::string, std::less<>>;

// The attributes set in the environment; true when one of them is a credential or the host.
bool ReadEnvironment(const Environment& env, Values& values) {
  bool env_configures = false;
  for (const Attribute& a : kAttributes) {
    if (a.env.empty()) continue;
    if (auto v = EnvValue(env, a.env)) {
      values[std::string(a.key)] = *v;
      if (a.auth || a.key == "host") env_configures = true;
    }
  }
  return env_configures;
}

// The profile's attributes from the config file, where the environment set none. `named` is
// the profile asked for (a missing one is an error); else the file's default profile, if any.
CliStatus ReadProfile(const std::optional<std::string>& named, WorkspaceConfig& config,
                      Values& values) {
  ASSIGN_OR_RETURN(std::optional<std::string> text, ReadFileIfExists(config.config_file));
  if (!text && named) {
    return Fail(ExitCode::kUsage,
                "profile " + *named + " not found: " + config.config_file + " does not exist");
  }
  if (!text) return {};
  const IniFile ini = IniFile::Parse(*text);
  std::string profile =
      named.value_or(ini.Get("__settings__", "default_profile").value_or("DEFAULT"));
  if (!ini.HasSection(profile)) {
    if (named) {
      return Fail(ExitCode::kUsage, "profile " + profile + " not found in " + config.config_file);
    }
    return {};
  }
  config.profile = profile;
  for (const auto& [key, value] : ini.Entries(profile)) {
    auto known = std::ranges::find_if(kAttributes,
                                      [&](const Attribute& a) { return IEquals(a.key, key); });
    if (known != std::end(kAttributes) && !value.empty()) {
      values.try_emplace(std::string(known->key), value);  // the environment wins
    }
  }
  return {};
}

}  // namespace

CliResult<WorkspaceConfig> LoadWorkspaceConfig(const Environment& env,
                                               const std::optional<std::string>& profile_flag) {
  Values values;
  const bool env_configures = ReadEnvironment(env, values);
  WorkspaceConfig config;
  config.config_file = ConfigFilePath(env);
  std::optional<std::string> named = profile_flag;
  if (!named || named->empty()) named = EnvValue(env, "DATABRICKS_CONFIG_PROFILE");
  if (named || !env_configures) RETURN_IF_ERROR(ReadProfile(named, config, values));

  auto take = [&](std::string_view key) {
    auto it = values.find(key);
    return it == values.end() ? std::string() : it->second;
  };
  if (const std::string host = take("host"); !host.empty()) {
    ASSIGN_OR_RETURN(config.host, NormalizeHost(host));
  }
  config.auth_type = take("auth_type");
  config.token = Secret(take("token"));
  config.client_id = take("client_id");
  config.client_secret = Secret(take("client_secret"));
  config.azure_tenant_id = take("azure_tenant_id");
  config.azure_client_id = take("azure_client_id");
  config.azure_client_secret = Secret(take("azure_client_secret"));
  config.azure_login_endpoint = take("azure_login_endpoint");
  config.oidc_token_env = take("oidc_token_env");
  config.oidc_token_filepath = ExpandHome(env, take("oidc_token_filepath"));
  {
    // env-oidc reads the variable oidc_token_env names (default DATABRICKS_OIDC_TOKEN).
    const std::string var = config.oidc_token_env.empty() ? "DATABRICKS_OIDC_TOKEN" : config.oidc_token_env;
    config.oidc_token = Secret(EnvValue(env, var).value_or(""));
  }
  config.token_audience = take("token_audience");
  // github-oidc: what a GitHub Actions runner gives a job allowed to ask for an ID token.
  config.actions_token_url = EnvValue(env, "ACTIONS_ID_TOKEN_REQUEST_URL").value_or("");
  config.actions_token_request = Secret(EnvValue(env, "ACTIONS_ID_TOKEN_REQUEST_TOKEN").value_or(""));
  for (const std::string& file : {ExpandHome(env, take("ca_cert")),
                                  EnvValue(env, "SSL_CERT_FILE").value_or(""),
                                  EnvValue(env, "REQUESTS_CA_BUNDLE").value_or("")}) {
    if (!file.empty() && std::ranges::find(config.ca_files, file) == config.ca_files.end()) {
      config.ca_files.push_back(file);
    }
  }
  return config;
}

CliResult<AuthType> SelectAuthType(const WorkspaceConfig& c) {
  if (!c.auth_type.empty()) {
    if (c.auth_type == "pat") return AuthType::kPat;
    if (c.auth_type == "oauth-m2m") return AuthType::kOAuthM2m;
    if (c.auth_type == "azure-client-secret") return AuthType::kAzureClientSecret;
    if (c.auth_type == "env-oidc") return AuthType::kEnvOidc;
    if (c.auth_type == "file-oidc") return AuthType::kFileOidc;
    if (c.auth_type == "github-oidc") return AuthType::kGithubOidc;
    if (c.auth_type == "databricks-cli") return AuthType::kDatabricksCli;  // auth login (u2m.h)
    return Fail(ExitCode::kUsage, "auth_type " + c.auth_type +
                                      " is not supported by latchkey (use pat, oauth-m2m, "
                                      "azure-client-secret, env-oidc, file-oidc, "
                                      "github-oidc or databricks-cli)");
  }
  if (!c.token.empty()) return AuthType::kPat;
  if (!c.client_id.empty() && !c.client_secret.empty()) return AuthType::kOAuthM2m;
  if (!c.azure_client_id.empty() && !c.azure_client_secret.empty() &&
      !c.azure_tenant_id.empty()) {
    return AuthType::kAzureClientSecret;
  }
  if (!c.oidc_token_filepath.empty()) return AuthType::kFileOidc;
  if (!c.oidc_token.empty()) return AuthType::kEnvOidc;
  if (!c.client_id.empty() && !c.actions_token_url.empty() && !c.actions_token_request.empty()) {
    return AuthType::kGithubOidc;
  }
  std::string where = c.profile.empty() ? "the environment" : "profile " + c.profile;
  return Fail(ExitCode::kAuthentication,
              "no credentials in " + where +
                  ": run `latchkey configure --token` (or --aad-token), or set DATABRICKS_TOKEN");
}

}  // namespace latchkey::cli
