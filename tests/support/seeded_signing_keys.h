// Test fixtures' signing keys: a pre-generated RSA key written as the key file of `key_dir` and
// registered, active, in the store, then opened as SigningKeys, so that no test pays for RSA
// key generation. Shared by the workspace and identity-provider fixtures.
#pragma once

#include <memory>
#include <string>

#include "base/clock.h"
#include "base/result.h"
#include "crypto/rsa.h"
#include "keys/signing_keys.h"
#include "store/store.h"

namespace latchkey::testing {

Result<std::unique_ptr<keys::SigningKeys>> OpenSeededSigningKeys(store::Store& store,
                                                                 const crypto::RsaPrivateKey& key,
                                                                 const std::string& key_dir,
                                                                 const Clock& clock);

}  // namespace latchkey::testing
