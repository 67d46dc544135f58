#!/usr/bin/env bash
# Issue 2: init's bootstrap JSON, secrets never stored or logged, TLS health checks, limits
# on hostile HTTP, slow clients, and graceful shutdown under load.
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
RAW="$(dirname "$0")/rawhttp.py"

lk_init lk
boot="$LK_TMP/lk.json"
expect_eq "init prints exactly one JSON document" 1 "$(jq -s length "$boot")"
for key in authority tenant_id workspace_url ca_cert admin.user_name admin.token \
           directory_admin.client_id directory_admin.client_secret; do
  v=$(jq -r ".$key // empty" "$boot")
  check "bootstrap JSON has $key" test -n "$v"
done
check "admin token looks like a Databricks PAT" grep -Eq '^dapi[0-9a-f]{32}$' <<<"$(jq -r .admin.token "$boot")"
check "tenant id is a GUID" grep -Eq '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$' <<<"$(jq -r .tenant_id "$boot")"
check "client secret uses unreserved characters and does not start with -" \
  grep -Eq '^[A-Za-z0-9._~][A-Za-z0-9._~-]+$' <<<"$(jq -r .directory_admin.client_secret "$boot")"
check "data dir is mode 0700" test "$(stat -c %a "$LK_TMP/lk")" = 700
check "signing key files are 0600" bash -c "for f in '$LK_TMP'/lk/keys/*.pem; do test \$(stat -c %a \"\$f\") = 600 || exit 1; done"
check "TLS key is 0600" test "$(stat -c %a "$LK_TMP/lk/tls/server.key")" = 600

out=$("$LATCHKEYD" init --data-dir "$LK_TMP/lk" --listen 127.0.0.1:0 2>&1) && rc=0 || rc=$?
check "init on an existing data dir refuses" test "$rc" -ne 0
check "the refusal says how to proceed" grep -q -- "--force" <<<"$out"
check "the refusal printed nothing on stdout" test -z "$("$LATCHKEYD" init --data-dir "$LK_TMP/lk" --listen 127.0.0.1:0 2>/dev/null)"

LATCHKEY_HEADER_TIMEOUT_MS=2000 lk_serve lk
check "healthz answers 200 over TLS trusted through ca_cert" \
  test "$(lkstatus "$LK_URL/healthz")" = 200
check "readyz answers 200" test "$(lkstatus "$LK_URL/readyz")" = 200
check "responses carry a request id" grep -qi '^x-request-id: ' <<<"$(lkcurl -D - -o /dev/null "$LK_URL/healthz")"
# TLS 1.1 with a client that can speak it: openssl s_client at security level 0. The control
# proves it does, against an openssl s_server that allows TLS 1.1; latchkeyd must refuse it.
tls11() {  # tls11 HOST:PORT: succeeds when a TLS 1.1 handshake completes
  openssl s_client -connect "$1" -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' -servername localhost \
    </dev/null 2>/dev/null | grep -q '^ *Protocol *: TLSv1.1'
}
ctl_port=$(free_port)
openssl s_server -accept "127.0.0.1:$ctl_port" -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' -naccept 2 \
  -cert "$LK_TMP/lk/tls/server.pem" -key "$LK_TMP/lk/tls/server.key" -quiet >/dev/null 2>&1 &
ctl_pid=$!
for i in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$ctl_port") 2>/dev/null && break; sleep 0.05; done
check "control: the client completes TLS 1.1 with a server that allows it" tls11 "127.0.0.1:$ctl_port"
kill "$ctl_pid" 2>/dev/null || true
check "TLS 1.1 is refused" bash -c "! $(declare -f tls11); tls11 '${LK_URL#https://}'"
check "TLS 1.2 works" test "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$LK_CA" --tlsv1.2 --tls-max 1.2 "$LK_URL/healthz")" = 200
check "a path starting with // is a path" test "$(lkstatus --path-as-is "$LK_URL//healthz")" = 200

# Use every secret once so that they pass through the server.
me=$(lkstatus -H "Authorization: Bearer $LK_ADMIN_TOKEN" "$LK_URL/api/2.0/preview/scim/v2/Me")
expect_eq "the admin PAT works" 200 "$me"
graph=$(lk_graph_token)
check "the directory-admin secret works" test -n "$graph" -a "$graph" != null
lkstatus -H "Authorization: Bearer $LK_ADMIN_TOKEN" "$LK_URL/api/2.0/token/list?x=$LK_ADMIN_TOKEN" >/dev/null

