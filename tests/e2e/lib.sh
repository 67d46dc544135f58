# Shared helpers for the end-to-end tests: each test starts its own latchkeyd on a free
# loopback port with a temp data dir, talks to it over HTTPS with real clients, and stops it
# by PID. Source this file; then call lk_start. Everything is removed on exit.
set -euo pipefail

LK_BIN_DIR=${LATCHKEY_BIN_DIR:?LATCHKEY_BIN_DIR must name the build dir of latchkeyd}
LK_SRC=${LATCHKEY_SOURCE_DIR:?LATCHKEY_SOURCE_DIR must name the source tree}
LATCHKEYD="$LK_BIN_DIR/latchkeyd"
LK_TMP=$(mktemp -d /tmp/latchkey-e2e.XXXXXX)
LK_PASSED=0
LK_FAILED=0
LK_PIDS=()

lk_cleanup() {
  local pid
  for pid in "${LK_PIDS[@]:-}"; do
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${LK_PIDS[@]:-}"; do
    [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
  done
  rm -rf "$LK_TMP"
}
trap lk_cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# lk_nginx_start DIR CONNECTIONS < http-block: runs Debian's nginx with its prefix, pid file,
# logs and temp paths in DIR; stdin is the inside of its http {} block. lk_nginx_stop DIR
# stops it by its pid file (call it from the test's EXIT trap).
lk_nginx_start() {
  local dir=$1 connections=$2 user_line=""
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && user_line="user root;"  # workers must reach the 0700 temp dir
  {
    cat <<EOF
$user_line
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections $connections; }
http {
  access_log $dir/access.log;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
EOF
    cat
    echo "}"
  } >"$dir/nginx.conf"
  nginx -t -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" 2>"$dir/t.out" ||
    { cat "$dir/t.out"; return 1; }
  nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log"
}

lk_nginx_stop() {
  if [ -f "$1/nginx.pid" ]; then kill -QUIT "$(cat "$1/nginx.pid")" 2>/dev/null || true; fi
}

pass() { LK_PASSED=$((LK_PASSED + 1)); echo "ok - $*"; }
fail() { LK_FAILED=$((LK_FAILED + 1)); echo "FAILED - $*"; }
# check "description" command...: passes when the command succeeds.
check() {
  local what=$1; shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
# expect_eq "description" expected actual
expect_eq() {
  if [ "$2" == "$3" ]; then pass "$1"; else fail "$1: expected [$2], got [$3]"; fi
}
# cannot_run "what" "why": a check that cannot run on this machine. It fails, so that a skip
# never passes as a check; LATCHKEY_TEST_ALLOW_SKIP=1 turns it into a visible skip instead (for
# machines known to lack what it needs).
cannot_run() {
  if [ "${LATCHKEY_TEST_ALLOW_SKIP:-0}" = 1 ]; then
    echo "skip - $1: $2 (allowed by LATCHKEY_TEST_ALLOW_SKIP=1)"
  else
    fail "$1: cannot run: $2 (set LATCHKEY_TEST_ALLOW_SKIP=1 to skip it on this machine)"
  fi
}
finish() {
  echo "$LK_PASSED passed, $LK_FAILED failed"
  [ "$LK_FAILED" -eq 0 ]
}

# lk_init NAME [extra init flags...]: creates data dir $LK_TMP/NAME, bootstrap JSON in
# $LK_TMP/NAME.json.
lk_init() {
  local name=$1; shift
  "$LATCHKEYD" init --data-dir "$LK_TMP/$name" --listen 127.0.0.1:0 "$@" > "$LK_TMP/$name.json"
}

# lk_serve NAME [extra serve flags...]: serves data dir NAME in the background; sets LK_URL,
# LK_PID, LK_CA, LK_BOOT, LK_LOG, LK_TENANT, LK_ADMIN_TOKEN, LK_DIR_CLIENT, LK_DIR_SECRET.
lk_serve() {
  local name=$1; shift
  local ready="$LK_TMP/$name.ready"
  rm -f "$ready"
  LK_LOG="$LK_TMP/$name.log"
  "$LATCHKEYD" serve --data-dir "$LK_TMP/$name" --ready-file "$ready" "$@" >>"$LK_LOG" 2>&1 &
  LK_PID=$!
  LK_PIDS+=("$LK_PID")
  local i
  for i in $(seq 1 200); do
    [ -s "$ready" ] && break
    if ! kill -0 "$LK_PID" 2>/dev/null; then
      echo "latchkeyd exited early:"; cat "$LK_LOG"; return 1
    fi
    sleep 0.05
  done
  [ -s "$ready" ] || { echo "latchkeyd did not become ready"; cat "$LK_LOG"; return 1; }
  LK_URL=$(jq -r '.listeners[0]' "$ready")
  LK_BOOT="$LK_TMP/$name.json"
  LK_CA=$(jq -r .ca_cert "$LK_BOOT")
  LK_TENANT=$(jq -r .tenant_id "$LK_BOOT")
  LK_ADMIN_TOKEN=$(jq -r .admin.token "$LK_BOOT")
  LK_DIR_CLIENT=$(jq -r .directory_admin.client_id "$LK_BOOT")
  LK_DIR_SECRET=$(jq -r .directory_admin.client_secret "$LK_BOOT")
}

lk_start() {
  lk_init "${1:-lk}"
  lk_serve "${1:-lk}"
}

# lk_stop [PID]: SIGTERM and wait; the exit status is left in LK_RC (a $(...) subshell could
# not wait for this shell's child, so nothing is echoed).
lk_stop() {
  local pid=${1:-$LK_PID}
  LK_RC=0
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" || LK_RC=$?
}

# curl against the server with its CA; extra args pass through.
lkcurl() { curl -sS --cacert "$LK_CA" "$@"; }
# status code only
lkstatus() { curl -s -o /dev/null -w '%{http_code}' --cacert "$LK_CA" "$@"; }

# An Entra token for the directory admin (Graph resource).
lk_graph_token() {
  lkcurl -X POST "$LK_URL/$LK_TENANT/oauth2/v2.0/token" \
    -d "client_id=$LK_DIR_CLIENT" -d grant_type=client_credentials \
    -d 'scope=https%3A%2F%2Fgraph.microsoft.com%2F.default' \
    -d "client_secret=$LK_DIR_SECRET" | jq -r .access_token
}

# lk_new_sp NAME: registers an app with its service principal and a secret (Graph API) and adds
# it to the workspace
# (SCIM); sets SP_CLIENT_ID, SP_SECRET, SP_SCIM_ID.
lk_new_sp() {
  local name=$1 graph app
  graph=$(lk_graph_token)
  app=$(lkcurl -X POST "$LK_URL/v1.0/applications" -H "Authorization: Bearer $graph" \
    -H 'Content-Type: application/json' -d "{\"displayName\":\"$name\"}")
  SP_CLIENT_ID=$(jq -r .appId <<<"$app")
  # As in Graph, the application has no service principal until one is created.
  lkcurl -X POST "$LK_URL/v1.0/servicePrincipals" -H "Authorization: Bearer $graph" \
    -H 'Content-Type: application/json' -d "{\"appId\":\"$SP_CLIENT_ID\"}" >/dev/null
  SP_SECRET=$(lkcurl -X POST "$LK_URL/v1.0/applications/$(jq -r .id <<<"$app")/addPassword" \
    -H "Authorization: Bearer $graph" -H 'Content-Type: application/json' \
    -d '{"passwordCredential":{"displayName":"e2e"}}' | jq -r .secretText)
  SP_SCIM_ID=$(lkcurl -X POST "$LK_URL/api/2.0/preview/scim/v2/ServicePrincipals" \
    -H "Authorization: Bearer $LK_ADMIN_TOKEN" -H 'Content-Type: application/json' \
    -d "{\"applicationId\":\"$SP_CLIENT_ID\",\"displayName\":\"$name\",\"active\":true}" | jq -r .id)
}

# lk_grant_can_use APPLICATION_ID
lk_grant_can_use() {
  lkcurl -X PATCH "$LK_URL/api/2.0/permissions/authorization/tokens" \
    -H "Authorization: Bearer $LK_ADMIN_TOKEN" -H 'Content-Type: application/json' \
    -d "{\"access_control_list\":[{\"service_principal_name\":\"$1\",\"permission_level\":\"CAN_USE\"}]}" >/dev/null
}

# lk_loopback_tls DIR CA_NAME: a CA of its own (DIR/ca.pem) and a server certificate for
# 127.0.0.1 it signed (DIR/srv.pem, DIR/srv.key).
lk_loopback_tls() {
  mkdir -p "$1"
  (cd "$1" &&
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=$2" 2>/dev/null &&
    openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj /CN=127.0.0.1 2>/dev/null &&
    printf 'subjectAltName=IP:127.0.0.1\n' > ext.cnf &&
    openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 -extfile ext.cnf 2>/dev/null)
}

# lk_start_sso_upstream CALLBACK_URL: the upstream OpenID provider of the SSO tests (issue 24):
# node oidc-provider (bench/node) with its development login screens over HTTPS on 127.0.0.1,
# client "latchkey" redirecting to CALLBACK_URL. Sets UP (its issuer), UP_CA, UP_SECRET and
# UP_SECRET_FILE (the client secret, a 0600 file).
lk_start_sso_upstream() {
  local provider_dir="$LK_SRC/bench/node/node_modules/oidc-provider"
  if [ ! -d "$provider_dir" ]; then
    (cd "$LK_SRC/bench/node" && npm ci --no-audit --no-fund --loglevel=error >&2) ||
      { cannot_run "sso" "npm ci in bench/node failed"; finish; exit; }
  fi
  lk_loopback_tls "$LK_TMP/up" sso-test-ca
  UP_CA="$LK_TMP/up/ca.pem"
  UP_SECRET=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
  UP_SECRET_FILE="$LK_TMP/up/client_secret"
  printf '%s\n' "$UP_SECRET" > "$UP_SECRET_FILE"
  chmod 600 "$UP_SECRET_FILE"
  local port
  port=$(free_port)
  node "$LK_SRC/tests/e2e/sso_upstream.mjs" "$provider_dir" "$port" "$LK_TMP/up/srv.pem" "$LK_TMP/up/srv.key" \
    "$1" "$UP_SECRET" "$LK_TMP/up/ready" >"$LK_TMP/up/log" 2>&1 &
  LK_PIDS+=("$!")
  local i
  for i in $(seq 1 100); do [ -s "$LK_TMP/up/ready" ] && break; sleep 0.1; done
  UP="https://127.0.0.1:$port"
}

# lk_start_issuer: the test OpenID issuer (oidc_issuer.py) over HTTPS on 127.0.0.1, with a CA
# of its own. Sets ISSUER_CA, ISS (issuers are $ISS/<name>), and the functions mint (a signed
# token: issuer sub aud [--alg --kid --exp-in ...]) and mode (NAME ok|down|slow|big|...).
lk_start_issuer() {
  ISSUER_PY="$LK_SRC/tests/e2e/oidc_issuer.py"
  lk_loopback_tls "$LK_TMP/issuer" fed-test-ca
  ISSUER_CA="$LK_TMP/issuer/ca.pem"
  python3 "$ISSUER_PY" serve "$LK_TMP/issuer" "$LK_TMP/issuer/port" "$LK_TMP/issuer/srv.pem" "$LK_TMP/issuer/srv.key" \
    >"$LK_TMP/issuer/log" 2>&1 &
  LK_PIDS+=("$!")
  local i
  for i in $(seq 1 100); do [ -s "$LK_TMP/issuer/port" ] && break; sleep 0.05; done
  ISS="https://127.0.0.1:$(cat "$LK_TMP/issuer/port")"
  mint() { python3 "$ISSUER_PY" mint "$LK_TMP/issuer" "$@"; }
  mode() { echo "$2" > "$LK_TMP/issuer/$1.mode"; }
}
