// Round trips through a real server on 127.0.0.1 port 0.
#include "http/server.h"

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <set>
#include <stdexcept>

#include <gtest/gtest.h>

#include "test_client.h"
#include "test_support.h"

namespace latchkey::http {
namespace {

using testing::Get;
using testing::Post;
using testing::RunningServer;
using testing::TestClient;

// Echoes what it saw of the request, so tests can check the parsing.
Response Echo(Request& request) {
  Response response = Response::Text(
      200, request.method + " " + request.path + " q=" + request.query + " body=" + request.body);
  response.headers.emplace_back("X-Remote", request.remote_address);
  response.headers.emplace_back("X-Port", std::to_string(request.local_port));
  response.headers.emplace_back("X-Tls", request.tls ? "1" : "0");
  response.headers.emplace_back("X-Seen-Request-Id", request.request_id);
  return response;
}

TEST(HttpServerTest, GetRoundTrip) {
  RunningServer server(testing::LoopbackOptions(), Echo);
  auto client = TestClient::Connect(server.port());
  ASSERT_NE(client, nullptr);

  auto response = client->RoundTrip(Get("/a/b?x=1"));

  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "GET /a/b q=x=1 body=");
  EXPECT_EQ(response->Header("Server"), "latchkey");
  EXPECT_EQ(response->Header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(response->Header("X-Remote"), "127.0.0.1");
  EXPECT_EQ(response->Header("X-Port"), std::to_string(server.port()));
  EXPECT_EQ(response->Header("X-Tls"), "0");
  EXPECT_FALSE(response->Header("x-request-id").empty());
  EXPECT_EQ(response->Header("x-request-id"), response->Header("X-Seen-Request-Id"));
}

TEST(HttpServerTest, PostBodyReachesHandler) {
  RunningServer server(testing::LoopbackOptions(), Echo);
  auto client = TestClient::Connect(server.port());
  ASSERT_NE(client, nullptr);

  auto response = client->RoundTrip(Post("/token", "grant_type=client_credentials"));

  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "POST /token q= body=grant_type=client_credentials");
}

TEST(HttpServerTest, KeepAliveServesThreeRequestsOnOneConnection) {
  RunningServer server(testing::LoopbackOptions(), Echo);
  auto client = TestClient::Connect(server.port());
  ASSERT_NE(client, nullptr);

  for (int i = 0; i < 3; ++i) {
    auto response = client->RoundTrip(Get("/n" + std::to_string(i)));
    ASSERT_TRUE(response) << i;
    EXPECT_EQ(response->body, "GET /n" + std::to_string(i) + " q= body=");
    EXPECT_EQ(response->Header("Connection"), "");
  }
}

TEST(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  RunningServer server(testing::LoopbackOptions(), Echo);
  auto client = TestClient::Connect(server.port());
  ASSERT_NE(client, nullptr);

  ASSERT_TRUE(client->Send(Post("/first", "1") + Get("/second") + Post("/third", "3")));

  auto first = client->Read();
  auto second = client->Read();
  auto third = client->Read();
  ASSERT_TRUE(first && second && third);
  EXPECT_EQ(first->body, "POST /first q= body=1");
  EXPECT_EQ(second->body, "GET /second q= body=");
  EXPECT_EQ(third->body, "POST /third q= body=3");
}

// One worker. While it is held in a handler, requests arrive on two more connections; once
// released, it handles both before writing either response, so that a client with many
// connections is woken once for the batch. The handler of /b waits for the client to have
// received the response to /a: written at once, that response would arrive meanwhile.
TEST(HttpServerTest, ResponsesOfAReadyBatchAreWrittenAfterItsHandlersRan) {
  using std::chrono::milliseconds;
  // Each promise is set once; a handler waits on its future with a timeout.
  struct State {
    std::promise<void> holding, release, a_received;
    std::shared_future<void> released = release.get_future().share();
    std::shared_future<void> a_arrived = a_received.get_future().share();
    std::atomic<bool> b_saw_a{false};
  };
  auto state = std::make_shared<State>();
  std::future<void> holding = state->holding.get_future();
  ServerOptions options = testing::LoopbackOptions();
  options.threads = 1;
  RunningServer server(std::move(options), [state](Request& request) {
    if (request.path == "/hold") {
      state->holding.set_value();
      state->released.wait_for(milliseconds(5000));
    } else if (request.path == "/b") {
      state->b_saw_a =
          state->a_arrived.wait_for(milliseconds(300)) == std::future_status::ready;
    }
    return Echo(request);
  });
  std::unique_ptr<TestClient> clients[3];
  for (auto& client : clients) {
    client = TestClient::Connect(server.port());
    ASSERT_NE(client, nullptr);
    ASSERT_TRUE(client->RoundTrip(Get("/warm")));  // its session is reading
  }

  ASSERT_TRUE(clients[0]->Send(Get("/hold")));
  ASSERT_EQ(holding.wait_for(milliseconds(5000)), std::future_status::ready);
  ASSERT_TRUE(clients[1]->Send(Get("/a")));
  ASSERT_TRUE(clients[2]->Send(Get("/b")));
  state->release.set_value();
  auto held = clients[0]->Read();
  auto a = clients[1]->Read();
  state->a_received.set_value();
  auto b = clients[2]->Read();

  ASSERT_TRUE(held && a && b);
  EXPECT_EQ(held->body, "GET /hold q= body=");
  EXPECT_EQ(a->body, "GET /a q= body=");
  EXPECT_EQ(b->body, "GET /b q= body=");
  EXPECT_FALSE(state->b_saw_a) << "the response to /a left before /b, ready with it, was handled";
}

TEST(HttpServerTest, Http10ClosesAfterResponse) {
  RunningServer server(testing::LoopbackOptions(), Echo);
  auto client = TestClient::Connect(server.port());
  ASSERT_NE(client, nullptr);

  auto response = client->RoundTrip("GET /old HTTP/1.0\r\n\r\n");

  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->Header("Connection"), "close");
  EXPECT_TRUE(client->WaitClosed(std::chrono::seconds(3)));
}

