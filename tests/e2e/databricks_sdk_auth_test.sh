#!/usr/bin/env bash
# Every Databricks SDK auth type that can reach a local server (issue 18 item 3), with the
# pinned JS SDK, each asserting the identity /Me answers. latchkeyd listens on a random port;
# a TCP relay on 127.0.0.1:443 fronts it, as a TLS passthrough proxy or a container's port map
# would, so the SDK (which drops the port) reaches it without latchkey knowing that name; the
# test process maps Entra's and an Azure workspace's host names to 127.0.0.1 (tests/node/dns_map.cjs).
#   pat, oauth-m2m (port-less 127.0.0.1 and the Azure workspace name), azure-client-secret
#   (the SDK's own Entra client against login.microsoftonline.com), azure-cli (the SDK runs
#   `az account get-access-token`; az logged in through a custom cloud), databricks-cli (the
#   SDK runs `databricks auth token --host H`: latchkey's CLI through its `databricks` link,
#   with an OAuth M2M profile for that host in a private config file).
source "$(dirname "$0")/lib.sh"
NODE_DIR="$LK_SRC/tests/node"
if [ "$(id -u)" -ne 0 ]; then
  echo "skip - binding the port-443 relay needs root; run make test as root for this test"
  finish
  exit 0
fi
WS_HOST=adb-1234567890123456.7.azuredatabricks.net
# Aliases (the certificate names them too): the names the clients will use besides 127.0.0.1.
export LATCHKEY_PUBLIC_HOSTS="login.microsoftonline.com,$WS_HOST"
lk_init lk
lk_serve lk
lk_new_sp sdk-auth
lk_grant_can_use "$SP_CLIENT_ID"
ADMIN_USER=$(lkcurl -H "Authorization: Bearer $LK_ADMIN_TOKEN" "$LK_URL/api/2.0/preview/scim/v2/Me" | jq -r .userName)
OSECRET=$(lkcurl -X POST -H "Authorization: Bearer $LK_ADMIN_TOKEN" -H 'Content-Type: application/json' \
  -d '{"lifetime":"3600s"}' "$LK_URL/api/2.0/accounts/servicePrincipals/$SP_SCIM_ID/credentials/secrets" | jq -r .secret)

RELAY_OUT="$LK_TMP/relay.out"
python3 "$LK_SRC/tests/support/tcp_relay.py" 127.0.0.1 443 127.0.0.1 "${LK_URL##*:}" >"$RELAY_OUT" 2>&1 &
LK_PIDS+=("$!")
for i in $(seq 1 100); do [ -s "$RELAY_OUT" ] && break; sleep 0.05; done
check "the port-443 relay is up" test "$(lkstatus https://127.0.0.1/healthz)" = 200

export NODE_EXTRA_CA_CERTS="$LK_CA" NODE_OPTIONS="--require $NODE_DIR/dns_map.cjs"
export LK_DNS_MAP="login.microsoftonline.com=127.0.0.1,$WS_HOST=127.0.0.1"
sdk() { node "$NODE_DIR/databricks_sdk_auth.mjs"; }

LK_HOST=https://127.0.0.1 MODE=pat TOKEN=$LK_ADMIN_TOKEN EXPECT_USER=$ADMIN_USER sdk \
  && pass "pat" || fail "pat"
LK_HOST=https://127.0.0.1 MODE=oauth-m2m CLIENT_ID=$SP_CLIENT_ID CLIENT_SECRET=$OSECRET \
  EXPECT_USER=$SP_CLIENT_ID sdk && pass "oauth-m2m through the port-less 443 relay" || fail "oauth-m2m (port-less)"
LK_HOST=https://$WS_HOST MODE=oauth-m2m CLIENT_ID=$SP_CLIENT_ID CLIENT_SECRET=$OSECRET \
  EXPECT_USER=$SP_CLIENT_ID sdk && pass "oauth-m2m as an Azure workspace host" || fail "oauth-m2m (Azure host)"
LK_HOST=https://$WS_HOST MODE=azure-client-secret CLIENT_ID=$SP_CLIENT_ID CLIENT_SECRET=$SP_SECRET \
  TENANT=$LK_TENANT EXPECT_USER=$SP_CLIENT_ID sdk \
  && pass "azure-client-secret against login.microsoftonline.com mapped to latchkey" || fail "azure-client-secret"

# azure-cli: az logged in as the service principal through a custom cloud, as in az_cli_test.
export AZURE_CONFIG_DIR="$LK_TMP/azure" REQUESTS_CA_BUNDLE="$LK_CA"
export AZURE_CORE_COLLECT_TELEMETRY=no AZURE_CORE_SURVEY_MESSAGE=no AZURE_CORE_ONLY_SHOW_ERRORS=true
az cloud register --name Latchkey --endpoint-resource-manager "$LK_URL/" >/dev/null 2>&1
az cloud set --name Latchkey >/dev/null 2>&1
check "az login --service-principal" az login --service-principal --tenant "$LK_TENANT" \
  --username "$SP_CLIENT_ID" --password "$SP_SECRET" --allow-no-subscriptions -o none
LK_HOST=https://$WS_HOST MODE=azure-cli EXPECT_USER=$SP_CLIENT_ID sdk \
  && pass "azure-cli (the SDK runs az account get-access-token)" || fail "azure-cli"

# databricks-cli: `databricks auth token --host H` picks the profile of H from the config file.
CLI_DIR=$(dirname "$LATCHKEY_CLI")
export DATABRICKS_CONFIG_FILE="$LK_TMP/databrickscfg" HOME="$LK_TMP/home"
mkdir -p "$HOME"
cat >"$DATABRICKS_CONFIG_FILE" <<EOT
[other]
host = https://elsewhere.example.com
token = dapi00000000000000000000000000000000

[ci]
host = https://127.0.0.1
client_id = $SP_CLIENT_ID
client_secret = $OSECRET
EOT
chmod 600 "$DATABRICKS_CONFIG_FILE"
token_json=$("$CLI_DIR/databricks" auth token --host https://127.0.0.1)
check "databricks auth token prints access_token and an RFC 3339 expiry" jq -e \
  '(.access_token | split(".") | length == 3) and .token_type == "Bearer" and (.expiry | test("^[0-9-]{10}T[0-9:]{8}Z$"))' <<<"$token_json"
check "auth profiles: ci is valid, other is not" jq -e \
  '[.profiles[] | {(.name): .valid}] | add == {"other": false, "ci": true}' <<<"$("$CLI_DIR/databricks" auth profiles)"
expect_eq "auth describe names who the profile authenticates as" "$SP_CLIENT_ID" \
  "$("$CLI_DIR/databricks" auth describe --host https://127.0.0.1 | jq -r .username)"
expect_eq "auth env for the host's profile" "oauth-m2m ci" \
  "$("$CLI_DIR/databricks" auth env --host https://127.0.0.1 | jq -r '.env | "\(.DATABRICKS_AUTH_TYPE) \(.DATABRICKS_CONFIG_PROFILE)"')"
LK_HOST=https://127.0.0.1 MODE=databricks-cli CLI_PATH="$CLI_DIR/databricks" EXPECT_USER=$SP_CLIENT_ID sdk \
  && pass "databricks-cli (the SDK runs databricks auth token through the link)" || fail "databricks-cli"
finish
