#!/usr/bin/env bash
# Issue 8: secret hygiene. One flow sees every kind of secret latchkey handles: the directory
# admin's client secret, a new client secret, Entra access tokens, PATs (one deleted), an OAuth
# secret and the OAuth access token it buys, wrong secrets an attacker might send, and the
# private keys (signing keys, TLS key, CA key). Then none of those values may appear in the
# server log, anywhere in the data dir (SQLite db, -wal, -shm, latchkey.toml, other key
# files) or in a core file. Process hardening: latchkeyd is not dumpable (no core file on a
# crash, /proc/<pid> owned by root), and it refuses to start on a data dir or key file that
# others can read. Each hardening check runs next to a control that shows the check can see
# the difference; one that cannot run here fails unless LATCHKEY_TEST_ALLOW_SKIP=1.
source "$(dirname "$0")/lib.sh"
DATABRICKS_AUD=2ff814a6-3304-4ab8-85cb-cd0e6f879c1d
# Core files of a crashing latchkeyd would land in its working directory (core_pattern "core").
mkdir -p "$LK_TMP/cwd"
cd "$LK_TMP/cwd" || exit 1
ulimit -c unlimited 2>/dev/null || true

lk_start lk
DATA="$LK_TMP/lk"
SECRETS="$LK_TMP/secrets"  # "<kind>\t<value>" per line; never printed in full
: >"$SECRETS"
remember() { [ -n "$2" ] && [ "$2" != null ] && printf '%s\t%s\n' "$1" "$2" >>"$SECRETS"; }

remember "admin PAT" "$LK_ADMIN_TOKEN"
remember "directory admin client secret" "$LK_DIR_SECRET"
graph=$(lk_graph_token)
remember "Entra access token (Graph)" "$graph"
remember "Entra access token signature (Graph)" "${graph##*.}"

lk_new_sp hygiene-sp
lk_grant_can_use "$SP_CLIENT_ID"
remember "new client secret" "$SP_SECRET"
aad=$(lkcurl -X POST "$LK_URL/$LK_TENANT/oauth2/v2.0/token" -d "client_id=$SP_CLIENT_ID" \
  -d grant_type=client_credentials -d "scope=$DATABRICKS_AUD%2F.default" \
  --data-urlencode "client_secret=$SP_SECRET" | jq -r .access_token)
remember "Entra access token (Databricks)" "$aad"
remember "Entra access token signature (Databricks)" "${aad##*.}"

create_pat() {
  lkcurl -X POST -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
    "$LK_URL/api/2.0/token/create" -d '{"comment":"hygiene","lifetime_seconds":3600}'
}
sp_pat_json=$(create_pat "$aad")
sp_pat=$(jq -r .token_value <<<"$sp_pat_json")
remember "PAT created with an Entra token" "$sp_pat"
admin_pat_json=$(create_pat "$LK_ADMIN_TOKEN")
admin_pat=$(jq -r .token_value <<<"$admin_pat_json")
remember "PAT created with a PAT" "$admin_pat"
deleted_pat=$(create_pat "$LK_ADMIN_TOKEN" | jq -r .token_value)
remember "deleted PAT" "$deleted_pat"
deleted_id=$(lkcurl -H "Authorization: Bearer $deleted_pat" "$LK_URL/api/2.0/token/list" |
  jq -r '[.token_infos[] | select(.comment == "hygiene")] | last | .token_id')
lkcurl -X POST -H "Authorization: Bearer $LK_ADMIN_TOKEN" "$LK_URL/api/2.0/token/delete" \
  -d "{\"token_id\":\"$deleted_id\"}" >/dev/null

oauth_secret=$(lkcurl -X POST -H "Authorization: Bearer $LK_ADMIN_TOKEN" \
  -H 'Content-Type: application/json' -d '{"lifetime":"3600s"}' \
  "$LK_URL/api/2.0/accounts/servicePrincipals/$SP_SCIM_ID/credentials/secrets" | jq -r .secret)
remember "OAuth secret" "$oauth_secret"
oauth_token=$(lkcurl -X POST -u "$SP_CLIENT_ID:$oauth_secret" "$LK_URL/oidc/v1/token" \
  -d grant_type=client_credentials -d scope=all-apis | jq -r .access_token)
remember "OAuth access token" "$oauth_token"

# Wrong credentials an attacker sends are secrets too (often a real one, mistyped).
wrong_secret="Wr0ng~secret.$RANDOM$RANDOM$RANDOM-hygiene"
wrong_pat="dapi$(openssl rand -hex 16)"
remember "wrong client secret" "$wrong_secret"
remember "unknown PAT" "$wrong_pat"
lkcurl -X POST "$LK_URL/$LK_TENANT/oauth2/v2.0/token" -d "client_id=$SP_CLIENT_ID" \
  -d grant_type=client_credentials -d "scope=$DATABRICKS_AUD%2F.default" \
  --data-urlencode "client_secret=$wrong_secret" >/dev/null
