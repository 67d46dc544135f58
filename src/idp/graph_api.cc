// A Microsoft Graph v1.0–shaped directory API: applications, their password and certificate
// credentials, and service principals, so that the same JSON works against Graph and latchkey.
// Callers present an access token for https://graph.microsoft.com carrying the
// Application.ReadWrite.All role; every operation is scoped to the token's tenant.
#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "auth/authenticator.h"
#include "base/encoding.h"
#include "crypto/x509.h"
#include "idp/entra_error.h"
#include "idp/identity_provider.h"
#include "jose/jws.h"

namespace latchkey::idp {
namespace {

using nlohmann::json;
constexpr std::string_view kRole = "Application.ReadWrite.All";
constexpr std::string_view kMetadata = "https://graph.microsoft.com/v1.0/$metadata#";
constexpr size_t kMaxFicNameLength = 120;
constexpr size_t kMaxFicValueLength = 600;

// Graph's DateTimeOffset literal as unix seconds: "YYYY-MM-DDTHH:MM:SS", optional fraction,
// then "Z", "+HH:MM", "-HH:MM" or nothing (UTC). Years 0001-9999; nullopt for anything else.
// Plain integer arithmetic: no timegm, and no time_point that could overflow.
std::optional<int64_t> ParseGraphDateTime(std::string_view s) {
  auto digits = [&](size_t pos, size_t n) -> std::optional<int64_t> {
    if (pos + n > s.size()) return std::nullopt;
    int64_t v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
      s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  auto y = digits(0, 4), mo = digits(5, 2), d = digits(8, 2), h = digits(11, 2),
       mi = digits(14, 2), sec = digits(17, 2);
  if (!y || !mo || !d || !h || !mi || !sec) return std::nullopt;
  if (*y < 1 || *mo < 1 || *mo > 12 || *h > 23 || *mi > 59 || *sec > 59) return std::nullopt;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (*y % 4 == 0 && *y % 100 != 0) || *y % 400 == 0;
  const int64_t month_days = kDays[*mo - 1] + (*mo == 2 && leap ? 1 : 0);
  if (*d < 1 || *d > month_days) return std::nullopt;
  size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    size_t n = 0;
    while (pos + 1 + n < s.size() && s[pos + 1 + n] >= '0' && s[pos + 1 + n] <= '9') ++n;
    if (n == 0 || n > 9) return std::nullopt;
    pos += 1 + n;  // fractions of a second are dropped
  }
  int64_t offset = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    auto oh = digits(pos + 1, 2), om = digits(pos + 4, 2);
    if (!oh || !om || pos + 3 >= s.size() || s[pos + 3] != ':' || *oh > 14 || *om > 59) {
      return std::nullopt;
    }
    offset = (s[pos] == '+' ? 1 : -1) * (*oh * 3600 + *om * 60);
    pos += 6;
  }
  if (pos != s.size()) return std::nullopt;
  // Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
  const int64_t yy = *y - (*mo <= 2 ? 1 : 0);
  const int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
  const int64_t yoe = yy - era * 400;
  const int64_t doy = (153 * (*mo + (*mo > 2 ? -3 : 9)) + 2) / 5 + *d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const int64_t days = era * 146097 + doe - 719468;
  return days * 86400 + *h * 3600 + *mi * 60 + *sec - offset;
}

// The base64 DER of a stored PEM certificate (Graph's keyCredential "key").
std::string CertificateDerBase64(const std::string& pem) {
  auto cert = crypto::ParseCertificatePem(pem);
  return cert ? Base64Encode(cert->der) : std::string();
}

// Credential dates latchkey holds: 1970-01-01 to 2261-12-31T23:59:59Z (a system_clock
// time_point counts nanoseconds in 64 bits and ends in April 2262).
constexpr int64_t kMinCredentialSeconds = 0;
constexpr int64_t kMaxCredentialSeconds = 9214646399;

// The Graph caller of the request running on this thread ("app:<client id>"), set by Guard
// for the audit rows of credential changes.
thread_local std::string tl_actor;

class GraphApi {
 public:
  GraphApi(IdentityProvider& idp, const Clock& clock, Random& random)
      : idp_(idp), store_(idp.directory().store()), clock_(clock), random_(random) {}

  // The audit row of a credential change by the current caller, stored in the change's own
  // transaction (issue 22 item 2); never a secret.
  store::AuditEvent CredentialAudit(const http::Request& r, std::string action,
                                    const store::Application& app, json detail) const {
    store::AuditEvent event;
    event.at = clock_.Now();
    event.actor = tl_actor;
    event.action = std::move(action);
    event.target = "app:" + app.app_id;
    event.detail = detail.dump(-1, ' ', false, json::error_handler_t::replace);
    event.remote_address = r.remote_address;
    return event;
  }

  // Runs `fn(tenant, body)` for an authorized caller; renders every failure as a Graph error.
  template <class Fn>
  http::Response Guard(http::Request& request, Fn fn) {
    // The bearer through auth/ and the gate the workspace API shares (one failure budget).
    auth::Gated<jose::VerifiedJwt> token = idp_.bearer_gate().Admit<jose::VerifiedJwt>(
        request.Header("Authorization"), request.remote_address,
        [this](std::string_view bearer) { return VerifyGraphToken(bearer); });
    if (!token) return RenderGraphAuthFailure(token.error(), clock_, request.request_id);
    bool has_role = false;
    if (token->claims.contains("roles") && token->claims["roles"].is_array()) {
      for (const auto& r : token->claims["roles"]) has_role = has_role || r == kRole;
    }
    if (!has_role) {
      return Error(request, 403, "Authorization_RequestDenied",
                   "Insufficient privileges to complete the operation.");
    }
    tl_actor = "app:";
    for (const char* claim : {"appid", "azp"}) {
      if (token->claims.contains(claim) && token->claims[claim].is_string()) {
        tl_actor += token->claims[claim].get<std::string>().substr(0, 128);
        break;
      }
    }
    json body = json::object();
    if (!request.body.empty()) {
      body = json::parse(request.body, nullptr, false);
      if (body.is_discarded() || !body.is_object()) {
        return Error(request, 400, "BadRequest", "Unable to read JSON request payload.");
      }
    }
    try {
      return fn(token->claims["tid"].get<std::string>(), body);
    } catch (const json::exception&) {
      return Error(request, 400, "BadRequest", "A property in the request payload has the wrong type.");
    }
  }

