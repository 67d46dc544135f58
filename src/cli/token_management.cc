// `latchkey token-management`: every PAT of the workspace, for admins (spec §5.1-§5.5).
#include <CLI/CLI.hpp>

#include "cli/command.h"

namespace latchkey::cli {
namespace {

using Kind = Column::Kind;

const std::vector<Column> kAdminColumns{{"TOKEN_ID", "token_id"},
                                        {"OWNER_ID", "owner_id"},
                                        {"CREATED_BY", "created_by_username"},
                                        {"EXPIRES", "expiry_time", Kind::kMillis},
                                        {"COMMENT", "comment"}};

struct ListOptions {
  std::string created_by_id;
  std::string created_by_username;
};

struct OboOptions {
  std::string application_id;
  int64_t lifetime_seconds = 0;
  std::string comment;
  CLI::Option* lifetime = nullptr;
  CLI::Option* comment_option = nullptr;
};

void AddTokenIdCommand(CLI::App& group, CommandRegistry& registry, const std::string& name,
                       const std::string& method, const std::string& help) {
  auto token_id = std::make_shared<std::string>();
  CLI::App* cmd = group.add_subcommand(name, help);
  cmd->add_option("--token-id,token_id", *token_id, "ID of the token")->required();
  registry.Bind(cmd, [token_id, method](CommandContext& ctx) {
    const TableSpec spec = method == "GET" ? TableSpec{"token_info", kAdminColumns} : TableSpec{};
    return CallAndPrint(ctx, method, "/api/2.0/token-management/tokens/" + Escape(*token_id),
                        nullptr, spec);
  });
}

}  // namespace

void AddTokenManagementCommands(CLI::App& root, CommandRegistry& registry) {
  CLI::App* group =
      AddGroup(root, "token-management", "Workspace admins: all PATs of the workspace");

  auto list = std::make_shared<ListOptions>();
  CLI::App* cmd = group->add_subcommand("list", "List all valid PATs (optionally filtered)");
  cmd->add_option("--created-by-id", list->created_by_id, "SCIM id of the creator");
  cmd->add_option("--created-by-username", list->created_by_username, "userName of the creator");
  registry.Bind(cmd, [list](CommandContext& ctx) {
    std::string query;
    auto add = [&](std::string_view name, const std::string& value) {
      if (value.empty()) return;
      query += (query.empty() ? "?" : "&") + std::string(name) + "=" + Escape(value);
    };
    add("created_by_id", list->created_by_id);
    add("created_by_username", list->created_by_username);
    return CallAndPrint(ctx, "GET", "/api/2.0/token-management/tokens" + query, nullptr,
                        TableSpec{"token_infos", kAdminColumns});
  });

  AddTokenIdCommand(*group, registry, "get", "GET", "Show one PAT");
  AddTokenIdCommand(*group, registry, "delete", "DELETE", "Revoke any PAT");

  auto obo = std::make_shared<OboOptions>();
  cmd = group->add_subcommand("create-obo",
                              "Create a PAT on behalf of a service principal; prints token_value");
  cmd->alias("create-obo-token");
  cmd->add_option("--application-id,application_id", obo->application_id,
                  "The service principal's applicationId")
      ->required();
  obo->lifetime = cmd->add_option("--lifetime-seconds", obo->lifetime_seconds, "Lifetime in seconds");
  obo->comment_option = cmd->add_option("--comment", obo->comment, "Free-text comment");
  registry.Bind(cmd, [obo](CommandContext& ctx) {
    Json body{{"application_id", obo->application_id}};
    if (Given(obo->lifetime)) body["lifetime_seconds"] = obo->lifetime_seconds;
    if (Given(obo->comment_option)) body["comment"] = obo->comment;
    std::vector<Column> columns{{"TOKEN_ID", "token_info.token_id"},
                                {"OWNER_ID", "token_info.owner_id"},
                                {"EXPIRES", "token_info.expiry_time", Kind::kMillis},
                                {"TOKEN_VALUE", "token_value"}};
    return CallAndPrint(ctx, "POST", "/api/2.0/token-management/on-behalf-of/tokens", &body,
                        TableSpec{"", columns});
  });
}

}  // namespace latchkey::cli
