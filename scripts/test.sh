#!/usr/bin/env bash
# Runs every test under ctest and prints its summary. Tests that need port 443 or heavy
# clients take resource locks, so running two at a time is safe.
#
# Each ctest entry is one gtest case or one script, except store_test.PostgresCluster: one
# entry that runs every store case needing PostgreSQL (tests/store/CMakeLists.txt); the closing
# line says how many, so the total is what ran.
set -euo pipefail
build=${1:-build}
# The Node >= 20 that scripts/node-deps.sh fetched when the system's is older (Debian 12: 18).
node_runtime="$(cd "$(dirname "$0")/.." && pwd)/tests/node/.runtime/bin"
if [ -x "$node_runtime/node" ]; then export PATH="$node_runtime:$PATH"; fi
cd "$build"
rc=0
ctest --output-on-failure -j 2 --timeout 600 || rc=$?
pg=$(grep -ho 'run_with_postgres.sh: [0-9]* PostgreSQL cases passed, [0-9]* skipped' \
  Testing/Temporary/LastTest.log 2>/dev/null | tail -1 || true)
if [ -n "$pg" ]; then
  echo "store_test.PostgresCluster, counted above as one test: ${pg#run_with_postgres.sh: }"
fi
exit "$rc"
