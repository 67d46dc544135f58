// `latchkey configure` and `latchkey login` / `account get-access-token` through RunCli.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "cli/config.h"
#include "cli/file_io.h"
#include "cli/ini.h"
#include "fakes.h"

namespace latchkey::cli {
namespace {

using testing::CliHarness;
using testing::Json200;
using testing::Status;

std::string Read(const std::string& path) { return ReadFileIfExists(path)->value_or(""); }

unsigned Mode(const std::string& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return st.st_mode & 0777;
}

TEST(ConfigureTest, AadTokenFromEnvironmentWritesANewFileLikeTheDatabricksCli) {
  CliHarness h;
  h.env["DATABRICKS_AAD_TOKEN"] = "eyJ.aad.token";

  const auto r = h.Run({"configure", "--aad-token", "--host", "https://127.0.0.1:8443/"});

  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Read(h.ConfigPath()),
            "; The profile defined in the DEFAULT section is to be used as a fallback when no "
            "profile is explicitly specified.\n"
            "[DEFAULT]\nhost = https://127.0.0.1:8443\ntoken = eyJ.aad.token\n");
  EXPECT_EQ(Mode(h.ConfigPath()), 0600u);
  EXPECT_TRUE(r.out.empty());
  EXPECT_EQ(r.err.find("eyJ.aad.token"), std::string::npos);
}

TEST(ConfigureTest, KeepsOtherProfilesCommentsAndUnknownKeys) {
  CliHarness h;
  const std::string before =
      "# my workspaces\n[DEFAULT]\nhost = https://old\ntoken = old\njobs-api-version = 2.0\n"
      "ca_cert = /etc/ca.pem\n\n; staging\n[staging]\nhost = https://s\ntoken = dapiS\n";
  std::ofstream(h.ConfigPath()) << before;
  h.env["DATABRICKS_TOKEN"] = "dapiNEW";

  ASSERT_EQ(h.Run({"configure", "--token", "--host", "https://new:9443"}).exit_code, 0);

  EXPECT_EQ(Read(h.ConfigPath()),
            "# my workspaces\n[DEFAULT]\nhost = https://new:9443\njobs-api-version = 2.0\n"
            "ca_cert = /etc/ca.pem\ntoken = dapiNEW\n\n; staging\n[staging]\nhost = https://s\n"
            "token = dapiS\n");
}

TEST(ConfigureTest, ClearsOtherAuthKeysOfTheProfile) {
  CliHarness h;
  std::ofstream(h.ConfigPath()) << "[p]\nhost = h\nclient_id = c\nclient_secret = s\n"
                                   "auth_type = oauth-m2m\n";
  h.env["DATABRICKS_TOKEN"] = "dapiNEW";

  ASSERT_EQ(h.Run({"--profile", "p", "configure", "--host", "h"}).exit_code, 0);

  EXPECT_EQ(Read(h.ConfigPath()), "[p]\nhost = https://h\ntoken = dapiNEW\n");
}

TEST(ConfigureTest, TokenFromStdinWhenNotATerminal) {
  CliHarness h;
  h.terminal.stdin_text = "  dapiPIPED  \n";

  ASSERT_EQ(h.Run({"configure", "--token", "--host", "h"}).exit_code, 0);

  EXPECT_EQ(IniFile::Parse(Read(h.ConfigPath())).Get("DEFAULT", "token"), "dapiPIPED");
}

TEST(ConfigureTest, PromptsWithoutEchoOnATerminal) {
  CliHarness h;
  h.terminal.interactive = true;
  h.terminal.lines = {"https://prompted:1", "dapiTYPED"};

  ASSERT_EQ(h.Run({"configure", "--token"}).exit_code, 0);

  const IniFile ini = IniFile::Parse(Read(h.ConfigPath()));
  EXPECT_EQ(ini.Get("DEFAULT", "host"), "https://prompted:1");
  EXPECT_EQ(ini.Get("DEFAULT", "token"), "dapiTYPED");
  EXPECT_EQ(h.terminal.secret_prompts.size(), 1u);
}

TEST(ConfigureTest, NoTokenIsAnAuthenticationErrorAndWritesNothing) {
  CliHarness h;

  const auto r = h.Run({"configure", "--aad-token", "--host", "h"});

  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("DATABRICKS_AAD_TOKEN"), std::string::npos);
  EXPECT_FALSE(ReadFileIfExists(h.ConfigPath())->has_value());
}

