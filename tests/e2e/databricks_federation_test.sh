#!/usr/bin/env bash
# Issue 21: Databricks OAuth token federation. A test OpenID issuer (oidc_issuer.py) over HTTPS
# on loopback plays GitHub Actions (RS256) and Kubernetes (ES256); federation policies are made
# through the account and service-principal federationPolicies APIs; tokens are exchanged at
# /oidc/v1/token with curl exactly as Databricks' documentation shows it ("Authenticate with an
# identity provider token"), then used for POST /api/2.0/token/create; then one attack per
# rule, each refused with a clear OAuth error while client-secret logins go on.
source "$(dirname "$0")/lib.sh"
# The test issuer (lib.sh): ISS, ISSUER_CA, mint, mode.
lk_start_issuer

# latchkey A: a second server whose service principal's workspace tokens B will trust.
lk_start a
A_URL=$LK_URL A_CA=$LK_CA A_ADMIN=$LK_ADMIN_TOKEN
lk_new_sp remote-workload
A_APP=$SP_CLIENT_ID
A_SECRET=$(lkcurl -X POST "$A_URL/api/2.0/accounts/servicePrincipals/$SP_SCIM_ID/credentials/secrets" \
  -H "Authorization: Bearer $A_ADMIN" -d '{}' | jq -r .secret)
cat "$ISSUER_CA" "$A_CA" > "$LK_TMP/trusted-cas.pem"

lk_init dbf
cat >> "$LK_TMP/dbf/latchkey.toml" <<EOT

[federation]
ca_file = "$LK_TMP/trusted-cas.pem"
fetch_timeout_ms = 1500
request_wait_ms = 2500
refetch_interval_seconds = 3
EOT
lk_serve dbf
HOST=$LK_URL
meta=$(lkcurl "$HOST/.well-known/databricks-config")
ACCOUNT=$(jq -r .account_id <<<"$meta")
check "host metadata names the account id" bash -c "[[ '$ACCOUNT' =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]]"
check "OAuth discovery advertises the token-exchange grant" \
  bash -c "curl -sS --cacert '$LK_CA' '$HOST/oidc/.well-known/oauth-authorization-server' | jq -e '.grant_types_supported | index(\"urn:ietf:params:oauth:grant-type:token-exchange\")' >/dev/null"

lk_new_sp deployer
APP=$SP_CLIENT_ID
SP=$SP_SCIM_ID
A="$HOST/api/2.0/accounts/$ACCOUNT"
SPP="$A/servicePrincipals/$SP/federationPolicies"
api() { lkcurl -X "$1" "$2" -H "Authorization: Bearer $LK_ADMIN_TOKEN" -H 'Content-Type: application/json' ${3:+-d "$3"}; }
apist() { lkstatus -X "$1" "$2" -H "Authorization: Bearer $LK_ADMIN_TOKEN" -H 'Content-Type: application/json' ${3:+-d "$3"}; }
GHA_SUB="repo:octo-org/app:environment:prod"
GHA_AUD="https://github.com/octo-org"
K8S_SUB="system:serviceaccount:prod:deployer"

# ---- Federation policies ----
p=$(api POST "$SPP?policy_id=github-prod" "{\"description\":\"deploys\",\"oidc_policy\":{\"issuer\":\"$ISS/gha\",\"audiences\":[\"$GHA_AUD\"],\"subject\":\"$GHA_SUB\"}}")
expect_eq "a service principal policy is created with its resource name" \
  "accounts/$ACCOUNT/servicePrincipals/$SP/federationPolicies/github-prod" "$(jq -r .name <<<"$p")"
# Read from the JSON text, not through jq: a 16-digit id is past 2^53 and jq 1.6 rounds it to
# the nearest double (half of all ids would then differ by one).
expect_eq "... its service_principal_id (an exact 64-bit integer)" "$SP" \
  "$(grep -o '"service_principal_id": *[0-9]*' <<<"$p" | grep -o '[0-9]*$')"
