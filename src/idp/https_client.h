// The bounded HTTPS client (libcurl) through which latchkey fetches other parties' documents:
// trusted issuers' and federated issuers' discovery documents and JWKS (idp/trusted_issuers.h,
// idp/federation.h), and upstream sign-in providers' token endpoints (sso/relying_party.h).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "base/result.h"

namespace latchkey::idp {

// libcurl's global initialisation (curl_global_init); before the first request and before
// other threads start. Calling it again is harmless.
void InitHttpsClient();

// libcurl's global initialisation (curl_global_init); before the first request and before
// other threads start. Calling it again is harmless.
void InitHttpsClient();

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

}  // namespace latchkey::idp
