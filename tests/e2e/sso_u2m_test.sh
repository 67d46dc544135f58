#!/usr/bin/env bash
# Issue 24: people sign in. node oidc-provider (pinned in bench/node, development login and
# consent screens) runs over HTTPS on loopback as the upstream provider; latchkey is its relying
# party. The browser is sso_browser.py (plain HTTP requests, cookies kept). Databricks U2M end
# to end: authorize -> upstream sign-in -> callback -> code + PKCE -> tokens -> the API as that
# person (created just in time), refresh rotation, family revocation on reuse; then attacks,
# each refused while the genuine flow keeps working.
source "$(dirname "$0")/lib.sh"
LK_PORT=$(free_port)
lk_start_sso_upstream "https://127.0.0.1:$LK_PORT/sso/callback"
SECRET=$UP_SECRET
check "the upstream provider serves its discovery document over HTTPS" \
  bash -c "curl -sf --cacert '$LK_TMP/up/ca.pem' '$UP/.well-known/openid-configuration' | jq -e '.issuer == \"$UP\"' >/dev/null"

lk_init u2m
cat >> "$LK_TMP/u2m/latchkey.toml" <<EOT

[sso]
ca_file = "$LK_TMP/up/ca.pem"

[[sso.providers]]
id = "dev"
display_name = "Dev IdP"
issuer = "$UP"
client_id = "latchkey"
client_secret_file = "$LK_TMP/up/client_secret"
allowed_domains = ["example.com"]
jit_provisioning = true
EOT
lk_serve u2m --listen "127.0.0.1:$LK_PORT"
cat "$LK_CA" "$LK_TMP/up/ca.pem" > "$LK_TMP/bundle.pem"
REDIRECT="http://localhost:8020"

expect_eq "discovery advertises the authorization-code grant and S256" '["S256"]' \
  "$(lkcurl "$LK_URL/oidc/.well-known/oauth-authorization-server" | jq -c .code_challenge_methods_supported)"

pkce() { python3 -c 'import base64,hashlib,os; v=base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode(); print(v, base64.urlsafe_b64encode(hashlib.sha256(v.encode()).digest()).rstrip(b"=").decode())'; }
# sign_in LOGIN CHALLENGE [STATE]: the redirect the client receives (or PAGE ...).
sign_in() {
  local url="$LK_URL/oidc/v1/authorize?client_id=databricks-cli&response_type=code&redirect_uri=$REDIRECT&code_challenge=$2&code_challenge_method=S256&scope=all-apis+offline_access&state=${3:-st-1}"
  python3 "$LK_SRC/tests/e2e/sso_browser.py" "$url" "$LK_TMP/bundle.pem" "$1" "$REDIRECT"
}
param() { python3 -c 'import sys,urllib.parse as u; print(u.parse_qs(u.urlsplit(sys.argv[1]).query).get(sys.argv[2],[""])[0])' "$1" "$2"; }
token() { lkcurl -X POST "$LK_URL/oidc/v1/token" -d "$@"; }
redeem() { token "grant_type=authorization_code&client_id=databricks-cli&redirect_uri=$REDIRECT&code=$1&code_verifier=$2"; }
refresh() { token "grant_type=refresh_token&client_id=databricks-cli&refresh_token=$1"; }

# ---- The full flow ----
read -r V C < <(pkce)
LOC=$(sign_in ada@example.com "$C" state-ada)
check "the client's redirect carries a code and its state" bash -c "[[ '$LOC' == $REDIRECT?code=*state=state-ada* ]]"
CODE=$(param "$LOC" code)
T1=$(redeem "$CODE" "$V")
ACCESS=$(jq -r .access_token <<<"$T1")
R1=$(jq -r .refresh_token <<<"$T1")
check "the code and verifier give an access token and a refresh token" test -n "$ACCESS" -a "$ACCESS" != null -a "$R1" != null
expect_eq "the access token is the person's (created just in time)" "ada@example.com" \
  "$(lkcurl "$LK_URL/api/2.0/preview/scim/v2/Me" -H "Authorization: Bearer $ACCESS" | jq -r .userName)"
expect_eq "the code cannot be redeemed twice" invalid_grant "$(redeem "$CODE" "$V" | jq -r .error)"
T2=$(refresh "$R1"); R2=$(jq -r .refresh_token <<<"$T2")
check "refresh rotates the refresh token" test -n "$R2" -a "$R2" != null -a "$R2" != "$R1"
expect_eq "the refreshed access token works" "ada@example.com" \
  "$(lkcurl "$LK_URL/api/2.0/preview/scim/v2/Me" -H "Authorization: Bearer $(jq -r .access_token <<<"$T2")" | jq -r .userName)"
