// keys::SigningKeys against the real SQLite store (on disk), real RSA keys and the real JWT
// verifier: the first key, rotation, the publication window and Prune, Remove, a removal or
// rotation made through another store instance (another process: `latchkeyd keys ...`), and
// the private key files (mode 0600 on disk, refusal of a missing, loose or broken file).
#include "keys/signing_keys.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/clock.h"
#include "base/files.h"
#include "jose/jwk.h"
#include "jose/jwt_verifier.h"
#include "store/store.h"
#include "store/store_test_support.h"

namespace latchkey::keys {
namespace {

using store::testing::ErrorIs;
using store::testing::IsOk;
using store::testing::TempDir;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

constexpr auto kPublishFor = std::chrono::hours(24);
const TimePoint kStart = FromUnixSeconds(1'750'000'000);

std::string ModeOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "missing";
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", st.st_mode & 07777);
  return buf;
}

class SigningKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_dir_ = (dir_.path() / "keys").string();
    ASSERT_TRUE(std::filesystem::create_directory(key_dir_));
    std::filesystem::permissions(key_dir_, std::filesystem::perms::owner_all);
    store_ = OpenStore();
  }

  std::unique_ptr<store::Store> OpenStore() {
    Result<std::unique_ptr<store::Store>> s =
        store::OpenStore("sqlite:" + (dir_.path() / "latchkey.db").string());
    EXPECT_TRUE(s.has_value()) << s.error().message;
    return s ? std::move(*s) : nullptr;
  }

  std::unique_ptr<SigningKeys> Open(store::Store& store) {
    Result<std::unique_ptr<SigningKeys>> keys = SigningKeys::Open(store, key_dir_, clock_, kPublishFor);
    EXPECT_TRUE(keys.has_value()) << keys.error().message;
    return keys ? std::move(*keys) : nullptr;
  }

  std::string KeyFile(const std::string& kid) const { return key_dir_ + "/" + kid + ".pem"; }

  // A token signed now by `keys`, and whether `keys` verifies it as a relying party would.
  std::string SignToken(const SigningKeys& keys) {
    const int64_t now = ToUnixSeconds(clock_.Now());
    Result<std::string> jwt = keys.Sign(
        {{"iss", "https://issuer.test/"}, {"aud", "api://test"}, {"iat", now}, {"exp", now + 3600}});
    EXPECT_TRUE(jwt.has_value());
    return jwt ? *jwt : "";
  }
  Result<jose::VerifiedJwt> Verify(const SigningKeys& keys, const std::string& token) {
    jose::VerifyPolicy policy{.issuers = {"https://issuer.test/"}, .audiences = {"api://test"}};
    return jose::VerifyJwt(token, policy, keys, clock_.Now());
  }

  std::vector<std::string> JwksKids(const SigningKeys& keys) {
    std::vector<std::string> kids;
    const nlohmann::json jwks = keys.Jwks();
    for (const auto& jwk : jwks["keys"]) kids.push_back(jwk["kid"].get<std::string>());
    return kids;
  }

  std::vector<std::string> StoredKids(store::Store& store) {
    std::vector<std::string> kids;
    Result<std::vector<store::SigningKey>> rows = store.ListSigningKeys();
    EXPECT_TRUE(rows.has_value());
    if (rows) {
      for (const auto& row : *rows) kids.push_back(row.kid);
    }
    std::sort(kids.begin(), kids.end());
    return kids;
  }

  TempDir dir_;
  std::string key_dir_;
  FakeClock clock_{kStart};
  std::unique_ptr<store::Store> store_;
};

TEST_F(SigningKeysTest, OpenOnAnEmptyStoreMakesTheFirstKeyInAPrivateFile) {
  std::unique_ptr<SigningKeys> keys = Open(*store_);
  ASSERT_NE(keys, nullptr);
  const std::string kid = keys->current_kid();
  EXPECT_EQ(StoredKids(*store_), std::vector<std::string>{kid});
  EXPECT_EQ(ModeOf(KeyFile(kid)), "0600");
  // The kid is the RFC 7638 thumbprint of the published key, and the file holds its private half.
  std::optional<crypto::RsaPublicKey> published = keys->Find(kid);
  ASSERT_TRUE(published.has_value());
  EXPECT_EQ(jose::Rfc7638Thumbprint(*published), kid);
  Result<std::string> pem = ::latchkey::ReadFile(KeyFile(kid));
  ASSERT_TRUE(pem.has_value());
  Result<crypto::RsaPrivateKey> priv = crypto::RsaPrivateKey::FromPem(*pem);
  ASSERT_TRUE(priv.has_value());
  EXPECT_EQ(jose::Rfc7638Thumbprint(priv->PublicKey()), kid);
  EXPECT_EQ(JwksKids(*keys), std::vector<std::string>{kid});

  Result<jose::VerifiedJwt> verified = Verify(*keys, SignToken(*keys));
  ASSERT_TRUE(verified.has_value()) << verified.error().message;
  EXPECT_EQ(verified->header["kid"], kid);
  EXPECT_EQ(verified->header["alg"], "RS256");
}

