#!/usr/bin/env bash
# Issue 3: the Entra-compatible token endpoints, discovery, keys, Graph-shaped directory API,
# every error case with its status, error and AADSTS code, throttling, certificate login.
source "$(dirname "$0")/lib.sh"
lk_start
DBX=2ff814a6-3304-4ab8-85cb-cd0e6f879c1d
lk_new_sp idp-app
check "Graph API created an app with a GUID client id" grep -Eq '^[0-9a-f-]{36}$' <<<"$SP_CLIENT_ID"

tok() {  # tok PATH FORM...  -> body; status in $STATUS
  local path=$1; shift
  local args=()
  for f in "$@"; do args+=(-d "$f"); done
  local out
  out=$(lkcurl -w '\n%{http_code}' -X POST "$LK_URL$path" "${args[@]}")
  STATUS=$(tail -n1 <<<"$out")
  BODY=$(sed '$d' <<<"$out")
}
# expect_entra_error DESCRIPTION STATUS ERROR AADSTS
expect_entra_error() {
  expect_eq "$1: status" "$2" "$STATUS"
  expect_eq "$1: error" "$3" "$(jq -r .error <<<"$BODY")"
  expect_eq "$1: error_codes" "$4" "$(jq -r '.error_codes[0]' <<<"$BODY")"
  check "$1: description starts with AADSTS$4" grep -q "^AADSTS$4: " <<<"$(jq -r .error_description <<<"$BODY")"
  for k in timestamp trace_id correlation_id; do
    check "$1: has $k" test -n "$(jq -r ".$k // empty" <<<"$BODY")"
  done
}

V2="/$LK_TENANT/oauth2/v2.0/token"
tok "$V2" "client_id=$SP_CLIENT_ID" grant_type=client_credentials "scope=$DBX%2F.default" "client_secret=$SP_SECRET"
expect_eq "v2 token: 200" 200 "$STATUS"
expect_eq "v2 token: expires_in is the number 3599" 3599 "$(jq '.expires_in' <<<"$BODY")"
expect_eq "v2 token: expires_in is a number" number "$(jq -r '.expires_in|type' <<<"$BODY")"
expect_eq "v2 token: token_type" Bearer "$(jq -r .token_type <<<"$BODY")"
check "v2 token: no refresh_token or client_info" test "$(jq 'has("refresh_token") or has("client_info") or has("id_token")' <<<"$BODY")" = false
AT=$(jq -r .access_token <<<"$BODY")
claims=$(cut -d. -f2 <<<"$AT" | tr '_-' '/+' | base64 -d 2>/dev/null || true)
[ -z "$claims" ] && claims=$(cut -d. -f2 <<<"$AT" | tr '_-' '/+' | sed 's/$/==/' | base64 -d 2>/dev/null || true)
expect_eq "token aud is the Databricks resource" "$DBX" "$(jq -r .aud <<<"$claims" 2>/dev/null)"
expect_eq "token appid is the client id" "$SP_CLIENT_ID" "$(jq -r .appid <<<"$claims" 2>/dev/null)"
expect_eq "token tid" "$LK_TENANT" "$(jq -r .tid <<<"$claims" 2>/dev/null)"
expect_eq "token iss is the tenant's one v1 issuer, whatever host was used" "https://sts.windows.net/$LK_TENANT/" "$(jq -r .iss <<<"$claims" 2>/dev/null)"
expect_eq "token lives 3600 s" 3600 "$(jq '.exp - .iat' <<<"$claims" 2>/dev/null)"
expect_eq "token ver" 1.0 "$(jq -r .ver <<<"$claims" 2>/dev/null)"

tok "/$LK_TENANT/oauth2/token" "client_id=$SP_CLIENT_ID" grant_type=client_credentials "resource=$DBX" "client_secret=$SP_SECRET"
expect_eq "v1 token: 200" 200 "$STATUS"
expect_eq "v1 token: expires_in is a string" string "$(jq -r '.expires_in|type' <<<"$BODY")"
expect_eq "v1 token: resource" "$DBX" "$(jq -r .resource <<<"$BODY")"
check "v1 token: expires_on and not_before" test "$(jq 'has("expires_on") and has("not_before")' <<<"$BODY")" = true

