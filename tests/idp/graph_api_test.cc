// The Graph v1.0 directory API through the real router, store and token service.
#include "idp_test_support.h"

namespace latchkey::idp::testing {
namespace {

class GraphApiTest : public IdpTest {
 protected:
  http::Response AddPassword(const std::string& object_id, const json& credential) {
    return Graph("POST", "/v1.0/applications/" + object_id + "/addPassword",
                 {{"passwordCredential", credential}});
  }
  size_t PasswordCount(const std::string& object_id) {
    return Body(Graph("GET", "/v1.0/applications/" + object_id))["passwordCredentials"].size();
  }
};

TEST_F(GraphApiTest, AddPasswordKeepsTheEndDateItWasGiven) {
  const std::string id = CreateApp("dates")["id"];
  http::Response r =
      AddPassword(id, {{"displayName", "z"}, {"endDateTime", "2028-06-30T12:00:00Z"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["endDateTime"], "2028-06-30T12:00:00Z");
  EXPECT_EQ(Body(r)["startDateTime"], "2027-01-01T00:00:00Z");
  // An offset and a fraction, as .NET and Python clients write them.
  r = AddPassword(id, {{"endDateTime", "2028-06-30T14:00:00.1234567+02:00"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["endDateTime"], "2028-06-30T12:00:00Z");
  // No zone at all is UTC; the last day latchkey can hold is accepted.
  r = AddPassword(id, {{"endDateTime", "2261-12-31T23:59:59"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["endDateTime"], "2261-12-31T23:59:59Z");
  // A null displayName (az sends one) is no name.
  r = AddPassword(id, {{"displayName", nullptr}, {"endDateTime", "2028-01-01T00:00:00Z"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["displayName"], "");
  // Default: two years after the start.
  r = AddPassword(id, {{"startDateTime", "2027-03-01T00:00:00Z"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["startDateTime"], "2027-03-01T00:00:00Z");
  EXPECT_EQ(Body(r)["endDateTime"], "2029-02-28T00:00:00Z");
}

TEST_F(GraphApiTest, AddPasswordRefusesAnEndDateOutOfRange) {
  const std::string id = CreateApp("far")["id"];
  const size_t before = PasswordCount(id);
  // The finding: year 3000 used to overflow into a secret that ended in 1830.
  for (const char* end : {"3000-01-01T00:00:00", "2262-01-01T00:00:00Z", "9999-12-31T23:59:59Z"}) {
    http::Response r = AddPassword(id, {{"endDateTime", end}});
    EXPECT_EQ(r.status, 400) << end << ": " << r.body;
    EXPECT_EQ(Body(r)["error"].value("code", ""), "Request_BadRequest") << end;
    EXPECT_THAT(Body(r)["error"].value("message", ""), ::testing::HasSubstr("'endDateTime'"));
  }
  // A start near the limit whose default end (start + 2 years) would pass it.
  http::Response r = AddPassword(id, {{"startDateTime", "2261-06-01T00:00:00Z"}});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_THAT(Body(r)["error"].value("message", ""), ::testing::HasSubstr("'endDateTime'"));
  // In the past, or before the start.
  for (const json& cred : {json{{"endDateTime", "2026-12-31T23:59:59Z"}},
                           json{{"endDateTime", "1970-01-01T00:00:00Z"}},
                           json{{"startDateTime", "2028-01-01T00:00:00Z"},
                                {"endDateTime", "2027-06-01T00:00:00Z"}}}) {
    http::Response r = AddPassword(id, cred);
    EXPECT_EQ(r.status, 400) << cred << ": " << r.body;
    EXPECT_THAT(Body(r)["error"].value("message", ""), ::testing::HasSubstr("endDateTime"));
  }
  EXPECT_EQ(PasswordCount(id), before);
}

TEST_F(GraphApiTest, AddPasswordRefusesWhatIsNoDate) {
  const std::string id = CreateApp("garbage")["id"];
  for (const json& end : {json("2027-02-29T00:00:00Z"), json("2027-13-01T00:00:00Z"),
                          json("2027-06-01 00:00:00"), json("2027-06-01T00:00:00+2:00"),
                          json("2027-06-01T24:00:00Z"), json("soon"), json(42),
                          json("2027-06-01T00:00:00Zjunk")}) {
    http::Response r = AddPassword(id, {{"endDateTime", end}});
    EXPECT_EQ(r.status, 400) << end << ": " << r.body;
    EXPECT_EQ(Body(r)["error"].value("code", ""), "BadRequest") << end;
  }
  EXPECT_EQ(PasswordCount(id), 0u);
}

}  // namespace
}  // namespace latchkey::idp::testing