  // An access token of ours for Graph: Graph's own names, or latchkey's public names (a custom
  // az cloud whose Microsoft Graph endpoint is this server asks for tokens whose resource is
  // the server's URL). Parsed once.
  auth::Checked<jose::VerifiedJwt> VerifyGraphToken(std::string_view bearer) {
    auth::Checked<jose::ParsedJwt> parsed = auth::ParseBearerJwt(bearer);
    if (!parsed) return std::unexpected(std::move(parsed).error());
    std::vector<std::string> audiences = {std::string(kGraphResource),
                                          std::string(kGraphResource) + "/",
                                          std::string(kGraphAppId)};
    if (auto aud = parsed->claims.find("aud");
        aud != parsed->claims.end() && aud->is_string() && IsOwnUrl(aud->get<std::string>())) {
      audiences.push_back(aud->get<std::string>());
    }
    return idp_.VerifyOwnToken(*parsed, audiences);
  }

  // Guard, then the application {id} of the caller's tenant: fn(app, body) runs only for an
  // application that exists there (else Graph's 404).
  template <class Fn>
  http::Response GuardApp(http::Request& request, Fn fn) {
    return Guard(request, [&](const std::string& tenant, const json& body) {
      Result<store::Application> app = AppInTenant(tenant, request.params["id"]);
      if (!app) return StoreError(request, app.error());
      return fn(&*app, body);
    });
  }
  static http::Response NoContent() {
    http::Response r;
    r.status = 204;
    return r;
  }

  http::Response Error(const http::Request& request, int status, std::string_view code,
                       std::string_view message) {
    return RenderGraphError(status, code, message, clock_, request.request_id);
  }
  http::Response StoreError(const http::Request& request, const latchkey::Error& e) {
    switch (e.code) {
      case ErrorCode::kNotFound:
        return Error(request, 404, "Request_ResourceNotFound",
                     "Resource does not exist or one of its queried reference-property objects "
                     "are not present.");
      case ErrorCode::kAlreadyExists:
        return Error(request, 409, "Request_MultipleObjectsWithSameKeyValue",
                     "Another object with the same value for property already exists.");
      case ErrorCode::kInvalidArgument:
        return Error(request, 400, "Request_BadRequest", e.message);
      case ErrorCode::kUnavailable:
        return Error(request, 503, "serviceNotAvailable", "The service is temporarily unavailable.");
      default:
        return Error(request, 500, "generalException", "The request could not be completed.");
    }
  }

  json PasswordJson(const store::PasswordCredential& c, const std::string* secret_text) {
    return {{"customKeyIdentifier", nullptr},
            {"displayName", c.display_name},
            {"endDateTime", c.end_at ? json(Rfc3339(*c.end_at)) : json(nullptr)},
            {"hint", c.hint},
            {"keyId", c.key_id},
            {"secretText", secret_text ? json(*secret_text) : json(nullptr)},
            {"startDateTime", Rfc3339(c.start_at)}};
  }

  // "https://<own authority>" or "https://<own authority>/", nothing more.
  bool IsOwnUrl(std::string_view url) {
    if (!url.starts_with("https://")) return false;
    std::string_view authority = url.substr(8);
    if (authority.ends_with('/')) authority.remove_suffix(1);
    if (authority.empty() || authority.find('/') != std::string_view::npos) return false;
    return idp_.IsOwnAuthority(AsciiLower(authority));
  }

  // `with_keys`: keyCredentials carry their certificate ("key"), which Graph returns only to a
  // GET of one application that $selects keyCredentials.
  Result<json> AppJson(const store::Application& app, bool with_keys = false) {
    auto pw = store_.ListPasswordCredentials(app.object_id);
    if (!pw) return std::unexpected(pw.error());
    auto certs = store_.ListCertificateCredentials(app.object_id);
    if (!certs) return std::unexpected(certs.error());
    json passwords = json::array(), keys = json::array();
    for (const auto& c : *pw) passwords.push_back(PasswordJson(c, nullptr));
    for (const auto& c : *certs) {
      keys.push_back({{"customKeyIdentifier", c.thumbprint_sha1},
                      {"displayName", c.display_name},
                      {"endDateTime", Rfc3339(c.end_at)},
                      {"keyId", c.key_id},
                      {"startDateTime", Rfc3339(c.start_at)},
                      {"type", "AsymmetricX509Cert"},
                      {"usage", "Verify"},
                      {"key", with_keys ? json(CertificateDerBase64(c.certificate_pem))
                                        : json(nullptr)}});
    }
    return json{{"id", app.object_id},
                {"appId", app.app_id},
                {"displayName", app.display_name},
                {"identifierUris", app.identifier_uris},
                {"createdDateTime", Rfc3339(app.created_at)},
                {"signInAudience", "AzureADMyOrg"},
                {"publisherDomain", app.tenant_id},
                {"passwordCredentials", passwords},
                {"keyCredentials", keys}};
  }

