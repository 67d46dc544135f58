#include "workspace/scim_filter.h"

#include <map>

#include <gtest/gtest.h>

namespace latchkey::workspace {
namespace {

const std::vector<std::string> kAttributes = {"userName", "displayName", "applicationId", "id",
                                              "externalId", "active"};

bool Match(std::string_view filter, const std::map<std::string, std::string>& resource) {
  Result<ScimFilter> parsed = ScimFilter::Parse(filter, kAttributes);
  EXPECT_TRUE(parsed.has_value()) << filter;
  if (!parsed) return false;
  return parsed->Matches([&](std::string_view attr) -> std::optional<std::string> {
    auto it = resource.find(std::string(attr));
    if (it == resource.end()) return std::nullopt;
    return it->second;
  });
}

const std::map<std::string, std::string> kAdmins = {
    {"displayname", "admins"}, {"id", "42"}, {"active", "true"}, {"username", "Alice@Example.com"}};

TEST(ScimFilterTest, EqWithDoubleSingleAndBareValues) {
  EXPECT_TRUE(Match(R"(displayName eq "admins")", kAdmins));
  EXPECT_TRUE(Match("displayName eq 'admins'", kAdmins));
  EXPECT_TRUE(Match("displayName eq admins", kAdmins));
  EXPECT_FALSE(Match("displayName eq users", kAdmins));
}

TEST(ScimFilterTest, CaseInsensitiveKeywordsAttributesAndValues) {
  EXPECT_TRUE(Match(R"(USERNAME EQ "alice@example.com")", kAdmins));
  EXPECT_TRUE(Match(R"(userName Eq "ALICE@EXAMPLE.COM")", kAdmins));
}

TEST(ScimFilterTest, OtherOperators) {
  EXPECT_TRUE(Match("displayName ne users", kAdmins));
  EXPECT_TRUE(Match(R"(userName co "example")", kAdmins));
  EXPECT_TRUE(Match(R"(userName sw "alice")", kAdmins));
  EXPECT_TRUE(Match(R"(userName ew ".com")", kAdmins));
  EXPECT_TRUE(Match("active eq true", kAdmins));
  EXPECT_TRUE(Match("userName pr", kAdmins));
  EXPECT_FALSE(Match("externalId pr", kAdmins));
}

TEST(ScimFilterTest, AndBindsTighterThanOr) {
  EXPECT_TRUE(Match("id eq 1 and id eq 2 or displayName eq admins", kAdmins));
  EXPECT_FALSE(Match("displayName eq admins and (id eq 1 or id eq 2)", kAdmins));
  EXPECT_TRUE(Match("not (id eq 1) and active eq true", kAdmins));
}

TEST(ScimFilterTest, SyntaxErrorsAndUnknownAttributesAreInvalidArgument) {
  for (std::string_view bad : {"displayName", "displayName eq", "displayName xx admins",
                               "(displayName eq admins", "displayName eq \"admins",
                               "password eq x", "displayName eq a extra", ""}) {
    Result<ScimFilter> parsed = ScimFilter::Parse(bad, kAttributes);
    ASSERT_FALSE(parsed.has_value()) << bad;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
  }
  EXPECT_FALSE(ScimFilter::Parse(std::string(5000, 'a'), kAttributes).has_value());
  EXPECT_FALSE(
      ScimFilter::Parse(std::string(100, '(') + "id eq 1" + std::string(100, ')'), kAttributes)
          .has_value());
}

}  // namespace
}  // namespace latchkey::workspace
