#!/usr/bin/env bash
# Several replicas as one service (issue #7): a private PostgreSQL, three `latchkeyd serve`
# replicas sharing one data dir's keys and the database, nginx in front of them over HTTPS.
#   1. the seed article's flow through nginx (Entra token, PAT create/list/delete, PAT refused);
#   2. a PAT created through replica A works on B at once;
#   3. PATs deleted through C are refused by A and B within 100 ms (p50/p99 measured);
#   4. kill -9 of a replica during a create loop loses no acknowledged PAT;
#   5. PostgreSQL stopped: readyz 503 and API calls fail closed (503, never 200; the replicas
#      run with [database] outage_grace_seconds = 0, so cached credentials fail closed too);
#      started again: requests succeed without restarting latchkeyd;
#   6. one issuer whatever the name (issue 18): Entra and workspace OAuth tokens minted on A
#      through four names (with and without the port, localhost, the nginx alias) carry the
#      same issuer, are accepted by A and C, and are refused by both once the SP is removed.
source "$(dirname "$0")/lib.sh"
PG_CLUSTER="$LK_SRC/tests/support/pg_cluster.sh"
command -v nginx >/dev/null || { echo "nginx is not installed"; exit 1; }

# Outside LK_TMP (mode 0700, root's): the cluster runs as the postgres user when we are root.
PG_DIR=$(mktemp -d /tmp/latchkey-pg.XXXXXX)
NGINX_DIR="$LK_TMP/nginx"
replicas_cleanup() {
  lk_nginx_stop "$NGINX_DIR"
  lk_cleanup
  bash "$PG_CLUSTER" stop "$PG_DIR" || true
}
trap replicas_cleanup EXIT