TEST(HttpServerTest, Http10KeepAliveIsHonoured) {
  RunningServer server(testing::LoopbackOptions(), Echo);
  auto client = TestClient::Connect(server.port());
  ASSERT_NE(client, nullptr);

  auto first = client->RoundTrip("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  auto second = client->RoundTrip("GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");

  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->Header("Connection"), "keep-alive");
  EXPECT_EQ(second->body, "GET /b q= body=");
}

TEST(HttpServerTest, ConnectionCloseIsHonoured) {
  RunningServer server(testing::LoopbackOptions(), Echo);
  auto client = TestClient::Connect(server.port());
  ASSERT_NE(client, nullptr);

  auto response = client->RoundTrip(Get("/a", "Connection: close\r\n"));

  ASSERT_TRUE(response);
  EXPECT_EQ(response->Header("Connection"), "close");
  EXPECT_TRUE(client->WaitClosed(std::chrono::seconds(3)));
}

TEST(HttpServerTest, HeadResponseHasLengthButNoBody) {
  RunningServer server(testing::LoopbackOptions(), Echo);
  auto client = TestClient::Connect(server.port());
  ASSERT_NE(client, nullptr);

  auto head = client->RoundTrip("HEAD /a HTTP/1.1\r\nHost: t\r\n\r\n", /*head=*/true);
  auto next = client->RoundTrip(Get("/b"));  // would be garbled had a body been sent

  ASSERT_TRUE(head && next);
  EXPECT_EQ(head->Header("Content-Length"), std::to_string(std::string("HEAD /a q= body=").size()));
  EXPECT_EQ(next->body, "GET /b q= body=");
}

TEST(HttpServerTest, ExpectContinueGets100ThenResponse) {
  RunningServer server(testing::LoopbackOptions(), Echo);
  auto client = TestClient::Connect(server.port());
  ASSERT_NE(client, nullptr);

  ASSERT_TRUE(client->Send(
      "POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  auto interim = client->Read();
  ASSERT_TRUE(client->Send("hello"));
  auto final_response = client->Read();

  ASSERT_TRUE(interim && final_response);
  EXPECT_EQ(interim->status, 100);
  EXPECT_EQ(final_response->body, "POST /up q= body=hello");
}

TEST(HttpServerTest, ChunkedBodyIsAccepted) {
  RunningServer server(testing::LoopbackOptions(), Echo);
  auto client = TestClient::Connect(server.port());
  ASSERT_NE(client, nullptr);

  auto response = client->RoundTrip(
      "POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");

  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "POST /c q= body=hello world");
}

TEST(HttpServerTest, AbsoluteFormTargetIsReducedToPath) {
  RunningServer server(testing::LoopbackOptions(), Echo);
  auto client = TestClient::Connect(server.port());
  ASSERT_NE(client, nullptr);

  auto response = client->RoundTrip("GET http://example.com//x/y?z HTTP/1.1\r\nHost: e\r\n\r\n");

  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "GET /x/y q=z body=");
}

TEST(HttpServerTest, RequestIdsAreUnique) {
  RunningServer server(testing::LoopbackOptions(), Echo);
  std::set<std::string> ids;

  for (int c = 0; c < 4; ++c) {
    auto client = TestClient::Connect(server.port());
    ASSERT_NE(client, nullptr);
    for (int i = 0; i < 25; ++i) {
      auto response = client->RoundTrip(Get("/id"));
      ASSERT_TRUE(response);
      ASSERT_EQ(response->HeaderCount("x-request-id"), 1u);
      ids.insert(response->Header("x-request-id"));
    }
  }

  EXPECT_EQ(ids.size(), 100u);
}

