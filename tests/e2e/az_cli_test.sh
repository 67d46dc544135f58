#!/usr/bin/env bash
# The seed article's az commands, verbatim, with Debian's azure-cli pointed at latchkey by a
# custom cloud (README "Using the Azure CLI"); the token then works at the workspace.
source "$(dirname "$0")/lib.sh"
command -v az >/dev/null || { echo "az is not installed (scripts/install-deps.sh test)"; exit 1; }
lk_start
lk_new_sp az-sp
export AZURE_CONFIG_DIR="$LK_TMP/azure" REQUESTS_CA_BUNDLE="$LK_CA"
export AZURE_CORE_ERROR_RECOMMENDATION=off AZURE_CORE_COLLECT_TELEMETRY=no AZURE_CORE_SURVEY_MESSAGE=no
export AZURE_CORE_NO_COLOR=true AZURE_CORE_ONLY_SHOW_ERRORS=true
tenant_id=$LK_TENANT client_id=$SP_CLIENT_ID app_secret=$SP_SECRET

check "az cloud register from the ARM metadata endpoint" \
  az cloud register --name Latchkey --endpoint-resource-manager "$LK_URL/"
check "az cloud set" az cloud set --name Latchkey

az login \
 --service-principal \
 --tenant "$tenant_id" \
 --username "$client_id" \
 --password "$app_secret" \
 --allow-no-subscriptions > "$LK_TMP/login.json" 2>"$LK_TMP/login.err" && rc=0 || rc=$?
expect_eq "az login --service-principal exits 0" 0 "$rc"
[ "$rc" -eq 0 ] || cat "$LK_TMP/login.err"
expect_eq "az login made a tenant-level account" "$tenant_id" "$(jq -r '.[0].tenantId' "$LK_TMP/login.json")"

export DATABRICKS_AAD_TOKEN=$(az account get-access-token \
--resource 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d \
--query "accessToken" \
--output tsv)
check "az account get-access-token printed a JWT" grep -Eq '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$' <<<"$DATABRICKS_AAD_TOKEN"
expect_eq "the token works at the workspace (SCIM /Me)" 200 \
  "$(lkstatus -H "Authorization: Bearer $DATABRICKS_AAD_TOKEN" "$LK_URL/api/2.0/preview/scim/v2/Me")"

az login --service-principal --tenant "$tenant_id" --username "$client_id" --password "not-the-secret" \
  --allow-no-subscriptions >/dev/null 2>"$LK_TMP/bad.err" && rc=0 || rc=$?
check "a wrong secret fails az login" test "$rc" -ne 0
check "... with AADSTS7000215 printed" grep -q AADSTS7000215 "$LK_TMP/bad.err"
finish
