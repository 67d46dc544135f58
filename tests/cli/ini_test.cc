#include "cli/ini.h"

#include <gtest/gtest.h>

namespace latchkey::cli {
namespace {

// The SDK's example profiles (spec §9.3) with the Databricks CLI's header comment.
constexpr const char* kSdkFile = R"(; The profile defined in the DEFAULT section is to be used as a fallback when no profile is explicitly specified.
[DEFAULT]

[pat]
host  = https://adb-1111111111111111.1.azuredatabricks.net
token = dapiXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX

[sp-m2m]
host          = https://adb-1111111111111111.1.azuredatabricks.net
client_id     = 0b3c2a10-6f7e-4d2b-9c1a-5e8f7a6b4c3d
client_secret = doseXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX

# Entra client credentials
[sp-entra]
host                = https://adb-1111111111111111.1.azuredatabricks.net
azure_tenant_id     = 5a1e2f3c-4d5b-4e6a-8f7c-9d0e1f2a3b4c
azure_client_id     = 0b3c2a10-6f7e-4d2b-9c1a-5e8f7a6b4c3d
azure_client_secret = s3cr3t
auth_type           = azure-client-secret
)";

TEST(IniFileTest, RoundTripOfTheSdkFormatIsByteForByte) {
  const IniFile ini = IniFile::Parse(kSdkFile);

  EXPECT_EQ(ini.Serialize(), kSdkFile);
}

TEST(IniFileTest, ReadsAlignedKeysOfEachProfile) {
  const IniFile ini = IniFile::Parse(kSdkFile);

  EXPECT_EQ(ini.Get("pat", "token"), "dapiXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX");
  EXPECT_EQ(ini.Get("sp-m2m", "client_id"), "0b3c2a10-6f7e-4d2b-9c1a-5e8f7a6b4c3d");
  EXPECT_EQ(ini.Get("sp-entra", "auth_type"), "azure-client-secret");
  EXPECT_EQ(ini.SectionNames(),
            (std::vector<std::string>{"DEFAULT", "pat", "sp-m2m", "sp-entra"}));
}

TEST(IniFileTest, SectionsDoNotInheritDefaultKeys) {
  const IniFile ini = IniFile::Parse("[DEFAULT]\ntoken = t0\n[dev]\nhost = h\n");

  EXPECT_EQ(ini.Get("dev", "token"), std::nullopt);
  EXPECT_EQ(ini.Get("DEFAULT", "token"), "t0");
}

TEST(IniFileTest, KeysBeforeTheFirstHeaderBelongToDefault) {
  const IniFile ini = IniFile::Parse("host = https://a\n[dev]\nhost = https://b\n");

  EXPECT_EQ(ini.Get("DEFAULT", "host"), "https://a");
  EXPECT_EQ(ini.Get("dev", "host"), "https://b");
}

TEST(IniFileTest, StripsQuotesInlineCommentsAndAcceptsColons) {
  const IniFile ini =
      IniFile::Parse("[p]\nhost: https://x:8443 ; note\ntoken = \"abc\"\nHOST2=v#notcomment\n");

  EXPECT_EQ(ini.Get("p", "host"), "https://x:8443");
  EXPECT_EQ(ini.Get("p", "token"), "abc");
  EXPECT_EQ(ini.Get("p", "host2"), "v#notcomment");
}

TEST(IniFileTest, SetReplacesInPlaceAndKeepsEverythingElse) {
  IniFile ini = IniFile::Parse(kSdkFile);

  ini.Set("pat", "token", "dapiNEW");

  const std::string old_line = "token = dapiXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX";
  std::string expected = kSdkFile;
  expected.replace(expected.find(old_line), old_line.size(), "token = dapiNEW");
  EXPECT_EQ(ini.Serialize(), expected);
}

TEST(IniFileTest, SetAddsKeyAfterTheLastEntryOfItsSection) {
  IniFile ini = IniFile::Parse("; c\n[a]\nhost = h\n\n[b]\nx = 1\n");

  ini.Set("a", "token", "t");

  EXPECT_EQ(ini.Serialize(), "; c\n[a]\nhost = h\ntoken = t\n\n[b]\nx = 1\n");
}

TEST(IniFileTest, SetCreatesAMissingSectionAtTheEnd) {
  IniFile ini = IniFile::Parse("[a]\nhost = h\n");

  ini.Set("new", "host", "https://n");

  EXPECT_EQ(ini.Serialize(), "[a]\nhost = h\n\n[new]\nhost = https://n\n");
}

TEST(IniFileTest, SetIntoAnEmptyDocumentWritesADefaultHeader) {
  IniFile ini = IniFile::Parse("");

  ini.Set("DEFAULT", "host", "https://h");

  EXPECT_EQ(ini.Serialize(), "[DEFAULT]\nhost = https://h\n");
}

TEST(IniFileTest, SetDropsDuplicateKeys) {
  IniFile ini = IniFile::Parse("[a]\ntoken = 1\ntoken = 2\n");

  ini.Set("a", "token", "3");

  EXPECT_EQ(ini.Serialize(), "[a]\ntoken = 3\n");
}

TEST(IniFileTest, RemoveTouchesOnlyThatSection) {
  IniFile ini = IniFile::Parse("[a]\ntoken = 1\nkeep = y\n[b]\ntoken = 2\n");

  ini.Remove("a", "token");

  EXPECT_EQ(ini.Serialize(), "[a]\nkeep = y\n[b]\ntoken = 2\n");
}

TEST(IniFileTest, RepeatedSectionsAreOneSection) {
  const IniFile ini = IniFile::Parse("[a]\nx = 1\n[b]\n[a]\ny = 2\n");

  EXPECT_EQ(ini.Get("a", "x"), "1");
  EXPECT_EQ(ini.Get("a", "y"), "2");
}

}  // namespace
}  // namespace latchkey::cli
