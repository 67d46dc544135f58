#include "idp/directory.h"

#include "base/encoding.h"
#include "crypto/hash.h"
#include "crypto/x509.h"
#include "idp/client_auth.h"

namespace latchkey::idp {

Secret GenerateClientSecret(Random& random) {
  std::string s = random.FromAlphabet(kSecretAlphabet, kSecretLength);
  // Never start with '-' (az would parse it as an option).
  while (s[0] == '-') s[0] = kSecretAlphabet[random.Uniform(kSecretAlphabet.size() - 1)];
  return Secret(std::move(s));
}

Directory::Directory(store::Store& store, const Clock& clock, Random& random)
    : store_(store), clock_(clock), random_(random) {}

Result<store::Tenant> Directory::CreateTenant(std::string display_name) {
  if (display_name.empty() || display_name.size() > 256) {
    return MakeError(ErrorCode::kInvalidArgument, "tenant name must have 1 to 256 characters");
  }
  store::Tenant t{random_.Uuid(), std::move(display_name), clock_.Now()};
  if (auto st = store_.CreateTenant(t); !st) return std::unexpected(st.error());
  std::lock_guard lock(mu_);
  tenants_.insert(t.id);
  return t;
}

Result<store::Application> Directory::CreateApplication(const std::string& tenant_id,
                                                        std::string display_name,
                                                        std::vector<std::string> identifier_uris,
                                                        std::vector<std::string> granted_roles,
                                                        bool with_service_principal) {
  if (display_name.empty() || display_name.size() > 256) {
    return MakeError(ErrorCode::kInvalidArgument, "displayName must have 1 to 256 characters");
  }
  if (!IsTenant(tenant_id)) return MakeError(ErrorCode::kNotFound, "tenant not found");
  store::Application app{random_.Uuid(), random_.Uuid(), tenant_id, display_name,
                         std::move(identifier_uris), std::move(granted_roles), clock_.Now()};
  store::DirectoryServicePrincipal sp{with_service_principal ? random_.Uuid() : std::string(),
                                      app.app_id, tenant_id, display_name, app.created_at};
  if (auto st = store_.CreateApplication(app, sp); !st) return std::unexpected(st.error());
  return app;
}

Result<NewPassword> Directory::AddPassword(const std::string& app_object_id,
                                           std::string display_name,
                                           std::optional<TimePoint> end_at) {
  return AddPassword(app_object_id, std::move(display_name), clock_.Now(), end_at);
}

Result<NewPassword> Directory::AddPassword(const std::string& app_object_id,
                                           std::string display_name, TimePoint start_at,
                                           std::optional<TimePoint> end_at,
                                           store::AuditEvent* audit) {
  if (display_name.size() > 256) {
    return MakeError(ErrorCode::kInvalidArgument, "displayName is longer than 256 characters");
  }
  auto app = store_.GetApplicationByObjectId(app_object_id);
  if (!app) return std::unexpected(app.error());
  Secret secret = GenerateClientSecret(random_);
  store::PasswordCredential cred{random_.Uuid(),
                                 app_object_id,
                                 std::move(display_name),
                                 secret.reveal().substr(0, 3),
                                 crypto::Sha256Hex(secret.reveal()),
                                 start_at,
                                 end_at};
  if (audit != nullptr) audit->target += ":password:" + cred.key_id;
  if (auto st = store_.AddPasswordCredential(cred, audit); !st) {
    return std::unexpected(st.error());
  }
  return NewPassword{std::move(cred), std::move(secret)};
}

Result<store::CertificateCredential> Directory::AddCertificate(const std::string& app_object_id,
                                                               const std::string& certificate_pem,
                                                               std::string display_name) {
  auto app = store_.GetApplicationByObjectId(app_object_id);
  if (!app) return std::unexpected(app.error());
  auto cert = crypto::ParseCertificatePem(certificate_pem);
  if (!cert) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "Invalid value specified for property 'key' of resource 'KeyCredential': "
                     "not a PEM or DER X.509 certificate with an RSA key.");
  }
  // Entra refuses certificate credentials with RSA keys under 2048 bits; a 512-bit key can be
  // factored, and whoever does it signs client assertions as the app. (EC keys are refused
  // above: client assertions are RS256 only.)
  if (cert->public_key.Bits() < kMinCertificateRsaBits) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "Invalid value specified for property 'key' of resource 'KeyCredential': "
                     "the certificate's RSA key has " + std::to_string(cert->public_key.Bits()) +
                         " bits; at least " + std::to_string(kMinCertificateRsaBits) +
                         " are required.");
  }
  std::string thumb = HexEncode(cert->sha1_thumbprint);
  for (auto& c : thumb) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  store::CertificateCredential cred{random_.Uuid(),     app_object_id,
                                    std::move(display_name), certificate_pem,
                                    thumb,              cert->not_before,
                                    cert->not_after};
  if (auto st = store_.AddCertificateCredential(cred); !st) return std::unexpected(st.error());
  return cred;
}

bool Directory::IsTenant(const std::string& tenant_id) {
  {
    std::lock_guard lock(mu_);
    if (tenants_.contains(tenant_id)) return true;
  }
  if (!IsGuid(tenant_id)) return false;
  auto t = store_.GetTenant(AsciiLower(tenant_id));
  if (!t) return false;
  std::lock_guard lock(mu_);
  tenants_.insert(t->id);
  return true;
}

}  // namespace latchkey::idp
