#include "http/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace latchkey::http {

namespace {

// Mozilla "intermediate" TLS 1.2 suites: forward secrecy and AEAD only. TLS 1.3 suites are
// OpenSSL's defaults, all of which qualify.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

}  // namespace

Result<std::shared_ptr<asio::ssl::context>> MakeTlsContext(const std::string& cert_file,
                                                           const std::string& key_file) {
  if (cert_file.empty() || key_file.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "tls_cert_file and tls_key_file are required for a TLS listener");
  }
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  SSL_CTX_set_options(ctx, SSL_OP_NO_SSLv2 | SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 |
                               SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                               SSL_OP_SINGLE_ECDH_USE);
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1) {
    return MakeError(ErrorCode::kInternal, "cannot configure TLS protocol versions or ciphers");
  }
  // Failures leave entries on OpenSSL's per-thread error queue; clear them so they are not
  // reported later against an unrelated connection.
  struct ClearErrors {
    ~ClearErrors() { ERR_clear_error(); }
  } clear_errors;
  ErrorCodeT ec;
  context->use_certificate_chain_file(cert_file, ec);
  if (ec) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "cannot load TLS certificate chain from " + cert_file);
  }
  context->use_private_key_file(key_file, asio::ssl::context::pem, ec);
  if (ec) {
    return MakeError(ErrorCode::kInvalidArgument, "cannot load TLS private key from " + key_file);
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "TLS private key " + key_file + " does not match certificate " + cert_file);
  }
  return context;
}

}  // namespace latchkey::http
