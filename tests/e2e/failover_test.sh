#!/usr/bin/env bash
# Automatic failover under a workload (issue 22): PostgreSQL managed by Patroni with
# `synchronous_mode: true` over a 3-member etcd (tests/support/patroni_cluster.sh), two
# latchkeyd replicas given libpq's multi-host URL with target_session_attrs=read-write, and a
# checker (failover_checker.py) creating, using and deleting PATs on both replicas.
#   Each round: the Patroni leader's node is lost (its Patroni and its postmaster SIGKILLed);
#   Patroni promotes the synchronous standby; both replicas must acknowledge writes again
#   without a restart. Between rounds the lost node is started again and rejoins as a standby.
#   Afterwards, on every replica: no acknowledged PAT is lost, no revoked PAT is accepted, and
#   every acknowledged create and delete has its audit row.
# FAILOVER_ROUNDS (default 1) sets the number of failovers; docs/deployment.md has the figures
# of FAILOVER_ROUNDS=20.
# FAILOVER_AUDIT=assert|report (default assert): every acknowledged create and delete must
# have its audit row (the row commits in the change's own transaction, issue 22 item 2);
# `report` only fails on rows missing away from a kill (+-2 s), for bisecting older builds.
source "$(dirname "$0")/lib.sh"
PATRONI="$LK_SRC/tests/support/patroni_cluster.sh"
CHECKER="$LK_SRC/tests/e2e/failover_checker.py"
ROUNDS=${FAILOVER_ROUNDS:-1}
for tool in patroni etcd; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed (scripts/install-deps.sh test)"; exit 1; }
done

# Outside LK_TMP (mode 0700, root's): the cluster runs as the postgres user when we are root.
PG_DIR=$(mktemp -d /tmp/latchkey-patroni.XXXXXX)
STOP="$LK_TMP/stop"
LOG="$LK_TMP/ops.jsonl"
KILLS="$LK_TMP/kills"
WATCH="$LK_TMP/watch.jsonl"
PGURL=""
declare -A URL PID
CHECKER_PID=""
WATCH_PID=""
# On a failure, keep the evidence: the checker's logs, the kills, both replicas' logs,
# Patroni's logs, and where each replica's sessions are.
keep_evidence() {
  local evidence r n
  evidence=$(mktemp -d /tmp/latchkey-failover-evidence.XXXXXX)
  cp "$LOG" "$WATCH" "$KILLS" "$LK_TMP"/shared*.log "$evidence/" 2>/dev/null || true
  for n in "$PG_DIR"/pg*/; do
    cp "$n/patroni.log" "$evidence/$(basename "$n").log" 2>/dev/null || true
  done
  psql "$PGURL" -XAt -c "SELECT now(), pid, application_name, client_port, state, backend_start,
    left(query, 60) FROM pg_stat_activity WHERE application_name LIKE 'latchkeyd%'" \
    > "$evidence/pg_stat_activity" 2>&1 || true
  for r in a b; do
    echo "replica $r ${URL[$r]:-} pid ${PID[$r]:-}"
    [ -n "${PID[$r]:-}" ] && ss -tnp | grep "pid=${PID[$r]}," || true
  done > "$evidence/sockets" 2>&1
  echo "# evidence kept in $evidence"
}
failover_cleanup() {
  local rc=$?
  if [ "$rc" -ne 0 ] || [ "$LK_FAILED" -gt 0 ]; then keep_evidence; fi
  touch "$STOP"
  [ -n "$CHECKER_PID" ] && wait "$CHECKER_PID" 2>/dev/null || true
  [ -n "$WATCH_PID" ] && wait "$WATCH_PID" 2>/dev/null || true
  lk_cleanup
  bash "$PATRONI" stop "$PG_DIR" || true
}
trap failover_cleanup EXIT

now_ms() { date +%s%3N; }
started=$(now_ms)
out=$(bash "$PATRONI" start "$PG_DIR" 3)
PGURL=$(sed -n 's/^PGURL=//p' <<<"$out")
check "a Patroni cluster of 3 PostgreSQL nodes with a synchronous standby" test -n "$PGURL"
echo "# $PGURL"

lk_init shared --database "$PGURL"
bad=$(LATCHKEY_DATABASE_OUTAGE_GRACE_SECONDS=-1 "$LATCHKEYD" serve --data-dir "$LK_TMP/shared" \
  --database "$PGURL" --listen 127.0.0.1:0 2>&1 || true)
check "a negative outage grace is refused" grep -q 'outage_grace_seconds must be between 0 and 3600' <<<"$bad"
# Replica A keeps the default outage grace (60 s: longer than a failover); replica B has 2 s.
GRACE_B=2
# The workload keeps half the PATs it creates (verified at the end): above the default quota
# (600 live PATs per owner) after about ten rounds.
export LATCHKEY_PAT_QUOTA=100000
for r in a b; do
  if [ "$r" = b ]; then export LATCHKEY_DATABASE_OUTAGE_GRACE_SECONDS=$GRACE_B; fi
  lk_serve shared --database "$PGURL" --listen 127.0.0.1:0
  unset LATCHKEY_DATABASE_OUTAGE_GRACE_SECONDS
  URL[$r]=$LK_URL
  PID[$r]=$LK_PID
