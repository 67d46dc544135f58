#!/usr/bin/env bash
# Issue 9: latchkey tokens protect any upstream. Debian's nginx runs deploy/nginx/forward-auth.conf
# (only its four addresses replaced) in front of a sample upstream (nginx itself answering
# "hello <principal name>"), with auth_request -> latchkey's /auth/verify over verified TLS:
#   a PAT and an Entra token reach the upstream, with the principal in the request headers;
#   a workspace OAuth token does too; a revoked PAT, a garbage token and no token do not;
#   a client cannot forge the principal headers.
# Then /auth/verify's headers directly, and RFC 7662 introspection (admin bearer only;
# {"active":false} for anything invalid).
source "$(dirname "$0")/lib.sh"
command -v nginx >/dev/null || { echo "nginx is not installed"; exit 1; }
DATABRICKS_AUD=2ff814a6-3304-4ab8-85cb-cd0e6f879c1d

NGINX_DIR="$LK_TMP/nginx"
forward_auth_cleanup() {
  lk_nginx_stop "$NGINX_DIR"
  lk_cleanup
}
trap forward_auth_cleanup EXIT

lk_start
LK_PORT=${LK_URL##*:}
ADMIN_NAME=$(jq -r .admin.user_name "$LK_BOOT")
lk_new_sp fwd-sp
lk_grant_can_use "$SP_CLIENT_ID"

# ---- nginx: the documented config, included in an http {} block with temp-dir paths ----
NGINX_PORT=$(free_port)
UPSTREAM_PORT=$(free_port)
mkdir -p "$NGINX_DIR"
sed -e "s|127.0.0.1:8080|127.0.0.1:$UPSTREAM_PORT|" \
    -e "s|127.0.0.1:8443|127.0.0.1:$LK_PORT|" \
    -e "s|127.0.0.1:8000|127.0.0.1:$NGINX_PORT|" \
    -e "s|/var/lib/latchkey/data/tls/ca.pem|$LK_CA|" \
    "$LK_SRC/deploy/nginx/forward-auth.conf" > "$NGINX_DIR/forward-auth.conf"
check "the config names the test's addresses only" \
  bash -c "! grep -Eq '127.0.0.1:(8080|8443|8000)\b|/var/lib/latchkey' '$NGINX_DIR/forward-auth.conf'"
lk_nginx_start "$NGINX_DIR" 256 <<EOF
  include $NGINX_DIR/forward-auth.conf;
  # The sample upstream: says who nginx told it the caller is, and what else it was sent.
  server {
    listen 127.0.0.1:$UPSTREAM_PORT;
    location / {
      default_type text/plain;
      return 200 "hello \$http_x_latchkey_principal_name (\$http_x_latchkey_principal_type, \$http_x_latchkey_auth_kind) authz=[\$http_authorization]\n";
    }
  }
EOF
PROXY="http://127.0.0.1:$NGINX_PORT"
for i in $(seq 1 100); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$PROXY/")" = 401 ] && break
  sleep 0.05
done

# via URL [TOKEN] [extra curl args...]: "<status> <body>" through nginx.
via() {
  local url=$1 token=$2; shift 2
  local auth=()
  [ -n "$token" ] && auth=(-H "Authorization: Bearer $token")
  curl -s -o "$LK_TMP/via.body" -w '%{http_code}' "${auth[@]}" "$@" "$url" >"$LK_TMP/via.code"
  echo "$(cat "$LK_TMP/via.code") $(cat "$LK_TMP/via.body")"
}
# via_status URL [TOKEN] [extra curl args...]: the status code only.
via_status() { via "$@" >/dev/null; cat "$LK_TMP/via.code"; }

# ---- Through nginx ----
expect_eq "no token: 401" "401" "$(via_status "$PROXY/api/things" "")"
check "... with WWW-Authenticate: Bearer passed on by nginx" \
  bash -c "curl -s -D - -o /dev/null '$PROXY/api/things' | grep -qi '^WWW-Authenticate: Bearer'"
