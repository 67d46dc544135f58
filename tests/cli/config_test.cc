#include "cli/config.h"

#include <gtest/gtest.h>

#include <fstream>

#include "cli/file_io.h"
#include "fakes.h"

namespace latchkey::cli {
namespace {

using testing::TempDir;

class ConfigTest : public ::testing::Test {
 protected:
  ConfigTest() { env_["HOME"] = home_.path(); }
  void WriteConfig(const std::string& text) {
    std::ofstream(home_.path() + "/.databrickscfg") << text;
  }
  CliResult<WorkspaceConfig> Load(std::optional<std::string> profile = std::nullopt) {
    return LoadWorkspaceConfig(env_, profile);
  }

  TempDir home_;
  Environment env_;
};

constexpr const char* kProfiles =
    "[DEFAULT]\nhost = https://default.example:8443\ntoken = dapiDEFAULT\n"
    "ca_cert = ~/ca.pem\n\n"
    "[dev]\nhost = https://dev.example\ntoken = dapiDEV\n\n"
    "[__settings__]\ndefault_profile = dev\n";

TEST_F(ConfigTest, NormalizeHostKeepsThePortAndDropsThePath) {
  EXPECT_EQ(NormalizeHost("https://127.0.0.1:8443/"), "https://127.0.0.1:8443");
  EXPECT_EQ(NormalizeHost("adb-1.azuredatabricks.net"), "https://adb-1.azuredatabricks.net");
  EXPECT_EQ(NormalizeHost(" https://h:1/api/2.0?x=1 "), "https://h:1");
  EXPECT_EQ(NormalizeHost("http://h:80"), "http://h:80");
}

TEST_F(ConfigTest, NormalizeHostRejectsOtherSchemes) {
  EXPECT_EQ(NormalizeHost("ftp://h").error().exit_code, ExitCode::kUsage);
  EXPECT_EQ(NormalizeHost("https:///x").error().exit_code, ExitCode::kUsage);
}

TEST_F(ConfigTest, SettingsDefaultProfileIsUsedWhenNoneIsNamed) {
  WriteConfig(kProfiles);

  CliResult<WorkspaceConfig> config = Load();

  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(config->profile, "dev");
  EXPECT_EQ(config->token.reveal(), "dapiDEV");
}

TEST_F(ConfigTest, NamedProfileWinsOverSettings) {
  WriteConfig(kProfiles);

  CliResult<WorkspaceConfig> config = Load("DEFAULT");

  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(config->host, "https://default.example:8443");
  EXPECT_EQ(config->ca_files, std::vector<std::string>{home_.path() + "/ca.pem"});
}

TEST_F(ConfigTest, ProfileFromEnvironmentVariable) {
  WriteConfig(kProfiles);
  env_["DATABRICKS_CONFIG_PROFILE"] = "DEFAULT";

  EXPECT_EQ(Load()->token.reveal(), "dapiDEFAULT");
}

TEST_F(ConfigTest, FileIsSkippedWhenEnvironmentConfiguresAndNoProfileIsNamed) {
  WriteConfig(kProfiles);
  env_["DATABRICKS_HOST"] = "https://env.example";

  CliResult<WorkspaceConfig> config = Load();

  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(config->profile, "");
  EXPECT_EQ(config->host, "https://env.example");
  EXPECT_TRUE(config->token.empty());
}

TEST_F(ConfigTest, EnvironmentWinsOverANamedProfileKeyByKey) {
  WriteConfig(kProfiles);
  env_["DATABRICKS_TOKEN"] = "dapiENV";

  CliResult<WorkspaceConfig> config = Load("dev");

  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(config->token.reveal(), "dapiENV");
  EXPECT_EQ(config->host, "https://dev.example");
}

TEST_F(ConfigTest, UnknownNamedProfileIsAUsageError) {
  WriteConfig(kProfiles);

  EXPECT_EQ(Load("nope").error().exit_code, ExitCode::kUsage);
}

TEST_F(ConfigTest, MissingFileWithNamedProfileIsAUsageError) {
  EXPECT_EQ(Load("dev").error().exit_code, ExitCode::kUsage);
}

TEST_F(ConfigTest, MissingFileWithoutProfileIsAnEmptyConfig) {
  CliResult<WorkspaceConfig> config = Load();

  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(config->host, "");
}

TEST_F(ConfigTest, ConfigFileFromEnvironment) {
  std::ofstream(home_.path() + "/other.cfg") << "[DEFAULT]\nhost = https://other\ntoken = t\n";
  env_["DATABRICKS_CONFIG_FILE"] = "~/other.cfg";

  EXPECT_EQ(Load()->host, "https://other");
}

TEST_F(ConfigTest, CaFilesFromProfileThenEnvironment) {
  WriteConfig("[DEFAULT]\nhost = h\ntoken = t\nca_cert = /p.pem\n");
  env_["SSL_CERT_FILE"] = "/s.pem";
  env_["REQUESTS_CA_BUNDLE"] = "/r.pem";

  EXPECT_EQ(Load()->ca_files, (std::vector<std::string>{"/p.pem", "/s.pem", "/r.pem"}));
}

TEST_F(ConfigTest, SdkEntraProfileSelectsAzureClientSecret) {
  WriteConfig(
      "[sp-entra]\nhost = https://adb.example\nazure_tenant_id = t\nazure_client_id = c\n"
      "azure_client_secret = s\nauth_type = azure-client-secret\n");
  env_["LATCHKEY_AUTHORITY"] = "https://idp.example:9443";

  CliResult<WorkspaceConfig> config = Load("sp-entra");

  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(SelectAuthType(*config), AuthType::kAzureClientSecret);
  EXPECT_EQ(config->azure_login_endpoint, "https://idp.example:9443");
}

TEST_F(ConfigTest, SelectAuthTypeFollowsTheGoSdkOrder) {
  WorkspaceConfig c;
  c.client_id = "id";
  c.client_secret = Secret("s");
  EXPECT_EQ(SelectAuthType(c), AuthType::kOAuthM2m);

  c.token = Secret("dapi1");
  EXPECT_EQ(SelectAuthType(c), AuthType::kPat);

  c.auth_type = "oauth-m2m";
  EXPECT_EQ(SelectAuthType(c), AuthType::kOAuthM2m);
}

TEST_F(ConfigTest, FileOidcProfileReadsDatabricksNames) {
  WriteConfig("[k8s]\nhost = https://adb.example\nclient_id = app-1\nauth_type = file-oidc\n"
              "oidc_token_filepath = ~/token\n");

  CliResult<WorkspaceConfig> config = Load("k8s");

  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(SelectAuthType(*config), AuthType::kFileOidc);
  EXPECT_EQ(config->oidc_token_filepath, home_.path() + "/token");
  EXPECT_EQ(config->client_id, "app-1");
}

TEST_F(ConfigTest, EnvOidcReadsTheVariableOidcTokenEnvNames) {
  env_["DATABRICKS_HOST"] = "https://adb.example";
  env_["DATABRICKS_AUTH_TYPE"] = "env-oidc";
  env_["DATABRICKS_OIDC_TOKEN_ENV"] = "CI_JWT";
  env_["CI_JWT"] = "a.b.c";
  env_["DATABRICKS_OIDC_TOKEN"] = "other.token.value";

  CliResult<WorkspaceConfig> config = Load();

  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(SelectAuthType(*config), AuthType::kEnvOidc);
  EXPECT_EQ(config->oidc_token.reveal(), "a.b.c");
}

TEST_F(ConfigTest, AWorkloadTokenAloneSelectsEnvOidcAfterTheOtherCredentials) {
  env_["DATABRICKS_HOST"] = "https://adb.example";
  env_["DATABRICKS_OIDC_TOKEN"] = "a.b.c";
  EXPECT_EQ(SelectAuthType(*Load()), AuthType::kEnvOidc);

  env_["DATABRICKS_TOKEN"] = "dapi1";
  EXPECT_EQ(SelectAuthType(*Load()), AuthType::kPat);
}

TEST_F(ConfigTest, NoCredentialIsAnAuthenticationError) {
  EXPECT_EQ(SelectAuthType(WorkspaceConfig{}).error().exit_code, ExitCode::kAuthentication);
}

TEST_F(ConfigTest, UnsupportedAuthTypeIsAUsageError) {
  WorkspaceConfig c;
  c.auth_type = "azure-cli";

  EXPECT_EQ(SelectAuthType(c).error().exit_code, ExitCode::kUsage);
}

}  // namespace
}  // namespace latchkey::cli
