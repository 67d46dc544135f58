// `latchkey configure`: writes a ~/.databrickscfg profile that the Databricks SDKs and CLIs read
// as well (spec §9.1-§9.3). Secrets never come from the command line: they come from the
// environment variable of their kind, a no-echo prompt on a terminal, or standard input.
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include <CLI/CLI.hpp>

#include "base/result_macros.h"
#include "cli/command.h"
#include "cli/file_io.h"
#include "cli/ini.h"

namespace latchkey::cli {
namespace {

// Keys that carry or select credentials: cleared before a profile gets new ones, so that the
// profile never mixes two auth types (the Python SDK refuses such profiles).
constexpr const char* kAuthKeys[] = {"token",           "client_id",         "client_secret",
                                     "azure_tenant_id", "azure_client_id",   "azure_client_secret",
                                     "auth_type",       "azure_login_endpoint", "username",
                                     "password"};

// What the Databricks CLI writes into a new file (spec §9.2).
constexpr const char* kNewFile =
    "; The profile defined in the DEFAULT section is to be used as a fallback when no profile is "
    "explicitly specified.\n[DEFAULT]\n";

struct Options {
  bool token = false;
  bool aad_token = false;
  bool oauth_m2m = false;
  bool azure_client_secret = false;
  std::string host;
  std::string client_id;
  std::string tenant;
  std::string authority;
  std::string ca_cert;
};

CliResult<std::string> ResolveHost(CommandContext& ctx, const Options& o) {
  std::string host = o.host;
  if (host.empty()) host = EnvValue(ctx.env(), "DATABRICKS_HOST").value_or("");
  if (host.empty() && ctx.terminal().IsInteractive()) {
    host = ctx.terminal().ReadLine("Databricks host (https://...): ");
  }
  if (host.empty()) return Fail(ExitCode::kUsage, "no host: pass --host URL");
  return NormalizeHost(host);
}

using Entries = std::vector<std::pair<std::string, std::string>>;

CliStatus CheckModes(const Options& o) {
  const int modes = o.token + o.aad_token + o.oauth_m2m + o.azure_client_secret;
  if (modes > 1) {
    return Fail(ExitCode::kUsage,
                "choose one of --token, --aad-token, --oauth-m2m, --azure-client-secret");
  }
  if ((o.oauth_m2m || o.azure_client_secret) && o.client_id.empty()) {
    return Fail(ExitCode::kUsage, "--client-id is required with --oauth-m2m and "
                                  "--azure-client-secret");
  }
  if (o.azure_client_secret && o.tenant.empty()) {
    return Fail(ExitCode::kUsage, "--tenant is required with --azure-client-secret");
  }
  return {};
}

// The profile's keys for the chosen mode, the secret read as the file header says.
CliResult<Entries> ProfileEntries(CommandContext& ctx, const Options& o, std::string host) {
  Entries entries{{"host", std::move(host)}};
  if (o.oauth_m2m) {
    ASSIGN_OR_RETURN(std::string secret, ReadSecretInput(ctx, "DATABRICKS_CLIENT_SECRET",
                                                         "OAuth secret: ", "client secret"));
    entries.insert(entries.end(), {{"client_id", o.client_id},
                                   {"client_secret", secret},
                                   {"auth_type", "oauth-m2m"}});
  } else if (o.azure_client_secret) {
    ASSIGN_OR_RETURN(std::string secret, ReadSecretInput(ctx, "ARM_CLIENT_SECRET",
                                                         "Client secret: ", "client secret"));
    entries.insert(entries.end(), {{"azure_tenant_id", o.tenant},
                                   {"azure_client_id", o.client_id},
                                   {"azure_client_secret", secret},
                                   {"auth_type", "azure-client-secret"}});
    if (!o.authority.empty()) {
      ASSIGN_OR_RETURN(std::string authority, NormalizeHost(o.authority));
      entries.emplace_back("azure_login_endpoint", authority);
    }
  } else if (o.aad_token) {
    ASSIGN_OR_RETURN(std::string token, ReadSecretInput(ctx, "DATABRICKS_AAD_TOKEN",
                                                        "Microsoft Entra ID token: ",
                                                        "Entra ID token"));
    entries.emplace_back("token", token);
  } else {
    ASSIGN_OR_RETURN(std::string token, ReadSecretInput(ctx, "DATABRICKS_TOKEN",
                                                        "Personal access token: ", "token"));
    entries.emplace_back("token", token);
  }
  if (!o.ca_cert.empty()) {
    std::error_code ec;
    entries.emplace_back("ca_cert", std::filesystem::absolute(o.ca_cert, ec).string());
  }
  return entries;
}

// What the user is told: which of the profile's keys were replaced or removed (names only).
struct Changes {
  std::vector<std::string> replaced;
  std::vector<std::string> removed;
};

// Sets the profile's entries; every other credential key of the profile is removed.
Changes SetProfile(IniFile& ini, const std::string& profile, const Entries& entries) {
  Changes changes;
  for (const auto& [key, value] : entries) {
    if (ini.Get(profile, key)) changes.replaced.push_back(key);
  }
  for (const char* key : kAuthKeys) {
    const bool set_again =
        std::ranges::any_of(entries, [&](const auto& e) { return e.first == key; });
    if (!set_again && ini.Get(profile, key)) changes.removed.emplace_back(key);
    ini.Remove(profile, key);
  }
  for (const auto& [key, value] : entries) ini.Set(profile, key, value);
  return changes;
}

// "new file, mode 0600", "replaced: ...", "mode tightened from ..." and so on.
std::string SaveNotes(bool existed, mode_t before, const Changes& changes) {
  std::vector<std::string> notes;
  auto join = [](const std::vector<std::string>& names, const char* separator = ", ") {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : separator) + n;
    return out;
  };
  if (!existed) notes.push_back("new file, mode 0600");
  if (existed && changes.replaced.empty() && changes.removed.empty()) notes.push_back("new profile");
  if (!changes.replaced.empty()) notes.push_back("replaced: " + join(changes.replaced));
  if (!changes.removed.empty()) notes.push_back("removed: " + join(changes.removed));
  if (existed && (before & 077) != 0) {
    char tightened[64];
    std::snprintf(tightened, sizeof tightened, "mode tightened from %04o to %04o",
                  static_cast<unsigned>(before & 07777), static_cast<unsigned>(before & 07700));
    notes.emplace_back(tightened);
  }
  return join(notes, "; ");
}

CliStatus Configure(CommandContext& ctx, const Options& o) {
  RETURN_IF_ERROR(CheckModes(o));
  ASSIGN_OR_RETURN(std::string host, ResolveHost(ctx, o));
  ASSIGN_OR_RETURN(Entries entries, ProfileEntries(ctx, o, std::move(host)));

  const std::string path = ConfigFilePath(ctx.env());
  ASSIGN_OR_RETURN(std::optional<std::string> text, ReadFileIfExists(path));
  IniFile ini = IniFile::Parse(text.value_or(kNewFile));
  const std::string profile = ProfileName(ctx.env(), ctx.profile_flag());
  const Changes changes = SetProfile(ini, profile, entries);
  struct stat before {};
  const bool existed = text.has_value() && ::stat(path.c_str(), &before) == 0;
  RETURN_IF_ERROR(WriteFileAtomically(path, ini.Serialize(), /*holds_secrets=*/true));
  ctx.err() << "Saved profile " << profile << " in " << path << " ("
            << SaveNotes(existed, before.st_mode, changes) << ")\n";
  return {};
}

}  // namespace

