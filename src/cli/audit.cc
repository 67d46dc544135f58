// `latchkey audit list`: the server's audit records (token created/deleted/refused, permission
// and principal changes), oldest first, paged by the last seen sequence number.
#include <CLI/CLI.hpp>

#include "cli/command.h"

namespace latchkey::cli {
namespace {

struct ListOptions {
  int64_t after = 0;
  int64_t limit = 100;
  CLI::Option* after_option = nullptr;
};

}  // namespace

void AddAuditCommands(CLI::App& root, CommandRegistry& registry) {
  CLI::App* group = AddGroup(root, "audit", "Audit records (admins)");

  auto o = std::make_shared<ListOptions>();
  CLI::App* cmd = group->add_subcommand("list", "List audit events (GET /api/2.0/latchkey/audit)");
  o->after_option = cmd->add_option("--after", o->after, "Only events after this sequence number");
  cmd->add_option("--limit", o->limit, "At most this many events, 1-1000 (default 100)")
      ->check(CLI::Range(int64_t{1}, int64_t{1000}));
  registry.Bind(cmd, [o](CommandContext& ctx) {
    std::string path = "/api/2.0/latchkey/audit?limit=" + std::to_string(o->limit);
    if (Given(o->after_option)) path += "&after=" + std::to_string(o->after);
    const TableSpec spec{"events",
                         {{"SEQ", "seq"},
                          {"TIME", "time", Column::Kind::kMillis},
                          {"ACTOR", "actor"},
                          {"ACTION", "action"},
                          {"TARGET", "target"}}};
    return CallAndPrint(ctx, "GET", path, nullptr, spec);
  });
}

}  // namespace latchkey::cli
