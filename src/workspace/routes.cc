// Every workspace route and the one wrapper that authenticates, decodes and maps errors for
// them (STYLE §7: decode -> Handle -> encode).
#include <spdlog/spdlog.h>

#include "http/router.h"
#include "workspace/api_error.h"
#include "workspace/workspace.h"
#include "workspace/workspace_services.h"

namespace latchkey::workspace {

using nlohmann::json;

namespace {

http::Response ErrorFor(ErrorStyle style, const Error& error, const http::Request& request) {
  return style == ErrorStyle::kScim ? ScimErrorResponse(error, request.request_id)
                                    : ApiErrorResponse(error, request.request_id);
}

http::Response Encode(const Reply& reply) {
  http::Response response;
  if (reply.no_body) {
    response.status = reply.status;
  } else if (reply.encoded) {
    response = http::Response::Json(reply.status, *reply.encoded);
  } else if (reply.body.is_null()) {
    response = http::Response::Json(reply.status, "{}");
  } else {
    response = http::Response::Json(
        reply.status, reply.body.dump(-1, ' ', false, json::error_handler_t::replace));
  }
  for (const auto& [name, value] : reply.headers) response.SetHeader(name, value);
  return response;
}

// The body of a request without one; shared so that a GET allocates no JSON object.
const json& EmptyObject() {
  static const json empty = json::object();
  return empty;
}

bool HasBody(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH";
}

// Adapts a Result<json> or Status to Result<Reply>.
Result<Reply> AsReply(Result<json> result) {
  if (!result) return std::unexpected(result.error());
  return Reply(std::move(*result));
}
Result<Reply> AsReply(const Status& status) {
  if (!status) return std::unexpected(status.error());
  return Reply();
}

}  // namespace

http::Handler Services::Api(ErrorStyle style, ApiHandler handler) {
  return [this, style, handler = std::move(handler)](http::Request& request) {
    // The one gate (Authenticator::Guard): a locked-out address's failures get 429 and write
    // nothing; a valid token from the same address is never slowed.
    // The web page's session cookie, only when no bearer is sent (web_sessions.h).
    auth::Gated<auth::AuthenticatedPrincipal> caller =
        WebSessions::UsesCookie(request)
            ? web_sessions.Guard(request)
            : authenticator.Guard(request.Header("authorization"), request.remote_address,
                                  request.Host());
    if (!caller) return AuthFailureResponse(caller.error(), request.request_id);
    CallContext context{std::move(*caller), request.remote_address};
    std::string principal = context.Actor();
    Result<FormFields> query = ParseQuery(request.query);
    if (!query) return ErrorFor(style, query.error(), request);
    std::optional<json> body;
    if (HasBody(request.method)) {
      Result<json> parsed = ParseJsonBody(request.body);
      if (!parsed) {
        return style == ErrorStyle::kScim ? ScimMalformedRequest(parsed.error().message)
                                          : MalformedRequest(parsed.error().message);
      }
      body = std::move(*parsed);
    }
    ApiCall call{request, body ? *body : EmptyObject(), std::move(*query)};
    http::Response response;
    try {
      Result<Reply> reply = handler(call, context);
      response = reply ? Encode(*reply) : ErrorFor(style, reply.error(), request);
    } catch (const json::exception& e) {
      // Decoders check types before reading; this is the last line against a missed check.
      spdlog::warn("event=json_decode_exception request_id={} what=\"{}\"", request.request_id,
                   e.what());
      response = ErrorFor(style, Error{ErrorCode::kInvalidArgument, "Invalid request body."},
                          request);
    }
    response.log_principal = std::move(principal);
    return response;
  };
}

namespace {

// The route table, in the groups of the Databricks API reference. Each group adds its
// routes with `api` (Databricks error JSON) or `scim` (SCIM error JSON).
struct RouteTable {
  http::Router& router;
  Services& s;
  void Api(std::string_view method, std::string_view path, ApiHandler handler) {
    router.Add(method, path, s.Api(ErrorStyle::kDatabricks, std::move(handler)));
  }
  void Scim(std::string_view method, std::string_view path, ApiHandler handler) {
    router.Add(method, path, s.Api(ErrorStyle::kScim, std::move(handler)));
  }
};

void RegisterTokenApi(RouteTable& t) {
  Services& s = t.s;
  // §4 token API.
  t.Api("POST", "/api/2.0/token/create", [&s](const ApiCall& call, const CallContext& ctx) {
    Result<CreateTokenInput> input = DecodeCreateToken(call.body);
    if (!input) return Result<Reply>(std::unexpected(input.error()));
    Result<IssuedPat> issued = s.tokens.Create(*input, ctx);
    if (!issued) return Result<Reply>(std::unexpected(issued.error()));
    return Result<Reply>(EncodeCreatedToken(*issued));
  });
  t.Api("GET", "/api/2.0/token/list", [&s](const ApiCall&, const CallContext& ctx) {
    Result<std::vector<store::Pat>> pats = s.tokens.List(ctx);
    if (!pats) return Result<Reply>(std::unexpected(pats.error()));
    return Result<Reply>(EncodeTokenList(*pats));
  });
  t.Api("POST", "/api/2.0/token/delete", [&s](const ApiCall& call, const CallContext& ctx) {
    Result<DeleteTokenInput> input = DecodeDeleteToken(call.body);
    if (!input) return Result<Reply>(std::unexpected(input.error()));
    return AsReply(s.tokens.Delete(*input, ctx));
  });
}

void RegisterTokenManagement(RouteTable& t) {
  Services& s = t.s;
  // §5 token management.
  t.Api("GET", "/api/2.0/token-management/tokens", [&s](const ApiCall& call, const CallContext& ctx) {
    Result<ListTokensInput> input = DecodeListTokens(call);
    if (!input) return Result<Reply>(std::unexpected(input.error()));
    Result<std::vector<TokenInfo>> infos = s.token_management.List(*input, ctx);
    if (!infos) return Result<Reply>(std::unexpected(infos.error()));
    json list = json::array();
    for (const TokenInfo& info : *infos) {
      list.push_back(EncodeTokenInfo(info, s.options.workspace_id));
    }
    return Result<Reply>(json{{"token_infos", list}});
  });
  t.Api("GET", "/api/2.0/token-management/tokens/{token_id}",
      [&s](const ApiCall& call, const CallContext& ctx) {
        Result<TokenInfo> info = s.token_management.Get(call.Param("token_id"), ctx);
        if (!info) return Result<Reply>(std::unexpected(info.error()));
        return Result<Reply>(json{{"token_info", EncodeTokenInfo(*info, s.options.workspace_id)}});
      });
  t.Api("DELETE", "/api/2.0/token-management/tokens/{token_id}",
      [&s](const ApiCall& call, const CallContext& ctx) {
        return AsReply(s.token_management.Delete(call.Param("token_id"), ctx));
      });
  t.Api("POST", "/api/2.0/token-management/on-behalf-of/tokens",
      [&s](const ApiCall& call, const CallContext& ctx) {
        Result<OboTokenInput> input = DecodeOboToken(call.body);
        if (!input) return Result<Reply>(std::unexpected(input.error()));
        auto created = s.token_management.CreateOnBehalfOf(*input, ctx);
        if (!created) return Result<Reply>(std::unexpected(created.error()));
        return Result<Reply>(
            json{{"token_value", created->first.value.reveal()},
                 {"token_info", EncodeTokenInfo(created->second, s.options.workspace_id)}});
      });
}

void RegisterTokenPermissions(RouteTable& t) {
  Services& s = t.s;
  // §5.6 token permissions, with the /preview/ alias.
  for (std::string prefix : {"/api/2.0/permissions", "/api/2.0/preview/permissions"}) {
    std::string path = prefix + "/authorization/tokens";
    t.Api("GET", path, [&s](const ApiCall&, const CallContext& ctx) {
      return AsReply(s.permissions.Get(ctx));
    });
    t.Api("PUT", path, [&s](const ApiCall& call, const CallContext& ctx) {
      Result<SetPermissionsInput> input = DecodeSetPermissions(call.body);
      if (!input) return Result<Reply>(std::unexpected(input.error()));
      return AsReply(s.permissions.Replace(*input, ctx));
    });
    t.Api("PATCH", path, [&s](const ApiCall& call, const CallContext& ctx) {
      Result<SetPermissionsInput> input = DecodeSetPermissions(call.body);
      if (!input) return Result<Reply>(std::unexpected(input.error()));
      return AsReply(s.permissions.Update(*input, ctx));
    });
    t.Api("GET", path + "/permissionLevels", [](const ApiCall&, const CallContext&) {
      return Result<Reply>(EncodePermissionLevels());
    });
  }
}

void RegisterWorkspaceConf(RouteTable& t) {
  Services& s = t.s;
  // §6 workspace-conf.
  t.Api("GET", "/api/2.0/workspace-conf", [&s](const ApiCall& call, const CallContext& ctx) {
    Result<GetConfInput> input = DecodeGetConf(call);
    if (!input) return Result<Reply>(std::unexpected(input.error()));
    return AsReply(s.conf.Get(*input, ctx));
  });
  t.Api("PATCH", "/api/2.0/workspace-conf", [&s](const ApiCall& call, const CallContext& ctx) {
    Result<SetConfInput> input = DecodeSetConf(call.body);
    if (!input) return Result<Reply>(std::unexpected(input.error()));
    return AsReply(s.conf.Set(*input, ctx));  // §6 [U]: 200 {}
  });
}

void RegisterScim(RouteTable& t) {
  Services& s = t.s;
  // §7 SCIM.
  const std::string scim_base = "/api/2.0/preview/scim/v2/";
  t.Scim("GET", scim_base + "Me", [&s](const ApiCall&, const CallContext& ctx) {
    return s.scim.Me(ctx);
  });
  // Not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
  for (const auto& entry : {std::pair{"Users", ScimResource::kUsers},
                            std::pair{"ServicePrincipals", ScimResource::kServicePrincipals},
                            std::pair{"Groups", ScimResource::kGroups}}) {
    const ScimResource resource = entry.second;
    std::string collection = scim_base + entry.first;
    std::string item = collection + "/{id}";
    bool is_group = resource == ScimResource::kGroups;
    t.Scim("GET", collection, [&s, resource](const ApiCall& call, const CallContext& ctx) {
      Result<ScimListQuery> query = DecodeScimListQuery(call, resource);
      if (!query) return Result<Reply>(std::unexpected(query.error()));
      return s.scim.List(resource, *query, ctx);
    });
    t.Scim("GET", item, [&s, resource](const ApiCall& call, const CallContext& ctx) {
      return s.scim.Get(resource, call.Param("id"), ctx);
    });
    t.Scim("DELETE", item, [&s, resource](const ApiCall& call, const CallContext& ctx) {
      Status deleted = s.scim.Delete(resource, call.Param("id"), ctx);
      if (!deleted) return Result<Reply>(std::unexpected(deleted.error()));
      return Result<Reply>(Reply::NoContent());
    });
    t.Scim("PATCH", item, [&s, resource, is_group](const ApiCall& call, const CallContext& ctx) {
      Result<std::vector<PatchOperation>> ops = DecodePatch(call.body);
      if (!ops) return Result<Reply>(std::unexpected(ops.error()));
      return is_group ? s.scim.PatchGroup(call.Param("id"), *ops, ctx)
                      : s.scim.PatchPrincipal(resource, call.Param("id"), *ops, ctx);
    });
    if (is_group) {
      t.Scim("POST", collection, [&s](const ApiCall& call, const CallContext& ctx) {
        Result<GroupInput> input = DecodeGroupInput(call.body);
        if (!input) return Result<Reply>(std::unexpected(input.error()));
        return s.scim.CreateGroup(*input, ctx);
      });
      t.Scim("PUT", item, [&s](const ApiCall& call, const CallContext& ctx) {
        Result<GroupInput> input = DecodeGroupInput(call.body);
        if (!input) return Result<Reply>(std::unexpected(input.error()));
        return s.scim.ReplaceGroup(call.Param("id"), *input, ctx);
      });
    } else {
      t.Scim("POST", collection, [&s, resource](const ApiCall& call, const CallContext& ctx) {
        Result<PrincipalInput> input = DecodePrincipalInput(call.body);
        if (!input) return Result<Reply>(std::unexpected(input.error()));
        return s.scim.CreatePrincipal(resource, *input, ctx);
      });
      t.Scim("PUT", item, [&s, resource](const ApiCall& call, const CallContext& ctx) {
        Result<PrincipalInput> input = DecodePrincipalInput(call.body);
        if (!input) return Result<Reply>(std::unexpected(input.error()));
        return s.scim.ReplacePrincipal(resource, call.Param("id"), *input, ctx);
      });
    }
  }
}

void RegisterOAuthSecrets(RouteTable& t) {
  Services& s = t.s;
  // §8.5 OAuth secrets, workspace proxy and account forms.
  for (std::string base : {"/api/2.0/accounts/servicePrincipals/{sp_id}/credentials/secrets",
                           "/api/2.0/accounts/{account_id}/servicePrincipals/{sp_id}/"
                           "credentials/secrets"}) {
    // An account id that is not ours names nothing here.
    auto account_ok = [&s](const ApiCall& call) -> Status {
      std::string account = call.Param("account_id");
      if (account.empty() || s.options.account_id.empty() || account == s.options.account_id) {
        return Ok();
      }
      return MakeError(ErrorCode::kNotFound, "Unknown account.");
    };
    t.Api("POST", base, [&s, account_ok](const ApiCall& call, const CallContext& ctx) {
      if (Status ok = account_ok(call); !ok) return Result<Reply>(std::unexpected(ok.error()));
      Result<CreateSecretInput> input = DecodeCreateSecret(call.body);
      if (!input) return Result<Reply>(std::unexpected(input.error()));
      return AsReply(s.secrets.Create(call.Param("sp_id"), *input, ctx));
    });
    t.Api("GET", base, [&s, account_ok](const ApiCall& call, const CallContext& ctx) {
      if (Status ok = account_ok(call); !ok) return Result<Reply>(std::unexpected(ok.error()));
      return AsReply(s.secrets.List(call.Param("sp_id"), ctx));
    });
    t.Api("DELETE", base + "/{secret_id}",
        [&s, account_ok](const ApiCall& call, const CallContext& ctx) {
          if (Status ok = account_ok(call); !ok) return Result<Reply>(std::unexpected(ok.error()));
          return AsReply(s.secrets.Delete(call.Param("sp_id"), call.Param("secret_id"), ctx));
        });
  }
}

void RegisterAuditAndFederation(RouteTable& t) {
  Services& s = t.s;
  // Audit listing (issue #4 item 10), admins only.
  // Databricks token federation policies (federation_policies.h): the account's and each
  // service principal's, under latchkey's one account id.
  for (std::string base : {"/api/2.0/accounts/{account_id}/federationPolicies",
                           "/api/2.0/accounts/{account_id}/servicePrincipals/{sp_id}/"
                           "federationPolicies"}) {
    auto account_ok = [&s](const ApiCall& call) -> Status {
      if (call.Param("account_id") == AccountId(s.options)) return Ok();
      return MakeError(ErrorCode::kNotFound,
                       "Unknown account: this server's account id is " + AccountId(s.options) + ".");
    };
    t.Api("POST", base, [&s, account_ok](const ApiCall& call, const CallContext& ctx) {
      if (Status ok = account_ok(call); !ok) return Result<Reply>(std::unexpected(ok.error()));
      return AsReply(s.federation_policies.Create(call.Param("sp_id"), call.body,
                                                  call.Query("policy_id"), ctx));
    });
    t.Api("GET", base, [&s, account_ok](const ApiCall& call, const CallContext& ctx) {
      if (Status ok = account_ok(call); !ok) return Result<Reply>(std::unexpected(ok.error()));
      return AsReply(s.federation_policies.List(call.Param("sp_id"), call.Query("page_size"),
                                                call.Query("page_token"), ctx));
    });
    t.Api("GET", base + "/{policy_id}", [&s, account_ok](const ApiCall& call, const CallContext& ctx) {
      if (Status ok = account_ok(call); !ok) return Result<Reply>(std::unexpected(ok.error()));
      return AsReply(s.federation_policies.Get(call.Param("sp_id"), call.Param("policy_id"), ctx));
    });
    t.Api("PATCH", base + "/{policy_id}",
        [&s, account_ok](const ApiCall& call, const CallContext& ctx) {
          if (Status ok = account_ok(call); !ok) return Result<Reply>(std::unexpected(ok.error()));
          return AsReply(s.federation_policies.Update(call.Param("sp_id"), call.Param("policy_id"),
                                                      call.body, call.Query("update_mask"), ctx));
        });
    t.Api("DELETE", base + "/{policy_id}",
        [&s, account_ok](const ApiCall& call, const CallContext& ctx) {
          if (Status ok = account_ok(call); !ok) return Result<Reply>(std::unexpected(ok.error()));
          return AsReply(
              s.federation_policies.Delete(call.Param("sp_id"), call.Param("policy_id"), ctx));
        });
  }

  t.Api("GET", "/api/2.0/latchkey/audit", [&s](const ApiCall& call, const CallContext& ctx) {
    if (Status ok = RequireAdmin(ctx, "read the audit log"); !ok) {
      return Result<Reply>(std::unexpected(ok.error()));
    }
    Result<AuditQuery> query = DecodeAuditQuery(call.query);
    if (!query) return Result<Reply>(std::unexpected(query.error()));
    Result<std::vector<store::AuditEvent>> events = s.store.ListAudit(query->after, query->limit);
    if (!events) return Result<Reply>(std::unexpected(events.error()));
    return Result<Reply>(EncodeAuditEvents(*events, query->after));
  });
}

void RegisterOidc(RouteTable& t) {
  Services& s = t.s;
  // §8 unauthenticated discovery and the token endpoint.
  t.router.Add("GET", "/.well-known/databricks-config",
             [&s](http::Request& r) { return s.oidc.HostMetadata(r); });
  t.router.Add("GET", "/oidc/.well-known/oauth-authorization-server",
             [&s](http::Request& r) { return s.oidc.Discovery(r); });
  t.router.Add("GET", "/oidc/.well-known/openid-configuration",
             [&s](http::Request& r) { return s.oidc.Discovery(r); });
  t.router.Add("GET", "/oidc/jwks.json", [&s](http::Request& r) { return s.oidc.Jwks(r); });
  t.router.Add("POST", "/oidc/v1/token", [&s](http::Request& r) { return s.oidc.Token(r); });
  t.router.Add("GET", "/oidc/v1/authorize", [&s](http::Request& r) { return s.oidc.Authorize(r); });
  t.router.Add("GET", "/sso/callback", [&s](http::Request& r) { return s.oidc.SsoCallback(r); });
}

void RegisterWebSessions(RouteTable& t) {
  Services& s = t.s;
  // The web page's sign-in and sessions (issue 24, web_sessions.h).
  t.router.Add("GET", "/sso/web/config", [&s](http::Request& r) { return s.oidc.WebConfig(r); });
  t.router.Add("GET", "/sso/web/start", [&s](http::Request& r) { return s.oidc.WebStart(r); });
  const std::string base = "/api/2.0/latchkey/web-sessions";
  t.Api("GET", base + "/current", [&s](const ApiCall& call, const CallContext& ctx) {
    return s.web_sessions.Current(call, ctx);
  });
  t.Api("DELETE", base + "/current", [&s](const ApiCall& call, const CallContext& ctx) {
    return s.web_sessions.SignOut(call, ctx);
  });
  t.Api("GET", base, [&s](const ApiCall& call, const CallContext& ctx) {
    return s.web_sessions.List(call, ctx);
  });
  t.Api("DELETE", base + "/{session_id}", [&s](const ApiCall& call, const CallContext& ctx) {
    return s.web_sessions.Revoke(call, ctx);
  });
}

}  // namespace

void Workspace::RegisterRoutes(http::Router& router) {
  RouteTable t{router, *services_};
  RegisterTokenApi(t);
  RegisterTokenManagement(t);
  RegisterTokenPermissions(t);
  RegisterWorkspaceConf(t);
  RegisterScim(t);
  RegisterOAuthSecrets(t);
  RegisterAuditAndFederation(t);
  RegisterOidc(t);
  RegisterWebSessions(t);
}

}  // namespace latchkey::workspace
