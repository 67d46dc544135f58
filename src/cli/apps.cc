// `latchkey apps`: app registrations in the directory, through latchkey's Microsoft Graph
// v1.0-shaped API on the authority, as the logged-in identity (`latchkey login` with an app that
// holds Application.ReadWrite.All, e.g. init's directory admin). Like `az ad app`.
#include <CLI/CLI.hpp>

#include "base/encoding.h"
#include "cli/command.h"
#include "cli/file_io.h"
#include "cli/login_session.h"

namespace latchkey::cli {
namespace {

const TableSpec kApps{"value", {{"ID", "id"}, {"APP_ID", "appId"}, {"DISPLAY_NAME", "displayName"}}};
const TableSpec kApp{"", kApps.columns};

struct AppOptions {
  std::string id;
  std::string app_id;
  std::string display_name;
  std::string key_id;
  std::string end_date;
  std::string cert_file;
  bool skip_service_principal = false;
  // Federated identity credentials (`latchkey federation credentials`).
  std::string name;
  std::string issuer;
  std::string subject;
  std::vector<std::string> audiences;
  std::string description;
};

// The Graph API as the logged-in identity: one per command run.
struct Graph {
  std::unique_ptr<CachedTokenProvider> tokens;
  std::unique_ptr<ApiClient> api;
};

CliResult<Graph> Connect(CommandContext& ctx) {
  CliResult<LoginSession> session = LoadLoginSession(ctx.state_dir());
  if (!session) return std::unexpected(session.error());
  CliResult<Transport*> http = ctx.Http();
  if (!http) return std::unexpected(http.error());
  Graph graph;
  graph.tokens = MakeEntraTokenProvider(ctx.token_cache(), **http, ctx.clock(), session->authority,
                                        session->tenant,
                                        ClientCredentials{session->client_id,
                                                          session->client_secret},
                                        kGraphResource);
  graph.api = std::make_unique<ApiClient>(**http, session->authority, graph.tokens.get());
  return graph;
}

std::string FilterAppId(const std::string& app_id) {
  return "?$filter=" + Escape("appId eq '" + app_id + "'");
}

// The object id from --id, or looked up from --app-id.
CliResult<std::string> ObjectId(ApiClient& api, const AppOptions& o) {
  if (!o.id.empty()) return o.id;
  if (o.app_id.empty()) return Fail(ExitCode::kUsage, "give --id OBJECT_ID or --app-id APP_ID");
  CliResult<Json> found = api.Get("/v1.0/applications" + FilterAppId(o.app_id));
  if (!found) return std::unexpected(found.error());
  const Json apps = found->value("value", Json::array());
  if (!apps.is_array() || apps.empty()) {
    return Fail(ExitCode::kNotFound, "no application with appId " + o.app_id);
  }
  return apps.at(0).at("id").get<std::string>();
}

// The base64 DER of the first certificate in a PEM file (the PEM body, whitespace removed).
CliResult<std::string> CertificateDer(const std::string& path) {
  auto text = ReadFileIfExists(path);
  if (!text) return std::unexpected(text.error());
  if (!*text) return Fail(ExitCode::kUsage, path + " does not exist");
  constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
  const size_t begin = (*text)->find(kBegin);
  const size_t end = begin == std::string::npos ? begin : (*text)->find(kEnd, begin);
  if (end == std::string::npos) return Fail(ExitCode::kUsage, path + " holds no PEM certificate");
  std::string body;
  for (char c : (*text)->substr(begin + kBegin.size(), end - begin - kBegin.size())) {
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') body += c;
  }
  if (!Base64Decode(body)) return Fail(ExitCode::kUsage, path + " holds a damaged certificate");
  return body;
}

using GraphAction = std::function<CliStatus(CommandContext&, ApiClient&, const AppOptions&)>;

void Bind(CommandRegistry& registry, CLI::App* cmd, std::shared_ptr<AppOptions> o,
          GraphAction action) {
  registry.Bind(cmd, [o, action](CommandContext& ctx) -> CliStatus {
    CliResult<Graph> graph = Connect(ctx);
    if (!graph) return std::unexpected(graph.error());
    return action(ctx, *graph->api, *o);
  });
}

CliStatus PrintResult(CommandContext& ctx, const CliResult<Json>& answer,
                      const TableSpec& spec = {}) {
  if (!answer) return std::unexpected(answer.error());
  return ctx.Print(*answer, spec);
}

CliStatus Create(CommandContext& ctx, ApiClient& api, const AppOptions& o) {
  CliResult<Json> app = api.Post("/v1.0/applications", Json{{"displayName", o.display_name}});
  if (!app) return std::unexpected(app.error());
  if (!o.skip_service_principal) {
    // The app's service principal in the tenant, as `az ad sp create` would add it.
    const std::string app_id = app->at("appId").get<std::string>();
    CliResult<Json> existing = api.Get("/v1.0/servicePrincipals" + FilterAppId(app_id));
    if (!existing) return std::unexpected(existing.error());
    if (existing->value("value", Json::array()).empty()) {
      CliResult<Json> sp = api.Post("/v1.0/servicePrincipals", Json{{"appId", app_id}});
      if (!sp) return std::unexpected(sp.error());
    }
  }
  return ctx.Print(*app, kApp);
}

CliStatus AddCertificate(CommandContext& ctx, ApiClient& api, const AppOptions& o) {
  CliResult<std::string> der = CertificateDer(o.cert_file);
  if (!der) return std::unexpected(der.error());
  CliResult<std::string> id = ObjectId(api, o);
  if (!id) return std::unexpected(id.error());
  const std::string path = "/v1.0/applications/" + Escape(*id);
  // PATCH replaces keyCredentials (as in Graph): send the certificates the app has, by keyId,
  // and the new one.
  CliResult<Json> current = api.Get(path);
  if (!current) return std::unexpected(current.error());
  Json keys = Json::array();
  for (const Json& existing : current->value("keyCredentials", Json::array())) {
    if (existing.contains("keyId")) keys.push_back(Json{{"keyId", existing["keyId"]}});
  }
  Json key{{"type", "AsymmetricX509Cert"}, {"usage", "Verify"}, {"key", *der}};
  if (!o.display_name.empty()) key["displayName"] = o.display_name;
  keys.push_back(std::move(key));
  CliResult<Json> patched = api.Patch(path, Json{{"keyCredentials", keys}});
  if (!patched) return std::unexpected(patched.error());
  return PrintResult(ctx, api.Get(path), kApp);
}

}  // namespace

void AddAppsCommands(CLI::App& root, CommandRegistry& registry) {
  CLI::App* group = AddGroup(root, "apps",
                             "Directory app registrations and their credentials (needs "
                             "`latchkey login` as a directory admin)");
  auto add_target = [](CLI::App* cmd, AppOptions& o) {
    cmd->add_option("--id", o.id, "The application's object id");
    cmd->add_option("--app-id", o.app_id, "The application (client) id");
  };

  auto o = std::make_shared<AppOptions>();
  CLI::App* cmd = group->add_subcommand("create", "Register an app and its service principal");
  cmd->add_option("--display-name", o->display_name, "Display name")->required();
  cmd->add_flag("--skip-service-principal", o->skip_service_principal,
                "Do not create the app's service principal in the tenant");
  Bind(registry, cmd, o, Create);

  o = std::make_shared<AppOptions>();
  cmd = group->add_subcommand("list", "List app registrations");
  cmd->add_option("--app-id", o->app_id, "Only the app with this application id");
  Bind(registry, cmd, o, [](CommandContext& ctx, ApiClient& api, const AppOptions& opts) {
    const std::string query = opts.app_id.empty() ? "" : FilterAppId(opts.app_id);
    return PrintResult(ctx, api.Get("/v1.0/applications" + query), kApps);
  });

  o = std::make_shared<AppOptions>();
  cmd = group->add_subcommand("delete", "Delete an app registration");
  add_target(cmd, *o);
  Bind(registry, cmd, o, [](CommandContext& ctx, ApiClient& api, const AppOptions& opts) {
    CliResult<std::string> id = ObjectId(api, opts);
    if (!id) return CliStatus(std::unexpected(id.error()));
    return PrintResult(ctx, api.Delete("/v1.0/applications/" + Escape(*id)));
  });

  o = std::make_shared<AppOptions>();
  cmd = group->add_subcommand("add-password", "Add a client secret; prints secretText once");
  add_target(cmd, *o);
  cmd->add_option("--display-name", o->display_name, "Description of the secret");
  cmd->add_option("--end-date", o->end_date, "Expiry, ISO 8601 (default: the server's)");
  Bind(registry, cmd, o, [](CommandContext& ctx, ApiClient& api, const AppOptions& opts) {
    CliResult<std::string> id = ObjectId(api, opts);
    if (!id) return CliStatus(std::unexpected(id.error()));
    Json credential = Json::object();
    if (!opts.display_name.empty()) credential["displayName"] = opts.display_name;
    if (!opts.end_date.empty()) credential["endDateTime"] = opts.end_date;
    return PrintResult(
        ctx,
        api.Post("/v1.0/applications/" + Escape(*id) + "/addPassword",
                 Json{{"passwordCredential", credential}}),
        TableSpec{"", {{"KEY_ID", "keyId"}, {"HINT", "hint"}, {"EXPIRES", "endDateTime"},
                       {"SECRET", "secretText"}}});
  });

  o = std::make_shared<AppOptions>();
  cmd = group->add_subcommand("remove-password", "Remove a client secret");
  add_target(cmd, *o);
  cmd->add_option("--key-id", o->key_id, "keyId of the secret")->required();
  Bind(registry, cmd, o, [](CommandContext& ctx, ApiClient& api, const AppOptions& opts) {
    CliResult<std::string> id = ObjectId(api, opts);
    if (!id) return CliStatus(std::unexpected(id.error()));
    return PrintResult(ctx, api.Post("/v1.0/applications/" + Escape(*id) + "/removePassword",
                                     Json{{"keyId", opts.key_id}}));
  });

  o = std::make_shared<AppOptions>();
  cmd = group->add_subcommand("add-certificate",
                              "Register a certificate (PEM file) as a credential of the app");
  add_target(cmd, *o);
  cmd->add_option("--cert", o->cert_file, "PEM file with the certificate")->required();
  cmd->add_option("--display-name", o->display_name, "Description of the certificate");
  Bind(registry, cmd, o, AddCertificate);
}

void AddFederatedCredentialCommands(CLI::App& group, CommandRegistry& registry) {
  // Entra's federated identity credentials of an app, through Graph (issue 21), as
  // `az ad app federated-credential` does.
  const TableSpec list{"value", {{"ID", "id"}, {"NAME", "name"}, {"ISSUER", "issuer"},
                                 {"SUBJECT", "subject"}}};
  const TableSpec one{"", list.columns};
  auto add_target = [](CLI::App* cmd, AppOptions& o) {
    cmd->add_option("--id", o.id, "The application's object id");
    cmd->add_option("--app-id", o.app_id, "The application (client) id");
  };
  auto base = [](ApiClient& api, const AppOptions& o) -> CliResult<std::string> {
    CliResult<std::string> id = ObjectId(api, o);
    if (!id) return std::unexpected(id.error());
    return "/v1.0/applications/" + Escape(*id) + "/federatedIdentityCredentials";
  };

  auto o = std::make_shared<AppOptions>();
  CLI::App* cmd = group.add_subcommand("create", "Add a federated identity credential");
  add_target(cmd, *o);
  cmd->add_option("--name", o->name, "Unique name within the app")->required();
  cmd->add_option("--issuer", o->issuer, "The workload's token issuer (iss), exact")->required();
  cmd->add_option("--subject", o->subject, "The workload's subject (sub), exact")->required();
  cmd->add_option("--audience", o->audiences, "aud (default api://AzureADTokenExchange)");
  cmd->add_option("--description", o->description, "Description");
  Bind(registry, cmd, o, [base, one](CommandContext& ctx, ApiClient& api, const AppOptions& opts) {
    CliResult<std::string> path = base(api, opts);
    if (!path) return CliStatus(std::unexpected(path.error()));
    Json body{{"name", opts.name}, {"issuer", opts.issuer}, {"subject", opts.subject}};
    if (!opts.audiences.empty()) body["audiences"] = opts.audiences;
    if (!opts.description.empty()) body["description"] = opts.description;
    return PrintResult(ctx, api.Post(*path, body), one);
  });

  o = std::make_shared<AppOptions>();
  cmd = group.add_subcommand("list", "List an app's federated identity credentials");
  add_target(cmd, *o);
  Bind(registry, cmd, o, [base, list](CommandContext& ctx, ApiClient& api, const AppOptions& opts) {
    CliResult<std::string> path = base(api, opts);
    if (!path) return CliStatus(std::unexpected(path.error()));
    return PrintResult(ctx, api.Get(*path), list);
  });

  o = std::make_shared<AppOptions>();
  cmd = group.add_subcommand("delete", "Delete a federated identity credential (by id or name)");
  add_target(cmd, *o);
  cmd->add_option("--name", o->name, "The credential's id or name")->required();
  Bind(registry, cmd, o, [base](CommandContext& ctx, ApiClient& api, const AppOptions& opts) {
    CliResult<std::string> path = base(api, opts);
    if (!path) return CliStatus(std::unexpected(path.error()));
    return PrintResult(ctx, api.Delete(*path + "/" + Escape(opts.name)));
  });
}

}  // namespace latchkey::cli
