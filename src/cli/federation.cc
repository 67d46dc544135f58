// `latchkey federation policies`: Databricks token federation policies (issue 21), the account's
// or a service principal's, at /api/2.0/accounts/{account_id}/[servicePrincipals/{id}/]
// federationPolicies. The account id is --account-id, else the one the host's
// /.well-known/databricks-config names.
#include <CLI/CLI.hpp>

#include "cli/command.h"

namespace latchkey::cli {
namespace {

const std::vector<Column> kPolicyColumns{{"POLICY_ID", "policy_id"},
                                         {"ISSUER", "oidc_policy.issuer"},
                                         {"SUBJECT", "oidc_policy.subject"},
                                         {"SUBJECT_CLAIM", "oidc_policy.subject_claim"},
                                         {"UPDATED", "update_time"}};

struct Options {
  std::string account_id;
  std::string sp_id;
  std::string policy_id;
  std::string issuer;
  std::vector<std::string> audiences;
  std::string subject;
  std::string subject_claim;
  std::string description;
  CLI::Option* issuer_opt = nullptr;
  CLI::Option* audiences_opt = nullptr;
  CLI::Option* subject_opt = nullptr;
  CLI::Option* subject_claim_opt = nullptr;
  CLI::Option* description_opt = nullptr;
};

CLI::App* AddCommand(CLI::App& group, const std::string& name, const std::string& help,
                     Options& o, bool policy_id_required) {
  CLI::App* cmd = group.add_subcommand(name, help);
  cmd->add_option("--account-id", o.account_id,
                  "Account id (default: the host's /.well-known/databricks-config)");
  cmd->add_option("--service-principal-id", o.sp_id,
                  "A service principal's SCIM id (default: the account's policies)");
  CLI::Option* id = cmd->add_option("--policy-id", o.policy_id, "The policy's id");
  if (policy_id_required) id->required();
  return cmd;
}

void AddFields(CLI::App* cmd, Options& o) {
  o.issuer_opt = cmd->add_option("--issuer", o.issuer, "Token issuer (iss), an https URL, exact");
  o.audiences_opt = cmd->add_option("--audience", o.audiences,
                                    "Accepted aud (repeatable; default: the account id)");
  o.subject_opt = cmd->add_option("--subject", o.subject,
                                  "Required subject (service principal policies)");
  o.subject_claim_opt = cmd->add_option("--subject-claim", o.subject_claim,
                                        "Claim naming the user (account policies; default sub)");
  o.description_opt = cmd->add_option("--description", o.description, "Description");
}

// The policy body from the options given, and the update_mask naming them.
Json PolicyBody(const Options& o, std::string* mask) {
  Json oidc = Json::object();
  Json body = Json::object();
  std::vector<std::string> fields;
  if (Given(o.issuer_opt)) oidc["issuer"] = o.issuer, fields.push_back("oidc_policy.issuer");
  if (Given(o.audiences_opt)) {
    oidc["audiences"] = o.audiences;
    fields.push_back("oidc_policy.audiences");
  }
  if (Given(o.subject_opt)) oidc["subject"] = o.subject, fields.push_back("oidc_policy.subject");
  if (Given(o.subject_claim_opt)) {
    oidc["subject_claim"] = o.subject_claim;
    fields.push_back("oidc_policy.subject_claim");
  }
  if (Given(o.description_opt)) body["description"] = o.description, fields.push_back("description");
  body["oidc_policy"] = oidc;
  if (mask != nullptr) {
    for (const std::string& f : fields) *mask += (mask->empty() ? "" : ",") + f;
  }
  return body;
}

CliResult<std::string> BasePath(CommandContext& ctx, const Options& o) {
  std::string account = o.account_id;
  if (account.empty()) {
    CliResult<ApiClient*> api = ctx.Workspace();
    if (!api) return std::unexpected(api.error());
    CliResult<Json> meta = (*api)->Get("/.well-known/databricks-config");
    if (!meta) return std::unexpected(meta.error());
    account = meta->value("account_id", std::string());
    if (account.empty()) {
      return Fail(ExitCode::kUsage, "the host names no account_id: pass --account-id");
    }
  }
  std::string path = "/api/2.0/accounts/" + Escape(account);
  if (!o.sp_id.empty()) path += "/servicePrincipals/" + Escape(o.sp_id);
  return path + "/federationPolicies";
}

CliStatus ListAll(CommandContext& ctx, const Options& o) {
  CliResult<std::string> base = BasePath(ctx, o);
  if (!base) return std::unexpected(base.error());
  return ListAllAndPrint(ctx, *base, "policies", TableSpec{"policies", kPolicyColumns});
}

}  // namespace

void AddFederationCommands(CLI::App& root, CommandRegistry& registry) {
  CLI::App* top = AddGroup(root, "federation", "Workload identity federation");
  CLI::App* credentials = AddGroup(*top, "credentials",
                                   "Entra federated identity credentials of an app (needs "
                                   "`latchkey login` as a directory admin)");
  AddFederatedCredentialCommands(*credentials, registry);
  CLI::App* group = AddGroup(
      *top, "policies", "Databricks token federation policies (account or service principal)");

  auto create = std::make_shared<Options>();
  CLI::App* cmd = AddCommand(*group, "create", "Create a policy", *create, false);
  AddFields(cmd, *create);
  create->issuer_opt->required();
  registry.Bind(cmd, [create](CommandContext& ctx) -> CliStatus {
    CliResult<std::string> base = BasePath(ctx, *create);
    if (!base) return std::unexpected(base.error());
    Json body = PolicyBody(*create, nullptr);
    std::string path = *base;
    if (!create->policy_id.empty()) path += "?policy_id=" + Escape(create->policy_id);
    return CallAndPrint(ctx, "POST", path, &body, TableSpec{"", kPolicyColumns});
  });

  auto list = std::make_shared<Options>();
  cmd = AddCommand(*group, "list", "List policies", *list, false);
  registry.Bind(cmd, [list](CommandContext& ctx) { return ListAll(ctx, *list); });

  auto get = std::make_shared<Options>();
  cmd = AddCommand(*group, "get", "Show a policy", *get, true);
  registry.Bind(cmd, [get](CommandContext& ctx) -> CliStatus {
    CliResult<std::string> base = BasePath(ctx, *get);
    if (!base) return std::unexpected(base.error());
    return CallAndPrint(ctx, "GET", *base + "/" + Escape(get->policy_id), nullptr,
                        TableSpec{"", kPolicyColumns});
  });

  auto update = std::make_shared<Options>();
  cmd = AddCommand(*group, "update", "Change the fields given (update_mask)", *update, true);
  AddFields(cmd, *update);
  registry.Bind(cmd, [update](CommandContext& ctx) -> CliStatus {
    CliResult<std::string> base = BasePath(ctx, *update);
    if (!base) return std::unexpected(base.error());
    std::string mask;
    Json body = PolicyBody(*update, &mask);
    if (mask.empty()) return Fail(ExitCode::kUsage, "nothing to update: give a field to change");
    return CallAndPrint(ctx, "PATCH",
                        *base + "/" + Escape(update->policy_id) + "?update_mask=" + Escape(mask),
                        &body, TableSpec{"", kPolicyColumns});
  });

  auto del = std::make_shared<Options>();
  cmd = AddCommand(*group, "delete", "Delete a policy", *del, true);
  registry.Bind(cmd, [del](CommandContext& ctx) -> CliStatus {
    CliResult<std::string> base = BasePath(ctx, *del);
    if (!base) return std::unexpected(base.error());
    return CallAndPrint(ctx, "DELETE", *base + "/" + Escape(del->policy_id));
  });
}

}  // namespace latchkey::cli