check "... a uid and times" jq -e '(.uid|length)==36 and (.create_time|test("Z$")) and .update_time' <<<"$p"
api POST "$SPP?policy_id=k8s-prod" "{\"oidc_policy\":{\"issuer\":\"$ISS/k8s\",\"subject\":\"$K8S_SUB\"}}" >/dev/null
auto=$(api POST "$SPP" "{\"oidc_policy\":{\"issuer\":\"$ISS/k8s\",\"subject\":\"other\"}}")
check "without policy_id, one is assigned" jq -e '.policy_id == .uid' <<<"$auto"
expect_eq "GET by id" "$GHA_SUB" "$(api GET "$SPP/github-prod" | jq -r .oidc_policy.subject)"
expect_eq "list" 3 "$(api GET "$SPP" | jq '.policies|length')"
page=$(api GET "$SPP?page_size=2")
expect_eq "list with page_size=2 gives two and a next_page_token" 2 "$(jq '.policies|length' <<<"$page")"
expect_eq "... and the next page the third" "$(jq -r .policy_id <<<"$auto")" \
  "$(api GET "$SPP?page_size=2&page_token=$(jq -r .next_page_token <<<"$page")" | jq -r '.policies[0].policy_id')"
expect_eq "DELETE" 200 "$(apist DELETE "$SPP/$(jq -r .policy_id <<<"$auto")")"
expect_eq "... then it is gone (RESOURCE_DOES_NOT_EXIST)" RESOURCE_DOES_NOT_EXIST "$(api GET "$SPP/$(jq -r .policy_id <<<"$auto")" | jq -r .error_code)"
u=$(api PATCH "$SPP/github-prod?update_mask=description" '{"description":"ci","oidc_policy":{"issuer":"https://ignored.example"}}')
check "PATCH with update_mask=description changes only the description" \
  jq -e --arg iss "$ISS/gha" '.description=="ci" and .oidc_policy.issuer==$iss' <<<"$u"
expect_eq "PATCH with an unknown update_mask field: INVALID_PARAMETER_VALUE" INVALID_PARAMETER_VALUE \
  "$(api PATCH "$SPP/github-prod?update_mask=owner" '{}' | jq -r .error_code)"
expect_eq "a duplicate policy_id: RESOURCE_ALREADY_EXISTS" RESOURCE_ALREADY_EXISTS \
  "$(api POST "$SPP?policy_id=github-prod" "{\"oidc_policy\":{\"issuer\":\"$ISS/gha\",\"subject\":\"x\"}}" | jq -r .error_code)"
expect_eq "an http issuer is refused" 400 "$(apist POST "$SPP" '{"oidc_policy":{"issuer":"http://127.0.0.1/x","subject":"y"}}')"
expect_eq "a service principal policy without subject is refused" 400 "$(apist POST "$SPP" "{\"oidc_policy\":{\"issuer\":\"$ISS/gha\"}}")"
expect_eq "jwks_uri is refused (keys come only from the issuer's discovery)" 400 \
  "$(apist POST "$SPP" "{\"oidc_policy\":{\"issuer\":\"$ISS/gha\",\"subject\":\"y\",\"jwks_uri\":\"https://evil.example/jwks\"}}")"
expect_eq "an account policy with a subject is refused" 400 "$(apist POST "$A/federationPolicies" "{\"oidc_policy\":{\"issuer\":\"$ISS/corp\",\"subject\":\"y\"}}")"
expect_eq "another account id is not found" 404 "$(apist GET "$HOST/api/2.0/accounts/00000000-0000-0000-0000-000000000000/federationPolicies")"
expect_eq "an unknown service principal is not found" 404 "$(apist GET "$A/servicePrincipals/123/federationPolicies")"
for i in $(seq 3 20); do api POST "$SPP?policy_id=filler-$i" "{\"oidc_policy\":{\"issuer\":\"$ISS/filler\",\"subject\":\"s$i\"}}" >/dev/null; done
expect_eq "the 21st policy of a service principal is refused (Databricks' limit of 20)" QUOTA_EXCEEDED \
  "$(api POST "$SPP?policy_id=one-too-many" "{\"oidc_policy\":{\"issuer\":\"$ISS/filler\",\"subject\":\"s21\"}}" | jq -r .error_code)"
