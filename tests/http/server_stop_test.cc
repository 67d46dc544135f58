// Graceful stop, signals and bind errors.
#include <atomic>
#include <csignal>

#include <gtest/gtest.h>

#include "http/server.h"
#include "test_client.h"
#include "test_support.h"

namespace latchkey::http {
namespace {

using namespace std::chrono_literals;
using testing::Get;
using testing::RunningServer;
using testing::TestClient;
using Clock = std::chrono::steady_clock;

TEST(HttpServerStopTest, InFlightRequestsCompleteBeforeRunReturns) {
  std::atomic<int> entered{0};
  RunningServer server(testing::LoopbackOptions(), [&](Request&) {
    ++entered;
    std::this_thread::sleep_for(300ms);
    return Response::Text(200, "slow done");
  });
  std::vector<std::unique_ptr<TestClient>> clients;
  for (int i = 0; i < 5; ++i) {
    clients.push_back(TestClient::Connect(server.port()));
    ASSERT_NE(clients.back(), nullptr);
    ASSERT_TRUE(clients.back()->Send(Get("/slow")));
  }
  ASSERT_TRUE(testing::WaitFor([&] { return entered >= 1; }, 3s));

  server.server().Stop();

  for (auto& client : clients) {
    auto response = client->Read();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "slow done");
    EXPECT_EQ(response->Header("Connection"), "close");
    client.reset();  // as clients do after "Connection: close"
  }
  EXPECT_TRUE(server.WaitForExit(5s));
  EXPECT_EQ(entered, 5);
}

TEST(HttpServerStopTest, IdleKeepAliveConnectionsAreClosedPromptly) {
  RunningServer server(testing::LoopbackOptions(),
                       [](Request&) { return Response::Text(200, "ok"); });
  auto client = TestClient::Connect(server.port());
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->RoundTrip(Get("/")));
  const auto start = Clock::now();

  EXPECT_TRUE(server.StopAndWait(2s));
  EXPECT_TRUE(client->WaitClosed(1s));
  EXPECT_LT(Clock::now() - start, 1s);
}

TEST(HttpServerStopTest, StuckClientIsForceClosedAfterGrace) {
  ServerOptions options = testing::LoopbackOptions();
  options.shutdown_grace = 300ms;
  RunningServer server(std::move(options), [](Request&) { return Response::Text(200, "ok"); });
  auto client = TestClient::Connect(server.port());
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Send("GET / HTTP/1.1\r\nHost: half"));  // a request that never ends
  ASSERT_TRUE(testing::WaitFor([&] { return server.server().Stats().open_connections == 1; }, 2s));
  const auto start = Clock::now();

  EXPECT_TRUE(server.StopAndWait(3s));
  EXPECT_GE(Clock::now() - start, 250ms);
  EXPECT_TRUE(client->WaitClosed(1s));
}

TEST(HttpServerStopTest, StopBeforeRunMakesRunReturn) {
  Server server(testing::LoopbackOptions(), [](Request&) { return Response::Text(200, "ok"); });
  ASSERT_TRUE(server.Start());

  server.Stop();
  server.Run();

  SUCCEED();
}

TEST(HttpServerStopTest, SigtermStopsAndSighupCallsHook) {
  std::atomic<int> hups{0};
  Server server(testing::LoopbackOptions(), [](Request&) { return Response::Text(200, "ok"); });
  ASSERT_TRUE(server.Start());
  server.HandleSignals([&] { ++hups; });
  std::atomic<bool> done{false};
  std::thread runner([&] {
    server.Run();
    done = true;
  });
  // Run installs the handlers; a request answered means it is running.
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        auto client = TestClient::Connect(server.BoundPorts()[0]);
        return client && client->RoundTrip(Get("/"));
      },
      3s));

  ASSERT_EQ(std::raise(SIGHUP), 0);
  ASSERT_TRUE(testing::WaitFor([&] { return hups == 1; }, 3s));
  ASSERT_EQ(std::raise(SIGTERM), 0);

  EXPECT_TRUE(testing::WaitFor([&] { return done.load(); }, 3s));
  runner.join();
}

TEST(HttpServerStopTest, StartFailsWithUnavailableWhenPortIsTaken) {
  RunningServer first(testing::LoopbackOptions(),
                      [](Request&) { return Response::Text(200, "1"); });
  ServerOptions options = testing::LoopbackOptions();
  options.listeners[0].port = first.port();
  Server second(options, [](Request&) { return Response::Text(200, "2"); });

  Status started = second.Start();

  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kUnavailable);
}

TEST(HttpServerStopTest, StartFailsWithInvalidArgumentForBadHost) {
  ServerOptions options = testing::LoopbackOptions();
  options.listeners[0].host = "not-an-ip";
  Server server(options, [](Request&) { return Response::Text(200, "ok"); });

  Status started = server.Start();

  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace latchkey::http
