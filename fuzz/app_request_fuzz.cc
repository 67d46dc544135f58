// Fuzzes latchkeyd's whole request path: the bytes a client sends, parsed by
// http::RequestParser exactly as http/session.cc drives it (pipelined requests included),
// answered by the HTTP layer's own error renderer or dispatched to the real route table
// (app::RegisterAppRoutes: Entra, Graph, ARM, Databricks, SCIM, /oidc, the UI, the operations
// endpoints) over a real data dir made by `latchkeyd init` in a temporary directory (SQLite
// store, signing keys, tenant, directory admin, workspace admin). Aborts on any 5xx (the store
// never goes down here, so not even 503 is expected) and on a JSON response that does not
// parse (issue 19 item 4: no 5xx for any bytes a client can send).
//
// Input: raw request bytes. To let mutations reach the handlers behind authentication, these
// placeholders are replaced before parsing: $PAT (the workspace admin's PAT), $GRAPH (a Graph
// access token of the directory admin), $TID (the tenant id), $CID and $SEC (the directory
// admin's client id and secret), $OCID and $OSEC (a workspace service principal's OAuth
// client id and secret).
//
// LATCHKEY_FUZZ_VERBOSE=1: prints each dispatched request's status and route to stderr.
// LATCHKEY_FUZZ_WRITE_SEEDS=<dir>: writes one seed request per registered route into <dir>
// and exits (how fuzz/corpus/app_request/ was made).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "app/app_routes.h"
#include "app_world.h"
#include "base/encoding.h"
#include "base/result.h"
#include "http/message.h"
#include "http/request_parser.h"

using namespace latchkey;
using namespace latchkey::http;

namespace {

constexpr size_t kMaxRequests = 8;
// The world is made again after this many inputs, so that state the inputs created (tokens,
// principals, a disabled token API, a deleted admin) does not pile up or hide handlers.
constexpr size_t kInputsPerWorld = 20000;

struct Fixture {
  std::filesystem::path dir;
  std::unique_ptr<app::testing::AppWorld> world;
  size_t inputs = 0;
  size_t generation = 0;

