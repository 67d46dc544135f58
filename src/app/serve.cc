#include "app/serve.h"

#include <malloc.h>
#include <sys/prctl.h>
#include <sys/stat.h>


#include <curl/curl.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "app/app_routes.h"
#include "app/instrumented_store.h"
#include "app/logging.h"
#include "app/outage_guard.h"
#include "app/periodic.h"
#include "app/own_authorities.h"
#include "app/readiness.h"
#include "auth/bearer_gate.h"
#include "base/clock.h"
#include "base/files.h"
#include "base/result_macros.h"
#include "crypto/openssl_random.h"
#include "http/router.h"
#include "http/server.h"
#include "idp/https_client.h"
#include "idp/identity_provider.h"
#include "idp/trusted_issuers.h"
#include "keys/signing_keys.h"
#include "metrics/metrics_routes.h"
#include "metrics/service_metrics.h"
#include "sso/relying_party.h"
#include "store/postgres/postgres_store.h"
#include "store/store.h"
#include "workspace/audit.h"
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

// Gauges read at scrape time, and build info. Everything referenced outlives the registry's
// last scrape (both live until Serve returns, the server stopped first).
void RegisterRuntimeMetrics(metrics::Registry& registry, const http::Server& server,
                            const workspace::Workspace& workspace, const store::Store& store) {
  const std::string backend = store.backend();
  registry.Callback("latchkey_build_info", "Build and runtime information; always 1.", "gauge",
                    {"version", "backend"})
      .Add({LATCHKEY_VERSION, backend}, [] { return 1.0; });
  registry.Callback("latchkey_open_connections", "Open client connections.", "gauge")
      .Add({}, [&server] { return static_cast<double>(server.Stats().open_connections); });
  registry
      .Callback("latchkey_rejected_connections_total",
                "Connections closed at accept: over the total or per-address limit.", "counter")
      .Add({}, [&server] { return static_cast<double>(server.Stats().rejected_connections); });
  registry
      .Callback("latchkey_tls_handshake_failures_total", "Failed TLS handshakes.", "counter")
      .Add({}, [&server] { return static_cast<double>(server.Stats().failed_tls_handshakes); });
  auto& pool = registry.Callback(
      "latchkey_db_pool_connections",
      "Database connections by state: size (the pool's capacity), in_use (lent out now), "
      "waiting (callers waiting for one).",
      "gauge", {"state"});
  pool.Add({"size"}, [&store] { return static_cast<double>(store.pool_usage().size); });
  pool.Add({"in_use"}, [&store] { return static_cast<double>(store.pool_usage().in_use); });
  pool.Add({"waiting"}, [&store] { return static_cast<double>(store.pool_usage().waiting); });
  auto& entries = registry.Callback("latchkey_auth_cache_entries",
                                    "Entries in the authentication caches, by cache.", "gauge",
                                    {"cache"});
  entries.Add({"pat"}, [&workspace] { return static_cast<double>(workspace.CacheSizes().pats); });
  entries.Add({"jwt"}, [&workspace] { return static_cast<double>(workspace.CacheSizes().jwts); });
}

