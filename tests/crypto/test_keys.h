// Loads the TEST-ONLY keys of tests/testdata/ (see its README). Aborts if one is missing:
// that is a broken checkout, not a test failure.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "base/files.h"
#include "crypto/rsa.h"

namespace latchkey::crypto::testing {

inline std::string TestDataPath(std::string_view name) {
  return std::string(LATCHKEY_TESTDATA_DIR) + "/" + std::string(name);
}

inline std::string ReadTestData(std::string_view name) {
  Result<std::string> content = ReadFile(TestDataPath(name));
  LATCHKEY_CHECK(content.has_value());
  return *content;
}

// "jose_test_key_a.pem" or "jose_test_key_b.pem".
inline RsaPrivateKey LoadTestKey(std::string_view name) {
  Result<RsaPrivateKey> key = RsaPrivateKey::FromPem(ReadTestData(name));
  LATCHKEY_CHECK(key.has_value());
  return *key;
}

}  // namespace latchkey::crypto::testing
