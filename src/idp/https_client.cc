#include "idp/https_client.h"

#include <functional>
#include <memory>

#include <curl/curl.h>

namespace latchkey::idp {

void InitHttpsClient() { curl_global_init(CURL_GLOBAL_DEFAULT); }
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

}  // namespace latchkey::idp
