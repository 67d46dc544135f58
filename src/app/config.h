// latchkeyd's configuration: defaults, overridden by `<data_dir>/latchkey.toml`, overridden by
// LATCHKEY_* environment variables, overridden by command-line flags. getenv appears only in
// config.cc. Every option is documented in `latchkeyd --help` and docs/configuration.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "idp/trusted_issuers.h"
#include "store/store.h"

namespace latchkey::app {

struct ListenAddress {
  std::string host;  // "127.0.0.1", "::1", "0.0.0.0"
  uint16_t port = 0;
  bool tls = true;
  std::string ToString() const;  // "https://127.0.0.1:8443"
};
// "127.0.0.1:8443" and "https://..." are TLS; "http://127.0.0.1:8080" is plain HTTP.
Result<ListenAddress> ParseListenAddress(std::string_view text);

// An external OpenID issuer whose access tokens the workspace accepts (e.g. real Entra ID:
// https://login.microsoftonline.com/<tenant>/v2.0/.well-known/openid-configuration).
// [[trusted_issuers]]: defined beside the key cache that serves them (idp/trusted_issuers.h).
using TrustedIssuerConfig = idp::TrustedIssuerConfig;

// Workload identity federation ([federation]): how external issuers named in federated
// identity credentials are fetched and their tokens checked (idp/federation.h).
struct FederationConfig {
  bool enabled = true;
  std::string ca_file;  // CA bundle for issuers' discovery and JWKS (default: system CAs)
  std::chrono::milliseconds fetch_timeout{5000};  // each discovery or JWKS GET, all in
  std::chrono::milliseconds request_wait{2000};   // a token request waits this long for keys
  size_t max_document_bytes = 256 * 1024;         // a discovery document or JWKS
  std::chrono::seconds keys_ttl{3600};
  std::chrono::seconds refetch_interval{60};  // at most one fetch per issuer per interval
  std::chrono::seconds max_token_lifetime{86400};  // exp - iat of a federated token
  std::chrono::seconds skew{60};
};

// One upstream OpenID provider people sign in with ([[sso.providers]], issue 24; sso/
// relying_party.h). The client secret is read from client_secret_file when the server starts.
struct SsoProviderConfig {
  std::string id;            // [a-z0-9_-], 1-64 characters, unique
  std::string display_name;  // default: id
  std::string issuer;        // https URL, exactly the ID tokens' iss
  std::string client_id;
  std::string client_secret_file;
  std::vector<std::string> scopes{"openid", "email", "profile"};  // must contain openid
  std::string username_claim = "email";
  std::string groups_claim = "groups";
  std::vector<std::string> allowed_domains;
  std::vector<std::string> allowed_groups;
  std::string admin_group;
  bool jit_provisioning = false;
};

// [sso]: sign-in through upstream providers, and Databricks U2M on the workspace.
struct SsoConfig {
  std::vector<SsoProviderConfig> providers;
  std::string ca_file;  // CA bundle for the providers' discovery, JWKS and token endpoints
  std::chrono::milliseconds fetch_timeout{5000};
  size_t max_document_bytes = 256 * 1024;
  std::chrono::seconds state_ttl{600};
  size_t max_pending_bytes = 4 << 20;
  std::chrono::seconds skew{60};
  std::chrono::seconds refresh_token_lifetime{30 * 86400};  // U2M refresh tokens
  // Redirect URIs U2M clients other than loopback ones may use, matched exactly.
  std::vector<std::string> redirect_uris;
};

// [web]: the web page's sessions (issue 24; workspace/web_sessions.h).
struct WebConfig {
  std::chrono::seconds session_idle_timeout{30 * 60};
  std::chrono::seconds session_absolute_timeout{12 * 3600};
  int max_sessions_per_user = 20;
  bool pat_sign_in = true;  // the page offers "Sign in with a personal access token"
};

struct Config {
  // The store settings OpenStore takes from [database].
  store::StoreOptions StoreOptions() const {
    return {.statement_timeout = database_statement_timeout,
            .tcp_user_timeout = database_tcp_user_timeout};
  }

