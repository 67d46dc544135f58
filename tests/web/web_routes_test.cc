#include "web/web_routes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "http/router.h"

namespace latchkey::web {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string HeaderOf(const http::Response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

class WebRoutesTest : public ::testing::Test {
 protected:
  WebRoutesTest() { RegisterWebRoutes(router_); }

  http::Response Get(std::string target, std::string if_none_match = "") {
    http::Request request;
    request.method = "GET";
    request.target = target;
    http::SplitTarget(target, request.path, request.query);
    if (!if_none_match.empty()) request.headers.emplace_back("If-None-Match", if_none_match);
    return router_.Dispatch(request);
  }

  http::Router router_;
};

void ExpectSecurityHeaders(const http::Response& r) {
  EXPECT_EQ(HeaderOf(r, "Content-Security-Policy"),
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; "
            "object-src 'none'");
  EXPECT_EQ(HeaderOf(r, "X-Frame-Options"), "DENY");
  EXPECT_EQ(HeaderOf(r, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(HeaderOf(r, "Referrer-Policy"), "no-referrer");
  EXPECT_EQ(HeaderOf(r, "Cache-Control"), "no-cache");
}

TEST_F(WebRoutesTest, RootAndUiRedirectToTheIndex) {
  for (const char* target : {"/", "/ui"}) {
    http::Response r = Get(target);
    EXPECT_EQ(r.status, 302) << target;
    EXPECT_EQ(HeaderOf(r, "Location"), "/ui/");
    ExpectSecurityHeaders(r);
  }
}

TEST_F(WebRoutesTest, ServesTheIndexWithSecurityHeaders) {
  http::Response r = Get("/ui/");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(HeaderOf(r, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_THAT(r.body, StartsWith("<!doctype html>"));
  EXPECT_THAT(r.body, HasSubstr("<script type=\"module\" src=\"app.js\"></script>"));
  ExpectSecurityHeaders(r);
  EXPECT_EQ(Get("/ui/index.html").body, r.body);
  EXPECT_EQ(Get("/ui/?next=1").body, r.body);
}

TEST_F(WebRoutesTest, ContentTypesFollowTheExtension) {
  EXPECT_EQ(HeaderOf(Get("/ui/app.js"), "Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(HeaderOf(Get("/ui/style.css"), "Content-Type"), "text/css; charset=utf-8");
  EXPECT_EQ(HeaderOf(Get("/ui/favicon.svg"), "Content-Type"), "image/svg+xml");
}

TEST_F(WebRoutesTest, EveryEmbeddedFileIsServedByteForByte) {
  ASSERT_FALSE(EmbeddedFiles().empty());
  for (const EmbeddedFile& f : EmbeddedFiles()) {
    http::Response r = Get("/ui/" + std::string(f.name));
    EXPECT_EQ(r.status, 200) << f.name;
    EXPECT_EQ(r.body, f.data) << f.name;
    EXPECT_EQ(HeaderOf(r, "ETag"), f.etag) << f.name;
    ExpectSecurityHeaders(r);
  }
}

TEST_F(WebRoutesTest, NoInlineScriptOrStyleInTheIndex) {
  std::string index(FindFile("")->data);
  EXPECT_EQ(index.find("<style"), std::string::npos);
  EXPECT_EQ(index.find("style="), std::string::npos);
  EXPECT_EQ(index.find("<script>"), std::string::npos);
}

TEST_F(WebRoutesTest, UnknownNamesAndTraversalsAre404) {
  for (const char* target : {"/ui/missing.js", "/ui/../CMakeLists.txt", "/ui/%2e%2e/CMakeLists.txt",
                             "/ui/dev/mock_server.mjs", "/ui/app.js/x", "/ui/.", "/ui/.."}) {
    http::Response r = Get(target);
    EXPECT_EQ(r.status, 404) << target;
    ExpectSecurityHeaders(r);
  }
}

TEST_F(WebRoutesTest, IfNoneMatchGivesNotModified) {
  std::string etag = HeaderOf(Get("/ui/app.js"), "ETag");
  ASSERT_THAT(etag, StartsWith("\""));
  http::Response r = Get("/ui/app.js", "\"other\", W/" + etag);
  EXPECT_EQ(r.status, 304);
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(HeaderOf(r, "ETag"), etag);
  ExpectSecurityHeaders(r);
  EXPECT_EQ(Get("/ui/app.js", "\"other\"").status, 200);
}

}  // namespace
}  // namespace latchkey::web