for i in $(seq 3 20); do apist DELETE "$SPP/filler-$i" >/dev/null; done
acct=$(api POST "$A/federationPolicies?policy_id=corp-idp" "{\"oidc_policy\":{\"issuer\":\"$ISS/corp\",\"audiences\":[\"databricks\"],\"subject_claim\":\"email\"}}")
expect_eq "an account policy is created" "accounts/$ACCOUNT/federationPolicies/corp-idp" "$(jq -r .name <<<"$acct")"
api POST "$HOST/api/2.0/preview/scim/v2/Users" '{"userName":"alice@example.com","displayName":"Alice"}' >/dev/null

# ---- The exchange, as Databricks documents it ----
FEDERATED_JWT_TOKEN=$(mint "$ISS/gha" "$GHA_SUB" "$GHA_AUD")
CLIENT_ID=$APP
r=$(curl -sS --cacert "$LK_CA" --request POST "$HOST/oidc/v1/token" \
  --data "client_id=${CLIENT_ID}" \
  --data "subject_token=${FEDERATED_JWT_TOKEN}" \
  --data 'subject_token_type=urn:ietf:params:oauth:token-type:jwt' \
  --data 'grant_type=urn:ietf:params:oauth:grant-type:token-exchange' \
  --data 'scope=all-apis')
at=$(jq -r .access_token <<<"$r")
check "a GitHub-Actions-shaped token is exchanged with a service principal policy" test -n "$at" -a "$at" != null
check "... Bearer, scope all-apis, living no longer than the subject token (600 s)" \
  jq -e '.token_type=="Bearer" and .scope=="all-apis" and .expires_in <= 600 and .expires_in > 500' <<<"$r"
expect_eq "... and it is the service principal at the workspace" "$APP" \
  "$(lkcurl -H "Authorization: Bearer $at" "$HOST/api/2.0/preview/scim/v2/Me" | jq -r .applicationId)"
denied=$(lkcurl -X POST "$HOST/api/2.0/token/create" -H "Authorization: Bearer $at" -d '{"comment":"fed","lifetime_seconds":600}')
expect_eq "token/create is refused for a federated service principal without CAN_USE" PERMISSION_DENIED "$(jq -r .error_code <<<"$denied")"
lk_grant_can_use "$APP"
pat=$(lkcurl -X POST "$HOST/api/2.0/token/create" -H "Authorization: Bearer $at" -d '{"comment":"fed","lifetime_seconds":600}')
check "with CAN_USE, POST /api/2.0/token/create with the exchanged token makes a PAT" jq -e '.token_value|startswith("dapi")' <<<"$pat"
expect_eq "... which works" 200 "$(lkstatus -H "Authorization: Bearer $(jq -r .token_value <<<"$pat")" "$HOST/api/2.0/token/list")"
k8s=$(mint "$ISS/k8s" "$K8S_SUB" "$ACCOUNT" --alg ES256 --exp-in 3600)
xchg() {  # xchg TOKEN [client_id] -> response JSON
  lkcurl -X POST "$HOST/oidc/v1/token" ${2:+--data "client_id=$2"} --data-urlencode "subject_token=$1" \
    --data 'subject_token_type=urn:ietf:params:oauth:token-type:jwt' \
    --data 'grant_type=urn:ietf:params:oauth:grant-type:token-exchange' --data 'scope=all-apis'
}
check "a Kubernetes-shaped token (ES256, audience defaulting to the account id) is exchanged" \
  jq -e '.token_type=="Bearer"' <<<"$(xchg "$k8s" "$APP")"
corp=$(mint "$ISS/corp" "00u1abc" databricks --extra '{"email":"alice@example.com"}')
ut=$(xchg "$corp" | jq -r .access_token)
expect_eq "an account policy maps its subject_claim (email) to the user with that userName" "alice@example.com" \
  "$(lkcurl -H "Authorization: Bearer $ut" "$HOST/api/2.0/preview/scim/v2/Me" | jq -r .userName)"