// SIGHUP: the log level and the public host names take effect at once; every other setting
// needs a restart, and a change to one is logged as such (docs/operations.md, "Reload").
void ApplyReloadableSettings(Config& running, const Config& next, OwnAuthorities& own) {
  if (next.log_level != running.log_level) {
    SetLogLevel(next.log_level);
    spdlog::info("config reload: log level {} -> {}", running.log_level, next.log_level);
    running.log_level = next.log_level;
  }
  if (next.public_hosts != running.public_hosts) {
    own.SetPublicHosts(next.public_hosts);
    spdlog::info("config reload: {} public host(s)", next.public_hosts.size());
    running.public_hosts = next.public_hosts;
  }
  auto listen_text = [](const Config& c) {
    std::string s;
    for (const auto& l : c.listen) s += l.ToString() + " ";
    if (c.metrics_listen) s += "metrics=" + c.metrics_listen->ToString();
    return s;
  };
  const std::pair<const char*, bool> restart_only[] = {
      {"listen / metrics listen", listen_text(next) != listen_text(running)},
      {"database url", next.database_url != running.database_url},
      {"database timeouts", next.database_statement_timeout != running.database_statement_timeout ||
                                next.database_tcp_user_timeout != running.database_tcp_user_timeout},
      {"public url", next.public_url != running.public_url},
      {"audit retention", next.audit_retention != running.audit_retention ||
                              next.audit_max_rows != running.audit_max_rows ||
                              next.audit_failures_per_minute != running.audit_failures_per_minute},
      {"threads", next.threads != running.threads},
      {"log format", next.log_format != running.log_format},
      {"audit log file", next.audit_log != running.audit_log},
      {"TLS file paths", next.tls_cert_file != running.tls_cert_file ||
                             next.tls_key_file != running.tls_key_file},
      {"token lifetimes", next.access_token_lifetime != running.access_token_lifetime ||
                              next.oauth_token_lifetime != running.oauth_token_lifetime ||
                              next.default_pat_lifetime != running.default_pat_lifetime},
      {"workspace settings", next.workspace_id != running.workspace_id ||
                                 next.pat_quota != running.pat_quota ||
                                 next.databricks_audiences != running.databricks_audiences},
      {"server limits", next.max_body_bytes != running.max_body_bytes ||
                            next.header_timeout != running.header_timeout ||
                            next.idle_timeout != running.idle_timeout ||
                            next.body_timeout != running.body_timeout ||
                            next.request_timeout != running.request_timeout ||
                            next.store_threads != running.store_threads ||
                            next.store_queue != running.store_queue ||
                            next.store_queue_bytes != running.store_queue_bytes ||
                            next.max_connections_per_ip != running.max_connections_per_ip},
  };
  for (const auto& [what, changed] : restart_only) {
    if (changed) spdlog::warn("config reload: {} changed; restart latchkeyd to apply", what);
  }
}

// Audit retention ([audit] retention_days, max_rows): run by the housekeeping thread; each
// run costs about the rows it deletes.
void PurgeAudit(store::Store& db, const Config& config, const Clock& clock) {
  Result<int64_t> purged = db.PurgeAudit(clock.Now() - config.audit_retention, config.audit_max_rows);
  if (!purged) {
    spdlog::warn("event=audit_purge_failed error=\"{}\"", purged.error().message);
  } else if (*purged > 0) {
    spdlog::info("event=audit_purged rows={}", *purged);
  }
}

// Serve's periodic chores, every 30 s, and a last run once the server has stopped.
class Housekeeping {
 public:
  explicit Housekeeping(std::function<void()> tick) : tick_(std::move(tick)) {
    periodic_.Start(std::chrono::seconds(30), tick_, /*run_first=*/false);
  }
  ~Housekeeping() {
    periodic_.Stop();
    tick_();  // a last flush
  }

 private:
  std::function<void()> tick_;
  Periodic periodic_;
};

// The steps of Serve, in the order it takes them.

// Logs a fatal start-up error and gives Serve's exit code.
int Fail(std::string_view what, const Error& error) {
  if (what.empty()) {
    spdlog::critical("{}", error.message);
  } else {
    spdlog::critical("{}: {}", what, error.message);
  }
  return 1;
}

// No core dumps (memory holds private keys and secrets), logging and the audit log file, and
// a data dir only we can read.
Status PrepareProcess(const Config& config) {
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  // Blocks of 128 KiB and more (large request bodies) are mapped and unmapped, never kept in a
  // thread's arena: glibc's default raises this threshold to the largest block freed, and then
  // every worker and store thread may keep a few MiB of client-sized garbage (RSS bound test in
  // e2e_lockout_and_bounds).
  ::mallopt(M_MMAP_THRESHOLD, 128 * 1024);
  ConfigureLogging(config.log_format, config.log_level);
  if (!config.audit_log.empty()) RETURN_IF_ERROR(OpenAuditLog(config.audit_log));
  return CheckDataDir(config);
}

// Workload identity federation (idp/federation.h): external issuers named by federated
// identity credentials, fetched over HTTPS within [federation]'s limits on threads of their
// own. Null when [federation] is off.
std::unique_ptr<idp::FederationKeys> StartFederationKeys(const FederationConfig& fed,
                                                         const idp::FederationOptions& options) {
  if (!fed.enabled) return nullptr;
  curl_global_init(CURL_GLOBAL_DEFAULT);  // before any fetch thread starts
  const idp::HttpsLimits limits{fed.fetch_timeout, fed.max_document_bytes};
  return std::make_unique<idp::FederationKeys>(
      [ca = fed.ca_file, limits](const std::string& url) { return idp::HttpsGet(url, ca, limits); },
      options);
}