TEST(HttpServerTest, HandlerExceptionGives500AndServerSurvives) {
  ServerOptions options = testing::LoopbackOptions();
  std::string rendered_path;
  options.error_renderer = [&](int status, std::string_view message, std::string_view path) {
    rendered_path = std::string(path);
    return Response::Json(status, "{\"custom\":\"" + std::string(message) + "\"}");
  };
  RunningServer server(std::move(options), [](Request& request) -> Response {
    if (request.path == "/boom") throw std::runtime_error("secret detail");
    return Response::Text(200, "fine");
  });
  auto client = TestClient::Connect(server.port());
  ASSERT_NE(client, nullptr);

  auto failed = client->RoundTrip(Get("/boom"));
  auto next = client->RoundTrip(Get("/ok"));

  ASSERT_TRUE(failed && next);
  EXPECT_EQ(failed->status, 500);
  EXPECT_EQ(failed->body, R"({"custom":"internal error"})");
  EXPECT_FALSE(failed->Header("x-request-id").empty());
  EXPECT_EQ(rendered_path, "/boom");
  EXPECT_EQ(next->body, "fine");
}

TEST(HttpServerTest, HandlerCannotInjectHeadersOrOverrideFraming) {
  RunningServer server(testing::LoopbackOptions(), [](Request&) {
    Response response = Response::Text(200, "ok");
    response.headers.emplace_back("X-Evil", "a\r\nSet-Cookie: x=1");
    response.headers.emplace_back("Content-Length", "999");
    response.headers.emplace_back("x-request-id", "forged");
    return response;
  });
  auto client = TestClient::Connect(server.port());
  ASSERT_NE(client, nullptr);

  auto response = client->RoundTrip(Get("/"));

  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "ok");
  EXPECT_EQ(response->HeaderCount("Set-Cookie"), 0u);
  EXPECT_EQ(response->HeaderCount("X-Evil"), 0u);
  EXPECT_NE(response->Header("x-request-id"), "forged");
}

TEST(HttpServerTest, AccessLogGetsOneEntryPerRequestWithoutQuery) {
  ServerOptions options = testing::LoopbackOptions();
  std::mutex mu;
  std::vector<AccessLogEntry> entries;
  options.access_log = [&](const AccessLogEntry& entry) {
    std::lock_guard lock(mu);
    entries.push_back(entry);
  };
  RunningServer server(std::move(options), [](Request&) {
    Response response = Response::Text(201, "12345");
    response.log_principal = "client-1";
    return response;
  });
  auto client = TestClient::Connect(server.port());
  ASSERT_NE(client, nullptr);

  auto response = client->RoundTrip(Get("/log?secret=x"));
  ASSERT_TRUE(response);
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        std::lock_guard l(mu);
        return entries.size() == 1;
      },
      std::chrono::seconds(2)));

  std::lock_guard lock(mu);
  EXPECT_EQ(entries[0].method, "GET");
  EXPECT_EQ(entries[0].path, "/log");
  EXPECT_EQ(entries[0].status, 201);
  EXPECT_EQ(entries[0].response_bytes, 5u);
  EXPECT_EQ(entries[0].principal, "client-1");
  EXPECT_EQ(entries[0].remote_address, "127.0.0.1");
  EXPECT_EQ(entries[0].request_id, response->Header("x-request-id"));
  EXPECT_FALSE(entries[0].tls);
}

TEST(HttpServerTest, RemoteAddressIsCorrectOnIpv6Listener) {
  ServerOptions options = testing::LoopbackOptions();
  options.listeners = {{.host = "::1", .port = 0, .tls = false}};
  Server probe(options, Echo);
  if (!probe.Start()) GTEST_SKIP() << "no IPv6 loopback on this machine";
  RunningServer server(std::move(options), Echo);
  auto client = TestClient::Connect(server.port(), "::1");
  ASSERT_NE(client, nullptr);

  auto response = client->RoundTrip(Get("/"));

  ASSERT_TRUE(response);
  EXPECT_EQ(response->Header("X-Remote"), "::1");
}

TEST(HttpServerTest, TwoListenersReportTheirOwnPorts) {
  ServerOptions options = testing::LoopbackOptions();
  options.listeners.push_back({.host = "127.0.0.1", .port = 0, .tls = false});
  RunningServer server(std::move(options), Echo);
  ASSERT_NE(server.port(0), server.port(1));
  auto client = TestClient::Connect(server.port(1));
  ASSERT_NE(client, nullptr);

  auto response = client->RoundTrip(Get("/"));

  ASSERT_TRUE(response);
  EXPECT_EQ(response->Header("X-Port"), std::to_string(server.port(1)));
}

}  // namespace
}  // namespace latchkey::http