  json SpJson(const store::DirectoryServicePrincipal& sp) {
    return {{"id", sp.object_id},
            {"appId", sp.app_id},
            {"displayName", sp.display_name},
            {"appOwnerOrganizationId", sp.tenant_id},
            {"accountEnabled", true},
            {"servicePrincipalType", "Application"},
            {"servicePrincipalNames", ServicePrincipalNames(sp)}};
  }
  // The app id and, when the application is in this store, its identifier URIs.
  json ServicePrincipalNames(const store::DirectoryServicePrincipal& sp) {
    json names = json::array({sp.app_id});
    if (auto app = store_.GetApplicationByAppId(sp.app_id)) {
      for (const auto& uri : app->identifier_uris) names.push_back(uri);
    }
    return names;
  }

  // One $filter clause of those Graph supports and az sends: `p eq 'v'`,
  // `startswith(p,'v')`, `p/any(x:x eq 'v')`; clauses joined by " and ".
  struct Clause {
    enum Kind { kEq, kStartsWith, kAny } kind;
    std::string property;
    std::string value;
  };
  struct Query {
    std::vector<Clause> filter;
    std::vector<std::string> select;  // empty: every property
  };
  // Reads a quoted OData string at s[pos] ('' is a quote); advances pos past it.
  static std::optional<std::string> QuotedString(std::string_view s, size_t& pos) {
    if (pos >= s.size() || s[pos] != '\'') return std::nullopt;
    std::string out;
    for (++pos; pos < s.size(); ++pos) {
      if (s[pos] != '\'') {
        out += s[pos];
      } else if (pos + 1 < s.size() && s[pos + 1] == '\'') {
        out += '\'';
        ++pos;
      } else {
        ++pos;
        return out;
      }
    }
    return std::nullopt;
  }
  static std::optional<Clause> ParseClause(std::string_view c) {
    while (!c.empty() && c.front() == ' ') c.remove_prefix(1);
    while (!c.empty() && c.back() == ' ') c.remove_suffix(1);
    size_t pos = 0;
    if (c.starts_with("startswith(")) {
      size_t comma = c.find(',');
      if (comma == std::string_view::npos) return std::nullopt;
      Clause out{Clause::kStartsWith, std::string(c.substr(11, comma - 11)), ""};
      pos = comma + 1;
      while (pos < c.size() && c[pos] == ' ') ++pos;
      auto v = QuotedString(c, pos);
      if (!v || pos + 1 != c.size() || c[pos] != ')') return std::nullopt;
      out.value = std::move(*v);
      return out;
    }
    if (size_t any = c.find("/any("); any != std::string_view::npos) {
      // p/any(x:x eq 'v')
      size_t colon = c.find(':', any);
      if (colon == std::string_view::npos) return std::nullopt;
      std::string_view var = c.substr(any + 5, colon - any - 5);
      std::string_view rest = c.substr(colon + 1);
      const std::string expect = std::string(var) + " eq ";
      if (var.empty() || !rest.starts_with(expect)) return std::nullopt;
      pos = colon + 1 + expect.size();
      auto v = QuotedString(c, pos);
      if (!v || pos + 1 != c.size() || c[pos] != ')') return std::nullopt;
      return Clause{Clause::kAny, std::string(c.substr(0, any)), std::move(*v)};
    }
    size_t eq = c.find(" eq ");
    if (eq == std::string_view::npos) return std::nullopt;
    pos = eq + 4;
    auto v = QuotedString(c, pos);
    if (!v || pos != c.size()) return std::nullopt;
    return Clause{Clause::kEq, std::string(c.substr(0, eq)), std::move(*v)};
  }
  // $filter and $select of the request; nullopt (then a 400) for what latchkey cannot answer.
  static std::optional<Query> ParseQuery(const http::Request& request) {
    Query q;
    auto form = ParseForm(request.query);
    if (!form) return std::nullopt;
    for (const auto& [k, v] : *form) {
      if (k == "$filter") {
        std::string_view rest = v;
        while (true) {
          size_t and_pos = rest.find(" and ");
          auto clause = ParseClause(rest.substr(0, and_pos));
          if (!clause) return std::nullopt;
          q.filter.push_back(std::move(*clause));
          if (and_pos == std::string_view::npos) break;
          rest.remove_prefix(and_pos + 5);
        }
      } else if (k == "$select") {
        std::string_view rest = v;
        while (!rest.empty()) {
          size_t comma = rest.find(',');
          std::string_view name = rest.substr(0, comma);
          while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
          while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
          if (!name.empty()) q.select.emplace_back(name);
          if (comma == std::string_view::npos) break;
          rest.remove_prefix(comma + 1);
        }
      }
    }
    return q;
  }
  // Whether `object` (an application's or service principal's JSON) passes every clause.
  // Strings compare as Graph does: case-insensitively.
  static bool Matches(const json& object, const std::vector<Clause>& filter) {
    for (const auto& c : filter) {
      if (!object.contains(c.property)) return false;
      const json& v = object[c.property];
      bool ok = false;
      switch (c.kind) {
        case Clause::kEq:
          ok = v.is_string() && IEquals(v.get<std::string>(), c.value);
          break;
        case Clause::kStartsWith:
          ok = v.is_string() && v.get<std::string>().size() >= c.value.size() &&
               IEquals(std::string_view(v.get<std::string>()).substr(0, c.value.size()), c.value);
          break;
        case Clause::kAny:
          if (v.is_array()) {
            for (const auto& e : v) ok = ok || (e.is_string() && IEquals(e.get<std::string>(), c.value));
          }
          break;
      }
      if (!ok) return false;
    }
    return true;
  }
  static const std::set<std::string>& FilterableProperties() {
    static const std::set<std::string> names = {"appId", "displayName", "id", "identifierUris",
                                                "servicePrincipalNames"};
    return names;
  }
  static bool Supported(const Query& q) {
    for (const auto& c : q.filter) {
      if (!FilterableProperties().contains(c.property)) return false;
      const bool collection = c.property == "identifierUris" || c.property == "servicePrincipalNames";
      if ((c.kind == Clause::kAny) != collection) return false;
    }
    return true;
  }
  // Keeps only the $selected properties (and @odata.* annotations).
  static json Selected(json object, const std::vector<std::string>& select) {
    if (select.empty()) return object;
    json out = json::object();
    for (auto& [k, v] : object.items()) {
      if (k.starts_with("@odata.") || std::find(select.begin(), select.end(), k) != select.end()) {
        out[k] = v;
      }
    }
    return out;
  }
  static std::string SelectSuffix(const std::vector<std::string>& select) {
    if (select.empty()) return "";
    std::string out = "(";
    for (size_t i = 0; i < select.size(); ++i) out += (i ? "," : "") + select[i];
    return out + ")";
  }

