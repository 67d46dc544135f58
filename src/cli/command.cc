#include "cli/command.h"

#include <CLI/CLI.hpp>

#include "base/encoding.h"
#include "cli/login_session.h"
#include "cli/u2m.h"

namespace latchkey::cli {

bool Given(const CLI::Option* option) { return option != nullptr && option->count() > 0; }

std::string Escape(std::string_view text) { return PercentEncode(text); }

CliStatus CallAndPrint(CommandContext& ctx, std::string_view method, std::string_view path,
                       const Json* body, const TableSpec& spec) {
  CliResult<ApiClient*> api = ctx.Workspace();
  if (!api) return std::unexpected(api.error());
  CliResult<Json> answer = (*api)->Call(method, path, body);
  if (!answer) return std::unexpected(answer.error());
  return ctx.Print(*answer, spec);
}

CLI::App* AddGroup(CLI::App& parent, const std::string& name, const std::string& description) {
  CLI::App* group = parent.add_subcommand(name, description);
  group->require_subcommand(1);
  return group;
}

CliStatus ListAllAndPrint(CommandContext& ctx, const std::string& path, const std::string& key,
                          const TableSpec& spec) {
  CliResult<ApiClient*> api = ctx.Workspace();
  if (!api) return std::unexpected(api.error());
  Json items = Json::array();
  std::string page_token;
  do {
    std::string page_path = path;
    if (!page_token.empty()) page_path += "?page_token=" + Escape(page_token);
    CliResult<Json> page = (*api)->Get(page_path);
    if (!page) return std::unexpected(page.error());
    for (const Json& item : page->value(key, Json::array())) items.push_back(item);
    page_token = page->value("next_page_token", std::string());
  } while (!page_token.empty());
  return ctx.Print(Json{{key, items}}, spec);
}

CliResult<std::string> ReadSecretInput(CommandContext& ctx, const char* env_var,
                                       const std::string& prompt, const std::string& what) {
  std::string value;
  if (auto from_env = EnvValue(ctx.env(), env_var)) {
    value = *from_env;
  } else if (ctx.terminal().IsInteractive()) {
    value = ctx.terminal().ReadSecret(prompt);
  } else {
    value = ctx.terminal().ReadAll();
  }
  const size_t start = value.find_first_not_of(" \t\r\n");
  value = start == std::string::npos ? "" : value.substr(start);
  value = value.substr(0, value.find_first_of(" \t\r\n"));
  if (value.empty()) {
    return Fail(ExitCode::kAuthentication,
                "no " + what + ": set " + env_var + " or type it when asked");
  }
  return value;
}

std::optional<std::string> CommandContext::profile_flag() const {
  if (profile_override_) return profile_override_;
  if (options_.profile.empty()) return std::nullopt;
  return options_.profile;
}

CliResult<const WorkspaceConfig*> CommandContext::Config() {
  if (!config_) {
    CliResult<WorkspaceConfig> loaded = LoadWorkspaceConfig(deps_.env, profile_flag());
    if (!loaded) return std::unexpected(loaded.error());
    config_ = std::move(*loaded);
  }
  return &*config_;
}

CliResult<Transport*> CommandContext::Http() {
  if (!transport_) {
    CliResult<const WorkspaceConfig*> config = Config();
    if (!config) return std::unexpected(config.error());
    raw_transport_ = deps_.make_transport(TlsOptions{(*config)->ca_files});
    transport_ = std::make_unique<RetryingTransport>(*raw_transport_, deps_.sleeper, RetryPolicy{},
                                                     options_.debug ? &deps_.err : nullptr);
  }
  return transport_.get();
}

TokenCache& CommandContext::token_cache() {
  if (!token_cache_) token_cache_ = std::make_unique<TokenCache>(TokenCachePath(state_dir()));
  return *token_cache_;
}

namespace {

// Databricks token federation (env-oidc, file-oidc, github-oidc): the workload's own token
// exchanged at the workspace's token endpoint, the answer cached.
CliResult<std::unique_ptr<TokenProvider>> FederatedTokens(AuthType auth,
                                                          const WorkspaceConfig& config,
                                                          TokenCache& cache,
                                                          Transport& transport,
                                                          const Clock& clock) {
  if (auth == AuthType::kGithubOidc) {
    // GitHub Actions: a fresh ID token from the runner for each exchange, for
    // token_audience or else the workspace's token endpoint (which a federation policy
    // accepts as its default audience); the exchanged token is cached like env-oidc's.
    if (config.actions_token_url.empty() || config.actions_token_request.empty()) {
      return Fail(ExitCode::kAuthentication,
                  "auth_type github-oidc needs ACTIONS_ID_TOKEN_REQUEST_URL and "
                  "ACTIONS_ID_TOKEN_REQUEST_TOKEN (a GitHub Actions job with permissions: "
                  "id-token: write)");
    }
    const std::string host = config.host;
    const std::string client_id = config.client_id;
    std::string base = host;
    while (base.ends_with('/')) base.pop_back();
    const std::string audience =
        config.token_audience.empty() ? base + "/oidc/v1/token" : config.token_audience;
    return std::make_unique<CachedTokenProvider>(
        cache, "github-oidc " + host + " " + client_id + " " + audience, clock,
        [&transport, &clock, host, client_id, audience, url = config.actions_token_url,
         request = config.actions_token_request]() -> CliResult<AccessToken> {
          CliResult<Secret> jwt = RequestGithubActionsToken(transport, url, request, audience);
          if (!jwt) return std::unexpected(jwt.error());
          return RequestTokenExchange(transport, clock, host, client_id, *jwt);
        });
  }
  // The workload's token is read again for every exchange (a kubelet rotates its file),
  // and the exchanged token is cached (0600) under that subject token's iss, sub and
  // times, so a rotated token gets a fresh exchange.
  const bool from_file = auth == AuthType::kFileOidc;
  CliResult<Secret> subject = from_file ? ReadSubjectTokenFile(config.oidc_token_filepath)
                                        : CliResult<Secret>(config.oidc_token);
  if (!subject) return std::unexpected(subject.error());
  if (subject->empty()) {
    return Fail(ExitCode::kAuthentication,
                from_file ? "auth_type file-oidc needs oidc_token_filepath "
                            "(DATABRICKS_OIDC_TOKEN_FILEPATH)"
                          : "auth_type env-oidc found no token in " +
                                (config.oidc_token_env.empty() ? std::string("DATABRICKS_OIDC_TOKEN")
                                                               : config.oidc_token_env));
  }
  const std::string host = config.host;
  const std::string client_id = config.client_id;
  return std::make_unique<CachedTokenProvider>(
      cache, "oidc " + host + " " + client_id + " " + SubjectTokenCacheKey(*subject),
      clock, [&transport, &clock, host, client_id, token = *subject] {
        return RequestTokenExchange(transport, clock, host, client_id, token);
      });
}

}  // namespace

CliResult<ApiClient*> CommandContext::Workspace() {
  if (workspace_) return workspace_.get();
  CliResult<const WorkspaceConfig*> loaded = Config();
  if (!loaded) return std::unexpected(loaded.error());
  const WorkspaceConfig& config = **loaded;
  if (config.host.empty()) {
    const std::string where =
        config.profile.empty() ? config.config_file : "profile " + config.profile;
    return Fail(ExitCode::kUsage, "no host configured (looked in the environment and " + where +
                                      "): run `latchkey configure --host URL ...` or set "
                                      "DATABRICKS_HOST");
  }
  CliResult<AuthType> auth = SelectAuthType(config);
  if (!auth) return std::unexpected(auth.error());
  CliResult<Transport*> http = Http();
  if (!http) return std::unexpected(http.error());
  Transport& transport = **http;
  const Clock& clock = deps_.clock;
  switch (*auth) {
    case AuthType::kPat:
      if (config.token.empty()) {
        return Fail(ExitCode::kAuthentication, "auth_type pat needs a token");
      }
      tokens_ = std::make_unique<StaticTokenProvider>(config.token);
      break;
    case AuthType::kOAuthM2m: {
      ClientCredentials credentials{config.client_id, config.client_secret};
      const std::string host = config.host;
      tokens_ = std::make_unique<CachedTokenProvider>(
          token_cache(), "oauth-m2m " + host + " " + config.client_id, clock,
          [&transport, &clock, host, credentials] {
            return RequestOAuthM2mToken(transport, clock, host, credentials);
          });
      break;
    }
    case AuthType::kEnvOidc:
    case AuthType::kFileOidc:
    case AuthType::kGithubOidc: {
      CliResult<std::unique_ptr<TokenProvider>> federated =
          FederatedTokens(*auth, config, token_cache(), transport, clock);
      if (!federated) return std::unexpected(federated.error());
      tokens_ = std::move(*federated);
      break;
    }
    case AuthType::kDatabricksCli: {
      // A person's sign-in (`auth login`): the Databricks CLI's token cache, refreshed.
      const std::string host = config.host;
      const Environment& env = deps_.env;
      tokens_ = std::make_unique<CachedTokenProvider>(
          token_cache(), "u2m " + host, clock,
          [&transport, &clock, &env, host] { return U2mAccessToken(transport, clock, env, host); });
      break;
    }
    case AuthType::kAzureClientSecret: {
      // Entra authority: azure_login_endpoint / LATCHKEY_AUTHORITY, else the workspace host.
      const std::string authority =
          config.azure_login_endpoint.empty() ? config.host : config.azure_login_endpoint;
      tokens_ = MakeEntraTokenProvider(
          token_cache(), transport, clock, authority, config.azure_tenant_id,
          ClientCredentials{config.azure_client_id, config.azure_client_secret},
          kDatabricksResource);
      break;
    }
  }
  workspace_ = std::make_unique<ApiClient>(transport, config.host, tokens_.get());
  return workspace_.get();
}

CliResult<AccessToken> CommandContext::WorkspaceAccessToken() {
  CliResult<ApiClient*> api = Workspace();
  if (!api) return std::unexpected(api.error());
  if (auto* cached = dynamic_cast<CachedTokenProvider*>(tokens_.get())) return cached->Get();
  return Fail(ExitCode::kAuthentication,
              "databricks OAuth is not configured for this host: it authenticates with a "
              "personal access token (auth_type pat)");
}

CliStatus CommandContext::Print(const Json& value, const TableSpec& spec) {
  CliResult<OutputFormat> format = ParseOutputFormat(options_.output);
  if (!format) return std::unexpected(format.error());
  if (options_.query.empty()) {
    deps_.out << Render(value, *format, spec);
    return {};
  }
  CliResult<Json> selected = ApplyQuery(value, options_.query);
  if (!selected) return std::unexpected(selected.error());
  deps_.out << Render(*selected, *format, TableSpec{});
  return {};
}

}  // namespace latchkey::cli
