#include "app/config.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <functional>

#include <toml++/toml.h>

#include "base/result_macros.h"
#include "base/encoding.h"

extern char** environ;

namespace latchkey::app {
namespace {

Result<int64_t> ParseInt(std::string_view text, std::string_view what) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size()) {
    return MakeError(ErrorCode::kInvalidArgument, std::string(what) + " must be an integer");
  }
  return v;
}

std::vector<std::string> SplitList(std::string_view s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t comma = s.find(',', pos);
    if (comma == std::string_view::npos) comma = s.size();
    std::string item(s.substr(pos, comma - pos));
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) out.push_back(item);
    pos = comma + 1;
  }
  return out;
}

// "" turns the metrics listener off; anything else must be a plain-HTTP HOST:PORT.
Status SetMetricsListen(Config& c, const std::string& text) {
  if (text.empty()) {
    c.metrics_listen.reset();
    return Ok();
  }
  if (text.starts_with("https://")) {
    return MakeError(ErrorCode::kInvalidArgument, "metrics listen address must be plain HTTP");
  }
  auto addr = ParseListenAddress(text);
  if (!addr) return std::unexpected(addr.error());
  addr->tls = false;
  c.metrics_listen = *addr;
  return Ok();
}

std::optional<std::vector<std::string>> StringArray(const toml::node_view<const toml::node> v) {
  std::vector<std::string> out;
  const toml::array* arr = v.as_array();
  if (arr == nullptr) return std::nullopt;
  for (const auto& e : *arr) {
    auto s = e.value<std::string>();
    if (!s) return std::nullopt;
    out.push_back(*s);
  }
  return out;
}

// What [federation] and [sso] both set for their HTTPS fetches of other issuers' documents:
// ca_file, fetch_timeout_ms, max_document_bytes, and the clock skew allowed in their tokens.
template <class Section>
void ApplyFetchSettings(const toml::table& t, Section& section) {
  if (auto v = t["ca_file"].value<std::string>()) section.ca_file = *v;
  if (auto v = t["fetch_timeout_ms"].value<int64_t>()) {
    section.fetch_timeout = std::chrono::milliseconds(*v);
  }
  if (auto v = t["max_document_bytes"].value<int64_t>()) {
    section.max_document_bytes = static_cast<size_t>(std::clamp<int64_t>(*v, 0, int64_t{1} << 30));
  }
  if (auto v = t["skew_seconds"].value<int64_t>()) section.skew = std::chrono::seconds(*v);
}

// [sso] and its [[sso.providers]] (validated in ValidateSso, after every source is applied).
Status ApplySso(SsoConfig& sc, const toml::table& s, const std::string& path) {
  auto bad = [&](const std::string& what) {
    return MakeError(ErrorCode::kInvalidArgument, path + ": " + what);
  };
  ApplyFetchSettings(s, sc);
  if (auto v = s["state_ttl_seconds"].value<int64_t>()) sc.state_ttl = std::chrono::seconds(*v);
  if (auto v = s["max_pending_bytes"].value<int64_t>()) {
    sc.max_pending_bytes = static_cast<size_t>(std::clamp<int64_t>(*v, 0, int64_t{1} << 32));
  }
  if (auto v = s["refresh_token_lifetime_seconds"].value<int64_t>()) {
    sc.refresh_token_lifetime = std::chrono::seconds(*v);
  }
  if (s.contains("redirect_uris")) {
    auto list = StringArray(s["redirect_uris"]);
    if (!list) return bad("sso.redirect_uris must be an array of strings");
    sc.redirect_uris = *list;
  }
  if (!s.contains("providers")) return Ok();
  const toml::array* arr = s["providers"].as_array();
  if (arr == nullptr) return bad("[[sso.providers]] must be tables");
  sc.providers.clear();
  for (const auto& node : *arr) {
    const toml::table* e = node.as_table();
    if (e == nullptr) return bad("[[sso.providers]] must be tables");
    SsoProviderConfig p;
    for (const auto& [key, value] : *e) {
      const std::string k(key.str());
      static const char* const kKnown[] = {
          "id", "display_name", "issuer", "client_id", "client_secret_file", "scopes",
          "username_claim", "groups_claim", "allowed_domains", "allowed_groups", "admin_group",
          "jit_provisioning"};
      if (std::find(std::begin(kKnown), std::end(kKnown), k) == std::end(kKnown)) {
        return bad("sso.providers: unknown key '" + k.substr(0, 64) + "'");
      }
    }
    auto str = [&](const char* k, std::string& out) -> Status {
      if (!e->contains(k)) return Ok();
      auto v = (*e)[k].value<std::string>();
      if (!v) return bad(std::string("sso.providers.") + k + " must be a string");
      out = *v;
      return Ok();
    };
    auto list = [&](const char* k, std::vector<std::string>& out) -> Status {
      if (!e->contains(k)) return Ok();
      auto v = StringArray((*e)[k]);
      if (!v) return bad(std::string("sso.providers.") + k + " must be an array of strings");
      out = *v;
      return Ok();
    };
    for (Status st : {str("id", p.id), str("display_name", p.display_name), str("issuer", p.issuer),
                      str("client_id", p.client_id), str("client_secret_file", p.client_secret_file),
                      str("username_claim", p.username_claim), str("groups_claim", p.groups_claim),
                      str("admin_group", p.admin_group), list("scopes", p.scopes),
                      list("allowed_domains", p.allowed_domains),
                      list("allowed_groups", p.allowed_groups)}) {
      if (!st) return st;
    }
    if (e->contains("jit_provisioning")) {
      auto v = (*e)["jit_provisioning"].value<bool>();
      if (!v) return bad("sso.providers.jit_provisioning must be true or false");
      p.jit_provisioning = *v;
    }
    if (p.display_name.empty()) p.display_name = p.id;
    sc.providers.push_back(std::move(p));
  }
  return Ok();
}

