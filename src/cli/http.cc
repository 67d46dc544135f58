#include "cli/http.h"

#include <charconv>
#include <thread>

#include "base/encoding.h"

namespace latchkey::cli {
namespace {

// Integer seconds only (what latchkeyd sends); an HTTP-date falls back to backoff.
std::optional<std::chrono::seconds> ParseRetryAfter(const std::optional<std::string>& value) {
  if (!value || value->empty()) return std::nullopt;
  long long seconds = 0;
  const char* end = value->data() + value->size();
  auto [ptr, ec] = std::from_chars(value->data(), end, seconds);
  if (ec != std::errc() || ptr != end || seconds < 0) return std::nullopt;
  return std::chrono::seconds(seconds);
}

// The URL without its query string: queries may carry filters or ids, never needed in a log.
std::string UrlForLog(const std::string& url) { return url.substr(0, url.find('?')); }

}  // namespace

std::optional<std::string> HttpResponse::Header(std::string_view lowercase_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lowercase_name) return value;
  }
  return std::nullopt;
}

void RealSleeper::Sleep(std::chrono::seconds duration) { std::this_thread::sleep_for(duration); }

CliResult<HttpResponse> RetryingTransport::Send(const HttpRequest& request) {
  std::chrono::seconds waited{0};
  std::chrono::seconds backoff{1};
  for (int attempt = 1;; ++attempt) {
    if (debug_) *debug_ << "> " << request.method << ' ' << UrlForLog(request.url) << '\n';
    CliResult<HttpResponse> response = inner_.Send(request);
    if (!response) {
      if (debug_) *debug_ << "< " << response.error().message << '\n';
      return response;
    }
    if (debug_) {
      *debug_ << "< " << response->status << " (" << response->body.size() << " bytes)\n";
    }
    if (response->status != 429 && response->status != 503) return response;
    if (attempt >= policy_.max_attempts) return response;
    const std::chrono::seconds wait =
        ParseRetryAfter(response->Header("retry-after")).value_or(backoff);
    if (waited + wait > policy_.max_total_wait) return response;
    if (debug_) *debug_ << "  retrying in " << wait.count() << " s\n";
    sleeper_.Sleep(wait);
    waited += wait;
    backoff *= 2;
  }
}

}  // namespace latchkey::cli