expect_eq "the admin PAT reaches the upstream, as the admin user" \
  "200 hello $ADMIN_NAME (user, pat) authz=[]" "$(via "$PROXY/api/things" "$LK_ADMIN_TOKEN")"

aad=$(lkcurl -X POST "$LK_URL/$LK_TENANT/oauth2/v2.0/token" -d "client_id=$SP_CLIENT_ID" \
  -d grant_type=client_credentials -d "scope=$DATABRICKS_AUD%2F.default" \
  --data-urlencode "client_secret=$SP_SECRET" | jq -r .access_token)
expect_eq "an Entra token reaches the upstream, as the service principal" \
  "200 hello $SP_CLIENT_ID (service_principal, entra) authz=[]" "$(via "$PROXY/x" "$aad")"

created=$(lkcurl -X POST -H "Authorization: Bearer $aad" "$LK_URL/api/2.0/token/create" \
  -d '{"comment":"forward-auth","lifetime_seconds":3600}')
sp_pat=$(jq -r .token_value <<<"$created")
sp_pat_id=$(jq -r .token_info.token_id <<<"$created")
expect_eq "the service principal's PAT reaches the upstream" \
  "200 hello $SP_CLIENT_ID (service_principal, pat) authz=[]" "$(via "$PROXY/x" "$sp_pat")"
expect_eq "a POST with a body is checked the same way" \
  "200 hello $SP_CLIENT_ID (service_principal, pat) authz=[]" \
  "$(via "$PROXY/x" "$sp_pat" -X POST -H 'Content-Type: application/json' -d '{"a":1}')"
expect_eq "forged principal headers are replaced by latchkey's" \
  "200 hello $SP_CLIENT_ID (service_principal, pat) authz=[]" \
  "$(via "$PROXY/x" "$sp_pat" -H "X-Latchkey-Principal-Name: $ADMIN_NAME" -H 'X-Latchkey-Auth-Kind: forged')"
expect_eq "forged principal headers without a token: 401" "401" \
  "$(via_status "$PROXY/x" "" -H "X-Latchkey-Principal-Name: $ADMIN_NAME")"

oauth_secret=$(lkcurl -X POST -H "Authorization: Bearer $LK_ADMIN_TOKEN" \
  -H 'Content-Type: application/json' -d '{"lifetime":"3600s"}' \
  "$LK_URL/api/2.0/accounts/servicePrincipals/$SP_SCIM_ID/credentials/secrets" | jq -r .secret)
oauth_token=$(lkcurl -X POST -u "$SP_CLIENT_ID:$oauth_secret" "$LK_URL/oidc/v1/token" \
  -d grant_type=client_credentials -d scope=all-apis | jq -r .access_token)
expect_eq "a workspace OAuth token reaches the upstream" \
  "200 hello $SP_CLIENT_ID (service_principal, oauth) authz=[]" "$(via "$PROXY/x" "$oauth_token")"

lkcurl -X POST -H "Authorization: Bearer $aad" "$LK_URL/api/2.0/token/delete" \
  -d "{\"token_id\":\"$sp_pat_id\"}" >/dev/null
expect_eq "the revoked PAT does not reach the upstream: 403" "403" \
  "$(via_status "$PROXY/x" "$sp_pat")"
expect_eq "a garbage token: 403" "403" "$(via_status "$PROXY/x" "dapi0123456789abcdef0123456789abcdef")"

