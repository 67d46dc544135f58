#include "idp/trusted_issuers.h"

#include <algorithm>
#include <functional>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "idp/https_client.h"
#include "jose/jwk.h"

namespace latchkey::idp {

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
  InitHttpsClient();
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

}  // namespace latchkey::idp
