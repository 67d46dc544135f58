// The migrations are written once (src/store/migrations/, with dialect tokens) and generated
// per backend at build time. These tests hold the generated text to the schema each backend
// had at version 5 (testdata/schema_0005/, the files as they were), and show that a SQLite
// database created from that old text still opens, migrates and works. The PostgreSQL
// counterpart is PostgresStoreTest.SchemaFromTheVersion5FilesMatchesAndOpens.
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <sqlite3.h>

#include "store/migration.h"
#include "store/postgres/migrate.h"
#include "store/schema_0005.h"
#include "store/sqlite/connection.h"
#include "store/sqlite/migrate.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store_test_support.h"

namespace latchkey::store::testing {
namespace {

void ExpectSameStatements(std::span<const Migration> generated, const FrozenMigrations& old) {
  ASSERT_GE(generated.size(), old.migrations.size());
  for (size_t i = 0; i < old.migrations.size(); ++i) {
    EXPECT_EQ(generated[i].version, old.migrations[i].version);
    EXPECT_EQ(generated[i].name, old.migrations[i].name);
    EXPECT_EQ(WithoutCommentLines(generated[i].sql), WithoutCommentLines(old.migrations[i].sql))
        << generated[i].name;
  }
}

TEST(SchemaCompatTest, GeneratedSqliteMigrationsAreTheVersion5StatementsToTheByte) {
  ExpectSameStatements(sqlite::Migrations(), LoadSchema0005("sqlite"));
}

TEST(SchemaCompatTest, GeneratedPostgresMigrationsAreTheVersion5StatementsToTheByte) {
  ExpectSameStatements(postgres::Migrations(), LoadSchema0005("postgres"));
}

TEST(SchemaCompatTest, TheTwoBackendsGetDifferentTextWhereTheDialectsDiffer) {
  // The tokens really were replaced per backend (a shared text for both would pass neither
  // comparison above, but say so plainly).
  std::string_view lite = sqlite::Migrations()[0].sql, pg = postgres::Migrations()[0].sql;
  EXPECT_NE(lite.find("user_name TEXT NOT NULL COLLATE NOCASE,"), std::string_view::npos);
  EXPECT_NE(pg.find("ON principals (lower(user_name))"), std::string_view::npos);
  EXPECT_NE(pg.find("seq BIGINT GENERATED ALWAYS AS IDENTITY"), std::string_view::npos);
  EXPECT_EQ(lite.find("BIGINT"), std::string_view::npos);
  for (std::string_view sql : {lite, pg}) {
    EXPECT_EQ(sql.find("@INT@"), std::string_view::npos);
    EXPECT_EQ(sql.find("{{"), std::string_view::npos);
  }
}

// type, name, table and CREATE text of every schema object, ordered by name.
std::vector<std::string> SchemaOf(const std::filesystem::path& path) {
  std::vector<std::string> out;
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db,
                               "SELECT type || ' ' || name || ' ON ' || tbl_name || ': ' || "
                               "coalesce(sql, '') FROM sqlite_master ORDER BY name",
                               -1, &stmt, nullptr),
            SQLITE_OK);
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

// Migrates a new SQLite file at `path` with `migrations`.
void MigrateFile(const std::filesystem::path& path, std::span<const Migration> migrations) {
  Result<std::unique_ptr<sqlite::Connection>> conn =
      sqlite::Connection::Open(path.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  ASSERT_THAT(conn, IsOk());
  ASSERT_THAT((*conn)->BeginImmediate(), IsOk());
  ASSERT_THAT(sqlite::ApplyMigrations(**conn, migrations), IsOk());
  ASSERT_THAT((*conn)->Commit(), IsOk());
}

TEST(SchemaCompatTest, SqliteDatabaseCreatedFromTheVersion5FilesMatchesAndOpens) {
  TempDir dir;
  const std::filesystem::path old_db = dir.path() / "old.db", new_db = dir.path() / "new.db";
  FrozenMigrations old = LoadSchema0005("sqlite");
  MigrateFile(old_db, old.migrations);
  // Today's first five, generated from src/store/migrations/.
  MigrateFile(new_db, sqlite::Migrations().first(old.migrations.size()));

  EXPECT_EQ(SchemaOf(old_db), SchemaOf(new_db));

  // Today's binary opens the old database (applying whatever came after version 5) and works.
  Result<std::unique_ptr<sqlite::SqliteStore>> store = sqlite::SqliteStore::Open(old_db.string());
  ASSERT_THAT(store, IsOk());
  const TimePoint now = FromUnixMillis(1'700'000'000'000);
  ASSERT_THAT((*store)->CreatePrincipal(
                  Principal{.id = 7, .user_name = "Ann@Example.com", .created_at = now}),
              IsOk());
  ASSERT_THAT((*store)->CreatePat(
                  Pat{.token_id = "t1", .owner_id = 7, .created_by_id = 7, .created_at = now},
                  5, now),
              IsOk());
  EXPECT_THAT((*store)->GetPat("t1"), IsOk());
  EXPECT_THAT((*store)->FindUserByName("ann@example.com"), IsOk());
}

}  // namespace
}  // namespace latchkey::store::testing
