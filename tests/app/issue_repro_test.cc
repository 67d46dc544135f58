// The 500s of issue 19 (form fields) and issue 25 finding 7 (Host, instance discovery, tenant
// segment), replayed against the real composition (app::RegisterAppRoutes over a data dir made
// by `latchkeyd init`), straight through the Router: these are the layers behind the HTTP
// parser, which refuses raw non-ASCII targets and invalid Hosts itself (tests/http/), so
// each must hold on its own. Every answer is a 4xx (or 200) in Entra's error shape.
#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "app_world.h"
#include "base/encoding.h"
#include "support/request.h"

namespace latchkey::app::testing {
namespace {

using nlohmann::json;

class IssueReproTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    spdlog::set_level(spdlog::level::off);
    char dir[] = "/tmp/latchkey-repro-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = new std::string(dir);
    world_ = AppWorld::Create(*dir_ + "/data").release();
    ASSERT_NE(world_, nullptr);
  }
  static void TearDownTestSuite() {
    delete world_;
    if (dir_ != nullptr) std::filesystem::remove_all(*dir_);
    delete dir_;
  }

  static http::Response Call(std::string method, std::string target, std::string body = "",
                             std::string host = kWorldHost,
                             std::vector<std::pair<std::string, std::string>> headers = {}) {
    latchkey::testing::RequestSpec spec{.method = std::move(method),
                                        .target = std::move(target),
                                        .host = std::move(host),
                                        .headers = std::move(headers),
                                        .remote_address = "198.51.100.7",
                                        .request_id = "repro"};
    if (!body.empty()) {
      spec.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    }
    spec.body = std::move(body);
    http::Request request = latchkey::testing::MakeRequest(std::move(spec));
    return world_->Dispatch(request);
  }

  // A 4xx in Entra's token-endpoint error shape, with `error` if given.
  static void ExpectEntraError(const http::Response& r, std::string_view error = "") {
    EXPECT_GE(r.status, 400) << r.body;
    EXPECT_LT(r.status, 500) << r.body;
    json body = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << r.body;
    EXPECT_TRUE(body["error"].is_string()) << r.body;
    EXPECT_TRUE(body["error_description"].is_string()) << r.body;
    EXPECT_TRUE(body["error_codes"].is_array()) << r.body;
    if (!error.empty()) {
      EXPECT_EQ(body["error"], error) << r.body;
    }
  }

  static std::string TokenForm(const std::string& client_id, const std::string& scope) {
    return "grant_type=client_credentials&client_id=" + client_id + "&client_secret=" +
           PercentEncode(world_->graph_client_secret) + "&scope=" + scope;
  }

  static inline std::string* dir_ = nullptr;
  static inline AppWorld* world_ = nullptr;
};

TEST_F(IssueReproTest, NonUtf8FormFieldsOnTheTokenEndpointsAre400InvalidRequest) {
  const std::string graph_scope = PercentEncode("https://graph.microsoft.com/.default");
  for (const std::string& path : {"/" + world_->tenant_id + "/oauth2/v2.0/token",
                                  "/" + world_->tenant_id + "/oauth2/token",
                                  std::string("/adfs/oauth2/token")}) {
    SCOPED_TRACE(path);
    ExpectEntraError(Call("POST", path, TokenForm("%FF%FE", graph_scope)), "invalid_request");
    ExpectEntraError(Call("POST", path, TokenForm(world_->graph_client_id, "%FF")),
                     "invalid_request");
    ExpectEntraError(Call("POST", path, TokenForm(world_->graph_client_id, "a%00b")),
                     "invalid_request");
    ExpectEntraError(Call("POST", path, TokenForm(world_->graph_client_id, graph_scope) +
                                            "&resource=%C0%AF"),
                     "invalid_request");
  }
  // The same fields are still served when they are text.
  http::Response ok = Call("POST", "/" + world_->tenant_id + "/oauth2/v2.0/token",
                           TokenForm(world_->graph_client_id, graph_scope));
  EXPECT_EQ(ok.status, 200) << ok.body;
}

TEST_F(IssueReproTest, NonUtf8ClientIdInBasicCredentialsIs400) {
  const std::string path = "/" + world_->tenant_id + "/oauth2/v2.0/token";
  for (const std::string& id : {std::string("\xff\xfe"), std::string("%FF%FE"), std::string("a%00")}) {
    ExpectEntraError(
        Call("POST", path,
             "grant_type=client_credentials&scope=" +
                 PercentEncode("https://graph.microsoft.com/.default"),
             kWorldHost, {{"Authorization", "Basic " + Base64Encode(id + ":secret")}}),
        "invalid_request");
  }
}

TEST_F(IssueReproTest, InstanceDiscoveryWithAnAuthorityThatIsNotTextIs400) {
  ExpectEntraError(
      Call("GET", "/common/discovery/instance?api-version=1.1&authorization_endpoint=https://x/%FF%FE/"),
      "invalid_instance");
  http::Response ok = Call("GET",
                           "/common/discovery/instance?api-version=1.1&authorization_endpoint="
                           "https://latchkey.test/" + world_->tenant_id + "/oauth2/v2.0/authorize");
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_NE(ok.body.find(world_->tenant_id), std::string::npos);
}

// Behind the parser, a Host that is not UTF-8 and a raw byte in the tenant segment must still
// not break the JSON writer: they come back as U+FFFD, never as a 500.
TEST_F(IssueReproTest, NonUtf8HostOrTenantBytesNeverMakeA5xxBehindTheParser) {
  const std::string bad = "\xff\xfe";
  for (const std::string& target :
       {"/" + world_->tenant_id + "/v2.0/.well-known/openid-configuration",
        std::string("/metadata/endpoints"), std::string("/common/discovery/instance")}) {
    http::Response r = Call("GET", target, "", bad);
    EXPECT_EQ(r.status, 200) << target << ": " << r.body;
    EXPECT_TRUE(json::accept(r.body)) << target;
  }
  ExpectEntraError(Call("GET", "/" + bad + "/v2.0/.well-known/openid-configuration"),
                   "invalid_tenant");
  ExpectEntraError(Call("POST", "/" + bad + "/oauth2/v2.0/token",
                        TokenForm(world_->graph_client_id,
                                  PercentEncode("https://graph.microsoft.com/.default"))),
                   "invalid_tenant");
  ExpectEntraError(Call("POST", "/" + world_->tenant_id + "/oauth2/v2.0/token",
                        "grant_type=client_credentials", kWorldHost,
                        {{"client-request-id", bad}}));
}

}  // namespace
}  // namespace latchkey::app::testing