audit=$(lkcurl "$HOST/api/2.0/latchkey/audit?limit=1000" -H "Authorization: Bearer $LK_ADMIN_TOKEN")
check "the exchange is audited with the policy, iss and sub" \
  jq -e --arg iss "$ISS/gha" --arg sub "$GHA_SUB" \
  '[.events[] | select(.action=="federation.exchange") | (.detail|if type=="string" then fromjson else . end) | select(.policy_id=="github-prod" and .issuer==$iss and .subject==$sub)] | length >= 1' <<<"$audit"
check "the audit trail never holds the token" bash -c "! grep -qF '$(cut -d. -f3 <<<"$FEDERATED_JWT_TOKEN")' <<<'$audit'"

# ---- Attacks: one per rule, each refused with a clear error ----
secret=$(api POST "$HOST/api/2.0/accounts/servicePrincipals/$SP/credentials/secrets" '{}' | jq -r .secret)
secret_login() {
  lkstatus -X POST "$HOST/oidc/v1/token" -u "$APP:$secret" -d grant_type=client_credentials -d scope=all-apis
}
expect_eq "a client-secret login works before the attacks" 200 "$(secret_login)"
refused() {  # refused NAME EXPECTED_ERROR DESCRIPTION_REGEX TOKEN [client_id]
  local out; out=$(xchg "$4" "${5-$APP}")
  check "$1: $2 ($(jq -r .error_description <<<"$out"))" \
    jq -e --arg e "$2" --arg d "$3" '.error==$e and (.error_description|test($d)) and (has("access_token")|not)' <<<"$out"
}
refused "wrong issuer" invalid_request "trusts the issuer" "$(mint "$ISS/evil" "$GHA_SUB" "$GHA_AUD")"
refused "registered issuer plus a trailing slash" invalid_request "trailing slash" "$(mint "$ISS/gha/" "$GHA_SUB" "$GHA_AUD")"
refused "wrong subject" invalid_request "subject" "$(mint "$ISS/gha" "repo:octo-org/app:pull_request" "$GHA_AUD")"
refused "subject differing only in case" invalid_request "subject" "$(mint "$ISS/gha" "repo:Octo-org/app:environment:prod" "$GHA_AUD")"
refused "wrong audience" invalid_request "audience" "$(mint "$ISS/gha" "$GHA_SUB" https://github.com/evil-org)"
refused "the account audience on a policy that names its own" invalid_request "audience" "$(mint "$ISS/gha" "$GHA_SUB" "$ACCOUNT")"
refused "expired" invalid_request "expired" "$(mint "$ISS/gha" "$GHA_SUB" "$GHA_AUD" --iat-in -1200 --exp-in -300)"
refused "not yet valid" invalid_request "not valid yet" "$(mint "$ISS/gha" "$GHA_SUB" "$GHA_AUD" --nbf-in 600)"
refused "lifetime too long (2 days)" invalid_request "longer than" "$(mint "$ISS/gha" "$GHA_SUB" "$GHA_AUD" --exp-in 172800)"
refused "alg none" invalid_request "RS256 or ES256" "$(mint "$ISS/gha" "$GHA_SUB" "$GHA_AUD" --alg none)"
refused "HS256 keyed with the issuer's public key" invalid_request "RS256 or ES256" "$(mint "$ISS/gha" "$GHA_SUB" "$GHA_AUD" --alg HS256)"
refused "an ES256 signature under the RSA kid" invalid_request "does not verify" "$(mint "$ISS/gha" "$GHA_SUB" "$GHA_AUD" --alg ES256 --kid rsa-1)"
refused "unknown kid" invalid_request "publishes no key" "$(mint "$ISS/gha" "$GHA_SUB" "$GHA_AUD" --kid unknown-1)"
tampered="$(cut -d. -f1 <<<"$FEDERATED_JWT_TOKEN").$(printf '{"iss":"%s","sub":"%s","aud":"%s","iat":%d,"exp":%d}' "$ISS/gha" "$GHA_SUB" "$GHA_AUD" "$(date +%s)" "$(( $(date +%s) + 600 ))" | base64 -w0 | tr '+/' '-_' | tr -d =).$(cut -d. -f3 <<<"$FEDERATED_JWT_TOKEN")"
refused "claims changed under a valid signature" invalid_request "does not verify" "$tampered"
refused "a GitHub token at the account (no client_id): no account policy trusts it" invalid_request "trusts the issuer" "$FEDERATED_JWT_TOKEN" ""
refused "an unknown client_id" invalid_client "client_id" "$FEDERATED_JWT_TOKEN" "00000000-0000-0000-0000-000000000000"
refused "an account token naming no user" invalid_request "No user or service principal" \
  "$(mint "$ISS/corp" x databricks --extra '{"email":"mallory@example.com"}')" ""
