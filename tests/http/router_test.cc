#include "http/router.h"

#include <gtest/gtest.h>

namespace latchkey::http {
namespace {

Handler Named(std::string name) {
  return [name](Request&) { return Response::Text(200, name); };
}

Request MakeRequest(std::string method, std::string_view target) {
  Request request;
  request.method = std::move(method);
  request.target = std::string(target);
  SplitTarget(target, request.path, request.query);
  return request;
}

class HttpRouterTest : public ::testing::Test {
 protected:
  Response Dispatch(std::string method, std::string_view target) {
    request_ = MakeRequest(std::move(method), target);
    return router_.Dispatch(request_);
  }

  Router router_;
  Request request_;
};

TEST_F(HttpRouterTest, LiteralRouteMatches) {
  router_.Add("GET", "/health", Named("health"));

  Response response = Dispatch("GET", "/health");

  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "health");
}

TEST_F(HttpRouterTest, RootRouteMatchesSlash) {
  router_.Add("GET", "/", Named("root"));

  EXPECT_EQ(Dispatch("GET", "/").body, "root");
}

TEST_F(HttpRouterTest, ParamsAreStoredInRequest) {
  router_.Add("GET", "/{tenant}/v2.0/keys/{kid}", Named("keys"));

  Response response = Dispatch("GET", "/contoso/v2.0/keys/k1?x=y");

  EXPECT_EQ(response.body, "keys");
  EXPECT_EQ(request_.params.at("tenant"), "contoso");
  EXPECT_EQ(request_.params.at("kid"), "k1");
}

TEST_F(HttpRouterTest, RestParamTakesRemainingPath) {
  router_.Add("GET", "/files/{path...}", Named("files"));

  EXPECT_EQ(Dispatch("GET", "/files/a/b/c.txt").body, "files");
  EXPECT_EQ(request_.params.at("path"), "a/b/c.txt");
  EXPECT_EQ(Dispatch("GET", "/files/").body, "files");
  EXPECT_EQ(request_.params.at("path"), "");
  EXPECT_EQ(Dispatch("GET", "/files").status, 404);
}

TEST_F(HttpRouterTest, LiteralBeatsParamRegardlessOfOrder) {
  router_.Add("GET", "/api/{id}", Named("param"));
  router_.Add("GET", "/api/me", Named("literal"));

  EXPECT_EQ(Dispatch("GET", "/api/me").body, "literal");
  EXPECT_EQ(Dispatch("GET", "/api/42").body, "param");
  EXPECT_EQ(request_.params.at("id"), "42");
}

TEST_F(HttpRouterTest, ParamBeatsRestParam) {
  router_.Add("GET", "/a/{rest...}", Named("rest"));
  router_.Add("GET", "/a/{id}", Named("param"));

  EXPECT_EQ(Dispatch("GET", "/a/x").body, "param");
  EXPECT_EQ(Dispatch("GET", "/a/x/y").body, "rest");
}

TEST_F(HttpRouterTest, FallsBackToParamWhenLiteralLacksMethod) {
  router_.Add("POST", "/api/me", Named("literal"));
  router_.Add("GET", "/api/{id}", Named("param"));

  EXPECT_EQ(Dispatch("GET", "/api/me").body, "param");
  EXPECT_EQ(request_.params.at("id"), "me");
}

TEST_F(HttpRouterTest, UnknownPathIsJson404) {
  router_.Add("GET", "/a", Named("a"));

  Response response = Dispatch("GET", "/b");

  EXPECT_EQ(response.status, 404);
  ASSERT_FALSE(response.headers.empty());
  EXPECT_EQ(response.headers[0].second, "application/json");
  EXPECT_NE(response.body.find("error_code"), std::string::npos);
}

TEST_F(HttpRouterTest, EmptyParamSegmentDoesNotMatch) {
  router_.Add("GET", "/a/{id}/b", Named("a"));

  EXPECT_EQ(Dispatch("GET", "/a//b").status, 404);  // collapsed to /a/b
}

TEST_F(HttpRouterTest, WrongMethodIs405WithAllowIncludingHead) {
  router_.Add("GET", "/token", Named("get"));
  router_.Add("POST", "/token", Named("post"));

  Response response = Dispatch("DELETE", "/token");

  EXPECT_EQ(response.status, 405);
  std::string allow;
  for (const auto& [name, value] : response.headers) {
    if (name == "Allow") allow = value;
  }
  EXPECT_EQ(allow, "GET, HEAD, POST");
}

TEST_F(HttpRouterTest, CustomMethodNotAllowedStillGetsAllow) {
  router_.Add("POST", "/token", Named("post"));
  std::vector<std::string> seen;
  router_.SetMethodNotAllowed([&](Request&, const std::vector<std::string>& allowed) {
    seen = allowed;
    return Response::Json(405, R"({"error":"invalid_request"})");
  });

  Response response = Dispatch("GET", "/token");

  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(seen, std::vector<std::string>{"POST"});
  EXPECT_EQ(response.body, R"({"error":"invalid_request"})");
  EXPECT_EQ(response.headers.back().first, "Allow");
  EXPECT_EQ(response.headers.back().second, "POST");
}

TEST_F(HttpRouterTest, CustomNotFoundIsUsed) {
  router_.SetNotFound([](Request&) { return Response::Text(404, "nope"); });

  EXPECT_EQ(Dispatch("GET", "/x").body, "nope");
}

TEST_F(HttpRouterTest, HeadIsServedByGet) {
  router_.Add("GET", "/a", Named("get"));

  EXPECT_EQ(Dispatch("HEAD", "/a").body, "get");
}

TEST_F(HttpRouterTest, ExplicitHeadRouteWins) {
  router_.Add("GET", "/a", Named("get"));
  router_.Add("HEAD", "/a", Named("head"));

  EXPECT_EQ(Dispatch("HEAD", "/a").body, "head");
}

TEST_F(HttpRouterTest, DoubleSlashPathMatchesCollapsedRoute) {
  router_.Add("POST", "/adfs/oauth2/token", Named("adfs"));

  EXPECT_EQ(Dispatch("POST", "//adfs/oauth2/token").body, "adfs");
}

TEST_F(HttpRouterTest, TargetStartingWithDoubleSlashIsAPathNotAnAuthority) {
  router_.Add("POST", "/{tenant}/oauth2/token", Named("token"));

  Response response = Dispatch("POST", "//tenant/oauth2/token");

  EXPECT_EQ(response.body, "token");
  EXPECT_EQ(request_.params.at("tenant"), "tenant");
}

TEST_F(HttpRouterTest, MethodsAreCaseSensitive) {
  router_.Add("GET", "/a", Named("get"));

  EXPECT_EQ(Dispatch("get", "/a").status, 405);
}

TEST_F(HttpRouterTest, TrailingSlashIsDistinct) {
  router_.Add("GET", "/a", Named("a"));

  EXPECT_EQ(Dispatch("GET", "/a/").status, 404);
}

}  // namespace
}  // namespace latchkey::http

