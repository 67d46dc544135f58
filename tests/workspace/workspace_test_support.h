// Shared fixture for the workspace tests: a real SqliteStore (":memory:"), FakeClock and
// FakeRandom, real RSA keys (generated once per binary), the lead's SigningKeys on a temp
// dir, a bootstrapped workspace, and a real Router driven with real Requests.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/random.h"
#include "crypto/rsa.h"
#include "http/message.h"
#include "http/router.h"
#include "jose/jwt_verifier.h"
#include "keys/signing_keys.h"
#include "store/store.h"
#include "workspace/workspace.h"

namespace latchkey::workspace::testing {

using nlohmann::json;

inline constexpr char kTenant[] = "5a1e2f3c-4d5b-4e6a-8f7c-9d0e1f2a3b4c";
inline constexpr char kDatabricksResource[] = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d";
inline constexpr char kEntraKid[] = "entra-kid-1";
inline constexpr char kHost[] = "adb-1111111111111111.1.azuredatabricks.net";
inline constexpr int64_t kWorkspaceId = 1111111111111111;
inline constexpr char kSpAppId[] = "0b3c2a10-6f7e-4d2b-9c1a-5e8f7a6b4c3d";

// 2026-01-01T00:00:00Z
inline TimePoint StartTime() { return FromUnixSeconds(1767225600); }

const crypto::RsaPrivateKey& EntraKey();
const crypto::RsaPrivateKey& WorkspaceKey();
const crypto::RsaPrivateKey& AttackerKey();

std::string EntraIssuer();

class WorkspaceTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  // Override to change options before the workspace is built.
  virtual void Configure(WorkspaceOptions&) {}

  http::Response Call(std::string method, std::string target, std::string body = "",
                      const std::string& bearer = "", std::string remote = "10.0.0.1");
  // Call with these headers (after Host and Content-Type) and no bearer.
  http::Response CallWith(std::string method, std::string target, const http::HeaderList& headers,
                          std::string body = "", std::string remote = "10.0.0.1");
  // Call with the admin's PAT.
  http::Response Admin(std::string method, std::string target, std::string body = "");
  static json Body(const http::Response& response);
  static std::string HeaderOf(const http::Response& response, std::string_view name);

  // SCIM helpers (as the admin).
  int64_t CreateServicePrincipal(const std::string& app_id, const std::string& name = "ci-runner");
  int64_t CreateUser(const std::string& user_name);
  void GrantCanUse(const std::string& field, const std::string& name);  // PATCH permissions
  // An Entra app-only v1 token for `app_id`, with `overrides` merged into the claims.
  std::string EntraToken(const std::string& app_id = kSpAppId, const json& overrides = json::object());
  // Creates a PAT with `bearer`; returns the parsed response body.
  json CreatePat(const std::string& bearer, const json& request = json::object());

  FakeClock clock_{StartTime()};
  FakeRandom random_{42};
  std::unique_ptr<store::Store> store_;
  std::string key_dir_;
  std::unique_ptr<keys::SigningKeys> signing_keys_;
  jose::StaticKeySource entra_keys_;
  WorkspaceOptions options_;
  std::unique_ptr<Workspace> workspace_;
  http::Router router_;
  BootstrapResult boot_;
  std::string admin_token_;
};

}  // namespace latchkey::workspace::testing
