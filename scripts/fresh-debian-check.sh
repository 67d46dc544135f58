#!/usr/bin/env bash
# Checks README's promise that `make run` and `make test` work on a fresh Debian 12 machine:
# builds a clean Debian 12 (bookworm) root with debootstrap (variant minbase: fewer packages
# than any real install), copies a clone of this checkout's HEAD into it, and there, via chroot,
#   1. `make run` until its first token (one curl for a PAT with the bootstrap admin PAT),
#   2. `make test` (unless --run-only),
# timing each. Not part of `make test`: it needs root, the Debian mirror and the npm registry,
# and a long time (a full build from nothing on this machine's cores).
#
#   sudo scripts/fresh-debian-check.sh [--run-only] [--keep]
#   sudo FRESH_WORK_DIR=DIR scripts/fresh-debian-check.sh --test-only   # step 2 of a kept
#                                                                       # --run-only run
#
# Environment: DEBIAN_MIRROR (default http://deb.debian.org/debian), FRESH_WORK_DIR (default a
# new directory under /var/tmp; removed afterwards unless --keep), FRESH_BASE_TARBALL (a tarball
# of a bare debootstrap root: used instead of debootstrap when it exists, written after
# debootstrap when it does not; lets repeated runs skip the download), FRESH_TEST_USER (run
# `make test` as this unprivileged user created in the root, after installing its packages as
# root: proves no test needs root; default: as root, as `sudo make test` would), FRESH_EXTRA_CA
# (a PEM CA certificate the root must trust to reach the npm registry, on a network that
# intercepts TLS, as this project's sandbox does; not needed on an ordinary network).
#
# Package installation (what `make run` / `make test` do first: scripts/install-deps.sh,
# scripts/node-deps.sh) runs with the network; the server and the tests then run in their own
# network namespace with only loopback, so that they neither collide with ports used on the
# host (8443, 443) nor reach anything outside. Times are printed and written to
# $FRESH_WORK_DIR/times.txt.
# The whole script is one { } block, read before it runs: editing this file during a run (it
# takes long) cannot change what the run does.
{
set -euo pipefail
run_only=no keep=no test_only=no
for arg in "$@"; do
  case $arg in
    --run-only) run_only=yes ;;
    --test-only) test_only=yes keep=yes ;;
    --keep) keep=yes ;;
    *) echo "usage: $0 [--run-only | --test-only] [--keep]" >&2; exit 2 ;;
  esac
done
if [ "$test_only" = yes ] && [ ! -d "${FRESH_WORK_DIR:-/nonexistent}/root/src/latchkey" ]; then
  echo "fresh-debian-check: --test-only needs FRESH_WORK_DIR naming a kept --run-only run" >&2
  exit 2
fi
[ "$(id -u)" -eq 0 ] || { echo "fresh-debian-check: needs root (debootstrap, chroot, mounts)" >&2; exit 2; }
src=$(cd "$(dirname "$0")/.." && pwd)
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
work=${FRESH_WORK_DIR:-$(mktemp -d /var/tmp/latchkey-fresh.XXXXXX)}
root="$work/root"
times="$work/times.txt"
mkdir -p "$work"
[ "$test_only" = yes ] || : >"$times"

mounted=()
server_pid=""
netns_added=no
cleanup() {
  set +e
  if [ -n "$server_pid" ]; then kill -TERM -- "-$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; fi
  # Anything still running inside the root (a test's server, postgres) is ours: stop it.
  local pid
  for pid in $(ls /proc | grep -E '^[0-9]+$'); do
    [ "$(readlink "/proc/$pid/root" 2>/dev/null)" = "$root" ] && kill -KILL "$pid" 2>/dev/null
  done
  [ "$netns_added" = yes ] && ip netns del "$netns"
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}"; done
  if [ "$keep" = no ]; then rm -rf "$work"; else echo "fresh-debian-check: kept $work"; fi
}
trap cleanup EXIT