  // A Graph collection: `items` as `to_json` writes them (Result<json>), filtered and selected
  // by the request's query, under "@odata.context": <$metadata#><entity_set>[(<select>)].
  template <class Items, class ToJson>
  http::Response Collection(const http::Request& r, const Query& q, const Items& items,
                            std::string_view entity_set, ToJson to_json) {
    json list = json::array();
    for (const auto& item : items) {
      Result<json> j = to_json(item);
      if (!j) return StoreError(r, j.error());
      if (Matches(*j, q.filter)) list.push_back(Selected(std::move(*j), q.select));
    }
    return http::Response::Json(
        200, json{{"@odata.context",
                   std::string(kMetadata) + std::string(entity_set) + SelectSuffix(q.select)},
                  {"value", list}}
                 .dump());
  }
  // GET of a whole entity set: the query checked, the tenant's items listed (`list`), then
  // written as a Collection.
  template <class List, class ToJson>
  http::Handler ListRoute(std::string_view entity_set, List list, ToJson to_json) {
    return [this, entity_set, list, to_json](http::Request& r) {
      return Guard(r, [&](const std::string& tenant, const json&) {
        auto q = ParseQuery(r);
        if (!q || !Supported(*q)) return UnsupportedQuery(r);
        auto items = list(tenant);
        if (!items) return StoreError(r, items.error());
        return Collection(r, *q, *items, entity_set, to_json);
      });
    };
  }
  http::Response UnsupportedQuery(const http::Request& r) {
    return Error(r, 400, "Request_UnsupportedQuery",
                 "Unsupported or invalid query filter clause specified.");
  }

