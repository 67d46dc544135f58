#!/usr/bin/env bash
# run_with_postgres.sh STORE_TEST --gtest_filter=CASES [gtest flags...]: starts a private
# PostgreSQL cluster (tests/support/pg_cluster.sh), runs the store tests that need one against
# it, removes it. These cases are one ctest entry (store_test.PostgresCluster), so the entry
# says how many ran and fails if none ran or any skipped: a skip here is a case that did not run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pg_cluster="$here/../support/pg_cluster.sh"
binary=$1; shift
[[ ${1:-} == --gtest_filter=* ]] || { echo "usage: $0 STORE_TEST --gtest_filter=CASES [flags...]" >&2; exit 2; }

dir=$(mktemp -d /tmp/latchkey-pg.XXXXXX)
trap 'bash "$pg_cluster" stop "$dir"; rm -f "$dir.out"' EXIT
url=$(bash "$pg_cluster" start "$dir" | sed -n 's/^PGURL=//p')
[ -n "$url" ] || { echo "run_with_postgres.sh: the cluster did not start" >&2; exit 1; }

export LATCHKEY_TEST_POSTGRES_URL="$url"
export LATCHKEY_TEST_PG_CLUSTER="$dir"
export LATCHKEY_TEST_PG_CLUSTER_SCRIPT="$pg_cluster"
rc=0
"$binary" "$@" | tee "$dir.out" || rc=$?
# gtest's closing lines: "[  PASSED  ] N tests." and, if any, "[  SKIPPED ] M tests, listed below:".
ran=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) tests\{0,1\}\.$/\1/p' "$dir.out" | tail -1)
skipped=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) tests\{0,1\}, listed below:$/\1/p' "$dir.out" | tail -1)
echo "run_with_postgres.sh: ${ran:-0} PostgreSQL cases passed, ${skipped:-0} skipped, gtest exit $rc"
[ "$rc" -eq 0 ] || exit "$rc"
[ "${ran:-0}" -gt 0 ] || { echo "run_with_postgres.sh: no case ran" >&2; exit 1; }
[ "${skipped:-0}" -eq 0 ] || { echo "run_with_postgres.sh: cases skipped (did not run)" >&2; exit 1; }