Status ValidateSso(const SsoConfig& sc) {
  auto bad = [](const std::string& what) { return MakeError(ErrorCode::kInvalidArgument, what); };
  auto in = [](auto v, int64_t lo, int64_t hi) { return v.count() >= lo && v.count() <= hi; };
  if (!in(sc.fetch_timeout, 100, 60000) || sc.max_document_bytes < 1024 ||
      sc.max_document_bytes > 16 * 1024 * 1024 || !in(sc.state_ttl, 30, 3600) ||
      sc.max_pending_bytes < 64 * 1024 || sc.max_pending_bytes > (size_t{1} << 30) ||
      !in(sc.skew, 0, 300) || !in(sc.refresh_token_lifetime, 300, 366 * 86400)) {
    return bad("sso: fetch_timeout_ms 100-60000, max_document_bytes 1024-16777216, "
               "state_ttl_seconds 30-3600, max_pending_bytes 65536-1073741824, skew_seconds "
               "0-300, refresh_token_lifetime_seconds 300-31622400");
  }
  for (const std::string& uri : sc.redirect_uris) {
    if (!uri.starts_with("https://") || uri.size() > 2048 || uri.find('#') != std::string::npos) {
      return bad("sso.redirect_uris: '" + uri.substr(0, 200) +
                 "' must be an https URL without a fragment (loopback redirects need no entry)");
    }
  }
  std::vector<std::string> ids;
  for (const SsoProviderConfig& p : sc.providers) {
    const std::string who = "sso.providers '" + p.id.substr(0, 64) + "': ";
    if (p.id.empty() || p.id.size() > 64 ||
        p.id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") != std::string::npos) {
      return bad("sso.providers: id must be 1-64 characters of a-z 0-9 _ -");
    }
    if (std::find(ids.begin(), ids.end(), p.id) != ids.end()) return bad(who + "id is not unique");
    ids.push_back(p.id);
    if (!p.issuer.starts_with("https://") || p.issuer.size() > 512) {
      return bad(who + "issuer must be an https URL");
    }
    if (p.client_id.empty() || p.client_id.size() > 256) return bad(who + "client_id is required");
    if (p.client_secret_file.empty()) return bad(who + "client_secret_file is required");
    std::error_code ec;
    if (!std::filesystem::is_regular_file(p.client_secret_file, ec) ||
        std::filesystem::file_size(p.client_secret_file, ec) == 0 || ec) {
      return bad(who + "client_secret_file '" + p.client_secret_file.substr(0, 200) +
                 "' is not a readable, non-empty file");
    }
    if (std::find(p.scopes.begin(), p.scopes.end(), "openid") == p.scopes.end()) {
      return bad(who + "scopes must contain openid");
    }
    for (const std::string& s : p.scopes) {
      if (s.empty() || s.find_first_of(" \"\\") != std::string::npos) return bad(who + "a scope is malformed");
    }
    if (p.username_claim.empty() || p.groups_claim.empty()) {
      return bad(who + "username_claim and groups_claim must not be empty");
    }
    if (p.display_name.size() > 128) return bad(who + "display_name is longer than 128");
  }
  return Ok();
}

