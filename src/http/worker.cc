#include "http/worker.h"

#include <algorithm>
#include <array>

#include "http/response_writer.h"
#include "http/server_core.h"
#include "http/session.h"

namespace latchkey::http {

namespace {

// A tenth of the shortest timeout, so that a timeout fires at most 10 % late.
std::chrono::milliseconds SweepInterval(const ServerOptions& options) {
  const auto shortest =
      std::min({options.header_timeout, options.body_timeout, options.idle_timeout});
  return std::clamp(shortest / 10, std::chrono::milliseconds(10), std::chrono::milliseconds(1000));
}

}  // namespace

Worker::Worker(ServerCore& core)
    : core_(core),
      sweep_interval_(SweepInterval(core.options())),
      // One thread runs each io_context; the hint lets Asio skip some internal locking.
      context_(std::make_unique<asio::io_context>(1)),
      grace_timer_(std::make_unique<Timer>(context_->get_executor())),
      sweep_timer_(std::make_unique<Timer>(context_->get_executor())) {}

Worker::~Worker() {
  // Destroying the io_context destroys suspended sessions, which unregister themselves; the
  // acceptors and timer must go before it.
  destroying_ = true;
  listeners_.clear();
  grace_timer_.reset();
  sweep_timer_.reset();
  context_.reset();
}

void Worker::AddListener(Acceptor acceptor, bool tls, uint16_t port) {
  listeners_.push_back(
      std::make_unique<ListenerSlot>(ListenerSlot{std::move(acceptor), tls, port}));
  ++accept_loops_;
  asio::co_spawn(context_->get_executor(), AcceptLoop(*listeners_.back()), asio::detached);
}

void Worker::Run() {
  auto work = asio::make_work_guard(*context_);
  context_->run();
}

void Worker::RequestStop() {
  asio::post(*context_, [this] { BeginStop(); });
}

void Worker::Register(Connection& connection) {
  connection.position_ = connections_.insert(connections_.end(), &connection);
  if (!sweep_armed_) ArmSweep();
}

void Worker::ArmSweep() {
  sweep_armed_ = true;
  sweep_timer_->expires_after(sweep_interval_);
  sweep_timer_->async_wait([this](const ErrorCodeT& ec) {
    sweep_armed_ = false;
    if (ec || destroying_) return;
    Sweep();
    if (!connections_.empty()) ArmSweep();
  });
}

// Closes the connections whose deadline has passed. Close only fails their pending
// operations: the sessions end (and unregister) later, from their own completions.
void Worker::Sweep() {
  const auto now = std::chrono::steady_clock::now();
  for (Connection* connection : connections_) {
    if (connection->deadline_ <= now) {
      connection->deadline_ = std::chrono::steady_clock::time_point::max();
      connection->Close();
    }
  }
}

void Worker::Unregister(Connection& connection) {
  connections_.erase(connection.position_);
  MaybeFinish();
}

void Worker::BeginStop() {
  if (stopping_) return;
  stopping_ = true;
  for (auto& slot : listeners_) {
    DrainBacklog(*slot);
    ErrorCodeT ec;
    slot->acceptor.close(ec);
  }
  const std::vector<Connection*> snapshot(connections_.begin(), connections_.end());
  for (Connection* connection : snapshot) connection->CloseIfIdle();
  grace_timer_->expires_after(core_.options().shutdown_grace);
  grace_timer_->async_wait([this](const ErrorCodeT& ec) {
    if (ec) return;
    ForceCloseAll();
    // Sessions end as soon as their pending operations fail; this is the last resort.
    grace_timer_->expires_after(std::chrono::seconds(1));
    grace_timer_->async_wait([this](const ErrorCodeT& e) {
      if (!e) context_->stop();
    });
  });
  MaybeFinish();
}

// Connections that completed the TCP handshake before Stop are already queued in the kernel;
// closing the acceptor would reset them. Accept them so that a request they already sent is
// answered (the session closes them if nothing arrived).
void Worker::DrainBacklog(ListenerSlot& slot) {
  ErrorCodeT ec;
  slot.acceptor.non_blocking(true, ec);
  while (!ec) {
    Socket socket(context_->get_executor());
    slot.acceptor.accept(socket, ec);
    if (!ec) StartConnection(*this, slot, std::move(socket));
  }
}

void Worker::ForceCloseAll() {
  const std::vector<Connection*> snapshot(connections_.begin(), connections_.end());
  for (Connection* connection : snapshot) connection->Close();
}

void Worker::MaybeFinish() {
  if (!stopping_ || destroying_ || !connections_.empty() || accept_loops_ > 0) return;
  grace_timer_->cancel();
  context_->stop();
}

// Accepts connections on `slot` until its acceptor is closed.
Awaitable<> Worker::AcceptLoop(ListenerSlot& slot) {
  struct Exit {
    Worker& worker;
    ~Exit() {
      --worker.accept_loops_;
      worker.MaybeFinish();
    }
  } on_exit{*this};
  for (;;) {
    ErrorCodeT ec;
    Socket socket(context_->get_executor());
    co_await slot.acceptor.async_accept(socket, Redirect(ec));
    if (!ec) {
      StartConnection(*this, slot, std::move(socket));
      continue;
    }
    if (ec == asio::error::operation_aborted || !slot.acceptor.is_open()) co_return;
    // Out of descriptors or buffers: back off instead of spinning on the error.
    Timer backoff(context_->get_executor());
    backoff.expires_after(std::chrono::milliseconds(50));
    co_await backoff.async_wait(Redirect(ec));
  }
}

void StartConnection(Worker& worker, const ListenerSlot& slot, Socket socket) {
  ServerCore& core = worker.core();
  ErrorCodeT ec;
  tcp::endpoint peer = socket.remote_endpoint(ec);
  if (ec) return;
  asio::ip::address address = peer.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  std::string ip = address.to_string();
  const Admission admission = core.Admit(ip);
  if (admission == Admission::kServerFull && !slot.tls) {
    // Best effort and never blocking: a fresh socket's send buffer takes this at once.
    Response response = core.RenderError(503, "the server is at its connection limit", "");
    std::string id, head;
    NextRequestId(id);
    SerializeHead(response, {.version = 11, .keep_alive = false, .head = false, .request_id = id},
                  head);
    socket.non_blocking(true, ec);
    const std::array<asio::const_buffer, 2> buffers{asio::buffer(head),
                                                    asio::buffer(response.body)};
    socket.write_some(buffers, ec);
  }
  if (admission != Admission::kAdmitted) return;
  socket.set_option(tcp::no_delay(true), ec);
  ConnectionInfo info{std::move(ip), slot.port};
  if (!slot.tls) {
    StartPlainSession(worker, std::move(socket), std::move(info));
    return;
  }
  std::shared_ptr<asio::ssl::context> tls = core.CurrentTls();
  if (!tls) {
    core.Release(info.remote_address);
    return;
  }
  StartTlsSession(worker, std::move(socket), std::move(info), std::move(tls));
}

}  // namespace latchkey::http
