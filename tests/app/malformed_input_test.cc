// No 5xx for any bytes a client can send (issue 19 item 4, issue 25 finding 7): every route
// that latchkeyd registers (http::Router::Routes() of the real composition,
// app::RegisterAppRoutes) is fed malformed input in every field it reads, over a real socket
// to a real in-process server on a real data dir, unauthenticated and with a valid credential
// of its protocol, so that handlers get past authentication and parse the bad input. Every
// answer must be below 500 and, when it is an error, in the error shape of the route's
// protocol; the server must answer /healthz after each route.
//
// The walk derives its list from the router: a new route is walked without a new test, and a
// route that no family rule below classifies fails the test, as does a route the walk never
// reached (checked through the access log's matched route pattern).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "app_world.h"
#include "base/encoding.h"
#include "http/server.h"
#include "http/test_client.h"

namespace latchkey::app::testing {
namespace {

using nlohmann::json;
using http::testing::ClientResponse;
using http::testing::TestClient;

enum class Family { kEntra, kArm, kGraph, kDatabricks, kScim, kOAuth, kForwardAuth, kPlain };
enum class Credential { kNone, kPat, kGraphToken, kEntraClient, kOAuthClient };

std::string_view FamilyName(Family f) {
  switch (f) {
    case Family::kEntra: return "entra";
    case Family::kArm: return "arm";
    case Family::kGraph: return "graph";
    case Family::kDatabricks: return "databricks";
    case Family::kScim: return "scim";
    case Family::kOAuth: return "oauth";
    case Family::kForwardAuth: return "forward-auth";
    case Family::kPlain: return "plain";
  }
  return "?";
}

struct Rule {
  std::string_view prefix;
  bool exact;
  Family family;
  Credential credential;
};

// First match wins. A route that none matches fails the test: add its family here.
constexpr Rule kRules[] = {
    {"/api/2.0/preview/scim/", false, Family::kScim, Credential::kPat},
    {"/api/", false, Family::kDatabricks, Credential::kPat},
    {"/v1.0/", false, Family::kGraph, Credential::kGraphToken},
    {"/subscriptions", true, Family::kArm, Credential::kGraphToken},
    {"/tenants", true, Family::kArm, Credential::kGraphToken},
    {"/oidc/v1/token", true, Family::kOAuth, Credential::kOAuthClient},
    // The authorization endpoint and the sign-in callback answer a person's browser: HTML
    // pages (RFC 6749 §4.1.2.1: never a redirect to an unvetted redirect_uri), issue 24.
    {"/oidc/v1/authorize", true, Family::kPlain, Credential::kNone},
    {"/sso/callback", true, Family::kPlain, Credential::kNone},
    // The web page's sign-in (web_sessions.cc): its options, and the start of a sign-in.
    {"/sso/web/", false, Family::kPlain, Credential::kNone},
    {"/oidc/", false, Family::kOAuth, Credential::kNone},
    {"/.well-known/databricks-config", true, Family::kOAuth, Credential::kNone},
    {"/oauth2/introspect", true, Family::kOAuth, Credential::kPat},
    {"/metrics", true, Family::kOAuth, Credential::kPat},
    {"/auth/verify", true, Family::kForwardAuth, Credential::kPat},
    {"/{tenant}/oauth2/", false, Family::kEntra, Credential::kEntraClient},
    {"/adfs/oauth2/", false, Family::kEntra, Credential::kEntraClient},
    {"/{tenant}/", false, Family::kEntra, Credential::kNone},
    {"/adfs/", false, Family::kEntra, Credential::kNone},
    {"/common/discovery/instance", true, Family::kEntra, Credential::kNone},
    {"/metadata/endpoints", true, Family::kEntra, Credential::kNone},
    {"/healthz", true, Family::kPlain, Credential::kNone},
    {"/readyz", true, Family::kPlain, Credential::kNone},
    {"/", true, Family::kPlain, Credential::kNone},
    {"/ui", false, Family::kPlain, Credential::kNone},
};

const Rule* Classify(std::string_view pattern) {
  for (const Rule& rule : kRules) {
    if (rule.exact ? pattern == rule.prefix : pattern.starts_with(rule.prefix)) return &rule;
  }
  return nullptr;
}

// One request of the walk: what replaces the well-formed parts.
struct Variant {
  std::string what;  // for failure messages
  std::string target;
  std::vector<std::string> headers;  // "Name: value" lines; Host and Authorization included
  std::string body;
  std::string content_type;
  bool own_host = false;           // headers carry a Host (or deliberately none)
  bool own_authorization = false;  // headers carry the Authorization
};

std::string Repeat(char c, size_t n) { return std::string(n, c); }

// Malformed path-parameter values: raw bytes that are not allowed in a request target, escapes
// that decode to invalid UTF-8 or NUL, broken escapes, overlong numbers, huge values.
const std::vector<std::string>& BadSegments() {
  static const std::vector<std::string> v = {
      "%FF%FE", "%C0%AF", "%ED%A0%80", "%00", "%", "%zz", "%2F", "\xff", "\xc3\x28",
      "a\x01" "b", "99999999999999999999999999999", "-1", "0", "1e400", "..", "%20",
      Repeat('a', 6000), Repeat('9', 9000)};
  return v;
}

const std::vector<std::string>& BadQueryValues() {
  static const std::vector<std::string> v = {
      "%FF%FE", "%FF", "%00", "%", "%zz", "", "99999999999999999999999", "-1", "1e400",
      "\xff", Repeat('a', 3000)};
  return v;
}

// Every query parameter a handler reads (SCIM paging and filters, token listing, audit paging,
// workspace-conf keys, Graph's $filter, MSAL's instance discovery).
const std::vector<std::string>& QueryFields() {
  static const std::vector<std::string> v = {
      "after", "limit", "filter", "startIndex", "count", "attributes", "excludedAttributes",
      "keys", "created_by_id", "created_by_username", "$filter", "authorization_endpoint",
      "api-version", "token_id", "sortBy"};
  return v;
}

// Every form field the token endpoints and introspection read.
const std::vector<std::string>& FormFields() {
  static const std::vector<std::string> v = {
      "grant_type", "client_id", "client_secret", "client_assertion", "client_assertion_type",
      "scope", "resource", "token", "token_type_hint"};
  return v;
}

// Every JSON body field a handler reads (Databricks token, token-management, permissions,
// workspace-conf, OAuth secrets; SCIM users, service principals, groups, PATCH; Graph).
const std::vector<std::string>& JsonFields() {
  static const std::vector<std::string> v = {
      "lifetime_seconds", "comment", "token_id", "application_id", "scopes",
      "access_control_list", "user_name", "group_name", "service_principal_name",
      "permission_level", "enableTokensConfig", "maxTokenLifetimeDays", "userName",
      "displayName", "applicationId", "externalId", "active", "entitlements", "groups",
      "members", "emails", "name", "schemas", "Operations", "lifetime", "identifierUris", "appId",
      "keyId", "passwordCredential", "keyCredentials", "roles"};
  return v;
}

// JSON values of the wrong type, out of range, NUL, lone surrogates, huge. `false` is left out
// on purpose: {"enableTokensConfig": false} is valid and would lock the walk's admin out.
const std::vector<std::string>& BadJsonValues() {
  static const std::vector<std::string> v = {
      R"("\u0000")", R"("\ud800")", R"("%FF")", R"("")", "\"" + Repeat('a', 100000) + "\"",
      "99999999999999999999999", "1e400", "-1", "1.5", "true", "[]", "{}", "[null]",
      R"({"value":"\u0000"})", R"([{"value":123,"op":[],"path":{}}])", "\"\xff\""};
  return v;
}

// Nested fields: ACL entries, PATCH operations, members, Graph credentials.
const std::vector<std::string>& NestedJsonBodies() {
  static const std::vector<std::string> v = {
      R"({"access_control_list":[{"user_name":"\u0000","permission_level":"\ud800"}]})",
      R"({"access_control_list":[{"group_name":123,"permission_level":[]}]})",
      R"({"access_control_list":[{"service_principal_name":{},"permission_level":"CAN_USE"}]})",
      R"({"access_control_list":[null,1,"x"]})",
      R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"\u0000","path":1,"value":{}}]})",
      R"({"Operations":[{"op":"add","path":"members","value":[{"value":"%FF"}]}]})",
      R"({"Operations":[{"op":"replace","value":{"active":"x","userName":[]}}]})",
      R"({"Operations":[{"op":"remove","path":"members[value eq \"\u0000\"]"}]})",
      R"({"Operations":[{"op":"add","path":"entitlements","value":[{"value":99999999999999999999}]}]})",
      R"({"members":[{"value":123}],"displayName":"g"})",
      R"({"emails":[{"value":[]}],"userName":"u@example.com"})",
      R"({"entitlements":[{"value":{}}],"userName":"v@example.com"})",
      R"({"passwordCredential":{"endDateTime":"\u0000","displayName":1}})",
      R"({"passwordCredential":{"endDateTime":"99999-99-99T99:99:99"}})",
      R"({"passwordCredential":"x"})",
      R"({"keyCredentials":[{"key":"%%%","displayName":"\u0000"}]})",
      R"({"keyCredentials":"x"})",
      R"({"keyCredentials":[1,null]})",
      R"({"identifierUris":[1]})",
      R"({"a":1,"a":"x","lifetime_seconds":1,"lifetime_seconds":"y"})"};
  return v;
}

