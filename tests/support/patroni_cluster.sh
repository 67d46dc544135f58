#!/usr/bin/env bash
# A throwaway high-availability PostgreSQL for tests, as operators run it: etcd as the
# distributed configuration store and Patroni managing PostgreSQL nodes with
# `synchronous_mode: true`, all from Debian's packages (etcd-server, patroni), all on 127.0.0.1
# with free ports, all state under DIR. No system service is touched.
#
#   patroni_cluster.sh start DIR [NODES]  start etcd and NODES (default 3) Patroni-managed
#                           PostgreSQL 15 nodes, wait until there is a leader and a synchronous
#                           standby, and print on stdout
#                             PGURL=postgresql://postgres@127.0.0.1:P1,127.0.0.1:P2,.../postgres?target_session_attrs=read-write
#                             NODES=pg1 pg2 ...
#   patroni_cluster.sh leader DIR         the name of the node holding the leader lock and
#                                         running as primary (exit 1 if none)
#   patroni_cluster.sh sync DIR           the name of the synchronous standby (exit 1 if none)
#   patroni_cluster.sh kill DIR NAME      SIGKILL NAME's Patroni and its postmaster together (the
#                                         node is lost; its backends exit with the postmaster);
#                                         prints KILLED_MS=<epoch ms> right after the signals
#   patroni_cluster.sh revive DIR NAME    start NAME's Patroni again: it rejoins as a standby
#                                         (pg_rewind if its timeline diverged)
#   patroni_cluster.sh stop DIR           stop everything by PID and remove DIR
#
# Environment: PATRONI_ETCD_MEMBERS (3 or 1; default 3: measured on the 2-core VM, three
# members are healthy in 1.6-3 s and idle at 3 % of one core, one member in 1.4 s at 1 %; Patroni's
# three nodes at loop_wait 1 add 1 %), PATRONI_TTL (default 10),
# PATRONI_LOOP_WAIT (default 1), PATRONI_RETRY_TIMEOUT (default 3). The leader key lives
# PATRONI_TTL seconds, so a lost leader is replaced within about TTL + LOOP_WAIT; Patroni
# requires loop_wait + 2 * retry_timeout <= ttl.
#
# As root, everything runs as the `postgres` system user (initdb refuses root), started with
# setpriv so that the recorded PID is the program's own. DIR's parents must be traversable by
# that user (mktemp -d under /tmp is). fsync is off: a killed process loses nothing the kernel
# already holds, and only processes are killed here; synchronous_commit stays on, so a commit
# is acknowledged only once the synchronous standby has it.
set -euo pipefail

PG_BIN=${LATCHKEY_PG_BIN:-/usr/lib/postgresql/15/bin}
ETCD_MEMBERS=${PATRONI_ETCD_MEMBERS:-3}
TTL=${PATRONI_TTL:-10}
LOOP_WAIT=${PATRONI_LOOP_WAIT:-1}
RETRY_TIMEOUT=${PATRONI_RETRY_TIMEOUT:-3}

die() { echo "patroni_cluster.sh: $*" >&2; exit 1; }
now_ms() { date +%s%3N; }

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Runs a command in the background as the cluster's owner, its PID written to PIDFILE.
spawn() {
  local pidfile=$1 log=$2; shift 2
  if [ "$(id -u)" -eq 0 ]; then
    (cd / && exec setpriv --reuid=postgres --regid=postgres --init-groups -- "$@") >>"$log" 2>&1 &
  else
    (cd / && exec "$@") >>"$log" 2>&1 &
  fi
  echo $! > "$pidfile"
}

