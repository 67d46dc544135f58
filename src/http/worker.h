// One worker thread's share of the server: an io_context, an acceptor per listener and the
// connections accepted on them. Everything except Post-ed work runs on the worker's thread,
// so the connection registry needs no lock. Internal to src/http/.
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <vector>

#include "http/asio.h"

namespace latchkey::http {

class ServerCore;

// A live connection, registered with its worker so that Stop can reach it.
class Connection {
 public:
  virtual ~Connection() = default;
  // Closes the connection if it is waiting for a new request and none has begun to arrive.
  virtual void CloseIfIdle() = 0;
  // Closes the connection now; pending operations fail.
  virtual void Close() = 0;

 protected:
  // The worker closes the connection (Close) once `deadline` has passed; it checks every
  // Worker::sweep_interval, so a timeout fires up to one interval late, never early.
  void SetDeadline(std::chrono::steady_clock::time_point deadline) { deadline_ = deadline; }

 private:
  friend class Worker;
  std::list<Connection*>::iterator position_;
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
};

struct ListenerSlot {
  Acceptor acceptor;
  bool tls = false;
  uint16_t port = 0;
};

class Worker {
 public:
  explicit Worker(ServerCore& core);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  asio::io_context& context() { return *context_; }
  ServerCore& core() { return core_; }

  // Takes a bound, listening acceptor and starts accepting on it once Run is called.
  void AddListener(Acceptor acceptor, bool tls, uint16_t port);
  // Runs the io_context on the calling thread until the worker has stopped.
  void Run();
  // Thread-safe: asks the worker to stop gracefully (see Server::Stop).
  void RequestStop();

  void Register(Connection& connection);
  void Unregister(Connection& connection);

 private:
  Awaitable<> AcceptLoop(ListenerSlot& slot);
  void ArmSweep();
  void Sweep();
  void BeginStop();
  void DrainBacklog(ListenerSlot& slot);
  void ForceCloseAll();
  void MaybeFinish();

  ServerCore& core_;
  std::list<Connection*> connections_;
  // Accept loops still running: one may hold a socket that it has accepted but not started.
  size_t accept_loops_ = 0;
  bool stopping_ = false;
  bool destroying_ = false;
  // Connection deadlines are checked by one periodic timer per worker, which runs only while
  // the worker has connections: a timer armed and cancelled around every read and write cost
  // about a tenth of a small request's user CPU.
  bool sweep_armed_ = false;
  std::chrono::milliseconds sweep_interval_;
  std::unique_ptr<asio::io_context> context_;
  std::vector<std::unique_ptr<ListenerSlot>> listeners_;
  std::unique_ptr<Timer> grace_timer_;
  std::unique_ptr<Timer> sweep_timer_;
};

// Applies the connection limits to a freshly accepted socket and starts its session.
void StartConnection(Worker& worker, const ListenerSlot& slot, Socket socket);

}  // namespace latchkey::http
