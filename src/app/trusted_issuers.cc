#include "app/trusted_issuers.h"

#include <algorithm>
#include <functional>

#include <curl/curl.h>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "jose/jwk.h"

namespace latchkey::app {
namespace {

struct Collector {
  std::string body;
  size_t max_bytes = 0;
  bool too_large = false;
};

size_t Collect(char* data, size_t size, size_t n, void* user) {
  auto* out = static_cast<Collector*>(user);
  if (out->body.size() + size * n > out->max_bytes) {
    out->too_large = true;
    return 0;  // aborts the transfer
  }
  out->body.append(data, size * n);
  return size * n;
}

}  // namespace

Result<std::string> HttpsGet(const std::string& url, const std::string& ca_file) {
  return HttpsGet(url, ca_file, HttpsLimits{});
}

namespace {

// One bounded HTTPS exchange: https only, no redirects, the peer verified (against `ca_file`
// when given), at most limits.max_bytes of body within limits.timeout. `prepare` adds what is
// particular to the request (a POST body, headers).
Result<HttpsAnswer> Perform(const std::string& url, const std::string& ca_file,
                            HttpsLimits limits, const std::function<void(CURL*)>& prepare) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return MakeError(ErrorCode::kUnavailable, "curl init failed");
  Collector out{.max_bytes = limits.max_bytes};
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &out);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(limits.timeout.count()));
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_SSL_VERIFYHOST, 2L);
  if (!ca_file.empty()) curl_easy_setopt(curl.get(), CURLOPT_CAINFO, ca_file.c_str());
  prepare(curl.get());
  CURLcode rc = curl_easy_perform(curl.get());
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  if (out.too_large) {
    return MakeError(ErrorCode::kUnavailable,
                     url + ": the response is larger than " + std::to_string(limits.max_bytes) +
                         " bytes");
  }
  if (rc != CURLE_OK) {
    return MakeError(ErrorCode::kUnavailable, url + ": " + curl_easy_strerror(rc));
  }
  return HttpsAnswer{status, std::move(out.body)};
}

}  // namespace

Result<std::string> HttpsGet(const std::string& url, const std::string& ca_file,
                             HttpsLimits limits) {
  Result<HttpsAnswer> answer = Perform(url, ca_file, limits, [](CURL*) {});
  if (!answer) return std::unexpected(std::move(answer).error());
  if (answer->status != 200) {
    return MakeError(ErrorCode::kUnavailable, url + ": HTTP " + std::to_string(answer->status));
  }
  return std::move(answer->body);
}

Result<HttpsAnswer> HttpsPostForm(const std::string& url, const std::string& form,
                                  const std::string& authorization, const std::string& ca_file,
                                  HttpsLimits limits) {
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(nullptr, curl_slist_free_all);
  auto add = [&](const std::string& h) {
    headers.reset(curl_slist_append(headers.release(), h.c_str()));
  };
  add("Content-Type: application/x-www-form-urlencoded");
  add("Accept: application/json");
  if (!authorization.empty()) add("Authorization: " + authorization);
  return Perform(url, ca_file, limits, [&](CURL* curl) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, form.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(form.size()));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  });
}

class TrustedIssuers::IssuerKeys final : public jose::KeySource {
 public:
  explicit IssuerKeys(TrustedIssuerConfig config) : config_(std::move(config)) {}

  std::optional<crypto::RsaPublicKey> Find(std::string_view kid) const override {
    {
      std::shared_lock lock(mu_);
      if (keys_) {
        if (auto key = keys_->Find(kid)) return key;
      }
    }
    refresh_wanted_ = true;  // an unknown kid: the issuer may have rotated
    return std::nullopt;
  }

  bool Names(std::string_view iss) const {
    std::shared_lock lock(mu_);
    for (const auto& i : issuers_)
      if (i == iss) return true;
    return false;
  }

  void Set(std::vector<std::string> issuers, std::shared_ptr<const jose::StaticKeySource> keys) {
    std::unique_lock lock(mu_);
    issuers_ = std::move(issuers);
    keys_ = std::move(keys);
  }

  const TrustedIssuerConfig& config() const { return config_; }
  mutable std::atomic<bool> refresh_wanted_{false};
  std::chrono::steady_clock::time_point last_refresh{};

 private:
  TrustedIssuerConfig config_;
  mutable std::shared_mutex mu_;
  std::vector<std::string> issuers_;
  std::shared_ptr<const jose::StaticKeySource> keys_;
};

TrustedIssuers::TrustedIssuers(std::vector<TrustedIssuerConfig> configs) {
  for (auto& c : configs) issuers_.push_back(std::make_unique<IssuerKeys>(std::move(c)));
}