// [web]: the web page's sessions (validated in ValidateWeb, after every source is applied).
Status ApplyWeb(WebConfig& w, const toml::table& t, const std::string& path) {
  auto seconds = [](int64_t v) { return std::chrono::seconds(std::clamp<int64_t>(v, -1, 1LL << 40)); };
  if (auto v = t["session_idle_timeout_seconds"].value<int64_t>()) w.session_idle_timeout = seconds(*v);
  if (auto v = t["session_absolute_timeout_seconds"].value<int64_t>()) {
    w.session_absolute_timeout = seconds(*v);
  }
  if (auto v = t["max_sessions_per_user"].value<int64_t>()) {
    w.max_sessions_per_user = static_cast<int>(std::clamp<int64_t>(*v, -1, 1'000'000));
  }
  if (t.contains("pat_sign_in")) {
    auto v = t["pat_sign_in"].value<bool>();
    if (!v) return MakeError(ErrorCode::kInvalidArgument, path + ": web.pat_sign_in must be true or false");
    w.pat_sign_in = *v;
  }
  return Ok();
}

Status ValidateWeb(const WebConfig& w) {
  if (w.session_idle_timeout.count() < 1 || w.session_idle_timeout.count() > 86400 ||
      w.session_absolute_timeout < w.session_idle_timeout ||
      w.session_absolute_timeout.count() > 30 * 86400 || w.max_sessions_per_user < 1 ||
      w.max_sessions_per_user > 1000) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "web: session_idle_timeout_seconds 1-86400, session_absolute_timeout_seconds "
                     "from the idle timeout to 2592000, max_sessions_per_user 1-1000");
  }
  return Ok();
}

// [server]: listeners, public names and the limits.
Status ApplyServer(Config& c, const toml::table& t, const std::string& path) {
  if (auto arr = t["server"]["listen"].as_array()) {
    c.listen.clear();
    for (const auto& v : *arr) {
      auto s = v.value<std::string>();
      if (!s) return MakeError(ErrorCode::kInvalidArgument, path + ": server.listen must hold strings");
      auto addr = ParseListenAddress(*s);
      if (!addr) return std::unexpected(addr.error());
      c.listen.push_back(*addr);
    }
  }
  if (auto v = t["server"]["threads"].value<int64_t>()) c.threads = static_cast<int>(*v);
  if (auto v = t["server"]["public_hosts"].as_array()) {
    for (const auto& h : *v)
      if (auto s = h.value<std::string>()) c.public_hosts.push_back(*s);
  }
  if (auto v = t["server"]["public_url"].value<std::string>()) c.public_url = *v;
  if (auto v = t["server"]["max_body_bytes"].value<int64_t>()) c.max_body_bytes = static_cast<size_t>(*v);
  if (auto v = t["server"]["max_connections_per_ip"].value<int64_t>()) c.max_connections_per_ip = static_cast<size_t>(*v);
  if (auto v = t["server"]["header_timeout_ms"].value<int64_t>()) c.header_timeout = std::chrono::milliseconds(*v);
  if (auto v = t["server"]["idle_timeout_ms"].value<int64_t>()) c.idle_timeout = std::chrono::milliseconds(*v);
  if (auto v = t["server"]["body_timeout_ms"].value<int64_t>()) c.body_timeout = std::chrono::milliseconds(*v);
  if (auto v = t["server"]["request_timeout_ms"].value<int64_t>()) c.request_timeout = std::chrono::milliseconds(*v);
  if (auto v = t["server"]["store_threads"].value<int64_t>()) c.store_threads = static_cast<int>(std::clamp<int64_t>(*v, -1, 100000));
  if (auto v = t["server"]["store_queue"].value<int64_t>()) c.store_queue = static_cast<size_t>(std::clamp<int64_t>(*v, 0, int64_t{1} << 40));
  if (auto v = t["server"]["store_queue_bytes"].value<int64_t>()) c.store_queue_bytes = static_cast<size_t>(std::clamp<int64_t>(*v, 0, int64_t{1} << 40));
  return Ok();
}