T3=$(refresh "$R2"); R3=$(jq -r .refresh_token <<<"$T3")
read -r BV BC < <(pkce)
BOB_R=$(redeem "$(param "$(sign_in bob@example.com "$BC")" code)" "$BV" | jq -r .refresh_token)
expect_eq "reusing a rotated refresh token is refused" invalid_grant "$(refresh "$R1" | jq -r .error)"
expect_eq "... and revokes its whole family (the newest token too)" invalid_grant "$(refresh "$R3" | jq -r .error)"
check "another person's family is untouched" bash -c "[ \"\$(curl -s --cacert '$LK_CA' -X POST '$LK_URL/oidc/v1/token' -d 'grant_type=refresh_token&client_id=databricks-cli&refresh_token=$BOB_R' | jq -r .token_type)\" = Bearer ]"

# ---- Attacks ----
read -r V2 C2 < <(pkce)
CODE2=$(param "$(sign_in ada@example.com "$C2")" code)
expect_eq "a wrong code_verifier is refused" invalid_grant "$(redeem "$CODE2" "$V" | jq -r .error)"
CODE3=$(param "$(sign_in ada@example.com "$C2")" code)
expect_eq "a redirect_uri other than the authorized one is refused" invalid_grant \
  "$(token "grant_type=authorization_code&client_id=databricks-cli&redirect_uri=http://localhost:9999&code=$CODE3&code_verifier=$V2" | jq -r .error)"
expect_eq "plain PKCE is refused (error back to the client)" invalid_request \
  "$(param "$(curl -s -o /dev/null -w '%{redirect_url}' --cacert "$LK_CA" "$LK_URL/oidc/v1/authorize?client_id=databricks-cli&response_type=code&redirect_uri=$REDIRECT&code_challenge=$C2$C2&code_challenge_method=plain")" error)"
expect_eq "an unregistered redirect URI gets a page, not a redirect" 400 \
  "$(lkstatus "$LK_URL/oidc/v1/authorize?client_id=databricks-cli&response_type=code&redirect_uri=https://evil.example/cb&code_challenge=$C2&code_challenge_method=S256")"
OUT=$(sign_in mallory@evil.example "$C2")
check "an upstream user outside the allowed domains is refused" bash -c "[[ '$OUT' == 'PAGE 403'* ]]"
check "... and not created" bash -c "[ \"\$(curl -s --cacert '$LK_CA' -H 'Authorization: Bearer $LK_ADMIN_TOKEN' '$LK_URL/api/2.0/preview/scim/v2/Users' | jq '[.Resources[]|select(.userName==\"mallory@evil.example\")]|length')\" = 0 ]"
expect_eq "a forged state at the callback is refused" 403 "$(lkstatus "$LK_URL/sso/callback?code=x&state=forged")"
ADA_ID=$(lkcurl "$LK_URL/api/2.0/preview/scim/v2/Users" -H "Authorization: Bearer $LK_ADMIN_TOKEN" | jq -r '.Resources[]|select(.userName=="ada@example.com")|.id')
lkcurl -X PATCH "$LK_URL/api/2.0/preview/scim/v2/Users/$ADA_ID" -H "Authorization: Bearer $LK_ADMIN_TOKEN" \
  -H 'Content-Type: application/json' \
  -d '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}' >/dev/null
OUT=$(sign_in ada@example.com "$C2")
check "a deactivated user cannot sign in" bash -c "[[ '$OUT' == 'PAGE 403'* ]]"
check "the genuine flow still works for others" bash -c "[[ \"\$(python3 '$LK_SRC/tests/e2e/sso_browser.py' '$LK_URL/oidc/v1/authorize?client_id=databricks-cli&response_type=code&redirect_uri=$REDIRECT&code_challenge=$C2&code_challenge_method=S256' '$LK_TMP/bundle.pem' bob@example.com '$REDIRECT')\" == $REDIRECT?code=* ]]"
# ---- The CLI: latchkey auth login (browser steps automated), auth token, refresh, logout ----
CLI=${LATCHKEY_CLI:?}
export_cli() { HOME="$LK_TMP/home" SSL_CERT_FILE="$LK_CA" "$CLI" "$@"; }
mkdir -p "$LK_TMP/home"
CLI_PORT=$(free_port)
export_cli auth login --host "$LK_URL" --profile carol --port "$CLI_PORT" --no-browser --timeout 60 \
  >"$LK_TMP/login.out" 2>"$LK_TMP/login.err" &
LOGIN_PID=$!
for i in $(seq 1 100); do grep -q '/oidc/v1/authorize' "$LK_TMP/login.err" 2>/dev/null && break; sleep 0.1; done
LOGIN_URL=$(grep '/oidc/v1/authorize' "$LK_TMP/login.err" | head -1)
CLI_LOC=$(python3 "$LK_SRC/tests/e2e/sso_browser.py" "$LOGIN_URL" "$LK_TMP/bundle.pem" carol@example.com "http://localhost:$CLI_PORT")
curl -s -o /dev/null "$CLI_LOC" || true
LOGIN_RC=0; wait "$LOGIN_PID" || LOGIN_RC=$?
expect_eq "auth login completes the flow through its loopback listener" 0 "$LOGIN_RC"
CACHE="$LK_TMP/home/.databricks/token-cache.json"
expect_eq "the token cache is the Databricks CLI's file, mode 0600" 600 "$(stat -c %a "$CACHE" 2>/dev/null)"
check "... with the host's access and refresh tokens" jq -e --arg h "$LK_URL" '.version == 1 and (.tokens[$h].refresh_token | length > 20) and (.tokens[$h].expiry | length > 0)' "$CACHE"
expect_eq "the profile says auth_type = databricks-cli" databricks-cli \
  "$(sed -n '/^\[carol\]/,/^\[/p' "$LK_TMP/home/.databrickscfg" | sed -n 's/^auth_type *= *//p')"
