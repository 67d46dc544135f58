#!/usr/bin/env bash
# Installs every Debian package latchkey needs to build, test and benchmark, and only what is
# missing, so a second run is fast. Usage: scripts/install-deps.sh [build|run|test|bench|all]
# (run = build + what scripts/run.sh and the README quickstart's first steps call).
set -euo pipefail
what=${1:-all}

build_pkgs=(build-essential cmake pkg-config git libboost-dev libssl-dev nlohmann-json3-dev
  libsqlite3-dev sqlite3 libpq-dev libcli11-dev libspdlog-dev libfmt-dev libtomlplusplus-dev
  libcurl4-openssl-dev libgtest-dev libgmock-dev libbenchmark-dev ca-certificates)
run_pkgs=(curl jq)
test_pkgs=(curl jq openssl python3 python3-msal azure-cli nodejs postgresql postgresql-client
  nginx procps iproute2 clang libclang-rt-14-dev chromium)
test_pkgs+=(patroni python3-etcd etcd-server etcd-client)  # tests/e2e/failover_test.sh (issue 22)
test_pkgs+=(python3-requests python3-cryptography)  # tests/e2e/sso_browser.py, oidc_issuer.py
bench_pkgs=(wrk nginx)

pkgs=("${build_pkgs[@]}")
case "$what" in
  build) ;;
  run) pkgs+=("${run_pkgs[@]}") ;;
  test) pkgs+=("${test_pkgs[@]}") ;;
  bench) pkgs+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
  all) pkgs+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
  *) echo "usage: $0 [build|run|test|bench|all]" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
# nodejs may come from another repository that does not ship npm separately.
if ! command -v npm >/dev/null 2>&1 && [[ "$what" != build && "$what" != run ]]; then missing+=(npm); fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