TEST(ConfigureTest, NoHostIsAUsageError) {
  CliHarness h;
  h.env["DATABRICKS_AAD_TOKEN"] = "eyJ";

  EXPECT_EQ(h.Run({"configure", "--aad-token"}).exit_code, 2);
}

// Issue 25 finding 10: a PAT written into an existing world-readable file must not stay
// world-readable.
TEST(ConfigureTest, TightensAnExistingWorldReadableFileTo0600) {
  CliHarness h;
  std::ofstream(h.ConfigPath()) << "[DEFAULT]\nhost = https://old\n";
  ASSERT_EQ(::chmod(h.ConfigPath().c_str(), 0644), 0);
  h.env["DATABRICKS_TOKEN"] = "dapiSECRET";

  const auto r = h.Run({"configure", "--token", "--host", "https://new"});

  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Mode(h.ConfigPath()), 0600u);
  EXPECT_NE(r.err.find("0644 to 0600"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("dapiSECRET"), std::string::npos);
}

// Issue 19: configure says which file it wrote and which of the profile's keys it replaced
// (names only, never values).
TEST(ConfigureTest, SaysWhereItWroteAndWhatItReplaced) {
  CliHarness h;
  std::ofstream(h.ConfigPath()) << "[DEFAULT]\nhost = https://old\ntoken = dapiOLD\n"
                                   "client_id = c\n";
  ::chmod(h.ConfigPath().c_str(), 0600);
  h.env["DATABRICKS_TOKEN"] = "dapiNEW";

  const auto r = h.Run({"configure", "--token", "--host", "https://new"});

  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "Saved profile DEFAULT in " + h.ConfigPath() +
                       " (replaced: host, token; removed: client_id)\n");
  EXPECT_EQ(r.err.find("dapiOLD"), std::string::npos);
}

TEST(ConfigureTest, SaysWhenItCreatedTheFile) {
  CliHarness h;
  h.env["DATABRICKS_TOKEN"] = "dapiNEW";

  const auto r = h.Run({"configure", "--token", "--host", "https://new"});

  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "Saved profile DEFAULT in " + h.ConfigPath() + " (new file, mode 0600)\n");
}

TEST(ConfigureTest, ConfigFileAndProfileFromEnvironment) {
  CliHarness h;
  h.env["DATABRICKS_CONFIG_FILE"] = h.home.path() + "/custom.cfg";
  h.env["DATABRICKS_CONFIG_PROFILE"] = "ci";
  h.env["DATABRICKS_TOKEN"] = "dapiCI";

  ASSERT_EQ(h.Run({"configure", "--host", "https://ci"}).exit_code, 0);

  EXPECT_EQ(IniFile::Parse(Read(h.home.path() + "/custom.cfg")).Get("ci", "token"), "dapiCI");
}

TEST(ConfigureTest, OAuthM2mProfile) {
  CliHarness h;
  h.env["DATABRICKS_CLIENT_SECRET"] = "doseSECRET";

  ASSERT_EQ(h.Run({"configure", "--oauth-m2m", "--client-id", "cid", "--host", "h"}).exit_code, 0);

  const IniFile ini = IniFile::Parse(Read(h.ConfigPath()));
  EXPECT_EQ(ini.Get("DEFAULT", "client_secret"), "doseSECRET");
  EXPECT_EQ(ini.Get("DEFAULT", "auth_type"), "oauth-m2m");
}

