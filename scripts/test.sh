#!/usr/bin/env bash
# Runs every test under ctest and prints its summary. Tests that need port 443 or heavy
# clients take resource locks, so running two at a time is safe.
set -euo pipefail
build=${1:-build}
# The Node >= 20 that scripts/node-deps.sh fetched when the system's is older (Debian 12: 18).
node_runtime="$(cd "$(dirname "$0")/.." && pwd)/tests/node/.runtime/bin"
if [ -x "$node_runtime/node" ]; then export PATH="$node_runtime:$PATH"; fi
cd "$build"
ctest --output-on-failure -j 2 --timeout 600