# HTTP Basic client auth, and the SDK's //tenant path.
out=$(lkcurl --path-as-is -w '\n%{http_code}' -u "$SP_CLIENT_ID:$SP_SECRET" -X POST "$LK_URL//$LK_TENANT/oauth2/token" \
  -d "resource=$DBX" -d grant_type=client_credentials)
expect_eq "Basic auth on //tenant/oauth2/token: 200" 200 "$(tail -n1 <<<"$out")"
tok /adfs/oauth2/token "client_id=$SP_CLIENT_ID" grant_type=client_credentials "scope=$LK_URL//.default" "client_secret=$SP_SECRET"
expect_eq "adfs endpoint with az's double-slash scope: 200" 200 "$STATUS"

# Errors.
tok "$V2" "client_id=$SP_CLIENT_ID" grant_type=client_credentials "scope=$DBX%2F.default" "client_secret=wrong-secret"
expect_entra_error "wrong secret" 401 invalid_client 7000215
check "wrong secret: the secret is not echoed" bash -c "! grep -q wrong-secret <<<'$BODY'"
tok "$V2" "client_id=$SP_CLIENT_ID" grant_type=client_credentials "scope=$DBX%2F.default"
expect_entra_error "missing secret" 401 invalid_client 7000218
tok "$V2" "client_id=00000000-1111-2222-3333-444444444444" grant_type=client_credentials "scope=$DBX%2F.default" "client_secret=x"
expect_entra_error "unknown app" 400 unauthorized_client 700016
tok "/11111111-2222-3333-4444-555555555555/oauth2/v2.0/token" "client_id=$SP_CLIENT_ID" grant_type=client_credentials "scope=$DBX%2F.default" "client_secret=$SP_SECRET"
expect_entra_error "unknown tenant" 400 invalid_tenant 90002
other=$("$LATCHKEYD" tenants create --data-dir "$LK_TMP/lk" --name other | jq -r .tenant_id)
tok "/$other/oauth2/v2.0/token" "client_id=$SP_CLIENT_ID" grant_type=client_credentials "scope=$DBX%2F.default" "client_secret=$SP_SECRET"
expect_entra_error "app not in that tenant" 400 unauthorized_client 700016
tok "$V2" "client_id=$SP_CLIENT_ID" grant_type=client_credentials "scope=$DBX" "client_secret=$SP_SECRET"
expect_entra_error "scope without /.default" 400 invalid_scope 70011
tok "$V2" "client_id=$SP_CLIENT_ID" grant_type=client_credentials "scope=https%3A%2F%2Fnothing.example%2F.default" "client_secret=$SP_SECRET"
expect_entra_error "unknown resource" 400 invalid_resource 500011
tok "$V2" "client_id=$SP_CLIENT_ID" grant_type=password "scope=$DBX%2F.default" "client_secret=$SP_SECRET"
expect_entra_error "unsupported grant type" 400 unsupported_grant_type 70003
tok "$V2" "client_id=$SP_CLIENT_ID" "scope=$DBX%2F.default" "client_secret=$SP_SECRET"
expect_entra_error "missing grant_type" 400 invalid_request 900144
tok "$V2" "client_id=$SP_CLIENT_ID" grant_type=client_credentials "scope=%zz" "client_secret=$SP_SECRET"
expect_eq "malformed form body: 400" 400 "$STATUS"
out=$(lkcurl -w '\n%{http_code}' -u "$SP_CLIENT_ID:$SP_SECRET" -X POST "$LK_URL$V2" -d grant_type=client_credentials \
  -d "scope=$DBX%2F.default" -d "client_secret=$SP_SECRET")
STATUS=$(tail -n1 <<<"$out"); BODY=$(sed '$d' <<<"$out")
expect_entra_error "Basic and body secret together" 400 invalid_request 90014