// Warms the key cache for every registered issuer, so the first exchange waits for nothing:
// those of the applications' federated credentials and those every Databricks federation
// policy names (the account's and each service principal's).
void PrefetchRegisteredIssuers(store::Store& db, idp::FederationKeys& federation_keys) {
  size_t issuers = 0;
  auto prefetch = [&](const std::string& issuer) {
    federation_keys.Prefetch(issuer);
    ++issuers;
  };
  if (auto tenants = db.ListTenants()) {
    for (const auto& t : *tenants) {
      auto apps = db.ListApplications(t.id);
      if (!apps) continue;
      for (const auto& app : *apps) {
        auto creds = db.ListFederatedCredentials(app.object_id);
        if (!creds) continue;
        for (const auto& c : *creds) prefetch(c.issuer);
      }
    }
  }
  std::vector<int64_t> owners{0};
  if (auto sps = db.ListPrincipals(store::PrincipalKind::kServicePrincipal)) {
    for (const auto& sp : *sps) owners.push_back(sp.id);
  }
  for (int64_t owner : owners) {
    auto policies = db.ListFederationPolicies(owner);
    if (!policies) continue;
    for (const auto& p : *policies) prefetch(p.issuer);
  }
  if (issuers > 0) spdlog::info("federation: fetching keys of {} registered issuer(s)", issuers);
}

// The identity provider's settings; its exchanges are audited like the workspace's events.
idp::IdpOptions MakeIdpOptions(const Config& config, std::function<bool(std::string_view)> is_own,
                               metrics::ServiceMetrics& metrics, workspace::AuditLog& idp_audit) {
  idp::IdpOptions options;
  options.access_token_lifetime = config.access_token_lifetime;
  options.is_own_authority = std::move(is_own);
  options.metrics = &metrics;
  const FederationConfig& fed = config.federation;
  options.federation.keys_ttl = fed.keys_ttl;
  options.federation.refetch_interval = fed.refetch_interval;
  options.federation.request_wait = fed.request_wait;
  options.federation.max_assertion_lifetime = fed.max_token_lifetime;
  options.federation.skew = fed.skew;
  options.audit_committed = [&idp_audit](const store::AuditEvent& e) { idp_audit.Committed(e); };
  options.audit = [&idp_audit](idp::IdpAuditEvent e) {
    if (e.failure) {
      idp_audit.RecordFailure(std::move(e.actor), std::move(e.action), std::move(e.target),
                              std::move(e.detail), std::move(e.remote_address));
    } else {
      idp_audit.Record(std::move(e.actor), std::move(e.action), std::move(e.target),
                       std::move(e.detail), std::move(e.remote_address));
    }
  };
  return options;
}

// Entra tokens: latchkey's own tenants (signed by our keys) and configured external issuers
// (signed by theirs); a token verifies only with the keys of the issuer it names.
void TrustEntraIssuers(workspace::WorkspaceOptions& options, idp::IdentityProvider& idp,
                       const idp::TrustedIssuers& trusted, const keys::SigningKeys& own_keys) {
  options.entra_issuer_check = [&idp, &trusted](std::string_view iss) {
    return idp.OwnIssuerTenant(iss).has_value() || trusted.KeysFor(iss) != nullptr;
  };
  options.entra_keys_for_issuer = [&idp, &trusted,
                                   &own_keys](std::string_view iss) -> const jose::KeySource* {
    if (idp.OwnIssuerTenant(iss)) return &own_keys;
    return trusted.KeysFor(iss);
  };
  options.issuer_binding = [&idp, &trusted](std::string_view iss) {
    auth::IssuerBinding binding;
    if (std::optional<std::string> tenant = idp.OwnIssuerTenant(iss)) {
      binding.own_tenant = std::move(*tenant);
      binding.users = false;  // latchkey's identity provider signs no user tokens
      return binding;
    }
    return trusted.BindingFor(iss);
  };
}

