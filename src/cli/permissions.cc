// `latchkey permissions`: who may use PATs (spec §5.6). The object defaults to the tokens
// object (authorization/tokens), the only one latchkey serves.
#include <CLI/CLI.hpp>

#include "cli/command.h"

namespace latchkey::cli {
namespace {

const TableSpec kAcl{"access_control_list",
                     {{"USER", "user_name"},
                      {"GROUP", "group_name"},
                      {"SERVICE_PRINCIPAL", "service_principal_name"},
                      {"DISPLAY_NAME", "display_name"},
                      {"PERMISSIONS", "all_permissions", Column::Kind::kLevels}}};

struct Target {
  std::string object_type = "authorization";
  std::string object_id = "tokens";
  std::string Path() const {
    return "/api/2.0/permissions/" + Escape(object_type) + "/" + Escape(object_id);
  }
};

struct ChangeOptions {
  Target target;
  std::vector<std::string> users;
  std::vector<std::string> groups;
  std::vector<std::string> service_principals;
  std::string level = "CAN_USE";
  std::string json;
};

void AddTarget(CLI::App& cmd, Target& target) {
  cmd.add_option("object_type", target.object_type, "Object type (default: authorization)");
  cmd.add_option("object_id", target.object_id, "Object id (default: tokens)");
}

CliResult<Json> AclBody(const ChangeOptions& o) {
  if (!o.json.empty()) {
    Json body = Json::parse(o.json, nullptr, false);
    if (!body.is_object() || !body.contains("access_control_list")) {
      return Fail(ExitCode::kUsage, "--json must be an object with access_control_list");
    }
    return body;
  }
  Json acl = Json::array();
  auto add = [&](const char* field, const std::vector<std::string>& names) {
    for (const std::string& name : names) {
      acl.push_back(Json{{field, name}, {"permission_level", o.level}});
    }
  };
  add("user_name", o.users);
  add("group_name", o.groups);
  add("service_principal_name", o.service_principals);
  return Json{{"access_control_list", acl}};
}

void AddChange(CLI::App& group, CommandRegistry& registry, const std::string& name,
               const std::string& method, const std::string& help) {
  auto o = std::make_shared<ChangeOptions>();
  CLI::App* cmd = group.add_subcommand(name, help);
  AddTarget(*cmd, o->target);
  cmd->add_option("--user-name", o->users, "A user's userName (repeatable)");
  cmd->add_option("--group-name", o->groups, "A group's displayName (repeatable)");
  cmd->add_option("--service-principal-name", o->service_principals,
                  "A service principal's applicationId (repeatable)");
  cmd->add_option("--permission-level", o->level, "CAN_USE (default) or CAN_MANAGE");
  cmd->add_option("--json", o->json, R"(Whole body, e.g. '{"access_control_list": [...]}')");
  registry.Bind(cmd, [o, method](CommandContext& ctx) -> CliStatus {
    CliResult<Json> body = AclBody(*o);
    if (!body) return std::unexpected(body.error());
    if (method == "PATCH" && (*body)["access_control_list"].empty()) {
      return Fail(ExitCode::kUsage, "nothing to grant: give --user-name, --group-name, "
                                    "--service-principal-name or --json");
    }
    return CallAndPrint(ctx, method, o->target.Path(), &*body, kAcl);
  });
}

}  // namespace

void AddPermissionsCommands(CLI::App& root, CommandRegistry& registry) {
  CLI::App* group =
      AddGroup(root, "permissions", "Token permissions: who may create and use PATs");

  auto target = std::make_shared<Target>();
  CLI::App* cmd = group->add_subcommand("get", "Show the access control list");
  AddTarget(*cmd, *target);
  registry.Bind(cmd, [target](CommandContext& ctx) {
    return CallAndPrint(ctx, "GET", target->Path(), nullptr, kAcl);
  });

  auto levels_target = std::make_shared<Target>();
  cmd = group->add_subcommand("levels", "List the permission levels");
  AddTarget(*cmd, *levels_target);
  registry.Bind(cmd, [levels_target](CommandContext& ctx) {
    return CallAndPrint(ctx, "GET", levels_target->Path() + "/permissionLevels", nullptr,
                        TableSpec{"permission_levels", {}});
  });

  AddChange(*group, registry, "update", "PATCH",
            "Add or change grants, keep the others (e.g. --service-principal-name APP_ID)");
  AddChange(*group, registry, "set", "PUT",
            "Replace all direct grants with the given ones (admins keep CAN_MANAGE)");
}

}  // namespace latchkey::cli
