#!/usr/bin/env bash
# Issue 9: /metrics after the seed article's walkthrough (Entra token by curl, PAT created with
# it, listed with the PAT, deleted, the revoked PAT refused) moved by exactly what it did; the
# admin-only /metrics on the main listener; the audit stream in its own 0600 file with request
# ids and principal ids; access lines labelled by route pattern. No secret anywhere.
source "$(dirname "$0")/lib.sh"
DATABRICKS_AUD=2ff814a6-3304-4ab8-85cb-cd0e6f879c1d

lk_init lk
AUDIT="$LK_TMP/audit/audit.jsonl"
mkdir -p "$LK_TMP/audit"
lk_serve lk --metrics-listen 127.0.0.1:0 --audit-log "$AUDIT"
METRICS=$(jq -r .metrics "$LK_TMP/lk.ready")
check "the ready file names the metrics listener" grep -Eq '^http://127\.0\.0\.1:[0-9]+/metrics$' <<<"$METRICS"
lk_new_sp metrics-sp
lk_grant_can_use "$SP_CLIENT_ID"

scrape() { curl -sS "$METRICS"; }
# value SCRAPE 'name{labels}': the sample's value, 0 when the series does not exist yet.
value() {
  awk -v k="$2" 'index($0, k " ") == 1 { print $NF; found = 1 } END { if (!found) print 0 }' <<<"$1"
}
# expect_delta "what" 'series' expected: compares BEFORE and AFTER.
expect_delta() {
  local before after
  before=$(value "$BEFORE" "$2")
  after=$(value "$AFTER" "$3")
  expect_eq "$1" "$4" "$(python3 -c "print(int(float('$after') - float('$before')))")"
}
delta() { expect_delta "$1" "$2" "$2" "$3"; }

headers=$(curl -sS -D - -o "$LK_TMP/first.txt" "$METRICS" | tr -d '\r')
check "exposition content type 0.0.4" grep -qi '^content-type: text/plain; version=0.0.4' <<<"$headers"
check "# TYPE lines" grep -q '^# TYPE latchkey_http_requests_total counter$' "$LK_TMP/first.txt"
check "build info" grep -Eq '^latchkey_build_info\{version="[0-9.]+",backend="sqlite"\} 1$' "$LK_TMP/first.txt"
check "open connections gauge" grep -Eq '^latchkey_open_connections [0-9]+$' "$LK_TMP/first.txt"
check "database latency histogram" grep -q '^latchkey_db_operation_duration_seconds_bucket{operation="CreatePrincipal",le="+Inf"}' "$LK_TMP/first.txt"
check "database pool size: 4 SQLite readers + the writer" grep -qx 'latchkey_db_pool_connections{state="size"} 5' "$LK_TMP/first.txt"
check "database pool: nobody waiting" grep -qx 'latchkey_db_pool_connections{state="waiting"} 0' "$LK_TMP/first.txt"

BEFORE=$(scrape)

# ---- The walkthrough (tests/e2e/seed_article_curl_test.sh) ----
AAD_TOKEN=$(lkcurl -X POST -H 'Content-Type: application/x-www-form-urlencoded' \
  "$LK_URL/$LK_TENANT/oauth2/v2.0/token" -d "client_id=$SP_CLIENT_ID" \
  -d 'grant_type=client_credentials' -d "scope=$DATABRICKS_AUD%2F.default" \
  --data-urlencode "client_secret=$SP_SECRET" | jq -r .access_token)
created=$(lkcurl -X POST -H 'Content-Type: application/json' -H "Authorization: Bearer $AAD_TOKEN" \
  "$LK_URL/api/2.0/token/create" -d '{ "lifetime_seconds": 7776000, "comment": "my-pat-123" }')
PAT=$(jq -r .token_value <<<"$created")
TOKEN_ID=$(jq -r .token_info.token_id <<<"$created")
check "a PAT was created" grep -Eq '^dapi[0-9a-f]{32}$' <<<"$PAT"
expect_eq "the PAT lists its token" "$TOKEN_ID" \
  "$(lkcurl -H "Authorization: Bearer $PAT" "$LK_URL/api/2.0/token/list" | jq -r '.token_infos[0].token_id')"
expect_eq "delete answers {}" '{}' "$(lkcurl -X POST -H "Authorization: Bearer $AAD_TOKEN" \
  "$LK_URL/api/2.0/token/delete" -d "{ \"token_id\": \"$TOKEN_ID\" }" | jq -c .)"
expect_eq "the revoked PAT is refused" 403 \
  "$(lkstatus -H "Authorization: Bearer $PAT" "$LK_URL/api/2.0/token/list")"

AFTER=$(scrape)

