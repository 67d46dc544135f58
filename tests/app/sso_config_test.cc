// [sso] and [[sso.providers]] through LoadConfig: a complete provider is read as written, and
// each malformed one stops the server from starting with a message naming the option.
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "app/config.h"

namespace latchkey::app {
namespace {

class SsoConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/latchkey-ssocfg-XXXXXX";
    dir_ = mkdtemp(tmpl);
    std::ofstream(dir_ + "/secret") << "upstream-secret\n";
    std::ofstream(dir_ + "/empty");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  Result<Config> Load(const std::string& toml) {
    std::ofstream(dir_ + "/latchkey.toml", std::ios::trunc) << toml;
    ConfigOverrides flags;
    flags.data_dir = dir_;
    return LoadConfig(flags, {});
  }
  std::string Provider(const std::string& extra) {
    return "[[sso.providers]]\nid = \"corp\"\nissuer = \"https://kc.example/realms/corp\"\n"
           "client_id = \"latchkey\"\nclient_secret_file = \"" + dir_ + "/secret\"\n" + extra;
  }
  void ExpectInvalid(const std::string& toml, const std::string& needle) {
    Result<Config> c = Load(toml);
    ASSERT_FALSE(c.has_value()) << toml;
    EXPECT_NE(c.error().message.find(needle), std::string::npos) << c.error().message;
  }
  std::string dir_;
};

TEST_F(SsoConfigTest, ReadsAProvider) {
  Result<Config> c = Load("[sso]\nstate_ttl_seconds = 300\nredirect_uris = [\"https://app.example/cb\"]\n" +
                          Provider("display_name = \"Corp SSO\"\nscopes = [\"openid\", \"email\"]\n"
                                   "username_claim = \"preferred_username\"\nallowed_domains = [\"corp.example\"]\n"
                                   "allowed_groups = [\"staff\"]\nadmin_group = \"ops\"\njit_provisioning = true\n"));
  ASSERT_TRUE(c.has_value()) << c.error().message;
  ASSERT_EQ(c->sso.providers.size(), 1u);
  const SsoProviderConfig& p = c->sso.providers[0];
  EXPECT_EQ(p.display_name, "Corp SSO");
  EXPECT_EQ(p.scopes, (std::vector<std::string>{"openid", "email"}));
  EXPECT_EQ(p.username_claim, "preferred_username");
  EXPECT_EQ(p.allowed_domains, std::vector<std::string>{"corp.example"});
  EXPECT_EQ(p.allowed_groups, std::vector<std::string>{"staff"});
  EXPECT_EQ(p.admin_group, "ops");
  EXPECT_TRUE(p.jit_provisioning);
  EXPECT_EQ(c->sso.state_ttl, std::chrono::seconds(300));
  EXPECT_EQ(c->sso.redirect_uris, std::vector<std::string>{"https://app.example/cb"});
  // Defaults.
  Result<Config> d = Load(Provider(""));
  ASSERT_TRUE(d.has_value()) << d.error().message;
  EXPECT_EQ(d->sso.providers[0].display_name, "corp");
  EXPECT_EQ(d->sso.providers[0].username_claim, "email");
  EXPECT_FALSE(d->sso.providers[0].jit_provisioning);
}

TEST_F(SsoConfigTest, RefusesMalformedProviders) {
  ExpectInvalid("[[sso.providers]]\nid = \"Corp!\"\nissuer = \"https://kc.example\"\nclient_id = \"x\"\n"
                "client_secret_file = \"" + dir_ + "/secret\"\n", "id must be");
  ExpectInvalid("[[sso.providers]]\nid = \"corp\"\nissuer = \"http://kc.example\"\nclient_id = \"x\"\n"
                "client_secret_file = \"" + dir_ + "/secret\"\n", "issuer must be an https URL");
  ExpectInvalid("[[sso.providers]]\nid = \"corp\"\nissuer = \"https://kc.example\"\n"
                "client_secret_file = \"" + dir_ + "/secret\"\n", "client_id is required");
  ExpectInvalid("[[sso.providers]]\nid = \"corp\"\nissuer = \"https://kc.example\"\nclient_id = \"x\"\n",
                "client_secret_file is required");
  ExpectInvalid("[[sso.providers]]\nid = \"corp\"\nissuer = \"https://kc.example\"\nclient_id = \"x\"\n"
                "client_secret_file = \"" + dir_ + "/empty\"\n", "not a readable, non-empty file");
  ExpectInvalid(Provider("scopes = [\"email\"]\n"), "scopes must contain openid");
  ExpectInvalid(Provider("jit_provisioning = \"yes\"\n"), "jit_provisioning must be true or false");
  ExpectInvalid(Provider("allowed_domains = \"corp.example\"\n"), "allowed_domains must be an array");
  ExpectInvalid(Provider("client_secret = \"inline\"\n"), "unknown key 'client_secret'");
  ExpectInvalid(Provider("") + Provider(""), "id is not unique");
  ExpectInvalid("[sso]\nstate_ttl_seconds = 5\n", "state_ttl_seconds 30-3600");
  ExpectInvalid("[sso]\nredirect_uris = [\"http://app.example/cb\"]\n", "must be an https URL");
}

TEST_F(SsoConfigTest, WebSessionSettings) {
  Result<Config> d = Load("");
  ASSERT_TRUE(d.has_value()) << d.error().message;
  EXPECT_EQ(d->web.session_idle_timeout, std::chrono::minutes(30));
  EXPECT_EQ(d->web.session_absolute_timeout, std::chrono::hours(12));
  EXPECT_EQ(d->web.max_sessions_per_user, 20);
  EXPECT_TRUE(d->web.pat_sign_in);
  Result<Config> c = Load("[web]\nsession_idle_timeout_seconds = 600\nsession_absolute_timeout_seconds = 3600\n"
                          "max_sessions_per_user = 5\npat_sign_in = false\n");
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->web.session_idle_timeout, std::chrono::seconds(600));
  EXPECT_EQ(c->web.session_absolute_timeout, std::chrono::seconds(3600));
  EXPECT_EQ(c->web.max_sessions_per_user, 5);
  EXPECT_FALSE(c->web.pat_sign_in);
  ExpectInvalid("[web]\nsession_idle_timeout_seconds = 0\n", "session_idle_timeout_seconds");
  ExpectInvalid("[web]\nsession_idle_timeout_seconds = 90000\n", "session_idle_timeout_seconds");
  ExpectInvalid("[web]\nsession_idle_timeout_seconds = 600\nsession_absolute_timeout_seconds = 60\n",
                "session_absolute_timeout_seconds");
  ExpectInvalid("[web]\nsession_absolute_timeout_seconds = 2592001\n", "session_absolute_timeout_seconds");
  ExpectInvalid("[web]\nmax_sessions_per_user = 0\n", "max_sessions_per_user");
  ExpectInvalid("[web]\npat_sign_in = \"no\"\n", "web.pat_sign_in");
}

}  // namespace
}  // namespace latchkey::app
