// HTTP/1.1 sessions: one coroutine per connection that reads requests, calls the handler and
// writes responses in order. Internal to src/http/.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "http/asio.h"
#include "http/worker.h"

namespace latchkey::http {

struct ConnectionInfo {
  std::string remote_address;  // already counted by ServerCore::Admit; released at close
  uint16_t local_port = 0;
};

// Start serving an accepted socket on `worker`'s thread. The session owns itself and
// registers with the worker until it closes.
void StartPlainSession(Worker& worker, Socket socket, ConnectionInfo info);
void StartTlsSession(Worker& worker, Socket socket, ConnectionInfo info,
                     std::shared_ptr<asio::ssl::context> tls);

}  // namespace latchkey::http