TEST(ConfigureTest, WrittenProfileIsReadBack) {
  CliHarness h;
  h.env["ARM_CLIENT_SECRET"] = "s3cret";
  ASSERT_EQ(h.Run({"configure", "--azure-client-secret", "--tenant", "tid", "--client-id", "cid",
                   "--host", "https://ws:8443", "--authority", "https://idp:8443"})
                .exit_code,
            0);
  Environment env{{"HOME", h.home.path()}};

  CliResult<WorkspaceConfig> config = LoadWorkspaceConfig(env, std::nullopt);

  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(SelectAuthType(*config), AuthType::kAzureClientSecret);
  EXPECT_EQ(config->azure_login_endpoint, "https://idp:8443");
  EXPECT_EQ(config->azure_client_secret.reveal(), "s3cret");
}

class LoginTest : public ::testing::Test {
 protected:
  LoginTest() {
    h_.env["LATCHKEY_AUTHORITY"] = "https://127.0.0.1:8443";
    h_.transport = testing::FakeTransport([this](const HttpRequest& r) {
      ++token_requests_;
      last_body_ = r.body;
      return Json200(R"({"token_type":"Bearer","expires_in":3599,"access_token":"eyJ.tok.)" +
                     std::to_string(token_requests_) + R"("})");
    });
  }
  std::vector<std::string> LoginArgs() {
    return {"login", "--service-principal", "--tenant", "tid", "--username", "cid", "--password",
            "pw", "--allow-no-subscriptions"};
  }

  CliHarness h_;
  int token_requests_ = 0;
  std::string last_body_;
};

TEST_F(LoginTest, LoginSavesAPrivateSessionAndPrintsNoSecret) {
  const auto r = h_.Run(LoginArgs());

  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string session = h_.home.path() + "/.config/latchkey/login.json";
  EXPECT_EQ(Mode(session), 0600u);
  EXPECT_EQ(r.out.find("pw"), std::string::npos);
  EXPECT_EQ(r.out.find("eyJ"), std::string::npos);
  EXPECT_EQ(h_.transport.requests[0].url, "https://127.0.0.1:8443/tid/oauth2/v2.0/token");
}

// Issue 25 finding 10: a secret on the command line is visible in /proc/<pid>/cmdline. Like
// az, `-p` also takes `@FILE`, `-` reads standard input, and without -p the secret comes from
// AZURE_CLIENT_SECRET, a no-echo prompt, or standard input.
std::vector<std::string> WithoutPassword() {
  return {"login", "--service-principal", "--tenant", "tid", "--username", "cid"};
}

TEST_F(LoginTest, SecretFromTheEnvironment) {
  h_.env["AZURE_CLIENT_SECRET"] = "env.secret";

  const auto r = h_.Run(WithoutPassword());

  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(last_body_.find("client_secret=env.secret&"), std::string::npos) << last_body_;
}

TEST_F(LoginTest, SecretFromStandardInputWithDash) {
  h_.terminal.stdin_text = "piped.secret\n";
  auto args = WithoutPassword();
  args.insert(args.end(), {"-p", "-"});

  const auto r = h_.Run(args);

  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(last_body_.find("client_secret=piped.secret&"), std::string::npos) << last_body_;
}

TEST_F(LoginTest, SecretFromStandardInputWithoutPassword) {
  h_.terminal.stdin_text = "piped.secret\n";

  const auto r = h_.Run(WithoutPassword());

  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(last_body_.find("client_secret=piped.secret&"), std::string::npos) << last_body_;
}

TEST_F(LoginTest, SecretFromAFileWithAt) {
  const std::string file = h_.home.path() + "/secret.txt";
  std::ofstream(file) << "file_secret\n";
  auto args = WithoutPassword();
  args.insert(args.end(), {"--password", "@" + file});

  const auto r = h_.Run(args);

  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(last_body_.find("client_secret=file_secret&"), std::string::npos) << last_body_;
}

TEST_F(LoginTest, SecretPromptedWithoutEchoOnATerminal) {
  h_.terminal.interactive = true;
  h_.terminal.lines = {"typed-secret"};

  const auto r = h_.Run(WithoutPassword());

  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(h_.terminal.secret_prompts.size(), 1u);
  EXPECT_NE(last_body_.find("client_secret=typed-secret&"), std::string::npos) << last_body_;
}

