// `latchkey auth` and `latchkey version`, as the Databricks CLI prints them, so that the
// Databricks SDKs' `databricks-cli` auth type works with latchkey as its CLI (the SDK runs
// `databricks auth token --host H` and reads access_token and expiry from its JSON): link the
// binary under the name `databricks` (the build tree has build/src/cli/databricks).
//   auth token [HOST] [--host H]   {"access_token","token_type","expiry"} for the profile of H
//   auth env [--host H]            {"env":{DATABRICKS_HOST, DATABRICKS_AUTH_TYPE, ...}}
//   auth profiles                  {"profiles":[{"name","host","cloud","auth_type","valid"}]}
//   auth describe                  who the configured credentials authenticate as, and how
#include <chrono>
#include <ctime>

#include <CLI/CLI.hpp>

#include "base/clock.h"
#include "base/result_macros.h"
#include "cli/command.h"
#include "cli/file_io.h"
#include "cli/ini.h"
#include "cli/u2m.h"

namespace latchkey::cli {
namespace {

struct HostOptions {
  std::string positional_host;
  std::string host;
  std::string account_id;  // accepted for the SDKs' account clients; latchkey has one workspace
};

std::string AuthTypeName(AuthType type) {
  switch (type) {
    case AuthType::kPat: return "pat";
    case AuthType::kOAuthM2m: return "oauth-m2m";
    case AuthType::kAzureClientSecret: return "azure-client-secret";
    case AuthType::kEnvOidc: return "env-oidc";
    case AuthType::kFileOidc: return "file-oidc";
    case AuthType::kGithubOidc: return "github-oidc";
    case AuthType::kDatabricksCli: return "databricks-cli";
  }
  return "unknown";
}

CliResult<IniFile> ReadConfigFile(const CommandContext& ctx) {
  CliResult<std::optional<std::string>> text = ReadFileIfExists(ConfigFilePath(ctx.env()));
  if (!text) return std::unexpected(text.error());
  return IniFile::Parse(text->value_or(""));
}

// With --host (or a host argument) and no --profile, the profile of the config file whose host
// is that one, as the Databricks CLI picks it; failing that, the environment's settings if they
// name that host.
CliStatus SelectHost(CommandContext& ctx, const HostOptions& o) {
  const std::string& wanted = o.host.empty() ? o.positional_host : o.host;
  if (wanted.empty() || ctx.profile_flag()) return {};
  CliResult<std::string> normalized = NormalizeHost(wanted);
  if (!normalized) return std::unexpected(normalized.error());
  CliResult<IniFile> ini = ReadConfigFile(ctx);
  if (!ini) return std::unexpected(ini.error());
  for (const std::string& section : ini->SectionNames()) {
    std::optional<std::string> host = ini->Get(section, "host");
    if (!host) continue;
    CliResult<std::string> candidate = NormalizeHost(*host);
    if (candidate && *candidate == *normalized) {
      ctx.UseProfile(section);
      return {};
    }
  }
  CliResult<const WorkspaceConfig*> config = ctx.Config();
  if (config && (*config)->host == *normalized) return {};
  return Fail(ExitCode::kUsage, "no profile in " + ConfigFilePath(ctx.env()) + " has host " +
                                    *normalized + ": run `latchkey configure --host " +
                                    *normalized + " ...` first");
}

void AddHostOptions(CLI::App* cmd, HostOptions& o) {
  cmd->add_option("HOST", o.positional_host, "Workspace URL (as --host)");
  cmd->add_option("--host", o.host, "Workspace URL whose profile to use");
  cmd->add_option("--account-id", o.account_id, "Accepted for compatibility; ignored");
}

CliStatus Token(CommandContext& ctx, const HostOptions& o) {
  if (CliStatus selected = SelectHost(ctx, o); !selected) return selected;
  CliResult<AccessToken> token = ctx.WorkspaceAccessToken();
  if (!token) return std::unexpected(token.error());
  Json out = Json::object();
  out["access_token"] = token->value.reveal();
  out["token_type"] = "Bearer";
  out["expiry"] = Rfc3339Utc(token->expires_at);
  return ctx.Print(out);
}

// The configuration of the host --host (or the argument) selects.
CliResult<const WorkspaceConfig*> SelectedConfig(CommandContext& ctx, const HostOptions& o) {
  RETURN_IF_ERROR(SelectHost(ctx, o));
  return ctx.Config();
}

CliStatus Env(CommandContext& ctx, const HostOptions& o) {
  ASSIGN_OR_RETURN(const WorkspaceConfig* loaded, SelectedConfig(ctx, o));
  const WorkspaceConfig& c = *loaded;
  CliResult<AuthType> type = SelectAuthType(c);
  if (!type) return std::unexpected(type.error());
  Json env = Json::object();
  env["DATABRICKS_AUTH_TYPE"] = AuthTypeName(*type);
  if (!c.profile.empty()) env["DATABRICKS_CONFIG_PROFILE"] = c.profile;
  env["DATABRICKS_HOST"] = c.host;
  switch (*type) {
    case AuthType::kPat: env["DATABRICKS_TOKEN"] = c.token.reveal(); break;
    case AuthType::kOAuthM2m:
      env["DATABRICKS_CLIENT_ID"] = c.client_id;
      env["DATABRICKS_CLIENT_SECRET"] = c.client_secret.reveal();
      break;
    case AuthType::kAzureClientSecret:
      env["ARM_CLIENT_ID"] = c.azure_client_id;
      env["ARM_CLIENT_SECRET"] = c.azure_client_secret.reveal();
      env["ARM_TENANT_ID"] = c.azure_tenant_id;
      break;
    case AuthType::kEnvOidc:
    case AuthType::kFileOidc:
      // Where the workload's token is, never the token itself.
      if (!c.client_id.empty()) env["DATABRICKS_CLIENT_ID"] = c.client_id;
      if (!c.oidc_token_env.empty()) env["DATABRICKS_OIDC_TOKEN_ENV"] = c.oidc_token_env;
      if (!c.oidc_token_filepath.empty()) {
        env["DATABRICKS_OIDC_TOKEN_FILEPATH"] = c.oidc_token_filepath;
      }
      break;
    case AuthType::kGithubOidc:
      // The runner's own variables stay where they are; never the request token.
      if (!c.client_id.empty()) env["DATABRICKS_CLIENT_ID"] = c.client_id;
      if (!c.token_audience.empty()) env["DATABRICKS_TOKEN_AUDIENCE"] = c.token_audience;
      break;
    case AuthType::kDatabricksCli:
      break;  // the token cache holds the credentials
  }
  return ctx.Print(Json{{"env", env}});
}

// The principal the context's credentials authenticate as (SCIM /Me), or the error.
CliResult<Json> Me(CommandContext& ctx) {
  CliResult<ApiClient*> api = ctx.Workspace();
  if (!api) return std::unexpected(api.error());
  return (*api)->Get("/api/2.0/preview/scim/v2/Me");
}

CliStatus Profiles(CommandContext& ctx, bool skip_validate) {
  CliResult<IniFile> ini = ReadConfigFile(ctx);
  if (!ini) return std::unexpected(ini.error());
  Json profiles = Json::array();
  for (const std::string& name : ini->SectionNames()) {
    if (name == "__settings__") continue;
    GlobalOptions options = ctx.options();
    options.profile = name;
    options.debug = false;
    CommandContext one(ctx.deps(), options);
    Json entry = Json::object();
    entry["name"] = name;
    entry["host"] = ini->Get(name, "host").value_or("");
    entry["cloud"] = "azure";
    CliResult<const WorkspaceConfig*> config = one.Config();
    CliResult<AuthType> type = config ? SelectAuthType(**config)
                                      : CliResult<AuthType>(std::unexpected(config.error()));
    entry["auth_type"] = type ? AuthTypeName(*type) : "";
    if (!skip_validate) entry["valid"] = type && Me(one).has_value();
    profiles.push_back(entry);
  }
  return ctx.Print(Json{{"profiles", profiles}},
                   TableSpec{"profiles", {{"NAME", "name"}, {"HOST", "host"}, {"AUTH_TYPE", "auth_type"}, {"VALID", "valid"}}});
}

CliStatus Describe(CommandContext& ctx, const HostOptions& o) {
  ASSIGN_OR_RETURN(const WorkspaceConfig* loaded, SelectedConfig(ctx, o));
  const WorkspaceConfig& c = *loaded;
  CliResult<AuthType> type = SelectAuthType(c);
  Json details = {{"host", c.host},
                  {"profile", c.profile},
                  {"config_file", c.config_file},
                  {"auth_type", type ? AuthTypeName(*type) : ""}};
  CliResult<Json> me = type ? Me(ctx) : CliResult<Json>(std::unexpected(type.error()));
  Json out = Json::object();
  out["status"] = me ? "success" : "error";
  if (me) out["username"] = me->value("userName", "");
  if (!me) out["error"] = me.error().message;
  out["details"] = details;
  if (CliStatus printed = ctx.Print(out); !printed) return printed;
  if (!me) return std::unexpected(me.error());
  return {};
}

}  // namespace

void AddAuthCommands(CLI::App& root, CommandRegistry& registry) {
  CLI::App* version = root.add_subcommand("version", "Print the CLI's version");
  registry.Bind(version, [](CommandContext& ctx) -> CliStatus {
    ctx.out() << "latchkey 0.1.0\n";
    return {};
  });

  CLI::App* group = AddGroup(
      root, "auth",
      "Credentials as the Databricks CLI's `databricks auth` (for the SDKs' databricks-cli auth)");

  auto token = std::make_shared<HostOptions>();
  CLI::App* cmd = group->add_subcommand(
      "token", "Print an access token for a host's profile: {access_token, token_type, expiry}");
  AddHostOptions(cmd, *token);
  registry.Bind(cmd, [token](CommandContext& ctx) { return Token(ctx, *token); });

  auto env = std::make_shared<HostOptions>();
  cmd = group->add_subcommand("env", "Print the environment variables for a host's profile");
  AddHostOptions(cmd, *env);
  registry.Bind(cmd, [env](CommandContext& ctx) { return Env(ctx, *env); });

  auto skip_validate = std::make_shared<bool>(false);
  cmd = group->add_subcommand("profiles", "List the profiles of the config file, and whether they work");
  cmd->add_flag("--skip-validate", *skip_validate, "Do not call the server to check each profile");
  registry.Bind(cmd, [skip_validate](CommandContext& ctx) { return Profiles(ctx, *skip_validate); });

  auto describe = std::make_shared<HostOptions>();
  cmd = group->add_subcommand("describe", "Show who the configured credentials authenticate as");
  AddHostOptions(cmd, *describe);
  registry.Bind(cmd, [describe](CommandContext& ctx) { return Describe(ctx, *describe); });

  AddU2mCommands(group, registry);  // auth login, auth logout (u2m.h)
}

}  // namespace latchkey::cli