now_ms() { date +%s%3N; }
port_of() { local u=${1##*:}; echo "${u%%/*}"; }

PGURL=$(bash "$PG_CLUSTER" start "$PG_DIR" | sed -n 's/^PGURL=//p')
check "a private PostgreSQL cluster started" test -n "$PGURL"

# One data dir (keys, TLS, config) initialised against the database; three replicas serve it.
NGINX_PORT=$(free_port)
export LATCHKEY_PUBLIC_HOSTS="127.0.0.1:$NGINX_PORT"  # an alias: the name behind nginx
export LATCHKEY_PUBLIC_URL="https://127.0.0.1:$NGINX_PORT"  # the same public name on every replica
lk_init shared --database "$PGURL"
DATA="$LK_TMP/shared"
# No outage grace: cached credentials fail closed as soon as the database is gone (section 5;
# the grace itself is tested by failover_test.sh).
export LATCHKEY_DATABASE_OUTAGE_GRACE_SECONDS=0
declare -A URL PID
for r in a b c; do
  lk_serve shared --database "$PGURL" --listen 127.0.0.1:0
  URL[$r]=$LK_URL
  PID[$r]=$LK_PID
done
check "three replicas are ready" test -n "${URL[a]}" -a -n "${URL[b]}" -a -n "${URL[c]}"

# nginx: its own prefix, config, pid file and logs in the temp dir; HTTPS to the replicas,
# verified against the data dir's CA (the server certificate names localhost).
lk_nginx_start "$NGINX_DIR" 512 <<EOF
  upstream latchkey {
    server 127.0.0.1:$(port_of "${URL[a]}") max_fails=1 fail_timeout=5s;
    server 127.0.0.1:$(port_of "${URL[b]}") max_fails=1 fail_timeout=5s;
    server 127.0.0.1:$(port_of "${URL[c]}") max_fails=1 fail_timeout=5s;
    keepalive 16;
  }
  server {
    listen 127.0.0.1:$NGINX_PORT ssl;
    ssl_certificate $DATA/tls/server.pem;
    ssl_certificate_key $DATA/tls/server.key;
    location / {
      proxy_pass https://latchkey;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$http_host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto https;
      proxy_ssl_trusted_certificate $LK_CA;
      proxy_ssl_verify on;
      proxy_ssl_name localhost;
      proxy_ssl_server_name on;
      proxy_ssl_session_reuse on;
    }
  }
EOF
NGINX="https://127.0.0.1:$NGINX_PORT"
for i in $(seq 1 100); do
  [ "$(lkstatus "$NGINX/healthz")" = 200 ] && break
  sleep 0.05
done
expect_eq "nginx answers /healthz from a replica" 200 "$(lkstatus "$NGINX/healthz")"

# ---- 1. The seed article's flow, through nginx ----
LK_URL=$NGINX
lk_new_sp replicas-sp
lk_grant_can_use "$SP_CLIENT_ID"
entra_token() {
  lkcurl -X POST "$1/$LK_TENANT/oauth2/v2.0/token" \
    -H 'Content-Type: application/x-www-form-urlencoded' \
    -d "client_id=$SP_CLIENT_ID" -d grant_type=client_credentials \
    -d 'scope=2ff814a6-3304-4ab8-85cb-cd0e6f879c1d%2F.default' \
    -d "client_secret=$SP_SECRET" | jq -r .access_token
}
create_pat() {  # create_pat BASE_URL COMMENT -> JSON
  lkcurl -X POST "$1/api/2.0/token/create" -H "Authorization: Bearer $AAD_TOKEN" \
    -H 'Content-Type: application/json' -d "{\"lifetime_seconds\": 3600, \"comment\": \"$2\"}"
}
list_status() {  # list_status BASE_URL PAT -> HTTP status of token/list with the PAT
  lkstatus -H "Authorization: Bearer $2" "$1/api/2.0/token/list"
}
delete_pat() {  # delete_pat BASE_URL TOKEN_ID -> body
  lkcurl -X POST "$1/api/2.0/token/delete" -H "Authorization: Bearer $AAD_TOKEN" \
    -H 'Content-Type: application/json' -d "{\"token_id\": \"$2\"}"
}

AAD_TOKEN=$(entra_token "$NGINX")
check "an Entra token through nginx" grep -Eq '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$' <<<"$AAD_TOKEN"
created=$(create_pat "$NGINX" my-pat-123)
PAT=$(jq -r .token_value <<<"$created")
TOKEN_ID=$(jq -r .token_info.token_id <<<"$created")
check "a PAT created through nginx" grep -Eq '^dapi[0-9a-f]{32}$' <<<"$PAT"
listed=$(lkcurl -H "Authorization: Bearer $PAT" "$NGINX/api/2.0/token/list")
expect_eq "the PAT lists itself through nginx" "$TOKEN_ID" \
  "$(jq -r '.token_infos[] | select(.comment=="my-pat-123") | .token_id' <<<"$listed")"
expect_eq "delete with the Entra token answers {}" '{}' "$(delete_pat "$NGINX" "$TOKEN_ID" | jq -c .)"
# Three tries: nginx spreads them over the three replicas.
refused=0
for i in 1 2 3; do [ "$(list_status "$NGINX" "$PAT")" = 403 ] && refused=$((refused + 1)); done
expect_eq "the deleted PAT is refused by every replica" 3 "$refused"

# ---- 2. Created through A, works on B at once ----
created=$(create_pat "${URL[a]}" via-a)
PAT_A=$(jq -r .token_value <<<"$created")
expect_eq "a PAT created on A works on B at once" 200 "$(list_status "${URL[b]}" "$PAT_A")"
expect_eq "... and on C" 200 "$(list_status "${URL[c]}" "$PAT_A")"

# ---- 3. Deleted through C, refused by A and B within 100 ms ----
# A prober with kept-alive HTTPS connections, so that what it measures is the propagation and
# not process starts or TLS handshakes: for each of N PATs, create it on C, use it on A and B
# (now cached there), delete it on C, then poll A and B until they refuse it. Each PAT is
# polled from its own loopback address (127.0.0.x), so the refusals do not trip the per-address
# auth failure throttle. Prints p50/p99/max of the delay from the delete's answer to the
# first refusal (one request's round trip included), per replica.
cat > "$LK_TMP/revoke_probe.py" <<'PY'
import http.client, json, ssl, sys, time
ca, token, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
urls = dict(zip("ABC", sys.argv[4:7]))
ctx = ssl.create_default_context(cafile=ca)

def connect(url, source):
    host, port = url[len("https://"):].rstrip("/").rsplit(":", 1)
    return http.client.HTTPSConnection(host, int(port), context=ctx, source_address=(source, 0))

def call(conn, method, path, bearer, body=None):
    headers = {"Authorization": "Bearer " + bearer}
    if body is not None:
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
    response = conn.getresponse()
    return response.status, response.read()

delays = {"A": [], "B": []}
c = connect(urls["C"], "127.0.0.1")
for i in range(n):
    source = "127.0.%d.%d" % (1 + i // 250, 2 + i % 250)
    status, body = call(c, "POST", "/api/2.0/token/create", token,
                        {"lifetime_seconds": 3600, "comment": "revoke-%d" % i})
    assert status == 200, (status, body)
    created = json.loads(body)
    pat, token_id = created["token_value"], created["token_info"]["token_id"]
    pollers = {name: connect(urls[name], source) for name in "AB"}
    for name, conn in pollers.items():
        status, _ = call(conn, "GET", "/api/2.0/token/list", pat)
        assert status == 200, (name, status)
    status, _ = call(c, "POST", "/api/2.0/token/delete", token, {"token_id": token_id})
    assert status == 200, status
    deleted = time.monotonic()
    while pollers and time.monotonic() - deleted < 2:
        for name in list(pollers):
            status, _ = call(pollers[name], "GET", "/api/2.0/token/list", pat)
            if status == 403:
                delays[name].append((time.monotonic() - deleted) * 1000)
                pollers.pop(name).close()
    for name in pollers:
        delays[name].append(float("inf"))

worst_p50 = worst_p99 = worst = 0.0
for name, values in delays.items():
    values.sort()
    p50, p99 = values[len(values) // 2], values[min(len(values) - 1, int(len(values) * 0.99))]
    worst_p50, worst_p99, worst = max(worst_p50, p50), max(worst_p99, p99), max(worst, values[-1])
    print("replica %s: %d revocations, propagation p50 %.2f ms, p99 %.2f ms, max %.2f ms"
          % (name, len(values), p50, p99, values[-1]))
print("p50_ms=%.2f p99_ms=%.2f max_ms=%.2f" % (worst_p50, worst_p99, worst))
PY
REVOCATIONS=${LATCHKEY_E2E_REVOCATIONS:-100}
probe=$(python3 "$LK_TMP/revoke_probe.py" "$LK_CA" "$AAD_TOKEN" "$REVOCATIONS" \
  "${URL[a]}" "${URL[b]}" "${URL[c]}" 2>&1) || true
sed 's/^/# /' <<<"$probe"
read -r p50 p99 max < <(sed -n 's/^p50_ms=\(.*\) p99_ms=\(.*\) max_ms=\(.*\)$/\1 \2 \3/p' <<<"$probe")
below() { python3 -c "import sys; sys.exit(0 if 0 <= float('${1:-inf}') < $2 else 1)"; }
check "every PAT deleted on C was refused by A and B (none missed; max ${max:-?} ms)" below "${max:-inf}" 2000
check "PATs deleted on C are refused by A and B within 100 ms (p50 ${p50:-?} ms)" below "${p50:-inf}" 100
# The p99 includes the polling request's own round trip, so scheduling noise on a loaded host
# shows up in it: it is reported here and enforced only on request (a quiet host or a bench).
if [ "${LATCHKEY_E2E_STRICT_P99:-0}" = 1 ]; then
  check "p99 of the propagation below 100 ms (${p99:-?} ms)" below "${p99:-inf}" 100
fi

# ---- 3b. Keys rotated on one host: every replica reloads on the change notification ----
# (app/serve.cc's store listener; the replicas share the data dir, so the new private key file
# is already in place, as docs/deployment.md asks.)
jwks_kids() { lkcurl "$1/$LK_TENANT/discovery/v2.0/keys" | jq -r '[.keys[].kid] | sort | join(",")'; }
new_kid=$("$LATCHKEYD" keys rotate --data-dir "$DATA" --database "$PGURL" 2>/dev/null | jq -r .kid)
check "latchkeyd keys rotate printed the new kid" test -n "$new_kid" -a "$new_kid" != null
for r in a b c; do
  for i in $(seq 1 100); do
    grep -q "$new_kid" <<<"$(jwks_kids "${URL[$r]}")" && break
    sleep 0.05
  done
  check "replica $r publishes the new key without a restart or SIGHUP" \
    grep -q "$new_kid" <<<"$(jwks_kids "${URL[$r]}")"
done

# ---- 4. kill -9 one replica during a create loop: no acknowledged PAT is lost ----
# Three clients create PATs through nginx concurrently, so that creates are in flight on B
# when it dies; only the answered (200) ones count as acknowledged.
create_loop() {  # create_loop WORKER: 15 creates, acknowledged token values to acked.WORKER
  local i out
  for i in $(seq 1 15); do
    out=$(lkcurl -X POST "$NGINX/api/2.0/token/create" -H "Authorization: Bearer $AAD_TOKEN" \
      -H 'Content-Type: application/json' \
      -d "{\"lifetime_seconds\": 3600, \"comment\": \"loop-$1-$i\"}" -w '\n%{http_code}' \
      2>/dev/null || true)
    if [ "$(tail -n1 <<<"$out")" = 200 ]; then
      head -n -1 <<<"$out" | jq -r .token_value >> "$LK_TMP/acked.$1"
    fi
  done
}
workers=()
for w in 1 2 3; do : > "$LK_TMP/acked.$w"; create_loop "$w" & workers+=($!); done
while [ "$(cat "$LK_TMP"/acked.* | wc -l)" -lt 6 ]; do sleep 0.01; done
kill -9 "${PID[b]}"
wait "${workers[@]}"
cat "$LK_TMP"/acked.* > "$LK_TMP/acked"
acked="$LK_TMP/acked"
wait "${PID[b]}" 2>/dev/null || true
n_acked=$(wc -l < "$acked")
lost=0
while read -r pat; do
  [ "$(list_status "$NGINX" "$pat")" = 200 ] || lost=$((lost + 1))
done < "$acked"
echo "# $n_acked of 45 creates acknowledged while replica B was killed"
check "most creates were acknowledged" test "$n_acked" -ge 30
expect_eq "every acknowledged PAT works after the kill" 0 "$lost"

# ---- 5. PostgreSQL down: fail closed; back up: served again, no restart ----
PAT_OK=$(create_pat "$NGINX" before-outage | jq -r .token_value)
# A client no replica has issued a token to yet: its credentials are in no replica's client
# cache (a cached client may be served for up to its 60 s TTL; docs/deployment.md).
saved_id=$SP_CLIENT_ID saved_secret=$SP_SECRET saved_scim=$SP_SCIM_ID
lk_new_sp outage-sp
OUTAGE_ID=$SP_CLIENT_ID OUTAGE_SECRET=$SP_SECRET
SP_CLIENT_ID=$saved_id SP_SECRET=$saved_secret SP_SCIM_ID=$saved_scim
expect_eq "a PAT works before the outage" 200 "$(list_status "$NGINX" "$PAT_OK")"
expect_eq "the PAT authenticates on A before the outage" 200 \
  "$(lkstatus -H "Authorization: Bearer $PAT_OK" "${URL[a]}/api/2.0/preview/scim/v2/Me")"
bash "$PG_CLUSTER" pause "$PG_DIR"
# The outage guard checks every 250 ms: a cached PAT on an authentication-only route (SCIM
# /Me, answered from the caches while they are trusted) turns 503 within about a second.
paused_at=$(now_ms)
while [ "$(lkstatus -H "Authorization: Bearer $PAT_OK" "${URL[a]}/api/2.0/preview/scim/v2/Me")" = 200 ] &&
      [ $(( $(now_ms) - paused_at )) -lt 5000 ]; do
  sleep 0.05
done
echo "# the cached PAT failed closed on A $(( $(now_ms) - paused_at )) ms after PostgreSQL stopped"
for r in a c; do
  expect_eq "replica ${r^^}: a cached PAT fails closed on /Me too (outage grace 0)" 503 \
    "$(lkstatus -H "Authorization: Bearer $PAT_OK" "${URL[$r]}/api/2.0/preview/scim/v2/Me")"
  # /readyz answers from a probe that pings the store every 500 ms (app/readiness.cc): it turns
  # within a probe period or two, not on the request that finds the database gone.
  ready_since=$(now_ms)
  while [ "$(lkstatus "${URL[$r]}/readyz")" != 503 ] && [ $(( $(now_ms) - ready_since )) -lt 3000 ]; do
    sleep 0.05
  done
  expect_eq "replica ${r^^} readyz is 503 while PostgreSQL is down (within 3 s)" 503 "$(lkstatus "${URL[$r]}/readyz")"
  expect_eq "replica ${r^^}: a cached PAT's call fails closed (503)" 503 \
    "$(list_status "${URL[$r]}" "$PAT_OK")"
  expect_eq "replica ${r^^}: an unseen PAT is refused with 503, not accepted" 503 \
    "$(list_status "${URL[$r]}" "dapi0123456789abcdef0123456789abcdef")"
  status=$(lkstatus -X POST "${URL[$r]}/api/2.0/token/create" -H "Authorization: Bearer $AAD_TOKEN" \
    -H 'Content-Type: application/json' -d '{"comment": "outage"}')
  expect_eq "replica ${r^^}: create with an Entra token fails with 503" 503 "$status"
  status=$(lkstatus -X POST "${URL[$r]}/$LK_TENANT/oauth2/v2.0/token" \
    -d "client_id=$OUTAGE_ID" -d grant_type=client_credentials \
    -d 'scope=2ff814a6-3304-4ab8-85cb-cd0e6f879c1d%2F.default' -d "client_secret=$OUTAGE_SECRET")
  check "replica ${r^^}: no Entra token is issued (HTTP $status)" test "$status" != 200
done
expect_eq "through nginx too: 503" 503 "$(list_status "$NGINX" "$PAT_OK")"
bash "$PG_CLUSTER" resume "$PG_DIR"
back_at=$(now_ms)
for r in a c; do
  while [ "$(lkstatus "${URL[$r]}/readyz")" != 200 ] && [ $(( $(now_ms) - back_at )) -lt 10000 ]; do
    sleep 0.05
  done
  expect_eq "replica ${r^^} readyz is 200 again" 200 "$(lkstatus "${URL[$r]}/readyz")"
done
echo "# ready again $(( $(now_ms) - back_at )) ms after PostgreSQL restarted"
expect_eq "the old PAT works again through nginx" 200 "$(list_status "$NGINX" "$PAT_OK")"
PAT_NEW=$(create_pat "$NGINX" after-outage | jq -r .token_value)
check "a PAT is created after the outage" grep -Eq '^dapi[0-9a-f]{32}$' <<<"$PAT_NEW"
for r in a c; do
  expect_eq "replica ${r^^} accepts it, without a restart" 200 "$(list_status "${URL[$r]}" "$PAT_NEW")"
done
check "replicas A and C are the same processes" kill -0 "${PID[a]}" "${PID[c]}"

# ---- 6. One issuer whatever name a client used ----
lk_new_sp issuer-sp
lk_grant_can_use "$SP_CLIENT_ID"
OSECRET=$(lkcurl -X POST -H "Authorization: Bearer $LK_ADMIN_TOKEN" -H 'Content-Type: application/json'   -d '{"lifetime":"3600s"}' "$NGINX/api/2.0/accounts/servicePrincipals/$SP_SCIM_ID/credentials/secrets" | jq -r .secret)
PORT_A=$(port_of "${URL[a]}")
# name_args NAME: curl arguments that reach replica A (or nginx) under that name.
name_args() {
  case $1 in
    port) echo "https://127.0.0.1:$PORT_A" ;;
    portless) echo "https://127.0.0.1:$PORT_A -H Host:127.0.0.1" ;;
    localhost) echo "https://localhost:$PORT_A" ;;
    alias) echo "$NGINX" ;;
  esac
}
iss_of() {
  python3 -c 'import sys, base64, json; p = sys.argv[1].split(".")[1]
print(json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))["iss"])' "$1" 2>/dev/null || echo none
}
declare -A ISS
names="port portless localhost alias"
TOKENS=()
for n in $names; do
  set -- $(name_args "$n")
  base=$1; shift
  entra=$(lkcurl "$@" -X POST "$base/$LK_TENANT/oauth2/token" -d "client_id=$SP_CLIENT_ID" \
    -d grant_type=client_credentials -d resource=2ff814a6-3304-4ab8-85cb-cd0e6f879c1d \
    --data-urlencode "client_secret=$SP_SECRET" | jq -r .access_token)
  m2m=$(lkcurl "$@" -X POST -u "$SP_CLIENT_ID:$OSECRET" "$base/oidc/v1/token" \
    -d grant_type=client_credentials -d scope=all-apis | jq -r .access_token)
  ISS[entra-$n]=$(iss_of "$entra")
  ISS[m2m-$n]=$(iss_of "$m2m")
  TOKENS+=("$n:entra:$entra" "$n:m2m:$m2m")
