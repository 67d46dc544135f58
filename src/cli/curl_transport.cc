// libcurl behind the Transport interface. TLS trust is the system store plus the configured CA
// files, loaded together as one PEM blob so that neither replaces the other.
#include <curl/curl.h>

#include <fstream>
#include <mutex>
#include <sstream>

#include "base/encoding.h"
#include "cli/http.h"

namespace latchkey::cli {
namespace {

constexpr long kConnectTimeoutSeconds = 10;
constexpr long kTotalTimeoutSeconds = 60;
constexpr const char* kSystemBundleFallback = "/etc/ssl/certs/ca-certificates.crt";

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* s) const { curl_slist_free_all(s); }
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  std::string_view line(data, size * count);
  const size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
      value.remove_suffix(1);
    }
    static_cast<Headers*>(user)->emplace_back(AsciiLower(line.substr(0, colon)), value);
  } else if (line.starts_with("HTTP/")) {
    static_cast<Headers*>(user)->clear();  // a new response (after 100 Continue)
  }
  return size * count;
}

std::string Origin(const std::string& url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url;
  return url.substr(0, url.find('/', scheme_end + 3));
}

std::string ReadAll(const std::string& path, bool& ok) {
  std::ifstream in(path, std::ios::binary);
  ok = static_cast<bool>(in);
  std::ostringstream s;
  if (ok) s << in.rdbuf();
  return s.str();
}

CliError Explain(CURLcode code, const std::string& url, const char* detail,
                 const TlsOptions& tls) {
  const std::string origin = Origin(url);
  const std::string why = detail[0] != '\0' ? detail : curl_easy_strerror(code);
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
      return {ExitCode::kNetwork, "cannot resolve the host of " + origin + " (" + why + ")"};
    case CURLE_COULDNT_CONNECT:
      return {ExitCode::kNetwork, "cannot connect to " + origin +
                                      ": is latchkeyd running and listening there? (" + why + ")"};
    case CURLE_OPERATION_TIMEDOUT:
      return {ExitCode::kNetwork, "no answer from " + origin + " in time (" + why + ")"};
    case CURLE_PEER_FAILED_VERIFICATION:
      return {ExitCode::kNetwork, "certificate verify failed for " + origin +
                                      ": set SSL_CERT_FILE or ca_cert in the profile"};
    case CURLE_SSL_CACERT_BADFILE: {
      std::string files;
      for (const auto& f : tls.ca_files) files += (files.empty() ? "" : ", ") + f;
      return {ExitCode::kNetwork, "cannot load CA certificates from " + files + " (" + why + ")"};
    }
    case CURLE_SSL_CONNECT_ERROR:
      return {ExitCode::kNetwork,
              "TLS handshake with " + origin + " failed: is it serving https? (" + why + ")"};
    default:
      return {ExitCode::kNetwork, "request to " + origin + " failed: " + why};
  }
}

class CurlTransport final : public Transport {
 public:
  explicit CurlTransport(TlsOptions tls) : tls_(std::move(tls)) {}

  CliResult<HttpResponse> Send(const HttpRequest& request) override {
    std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    if (!curl) return Fail(ExitCode::kNetwork, "cannot initialise libcurl");
    HttpResponse response;
    char error[CURL_ERROR_SIZE] = {0};
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    if (request.method == "GET") curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT" ||
        request.method == "PATCH") {
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    }
    std::unique_ptr<curl_slist, SlistDeleter> headers;
    for (const auto& [name, value] : request.headers) {
      const std::string line = name + ": " + value;
      headers.reset(curl_slist_append(headers.release(), line.c_str()));
    }
    headers.reset(curl_slist_append(headers.release(), "Expect:"));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_USERAGENT, "latchkey-cli/0.1");
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, kConnectTimeoutSeconds);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, kTotalTimeoutSeconds);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &response.body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &response.headers);
    if (!tls_.ca_files.empty()) {
      auto blob = TrustBlob(c);
      if (!blob) return std::unexpected(blob.error());
      curl_blob b{blob->data(), blob->size(), CURL_BLOB_COPY};
      curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &b);
    }
    const CURLcode code = curl_easy_perform(c);
    if (code != CURLE_OK) return std::unexpected(Explain(code, request.url, error, tls_));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
    return response;
  }

 private:
  CliResult<std::string> TrustBlob(CURL* c) const {
    std::string pem;
    char* system_bundle = nullptr;
    curl_easy_getinfo(c, CURLINFO_CAINFO, &system_bundle);
    bool ok = false;
    pem = ReadAll(system_bundle ? system_bundle : kSystemBundleFallback, ok);
    for (const std::string& file : tls_.ca_files) {
      std::string extra = ReadAll(file, ok);
      if (!ok) return Fail(ExitCode::kNetwork, "cannot read CA file " + file);
      pem += "\n" + extra;
    }
    return pem;
  }

  TlsOptions tls_;
};

}  // namespace

std::unique_ptr<Transport> MakeCurlTransport(const TlsOptions& tls) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  return std::make_unique<CurlTransport>(tls);
}

}  // namespace latchkey::cli
