// PostgreSQL-specific behaviour beyond the shared contract: concurrency across sessions and
// processes, change notification between store instances (replicas), outages and recovery,
// the pool's bounds, and URLs with passwords. Needs LATCHKEY_TEST_POSTGRES_URL (skipped
// otherwise); the outage test also needs LATCHKEY_TEST_PG_CLUSTER (run_with_postgres.sh).
#include "store/postgres/postgres_store.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "store/postgres/connection_pool.h"
#include "store/postgres/migrate.h"
#include "store/postgres/notification_listener.h"
#include "store/postgres_test_support.h"
#include "store/schema_0005.h"
#include "store/store_contract_test.h"

namespace latchkey::store::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using Clock = std::chrono::steady_clock;

// Records the changes a store reports, and lets a test wait for them. Its subscriptions go
// first when it is destroyed, so it may be declared before or after the stores it listens to.
class ChangeRecorder {
 public:
  void Attach(Store& store) {
    subscriptions_.push_back(store.AddChangeListener([this](const Change& change) {
      {
        std::lock_guard lock(mu_);
        changes_.push_back(change);
        arrived_at_.push_back(Clock::now());
      }
      cv_.notify_all();
    }));
  }
  // Waits until `count` changes have arrived (or `timeout`); returns them all.
  std::vector<Change> WaitFor(size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return changes_.size() >= count; });
    return changes_;
  }
  // Waits until `change` arrives; returns when it did, or nullopt after `timeout`.
  std::optional<Clock::time_point> WaitForChange(const Change& change,
                                                 std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    std::optional<Clock::time_point> at;
    cv_.wait_for(lock, timeout, [&] {
      for (size_t i = 0; i < changes_.size(); ++i) {
        if (changes_[i] == change) at = arrived_at_[i];
      }
      return at.has_value();
    });
    return at;
  }
  void Clear() {
    std::lock_guard lock(mu_);
    changes_.clear();
    arrived_at_.clear();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Change> changes_;
  std::vector<Clock::time_point> arrived_at_;
  std::vector<ChangeSubscription> subscriptions_;  // last: unregistered before the rest goes
};

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::optional<std::string> url = PostgresTestUrl();
    if (!url) GTEST_SKIP() << "LATCHKEY_TEST_POSTGRES_URL is not set; Postgres tests skipped";
    schema_ = std::make_unique<PostgresSchema>(*url);
  }

  std::unique_ptr<Store> Open() {
    Result<std::unique_ptr<Store>> store = OpenStore(schema_->url());
    EXPECT_THAT(store, IsOk());
    return store ? std::move(*store) : nullptr;
  }

  static Principal User(int64_t id) {
    return Principal{.id = id, .kind = PrincipalKind::kUser, .user_name = "u" + std::to_string(id)};
  }
  static Pat MakePat(const std::string& token_id, int64_t owner) {
    return Pat{
        .token_id = token_id, .owner_id = owner, .created_by_id = owner, .created_at = At(0)};
  }

  std::unique_ptr<PostgresSchema> schema_;
};

TEST_F(PostgresStoreTest, ConcurrentCreatePatFromEightThreadsRespectsTheQuotaExactly) {
  std::unique_ptr<Store> store = Open();
  ASSERT_THAT(store->CreatePrincipal(User(1)), IsOk());
  constexpr int kThreads = 8, kPerThread = 5, kQuota = 10;
  std::atomic<int> created{0}, exhausted{0}, other{0};

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        Status status = store->CreatePat(
            MakePat("t" + std::to_string(t) + "-" + std::to_string(i), 1), kQuota, At(0));
        if (status) {
          ++created;
        } else if (status.error().code == ErrorCode::kResourceExhausted) {
          ++exhausted;
        } else {
          ++other;
          ADD_FAILURE() << status.error().message;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  EXPECT_EQ(created.load(), kQuota);
  EXPECT_EQ(exhausted.load(), kThreads * kPerThread - kQuota);
  EXPECT_EQ(other.load(), 0);
  EXPECT_THAT(store->CountPats(), ::testing::Optional(kQuota));
}

TEST_F(PostgresStoreTest, ConcurrentReplaceTokenPermissionsNeverMixesTwoLists) {
  std::unique_ptr<Store> store = Open();
  constexpr int kThreads = 8;

  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Each thread writes three grants of its own subjects.
      std::vector<TokenPermission> grants;
      for (int i = 0; i < 3; ++i) grants.push_back({AclSubjectKind::kUser, t * 10 + i, "CAN_USE"});
      for (int round = 0; round < 3; ++round) {
        Status status = store->ReplaceTokenPermissions(grants, {});
        if (!status) {
          ++failed;
          ADD_FAILURE() << status.error().message;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  Result<std::vector<TokenPermission>> grants = store->ListTokenPermissions();
  ASSERT_THAT(grants, IsOk());
  ASSERT_EQ(grants->size(), 3u);
  int64_t owner = (*grants)[0].subject_id / 10;
  for (const TokenPermission& grant : *grants) EXPECT_EQ(grant.subject_id / 10, owner);
  EXPECT_EQ(failed.load(), 0);
}

TEST_F(PostgresStoreTest, MigrationsAreSafeWhenFourProcessesOpenTheStoreAtOnce) {
  constexpr int kProcesses = 4;
  int go[2];
  ASSERT_EQ(::pipe(go), 0);
  std::vector<pid_t> children;
  for (int i = 0; i < kProcesses; ++i) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      // Child: wait for the start signal (the pipe closing), open, report through the status.
      ::close(go[1]);
      char byte;
      (void)!::read(go[0], &byte, 1);
      Result<std::unique_ptr<Store>> store = OpenStore(schema_->url());
      ::_exit(store ? 0 : 1);
    }
    children.push_back(pid);
  }
  ::close(go[0]);
  ::close(go[1]);  // all children start now

  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "a process failed to open";
  }
  EXPECT_EQ(schema_->Query("SELECT count(*) FROM schema_version"),
            std::to_string(postgres::Migrations().size()));
  EXPECT_EQ(schema_->Query("SELECT max(version) FROM schema_version"),
            std::to_string(postgres::Migrations().back().version));
}

