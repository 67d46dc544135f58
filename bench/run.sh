#!/usr/bin/env bash
# `make bench`: installs the node peer if missing, makes sure the micro-benchmarks are built,
# and runs bench/bench.py against BUILD_DIR. Exit status 1 when a ratio misses its target.
# Usage: bench/run.sh BUILD_DIR   (tuning knobs: bench/README.md)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=${1:?usage: bench/run.sh BUILD_DIR}

for tool in wrk nginx openssl node npm python3 sqlite3; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (scripts/install-deps.sh bench)" >&2; exit 2; }
done
if [ ! -d "$here/node/node_modules/oidc-provider" ]; then
  echo "bench: installing the node peer (npm ci in bench/node)" >&2
  (cd "$here/node" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
if [ ! -x "$build/bench/latchkey_micro_bench" ] || [ ! -x "$build/bench/latchkey_bare_token_server" ]; then
  cmake --build "$build" --target latchkey_micro_bench latchkey_bare_token_server -j "$(nproc)" >&2
fi
exec python3 "$here/bench.py" "$build"
