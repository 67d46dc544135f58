#include "crypto/x509.h"

#include <arpa/inet.h>

#include <ctime>
#include <utility>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/hash.h"
#include "crypto/openssl_handles.h"

namespace latchkey::crypto {
namespace {

constexpr int kKeyBits = 2048;
constexpr size_t kMaxCommonName = 64;  // RFC 5280 ub-common-name
constexpr auto kBackdate = std::chrono::minutes(5);

std::unexpected<Error> Internal(std::string_view what) {
  return OpenSslError(ErrorCode::kInternal, what);
}

// RFC 5280 §4.1.2.2: positive, at most 20 octets. 16 random octets with the top bit cleared
// and the next set, so the DER length is fixed.
UniqueAsn1Integer RandomSerial(Random& random) {
  std::string bytes = random.Bytes(16);
  bytes[0] = static_cast<char>((static_cast<unsigned char>(bytes[0]) & 0x7f) | 0x40);
  UniqueBignum bn(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                            static_cast<int>(bytes.size()), nullptr));
  LATCHKEY_CHECK(bn != nullptr);
  UniqueAsn1Integer serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  LATCHKEY_CHECK(serial != nullptr);
  return serial;
}

// RFC 1123 host name, optionally with a leading "*." wildcard label.
bool IsDnsName(std::string_view name) {
  if (name.starts_with("*.")) name.remove_prefix(2);
  if (name.empty() || name.size() > 253) return false;
  size_t label = 0;
  for (size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '.') {
      if (label == 0 || label > 63 || name[i - 1] == '-' || name[i - label] == '-') return false;
      label = 0;
      continue;
    }
    const char c = name[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-';
    if (!ok) return false;
    ++label;
  }
  return true;
}

bool AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  UniqueX509Extension ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  return ext != nullptr && X509_add_ext(cert, ext.get(), -1) == 1;
}

Result<UniqueGeneralNames> SubjectAltNames(const std::vector<std::string>& dns_names,
                                           const std::vector<std::string>& ip_addresses) {
  UniqueGeneralNames names(sk_GENERAL_NAME_new_null());
  if (names == nullptr) return Internal("cannot allocate subjectAltName");
  // Moves `name` into the stack, or frees it (with its value) on failure.
  auto push = [&](UniqueGeneralName name) {
    if (sk_GENERAL_NAME_push(names.get(), name.get()) == 0) return false;
    name.release();
    return true;
  };
  for (const std::string& dns : dns_names) {
    if (!IsDnsName(dns)) return MakeError(ErrorCode::kInvalidArgument, "malformed DNS name");
    UniqueGeneralName name(GENERAL_NAME_new());
    ASN1_IA5STRING* ia5 = ASN1_IA5STRING_new();
    if (name == nullptr || ia5 == nullptr) {
      ASN1_IA5STRING_free(ia5);
      return Internal("cannot build subjectAltName");
    }
    GENERAL_NAME_set0_value(name.get(), GEN_DNS, ia5);  // `name` owns `ia5` from here
    if (ASN1_STRING_set(ia5, dns.data(), static_cast<int>(dns.size())) != 1 ||
        !push(std::move(name))) {
      return Internal("cannot build subjectAltName");
    }
  }
  for (const std::string& ip : ip_addresses) {
    UniqueAsn1OctetString octets(
        ip.find('\0') == std::string::npos ? a2i_IPADDRESS(ip.c_str()) : nullptr);
    if (octets == nullptr) {
      return OpenSslError(ErrorCode::kInvalidArgument, "malformed IP address");
    }
    UniqueGeneralName name(GENERAL_NAME_new());
    if (name == nullptr) return Internal("cannot build subjectAltName");
    GENERAL_NAME_set0_value(name.get(), GEN_IPADD, octets.release());
    if (!push(std::move(name))) return Internal("cannot build subjectAltName");
  }
  return names;
}

// Checked before any (slow) key generation.
Status CheckFields(std::string_view common_name, std::chrono::days validity) {
  if (common_name.empty() || common_name.size() > kMaxCommonName) {
    return MakeError(ErrorCode::kInvalidArgument, "common name must be 1..64 characters");
  }
  if (validity <= std::chrono::days(0)) {
    return MakeError(ErrorCode::kInvalidArgument, "validity must be positive");
  }
  return Ok();
}

