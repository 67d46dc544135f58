#!/usr/bin/env bash
# Installs the latchkey .deb on this machine, checks what it installed, starts the service the
# way its systemd unit does and checks /healthz over TLS, then purges the package and removes
# what the package deliberately keeps (data, logs, user). Needs root and dpkg; refuses to touch
# an existing installation. Usage: scripts/package-smoke.sh [BUILD_DIR]   (default: build)
# Without systemd as PID 1 (containers, CI), the unit's ExecStart runs by hand as the latchkey
# user with runuser; with systemd, `systemctl start latchkeyd` is used.
set -euo pipefail
build=${1:-build}
src=$(cd "$(dirname "$0")/.." && pwd)
passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok - $*"; }
fail() { failed=$((failed + 1)); echo "FAILED - $*"; }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }

[ "$(id -u)" -eq 0 ] || { echo "package-smoke: run as root (it installs a package)"; exit 2; }
if dpkg-query -W -f='${Status}' latchkey 2>/dev/null | grep -q installed || [ -e /var/lib/latchkey ] ||
   getent passwd latchkey >/dev/null; then
  echo "package-smoke: latchkey is already installed here (or left /var/lib/latchkey or its user); refusing"
  exit 2
fi
deb=$(ls -t "$build"/latchkey_*.deb 2>/dev/null | head -n 1 || true)
if [ -z "$deb" ]; then
  (cd "$build" && cpack -G DEB >/dev/null)
  deb=$(ls -t "$build"/latchkey_*.deb | head -n 1)
fi
echo "package-smoke: $deb"
pid=""
cleanup() {
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  if dpkg-query -W -f='${Status}' latchkey 2>/dev/null | grep -q installed; then
    dpkg --purge latchkey >/dev/null 2>&1 || true
  fi
  getent passwd latchkey >/dev/null && userdel latchkey 2>/dev/null || true
  getent group latchkey >/dev/null && groupdel latchkey 2>/dev/null || true
  rm -rf /var/lib/latchkey /var/log/latchkey
}
trap cleanup EXIT

# ---- The package itself ----
info=$(dpkg-deb --info "$deb")
check "Depends names the shared libraries (shlibdeps)" grep -q 'Depends:.*libssl3' <<<"$info"
check "conffiles: /etc/latchkey/latchkey.toml" bash -c "dpkg-deb --ctrl-tarfile '$deb' | tar -xO ./conffiles | grep -qx /etc/latchkey/latchkey.toml"
contents=$(dpkg-deb --contents "$deb")
for f in ./usr/bin/latchkeyd ./usr/bin/latchkey ./usr/lib/systemd/system/latchkeyd.service \
         ./etc/latchkey/latchkey.toml ./usr/share/man/man1/latchkeyd.1.gz \
         ./usr/share/man/man1/latchkey.1.gz ./usr/share/doc/latchkey/operations.md; do
  check "the package ships $f" grep -q " $f\$" <<<"$contents"
done

# ---- Install ----
dpkg -i "$deb" 2>&1 | sed 's/^/  dpkg: /'
check "installed" bash -c "dpkg-query -W -f='\${Status}' latchkey | grep -q 'install ok installed'"
check "the latchkey system user exists, without a login shell" \
  bash -c "getent passwd latchkey | grep -q ':/usr/sbin/nologin$'"
check "/var/lib/latchkey/data: 0700, latchkey's" test "$(stat -c '%a %U' /var/lib/latchkey/data)" = "700 latchkey"
check "bootstrap.json: 0600, latchkey's" test "$(stat -c '%a %U' /var/lib/latchkey/bootstrap.json)" = "600 latchkey"
check "bootstrap.json holds the admin PAT" bash -c "jq -e '.admin.token | startswith(\"dapi\")' /var/lib/latchkey/bootstrap.json >/dev/null"
check "/var/log/latchkey: 0700, latchkey's" test "$(stat -c '%a %U' /var/log/latchkey)" = "700 latchkey"
check "man latchkeyd has the serve options" bash -c "zcat /usr/share/man/man1/latchkeyd.1.gz | grep -q -- 'metrics-listen'"
if command -v systemd-analyze >/dev/null; then
  check "systemd-analyze verify latchkeyd.service" \
    bash -c "systemd-analyze verify /usr/lib/systemd/system/latchkeyd.service 2>&1 | grep -v 'Cannot add dependency job\|Failed to .*bus\|systemd is not running' | (! grep .)"
  echo "  security exposure: $(systemd-analyze security --offline=true /usr/lib/systemd/system/latchkeyd.service 2>/dev/null | tail -n 1 || echo n/a)"
