// The store pool (http/offload.h) through a real server on 127.0.0.1: a handler that defers
// runs off the I/O thread, the worker keeps serving its other connections, responses keep
// their order, the queue is bounded, and a request past its deadline or whose client has gone
// is never executed.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "http/offload_context.h"
#include "http/server.h"
#include "test_client.h"
#include "test_support.h"

namespace latchkey::http {
namespace {

using std::chrono::milliseconds;
using testing::Get;
using testing::Post;
using testing::RunningServer;
using testing::TestClient;

// A latch the pool's handlers wait on (bounded, so a failing test cannot hang).
class Gate {
 public:
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void Wait() {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, milliseconds(5000), [this] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

struct World {
  Gate gate;
  std::atomic<int> blocked{0};           // handlers waiting on the gate
  std::atomic<int> executed{0};          // /count handlers run on the pool
  std::atomic<int> fast{0};              // /fast handlers (never deferred)
  std::atomic<bool> saw_abandoned{false};  // a /block handler found its request abandoned
};

// /block and /count defer (as a store call does); /block then waits on the gate; /fast never
// defers.
Handler MakeHandler(World& world) {
  return [&world](Request& request) {
    if (request.path == "/fast") {
      ++world.fast;
      return Response::Text(200, "fast");
    }
    if (DeferToPool()) return Response::Text(503, "deferred attempt: discarded");
    if (request.path == "/block") {
      ++world.blocked;
      world.gate.Wait();
      if (Abandoned()) world.saw_abandoned = true;
      return Response::Text(200, "blocked " + request.body);
    }
    ++world.executed;
    return Response::Text(200, "counted");
  };
}

ServerOptions PoolOptions(int pool_threads) {
  ServerOptions options = testing::LoopbackOptions();
  options.threads = 1;  // every connection on one worker
  options.offload_threads = pool_threads;
  options.error_renderer = [](int status, std::string_view message, std::string_view) {
    return Response::Json(status, "{\"error\":\"" + std::string(message) + "\"}");
  };
  return options;
}

bool WaitFor(const std::function<bool()>& condition, milliseconds timeout = milliseconds(5000)) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return true;
}

TEST(HttpOffloadTest, AStuckRequestDoesNotBlockOtherConnectionsOfItsWorker) {
  World world;
  RunningServer server(PoolOptions(2), MakeHandler(world));
  auto stuck = TestClient::Connect(server.port());
  auto other = TestClient::Connect(server.port());
  ASSERT_TRUE(stuck && other);

  ASSERT_TRUE(stuck->Send(Post("/block", "a")));
  ASSERT_TRUE(WaitFor([&] { return world.blocked == 1; }));
  // The only worker answers the other connection while /block waits on the pool.
  for (int i = 0; i < 3; ++i) {
    auto fast = other->RoundTrip(Get("/fast"));
    ASSERT_TRUE(fast);
    EXPECT_EQ(fast->body, "fast");
  }
  world.gate.Open();
  auto blocked = stuck->Read();
  ASSERT_TRUE(blocked);
  EXPECT_EQ(blocked->status, 200);
  EXPECT_EQ(blocked->body, "blocked a");
  EXPECT_FALSE(blocked->Header("x-request-id").empty());
  EXPECT_EQ(server.server().Stats().offload_executed, 1u);
}

TEST(HttpOffloadTest, PipelinedResponsesKeepTheirOrderAcrossThePool) {
  World world;
  RunningServer server(PoolOptions(2), MakeHandler(world));
  auto client = TestClient::Connect(server.port());
  ASSERT_TRUE(client);

  ASSERT_TRUE(client->Send(Post("/block", "1") + Get("/fast") + Get("/count") + Get("/fast")));
  ASSERT_TRUE(WaitFor([&] { return world.blocked == 1; }));
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_EQ(world.fast, 0) << "the next request waits for the one before it";
  world.gate.Open();
  auto first = client->Read();
  auto second = client->Read();
  auto third = client->Read();
  auto fourth = client->Read();
  ASSERT_TRUE(first && second && third && fourth);
  EXPECT_EQ(first->body, "blocked 1");
  EXPECT_EQ(second->body, "fast");
  EXPECT_EQ(third->body, "counted");
  EXPECT_EQ(fourth->body, "fast");
}

TEST(HttpOffloadTest, AFullQueueAnswers503WithRetryAfter) {
  World world;
  ServerOptions options = PoolOptions(1);
  options.offload_queue = 1;
  RunningServer server(std::move(options), MakeHandler(world));
  auto running = TestClient::Connect(server.port());
  auto queued = TestClient::Connect(server.port());
  auto refused = TestClient::Connect(server.port());
  ASSERT_TRUE(running && queued && refused);

  ASSERT_TRUE(running->Send(Post("/block", "r")));
  ASSERT_TRUE(WaitFor([&] { return world.blocked == 1; }));
  ASSERT_TRUE(queued->Send(Post("/block", "q")));
  ASSERT_TRUE(WaitFor([&] { return server.server().Stats().offload_queued == 1; }));
  auto busy = refused->RoundTrip(Post("/block", "x"));
  ASSERT_TRUE(busy);
  EXPECT_EQ(busy->status, 503);
  EXPECT_EQ(busy->Header("Retry-After"), "1");
  EXPECT_NE(busy->body.find("\"error\""), std::string::npos) << "the API's own error shape";
  EXPECT_EQ(server.server().Stats().offload_rejected, 1u);
  world.gate.Open();
  auto r = running->Read();
  auto q = queued->Read();
  ASSERT_TRUE(r && q);
  EXPECT_EQ(r->body, "blocked r");
  EXPECT_EQ(q->body, "blocked q");
  // The refused connection is still usable.
  auto again = refused->RoundTrip(Get("/fast"));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
}

TEST(HttpOffloadTest, TheQueueIsBoundedInBytes) {
  World world;
  ServerOptions options = PoolOptions(1);
  options.offload_queue_bytes = 4096;
  RunningServer server(std::move(options), MakeHandler(world));
  auto running = TestClient::Connect(server.port());
  auto queued = TestClient::Connect(server.port());
  auto refused = TestClient::Connect(server.port());
  ASSERT_TRUE(running && queued && refused);

  ASSERT_TRUE(running->Send(Post("/block", "r")));
  ASSERT_TRUE(WaitFor([&] { return world.blocked == 1; }));
  ASSERT_TRUE(queued->Send(Post("/block", std::string(3000, 'q'))));
  ASSERT_TRUE(WaitFor([&] { return server.server().Stats().offload_queued == 1; }));
  auto busy = refused->RoundTrip(Post("/block", std::string(3000, 'x')));
  ASSERT_TRUE(busy);
  EXPECT_EQ(busy->status, 503);
  // A small one still fits.
  auto small = TestClient::Connect(server.port());
  ASSERT_TRUE(small);
  ASSERT_TRUE(small->Send(Get("/count")));
  world.gate.Open();
  ASSERT_TRUE(running->Read() && queued->Read());
  auto counted = small->Read();
  ASSERT_TRUE(counted);
  EXPECT_EQ(counted->body, "counted");
}

TEST(HttpOffloadTest, ARequestPastItsDeadlineIsAnswered503AndNeverExecutedLate) {
  World world;
  ServerOptions options = PoolOptions(1);
  options.request_timeout = milliseconds(300);
  RunningServer server(std::move(options), MakeHandler(world));
  auto running = TestClient::Connect(server.port());
  auto queued = TestClient::Connect(server.port());
  ASSERT_TRUE(running && queued);

  const auto sent = std::chrono::steady_clock::now();
  ASSERT_TRUE(running->Send(Post("/block", "r")));
  ASSERT_TRUE(WaitFor([&] { return world.blocked == 1; }));
  ASSERT_TRUE(queued->Send(Get("/count")));
  auto late_running = running->Read();
  auto late_queued = queued->Read();
  const auto answered = std::chrono::steady_clock::now();
  ASSERT_TRUE(late_running && late_queued);
  EXPECT_EQ(late_running->status, 503);
  EXPECT_EQ(late_queued->status, 503);
  EXPECT_EQ(late_queued->Header("Retry-After"), "1");
  EXPECT_LT(answered - sent, milliseconds(2000)) << "answered at the deadline, not when done";

  world.gate.Open();
  // The running one finds its request abandoned (its store calls would refuse); the queued
  // one is never executed, though the pool is free again.
  ASSERT_TRUE(WaitFor([&] { return world.saw_abandoned.load(); }));
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_EQ(world.executed, 0);
  EXPECT_GE(server.server().Stats().offload_abandoned, 1u);
  // The connections still serve.
  auto fine = queued->RoundTrip(Get("/count"));
  ASSERT_TRUE(fine);
  EXPECT_EQ(fine->body, "counted");
}

TEST(HttpOffloadTest, ARequestWhoseClientHasGoneIsNotExecuted) {
  World world;
  RunningServer server(PoolOptions(1), MakeHandler(world));
  auto running = TestClient::Connect(server.port());
  ASSERT_TRUE(running);
  ASSERT_TRUE(running->Send(Post("/block", "r")));
  ASSERT_TRUE(WaitFor([&] { return world.blocked == 1; }));
  {
    auto leaving = TestClient::Connect(server.port());
    ASSERT_TRUE(leaving);
    ASSERT_TRUE(leaving->Send(Get("/count")));
    ASSERT_TRUE(WaitFor([&] { return server.server().Stats().offload_queued == 1; }));
  }  // closes: the client gave up
  ASSERT_TRUE(WaitFor([&] { return server.server().Stats().open_connections == 1; }))
      << "the server notices the close while the request waits";
  world.gate.Open();
  ASSERT_TRUE(running->Read());
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_EQ(world.executed, 0);
  EXPECT_EQ(server.server().Stats().offload_abandoned, 1u);
}

TEST(HttpOffloadTest, WithoutAPoolEveryHandlerRunsOnItsWorker) {
  World world;
  ServerOptions options = PoolOptions(0);
  RunningServer server(std::move(options), MakeHandler(world));
  auto client = TestClient::Connect(server.port());
  ASSERT_TRUE(client);
  auto counted = client->RoundTrip(Get("/count"));
  ASSERT_TRUE(counted);
  EXPECT_EQ(counted->body, "counted");
  EXPECT_EQ(server.server().Stats().offload_executed, 0u);
}

}  // namespace
}  // namespace latchkey::http
