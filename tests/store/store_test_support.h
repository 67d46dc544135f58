// Test helpers for the store tests: Result matchers and a self-removing temporary directory.
// TODO(store): move IsOk/ErrorIs and TempDir to tests/support/ once that folder has them.
#pragma once

#include <filesystem>
#include <stdlib.h>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/result.h"

namespace latchkey::store::testing {

MATCHER(IsOk, "is ok") {
  if (arg.has_value()) return true;
  *result_listener << "error " << ErrorCodeName(arg.error().code) << ": " << arg.error().message;
  return false;
}

MATCHER_P(ErrorIs, code, std::string("fails with ") + ErrorCodeName(code)) {
  if (arg.has_value()) {
    *result_listener << "is ok";
    return false;
  }
  *result_listener << "error " << ErrorCodeName(arg.error().code) << ": " << arg.error().message;
  return arg.error().code == code;
}

// A fresh directory under the system temp dir, removed with its contents when destroyed.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "latchkey-store-XXXXXX");
    char* made = ::mkdtemp(pattern.data());
    if (made == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace latchkey::store::testing
