// `latchkey login --service-principal` and `latchkey account get-access-token`: the two az
// commands of the article, against latchkey's Entra-compatible token endpoint, so that no az
// installation is needed. The session (client secret included) is saved with mode 0600, as az
// saves service_principal_entries.json. The secret is best not passed as `-p SECRET` (every local
// user can read a process's command line): `-p @FILE`, `-p -` (standard input), or no -p at all
// (AZURE_CLIENT_SECRET, else a no-echo prompt, else standard input) keep it out of it.
#include <ctime>
#include <fstream>
#include <sstream>

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "cli/login_session.h"

namespace latchkey::cli {
namespace {

struct LoginOptions {
  bool service_principal = false;
  bool allow_no_subscriptions = false;  // accepted for az compatibility; there are none
  std::string tenant;
  std::string username;
  std::string password;  // literal, "@FILE", "-" (stdin), or empty (environment, prompt, stdin)
  std::string authority;
};

// az prints expiresOn as local time "YYYY-MM-DD HH:MM:SS.ffffff".
std::string AzTime(TimePoint t) { return FormatLocal(t, "%Y-%m-%d %H:%M:%S.000000"); }

CliResult<std::string> ResolveAuthority(CommandContext& ctx, const std::string& flag) {
  std::string authority = flag;
  if (authority.empty()) {
    CliResult<const WorkspaceConfig*> config = ctx.Config();
    if (!config) return std::unexpected(config.error());
    authority = (*config)->azure_login_endpoint.empty() ? (*config)->host
                                                        : (*config)->azure_login_endpoint;
  }
  if (authority.empty()) {
    return Fail(ExitCode::kUsage,
                "no authority: pass --authority URL or set LATCHKEY_AUTHORITY (e.g. "
                "https://127.0.0.1:8443)");
  }
  return NormalizeHost(authority);
}

constexpr const char* kSecretVariable = "AZURE_CLIENT_SECRET";

// The first word of `text`, or "" when it has none.
std::string FirstWord(const std::string& text) {
  const size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string::npos) return "";
  return text.substr(start, text.find_first_of(" \t\r\n", start) - start);
}

CliResult<std::string> ResolveSecret(CommandContext& ctx, const std::string& password) {
  if (password.empty()) {
    return ReadSecretInput(ctx, kSecretVariable, "Client secret: ", "client secret");
  }
  std::string secret = password;
  if (password == "-") {
    secret = FirstWord(ctx.terminal().ReadAll());
  } else if (password.starts_with('@')) {  // az reads any argument value from @FILE
    const std::string path = password.substr(1);
    std::ifstream in(path, std::ios::binary);
    if (!in) return Fail(ExitCode::kUsage, "cannot read the client secret from " + path);
    std::ostringstream text;
    text << in.rdbuf();
    secret = FirstWord(text.str());
  }
  if (secret.empty()) {
    const std::string source = password == "-" ? "standard input" : password.substr(1);
    return Fail(ExitCode::kAuthentication, "no client secret in " + source);
  }
  return secret;
}

CliStatus Login(CommandContext& ctx, const LoginOptions& o) {
  if (!o.service_principal) {
    return Fail(ExitCode::kUsage, "only `login --service-principal` is supported");
  }
  CliResult<std::string> authority = ResolveAuthority(ctx, o.authority);
  if (!authority) return std::unexpected(authority.error());
  CliResult<std::string> secret = ResolveSecret(ctx, o.password);
  if (!secret) return std::unexpected(secret.error());
  CliResult<Transport*> http = ctx.Http();
  if (!http) return std::unexpected(http.error());
  LoginSession session{*authority, o.tenant, o.username, Secret(*secret)};
  // Checks the credentials by getting the token the article asks for next, and caches it.
  ClientCredentials credentials{session.client_id, session.client_secret};
  CliResult<AccessToken> token = RequestEntraToken(**http, ctx.clock(), session.authority,
                                                   session.tenant, credentials, kDatabricksResource);
  if (!token) return std::unexpected(token.error());
  if (auto saved = SaveLoginSession(ctx.state_dir(), session); !saved) return saved;
  (void)ctx.token_cache().Store(
      EntraCacheKey(session.authority, session.tenant, session.client_id, kDatabricksResource),
      *token, ctx.clock().Now());
  // The shape az prints after a tenant-level service-principal login.
  const Json account{{"cloudName", "latchkey"},
                     {"homeTenantId", session.tenant},
                     {"id", session.tenant},
                     {"isDefault", true},
                     {"managedByTenants", Json::array()},
                     {"name", "N/A(tenant level account)"},
                     {"state", "Enabled"},
                     {"tenantId", session.tenant},
                     {"user", {{"name", session.client_id}, {"type", "servicePrincipal"}}}};
  return ctx.Print(Json::array({account}),
                   TableSpec{"", {{"TENANT", "tenantId"}, {"USER", "user.name"}}});
}

CliStatus GetAccessToken(CommandContext& ctx, const std::string& resource) {
  CliResult<LoginSession> session = LoadLoginSession(ctx.state_dir());
  if (!session) return std::unexpected(session.error());
  CliResult<Transport*> http = ctx.Http();
  if (!http) return std::unexpected(http.error());
  auto provider = MakeEntraTokenProvider(ctx.token_cache(), **http, ctx.clock(),
                                         session->authority, session->tenant,
                                         ClientCredentials{session->client_id,
                                                           session->client_secret},
                                         resource);
  CliResult<AccessToken> token = provider->Get();
  if (!token) return std::unexpected(token.error());
  const Json answer{{"accessToken", token->value.reveal()},
                    {"expiresOn", AzTime(token->expires_at)},
                    {"subscription", session->tenant},
                    {"tenant", session->tenant},
                    {"tokenType", "Bearer"}};
  return ctx.Print(answer, TableSpec{"", {{"EXPIRES_ON", "expiresOn"}, {"TENANT", "tenant"}}});
}

}  // namespace

