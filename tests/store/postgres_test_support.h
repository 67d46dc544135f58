// Helpers for tests that need a real PostgreSQL: the server named by LATCHKEY_TEST_POSTGRES_URL
// (tests/store/run_with_postgres.sh starts a private one with tests/support/pg_cluster.sh) and
// a fresh schema per test. Tests call GTEST_SKIP when the variable is unset.
#pragma once

#include <atomic>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <unistd.h>

#include <gtest/gtest.h>
#include <libpq-fe.h>

namespace latchkey::store::testing {

// The server's URL, or nullopt when Postgres tests are to be skipped.
inline std::optional<std::string> PostgresTestUrl() {
  const char* url = std::getenv("LATCHKEY_TEST_POSTGRES_URL");
  if (url == nullptr || *url == '\0') return std::nullopt;
  return std::string(url);
}

// Runs `sql` on a throwaway session; returns the first column of the first row ("" if none).
// Fails the test on error.
inline std::string PostgresQuery(const std::string& url, const std::string& sql) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(url.c_str()), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    ADD_FAILURE() << PQerrorMessage(conn.get());
    return {};
  }
  std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn.get(), sql.c_str()), &PQclear);
  ExecStatusType status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    ADD_FAILURE() << sql << ": " << PQerrorMessage(conn.get());
    return {};
  }
  if (status != PGRES_TUPLES_OK || PQntuples(result.get()) == 0) return {};
  return PQgetvalue(result.get(), 0, 0);
}

// A schema created for one test and dropped (with its tables) afterwards; url() selects it
// through libpq's `options` parameter.
class PostgresSchema {
 public:
  explicit PostgresSchema(std::string server_url) : server_url_(std::move(server_url)) {
    static std::atomic<int> counter{0};
    name_ = "latchkey_pgtest_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
    PostgresQuery(server_url_, "CREATE SCHEMA " + name_);
    url_ = server_url_ + (server_url_.find('?') == std::string::npos ? "?" : "&") +
           "options=-csearch_path%3D" + name_;
  }
  PostgresSchema(const PostgresSchema&) = delete;
  PostgresSchema& operator=(const PostgresSchema&) = delete;
  ~PostgresSchema() {
    PostgresQuery(server_url_,
                  "SET client_min_messages TO warning; DROP SCHEMA " + name_ + " CASCADE");
  }

  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }
  // Runs `sql` with this schema on the search path.
  std::string Query(const std::string& sql) const { return PostgresQuery(url_, sql); }

 private:
  std::string server_url_;
  std::string name_;
  std::string url_;
};

}  // namespace latchkey::store::testing