// A certificate with everything but extensions and signature: v3, random serial, subject CN,
// issuer, validity and public key. `issuer_name` null means self-issued.
Result<UniqueX509> NewCertificate(std::string_view common_name, const X509_NAME* issuer_name,
                                  EVP_PKEY* subject_key, std::chrono::days validity,
                                  Random& random, TimePoint now) {
  if (Status ok = CheckFields(common_name, validity); !ok) return std::unexpected(ok.error());
  UniqueX509 cert(X509_new());
  if (cert == nullptr) return Internal("cannot allocate certificate");
  UniqueAsn1Integer serial = RandomSerial(random);
  X509_NAME* subject = X509_get_subject_name(cert.get());
  const auto not_before = static_cast<time_t>(ToUnixSeconds(now - kBackdate));
  const auto not_after = static_cast<time_t>(ToUnixSeconds(now + validity));
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      X509_set_serialNumber(cert.get(), serial.get()) != 1 ||
      X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.data()),
                                 static_cast<int>(common_name.size()), -1, 0) != 1 ||
      X509_set_issuer_name(cert.get(), issuer_name != nullptr ? issuer_name : subject) != 1 ||
      ASN1_TIME_set(X509_getm_notBefore(cert.get()), not_before) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert.get()), not_after) == nullptr ||
      X509_set_pubkey(cert.get(), subject_key) != 1) {
    return OpenSslError(ErrorCode::kInvalidArgument, "cannot fill in certificate fields");
  }
  return cert;
}

std::string ToPem(X509* cert) {
  UniqueBio bio(BIO_new(BIO_s_mem()));
  LATCHKEY_CHECK(bio != nullptr && PEM_write_bio_X509(bio.get(), cert) == 1);
  return BioContents(bio.get());
}

Result<UniqueX509> ReadCertificatePem(std::string_view pem) {
  UniqueBio bio = MemoryBio(pem);
  UniqueX509 cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) return OpenSslError(ErrorCode::kInvalidArgument, "not a PEM certificate");
  return cert;
}

TimePoint ToTimePoint(const ASN1_TIME* t) {
  std::tm tm{};
  LATCHKEY_CHECK(ASN1_TIME_to_tm(t, &tm) == 1);
  return FromUnixSeconds(static_cast<int64_t>(timegm(&tm)));
}

}  // namespace

Result<CertificateAndKey> CreateCaCertificate(std::string_view common_name,
                                              std::chrono::days validity, Random& random,
                                              TimePoint now) {
  if (Status ok = CheckFields(common_name, validity); !ok) return std::unexpected(ok.error());
  Result<UniqueEvpPkey> key = GenerateRsaPkey(kKeyBits);
  if (!key) return std::unexpected(key.error());
  Result<UniqueX509> cert =
      NewCertificate(common_name, nullptr, key->get(), validity, random, now);
  if (!cert) return std::unexpected(cert.error());
  X509* c = cert->get();
  // The subject key identifier must exist before the authority key identifier copies it.
  if (!AddExtension(c, c, NID_basic_constraints, "critical,CA:TRUE") ||
      !AddExtension(c, c, NID_key_usage, "critical,keyCertSign,cRLSign") ||
      !AddExtension(c, c, NID_subject_key_identifier, "hash") ||
      !AddExtension(c, c, NID_authority_key_identifier, "keyid:always") ||
      X509_sign(c, key->get(), Sha256Md()) <= 0) {
    return Internal("cannot build CA certificate");
  }
  return CertificateAndKey{ToPem(c), WritePrivateKeyPem(key->get())};
}