done
expect_eq "Entra tokens through 4 names carry the tenant's one issuer" \
  "https://sts.windows.net/$LK_TENANT/ x4" \
  "$(printf '%s\n' "${ISS[entra-port]}" "${ISS[entra-portless]}" "${ISS[entra-localhost]}" "${ISS[entra-alias]}" | sort | uniq -c | awk '{print $2" x"$1}')"
expect_eq "workspace OAuth tokens through 4 names carry <public_url>/oidc" \
  "https://127.0.0.1:$NGINX_PORT/oidc x4" \
  "$(printf '%s\n' "${ISS[m2m-port]}" "${ISS[m2m-portless]}" "${ISS[m2m-localhost]}" "${ISS[m2m-alias]}" | sort | uniq -c | awk '{print $2" x"$1}')"
for t in "${TOKENS[@]}"; do
  what=${t%:*}; token=${t##*:}
  for r in a c; do
    expect_eq "$what token accepted by replica ${r^^}" 200 \
      "$(lkstatus -H "Authorization: Bearer $token" "${URL[$r]}/api/2.0/preview/scim/v2/Me")"
  done
done
expect_eq "the service principal is removed" 204 "$(lkstatus -X DELETE \
  -H "Authorization: Bearer $LK_ADMIN_TOKEN" "$NGINX/api/2.0/preview/scim/v2/ServicePrincipals/$SP_SCIM_ID")"
for t in "${TOKENS[@]}"; do
  what=${t%:*}; token=${t##*:}
  for r in a c; do
    expect_eq "$what token refused by replica ${r^^} after the SP's removal" 403 \
      "$(lkstatus -H "Authorization: Bearer $token" "${URL[$r]}/api/2.0/preview/scim/v2/Me")"
  done
done
finish
