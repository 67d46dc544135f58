#include "app/serve.h"

#include <sys/prctl.h>
#include <sys/stat.h>

#include <atomic>
#include <condition_variable>
#include <thread>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "app/logging.h"
#include "app/own_authorities.h"
#include "base/clock.h"
#include "crypto/files.h"
#include "crypto/openssl_random.h"
#include "http/router.h"
#include "http/server.h"
#include "idp/identity_provider.h"
#include "keys/signing_keys.h"
#include "store/store.h"
#include "web/web_routes.h"
#include "workspace/workspace.h"

namespace latchkey::app {
namespace {

// The data dir holds the database and private keys: refuse to run if others can read it.
Status CheckDataDir(const Config& config) {
  struct stat st {};
  if (::stat(config.data_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "data dir " + config.data_dir + " does not exist; run `latchkeyd init --data-dir " +
                         config.data_dir + "` first");
  }
  if ((st.st_mode & 077) != 0) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "data dir " + config.data_dir + " must have mode 0700 (chmod 700 it)");
  }
  for (const std::string& key : {config.tls_key_file, config.data_dir + "/tls/ca.key"}) {
    if (::stat(key.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
      return MakeError(ErrorCode::kFailedPrecondition, "key file " + key + " must have mode 0600");
    }
  }
  return Ok();
}

// Databricks-style errors under /api/, OAuth-style JSON elsewhere.
http::Response RenderServerError(int status, std::string_view message, std::string_view path) {
  nlohmann::json body;
  if (path.starts_with("/api/")) {
    const char* code = status == 413   ? "REQUEST_TOO_LARGE"
                       : status == 429 ? "REQUEST_LIMIT_EXCEEDED"
                       : status == 503 ? "TEMPORARILY_UNAVAILABLE"
                       : status >= 500 ? "INTERNAL_ERROR"
                                       : "BAD_REQUEST";
    body = {{"error_code", code}, {"message", message}};
  } else {
    body = {{"error", status >= 500 ? "server_error" : "invalid_request"},
            {"error_description", message}};
  }
  return http::Response::Json(status, body.dump());
}

class Housekeeping {
 public:
  explicit Housekeeping(std::function<void()> tick) : tick_(std::move(tick)) {
    thread_ = std::thread([this] {
      std::unique_lock lock(mu_);
      while (!stop_) {
        cv_.wait_for(lock, std::chrono::seconds(30));
        if (stop_) break;
        lock.unlock();
        tick_();
        lock.lock();
      }
    });
  }
  ~Housekeeping() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
    tick_();  // a last flush
  }