note() { echo "fresh-debian-check: $*" | tee -a "$times"; }
elapsed() { echo $(($(date +%s) - $1)); }

if ! command -v debootstrap >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

# 1. A clean Debian 12 root.
t0=$(date +%s)
if [ "$test_only" = yes ]; then
  note "continuing the kept root $root"
elif [ -n "${FRESH_BASE_TARBALL:-}" ] && [ -f "$FRESH_BASE_TARBALL" ]; then
  mkdir -p "$root"
  tar -xpf "$FRESH_BASE_TARBALL" -C "$root"
  note "root from $FRESH_BASE_TARBALL in $(elapsed "$t0") s"
else
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -n 20 "$work/debootstrap.log"; exit 1; }
  note "debootstrap bookworm (minbase) in $(elapsed "$t0") s"
  if [ -n "${FRESH_BASE_TARBALL:-}" ]; then tar -cpf "$FRESH_BASE_TARBALL" -C "$root" .; fi
fi
grep -q '^12\.' "$root/etc/debian_version" || { echo "not Debian 12: $(cat "$root/etc/debian_version")"; exit 1; }

# /dev/shm as every Debian 12 machine has it (a tmpfs, mode 1777): the bind of /dev does not
# carry the host's submounts, and without it Patroni (running as postgres) cannot create
# Python's multiprocessing semaphores and dies with EACCES.
for m in proc sys dev dev/pts dev/shm; do
  mkdir -p "$root/$m"
  case $m in
    proc) mount -t proc proc "$root/proc" ;;
    sys) mount -t sysfs sys "$root/sys" ;;
    dev) mount --bind /dev "$root/dev" ;;
    dev/pts) mount --bind /dev/pts "$root/dev/pts" ;;
    dev/shm) mount -t tmpfs -o mode=1777,nosuid,nodev shm "$root/dev/shm" ;;
  esac
  mounted+=("$root/$m")
done
cp /etc/resolv.conf "$root/etc/resolv.conf"

# 2. A clone of HEAD (committed work only), owned by the user who will build and test.
if [ "$test_only" = no ]; then
  git clone -q --no-hardlinks "$src" "$root/src/latchkey"
  git -C "$root/src/latchkey" checkout -q --detach "$(git -C "$src" rev-parse HEAD)"
  if [ -n "${FRESH_TEST_USER:-}" ]; then chroot "$root" useradd -m "$FRESH_TEST_USER"; fi
fi
note "testing $(git -C "$root/src/latchkey" rev-parse --short HEAD) ($(git -C "$root/src/latchkey" log -1 --format=%s | cut -c1-60))"

env_for() { echo /usr/bin/env -i HOME="$1" LANG=C.UTF-8 \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin; }
# With the network, as root (package installation).
extra_ca_env=()
if [ -n "${FRESH_EXTRA_CA:-}" ]; then
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp "$FRESH_EXTRA_CA" "$root/usr/local/share/ca-certificates/fresh-check-extra.crt"
  extra_ca_env=(NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt)
fi
in_root() {
  # update-ca-certificates once ca-certificates is installed (it adds FRESH_EXTRA_CA)
  chroot "$root" $(env_for /root) "${extra_ca_env[@]}" bash -c \
    "{ [ ! -e /usr/local/share/ca-certificates/fresh-check-extra.crt ] || ! command -v update-ca-certificates >/dev/null || update-ca-certificates >/dev/null; } && cd /src/latchkey && $1"
}
# Loopback only, in this run's own network namespace; as FRESH_TEST_USER when $2 says so.
netns=latchkey-fresh-$$
ip netns add "$netns"
netns_added=yes
ip netns exec "$netns" ip link set lo up
offline() {
  local cmd=$1 user=${2:-}
  if [ -n "$user" ]; then
    ip netns exec "$netns" chroot "$root" setpriv --reuid="$user" --regid="$user" --init-groups \
      $(env_for "/home/$user") bash -c "cd /src/latchkey && $cmd"
  else
    ip netns exec "$netns" chroot "$root" $(env_for /root) bash -c "cd /src/latchkey && $cmd"
  fi
}

