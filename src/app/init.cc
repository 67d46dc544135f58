#include "app/init.h"

#include <sys/stat.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/result_macros.h"
#include "base/files.h"
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

// Refuses a non-empty `dir` unless `mode` says to replace it, then removes what init writes.
Status PrepareDataDir(const std::string& dir, InitMode mode) {
  std::error_code ec;
  if (!fs::exists(dir, ec) || fs::is_empty(dir, ec)) return {};
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
  return {};
}

// A local CA and a server certificate for every name a client may use, written to the data dir
// (private keys 0600).
Status WriteTlsFiles(const Config& config, Random& random, const Clock& clock) {
  ASSIGN_OR_RETURN(auto ca, crypto::CreateCaCertificate("latchkey local CA",
                                                        std::chrono::days(3650), random,
                                                        clock.Now()));
  std::vector<std::string> dns, ips;
  CertificateNames(config, dns, ips);
  ASSIGN_OR_RETURN(auto leaf, crypto::IssueServerCertificate(ca, dns, ips, std::chrono::days(825),
                                                             random, clock.Now()));
  RETURN_IF_ERROR(::latchkey::WriteFileAtomic(config.CaCertFile(), ca.cert_pem, 0644));
  RETURN_IF_ERROR(::latchkey::WritePrivateFile(config.data_dir + "/tls/ca.key", ca.key_pem.reveal()));
  RETURN_IF_ERROR(::latchkey::WriteFileAtomic(config.tls_cert_file, leaf.cert_pem, 0644));
  RETURN_IF_ERROR(::latchkey::WritePrivateFile(config.tls_key_file, leaf.key_pem.reveal()));
  return {};
}

// The default tenant, the directory-admin app (Graph admin role) with a secret, and the
// workspace (groups, the admin user and the admin's PAT), as the bootstrap JSON.
Result<std::string> SeedDirectoryAndWorkspace(const Config& config, store::Store& store,
                                              const Clock& clock, Random& random) {
  idp::Directory directory(store, clock, random);
  ASSIGN_OR_RETURN(auto tenant, directory.CreateTenant("latchkey"));
  ASSIGN_OR_RETURN(auto admin_app,
                   directory.CreateApplication(tenant.id, "latchkey-directory-admin", {},
                                               {"Application.ReadWrite.All"}));
  ASSIGN_OR_RETURN(auto admin_secret,
                   directory.AddPassword(admin_app.object_id, "bootstrap", std::nullopt));
  ASSIGN_OR_RETURN(auto ws,
                   workspace::BootstrapWorkspace(store, clock, random, "admin@latchkey.local"));
  const std::string url = AuthorityUrl(config);
  nlohmann::json out = {
      {"authority", url},
      {"tenant_id", tenant.id},
      {"workspace_url", url},
      {"ca_cert", config.CaCertFile()},
      {"admin", {{"user_name", ws.admin_user_name}, {"token", ws.admin_token.reveal()}}},
      {"directory_admin",
       {{"client_id", admin_app.app_id}, {"client_secret", admin_secret.secret_text.reveal()}}},
  };
  return out.dump();
}

}  // namespace

Result<std::string> InitDataDir(Config config, InitMode mode) {
  const std::string dir = config.data_dir;
  RETURN_IF_ERROR(PrepareDataDir(dir, mode));
  if (config.listen.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "at least one --listen address is needed");
  }
  RETURN_IF_ERROR(MakePrivateDir(dir));
  RETURN_IF_ERROR(MakePrivateDir(config.KeyDir()));
  RETURN_IF_ERROR(MakePrivateDir(dir + "/tls"));

  SystemClock clock;
  crypto::OpenSslRandom random;

  // A 16-digit workspace id, like Azure Databricks' adb-<id> hosts.
  config.workspace_id = 1000000000000000 + static_cast<int64_t>(random.Uniform(8999999999999999ULL));
  RETURN_IF_ERROR(::latchkey::WriteFileAtomic(config.ConfigFile(), RenderConfigFile(config), 0600));

  ASSIGN_OR_RETURN(auto store, store::OpenStore(config.database_url, config.StoreOptions()));
  // Creates the first signing key; kept open until the data dir is complete, as before.
  ASSIGN_OR_RETURN(auto keys, keys::SigningKeys::Open(*store, config.KeyDir(), clock,
                                                      config.access_token_lifetime * 2));
  RETURN_IF_ERROR(WriteTlsFiles(config, random, clock));
  return SeedDirectoryAndWorkspace(config, *store, clock, random);
}

}  // namespace latchkey::app
