// Directory operations shared by `latchkeyd init`, the admin commands and the Graph-shaped
// API: tenants, app registrations with their service principals, password and certificate
// credentials. Secrets are generated here, returned once, and stored only as SHA-256 hashes.
// Thread-safe (the store is; the tenant cache has its own lock).
#pragma once

#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/random.h"
#include "base/result.h"
#include "base/secret.h"
#include "store/store.h"

namespace latchkey::idp {

// Client secrets use only URL-unreserved characters and never start with '-', so they survive
// an unencoded `curl -d client_secret=...` and `az login --password ...` (spec gotcha 8).
inline constexpr std::string_view kSecretAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-";
inline constexpr size_t kSecretLength = 40;
Secret GenerateClientSecret(Random& random);

struct NewPassword {
  store::PasswordCredential credential;
  Secret secret_text;  // shown once
};

class Directory {
 public:
  Directory(store::Store& store, const Clock& clock, Random& random);

  Result<store::Tenant> CreateTenant(std::string display_name);
  // Creates the app registration and, unless `with_service_principal` is false (Graph's POST
  // /applications creates none), its service principal in `tenant_id`.
  Result<store::Application> CreateApplication(const std::string& tenant_id,
                                               std::string display_name,
                                               std::vector<std::string> identifier_uris,
                                               std::vector<std::string> granted_roles,
                                               bool with_service_principal = true);
  Result<NewPassword> AddPassword(const std::string& app_object_id, std::string display_name,
                                  std::optional<TimePoint> end_at);
  // The same, valid from `start_at` (callers check the dates: Graph's rules are in graph_api).
  // `audit`, when given, is stored in the same transaction; its target gains the new key id.
  Result<NewPassword> AddPassword(const std::string& app_object_id, std::string display_name,
                                  TimePoint start_at, std::optional<TimePoint> end_at,
                                  store::AuditEvent* audit = nullptr);
  // Registers a PEM certificate whose private key signs client assertions.
  Result<store::CertificateCredential> AddCertificate(const std::string& app_object_id,
                                                      const std::string& certificate_pem,
                                                      std::string display_name);

  // Whether `tenant_id` names a tenant (cached; a miss re-reads the store).
  bool IsTenant(const std::string& tenant_id);

  store::Store& store() { return store_; }

 private:
  store::Store& store_;
  const Clock& clock_;
  Random& random_;
  std::mutex mu_;
  std::set<std::string> tenants_;
};

}  // namespace latchkey::idp