Result<CertificateAndKey> IssueServerCertificate(const CertificateAndKey& ca,
                                                 std::vector<std::string> dns_names,
                                                 std::vector<std::string> ip_addresses,
                                                 std::chrono::days validity, Random& random,
                                                 TimePoint now) {
  if (dns_names.empty() && ip_addresses.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "a server certificate needs a name");
  }
  Result<UniqueX509> ca_cert = ReadCertificatePem(ca.cert_pem);
  if (!ca_cert) return std::unexpected(ca_cert.error());
  Result<UniqueEvpPkey> ca_key = ReadPrivateKeyPem(ca.key_pem.reveal());
  if (!ca_key) return std::unexpected(ca_key.error());
  if (X509_check_private_key(ca_cert->get(), ca_key->get()) != 1 ||
      X509_check_ca(ca_cert->get()) == 0) {
    return OpenSslError(ErrorCode::kInvalidArgument, "CA key does not match a CA certificate");
  }
  Result<UniqueGeneralNames> names = SubjectAltNames(dns_names, ip_addresses);
  if (!names) return std::unexpected(names.error());
  const std::string& cn = dns_names.empty() ? ip_addresses.front() : dns_names.front();
  if (Status ok = CheckFields(cn, validity); !ok) return std::unexpected(ok.error());
  Result<UniqueEvpPkey> key = GenerateRsaPkey(kKeyBits);
  if (!key) return std::unexpected(key.error());
  Result<UniqueX509> cert = NewCertificate(cn, X509_get_subject_name(ca_cert->get()),
                                           key->get(), validity, random, now);
  if (!cert) return std::unexpected(cert.error());
  X509* c = cert->get();
  X509* issuer = ca_cert->get();
  if (!AddExtension(c, issuer, NID_basic_constraints, "critical,CA:FALSE") ||
      !AddExtension(c, issuer, NID_key_usage, "critical,digitalSignature,keyEncipherment") ||
      !AddExtension(c, issuer, NID_ext_key_usage, "serverAuth") ||
      !AddExtension(c, issuer, NID_subject_key_identifier, "hash") ||
      !AddExtension(c, issuer, NID_authority_key_identifier, "keyid:always") ||
      X509_add1_ext_i2d(c, NID_subject_alt_name, names->get(), 0, X509V3_ADD_DEFAULT) != 1 ||
      X509_sign(c, ca_key->get(), Sha256Md()) <= 0) {
    return Internal("cannot build server certificate");
  }
  return CertificateAndKey{ToPem(c), WritePrivateKeyPem(key->get())};
}

Result<std::vector<std::string>> CertificateNamesPem(std::string_view pem) {
  Result<UniqueX509> cert = ReadCertificatePem(pem);
  if (!cert) return std::unexpected(cert.error());
  std::vector<std::string> names;
  auto* sans = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert->get(), NID_subject_alt_name, nullptr, nullptr));
  if (sans == nullptr) return names;
  for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(sans, i);
    if (name->type == GEN_DNS) {
      const ASN1_IA5STRING* dns = name->d.dNSName;
      names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                         static_cast<size_t>(ASN1_STRING_length(dns)));
    } else if (name->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* ip = name->d.iPAddress;
      const int length = ASN1_STRING_length(ip);
      char text[INET6_ADDRSTRLEN] = {};
      if ((length == 4 || length == 16) &&
          inet_ntop(length == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(ip), text,
                    sizeof text) != nullptr) {
        names.emplace_back(text);
      }
    }
  }
  GENERAL_NAMES_free(sans);
  return names;
}

Result<Certificate> ParseCertificatePem(std::string_view pem) {
  Result<UniqueX509> cert = ReadCertificatePem(pem);
  if (!cert) return std::unexpected(cert.error());
  EVP_PKEY* pkey = X509_get0_pubkey(cert->get());
  if (pkey == nullptr || EVP_PKEY_is_a(pkey, "RSA") != 1) {
    return OpenSslError(ErrorCode::kInvalidArgument, "certificate key is not RSA");
  }
  const int spki_len = i2d_PUBKEY(pkey, nullptr);
  const int der_len = i2d_X509(cert->get(), nullptr);
  if (spki_len <= 0 || der_len <= 0) return Internal("cannot encode certificate");
  std::string spki(static_cast<size_t>(spki_len), '\0');
  std::string der(static_cast<size_t>(der_len), '\0');
  auto* spki_out = reinterpret_cast<unsigned char*>(spki.data());
  auto* der_out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_PUBKEY(pkey, &spki_out) != spki_len || i2d_X509(cert->get(), &der_out) != der_len) {
    return Internal("cannot encode certificate");
  }
  Result<RsaPublicKey> public_key = RsaPublicKey::FromDer(spki);
  if (!public_key) return std::unexpected(public_key.error());
  return Certificate{.public_key = std::move(*public_key),
                     .sha1_thumbprint = Sha1(der),
                     .sha256_thumbprint = Sha256(der),
                     .not_before = ToTimePoint(X509_get0_notBefore(cert->get())),
                     .not_after = ToTimePoint(X509_get0_notAfter(cert->get())),
                     .der = std::move(der)};
}

}  // namespace latchkey::crypto