graph=$(lk_graph_token)
app_obj=$(lkcurl "$LK_URL/v1.0/applications?\$filter=appId%20eq%20'$SP_CLIENT_ID'" -H "Authorization: Bearer $graph" | jq -r '.value[0].id')
check "Graph \$filter=appId finds the app" test -n "$app_obj" -a "$app_obj" != null
expect_eq "addPassword with an end date in the past: 400" 400 "$(lkstatus -X POST "$LK_URL/v1.0/applications/$app_obj/addPassword" \
  -H "Authorization: Bearer $graph" -H 'Content-Type: application/json' \
  -d '{"passwordCredential":{"displayName":"past","endDateTime":"2020-01-01T00:00:00Z"}}')"
# A secret that ends two seconds from now, then has ended.
expired=$(lkcurl -X POST "$LK_URL/v1.0/applications/$app_obj/addPassword" -H "Authorization: Bearer $graph" \
  -H 'Content-Type: application/json' \
  -d "{\"passwordCredential\":{\"displayName\":\"old\",\"endDateTime\":\"$(date -u -d '+2 seconds' +%FT%TZ)\"}}" | jq -r .secretText)
sleep 3
tok "$V2" "client_id=$SP_CLIENT_ID" grant_type=client_credentials "scope=$DBX%2F.default" "client_secret=$expired"
expect_entra_error "expired secret" 401 invalid_client 7000222
key_id=$(lkcurl "$LK_URL/v1.0/applications/$app_obj" -H "Authorization: Bearer $graph" | jq -r '.passwordCredentials[] | select(.displayName=="old") | .keyId')
expect_eq "removePassword: 204" 204 "$(lkstatus -X POST "$LK_URL/v1.0/applications/$app_obj/removePassword" -H "Authorization: Bearer $graph" -H 'Content-Type: application/json' -d "{\"keyId\":\"$key_id\"}")"
check "Graph never returns secretText after creation" test "$(lkcurl "$LK_URL/v1.0/applications/$app_obj" -H "Authorization: Bearer $graph" | jq '[.passwordCredentials[].secretText] | all(. == null)')" = true
expect_eq "Graph without a token: 401" 401 "$(lkstatus "$LK_URL/v1.0/applications")"
expect_eq "Graph with a Databricks-audience token: 401" 401 "$(lkstatus -H "Authorization: Bearer $AT" "$LK_URL/v1.0/applications")"

# Discovery documents carry the exact scheme, host and port used.
for doc in "/$LK_TENANT/v2.0/.well-known/openid-configuration" "/$LK_TENANT/.well-known/openid-configuration" "/adfs/.well-known/openid-configuration"; do
  d=$(lkcurl "$LK_URL$doc")
  check "$doc: token_endpoint on $LK_URL" grep -q "^$LK_URL/" <<<"$(jq -r .token_endpoint <<<"$d")"
  check "$doc: has authorization_endpoint, issuer and jwks_uri" test "$(jq 'has("authorization_endpoint") and has("issuer") and has("jwks_uri")' <<<"$d")" = true
done
expect_eq "v2 issuer" "https://login.microsoftonline.com/$LK_TENANT/v2.0" "$(lkcurl "$LK_URL/$LK_TENANT/v2.0/.well-known/openid-configuration" | jq -r .issuer)"
expect_eq "v1 issuer" "https://sts.windows.net/$LK_TENANT/" "$(lkcurl "$LK_URL/$LK_TENANT/.well-known/openid-configuration" | jq -r .issuer)"
expect_eq "the discovery endpoints follow the name the client used" "https://localhost:${LK_URL##*:}/$LK_TENANT/oauth2/v2.0/token" \
  "$(lkcurl "https://localhost:${LK_URL##*:}/$LK_TENANT/v2.0/.well-known/openid-configuration" | jq -r .token_endpoint)"
