// The workspace REST API, exactly as every other client uses it (Databricks-compatible paths
// and shapes). The token travels only in the Authorization header; requests carry no cookies.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
  // The server's answer to an unknown, expired or revoked token (403 with the integer code 403,
  // spec §3.5) or to a request without one (401).
  get invalidToken() {
    return this.status === 401 || (this.status === 403 && String(this.code) === "403");
  }
}

// Builds the client. onInvalidToken(err) runs when the server no longer accepts the token.
// With a PAT, the token goes in the Authorization header and no cookie is sent. Without one
// (`token` null: signed in through an identity provider), the browser sends the HttpOnly
// session cookie (same origin only) and every call carries the session's CSRF token, which
// the server requires on every state-changing call (web_sessions.h).
export function createApi(token, { onInvalidToken, csrf } = {}) {
  async function call(method, path, body) {
    const headers = { Accept: "application/json" };
    if (token) headers.Authorization = `Bearer ${token}`;
    else if (csrf) headers[csrf.header] = csrf.token;
    const credentials = token ? "omit" : "same-origin";
    const init = { method, headers, cache: "no-store", credentials, redirect: "error" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (e) {
      throw new ApiError(0, "NETWORK", `Cannot reach the server (${e.message}).`);
    }
    const text = await response.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (!response.ok) {
      // Databricks errors: {error_code, message}; SCIM errors: {detail, status}.
      const message =
        (data && (data.message || data.detail)) ||
        `The server answered ${response.status} ${response.statusText}`.trim() + ".";
      const code = data ? (data.error_code ?? (data.status ? `SCIM_${data.status}` : undefined)) : undefined;
      const err = new ApiError(response.status, code, message);
      if (err.invalidToken && onInvalidToken) onInvalidToken(err);
      throw err;
    }
    return data ?? {};
  }

  const q = encodeURIComponent;
  const scimBase = "/api/2.0/preview/scim/v2";

  let accountId = "";
  async function federationBase(spId) {
    if (!accountId) accountId = (await call("GET", "/.well-known/databricks-config")).account_id || "";
    return `/api/2.0/accounts/${q(accountId)}/servicePrincipals/${q(spId)}/federationPolicies`;
  }

  // SCIM lists page with startIndex/count until a page comes back empty (spec §7.3).
  async function scimAll(resource, pageSize = 500, maxPages = 40) {
    const all = [];
    let start = 1;
    for (let page = 0; page < maxPages; page++) {
      const data = await call("GET", `${scimBase}/${resource}?startIndex=${start}&count=${pageSize}`);
      const items = Array.isArray(data.Resources) ? data.Resources : [];
      all.push(...items);
      const total = typeof data.totalResults === "number" ? data.totalResults : undefined;
      if (!items.length || items.length < pageSize || (total !== undefined && all.length >= total)) break;
      start += items.length;
    }
    return all;
  }

  return {
    me: () => call("GET", `${scimBase}/Me`),

    // §4: the caller's own tokens.
    listMyTokens: async () => (await call("GET", "/api/2.0/token/list")).token_infos || [],
    createToken: ({ comment, lifetimeSeconds }) => {
      const body = { comment };
      if (lifetimeSeconds !== undefined) body.lifetime_seconds = lifetimeSeconds;
      return call("POST", "/api/2.0/token/create", body);
    },
    deleteMyToken: (tokenId) => call("POST", "/api/2.0/token/delete", { token_id: tokenId }),

    // §5: every token (admins).
    listAllTokens: async (createdByUsername) => {
      const query = createdByUsername ? `?created_by_username=${q(createdByUsername)}` : "";
      return (await call("GET", `/api/2.0/token-management/tokens${query}`)).token_infos || [];
    },
    deleteAnyToken: (tokenId) => call("DELETE", `/api/2.0/token-management/tokens/${q(tokenId)}`),

    // §5.6: token permissions.
    getTokenPermissions: () => call("GET", "/api/2.0/permissions/authorization/tokens"),
    addTokenPermissions: (acl) => call("PATCH", "/api/2.0/permissions/authorization/tokens", { access_control_list: acl }),
    replaceTokenPermissions: (acl) => call("PUT", "/api/2.0/permissions/authorization/tokens", { access_control_list: acl }),

    // §6: workspace-conf (string values).
    getConf: (keys) => call("GET", `/api/2.0/workspace-conf?keys=${keys.map(q).join(",")}`),
    setConf: (values) => call("PATCH", "/api/2.0/workspace-conf", values),

    // §7: identities.
    listUsers: () => scimAll("Users"),
    listServicePrincipals: () => scimAll("ServicePrincipals"),
    listGroups: () => scimAll("Groups"),

    // §8.5: OAuth secrets of a service principal (by its numeric SCIM id).
    listSecrets: async (spId) => {
      const all = [];
      let pageToken = "";
      for (let page = 0; page < 20; page++) {
        const query = pageToken ? `?page_token=${q(pageToken)}` : "";
        const data = await call("GET", `/api/2.0/accounts/servicePrincipals/${q(spId)}/credentials/secrets${query}`);
        all.push(...(data.secrets || []));
        pageToken = data.next_page_token || "";
        if (!pageToken) break;
      }
      return all;
    },
    createSecret: (spId, lifetimeDays) => {
      const body = {};
      if (lifetimeDays) body.lifetime = `${lifetimeDays * 86400}s`;
      return call("POST", `/api/2.0/accounts/servicePrincipals/${q(spId)}/credentials/secrets`, body);
    },
    deleteSecret: (spId, secretId) =>
      call("DELETE", `/api/2.0/accounts/servicePrincipals/${q(spId)}/credentials/secrets/${q(secretId)}`),

    // Databricks token federation policies of a service principal (issue 21), under the
    // account id the host metadata names.
    listFederationPolicies: async (spId) => {
      const base = await federationBase(spId);
      const all = [];
      let pageToken = "";
      for (let page = 0; page < 20; page++) {
        const query = pageToken ? `?page_token=${q(pageToken)}` : "";
        const data = await call("GET", `${base}${query}`);
        all.push(...(data.policies || []));
        pageToken = data.next_page_token || "";
        if (!pageToken) break;
      }
      return all;
    },
    createFederationPolicy: async (spId, oidcPolicy, description) =>
      call("POST", await federationBase(spId), { description, oidc_policy: oidcPolicy }),
    deleteFederationPolicy: async (spId, policyId) =>
      call("DELETE", `${await federationBase(spId)}/${q(policyId)}`),

    // The signed-in person's web sessions (latchkey, issue 24).
    listMySessions: async () => (await call("GET", "/api/2.0/latchkey/web-sessions")).sessions || [],
    listAllSessions: async () => (await call("GET", "/api/2.0/latchkey/web-sessions?all=true")).sessions || [],
    revokeSession: (id) => call("DELETE", `/api/2.0/latchkey/web-sessions/${q(id)}`),
    signOutSession: () => call("DELETE", "/api/2.0/latchkey/web-sessions/current"),

    // latchkey's audit listing (admins): events with seq > after, oldest first.
    listAudit: (after, limit) => call("GET", `/api/2.0/latchkey/audit?after=${after}&limit=${limit}`),
  };
}

// The page's sign-in options (providers, whether PAT sign-in is offered) and, when the browser
// holds a live session cookie, that session's CSRF token. Both unauthenticated-safe: the
// session call answers 401/403 when there is no session.
export async function webConfig() {
  try {
    const r = await fetch("/sso/web/config", { cache: "no-store", credentials: "omit" });
    return r.ok ? await r.json() : { providers: [], pat_sign_in: true };
  } catch {
    return { providers: [], pat_sign_in: true };
  }
}

export async function currentWebSession() {
  try {
    const r = await fetch("/api/2.0/latchkey/web-sessions/current", {
      cache: "no-store",
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (!r.ok) return null;
    const data = await r.json();
    return data && data.csrf_token ? data : null;
  } catch {
    return null;
  }
}

// token_id is the hex SHA-256 of the token value (spec §3.1): lets the page mark the token it
// is signed in with, without ever sending or storing anything new.
export async function tokenIdOf(token) {
  if (!globalThis.crypto || !crypto.subtle) return "";
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
