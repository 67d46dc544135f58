// How latchkey reaches PostgreSQL: both of libpq's connection string forms, passwords from a
// password file, libpq's notices in the log (never raw on stderr), and never a password in a
// message. Needs LATCHKEY_TEST_POSTGRES_URL (skipped otherwise); the password-file test also
// needs LATCHKEY_TEST_PG_CLUSTER (run_with_postgres.sh sets both).
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <thread>

#include <libpq-fe.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "store/postgres/connection.h"
#include "store/postgres_test_support.h"
#include "store/store.h"
#include "store/store_test_support.h"

namespace latchkey::store::testing {
namespace {

// Whole milliseconds, as the store keeps them.
TimePoint At(int64_t seconds) { return FromUnixMillis(1'700'000'000'000 + seconds * 1000); }

using ::testing::HasSubstr;
using ::testing::Not;

// The host and port of the test server's URL.
struct Endpoint {
  std::string host;
  std::string port;
};
Endpoint EndpointOf(const std::string& url) {
  Endpoint out;
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  PQfreemem(error);
  for (PQconninfoOption* o = options; o != nullptr && o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    if (std::string(o->keyword) == "host") out.host = o->val;
    if (std::string(o->keyword) == "port") out.port = o->val;
  }
  PQconninfoFree(options);
  return out;
}

// Sends spdlog's default logger into a string for the test's lifetime.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    auto logger = std::make_shared<spdlog::logger>("capture", sink);
    logger->set_level(spdlog::level::debug);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  std::string text() const { return out_.str(); }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream out_;
};

class PostgresConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::optional<std::string> url = PostgresTestUrl();
    if (!url) GTEST_SKIP() << "LATCHKEY_TEST_POSTGRES_URL is not set; Postgres tests skipped";
    url_ = *url;
    schema_ = std::make_unique<PostgresSchema>(url_);
    endpoint_ = EndpointOf(url_);
  }
  // libpq's key=value form for the test schema, with `extra` appended.
  std::string KeyValue(const std::string& user, const std::string& extra = "") const {
    return "host=" + endpoint_.host + " port=" + endpoint_.port + " dbname=postgres user=" + user +
           " options='-csearch_path=" + schema_->name() + "' " + extra;
  }

  std::string url_;
  std::unique_ptr<PostgresSchema> schema_;
  Endpoint endpoint_;
};

TEST_F(PostgresConnectionTest, KeyValueConnectionStringOpensTheStore) {
  Result<std::unique_ptr<Store>> store =
      OpenStore(KeyValue("postgres", "target_session_attrs=read-write connect_timeout=5"));
  ASSERT_THAT(store, IsOk());
  EXPECT_EQ((*store)->backend(), "postgresql");
  ASSERT_THAT((*store)->CreatePrincipal({.id = 7, .user_name = "kv@x"}), IsOk());
  // It is the same schema the URL form reaches.
  EXPECT_EQ(schema_->Query("SELECT user_name FROM principals WHERE id = 7"), "kv@x");
}

TEST_F(PostgresConnectionTest, NoticesGoToTheLogNeverRawToStderr) {
  ASSERT_THAT(OpenStore(schema_->url()), IsOk());  // creates schema_version
  LogCapture log;
  ::testing::internal::CaptureStderr();
  // Opening it again runs CREATE TABLE IF NOT EXISTS schema_version: the server answers with
  // NOTICE "relation "schema_version" already exists, skipping".
  Result<std::unique_ptr<Store>> again = OpenStore(schema_->url());
  std::string stderr_text = ::testing::internal::GetCapturedStderr();

  ASSERT_THAT(again, IsOk());
  EXPECT_THAT(stderr_text, Not(HasSubstr("NOTICE")));
  EXPECT_THAT(log.text(), HasSubstr("event=postgresql_notice severity=NOTICE sqlstate=42P07"));
  EXPECT_THAT(log.text(), HasSubstr("schema_version"));
}