const std::vector<std::string>& GenericBodies() {
  static const std::vector<std::string> v = {
      "{", "[]", "null", "\"s\"", "1", "{\"a\":\"\xff\"}", "\xff\xfe", "%", "a=%FF%FE&b=%",
      std::string("\0\0", 2), Repeat('[', 20000) + Repeat(']', 20000),
      "{\"comment\":\"" + Repeat('x', 600000) + "\"}", Repeat('x', 1100 * 1024)};
  return v;
}

class MalformedInputWalk : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    spdlog::set_level(spdlog::level::off);  // the walk makes thousands of audit lines
    char dir[] = "/tmp/latchkey-walk-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = new std::string(dir);
    world_ = AppWorld::Create(*dir_ + "/data").release();
    ASSERT_NE(world_, nullptr);
    http::ServerOptions options;
    options.listeners.push_back({"127.0.0.1", 0, false});
    options.threads = 2;
    options.error_renderer = RenderServerError;
    options.access_log = [](const http::AccessLogEntry& e) {
      std::lock_guard lock(reached_mu_);
      if (!e.route.empty() && e.route != "unmatched") {
        reached_->insert(e.method + " " + std::string(e.route));
      }
    };
    reached_ = new std::set<std::string>();
    server_ = new http::Server(options, [](http::Request& r) { return world_->router().Dispatch(r); });
    ASSERT_TRUE(server_->Start());
    port_ = server_->BoundPorts().at(0);
    thread_ = new std::thread([] { server_->Run(); });
  }

  static void TearDownTestSuite() {
    if (server_ != nullptr) server_->Stop();
    if (thread_ != nullptr) thread_->join();
    delete thread_;
    delete server_;
    delete world_;
    delete reached_;
    if (dir_ != nullptr) std::filesystem::remove_all(*dir_);
    delete dir_;
  }

  static std::string Fill(std::string_view pattern, const std::string& name,
                          const std::string& value) {
    std::string out;
    size_t i = 0;
    while (i < pattern.size()) {
      if (pattern[i] != '{') {
        out += pattern[i++];
        continue;
      }
      size_t close = pattern.find('}', i);
      std::string param(pattern.substr(i + 1, close - i - 1));
      if (param.ends_with("...")) param.resize(param.size() - 3);
      out += param == name ? value : GoodParam(param);
      i = close + 1;
    }
    return out;
  }

  static std::string GoodParam(const std::string& name) {
    if (name == "tenant") return world_->tenant_id;
    if (name == "file") return "index.html";
    if (name == "account_id" || name == "account") return "00000000-0000-0000-0000-000000000000";
    return "123456789";  // ids that name nothing, so that no walk request deletes a real one
  }

  static std::vector<std::string> ParamNames(std::string_view pattern) {
    std::vector<std::string> names;
    for (size_t i = pattern.find('{'); i != std::string_view::npos; i = pattern.find('{', i + 1)) {
      std::string param(pattern.substr(i + 1, pattern.find('}', i) - i - 1));
      if (param.ends_with("...")) param.resize(param.size() - 3);
      names.push_back(param);
    }
    return names;
  }

  // The valid form of a token request of the route's credential, with `field` replaced.
  static std::string Form(Credential credential, const std::string& field, const std::string& raw) {
    std::vector<std::pair<std::string, std::string>> fields;
    if (credential == Credential::kEntraClient) {
      fields = {{"grant_type", "client_credentials"},
                {"client_id", world_->graph_client_id},
                {"client_secret", PercentEncode(world_->graph_client_secret)},
                {"scope", PercentEncode("https://graph.microsoft.com/.default")},
                {"resource", PercentEncode("https://graph.microsoft.com")}};
    } else if (credential == Credential::kOAuthClient) {
      fields = {{"grant_type", "client_credentials"},
                {"client_id", world_->oauth_client_id},
                {"client_secret", PercentEncode(world_->oauth_client_secret)},
                {"scope", "all-apis"}};
    } else {
      fields = {{"token", world_->admin_pat}};
    }
    std::string out;
    bool replaced = false;
    for (auto& [k, v] : fields) {
      if (!out.empty()) out += '&';
      if (k == field) {
        out += k + "=" + raw;
        replaced = true;
      } else {
        out += k + "=" + v;
      }
    }
    if (!replaced) out += "&" + field + "=" + raw;
    return out;
  }

  static std::string AuthorizationFor(Credential credential) {
    switch (credential) {
      case Credential::kPat: return "Bearer " + world_->admin_pat;
      case Credential::kGraphToken: return "Bearer " + world_->graph_token;
      default: return "";
    }
  }

  static std::vector<Variant> Variants(const http::Router::RouteInfo& route, const Rule& rule,
                                       bool authenticated) {
    std::vector<Variant> out;
    const std::string good = Fill(route.pattern, "", "");
    auto add = [&](std::string what, std::string target) {
      Variant v;
      v.what = std::move(what);
      v.target = std::move(target);
      out.push_back(std::move(v));
      return &out.back();
    };
    add("well-formed", good);
    for (const std::string& param : ParamNames(route.pattern)) {
      for (const std::string& bad : BadSegments()) {
        add("path param " + param + "=" + bad.substr(0, 24), Fill(route.pattern, param, bad));
      }
    }
    for (const std::string& raw : {std::string("%"), std::string("a=%FF%FE"), std::string("%zz=1"),
                                   std::string("x=%00"), std::string("a=1&a=2"),
                                   std::string("\xff=\xfe"), Repeat('q', 6000),
                                   std::string("authorization_endpoint=https://x/%FF%FE/")}) {
      add("query " + raw.substr(0, 24), good + "?" + raw);
    }
    for (const std::string& field : QueryFields()) {
      for (const std::string& bad : BadQueryValues()) {
        add("query " + field + "=" + bad.substr(0, 24), good + "?" + field + "=" + bad);
      }
      add("query duplicated " + field, good + "?" + field + "=1&" + field + "=2");
    }
    auto header = [&](std::string what, std::vector<std::string> lines, bool host, bool auth) {
      Variant* v = add(std::move(what), good);
      v->headers = std::move(lines);
      v->own_host = host;
      v->own_authorization = auth;
    };
    for (const std::string& host : {std::string("\xff\xfe"), std::string("%FF"), std::string("a b"),
                                    std::string(""), std::string("<x>\"'"), Repeat('h', 6000),
                                    std::string("latchkey.test:99999999999999999999")}) {
      header("Host " + host.substr(0, 24), {"Host: " + host}, true, false);
    }
    header("no Host", {}, true, false);
    header("two Hosts", {"Host: latchkey.test", "Host: other.test"}, true, false);
    const std::string real = AuthorizationFor(rule.credential);
    for (const std::string& auth :
         {std::string("Bearer \xff\xfe"), std::string("Bearer %FF"), std::string("Bearer "),
          std::string("Bearer"), "Bearer " + Repeat('a', 8000), std::string("Basic \xff"),
          "Basic " + Base64Encode("\xff\xfe:\xfe"), "Basic " + Base64Encode("%FF%FE:x"),
          "Basic " + Base64Encode("%00:x"), std::string("Basic !!!"),
          std::string("Negotiate abc"), "Bearer dapi" + Repeat('0', 32)}) {
      header("Authorization " + auth.substr(0, 24), {"Authorization: " + auth}, false, true);
    }
    if (!real.empty()) {
      header("two Authorizations", {"Authorization: " + real, "Authorization: Bearer junk"}, false,
             true);
    }
    header("client-request-id", {"client-request-id: \xff\xfe"}, false, false);
    header("Content-Type", {"Content-Type: \xff"}, false, false);
    header("Expect", {"Expect: 100-continue\xff"}, false, false);
    header("NUL in a header", {std::string("X-A: a\0b", 8)}, false, false);

    auto body = [&](std::string what, std::string text, std::string type) {
      Variant* v = add(std::move(what), good);
      v->body = std::move(text);
      v->content_type = std::move(type);
    };
    for (const std::string& text : GenericBodies()) {
      body("body " + text.substr(0, 24), text, "application/json");
    }
    if (!authenticated) return out;  // handlers behind authentication do not read the body
    const bool form = rule.credential == Credential::kEntraClient ||
                      rule.credential == Credential::kOAuthClient ||
                      route.pattern == "/oauth2/introspect";
    const bool has_body = route.method == "POST" || route.method == "PUT" ||
                          route.method == "PATCH";
    if (form) {
      for (const std::string& field : FormFields()) {
        for (const std::string& bad : BadQueryValues()) {
          body("form " + field + "=" + bad.substr(0, 24), Form(rule.credential, field, bad),
               "application/x-www-form-urlencoded");
        }
        body("form duplicated " + field, Form(rule.credential, field, "a&" + field + "=b"),
             "application/x-www-form-urlencoded");
      }
    } else if (has_body) {
      for (const std::string& field : JsonFields()) {
        for (const std::string& bad : BadJsonValues()) {
          body("json " + field + "=" + bad.substr(0, 24), "{\"" + field + "\":" + bad + "}",
               "application/json");
        }
      }
      for (const std::string& text : NestedJsonBodies()) {
        body("json " + text.substr(0, 40), text, "application/json");
      }
    }
    return out;
  }

  static std::string Render(const http::Router::RouteInfo& route, const Variant& v,
                            const std::string& authorization) {
    std::string request = route.method + " " + v.target + " HTTP/1.1\r\n";
    if (!v.own_host) request += std::string("Host: ") + kWorldHost + "\r\n";
    if (!v.own_authorization && !authorization.empty()) {
      request += "Authorization: " + authorization + "\r\n";
    }
    for (const std::string& line : v.headers) request += line + "\r\n";
    if (!v.content_type.empty()) request += "Content-Type: " + v.content_type + "\r\n";
    if (!v.body.empty() || route.method == "POST" || route.method == "PUT" ||
        route.method == "PATCH") {
      request += "Content-Length: " + std::to_string(v.body.size()) + "\r\n";
    }
    request += "\r\n" + v.body;
    return request;
  }

  // "" if `r` is in the shape of `family`'s errors, else what is wrong.
  static std::string ShapeProblem(Family family, const ClientResponse& r) {
    if (r.status < 400) return "";
    if (family == Family::kPlain) return "";
    if (family == Family::kForwardAuth && r.body.empty() && (r.status == 401 || r.status == 403)) {
      return "";
    }
    const json body = json::parse(r.body, nullptr, false);
    if (!body.is_object()) return "the error body is not a JSON object";
    auto is_string = [&](const json& j, const char* key) {
      return j.contains(key) && j[key].is_string();
    };
    auto oauth = [&] { return is_string(body, "error") && is_string(body, "error_description"); };
    auto graph = [&] {
      return body.contains("error") && body["error"].is_object() &&
             is_string(body["error"], "code") && is_string(body["error"], "message");
    };
    auto databricks = [&] {
      return body.contains("error_code") &&
             (body["error_code"].is_string() || body["error_code"].is_number_integer()) &&
             is_string(body, "message");
    };
    switch (family) {
      case Family::kEntra:
        if (oauth() && body.contains("error_codes") && body["error_codes"].is_array() &&
            !body["error_codes"].empty()) {
          return "";
        }
        return "not Entra's error shape (error, error_description, error_codes)";
      case Family::kArm:
      case Family::kGraph:
        return graph() ? "" : "not Graph's error shape ({error:{code,message}})";
      case Family::kDatabricks:
        return databricks() ? "" : "not the Databricks error shape (error_code, message)";
      case Family::kScim: {
        // Authentication happens before SCIM's handler, in the API's shared wrapper, and is
        // answered as the Databricks API answers it.
        if ((r.status == 401 || r.status == 403 || r.status == 429) && databricks()) return "";
        const bool scim = body.contains("schemas") && body["schemas"].is_array() &&
                          body["schemas"].size() == 1 &&
                          body["schemas"][0] == "urn:ietf:params:scim:api:messages:2.0:Error" &&
                          is_string(body, "detail") && is_string(body, "status") &&
                          body["status"] == std::to_string(r.status);
        return scim ? "" : "not SCIM's error shape (schemas, detail, status)";
      }
      case Family::kOAuth:
      case Family::kForwardAuth:
        return oauth() ? "" : "not OAuth's error shape (error, error_description)";
      case Family::kPlain:
        return "";
    }
    return "?";
  }

  static void Walk(const http::Router::RouteInfo& route, const Rule& rule, bool authenticated,
                   size_t& requests) {
    const std::string authorization = authenticated ? AuthorizationFor(rule.credential) : "";
    std::unique_ptr<TestClient> client;
    for (const Variant& v : Variants(route, rule, authenticated)) {
      if (!client) client = TestClient::Connect(port_);
      ASSERT_NE(client, nullptr);
      const std::optional<ClientResponse> r = client->RoundTrip(Render(route, v, authorization), route.method == "HEAD");
      ++requests;
      const std::string where = route.method + " " + route.pattern + " (" +
                                std::string(FamilyName(rule.family)) +
                                (authenticated ? ", authenticated" : "") + "), " + v.what;
      ASSERT_TRUE(r.has_value()) << "no response: " << where;
      EXPECT_LT(r->status, 500) << where << ": " << r->body.substr(0, 300);
      // A HEAD response has no body to have a shape.
      const std::string problem = route.method == "HEAD" ? "" : ShapeProblem(rule.family, *r);
      EXPECT_EQ(problem, "") << where << ": " << r->status << " " << r->body.substr(0, 300);
      if (r->Header("Connection") == "close") client.reset();
    }
    // The server is still up and serving.
    auto health = TestClient::Connect(port_);
    ASSERT_NE(health, nullptr) << route.pattern;
    auto ok = health->RoundTrip(http::testing::Get("/healthz"));
    ASSERT_TRUE(ok.has_value()) << "after " << route.pattern;
    EXPECT_EQ(ok->status, 200);
  }

  static inline std::string* dir_ = nullptr;
  static inline AppWorld* world_ = nullptr;
  static inline http::Server* server_ = nullptr;
  static inline std::thread* thread_ = nullptr;
  static inline uint16_t port_ = 0;
  static inline std::mutex reached_mu_;
  static inline std::set<std::string>* reached_ = nullptr;
};

