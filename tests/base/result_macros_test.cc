// RETURN_IF_ERROR / ASSIGN_OR_RETURN (base/result.h): an error leaves the function at once with
// that error, a value flows on, and the expression is evaluated exactly once.
#include <gtest/gtest.h>

#include <string>

#include "base/result_macros.h"

namespace latchkey {
namespace {

Result<int> Parse(const std::string& text, int& calls) {
  ++calls;
  if (text.empty()) return MakeError(ErrorCode::kInvalidArgument, "empty");
  return static_cast<int>(text.size());
}

Status Check(bool ok, int& calls) {
  ++calls;
  if (!ok) return MakeError(ErrorCode::kNotFound, "missing");
  return Ok();
}

Result<std::string> Pipeline(const std::string& text, bool check_ok, int& calls, int& reached) {
  ASSIGN_OR_RETURN(int size, Parse(text, calls));
  reached = 1;
  RETURN_IF_ERROR(Check(check_ok, calls));
  reached = 2;
  std::string doubled;
  ASSIGN_OR_RETURN(doubled, Result<std::string>(std::string(2 * size, 'x')));
  return doubled;
}

TEST(ResultMacrosTest, ValuesFlowOn) {
  int calls = 0, reached = 0;
  Result<std::string> r = Pipeline("abc", true, calls, reached);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, "xxxxxx");
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(reached, 2);
}

TEST(ResultMacrosTest, AnErrorReturnsAtOnceWithItsCodeAndMessage) {
  int calls = 0, reached = 0;
  Result<std::string> r = Pipeline("", true, calls, reached);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message, "empty");
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(reached, 0);

  calls = reached = 0;
  r = Pipeline("abc", false, calls, reached);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(reached, 1);
}

Status StatusPipeline(bool ok, int& calls) {
  RETURN_IF_ERROR(Check(ok, calls));
  ASSIGN_OR_RETURN(int size, Parse(ok ? "x" : "", calls));
  return size == 1 ? Ok() : MakeError(ErrorCode::kInternal, "size");
}

TEST(ResultMacrosTest, WorkInFunctionsReturningStatus) {
  int calls = 0;
  EXPECT_TRUE(StatusPipeline(true, calls).has_value());
  EXPECT_EQ(calls, 2);
  calls = 0;
  Status s = StatusPipeline(false, calls);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace latchkey