TEST_F(SigningKeysTest, RotateSignsWithTheNewKeyAndKeepsPublishingTheOld) {
  std::unique_ptr<SigningKeys> keys = Open(*store_);
  ASSERT_NE(keys, nullptr);
  const std::string old_kid = keys->current_kid();
  const std::string old_token = SignToken(*keys);

  clock_.Advance(1h);
  Result<std::string> new_kid = keys->Rotate();
  ASSERT_THAT(new_kid, IsOk());
  EXPECT_NE(*new_kid, old_kid);
  EXPECT_EQ(keys->current_kid(), *new_kid);
  EXPECT_EQ(ModeOf(KeyFile(*new_kid)), "0600");
  EXPECT_EQ(JwksKids(*keys), (std::vector<std::string>{*new_kid, old_kid})) << "current first";

  const std::string new_token = SignToken(*keys);
  Result<jose::VerifiedJwt> verified_new = Verify(*keys, new_token);
  ASSERT_THAT(verified_new, IsOk());
  EXPECT_EQ(verified_new->header["kid"], *new_kid);
  EXPECT_THAT(Verify(*keys, old_token), IsOk()) << "the retired key is still published";

  // The store says which key signs: a fresh instance (a restart) agrees.
  std::unique_ptr<SigningKeys> reopened = Open(*store_);
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->current_kid(), *new_kid);
  EXPECT_THAT(Verify(*reopened, old_token), IsOk());
  EXPECT_THAT(Verify(*reopened, new_token), IsOk());
}

TEST_F(SigningKeysTest, PruneDeletesARetiredKeyOnlyAfterItsPublicationWindow) {
  std::unique_ptr<SigningKeys> keys = Open(*store_);
  ASSERT_NE(keys, nullptr);
  const std::string old_kid = keys->current_kid();
  const std::string old_token = SignToken(*keys);
  Result<std::string> new_kid = keys->Rotate();  // retires old_kid at kStart
  ASSERT_THAT(new_kid, IsOk());

  clock_.Advance(kPublishFor - 1s);
  ASSERT_THAT(keys->Prune(), IsOk());
  std::vector<std::string> both{old_kid, *new_kid};
  std::sort(both.begin(), both.end());
  EXPECT_EQ(StoredKids(*store_), both);
  EXPECT_EQ(ModeOf(KeyFile(old_kid)), "0600") << "kept within the window";
  EXPECT_TRUE(keys->Find(old_kid).has_value());

  clock_.Advance(1s);  // exactly publish_for after its retirement
  ASSERT_THAT(keys->Prune(), IsOk());
  EXPECT_EQ(StoredKids(*store_), std::vector<std::string>{*new_kid});
  EXPECT_EQ(ModeOf(KeyFile(old_kid)), "missing") << "the private key file is deleted too";
  EXPECT_EQ(ModeOf(KeyFile(*new_kid)), "0600");
  EXPECT_FALSE(keys->Find(old_kid).has_value());
  EXPECT_EQ(JwksKids(*keys), std::vector<std::string>{*new_kid});
  EXPECT_THAT(Verify(*keys, old_token), ErrorIs(ErrorCode::kUnauthenticated));
  EXPECT_THAT(Verify(*keys, SignToken(*keys)), IsOk());
}

TEST_F(SigningKeysTest, AKeyPastItsWindowIsNotPublishedEvenBeforePrune) {
  std::unique_ptr<SigningKeys> keys = Open(*store_);
  ASSERT_NE(keys, nullptr);
  const std::string old_kid = keys->current_kid();
  ASSERT_THAT(keys->Rotate(), IsOk());
  clock_.Advance(kPublishFor);
  ASSERT_THAT(keys->Reload(), IsOk());  // e.g. a change heard from another replica
  EXPECT_FALSE(keys->Find(old_kid).has_value());
  EXPECT_EQ(JwksKids(*keys).size(), 1u);
}