void AddLoginCommands(CLI::App& root, CommandRegistry& registry) {
  auto o = std::make_shared<LoginOptions>();
  CLI::App* cmd = root.add_subcommand(
      "login", "Log in as a service principal with its client secret (like az login)");
  cmd->add_flag("--service-principal", o->service_principal, "Log in as a service principal");
  cmd->add_option("-t,--tenant", o->tenant, "Tenant id")->required();
  cmd->add_option("-u,--username", o->username, "Client (application) id")->required();
  cmd->add_option("-p,--password", o->password,
                  "Client secret: @FILE reads it from a file, - from standard input. Without "
                  "-p: AZURE_CLIENT_SECRET, else a no-echo prompt, else standard input. A "
                  "literal secret here is visible to other local users (/proc/PID/cmdline).");
  cmd->add_option("--authority", o->authority,
                  "Identity provider URL (default: LATCHKEY_AUTHORITY, the profile's "
                  "azure_login_endpoint, else its host)");
  cmd->add_flag("--allow-no-subscriptions", o->allow_no_subscriptions,
                "Accepted for az compatibility");
  registry.Bind(cmd, [o](CommandContext& ctx) { return Login(ctx, *o); });

  cmd = root.add_subcommand("logout", "Forget the saved login and cached tokens");
  registry.Bind(cmd, [](CommandContext& ctx) -> CliStatus {
    std::remove(LoginSessionPath(ctx.state_dir()).c_str());
    std::remove(TokenCachePath(ctx.state_dir()).c_str());
    return {};
  });

  CLI::App* account = AddGroup(root, "account", "The logged-in identity (like az account)");
  auto resource = std::make_shared<std::string>();
  cmd = account->add_subcommand(
      "get-access-token",
      "Print an access token for --resource (use --query accessToken --output tsv for the "
      "bare token)");
  cmd->add_option("--resource", *resource,
                  "Resource, e.g. 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d (Azure Databricks)")
      ->required();
  registry.Bind(cmd, [resource](CommandContext& ctx) { return GetAccessToken(ctx, *resource); });
}

}  // namespace latchkey::cli
