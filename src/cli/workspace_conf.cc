// `latchkey workspace-conf`: enableTokensConfig, maxTokenLifetimeDays and friends (spec §6).
#include <CLI/CLI.hpp>

#include "cli/command.h"

namespace latchkey::cli {
namespace {

struct SetOptions {
  std::vector<std::string> pairs;
  std::string json;
};

}  // namespace

void AddWorkspaceConfCommands(CLI::App& root, CommandRegistry& registry) {
  CLI::App* group = AddGroup(root, "workspace-conf", "Workspace settings (admins)");

  auto keys = std::make_shared<std::vector<std::string>>();
  CLI::App* cmd = group->add_subcommand(
      "get", "Show settings, e.g. `get enableTokensConfig maxTokenLifetimeDays`");
  cmd->alias("get-status");
  cmd->add_option("keys", *keys, "Keys (space or comma separated)")->required();
  registry.Bind(cmd, [keys](CommandContext& ctx) {
    // Commas separate keys on the wire, so they stay unescaped.
    std::string escaped;
    for (const std::string& arg : *keys) {
      for (size_t start = 0; start < arg.size();) {
        const size_t comma = std::min(arg.find(',', start), arg.size());
        if (comma > start) {
          escaped += (escaped.empty() ? "" : ",") + Escape(arg.substr(start, comma - start));
        }
        start = comma + 1;
      }
    }
    return CallAndPrint(ctx, "GET", "/api/2.0/workspace-conf?keys=" + escaped, nullptr,
                        TableSpec{});
  });

  auto set = std::make_shared<SetOptions>();
  cmd = group->add_subcommand(
      "set", "Change settings, e.g. `set maxTokenLifetimeDays=90 enableTokensConfig=true`");
  cmd->alias("set-status");
  cmd->add_option("pairs", set->pairs, "KEY=VALUE pairs (values are sent as strings)");
  cmd->add_option("--json", set->json, R"(Whole body, e.g. '{"maxTokenLifetimeDays": "90"}')");
  registry.Bind(cmd, [set](CommandContext& ctx) -> CliStatus {
    Json body = Json::object();
    if (!set->json.empty()) {
      body = Json::parse(set->json, nullptr, false);
      if (!body.is_object()) return Fail(ExitCode::kUsage, "--json must be a JSON object");
    }
    for (const std::string& pair : set->pairs) {
      const size_t eq = pair.find('=');
      if (eq == std::string::npos || eq == 0) {
        return Fail(ExitCode::kUsage, "expected KEY=VALUE, got '" + pair + "'");
      }
      body[pair.substr(0, eq)] = pair.substr(eq + 1);
    }
    if (body.empty()) return Fail(ExitCode::kUsage, "nothing to set: give KEY=VALUE or --json");
    return CallAndPrint(ctx, "PATCH", "/api/2.0/workspace-conf", &body);
  });
}

}  // namespace latchkey::cli