TEST_F(SigningKeysTest, RemoveStopsARetiredKeyAtOnceAndRefusesTheCurrentOrAnUnknownOne) {
  std::unique_ptr<SigningKeys> keys = Open(*store_);
  ASSERT_NE(keys, nullptr);
  const std::string old_kid = keys->current_kid();
  const std::string old_token = SignToken(*keys);
  Result<std::string> new_kid = keys->Rotate();
  ASSERT_THAT(new_kid, IsOk());

  Status current = keys->Remove(*new_kid);
  EXPECT_THAT(current, ErrorIs(ErrorCode::kFailedPrecondition));
  EXPECT_EQ(keys->current_kid(), *new_kid);
  EXPECT_EQ(ModeOf(KeyFile(*new_kid)), "0600");
  EXPECT_THAT(keys->Remove("no-such-kid"), ErrorIs(ErrorCode::kNotFound));

  ASSERT_THAT(keys->Remove(old_kid), IsOk());
  EXPECT_FALSE(keys->Find(old_kid).has_value());
  EXPECT_EQ(ModeOf(KeyFile(old_kid)), "missing");
  EXPECT_EQ(StoredKids(*store_), std::vector<std::string>{*new_kid});
  EXPECT_THAT(Verify(*keys, old_token), ErrorIs(ErrorCode::kUnauthenticated));
}

// Two store instances on one database: the running server and `latchkeyd keys remove`.
TEST_F(SigningKeysTest, ReloadSeesARemovalMadeThroughAnotherStoreInstance) {
  std::unique_ptr<SigningKeys> server = Open(*store_);
  ASSERT_NE(server, nullptr);
  const std::string old_kid = server->current_kid();
  const std::string old_token = SignToken(*server);
  Result<std::string> new_kid = server->Rotate();
  ASSERT_THAT(new_kid, IsOk());

  std::unique_ptr<store::Store> other_store = OpenStore();
  ASSERT_NE(other_store, nullptr);
  std::unique_ptr<SigningKeys> cli = Open(*other_store);
  ASSERT_NE(cli, nullptr);
  EXPECT_EQ(cli->current_kid(), *new_kid);
  ASSERT_THAT(cli->Remove(old_kid), IsOk());

  // Until it reloads, the server still holds its snapshot; then the key is gone.
  EXPECT_TRUE(server->Find(old_kid).has_value());
  ASSERT_THAT(server->Reload(), IsOk());
  EXPECT_FALSE(server->Find(old_kid).has_value());
  EXPECT_THAT(Verify(*server, old_token), ErrorIs(ErrorCode::kUnauthenticated));
  EXPECT_EQ(server->current_kid(), *new_kid);
  EXPECT_THAT(Verify(*server, SignToken(*server)), IsOk());
}

