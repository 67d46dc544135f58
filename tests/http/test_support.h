// Test helpers for the HTTP server: a self-signed certificate in a temporary directory, and a
// Server started on 127.0.0.1 port 0 that runs on a background thread.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "http/server.h"

namespace latchkey::http::testing {

// A fresh temporary directory, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Writes a new self-signed P-256 certificate for `common_name` and its key as PEM files.
void WriteSelfSignedCert(const std::string& common_name, const std::filesystem::path& cert_file,
                         const std::filesystem::path& key_file);

// Options for a loopback test server: one plain listener on 127.0.0.1:0, two threads, short
// shutdown grace.
ServerOptions LoopbackOptions();

class RunningServer {
 public:
  // Starts the server (the test fails if Start fails) and runs it on a background thread.
  RunningServer(ServerOptions options, Handler handler);
  // Stops the server if still running and joins the thread.
  ~RunningServer();

  Server& server() { return *server_; }
  uint16_t port(size_t listener = 0) const { return ports_.at(listener); }
  // Calls Stop and waits for Run to return; false if it did not return within `timeout`.
  bool StopAndWait(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  // Waits for Run to return without calling Stop.
  bool WaitForExit(std::chrono::milliseconds timeout);

 private:
  std::unique_ptr<Server> server_;
  std::vector<uint16_t> ports_;
  std::thread thread_;
  std::shared_ptr<std::atomic<bool>> done_ = std::make_shared<std::atomic<bool>>(false);
};

// Polls `condition` every few milliseconds until it holds or `timeout` passes.
template <class Condition>
bool WaitFor(Condition condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace latchkey::http::testing
