#include "app/logging.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "base/json_writer.h"

namespace latchkey::app {
namespace {

bool g_json = true;
std::shared_ptr<spdlog::logger> g_access;
std::shared_ptr<spdlog::logger> g_audit;
thread_local std::string_view t_request_id;

// An append-only file sink that logrotate can move away: Reopen opens the path again. Each
// line is one write(2) on an O_APPEND descriptor, so concurrent writers never interleave.
class AuditFileSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit AuditFileSink(std::string path) : path_(std::move(path)) {}
  ~AuditFileSink() override {
    if (fd_ >= 0) ::close(fd_);
  }
  Status Reopen() {
    std::lock_guard lock(mutex_);
    // O_NOFOLLOW: a symlink planted at the path (by whoever can write its directory) must not
    // redirect the audit stream onto another file, nor have that file chmod-ed below.
    int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "cannot open the audit log " + path_ + ": " + std::strerror(errno) +
                           (errno == ELOOP ? " (it is a symbolic link)" : ""));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      return MakeError(ErrorCode::kFailedPrecondition,
                       "the audit log " + path_ + " is not a regular file");
    }
    // An existing file keeps its mode on open: make sure nobody else can read it.
    if (::fchmod(fd, 0600) != 0) {
      ::close(fd);
      return MakeError(ErrorCode::kFailedPrecondition, "cannot chmod 0600 the audit log " + path_);
    }
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
    return Ok();
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t buf;
    formatter_->format(msg, buf);
    const char* p = buf.data();
    size_t left = buf.size();
    while (left > 0 && fd_ >= 0) {
      ssize_t n = ::write(fd_, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // a full disk loses the line; the store keeps the event
      p += n;
      left -= static_cast<size_t>(n);
    }
  }
  void flush_() override {}

 private:
  std::string path_;
  int fd_ = -1;
};

