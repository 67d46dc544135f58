#!/usr/bin/env bash
# ~/.databrickscfg interoperability with the Databricks SDK, no server needed:
#  1. profiles written by `latchkey configure` are read by the npm SDK (@databricks/sdk-experimental,
#     pinned in tests/node) with the same host, token and Authorization header;
#  2. a file written by hand in the SDK's format (spec §9.3 examples) is read by latchkey: each
#     profile's credentials are resolved and the first request goes where that auth type sends it
#     (observed with --debug against a closed port, so the run ends with exit 6, not 2 or 3).
# Usage: sdk_profile_test.sh LATCHKEY_BINARY NODE_DIR. Exit 77 (skipped) without node or the SDK.
set -uo pipefail

cli=$1
node_dir=$2
if ! command -v node >/dev/null || [[ ! -d "$node_dir/node_modules/@databricks/sdk-experimental" ]]; then
  echo "SKIP: node or $node_dir/node_modules/@databricks/sdk-experimental missing (npm ci in tests/node)"
  exit 77
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME="$work"
unset DATABRICKS_HOST DATABRICKS_TOKEN DATABRICKS_CLIENT_ID DATABRICKS_CLIENT_SECRET \
  DATABRICKS_CONFIG_FILE DATABRICKS_CONFIG_PROFILE DATABRICKS_AUTH_TYPE DATABRICKS_AAD_TOKEN \
  ARM_TENANT_ID ARM_CLIENT_ID ARM_CLIENT_SECRET LATCHKEY_AUTHORITY LATCHKEY_CONFIG_DIR
passed=0
failed=0
check() {
  local name=$1
  shift
  if "$@"; then passed=$((passed + 1)); echo "ok   - $name"; else failed=$((failed + 1)); echo "FAIL - $name"; fi
}

# What the SDK makes of PROFILE in CONFIG: {"host","token","authType","authorization"}.
sdk_read() {
  NODE_DIR="$node_dir" PROFILE="$1" CONFIG="$2" node -e '
    const { createRequire } = require("module");
    const sdk = createRequire(process.env.NODE_DIR + "/package.json")("@databricks/sdk-experimental");
    (async () => {
      const cfg = new sdk.Config({ profile: process.env.PROFILE, configFile: process.env.CONFIG });
      await cfg.ensureResolved();
      const headers = new Headers();
      await cfg.authenticate(headers);
      console.log(JSON.stringify({ host: cfg.host, token: cfg.token, authType: cfg.authType,
                                   authorization: headers.get("Authorization") }));
    })().catch((e) => { console.error(String(e)); process.exit(1); });'
}

echo "# latchkey writes, the SDK reads"
cfg="$HOME/.databrickscfg"
DATABRICKS_AAD_TOKEN=eyJhbGciOiJSUzI1NiJ9.eyJhcHBpZCI6ImUyZSJ9.c2ln \
  "$cli" configure --aad-token --host https://127.0.0.1:8443/ 2>/dev/null
DATABRICKS_TOKEN=dapi0123456789abcdef0123456789abcdef \
  "$cli" --profile dev configure --token --host https://127.0.0.1:9443 2>/dev/null
check "configure wrote a 0600 file" test "$(stat -c %a "$cfg")" = 600
out=$(sdk_read DEFAULT "$cfg")
check "SDK reads DEFAULT (Entra token as bearer)" test "$(jq -r .authorization <<<"$out")" = \
  "Bearer eyJhbGciOiJSUzI1NiJ9.eyJhcHBpZCI6ImUyZSJ9.c2ln"
# The JS SDK drops the port itself (Config.fixHost); the hostname must still match.
check "SDK reads DEFAULT's host" test "$(jq -r .host <<<"$out")" = https://127.0.0.1
out=$(sdk_read dev "$cfg")
check "SDK reads dev as a PAT" test "$(jq -r '.authType + " " + .authorization' <<<"$out")" = \
  "pat Bearer dapi0123456789abcdef0123456789abcdef"

echo "# the SDK's format, read by latchkey"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null || echo 1)
host="https://127.0.0.1:$port"
cat >"$work/sdk.cfg" <<EOF
; written by hand, as in the SDK docs
[DEFAULT]

[pat]
host  = $host
token = dapiXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX

[sp-m2m]
host          = $host
client_id     = 0b3c2a10-6f7e-4d2b-9c1a-5e8f7a6b4c3d
client_secret = doseXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX

[sp-entra]
host                = $host
azure_tenant_id     = 5a1e2f3c-4d5b-4e6a-8f7c-9d0e1f2a3b4c
azure_client_id     = 0b3c2a10-6f7e-4d2b-9c1a-5e8f7a6b4c3d
azure_client_secret = not-a-real-secret
auth_type           = azure-client-secret
EOF
first_request() {  # first_request PROFILE: the first "> METHOD URL" debug line; exit code must be 6
  local rc
  DATABRICKS_CONFIG_FILE="$work/sdk.cfg" "$cli" --debug --profile "$1" tokens list \
    2>"$work/debug" >/dev/null
  rc=$?
  grep -m1 '^> ' "$work/debug"
  return $rc
}
line=$(first_request pat); rc=$?
check "pat profile: PAT call to the host with its port (exit 6)" \
  test "$rc:$line" = "6:> GET $host/api/2.0/token/list"
line=$(first_request sp-m2m); rc=$?
check "sp-m2m profile: OAuth discovery first" \
  test "$rc:$line" = "6:> GET $host/oidc/.well-known/oauth-authorization-server"
line=$(first_request sp-entra); rc=$?
check "sp-entra profile: Entra token endpoint of the tenant first" \
  test "$rc:$line" = "6:> POST $host/5a1e2f3c-4d5b-4e6a-8f7c-9d0e1f2a3b4c/oauth2/v2.0/token"
DATABRICKS_CONFIG_FILE="$work/sdk.cfg" "$cli" --profile DEFAULT tokens list >/dev/null 2>&1
check "empty DEFAULT profile: no host (exit 2)" test $? -eq 2

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
