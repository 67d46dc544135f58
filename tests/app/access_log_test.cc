// The access line: valid JSON with exactly the request's fields, whatever the text contains.
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/logging.h"

namespace latchkey::app {
namespace {

using nlohmann::json;

http::AccessLogEntry Entry() {
  return http::AccessLogEntry{.request_id = "0123456789abcdef-7",
                              .method = "GET",
                              .path = "/api/2.0/preview/scim/v2/Me",
                              .route = "/api/2.0/preview/scim/v2/Me",
                              .remote_address = "127.0.0.1",
                              .status = 200,
                              .response_bytes = 583,
                              .latency = std::chrono::microseconds(1234567),
                              .principal = "principal:1501600186004668",
                              .tls = true};
}

TEST(AccessLogTest, LineIsOneJsonObjectWithTheRequestFields) {
  std::string line;
  ASSERT_TRUE(FormatAccessLine(Entry(), line));
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  const json j = json::parse(line);
  EXPECT_EQ(j["logger"], "access");
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["request_id"], "0123456789abcdef-7");
  EXPECT_EQ(j["method"], "GET");
  EXPECT_EQ(j["route"], "/api/2.0/preview/scim/v2/Me");
  EXPECT_EQ(j["path"], "/api/2.0/preview/scim/v2/Me");
  EXPECT_EQ(j["status"], 200);
  EXPECT_DOUBLE_EQ(j["latency_ms"].get<double>(), 1234.567);
  EXPECT_EQ(j["bytes"], 583);
  EXPECT_EQ(j["remote"], "127.0.0.1");
  EXPECT_EQ(j["principal"], "principal:1501600186004668");
  EXPECT_EQ(j["tls"], true);
  EXPECT_EQ(j["time"].get<std::string>().size(), std::string("2025-01-02T03:04:05.123456Z").size());
}

TEST(AccessLogTest, EmptyRouteIsNone) {
  http::AccessLogEntry e = Entry();
  e.route = "";
  std::string line;
  ASSERT_TRUE(FormatAccessLine(e, line));
  EXPECT_EQ(json::parse(line)["route"], "none");
}

// Quotes, backslashes and control characters anywhere in a field (start, middle, end, runs)
// are escaped so that the line still parses to the same text and stays one line.
TEST(AccessLogTest, SpecialCharactersAreEscapedAndRoundTrip) {
  const std::string nasty[] = {"\"", "\\", "a\"b\\c", "\"start", "end\\", "x\ny\rz\tw",
                               std::string("nul\0here", 8), "\x01\x1f\x7f", "\"\"\\\\",
                               "plain ascii ~!@#$%^&*()"};
  for (const std::string& text : nasty) {
    http::AccessLogEntry e = Entry();
    e.path = text;
    e.principal = text;
    e.method = text;
    std::string line;
    ASSERT_TRUE(FormatAccessLine(e, line)) << text;
    EXPECT_EQ(line.find('\n'), line.size() - 1) << text;
    const json j = json::parse(line);
    EXPECT_EQ(j["path"], text);
    EXPECT_EQ(j["principal"], text);
    EXPECT_EQ(j["method"], text);
  }
}

TEST(AccessLogTest, Utf8TextIsWrittenAsIs) {
  http::AccessLogEntry e = Entry();
  e.path = "/caf\xc3\xa9/\xf0\x9f\x94\x91";
  std::string line;
  ASSERT_TRUE(FormatAccessLine(e, line));
  EXPECT_NE(line.find("/caf\xc3\xa9/\xf0\x9f\x94\x91"), std::string::npos) << line;
  EXPECT_EQ(json::parse(line)["path"], e.path);
}

TEST(AccessLogTest, InvalidUtf8IsLeftToTheGeneralEncoder) {
  http::AccessLogEntry e = Entry();
  e.principal = "bad\xff";
  std::string line;
  EXPECT_FALSE(FormatAccessLine(e, line));
}

}  // namespace
}  // namespace latchkey::app
