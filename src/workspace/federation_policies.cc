#include "workspace/federation_policies.h"

#include <algorithm>
#include <set>
#include <vector>

#include "base/encoding.h"
#include "base/result_macros.h"
#include "idp/federated_jwt.h"
#include "idp/federation.h"
#include "jose/jws.h"
#include "workspace/endpoint.h"
#include "workspace/json_input.h"
#include "workspace/oauth_secrets.h"
#include "auth/pat_format.h"

namespace latchkey::workspace {

using nlohmann::json;

namespace {

constexpr size_t kMaxIssuer = 1024;
constexpr size_t kMaxAudience = 512;
constexpr size_t kMaxAudiences = 20;
constexpr size_t kMaxSubject = 512;
constexpr size_t kMaxDescription = 1024;
constexpr size_t kMaxPolicyId = 64;
constexpr char kDefaultSubjectClaim[] = "sub";

std::unexpected<Error> Invalid(std::string message) {
  return std::unexpected(Error{ErrorCode::kInvalidArgument, std::move(message)});
}

// Databricks: "lowercase alphanumeric characters, numbers, hyphens, and slashes"; latchkey
// leaves out the slash, which a path segment cannot carry.
bool ValidPolicyId(std::string_view id) {
  if (id.empty() || id.size() > kMaxPolicyId) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

std::string Name(const WorkspaceOptions& options, const store::FederationPolicy& p) {
  std::string base = "accounts/" + AccountId(options) + "/";
  if (p.service_principal_id != 0) {
    base += "servicePrincipals/" + std::to_string(p.service_principal_id) + "/";
  }
  return base + "federationPolicies/" + p.policy_id;
}

json Encode(const WorkspaceOptions& options, const store::FederationPolicy& p) {
  json oidc = {{"issuer", p.issuer}};
  if (!p.audiences.empty()) oidc["audiences"] = p.audiences;
  if (!p.subject.empty()) oidc["subject"] = p.subject;
  if (!p.subject_claim.empty()) oidc["subject_claim"] = p.subject_claim;
  json out = {{"policy_id", p.policy_id},
              {"uid", p.uid},
              {"name", Name(options, p)},
              {"description", p.description},
              {"oidc_policy", oidc},
              {"create_time", Rfc3339Utc(p.created_at)},
              {"update_time", Rfc3339Utc(p.updated_at)}};
  if (p.service_principal_id != 0) out["service_principal_id"] = p.service_principal_id;
  return out;
}

// Applies the fields of `body` named by `mask` (nullopt: every field present in the body) to
// `p`. Field names as Databricks' update_mask: description, oidc_policy, oidc_policy.<field>.
Status Apply(const json& body, const std::optional<std::set<std::string>>& mask,
             store::FederationPolicy& p) {
  auto wanted = [&](const std::string& field, bool present) {
    if (!mask) return present;
    return mask->contains(field) || (field.starts_with("oidc_policy.") && mask->contains("oidc_policy"));
  };
  Result<std::optional<std::string>> description = OptionalString(body, "description");
  if (!description) return std::unexpected(description.error());
  if (wanted("description", description->has_value())) p.description = description->value_or("");

  json oidc = json::object();
  if (body.contains("oidc_policy") && !body["oidc_policy"].is_null()) {
    if (!body["oidc_policy"].is_object()) return Invalid("Field 'oidc_policy' must be an object.");
    oidc = body["oidc_policy"];
  }
  for (const char* unsupported : {"jwks_json", "jwks_uri"}) {
    if (oidc.contains(unsupported) && !oidc[unsupported].is_null()) {
      return Invalid(std::string("Field 'oidc_policy.") + unsupported +
                     "' is not supported: latchkey reads an issuer's keys only from its "
                     "/.well-known/openid-configuration.");
    }
  }
  Result<std::optional<std::string>> issuer = OptionalString(oidc, "issuer");
  if (!issuer) return std::unexpected(issuer.error());
  if (wanted("oidc_policy.issuer", issuer->has_value())) p.issuer = issuer->value_or("");
  Result<std::optional<std::vector<std::string>>> audiences = OptionalStringArray(oidc, "audiences");
  if (!audiences) return std::unexpected(audiences.error());
  if (wanted("oidc_policy.audiences", audiences->has_value())) {
    p.audiences = audiences->value_or(std::vector<std::string>{});
  }
  Result<std::optional<std::string>> subject = OptionalString(oidc, "subject");
  if (!subject) return std::unexpected(subject.error());
  if (wanted("oidc_policy.subject", subject->has_value())) p.subject = subject->value_or("");
  Result<std::optional<std::string>> claim = OptionalString(oidc, "subject_claim");
  if (!claim) return std::unexpected(claim.error());
  if (wanted("oidc_policy.subject_claim", claim->has_value())) p.subject_claim = claim->value_or("");
  return Ok();
}

// The rules every stored policy satisfies.
Status Validate(const store::FederationPolicy& p) {
  if (p.issuer.empty()) return Invalid("Field 'oidc_policy.issuer' is required.");
  if (!p.issuer.starts_with("https://") || p.issuer.size() > kMaxIssuer ||
      p.issuer.find_first_of(" \t\r\n?#") != std::string::npos) {
    return Invalid("Field 'oidc_policy.issuer' must be an https URL of at most 1024 characters, "
                   "without query or fragment.");
  }
  if (p.audiences.size() > kMaxAudiences) {
    return Invalid("Field 'oidc_policy.audiences' may list at most 20 audiences.");
  }
  for (const std::string& a : p.audiences) {
    if (a.empty() || a.size() > kMaxAudience) {
      return Invalid("Each of 'oidc_policy.audiences' must be a non-empty string of at most 512 "
                     "characters.");
    }
  }
  if (p.subject_claim.size() > 128) return Invalid("Field 'oidc_policy.subject_claim' is too long.");
  if (p.service_principal_id != 0) {
    if (p.subject.empty() || p.subject.size() > kMaxSubject) {
      return Invalid("Field 'oidc_policy.subject' is required for a service principal federation "
                     "policy (at most 512 characters).");
    }
  } else if (!p.subject.empty()) {
    return Invalid("Field 'oidc_policy.subject' must not be specified for an account federation "
                   "policy; use 'oidc_policy.subject_claim'.");
  }
  if (p.description.size() > kMaxDescription) {
    return Invalid("Field 'description' is at most 1024 characters.");
  }
  return Ok();
}

Status CheckName(const json& body, const std::string& expected) {
  Result<std::optional<std::string>> name = OptionalString(body, "name");
  if (!name) return std::unexpected(name.error());
  if (name->has_value() && !(*name)->empty() && **name != expected) {
    return Invalid("Field 'name' must match the request URL ('" + expected + "').");
  }
  return Ok();
}

Error NotFound(const std::string& policy_id) {
  return Error{ErrorCode::kNotFound,
               "Federation policy " + (ValidPolicyId(policy_id) ? policy_id : "<malformed>") +
                   " does not exist."};
}

// What the audit records of a created or updated policy.
json AuditDetail(const store::FederationPolicy& p) {
  return {{"policy_id", p.policy_id}, {"service_principal_id", p.service_principal_id},
          {"issuer", p.issuer},       {"subject", p.subject},
          {"subject_claim", p.subject_claim}, {"audiences", p.audiences}};
}

// The SDKs send the policy as the body; a body {"policy": {...}} is accepted too.
const json& PolicyBody(const json& body) {
  if (body.contains("policy") && body["policy"].is_object() && !body.contains("oidc_policy")) {
    return body["policy"];
  }
  return body;
}

}  // namespace

std::string AccountId(const WorkspaceOptions& options) {
  if (!options.account_id.empty()) return options.account_id;
  std::string h = auth::HashSecretValue("latchkey account of workspace " +
                                  std::to_string(options.workspace_id));
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20, 12);
}

Result<int64_t> FederationPolicyService::AdminOwner(const std::string& sp_id,
                                                    const CallContext& ctx) {
  RETURN_IF_ERROR(RequireAdmin(ctx, "manage federation policies"));
  if (sp_id.empty()) return int64_t{0};
  std::optional<int64_t> id = ParseInt64(sp_id);
  if (id && *id > 0) {
    Result<store::Principal> p = deps_.store.GetPrincipal(*id);
    if (p && p->kind == store::PrincipalKind::kServicePrincipal) return p->id;
    if (!p && p.error().code != ErrorCode::kNotFound) return std::unexpected(p.error());
  }
  return MakeError(ErrorCode::kNotFound,
                   "Service principal " + (id ? sp_id : std::string("<malformed>")) +
                       " does not exist.");
}

Result<store::FederationPolicy> FederationPolicyService::Find(int64_t owner,
                                                              const std::string& policy_id) {
  if (!ValidPolicyId(policy_id)) return std::unexpected(NotFound(policy_id));
  Result<store::FederationPolicy> p = deps_.store.GetFederationPolicy(owner, policy_id);
  if (!p && p.error().code == ErrorCode::kNotFound) return std::unexpected(NotFound(policy_id));
  return p;
}

Result<json> FederationPolicyService::Create(const std::string& sp_id, const json& raw_body,
                                             const std::optional<std::string>& policy_id,
                                             const CallContext& ctx) {
  Result<int64_t> owner = AdminOwner(sp_id, ctx);
  if (!owner) return std::unexpected(owner.error());
  const json& body = PolicyBody(raw_body);
  store::FederationPolicy p;
  p.service_principal_id = *owner;
  p.uid = deps_.random.Uuid();
  p.policy_id = policy_id.value_or("");
  if (p.policy_id.empty()) p.policy_id = p.uid;
  if (!ValidPolicyId(p.policy_id)) {
    return (Invalid("Invalid value for 'policy_id': use 1 to 64 lowercase letters, "
                                   "digits and hyphens."));
  }
  if (Status ok = Apply(body, std::nullopt, p); !ok) return std::unexpected(ok.error());
  if (Status ok = Validate(p); !ok) return std::unexpected(ok.error());
  if (Status ok = CheckName(body, Name(deps_.options, p)); !ok) return std::unexpected(ok.error());
  p.created_at = p.updated_at = deps_.clock.Now();
  store::AuditEvent event = deps_.audit.Event(ctx.Actor(), "federation_policy.create",
                                              "federation_policy:" + p.uid, AuditDetail(p),
                                              ctx.remote_address);
  Status created = deps_.audit.Write(event, [&](const store::AuditEvent* audit) {
    return deps_.store.CreateFederationPolicy(p, kMaxFederationPoliciesPerOwner, audit);
  });
  if (!created) {
    if (created.error().code == ErrorCode::kAlreadyExists) {
      return MakeError(ErrorCode::kAlreadyExists,
                       "Federation policy " + p.policy_id + " already exists.");
    }
    if (created.error().code == ErrorCode::kResourceExhausted) {
      return MakeError(ErrorCode::kResourceExhausted,
                       "At most 20 federation policies may exist for " +
                           std::string(p.service_principal_id ? "a service principal."
                                                              : "the account."));
    }
    return std::unexpected(created.error());
  }
  if (deps_.options.federation_keys != nullptr) {
    // Warm the issuer's keys, so the first exchange waits for nothing.
    deps_.options.federation_keys->Prefetch(p.issuer);
  }
  return Encode(deps_.options, p);
}

Result<json> FederationPolicyService::Get(const std::string& sp_id, const std::string& policy_id,
                                          const CallContext& ctx) {
  Result<int64_t> owner = AdminOwner(sp_id, ctx);
  if (!owner) return std::unexpected(owner.error());
  Result<store::FederationPolicy> p = Find(*owner, policy_id);
  if (!p) return std::unexpected(p.error());
  return Encode(deps_.options, *p);
}

Result<json> FederationPolicyService::List(const std::string& sp_id,
                                           const std::optional<std::string>& page_size,
                                           const std::optional<std::string>& page_token,
                                           const CallContext& ctx) {
  Result<int64_t> owner = AdminOwner(sp_id, ctx);
  if (!owner) return std::unexpected(owner.error());
  int64_t size = 100;
  if (page_size && !page_size->empty()) {
    std::optional<int64_t> n = ParseInt64(*page_size);
    if (!n || *n < 0 || *n > 1000) {
      return (Invalid("Invalid value for 'page_size': 0 to 1000."));
    }
    if (*n > 0) size = *n;
  }
  int64_t start = 0;
  if (page_token && !page_token->empty()) {
    std::optional<int64_t> n = ParseInt64(*page_token);
    if (!n || *n < 0 || page_token->size() > 6) {
      return (Invalid("Invalid value for 'page_token'."));
    }
    start = *n;
  }
  Result<std::vector<store::FederationPolicy>> all = deps_.store.ListFederationPolicies(*owner);
  if (!all) return std::unexpected(all.error());
  json policies = json::array();
  int64_t end = std::min<int64_t>(static_cast<int64_t>(all->size()), start + size);
  for (int64_t i = start; i < end; ++i) policies.push_back(Encode(deps_.options, (*all)[i]));
  json out = {{"policies", policies}};
  if (end < static_cast<int64_t>(all->size())) out["next_page_token"] = std::to_string(end);
  return out;
}

Result<json> FederationPolicyService::Update(const std::string& sp_id, const std::string& policy_id,
                                             const json& raw_body,
                                             const std::optional<std::string>& update_mask,
                                             const CallContext& ctx) {
  Result<int64_t> owner = AdminOwner(sp_id, ctx);
  if (!owner) return std::unexpected(owner.error());
  Result<store::FederationPolicy> current = Find(*owner, policy_id);
  if (!current) return std::unexpected(current.error());
  const json& body = PolicyBody(raw_body);
  std::optional<std::set<std::string>> mask;
  store::FederationPolicy p = *current;
  if (update_mask && !update_mask->empty() && *update_mask != "*") {
    static const std::set<std::string> kFields = {
        "description", "oidc_policy", "oidc_policy.issuer", "oidc_policy.audiences",
        "oidc_policy.subject", "oidc_policy.subject_claim"};
    mask.emplace();
    for (size_t pos = 0; pos <= update_mask->size();) {
      size_t comma = update_mask->find(',', pos);
      if (comma == std::string::npos) comma = update_mask->size();
      std::string field = update_mask->substr(pos, comma - pos);
      if (!kFields.contains(field)) {
        return (Invalid("Invalid value for 'update_mask': unknown field '" +
                                       idp::QuoteClaim(field) + "'."));
      }
      mask->insert(field);
      pos = comma + 1;
    }
  } else if (update_mask && *update_mask == "*") {
    // Full replacement: every field, absent ones cleared.
    mask = std::set<std::string>{"description", "oidc_policy"};
  }
  if (Status ok = Apply(body, mask, p); !ok) return std::unexpected(ok.error());
  if (Status ok = Validate(p); !ok) return std::unexpected(ok.error());
  if (Status ok = CheckName(body, Name(deps_.options, p)); !ok) return std::unexpected(ok.error());
  p.updated_at = deps_.clock.Now();
  store::AuditEvent event = deps_.audit.Event(ctx.Actor(), "federation_policy.update",
                                              "federation_policy:" + p.uid, AuditDetail(p),
                                              ctx.remote_address);
  Status updated = deps_.audit.Write(event, [&](const store::AuditEvent* audit) {
    return deps_.store.UpdateFederationPolicy(p, audit);
  });
  if (!updated) {
    if (updated.error().code == ErrorCode::kNotFound) return std::unexpected(NotFound(policy_id));
    return std::unexpected(updated.error());
  }
  if (deps_.options.federation_keys != nullptr && p.issuer != current->issuer) {
    deps_.options.federation_keys->Prefetch(p.issuer);
  }
  return Encode(deps_.options, p);
}

Status FederationPolicyService::Delete(const std::string& sp_id, const std::string& policy_id,
                                       const CallContext& ctx) {
  Result<int64_t> owner = AdminOwner(sp_id, ctx);
  if (!owner) return std::unexpected(owner.error());
  Result<store::FederationPolicy> current = Find(*owner, policy_id);
  if (!current) return std::unexpected(current.error());
  store::AuditEvent event = deps_.audit.Event(
      ctx.Actor(), "federation_policy.delete", "federation_policy:" + current->uid,
      {{"policy_id", policy_id}, {"service_principal_id", *owner}}, ctx.remote_address);
  Status deleted = deps_.audit.Write(event, [&](const store::AuditEvent* audit) {
    return deps_.store.DeleteFederationPolicy(*owner, policy_id, audit);
  });
  if (!deleted && deleted.error().code == ErrorCode::kNotFound) {
    return std::unexpected(NotFound(policy_id));
  }
  return deleted;
}

// ---- The exchange ----

namespace {

std::string ClaimText(const json& claims, const std::string& name) {
  auto it = claims.find(name);
  return it != claims.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::unexpected<FederationRefusal> Refuse(std::string description, const std::string& iss,
                                          const std::string& sub, std::string policy_id = {},
                                          int status = 400,
                                          std::string error = "invalid_request") {
  return std::unexpected(FederationRefusal{status, std::move(error), std::move(description), iss,
                                           sub, std::move(policy_id)});
}

// The aud claim as a list: a string or the strings of an array.
std::vector<std::string> Audiences(const json& claims) {
  std::vector<std::string> auds;
  if (auto it = claims.find("aud"); it != claims.end()) {
    if (it->is_string()) auds.push_back(it->get<std::string>());
    if (it->is_array()) {
      for (const json& a : *it) {
        if (a.is_string()) auds.push_back(a.get<std::string>());
      }
    }
  }
  return auds;
}

// The service principal client_id names (its policies apply), or none (the account's).
std::expected<std::optional<store::Principal>, FederationRefusal> PolicyOwner(
    const ServiceDeps& deps, const std::optional<std::string>& client_id, const std::string& iss,
    const std::string& sub) {
  if (!client_id) return std::nullopt;
  Result<store::Principal> found =
      deps.store.FindServicePrincipalByApplicationId(AsciiLower(*client_id));
  if (!found) {
    if (found.error().code != ErrorCode::kNotFound) {
      return Refuse("The store is unavailable.", iss, sub, {}, 503, "temporarily_unavailable");
    }
    return Refuse("No service principal has the client_id '" + idp::QuoteClaim(*client_id) + "'.",
                  iss, sub, {}, 401, "invalid_client");
  }
  return std::move(*found);
}

struct PolicyMatch {
  const store::FederationPolicy* policy;
  std::string subject_value;  // the value of the policy's subject claim
};

// Exact, case-sensitive comparisons: issuer, then audience, then subject. Only a registered
// issuer's keys are ever fetched, and only after a policy matched the claims. `whose` names
// the policies' owner in the refusals.
std::expected<PolicyMatch, FederationRefusal> MatchPolicy(
    const std::vector<store::FederationPolicy>& policies, const json& c, const std::string& iss,
    const std::string& sub, const std::string& account, const std::string& token_endpoint,
    const std::string& whose) {
  const std::vector<std::string> auds = Audiences(c);
  bool issuer_known = false, audience_known = false;
  for (const store::FederationPolicy& p : policies) {
    if (p.issuer != iss) continue;
    issuer_known = true;
    const std::vector<std::string> allowed =
        p.audiences.empty() ? std::vector<std::string>{account, token_endpoint} : p.audiences;
    bool aud_ok = std::any_of(auds.begin(), auds.end(), [&](const std::string& a) {
      return std::find(allowed.begin(), allowed.end(), a) != allowed.end();
    });
    if (!aud_ok) continue;
    audience_known = true;
    const std::string claim = p.subject_claim.empty() ? kDefaultSubjectClaim : p.subject_claim;
    std::string value = ClaimText(c, claim);
    if (value.empty()) continue;
    if (p.service_principal_id != 0 && value != p.subject) continue;
    return PolicyMatch{&p, std::move(value)};
  }
  if (!issuer_known) {
    return Refuse("No federation policy of " + whose + " trusts the issuer '" +
                      idp::QuoteClaim(iss) +
                      "'. Issuers are compared exactly: a trailing slash makes another issuer.",
                  iss, sub);
  }
  if (!audience_known) {
    return Refuse("The subject_token's audience does not match any federation policy of " + whose +
                      " for issuer '" + idp::QuoteClaim(iss) + "' (default audience: the account id " +
                      account + ").",
                  iss, sub);
  }
  return Refuse("The subject_token's subject '" + idp::QuoteClaim(sub) +
                    "' does not match any federation policy of " + whose + ".",
                iss, sub);
}

// Who: the policy's service principal, or for an account policy the user whose userName
// (else the service principal whose application id) is the subject claim's value.
std::expected<store::Principal, FederationRefusal> SubjectPrincipal(
    const ServiceDeps& deps, std::optional<store::Principal> sp, const PolicyMatch& match,
    const std::string& iss, const std::string& sub) {
  store::Principal principal;
  const std::string& policy_id = match.policy->policy_id;
  if (sp) {
    principal = std::move(*sp);
  } else {
    Result<store::Principal> user = deps.store.FindUserByName(match.subject_value);
    if (!user && user.error().code == ErrorCode::kNotFound) {
      user = deps.store.FindServicePrincipalByApplicationId(AsciiLower(match.subject_value));
    }
    if (!user) {
      if (user.error().code != ErrorCode::kNotFound) {
        return Refuse("The store is unavailable.", iss, sub, policy_id, 503,
                      "temporarily_unavailable");
      }
      return Refuse("No user or service principal of this workspace is named '" +
                        idp::QuoteClaim(match.subject_value) + "' (the subject claim of policy " +
                        policy_id + ").",
                    iss, sub, policy_id);
    }
    principal = std::move(*user);
  }
  if (!principal.active) {
    return Refuse("The principal the subject_token maps to is inactive.", iss, sub, policy_id);
  }
  return principal;
}

}  // namespace

std::expected<FederatedSubject, FederationRefusal> VerifySubjectToken(
    const ServiceDeps& deps, std::string_view subject_token,
    const std::optional<std::string>& client_id, const std::string& token_endpoint) {
  Result<jose::ParsedJwt> jwt = jose::ParseJwt(subject_token);
  if (!jwt) return Refuse("The subject_token is not a valid JWT: " + jwt.error().message, "", "");
  const json& c = jwt->claims;
  const std::string iss = ClaimText(c, "iss");
  const std::string sub = ClaimText(c, "sub");
  if (iss.empty()) return Refuse("The subject_token has no iss claim.", "", sub);

  // Which policies: the service principal's (client_id) or the account's.
  auto sp = PolicyOwner(deps, client_id, iss, sub);
  if (!sp) return std::unexpected(std::move(sp.error()));
  Result<std::vector<store::FederationPolicy>> policies =
      deps.store.ListFederationPolicies(*sp ? (*sp)->id : 0);
  if (!policies) return Refuse("The store is unavailable.", iss, sub, {}, 503, "temporarily_unavailable");
  const std::string whose = client_id ? "service principal '" + idp::QuoteClaim(*client_id) + "'"
                                      : std::string("the account");
  auto match = MatchPolicy(*policies, c, iss, sub, AccountId(deps.options), token_endpoint, whose);
  if (!match) return std::unexpected(std::move(match.error()));
  const store::FederationPolicy& policy = *match->policy;

  auto verified = idp::VerifyFederatedJwt(*jwt, iss, deps.options.federation_keys,
                                          deps.options.federation_skew,
                                          deps.options.federation_max_token_lifetime,
                                          deps.clock.Now());
  if (!verified) {
    if (verified.error().kind == idp::FederatedJwtError::Kind::kUnavailable) {
      return Refuse(verified.error().message, iss, sub, policy.policy_id, 503,
                    "temporarily_unavailable");
    }
    return Refuse(verified.error().message, iss, sub, policy.policy_id);
  }
  auto principal = SubjectPrincipal(deps, std::move(*sp), *match, iss, sub);
  if (!principal) return std::unexpected(std::move(principal.error()));
  return FederatedSubject{std::move(*principal), policy, iss, match->subject_value,
                          static_cast<int64_t>(c["exp"].get<double>())};
}

}  // namespace latchkey::workspace
