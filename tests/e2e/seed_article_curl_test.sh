#!/usr/bin/env bash
# The seed article's REST steps, verbatim apart from where they point: an Entra token by curl,
# a PAT created with it, listed with the PAT, revoked with the Entra token; the PAT is refused
# right after.
source "$(dirname "$0")/lib.sh"
lk_start
lk_new_sp seed-sp
lk_grant_can_use "$SP_CLIENT_ID"
export CURL_CA_BUNDLE="$LK_CA"
tenant_id=$LK_TENANT client_id=$SP_CLIENT_ID client_secret=$SP_SECRET
login_host=${LK_URL#https://}

# Step 2 of the article (login.microsoftonline.com replaced by latchkey).
export DATABRICKS_HOST="${LK_URL#https://}"
export AAD_TOKEN=$(curl \
-X POST \
-H 'Content-Type: application/x-www-form-urlencoded' \
"https://${login_host}/${tenant_id}/oauth2/v2.0/token" \
-d "client_id=${client_id}" \
-d 'grant_type=client_credentials' \
-d 'scope=2ff814a6-3304-4ab8-85cb-cd0e6f879c1d%2F.default' \
-d "client_secret=${client_secret}" \
| jq -r '.access_token')
check "curl got an Entra access token" grep -Eq '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$' <<<"$AAD_TOKEN"

# Step 4: create a PAT with the Entra token.
created=$(curl -v -X POST \
-H "Content-Type: application/json" \
-H  "Authorization: Bearer ${AAD_TOKEN}" \
"https://${DATABRICKS_HOST}/api/2.0/token/create" \
-d '{ "lifetime_seconds": 7776000, "comment": "my-pat-123" }' 2>"$LK_TMP/create.err")
PAT=$(jq -r .token_value <<<"$created")
TOKEN_ID=$(jq -r .token_info.token_id <<<"$created")
check "token_value is dapi + 32 hex" grep -Eq '^dapi[0-9a-f]{32}$' <<<"$PAT"
check "token_id is 64 hex" grep -Eq '^[0-9a-f]{64}$' <<<"$TOKEN_ID"
expect_eq "comment" my-pat-123 "$(jq -r .token_info.comment <<<"$created")"
expect_eq "expiry is creation + 90 days (ms)" 7776000000 "$(jq '.token_info.expiry_time - .token_info.creation_time' <<<"$created")"
check "curl -v shows no token in the server's response headers" bash -c "! grep -q dapi '$LK_TMP/create.err'"

# Revoke: list with the PAT...
listed=$(curl -X GET "https://${DATABRICKS_HOST}/api/2.0/token/list" \
  -H "Authorization: Bearer ${PAT}")
expect_eq "the PAT lists its own token" "$TOKEN_ID" "$(jq -r '.token_infos[] | select(.comment=="my-pat-123") | .token_id' <<<"$listed")"
check "list never shows token values" bash -c "! grep -q dapi <<<'$listed'"

# ... then delete with the Entra token.
deleted=$(curl -v -X POST \
-H "Content-Type: application/json" \
-H  "Authorization: Bearer ${AAD_TOKEN}" \
"https://${DATABRICKS_HOST}/api/2.0/token/delete" \
-d "{ \"token_id\": \"$TOKEN_ID\" }" 2>/dev/null)
expect_eq "delete answers {}" '{}' "$(jq -c . <<<"$deleted")"
out=$(curl -s -D - -H "Authorization: Bearer ${PAT}" "https://${DATABRICKS_HOST}/api/2.0/token/list")
check "the revoked PAT is refused with 403 right after" grep -q '^HTTP/1.1 403' <<<"$out"
check "... with Databricks' body" grep -q '"message":"Invalid access token."' <<<"$out"
expect_eq "deleting it again: 404" 404 "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer ${AAD_TOKEN}" \
  "https://${DATABRICKS_HOST}/api/2.0/token/delete" -d "{ \"token_id\": \"$TOKEN_ID\" }")"
finish
