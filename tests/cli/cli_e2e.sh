#!/usr/bin/env bash
# End-to-end test of the `latchkey` CLI against a live latchkeyd: the seed article's CLI steps
# ("Create a PAT with Azure and Databricks CLI") verbatim with `latchkey` in place of `az` and
# `databricks`, then error cases and their documented exit codes.
#
# Inputs (environment):
#   LATCHKEY_URL        workspace URL, e.g. https://127.0.0.1:8443
#   LATCHKEY_CA         PEM of the CA that signed the server certificate
#   LATCHKEY_BOOTSTRAP  the JSON printed by `latchkeyd init`
#   LATCHKEY_CLI        path of the latchkey binary
# Needs bash, curl, jq. Prints "N passed, M failed"; exits 1 if anything failed.
set -uo pipefail

for var in LATCHKEY_URL LATCHKEY_CA LATCHKEY_BOOTSTRAP LATCHKEY_CLI; do
  if [[ -z "${!var:-}" ]]; then
    echo "cli_e2e.sh: $var is not set" >&2
    exit 2
  fi
done
for tool in curl jq; do
  command -v "$tool" >/dev/null || { echo "cli_e2e.sh: $tool is required" >&2; exit 2; }
done

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# A clean, private environment: nothing from the caller's ~/.databrickscfg or az login leaks in.
export HOME="$WORK/home"
mkdir -p "$HOME"
export LATCHKEY_CONFIG_DIR="$HOME/.config/latchkey"
unset DATABRICKS_HOST DATABRICKS_TOKEN DATABRICKS_CLIENT_ID DATABRICKS_CLIENT_SECRET \
  DATABRICKS_CONFIG_FILE DATABRICKS_CONFIG_PROFILE DATABRICKS_AUTH_TYPE DATABRICKS_AAD_TOKEN \
  ARM_TENANT_ID ARM_CLIENT_ID ARM_CLIENT_SECRET REQUESTS_CA_BUNDLE
export SSL_CERT_FILE="$LATCHKEY_CA"

# `latchkey` on PATH, so that the article's commands below read exactly as printed.
mkdir -p "$WORK/bin"
ln -s "$(cd "$(dirname "$LATCHKEY_CLI")" && pwd)/$(basename "$LATCHKEY_CLI")" "$WORK/bin/latchkey"
export PATH="$WORK/bin:$PATH"

# The authority and the workspace are both the server's URL: the bootstrap JSON's own URLs may
# carry the port given to `init` (0 when the harness lets the server pick one).
LATCHKEY_URL=${LATCHKEY_URL%/}
export LATCHKEY_AUTHORITY="$LATCHKEY_URL"
workspace_url="$LATCHKEY_URL"
tenant_id=$(jq -r .tenant_id "$LATCHKEY_BOOTSTRAP")
admin_token=$(jq -r .admin.token "$LATCHKEY_BOOTSTRAP")
directory_admin_id=$(jq -r .directory_admin.client_id "$LATCHKEY_BOOTSTRAP")
directory_admin_secret=$(jq -r .directory_admin.client_secret "$LATCHKEY_BOOTSTRAP")

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   - $1"; }
fail() {
  failed=$((failed + 1))
  echo "FAIL - $1"
  [[ -s "$WORK/err" ]] && sed 's/^/       stderr: /' "$WORK/err" | head -5
  return 0
}
# check NAME COMMAND...: passes when the command succeeds.
check() {
  local name=$1
  shift
  if "$@"; then pass "$name"; else fail "$name"; fi
}
# expect_exit CODE NAME COMMAND...: passes when the command exits with CODE and, for an error,
# says so in exactly one line on stderr.
expect_exit() {
  local want=$1 name=$2 rc lines
  shift 2
  "$@" >"$WORK/out" 2>"$WORK/err"
  rc=$?
  lines=$(wc -l <"$WORK/err")
  if [[ $rc -eq $want && ($want -eq 0 || $lines -eq 1) ]]; then
    pass "$name (exit $rc)"
  else
    fail "$name (exit $rc, want $want; $lines stderr lines)"
  fi
}
# jq_true FILE JQ_ARGS...: FILE is non-empty JSON for which the jq filter is true.
jq_true() {
  local file=$1
  shift
  [[ -s "$file" ]] && jq -e "$@" "$file" >/dev/null 2>&1
}
# as_admin COMMAND...: runs a command as the workspace admin from the bootstrap JSON.
as_admin() { DATABRICKS_HOST="$workspace_url" DATABRICKS_TOKEN="$admin_token" "$@"; }
http_status() {  # http_status TOKEN PATH
  curl -s -o /dev/null -w '%{http_code}' --cacert "$LATCHKEY_CA" \
    -H "Authorization: Bearer $1" "$LATCHKEY_URL$2"
}

echo "# setup: an app registration and a workspace service principal"
expect_exit 0 "directory admin logs in" \
  latchkey login --service-principal --tenant "$tenant_id" --username "$directory_admin_id" \
  --password "$directory_admin_secret" --allow-no-subscriptions
expect_exit 0 "apps create" latchkey apps create --display-name "cli-e2e-$$"
client_id=$(jq -r .appId "$WORK/out")
object_id=$(jq -r .id "$WORK/out")
check "apps create prints appId and id" test -n "$client_id" -a "$client_id" != null -a -n "$object_id"
expect_exit 0 "apps add-password" latchkey apps add-password --id "$object_id" --display-name e2e
app_secret=$(jq -r .secretText "$WORK/out")
check "add-password prints secretText" test -n "$app_secret" -a "$app_secret" != null
expect_exit 0 "apps list --app-id" latchkey apps list --app-id "$client_id"
check "apps list finds the app" jq_true "$WORK/out" --arg id "$client_id" '.value[0].appId == $id' 