mode down down
api POST "$SPP?policy_id=down" "{\"oidc_policy\":{\"issuer\":\"$ISS/down\",\"subject\":\"s\"}}" >/dev/null
sleep 3.2  # past the refetch interval of the fetch that registration started
out=$(xchg "$(mint "$ISS/down" s "$ACCOUNT")" "$APP")
check "an issuer that is down: 503 temporarily_unavailable ($(jq -r .error_description <<<"$out"))" \
  jq -e '.error=="temporarily_unavailable" and (.error_description|test("could not be fetched"))' <<<"$out"
expect_eq "... with status 503" 503 "$(lkstatus -X POST "$HOST/oidc/v1/token" --data-urlencode "subject_token=$(mint "$ISS/down" s "$ACCOUNT")" \
  -d "client_id=$APP" -d 'subject_token_type=urn:ietf:params:oauth:token-type:jwt' -d 'grant_type=urn:ietf:params:oauth:grant-type:token-exchange')"
expect_eq "a wrong subject_token_type is refused" invalid_request "$(lkcurl -X POST "$HOST/oidc/v1/token" -d "subject_token=$k8s" \
  -d 'subject_token_type=urn:ietf:params:oauth:token-type:access_token' -d 'grant_type=urn:ietf:params:oauth:grant-type:token-exchange' | jq -r .error)"
expect_eq "client-secret logins are unaffected by all of the above" 200 "$(secret_login)"
check "... and the good federated token still exchanges" jq -e '.token_type=="Bearer"' <<<"$(xchg "$FEDERATED_JWT_TOKEN" "$APP")"
check "failed exchanges are audited (reason, never the token)" \
  bash -c "curl -sS --cacert '$LK_CA' '$HOST/api/2.0/latchkey/audit?limit=1000' -H 'Authorization: Bearer $LK_ADMIN_TOKEN' | jq -e '[.events[] | select(.action==\"federation.exchange_failed\")] | length >= 10' >/dev/null"
# ---- Two latchkeys: B (this server) trusts A's workspace tokens as a federated issuer ----
a_token=$(curl -sS --cacert "$A_CA" -X POST "$A_URL/oidc/v1/token" -u "$A_APP:$A_SECRET" \
  -d grant_type=client_credentials -d scope=all-apis | jq -r .access_token)
a_claims=$(python3 -c 'import base64,sys; p=sys.argv[1].split(".")[1]; print(base64.urlsafe_b64decode(p+"="*(-len(p)%4)).decode())' "$a_token")
A_ISS=$(jq -r .iss <<<"$a_claims" 2>/dev/null || true)
A_AUD=$(jq -r .aud <<<"$a_claims" 2>/dev/null || true)
expect_eq "A's workspace token names A's issuer" "$A_URL/oidc" "$A_ISS"
api POST "$SPP?policy_id=latchkey-a" "{\"oidc_policy\":{\"issuer\":\"$A_ISS\",\"subject\":\"$A_APP\",\"audiences\":[\"$A_AUD\"]}}" >/dev/null
b=$(xchg "$a_token" "$APP")
bt=$(jq -r .access_token <<<"$b")
check "an A-issued workspace token is exchanged at B ($(jq -r '.error_description // "ok"' <<<"$b"))" test -n "$bt" -a "$bt" != null
expect_eq "... for B's service principal" "$APP" \
  "$(lkcurl -H "Authorization: Bearer $bt" "$HOST/api/2.0/preview/scim/v2/Me" | jq -r .applicationId)"
