// Shared fixture for the identity-provider tests: a real SqliteStore (":memory:"), FakeClock and
// FakeRandom, the real SigningKeys on a temp dir, a bootstrapped tenant with a directory admin
// (Application.ReadWrite.All), the real IdentityProvider (token endpoints and Graph) behind a
// real Router driven with real Requests. Nothing is mocked.
#pragma once

#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/random.h"
#include "crypto/rsa.h"
#include "http/message.h"
#include "http/router.h"
#include "idp/identity_provider.h"
#include "keys/signing_keys.h"
#include "store/store.h"

namespace latchkey::idp::testing {

using nlohmann::json;

inline constexpr char kHost[] = "login.latchkey.test:8443";
inline constexpr char kBase[] = "https://login.latchkey.test:8443";

// 2027-01-01T00:00:00Z (after the test data's certificates begin).
inline TimePoint StartTime() { return FromUnixSeconds(1798761600); }

// One RSA-2048 key per binary (generation is slow).
const crypto::RsaPrivateKey& ServerKey();

std::string ReadTestData(const std::string& name);

class IdpTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  http::Response Call(std::string method, std::string target, std::string body = "",
                      const std::string& bearer = "",
                      std::string content_type = "application/json");
  static json Body(const http::Response& response);

  // POST /{tenant}/oauth2/v2.0/token with `form` (already urlencoded).
  http::Response Token(const std::string& form);
  // A Graph token of the directory admin.
  std::string GraphToken();
  http::Response Graph(std::string method, std::string target, const json& body = nullptr);

  // Creates an application through Graph (and its service principal) and returns its JSON.
  json CreateApp(const std::string& name, bool with_service_principal = true);

  FakeClock clock_{StartTime()};
  FakeRandom random_{7};
  std::unique_ptr<store::Store> store_;
  std::string key_dir_;
  std::unique_ptr<keys::SigningKeys> signing_keys_;
  std::unique_ptr<IdentityProvider> idp_;
  http::Router router_;
  std::string tenant_;
  std::string admin_client_id_;
  std::string admin_secret_;
};

}  // namespace latchkey::idp::testing