  // PATCH/POST keyCredentials: the new list replaces the old. An entry with a "key" (base64 DER
  // or PEM) adds that certificate; one without names an existing credential by keyId (as
  // GET returns them, "key": null) and keeps it; every other existing credential is removed.
  Status ReplaceKeyCredentials(const store::Application& app, const json& list) {
    if (!list.is_array()) {
      return MakeError(ErrorCode::kInvalidArgument, "Property 'keyCredentials' must be an array.");
    }
    auto existing = store_.ListCertificateCredentials(app.object_id);
    if (!existing) return std::unexpected(existing.error());
    std::set<std::string> keep;
    std::vector<std::pair<std::string, std::string>> to_add;  // {pem, displayName}
    for (const auto& k : list) {
      if (!k.is_object()) {
        return MakeError(ErrorCode::kInvalidArgument, "Each keyCredential must be an object.");
      }
      const std::string key_id = k.contains("keyId") && k["keyId"].is_string()
                                     ? AsciiLower(k["keyId"].get<std::string>())
                                     : std::string();
      const bool known = std::any_of(existing->begin(), existing->end(),
                                     [&](const auto& c) { return c.key_id == key_id; });
      if (known) {
        keep.insert(key_id);
        continue;
      }
      if (!k.contains("key") || !k["key"].is_string() || k["key"].get<std::string>().empty()) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "Invalid value specified for property 'key' of resource "
                         "'KeyCredential': a new key credential needs its certificate.");
      }
      std::string key = k["key"].get<std::string>();
      std::string pem = key;
      if (auto der = Base64Decode(key)) {
        pem = "-----BEGIN CERTIFICATE-----\n";
        std::string b64 = Base64Encode(*der);
        for (size_t i = 0; i < b64.size(); i += 64) pem += b64.substr(i, 64) + "\n";
        pem += "-----END CERTIFICATE-----\n";
      }
      std::string name = k.contains("displayName") && k["displayName"].is_string()
                             ? k["displayName"].get<std::string>()
                             : std::string();
      to_add.emplace_back(std::move(pem), std::move(name));
    }
    std::vector<std::string> added;
    for (const auto& [pem, name] : to_add) {
      auto cred = idp_.directory().AddCertificate(app.object_id, pem, name);
      if (!cred) {
        for (const auto& id : added) (void)store_.RemoveCertificateCredential(app.object_id, id);
        return std::unexpected(cred.error());
      }
      added.push_back(cred->key_id);
    }
    for (const auto& c : *existing) {
      if (keep.contains(c.key_id)) continue;
      if (auto st = store_.RemoveCertificateCredential(app.object_id, c.key_id); !st) return st;
    }
    return Ok();
  }

  Result<store::Application> AppInTenant(const std::string& tenant, const std::string& object_id) {
    auto app = store_.GetApplicationByObjectId(AsciiLower(object_id));
    if (!app) return app;
    if (app->tenant_id != tenant) return MakeError(ErrorCode::kNotFound, "not in tenant");
    return app;
  }

  // ---- Federated identity credentials (/applications/{id}/federatedIdentityCredentials) ----

  json FicJson(const store::FederatedIdentityCredential& c) {
    return {{"id", c.id},
            {"name", c.name},
            {"issuer", c.issuer},
            {"subject", c.subject},
            {"description", c.description.empty() ? json(nullptr) : json(c.description)},
            {"audiences", c.audiences}};
  }
  std::string FicContext(const store::Application& app, bool entity) {
    return std::string(kMetadata) + "applications('" + app.object_id +
           "')/federatedIdentityCredentials" + (entity ? "/$entity" : "");
  }
  // Entra's rules for a name: 3 to 120 characters of letters, digits, '-' and '_', starting with
  // a letter or digit. Fixed once created.
  static bool ValidFicName(std::string_view name) {
    if (name.size() < 3 || name.size() > kMaxFicNameLength) return false;
    auto alnum = [](char ch) {
      return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
    };
    if (!alnum(name[0])) return false;
    for (char ch : name)
      if (!alnum(ch) && ch != '-' && ch != '_') return false;
    return true;
  }
  // Printable ASCII without spaces: what an issuer URL, a subject or an audience can hold here
  // (they are compared byte for byte with a token's claims).
  static bool PrintableNoSpace(std::string_view v) {
    for (unsigned char ch : v)
      if (ch <= 0x20 || ch >= 0x7f) return false;
    return true;
  }
  // Applies the fields `body` names to `c`; an error message for the first invalid one. The
  // issuer must be an https URL with a host: its keys are fetched from
  // <issuer>/.well-known/openid-configuration, over HTTPS only.
  static std::optional<std::string> ApplyFicFields(const json& body,
                                                   store::FederatedIdentityCredential& c,
                                                   bool creating) {
    auto text = [&](const char* name, std::string& out, bool required) -> std::optional<std::string> {
      if (!body.contains(name) || body[name].is_null()) {
        if (required) return std::string("Property '") + name + "' is required.";
        return std::nullopt;
      }
      if (!body[name].is_string()) {
        return std::string("Property '") + name + "' must be a string.";
      }
      out = body[name].get<std::string>();
      return std::nullopt;
    };
    if (auto e = text("issuer", c.issuer, creating)) return e;
    if (auto e = text("subject", c.subject, creating)) return e;
    if (body.contains("description") && body["description"].is_null()) {
      c.description.clear();
    } else if (auto e = text("description", c.description, false)) {
      return e;
    }
    if (body.contains("audiences") && !body["audiences"].is_null()) {
      const json& a = body["audiences"];
      if (!a.is_array() || a.size() != 1 || !a[0].is_string()) {
        return std::string(
            "Property 'audiences' must hold exactly one audience (Entra allows one value).");
      }
      c.audiences = {a[0].get<std::string>()};
    } else if (creating) {
      c.audiences = {std::string(kFederationDefaultAudience)};
    }
    const std::string_view issuer = c.issuer;
    if (issuer.size() > kMaxFicValueLength || !PrintableNoSpace(issuer) ||
        !issuer.starts_with("https://") || issuer.size() <= 8 || issuer[8] == '/' ||
        issuer.find_first_of("?#", 8) != std::string_view::npos) {
      return std::string(
          "Property 'issuer' must be an https URL of at most 600 characters, with no query or "
          "fragment.");
    }
    if (c.subject.empty() || c.subject.size() > kMaxFicValueLength || !PrintableNoSpace(c.subject)) {
      return std::string("Property 'subject' must be 1 to 600 printable characters.");
    }
    if (c.audiences.size() != 1 || c.audiences[0].empty() ||
        c.audiences[0].size() > kMaxFicValueLength || !PrintableNoSpace(c.audiences[0])) {
      return std::string("Property 'audiences' must hold one value of 1 to 600 printable characters.");
    }
    if (c.description.size() > kMaxFicValueLength) {
      return std::string("Property 'description' must be at most 600 characters.");
    }
    return std::nullopt;
  }
  // A credential of `app` by id, or by name (either as the path segment, or Graph's
  // "federatedIdentityCredentials(name='...')" key form).
  Result<store::FederatedIdentityCredential> FindFic(const store::Application& app,
                                                     std::string_view key, bool by_name) {
    auto list = store_.ListFederatedCredentials(app.object_id);
    if (!list) return std::unexpected(list.error());
    for (auto& c : *list) {
      if ((!by_name && IEquals(c.id, key)) || IEquals(c.name, key)) return std::move(c);
    }
    return MakeError(ErrorCode::kNotFound, "no such federated identity credential");
  }
  static std::optional<std::string> NameKey(std::string_view segment) {
    constexpr std::string_view kPrefix = "federatedIdentityCredentials(name=";
    if (!segment.starts_with(kPrefix) || !segment.ends_with(")")) return std::nullopt;
    std::string_view inner = segment.substr(kPrefix.size(), segment.size() - kPrefix.size() - 1);
    size_t pos = 0;
    auto v = QuotedString(inner, pos);
    if (!v || pos != inner.size()) return std::nullopt;
    return v;
  }
  http::Response FicError(const http::Request& r, const latchkey::Error& e) {
    if (e.code == ErrorCode::kResourceExhausted) {
      return Error(r, 400, "Request_BadRequest",
                   "The application already has the maximum number of federated identity "
                   "credentials (" + std::to_string(kMaxFederatedCredentialsPerApp) + ").");
    }
    if (e.code == ErrorCode::kAlreadyExists) {
      return Error(r, 409, "Request_MultipleObjectsWithSameKeyValue",
                   "A federated identity credential with the same name, or with the same "
                   "issuer and subject, already exists on the application.");
    }
    return StoreError(r, e);
  }
  http::Response CreateFic(http::Request& r, const store::Application& app, const json& body,
                           std::optional<std::string> name_from_path) {
    store::FederatedIdentityCredential c;
    c.id = random_.Uuid();
    c.app_object_id = app.object_id;
    c.created_at = clock_.Now();
    if (name_from_path) {
      c.name = *name_from_path;
    } else if (!body.contains("name") || !body["name"].is_string()) {
      return Error(r, 400, "Request_BadRequest", "Property 'name' is required.");
    } else {
      c.name = body["name"].get<std::string>();
    }
    if (!ValidFicName(c.name)) {
      return Error(r, 400, "Request_BadRequest",
                   "Property 'name' must be 3 to 120 letters, digits, '-' or '_', starting "
                   "with a letter or digit.");
    }
    if (auto e = ApplyFicFields(body, c, true)) return Error(r, 400, "Request_BadRequest", *e);
    const store::AuditEvent audit = CredentialAudit(
        r, "app.federated_credential_add", app,
        {{"id", c.id}, {"name", c.name}, {"issuer", c.issuer}, {"subject", c.subject}});
    if (auto st = store_.AddFederatedCredential(c, kMaxFederatedCredentialsPerApp, &audit); !st) {
      return FicError(r, st.error());
    }
    idp_.AuditCommitted(audit);
    if (idp_.federation_keys() != nullptr) idp_.federation_keys()->Prefetch(c.issuer);
    json j = FicJson(c);
    j["@odata.context"] = FicContext(app, true);
    return http::Response::Json(201, j.dump());
  }
  http::Response UpdateFic(http::Request& r, const store::Application& app,
                           store::FederatedIdentityCredential c, const json& body) {
    if (body.contains("name") && !(body["name"].is_string() && body["name"] == c.name)) {
      return Error(r, 400, "Request_BadRequest",
                   "Property 'name' of a federated identity credential cannot be changed.");
    }
    if (body.contains("id") && !(body["id"].is_string() && IEquals(body["id"].get<std::string>(), c.id))) {
      return Error(r, 400, "Request_BadRequest", "Property 'id' cannot be changed.");
    }
    if (auto e = ApplyFicFields(body, c, false)) return Error(r, 400, "Request_BadRequest", *e);
    const store::AuditEvent audit = CredentialAudit(
        r, "app.federated_credential_update", app,
        {{"id", c.id}, {"name", c.name}, {"issuer", c.issuer}, {"subject", c.subject}});
    if (auto st = store_.UpdateFederatedCredential(c, &audit); !st) return FicError(r, st.error());
    idp_.AuditCommitted(audit);
    if (idp_.federation_keys() != nullptr) idp_.federation_keys()->Prefetch(c.issuer);
    return NoContent();
  }

  void RegisterFederatedCredentials(http::Router& router) {
    const std::string base = "/v1.0/applications/{id}/federatedIdentityCredentials";
    router.Add("POST", base, [this](http::Request& r) {
      return GuardApp(r, [&](const store::Application* app, const json& body) {
        return CreateFic(r, *app, body, std::nullopt);
      });
    });
    router.Add("GET", base, [this](http::Request& r) {
      return Guard(r, [&](const std::string& tenant, const json&) {
        auto q = ParseQuery(r);
        if (!q) return UnsupportedQuery(r);
        for (const auto& c : q->filter) {
          if (c.kind == Clause::kStartsWith ||
              (c.kind == Clause::kAny) != (c.property == "audiences") ||
              (c.property != "name" && c.property != "issuer" && c.property != "subject" &&
               c.property != "id" && c.property != "audiences")) {
            return UnsupportedQuery(r);
          }
        }
        auto app = AppInTenant(tenant, r.params["id"]);
        if (!app) return StoreError(r, app.error());
        auto list = store_.ListFederatedCredentials(app->object_id);
        if (!list) return StoreError(r, list.error());
        json value = json::array();
        for (const auto& c : *list) {
          json j = FicJson(c);
          if (Matches(j, q->filter)) value.push_back(Selected(std::move(j), q->select));
        }
        return http::Response::Json(
            200, json{{"@odata.context", FicContext(*app, false)}, {"value", value}}.dump());
      });
    });
    // One credential: /federatedIdentityCredentials/{id or name}, and Graph's key form
    // /federatedIdentityCredentials(name='{name}') (whose PATCH creates a missing one: upsert).
    auto one = [this](std::string method) {
      return [this, method](http::Request& r) {
        return Guard(r, [&](const std::string& tenant, const json& body) {
          std::string key;
          bool by_name = false;
          if (r.params.count("fic")) {
            key = r.params["fic"];
          } else {
            auto name = NameKey(r.params["segment"]);
            if (!name) return StoreError(r, latchkey::Error{ErrorCode::kNotFound, ""});
            key = std::move(*name);
            by_name = true;
          }
          auto app = AppInTenant(tenant, r.params["id"]);
          if (!app) return StoreError(r, app.error());
          auto c = FindFic(*app, key, by_name);
          if (method == "PATCH" && by_name && !c && c.error().code == ErrorCode::kNotFound) {
            return CreateFic(r, *app, body, key);
          }
          if (!c) return StoreError(r, c.error());
          if (method == "GET") {
            json j = FicJson(*c);
            j["@odata.context"] = FicContext(*app, true);
            return http::Response::Json(200, j.dump());
          }
          if (method == "PATCH") return UpdateFic(r, *app, std::move(*c), body);
          const store::AuditEvent audit = CredentialAudit(
              r, "app.federated_credential_remove", *app, {{"id", c->id}, {"name", c->name}});
          if (auto st = store_.RemoveFederatedCredential(app->object_id, c->id, &audit); !st) {
            return StoreError(r, st.error());
          }
          idp_.AuditCommitted(audit);
          return NoContent();
        });
      };
    };
    for (const char* m : {"GET", "PATCH", "DELETE"}) {
      router.Add(m, base + "/{fic}", one(m));
      router.Add(m, "/v1.0/applications/{id}/{segment}", one(m));
    }
  }

  void Register(http::Router& router) {
    RegisterFederatedCredentials(router);
    RegisterApplications(router);
    RegisterApplication(router);
    RegisterPasswords(router);
    RegisterServicePrincipals(router);
  }

  // POST and GET /v1.0/applications.
  void RegisterApplications(http::Router& router) {
    router.Add("POST", "/v1.0/applications", [this](http::Request& r) {
      return Guard(r, [&](const std::string& tenant, const json& body) {
        if (!body.contains("displayName") || !body["displayName"].is_string()) {
          return Error(r, 400, "Request_BadRequest", "Property 'displayName' is required.");
        }
        std::vector<std::string> uris;
        if (body.contains("identifierUris")) uris = body["identifierUris"].get<std::vector<std::string>>();
        // As in Graph, an application has no service principal until one is created for it
        // (POST /servicePrincipals, `az ad sp create`).
        auto app = idp_.directory().CreateApplication(tenant, body["displayName"], uris, {},
                                                      /*with_service_principal=*/false);
        if (!app) return StoreError(r, app.error());
        if (body.contains("keyCredentials") && !body["keyCredentials"].empty()) {
          if (auto st = ReplaceKeyCredentials(*app, body["keyCredentials"]); !st) {
            (void)store_.DeleteApplication(app->object_id);
            return StoreError(r, st.error());
          }
        }
        auto j = AppJson(*app);
        if (!j) return StoreError(r, j.error());
        (*j)["@odata.context"] = std::string(kMetadata) + "applications/$entity";
        return http::Response::Json(201, j->dump());
      });
    });
    router.Add("GET", "/v1.0/applications",
               ListRoute(
                   "applications",
                   [this](const std::string& tenant) { return store_.ListApplications(tenant); },
                   [this](const store::Application& app) { return AppJson(app); }));
  }

  // GET, PATCH and DELETE /v1.0/applications/{id}.
  void RegisterApplication(http::Router& router) {
    router.Add("GET", "/v1.0/applications/{id}", [this](http::Request& r) {
      return Guard(r, [&](const std::string& tenant, const json&) {
        auto q = ParseQuery(r);
        if (!q) return UnsupportedQuery(r);
        auto app = AppInTenant(tenant, r.params["id"]);
        if (!app) return StoreError(r, app.error());
        const bool with_keys = std::find(q->select.begin(), q->select.end(), "keyCredentials") !=
                               q->select.end();
        auto j = AppJson(*app, with_keys);
        if (!j) return StoreError(r, j.error());
        (*j)["@odata.context"] =
            std::string(kMetadata) + "applications" + SelectSuffix(q->select) + "/$entity";
        return http::Response::Json(200, Selected(std::move(*j), q->select).dump());
      });
    });
    router.Add("PATCH", "/v1.0/applications/{id}", [this](http::Request& r) {
      return GuardApp(r, [&](const store::Application* app, const json& body) {
        // PATCH replaces the properties it names. latchkey stores displayName, identifierUris
        // and keyCredentials; the first two cannot change yet, so only their current values
        // are accepted (what `az ad app create` sends again for an existing app).
        for (const auto& [name, value] : body.items()) {
          if (name == "keyCredentials" || name.starts_with("@odata.")) continue;
          if (name == "displayName" && value == app->display_name) continue;
          if (name == "identifierUris" && value == json(app->identifier_uris)) continue;
          return Error(r, 400, "Request_BadRequest",
                       "Changing property '" + name.substr(0, 64) +
                           "' of an application is not supported by latchkey.");
        }
        if (body.contains("keyCredentials")) {
          if (auto st = ReplaceKeyCredentials(*app, body["keyCredentials"]); !st) {
            return StoreError(r, st.error());
          }
        }
        return NoContent();
      });
    });
    router.Add("DELETE", "/v1.0/applications/{id}", [this](http::Request& r) {
      return GuardApp(r, [&](const store::Application* app, const json&) {
        if (auto st = store_.DeleteApplication(app->object_id); !st) return StoreError(r, st.error());
        return NoContent();
      });
    });
  }

  // addPassword and removePassword on /v1.0/applications/{id}.
  void RegisterPasswords(http::Router& router) {
    router.Add("POST", "/v1.0/applications/{id}/addPassword", [this](http::Request& r) {
      return GuardApp(r, [&](const store::Application* app, const json& body) {
        json pc = body.value("passwordCredential", json::object());
        if (!pc.is_object()) {
          return Error(r, 400, "BadRequest", "Property 'passwordCredential' must be an object.");
        }
        // Graph: startDateTime defaults to now, endDateTime to start + 2 years; the end must lie
        // after both the start and now.
        const TimePoint now = clock_.Now();
        // In whole seconds until checked, so no arithmetic can leave time_point's range.
        int64_t start = ToUnixSeconds(now);
        std::optional<int64_t> end;
        for (const char* name : {"startDateTime", "endDateTime"}) {
          if (!pc.contains(name) || pc[name].is_null()) continue;
          const std::string text = pc[name].is_string() ? pc[name].get<std::string>() : "";
          std::optional<int64_t> secs = ParseGraphDateTime(text);
          if (!secs) {
            return Error(r, 400, "BadRequest",
                         "Cannot convert the literal '" + text.substr(0, 64) +
                             "' to the expected type 'Edm.DateTimeOffset'.");
          }
          (std::string_view(name) == "startDateTime" ? start : end.emplace()) = *secs;
        }
        if (!end) end = start + 730 * 86400;  // Graph's default: two years
        for (auto [name, secs] :
             {std::pair{"startDateTime", start}, std::pair{"endDateTime", *end}}) {
          if (secs < kMinCredentialSeconds || secs > kMaxCredentialSeconds) {
            return Error(r, 400, "Request_BadRequest",
                         std::string("Invalid value specified for property '") + name +
                             "' of resource 'PasswordCredential'. Dates must lie between "
                             "1970-01-01 and 2261-12-31.");
          }
        }
        if (*end <= start || *end <= ToUnixSeconds(now)) {
          return Error(r, 400, "Request_BadRequest",
                       "Invalid value specified for property 'endDateTime' of resource "
                       "'PasswordCredential'. The end date must be later than the start date and "
                       "than the current time.");
        }
        std::string display_name;
        if (pc.contains("displayName") && !pc["displayName"].is_null()) {
          display_name = pc["displayName"].get<std::string>();  // a wrong type is a 400
        }
        store::AuditEvent audit =
            CredentialAudit(r, "app.password_add", *app, {{"start", start}, {"end", *end}});
        auto added = idp_.directory().AddPassword(app->object_id, std::move(display_name),
                                                  FromUnixSeconds(start), FromUnixSeconds(*end),
                                                  &audit);
        if (!added) return StoreError(r, added.error());
        idp_.AuditCommitted(audit);
        json j = PasswordJson(added->credential, &added->secret_text.reveal());
        j["@odata.context"] = std::string(kMetadata) + "microsoft.graph.passwordCredential";
        return http::Response::Json(200, j.dump());
      });
    });
    router.Add("POST", "/v1.0/applications/{id}/removePassword", [this](http::Request& r) {
      return GuardApp(r, [&](const store::Application* app, const json& body) {
        if (!body.contains("keyId") || !body["keyId"].is_string()) {
          return Error(r, 400, "Request_BadRequest", "Property 'keyId' is required.");
        }
        const std::string key_id = AsciiLower(body["keyId"].get<std::string>());
        store::AuditEvent audit = CredentialAudit(r, "app.password_remove", *app, json::object());
        audit.target += ":password:" + key_id.substr(0, 64);
        auto st = store_.RemovePasswordCredential(app->object_id, key_id, &audit);
        if (!st) return StoreError(r, st.error());
        idp_.AuditCommitted(audit);
        return NoContent();
      });
    });
  }

  // /v1.0/servicePrincipals[/{id}].
  void RegisterServicePrincipals(http::Router& router) {
    router.Add("POST", "/v1.0/servicePrincipals", [this](http::Request& r) {
      return Guard(r, [&](const std::string& tenant, const json& body) {
        if (!body.contains("appId") || !body["appId"].is_string()) {
          return Error(r, 400, "Request_BadRequest", "Property 'appId' is required.");
        }
        const std::string app_id = AsciiLower(body["appId"].get<std::string>());
        auto app = store_.GetApplicationByAppId(app_id);
        if (!app && app.error().code == ErrorCode::kNotFound) {
          // Graph's words (az create-for-rbac retries on "does not reference").
          return Error(r, 400, "Request_BadRequest",
                       "The appId '" + app_id.substr(0, 64) +
                           "' of the service principal does not reference a valid application "
                           "object.");
        }
        if (!app) return StoreError(r, app.error());
        store::DirectoryServicePrincipal sp{random_.Uuid(), app->app_id, tenant, app->display_name,
                                            clock_.Now()};
        if (auto st = store_.CreateDirectoryServicePrincipal(sp); !st) {
          if (st.error().code == ErrorCode::kAlreadyExists) {
            return Error(r, 409, "Request_MultipleObjectsWithSameKeyValue",
                         "The service principal cannot be created, updated, or restored because "
                         "the service principal name " +
                             app->app_id + " is already in use.");
          }
          return StoreError(r, st.error());
        }
        json j = SpJson(sp);
        j["@odata.context"] = std::string(kMetadata) + "servicePrincipals/$entity";
        return http::Response::Json(201, j.dump());
      });
    });
    router.Add("GET", "/v1.0/servicePrincipals",
               ListRoute(
                   "servicePrincipals",
                   [this](const std::string& tenant) {
                     return store_.ListDirectoryServicePrincipals(tenant);
                   },
                   [this](const store::DirectoryServicePrincipal& sp) -> Result<json> {
                     return SpJson(sp);
                   }));
    router.Add("GET", "/v1.0/servicePrincipals/{id}", [this](http::Request& r) {
      return Guard(r, [&](const std::string& tenant, const json&) {
        auto q = ParseQuery(r);
        if (!q) return UnsupportedQuery(r);
        auto sp = store_.GetDirectoryServicePrincipal(AsciiLower(r.params["id"]));
        if (!sp || sp->tenant_id != tenant) {
          return StoreError(r, latchkey::Error{ErrorCode::kNotFound, ""});
        }
        json j = SpJson(*sp);
        j["@odata.context"] =
            std::string(kMetadata) + "servicePrincipals" + SelectSuffix(q->select) + "/$entity";
        return http::Response::Json(200, Selected(std::move(j), q->select).dump());
      });
    });
    router.Add("DELETE", "/v1.0/servicePrincipals/{id}", [this](http::Request& r) {
      return Guard(r, [&](const std::string& tenant, const json&) {
        auto sp = store_.GetDirectoryServicePrincipal(AsciiLower(r.params["id"]));
        if (!sp || sp->tenant_id != tenant) {
          return StoreError(r, latchkey::Error{ErrorCode::kNotFound, ""});
        }
        if (auto st = store_.DeleteDirectoryServicePrincipal(sp->object_id); !st) {
          return StoreError(r, st.error());
        }
        return NoContent();
      });
    });
  }

 private:
  IdentityProvider& idp_;
  store::Store& store_;
  const Clock& clock_;
  Random& random_;
};

}  // namespace

void RegisterGraphRoutes(http::Router& router, IdentityProvider& idp, const Clock& clock,
                         Random& random) {
  // Routes hold a pointer to the API; it lives as long as the process (the router does too).
  static std::vector<std::unique_ptr<GraphApi>> apis;
  apis.push_back(std::make_unique<GraphApi>(idp, clock, random));
  apis.back()->Register(router);
}

}  // namespace latchkey::idp