void AddConfigureCommand(CLI::App& root, CommandRegistry& registry) {
  auto o = std::make_shared<Options>();
  CLI::App* cmd = root.add_subcommand(
      "configure",
      "Write a profile of ~/.databrickscfg (or DATABRICKS_CONFIG_FILE); other profiles and "
      "comments are kept, the file gets mode 0600 (a group- or world-readable one is "
      "tightened), and it says which keys it replaced. Secrets come from the environment "
      "variable named below, else a no-echo prompt on a terminal, else standard input.");
  cmd->add_flag("--token", o->token, "A PAT from DATABRICKS_TOKEN (the default mode)");
  cmd->add_flag("--aad-token", o->aad_token,
                "A Microsoft Entra ID token from DATABRICKS_AAD_TOKEN (saved as token)");
  cmd->add_flag("--oauth-m2m", o->oauth_m2m,
                "Databricks OAuth M2M: --client-id, secret from DATABRICKS_CLIENT_SECRET");
  cmd->add_flag("--azure-client-secret", o->azure_client_secret,
                "Entra client credentials: --tenant, --client-id, secret from ARM_CLIENT_SECRET");
  cmd->add_option("--host", o->host, "Workspace URL, e.g. https://127.0.0.1:8443 (port kept)");
  cmd->add_option("--client-id", o->client_id, "Client (application) id");
  cmd->add_option("--tenant", o->tenant, "Entra tenant id (--azure-client-secret)");
  cmd->add_option("--authority", o->authority,
                  "Entra authority URL (--azure-client-secret; default: the host)");
  cmd->add_option("--ca-cert", o->ca_cert, "CA certificate (PEM) to trust for this profile");
  registry.Bind(cmd, [o](CommandContext& ctx) { return Configure(ctx, *o); });
}

}  // namespace latchkey::cli