TrustedIssuers::~TrustedIssuers() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status TrustedIssuers::RefreshOne(IssuerKeys& issuer) {
  issuer.last_refresh = std::chrono::steady_clock::now();
  issuer.refresh_wanted_ = false;
  const auto& c = issuer.config();
  auto doc_text = HttpsGet(c.discovery_url, c.ca_file);
  if (!doc_text) return std::unexpected(doc_text.error());
  auto doc = nlohmann::json::parse(*doc_text, nullptr, false);
  if (!doc.is_object() || !doc.contains("issuer") || !doc["issuer"].is_string() ||
      !doc.contains("jwks_uri") || !doc["jwks_uri"].is_string()) {
    return MakeError(ErrorCode::kUnavailable, c.discovery_url + ": no issuer or jwks_uri");
  }
  std::vector<std::string> names = c.issuers;
  std::string iss = doc["issuer"].get<std::string>();
  // OpenID Connect Discovery 1.0 §4.3: the document's issuer must be the URL it was fetched
  // under, so that one provider cannot speak for another issuer (mix-up). An issuer the
  // config lists explicitly is accepted too (Entra's v1 document, fetched from
  // login.microsoftonline.com, names https://sts.windows.net/<tid>/).
  std::string_view prefix = iss;
  while (prefix.ends_with('/')) prefix.remove_suffix(1);
  const bool fetched_under_it =
      !prefix.empty() &&
      c.discovery_url == std::string(prefix) + "/.well-known/openid-configuration";
  // Entra's v2.0 documents name https://login.microsoftonline.com/<tid>/v2.0 whichever of its
  // names served them (login.microsoft.com, or a latchkey, which signs the same canonical
  // issuers): that issuer is the document's own when <tid> is the tenant in the URL's path.
  constexpr std::string_view kV2Suffix = "/v2.0/.well-known/openid-configuration";
  bool entra_canonical = false;
  if (std::string_view url = c.discovery_url; url.ends_with(kV2Suffix)) {
    url.remove_suffix(kV2Suffix.size());
    std::string_view tid = url.substr(url.rfind('/') + 1);
    entra_canonical = !tid.empty() && iss == "https://login.microsoftonline.com/" + std::string(tid) + "/v2.0";
  }
  if (!fetched_under_it && !entra_canonical &&
      std::find(c.issuers.begin(), c.issuers.end(), iss) == c.issuers.end()) {
    return MakeError(ErrorCode::kUnavailable,
                     c.discovery_url + ": the document names issuer \"" + iss +
                         "\", which is not the URL it was fetched from; list it in "
                         "trusted_issuers.issuers to trust it");
  }
  names.push_back(iss);
  // Entra issues v1 tokens (iss https://sts.windows.net/<tid>/) for the Databricks resource,
  // whichever endpoint was used; its v2.0 discovery document names the v2.0 issuer.
  constexpr std::string_view kEntra = "https://login.microsoftonline.com/";
  if (iss.starts_with(kEntra) && iss.ends_with("/v2.0")) {
    std::string tid = iss.substr(kEntra.size(), iss.size() - kEntra.size() - 5);
    names.push_back("https://sts.windows.net/" + tid + "/");
  }
  auto jwks_text = HttpsGet(doc["jwks_uri"].get<std::string>(), c.ca_file);
  if (!jwks_text) return std::unexpected(jwks_text.error());
  auto jwks = nlohmann::json::parse(*jwks_text, nullptr, false);
  if (!jwks.is_object() || !jwks.contains("keys") || !jwks["keys"].is_array()) {
    return MakeError(ErrorCode::kUnavailable, c.discovery_url + ": JWKS has no keys");
  }
  auto keys = std::make_shared<jose::StaticKeySource>();
  size_t count = 0;
  for (const auto& jwk : jwks["keys"]) {
    if (!jwk.is_object() || !jwk.contains("kid") || !jwk["kid"].is_string()) continue;
    auto key = jose::RsaPublicKeyFromJwk(jwk);
    if (!key) continue;  // non-RSA or weak keys are ignored
    keys->Add(jwk["kid"].get<std::string>(), *key);
    ++count;
  }
  issuer.Set(std::move(names), std::move(keys));
  spdlog::info("trusted issuer {}: {} signing keys", iss, count);
  return Ok();
}

void TrustedIssuers::Start() {
  if (issuers_.empty()) return;
  // Called once from the main thread before the server's threads start.
  curl_global_init(CURL_GLOBAL_DEFAULT);
  for (auto& i : issuers_) {
    if (auto st = RefreshOne(*i); !st) {
      spdlog::warn("trusted issuer {} not reachable yet: {}", i->config().discovery_url,
                   st.error().message);
    }
  }
  thread_ = std::thread([this] { Loop(); });
}

void TrustedIssuers::Loop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::seconds(5));
    if (stop_) break;
    const auto now = std::chrono::steady_clock::now();
    for (auto& i : issuers_) {
      bool due = now - i->last_refresh > std::chrono::hours(1) ||
                 (i->refresh_wanted_ && now - i->last_refresh > std::chrono::minutes(1));
      if (!due) continue;
      lock.unlock();
      if (auto st = RefreshOne(*i); !st) {
        spdlog::warn("trusted issuer refresh failed: {}", st.error().message);
      }
      lock.lock();
    }
  }
}

auth::IssuerBinding TrustedIssuers::BindingFor(std::string_view iss) const {
  for (const auto& i : issuers_) {
    if (i->Names(iss)) {
      return {std::nullopt, i->config().service_principals, i->config().users};
    }
  }
  return {std::nullopt, false, false};
}

const jose::KeySource* TrustedIssuers::KeysFor(std::string_view iss) const {
  for (const auto& i : issuers_)
    if (i->Names(iss)) return i.get();
  return nullptr;
}

}  // namespace latchkey::app
