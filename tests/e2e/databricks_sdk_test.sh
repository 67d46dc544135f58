#!/usr/bin/env bash
# The Databricks JS SDK (0.14.2 always dials port 443) with a PAT, with an Entra token and with
# OAuth M2M: tokens create/list/delete, currentUser.me(), token management, permissions.
source "$(dirname "$0")/lib.sh"
NODE_DIR="$LK_SRC/tests/node"
# Port 443 is privileged unless net.ipv4.ip_unprivileged_port_start allows it: as another user
# than root the test cannot run, and says so (ctest shows it as skipped, exit code 77).
if [ "$(id -u)" -ne 0 ] && [ "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start 2>/dev/null || echo 1024)" -gt 443 ]; then
  echo "SKIPPED: the Databricks JS SDK 0.14.2 dials port 443, which only root may listen on here" \
       "(uid $(id -u), net.ipv4.ip_unprivileged_port_start=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start 2>/dev/null));" \
       "run make test as root, or lower that sysctl to 443, to run it"
  exit 77
fi
lk_init lk
lk_serve lk --listen 127.0.0.1:0 --listen 127.0.0.1:443
lk_new_sp sdk-sp
export NODE_EXTRA_CA_CERTS="$LK_CA"
HOST=https://127.0.0.1
sdk() { node "$NODE_DIR/databricks_sdk.mjs"; }

LK_HOST=$HOST MODE=pat TOKEN=$LK_ADMIN_TOKEN ADMIN_TOKEN=$LK_ADMIN_TOKEN GRANTEE=$SP_CLIENT_ID sdk \
  && pass "SDK with the admin PAT" || fail "SDK with the admin PAT"

entra=$(lkcurl -X POST "$LK_URL/$LK_TENANT/oauth2/v2.0/token" -d "client_id=$SP_CLIENT_ID" -d grant_type=client_credentials \
  -d 'scope=2ff814a6-3304-4ab8-85cb-cd0e6f879c1d%2F.default' -d "client_secret=$SP_SECRET" | jq -r .access_token)
LK_HOST=$HOST MODE=entra TOKEN=$entra sdk && pass "SDK with an Entra token (SP holds CAN_USE)" || fail "SDK with an Entra token"

secret=$(lkcurl -X POST "$LK_URL/api/2.0/accounts/servicePrincipals/$SP_SCIM_ID/credentials/secrets" \
  -H "Authorization: Bearer $LK_ADMIN_TOKEN" -H 'Content-Type: application/json' -d '{"lifetime":"3600s"}')
check "an OAuth secret was created (dose + 32 hex)" grep -Eq '^dose[0-9a-f]{32}$' <<<"$(jq -r .secret <<<"$secret")"
LK_HOST=$HOST MODE=oauth-m2m CLIENT_ID=$SP_CLIENT_ID CLIENT_SECRET=$(jq -r .secret <<<"$secret") CREATE=1 sdk \
  && pass "SDK with OAuth M2M" || fail "SDK with OAuth M2M"
finish