check "A's token alone is no bearer at B (B does not trust A's issuer for bearer auth)" \
  test "$(lkstatus -H "Authorization: Bearer $a_token" "$HOST/api/2.0/preview/scim/v2/Me")" != 200

# ---- The CLI: federation policies, and env-oidc / file-oidc profiles ----
CLI=${LATCHKEY_CLI:?LATCHKEY_CLI must name the latchkey binary}
export SSL_CERT_FILE="$LK_CA"
admin_cli() { env -u DATABRICKS_AUTH_TYPE HOME="$LK_TMP/home" LATCHKEY_CONFIG_DIR="$LK_TMP/admin-cli" \
  DATABRICKS_HOST="$HOST" DATABRICKS_TOKEN="$LK_ADMIN_TOKEN" "$CLI" "$@"; }
mkdir -p "$LK_TMP/home"
created=$(admin_cli federation policies create --service-principal-id "$SP" --policy-id cli-k8s \
  --issuer "$ISS/k8s" --subject system:serviceaccount:ci:cli --audience latchkey-ci --description "from the CLI")
expect_eq "latchkey federation policies create (account id from the host metadata)" \
  "accounts/$ACCOUNT/servicePrincipals/$SP/federationPolicies/cli-k8s" "$(jq -r .name <<<"$created")"
check "latchkey federation policies list shows it" \
  bash -c "$(declare -f admin_cli); CLI='$CLI' HOST='$HOST' LK_ADMIN_TOKEN='$LK_ADMIN_TOKEN' LK_TMP='$LK_TMP' admin_cli federation policies list --service-principal-id '$SP' | jq -e '[.policies[].policy_id] | index(\"cli-k8s\")' >/dev/null"
updated=$(admin_cli federation policies update --service-principal-id "$SP" --policy-id cli-k8s --description changed)
check "latchkey federation policies update changes only the field given" \
  jq -e '.description=="changed" and .oidc_policy.subject=="system:serviceaccount:ci:cli"' <<<"$updated"
expect_eq "latchkey federation policies get --account-id with the wrong account fails" 1 \
  "$( (admin_cli federation policies get --account-id 00000000-0000-0000-0000-000000000000 --policy-id corp-idp >/dev/null 2>&1) && echo 0 || echo 1)"
expect_eq "latchkey federation policies get (account policy)" "email" \
  "$(admin_cli federation policies get --policy-id corp-idp | jq -r .oidc_policy.subject_claim)"

# file-oidc, as on Kubernetes: the projected service-account token in a file.
mkdir -p "$LK_TMP/k8s"
mint "$ISS/k8s" system:serviceaccount:ci:cli latchkey-ci --alg ES256 --exp-in 3600 > "$LK_TMP/k8s/token"
workload_cli() { env -u DATABRICKS_TOKEN HOME="$LK_TMP/home" LATCHKEY_CONFIG_DIR="$LK_TMP/workload-cli" \
  DATABRICKS_HOST="$HOST" DATABRICKS_CLIENT_ID="$APP" "$@"; }
out=$(workload_cli DATABRICKS_AUTH_TYPE=file-oidc DATABRICKS_OIDC_TOKEN_FILEPATH="$LK_TMP/k8s/token" \
  "$CLI" tokens create --lifetime-seconds 600 --comment from-k8s)
check "file-oidc: the CLI exchanges the file's token and creates a PAT (the SP has CAN_USE)" \
  jq -e '.token_value|startswith("dapi")' <<<"$out"