  void Make() {
    world.reset();
    if (!dir.empty()) std::filesystem::remove_all(dir);
    char tmpl[] = "/tmp/latchkey-fuzz-app-XXXXXX";
    LATCHKEY_CHECK(mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    world = app::testing::AppWorld::Create((dir / "data").string());
    LATCHKEY_CHECK(world != nullptr);
    inputs = 0;
    ++generation;
  }
  ~Fixture() {
    world.reset();
    if (!dir.empty()) std::filesystem::remove_all(dir);
  }
};

Fixture& World() {
  static Fixture* fixture = [] {
    spdlog::set_level(spdlog::level::off);
    auto* f = new Fixture();
    f->Make();
    return f;
  }();
  return *fixture;
}

void ReplaceAll(std::string& text, std::string_view from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

std::string Substitute(std::string_view input, const app::testing::AppWorld& w) {
  std::string text(input);
  if (text.find('$') == std::string::npos) return text;
  // Longest first: $OCID before $CID, $OSEC before $SEC.
  ReplaceAll(text, "$OCID", w.oauth_client_id);
  ReplaceAll(text, "$OSEC", w.oauth_client_secret);
  ReplaceAll(text, "$PAT", w.admin_pat);
  ReplaceAll(text, "$GRAPH", w.graph_token);
  ReplaceAll(text, "$TID", w.tenant_id);
  ReplaceAll(text, "$CID", w.graph_client_id);
  ReplaceAll(text, "$SEC", w.graph_client_secret);
  return text;
}

void CheckResponse(const Response& response) {
  if (response.status >= 500) {
    std::fprintf(stderr, "5xx: %d %s\n", response.status, response.body.substr(0, 400).c_str());
  }
  LATCHKEY_CHECK(response.status >= 100 && response.status < 500);
  for (const auto& [name, value] : response.headers) {
    // Header values are written as is: a client's bytes must never split a header.
    LATCHKEY_CHECK(value.find_first_of("\r\n") == std::string::npos);
    if (IEquals(name, "Content-Type") && value.starts_with("application/json") &&
        !response.body.empty()) {
      const bool parses = nlohmann::json::accept(response.body);
      if (!parses) std::fprintf(stderr, "broken JSON: %s\n", response.body.substr(0, 400).c_str());
      LATCHKEY_CHECK(parses);
    }
  }
}

// Parses `input` as session.cc does (one read holding every byte) and answers each request.
void Serve(std::string_view input, app::testing::AppWorld& world, size_t serial) {
  const RequestLimits limits;  // the server's defaults: 8 KiB line, 16 KiB headers, 1 MiB body
  std::string buffer(input);
  Request request;
  for (size_t n = 0; n < kMaxRequests && !buffer.empty(); ++n) {
    RequestParser parser(request, limits);
    ErrorCodeT ec;
    int error_status = 0;
    // As session.cc's ReadRequest: put until the request is done or fails; here every byte
    // is already read, so a parser that wants more means the peer closed mid-request.
    for (;;) {
      const bool header_done = parser.is_header_done();
      const size_t used = parser.put(asio::const_buffer(buffer.data(), buffer.size()), ec);
      buffer.erase(0, used);
      if (ec && ec != beast::http::error::need_more) {
        error_status = parser.ErrorStatus(ec, header_done ? std::string_view() : buffer);
        break;
      }
      if (parser.is_done()) break;
      if (used == 0 || buffer.empty()) return;  // closed mid-request: no answer
    }
    if (error_status != 0) {
      LATCHKEY_CHECK(error_status == 400 || error_status == 413 || error_status == 414 ||
                     error_status == 431);
      CheckResponse(app::RenderServerError(error_status, "malformed request", request.path));
      return;  // the session answers and closes
    }
    // Distinct addresses, as many clients would be: the per-address throttles then answer
    // 429 only to what really repeats.
    request.remote_address = "10." + std::to_string((serial >> 16) & 255) + "." +
                             std::to_string((serial >> 8) & 255) + "." +
                             std::to_string(serial & 255);
    request.tls = (serial & 1) != 0;
    request.local_port = 443;
    request.request_id = "fuzz-" + std::to_string(serial);
    const Response response = world.Dispatch(request);
    static const bool verbose = std::getenv("LATCHKEY_FUZZ_VERBOSE") != nullptr;
    if (verbose) {
      std::fprintf(stderr, "%d %s %s\n", response.status, request.method.c_str(),
                   std::string(request.route).c_str());
    }
    CheckResponse(response);
    if (!parser.keep_alive()) return;
  }
}

// A request with a Content-Length that is right once the placeholders are replaced (their
// values have the same length in every world: GUIDs, PATs and secrets have fixed formats).
std::string SeedRequest(const std::string& method, const std::string& target,
                        const std::string& headers, const std::string& body,
                        const app::testing::AppWorld& world) {
  std::string out = method + " " + target + " HTTP/1.1\r\nHost: latchkey.test\r\n" + headers;
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    out += "Content-Length: " + std::to_string(Substitute(body, world).size()) + "\r\n";
  }
  return out + "\r\n" + body;
}

std::string SeedFor(const http::Router::RouteInfo& route, const app::testing::AppWorld& world) {
  std::string target;
  for (size_t i = 0; i < route.pattern.size();) {
    if (route.pattern[i] != '{') {
      target += route.pattern[i++];
      continue;
    }
    size_t close = route.pattern.find('}', i);
    std::string name = route.pattern.substr(i + 1, close - i - 1);
    target += name == "tenant" ? "$TID" : name == "file..." ? "index.html" : "123";
    i = close + 1;
  }
  std::string auth, body, type;
  if (target.starts_with("/api/") || target == "/auth/verify" || target == "/metrics" ||
      target == "/oauth2/introspect") {
    auth = "Bearer $PAT";
  } else if (target.starts_with("/v1.0/") || target == "/subscriptions" || target == "/tenants") {
    auth = "Bearer $GRAPH";
  }
  if (route.pattern.find("/oauth2/") != std::string::npos && route.pattern.ends_with("token")) {
    type = "application/x-www-form-urlencoded";
    body = "grant_type=client_credentials&client_id=$CID&client_secret=$SEC&scope=https%3A%2F%2F"
           "graph.microsoft.com%2F.default&resource=https%3A%2F%2Fgraph.microsoft.com";
  } else if (target == "/oidc/v1/token") {
    type = "application/x-www-form-urlencoded";
    body = "grant_type=client_credentials&client_id=$OCID&client_secret=$OSEC&scope=all-apis";
  } else if (target == "/oauth2/introspect") {
    type = "application/x-www-form-urlencoded";
    body = "token=$PAT";
  } else if (route.method == "POST" || route.method == "PUT" || route.method == "PATCH") {
    type = "application/json";
    body = R"({"comment":"c","lifetime_seconds":3600,"displayName":"d","userName":"u@x.test"})";
  }
  std::string headers;
  if (!auth.empty()) headers += "Authorization: " + auth + "\r\n";
  if (!type.empty()) headers += "Content-Type: " + type + "\r\n";
  return SeedRequest(route.method, target, headers, body, world);
}

// The reported 500s (issue 19, issue 25 finding 7), kept as seeds.
std::vector<std::pair<std::string, std::string>> RegressionSeeds(
    const app::testing::AppWorld& world) {
  const std::string form = "Content-Type: application/x-www-form-urlencoded\r\n";
  const std::string graph = "scope=https%3A%2F%2Fgraph.microsoft.com%2F.default";
  return {
      {"regress_client_id_ff_fe",
       SeedRequest("POST", "/$TID/oauth2/v2.0/token", form,
                   "grant_type=client_credentials&client_id=%FF%FE&client_secret=x&" + graph, world)},
      {"regress_scope_ff",
       SeedRequest("POST", "/$TID/oauth2/v2.0/token", form,
                   "grant_type=client_credentials&client_id=$CID&client_secret=$SEC&scope=%FF",
                   world)},
      {"regress_basic_client_id_ff",
       SeedRequest("POST", "/adfs/oauth2/token",
                   form + "Authorization: Basic " + Base64Encode("\xff\xfe:x") + "\r\n",
                   "grant_type=client_credentials&" + graph, world)},
      {"regress_oidc_client_id_ff",
       SeedRequest("POST", "/oidc/v1/token", form,
                   "grant_type=client_credentials&client_id=%FF&client_secret=$OSEC&scope=all-apis",
                   world)},
      {"regress_client_request_id_ff",
       SeedRequest("POST", "/$TID/oauth2/token", form + "client-request-id: \xff\r\n",
                   "grant_type=x", world)},
  };
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  Fixture& fixture = World();
  if (const char* dir = std::getenv("LATCHKEY_FUZZ_WRITE_SEEDS")) {
    std::filesystem::create_directories(dir);
    size_t i = 0;
    for (const auto& route : fixture.world->router().Routes()) {
      char name[32];
      std::snprintf(name, sizeof name, "route_%03zu", i++);
      std::ofstream(std::filesystem::path(dir) / name, std::ios::binary)
          << SeedFor(route, *fixture.world);
    }
    for (const auto& [name, seed] : RegressionSeeds(*fixture.world)) {
      std::ofstream(std::filesystem::path(dir) / name, std::ios::binary) << seed;
      ++i;
    }
    std::printf("wrote %zu seeds to %s\n", i, dir);
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Fixture& fixture = World();
  if (++fixture.inputs > kInputsPerWorld) fixture.Make();
  static size_t serial = 0;
  const std::string input =
      Substitute(std::string_view(reinterpret_cast<const char*>(data), size), *fixture.world);
  Serve(input, *fixture.world, ++serial);
  return 0;
}
