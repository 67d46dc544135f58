#!/usr/bin/env bash
# A private, throwaway PostgreSQL cluster for tests: no system service, nothing outside DIR.
#
#   pg_cluster.sh start DIR   initdb in DIR (trust auth, 127.0.0.1 only, a free port, unix
#                             socket inside DIR), start it, wait until it answers, and print
#                             PGURL=postgresql://postgres@127.0.0.1:PORT/postgres on stdout
#   pg_cluster.sh pause DIR   stop the server, keep its data (tests of outages)
#   pg_cluster.sh resume DIR  start it again on the same port, wait until it answers
#   pg_cluster.sh stop DIR    stop the server and remove DIR
#
# initdb refuses to run as root: as root, the server runs as the `postgres` system user (created
# by the postgresql package; created here as a system user if missing) and DIR is chowned to it,
# so DIR's parent directories must be traversable by that user (mktemp -d under /tmp is).
# Durability is off (fsync, full_page_writes): the data is throwaway.
set -euo pipefail

PG_BIN=${LATCHKEY_PG_BIN:-/usr/lib/postgresql/15/bin}

die() { echo "pg_cluster.sh: $*" >&2; exit 1; }

# Runs a command as the cluster's owner (postgres when we are root).
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    (cd / && "$@")
  fi
}

ensure_owner() {
  [ "$(id -u)" -eq 0 ] || return 0
  if ! id -u postgres >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin postgres
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_ready() {
  local dir=$1 port=$2 i
  for i in $(seq 1 200); do
    if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -t 1; then return 0; fi
    sleep 0.05
  done
  cat "$dir/server.log" >&2 || true
  die "the server in $dir did not become ready on port $port"
}

# Starts the server on the port recorded in DIR/port.
start_server() {
  local dir=$1 port
  port=$(cat "$dir/port")
  as_owner "$PG_BIN/pg_ctl" start -w -t 30 -D "$dir/data" -l "$dir/server.log" \
    -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir/socket" \
    >/dev/null || { cat "$dir/server.log" >&2; return 1; }
  wait_ready "$dir" "$port"
}

cmd_start() {
  local dir=$1 attempt port
  [ -e "$dir/data" ] && die "$dir already holds a cluster"
  ensure_owner
  mkdir -p "$dir/socket"
  chmod 700 "$dir"
  [ "$(id -u)" -eq 0 ] && chown -R postgres: "$dir"
  as_owner test -w "$dir" || die "user postgres cannot write $dir (check its parents' modes)"
  as_owner "$PG_BIN/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --no-locale --no-sync \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  cat >>"$dir/data/postgresql.conf" <<EOF
# pg_cluster.sh: a throwaway test cluster
fsync = off
full_page_writes = off
synchronous_commit = off
max_connections = 200
log_min_messages = warning
EOF
  # The free port may be taken between our probe and the server's bind: try a few.
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    echo "$port" > "$dir/port"
    if start_server "$dir" 2>/dev/null; then
      echo "PGURL=postgresql://postgres@127.0.0.1:$port/postgres"
      return 0
    fi
  done
  cat "$dir/server.log" >&2 || true
  die "could not start the server in $dir"
}

cmd_pause() {
  local dir=$1
  as_owner "$PG_BIN/pg_ctl" stop -w -m fast -D "$dir/data" >/dev/null
}

cmd_resume() {
  start_server "$1"
}

cmd_stop() {
  local dir=$1
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_owner "$PG_BIN/pg_ctl" stop -w -m immediate -D "$dir/data" >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

[ $# -eq 2 ] || die "usage: pg_cluster.sh start|pause|resume|stop DIR"
dir=$(realpath -m "$2")
case "$1" in
  start) cmd_start "$dir" ;;
  pause) cmd_pause "$dir" ;;
  resume) cmd_resume "$dir" ;;
  stop) cmd_stop "$dir" ;;
  *) die "unknown command $1 (start, pause, resume or stop)" ;;
esac
