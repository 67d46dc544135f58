#include "app/logging.h"

#include <nlohmann/json.hpp>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace latchkey::app {
namespace {

bool g_json = true;
std::shared_ptr<spdlog::logger> g_access;

// One JSON object per line: {"time","level","logger","msg"}; the message is escaped, so any
// text stays valid JSON.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    nlohmann::json line = {
        {"time", Timestamp(msg.time)},
        {"level", std::string(spdlog::level::to_string_view(msg.level).data(),
                              spdlog::level::to_string_view(msg.level).size())},
        {"logger", std::string(msg.logger_name.data(), msg.logger_name.size())},
        {"msg", std::string(msg.payload.data(), msg.payload.size())}};
    std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    dest.append(text.data(), text.data() + text.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
  static std::string Timestamp(spdlog::log_clock::time_point t) {
    auto secs = std::chrono::time_point_cast<std::chrono::seconds>(t);
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t - secs).count();
    std::time_t tt = std::chrono::system_clock::to_time_t(secs);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    char out[64];
    std::snprintf(out, sizeof out, "%s.%06lldZ", buf, static_cast<long long>(micros));
    return out;
  }
};

}  // namespace

void ConfigureLogging(const std::string& format, const std::string& level) {
  g_json = format == "json";
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>("latchkeyd", sink);
  g_access = std::make_shared<spdlog::logger>("access", sink);
  if (g_json) {
    logger->set_formatter(std::make_unique<JsonFormatter>());
    g_access->set_pattern("%v");  // access lines are complete JSON objects already
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %l [%n] %v", spdlog::pattern_time_type::utc);
    g_access->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ access %v", spdlog::pattern_time_type::utc);
  }
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
  g_access->set_level(spdlog::level::info);
}

void LogAccess(const http::AccessLogEntry& e) {
  if (!g_access) return;
  if (g_json) {
    nlohmann::json line = {{"time", JsonFormatter::Timestamp(spdlog::log_clock::now())},
                           {"level", "info"},
                           {"logger", "access"},
                           {"request_id", e.request_id},
                           {"method", e.method},
                           {"route", e.path},
                           {"status", e.status},
                           {"latency_ms", static_cast<double>(e.latency.count()) / 1000.0},
                           {"bytes", e.response_bytes},
                           {"remote", e.remote_address},
                           {"principal", e.principal},
                           {"tls", e.tls}};
    g_access->info("{}", line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  } else {
    g_access->info("{} {} {} {} {:.3f}ms principal={} request_id={}", e.remote_address, e.method,
                   e.path, e.status, static_cast<double>(e.latency.count()) / 1000.0, e.principal,
                   e.request_id);
  }
}

}  // namespace latchkey::app