done
check "two replicas are ready" test -n "${URL[a]}" -a -n "${URL[b]}"

lk_new_sp failover-sp
lk_grant_can_use "$SP_CLIENT_ID"
AAD_TOKEN=$(lkcurl -X POST "$LK_URL/$LK_TENANT/oauth2/v2.0/token" \
  -d "client_id=$SP_CLIENT_ID" -d grant_type=client_credentials \
  -d 'scope=2ff814a6-3304-4ab8-85cb-cd0e6f879c1d%2F.default' \
  --data-urlencode "client_secret=$SP_SECRET" | jq -r .access_token)
check "an Entra token for the workload" grep -Eq '^[^.]+\.[^.]+\.[^.]+$' <<<"$AAD_TOKEN"

: > "$KILLS"
python3 "$CHECKER" run --ca "$LK_CA" --urls "${URL[a]},${URL[b]}" --bearer "$AAD_TOKEN" \
  --log "$LOG" --stop "$STOP" &
CHECKER_PID=$!
# One PAT, used on both replicas all along (so cached by both when the primary goes): what
# it gets while there is no primary shows each replica's outage grace.
CACHED_PAT=$(lkcurl -X POST "${URL[a]}/api/2.0/token/create" -H "Authorization: Bearer $AAD_TOKEN" \
  -H 'Content-Type: application/json' -d '{"lifetime_seconds": 7200, "comment": "cached"}' |
  jq -r .token_value)
python3 "$CHECKER" watch --ca "$LK_CA" --urls "${URL[a]},${URL[b]}" --pat "$CACHED_PAT" \
  --bearer "$AAD_TOKEN" --log "$WATCH" --stop "$STOP" &
WATCH_PID=$!

# wait_acks SINCE_MS TIMEOUT_S: until each replica has acknowledged a write sent after SINCE_MS.
wait_acks() {
  local since=$1 deadline=$(( $(now_ms) + $2 * 1000 )) out
  while [ "$(now_ms)" -lt "$deadline" ]; do
    if [ -s "$WATCH" ]; then
      out=$(python3 "$CHECKER" progress --log "$WATCH" --since "$since")
      [ "$(grep -c 'first_ack_ms=[0-9]' <<<"$out")" -eq 2 ] && return 0
    fi
    sleep 0.5
  done
  return 1
}

