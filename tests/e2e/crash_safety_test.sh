#!/usr/bin/env bash
# Issue 8: latchkeyd is kill -9'd over and over while four clients create and delete PATs.
# After every restart on the same data dir, each acknowledged create (200 with token_value)
# that was not deleted still authenticates, each acknowledged delete stays deleted (403), and
# SQLite's integrity check passes. A delete that was in flight at the kill may land either
# way and is not judged. Bounded: LK_CRASH_ROUNDS rounds (default 6), well under 90 s.
source "$(dirname "$0")/lib.sh"
ROUNDS=${LK_CRASH_ROUNDS:-6}
WORKERS=4
DB="$LK_TMP/lk/latchkey.db"
STATE="$LK_TMP/state"
mkdir -p "$STATE"
for f in created deleted pending_delete; do : >"$STATE/$f"; done
started=$(date +%s)
# The admin creates every PAT; the default quota (600 live PATs) must not end a round early.
export LATCHKEY_PAT_QUOTA=100000

lk_start lk

# One client: creates PATs and deletes every second one it created, until the stop file
# appears or the server goes away. Each line is appended only after the server answered, so
# the files list exactly what the server acknowledged.
worker() {
  local w=$1 round=$2 n=0 resp code value id last_value="" last_id=""
  while [ ! -e "$STATE/stop" ]; do
    n=$((n + 1))
    resp=$(curl -s --cacert "$LK_CA" --max-time 5 -w '\n%{http_code}' -X POST \
      -H "Authorization: Bearer $LK_ADMIN_TOKEN" -H 'Content-Type: application/json' \
      "$LK_URL/api/2.0/token/create" \
      -d "{\"comment\":\"crash r$round w$w n$n\",\"lifetime_seconds\":3600}") || return 0
    code=${resp##*$'\n'}
    [ "$code" = 200 ] || return 0
    value=$(jq -r .token_value <<<"${resp%$'\n'*}")
    id=$(jq -r .token_info.token_id <<<"${resp%$'\n'*}")
    [[ $value == dapi* ]] || return 0
    echo "$value $id" >>"$STATE/created"
    if ((n % 2 == 0)) && [ -n "$last_id" ]; then
      echo "$last_value $last_id" >>"$STATE/pending_delete"
      code=$(curl -s --cacert "$LK_CA" --max-time 5 -o /dev/null -w '%{http_code}' -X POST \
        -H "Authorization: Bearer $LK_ADMIN_TOKEN" -H 'Content-Type: application/json' \
        "$LK_URL/api/2.0/token/delete" -d "{\"token_id\":\"$last_id\"}") || return 0
      [ "$code" = 200 ] && echo "$last_value $last_id" >>"$STATE/deleted"
    fi
    last_value=$value last_id=$id
  done
}

# Prints "<token> <status of GET /Me with it>" for each token on stdin. Refused tokens count
# as authentication failures, and 20 from one address lock it out for a minute (429), so each
# check comes from its own loopback source address 127.0.<first argument>.<n>. Four curl
# processes each take a config file of requests (a process per token is slow on a busy box).
me_status() {
  local part
  awk -v r="$1" -v url="$LK_URL/api/2.0/preview/scim/v2/Me" -v ca="$LK_CA" -v dir="$STATE" '{
    f = dir "/curl." (NR % 4)
    printf "url = \"%s\"\ncacert = \"%s\"\ninterface = \"127.0.%d.%d\"\n", url, ca, r, 2 + (NR - 1) % 250 > f
    printf "header = \"Authorization: Bearer %s\"\noutput = \"/dev/null\"\n", $1 > f
    printf "silent\nwrite-out = \"%s %%{http_code}\\n\"\nnext\n", $1 > f
  }'
  local pids=()
  for part in 0 1 2 3; do
    if [ -s "$STATE/curl.$part" ]; then
      curl -K "$STATE/curl.$part" &
      pids+=($!)
    fi
  done
  [ "${#pids[@]}" -eq 0 ] || wait "${pids[@]}"
  rm -f "$STATE"/curl.*
}

for round in $(seq 1 "$ROUNDS"); do
  rm -f "$STATE/stop"
  pids=()
  for w in $(seq 1 $WORKERS); do
    worker "$w" "$round" &
    pids+=($!)
  done
  # Kill at a random moment once this round's clients have had creates and deletes
  # acknowledged (at most 8 s, so a slow machine still ends the round).
  want_created=$(($(wc -l <"$STATE/created") + 8))
  want_deleted=$(($(wc -l <"$STATE/deleted") + 2))
  for _ in $(seq 1 80); do
    [ "$(wc -l <"$STATE/created")" -ge "$want_created" ] &&
      [ "$(wc -l <"$STATE/deleted")" -ge "$want_deleted" ] && break
    sleep 0.1
  done
  sleep "0.$((RANDOM % 5))"
  kill -KILL "$LK_PID"
  wait "$LK_PID" 2>/dev/null || true
  touch "$STATE/stop"
  wait "${pids[@]}" 2>/dev/null || true

  lk_serve lk
  # Judge every token acknowledged so far, in all rounds.
  sort -u "$STATE/deleted" >"$STATE/deleted.sorted"
  sort -u "$STATE/pending_delete" >"$STATE/pending.sorted"
  sort -u "$STATE/created" | comm -23 - "$STATE/pending.sorted" | cut -d' ' -f1 >"$STATE/live"
  cut -d' ' -f1 "$STATE/deleted.sorted" >"$STATE/dead"
  # Count the good answers (not the bad ones), so a check that ran nothing cannot pass.
  live=$(wc -l <"$STATE/live")
  dead=$(wc -l <"$STATE/dead")
  live_ok=$(me_status "$round" <"$STATE/live" | awk '$2 == 200' | wc -l)
  dead_ok=$(me_status "$((round + 100))" <"$STATE/dead" | awk '$2 == 403' | wc -l)
  expect_eq "round $round: acknowledged live PATs that work after kill -9 (of $live)" "$live" "$live_ok"
  expect_eq "round $round: acknowledged deletes that hold with 403 (of $dead)" "$dead" "$dead_ok"
  expect_eq "round $round: PRAGMA integrity_check" ok "$(sqlite3 "$DB" 'PRAGMA integrity_check')"
done

created=$(sort -u "$STATE/created" | wc -l)
deleted=$(sort -u "$STATE/deleted" | wc -l)
check "the clients got work done between kills ($created creates, $deleted deletes acknowledged)" \
  test "$created" -ge $((ROUNDS * 8)) -a "$deleted" -ge $((ROUNDS * 2))
expect_eq "the admin PAT survived every crash" 200 \
  "$(lkstatus -H "Authorization: Bearer $LK_ADMIN_TOKEN" "$LK_URL/api/2.0/preview/scim/v2/Me")"
lk_stop; rc=$LK_RC
expect_eq "a clean stop after the crashes exits 0" 0 "$rc"
expect_eq "integrity_check after the clean stop" ok "$(sqlite3 "$DB" 'PRAGMA integrity_check')"
echo "took $(($(date +%s) - started)) s"
finish