 private:
  std::function<void()> tick_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace

int Serve(const Config& config) {
  // No core dumps: memory holds private keys and secrets.
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  ConfigureLogging(config.log_format, config.log_level);

  if (auto st = CheckDataDir(config); !st) {
    spdlog::critical("{}", st.error().message);
    return 1;
  }
  SystemClock clock;
  crypto::OpenSslRandom random;

  auto store = store::OpenStore(config.database_url);
  if (!store) {
    spdlog::critical("cannot open the database: {}", store.error().message);
    return 1;
  }
  auto keys = keys::SigningKeys::Open(**store, config.KeyDir(), clock,
                                      std::max(config.access_token_lifetime,
                                               config.oauth_token_lifetime) * 2);
  if (!keys) {
    spdlog::critical("cannot load signing keys: {}", keys.error().message);
    return 1;
  }

  auto own = std::make_shared<OwnAuthorities>();
  auto is_own = [own](std::string_view authority) { return own->Contains(authority); };

  idp::IdpOptions idp_options;
  idp_options.access_token_lifetime = config.access_token_lifetime;
  idp_options.is_own_authority = is_own;
  idp::IdentityProvider idp(**store, **keys, clock, random, idp_options);

  workspace::WorkspaceOptions ws_options;
  ws_options.workspace_id = config.workspace_id;
  ws_options.entra_audiences = config.databricks_audiences;
  ws_options.entra_issuer_check = [&idp](std::string_view iss) {
    return idp.OwnIssuerTenant(iss).has_value();
  };
  ws_options.entra_keys = keys->get();
  ws_options.signing_keys = keys->get();
  ws_options.is_own_authority = is_own;
  ws_options.pat_quota = config.pat_quota;
  if (config.default_pat_lifetime.count() > 0) {
    ws_options.default_pat_lifetime = config.default_pat_lifetime;
  }
  ws_options.oauth_token_lifetime = config.oauth_token_lifetime;
  workspace::Workspace workspace(**store, clock, random, ws_options);

  // Other replicas rotate keys too: reload when the store says so.
  (*store)->AddChangeListener([&keys](const store::Change& change) {
    if (change.kind == store::ChangeKind::kSigningKeysChanged) {
      if (auto st = (*keys)->Reload(); !st) spdlog::error("key reload failed: {}", st.error().message);
    }
  });

  http::Router router;
  router.Add("GET", "/healthz", [](http::Request&) {
    return http::Response::Json(200, R"({"status":"ok"})");
  });
  router.Add("GET", "/readyz", [&store](http::Request&) {
    auto st = (*store)->Ping();
    if (!st) return http::Response::Json(503, R"({"status":"unavailable","reason":"database"})");
    return http::Response::Json(200, R"({"status":"ok"})");
  });
  idp.RegisterRoutes(router);
  workspace.RegisterRoutes(router);
  web::RegisterWebRoutes(router);

  http::ServerOptions options;
  for (const auto& l : config.listen) options.listeners.push_back({l.host, l.port, l.tls});
  options.threads = config.threads;
  options.max_body_bytes = config.max_body_bytes;
  options.header_timeout = config.header_timeout;
  options.idle_timeout = config.idle_timeout;
  options.max_connections_per_ip = config.max_connections_per_ip;
  options.tls_cert_file = config.tls_cert_file;
  options.tls_key_file = config.tls_key_file;
  options.error_renderer = RenderServerError;
  options.access_log = LogAccess;

  http::Server server(options, [&router](http::Request& r) { return router.Dispatch(r); });
  if (auto st = server.Start(); !st) {
    spdlog::critical("cannot start the server: {}", st.error().message);
    return 1;
  }
  std::vector<uint16_t> ports = server.BoundPorts();
  nlohmann::json listeners = nlohmann::json::array();
  for (size_t i = 0; i < config.listen.size(); ++i) {
    own->Add(config.listen[i], ports[i]);
    ListenAddress bound = config.listen[i];
    bound.port = ports[i];
    if (bound.host == "0.0.0.0") bound.host = "127.0.0.1";
    listeners.push_back(bound.ToString());
  }
  for (const auto& h : config.public_hosts) own->AddPublicHost(h);
  if (!config.ready_file.empty()) {
    nlohmann::json ready = {{"pid", ::getpid()}, {"listeners", listeners}};
    if (auto st = crypto::WriteFileAtomic(config.ready_file, ready.dump() + "\n", 0644); !st) {
      spdlog::critical("cannot write the ready file: {}", st.error().message);
      return 1;
    }
  }
  server.HandleSignals([&server, &keys, &workspace] {
    if (auto st = (*keys)->Reload(); !st) {
      spdlog::error("signing key reload failed: {}", st.error().message);
    } else {
      workspace.FlushAuthCaches();
      spdlog::info("signing keys reloaded, current kid {}", (*keys)->current_kid());
    }
    if (auto st = server.ReloadTls(); !st) {
      spdlog::error("TLS reload failed, keeping the old certificate: {}", st.error().message);
    } else {
      spdlog::info("TLS certificate reloaded");
    }
  });
  spdlog::info("latchkeyd serving {} on {} ({} store)", config.data_dir, listeners.dump(),
               (*store)->backend());
  {
    Housekeeping housekeeping([&] {
      workspace.FlushLastUsed();
      if (auto st = (*keys)->Prune(); !st) spdlog::warn("key prune failed: {}", st.error().message);
    });
    server.Run();
  }
  spdlog::info("latchkeyd stopped");
  return 0;
}

}  // namespace latchkey::app