lkcurl -X POST -u "$SP_CLIENT_ID:$wrong_secret" "$LK_URL/oidc/v1/token" \
  -d grant_type=client_credentials -d scope=all-apis >/dev/null
lkstatus -H "Authorization: Bearer $wrong_pat" "$LK_URL/api/2.0/token/list" >/dev/null
lkstatus -H "Authorization: Bearer $wrong_pat" "$LK_URL/api/2.0/token/list?token=$wrong_pat" >/dev/null

# Every secret was real and did its job.
expect_eq "kinds of secret seen" 14 "$(wc -l <"$SECRETS")"
for t in "$sp_pat" "$admin_pat" "$oauth_token" "$aad"; do
  expect_eq "a ${t:0:4}... token authenticates" 200 \
    "$(lkstatus -H "Authorization: Bearer $t" "$LK_URL/api/2.0/preview/scim/v2/Me")"
done
expect_eq "the deleted PAT is refused" 403 \
  "$(lkstatus -H "Authorization: Bearer $deleted_pat" "$LK_URL/api/2.0/preview/scim/v2/Me")"

# Private keys: their PEM bodies (whole, and each 64-character line, which survives JSON
# escaping) may appear only in their own file.
KEYS="$LK_TMP/keys"
: >"$KEYS"
key_files=("$DATA"/keys/*.pem "$DATA/tls/server.key" "$DATA/tls/ca.key")
check "found the signing keys, the TLS key and the CA key (${#key_files[@]} files)" \
  test "${#key_files[@]}" -ge 3
for f in "${key_files[@]}"; do
  check "$(basename "$f") is a private key" grep -q 'PRIVATE KEY-----' "$f"
  body=$(sed '/-----/d' "$f")
  printf '%s\t%s\n' "$f" "$(tr -d '\n' <<<"$body")" >>"$KEYS"
  # Every full 64-character line, so a fragment anywhere in the key is caught.
  grep -E '^.{64}$' <<<"$body" | sed "s|^|$f\t|" >>"$KEYS"
done

# search WHERE...: every secret and key fragment must be absent from the files under WHERE
# (a key's fragments may appear in its own file only).
search() {
  local label=$1; shift
  local found=0 kind value file hits
  while IFS=$'\t' read -r kind value; do
    hits=$(grep -rlaF -- "$value" "$@" 2>/dev/null || true)
    if [ -n "$hits" ]; then found=1; fail "$label: $kind found in $(tr '\n' ' ' <<<"$hits")"; fi
  done <"$SECRETS"
  while IFS=$'\t' read -r file value; do
    [ -n "$value" ] || continue
    hits=$(grep -rlaF -- "$value" "$@" 2>/dev/null | grep -vxF -- "$file" || true)
    if [ -n "$hits" ]; then found=1; fail "$label: PEM body of $(basename "$file") found in $(tr '\n' ' ' <<<"$hits")"; fi
  done <"$KEYS"
  [ "$found" = 1 ] || pass "$label: no secret value or private key body found"
}

check "the WAL is there while latchkeyd runs" test -e "$DATA/latchkey.db-wal"
search "data dir while serving (db, WAL, shm, config, keys)" "$DATA"
search "server log while serving" "$LK_LOG"

# Process hardening: not dumpable, so no core file even when it crashes. Neither check may pass
# without running: one that cannot run here fails (cannot_run in lib.sh).
#
# Dumpability: /proc/<pid> of a process that is not dumpable belongs to root (proc(5)). That shows
# only for a process of an unprivileged user, next to a dumpable control process of the same user
# whose /proc/<pid> that user owns. Run as a user, that is the latchkeyd under test; run as root,
# a second latchkeyd of the same binary runs as nobody (setpriv).
proc_owner() { stat -c %u "/proc/$1/environ"; }
if [ "$(id -u)" != 0 ]; then
  sleep 60 &
  control_pid=$!
  expect_eq "control: a dumpable process owns its /proc/<pid>" "$(id -u)" "$(proc_owner "$control_pid")"
  expect_eq "latchkeyd is not dumpable (its /proc/<pid> is owned by root)" 0 "$(proc_owner "$LK_PID")"
  kill "$control_pid" 2>/dev/null || true
  wait "$control_pid" 2>/dev/null || true
elif ! command -v setpriv >/dev/null; then
  cannot_run "latchkeyd is not dumpable" "run as root, the check needs setpriv (util-linux) to run latchkeyd as nobody"
else
  chmod 711 "$LK_TMP"
  mkdir -m 700 "$LK_TMP/nobody" && chown 65534:65534 "$LK_TMP/nobody"
  as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
  "${as_nobody[@]}" "$LATCHKEYD" init --data-dir "$LK_TMP/nobody/lk" --listen 127.0.0.1:0 \
    >/dev/null 2>&1
  "${as_nobody[@]}" "$LATCHKEYD" serve --data-dir "$LK_TMP/nobody/lk" \
    --ready-file "$LK_TMP/nobody/ready" >"$LK_TMP/nobody.log" 2>&1 &
  nobody_pid=$!
  LK_PIDS+=("$nobody_pid")
  "${as_nobody[@]}" sleep 60 &
  control_pid=$!
  for _ in $(seq 1 200); do [ -s "$LK_TMP/nobody/ready" ] && break; sleep 0.05; done
  check "latchkeyd runs as nobody" test -s "$LK_TMP/nobody/ready"
  expect_eq "control: a dumpable process of nobody owns its /proc/<pid>" 65534 "$(proc_owner "$control_pid")"
  expect_eq "latchkeyd is not dumpable (its /proc/<pid> is owned by root)" 0 "$(proc_owner "$nobody_pid")"
  kill "$control_pid" "$nobody_pid" 2>/dev/null || true
  wait "$control_pid" "$nobody_pid" 2>/dev/null || true
fi

# No core file on a crash. Where cores go is system-wide (kernel.core_pattern): the check runs
# when they are written to a file (next to the process, or in an absolute directory) and a
# dumpable control process crashing the same way in the same directory leaves one there.
pattern=$(cat /proc/sys/kernel/core_pattern 2>/dev/null || echo '|unknown')
core_dirs=("$LK_TMP/cwd")
[[ $pattern == /* ]] && core_dirs+=("$(dirname "$pattern")")
# Files in the core directories, one a line; new_cores BEFORE: those not listed in BEFORE (file
# names, not times: a core can carry the same coarse timestamp as a marker written just before).
core_dir_files() { find "${core_dirs[@]}" -maxdepth 1 -type f 2>/dev/null | sort; }
new_cores() { comm -13 <(printf '%s\n' "$1") <(core_dir_files) | grep -v '^$' || true; }
if [[ $pattern == \|* ]]; then
  cannot_run "latchkeyd leaves no core file when it crashes" \
    "core_pattern pipes cores to a program ('$pattern'), not to a file this test can look for"
  lk_stop
else
  before=$(core_dir_files)
  sleep 60 &  # in $LK_TMP/cwd, as latchkeyd
  control=$!
  # Crash it once it is sleep: the forked shell before the exec holds this test's secrets.
  sleep_bin=$(readlink -f "$(command -v sleep)")
  for _ in $(seq 1 100); do
    [ "$(readlink "/proc/$control/exe" 2>/dev/null)" = "$sleep_bin" ] && break
    sleep 0.02
  done
  kill -SEGV "$control"
  wait "$control" 2>/dev/null || true
  control_cores=$(new_cores "$before")
  if [ -z "$control_cores" ]; then
    cannot_run "latchkeyd leaves no core file when it crashes" \
      "a dumpable control process left no core file either (core_pattern '$pattern', ulimit -c $(ulimit -c))"
    lk_stop
  else
    pass "control: a dumpable process crashing with SIGSEGV leaves a core file ($(tr '\n' ' ' <<<"$control_cores"))"
    rm -f $control_cores
    before=$(core_dir_files)
    kill -SEGV "$LK_PID"
    crash_rc=0
    wait "$LK_PID" 2>/dev/null || crash_rc=$?
    # 128+11; 128+6 under ASan, whose SEGV handler reports and then aborts (abort_on_error).
    check "latchkeyd crashed on the SIGSEGV (exit status $crash_rc)" \
      test "$crash_rc" = 139 -o "$crash_rc" = 134
    lk_cores=$(new_cores "$before")
    expect_eq "latchkeyd leaves no core file when it crashes (SIGSEGV)" "" "$lk_cores"
  fi
fi
cores=$(find "$LK_TMP" "$DATA" -maxdepth 3 -name 'core*' -type f 2>/dev/null; echo "${lk_cores:-}")
cores=$(grep -v '^$' <<<"$cores" || true)
if [ -n "$cores" ]; then search "core files" $cores; fi

# After the crash (or stop), the files as a restart would find them.
search "data dir after the crash" "$DATA"
search "server log after the crash" "$LK_LOG"

# Refusal to run with loose modes: clear message, non-zero exit, no listener.
refuses() {  # refuses DESCRIPTION EXPECTED_TEXT: latchkeyd serve must exit non-zero saying it
  local out rc=0
  out=$(timeout 20 "$LATCHKEYD" serve --data-dir "$DATA" --ready-file "$LK_TMP/refuse.ready" 2>&1) || rc=$?
  check "$1: exits non-zero (rc=$rc)" test "$rc" -ne 0 -a "$rc" -ne 124
  check "$1: says why" grep -q -- "$2" <<<"$out"
}
chmod 755 "$DATA"
refuses "data dir mode 0755" "must have mode 0700"
chmod 700 "$DATA"
for f in "$DATA/tls/server.key" "$DATA/tls/ca.key" "${DATA}"/keys/*.pem; do
  chmod 644 "$f"
  refuses "key file $(basename "$(dirname "$f")")/$(basename "$f") mode 0644" "mode 0600"
  chmod 600 "$f"
done
lk_serve lk
expect_eq "with modes restored it serves again" 200 "$(lkstatus "$LK_URL/healthz")"
finish
