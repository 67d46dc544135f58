// `latchkey service-principals`, `users`, `groups`: the workspace's SCIM identities (spec §7).
// Lists follow startIndex/count until a page is empty and print one ListResponse holding every
// resource.
#include <CLI/CLI.hpp>

#include "cli/command.h"

namespace latchkey::cli {
namespace {

constexpr std::string_view kScim = "/api/2.0/preview/scim/v2/";
constexpr int kPageSize = 100;

struct Resource {
  std::string path;    // "ServicePrincipals"
  std::string schema;  // core schema URN for create
  std::string noun;    // "service principal"
  std::vector<Column> columns;
};

CliStatus ListAll(CommandContext& ctx, const Resource& r, const std::string& filter) {
  CliResult<ApiClient*> api = ctx.Workspace();
  if (!api) return std::unexpected(api.error());
  Json merged;
  Json resources = Json::array();
  for (int start = 1;;) {
    std::string path = std::string(kScim) + r.path + "?startIndex=" + std::to_string(start) +
                       "&count=" + std::to_string(kPageSize);
    if (!filter.empty()) path += "&filter=" + Escape(filter);
    CliResult<Json> page = (*api)->Get(path);
    if (!page) return std::unexpected(page.error());
    if (merged.is_null()) merged = *page;
    const Json items = page->value("Resources", Json::array());
    if (!items.is_array() || items.empty()) break;
    for (const Json& item : items) resources.push_back(item);
    start += static_cast<int>(items.size());
    if (page->value("totalResults", Json(0)).is_number() &&
        start > page->value("totalResults", 0)) {
      break;
    }
  }
  if (!merged.is_object()) merged = Json::object();
  merged["startIndex"] = 1;
  merged["itemsPerPage"] = resources.size();
  merged["Resources"] = std::move(resources);
  return ctx.Print(merged, TableSpec{"Resources", r.columns});
}

void AddGroup(CLI::App& root, CommandRegistry& registry, const std::string& name,
              const std::string& help, const Resource& r, bool writable) {
  CLI::App* group = root.add_subcommand(name, help);
  group->require_subcommand(1);
  const std::string base = std::string(kScim) + r.path;

  auto filter = std::make_shared<std::string>();
  CLI::App* cmd = group->add_subcommand("list", "List every " + r.noun);
  cmd->add_option("--filter", *filter, R"(SCIM filter, e.g. 'displayName eq "ci"')");
  registry.Bind(cmd, [r, filter](CommandContext& ctx) { return ListAll(ctx, r, *filter); });
  if (!writable) return;

  auto id = std::make_shared<std::string>();
  cmd = group->add_subcommand("get", "Show one " + r.noun);
  cmd->add_option("--id,id", *id, "SCIM id")->required();
  registry.Bind(cmd, [base, id, r](CommandContext& ctx) {
    return CallAndPrint(ctx, "GET", base + "/" + Escape(*id), nullptr, TableSpec{"", r.columns});
  });

  auto delete_id = std::make_shared<std::string>();
  cmd = group->add_subcommand("delete", "Delete one " + r.noun + " (revokes its tokens)");
  cmd->add_option("--id,id", *delete_id, "SCIM id")->required();
  registry.Bind(cmd, [base, delete_id](CommandContext& ctx) {
    return CallAndPrint(ctx, "DELETE", base + "/" + Escape(*delete_id));
  });
}

struct CreateOptions {
  std::string key;  // userName or applicationId
  std::string display_name;
};

}  // namespace

void AddScimCommands(CLI::App& root, CommandRegistry& registry) {
  const Resource sp{"ServicePrincipals",
                    "urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal",
                    "service principal",
                    {{"ID", "id"}, {"APPLICATION_ID", "applicationId"},
                     {"DISPLAY_NAME", "displayName"}, {"ACTIVE", "active"}}};
  const Resource user{"Users",
                      "urn:ietf:params:scim:schemas:core:2.0:User",
                      "user",
                      {{"ID", "id"}, {"USER_NAME", "userName"}, {"DISPLAY_NAME", "displayName"},
                       {"ACTIVE", "active"}}};
  const Resource group{"Groups", "urn:ietf:params:scim:schemas:core:2.0:Group", "group",
                       {{"ID", "id"}, {"DISPLAY_NAME", "displayName"}}};

  AddGroup(root, registry, "service-principals", "Workspace service principals (SCIM)", sp, true);
  AddGroup(root, registry, "users", "Workspace users (SCIM)", user, true);
  AddGroup(root, registry, "groups", "Workspace groups (SCIM)", group, false);

  // create differs per resource: the identifying field.
  auto sp_create = std::make_shared<CreateOptions>();
  CLI::App* cmd = root.get_subcommand("service-principals")
                      ->add_subcommand("create", "Add a service principal to the workspace");
  cmd->add_option("--application-id,application_id", sp_create->key,
                  "The Entra application (client) id")
      ->required();
  cmd->add_option("--display-name", sp_create->display_name, "Display name");
  registry.Bind(cmd, [sp, sp_create](CommandContext& ctx) {
    Json body{{"schemas", Json::array({sp.schema})},
              {"applicationId", sp_create->key},
              {"active", true}};
    if (!sp_create->display_name.empty()) body["displayName"] = sp_create->display_name;
    return CallAndPrint(ctx, "POST", std::string(kScim) + sp.path, &body,
                        TableSpec{"", sp.columns});
  });

  auto user_create = std::make_shared<CreateOptions>();
  cmd = root.get_subcommand("users")->add_subcommand("create", "Add a user to the workspace");
  cmd->add_option("--user-name,user_name", user_create->key, "userName (email)")->required();
  cmd->add_option("--display-name", user_create->display_name, "Display name");
  registry.Bind(cmd, [user, user_create](CommandContext& ctx) {
    Json body{{"schemas", Json::array({user.schema})},
              {"userName", user_create->key},
              {"active", true}};
    if (!user_create->display_name.empty()) body["displayName"] = user_create->display_name;
    return CallAndPrint(ctx, "POST", std::string(kScim) + user.path, &body,
                        TableSpec{"", user.columns});
  });
}

}  // namespace latchkey::cli
