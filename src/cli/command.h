// What every command gets: the injected outside world (environment, streams, terminal, clock,
// HTTP), the global options, and lazily built clients. One CommandContext per CLI run.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "base/clock.h"
#include "cli/api_client.h"
#include "cli/config.h"
#include "cli/http.h"
#include "cli/output.h"
#include "cli/terminal.h"
#include "cli/token_source.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace latchkey::cli {

// The outside world, injected so that tests run every command without a server.
struct CliDeps {
  Environment env;
  std::ostream& out;
  std::ostream& err;
  Terminal& terminal;
  const Clock& clock;
  Sleeper& sleeper;
  std::function<std::unique_ptr<Transport>(const TlsOptions&)> make_transport;
};

struct GlobalOptions {
  std::string profile;
  std::string output = "json";
  std::string query;
  bool debug = false;
};

class CommandContext {
 public:
  CommandContext(CliDeps& deps, const GlobalOptions& options)
      : deps_(deps), options_(options) {}

  const Environment& env() const { return deps_.env; }
  Terminal& terminal() { return deps_.terminal; }
  std::ostream& out() { return deps_.out; }
  std::ostream& err() { return deps_.err; }
  const Clock& clock() const { return deps_.clock; }
  std::optional<std::string> profile_flag() const;
  std::string state_dir() const { return StateDirectory(deps_.env); }

  // The resolved workspace settings (loaded once).
  CliResult<const WorkspaceConfig*> Config();
  // HTTP with retries, trusting the system store plus the configured CA files.
  CliResult<Transport*> Http();
  // The workspace API client: kUsage when no host is configured, kAuthentication when no
  // credential is.
  CliResult<ApiClient*> Workspace();
  TokenCache& token_cache();

  // Applies --query, then prints in the --output format. `spec` applies when there is no query.
  CliStatus Print(const Json& value, const TableSpec& spec = {});

  // Reads `profile` instead of --profile (before the first Config()), e.g. the profile whose
  // host `auth token --host` names.
  void UseProfile(std::string profile) { profile_override_ = std::move(profile); }
  // The OAuth access token (value and expiry) the workspace calls use; kAuthentication
  // "databricks OAuth is not configured" for a personal access token, as the Databricks CLI.
  CliResult<AccessToken> WorkspaceAccessToken();
  CliDeps& deps() { return deps_; }
  const GlobalOptions& options() const { return options_; }

 private:
  std::optional<std::string> profile_override_;
  CliDeps& deps_;
  const GlobalOptions& options_;
  std::optional<WorkspaceConfig> config_;
  std::unique_ptr<Transport> raw_transport_;
  std::unique_ptr<Transport> transport_;
  std::unique_ptr<TokenCache> token_cache_;
  std::unique_ptr<TokenProvider> tokens_;
  std::unique_ptr<ApiClient> workspace_;
};

using Action = std::function<CliStatus(CommandContext&)>;

// Maps each leaf subcommand to what it does; RunCli runs the one that was parsed.
class CommandRegistry {
 public:
  void Bind(const CLI::App* command, Action action) { actions_[command] = std::move(action); }
  const Action* Find(const CLI::App* command) const {
    auto it = actions_.find(command);
    return it == actions_.end() ? nullptr : &it->second;
  }

 private:
  std::map<const CLI::App*, Action> actions_;
};

// A command group under `parent`: a subcommand that needs one of its own subcommands.
CLI::App* AddGroup(CLI::App& parent, const std::string& name, const std::string& description);

// One per command group file; each adds its group and subcommands under `root` (for
// AddFederatedCredentialCommands, under `latchkey federation`: apps.cc, Entra federated
// identity credentials).
using AddCommandsFn = void(CLI::App& root, CommandRegistry& registry);
AddCommandsFn AddConfigureCommand, AddTokensCommands, AddTokenManagementCommands,
    AddPermissionsCommands, AddScimCommands, AddWorkspaceConfCommands, AddAuditCommands,
    AddOAuthSecretsCommands, AddFederationCommands, AddFederatedCredentialCommands,
    AddLoginCommands, AddAppsCommands, AddAuthCommands;

// Runs the CLI on `args` (without the program name) and returns the process exit code.
int RunCli(const std::vector<std::string>& args, CliDeps& deps);

// Calls the workspace API and prints the answer with `spec`: the body of most commands.
CliStatus CallAndPrint(CommandContext& ctx, std::string_view method, std::string_view path,
                       const Json* body = nullptr, const TableSpec& spec = {});
// GETs `path` page after page (following next_page_token) and prints the items under `key`
// of every page as one answer {key: [...]} with `spec`.
CliStatus ListAllAndPrint(CommandContext& ctx, const std::string& path, const std::string& key,
                          const TableSpec& spec);

// A secret for `what` (e.g. "client secret") from the environment variable `env_var`, else a
// no-echo `prompt` on a terminal, else the first word of standard input. Secrets are not
// taken from the command line, where /proc/<pid>/cmdline shows them to every local user.
CliResult<std::string> ReadSecretInput(CommandContext& ctx, const char* env_var,
                                       const std::string& prompt, const std::string& what);

// True when the option was given on the command line.
bool Given(const CLI::Option* option);

// Percent-encodes a path segment or query value.
std::string Escape(std::string_view text);

}  // namespace latchkey::cli
