// SQLite-specific behaviour: files, permissions, migrations, durability across reopen,
// integrity and concurrent writers.
#include "store/sqlite/sqlite_store.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <vector>

#include <sqlite3.h>

#include "store/migration.h"
#include "store/store_test_support.h"

namespace latchkey::store::sqlite {
namespace {

using ::latchkey::store::testing::ErrorIs;
using ::latchkey::store::testing::IsOk;
using ::latchkey::store::testing::TempDir;

TimePoint At(int64_t seconds) { return FromUnixMillis(1'700'000'000'000 + seconds * 1000); }

Principal User(int64_t id) {
  return Principal{
      .id = id, .user_name = "user" + std::to_string(id) + "@example.com", .created_at = At(0)};
}

Pat MakePat(const std::string& token_id, int64_t owner) {
  return Pat{.token_id = token_id, .owner_id = owner, .created_by_id = owner, .created_at = At(0)};
}

mode_t ModeOf(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 0777;
}

// Runs `sql` on the file with a plain sqlite3 connection and returns the first column of the
// first row as an integer.
int64_t QueryInt(const std::filesystem::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK);
  int64_t value = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : -1;
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return value;
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<SqliteStore> OpenFile() {
    Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(db_path_.string());
    EXPECT_THAT(store, IsOk());
    return store ? std::move(*store) : nullptr;
  }

  TempDir dir_;
  std::filesystem::path db_path_ = dir_.path() / "latchkey.db";
};

TEST_F(SqliteStoreTest, NewDatabaseFilesAreOwnerOnly) {
  mode_t previous = ::umask(022);  // a permissive umask must not leak into the files

  std::unique_ptr<SqliteStore> store = OpenFile();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->CreatePrincipal(User(1)), IsOk());  // makes sure -wal and -shm exist

  const mode_t left_by_open = ::umask(previous);
  EXPECT_EQ(ModeOf(db_path_), 0600u);
  EXPECT_EQ(ModeOf(db_path_.string() + "-wal"), 0600u);
  EXPECT_EQ(ModeOf(db_path_.string() + "-shm"), 0600u);
  EXPECT_EQ(left_by_open, 022u);  // Open restored the process umask it found
}

TEST_F(SqliteStoreTest, MigrationsAreAppliedOnceAndReopenIsIdempotent) {
  ASSERT_NE(OpenFile(), nullptr);

  std::unique_ptr<SqliteStore> reopened = OpenFile();
  ASSERT_NE(reopened, nullptr);

  int64_t versions = static_cast<int64_t>(Migrations().size());
  EXPECT_EQ(QueryInt(db_path_, "SELECT count(*) FROM schema_version"), versions);
  // The newest version, not the count: numbers assigned to unmerged branches leave gaps.
  EXPECT_EQ(QueryInt(db_path_, "SELECT max(version) FROM schema_version"),
            Migrations().back().version);
}

TEST_F(SqliteStoreTest, DatabaseFromANewerBinaryIsRefused) {
  ASSERT_NE(OpenFile(), nullptr);
  EXPECT_EQ(QueryInt(db_path_, "INSERT INTO schema_version VALUES (9999, 'future') RETURNING 1"),
            1);

  Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(db_path_.string());

  EXPECT_THAT(store, ErrorIs(ErrorCode::kFailedPrecondition));
}

TEST_F(SqliteStoreTest, DataSurvivesCloseAndReopen) {
  {
    std::unique_ptr<SqliteStore> store = OpenFile();
    ASSERT_NE(store, nullptr);
    ASSERT_THAT(store->CreatePrincipal(User(1)), IsOk());
    ASSERT_THAT(store->CreatePat(MakePat("t1", 1), 5, At(0)), IsOk());
    ASSERT_THAT(store->SetConf("k", "v"), IsOk());
  }

  std::unique_ptr<SqliteStore> store = OpenFile();
  ASSERT_NE(store, nullptr);

  EXPECT_THAT(store->GetPat("t1"), IsOk());
  EXPECT_THAT(store->GetConf("k"), ::testing::Optional(std::string("v")));
  EXPECT_THAT(store->IntegrityCheck(), IsOk());
}

TEST_F(SqliteStoreTest, IntegrityCheckIsOkForFileAndMemory) {
  std::unique_ptr<SqliteStore> file = OpenFile();
  ASSERT_NE(file, nullptr);
  Result<std::unique_ptr<Store>> memory = OpenStore("sqlite::memory:");
  ASSERT_THAT(memory, IsOk());

  EXPECT_THAT(IntegrityCheck(*file), IsOk());
  EXPECT_THAT(IntegrityCheck(**memory), IsOk());
}