// The server's wiring (app/serve.cc): reload on the store's kSigningKeysChanged. The SQLite
// store raises it for changes made by another instance (its watcher), so a removal through
// `latchkeyd keys remove` takes effect without a signal.
TEST_F(SigningKeysTest, TheStoreChangeSignalReloadsAfterAnotherInstanceRemovesAKey) {
  std::unique_ptr<SigningKeys> server = Open(*store_);
  ASSERT_NE(server, nullptr);
  const std::string old_kid = server->current_kid();
  ASSERT_THAT(server->Rotate(), IsOk());
  std::atomic<int> reloads{0};
  store::ChangeSubscription subscription =
      store_->AddChangeListener([&](const store::Change& change) {
        if (change.kind != store::ChangeKind::kSigningKeysChanged) return;
        EXPECT_THAT(server->Reload(), IsOk());
        ++reloads;
      });

  std::unique_ptr<store::Store> other_store = OpenStore();
  ASSERT_NE(other_store, nullptr);
  std::unique_ptr<SigningKeys> cli = Open(*other_store);
  ASSERT_NE(cli, nullptr);
  ASSERT_THAT(cli->Remove(old_kid), IsOk());

  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (server->Find(old_kid).has_value() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_FALSE(server->Find(old_kid).has_value()) << "no reload within 5 s of the removal";
  EXPECT_GE(reloads.load(), 1);
  subscription.Reset();
}

TEST_F(SigningKeysTest, ReloadPicksUpARotationMadeThroughAnotherStoreInstance) {
  std::unique_ptr<SigningKeys> server = Open(*store_);
  ASSERT_NE(server, nullptr);
  const std::string old_kid = server->current_kid();

  std::unique_ptr<store::Store> other_store = OpenStore();
  ASSERT_NE(other_store, nullptr);
  std::unique_ptr<SigningKeys> cli = Open(*other_store);
  ASSERT_NE(cli, nullptr);
  Result<std::string> new_kid = cli->Rotate();
  ASSERT_THAT(new_kid, IsOk());

  EXPECT_EQ(server->current_kid(), old_kid);
  ASSERT_THAT(server->Reload(), IsOk());
  EXPECT_EQ(server->current_kid(), *new_kid);
  // It signs with the new key, read from the file the other instance wrote.
  Result<jose::VerifiedJwt> verified = Verify(*cli, SignToken(*server));
  ASSERT_THAT(verified, IsOk());
  EXPECT_EQ(verified->header["kid"], *new_kid);
}

TEST_F(SigningKeysTest, RotateWritesTheKeyFile0600WhateverTheUmask) {
  std::unique_ptr<SigningKeys> keys = Open(*store_);
  ASSERT_NE(keys, nullptr);
  const mode_t previous = ::umask(0);
  Result<std::string> kid = keys->Rotate();
  ::umask(previous);
  ASSERT_THAT(kid, IsOk());
  EXPECT_EQ(ModeOf(KeyFile(*kid)), "0600");
}

// Open (a restart) and Reload refuse a current key whose private file is missing, readable by
// others or not a key; a failed Reload keeps signing with what it had.
TEST_F(SigningKeysTest, RefusesAMissingLooseOrBrokenPrivateKeyFile) {
  std::string kid;
  {
    std::unique_ptr<SigningKeys> keys = Open(*store_);
    ASSERT_NE(keys, nullptr);
    kid = keys->current_kid();
  }
  const std::string file = KeyFile(kid);
  auto open_error = [&]() -> std::string {
    Result<std::unique_ptr<SigningKeys>> keys = SigningKeys::Open(*store_, key_dir_, clock_, kPublishFor);
    if (keys) return "opened";
    EXPECT_EQ(keys.error().code, ErrorCode::kFailedPrecondition) << keys.error().message;
    return keys.error().message;
  };

  for (mode_t loose : {0644, 0640, 0604, 0660}) {
    ASSERT_EQ(::chmod(file.c_str(), loose), 0);
    EXPECT_THAT(open_error(), HasSubstr("mode 0600")) << std::oct << loose;
  }
  ASSERT_EQ(::chmod(file.c_str(), 0600), 0);
  std::unique_ptr<SigningKeys> keys = Open(*store_);
  ASSERT_NE(keys, nullptr) << "0600 is accepted";
  const std::string token = SignToken(*keys);

  const std::string saved = file + ".saved";
  ASSERT_EQ(::rename(file.c_str(), saved.c_str()), 0);
  EXPECT_THAT(open_error(), HasSubstr("missing"));
  EXPECT_THAT(keys->Reload(), ErrorIs(ErrorCode::kFailedPrecondition));
  EXPECT_EQ(keys->current_kid(), kid) << "a failed reload keeps the keys it had";
  EXPECT_THAT(Verify(*keys, SignToken(*keys)), IsOk());

  ASSERT_TRUE(::latchkey::WritePrivateFile(file, "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n"));
  EXPECT_THAT(open_error(), HasSubstr("not a valid RSA private key"));

  ASSERT_EQ(::unlink(file.c_str()), 0);
  ASSERT_EQ(::mkdir(file.c_str(), 0700), 0);
  EXPECT_THAT(open_error(), HasSubstr("regular file"));
  ASSERT_EQ(::rmdir(file.c_str()), 0);

  ASSERT_EQ(::rename(saved.c_str(), file.c_str()), 0);
  std::unique_ptr<SigningKeys> restored = Open(*store_);
  ASSERT_NE(restored, nullptr);
  EXPECT_THAT(Verify(*restored, token), IsOk());
}

}  // namespace
}  // namespace latchkey::keys