# ---- /auth/verify directly ----
verify_headers() { lkcurl -s -D - -o "$LK_TMP/verify.body" -H "Authorization: Bearer $1" "$LK_URL/auth/verify"; }
hdrs=$(verify_headers "$LK_ADMIN_TOKEN" | tr -d '\r')
check "verify: 200" grep -q '^HTTP/1.1 200' <<<"$hdrs"
check "verify: X-Latchkey-Principal-Id" grep -Eiq '^x-latchkey-principal-id: [0-9]+$' <<<"$hdrs"
check "verify: X-Latchkey-Principal-Name" grep -qi "^x-latchkey-principal-name: $ADMIN_NAME\$" <<<"$hdrs"
check "verify: X-Latchkey-Principal-Type" grep -qi '^x-latchkey-principal-type: user$' <<<"$hdrs"
check "verify: X-Latchkey-Auth-Kind" grep -qi '^x-latchkey-auth-kind: pat$' <<<"$hdrs"
check "verify: empty body" test ! -s "$LK_TMP/verify.body"
expect_eq "verify: any method (DELETE)" 200 \
  "$(lkstatus -X DELETE -H "Authorization: Bearer $LK_ADMIN_TOKEN" "$LK_URL/auth/verify")"
expect_eq "verify: Basic is no bearer: 401" 401 "$(lkstatus -u a:b "$LK_URL/auth/verify")"

# ---- RFC 7662 introspection ----
introspect() {  # BEARER TOKEN
  lkcurl -X POST -H "Authorization: Bearer $1" "$LK_URL/oauth2/introspect" --data-urlencode "token=$2"
}
expect_eq "introspect without a bearer: 401" 401 \
  "$(lkstatus -X POST "$LK_URL/oauth2/introspect" -d token=x)"
sp_pat2=$(lkcurl -X POST -H "Authorization: Bearer $aad" "$LK_URL/api/2.0/token/create" \
  -d '{"comment":"introspect","lifetime_seconds":600}' | jq -r .token_value)
expect_eq "introspect with a non-admin's PAT: 403" 403 \
  "$(lkstatus -X POST -H "Authorization: Bearer $sp_pat2" "$LK_URL/oauth2/introspect" -d token=x)"
expect_eq "introspect without token=: 400" 400 \
  "$(lkstatus -X POST -H "Authorization: Bearer $LK_ADMIN_TOKEN" "$LK_URL/oauth2/introspect" -d a=b)"
out=$(introspect "$LK_ADMIN_TOKEN" "$sp_pat2")
expect_eq "a live PAT: active, client_id, Bearer, pat" "true $SP_CLIENT_ID Bearer pat $SP_SCIM_ID" \
  "$(jq -r '"\(.active) \(.client_id) \(.token_type) \(.auth_kind) \(.sub)"' <<<"$out")"
expect_eq "... exp - iat = its lifetime" 600 "$(jq '.exp - .iat' <<<"$out")"
out=$(introspect "$LK_ADMIN_TOKEN" "$LK_ADMIN_TOKEN")
expect_eq "the admin PAT: username, no exp" "true $ADMIN_NAME null" \
  "$(jq -r '"\(.active) \(.username) \(.exp)"' <<<"$out")"
out=$(introspect "$LK_ADMIN_TOKEN" "$aad")
expect_eq "an Entra token: active, entra, its exp" "true entra $SP_CLIENT_ID true" \
  "$(jq -r '"\(.active) \(.auth_kind) \(.client_id) \(.exp > .iat)"' <<<"$out")"
out=$(introspect "$LK_ADMIN_TOKEN" "$oauth_token")
expect_eq "a workspace OAuth token: active, oauth" "true oauth" "$(jq -r '"\(.active) \(.auth_kind)"' <<<"$out")"
for what in "$sp_pat" "garbage" "dapi0123456789abcdef0123456789abcdef" "${aad%.*}.AAAA" "a b"; do
  expect_eq "inactive: exactly {\"active\":false}" '{"active":false}' \
    "$(introspect "$LK_ADMIN_TOKEN" "$what" | jq -c .)"
done

check "no token value in the server log" bash -c "! grep -Fq -e '$sp_pat' -e '$aad' -e '$LK_ADMIN_TOKEN' '$LK_LOG'"
check "nginx logged no error" bash -c "! grep -q '\[error\]\|\[crit\]\|\[emerg\]' '$NGINX_DIR/error.log'"
finish