# ---- Exactly what it did ----
R='latchkey_http_requests_total'
delta "Entra token (v2 endpoint): tokens_issued{entra_v2} +1" 'latchkey_tokens_issued_total{kind="entra_v2"}' 1
delta "tokens_issued{entra_v1} unchanged" 'latchkey_tokens_issued_total{kind="entra_v1"}' 0
delta "tokens_issued{workspace_oauth} unchanged" 'latchkey_tokens_issued_total{kind="workspace_oauth"}' 0
delta "pats_created +1" 'latchkey_pats_created_total' 1
delta "pats_revoked +1" 'latchkey_pats_revoked_total' 1
delta "the token request, by its route pattern" "$R{route=\"/{tenant}/oauth2/v2.0/token\",method=\"POST\",status=\"200\"}" 1
delta "token/create POST 200 +1" "$R{route=\"/api/2.0/token/create\",method=\"POST\",status=\"200\"}" 1
delta "token/list GET 200 +1" "$R{route=\"/api/2.0/token/list\",method=\"GET\",status=\"200\"}" 1
delta "token/delete POST 200 +1" "$R{route=\"/api/2.0/token/delete\",method=\"POST\",status=\"200\"}" 1
delta "token/list GET 403 +1 (the revoked PAT)" "$R{route=\"/api/2.0/token/list\",method=\"GET\",status=\"403\"}" 1
delta "auth failure: unknown_token +1" 'latchkey_auth_failures_total{reason="unknown_token"}' 1
delta "PAT cache: two misses (first use, revoked use)" 'latchkey_auth_cache_misses_total{cache="pat"}' 2
delta "PAT cache: no hit" 'latchkey_auth_cache_hits_total{cache="pat"}' 0
delta "JWT cache: one miss (create), one hit (delete)" 'latchkey_auth_cache_misses_total{cache="jwt"}' 1
delta "JWT cache: one hit" 'latchkey_auth_cache_hits_total{cache="jwt"}' 1
delta "token/create latency observed once" \
  'latchkey_http_request_duration_seconds_count{route="/api/2.0/token/create"}' 1
delta "one CreatePat store call, timed" 'latchkey_db_operation_duration_seconds_count{operation="CreatePat"}' 1
delta "one DeletePat store call, timed" 'latchkey_db_operation_duration_seconds_count{operation="DeletePat"}' 1
check "no token value in /metrics" bash -c "! grep -Fq -e '$PAT' -e '$AAD_TOKEN' <<<\"\$0\"" "$AFTER"

# ---- Routes with a parameter are labelled by their pattern, never by the raw path ----
# The walkthrough's token id travels in bodies only; these requests carry a raw id in the path.
BEFORE=$(scrape)
ID_IN_PATH=$(lkcurl -X POST -H "Authorization: Bearer $LK_ADMIN_TOKEN" "$LK_URL/api/2.0/token/create" \
  -d '{"lifetime_seconds":600,"comment":"id in a path"}' | jq -r .token_info.token_id)
check "a token id to put in a path" test -n "$ID_IN_PATH" -a "$ID_IN_PATH" != null
expect_eq "GET token-management/tokens/<id> answers 200" 200 \
  "$(lkstatus -H "Authorization: Bearer $LK_ADMIN_TOKEN" "$LK_URL/api/2.0/token-management/tokens/$ID_IN_PATH")"
expect_eq "... and 404 for an unknown id" 404 \
  "$(lkstatus -H "Authorization: Bearer $LK_ADMIN_TOKEN" "$LK_URL/api/2.0/token-management/tokens/9999999999999999999")"
AFTER=$(scrape)
raw_path_logged() { grep -qF "\"path\":\"/api/2.0/token-management/tokens/$ID_IN_PATH\"" "$LK_LOG"; }
for _ in $(seq 1 100); do raw_path_logged && break; sleep 0.05; done  # access lines may lag
check "control: the access log has the raw path with the id" raw_path_logged
T='/api/2.0/token-management/tokens/{token_id}'
delta "the 200 is counted under the route pattern" "$R{route=\"$T\",method=\"GET\",status=\"200\"}" 1
delta "the 404 too" "$R{route=\"$T\",method=\"GET\",status=\"404\"}" 1
delta "... whose latency is observed under the pattern" \
  "latchkey_http_request_duration_seconds_count{route=\"$T\"}" 2
check "no raw path as a route label (no token id in /metrics)" \
  bash -c "! grep -F -e '$ID_IN_PATH' -e '9999999999999999999' -e 'tokens/' <<<\"\$0\" | grep -vF '$T'" "$AFTER"
check "no tenant id in /metrics (the token route's path carries one)" \
  bash -c "! grep -F '$LK_TENANT' <<<\"\$0\"" "$AFTER"