// The workspace's settings, but for the Entra issuers (TrustEntraIssuers) and U2M (StartSso).
workspace::WorkspaceOptions MakeWorkspaceOptions(const Config& config,
                                                 idp::FederationKeys* federation_keys,
                                                 keys::SigningKeys& signing_keys,
                                                 std::shared_ptr<OwnAuthorities> own,
                                                 metrics::ServiceMetrics& metrics) {
  workspace::WorkspaceOptions options;
  options.workspace_id = config.workspace_id;
  // Databricks token federation shares the identity provider's external-issuer keys.
  options.federation_keys = federation_keys;
  options.federation_skew = config.federation.skew;
  options.federation_max_token_lifetime = config.federation.max_token_lifetime;
  options.entra_audiences = config.databricks_audiences;
  options.signing_keys = &signing_keys;
  options.is_own_authority = [own](std::string_view authority) { return own->Contains(authority); };
  options.public_url = [own] { return own->PublicUrl(); };
  options.pat_quota = config.pat_quota;
  if (config.default_pat_lifetime.count() > 0) {
    options.default_pat_lifetime = config.default_pat_lifetime;
  }
  options.oauth_token_lifetime = config.oauth_token_lifetime;
  options.metrics = &metrics;
  options.audit_sink = LogAudit;
  options.audit_failures_per_minute = config.audit_failures_per_minute;
  options.web = {.idle_timeout = config.web.session_idle_timeout,
                 .absolute_timeout = config.web.session_absolute_timeout,
                 .max_per_user = config.web.max_sessions_per_user,
                 .pat_sign_in = config.web.pat_sign_in};
  return options;
}

// Other replicas (and, on SQLite, `latchkeyd keys remove`) change keys too: reload when the
// store says so. Registered before the workspace's listener, so the keys are reloaded before
// its verified-JWT cache is cleared: a token signed by a removed key cannot be re-verified
// with the old keys and cached again in between.
store::ChangeSubscription ReloadKeysOnChange(store::Store& db, keys::SigningKeys& keys) {
  return db.AddChangeListener([live = &keys](const store::Change& change) {
    if (change.kind != store::ChangeKind::kSigningKeysChanged) return;
    if (auto st = live->Reload(); !st) spdlog::error("key reload failed: {}", st.error().message);
  });
}

// Upstream sign-in providers (issue 24): their keys through a FederationKeys of their own
// (the [sso] CA and limits), discovery and the code exchange over bounded HTTPS.
struct Sso {
  std::unique_ptr<idp::FederationKeys> keys;
  std::unique_ptr<sso::RelyingParty> relying_party;
};

// The [sso] providers, each with its client secret read from its file.
Result<std::vector<sso::ProviderConfig>> SsoProviders(const SsoConfig& sc) {
  std::vector<sso::ProviderConfig> providers;
  for (const SsoProviderConfig& p : sc.providers) {
    Result<std::string> secret = ::latchkey::ReadFile(p.client_secret_file);
    if (!secret) {
      return MakeError(secret.error().code, "sso provider " + p.id +
                                                ": cannot read client_secret_file: " +
                                                secret.error().message);
    }
    std::string s = std::move(*secret);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    providers.push_back({.id = p.id, .display_name = p.display_name, .issuer = p.issuer,
                         .client_id = p.client_id, .client_secret = std::move(s),
                         .scopes = p.scopes, .username_claim = p.username_claim,
                         .groups_claim = p.groups_claim, .allowed_domains = p.allowed_domains,
                         .allowed_groups = p.allowed_groups, .admin_group = p.admin_group,
                         .jit_provisioning = p.jit_provisioning});
  }
  return providers;
}

