// Change notification across replicas. Every committing write of a PostgresStore sends
// pg_notify(<channel>, '<kind>:<id>') inside its transaction, so other sessions hear of it only
// if it commits. A NotificationListener owns one extra session that LISTENs on the channel and
// hands every notification from another session to a callback, on its own thread.
//
// If the session drops, it reconnects with backoff (50 ms doubling to 2 s) and then reports one
// Change of every kind with an empty id ("anything of this kind may have changed"), because
// notifications sent while it was away are lost. Thread-safe; the destructor stops and joins.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "store/postgres/connection.h"
#include "store/records.h"

namespace latchkey::store::postgres {

// "<kind>:<id>" with kind one of pat_deleted, principal_changed, permissions_changed,
// conf_changed, oauth_secret_deleted, credential_changed, signing_keys_changed.
std::string EncodeChange(const Change& change);
// nullopt for a payload of an unknown kind (e.g. from a newer replica): ignored.
std::optional<Change> DecodeChange(std::string_view payload);

// The channel for the store's schema: "latchkey_changes" in `public`, else
// "latchkey_changes_<schema>" (at most 63 bytes), so that deployments in different schemas of
// one database do not hear each other.
std::string ChannelForSchema(std::string_view schema);

class NotificationListener {
 public:
  struct Callbacks {
    std::function<void(const Change&)> on_change;
    // True for notifications sent by this process's own sessions (already reported locally).
    std::function<bool(int backend_pid)> is_own;
  };

  // Starts the thread; it connects in the background.
  NotificationListener(const ConnectionConfig& config, std::string channel, Callbacks callbacks);
  NotificationListener(const NotificationListener&) = delete;
  NotificationListener& operator=(const NotificationListener&) = delete;
  ~NotificationListener();

  // True while the session is connected and listening.
  bool Ready() const;
  // Waits up to `timeout` for Ready(); returns it.
  bool WaitUntilReady(std::chrono::milliseconds timeout) const;

 private:
  void Run();
  void SetListening(bool listening);
  // Connects and LISTENs; nullptr on failure.
  std::unique_ptr<Connection> Listen();
  // Serves one session until it fails or Stop; false when asked to stop.
  bool Serve(Connection& conn);
  // Sleeps `timeout_ms` unless asked to stop first; false when asked to stop.
  bool Wait(int timeout_ms);

  const ConnectionConfig& config_;
  const std::string channel_;
  const Callbacks callbacks_;
  int stop_pipe_[2] = {-1, -1};
  mutable std::mutex mu_;
  mutable std::condition_variable listening_changed_;
  bool listening_ = false;
  std::thread thread_;
};

}  // namespace latchkey::store::postgres