# Hostile HTTP.
expect_eq "100 KiB of headers get 431" 431 "$($PY "$RAW" big_headers "$LK_URL" "$LK_CA")"
expect_eq "a 10 MiB body gets 413" 413 "$($PY "$RAW" big_body "$LK_URL" "$LK_CA")"
r=$($PY "$RAW" long_line "$LK_URL" "$LK_CA")
check "a 20 KiB request line gets 414 (got $r)" test "$r" = 414
expect_eq "malformed HTTP gets 400" 400 "$($PY "$RAW" malformed "$LK_URL" "$LK_CA")"
slow=$($PY "$RAW" slow_clients "$LK_URL" "$LK_CA")
expect_eq "with 50 slow clients a normal request is served" 200 "$(jq .status <<<"$slow")"
check "... promptly ($(jq .latency <<<"$slow") s)" test "$(jq '.latency < 1.0' <<<"$slow")" = true
expect_eq "all 50 slow clients are dropped" 50 "$(jq .dropped <<<"$slow")"
check "the server is still alive" test "$(lkstatus "$LK_URL/healthz")" = 200

# Graceful shutdown: requests in flight at SIGTERM complete, the process exits 0. No step is
# timed: the load is seen running before SIGTERM, the stop is seen begun (the listener refuses
# new connections) before the in-flight requests send the rest of their bodies, and each load
# loop runs until the listener refuses it.
port=${LK_URL##*:}
refused() { ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }
coproc INFLIGHT { $PY "$RAW" in_flight "$LK_URL" "$LK_CA"; }
read -r ready <&"${INFLIGHT[0]}"
load_pids=()
for i in 1 2 3 4; do
  : >"$LK_TMP/load.$i"
  ( for j in $(seq 1 3000); do
      code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$LK_CA" "$LK_URL/healthz" || true)
      echo "$code" >>"$LK_TMP/load.$i"
      [ "$code" = 000 ] && refused && break
      [ -e "$LK_TMP/load.stop" ] && break  # the listener did not close: failed already
    done ) &
  load_pids+=($!)
done
load_running() { for i in 1 2 3 4; do grep -qx 200 "$LK_TMP/load.$i" || return 1; done; }
for _ in $(seq 1 200); do load_running && break; sleep 0.05; done
check "the load is running when SIGTERM is sent" load_running
kill -TERM "$LK_PID"
for _ in $(seq 1 100); do refused && break; sleep 0.05; done
if refused; then
  pass "after SIGTERM the listener refuses new connections (the stop has begun)"
else
  fail "after SIGTERM the listener still accepts connections after 5 s"
  touch "$LK_TMP/load.stop"
fi
echo go >&"${INFLIGHT[1]}"
read -r statuses <&"${INFLIGHT[0]}"
wait "${load_pids[@]}" 2>/dev/null || true
for _ in $(seq 1 300); do kill -0 "$LK_PID" 2>/dev/null || break; sleep 0.05; done
kill -0 "$LK_PID" 2>/dev/null && { fail "latchkeyd still runs 15 s after SIGTERM"; kill -KILL "$LK_PID"; }
rc=0; wait "$LK_PID" || rc=$?
expect_eq "latchkeyd exits 0 on SIGTERM under load" 0 "$rc"
expect_eq "in-flight requests got complete responses" '[401,401,401,401,401]' "$(jq -c . <<<"$statuses")"
check "each load loop was served until the listener closed (last answer 000: refused)" \
  bash -c 'for f in "$@"; do [ "$(tail -n 1 "$f")" = 000 ] || exit 1; done' _ "$LK_TMP"/load.?
check "... and got nothing but 200 before that" \
  bash -c '! grep -hvx -e 200 -e 000 "$@"' _ "$LK_TMP"/load.?

# No secret may appear in the data dir (database, WAL, keys, config) or the server output.
for secret in "$(jq -r .admin.token "$boot")" "$(jq -r .directory_admin.client_secret "$boot")" "$graph"; do
  check "secret ${secret:0:4}... absent from the data dir" bash -c "! grep -rqaF -- '$secret' '$LK_TMP/lk'"
  check "secret ${secret:0:4}... absent from the server output" bash -c "! grep -qaF -- '$secret' '$LK_LOG'"
done

# The body timeout is configurable; out-of-range values are refused at start.
out=$(LATCHKEY_BODY_TIMEOUT_MS=0 "$LATCHKEYD" serve --data-dir "$LK_TMP/lk" 2>&1) && rc=0 || rc=$?
check "LATCHKEY_BODY_TIMEOUT_MS=0 is refused (exit $rc)" test "$rc" -ne 0
check "... saying which setting ($out)" grep -q "body and idle timeouts must be between" <<<"$out"
LATCHKEY_BODY_TIMEOUT_MS=1500 lk_serve lk
stalled=$($PY "$RAW" stalled_body "$LK_URL" "$LK_CA")
check "a stalled body is dropped after body_timeout_ms=1500 ($(jq .closed_after <<<"$stalled") s)" \
  test "$(jq '.closed_after >= 1.45 and .closed_after < 6' <<<"$stalled")" = true
check "a request whose body arrives is still served" \
  test "$(lkstatus -X POST -H "Authorization: Bearer $LK_ADMIN_TOKEN" -d '{"lifetime_seconds":60}' \
          "$LK_URL/api/2.0/token/create")" = 200
finish