TEST_F(PostgresStoreTest, ReopeningAMigratedSchemaKeepsTheData) {
  {
    std::unique_ptr<Store> first = Open();
    ASSERT_THAT(first->CreatePrincipal(User(1)), IsOk());
  }
  std::unique_ptr<Store> second = Open();

  EXPECT_THAT(second->GetPrincipal(1), IsOk());
  EXPECT_EQ(schema_->Query("SELECT count(*) FROM schema_version"),
            std::to_string(postgres::Migrations().size()));
}

// Columns (with type, nullability, default, identity), indexes, and constraints of the schema
// `schema`, one line each, without the schema's name.
std::string CatalogOf(const PostgresSchema& schema) {
  const std::string name = "'" + schema.name() + "'";
  return schema.Query(
      "SELECT string_agg(line, E'\\n' ORDER BY line) FROM ("
      " SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' ||"
      "  is_nullable || ' ' || coalesce(column_default, '-') || ' ' || is_identity || ' ' ||"
      "  ordinal_position AS line"
      "  FROM information_schema.columns WHERE table_schema = " + name +
      " UNION ALL SELECT 'index ' || replace(indexdef, " + name + " || '.', '')"
      "  FROM pg_indexes WHERE schemaname = " + name +
      " UNION ALL SELECT 'constraint ' || c.conrelid::regclass::text || ' ' || c.conname || ' ' ||"
      "  pg_get_constraintdef(c.oid)"
      "  FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace"
      "  WHERE n.nspname = " + name + ") lines");
}

TEST_F(PostgresStoreTest, SchemaFromTheVersion5FilesMatchesAndOpens) {
  // A schema migrated with the files each backend kept until the migrations were written once
  // (tests/store/testdata/schema_0005/postgres) ...
  FrozenMigrations old = LoadSchema0005("postgres");
  auto migrate = [](const PostgresSchema& schema, std::span<const Migration> migrations) {
    Result<postgres::ConnectionConfig> config = postgres::ConnectionConfig::FromUrl(schema.url());
    ASSERT_THAT(config, IsOk());
    Result<std::unique_ptr<postgres::Connection>> conn =
        postgres::Connection::Open(*config, "schema_0005_test");
    ASSERT_THAT(conn, IsOk());
    ASSERT_THAT(postgres::ApplyMigrations(**conn, migrations), IsOk());
  };
  migrate(*schema_, old.migrations);
  // ... has the same catalog as one migrated with today's first five (generated from
  // src/store/migrations/) ...
  PostgresSchema fresh(*PostgresTestUrl());
  migrate(fresh, postgres::Migrations().first(old.migrations.size()));
  const std::string old_catalog = CatalogOf(*schema_);
  EXPECT_NE(old_catalog.find("column principals.active boolean NO"), std::string::npos)
      << old_catalog;
  EXPECT_EQ(old_catalog, CatalogOf(fresh));

  // ... and today's binary opens it (applying whatever came after version 5) and works.
  std::unique_ptr<Store> store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->CreatePrincipal(User(1)), IsOk());
  ASSERT_THAT(store->CreatePat(MakePat("t1", 1), 5, At(0)), IsOk());
  EXPECT_THAT(store->GetPat("t1"), IsOk());
  EXPECT_THAT(store->FindUserByName("U1"), IsOk());
}

