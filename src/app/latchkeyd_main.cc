// latchkeyd: the latchkey server. Subcommands: init, serve, keys rotate|remove|list,
// migrate-store, tenants create|list, recover-admin.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/config.h"
#include "app/doctor.h"
#include "app/init.h"
#include "app/logging.h"
#include "app/serve.h"
#include "base/clock.h"
#include "crypto/openssl_random.h"
#include "idp/directory.h"
#include "keys/signing_keys.h"
#include "store/copy_store.h"
#include "store/sqlite/backup.h"
#include "store/store.h"
#include "workspace/workspace.h"

namespace {

using latchkey::app::Config;
using latchkey::app::ConfigOverrides;

// A string flag that, when given, sets one optional setting.
CLI::Option* AddSetting(CLI::App* cmd, const std::string& name, std::optional<std::string>& setting,
                        const std::string& help) {
  return cmd->add_option_function<std::string>(
      name, [&setting](const std::string& v) { setting = v; }, help);
}

void AddCommonOptions(CLI::App* cmd, ConfigOverrides& o) {
  AddSetting(cmd, "--data-dir", o.data_dir,
             "Data directory (mode 0700): database, keys, TLS files, latchkey.toml. "
             "Env: LATCHKEY_DATA_DIR")
      ->type_name("DIR");
  AddSetting(cmd, "--config", o.config_file,
             "Extra TOML config file read after <data-dir>/latchkey.toml (its values win), e.g. "
             "/etc/latchkey/latchkey.toml. Env: LATCHKEY_CONFIG")
      ->type_name("PATH");
  cmd->add_option("--listen", o.listen,
                  "Listen address, may repeat: HOST:PORT or https://HOST:PORT (TLS), "
                  "http://HOST:PORT (plain HTTP, for use behind a TLS proxy). Port 0 picks a free "
                  "port. Default 127.0.0.1:8443. Env: LATCHKEY_LISTEN (comma-separated)")
      ->type_name("ADDR");
  AddSetting(cmd, "--database", o.database_url,
             "Database URL: sqlite:PATH (default: sqlite in the data dir) or postgresql://... "
             "Env: LATCHKEY_DATABASE_URL")
      ->type_name("URL");
  AddSetting(cmd, "--log-format", o.log_format,
             "Log format on stderr: json (default) or text. Env: LATCHKEY_LOG_FORMAT")
      ->check(CLI::IsMember({"json", "text"}));
  AddSetting(cmd, "--log-level", o.log_level,
             "Log level: trace, debug, info (default), warn, error. Env: LATCHKEY_LOG_LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  cmd->add_option_function<std::string>(
         "--access-log", [&o](const std::string& v) { o.access_log = v == "on"; },
         "One access line per request on stderr: on (default) or off. Env: LATCHKEY_ACCESS_LOG")
      ->check(CLI::IsMember({"on", "off"}));
  cmd->add_option_function<int>(
         "--threads", [&o](int v) { o.threads = v; },
         "Worker threads (0 = one per core). Env: LATCHKEY_THREADS")
      ->check(CLI::Range(0, 256));
}

// A subcommand that reads the configuration (the common options).
CLI::App* AddCommand(CLI::App* parent, ConfigOverrides& o, const std::string& name,
                     const std::string& description) {
  CLI::App* cmd = parent->add_subcommand(name, description);
  AddCommonOptions(cmd, o);
  return cmd;
}

Config LoadOrExit(const ConfigOverrides& o) {
  auto config = latchkey::app::LoadConfig(o, latchkey::app::ProcessEnvironment());
  if (!config) {
    std::fprintf(stderr, "latchkeyd: %s\n", config.error().message.c_str());
    std::exit(2);
  }
  return *config;
}

int Fail(const latchkey::Error& e) {
  std::fprintf(stderr, "latchkeyd: %s\n", e.message.c_str());
  return 1;
}

// The subcommands and their own arguments, as parsed.
struct Commands {
  ConfigOverrides o;
  CLI::App* init = nullptr;
  bool force = false;
  CLI::App* serve = nullptr;
  CLI::App* doctor = nullptr;
  CLI::App* rotate = nullptr;
  CLI::App* remove = nullptr;
  std::string remove_kid;
  CLI::App* list_keys = nullptr;
  CLI::App* migrate = nullptr;
  std::string migrate_to;
  CLI::App* backup = nullptr;
  std::string backup_to;
  CLI::App* restore = nullptr;
  std::string restore_from;
  CLI::App* tenant_create = nullptr;
  std::string tenant_name;
  CLI::App* tenant_list = nullptr;
  CLI::App* recover = nullptr;
  std::string recover_user = "admin@latchkey.local";
};

void AddServerCommands(CLI::App& app, Commands& c) {
  ConfigOverrides& o = c.o;
  c.init = AddCommand(&app, o, "init", "Create a data dir and print the bootstrap JSON once");
  c.init->add_flag("--force", c.force, "Replace an existing data dir's latchkey files");

  c.serve = AddCommand(&app, o, "serve", "Serve a data dir until SIGTERM or SIGINT");
  AddSetting(c.serve, "--ready-file", o.ready_file,
             "Write {\"pid\",\"listeners\"} JSON here once listening (for scripts and tests)")
      ->type_name("PATH");
  AddSetting(c.serve, "--metrics-listen", o.metrics_listen,
             "Also serve GET /metrics (Prometheus, no authentication) on this plain-HTTP "
             "HOST:PORT, e.g. 127.0.0.1:9464; \"\" = off (default). Admins can always read "
             "/metrics on the main listeners. Env: LATCHKEY_METRICS_LISTEN")
      ->type_name("ADDR");
  AddSetting(c.serve, "--audit-log", o.audit_log,
             "Write the audit stream (JSON lines) to this file, mode 0600, reopened on SIGHUP, "
             "instead of stderr. Env: LATCHKEY_AUDIT_LOG")
      ->type_name("PATH");
}

void AddKeysCommands(CLI::App& app, Commands& c) {
  auto* keys = app.add_subcommand("keys", "Signing keys");
  keys->require_subcommand(1);
  c.rotate = AddCommand(
      keys, c.o, "rotate",
      "Generate a new signing key; the old one stays published until its tokens expire");
  c.remove = AddCommand(
      keys, c.o, "remove",
      "Remove a retired signing key now (e.g. compromised): its tokens stop verifying");
  c.remove->add_option("--kid", c.remove_kid, "kid of the key to remove")->required();
  c.list_keys = AddCommand(keys, c.o, "list", "List signing keys as JSON");
}

void AddDatabaseCommands(CLI::App& app, Commands& c) {
  c.migrate = AddCommand(
      &app, c.o, "migrate-store",
      "Copy every record of this data dir's database into another, empty one (e.g. SQLite to "
      "PostgreSQL); hashes included, so every token and secret keeps working");
  c.migrate->add_option("--to", c.migrate_to, "Destination database URL, e.g. postgresql://...")
      ->type_name("URL")
      ->required();
  c.backup = AddCommand(
      &app, c.o, "backup",
      "Copy this data dir's SQLite database into a new file (mode 0600) with SQLite's online "
      "backup API; safe while latchkeyd serves. PostgreSQL: use pg_dump (docs/deployment.md)");
  c.backup->add_option("--to", c.backup_to, "The backup file to create (must not exist)")
      ->type_name("FILE")
      ->required();
  c.restore = AddCommand(
      &app, c.o, "restore",
      "Replace this data dir's SQLite database with a backup. Refused while latchkeyd (or any "
      "latchkeyd command) has the database open: stop the server first");
  c.restore->add_option("--from", c.restore_from, "The backup file")
      ->type_name("FILE")
      ->required()
      ->check(CLI::ExistingFile);
}

void AddAdminCommands(CLI::App& app, Commands& c) {
  auto* tenants = app.add_subcommand("tenants", "Identity-provider tenants");
  tenants->require_subcommand(1);
  c.tenant_create = AddCommand(tenants, c.o, "create", "Create a tenant and print it as JSON");
  c.tenant_create->add_option("--name", c.tenant_name, "Tenant name")->required();
  c.tenant_list = AddCommand(tenants, c.o, "list", "List tenants as JSON");

  c.recover = AddCommand(
      &app, c.o, "recover-admin",
      "Break-glass when no admin can sign in: make a user an active workspace admin (created if "
      "missing), switch PATs back on, and print a PAT for it, valid one day, as JSON. Running "
      "servers: SIGHUP (PostgreSQL replicas are notified at once)");
  c.recover->add_option("--user", c.recover_user, "User name of the admin to restore")
      ->capture_default_str();
  c.doctor = AddCommand(
      &app, c.o, "doctor",
      "Check the data dir, key files, certificate, listeners and database; print what to fix");
}

int RunInit(const Commands& c) {
  Config config = LoadOrExit(c.o);
  auto json = latchkey::app::InitDataDir(
      config, c.force ? latchkey::app::InitMode::kForce : latchkey::app::InitMode::kRefuseExisting);
  if (!json) return Fail(json.error());
  std::cout << *json << std::endl;
  return 0;
}

int RunDoctor(const Commands& c) {
  auto config = latchkey::app::LoadConfig(c.o, latchkey::app::ProcessEnvironment());
  if (!config) {
    std::cout << "FAIL  configuration: " << config.error().message
              << " -> fix the setting it names (docs/operations.md, configuration reference)\n";
    return 1;
  }
  latchkey::SystemClock doctor_clock;
  return latchkey::app::RunDoctor(*config, doctor_clock, std::cout);
}

int RunMigrate(const Commands& c) {
  Config config = LoadOrExit(c.o);
  auto from = latchkey::store::OpenStore(config.database_url, config.StoreOptions());
  if (!from) return Fail(from.error());
  auto to = latchkey::store::OpenStore(c.migrate_to, config.StoreOptions());
  if (!to) return Fail(to.error());
  if (auto st = latchkey::store::CopyStore(**from, **to); !st) return Fail(st.error());
  // Never echo the URLs: they may carry a password.
  std::cout << "{\"migrated\":true,\"from\":\"" << (*from)->backend() << "\",\"to\":\""
            << (*to)->backend() << "\"}" << std::endl;
  return 0;
}

int RunBackupOrRestore(const Commands& c) {
  Config config = LoadOrExit(c.o);
  constexpr std::string_view kScheme = "sqlite:";
  if (!config.database_url.starts_with(kScheme) || config.database_url == "sqlite::memory:") {
    return Fail({latchkey::ErrorCode::kFailedPrecondition,
                 "backup and restore are for a SQLite database file; for PostgreSQL use pg_dump "
                 "and point-in-time recovery (docs/deployment.md)"});
  }
  const std::string db_path = config.database_url.substr(kScheme.size());
  const bool backup = c.backup->parsed();
  latchkey::Status done = backup ? latchkey::store::sqlite::Backup(db_path, c.backup_to)
                                 : latchkey::store::sqlite::Restore(c.restore_from, db_path);
  if (!done) return Fail(done.error());
  nlohmann::json out =
      backup ? nlohmann::json{{"backup", c.backup_to}, {"integrity_check", "ok"}}
             : nlohmann::json{{"restored", c.restore_from}, {"integrity_check", "ok"}};
  std::cout << out.dump() << std::endl;
  return 0;
}

int RunKeys(const Commands& c, latchkey::store::Store& store, const Config& config,
            const latchkey::Clock& clock) {
  auto k = latchkey::keys::SigningKeys::Open(store, config.KeyDir(), clock,
                                             config.access_token_lifetime * 2);
  if (!k) return Fail(k.error());
  if (c.rotate->parsed()) {
    auto kid = (*k)->Rotate();
    if (!kid) return Fail(kid.error());
    std::cout << "{\"kid\":\"" << *kid << "\"}" << std::endl;
  } else if (c.remove->parsed()) {
    if (auto st = (*k)->Remove(c.remove_kid); !st) return Fail(st.error());
    std::cout << "{\"removed\":\"" << c.remove_kid << "\"}" << std::endl;
  } else {
    std::cout << (*k)->Jwks().dump() << std::endl;
  }
  std::cerr << "latchkeyd: running servers pick the change up on SIGHUP" << std::endl;
  return 0;
}

int RunRecover(const Commands& c, latchkey::store::Store& store, const latchkey::Clock& clock,
               latchkey::Random& random) {
  auto r = latchkey::workspace::RecoverAdmin(store, clock, random, c.recover_user,
                                             std::chrono::hours(24));
  if (!r) return Fail(r.error());
  nlohmann::json out = {{"user_name", r->admin_user_name},
                        {"principal_id", r->admin_id},
                        {"created", r->created},
                        {"token", r->admin_token.reveal()},
                        {"expiry_time", latchkey::ToUnixMillis(r->expires_at)}};
  std::cout << out.dump() << std::endl;
  std::cerr << "latchkeyd: running servers pick the change up on SIGHUP" << std::endl;
  return 0;
}

int RunTenants(const Commands& c, latchkey::store::Store& store, const latchkey::Clock& clock,
               latchkey::Random& random) {
  latchkey::idp::Directory directory(store, clock, random);
  if (c.tenant_create->parsed()) {
    auto t = directory.CreateTenant(c.tenant_name);
    if (!t) return Fail(t.error());
    std::cout << "{\"tenant_id\":\"" << t->id << "\"}" << std::endl;
    return 0;
  }
  if (c.tenant_list->parsed()) {
    auto list = store.ListTenants();
    if (!list) return Fail(list.error());
    std::cout << "[";
    for (size_t i = 0; i < list->size(); ++i) {
      std::cout << (i ? "," : "") << "{\"tenant_id\":\"" << (*list)[i].id << "\"}";
    }
    std::cout << "]" << std::endl;
  }
  return 0;
}

// The commands that work on the configured store: keys, recover-admin, tenants.
int RunStoreCommand(const Commands& c) {
  Config config = LoadOrExit(c.o);
  auto store = latchkey::store::OpenStore(config.database_url, config.StoreOptions());
  if (!store) return Fail(store.error());
  latchkey::SystemClock clock;
  latchkey::crypto::OpenSslRandom random;
  if (c.rotate->parsed() || c.remove->parsed() || c.list_keys->parsed()) {
    return RunKeys(c, **store, config, clock);
  }
  if (c.recover->parsed()) return RunRecover(c, **store, clock, random);
  return RunTenants(c, **store, clock, random);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "latchkeyd: a self-hosted token service for machine identities, wire-compatible with "
      "Microsoft Entra ID client credentials and the Azure Databricks token API.\n"
      "Configuration precedence: flags > LATCHKEY_* environment > --config file > "
      "<data-dir>/latchkey.toml > defaults. SIGHUP re-reads the log level and public hosts, "
      "the TLS certificate and the signing keys.",
      "latchkeyd"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "latchkeyd 0.1.0");
  Commands c;
  AddServerCommands(app, c);
  AddKeysCommands(app, c);
  AddDatabaseCommands(app, c);
  AddAdminCommands(app, c);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  // Only `serve` logs at info; the other commands keep stdout for their JSON and log warnings
  // on stderr.
  if (!c.serve->parsed()) latchkey::app::ConfigureLogging("text", "warn");
  if (c.init->parsed()) return RunInit(c);
  if (c.serve->parsed()) {
    return latchkey::app::Serve(LoadOrExit(c.o), [o = c.o] {
      return latchkey::app::LoadConfig(o, latchkey::app::ProcessEnvironment());
    });
  }
  if (c.doctor->parsed()) return RunDoctor(c);
  if (c.migrate->parsed()) return RunMigrate(c);
  if (c.backup->parsed() || c.restore->parsed()) return RunBackupOrRestore(c);
  return RunStoreCommand(c);
}
