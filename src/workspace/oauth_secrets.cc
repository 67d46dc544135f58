#include "workspace/oauth_secrets.h"

#include <ctime>

#include "base/encoding.h"
#include "workspace/endpoint.h"
#include "workspace/json_input.h"
#include "auth/pat_format.h"

namespace latchkey::workspace {

using nlohmann::json;

namespace {

json SecretInfo(const store::OAuthSecret& s) {
  return {{"id", s.id},
          {"secret_hash", s.secret_hash},
          {"create_time", Rfc3339Utc(s.created_at)},
          {"update_time", Rfc3339Utc(s.created_at)},
          {"expire_time", Rfc3339Utc(s.expires_at)},
          {"status", "ACTIVE"}};  // §8.5 [U]
}

}  // namespace

Result<CreateSecretInput> DecodeCreateSecret(const json& body) {
  CreateSecretInput input;
  Result<std::optional<std::string>> lifetime = OptionalString(body, "lifetime");
  if (!lifetime) return std::unexpected(lifetime.error());
  if (!lifetime->has_value()) return input;
  std::string text = **lifetime;
  auto invalid = [] {
    return MakeError(ErrorCode::kInvalidArgument,
                     "Invalid value for field 'lifetime': expected a duration such as "
                     "\"63072000s\", at most 730 days.");
  };
  if (!text.ends_with('s')) return invalid();
  text.pop_back();
  if (size_t dot = text.find('.'); dot != std::string::npos) {
    std::string fraction = text.substr(dot + 1);
    if (fraction.empty() || fraction.size() > 9 ||
        fraction.find_first_not_of("0123456789") != std::string::npos) {
      return invalid();
    }
    text.resize(dot);  // whole seconds are enough for a secret's lifetime
  }
  if (text.empty() || text.size() > 12 || text.find_first_not_of("0123456789") != std::string::npos) {
    return invalid();
  }
  std::optional<int64_t> seconds = ParseInt64(text);
  if (!seconds || *seconds <= 0 || *seconds > kMaxOAuthSecretLifetime.count()) return invalid();
  input.lifetime = std::chrono::seconds(*seconds);
  return input;
}

Result<store::Principal> OAuthSecretService::FindServicePrincipal(const std::string& sp_id) {
  std::optional<int64_t> id = ParseInt64(sp_id);
  if (id) {
    Result<store::Principal> p = deps_.store.GetPrincipal(*id);
    if (p && p->kind == store::PrincipalKind::kServicePrincipal) return p;
    if (!p && p.error().code != ErrorCode::kNotFound) return p;
  }
  return MakeError(ErrorCode::kNotFound, "Service principal " + sp_id + " does not exist.");
}

Result<json> OAuthSecretService::Create(const std::string& sp_id, const CreateSecretInput& input,
                                        const CallContext& ctx) {
  if (Status ok = RequireAdmin(ctx, "manage OAuth secrets"); !ok) {
    return std::unexpected(ok.error());
  }
  Result<store::Principal> sp = FindServicePrincipal(sp_id);
  if (!sp) return std::unexpected(sp.error());
  Secret secret = auth::GenerateOAuthSecret(deps_.random);
  store::OAuthSecret record;
  record.id = deps_.random.Uuid();
  record.principal_id = sp->id;
  record.secret_hash = auth::HashSecretValue(secret.reveal());
  record.created_at = deps_.clock.Now();
  record.expires_at =
      record.created_at + input.lifetime.value_or(deps_.options.oauth_secret_default_lifetime);
  store::AuditEvent event = deps_.audit.Event(
      ctx.Actor(), "oauth_secret.create", "oauth_secret:" + record.id,
      {{"principal_id", sp->id}, {"expire_time", Rfc3339Utc(record.expires_at)}}, ctx.remote_address);
  if (Status created = deps_.audit.Write(event,
                                         [&](const store::AuditEvent* audit) {
                                           return deps_.store.CreateOAuthSecret(record, audit);
                                         });
      !created) {
    return std::unexpected(created.error());
  }
  json out = SecretInfo(record);
  out["secret"] = secret.reveal();
  return out;
}

Result<json> OAuthSecretService::List(const std::string& sp_id, const CallContext& ctx) {
  if (Status ok = RequireAdmin(ctx, "manage OAuth secrets"); !ok) {
    return std::unexpected(ok.error());
  }
  Result<store::Principal> sp = FindServicePrincipal(sp_id);
  if (!sp) return std::unexpected(sp.error());
  Result<std::vector<store::OAuthSecret>> secrets = deps_.store.ListOAuthSecrets(sp->id);
  if (!secrets) return std::unexpected(secrets.error());
  TimePoint now = deps_.clock.Now();
  json list = json::array();
  for (const store::OAuthSecret& s : *secrets) {
    if (s.expires_at > now) list.push_back(SecretInfo(s));
  }
  // One page: no next_page_token, so the SDKs' page loop ends (§8.5).
  return json{{"secrets", list}};
}

Status OAuthSecretService::Delete(const std::string& sp_id, const std::string& secret_id,
                                  const CallContext& ctx) {
  if (Status ok = RequireAdmin(ctx, "manage OAuth secrets"); !ok) return ok;
  Result<store::Principal> sp = FindServicePrincipal(sp_id);
  if (!sp) return std::unexpected(sp.error());
  Result<store::OAuthSecret> secret = deps_.store.GetOAuthSecret(secret_id);
  if (!secret || secret->principal_id != sp->id) {
    if (!secret && secret.error().code != ErrorCode::kNotFound) {
      return std::unexpected(secret.error());
    }
    // Echo the id only when it has an id's shape: never a pasted secret value.
    return MakeError(ErrorCode::kNotFound,
                     "Secret " + (IsGuid(secret_id) ? secret_id : std::string("<malformed>")) +
                         " does not exist.");
  }
  store::AuditEvent event =
      deps_.audit.Event(ctx.Actor(), "oauth_secret.delete", "oauth_secret:" + secret_id,
                        {{"principal_id", sp->id}}, ctx.remote_address);
  return deps_.audit.Write(event, [&](const store::AuditEvent* audit) {
    return deps_.store.DeleteOAuthSecret(secret_id, audit);
  });
}

}  // namespace latchkey::workspace
