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
  CLI::App* group = cli::AddGroup(root, name, help);  // command.h's, not this file's
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

// `<group> create`: a resource with its identifying `field` (from `flag`), active, and an
// optional display name.
void AddCreate(CLI::App& group, CommandRegistry& registry, const Resource& r,
               const std::string& description, const std::string& flag, const std::string& field,
               const std::string& help) {
  auto o = std::make_shared<CreateOptions>();
  CLI::App* cmd = group.add_subcommand("create", description);
  cmd->add_option(flag, o->key, help)->required();
  cmd->add_option("--display-name", o->display_name, "Display name");
  registry.Bind(cmd, [r, o, field](CommandContext& ctx) {
    Json body{{"schemas", Json::array({r.schema})}, {field, o->key}, {"active", true}};
    if (!o->display_name.empty()) body["displayName"] = o->display_name;
    return CallAndPrint(ctx, "POST", std::string(kScim) + r.path, &body, TableSpec{"", r.columns});
  });
}

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
  AddCreate(*root.get_subcommand("service-principals"), registry, sp,
            "Add a service principal to the workspace", "--application-id,application_id",
            "applicationId", "The Entra application (client) id");
  AddCreate(*root.get_subcommand("users"), registry, user, "Add a user to the workspace",
            "--user-name,user_name", "userName", "userName (email)");
}

}  // namespace latchkey::cli
