// The RS256 signing keys shared by the identity provider (Entra-style access tokens) and the
// workspace (Databricks OAuth tokens). Metadata lives in the Store; each private key lives in
// its own 0600 file `<key_dir>/<kid>.pem` and never anywhere else.
//
// Rotation: Rotate() generates a key, writes its file, and makes it the signing key; the
// previous key stays published (Find/Jwks) until `publish_for` after its retirement (the
// longest token lifetime), then Prune() removes it. Thread-safe: Sign/Find/Jwks take a shared
// lock on an immutable snapshot that Reload/Rotate replace.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/result.h"
#include "crypto/rsa.h"
#include "jose/jwt_verifier.h"
#include "store/store.h"

namespace latchkey::keys {

class SigningKeys final : public jose::KeySource {
 public:
  // Loads every key in the store and its private key file. With no key at all, generates the
  // first one. kFailedPrecondition if a key file is missing or readable by others.
  static Result<std::unique_ptr<SigningKeys>> Open(store::KeyStore& store, std::string key_dir,
                                                   const Clock& clock,
                                                   std::chrono::seconds publish_for);

  // Signs `claims` with the current key; the header carries kid and x5t-free RS256.
  Result<std::string> Sign(const nlohmann::json& claims) const;
  // The same for claims already serialised as a JSON object (JsonObjectWriter): the token
  // endpoint's path, which builds no nlohmann objects.
  Result<std::string> SignPayload(std::string_view claims_json) const;
  // kid of the current signing key.
  std::string current_kid() const;

  // Any published key (current or retired but still within its publication window).
  std::optional<crypto::RsaPublicKey> Find(std::string_view kid) const override;
  // {"keys":[...]} of every published key, current first.
  nlohmann::json Jwks() const;

  // Generates a new key and makes it current. Returns the new kid.
  Result<std::string> Rotate();
  // Deletes keys retired longer than publish_for ago (store row and key file).
  Status Prune();
  // Removes a retired key at once (a compromised key): tokens it signed stop verifying.
  // kFailedPrecondition for the current key, kNotFound for an unknown kid.
  Status Remove(const std::string& kid);
  // Re-reads the store (after a kSigningKeysChanged from another replica).
  Status Reload();

 private:
  struct Entry {
    std::string kid;
    crypto::RsaPublicKey public_key;
    std::optional<crypto::RsaPrivateKey> private_key;  // loaded for the current key only
    TimePoint created_at;
    std::optional<TimePoint> retired_at;
    nlohmann::json jwk;
    std::string encoded_header;  // jose::EncodeRs256Header(kid), for SignPayload
  };
  struct Snapshot {
    std::vector<Entry> keys;  // current first
  };
  SigningKeys(store::KeyStore& store, std::string key_dir, const Clock& clock,
              std::chrono::seconds publish_for);
  Result<std::shared_ptr<const Snapshot>> Load() const;
  std::shared_ptr<const Snapshot> snapshot() const;

  store::KeyStore& store_;
  std::string key_dir_;
  const Clock& clock_;
  std::chrono::seconds publish_for_;
  std::mutex rotate_mu_;
  mutable std::shared_mutex mu_;
  std::shared_ptr<const Snapshot> snapshot_;
};

}  // namespace latchkey::keys
