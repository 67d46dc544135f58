#include "support/seeded_signing_keys.h"

#include <chrono>
#include <optional>

#include "base/files.h"
#include "jose/jwk.h"

namespace latchkey::testing {

Result<std::unique_ptr<keys::SigningKeys>> OpenSeededSigningKeys(store::Store& store,
                                                                 const crypto::RsaPrivateKey& key,
                                                                 const std::string& key_dir,
                                                                 const Clock& clock) {
  const std::string kid = jose::Rfc7638Thumbprint(key.PublicKey());
  if (Status st = ::latchkey::WritePrivateFile(key_dir + "/" + kid + ".pem", key.ToPem().reveal()); !st) {
    return std::unexpected(st.error());
  }
  if (Status st = store.AddSigningKey({kid, key.PublicKey().ToPem(), clock.Now(), std::nullopt}); !st) {
    return std::unexpected(st.error());
  }
  if (Status st = store.ActivateSigningKey(kid, clock.Now()); !st) return std::unexpected(st.error());
  return keys::SigningKeys::Open(store, key_dir, clock, std::chrono::hours(24));
}

}  // namespace latchkey::testing