// Starts the relying party when [sso] names providers and turns Databricks U2M on.
Result<Sso> StartSso(const SsoConfig& sc, store::Store& db, const Clock& clock,
                     Random& random, workspace::WorkspaceOptions& ws_options) {
  Sso sso;
  if (sc.providers.empty()) return sso;
  ASSIGN_OR_RETURN(std::vector<sso::ProviderConfig> providers, SsoProviders(sc));
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const idp::HttpsLimits limits{sc.fetch_timeout, sc.max_document_bytes};
  idp::FederationOptions key_options;
  key_options.skew = sc.skew;
  sso.keys = std::make_unique<idp::FederationKeys>(
      [ca = sc.ca_file, limits](const std::string& url) { return idp::HttpsGet(url, ca, limits); },
      key_options);
  for (const sso::ProviderConfig& p : providers) sso.keys->Prefetch(p.issuer);
  sso.relying_party = std::make_unique<sso::RelyingParty>(
      std::move(providers),
      sso::RelyingParty::Deps{
          db, clock, random,
          [ca = sc.ca_file, limits](const std::string& url) { return idp::HttpsGet(url, ca, limits); },
          [ca = sc.ca_file, limits](const std::string& url, const std::string& form,
                                    const std::string& authorization) -> Result<sso::PostAnswer> {
            ASSIGN_OR_RETURN(idp::HttpsAnswer a, idp::HttpsPostForm(url, form, authorization, ca, limits));
            return sso::PostAnswer{a.status, std::move(a.body)};
          },
          [keys = sso.keys.get()](const std::string& issuer,
                                  const std::string& kid) -> Result<sso::UpstreamKey> {
            idp::FederationKeys::Lookup found = keys->Find(issuer, kid);
            if (found.outcome == idp::FederationKeys::Outcome::kFound) {
              return sso::UpstreamKey{found.key.rsa, found.key.ec};
            }
            return MakeError(found.outcome == idp::FederationKeys::Outcome::kUnknownKid
                                 ? ErrorCode::kNotFound
                                 : ErrorCode::kUnavailable,
                             found.detail);
          }},
      sso::RelyingPartyOptions{.state_ttl = sc.state_ttl,
                               .max_pending_bytes = sc.max_pending_bytes,
                               .skew = sc.skew});
  ws_options.u2m.relying_party = sso.relying_party.get();
  ws_options.u2m.redirect_uris = sc.redirect_uris;
  ws_options.u2m.refresh_token_lifetime = sc.refresh_token_lifetime;
  spdlog::info("sso: {} upstream provider(s); Databricks U2M is on", sc.providers.size());
  return sso;
}

// The optional metrics listener: plain HTTP, no authentication, nothing but these two.
void AddMetricsRoutes(http::Router& router, metrics::Registry& registry) {
  router.Add("GET", "/metrics", [&registry](http::Request&) { return metrics::MetricsResponse(registry); });
  router.Add("GET", "/healthz", [](http::Request&) {
    return http::Response::Json(200, R"({"status":"ok"})");
  });
}

// The listeners (the metrics one last) and the server's limits.
Result<http::ServerOptions> MakeServerOptions(const Config& config,
                                              metrics::ServiceMetrics& metrics) {
  http::ServerOptions options;
  for (const auto& l : config.listen) options.listeners.push_back({l.host, l.port, l.tls});
  options.threads = config.threads;
  options.max_body_bytes = config.max_body_bytes;
  options.header_timeout = config.header_timeout;
  options.idle_timeout = config.idle_timeout;
  options.body_timeout = config.body_timeout;
  // Store calls leave the I/O threads (http/offload.h): a stuck database never blocks the
  // connections a worker owns, and cached authentication keeps flowing.
  options.offload_threads = config.store_threads;
  options.offload_queue = config.store_queue;
  options.offload_queue_bytes = config.store_queue_bytes;
  options.request_timeout = config.request_timeout;
  options.max_connections_per_ip = config.max_connections_per_ip;
  options.tls_cert_file = config.tls_cert_file;
  options.tls_key_file = config.tls_key_file;
  options.error_renderer = RenderServerError;
  options.access_log = [&metrics, &config](const http::AccessLogEntry& e) {
    if (config.access_log) LogAccess(e);
    metrics.RecordRequest(e.route, e.method, e.status,
                          std::chrono::duration<double>(e.latency).count());
  };
  if (config.metrics_listen) {
    const ListenAddress& m = *config.metrics_listen;
    for (const auto& l : config.listen) {
      if (m.port != 0 && l.port == m.port) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "the metrics listener must use a port of its own, not " +
                             std::to_string(m.port));
      }
    }
    options.listeners.push_back({m.host, m.port, false});
  }
  return options;
}

// An address as a client on this host reaches it: a wildcard bind becomes loopback.
ListenAddress Reachable(ListenAddress address, uint16_t port, bool ipv6_too) {
  address.port = port;
  if (address.host == "0.0.0.0") address.host = "127.0.0.1";
  if (ipv6_too && address.host == "::") address.host = "::1";
  return address;
}

