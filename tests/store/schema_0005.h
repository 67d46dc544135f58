// The schema as it stood at version 5, when each backend still kept its own migration files
// (testdata/schema_0005/<backend>/NNNN_name.sql, copied unchanged from src/store/sqlite/ and
// src/store/postgres/migrations at 15b7f15). Databases created from that text must keep
// opening and migrating; the tests compare it with what src/store/migrations/ now generates.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "store/migration.h"

namespace latchkey::store::testing {

// Owns the text that Migrations() views into.
struct FrozenMigrations {
  std::vector<std::string> names;
  std::vector<std::string> texts;
  std::vector<Migration> migrations;
};

// backend: "sqlite" or "postgres". Fails the test when a file is missing.
inline FrozenMigrations LoadSchema0005(std::string_view backend) {
  FrozenMigrations out;
  const std::filesystem::path dir =
      std::filesystem::path(LATCHKEY_STORE_TESTDATA) / "schema_0005" / backend;
  for (const char* name : {"0001_init.sql", "0002_assertion_jtis.sql",
                           "0003_federated_credentials.sql", "0004_federation_policies.sql",
                           "0005_refresh_tokens.sql"}) {
    std::ifstream in(dir / name, std::ios::binary);
    EXPECT_TRUE(in.good()) << (dir / name);
    std::ostringstream text;
    text << in.rdbuf();
    out.names.emplace_back(name);
    out.texts.push_back(text.str());
  }
  for (size_t i = 0; i < out.texts.size(); ++i) {
    out.migrations.push_back(
        Migration{static_cast<int>(i + 1), out.names[i], out.texts[i]});
  }
  return out;
}

// `sql` without its whole-line `--` comments (the statements as the database sees them).
inline std::string WithoutCommentLines(std::string_view sql) {
  std::string out;
  size_t start = 0;
  while (start < sql.size()) {
    size_t end = sql.find('\n', start);
    if (end == std::string_view::npos) end = sql.size() - 1;
    std::string_view line = sql.substr(start, end - start + 1);
    if (!line.starts_with("--")) out.append(line);
    start = end + 1;
  }
  return out;
}

}  // namespace latchkey::store::testing