CLI_TOKEN=$(export_cli auth token --host "$LK_URL" | jq -r .access_token)
expect_eq "auth token returns the person's token" carol@example.com \
  "$(lkcurl "$LK_URL/api/2.0/preview/scim/v2/Me" -H "Authorization: Bearer $CLI_TOKEN" | jq -r .userName)"
expect_eq "a just-in-time user has no token permission yet" 403 \
  "$(lkstatus "$LK_URL/api/2.0/token/list" -H "Authorization: Bearer $CLI_TOKEN")"
lkcurl -X PATCH "$LK_URL/api/2.0/permissions/authorization/tokens" -H "Authorization: Bearer $LK_ADMIN_TOKEN" \
  -H 'Content-Type: application/json' \
  -d '{"access_control_list":[{"user_name":"carol@example.com","permission_level":"CAN_USE"}]}' >/dev/null
check "latchkey tokens list works as that person (once granted CAN_USE)" bash -c "HOME='$LK_TMP/home' SSL_CERT_FILE='$LK_CA' '$CLI' --profile carol tokens list >/dev/null"
# The Databricks SDK's databricks-cli auth as that person. The SDK drops a host's port, so, as
# in databricks_sdk_auth_test.sh, a relay on port 443 stands for the workspace (root only).
if [ "$(id -u)" -eq 0 ] && [ -d "$LK_SRC/tests/node/node_modules/@databricks/sdk-experimental" ]; then
  python3 "$LK_SRC/tests/support/tcp_relay.py" 127.0.0.1 443 127.0.0.1 "$LK_PORT" >"$LK_TMP/relay.out" 2>&1 &
  LK_PIDS+=("$!")
  for i in $(seq 1 100); do [ -s "$LK_TMP/relay.out" ] && break; sleep 0.05; done
  P443=$(free_port)
  export_cli auth login --host https://127.0.0.1 --profile carol443 --port "$P443" --no-browser --timeout 60 \
    >"$LK_TMP/login443.out" 2>"$LK_TMP/login443.err" &
  LOGIN_PID=$!
  for i in $(seq 1 100); do grep -q '/oidc/v1/authorize' "$LK_TMP/login443.err" 2>/dev/null && break; sleep 0.1; done
  curl -s -o /dev/null "$(python3 "$LK_SRC/tests/e2e/sso_browser.py" "$(grep '/oidc/v1/authorize' "$LK_TMP/login443.err" | head -1)" \
    "$LK_TMP/bundle.pem" carol@example.com "http://localhost:$P443")" || true
  wait "$LOGIN_PID" || true
  HOME="$LK_TMP/home" SSL_CERT_FILE="$LK_CA" NODE_EXTRA_CA_CERTS="$LK_CA" LK_HOST=https://127.0.0.1 MODE=databricks-cli \
    CLI_PATH="$(dirname "$CLI")/databricks" EXPECT_USER=carol@example.com \
    node "$LK_SRC/tests/node/databricks_sdk_auth.mjs" \
    && pass "the Databricks SDK with databricks-cli auth works as the signed-in person" \
    || fail "the Databricks SDK with databricks-cli auth as the signed-in person"
else
  cannot_run "Databricks SDK with databricks-cli auth" "needs root (port-443 relay) and tests/node/node_modules (make node-deps)"
fi
OLD_R=$(jq -r --arg h "$LK_URL" '.tokens[$h].refresh_token' "$CACHE")
jq --arg h "$LK_URL" '.tokens[$h].expiry = "2000-01-01T00:00:00Z"' "$CACHE" > "$CACHE.new" && mv "$CACHE.new" "$CACHE" && chmod 600 "$CACHE"
rm -rf "$LK_TMP/home/.config/latchkey"
REFRESHED=$(export_cli auth token --host "$LK_URL" | jq -r .access_token)
check "an expired cached token is refreshed, rotating the refresh token" bash -c "[ -n '$REFRESHED' ] && [ '$REFRESHED' != null ] && [ \"\$(jq -r --arg h '$LK_URL' '.tokens[\$h].refresh_token' '$CACHE')\" != '$OLD_R' ]"
export_cli auth logout --host "$LK_URL" >/dev/null
check "auth logout forgets the host's tokens" jq -e --arg h "$LK_URL" '.tokens | has($h) | not' "$CACHE"
check "no secret, code or token in latchkeyd's log" bash -c "! grep -qF -e '$SECRET' -e '$R1' -e '$CODE' '$LK_LOG'"
finish
