#include "cli/token_source.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "fakes.h"

namespace latchkey::cli {
namespace {

using testing::FakeTransport;
using testing::Json200;
using testing::Status;
using testing::TempDir;
using std::chrono::minutes;
using std::chrono::seconds;

const TimePoint kStart = FromUnixSeconds(1767225600);

AccessToken TokenFor(seconds lifetime) {
  return AccessToken{Secret("eyJ.a.b"), kStart, kStart + lifetime};
}

TEST(TokenFreshnessTest, HourTokenIsRefreshedFiveMinutesEarly) {
  const AccessToken token = TokenFor(minutes(60));

  EXPECT_TRUE(IsFresh(token, kStart + minutes(54)));
  EXPECT_FALSE(IsFresh(token, kStart + minutes(55)));
}

TEST(TokenFreshnessTest, ShortTokenIsReusedForHalfItsLifetime) {
  const AccessToken token = TokenFor(seconds(120));

  EXPECT_TRUE(IsFresh(token, kStart + seconds(59)));
  EXPECT_FALSE(IsFresh(token, kStart + seconds(60)));
}

class CachedTokenProviderTest : public ::testing::Test {
 protected:
  CachedTokenProviderTest()
      : cache_(dir_.path() + "/state/token-cache.json"), clock_(kStart) {}

  CliResult<AccessToken> Fetch() {
    ++fetches_;
    return AccessToken{Secret("tok" + std::to_string(fetches_)), clock_.Now(),
                       clock_.Now() + minutes(60)};
  }

  TempDir dir_;
  TokenCache cache_;
  FakeClock clock_;
  int fetches_ = 0;
};

TEST_F(CachedTokenProviderTest, ReusesTheCachedTokenAcrossProviders) {
  CachedTokenProvider first(cache_, "k", clock_, [this] { return Fetch(); });
  CachedTokenProvider second(cache_, "k", clock_, [this] { return Fetch(); });

  EXPECT_EQ(first.Token()->reveal(), "tok1");
  EXPECT_EQ(second.Token()->reveal(), "tok1");
  EXPECT_EQ(fetches_, 1);
}

TEST_F(CachedTokenProviderTest, RefetchesBeforeExpiry) {
  CachedTokenProvider provider(cache_, "k", clock_, [this] { return Fetch(); });
  (void)provider.Token();

  clock_.Advance(minutes(56));

  EXPECT_EQ(provider.Token()->reveal(), "tok2");
}

TEST_F(CachedTokenProviderTest, CacheFileIsPrivate) {
  CachedTokenProvider provider(cache_, "k", clock_, [this] { return Fetch(); });

  (void)provider.Token();

  struct stat st {};
  ASSERT_EQ(::stat((dir_.path() + "/state/token-cache.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((dir_.path() + "/state").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST(RequestEntraTokenTest, PostsClientCredentialsToTheV2Endpoint) {
  FakeTransport transport([](const HttpRequest&) {
    return Json200(R"({"token_type":"Bearer","expires_in":3599,"access_token":"eyJ.x.y"})");
  });
  FakeClock clock(kStart);

  CliResult<AccessToken> token =
      RequestEntraToken(transport, clock, "https://idp:8443/", "tid",
                        ClientCredentials{"cid", Secret("a~b.c")}, kDatabricksResource);

  ASSERT_TRUE(token.has_value());
  EXPECT_EQ(token->value.reveal(), "eyJ.x.y");
  EXPECT_EQ(token->expires_at, kStart + seconds(3599));
  ASSERT_EQ(transport.requests.size(), 1u);
  EXPECT_EQ(transport.requests[0].url, "https://idp:8443/tid/oauth2/v2.0/token");
  EXPECT_EQ(transport.requests[0].body,
            "client_id=cid&client_secret=a~b.c&grant_type=client_credentials&scope="
            "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d%2F.default");
}

TEST(RequestEntraTokenTest, RefusalIsAnAuthenticationError) {
  FakeTransport transport([](const HttpRequest&) {
    return Status(400, R"({"error":"unauthorized_client","error_description":"AADSTS700016: no app"})");
  });
  FakeClock clock(kStart);

  CliResult<AccessToken> token = RequestEntraToken(transport, clock, "https://idp", "t",
                                                   ClientCredentials{"c", Secret("s")}, "r");

  EXPECT_EQ(token.error().exit_code, ExitCode::kAuthentication);
  EXPECT_EQ(token.error().message, "unauthorized_client: AADSTS700016: no app");
}

TEST(RequestOAuthM2mTokenTest, DiscoversTheEndpointAndUsesBasicAuth) {
  FakeTransport transport([](const HttpRequest& r) {
    if (r.url.ends_with("/oidc/.well-known/oauth-authorization-server")) {
      return Json200(R"({"token_endpoint":"https://h:1/oidc/v1/token"})");
    }
    return Json200(R"({"access_token":"eyJ.m.2","expires_in":3600})");
  });
  FakeClock clock(kStart);

  CliResult<AccessToken> token =
      RequestOAuthM2mToken(transport, clock, "https://h:1", ClientCredentials{"id", Secret("pw")});

  ASSERT_TRUE(token.has_value());
  ASSERT_EQ(transport.requests.size(), 2u);
  EXPECT_EQ(transport.requests[1].url, "https://h:1/oidc/v1/token");
  EXPECT_EQ(transport.requests[1].body, "grant_type=client_credentials&scope=all-apis");
  EXPECT_EQ(transport.requests[1].headers[0],
            (std::pair<std::string, std::string>{"Authorization", "Basic aWQ6cHc="}));
}

}  // namespace
}  // namespace latchkey::cli