if [ "$test_only" = no ]; then
  # 3. make run: what README says to install first (make: Debian 12 does not ship it), its
  # packages (with the network), then make run itself until the first token.
  t0=$(date +%s)
  in_root "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq make >/dev/null" \
    >"$work/make.log" 2>&1 || { tail -n 30 "$work/make.log"; exit 1; }
  note "apt-get install make (README's prerequisite) in $(elapsed "$t0") s"
  t0=$(date +%s)
  in_root "make deps-run" >"$work/deps-run.log" 2>&1 || { tail -n 30 "$work/deps-run.log"; exit 1; }
  note "make run's packages (install-deps.sh run) in $(elapsed "$t0") s"
  t0=$(date +%s)
  setsid bash -c "$(declare -f env_for offline); root=$root netns=$netns; offline 'make run'" \
    >"$work/make-run.log" 2>&1 &
  server_pid=$!
  first_token='B=.latchkey/bootstrap.json
    curl -sS --fail-with-body --cacert "$(jq -r .ca_cert $B)" "$(jq -r .authority $B)/api/2.0/token/create" \
      -H "Authorization: Bearer $(jq -r .admin.token $B)" -d "{\"comment\":\"first\",\"lifetime_seconds\":600}" |
    jq -r .token_value'
  token=""
  for _ in $(seq 1 3600); do
    if grep -q 'Ctrl-C stops the server' "$work/make-run.log"; then
      token=$(offline "$first_token" 2>/dev/null || true)
      [[ "$token" == dapi* ]] && break
    fi
    kill -0 "$server_pid" 2>/dev/null || { echo "make run exited:"; tail -n 40 "$work/make-run.log"; exit 1; }
    sleep 1
  done
  [[ "$token" == dapi* ]] || { echo "no first token:"; tail -n 40 "$work/make-run.log"; exit 1; }
  note "make run to the first token (configure + build of latchkeyd and latchkey) in $(elapsed "$t0") s"
  # The CPU time `make run` spent so far (its children: cmake, the compilers), which does not
  # depend on what else the machine is doing: divided by the cores, an idle machine's build time.
  for pid in $(pgrep -x make || true); do
    [ "$(readlink "/proc/$pid/root")" = "$root" ] || continue
    read -ra stat <"/proc/$pid/stat"
    note "make run's CPU time (user+sys of its children) $(( (stat[15] + stat[16]) / $(getconf CLK_TCK) )) s on $(nproc) cores"
  done
  sed -n '/^latchkeyd is starting/,/Ctrl-C/p' "$work/make-run.log"
  kill -TERM -- "-$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
fi

[ "$run_only" = yes ] && { note "--run-only: make test not run"; exit 0; }

# 4. make test: its packages and npm clients (with the network), then the tests offline.
t0=$(date +%s)
in_root "make deps-test node-deps" >"$work/deps-test.log" 2>&1 || { tail -n 30 "$work/deps-test.log"; exit 1; }
note "make test's packages and npm clients in $(elapsed "$t0") s"
if [ -n "${FRESH_TEST_USER:-}" ]; then chroot "$root" chown -R "$FRESH_TEST_USER:" /src/latchkey; fi
t0=$(date +%s)
rc=0
offline "make test" "${FRESH_TEST_USER:-}" >"$work/make-test.log" 2>&1 || rc=$?
note "make test exited $rc in $(elapsed "$t0") s (as ${FRESH_TEST_USER:-root})"
grep -E 'tests passed|tests failed|Skipped|\*\*\*Failed|SKIPPED' "$work/make-test.log" | tail -n 30 | tee -a "$times"
exit "$rc"
}
