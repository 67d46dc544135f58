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

void AddCommonOptions(CLI::App* cmd, ConfigOverrides& o) {
  cmd->add_option_function<std::string>(
         "--data-dir", [&o](const std::string& v) { o.data_dir = v; },
         "Data directory (mode 0700): database, keys, TLS files, latchkey.toml. "
         "Env: LATCHKEY_DATA_DIR")
      ->type_name("DIR");
  cmd->add_option_function<std::string>(
         "--config", [&o](const std::string& v) { o.config_file = v; },
         "Extra TOML config file read after <data-dir>/latchkey.toml (its values win), e.g. "
         "/etc/latchkey/latchkey.toml. Env: LATCHKEY_CONFIG")
      ->type_name("PATH");
  cmd->add_option("--listen", o.listen,
                  "Listen address, may repeat: HOST:PORT or https://HOST:PORT (TLS), "
                  "http://HOST:PORT (plain HTTP, for use behind a TLS proxy). Port 0 picks a free "
                  "port. Default 127.0.0.1:8443. Env: LATCHKEY_LISTEN (comma-separated)")
      ->type_name("ADDR");
  cmd->add_option_function<std::string>(
         "--database", [&o](const std::string& v) { o.database_url = v; },
         "Database URL: sqlite:PATH (default: sqlite in the data dir) or postgresql://... "
         "Env: LATCHKEY_DATABASE_URL")
      ->type_name("URL");
  cmd->add_option_function<std::string>(
         "--log-format", [&o](const std::string& v) { o.log_format = v; },
         "Log format on stderr: json (default) or text. Env: LATCHKEY_LOG_FORMAT")
      ->check(CLI::IsMember({"json", "text"}));
  cmd->add_option_function<std::string>(
         "--log-level", [&o](const std::string& v) { o.log_level = v; },
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
  ConfigOverrides o;

  auto* init = app.add_subcommand("init", "Create a data dir and print the bootstrap JSON once");
  AddCommonOptions(init, o);
  bool force = false;
  init->add_flag("--force", force, "Replace an existing data dir's latchkey files");

  auto* serve = app.add_subcommand("serve", "Serve a data dir until SIGTERM or SIGINT");
  AddCommonOptions(serve, o);
  serve->add_option_function<std::string>(
           "--ready-file", [&o](const std::string& v) { o.ready_file = v; },
           "Write {\"pid\",\"listeners\"} JSON here once listening (for scripts and tests)")
      ->type_name("PATH");
  serve->add_option_function<std::string>(
           "--metrics-listen", [&o](const std::string& v) { o.metrics_listen = v; },
           "Also serve GET /metrics (Prometheus, no authentication) on this plain-HTTP "
           "HOST:PORT, e.g. 127.0.0.1:9464; \"\" = off (default). Admins can always read "
           "/metrics on the main listeners. Env: LATCHKEY_METRICS_LISTEN")
      ->type_name("ADDR");
  serve->add_option_function<std::string>(
           "--audit-log", [&o](const std::string& v) { o.audit_log = v; },
           "Write the audit stream (JSON lines) to this file, mode 0600, reopened on SIGHUP, "
           "instead of stderr. Env: LATCHKEY_AUDIT_LOG")
      ->type_name("PATH");

  auto* keys = app.add_subcommand("keys", "Signing keys");
  keys->require_subcommand(1);
  auto* rotate = keys->add_subcommand(
      "rotate", "Generate a new signing key; the old one stays published until its tokens expire");
  AddCommonOptions(rotate, o);

  auto* remove = keys->add_subcommand(
      "remove", "Remove a retired signing key now (e.g. compromised): its tokens stop verifying");
  AddCommonOptions(remove, o);
  std::string remove_kid;
  remove->add_option("--kid", remove_kid, "kid of the key to remove")->required();
  auto* list_keys = keys->add_subcommand("list", "List signing keys as JSON");
  AddCommonOptions(list_keys, o);

  auto* migrate = app.add_subcommand(
      "migrate-store",
      "Copy every record of this data dir's database into another, empty one (e.g. SQLite to "
      "PostgreSQL); hashes included, so every token and secret keeps working");
  AddCommonOptions(migrate, o);
  std::string migrate_to;
  migrate->add_option("--to", migrate_to, "Destination database URL, e.g. postgresql://...")
      ->type_name("URL")
      ->required();

  auto* backup = app.add_subcommand(
      "backup",
      "Copy this data dir's SQLite database into a new file (mode 0600) with SQLite's online "
      "backup API; safe while latchkeyd serves. PostgreSQL: use pg_dump (docs/deployment.md)");
  AddCommonOptions(backup, o);
  std::string backup_to;
  backup->add_option("--to", backup_to, "The backup file to create (must not exist)")
      ->type_name("FILE")
      ->required();
  auto* restore = app.add_subcommand(
      "restore",
      "Replace this data dir's SQLite database with a backup. Refused while latchkeyd (or any "
      "latchkeyd command) has the database open: stop the server first");
  AddCommonOptions(restore, o);
  std::string restore_from;
  restore->add_option("--from", restore_from, "The backup file")
      ->type_name("FILE")
      ->required()
      ->check(CLI::ExistingFile);

  auto* tenants = app.add_subcommand("tenants", "Identity-provider tenants");
  tenants->require_subcommand(1);
  auto* tenant_create = tenants->add_subcommand("create", "Create a tenant and print it as JSON");
  AddCommonOptions(tenant_create, o);
  std::string tenant_name;
  tenant_create->add_option("--name", tenant_name, "Tenant name")->required();
  auto* tenant_list = tenants->add_subcommand("list", "List tenants as JSON");
  AddCommonOptions(tenant_list, o);

  auto* recover = app.add_subcommand(
      "recover-admin",
      "Break-glass when no admin can sign in: make a user an active workspace admin (created if "
      "missing), switch PATs back on, and print a PAT for it, valid one day, as JSON. Running "
      "servers: SIGHUP (PostgreSQL replicas are notified at once)");
  AddCommonOptions(recover, o);
  std::string recover_user = "admin@latchkey.local";
  recover->add_option("--user", recover_user, "User name of the admin to restore")
      ->capture_default_str();

  auto* doctor = app.add_subcommand(
      "doctor", "Check the data dir, key files, certificate, listeners and database; print what to fix");
  AddCommonOptions(doctor, o);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  // Only `serve` logs at info; the other commands keep stdout for their JSON and log warnings
  // on stderr.
  if (!serve->parsed()) latchkey::app::ConfigureLogging("text", "warn");

  if (init->parsed()) {
    Config config = LoadOrExit(o);
    auto json = latchkey::app::InitDataDir(
        config, force ? latchkey::app::InitMode::kForce : latchkey::app::InitMode::kRefuseExisting);
    if (!json) return Fail(json.error());
    std::cout << *json << std::endl;
    return 0;
  }
  if (serve->parsed()) {
    return latchkey::app::Serve(LoadOrExit(o), [o] {
      return latchkey::app::LoadConfig(o, latchkey::app::ProcessEnvironment());
    });
  }
  if (doctor->parsed()) {
    auto config = latchkey::app::LoadConfig(o, latchkey::app::ProcessEnvironment());
    if (!config) {
      std::cout << "FAIL  configuration: " << config.error().message
                << " -> fix the setting it names (docs/operations.md, configuration reference)\n";
      return 1;
    }
    latchkey::SystemClock doctor_clock;
    return latchkey::app::RunDoctor(*config, doctor_clock, std::cout);
  }
  if (migrate->parsed()) {
    Config config = LoadOrExit(o);
    auto from = latchkey::store::OpenStore(config.database_url, config.StoreOptions());
    if (!from) return Fail(from.error());
    auto to = latchkey::store::OpenStore(migrate_to, config.StoreOptions());
    if (!to) return Fail(to.error());
    if (auto st = latchkey::store::CopyStore(**from, **to); !st) return Fail(st.error());
    // Never echo the URLs: they may carry a password.
    std::cout << "{\"migrated\":true,\"from\":\"" << (*from)->backend() << "\",\"to\":\""
              << (*to)->backend() << "\"}" << std::endl;
    return 0;
  }

  if (backup->parsed() || restore->parsed()) {
    Config config = LoadOrExit(o);
    constexpr std::string_view kScheme = "sqlite:";
    if (!config.database_url.starts_with(kScheme) || config.database_url == "sqlite::memory:") {
      return Fail({latchkey::ErrorCode::kFailedPrecondition,
                   "backup and restore are for a SQLite database file; for PostgreSQL use pg_dump "
                   "and point-in-time recovery (docs/deployment.md)"});
    }
    const std::string db_path = config.database_url.substr(kScheme.size());
    latchkey::Status done = backup->parsed()
                                ? latchkey::store::sqlite::Backup(db_path, backup_to)
                                : latchkey::store::sqlite::Restore(restore_from, db_path);
    if (!done) return Fail(done.error());
    nlohmann::json out =
        backup->parsed() ? nlohmann::json{{"backup", backup_to}, {"integrity_check", "ok"}}
                         : nlohmann::json{{"restored", restore_from}, {"integrity_check", "ok"}};
    std::cout << out.dump() << std::endl;
    return 0;
  }

  Config config = LoadOrExit(o);
  auto store = latchkey::store::OpenStore(config.database_url, config.StoreOptions());
  if (!store) return Fail(store.error());
  latchkey::SystemClock clock;
  latchkey::crypto::OpenSslRandom random;
  if (rotate->parsed() || remove->parsed() || list_keys->parsed()) {
    auto k = latchkey::keys::SigningKeys::Open(**store, config.KeyDir(), clock,
                                               config.access_token_lifetime * 2);
    if (!k) return Fail(k.error());
    if (rotate->parsed()) {
      auto kid = (*k)->Rotate();
      if (!kid) return Fail(kid.error());
      std::cout << "{\"kid\":\"" << *kid << "\"}" << std::endl;
    } else if (remove->parsed()) {
      if (auto st = (*k)->Remove(remove_kid); !st) return Fail(st.error());
      std::cout << "{\"removed\":\"" << remove_kid << "\"}" << std::endl;
    } else {
      std::cout << (*k)->Jwks().dump() << std::endl;
    }
    std::cerr << "latchkeyd: running servers pick the change up on SIGHUP" << std::endl;
    return 0;
  }
  if (recover->parsed()) {
    auto r = latchkey::workspace::RecoverAdmin(**store, clock, random, recover_user,
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
  latchkey::idp::Directory directory(**store, clock, random);
  if (tenant_create->parsed()) {
    auto t = directory.CreateTenant(tenant_name);
    if (!t) return Fail(t.error());
    std::cout << "{\"tenant_id\":\"" << t->id << "\"}" << std::endl;
    return 0;
  }
  if (tenant_list->parsed()) {
    auto list = (*store)->ListTenants();
    if (!list) return Fail(list.error());
    std::cout << "[";
    for (size_t i = 0; i < list->size(); ++i) {
      std::cout << (i ? "," : "") << "{\"tenant_id\":\"" << (*list)[i].id << "\"}";
    }
    std::cout << "]" << std::endl;
  }
  return 0;
}
