// The query layer's own pieces: SQL translation per dialect and the one timing seam every store
// operation passes (sql::Executor), against a real SQLite store.
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store/sql/session.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"
#include "store/store_test_support.h"

namespace latchkey::store {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Not;
using testing::ErrorIs;
using testing::IsOk;

TEST(TranslateTest, NumbersPlaceholdersForPostgresOutsideLiterals) {
  EXPECT_EQ(sql::Translate("SELECT a FROM t WHERE b = ? AND c = '?' AND d > ?", sql::kPostgres),
            "SELECT a FROM t WHERE b = $1 AND c = '?' AND d > $2");
  EXPECT_EQ(sql::Translate("SELECT a FROM t WHERE b = ? AND c = '?'", sql::kSqlite),
            "SELECT a FROM t WHERE b = ? AND c = '?'");
}

TEST(TranslateTest, FillsInInsertionOrderAndRowLocksPerDialect) {
  const char* sql = "SELECT id FROM apps WHERE id = ?{for_update} ORDER BY created_at, {seq}";
  EXPECT_EQ(sql::Translate(sql, sql::kSqlite),
            "SELECT id FROM apps WHERE id = ? ORDER BY created_at, rowid");
  EXPECT_EQ(sql::Translate(sql, sql::kPostgres),
            "SELECT id FROM apps WHERE id = $1 FOR UPDATE ORDER BY created_at, seq");
}

class RecordingObserver final : public OperationObserver {
 public:
  void Observe(std::string_view operation, std::chrono::nanoseconds elapsed) override {
    std::lock_guard lock(mu_);
    seen_.emplace_back(operation);
    EXPECT_GE(elapsed.count(), 0);
  }
  std::vector<std::string> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> seen_;
};

TEST(ExecutorSeamTest, EveryOperationIsObservedOnceUnderItsMethodName) {
  Result<std::unique_ptr<sqlite::SqliteStore>> opened = sqlite::SqliteStore::Open(":memory:");
  ASSERT_THAT(opened, IsOk());
  Store& store = **opened;
  RecordingObserver observer;
  store.SetOperationObserver(&observer);

  const TimePoint now = FromUnixMillis(1'700'000'000'000);
  Principal owner{.id = 7, .kind = PrincipalKind::kUser, .user_name = "a@example.com",
                  .display_name = "A", .active = true, .created_at = now};
  ASSERT_THAT(store.CreatePrincipal(owner), IsOk());
  Pat pat{.token_id = "tok", .owner_id = 7, .created_by_id = 7, .comment = "c", .created_at = now};
  ASSERT_THAT(store.CreatePat(pat, /*quota=*/10, now), IsOk());
  ASSERT_THAT(store.GetPat("tok"), IsOk());
  EXPECT_THAT(store.GetPat("missing"), ErrorIs(ErrorCode::kNotFound));  // failures are timed too
  ASSERT_THAT(store.DeletePat("tok"), IsOk());
  ASSERT_THAT(store.GetGroup(1), ErrorIs(ErrorCode::kNotFound));  // a snapshot read

  EXPECT_THAT(observer.seen(), ElementsAre("CreatePrincipal", "CreatePat", "GetPat", "GetPat",
                                           "DeletePat", "GetGroup"));

  store.SetOperationObserver(nullptr);
  ASSERT_THAT(store.CountPats(), IsOk());
  EXPECT_THAT(observer.seen(), Not(Contains("CountPats")));
}

// A record is read through its table's column list (row_mappers.h): a column that does not
// decode is kInternal naming what is corrupt, never a default value; the first corrupt column
// in select order is the one reported.
TEST(ColumnListTest, ACorruptColumnIsInternalNotADefault) {
  Result<std::unique_ptr<sqlite::SqliteStore>> opened = sqlite::SqliteStore::Open(":memory:");
  ASSERT_THAT(opened, IsOk());
  sqlite::SqliteStore& store = **opened;
  const TimePoint at = FromUnixMillis(1'700'000'000'000);
  ASSERT_THAT(store.CreatePrincipal(Principal{.id = 7,
                                              .user_name = "ann@example.com",
                                              .entitlements = {"workspace-access"},
                                              .created_at = at}),
              IsOk());
  Result<Principal> intact = store.GetPrincipal(7);
  ASSERT_THAT(intact, IsOk());
  EXPECT_THAT(intact->entitlements, ElementsAre("workspace-access"));
  auto corrupt = [&](const char* sql) {
    return store.RunWrite(sql::Isolation::kDefault,
                          [&](sql::Session& s, std::vector<Change>&) { return s.Exec(sql); });
  };

  ASSERT_THAT(corrupt("UPDATE principals SET entitlements = 'not json' WHERE id = 7"), IsOk());
  Result<Principal> bad_list = store.GetPrincipal(7);
  ASSERT_THAT(bad_list, ErrorIs(ErrorCode::kInternal));
  EXPECT_EQ(bad_list.error().message, "corrupt string list column");

  // (past the schema's CHECK, as a damaged file or another writer could leave it)
  ASSERT_THAT(corrupt("PRAGMA ignore_check_constraints = ON;"
                      " UPDATE principals SET kind = 'robot' WHERE id = 7;"
                      " PRAGMA ignore_check_constraints = OFF"),
              IsOk());
  Result<Principal> bad_kind = store.GetPrincipal(7);
  ASSERT_THAT(bad_kind, ErrorIs(ErrorCode::kInternal));
  EXPECT_EQ(bad_kind.error().message, "corrupt principal kind column");
}

}  // namespace
}  // namespace latchkey::store