TEST_F(PostgresStoreTest, NewerSchemaIsFailedPrecondition) {
  { std::unique_ptr<Store> store = Open(); }
  schema_->Query("INSERT INTO schema_version (version, name) VALUES (9999, 'future.sql')");

  EXPECT_THAT(OpenStore(schema_->url()), ErrorIs(ErrorCode::kFailedPrecondition));
}

TEST_F(PostgresStoreTest, ChangeFromAnotherInstanceReachesListenersWithin100Ms) {
  ChangeRecorder heard_by_a;  // before the stores: it must outlive their listener threads
  std::unique_ptr<Store> a = Open();
  std::unique_ptr<Store> b = Open();
  heard_by_a.Attach(*a);
  ASSERT_THAT(b->CreatePrincipal(User(1)), IsOk());
  ASSERT_THAT(b->CreatePat(MakePat("tok", 1), 10, At(0)), IsOk());

  ASSERT_THAT(b->DeletePat("tok"), IsOk());
  Clock::time_point committed = Clock::now();
  std::optional<Clock::time_point> heard =
      heard_by_a.WaitForChange({ChangeKind::kPatDeleted, "tok"}, std::chrono::seconds(5));

  ASSERT_TRUE(heard.has_value()) << "replica A never heard of B's delete";
  auto delay = std::chrono::duration_cast<std::chrono::microseconds>(*heard - committed);
  std::cout << "[ info ] propagation delay " << delay.count() << " us\n";
  EXPECT_LT(delay, std::chrono::milliseconds(100));
}

TEST_F(PostgresStoreTest, OwnChangesAreReportedOnceAndInCommitOrder) {
  ChangeRecorder heard_by_a;  // before the stores: it must outlive their listener threads
  std::unique_ptr<Store> a = Open();
  std::unique_ptr<Store> b = Open();
  heard_by_a.Attach(*a);
  ASSERT_THAT(a->CreatePrincipal(User(1)), IsOk());
  ASSERT_THAT(a->CreatePat(MakePat("mine", 1), 10, At(0)), IsOk());
  ASSERT_THAT(a->CreatePat(MakePat("theirs", 1), 10, At(0)), IsOk());

  ASSERT_THAT(a->DeletePat("mine"), IsOk());
  ASSERT_THAT(b->DeletePat("theirs"), IsOk());

  // Notifications arrive in commit order: once B's is in, an echo of A's own would be too.
  EXPECT_THAT(heard_by_a.WaitFor(2, std::chrono::seconds(5)),
              ElementsAre(Change{ChangeKind::kPatDeleted, "mine"},
                          Change{ChangeKind::kPatDeleted, "theirs"}));
}

TEST_F(PostgresStoreTest, ListenerReconnectsAndFlushesEveryCacheKind) {
  ChangeRecorder heard;  // before the stores: it must outlive their listener threads
  std::unique_ptr<Store> store = Open();
  std::unique_ptr<Store> other = Open();
  heard.Attach(*store);
  auto* pg = dynamic_cast<postgres::PostgresStore*>(store.get());
  ASSERT_NE(pg, nullptr);
  ASSERT_TRUE(pg->ListeningForChanges());

  // Kill every listener session on the server (other tests' listeners reconnect as well).
  schema_->Query(
      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
      " WHERE application_name = 'latchkeyd-listener'");

  EXPECT_TRUE(heard.WaitForChange({ChangeKind::kPatDeleted, ""}, std::chrono::seconds(10)));
  EXPECT_TRUE(heard.WaitForChange({ChangeKind::kPermissionsChanged, ""}, std::chrono::seconds(1)));
  EXPECT_TRUE(heard.WaitForChange({ChangeKind::kSigningKeysChanged, ""}, std::chrono::seconds(1)));
  EXPECT_TRUE(heard.WaitForChange({ChangeKind::kPrincipalChanged, ""}, std::chrono::seconds(1)));
  ASSERT_THAT(other->SetConf("maxTokenLifetimeDays", "7"), IsOk());
  EXPECT_TRUE(heard.WaitForChange({ChangeKind::kConfChanged, "maxTokenLifetimeDays"},
                                  std::chrono::seconds(5)))
      << "no notification after the reconnect";
}

