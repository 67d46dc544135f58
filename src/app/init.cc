#include "app/init.h"

#include <sys/stat.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "crypto/files.h"
#include "crypto/openssl_random.h"
#include "crypto/x509.h"
#include "idp/directory.h"
#include "keys/signing_keys.h"
#include "store/store.h"
#include "workspace/workspace.h"

namespace latchkey::app {
namespace {

namespace fs = std::filesystem;

Status MakePrivateDir(const std::string& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return MakeError(ErrorCode::kUnavailable, "cannot create " + path + ": " + ec.message());
  if (::chmod(path.c_str(), 0700) != 0) {
    return MakeError(ErrorCode::kUnavailable, "cannot set mode 0700 on " + path);
  }
  return Ok();
}

// The names a client may use to reach this server: every listen host, plus loopback names.
void CertificateNames(const Config& c, std::vector<std::string>& dns, std::vector<std::string>& ips) {
  auto add = [](std::vector<std::string>& v, const std::string& s) {
    if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
  };
  add(dns, "localhost");
  add(ips, "127.0.0.1");
  add(ips, "::1");
  for (const auto& l : c.listen) {
    if (l.host == "0.0.0.0" || l.host == "::") continue;
    bool is_ip = l.host.find_first_not_of("0123456789.") == std::string::npos ||
                 l.host.find(':') != std::string::npos;
    add(is_ip ? ips : dns, l.host);
  }
  for (const auto& h : c.public_hosts) {
    std::string host = h.substr(0, h.rfind(':') == std::string::npos ? h.size() : h.rfind(':'));
    add(dns, host);
  }
}

std::string AuthorityUrl(const Config& c) {
  ListenAddress first = c.listen.front();
  if (first.host == "0.0.0.0") first.host = "127.0.0.1";
  if (first.host == "::") first.host = "::1";
  return first.ToString();
}

}  // namespace

Result<std::string> InitDataDir(Config config, InitMode mode) {
  const std::string dir = config.data_dir;
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) {
    if (mode == InitMode::kRefuseExisting) {
      return MakeError(ErrorCode::kAlreadyExists,
                       "data dir " + dir + " already exists and is not empty; "
                       "use `latchkeyd serve --data-dir " + dir +
                       "` to serve it, or `latchkeyd init --force` to replace it");
    }
    for (const char* name : {"latchkey.db", "latchkey.db-wal", "latchkey.db-shm", "latchkey.toml",
                             "keys", "tls", "bootstrap.json"}) {
      fs::remove_all(fs::path(dir) / name, ec);
    }
  }
  if (config.listen.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "at least one --listen address is needed");
  }
  if (auto st = MakePrivateDir(dir); !st) return std::unexpected(st.error());
  if (auto st = MakePrivateDir(config.KeyDir()); !st) return std::unexpected(st.error());
  if (auto st = MakePrivateDir(dir + "/tls"); !st) return std::unexpected(st.error());

  SystemClock clock;
  crypto::OpenSslRandom random;

  // A 16-digit workspace id, like Azure Databricks' adb-<id> hosts.
  config.workspace_id = 1000000000000000 + static_cast<int64_t>(random.Uniform(8999999999999999ULL));
  if (auto st = crypto::WriteFileAtomic(config.ConfigFile(), RenderConfigFile(config), 0600); !st) {
    return std::unexpected(st.error());
  }

  auto store = store::OpenStore(config.database_url, config.StoreOptions());
  if (!store) return std::unexpected(store.error());
  auto keys = keys::SigningKeys::Open(**store, config.KeyDir(), clock,
                                      config.access_token_lifetime * 2);
  if (!keys) return std::unexpected(keys.error());

  // TLS: a local CA and a server certificate for every name a client may use.
  auto ca = crypto::CreateCaCertificate("latchkey local CA", std::chrono::days(3650), random,
                                        clock.Now());
  if (!ca) return std::unexpected(ca.error());
  std::vector<std::string> dns, ips;
  CertificateNames(config, dns, ips);
  auto leaf = crypto::IssueServerCertificate(*ca, dns, ips, std::chrono::days(825), random,
                                             clock.Now());
  if (!leaf) return std::unexpected(leaf.error());
  if (auto st = crypto::WriteFileAtomic(config.CaCertFile(), ca->cert_pem, 0644); !st) {
    return std::unexpected(st.error());
  }
  if (auto st = crypto::WritePrivateFile(dir + "/tls/ca.key", ca->key_pem.reveal()); !st) {
    return std::unexpected(st.error());
  }
  if (auto st = crypto::WriteFileAtomic(config.tls_cert_file, leaf->cert_pem, 0644); !st) {
    return std::unexpected(st.error());
  }
  if (auto st = crypto::WritePrivateFile(config.tls_key_file, leaf->key_pem.reveal()); !st) {
    return std::unexpected(st.error());
  }

  // The directory: the default tenant and the directory-admin app (Graph admin role).
  idp::Directory directory(**store, clock, random);
  auto tenant = directory.CreateTenant("latchkey");
  if (!tenant) return std::unexpected(tenant.error());
  auto admin_app = directory.CreateApplication(tenant->id, "latchkey-directory-admin", {},
                                               {"Application.ReadWrite.All"});
  if (!admin_app) return std::unexpected(admin_app.error());
  auto admin_secret = directory.AddPassword(admin_app->object_id, "bootstrap", std::nullopt);
  if (!admin_secret) return std::unexpected(admin_secret.error());

  // The workspace: groups, the admin user and the admin's PAT.
  auto ws = workspace::BootstrapWorkspace(**store, clock, random, "admin@latchkey.local");
  if (!ws) return std::unexpected(ws.error());

  const std::string url = AuthorityUrl(config);
  nlohmann::json out = {
      {"authority", url},
      {"tenant_id", tenant->id},
      {"workspace_url", url},
      {"ca_cert", config.CaCertFile()},
      {"admin", {{"user_name", ws->admin_user_name}, {"token", ws->admin_token.reveal()}}},
      {"directory_admin",
       {{"client_id", admin_app->app_id}, {"client_secret", admin_secret->secret_text.reveal()}}},
  };
  return out.dump();
}

}  // namespace latchkey::app
