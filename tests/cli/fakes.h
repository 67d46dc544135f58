// Fakes for the CLI's outside world: a scripted HTTP transport, terminal, sleeper, a temporary
// HOME, and a harness that runs RunCli with them and captures stdout/stderr.
#pragma once

#include <stdlib.h>

#include <chrono>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "base/clock.h"
#include "cli/command.h"
#include "cli/http.h"
#include "cli/terminal.h"

namespace latchkey::cli::testing {

inline HttpResponse Json200(std::string body) {
  return HttpResponse{200, {{"content-type", "application/json"}}, std::move(body)};
}
inline HttpResponse Status(long status, std::string body, Headers headers = {}) {
  return HttpResponse{status, std::move(headers), std::move(body)};
}

// Answers requests from a handler (or a queue of canned answers) and records them.
class FakeTransport final : public Transport {
 public:
  using Handler = std::function<CliResult<HttpResponse>(const HttpRequest&)>;
  explicit FakeTransport(Handler handler = nullptr) : handler_(std::move(handler)) {}
  void Enqueue(CliResult<HttpResponse> answer) { queue_.push_back(std::move(answer)); }
  CliResult<HttpResponse> Send(const HttpRequest& request) override {
    requests.push_back(request);
    if (!queue_.empty()) {
      CliResult<HttpResponse> next = std::move(queue_.front());
      queue_.pop_front();
      return next;
    }
    if (handler_) return handler_(request);
    return Status(500, R"({"error_code":"INTERNAL_ERROR","message":"no fake answer"})");
  }
  std::vector<HttpRequest> requests;

 private:
  Handler handler_;
  std::deque<CliResult<HttpResponse>> queue_;
};

// Forwards to a FakeTransport owned by the test (RunCli wants to own its transport).
class BorrowedTransport final : public Transport {
 public:
  explicit BorrowedTransport(Transport& inner) : inner_(inner) {}
  CliResult<HttpResponse> Send(const HttpRequest& r) override { return inner_.Send(r); }

 private:
  Transport& inner_;
};

class FakeSleeper final : public Sleeper {
 public:
  void Sleep(std::chrono::seconds d) override { sleeps.push_back(d); }
  std::vector<std::chrono::seconds> sleeps;
};

class FakeTerminal final : public Terminal {
 public:
  bool IsInteractive() override { return interactive; }
  std::string ReadLine(std::string_view prompt) override { return Next(prompt); }
  std::string ReadSecret(std::string_view prompt) override {
    secret_prompts.emplace_back(prompt);
    return Next(prompt);
  }
  std::string ReadAll() override { return stdin_text; }

  bool interactive = false;
  std::string stdin_text;
  std::deque<std::string> lines;
  std::vector<std::string> secret_prompts;

 private:
  std::string Next(std::string_view) {
    if (lines.empty()) return "";
    std::string l = lines.front();
    lines.pop_front();
    return l;
  }
};

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "latchkey-cli-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct RunResult {
  int exit_code;
  std::string out;
  std::string err;
};

// RunCli with HOME in a fresh temporary directory and every dependency faked.
class CliHarness {
 public:
  CliHarness() : clock(FromUnixSeconds(1767225600)) { env["HOME"] = home.path(); }

  RunResult Run(const std::vector<std::string>& args) {
    std::ostringstream out;
    std::ostringstream err;
    CliDeps deps{env, out, err, terminal, clock, sleeper, [this](const TlsOptions& tls) {
                   tls_seen.push_back(tls);
                   return std::make_unique<BorrowedTransport>(transport);
                 }};
    const int code = RunCli(args, deps);
    return RunResult{code, out.str(), err.str()};
  }
  std::string ConfigPath() const { return home.path() + "/.databrickscfg"; }

  TempDir home;
  Environment env;
  FakeTransport transport;
  FakeTerminal terminal;
  FakeSleeper sleeper;
  FakeClock clock;
  std::vector<TlsOptions> tls_seen;
};

}  // namespace latchkey::cli::testing
