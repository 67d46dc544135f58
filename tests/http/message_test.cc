#include "http/message.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "http/response_writer.h"

namespace latchkey::http {
namespace {

struct TargetCase {
  std::string target;
  std::string path;
  std::string query;
};

class HttpSplitTargetTest : public ::testing::TestWithParam<TargetCase> {};

TEST_P(HttpSplitTargetTest, SplitsPathAndQuery) {
  std::string path = "stale", query = "stale";

  SplitTarget(GetParam().target, path, query);

  EXPECT_EQ(path, GetParam().path);
  EXPECT_EQ(query, GetParam().query);
}

INSTANTIATE_TEST_SUITE_P(
    Targets, HttpSplitTargetTest,
    ::testing::Values(TargetCase{"/a/b", "/a/b", ""}, TargetCase{"/a?x=1&y=%20", "/a", "x=1&y=%20"},
                      TargetCase{"//metadata/endpoints", "/metadata/endpoints", ""},
                      TargetCase{"//tenant/oauth2/token?a", "/tenant/oauth2/token", "a"},
                      TargetCase{"/a///b//", "/a/b/", ""}, TargetCase{"/%2F/x", "/%2F/x", ""},
                      TargetCase{"http://host:8080/p/q?z", "/p/q", "z"},
                      TargetCase{"HTTPS://host", "/", ""}, TargetCase{"http://host?q", "/", "q"},
                      TargetCase{"*", "*", ""}, TargetCase{"/?", "/", ""}));

TEST(HttpRequestTest, HeaderIsCaseInsensitiveAndReturnsFirst) {
  Request request;
  request.headers = {{"X-Thing", "one"}, {"x-thing", "two"}, {"Host", "example"}};

  EXPECT_EQ(request.Header("x-THING"), "one");
  EXPECT_EQ(request.Header("missing"), "");
  EXPECT_EQ(request.Host(), "example");
}

TEST(HttpResponseTest, SetHeaderReplacesAllOccurrences) {
  Response response = Response::Json(201, "{}");
  response.headers.emplace_back("X-A", "1");
  response.headers.emplace_back("x-a", "2");

  response.SetHeader("X-a", "3");
  response.SetHeader("content-type", "text/html");

  EXPECT_EQ(response.status, 201);
  ASSERT_EQ(response.headers.size(), 2u);
  EXPECT_EQ(response.headers[0].second, "text/html");
  EXPECT_EQ(response.headers[1].second, "3");
}

TEST(HttpResponseTest, TextDefaultsToUtf8PlainText) {
  Response response = Response::Text(200, "hi");

  ASSERT_EQ(response.headers.size(), 1u);
  EXPECT_EQ(response.headers[0].second, "text/plain; charset=utf-8");
}

TEST(HttpStatusTest, MapsErrorCodesInEnumOrder) {
  EXPECT_EQ(HttpStatus(ErrorCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatus(ErrorCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatus(ErrorCode::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatus(ErrorCode::kNotFound), 404);
  EXPECT_EQ(HttpStatus(ErrorCode::kAlreadyExists), 409);
  EXPECT_EQ(HttpStatus(ErrorCode::kFailedPrecondition), 400);
  EXPECT_EQ(HttpStatus(ErrorCode::kResourceExhausted), 429);
  EXPECT_EQ(HttpStatus(ErrorCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatus(ErrorCode::kInternal), 500);
}

TEST(HttpDefaultErrorResponseTest, TheMessageIsOneJsonStringWhateverItHolds) {
  Response r = DefaultErrorResponse(400, "a\"b\\c\n\x01 \xc3\xa9");
  EXPECT_EQ(r.status, 400);
  auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["error_code"], "BAD_REQUEST");
  EXPECT_EQ(body["message"], "a\"b\\c\n\x01 \xc3\xa9");
  // Bytes that are not UTF-8 are not echoed: the body stays valid JSON.
  Response bad = DefaultErrorResponse(431, "header \xff\xfe");
  auto bad_body = nlohmann::json::parse(bad.body);
  EXPECT_EQ(bad_body["error_code"], "REQUEST_HEADER_FIELDS_TOO_LARGE");
  EXPECT_EQ(bad_body["message"], "the request could not be read");
}

}  // namespace
}  // namespace latchkey::http
