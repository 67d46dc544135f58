#include "keys/signing_keys.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "base/files.h"
#include "jose/jwk.h"
#include "jose/jws.h"

namespace latchkey::keys {
namespace {

std::string KeyPath(const std::string& dir, const std::string& kid) {
  return dir + "/" + kid + ".pem";
}

// A private key file must be a regular file that nobody but the owner can read.
Status CheckKeyFileMode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return MakeError(ErrorCode::kFailedPrecondition, "signing key file missing: " + path);
  }
  if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "signing key file " + path + " must be a regular file with mode 0600");
  }
  return Ok();
}

}  // namespace

SigningKeys::SigningKeys(store::KeyStore& store, std::string key_dir, const Clock& clock,
                         std::chrono::seconds publish_for)
    : store_(store), key_dir_(std::move(key_dir)), clock_(clock), publish_for_(publish_for) {}

Result<std::unique_ptr<SigningKeys>> SigningKeys::Open(store::KeyStore& store, std::string key_dir,
                                                       const Clock& clock,
                                                       std::chrono::seconds publish_for) {
  std::unique_ptr<SigningKeys> keys(
      new SigningKeys(store, std::move(key_dir), clock, publish_for));
  auto existing = store.ListSigningKeys();
  if (!existing) return std::unexpected(existing.error());
  if (existing->empty()) {
    auto kid = keys->Rotate();
    if (!kid) return std::unexpected(kid.error());
    return keys;
  }
  if (auto st = keys->Reload(); !st) return std::unexpected(st.error());
  return keys;
}

Result<std::shared_ptr<const SigningKeys::Snapshot>> SigningKeys::Load() const {
  auto rows = store_.ListSigningKeys();
  if (!rows) return std::unexpected(rows.error());
  auto snap = std::make_shared<Snapshot>();
  const TimePoint now = clock_.Now();
  // The current key is the newest one that is not retired.
  const store::SigningKey* current = nullptr;
  for (const auto& row : *rows) {
    if (!row.retired_at && (current == nullptr || row.created_at > current->created_at)) {
      current = &row;
    }
  }
  if (current == nullptr) {
    return MakeError(ErrorCode::kFailedPrecondition, "no active signing key in the store");
  }
  auto add = [&](const store::SigningKey& row, bool is_current) -> Status {
    auto pub = crypto::RsaPublicKey::FromPem(row.public_pem);
    if (!pub) return std::unexpected(pub.error());
    Entry e{row.kid, *pub, std::nullopt, row.created_at, row.retired_at,
            jose::RsaPublicJwk(*pub, row.kid), jose::EncodeRs256Header(row.kid)};
    if (is_current) {
      const std::string path = KeyPath(key_dir_, row.kid);
      if (auto st = CheckKeyFileMode(path); !st) return st;
      auto pem = ::latchkey::ReadFile(path);
      if (!pem) return std::unexpected(pem.error());
      auto priv = crypto::RsaPrivateKey::FromPem(*pem);
      if (!priv) {
        return MakeError(ErrorCode::kFailedPrecondition,
                         "signing key file " + path + " is not a valid RSA private key");
      }
      e.private_key = std::move(*priv);
    }
    snap->keys.push_back(std::move(e));
    return Ok();
  };
  if (auto st = add(*current, true); !st) return std::unexpected(st.error());
  for (const auto& row : *rows) {
    if (&row == current) continue;
    if (row.retired_at && *row.retired_at + publish_for_ <= now) continue;  // past its window
    if (auto st = add(row, false); !st) return std::unexpected(st.error());
  }
  return std::shared_ptr<const Snapshot>(std::move(snap));
}

std::shared_ptr<const SigningKeys::Snapshot> SigningKeys::snapshot() const {
  std::shared_lock lock(mu_);
  return snapshot_;
}

Status SigningKeys::Reload() {
  auto snap = Load();
  if (!snap) return std::unexpected(snap.error());
  std::unique_lock lock(mu_);
  snapshot_ = std::move(*snap);
  return Ok();
}

Result<std::string> SigningKeys::Sign(const nlohmann::json& claims) const {
  auto snap = snapshot();
  const Entry& current = snap->keys.front();
  return jose::SignJwt(claims, *current.private_key, current.kid);
}

Result<std::string> SigningKeys::SignPayload(std::string_view claims_json) const {
  auto snap = snapshot();
  const Entry& current = snap->keys.front();
  return jose::SignCompact(current.encoded_header, claims_json, *current.private_key);
}

std::string SigningKeys::current_kid() const { return snapshot()->keys.front().kid; }

std::optional<crypto::RsaPublicKey> SigningKeys::Find(std::string_view kid) const {
  auto snap = snapshot();
  for (const auto& e : snap->keys) {
    if (e.kid == kid) return e.public_key;
  }
  return std::nullopt;
}

nlohmann::json SigningKeys::Jwks() const {
  auto snap = snapshot();
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& e : snap->keys) keys.push_back(e.jwk);
  return nlohmann::json{{"keys", std::move(keys)}};
}

Result<std::string> SigningKeys::Rotate() {
  std::lock_guard rotate_lock(rotate_mu_);
  auto priv = crypto::RsaPrivateKey::Generate(2048);
  if (!priv) return std::unexpected(priv.error());
  crypto::RsaPublicKey pub = priv->PublicKey();
  std::string kid = jose::Rfc7638Thumbprint(pub);
  if (auto st = ::latchkey::WritePrivateFile(KeyPath(key_dir_, kid), priv->ToPem().reveal()); !st) {
    return std::unexpected(st.error());
  }
  const TimePoint now = clock_.Now();
  if (auto st = store_.AddSigningKey(store::SigningKey{kid, pub.ToPem(), now, std::nullopt}); !st) {
    return std::unexpected(st.error());
  }
  if (auto st = store_.ActivateSigningKey(kid, now); !st) return std::unexpected(st.error());
  if (auto st = Reload(); !st) return std::unexpected(st.error());
  return kid;
}

Status SigningKeys::Remove(const std::string& kid) {
  if (kid == current_kid()) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "key " + kid + " signs new tokens; rotate first, then remove it");
  }
  if (auto st = store_.DeleteSigningKey(kid); !st) return st;
  ::unlink(KeyPath(key_dir_, kid).c_str());
  return Reload();
}

Status SigningKeys::Prune() {
  auto rows = store_.ListSigningKeys();
  if (!rows) return std::unexpected(rows.error());
  const TimePoint now = clock_.Now();
  for (const auto& row : *rows) {
    if (row.retired_at && *row.retired_at + publish_for_ <= now) {
      if (auto st = store_.DeleteSigningKey(row.kid); !st) return st;
      ::unlink(KeyPath(key_dir_, row.kid).c_str());
    }
  }
  return Reload();
}

}  // namespace latchkey::keys
