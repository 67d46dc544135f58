#!/usr/bin/env bash
# A database that stops answering (issue 22 item 4): a private PostgreSQL behind a TCP proxy
# (tests/support/tcp_stall_proxy.py) that, on command, stops forwarding without closing
# anything, so that neither keepalives nor tcp_user_timeout notice. One latchkeyd with ONE
# worker thread (every connection on the thread whose requests get stuck), request timeout
# 3 s. While partitioned:
#   - a PAT authenticated before keeps answering 200 on GET /Me, on that same worker, while
#     writes are stuck on the store pool;
#   - writes answer 503 within the request timeout (never hang), /readyz turns 503;
#   - creates whose clients give up (curl --max-time 1) are never executed, not even after the
#     partition ends (their tokens are counted by comment afterwards).
# After it: /readyz 200 again and writes succeed, without a restart.
source "$(dirname "$0")/lib.sh"
PG_CLUSTER="$LK_SRC/tests/support/pg_cluster.sh"
PROXY="$LK_SRC/tests/support/tcp_stall_proxy.py"

PG_DIR=$(mktemp -d /tmp/latchkey-pg.XXXXXX)
PROXY_PID=""
partition_cleanup() {
  [ -n "$PROXY_PID" ] && kill -TERM "$PROXY_PID" 2>/dev/null || true
  lk_cleanup
  bash "$PG_CLUSTER" stop "$PG_DIR" || true
}
trap partition_cleanup EXIT

now_ms() { date +%s%3N; }

PGURL=$(bash "$PG_CLUSTER" start "$PG_DIR" | sed -n 's/^PGURL=//p')
check "a private PostgreSQL cluster started" test -n "$PGURL"
PG_PORT=${PGURL##*:}; PG_PORT=${PG_PORT%%/*}
coproc PROXY_OUT { exec python3 "$PROXY" --target "127.0.0.1:$PG_PORT"; }
PROXY_PID=$PROXY_OUT_PID
read -r line <&"${PROXY_OUT[0]}"; PROXY_PORT=${line#PORT=}
check "the stall proxy listens" test -n "$PROXY_PORT"
VIA_PROXY="postgresql://postgres@127.0.0.1:$PROXY_PORT/postgres"

lk_init p --database "$VIA_PROXY"
CONF="$LK_TMP/p/latchkey.toml"
# Request timeout 3 s; a query unanswered for 1 + 1 s fails; cached credentials stay valid
# for 60 s without the database (the default grace).
sed -i 's/^\[server\]$/[server]\nrequest_timeout_ms = 3000/' "$CONF"
sed -i 's/^\[database\]$/[database]\nstatement_timeout_ms = 1000/' "$CONF"
lk_serve p --database "$VIA_PROXY" --threads 1
AUTH=(-H "Authorization: Bearer $LK_ADMIN_TOKEN")
ME="$LK_URL/api/2.0/preview/scim/v2/Me"

# create COMMENT MAX_TIME: "status seconds" of a PAT create.
create() {
  curl -s -o /dev/null -w '%{http_code} %{time_total}' --cacert "$LK_CA" --max-time "$2" \
    "${AUTH[@]}" -X POST "$LK_URL/api/2.0/token/create" \
    -d "{\"comment\":\"$1\",\"lifetime_seconds\":3600}" || true
}
count_tokens() {  # PREFIX: the tokens whose comment starts with it
  lkcurl "${AUTH[@]}" "$LK_URL/api/2.0/token-management/tokens" |
    jq --arg p "$1" '[.token_infos[]? | select(.comment | startswith($p))] | length'
}

expect_eq "GET /Me with the admin PAT (now cached)" 200 "$(lkstatus "${AUTH[@]}" "$ME")"
expect_eq "a create before the partition" "200" "$(create before 10 | cut -d' ' -f1)"
expect_eq "/readyz before the partition" 200 "$(lkstatus "$LK_URL/readyz")"

# ---- partition ----
kill -USR1 "$PROXY_PID"
T0=$(now_ms)
# Clients that give up after 1 s: their creates must never run.
CLIENTS=()
for i in 1 2 3 4; do create "gaveup-$i" 1 >/dev/null & CLIENTS+=($!); done
# Clients that wait: 503 within the request timeout (3 s) plus slack.
for i in 1 2; do create "waited-$i" 20 >"$LK_TMP/waited-$i" & CLIENTS+=($!); done
# Meanwhile, on the same (only) worker: the cached PAT keeps answering, quickly.
ME_BAD=0
ME_SLOW=0
READY_503_AT=""
while [ $(( $(now_ms) - T0 )) -lt 6000 ]; do
  out=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --cacert "$LK_CA" --max-time 2 \
    "${AUTH[@]}" "$ME" || echo "000 2")
  [ "${out%% *}" = 200 ] || ME_BAD=$((ME_BAD + 1))
  awk -v t="${out#* }" 'BEGIN { exit !(t > 0.5) }' && ME_SLOW=$((ME_SLOW + 1))
  if [ -z "$READY_503_AT" ] && [ "$(lkstatus --max-time 2 "$LK_URL/readyz")" = 503 ]; then
    READY_503_AT=$(( $(now_ms) - T0 ))
  fi
  sleep 0.1
done
wait "${CLIENTS[@]}"  # not the proxy's coproc
expect_eq "GET /Me with the cached PAT: no answer other than 200 during the partition" 0 "$ME_BAD"
expect_eq "GET /Me with the cached PAT: none slower than 0.5 s on the one worker" 0 "$ME_SLOW"
for i in 1 2; do
  read -r status secs <"$LK_TMP/waited-$i" || true
  expect_eq "a create during the partition answers 503" 503 "$status"
  check "... within the request timeout (3 s; took ${secs} s)" \
    awk -v t="$secs" 'BEGIN { exit !(t < 4.5) }'
done
check "/readyz turned 503 during the partition (after ${READY_503_AT:-never} ms)" \
  test -n "$READY_503_AT"
expect_eq "/readyz still 503 at the end of the partition" 503 "$(lkstatus --max-time 3 "$LK_URL/readyz")"

# ---- the partition ends ----
kill -USR2 "$PROXY_PID"
READY=""
for i in $(seq 1 100); do
  if [ "$(lkstatus --max-time 2 "$LK_URL/readyz")" = 200 ]; then READY=yes; break; fi
  sleep 0.2
done
check "/readyz answers 200 again after the partition" test -n "$READY"
CREATED=""
for i in $(seq 1 30); do
  if [ "$(create after 5 | cut -d' ' -f1)" = 200 ]; then CREATED=yes; break; fi
  sleep 0.3
done
check "writes succeed again without a restart" test -n "$CREATED"
sleep 2  # anything executed late would have landed by now
expect_eq "no create whose client gave up was executed, during or after" 0 "$(count_tokens gaveup-)"
expect_eq "no create answered 503 was executed late" 0 "$(count_tokens waited-)"
expect_eq "the creates before and after are there" "1 1" "$(count_tokens before) $(count_tokens after)"
check "nothing is logged about a partition as an internal error" \
  bash -c "! grep -q 'event=internal_error' '$LK_LOG'"
finish