// [database], [log], [workspace], [idp], [tls] and [audit]: plain values.
void ApplySettings(Config& c, const toml::table& t) {
  if (auto v = t["database"]["url"].value<std::string>()) c.database_url = *v;
  if (auto v = t["database"]["statement_timeout_ms"].value<int64_t>()) {
    c.database_statement_timeout = std::chrono::milliseconds(*v);
  }
  if (auto v = t["database"]["tcp_user_timeout_ms"].value<int64_t>()) {
    c.database_tcp_user_timeout = std::chrono::milliseconds(*v);
  }
  if (auto v = t["log"]["format"].value<std::string>()) c.log_format = *v;
  if (auto v = t["log"]["level"].value<std::string>()) c.log_level = *v;
  if (auto v = t["workspace"]["id"].value<int64_t>()) c.workspace_id = *v;
  if (auto v = t["workspace"]["pat_quota"].value<int64_t>()) c.pat_quota = static_cast<int>(*v);
  if (auto v = t["workspace"]["default_pat_lifetime_seconds"].value<int64_t>()) {
    c.default_pat_lifetime = std::chrono::seconds(*v);
  }
  if (auto v = t["workspace"]["oauth_token_lifetime_seconds"].value<int64_t>()) {
    c.oauth_token_lifetime = std::chrono::seconds(*v);
  }
  if (auto v = t["workspace"]["audiences"].as_array()) {
    c.databricks_audiences.clear();
    for (const auto& a : *v)
      if (auto s = a.value<std::string>()) c.databricks_audiences.push_back(*s);
  }
  if (auto v = t["idp"]["access_token_lifetime_seconds"].value<int64_t>()) {
    c.access_token_lifetime = std::chrono::seconds(*v);
  }
  if (auto v = t["tls"]["cert_file"].value<std::string>()) c.tls_cert_file = *v;
  if (auto v = t["tls"]["key_file"].value<std::string>()) c.tls_key_file = *v;
  if (auto v = t["log"]["audit_file"].value<std::string>()) c.audit_log = *v;
  if (auto v = t["log"]["access"].value<bool>()) c.access_log = *v;
  if (auto v = t["audit"]["retention_days"].value<int64_t>()) {
    c.audit_retention = std::chrono::hours(24 * std::clamp<int64_t>(*v, -1, 1'000'000));
  }
  if (auto v = t["audit"]["max_rows"].value<int64_t>()) c.audit_max_rows = *v;
  if (auto v = t["audit"]["failures_per_minute"].value<int64_t>()) {
    c.audit_failures_per_minute = static_cast<int>(std::clamp<int64_t>(*v, -1, 1'000'000));
  }
  if (auto v = t["database"]["outage_grace_seconds"].value<int64_t>()) {
    c.database_outage_grace = std::chrono::seconds(std::clamp<int64_t>(*v, -1, 1'000'000));
  }
}

// [[trusted_issuers]]: external issuers whose Entra tokens the workspace API accepts.
Status ApplyTrustedIssuers(Config& c, const toml::table& t, const std::string& path) {
  if (auto arr = t["trusted_issuers"].as_array()) {
    for (const auto& node : *arr) {
      const toml::table* entry = node.as_table();
      if (!entry) return MakeError(ErrorCode::kInvalidArgument, path + ": [[trusted_issuers]] must be tables");
      TrustedIssuerConfig ti;
      if (auto u = (*entry)["discovery_url"].value<std::string>()) ti.discovery_url = *u;
      if (!ti.discovery_url.starts_with("https://")) {
        return MakeError(ErrorCode::kInvalidArgument,
                         path + ": trusted_issuers.discovery_url must be an https URL");
      }
      if (auto list = (*entry)["issuers"].as_array()) {
        for (const auto& i : *list)
          if (auto s = i.value<std::string>()) ti.issuers.push_back(*s);
      }
      if (auto ca = (*entry)["ca_file"].value<std::string>()) ti.ca_file = *ca;
      if (auto v = (*entry)["service_principals"].value<bool>()) ti.service_principals = *v;
      if (auto v = (*entry)["users"].value<bool>()) ti.users = *v;
      c.trusted_issuers.push_back(std::move(ti));
    }
  }
  return Ok();
}

// [federation]: workload identity federation's fetch limits and token checks.
void ApplyFederation(FederationConfig& fc, const toml::table& f) {
  if (auto v = f["enabled"].value<bool>()) fc.enabled = *v;
  ApplyFetchSettings(f, fc);
  if (auto v = f["request_wait_ms"].value<int64_t>()) fc.request_wait = std::chrono::milliseconds(*v);
  if (auto v = f["keys_ttl_seconds"].value<int64_t>()) fc.keys_ttl = std::chrono::seconds(*v);
  if (auto v = f["refetch_interval_seconds"].value<int64_t>()) {
    fc.refetch_interval = std::chrono::seconds(*v);
  }
  if (auto v = f["max_token_lifetime_seconds"].value<int64_t>()) {
    fc.max_token_lifetime = std::chrono::seconds(*v);
  }
}

