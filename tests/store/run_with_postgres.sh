#!/usr/bin/env bash
# run_with_postgres.sh STORE_TEST [gtest flags...]: starts a private PostgreSQL cluster
# (tests/support/pg_cluster.sh), runs the store tests that need one against it, removes it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pg_cluster="$here/../support/pg_cluster.sh"
binary=$1; shift

dir=$(mktemp -d /tmp/latchkey-pg.XXXXXX)
trap 'bash "$pg_cluster" stop "$dir"' EXIT
url=$(bash "$pg_cluster" start "$dir" | sed -n 's/^PGURL=//p')
[ -n "$url" ] || { echo "run_with_postgres.sh: the cluster did not start" >&2; exit 1; }

export LATCHKEY_TEST_POSTGRES_URL="$url"
export LATCHKEY_TEST_PG_CLUSTER="$dir"
export LATCHKEY_TEST_PG_CLUSTER_SCRIPT="$pg_cluster"
"$binary" --gtest_filter='Postgres*:CopyStore*' "$@"
