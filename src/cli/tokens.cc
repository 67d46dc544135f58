// `latchkey tokens`: the caller's own PATs (spec §4), with the legacy CLI's flags so that the
// article's commands work verbatim: create --lifetime-seconds N --comment C, list,
// revoke --token-id ID (and delete, the new CLI's name).
#include <CLI/CLI.hpp>

#include "cli/command.h"

namespace latchkey::cli {
namespace {

using Kind = Column::Kind;

const TableSpec kTokenList{"token_infos",
                           {{"TOKEN_ID", "token_id"},
                            {"CREATED", "creation_time", Kind::kMillis},
                            {"EXPIRES", "expiry_time", Kind::kMillis},
                            {"COMMENT", "comment"}}};

const TableSpec kCreated{"",
                         {{"TOKEN_ID", "token_info.token_id"},
                          {"EXPIRES", "token_info.expiry_time", Kind::kMillis},
                          {"COMMENT", "token_info.comment"},
                          {"TOKEN_VALUE", "token_value"}}};

struct CreateOptions {
  int64_t lifetime_seconds = 0;
  std::string comment;
  CLI::Option* lifetime = nullptr;
  CLI::Option* comment_option = nullptr;
};

void AddRevoke(CLI::App& group, CommandRegistry& registry, const std::string& name,
               const std::string& help) {
  auto token_id = std::make_shared<std::string>();
  CLI::App* cmd = group.add_subcommand(name, help);
  cmd->add_option("--token-id,token_id", *token_id, "ID of the token (from `tokens list`)")
      ->required();
  registry.Bind(cmd, [token_id](CommandContext& ctx) {
    const Json body{{"token_id", *token_id}};
    return CallAndPrint(ctx, "POST", "/api/2.0/token/delete", &body);
  });
}

}  // namespace

void AddTokensCommands(CLI::App& root, CommandRegistry& registry) {
  CLI::App* group = AddGroup(root, "tokens", "Create, list and revoke your own PATs");

  auto create = std::make_shared<CreateOptions>();
  CLI::App* cmd = group->add_subcommand(
      "create", "Create a PAT for the caller; prints token_value once (POST /api/2.0/token/create)");
  create->lifetime = cmd->add_option("--lifetime-seconds", create->lifetime_seconds,
                                     "Lifetime in seconds (omit: the server's default)");
  create->comment_option = cmd->add_option("--comment", create->comment, "Free-text comment");
  registry.Bind(cmd, [create](CommandContext& ctx) {
    Json body = Json::object();
    if (Given(create->lifetime)) body["lifetime_seconds"] = create->lifetime_seconds;
    if (Given(create->comment_option)) body["comment"] = create->comment;
    return CallAndPrint(ctx, "POST", "/api/2.0/token/create", &body, kCreated);
  });

  cmd = group->add_subcommand("list", "List your valid PATs (GET /api/2.0/token/list)");
  registry.Bind(cmd, [](CommandContext& ctx) {
    return CallAndPrint(ctx, "GET", "/api/2.0/token/list", nullptr, kTokenList);
  });

  AddRevoke(*group, registry, "revoke", "Revoke one of your PATs (POST /api/2.0/token/delete)");
  AddRevoke(*group, registry, "delete", "Same as revoke");
}

}  // namespace latchkey::cli