Status ApplyFile(Config& c, const std::string& path) {
  if (!std::filesystem::exists(path)) return Ok();
  toml::table t;
  try {
    t = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "config file " + path + ": " + std::string(e.description()));
  }
  if (Status st = ApplyServer(c, t, path); !st) return st;
  ApplySettings(c, t);
  if (Status st = ApplyTrustedIssuers(c, t, path); !st) return st;
  if (const toml::table* f = t["federation"].as_table()) ApplyFederation(c.federation, *f);
  if (auto v = t["metrics"]["listen"].value<std::string>()) {
    if (Status st = SetMetricsListen(c, *v); !st) return st;
  }
  if (const toml::table* s = t["sso"].as_table()) {
    if (Status st = ApplySso(c.sso, *s, path); !st) return st;
  }
  if (const toml::table* w = t["web"].as_table()) {
    if (Status st = ApplyWeb(c.web, *w, path); !st) return st;
  }
  return Ok();
}

// "https://host[:port]" (or http://) with a DNS name, IPv4 or [IPv6] host and nothing else.
bool IsPublicUrl(std::string_view url) {
  std::optional<std::string_view> after_scheme = AfterHttpScheme(url);
  if (!after_scheme) return false;
  std::string_view rest = *after_scheme;
  if (rest.empty() || rest.size() > 260) return false;
  std::string_view host = rest;
  std::optional<std::string_view> port;
  if (rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return false;
    host = rest.substr(1, close - 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return false;
      port = after.substr(1);
    }
    if (host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos) return false;
  } else {
    if (size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
      host = rest.substr(0, colon);
      port = rest.substr(colon + 1);
    }
    constexpr std::string_view kHostChars =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-";
    if (host.find_first_not_of(kHostChars) != std::string_view::npos) return false;
  }
  if (host.empty()) return false;
  if (!port) return true;
  int value = 0;
  auto [end, ec] = std::from_chars(port->data(), port->data() + port->size(), value);
  return ec == std::errc() && end == port->data() + port->size() && value >= 1 && value <= 65535;
}

Status ApplyEnv(Config& c, const Environment& env) {
  auto get = [&](const char* name) -> const std::string* {
    auto it = env.find(name);
    return it == env.end() || it->second.empty() ? nullptr : &it->second;
  };
  if (auto v = get("LATCHKEY_LISTEN")) {
    c.listen.clear();
    for (const auto& s : SplitList(*v)) {
      auto addr = ParseListenAddress(s);
      if (!addr) return std::unexpected(addr.error());
      c.listen.push_back(*addr);
    }
  }
  if (auto v = get("LATCHKEY_DATABASE_URL")) c.database_url = *v;
  if (auto v = get("LATCHKEY_LOG_FORMAT")) c.log_format = *v;
  if (auto v = get("LATCHKEY_LOG_LEVEL")) c.log_level = *v;
  if (auto v = get("LATCHKEY_ACCESS_LOG")) {
    if (*v != "on" && *v != "off") {
      return MakeError(ErrorCode::kInvalidArgument, "LATCHKEY_ACCESS_LOG must be on or off");
    }
    c.access_log = *v == "on";
  }
  if (auto v = get("LATCHKEY_PUBLIC_HOSTS")) c.public_hosts = SplitList(*v);
  if (auto v = get("LATCHKEY_PUBLIC_URL")) c.public_url = *v;
  if (auto v = get("LATCHKEY_AUDIT_LOG")) c.audit_log = *v;
  if (auto it = env.find("LATCHKEY_METRICS_LISTEN"); it != env.end()) {
    if (Status st = SetMetricsListen(c, it->second); !st) return st;
  }
  // The numeric variables, each parsed as a whole integer (a typo is an error, not zero).
  const std::pair<const char*, std::function<void(int64_t)>> numbers[] = {
      {"LATCHKEY_THREADS", [&c](int64_t n) { c.threads = static_cast<int>(n); }},
      {"LATCHKEY_ACCESS_TOKEN_LIFETIME",
       [&c](int64_t n) { c.access_token_lifetime = std::chrono::seconds(n); }},
      {"LATCHKEY_HEADER_TIMEOUT_MS",
       [&c](int64_t n) { c.header_timeout = std::chrono::milliseconds(n); }},
      {"LATCHKEY_BODY_TIMEOUT_MS", [&c](int64_t n) { c.body_timeout = std::chrono::milliseconds(n); }},
      {"LATCHKEY_AUDIT_RETENTION_DAYS",
       [&c](int64_t n) {
         c.audit_retention = std::chrono::hours(24 * std::clamp<int64_t>(n, -1, 1'000'000));
       }},
      {"LATCHKEY_AUDIT_FAILURES_PER_MINUTE",
       [&c](int64_t n) {
         c.audit_failures_per_minute = static_cast<int>(std::clamp<int64_t>(n, -1, 1'000'000));
       }},
      {"LATCHKEY_AUDIT_MAX_ROWS", [&c](int64_t n) { c.audit_max_rows = n; }},
      {"LATCHKEY_DATABASE_OUTAGE_GRACE_SECONDS",
       [&c](int64_t n) {
         c.database_outage_grace = std::chrono::seconds(std::clamp<int64_t>(n, -1, 1'000'000));
       }},
      {"LATCHKEY_PAT_QUOTA", [&c](int64_t n) { c.pat_quota = static_cast<int>(n); }},
  };
  for (const auto& [name, set] : numbers) {
    const std::string* v = get(name);
    if (!v) continue;
    ASSIGN_OR_RETURN(int64_t n, ParseInt(*v, name));
    set(n);
  }
  return Ok();
}

}  // namespace