s=$(lkstatus "$LK_URL/11111111-2222-3333-4444-555555555555/v2.0/.well-known/openid-configuration")
expect_eq "discovery for an unknown tenant: 400" 400 "$s"
jwks=$(lkcurl "$LK_URL/$LK_TENANT/discovery/v2.0/keys")
check "JWKS has kid, x5t-free RSA n/e and use" test "$(jq '.keys[0] | has("kid") and has("n") and has("e") and .use=="sig" and .kty=="RSA"' <<<"$jwks")" = true
meta=$(lkcurl --path-as-is "$LK_URL//metadata/endpoints?api-version=2015-01-01")
expect_eq "ARM metadata login endpoint ends in /adfs" "$LK_URL/adfs" "$(jq -r .authentication.loginEndpoint <<<"$meta")"
expect_eq "ARM subscriptions: empty list for a valid token" '[]' "$(lkcurl -H "Authorization: Bearer $AT" "$LK_URL/subscriptions?api-version=2019-11-01" | jq -c .value)"
expect_eq "ARM subscriptions without a token: 401" 401 "$(lkstatus "$LK_URL/subscriptions?api-version=2019-11-01")"

# Brute force: 10 bad secrets lock that client out (429 + Retry-After), not the others.
lk_new_sp victim
for i in $(seq 1 10); do
  tok "$V2" "client_id=$SP_CLIENT_ID" grant_type=client_credentials "scope=$DBX%2F.default" "client_secret=guess$i"
done
out=$(lkcurl -D - -X POST "$LK_URL$V2" -d "client_id=$SP_CLIENT_ID" -d grant_type=client_credentials -d "scope=$DBX%2F.default" -d "client_secret=$SP_SECRET")
check "after 10 failures the client is throttled with 429" grep -q '^HTTP/1.1 429' <<<"$out"
check "... and Retry-After" grep -qi '^retry-after: [0-9]' <<<"$out"
check "... in Entra's error shape" grep -q '"error_codes"' <<<"$out"
victim_id=$SP_CLIENT_ID
lk_new_sp bystander
tok "$V2" "client_id=$SP_CLIENT_ID" grant_type=client_credentials "scope=$DBX%2F.default" "client_secret=$SP_SECRET"
expect_eq "another app from the same address is not slowed" 200 "$STATUS"

# Certificate credential: a client assertion signed by a registered certificate.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$LK_TMP/c.key" -out "$LK_TMP/c.pem" -days 2 -subj /CN=e2e 2>/dev/null
der_b64=$(openssl x509 -in "$LK_TMP/c.pem" -outform DER | base64 -w0)
cert_app=$(lkcurl "$LK_URL/v1.0/applications?\$filter=appId%20eq%20'$SP_CLIENT_ID'" -H "Authorization: Bearer $graph" | jq -r '.value[0].id')
expect_eq "PATCH keyCredentials: 204" 204 "$(lkstatus -X PATCH "$LK_URL/v1.0/applications/$cert_app" -H "Authorization: Bearer $graph" \
  -H 'Content-Type: application/json' -d "{\"keyCredentials\":[{\"type\":\"AsymmetricX509Cert\",\"usage\":\"Verify\",\"key\":\"$der_b64\",\"displayName\":\"e2e\"}]}")"
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
x5t=$(openssl x509 -in "$LK_TMP/c.pem" -outform DER | openssl dgst -sha1 -binary | b64url)
now=$(date +%s)
header=$(printf '{"alg":"RS256","typ":"JWT","x5t":"%s"}' "$x5t" | b64url)
payload=$(printf '{"iss":"%s","sub":"%s","aud":"%s","jti":"%s","nbf":%d,"exp":%d}' "$SP_CLIENT_ID" "$SP_CLIENT_ID" "$LK_URL$V2" "$RANDOM$RANDOM" "$now" "$((now+600))" | b64url)
sig=$(printf '%s.%s' "$header" "$payload" | openssl dgst -sha256 -sign "$LK_TMP/c.key" -binary | b64url)
tok "$V2" "client_id=$SP_CLIENT_ID" grant_type=client_credentials "scope=$DBX%2F.default" \
  "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer" "client_assertion=$header.$payload.$sig"
expect_eq "certificate (client assertion) login: 200" 200 "$STATUS"
bad_sig=$(printf '%s.%s' "$header" "$payload" | openssl dgst -sha256 -sign "$LK_TMP/c.key" -binary | b64url | rev)
tok "$V2" "client_id=$SP_CLIENT_ID" grant_type=client_credentials "scope=$DBX%2F.default" \
  "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer" "client_assertion=$header.$payload.$bad_sig"
expect_entra_error "a forged client assertion" 401 invalid_client 700027
finish