TEST_F(SqliteStoreTest, EightConcurrentWritersAllSucceed) {
  std::unique_ptr<SqliteStore> store = OpenFile();
  ASSERT_NE(store, nullptr);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 25;
  for (int t = 0; t < kThreads; ++t) ASSERT_THAT(store->CreatePrincipal(User(t + 1)), IsOk());
  std::atomic<int> failures{0};

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string id = "t" + std::to_string(t) + "-" + std::to_string(i);
        // Quota 1000 per owner, owners shared by two threads: checks and inserts interleave.
        if (!store->CreatePat(MakePat(id, t % 4 + 1), 1000, At(0))) ++failures;
        if (!store->ListPats(0, At(0))) ++failures;  // readers run beside the writer
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  EXPECT_EQ(failures.load(), 0);
  EXPECT_THAT(store->CountPats(), ::testing::Optional(int64_t{kThreads * kPerThread}));
  EXPECT_THAT(store->IntegrityCheck(), IsOk());
}

TEST_F(SqliteStoreTest, QuotaHoldsUnderConcurrentCreates) {
  std::unique_ptr<SqliteStore> store = OpenFile();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->CreatePrincipal(User(1)), IsOk());
  std::atomic<int> created{0};
  std::atomic<int> exhausted{0};

  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        Status status = store->CreatePat(
            MakePat("q" + std::to_string(t) + "-" + std::to_string(i), 1), 10, At(0));
        if (status) {
          ++created;
        } else if (status.error().code == ErrorCode::kResourceExhausted) {
          ++exhausted;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  EXPECT_EQ(created.load(), 10);
  EXPECT_EQ(exhausted.load(), 30);
}

TEST_F(SqliteStoreTest, TwoStoresOnOneFileWaitForEachOther) {
  // Like latchkeyd and the CLI: two processes, two writer connections, one file.
  std::unique_ptr<SqliteStore> first = OpenFile();
  std::unique_ptr<SqliteStore> second = OpenFile();
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  ASSERT_THAT(first->CreatePrincipal(User(1)), IsOk());
  std::atomic<int> failures{0};

  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      SqliteStore& store = t % 2 == 0 ? *first : *second;
      for (int i = 0; i < 20; ++i) {
        if (!store.CreatePat(MakePat("s" + std::to_string(t) + "-" + std::to_string(i), 1), 1000,
                             At(0))) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  EXPECT_EQ(failures.load(), 0);
  EXPECT_THAT(second->CountPats(), ::testing::Optional(int64_t{80}));
}

// Security review finding 12: a key removed by another process (`latchkeyd keys remove` on the
// same file) must reach the running server's listeners within the revocation bound (< 1 s).
TEST_F(SqliteStoreTest, AnotherProcessRemovingASigningKeyIsNotifiedWithinASecond) {
  std::unique_ptr<SqliteStore> server = OpenFile();
  std::unique_ptr<SqliteStore> admin = OpenFile();  // as `latchkeyd keys remove` opens it
  ASSERT_NE(server, nullptr);
  ASSERT_NE(admin, nullptr);
  ASSERT_THAT(server->AddSigningKey({.kid = "k1", .public_pem = "pem", .created_at = At(0)}),
              IsOk());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the watcher has seen k1
  std::atomic<int> heard{0};
  ChangeSubscription subscription = server->AddChangeListener([&](const Change& change) {
    if (change.kind == ChangeKind::kSigningKeysChanged) ++heard;
  });

  const auto removed_at = std::chrono::steady_clock::now();
  ASSERT_THAT(admin->DeleteSigningKey("k1"), IsOk());
  while (heard.load() == 0 && std::chrono::steady_clock::now() - removed_at < std::chrono::seconds(2)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }

  EXPECT_GE(heard.load(), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - removed_at, std::chrono::seconds(1));
}

TEST(OpenStoreTest, RejectsUnknownSchemes) {
  EXPECT_THAT(OpenStore("mysql://localhost/db"), ErrorIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(OpenStore("sqlite:"), ErrorIs(ErrorCode::kInvalidArgument));
}

// Both spellings pick the PostgreSQL backend; nothing listens on port 1.
TEST(OpenStoreTest, UnreachablePostgresIsUnavailable) {
  EXPECT_THAT(OpenStore("postgresql://127.0.0.1:1/db"), ErrorIs(ErrorCode::kUnavailable));
  EXPECT_THAT(OpenStore("postgres://127.0.0.1:1/db"), ErrorIs(ErrorCode::kUnavailable));
}

TEST(OpenStoreTest, UnreachableFileIsUnavailable) {
  EXPECT_THAT(OpenStore("sqlite:/nonexistent-dir/latchkey.db"), ErrorIs(ErrorCode::kUnavailable));
}

TEST(OpenStoreTest, RelativeSqlitePathOpens) {
  TempDir dir;
  std::filesystem::path previous = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());

  Result<std::unique_ptr<Store>> store = OpenStore("sqlite:relative.db");

  std::filesystem::current_path(previous);
  ASSERT_THAT(store, IsOk());
  EXPECT_EQ((*store)->backend(), "sqlite");
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "relative.db"));
}

}  // namespace
}  // namespace latchkey::store::sqlite
