// RunCli: the command tree, global options, parsing, and the mapping of every outcome to one
// exit code and at most one line on stderr.
#include <CLI/CLI.hpp>

#include "cli/command.h"

namespace latchkey::cli {
namespace {

constexpr const char* kDescription =
    "latchkey: command-line client for a latchkey server (Azure Databricks token API and "
    "Microsoft Entra ID compatible).\nReads ~/.databrickscfg and the DATABRICKS_* / ARM_* "
    "environment variables like the Databricks SDKs.";

const CLI::App* ParsedLeaf(const CLI::App& app) {
  const CLI::App* node = &app;
  for (;;) {
    const auto selected = node->get_subcommands();
    if (selected.empty()) return node;
    node = selected.front();
  }
}

std::string OneLineParseError(const CLI::Error& e) {
  std::string text = e.what();
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return "Error: " + text + " (run with --help for usage)";
}

}  // namespace

const char* ExitCodeHelp() {
  return "Exit codes: 0 ok; 2 usage (unknown flag, missing argument, no host configured, bad "
         "config); 3 authentication (401/403, missing, refused or expired credentials); 4 not "
         "found (404); 5 other server error; 6 network or TLS (unreachable host, timeout, "
         "certificate not trusted).";
}

int RunCli(const std::vector<std::string>& args, CliDeps& deps) {
  CLI::App app{kDescription, "latchkey"};
  GlobalOptions options;
  app.add_option("--profile", options.profile,
                 "Profile of ~/.databrickscfg to use (default: DATABRICKS_CONFIG_PROFILE, "
                 "else DEFAULT)");
  app.add_option("-o,--output", options.output, "Output format: json (default), table, text/tsv")
      ->check(CLI::IsMember({"json", "table", "text", "tsv"}));
  app.add_option("--query", options.query,
                 "Select part of the result (a.b, a[0].b, a[].b), e.g. --query accessToken");
  app.add_flag("--debug", options.debug,
               "Log each HTTP request (method, URL, status) to stderr; never headers or bodies");
  app.set_version_flag("--version", "latchkey 0.1.0");
  app.fallthrough();
  app.require_subcommand(1);
  app.footer(ExitCodeHelp());

  CommandRegistry registry;
  AddConfigureCommand(app, registry);
  AddLoginCommands(app, registry);
  AddTokensCommands(app, registry);
  AddTokenManagementCommands(app, registry);
  AddPermissionsCommands(app, registry);
  AddScimCommands(app, registry);
  AddWorkspaceConfCommands(app, registry);
  AddAuditCommands(app, registry);
  AddOAuthSecretsCommands(app, registry);
  AddFederationCommands(app, registry);
  AddAppsCommands(app, registry);
  AddAuthCommands(app, registry);

  std::vector<std::string> argv_storage;
  argv_storage.reserve(args.size() + 1);
  argv_storage.emplace_back("latchkey");
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<const char*> argv;
  for (const std::string& a : argv_storage) argv.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e, deps.out, deps.err);  // --help, --version
    deps.err << OneLineParseError(e) << '\n';
    return static_cast<int>(ExitCode::kUsage);
  }

  const Action* action = registry.Find(ParsedLeaf(app));
  if (action == nullptr) {
    deps.err << "Error: missing subcommand (run with --help for usage)\n";
    return static_cast<int>(ExitCode::kUsage);
  }
  CommandContext context(deps, options);
  CliStatus status;
  try {
    status = (*action)(context);
  } catch (const Json::exception& e) {
    // An answer without the fields a command relies on; nlohmann's text names the field.
    status = Fail(ExitCode::kServer, std::string("unexpected answer from the server: ") + e.what());
  }
  if (!status) {
    deps.err << "Error: " << status.error().message << '\n';
    return static_cast<int>(status.error().exit_code);
  }
  return static_cast<int>(ExitCode::kOk);
}

}  // namespace latchkey::cli
