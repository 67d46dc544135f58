// `latchkey oauth-secrets`: Databricks OAuth secrets of a service principal (spec §8.5), through
// the workspace-level proxy path. The secret value is printed once, by create.
#include <CLI/CLI.hpp>

#include "cli/command.h"

namespace latchkey::cli {
namespace {

const std::vector<Column> kSecretColumns{{"ID", "id"},
                                         {"STATUS", "status"},
                                         {"CREATED", "create_time"},
                                         {"EXPIRES", "expire_time"}};

std::string SecretsPath(const std::string& sp_id) {
  return "/api/2.0/accounts/servicePrincipals/" + Escape(sp_id) + "/credentials/secrets";
}

struct Options {
  std::string sp_id;
  std::string secret_id;
  int64_t lifetime_seconds = 0;
  CLI::Option* lifetime = nullptr;
};

CLI::App* AddCommand(CLI::App& group, const std::string& name, const std::string& help,
                     Options& o) {
  CLI::App* cmd = group.add_subcommand(name, help);
  cmd->add_option("--service-principal-id", o.sp_id, "The service principal's SCIM id")
      ->required();
  return cmd;
}

CliStatus ListAll(CommandContext& ctx, const std::string& sp_id) {
  return ListAllAndPrint(ctx, SecretsPath(sp_id), "secrets", TableSpec{"secrets", kSecretColumns});
}

}  // namespace

void AddOAuthSecretsCommands(CLI::App& root, CommandRegistry& registry) {
  CLI::App* group =
      AddGroup(root, "oauth-secrets", "OAuth secrets of service principals (OAuth M2M)");

  auto create = std::make_shared<Options>();
  CLI::App* cmd = AddCommand(*group, "create", "Create a secret; prints it once", *create);
  create->lifetime =
      cmd->add_option("--lifetime-seconds", create->lifetime_seconds, "Lifetime (default 730 days)");
  registry.Bind(cmd, [create](CommandContext& ctx) {
    Json body = Json::object();
    if (Given(create->lifetime)) body["lifetime"] = std::to_string(create->lifetime_seconds) + "s";
    std::vector<Column> columns = kSecretColumns;
    columns.push_back({"SECRET", "secret"});
    return CallAndPrint(ctx, "POST", SecretsPath(create->sp_id), &body, TableSpec{"", columns});
  });

  auto list = std::make_shared<Options>();
  cmd = AddCommand(*group, "list", "List secrets (values are never shown)", *list);
  registry.Bind(cmd, [list](CommandContext& ctx) { return ListAll(ctx, list->sp_id); });

  auto del = std::make_shared<Options>();
  cmd = AddCommand(*group, "delete", "Delete a secret", *del);
  cmd->add_option("--secret-id,secret_id", del->secret_id, "The secret's id")->required();
  registry.Bind(cmd, [del](CommandContext& ctx) {
    return CallAndPrint(ctx, "DELETE", SecretsPath(del->sp_id) + "/" + Escape(del->secret_id));
  });
}

}  // namespace latchkey::cli