  std::string data_dir;
  std::vector<ListenAddress> listen;
  std::string database_url;  // default sqlite:<data_dir>/latchkey.db
  // [database] statement_timeout_ms, tcp_user_timeout_ms (PostgreSQL; store.h StoreOptions).
  std::chrono::milliseconds database_statement_timeout{5000};
  std::chrono::milliseconds database_tcp_user_timeout{10000};
  std::string tls_cert_file;  // default <data_dir>/tls/server.pem
  std::string tls_key_file;   // default <data_dir>/tls/server.key
  std::vector<std::string> public_hosts;  // extra "host[:port]" names clients use for us
  // "https://host[:port]": the server's one public name. Workspace OAuth tokens are issued by
  // <public_url>/oidc whatever Host a client used; discovery documents fall back to it.
  // Empty: the first listener as bound (0.0.0.0 -> 127.0.0.1).
  std::string public_url;
  int threads = 0;
  std::string log_format = "json";  // json | text
  std::string log_level = "info";
  // One access line per request on stderr ([log] access, LATCHKEY_ACCESS_LOG, --access-log).
  bool access_log = true;
  std::string ready_file;
  int64_t workspace_id = 0;
  // Extra config file read after <data_dir>/latchkey.toml (packages: /etc/latchkey/...).
  std::string config_file;
  // Plain-HTTP listener serving only GET /metrics and /healthz, without authentication.
  std::optional<ListenAddress> metrics_listen;
  std::string audit_log;  // audit stream to this file (0600) instead of stderr
  // Audit table retention ([audit]): events older than this are deleted, and the oldest beyond
  // max_rows; failed-authentication events are written at most failures_per_minute a minute
  // (the rest are counted into the next one written).
  std::chrono::hours audit_retention{24 * 90};
  int64_t audit_max_rows = 1'000'000;
  int audit_failures_per_minute = 60;

  std::chrono::seconds access_token_lifetime{3600};
  std::chrono::seconds oauth_token_lifetime{3600};
  int pat_quota = 600;
  std::chrono::seconds default_pat_lifetime{0};  // 0 = never expires
  std::vector<std::string> databricks_audiences{"2ff814a6-3304-4ab8-85cb-cd0e6f879c1d"};
  std::vector<TrustedIssuerConfig> trusted_issuers;
  FederationConfig federation;
  SsoConfig sso;
  WebConfig web;

  size_t max_body_bytes = 1024 * 1024;
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds body_timeout{30000};  // a request body; writing a response
  // [server] request_timeout_ms, store_threads, store_queue, store_queue_bytes: requests that
  // call the store run on a pool of store_threads; at most store_queue of them (and
  // store_queue_bytes) wait, over that 503; each is answered within request_timeout of its
  // first byte, and one still queued then is never executed (http/offload.h).
  std::chrono::milliseconds request_timeout{10000};
  int store_threads = 16;
  size_t store_queue = 1024;
  size_t store_queue_bytes = 32 * 1024 * 1024;
  size_t max_connections_per_ip = 256;
  // [database] outage_grace_seconds: while the database is unreachable, cached credentials keep
  // authenticating this long, then fail closed (503); 0 = at once (app/outage_guard.h).
  std::chrono::seconds database_outage_grace{60};

  std::string KeyDir() const { return data_dir + "/keys"; }
  std::string CaCertFile() const { return data_dir + "/tls/ca.pem"; }
  std::string ConfigFile() const { return data_dir + "/latchkey.toml"; }
};

// Values given on the command line (unset optionals fall through to env, file, defaults).
struct ConfigOverrides {
  std::optional<std::string> data_dir;
  std::vector<std::string> listen;
  std::optional<std::string> database_url;
  std::optional<std::string> log_format;
  std::optional<std::string> log_level;
  std::optional<bool> access_log;
  std::optional<int> threads;
  std::optional<std::string> ready_file;
  std::optional<std::string> config_file;
  std::optional<std::string> metrics_listen;  // "" turns it off
  std::optional<std::string> audit_log;
};

using Environment = std::map<std::string, std::string>;
Environment ProcessEnvironment();  // the LATCHKEY_* variables of this process

// Builds the configuration: defaults < <data_dir>/latchkey.toml < the --config file
// (LATCHKEY_CONFIG) < LATCHKEY_* environment < flags. kInvalidArgument names the bad option
// and where it came from; a --config file that does not exist is an error.
Result<Config> LoadConfig(const ConfigOverrides& flags, const Environment& env);

// The TOML text `latchkeyd init` writes.
std::string RenderConfigFile(const Config& config);

}  // namespace latchkey::app
