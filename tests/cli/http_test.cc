#include "cli/http.h"

#include <gtest/gtest.h>

#include <sstream>

#include "cli/api_client.h"
#include "fakes.h"

namespace latchkey::cli {
namespace {

using testing::FakeSleeper;
using testing::FakeTransport;
using testing::Json200;
using testing::Status;
using std::chrono::seconds;

const HttpRequest kGet{"GET", "https://h/api/2.0/token/list?x=secret", {{"Authorization", "Bearer dapiSECRET"}}, ""};

TEST(RetryingTransportTest, HonoursIntegerRetryAfter) {
  FakeTransport inner;
  FakeSleeper sleeper;
  inner.Enqueue(Status(429, "{}", {{"retry-after", "7"}}));
  inner.Enqueue(Json200("{}"));
  RetryingTransport transport(inner, sleeper, RetryPolicy{}, nullptr);

  CliResult<HttpResponse> response = transport.Send(kGet);

  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(sleeper.sleeps, std::vector<seconds>{seconds(7)});
}

TEST(RetryingTransportTest, BacksOffOn503WithoutRetryAfterAndStopsAfterThreeTries) {
  FakeTransport inner([](const HttpRequest&) { return Status(503, "{}"); });
  FakeSleeper sleeper;
  RetryingTransport transport(inner, sleeper, RetryPolicy{}, nullptr);

  CliResult<HttpResponse> response = transport.Send(kGet);

  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(inner.requests.size(), 3u);
  EXPECT_EQ(sleeper.sleeps, (std::vector<seconds>{seconds(1), seconds(2)}));
}

TEST(RetryingTransportTest, RetryAfterBeyondTheBudgetIsNotWaited) {
  FakeTransport inner([](const HttpRequest&) {
    return Status(429, "{}", {{"retry-after", "31"}});
  });
  FakeSleeper sleeper;
  RetryingTransport transport(inner, sleeper, RetryPolicy{}, nullptr);

  CliResult<HttpResponse> response = transport.Send(kGet);

  EXPECT_EQ(response->status, 429);
  EXPECT_EQ(inner.requests.size(), 1u);
  EXPECT_TRUE(sleeper.sleeps.empty());
}

TEST(RetryingTransportTest, TotalWaitIsCappedAtThirtySeconds) {
  FakeTransport inner([](const HttpRequest&) {
    return Status(429, "{}", {{"retry-after", "20"}});
  });
  FakeSleeper sleeper;
  RetryingTransport transport(inner, sleeper, RetryPolicy{}, nullptr);

  (void)transport.Send(kGet);

  EXPECT_EQ(sleeper.sleeps, std::vector<seconds>{seconds(20)});
}

TEST(RetryingTransportTest, OtherErrorsAreNotRetried) {
  FakeTransport inner([](const HttpRequest&) { return Status(500, "{}"); });
  FakeSleeper sleeper;
  RetryingTransport transport(inner, sleeper, RetryPolicy{}, nullptr);

  (void)transport.Send(kGet);

  EXPECT_EQ(inner.requests.size(), 1u);
}

TEST(RetryingTransportTest, DebugLogNeverShowsHeadersQueriesOrBodies) {
  FakeTransport inner([](const HttpRequest&) { return Json200(R"({"token_value":"dapiX"})"); });
  FakeSleeper sleeper;
  std::ostringstream debug;
  RetryingTransport transport(inner, sleeper, RetryPolicy{}, &debug);

  (void)transport.Send(kGet);

  EXPECT_EQ(debug.str(), "> GET https://h/api/2.0/token/list\n< 200 (23 bytes)\n");
}

struct ErrorCase {
  long status;
  const char* body;
  ExitCode exit_code;
  const char* message;
};

class ErrorFromResponseTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ErrorFromResponseTest, OneLineWithTheServersCode) {
  const ErrorCase& c = GetParam();

  const CliError error = ErrorFromResponse(HttpResponse{c.status, {}, c.body});

  EXPECT_EQ(error.exit_code, c.exit_code);
  EXPECT_EQ(error.message, c.message);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ErrorFromResponseTest,
    ::testing::Values(
        ErrorCase{403, R"({"error_code": 403, "message": "Invalid access token."})",
                  ExitCode::kAuthentication, "403: Invalid access token."},
        ErrorCase{401, R"({"error_code": 401, "message": "Credential was not sent."})",
                  ExitCode::kAuthentication, "401: Credential was not sent."},
        ErrorCase{404, R"({"error_code":"RESOURCE_DOES_NOT_EXIST","message":"Token x does not exist."})",
                  ExitCode::kNotFound, "RESOURCE_DOES_NOT_EXIST: Token x does not exist."},
        ErrorCase{400, R"({"error_code":"INVALID_PARAMETER_VALUE","message":"Invalid timeout: 0"})",
                  ExitCode::kServer, "INVALID_PARAMETER_VALUE: Invalid timeout: 0"},
        ErrorCase{409, R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"detail":"exists","status":"409"})",
                  ExitCode::kServer, "SCIM_409: exists"},
        ErrorCase{401, "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215: Invalid client secret.\\r\\nTrace ID: t\"}",
                  ExitCode::kAuthentication, "invalid_client: AADSTS7000215: Invalid client secret. Trace ID: t"},
        ErrorCase{403, R"({"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges."}})",
                  ExitCode::kAuthentication, "Authorization_RequestDenied: Insufficient privileges."},
        ErrorCase{502, "<html>bad gateway</html>", ExitCode::kServer, "HTTP 502"},
        ErrorCase{503, R"({"error_code":"TEMPORARILY_UNAVAILABLE","message":"busy"})",
                  ExitCode::kServer, "TEMPORARILY_UNAVAILABLE: busy"}));

}  // namespace
}  // namespace latchkey::cli