check "both replicas acknowledge writes before the first failover" wait_acks "$(now_ms)" 30
for round in $(seq 1 "$ROUNDS"); do
  leader=$(bash "$PATRONI" leader "$PG_DIR" || true)
  sync=$(bash "$PATRONI" sync "$PG_DIR" || true)
  if [ -z "$leader" ] || [ -z "$sync" ]; then
    fail "round $round: a leader ($leader) and a synchronous standby ($sync) before the kill"
    break
  fi
  # Let the workload run on the healthy cluster for a moment first.
  wait_acks "$(now_ms)" 30 || true
  kill_ms=$(bash "$PATRONI" kill "$PG_DIR" "$leader" | sed -n 's/^KILLED_MS=//p')
  new=""
  while [ $(( $(now_ms) - kill_ms )) -lt 60000 ]; do
    new=$(bash "$PATRONI" leader "$PG_DIR" || true)
    [ -n "$new" ] && break
    sleep 0.1
  done
  leader_ms=$(now_ms)
  if [ -z "$new" ]; then
    fail "round $round: Patroni elected no new leader within 60 s"
    break
  fi
  echo "$kill_ms $leader_ms $leader $new" >> "$KILLS"
  if wait_acks "$kill_ms" 60; then
    acks=$(python3 "$CHECKER" progress --log "$WATCH" --since "$kill_ms" |
      sed -n 's/.*first_ack_ms=//p' | while read -r t; do echo -n "$((t - kill_ms)) "; done)
    pass "round $round: $leader lost, $new leader after $((leader_ms - kill_ms)) ms, writes acknowledged by both replicas after ${acks}ms"
  else
    fail "round $round: both replicas acknowledge writes within 60 s of the kill"
    break
  fi
  # Until each replica's LISTEN session is back, deletes through the other one go unheard.
  probe=$(python3 "$CHECKER" probe --ca "$LK_CA" --urls "${URL[a]},${URL[b]}" --bearer "$AAD_TOKEN" || true)
  probe_ba=$(python3 "$CHECKER" probe --ca "$LK_CA" --urls "${URL[b]},${URL[a]}" --bearer "$AAD_TOKEN" || true)
  check "round $round: revocations propagate between the replicas again ($probe, $probe_ba after the acknowledgements)" \
    test "${probe#*=}" != -1 -a "${probe_ba#*=}" != -1
  if [ "$round" -lt "$ROUNDS" ]; then
    # The lost node comes back and rejoins; the next round needs a synchronous standby.
    bash "$PATRONI" revive "$PG_DIR" "$leader"
    deadline=$(( $(now_ms) + 60000 ))
    while [ "$(now_ms)" -lt "$deadline" ]; do
      s=$(bash "$PATRONI" sync "$PG_DIR" || true)
      [ -n "$s" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' \
        "http://127.0.0.1:$(cat "$PG_DIR/$leader/rest_port")/replica")" = 200 ] && break
      sleep 0.2
    done
  fi
done
# A little more work on the new primary, then stop and check.
wait_acks "$(now_ms)" 30 || true
touch "$STOP"
wait "$CHECKER_PID" "$WATCH_PID"
CHECKER_PID=""
WATCH_PID=""

# ---- While there was no primary: the cached PAT, per replica and round ----
# A (grace 60 s) keeps authenticating it throughout; B (grace 2 s) stops within the grace
# plus the guard's period (250 ms) and one failed ping, and refuses it (503) until the new
# leader. Afterwards both accept it again.
outage=$(python3 "$CHECKER" outage --log "$WATCH" --kills "$KILLS")
sed 's/^/# cached PAT while no primary: /' <<<"$outage"
ok_a=1; ok_b=1
[ -n "$outage" ] || { ok_a=0; ok_b=0; }  # no failover recorded: nothing to show either way
declare -A f
while read -r line; do
  [ -n "$line" ] || continue
  f=()
  for kv in $line; do f[${kv%%=*}]=${kv#*=}; done
  if [ "${f[replica]}" = "${URL[a]}" ]; then
    [ "${f[refused]}" -eq 0 ] && [ "${f[accepted]}" -gt 0 ] || ok_a=0
  else
    [ "${f[refused]}" -gt 0 ] && [ "${f[last_accept_ms]}" -lt $((GRACE_B * 1000 + 2500)) ] || ok_b=0
  fi
done <<<"$outage"
check "replica A (outage grace 60 s): the cached PAT kept authenticating while there was no primary" test "$ok_a" = 1
check "replica B (outage grace ${GRACE_B} s): the cached PAT failed closed (503) within the grace + 2.5 s" test "$ok_b" = 1
for r in a b; do
  expect_eq "replica ${r^^} accepts the cached PAT again after the failover" 200 \
    "$(lkstatus -H "Authorization: Bearer $CACHED_PAT" "${URL[$r]}/api/2.0/preview/scim/v2/Me")"
done
check "both replicas are the same processes (no restart)" kill -0 "${PID[a]}" "${PID[b]}"

report=$(python3 "$CHECKER" verify --ca "$LK_CA" --urls "${URL[a]},${URL[b]}" \
  --admin "$LK_ADMIN_TOKEN" --log "$LOG" --kills "$KILLS" --grace "${URL[b]}=$GRACE_B" --watch "$WATCH")
sed "s/^/# /" <<<"$report"
cat "$KILLS" | sed "s/^/# kill: /"
figure() { sed -n "s/^.*\b$1=\([^ ]*\).*$/\1/p" <<<"$report" | head -n1; }
check "acknowledged operations were checked ($(figure operations_checked))" \
  test "$(figure operations_checked)" -gt 20
expect_eq "no acknowledged PAT is lost" 0 "$(figure lost)"
expect_eq "no revoked PAT is accepted afterwards, on either replica" 0 "$(figure accepted_after_revoke)"
expect_eq "no PAT is accepted by the replica that revoked it after the delete returned" 0 \
  "$(figure accepted_after_delete_same_replica)"
# Revocations through the other replica: each polled there until refused. After a failover
# a replica's LISTEN session reconnects with backoff (up to 2 s between tries); meanwhile its
# outage guard (app/outage_guard.h) sees it is not listening while the database answers, and
# flushes the cached credentials every 250 ms, so they are checked against the database. A
# delete acknowledged just before a kill may lose its notification with the primary: the
# other replica then accepts that PAT until its outage grace runs out or a new leader comes.
expect_eq "every PAT deleted through one replica was refused by the other" 0 "$(figure never_heard)"
expect_eq "... within 1 s, or (deleted just before a kill) by the new leader or the end of the outage grace (max $(figure revocation_delay_max_ms) ms, p50 $(figure revocation_delay_p50_ms) ms, after a failover $(figure revocation_delay_after_kill_max_ms) ms)" \
  0 "$(figure revocation_late_unexplained)"
if [ "${FAILOVER_AUDIT:-assert}" = report ]; then
  expect_eq "no audit row is missing for an operation acknowledged away from a kill" 0 \
    "$(figure audit_missing_away_from_kills)"
  echo "# KNOWN GAP (FAILOVER_AUDIT=report): $(figure audit_missing) audit rows missing in all, not asserted"
else
  expect_eq "every acknowledged create and delete has its audit row, on both replicas" 0 \
    "$(figure audit_missing)"
fi
echo "# failover test took $(( $(now_ms) - started )) ms for $ROUNDS round(s)"
finish
