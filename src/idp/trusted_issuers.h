// External OpenID issuers whose access tokens the workspace accepts, configured by discovery
// URL (real Entra ID works the same way: its v2.0 discovery document and JWKS). Each issuer's
// keys are kept apart, so a token naming issuer X verifies only with X's keys. The JWKS is
// fetched at start, refreshed hourly, and re-fetched (at most once a minute) when a token
// names an unknown kid, over idp/https_client.h. Thread-safe; the refresh runs on its own
// thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "auth/issuer_binding.h"
#include "base/result.h"
#include "jose/jwt_verifier.h"

namespace latchkey::idp {

// One [[trusted_issuers]] entry (app/config.h reads it).
struct TrustedIssuerConfig {
  std::string discovery_url;         // https only
  std::vector<std::string> issuers;  // further `iss` values signed by the same keys
  std::string ca_file;               // CA bundle for this issuer (default: system CAs)
  // Issuer binding: which workspace principals this issuer's tokens may stand for. With more
  // than one trusted issuer, at most one may authenticate service principals and at most one
  // users (LoadConfig refuses two): otherwise an issuer whose client ids or user names its
  // admin chooses could mint another issuer's principal, admins included.
  bool service_principals = true;
  bool users = true;
};

class TrustedIssuers {
 public:
  explicit TrustedIssuers(std::vector<TrustedIssuerConfig> configs);
  ~TrustedIssuers();

  // Fetches every issuer's discovery document and JWKS once (errors are logged, not fatal:
  // an unreachable issuer's tokens are refused until a later refresh succeeds), then starts
  // the refresh thread.
  void Start();
  // The keys of `iss` if it is a configured issuer, else nullptr.
  const jose::KeySource* KeysFor(std::string_view iss) const;
  // Which principals `iss` may authenticate ([[trusted_issuers]] service_principals, users);
  // nothing for an issuer that is not configured.
  auth::IssuerBinding BindingFor(std::string_view iss) const;

 private:
  class IssuerKeys;
  Status RefreshOne(IssuerKeys& issuer);
  void Loop();

  std::vector<std::unique_ptr<IssuerKeys>> issuers_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace latchkey::idp
