// `latchkey configure`: writes a ~/.databrickscfg profile that the Databricks SDKs and CLIs read
// as well (spec §9.1-§9.3). Secrets never come from the command line: they come from the
// environment variable of their kind, a no-echo prompt on a terminal, or standard input.
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include <CLI/CLI.hpp>

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

CliStatus Configure(CommandContext& ctx, const Options& o) {
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
  CliResult<std::string> host = ResolveHost(ctx, o);
  if (!host) return std::unexpected(host.error());

  std::vector<std::pair<std::string, std::string>> entries{{"host", *host}};
  if (o.oauth_m2m) {
    auto secret = ReadSecretInput(ctx, "DATABRICKS_CLIENT_SECRET", "OAuth secret: ",
                                  "client secret");
    if (!secret) return std::unexpected(secret.error());
    entries.insert(entries.end(), {{"client_id", o.client_id},
                                   {"client_secret", *secret},
                                   {"auth_type", "oauth-m2m"}});
  } else if (o.azure_client_secret) {
    auto secret = ReadSecretInput(ctx, "ARM_CLIENT_SECRET", "Client secret: ", "client secret");
    if (!secret) return std::unexpected(secret.error());
    entries.insert(entries.end(), {{"azure_tenant_id", o.tenant},
                                   {"azure_client_id", o.client_id},
                                   {"azure_client_secret", *secret},
                                   {"auth_type", "azure-client-secret"}});
    if (!o.authority.empty()) {
      CliResult<std::string> authority = NormalizeHost(o.authority);
      if (!authority) return std::unexpected(authority.error());
      entries.emplace_back("azure_login_endpoint", *authority);
    }
  } else if (o.aad_token) {
    auto token = ReadSecretInput(ctx, "DATABRICKS_AAD_TOKEN", "Microsoft Entra ID token: ",
                                 "Entra ID token");
    if (!token) return std::unexpected(token.error());
    entries.emplace_back("token", *token);
  } else {
    auto token = ReadSecretInput(ctx, "DATABRICKS_TOKEN", "Personal access token: ", "token");
    if (!token) return std::unexpected(token.error());
    entries.emplace_back("token", *token);
  }
  if (!o.ca_cert.empty()) {
    std::error_code ec;
    entries.emplace_back("ca_cert", std::filesystem::absolute(o.ca_cert, ec).string());
  }

  const std::string path = ConfigFilePath(ctx.env());
  CliResult<std::optional<std::string>> text = ReadFileIfExists(path);
  if (!text) return std::unexpected(text.error());
  IniFile ini = IniFile::Parse(text->value_or(kNewFile));
  const std::string profile = ProfileName(ctx.env(), ctx.profile_flag());
  // What the user is told: which of the profile's keys were replaced or removed (names only).
  std::vector<std::string> replaced;
  std::vector<std::string> removed;
  for (const auto& [key, value] : entries) {
    if (ini.Get(profile, key)) replaced.push_back(key);
  }
  for (const char* key : kAuthKeys) {
    const bool set_again =
        std::ranges::any_of(entries, [&](const auto& e) { return e.first == key; });
    if (!set_again && ini.Get(profile, key)) removed.emplace_back(key);
    ini.Remove(profile, key);
  }
  for (const auto& [key, value] : entries) ini.Set(profile, key, value);
  struct stat before {};
  const bool existed = text->has_value() && ::stat(path.c_str(), &before) == 0;
  if (auto written = WriteFileAtomically(path, ini.Serialize(), /*holds_secrets=*/true); !written) {
    return written;
  }
  std::vector<std::string> notes;
  auto join = [](const std::vector<std::string>& names, const char* separator = ", ") {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : separator) + n;
    return out;
  };
  if (!existed) notes.push_back("new file, mode 0600");
  if (existed && replaced.empty() && removed.empty()) notes.push_back("new profile");
  if (!replaced.empty()) notes.push_back("replaced: " + join(replaced));
  if (!removed.empty()) notes.push_back("removed: " + join(removed));
  if (existed && (before.st_mode & 077) != 0) {
    char tightened[64];
    std::snprintf(tightened, sizeof tightened, "mode tightened from %04o to %04o",
                  static_cast<unsigned>(before.st_mode & 07777),
                  static_cast<unsigned>(before.st_mode & 07700));
    notes.emplace_back(tightened);
  }
  ctx.err() << "Saved profile " << profile << " in " << path << " (" << join(notes, "; ") << ")\n";
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