fi

# ---- Start it as the unit does ----
ca=/var/lib/latchkey/data/tls/ca.pem
if [ "$(ps -p 1 -o comm=)" = systemd ]; then
  systemctl start latchkeyd.service
  url=https://127.0.0.1:8443 metrics=http://127.0.0.1:9464/metrics
else
  exec_start=$(sed -n 's/^ExecStart=//p' /usr/lib/systemd/system/latchkeyd.service)
  free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
  p1=$(free_port) p2=$(free_port)
  echo "  no systemd as PID 1: runuser -u latchkey -- $exec_start" \
       "--listen https://127.0.0.1:$p1 --metrics-listen 127.0.0.1:$p2  (ports: free ones)"
  # UMask=0077 from the unit; the ports are overridden only so that the smoke test never
  # collides with a latchkeyd already serving 8443 here.
  (umask 077; cd /; exec runuser -u latchkey -- $exec_start --listen "https://127.0.0.1:$p1" \
     --metrics-listen "127.0.0.1:$p2" --ready-file /var/lib/latchkey/ready.json \
     >/tmp/latchkey-smoke.log 2>&1) &
  pid=$!
  url=https://127.0.0.1:$p1 metrics=http://127.0.0.1:$p2/metrics
fi
for i in $(seq 1 100); do
  curl -s --cacert "$ca" -o /dev/null "$url/healthz" && break
  sleep 0.1
done
health=$(curl -sS --cacert "$ca" "$url/healthz" || true)
echo "  GET $url/healthz -> $health"
check "the service answers /healthz over TLS" test "$health" = '{"status":"ok"}'
check "/readyz" test "$(curl -s --cacert "$ca" -o /dev/null -w '%{http_code}' "$url/readyz")" = 200
admin=$(jq -r .admin.token /var/lib/latchkey/bootstrap.json)
check "the bootstrap admin PAT works" test "$(curl -s --cacert "$ca" -o /dev/null -w '%{http_code}' \
  -H "Authorization: Bearer $admin" "$url/api/2.0/token/list")" = 200
check "metrics on the loopback listener" bash -c "curl -s '$metrics' | grep -q '^latchkey_build_info{'"
check "the audit file (from /etc/latchkey/latchkey.toml) is 0600, latchkey's" \
  test "$(stat -c '%a %U' /var/log/latchkey/audit.jsonl 2>/dev/null)" = "600 latchkey"
if [ -n "$pid" ]; then
  daemon_pid=$(jq -r .pid /var/lib/latchkey/ready.json)
  kill -HUP "$daemon_pid"  # ExecReload
  sleep 0.5
  check "ExecReload (SIGHUP) keeps it serving" test "$(curl -s --cacert "$ca" -o /dev/null -w '%{http_code}' "$url/healthz")" = 200
  kill -TERM "$daemon_pid"
  wait "$pid" && rc=0 || rc=$?
  pid=""
  check "SIGTERM: a clean exit" test "$rc" = 0
else
  systemctl reload latchkeyd.service
  check "systemctl reload keeps it serving" test "$(curl -s --cacert "$ca" -o /dev/null -w '%{http_code}' "$url/healthz")" = 200
  systemctl stop latchkeyd.service
fi

# ---- Purge ----
dpkg --purge latchkey 2>&1 | sed 's/^/  dpkg: /'
check "purged: binaries gone" test ! -e /usr/bin/latchkeyd
check "purged: the conffile gone" test ! -e /etc/latchkey/latchkey.toml
check "purge keeps the data dir (documented)" test -d /var/lib/latchkey/data
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