std::string ListenAddress::ToString() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return std::string(tls ? "https://" : "http://") + h + ":" + std::to_string(port);
}

Result<ListenAddress> ParseListenAddress(std::string_view text) {
  ListenAddress a;
  std::string_view s = text;
  if (s.starts_with("https://")) {
    s.remove_prefix(8);
  } else if (s.starts_with("http://")) {
    s.remove_prefix(7);
    a.tls = false;
  }
  while (!s.empty() && s.back() == '/') s.remove_suffix(1);
  size_t colon = s.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == s.size()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "listen address '" + std::string(text) + "' must be HOST:PORT");
  }
  std::string_view host = s.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  auto port = ParseInt(s.substr(colon + 1), "port");
  if (!port || *port < 0 || *port > 65535 || host.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "listen address '" + std::string(text) + "' must be HOST:PORT");
  }
  a.host = std::string(host);
  a.port = static_cast<uint16_t>(*port);
  return a;
}

Environment ProcessEnvironment() {
  Environment env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    if (!kv.starts_with("LATCHKEY_")) continue;
    size_t eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return env;
}

namespace {

// --data-dir (or LATCHKEY_DATA_DIR), absolute and without a trailing '/'.
Result<std::string> DataDir(const ConfigOverrides& flags, const Environment& env) {
  std::string dir;
  if (flags.data_dir) {
    dir = *flags.data_dir;
  } else if (auto it = env.find("LATCHKEY_DATA_DIR"); it != env.end() && !it->second.empty()) {
    dir = it->second;
  } else {
    return MakeError(ErrorCode::kInvalidArgument, "--data-dir (or LATCHKEY_DATA_DIR) is required");
  }
  std::error_code ec;
  auto abs = std::filesystem::absolute(dir, ec);
  if (!ec) dir = abs.lexically_normal().string();
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

// <data-dir>/latchkey.toml, then the --config file (LATCHKEY_CONFIG), then LATCHKEY_*.
Status ApplyFilesAndEnv(Config& c, const ConfigOverrides& flags, const Environment& env) {
  if (auto st = ApplyFile(c, c.ConfigFile()); !st) return st;
  if (flags.config_file) {
    c.config_file = *flags.config_file;
  } else if (auto it = env.find("LATCHKEY_CONFIG"); it != env.end()) {
    c.config_file = it->second;
  }
  if (!c.config_file.empty()) {
    if (!std::filesystem::exists(c.config_file)) {
      return MakeError(ErrorCode::kInvalidArgument, "config file " + c.config_file + " not found");
    }
    if (auto st = ApplyFile(c, c.config_file); !st) return st;
  }
  return ApplyEnv(c, env);
}

// The command-line flags: they win over everything else.
Status ApplyFlags(Config& c, const ConfigOverrides& flags) {
  if (!flags.listen.empty()) {
    c.listen.clear();
    for (const auto& s : flags.listen) {
      auto addr = ParseListenAddress(s);
      if (!addr) return std::unexpected(addr.error());
      c.listen.push_back(*addr);
    }
  }
  if (flags.database_url) c.database_url = *flags.database_url;
  if (flags.log_format) c.log_format = *flags.log_format;
  if (flags.log_level) c.log_level = *flags.log_level;
  if (flags.access_log) c.access_log = *flags.access_log;
  if (flags.threads) c.threads = *flags.threads;
  if (flags.ready_file) c.ready_file = *flags.ready_file;
  if (flags.audit_log) c.audit_log = *flags.audit_log;
  if (flags.metrics_listen) return SetMetricsListen(c, *flags.metrics_listen);

  return Ok();
}

// The server's lifetimes, timeouts and sizes.
Status ValidateServer(const Config& c) {
  if (c.log_format != "json" && c.log_format != "text") {
    return MakeError(ErrorCode::kInvalidArgument, "log format must be json or text");
  }
  if (c.access_token_lifetime < std::chrono::minutes(5) ||
      c.access_token_lifetime > std::chrono::hours(24)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "access token lifetime must be between 300 and 86400 seconds");
  }
  if (c.threads < 0 || c.threads > 256) {
    return MakeError(ErrorCode::kInvalidArgument, "threads must be between 0 and 256");
  }
  // Lifetimes and timeouts end up in `now + d` on the nanosecond system_clock, and sizes in
  // size_t: a negative or huge value was signed overflow or "no limit" at run time (found by
  // fuzz/toml_config_fuzz.cc, corpus huge_pat_lifetime.toml and negative_limits.toml).
  using std::chrono::seconds;
  constexpr seconds kDay{86400};
  if (c.default_pat_lifetime < seconds(0) || c.default_pat_lifetime > 100 * 366 * kDay) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "workspace.default_pat_lifetime_seconds must be between 0 (never expires) "
                     "and 3162240000 (100 years)");
  }
  if (c.oauth_token_lifetime < seconds(60) || c.oauth_token_lifetime > kDay) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "workspace.oauth_token_lifetime_seconds must be between 60 and 86400");
  }
  if (c.header_timeout <= std::chrono::milliseconds(0) || c.header_timeout > kDay ||
      c.body_timeout <= std::chrono::milliseconds(0) || c.body_timeout > kDay ||
      c.idle_timeout <= std::chrono::milliseconds(0) || c.idle_timeout > kDay) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "header, body and idle timeouts must be between 1 ms and one day");
  }
  if (c.request_timeout < std::chrono::milliseconds(100) || c.request_timeout > kDay) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "server.request_timeout_ms must be between 100 and 86400000");
  }
  if (c.store_threads < 1 || c.store_threads > 1024 || c.store_queue < 1 ||
      c.store_queue > 1'000'000 || c.store_queue_bytes < 64 * 1024 ||
      c.store_queue_bytes > (size_t{1} << 34)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "server.store_threads must be between 1 and 1024, store_queue between 1 and "
                     "1000000, store_queue_bytes between 65536 and 17179869184");
  }
  if (c.max_body_bytes < 1024 || c.max_body_bytes > (size_t{1} << 30)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "server.max_body_bytes must be between 1024 and 1073741824");
  }
  if (c.max_connections_per_ip < 1 || c.max_connections_per_ip > 1'000'000) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "server.max_connections_per_ip must be between 1 and 1000000");
  }
  if (c.pat_quota < 0) {
    return MakeError(ErrorCode::kInvalidArgument, "workspace.pat_quota must not be negative");
  }
  return Ok();
}

