#!/usr/bin/env bash
# `az ad` verbatim against latchkey's Graph v1.0, with Debian's azure-cli pointed at latchkey by a
# custom cloud whose Microsoft Graph endpoint is latchkey (`az cloud register --cloud-config`),
# logged in as the directory admin. Applications and service principals are separate objects,
# as in Graph: `az ad sp create` adds the service principal a new app does not have.
source "$(dirname "$0")/lib.sh"
command -v az >/dev/null || { echo "az is not installed (scripts/install-deps.sh test)"; exit 1; }
lk_start
export AZURE_CONFIG_DIR="$LK_TMP/azure" REQUESTS_CA_BUNDLE="$LK_CA"
export AZURE_CORE_ERROR_RECOMMENDATION=off AZURE_CORE_COLLECT_TELEMETRY=no AZURE_CORE_SURVEY_MESSAGE=no
export AZURE_CORE_NO_COLOR=true AZURE_CORE_ONLY_SHOW_ERRORS=true
tenant_id=$LK_TENANT

cat >"$LK_TMP/cloud.json" <<JSON
{"endpoints": {"resourceManager": "$LK_URL/", "microsoftGraphResourceId": "$LK_URL/"}}
JSON
check "az cloud register --cloud-config (Graph = latchkey)" \
  az cloud register --name LatchkeyGraph --cloud-config @"$LK_TMP/cloud.json"
check "az cloud set" az cloud set --name LatchkeyGraph
check "az login as the directory admin" az login --service-principal --tenant "$tenant_id" \
  --username "$LK_DIR_CLIENT" --password "$LK_DIR_SECRET" --allow-no-subscriptions -o none

# az_json NAME ARGS...: runs az, keeps stdout in $OUT and the exit status in $RC.
az_json() {
  local what=$1
  shift
  OUT=$(az "$@" 2>"$LK_TMP/az.err") && RC=0 || RC=$?
  [ "$RC" -eq 0 ] || { echo "  ($what) az $*: exit $RC"; cat "$LK_TMP/az.err"; }
}

name="az-ad-$$"
az_json "app create" ad app create --display-name "$name"
expect_eq "az ad app create exits 0" 0 "$RC"
app_id=$(jq -r .appId <<<"$OUT")
obj_id=$(jq -r .id <<<"$OUT")
check "app create printed appId and id" test -n "$app_id" -a "$app_id" != null -a "$obj_id" != null
expect_eq "app create: displayName" "$name" "$(jq -r .displayName <<<"$OUT")"

az_json "app list" ad app list --display-name "$name"
expect_eq "az ad app list --display-name finds exactly the app" "$app_id" "$(jq -r '[.[].appId] | join(",")' <<<"$OUT")"
az_json "app show" ad app show --id "$app_id"
expect_eq "az ad app show --id APPID" "$obj_id" "$(jq -r .id <<<"$OUT")"
az_json "app show" ad app show --id "$obj_id"
expect_eq "az ad app show --id OBJECT_ID" "$app_id" "$(jq -r .appId <<<"$OUT")"

az_json "sp list" ad sp list --filter "appId eq '$app_id'"
expect_eq "a new app has no service principal" 0 "$(jq length <<<"$OUT")"
az_json "sp create" ad sp create --id "$app_id"
expect_eq "az ad sp create --id APPID exits 0" 0 "$RC"
sp_id=$(jq -r .id <<<"$OUT")
expect_eq "sp create: appId" "$app_id" "$(jq -r .appId <<<"$OUT")"
az ad sp create --id "$app_id" >/dev/null 2>"$LK_TMP/dup.err" && rc=0 || rc=$?
check "a second az ad sp create fails" test "$rc" -ne 0
check "... with Graph's duplicate message" grep -q "already in use" "$LK_TMP/dup.err"
az_json "sp show" ad sp show --id "$app_id"
expect_eq "az ad sp show --id APPID" "$sp_id" "$(jq -r .id <<<"$OUT")"
az_json "sp list" ad sp list --filter "appId eq '$app_id'"
expect_eq "az ad sp list --filter appId" "$sp_id" "$(jq -r '[.[].id] | join(",")' <<<"$OUT")"

