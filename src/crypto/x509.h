// X.509 certificates: a self-signed CA and TLS server certificates for `latchkeyd init`, and
// parsing of client certificates (certificate credentials). Stateless; thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/random.h"
#include "base/result.h"
#include "base/secret.h"
#include "crypto/rsa.h"

namespace latchkey::crypto {

struct CertificateAndKey {
  std::string cert_pem;
  Secret key_pem;  // PKCS#8 PEM, unencrypted
};

// Creates a self-signed RSA-2048 / SHA-256 CA certificate: basicConstraints critical CA:TRUE,
// keyUsage critical keyCertSign+cRLSign, subject and authority key identifiers. Valid from
// `now` minus 5 minutes (tolerates small clock differences) to `now + validity`. The 128-bit
// serial comes from `random`. kInvalidArgument for an empty or over-long name or a
// non-positive validity; kInternal if OpenSSL fails.
Result<CertificateAndKey> CreateCaCertificate(std::string_view common_name,
                                              std::chrono::days validity, Random& random,
                                              TimePoint now);

// Issues an RSA-2048 / SHA-256 TLS server certificate signed by `ca`: basicConstraints
// critical CA:FALSE, keyUsage critical digitalSignature+keyEncipherment, extendedKeyUsage
// serverAuth, and a subjectAltName with every DNS name and IP address (IPv4 or IPv6). The
// subject CN is the first DNS name (else the first IP). kInvalidArgument for a malformed name
// or address, no names at all, a CA whose key does not match its certificate, or a bad
// validity.
Result<CertificateAndKey> IssueServerCertificate(const CertificateAndKey& ca,
                                                 std::vector<std::string> dns_names,
                                                 std::vector<std::string> ip_addresses,
                                                 std::chrono::days validity, Random& random,
                                                 TimePoint now);

struct Certificate {
  RsaPublicKey public_key;
  std::string sha1_thumbprint;    // raw 20 bytes, SHA-1 of the DER (the JOSE "x5t")
  std::string sha256_thumbprint;  // raw 32 bytes, SHA-256 of the DER ("x5t#S256")
  TimePoint not_before;
  TimePoint not_after;
  std::string der;
};

// Parses the first certificate of a PEM. kInvalidArgument if there is none or its key is not
// RSA. Does not check validity dates or trust: callers decide that.
Result<Certificate> ParseCertificatePem(std::string_view pem);

// The subject alternative names of the first certificate of a PEM: DNS names as written, IP
// addresses in text form ("127.0.0.1", "::1").
Result<std::vector<std::string>> CertificateNamesPem(std::string_view pem);

}  // namespace latchkey::crypto