// Trusted issuers, [federation] and [sso].
Status ValidateIssuers(const Config& c) {
  int sp_issuers = 0, user_issuers = 0;
  for (const TrustedIssuerConfig& ti : c.trusted_issuers) {
    sp_issuers += ti.service_principals ? 1 : 0;
    user_issuers += ti.users ? 1 : 0;
  }
  if (sp_issuers > 1 || user_issuers > 1) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "trusted_issuers: at most one issuer may authenticate service principals and "
                     "at most one users (a principal is bound to one issuer); set "
                     "service_principals = false or users = false on the others");
  }
  {
    const FederationConfig& fc = c.federation;
    auto in = [](auto v, int64_t lo, int64_t hi) { return v.count() >= lo && v.count() <= hi; };
    if (!in(fc.fetch_timeout, 100, 60000) || !in(fc.request_wait, 0, 60000) ||
        fc.max_document_bytes < 1024 || fc.max_document_bytes > 16 * 1024 * 1024 ||
        !in(fc.keys_ttl, 60, 86400) || !in(fc.refetch_interval, 1, 3600) ||
        !in(fc.max_token_lifetime, 60, 7 * 86400) || !in(fc.skew, 0, 300)) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "federation: fetch_timeout_ms 100-60000, request_wait_ms 0-60000, "
                       "max_document_bytes 1024-16777216, keys_ttl_seconds 60-86400, "
                       "refetch_interval_seconds 1-3600, max_token_lifetime_seconds "
                       "60-604800, skew_seconds 0-300");
    }
  }
  RETURN_IF_ERROR(ValidateSso(c.sso));
  return ValidateWeb(c.web);
}

