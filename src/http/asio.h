// The one place that includes Boost.Asio and Beast for src/http/ .cc files, plus the executor
// and stream types the server uses. Not for use outside src/http/.
#pragma once

// g++ 12 with Boost 1.74: <boost/asio/awaitable.hpp> uses std::exchange without including
// <utility>, so it must come first.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace latchkey::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using ErrorCodeT = boost::system::error_code;

// Every I/O object is bound to one worker's io_context; naming the concrete executor type
// (instead of any_io_executor) avoids type-erased dispatch on every operation.
using Executor = asio::io_context::executor_type;
using Socket = asio::basic_stream_socket<tcp, Executor>;
using Acceptor = asio::basic_socket_acceptor<tcp, Executor>;
using Timer = asio::basic_waitable_timer<std::chrono::steady_clock,
                                         asio::wait_traits<std::chrono::steady_clock>, Executor>;
// Sessions keep their own deadlines (Worker::Sweep) instead of beast::basic_stream's timer,
// which armed and cancelled a timer around every read and write.
using TlsStream = beast::ssl_stream<Socket>;
using SignalSet = asio::basic_signal_set<Executor>;

template <class T = void>
using Awaitable = asio::awaitable<T, Executor>;

inline constexpr asio::use_awaitable_t<Executor> kUseAwaitable{};

// A completion token that stores the error in `ec` instead of throwing.
inline auto Redirect(ErrorCodeT& ec) { return asio::redirect_error(kUseAwaitable, ec); }

}  // namespace latchkey::http