TEST_F(MalformedInputWalk, EveryRouteAnswersMalformedInputWith4xxInItsProtocolsShape) {
  const std::vector<http::Router::RouteInfo> routes = world_->router().Routes();
  ASSERT_GT(routes.size(), 50u) << "the composition lost its routes";
  size_t requests = 0;
  std::map<std::string, size_t> per_family;
  for (const auto& route : routes) {
    const Rule* rule = Classify(route.pattern);
    ASSERT_NE(rule, nullptr) << route.method << " " << route.pattern
                             << " belongs to no protocol family: add a rule to kRules";
    ++per_family[std::string(FamilyName(rule->family))];
    for (bool authenticated : {true, false}) {
      if (authenticated && rule->credential == Credential::kNone) continue;
      Walk(route, *rule, authenticated, requests);
      if (HasFatalFailure()) return;
    }
  }
  // Every route's handler ran at least once (the matched pattern is in the access log): a
  // route the walk cannot reach is a route it does not test.
  std::lock_guard lock(reached_mu_);
  for (const auto& route : routes) {
    EXPECT_TRUE(reached_->count(route.method + " " + route.pattern))
        << "the walk never reached " << route.method << " " << route.pattern;
  }
  std::string summary;
  for (const auto& [family, n] : per_family) summary += family + "=" + std::to_string(n) + " ";
  std::printf("walked %zu routes (%s) with %zu requests\n", routes.size(), summary.c_str(),
              requests);
}

// The walk's rule table must not accept a route it cannot classify; a top-level path that no
// protocol owns is refused (this is what makes a new, unclassified route fail the walk).
TEST(MalformedInputRules, AnUnknownRouteIsUnclassified) {
  EXPECT_EQ(Classify("/brand-new/endpoint"), nullptr);
  EXPECT_EQ(Classify("/subscriptions/extra"), nullptr);
  ASSERT_NE(Classify("/api/2.0/new-thing"), nullptr);
  EXPECT_EQ(Classify("/api/2.0/new-thing")->family, Family::kDatabricks);
  EXPECT_EQ(Classify("/api/2.0/preview/scim/v2/Users")->family, Family::kScim);
  EXPECT_EQ(Classify("/{tenant}/oauth2/v2.0/token")->credential, Credential::kEntraClient);
}

}  // namespace
}  // namespace latchkey::app::testing