// Tells the own-authority list the bound ports, public hosts and public URL; returns the
// bound listeners as the ready file and the start-up log line show them.
nlohmann::json PublishListeners(const Config& config, const std::vector<uint16_t>& ports,
                                OwnAuthorities& own) {
  nlohmann::json listeners = nlohmann::json::array();
  for (size_t i = 0; i < config.listen.size(); ++i) {
    own.Add(config.listen[i], ports[i]);
    listeners.push_back(Reachable(config.listen[i], ports[i], false).ToString());
  }
  for (const auto& h : config.public_hosts) own.AddPublicHost(h);
  if (config.public_url.empty()) {
    own.SetPublicUrl(Reachable(config.listen.front(), ports.front(), true).ToString());
  } else {
    own.SetPublicUrl(config.public_url);
  }
  return listeners;
}

// The ready file (when configured): pid, listeners and the metrics URL.
Status WriteReadyFile(const Config& config, const nlohmann::json& listeners,
                      uint16_t metrics_port) {
  nlohmann::json ready = {{"pid", ::getpid()}, {"listeners", listeners}};
  if (config.metrics_listen) {
    ready["metrics"] = Reachable(*config.metrics_listen, metrics_port, false).ToString() + "/metrics";
  }
  if (config.ready_file.empty()) return Ok();
  return ::latchkey::WriteFileAtomic(config.ready_file, ready.dump() + "\n", 0644);
}

// SIGHUP: settings first (a bad config file is reported and changes nothing), then the audit
// log file, the signing keys and the TLS certificate.
std::function<void()> ReloadOnSignal(http::Server& server, keys::SigningKeys& keys,
                                     workspace::Workspace& workspace,
                                     std::function<Result<Config>()> reload_config,
                                     std::shared_ptr<OwnAuthorities> own, Config running) {
  return [&server, &keys, &workspace, reload_config = std::move(reload_config), own,
          running = std::move(running)]() mutable {
    if (reload_config) {
      if (Result<Config> next = reload_config(); !next) {
        spdlog::error("config reload failed, keeping the running settings: {}",
                      next.error().message);
      } else {
        ApplyReloadableSettings(running, *next, *own);
      }
    }
    if (auto st = ReopenAuditLog(); !st) spdlog::error("{}", st.error().message);
    if (auto st = keys.Reload(); !st) {
      spdlog::error("signing key reload failed: {}", st.error().message);
    } else {
      workspace.FlushAuthCaches();
      spdlog::info("signing keys reloaded, current kid {}", keys.current_kid());
    }
    if (auto st = server.ReloadTls(); !st) {
      spdlog::error("TLS reload failed, keeping the old certificate: {}", st.error().message);
    } else {
      spdlog::info("TLS certificate reloaded");
    }
  };
}

// The background work while the server runs: the outage guard, the readiness probe and
// housekeeping; returns when the server stops.
void RunServer(http::Server& server, const Config& config, const Clock& clock, store::Store& db,
               const store::postgres::PostgresStore* postgres, workspace::Workspace& workspace,
               idp::IdentityProvider& idp, keys::SigningKeys& keys, Readiness& readiness) {
  // Cached credentials while other replicas' revocations cannot be heard: read through
  // while the database answers, served for at most outage_grace while it does not.
  OutageGuard outage_guard(
      {.listening = [postgres] { return postgres == nullptr || postgres->ListeningForChanges(); },
       .reachable = [&db] { return db.Ping().has_value(); },
       .flush =
           [&workspace, &idp] {
             workspace.FlushAuthCaches();
             idp.token_service().FlushClientCache();
           }},
      clock, config.database_outage_grace);
  outage_guard.Start(std::chrono::milliseconds(250));
  readiness.Start(std::chrono::milliseconds(500));
  Housekeeping housekeeping([&] {
    workspace.FlushLastUsed();
    workspace.PurgeExpiredPats();
    if (auto st = keys.Prune(); !st) spdlog::warn("key prune failed: {}", st.error().message);
    PurgeAudit(db, config, clock);
  });
  server.Run();
}

}  // namespace

