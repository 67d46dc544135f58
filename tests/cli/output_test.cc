#include "cli/output.h"

#include <gtest/gtest.h>

namespace latchkey::cli {
namespace {

constexpr const char* kCreated =
    R"({"token_value":"dapi0123","token_info":{"token_id":"abc","creation_time":1767225600000,)"
    R"("expiry_time":-1,"comment":"my-pat"}})";

TEST(OutputTest, JsonKeepsTheServersKeyOrder) {
  const Json value = Json::parse(kCreated);

  const std::string text = Render(value, OutputFormat::kJson, {});

  EXPECT_EQ(text,
            "{\n  \"token_value\": \"dapi0123\",\n  \"token_info\": {\n    \"token_id\": \"abc\",\n"
            "    \"creation_time\": 1767225600000,\n    \"expiry_time\": -1,\n"
            "    \"comment\": \"my-pat\"\n  }\n}\n");
}

TEST(OutputTest, TableAlignsColumnsAndFormatsMillis) {
  const Json list = Json::parse(
      R"({"token_infos":[{"token_id":"a","expiry_time":1767225600000,"comment":"x"},)"
      R"({"token_id":"bbbb","expiry_time":-1,"comment":"long comment"}]})");
  const TableSpec spec{"token_infos",
                       {{"ID", "token_id"},
                        {"EXPIRES", "expiry_time", Column::Kind::kMillis},
                        {"COMMENT", "comment"}}};

  EXPECT_EQ(Render(list, OutputFormat::kTable, spec),
            "ID    EXPIRES               COMMENT\n"
            "a     2026-01-01T00:00:00Z  x\n"
            "bbbb  never                 long comment\n");
}

TEST(OutputTest, PermissionLevelsAreJoined) {
  const Json acl = Json::parse(
      R"({"access_control_list":[{"group_name":"admins","all_permissions":[)"
      R"({"permission_level":"CAN_MANAGE","inherited":false},{"permission_level":"CAN_USE"}]}]})");
  const TableSpec spec{"access_control_list",
                       {{"GROUP", "group_name"},
                        {"PERMISSIONS", "all_permissions", Column::Kind::kLevels}}};

  EXPECT_EQ(Render(acl, OutputFormat::kText, spec), "admins\tCAN_MANAGE,CAN_USE\n");
}

TEST(OutputTest, TextIsTabSeparatedWithoutHeader) {
  const Json list = Json::parse(R"({"token_infos":[{"token_id":"a","comment":"x"}]})");

  EXPECT_EQ(Render(list, OutputFormat::kText, TableSpec{"token_infos", {}}), "a\tx\n");
}

TEST(OutputTest, ScalarsPrintBare) {
  EXPECT_EQ(Render(Json("eyJ.x.y"), OutputFormat::kText, {}), "eyJ.x.y\n");
  EXPECT_EQ(Render(Json("eyJ.x.y"), OutputFormat::kJson, {}), "\"eyJ.x.y\"\n");
  EXPECT_EQ(Render(Json(), OutputFormat::kJson, {}), "");
}

TEST(OutputTest, QueryPaths) {
  const Json value = Json::parse(kCreated);
  const Json list = Json::parse(R"({"token_infos":[{"token_id":"a"},{"token_id":"b"}]})");

  EXPECT_EQ(ApplyQuery(value, "token_value"), Json("dapi0123"));
  EXPECT_EQ(ApplyQuery(value, "\"token_info.comment\""), Json("my-pat"));
  EXPECT_EQ(ApplyQuery(list, "token_infos[1].token_id"), Json("b"));
  EXPECT_EQ(ApplyQuery(list, "token_infos[].token_id"), Json::parse(R"(["a","b"])"));
  EXPECT_EQ(ApplyQuery(list, "missing.x"), Json());
}

TEST(OutputTest, MalformedQueryIsAUsageError) {
  EXPECT_EQ(ApplyQuery(Json::object(), "a[x]").error().exit_code, ExitCode::kUsage);
  EXPECT_EQ(ApplyQuery(Json::object(), "a[0").error().exit_code, ExitCode::kUsage);
}

TEST(OutputTest, UnknownFormatIsAUsageError) {
  EXPECT_EQ(ParseOutputFormat("yaml").error().exit_code, ExitCode::kUsage);
  EXPECT_EQ(ParseOutputFormat("tsv"), OutputFormat::kText);
}

}  // namespace
}  // namespace latchkey::cli