TEST_F(PostgresStoreTest, PingFailsWhileTheServerIsDownAndRecoversWithoutReopening) {
  const char* cluster = std::getenv("LATCHKEY_TEST_PG_CLUSTER");
  const char* script = std::getenv("LATCHKEY_TEST_PG_CLUSTER_SCRIPT");
  if (cluster == nullptr || script == nullptr) {
    GTEST_SKIP() << "needs LATCHKEY_TEST_PG_CLUSTER and LATCHKEY_TEST_PG_CLUSTER_SCRIPT "
                    "(tests/store/run_with_postgres.sh sets them)";
  }
  ChangeRecorder heard;  // before the store: it must outlive its listener thread
  std::unique_ptr<Store> store = Open();
  heard.Attach(*store);
  ASSERT_THAT(store->CreatePrincipal(User(1)), IsOk());
  ASSERT_THAT(store->Ping(), IsOk());
  std::string pg_cluster = std::string("bash ") + script + " ";

  ASSERT_EQ(std::system((pg_cluster + "pause " + cluster).c_str()), 0);
  Clock::time_point before = Clock::now();
  Status down = store->Ping();
  auto ping_took = Clock::now() - before;
  Result<Principal> read_while_down = store->GetPrincipal(1);
  Status write_while_down = store->CreatePat(MakePat("t", 1), 10, At(0));
  ASSERT_EQ(std::system((pg_cluster + "resume " + cluster).c_str()), 0);

  EXPECT_THAT(down, ErrorIs(ErrorCode::kUnavailable));
  EXPECT_LT(ping_took, std::chrono::seconds(3));
  EXPECT_THAT(read_while_down, ErrorIs(ErrorCode::kUnavailable));
  EXPECT_THAT(write_while_down, ErrorIs(ErrorCode::kUnavailable));
  EXPECT_THAT(store->Ping(), IsOk());
  EXPECT_THAT(store->GetPrincipal(1), IsOk());
  EXPECT_THAT(store->CreatePat(MakePat("t", 1), 10, At(0)), IsOk());
  // The listener came back too, and told the caches that they may have missed changes.
  EXPECT_TRUE(heard.WaitForChange({ChangeKind::kPatDeleted, ""}, std::chrono::seconds(10)));
}

TEST_F(PostgresStoreTest, PoolCheckoutTimesOutWithUnavailable) {
  Result<postgres::ConnectionConfig> config = postgres::ConnectionConfig::FromUrl(schema_->url());
  ASSERT_THAT(config, IsOk());
  Result<std::unique_ptr<postgres::ConnectionPool>> pool = postgres::ConnectionPool::Open(
      *config, {.size = 1, .checkout_timeout = std::chrono::milliseconds(50)});
  ASSERT_THAT(pool, IsOk());

  Result<postgres::ConnectionPool::Lease> held = (*pool)->Acquire();
  ASSERT_THAT(held, IsOk());
  Result<postgres::ConnectionPool::Lease> second = (*pool)->Acquire();

  EXPECT_THAT(second, ErrorIs(ErrorCode::kUnavailable));
}

// No server needed: nothing listens on port 1.
TEST(PostgresUrlTest, ErrorsNeverContainThePassword) {
  Result<std::unique_ptr<Store>> unreachable =
      OpenStore("postgresql://latchkey:s3cret-pw@127.0.0.1:1/latchkey?connect_timeout=2");
  Result<std::unique_ptr<Store>> malformed = OpenStore("postgresql://latchkey:s3cret%zz@host/db");
  Result<std::unique_ptr<Store>> bad_port = OpenStore("postgres://u:s3cret-pw@127.0.0.1:port/db");

  ASSERT_THAT(unreachable, ErrorIs(ErrorCode::kUnavailable));
  EXPECT_THAT(unreachable.error().message, Not(HasSubstr("s3cret")));
  ASSERT_THAT(malformed, ErrorIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(malformed.error().message, Not(HasSubstr("s3cret")));
  ASSERT_FALSE(bad_port.has_value());
  EXPECT_THAT(bad_port.error().message, Not(HasSubstr("s3cret")));
}

TEST(PostgresChangeCodecTest, EveryKindRoundTrips) {
  for (ChangeKind kind :
       {ChangeKind::kPatDeleted, ChangeKind::kPrincipalChanged, ChangeKind::kPermissionsChanged,
        ChangeKind::kConfChanged, ChangeKind::kOAuthSecretDeleted, ChangeKind::kCredentialChanged,
        ChangeKind::kSigningKeysChanged}) {
    Change change{kind, "id:with:colons"};

    EXPECT_THAT(postgres::DecodeChange(postgres::EncodeChange(change)),
                ::testing::Optional(change));
  }
  EXPECT_EQ(postgres::DecodeChange("from_the_future:x"), std::nullopt);
  EXPECT_EQ(postgres::ChannelForSchema("public"), "latchkey_changes");
  EXPECT_EQ(postgres::ChannelForSchema("tenant_a"), "latchkey_changes_tenant_a");
  EXPECT_EQ(postgres::ChannelForSchema(std::string(100, 's')).size(), 63u);
}

}  // namespace
}  // namespace latchkey::store::testing