std::shared_ptr<AuditFileSink> g_audit_file;

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
  // One sink per stream: a logger's pattern is its sinks' formatter, so a shared sink would
  // print every stream in the format set last. stderr sinks share spdlog's console mutex,
  // so lines of different streams never interleave.
  auto logger = std::make_shared<spdlog::logger>(
      "latchkeyd", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  g_access = std::make_shared<spdlog::logger>(
      "access", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  g_audit = std::make_shared<spdlog::logger>(
      "audit", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (g_json) {
    logger->set_formatter(std::make_unique<JsonFormatter>());
    g_access->set_pattern("%v");  // access and audit lines are complete JSON objects already
    g_audit->set_pattern("%v");
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %l [%n] %v", spdlog::pattern_time_type::utc);
    g_access->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ access %v", spdlog::pattern_time_type::utc);
    g_audit->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ audit %v", spdlog::pattern_time_type::utc);
  }
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
  // Access and audit lines do not follow --log-level: they are records, not diagnostics.
  g_access->set_level(spdlog::level::info);
  g_audit->set_level(spdlog::level::info);
}

Status OpenAuditLog(const std::string& path) {
  auto sink = std::make_shared<AuditFileSink>(path);
  if (Status opened = sink->Reopen(); !opened) return opened;
  auto logger = std::make_shared<spdlog::logger>("audit", sink);
  if (g_json) {
    logger->set_pattern("%v");
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ audit %v", spdlog::pattern_time_type::utc);
  }
  logger->set_level(spdlog::level::info);
  g_audit_file = std::move(sink);
  g_audit = std::move(logger);
  return Ok();
}

Status ReopenAuditLog() {
  if (!g_audit_file) return Ok();
  return g_audit_file->Reopen();
}

void SetLogLevel(const std::string& level) { spdlog::set_level(spdlog::level::from_str(level)); }

RequestLogScope::RequestLogScope(std::string_view request_id) : previous_(t_request_id) {
  t_request_id = request_id;
}
RequestLogScope::~RequestLogScope() { t_request_id = previous_; }

void LogAudit(const store::AuditEvent& e) {
  std::shared_ptr<spdlog::logger> audit = g_audit;
  if (!audit) return;
  // "principal:<id>" actors carry the principal id; "anonymous" and "system" have none.
  std::string_view actor = e.actor;
  std::string principal_id =
      actor.starts_with("principal:") ? std::string(actor.substr(10)) : std::string();
  if (g_json) {
    nlohmann::json detail = nlohmann::json::parse(e.detail, nullptr, /*allow_exceptions=*/false);
    if (detail.is_discarded()) detail = nlohmann::json::object();
    nlohmann::json line = {{"time", JsonFormatter::Timestamp(spdlog::log_clock::now())},
                           {"level", "info"},
                           {"logger", "audit"},
                           {"request_id", std::string(t_request_id)},
                           {"action", e.action},
                           {"actor", e.actor},
                           {"principal_id", principal_id},
                           {"target", e.target},
                           {"remote", e.remote_address},
                           {"detail", detail}};
    audit->info("{}", line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  } else {
    audit->info("action={} actor={} principal_id={} target={} remote={} request_id={} detail={}",
                e.action, e.actor, principal_id, e.target, e.remote_address, t_request_id,
                e.detail);
  }
}

namespace {

// "2025-01-02T03:04:05.123456Z"; the seconds part is formatted once per second per thread.
void AppendTimestamp(std::string& out, spdlog::log_clock::time_point t) {
  thread_local int64_t cached_second = -1;
  thread_local char prefix[32];
  const auto since_epoch = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch());
  const int64_t second = since_epoch.count() / 1000000;
  if (second != cached_second) {
    std::time_t tt = static_cast<std::time_t>(second);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    std::strftime(prefix, sizeof prefix, "%Y-%m-%dT%H:%M:%S", &tm);
    cached_second = second;
  }
  long long micros = since_epoch.count() % 1000000;
  char tail[9] = {'.', '0', '0', '0', '0', '0', '0', 'Z', '\0'};
  for (int i = 6; i >= 1; --i, micros /= 10) tail[i] = static_cast<char>('0' + micros % 10);
  out.append(prefix);
  out.append(tail);
}

void WriteStderr(std::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::write(STDERR_FILENO, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stderr gone: the lines are lost, as with spdlog
    text.remove_prefix(static_cast<size_t>(n));
  }
}

// Access lines go to stderr through one writer thread, so that a worker never makes a
// write(2) per request (syscalls are the dominant cost of a request on a VM; bench/README.md).
// Idle, a line is written as soon as the writer wakes (well under a millisecond); while
// requests flow (a write in the last 100 ms), the writer waits 50 ms after waking so that one
// wake-up and one write(2) carry a batch. A shorter batch (2 ms, 500 wake-ups a second) cost
// 10-15 % of the token endpoint's throughput here: every wake-up of this thread preempts a
// worker, and a preemption is an IPI plus two context switches on a VM. Lines stay whole
// and in order. At exit (atexit) what is buffered is written; a kill -9 loses at most the
// last 50 ms of access lines (audit lines do not go through here). Bounded: past
// kMaxBuffered bytes (stderr not drained) lines are dropped rather than blocking workers.
class AccessLogWriter {
 public:
  static AccessLogWriter& Get() {
    static AccessLogWriter* writer = [] {
      auto* w = new AccessLogWriter();  // leaked: it must outlive every worker thread
      std::thread([w] { w->Run(); }).detach();
      std::atexit([] { Get().Flush(); });
      return w;
    }();
    return *writer;
  }

  void Append(std::string_view line) {
    bool wake = false;
    {
      std::lock_guard lock(mu_);
      if (buffer_.size() + line.size() > kMaxBuffered) return;
      buffer_.append(line);
      wake = waiting_;
      waiting_ = false;
    }
    if (wake) cv_.notify_one();
  }

  void Flush() {
    std::string batch;
    {
      std::lock_guard lock(mu_);
      batch.swap(buffer_);
    }
    std::lock_guard write_lock(write_mu_);
    WriteStderr(batch);
  }

 private:
  static constexpr size_t kMaxBuffered = 16 << 20;
  static constexpr auto kBusyWindow = std::chrono::milliseconds(100);
  static constexpr auto kBatchDelay = std::chrono::milliseconds(50);

  void Run() {
    std::string batch;
    auto last_write = std::chrono::steady_clock::time_point();
    for (;;) {
      {
        std::unique_lock lock(mu_);
        waiting_ = true;
        cv_.wait(lock, [this] { return !buffer_.empty(); });
        waiting_ = false;  // Append does not notify until we wait again
      }
      if (std::chrono::steady_clock::now() - last_write < kBusyWindow) {
        std::this_thread::sleep_for(kBatchDelay);
      }
      {
        std::lock_guard lock(mu_);
        batch.swap(buffer_);
      }
      {
        std::lock_guard write_lock(write_mu_);
        WriteStderr(batch);
      }
      last_write = std::chrono::steady_clock::now();
      batch.clear();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::string buffer_;
  bool waiting_ = false;
  std::mutex write_mu_;  // keeps Flush's write after the writer's
};

}  // namespace

// The JSON access line, written by hand: nlohmann + spdlog cost a quarter of the CPU of an
// authenticated GET, and spdlog's console mutex held across write(2) made the worker threads
// queue on a futex (bench/README.md). Same fields and values; false for the rare entry with
// text that is not valid UTF-8, which takes the nlohmann path (it replaces the bad bytes).
bool FormatAccessLine(const http::AccessLogEntry& e, std::string& line) {
  char number[64];
  line.assign("{\"time\":\"");
  AppendTimestamp(line, spdlog::log_clock::now());
  line.append("\",\"level\":\"info\",\"logger\":\"access\",\"request_id\":");
  if (!AppendJsonString(line, e.request_id)) return false;
  line.append(",\"method\":");
  if (!AppendJsonString(line, e.method)) return false;
  line.append(",\"route\":");
  if (!AppendJsonString(line, e.route.empty() ? std::string_view("none") : e.route)) return false;
  line.append(",\"path\":");
  if (!AppendJsonString(line, e.path)) return false;
  // latency_ms with 3 decimals, from integer microseconds (no printf on the hot path).
  const long long micros = std::max<long long>(0, e.latency.count());
  const char fraction[4] = {static_cast<char>('0' + micros / 100 % 10),
                            static_cast<char>('0' + micros / 10 % 10),
                            static_cast<char>('0' + micros % 10), '\0'};
  line.append(",\"status\":");
  line.append(number, std::to_chars(number, number + sizeof number, e.status).ptr);
  line.append(",\"latency_ms\":");
  line.append(number, std::to_chars(number, number + sizeof number, micros / 1000).ptr);
  line.push_back('.');
  line.append(fraction);
  line.append(",\"bytes\":");
  line.append(number, std::to_chars(number, number + sizeof number, e.response_bytes).ptr);
  line.append(",\"remote\":");
  if (!AppendJsonString(line, e.remote_address)) return false;
  line.append(",\"principal\":");
  if (!AppendJsonString(line, e.principal)) return false;
  line.append(e.tls ? ",\"tls\":true}\n" : ",\"tls\":false}\n");
  return true;
}

void LogAccess(const http::AccessLogEntry& e) {
  if (!g_access) return;
  if (g_json) {
    thread_local std::string fast_line;
    if (FormatAccessLine(e, fast_line)) {
      AccessLogWriter::Get().Append(fast_line);
      return;
    }
    nlohmann::json line = {{"time", JsonFormatter::Timestamp(spdlog::log_clock::now())},
                           {"level", "info"},
                           {"logger", "access"},
                           {"request_id", e.request_id},
                           {"method", e.method},
                           {"route", e.route.empty() ? std::string_view("none") : e.route},
                           {"path", e.path},
                           {"status", e.status},
                           {"latency_ms", static_cast<double>(e.latency.count()) / 1000.0},
                           {"bytes", e.response_bytes},
                           {"remote", e.remote_address},
                           {"principal", e.principal},
                           {"tls", e.tls}};
    g_access->info("{}", line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  } else {
    g_access->info("{} {} {} {} {:.3f}ms route={} principal={} request_id={}", e.remote_address,
                   e.method, e.path, e.status, static_cast<double>(e.latency.count()) / 1000.0,
                   e.route.empty() ? std::string_view("none") : e.route, e.principal,
                   e.request_id);
  }
}

}  // namespace latchkey::app