TEST_F(PostgresConnectionTest, PasswordComesFromAPasswordFile) {
  const char* cluster = std::getenv("LATCHKEY_TEST_PG_CLUSTER");
  if (cluster == nullptr) GTEST_SKIP() << "needs LATCHKEY_TEST_PG_CLUSTER (run_with_postgres.sh)";
  // A role that must give a password over TCP (the cluster trusts everyone else).
  const std::string password = "pw-f1le-only-7c2e";
  const std::string hba = std::string(cluster) + "/data/pg_hba.conf";
  {
    std::ifstream in(hba);
    std::stringstream old;
    old << in.rdbuf();
    if (old.str().find("latchkey_pw") == std::string::npos) {
      std::ofstream out(hba, std::ios::trunc);
      out << "host all latchkey_pw 127.0.0.1/32 scram-sha-256\n" << old.str();
    }
  }
  PostgresQuery(url_, "DROP ROLE IF EXISTS latchkey_pw");
  PostgresQuery(url_, "CREATE ROLE latchkey_pw LOGIN PASSWORD '" + password + "'");
  PostgresQuery(url_, "GRANT ALL ON SCHEMA " + schema_->name() + " TO latchkey_pw");
  PostgresQuery(url_, "SELECT pg_reload_conf()");
  TempDir dir;
  const std::string passfile = (dir.path() / "pgpass").string();
  {
    std::ofstream out(passfile);
    out << endpoint_.host << ":" << endpoint_.port << ":*:latchkey_pw:" << password << "\n";
  }
  ASSERT_EQ(::chmod(passfile.c_str(), 0600), 0);  // libpq ignores a group- or world-readable one

  ::setenv("PGPASSFILE", "/nonexistent", 1);
  Result<std::unique_ptr<Store>> without = OpenStore(KeyValue("latchkey_pw", "connect_timeout=5"));
  ::setenv("PGPASSFILE", passfile.c_str(), 1);
  Result<std::unique_ptr<Store>> from_env = OpenStore(KeyValue("latchkey_pw", "connect_timeout=5"));
  ::unsetenv("PGPASSFILE");
  Result<std::unique_ptr<Store>> from_keyword =
      OpenStore(KeyValue("latchkey_pw", "passfile=" + passfile + " connect_timeout=5"));
  Result<std::unique_ptr<Store>> from_url_keyword = OpenStore(
      "postgresql://latchkey_pw@" + endpoint_.host + ":" + endpoint_.port +
      "/postgres?connect_timeout=5&passfile=" + passfile + "&options=-csearch_path%3D" +
      schema_->name());
  PostgresQuery(url_, "DROP OWNED BY latchkey_pw");

  ASSERT_FALSE(without.has_value());
  EXPECT_EQ(without.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(from_env, IsOk());
  EXPECT_THAT(from_keyword, IsOk());
  EXPECT_THAT(from_url_keyword, IsOk());
}

// tests/support/tcp_stall_proxy.py between the store and the server, stalled on command.
class StallProxy {
 public:
  StallProxy(const std::string& script, const Endpoint& target) {
    std::string command = "python3 " + script + " --target " + target.host + ":" + target.port;
    out_ = ::popen(command.c_str(), "r");
    char line[128];
    while (out_ != nullptr && std::fgets(line, sizeof line, out_) != nullptr) {
      std::string text(line);
      if (text.starts_with("PORT=")) port_ = std::stoi(text.substr(5));
      if (text.starts_with("PID=")) pid_ = std::stoi(text.substr(4));
      if (port_ != 0 && pid_ != 0) break;
    }
  }
  ~StallProxy() {
    if (pid_ != 0) ::kill(pid_, SIGTERM);
    if (out_ != nullptr) ::pclose(out_);
  }
  bool started() const { return port_ != 0 && pid_ != 0; }
  int port() const { return port_; }
  void Stall() { ::kill(pid_, SIGUSR1); }
  void Resume() { ::kill(pid_, SIGUSR2); }

 private:
  FILE* out_ = nullptr;
  int port_ = 0;
  int pid_ = 0;
};

TEST_F(PostgresConnectionTest, AServerThatStopsAnsweringFailsCallsWithinTheTimeout) {
  const char* cluster_script = std::getenv("LATCHKEY_TEST_PG_CLUSTER_SCRIPT");
  if (cluster_script == nullptr) GTEST_SKIP() << "needs LATCHKEY_TEST_PG_CLUSTER_SCRIPT";
  const std::string proxy_script =
      (std::filesystem::path(cluster_script).parent_path() / "tcp_stall_proxy.py").string();
  StallProxy proxy(proxy_script, endpoint_);
  ASSERT_TRUE(proxy.started());
  const std::string conninfo = "host=127.0.0.1 port=" + std::to_string(proxy.port()) +
                               " dbname=postgres user=postgres connect_timeout=2 options='"
                               "-csearch_path=" + schema_->name() + "'";
  Result<std::unique_ptr<Store>> opened =
      OpenStore(conninfo, {.statement_timeout = std::chrono::milliseconds(1000),
                           .tcp_user_timeout = std::chrono::milliseconds(2000)});
  ASSERT_THAT(opened, IsOk());
  Store& store = **opened;
  ASSERT_THAT(store.CreatePrincipal({.id = 1, .user_name = "a@x"}), IsOk());
  ASSERT_THAT(store.GetPrincipal(1), IsOk());
  // Every session runs with the configured statement_timeout.
  Result<postgres::ConnectionConfig> config = postgres::ConnectionConfig::FromUrl(
      conninfo, {.statement_timeout = std::chrono::milliseconds(1000)});
  ASSERT_THAT(config, IsOk());
  Result<std::unique_ptr<postgres::Connection>> session =
      postgres::Connection::Open(*config, "latchkey-test");
  ASSERT_THAT(session, IsOk());
  EXPECT_THAT((*session)->Prepare("SHOW statement_timeout").One(
                  [](const postgres::Row& row) -> Result<std::string> { return row.Text(0); },
                  "setting"),
              ::testing::Optional(std::string("1s")));
  session->reset();

  proxy.Stall();
  // If a call hung, the test would hang: resume after 20 s so that it fails instead.
  std::atomic<bool> done{false};
  std::thread watchdog([&] {
    for (int i = 0; i < 200 && !done; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    proxy.Resume();
  });
  using Clock = std::chrono::steady_clock;
  auto timed = [](auto&& call) {
    Clock::time_point start = Clock::now();
    auto result = call();
    return std::pair{std::move(result), Clock::now() - start};
  };
  auto [write, write_took] = timed([&] {
    return store.CreatePat({.token_id = "t1", .owner_id = 1, .created_by_id = 1}, 10, At(0));
  });
  auto [read, read_took] = timed([&] { return store.GetPrincipal(1); });
  auto [ping, ping_took] = timed([&] { return store.Ping(); });
  done = true;
  watchdog.join();  // resumes the proxy
  proxy.Resume();

  // A reply timeout is statement_timeout + 1 s = 2 s; a new session gives up after 2 s
  // (connect_timeout). No call waits for the partition to end.
  EXPECT_THAT(write, ErrorIs(ErrorCode::kUnavailable));
  EXPECT_LT(write_took, std::chrono::milliseconds(3500));
  EXPECT_THAT(read, ErrorIs(ErrorCode::kUnavailable));
  EXPECT_LT(read_took, std::chrono::milliseconds(3500));
  EXPECT_THAT(ping, ErrorIs(ErrorCode::kUnavailable));  // so /readyz answers 503
  EXPECT_LT(ping_took, std::chrono::milliseconds(3500));
  // Once the network heals, new sessions replace the abandoned ones.
  Status healed = store.Ping();
  for (int i = 0; i < 50 && !healed; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    healed = store.Ping();
  }
  EXPECT_THAT(healed, IsOk());
  EXPECT_THAT(store.GetPrincipal(1), IsOk());
  EXPECT_THAT(store.CreatePat({.token_id = "t2", .owner_id = 1, .created_by_id = 1}, 10, At(0)),
              IsOk());
}

// No server needed: nothing listens on port 1.
TEST(PostgresConninfoTest, KeyValueErrorsNeverContainThePassword) {
  Result<std::unique_ptr<Store>> unreachable =
      OpenStore("host=127.0.0.1 port=1 user=u password=s3cret-kv connect_timeout=2");
  Result<std::unique_ptr<Store>> malformed = OpenStore("host=127.0.0.1 password='s3cret-kv");
  Result<std::unique_ptr<Store>> unknown_key = OpenStore("host=h passw0rd=s3cret-kv");
  Result<std::unique_ptr<Store>> not_a_conninfo = OpenStore("s3cret-kv host");

  ASSERT_THAT(unreachable, ErrorIs(ErrorCode::kUnavailable));
  EXPECT_THAT(unreachable.error().message, Not(HasSubstr("s3cret")));
  ASSERT_THAT(malformed, ErrorIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(malformed.error().message, Not(HasSubstr("s3cret")));
  ASSERT_THAT(unknown_key, ErrorIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(unknown_key.error().message, Not(HasSubstr("s3cret")));
  ASSERT_THAT(not_a_conninfo, ErrorIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(not_a_conninfo.error().message, Not(HasSubstr("s3cret")));
}

}  // namespace
}  // namespace latchkey::store::testing