TEST_F(LoginTest, NoSecretAnywhereIsAnAuthenticationErrorAndSendsNothing) {
  const auto r = h_.Run(WithoutPassword());

  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("AZURE_CLIENT_SECRET"), std::string::npos) << r.err;
  EXPECT_EQ(token_requests_, 0);
}

TEST_F(LoginTest, MissingSecretFileIsAUsageError) {
  auto args = WithoutPassword();
  args.insert(args.end(), {"-p", "@" + h_.home.path() + "/nope"});

  EXPECT_EQ(h_.Run(args).exit_code, 2);
  EXPECT_EQ(token_requests_, 0);
}

TEST_F(LoginTest, GetAccessTokenReusesTheLoginToken) {
  ASSERT_EQ(h_.Run(LoginArgs()).exit_code, 0);

  const auto r = h_.Run({"account", "get-access-token", "--resource",
                         "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d", "--query", "accessToken",
                         "--output", "tsv"});

  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "eyJ.tok.1\n");
  EXPECT_EQ(token_requests_, 1);
}

TEST_F(LoginTest, GetAccessTokenForAnotherResourceAsksForItsScope) {
  ASSERT_EQ(h_.Run(LoginArgs()).exit_code, 0);

  const auto r = h_.Run({"account", "get-access-token", "--resource", "https://graph.microsoft.com"});

  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(last_body_.find("scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"),
            std::string::npos);
  const Json out = Json::parse(r.out);
  EXPECT_EQ(out["accessToken"], "eyJ.tok.2");
  EXPECT_EQ(out["tokenType"], "Bearer");
  EXPECT_EQ(out["tenant"], "tid");
  EXPECT_TRUE(out.contains("expiresOn"));
}

TEST_F(LoginTest, WrongSecretIsAnAuthenticationError) {
  h_.transport = testing::FakeTransport([](const HttpRequest&) {
    return Status(401, R"({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."})");
  });

  const auto r = h_.Run(LoginArgs());

  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.err, "Error: invalid_client: AADSTS7000215: Invalid client secret provided.\n");
}

TEST_F(LoginTest, WithoutAuthorityIsAUsageError) {
  h_.env.erase("LATCHKEY_AUTHORITY");

  EXPECT_EQ(h_.Run(LoginArgs()).exit_code, 2);
}

TEST_F(LoginTest, GetAccessTokenWithoutLoginIsAnAuthenticationError) {
  EXPECT_EQ(h_.Run({"account", "get-access-token", "--resource", "r"}).exit_code, 3);
}

TEST_F(LoginTest, AzureClientSecretProfileFetchesAndCachesTheEntraToken) {
  std::ofstream(h_.ConfigPath()) << "[DEFAULT]\nhost = https://ws:8443\nazure_tenant_id = tid\n"
                                    "azure_client_id = cid\nazure_client_secret = pw\n";
  h_.env.erase("LATCHKEY_AUTHORITY");
  int api_calls = 0;
  h_.transport = testing::FakeTransport([&](const HttpRequest& r) {
    if (r.url.ends_with("/oauth2/v2.0/token")) {
      ++token_requests_;
      return Json200(R"({"access_token":"eyJ.ws","expires_in":3599})");
    }
    ++api_calls;
    EXPECT_EQ(r.headers.back(), (std::pair<std::string, std::string>{"Authorization", "Bearer eyJ.ws"}));
    return Json200(R"({"token_infos":[]})");
  });

  ASSERT_EQ(h_.Run({"tokens", "list"}).exit_code, 0);
  ASSERT_EQ(h_.Run({"tokens", "list"}).exit_code, 0);

  EXPECT_EQ(token_requests_, 1);
  EXPECT_EQ(api_calls, 2);
  EXPECT_EQ(h_.transport.requests[0].url, "https://ws:8443/tid/oauth2/v2.0/token");
}

}  // namespace
}  // namespace latchkey::cli