namespace latchkey::http {
namespace {

// The matched pattern (not the path) labels request metrics and access lines.
TEST_F(HttpRouterTest, DispatchRecordsTheMatchedPattern) {
  router_.Add("GET", "/api/2.0/token-management/tokens/{token_id}", Named("get"));
  router_.Add("GET", "/files/{rest...}", Named("files"));

  Dispatch("GET", "/api/2.0/token-management/tokens/abc123");
  EXPECT_EQ(request_.route, "/api/2.0/token-management/tokens/{token_id}");
  Dispatch("HEAD", "/files/a/b/c");
  EXPECT_EQ(request_.route, "/files/{rest...}");
  Dispatch("GET", "/nothing/here");
  EXPECT_EQ(request_.route, "unmatched");
  Dispatch("POST", "/files/x");  // 405
  EXPECT_EQ(request_.route, "unmatched");
}

}  // namespace
}  // namespace latchkey::http

namespace latchkey::http {
namespace {

// Routes() lists every (method, pattern) that Add registered, so that a test can walk them
// all (tests/app/malformed_input_test.cc).
TEST_F(HttpRouterTest, RoutesListsEveryRegisteredRoute) {
  router_.Add("GET", "/", Named("root"));
  router_.Add("POST", "/{tenant}/oauth2/token", Named("token"));
  router_.Add("GET", "/{tenant}/discovery/keys", Named("keys"));
  router_.Add("GET", "/adfs/discovery/keys", Named("adfs"));
  router_.Add("DELETE", "/api/2.0/x/{id}", Named("del"));
  router_.Add("GET", "/api/2.0/x/{id}", Named("get"));
  router_.Add("GET", "/ui/{file...}", Named("ui"));

  const std::vector<Router::RouteInfo> expected = {
      {"GET", "/"},
      {"GET", "/adfs/discovery/keys"},
      {"DELETE", "/api/2.0/x/{id}"},
      {"GET", "/api/2.0/x/{id}"},
      {"GET", "/ui/{file...}"},
      {"GET", "/{tenant}/discovery/keys"},
      {"POST", "/{tenant}/oauth2/token"},
  };
  EXPECT_EQ(router_.Routes(), expected);
  EXPECT_TRUE(Router().Routes().empty());
}

}  // namespace
}  // namespace latchkey::http