ensure_owner() {
  [ "$(id -u)" -eq 0 ] || return 0
  if ! id -u postgres >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin postgres
  fi
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# GET http://127.0.0.1:PORT/PATH -> HTTP status (000 when nothing answers).
rest_status() {
  curl -s -o /dev/null -m 1 -w '%{http_code}' "http://127.0.0.1:$1/$2" 2>/dev/null || true
}

nodes_of() { cat "$1/nodes"; }

start_etcd() {
  local dir=$1 i cluster="" endpoints=""
  for i in $(seq 1 "$ETCD_MEMBERS"); do
    mkdir -p "$dir/etcd$i"
    free_port > "$dir/etcd$i/client_port"
    free_port > "$dir/etcd$i/peer_port"
    cluster+="${cluster:+,}e$i=http://127.0.0.1:$(cat "$dir/etcd$i/peer_port")"
    endpoints+="${endpoints:+,}127.0.0.1:$(cat "$dir/etcd$i/client_port")"
  done
  echo "$endpoints" > "$dir/etcd_endpoints"
  [ "$(id -u)" -eq 0 ] && chown -R postgres: "$dir"
  for i in $(seq 1 "$ETCD_MEMBERS"); do
    local client peer
    client=$(cat "$dir/etcd$i/client_port")
    peer=$(cat "$dir/etcd$i/peer_port")
    # Heartbeat 200 ms / election 2 s: half the idle CPU of etcd's defaults, and an etcd
    # election (not exercised here) still well inside Patroni's TTL.
    spawn "$dir/etcd$i/pid" "$dir/etcd$i/etcd.log" /usr/bin/etcd --name "e$i" \
      --data-dir "$dir/etcd$i/data" \
      --listen-client-urls "http://127.0.0.1:$client" --advertise-client-urls "http://127.0.0.1:$client" \
      --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
      --initial-cluster "$cluster" --initial-cluster-state new \
      --initial-cluster-token "latchkey-test-$$" \
      --heartbeat-interval 200 --election-timeout 2000 --log-level warn
  done
  for i in $(seq 1 300); do
    if ETCDCTL_API=3 etcdctl --endpoints "$endpoints" --command-timeout=1s endpoint health \
        >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.1
  done
  cat "$dir"/etcd*/etcd.log >&2 || true
  die "etcd did not become healthy"
}

write_patroni_config() {
  local dir=$1 name=$2 pg_port=$3 rest_port=$4 hosts
  hosts=$(tr ',' '\n' < "$dir/etcd_endpoints" | sed 's/^/    - /')
  cat > "$dir/$name/patroni.yml" <<EOF
# patroni_cluster.sh: node $name of a throwaway test cluster
scope: latchkey-test
namespace: /latchkey-test/
name: $name
log:
  level: INFO
restapi:
  listen: 127.0.0.1:$rest_port
  connect_address: 127.0.0.1:$rest_port
etcd3:
  hosts:
$hosts
bootstrap:
  dcs:
    ttl: $TTL
    loop_wait: $LOOP_WAIT
    retry_timeout: $RETRY_TIMEOUT
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        max_connections: 200
        wal_keep_size: 128MB
  initdb:
    - encoding: UTF8
    - no-locale
  pg_hba:
    - local all all trust
    - host all all 127.0.0.1/32 trust
    - host replication all 127.0.0.1/32 trust
postgresql:
  listen: 127.0.0.1:$pg_port
  connect_address: 127.0.0.1:$pg_port
  data_dir: $dir/$name/data
  bin_dir: $PG_BIN
  pgpass: $dir/$name/pgpass
  authentication:
    superuser:
      username: postgres
    replication:
      username: replicator
    rewind:
      username: postgres
  parameters:
    unix_socket_directories: $dir/$name
    fsync: off
    log_min_messages: warning
EOF
}

start_patroni() {
  local dir=$1 name=$2
  spawn "$dir/$name/pid" "$dir/$name/patroni.log" /usr/bin/patroni "$dir/$name/patroni.yml"
}

cmd_leader() {
  local dir=$1 name
  for name in $(nodes_of "$dir"); do
    alive "$dir/$name/pid" || continue
    if [ "$(rest_status "$(cat "$dir/$name/rest_port")" primary)" = 200 ]; then
      echo "$name"
      return 0
    fi
  done
  return 1
}

cmd_sync() {
  local dir=$1 name
  for name in $(nodes_of "$dir"); do
    alive "$dir/$name/pid" || continue
    if [ "$(rest_status "$(cat "$dir/$name/rest_port")" sync)" = 200 ]; then
      echo "$name"
      return 0
    fi
  done
  return 1
}

cmd_start() {
  local dir=$1 count=$2 i name urls="" leader=""
  [ -e "$dir/nodes" ] && die "$dir already holds a cluster"
  [ -x "$PG_BIN/postgres" ] || die "no PostgreSQL binaries in $PG_BIN"
  command -v patroni >/dev/null || die "patroni is not installed (apt-get install patroni)"
  command -v etcd >/dev/null || die "etcd is not installed (apt-get install etcd-server)"
  ensure_owner
  mkdir -p "$dir"
  chmod 700 "$dir"
  local started
  started=$(now_ms)
  start_etcd "$dir"
  echo "# etcd: $ETCD_MEMBERS member(s) healthy after $(( $(now_ms) - started )) ms" >&2
  : > "$dir/nodes"
  for i in $(seq 1 "$count"); do
    name="pg$i"
    mkdir -p "$dir/$name"
    free_port > "$dir/$name/port"
    free_port > "$dir/$name/rest_port"
    write_patroni_config "$dir" "$name" "$(cat "$dir/$name/port")" "$(cat "$dir/$name/rest_port")"
    echo "$name" >> "$dir/nodes"
    urls+="${urls:+,}127.0.0.1:$(cat "$dir/$name/port")"
  done
  [ "$(id -u)" -eq 0 ] && chown -R postgres: "$dir"
  # The first node bootstraps (initdb) alone; the others then clone it with pg_basebackup.
  start_patroni "$dir" pg1
  for i in $(seq 1 600); do
    leader=$(cmd_leader "$dir" || true)
    [ -n "$leader" ] && break
    alive "$dir/pg1/pid" || break
    sleep 0.1
  done
  [ -n "$leader" ] || { cat "$dir/pg1/patroni.log" >&2; die "no leader after bootstrap"; }
  for name in $(nodes_of "$dir"); do
    [ "$name" = pg1 ] || start_patroni "$dir" "$name"
  done
  local replicas=0 sync=""
  for i in $(seq 1 1200); do
    replicas=0
    for name in $(nodes_of "$dir"); do
      [ "$(rest_status "$(cat "$dir/$name/rest_port")" replica)" = 200 ] && replicas=$((replicas + 1))
    done
    sync=$(cmd_sync "$dir" || true)
    [ "$replicas" -eq $((count - 1)) ] && [ -n "$sync" ] && break
    sleep 0.1
  done
  if [ "$replicas" -ne $((count - 1)) ] || [ -z "$sync" ]; then
    tail -n 30 "$dir"/pg*/patroni.log >&2 || true
    die "$replicas of $((count - 1)) standbys streaming, synchronous standby: ${sync:-none}"
  fi
  echo "# patroni: leader $leader, synchronous standby $sync, $count nodes ready after $(( $(now_ms) - started )) ms" >&2
  echo "postgresql://postgres@$urls/postgres?target_session_attrs=read-write" > "$dir/url"
  echo "PGURL=$(cat "$dir/url")"
  echo "NODES=$(nodes_of "$dir" | paste -sd' ')"
}

postmaster_pid() {
  local file="$1/data/postmaster.pid"
  [ -f "$file" ] && head -n1 "$file"
}

cmd_kill() {
  local dir=$1 name=$2 patroni postmaster
  [ -d "$dir/$name" ] || die "no node $name in $dir"
  patroni=$(cat "$dir/$name/pid")
  postmaster=$(postmaster_pid "$dir/$name" || true)
  kill -KILL "$patroni" 2>/dev/null || true
  [ -n "$postmaster" ] && kill -KILL "$postmaster" 2>/dev/null || true
  echo "KILLED_MS=$(now_ms)"
  # The backends notice the postmaster's death and exit; wait for the port to close.
  local port i
  port=$(cat "$dir/$name/port")
  for i in $(seq 1 100); do
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -t 1 || break
    sleep 0.05
  done
}

cmd_revive() {
  local dir=$1 name=$2
  [ -d "$dir/$name" ] || die "no node $name in $dir"
  alive "$dir/$name/pid" && die "$name is running"
  # A SIGKILLed postmaster leaves its pid file; Patroni checks it is stale and starts anyway.
  start_patroni "$dir" "$name"
}

cmd_stop() {
  local dir=$1 name i pid pids f
  if [ -f "$dir/nodes" ]; then
    # Throwaway data: no clean shutdown (a leader's Patroni waits for its standbys on SIGTERM).
    # Each Patroni first, so that none restarts its PostgreSQL, then each postmaster with
    # SIGQUIT (immediate shutdown: it takes its backends with it).
    for name in $(nodes_of "$dir"); do
      alive "$dir/$name/pid" && kill -KILL "$(cat "$dir/$name/pid")" 2>/dev/null || true
    done
    pids=()
    for name in $(nodes_of "$dir"); do
      pid=$(postmaster_pid "$dir/$name" || true)
      if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -QUIT "$pid" 2>/dev/null || true
        pids+=("$pid")
      fi
    done
    for i in $(seq 1 100); do
      local running=0
      for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && running=1; done
      [ "$running" -eq 0 ] && break
      sleep 0.05
    done
  fi
  for f in "$dir"/etcd*/pid; do
    alive "$f" && kill -TERM "$(cat "$f")" 2>/dev/null || true
  done
  for i in $(seq 1 100); do
    pid=""
    for f in "$dir"/etcd*/pid; do alive "$f" && pid=1; done
    [ -z "$pid" ] && break
    sleep 0.05
  done
  rm -rf "$dir"
}

[ $# -ge 2 ] || die "usage: patroni_cluster.sh start|leader|sync|kill|revive|stop DIR [ARG]"
dir=$(realpath -m "$2")
case "$1" in
  start) cmd_start "$dir" "${3:-3}" ;;
  leader) cmd_leader "$dir" ;;
  sync) cmd_sync "$dir" ;;
  kill) cmd_kill "$dir" "${3:?kill needs a node name}" ;;
  revive) cmd_revive "$dir" "${3:?revive needs a node name}" ;;
  stop) cmd_stop "$dir" ;;
  *) die "unknown command $1" ;;
esac