az_json "credential reset" ad app credential reset --id "$app_id"
expect_eq "az ad app credential reset exits 0" 0 "$RC"
secret1=$(jq -r .password <<<"$OUT")
expect_eq "credential reset: appId" "$app_id" "$(jq -r .appId <<<"$OUT")"
expect_eq "credential reset: tenant" "$tenant_id" "$(jq -r .tenant <<<"$OUT")"
token_status() {
  lkstatus -X POST "$LK_URL/$tenant_id/oauth2/v2.0/token" -d "client_id=$1" -d "client_secret=$2" \
    -d grant_type=client_credentials -d "scope=2ff814a6-3304-4ab8-85cb-cd0e6f879c1d%2F.default"
}
expect_eq "the reset secret gets a token" 200 "$(token_status "$app_id" "$secret1")"
az_json "credential reset --append" ad app credential reset --id "$app_id" --append --years 2
secret2=$(jq -r .password <<<"$OUT")
az_json "credential list" ad app credential list --id "$app_id"
expect_eq "--append keeps the first secret: two credentials" 2 "$(jq length <<<"$OUT")"
expect_eq "credential list never shows secretText" true "$(jq 'all(.secretText == null)' <<<"$OUT")"
year=$(date -u +%Y)
expect_eq "--years 2 ends two years out" 1 \
  "$(jq --arg y "$((year + 2))" '[.[] | select(.endDateTime | startswith($y))] | length' <<<"$OUT")"
expect_eq "both secrets work" "200 200" "$(token_status "$app_id" "$secret1") $(token_status "$app_id" "$secret2")"
key1=$(jq -r --arg y "$((year + 2))" '.[] | select(.endDateTime | startswith($y) | not) | .keyId' <<<"$OUT")
check "az ad app credential delete --key-id" az ad app credential delete --id "$app_id" --key-id "$key1"
az_json "credential list" ad app credential list --id "$app_id"
expect_eq "one credential left" 1 "$(jq length <<<"$OUT")"
expect_eq "the deleted secret is refused" 401 "$(token_status "$app_id" "$secret1")"
az_json "credential reset" ad app credential reset --id "$app_id"
secret3=$(jq -r .password <<<"$OUT")
expect_eq "reset without --append replaces every secret" "401 200" \
  "$(token_status "$app_id" "$secret2") $(token_status "$app_id" "$secret3")"

# create-for-rbac: the application, a password and the service principal in one command.
rbac="az-ad-rbac-$$"
az_json "create-for-rbac" ad sp create-for-rbac -n "$rbac"
expect_eq "az ad sp create-for-rbac exits 0" 0 "$RC"
rbac_app=$(jq -r .appId <<<"$OUT")
rbac_secret=$(jq -r .password <<<"$OUT")
rbac_tenant=$(jq -r .tenant <<<"$OUT")
expect_eq "create-for-rbac: tenant" "$tenant_id" "$rbac_tenant"
expect_eq "create-for-rbac: displayName" "$rbac" "$(jq -r .displayName <<<"$OUT")"
az_json "sp list" ad sp list --filter "appId eq '$rbac_app'"
expect_eq "create-for-rbac made the service principal" 1 "$(jq length <<<"$OUT")"

az_json "app delete" ad app delete --id "$app_id"
expect_eq "az ad app delete --id exits 0" 0 "$RC"
az ad app show --id "$obj_id" >/dev/null 2>&1 && rc=0 || rc=$?
check "the deleted app is gone" test "$rc" -ne 0
az_json "sp list" ad sp list --filter "appId eq '$app_id'"
expect_eq "... and its service principal with it" 0 "$(jq length <<<"$OUT")"
expect_eq "... and its secret gets no token" 400 "$(token_status "$app_id" "$secret3")"

# The create-for-rbac output logs in, as the seed article's az login does.
az login --service-principal --tenant "$rbac_tenant" --username "$rbac_app" --password "$rbac_secret" --allow-no-subscriptions -o none 2>"$LK_TMP/login.err" && rc=0 || rc=$?
[ "$rc" -eq 0 ] || cat "$LK_TMP/login.err"
expect_eq "az login --service-principal with create-for-rbac's appId/password/tenant" 0 "$rc"
tok=$(az account get-access-token --resource 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d --query accessToken -o tsv)
payload=$(cut -d. -f2 <<<"$tok" | tr '_-' '/+')
while [ $((${#payload} % 4)) -ne 0 ]; do payload="$payload="; done
expect_eq "... and its token names the new app" "$rbac_app" "$(base64 -d <<<"$payload" | jq -r .appid)"
finish
