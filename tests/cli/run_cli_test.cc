// RunCli end to end with a fake server: arguments, requests sent, output and exit codes.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "cli/command.h"
#include "cli/file_io.h"
#include "fakes.h"

namespace latchkey::cli {
namespace {

using testing::CliHarness;
using testing::Json200;
using testing::Status;

constexpr const char* kCreated =
    R"({"token_value":"dapi0123456789abcdef0123456789abcdef","token_info":{"token_id":"abc",)"
    R"("creation_time":1767225600000,"expiry_time":1767312000000,"comment":"my-pat"}})";

size_t Lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

class RunCliTest : public ::testing::Test {
 protected:
  void UsePat() {
    h_.env["DATABRICKS_HOST"] = "https://127.0.0.1:8443/";
    h_.env["DATABRICKS_TOKEN"] = "dapiSECRET";
  }
  CliHarness h_;
};

TEST_F(RunCliTest, UnknownFlagIsUsageWithOneLine) {
  const auto r = h_.Run({"tokens", "list", "--frobnicate"});

  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(Lines(r.err), 1u);
  EXPECT_NE(r.err.find("--frobnicate"), std::string::npos);
  EXPECT_TRUE(h_.transport.requests.empty());
}

TEST_F(RunCliTest, UnknownCommandIsUsage) {
  EXPECT_EQ(h_.Run({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(h_.Run({}).exit_code, 2);
  EXPECT_EQ(h_.Run({"tokens"}).exit_code, 2);
}

TEST_F(RunCliTest, MissingHostIsUsageWithOneLine) {
  h_.env["DATABRICKS_TOKEN"] = "dapiSECRET";

  const auto r = h_.Run({"tokens", "list"});

  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(Lines(r.err), 1u);
  EXPECT_NE(r.err.find("no host"), std::string::npos);
}

TEST_F(RunCliTest, MissingCredentialsIsAuthentication) {
  h_.env["DATABRICKS_HOST"] = "https://h";

  EXPECT_EQ(h_.Run({"tokens", "list"}).exit_code, 3);
}

TEST_F(RunCliTest, TokensCreateSendsTheArticlesFieldsAndPrintsTheServersJson) {
  UsePat();
  h_.transport.Enqueue(Json200(kCreated));

  const auto r = h_.Run({"tokens", "create", "--lifetime-seconds", "86400", "--comment", "my-pat"});

  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(h_.transport.requests.size(), 1u);
  const HttpRequest& sent = h_.transport.requests[0];
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.url, "https://127.0.0.1:8443/api/2.0/token/create");
  EXPECT_EQ(Json::parse(sent.body), Json::parse(R"({"lifetime_seconds":86400,"comment":"my-pat"})"));
  EXPECT_EQ(Json::parse(r.out), Json::parse(kCreated));
  EXPECT_TRUE(r.out.starts_with("{\n  \"token_value\""));
  EXPECT_TRUE(r.err.empty());
}

TEST_F(RunCliTest, TokensCreateOmitsFlagsNotGiven) {
  UsePat();
  h_.transport.Enqueue(Json200(kCreated));

  ASSERT_EQ(h_.Run({"tokens", "create"}).exit_code, 0);

  EXPECT_EQ(h_.transport.requests[0].body, "{}");
}

TEST_F(RunCliTest, TokensRevokePostsTheId) {
  UsePat();
  h_.transport.Enqueue(Json200("{}"));

  const auto r = h_.Run({"tokens", "revoke", "--token-id", "abc"});

  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "{}\n");
  EXPECT_EQ(h_.transport.requests[0].url, "https://127.0.0.1:8443/api/2.0/token/delete");
  EXPECT_EQ(h_.transport.requests[0].body, R"({"token_id":"abc"})");
}

TEST_F(RunCliTest, QueryAndTsvPrintABareValue) {
  UsePat();
  h_.transport.Enqueue(Json200(kCreated));

  const auto r = h_.Run({"tokens", "create", "--query", "token_info.token_id", "-o", "tsv"});

  EXPECT_EQ(r.out, "abc\n");
}

TEST_F(RunCliTest, InvalidTokenIsAuthenticationWithTheServersMessage) {
  UsePat();
  h_.transport.Enqueue(Status(403, R"({"error_code": 403, "message": "Invalid access token."})"));

  const auto r = h_.Run({"tokens", "list"});

  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.err, "Error: 403: Invalid access token.\n");
  EXPECT_TRUE(r.out.empty());
}

TEST_F(RunCliTest, NotFoundExitsFour) {
  UsePat();
  h_.transport.Enqueue(Status(404, R"({"error_code":"RESOURCE_DOES_NOT_EXIST","message":"gone"})"));

  EXPECT_EQ(h_.Run({"tokens", "revoke", "--token-id", "x"}).exit_code, 4);
}

TEST_F(RunCliTest, ServerErrorExitsFive) {
  UsePat();
  h_.transport.Enqueue(Status(400, R"({"error_code":"INVALID_PARAMETER_VALUE","message":"bad"})"));

  EXPECT_EQ(h_.Run({"tokens", "create", "--lifetime-seconds", "0"}).exit_code, 5);
}

TEST_F(RunCliTest, NetworkFailureExitsSix) {
  UsePat();
  h_.transport.Enqueue(std::unexpected(CliError{ExitCode::kNetwork, "cannot connect"}));

  const auto r = h_.Run({"tokens", "list"});

  EXPECT_EQ(r.exit_code, 6);
  EXPECT_EQ(r.err, "Error: cannot connect\n");
}

TEST_F(RunCliTest, AnswerWithoutAnExpectedFieldExitsFive) {
  h_.env["LATCHKEY_CONFIG_DIR"] = h_.home.path() + "/state";
  std::filesystem::create_directory(h_.home.path() + "/state");
  std::ofstream(h_.home.path() + "/state/login.json")
      << R"({"authority":"https://idp","tenant":"t","client_id":"c","client_secret":"s"})";
  h_.transport.Enqueue(Json200(R"({"access_token":"eyJ.g.t","expires_in":3600})"));
  h_.transport.Enqueue(Json200(R"({"id":"obj"})"));  // no appId

  const auto r = h_.Run({"apps", "create", "--display-name", "x"});

  EXPECT_EQ(r.exit_code, 5);
  EXPECT_EQ(Lines(r.err), 1u);
}

TEST_F(RunCliTest, AddCertificateSendsTheBase64DerOfThePemAndKeepsTheOthers) {
  h_.env["LATCHKEY_CONFIG_DIR"] = h_.home.path() + "/state";
  std::filesystem::create_directory(h_.home.path() + "/state");
  std::ofstream(h_.home.path() + "/state/login.json")
      << R"({"authority":"https://idp","tenant":"t","client_id":"c","client_secret":"s"})";
  std::ofstream(h_.home.path() + "/cert.pem")
      << "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
         "-----BEGIN CERTIFICATE-----\nMIIB\nAQID\n-----END CERTIFICATE-----\n";
  h_.transport.Enqueue(Json200(R"({"access_token":"eyJ.g.t","expires_in":3600})"));
  h_.transport.Enqueue(
      Json200(R"({"id":"obj","appId":"app","keyCredentials":[{"keyId":"k1","key":null}]})"));
  h_.transport.Enqueue(Status(204, ""));
  h_.transport.Enqueue(Json200(R"({"id":"obj","appId":"app","keyCredentials":[]})"));

  const auto r = h_.Run({"apps", "add-certificate", "--id", "obj", "--cert",
                         h_.home.path() + "/cert.pem", "--display-name", "ci"});

  ASSERT_EQ(r.exit_code, 0) << r.err;
  // PATCH replaces the list (as in Graph): the existing certificate by keyId, then the new one.
  EXPECT_EQ(h_.transport.requests[1].method, "GET");
  const HttpRequest& patch = h_.transport.requests[2];
  EXPECT_EQ(patch.method, "PATCH");
  EXPECT_EQ(patch.url, "https://idp/v1.0/applications/obj");
  EXPECT_EQ(Json::parse(patch.body),
            Json::parse(R"({"keyCredentials":[{"keyId":"k1"},{"type":"AsymmetricX509Cert",)"
                        R"("usage":"Verify","key":"MIIBAQID","displayName":"ci"}]})"));
  EXPECT_NE(h_.transport.requests[0].body.find("scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"),
            std::string::npos);
}

TEST_F(RunCliTest, DebugNeverPrintsTheToken) {
  UsePat();
  h_.transport.Enqueue(Json200(kCreated));

  const auto r = h_.Run({"--debug", "tokens", "create"});

  EXPECT_NE(r.err.find("> POST https://127.0.0.1:8443/api/2.0/token/create"), std::string::npos);
  EXPECT_EQ(r.err.find("dapiSECRET"), std::string::npos);
  EXPECT_EQ(r.err.find("dapi0123"), std::string::npos);
}

TEST_F(RunCliTest, CaFilesReachTheTransport) {
  UsePat();
  h_.env["SSL_CERT_FILE"] = "/ca.pem";
  h_.transport.Enqueue(Json200("{}"));

  (void)h_.Run({"tokens", "list"});

  ASSERT_EQ(h_.tls_seen.size(), 1u);
  EXPECT_EQ(h_.tls_seen[0].ca_files, std::vector<std::string>{"/ca.pem"});
}

TEST_F(RunCliTest, TableOutputForPeople) {
  UsePat();
  h_.transport.Enqueue(Json200(
      R"({"token_infos":[{"token_id":"abc","creation_time":1767225600000,"expiry_time":-1,"comment":"c"}]})"));

  const auto r = h_.Run({"tokens", "list", "--output", "table"});

  EXPECT_EQ(r.out,
            "TOKEN_ID  CREATED               EXPIRES  COMMENT\n"
            "abc       2026-01-01T00:00:00Z  never    c\n");
}

TEST_F(RunCliTest, EveryCommandHasHelp) {
  const std::vector<std::vector<std::string>> commands = {
      {}, {"configure"}, {"login"}, {"logout"}, {"account"}, {"account", "get-access-token"},
      {"tokens"}, {"tokens", "create"}, {"tokens", "list"}, {"tokens", "revoke"},
      {"tokens", "delete"}, {"token-management"}, {"token-management", "list"},
      {"token-management", "get"}, {"token-management", "delete"},
      {"token-management", "create-obo"}, {"permissions"}, {"permissions", "get"},
      {"permissions", "update"}, {"permissions", "set"}, {"permissions", "levels"},
      {"service-principals", "create"}, {"service-principals", "list"},
      {"service-principals", "get"}, {"service-principals", "delete"}, {"users", "create"},
      {"users", "list"}, {"users", "get"}, {"users", "delete"}, {"groups", "list"},
      {"workspace-conf", "get"}, {"workspace-conf", "set"}, {"audit", "list"},
      {"oauth-secrets", "create"}, {"oauth-secrets", "list"}, {"oauth-secrets", "delete"},
      {"apps", "create"}, {"apps", "list"}, {"apps", "delete"}, {"apps", "add-password"},
      {"apps", "remove-password"}, {"apps", "add-certificate"}};
  for (std::vector<std::string> args : commands) {
    args.push_back("--help");
    const auto r = h_.Run(args);
    EXPECT_EQ(r.exit_code, 0) << args[0];
    EXPECT_NE(r.out.find("Usage: latchkey"), std::string::npos) << args[0];
  }
}

TEST_F(RunCliTest, RootHelpDocumentsExitCodes) {
  const auto r = h_.Run({"--help"});

  EXPECT_NE(r.out.find("Exit codes: 0 ok; 2 usage"), std::string::npos);
  EXPECT_NE(r.out.find("6 network or TLS"), std::string::npos);
}

}  // namespace
}  // namespace latchkey::cli