cache=$(ls "$LK_TMP/workload-cli"/* 2>/dev/null | head -1)
expect_eq "... its token cache is mode 0600" 600 "$(stat -c %a "$cache")"
check "... and never holds the workload's token" bash -c "! grep -qF '$(cut -d. -f3 < "$LK_TMP/k8s/token")' '$cache'"
before=$(grep -c 'federation.exchange"' <<<"$(lkcurl "$HOST/api/2.0/latchkey/audit?limit=1000" -H "Authorization: Bearer $LK_ADMIN_TOKEN" | jq -c '.events[] | {action}')" || true)
workload_cli DATABRICKS_AUTH_TYPE=file-oidc DATABRICKS_OIDC_TOKEN_FILEPATH="$LK_TMP/k8s/token" "$CLI" tokens list >/dev/null
after=$(grep -c 'federation.exchange"' <<<"$(lkcurl "$HOST/api/2.0/latchkey/audit?limit=1000" -H "Authorization: Bearer $LK_ADMIN_TOKEN" | jq -c '.events[] | {action}')" || true)
expect_eq "... a second command reuses the cached token (no new exchange)" "$before" "$after"
# env-oidc, as in GitHub Actions: the token in a variable named by DATABRICKS_OIDC_TOKEN_ENV.
export MY_CI_JWT="$FEDERATED_JWT_TOKEN"
out=$(workload_cli DATABRICKS_OIDC_TOKEN="$FEDERATED_JWT_TOKEN" LATCHKEY_CONFIG_DIR="$LK_TMP/env-cli" "$CLI" tokens list)
check "env-oidc (DATABRICKS_OIDC_TOKEN, auth type inferred): the CLI exchanges and lists tokens" jq -e 'has("token_infos") or . == {}' <<<"$out"
out=$(workload_cli DATABRICKS_AUTH_TYPE=env-oidc DATABRICKS_OIDC_TOKEN_ENV=MY_CI_JWT LATCHKEY_CONFIG_DIR="$LK_TMP/env-cli2" "$CLI" tokens list)
check "env-oidc with DATABRICKS_OIDC_TOKEN_ENV naming another variable" jq -e 'has("token_infos") or . == {}' <<<"$out"
mint "$ISS/k8s" system:serviceaccount:ci:intruder latchkey-ci --alg ES256 > "$LK_TMP/k8s/bad"
err=$(workload_cli DATABRICKS_AUTH_TYPE=file-oidc DATABRICKS_OIDC_TOKEN_FILEPATH="$LK_TMP/k8s/bad" LATCHKEY_CONFIG_DIR="$LK_TMP/bad-cli" \
  "$CLI" tokens list 2>&1 >/dev/null && echo UNEXPECTED-SUCCESS || true)
check "file-oidc with a token of another subject fails with the server's reason ($err)" grep -q "subject" <<<"$err"
# github-oidc, as the CLI runs in a GitHub Actions job: an ID token from the runner's token
# service (ACTIONS_ID_TOKEN_REQUEST_URL / _TOKEN; here the test issuer plays it) for the
# workspace's token endpoint as audience, exchanged under a policy with the default audiences.
ACTIONS_SUB="repo:octo-org/app:ref:refs/heads/main"
printf '%s\n%s\n' runner-request-token "$ACTIONS_SUB" > "$LK_TMP/issuer/actions.actions"
cat "$LK_CA" "$ISSUER_CA" > "$LK_TMP/cli-and-issuer-cas.pem"
p=$(api POST "$SPP?policy_id=github-actions" "{\"oidc_policy\":{\"issuer\":\"$ISS/actions\",\"subject\":\"$ACTIONS_SUB\"}}")
expect_eq "a policy for the runner's issuer, with the default audiences" github-actions "$(jq -r .policy_id <<<"$p")"
gh_cli() { workload_cli SSL_CERT_FILE="$LK_TMP/cli-and-issuer-cas.pem" \
  ACTIONS_ID_TOKEN_REQUEST_URL="$ISS/actions/actions-token?api-version=2.0" "$@"; }
out=$(gh_cli ACTIONS_ID_TOKEN_REQUEST_TOKEN=runner-request-token DATABRICKS_AUTH_TYPE=github-oidc \
  LATCHKEY_CONFIG_DIR="$LK_TMP/gh-cli" "$CLI" tokens create --lifetime-seconds 600 --comment from-actions)
check "github-oidc: the CLI asks the runner for an ID token, exchanges it and creates a PAT" \
  jq -e '.token_value|startswith("dapi")' <<<"$out"
out=$(gh_cli ACTIONS_ID_TOKEN_REQUEST_TOKEN=runner-request-token LATCHKEY_CONFIG_DIR="$LK_TMP/gh-cli2" "$CLI" tokens list)
check "github-oidc is inferred from the runner's variables and a client id" \
  jq -e 'has("token_infos") or . == {}' <<<"$out"
err=$(gh_cli ACTIONS_ID_TOKEN_REQUEST_TOKEN=wrong DATABRICKS_AUTH_TYPE=github-oidc LATCHKEY_CONFIG_DIR="$LK_TMP/gh-cli3" \
  "$CLI" tokens list 2>&1 >/dev/null && echo UNEXPECTED-SUCCESS || true)
check "github-oidc with a wrong request token fails: the runner refused ($err)" grep -q "HTTP 401" <<<"$err"
err=$(gh_cli ACTIONS_ID_TOKEN_REQUEST_TOKEN=runner-request-token DATABRICKS_AUTH_TYPE=github-oidc \
  DATABRICKS_TOKEN_AUDIENCE=https://elsewhere.example LATCHKEY_CONFIG_DIR="$LK_TMP/gh-cli4" \
  "$CLI" tokens list 2>&1 >/dev/null && echo UNEXPECTED-SUCCESS || true)
check "github-oidc asking for an audience the policy does not accept is refused ($err)" \
  grep -q "audience does not match" <<<"$err"
expect_eq "latchkey federation policies delete" 0 "$(admin_cli federation policies delete --service-principal-id "$SP" --policy-id cli-k8s >/dev/null && echo 0 || echo 1)"
# ---- The CLI: Entra federated identity credentials through Graph ----
entra_cli() { env -u DATABRICKS_TOKEN -u DATABRICKS_HOST HOME="$LK_TMP/home" LATCHKEY_CONFIG_DIR="$LK_TMP/entra-cli" \
  LATCHKEY_AUTHORITY="$HOST" "$CLI" "$@"; }
expect_eq "latchkey login as the directory admin" 0 "$(entra_cli login --service-principal --tenant "$LK_TENANT" \
  --username "$LK_DIR_CLIENT" --password "$LK_DIR_SECRET" --allow-no-subscriptions >/dev/null 2>&1 && echo 0 || echo 1)"
fic=$(entra_cli federation credentials create --app-id "$APP" --name gha-main --issuer "$ISS/gha" --subject "$GHA_SUB")
expect_eq "latchkey federation credentials create (default audience)" "api://AzureADTokenExchange" "$(jq -r '.audiences[0]' <<<"$fic")"
expect_eq "latchkey federation credentials list" "gha-main" "$(entra_cli federation credentials list --app-id "$APP" | jq -r '.value[0].name')"
entra=$(lkcurl -X POST "$HOST/$LK_TENANT/oauth2/v2.0/token" -d grant_type=client_credentials -d "client_id=$APP" \
  -d "scope=2ff814a6-3304-4ab8-85cb-cd0e6f879c1d%2F.default" \
  -d client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer \
  --data-urlencode "client_assertion=$(mint "$ISS/gha" "$GHA_SUB" api://AzureADTokenExchange)")
check "... and a GitHub token exchanges through it on the Entra side" jq -e '.token_type=="Bearer"' <<<"$entra"
entra_cli federation credentials delete --app-id "$APP" --name gha-main >/dev/null
expect_eq "latchkey federation credentials delete (by name)" 0 "$(entra_cli federation credentials list --app-id "$APP" | jq '.value|length')"
finish
