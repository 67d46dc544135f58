// One failed-bearer budget per address across every bearer-authenticated surface, in the real
// composition (app::RegisterAppRoutes over a data dir made by `latchkeyd init`, real store,
// keys and throttles: tests/app/app_world.h): failures on Graph, on the workspace API, at
// forward-auth and at introspection's caller count against the same gate (auth/bearer_gate.h),
// and each surface answers the lockout in its own protocol's shape.
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/app_world.h"

namespace latchkey::app::testing {
namespace {

using nlohmann::json;

constexpr int kBudget = 20;  // BearerGateOptions::max_failures, as serve.cc makes the gate

class SharedGateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/latchkey-gate-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    world_ = AppWorld::Create(dir_ + "/data", /*real_throttles=*/true);
    ASSERT_NE(world_, nullptr);
  }
  void TearDown() override {
    world_.reset();
    std::filesystem::remove_all(dir_);
  }

  http::Response Call(std::string method, std::string target, const std::string& bearer,
                      std::string remote, std::string body = "") {
    http::Request request;
    request.method = std::move(method);
    request.target = std::move(target);
    http::SplitTarget(request.target, request.path, request.query);
    request.headers.emplace_back("Host", kWorldHost);
    request.headers.emplace_back("Authorization", "Bearer " + bearer);
    if (!body.empty()) {
      request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    }
    request.body = std::move(body);
    request.remote_address = std::move(remote);
    request.tls = true;
    request.local_port = 443;
    request.request_id = "gate";
    return world_->Dispatch(request);
  }
  static std::string Header(const http::Response& r, std::string_view name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return {};
  }

  std::string dir_;
  std::unique_ptr<AppWorld> world_;
};

TEST_F(SharedGateTest, GraphAndWorkspaceFailuresSpendOneBudget) {
  const std::string address = "203.0.113.5";
  const std::string bad_jwt = "eyJhbGciOiJSUzI1NiJ9.eyJhIjoxfQ.c2ln";
  // Half the budget on Graph, half on the workspace API: every one answered as a denial.
  for (int i = 0; i < kBudget / 2; ++i) {
    EXPECT_EQ(Call("GET", "/v1.0/applications", bad_jwt, address).status, 401);
    EXPECT_EQ(Call("GET", "/api/2.0/token/list", "dapi" + std::string(32, 'a'), address).status,
              403);
  }
  // Spent: every surface now refuses that address's bad bearers, each in its own shape.
  http::Response graph = Call("GET", "/v1.0/applications", bad_jwt, address);
  EXPECT_EQ(graph.status, 429);
  EXPECT_EQ(json::parse(graph.body)["error"]["code"], "TooManyRequests");
  EXPECT_FALSE(Header(graph, "Retry-After").empty());

  http::Response api = Call("GET", "/api/2.0/token/list", bad_jwt, address);
  EXPECT_EQ(api.status, 429);
  EXPECT_EQ(json::parse(api.body)["error_code"], "REQUEST_LIMIT_EXCEEDED");

  http::Response verify = Call("GET", "/auth/verify", bad_jwt, address);
  EXPECT_EQ(verify.status, 403);  // auth_request passes only 401 and 403 through
  EXPECT_FALSE(Header(verify, "Retry-After").empty());

  http::Response introspect =
      Call("POST", "/oauth2/introspect", bad_jwt, address, "token=" + world_->admin_pat);
  EXPECT_EQ(introspect.status, 429);
  EXPECT_EQ(json::parse(introspect.body)["error"], "slow_down");

  http::Response arm = Call("GET", "/subscriptions", bad_jwt, address);
  EXPECT_EQ(arm.status, 429);

  // Valid bearers from the same address (a proxy's clients share it) are never slowed.
  EXPECT_EQ(Call("GET", "/v1.0/applications", world_->graph_token, address).status, 200);
  EXPECT_EQ(Call("GET", "/api/2.0/token/list", world_->admin_pat, address).status, 200);
  EXPECT_EQ(Call("GET", "/auth/verify", world_->admin_pat, address).status, 200);
  // Another address has its own budget.
  EXPECT_EQ(Call("GET", "/v1.0/applications", bad_jwt, "203.0.113.6").status, 401);
}

}  // namespace
}  // namespace latchkey::app::testing