expect_exit 0 "service-principals create (admin)" \
  as_admin latchkey service-principals create --application-id "$client_id" --display-name "cli-e2e-$$"
check "service principal has the application id" \
  jq_true "$WORK/out" --arg id "$client_id" '.applicationId == $id' 
expect_exit 0 "permissions update CAN_USE (admin)" \
  as_admin latchkey permissions update --service-principal-name "$client_id" --permission-level CAN_USE
check "ACL grants CAN_USE to the service principal" jq_true "$WORK/out" --arg sp "$client_id" \
  'any(.access_control_list[] | select(.service_principal_name == $sp) | .all_permissions[];
       .permission_level == "CAN_USE")' 

echo "# the article's steps"
# 2. Login with the service principal credentials.
expect_exit 0 "latchkey login --service-principal" \
latchkey login \
 --service-principal \
 --tenant "$tenant_id" \
 --username "$client_id" \
 --password "$app_secret" \
 --allow-no-subscriptions

# 3. Get a Microsoft Entra ID token for the Azure Databricks resource.
export DATABRICKS_AAD_TOKEN=$(latchkey account get-access-token \
--resource 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d \
--query "accessToken" \
--output tsv)
check "get-access-token prints a bare JWT" \
  bash -c '[[ "$DATABRICKS_AAD_TOKEN" =~ ^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$ ]]'

# 4. Configure the CLI with the workspace URL and the Entra token.
expect_exit 0 "latchkey configure --aad-token" \
latchkey configure \
 --aad-token \
 --host "$LATCHKEY_URL"
check ".databrickscfg has mode 600" test "$(stat -c %a "$HOME/.databrickscfg")" = 600
check "the profile keeps the port" grep -qx "host = $LATCHKEY_URL" "$HOME/.databrickscfg"

# 6. Create a PAT (one day).
token_name=my-pat
latchkey tokens \
create \
--lifetime-seconds 86400 \
--comment $token_name >"$WORK/created.json" 2>"$WORK/err"
check "latchkey tokens create (exit 0)" test $? -eq 0
token_value=$(jq -r .token_value "$WORK/created.json")
token_id=$(jq -r .token_info.token_id "$WORK/created.json")
check "token_value is a PAT" bash -c "[[ '$token_value' =~ ^dapi[0-9a-f]{32}(-[0-9])?$ ]]"
check "comment is kept" jq_true "$WORK/created.json" --arg c "$token_name" '.token_info.comment == $c'
check "lifetime is one day" \
  jq_true "$WORK/created.json" '.token_info.expiry_time - .token_info.creation_time == 86400000' 

expect_exit 0 "latchkey tokens list" latchkey tokens list
check "the list shows the new token" \
  jq_true "$WORK/out" --arg id "$token_id" 'any(.token_infos[]; .token_id == $id)' 
check "the new PAT works (curl -> 200)" test "$(http_status "$token_value" /api/2.0/token/list)" = 200

# Revoke it.
expect_exit 0 "latchkey tokens revoke" \
latchkey tokens \
revoke \
--token-id $token_id
check "the revoked PAT is refused (curl -> 403)" \
  test -n "$token_value" -a "$(http_status "$token_value" /api/2.0/token/list)" = 403
expect_exit 0 "latchkey tokens list after revoke" latchkey tokens list
check "the list no longer shows it" \
  jq_true "$WORK/out" --arg id "$token_id" '$id != "" and all(.token_infos[]?; .token_id != $id)' 

echo "# errors and exit codes"
expect_exit 2 "unknown flag" latchkey tokens list --no-such-flag
expect_exit 2 "missing host" env HOME="$WORK/nohome" latchkey tokens list
expect_exit 3 "revoked PAT" env DATABRICKS_HOST="$LATCHKEY_URL" DATABRICKS_TOKEN="$token_value" \
  latchkey tokens list
expect_exit 3 "invalid token" env DATABRICKS_HOST="$LATCHKEY_URL" \
  DATABRICKS_TOKEN=dapi00000000000000000000000000000000 latchkey tokens list
expect_exit 3 "expired Entra token" env DATABRICKS_HOST="$LATCHKEY_URL" \
  DATABRICKS_TOKEN="eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjF9.c2ln" latchkey tokens list
expect_exit 3 "wrong client secret" latchkey login --service-principal --tenant "$tenant_id" \
  --username "$client_id" --password "not-the-secret"
expect_exit 4 "revoke an unknown token" latchkey tokens revoke --token-id "$token_id"
closed_port=$( (command -v python3 >/dev/null &&
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()') || echo 1)
expect_exit 6 "unreachable server" env DATABRICKS_HOST="https://127.0.0.1:$closed_port" \
  DATABRICKS_TOKEN=dapi00000000000000000000000000000000 latchkey tokens list
check "unreachable server says so" grep -q "cannot connect to https://127.0.0.1:$closed_port" "$WORK/err"
expect_exit 6 "untrusted certificate" env -u SSL_CERT_FILE DATABRICKS_HOST="$LATCHKEY_URL" \
  DATABRICKS_TOKEN=dapi00000000000000000000000000000000 latchkey tokens list
check "certificate failure is explained" grep -q "certificate verify failed" "$WORK/err"

echo "# cleanup"
expect_exit 0 "directory admin logs in again" \
  latchkey login --service-principal --tenant "$tenant_id" --username "$directory_admin_id" \
  --password "$directory_admin_secret"
expect_exit 0 "apps delete" latchkey apps delete --app-id "$client_id"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
