// Builds the server-side TLS context: TLS 1.2 and 1.3 only, ECDHE with AES-GCM or
// ChaCha20-Poly1305 for TLS 1.2, no compression, no renegotiation. Internal to src/http/.
#pragma once

#include <memory>
#include <string>

#include "base/result.h"
#include "http/asio.h"

namespace latchkey::http {

// Loads a PEM certificate chain and private key. Fails with kInvalidArgument if a file is
// missing or unreadable, is not PEM, or the key does not match the certificate. The message
// names the file, never its contents.
Result<std::shared_ptr<asio::ssl::context>> MakeTlsContext(const std::string& cert_file,
                                                           const std::string& key_file);

}  // namespace latchkey::http
