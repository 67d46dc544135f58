// The Entra ID–compatible identity provider: token endpoints, discovery and keys, the Azure
// Resource Manager calls that `az login` makes, and a Graph-shaped directory API. Owns the
// Directory and TokenService; RegisterRoutes wires every endpoint (routes.cc is the index).
// Thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "auth/bearer_gate.h"
#include "base/clock.h"
#include "base/random.h"
#include "http/router.h"
#include "idp/directory.h"
#include "idp/token_service.h"
#include "jose/jws.h"
#include "jose/jwt_verifier.h"
#include "keys/signing_keys.h"

namespace latchkey::idp {

class IdentityProvider {
 public:
  IdentityProvider(store::Store& store, keys::SigningKeys& keys, const Clock& clock,
                   Random& random, IdpOptions options);

  void RegisterRoutes(http::Router& router);

  // The tenant of an issuer this service wrote: EntraIssuer(tid, v1 or v2) with one of its
  // tenants, or (tokens of earlier versions) "https://<own authority>/<tid>/" or ".../v2.0".
  // nullopt for anything else, including a real Entra tenant's issuer.
  std::optional<std::string> OwnIssuerTenant(std::string_view iss);
  // Verifies an access token this service issued for one of `audiences` (strict policy): the
  // Graph adapter's check, behind bearer_gate(). A denial's detail is the failed check.
  auth::Checked<jose::VerifiedJwt> VerifyOwnToken(const jose::ParsedJwt& token,
                                                  const std::vector<std::string>& audiences);
  // The failed-bearer gate in front of Graph and ARM (IdpOptions::bearer_gate or our own).
  auth::BearerGate& bearer_gate() { return *bearer_gate_; }

  // Whether "host[:port]" (lower case) is one of this service's own names.
  bool IsOwnAuthority(std::string_view authority) const {
    return is_own_authority_ && is_own_authority_(authority);
  }

  Directory& directory() { return directory_; }
  // External issuers' keys for federated credentials; null when federation is off.
  FederationKeys* federation_keys() { return federation_keys_; }
  TokenService& token_service() { return token_service_; }
  // After a directory change committed with its audit row (IdpOptions::audit_committed).
  void AuditCommitted(const store::AuditEvent& event) const {
    if (audit_committed_) audit_committed_(event);
  }

 private:
  http::Response OpenIdConfiguration(const http::Request& request, std::string_view shape);
  http::Response Keys(const http::Request& request);
  http::Response InstanceDiscovery(const http::Request& request);
  http::Response ArmMetadata(const http::Request& request);
  http::Response ArmList(const http::Request& request, std::string_view what);
  // Resolves a tenant path segment (GUID or tenant name) to a tenant id.
  std::optional<std::string> ResolveTenant(std::string_view segment);

  store::Store& store_;
  keys::SigningKeys& keys_;
  const Clock& clock_;
  Random& random_;
  Directory directory_;
  TokenService token_service_;
  std::function<bool(std::string_view)> is_own_authority_;
  FederationKeys* federation_keys_ = nullptr;
  std::function<void(const store::AuditEvent&)> audit_committed_;
  std::unique_ptr<auth::BearerGate> own_gate_;  // when IdpOptions::bearer_gate is null
  auth::BearerGate* bearer_gate_ = nullptr;
};

// Registers the Graph v1.0 routes (graph_api.cc).
void RegisterGraphRoutes(http::Router& router, IdentityProvider& idp, const Clock& clock,
                         Random& random);

}  // namespace latchkey::idp