# ---- /metrics on the main listener: workspace admins only ----
expect_eq "main listener /metrics without a bearer: 401" 401 "$(lkstatus "$LK_URL/metrics")"
sp_pat=$(lkcurl -X POST -H "Authorization: Bearer $AAD_TOKEN" "$LK_URL/api/2.0/token/create" \
  -d '{"lifetime_seconds":600}' | jq -r .token_value)
expect_eq "... with a non-admin's PAT: 403" 403 \
  "$(lkstatus -H "Authorization: Bearer $sp_pat" "$LK_URL/metrics")"
expect_eq "... with the admin PAT: 200" 200 \
  "$(lkstatus -H "Authorization: Bearer $LK_ADMIN_TOKEN" "$LK_URL/metrics")"
admin_scrape=$(lkcurl -H "Authorization: Bearer $LK_ADMIN_TOKEN" "$LK_URL/metrics")
check "... the same exposition, whole over TLS (bodies > 16 KiB)" \
  bash -c "grep -q '^latchkey_pats_created_total 3$' <<<\"\$0\" && [ \${#0} -gt 16384 ]" "$admin_scrape"
expect_eq "the metrics listener serves nothing else" 404 \
  "$(curl -s -o /dev/null -w '%{http_code}' "${METRICS%/metrics}/api/2.0/token/list")"

# ---- Logs ----
check "audit file mode 0600" test "$(stat -c %a "$AUDIT")" = 600
create_line=$(grep '"action":"token.create"' "$AUDIT" | grep "\"target\":\"token:$TOKEN_ID\"" || true)
check "the audit stream has the PAT creation" test -n "$create_line"
check "... as JSON with logger audit" bash -c "jq -e '.logger == \"audit\"' >/dev/null <<<'$create_line'"
sp_principal=$(jq -r '.principal_id' <<<"$create_line")
expect_eq "... with the acting principal's id" "$SP_SCIM_ID" "$sp_principal"
rid=$(jq -r .request_id <<<"$create_line")
check "... with a request id" test -n "$rid"
check "... the same request id as the access line of that request" bash -c \
  "grep -F '\"request_id\":\"$rid\"' '$LK_LOG' | grep -q '\"route\":\"/api/2.0/token/create\"'"
check "the revoke is audited" grep -q "\"action\":\"token.delete\".*\"target\":\"token:$TOKEN_ID\"" "$AUDIT"
check "the refused PAT is audited with its reason" grep -q '"action":"token.auth_failed".*unknown_token' "$AUDIT"
check "audit events are not in the server log" bash -c "! grep -q '\"logger\":\"audit\"' '$LK_LOG'"
check "access lines name the route pattern and the raw path" \
  grep -q '"route":"/{tenant}/oauth2/v2.0/token","path":"/'"$LK_TENANT"'/oauth2/v2.0/token"' "$LK_LOG"
for secret in "$PAT" "$AAD_TOKEN" "$SP_SECRET" "$LK_ADMIN_TOKEN" "$sp_pat"; do
  check "no secret in the audit file or the log (${secret:0:6}...)" \
    bash -c "! grep -Fq -- '$secret' '$AUDIT' '$LK_LOG'"
done

# ---- SIGHUP: log level and audit file reopen ----
mv "$AUDIT" "$AUDIT.1"
check "the data dir's config sets level = info" grep -q '^level = "info"$' "$LK_TMP/lk/latchkey.toml"
sed -i 's/^level = "info"$/level = "debug"/' "$LK_TMP/lk/latchkey.toml"
kill -HUP "$LK_PID"
for i in $(seq 1 100); do grep -q 'config reload: log level' "$LK_LOG" && break; sleep 0.05; done
check "SIGHUP: the log level is reloaded" grep -q 'config reload: log level info -> debug' "$LK_LOG"
lkcurl -X POST -H "Authorization: Bearer $AAD_TOKEN" "$LK_URL/api/2.0/token/create" -d '{"lifetime_seconds":60}' >/dev/null
check "SIGHUP: the audit file was reopened (logrotate)" grep -q '"action":"token.create"' "$AUDIT"
check "... with mode 0600" test "$(stat -c %a "$AUDIT")" = 600

# ---- JSON log mode (the default): every line of stderr is a JSON object; server lines carry
# a level and their logger, access lines the request fields. (Once the streams shared a sink
# and the last pattern set won: server lines came out as bare text.)
check "every server log line parses as JSON" python3 -c '
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
assert lines, "empty log"
objs = [json.loads(l) for l in lines]
server = [o for o in objs if o.get("logger") == "latchkeyd"]
access = [o for o in objs if "route" in o]
assert server and all("level" in o and "msg" in o for o in server), server[:3]
assert access and all("status" in o and "request_id" in o for o in access), access[:3]
' "$LK_LOG"
finish
