// External OpenID issuers whose access tokens the workspace accepts, configured by discovery
// URL (real Entra ID works the same way: its v2.0 discovery document and JWKS). Each issuer's
// keys are kept apart, so a token naming issuer X verifies only with X's keys. The JWKS is
// fetched at start, refreshed hourly, and re-fetched (at most once a minute) when a token
// names an unknown kid. Thread-safe; the refresh runs on its own thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "app/config.h"
#include "base/result.h"
#include "jose/jwt_verifier.h"
#include "workspace/options.h"

namespace latchkey::app {

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

// GET over HTTPS with libcurl: verifies the peer (system CAs, or `ca_file`), 10 s timeout,
// at most 1 MiB. kUnavailable on any failure.
Result<std::string> HttpsGet(const std::string& url, const std::string& ca_file);

// The same with explicit limits: the whole transfer (connect included) within `timeout`, a
// body of at most `max_bytes` (a longer one aborts the transfer), no redirects, status 200.
// Used for federated issuers' discovery documents and JWKS (idp/federation.h) as well.
struct HttpsLimits {
  std::chrono::milliseconds timeout{10000};
  size_t max_bytes = 1 << 20;
};
Result<std::string> HttpsGet(const std::string& url, const std::string& ca_file,
                             HttpsLimits limits);

// POST an application/x-www-form-urlencoded body over HTTPS with the same limits (CA, bytes,
// time, no redirects), with an Authorization header when `authorization` is not empty. The
// body and status of any answer (the caller reads OAuth errors); kUnavailable on transport
// failures. Used for upstream sign-in providers' token endpoints (sso/relying_party.h).
struct HttpsAnswer {
  long status = 0;
  std::string body;
};
Result<HttpsAnswer> HttpsPostForm(const std::string& url, const std::string& form,
                                  const std::string& authorization, const std::string& ca_file,
                                  HttpsLimits limits);

}  // namespace latchkey::app