// [audit] and [database].
Status ValidateAuditAndDatabase(const Config& c) {
  if (c.audit_retention < std::chrono::hours(24) || c.audit_retention > std::chrono::hours(24 * 36600)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "audit.retention_days must be between 1 and 36600");
  }
  if (c.audit_max_rows < 1000 || c.audit_max_rows > 1'000'000'000) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "audit.max_rows must be between 1000 and 1000000000");
  }
  if (c.audit_failures_per_minute < 0 || c.audit_failures_per_minute > 100'000) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "audit.failures_per_minute must be between 0 and 100000");
  }
  if (c.database_statement_timeout < std::chrono::milliseconds(100) ||
      c.database_statement_timeout > std::chrono::milliseconds(600'000)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "database.statement_timeout_ms must be between 100 and 600000");
  }
  if (c.database_tcp_user_timeout < std::chrono::milliseconds(0) ||
      c.database_tcp_user_timeout > std::chrono::milliseconds(600'000)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "database.tcp_user_timeout_ms must be between 0 and 600000");
  }
  if (c.database_outage_grace < std::chrono::seconds(0) ||
      c.database_outage_grace > std::chrono::seconds(3600)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "database.outage_grace_seconds must be between 0 and 3600");
  }
  return Ok();
}

}  // namespace

Result<Config> LoadConfig(const ConfigOverrides& flags, const Environment& env) {
  Config c;
  ASSIGN_OR_RETURN(c.data_dir, DataDir(flags, env));
  c.listen = {ListenAddress{"127.0.0.1", 8443, true}};
  RETURN_IF_ERROR(ApplyFilesAndEnv(c, flags, env));
  RETURN_IF_ERROR(ApplyFlags(c, flags));
  if (c.database_url.empty()) c.database_url = "sqlite:" + c.data_dir + "/latchkey.db";
  if (c.tls_cert_file.empty()) c.tls_cert_file = c.data_dir + "/tls/server.pem";
  if (c.tls_key_file.empty()) c.tls_key_file = c.data_dir + "/tls/server.key";
  RETURN_IF_ERROR(ValidateServer(c));
  RETURN_IF_ERROR(ValidateIssuers(c));
  while (c.public_url.ends_with('/')) c.public_url.pop_back();
  if (!c.public_url.empty() && !IsPublicUrl(c.public_url)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "server.public_url must be https://host[:port] or http://host[:port] "
                     "(no path, query or user info), got '" + c.public_url.substr(0, 200) + "'");
  }
  RETURN_IF_ERROR(ValidateAuditAndDatabase(c));
  return c;
}

std::string RenderConfigFile(const Config& c) {
  std::string listen;
  for (const auto& l : c.listen) {
    if (!listen.empty()) listen += ", ";
    listen += "\"" + l.ToString() + "\"";
  }
  return "# latchkeyd configuration, written by `latchkeyd init`.\n"
         "# Environment variables LATCHKEY_* and command-line flags override these values.\n\n"
         "[server]\n"
         "listen = [" + listen + "]\n"
         "# threads = 0            # 0 = one worker per core\n"
         "# request_timeout_ms = 10000   # a request that needs the store: answered (503) by then\n"
         "# store_threads = 16     # threads that run store calls, off the HTTP workers\n"
         "# public_hosts = []      # other host[:port] names clients use to reach this server\n"
         "# public_url = \"https://latchkey.example.com\"   # the name in issued workspace tokens\n\n"
         "[database]\n"
         "# url = \"postgresql://user@host/db\"   # default: sqlite in the data dir\n"
         "# statement_timeout_ms = 5000   # PostgreSQL: a query unanswered for this + 1 s fails\n"
         "# tcp_user_timeout_ms = 10000\n"
         "# outage_grace_seconds = 60   # cached credentials while the database is unreachable\n\n"
         "[log]\n"
         "format = \"" + c.log_format + "\"\n"
         "level = \"" + c.log_level + "\"\n\n"
         "[idp]\n"
         "access_token_lifetime_seconds = " + std::to_string(c.access_token_lifetime.count()) + "\n\n"
         "[workspace]\n"
         "id = " + std::to_string(c.workspace_id) + "\n"
         "pat_quota = " + std::to_string(c.pat_quota) + "\n"
         "default_pat_lifetime_seconds = " + std::to_string(c.default_pat_lifetime.count()) +
         "   # 0 = PATs without a lifetime never expire\n";
}

}  // namespace latchkey::app