int Serve(const Config& config, std::function<Result<Config>()> reload_config) {
  if (auto st = PrepareProcess(config); !st) return Fail("", st.error());
  SystemClock clock;
  crypto::OpenSslRandom random;
  metrics::Registry registry;
  metrics::ServiceMetrics metrics(registry);

  auto opened = store::OpenStore(config.database_url, config.StoreOptions());
  if (!opened) return Fail("cannot open the database", opened.error());
  // The PostgreSQL store says whether it hears other replicas' changes (the outage guard).
  const auto* postgres = dynamic_cast<const store::postgres::PostgresStore*>(opened->get());
  // Every store call is timed (latchkey_db_operation_duration_seconds).
  auto db = std::make_unique<InstrumentedStore>(std::move(*opened), metrics);
  auto opened_keys = keys::SigningKeys::Open(*db, config.KeyDir(), clock,
                                             std::max(config.access_token_lifetime,
                                                      config.oauth_token_lifetime) * 2);
  if (!opened_keys) return Fail("cannot load signing keys", opened_keys.error());
  // Shared, so that the store's change listener below can hold them weakly: the store calls
  // its listeners (from the PostgreSQL listener thread) until it is destroyed, after the keys.
  std::shared_ptr<keys::SigningKeys> keys = std::move(*opened_keys);

  auto own = std::make_shared<OwnAuthorities>();
  auto is_own = [own](std::string_view authority) { return own->Contains(authority); };
  // One failed-bearer budget per address for Graph, ARM, the API and ops (auth/bearer_gate.h).
  auth::BearerGate bearer_gate(clock, {.metrics = &metrics});
  workspace::AuditLog idp_audit(*db, clock, LogAudit, &metrics, config.audit_failures_per_minute);
  idp::IdpOptions idp_options = MakeIdpOptions(config, is_own, metrics, idp_audit);
  idp_options.bearer_gate = &bearer_gate;
  std::unique_ptr<idp::FederationKeys> federation_keys =
      StartFederationKeys(config.federation, idp_options.federation);
  idp_options.federation_keys = federation_keys.get();
  if (federation_keys) PrefetchRegisteredIssuers(*db, *federation_keys);
  idp::IdentityProvider idp(*db, *keys, clock, random, idp_options);

  workspace::WorkspaceOptions ws_options =
      MakeWorkspaceOptions(config, federation_keys.get(), *keys, own, metrics);
  ws_options.bearer_gate = &bearer_gate;
  idp::TrustedIssuers trusted(config.trusted_issuers);
  trusted.Start();
  TrustEntraIssuers(ws_options, idp, trusted, *keys);
  // Registered before the workspace's listener (see ReloadKeysOnChange).
  const store::ChangeSubscription keys_subscription = ReloadKeysOnChange(*db, *keys);
  Result<Sso> sso = StartSso(config.sso, *db, clock, random, ws_options);
  if (!sso) return Fail("", sso.error());
  workspace::Workspace workspace(*db, clock, random, ws_options);

  http::Router router;
  workspace::OpsRoutes ops({workspace, *db});
  // /readyz from a probe of its own (app/readiness.h): never a store call on the request path.
  Readiness readiness([&db] { return db->Ping().has_value(); });
  RegisterAppRoutes(router, *db, idp, workspace, ops, registry, [&readiness] { return readiness.ready(); });
  http::Router metrics_router;
  AddMetricsRoutes(metrics_router, registry);

  Result<http::ServerOptions> options = MakeServerOptions(config, metrics);
  if (!options) return Fail("", options.error());
  // Set once the listeners are bound, before Run: requests on this port go to metrics_router.
  uint16_t metrics_port = 0;
  http::Server server(*options, [&](http::Request& r) {
    RequestLogScope scope(r.request_id);
    if (metrics_port != 0 && r.local_port == metrics_port && !r.tls) {
      return metrics_router.Dispatch(r);
    }
    return router.Dispatch(r);
  });
  if (auto st = server.Start(); !st) return Fail("cannot start the server", st.error());
  std::vector<uint16_t> ports = server.BoundPorts();
  RegisterRuntimeMetrics(registry, server, workspace, *db);
  nlohmann::json listeners = PublishListeners(config, ports, *own);
  if (config.metrics_listen) metrics_port = ports.back();
  if (auto st = WriteReadyFile(config, listeners, metrics_port); !st) {
    return Fail("cannot write the ready file", st.error());
  }
  server.HandleSignals(ReloadOnSignal(server, *keys, workspace, reload_config, own, config));
  spdlog::info("latchkeyd serving {} on {} ({} store)", config.data_dir, listeners.dump(),
               db->backend());
  RunServer(server, config, clock, *db, postgres, workspace, idp, *keys, readiness);
  spdlog::info("latchkeyd stopped");
  return 0;
}

}  // namespace latchkey::app
