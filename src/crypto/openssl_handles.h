// RAII owners for the OpenSSL handles used inside src/crypto/. Internal to crypto: no header
// outside src/crypto/ includes this one. Also holds the few helpers every crypto file needs.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/result.h"
#include "base/secret.h"

namespace latchkey::crypto {

template <auto kFree>
struct OpenSslDeleter {
  template <class T>
  void operator()(T* p) const {
    kFree(p);
  }
};

using UniqueBio = std::unique_ptr<BIO, OpenSslDeleter<BIO_free_all>>;
using UniqueBignum = std::unique_ptr<BIGNUM, OpenSslDeleter<BN_free>>;
using UniqueBignumSecret = std::unique_ptr<BIGNUM, OpenSslDeleter<BN_clear_free>>;
using UniqueEvpPkey = std::unique_ptr<EVP_PKEY, OpenSslDeleter<EVP_PKEY_free>>;
using UniqueEvpPkeyCtx = std::unique_ptr<EVP_PKEY_CTX, OpenSslDeleter<EVP_PKEY_CTX_free>>;
using UniqueEvpMdCtx = std::unique_ptr<EVP_MD_CTX, OpenSslDeleter<EVP_MD_CTX_free>>;
using UniqueParamBld = std::unique_ptr<OSSL_PARAM_BLD, OpenSslDeleter<OSSL_PARAM_BLD_free>>;
using UniqueParams = std::unique_ptr<OSSL_PARAM, OpenSslDeleter<OSSL_PARAM_free>>;
using UniqueX509 = std::unique_ptr<X509, OpenSslDeleter<X509_free>>;
using UniqueX509Name = std::unique_ptr<X509_NAME, OpenSslDeleter<X509_NAME_free>>;
using UniqueX509Extension = std::unique_ptr<X509_EXTENSION, OpenSslDeleter<X509_EXTENSION_free>>;
using UniqueGeneralNames = std::unique_ptr<GENERAL_NAMES, OpenSslDeleter<GENERAL_NAMES_free>>;
using UniqueGeneralName = std::unique_ptr<GENERAL_NAME, OpenSslDeleter<GENERAL_NAME_free>>;
using UniqueAsn1Integer = std::unique_ptr<ASN1_INTEGER, OpenSslDeleter<ASN1_INTEGER_free>>;
using UniqueAsn1OctetString =
    std::unique_ptr<ASN1_OCTET_STRING, OpenSslDeleter<ASN1_OCTET_STRING_free>>;

// Shares ownership of `pkey` (takes one reference) in the form the public headers use.
std::shared_ptr<evp_pkey_st> SharePkey(UniqueEvpPkey pkey);

// SHA-256, fetched once from the default provider so the hot path skips the implicit fetch.
const EVP_MD* Sha256Md();

// Drops this thread's queued OpenSSL errors after a failure we report as a Result, so they
// cannot be misattributed to a later call.
void ClearOpenSslErrors();

// Builds a read-only memory BIO over `data` (which must outlive the BIO).
UniqueBio MemoryBio(std::string_view data);
// Returns everything written to a memory BIO.
std::string BioContents(BIO* bio);

// Big-endian bytes (no leading zero) of a BIGNUM.
std::string BignumBytes(const BIGNUM* bn);

// Parses an unencrypted private key PEM (PKCS#8 or PKCS#1) of any type; never prompts for a
// passphrase. kInvalidArgument on failure.
Result<UniqueEvpPkey> ReadPrivateKeyPem(std::string_view pem);
// Writes an unencrypted PKCS#8 PEM through memory that is wiped when freed.
Secret WritePrivateKeyPem(EVP_PKEY* pkey);
// Generates an RSA key of `bits` bits from OpenSSL's CSPRNG. kInternal on failure.
Result<UniqueEvpPkey> GenerateRsaPkey(int bits);

// Standard error for a failed OpenSSL call; never includes key material.
std::unexpected<Error> OpenSslError(ErrorCode code, std::string_view what);

}  // namespace latchkey::crypto
